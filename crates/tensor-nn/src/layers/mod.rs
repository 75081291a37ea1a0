//! The layers of `torch.nn`, one file per family.

mod activation;
mod attention;
mod container;
mod conv;
mod embedding;
mod linear;
mod norm;
mod pool;
mod rnn;
mod sequential;
mod transformer;

pub use activation::{Dropout, Flatten, Identity, LeakyReLU, LogSoftmax, ReLU, SiLU, Sigmoid, Softmax, Tanh, GELU};
pub use attention::{scaled_dot_product_attention, MhaOptions, MultiheadAttention, SdpaOptions};
pub use container::{ModuleDict, ModuleList};
pub use conv::{Conv2d, Conv2dConfig, Padding};
pub use embedding::Embedding;
pub use linear::Linear;
pub use norm::{BatchNorm1d, BatchNorm2d, BatchNormConfig, LayerNorm, LayerNormConfig};
pub use pool::{AdaptiveAvgPool2d, AvgPool2d, MaxPool2d};
pub use rnn::{GRUCell, LSTMCell, RNNCell, RnnConfig, RnnNonlinearity, RnnWeights, GRU, LSTM, RNN};
pub use sequential::Sequential;
pub use transformer::{FeedForwardActivation, TransformerEncoderLayer, TransformerEncoderLayerConfig};

use tensor_autograd::Var;
use tensor_core::{DType, Device, Result, Shape, Tensor};

/// A leaf parameter of `shape` drawn from U(±bound), as PyTorch's default layer init.
pub(crate) fn uniform_param(shape: impl Into<Shape>, bound: f64, device: &Device) -> Result<Var> {
    let mut t = Tensor::empty(shape, DType::F32, device)?;
    crate::init::uniform_(&mut t, -bound, bound)?;
    Ok(Var::parameter(t))
}
