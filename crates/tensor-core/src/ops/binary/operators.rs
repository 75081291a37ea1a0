//! Operator sugar: `&a + &b`, `a * 2.0`, `2.0 - &a`, `-&a`, for owned and borrowed tensors and
//! numbers on either side.
//!
//! # Panics
//! Operators cannot return a `Result`: on bad input (shapes that do not broadcast, tensors on
//! two devices) they panic with the same message the method form (`a.add(&b)?`) returns, as
//! indexing a slice out of range does.

use crate::{Scalar, Tensor};
use core::ops::{Add, Div, Mul, Neg, Sub};

/// The tensor, or a panic with the error's message (located at the operator's caller).
#[track_caller]
fn ok(r: crate::Result<Tensor>) -> Tensor {
    match r {
        Ok(t) => t,
        Err(e) => panic!("{}", e.at_caller()),
    }
}

macro_rules! tensor_ops {
    ($($trait:ident, $method:ident;)*) => {$(
        impl $trait<&Tensor> for &Tensor {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: &Tensor) -> Tensor { ok(Tensor::$method(self, rhs)) }
        }
        impl $trait<Tensor> for &Tensor {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: Tensor) -> Tensor { ok(Tensor::$method(self, &rhs)) }
        }
        impl $trait<&Tensor> for Tensor {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: &Tensor) -> Tensor { ok(Tensor::$method(&self, rhs)) }
        }
        impl $trait<Tensor> for Tensor {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: Tensor) -> Tensor { ok(Tensor::$method(&self, &rhs)) }
        }
        scalar_ops!($trait, $method; f64, f32, i64, i32);
    )*};
}

macro_rules! scalar_ops {
    ($trait:ident, $method:ident; $($t:ty),*) => {$(
        impl $trait<$t> for &Tensor {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: $t) -> Tensor { ok(Tensor::$method(self, rhs)) }
        }
        impl $trait<$t> for Tensor {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: $t) -> Tensor { ok(Tensor::$method(&self, rhs)) }
        }
        impl $trait<&Tensor> for $t {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: &Tensor) -> Tensor { ok(scalar_lhs(Scalar::from(self), rhs).and_then(|l| Tensor::$method(&l, rhs))) }
        }
        impl $trait<Tensor> for $t {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: Tensor) -> Tensor { ok(scalar_lhs(Scalar::from(self), &rhs).and_then(|l| Tensor::$method(&l, &rhs))) }
        }
    )*};
}

/// A number on the left: a 0-d tensor of the dtype that promotion gives it with `rhs`.
#[track_caller]
fn scalar_lhs(s: Scalar, rhs: &Tensor) -> crate::Result<Tensor> {
    let dtype = crate::result_type(&[crate::Operand::Scalar(s), rhs.operand()]);
    Tensor::full([], s, dtype, rhs.device())
}

tensor_ops! {
    Add, add;
    Sub, sub;
    Mul, mul;
    Div, div;
}

impl Neg for &Tensor {
    type Output = Tensor;
    #[track_caller]
    fn neg(self) -> Tensor {
        ok(Tensor::neg(self))
    }
}
impl Neg for Tensor {
    type Output = Tensor;
    #[track_caller]
    fn neg(self) -> Tensor {
        ok(Tensor::neg(&self))
    }
}
