//! Adam and AdamW, as `torch.optim.Adam` / `torch.optim.AdamW` (the single-tensor path that
//! PyTorch takes on the CPU), with AMSGrad, L2 (Adam) or decoupled (AdamW) weight decay, and
//! parameter groups.

use super::groups::{optimizer, GroupConfig, ParamGroups, WeightDecay};
use super::state::{step_tensor, GroupOptions, GroupReader, OptimizerState, ParamGroupState, ParamState, StateReader};
use serde_json::{json, Value};
use tensor_autograd::Var;
use tensor_core::backend::AdamStep;
use tensor_core::{bail, Result, Tensor};

/// The options of one parameter group of [`Adam`], as `torch.optim.Adam`'s keyword arguments.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamConfig {
    /// Learning rate.
    pub lr: f64,
    /// Coefficients of the running averages of the gradient and of its square.
    pub betas: (f64, f64),
    /// Added to the denominator for numerical stability.
    pub eps: f64,
    /// L2 penalty, added to the gradient.
    pub weight_decay: f64,
    /// Use the maximum of the past squared-gradient averages (AMSGrad).
    pub amsgrad: bool,
}

impl Default for AdamConfig {
    /// PyTorch's defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8, no weight decay.
    fn default() -> Self {
        AdamConfig { lr: 1e-3, betas: (0.9, 0.999), eps: 1e-8, weight_decay: 0.0, amsgrad: false }
    }
}

/// The options of one parameter group of [`AdamW`], as `torch.optim.AdamW`'s keyword arguments.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamWConfig {
    /// Learning rate.
    pub lr: f64,
    /// Coefficients of the running averages of the gradient and of its square.
    pub betas: (f64, f64),
    /// Added to the denominator for numerical stability.
    pub eps: f64,
    /// Decoupled weight decay: each step multiplies the parameter by `1 - lr * weight_decay`.
    pub weight_decay: f64,
    /// Use the maximum of the past squared-gradient averages (AMSGrad).
    pub amsgrad: bool,
}

impl Default for AdamWConfig {
    /// PyTorch's defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay 1e-2.
    fn default() -> Self {
        AdamWConfig { lr: 1e-3, betas: (0.9, 0.999), eps: 1e-8, weight_decay: 1e-2, amsgrad: false }
    }
}

impl From<AdamWConfig> for AdamConfig {
    fn from(c: AdamWConfig) -> Self {
        AdamConfig { lr: c.lr, betas: c.betas, eps: c.eps, weight_decay: c.weight_decay, amsgrad: c.amsgrad }
    }
}

impl GroupConfig for AdamConfig {
    fn lr(&self) -> f64 {
        self.lr
    }
    fn lr_mut(&mut self) -> &mut f64 {
        &mut self.lr
    }
    fn momentum(&self) -> f64 {
        self.betas.0
    }
    fn momentum_mut(&mut self) -> &mut f64 {
        &mut self.betas.0
    }
}

/// Per-parameter state, created at the parameter's first step with a gradient.
struct State {
    step: u64,
    exp_avg: Tensor,
    exp_avg_sq: Tensor,
    max_exp_avg_sq: Option<Tensor>,
}

impl GroupOptions for AdamConfig {
    /// `torch.optim.Adam`'s group keys (the flags we do not implement at their defaults).
    fn to_json(&self) -> ParamGroupState {
        let v = json!({
            "lr": self.lr, "betas": [self.betas.0, self.betas.1], "eps": self.eps,
            "weight_decay": self.weight_decay, "amsgrad": self.amsgrad, "maximize": false,
            "foreach": null, "capturable": false, "differentiable": false, "fused": null,
        });
        match v {
            Value::Object(m) => m,
            _ => ParamGroupState::new(),
        }
    }
    #[track_caller]
    fn from_json(r: &GroupReader<'_>) -> Result<Self> {
        for flag in ["maximize", "capturable", "differentiable", "fused"] {
            r.unsupported_flag(flag)?;
        }
        Ok(AdamConfig {
            lr: r.f64("lr")?,
            betas: r.pair("betas")?,
            eps: r.f64("eps")?,
            weight_decay: r.f64("weight_decay")?,
            amsgrad: r.bool("amsgrad")?,
        })
    }
}

