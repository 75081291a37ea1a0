//! Cross-entropy against class probabilities (a float target of the logits' shape), against
//! PyTorch and through `gradcheck`, and its error cases.
//!
//! Every `const` below was printed by `scripts/pytorch/nn_gaps.py losses` (PyTorch 2.15.0, CPU,
//! float64) and pasted unchanged: each holds the loss under reduction none (flattened), then
//! mean, then sum; the `// ...` lines it printed (errors, the empty batch) are quoted where the
//! test asserts them.
//!
//! Every test runs on every device (`common::devices`): inputs, parameters and modules are
//! built on the device, and on a GPU the comparisons widen to PyTorch's `assert_close`
//! tolerances for sums (`common::near`); gradcheck runs there through `common::gradcheck_on`.

use tensor_autograd::Var;
use tensor_core::{DType, Device, Result, Tensor};
use tensor_nn::functional as F;
use tensor_nn::{ClassLossOptions, CrossEntropyLoss, Reduction};

use crate::common;
use common::*;
use common::{input as c, pattern_f64 as pattern};

/// The logits, `pattern([4, 3], 1) * 2`.
fn x(dev: &Device) -> Tensor {
    pattern(dev, &[4, 3], 1).mul(2.0).unwrap()
}
/// Class probabilities, `softmax(pattern([4, 3], 7), 1)`.
fn pt(dev: &Device) -> Tensor {
    pattern(dev, &[4, 3], 7).softmax(1).unwrap()
}
/// Non-negative targets whose rows do not sum to one, `|pattern([4, 3], 8)|`.
fn qt(dev: &Device) -> Tensor {
    pattern(dev, &[4, 3], 8).abs().unwrap()
}
fn w(dev: &Device) -> Tensor {
    Tensor::new([0.25f64, 1.0, 2.5], dev).unwrap()
}

/// Class weights and label smoothing, PyTorch's default `ignore_index=-100`.
fn opts(weight: Option<Tensor>, label_smoothing: f64, reduction: Reduction) -> ClassLossOptions {
    ClassLossOptions { weight, label_smoothing, reduction, ..ClassLossOptions::default() }
}

// cross_entropy of X = pattern([4, 3], 1) * 2 against PT = softmax(pattern([4, 3], 7), 1)
// and QT = |pattern([4, 3], 8)|, class weights W = [0.25, 1, 2.5]
const CE_PROB: [f64; 6] =
    [2.755877666657466, 1.020546611995452, 1.020546611995452, 0.9526684028172803, 1.4374098233664125, 5.74963929346565];
const CE_PROB_UNNORMALISED: [f64; 6] = [
    2.3409343728381335,
    4.567355856919857,
    1.6287767776043331,
    3.581636541654681,
    3.0296758872542515,
    12.118703549017006,
];
const CE_PROB_WEIGHT: [f64; 6] = [
    2.7126400763647602,
    1.477623586048112,
    1.477623586048112,
    1.4045497003864906,
    1.7681092372118685,
    7.072436948847474,
];
const CE_PROB_SMOOTH: [f64; 6] = [
    2.5763948524421663,
    1.2252022546559043,
    1.2252022546559043,
    1.234175953363657,
    1.5652438287794082,
    6.260975315117633,
];
const CE_PROB_ALL: [f64; 6] = [
    1.6834929908495693,
    5.7507224675728175,
    3.397838095411301,
    4.474633329573385,
    3.8266717208517678,
    15.306686883407071,
];
const CE_PROB_ALL_GRAD_X: [f64; 12] = [
    0.10367485207558085,
    -0.030677789756574567,
    -0.0729970623190062,
    -0.009053803616595774,
    0.49717628762940913,
    -0.48812248401281333,
    0.008749350532481319,
    0.27483527196997104,
    -0.2835846225024523,
    0.3203386231488317,
    -0.2070222043320954,
    -0.11331641881673626,
];
const CE_PROB_ALL_GRAD_T: [f64; 12] = [
    0.06672444897333404,
    0.6606477958933361,
    0.12036948973334041,
    0.15868816944010833,
    0.022252677760433322,
    1.0400066944010833,
    0.15868816944010833,
    0.022252677760433322,
    1.0400066944010833,
    0.004821519305275895,
    0.4130360772211035,
    2.016965193052759,
];
const CE_PROB_KDIM: [f64; 10] = [
    2.067018043058818,
    1.0203923743075682,
    0.6960413024777948,
    2.067018043058818,
    1.8693273080718669,
    2.067018043058818,
    1.8693273080718669,
    1.4281565596360055,
    1.6355373727176945,
    13.084298981741556,
];
const CE_PROB_1D: [f64; 3] = [1.477623586048112, 1.477623586048112, 1.477623586048112];
const CE_PROB_MODULE: [f64; 1] = [7.838696076176037];
// empty: mean nan, sum -0.0, none shape [0]
// error: ignore_index=1 with class probabilities: RuntimeError: ignore_index is not supported for floating point target
// error: ignore_index=0 with class probabilities: RuntimeError: ignore_index is not supported for floating point target
// error: an integer target of the logits' shape: RuntimeError: Expected floating point type for target with class probabilities, got Long
// error: label_smoothing=1.5 with class probabilities: RuntimeError: label_smoothing must be between 0.0 and 1.0. Got: 1.5
// error: label_smoothing=1.5 with class indices: RuntimeError: label_smoothing must be between 0.0 and 1.0. Got: 1.5
// error: class weights of the wrong length: RuntimeError: cross_entropy: weight tensor should be defined either for all 3 classes or no classes but got weight tensor of shape: [2]
// error: a float target of another shape: RuntimeError: 0D or 1D target tensor expected, multi-target not supported
const CE_PROB_SMOOTH_ONE: [f64; 1] = [2.07657985043139];

