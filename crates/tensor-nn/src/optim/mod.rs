//! Optimizers, step for step as `torch.optim`, over parameter groups ([`Sgd`], [`Adam`],
//! [`AdamW`]), learning-rate schedulers (as `torch.optim.lr_scheduler`: [`LambdaLR`],
//! [`MultiplicativeLR`], [`StepLR`], [`MultiStepLR`], [`ExponentialLR`], [`LinearLR`],
//! [`CosineAnnealingLR`], [`CosineAnnealingWarmRestarts`], [`OneCycleLR`],
//! [`ReduceLROnPlateau`], [`SequentialLR`]) and gradient
//! clipping ([`clip_grad_norm_`]). Steps run under `no_grad` and update parameters in place.
//! Optimizers and schedulers have `state_dict()` / `load_state_dict()` with PyTorch's structure
//! ([`OptimizerState`], [`SchedulerState`]), which [`crate::checkpoint`] saves with the model to
//! resume training.
//!
//! ```
//! use tensor_nn::optim::{Adam, AdamConfig, CosineAnnealingLR, LrScheduler, Optimizer};
//! use tensor_autograd::Var;
//! use tensor_core::{Tensor, Device};
//! let w = Var::parameter(Tensor::new([1.0f32, -2.0, 3.0], &Device::Cpu)?);
//! let mut opt = Adam::new(vec![w.clone()], AdamConfig { lr: 0.1, ..Default::default() })?;
//! let mut sched = CosineAnnealingLR::new(&opt, 10, 0.0)?;
//! for _ in 0..10 {
//!     opt.zero_grad();
//!     w.mul(&w)?.sum()?.backward()?;
//!     opt.step()?;
//!     sched.step(&mut opt)?;
//! }
//! assert!(opt.learning_rates()[0].abs() < 1e-12);
//! # Ok::<(), tensor_core::Error>(())
//! ```

mod adam;
mod clip;
mod groups;
mod scheduler;
mod sgd;
mod state;

pub use adam::{Adam, AdamConfig, AdamW, AdamWConfig};
pub use clip::clip_grad_norm_;
pub use scheduler::{
    AnnealStrategy, CosineAnnealingLR, CosineAnnealingWarmRestarts, ExponentialLR, LambdaLR, LinearLR, LinearLROptions,
    LrLambda, LrScheduler, MultiStepLR, MultiplicativeLR, OneCycleLR, OneCycleLROptions, PlateauMode,
    ReduceLROnPlateau, ReduceLROnPlateauOptions, SchedulerState, SequentialLR, StepLR, ThresholdMode,
};
/// The JSON crate whose `Map` and `Value` hold the hyper-parameters of [`OptimizerState`] and
/// the entries of [`SchedulerState`].
pub use serde_json;
pub use sgd::{Sgd, SgdConfig};
pub use state::{OptimizerState, ParamGroupState};

use tensor_core::Result;

/// What every optimizer does.
pub trait Optimizer {
    /// One update of every parameter that has a gradient.
    fn step(&mut self) -> Result<()>;
    /// Clears the gradients of every parameter (`set_to_none=True`, PyTorch's default).
    fn zero_grad(&self);
    /// The learning rate of each group.
    fn learning_rates(&self) -> Vec<f64>;
    /// Sets the learning rate of group `group`.
    fn set_learning_rate(&mut self, group: usize, lr: f64);
    /// The momentum of each group (SGD's `momentum`, Adam's and AdamW's `betas[0]`), which
    /// [`OneCycleLR`] cycles; empty (the default) for an optimizer that has none.
    fn momentums(&self) -> Vec<f64> {
        Vec::new()
    }
    /// Sets the momentum of group `group` (the default, for an optimizer without momentum,
    /// does nothing).
    fn set_momentum(&mut self, group: usize, momentum: f64) {
        let _ = (group, momentum);
    }
    /// The state dict, with `torch.optim.Optimizer.state_dict()`'s structure: the state of each
    /// parameter that has one and each group's hyper-parameters (see [`OptimizerState`]). The
    /// tensors share storage with the optimizer's, as PyTorch's do.
    fn state_dict(&self) -> Result<OptimizerState>;
    /// Loads a state dict, as `Optimizer.load_state_dict`: the saved hyper-parameters replace
    /// the groups' options and the state tensors are copied. A dict whose groups, parameter
    /// counts, keys or shapes do not match is an error naming the key, and changes nothing.
    fn load_state_dict(&mut self, state: &OptimizerState) -> Result<()>;
}
