//! [`ReduceLROnPlateau`]: lowers the learning rate when a metric stops improving.
//!
//! Its `step` takes the metric, so it is not an [`LrScheduler`](super::LrScheduler) (whose `step`
//! takes only the optimizer) and cannot be put in a [`SequentialLR`](super::SequentialLR), which
//! PyTorch refuses at run time too; it has the trait's other methods as inherent ones.

use super::{entry, f64_entry, i64_entry, lrs_entry, str_entry, usize_entry, Optimizer, SchedulerState};
use serde_json::{json, Value};
use tensor_core::{bail, Result};

/// Whether a lower (`Min`, the default) or a higher (`Max`) metric is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PlateauMode {
    /// Lower is better (`"min"`).
    #[default]
    Min,
    /// Higher is better (`"max"`).
    Max,
}

/// Whether `threshold` is relative to the best metric (`Rel`, the default) or absolute (`Abs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ThresholdMode {
    /// `best * (1 ∓ threshold)` (`"rel"`).
    #[default]
    Rel,
    /// `best ∓ threshold` (`"abs"`).
    Abs,
}

/// [`ReduceLROnPlateau`]'s options, with PyTorch's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct ReduceLROnPlateauOptions {
    /// Lower or higher is better (default `Min`).
    pub mode: PlateauMode,
    /// The factor of each reduction, below 1 (default 0.1).
    pub factor: f64,
    /// Epochs without improvement tolerated before a reduction (default 10).
    pub patience: usize,
    /// The least change that counts as an improvement (default 1e-4).
    pub threshold: f64,
    /// Relative or absolute threshold (default `Rel`).
    pub threshold_mode: ThresholdMode,
    /// Epochs after a reduction during which bad epochs are not counted (default 0).
    pub cooldown: usize,
    /// The lowest learning rate: one value for every group, or one per group (default `[0]`).
    pub min_lr: Vec<f64>,
    /// Reductions smaller than this are skipped (default 1e-8).
    pub eps: f64,
}

impl Default for ReduceLROnPlateauOptions {
    fn default() -> Self {
        ReduceLROnPlateauOptions {
            mode: PlateauMode::Min,
            factor: 0.1,
            patience: 10,
            threshold: 1e-4,
            threshold_mode: ThresholdMode::Rel,
            cooldown: 0,
            min_lr: vec![0.0],
            eps: 1e-8,
        }
    }
}

/// Multiplies the learning rates by `factor` once the metric has not improved for more than
/// `patience` epochs, as `torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode='min',
/// factor=0.1, patience=10, threshold=1e-4, threshold_mode='rel', cooldown=0, min_lr=0,
/// eps=1e-8)`.
///
/// ```
/// use tensor_nn::optim::{Optimizer, ReduceLROnPlateau, ReduceLROnPlateauOptions, Sgd, SgdConfig};
/// let mut opt = Sgd::new(vec![], SgdConfig { lr: 1.0, ..Default::default() })?;
/// let o = ReduceLROnPlateauOptions { patience: 1, factor: 0.5, ..Default::default() };
/// let mut sched = ReduceLROnPlateau::new(&opt, o)?;
/// for loss in [3.0, 2.0, 2.0, 2.0] {
///     sched.step(loss, &mut opt)?;
/// }
/// assert_eq!(opt.learning_rates(), [0.5]);
/// # Ok::<(), tensor_core::Error>(())
/// ```
///
/// The state dict holds PyTorch's entries (`factor`, `min_lrs`, `default_min_lr`, `patience`,
/// `cooldown`, `eps`, `last_epoch`, `_last_lr`, `mode`, `threshold`, `threshold_mode`, `best`,
/// `mode_worse`, `cooldown_counter`, `num_bad_epochs`); infinities, which JSON has not, are the
/// strings `"inf"` and `"-inf"`.
#[derive(Debug, Clone)]
pub struct ReduceLROnPlateau {
    /// The options (`min_lr` as given).
    pub options: ReduceLROnPlateauOptions,
    min_lrs: Vec<f64>,
    default_min_lr: Option<f64>,
    best: f64,
    cooldown_counter: usize,
    num_bad_epochs: usize,
    last_epoch: usize,
    last_lr: Vec<f64>,
}

