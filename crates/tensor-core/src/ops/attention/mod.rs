//! Scaled dot-product attention without a mask or with the causal one, as PyTorch's fused CPU
//! path (`_scaled_dot_product_flash_attention_for_cpu` and its backward):
//! [`Tensor::flash_attention`] gives the output and each query's log-sum-exp,
//! [`Tensor::flash_attention_backward`] the gradients from them. A backend's fused kernels
//! ([`AttentionOps`](backend::AttentionOps)) never form the `L × S` scores; for a backend without
//! them, and for empty operands, the same results are composed from matmul and `exp` here.
//! Masks other than the causal one, and dropout, are tensor-nn's composed
//! `F::scaled_dot_product_attention`.

pub(crate) mod backend;
pub(crate) mod cpu;

use crate::backend::AttentionDims;
use crate::shape::broadcast_shapes;
use crate::{bail, DType, Result, Shape, Tensor};
use alloc::vec::Vec;

/// The operands of one fused attention, checked and brought to `[batch, rows, width]`,
/// contiguous, in the dtype the kernels compute in.
struct Operands {
    q: Tensor,
    k: Tensor,
    v: Tensor,
    /// The broadcast leading dims of `q`, `k` and `v`.
    batch_shape: Shape,
    dims: AttentionDims,
    /// The inputs' dtype (the operands are f32 when it is a half type).
    dtype: DType,
}

fn last2(t: &Tensor) -> (usize, usize) {
    let s = t.size();
    (s[s.len() - 2], s[s.len() - 1])
}

fn with_dims(batch: &Shape, rows: usize, cols: usize) -> Shape {
    let mut d = batch.dims().to_vec();
    d.extend([rows, cols]);
    Shape::from(d)
}

impl Operands {
    #[track_caller]
    fn new(op: &'static str, q: &Tensor, k: &Tensor, v: &Tensor, causal: bool) -> Result<Operands> {
        if q.dim() < 2 || k.dim() < 2 || v.dim() < 2 {
            bail!(
                Shape,
                op,
                "expected q, k and v of at least 2 dims, got {:?}, {:?} and {:?}",
                q.size(),
                k.size(),
                v.size()
            );
        }
        let ((l, e), (s, ek), (sv, ev)) = (last2(q), last2(k), last2(v));
        if e != ek || s != sv {
            bail!(
                Shape,
                op,
                "expected q [..., L, E], k [..., S, E] and v [..., S, Ev], got {:?}, {:?} and {:?}",
                q.size(),
                k.size(),
                v.size()
            );
        }
        if q.dtype() != k.dtype() || q.dtype() != v.dtype() || !q.is_floating_point() {
            bail!(
                DType,
                op,
                "expected query, key and value of one float dtype, got {}, {} and {}",
                q.dtype(),
                k.dtype(),
                v.dtype()
            );
        }
        q.same_device(op, &[k, v])?;
        let lead = |t: &Tensor| Shape::from(&t.size()[..t.dim() - 2]);
        let batch_shape = broadcast_shapes(op, &broadcast_shapes(op, &lead(q), &lead(k))?, &lead(v))?;
        let batch = batch_shape.dims().iter().product();
        let dtype = q.dtype();
        let compute = if matches!(dtype, DType::F16 | DType::BF16) { DType::F32 } else { dtype };
        let prepare = |t: &Tensor, rows: usize, cols: usize| -> Result<Tensor> {
            let t = t.broadcast_to(&with_dims(&batch_shape, rows, cols))?.to_dtype(compute)?.contiguous()?;
            t.reshape(&[batch as isize, rows as isize, cols as isize])
        };
        Ok(Operands {
            q: prepare(q, l, e)?,
            k: prepare(k, s, e)?,
            v: prepare(v, s, ev)?,
            batch_shape,
            dims: AttentionDims { batch, l, s, e, ev, causal },
            dtype,
        })
    }