impl ParamState<AdamConfig> for State {
    #[track_caller]
    fn to_tensors(&self) -> Result<Vec<(&'static str, Tensor)>> {
        let mut out = vec![
            ("step", step_tensor(self.step)?),
            ("exp_avg", self.exp_avg.shallow_clone()),
            ("exp_avg_sq", self.exp_avg_sq.shallow_clone()),
        ];
        if let Some(m) = &self.max_exp_avg_sq {
            out.push(("max_exp_avg_sq", m.shallow_clone()));
        }
        Ok(out)
    }
    #[track_caller]
    fn from_tensors(r: &StateReader<'_>, config: &AdamConfig) -> Result<Self> {
        Ok(State {
            step: r.step()?,
            exp_avg: r.like_param("exp_avg")?,
            exp_avg_sq: r.like_param("exp_avg_sq")?,
            max_exp_avg_sq: if config.amsgrad { Some(r.like_param("max_exp_avg_sq")?) } else { None },
        })
    }
}

/// The state dict of Adam (`decoupled` false) or AdamW (true): PyTorch's groups name the
/// difference `decoupled_weight_decay` (AdamW is Adam with it set).
#[track_caller]
fn save(groups: &Groups, decoupled: bool) -> Result<OptimizerState> {
    let mut out = groups.state_dict()?;
    for g in &mut out.param_groups {
        g.insert("decoupled_weight_decay".into(), Value::Bool(decoupled));
    }
    Ok(out)
}

/// Refuses a group whose `decoupled_weight_decay` is present and not `decoupled` (a dict of
/// AdamW loaded into Adam, or the reverse).
#[track_caller]
fn check_decoupled(name: &'static str, saved: &OptimizerState, decoupled: bool) -> Result<()> {
    for (g, group) in saved.param_groups.iter().enumerate() {
        if let Some(v) = group.get("decoupled_weight_decay").filter(|v| !v.is_null()) {
            if v.as_bool() != Some(decoupled) {
                bail!(Value, name, "param_groups.{g}.decoupled_weight_decay: expected {decoupled}, got {v}");
            }
        }
    }
    Ok(())
}

/// The parameter groups of Adam and AdamW (AdamW's options as Adam's).
type Groups = ParamGroups<AdamConfig, State>;

#[track_caller]
fn validate(name: &'static str, c: &AdamConfig) -> Result<()> {
    if c.lr.is_nan() || c.lr < 0.0 {
        bail!(Value, name, "Invalid learning rate: {}", c.lr);
    }
    if c.eps.is_nan() || c.eps < 0.0 {
        bail!(Value, name, "Invalid epsilon value: {}", c.eps);
    }
    if !(0.0..1.0).contains(&c.betas.0) {
        bail!(Value, name, "Invalid beta parameter at index 0: {}", c.betas.0);
    }
    if !(0.0..1.0).contains(&c.betas.1) {
        bail!(Value, name, "Invalid beta parameter at index 1: {}", c.betas.1);
    }
    if c.weight_decay.is_nan() || c.weight_decay < 0.0 {
        bail!(Value, name, "Invalid weight_decay value: {}", c.weight_decay);
    }
    Ok(())
}

/// One Adam step of one parameter, with `decay` selecting Adam's or AdamW's weight decay:
/// tensor-core's fused step (the same arithmetic as `_single_tensor_adam`, one pass).
#[track_caller]
fn update(
    decay: WeightDecay,
    c: &AdamConfig,
    param: &mut Tensor,
    grad: Tensor,
    state: &mut Option<State>,
) -> Result<()> {
    let st = match state {
        Some(s) => s,
        None => state.insert(State {
            step: 0,
            exp_avg: param.zeros_like(None)?,
            exp_avg_sq: param.zeros_like(None)?,
            max_exp_avg_sq: if c.amsgrad { Some(param.zeros_like(None)?) } else { None },
        }),
    };
    st.step += 1;
    let step = AdamStep {
        lr: c.lr,
        betas: c.betas,
        eps: c.eps,
        weight_decay: c.weight_decay,
        decoupled: decay == WeightDecay::Decoupled,
        step: st.step,
    };
    param.adam_step_(&grad, &mut st.exp_avg, &mut st.exp_avg_sq, st.max_exp_avg_sq.as_mut(), &step)
}

