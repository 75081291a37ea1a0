//! tensor-nn on the GPU against the CPU, one test body per case run on both devices from the same
//! weights (built on the CPU with seeded values, then cloned or loaded from the state dict and
//! moved with `to_device`): every layer's forward and backward (Linear, Conv2d with stride,
//! padding, `same`, dilation and groups, Conv1d, ConvTranspose2d, BatchNorm1d/2d in training and
//! eval with their running statistics, GroupNorm, InstanceNorm2d (with running statistics too),
//! Upsample (nearest, bilinear), PixelShuffle/PixelUnshuffle, LayerNorm, Embedding, the pools, the
//! activations, Flatten/Identity, Dropout in eval mode, Sequential, LeNet-5), comparing outputs,
//! input and parameter gradients and buffers; every loss with each reduction and its options (class
//! weights, `ignore_index`, label smoothing, probability targets, `pos_weight`); SGD (momentum,
//! dampening, Nesterov, weight decay, groups), Adam and AdamW (with AMSGrad), with and without
//! `clip_grad_norm_`, step by step; and a 5-step LeNet-5 training loop whose per-step losses must
//! agree and fall. Tolerances are PyTorch's `assert_close` defaults, widened to rtol 1e-4 in
//! float32 for results of long sums.
//!
//! Without a GPU every test prints `skipping: no CUDA device (...)` and passes; with
//! `TENSOR_REQUIRE_CUDA=1` set it fails instead. Dropout in training mode draws different masks
//! per device, so it is checked on the GPU alone (the mask's statistics and its gradient).

use std::collections::BTreeMap;
use tensor_autograd::Var;
use tensor_core::random::Generator;
use tensor_core::{DType, Device, Result, Tensor};
use tensor_nn::cuda::testing::{self, cuda_or_skip, host_f64};
use tensor_nn::models::LeNet5;
use tensor_nn::optim::{clip_grad_norm_, Adam, AdamConfig, AdamW, AdamWConfig, Optimizer, Sgd, SgdConfig};
use tensor_nn::{
    functional as F, named_parameters, state_dict, AdaptiveAvgPool2d, AvgPool2d, BCELoss, BCEWithLogitsLoss,
    BatchNorm1d, BatchNorm2d, BatchNormConfig, ClassLossOptions, Conv1d, Conv1dConfig, Conv2d, Conv2dConfig,
    ConvTranspose2d, ConvTranspose2dConfig, CrossEntropyLoss, Dropout, Embedding, Flatten, GroupNorm, Identity,
    InstanceNorm2d, InstanceNormConfig, InterpolateMode, L1Loss, LayerNorm, LayerNormConfig, LeakyReLU, Linear,
    LogSoftmax, MSELoss, MaxPool2d, Module, ModuleExt, NLLLoss, Padding, Padding1d, PixelShuffle, PixelUnshuffle, ReLU,
    Reduction, Sequential, SiLU, Sigmoid, Softmax, Tanh, Upsample, UpsampleSize, GELU,
};

const CPU: &Device = &Device::Cpu;
const DTYPES: [DType; 2] = [DType::F32, DType::F64];
const REDUCTIONS: [Reduction; 3] = [Reduction::None, Reduction::Mean, Reduction::Sum];

/// `(rtol, atol)`: PyTorch's `assert_close` defaults for float64 (1e-7, 1e-7); for float32,
/// rtol 1e-4 and atol 1e-5 (every result here goes through reductions, matmul or conv sums).
fn tol(dtype: DType) -> (f64, f64) {
    match dtype {
        DType::F64 => (1e-7, 1e-7),
        DType::F32 => (1e-4, 1e-5),
        _ => (0.0, 0.0),
    }
}

/// Asserts that `got` (on the GPU) matches `want` (on the CPU) within the dtype's tolerance.
#[track_caller]
fn assert_close(what: &str, want: &Tensor, got: &Tensor) {
    let (rtol, atol) = tol(want.dtype());
    testing::assert_close(what, want, got, rtol, atol);
}

/// Standard normal numbers on the CPU.
fn normal(shape: &[usize], seed: u64, dtype: DType) -> Tensor {
    Tensor::randn_with(shape.to_vec(), DType::F64, CPU, &mut Generator::new(seed)).unwrap().to_dtype(dtype).unwrap()
}

/// Uniform numbers in `[lo, hi)` on the CPU.
fn uniform(shape: &[usize], seed: u64, lo: f64, hi: f64, dtype: DType) -> Tensor {
    let u = Tensor::rand_with(shape.to_vec(), DType::F64, CPU, &mut Generator::new(seed)).unwrap();
    u.mul(hi - lo).unwrap().add(lo).unwrap().to_dtype(dtype).unwrap()
}

/// An int64 CPU tensor.
fn ints(v: &[i64], shape: &[usize]) -> Tensor {
    Tensor::from_vec(v.to_vec(), shape.to_vec()).unwrap()
}

