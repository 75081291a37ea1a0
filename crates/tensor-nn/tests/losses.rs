//! Losses against PyTorch, through `gradcheck`, and their error cases.
//!
//! Every `const` below was printed by `scripts/pytorch/nn_losses.py` (PyTorch 2.15, CPU,
//! float64) and pasted unchanged: each holds the loss under reduction none (flattened), then
//! mean, then sum; `*_GRAD` constants hold the gradient of the mean loss w.r.t. the input.
//!
//! Every test runs on every device (`common::devices`): inputs, parameters and modules are
//! built on the device, and on a GPU the comparisons widen to PyTorch's `assert_close`
//! tolerances for sums (`common::near`); gradcheck runs there through `common::gradcheck_on`.

// PyTorch's literals are pasted unchanged, ln 2 among them.
#![allow(clippy::approx_constant)]

use tensor_autograd::Var;
use tensor_core::{DType, Device, Result, Tensor};
use tensor_nn::functional as F;
use tensor_nn::{BCELoss, BCEWithLogitsLoss, ClassLossOptions, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss, Reduction};

use crate::common;
use common::*;
use common::{input as c, pattern_f64 as pattern};

/// The logits, targets and class weights of the cross-entropy cases.
fn x(dev: &Device) -> Tensor {
    pattern(dev, &[4, 3], 1).mul(2.0).unwrap()
}
fn t(dev: &Device) -> Tensor {
    Tensor::new([2i64, 0, 1, 2], dev).unwrap()
}
fn w(dev: &Device) -> Tensor {
    Tensor::new([0.25f64, 1.0, 2.5], dev).unwrap()
}

fn opts(
    weight: Option<Tensor>,
    ignore_index: Option<i64>,
    label_smoothing: f64,
    reduction: Reduction,
) -> ClassLossOptions {
    ClassLossOptions { weight, ignore_index, label_smoothing, reduction }
}

// cross_entropy on logits X = pattern([4, 3], 1) * 2, targets [2, 0, 1, 2], class weights [0.25, 1, 2.5]
const CE_PLAIN: [f64; 6] = [
    0.27513026224763526,
    3.6271581586310475,
    0.12715815863104757,
    4.610206155549164,
    2.159913183764724,
    8.639652735058895,
];
const CE_WEIGHT: [f64; 6] = [
    0.6878256556190881,
    0.9067895396577619,
    0.12715815863104757,
    11.52551538887291,
    2.1195661988449293,
    13.247288742780807,
];
const CE_IGNORE: [f64; 6] = [0.0, 3.6271581586310475, 0.12715815863104757, 0.0, 1.8771581586310475, 3.754316317262095];
const CE_SMOOTH: [f64; 6] = [
    0.5917969289143019,
    3.310491491964381,
    0.5104914919643809,
    4.160206155549163,
    2.1432465170980572,
    8.572986068392229,
];
const CE_ALL: [f64; 6] =
    [0.9659018072762249, 0.0, 0.786695020528376, 9.459188080541972, 1.868630818057762, 11.211784908346573];
const CE_ALL_GRAD: [f64; 12] = [
    0.07289741844498153,
    -0.00854417185432943,
    -0.0643532465906521,
    0.0,
    0.0,
    0.0,
    0.0005976699752295231,
    0.02443982784641739,
    -0.025037497821646902,
    0.3130425217419084,
    0.016766935815495473,
    -0.3298094575574038,
];
const CE_DEFAULT_IGNORE: [f64; 6] =
    [0.27513026224763526, 0.0, 0.12715815863104757, 4.610206155549164, 1.6708315254759487, 5.012494576427846];
const CE_KDIM: [f64; 10] = [
    0.3071430085475618,
    2.197258096460717,
    4.7386594878233375,
    2.4337382722870267,
    0.5500398842184929,
    0.3071430085475618,
    0.5651050824160708,
    0.8077295504259877,
    1.161640623485537,
    11.906816390726753,
];
const CE_1D: [f64; 3] = [3.775130262247635, 3.775130262247635, 3.775130262247635];
// nll_loss on log_softmax(X)
const NLL_PLAIN: [f64; 6] = [
    0.27513026224763526,
    3.6271581586310475,
    0.12715815863104757,
    4.610206155549164,
    2.159913183764724,
    8.639652735058895,
];
const NLL_WEIGHT_IGNORE: [f64; 6] =
    [0.6878256556190881, 0.9067895396577619, 0.0, 11.52551538887291, 2.499072492219002, 13.12013058414976];
