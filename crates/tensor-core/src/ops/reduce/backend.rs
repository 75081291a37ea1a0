//! The reduce family's backend trait, [`ReduceOps`], and its op descriptors: what a storage of any
//! device implements to run reductions and running (scan) reductions. The CPU's impl is in `cpu.rs` beside this file; a
//! device crate implements it for its own storage (tensor-cuda: `src/ops/reduce.rs`).

use crate::backend::base::{unsupported_default, StorageBase};

use crate::{Layout, Result};

/// A reduction over some dims.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReduceOp {
    /// Sum, in the input dtype.
    Sum,
    /// Product, in the input dtype.
    Prod,
    /// Largest value (NaN propagates).
    Max,
    /// Smallest value (NaN propagates).
    Min,
    /// Index (I64) of the first largest value along a single dim.
    ArgMax,
    /// Index (I64) of the first smallest value along a single dim.
    ArgMin,
    /// Bool: any element nonzero.
    Any,
    /// Bool: all elements nonzero.
    All,
}

/// A running reduction along one dim, keeping the shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanOp {
    /// Running sum.
    CumSum,
    /// Running product.
    CumProd,
    /// Running sum from the end: each element plus those after it (cumsum's gradient).
    ReverseCumSum,
}

/// The reduce ops of a storage. `S` is the storage handle the ops take and return (tensor-core's
/// [`Storage`](crate::backend::Storage)); every method defaults to an `Unsupported` error (or
/// `None` where tensor-core has a fallback), so a backend grows op by op.
#[allow(clippy::too_many_arguments)]
pub trait ReduceOps<S>: StorageBase {
    /// reduced dims kept as size 1.
    #[track_caller]
    fn reduce(&self, layout: &Layout, dims: &[usize], op: ReduceOp) -> Result<S> {
        unsupported_default!(self, "reduce", layout, dims, op)
    }
    /// [`reduce`](Self::reduce) into `dst[dst_layout]` (a storage of this backend and of the
    /// result dtype, not `self`), whose elements take the result's in row-major order; `None`
    /// when the backend has no such kernel (tensor-core then reduces into a new storage and
    /// copies it over).
    fn reduce_into(
        &self,
        layout: &Layout,
        dims: &[usize],
        op: ReduceOp,
        dst: &mut S,
        dst_layout: &Layout,
    ) -> Option<Result<()>> {
        let _ = (layout, dims, op, dst, dst_layout);
        None
    }
    /// A running sum or product along `dim`, as a new contiguous storage of the same shape.
    #[track_caller]
    fn scan(&self, layout: &Layout, dim: usize, op: ScanOp) -> Result<S> {
        unsupported_default!(self, "scan", layout, dim, op)
    }
}
