//! What every optimizer keeps and does the same way: parameter groups, each with its options and
//! a state per parameter (made at the parameter's first step with a gradient), the walk of a
//! step over the parameters that have a gradient, `zero_grad`, the learning rates the
//! schedulers read and write, and weight decay.

use super::state::{self, GroupOptions, OptimizerState, ParamState};
use std::fmt;
use tensor_autograd::{no_grad, Var};
use tensor_core::{Result, Tensor};

/// The options of one parameter group: whatever else they hold, a learning rate.
pub(crate) trait GroupConfig: fmt::Debug {
    /// The learning rate.
    fn lr(&self) -> f64;
    /// The learning rate, to set (schedulers).
    fn lr_mut(&mut self) -> &mut f64;
    /// The momentum (SGD's `momentum`, Adam's `betas[0]`).
    fn momentum(&self) -> f64;
    /// The momentum, to set (`OneCycleLR`).
    fn momentum_mut(&mut self) -> &mut f64;
}

/// One group: its parameters, their options, and a state per parameter (`None` until the
/// parameter's first step with a gradient).
struct Group<C, S> {
    params: Vec<Var>,
    config: C,
    state: Vec<Option<S>>,
}

/// An optimizer's parameter groups, with options `C` and per-parameter state `S`.
pub(crate) struct ParamGroups<C, S> {
    groups: Vec<Group<C, S>>,
}

impl<C: GroupConfig, S> ParamGroups<C, S> {
    /// The groups, each with `config` checked by `validate` (which errs as PyTorch's
    /// constructor does).
    #[track_caller]
    pub(crate) fn new(groups: Vec<(Vec<Var>, C)>, validate: impl Fn(&C) -> Result<()>) -> Result<Self> {
        let mut out = Vec::with_capacity(groups.len());
        for (params, config) in groups {
            validate(&config)?;
            let state = params.iter().map(|_| None).collect();
            out.push(Group { params, config, state });
        }
        Ok(ParamGroups { groups: out })
    }

    /// One step, under `no_grad`: `update(config, param, grad, state)` for every parameter that
    /// has a gradient, group by group, in order. `param` is a handle to the parameter's tensor,
    /// so writing it in place updates the parameter.
    #[track_caller]
    pub(crate) fn step(
        &mut self,
        mut update: impl FnMut(&C, &mut Tensor, Tensor, &mut Option<S>) -> Result<()>,
    ) -> Result<()> {
        let _guard = no_grad();
        for group in &mut self.groups {
            for (p, state) in group.params.iter().zip(group.state.iter_mut()) {
                let Some(grad) = p.grad() else { continue };
                update(&group.config, &mut p.tensor(), grad, state)?;
            }
        }
        Ok(())
    }

    /// Clears every parameter's gradient.
    pub(crate) fn zero_grad(&self) {
        self.groups.iter().flat_map(|g| &g.params).for_each(Var::zero_grad);
    }
    /// The learning rate of each group.
    pub(crate) fn learning_rates(&self) -> Vec<f64> {
        self.groups.iter().map(|g| g.config.lr()).collect()
    }
    /// Sets the learning rate of group `group` (nothing when there is no such group).
    pub(crate) fn set_learning_rate(&mut self, group: usize, lr: f64) {
        if let Some(g) = self.groups.get_mut(group) {
            *g.config.lr_mut() = lr;
        }
    }
    /// The momentum of each group.
    pub(crate) fn momentums(&self) -> Vec<f64> {
        self.groups.iter().map(|g| g.config.momentum()).collect()
    }
    /// Sets the momentum of group `group` (nothing when there is no such group).
    pub(crate) fn set_momentum(&mut self, group: usize, momentum: f64) {
        if let Some(g) = self.groups.get_mut(group) {
            *g.config.momentum_mut() = momentum;
        }
    }
}

impl<C: GroupConfig + GroupOptions, S: ParamState<C>> ParamGroups<C, S> {
    /// The state dict, as `Optimizer.state_dict()` (see `state.rs`).
    #[track_caller]
    pub(crate) fn state_dict(&self) -> Result<OptimizerState> {
        state::state_dict(self.groups.iter().map(|g| (g.params.len(), &g.config, g.state.as_slice())))
    }
    /// Replaces the options and states by those of `saved`, checked (see `state.rs`) with
    /// `validate` as well; nothing changes when it errs. `op` names the optimizer in errors.
    #[track_caller]
    pub(crate) fn load_state_dict(
        &mut self,
        op: &'static str,
        saved: &OptimizerState,
        validate: impl Fn(&C) -> Result<()>,
    ) -> Result<()> {
        let params: Vec<Vec<Tensor>> = self.groups.iter().map(|g| g.params.iter().map(Var::tensor).collect()).collect();
        let (configs, states) = state::load_state_dict(op, &params, saved, validate)?;
        for ((g, config), state) in self.groups.iter_mut().zip(configs).zip(states) {
            g.config = config;
            g.state = state;
        }
        Ok(())
    }
}

impl<C: GroupConfig, S> fmt::Debug for ParamGroups<C, S> {
    /// Each group's options and number of parameters.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.groups.iter().map(|g| (&g.config, g.params.len()))).finish()
    }
}

/// How `weight_decay` acts: as PyTorch's SGD and Adam, an L2 penalty added to the gradient, or
/// as AdamW, decoupled from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WeightDecay {
    /// `grad += weight_decay * param`.
    L2,
    /// `param *= 1 - lr * weight_decay`, before the update.
    Decoupled,
}

/// Implements [`Optimizer`](super::Optimizer) and `Debug` (`name`, then each group's options
/// and number of parameters) for optimizers whose parameter groups are a `groups: ParamGroups`
/// field, whose step is an inherent `update` method, and whose `state_dict` and
/// `load_state_dict` are inherent `save` and `load` methods (`load` validates the loaded options
/// as the constructor does).
macro_rules! optimizer {
    ($($t:ty => $name:literal),*) => {$(
        impl $crate::optim::Optimizer for $t {
            #[track_caller]
            fn step(&mut self) -> tensor_core::Result<()> {
                self.update()
            }
            fn zero_grad(&self) {
                self.groups.zero_grad()
            }
            fn learning_rates(&self) -> Vec<f64> {
                self.groups.learning_rates()
            }
            fn set_learning_rate(&mut self, group: usize, lr: f64) {
                self.groups.set_learning_rate(group, lr)
            }
            fn momentums(&self) -> Vec<f64> {
                self.groups.momentums()
            }
            fn set_momentum(&mut self, group: usize, momentum: f64) {
                self.groups.set_momentum(group, momentum)
            }
            #[track_caller]
            fn state_dict(&self) -> tensor_core::Result<$crate::optim::OptimizerState> {
                self.save()
            }
            #[track_caller]
            fn load_state_dict(&mut self, state: &$crate::optim::OptimizerState) -> tensor_core::Result<()> {
                self.load(state)
            }
        }
        impl std::fmt::Debug for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str($name)?;
                std::fmt::Debug::fmt(&self.groups, f)
            }
        }
    )*};
}
pub(crate) use optimizer;
