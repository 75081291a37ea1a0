//! Element-wise losses beside `loss.rs`'s: `smooth_l1_loss`, `huber_loss`, `kl_div`,
//! `soft_margin_loss`, `poisson_nll_loss`, `margin_ranking_loss`, composed from `Var` ops (so
//! they differentiate twice), with their module-like structs.

use super::{reduce, same_shape, Reduction};
use tensor_autograd::Var;
use tensor_core::{bail, Result};

/// `0.5 d² / beta` where `|d| < beta`, else `|d| - 0.5 beta`, with `d = input - target`, as
/// `F.smooth_l1_loss(input, target, reduction, beta)` (PyTorch's default beta is 1; beta 0 is
/// the L1 loss).
#[track_caller]
pub fn smooth_l1_loss(input: &Var, target: &Var, reduction: Reduction, beta: f64) -> Result<Var> {
    const OP: &str = "smooth_l1_loss";
    same_shape(OP, input, target)?;
    if beta < 0.0 {
        bail!(Value, OP, "smooth_l1_loss does not support negative values for beta (got {beta})");
    }
    let d = input.sub(target)?;
    let abs = d.abs()?;
    if beta == 0.0 {
        return reduce(abs, reduction);
    }
    let inside = abs.tensor_ref().lt(beta)?;
    let loss = d.square()?.mul(0.5 / beta)?.where_(&inside, &abs.sub(0.5 * beta)?)?;
    reduce(loss, reduction)
}

/// `0.5 d²` where `|d| < delta`, else `delta (|d| - 0.5 delta)`, as `F.huber_loss(input, target,
/// reduction, delta)` (PyTorch's default delta is 1).
#[track_caller]
pub fn huber_loss(input: &Var, target: &Var, reduction: Reduction, delta: f64) -> Result<Var> {
    const OP: &str = "huber_loss";
    same_shape(OP, input, target)?;
    if delta <= 0.0 {
        bail!(Value, OP, "huber_loss does not support non-positive values for delta (got {delta})");
    }
    let d = input.sub(target)?;
    let abs = d.abs()?;
    let inside = abs.tensor_ref().lt(delta)?;
    let loss = d.square()?.mul(0.5)?.where_(&inside, &abs.sub(0.5 * delta)?.mul(delta)?)?;
    reduce(loss, reduction)
}

/// How [`kl_div`] combines the per-element terms, as its `reduction=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KlDivReduction {
    /// Keep every element.
    None,
    /// The mean over every element (PyTorch's default, which it warns is not the KL
    /// divergence).
    #[default]
    Mean,
    /// The sum.
    Sum,
    /// The sum divided by the batch size (`input.size(0)`): the KL divergence per sample.
    BatchMean,
}

/// The keyword arguments of [`kl_div`], with PyTorch's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct KlDivOptions {
    /// How the terms combine (mean).
    pub reduction: KlDivReduction,
    /// Whether `target` holds log-probabilities (false).
    pub log_target: bool,
}

/// The Kullback–Leibler divergence of `target` from `input` (log-probabilities), element-wise
/// `target (log target - input)` (0 where `target` is 0), or `exp(target) (target - input)`
/// with `log_target`, as `F.kl_div(input, target, reduction, log_target)`.
#[track_caller]
pub fn kl_div(input: &Var, target: &Var, opts: KlDivOptions) -> Result<Var> {
    const OP: &str = "kl_div";
    let shape = tensor_core::shape::broadcast_shapes(OP, input.shape(), target.shape())?;
    let loss = if opts.log_target {
        target.exp()?.mul(&target.sub(input)?)?
    } else {
        // xlogy(t, t): the log of 1 where t is 0, so neither value nor gradient is NaN there.
        let positive = target.tensor_ref().gt(0.0)?;
        let safe = target.where_(&positive, 1.0)?;
        target.mul(&safe.log()?)?.sub(&target.mul(input)?)?
    };
    match opts.reduction {
        KlDivReduction::None => Ok(loss),
        KlDivReduction::Mean => loss.mean(),
        KlDivReduction::Sum => loss.sum(),
        KlDivReduction::BatchMean => {
            let batch = if shape.rank() == 0 { 1 } else { shape.dims()[0] };
            loss.sum()?.div(batch as f64)
        }
    }
}

/// `log(1 + exp(-target · input))` for targets ±1, as `F.soft_margin_loss(input, target,
/// reduction)`.
#[track_caller]
pub fn soft_margin_loss(input: &Var, target: &Var, reduction: Reduction) -> Result<Var> {
    same_shape("soft_margin_loss", input, target)?;
    let z = target.mul(input)?.neg()?;
    // log1p(exp(z)), stable: max(z, 0) + log1p(exp(-|z|)).
    let loss = z.clamp(Some(0.0), None)?.add(&z.abs()?.neg()?.exp()?.log1p()?)?;
    reduce(loss, reduction)
}

