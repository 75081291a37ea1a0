//! The cosine schedulers: [`CosineAnnealingLR`], [`CosineAnnealingWarmRestarts`] and
//! [`OneCycleLR`].

use super::{
    bool_entry, chainable, entry, f64_entry, i64_entry, lrs_entry, str_entry, usize_entry, Common, Formula, Optimizer,
    SchedulerState,
};
use serde_json::{json, Value};
use std::f64::consts::PI;
use tensor_core::{bail, Result};

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
    #[track_caller]
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
        let c = (PI * epoch as f64 / t).cos();
        self.common.base_lrs.iter().map(|&b| eta + (b - eta) * (1.0 + c) / 2.0).collect()
    }
}

impl Formula for CosineAnnealingLR {
    const NAME: &'static str = "CosineAnnealingLR";
    fn common(&self) -> &Common {
        &self.common
    }
    fn common_mut(&mut self) -> &mut Common {
        &mut self.common
    }
    #[track_caller]
    fn get_lr(&self, initial: bool, current: &[f64]) -> Result<Vec<f64>> {
        if initial {
            return Ok(current.to_vec());
        }
        let (t, eta, e) = (self.t_max as i64, self.eta_min, self.common.last_epoch);
        let tf = t as f64;
        let lrs = current.iter().zip(&self.common.base_lrs).map(|(&lr, &base)| {
            if (e - 1 - t).rem_euclid(2 * t) == 0 {
                lr + (base - eta) * (1.0 - (PI / tf).cos()) / 2.0
            } else {
                (1.0 + (PI * e as f64 / tf).cos()) / (1.0 + (PI * (e - 1) as f64 / tf).cos()) * (lr - eta) + eta
            }
        });
        Ok(lrs.collect())
    }
    fn closed_form(&self) -> Option<Vec<f64>> {
        Some(self.closed_form_lr(self.common.epoch()))
    }
    fn save_options(&self, m: &mut SchedulerState) {
        m.insert("T_max".into(), json!(self.t_max));
        m.insert("eta_min".into(), json!(self.eta_min));
    }
    #[track_caller]
    fn load_options(&mut self, s: &SchedulerState) -> Result<()> {
        const OP: &str = "CosineAnnealingLR.load_state_dict";
        let t_max = usize_entry(OP, s, "T_max")?;
        if t_max == 0 {
            bail!(Value, OP, "T_max must be a positive integer, got 0");
        }
        self.eta_min = f64_entry(OP, s, "eta_min")?;
        self.t_max = t_max;
        Ok(())
    }
}
chainable!(CosineAnnealingLR);

/// Cosine annealing with warm restarts (SGDR), as
/// `torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(optimizer, T_0, T_mult=1, eta_min=0)`:
/// the learning rate goes from the base down towards `eta_min` over `t_0` epochs, then restarts,
/// each period `t_mult` times the last.
#[derive(Debug, Clone)]
pub struct CosineAnnealingWarmRestarts {
    /// Epochs of the first period.
    pub t_0: usize,
    /// Factor by which each period is longer than the last.
    pub t_mult: usize,
    /// The lowest learning rate.
    pub eta_min: f64,
    t_i: usize,
    t_cur: usize,
    common: Common,
}

impl CosineAnnealingWarmRestarts {
    /// A scheduler over `optimizer`'s current learning rates; sets them to epoch 0's (which may
    /// differ from the base in the last bit).
    #[track_caller]
    pub fn new(
        optimizer: &mut dyn Optimizer,
        t_0: usize,
        t_mult: usize,
        eta_min: f64,
    ) -> Result<CosineAnnealingWarmRestarts> {
        check_warm_restarts("CosineAnnealingWarmRestarts", t_0, t_mult)?;
        let mut s =
            CosineAnnealingWarmRestarts { t_0, t_mult, eta_min, t_i: t_0, t_cur: 0, common: Common::new(optimizer) };
        s.initial_step(optimizer)?;
        Ok(s)
    }
    /// Epochs since the last restart, PyTorch's `T_cur`.
    pub fn t_cur(&self) -> usize {
        self.t_cur
    }
    /// Epochs of the current period, PyTorch's `T_i`.
    pub fn t_i(&self) -> usize {
        self.t_i
    }
}

