//! [`SequentialLR`]: schedulers one after another, switching at milestones.

use super::{entry, i64_entry, lrs_entry, LrScheduler, Optimizer, SchedulerState};
use serde_json::{json, Value};
use std::fmt;
use tensor_core::{bail, Result};

/// Runs `schedulers[0]` until `milestones[0]`, then `schedulers[1]` until `milestones[1]`, and so
/// on, as `torch.optim.lr_scheduler.SequentialLR(optimizer, schedulers, milestones)`.
///
/// As PyTorch's: construction sets the learning rates back to the base ones (the first
/// scheduler's base learning rates, PyTorch's `initial_lr`, which every scheduler takes as its
/// base), undoes the schedulers' first steps and takes the first step of the one that runs at
/// epoch 0. At a milestone the next scheduler starts at its epoch 0, by its closed form where
/// PyTorch has one (so `ExponentialLR` starts again from the base learning rate).
/// Schedulers must have been made on the same optimizer; a [`SequentialLR`] cannot be nested in
/// another, and [`ReduceLROnPlateau`](super::ReduceLROnPlateau), which is not an
/// [`LrScheduler`], cannot be sequenced (PyTorch refuses it too).
///
/// ```
/// use tensor_nn::optim::{ExponentialLR, LinearLR, LinearLROptions, LrScheduler, Optimizer, SequentialLR, Sgd, SgdConfig};
/// let mut opt = Sgd::new(vec![], SgdConfig { lr: 1.0, ..Default::default() })?;
/// let warmup = LinearLR::new(&mut opt, LinearLROptions { start_factor: 0.5, end_factor: 1.0, total_iters: 2 })?;
/// let decay = ExponentialLR::new(&mut opt, 0.5)?;
/// let mut sched = SequentialLR::new(&mut opt, vec![Box::new(warmup), Box::new(decay)], vec![2])?;
/// let mut lrs = vec![opt.learning_rates()[0]];
/// for _ in 0..4 {
///     sched.step(&mut opt)?;
///     lrs.push(opt.learning_rates()[0]);
/// }
/// assert_eq!(lrs, [0.5, 0.75, 1.0, 0.5, 0.25]);
/// # Ok::<(), tensor_core::Error>(())
/// ```
pub struct SequentialLR {
    schedulers: Vec<Box<dyn LrScheduler>>,
    milestones: Vec<usize>,
    last_epoch: usize,
    last_lr: Vec<f64>,
    base_lrs: Vec<f64>,
}

impl fmt::Debug for SequentialLR {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SequentialLR")
            .field("milestones", &self.milestones)
            .field("last_epoch", &self.last_epoch)
            .field("last_lr", &self.last_lr)
            .finish_non_exhaustive()
    }
}

/// PyTorch's `bisect_right(milestones, epoch)`: the number of milestones at or before `epoch`.
fn bisect_right(milestones: &[usize], epoch: usize) -> usize {
    milestones.partition_point(|&m| m <= epoch)
}

impl SequentialLR {
    /// Sequences `schedulers` (one more than `milestones`), made on `optimizer`.
    #[track_caller]
    pub fn new(
        optimizer: &mut dyn Optimizer,
        mut schedulers: Vec<Box<dyn LrScheduler>>,
        milestones: Vec<usize>,
    ) -> Result<SequentialLR> {
        const OP: &str = "SequentialLR";
        if schedulers.is_empty() {
            bail!(Value, OP, "SequentialLR expects at least one scheduler, but got no scheduler.");
        }
        if milestones.len() != schedulers.len() - 1 {
            bail!(
                Value,
                OP,
                "Sequential Schedulers expects number of schedulers provided to be one more than the number of milestone points, but got number of schedulers {} and the number of milestones to be equal to {}",
                schedulers.len(),
                milestones.len()
            );
        }
        let base_lrs = schedulers[0].base_lrs().to_vec();
        if optimizer.learning_rates().len() != base_lrs.len() {
            bail!(
                Value,
                OP,
                "the optimizer has {} parameter groups, but the schedulers were created for {}",
                optimizer.learning_rates().len(),
                base_lrs.len()
            );
        }
        for s in &mut schedulers {
            s.sequence_reset(&base_lrs)?;
        }
        for (i, &lr) in base_lrs.iter().enumerate() {
            optimizer.set_learning_rate(i, lr);
        }
        let idx = bisect_right(&milestones, 0);
        schedulers[idx].sequence_initial_step(optimizer)?;
        let last_lr = schedulers[idx].last_lr().to_vec();
        Ok(SequentialLR { schedulers, milestones, last_epoch: 0, last_lr, base_lrs })
    }
    /// The milestones, PyTorch's `_milestones`.
    pub fn milestones(&self) -> &[usize] {
        &self.milestones
    }
    /// The sequenced schedulers, PyTorch's `_schedulers`.
    pub fn schedulers(&self) -> &[Box<dyn LrScheduler>] {
        &self.schedulers
    }
}

