//! Per-sample normalisations: `GroupNorm` (statistics over groups of channels and the spatial
//! dims) and `InstanceNorm2d` (over each channel's plane, with [`InstanceNormConfig`]:
//! PyTorch's `eps`, `momentum`, `affine=False`, `track_running_stats=False`), and their
//! functional forms. Both normalise with the fused `layer_norm` over a view of the input (one
//! recorded op with its own backward), then apply the per-channel affine transform.

use crate::{Entry, EntryMut, Module, Visit};
use tensor_autograd::{no_grad, Var};
use tensor_core::{bail, DType, Device, Result, Tensor};

/// `[1, C, 1, ...]` for a `rank`-d input with `c` channels: a per-channel vector's view.
fn channel_view(rank: usize, c: usize) -> Vec<isize> {
    let mut view = vec![1isize; rank];
    view[1] = c as isize;
    view
}

/// Checks that an affine parameter is a vector of the input's channels.
#[track_caller]
fn check_affine(op: &'static str, x: &Var, p: Option<&Var>, what: &str) -> Result<()> {
    if let Some(p) = p {
        if p.dim() != 1 || p.size()[0] != x.size()[1] {
            bail!(
                Shape,
                op,
                "Expected {what} to be a vector of size equal to the number of channels in input, but got {what} of shape {:?} and input of shape {:?}",
                p.shape(),
                x.shape()
            );
        }
    }
    Ok(())
}

/// `y * weight + bias`, each a per-channel vector (dim 1).
#[track_caller]
fn affine(y: Var, weight: Option<&Var>, bias: Option<&Var>) -> Result<Var> {
    let view = channel_view(y.dim(), y.size()[1]);
    let y = match weight {
        Some(w) => y.mul(&w.view(&view)?)?,
        None => y,
    };
    match bias {
        Some(b) => y.add(&b.view(&view)?),
        None => Ok(y),
    }
}

/// Group normalisation of `[N, C, *]` inputs, as `F.group_norm(x, num_groups, weight, bias,
/// eps)`: each sample's channels split into `num_groups` groups, each group normalised over its
/// channels and spatial positions (biased variance), then scaled and shifted per channel.
#[track_caller]
pub fn group_norm(x: &Var, num_groups: usize, weight: Option<&Var>, bias: Option<&Var>, eps: f64) -> Result<Var> {
    const OP: &str = "group_norm";
    if x.dim() < 2 {
        bail!(Shape, OP, "Expected at least 2 dimensions for input tensor but received {}", x.dim());
    }
    let (n, c) = (x.size()[0], x.size()[1]);
    if num_groups == 0 || !c.is_multiple_of(num_groups) {
        bail!(
            Shape,
            OP,
            "Expected number of channels in input to be divisible by num_groups, but got input of shape {:?} and num_groups={}",
            x.shape(),
            num_groups
        );
    }
    check_affine(OP, x, weight, "weight")?;
    check_affine(OP, x, bias, "bias")?;
    let per_group = x.size()[2..].iter().product::<usize>() * (c / num_groups);
    let shape: Vec<isize> = x.size().iter().map(|&d| d as isize).collect();
    let grouped = x.reshape(&[n as isize, num_groups as isize, per_group as isize])?;
    let y = grouped.layer_norm(&[per_group], None, None, eps)?.reshape(&shape)?;
    affine(y, weight, bias)
}

/// Instance normalisation of `[N, C, *]` inputs, as `F.instance_norm(x, running_mean,
/// running_var, weight, bias, use_input_stats, momentum, eps)`: each channel of each sample
/// normalised over its spatial positions. With `use_input_stats`, the statistics are the
/// input's and the running statistics (if given) move towards their mean over the batch by
/// `momentum` (the variance unbiased); without, the running statistics normalise.
#[allow(clippy::too_many_arguments)]
#[track_caller]
pub fn instance_norm(
    x: &Var,
    running: Option<(&Tensor, &Tensor)>,
    weight: Option<&Var>,
    bias: Option<&Var>,
    use_input_stats: bool,
    momentum: f64,
    eps: f64,
) -> Result<Var> {
    const OP: &str = "instance_norm";
    if x.dim() < 3 {
        bail!(Shape, OP, "Expected an input of at least 3 dimensions [N, C, *], but got input of size {:?}", x.shape());
    }
    check_affine(OP, x, weight, "weight")?;
    check_affine(OP, x, bias, "bias")?;
    let c = x.size()[1];
    if let Some((mean, var)) = running {
        if mean.size() != [c] || var.size() != [c] {
            bail!(
                Shape,
                OP,
                "Expected running_mean and running_var of size [{}] for input of size {:?}, but got {:?} and {:?}",
                c,
                x.shape(),
                mean.shape(),
                var.shape()
            );
        }
    }
    let spatial = &x.size()[2..];
    let count: usize = spatial.iter().product();
    let view = channel_view(x.dim(), c);
    let y = if use_input_stats {
        if count <= 1 {
            bail!(Value, OP, "Expected more than 1 spatial element when training, got input size {:?}", x.shape());
        }
        if let Some((mean, var)) = running {
            update_running(x, mean, var, momentum)?;
        }
        x.layer_norm(spatial, None, None, eps)?
    } else {
        let Some((mean, var)) = running else {
            bail!(Value, OP, "Expected running_mean and running_var to be defined when use_input_stats is false");
        };
        let (mean, var) = (Var::constant(mean.view(&view)?), Var::constant(var.view(&view)?));
        x.sub(&mean)?.div(&var.add(eps)?.sqrt()?)?
    };
    affine(y, weight, bias)
}

