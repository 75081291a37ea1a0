//! The schedulers that multiply the learning rate: [`StepLR`], [`MultiStepLR`],
//! [`ExponentialLR`], [`LinearLR`], [`LambdaLR`] and [`MultiplicativeLR`].

use super::{chainable, f64_entry, usize_entry, Common, Formula, Optimizer, SchedulerState};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use tensor_core::{bail, err, Result};

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
    #[track_caller]
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

impl Formula for StepLR {
    const NAME: &'static str = "StepLR";
    fn common(&self) -> &Common {
        &self.common
    }
    fn common_mut(&mut self) -> &mut Common {
        &mut self.common
    }
    #[track_caller]
    fn get_lr(&self, _initial: bool, current: &[f64]) -> Result<Vec<f64>> {
        let e = self.common.epoch();
        if e == 0 || !e.is_multiple_of(self.step_size) {
            return Ok(current.to_vec());
        }
        Ok(current.iter().map(|&lr| lr * self.gamma).collect())
    }
    fn closed_form(&self) -> Option<Vec<f64>> {
        Some(self.closed_form_lr(self.common.epoch()))
    }
    fn save_options(&self, m: &mut SchedulerState) {
        m.insert("step_size".into(), json!(self.step_size));
        m.insert("gamma".into(), json!(self.gamma));
    }
    #[track_caller]
    fn load_options(&mut self, s: &SchedulerState) -> Result<()> {
        const OP: &str = "StepLR.load_state_dict";
        let step_size = usize_entry(OP, s, "step_size")?;
        if step_size == 0 {
            bail!(Value, OP, "step_size must be a positive integer, got 0");
        }
        self.gamma = f64_entry(OP, s, "gamma")?;
        self.step_size = step_size;
        Ok(())
    }
}
chainable!(StepLR);

/// Multiplies the learning rate by `gamma` at each milestone epoch (by `gamma ** n` at a
/// milestone given `n` times), as `torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones,
/// gamma=0.1)`.
#[derive(Debug, Clone)]
pub struct MultiStepLR {
    /// Each milestone epoch and the number of times it was given (PyTorch's `Counter`).
    pub milestones: BTreeMap<usize, u32>,
    /// Multiplicative factor of each decay.
    pub gamma: f64,
    common: Common,
}

impl MultiStepLR {
    /// A scheduler over `optimizer`'s current learning rates; the milestones need not be sorted.
    #[track_caller]
    pub fn new(optimizer: &mut dyn Optimizer, milestones: &[usize], gamma: f64) -> Result<MultiStepLR> {
        let mut counts = BTreeMap::new();
        for &m in milestones {
            *counts.entry(m).or_insert(0) += 1;
        }
        let mut s = MultiStepLR { milestones: counts, gamma, common: Common::new(optimizer) };
        s.initial_step(optimizer)?;
        Ok(s)
    }
    /// The learning rates at `epoch` in closed form:
    /// `base_lr * gamma ** bisect_right(milestones, epoch)`.
    pub fn closed_form_lr(&self, epoch: usize) -> Vec<f64> {
        let n: u32 = self.milestones.range(..=epoch).map(|(_, &c)| c).sum();
        self.common.base_lrs.iter().map(|&b| b * self.gamma.powf(f64::from(n))).collect()
    }
}

