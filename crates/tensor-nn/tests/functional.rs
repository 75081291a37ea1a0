//! `tensor_nn::functional` against PyTorch: values and input gradients of the activations
//! (at their kinks too), pooling, batch/RMS norm, normalize and distances, embedding with
//! `padding_idx`, bilinear, the new losses under every reduction, `std_all` / `var_all` /
//! `norm_all` and `where_`; `gradcheck` of every new composition away from its kinks; the
//! error cases.
//!
//! Every `const` in `functional_literals` was printed by `scripts/pytorch/functional_literals.py`
//! (PyTorch 2.15, CPU, float64) and pasted unchanged. Inputs are `pattern(shape, seed)` times a
//! power of two (exact in float64); a `*_GRAD` constant is the input's gradient of
//! `(f(x) * pattern(out_shape, 2)).sum()`.
//!
//! Every test runs on every device (`common::devices`): inputs, parameters and modules are
//! built on the device, and on a GPU the comparisons widen to PyTorch's `assert_close`
//! tolerances for sums (`common::near`); gradcheck runs there through `common::gradcheck_on`.

use tensor_autograd::Var;
use tensor_core::{DType, Device, ErrorKind, PadMode, Result, Tensor};
use tensor_nn::functional::{self as F, *};
use tensor_nn::{HuberLoss, KLDivLoss, Reduction, SmoothL1Loss};

use crate::common;
use crate::functional_literals;
use common::{assert_on, close, devices, gradcheck_on, gradgradcheck_on, near, pattern_f64 as pattern, three};
use functional_literals::*;

/// f64 results agree with PyTorch's to a few ulps (libm against PyTorch's vector math).
const TOL: f64 = 1e-12;

type Op = fn(&Var) -> Result<Var>;

/// `f(x)` and the gradient of `(f(x) * pattern(out, 2)).sum()` against PyTorch's.
#[track_caller]
fn check(dev: &Device, what: &str, f: impl Fn(&Var) -> Result<Var>, x: &Tensor, want: &[f64], want_grad: &[f64]) {
    check_tol(dev, what, f, x, want, want_grad, TOL)
}

/// [`check`] with a tolerance for the gradient.
#[track_caller]
fn check_tol(
    dev: &Device,
    what: &str,
    f: impl Fn(&Var) -> Result<Var>,
    x: &Tensor,
    want: &[f64],
    want_grad: &[f64],
    tol: f64,
) {
    let v = Var::new(x.clone(), true);
    let y = f(&v).unwrap();
    common::assert_values(dev, &y.tensor(), y.size(), want, TOL);
    let weights = pattern(dev, y.size(), 2);
    y.mul(&weights).unwrap().sum().unwrap().backward().unwrap();
    let g = v.grad().unwrap();
    assert_on(&g, dev);
    let g = g.to_vec::<f64>().unwrap();
    assert_eq!(g.len(), want_grad.len(), "{what} on {dev}: gradient length");
    for (i, (&a, &b)) in g.iter().zip(want_grad).enumerate() {
        assert!(near(dev, x.dtype(), a, b, tol), "{what} on {dev}: gradient {i}: got {a}, PyTorch {b}\n{g:?}");
    }
}