    fn scale(&self, scale: Option<f64>) -> f64 {
        scale.unwrap_or(1.0 / libm::sqrt(self.dims.e as f64))
    }

    /// Whether the fused kernels take these sizes (the empty cases are composed).
    fn fusable(&self) -> bool {
        let d = &self.dims;
        d.batch > 0 && d.l > 0 && d.s > 0 && d.e > 0 && d.ev > 0
    }

    /// `t` `[batch, rows, cols]` as `[batch_shape..., rows, cols]` in the inputs' dtype.
    #[track_caller]
    fn unflatten(&self, t: Tensor, tail: &[usize]) -> Result<Tensor> {
        let mut d: Vec<isize> = self.batch_shape.dims().iter().map(|&x| x as isize).collect();
        d.extend(tail.iter().map(|&x| x as isize));
        t.reshape(&d)?.to_dtype(self.dtype)
    }

    /// The scores `q kᵀ · scale`, `-inf` above the diagonal when causal (the composed path).
    #[track_caller]
    fn scores(&self, scale: f64) -> Result<Tensor> {
        let scores = self.q.matmul(&self.k.transpose(-2, -1)?)?.mul(scale)?;
        if !self.dims.causal {
            return Ok(scores);
        }
        let above = Tensor::ones([self.dims.l, self.dims.s], DType::Bool, self.q.device())?.triu(1)?;
        scores.masked_fill(&above, f64::NEG_INFINITY)
    }
}

impl Tensor {
    /// `softmax(q kᵀ · scale) v` (with `is_causal`, query `i` sees keys `0..=i` only) and each
    /// query's `logsumexp(q kᵀ · scale)`, for `q` `[..., L, E]`, `k` `[..., S, E]` and `v`
    /// `[..., S, Ev]` of one float dtype, leading dims broadcast: the output `[..., L, Ev]` and
    /// the log-sum-exp `[..., L]` (f32 for half inputs, as PyTorch's). `scale` defaults to
    /// `1 / √E`. Fused where the backend has the kernel (the CPU does): blocks of queries
    /// against blocks of keys with an online softmax, never the `L × S` scores.
    ///
    /// ```
    /// # use tensor_core::{DType, Device, Tensor};
    /// let q = Tensor::randn([2, 5, 8], DType::F32, &Device::Cpu)?;
    /// let (out, lse) = Tensor::flash_attention(&q, &q, &q, true, None)?;
    /// assert_eq!((out.size(), lse.size()), (&[2, 5, 8][..], &[2, 5][..]));
    /// # Ok::<(), tensor_core::Error>(())
    /// ```
    #[track_caller]
    pub fn flash_attention(
        q: &Tensor,
        k: &Tensor,
        v: &Tensor,
        is_causal: bool,
        scale: Option<f64>,
    ) -> Result<(Tensor, Tensor)> {
        let op = "scaled_dot_product_attention";
        let x = Operands::new(op, q, k, v, is_causal)?;
        let (d, scale) = (x.dims, x.scale(scale));
        let fused = if x.fusable() {
            Tensor::read_all(op, [&x.q, &x.k, &x.v], |[qs, ks, vs]| {
                qs.attention(x.q.layout(), (ks, x.k.layout()), (vs, x.v.layout()), d, scale).transpose()
            })?
        } else {
            None
        };
        let (out, lse) = match fused {
            Some((out, lse)) => (
                Tensor::from_op(out, [d.batch, d.l, d.ev], x.q.device()),
                Tensor::from_op(lse, [d.batch, d.l], x.q.device()),
            ),
            None => {
                let scores = x.scores(scale)?;
                let lse = scores.logsumexp(&[-1], false)?;
                let p = scores.sub(&lse.unsqueeze(-1)?)?.exp()?;
                (p.matmul(&x.v)?, lse)
            }
        };
        let lse_dtype = if x.dtype == DType::F64 { DType::F64 } else { DType::F32 };
        let mut lse_dims: Vec<isize> = x.batch_shape.dims().iter().map(|&v| v as isize).collect();
        lse_dims.push(d.l as isize);
        Ok((x.unflatten(out, &[d.l, d.ev])?, lse.reshape(&lse_dims)?.to_dtype(lse_dtype)?))
    }