#[test]
fn cross_entropy_probs_matches_pytorch() {
    for dev in &devices() {
        let ce = |t: fn(&Device) -> Tensor, weight: Option<Tensor>, ls: f64| {
            move |r| F::cross_entropy(&c(x(dev)), &t(dev), &opts(weight.clone(), ls, r))
        };
        three(dev, &CE_PROB, &[4], ce(pt, None, 0.0));
        three(dev, &CE_PROB_UNNORMALISED, &[4], ce(qt, None, 0.0));
        three(dev, &CE_PROB_WEIGHT, &[4], ce(pt, Some(w(dev)), 0.0));
        three(dev, &CE_PROB_SMOOTH, &[4], ce(pt, None, 0.2));
        three(dev, &CE_PROB_ALL, &[4], ce(qt, Some(w(dev)), 0.3));
        // The same through cross_entropy_probs, with a target Var.
        three(dev, &CE_PROB_ALL, &[4], |r| {
            F::cross_entropy_probs(&c(x(dev)), &c(qt(dev)), &opts(Some(w(dev)), 0.3, r))
        });
        // label_smoothing=1 makes the target uniform.
        let l = F::cross_entropy(&c(x(dev)), &pt(dev), &opts(None, 1.0, Reduction::Mean)).unwrap();
        close(dev, &[l.item::<f64>().unwrap()], &CE_PROB_SMOOTH_ONE, "label_smoothing=1");
    }
}

#[test]
fn cross_entropy_probs_spatial_single_sample_and_module() -> Result<()> {
    for dev in &devices() {
        let xk = pattern(dev, &[2, 3, 2, 2], 2);
        let tk = pattern(dev, &[2, 3, 2, 2], 9).mul(2.0)?.softmax(1)?;
        three(dev, &CE_PROB_KDIM, &[2, 2, 2], |r| {
            F::cross_entropy(&c(xk.shallow_clone()), &tk, &opts(Some(w(dev)), 0.1, r))
        });
        // [C] logits against [C] probabilities: a 0-d loss under every reduction.
        let (x1, t1) = (x(dev).select(0, 1)?, pt(dev).select(0, 1)?);
        three(dev, &CE_PROB_1D, &[], |r| F::cross_entropy(&c(x1.shallow_clone()), &t1, &opts(Some(w(dev)), 0.0, r)));
        let loss = CrossEntropyLoss { options: opts(Some(w(dev)), 0.2, Reduction::Sum) };
        close(dev, &[loss.forward(&c(x(dev)), &pt(dev))?.item::<f64>()?], &CE_PROB_MODULE, "module");
        close(
            dev,
            &[loss.forward_probs(&c(x(dev)), &c(pt(dev)))?.item::<f64>()?],
            &CE_PROB_MODULE,
            "module, Var target",
        );
    }
    Ok(())
}

#[test]
fn cross_entropy_probs_gradients_match_pytorch() -> Result<()> {
    for dev in &devices() {
        let (logits, target) = (Var::parameter(x(dev)), Var::parameter(qt(dev)));
        F::cross_entropy_probs(&logits, &target, &opts(Some(w(dev)), 0.3, Reduction::Mean))?.backward()?;
        close(dev, &logits.grad().unwrap().to_vec::<f64>()?, &CE_PROB_ALL_GRAD_X, "gradient of the logits");
        close(dev, &target.grad().unwrap().to_vec::<f64>()?, &CE_PROB_ALL_GRAD_T, "gradient of the target");
        // A plain tensor target: the same logits' gradient.
        let logits = Var::parameter(x(dev));
        F::cross_entropy(&logits, &qt(dev), &opts(Some(w(dev)), 0.3, Reduction::Mean))?.backward()?;
        close(dev, &logits.grad().unwrap().to_vec::<f64>()?, &CE_PROB_ALL_GRAD_X, "gradient, tensor target");
    }
    Ok(())
}

