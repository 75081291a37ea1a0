//! Attention: [`scaled_dot_product_attention`] (`F.scaled_dot_product_attention`) and
//! [`MultiheadAttention`] (`nn.MultiheadAttention`, with PyTorch's parameter names, so its state
//! dict loads).
//!
//! `scaled_dot_product_attention` without a mask (or with the causal one) and without dropout
//! is one fused op ([`Var::flash_attention`]: blocks of queries against blocks of keys with an
//! online softmax, the `L × S` scores never formed, forward or backward); with any other mask
//! or with dropout it is composed from differentiable ops (PyTorch's "math" reference:
//! `softmax(q kᵀ · scale + mask) v`), with the fused softmax of tensor-core.

use crate::module::{Entry, EntryMut, Module, Visit};
use crate::Linear;
use tensor_autograd::Var;
use tensor_core::{bail, DType, Device, Result, Tensor};

/// The options of [`scaled_dot_product_attention`], as the keyword arguments of
/// `F.scaled_dot_product_attention`, with its defaults.
#[derive(Debug, Clone, Copy, Default)]
pub struct SdpaOptions<'a> {
    /// Broadcastable to `[..., L, S]`: bool (true: the query may attend to the key) or float
    /// (added to the scores).
    pub attn_mask: Option<&'a Tensor>,
    /// Dropout on the attention weights (0: none).
    pub dropout_p: f64,
    /// A causal mask (query `i` attends to keys `0..=i`); not together with `attn_mask`.
    pub is_causal: bool,
    /// The factor of the scores, `1 / sqrt(E)` by default.
    pub scale: Option<f64>,
}

/// `softmax(q kᵀ · scale + mask) v` for `q` of shape `[..., L, E]`, `k` of `[..., S, E]` and
/// `v` of `[..., S, Ev]` (leading dims broadcast), as `F.scaled_dot_product_attention`. A
/// query with every key masked out gets NaN, as PyTorch's math path. Fused (see the module
/// doc) when there is no `attn_mask` and no dropout.
#[track_caller]
pub fn scaled_dot_product_attention(q: &Var, k: &Var, v: &Var, opts: SdpaOptions<'_>) -> Result<Var> {
    let op = "scaled_dot_product_attention";
    if q.dim() < 2 || k.dim() < 2 || v.dim() < 2 {
        bail!(
            Shape,
            op,
            "expected q, k and v of at least 2 dims, got {:?}, {:?} and {:?}",
            q.size(),
            k.size(),
            v.size()
        );
    }
    let (e, ek) = (q.size()[q.dim() - 1], k.size()[k.dim() - 1]);
    let (s, sv) = (k.size()[k.dim() - 2], v.size()[v.dim() - 2]);
    if e != ek || s != sv {
        bail!(
            Shape,
            op,
            "expected q [..., L, E], k [..., S, E] and v [..., S, Ev], got {:?}, {:?} and {:?}",
            q.size(),
            k.size(),
            v.size()
        );
    }
    if opts.is_causal && opts.attn_mask.is_some() {
        bail!(Value, op, "explicit attn_mask should not be set when is_causal=True");
    }
    if !(0.0..=1.0).contains(&opts.dropout_p) {
        bail!(Value, op, "dropout probability has to be between 0 and 1, but got {}", opts.dropout_p);
    }
    if opts.attn_mask.is_none() && opts.dropout_p == 0.0 {
        return q.flash_attention(k, v, opts.is_causal, opts.scale);
    }
    let l = q.size()[q.dim() - 2];
    let scale = opts.scale.unwrap_or(1.0 / (e as f64).sqrt());
    let scores = q.matmul(&k.transpose(-2, -1)?)?.mul(scale)?;
    let scores = if opts.is_causal {
        let above = Tensor::ones([l, s], DType::Bool, q.device())?.triu(1)?;
        scores.masked_fill(&above, f64::NEG_INFINITY)?
    } else {
        match opts.attn_mask {
            Some(m) if m.dtype() == DType::Bool => scores.masked_fill(&m.logical_not()?, f64::NEG_INFINITY)?,
            Some(m) => scores.add(m)?,
            None => scores,
        }
    };
    let weights = crate::functional::dropout(&scores.softmax(-1)?, opts.dropout_p, true)?;
    weights.matmul(v)
}

/// `nn.MultiheadAttention(embed_dim, num_heads, dropout, bias, batch_first=...)`: the
/// projections of queries, keys and values in one `in_proj_weight` `[3E, E]` (and
/// `in_proj_bias`), `num_heads` heads of `E / num_heads`, and `out_proj`, under PyTorch's names
/// (key and value of the query's width: no `kdim`/`vdim`, `add_bias_kv` or `add_zero_attn`).
#[derive(Debug, Clone)]
pub struct MultiheadAttention {
    /// `[3 E, E]`: the query, key and value projections stacked.
    pub in_proj_weight: Var,
    /// `[3 E]`, if `bias`.
    pub in_proj_bias: Option<Var>,
    /// The output projection, `E → E`.
    pub out_proj: Linear,
    num_heads: usize,
    dropout: f64,
    batch_first: bool,
    training: bool,
}

