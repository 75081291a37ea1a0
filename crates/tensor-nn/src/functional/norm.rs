//! Normalisation and distances, as `F.batch_norm`, `F.layer_norm`, `F.rms_norm`,
//! `F.normalize`, `F.cosine_similarity` and `F.pairwise_distance` (`group_norm` and
//! `instance_norm` live with their layers and are re-exported beside these).

use tensor_autograd::{no_grad, Var};
use tensor_core::{bail, Norm, Result, Tensor};

/// The keyword arguments of [`batch_norm`], with PyTorch's defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BatchNormOptions {
    /// Normalise with the batch's statistics (and update the running ones, if given) rather
    /// than the running statistics (false).
    pub training: bool,
    /// Weight of the batch in the running statistics (0.1).
    pub momentum: f64,
    /// Added to the variance (1e-5).
    pub eps: f64,
}

impl Default for BatchNormOptions {
    fn default() -> Self {
        BatchNormOptions { training: false, momentum: 0.1, eps: 1e-5 }
    }
}

/// `[1, C, 1, ...]` for an input of `rank` dims.
fn channel_view(rank: usize, c: usize) -> Vec<isize> {
    let mut view = vec![1isize; rank];
    view[1] = c as isize;
    view
}

/// Batch normalisation of `[N, C, *]` over every dim but the channels, as
/// `F.batch_norm(x, running_mean, running_var, weight, bias, training, momentum, eps)`. In
/// training the batch statistics normalise (one recorded op) and `running` (if given) moves
/// towards them in place by `momentum` (the variance unbiased); otherwise `running` normalises
/// and must be given.
#[track_caller]
pub fn batch_norm(
    x: &Var,
    running: Option<(&Tensor, &Tensor)>,
    weight: Option<&Var>,
    bias: Option<&Var>,
    opts: BatchNormOptions,
) -> Result<Var> {
    const OP: &str = "batch_norm";
    if x.dim() < 2 {
        bail!(Shape, OP, "expected an input of at least 2 dims [N, C, *], got {:?}", x.shape());
    }
    let c = x.size()[1];
    for (what, t) in [("weight", weight.map(Var::shape)), ("bias", bias.map(Var::shape))] {
        if let Some(s) = t.filter(|s| s.dims() != [c]) {
            bail!(Shape, OP, "expected {what} of shape [{c}] for input of shape {:?}, got {:?}", x.shape(), s);
        }
    }
    if let Some((m, v)) = running.filter(|(m, v)| m.size() != [c] || v.size() != [c]) {
        bail!(
            Shape,
            OP,
            "running_mean should contain {c} elements not {} (running_var {:?}, input {:?})",
            m.numel(),
            v.shape(),
            x.shape()
        );
    }
    let view = channel_view(x.dim(), c);
    if opts.training {
        let per_channel = x.numel() / c.max(1);
        if per_channel <= 1 {
            bail!(Value, OP, "Expected more than 1 value per channel when training, got input size {:?}", x.shape());
        }
        let (y, mean, var) = x.batch_norm_train(weight, bias, opts.eps)?;
        if let Some((rm, rv)) = running {
            let _g = no_grad();
            let n = per_channel as f64;
            let m = opts.momentum;
            let unbiased = var.reshape(&[-1])?.mul(n / (n - 1.0))?;
            for (r, batch) in [(rm, mean.reshape(&[-1])?), (rv, unbiased)] {
                let mut r = r.shallow_clone();
                r.copy_(&r.mul(1.0 - m)?.add(&batch.to_dtype(r.dtype())?.mul(m)?)?)?;
            }
        }
        return Ok(y);
    }
    let Some((rm, rv)) = running else {
        bail!(Value, OP, "running_mean and running_var must be defined in evaluation mode");
    };
    let (mean, var) = (Var::constant(rm.view(&view)?), Var::constant(rv.view(&view)?));
    let mut y = x.sub(&mean)?.div(&var.add(opts.eps)?.sqrt()?)?;
    if let Some(w) = weight {
        y = y.mul(&w.view(&view)?)?;
    }
    match bias {
        Some(b) => y.add(&b.view(&view)?),
        None => Ok(y),
    }
}

/// Layer norm over the trailing `normalized_shape` dims, as `F.layer_norm(x,
/// normalized_shape, weight, bias, eps)` (PyTorch's default eps is 1e-5; one recorded op).
#[track_caller]
pub fn layer_norm(
    x: &Var,
    normalized_shape: &[usize],
    weight: Option<&Var>,
    bias: Option<&Var>,
    eps: f64,
) -> Result<Var> {
    x.layer_norm(normalized_shape, weight, bias, eps)
}