impl Formula for MultiStepLR {
    const NAME: &'static str = "MultiStepLR";
    fn common(&self) -> &Common {
        &self.common
    }
    fn common_mut(&mut self) -> &mut Common {
        &mut self.common
    }
    #[track_caller]
    fn get_lr(&self, _initial: bool, current: &[f64]) -> Result<Vec<f64>> {
        match self.milestones.get(&self.common.epoch()) {
            None => Ok(current.to_vec()),
            Some(&n) => Ok(current.iter().map(|&lr| lr * self.gamma.powf(f64::from(n))).collect()),
        }
    }
    fn closed_form(&self) -> Option<Vec<f64>> {
        Some(self.closed_form_lr(self.common.epoch()))
    }
    fn save_options(&self, m: &mut SchedulerState) {
        let counts: serde_json::Map<String, Value> =
            self.milestones.iter().map(|(k, v)| (k.to_string(), json!(v))).collect();
        m.insert("milestones".into(), Value::Object(counts));
        m.insert("gamma".into(), json!(self.gamma));
    }
    #[track_caller]
    fn load_options(&mut self, s: &SchedulerState) -> Result<()> {
        const OP: &str = "MultiStepLR.load_state_dict";
        let bad = || err!(Value, OP, "state dict entry \"milestones\": expected an object of epoch: count");
        let obj = s.get("milestones").and_then(Value::as_object).ok_or_else(bad)?;
        let mut milestones = BTreeMap::new();
        for (k, v) in obj {
            let epoch: usize = k.parse().map_err(|_| bad())?;
            let n = v.as_u64().and_then(|n| u32::try_from(n).ok()).ok_or_else(bad)?;
            milestones.insert(epoch, n);
        }
        self.gamma = f64_entry(OP, s, "gamma")?;
        self.milestones = milestones;
        Ok(())
    }
}
chainable!(MultiStepLR);

/// Multiplies the learning rate by `gamma` every epoch, as
/// `torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma)`.
#[derive(Debug, Clone)]
pub struct ExponentialLR {
    /// Multiplicative factor of each epoch.
    pub gamma: f64,
    common: Common,
}

impl ExponentialLR {
    /// A scheduler over `optimizer`'s current learning rates.
    #[track_caller]
    pub fn new(optimizer: &mut dyn Optimizer, gamma: f64) -> Result<ExponentialLR> {
        let mut s = ExponentialLR { gamma, common: Common::new(optimizer) };
        s.initial_step(optimizer)?;
        Ok(s)
    }
    /// The learning rates at `epoch` in closed form: `base_lr * gamma ** epoch`.
    pub fn closed_form_lr(&self, epoch: usize) -> Vec<f64> {
        self.common.base_lrs.iter().map(|&b| b * self.gamma.powf(epoch as f64)).collect()
    }
}

impl Formula for ExponentialLR {
    const NAME: &'static str = "ExponentialLR";
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
        Ok(current.iter().map(|&lr| lr * self.gamma).collect())
    }
    fn closed_form(&self) -> Option<Vec<f64>> {
        Some(self.closed_form_lr(self.common.epoch()))
    }
    fn save_options(&self, m: &mut SchedulerState) {
        m.insert("gamma".into(), json!(self.gamma));
    }
    #[track_caller]
    fn load_options(&mut self, s: &SchedulerState) -> Result<()> {
        self.gamma = f64_entry("ExponentialLR.load_state_dict", s, "gamma")?;
        Ok(())
    }
}
chainable!(ExponentialLR);

/// [`LinearLR`]'s options, with PyTorch's defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinearLROptions {
    /// The factor of the first epoch, in (0, 1] (default 1/3).
    pub start_factor: f64,
    /// The factor from `total_iters` on, in [0, 1] (default 1).
    pub end_factor: f64,
    /// The epochs of the ramp (default 5).
    pub total_iters: usize,
}

impl Default for LinearLROptions {
    fn default() -> Self {
        LinearLROptions { start_factor: 1.0 / 3.0, end_factor: 1.0, total_iters: 5 }
    }
}

impl LinearLROptions {
    #[track_caller]
    fn validate(&self, op: &'static str) -> Result<()> {
        if self.start_factor > 1.0 || self.start_factor <= 0.0 {
            bail!(Value, op, "Starting multiplicative factor expected to be greater than 0 and less or equal to 1.");
        }
        if self.end_factor > 1.0 || self.end_factor < 0.0 {
            bail!(Value, op, "Ending multiplicative factor expected to be between 0 and 1.");
        }
        Ok(())
    }
}

/// Scales the learning rate by a factor that goes linearly from `start_factor` to `end_factor`
/// over `total_iters` epochs, as `torch.optim.lr_scheduler.LinearLR(optimizer,
/// start_factor=1/3, end_factor=1.0, total_iters=5)`. The constructor multiplies the learning
/// rates by `start_factor`.
#[derive(Debug, Clone)]
pub struct LinearLR {
    /// The options.
    pub options: LinearLROptions,
    common: Common,
}

