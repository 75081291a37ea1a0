//! CPU kernels for 2-d pooling and its gradients.

use crate::backend::Conv2dGeometry;
use crate::cpu::CpuStorage;
use crate::{bail, Layout, Result};

/// Max pooling: (values, flat `h * w` I64 indices).
pub(crate) fn max_pool2d(x: &CpuStorage, layout: &Layout, g: &Conv2dGeometry) -> Result<(CpuStorage, CpuStorage)> {
    let _ = (x, layout, g);
    bail!(Unsupported, "max_pool2d", "not implemented yet")
}

/// Gradient of max pooling: scatters `grad` to the chosen positions.
pub(crate) fn max_pool2d_backward(
    grad: &CpuStorage,
    layout: &Layout,
    indices: &CpuStorage,
    il: &Layout,
    g: &Conv2dGeometry,
) -> Result<CpuStorage> {
    let _ = (grad, layout, indices, il, g);
    bail!(Unsupported, "max_pool2d_backward", "not implemented yet")
}

/// Average pooling.
pub(crate) fn avg_pool2d(
    x: &CpuStorage,
    layout: &Layout,
    g: &Conv2dGeometry,
    count_include_pad: bool,
) -> Result<CpuStorage> {
    let _ = (x, layout, g, count_include_pad);
    bail!(Unsupported, "avg_pool2d", "not implemented yet")
}

/// Gradient of average pooling.
pub(crate) fn avg_pool2d_backward(
    grad: &CpuStorage,
    layout: &Layout,
    g: &Conv2dGeometry,
    count_include_pad: bool,
) -> Result<CpuStorage> {
    let _ = (grad, layout, g, count_include_pad);
    bail!(Unsupported, "avg_pool2d_backward", "not implemented yet")
}
