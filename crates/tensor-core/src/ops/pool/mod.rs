//! 2-d pooling: `max_pool2d` (with indices), `avg_pool2d`, `adaptive_avg_pool2d`, and the
//! gradients their backward passes need.
//!
//! Inputs are NCHW, or CHW for one image (the results are then 3-d too). Output sizes follow
//! PyTorch, `ceil_mode` included: with it, a last window that would start past the input and its
//! left padding is dropped. Padding is at most half the kernel; max pooling pads with -inf, and
//! its indices are flat `h * w` positions within each plane, as `F.max_pool2d(...,
//! return_indices=True)` gives them.
//!
//! ```
//! use tensor_core::{Tensor, Device};
//! let x = Tensor::arange(0.0, 16.0, 1.0, &Device::Cpu)?.reshape(&[1, 1, 4, 4])?;
//! let (v, i) = x.max_pool2d_with_indices([2, 2], [2, 2], [0, 0], [1, 1], false)?;
//! assert_eq!(v.to_vec::<f32>()?, [5.0, 7.0, 13.0, 15.0]);
//! assert_eq!(i.to_vec::<i64>()?, [5, 7, 13, 15]);
//! # Ok::<(), tensor_core::Error>(())
//! ```

pub(crate) mod backend;
pub(crate) mod cpu;
mod max;

use crate::backend::Conv2dGeometry;
use crate::ops::conv::{as_batch, unbatch};
use crate::{bail, DType, Result, Tensor};
use alloc::vec::Vec;

/// The output length of a pooling window along one dim, as PyTorch's `pooling_output_shape`
/// (may be zero or negative for a window that does not fit).
pub fn pool_output_len(
    input: usize,
    kernel: usize,
    stride: usize,
    padding: usize,
    dilation: usize,
    ceil_mode: bool,
) -> isize {
    let (i, k, s, p, d) =
        (input as isize, kernel as isize, stride.max(1) as isize, padding as isize, dilation as isize);
    let num = i + 2 * p - d * (k - 1) - 1 + if ceil_mode { s - 1 } else { 0 };
    let mut out = num.div_euclid(s) + 1;
    // The last window must start inside the input or its left padding.
    if ceil_mode && (out - 1) * s >= i + p {
        out -= 1;
    }
    out
}

/// The geometry of a pooling window over a 4-d input shape, checked as PyTorch's
/// `pool2d_shape_check`.
#[allow(clippy::too_many_arguments)]
#[track_caller]
pub fn pool2d_geometry(
    op: &'static str,
    input: &[usize],
    kernel: [usize; 2],
    stride: [usize; 2],
    padding: [usize; 2],
    dilation: [usize; 2],
    ceil_mode: bool,
) -> Result<Conv2dGeometry> {
    if kernel.contains(&0) {
        bail!(Value, op, "kernel size should be greater than zero, but got kH: {} kW: {}", kernel[0], kernel[1]);
    }
    if stride.contains(&0) {
        bail!(Value, op, "stride should be greater than zero, but got dH: {} dW: {}", stride[0], stride[1]);
    }
    if dilation.contains(&0) {
        bail!(
            Value,
            op,
            "dilation should be greater than zero, but got dilationH: {} dilationW: {}",
            dilation[0],
            dilation[1]
        );
    }
    if padding[0] > kernel[0] / 2 || padding[1] > kernel[1] / 2 {
        bail!(
            Value,
            op,
            "pad should be smaller than or equal to half of kernel size, but got padW = {}, padH = {}, kW = {}, kH = {}",
            padding[1],
            padding[0],
            kernel[1],
            kernel[0]
        );
    }
    if input.len() != 4 || input[1..].contains(&0) {
        bail!(Shape, op, "non-empty 3D or 4D (batch mode) tensor expected for input, but got {:?}", input);
    }
    let out = |d: usize| pool_output_len(input[2 + d], kernel[d], stride[d], padding[d], dilation[d], ceil_mode);
    let (oh, ow) = (out(0), out(1));
    if oh < 1 || ow < 1 {
        bail!(
            Shape,
            op,
            "Given input size: ({}x{}x{}). Calculated output size: ({}x{}x{}). Output size is too small",
            input[1],
            input[2],
            input[3],
            input[1],
            oh,
            ow
        );
    }
    Ok(Conv2dGeometry {
        batch: input[0],
        c: input[1],
        h: input[2],
        w: input[3],
        kh: kernel[0],
        kw: kernel[1],
        sh: stride[0],
        sw: stride[1],
        ph: padding[0],
        pw: padding[1],
        dh: dilation[0],
        dw: dilation[1],
        oh: oh as usize,
        ow: ow as usize,
    })
}

