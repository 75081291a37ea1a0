//! 2-d convolution (`conv2d` with stride, padding, dilation, groups, bias) and its gradients,
//! `unfold` (im2col) and `fold` (col2im); `conv1d` (in `conv1d.rs`) and `conv_transpose2d` (in
//! `transpose.rs`) are composed from them.
//!
//! Shapes and errors follow `torch.nn.functional`: inputs are NCHW (a 3-d CHW input is one
//! image, and the result is 3-d too), weights `[out_channels, in_channels / groups, kh, kw]`.
//! [`conv2d_backward_input`] and [`conv2d_backward_weight`] are the two gradients autograd needs
//! (the bias gradient is `grad_out.sum_dim(&[0, 2, 3])`). Every op is one backend call, so a
//! device backend may use cuDNN.
//!
//! ```
//! use tensor_core::{Tensor, DType, Device};
//! use tensor_core::ops::conv::Conv2dParams;
//! let x = Tensor::ones(&[1, 1, 4, 4], DType::F32, &Device::Cpu)?;
//! let w = Tensor::ones(&[2, 1, 3, 3], DType::F32, &Device::Cpu)?;
//! let y = x.conv2d(&w, None, Conv2dParams { padding: [1, 1], ..Default::default() })?;
//! assert_eq!(y.size(), &[1, 2, 4, 4]);
//! assert_eq!(y.to_vec::<f32>()?[..4], [4.0, 6.0, 6.0, 4.0]);
//! # Ok::<(), tensor_core::Error>(())
//! ```

pub(crate) mod backend;
mod conv1d;
pub(crate) mod cpu;
mod direct;
mod direct_weight;
pub(crate) mod im2col;
mod lanes;
mod taps;
mod transpose;

pub use conv1d::{conv1d_output_len, Conv1dParams};
pub use transpose::ConvTranspose2dParams;

use crate::backend::Conv2dGeometry;
use crate::{bail, Result, ResultExt, Shape, Tensor};

/// Stride, zero padding, dilation and groups of a 2-d convolution, as the keyword arguments of
/// `F.conv2d`. The default is PyTorch's: stride 1, padding 0, dilation 1, one group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Conv2dParams {
    /// Step between windows (height, width).
    pub stride: [usize; 2],
    /// Zeros added on each side (height, width).
    pub padding: [usize; 2],
    /// Spacing between kernel taps (height, width).
    pub dilation: [usize; 2],
    /// Blocked connections from input to output channels.
    pub groups: usize,
}

impl Default for Conv2dParams {
    fn default() -> Self {
        Conv2dParams { stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1 }
    }
}

impl Conv2dParams {
    #[track_caller]
    fn check(&self, op: &'static str) -> Result<()> {
        if self.stride.contains(&0) {
            bail!(Value, op, "non-positive stride is not supported (stride {:?})", self.stride);
        }
        if self.dilation.contains(&0) {
            bail!(Value, op, "dilation should be greater than zero (dilation {:?})", self.dilation);
        }
        if self.groups == 0 {
            bail!(Value, op, "non-positive groups is not supported");
        }
        Ok(())
    }
}

/// The output length of a convolution or pooling window along one dim (floor mode), or `None`
/// when the dilated kernel is larger than the padded input (or either overflows `usize`).
pub fn conv_output_len(input: usize, kernel: usize, stride: usize, padding: usize, dilation: usize) -> Option<usize> {
    let (span, padded) = spans(input, kernel, padding, dilation)?;
    if span > padded || stride == 0 {
        return None;
    }
    Some((padded - span) / stride + 1)
}

/// The dilated kernel's span and the padded input's length, checked.
fn spans(input: usize, kernel: usize, padding: usize, dilation: usize) -> Option<(usize, usize)> {
    let span = dilation.checked_mul(kernel.max(1) - 1)?.checked_add(1)?;
    let padded = padding.checked_mul(2)?.checked_add(input)?;
    Some((span, padded))
}

