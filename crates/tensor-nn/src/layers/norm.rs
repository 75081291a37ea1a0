//! Normalisation layers: `BatchNorm1d`/`BatchNorm2d` (batch statistics in training, running
//! statistics in eval; [`BatchNormConfig`] holds PyTorch's `eps`, `momentum` (`None` for a
//! cumulative average), `affine` and `track_running_stats`) and `LayerNorm` (with
//! [`LayerNormConfig`]: `eps`, `elementwise_affine`, `bias`).

use crate::{Entry, EntryMut, Module, Visit};
use tensor_autograd::{no_grad, Var};
use tensor_core::{bail, DType, Device, Result, Tensor};

/// The keyword arguments of `nn.BatchNorm1d` / `nn.BatchNorm2d`, with PyTorch's defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BatchNormConfig {
    /// Added to the variance (1e-5).
    pub eps: f64,
    /// Weight of the new batch in the running statistics (0.1); `None` is PyTorch's
    /// `momentum=None`: a cumulative average, the n-th batch weighted `1 / n`.
    pub momentum: Option<f64>,
    /// Whether the layer has a learnable `weight` (ones) and `bias` (zeros).
    pub affine: bool,
    /// Whether the layer keeps `running_mean`, `running_var` and `num_batches_tracked`
    /// buffers; without them it normalises with the batch statistics in eval mode too.
    pub track_running_stats: bool,
}

impl Default for BatchNormConfig {
    fn default() -> Self {
        BatchNormConfig { eps: 1e-5, momentum: Some(0.1), affine: true, track_running_stats: true }
    }
}

/// The running statistics of a batch-norm layer (`track_running_stats=True`).
#[derive(Debug, Clone)]
struct RunningStats {
    mean: Tensor,
    var: Tensor,
    num_batches_tracked: Tensor,
}

/// Batch normalisation over the channel dim (dim 1), shared by the 1-d and 2-d layers.
#[derive(Debug, Clone)]
struct BatchNorm {
    weight: Option<Var>,
    bias: Option<Var>,
    stats: Option<RunningStats>,
    num_features: usize,
    eps: f64,
    momentum: Option<f64>,
    training: bool,
    ranks: &'static [usize],
    name: &'static str,
}

impl BatchNorm {
    #[track_caller]
    fn new(
        num_features: usize,
        config: BatchNormConfig,
        ranks: &'static [usize],
        name: &'static str,
        device: &Device,
    ) -> Result<Self> {
        let (weight, bias) = if config.affine {
            (
                Some(Var::parameter(Tensor::ones([num_features], DType::F32, device)?)),
                Some(Var::parameter(Tensor::zeros([num_features], DType::F32, device)?)),
            )
        } else {
            (None, None)
        };
        let stats = if config.track_running_stats {
            Some(RunningStats {
                mean: Tensor::zeros([num_features], DType::F32, device)?,
                var: Tensor::ones([num_features], DType::F32, device)?,
                num_batches_tracked: Tensor::zeros([], DType::I64, device)?,
            })
        } else {
            None
        };
        Ok(BatchNorm {
            weight,
            bias,
            stats,
            num_features,
            eps: config.eps,
            momentum: config.momentum,
            training: true,
            ranks,
            name,
        })
    }

    #[track_caller]
    fn forward(&self, x: &Var) -> Result<Var> {
        if !self.ranks.contains(&x.dim()) || x.size()[1] != self.num_features {
            bail!(
                Shape,
                self.name,
                "expected {:?}-d input with {} channels, got shape {:?}",
                self.ranks,
                self.num_features,
                x.shape()
            );
        }
        let c = x.size()[1] as isize;
        let mut view = vec![1isize; x.dim()];
        view[1] = c;
        // As PyTorch: batch statistics in training, and in eval too without running statistics
        // (one fused op); the running statistics otherwise.
        if self.training || self.stats.is_none() {
            let per_channel = x.numel() / self.num_features.max(1);
            if per_channel <= 1 {
                bail!(
                    Value,
                    self.name,
                    "Expected more than 1 value per channel when training, got input size {:?}",
                    x.shape()
                );
            }
            let (y, mean, var) = x.batch_norm_train(self.weight.as_ref(), self.bias.as_ref(), self.eps)?;
            if let (Some(stats), true) = (&self.stats, self.training) {
                self.update_running_stats(stats, &mean, &var, per_channel as f64)?;
            }
            return Ok(y);
        }
        let stats = self.stats.as_ref().expect("checked above");
        let (mean, var) = (Var::constant(stats.mean.view(&view)?), Var::constant(stats.var.view(&view)?));
        let mut y = x.sub(&mean)?.div(&var.add(self.eps)?.sqrt()?)?;
        if let Some(w) = &self.weight {
            y = y.mul(&w.view(&view)?)?;
        }
        if let Some(b) = &self.bias {
            y = y.add(&b.view(&view)?)?;
        }
        Ok(y)
    }

