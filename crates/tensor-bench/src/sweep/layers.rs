//! The sweep's normalisation, linear algebra, indexing and shaping, losses, convolution and
//! pooling cases, and the optimizer steps.

use super::{randint, rnd, Case, Setup};
use tensor_autograd::Var;
use tensor_core::ops::conv::Conv2dParams;
use tensor_core::{DType, Device, PadMode, Result, Tensor};
use tensor_nn::optim::{AdamW, AdamWConfig, Optimizer, Sgd, SgdConfig};
use tensor_nn::{
    functional as F, BatchNorm2d, BatchNormConfig, ClassLossOptions, Embedding, LayerNorm, Module, ModuleExt, Reduction,
};

/// The cases of these families, in op_sweep.py's order.
pub fn cases() -> Vec<Case> {
    let mut cases = normalisation();
    cases.extend(linear_algebra());
    cases.extend(indexing());
    cases.extend(losses());
    cases.extend(conv_pool());
    cases.extend(optimizers());
    cases
}

/// A case on variables that all require grad.
fn graph(inputs: Vec<Var>, f: impl Fn(&[Var]) -> Result<Var> + 'static) -> Result<Setup> {
    Ok(Setup::graph(inputs.clone(), move || f(&inputs)))
}

/// `F.layer_norm(x, (256,), w, b)` and `F.batch_norm(x, None, None, w, b, training=True)`.
fn normalisation() -> Vec<Case> {
    vec![
        Case::new("layer_norm", |d| {
            // tensor-nn has no functional layer_norm: the `LayerNorm` layer with w and b as its
            // parameters is what a user writes.
            let (w, b) = (rnd(&[256], true, d)?, rnd(&[256], true, d)?);
            let mut ln = LayerNorm::new(&[256], d)?;
            (ln.weight, ln.bias) = (Some(w.clone()), Some(b.clone()));
            let x = rnd(&[8192, 256], true, d)?;
            Ok(Setup::graph(vec![x.clone(), w, b], move || ln.forward(&x)))
        }),
        Case::new("batch_norm_train", |d| {
            // No functional batch_norm: a `BatchNorm2d` in training mode without running
            // statistics (op_sweep.py passes None for them); its weight and bias are the
            // layer's own (ones and zeros, the same work as random ones).
            let config = BatchNormConfig { track_running_stats: false, ..BatchNormConfig::default() };
            let bn = BatchNorm2d::with_config(64, config, d)?;
            let x = rnd(&[32, 64, 28, 28], true, d)?;
            let mut leaves = vec![x.clone()];
            leaves.extend(bn.parameters());
            Ok(Setup::graph(leaves, move || bn.forward(&x)))
        }),
    ]
}

/// matmul, bmm, `a @ b.t()`, `F.linear`, attention written out and causal attention.
fn linear_algebra() -> Vec<Case> {
    let qkv = |d: &Device| -> Result<Vec<Var>> { (0..3).map(|_| rnd(&[8, 4, 256, 64], true, d)).collect() };
    vec![
        Case::new("matmul_512", |d| {
            graph(vec![rnd(&[512, 512], true, d)?, rnd(&[512, 512], true, d)?], |v| v[0].matmul(&v[1]))
        }),
        Case::new("bmm_heads", |d| {
            graph(vec![rnd(&[64, 128, 64], true, d)?, rnd(&[64, 64, 128], true, d)?], |v| v[0].bmm(&v[1]))
        }),
        Case::new("matmul_transposed_rhs", |d| {
            graph(vec![rnd(&[1024, 256], true, d)?, rnd(&[1024, 256], true, d)?], |v| v[0].matmul(&v[1].t()?))
        }),
        Case::new("linear", |d| {
            let v = vec![rnd(&[4096, 256], true, d)?, rnd(&[1024, 256], true, d)?, rnd(&[1024], true, d)?];
            graph(v, |v| F::linear(&v[0], &v[1], Some(&v[2])))
        }),
        Case::new("attention_composite", move |d| {
            graph(qkv(d)?, |v| v[0].matmul(&v[1].transpose(-2, -1)?)?.mul(0.125)?.softmax(-1)?.matmul(&v[2]))
        }),
        Case::new("sdpa_causal", move |d| {
            // tensor-nn's scaled_dot_product_attention: causal without a mask is the fused
            // kernel (blocks of queries against blocks of keys, the scores never materialised).
            let causal = tensor_nn::SdpaOptions { is_causal: true, ..Default::default() };
            graph(qkv(d)?, move |v| tensor_nn::functional::scaled_dot_product_attention(&v[0], &v[1], &v[2], causal))
        }),
    ]
}