/// The keyword arguments of [`poisson_nll_loss`], with PyTorch's defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PoissonNllOptions {
    /// `input` is the log of the rate (true): the loss is `exp(input) - target · input`;
    /// otherwise `input - target · log(input + eps)`.
    pub log_input: bool,
    /// Add Stirling's approximation of `log(target!)` where `target > 1` (false).
    pub full: bool,
    /// Keeps the log finite without `log_input` (1e-8).
    pub eps: f64,
    /// How the terms combine (mean).
    pub reduction: Reduction,
}

impl Default for PoissonNllOptions {
    fn default() -> Self {
        PoissonNllOptions { log_input: true, full: false, eps: 1e-8, reduction: Reduction::Mean }
    }
}

/// The negative log-likelihood of `target` under a Poisson distribution of rate `input`, as
/// `F.poisson_nll_loss(input, target, log_input, full, eps=, reduction=)`.
#[track_caller]
pub fn poisson_nll_loss(input: &Var, target: &Var, opts: PoissonNllOptions) -> Result<Var> {
    let mut loss = if opts.log_input {
        input.exp()?.sub(&target.mul(input)?)?
    } else {
        input.sub(&target.mul(&input.add(opts.eps)?.log()?)?)?
    };
    if opts.full {
        // target log(target) - target + log(2π target) / 2, where target > 1.
        let t = target.tensor_ref();
        let big = t.gt(1.0)?;
        let safe = target.where_(&big, 1.0)?;
        let stirling = safe
            .mul(&safe.log()?)?
            .sub(&safe)?
            .add(&safe.mul(2.0 * std::f64::consts::PI)?.log()?.mul(0.5)?)?
            .where_(&big, 0.0)?;
        loss = loss.add(&stirling)?;
    }
    reduce(loss, opts.reduction)
}

/// `max(0, -target · (input1 - input2) + margin)` for targets ±1, as
/// `F.margin_ranking_loss(input1, input2, target, margin, reduction)` (PyTorch's default
/// margin is 0).
#[track_caller]
pub fn margin_ranking_loss(input1: &Var, input2: &Var, target: &Var, margin: f64, reduction: Reduction) -> Result<Var> {
    const OP: &str = "margin_ranking_loss";
    if input1.dim() != input2.dim() || input1.dim() != target.dim() {
        bail!(
            Shape,
            OP,
            "All input tensors should have same dimension but got sizes: input1: {:?}, input2: {:?}, target: {:?}",
            input1.shape(),
            input2.shape(),
            target.shape()
        );
    }
    let loss = target.neg()?.mul(&input1.sub(input2)?)?.add(margin)?.clamp(Some(0.0), None)?;
    reduce(loss, reduction)
}

/// `nn.SmoothL1Loss`.
#[derive(Debug, Clone, Copy)]
pub struct SmoothL1Loss {
    /// Reduction.
    pub reduction: Reduction,
    /// Where the loss turns from quadratic to linear (1).
    pub beta: f64,
}
impl Default for SmoothL1Loss {
    fn default() -> Self {
        SmoothL1Loss { reduction: Reduction::Mean, beta: 1.0 }
    }
}
impl SmoothL1Loss {
    /// The loss of `input` against `target`.
    #[track_caller]
    pub fn forward(&self, input: &Var, target: &Var) -> Result<Var> {
        smooth_l1_loss(input, target, self.reduction, self.beta)
    }
}

/// `nn.HuberLoss`.
#[derive(Debug, Clone, Copy)]
pub struct HuberLoss {
    /// Reduction.
    pub reduction: Reduction,
    /// Where the loss turns from quadratic to linear (1).
    pub delta: f64,
}
impl Default for HuberLoss {
    fn default() -> Self {
        HuberLoss { reduction: Reduction::Mean, delta: 1.0 }
    }
}
impl HuberLoss {
    /// The loss of `input` against `target`.
    #[track_caller]
    pub fn forward(&self, input: &Var, target: &Var) -> Result<Var> {
        huber_loss(input, target, self.reduction, self.delta)
    }
}

/// `nn.KLDivLoss`.
#[derive(Debug, Clone, Copy, Default)]
pub struct KLDivLoss {
    /// Reduction and `log_target`.
    pub options: KlDivOptions,
}
impl KLDivLoss {
    /// The divergence of `target` from `input` (log-probabilities).
    #[track_caller]
    pub fn forward(&self, input: &Var, target: &Var) -> Result<Var> {
        kl_div(input, target, self.options)
    }
}
