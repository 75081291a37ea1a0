//! Normalisation layers: `BatchNorm1d`/`BatchNorm2d` (batch statistics in training, running
//! statistics in eval) and `LayerNorm`.

use crate::{Entry, EntryMut, Module, Visit};
use tensor_autograd::{no_grad, Var};
use tensor_core::{bail, DType, Device, Result, Tensor};

/// Batch normalisation over the channel dim (dim 1), shared by the 1-d and 2-d layers.
#[derive(Debug, Clone)]
struct BatchNorm {
    weight: Option<Var>,
    bias: Option<Var>,
    running_mean: Tensor,
    running_var: Tensor,
    num_batches_tracked: Tensor,
    eps: f64,
    momentum: f64,
    training: bool,
    ranks: &'static [usize],
    name: &'static str,
}

impl BatchNorm {
    fn new(
        num_features: usize,
        eps: f64,
        momentum: f64,
        affine: bool,
        ranks: &'static [usize],
        name: &'static str,
        device: &Device,
    ) -> Result<Self> {
        let (w, b) = if affine {
            (
                Some(Var::parameter(Tensor::ones([num_features], DType::F32, device)?)),
                Some(Var::parameter(Tensor::zeros([num_features], DType::F32, device)?)),
            )
        } else {
            (None, None)
        };
        Ok(BatchNorm {
            weight: w,
            bias: b,
            running_mean: Tensor::zeros([num_features], DType::F32, device)?,
            running_var: Tensor::ones([num_features], DType::F32, device)?,
            num_batches_tracked: Tensor::zeros([], DType::I64, device)?,
            eps,
            momentum,
            training: true,
            ranks,
            name,
        })
    }

    fn forward(&self, x: &Var) -> Result<Var> {
        if !self.ranks.contains(&x.dim()) || x.size()[1] != self.running_mean.numel() {
            bail!(
                Shape,
                self.name,
                "expected {:?}-d input with {} channels, got shape {:?}",
                self.ranks,
                self.running_mean.numel(),
                x.shape()
            );
        }
        let c = x.size()[1] as isize;
        let mut view = vec![1isize; x.dim()];
        view[1] = c;
        let dims: Vec<isize> = (0..x.dim() as isize).filter(|&d| d != 1).collect();
        let (mean, var) = if self.training {
            if x.numel() / c as usize <= 1 {
                bail!(
                    Value,
                    self.name,
                    "Expected more than 1 value per channel when training, got input size {:?}",
                    x.shape()
                );
            }
            let mean = x.mean_dim(&dims, true)?;
            let var = x.sub(&mean)?.square()?.mean_dim(&dims, true)?;
            {
                let _g = no_grad();
                let n = (x.numel() / c as usize) as f64;
                let unbiased = var.tensor_ref().mul(n / (n - 1.0).max(1.0))?.reshape(&[-1])?;
                let m = self.momentum;
                let mut rm = self.running_mean.shallow_clone();
                rm.copy_(&rm.mul(1.0 - m)?.add(&mean.tensor_ref().reshape(&[-1])?.mul(m)?)?)?;
                let mut rv = self.running_var.shallow_clone();
                rv.copy_(&rv.mul(1.0 - m)?.add(&unbiased.mul(m)?)?)?;
                self.num_batches_tracked.shallow_clone().add_(1)?;
            }
            (mean, var)
        } else {
            (Var::constant(self.running_mean.view(&view)?), Var::constant(self.running_var.view(&view)?))
        };
        let mut y = x.sub(&mean)?.div(&var.add(self.eps)?.sqrt()?)?;
        if let (Some(w), Some(b)) = (&self.weight, &self.bias) {
            y = y.mul(&w.view(&view)?)?.add(&b.view(&view)?)?;
        }
        Ok(y)
    }