// mse_loss / l1_loss of A = pattern([2, 3], 3) against B = pattern([2, 3], 4)
const MSE: [f64; 8] = [1.890625, 1.890625, 2.25, 1.890625, 2.25, 1.890625, 2.0104166666666665, 12.0625];
const L1: [f64; 8] = [1.375, 1.375, 1.5, 1.375, 1.5, 1.375, 1.4166666666666667, 8.5];
// binary_cross_entropy of P = sigmoid(pattern([2, 3], 5)) against YB, element weights WB
const BCE: [f64; 8] = [
    0.5759394198788437,
    1.600412651601648,
    0.8043732641398399,
    1.1368710061148999,
    1.3132616875182228,
    0.6950990353171691,
    1.020992844095104,
    6.125957064570623,
];
const BCE_WEIGHT: [f64; 8] = [
    0.5759394198788437,
    3.200825303203296,
    0.40218663206991995,
    0.28421775152872497,
    1.3132616875182228,
    2.0852971059515073,
    1.3102879833584193,
    7.861727900150516,
];
const BCE_CLAMP: [f64; 6] = [100.0, 100.0, 0.0, -0.0, 50.0, 200.0];
// binary_cross_entropy_with_logits of Z = pattern([2, 3], 6) * 4 (and +-30) against YB, pos_weight PW
const BCEL: [f64; 8] = [
    4.511047744848594,
    0.6931471805599453,
    1.136047744848594,
    0.07888973429254963,
    0.1269280110429727,
    2.5067153484891183,
    1.5087959606802954,
    9.052775764081773,
];
const BCEL_POS_WEIGHT: [f64; 8] = [
    4.511047744848594,
    0.6931471805599453,
    0.568023872424297,
    0.059167300719412216,
    0.1269280110429727,
    7.520146045467355,
    2.2464100258437623,
    13.478460155062574,
];
const BCEL_POS_WEIGHT_GRAD: [f64; 6] = [
    0.1648355095615678,
    -0.08333333333333333,
    -0.019917754780783902,
    -0.009482272502655431,
    0.019867153670352924,
    0.24665357453785763,
];
const BCEL_LARGE: [f64; 8] = [
    30.000000000000092,
    15.000000000000046,
    22.500000000000092,
    90.00000000000028,
    0.6931471805599453,
    12.500000000013888,
    28.44885786342906,
    170.69314718057436,
];

#[test]
fn cross_entropy_matches_pytorch() {
    for dev in &devices() {
        let ce = |o: ClassLossOptions| {
            move |r| F::cross_entropy(&c(x(dev)), &t(dev), &ClassLossOptions { reduction: r, ..o.clone() })
        };
        three(dev, &CE_PLAIN, &[4], ce(ClassLossOptions::default()));
        three(dev, &CE_WEIGHT, &[4], ce(opts(Some(w(dev)), None, 0.0, Reduction::Mean)));
        three(dev, &CE_IGNORE, &[4], ce(opts(None, Some(2), 0.0, Reduction::Mean)));
        three(dev, &CE_SMOOTH, &[4], ce(opts(None, None, 0.2, Reduction::Mean)));
        three(dev, &CE_ALL, &[4], ce(opts(Some(w(dev)), Some(0), 0.3, Reduction::Mean)));
    }
}

#[test]
fn cross_entropy_module_and_gradient() -> Result<()> {
    for dev in &devices() {
        let loss = CrossEntropyLoss { options: opts(Some(w(dev)), Some(0), 0.3, Reduction::Mean) };
        let logits = Var::parameter(x(dev));
        let l = loss.forward(&logits, &t(dev))?;
        close(dev, &[l.item::<f64>()?], &CE_ALL[4..5], "module");
        l.backward()?;
        close(dev, &logits.grad().unwrap().to_vec::<f64>()?, &CE_ALL_GRAD, "gradient");
    }
    Ok(())
}

#[test]
fn cross_entropy_default_ignore_index() {
    for dev in &devices() {
        // PyTorch's default ignore_index is -100.
        assert_eq!(ClassLossOptions::default().ignore_index, Some(-100), "on {dev}");
        let target = Tensor::new([2i64, -100, 1, 2], dev).unwrap();
        three(dev, &CE_DEFAULT_IGNORE, &[4], |r| {
            F::cross_entropy(&c(x(dev)), &target, &ClassLossOptions { reduction: r, ..Default::default() })
        });
    }
}

#[test]
fn cross_entropy_spatial_and_single_sample() {
    for dev in &devices() {
        let xk = pattern(dev, &[2, 3, 2, 2], 2);
        let tk = Tensor::new([[[0i64, 1], [2, 2]], [[1, 0], [0, 2]]], dev).unwrap();
        three(dev, &CE_KDIM, &[2, 2, 2], |r| {
            F::cross_entropy(&c(xk.shallow_clone()), &tk, &opts(Some(w(dev)), None, 0.1, r))
        });
        // [C] logits with a 0-d target: a 0-d loss under every reduction.
        let x0 = x(dev).select(0, 0).unwrap();
        three(dev, &CE_1D, &[], |r| {
            F::cross_entropy(&c(x0.shallow_clone()), &Tensor::new(1i64, dev)?, &opts(None, None, 0.0, r))
        });
    }
}

