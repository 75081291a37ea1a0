//! `torch.nn.functional`: the layers' operations as functions.

pub use crate::layers::{
    group_norm, instance_norm, interpolate, pixel_shuffle, pixel_unshuffle, scaled_dot_product_attention,
    InterpolateMode, SdpaOptions, UpsampleSize,
};
pub use crate::loss::{
    binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, cross_entropy_probs, l1_loss, mse_loss,
    nll_loss,
};
use tensor_autograd::Var;
pub use tensor_core::ops::conv::{Conv1dParams, Conv2dParams, ConvTranspose2dParams};
use tensor_core::{bail, DType, Result, ResultExt, Tensor};

/// `x @ weightᵀ + bias`, as `F.linear`.
#[track_caller]
pub fn linear(x: &Var, weight: &Var, bias: Option<&Var>) -> Result<Var> {
    x.linear(weight, bias)
}
/// 2-d convolution, as `F.conv2d`.
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
/// `max(x, 0)`, as `F.relu`.
#[track_caller]
pub fn relu(x: &Var) -> Result<Var> {
    x.relu()
}
/// Max pooling with a square window and stride equal to it, as `F.max_pool2d(x, k)`.
#[track_caller]
pub fn max_pool2d(x: &Var, kernel: usize) -> Result<Var> {
    x.max_pool2d([kernel, kernel], [kernel, kernel], [0, 0], [1, 1], false)
}
/// Softmax along `dim`.
#[track_caller]
pub fn softmax(x: &Var, dim: isize) -> Result<Var> {
    x.softmax(dim)
}
/// Log-softmax along `dim`.
#[track_caller]
pub fn log_softmax(x: &Var, dim: isize) -> Result<Var> {
    x.log_softmax(dim)
}
/// Dropout: in training, zeroes elements with probability `p` and scales the rest by `1/(1-p)`.
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
/// One-hot encoding of class indices, as `F.one_hot`.
#[track_caller]
pub fn one_hot(indices: &Tensor, num_classes: Option<usize>) -> Result<Tensor> {
    indices.one_hot(num_classes)
}
/// Layer norm over the trailing `normalized_shape` dims, as `F.layer_norm` (one recorded op).
#[track_caller]
pub fn layer_norm(
    x: &Var,
    normalized_shape: &[usize],
    weight: Option<&Var>,
    bias: Option<&Var>,
    eps: f64,
) -> Result<Var> {
    x.layer_norm(normalized_shape, weight, bias, eps)
}
/// Rows `indices` (integers of any shape) of `weight`, as `F.embedding(indices, weight)`.
#[track_caller]
pub fn embedding(indices: &Tensor, weight: &Var) -> Result<Var> {
    if indices.dtype().is_float() || indices.dtype() == DType::Bool {
        bail!(DType, "embedding", "expected integer indices, got {}", indices.dtype());
    }
    let rows = weight.index_select(0, &indices.reshape(&[-1])?.to_dtype(DType::I64)?).in_op("embedding")?;
    let mut shape: Vec<isize> = indices.size().iter().map(|&d| d as isize).collect();
    shape.push(weight.size().get(1).copied().unwrap_or(0) as isize);
    rows.reshape(&shape)
}
/// GELU, exact (`approximate="none"`) or with the tanh approximation, as `F.gelu`.
#[track_caller]
pub fn gelu(x: &Var, tanh_approximation: bool) -> Result<Var> {
    x.gelu(tanh_approximation)
}
/// `x * sigmoid(x)`, as `F.silu`.
#[track_caller]
pub fn silu(x: &Var) -> Result<Var> {
    x.silu()
}
/// `log(1 + exp(beta x)) / beta`, linear past `threshold`, as `F.softplus` (PyTorch's defaults
/// are beta 1, threshold 20).
#[track_caller]
pub fn softplus(x: &Var, beta: f64, threshold: f64) -> Result<Var> {
    x.softplus(beta, threshold)
}
/// `x` where positive, else `negative_slope * x`, as `F.leaky_relu` (PyTorch's default slope
/// is 0.01).
#[track_caller]
pub fn leaky_relu(x: &Var, negative_slope: f64) -> Result<Var> {
    x.leaky_relu(negative_slope)
}
/// Pads the trailing dims, as `F.pad(x, pads, mode)`.
#[track_caller]
pub fn pad(x: &Var, pads: &[usize], mode: tensor_core::PadMode) -> Result<Var> {
    x.pad(pads, mode)
}
