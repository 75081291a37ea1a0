//! `nn.TransformerEncoderLayer`: self-attention and a feed-forward block, each with a residual
//! connection and a LayerNorm (after each, or before with `norm_first`), with PyTorch's
//! sub-module names (`self_attn`, `linear1`, `linear2`, `norm1`, `norm2`), so its state dict
//! loads.

use super::attention::{MhaOptions, MultiheadAttention};
use super::{Dropout, LayerNorm, LayerNormConfig, Linear};
use crate::module::{Entry, EntryMut, Module, Visit};
use tensor_autograd::Var;
use tensor_core::{Device, Result, Tensor};

/// The feed-forward block's activation, as `activation=` ("relu" or "gelu").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FeedForwardActivation {
    /// `F.relu`, PyTorch's default.
    #[default]
    Relu,
    /// Exact `F.gelu`.
    Gelu,
}

/// The keyword arguments of `nn.TransformerEncoderLayer`, with PyTorch's defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TransformerEncoderLayerConfig {
    /// The feed-forward block's width (2048).
    pub dim_feedforward: usize,
    /// Dropout after attention, inside and after the feed-forward block (0.1).
    pub dropout: f64,
    /// The feed-forward activation (ReLU).
    pub activation: FeedForwardActivation,
    /// The LayerNorms' eps (1e-5).
    pub layer_norm_eps: f64,
    /// `[N, L, E]` inputs instead of `[L, N, E]` (false).
    pub batch_first: bool,
    /// LayerNorm before each block (pre-norm) instead of after (false).
    pub norm_first: bool,
    /// Biases in the linear layers and LayerNorms (true).
    pub bias: bool,
}

impl Default for TransformerEncoderLayerConfig {
    fn default() -> Self {
        TransformerEncoderLayerConfig {
            dim_feedforward: 2048,
            dropout: 0.1,
            activation: FeedForwardActivation::Relu,
            layer_norm_eps: 1e-5,
            batch_first: false,
            norm_first: false,
            bias: true,
        }
    }
}

/// One encoder layer, as `nn.TransformerEncoderLayer(d_model, nhead, ...)`.
#[derive(Debug, Clone)]
pub struct TransformerEncoderLayer {
    /// The self-attention.
    pub self_attn: MultiheadAttention,
    /// `d_model → dim_feedforward`.
    pub linear1: Linear,
    /// `dim_feedforward → d_model`.
    pub linear2: Linear,
    /// The LayerNorm of the attention block.
    pub norm1: LayerNorm,
    /// The LayerNorm of the feed-forward block.
    pub norm2: LayerNorm,
    dropout: Dropout,
    dropout1: Dropout,
    dropout2: Dropout,
    config: TransformerEncoderLayerConfig,
}

impl TransformerEncoderLayer {
    /// A layer of width `d_model` with `nhead` heads and PyTorch's defaults.
    #[track_caller]
    pub fn new(d_model: usize, nhead: usize, device: &Device) -> Result<TransformerEncoderLayer> {
        Self::with_config(d_model, nhead, TransformerEncoderLayerConfig::default(), device)
    }
    /// With every option of PyTorch's constructor.
    #[track_caller]
    pub fn with_config(
        d_model: usize,
        nhead: usize,
        config: TransformerEncoderLayerConfig,
        device: &Device,
    ) -> Result<TransformerEncoderLayer> {
        let c = config;
        let norm = || {
            LayerNorm::with_config(
                &[d_model],
                LayerNormConfig { eps: c.layer_norm_eps, elementwise_affine: true, bias: c.bias },
                device,
            )
        };
        Ok(TransformerEncoderLayer {
            self_attn: MultiheadAttention::with_options(d_model, nhead, c.dropout, c.bias, c.batch_first, device)?,
            linear1: Linear::new(d_model, c.dim_feedforward, c.bias, device)?,
            linear2: Linear::new(c.dim_feedforward, d_model, c.bias, device)?,
            norm1: norm()?,
            norm2: norm()?,
            dropout: Dropout::new(c.dropout)?,
            dropout1: Dropout::new(c.dropout)?,
            dropout2: Dropout::new(c.dropout)?,
            config,
        })
    }

    /// The layer on `src` (`[L, N, E]`, or `[N, L, E]` with `batch_first`), with PyTorch's
    /// `src_mask` (`[L, L]`, true: not allowed), `src_key_padding_mask` (`[N, L]`, true: a
    /// padding token) and `is_causal`, as `TransformerEncoderLayer.forward`.
    #[track_caller]
    pub fn forward_with_masks(
        &self,
        src: &Var,
        src_mask: Option<&Tensor>,
        src_key_padding_mask: Option<&Tensor>,
        is_causal: bool,
    ) -> Result<Var> {
        let opts = MhaOptions {
            attn_mask: src_mask,
            key_padding_mask: src_key_padding_mask,
            is_causal,
            ..MhaOptions::default()
        };
        let attention = |x: &Var| -> Result<Var> { self.dropout1.forward(&self.self_attn.attend(x, x, x, opts)?.0) };
        let feed_forward = |x: &Var| -> Result<Var> {
            let h = self.linear1.forward(x)?;
            let h = match self.config.activation {
                FeedForwardActivation::Relu => h.relu()?,
                FeedForwardActivation::Gelu => h.gelu(false)?,
            };
            self.dropout2.forward(&self.linear2.forward(&self.dropout.forward(&h)?)?)
        };
        if self.config.norm_first {
            let x = src.add(&attention(&self.norm1.forward(src)?)?)?;
            x.add(&feed_forward(&self.norm2.forward(&x)?)?)
        } else {
            let x = self.norm1.forward(&src.add(&attention(src)?)?)?;
            self.norm2.forward(&x.add(&feed_forward(&x)?)?)
        }
    }
}

impl Visit for TransformerEncoderLayer {
    fn visit(&self, f: &mut dyn FnMut(&str, Entry<'_>)) {
        f("self_attn", Entry::Child(&self.self_attn));
        f("linear1", Entry::Child(&self.linear1));
        f("dropout", Entry::Child(&self.dropout));
        f("linear2", Entry::Child(&self.linear2));
        f("norm1", Entry::Child(&self.norm1));
        f("norm2", Entry::Child(&self.norm2));
        f("dropout1", Entry::Child(&self.dropout1));
        f("dropout2", Entry::Child(&self.dropout2));
    }
    fn visit_mut(&mut self, f: &mut dyn FnMut(&str, EntryMut<'_>)) {
        f("self_attn", EntryMut::Child(&mut self.self_attn));
        f("linear1", EntryMut::Child(&mut self.linear1));
        f("dropout", EntryMut::Child(&mut self.dropout));
        f("linear2", EntryMut::Child(&mut self.linear2));
        f("norm1", EntryMut::Child(&mut self.norm1));
        f("norm2", EntryMut::Child(&mut self.norm2));
        f("dropout1", EntryMut::Child(&mut self.dropout1));
        f("dropout2", EntryMut::Child(&mut self.dropout2));
    }
}

impl Module for TransformerEncoderLayer {
    /// The layer without masks.
    #[track_caller]
    fn forward(&self, src: &Var) -> Result<Var> {
        self.forward_with_masks(src, None, None, false)
    }
}
