//! `torch.nn.functional`: the layers' operations as functions, under PyTorch's names.
//!
//! Arguments PyTorch requires are arguments; its keyword arguments with defaults are the fields
//! of an options struct that implements `Default` with PyTorch's values
//! (`F::max_pool2d(&x, 2, MaxPool2dOptions { padding: [1, 1], ..Default::default() })`), or,
//! for one number, a plain argument whose default the docs give (`F::leaky_relu(&x, 0.01)`).
//! One file per family (activations and softmax; pooling; normalisation and distances) and,
//! here, linear maps, convolutions, dropout, embedding, one-hot, padding and `where_`. The
//! losses are [`crate::loss`]'s, re-exported.
//!
//! ```
//! use tensor_autograd::Var;
//! use tensor_core::{DType, Device, Tensor};
//! use tensor_nn::functional::{self as F, GeluApproximate, NormalizeOptions};
//! let x = Var::constant(Tensor::from_vec(vec![-1.0f32, 0.0, 3.0, 4.0], &[2, 2])?);
//! let y = F::normalize(&F::relu(&x)?, NormalizeOptions::default())?;
//! assert_eq!(y.tensor().to_vec::<f32>()?, [0.0, 0.0, 0.6, 0.8]);
//! let g = F::gelu(&x, GeluApproximate::Tanh)?;
//! assert_eq!(g.size(), &[2, 2]);
//! # Ok::<(), tensor_core::Error>(())
//! ```

mod activation;
mod norm;
mod pool;

pub use activation::{
    celu, elu, gelu, glu, hardshrink, hardsigmoid, hardswish, hardtanh, leaky_relu, log_softmax, logsigmoid, mish,
    prelu, relu, relu6, selu, sigmoid, silu, softmax, softmin, softplus, softshrink, softsign, tanh, tanhshrink,
    threshold, GeluApproximate, HardtanhOptions, SoftplusOptions,
};
pub use norm::{
    batch_norm, cosine_similarity, layer_norm, normalize, pairwise_distance, rms_norm, BatchNormOptions,
    CosineSimilarityOptions, NormalizeOptions, PairwiseDistanceOptions,
};
pub use pool::{
    adaptive_avg_pool1d, adaptive_avg_pool2d, avg_pool1d, avg_pool2d, max_pool1d, max_pool2d, max_pool2d_with_indices,
    AvgPool2dOptions, MaxPool2dOptions, Pool1dOptions,
};

pub use crate::layers::{
    group_norm, instance_norm, interpolate, pixel_shuffle, pixel_unshuffle, scaled_dot_product_attention,
    InterpolateMode, Pair, SdpaOptions, UpsampleSize,
};
pub use crate::loss::{
    binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, cross_entropy_probs, huber_loss, kl_div,
    l1_loss, margin_ranking_loss, mse_loss, nll_loss, poisson_nll_loss, smooth_l1_loss, soft_margin_loss,
    ClassLossOptions, KlDivOptions, KlDivReduction, PoissonNllOptions, Reduction,
};
use tensor_autograd::{Var, VarRhs};
pub use tensor_core::ops::conv::{Conv1dParams, Conv2dParams, ConvTranspose2dParams};
pub use tensor_core::PadMode;
use tensor_core::{bail, DType, Result, ResultExt, Tensor};

/// `x @ weightᵀ + bias`, as `F.linear`.
#[track_caller]
pub fn linear(x: &Var, weight: &Var, bias: Option<&Var>) -> Result<Var> {
    x.linear(weight, bias)
}

/// `y[..., o] = Σ_ij x1[..., i] weight[o, i, j] x2[..., j] + bias[o]`, as `F.bilinear(x1, x2,
/// weight, bias)` (`weight` `[out, in1, in2]`; `x1` and `x2` share their leading dims).
#[track_caller]
pub fn bilinear(x1: &Var, x2: &Var, weight: &Var, bias: Option<&Var>) -> Result<Var> {
    const OP: &str = "bilinear";
    let (d1, d2) = (x1.dim(), x2.dim());
    if weight.dim() != 3
        || d1 == 0
        || d1 != d2
        || x1.size()[..d1 - 1] != x2.size()[..d2 - 1]
        || x1.size()[d1 - 1] != weight.size()[1]
        || x2.size()[d2 - 1] != weight.size()[2]
    {
        bail!(
            Shape,
            OP,
            "expected input1 [*, in1], input2 [*, in2] with the same leading dims and weight [out, in1, in2], got {:?}, {:?} and {:?}",
            x1.shape(),
            x2.shape(),
            weight.shape()
        );
    }
    let (out, in1, in2) = (weight.size()[0] as isize, weight.size()[1] as isize, weight.size()[2] as isize);
    // [B, in1] @ [in1, out * in2] -> [B, out, in2], then the product with x2 summed over in2.
    let a = x1.reshape(&[-1, in1])?;
    let b = x2.reshape(&[-1, in2])?;
    let w = weight.permute(&[1, 0, 2])?.reshape(&[in1, out * in2])?;
    let y = a.matmul(&w)?.reshape(&[-1, out, in2])?.mul(&b.unsqueeze(1)?)?.sum_dim(&[-1], false)?;
    let y = match bias {
        Some(bias) => y.add(bias)?,
        None => y,
    };
    let mut shape: Vec<isize> = x1.size()[..d1 - 1].iter().map(|&d| d as isize).collect();
    shape.push(out);
    y.reshape(&shape)
}

/// 2-d convolution, as `F.conv2d` (`Conv2dParams::default()` is PyTorch's stride 1, padding
/// 0, dilation 1, groups 1).
#[track_caller]
pub fn conv2d(x: &Var, weight: &Var, bias: Option<&Var>, params: Conv2dParams) -> Result<Var> {
    x.conv2d(weight, bias, params)
}

