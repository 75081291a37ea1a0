//! The index family's backend trait, [`IndexOps`], and its op descriptors: what a storage of any
//! device implements to run indexing by index tensors: select, gather, scatter, index_add. The CPU's impl is in `cpu.rs` beside this file; a
//! device crate implements it for its own storage (tensor-cuda: `src/ops/index.rs`).

use crate::backend::base::{unsupported_default, StorageBase};

use crate::{Layout, Result};

/// What a `scatter` does with the values it writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScatterReduce {
    /// Overwrite.
    Replace,
    /// Add into the destination.
    Add,
}

/// The index ops of a storage. `S` is the storage handle the ops take and return (tensor-core's
/// [`Storage`](crate::backend::Storage)); every method defaults to an `Unsupported` error (or
/// `None` where tensor-core has a fallback), so a backend grows op by op.
#[allow(clippy::too_many_arguments)]
pub trait IndexOps<S>: StorageBase {
    /// Selects the entries `indices` (I64, 1-d) along `dim`.
    #[track_caller]
    fn index_select(&self, layout: &Layout, dim: usize, indices: &S, indices_layout: &Layout) -> Result<S> {
        unsupported_default!(self, "index_select", layout, dim, indices, indices_layout)
    }
    /// `out[i][j] = self[index[i][j]][j]` along `dim` (shape of the index; indices checked).
    #[track_caller]
    fn gather(&self, layout: &Layout, dim: usize, index: &S, index_layout: &Layout) -> Result<S> {
        unsupported_default!(self, "gather", layout, dim, index, index_layout)
    }
    /// `self[index[i][j]][j] (=|+=) src[i][j]` along `dim`.
    #[track_caller]
    fn scatter_inplace(
        &mut self,
        layout: &Layout,
        dim: usize,
        index: &S,
        index_layout: &Layout,
        src: &S,
        src_layout: &Layout,
        reduce: ScatterReduce,
    ) -> Result<()> {
        unsupported_default!(self, "scatter", layout, dim, index, index_layout, src, src_layout, reduce)
    }
    /// `self.select(dim, indices[i]) += src.select(dim, i)`.
    #[track_caller]
    fn index_add_inplace(
        &mut self,
        layout: &Layout,
        dim: usize,
        indices: &S,
        indices_layout: &Layout,
        src: &S,
        src_layout: &Layout,
    ) -> Result<()> {
        unsupported_default!(self, "index_add", layout, dim, indices, indices_layout, src, src_layout)
    }
}
