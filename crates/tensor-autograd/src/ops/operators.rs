//! Operator sugar on [`Var`], as on `Tensor`: `&a + &b`, `a * 2.0`, `2.0 - &a`, `-&a`, `&a / &t`
//! for owned and borrowed variables, numbers on either side, and plain tensors (constants).
//! Each records the same op as the method form (`a.add(&b)?`).
//!
//! # Panics
//! Operators cannot return a `Result`: on bad input (shapes that do not broadcast, two devices)
//! they panic with the message the method form returns, as `Tensor`'s operators do.

use crate::node::Var;
use core::ops::{Add, Div, Mul, Neg, Sub};
use tensor_core::{result_type, Operand, Result, Scalar, Tensor};

/// The variable, or a panic with the error's message (located at the operator's caller).
#[track_caller]
fn ok(r: Result<Var>) -> Var {
    match r {
        Ok(v) => v,
        Err(e) => panic!("{}", e.at_caller()),
    }
}

/// A number on the left: a constant 0-d variable of the dtype that promotion gives it with `rhs`.
#[track_caller]
fn scalar_lhs(s: Scalar, rhs: &Tensor) -> Result<Var> {
    let dtype = result_type(&[Operand::Scalar(s), rhs.operand()]);
    Ok(Var::constant(Tensor::full([], s, dtype, rhs.device())?))
}

macro_rules! var_ops {
    ($($trait:ident, $method:ident;)*) => {$(
        impl $trait<&Var> for &Var {
            type Output = Var;
            #[track_caller]
            fn $method(self, rhs: &Var) -> Var { ok(Var::$method(self, rhs)) }
        }
        impl $trait<Var> for &Var {
            type Output = Var;
            #[track_caller]
            fn $method(self, rhs: Var) -> Var { ok(Var::$method(self, &rhs)) }
        }
        impl $trait<&Var> for Var {
            type Output = Var;
            #[track_caller]
            fn $method(self, rhs: &Var) -> Var { ok(Var::$method(&self, rhs)) }
        }
        impl $trait<Var> for Var {
            type Output = Var;
            #[track_caller]
            fn $method(self, rhs: Var) -> Var { ok(Var::$method(&self, &rhs)) }
        }
        impl $trait<&Tensor> for &Var {
            type Output = Var;
            #[track_caller]
            fn $method(self, rhs: &Tensor) -> Var { ok(Var::$method(self, rhs)) }
        }
        impl $trait<&Var> for &Tensor {
            type Output = Var;
            #[track_caller]
            fn $method(self, rhs: &Var) -> Var { ok(Var::$method(&Var::constant(self.shallow_clone()), rhs)) }
        }
        var_scalar_ops!($trait, $method; f64, f32, i64, i32);
    )*};
}

macro_rules! var_scalar_ops {
    ($trait:ident, $method:ident; $($t:ty),*) => {$(
        impl $trait<$t> for &Var {
            type Output = Var;
            #[track_caller]
            fn $method(self, rhs: $t) -> Var { ok(Var::$method(self, rhs)) }
        }
        impl $trait<$t> for Var {
            type Output = Var;
            #[track_caller]
            fn $method(self, rhs: $t) -> Var { ok(Var::$method(&self, rhs)) }
        }
        impl $trait<&Var> for $t {
            type Output = Var;
            #[track_caller]
            fn $method(self, rhs: &Var) -> Var {
                ok(scalar_lhs(Scalar::from(self), rhs.tensor_ref()).and_then(|l| Var::$method(&l, rhs)))
            }
        }
        impl $trait<Var> for $t {
            type Output = Var;
            #[track_caller]
            fn $method(self, rhs: Var) -> Var {
                ok(scalar_lhs(Scalar::from(self), rhs.tensor_ref()).and_then(|l| Var::$method(&l, &rhs)))
            }
        }
    )*};
}

var_ops! {
    Add, add;
    Sub, sub;
    Mul, mul;
    Div, div;
}

impl Neg for &Var {
    type Output = Var;
    #[track_caller]
    fn neg(self) -> Var {
        ok(Var::neg(self))
    }
}
impl Neg for Var {
    type Output = Var;
    #[track_caller]
    fn neg(self) -> Var {
        ok(Var::neg(&self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tensor_core::{DType, Device};

    fn leaf(v: &[f64]) -> Var {
        Var::new(Tensor::from_vec(v.to_vec(), [v.len()]).unwrap(), true)
    }

    #[test]
    fn operators_record_the_method_ops() {
        // y = (2 - a) * b / 4 + (-a) - 1, dy/da = -b/4 - 1, dy/db = (2 - a)/4
        let (a, b) = (leaf(&[1.0, 3.0]), leaf(&[2.0, -4.0]));
        let y: Var = (2.0 - &a) * &b / 4.0 + (-&a) - 1i64;
        assert_eq!(y.tensor().to_vec::<f64>().unwrap(), [-1.5, -3.0]);
        (&y * &y).sum().unwrap().backward().unwrap();
        // d(y^2)/da = 2y * (-b/4 - 1); d(y^2)/db = 2y * (2 - a)/4
        assert_eq!(a.grad().unwrap().to_vec::<f64>().unwrap(), [4.5, 0.0]);
        assert_eq!(b.grad().unwrap().to_vec::<f64>().unwrap(), [-0.75, 1.5]);
        // Owned forms and a plain tensor (a constant) on either side.
        let t = Tensor::full([2], 2.0, DType::F64, &Device::Cpu).unwrap();
        let z = a.clone() + b.clone() - &t * &a + &a / &t;
        assert_eq!(z.tensor().to_vec::<f64>().unwrap(), [1.5, -5.5]);
        assert_eq!((1i64 / &a).tensor().to_vec::<f64>().unwrap(), [1.0, 1.0 / 3.0]);
    }

    #[test]
    #[should_panic(expected = "add: the size of tensor a (2) must match the size of tensor b (3)")]
    fn operators_panic_with_the_method_message() {
        let _ = &leaf(&[1.0, 2.0]) + &leaf(&[1.0, 2.0, 3.0]);
    }
}
