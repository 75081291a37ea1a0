//! Activations and the softmax family, as `torch.nn.functional`'s: the `Var` ops where
//! tensor-autograd has them (one recorded op each), and compositions of `Var` ops (so
//! `create_graph` works) for the rest, with PyTorch's gradients at the kinks.

use tensor_autograd::Var;
use tensor_core::shape::normalize_dim;
use tensor_core::{bail, Result};

/// `max(x, 0)`, as `F.relu`.
#[track_caller]
pub fn relu(x: &Var) -> Result<Var> {
    x.relu()
}

/// `min(max(x, 0), 6)`, as `F.relu6` (`hardtanh(x, 0, 6)`).
#[track_caller]
pub fn relu6(x: &Var) -> Result<Var> {
    hardtanh(x, HardtanhOptions { min_val: 0.0, max_val: 6.0 })
}

/// The bounds of [`hardtanh`], with PyTorch's defaults (-1, 1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HardtanhOptions {
    /// The lower bound (-1).
    pub min_val: f64,
    /// The upper bound (1).
    pub max_val: f64,
}

impl Default for HardtanhOptions {
    fn default() -> Self {
        HardtanhOptions { min_val: -1.0, max_val: 1.0 }
    }
}

/// `x` clamped to `[min_val, max_val]`, as `F.hardtanh`; as PyTorch, the gradient passes only
/// strictly inside the bounds (zero at them).
#[track_caller]
pub fn hardtanh(x: &Var, opts: HardtanhOptions) -> Result<Var> {
    if opts.max_val < opts.min_val {
        bail!(Value, "hardtanh", "min_val cannot be greater than max_val (got {} and {})", opts.min_val, opts.max_val);
    }
    let t = x.tensor_ref();
    let inside = t.gt(opts.min_val)?.logical_and(&t.lt(opts.max_val)?)?;
    let clamped = t.clamp(Some(opts.min_val), Some(opts.max_val))?;
    x.where_(&inside, &clamped)
}

/// `x` where positive, else `alpha (exp(x) - 1)`, as `F.elu(x, alpha)` (PyTorch's default
/// alpha is 1).
#[track_caller]
pub fn elu(x: &Var, alpha: f64) -> Result<Var> {
    let negative = x.clamp(None, Some(0.0))?.expm1()?.mul(alpha)?;
    x.where_(&x.tensor_ref().gt(0.0)?, &negative)
}

/// `scale · elu(x, alpha)` with the self-normalising constants, as `F.selu`.
#[track_caller]
pub fn selu(x: &Var) -> Result<Var> {
    const ALPHA: f64 = 1.673_263_242_354_377_3;
    const SCALE: f64 = 1.050_700_987_355_480_5;
    elu(x, ALPHA)?.mul(SCALE)
}

/// `x` where positive, else `alpha (exp(x / alpha) - 1)`, as `F.celu(x, alpha)` (PyTorch's
/// default alpha is 1).
#[track_caller]
pub fn celu(x: &Var, alpha: f64) -> Result<Var> {
    if alpha == 0.0 {
        bail!(Value, "celu", "ZeroDivisionError: alpha cannot be 0 for CELU");
    }
    let negative = x.clamp(None, Some(0.0))?.div(alpha)?.expm1()?.mul(alpha)?;
    x.where_(&x.tensor_ref().gt(0.0)?, &negative)
}

/// How [`gelu`] computes `Φ(x)`, as `approximate=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GeluApproximate {
    /// The exact normal CDF (`approximate="none"`, the default).
    #[default]
    None,
    /// The tanh approximation (`approximate="tanh"`).
    Tanh,
}

/// `x Φ(x)`, as `F.gelu(x, approximate=)`.
#[track_caller]
pub fn gelu(x: &Var, approximate: GeluApproximate) -> Result<Var> {
    x.gelu(approximate == GeluApproximate::Tanh)
}

/// `x * sigmoid(x)`, as `F.silu`.
#[track_caller]
pub fn silu(x: &Var) -> Result<Var> {
    x.silu()
}

/// `x tanh(softplus(x))`, as `F.mish`.
#[track_caller]
pub fn mish(x: &Var) -> Result<Var> {
    x.mul(&x.softplus(1.0, 20.0)?.tanh()?)
}

/// `x · clamp((x + 3) / 6, 0, 1)`, as `F.hardswish`; as PyTorch, the gradient is `x / 3 + 1/2`
/// strictly inside `(-3, 3)`, 0 at and below -3 and 1 at and above 3.
#[track_caller]
pub fn hardswish(x: &Var) -> Result<Var> {
    let t = x.tensor_ref();
    let inside = t.gt(-3.0)?.logical_and(&t.lt(3.0)?)?;
    // Outside, relu(x) is hardswish's value (0 or x) and its gradient (0 or 1).
    x.mul(&x.div(6.0)?.add(0.5)?)?.where_(&inside, &x.relu()?)
}

/// `clamp(x / 6 + 1/2, 0, 1)`, as `F.hardsigmoid`; the gradient is `1/6` strictly inside
/// `(-3, 3)`, as PyTorch.
#[track_caller]
pub fn hardsigmoid(x: &Var) -> Result<Var> {
    let t = x.tensor_ref();
    let inside = t.gt(-3.0)?.logical_and(&t.lt(3.0)?)?;
    let clamped = t.div(6.0)?.add(0.5)?.clamp(Some(0.0), Some(1.0))?;
    x.div(6.0)?.add(0.5)?.where_(&inside, &clamped)
}

