//! Transposed 2-d convolution, as `F.conv_transpose2d`: the input gradient of the `conv2d` that
//! maps the output's size onto the input's, so it is one [`conv2d_backward_input`] backend call
//! (plus the bias). Shapes and errors follow PyTorch: weight `[in_channels, out_channels /
//! groups, kh, kw]`, output size `(h - 1) * stride - 2 * padding + dilation * (k - 1) +
//! output_padding + 1` per spatial dim.
//!
//! ```
//! use tensor_core::{Tensor, DType, Device};
//! use tensor_core::ops::conv::ConvTranspose2dParams;
//! let x = Tensor::ones(&[1, 1, 2, 2], DType::F32, &Device::Cpu)?;
//! let w = Tensor::ones(&[1, 1, 2, 2], DType::F32, &Device::Cpu)?;
//! let y = x.conv_transpose2d(&w, None, ConvTranspose2dParams::default())?;
//! assert_eq!(y.size(), &[1, 1, 3, 3]);
//! assert_eq!(y.to_vec::<f32>()?, [1.0, 2.0, 1.0, 2.0, 4.0, 2.0, 1.0, 2.0, 1.0]);
//! # Ok::<(), tensor_core::Error>(())
//! ```

use super::{batched, check_dtypes, conv2d_backward_input, conv_output_len, unbatch, Conv2dParams};
use crate::{bail, PadMode, Result, Tensor};

/// Stride, zero padding, output padding, dilation and groups of a transposed 2-d convolution,
/// as the keyword arguments of `F.conv_transpose2d`. The default is PyTorch's: stride 1,
/// padding 0, output padding 0, dilation 1, one group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConvTranspose2dParams {
    /// Step between the input's pixels in the output (height, width).
    pub stride: [usize; 2],
    /// `dilation * (k - 1) - padding` zeros around the input (height, width): the padding of
    /// the `conv2d` this op is the transpose of.
    pub padding: [usize; 2],
    /// Extra rows / columns at the bottom / right of the output (height, width); each must be
    /// smaller than its stride or its dilation.
    pub output_padding: [usize; 2],
    /// Spacing between kernel taps (height, width).
    pub dilation: [usize; 2],
    /// Blocked connections from input to output channels.
    pub groups: usize,
}

impl Default for ConvTranspose2dParams {
    fn default() -> Self {
        ConvTranspose2dParams { stride: [1, 1], padding: [0, 0], output_padding: [0, 0], dilation: [1, 1], groups: 1 }
    }
}

impl ConvTranspose2dParams {
    /// The `conv2d` whose input gradient this op is.
    pub fn as_conv(&self) -> Conv2dParams {
        Conv2dParams { stride: self.stride, padding: self.padding, dilation: self.dilation, groups: self.groups }
    }

    /// The output's height and width for an input of `input_hw` and a kernel of `kernel`,
    /// checking the parameters as PyTorch does.
    #[track_caller]
    pub fn output_size(&self, input_hw: [usize; 2], kernel: [usize; 2]) -> Result<[usize; 2]> {
        const OP: &str = "conv_transpose2d";
        self.as_conv().check(OP)?;
        for d in 0..2 {
            let op = self.output_padding[d];
            if op >= self.stride[d] && op >= self.dilation[d] {
                bail!(
                    Value,
                    OP,
                    "output padding must be smaller than either stride or dilation, but got output_padding {:?}, stride {:?}, dilation {:?}",
                    self.output_padding,
                    self.stride,
                    self.dilation
                );
            }
        }
        // (h - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1, signed.
        let len = |d: usize| -> Option<i128> {
            let (h, k) = (input_hw[d] as i128, kernel[d].max(1) as i128);
            let strided = (h - 1).checked_mul(self.stride[d] as i128)?;
            let span = (self.dilation[d] as i128).checked_mul(k - 1)?;
            strided
                .checked_sub(2 * self.padding[d] as i128)?
                .checked_add(span)?
                .checked_add(self.output_padding[d] as i128 + 1)
        };
        let (oh, ow) = (len(0).unwrap_or(-1), len(1).unwrap_or(-1));
        if oh <= 0 || ow <= 0 || kernel.contains(&0) || input_hw.contains(&0) {
            bail!(
                Shape,
                OP,
                "Given input size per channel: ({} x {}). Calculated output size per channel: ({} x {}). Output size is too small",
                input_hw[0],
                input_hw[1],
                oh,
                ow
            );
        }
        let (oh, ow) = (usize::try_from(oh), usize::try_from(ow));
        let (Ok(oh), Ok(ow)) = (oh, ow) else {
            bail!(Shape, OP, "the output size overflows for input {:?} and kernel {:?}", input_hw, kernel);
        };
        Ok([oh, ow])
    }

