//! Convolution layers: `Conv2d`, configured as `nn.Conv2d(in, out, kernel_size, stride,
//! padding, dilation, groups, bias)`, `Conv1d` (the same over sequences) and `ConvTranspose2d`
//! (`nn.ConvTranspose2d`, with `output_padding`).

use crate::{Entry, EntryMut, Module, Visit};
use tensor_autograd::Var;
use tensor_core::ops::conv::{Conv1dParams, Conv2dParams, ConvTranspose2dParams};
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
    #[track_caller]
    pub fn new(
        in_channels: usize,
        out_channels: usize,
        kernel_size: impl Into<Pair>,
        config: Conv2dConfig,
        device: &Device,
    ) -> Result<Conv2d> {
        let k = kernel_size.into().0;
        check_groups("Conv2d", in_channels, out_channels, config.groups)?;
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

impl Module for Conv2d {
    #[track_caller]
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
#[track_caller]
fn pad_end(x: &Var, dim: usize, n: usize) -> Result<Var> {
    let mut shape = x.size().to_vec();
    shape[dim] = n;
    let zeros = Var::constant(Tensor::zeros(shape, x.dtype(), x.device())?);
    Var::cat(&[x, &zeros], dim as isize)
}

/// Zero padding of a 1-d convolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Padding1d {
    /// `padding='valid'`: none.
    Valid,
    /// `padding='same'`: the output has the input's length (stride 1 only); an odd total
    /// padding `dilation * (k - 1)` puts the extra zero at the end, as PyTorch.
    Same,
    /// Explicit padding on each side.
    Explicit(usize),
}

impl From<usize> for Padding1d {
    fn from(p: usize) -> Self {
        Padding1d::Explicit(p)
    }
}

/// The keyword arguments of `nn.Conv1d`, with PyTorch's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conv1dConfig {
    /// Stride.
    pub stride: usize,
    /// Zero padding.
    pub padding: Padding1d,
    /// Dilation.
    pub dilation: usize,
    /// Groups of channels.
    pub groups: usize,
    /// Whether the layer has a bias.
    pub bias: bool,
}

impl Default for Conv1dConfig {
    fn default() -> Self {
        Conv1dConfig { stride: 1, padding: Padding1d::Valid, dilation: 1, groups: 1, bias: true }
    }
}

/// A 1-d convolution over NCL (or CL) inputs, as `nn.Conv1d(in, out, kernel_size, stride,
/// padding, dilation, groups, bias)`.
///
/// ```
/// use tensor_nn::{Conv1d, Conv1dConfig, Module};
/// use tensor_autograd::Var;
/// use tensor_core::{DType, Device, Tensor};
/// let conv = Conv1d::new(2, 4, 3, Conv1dConfig { padding: 1.into(), ..Default::default() }, &Device::Cpu)?;
/// let y = conv.forward(&Var::constant(Tensor::zeros(&[8, 2, 10], DType::F32, &Device::Cpu)?))?;
/// assert_eq!(y.size(), &[8, 4, 10]);
/// # Ok::<(), tensor_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Conv1d {
    /// `[out_channels, in_channels / groups, k]`.
    pub weight: Var,
    /// `[out_channels]`, if any.
    pub bias: Option<Var>,
    params: Conv1dParams,
    /// Extra zeros at the end of the input (`padding='same'` with an odd total padding).
    same_extra: usize,
}

impl Conv1d {
    /// A layer initialised as PyTorch's: weight and bias from U(±1/√fan_in), fan_in =
    /// `in_channels / groups * kernel_size`.
    #[track_caller]
    pub fn new(
        in_channels: usize,
        out_channels: usize,
        kernel_size: usize,
        config: Conv1dConfig,
        device: &Device,
    ) -> Result<Conv1d> {
        check_groups("Conv1d", in_channels, out_channels, config.groups)?;
        let (padding, same_extra) = match config.padding {
            Padding1d::Valid => (0, 0),
            Padding1d::Explicit(p) => (p, 0),
            Padding1d::Same => {
                if config.stride != 1 {
                    bail!(
                        Value,
                        "Conv1d",
                        "padding='same' is not supported for strided convolutions (stride {})",
                        config.stride
                    );
                }
                let total = config.dilation * kernel_size.saturating_sub(1);
                (total / 2, total % 2)
            }
        };
        let fan_in = in_channels / config.groups * kernel_size;
        let bound = 1.0 / (fan_in.max(1) as f64).sqrt();
        Ok(Conv1d {
            weight: super::uniform_param([out_channels, in_channels / config.groups, kernel_size], bound, device)?,
            bias: if config.bias { Some(super::uniform_param([out_channels], bound, device)?) } else { None },
            params: Conv1dParams { stride: config.stride, padding, dilation: config.dilation, groups: config.groups },
            same_extra,
        })
    }
}

/// `in_channels` and `out_channels` must both divide into `groups` (at least one).
#[track_caller]
fn check_groups(op: &'static str, in_channels: usize, out_channels: usize, groups: usize) -> Result<()> {
    if groups == 0 || !in_channels.is_multiple_of(groups) || !out_channels.is_multiple_of(groups) {
        bail!(
            Value,
            op,
            "in_channels ({in_channels}) and out_channels ({out_channels}) must be divisible by groups ({groups})"
        );
    }
    Ok(())
}