fn activations() -> Vec<(&'static str, Op, &'static [f64], &'static [f64])> {
    vec![
        ("relu6", F::relu6, &RELU6, &RELU6_GRAD),
        ("elu", |x| F::elu(x, 1.0), &ELU, &ELU_GRAD),
        ("elu 0.5", |x| F::elu(x, 0.5), &ELU_HALF, &ELU_HALF_GRAD),
        ("selu", F::selu, &SELU, &SELU_GRAD),
        ("celu", |x| F::celu(x, 1.0), &CELU, &CELU_GRAD),
        ("celu 2", |x| F::celu(x, 2.0), &CELU_2, &CELU_2_GRAD),
        ("gelu", |x| F::gelu(x, GeluApproximate::default()), &GELU, &GELU_GRAD),
        ("gelu tanh", |x| F::gelu(x, GeluApproximate::Tanh), &GELU_TANH, &GELU_TANH_GRAD),
        ("silu", F::silu, &SILU, &SILU_GRAD),
        ("mish", F::mish, &MISH, &MISH_GRAD),
        ("hardtanh", |x| F::hardtanh(x, HardtanhOptions::default()), &HARDTANH, &HARDTANH_GRAD),
        (
            "hardtanh opts",
            |x| F::hardtanh(x, HardtanhOptions { min_val: -0.5, max_val: 2.0 }),
            &HARDTANH_OPTS,
            &HARDTANH_OPTS_GRAD,
        ),
        ("hardswish", F::hardswish, &HARDSWISH, &HARDSWISH_GRAD),
        ("hardsigmoid", F::hardsigmoid, &HARDSIGMOID, &HARDSIGMOID_GRAD),
        ("softplus", |x| F::softplus(x, SoftplusOptions::default()), &SOFTPLUS, &SOFTPLUS_GRAD),
        (
            "softplus opts",
            |x| F::softplus(x, SoftplusOptions { beta: 2.0, threshold: 3.0 }),
            &SOFTPLUS_OPTS,
            &SOFTPLUS_OPTS_GRAD,
        ),
        ("softsign", F::softsign, &SOFTSIGN, &SOFTSIGN_GRAD),
        ("leaky_relu", |x| F::leaky_relu(x, 0.01), &LEAKY_RELU, &LEAKY_RELU_GRAD),
        ("leaky_relu 0.2", |x| F::leaky_relu(x, 0.2), &LEAKY_RELU_02, &LEAKY_RELU_02_GRAD),
        ("logsigmoid", F::logsigmoid, &LOGSIGMOID, &LOGSIGMOID_GRAD),
        ("tanh", F::tanh, &TANH, &TANH_GRAD),
        ("sigmoid", F::sigmoid, &SIGMOID, &SIGMOID_GRAD),
        ("tanhshrink", F::tanhshrink, &TANHSHRINK, &TANHSHRINK_GRAD),
        ("softshrink", |x| F::softshrink(x, 0.5), &SOFTSHRINK, &SOFTSHRINK_GRAD),
        ("softshrink 1", |x| F::softshrink(x, 1.0), &SOFTSHRINK_1, &SOFTSHRINK_1_GRAD),
        ("hardshrink", |x| F::hardshrink(x, 0.5), &HARDSHRINK, &HARDSHRINK_GRAD),
        ("hardshrink 1", |x| F::hardshrink(x, 1.0), &HARDSHRINK_1, &HARDSHRINK_1_GRAD),
        ("threshold", |x| F::threshold(x, 1.0, -2.0), &THRESHOLD, &THRESHOLD_GRAD),
        ("glu", |x| F::glu(x, -1), &GLU, &GLU_GRAD),
        ("glu dim 1", |x| F::glu(&x.narrow(1, 0, 2)?, 1), &GLU_DIM1, &GLU_DIM1_GRAD),
        ("prelu", |x| F::prelu(x, &Var::constant(Tensor::new([0.25f64, -0.5, 2.0], x.device())?)), &PRELU, &PRELU_GRAD),
        (
            "prelu one",
            |x| F::prelu(x, &Var::constant(Tensor::new([0.125f64], x.device())?)),
            &PRELU_ONE,
            &PRELU_ONE_GRAD,
        ),
        ("softmax", |x| F::softmax(x, 1), &SOFTMAX, &SOFTMAX_GRAD),
        ("log_softmax", |x| F::log_softmax(x, -1), &LOG_SOFTMAX, &LOG_SOFTMAX_GRAD),
        ("softmin", |x| F::softmin(x, 1), &SOFTMIN, &SOFTMIN_GRAD),
    ]
}

/// The activations' input: multiples of 1/2 in [-5.5, 5.5], hitting every kink.
fn act_input(dev: &Device) -> Tensor {
    pattern(dev, &[2, 3, 4], 1).mul(4.0).unwrap()
}

#[test]
fn activations_match_pytorch_values_and_gradients_at_kinks() {
    for dev in &devices() {
        let x = act_input(dev);
        for (what, f, want, want_grad) in activations() {
            // PyTorch's hardsigmoid backward multiplies by the float32 1/6 in every dtype.
            let tol = if what == "hardsigmoid" { 1e-7 } else { TOL };
            check_tol(dev, what, f, &x, want, want_grad, tol);
        }
    }
}