/// `torch.optim.Adam`: adaptive moments, with an L2 penalty added to the gradient.
///
/// ```
/// use tensor_nn::optim::{Adam, AdamConfig, Optimizer};
/// use tensor_autograd::Var;
/// use tensor_core::{Tensor, Device};
/// let w = Var::parameter(Tensor::new([1.0f64, -2.0], &Device::Cpu)?);
/// let mut opt = Adam::new(vec![w.clone()], AdamConfig { lr: 0.1, ..Default::default() })?;
/// w.mul(&w)?.sum()?.backward()?;
/// opt.step()?;
/// // The first Adam step moves each element by about lr against its gradient's sign.
/// let v = w.tensor().to_vec::<f64>()?;
/// assert!((v[0] - 0.9).abs() < 1e-6 && (v[1] + 1.9).abs() < 1e-6);
/// # Ok::<(), tensor_core::Error>(())
/// ```
pub struct Adam {
    groups: Groups,
}

impl Adam {
    /// One group of parameters with `config`.
    #[track_caller]
    pub fn new(params: Vec<Var>, config: AdamConfig) -> Result<Adam> {
        Adam::with_groups(vec![(params, config)])
    }
    /// Several parameter groups, each with its own options.
    #[track_caller]
    pub fn with_groups(groups: Vec<(Vec<Var>, AdamConfig)>) -> Result<Adam> {
        Ok(Adam { groups: ParamGroups::new(groups, |c| validate("Adam", c))? })
    }

    #[track_caller]
    fn update(&mut self) -> Result<()> {
        self.groups.step(|c, param, grad, state| update(WeightDecay::L2, c, param, grad, state))
    }
    #[track_caller]
    fn save(&self) -> Result<OptimizerState> {
        save(&self.groups, false)
    }
    #[track_caller]
    fn load(&mut self, saved: &OptimizerState) -> Result<()> {
        check_decoupled("Adam", saved, false)?;
        self.groups.load_state_dict("Adam", saved, |c| validate("Adam", c))
    }
}

/// `torch.optim.AdamW`: Adam with decoupled weight decay (the parameter is multiplied by
/// `1 - lr * weight_decay` before the Adam update, instead of adding an L2 term to the gradient).
pub struct AdamW {
    groups: Groups,
}

impl AdamW {
    /// One group of parameters with `config`.
    #[track_caller]
    pub fn new(params: Vec<Var>, config: AdamWConfig) -> Result<AdamW> {
        AdamW::with_groups(vec![(params, config)])
    }
    /// Several parameter groups, each with its own options.
    #[track_caller]
    pub fn with_groups(groups: Vec<(Vec<Var>, AdamWConfig)>) -> Result<AdamW> {
        let groups = groups.into_iter().map(|(p, c)| (p, AdamConfig::from(c))).collect();
        Ok(AdamW { groups: ParamGroups::new(groups, |c| validate("AdamW", c))? })
    }

    #[track_caller]
    fn update(&mut self) -> Result<()> {
        self.groups.step(|c, param, grad, state| update(WeightDecay::Decoupled, c, param, grad, state))
    }
    #[track_caller]
    fn save(&self) -> Result<OptimizerState> {
        save(&self.groups, true)
    }
    #[track_caller]
    fn load(&mut self, saved: &OptimizerState) -> Result<()> {
        check_decoupled("AdamW", saved, true)?;
        self.groups.load_state_dict("AdamW", saved, |c| validate("AdamW", c))
    }
}

optimizer!(Adam => "Adam", AdamW => "AdamW");