/// The inputs of [`MultiheadAttention::attend`] besides query, key and value, as the keyword
/// arguments of `nn.MultiheadAttention.forward`, with its defaults (but `need_weights`, false
/// here: the weights cost an `L × S` matrix per head).
#[derive(Debug, Clone, Copy, Default)]
pub struct MhaOptions<'a> {
    /// `[N, S]`: true (bool) marks a key to ignore; float values are added.
    pub key_padding_mask: Option<&'a Tensor>,
    /// Also return the attention weights, averaged over heads when `average_attn_weights`.
    pub need_weights: bool,
    /// `[L, S]` or `[N · num_heads, L, S]`: true (bool) marks a pair NOT allowed to attend (the
    /// opposite of [`SdpaOptions::attn_mask`], as in PyTorch); float values are added.
    pub attn_mask: Option<&'a Tensor>,
    /// With `need_weights`: the weights' mean over heads (`[N, L, S]`), else per head.
    pub average_attn_weights: bool,
    /// A causal mask, for self-attention.
    pub is_causal: bool,
}

impl MultiheadAttention {
    /// `embed_dim` split over `num_heads`, with biases and no dropout, sequence-first (`[L, N,
    /// E]`) as PyTorch's default; initialised as PyTorch's (Xavier-uniform `in_proj_weight`,
    /// zero biases, `out_proj.weight` from U(±1/√E)).
    #[track_caller]
    pub fn new(embed_dim: usize, num_heads: usize, device: &Device) -> Result<MultiheadAttention> {
        Self::with_options(embed_dim, num_heads, 0.0, true, false, device)
    }
    /// With PyTorch's `dropout`, `bias` and `batch_first` (`[N, L, E]` inputs).
    #[track_caller]
    pub fn with_options(
        embed_dim: usize,
        num_heads: usize,
        dropout: f64,
        bias: bool,
        batch_first: bool,
        device: &Device,
    ) -> Result<MultiheadAttention> {
        if num_heads == 0 || !embed_dim.is_multiple_of(num_heads) {
            bail!(Value, "MultiheadAttention", "embed_dim ({embed_dim}) must be divisible by num_heads ({num_heads})");
        }
        let bound = (6.0 / (embed_dim + 3 * embed_dim) as f64).sqrt();
        let mut w = Tensor::empty([3 * embed_dim, embed_dim], DType::F32, device)?;
        crate::init::uniform_(&mut w, -bound, bound)?;
        let mut out_proj = Linear::new(embed_dim, embed_dim, bias, device)?;
        if let Some(b) = &mut out_proj.bias {
            *b = Var::parameter(Tensor::zeros([embed_dim], DType::F32, device)?);
        }
        Ok(MultiheadAttention {
            in_proj_weight: Var::parameter(w),
            in_proj_bias: if bias {
                Some(Var::parameter(Tensor::zeros([3 * embed_dim], DType::F32, device)?))
            } else {
                None
            },
            out_proj,
            num_heads,
            dropout,
            batch_first,
            training: true,
        })
    }

    /// Attention of `query` `[L, N, E]` over `key` / `value` `[S, N, E]` (`[N, L, E]` /
    /// `[N, S, E]` with `batch_first`), as `nn.MultiheadAttention.forward`: the output of the
    /// query's shape, and with `need_weights` the attention weights (`[N, L, S]` averaged over
    /// heads, or `[N, num_heads, L, S]`).
    #[track_caller]
    pub fn attend(&self, query: &Var, key: &Var, value: &Var, opts: MhaOptions<'_>) -> Result<(Var, Option<Var>)> {
        let op = "MultiheadAttention";
        let e = self.in_proj_weight.size()[1];
        let (h, hd) = (self.num_heads, e / self.num_heads);
        let batch_major = |x: &Var| if self.batch_first { Ok(x.clone()) } else { x.transpose(0, 1) };
        let (q, k, v) = (batch_major(query)?, batch_major(key)?, batch_major(value)?);
        if q.dim() != 3 || k.dim() != 3 || v.dim() != 3 || q.size()[2] != e || k.size()[2] != e || v.size()[2] != e {
            bail!(
                Shape,
                op,
                "expected batched 3-d query, key and value of width {e}, got {:?}, {:?} and {:?}",
                query.size(),
                key.size(),
                value.size()
            );
        }
        let (n, l, s) = (q.size()[0], q.size()[1], k.size()[1]);
        if k.size()[0] != n || v.size()[0] != n || v.size()[1] != s {
            bail!(
                Shape,
                op,
                "key and value must have the query's batch and one length, got {:?} and {:?}",
                key.size(),
                value.size()
            );
        }
        // The three projections from slices of the stacked weight: [N, len, E] -> [N, h, len, hd].
        let project = |x: &Var, i: usize| -> Result<Var> {
            let w = self.in_proj_weight.narrow(0, (i * e) as isize, e)?;
            let b = match &self.in_proj_bias {
                Some(b) => Some(b.narrow(0, (i * e) as isize, e)?),
                None => None,
            };
            let len = x.size()[1];
            x.linear(&w, b.as_ref())?.reshape(&[n as isize, len as isize, h as isize, hd as isize])?.transpose(1, 2)
        };
        let (qh, kh, vh) = (project(&q, 0)?, project(&k, 1)?, project(&v, 2)?);
        let mask = self.additive_mask(n, l, s, &opts, q.dtype(), q.device())?;
        let scores = qh.matmul(&kh.transpose(-2, -1)?)?.mul(1.0 / (hd as f64).sqrt())?;
        let scores = match &mask {
            Some(m) => scores.add(m)?,
            None => scores,
        };
        let weights = crate::functional::dropout(&scores.softmax(-1)?, self.dropout, self.training)?;
        let out = weights.matmul(&vh)?.transpose(1, 2)?.reshape(&[n as isize, l as isize, e as isize])?;
        let out = self.out_proj.forward(&out)?;
        let out = if self.batch_first { out } else { out.transpose(0, 1)? };
        let weights = if !opts.need_weights {
            None
        } else if opts.average_attn_weights {
            Some(weights.mean_dim(&[1], false)?)
        } else {
            Some(weights)
        };
        Ok((out, weights))
    }