#[test]
fn activations_gradcheck_away_from_kinks() {
    for dev in &devices() {
        // Shifted by 0.1: no input sits on a kink (0, ±0.5, ±1, ±3, 20).
        let x = act_input(dev).add(0.1).unwrap();
        for (what, f, _, _) in activations() {
            gradcheck_on(|v| f(&v[0]), std::slice::from_ref(&x)).unwrap_or_else(|e| panic!("on {dev}: {what}: {e}"));
        }
        // Compositions of Var ops differentiate twice.
        for (what, f, _, _) in
            activations().into_iter().filter(|(w, ..)| ["elu", "mish", "hardswish", "glu"].contains(w))
        {
            gradgradcheck_on(|v| f(&v[0]), std::slice::from_ref(&x))
                .unwrap_or_else(|e| panic!("on {dev}: {what}: {e}"));
        }
        // prelu's weight gradient.
        gradcheck_on(|v| F::prelu(&v[0], &v[1]), &[x.clone(), Tensor::new([0.25f64, -0.5, 2.0], dev).unwrap()])
            .unwrap();
    }
}

#[test]
fn activation_errors() {
    for dev in &devices() {
        let x = Var::constant(act_input(dev));
        let kind = |r: Result<Var>| r.unwrap_err().kind();
        assert_eq!(kind(F::hardtanh(&x, HardtanhOptions { min_val: 1.0, max_val: 0.0 })), ErrorKind::Value, "on {dev}");
        assert_eq!(kind(F::softshrink(&x, -1.0)), ErrorKind::Value, "on {dev}");
        assert_eq!(kind(F::celu(&x, 0.0)), ErrorKind::Value, "on {dev}");
        let e = F::glu(&x.narrow(2, 0, 3).unwrap(), -1).unwrap_err();
        assert!(e.to_string().contains("Halving dimension must be even"), "on {dev}: {e}");
        let w = Var::constant(Tensor::new([1.0f64, 2.0], dev).unwrap());
        assert!(F::prelu(&x, &w).unwrap_err().to_string().contains("prelu"), "on {dev}");
    }
}

#[test]
fn pooling_matches_pytorch() {
    for dev in &devices() {
        let p = pattern(dev, &[1, 2, 5, 5], 3);
        let max = |o: MaxPool2dOptions, k: usize| move |x: &Var| F::max_pool2d(x, k, o);
        check(
            dev,
            "max_pool2d(x, 2)",
            max(MaxPool2dOptions::default(), 2),
            &p,
            &MAX_POOL_DEFAULT,
            &MAX_POOL_DEFAULT_GRAD,
        );
        let opts = MaxPool2dOptions { stride: Some([2, 2]), padding: [1, 1], ceil_mode: true, ..Default::default() };
        check(dev, "max_pool2d opts", max(opts, 3), &p, &MAX_POOL_OPTS, &MAX_POOL_OPTS_GRAD);
        let dilated = MaxPool2dOptions { stride: Some([1, 1]), dilation: [2, 2], ..Default::default() };
        check(dev, "max_pool2d dilated", max(dilated, 2), &p, &MAX_POOL_DILATED, &MAX_POOL_DILATED_GRAD);
        let (y, idx) = F::max_pool2d_with_indices(&Var::constant(p.clone()), 3, opts).unwrap();
        common::assert_values(dev, &y.tensor(), &[1, 2, 3, 3], &MAX_POOL_OPTS, TOL);
        assert_eq!(idx.dtype(), DType::I64, "on {dev}");
        common::assert_values(dev, &idx, &[1, 2, 3, 3], &MAX_POOL_INDICES, 0.0);

        let avg = |o: AvgPool2dOptions, k: [usize; 2]| move |x: &Var| F::avg_pool2d(x, k, o);
        check(
            dev,
            "avg_pool2d(x, 2)",
            avg(AvgPool2dOptions::default(), [2, 2]),
            &p,
            &AVG_POOL_DEFAULT,
            &AVG_POOL_DEFAULT_GRAD,
        );
        let o = AvgPool2dOptions {
            stride: Some([2, 2]),
            padding: [1, 1],
            ceil_mode: true,
            count_include_pad: false,
            ..Default::default()
        };
        check(dev, "avg_pool2d opts", avg(o, [3, 3]), &p, &AVG_POOL_OPTS, &AVG_POOL_OPTS_GRAD);
        let o = AvgPool2dOptions { stride: Some([1, 2]), padding: [1, 1], ..Default::default() };
        check(dev, "avg_pool2d pad", avg(o, [2, 3]), &p, &AVG_POOL_PAD, &AVG_POOL_PAD_GRAD);
        let o =
            AvgPool2dOptions { stride: Some([1, 1]), padding: [1, 1], divisor_override: Some(3), ..Default::default() };
        check(dev, "avg_pool2d divisor", avg(o, [2, 2]), &p, &AVG_POOL_DIVISOR, &AVG_POOL_DIVISOR_GRAD);
        let e = F::avg_pool2d(&Var::constant(p.clone()), 2, AvgPool2dOptions { divisor_override: Some(0), ..o });
        assert_eq!(e.unwrap_err().kind(), ErrorKind::Value, "on {dev}");
        check(dev, "adaptive_avg_pool2d", |x| F::adaptive_avg_pool2d(x, [3, 2]), &p, &ADAPTIVE_AVG, &ADAPTIVE_AVG_GRAD);

        let q = pattern(dev, &[2, 2, 7], 4);
        let o = Pool1dOptions { stride: Some(2), padding: 1, ..Default::default() };
        check(dev, "max_pool1d", |x| F::max_pool1d(x, 3, o), &q, &MAX_POOL1D, &MAX_POOL1D_GRAD);
        let o = Pool1dOptions { count_include_pad: false, ..o };
        check(dev, "avg_pool1d", |x| F::avg_pool1d(x, 3, o), &q, &AVG_POOL1D, &AVG_POOL1D_GRAD);
        check(dev, "adaptive_avg_pool1d", |x| F::adaptive_avg_pool1d(x, 3), &q, &ADAPTIVE_AVG1D, &ADAPTIVE_AVG1D_GRAD);
        gradcheck_on(|v| F::avg_pool1d(&v[0], 3, o), &[q]).unwrap();
    }
}

