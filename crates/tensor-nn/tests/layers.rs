//! Each layer against PyTorch, through `gradcheck`, and the module machinery (names, state
//! dicts, train/eval).
//!
//! Every `const` below was printed by `scripts/pytorch/nn_layers.py` (PyTorch 2.15, CPU) and
//! pasted unchanged (rustfmt only rewraps lines). Inputs and parameters are
//! `pattern(shape, seed)` / `distinct(shape, seed)`, built here with the script's formulas
//! (multiples of 1/8 or 1/16, exact in float32), and set on each layer explicitly; only
//! Dropout's statistics depend on the random generator.
//!
//! Every test runs on every device (`common::devices`): inputs, parameters and modules are
//! built on the device, and on a GPU the comparisons widen to PyTorch's `assert_close`
//! tolerances for sums (`common::near`); gradcheck runs there through `common::gradcheck_on`.

use tensor_autograd::Var;
use tensor_core::{DType, Device, Result, Tensor};
use tensor_nn::{
    module_members, AdaptiveAvgPool2d, AvgPool2d, BatchNorm1d, BatchNorm2d, Conv2d, Conv2dConfig, Dropout, Embedding,
    Flatten, Identity, LayerNorm, LeakyReLU, Linear, LogSoftmax, MaxPool2d, Module, ModuleExt, Padding, ReLU,
    Sequential, SiLU, Sigmoid, Softmax, Tanh, GELU,
};

use crate::layers_literals;
use layers_literals::*;

use crate::common;
use common::*;

/// `nn_layers.py`'s `distinct`: a permutation of `(k - n/2) / 16`, no ties.
fn distinct(dev: &Device, shape: &[usize], seed: usize) -> Tensor {
    let n: usize = shape.iter().product();
    assert!(!n.is_multiple_of(7919));
    let v: Vec<f32> = (0..n).map(|i| ((((i + seed) * 7919) % n) as f32 - (n / 2) as f32) / 16.0).collect();
    Tensor::from_vec(v, shape).unwrap().to_device(dev).unwrap()
}

// ---------------------------------------------------------------- Linear

fn linear(dev: &Device, w: Tensor, b: Option<Tensor>) -> Linear {
    let mut l = Linear::new(w.size()[1], w.size()[0], b.is_some(), dev).unwrap();
    l.weight = Var::parameter(w);
    l.bias = b.map(Var::parameter);
    l
}

#[test]
fn linear_matches_pytorch() -> Result<()> {
    for dev in &devices() {
        let l = linear(dev, pattern(dev, &[2, 3], 1), Some(pattern(dev, &[2], 2)));
        assert_values(dev, l.forward(&input(pattern(dev, &[4, 3], 3)))?.tensor_ref(), &[4, 2], &LINEAR, TOL);
        let l = linear(dev, pattern(dev, &[2, 3], 1), None);
        assert_values(dev, l.forward(&input(pattern(dev, &[4, 3], 3)))?.tensor_ref(), &[4, 2], &LINEAR_NO_BIAS, TOL);
        assert_eq!(l.num_parameters(), 6, "on {dev}");
    }
    Ok(())
}

#[test]
fn linear_gradcheck() -> Result<()> {
    for dev in &devices() {
        gradcheck_on(
            |v| {
                let mut l = Linear::new(3, 2, true, dev)?;
                l.weight = v[1].clone();
                l.bias = Some(v[2].clone());
                l.forward(&v[0])
            },
            &[f64s(&pattern(dev, &[2, 3], 1)), f64s(&pattern(dev, &[2, 3], 2)), f64s(&pattern(dev, &[2], 3))],
        )?;
    }
    Ok(())
}

#[test]
fn linear_default_init_bounds() -> Result<()> {
    for dev in &devices() {
        // U(±1/sqrt(in_features)) for weight and bias, as PyTorch.
        let l = Linear::new(16, 8, true, dev)?;
        for (name, p) in l.named_parameters() {
            let v = p.tensor().to_vec::<f32>()?;
            assert!(v.iter().all(|x| x.abs() <= 0.25), "on {dev}: {name}");
            assert!(p.requires_grad() && p.is_leaf(), "on {dev}");
        }
        assert_eq!(l.num_parameters(), 16 * 8 + 8, "on {dev}");
    }
    Ok(())
}

