//! Pooling, as `F.max_pool2d`, `F.avg_pool2d`, `F.adaptive_avg_pool2d` and their 1-d forms:
//! the window size is an argument, every keyword argument an option with PyTorch's default
//! (`stride=None` is the window size).

use crate::Pair;
use tensor_autograd::Var;
use tensor_core::{bail, Result, Tensor};

/// The keyword arguments of [`max_pool2d`], with PyTorch's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaxPool2dOptions {
    /// Step between windows; `None` (the default) is the window size.
    pub stride: Option<[usize; 2]>,
    /// Implicit `-inf` padding on each side (0).
    pub padding: [usize; 2],
    /// Spacing of the window taps (1).
    pub dilation: [usize; 2],
    /// Round the output size up instead of down (false).
    pub ceil_mode: bool,
}

impl Default for MaxPool2dOptions {
    fn default() -> Self {
        MaxPool2dOptions { stride: None, padding: [0, 0], dilation: [1, 1], ceil_mode: false }
    }
}

impl MaxPool2dOptions {
    fn resolve(&self, kernel: [usize; 2]) -> ([usize; 2], [usize; 2]) {
        (self.stride.unwrap_or(kernel), self.dilation)
    }
}

/// Max pooling of `[N, C, H, W]` (or `[C, H, W]`) over windows of `kernel_size`, as
/// `F.max_pool2d(x, kernel_size, stride, padding, dilation, ceil_mode)`.
///
/// ```
/// use tensor_autograd::Var;
/// use tensor_core::Tensor;
/// use tensor_nn::functional::{self as F, MaxPool2dOptions};
/// let x = Var::constant(Tensor::arange(0f32, 16.0, 1.0, &tensor_core::Device::Cpu)?.reshape(&[1, 1, 4, 4])?);
/// let y = F::max_pool2d(&x, 2, MaxPool2dOptions::default())?;
/// assert_eq!(y.tensor().to_vec::<f32>()?, [5.0, 7.0, 13.0, 15.0]);
/// # Ok::<(), tensor_core::Error>(())
/// ```
#[track_caller]
pub fn max_pool2d(x: &Var, kernel_size: impl Into<Pair>, opts: MaxPool2dOptions) -> Result<Var> {
    let kernel = kernel_size.into().0;
    let (stride, dilation) = opts.resolve(kernel);
    x.max_pool2d(kernel, stride, opts.padding, dilation, opts.ceil_mode)
}

/// [`max_pool2d`] and the flat index (`h * W + w` in the input plane) of each maximum, as
/// `F.max_pool2d(..., return_indices=True)` (the indices are int64). The indices come from a
/// second, unrecorded pooling of the values.
#[track_caller]
pub fn max_pool2d_with_indices(x: &Var, kernel_size: impl Into<Pair>, opts: MaxPool2dOptions) -> Result<(Var, Tensor)> {
    let kernel = kernel_size.into().0;
    let (stride, dilation) = opts.resolve(kernel);
    let (_, indices) =
        x.tensor_ref().max_pool2d_with_indices(kernel, stride, opts.padding, dilation, opts.ceil_mode)?;
    Ok((x.max_pool2d(kernel, stride, opts.padding, dilation, opts.ceil_mode)?, indices))
}

/// The keyword arguments of [`avg_pool2d`], with PyTorch's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AvgPool2dOptions {
    /// Step between windows; `None` (the default) is the window size.
    pub stride: Option<[usize; 2]>,
    /// Implicit zero padding on each side (0).
    pub padding: [usize; 2],
    /// Round the output size up instead of down (false).
    pub ceil_mode: bool,
    /// Count the padding zeros in each window's divisor (true).
    pub count_include_pad: bool,
    /// Divide every window's sum by this instead (`None`); not with `ceil_mode` here.
    pub divisor_override: Option<usize>,
}

impl Default for AvgPool2dOptions {
    fn default() -> Self {
        AvgPool2dOptions {
            stride: None,
            padding: [0, 0],
            ceil_mode: false,
            count_include_pad: true,
            divisor_override: None,
        }
    }
}

