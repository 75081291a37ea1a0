//! Unary elementwise ops: `x.exp()`, the in-place `x.exp_()`, and `Tensor::exp_out(&x, &mut out)`
//! for each; tests (`isnan`, ...) that give Bool. Ops that need floats turn integer inputs into
//! the default float dtype, as PyTorch's `torch.exp(int_tensor)` does.

pub(crate) mod backend;
pub(crate) mod cpu;
mod grad;

use crate::backend::{TestOp, UnaryOp};
use crate::{bail, DType, Result, ResultExt, Tensor, DEFAULT_FLOAT};

impl Tensor {
    /// Applies `op` elementwise into a new tensor.
    #[track_caller]
    pub fn unary(&self, op: UnaryOp) -> Result<Tensor> {
        let x = if op.needs_float() && !self.is_floating_point() {
            self.to_dtype(DEFAULT_FLOAT)?
        } else {
            self.shallow_clone()
        };
        let s = x.read("unary")?.unary(x.layout(), op)?;
        Ok(Tensor::from_op(s, x.shape(), x.device()))
    }
    /// Applies `op` elementwise in place.
    #[track_caller]
    pub fn unary_(&mut self, op: UnaryOp) -> Result<()> {
        if op.needs_float() && !self.is_floating_point() {
            bail!(
                DType,
                "unary_",
                "result type {} can't be cast to the desired output type {} ({:?} in place)",
                DEFAULT_FLOAT,
                self.dtype(),
                op
            );
        }
        self.check_writable("unary_")?;
        self.write("unary_inplace")?.unary_inplace(self.layout(), op)
    }
    /// Applies `op` elementwise from `src` into `out`, in `out`'s dtype. As every `out` form:
    /// an `out` of another shape (or device) is replaced by a new tensor, as PyTorch resizes it.
    #[track_caller]
    pub fn unary_out(src: &Tensor, op: UnaryOp, out: &mut Tensor) -> Result<()> {
        // Refuse before writing anything: a float result never goes into an integer `out`.
        let result = if op.needs_float() { src.dtype().to_float() } else { src.dtype() };
        if !crate::ops::binary::can_cast(result, out.dtype()) {
            bail!(
                DType,
                "unary_out",
                "result type {} can't be cast to the desired output type {} ({:?})",
                result,
                out.dtype(),
                op
            );
        }
        if out.shape() != src.shape() || out.device() != src.device() {
            let mut r = src.to_dtype(out.dtype())?.detached_copy_if_shared(src)?;
            r.unary_(op)?;
            *out = r;
            return Ok(());
        }
        out.copy_(src)?;
        out.unary_(op)
    }
    #[track_caller]
    fn test(&self, op: TestOp) -> Result<Tensor> {
        let s = self.read("test")?.test(self.layout(), op)?;
        Ok(Tensor::from_op(s, self.shape(), self.device()))
    }
    /// True where the element is NaN.
    #[track_caller]
    pub fn isnan(&self) -> Result<Tensor> {
        self.test(TestOp::IsNan)
    }
    /// True where the element is ±inf.
    #[track_caller]
    pub fn isinf(&self) -> Result<Tensor> {
        self.test(TestOp::IsInf)
    }
    /// True where the element is finite.
    #[track_caller]
    pub fn isfinite(&self) -> Result<Tensor> {
        self.test(TestOp::IsFinite)
    }
    /// True where the element is zero (false), as `torch.logical_not`.
    #[track_caller]
    pub fn logical_not(&self) -> Result<Tensor> {
        self.test(TestOp::IsZero)
    }
    /// Limits every element to `[min, max]` (either bound optional), as `torch.clamp`.
    #[track_caller]
    pub fn clamp(&self, min: Option<f64>, max: Option<f64>) -> Result<Tensor> {
        self.unary(UnaryOp::Clamp { min, max })
    }
    /// In-place [`clamp`](Self::clamp).
    #[track_caller]
    pub fn clamp_(&mut self, min: Option<f64>, max: Option<f64>) -> Result<()> {
        self.unary_(UnaryOp::Clamp { min, max })
    }
    /// `log(1 + exp(beta * x)) / beta`, linear past `threshold`, as `F.softplus`.
    #[track_caller]
    pub fn softplus(&self, beta: f64, threshold: f64) -> Result<Tensor> {
        self.unary(UnaryOp::Softplus { beta, threshold })
    }
    /// `x` where positive, else `slope * x`, as `F.leaky_relu`.
    #[track_caller]
    pub fn leaky_relu(&self, slope: f64) -> Result<Tensor> {
        self.unary(UnaryOp::LeakyRelu { slope })
    }
    /// Replaces NaN and ±inf, as `torch.nan_to_num` (defaults: 0, the dtype's max and min).
    #[track_caller]
    pub fn nan_to_num(&self, nan: Option<f64>, posinf: Option<f64>, neginf: Option<f64>) -> Result<Tensor> {
        let big = match self.dtype() {
            DType::F16 => half::f16::MAX.to_f64(),
            DType::BF16 => half::bf16::MAX.to_f64(),
            DType::F32 => f32::MAX as f64,
            _ => f64::MAX,
        };
        self.unary(UnaryOp::NanToNum {
            nan: nan.unwrap_or(0.0),
            posinf: posinf.unwrap_or(big),
            neginf: neginf.unwrap_or(-big),
        })
    }
    /// GELU, exact (`approximate="none"`) or with the tanh approximation.
    #[track_caller]
    pub fn gelu(&self, tanh_approximation: bool) -> Result<Tensor> {
        self.unary(if tanh_approximation { UnaryOp::GeluTanh } else { UnaryOp::Gelu })
    }
}

