//! The gradients of the activations in one pass, `Tensor::unary_backward` (PyTorch's
//! `tanh_backward`, `gelu_backward`, `threshold_backward`, ...): what autograd's backward of
//! these ops calls. A backend without the fused kernel gets the same formula composed from
//! other ops here, which the tests also hold the fused kernels to.

use crate::backend::UnaryOp;
use crate::{bail, Result, Tensor};

impl Tensor {
    /// `grad * op'(..)` elementwise in one pass, where `saved` is `op`'s output if
    /// [`UnaryOp::backward_uses_output`], else its input; for the ops of
    /// [`UnaryOp::has_fused_backward`]. `grad` and `saved` have one shape and one float dtype.
    ///
    /// ```
    /// use tensor_core::{backend::UnaryOp, Tensor};
    /// let x = Tensor::from_vec(vec![-1.0f32, 0.5, 2.0], [3])?;
    /// let y = x.tanh()?;
    /// let g = Tensor::ones([3], tensor_core::DType::F32, &tensor_core::Device::Cpu)?;
    /// let dx = Tensor::unary_backward(&g, &y, UnaryOp::Tanh)?; // 1 - tanh(x)^2
    /// assert!((dx.to_vec::<f32>()?[1] - (1.0 - 0.5f32.tanh().powi(2))).abs() < 1e-6);
    /// # Ok::<(), tensor_core::Error>(())
    /// ```
    #[track_caller]
    pub fn unary_backward(grad: &Tensor, saved: &Tensor, op: UnaryOp) -> Result<Tensor> {
        if !op.has_fused_backward() {
            bail!(Unsupported, "unary_backward", "{:?} has no fused backward", op);
        }
        if grad.shape() != saved.shape() || grad.dtype() != saved.dtype() || !grad.is_floating_point() {
            bail!(
                Shape,
                "unary_backward",
                "expected a float gradient and saved tensor of one shape and dtype, got {:?} {} and {:?} {}",
                grad.shape().dims(),
                grad.dtype(),
                saved.shape().dims(),
                saved.dtype()
            );
        }
        grad.same_device("unary_backward", &[saved])?;
        let fused = Tensor::read_all("unary_backward", [grad, saved], |[g, s]| {
            g.unary_backward(grad.layout(), s, saved.layout(), op).transpose()
        })?;
        match fused {
            Some(s) => Ok(Tensor::from_op(s, grad.shape(), grad.device())),
            None => composed(grad, saved, op),
        }
    }
}

/// The same gradients from other ops (several passes): for backends without the fused kernel.
#[track_caller]
pub(crate) fn composed(g: &Tensor, s: &Tensor, op: UnaryOp) -> Result<Tensor> {
    use core::f64::consts::{FRAC_1_SQRT_2, FRAC_2_SQRT_PI};
    match op {
        UnaryOp::Tanh => g.mul(&s.mul(s)?.neg()?.add(1.0)?),
        UnaryOp::Sigmoid => g.mul(&s.neg()?.add(1.0)?.mul(s)?),
        UnaryOp::Relu => g.where_(&s.le(0.0)?.logical_not()?, 0.0),
        UnaryOp::LeakyRelu { slope } => g.where_(&s.gt(0.0)?, &g.mul(slope)?),
        UnaryOp::Gelu => {
            // Φ(x) + x φ(x)
            let cdf = s.mul(FRAC_1_SQRT_2)?.erf()?.add(1.0)?.mul(0.5)?;
            let pdf = s.mul(s)?.mul(-0.5)?.exp()?.mul(FRAC_2_SQRT_PI * FRAC_1_SQRT_2 * 0.5)?;
            g.mul(&cdf.add(&s.mul(&pdf)?)?)
        }
        UnaryOp::GeluTanh => {
            // sig + x sig (1 - sig) v2', sig = sigmoid(v2), v2 = 2 sqrt(2/pi) (x + 0.044715 x^3)
            let k2 = 2.0 * (FRAC_2_SQRT_PI * FRAC_1_SQRT_2);
            let x2 = s.mul(s)?;
            let sig = s.add(&x2.mul(s)?.mul(0.044715)?)?.mul(k2)?.sigmoid()?;
            let dv2 = x2.mul(3.0 * 0.044715)?.add(1.0)?.mul(k2)?;
            g.mul(&sig.add(&s.mul(&sig)?.mul(&sig.neg()?.add(1.0)?)?.mul(&dv2)?)?)
        }
        UnaryOp::Silu => {
            let sig = s.sigmoid()?;
            g.mul(&sig.mul(&s.mul(&sig.neg()?.add(1.0)?)?.add(1.0)?)?)
        }
        UnaryOp::Softplus { beta, threshold } => {
            let bx = s.mul(beta)?;
            g.mul(&bx.sigmoid()?.masked_fill(&bx.gt(threshold)?, 1.0)?)
        }
        UnaryOp::Erf => g.mul(&s.mul(s)?.neg()?.exp()?.mul(FRAC_2_SQRT_PI)?),
        UnaryOp::Abs => g.mul(&s.sign()?),
        other => bail!(Unsupported, "unary_backward", "{:?} has no fused backward", other),
    }
}

