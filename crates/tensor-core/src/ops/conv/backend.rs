//! The conv family's backend trait, [`ConvOps`], and its op descriptors: what a storage of any
//! device implements to run 2-d convolution and its im2col/col2im building blocks. The CPU's impl is in `cpu.rs` beside this file; a
//! device crate implements it for its own storage (tensor-cuda: `src/ops/conv.rs`).

use crate::backend::base::{unsupported_default, StorageBase};

use crate::{Layout, Result};

/// Geometry of a 2-d convolution, pooling window or im2col: the one description of a window
/// walk over NCHW images that tensor-core's checks make and every backend's kernels read (the
/// CPU's directly; CUDA's as the `#[repr(C)]` `ConvGeo` of `common.cuh`, with the same fields).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Conv2dGeometry {
    /// Batch size.
    pub batch: usize,
    /// Input channels (all groups).
    pub c: usize,
    /// Input height.
    pub h: usize,
    /// Input width.
    pub w: usize,
    /// Kernel (window) height.
    pub kh: usize,
    /// Kernel (window) width.
    pub kw: usize,
    /// Vertical stride.
    pub sh: usize,
    /// Horizontal stride.
    pub sw: usize,
    /// Zero padding above and below.
    pub ph: usize,
    /// Zero padding left and right.
    pub pw: usize,
    /// Vertical dilation.
    pub dh: usize,
    /// Horizontal dilation.
    pub dw: usize,
    /// Output height.
    pub oh: usize,
    /// Output width.
    pub ow: usize,
}

impl Conv2dGeometry {
    /// Elements of one input image.
    pub fn image(&self) -> usize {
        self.c * self.h * self.w
    }
    /// Kernel taps per channel.
    pub fn taps(&self) -> usize {
        self.kh * self.kw
    }
    /// Output positions per image.
    pub fn positions(&self) -> usize {
        self.oh * self.ow
    }
    /// True when the columns are the image itself (1x1 kernel, stride 1, no padding).
    pub fn is_pointwise(&self) -> bool {
        self.kh == 1 && self.kw == 1 && self.sh == 1 && self.sw == 1 && self.ph == 0 && self.pw == 0
    }
}

/// The conv ops of a storage. `S` is the storage handle the ops take and return (tensor-core's
/// [`Storage`](crate::backend::Storage)); every method defaults to an `Unsupported` error (or
/// `None` where tensor-core has a fallback), so a backend grows op by op.
#[allow(clippy::too_many_arguments)]
pub trait ConvOps<S>: StorageBase {
    /// im2col of an NCHW input: `[batch, in_channels * kh * kw, oh * ow]`, contiguous.
    #[track_caller]
    fn im2col(&self, layout: &Layout, geometry: &Conv2dGeometry) -> Result<S> {
        unsupported_default!(self, "im2col", layout, geometry)
    }
    /// col2im (the adjoint of im2col, summing overlaps) into a new NCHW storage.
    #[track_caller]
    fn col2im(&self, layout: &Layout, geometry: &Conv2dGeometry) -> Result<S> {
        unsupported_default!(self, "col2im", layout, geometry)
    }
    /// weights (no bias); the result is `[batch, out_channels, oh, ow]`.
    #[track_caller]
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
    #[track_caller]
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
    #[track_caller]
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