/// A 4-d view of a 3-d or 4-d float input, and whether it was 3-d.
#[track_caller]
fn batched(op: &'static str, x: &Tensor) -> Result<(Tensor, bool)> {
    if !x.is_floating_point() {
        bail!(DType, op, "\"{}\" not implemented for '{}': expected a floating point input", op, x.dtype());
    }
    match as_batch(x)? {
        Some(b) => Ok(b),
        None => bail!(Shape, op, "non-empty 3D or 4D (batch mode) tensor expected for input, but got {:?}", x.shape()),
    }
}

/// `input_shape` as 4-d (and whether it was 3-d).
#[track_caller]
fn shape4(op: &'static str, input_shape: &[usize]) -> Result<([usize; 4], bool)> {
    match *input_shape {
        [n, c, h, w] => Ok(([n, c, h, w], false)),
        [c, h, w] => Ok(([1, c, h, w], true)),
        _ => bail!(Shape, op, "expected a 3-d or 4-d input shape, got {:?}", input_shape),
    }
}

fn out_shape(g: &Conv2dGeometry, was_3d: bool) -> Vec<usize> {
    let mut s = alloc::vec![g.batch, g.c, g.oh, g.ow];
    if was_3d {
        s.remove(0);
    }
    s
}

/// Checks that a gradient has the forward output's shape, and returns it as 4-d.
#[track_caller]
fn check_grad(op: &'static str, grad: &Tensor, g: &Conv2dGeometry, was_3d: bool) -> Result<Tensor> {
    let want = out_shape(g, was_3d);
    if grad.size() != want.as_slice() {
        bail!(Shape, op, "grad_output of size {:?} does not match the pooling output size {:?}", grad.shape(), want);
    }
    if !grad.is_floating_point() {
        bail!(DType, op, "expected a floating point grad_output, got {}", grad.dtype());
    }
    if was_3d {
        grad.unsqueeze(0)
    } else {
        Ok(grad.shallow_clone())
    }
}

impl Tensor {
    /// Max pooling with the flat `h * w` index of each maximum, as
    /// `F.max_pool2d(x, kernel, stride, padding, dilation, ceil_mode, return_indices=True)`.
    /// NaN wins over every number.
    #[track_caller]
    pub fn max_pool2d_with_indices(
        &self,
        kernel: [usize; 2],
        stride: [usize; 2],
        padding: [usize; 2],
        dilation: [usize; 2],
        ceil_mode: bool,
    ) -> Result<(Tensor, Tensor)> {
        const OP: &str = "max_pool2d";
        let (x, was_3d) = batched(OP, self)?;
        let g = pool2d_geometry(OP, x.size(), kernel, stride, padding, dilation, ceil_mode)?;
        let (v, i) = x.read("max_pool2d")?.max_pool2d(x.layout(), &g)?;
        let shape = out_shape(&g, false);
        let v = Tensor::from_op(v, shape.as_slice(), self.device());
        let i = Tensor::from_op(i, shape.as_slice(), self.device());
        Ok((unbatch(v, was_3d)?, unbatch(i, was_3d)?))
    }

