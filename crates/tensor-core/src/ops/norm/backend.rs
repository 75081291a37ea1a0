//! The normalisation family's backend trait, [`NormOps`]: softmax, log-softmax and log-sum-exp
//! along the last dim, layer norm over the trailing elements of each row, and batch norm's training step over
//! each channel, forward and backward. Every method is optional (`None`): tensor-core composes the same result
//! from other ops for a backend without the kernel. The CPU's impl is in `cpu.rs` beside this
//! file; tensor-cuda's in `src/ops/norm.rs`.

use crate::backend::base::StorageBase;
use crate::{Layout, Result};

/// The normalisations of a storage, over rows: every layout given is contiguous and its last
/// `n` elements form a row (tensor-core makes inputs contiguous first). `S` is the storage
/// handle ([`Storage`](crate::backend::Storage)).
#[allow(clippy::too_many_arguments)]
pub trait NormOps<S>: StorageBase {
    /// Softmax (`log`: log-softmax) of each row of `n` elements.
    fn softmax_rows(&self, layout: &Layout, n: usize, log: bool) -> Option<Result<S>> {
        let _ = (layout, n, log);
        None
    }
    /// The log-sum-exp of each row of `n` elements (`n` > 0), shifted by the row's max (by 0
    /// where that max is infinite): one value per row.
    fn logsumexp_rows(&self, layout: &Layout, n: usize) -> Option<Result<S>> {
        let _ = (layout, n);
        None
    }
    /// Its gradient from the upstream gradient `self` and the forward's `output`:
    /// `y (g - sum(g y))`, or `g - exp(y) sum(g)` for log-softmax.
    fn softmax_rows_backward(&self, layout: &Layout, output: &S, n: usize, log: bool) -> Option<Result<S>> {
        let _ = (layout, output, n, log);
        None
    }
    /// Layer norm of each row of `n` elements, `(x - mean) / sqrt(var + eps) * weight + bias`
    /// (`weight` and `bias` of `n` elements, contiguous): the result, and each row's mean and
    /// `1 / sqrt(var + eps)` (f32 for half inputs, as PyTorch's `native_layer_norm`).
    fn layer_norm_rows(
        &self,
        layout: &Layout,
        n: usize,
        weight: Option<&S>,
        bias: Option<&S>,
        eps: f64,
    ) -> Option<Result<(S, S, S)>> {
        let _ = (layout, n, weight, bias, eps);
        None
    }
    /// Its gradients from the upstream gradient `self`, the input `x` and the forward's `mean`
    /// and `rstd`: the input's, and (with `weight`) the weight's and the bias's (sums over rows).
    fn layer_norm_rows_backward(
        &self,
        layout: &Layout,
        x: &S,
        mean: &S,
        rstd: &S,
        weight: Option<&S>,
        n: usize,
    ) -> Option<Result<(S, S, S)>> {
        let _ = (layout, x, mean, rstd, weight, n);
        None
    }
    /// Batch norm in training mode of a contiguous `layout` read as `[n, c, s]` (`c` channels,
    /// `s` elements a plane): each channel's mean and biased variance over `n` and `s`, and
    /// `(x - mean) / sqrt(var + eps) * weight + bias` (`weight`, `bias`: `c` elements). Returns
    /// the result, the means and the variances.
    fn batch_norm_train(
        &self,
        layout: &Layout,
        c: usize,
        s: usize,
        weight: Option<&S>,
        bias: Option<&S>,
        eps: f64,
    ) -> Option<Result<(S, S, S)>> {
        let _ = (layout, c, s, weight, bias, eps);
        None
    }
    /// Its gradients from the upstream gradient `self`, the input `x` and the forward's `mean`
    /// and `var`: the input's, and each channel's weight and bias gradients.
    fn batch_norm_train_backward(
        &self,
        layout: &Layout,
        x: &S,
        mean: &S,
        var: &S,
        weight: Option<&S>,
        c: usize,
        s: usize,
        eps: f64,
    ) -> Option<Result<(S, S, S)>> {
        let _ = (layout, x, mean, var, weight, c, s, eps);
        None
    }
}
