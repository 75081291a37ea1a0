//! Linear, Conv2d, pooling, BatchNorm, LayerNorm and Embedding against PyTorch and through
//! `gradcheck`. Activations, Flatten, Dropout, Sequential and the module machinery (names, state
//! dicts, train/eval) are in `layers_sequential.rs`.
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
    AdaptiveAvgPool2d, AvgPool2d, BatchNorm1d, BatchNorm2d, Conv2d, Conv2dConfig, Embedding, LayerNorm, Linear,
    MaxPool2d, Module, ModuleExt, Padding,
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

/// A `Linear` on `dev` with weight `w` and bias `b`.
pub(crate) fn linear(dev: &Device, w: Tensor, b: Option<Tensor>) -> Linear {
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
