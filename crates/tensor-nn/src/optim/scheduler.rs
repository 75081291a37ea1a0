//! Learning-rate schedulers, as `torch.optim.lr_scheduler`: each `step(&mut optimizer)` advances
//! one epoch and writes the new learning rate of every parameter group into the optimizer.
//!
//! The updates are PyTorch's recursive ("chainable") `get_lr` formulas, evaluated in the same
//! order, so the learning rates are PyTorch's to the last bit; `closed_form_lr` gives
//! `_get_closed_form_lr`.
//!
//! `state_dict()` / `load_state_dict()` hold what PyTorch's `LRScheduler.state_dict()` holds,
//! under its names: `last_epoch`, `base_lrs`, `_last_lr`, `_step_count`,
//! `_get_lr_called_within_step`, and each scheduler's own options (`step_size` and `gamma`;
//! `T_max` and `eta_min`).

use super::Optimizer;
use serde_json::{json, Map, Value};
use tensor_core::{bail, err, Result};

/// A scheduler's state dict: PyTorch's entries by name, as a JSON object.
pub type SchedulerState = Map<String, Value>;

/// What every scheduler does.
pub trait LrScheduler {
    /// Advances one epoch and sets the optimizer's learning rates (call after `optimizer.step()`).
    fn step(&mut self, optimizer: &mut dyn Optimizer) -> Result<()>;
    /// The learning rates the last step set, per group, as `get_last_lr()`.
    fn last_lr(&self) -> &[f64];
    /// The number of steps taken, as `last_epoch` (0 after construction).
    fn last_epoch(&self) -> usize;
    /// The state dict, as `scheduler.state_dict()`: the epoch, the base and last learning
    /// rates and the scheduler's options, under PyTorch's names.
    fn state_dict(&self) -> SchedulerState;
    /// Loads a state dict, as `scheduler.load_state_dict()`: every entry replaces this
    /// scheduler's. A missing entry or one of the wrong type is an error naming it, and changes
    /// nothing. (The learning rates the optimizer uses come with the optimizer's state dict.)
    fn load_state_dict(&mut self, state: &SchedulerState) -> Result<()>;
}

/// Reads the entry `key` of a scheduler's state dict with `f`, or errs naming it and `expected`.
fn entry<T>(
    op: &'static str,
    s: &SchedulerState,
    key: &str,
    expected: &str,
    f: impl Fn(&Value) -> Option<T>,
) -> Result<T> {
    match s.get(key) {
        None => Err(err!(Value, op, "the state dict has no key {key:?} (expected {expected})")),
        Some(v) => f(v).ok_or_else(|| err!(Value, op, "state dict entry {key:?}: expected {expected}, got {v}")),
    }
}

/// A non-negative integer entry.
fn usize_entry(op: &'static str, s: &SchedulerState, key: &str) -> Result<usize> {
    entry(op, s, key, "a non-negative integer", |v| v.as_u64().and_then(|n| usize::try_from(n).ok()))
}

/// A number entry.
fn f64_entry(op: &'static str, s: &SchedulerState, key: &str) -> Result<f64> {
    entry(op, s, key, "a number", Value::as_f64)
}

/// A list-of-numbers entry.
fn lrs_entry(op: &'static str, s: &SchedulerState, key: &str) -> Result<Vec<f64>> {
    entry(op, s, key, "a list of numbers", |v| v.as_array()?.iter().map(Value::as_f64).collect())
}

/// The base learning rates and the epoch counter that every scheduler keeps.
#[derive(Debug, Clone)]
struct Common {
    base_lrs: Vec<f64>,
    last_lr: Vec<f64>,
    last_epoch: usize,
}

