//! The unary family's backend trait, [`UnaryOps`], and its op descriptors: what a storage of any
//! device implements to run elementwise ops on one tensor and elementwise tests. The CPU's impl is in `cpu.rs` beside this file; a
//! device crate implements it for its own storage (tensor-cuda: `src/ops/unary.rs`).

use crate::backend::base::{unsupported_default, StorageBase};

use crate::{Layout, Result};

/// An elementwise op on one tensor whose result has the input's dtype.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum UnaryOp {
    /// `-x` (wrapping for integers).
    Neg,
    /// `|x|`.
    Abs,
    /// -1, 0 or 1 (+0.0 for NaN and -0.0, as PyTorch).
    Sign,
    /// `e^x`.
    Exp,
    /// `2^x`.
    Exp2,
    /// Natural logarithm.
    Log,
    /// Base-2 logarithm.
    Log2,
    /// `ln(1 + x)`, accurate near 0.
    Log1p,
    /// `e^x - 1`, accurate near 0.
    Expm1,
    /// Square root.
    Sqrt,
    /// `1 / sqrt(x)`.
    Rsqrt,
    /// Sine.
    Sin,
    /// Cosine.
    Cos,
    /// Tangent.
    Tan,
    /// Hyperbolic tangent.
    Tanh,
    /// `1 / (1 + e^-x)`.
    Sigmoid,
    /// `max(x, 0)`, keeping NaN.
    Relu,
    /// Exact GELU, `x * Φ(x)`.
    Gelu,
    /// GELU's tanh approximation.
    GeluTanh,
    /// `x * sigmoid(x)`.
    Silu,
    /// `ln(1 + e^(beta x)) / beta`, and `x` itself where `beta x > threshold`.
    Softplus {
        /// The sharpness.
        beta: f64,
        /// Above this `beta x`, the identity.
        threshold: f64,
    },
    /// Round down.
    Floor,
    /// Round up.
    Ceil,
    /// Round half to even, as `torch.round`.
    Round,
    /// Round toward zero.
    Trunc,
    /// `1 / x`.
    Reciprocal,
    /// `x * x`.
    Square,
    /// The error function.
    Erf,
    /// `x` limited to `[min, max]` (either bound may be absent).
    Clamp {
        /// The lower bound.
        min: Option<f64>,
        /// The upper bound.
        max: Option<f64>,
    },
    /// NaN, +inf and -inf replaced by the given values.
    NanToNum {
        /// What NaN becomes.
        nan: f64,
        /// What +inf becomes.
        posinf: f64,
        /// What -inf becomes.
        neginf: f64,
    },
    /// `x` where positive, else `slope * x`.
    LeakyRelu {
        /// The negative slope.
        slope: f64,
    },
}

impl UnaryOp {
    /// True when the op needs a float input (an integer input is cast to the default float).
    pub fn needs_float(self) -> bool {
        !matches!(
            self,
            UnaryOp::Neg
                | UnaryOp::Abs
                | UnaryOp::Sign
                | UnaryOp::Relu
                | UnaryOp::Square
                | UnaryOp::Clamp { .. }
                | UnaryOp::Floor
                | UnaryOp::Ceil
                | UnaryOp::Round
                | UnaryOp::Trunc
                | UnaryOp::NanToNum { .. }
        )
    }
}

impl UnaryOp {
    /// True for the ops whose gradient has a fused kernel, [`Tensor::unary_backward`]: the
    /// activations (tanh, sigmoid, ReLU, leaky ReLU, GELU both ways, SiLU, softplus), erf and
    /// abs.
    ///
    /// [`Tensor::unary_backward`]: crate::Tensor::unary_backward
    pub fn has_fused_backward(self) -> bool {
        matches!(
            self,
            UnaryOp::Tanh
                | UnaryOp::Sigmoid
                | UnaryOp::Relu
                | UnaryOp::LeakyRelu { .. }
                | UnaryOp::Gelu
                | UnaryOp::GeluTanh
                | UnaryOp::Silu
                | UnaryOp::Softplus { .. }
                | UnaryOp::Erf
                | UnaryOp::Abs
        )
    }
    /// True where the fused gradient reads the op's output (tanh, sigmoid, ReLU, as PyTorch's
    /// formulas), false where it reads the input.
    pub fn backward_uses_output(self) -> bool {
        matches!(self, UnaryOp::Tanh | UnaryOp::Sigmoid | UnaryOp::Relu)
    }
}

/// An elementwise test whose result is Bool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestOp {
    /// `x != x`.
    IsNan,
    /// `x` is +inf or -inf.
    IsInf,
    /// Neither NaN nor infinite.
    IsFinite,
    /// `x == 0`, as `logical_not`.
    IsZero,
}

/// The unary ops of a storage. `S` is the storage handle the ops take and return (tensor-core's
/// [`Storage`](crate::backend::Storage)); every method defaults to an `Unsupported` error (or
/// `None` where tensor-core has a fallback), so a backend grows op by op.
#[allow(clippy::too_many_arguments)]
pub trait UnaryOps<S>: StorageBase {
    /// `op(self[layout])` as a new storage.
    #[track_caller]
    fn unary(&self, layout: &Layout, op: UnaryOp) -> Result<S> {
        unsupported_default!(self, "unary", layout, op)
    }
    /// `self[layout] = op(self[layout])`.
    #[track_caller]
    fn unary_inplace(&mut self, layout: &Layout, op: UnaryOp) -> Result<()> {
        unsupported_default!(self, "unary_inplace", layout, op)
    }
    /// `self[layout] * op'(saved[saved_layout])`, one fused pass: the gradient of `op` from the
    /// upstream gradient `self` and `saved`, which is `op`'s output where
    /// [`UnaryOp::backward_uses_output`] says so, else its input (same shape, same dtype).
    /// `None` where the backend has no such kernel: tensor-core then composes it from other ops.
    fn unary_backward(&self, layout: &Layout, saved: &S, saved_layout: &Layout, op: UnaryOp) -> Option<Result<S>> {
        let _ = (layout, saved, saved_layout, op);
        None
    }
    /// `test(self[layout])` as a new Bool storage.
    #[track_caller]
    fn test(&self, layout: &Layout, op: TestOp) -> Result<S> {
        unsupported_default!(self, "test", layout, op)
    }
}
