//! The optimizer family's backend trait, [`OptimOps`], and its step descriptors: one fused pass
//! over a parameter, its gradient and its state, as PyTorch's fused optimizers. Each method is
//! optional (`None`): tensor-core composes the same step from other ops. The CPU's impl is in
//! `cpu.rs` beside this file; tensor-cuda's in `src/ops/optim.rs`.

use crate::backend::base::StorageBase;
use crate::{Layout, Result};

/// One Adam / AdamW step's numbers, as `torch.optim.Adam`'s single-tensor path computes them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamStep {
    /// Learning rate.
    pub lr: f64,
    /// The running averages' coefficients.
    pub betas: (f64, f64),
    /// Added to the denominator.
    pub eps: f64,
    /// Weight decay: added to the gradient (`decoupled` false, Adam's L2), or multiplying the
    /// parameter by `1 - lr * weight_decay` first (`decoupled`, AdamW's).
    pub weight_decay: f64,
    /// AdamW's decoupled weight decay.
    pub decoupled: bool,
    /// The step number, from 1 (bias corrections).
    pub step: u64,
}

/// One SGD step's numbers, as `torch.optim.SGD`'s.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SgdStep {
    /// Learning rate.
    pub lr: f64,
    /// Momentum factor (0: none, and no buffer).
    pub momentum: f64,
    /// Dampening of the momentum.
    pub dampening: f64,
    /// L2 penalty added to the gradient.
    pub weight_decay: f64,
    /// Nesterov momentum.
    pub nesterov: bool,
    /// True at the buffer's first step: it takes the gradient as it is.
    pub first: bool,
}

/// The fused optimizer steps of a storage: `self` is the parameter, updated in place; every
/// layout is contiguous and of one shape (tensor-core checks). `S`: the storage handle
/// ([`Storage`](crate::backend::Storage)).
#[allow(clippy::too_many_arguments)]
pub trait OptimOps<S>: StorageBase {
    /// One Adam step: the moments `exp_avg`, `exp_avg_sq` (and AMSGrad's `max_exp_avg_sq`)
    /// updated from `grad`, then the parameter.
    fn adam_step(
        &mut self,
        layout: &Layout,
        grad: &S,
        exp_avg: &mut S,
        exp_avg_sq: &mut S,
        max_exp_avg_sq: Option<&mut S>,
        step: &AdamStep,
    ) -> Option<Result<()>> {
        let _ = (layout, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, step);
        None
    }
    /// One SGD step, with the momentum buffer where `step.momentum` is nonzero.
    fn sgd_step(
        &mut self,
        layout: &Layout,
        grad: &S,
        momentum_buffer: Option<&mut S>,
        step: &SgdStep,
    ) -> Option<Result<()>> {
        let _ = (layout, grad, momentum_buffer, step);
        None
    }
}