    /// Max pooling, as `F.max_pool2d(x, kernel, stride, padding, dilation, ceil_mode)`.
    #[track_caller]
    pub fn max_pool2d(
        &self,
        kernel: [usize; 2],
        stride: [usize; 2],
        padding: [usize; 2],
        dilation: [usize; 2],
        ceil_mode: bool,
    ) -> Result<Tensor> {
        Ok(self.max_pool2d_with_indices(kernel, stride, padding, dilation, ceil_mode)?.0)
    }

    /// Average pooling, as `F.avg_pool2d(x, kernel, stride, padding, ceil_mode,
    /// count_include_pad)`: with `count_include_pad` the divisor counts the padding inside each
    /// window; windows that `ceil_mode` lets run past the padding never count that part.
    #[track_caller]
    pub fn avg_pool2d(
        &self,
        kernel: [usize; 2],
        stride: [usize; 2],
        padding: [usize; 2],
        ceil_mode: bool,
        count_include_pad: bool,
    ) -> Result<Tensor> {
        const OP: &str = "avg_pool2d";
        let (x, was_3d) = batched(OP, self)?;
        let g = pool2d_geometry(OP, x.size(), kernel, stride, padding, [1, 1], ceil_mode)?;
        let s = x.read("avg_pool2d")?.avg_pool2d(x.layout(), &g, count_include_pad)?;
        unbatch(Tensor::from_op(s, out_shape(&g, false).as_slice(), self.device()), was_3d)
    }

    /// Adaptive average pooling to `output_size`, as `F.adaptive_avg_pool2d`: output cell `i`
    /// averages input rows `floor(i * h / oh)..ceil((i + 1) * h / oh)` (and likewise columns).
    #[track_caller]
    pub fn adaptive_avg_pool2d(&self, output_size: [usize; 2]) -> Result<Tensor> {
        const OP: &str = "adaptive_avg_pool2d";
        let (x, was_3d) = batched(OP, self)?;
        let d = x.size();
        if d[1..].contains(&0) || output_size.contains(&0) {
            bail!(
                Shape,
                OP,
                "expected a non-empty input and a positive output_size, got input of size {:?} and output_size {:?}",
                self.shape(),
                output_size
            );
        }
        let (h, w) = (d[2], d[3]);
        let out = if output_size == [1, 1] {
            // Global average pooling: a mean over each plane.
            x.mean_dim(&[2, 3], true)?
        } else if h.is_multiple_of(output_size[0]) && w.is_multiple_of(output_size[1]) {
            let k = [h / output_size[0], w / output_size[1]];
            x.avg_pool2d(k, k, [0, 0], false, true)?
        } else {
            let rows = adaptive_matrix(output_size[0], h, &x)?;
            let cols = adaptive_matrix(output_size[1], w, &x)?;
            rows.matmul(&x.matmul(&cols.t()?)?)?
        };
        unbatch(out, was_3d)
    }
}

/// The `[out, len]` matrix whose row `i` averages adaptive window `i`, in `like`'s dtype and
/// on its device.
#[track_caller]
fn adaptive_matrix(out: usize, len: usize, like: &Tensor) -> Result<Tensor> {
    let mut m = alloc::vec![0.0f64; out * len];
    for i in 0..out {
        let (a, b) = ((i * len) / out, ((i + 1) * len).div_ceil(out));
        for v in &mut m[i * len + a..i * len + b] {
            *v = 1.0 / (b - a) as f64;
        }
    }
    Tensor::from_vec(m, [out, len])?.to(like.device(), like.dtype())
}

