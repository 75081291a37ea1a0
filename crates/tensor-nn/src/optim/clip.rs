//! Gradient clipping, as `torch.nn.utils.clip_grad_norm_`.

use tensor_autograd::{no_grad, Var};
use tensor_core::{bail, Norm, Result};

/// Scales the gradients of `params` so that their total `norm_type`-norm (the norm of the
/// per-gradient norms; `f64::INFINITY` for the max norm) is at most `max_norm`, and returns the
/// total norm before clipping, as `torch.nn.utils.clip_grad_norm_`.
///
/// As PyTorch: `clip_coef = max_norm / (total_norm + 1e-6)`, clamped to at most 1, multiplies
/// every gradient (so a non-finite norm turns the gradients non-finite, as with
/// `error_if_nonfinite=False`); parameters without a gradient are skipped; with no gradients
/// at all the norm is 0. Gradients are scaled in place, except a gradient whose storage is
/// shared with another's or that is not contiguous (an expanded view), which is replaced by a
/// scaled copy so that no element is scaled twice.
///
/// ```
/// use tensor_nn::optim::clip_grad_norm_;
/// use tensor_autograd::Var;
/// use tensor_core::{Tensor, Device};
/// let w = Var::parameter(Tensor::new([0.0f64, 0.0], &Device::Cpu)?);
/// w.set_grad(Some(Tensor::new([3.0f64, 4.0], &Device::Cpu)?))?;
/// let norm = clip_grad_norm_(&[w.clone()], 1.0, 2.0)?;
/// assert_eq!(norm, 5.0);
/// let g = w.grad().unwrap().to_vec::<f64>()?;
/// assert!((g[0] - 0.6).abs() < 1e-6 && (g[1] - 0.8).abs() < 1e-6);
/// # Ok::<(), tensor_core::Error>(())
/// ```
#[track_caller]
pub fn clip_grad_norm_(params: &[Var], max_norm: f64, norm_type: f64) -> Result<f64> {
    if norm_type.is_nan() {
        bail!(Value, "clip_grad_norm_", "norm_type must be a number, got NaN");
    }
    let _guard = no_grad();
    let with_grad: Vec<(&Var, tensor_core::Tensor)> = params.iter().filter_map(|p| p.grad().map(|g| (p, g))).collect();
    if with_grad.is_empty() {
        return Ok(0.0);
    }
    let norms = with_grad
        .iter()
        .map(|(_, g)| g.norm(Norm::P(norm_type), &[], false)?.item::<f64>())
        .collect::<Result<Vec<f64>>>()?;
    let total = if norm_type == f64::INFINITY {
        norms.iter().copied().fold(f64::NEG_INFINITY, |a, b| nan_or(a, b, b > a))
    } else if norm_type == f64::NEG_INFINITY {
        norms.iter().copied().fold(f64::INFINITY, |a, b| nan_or(a, b, b < a))
    } else if norm_type == 0.0 {
        norms.iter().filter(|&&n| n != 0.0).count() as f64
    } else if norm_type == 1.0 {
        norms.iter().sum()
    } else if norm_type == 2.0 {
        norms.iter().map(|n| n * n).sum::<f64>().sqrt()
    } else {
        norms.iter().map(|n| n.powf(norm_type)).sum::<f64>().powf(1.0 / norm_type)
    };
    let coef = max_norm / (total + 1e-6);
    // torch.clamp(coef, max=1.0), which keeps a NaN.
    let coef = if coef > 1.0 { 1.0 } else { coef };
    for (i, (p, g)) in with_grad.iter().enumerate() {
        let shared = with_grad.iter().enumerate().any(|(j, (_, h))| j != i && h.shares_storage(g));
        if g.is_contiguous() && !shared {
            g.shallow_clone().mul_(coef)?;
        } else {
            p.set_grad(Some(g.mul(coef)?))?;
        }
    }
    Ok(total)
}

/// A running max or min that keeps a NaN: `b` replaces `a` when `b` is better or NaN.
fn nan_or(a: f64, b: f64, b_better: bool) -> f64 {
    if a.is_nan() || !(b.is_nan() || b_better) {
        a
    } else {
        b
    }
}
