//! Stochastic gradient descent with momentum, dampening, Nesterov and weight decay, as
//! `torch.optim.SGD`.

use super::groups::{optimizer, GroupConfig, ParamGroups};
use super::state::{GroupOptions, GroupReader, OptimizerState, ParamGroupState, ParamState, StateReader};
use serde_json::{json, Value};
use tensor_autograd::Var;
use tensor_core::backend::SgdStep;
use tensor_core::{bail, Result, Tensor};

/// The options of one parameter group, as `torch.optim.SGD`'s keyword arguments.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SgdConfig {
    /// Learning rate.
    pub lr: f64,
    /// Momentum factor.
    pub momentum: f64,
    /// Dampening of the momentum.
    pub dampening: f64,
    /// L2 penalty.
    pub weight_decay: f64,
    /// Nesterov momentum.
    pub nesterov: bool,
}

impl Default for SgdConfig {
    fn default() -> Self {
        SgdConfig { lr: 1e-3, momentum: 0.0, dampening: 0.0, weight_decay: 0.0, nesterov: false }
    }
}

impl GroupConfig for SgdConfig {
    fn lr(&self) -> f64 {
        self.lr
    }
    fn lr_mut(&mut self) -> &mut f64 {
        &mut self.lr
    }
    fn momentum(&self) -> f64 {
        self.momentum
    }
    fn momentum_mut(&mut self) -> &mut f64 {
        &mut self.momentum
    }
}

impl GroupOptions for SgdConfig {
    /// `torch.optim.SGD`'s group keys (the flags we do not implement at their defaults).
    fn to_json(&self) -> ParamGroupState {
        let v = json!({
            "lr": self.lr, "momentum": self.momentum, "dampening": self.dampening,
            "weight_decay": self.weight_decay, "nesterov": self.nesterov, "maximize": false,
            "foreach": null, "differentiable": false, "fused": null,
        });
        match v {
            Value::Object(m) => m,
            _ => ParamGroupState::new(),
        }
    }
    #[track_caller]
    fn from_json(r: &GroupReader<'_>) -> Result<Self> {
        for flag in ["maximize", "differentiable", "fused"] {
            r.unsupported_flag(flag)?;
        }
        Ok(SgdConfig {
            lr: r.f64("lr")?,
            momentum: r.f64("momentum")?,
            dampening: r.f64("dampening")?,
            weight_decay: r.f64("weight_decay")?,
            nesterov: r.bool("nesterov")?,
        })
    }
}

/// SGD's state is the momentum buffer, PyTorch's `momentum_buffer`.
impl ParamState<SgdConfig> for Tensor {
    #[track_caller]
    fn to_tensors(&self) -> Result<Vec<(&'static str, Tensor)>> {
        Ok(vec![("momentum_buffer", self.shallow_clone())])
    }
    #[track_caller]
    fn from_tensors(r: &StateReader<'_>, _: &SgdConfig) -> Result<Self> {
        r.like_param("momentum_buffer")
    }
}

/// Checks a group's options as `torch.optim.SGD`'s constructor does.
#[track_caller]
fn validate(config: &SgdConfig) -> Result<()> {
    if config.lr < 0.0 || config.momentum < 0.0 || config.weight_decay < 0.0 {
        bail!(Value, "SGD", "invalid options {:?}: lr, momentum and weight_decay must be >= 0", config);
    }
    if config.nesterov && (config.momentum <= 0.0 || config.dampening != 0.0) {
        bail!(Value, "SGD", "Nesterov momentum requires a momentum and zero dampening");
    }
    Ok(())
}

/// `torch.optim.SGD`.
pub struct Sgd {
    /// The groups; a parameter's state is its momentum buffer.
    groups: ParamGroups<SgdConfig, Tensor>,
}

impl Sgd {
    /// One group of parameters with `config`.
    #[track_caller]
    pub fn new(params: Vec<Var>, config: SgdConfig) -> Result<Sgd> {
        Sgd::with_groups(vec![(params, config)])
    }
    /// Several parameter groups, each with its own options.
    #[track_caller]
    pub fn with_groups(groups: Vec<(Vec<Var>, SgdConfig)>) -> Result<Sgd> {
        Ok(Sgd { groups: ParamGroups::new(groups, validate)? })
    }
    #[track_caller]
    fn save(&self) -> Result<OptimizerState> {
        self.groups.state_dict()
    }
    #[track_caller]
    fn load(&mut self, saved: &OptimizerState) -> Result<()> {
        self.groups.load_state_dict("SGD", saved, validate)
    }

    #[track_caller]
    fn update(&mut self) -> Result<()> {
        self.groups.step(|c, param, grad, buf| {
            // tensor-core's fused step, with `_single_tensor_sgd`'s arithmetic; the buffer is
            // made at the first step with momentum, and takes the gradient then.
            let first = buf.is_none();
            let b = match (c.momentum != 0.0, buf) {
                (false, _) => None,
                (true, Some(b)) => Some(b),
                (true, buf) => Some(buf.insert(param.zeros_like(None)?)),
            };
            let step = SgdStep {
                lr: c.lr,
                momentum: c.momentum,
                dampening: c.dampening,
                weight_decay: c.weight_decay,
                nesterov: c.nesterov,
                first,
            };
            param.sgd_step_(&grad, b, &step)
        })
    }
}

// Printed without a name (only the groups), as it always was.
optimizer!(Sgd => "");