/// Gives every floating-point parameter and buffer of `m` seeded values of its dtype: U(±1/√fan_in)
/// for weights (and the biases after them), U(0.5, 1.5) for variances, N(0, 0.25) otherwise.
fn seed_module(m: &mut impl ModuleExt, seed: u64) {
    let mut g = Generator::new(seed);
    let mut bound = 0.5;
    let mut state = BTreeMap::new();
    for (name, t) in m.state_dict() {
        if !t.is_floating_point() {
            continue;
        }
        let u = Tensor::rand_with(t.shape().clone(), DType::F64, CPU, &mut g).unwrap();
        let v = if name.ends_with("running_var") {
            u.add(0.5).unwrap()
        } else if name.ends_with("running_mean") {
            u.sub(0.5).unwrap()
        } else {
            if name.ends_with("weight") && t.dim() > 1 {
                bound = 1.0 / ((t.numel() / t.size()[0]) as f64).sqrt();
            }
            u.mul(2.0 * bound).unwrap().sub(bound).unwrap()
        };
        state.insert(name, v.to_dtype(t.dtype()).unwrap());
    }
    m.load_state_dict(&state, false).unwrap();
}

/// A copy of the CPU module `m` on `gpu` (the same parameters and buffers).
fn twin<M: ModuleExt + Clone>(m: &M, gpu: &Device) -> M {
    let mut g = m.clone();
    g.to_device(gpu).unwrap();
    g
}

/// Runs the twins `mc` (CPU) and `mg` (GPU) on the same input (requiring grad when it is
/// float), runs backward with the same gradient, and compares the outputs, the input's and
/// every parameter's gradient, and the state dicts (running statistics included).
#[track_caller]
fn check_module(what: &str, gpu: &Device, mc: &dyn Module, mg: &dyn Module, x: &Tensor) {
    let input = |d: &Device| {
        let t = x.to_device(d).unwrap().try_clone().unwrap();
        let float = t.is_floating_point();
        Var::new(t, float)
    };
    let (xc, xg) = (input(CPU), input(gpu));
    let oc = mc.forward(&xc).unwrap_or_else(|e| panic!("{what} on cpu: {e}"));
    let og = mg.forward(&xg).unwrap_or_else(|e| panic!("{what} on cuda: {e}"));
    assert_close(&format!("{what}: output"), oc.tensor_ref(), og.tensor_ref());
    if oc.requires_grad() {
        let seed = normal(oc.size(), 77, oc.dtype());
        oc.backward_with(&seed).unwrap();
        og.backward_with(&seed.to_device(gpu).unwrap()).unwrap_or_else(|e| panic!("{what}: backward on cuda: {e}"));
        match (xc.grad(), xg.grad()) {
            (Some(a), Some(b)) => assert_close(&format!("{what}: input grad"), &a, &b),
            (a, b) => assert!(a.is_none() && b.is_none(), "{what}: the input has a grad on only one device"),
        }
        let (pc, pg) = (named_parameters(mc), named_parameters(mg));
        assert_eq!(pc.len(), pg.len(), "{what}: parameter count");
        for ((name, c), (_, g)) in pc.iter().zip(&pg) {
            assert!(g.device() == gpu, "{what}: {name} is on {}", g.device());
            match (c.grad(), g.grad()) {
                (Some(a), Some(b)) => assert_close(&format!("{what}: grad of {name}"), &a, &b),
                (a, b) => assert!(a.is_none() && b.is_none(), "{what}: {name} has a grad on only one device"),
            }
        }
    }
    let (sc, sg) = (state_dict(mc), state_dict(mg));
    assert_eq!(sc.keys().collect::<Vec<_>>(), sg.keys().collect::<Vec<_>>(), "{what}: state dict keys");
    for ((name, a), b) in sc.iter().zip(sg.values()) {
        assert_close(&format!("{what}: state {name}"), a, b);
    }
}

/// [`check_module`] for the CPU module `m`, seeded and cast to `dtype`, and its twin on `gpu`.
#[track_caller]
fn check_layer<M: Module + Clone>(what: &str, gpu: &Device, dtype: DType, mut m: M, x: &Tensor) {
    seed_module(&mut m, 11);
    m.to_dtype(dtype).unwrap();
    let g = twin(&m, gpu);
    check_module(&format!("{what} {dtype}"), gpu, &m, &g, x);
}