/// A number, or `"inf"` / `"-inf"`.
fn float_json(x: f64) -> Value {
    if x == f64::INFINITY {
        json!("inf")
    } else if x == f64::NEG_INFINITY {
        json!("-inf")
    } else {
        json!(x)
    }
}

#[track_caller]
fn float_entry(op: &'static str, s: &SchedulerState, key: &str) -> Result<f64> {
    entry(op, s, key, "a number, \"inf\" or \"-inf\"", |v| match v.as_str() {
        Some("inf") => Some(f64::INFINITY),
        Some("-inf") => Some(f64::NEG_INFINITY),
        _ => v.as_f64(),
    })
}

impl ReduceLROnPlateau {
    /// A scheduler over `optimizer`'s groups (it reads their number and learning rates).
    #[track_caller]
    pub fn new(optimizer: &dyn Optimizer, options: ReduceLROnPlateauOptions) -> Result<ReduceLROnPlateau> {
        const OP: &str = "ReduceLROnPlateau";
        if options.factor >= 1.0 {
            bail!(Value, OP, "Factor should be < 1.0.");
        }
        let lrs = optimizer.learning_rates();
        let (min_lrs, default_min_lr) = match options.min_lr.len() {
            1 => (vec![options.min_lr[0]; lrs.len()], Some(options.min_lr[0])),
            n if n == lrs.len() => (options.min_lr.clone(), None),
            n => bail!(Value, OP, "expected {} min_lrs, got {n}", lrs.len()),
        };
        let mut s = ReduceLROnPlateau {
            options,
            min_lrs,
            default_min_lr,
            best: 0.0,
            cooldown_counter: 0,
            num_bad_epochs: 0,
            last_epoch: 0,
            last_lr: lrs,
        };
        s.reset();
        Ok(s)
    }
    fn mode_worse(&self) -> f64 {
        match self.options.mode {
            PlateauMode::Min => f64::INFINITY,
            PlateauMode::Max => f64::NEG_INFINITY,
        }
    }
    /// Forgets the best metric and the bad-epoch and cooldown counters (PyTorch's `_reset`).
    pub fn reset(&mut self) {
        self.best = self.mode_worse();
        self.cooldown_counter = 0;
        self.num_bad_epochs = 0;
    }
    fn is_better(&self, a: f64, best: f64) -> bool {
        let t = self.options.threshold;
        match (self.options.mode, self.options.threshold_mode) {
            (PlateauMode::Min, ThresholdMode::Rel) => a < best * (1.0 - t),
            (PlateauMode::Min, ThresholdMode::Abs) => a < best - t,
            (PlateauMode::Max, ThresholdMode::Rel) => a > best * (t + 1.0),
            (PlateauMode::Max, ThresholdMode::Abs) => a > best + t,
        }
    }
    /// One epoch with its `metric` (call after validation): counts a bad epoch or records the
    /// best, and reduces the learning rates after more than `patience` bad epochs.
    #[track_caller]
    pub fn step(&mut self, metric: f64, optimizer: &mut dyn Optimizer) -> Result<()> {
        let lrs = optimizer.learning_rates();
        if lrs.len() != self.min_lrs.len() && self.default_min_lr.is_none() {
            bail!(
                Value,
                "ReduceLROnPlateau",
                "The number of param groups in the `optimizer` ({}) differs from when `ReduceLROnPlateau` was initialized ({}), usually due to a new param group being added to the optimizer. Please modify the `min_lrs` field to match the length of the `optimizer` param groups.",
                lrs.len(),
                self.min_lrs.len()
            );
        }
        self.last_epoch += 1;
        if self.is_better(metric, self.best) {
            self.best = metric;
            self.num_bad_epochs = 0;
        } else {
            self.num_bad_epochs += 1;
        }
        if self.cooldown_counter > 0 {
            self.cooldown_counter -= 1;
            self.num_bad_epochs = 0;
        }
        if self.num_bad_epochs > self.options.patience {
            if let Some(m) = self.default_min_lr {
                self.min_lrs = vec![m; lrs.len()];
            }
            for (i, &old) in lrs.iter().enumerate() {
                let new = (old * self.options.factor).max(self.min_lrs[i]);
                if old - new > self.options.eps {
                    optimizer.set_learning_rate(i, new);
                }
            }
            self.cooldown_counter = self.options.cooldown;
            self.num_bad_epochs = 0;
        }
        self.last_lr = optimizer.learning_rates();
        Ok(())
    }
    /// The learning rates after the last step, as `get_last_lr()`.
    pub fn last_lr(&self) -> &[f64] {
        &self.last_lr
    }
    /// The number of steps taken, as `last_epoch`.
    pub fn last_epoch(&self) -> usize {
        self.last_epoch
    }
    /// The best metric so far (infinitely bad before the first step).
    pub fn best(&self) -> f64 {
        self.best
    }
    /// Bad epochs since the last improvement or reduction, PyTorch's `num_bad_epochs`.
    pub fn num_bad_epochs(&self) -> usize {
        self.num_bad_epochs
    }
    /// The state dict, with PyTorch's entries.
    pub fn state_dict(&self) -> SchedulerState {
        let o = &self.options;
        let mut m = SchedulerState::new();
        m.insert("factor".into(), json!(o.factor));
        m.insert("min_lrs".into(), json!(self.min_lrs));
        m.insert("default_min_lr".into(), json!(self.default_min_lr));
        m.insert("patience".into(), json!(o.patience));
        m.insert("cooldown".into(), json!(o.cooldown));
        m.insert("eps".into(), json!(o.eps));
        m.insert("last_epoch".into(), json!(self.last_epoch));
        m.insert("_last_lr".into(), json!(self.last_lr));
        let mode = match o.mode {
            PlateauMode::Min => "min",
            PlateauMode::Max => "max",
        };
        m.insert("mode".into(), json!(mode));
        m.insert("threshold".into(), json!(o.threshold));
        let tm = match o.threshold_mode {
            ThresholdMode::Rel => "rel",
            ThresholdMode::Abs => "abs",
        };
        m.insert("threshold_mode".into(), json!(tm));
        m.insert("best".into(), float_json(self.best));
        m.insert("mode_worse".into(), float_json(self.mode_worse()));
        m.insert("cooldown_counter".into(), json!(self.cooldown_counter));
        m.insert("num_bad_epochs".into(), json!(self.num_bad_epochs));
        m
    }
    /// Loads a state dict: every entry replaces this scheduler's; a missing or bad entry is an
    /// error naming it, and changes nothing.
    #[track_caller]
    pub fn load_state_dict(&mut self, s: &SchedulerState) -> Result<()> {
        const OP: &str = "ReduceLROnPlateau.load_state_dict";
        let mode = match str_entry(OP, s, "mode")? {
            "min" => PlateauMode::Min,
            "max" => PlateauMode::Max,
            other => bail!(Value, OP, "mode {other} is unknown!"),
        };
        let threshold_mode = match str_entry(OP, s, "threshold_mode")? {
            "rel" => ThresholdMode::Rel,
            "abs" => ThresholdMode::Abs,
            other => bail!(Value, OP, "threshold mode {other} is unknown!"),
        };
        let default_min_lr = match s.get("default_min_lr") {
            Some(Value::Null) => None,
            _ => Some(f64_entry(OP, s, "default_min_lr")?),
        };
        let min_lrs = lrs_entry(OP, s, "min_lrs")?;
        let factor = f64_entry(OP, s, "factor")?;
        if factor >= 1.0 {
            bail!(Value, OP, "Factor should be < 1.0.");
        }
        let options = ReduceLROnPlateauOptions {
            mode,
            factor,
            patience: usize_entry(OP, s, "patience")?,
            threshold: f64_entry(OP, s, "threshold")?,
            threshold_mode,
            cooldown: usize_entry(OP, s, "cooldown")?,
            min_lr: default_min_lr.map_or_else(|| min_lrs.clone(), |m| vec![m]),
            eps: f64_entry(OP, s, "eps")?,
        };
        let last_epoch = i64_entry(OP, s, "last_epoch")?;
        *self = ReduceLROnPlateau {
            options,
            min_lrs,
            default_min_lr,
            best: float_entry(OP, s, "best")?,
            cooldown_counter: usize_entry(OP, s, "cooldown_counter")?,
            num_bad_epochs: usize_entry(OP, s, "num_bad_epochs")?,
            last_epoch: usize::try_from(last_epoch).unwrap_or(0),
            last_lr: lrs_entry(OP, s, "_last_lr")?,
        };
        Ok(())
    }
}