/// `running = (1 - m) running + m statistic`, the statistic averaged over the batch, in place.
#[track_caller]
fn update_running(x: &Var, mean: &Tensor, var: &Tensor, momentum: f64) -> Result<()> {
    let _g = no_grad();
    let t = x.tensor_ref();
    let dims: Vec<isize> = (2..x.dim() as isize).collect();
    let batch_mean = t.mean_dim(&dims, false)?.mean_dim(&[0], false)?;
    let unbiased = t.var(&dims, 1, false)?.mean_dim(&[0], false)?;
    for (running, batch) in [(mean, batch_mean), (var, unbiased)] {
        let mut r = running.shallow_clone();
        r.copy_(&r.mul(1.0 - momentum)?.add(&batch.to_dtype(r.dtype())?.mul(momentum)?)?)?;
    }
    Ok(())
}

/// Group normalisation, as `nn.GroupNorm(num_groups, num_channels, eps=1e-5, affine=True)`.
#[derive(Debug, Clone)]
pub struct GroupNorm {
    /// Scale per channel (ones), if `affine`.
    pub weight: Option<Var>,
    /// Shift per channel (zeros), if `affine`.
    pub bias: Option<Var>,
    num_groups: usize,
    eps: f64,
}

impl GroupNorm {
    /// With PyTorch's defaults: eps 1e-5, affine.
    #[track_caller]
    pub fn new(num_groups: usize, num_channels: usize, device: &Device) -> Result<GroupNorm> {
        Self::with_options(num_groups, num_channels, 1e-5, true, device)
    }
    /// With every option of PyTorch's constructor.
    #[track_caller]
    pub fn with_options(
        num_groups: usize,
        num_channels: usize,
        eps: f64,
        affine: bool,
        device: &Device,
    ) -> Result<GroupNorm> {
        if num_groups == 0 || !num_channels.is_multiple_of(num_groups) {
            bail!(Value, "GroupNorm", "num_channels ({num_channels}) must be divisible by num_groups ({num_groups})");
        }
        let (weight, bias) = affine_params(affine, num_channels, device)?;
        Ok(GroupNorm { weight, bias, num_groups, eps })
    }
}

/// A learnable `weight` (ones) and `bias` (zeros) of `n` channels, or neither.
#[track_caller]
fn affine_params(affine: bool, n: usize, device: &Device) -> Result<(Option<Var>, Option<Var>)> {
    if !affine {
        return Ok((None, None));
    }
    Ok((
        Some(Var::parameter(Tensor::ones([n], DType::F32, device)?)),
        Some(Var::parameter(Tensor::zeros([n], DType::F32, device)?)),
    ))
}

