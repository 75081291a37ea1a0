//! The layers of `torch.nn`, one file per family.

mod activation;
mod attention;
mod container;
mod conv;
mod embedding;
mod group_norm;
mod linear;
mod norm;
mod pool;
mod rnn;
mod sequential;
mod transformer;
mod upsample;

pub use activation::{Dropout, Flatten, Identity, LeakyReLU, LogSoftmax, ReLU, SiLU, Sigmoid, Softmax, Tanh, GELU};
pub use attention::{scaled_dot_product_attention, MhaOptions, MultiheadAttention, SdpaOptions};
pub use container::{ModuleDict, ModuleList};
pub use conv::{
    Conv1d, Conv1dConfig, Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig, Padding, Padding1d, Pair,
};
pub use embedding::Embedding;
pub use group_norm::{group_norm, instance_norm, GroupNorm, InstanceNorm2d, InstanceNormConfig};
pub use linear::Linear;
pub use norm::{BatchNorm1d, BatchNorm2d, BatchNormConfig, LayerNorm, LayerNormConfig};
pub use pool::{AdaptiveAvgPool2d, AvgPool2d, MaxPool2d};
pub use rnn::{GRUCell, LSTMCell, RNNCell, RnnConfig, RnnNonlinearity, RnnWeights, GRU, LSTM, RNN};
pub use sequential::Sequential;
pub use transformer::{FeedForwardActivation, TransformerEncoderLayer, TransformerEncoderLayerConfig};
pub use upsample::{
    interpolate, pixel_shuffle, pixel_unshuffle, InterpolateMode, PixelShuffle, PixelUnshuffle, Upsample, UpsampleSize,
};

use tensor_autograd::Var;
use tensor_core::{DType, Device, Result, Shape, Tensor};

/// A leaf parameter of `shape` drawn from U(±bound), as PyTorch's default layer init.
#[track_caller]
pub(crate) fn uniform_param(shape: impl Into<Shape>, bound: f64, device: &Device) -> Result<Var> {
    let mut t = Tensor::empty(shape, DType::F32, device)?;
    crate::init::uniform_(&mut t, -bound, bound)?;
    Ok(Var::parameter(t))
}