// ---------------------------------------------------------------- Conv2d

#[test]
fn conv2d_matches_pytorch() -> Result<()> {
    for dev in &devices() {
        let d = Conv2dConfig::default();
        let cases: [ConvCase; 4] = [
            (
                pattern_conv(dev, 4, 6, [3, 3], Conv2dConfig { stride: [2, 2], padding: 1.into(), groups: 2, ..d }),
                &[2, 4, 7, 6],
                &[2, 6, 4, 3],
                &CONV_STRIDE_PAD_GROUPS,
            ),
            (
                pattern_conv(dev, 2, 3, [3, 3], Conv2dConfig { padding: Padding::Same, dilation: [2, 2], ..d }),
                &[1, 2, 6, 5],
                &[1, 3, 6, 5],
                &CONV_SAME_DILATION,
            ),
            (
                pattern_conv(
                    dev,
                    3,
                    2,
                    [2, 3],
                    Conv2dConfig { stride: [1, 2], padding: [1, 0].into(), dilation: [2, 1], bias: false, ..d },
                ),
                &[1, 3, 5, 7],
                &[1, 2, 5, 3],
                &CONV_RECT_NO_BIAS,
            ),
            (
                pattern_conv(dev, 3, 3, [3, 3], Conv2dConfig { padding: 1.into(), groups: 3, ..d }),
                &[1, 3, 4, 4],
                &[1, 3, 4, 4],
                &CONV_DEPTHWISE,
            ),
        ];
        for (c, x, shape, want) in cases {
            assert_values(dev, c.forward(&input(pattern(dev, x, 6)))?.tensor_ref(), shape, want, TOL);
        }
    }
    Ok(())
}

#[test]
fn conv2d_gradcheck() -> Result<()> {
    for dev in &devices() {
        let d = Conv2dConfig::default();
        for (config, cin, cout, k, x) in [
            (Conv2dConfig { stride: [2, 2], padding: 1.into(), groups: 2, ..d }, 2, 2, [2, 2], [1, 2, 3, 3]),
            (Conv2dConfig { padding: Padding::Same, dilation: [2, 2], ..d }, 1, 1, [3, 3], [1, 1, 4, 4]),
            (
                Conv2dConfig { stride: [1, 2], padding: [1, 0].into(), dilation: [2, 1], ..d },
                2,
                1,
                [2, 3],
                [1, 2, 3, 5],
            ),
        ] {
            conv_gradcheck(dev, cin, cout, k, config, &x)?;
        }
    }
    Ok(())
}

#[test]
fn conv2d_config_errors() {
    for dev in &devices() {
        let d = Conv2dConfig::default();
        // An even kernel with padding='same' pads asymmetrically, as PyTorch (tests/layer_options.rs).
        assert!(Conv2d::new(1, 1, 2, Conv2dConfig { padding: Padding::Same, ..d }, dev).is_ok(), "on {dev}");
        let e = Conv2d::new(1, 1, 3, Conv2dConfig { padding: Padding::Same, stride: [2, 2], ..d }, dev).unwrap_err();
        assert!(e.to_string().contains("strided"), "on {dev}: {e}");
        assert!(Conv2d::new(3, 4, 3, Conv2dConfig { groups: 2, ..d }, dev).is_err(), "on {dev}");
        assert!(Conv2d::new(2, 4, 3, Conv2dConfig { groups: 0, ..d }, dev).is_err(), "on {dev}");
        // A wrong number of input channels is an error at forward, not a panic.
        let c = Conv2d::new(2, 4, 3, d, dev).unwrap();
        assert!(c.forward(&input(pattern(dev, &[1, 3, 5, 5], 0))).is_err(), "on {dev}");
    }
}

#[test]
fn conv2d_names_and_count() {
    for dev in &devices() {
        let c = Conv2d::new(3, 8, 5, Conv2dConfig::default(), dev).unwrap();
        let names: Vec<String> = c.named_parameters().into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["weight", "bias"], "on {dev}");
        assert_eq!(c.weight.size(), &[8, 3, 5, 5], "on {dev}");
        assert_eq!(c.num_parameters(), 8 * 3 * 25 + 8, "on {dev}");
        let nb = Conv2d::new(4, 8, 3, Conv2dConfig { groups: 4, bias: false, ..Default::default() }, dev).unwrap();
        assert_eq!(nb.named_parameters().len(), 1, "on {dev}");
        assert_eq!(nb.weight.size(), &[8, 1, 3, 3], "on {dev}");
    }
}

