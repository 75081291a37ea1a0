//! Autograd and training: a LeNet-5 SGD step and a long autograd chain.

use super::{randn, Devices, Prepared, Workload};
use tensor_autograd::Var;
use tensor_core::{DType, Device, Result, Tensor};
use tensor_nn::models::LeNet5;
use tensor_nn::optim::{Optimizer, Sgd, SgdConfig};
use tensor_nn::{functional as F, ClassLossOptions, Module, ModuleExt};

/// The autograd and nn workloads.
pub const WORKLOADS: &[Workload] = &[
    Workload { name: "lenet_step_bs64", devices: Devices::Both, setup: lenet_step_bs64 },
    Workload { name: "lenet_step_bs256", devices: Devices::Both, setup: lenet_step_bs256 },
    Workload { name: "autograd_chain", devices: Devices::CpuOnly, setup: autograd_chain },
];

/// One LeNet-5 training step (zero_grad, forward, cross-entropy, backward, SGD lr 0.01
/// momentum 0.9) on a batch of `batch`; 5 warm-ups and 50 timed runs, as torch_reference.py.
fn lenet_step(device: &Device, batch: usize) -> Result<Prepared> {
    let model = LeNet5::new(device)?;
    let mut opt = Sgd::new(model.parameters(), SgdConfig { lr: 0.01, momentum: 0.9, ..Default::default() })?;
    let x = Var::constant(randn(&[batch, 1, 28, 28], device)?);
    let y = Tensor::randint(0, 10, [batch], device)?;
    let opts = ClassLossOptions::default();
    Ok(Prepared::run_with(5, 50, move || {
        opt.zero_grad();
        F::cross_entropy(&model.forward(&x)?, &y, &opts)?.backward()?;
        opt.step()
    }))
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
    let device = device.clone();
    Ok(Prepared::run(move || {
        let z = Var::new(Tensor::ones([1], DType::F32, &device)?, true);
        let mut a = z.clone();
        for _ in 0..500 {
            a = a.mul(1.0001)?.add(0.5)?;
        }
        a.sum()?.backward()
    }))
}
