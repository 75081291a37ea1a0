//! 1-d convolution, as `F.conv1d`: the 2-d convolution of the input with a unit height (its
//! shapes checked first, with PyTorch's 1-d wording). Inputs are NCL (a 2-d CL input is one
//! sequence, and the result is 2-d too), weights `[out_channels, in_channels / groups, k]`.
//!
//! ```
//! use tensor_core::{Tensor, DType, Device};
//! use tensor_core::ops::conv::Conv1dParams;
//! let x = Tensor::ones(&[1, 1, 5], DType::F32, &Device::Cpu)?;
//! let w = Tensor::ones(&[1, 1, 3], DType::F32, &Device::Cpu)?;
//! let y = x.conv1d(&w, None, Conv1dParams { padding: 1, ..Default::default() })?;
//! assert_eq!(y.to_vec::<f32>()?, [2.0, 3.0, 3.0, 3.0, 2.0]);
//! # Ok::<(), tensor_core::Error>(())
//! ```

use super::{conv_output_len, Conv2dParams};
use crate::{bail, Result, Tensor};

/// Stride, zero padding, dilation and groups of a 1-d convolution, as the keyword arguments of
/// `F.conv1d`. The default is PyTorch's: stride 1, padding 0, dilation 1, one group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Conv1dParams {
    /// Step between windows.
    pub stride: usize,
    /// Zeros added on each side.
    pub padding: usize,
    /// Spacing between kernel taps.
    pub dilation: usize,
    /// Blocked connections from input to output channels.
    pub groups: usize,
}

impl Default for Conv1dParams {
    fn default() -> Self {
        Conv1dParams { stride: 1, padding: 0, dilation: 1, groups: 1 }
    }
}

impl Conv1dParams {
    /// The same convolution over images of height 1.
    pub fn to_2d(&self) -> Conv2dParams {
        Conv2dParams {
            stride: [1, self.stride],
            padding: [0, self.padding],
            dilation: [1, self.dilation],
            groups: self.groups,
        }
    }
}

/// Checks `conv1d`'s shapes as PyTorch does (input `[n, c, l]` or `[c, l]`, weight `[o, c /
/// groups, k]`) and returns the output length.
#[track_caller]
pub fn conv1d_output_len(input: &[usize], weight: &[usize], params: &Conv1dParams) -> Result<usize> {
    const OP: &str = "conv1d";
    params.to_2d().check(OP)?;
    let batched: [usize; 3] = match *input {
        [n, c, l] => [n, c, l],
        [c, l] => [1, c, l],
        _ => bail!(
            Shape,
            OP,
            "Expected 2D (unbatched) or 3D (batched) input to conv1d, but got input of size: {:?}",
            input
        ),
    };
    if weight.len() != 3 {
        bail!(
            Shape,
            OP,
            "Expected 3-dimensional weight for 3-dimensional input {:?}, but got {}-dimensional weight of size {:?} instead",
            batched,
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
    if batched[1] != weight[1] * groups {
        bail!(
            Shape,
            OP,
            "Given groups={}, weight of size {:?}, expected input{:?} to have {} channels, but got {} channels instead",
            groups,
            weight,
            batched,
            weight[1] * groups,
            batched[1]
        );
    }
    if weight[2] == 0 {
        bail!(Shape, OP, "kernel size should be greater than zero, but got weight of size {:?}", weight);
    }
    match conv_output_len(batched[2], weight[2], params.stride, params.padding, params.dilation) {
        Some(l) => Ok(l),
        None => bail!(
            Shape,
            OP,
            "Calculated padded input size per channel: ({}). Kernel size: ({}). Kernel size can't be greater than actual input size",
            batched[2].saturating_add(params.padding.saturating_mul(2)),
            params.dilation.saturating_mul(weight[2] - 1).saturating_add(1)
        ),
    }
}

impl Tensor {
    /// 1-d convolution (cross-correlation) of an NCL (or CL) input with `weight`
    /// (`[out_channels, in_channels / groups, k]`) plus an optional `bias` (`[out_channels]`), as
    /// `F.conv1d(x, weight, bias, stride, padding, dilation, groups)`.
    #[track_caller]
    pub fn conv1d(&self, weight: &Tensor, bias: Option<&Tensor>, params: Conv1dParams) -> Result<Tensor> {
        conv1d_output_len(self.size(), weight.size(), &params)?;
        let h = self.dim() as isize - 1;
        self.unsqueeze(h)?.conv2d(&weight.unsqueeze(2)?, bias, params.to_2d())?.squeeze_dim(h)
    }
}