impl Module for Conv1d {
    #[track_caller]
    fn forward(&self, x: &Var) -> Result<Var> {
        if self.same_extra == 0 || x.dim() < 1 {
            return x.conv1d(&self.weight, self.bias.as_ref(), self.params);
        }
        pad_end(x, x.dim() - 1, self.same_extra)?.conv1d(&self.weight, self.bias.as_ref(), self.params)
    }
}

/// The keyword arguments of `nn.ConvTranspose2d`, with PyTorch's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvTranspose2dConfig {
    /// Stride (height, width).
    pub stride: [usize; 2],
    /// Padding (height, width): `dilation * (k - 1) - padding` zeros around the input.
    pub padding: [usize; 2],
    /// Extra rows / columns at the bottom / right of the output (height, width).
    pub output_padding: [usize; 2],
    /// Dilation (height, width).
    pub dilation: [usize; 2],
    /// Groups of channels.
    pub groups: usize,
    /// Whether the layer has a bias.
    pub bias: bool,
}

impl Default for ConvTranspose2dConfig {
    fn default() -> Self {
        ConvTranspose2dConfig {
            stride: [1, 1],
            padding: [0, 0],
            output_padding: [0, 0],
            dilation: [1, 1],
            groups: 1,
            bias: true,
        }
    }
}

/// A transposed 2-d convolution over NCHW (or CHW) inputs, as `nn.ConvTranspose2d(in, out,
/// kernel_size, stride, padding, output_padding, groups, bias, dilation)`: the gradient of a
/// `Conv2d` with respect to its input.
///
/// ```
/// use tensor_nn::{ConvTranspose2d, ConvTranspose2dConfig, Module};
/// use tensor_autograd::Var;
/// use tensor_core::{DType, Device, Tensor};
/// let config = ConvTranspose2dConfig { stride: [2, 2], padding: [1, 1], output_padding: [1, 1], ..Default::default() };
/// let up = ConvTranspose2d::new(4, 2, 3, config, &Device::Cpu)?;
/// let y = up.forward(&Var::constant(Tensor::zeros(&[1, 4, 5, 5], DType::F32, &Device::Cpu)?))?;
/// assert_eq!(y.size(), &[1, 2, 10, 10]);
/// # Ok::<(), tensor_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ConvTranspose2d {
    /// `[in_channels, out_channels / groups, kh, kw]`.
    pub weight: Var,
    /// `[out_channels]`, if any.
    pub bias: Option<Var>,
    params: ConvTranspose2dParams,
}

impl ConvTranspose2d {
    /// A layer initialised as PyTorch's: weight and bias from U(±1/√fan_in), where fan_in is
    /// the weight's dim 1 times the kernel's area (`out_channels / groups * kh * kw`).
    #[track_caller]
    pub fn new(
        in_channels: usize,
        out_channels: usize,
        kernel_size: impl Into<Pair>,
        config: ConvTranspose2dConfig,
        device: &Device,
    ) -> Result<ConvTranspose2d> {
        let k = kernel_size.into().0;
        check_groups("ConvTranspose2d", in_channels, out_channels, config.groups)?;
        let fan_in = out_channels / config.groups * k[0] * k[1];
        let bound = 1.0 / (fan_in.max(1) as f64).sqrt();
        Ok(ConvTranspose2d {
            weight: super::uniform_param([in_channels, out_channels / config.groups, k[0], k[1]], bound, device)?,
            bias: if config.bias { Some(super::uniform_param([out_channels], bound, device)?) } else { None },
            params: ConvTranspose2dParams {
                stride: config.stride,
                padding: config.padding,
                output_padding: config.output_padding,
                dilation: config.dilation,
                groups: config.groups,
            },
        })
    }

    /// The forward pass with an explicit output size (height, width), as PyTorch's
    /// `forward(x, output_size)`: the output padding is chosen to reach it, and an error says
    /// which sizes the input allows when it cannot be.
    #[track_caller]
    pub fn forward_with_output_size(&self, x: &Var, output_size: [usize; 2]) -> Result<Var> {
        if x.dim() < 3 {
            return x.conv_transpose2d(&self.weight, self.bias.as_ref(), self.params);
        }
        let input = [x.size()[x.dim() - 2], x.size()[x.dim() - 1]];
        let p = self.params;
        let k = [self.weight.size()[2], self.weight.size()[3]];
        // The sizes reachable by output_padding 0 ..= stride - 1.
        let min = ConvTranspose2dParams { output_padding: [0, 0], ..p }.output_size(input, k)?;
        let max = [0, 1].map(|d| min[d].saturating_add(p.stride[d] - 1));
        if (0..2).any(|d| output_size[d] < min[d] || output_size[d] > max[d]) {
            bail!(
                Value,
                "ConvTranspose2d",
                "requested an output size of {:?}, but valid sizes range from {:?} to {:?} (for an input of {:?})",
                output_size,
                min,
                max,
                input
            );
        }
        let output_padding = [0, 1].map(|d| output_size[d] - min[d]);
        x.conv_transpose2d(&self.weight, self.bias.as_ref(), ConvTranspose2dParams { output_padding, ..p })
    }
}

impl Module for ConvTranspose2d {
    #[track_caller]
    fn forward(&self, x: &Var) -> Result<Var> {
        x.conv_transpose2d(&self.weight, self.bias.as_ref(), self.params)
    }
}

macro_rules! weight_and_bias {
    ($($t:ty),*) => {$(
        impl Visit for $t {
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
    )*};
}
weight_and_bias!(Conv2d, Conv1d, ConvTranspose2d);