impl LinearLR {
    /// A scheduler over `optimizer`'s current learning rates; sets them to `start_factor` times.
    #[track_caller]
    pub fn new(optimizer: &mut dyn Optimizer, options: LinearLROptions) -> Result<LinearLR> {
        options.validate("LinearLR")?;
        let mut s = LinearLR { options, common: Common::new(optimizer) };
        s.initial_step(optimizer)?;
        Ok(s)
    }
    /// The learning rates at `epoch` in closed form:
    /// `base_lr * (start + (end - start) * min(total_iters, epoch) / total_iters)`.
    pub fn closed_form_lr(&self, epoch: usize) -> Vec<f64> {
        let LinearLROptions { start_factor: s, end_factor: e, total_iters: t } = self.options;
        let f = s + (e - s) * t.min(epoch) as f64 / t as f64;
        self.common.base_lrs.iter().map(|&b| b * f).collect()
    }
}

impl Formula for LinearLR {
    const NAME: &'static str = "LinearLR";
    fn common(&self) -> &Common {
        &self.common
    }
    fn common_mut(&mut self) -> &mut Common {
        &mut self.common
    }
    #[track_caller]
    fn get_lr(&self, initial: bool, current: &[f64]) -> Result<Vec<f64>> {
        let LinearLROptions { start_factor: s, end_factor: e, total_iters: t } = self.options;
        let epoch = self.common.epoch();
        if epoch == 0 {
            return Ok(current.iter().map(|&lr| lr * s).collect());
        }
        if initial || epoch > t {
            return Ok(current.to_vec());
        }
        let f = 1.0 + (e - s) / (t as f64 * s + (epoch - 1) as f64 * (e - s));
        Ok(current.iter().map(|&lr| lr * f).collect())
    }
    fn closed_form(&self) -> Option<Vec<f64>> {
        Some(self.closed_form_lr(self.common.epoch()))
    }
    fn save_options(&self, m: &mut SchedulerState) {
        m.insert("start_factor".into(), json!(self.options.start_factor));
        m.insert("end_factor".into(), json!(self.options.end_factor));
        m.insert("total_iters".into(), json!(self.options.total_iters));
    }
    #[track_caller]
    fn load_options(&mut self, s: &SchedulerState) -> Result<()> {
        const OP: &str = "LinearLR.load_state_dict";
        let options = LinearLROptions {
            start_factor: f64_entry(OP, s, "start_factor")?,
            end_factor: f64_entry(OP, s, "end_factor")?,
            total_iters: usize_entry(OP, s, "total_iters")?,
        };
        options.validate(OP)?;
        self.options = options;
        Ok(())
    }
}
chainable!(LinearLR);

/// A learning-rate function of the epoch, for [`LambdaLR`] and [`MultiplicativeLR`].
pub type LrLambda = Arc<dyn Fn(usize) -> f64 + Send + Sync>;

/// One function for every group, or one per group, checked against the optimizer.
#[track_caller]
fn lambdas_for(op: &'static str, optimizer: &dyn Optimizer, lambdas: Vec<LrLambda>) -> Result<Vec<LrLambda>> {
    let groups = optimizer.learning_rates().len();
    if lambdas.len() != groups {
        bail!(Value, op, "Expected {groups} lr_lambdas, but got {}", lambdas.len());
    }
    Ok(lambdas)
}

/// The state dict entry of functions: `null` for each, as PyTorch saves no plain function.
fn lambdas_entry(n: usize) -> Value {
    Value::Array(vec![Value::Null; n])
}

/// Sets each group's learning rate to its base learning rate times `lr_lambda(epoch)`, as
/// `torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda)`. The functions are not saved in
/// the state dict (PyTorch saves only callable objects' attributes).
#[derive(Clone)]
pub struct LambdaLR {
    lr_lambdas: Vec<LrLambda>,
    common: Common,
}

