//! The sort family's backend trait, [`SortOps`], and its op descriptors: what a storage of any
//! device implements to run sorting along a dim. The CPU's impl is in `cpu.rs` beside this file; a
//! device crate implements it for its own storage (tensor-cuda: `src/ops/sort.rs`).

use crate::backend::base::{unsupported_default, StorageBase};

use crate::{Layout, Result};

/// The sort ops of a storage. `S` is the storage handle the ops take and return (tensor-core's
/// [`Storage`](crate::backend::Storage)); every method defaults to an `Unsupported` error (or
/// `None` where tensor-core has a fallback), so a backend grows op by op.
#[allow(clippy::too_many_arguments)]
pub trait SortOps<S>: StorageBase {
    /// Sorts along `dim` (stable); returns the values and the I64 indices, contiguous.
    #[track_caller]
    fn sort(&self, layout: &Layout, dim: usize, descending: bool) -> Result<(S, S)> {
        unsupported_default!(self, "sort", layout, dim, descending)
    }
}
