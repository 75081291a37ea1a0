//! Optimizer state dicts with `torch.optim.Optimizer.state_dict()`'s structure, to save and
//! resume training ([`crate::checkpoint`] writes them to a file).
//!
//! An [`OptimizerState`] has PyTorch's two parts:
//!
//! - `state`: each parameter that has a state (it has taken a step), keyed by its index over all
//!   groups in order (PyTorch's numbering), with its tensors under PyTorch's names: `step` (a
//!   float32 scalar tensor, as PyTorch ≥ 1.12 stores it), `exp_avg`, `exp_avg_sq` and, with
//!   AMSGrad, `max_exp_avg_sq` for Adam and AdamW; `momentum_buffer` for SGD with momentum;
//! - `param_groups`: each group's hyper-parameters under PyTorch's names (`lr`, `betas`, `eps`,
//!   `weight_decay`, `amsgrad`, `momentum`, `dampening`, `nesterov`, and the flags PyTorch
//!   writes: `maximize`, `foreach`, ..., and `decoupled_weight_decay`, false for Adam and true
//!   for AdamW) as a JSON object, plus `params`, the indices of the group's parameters. Flags
//!   for options we do not implement (`maximize`, `capturable`, ...) load only when false or
//!   null; other unknown keys (`initial_lr`, which PyTorch's schedulers add) are ignored.
//!
//! Loading follows `Optimizer.load_state_dict`: the number of groups and of parameters in each
//! must match, the saved hyper-parameters replace the current ones, and the state tensors are
//! copied (cast to the parameter's dtype and device). Every mismatch is an error that names the
//! key and the expected and actual values; nothing is changed when loading fails.
//!
//! ```
//! use tensor_nn::optim::{Adam, AdamConfig, Optimizer};
//! use tensor_autograd::Var;
//! use tensor_core::{Tensor, Device};
//! let w = Var::parameter(Tensor::new([1.0f32, -2.0], &Device::Cpu)?);
//! let mut opt = Adam::new(vec![w.clone()], AdamConfig { lr: 0.1, ..Default::default() })?;
//! w.mul(&w)?.sum()?.backward()?;
//! opt.step()?;
//! let saved = opt.state_dict()?;
//! assert_eq!(saved.state[&0]["step"].to_vec::<f32>()?, [1.0]);
//! assert_eq!(saved.param_groups[0]["lr"], 0.1);
//! assert_eq!(saved.param_groups[0]["params"], serde_json::json!([0]));
//! // A fresh optimizer over the same parameters continues where this one stopped.
//! let mut fresh = Adam::new(vec![w.clone()], AdamConfig::default())?;
//! fresh.load_state_dict(&saved)?;
//! assert_eq!(fresh.learning_rates(), [0.1]);
//! # Ok::<(), tensor_core::Error>(())
//! ```

use serde_json::{Map, Value};
use std::collections::BTreeMap;
use tensor_core::{bail, err, DType, Device, Result, ResultExt, Tensor};

/// One parameter group's entry of [`OptimizerState::param_groups`]: hyper-parameters by
/// PyTorch's names, and `params`, the indices of the group's parameters.
pub type ParamGroupState = Map<String, Value>;

/// An optimizer's state dict, with `torch.optim.Optimizer.state_dict()`'s structure: `state`
/// holds each parameter's tensors (`step` as a float32 scalar tensor, `exp_avg`, `exp_avg_sq`,
/// `max_exp_avg_sq` for Adam and AdamW, `momentum_buffer` for SGD) keyed by the parameter's
/// index over all groups; `param_groups` each group's hyper-parameters under PyTorch's names
/// and `params`, its parameters' indices. Made by [`Optimizer::state_dict`](super::Optimizer::state_dict),
/// loaded by [`Optimizer::load_state_dict`](super::Optimizer::load_state_dict).
#[derive(Debug, Default)]
pub struct OptimizerState {
    /// Per-parameter state, keyed by the parameter's index over all groups: its tensors by name
    /// (`step`, `exp_avg`, `momentum_buffer`, ...). Parameters without state are absent.
    pub state: BTreeMap<usize, BTreeMap<String, Tensor>>,
    /// Each group's hyper-parameters and `params` (the indices of its parameters).
    pub param_groups: Vec<ParamGroupState>,
}

impl OptimizerState {
    /// The state's tensors as one flat map, named `{prefix}state.{index}.{name}` (e.g.
    /// `optimizer.state.3.exp_avg`), for a safetensors file; the tensors share storage.
    pub fn state_tensors(&self, prefix: &str) -> BTreeMap<String, Tensor> {
        let mut out = BTreeMap::new();
        for (i, tensors) in &self.state {
            for (name, t) in tensors {
                out.insert(format!("{prefix}state.{i}.{name}"), t.shallow_clone());
            }
        }
        out
    }