/// Root-mean-square norm over the trailing `normalized_shape` dims, `x / sqrt(mean(x²) + eps)
/// · weight`, as `F.rms_norm(x, normalized_shape, weight, eps)`; `eps` `None` is the machine
/// epsilon of `x`'s dtype, as PyTorch.
#[track_caller]
pub fn rms_norm(x: &Var, normalized_shape: &[usize], weight: Option<&Var>, eps: Option<f64>) -> Result<Var> {
    const OP: &str = "rms_norm";
    let k = normalized_shape.len();
    if k == 0 || x.dim() < k || x.size()[x.dim() - k..] != *normalized_shape {
        bail!(Shape, OP, "expected input with trailing shape {:?}, got {:?}", normalized_shape, x.shape());
    }
    if let Some(w) = weight.filter(|w| w.size() != normalized_shape) {
        bail!(Shape, OP, "expected weight of shape {:?}, got {:?}", normalized_shape, w.shape());
    }
    let eps = eps.unwrap_or(match x.dtype() {
        tensor_core::DType::F64 => f64::EPSILON,
        tensor_core::DType::F16 => 0.0009765625,
        tensor_core::DType::BF16 => 0.0078125,
        _ => f32::EPSILON as f64,
    });
    let dims: Vec<isize> = (1..=k as isize).map(|i| -i).collect();
    let y = x.mul(&x.square()?.mean_dim(&dims, true)?.add(eps)?.rsqrt()?)?;
    match weight {
        Some(w) => y.mul(w),
        None => Ok(y),
    }
}

/// The keyword arguments of [`normalize`], with PyTorch's defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NormalizeOptions {
    /// The exponent of the norm (2).
    pub p: f64,
    /// The dim normalised over (1).
    pub dim: isize,
    /// The smallest norm divided by (1e-12).
    pub eps: f64,
}

impl Default for NormalizeOptions {
    fn default() -> Self {
        NormalizeOptions { p: 2.0, dim: 1, eps: 1e-12 }
    }
}

/// `x / max(‖x‖_p, eps)` along `dim`, as `F.normalize(x, p, dim, eps)`.
#[track_caller]
pub fn normalize(x: &Var, opts: NormalizeOptions) -> Result<Var> {
    let norm = x.norm(Norm::P(opts.p), &[opts.dim], true)?.clamp(Some(opts.eps), None)?;
    x.div(&norm)
}

/// The keyword arguments of [`cosine_similarity`], with PyTorch's defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CosineSimilarityOptions {
    /// The dim of the vectors (1).
    pub dim: isize,
    /// The smallest norm divided by (1e-8).
    pub eps: f64,
}

impl Default for CosineSimilarityOptions {
    fn default() -> Self {
        CosineSimilarityOptions { dim: 1, eps: 1e-8 }
    }
}

/// `Σ (x1 / max(‖x1‖, eps)) (x2 / max(‖x2‖, eps))` along `dim`, broadcasting, as
/// `F.cosine_similarity(x1, x2, dim, eps)` (PyTorch's formula since 1.12).
#[track_caller]
pub fn cosine_similarity(x1: &Var, x2: &Var, opts: CosineSimilarityOptions) -> Result<Var> {
    let shape = tensor_core::shape::broadcast_shapes("cosine_similarity", x1.shape(), x2.shape())?;
    let (a, b) = (x1.broadcast_to(&shape)?, x2.broadcast_to(&shape)?);
    let unit = |v: &Var| -> Result<Var> { v.div(&v.norm(Norm::L2, &[opts.dim], true)?.clamp(Some(opts.eps), None)?) };
    unit(&a)?.mul(&unit(&b)?)?.sum_dim(&[opts.dim], false)
}

/// The keyword arguments of [`pairwise_distance`], with PyTorch's defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PairwiseDistanceOptions {
    /// The exponent of the norm (2).
    pub p: f64,
    /// Added to the difference, against a zero norm (1e-6).
    pub eps: f64,
    /// Keep the reduced last dim as size 1 (false).
    pub keepdim: bool,
}

impl Default for PairwiseDistanceOptions {
    fn default() -> Self {
        PairwiseDistanceOptions { p: 2.0, eps: 1e-6, keepdim: false }
    }
}

/// `‖x1 - x2 + eps‖_p` over the last dim, broadcasting, as `F.pairwise_distance(x1, x2, p,
/// eps, keepdim)`.
#[track_caller]
pub fn pairwise_distance(x1: &Var, x2: &Var, opts: PairwiseDistanceOptions) -> Result<Var> {
    x1.sub(x2)?.add(opts.eps)?.norm(Norm::P(opts.p), &[-1], opts.keepdim)
}
