//! Training checkpoints: one safetensors file that holds everything a run needs to resume
//! exactly where it stopped: the model, the optimizer, the learning-rate scheduler, the epoch
//! and the global random generator's state.
//!
//! The file is an ordinary safetensors file:
//!
//! - the model's tensors under their state-dict names (`0.weight`, `conv1.bias`, ...), so that
//!   PyTorch reads the model part with `safetensors.torch.load_file` (drop the optimizer's keys,
//!   or load with `strict=False`):
//!   ```python
//!   sd = safetensors.torch.load_file("ckpt.safetensors")
//!   model.load_state_dict({k: v for k, v in sd.items() if not k.startswith("optimizer.")})
//!   ```
//! - the optimizer's state tensors under [`OPTIMIZER_PREFIX`] (`optimizer.state.3.exp_avg`, as
//!   [`OptimizerState::state_tensors`] names them);
//! - in the header's `__metadata__` (a string-to-string map): `format` (`pt`),
//!   `checkpoint_version` ([`FORMAT_VERSION`]), `epoch`, `rng_state` (`{"seed": .., "offset":
//!   ..}`), `optimizer.param_groups` (the optimizer's `param_groups` as JSON) and, when there is
//!   a scheduler, `scheduler` (its state dict as JSON).
//!
//! ```
//! use tensor_nn::{checkpoint, Linear, Module, ModuleExt};
//! use tensor_nn::optim::{Adam, AdamConfig, Optimizer};
//! use tensor_autograd::Var;
//! use tensor_core::{Device, DType, Tensor};
//! let path = std::env::temp_dir().join(format!("doc-ckpt-{}.safetensors", std::process::id()));
//! let model = Linear::new(3, 2, true, &Device::Cpu)?;
//! let mut opt = Adam::new(model.parameters(), AdamConfig::default())?;
//! let x = Var::constant(Tensor::ones(&[4, 3], DType::F32, &Device::Cpu)?);
//! model.forward(&x)?.sum()?.backward()?;
//! opt.step()?;
//! checkpoint::save(&path, &model, &opt, None, 1)?;
//!
//! let mut fresh = Linear::new(3, 2, true, &Device::Cpu)?;
//! let mut fresh_opt = Adam::new(fresh.parameters(), AdamConfig::default())?;
//! let resumed = checkpoint::load(&path, &mut fresh, &mut fresh_opt, None)?;
//! assert_eq!(resumed.epoch, 1);
//! assert_eq!(fresh.state_dict()["weight"].to_vec::<f32>()?, model.state_dict()["weight"].to_vec::<f32>()?);
//! std::fs::remove_file(&path).ok();
//! # Ok::<(), tensor_core::Error>(())
//! ```

use crate::module::{load_state_dict, named_parameters, state_dict, Module};
use crate::optim::{LrScheduler, Optimizer, OptimizerState, SchedulerState};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;
use tensor_core::random::{get_rng_state, set_rng_state, RngState};
use tensor_core::{bail, err, Device, Result, ResultExt, Tensor};
use tensor_io::SafetensorsFile;

/// The version of the checkpoint layout that [`save`] writes and [`load`] reads.
pub const FORMAT_VERSION: u32 = 1;

/// The prefix of the optimizer's tensors in a checkpoint file.
pub const OPTIMIZER_PREFIX: &str = "optimizer.";

const OP: &str = "checkpoint";

/// What [`load`] read besides the model, optimizer and scheduler states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resumed {
    /// The epoch given to [`save`] (the number of epochs done, by the usual convention).
    pub epoch: usize,
    /// The global generator's state when the checkpoint was saved (already restored by
    /// [`load`]).
    pub rng_state: RngState,
}

/// Writes a checkpoint of `model`, `optimizer`, `scheduler` (if any), `epoch` and the global
/// random generator's state to `path`. The model may not
/// have tensors whose names start with [`OPTIMIZER_PREFIX`].
#[track_caller]
pub fn save(
    path: impl AsRef<Path>,
    model: &dyn Module,
    optimizer: &dyn Optimizer,
    scheduler: Option<&dyn LrScheduler>,
    epoch: usize,
) -> Result<()> {
    let mut tensors: BTreeMap<String, Tensor> = state_dict(model);
    if let Some(k) = tensors.keys().find(|k| k.starts_with(OPTIMIZER_PREFIX)) {
        bail!(
            Value,
            OP,
            "the model's state dict has the key {k:?}, which the optimizer's prefix {OPTIMIZER_PREFIX:?} reserves"
        );
    }
    let opt = optimizer.state_dict()?;
    tensors.extend(opt.state_tensors(OPTIMIZER_PREFIX));
    let rng = get_rng_state();
    let mut meta = BTreeMap::new();
    meta.insert("checkpoint_version".to_string(), FORMAT_VERSION.to_string());
    meta.insert("epoch".to_string(), epoch.to_string());
    meta.insert("rng_state".to_string(), json!({ "seed": rng.seed, "offset": rng.offset }).to_string());
    meta.insert(format!("{OPTIMIZER_PREFIX}param_groups"), Value::from(opt.param_groups).to_string());
    if let Some(s) = scheduler {
        meta.insert("scheduler".to_string(), Value::Object(s.state_dict()).to_string());
    }
    tensor_io::save_safetensors_with_metadata(&tensors, &meta, path.as_ref()).located()
}