fn bn_params(dev: &Device) -> (Tensor, Tensor, Tensor, Tensor, Tensor) {
    let running_var = pattern(dev, &[2], 9).abs().unwrap().add(0.5).unwrap();
    (pattern(dev, &[3, 2, 2, 2], 5), pattern(dev, &[2], 6), pattern(dev, &[2], 7), pattern(dev, &[2], 8), running_var)
}

#[test]
fn batch_norm_matches_pytorch() {
    for dev in &devices() {
        let (x, w, b, rm, rv) = bn_params(dev);
        let (w, b) = (Var::constant(w), Var::constant(b));
        // Training: batch statistics, and the running ones move by the momentum.
        let (rm_t, rv_t) = (rm.clone(), rv.clone());
        let train = BatchNormOptions { training: true, momentum: 0.25, ..Default::default() };
        check(
            dev,
            "batch_norm train",
            |v| F::batch_norm(v, Some((&rm_t, &rv_t)), Some(&w), Some(&b), train),
            &x,
            &BATCH_NORM_TRAIN,
            &BATCH_NORM_TRAIN_GRAD,
        );
        close(dev, &rm_t.to_vec::<f64>().unwrap(), &BATCH_NORM_RUNNING_MEAN, "running_mean");
        close(dev, &rv_t.to_vec::<f64>().unwrap(), &BATCH_NORM_RUNNING_VAR, "running_var");
        // Eval (PyTorch's default training=False): the running statistics.
        let eval = BatchNormOptions::default();
        check(
            dev,
            "batch_norm eval",
            |v| F::batch_norm(v, Some((&rm, &rv)), Some(&w), Some(&b), eval),
            &x,
            &BATCH_NORM_EVAL,
            &BATCH_NORM_EVAL_GRAD,
        );
        let y = F::batch_norm(&Var::constant(x.clone()), Some((&rm, &rv)), None, None, eval).unwrap();
        common::assert_values(dev, &y.tensor(), &[3, 2, 2, 2], &BATCH_NORM_EVAL_DEFAULT, TOL);
        // gradcheck of the eval path over input, weight and bias.
        gradcheck_on(
            |v| F::batch_norm(&v[0], Some((&rm, &rv)), Some(&v[1]), Some(&v[2]), eval),
            &[x.clone(), pattern(dev, &[2], 6), pattern(dev, &[2], 7)],
        )
        .unwrap();
        // Errors: eval without running statistics, a wrong weight, one value per channel.
        let xv = Var::constant(x);
        assert_eq!(F::batch_norm(&xv, None, None, None, eval).unwrap_err().kind(), ErrorKind::Value, "on {dev}");
        let e = F::batch_norm(&xv, None, Some(&Var::constant(pattern(dev, &[3], 1))), None, train).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Shape, "on {dev}");
        let one = Var::constant(pattern(dev, &[1, 2], 1));
        assert_eq!(F::batch_norm(&one, None, None, None, train).unwrap_err().kind(), ErrorKind::Value, "on {dev}");
    }
}