#[cfg(test)]
mod tests {
    //! The fused kernels against the composed formulas, on values that cover each op's branches.
    use super::*;
    use crate::{DType, Device};

    fn ops() -> [UnaryOp; 11] {
        [
            UnaryOp::Tanh,
            UnaryOp::Sigmoid,
            UnaryOp::Relu,
            UnaryOp::LeakyRelu { slope: 0.1 },
            UnaryOp::Gelu,
            UnaryOp::GeluTanh,
            UnaryOp::Silu,
            UnaryOp::Softplus { beta: 1.0, threshold: 20.0 },
            UnaryOp::Softplus { beta: 2.0, threshold: 1.0 },
            UnaryOp::Erf,
            UnaryOp::Abs,
        ]
    }

    #[test]
    fn fused_matches_composed() -> Result<()> {
        let xs: alloc::vec::Vec<f64> = (0..=240).map(|i| -12.0 + i as f64 * 0.1).collect();
        let gs: alloc::vec::Vec<f64> = (0..=240).map(|i| 1.0 + (i % 7) as f64 * 0.25).collect();
        for dtype in [DType::F32, DType::F64] {
            let x = Tensor::from_vec(xs.clone(), [241])?.to_dtype(dtype)?;
            let g = Tensor::from_vec(gs.clone(), [241])?.to_dtype(dtype)?;
            for op in ops() {
                let saved = if op.backward_uses_output() { x.unary(op)? } else { x.shallow_clone() };
                let fused = Tensor::unary_backward(&g, &saved, op)?.to_vec::<f64>()?;
                let want = composed(&g, &saved, op)?.to_vec::<f64>()?;
                let tol = if dtype == DType::F32 { 2e-6 } else { 1e-12 };
                for (i, (a, b)) in fused.iter().zip(&want).enumerate() {
                    assert!((a - b).abs() <= tol * (1.0 + b.abs()), "{op:?} {dtype} at x = {}: {a} != {b}", xs[i]);
                }
            }
        }
        Ok(())
    }

    #[test]
    fn strided_and_half_inputs() -> Result<()> {
        // A transposed gradient and saved tensor take the strided rows; f16 widens to f32.
        let x = Tensor::arange_dtype(-3.0, 3.0, 0.25, DType::F32, &Device::Cpu)?.view(&[4, 6])?;
        let g = x.mul(0.5)?.add(1.0)?;
        let (xt, gt) = (x.t()?, g.t()?);
        for op in ops() {
            let want = composed(&gt.contiguous()?, &xt.contiguous()?, op)?.to_vec::<f32>()?;
            let got = Tensor::unary_backward(&gt, &xt, op)?.to_vec::<f32>()?;
            for (a, b) in got.iter().zip(&want) {
                assert!((a - b).abs() <= 2e-6 * (1.0 + b.abs()), "{op:?}: {a} != {b}");
            }
            let half = Tensor::unary_backward(&g.to_dtype(DType::F16)?, &x.to_dtype(DType::F16)?, op)?;
            assert_eq!(half.dtype(), DType::F16);
        }
        Ok(())
    }

    #[test]
    fn refuses_bad_arguments() -> Result<()> {
        let a = Tensor::zeros([2, 3], DType::F32, &Device::Cpu)?;
        let b = Tensor::zeros([3, 2], DType::F32, &Device::Cpu)?;
        let e = Tensor::unary_backward(&a, &b, UnaryOp::Tanh).unwrap_err().to_string();
        assert!(e.contains("unary_backward") && e.contains("[2, 3]") && e.contains("[3, 2]"), "{e}");
        let e = Tensor::unary_backward(&a, &a, UnaryOp::Sin).unwrap_err().to_string();
        assert!(e.contains("Sin"), "{e}");
        let i = Tensor::zeros([2, 3], DType::I64, &Device::Cpu)?;
        assert!(Tensor::unary_backward(&i, &i, UnaryOp::Relu).is_err());
        Ok(())
    }
}
