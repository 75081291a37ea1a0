//! The GPT of nanoGPT under `gpt_reference.py`'s names: token and position embeddings, pre-norm
//! blocks of causal self-attention and a GELU MLP, a final LayerNorm and an output layer tied
//! to the token embedding (or not).

use crate::{module_members, Embedding, Entry, EntryMut, LayerNorm, Linear, Module, ModuleList, Visit};
use tensor_autograd::Var;
use tensor_core::{Device, Result, Tensor};

/// The sizes of a [`Gpt`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GptConfig {
    /// Tokens in the vocabulary.
    pub vocab_size: usize,
    /// The longest sequence (positions embedded).
    pub context: usize,
    /// The width `C` of the residual stream.
    pub width: usize,
    /// Attention heads per block (dividing `width`).
    pub heads: usize,
    /// Blocks.
    pub layers: usize,
    /// The output layer is the token embedding (nanoGPT's weight tying), not a matrix of its own.
    pub tied: bool,
}

impl GptConfig {
    /// The model of WORKLOADS.md's `gpt_fwd` / `gpt_step`: vocabulary 256, context 128, width 192,
    /// 6 heads, 4 blocks, an output layer of its own (1,902,720 parameters).
    pub fn workloads() -> GptConfig {
        GptConfig { vocab_size: 256, context: 128, width: 192, heads: 6, layers: 4, tied: false }
    }
    /// nanoGPT's small CPU configuration of the `gpt` example: context 64, width 128, 4 heads,
    /// 4 blocks, tied output layer.
    pub fn shakespeare(vocab_size: usize) -> GptConfig {
        GptConfig { vocab_size, context: 64, width: 128, heads: 4, layers: 4, tied: true }
    }
}

/// One block of a [`Gpt`], under `gpt_reference.py`'s names: `x + c_proj(attention(ln_1(x)))`,
/// then `x + mlp_proj(gelu(c_fc(ln_2(x))))`, causal attention over `heads` heads from one
/// `c_attn` projection.
#[derive(Debug, Clone)]
pub struct GptBlock {
    /// LayerNorm before attention.
    pub ln_1: LayerNorm,
    /// `C → 3C`: queries, keys and values.
    pub c_attn: Linear,
    /// `C → C` after attention.
    pub c_proj: Linear,
    /// LayerNorm before the MLP.
    pub ln_2: LayerNorm,
    /// `C → 4C`.
    pub c_fc: Linear,
    /// `4C → C`.
    pub mlp_proj: Linear,
    heads: usize,
}

module_members!(GptBlock { children: ln_1, c_attn, c_proj, ln_2, c_fc, mlp_proj; params: ; buffers: });

impl GptBlock {
    #[track_caller]
    fn new(c: usize, heads: usize, device: &Device) -> Result<GptBlock> {
        Ok(GptBlock {
            ln_1: LayerNorm::new(&[c], device)?,
            c_attn: Linear::new(c, 3 * c, true, device)?,
            c_proj: Linear::new(c, c, true, device)?,
            ln_2: LayerNorm::new(&[c], device)?,
            c_fc: Linear::new(c, 4 * c, true, device)?,
            mlp_proj: Linear::new(4 * c, c, true, device)?,
            heads,
        })
    }
}

impl Module for GptBlock {
    /// `x` of shape `[B, T, C]`.
    #[track_caller]
    fn forward(&self, x: &Var) -> Result<Var> {
        let (b, t, c) = (x.size()[0] as isize, x.size()[1] as isize, x.size()[2] as isize);
        let h = self.heads as isize;
        let qkv = self.c_attn.forward(&self.ln_1.forward(x)?)?;
        let head = |i: isize| qkv.narrow(2, i * c, c as usize)?.reshape(&[b, t, h, c / h])?.transpose(1, 2);
        let causal = crate::SdpaOptions { is_causal: true, ..Default::default() };
        let y = crate::scaled_dot_product_attention(&head(0)?, &head(1)?, &head(2)?, causal)?;
        let x = x.add(&self.c_proj.forward(&y.transpose(1, 2)?.reshape(&[b, t, c])?)?)?;
        x.add(&self.mlp_proj.forward(&self.c_fc.forward(&self.ln_2.forward(&x)?)?.gelu(false)?)?)
    }
}