#[test]
fn norms_and_distances_match_pytorch() {
    for dev in &devices() {
        let r = pattern(dev, &[2, 3, 4], 10);
        let w = Var::constant(pattern(dev, &[4], 11));
        check(dev, "rms_norm", |x| F::rms_norm(x, &[4], Some(&w), None), &r, &RMS_NORM, &RMS_NORM_GRAD);
        check(dev, "rms_norm eps", |x| F::rms_norm(x, &[3, 4], None, Some(0.5)), &r, &RMS_NORM_EPS, &RMS_NORM_EPS_GRAD);
        check(dev, "normalize", |x| F::normalize(x, NormalizeOptions::default()), &r, &NORMALIZE, &NORMALIZE_GRAD);
        let p1 = NormalizeOptions { p: 1.0, dim: -1, ..Default::default() };
        check(dev, "normalize p1", |x| F::normalize(x, p1), &r, &NORMALIZE_P1, &NORMALIZE_P1_GRAD);
        let r2 = Var::constant(pattern(dev, &[2, 1, 4], 12));
        let cos = CosineSimilarityOptions::default();
        check(dev, "cosine_similarity", |x| F::cosine_similarity(x, &r2, cos), &r, &COSINE, &COSINE_GRAD);
        let last = CosineSimilarityOptions { dim: -1, eps: 0.5 };
        check(
            dev,
            "cosine_similarity last",
            |x| F::cosine_similarity(x, &r2, last),
            &r,
            &COSINE_LAST,
            &COSINE_LAST_GRAD,
        );
        let pd = PairwiseDistanceOptions::default();
        check(dev, "pairwise_distance", |x| F::pairwise_distance(x, &r2, pd), &r, &PAIRWISE, &PAIRWISE_GRAD);
        let pd1 = PairwiseDistanceOptions { p: 1.0, eps: 0.25, keepdim: true };
        check(dev, "pairwise_distance p1", |x| F::pairwise_distance(x, &r2, pd1), &r, &PAIRWISE_P1, &PAIRWISE_P1_GRAD);

        let inputs = [r.clone(), pattern(dev, &[2, 1, 4], 12)];
        gradcheck_on(|v| F::cosine_similarity(&v[0], &v[1], cos), &inputs).unwrap();
        gradcheck_on(|v| F::pairwise_distance(&v[0], &v[1], pd), &inputs).unwrap();
        gradcheck_on(|v| F::normalize(&v[0], NormalizeOptions::default()), &inputs[..1]).unwrap();
        gradcheck_on(|v| F::rms_norm(&v[0], &[4], Some(&v[1]), None), &[r.clone(), pattern(dev, &[4], 11)]).unwrap();
        let e = F::rms_norm(&Var::constant(r), &[3], None, None).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Shape, "on {dev}");
    }
}

#[test]
fn embedding_padding_idx_gets_no_gradient() {
    for dev in &devices() {
        let weight = Var::new(pattern(dev, &[5, 3], 13), true);
        let ids = Tensor::new([[0i64, 2, 4], [2, 2, 1]], dev).unwrap();
        let opts = EmbeddingOptions { padding_idx: Some(2) };
        let e = F::embedding(&ids, &weight, opts).unwrap();
        common::assert_values(dev, &e.tensor(), &[2, 3, 3], &EMBEDDING, 0.0);
        e.mul(&pattern(dev, &[2, 3, 3], 2)).unwrap().sum().unwrap().backward().unwrap();
        common::assert_values(dev, &weight.grad().unwrap(), &[5, 3], &EMBEDDING_WEIGHT_GRAD, TOL);
        // A negative padding_idx counts from the end; out of range is an error.
        let neg = F::embedding(&ids, &weight, EmbeddingOptions { padding_idx: Some(-3) }).unwrap();
        common::assert_values(dev, &neg.tensor(), &[2, 3, 3], &EMBEDDING, 0.0);
        let bad = F::embedding(&ids, &weight, EmbeddingOptions { padding_idx: Some(5) }).unwrap_err();
        assert_eq!(bad.kind(), ErrorKind::Index, "on {dev}");
        let float_ids = F::embedding(&ids.to_dtype(DType::F32).unwrap(), &weight, opts).unwrap_err();
        assert_eq!(float_ids.kind(), ErrorKind::DType, "on {dev}");
    }
}