#[track_caller]
fn check_warm_restarts(op: &'static str, t_0: usize, t_mult: usize) -> Result<()> {
    if t_0 == 0 {
        bail!(Value, op, "Expected positive integer T_0, but got {t_0}");
    }
    if t_mult < 1 {
        bail!(Value, op, "Expected integer T_mult >= 1, but got {t_mult}");
    }
    Ok(())
}

impl Formula for CosineAnnealingWarmRestarts {
    const NAME: &'static str = "CosineAnnealingWarmRestarts";
    fn common(&self) -> &Common {
        &self.common
    }
    fn common_mut(&mut self) -> &mut Common {
        &mut self.common
    }
    #[track_caller]
    fn get_lr(&self, _initial: bool, _current: &[f64]) -> Result<Vec<f64>> {
        let eta = self.eta_min;
        let c = (PI * self.t_cur as f64 / self.t_i as f64).cos();
        Ok(self.common.base_lrs.iter().map(|&b| eta + (b - eta) * (1.0 + c) / 2.0).collect())
    }
    fn advance(&mut self) {
        if self.common.last_epoch < 0 {
            return self.advance_initial();
        }
        self.t_cur += 1;
        if self.t_cur >= self.t_i {
            self.t_cur %= self.t_i;
            self.t_i *= self.t_mult;
        }
        self.common.last_epoch += 1;
    }
    fn advance_initial(&mut self) {
        self.t_i = self.t_0;
        self.t_cur = 0;
        self.common.last_epoch = 0;
    }
    fn save_options(&self, m: &mut SchedulerState) {
        m.insert("T_0".into(), json!(self.t_0));
        m.insert("T_i".into(), json!(self.t_i));
        m.insert("T_mult".into(), json!(self.t_mult));
        m.insert("eta_min".into(), json!(self.eta_min));
        m.insert("T_cur".into(), json!(self.t_cur));
    }
    #[track_caller]
    fn load_options(&mut self, s: &SchedulerState) -> Result<()> {
        const OP: &str = "CosineAnnealingWarmRestarts.load_state_dict";
        let (t_0, t_mult) = (usize_entry(OP, s, "T_0")?, usize_entry(OP, s, "T_mult")?);
        check_warm_restarts(OP, t_0, t_mult)?;
        let (t_i, t_cur, eta_min) =
            (usize_entry(OP, s, "T_i")?, usize_entry(OP, s, "T_cur")?, f64_entry(OP, s, "eta_min")?);
        if t_i == 0 {
            bail!(Value, OP, "T_i must be a positive integer, got 0");
        }
        *self = CosineAnnealingWarmRestarts { t_0, t_mult, eta_min, t_i, t_cur, common: self.common.clone() };
        Ok(())
    }
}
chainable!(CosineAnnealingWarmRestarts);

/// How [`OneCycleLR`] goes from one learning rate to the next within a phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AnnealStrategy {
    /// Half a cosine (`"cos"`, the default).
    #[default]
    Cos,
    /// A straight line (`"linear"`).
    Linear,
}

impl AnnealStrategy {
    fn name(self) -> &'static str {
        match self {
            AnnealStrategy::Cos => "cos",
            AnnealStrategy::Linear => "linear",
        }
    }
    /// `_annealing_cos` / `_annealing_linear`, in PyTorch's order.
    fn anneal(self, start: f64, end: f64, pct: f64) -> f64 {
        match self {
            AnnealStrategy::Cos => {
                let cos_out = (PI * pct).cos() + 1.0;
                end + (start - end) / 2.0 * cos_out
            }
            AnnealStrategy::Linear => (end - start) * pct + start,
        }
    }
}

