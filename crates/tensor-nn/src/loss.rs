//! Losses, as `torch.nn`'s, each a function (in [`crate::functional`]) and a module-like
//! struct holding its options. Every loss takes a [`Reduction`].

use tensor_autograd::Var;
use tensor_core::{bail, DType, Result, Tensor};

mod elementwise;
pub use elementwise::{
    huber_loss, kl_div, margin_ranking_loss, poisson_nll_loss, smooth_l1_loss, soft_margin_loss, HuberLoss, KLDivLoss,
    KlDivOptions, KlDivReduction, PoissonNllOptions, SmoothL1Loss,
};

/// How per-element losses are combined, as `reduction=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Reduction {
    /// Keep every element's loss.
    None,
    /// The mean (the default).
    #[default]
    Mean,
    /// The sum.
    Sum,
}

#[track_caller]
fn reduce(loss: Var, reduction: Reduction) -> Result<Var> {
    match reduction {
        Reduction::None => Ok(loss),
        Reduction::Mean => loss.mean(),
        Reduction::Sum => loss.sum(),
    }
}

#[track_caller]
fn same_shape(op: &'static str, input: &Var, target: &Var) -> Result<()> {
    if input.shape() != target.shape() {
        bail!(Shape, op, "target size {:?} must be the same as input size {:?}", target.shape(), input.shape());
    }
    Ok(())
}

/// Mean squared error, as `F.mse_loss`. Reduced, it is one recorded op (`MseLossBackward0`)
/// whose backward is one pass, `2 (x - y) g / n`, as PyTorch's `mse_loss_backward`; composed
/// from differentiable ops without reduction, or when the backward is itself recorded.
#[track_caller]
pub fn mse_loss(input: &Var, target: &Var, reduction: Reduction) -> Result<Var> {
    same_shape("mse_loss", input, target)?;
    if reduction == Reduction::None {
        return reduce(input.sub(target)?.square()?, reduction);
    }
    let diff = input.tensor_ref().sub(target.tensor_ref())?;
    // The sum of squares as one read of `diff` (a dot product), not squares then their sum.
    let flat = diff.reshape(&[-1])?;
    let sum_sq = flat.dot(&flat)?;
    let (value, scale) = match reduction {
        Reduction::Mean => (sum_sq.div(diff.numel() as f64)?, 2.0 / diff.numel().max(1) as f64),
        _ => (sum_sq, 2.0),
    };
    let saved = vec![tensor_autograd::Saved::Var(input.clone()), tensor_autograd::Saved::Var(target.clone())];
    Ok(Var::record(value, "MseLossBackward0", &[input, target], saved, move |ctx| {
        let g = ctx.grad();
        if tensor_autograd::is_grad_enabled() {
            // Recorded: from differentiable ops, for double backward.
            let gd = ctx.saved(0).sub(ctx.saved(1))?.mul(&g.mul(scale)?)?;
            let neg = if ctx.needs(1) { Some(gd.neg()?) } else { None };
            return Ok(vec![ctx.needs(0).then_some(gd), neg]);
        }
        let gd = diff.mul(&g.tensor_ref().mul(scale)?)?;
        let neg = if ctx.needs(1) { Some(Var::constant(gd.neg()?)) } else { None };
        Ok(vec![ctx.needs(0).then(|| Var::constant(gd)), neg])
    }))
}

/// Mean absolute error, as `F.l1_loss`.
#[track_caller]
pub fn l1_loss(input: &Var, target: &Var, reduction: Reduction) -> Result<Var> {
    same_shape("l1_loss", input, target)?;
    reduce(input.sub(target)?.abs()?, reduction)
}

/// Binary cross-entropy on probabilities, as `F.binary_cross_entropy` (logs clamped at -100).
#[track_caller]
pub fn binary_cross_entropy(input: &Var, target: &Var, weight: Option<&Tensor>, reduction: Reduction) -> Result<Var> {
    same_shape("binary_cross_entropy", input, target)?;
    let t = input.tensor_ref();
    if t.lt(0.0)?.logical_or(&t.gt(1.0)?)?.any()?.item::<bool>()? {
        bail!(Value, "binary_cross_entropy", "all elements of input should be between 0 and 1");
    }
    let log_p = input.log()?.clamp(Some(-100.0), None)?;
    let log_q = input.neg()?.add(1.0)?.log()?.clamp(Some(-100.0), None)?;
    let mut loss = target.mul(&log_p)?.add(&target.neg()?.add(1.0)?.mul(&log_q)?)?.neg()?;
    if let Some(w) = weight {
        loss = loss.mul(w)?;
    }
    reduce(loss, reduction)
}