#[test]
fn linear_conv_embedding() {
    let Some(gpu) = cuda_or_skip() else { return };
    let d = Conv2dConfig::default();
    for dtype in DTYPES {
        let x = normal(&[4, 5], 1, dtype);
        check_layer("Linear", &gpu, dtype, Linear::new(5, 3, true, CPU).unwrap(), &x);
        let x = normal(&[2, 3, 5], 2, dtype);
        check_layer("Linear no bias 3-d", &gpu, dtype, Linear::new(5, 4, false, CPU).unwrap(), &x);
        let convs = [
            ("plain", 3, 4, [3, 3], d),
            ("stride padding", 3, 4, [3, 2], Conv2dConfig { stride: [2, 1], padding: [1, 2].into(), ..d }),
            ("groups dilation no bias", 4, 6, [3, 3], Conv2dConfig { dilation: [2, 1], groups: 2, bias: false, ..d }),
            ("same even kernel", 3, 2, [4, 3], Conv2dConfig { padding: Padding::Same, ..d }),
            ("same dilated", 3, 2, [3, 3], Conv2dConfig { padding: Padding::Same, dilation: [2, 2], ..d }),
        ];
        for (i, (name, cin, cout, k, config)) in convs.into_iter().enumerate() {
            let x = normal(&[2, cin, 9, 8], 10 + i as u64, dtype);
            let conv = Conv2d::new(cin, cout, k, config, CPU).unwrap();
            check_layer(&format!("Conv2d {name}"), &gpu, dtype, conv, &x);
        }
        let idx = ints(&[3, 0, 7, 3, 3, 1], &[2, 3]);
        check_layer("Embedding", &gpu, dtype, Embedding::new(8, 4, CPU).unwrap(), &idx);
    }
}

/// Two training steps of a batch-norm layer and its twin (batch statistics; the running
/// statistics move and are compared as buffers), then one in eval mode.
fn check_batch_norm<M: Module + Clone>(what: &str, gpu: &Device, dtype: DType, mut m: M, shape: &[usize]) {
    seed_module(&mut m, 21);
    m.to_dtype(dtype).unwrap();
    let mut g = twin(&m, gpu);
    for step in 0..2 {
        let x = normal(shape, 100 + step, dtype).mul(2.0).unwrap().add(0.5).unwrap();
        check_module(&format!("{what} {dtype} train step {step}"), gpu, &m, &g, &x);
        m.zero_grad();
        g.zero_grad();
    }
    m.eval();
    g.eval();
    check_module(&format!("{what} {dtype} eval"), gpu, &m, &g, &normal(shape, 200, dtype));
}

#[test]
fn batch_norm_train_and_eval() {
    let Some(gpu) = cuda_or_skip() else { return };
    let cumulative = BatchNormConfig { momentum: None, ..Default::default() };
    let no_affine = BatchNormConfig { affine: false, ..Default::default() };
    let untracked = BatchNormConfig { track_running_stats: false, ..Default::default() };
    for dtype in DTYPES {
        check_batch_norm("BatchNorm2d", &gpu, dtype, BatchNorm2d::new(3, CPU).unwrap(), &[4, 3, 5, 4]);
        let m = BatchNorm2d::with_config(3, cumulative, CPU).unwrap();
        check_batch_norm("BatchNorm2d momentum None", &gpu, dtype, m, &[2, 3, 4, 4]);
        let m = BatchNorm2d::with_config(3, no_affine, CPU).unwrap();
        check_batch_norm("BatchNorm2d no affine", &gpu, dtype, m, &[2, 3, 3, 5]);
        let m = BatchNorm2d::with_config(3, untracked, CPU).unwrap();
        check_batch_norm("BatchNorm2d untracked", &gpu, dtype, m, &[2, 3, 3, 3]);
        check_batch_norm("BatchNorm1d 2-d", &gpu, dtype, BatchNorm1d::new(4, CPU).unwrap(), &[6, 4]);
        let m = BatchNorm1d::with_options(4, 1e-3, 0.3, true, CPU).unwrap();
        check_batch_norm("BatchNorm1d 3-d", &gpu, dtype, m, &[3, 4, 5]);
    }
}

