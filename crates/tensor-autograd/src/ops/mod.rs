//! Differentiable ops on [`Var`], one file per family, each forward beside its backward.
//! Backward formulas are written with `Var` ops, so they are themselves differentiable.
//!
//! Broadcasting is undone in one place: [`Var::sum_to`] reduces a gradient to an input's shape
//! (and dtype), and every broadcasting op calls it.

mod attention;
mod binary;
mod conv;
mod index;
mod inplace;
mod matmul;
mod norm;
mod operators;
mod pool;
mod reduce;
mod unary;
mod views;

use crate::node::Var;
use tensor_core::{result_type, DType, Operand, Result, Scalar, Shape, Tensor};

/// The second operand of a binary op on a [`Var`]: another variable, a plain tensor (a
/// constant), or a number.
#[derive(Debug)]
pub enum VarRhs<'a> {
    /// A tracked variable.
    Var(&'a Var),
    /// A tensor that needs no gradient.
    Tensor(&'a Tensor),
    /// A number.
    Scalar(Scalar),
}

impl<'a> From<&'a Var> for VarRhs<'a> {
    fn from(v: &'a Var) -> Self {
        VarRhs::Var(v)
    }
}
impl<'a> From<&'a Tensor> for VarRhs<'a> {
    fn from(t: &'a Tensor) -> Self {
        VarRhs::Tensor(t)
    }
}
macro_rules! rhs_scalar {
    ($($t:ty),*) => {$(
        impl From<$t> for VarRhs<'_> {
            fn from(v: $t) -> Self { VarRhs::Scalar(Scalar::from(v)) }
        }
    )*};
}
rhs_scalar!(bool, i32, i64, usize, f32, f64);
impl From<Scalar> for VarRhs<'_> {
    fn from(s: Scalar) -> Self {
        VarRhs::Scalar(s)
    }
}

impl VarRhs<'_> {
    /// The operand as a variable. A number becomes a 0-d constant of the dtype it promotes to
    /// with `like` as a Python number does (`result_type(like, number)`), so that it neither
    /// loses precision (`f64_var * 0.1` is exact) nor promotes a 0-d operand (`f32_scalar * 2.0`
    /// stays float32).
    #[track_caller]
    pub(crate) fn into_var(self, like: &Tensor) -> Result<Var> {
        Ok(match self {
            VarRhs::Var(v) => v.clone(),
            VarRhs::Tensor(t) => Var::constant(t.shallow_clone()),
            VarRhs::Scalar(s) => {
                let dtype = result_type(&[like.operand(), Operand::Scalar(s)]);
                Var::constant(Tensor::full([], s, dtype, like.device())?)
            }
        })
    }
}

impl Var {
    /// Sums a gradient over the dims that broadcasting added or expanded, down to `shape`, and
    /// casts it to `dtype`: the single place where broadcast gradients are reduced.
    #[track_caller]
    pub fn sum_to(&self, shape: &Shape, dtype: DType) -> Result<Var> {
        let mut g = self.clone();
        if g.shape() != shape {
            let lead = g.dim() - shape.rank();
            let mut dims: Vec<isize> = (0..lead as isize).collect();
            for (i, &n) in shape.dims().iter().enumerate() {
                if n == 1 && g.size()[lead + i] != 1 {
                    dims.push((lead + i) as isize);
                }
            }
            if !dims.is_empty() {
                g = g.sum_dim(&dims, true)?;
            }
            g = g.reshape(&shape.dims().iter().map(|&d| d as isize).collect::<Vec<_>>())?;
        }
        if g.dtype() != dtype {
            g = g.to_dtype(dtype)?;
        }
        Ok(g)
    }
}