/// Average pooling of `[N, C, H, W]` (or `[C, H, W]`) over windows of `kernel_size`, as
/// `F.avg_pool2d(x, kernel_size, stride, padding, ceil_mode, count_include_pad,
/// divisor_override)`.
#[track_caller]
pub fn avg_pool2d(x: &Var, kernel_size: impl Into<Pair>, opts: AvgPool2dOptions) -> Result<Var> {
    let kernel = kernel_size.into().0;
    let stride = opts.stride.unwrap_or(kernel);
    match opts.divisor_override {
        None => x.avg_pool2d(kernel, stride, opts.padding, opts.ceil_mode, opts.count_include_pad),
        Some(0) => bail!(Value, "avg_pool2d", "divisor must be not zero"),
        Some(_) if opts.ceil_mode => {
            bail!(Unsupported, "avg_pool2d", "divisor_override with ceil_mode=True is not supported")
        }
        // Without ceil_mode every window counting the padding has kernel_h * kernel_w taps, so
        // that average times their number is the window's sum.
        Some(d) => {
            x.avg_pool2d(kernel, stride, opts.padding, false, true)?.mul((kernel[0] * kernel[1]) as f64 / d as f64)
        }
    }
}

/// Average pooling to `output_size` (height, width), as `F.adaptive_avg_pool2d`.
#[track_caller]
pub fn adaptive_avg_pool2d(x: &Var, output_size: impl Into<Pair>) -> Result<Var> {
    x.adaptive_avg_pool2d(output_size.into().0)
}

/// `[N, C, L]` (or `[C, L]`) as a plane of height 1, the pool, and back.
#[track_caller]
fn pool1d(x: &Var, op: impl FnOnce(&Var) -> Result<Var>) -> Result<Var> {
    op(&x.unsqueeze(-2)?)?.squeeze_dim(-2)
}

/// The keyword arguments of [`max_pool1d`] and [`avg_pool1d`], with PyTorch's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pool1dOptions {
    /// Step between windows; `None` (the default) is the window size.
    pub stride: Option<usize>,
    /// Implicit padding on each side (0).
    pub padding: usize,
    /// Spacing of the window taps (1; max pooling only).
    pub dilation: usize,
    /// Round the output size up instead of down (false).
    pub ceil_mode: bool,
    /// Count the padding zeros in each window's divisor (true; average pooling only).
    pub count_include_pad: bool,
}

impl Default for Pool1dOptions {
    fn default() -> Self {
        Pool1dOptions { stride: None, padding: 0, dilation: 1, ceil_mode: false, count_include_pad: true }
    }
}

/// Max pooling of `[N, C, L]` (or `[C, L]`), as `F.max_pool1d`.
#[track_caller]
pub fn max_pool1d(x: &Var, kernel_size: usize, opts: Pool1dOptions) -> Result<Var> {
    let stride = opts.stride.unwrap_or(kernel_size);
    pool1d(x, |p| p.max_pool2d([1, kernel_size], [1, stride], [0, opts.padding], [1, opts.dilation], opts.ceil_mode))
}

/// Average pooling of `[N, C, L]` (or `[C, L]`), as `F.avg_pool1d`.
#[track_caller]
pub fn avg_pool1d(x: &Var, kernel_size: usize, opts: Pool1dOptions) -> Result<Var> {
    let stride = opts.stride.unwrap_or(kernel_size);
    pool1d(x, |p| {
        p.avg_pool2d([1, kernel_size], [1, stride], [0, opts.padding], opts.ceil_mode, opts.count_include_pad)
    })
}

/// Average pooling of `[N, C, L]` (or `[C, L]`) to `output_size`, as `F.adaptive_avg_pool1d`.
#[track_caller]
pub fn adaptive_avg_pool1d(x: &Var, output_size: usize) -> Result<Var> {
    pool1d(x, |p| p.adaptive_avg_pool2d([1, output_size]))
}