    /// The gradients of [`flash_attention`](Self::flash_attention)'s `q`, `k` and `v` from the
    /// output's gradient `grad`, the forward's inputs, its `output` and `logsumexp` (the
    /// probabilities are recomputed from them block by block). Each gradient has its input's
    /// last two dims and the broadcast leading dims: a caller whose inputs were broadcast sums
    /// them back.
    #[allow(clippy::too_many_arguments)]
    #[track_caller]
    pub fn flash_attention_backward(
        grad: &Tensor,
        q: &Tensor,
        k: &Tensor,
        v: &Tensor,
        output: &Tensor,
        logsumexp: &Tensor,
        is_causal: bool,
        scale: Option<f64>,
    ) -> Result<(Tensor, Tensor, Tensor)> {
        let op = "scaled_dot_product_attention_backward";
        let x = Operands::new(op, q, k, v, is_causal)?;
        let (d, scale) = (x.dims, x.scale(scale));
        let out_shape = with_dims(&x.batch_shape, d.l, d.ev);
        let lse_shape = Shape::from(&out_shape.dims()[..out_shape.rank() - 1]);
        if grad.shape() != &out_shape || output.shape() != &out_shape || logsumexp.shape() != &lse_shape {
            bail!(
                Shape,
                op,
                "expected grad and output of shape {:?} and logsumexp of {:?}, got {:?}, {:?} and {:?}",
                out_shape.dims(),
                lse_shape.dims(),
                grad.size(),
                output.size(),
                logsumexp.size()
            );
        }
        grad.same_device(op, &[q, output, logsumexp])?;
        let flat = |t: &Tensor, cols: Option<usize>| -> Result<Tensor> {
            let t = t.to_dtype(x.q.dtype())?.contiguous()?;
            match cols {
                Some(c) => t.reshape(&[d.batch as isize, d.l as isize, c as isize]),
                None => t.reshape(&[d.batch as isize, d.l as isize]),
            }
        };
        let (g, out, lse) = (flat(grad, Some(d.ev))?, flat(output, Some(d.ev))?, flat(logsumexp, None)?);
        let fused = if x.fusable() {
            Tensor::read_all(op, [&g, &x.q, &x.k, &x.v, &out, &lse], |[gs, qs, ks, vs, os, ls]| {
                let saved = [
                    (qs, x.q.layout()),
                    (ks, x.k.layout()),
                    (vs, x.v.layout()),
                    (os, out.layout()),
                    (ls, lse.layout()),
                ];
                gs.attention_backward(g.layout(), saved, d, scale).transpose()
            })?
        } else {
            None
        };
        let (dq, dk, dv) = match fused {
            Some((dq, dk, dv)) => {
                let dev = x.q.device();
                (
                    Tensor::from_op(dq, [d.batch, d.l, d.e], dev),
                    Tensor::from_op(dk, [d.batch, d.s, d.e], dev),
                    Tensor::from_op(dv, [d.batch, d.s, d.ev], dev),
                )
            }
            None => {
                let p = x.scores(scale)?.sub(&lse.unsqueeze(-1)?)?.exp()?;
                let dv = p.transpose(-2, -1)?.matmul(&g)?;
                let dot = g.mul(&out)?.sum_dim(&[-1], true)?;
                let ds = p.mul(&g.matmul(&x.v.transpose(-2, -1)?)?.sub(&dot)?)?.mul(scale)?;
                (ds.matmul(&x.k)?, ds.transpose(-2, -1)?.matmul(&x.q)?, dv)
            }
        };
        Ok((x.unflatten(dq, &[d.l, d.e])?, x.unflatten(dk, &[d.s, d.e])?, x.unflatten(dv, &[d.s, d.ev])?))
    }
}
