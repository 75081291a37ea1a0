//! The copy family's backend trait, [`CopyOps`], and its op descriptors: what a storage of any
//! device implements to run copies, casts and fills. The CPU's impl is in `cpu.rs` beside this file; a
//! device crate implements it for its own storage (tensor-cuda: `src/ops/copy.rs`).

use crate::backend::base::{unsupported_default, StorageBase};
use crate::cpu::CpuStorage;
use crate::ops::shape::pad_mode::PadMode;
use crate::{DType, Layout, Result, Scalar};

/// The copy ops of a storage. `S` is the storage handle the ops take and return (tensor-core's
/// [`Storage`](crate::backend::Storage)); every method defaults to an `Unsupported` error (or
/// `None` where tensor-core has a fallback), so a backend grows op by op.
#[allow(clippy::too_many_arguments)]
pub trait CopyOps<S>: StorageBase {
    /// Copies the elements under `layout` into a new contiguous host storage.
    #[track_caller]
    fn to_cpu(&self, layout: &Layout) -> Result<CpuStorage> {
        unsupported_default!(self, "to_cpu", layout)
    }
    /// The elements under `layout`, converted to `dtype`, as a new contiguous storage.
    #[track_caller]
    fn cast(&self, layout: &Layout, dtype: DType) -> Result<S> {
        unsupported_default!(self, "cast", layout, dtype)
    }
    /// `self[dst_layout] = src[src_layout]` (same dtype, same shape after broadcasting).
    #[track_caller]
    fn copy_from(&mut self, dst_layout: &Layout, src: &S, src_layout: &Layout) -> Result<()> {
        unsupported_default!(self, "copy_", dst_layout, src, src_layout)
    }
    /// `self[layout] = value`.
    #[track_caller]
    fn fill(&mut self, layout: &Layout, value: Scalar) -> Result<()> {
        unsupported_default!(self, "fill", layout, value)
    }
    /// `Reflect` / `Replicate` padding of the last `pads.len() / 2` dims (1 or 2) of a
    /// contiguous `layout`, `pads` as `F.pad`'s (checked by tensor-core), into a new contiguous
    /// storage. `None`: tensor-core pads with `index_select` and `cat` instead.
    fn pad_edges(&self, layout: &Layout, pads: &[usize], mode: PadMode) -> Option<Result<S>> {
        let _ = (layout, pads, mode);
        None
    }
    /// The lower (`lower`) or upper triangle of the last two dims of a contiguous `layout`
    /// (rank ≥ 2, checked by tensor-core) relative to `diagonal`, as `torch.tril` / `torch.triu`,
    /// the rest zero, into a new contiguous storage. `None`: tensor-core masks with `where`.
    fn triangle(&self, layout: &Layout, diagonal: isize, lower: bool) -> Option<Result<S>> {
        let _ = (layout, diagonal, lower);
        None
    }
    /// The gradient of [`pad_edges`](Self::pad_edges): `self[layout]` (contiguous) is the padded
    /// output's gradient; each input position gets the sum of the gradients of the output
    /// positions that copied it, into a new contiguous storage of `input_dims`. `None`:
    /// tensor-core composes it from copies and `index_add_`.
    fn pad_edges_backward(
        &self,
        layout: &Layout,
        input_dims: &[usize],
        pads: &[usize],
        mode: PadMode,
    ) -> Option<Result<S>> {
        let _ = (layout, input_dims, pads, mode);
        None
    }
}