/// The geometry of `conv2d(input, weight, params)` for a 4-d input shape `[n, c, h, w]` and a
/// 4-d weight shape `[o, c / groups, kh, kw]`, checking them as PyTorch does.
#[track_caller]
pub fn conv2d_geometry(input: &[usize], weight: &[usize], params: &Conv2dParams) -> Result<Conv2dGeometry> {
    const OP: &str = "conv2d";
    params.check(OP)?;
    if input.len() != 4 {
        bail!(Shape, OP, "Expected 4D (batched) input to conv2d, but got input of size: {:?}", input);
    }
    if weight.len() != 4 {
        bail!(
            Shape,
            OP,
            "Expected 4-dimensional weight for 4-dimensional input {:?}, but got {}-dimensional weight of size {:?} instead",
            input,
            weight.len(),
            weight
        );
    }
    let groups = params.groups;
    if !weight[0].is_multiple_of(groups) {
        bail!(
            Shape,
            OP,
            "Given groups={}, expected weight to be divisible by {} at dimension 0, but got weight of size {:?} instead",
            groups,
            groups,
            weight
        );
    }
    if input[1] != weight[1] * groups {
        bail!(
            Shape,
            OP,
            "Given groups={}, weight of size {:?}, expected input{:?} to have {} channels, but got {} channels instead",
            groups,
            weight,
            input,
            weight[1] * groups,
            input[1]
        );
    }
    geometry(OP, input, [weight[2], weight[3]], params)
}

/// The geometry for a 4-d input and a kernel size, checking that the kernel fits.
#[track_caller]
fn geometry(op: &'static str, input: &[usize], kernel: [usize; 2], p: &Conv2dParams) -> Result<Conv2dGeometry> {
    let spans = |d: usize| spans(input[2 + d], kernel[d], p.padding[d], p.dilation[d]);
    if spans(0).is_none() || spans(1).is_none() {
        bail!(
            Shape,
            op,
            "padding {:?} or dilation {:?} with kernel {:?} overflows for input {:?}",
            p.padding,
            p.dilation,
            kernel,
            input
        );
    }
    let out = |d: usize| conv_output_len(input[2 + d], kernel[d], p.stride[d], p.padding[d], p.dilation[d]);
    let (Some(oh), Some(ow)) = (out(0), out(1)) else {
        bail!(
            Shape,
            op,
            "Calculated padded input size per channel: ({} x {}). Kernel size: ({} x {}). Kernel size can't be greater than actual input size",
            input[2] + 2 * p.padding[0],
            input[3] + 2 * p.padding[1],
            p.dilation[0] * (kernel[0].max(1) - 1) + 1,
            p.dilation[1] * (kernel[1].max(1) - 1) + 1
        );
    };
    if kernel.contains(&0) {
        bail!(Shape, op, "kernel size should be greater than zero, but got {:?}", kernel);
    }
    // The output and the unfolded input (im2col's columns) must be countable.
    crate::shape::checked_product(op, &[input[0], input[1], oh, ow])?;
    crate::shape::checked_product(op, &[input[0], input[1], kernel[0], kernel[1], oh, ow])?;
    Ok(Conv2dGeometry {
        batch: input[0],
        c: input[1],
        h: input[2],
        w: input[3],
        kh: kernel[0],
        kw: kernel[1],
        sh: p.stride[0],
        sw: p.stride[1],
        ph: p.padding[0],
        pw: p.padding[1],
        dh: p.dilation[0],
        dw: p.dilation[1],
        oh,
        ow,
    })
}

/// A 4-d view of `t` (a 3-d tensor gains a batch dim of 1), and whether it was 3-d.
#[track_caller]
fn batched(op: &'static str, what: &str, t: &Tensor) -> Result<(Tensor, bool)> {
    match as_batch(t)? {
        Some(b) => Ok(b),
        None => bail!(
            Shape,
            op,
            "Expected 3D (unbatched) or 4D (batched) {} to {}, but got {} of size: {:?}",
            what,
            op,
            what,
            t.shape()
        ),
    }
}