impl LrScheduler for SequentialLR {
    #[track_caller]
    fn step(&mut self, optimizer: &mut dyn Optimizer) -> Result<()> {
        let epoch = self.last_epoch + 1;
        let idx = bisect_right(&self.milestones, epoch);
        let s = &mut self.schedulers[idx];
        if idx > 0 && self.milestones[idx - 1] == epoch {
            s.sequence_restart(optimizer)?;
        } else {
            s.step(optimizer)?;
        }
        self.last_lr = s.last_lr().to_vec();
        self.last_epoch = epoch;
        Ok(())
    }
    fn last_lr(&self) -> &[f64] {
        &self.last_lr
    }
    fn last_epoch(&self) -> usize {
        self.last_epoch
    }
    fn base_lrs(&self) -> &[f64] {
        &self.base_lrs
    }
    /// `_schedulers` (each one's state dict), `_milestones`, `last_epoch` and `_last_lr`.
    fn state_dict(&self) -> SchedulerState {
        let mut m = SchedulerState::new();
        let subs: Vec<Value> = self.schedulers.iter().map(|s| Value::Object(s.state_dict())).collect();
        m.insert("_schedulers".into(), Value::Array(subs));
        m.insert("_milestones".into(), json!(self.milestones));
        m.insert("last_epoch".into(), json!(self.last_epoch));
        m.insert("_last_lr".into(), json!(self.last_lr));
        m
    }
    #[track_caller]
    fn load_state_dict(&mut self, state: &SchedulerState) -> Result<()> {
        const OP: &str = "SequentialLR.load_state_dict";
        let subs = entry(OP, state, "_schedulers", "a list of state dicts", |v| {
            v.as_array()?.iter().map(|s| s.as_object().cloned()).collect::<Option<Vec<SchedulerState>>>()
        })?;
        if subs.len() != self.schedulers.len() {
            bail!(
                Value,
                OP,
                "the state dict has {} schedulers, this SequentialLR has {}",
                subs.len(),
                self.schedulers.len()
            );
        }
        let milestones = entry(OP, state, "_milestones", "a list of non-negative integers", |v| {
            v.as_array()?
                .iter()
                .map(|m| m.as_u64().and_then(|m| usize::try_from(m).ok()))
                .collect::<Option<Vec<usize>>>()
        })?;
        if milestones.len() + 1 != subs.len() {
            bail!(Value, OP, "the state dict has {} milestones for {} schedulers", milestones.len(), subs.len());
        }
        let last_epoch = usize::try_from(i64_entry(OP, state, "last_epoch")?).unwrap_or(0);
        let last_lr = lrs_entry(OP, state, "_last_lr")?;
        // Load every scheduler, and put the loaded ones back if one fails.
        let saved: Vec<SchedulerState> = self.schedulers.iter().map(|s| s.state_dict()).collect();
        for (i, sub) in subs.iter().enumerate() {
            if let Err(e) = self.schedulers[i].load_state_dict(sub) {
                for (s, old) in self.schedulers.iter_mut().zip(&saved).take(i) {
                    s.load_state_dict(old)?;
                }
                return Err(e);
            }
        }
        self.milestones = milestones;
        self.last_epoch = last_epoch;
        self.last_lr = last_lr;
        Ok(())
    }
}