    /// The input size that the `conv2d` of [`as_conv`](Self::as_conv) gives for an image of
    /// `output_hw`: the input's own size, plus one row (column) when the output padding is at
    /// least the stride (the extra rows meet only zeros).
    pub fn covered_input(&self, output_hw: [usize; 2], kernel: [usize; 2]) -> Option<[usize; 2]> {
        let len =
            |d: usize| conv_output_len(output_hw[d], kernel[d], self.stride[d], self.padding[d], self.dilation[d]);
        Some([len(0)?, len(1)?])
    }
}

impl Tensor {
    /// Transposed 2-d convolution of an NCHW (or CHW) input with `weight` (`[in_channels,
    /// out_channels / groups, kh, kw]`) plus an optional `bias` (`[out_channels]`), as
    /// `F.conv_transpose2d(x, weight, bias, stride, padding, output_padding, groups, dilation)`.
    #[track_caller]
    pub fn conv_transpose2d(
        &self,
        weight: &Tensor,
        bias: Option<&Tensor>,
        params: ConvTranspose2dParams,
    ) -> Result<Tensor> {
        const OP: &str = "conv_transpose2d";
        params.as_conv().check(OP)?;
        let (x, was_3d) = batched(OP, "input", self)?;
        check_dtypes(OP, &x, &[weight])?;
        let (xs, ws) = (x.size(), weight.size());
        if ws.len() != 4 {
            bail!(
                Shape,
                OP,
                "Expected 4-dimensional weight for 4-dimensional input {:?}, but got {}-dimensional weight of size {:?} instead",
                xs,
                ws.len(),
                ws
            );
        }
        let groups = params.groups;
        if !ws[0].is_multiple_of(groups) {
            bail!(
                Shape,
                OP,
                "Given groups={}, expected weight to be divisible by {} at dimension 0, but got weight of size {:?} instead",
                groups,
                groups,
                ws
            );
        }
        if xs[1] != ws[0] {
            bail!(
                Shape,
                OP,
                "Given transposed=1, weight of size {:?}, expected input{:?} to have {} channels, but got {} channels instead",
                ws,
                xs,
                ws[0],
                xs[1]
            );
        }
        let kernel = [ws[2], ws[3]];
        let out_hw = params.output_size([xs[2], xs[3]], kernel)?;
        let o = ws[1] * groups;
        if let Some(b) = bias {
            check_dtypes(OP, &x, &[b])?;
            if b.dim() != 1 || b.size()[0] != o {
                bail!(
                    Shape,
                    OP,
                    "Given transposed=1, weight of size {:?}, expected bias to be 1-dimensional with {} elements, but got bias of size {:?} instead",
                    ws,
                    o,
                    b.shape()
                );
            }
        }
        let x = pad_to_covered(&x, &params, out_hw, kernel)?;
        let mut out = conv2d_backward_input(&x, weight, out_hw, params.as_conv())?;
        if let Some(b) = bias {
            out.add_(&b.view(&[1, o as isize, 1, 1])?)?;
        }
        unbatch(out, was_3d)
    }
}

/// `x` (4-d) with zero rows / columns at the end up to the size the `conv2d` of `out_hw` gives,
/// which exceeds the input's by one where the output padding is at least the stride.
#[track_caller]
fn pad_to_covered(
    x: &Tensor,
    params: &ConvTranspose2dParams,
    out_hw: [usize; 2],
    kernel: [usize; 2],
) -> Result<Tensor> {
    let (h, w) = (x.size()[2], x.size()[3]);
    match params.covered_input(out_hw, kernel) {
        Some([ch, cw]) if ch >= h && cw >= w => {
            if [ch, cw] == [h, w] {
                Ok(x.shallow_clone())
            } else {
                x.pad(&[0, cw - w, 0, ch - h], PadMode::Constant(0.0))
            }
        }
        _ => bail!(
            Shape,
            "conv_transpose2d",
            "the output size {:?} does not cover the input {:?} with kernel {:?}",
            out_hw,
            [h, w],
            kernel
        ),
    }
}