/// [`OneCycleLR`]'s options, with PyTorch's defaults. Give `total_steps`, or `epochs` and
/// `steps_per_epoch`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OneCycleLROptions {
    /// The number of steps of the cycle (default: `epochs * steps_per_epoch`).
    pub total_steps: Option<usize>,
    /// Epochs, with `steps_per_epoch`, when `total_steps` is `None`.
    pub epochs: Option<usize>,
    /// Steps per epoch, with `epochs`, when `total_steps` is `None`.
    pub steps_per_epoch: Option<usize>,
    /// The fraction of the cycle spent increasing the learning rate (default 0.3).
    pub pct_start: f64,
    /// Cosine (default) or linear annealing.
    pub anneal_strategy: AnnealStrategy,
    /// Cycles the momentum (SGD's `momentum`, Adam's `betas[0]`) inversely to the learning
    /// rate, between `max_momentum` and `base_momentum` (default `true`).
    pub cycle_momentum: bool,
    /// The lowest momentum, at the peak learning rate (default 0.85; one value for every group,
    /// where PyTorch also takes one per group).
    pub base_momentum: f64,
    /// The highest momentum (default 0.95; one value for every group).
    pub max_momentum: f64,
    /// The initial learning rate is `max_lr / div_factor` (default 25).
    pub div_factor: f64,
    /// The last learning rate is `initial_lr / final_div_factor` (default 1e4).
    pub final_div_factor: f64,
    /// Three phases (up, down to the initial learning rate, down to the minimum) instead of two.
    pub three_phase: bool,
}

impl Default for OneCycleLROptions {
    fn default() -> Self {
        OneCycleLROptions {
            total_steps: None,
            epochs: None,
            steps_per_epoch: None,
            pct_start: 0.3,
            anneal_strategy: AnnealStrategy::Cos,
            cycle_momentum: true,
            base_momentum: 0.85,
            max_momentum: 0.95,
            div_factor: 25.0,
            final_div_factor: 1e4,
            three_phase: false,
        }
    }
}

/// Which learning rate or momentum of a group a phase starts or ends at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Initial,
    Max,
    Min,
    MaxMomentum,
    BaseMomentum,
}

impl Level {
    const ALL: [Level; 5] = [Level::Initial, Level::Max, Level::Min, Level::MaxMomentum, Level::BaseMomentum];
    fn name(self) -> &'static str {
        match self {
            Level::Initial => "initial_lr",
            Level::Max => "max_lr",
            Level::Min => "min_lr",
            Level::MaxMomentum => "max_momentum",
            Level::BaseMomentum => "base_momentum",
        }
    }
    fn parse(s: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.name() == s)
    }
}

/// One phase of the cycle, PyTorch's `_SchedulePhase`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Phase {
    end_step: f64,
    start_lr: Level,
    end_lr: Level,
    start_momentum: Level,
    end_momentum: Level,
}

/// The 1cycle policy, as `torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr, total_steps,
/// epochs, steps_per_epoch, pct_start=0.3, anneal_strategy='cos', cycle_momentum=True,
/// base_momentum=0.85, max_momentum=0.95, div_factor=25, final_div_factor=1e4,
/// three_phase=False)`: the learning rate rises from `max_lr / div_factor` to `max_lr`, then
/// falls to `max_lr / div_factor / final_div_factor`, one scheduler step per batch, while the
/// momentum (SGD's `momentum`, Adam's `betas[0]`, through [`Optimizer::set_momentum`]) falls and
/// rises. Stepping past `total_steps` is an error.
///
/// The base learning rates are the initial ones (`max_lr / div_factor`, as PyTorch sets
/// `initial_lr`). The state dict adds `max_lrs`, `min_lrs`, `max_momentums` and
/// `base_momentums`, which PyTorch keeps in the optimizer's parameter groups, and leaves out
/// `use_beta1` (the optimizer knows which of its options is the momentum).
#[derive(Debug, Clone)]
pub struct OneCycleLR {
    /// The number of steps of the cycle.
    pub total_steps: usize,
    /// Cosine or linear annealing.
    pub anneal_strategy: AnnealStrategy,
    /// Whether the momentum is cycled.
    pub cycle_momentum: bool,
    phases: Vec<Phase>,
    max_lrs: Vec<f64>,
    min_lrs: Vec<f64>,
    max_momentums: Vec<f64>,
    base_momentums: Vec<f64>,
    common: Common,
}

