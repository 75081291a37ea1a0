//! [`Rhs`]: the second operand of a binary op, a tensor or a Rust number, so that `x.add(&y)`
//! and `x.add(2.0)` are the same method, as in PyTorch.

use crate::{Operand, Result, Scalar, Tensor};

/// A tensor or a scalar operand.
#[derive(Debug)]
pub enum Rhs<'a> {
    /// A tensor (broadcast against the other operand).
    Tensor(&'a Tensor),
    /// A number; it takes part in type promotion as a Python scalar does.
    Scalar(Scalar),
}

impl<'a> From<&'a Tensor> for Rhs<'a> {
    fn from(t: &'a Tensor) -> Self {
        Rhs::Tensor(t)
    }
}

macro_rules! rhs_from_scalar {
    ($($t:ty),*) => {$(
        impl From<$t> for Rhs<'_> {
            fn from(v: $t) -> Self { Rhs::Scalar(Scalar::from(v)) }
        }
    )*};
}
rhs_from_scalar!(bool, i8, i16, i32, i64, u8, u16, u32, usize, isize, f32, f64, half::f16, half::bf16);
impl From<Scalar> for Rhs<'_> {
    fn from(s: Scalar) -> Self {
        Rhs::Scalar(s)
    }
}

impl Rhs<'_> {
    /// This operand's tier in type promotion.
    pub fn operand(&self) -> Operand {
        match self {
            Rhs::Tensor(t) if t.dim() == 0 => Operand::ZeroDim(t.dtype()),
            Rhs::Tensor(t) => Operand::Tensor(t.dtype()),
            Rhs::Scalar(s) => Operand::Scalar(*s),
        }
    }
    /// The operand as a tensor of `dtype` on `like`'s device (a scalar becomes a 0-d tensor).
    #[track_caller]
    pub(crate) fn to_tensor(&self, like: &Tensor, dtype: crate::DType) -> Result<Tensor> {
        match self {
            Rhs::Tensor(t) => t.to_dtype(dtype),
            Rhs::Scalar(s) => Tensor::full([], *s, dtype, like.device()),
        }
    }
}

impl Tensor {
    /// This tensor's tier in type promotion.
    pub fn operand(&self) -> Operand {
        Rhs::Tensor(self).operand()
    }
}