#[test]
fn conv1d_conv_transpose_group_instance_norm_resampling() {
    let Some(gpu) = cuda_or_skip() else { return };
    let d1 = Conv1dConfig::default();
    let dt = ConvTranspose2dConfig::default();
    let tracked = InstanceNormConfig { affine: true, track_running_stats: true, ..Default::default() };
    for dtype in DTYPES {
        let seq = normal(&[2, 4, 11], 400, dtype);
        let m = Conv1d::new(4, 6, 3, Conv1dConfig { stride: 2, padding: 1.into(), groups: 2, ..d1 }, CPU).unwrap();
        check_layer("Conv1d strided groups", &gpu, dtype, m, &seq);
        let m = Conv1d::new(4, 3, 4, Conv1dConfig { padding: Padding1d::Same, dilation: 2, ..d1 }, CPU).unwrap();
        check_layer("Conv1d same dilated", &gpu, dtype, m, &seq);

        let img = normal(&[2, 4, 5, 6], 401, dtype);
        let up = ConvTranspose2dConfig { stride: [2, 2], padding: [1, 1], output_padding: [1, 1], groups: 2, ..dt };
        check_layer("ConvTranspose2d", &gpu, dtype, ConvTranspose2d::new(4, 6, 3, up, CPU).unwrap(), &img);
        let wide = ConvTranspose2dConfig { dilation: [1, 3], output_padding: [0, 2], bias: false, ..dt };
        check_layer(
            "ConvTranspose2d out pad",
            &gpu,
            dtype,
            ConvTranspose2d::new(4, 2, [2, 3], wide, CPU).unwrap(),
            &img,
        );

        check_layer("GroupNorm", &gpu, dtype, GroupNorm::new(2, 4, CPU).unwrap(), &img);
        check_layer("InstanceNorm2d", &gpu, dtype, InstanceNorm2d::new(4, CPU).unwrap(), &img);
        check_batch_norm(
            "InstanceNorm2d tracked",
            &gpu,
            dtype,
            InstanceNorm2d::with_config(4, tracked, CPU).unwrap(),
            &[2, 4, 5, 6],
        );

        for (name, size) in [("size", UpsampleSize::Size([7, 9])), ("scale", UpsampleSize::ScaleFactor([1.5, 0.7]))] {
            for mode in [
                InterpolateMode::Nearest,
                InterpolateMode::Bilinear { align_corners: false },
                InterpolateMode::Bilinear { align_corners: true },
            ] {
                check_layer(&format!("Upsample {name} {mode:?}"), &gpu, dtype, Upsample::new(size, mode), &img);
            }
        }
        check_layer("PixelShuffle", &gpu, dtype, PixelShuffle::new(2), &img);
        check_layer("PixelUnshuffle", &gpu, dtype, PixelUnshuffle::new(2), &normal(&[2, 3, 4, 6], 402, dtype));
    }
}

#[test]
fn layer_norm_pools_activations_dropout_eval() {
    let Some(gpu) = cuda_or_skip() else { return };
    let no_bias = LayerNormConfig { bias: false, ..Default::default() };
    let no_affine = LayerNormConfig { elementwise_affine: false, ..Default::default() };
    for dtype in DTYPES {
        let x = normal(&[3, 4, 5], 300, dtype).mul(2.0).unwrap().add(1.0).unwrap();
        check_layer("LayerNorm last dim", &gpu, dtype, LayerNorm::new(&[5], CPU).unwrap(), &x);
        let m = LayerNorm::with_config(&[4, 5], no_bias, CPU).unwrap();
        check_layer("LayerNorm two dims no bias", &gpu, dtype, m, &x);
        let m = LayerNorm::with_config(&[5], no_affine, CPU).unwrap();
        check_layer("LayerNorm no affine", &gpu, dtype, m, &x);

        let img = normal(&[2, 3, 9, 8], 301, dtype);
        let max = MaxPool2d { stride: [2, 1], padding: [1, 0], ceil_mode: true, ..MaxPool2d::new([3, 2]) };
        let avg = AvgPool2d { stride: [2, 2], padding: [1, 1], count_include_pad: false, ..AvgPool2d::new(3) };
        check_layer("MaxPool2d", &gpu, dtype, MaxPool2d::new(2), &img);
        check_layer("MaxPool2d options", &gpu, dtype, max, &img);
        check_layer("AvgPool2d", &gpu, dtype, AvgPool2d::new([2, 3]), &img);
        check_layer("AvgPool2d options", &gpu, dtype, avg, &img);
        check_layer("AdaptiveAvgPool2d", &gpu, dtype, AdaptiveAvgPool2d::new([3, 4]), &img);
        check_layer("AdaptiveAvgPool2d uneven", &gpu, dtype, AdaptiveAvgPool2d::new([4, 3]), &img);

        let x = normal(&[4, 6], 302, dtype).mul(2.0).unwrap();
        check_layer("ReLU", &gpu, dtype, ReLU, &x);
        check_layer("LeakyReLU", &gpu, dtype, LeakyReLU { negative_slope: 0.2 }, &x);
        check_layer("GELU", &gpu, dtype, GELU, &x);
        check_layer("SiLU", &gpu, dtype, SiLU, &x);
        check_layer("Sigmoid", &gpu, dtype, Sigmoid, &x);
        check_layer("Tanh", &gpu, dtype, Tanh, &x);
        check_layer("Softmax", &gpu, dtype, Softmax { dim: 1 }, &x);
        check_layer("LogSoftmax", &gpu, dtype, LogSoftmax { dim: 0 }, &x);
        check_layer("Identity", &gpu, dtype, Identity, &x);
        check_layer("Flatten", &gpu, dtype, Flatten::default(), &img);
        let mut drop = Dropout::new(0.4).unwrap();
        drop.eval();
        check_layer("Dropout eval", &gpu, dtype, drop, &x);
    }
}