#[test]
fn bilinear_matches_pytorch() {
    for dev in &devices() {
        let (x1, x2) = (Var::constant(pattern(dev, &[2, 3], 14)), Var::constant(pattern(dev, &[2, 4], 15)));
        let w = Var::new(pattern(dev, &[2, 3, 4], 16), true);
        let b = Var::constant(pattern(dev, &[2], 17));
        let y = F::bilinear(&x1, &x2, &w, Some(&b)).unwrap();
        common::assert_values(dev, &y.tensor(), &[2, 2], &BILINEAR, TOL);
        y.mul(&pattern(dev, &[2, 2], 2)).unwrap().sum().unwrap().backward().unwrap();
        common::assert_values(dev, &w.grad().unwrap(), &[2, 3, 4], &BILINEAR_GRAD_W, TOL);
        gradcheck_on(
            |v| F::bilinear(&v[0], &v[1], &v[2], Some(&v[3])),
            &[
                pattern(dev, &[2, 3], 14),
                pattern(dev, &[2, 4], 15),
                pattern(dev, &[2, 3, 4], 16),
                pattern(dev, &[2], 17),
            ],
        )
        .unwrap();
        assert_eq!(F::bilinear(&x2, &x1, &w, None).unwrap_err().kind(), ErrorKind::Shape, "on {dev}");
    }
}

#[test]
fn dropout2d_zeroes_whole_channels() {
    for dev in &devices() {
        tensor_core::manual_seed(7);
        let x = Var::constant(Tensor::ones([4, 8, 3, 3], DType::F64, dev).unwrap());
        let y = F::dropout2d(&x, 0.5, true).unwrap().tensor();
        let sums = y.sum_dim(&[2, 3], false).unwrap().to_vec::<f64>().unwrap();
        // Each channel is all zeros or all 2 (= 1 / (1 - p)); both happen.
        assert!(sums.iter().all(|&s| s == 0.0 || s == 18.0), "on {dev}: {sums:?}");
        assert!(sums.contains(&0.0) && sums.contains(&18.0), "on {dev}: {sums:?}");
        assert_eq!(F::dropout2d(&x, 0.5, false).unwrap().tensor().to_vec::<f64>().unwrap(), vec![1.0; 288], "on {dev}");
        assert_eq!(F::dropout2d(&x, 1.5, true).unwrap_err().kind(), ErrorKind::Value, "on {dev}");
    }
}