impl fmt::Debug for LambdaLR {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LambdaLR").field("common", &self.common).finish_non_exhaustive()
    }
}

impl LambdaLR {
    /// The same function for every group; sets the learning rates to `base_lr * lr_lambda(0)`.
    #[track_caller]
    pub fn new(
        optimizer: &mut dyn Optimizer,
        lr_lambda: impl Fn(usize) -> f64 + Send + Sync + 'static,
    ) -> Result<LambdaLR> {
        let f: LrLambda = Arc::new(lr_lambda);
        let n = optimizer.learning_rates().len();
        LambdaLR::per_group(optimizer, vec![f; n])
    }
    /// One function per group (an error if their number is not the optimizer's groups').
    #[track_caller]
    pub fn per_group(optimizer: &mut dyn Optimizer, lr_lambdas: Vec<LrLambda>) -> Result<LambdaLR> {
        let lr_lambdas = lambdas_for("LambdaLR", optimizer, lr_lambdas)?;
        let mut s = LambdaLR { lr_lambdas, common: Common::new(optimizer) };
        s.initial_step(optimizer)?;
        Ok(s)
    }
}

impl Formula for LambdaLR {
    const NAME: &'static str = "LambdaLR";
    fn common(&self) -> &Common {
        &self.common
    }
    fn common_mut(&mut self) -> &mut Common {
        &mut self.common
    }
    #[track_caller]
    fn get_lr(&self, _initial: bool, _current: &[f64]) -> Result<Vec<f64>> {
        let e = self.common.epoch();
        Ok(self.lr_lambdas.iter().zip(&self.common.base_lrs).map(|(f, &b)| b * f(e)).collect())
    }
    fn save_options(&self, m: &mut SchedulerState) {
        m.insert("lr_lambdas".into(), lambdas_entry(self.lr_lambdas.len()));
    }
    #[track_caller]
    fn load_options(&mut self, _s: &SchedulerState) -> Result<()> {
        Ok(())
    }
}
chainable!(LambdaLR);

/// Multiplies each group's learning rate by `lr_lambda(epoch)` every epoch, as
/// `torch.optim.lr_scheduler.MultiplicativeLR(optimizer, lr_lambda)`. The functions are not
/// saved in the state dict.
#[derive(Clone)]
pub struct MultiplicativeLR {
    lr_lambdas: Vec<LrLambda>,
    common: Common,
}

impl fmt::Debug for MultiplicativeLR {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MultiplicativeLR").field("common", &self.common).finish_non_exhaustive()
    }
}

impl MultiplicativeLR {
    /// The same function for every group.
    #[track_caller]
    pub fn new(
        optimizer: &mut dyn Optimizer,
        lr_lambda: impl Fn(usize) -> f64 + Send + Sync + 'static,
    ) -> Result<MultiplicativeLR> {
        let f: LrLambda = Arc::new(lr_lambda);
        let n = optimizer.learning_rates().len();
        MultiplicativeLR::per_group(optimizer, vec![f; n])
    }
    /// One function per group (an error if their number is not the optimizer's groups').
    #[track_caller]
    pub fn per_group(optimizer: &mut dyn Optimizer, lr_lambdas: Vec<LrLambda>) -> Result<MultiplicativeLR> {
        let lr_lambdas = lambdas_for("MultiplicativeLR", optimizer, lr_lambdas)?;
        let mut s = MultiplicativeLR { lr_lambdas, common: Common::new(optimizer) };
        s.initial_step(optimizer)?;
        Ok(s)
    }
}

impl Formula for MultiplicativeLR {
    const NAME: &'static str = "MultiplicativeLR";
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
        let e = self.common.epoch();
        Ok(self.lr_lambdas.iter().zip(current).map(|(f, &lr)| lr * f(e)).collect())
    }
    fn save_options(&self, m: &mut SchedulerState) {
        m.insert("lr_lambdas".into(), lambdas_entry(self.lr_lambdas.len()));
    }
    #[track_caller]
    fn load_options(&mut self, _s: &SchedulerState) -> Result<()> {
        Ok(())
    }
}
chainable!(MultiplicativeLR);
