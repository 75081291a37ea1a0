//! Autograd and training: a LeNet-5 SGD step and a long autograd chain. They need
//! tensor-autograd and tensor-nn; until tensor-bench depends on those crates the workloads are
//! listed here and skipped with a note on stderr.

use super::{Devices, Prepared, Workload};
use tensor_core::{Device, Result};

/// The autograd and nn workloads.
pub const WORKLOADS: &[Workload] = &[
    Workload { name: "lenet_step_bs64", devices: Devices::Both, setup: lenet_step_bs64 },
    Workload { name: "lenet_step_bs256", devices: Devices::Both, setup: lenet_step_bs256 },
    Workload { name: "autograd_chain", devices: Devices::CpuOnly, setup: autograd_chain },
];

/// One LeNet-5 training step (zero_grad, forward, cross-entropy, backward, SGD lr 0.01
/// momentum 0.9) on a batch of `batch`; 5 warm-ups and 50 timed runs, as torch_reference.py.
fn lenet_step(device: &Device, batch: usize) -> Result<Prepared> {
    let _ = (device, batch);
    Ok(Prepared::Skip("needs tensor-nn (LeNet-5, cross-entropy, SGD); tensor-bench does not depend on it yet".into()))
}

fn lenet_step_bs64(device: &Device) -> Result<Prepared> {
    lenet_step(device, 64)
}

fn lenet_step_bs256(device: &Device) -> Result<Prepared> {
    lenet_step(device, 256)
}

/// 500 times `z = z * 1.0001 + 0.5` on a one-element tensor that requires grad, then
/// `backward()`: 1000 recorded ops.
fn autograd_chain(device: &Device) -> Result<Prepared> {
    let _ = device;
    Ok(Prepared::Skip("needs tensor-autograd; tensor-bench does not depend on it yet".into()))
}