/// Reads a checkpoint that [`save`] wrote into `model`, `optimizer` and `scheduler` (freshly
/// made ones, typically, built as for the saved run), and restores the global random
/// generator's state; returns the epoch and that state.
///
/// Everything in the file is checked before anything is loaded: the version, the metadata, the
/// model's keys and shapes (all of them, strictly), and the scheduler's presence. The optimizer
/// and the scheduler then check their own dicts (see [`Optimizer::load_state_dict`]); should one
/// of those fail, the objects loaded before it keep the loaded state.
#[track_caller]
pub fn load(
    path: impl AsRef<Path>,
    model: &mut dyn Module,
    optimizer: &mut dyn Optimizer,
    scheduler: Option<&mut (dyn LrScheduler + '_)>,
) -> Result<Resumed> {
    let path = path.as_ref();
    let file = SafetensorsFile::open(path).located()?;
    let meta = file.metadata();
    let text = |key: &str| {
        meta.get(key)
            .map(String::as_str)
            .ok_or_else(|| err!(Value, OP, "{}: no metadata entry {key:?}: not a checkpoint", path.display()))
    };
    let json = |key: &str| -> Result<Value> {
        serde_json::from_str(text(key)?)
            .map_err(|e| err!(Value, OP, "{}: metadata entry {key:?} is not JSON: {e}", path.display()))
    };
    let version = text("checkpoint_version").located()?;
    if version != FORMAT_VERSION.to_string() {
        bail!(Value, OP, "{}: checkpoint version {version:?}, expected {FORMAT_VERSION}", path.display());
    }
    let epoch: usize = text("epoch")
        .located()?
        .parse()
        .map_err(|e| err!(Value, OP, "{}: metadata entry \"epoch\": {e}", path.display()))
        .located()?;
    let rng = json("rng_state").located()?;
    let word = |k: &str| rng.get(k).and_then(Value::as_u64);
    let rng_state = match (word("seed"), word("offset")) {
        (Some(seed), Some(offset)) => RngState { seed, offset },
        _ => bail!(Value, OP, "{}: rng_state {rng} is not {{\"seed\": u64, \"offset\": u64}}", path.display()),
    };
    let groups_key = format!("{OPTIMIZER_PREFIX}param_groups");
    let param_groups = match json(&groups_key)? {
        Value::Array(groups) => groups
            .into_iter()
            .map(|g| match g {
                Value::Object(m) => Ok(m),
                other => Err(err!(Value, OP, "{}: {groups_key}: expected objects, got {other}", path.display())),
            })
            .collect::<Result<Vec<_>>>()?,
        other => bail!(Value, OP, "{}: {groups_key}: expected a list, got {other}", path.display()),
    };
    let sched_state: Option<SchedulerState> = match (&scheduler, meta.contains_key("scheduler")) {
        (None, _) => None,
        (Some(_), false) => bail!(Value, OP, "{}: the checkpoint has no scheduler state", path.display()),
        (Some(_), true) => match json("scheduler")? {
            Value::Object(m) => Some(m),
            other => bail!(Value, OP, "{}: scheduler: expected an object, got {other}", path.display()),
        },
    };

    // The tensors, on the model's device; the optimizer's go where their parameters are.
    let device = named_parameters(model).first().map_or(Device::Cpu, |(_, p)| p.tensor().device().clone());
    let all = file.load_all(&device).located()?;
    let opt_state = OptimizerState::from_state_tensors(OPTIMIZER_PREFIX, &all, param_groups)?;
    let model_state: BTreeMap<String, Tensor> =
        all.into_iter().filter(|(k, _)| !k.starts_with(OPTIMIZER_PREFIX)).collect();
    check_model(model, &model_state).map_err(|e| err!(Value, OP, "{}: {e}", path.display())).located()?;

    optimizer.load_state_dict(&opt_state)?;
    if let (Some(s), Some(state)) = (scheduler, &sched_state) {
        s.load_state_dict(state)?;
    }
    load_state_dict(model, &model_state, true)?;
    set_rng_state(rng_state);
    Ok(Resumed { epoch, rng_state })
}

/// Checks that `saved` has exactly the model's keys, each with its shape.
#[track_caller]
fn check_model(model: &dyn Module, saved: &BTreeMap<String, Tensor>) -> std::result::Result<(), String> {
    let current = state_dict(model);
    let missing: Vec<&String> = current.keys().filter(|k| !saved.contains_key(*k)).collect();
    let unexpected: Vec<&String> = saved.keys().filter(|k| !current.contains_key(*k)).collect();
    let mismatched: Vec<String> = current
        .iter()
        .filter_map(|(k, t)| {
            let s = saved.get(k)?;
            (s.shape() != t.shape())
                .then(|| format!("{k}: the checkpoint has shape {:?}, the model {:?}", s.size(), t.size()))
        })
        .collect();
    if missing.is_empty() && unexpected.is_empty() && mismatched.is_empty() {
        return Ok(());
    }
    Err(format!(
        "the model does not match the checkpoint: missing keys {missing:?}; unexpected keys {unexpected:?}; size mismatches {mismatched:?}"
    ))
}
