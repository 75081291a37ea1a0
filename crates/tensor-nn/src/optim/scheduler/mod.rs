//! Learning-rate schedulers, as `torch.optim.lr_scheduler`: each `step(&mut optimizer)` advances
//! one epoch and writes the new learning rate of every parameter group into the optimizer.
//!
//! The updates are PyTorch's recursive ("chainable") `get_lr` formulas, evaluated in the same
//! floating-point order, so the learning rates are PyTorch's to the last bit; `closed_form_lr`
//! gives `_get_closed_form_lr` where PyTorch has one.
//!
//! Files: `step.rs` (the schedulers that multiply: [`StepLR`], [`MultiStepLR`],
//! [`ExponentialLR`], [`LinearLR`], [`LambdaLR`], [`MultiplicativeLR`]), `cosine.rs`
//! ([`CosineAnnealingLR`], [`CosineAnnealingWarmRestarts`], [`OneCycleLR`]), `plateau.rs`
//! ([`ReduceLROnPlateau`], which steps on a metric and so is not an [`LrScheduler`]) and
//! `sequential.rs` ([`SequentialLR`]).
//!
//! Construction: PyTorch's constructors take a first step at epoch 0 (`_initial_step`), which
//! changes the learning rates for some schedulers (`LinearLR` multiplies them by `start_factor`,
//! `LambdaLR` by `lr_lambda(0)`, `OneCycleLR` sets `max_lr / div_factor`). The constructors that
//! may do so take `&mut dyn Optimizer`; `StepLR` and `CosineAnnealingLR`, whose first step
//! changes nothing, take `&dyn Optimizer`. The base learning rates are the optimizer's learning
//! rates when the scheduler is made (PyTorch's `initial_lr`, which the first scheduler made on an
//! optimizer sets; [`SequentialLR`] gives all its schedulers the first one's).
//!
//! `state_dict()` / `load_state_dict()` hold what PyTorch's `LRScheduler.state_dict()` holds,
//! under its names: `last_epoch`, `base_lrs`, `_last_lr`, `_step_count`,
//! `_get_lr_called_within_step`, `_is_initial`, and each scheduler's own options (`step_size` and
//! `gamma`; `T_max` and `eta_min`; ...). Functions (`LambdaLR`'s `lr_lambdas`) are not saved, as
//! PyTorch does not save plain functions: their entries are `null`.

mod cosine;
mod plateau;
mod sequential;
mod step;

pub use cosine::{AnnealStrategy, CosineAnnealingLR, CosineAnnealingWarmRestarts, OneCycleLR, OneCycleLROptions};
pub use plateau::{PlateauMode, ReduceLROnPlateau, ReduceLROnPlateauOptions, ThresholdMode};
pub use sequential::SequentialLR;
pub use step::{ExponentialLR, LambdaLR, LinearLR, LinearLROptions, LrLambda, MultiStepLR, MultiplicativeLR, StepLR};

use super::Optimizer;
use serde_json::{json, Map, Value};
use tensor_core::{bail, err, Result, ResultExt};

/// A scheduler's state dict: PyTorch's entries by name, as a JSON object.
pub type SchedulerState = Map<String, Value>;