/// Gradient of [`Tensor::max_pool2d_with_indices`]: each output gradient is added at the input
/// position its index names. `input_shape` is the forward input's (3-d or 4-d).
#[allow(clippy::too_many_arguments)]
#[track_caller]
pub fn max_pool2d_backward(
    grad_out: &Tensor,
    indices: &Tensor,
    input_shape: &[usize],
    kernel: [usize; 2],
    stride: [usize; 2],
    padding: [usize; 2],
    dilation: [usize; 2],
    ceil_mode: bool,
) -> Result<Tensor> {
    const OP: &str = "max_pool2d_backward";
    let (shape, was_3d) = shape4(OP, input_shape)?;
    let g = pool2d_geometry(OP, &shape, kernel, stride, padding, dilation, ceil_mode)?;
    let gr = check_grad(OP, grad_out, &g, was_3d)?;
    if indices.shape() != grad_out.shape() || indices.dtype() != DType::I64 {
        bail!(
            Shape,
            OP,
            "expected int64 indices of grad_output's size {:?}, got {} indices of size {:?}",
            grad_out.shape(),
            indices.dtype(),
            indices.shape()
        );
    }
    grad_out.same_device(OP, &[indices])?;
    let idx = if was_3d { indices.unsqueeze(0)? } else { indices.shallow_clone() };
    let s = Tensor::read_all("max_pool2d_backward", [&gr, &idx], |[a, b]| {
        a.max_pool2d_backward(gr.layout(), b, idx.layout(), &g)
    })?;
    unbatch(Tensor::from_op(s, shape, grad_out.device()), was_3d)
}

/// Gradient of [`Tensor::avg_pool2d`]; `input_shape` is the forward input's (3-d or 4-d).
#[track_caller]
pub fn avg_pool2d_backward(
    grad_out: &Tensor,
    input_shape: &[usize],
    kernel: [usize; 2],
    stride: [usize; 2],
    padding: [usize; 2],
    ceil_mode: bool,
    count_include_pad: bool,
) -> Result<Tensor> {
    const OP: &str = "avg_pool2d_backward";
    let (shape, was_3d) = shape4(OP, input_shape)?;
    let g = pool2d_geometry(OP, &shape, kernel, stride, padding, [1, 1], ceil_mode)?;
    let gr = check_grad(OP, grad_out, &g, was_3d)?;
    let s = gr.read("avg_pool2d_backward")?.avg_pool2d_backward(gr.layout(), &g, count_include_pad)?;
    unbatch(Tensor::from_op(s, shape, grad_out.device()), was_3d)
}

/// Gradient of [`Tensor::adaptive_avg_pool2d`]; `input_shape` is the forward input's.
#[track_caller]
pub fn adaptive_avg_pool2d_backward(grad_out: &Tensor, input_shape: &[usize]) -> Result<Tensor> {
    const OP: &str = "adaptive_avg_pool2d_backward";
    let (shape, was_3d) = shape4(OP, input_shape)?;
    let (gr, g3) = batched(OP, grad_out)?;
    if g3 != was_3d || gr.size()[..2] != shape[..2] || shape[2..].contains(&0) || gr.size()[2..].contains(&0) {
        bail!(Shape, OP, "grad_output of size {:?} does not fit an input of size {:?}", grad_out.shape(), input_shape);
    }
    let (h, w, oh, ow) = (shape[2], shape[3], gr.size()[2], gr.size()[3]);
    let out = if (oh, ow) == (1, 1) {
        // Global average pooling: each plane's gradient spread evenly over it.
        gr.div((h * w) as f64)?.broadcast_to(&crate::Shape::new(&shape))?.contiguous()?
    } else if h.is_multiple_of(oh) && w.is_multiple_of(ow) {
        let k = [h / oh, w / ow];
        let in_shape: &[usize] = &shape;
        avg_pool2d_backward(&gr, in_shape, k, k, [0, 0], false, true)?
    } else {
        let rows = adaptive_matrix(oh, h, &gr)?;
        let cols = adaptive_matrix(ow, w, &gr)?;
        rows.t()?.matmul(&gr.matmul(&cols)?)?
    };
    unbatch(out, was_3d)
}
