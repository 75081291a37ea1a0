//! CPU kernels for 2-d convolution: im2col/col2im and conv forward/backward.

use crate::backend::Conv2dGeometry;
use crate::cpu::CpuStorage;
use crate::{bail, Layout, Result};

/// im2col: `[batch, c * kh * kw, oh * ow]`.
pub(crate) fn im2col(x: &CpuStorage, layout: &Layout, g: &Conv2dGeometry) -> Result<CpuStorage> {
    let _ = (x, layout, g);
    bail!(Unsupported, "im2col", "not implemented yet")
}

/// col2im: the adjoint of im2col, `[batch, c, h, w]`.
pub(crate) fn col2im(cols: &CpuStorage, layout: &Layout, g: &Conv2dGeometry) -> Result<CpuStorage> {
    let _ = (cols, layout, g);
    bail!(Unsupported, "col2im", "not implemented yet")
}

/// conv2d forward (no bias): `[batch, out_channels, oh, ow]`.
pub(crate) fn conv2d(
    x: &CpuStorage,
    layout: &Layout,
    w: &CpuStorage,
    wl: &Layout,
    g: &Conv2dGeometry,
    groups: usize,
) -> Result<CpuStorage> {
    let _ = (x, layout, w, wl, g, groups);
    bail!(Unsupported, "conv2d", "not implemented yet")
}

/// Gradient of conv2d to its input; `grad` is `[batch, out_channels, oh, ow]`.
pub(crate) fn conv2d_backward_input(
    grad: &CpuStorage,
    layout: &Layout,
    w: &CpuStorage,
    wl: &Layout,
    g: &Conv2dGeometry,
    groups: usize,
) -> Result<CpuStorage> {
    let _ = (grad, layout, w, wl, g, groups);
    bail!(Unsupported, "conv2d_backward_input", "not implemented yet")
}

/// Gradient of conv2d to its weight.
pub(crate) fn conv2d_backward_weight(
    grad: &CpuStorage,
    layout: &Layout,
    x: &CpuStorage,
    xl: &Layout,
    g: &Conv2dGeometry,
    groups: usize,
    out_channels: usize,
) -> Result<CpuStorage> {
    let _ = (grad, layout, x, xl, g, groups, out_channels);
    bail!(Unsupported, "conv2d_backward_weight", "not implemented yet")
}