impl OneCycleLR {
    /// A scheduler that sets `optimizer`'s learning rates to `max_lr / div_factor` (and its
    /// momentum to `max_momentum`, with `cycle_momentum`). `max_lr` holds one value for every
    /// group or one per group.
    #[track_caller]
    pub fn new(optimizer: &mut dyn Optimizer, max_lr: &[f64], options: OneCycleLROptions) -> Result<OneCycleLR> {
        const OP: &str = "OneCycleLR";
        let o = options;
        let total_steps = match (o.total_steps, o.epochs, o.steps_per_epoch) {
            (Some(0), _, _) => bail!(Value, OP, "Expected positive integer total_steps, but got 0"),
            (Some(t), _, _) => t,
            (None, Some(0), Some(_)) => bail!(Value, OP, "Expected positive integer epochs, but got 0"),
            (None, Some(_), Some(0)) => bail!(Value, OP, "Expected positive integer steps_per_epoch, but got 0"),
            (None, Some(e), Some(s)) => e * s,
            _ => bail!(Value, OP, "You must define either total_steps OR (epochs AND steps_per_epoch)"),
        };
        let t = total_steps as f64;
        let phase = |end_step, start_lr, end_lr, start_momentum, end_momentum| Phase {
            end_step,
            start_lr,
            end_lr,
            start_momentum,
            end_momentum,
        };
        use Level::*;
        let phases = if o.three_phase {
            vec![
                phase(o.pct_start * t - 1.0, Initial, Max, MaxMomentum, BaseMomentum),
                phase(2.0 * o.pct_start * t - 2.0, Max, Initial, BaseMomentum, MaxMomentum),
                phase(t - 1.0, Initial, Min, MaxMomentum, MaxMomentum),
            ]
        } else {
            vec![
                phase(o.pct_start * t - 1.0, Initial, Max, MaxMomentum, BaseMomentum),
                phase(t - 1.0, Max, Min, BaseMomentum, MaxMomentum),
            ]
        };
        if !(0.0..=1.0).contains(&o.pct_start) {
            bail!(Value, OP, "Expected float between 0 and 1 pct_start, but got {}", o.pct_start);
        }
        let groups = optimizer.learning_rates().len();
        let max_lrs = match max_lr.len() {
            1 => vec![max_lr[0]; groups],
            n if n == groups => max_lr.to_vec(),
            n => bail!(
                Value,
                OP,
                "max_lr must have the same length as optimizer.param_groups. max_lr has {n} values, param_groups has {groups}."
            ),
        };
        if o.cycle_momentum && optimizer.momentums().len() != groups {
            bail!(Value, OP, "optimizer must support momentum or beta1 with `cycle_momentum` option enabled");
        }
        let initial: Vec<f64> = max_lrs.iter().map(|&m| m / o.div_factor).collect();
        let min_lrs = initial.iter().map(|&i| i / o.final_div_factor).collect();
        let common = Common { base_lrs: initial.clone(), last_lr: initial.clone(), last_epoch: 0 };
        for (i, &lr) in initial.iter().enumerate() {
            optimizer.set_learning_rate(i, lr);
            if o.cycle_momentum {
                optimizer.set_momentum(i, o.max_momentum);
            }
        }
        let mut s = OneCycleLR {
            total_steps,
            anneal_strategy: o.anneal_strategy,
            cycle_momentum: o.cycle_momentum,
            phases,
            max_lrs,
            min_lrs,
            max_momentums: vec![o.max_momentum; groups],
            base_momentums: vec![o.base_momentum; groups],
            common,
        };
        s.initial_step(optimizer)?;
        Ok(s)
    }
    fn level(&self, l: Level, group: usize) -> f64 {
        match l {
            Level::Initial => self.common.base_lrs[group],
            Level::Max => self.max_lrs[group],
            Level::Min => self.min_lrs[group],
            Level::MaxMomentum => self.max_momentums[group],
            Level::BaseMomentum => self.base_momentums[group],
        }
    }
    /// The phase of the current step and the fraction of it done.
    fn phase(&self) -> (Phase, f64) {
        let step = self.common.last_epoch as f64;
        let mut start_step = 0.0;
        for (i, p) in self.phases.iter().enumerate() {
            if step <= p.end_step || i == self.phases.len() - 1 {
                return (*p, (step - start_step) / (p.end_step - start_step));
            }
            start_step = p.end_step;
        }
        unreachable!("a OneCycleLR has at least one phase")
    }
}