/// `t` as a batch of NCHW images, shared by conv and pool: a 4-d view of a 3-d (CHW) or 4-d
/// tensor and whether it was 3-d, or `None` for any other rank (each op words its own error,
/// as PyTorch's do). [`unbatch`] undoes it on the result.
#[track_caller]
pub(crate) fn as_batch(t: &Tensor) -> Result<Option<(Tensor, bool)>> {
    Ok(match t.dim() {
        4 => Some((t.shallow_clone(), false)),
        3 => Some((t.unsqueeze(0)?, true)),
        _ => None,
    })
}

/// A result of a batch that [`as_batch`] made from a 3-d tensor, without that batch dim.
#[track_caller]
pub(crate) fn unbatch(t: Tensor, was_3d: bool) -> Result<Tensor> {
    if was_3d {
        t.squeeze_dim(0)
    } else {
        Ok(t)
    }
}

/// Checks that `others` are float tensors of `t`'s dtype, on its device.
#[track_caller]
fn check_dtypes(op: &'static str, t: &Tensor, others: &[&Tensor]) -> Result<()> {
    if !t.is_floating_point() {
        bail!(DType, op, "\"{}\" not implemented for '{}': expected a floating point input", op, t.dtype());
    }
    for o in others {
        if o.dtype() != t.dtype() {
            bail!(DType, op, "Input type ({}) and weight type ({}) should be the same", t.dtype(), o.dtype());
        }
    }
    t.same_device(op, others)
}

impl Tensor {
    /// 2-d convolution (cross-correlation) of an NCHW (or CHW) input with `weight`
    /// (`[out_channels, in_channels / groups, kh, kw]`) plus an optional `bias`
    /// (`[out_channels]`), as `F.conv2d(x, weight, bias, stride, padding, dilation, groups)`.
    #[track_caller]
    pub fn conv2d(&self, weight: &Tensor, bias: Option<&Tensor>, params: Conv2dParams) -> Result<Tensor> {
        const OP: &str = "conv2d";
        let (x, was_3d) = batched(OP, "input", self)?;
        check_dtypes(OP, &x, &[weight])?;
        let g = conv2d_geometry(x.size(), weight.size(), &params)?;
        let o = weight.size()[0];
        crate::shape::checked_product(OP, &[g.batch, o, g.oh, g.ow])?;
        if let Some(b) = bias {
            check_dtypes(OP, &x, &[b])?;
            if b.dim() != 1 || b.size()[0] != o {
                bail!(
                    Shape,
                    OP,
                    "Given weight of size {:?}, expected bias to be 1-dimensional with {} elements, but got bias of size {:?} instead",
                    weight.shape(),
                    o,
                    b.shape()
                );
            }
        }
        let s =
            Tensor::read_all(OP, [&x, weight], |[a, w]| a.conv2d(x.layout(), w, weight.layout(), &g, params.groups))?;
        let mut out = Tensor::from_op(s, [g.batch, o, g.oh, g.ow], self.device());
        if let Some(b) = bias {
            out.add_(&b.view(&[1, o as isize, 1, 1])?)?;
        }
        unbatch(out, was_3d)
    }