#[test]
fn dropout_in_training_on_the_gpu() {
    let Some(gpu) = cuda_or_skip() else { return };
    // The mask is drawn on the GPU: every element is dropped (0) or scaled by 1 / (1 - p), about
    // p of them dropped, and the gradient of the sum is the mask times the scale.
    let x = Var::new(Tensor::ones([100, 100], DType::F32, &gpu).unwrap(), true);
    let y = Dropout::new(0.25).unwrap().forward(&x).unwrap();
    assert!(y.device().is_cuda());
    let v = host_f64(y.tensor_ref());
    let scale = 1.0 / 0.75;
    assert!(v.iter().all(|&e| e == 0.0 || (e - scale).abs() < 1e-6), "values other than 0 and 1/(1-p)");
    let dropped = v.iter().filter(|&&e| e == 0.0).count() as f64 / v.len() as f64;
    assert!((0.2..0.3).contains(&dropped), "dropped fraction {dropped}");
    y.sum().unwrap().backward().unwrap();
    let g = x.grad().unwrap();
    assert!(g.device().is_cuda());
    assert_eq!(host_f64(&g), v, "the gradient is the scaled mask");
}

/// Conv2d → BatchNorm2d → ReLU → MaxPool2d → Flatten → (Dropout) → Linear → Tanh.
fn small_net(device: &Device, dropout: bool) -> Sequential {
    let net = Sequential::new()
        .add(Conv2d::new(2, 4, 3, Conv2dConfig { padding: 1.into(), ..Default::default() }, device).unwrap())
        .add(BatchNorm2d::new(4, device).unwrap())
        .add(ReLU)
        .add(MaxPool2d::new(2))
        .add(Flatten::default());
    let net = if dropout { net.add(Dropout::new(0.5).unwrap()) } else { net };
    net.add(Linear::new(4 * 3 * 3, 5, true, device).unwrap()).add(Tanh)
}

#[test]
fn sequential_and_lenet5() {
    let Some(gpu) = cuda_or_skip() else { return };
    for dtype in DTYPES {
        // Sequential is not Clone: a second one gets the first's state dict, then moves. In
        // training mode without Dropout (its masks differ per device; BatchNorm uses batch
        // statistics), then in eval mode with it.
        for (mode, dropout) in [("train", false), ("eval", true)] {
            let mut mc = small_net(CPU, dropout);
            seed_module(&mut mc, 31);
            mc.to_dtype(dtype).unwrap();
            let mut mg = small_net(CPU, dropout);
            mg.to_dtype(dtype).unwrap();
            mg.load_state_dict(&mc.state_dict(), true).unwrap();
            mg.to_device(&gpu).unwrap();
            if dropout {
                mc.eval();
                mg.eval();
            }
            let x = normal(&[3, 2, 6, 6], 400, dtype);
            check_module(&format!("Sequential {mode} {dtype}"), &gpu, &mc, &mg, &x);
        }

        let mut lenet = LeNet5::new(CPU).unwrap();
        seed_module(&mut lenet, 32);
        lenet.to_dtype(dtype).unwrap();
        let lg = twin(&lenet, &gpu);
        let x = normal(&[4, 1, 28, 28], 401, dtype);
        check_module(&format!("LeNet5 {dtype}"), &gpu, &lenet, &lg, &x);
    }
}

/// One loss on both devices: `f` gets leaves made from `inputs` on its device (and moves any
/// other tensor there); backward from the loss (or with the same gradient for `reduction=none`);
/// the losses and every leaf's gradient are compared.
#[track_caller]
fn check_loss(what: &str, gpu: &Device, inputs: &[&Tensor], f: impl Fn(&Device, &[Var]) -> Result<Var>) {
    let run = |d: &Device| {
        let l: Vec<Var> = inputs.iter().map(|t| Var::new(t.to_device(d).unwrap().try_clone().unwrap(), true)).collect();
        (f(d, &l).unwrap_or_else(|e| panic!("{what} on {d}: {e}")), l)
    };
    let ((oc, lc), (og, lg)) = (run(CPU), run(gpu));
    assert_close(&format!("{what}: loss"), oc.tensor_ref(), og.tensor_ref());
    if oc.numel() == 1 {
        oc.backward().unwrap();
        og.backward().unwrap_or_else(|e| panic!("{what}: backward on cuda: {e}"));
    } else {
        let seed = normal(oc.size(), 78, oc.dtype());
        oc.backward_with(&seed).unwrap();
        og.backward_with(&seed.to_device(gpu).unwrap()).unwrap_or_else(|e| panic!("{what}: backward on cuda: {e}"));
    }
    for (i, (c, g)) in lc.iter().zip(&lg).enumerate() {
        let (a, b) = (c.grad().expect("cpu grad"), g.grad().unwrap_or_else(|| panic!("{what}: no grad of input {i}")));
        assert_close(&format!("{what}: grad of input {i}"), &a, &b);
    }
}

