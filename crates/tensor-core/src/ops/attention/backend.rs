//! The attention family's backend trait, [`AttentionOps`]: scaled dot-product attention without
//! a mask or with the causal one, forward (the output and each query's log-sum-exp) and backward
//! (recomputing the scores from the saved log-sum-exp). Every method is optional (`None`):
//! tensor-core composes the same result from matmul and softmax for a backend without the
//! kernel. The CPU's impl is in `cpu/` beside this file.

use crate::backend::base::StorageBase;
use crate::{Layout, Result};

/// The sizes of a fused attention: `batch` independent problems, each of `l` queries and `s`
/// keys of width `e`, and `s` values of width `ev`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttentionDims {
    /// Independent problems (the broadcast leading dims, flattened).
    pub batch: usize,
    /// Queries per problem.
    pub l: usize,
    /// Keys (and values) per problem.
    pub s: usize,
    /// Width of a query and a key.
    pub e: usize,
    /// Width of a value.
    pub ev: usize,
    /// Query `i` sees keys `0..=i` only (PyTorch's `is_causal`: the top-left triangle).
    pub causal: bool,
}

/// Fused attention over contiguous storages (tensor-core makes every operand contiguous, of one
/// float dtype, first): `q` `[batch, l, e]`, `k` `[batch, s, e]`, `v` `[batch, s, ev]`,
/// `out` `[batch, l, ev]`, `lse` `[batch, l]`. `S` is the storage handle
/// ([`Storage`](crate::backend::Storage)).
pub trait AttentionOps<S>: StorageBase {
    /// With `self` the queries: `softmax(q kᵀ · scale) v` and each query's
    /// `logsumexp(q kᵀ · scale)`, never forming the `l × s` scores.
    fn attention(
        &self,
        layout: &Layout,
        k: (&S, &Layout),
        v: (&S, &Layout),
        dims: AttentionDims,
        scale: f64,
    ) -> Option<Result<(S, S)>> {
        let _ = (layout, k, v, dims, scale);
        None
    }
    /// With `self` the output's gradient: the gradients of `q`, `k` and `v`, from the inputs,
    /// the forward's output and its log-sum-exp (`[q, k, v, out, lse]`, in that order).
    fn attention_backward(
        &self,
        layout: &Layout,
        saved: [(&S, &Layout); 5],
        dims: AttentionDims,
        scale: f64,
    ) -> Option<Result<(S, S, S)>> {
        let _ = (layout, saved, dims, scale);
        None
    }
}
