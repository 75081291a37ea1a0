//! The pool family's backend trait, [`PoolOps`], and its op descriptors: what a storage of any
//! device implements to run 2-d max and average pooling. The CPU's impl is in `cpu.rs` beside this file; a
//! device crate implements it for its own storage (tensor-cuda: `src/ops/pool.rs`).

use crate::backend::base::{unsupported_default, StorageBase};
use crate::ops::conv::backend::Conv2dGeometry;
use crate::{Layout, Result};

/// The pool ops of a storage. `S` is the storage handle the ops take and return (tensor-core's
/// [`Storage`](crate::backend::Storage)); every method defaults to an `Unsupported` error (or
/// `None` where tensor-core has a fallback), so a backend grows op by op.
#[allow(clippy::too_many_arguments)]
pub trait PoolOps<S>: StorageBase {
    /// Max pooling of NCHW input (padding with -inf); returns values and flat `h * w` I64 indices.
    #[track_caller]
    fn max_pool2d(&self, layout: &Layout, geometry: &Conv2dGeometry) -> Result<(S, S)> {
        unsupported_default!(self, "max_pool2d", layout, geometry)
    }
    /// Scatters `self` (the output gradient) to the input positions `indices` chose.
    #[track_caller]
    fn max_pool2d_backward(
        &self,
        layout: &Layout,
        indices: &S,
        indices_layout: &Layout,
        geometry: &Conv2dGeometry,
    ) -> Result<S> {
        unsupported_default!(self, "max_pool2d_backward", layout, indices, indices_layout, geometry)
    }
    /// Average pooling of NCHW input.
    #[track_caller]
    fn avg_pool2d(&self, layout: &Layout, geometry: &Conv2dGeometry, count_include_pad: bool) -> Result<S> {
        unsupported_default!(self, "avg_pool2d", layout, geometry, count_include_pad)
    }
    /// Gradient of average pooling; `self` is the output gradient.
    #[track_caller]
    fn avg_pool2d_backward(&self, layout: &Layout, geometry: &Conv2dGeometry, count_include_pad: bool) -> Result<S> {
        unsupported_default!(self, "avg_pool2d_backward", layout, geometry, count_include_pad)
    }
}