/// Binary cross-entropy on logits, stable, as `F.binary_cross_entropy_with_logits`.
#[track_caller]
pub fn binary_cross_entropy_with_logits(
    input: &Var,
    target: &Var,
    weight: Option<&Tensor>,
    pos_weight: Option<&Tensor>,
    reduction: Reduction,
) -> Result<Var> {
    same_shape("binary_cross_entropy_with_logits", input, target)?;
    // loss = (1 - t) x + l * softplus(-x), with l = 1 + (pos_weight - 1) t
    let softplus_neg = input.neg()?.softplus(1.0, 20.0)?;
    let l = match pos_weight {
        Some(pw) => target.mul(&pw.sub(1.0)?)?.add(1.0)?,
        None => Var::constant(Tensor::ones([], input.dtype(), input.device())?),
    };
    let mut loss = target.neg()?.add(1.0)?.mul(input)?.add(&l.mul(&softplus_neg)?)?;
    if let Some(w) = weight {
        loss = loss.mul(w)?;
    }
    reduce(loss, reduction)
}

/// Options of [`cross_entropy`] and [`nll_loss`], with PyTorch's defaults.
#[derive(Debug, Clone)]
pub struct ClassLossOptions {
    /// A weight per class.
    pub weight: Option<Tensor>,
    /// A target value that is ignored (contributes neither loss nor count); PyTorch's default
    /// `ignore_index=-100` is `Some(-100)`, and `None` ignores nothing.
    pub ignore_index: Option<i64>,
    /// Mixes the target with the uniform distribution by this amount (cross-entropy only; at
    /// most 1, and a value not above 0 means none, as PyTorch).
    pub label_smoothing: f64,
    /// How the per-sample losses combine.
    pub reduction: Reduction,
}

impl Default for ClassLossOptions {
    /// No class weights, `ignore_index=-100`, no label smoothing, mean reduction.
    fn default() -> Self {
        ClassLossOptions { weight: None, ignore_index: Some(-100), label_smoothing: 0.0, reduction: Reduction::Mean }
    }
}

/// Negative log-likelihood of class indices given log-probabilities `[N, C]` (or `[N, C, d...]`),
/// as `F.nll_loss`.
#[track_caller]
pub fn nll_loss(log_probs: &Var, target: &Tensor, opts: &ClassLossOptions) -> Result<Var> {
    class_loss("nll_loss", log_probs, target, opts, 0.0)
}

/// Cross-entropy of logits `[N, C]` (or `[N, C, d...]`, or one sample `[C]`), as
/// `F.cross_entropy`: against class indices (an integer target without the class dim), with
/// class weights, `ignore_index` and label smoothing; or, as PyTorch when the target has the
/// logits' shape, against class probabilities (see [`cross_entropy_probs`]).
#[track_caller]
pub fn cross_entropy(logits: &Var, target: &Tensor, opts: &ClassLossOptions) -> Result<Var> {
    if logits.dim() < 1 {
        bail!(Shape, "cross_entropy", "expected logits with a class dim, got shape {:?}", logits.shape());
    }
    if target.shape() == logits.shape() {
        return cross_entropy_probs(logits, &Var::constant(target.shallow_clone()), opts);
    }
    check_label_smoothing(opts.label_smoothing)?;
    let class_dim = if logits.dim() == 1 { 0 } else { 1 };
    class_loss("cross_entropy", &logits.log_softmax(class_dim)?, target, opts, opts.label_smoothing)
}