    /// `attn_mask`, `key_padding_mask` and `is_causal` as one mask of the scores' `dtype` added to
    /// the scores `[N, h, L, S]` (`-inf` where attention is not allowed), or `None`.
    #[allow(clippy::too_many_arguments)]
    #[track_caller]
    fn additive_mask(
        &self,
        n: usize,
        l: usize,
        s: usize,
        opts: &MhaOptions<'_>,
        dtype: DType,
        device: &Device,
    ) -> Result<Option<Tensor>> {
        let op = "MultiheadAttention";
        let float = |m: &Tensor| -> Result<Tensor> {
            if m.dtype() == DType::Bool {
                Tensor::zeros(m.shape().clone(), dtype, device)?.masked_fill(m, f64::NEG_INFINITY)
            } else {
                m.to_dtype(dtype)
            }
        };
        let mut total: Option<Tensor> = None;
        let mut add = |m: Tensor| -> Result<()> {
            total = Some(match total.take() {
                Some(t) => t.add(&m)?,
                None => m,
            });
            Ok(())
        };
        if opts.is_causal && opts.attn_mask.is_none() {
            add(float(&Tensor::ones([l, s], DType::Bool, device)?.triu(1)?)?)?;
        }
        if let Some(m) = opts.attn_mask {
            let m = float(m)?;
            let m = match m.size() {
                [a, b] if *a == l && *b == s => m,
                [c, a, b] if *c == n * self.num_heads && *a == l && *b == s => {
                    m.reshape(&[n as isize, self.num_heads as isize, l as isize, s as isize])?
                }
                other => bail!(
                    Shape,
                    op,
                    "attn_mask should be [{l}, {s}] or [{}, {l}, {s}], got {other:?}",
                    n * self.num_heads
                ),
            };
            add(m)?;
        }
        if let Some(m) = opts.key_padding_mask {
            if m.size() != [n, s] {
                bail!(Shape, op, "key_padding_mask should be [{n}, {s}], got {:?}", m.size());
            }
            add(float(m)?.reshape(&[n as isize, 1, 1, s as isize])?)?;
        }
        Ok(total)
    }
}

impl Visit for MultiheadAttention {
    fn visit(&self, f: &mut dyn FnMut(&str, Entry<'_>)) {
        f("in_proj_weight", Entry::Param(&self.in_proj_weight));
        if let Some(b) = &self.in_proj_bias {
            f("in_proj_bias", Entry::Param(b));
        }
        f("out_proj", Entry::Child(&self.out_proj));
    }
    fn visit_mut(&mut self, f: &mut dyn FnMut(&str, EntryMut<'_>)) {
        f("in_proj_weight", EntryMut::Param(&mut self.in_proj_weight));
        if let Some(b) = &mut self.in_proj_bias {
            f("in_proj_bias", EntryMut::Param(b));
        }
        f("out_proj", EntryMut::Child(&mut self.out_proj));
    }
    fn set_training(&mut self, training: bool) {
        self.training = training;
    }
    fn training(&self) -> Option<bool> {
        Some(self.training)
    }
}

impl Module for MultiheadAttention {
    /// Self-attention of `x` (query, key and value), no masks: the output only.
    #[track_caller]
    fn forward(&self, x: &Var) -> Result<Var> {
        Ok(self.attend(x, x, x, MhaOptions::default())?.0)
    }
}
