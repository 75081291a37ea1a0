//! Convolution: the first layer of LeNet and a ResNet 3x3 layer, forward and forward + backward.

use super::{randn, Devices, Prepared, Workload};
use tensor_autograd::Var;
use tensor_core::ops::conv::Conv2dParams;
use tensor_core::{Device, Result};

/// The convolution workloads.
pub const WORKLOADS: &[Workload] = &[
    Workload { name: "conv_lenet1_fwd", devices: Devices::Both, setup: conv_lenet1_fwd },
    Workload { name: "conv_lenet1_fwdbwd", devices: Devices::Both, setup: conv_lenet1_fwdbwd },
    Workload { name: "conv_resnet_fwd", devices: Devices::Both, setup: conv_resnet_fwd },
    Workload { name: "conv_resnet_fwdbwd", devices: Devices::Both, setup: conv_resnet_fwdbwd },
];

/// The ResNet batch: 8 on the CPU, 32 on CUDA.
fn resnet_batch(device: &Device) -> usize {
    if device.is_cuda() {
        32
    } else {
        8
    }
}

/// `conv2d(x, w, padding)`, stride 1, no bias, timed as a user calls it.
fn conv_fwd(device: &Device, x: [usize; 4], w: [usize; 4], padding: usize) -> Result<Prepared> {
    let (x, w) = (randn(&x, device)?, randn(&w, device)?);
    let params = Conv2dParams { padding: [padding, padding], ..Conv2dParams::default() };
    Ok(Prepared::run(move || x.conv2d(&w, None, params).map(drop)))
}

/// conv forward, then backward of `.sum()` to x and w (as `xi.grad = None; w.grad = None;
/// F.conv2d(xi, w, padding=pad).sum().backward()`).
fn conv_fwdbwd(device: &Device, x: [usize; 4], w: [usize; 4], padding: usize) -> Result<Prepared> {
    let (x, w) = (Var::new(randn(&x, device)?, true), Var::new(randn(&w, device)?, true));
    let params = Conv2dParams { padding: [padding, padding], ..Conv2dParams::default() };
    Ok(Prepared::run(move || {
        x.zero_grad();
        w.zero_grad();
        x.conv2d(&w, None, params)?.sum()?.backward()
    }))
}

/// conv2d x[64, 1, 28, 28], w[6, 1, 5, 5], padding 2.
fn conv_lenet1_fwd(device: &Device) -> Result<Prepared> {
    conv_fwd(device, [64, 1, 28, 28], [6, 1, 5, 5], 2)
}

/// The same, then backward of `.sum()` to x and w.
fn conv_lenet1_fwdbwd(device: &Device) -> Result<Prepared> {
    conv_fwdbwd(device, [64, 1, 28, 28], [6, 1, 5, 5], 2)
}

/// conv2d x[b, 64, 56, 56], w[64, 64, 3, 3], padding 1.
fn conv_resnet_fwd(device: &Device) -> Result<Prepared> {
    conv_fwd(device, [resnet_batch(device), 64, 56, 56], [64, 64, 3, 3], 1)
}

/// The same, then backward of `.sum()` to x and w.
fn conv_resnet_fwdbwd(device: &Device) -> Result<Prepared> {
    conv_fwdbwd(device, [resnet_batch(device), 64, 56, 56], [64, 64, 3, 3], 1)
}