/// Cross-entropy of logits against class probabilities of the same shape (`[N, C]`,
/// `[N, C, d...]` or `[C]`), as `F.cross_entropy` with a float target:
/// `-Σ_c weight[c] · target[c] · log_softmax(logits)[c]` per sample, where label smoothing
/// first mixes the target as `target · (1 - ε) + ε / C`. The mean divides by the number of
/// samples (not by the weights). `ignore_index` must be `None` or negative (PyTorch's default
/// -100), as PyTorch. Gradients flow to both the logits and the target.
#[track_caller]
pub fn cross_entropy_probs(logits: &Var, target: &Var, opts: &ClassLossOptions) -> Result<Var> {
    const OP: &str = "cross_entropy";
    if logits.dim() < 1 {
        bail!(Shape, OP, "expected logits with a class dim, got shape {:?}", logits.shape());
    }
    if target.shape() != logits.shape() {
        bail!(
            Shape,
            OP,
            "class-probability target of shape {:?} must have the logits' shape {:?}",
            target.shape(),
            logits.shape()
        );
    }
    if !target.dtype().is_float() {
        bail!(DType, OP, "Expected floating point type for target with class probabilities, got {}", target.dtype());
    }
    if let Some(i) = opts.ignore_index.filter(|&i| i >= 0) {
        bail!(Value, OP, "ignore_index is not supported for floating point target (got ignore_index={i})");
    }
    check_label_smoothing(opts.label_smoothing)?;
    let class_dim = if logits.dim() == 1 { 0 } else { 1 };
    let c = logits.size()[class_dim];
    let lp = logits.log_softmax(class_dim as isize)?;
    let target = if opts.label_smoothing > 0.0 {
        target.mul(1.0 - opts.label_smoothing)?.add(opts.label_smoothing / c as f64)?
    } else {
        target.clone()
    };
    let mut prod = lp.mul(&target)?;
    if let Some(w) = &opts.weight {
        if w.dim() != 1 || w.numel() != c {
            bail!(Shape, OP, "weight tensor should be defined either for all {} classes or no classes but got weight tensor of shape {:?}", c, w.shape());
        }
        let mut view = vec![1isize; lp.dim()];
        view[class_dim] = c as isize;
        prod = prod.mul(&w.to_dtype(lp.dtype())?.view(&view)?)?;
    }
    match opts.reduction {
        Reduction::None => prod.sum_dim(&[class_dim as isize], false)?.neg(),
        Reduction::Sum => prod.sum()?.neg(),
        // An empty input gives NaN (0 / 0), as PyTorch.
        Reduction::Mean => {
            let samples = lp.numel().checked_div(c).unwrap_or(0);
            prod.sum()?.neg()?.div(samples as f64)
        }
    }
}

#[track_caller]
fn check_label_smoothing(label_smoothing: f64) -> Result<()> {
    if label_smoothing > 1.0 {
        bail!(Value, "cross_entropy", "label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}");
    }
    Ok(())
}

#[track_caller]
fn class_loss(
    op: &'static str,
    log_probs: &Var,
    target: &Tensor,
    opts: &ClassLossOptions,
    smoothing: f64,
) -> Result<Var> {
    // Treat a single sample [C] as a batch of one.
    let (lp, target) = if log_probs.dim() == 1 {
        (log_probs.unsqueeze(0)?, target.unsqueeze(0)?)
    } else {
        (log_probs.clone(), target.shallow_clone())
    };
    if target.dtype().is_float() || target.dtype() == DType::Bool {
        bail!(DType, op, "expected class indices of an integer dtype as target, got {}", target.dtype());
    }
    let c = lp.size()[1];
    let mut expected: Vec<usize> = vec![lp.size()[0]];
    expected.extend_from_slice(&lp.size()[2..]);
    if target.size() != expected.as_slice() {
        bail!(
            Shape,
            op,
            "expected target of shape {:?} for input of shape {:?}, got {:?}",
            expected,
            lp.shape(),
            target.shape()
        );
    }
    let target = target.to_dtype(DType::I64)?;
    let ignored = match opts.ignore_index {
        Some(i) => target.eq(i)?,
        None => target.ne(&target)?,
    };
    let safe_target = target.masked_fill(&ignored, 0)?;
    let bad = safe_target.lt(0)?.logical_or(&safe_target.ge(c as i64)?)?;
    if bad.any()?.item::<bool>()? {
        bail!(Index, op, "target out of bounds: class indices must be in [0, {}) (or the ignore_index)", c);
    }
    let keep = ignored.logical_not()?.to_dtype(lp.dtype())?;
    // Per-sample weight of the target class (1 without class weights), zero where ignored.
    let w_target = match &opts.weight {
        Some(w) => {
            if w.dim() != 1 || w.numel() != c {
                bail!(Shape, op, "weight tensor should be defined either for all {} classes or no classes but got weight tensor of shape {:?}", c, w.shape());
            }
            w.to_dtype(lp.dtype())?
                .index_select(0, &safe_target.reshape(&[-1])?)?
                .reshape_to(safe_target.shape().clone())?
                .mul(&keep)?
        }
        None => keep.shallow_clone(),
    };
    let picked = lp.gather(1, &safe_target.unsqueeze(1)?)?.squeeze_dim(1)?;
    let mut loss = picked.mul(&w_target)?.neg()?;
    if smoothing > 0.0 {
        let class_w = match &opts.weight {
            Some(w) => {
                let mut view = vec![1isize; lp.dim()];
                view[1] = c as isize;
                lp.mul(&w.to_dtype(lp.dtype())?.view(&view)?)?
            }
            None => lp.clone(),
        };
        let smooth = class_w.sum_dim(&[1], false)?.neg()?.mul(&keep)?.div(c as f64)?;
        loss = loss.mul(1.0 - smoothing)?.add(&smooth.mul(smoothing)?)?;
    }
    match opts.reduction {
        // A single sample [C] gives a 0-d loss, as PyTorch.
        Reduction::None if log_probs.dim() == 1 => loss.squeeze_dim(0),
        Reduction::None => Ok(loss),
        Reduction::Sum => loss.sum(),
        Reduction::Mean => loss.sum()?.div(&Var::constant(w_target.sum()?)),
    }
}