impl Common {
    fn new(optimizer: &dyn Optimizer) -> Common {
        let lrs = optimizer.learning_rates();
        Common { base_lrs: lrs.clone(), last_lr: lrs, last_epoch: 0 }
    }
    /// Advances the epoch and applies `f(epoch, base_lr, current_lr)` to every group.
    fn step(
        &mut self,
        name: &'static str,
        optimizer: &mut dyn Optimizer,
        f: impl Fn(usize, f64, f64) -> f64,
    ) -> Result<()> {
        let current = optimizer.learning_rates();
        if current.len() != self.base_lrs.len() {
            bail!(
                Value,
                name,
                "the optimizer has {} parameter groups, but the scheduler was created for {}",
                current.len(),
                self.base_lrs.len()
            );
        }
        self.last_epoch += 1;
        let e = self.last_epoch;
        let new: Vec<f64> = current.iter().zip(&self.base_lrs).map(|(&lr, &base)| f(e, base, lr)).collect();
        for (i, &lr) in new.iter().enumerate() {
            optimizer.set_learning_rate(i, lr);
        }
        self.last_lr = new;
        Ok(())
    }
    /// PyTorch's common entries (`_step_count` counts the constructor's initial step as well).
    fn state_dict(&self) -> SchedulerState {
        let mut m = SchedulerState::new();
        m.insert("base_lrs".into(), json!(self.base_lrs));
        m.insert("last_epoch".into(), json!(self.last_epoch));
        m.insert("_step_count".into(), json!(self.last_epoch + 1));
        m.insert("_get_lr_called_within_step".into(), json!(false));
        m.insert("_last_lr".into(), json!(self.last_lr));
        m
    }
    /// The common entries of a saved state dict.
    fn from_state_dict(op: &'static str, s: &SchedulerState) -> Result<Common> {
        let c = Common {
            base_lrs: lrs_entry(op, s, "base_lrs")?,
            last_lr: lrs_entry(op, s, "_last_lr")?,
            last_epoch: usize_entry(op, s, "last_epoch")?,
        };
        if c.base_lrs.len() != c.last_lr.len() {
            bail!(Value, op, "state dict has {} base_lrs but {} _last_lr", c.base_lrs.len(), c.last_lr.len());
        }
        Ok(c)
    }
}

/// Multiplies the learning rate by `gamma` every `step_size` epochs, as
/// `torch.optim.lr_scheduler.StepLR(optimizer, step_size, gamma=0.1)`.
///
/// ```
/// use tensor_nn::optim::{LrScheduler, Optimizer, Sgd, SgdConfig, StepLR};
/// let mut opt = Sgd::new(vec![], SgdConfig { lr: 1.0, ..Default::default() })?;
/// let mut sched = StepLR::new(&opt, 2, 0.5)?;
/// let mut lrs = vec![];
/// for _ in 0..5 {
///     opt.step()?;
///     sched.step(&mut opt)?;
///     lrs.push(opt.learning_rates()[0]);
/// }
/// assert_eq!(lrs, [1.0, 0.5, 0.5, 0.25, 0.25]);
/// # Ok::<(), tensor_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct StepLR {
    /// Epochs between decays.
    pub step_size: usize,
    /// Multiplicative factor of each decay.
    pub gamma: f64,
    common: Common,
}

impl StepLR {
    /// A scheduler over `optimizer`'s current learning rates (the base learning rates).
    pub fn new(optimizer: &dyn Optimizer, step_size: usize, gamma: f64) -> Result<StepLR> {
        if step_size == 0 {
            bail!(Value, "StepLR", "step_size must be a positive integer, got 0");
        }
        Ok(StepLR { step_size, gamma, common: Common::new(optimizer) })
    }
    /// The learning rates at `epoch` in closed form: `base_lr * gamma ** (epoch // step_size)`.
    pub fn closed_form_lr(&self, epoch: usize) -> Vec<f64> {
        let k = (epoch / self.step_size) as f64;
        self.common.base_lrs.iter().map(|&b| b * self.gamma.powf(k)).collect()
    }
}