macro_rules! unary_methods {
    ($($name:ident, $name_:ident, $out:ident => $op:ident: $doc:literal;)*) => {
        impl Tensor {$(
            #[doc = $doc]
            #[track_caller]
            pub fn $name(&self) -> Result<Tensor> {
                self.unary(UnaryOp::$op)
            }
            #[doc = concat!("In-place `", stringify!($name), "`.")]
            #[track_caller]
            pub fn $name_(&mut self) -> Result<()> {
                self.unary_(UnaryOp::$op).in_op(stringify!($name_))
            }
            #[doc = concat!("`", stringify!($name), "` of `src` written into `out`.")]
            #[track_caller]
            pub fn $out(src: &Tensor, out: &mut Tensor) -> Result<()> {
                Tensor::unary_out(src, UnaryOp::$op, out)
            }
        )*}
    };
}

unary_methods! {
    neg, neg_, neg_out => Neg: "`-x`.";
    abs, abs_, abs_out => Abs: "`|x|`.";
    sign, sign_, sign_out => Sign: "-1, 0 or 1 by the sign of `x`.";
    exp, exp_, exp_out => Exp: "`e^x`.";
    exp2, exp2_, exp2_out => Exp2: "`2^x`.";
    log, log_, log_out => Log: "Natural logarithm.";
    log2, log2_, log2_out => Log2: "Base-2 logarithm.";
    log1p, log1p_, log1p_out => Log1p: "`ln(1 + x)`, accurate near 0.";
    expm1, expm1_, expm1_out => Expm1: "`e^x - 1`, accurate near 0.";
    sqrt, sqrt_, sqrt_out => Sqrt: "Square root.";
    rsqrt, rsqrt_, rsqrt_out => Rsqrt: "`1 / sqrt(x)`.";
    sin, sin_, sin_out => Sin: "Sine.";
    cos, cos_, cos_out => Cos: "Cosine.";
    tan, tan_, tan_out => Tan: "Tangent.";
    tanh, tanh_, tanh_out => Tanh: "Hyperbolic tangent.";
    sigmoid, sigmoid_, sigmoid_out => Sigmoid: "`1 / (1 + e^-x)`.";
    relu, relu_, relu_out => Relu: "`max(x, 0)`.";
    silu, silu_, silu_out => Silu: "`x * sigmoid(x)`.";
    floor, floor_, floor_out => Floor: "Rounds down.";
    ceil, ceil_, ceil_out => Ceil: "Rounds up.";
    round, round_, round_out => Round: "Rounds half to even, as `torch.round`.";
    trunc, trunc_, trunc_out => Trunc: "Rounds toward zero.";
    reciprocal, reciprocal_, reciprocal_out => Reciprocal: "`1 / x`.";
    square, square_, square_out => Square: "`x * x`.";
    erf, erf_, erf_out => Erf: "The error function.";
}