#[test]
fn losses_match_pytorch() {
    for dev in &devices() {
        let (inp, tgt) = (pattern(dev, &[2, 5], 18).mul(2.0).unwrap(), pattern(dev, &[2, 5], 19));
        let (i, t) = (Var::constant(inp.clone()), Var::constant(tgt.clone()));
        three(dev, &SMOOTH_L1, &[2, 5], |r| F::smooth_l1_loss(&i, &t, r, 1.0));
        three(dev, &SMOOTH_L1_BETA, &[2, 5], |r| F::smooth_l1_loss(&i, &t, r, 0.5));
        three(dev, &SMOOTH_L1_BETA0, &[2, 5], |r| F::smooth_l1_loss(&i, &t, r, 0.0));
        three(dev, &HUBER, &[2, 5], |r| F::huber_loss(&i, &t, r, 1.0));
        three(dev, &HUBER_DELTA, &[2, 5], |r| F::huber_loss(&i, &t, r, 0.5));
        let sl1 = SmoothL1Loss { beta: 0.5, ..Default::default() };
        close(dev, &[sl1.forward(&i, &t).unwrap().item::<f64>().unwrap()], &SMOOTH_L1_BETA[10..11], "SmoothL1Loss");
        close(
            dev,
            &[HuberLoss::default().forward(&i, &t).unwrap().item::<f64>().unwrap()],
            &HUBER[10..11],
            "HuberLoss",
        );

        let logp = pattern(dev, &[2, 5], 20).log_softmax(1).unwrap();
        let prob = pattern(dev, &[2, 5], 21).softmax(1).unwrap();
        let prob0 = prob.clone();
        let mut zero = prob0.i((0, 1)).unwrap();
        zero.fill_(0.0).unwrap();
        let (lp, p0) = (Var::constant(logp.clone()), Var::constant(prob0.clone()));
        let kl = |reduction| KlDivOptions { reduction, log_target: false };
        let red = |r: Reduction| match r {
            Reduction::None => KlDivReduction::None,
            Reduction::Mean => KlDivReduction::Mean,
            Reduction::Sum => KlDivReduction::Sum,
        };
        three(dev, &KL_DIV, &[2, 5], |r| F::kl_div(&lp, &p0, kl(red(r))));
        close(
            dev,
            &[F::kl_div(&lp, &p0, kl(KlDivReduction::BatchMean)).unwrap().item().unwrap()],
            &KL_DIV_BATCHMEAN,
            "bm",
        );
        let logt = Var::constant(prob.log().unwrap());
        three(dev, &KL_DIV_LOG_TARGET, &[2, 5], |r| {
            F::kl_div(&lp, &logt, KlDivOptions { reduction: red(r), log_target: true })
        });
        let module = KLDivLoss { options: kl(KlDivReduction::Sum) };
        close(dev, &[module.forward(&lp, &p0).unwrap().item().unwrap()], &KL_DIV[11..], "KLDivLoss");

        let sign = pattern(dev, &[2, 5], 22)
            .gt(0.0)
            .unwrap()
            .to_dtype(DType::F64)
            .unwrap()
            .mul(2.0)
            .unwrap()
            .sub(1.0)
            .unwrap();
        let s = Var::constant(sign.clone());
        three(dev, &SOFT_MARGIN, &[2, 5], |r| F::soft_margin_loss(&i, &s, r));
        let counts = Var::constant(pattern(dev, &[2, 5], 23).abs().unwrap().mul(4.0).unwrap());
        let po = |reduction| PoissonNllOptions { reduction, ..Default::default() };
        three(dev, &POISSON, &[2, 5], |r| F::poisson_nll_loss(&i, &counts, po(r)));
        three(dev, &POISSON_FULL, &[2, 5], |r| {
            F::poisson_nll_loss(&i, &counts, PoissonNllOptions { full: true, ..po(r) })
        });
        let rate = Var::constant(inp.abs().unwrap().add(0.25).unwrap());
        three(dev, &POISSON_RATE, &[2, 5], |r| {
            F::poisson_nll_loss(&rate, &counts, PoissonNllOptions { log_input: false, ..po(r) })
        });
        three(dev, &MARGIN_RANKING, &[2, 5], |r| F::margin_ranking_loss(&i, &t, &s, 0.0, r));
        three(dev, &MARGIN_RANKING_M, &[2, 5], |r| F::margin_ranking_loss(&i, &t, &s, 0.5, r));
    }
}