#[test]
fn losses() {
    let Some(gpu) = cuda_or_skip() else { return };
    for dtype in DTYPES {
        let (x, t) = (normal(&[4, 5], 500, dtype), normal(&[4, 5], 501, dtype));
        let probs = uniform(&[4, 5], 502, 0.0, 1.0, dtype);
        let w = uniform(&[4, 5], 503, 0.5, 1.5, dtype);
        let pos_w = uniform(&[5], 504, 0.5, 3.0, dtype);
        let class_w = uniform(&[5], 505, 0.5, 2.0, dtype);
        let target = ints(&[3, 0, 2, 4], &[4]);
        let target_ignored = ints(&[3, -100, 2, 4], &[4]);
        let spatial = normal(&[2, 5, 3, 3], 506, dtype);
        let spatial_target = ints(&[0, 4, 2, 1, 1, 3, 0, 2, 4, 4, 3, 1, 0, 0, 2, 2, 1, 3], &[2, 3, 3]);
        let opts = |d: &Device, weight: bool, ignore_index, label_smoothing, reduction| ClassLossOptions {
            weight: if weight { Some(class_w.to_device(d).unwrap()) } else { None },
            ignore_index,
            label_smoothing,
            reduction,
        };
        for r in REDUCTIONS {
            let name = |loss: &str| format!("{loss} {r:?} {dtype}");
            check_loss(&name("MSELoss"), &gpu, &[&x, &t], |_, v| MSELoss { reduction: r }.forward(&v[0], &v[1]));
            check_loss(&name("L1Loss"), &gpu, &[&x, &t], |_, v| L1Loss { reduction: r }.forward(&v[0], &v[1]));
            check_loss(&name("BCELoss weighted"), &gpu, &[&x], |d, v| {
                let loss = BCELoss { weight: Some(w.to_device(d)?), reduction: r };
                loss.forward(&v[0].sigmoid()?, &Var::constant(probs.to_device(d)?))
            });
            check_loss(&name("BCEWithLogitsLoss"), &gpu, &[&x, &probs], |_, v| {
                BCEWithLogitsLoss { reduction: r, ..Default::default() }.forward(&v[0], &v[1])
            });
            check_loss(&name("BCEWithLogitsLoss weight pos_weight"), &gpu, &[&x, &probs], |d, v| {
                let loss = BCEWithLogitsLoss {
                    weight: Some(w.to_device(d)?),
                    pos_weight: Some(pos_w.to_device(d)?),
                    reduction: r,
                };
                loss.forward(&v[0], &v[1])
            });
            check_loss(&name("NLLLoss weight ignore_index"), &gpu, &[&x], |d, v| {
                let loss = NLLLoss { options: opts(d, true, Some(2), 0.0, r) };
                loss.forward(&v[0].log_softmax(1)?, &target.to_device(d)?)
            });
            check_loss(&name("CrossEntropyLoss"), &gpu, &[&x], |d, v| {
                CrossEntropyLoss { options: opts(d, false, Some(-100), 0.0, r) }.forward(&v[0], &target.to_device(d)?)
            });
            check_loss(&name("cross_entropy weight smoothing ignored"), &gpu, &[&x], |d, v| {
                F::cross_entropy(&v[0], &target_ignored.to_device(d)?, &opts(d, true, Some(-100), 0.1, r))
            });
            check_loss(&name("cross_entropy spatial"), &gpu, &[&spatial], |d, v| {
                F::cross_entropy(&v[0], &spatial_target.to_device(d)?, &opts(d, true, None, 0.05, r))
            });
            check_loss(&name("cross_entropy one sample"), &gpu, &[&x], |d, v| {
                F::cross_entropy(&v[0].select(0, 1)?, &ints(&[3], &[]).to_device(d)?, &opts(d, false, None, 0.0, r))
            });
            check_loss(&name("cross_entropy probability target"), &gpu, &[&x], |d, v| {
                let p = probs.to_device(d)?.softmax(1)?;
                F::cross_entropy(&v[0], &p, &opts(d, true, Some(-100), 0.2, r))
            });
            check_loss(&name("cross_entropy_probs target with grad"), &gpu, &[&x, &t], |d, v| {
                F::cross_entropy_probs(&v[0], &v[1].softmax(1)?, &opts(d, false, None, 0.1, r))
            });
        }
    }
}

/// Builds an optimizer over the given parameters.
type MakeOpt = Box<dyn Fn(Vec<Var>) -> Result<Box<dyn Optimizer>>>;