impl Formula for OneCycleLR {
    const NAME: &'static str = "OneCycleLR";
    fn common(&self) -> &Common {
        &self.common
    }
    fn common_mut(&mut self) -> &mut Common {
        &mut self.common
    }
    #[track_caller]
    fn get_lr(&self, _initial: bool, current: &[f64]) -> Result<Vec<f64>> {
        let step_num = self.common.last_epoch;
        if step_num > self.total_steps as i64 {
            bail!(
                Value,
                "OneCycleLR",
                "Tried to step {step_num} times. The specified number of total steps is {}",
                self.total_steps
            );
        }
        let (p, pct) = self.phase();
        let a = self.anneal_strategy;
        Ok((0..current.len()).map(|g| a.anneal(self.level(p.start_lr, g), self.level(p.end_lr, g), pct)).collect())
    }
    fn after_get_lr(&self, optimizer: &mut dyn Optimizer) {
        if !self.cycle_momentum {
            return;
        }
        let (p, pct) = self.phase();
        for g in 0..self.max_momentums.len() {
            let m = self.anneal_strategy.anneal(self.level(p.start_momentum, g), self.level(p.end_momentum, g), pct);
            optimizer.set_momentum(g, m);
        }
    }
    fn save_options(&self, m: &mut SchedulerState) {
        m.insert("total_steps".into(), json!(self.total_steps));
        let phases: Vec<Value> = self
            .phases
            .iter()
            .map(|p| {
                json!({"end_step": p.end_step, "start_lr": p.start_lr.name(), "end_lr": p.end_lr.name(),
                       "start_momentum": p.start_momentum.name(), "end_momentum": p.end_momentum.name()})
            })
            .collect();
        m.insert("_schedule_phases".into(), Value::Array(phases));
        m.insert("_anneal_func_type".into(), json!(self.anneal_strategy.name()));
        m.insert("cycle_momentum".into(), json!(self.cycle_momentum));
        m.insert("max_lrs".into(), json!(self.max_lrs));
        m.insert("min_lrs".into(), json!(self.min_lrs));
        m.insert("max_momentums".into(), json!(self.max_momentums));
        m.insert("base_momentums".into(), json!(self.base_momentums));
    }
    #[track_caller]
    fn load_options(&mut self, s: &SchedulerState) -> Result<()> {
        const OP: &str = "OneCycleLR.load_state_dict";
        let total_steps = usize_entry(OP, s, "total_steps")?;
        let anneal_strategy = match str_entry(OP, s, "_anneal_func_type")? {
            "cos" => AnnealStrategy::Cos,
            "linear" => AnnealStrategy::Linear,
            other => bail!(Value, OP, "Unknown _anneal_func_type: {other}"),
        };
        let cycle_momentum = bool_entry(OP, s, "cycle_momentum")?;
        let level = |p: &Value, key: &str, lr: bool| {
            let l = Level::parse(p.get(key)?.as_str()?)?;
            (matches!(l, Level::Initial | Level::Max | Level::Min) == lr).then_some(l)
        };
        let phases = entry(OP, s, "_schedule_phases", "a list of phases", |v| {
            v.as_array()?
                .iter()
                .map(|p| {
                    Some(Phase {
                        end_step: p.get("end_step")?.as_f64()?,
                        start_lr: level(p, "start_lr", true)?,
                        end_lr: level(p, "end_lr", true)?,
                        start_momentum: level(p, "start_momentum", false)?,
                        end_momentum: level(p, "end_momentum", false)?,
                    })
                })
                .collect::<Option<Vec<Phase>>>()
        })?;
        if phases.is_empty() {
            bail!(Value, OP, "state dict entry \"_schedule_phases\" is empty");
        }
        let groups = self.common.base_lrs.len();
        let mut lists = vec![];
        for key in ["max_lrs", "min_lrs", "max_momentums", "base_momentums"] {
            let l = lrs_entry(OP, s, key)?;
            if l.len() != groups {
                bail!(Value, OP, "state dict entry {key:?} must have one value per group ({groups})");
            }
            lists.push(l);
        }
        let _ = i64_entry(OP, s, "last_epoch")?;
        let [max_lrs, min_lrs, max_momentums, base_momentums] = <[Vec<f64>; 4]>::try_from(lists).expect("four lists");
        *self = OneCycleLR {
            total_steps,
            anneal_strategy,
            cycle_momentum,
            phases,
            max_lrs,
            min_lrs,
            max_momentums,
            base_momentums,
            common: self.common.clone(),
        };
        Ok(())
    }
}
chainable!(OneCycleLR);