#[test]
fn losses_gradcheck_and_errors() {
    for dev in &devices() {
        // Input and target away from the kinks (|d| = beta or delta).
        let a = pattern(dev, &[2, 5], 18).mul(2.0).unwrap().add(0.1).unwrap();
        let b = pattern(dev, &[2, 5], 19);
        for r in [Reduction::None, Reduction::Mean, Reduction::Sum] {
            gradcheck_on(|v| F::smooth_l1_loss(&v[0], &v[1], r, 0.5), &[a.clone(), b.clone()]).unwrap();
            gradcheck_on(|v| F::huber_loss(&v[0], &v[1], r, 0.5), &[a.clone(), b.clone()]).unwrap();
        }
        let logp = pattern(dev, &[2, 5], 20).log_softmax(1).unwrap();
        let prob = pattern(dev, &[2, 5], 21).softmax(1).unwrap();
        for log_target in [false, true] {
            let t = if log_target { prob.log().unwrap() } else { prob.clone() };
            let o = KlDivOptions { reduction: KlDivReduction::BatchMean, log_target };
            gradcheck_on(|v| F::kl_div(&v[0], &v[1], o), &[logp.clone(), t]).unwrap();
        }
        let sign = pattern(dev, &[2, 5], 22).gt(0.0).unwrap().to_dtype(DType::F64).unwrap();
        gradcheck_on(
            |v| F::soft_margin_loss(&v[0], &Var::constant(sign.clone()), Reduction::Mean),
            std::slice::from_ref(&a),
        )
        .unwrap();
        let counts = pattern(dev, &[2, 5], 23).abs().unwrap().mul(4.0).unwrap();
        let full = PoissonNllOptions { full: true, ..Default::default() };
        gradcheck_on(|v| F::poisson_nll_loss(&v[0], &Var::constant(counts.clone()), full), std::slice::from_ref(&a))
            .unwrap();
        gradcheck_on(
            |v| F::margin_ranking_loss(&v[0], &v[1], &Var::constant(sign.clone()), 0.5, Reduction::Sum),
            &[a, b],
        )
        .unwrap();

        let (x, y) = (Var::constant(pattern(dev, &[2, 5], 1)), Var::constant(pattern(dev, &[5], 1)));
        assert_eq!(F::smooth_l1_loss(&x, &y, Reduction::Mean, 1.0).unwrap_err().kind(), ErrorKind::Shape, "on {dev}");
        assert_eq!(F::smooth_l1_loss(&x, &x, Reduction::Mean, -1.0).unwrap_err().kind(), ErrorKind::Value, "on {dev}");
        assert_eq!(F::huber_loss(&x, &x, Reduction::Mean, 0.0).unwrap_err().kind(), ErrorKind::Value, "on {dev}");
    }
}

#[test]
fn std_var_norm_where_with_pytorch_defaults() {
    for dev in &devices() {
        let s = pattern(dev, &[3, 4], 24);
        close(dev, &[s.std_all().unwrap().item().unwrap()], &STD, "Tensor::std_all");
        close(dev, &[s.var_all().unwrap().item().unwrap()], &VAR, "Tensor::var_all");
        close(dev, &[s.norm_all().unwrap().item().unwrap()], &NORM, "Tensor::norm_all");
        let v = Var::constant(s.clone());
        close(dev, &[v.std_all().unwrap().item().unwrap()], &STD, "Var::std_all");
        close(dev, &[v.var_all().unwrap().item().unwrap()], &VAR, "Var::var_all");
        close(dev, &[v.norm_all().unwrap().item().unwrap()], &NORM, "Var::norm_all");
        let cond = s.gt(0.0).unwrap();
        let other = pattern(dev, &[4], 25);
        common::assert_values(dev, &tensor_core::where_(&cond, &s, &other).unwrap(), &[3, 4], &WHERE, 0.0);
        let w = F::where_(&cond, &v, &Var::constant(other.clone())).unwrap();
        common::assert_values(dev, &w.tensor(), &[3, 4], &WHERE, 0.0);
        gradcheck_on(|x| F::where_(&cond, &x[0], &x[1]), &[s.clone(), other]).unwrap();
        gradcheck_on(|x| x[0].std_all(), std::slice::from_ref(&s)).unwrap();
        gradcheck_on(|x| x[0].norm_all(), &[s]).unwrap();
    }
}

#[test]
fn functional_pad_and_one_hot() {
    for dev in &devices() {
        let x = Var::constant(Tensor::new([[1.0f64, 2.0, 3.0]], dev).unwrap());
        let y = F::pad(&x, &[1, 2], PadMode::Constant(0.5)).unwrap();
        assert_eq!(y.tensor().to_vec::<f64>().unwrap(), [0.5, 1.0, 2.0, 3.0, 0.5, 0.5], "on {dev}");
        let y = F::pad(&x, &[2, 1], PadMode::Reflect).unwrap();
        assert_eq!(y.tensor().to_vec::<f64>().unwrap(), [3.0, 2.0, 1.0, 2.0, 3.0, 2.0], "on {dev}");
        let oh = F::one_hot(&Tensor::new([2i64, 0], dev).unwrap(), None).unwrap();
        assert_eq!(oh.to_vec::<i64>().unwrap(), [0, 0, 1, 1, 0, 0], "on {dev}");
    }
}