// ---------------------------------------------------------------- pooling

#[test]
fn max_pool2d_matches_pytorch() -> Result<()> {
    for dev in &devices() {
        let m = MaxPool2d::new(2);
        assert_values(
            dev,
            m.forward(&input(distinct(dev, &[1, 2, 5, 6], 1)))?.tensor_ref(),
            &[1, 2, 2, 3],
            &MAXPOOL_2,
            0.0,
        );
        let m = MaxPool2d { stride: [2, 2], padding: [1, 1], ceil_mode: true, ..MaxPool2d::new(3) };
        assert_values(
            dev,
            m.forward(&input(distinct(dev, &[1, 1, 6, 7], 2)))?.tensor_ref(),
            &[1, 1, 4, 4],
            &MAXPOOL_3_S2_P1_CEIL,
            0.0,
        );
        let m = MaxPool2d { stride: [1, 1], dilation: [2, 2], ..MaxPool2d::new(2) };
        assert_values(
            dev,
            m.forward(&input(distinct(dev, &[1, 1, 5, 5], 3)))?.tensor_ref(),
            &[1, 1, 3, 3],
            &MAXPOOL_DILATED,
            0.0,
        );
    }
    Ok(())
}

#[test]
fn avg_pool2d_matches_pytorch() -> Result<()> {
    for dev in &devices() {
        let a = AvgPool2d::new(2);
        assert_values(
            dev,
            a.forward(&input(pattern(dev, &[1, 2, 5, 6], 1)))?.tensor_ref(),
            &[1, 2, 2, 3],
            &AVGPOOL_2,
            TOL,
        );
        let base = AvgPool2d { stride: [2, 2], padding: [1, 1], ..AvgPool2d::new(3) };
        let excl = AvgPool2d { ceil_mode: true, count_include_pad: false, ..base };
        let x = input(pattern(dev, &[1, 1, 6, 7], 2));
        assert_values(dev, excl.forward(&x)?.tensor_ref(), &[1, 1, 4, 4], &AVGPOOL_3_S2_P1_CEIL_EXCL, TOL);
        assert_values(dev, base.forward(&x)?.tensor_ref(), &[1, 1, 3, 4], &AVGPOOL_3_S2_P1_INCL, TOL);
    }
    Ok(())
}

#[test]
fn adaptive_avg_pool2d_matches_pytorch() -> Result<()> {
    for dev in &devices() {
        let a = AdaptiveAvgPool2d::new([2, 3]);
        assert_values(
            dev,
            a.forward(&input(pattern(dev, &[1, 2, 5, 7], 3)))?.tensor_ref(),
            &[1, 2, 2, 3],
            &ADAPTIVE_2X3,
            TOL,
        );
        let a = AdaptiveAvgPool2d::new(1);
        assert_values(
            dev,
            a.forward(&input(pattern(dev, &[2, 3, 4, 4], 4)))?.tensor_ref(),
            &[2, 3, 1, 1],
            &ADAPTIVE_1,
            TOL,
        );
        let a = AdaptiveAvgPool2d::new(4);
        assert_values(
            dev,
            a.forward(&input(pattern(dev, &[1, 1, 3, 3], 5)))?.tensor_ref(),
            &[1, 1, 4, 4],
            &ADAPTIVE_UP_4,
            TOL,
        );
    }
    Ok(())
}

