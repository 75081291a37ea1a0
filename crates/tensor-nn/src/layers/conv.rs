//! `Conv2d`, configured as `nn.Conv2d(in, out, kernel_size, stride, padding, dilation, groups, bias)`.

use crate::{Entry, EntryMut, Module, Visit};
use tensor_autograd::Var;
use tensor_core::ops::conv::Conv2dParams;
use tensor_core::{bail, Device, Result, Tensor};

/// Zero padding of a convolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Padding {
    /// `padding='valid'`: none.
    Valid,
    /// `padding='same'`: the output has the input's size (stride 1 only). As PyTorch, an odd
    /// total padding `dilation * (k - 1)` puts the extra zero at the bottom / right.
    Same,
    /// Explicit padding (height, width) on each side.
    Explicit([usize; 2]),
}

impl From<usize> for Padding {
    fn from(p: usize) -> Self {
        Padding::Explicit([p, p])
    }
}
impl From<[usize; 2]> for Padding {
    fn from(p: [usize; 2]) -> Self {
        Padding::Explicit(p)
    }
}

/// The keyword arguments of `nn.Conv2d`, with PyTorch's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conv2dConfig {
    /// Stride (height, width).
    pub stride: [usize; 2],
    /// Zero padding.
    pub padding: Padding,
    /// Dilation (height, width).
    pub dilation: [usize; 2],
    /// Groups of channels.
    pub groups: usize,
    /// Whether the layer has a bias.
    pub bias: bool,
}

impl Default for Conv2dConfig {
    fn default() -> Self {
        Conv2dConfig { stride: [1, 1], padding: Padding::Valid, dilation: [1, 1], groups: 1, bias: true }
    }
}

/// A 2-d convolution over NCHW inputs.
#[derive(Debug, Clone)]
pub struct Conv2d {
    /// `[out_channels, in_channels / groups, kh, kw]`.
    pub weight: Var,
    /// `[out_channels]`, if any.
    pub bias: Option<Var>,
    params: Conv2dParams,
    /// Extra zero rows / columns at the bottom / right of the input (`padding='same'` with an
    /// odd total padding).
    same_extra: [usize; 2],
}

impl Conv2d {
    /// A layer initialised as PyTorch's (weight and bias from U(±1/√fan_in)). `kernel_size` is
    /// a number or a `[h, w]` pair.
    pub fn new(
        in_channels: usize,
        out_channels: usize,
        kernel_size: impl Into<Pair>,
        config: Conv2dConfig,
        device: &Device,
    ) -> Result<Conv2d> {
        let k = kernel_size.into().0;
        if config.groups == 0
            || !in_channels.is_multiple_of(config.groups)
            || !out_channels.is_multiple_of(config.groups)
        {
            bail!(
                Value,
                "Conv2d",
                "in_channels ({in_channels}) and out_channels ({out_channels}) must be divisible by groups ({})",
                config.groups
            );
        }
        // PyTorch's `padding='same'`: total = dilation * (k - 1) per dim, `total / 2` before and
        // the rest after; an odd total pads the input by one more row / column at the end
        // (bottom / right) and runs the symmetric convolution.
        let (padding, same_extra) = match config.padding {
            Padding::Valid => ([0, 0], [0, 0]),
            Padding::Explicit(p) => (p, [0, 0]),
            Padding::Same => {
                if config.stride != [1, 1] {
                    bail!(
                        Value,
                        "Conv2d",
                        "padding='same' is not supported for strided convolutions (stride {:?})",
                        config.stride
                    );
                }
                let total = [config.dilation[0] * k[0].saturating_sub(1), config.dilation[1] * k[1].saturating_sub(1)];
                ([total[0] / 2, total[1] / 2], [total[0] % 2, total[1] % 2])
            }
        };
        let fan_in = in_channels / config.groups * k[0] * k[1];
        let bound = 1.0 / (fan_in.max(1) as f64).sqrt();
        Ok(Conv2d {
            weight: super::uniform_param([out_channels, in_channels / config.groups, k[0], k[1]], bound, device)?,
            bias: if config.bias { Some(super::uniform_param([out_channels], bound, device)?) } else { None },
            params: Conv2dParams { stride: config.stride, padding, dilation: config.dilation, groups: config.groups },
            same_extra,
        })
    }
}

/// A size given as one number or a `[h, w]` pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pair(pub [usize; 2]);
impl From<usize> for Pair {
    fn from(k: usize) -> Self {
        Pair([k, k])
    }
}
impl From<[usize; 2]> for Pair {
    fn from(k: [usize; 2]) -> Self {
        Pair(k)
    }
}

impl Visit for Conv2d {
    fn visit(&self, f: &mut dyn FnMut(&str, Entry<'_>)) {
        f("weight", Entry::Param(&self.weight));
        if let Some(b) = &self.bias {
            f("bias", Entry::Param(b));
        }
    }
    fn visit_mut(&mut self, f: &mut dyn FnMut(&str, EntryMut<'_>)) {
        f("weight", EntryMut::Param(&mut self.weight));
        if let Some(b) = &mut self.bias {
            f("bias", EntryMut::Param(b));
        }
    }
}

impl Module for Conv2d {
    fn forward(&self, x: &Var) -> Result<Var> {
        if self.same_extra == [0, 0] || x.dim() < 2 {
            return x.conv2d(&self.weight, self.bias.as_ref(), self.params);
        }
        let mut padded = x.clone();
        for (i, &extra) in self.same_extra.iter().enumerate() {
            if extra > 0 {
                padded = pad_end(&padded, padded.dim() - 2 + i, extra)?;
            }
        }
        padded.conv2d(&self.weight, self.bias.as_ref(), self.params)
    }
}

/// `x` with `n` zeros appended along `dim` (differentiable: the gradient is the slice of `x`).
fn pad_end(x: &Var, dim: usize, n: usize) -> Result<Var> {
    let mut shape = x.size().to_vec();
    shape[dim] = n;
    let zeros = Var::constant(Tensor::zeros(shape, x.dtype(), x.device())?);
    Var::cat(&[x, &zeros], dim as isize)
}