#[test]
fn cross_entropy_probs_gradcheck() -> Result<()> {
    for dev in &devices() {
        for o in [
            opts(None, 0.0, Reduction::Mean),
            opts(Some(w(dev)), 0.0, Reduction::Sum),
            opts(None, 0.2, Reduction::None),
            opts(Some(w(dev)), 0.3, Reduction::Mean),
        ] {
            gradcheck_on(|v| F::cross_entropy_probs(&v[0], &v[1], &o), &[x(dev), qt(dev)])?;
            gradcheck_on(|v| F::cross_entropy(&v[0], &pt(dev), &o), &[x(dev)])?;
        }
        let o = opts(Some(w(dev)), 0.1, Reduction::Mean);
        let tk = pattern(dev, &[2, 3, 2, 2], 9).mul(2.0)?.softmax(1)?;
        gradcheck_on(|v| F::cross_entropy_probs(&v[0], &v[1], &o), &[pattern(dev, &[2, 3, 2, 2], 2), tk])?;
        let o = opts(Some(w(dev)), 0.1, Reduction::None);
        gradcheck_on(|v| F::cross_entropy_probs(&v[0], &v[1], &o), &[x(dev).select(0, 1)?, pt(dev).select(0, 1)?])?;
    }
    Ok(())
}

#[test]
fn cross_entropy_probs_errors_and_edge_cases() -> Result<()> {
    for dev in &devices() {
        let (logits, d) = (c(x(dev)), opts(None, 0.0, Reduction::Mean));
        let plain = F::cross_entropy(&logits, &pt(dev), &d)?.item::<f64>()?;
        // A negative ignore_index (the default -100, or -1) changes nothing, as PyTorch; so does None.
        for ignore_index in [Some(-1), None] {
            let o = ClassLossOptions { ignore_index, ..d.clone() };
            assert_eq!(F::cross_entropy(&logits, &pt(dev,), &o)?.item::<f64>()?, plain, "on {dev}");
        }
        // ERRORS
        for ignore_index in [1, 0] {
            let o = ClassLossOptions { ignore_index: Some(ignore_index), ..d.clone() };
            let e = F::cross_entropy(&logits, &pt(dev), &o).unwrap_err();
            assert!(e.to_string().contains("ignore_index is not supported for floating point target"), "on {dev}: {e}");
        }
        let e = F::cross_entropy(&logits, &Tensor::ones([4, 3], DType::I64, dev)?, &d).unwrap_err();
        assert!(
            e.to_string().contains("Expected floating point type for target with class probabilities"),
            "on {dev}: {e}"
        );
        for target in [pt(dev), Tensor::new([0i64, 1, 2, 0], dev)?] {
            let e = F::cross_entropy(&logits, &target, &opts(None, 1.5, Reduction::Mean)).unwrap_err();
            assert!(e.to_string().contains("label_smoothing must be between 0.0 and 1.0"), "on {dev}: {e}");
        }
        let e =
            F::cross_entropy(&logits, &pt(dev), &opts(Some(Tensor::ones([2], DType::F64, dev)?), 0.0, Reduction::Mean))
                .unwrap_err();
        assert!(e.to_string().contains("weight tensor should be defined either for all 3 classes"), "on {dev}: {e}");
        // A float target of another shape is taken for class indices, which must be integers.
        assert!(F::cross_entropy(&logits, &pt(dev,).narrow(1, 0, 2)?, &d).is_err(), "on {dev}");
        assert!(F::cross_entropy_probs(&logits, &c(pt(dev,).narrow(1, 0, 2)?), &d).is_err(), "on {dev}");
        // A negative label_smoothing is ignored with class indices, as PyTorch.
        let t = Tensor::new([2i64, 0, 1, 2], dev)?;
        let a = F::cross_entropy(&logits, &t, &opts(None, -0.5, Reduction::Mean))?.item::<f64>()?;
        assert_eq!(a, F::cross_entropy(&logits, &t, &d)?.item::<f64>()?, "on {dev}");
        // EMPTY
        let empty = Tensor::zeros([0, 3], DType::F64, dev)?;
        let ce = |r| F::cross_entropy(&c(empty.shallow_clone()), &empty, &opts(None, 0.0, r));
        assert!(ce(Reduction::Mean)?.item::<f64>()?.is_nan(), "on {dev}");
        assert_eq!(ce(Reduction::Sum)?.item::<f64>()?, 0.0, "on {dev}");
        assert_eq!(ce(Reduction::None)?.size(), &[0], "on {dev}");
        // float32 logits and probabilities work as well as float64.
        let l = F::cross_entropy(&c(x(dev).to_dtype(DType::F32)?), &pt(dev).to_dtype(DType::F32)?, &d)?;
        assert_eq!(l.dtype(), DType::F32, "on {dev}");
        assert!((l.item::<f64>()? - CE_PROB[4]).abs() < 1e-6, "on {dev}");
    }
    Ok(())
}
