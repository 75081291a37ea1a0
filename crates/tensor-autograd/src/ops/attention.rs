//! Scaled dot-product attention without a mask or with the causal one, as one recorded op
//! (`ScaledDotProductFlashAttentionForCpuBackward0`, as PyTorch records its fused CPU path):
//! tensor-core's fused kernels forward and backward (the backward recomputes the
//! probabilities from the saved log-sum-exp), and when the backward is itself recorded
//! (`create_graph`), the same gradients composed from differentiable ops. Masks and dropout
//! are tensor-nn's composed `F::scaled_dot_product_attention`.

use crate::node::Var;
use crate::var::Saved;
use tensor_core::{DType, Result, Tensor};

impl Var {
    /// `softmax(q kᵀ · scale) v` for `self` the queries `[..., L, E]`, keys `[..., S, E]` and
    /// values `[..., S, Ev]` (leading dims broadcast); with `is_causal`, query `i` sees keys
    /// `0..=i` only. `scale` defaults to `1 / √E`. Never forms the `L × S` scores on the CPU,
    /// forward or backward (see [`Tensor::flash_attention`]).
    #[track_caller]
    pub fn flash_attention(&self, k: &Var, v: &Var, is_causal: bool, scale: Option<f64>) -> Result<Var> {
        let (out, lse) = Tensor::flash_attention(self.tensor_ref(), k.tensor_ref(), v.tensor_ref(), is_causal, scale)?;
        let saved = vec![Saved::Var(self.clone()), Saved::Var(k.clone()), Saved::Var(v.clone()), Saved::Output];
        Ok(Var::record(out, "ScaledDotProductFlashAttentionForCpuBackward0", &[self, k, v], saved, move |ctx| {
            let (g, q, k, v, out) = (ctx.grad(), ctx.saved(0), ctx.saved(1), ctx.saved(2), ctx.saved(3));
            let (dq, dk, dv) = if crate::is_grad_enabled() {
                composed_backward(g, q, k, v, is_causal, scale)?
            } else {
                let (dq, dk, dv) = Tensor::flash_attention_backward(
                    g.tensor_ref(),
                    q.tensor_ref(),
                    k.tensor_ref(),
                    v.tensor_ref(),
                    out.tensor_ref(),
                    &lse,
                    is_causal,
                    scale,
                )?;
                (Var::constant(dq), Var::constant(dk), Var::constant(dv))
            };
            let back = |g: Var, x: &Var, i: usize| ctx.needs(i).then(|| g.sum_to(x.shape(), x.dtype())).transpose();
            Ok(vec![back(dq, q, 0)?, back(dk, k, 1)?, back(dv, v, 2)?])
        }))
    }
}

/// The gradients from differentiable ops, the probabilities recomputed: `dv = pᵀ g`,
/// `ds = p (g vᵀ - rowsum(p ∘ g vᵀ)) · scale`, `dq = ds k`, `dk = dsᵀ q` (unreduced over
/// broadcast leading dims).
#[track_caller]
fn composed_backward(
    g: &Var,
    q: &Var,
    k: &Var,
    v: &Var,
    is_causal: bool,
    scale: Option<f64>,
) -> Result<(Var, Var, Var)> {
    let (l, e, s) = (q.size()[q.dim() - 2], q.size()[q.dim() - 1], k.size()[k.dim() - 2]);
    let scale = scale.unwrap_or(1.0 / (e as f64).sqrt());
    let mut scores = q.matmul(&k.transpose(-2, -1)?)?.mul(scale)?;
    if is_causal {
        let above = Tensor::ones([l, s], DType::Bool, q.device())?.triu(1)?;
        scores = scores.masked_fill(&above, f64::NEG_INFINITY)?;
    }
    let p = scores.softmax(-1)?;
    let dv = p.transpose(-2, -1)?.matmul(g)?;
    let dp = g.matmul(&v.transpose(-2, -1)?)?;
    let ds = p.mul(&dp.sub(&p.mul(&dp)?.sum_dim(&[-1], true)?)?)?.mul(scale)?;
    Ok((ds.matmul(k)?, ds.transpose(-2, -1)?.matmul(q)?, dv))
}