/// What every epoch-driven scheduler does ([`ReduceLROnPlateau`], driven by a metric, has the
/// same methods as inherent ones, but a `step` that takes the metric).
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
    /// The base learning rates, PyTorch's `base_lrs`.
    fn base_lrs(&self) -> &[f64];
    /// For [`SequentialLR`]: makes `base_lrs` the base learning rates and the epoch -1 (not
    /// started), as `SequentialLR.__init__` does with `initial_lr` and `recursive_undo`.
    /// The default refuses: a scheduler defined outside this crate cannot be sequenced.
    #[track_caller]
    fn sequence_reset(&mut self, base_lrs: &[f64]) -> Result<()> {
        let _ = base_lrs;
        bail!(Value, "SequentialLR", "this scheduler cannot be sequenced")
    }
    /// For [`SequentialLR`]: the constructor's step at epoch 0 (PyTorch's `_initial_step`).
    #[track_caller]
    fn sequence_initial_step(&mut self, optimizer: &mut dyn Optimizer) -> Result<()> {
        let _ = optimizer;
        bail!(Value, "SequentialLR", "this scheduler cannot be sequenced")
    }
    /// For [`SequentialLR`] at a milestone: epoch 0 and its learning rates, by the closed form
    /// where PyTorch has one (PyTorch's `_update_lr(0)`).
    #[track_caller]
    fn sequence_restart(&mut self, optimizer: &mut dyn Optimizer) -> Result<()> {
        let _ = optimizer;
        bail!(Value, "SequentialLR", "this scheduler cannot be restarted at a milestone")
    }
}

/// Reads the entry `key` of a scheduler's state dict with `f`, or errs naming it and `expected`.
#[track_caller]
fn entry<T>(
    op: &'static str,
    s: &SchedulerState,
    key: &str,
    expected: &str,
    f: impl Fn(&Value) -> Option<T>,
) -> Result<T> {
    match s.get(key) {
        None => Err(err!(Value, op, "the state dict has no key {key:?} (expected {expected})")),
        Some(v) => {
            f(v).ok_or_else(|| err!(Value, op, "state dict entry {key:?}: expected {expected}, got {v}")).located()
        }
    }
}

/// A non-negative integer entry.
#[track_caller]
fn usize_entry(op: &'static str, s: &SchedulerState, key: &str) -> Result<usize> {
    entry(op, s, key, "a non-negative integer", |v| v.as_u64().and_then(|n| usize::try_from(n).ok()))
}

/// An integer entry.
#[track_caller]
fn i64_entry(op: &'static str, s: &SchedulerState, key: &str) -> Result<i64> {
    entry(op, s, key, "an integer", Value::as_i64)
}

/// A number entry.
#[track_caller]
fn f64_entry(op: &'static str, s: &SchedulerState, key: &str) -> Result<f64> {
    entry(op, s, key, "a number", Value::as_f64)
}

/// A boolean entry.
#[track_caller]
fn bool_entry(op: &'static str, s: &SchedulerState, key: &str) -> Result<bool> {
    entry(op, s, key, "a boolean", Value::as_bool)
}

/// A string entry.
#[track_caller]
fn str_entry<'a>(op: &'static str, s: &'a SchedulerState, key: &str) -> Result<&'a str> {
    match s.get(key) {
        None => Err(err!(Value, op, "the state dict has no key {key:?} (expected a string)")),
        Some(v) => {
            v.as_str().ok_or_else(|| err!(Value, op, "state dict entry {key:?}: expected a string, got {v}")).located()
        }
    }
}

/// A list-of-numbers entry.
#[track_caller]
fn lrs_entry(op: &'static str, s: &SchedulerState, key: &str) -> Result<Vec<f64>> {
    entry(op, s, key, "a list of numbers", |v| v.as_array()?.iter().map(Value::as_f64).collect())
}

/// The base learning rates and the epoch counter that every scheduler keeps.
#[derive(Debug, Clone)]
struct Common {
    base_lrs: Vec<f64>,
    last_lr: Vec<f64>,
    /// PyTorch's `last_epoch`: -1 only for a scheduler of a [`SequentialLR`] not yet started.
    last_epoch: i64,
}