#[test]
fn nll_loss_matches_pytorch() {
    for dev in &devices() {
        let lp = x(dev).log_softmax(1).unwrap();
        three(dev, &NLL_PLAIN, &[4], |r| F::nll_loss(&c(lp.shallow_clone()), &t(dev), &opts(None, None, 0.0, r)));
        three(dev, &NLL_WEIGHT_IGNORE, &[4], |r| {
            NLLLoss { options: opts(Some(w(dev)), Some(1), 0.0, r) }.forward(&c(lp.shallow_clone()), &t(dev))
        });
    }
}

#[test]
fn mse_and_l1_match_pytorch() {
    for dev in &devices() {
        let (a, b) = (c(pattern(dev, &[2, 3], 3)), c(pattern(dev, &[2, 3], 4)));
        three(dev, &MSE, &[2, 3], |r| MSELoss { reduction: r }.forward(&a, &b));
        three(dev, &L1, &[2, 3], |r| L1Loss { reduction: r }.forward(&a, &b));
        assert_eq!(MSELoss::default().reduction, Reduction::Mean, "on {dev}");
    }
}

fn probs(dev: &Device) -> Tensor {
    pattern(dev, &[2, 3], 5).sigmoid().unwrap()
}
fn yb(dev: &Device) -> Tensor {
    Tensor::new([[0.0f64, 1.0, 0.25], [1.0, 0.0, 0.5]], dev).unwrap()
}
fn wb(dev: &Device) -> Tensor {
    Tensor::new([[1.0f64, 2.0, 0.5], [0.25, 1.0, 3.0]], dev).unwrap()
}
fn pw(dev: &Device) -> Tensor {
    Tensor::new([3.0f64, 0.5, 1.0], dev).unwrap()
}

#[test]
fn bce_matches_pytorch() {
    for dev in &devices() {
        three(dev, &BCE, &[2, 3], |r| F::binary_cross_entropy(&c(probs(dev)), &c(yb(dev)), None, r));
        three(dev, &BCE_WEIGHT, &[2, 3], |r| {
            BCELoss { weight: Some(wb(dev)), reduction: r }.forward(&c(probs(dev)), &c(yb(dev)))
        });
        let p = Tensor::new([0.0f64, 1.0, 0.0, 1.0], dev).unwrap();
        let y = Tensor::new([1.0f64, 0.0, 0.0, 1.0], dev).unwrap();
        three(dev, &BCE_CLAMP, &[4], |r| {
            F::binary_cross_entropy(&c(p.shallow_clone()), &c(y.shallow_clone()), None, r)
        });
    }
}

#[test]
fn bce_with_logits_matches_pytorch() -> Result<()> {
    for dev in &devices() {
        let z = pattern(dev, &[2, 3], 6).mul(4.0)?;
        three(dev, &BCEL, &[2, 3], |r| {
            F::binary_cross_entropy_with_logits(&c(z.shallow_clone()), &c(yb(dev)), None, None, r)
        });
        let m = |r| BCEWithLogitsLoss { weight: Some(wb(dev)), pos_weight: Some(pw(dev)), reduction: r };
        three(dev, &BCEL_POS_WEIGHT, &[2, 3], |r| m(r).forward(&c(z.shallow_clone()), &c(yb(dev))));
        let zv = Var::parameter(z);
        m(Reduction::Mean).forward(&zv, &c(yb(dev)))?.backward()?;
        close(dev, &zv.grad().unwrap().to_vec::<f64>()?, &BCEL_POS_WEIGHT_GRAD, "gradient");
        let zl = Tensor::new([[30.0f64, -30.0, 30.0], [-30.0, 0.0, 25.0]], dev)?;
        three(dev, &BCEL_LARGE, &[2, 3], |r| {
            F::binary_cross_entropy_with_logits(&c(zl.shallow_clone()), &c(yb(dev)), None, Some(&pw(dev)), r)
        });
    }
    Ok(())
}

