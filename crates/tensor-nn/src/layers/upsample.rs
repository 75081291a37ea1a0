//! Resampling of images: `Upsample` and `F::interpolate` (modes nearest and bilinear, by an
//! output size or a scale factor, over `[N, C, H, W]` inputs), and `PixelShuffle` /
//! `PixelUnshuffle` (channels to space and back).
//!
//! `interpolate` picks source indices and weights with PyTorch's CPU rules, in its arithmetic
//! (float for float32 and the half types, double for float64): nearest takes `min(floor(dst * scale), in -
//! 1)` with `scale = 1 / scale_factor` when one is given and `in / out` otherwise; bilinear takes
//! `src = scale * dst` with `align_corners` (`scale = (in - 1) / (out - 1)`) and `max(scale *
//! (dst + 0.5) - 0.5, 0)` without. It is composed of `index_select` and weighted sums, so the
//! gradients are those of the composition (each output's gradient added into the pixels it
//! read, by its weight). In f16 / bf16 the weighted sums round after each step, where PyTorch's
//! kernel sums in float and rounds once. The pixel shuffles are a reshape, a permute and a reshape.

use super::pool::stateless;
use crate::{Entry, EntryMut, Module, Visit};
use tensor_autograd::Var;
use tensor_core::{bail, DType, Result, Tensor};

/// How `interpolate` computes each output pixel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InterpolateMode {
    /// The nearest input pixel below the scaled position (`mode='nearest'`).
    Nearest,
    /// Weighted by distance from the four nearest input pixels (`mode='bilinear'`);
    /// `align_corners` maps the corner pixels' centres onto each other.
    Bilinear {
        /// PyTorch's `align_corners` (its default, `None`, is `false`).
        align_corners: bool,
    },
}

/// The output of `interpolate`: a size or a scale factor (height, width).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum UpsampleSize {
    /// `size=(h, w)`.
    Size([usize; 2]),
    /// `scale_factor=(sh, sw)`: the output is `floor(in * scale)`, and the source indices use
    /// the factor itself (PyTorch's `recompute_scale_factor=None`).
    ScaleFactor([f64; 2]),
}

impl From<usize> for UpsampleSize {
    fn from(s: usize) -> Self {
        UpsampleSize::Size([s, s])
    }
}
impl From<[usize; 2]> for UpsampleSize {
    fn from(s: [usize; 2]) -> Self {
        UpsampleSize::Size(s)
    }
}
impl From<f64> for UpsampleSize {
    fn from(s: f64) -> Self {
        UpsampleSize::ScaleFactor([s, s])
    }
}
impl From<[f64; 2]> for UpsampleSize {
    fn from(s: [f64; 2]) -> Self {
        UpsampleSize::ScaleFactor(s)
    }
}

/// Resizes the spatial dims of an `[N, C, H, W]` input, as `F.interpolate(x, size |
/// scale_factor, mode, align_corners)` for modes `nearest` and `bilinear`.
///
/// ```
/// use tensor_nn::functional as F;
/// use tensor_nn::InterpolateMode;
/// use tensor_autograd::Var;
/// use tensor_core::Tensor;
/// let x = Var::constant(Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[1, 1, 2, 2])?);
/// let y = F::interpolate(&x, 2.0, InterpolateMode::Nearest)?;
/// assert_eq!(y.size(), &[1, 1, 4, 4]);
/// assert_eq!(y.tensor().to_vec::<f32>()?[..4], [1.0, 1.0, 2.0, 2.0]);
/// # Ok::<(), tensor_core::Error>(())
/// ```
#[track_caller]
pub fn interpolate(x: &Var, size: impl Into<UpsampleSize>, mode: InterpolateMode) -> Result<Var> {
    const OP: &str = "interpolate";
    if x.dim() != 4 {
        bail!(
            Shape,
            OP,
            "Got {}D input of size {:?}, but only 4D input [N, C, H, W] is supported (mode {:?})",
            x.dim(),
            x.shape(),
            mode
        );
    }
    let input = [x.size()[2], x.size()[3]];
    let (out, scales) = match size.into() {
        UpsampleSize::Size(s) => (s.map(|d| d as f64), [None, None]),
        UpsampleSize::ScaleFactor(s) => {
            if s.iter().any(|f| !f.is_finite()) {
                bail!(Value, OP, "scale_factor must be finite, got {:?}", s);
            }
            ([0, 1].map(|d| (input[d] as f64 * s[d]).floor()), s.map(Some))
        }
    };
    if input.contains(&0) || out.iter().any(|&o| o < 1.0 || o > usize::MAX as f64) {
        bail!(
            Value,
            OP,
            "Input and output sizes should be greater than 0, but got input (H: {}, W: {}) output (H: {}, W: {})",
            input[0],
            input[1],
            out[0],
            out[1]
        );
    }
    let out = out.map(|o| o as usize);
    let device = x.device();
    match mode {
        InterpolateMode::Nearest => {
            let mut y = x.clone();
            for d in 0..2 {
                let idx = nearest_indices(input[d], out[d], scales[d]);
                y = y.index_select(2 + d as isize, &Tensor::new(idx, device)?)?;
            }
            Ok(y)
        }
        InterpolateMode::Bilinear { align_corners } => {
            if !x.dtype().is_float() {
                bail!(DType, OP, "bilinear interpolation expects a floating point input, got {}", x.dtype());
            }
            let single = x.dtype() != DType::F64;
            let mut y = x.clone();
            // Width first, then height: PyTorch's order of the sums.
            for d in [1, 0] {
                let (i0, i1, w0, w1) = linear_taps(input[d], out[d], align_corners, scales[d], single);
                let mut shape = [1isize; 4];
                shape[2 + d] = out[d] as isize;
                let weights = |w: Vec<f64>| -> Result<Var> {
                    Ok(Var::constant(Tensor::new(w, device)?.to_dtype(x.dtype())?.view(&shape)?))
                };
                let dim = 2 + d as isize;
                let a = y.index_select(dim, &Tensor::new(i0, device)?)?.mul(&weights(w0)?)?;
                let b = y.index_select(dim, &Tensor::new(i1, device)?)?.mul(&weights(w1)?)?;
                y = a.add(&b)?;
            }
            Ok(y)
        }
    }
}

