//! Sorting: `sort` (stable), `argsort`, `topk`, as PyTorch: NaN sorts as the largest value,
//! equal values keep their order (descending too), indices are int64. One backend call sorts.

pub(crate) mod backend;
pub(crate) mod cpu;

use crate::shape::normalize_dim;
use crate::{bail, Result, Tensor};

impl Tensor {
    /// Sorts along `dim` (stably), as `torch.sort(x, dim, descending, stable=True)`: the sorted
    /// values and, for each, its int64 position along `dim` in `self`.
    #[track_caller]
    pub fn sort(&self, dim: isize, descending: bool) -> Result<(Tensor, Tensor)> {
        let d = normalize_dim("sort", dim, self.dim())?;
        let (v, i) = self.read("sort")?.sort(self.layout(), d, descending)?;
        Ok((Tensor::from_op(v, self.shape(), self.device()), Tensor::from_op(i, self.shape(), self.device())))
    }

    /// The int64 positions that sort `self` along `dim` (stably), as `torch.argsort`.
    #[track_caller]
    pub fn argsort(&self, dim: isize, descending: bool) -> Result<Tensor> {
        Ok(self.sort(dim, descending)?.1)
    }

    /// The `k` largest (`largest`) or smallest elements along `dim` and their int64 positions, as
    /// `torch.topk`. The result is always sorted (largest first when `largest`); among equal
    /// values the first in `self` comes first. `sorted = false` allows any order, as in PyTorch.
    #[track_caller]
    pub fn topk(&self, k: usize, dim: isize, largest: bool, sorted: bool) -> Result<(Tensor, Tensor)> {
        let _ = sorted;
        let d = normalize_dim("topk", dim, self.dim())?;
        let size = if self.dim() == 0 { 1 } else { self.size()[d] };
        if k > size {
            bail!(
                Index,
                "topk",
                "selected index k out of range (k = {} but dim {} of shape {:?} has size {})",
                k,
                d,
                self.shape(),
                size
            );
        }
        let (v, i) = self.sort(d as isize, largest)?;
        if self.dim() == 0 || k == size {
            return Ok((v, i));
        }
        Ok((v.narrow(d as isize, 0, k)?.contiguous()?, i.narrow(d as isize, 0, k)?.contiguous()?))
    }
}