    /// The inverse of [`OptimizerState::state_tensors`]: the entries of `tensors` whose names
    /// start with `{prefix}state.` (others are ignored), with `param_groups`. A name that is not
    /// `{prefix}state.{index}.{name}` is an error.
    #[track_caller]
    pub fn from_state_tensors(
        prefix: &str,
        tensors: &BTreeMap<String, Tensor>,
        param_groups: Vec<ParamGroupState>,
    ) -> Result<OptimizerState> {
        let head = format!("{prefix}state.");
        let mut state: BTreeMap<usize, BTreeMap<String, Tensor>> = BTreeMap::new();
        for (key, t) in tensors {
            let Some(rest) = key.strip_prefix(&head) else { continue };
            let parsed = rest.split_once('.').and_then(|(i, name)| Some((i.parse::<usize>().ok()?, name)));
            let Some((i, name)) = parsed.filter(|(_, name)| !name.is_empty()) else {
                bail!(Value, "OptimizerState", "the key {key:?} is not {head}<index>.<name>");
            };
            state.entry(i).or_default().insert(name.to_string(), t.shallow_clone());
        }
        Ok(OptimizerState { state, param_groups })
    }
}

/// A group's options as PyTorch's hyper-parameters (implemented in each optimizer's file).
pub(crate) trait GroupOptions: Sized {
    /// The hyper-parameters under PyTorch's names, without `params`.
    fn to_json(&self) -> ParamGroupState;
    /// The options of a saved group; `r` reads its entries with errors that name them.
    #[track_caller]
    fn from_json(r: &GroupReader<'_>) -> Result<Self>;
}

/// A parameter's state as named tensors (implemented in each optimizer's file).
pub(crate) trait ParamState<C>: Sized {
    /// The state's tensors under PyTorch's names.
    #[track_caller]
    fn to_tensors(&self) -> Result<Vec<(&'static str, Tensor)>>;
    /// The state of a saved parameter, for options `config`; `r` reads the tensors, checked
    /// against the parameter.
    #[track_caller]
    fn from_tensors(r: &StateReader<'_>, config: &C) -> Result<Self>;
}

/// The `step` entry: a float32 scalar tensor on the CPU, as PyTorch's.
#[track_caller]
pub(crate) fn step_tensor(step: u64) -> Result<Tensor> {
    Tensor::full([], step as f32, DType::F32, &Device::Cpu)
}

/// Reads one saved group's hyper-parameters, with errors naming `param_groups.{index}.{key}`.
pub(crate) struct GroupReader<'a> {
    op: &'static str,
    index: usize,
    group: &'a ParamGroupState,
}

impl GroupReader<'_> {
    #[track_caller]
    fn get(&self, key: &str) -> Result<&Value> {
        self.group
            .get(key)
            .ok_or_else(|| {
                err!(
                    Value,
                    self.op,
                    "loaded state dict has no key param_groups.{}.{key} (expected a value)",
                    self.index
                )
            })
            .located()
    }
    #[track_caller]
    fn wrong(&self, key: &str, expected: &str, got: &Value) -> tensor_core::Error {
        err!(Value, self.op, "param_groups.{}.{key}: expected {expected}, got {got}", self.index)
    }
    /// A number.
    #[track_caller]
    pub(crate) fn f64(&self, key: &str) -> Result<f64> {
        let v = self.get(key)?;
        v.as_f64().ok_or_else(|| self.wrong(key, "a number", v)).located()
    }
    /// A boolean.
    #[track_caller]
    pub(crate) fn bool(&self, key: &str) -> Result<bool> {
        let v = self.get(key)?;
        v.as_bool().ok_or_else(|| self.wrong(key, "a boolean", v)).located()
    }
    /// A pair of numbers (`betas`).
    #[track_caller]
    pub(crate) fn pair(&self, key: &str) -> Result<(f64, f64)> {
        let v = self.get(key)?;
        match v.as_array().map(Vec::as_slice) {
            Some([a, b]) => match (a.as_f64(), b.as_f64()) {
                (Some(a), Some(b)) => Ok((a, b)),
                _ => Err(self.wrong(key, "a pair of numbers", v)),
            },
            _ => Err(self.wrong(key, "a pair of numbers", v)),
        }
    }
    /// Refuses a flag that is present and true (`maximize`, `capturable`, ...): an option we do
    /// not implement.
    #[track_caller]
    pub(crate) fn unsupported_flag(&self, key: &str) -> Result<()> {
        match self.group.get(key) {
            None | Some(Value::Null) | Some(Value::Bool(false)) => Ok(()),
            Some(v) => Err(self.wrong(key, "false or null (the option is not supported)", v)),
        }
    }
}

/// Reads one saved parameter's state tensors, with errors naming `state.{index}.{name}`.
pub(crate) struct StateReader<'a> {
    op: &'static str,
    index: usize,
    tensors: &'a BTreeMap<String, Tensor>,
    param: &'a Tensor,
}

