//! The matmul family's backend trait, [`MatmulOps`], and its op descriptors: what a storage of any
//! device implements to run batched matrix products. The CPU's impl is in `cpu.rs` beside this file; a
//! device crate implements it for its own storage (tensor-cuda: `src/ops/matmul.rs`).

use crate::backend::base::{unsupported_default, StorageBase};

use crate::{Layout, Result};

/// The matmul ops of a storage. `S` is the storage handle the ops take and return (tensor-core's
/// [`Storage`](crate::backend::Storage)); every method defaults to an `Unsupported` error (or
/// `None` where tensor-core has a fallback), so a backend grows op by op.
#[allow(clippy::too_many_arguments)]
pub trait MatmulOps<S>: StorageBase {
    /// `[batch, m, k] @ [batch, k, n] -> [batch, m, n]` (batch strides may be 0).
    #[track_caller]
    fn matmul_into(
        &mut self,
        dst_layout: &Layout,
        lhs: &S,
        lhs_layout: &Layout,
        rhs: &S,
        rhs_layout: &Layout,
        alpha: f64,
        beta: f64,
    ) -> Result<()> {
        unsupported_default!(self, "matmul", dst_layout, lhs, lhs_layout, rhs, rhs_layout, alpha, beta)
    }
}
