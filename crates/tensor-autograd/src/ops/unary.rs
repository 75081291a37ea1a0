//! Unary elementwise ops. Each backward reads either the input or the output, whichever the
//! formula is cheaper in (`exp` uses its output, `log` its input), as PyTorch's formulas do.

use crate::node::Var;
use crate::var::Saved;
use tensor_core::backend::UnaryOp;
use tensor_core::{DType, Result, ResultExt, Scalar, Tensor};

/// Which value a unary backward reads.
#[derive(Clone, Copy)]
enum Uses {
    Input,
    Output,
    Nothing,
}

impl Var {
    #[track_caller]
    fn unary_op(
        &self,
        name: &'static str,
        forward: impl FnOnce(&Tensor) -> Result<Tensor>,
        uses: Uses,
        backward: impl Fn(&Var, &Var) -> Result<Var> + Send + Sync + 'static,
    ) -> Result<Var> {
        let value = forward(self.tensor_ref()).located()?;
        let saved = match uses {
            Uses::Input => vec![Saved::Var(self.clone())],
            Uses::Output => vec![Saved::Output],
            Uses::Nothing => vec![],
        };
        Ok(Var::record(value, name, &[self], saved, move |ctx| {
            let g = ctx.grad();
            let x = match uses {
                Uses::Nothing => g,
                _ => ctx.saved(0),
            };
            Ok(vec![Some(backward(g, x)?)])
        }))
    }

    /// An activation whose backward has a fused kernel ([`Tensor::unary_backward`]): one pass
    /// over the gradient, unless the backward is itself recorded (`create_graph`), where
    /// `composed` builds the same formula from differentiable ops for double backward.
    #[track_caller]
    fn activation(
        &self,
        name: &'static str,
        op: UnaryOp,
        composed: impl Fn(&Var, &Var) -> Result<Var> + Send + Sync + 'static,
    ) -> Result<Var> {
        let uses = if op.backward_uses_output() { Uses::Output } else { Uses::Input };
        self.unary_op(
            name,
            |t| t.unary(op),
            uses,
            move |g, saved| {
                if crate::is_grad_enabled() {
                    composed(g, saved)
                } else {
                    Ok(Var::constant(Tensor::unary_backward(g.tensor_ref(), saved.tensor_ref(), op)?))
                }
            },
        )
    }