impl StateReader<'_> {
    #[track_caller]
    fn get(&self, name: &str) -> Result<&Tensor> {
        self.tensors
            .get(name)
            .ok_or_else(|| err!(Value, self.op, "loaded state dict has no key state.{}.{name}", self.index))
            .located()
    }
    /// A tensor of the parameter's shape, copied into a fresh tensor of its dtype and device.
    #[track_caller]
    pub(crate) fn like_param(&self, name: &str) -> Result<Tensor> {
        let src = self.get(name)?;
        if src.shape() != self.param.shape() {
            bail!(
                Shape,
                self.op,
                "state.{}.{name}: expected shape {:?} (the parameter's), got {:?}",
                self.index,
                self.param.size(),
                src.size()
            );
        }
        let mut t = self.param.zeros_like(None)?;
        t.copy_(src)?;
        Ok(t)
    }
    /// The step count: a one-element tensor holding a non-negative integer.
    #[track_caller]
    pub(crate) fn step(&self) -> Result<u64> {
        let t = self.get("step")?;
        if t.numel() != 1 {
            bail!(Shape, self.op, "state.{}.step: expected a scalar tensor, got shape {:?}", self.index, t.size());
        }
        let v = t.to_dtype(DType::F64)?.reshape(&[1])?.to_vec::<f64>()?[0];
        if !(v >= 0.0 && v.fract() == 0.0 && v < 2f64.powi(53)) {
            bail!(Value, self.op, "state.{}.step: expected a non-negative integer, got {v}", self.index);
        }
        Ok(v as u64)
    }
}

/// The state dict of groups given as (parameters' tensors, options, states).
#[track_caller]
pub(crate) fn state_dict<'a, C: GroupOptions + 'a, S: ParamState<C> + 'a>(
    groups: impl Iterator<Item = (usize, &'a C, &'a [Option<S>])>,
) -> Result<OptimizerState> {
    let mut out = OptimizerState::default();
    let mut index = 0;
    for (len, config, states) in groups {
        let mut group = config.to_json();
        group.insert("params".into(), Value::from((index..index + len).collect::<Vec<usize>>()));
        out.param_groups.push(group);
        for (i, s) in states.iter().enumerate() {
            if let Some(s) = s {
                let tensors = s.to_tensors()?.into_iter().map(|(k, t)| (k.to_string(), t)).collect();
                out.state.insert(index + i, tensors);
            }
        }
        index += len;
    }
    Ok(out)
}

/// Each group's options, and each group's per-parameter states.
pub(crate) type Loaded<C, S> = (Vec<C>, Vec<Vec<Option<S>>>);

/// The options and states of `params` (the current parameters, group by group) read from
/// `saved`, checked: as many groups, as many parameters in each, every state key one of the
/// groups' `params`, every tensor of the parameter's shape; `validate` checks each group's
/// options. As PyTorch's `load_state_dict`, the saved groups' `params` map to the current
/// parameters by position (PyTorch numbers them 0, 1, ... in order, but any distinct indices do).
#[track_caller]
pub(crate) fn load_state_dict<C: GroupOptions, S: ParamState<C>>(
    op: &'static str,
    params: &[Vec<Tensor>],
    saved: &OptimizerState,
    validate: impl Fn(&C) -> Result<()>,
) -> Result<Loaded<C, S>> {
    if saved.param_groups.len() != params.len() {
        bail!(
            Value,
            op,
            "loaded state dict has {} parameter groups, the optimizer has {}",
            saved.param_groups.len(),
            params.len()
        );
    }
    let mut seen = std::collections::BTreeSet::new();
    let (mut configs, mut states) = (Vec::new(), Vec::new());
    for (g, (group, params)) in saved.param_groups.iter().zip(params).enumerate() {
        let ids: Vec<usize> = group
            .get("params")
            .and_then(Value::as_array)
            .and_then(|a| a.iter().map(|v| v.as_u64().and_then(|n| usize::try_from(n).ok())).collect())
            .ok_or_else(|| {
                err!(
                    Value,
                    op,
                    "loaded state dict has no list of integers param_groups.{g}.params (the parameters' indices)"
                )
            })
            .located()?;
        if ids.len() != params.len() {
            bail!(
                Value,
                op,
                "param_groups.{g}.params: loaded state dict has a group of {} parameters, the optimizer's group has {}",
                ids.len(),
                params.len()
            );
        }
        if let Some(id) = ids.iter().find(|&&id| !seen.insert(id)) {
            bail!(Value, op, "param_groups.{g}.params: the index {id} appears twice");
        }
        let config = C::from_json(&GroupReader { op, index: g, group })?;
        validate(&config)?;
        let mut group_states = Vec::with_capacity(params.len());
        for (&index, param) in ids.iter().zip(params) {
            group_states.push(match saved.state.get(&index) {
                None => None,
                Some(tensors) => Some(S::from_tensors(&StateReader { op, index, tensors, param }, &config)?),
            });
        }
        configs.push(config);
        states.push(group_states);
    }
    if let Some(i) = saved.state.keys().find(|i| !seen.contains(i)) {
        bail!(Value, op, "loaded state dict has state.{i}, but no group's params lists the parameter {i}");
    }
    Ok((configs, states))
}