/// `steps` optimizer steps on `device` over a weight and a bias fitting a fixed batch (a
/// least-squares loss plus a penalty on the bias), optionally clipping the gradients' norm
/// first: the parameters after each step, and the norms `clip_grad_norm_` returned.
fn trajectory(device: &Device, dtype: DType, make: &MakeOpt, clip: bool, steps: usize) -> (Vec<Vec<Tensor>>, Vec<f64>) {
    let on = |t: Tensor| t.to_device(device).unwrap();
    let params = vec![Var::parameter(on(normal(&[3, 4], 600, dtype))), Var::parameter(on(normal(&[3], 601, dtype)))];
    let (x, y) = (Var::constant(on(normal(&[8, 4], 602, dtype))), Var::constant(on(normal(&[8, 3], 603, dtype))));
    let mut opt = make(params.clone()).unwrap();
    let (mut out, mut norms) = (Vec::new(), Vec::new());
    for _ in 0..steps {
        opt.zero_grad();
        let fit = x.linear(&params[0], Some(&params[1])).unwrap().sub(&y).unwrap().square().unwrap().mean().unwrap();
        fit.add(&params[1].square().unwrap().sum().unwrap().mul(0.1).unwrap()).unwrap().backward().unwrap();
        if clip {
            norms.push(clip_grad_norm_(&params, 0.5, 2.0).unwrap());
        }
        opt.step().unwrap();
        out.push(params.iter().map(|p| p.tensor().try_clone().unwrap()).collect());
    }
    (out, norms)
}

#[test]
fn optimizers_step_alike() {
    let Some(gpu) = cuda_or_skip() else { return };
    let sgd = |c: SgdConfig| -> MakeOpt { Box::new(move |p| Ok(Box::new(Sgd::new(p, c)?) as Box<dyn Optimizer>)) };
    let adam = |c: AdamConfig| -> MakeOpt { Box::new(move |p| Ok(Box::new(Adam::new(p, c)?) as Box<dyn Optimizer>)) };
    let adamw =
        |c: AdamWConfig| -> MakeOpt { Box::new(move |p| Ok(Box::new(AdamW::new(p, c)?) as Box<dyn Optimizer>)) };
    let s = SgdConfig { lr: 0.1, ..Default::default() };
    let a = AdamConfig { lr: 0.05, ..Default::default() };
    let aw = AdamWConfig { lr: 0.05, weight_decay: 0.1, ..Default::default() };
    let groups: MakeOpt = Box::new(move |p| {
        let slow = SgdConfig { lr: 0.01, momentum: 0.5, ..Default::default() };
        Ok(Box::new(Sgd::with_groups(vec![(vec![p[0].clone()], s), (vec![p[1].clone()], slow)])?) as Box<dyn Optimizer>)
    });
    let cases: Vec<(&str, MakeOpt)> = vec![
        ("SGD", sgd(s)),
        ("SGD momentum dampening", sgd(SgdConfig { momentum: 0.9, dampening: 0.1, ..s })),
        ("SGD nesterov weight decay", sgd(SgdConfig { momentum: 0.9, nesterov: true, weight_decay: 0.01, ..s })),
        ("SGD groups", groups),
        ("Adam", adam(a)),
        ("Adam amsgrad weight decay", adam(AdamConfig { amsgrad: true, weight_decay: 0.1, betas: (0.8, 0.9), ..a })),
        ("AdamW", adamw(aw)),
        ("AdamW amsgrad", adamw(AdamWConfig { amsgrad: true, ..aw })),
    ];
    for dtype in DTYPES {
        for (name, make) in &cases {
            for clip in [false, true] {
                let what = format!("{name} {dtype}{}", if clip { " clipped" } else { "" });
                let (pc, nc) = trajectory(CPU, dtype, make, clip, 5);
                let (pg, ng) = trajectory(&gpu, dtype, make, clip, 5);
                for (step, (c, g)) in pc.iter().zip(&pg).enumerate() {
                    for (i, (a, b)) in c.iter().zip(g).enumerate() {
                        assert_close(&format!("{what}: parameter {i} after step {}", step + 1), a, b);
                    }
                }
                let (rtol, atol) = tol(dtype);
                for (step, (a, b)) in nc.iter().zip(&ng).enumerate() {
                    assert!((a - b).abs() <= atol + rtol * a.abs(), "{what}: grad norm at step {step}: {a} vs {b}");
                }
            }
        }
    }
}

/// `steps` SGD steps of LeNet-5 (on `model`'s device) on a fixed batch: the loss before each.
fn train_lenet(model: &LeNet5, x: &Tensor, y: &Tensor, steps: usize) -> Vec<f64> {
    let device = model.conv1.weight.device().clone();
    let input = Var::constant(x.to_device(&device).unwrap());
    let target = y.to_device(&device).unwrap();
    let mut opt = Sgd::new(model.parameters(), SgdConfig { lr: 0.05, momentum: 0.9, ..Default::default() }).unwrap();
    let opts = ClassLossOptions::default();
    (0..steps)
        .map(|_| {
            opt.zero_grad();
            let loss = F::cross_entropy(&model.forward(&input).unwrap(), &target, &opts).unwrap();
            loss.backward().unwrap();
            opt.step().unwrap();
            loss.item::<f64>().unwrap()
        })
        .collect()
}

