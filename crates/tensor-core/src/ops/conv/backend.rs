//! The conv family's backend trait, [`ConvOps`], and its op descriptors: what a storage of any
//! device implements to run 2-d convolution and its im2col/col2im building blocks. The CPU's impl is in `cpu.rs` beside this file; a
//! device crate implements it for its own storage (tensor-cuda: `src/ops/conv.rs`).

use crate::backend::base::{unsupported_default, StorageBase};

use crate::{Layout, Result};

/// Geometry of a 2-d convolution, pooling window or im2col.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Conv2dGeometry {
    /// Batch size.
    pub batch: usize,
    /// Input channels (all groups).
    pub in_channels: usize,
    /// Input height and width.
    pub in_hw: [usize; 2],
    /// Kernel height and width.
    pub kernel: [usize; 2],
    /// Stride.
    pub stride: [usize; 2],
    /// Zero padding on each side.
    pub padding: [usize; 2],
    /// Dilation.
    pub dilation: [usize; 2],
    /// Output height and width.
    pub out_hw: [usize; 2],
}

/// The conv ops of a storage. `S` is the storage handle the ops take and return (tensor-core's
/// [`Storage`](crate::backend::Storage)); every method defaults to an `Unsupported` error (or
/// `None` where tensor-core has a fallback), so a backend grows op by op.
#[allow(clippy::too_many_arguments)]
pub trait ConvOps<S>: StorageBase {
    /// im2col of an NCHW input: `[batch, in_channels * kh * kw, oh * ow]`, contiguous.
    fn im2col(&self, layout: &Layout, geometry: &Conv2dGeometry) -> Result<S> {
        unsupported_default!(self, "im2col", layout, geometry)
    }
    /// col2im (the adjoint of im2col, summing overlaps) into a new NCHW storage.
    fn col2im(&self, layout: &Layout, geometry: &Conv2dGeometry) -> Result<S> {
        unsupported_default!(self, "col2im", layout, geometry)
    }
    /// weights (no bias); the result is `[batch, out_channels, oh, ow]`.
    fn conv2d(
        &self,
        layout: &Layout,
        weight: &S,
        weight_layout: &Layout,
        geometry: &Conv2dGeometry,
        groups: usize,
    ) -> Result<S> {
        unsupported_default!(self, "conv2d", layout, weight, weight_layout, geometry, groups)
    }
    /// Gradient of [`conv2d`](Self::conv2d) with respect to its input; `self` is the output gradient.
    fn conv2d_backward_input(
        &self,
        layout: &Layout,
        weight: &S,
        weight_layout: &Layout,
        geometry: &Conv2dGeometry,
        groups: usize,
    ) -> Result<S> {
        unsupported_default!(self, "conv2d_backward_input", layout, weight, weight_layout, geometry, groups)
    }
    /// Gradient of [`conv2d`](Self::conv2d) with respect to its weight; `self` is the output gradient.
    fn conv2d_backward_weight(
        &self,
        layout: &Layout,
        input: &S,
        input_layout: &Layout,
        geometry: &Conv2dGeometry,
        groups: usize,
        out_channels: usize,
    ) -> Result<S> {
        unsupported_default!(
            self,
            "conv2d_backward_weight",
            layout,
            input,
            input_layout,
            geometry,
            groups,
            out_channels
        )
    }
}