/// The options of [`softplus`], with PyTorch's defaults (beta 1, threshold 20).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SoftplusOptions {
    /// The sharpness (1).
    pub beta: f64,
    /// Past `beta x > threshold` the result is `x` (20).
    pub threshold: f64,
}

impl Default for SoftplusOptions {
    fn default() -> Self {
        SoftplusOptions { beta: 1.0, threshold: 20.0 }
    }
}

/// `log(1 + exp(beta x)) / beta`, linear past `threshold`, as `F.softplus`.
#[track_caller]
pub fn softplus(x: &Var, opts: SoftplusOptions) -> Result<Var> {
    x.softplus(opts.beta, opts.threshold)
}

/// `x / (1 + |x|)`, as `F.softsign`.
#[track_caller]
pub fn softsign(x: &Var) -> Result<Var> {
    x.div(&x.abs()?.add(1.0)?)
}

/// `x` where positive, else `negative_slope * x`, as `F.leaky_relu(x, negative_slope)`
/// (PyTorch's default slope is 0.01).
#[track_caller]
pub fn leaky_relu(x: &Var, negative_slope: f64) -> Result<Var> {
    x.leaky_relu(negative_slope)
}

/// `log(sigmoid(x)) = -softplus(-x)`, as `F.logsigmoid` (for `x < -20` the result is `x`,
/// within `exp(x)` of the exact value).
#[track_caller]
pub fn logsigmoid(x: &Var) -> Result<Var> {
    x.neg()?.softplus(1.0, 20.0)?.neg()
}

/// Hyperbolic tangent, as `F.tanh`.
#[track_caller]
pub fn tanh(x: &Var) -> Result<Var> {
    x.tanh()
}

/// Logistic sigmoid, as `F.sigmoid`.
#[track_caller]
pub fn sigmoid(x: &Var) -> Result<Var> {
    x.sigmoid()
}

/// `x - tanh(x)`, as `F.tanhshrink`.
#[track_caller]
pub fn tanhshrink(x: &Var) -> Result<Var> {
    x.sub(&x.tanh()?)
}

/// `x - lambd` above `lambd`, `x + lambd` below `-lambd`, else 0, as `F.softshrink(x, lambd)`
/// (PyTorch's default lambd is 0.5).
#[track_caller]
pub fn softshrink(x: &Var, lambd: f64) -> Result<Var> {
    if lambd < 0.0 {
        bail!(Value, "softshrink", "lambda must be greater or equal to 0, but found to be {lambd}");
    }
    x.sub(&x.clamp(Some(-lambd), Some(lambd))?)
}

/// `x` where `|x| > lambd`, else 0, as `F.hardshrink(x, lambd)` (PyTorch's default lambd is
/// 0.5).
#[track_caller]
pub fn hardshrink(x: &Var, lambd: f64) -> Result<Var> {
    let t = x.tensor_ref();
    let keep = t.lt(-lambd)?.logical_or(&t.gt(lambd)?)?;
    x.mul(&keep.to_dtype(x.dtype())?)
}

/// `x` where `x > threshold`, else `value`, as `F.threshold(x, threshold, value)`.
#[track_caller]
pub fn threshold(x: &Var, threshold: f64, value: f64) -> Result<Var> {
    x.where_(&x.tensor_ref().gt(threshold)?, value)
}

/// The gated linear unit `a · sigmoid(b)`, `a` and `b` the halves of `x` along `dim`, as
/// `F.glu(x, dim)` (PyTorch's default dim is -1).
#[track_caller]
pub fn glu(x: &Var, dim: isize) -> Result<Var> {
    if x.dim() == 0 {
        bail!(Shape, "glu", "glu does not support scalars because halving size must be even");
    }
    let d = normalize_dim("glu", dim, x.dim())?;
    let n = x.size()[d];
    if !n.is_multiple_of(2) {
        bail!(Shape, "glu", "Halving dimension must be even, but dimension {d} is size {n}");
    }
    let halves = x.chunk(2, dim)?;
    halves[0].mul(&halves[1].sigmoid()?)
}

/// `x` where positive, else `weight · x`, as `F.prelu(x, weight)`: `weight` holds one slope,
/// or one per channel (dim 1 of `x`).
#[track_caller]
pub fn prelu(x: &Var, weight: &Var) -> Result<Var> {
    let channels = if x.dim() >= 2 { x.size()[1] } else { 1 };
    if weight.dim() > 1 || (weight.numel() != 1 && weight.numel() != channels) {
        bail!(
            Shape,
            "prelu",
            "Mismatch of parameter numbers and input channel size. Found parameter numbers = {} and channel size = {} (weight {:?}, input {:?})",
            weight.numel(),
            channels,
            weight.shape(),
            x.shape()
        );
    }
    let w = if weight.numel() == 1 || x.dim() < 2 {
        weight.reshape(&[])?
    } else {
        let mut view = vec![1isize; x.dim()];
        view[1] = channels as isize;
        weight.reshape(&view)?
    };
    x.where_(&x.tensor_ref().gt(0.0)?, &x.mul(&w)?)
}

/// Softmax along `dim`, as `F.softmax(x, dim)`.
#[track_caller]
pub fn softmax(x: &Var, dim: isize) -> Result<Var> {
    x.softmax(dim)
}

/// Log-softmax along `dim`, as `F.log_softmax(x, dim)`.
#[track_caller]
pub fn log_softmax(x: &Var, dim: isize) -> Result<Var> {
    x.log_softmax(dim)
}

/// `softmax(-x)` along `dim`, as `F.softmin(x, dim)`.
#[track_caller]
pub fn softmin(x: &Var, dim: isize) -> Result<Var> {
    x.neg()?.softmax(dim)
}