/// `nn.MSELoss`.
#[derive(Debug, Clone, Copy, Default)]
pub struct MSELoss {
    /// Reduction.
    pub reduction: Reduction,
}
impl MSELoss {
    /// The loss of `input` against `target`.
    #[track_caller]
    pub fn forward(&self, input: &Var, target: &Var) -> Result<Var> {
        mse_loss(input, target, self.reduction)
    }
}

/// `nn.L1Loss`.
#[derive(Debug, Clone, Copy, Default)]
pub struct L1Loss {
    /// Reduction.
    pub reduction: Reduction,
}
impl L1Loss {
    /// The loss of `input` against `target`.
    #[track_caller]
    pub fn forward(&self, input: &Var, target: &Var) -> Result<Var> {
        l1_loss(input, target, self.reduction)
    }
}

/// `nn.CrossEntropyLoss`.
#[derive(Debug, Clone, Default)]
pub struct CrossEntropyLoss {
    /// Options (weight, ignore_index, label_smoothing, reduction).
    pub options: ClassLossOptions,
}
impl CrossEntropyLoss {
    /// The loss of `logits` against class indices, or against class probabilities when
    /// `target` has the logits' shape.
    #[track_caller]
    pub fn forward(&self, logits: &Var, target: &Tensor) -> Result<Var> {
        cross_entropy(logits, target, &self.options)
    }
    /// The loss of `logits` against class probabilities that may require grad.
    #[track_caller]
    pub fn forward_probs(&self, logits: &Var, target: &Var) -> Result<Var> {
        cross_entropy_probs(logits, target, &self.options)
    }
}

/// `nn.NLLLoss`.
#[derive(Debug, Clone, Default)]
pub struct NLLLoss {
    /// Options (weight, ignore_index, reduction).
    pub options: ClassLossOptions,
}
impl NLLLoss {
    /// The loss of log-probabilities against class indices.
    #[track_caller]
    pub fn forward(&self, log_probs: &Var, target: &Tensor) -> Result<Var> {
        nll_loss(log_probs, target, &self.options)
    }
}

/// `nn.BCELoss`.
#[derive(Debug, Clone, Default)]
pub struct BCELoss {
    /// Per-element weight.
    pub weight: Option<Tensor>,
    /// Reduction.
    pub reduction: Reduction,
}
impl BCELoss {
    /// The loss of probabilities against targets in [0, 1].
    #[track_caller]
    pub fn forward(&self, input: &Var, target: &Var) -> Result<Var> {
        binary_cross_entropy(input, target, self.weight.as_ref(), self.reduction)
    }
}

/// `nn.BCEWithLogitsLoss`.
#[derive(Debug, Clone, Default)]
pub struct BCEWithLogitsLoss {
    /// Per-element weight.
    pub weight: Option<Tensor>,
    /// Weight of positive examples, per class.
    pub pos_weight: Option<Tensor>,
    /// Reduction.
    pub reduction: Reduction,
}
impl BCEWithLogitsLoss {
    /// The loss of logits against targets in [0, 1].
    #[track_caller]
    pub fn forward(&self, input: &Var, target: &Var) -> Result<Var> {
        binary_cross_entropy_with_logits(input, target, self.weight.as_ref(), self.pos_weight.as_ref(), self.reduction)
    }
}