    fn visit(&self, f: &mut dyn FnMut(&str, Entry<'_>)) {
        if let (Some(w), Some(b)) = (&self.weight, &self.bias) {
            f("weight", Entry::Param(w));
            f("bias", Entry::Param(b));
        }
        f("running_mean", Entry::Buffer(&self.running_mean));
        f("running_var", Entry::Buffer(&self.running_var));
        f("num_batches_tracked", Entry::Buffer(&self.num_batches_tracked));
    }
    fn visit_mut(&mut self, f: &mut dyn FnMut(&str, EntryMut<'_>)) {
        if let (Some(w), Some(b)) = (&mut self.weight, &mut self.bias) {
            f("weight", EntryMut::Param(w));
            f("bias", EntryMut::Param(b));
        }
        f("running_mean", EntryMut::Buffer(&mut self.running_mean));
        f("running_var", EntryMut::Buffer(&mut self.running_var));
        f("num_batches_tracked", EntryMut::Buffer(&mut self.num_batches_tracked));
    }
}

macro_rules! batch_norm {
    ($(#[$doc:meta])* $name:ident, $ranks:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name(BatchNorm);
        impl $name {
            /// With PyTorch's defaults: eps 1e-5, momentum 0.1, affine.
            pub fn new(num_features: usize, device: &Device) -> Result<$name> {
                Self::with_options(num_features, 1e-5, 0.1, true, device)
            }
            /// With explicit eps, momentum and affine.
            pub fn with_options(num_features: usize, eps: f64, momentum: f64, affine: bool, device: &Device) -> Result<$name> {
                Ok($name(BatchNorm::new(num_features, eps, momentum, affine, $ranks, stringify!($name), device)?))
            }
            /// The running mean.
            pub fn running_mean(&self) -> &Tensor {
                &self.0.running_mean
            }
            /// The running (unbiased) variance.
            pub fn running_var(&self) -> &Tensor {
                &self.0.running_var
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
        }
        impl Module for $name {
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

/// Normalises over the last dims, as `nn.LayerNorm(normalized_shape, eps=1e-5)`.
#[derive(Debug, Clone)]
pub struct LayerNorm {
    /// Scale (ones), if affine.
    pub weight: Option<Var>,
    /// Shift (zeros), if affine.
    pub bias: Option<Var>,
    normalized_shape: Vec<usize>,
    eps: f64,
}

impl LayerNorm {
    /// Over the trailing `normalized_shape` dims, with eps 1e-5 and an affine transform.
    pub fn new(normalized_shape: &[usize], device: &Device) -> Result<LayerNorm> {
        Ok(LayerNorm {
            weight: Some(Var::parameter(Tensor::ones(normalized_shape, DType::F32, device)?)),
            bias: Some(Var::parameter(Tensor::zeros(normalized_shape, DType::F32, device)?)),
            normalized_shape: normalized_shape.to_vec(),
            eps: 1e-5,
        })
    }
}

impl Visit for LayerNorm {
    fn visit(&self, f: &mut dyn FnMut(&str, Entry<'_>)) {
        if let (Some(w), Some(b)) = (&self.weight, &self.bias) {
            f("weight", Entry::Param(w));
            f("bias", Entry::Param(b));
        }
    }
    fn visit_mut(&mut self, f: &mut dyn FnMut(&str, EntryMut<'_>)) {
        if let (Some(w), Some(b)) = (&mut self.weight, &mut self.bias) {
            f("weight", EntryMut::Param(w));
            f("bias", EntryMut::Param(b));
        }
    }
}

impl Module for LayerNorm {
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
        let dims: Vec<isize> = (x.dim() - k..x.dim()).map(|d| d as isize).collect();
        let mean = x.mean_dim(&dims, true)?;
        let centered = x.sub(&mean)?;
        let var = centered.square()?.mean_dim(&dims, true)?;
        let mut y = centered.div(&var.add(self.eps)?.sqrt()?)?;
        if let (Some(w), Some(b)) = (&self.weight, &self.bias) {
            y = y.mul(w)?.add(b)?;
        }
        Ok(y)
    }
}