#[test]
fn lenet5_training_loop_agrees() {
    let Some(gpu) = cuda_or_skip() else { return };
    let mut g = Generator::new(700);
    let x = Tensor::randn_with([16, 1, 28, 28], DType::F32, CPU, &mut g).unwrap();
    let y = Tensor::randint_with(0, 10, [16], CPU, &mut g).unwrap();
    let mut model = LeNet5::new(CPU).unwrap();
    seed_module(&mut model, 701);
    let on_gpu = twin(&model, &gpu);
    let (lc, lg) = (train_lenet(&model, &x, &y, 5), train_lenet(&on_gpu, &x, &y, 5));
    for (step, (a, b)) in lc.iter().zip(&lg).enumerate() {
        assert!(
            (a - b).abs() <= 1e-4 * a.abs(),
            "step {step}: loss {a} on cpu vs {b} on cuda\ncpu:  {lc:?}\ncuda: {lg:?}"
        );
    }
    for (name, losses) in [("cpu", &lc), ("cuda", &lg)] {
        assert!(losses.windows(2).all(|w| w[1] < w[0]), "the {name} loss does not fall: {losses:?}");
    }
    for ((name, a), (_, b)) in model.named_parameters().iter().zip(&on_gpu.named_parameters()) {
        assert_close(&format!("LeNet5 {name} after 5 steps"), a.tensor_ref(), b.tensor_ref());
    }
}

#[test]
fn attention_transformer_and_gpt_agree() {
    use tensor_nn::models::char_gpt::{CharCorpus, CharGptTrainer, TrainConfig};
    use tensor_nn::models::{Gpt, GptConfig};
    use tensor_nn::{MultiheadAttention, TransformerEncoderLayer, TransformerEncoderLayerConfig};
    let Some(gpu) = cuda_or_skip() else { return };
    for dtype in DTYPES {
        // Self-attention (the fused kernel inside), then pre- and post-norm encoder layers.
        let x = normal(&[5, 3, 8], 900, dtype);
        check_layer("MultiheadAttention", &gpu, dtype, MultiheadAttention::new(8, 2, CPU).unwrap(), &x);
        for norm_first in [false, true] {
            let config =
                TransformerEncoderLayerConfig { dim_feedforward: 16, dropout: 0.0, norm_first, ..Default::default() };
            let layer = TransformerEncoderLayer::with_config(8, 2, config, CPU).unwrap();
            check_layer(&format!("TransformerEncoderLayer norm_first {norm_first}"), &gpu, dtype, layer, &x);
        }
        // A small GPT: forward and backward from token ids.
        let config = GptConfig { vocab_size: 11, context: 8, width: 16, heads: 2, layers: 2, tied: true };
        let ids = ints(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0, 1], &[2, 6]);
        check_layer("Gpt", &gpu, dtype, Gpt::new(config, CPU).unwrap(), &ids);
    }
    // Three training steps of the gpt example's job (AdamW in two groups, clipping) agree.
    let config = GptConfig { vocab_size: 11, context: 8, width: 16, heads: 2, layers: 2, tied: true };
    let mut model = Gpt::new(config, CPU).unwrap();
    seed_module(&mut model, 901);
    let train = TrainConfig { steps: 3, lr: 1e-2, warmup: 1, ..TrainConfig::default() };
    let corpus = CharCorpus::new("abcdefghijk").unwrap();
    let mut jobs = [
        CharGptTrainer::with_model(model.clone(), corpus.clone(), train, CPU).unwrap(),
        CharGptTrainer::with_model(twin(&model, &gpu), corpus, train, &gpu).unwrap(),
    ];
    let ids = ints(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0, 1, 2, 3, 4, 5], &[2, 8]);
    let targets = ints(&[2, 3, 4, 5, 6, 7, 8, 9, 10, 0, 1, 2, 3, 4, 5, 6], &[16]);
    let mut losses = [Vec::new(), Vec::new()];
    for it in 0..3 {
        for (job, (dev, l)) in jobs.iter_mut().zip([CPU, &gpu].into_iter().zip(losses.iter_mut())) {
            let x = Var::constant(ids.to_device(dev).unwrap());
            l.push(job.step_on(&x, &targets.to_device(dev).unwrap(), train.lr_at(it)).unwrap());
        }
    }
    for (a, b) in losses[0].iter().zip(&losses[1]) {
        assert!((a - b).abs() <= 1e-4 * a.abs(), "gpt losses: cpu {:?} vs cuda {:?}", losses[0], losses[1]);
    }
    for ((name, a), (_, b)) in jobs[0].model.named_parameters().iter().zip(&jobs[1].model.named_parameters()) {
        assert_close(&format!("Gpt {name} after 3 steps"), a.tensor_ref(), b.tensor_ref());
    }
}