    /// `-x`.
    #[track_caller]
    pub fn neg(&self) -> Result<Var> {
        self.unary_op("NegBackward0", |t| t.neg(), Uses::Nothing, |g, _| g.neg())
    }
    /// `|x|`.
    #[track_caller]
    pub fn abs(&self) -> Result<Var> {
        self.activation("AbsBackward0", UnaryOp::Abs, |g, x| g.mul(&x.tensor_ref().sign()?))
    }
    /// `e^x`.
    #[track_caller]
    pub fn exp(&self) -> Result<Var> {
        self.unary_op("ExpBackward0", |t| t.exp(), Uses::Output, |g, y| g.mul(y))
    }
    /// `2^x`.
    #[track_caller]
    pub fn exp2(&self) -> Result<Var> {
        self.unary_op("Exp2Backward0", |t| t.exp2(), Uses::Output, |g, y| g.mul(y)?.mul(std::f64::consts::LN_2))
    }
    /// Natural logarithm.
    #[track_caller]
    pub fn log(&self) -> Result<Var> {
        self.unary_op("LogBackward0", |t| t.log(), Uses::Input, |g, x| g.div(x))
    }
    /// Base-2 logarithm.
    #[track_caller]
    pub fn log2(&self) -> Result<Var> {
        self.unary_op("Log2Backward0", |t| t.log2(), Uses::Input, |g, x| g.div(&x.mul(std::f64::consts::LN_2)?))
    }
    /// `ln(1 + x)`.
    #[track_caller]
    pub fn log1p(&self) -> Result<Var> {
        self.unary_op("Log1PBackward0", |t| t.log1p(), Uses::Input, |g, x| g.div(&x.add(1.0)?))
    }
    /// `e^x - 1`.
    #[track_caller]
    pub fn expm1(&self) -> Result<Var> {
        self.unary_op("Expm1Backward0", |t| t.expm1(), Uses::Output, |g, y| g.mul(&y.add(1.0)?))
    }
    /// Square root.
    #[track_caller]
    pub fn sqrt(&self) -> Result<Var> {
        self.unary_op("SqrtBackward0", |t| t.sqrt(), Uses::Output, |g, y| g.div(&y.mul(2.0)?))
    }
    /// `1 / sqrt(x)`.
    #[track_caller]
    pub fn rsqrt(&self) -> Result<Var> {
        self.unary_op("RsqrtBackward0", |t| t.rsqrt(), Uses::Output, |g, y| g.mul(&y.pow(3.0)?)?.mul(-0.5))
    }
    /// Sine.
    #[track_caller]
    pub fn sin(&self) -> Result<Var> {
        self.unary_op("SinBackward0", |t| t.sin(), Uses::Input, |g, x| g.mul(&x.cos()?))
    }
    /// Cosine.
    #[track_caller]
    pub fn cos(&self) -> Result<Var> {
        self.unary_op("CosBackward0", |t| t.cos(), Uses::Input, |g, x| g.mul(&x.sin()?)?.neg())
    }
    /// Tangent.
    #[track_caller]
    pub fn tan(&self) -> Result<Var> {
        self.unary_op("TanBackward0", |t| t.tan(), Uses::Output, |g, y| g.mul(&y.mul(y)?.add(1.0)?))
    }
    /// Hyperbolic tangent.
    #[track_caller]
    pub fn tanh(&self) -> Result<Var> {
        self.activation("TanhBackward0", UnaryOp::Tanh, |g, y| g.mul(&y.mul(y)?.neg()?.add(1.0)?))
    }
    /// Logistic sigmoid.
    #[track_caller]
    pub fn sigmoid(&self) -> Result<Var> {
        self.activation("SigmoidBackward0", UnaryOp::Sigmoid, |g, y| g.mul(&y.mul(&y.neg()?.add(1.0)?)?))
    }
    /// `max(x, 0)`.
    #[track_caller]
    pub fn relu(&self) -> Result<Var> {
        self.activation("ReluBackward0", UnaryOp::Relu, |g, y| mask_grad(g, &y.tensor_ref().le(0.0)?.logical_not()?))
    }
    /// `x` where positive, else `slope * x`.
    #[track_caller]
    pub fn leaky_relu(&self, slope: f64) -> Result<Var> {
        self.activation("LeakyReluBackward0", UnaryOp::LeakyRelu { slope }, move |g, x| {
            let pos = x.tensor_ref().gt(0.0)?;
            let factor = Tensor::full([], slope, g.dtype(), g.device())?.where_(&pos.logical_not()?, 1.0)?;
            g.mul(&factor)
        })
    }
    /// GELU (exact, or the tanh approximation).
    #[track_caller]
    pub fn gelu(&self, tanh_approximation: bool) -> Result<Var> {
        if tanh_approximation {
            return self.activation("GeluBackward0", UnaryOp::GeluTanh, |g, x| {
                // sig + x sig (1 - sig) v', sig = sigmoid(v), v = 2 sqrt(2/pi) (x + 0.044715 x^3):
                // 0.5 x (1 + tanh(v / 2)) is x sigmoid(v).
                let k = 2.0 * (2.0 / std::f64::consts::PI).sqrt();
                let x2 = x.mul(x)?;
                let sig = x.add(&x2.mul(x)?.mul(0.044715)?)?.mul(k)?.sigmoid()?;
                let dv = x2.mul(3.0 * 0.044715)?.add(1.0)?.mul(k)?;
                g.mul(&sig.add(&x.mul(&sig)?.mul(&sig.neg()?.add(1.0)?)?.mul(&dv)?)?)
            });
        }
        self.activation("GeluBackward0", UnaryOp::Gelu, |g, x| {
            // d/dx x Φ(x) = Φ(x) + x φ(x)
            let cdf = x.div(std::f64::consts::SQRT_2)?.erf()?.add(1.0)?.mul(0.5)?;
            let pdf = x.mul(x)?.mul(-0.5)?.exp()?.mul(1.0 / (2.0 * std::f64::consts::PI).sqrt())?;
            g.mul(&cdf.add(&x.mul(&pdf)?)?)
        })
    }
    /// `x * sigmoid(x)`.
    #[track_caller]
    pub fn silu(&self) -> Result<Var> {
        self.activation("SiluBackward0", UnaryOp::Silu, |g, x| {
            let s = x.sigmoid()?;
            g.mul(&s.mul(&x.mul(&s.neg()?.add(1.0)?)?.add(1.0)?)?)
        })
    }
    /// `log(1 + exp(beta x)) / beta`, linear past `threshold`.
    #[track_caller]
    pub fn softplus(&self, beta: f64, threshold: f64) -> Result<Var> {
        self.activation("SoftplusBackward0", UnaryOp::Softplus { beta, threshold }, move |g, x| {
            let bx = x.mul(beta)?;
            let linear = bx.tensor_ref().gt(threshold)?;
            let s = bx.sigmoid()?.masked_fill(&linear, 1.0)?;
            g.mul(&s)
        })
    }
    /// `1 / x`.
    #[track_caller]
    pub fn reciprocal(&self) -> Result<Var> {
        self.unary_op("ReciprocalBackward0", |t| t.reciprocal(), Uses::Output, |g, y| g.mul(&y.mul(y)?)?.neg())
    }
    /// `x * x`.
    #[track_caller]
    pub fn square(&self) -> Result<Var> {
        self.pow(2.0)
    }
    /// `x ** e` for a nonzero number `e` ([`pow`](Var::pow) with a number): tensor-core's
    /// scalar kernel (`x * x` for 2), and the gradient `e * x ** (e - 1)` with a number exponent
    /// too, as PyTorch's `pow_backward`, instead of a broadcast tensor of `e`.
    #[track_caller]
    pub(crate) fn pow_scalar(&self, e: Scalar) -> Result<Var> {
        let ef = e.to_f64();
        self.unary_op("PowBackward0", |t| t.pow(e), Uses::Input, move |g, x| g.mul(&x.pow(ef - 1.0)?.mul(ef)?))
    }
    /// The error function.
    #[track_caller]
    pub fn erf(&self) -> Result<Var> {
        self.activation("ErfBackward0", UnaryOp::Erf, |g, x| {
            g.mul(&x.mul(x)?.neg()?.exp()?.mul(2.0 / std::f64::consts::PI.sqrt())?)
        })
    }
    /// Limits to `[min, max]`; the gradient passes where the input is inside.
    #[track_caller]
    pub fn clamp(&self, min: Option<f64>, max: Option<f64>) -> Result<Var> {
        self.unary_op(
            "ClampBackward1",
            |t| t.clamp(min, max),
            Uses::Input,
            move |g, x| {
                let t = x.tensor_ref();
                let mut keep = t.eq(t)?; // true except NaN
                if let Some(lo) = min {
                    keep = keep.logical_and(&t.ge(lo)?)?;
                }
                if let Some(hi) = max {
                    keep = keep.logical_and(&t.le(hi)?)?;
                }
                mask_grad(g, &keep)
            },
        )
    }
    /// `-1, 0, 1` by sign (zero gradient).
    #[track_caller]
    pub fn sign(&self) -> Result<Var> {
        self.unary_op("SignBackward0", |t| t.sign(), Uses::Nothing, |g, _| g.mul(0.0))
    }
    /// Rounds down (zero gradient).
    #[track_caller]
    pub fn floor(&self) -> Result<Var> {
        self.unary_op("FloorBackward0", |t| t.floor(), Uses::Nothing, |g, _| g.mul(0.0))
    }
    /// Rounds up (zero gradient).
    #[track_caller]
    pub fn ceil(&self) -> Result<Var> {
        self.unary_op("CeilBackward0", |t| t.ceil(), Uses::Nothing, |g, _| g.mul(0.0))
    }
    /// Rounds half to even (zero gradient).
    #[track_caller]
    pub fn round(&self) -> Result<Var> {
        self.unary_op("RoundBackward0", |t| t.round(), Uses::Nothing, |g, _| g.mul(0.0))
    }
    /// Rounds toward zero (zero gradient).
    #[track_caller]
    pub fn trunc(&self) -> Result<Var> {
        self.unary_op("TruncBackward0", |t| t.trunc(), Uses::Nothing, |g, _| g.mul(0.0))
    }
    /// The values in another dtype; the gradient is cast back, as `x.to(dtype)`.
    #[track_caller]
    pub fn to_dtype(&self, dtype: DType) -> Result<Var> {
        if dtype == self.dtype() {
            return Ok(self.clone());
        }
        let from = self.dtype();
        self.unary_op("ToCopyBackward0", |t| t.to_dtype(dtype), Uses::Nothing, move |g, _| g.to_dtype(from))
    }
}

/// `g` where `keep` is true, zero elsewhere (even where `g` is not finite, as PyTorch's
/// `threshold_backward`): one pass over `g`, where multiplying by `keep` as a float mask took
/// two (the cast, then the product).
#[track_caller]
fn mask_grad(g: &Var, keep: &Tensor) -> Result<Var> {
    g.where_(keep, 0.0)
}