    /// One training step of the running statistics: `num_batches_tracked += 1`, then each
    /// statistic moves towards the batch's (the variance unbiased) by the momentum, or by
    /// `1 / num_batches_tracked` with `momentum=None`.
    #[track_caller]
    fn update_running_stats(&self, stats: &RunningStats, mean: &Tensor, var: &Tensor, n: f64) -> Result<()> {
        let _g = no_grad();
        let mut tracked = stats.num_batches_tracked.shallow_clone();
        tracked.add_(1)?;
        let m = match self.momentum {
            Some(m) => m,
            None => 1.0 / tracked.item::<i64>()? as f64,
        };
        let unbiased = var.mul(n / (n - 1.0).max(1.0))?.reshape(&[-1])?;
        let mut rm = stats.mean.shallow_clone();
        rm.copy_(&rm.mul(1.0 - m)?.add(&mean.reshape(&[-1])?.mul(m)?)?)?;
        let mut rv = stats.var.shallow_clone();
        rv.copy_(&rv.mul(1.0 - m)?.add(&unbiased.mul(m)?)?)?;
        Ok(())
    }

    fn visit(&self, f: &mut dyn FnMut(&str, Entry<'_>)) {
        if let Some(w) = &self.weight {
            f("weight", Entry::Param(w));
        }
        if let Some(b) = &self.bias {
            f("bias", Entry::Param(b));
        }
        if let Some(s) = &self.stats {
            f("running_mean", Entry::Buffer(&s.mean));
            f("running_var", Entry::Buffer(&s.var));
            f("num_batches_tracked", Entry::Buffer(&s.num_batches_tracked));
        }
    }
    fn visit_mut(&mut self, f: &mut dyn FnMut(&str, EntryMut<'_>)) {
        if let Some(w) = &mut self.weight {
            f("weight", EntryMut::Param(w));
        }
        if let Some(b) = &mut self.bias {
            f("bias", EntryMut::Param(b));
        }
        if let Some(s) = &mut self.stats {
            f("running_mean", EntryMut::Buffer(&mut s.mean));
            f("running_var", EntryMut::Buffer(&mut s.var));
            f("num_batches_tracked", EntryMut::Buffer(&mut s.num_batches_tracked));
        }
    }
}

macro_rules! batch_norm {
    ($(#[$doc:meta])* $name:ident, $ranks:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name(BatchNorm);
        impl $name {
            /// With PyTorch's defaults: eps 1e-5, momentum 0.1, affine, tracking running stats.
            #[track_caller]
            pub fn new(num_features: usize, device: &Device) -> Result<$name> {
                Self::with_config(num_features, BatchNormConfig::default(), device)
            }
            /// With explicit eps, momentum and affine (tracking running stats).
            #[track_caller]
            pub fn with_options(num_features: usize, eps: f64, momentum: f64, affine: bool, device: &Device) -> Result<$name> {
                let config = BatchNormConfig { eps, momentum: Some(momentum), affine, ..BatchNormConfig::default() };
                Self::with_config(num_features, config, device)
            }
            /// With every option of PyTorch's constructor.
            #[track_caller]
            pub fn with_config(num_features: usize, config: BatchNormConfig, device: &Device) -> Result<$name> {
                Ok($name(BatchNorm::new(num_features, config, $ranks, stringify!($name), device)?))
            }
            /// The running mean (`None` without `track_running_stats`).
            pub fn running_mean(&self) -> Option<&Tensor> {
                self.0.stats.as_ref().map(|s| &s.mean)
            }
            /// The running (unbiased) variance (`None` without `track_running_stats`).
            pub fn running_var(&self) -> Option<&Tensor> {
                self.0.stats.as_ref().map(|s| &s.var)
            }
            /// The number of training batches seen (`None` without `track_running_stats`).
            pub fn num_batches_tracked(&self) -> Option<&Tensor> {
                self.0.stats.as_ref().map(|s| &s.num_batches_tracked)
            }
        }
        impl Visit for $name {
            fn visit(&self, f: &mut dyn FnMut(&str, Entry<'_>)) {
                self.0.visit(f)
            }
            fn visit_mut(&mut self, f: &mut dyn FnMut(&str, EntryMut<'_>)) {
                self.0.visit_mut(f)
            }
            fn set_training(&mut self, training: bool) {
                self.0.training = training;
            }
            fn training(&self) -> Option<bool> {
                Some(self.0.training)
            }
        }
        impl Module for $name {
            #[track_caller]
            fn forward(&self, x: &Var) -> Result<Var> {
                self.0.forward(x)
            }
        }
    };
}

batch_norm!(
    /// Batch normalisation of `[N, C]` or `[N, C, L]` inputs, as `nn.BatchNorm1d`.
    BatchNorm1d,
    &[2, 3]
);
batch_norm!(
    /// Batch normalisation of `[N, C, H, W]` inputs, as `nn.BatchNorm2d`.
    BatchNorm2d,
    &[4]
);

/// The keyword arguments of `nn.LayerNorm`, with PyTorch's defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LayerNormConfig {
    /// Added to the variance (1e-5).
    pub eps: f64,
    /// Whether the layer has a learnable `weight` (ones) and, with [`bias`](Self::bias), a
    /// learnable `bias` (zeros).
    pub elementwise_affine: bool,
    /// Whether the affine transform has a `bias` (PyTorch 2.1's `bias=`); ignored without
    /// `elementwise_affine`.
    pub bias: bool,
}

impl Default for LayerNormConfig {
    fn default() -> Self {
        LayerNormConfig { eps: 1e-5, elementwise_affine: true, bias: true }
    }
}

/// Normalises over the last dims, as `nn.LayerNorm(normalized_shape, eps=1e-5,
/// elementwise_affine=True, bias=True)`.
#[derive(Debug, Clone)]
pub struct LayerNorm {
    /// Scale (ones), if `elementwise_affine`.
    pub weight: Option<Var>,
    /// Shift (zeros), if `elementwise_affine` and `bias`.
    pub bias: Option<Var>,
    normalized_shape: Vec<usize>,
    eps: f64,
}

impl LayerNorm {
    /// Over the trailing `normalized_shape` dims, with eps 1e-5 and an affine transform.
    #[track_caller]
    pub fn new(normalized_shape: &[usize], device: &Device) -> Result<LayerNorm> {
        Self::with_config(normalized_shape, LayerNormConfig::default(), device)
    }
    /// With every option of PyTorch's constructor.
    #[track_caller]
    pub fn with_config(normalized_shape: &[usize], config: LayerNormConfig, device: &Device) -> Result<LayerNorm> {
        let affine = config.elementwise_affine;
        Ok(LayerNorm {
            weight: if affine {
                Some(Var::parameter(Tensor::ones(normalized_shape, DType::F32, device)?))
            } else {
                None
            },
            bias: if affine && config.bias {
                Some(Var::parameter(Tensor::zeros(normalized_shape, DType::F32, device)?))
            } else {
                None
            },
            normalized_shape: normalized_shape.to_vec(),
            eps: config.eps,
        })
    }
}

impl Visit for LayerNorm {
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

impl Module for LayerNorm {
    #[track_caller]
    fn forward(&self, x: &Var) -> Result<Var> {
        let k = self.normalized_shape.len();
        if x.dim() < k || x.size()[x.dim() - k..] != self.normalized_shape[..] {
            bail!(
                Shape,
                "LayerNorm",
                "expected input with trailing shape {:?}, got {:?}",
                self.normalized_shape,
                x.shape()
            );
        }
        x.layer_norm(&self.normalized_shape, self.weight.as_ref(), self.bias.as_ref(), self.eps)
    }
}