#[test]
fn losses_gradcheck() -> Result<()> {
    for dev in &devices() {
        let t = t(dev);
        for o in [
            opts(None, None, 0.0, Reduction::Mean),
            opts(Some(w(dev)), Some(2), 0.0, Reduction::Mean),
            opts(Some(w(dev)), Some(0), 0.3, Reduction::Mean),
            opts(None, None, 0.2, Reduction::Sum),
            opts(Some(w(dev)), None, 0.1, Reduction::None),
        ] {
            gradcheck_on(|v| F::cross_entropy(&v[0], &t, &o), &[x(dev)])?;
            gradcheck_on(|v| F::nll_loss(&v[0].log_softmax(1)?, &t, &o), &[x(dev)])?;
        }
        let tk = Tensor::new([[[0i64, 1], [2, 2]], [[1, 0], [0, 2]]], dev)?;
        gradcheck_on(
            |v| F::cross_entropy(&v[0], &tk, &opts(Some(w(dev)), Some(1), 0.1, Reduction::Mean)),
            &[pattern(dev, &[2, 3, 2, 2], 2)],
        )?;
        for r in [Reduction::None, Reduction::Mean, Reduction::Sum] {
            gradcheck_on(|v| F::mse_loss(&v[0], &v[1], r), &[pattern(dev, &[2, 3], 3), pattern(dev, &[2, 3], 4)])?;
            // The reduced loss's one-pass backward, and its composed form under create_graph.
            gradgradcheck_on(
                |v| F::mse_loss(&v[0], &v[1], r)?.mul(&v[0].sum()?),
                &[pattern(dev, &[2, 3], 3), pattern(dev, &[2, 3], 4)],
            )?;
            gradcheck_on(|v| F::l1_loss(&v[0], &v[1], r), &[pattern(dev, &[2, 3], 3), pattern(dev, &[2, 3], 4)])?;
            gradcheck_on(|v| F::binary_cross_entropy(&v[0], &c(yb(dev)), Some(&wb(dev)), r), &[probs(dev)])?;
            gradcheck_on(
                |v| F::binary_cross_entropy_with_logits(&v[0], &v[1], Some(&wb(dev)), Some(&pw(dev)), r),
                &[pattern(dev, &[2, 3], 6).mul(4.0)?, yb(dev)],
            )?;
        }
    }
    Ok(())
}

#[test]
fn loss_errors() {
    for dev in &devices() {
        let logits = c(x(dev));
        let d = ClassLossOptions::default();
        // A target of the wrong shape, an out-of-range class, float targets.
        let e = F::cross_entropy(&logits, &Tensor::new([0i64, 1, 2], dev).unwrap(), &d).unwrap_err();
        assert!(e.to_string().contains("shape"), "on {dev}: {e}");
        let e = F::cross_entropy(&logits, &Tensor::new([0i64, 1, 3, 0], dev).unwrap(), &d).unwrap_err();
        assert!(e.to_string().contains("out of bounds"), "on {dev}: {e}");
        assert!(F::cross_entropy(&logits, &Tensor::new([0i64, -1, 1, 0], dev).unwrap(), &d).is_err(), "on {dev}");
        assert!(F::nll_loss(&logits, &Tensor::new([0i64, 1, 5, 0], dev).unwrap(), &d).is_err(), "on {dev}");
        assert!(
            F::cross_entropy(&logits, &Tensor::new([0.0f64, 1.0, 2.0, 0.0], dev).unwrap(), &d).is_err(),
            "on {dev}"
        );
        // Class weights of the wrong length.
        let bad_w = ClassLossOptions { weight: Some(Tensor::new([1.0f64, 2.0], dev).unwrap()), ..d.clone() };
        assert!(F::cross_entropy(&logits, &t(dev,), &bad_w).is_err(), "on {dev}");
        // Elementwise losses need equal shapes; BCE needs probabilities.
        let (a, b) = (c(pattern(dev, &[2, 3], 1)), c(pattern(dev, &[3, 2], 2)));
        assert!(F::mse_loss(&a, &b, Reduction::Mean).is_err(), "on {dev}");
        assert!(F::l1_loss(&a, &b, Reduction::Mean).is_err(), "on {dev}");
        assert!(F::binary_cross_entropy_with_logits(&a, &b, None, None, Reduction::Mean).is_err(), "on {dev}");
        let e = F::binary_cross_entropy(&c(pattern(dev, &[2, 3], 1)), &c(yb(dev)), None, Reduction::Mean).unwrap_err();
        assert!(e.to_string().contains("between 0 and 1"), "on {dev}: {e}");
        // Nothing above panicked, and float32 works as well as float64.
        let l = F::cross_entropy(&c(x(dev).to_dtype(DType::F32).unwrap()), &t(dev), &d).unwrap();
        assert_eq!(l.dtype(), DType::F32, "on {dev}");
        assert!((l.item::<f64>().unwrap() - CE_PLAIN[4]).abs() < 1e-6, "on {dev}");
    }
}