#[test]
fn pooling_gradcheck() -> Result<()> {
    for dev in &devices() {
        let pools: Vec<(Box<dyn Module>, Tensor)> = vec![
            (Box::new(MaxPool2d::new(2)), distinct(dev, &[1, 1, 4, 4], 1)),
            (
                Box::new(MaxPool2d { stride: [2, 2], padding: [1, 1], ceil_mode: true, ..MaxPool2d::new(3) }),
                distinct(dev, &[1, 1, 4, 5], 2),
            ),
            (
                Box::new(MaxPool2d { stride: [1, 1], dilation: [2, 2], ..MaxPool2d::new(2) }),
                distinct(dev, &[1, 1, 4, 4], 3),
            ),
            (Box::new(AvgPool2d::new(2)), pattern(dev, &[1, 2, 4, 4], 1)),
            (
                Box::new(AvgPool2d {
                    stride: [2, 2],
                    padding: [1, 1],
                    ceil_mode: true,
                    count_include_pad: false,
                    ..AvgPool2d::new(3)
                }),
                pattern(dev, &[1, 1, 4, 5], 2),
            ),
            (Box::new(AdaptiveAvgPool2d::new([2, 3])), pattern(dev, &[1, 1, 5, 7], 3)),
        ];
        for (m, x) in pools {
            gradcheck_on(|v| m.forward(&v[0]), &[f64s(&x)])?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- BatchNorm

#[test]
fn batch_norm1d_train_eval_matches_pytorch() -> Result<()> {
    for dev in &devices() {
        let mut bn = BatchNorm1d::new(3, dev)?;
        set_params(&mut bn, &[("weight", pattern(dev, &[3], 5)), ("bias", pattern(dev, &[3], 6))]);
        let x = Var::parameter(pattern(dev, &[4, 3], 7));
        let y = bn.forward(&x)?;
        assert_values(dev, y.tensor_ref(), &[4, 3], &BN1D_TRAIN_OUT, TOL);
        y.mul(&pattern(dev, &[4, 3], 10))?.sum()?.backward()?;
        assert_values(dev, &x.grad().unwrap(), &[4, 3], &BN1D_GRAD_X, 1e-5);
        let p = bn.named_parameters();
        assert_values(dev, &p[0].1.grad().unwrap(), &[3], &BN1D_GRAD_W, 1e-5);
        assert_values(dev, &p[1].1.grad().unwrap(), &[3], &BN1D_GRAD_B, 1e-5);
        assert_values(dev, bn.running_mean().unwrap(), &[3], &BN1D_RUNNING_MEAN_1, TOL);
        assert_values(dev, bn.running_var().unwrap(), &[3], &BN1D_RUNNING_VAR_1, TOL);
        bn.forward(&input(pattern(dev, &[4, 3], 8)))?;
        assert_values(dev, bn.running_mean().unwrap(), &[3], &BN1D_RUNNING_MEAN_2, TOL);
        assert_values(dev, bn.running_var().unwrap(), &[3], &BN1D_RUNNING_VAR_2, TOL);
        assert_eq!(bn.state_dict()["num_batches_tracked"].item::<i64>()?, 2, "on {dev}");
        bn.eval();
        assert_values(dev, bn.forward(&input(pattern(dev, &[2, 3], 9)))?.tensor_ref(), &[2, 3], &BN1D_EVAL_OUT, TOL);
        // Eval leaves the running statistics alone.
        assert_values(dev, bn.running_mean().unwrap(), &[3], &BN1D_RUNNING_MEAN_2, TOL);
        assert_eq!(bn.state_dict()["num_batches_tracked"].item::<i64>()?, 2, "on {dev}");
    }
    Ok(())
}

#[test]
fn batch_norm1d_ncl_without_affine() -> Result<()> {
    for dev in &devices() {
        let bn = BatchNorm1d::with_options(3, 1e-5, 0.3, false, dev)?;
        assert_eq!(bn.num_parameters(), 0, "on {dev}");
        let names: Vec<String> = bn.state_dict().into_keys().collect();
        assert_eq!(names, ["num_batches_tracked", "running_mean", "running_var"], "on {dev}");
        assert_values(
            dev,
            bn.forward(&input(pattern(dev, &[2, 3, 4], 11)))?.tensor_ref(),
            &[2, 3, 4],
            &BN1D_NCL_TRAIN_OUT,
            TOL,
        );
        assert_values(dev, bn.running_mean().unwrap(), &[3], &BN1D_NCL_RUNNING_MEAN, TOL);
        assert_values(dev, bn.running_var().unwrap(), &[3], &BN1D_NCL_RUNNING_VAR, TOL);
    }
    Ok(())
}

#[test]
fn batch_norm2d_train_eval_matches_pytorch() -> Result<()> {
    for dev in &devices() {
        let mut bn = BatchNorm2d::with_options(2, 1e-3, 0.1, true, dev)?;
        set_params(&mut bn, &[("weight", pattern(dev, &[2], 12)), ("bias", pattern(dev, &[2], 13))]);
        assert_values(
            dev,
            bn.forward(&input(pattern(dev, &[2, 2, 3, 3], 14)))?.tensor_ref(),
            &[2, 2, 3, 3],
            &BN2D_TRAIN_OUT,
            TOL,
        );
        assert_values(dev, bn.running_mean().unwrap(), &[2], &BN2D_RUNNING_MEAN, TOL);
        assert_values(dev, bn.running_var().unwrap(), &[2], &BN2D_RUNNING_VAR, TOL);
        bn.eval();
        assert_values(
            dev,
            bn.forward(&input(pattern(dev, &[1, 2, 2, 2], 15)))?.tensor_ref(),
            &[1, 2, 2, 2],
            &BN2D_EVAL_OUT,
            TOL,
        );
    }
    Ok(())
}

#[test]
fn batch_norm_shape_errors() {
    for dev in &devices() {
        let bn = BatchNorm2d::new(2, dev).unwrap();
        assert!(bn.forward(&input(pattern(dev, &[2, 3, 2, 2], 0))).is_err(), "on {dev}: wrong channels");
        assert!(bn.forward(&input(pattern(dev, &[2, 2], 0))).is_err(), "on {dev}: wrong rank");
        let mut bn = BatchNorm1d::new(2, dev).unwrap();
        assert!(bn.forward(&input(pattern(dev, &[2, 2, 2, 2], 0))).is_err(), "on {dev}: wrong rank");
        // As PyTorch: one value per channel is an error in training, fine in eval.
        let e = bn.forward(&input(pattern(dev, &[1, 2], 0))).unwrap_err();
        assert!(e.to_string().contains("more than 1 value per channel"), "on {dev}: {e}");
        assert!(bn.forward(&input(pattern(dev, &[1, 2, 3], 0))).is_ok(), "on {dev}");
        bn.eval();
        assert!(bn.forward(&input(pattern(dev, &[1, 2], 0))).is_ok(), "on {dev}");
    }
}

#[test]
fn batch_norm_gradcheck() -> Result<()> {
    for dev in &devices() {
        for train in [true, false] {
            let mut bn1 = BatchNorm1d::new(3, dev)?;
            set_params(
                &mut bn1,
                &[
                    ("weight", pattern(dev, &[3], 5)),
                    ("bias", pattern(dev, &[3], 6)),
                    ("running_var", pattern(dev, &[3], 3).abs()?.add(0.5)?),
                ],
            );
            let mut bn2 = BatchNorm2d::new(2, dev)?;
            set_params(&mut bn2, &[("weight", pattern(dev, &[2], 12)), ("bias", pattern(dev, &[2], 13))]);
            bn1.to_dtype(DType::F64)?;
            bn2.to_dtype(DType::F64)?;
            if !train {
                bn1.eval();
                bn2.eval();
            }
            gradcheck_on(|v| bn1.forward(&v[0]), &[f64s(&pattern(dev, &[4, 3], 7))])?;
            gradcheck_on(|v| bn1.forward(&v[0]), &[f64s(&pattern(dev, &[2, 3, 2], 8))])?;
            gradcheck_on(|v| bn2.forward(&v[0]), &[f64s(&pattern(dev, &[2, 2, 2, 2], 14))])?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- LayerNorm

#[test]
fn layer_norm_matches_pytorch_and_gradcheck() -> Result<()> {
    for dev in &devices() {
        let mut ln = LayerNorm::new(&[3, 4], dev)?;
        ln.weight = Some(Var::parameter(pattern(dev, &[3, 4], 16)));
        ln.bias = Some(Var::parameter(pattern(dev, &[3, 4], 17)));
        assert_values(dev, ln.forward(&input(pattern(dev, &[2, 3, 4], 18)))?.tensor_ref(), &[2, 3, 4], &LAYERNORM, TOL);
        let names: Vec<String> = ln.named_parameters().into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["weight", "bias"], "on {dev}");
        assert!(ln.forward(&input(pattern(dev, &[2, 4, 3], 0))).is_err(), "on {dev}");
        gradcheck_on(
            |v| {
                let mut ln = LayerNorm::new(&[3], dev)?;
                ln.weight = Some(v[1].clone());
                ln.bias = Some(v[2].clone());
                ln.forward(&v[0])
            },
            &[f64s(&pattern(dev, &[2, 2, 3], 1)), f64s(&pattern(dev, &[3], 2)), f64s(&pattern(dev, &[3], 3))],
        )?;
    }
    Ok(())
}

// ---------------------------------------------------------------- Embedding

#[test]
fn embedding_matches_pytorch_and_gradcheck() -> Result<()> {
    for dev in &devices() {
        let mut emb = Embedding::new(5, 3, dev)?;
        emb.weight = Var::parameter(pattern(dev, &[5, 3], 19));
        let idx = Tensor::new([[0i64, 4, 1], [2, 2, 3]], dev)?;
        assert_values(dev, emb.forward(&input(idx.shallow_clone()))?.tensor_ref(), &[2, 3, 3], &EMBEDDING, 0.0);
        // int32 indices too; float indices and out-of-range indices are errors.
        assert_values(dev, emb.forward(&input(idx.to_dtype(DType::I32)?))?.tensor_ref(), &[2, 3, 3], &EMBEDDING, 0.0);
        assert!(emb.forward(&input(pattern(dev, &[2], 0))).is_err(), "on {dev}");
        assert!(emb.forward(&input(Tensor::new([5i64], dev)?)).is_err(), "on {dev}");
        assert!(emb.forward(&input(Tensor::new([-1i64], dev)?)).is_err(), "on {dev}");
        // The repeated index 2 accumulates twice into its row.
        gradcheck_on(
            |v| {
                let mut e = Embedding::new(5, 3, dev)?;
                e.weight = v[0].clone();
                e.forward(&input(idx.shallow_clone()))
            },
            &[f64s(&pattern(dev, &[5, 3], 19))],
        )?;
    }
    Ok(())
}

// ---------------------------------------------------------------- activations, Flatten, Dropout

fn activations() -> Vec<(&'static str, Box<dyn Module>, &'static [f64])> {
    vec![
        ("ReLU", Box::new(ReLU), &ACT_RELU),
        ("LeakyReLU", Box::new(LeakyReLU { negative_slope: 0.2 }), &ACT_LEAKY_RELU),
        ("GELU", Box::new(GELU), &ACT_GELU),
        ("SiLU", Box::new(SiLU), &ACT_SILU),
        ("Sigmoid", Box::new(Sigmoid), &ACT_SIGMOID),
        ("Tanh", Box::new(Tanh), &ACT_TANH),
        ("Softmax(1)", Box::new(Softmax { dim: 1 }), &ACT_SOFTMAX_1),
        ("Softmax(0)", Box::new(Softmax { dim: 0 }), &ACT_SOFTMAX_0),
        ("LogSoftmax(1)", Box::new(LogSoftmax { dim: 1 }), &ACT_LOG_SOFTMAX_1),
    ]
}

#[test]
fn activations_match_pytorch() -> Result<()> {
    for dev in &devices() {
        let x = input(pattern(dev, &[2, 5], 20).mul(2.0)?);
        for (name, m, want) in activations() {
            let y = m.forward(&x)?;
            assert_eq!(y.size(), &[2, 5], "on {dev}: {name}");
            let got = y.tensor().to_vec::<f64>()?;
            for (a, b) in got.iter().zip(want) {
                assert!((a - b).abs() <= TOL * (1.0 + b.abs()), "on {dev}: {name}: {got:?} vs {want:?}");
            }
        }
        assert_eq!(Identity.forward(&x)?.tensor().to_vec::<f32>()?, x.tensor().to_vec::<f32>()?, "on {dev}");
        assert_eq!(LeakyReLU::default().negative_slope, 0.01, "on {dev}");
    }
    Ok(())
}

#[test]
fn activations_gradcheck() -> Result<()> {
    for dev in &devices() {
        // Shifted by 1/16 so that no element sits on ReLU's kink.
        let x = f64s(&pattern(dev, &[2, 5], 20).mul(2.0)?.add(1.0 / 16.0)?);
        for (name, m, _) in activations() {
            gradcheck_on(|v| m.forward(&v[0]), std::slice::from_ref(&x)).inspect_err(|_| eprintln!("{name}"))?;
        }
    }
    Ok(())
}

#[test]
fn flatten_shapes_and_gradcheck() -> Result<()> {
    for dev in &devices() {
        let x = input(pattern(dev, &[2, 3, 4, 5], 0));
        assert_eq!(Flatten::default().forward(&x)?.size(), &[2, 60], "on {dev}");
        assert_eq!(Flatten { start_dim: 0, end_dim: 1 }.forward(&x)?.size(), &[6, 4, 5], "on {dev}");
        assert_eq!(Flatten { start_dim: 2, end_dim: -1 }.forward(&x)?.size(), &[2, 3, 20], "on {dev}");
        assert!(Flatten { start_dim: 4, end_dim: -1 }.forward(&x).is_err(), "on {dev}");
        gradcheck_on(|v| Flatten::default().forward(&v[0]), &[f64s(&pattern(dev, &[2, 2, 3], 1))])?;
    }
    Ok(())
}

#[test]
fn dropout_eval_and_train() -> Result<()> {
    for dev in &devices() {
        let x = Var::parameter(Tensor::full([100, 100], 2.0, DType::F32, dev)?);
        let mut d = Dropout::new(0.3)?;
        // Training: about 30 % zeros, the rest scaled by 1 / 0.7.
        let y = d.forward(&x)?.tensor().to_vec::<f32>()?;
        let zeros = y.iter().filter(|&&v| v == 0.0).count() as f64 / y.len() as f64;
        assert!((zeros - 0.3).abs() < 0.03, "on {dev}: zero fraction {zeros}");
        assert!(y.iter().all(|&v| v == 0.0 || (v - 2.0 / 0.7).abs() < 1e-5), "on {dev}");
        // The gradient is the same mask and scale: grad = y / x.
        let y = d.forward(&x)?;
        y.sum()?.backward()?;
        let g = x.grad().unwrap().to_vec::<f32>()?;
        for (gv, yv) in g.iter().zip(y.tensor().to_vec::<f32>()?) {
            assert_eq!(*gv, yv / 2.0, "on {dev}");
        }
        // Two draws differ.
        assert_ne!(d.forward(&x)?.tensor().to_vec::<f32>()?, d.forward(&x)?.tensor().to_vec::<f32>()?, "on {dev}");
        // Eval: the identity.
        d.eval();
        assert_eq!(d.forward(&x)?.tensor().to_vec::<f32>()?, x.tensor().to_vec::<f32>()?, "on {dev}");
        d.train();
        assert!(d.forward(&x)?.tensor().to_vec::<f32>()?.contains(&0.0), "on {dev}");
        // p = 0 and p = 1, and an invalid p.
        assert_eq!(Dropout::new(0.0)?.forward(&x)?.tensor().to_vec::<f32>()?, x.tensor().to_vec::<f32>()?, "on {dev}");
        assert!(Dropout::new(1.0)?.forward(&x)?.tensor().to_vec::<f32>()?.iter().all(|&v| v == 0.0), "on {dev}");
        assert!(Dropout::new(1.5).is_err(), "on {dev}");
        assert!(Dropout::new(-0.1).is_err(), "on {dev}");
    }
    Ok(())
}

// ---------------------------------------------------------------- Sequential and module machinery

fn mlp(dev: &Device) -> Sequential {
    Sequential::new()
        .add(linear(dev, pattern(dev, &[4, 3], 21), Some(pattern(dev, &[4], 22))))
        .add(ReLU)
        .add(linear(dev, pattern(dev, &[2, 4], 23), Some(pattern(dev, &[2], 24))))
        .add(Tanh)
}

#[test]
fn sequential_matches_pytorch() -> Result<()> {
    for dev in &devices() {
        let seq = mlp(dev);
        assert_eq!(seq.len(), 4, "on {dev}");
        assert_values(dev, seq.forward(&input(pattern(dev, &[5, 3], 25)))?.tensor_ref(), &[5, 2], &SEQUENTIAL, TOL);
        // `// names:` in the script's output.
        let names: Vec<String> = seq.named_parameters().into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["0.weight", "0.bias", "2.weight", "2.bias"], "on {dev}");
        assert_eq!(seq.num_parameters(), 4 * 3 + 4 + 2 * 4 + 2, "on {dev}");
        assert!(Sequential::new().is_empty(), "on {dev}");
        // Shifted input: no hidden unit sits on ReLU's kink.
        let mut seq = seq;
        seq.to_dtype(DType::F64)?;
        gradcheck_on(|v| seq.forward(&v[0]), &[f64s(&pattern(dev, &[3, 3], 26).add(1.0 / 32.0)?)])?;
    }
    Ok(())
}

/// A model with named children, as a user writes one.
struct Net {
    conv1: Conv2d,
    bn1: BatchNorm2d,
    head: Sequential,
}
module_members!(Net { children: conv1, bn1, head; params: ; buffers: });
impl Module for Net {
    fn forward(&self, x: &Var) -> Result<Var> {
        let x = self.bn1.forward(&self.conv1.forward(x)?)?.relu()?;
        self.head.forward(&x)
    }
}

fn net(dev: &Device) -> Net {
    Net {
        conv1: Conv2d::new(1, 2, 3, Conv2dConfig::default(), dev).unwrap(),
        bn1: BatchNorm2d::new(2, dev).unwrap(),
        head: Sequential::new()
            .add(Flatten::default())
            .add(Dropout::new(0.5).unwrap())
            .add(Linear::new(8, 3, true, dev).unwrap()),
    }
}

#[test]
fn named_parameters_and_state_dict_names() {
    for dev in &devices() {
        let n = net(dev);
        let names: Vec<String> = n.named_parameters().into_iter().map(|(n, _)| n).collect();
        assert_eq!(
            names,
            ["conv1.weight", "conv1.bias", "bn1.weight", "bn1.bias", "head.2.weight", "head.2.bias"],
            "on {dev}"
        );
        assert_eq!(n.num_parameters(), 2 * 9 + 2 + 2 + 2 + 3 * 8 + 3, "on {dev}");
        assert_eq!(n.parameters().len(), 6, "on {dev}");
        let keys: Vec<String> = n.state_dict().into_keys().collect();
        assert_eq!(
            keys,
            [
                "bn1.bias",
                "bn1.num_batches_tracked",
                "bn1.running_mean",
                "bn1.running_var",
                "bn1.weight",
                "conv1.bias",
                "conv1.weight",
                "head.2.bias",
                "head.2.weight"
            ],
            "on {dev}"
        );
        assert_eq!(n.state_dict()["bn1.num_batches_tracked"].dtype(), DType::I64, "on {dev}");
        assert_eq!(n.state_dict()["bn1.num_batches_tracked"].dim(), 0, "on {dev}");
    }
}

#[test]
fn train_eval_switching_reaches_children() -> Result<()> {
    for dev in &devices() {
        let mut n = net(dev);
        let x = input(pattern(dev, &[4, 1, 4, 4], 1));
        let tracked = |n: &Net| n.state_dict()["bn1.num_batches_tracked"].item::<i64>().unwrap();
        n.forward(&x)?;
        assert_eq!(tracked(&n), 1, "on {dev}: training mode updates BatchNorm's statistics");
        n.eval();
        let a = n.forward(&x)?.tensor().to_vec::<f32>()?;
        let b = n.forward(&x)?.tensor().to_vec::<f32>()?;
        assert_eq!(a, b, "on {dev}: eval mode is deterministic (Dropout off)");
        assert_eq!(tracked(&n), 1, "on {dev}: eval mode leaves the statistics");
        n.train();
        n.forward(&x)?;
        assert_eq!(tracked(&n), 2, "on {dev}");
    }
    Ok(())
}

#[test]
fn zero_grad_and_to_dtype() -> Result<()> {
    for dev in &devices() {
        let mut n = net(dev);
        n.eval();
        n.forward(&input(pattern(dev, &[1, 1, 4, 4], 1)))?.sum()?.backward()?;
        assert!(n.parameters().iter().all(|p| p.grad().is_some()), "on {dev}");
        n.zero_grad();
        assert!(n.parameters().iter().all(|p| p.grad().is_none()), "on {dev}");
        n.to_dtype(DType::F64)?;
        for (name, t) in n.state_dict() {
            let want = if name.ends_with("num_batches_tracked") { DType::I64 } else { DType::F64 };
            assert_eq!(t.dtype(), want, "on {dev}: {name}");
        }
        assert!(n.parameters().iter().all(|p| p.requires_grad() && p.is_leaf()), "on {dev}");
    }
    Ok(())
}