    /// `F.unfold` (im2col): the sliding `kernel` windows of an NCHW input as columns,
    /// `[n, c * kh * kw, l]` with `l` windows (a 3-d input gives `[c * kh * kw, l]`).
    #[track_caller]
    pub fn unfold(
        &self,
        kernel: [usize; 2],
        dilation: [usize; 2],
        padding: [usize; 2],
        stride: [usize; 2],
    ) -> Result<Tensor> {
        const OP: &str = "unfold";
        let (x, was_3d) = batched(OP, "input", self)?;
        check_dtypes(OP, &x, &[])?;
        let p = Conv2dParams { stride, padding, dilation, groups: 1 };
        p.check(OP)?;
        if kernel.contains(&0) {
            bail!(Value, OP, "kernel size should be greater than zero, but got kernel_size={:?}", kernel);
        }
        let d = x.size();
        let g = geometry(OP, d, kernel, &p).map_err(|_| {
            crate::err!(
                Shape,
                OP,
                "Given input with spatial size ({}, {}), kernel_size={:?}, dilation={:?}, padding={:?}, calculated shape of the array of sliding blocks is non-positive (the dilated kernel is larger than the padded input)",
                d[2],
                d[3],
                kernel,
                dilation,
                padding
            )
        }).located()?;
        let s = x.read("im2col")?.im2col(x.layout(), &g)?;
        let shape = [g.batch, g.c * kernel[0] * kernel[1], g.oh * g.ow];
        unbatch(Tensor::from_op(s, shape, self.device()), was_3d)
    }

    /// `F.fold` (col2im): sums columns `[n, c * kh * kw, l]` (or `[c * kh * kw, l]`) back into an
    /// image `[n, c, output_size[0], output_size[1]]`; the adjoint of [`unfold`](Self::unfold).
    #[track_caller]
    pub fn fold(
        &self,
        output_size: [usize; 2],
        kernel: [usize; 2],
        dilation: [usize; 2],
        padding: [usize; 2],
        stride: [usize; 2],
    ) -> Result<Tensor> {
        const OP: &str = "fold";
        let (cols, was_2d) = match self.dim() {
            3 => (self.shallow_clone(), false),
            2 => (self.unsqueeze(0)?, true),
            _ => bail!(Shape, OP, "Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and non-zero dimensions for input, but got: {:?}", self.shape()),
        };
        check_dtypes(OP, &cols, &[])?;
        let p = Conv2dParams { stride, padding, dilation, groups: 1 };
        p.check(OP)?;
        let taps = kernel[0] * kernel[1];
        if taps == 0 {
            bail!(Value, OP, "kernel size should be greater than zero, but got kernel_size={:?}", kernel);
        }
        let (n, ck, l) = (cols.size()[0], cols.size()[1], cols.size()[2]);
        if !ck.is_multiple_of(taps) {
            bail!(
                Shape,
                OP,
                "Expected size of input's dimension 1 to be divisible by the product of kernel_size, but got input.size(1)={} and kernel_size={:?}",
                ck,
                kernel
            );
        }
        let image = [n, ck / taps, output_size[0], output_size[1]];
        let g = geometry(OP, &image, kernel, &p);
        let blocks = g.as_ref().map(|g| g.oh * g.ow).unwrap_or(0);
        let g = match g {
            Ok(g) if blocks == l => g,
            _ => bail!(
                Shape,
                OP,
                "Given output_size={:?}, kernel_size={:?}, dilation={:?}, padding={:?}, stride={:?}, expected size of input's dimension 2 to match the calculated number of sliding blocks {}, but got input.size(2)={}",
                output_size,
                kernel,
                dilation,
                padding,
                stride,
                blocks,
                l
            ),
        };
        let s = cols.read("col2im")?.col2im(cols.layout(), &g)?;
        let out = Tensor::from_op(s, image, self.device());
        unbatch(out, was_2d)
    }
}