/// PyTorch's `compute_scales_value`: `1 / scale_factor` if one was given, else `in / out`.
fn scale_value(input: usize, output: usize, scale: Option<f64>, round: impl Fn(f64) -> f64) -> f64 {
    match scale {
        Some(s) if s > 0.0 => round(1.0 / s),
        _ => round(round(input as f64) / round(output as f64)),
    }
}

/// `nearest_neighbor_compute_source_index`: `min(floor(dst * scale), in - 1)` in float.
fn nearest_indices(input: usize, output: usize, scale: Option<f64>) -> Vec<i64> {
    let f32s = |v: f64| v as f32 as f64;
    let s = scale_value(input, output, scale, f32s);
    (0..output).map(|i| (f32s(f32s(i as f64) * s).floor() as i64).min(input as i64 - 1)).collect()
}

/// The two source indices and weights of each output position along one dim, as PyTorch's
/// `compute_indices_weights_linear` (`single`: in float arithmetic, else double).
fn linear_taps(
    input: usize,
    output: usize,
    align_corners: bool,
    scale: Option<f64>,
    single: bool,
) -> (Vec<i64>, Vec<i64>, Vec<f64>, Vec<f64>) {
    // Each operation rounded to float reproduces float arithmetic exactly.
    let r = |v: f64| if single { v as f32 as f64 } else { v };
    let scale = if align_corners {
        if output > 1 {
            r(r((input - 1) as f64) / r((output - 1) as f64))
        } else {
            0.0
        }
    } else {
        scale_value(input, output, scale, r)
    };
    let (mut i0, mut i1, mut w0, mut w1) = (vec![], vec![], vec![], vec![]);
    for i in 0..output {
        let src = if align_corners { r(scale * r(i as f64)) } else { r(r(scale * r(i as f64 + 0.5)) - 0.5).max(0.0) };
        let lo = (src.floor() as i64).min(input as i64 - 1);
        let lambda = r(src - lo as f64).clamp(0.0, 1.0);
        i0.push(lo);
        i1.push(if lo < input as i64 - 1 { lo + 1 } else { lo });
        w0.push(r(1.0 - lambda));
        w1.push(lambda);
    }
    (i0, i1, w0, w1)
}

/// Resizes images, as `nn.Upsample(size | scale_factor, mode, align_corners)` with modes
/// nearest and bilinear (see [`interpolate`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Upsample {
    /// The output size or scale factor.
    pub size: UpsampleSize,
    /// Nearest or bilinear.
    pub mode: InterpolateMode,
}

impl Upsample {
    /// Resizes to `size` (a size, `[h, w]`, a scale factor or `[sh, sw]`) by `mode`.
    pub fn new(size: impl Into<UpsampleSize>, mode: InterpolateMode) -> Upsample {
        Upsample { size: size.into(), mode }
    }
}