impl Visit for GroupNorm {
    fn visit(&self, f: &mut dyn FnMut(&str, Entry<'_>)) {
        if let Some(w) = &self.weight {
            f("weight", Entry::Param(w));
        }
        if let Some(b) = &self.bias {
            f("bias", Entry::Param(b));
        }
    }
    fn visit_mut(&mut self, f: &mut dyn FnMut(&str, EntryMut<'_>)) {
        if let Some(w) = &mut self.weight {
            f("weight", EntryMut::Param(w));
        }
        if let Some(b) = &mut self.bias {
            f("bias", EntryMut::Param(b));
        }
    }
}

impl Module for GroupNorm {
    #[track_caller]
    fn forward(&self, x: &Var) -> Result<Var> {
        group_norm(x, self.num_groups, self.weight.as_ref(), self.bias.as_ref(), self.eps)
    }
}

/// The keyword arguments of `nn.InstanceNorm2d`, with PyTorch's defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InstanceNormConfig {
    /// Added to the variance (1e-5).
    pub eps: f64,
    /// Weight of the new batch in the running statistics (0.1); `None` is PyTorch's
    /// `momentum=None`, which for instance norm leaves the running statistics as they are.
    pub momentum: Option<f64>,
    /// Whether the layer has a learnable `weight` (ones) and `bias` (zeros); false.
    pub affine: bool,
    /// Whether the layer keeps `running_mean`, `running_var` (and PyTorch's
    /// `num_batches_tracked`, which instance norm never advances) and normalises with them in
    /// eval mode; false.
    pub track_running_stats: bool,
}

impl Default for InstanceNormConfig {
    fn default() -> Self {
        InstanceNormConfig { eps: 1e-5, momentum: Some(0.1), affine: false, track_running_stats: false }
    }
}

/// Instance normalisation of `[N, C, H, W]` (or unbatched `[C, H, W]`) inputs, as
/// `nn.InstanceNorm2d(num_features, eps=1e-5, momentum=0.1, affine=False,
/// track_running_stats=False)`.
#[derive(Debug, Clone)]
pub struct InstanceNorm2d {
    /// Scale per channel (ones), if `affine`.
    pub weight: Option<Var>,
    /// Shift per channel (zeros), if `affine`.
    pub bias: Option<Var>,
    /// `running_mean`, `running_var`, `num_batches_tracked`, if `track_running_stats`.
    stats: Option<[Tensor; 3]>,
    num_features: usize,
    config: InstanceNormConfig,
    training: bool,
}

impl InstanceNorm2d {
    /// With PyTorch's defaults: no affine transform, no running statistics.
    #[track_caller]
    pub fn new(num_features: usize, device: &Device) -> Result<InstanceNorm2d> {
        Self::with_config(num_features, InstanceNormConfig::default(), device)
    }
    /// With every option of PyTorch's constructor.
    #[track_caller]
    pub fn with_config(num_features: usize, config: InstanceNormConfig, device: &Device) -> Result<InstanceNorm2d> {
        let (weight, bias) = affine_params(config.affine, num_features, device)?;
        let stats = if config.track_running_stats {
            Some([
                Tensor::zeros([num_features], DType::F32, device)?,
                Tensor::ones([num_features], DType::F32, device)?,
                Tensor::zeros([], DType::I64, device)?,
            ])
        } else {
            None
        };
        Ok(InstanceNorm2d { weight, bias, stats, num_features, config, training: true })
    }
    /// The running mean (`None` without `track_running_stats`).
    pub fn running_mean(&self) -> Option<&Tensor> {
        self.stats.as_ref().map(|s| &s[0])
    }
    /// The running (unbiased) variance (`None` without `track_running_stats`).
    pub fn running_var(&self) -> Option<&Tensor> {
        self.stats.as_ref().map(|s| &s[1])
    }
}

const STAT_NAMES: [&str; 3] = ["running_mean", "running_var", "num_batches_tracked"];

impl Visit for InstanceNorm2d {
    fn visit(&self, f: &mut dyn FnMut(&str, Entry<'_>)) {
        if let Some(w) = &self.weight {
            f("weight", Entry::Param(w));
        }
        if let Some(b) = &self.bias {
            f("bias", Entry::Param(b));
        }
        for (name, t) in STAT_NAMES.iter().zip(self.stats.iter().flatten()) {
            f(name, Entry::Buffer(t));
        }
    }
    fn visit_mut(&mut self, f: &mut dyn FnMut(&str, EntryMut<'_>)) {
        if let Some(w) = &mut self.weight {
            f("weight", EntryMut::Param(w));
        }
        if let Some(b) = &mut self.bias {
            f("bias", EntryMut::Param(b));
        }
        for (name, t) in STAT_NAMES.iter().zip(self.stats.iter_mut().flatten()) {
            f(name, EntryMut::Buffer(t));
        }
    }
    fn set_training(&mut self, training: bool) {
        self.training = training;
    }
    fn training(&self) -> Option<bool> {
        Some(self.training)
    }
}

impl Module for InstanceNorm2d {
    #[track_caller]
    fn forward(&self, x: &Var) -> Result<Var> {
        const OP: &str = "InstanceNorm2d";
        if x.dim() != 3 && x.dim() != 4 {
            bail!(Shape, OP, "expected 3D or 4D input (got {}D input)", x.dim());
        }
        let feature_dim = x.dim() - 3;
        // As PyTorch, a channel count other than num_features is only an error where the
        // layer's per-channel tensors must match it.
        let c = x.size()[feature_dim];
        if c != self.num_features && (self.config.affine || self.stats.is_some()) {
            bail!(
                Shape,
                OP,
                "expected input's size at dim={feature_dim} to match num_features ({}), but got: {c}.",
                self.num_features
            );
        }
        let batched = if x.dim() == 3 { x.unsqueeze(0)? } else { x.clone() };
        let running = self.stats.as_ref().map(|s| (&s[0], &s[1]));
        let use_input_stats = self.training || self.stats.is_none();
        let momentum = self.config.momentum.unwrap_or(0.0);
        let y = instance_norm(
            &batched,
            running,
            self.weight.as_ref(),
            self.bias.as_ref(),
            use_input_stats,
            momentum,
            self.config.eps,
        )?;
        if x.dim() == 3 {
            y.squeeze_dim(0)
        } else {
            Ok(y)
        }
    }
}