impl Common {
    fn new(optimizer: &dyn Optimizer) -> Common {
        let lrs = optimizer.learning_rates();
        Common { base_lrs: lrs.clone(), last_lr: lrs, last_epoch: 0 }
    }
    /// The epoch as a count (a not-started -1 reads 0).
    fn epoch(&self) -> usize {
        usize::try_from(self.last_epoch).unwrap_or(0)
    }
    /// The optimizer's learning rates, checked against the number of groups.
    #[track_caller]
    fn current(&self, name: &'static str, optimizer: &dyn Optimizer) -> Result<Vec<f64>> {
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
        Ok(current)
    }
    /// Writes `lrs` into the optimizer and keeps them as the last learning rates.
    fn apply(&mut self, optimizer: &mut dyn Optimizer, lrs: Vec<f64>) {
        for (i, &lr) in lrs.iter().enumerate() {
            optimizer.set_learning_rate(i, lr);
        }
        self.last_lr = lrs;
    }
    /// PyTorch's common entries (`_step_count` counts the constructor's initial step as well).
    fn state_dict(&self) -> SchedulerState {
        let mut m = SchedulerState::new();
        m.insert("base_lrs".into(), json!(self.base_lrs));
        m.insert("last_epoch".into(), json!(self.last_epoch));
        m.insert("_step_count".into(), json!(self.last_epoch + 1));
        m.insert("_get_lr_called_within_step".into(), json!(false));
        m.insert("_is_initial".into(), json!(false));
        m.insert("_last_lr".into(), json!(self.last_lr));
        m
    }
    /// The common entries of a saved state dict.
    #[track_caller]
    fn from_state_dict(op: &'static str, s: &SchedulerState) -> Result<Common> {
        let c = Common {
            base_lrs: lrs_entry(op, s, "base_lrs")?,
            last_lr: lrs_entry(op, s, "_last_lr")?,
            last_epoch: i64_entry(op, s, "last_epoch")?,
        };
        if c.base_lrs.len() != c.last_lr.len() {
            bail!(Value, op, "state dict has {} base_lrs but {} _last_lr", c.base_lrs.len(), c.last_lr.len());
        }
        if c.last_epoch < -1 {
            bail!(Value, op, "state dict entry \"last_epoch\": expected an integer >= -1, got {}", c.last_epoch);
        }
        Ok(c)
    }
}

/// A scheduler made of PyTorch's `get_lr` (and `_get_closed_form_lr`): the [`LrScheduler`]
/// methods come from these by [`chainable!`].
trait Formula {
    /// PyTorch's class name, for errors.
    const NAME: &'static str;
    /// The common state.
    fn common(&self) -> &Common;
    /// The common state, to change.
    fn common_mut(&mut self) -> &mut Common;
    /// `get_lr()` at `common().last_epoch`, from the optimizer's `current` learning rates;
    /// `initial` is PyTorch's `_is_initial` (the constructor's step).
    #[track_caller]
    fn get_lr(&self, initial: bool, current: &[f64]) -> Result<Vec<f64>>;
    /// `_get_closed_form_lr()` at `common().last_epoch`, where PyTorch has one.
    fn closed_form(&self) -> Option<Vec<f64>> {
        None
    }
    /// What `step()` does before `get_lr` (PyTorch's `last_epoch += 1`).
    fn advance(&mut self) {
        self.common_mut().last_epoch += 1;
    }
    /// What the constructor's step does before `get_lr` (the epoch becomes 0).
    fn advance_initial(&mut self) {
        self.common_mut().last_epoch = 0;
    }
    /// What `get_lr` does to the optimizer besides the learning rates (`OneCycleLR`'s momentum).
    fn after_get_lr(&self, optimizer: &mut dyn Optimizer) {
        let _ = optimizer;
    }
    /// The scheduler's own entries of the state dict.
    fn save_options(&self, m: &mut SchedulerState);
    /// Reads and checks the scheduler's own entries; changes nothing on an error.
    #[track_caller]
    fn load_options(&mut self, s: &SchedulerState) -> Result<()>;