/// Rearranges `[*, C * r², H, W]` into `[*, C, H * r, W * r]`, as `F.pixel_shuffle(x, r)`.
#[track_caller]
pub fn pixel_shuffle(x: &Var, upscale_factor: usize) -> Result<Var> {
    const OP: &str = "pixel_shuffle";
    let r = upscale_factor;
    check_rank(OP, x, r, "upscale_factor")?;
    let n = x.dim();
    let (c, h, w) = (x.size()[n - 3], x.size()[n - 2], x.size()[n - 1]);
    if !c.is_multiple_of(r * r) {
        bail!(
            Shape,
            OP,
            "pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of upscale_factor, but input.size(-3)={} is not divisible by {}",
            c,
            r * r
        );
    }
    let lead = &x.size()[..n - 3];
    let b: usize = lead.iter().product();
    let [b, oc, r_, h_, w_] = [b, c / (r * r), r, h, w].map(|d| d as isize);
    let y = x.reshape(&[b, oc, r_, r_, h_, w_])?.permute(&[0, 1, 4, 2, 5, 3])?;
    y.reshape(&with_lead(lead, [oc, h_ * r_, w_ * r_]))
}

/// Rearranges `[*, C, H * r, W * r]` into `[*, C * r², H, W]`, as `F.pixel_unshuffle(x, r)`.
#[track_caller]
pub fn pixel_unshuffle(x: &Var, downscale_factor: usize) -> Result<Var> {
    const OP: &str = "pixel_unshuffle";
    let r = downscale_factor;
    check_rank(OP, x, r, "downscale_factor")?;
    let n = x.dim();
    let (c, h, w) = (x.size()[n - 3], x.size()[n - 2], x.size()[n - 1]);
    for (what, len, d) in [("height", h, -2), ("width", w, -1)] {
        if !len.is_multiple_of(r) {
            bail!(
                Shape,
                OP,
                "pixel_unshuffle expects {} to be divisible by downscale_factor, but input.size({})={} is not divisible by {}",
                what,
                d,
                len,
                r
            );
        }
    }
    let lead = &x.size()[..n - 3];
    let b: usize = lead.iter().product();
    let [b, c_, r_, oh, ow] = [b, c, r, h / r, w / r].map(|d| d as isize);
    let y = x.reshape(&[b, c_, oh, r_, ow, r_])?.permute(&[0, 1, 3, 5, 2, 4])?;
    y.reshape(&with_lead(lead, [c_ * r_ * r_, oh, ow]))
}

#[track_caller]
fn check_rank(op: &'static str, x: &Var, factor: usize, what: &str) -> Result<()> {
    if x.dim() < 3 {
        bail!(
            Shape,
            op,
            "{op} expects input to have at least 3 dimensions, but got input with {} dimension(s)",
            x.dim()
        );
    }
    if factor == 0 {
        bail!(Value, op, "{op} expects a positive {what}, but got {factor}");
    }
    Ok(())
}

fn with_lead(lead: &[usize], tail: [isize; 3]) -> Vec<isize> {
    lead.iter().map(|&d| d as isize).chain(tail).collect()
}

/// Channels to space, as `nn.PixelShuffle(upscale_factor)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PixelShuffle {
    /// `r`: `[*, C * r², H, W]` becomes `[*, C, H * r, W * r]`.
    pub upscale_factor: usize,
}

impl PixelShuffle {
    /// By `upscale_factor`.
    pub fn new(upscale_factor: usize) -> PixelShuffle {
        PixelShuffle { upscale_factor }
    }
}

/// Space to channels, as `nn.PixelUnshuffle(downscale_factor)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PixelUnshuffle {
    /// `r`: `[*, C, H * r, W * r]` becomes `[*, C * r², H, W]`.
    pub downscale_factor: usize,
}

impl PixelUnshuffle {
    /// By `downscale_factor`.
    pub fn new(downscale_factor: usize) -> PixelUnshuffle {
        PixelUnshuffle { downscale_factor }
    }
}

stateless!(Upsample, PixelShuffle, PixelUnshuffle);

impl Module for Upsample {
    #[track_caller]
    fn forward(&self, x: &Var) -> Result<Var> {
        interpolate(x, self.size, self.mode)
    }
}
impl Module for PixelShuffle {
    #[track_caller]
    fn forward(&self, x: &Var) -> Result<Var> {
        pixel_shuffle(x, self.upscale_factor)
    }
}
impl Module for PixelUnshuffle {
    #[track_caller]
    fn forward(&self, x: &Var) -> Result<Var> {
        pixel_unshuffle(x, self.downscale_factor)
    }
}