/// The gradient of `conv2d(input, weight)` with respect to its input, given the output gradient
/// `grad_out` (`[n, o, oh, ow]` or `[o, oh, ow]`) and the input's height and width (which a
/// stride > 1 leaves ambiguous). The result has the input's shape.
#[track_caller]
pub fn conv2d_backward_input(
    grad_out: &Tensor,
    weight: &Tensor,
    input_hw: [usize; 2],
    params: Conv2dParams,
) -> Result<Tensor> {
    const OP: &str = "conv2d_backward_input";
    params.check(OP)?;
    let (gr, was_3d) = batched(OP, "grad_output", grad_out)?;
    check_dtypes(OP, &gr, &[weight])?;
    let w = weight.size();
    if w.len() != 4 || gr.size()[1] != w[0] {
        bail!(
            Shape,
            OP,
            "expected a 4-d weight [out_channels, in_channels / groups, kh, kw] whose out_channels match grad_output's channels, got weight of size {:?} and grad_output of size {:?}",
            weight.shape(),
            grad_out.shape()
        );
    }
    let input = [gr.size()[0], w[1] * params.groups, input_hw[0], input_hw[1]];
    let g = conv2d_geometry(&input, w, &params).map_err(|e| crate::err!(Shape, OP, "{}", e.message())).located()?;
    check_out_hw(OP, &g, gr.size())?;
    let s = Tensor::read_all("conv2d_backward_input", [&gr, weight], |[a, b]| {
        a.conv2d_backward_input(gr.layout(), b, weight.layout(), &g, params.groups)
    })?;
    unbatch(Tensor::from_op(s, input, grad_out.device()), was_3d)
}

/// The gradient of `conv2d(input, weight)` with respect to its weight, given the output
/// gradient `grad_out` (`[n, o, oh, ow]` or `[o, oh, ow]`), the input and the kernel's height and
/// width. The result is `[o, c / groups, kh, kw]`.
#[track_caller]
pub fn conv2d_backward_weight(
    grad_out: &Tensor,
    input: &Tensor,
    weight_hw: [usize; 2],
    params: Conv2dParams,
) -> Result<Tensor> {
    const OP: &str = "conv2d_backward_weight";
    params.check(OP)?;
    let (gr, g3) = batched(OP, "grad_output", grad_out)?;
    let (x, x3) = batched(OP, "input", input)?;
    check_dtypes(OP, &gr, &[&x])?;
    let (o, c) = (gr.size()[1], x.size()[1]);
    if g3 != x3 || gr.size()[0] != x.size()[0] || !c.is_multiple_of(params.groups) || !o.is_multiple_of(params.groups) {
        bail!(
            Shape,
            OP,
            "grad_output of size {:?} and input of size {:?} do not fit one convolution with groups={} (batch sizes must match; channels must be divisible by groups)",
            grad_out.shape(),
            input.shape(),
            params.groups
        );
    }
    let weight = [o, c / params.groups, weight_hw[0], weight_hw[1]];
    let g =
        conv2d_geometry(x.size(), &weight, &params).map_err(|e| crate::err!(Shape, OP, "{}", e.message())).located()?;
    check_out_hw(OP, &g, gr.size())?;
    let s = Tensor::read_all("conv2d_backward_weight", [&gr, &x], |[a, b]| {
        a.conv2d_backward_weight(gr.layout(), b, x.layout(), &g, params.groups, o)
    })?;
    Ok(Tensor::from_op(s, weight, grad_out.device()))
}

/// The gradient of `conv2d`'s bias: `grad_out` summed over every dim but the channels.
#[track_caller]
pub fn conv2d_backward_bias(grad_out: &Tensor) -> Result<Tensor> {
    match grad_out.dim() {
        4 => grad_out.sum_dim(&[0, 2, 3], false),
        3 => grad_out.sum_dim(&[1, 2], false),
        _ => bail!(Shape, "conv2d_backward_bias", "expected a 3-d or 4-d grad_output, got {:?}", grad_out.shape()),
    }
}

#[track_caller]
fn check_out_hw(op: &'static str, g: &Conv2dGeometry, grad: &[usize]) -> Result<()> {
    if grad[2..] != [g.oh, g.ow] {
        bail!(
            Shape,
            op,
            "grad_output of size {:?} does not match the convolution's output size {:?} (input {:?}, kernel {:?})",
            Shape::new(grad),
            [g.oh, g.ow],
            [g.h, g.w],
            [g.kh, g.kw]
        );
    }
    Ok(())
}