    /// The constructor's step (PyTorch's `_initial_step`).
    #[track_caller]
    fn initial_step(&mut self, optimizer: &mut dyn Optimizer) -> Result<()> {
        let current = self.common().current(Self::NAME, optimizer)?;
        self.advance_initial();
        let lrs = self.get_lr(true, &current)?;
        self.common_mut().apply(optimizer, lrs);
        self.after_get_lr(optimizer);
        Ok(())
    }
    /// `step()`: on an error the scheduler and the optimizer are left as they were.
    #[track_caller]
    fn formula_step(&mut self, optimizer: &mut dyn Optimizer) -> Result<()> {
        let current = self.common().current(Self::NAME, optimizer)?;
        let saved = self.common().last_epoch;
        self.advance();
        match self.get_lr(false, &current) {
            Ok(lrs) => {
                self.common_mut().apply(optimizer, lrs);
                self.after_get_lr(optimizer);
                Ok(())
            }
            Err(e) => {
                self.common_mut().last_epoch = saved;
                Err(e)
            }
        }
    }
    /// `_update_lr(0)`: epoch 0, closed form where there is one.
    #[track_caller]
    fn restart(&mut self, optimizer: &mut dyn Optimizer) -> Result<()> {
        let current = self.common().current(Self::NAME, optimizer)?;
        self.common_mut().last_epoch = 0;
        let lrs = match self.closed_form() {
            Some(lrs) => lrs,
            None => {
                let lrs = self.get_lr(false, &current)?;
                self.after_get_lr(optimizer);
                lrs
            }
        };
        self.common_mut().apply(optimizer, lrs);
        Ok(())
    }
}

/// Implements [`LrScheduler`] for a [`Formula`].
macro_rules! chainable {
    ($t:ty) => {
        impl $crate::optim::scheduler::LrScheduler for $t {
            #[track_caller]
            fn step(&mut self, optimizer: &mut dyn $crate::optim::Optimizer) -> tensor_core::Result<()> {
                $crate::optim::scheduler::Formula::formula_step(self, optimizer)
            }
            fn last_lr(&self) -> &[f64] {
                &self.common.last_lr
            }
            fn last_epoch(&self) -> usize {
                self.common.epoch()
            }
            fn base_lrs(&self) -> &[f64] {
                &self.common.base_lrs
            }
            fn state_dict(&self) -> $crate::optim::scheduler::SchedulerState {
                let mut m = self.common.state_dict();
                $crate::optim::scheduler::Formula::save_options(self, &mut m);
                m
            }
            #[track_caller]
            fn load_state_dict(&mut self, state: &$crate::optim::scheduler::SchedulerState) -> tensor_core::Result<()> {
                let op = concat!(stringify!($t), ".load_state_dict");
                let common = $crate::optim::scheduler::Common::from_state_dict(op, state)?;
                if common.base_lrs.len() != self.common.base_lrs.len() {
                    tensor_core::bail!(
                        Value,
                        op,
                        "the state dict has {} base_lrs, but the scheduler has {} parameter groups",
                        common.base_lrs.len(),
                        self.common.base_lrs.len()
                    );
                }
                $crate::optim::scheduler::Formula::load_options(self, state)?;
                self.common = common;
                Ok(())
            }
            #[track_caller]
            fn sequence_reset(&mut self, base_lrs: &[f64]) -> tensor_core::Result<()> {
                if base_lrs.len() != self.common.base_lrs.len() {
                    tensor_core::bail!(
                        Value,
                        "SequentialLR",
                        "a scheduler has {} parameter groups, the first has {}",
                        self.common.base_lrs.len(),
                        base_lrs.len()
                    );
                }
                self.common.base_lrs = base_lrs.to_vec();
                self.common.last_epoch = -1;
                Ok(())
            }
            #[track_caller]
            fn sequence_initial_step(
                &mut self,
                optimizer: &mut dyn $crate::optim::Optimizer,
            ) -> tensor_core::Result<()> {
                $crate::optim::scheduler::Formula::initial_step(self, optimizer)
            }
            #[track_caller]
            fn sequence_restart(&mut self, optimizer: &mut dyn $crate::optim::Optimizer) -> tensor_core::Result<()> {
                $crate::optim::scheduler::Formula::restart(self, optimizer)
            }
        }
    };
}
use chainable;