/// 1-d convolution, as `F.conv1d`.
#[track_caller]
pub fn conv1d(x: &Var, weight: &Var, bias: Option<&Var>, params: Conv1dParams) -> Result<Var> {
    x.conv1d(weight, bias, params)
}

/// Transposed 2-d convolution, as `F.conv_transpose2d` (weight `[in, out / groups, kh, kw]`).
#[track_caller]
pub fn conv_transpose2d(x: &Var, weight: &Var, bias: Option<&Var>, params: ConvTranspose2dParams) -> Result<Var> {
    x.conv_transpose2d(weight, bias, params)
}

/// Dropout, as `F.dropout(x, p, training)` (PyTorch's defaults are p 0.5, training true): in
/// training, zeroes elements with probability `p` and scales the rest by `1/(1-p)`.
#[track_caller]
pub fn dropout(x: &Var, p: f64, training: bool) -> Result<Var> {
    if !(0.0..=1.0).contains(&p) {
        bail!(Value, "dropout", "dropout probability has to be between 0 and 1, but got {p}");
    }
    if !training || p == 0.0 {
        return Ok(x.clone());
    }
    if p == 1.0 {
        return x.mul(0.0);
    }
    let keep = Tensor::rand(x.shape().clone(), DType::F32, x.device())?.ge(p)?.to_dtype(x.dtype())?;
    x.mul(&keep.mul(1.0 / (1.0 - p))?)
}

/// Channel dropout, as `F.dropout2d(x, p, training)`: in training, zeroes whole channels
/// (`x[n, c]` of `[N, C, H, W]`, or `x[c]` of `[C, H, W]`) with probability `p` and scales
/// the rest by `1/(1-p)`.
#[track_caller]
pub fn dropout2d(x: &Var, p: f64, training: bool) -> Result<Var> {
    if !(0.0..=1.0).contains(&p) {
        bail!(Value, "dropout2d", "dropout probability has to be between 0 and 1, but got {p}");
    }
    if x.dim() != 3 && x.dim() != 4 {
        bail!(Shape, "dropout2d", "expected a 3-d or 4-d input, got {:?}", x.shape());
    }
    if !training || p == 0.0 {
        return Ok(x.clone());
    }
    let keep_dims = x.dim() - 2;
    let mut shape: Vec<usize> = x.size()[..keep_dims].to_vec();
    shape.extend([1, 1]);
    let keep = Tensor::rand(shape.as_slice(), DType::F32, x.device())?.ge(p)?.to_dtype(x.dtype())?;
    if p == 1.0 {
        return x.mul(0.0);
    }
    x.mul(&keep.mul(1.0 / (1.0 - p))?)
}

/// One-hot encoding of class indices, as `F.one_hot` (`None`: the largest index + 1 classes).
#[track_caller]
pub fn one_hot(indices: &Tensor, num_classes: Option<usize>) -> Result<Tensor> {
    indices.one_hot(num_classes)
}

/// The keyword arguments of [`embedding`], with PyTorch's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EmbeddingOptions {
    /// A row index whose row gets no gradient (`None`); negative counts from the end.
    pub padding_idx: Option<i64>,
}

/// Rows `indices` (integers of any shape) of `weight` `[num_embeddings, dim]`, as
/// `F.embedding(indices, weight, padding_idx)`; the row at `padding_idx` is looked up as any
/// other but receives no gradient.
#[track_caller]
pub fn embedding(indices: &Tensor, weight: &Var, opts: EmbeddingOptions) -> Result<Var> {
    const OP: &str = "embedding";
    if indices.dtype().is_float() || indices.dtype() == DType::Bool {
        bail!(DType, OP, "Expected tensor for argument #1 'indices' to have an integer dtype, got {}", indices.dtype());
    }
    if weight.dim() != 2 {
        bail!(Shape, OP, "'weight' must be 2-D, got {:?}", weight.shape());
    }
    let rows_n = weight.size()[0] as i64;
    let pad = match opts.padding_idx {
        Some(p) if p >= rows_n || p < -rows_n => {
            bail!(Index, OP, "Padding_idx must be within num_embeddings (got {p} for {rows_n} rows)")
        }
        Some(p) if p < 0 => Some(p + rows_n),
        p => p,
    };
    let flat = indices.reshape(&[-1])?.to_dtype(DType::I64)?;
    let mut rows = weight.index_select(0, &flat).in_op(OP)?;
    if let Some(p) = pad {
        // The padding rows' values, cut from the graph: no gradient reaches weight[p].
        let keep = flat.ne(p)?.unsqueeze(1)?;
        rows = rows.where_(&keep, &rows.detach())?;
    }
    let mut shape: Vec<isize> = indices.size().iter().map(|&d| d as isize).collect();
    shape.push(weight.size()[1] as isize);
    rows.reshape(&shape)
}

/// Pads the trailing dims, as `F.pad(x, pad, mode, value)`: `pads` holds (before, after)
/// pairs for the last dim first; `PadMode::Constant(v)` is `mode="constant", value=v`
/// (PyTorch's default is `Constant(0.0)`), and `Reflect` / `Replicate` as PyTorch's modes.
#[track_caller]
pub fn pad(x: &Var, pads: &[usize], mode: PadMode) -> Result<Var> {
    x.pad(pads, mode)
}

/// `condition ? input : other` elementwise with broadcasting, in `torch.where(condition,
/// input, other)`'s argument order (`other` may be a `Var`, a `Tensor` or a number). The
/// method form is `input.where_(condition, other)`.
#[track_caller]
pub fn where_<'a>(condition: &Tensor, input: &Var, other: impl Into<VarRhs<'a>>) -> Result<Var> {
    input.where_(condition, other)
}