/// embedding, index_select, gather, cat, permute + contiguous, tril, reflect padding.
fn indexing() -> Vec<Case> {
    vec![
        Case::new("embedding", |d| {
            let idx = Var::constant(randint(50_000, &[8192], d)?);
            let emb = Embedding { weight: rnd(&[50_000, 256], true, d)? };
            Ok(Setup::graph(vec![emb.weight.clone()], move || emb.forward(&idx)))
        }),
        Case::new("index_select_rows", |d| {
            let w = rnd(&[50_000, 256], true, d)?;
            let idx = randint(50_000, &[8192], d)?;
            graph(vec![w], move |v| v[0].index_select(0, &idx))
        }),
        Case::new("gather_last", |d| {
            let x = rnd(&[2048, 1024], true, d)?;
            let idx = randint(1024, &[2048, 64], d)?;
            graph(vec![x], move |v| v[0].gather(-1, &idx))
        }),
        Case::new("cat_dim1", |d| {
            let xs = (0..4).map(|_| rnd(&[512, 1024], true, d)).collect::<Result<Vec<_>>>()?;
            graph(xs, |v| Var::cat(&v.iter().collect::<Vec<_>>(), 1))
        }),
        Case::new("permute_contiguous", |d| {
            graph(vec![rnd(&[32, 128, 8, 64], true, d)?], |v| v[0].permute(&[0, 2, 1, 3])?.contiguous())
        }),
        Case::new("tril", |d| graph(vec![rnd(&[64, 256, 256], true, d)?], |v| v[0].tril(0))),
        Case::new("pad_reflect", |d| {
            graph(vec![rnd(&[16, 32, 64, 64], true, d)?], |v| v[0].pad(&[2, 2, 2, 2], PadMode::Reflect))
        }),
    ]
}

/// `F.cross_entropy` over 1000 classes and `F.mse_loss`.
fn losses() -> Vec<Case> {
    vec![
        Case::new("cross_entropy_1000", |d| {
            let target = randint(1000, &[4096], d)?;
            let opts = ClassLossOptions::default();
            graph(vec![rnd(&[4096, 1000], true, d)?], move |v| F::cross_entropy(&v[0], &target, &opts))
        }),
        Case::new("mse", |d| {
            let (x, target) = (rnd(&[2048, 1024], true, d)?, rnd(&[2048, 1024], false, d)?);
            Ok(Setup::graph(vec![x.clone()], move || F::mse_loss(&x, &target, Reduction::Mean)))
        }),
    ]
}

/// conv2d of four shapes, max and average pooling, global average pooling.
fn conv_pool() -> Vec<Case> {
    let conv = |x: &[usize], w: &[usize], bias: bool, params: Conv2dParams, d: &Device| {
        let mut v = vec![rnd(x, true, d)?, rnd(w, true, d)?];
        if bias {
            v.push(rnd(&w[..1], true, d)?);
        }
        graph(v, move |v| F::conv2d(&v[0], &v[1], v.get(2), params))
    };
    let pad1 = Conv2dParams { padding: [1, 1], ..Conv2dParams::default() };
    vec![
        Case::new("conv3x3_32_64", move |d| conv(&[16, 32, 64, 64], &[64, 32, 3, 3], true, pad1, d)),
        Case::new("conv3x3_stride2", move |d| {
            conv(&[16, 64, 64, 64], &[128, 64, 3, 3], false, Conv2dParams { stride: [2, 2], ..pad1 }, d)
        }),
        Case::new("conv1x1_256_64", move |d| {
            conv(&[16, 256, 28, 28], &[64, 256, 1, 1], false, Conv2dParams::default(), d)
        }),
        Case::new("depthwise3x3", move |d| {
            conv(&[16, 128, 56, 56], &[128, 1, 3, 3], false, Conv2dParams { groups: 128, ..pad1 }, d)
        }),
        Case::new("max_pool_3x3_s2", |d| {
            graph(vec![rnd(&[16, 64, 112, 112], true, d)?], |v| v[0].max_pool2d([3, 3], [2, 2], [1, 1], [1, 1], false))
        }),
        Case::new("avg_pool_2x2", |d| {
            // F.avg_pool2d(x, 2): stride = kernel, count_include_pad=True.
            graph(vec![rnd(&[16, 64, 112, 112], true, d)?], |v| v[0].avg_pool2d([2, 2], [2, 2], [0, 0], false, true))
        }),
        Case::new("adaptive_avg_pool_1", |d| {
            graph(vec![rnd(&[64, 512, 7, 7], true, d)?], |v| v[0].adaptive_avg_pool2d([1, 1]))
        }),
    ]
}

/// One `step()` over 100 parameters of 100,000 elements with random gradients.
fn optimizers() -> Vec<Case> {
    vec![
        Case::new("adamw_step_10m", |d| {
            let mut opt = AdamW::new(
                params_with_grads(d)?,
                AdamWConfig { lr: 1e-3, weight_decay: 0.01, ..AdamWConfig::default() },
            )?;
            Ok(Setup::step(move || opt.step()))
        }),
        Case::new("sgd_momentum_step_10m", |d| {
            let mut opt =
                Sgd::new(params_with_grads(d)?, SgdConfig { lr: 0.01, momentum: 0.9, ..SgdConfig::default() })?;
            Ok(Setup::step(move || opt.step()))
        }),
    ]
}

/// op_sweep.py's `opt_case` parameters: 100 of `[100_000]`, each with a random `.grad`.
fn params_with_grads(d: &Device) -> Result<Vec<Var>> {
    (0..100)
        .map(|_| {
            let p = rnd(&[100_000], true, d)?;
            p.set_grad(Some(Tensor::randn([100_000], DType::F32, d)?))?;
            Ok(p)
        })
        .collect()
}
