//! Autograd and training: a LeNet-5 SGD step, the GPT of WORKLOADS.md forward and training
//! step, and a long autograd chain.

use super::{randn, Devices, Prepared, Workload};
use tensor_autograd::no_grad;
use tensor_autograd::Var;
use tensor_core::{DType, Device, Result, Tensor};
use tensor_nn::models::{Gpt, GptConfig, LeNet5};
use tensor_nn::optim::{AdamW, AdamWConfig, Optimizer, Sgd, SgdConfig};
use tensor_nn::{functional as F, ClassLossOptions, Module, ModuleExt};

/// The autograd and nn workloads.
pub const WORKLOADS: &[Workload] = &[
    Workload { name: "lenet_step_bs64", devices: Devices::Both, setup: lenet_step_bs64 },
    Workload { name: "lenet_step_bs256", devices: Devices::Both, setup: lenet_step_bs256 },
    Workload { name: "gpt_fwd", devices: Devices::Both, setup: gpt_fwd },
    Workload { name: "gpt_step", devices: Devices::Both, setup: gpt_step },
    Workload { name: "autograd_chain", devices: Devices::CpuOnly, setup: autograd_chain },
];

/// The GPT of WORKLOADS.md and random tokens `[b, 128]` (b = 8 on the CPU, 32 on CUDA) with
/// their targets.
fn gpt_setup(device: &Device) -> Result<(Gpt, Var, Tensor)> {
    let b = if device.is_cpu() { 8 } else { 32 };
    let model = Gpt::new(GptConfig::workloads(), device)?;
    let x = Var::constant(Tensor::randint(0, 256, [b, 128], device)?);
    let y = Tensor::randint(0, 256, [b * 128], device)?;
    Ok((model, x, y))
}

/// The GPT's forward without recording.
fn gpt_fwd(device: &Device) -> Result<Prepared> {
    let (model, x, _) = gpt_setup(device)?;
    Ok(Prepared::run(move || {
        let _guard = no_grad();
        model.forward(&x).map(|_| ())
    }))
}

/// One GPT training step: zero_grad, forward, cross-entropy over `[b·128, 256]` logits,
/// backward, AdamW (lr 3e-4, weight decay 0.1); 3 warm-ups and 20 timed runs.
fn gpt_step(device: &Device) -> Result<Prepared> {
    let (model, x, y) = gpt_setup(device)?;
    let mut opt = AdamW::new(model.parameters(), AdamWConfig { lr: 3e-4, weight_decay: 0.1, ..Default::default() })?;
    let opts = ClassLossOptions::default();
    Ok(Prepared::run_with(3, 20, move || {
        opt.zero_grad();
        let logits = model.forward(&x)?;
        F::cross_entropy(&logits.reshape(&[-1, 256])?, &y, &opts)?.backward()?;
        opt.step()
    }))
}

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