/// A small GPT (nanoGPT's model), under `gpt_reference.py`'s names (`wte`, `wpe`, `h.<i>`,
/// `ln_f`, and `lm_head` when not tied): token and position embeddings, [`GptBlock`]s, a final
/// LayerNorm and the output layer. Initialised as nanoGPT: matrices N(0, 0.02) (the residual
/// projections N(0, 0.02/√(2·layers))), biases zero, LayerNorms one.
#[derive(Debug, Clone)]
pub struct Gpt {
    /// Token embedding `[vocab, C]` (also the output layer when tied).
    pub wte: Embedding,
    /// Position embedding `[context, C]`.
    pub wpe: Embedding,
    /// The blocks (`h.0`, `h.1`, ...).
    pub h: ModuleList<GptBlock>,
    /// The final LayerNorm.
    pub ln_f: LayerNorm,
    /// The output layer `C → vocab`, when not tied.
    pub lm_head: Option<Linear>,
    config: GptConfig,
}

impl Gpt {
    /// A model of `config`, initialised as nanoGPT from the global generator.
    #[track_caller]
    pub fn new(config: GptConfig, device: &Device) -> Result<Gpt> {
        let c = config.width;
        if config.heads == 0 || !c.is_multiple_of(config.heads) {
            tensor_core::bail!(Value, "Gpt", "width {c} must be divisible by heads {}", config.heads);
        }
        let mut gpt = Gpt {
            wte: Embedding::new(config.vocab_size, c, device)?,
            wpe: Embedding::new(config.context, c, device)?,
            h: (0..config.layers).map(|_| GptBlock::new(c, config.heads, device)).collect::<Result<_>>()?,
            ln_f: LayerNorm::new(&[c], device)?,
            lm_head: if config.tied { None } else { Some(Linear::new(c, config.vocab_size, false, device)?) },
            config,
        };
        let residual_std = 0.02 / ((2 * config.layers) as f64).sqrt();
        for (name, p) in crate::ModuleExt::named_parameters(&gpt) {
            let mut t = p.tensor();
            if t.dim() >= 2 {
                let std = if name.ends_with("c_proj.weight") || name.ends_with("mlp_proj.weight") {
                    residual_std
                } else {
                    0.02
                };
                crate::init::normal_(&mut t, 0.0, std)?;
            } else if name.ends_with("bias") {
                crate::init::zeros_(&mut t)?;
            }
        }
        gpt.config = config;
        Ok(gpt)
    }
    /// The sizes.
    pub fn config(&self) -> GptConfig {
        self.config
    }
}

impl Visit for Gpt {
    fn visit(&self, f: &mut dyn FnMut(&str, Entry<'_>)) {
        f("wte", Entry::Child(&self.wte));
        f("wpe", Entry::Child(&self.wpe));
        f("h", Entry::Child(&self.h));
        f("ln_f", Entry::Child(&self.ln_f));
        if let Some(head) = &self.lm_head {
            f("lm_head", Entry::Child(head));
        }
    }
    fn visit_mut(&mut self, f: &mut dyn FnMut(&str, EntryMut<'_>)) {
        f("wte", EntryMut::Child(&mut self.wte));
        f("wpe", EntryMut::Child(&mut self.wpe));
        f("h", EntryMut::Child(&mut self.h));
        f("ln_f", EntryMut::Child(&mut self.ln_f));
        if let Some(head) = &mut self.lm_head {
            f("lm_head", EntryMut::Child(head));
        }
    }
}

impl Module for Gpt {
    /// Token indices `[B, T]` (integers, `T` up to the context) to logits `[B, T, vocab]`.
    #[track_caller]
    fn forward(&self, idx: &Var) -> Result<Var> {
        let t = idx.size().get(1).copied().unwrap_or(0);
        if idx.dim() != 2 || t > self.config.context {
            tensor_core::bail!(
                Shape,
                "Gpt",
                "expected token indices [B, T] with T <= {}, got {:?}",
                self.config.context,
                idx.size()
            );
        }
        let pos = Var::constant(Tensor::arange(0i64, t as i64, 1i64, idx.device())?);
        let mut x = self.wte.forward(idx)?.add(&self.wpe.forward(&pos)?)?;
        for b in &self.h {
            x = b.forward(&x)?;
        }
        let x = self.ln_f.forward(&x)?;
        match &self.lm_head {
            Some(head) => head.forward(&x),
            None => x.linear(&self.wte.weight, None),
        }
    }
}