impl LrScheduler for StepLR {
    fn step(&mut self, optimizer: &mut dyn Optimizer) -> Result<()> {
        let (step_size, gamma) = (self.step_size, self.gamma);
        self.common.step("StepLR", optimizer, |e, _, lr| if e % step_size != 0 { lr } else { lr * gamma })
    }
    fn state_dict(&self) -> SchedulerState {
        let mut m = self.common.state_dict();
        m.insert("step_size".into(), json!(self.step_size));
        m.insert("gamma".into(), json!(self.gamma));
        m
    }
    fn load_state_dict(&mut self, state: &SchedulerState) -> Result<()> {
        const OP: &str = "StepLR.load_state_dict";
        let step_size = usize_entry(OP, state, "step_size")?;
        if step_size == 0 {
            bail!(Value, OP, "step_size must be a positive integer, got 0");
        }
        let gamma = f64_entry(OP, state, "gamma")?;
        *self = StepLR { step_size, gamma, common: Common::from_state_dict(OP, state)? };
        Ok(())
    }
    fn last_lr(&self) -> &[f64] {
        &self.common.last_lr
    }
    fn last_epoch(&self) -> usize {
        self.common.last_epoch
    }
}

/// Cosine annealing from the base learning rate down to `eta_min` over `t_max` epochs (and back
/// up over the next `t_max`, as PyTorch's does without restarts), as
/// `torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max, eta_min=0)`.
#[derive(Debug, Clone)]
pub struct CosineAnnealingLR {
    /// Epochs of half a period.
    pub t_max: usize,
    /// The lowest learning rate.
    pub eta_min: f64,
    common: Common,
}

impl CosineAnnealingLR {
    /// A scheduler over `optimizer`'s current learning rates (the base learning rates).
    pub fn new(optimizer: &dyn Optimizer, t_max: usize, eta_min: f64) -> Result<CosineAnnealingLR> {
        if t_max == 0 {
            bail!(Value, "CosineAnnealingLR", "T_max must be a positive integer, got 0");
        }
        Ok(CosineAnnealingLR { t_max, eta_min, common: Common::new(optimizer) })
    }
    /// The learning rates at `epoch` in closed form:
    /// `eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / t_max)) / 2`.
    pub fn closed_form_lr(&self, epoch: usize) -> Vec<f64> {
        let (t, eta) = (self.t_max as f64, self.eta_min);
        let c = (std::f64::consts::PI * epoch as f64 / t).cos();
        self.common.base_lrs.iter().map(|&b| eta + (b - eta) * (1.0 + c) / 2.0).collect()
    }
}

impl LrScheduler for CosineAnnealingLR {
    fn step(&mut self, optimizer: &mut dyn Optimizer) -> Result<()> {
        use std::f64::consts::PI;
        let (t, eta) = (self.t_max as i64, self.eta_min);
        self.common.step("CosineAnnealingLR", optimizer, |e, base, lr| {
            let e = e as i64;
            let tf = t as f64;
            if (e - 1 - t).rem_euclid(2 * t) == 0 {
                lr + (base - eta) * (1.0 - (PI / tf).cos()) / 2.0
            } else {
                (1.0 + (PI * e as f64 / tf).cos()) / (1.0 + (PI * (e - 1) as f64 / tf).cos()) * (lr - eta) + eta
            }
        })
    }
    fn state_dict(&self) -> SchedulerState {
        let mut m = self.common.state_dict();
        m.insert("T_max".into(), json!(self.t_max));
        m.insert("eta_min".into(), json!(self.eta_min));
        m
    }
    fn load_state_dict(&mut self, state: &SchedulerState) -> Result<()> {
        const OP: &str = "CosineAnnealingLR.load_state_dict";
        let t_max = usize_entry(OP, state, "T_max")?;
        if t_max == 0 {
            bail!(Value, OP, "T_max must be a positive integer, got 0");
        }
        let eta_min = f64_entry(OP, state, "eta_min")?;
        *self = CosineAnnealingLR { t_max, eta_min, common: Common::from_state_dict(OP, state)? };
        Ok(())
    }
    fn last_lr(&self) -> &[f64] {
        &self.common.last_lr
    }
    fn last_epoch(&self) -> usize {
        self.common.last_epoch
    }
}
