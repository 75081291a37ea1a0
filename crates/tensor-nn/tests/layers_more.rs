//! Conv1d, ConvTranspose2d, GroupNorm and InstanceNorm2d against PyTorch, through `gradcheck`,
//! and their parameter names; Upsample / interpolate and PixelShuffle / PixelUnshuffle are in
//! `layers_resize.rs`.
//!
//! Every `const` in `layers_more_literals` was printed by `scripts/pytorch/nn_layers_more.py`
//! (PyTorch 2.15, CPU) and pasted unchanged (rustfmt only rewraps lines). Inputs and parameters
//! are `pattern(shape, seed)` (multiples of 1/8, exact in float32), and each layer's parameters
//! are set explicitly, in `named_parameters` order, to `pattern(shape, 4 + i)` as the script does.
//! `fixtures/layers_more.safetensors` is a state dict that the script wrote with PyTorch's
//! `safetensors.torch.save_file`; the Rust model of the same layers loads it strictly and gives
//! PyTorch's output.
//!
//! Every test runs on every device (`common::devices`): inputs, parameters and modules are
//! built on the device, and on a GPU the comparisons widen to PyTorch's `assert_close`
//! tolerances for sums (`common::near`); gradcheck runs there through `common::gradcheck_on`.

use std::collections::BTreeMap;
use std::path::Path;
use tensor_autograd::Var;
use tensor_core::{Device, Result, Tensor};
use tensor_nn::functional as F;
use tensor_nn::{
    load_safetensors, Conv1d, Conv1dConfig, ConvTranspose2d, ConvTranspose2dConfig, Entry, Flatten, GroupNorm,
    InstanceNorm2d, InstanceNormConfig, Module, ModuleExt, Padding1d, PixelShuffle, PixelUnshuffle, Sequential,
    Upsample, Visit,
};

use crate::layers_more_literals;
use layers_more_literals::*;

use crate::common;
use crate::layers_resize::BILINEAR;
use common::*;

/// Each parameter of `m` set to `pattern(shape, seed + i)`, in `named_parameters` order.
fn patterned<M: ModuleExt>(dev: &Device, mut m: M, seed: usize) -> M {
    let params: Vec<(String, Tensor)> =
        m.named_parameters().into_iter().enumerate().map(|(i, (n, p))| (n, pattern(dev, p.size(), seed + i))).collect();
    let refs: Vec<(&str, Tensor)> = params.iter().map(|(n, t)| (n.as_str(), t.shallow_clone())).collect();
    set_params(&mut m, &refs);
    m
}

/// A module's direct entries (parameters and buffers) with their shapes, in visit order.
fn entries(m: &impl Visit) -> Vec<(String, Vec<usize>)> {
    let mut out = Vec::new();
    m.visit(&mut |name, e| match e {
        Entry::Param(p) => out.push((name.to_string(), p.size().to_vec())),
        Entry::Buffer(b) => out.push((name.to_string(), b.size().to_vec())),
        Entry::Child(_) => {}
    });
    out
}

/// `m`'s names and shapes are PyTorch's, in PyTorch's order, and a state dict made from
/// PyTorch's names and shapes loads strictly (the values land in the layer).
#[track_caller]
fn assert_pytorch_names<M: ModuleExt + Visit>(dev: &Device, m: &mut M, want: &[(&str, &[usize])]) {
    let got = entries(m);
    let want_owned: Vec<(String, Vec<usize>)> = want.iter().map(|(n, s)| (n.to_string(), s.to_vec())).collect();
    assert_eq!(got, want_owned, "names and shapes");
    let state: BTreeMap<String, Tensor> = want
        .iter()
        .enumerate()
        .map(|(i, (n, s))| {
            let t = if *n == "num_batches_tracked" { Tensor::new(7i64, dev).unwrap() } else { pattern(dev, s, 20 + i) };
            (n.to_string(), t)
        })
        .collect();
    m.load_state_dict(&state, true).unwrap();
    let back = m.state_dict();
    for (n, t) in &state {
        assert_eq!(back[n].to_vec::<f64>().unwrap(), t.to_vec::<f64>().unwrap(), "{n} loaded");
    }
}

/// A layer, its input shape, its output shape and PyTorch's output.
type Case<M> = (M, &'static [usize], &'static [usize], &'static [f64]);

/// The error of a forward that must fail, as text.
pub(crate) fn err(r: Result<Var>) -> String {
    r.unwrap_err().to_string()
}

/// `x` as a leaf on its device and `f(x)`, after the backward of `sum(f(x) * pattern(upstream_seed))`.
pub(crate) fn grad_of(
    dev: &Device,
    f: impl Fn(&Var) -> Result<Var>,
    x: Tensor,
    upstream_seed: usize,
) -> Result<(Var, Var)> {
    let x = Var::parameter(x);
    let y = f(&x)?;
    y.mul(&pattern(dev, y.size(), upstream_seed))?.sum()?.backward()?;
    Ok((x, y))
}

// ---------------------------------------------------------------- Conv1d

fn conv1d(dev: &Device, cin: usize, cout: usize, k: usize, config: Conv1dConfig) -> Conv1d {
    patterned(dev, Conv1d::new(cin, cout, k, config, dev).unwrap(), 4)
}

#[test]
fn conv1d_matches_pytorch() -> Result<()> {
    for dev in &devices() {
        let d = Conv1dConfig::default();
        let cases: [Case<Conv1d>; 4] = [
            (
                conv1d(dev, 4, 6, 3, Conv1dConfig { stride: 2, padding: 1.into(), groups: 2, ..d }),
                &[2, 4, 9],
                &[2, 6, 5],
                &CONV1D_STRIDE_PAD_GROUPS,
            ),
            (
                conv1d(dev, 2, 3, 4, Conv1dConfig { padding: Padding1d::Same, ..d }),
                &[1, 2, 7],
                &[1, 3, 7],
                &CONV1D_SAME_EVEN,
            ),
            (
                conv1d(dev, 3, 2, 2, Conv1dConfig { dilation: 3, bias: false, ..d }),
                &[1, 3, 8],
                &[1, 2, 5],
                &CONV1D_DILATED_NO_BIAS,
            ),
            (conv1d(dev, 2, 2, 3, d), &[2, 5], &[2, 3], &CONV1D_UNBATCHED),
        ];
        for (c, x, shape, want) in cases {
            assert_values(dev, c.forward(&input(pattern(dev, x, 6)))?.tensor_ref(), shape, want, TOL);
        }
        // F::conv1d with the layer's weights gives the same.
        let c = conv1d(dev, 4, 6, 3, Conv1dConfig { stride: 2, padding: 1.into(), groups: 2, ..d });
        let p = F::Conv1dParams { stride: 2, padding: 1, dilation: 1, groups: 2 };
        let y = F::conv1d(&input(pattern(dev, &[2, 4, 9], 6)), &c.weight, c.bias.as_ref(), p)?;
        assert_values(dev, y.tensor_ref(), &[2, 6, 5], &CONV1D_STRIDE_PAD_GROUPS, TOL);
    }
    Ok(())
}

#[test]
fn conv1d_gradcheck() -> Result<()> {
    for dev in &devices() {
        let d = Conv1dConfig::default();
        for (config, cin, cout, k, x) in [
            (Conv1dConfig { stride: 2, padding: 1.into(), groups: 2, ..d }, 2, 2, 2, vec![2, 2, 5]),
            (Conv1dConfig { padding: Padding1d::Same, dilation: 2, ..d }, 1, 2, 2, vec![1, 1, 5]),
            (Conv1dConfig { dilation: 2, ..d }, 2, 1, 2, vec![2, 4]),
        ] {
            gradcheck_on(
                |v| {
                    let mut c = Conv1d::new(cin, cout, k, config, dev)?;
                    c.weight = v[1].clone();
                    c.bias = Some(v[2].clone());
                    c.forward(&v[0])
                },
                &[
                    f64s(&pattern(dev, &x, 1)),
                    f64s(&pattern(dev, &[cout, cin / config.groups, k], 2)),
                    f64s(&pattern(dev, &[cout], 3)),
                ],
            )?;
        }
        // One recorded op, as PyTorch's, with a double backward.
        let p = F::Conv1dParams { stride: 2, padding: 1, dilation: 2, groups: 1 };
        for x in [vec![2, 2, 5], vec![2, 6]] {
            let inputs = [f64s(&pattern(dev, &x, 1)), f64s(&pattern(dev, &[3, 2, 2], 2)), f64s(&pattern(dev, &[3], 3))];
            gradgradcheck_on(|v| F::conv1d(&v[0], &v[1], Some(&v[2]), p), &inputs)?;
            let y = F::conv1d(&Var::parameter(inputs[0].shallow_clone()), &input(inputs[1].shallow_clone()), None, p)?;
            assert_eq!(y.grad_fn().unwrap().name(), "ConvolutionBackward0", "on {dev}");
        }
    }
    Ok(())
}

#[test]
fn conv1d_names_init_and_errors() {
    for dev in &devices() {
        let d = Conv1dConfig::default();
        let mut c = Conv1d::new(4, 6, 3, Conv1dConfig { groups: 2, ..d }, dev).unwrap();
        assert_pytorch_names(dev, &mut c, CONV1D_NAMES);
        // U(±1/sqrt(in / groups * k)) for weight and bias, as PyTorch.
        let c = Conv1d::new(4, 8, 4, Conv1dConfig { groups: 2, ..d }, dev).unwrap();
        for (name, p) in c.named_parameters() {
            assert!(
                p.tensor().to_vec::<f32>().unwrap().iter().all(|x| x.abs() <= 1.0 / 8f32.sqrt()),
                "on {dev}: {name}"
            );
        }
        assert_eq!(
            Conv1d::new(2, 2, 3, Conv1dConfig { bias: false, ..d }, dev).unwrap().num_parameters(),
            12,
            "on {dev}"
        );
        assert!(Conv1d::new(3, 4, 3, Conv1dConfig { groups: 2, ..d }, dev).is_err(), "on {dev}");
        let e = Conv1d::new(2, 2, 3, Conv1dConfig { padding: Padding1d::Same, stride: 2, ..d }, dev).unwrap_err();
        assert!(e.to_string().contains("strided"), "on {dev}: {e}");
        let c = Conv1d::new(2, 4, 3, d, dev).unwrap();
        let e = err(c.forward(&input(pattern(dev, &[1, 3, 5], 0))));
        assert!(e.contains("conv1d") && e.contains("to have 2 channels, but got 3"), "on {dev}: {e}");
        let e = err(c.forward(&input(pattern(dev, &[1, 2, 2, 5], 0))));
        assert!(e.contains("Expected 2D (unbatched) or 3D (batched) input to conv1d"), "on {dev}: {e}");
        let e = err(c.forward(&input(pattern(dev, &[1, 2, 2], 0))));
        assert!(e.contains("Kernel size can't be greater than actual input size"), "on {dev}: {e}");
        let e = err(F::conv1d(
            &input(pattern(dev, &[1, 2, 5], 0)),
            &input(pattern(dev, &[4, 2, 1, 3], 0)),
            None,
            Default::default(),
        ));
        assert!(e.contains("Expected 3-dimensional weight"), "on {dev}: {e}");
    }
}

// ---------------------------------------------------------------- ConvTranspose2d

fn convt(dev: &Device, cin: usize, cout: usize, k: [usize; 2], config: ConvTranspose2dConfig) -> ConvTranspose2d {
    patterned(dev, ConvTranspose2d::new(cin, cout, k, config, dev).unwrap(), 4)
}

fn strided_convt(dev: &Device) -> ConvTranspose2d {
    let config = ConvTranspose2dConfig {
        stride: [2, 2],
        padding: [1, 1],
        output_padding: [1, 1],
        groups: 2,
        ..Default::default()
    };
    convt(dev, 4, 6, [3, 3], config)
}

#[test]
fn conv_transpose2d_matches_pytorch() -> Result<()> {
    for dev in &devices() {
        let d = ConvTranspose2dConfig::default();
        let rect = ConvTranspose2dConfig { stride: [1, 2], padding: [1, 0], dilation: [2, 1], bias: false, ..d };
        let outpad = ConvTranspose2dConfig { stride: [2, 1], dilation: [1, 3], output_padding: [1, 2], ..d };
        let cases: [Case<ConvTranspose2d>; 5] = [
            (convt(dev, 2, 3, [3, 3], d), &[1, 2, 3, 4], &[1, 3, 5, 6], &CONVT_BASIC),
            (strided_convt(dev), &[2, 4, 3, 3], &[2, 6, 6, 6], &CONVT_STRIDE_PAD_OUTPAD_GROUPS),
            (convt(dev, 3, 2, [2, 3], rect), &[1, 3, 4, 3], &[1, 2, 4, 7], &CONVT_RECT_DILATED_NO_BIAS),
            (convt(dev, 1, 2, [2, 2], outpad), &[1, 1, 3, 3], &[1, 2, 7, 8], &CONVT_OUTPAD_DILATION),
            (
                convt(dev, 2, 2, [2, 2], ConvTranspose2dConfig { stride: [2, 2], ..d }),
                &[2, 3, 3],
                &[2, 6, 6],
                &CONVT_UNBATCHED,
            ),
        ];
        for (c, x, shape, want) in cases {
            assert_values(dev, c.forward(&input(pattern(dev, x, 6)))?.tensor_ref(), shape, want, TOL);
        }
        let c = convt(dev, 2, 2, [3, 3], ConvTranspose2dConfig { stride: [2, 2], padding: [1, 1], ..d });
        let y = c.forward_with_output_size(&input(pattern(dev, &[1, 2, 3, 3], 6)), [6, 5])?;
        assert_values(dev, y.tensor_ref(), &[1, 2, 6, 5], &CONVT_OUTPUT_SIZE, TOL);
        let e = err(c.forward_with_output_size(&input(pattern(dev, &[1, 2, 3, 3], 6)), [7, 5]));
        assert!(e.contains("valid sizes range from [5, 5] to [6, 6]"), "on {dev}: {e}");
    }
    Ok(())
}

#[test]
fn conv_transpose2d_gradients_match_pytorch() -> Result<()> {
    for dev in &devices() {
        let c = strided_convt(dev);
        let (x, _) = grad_of(dev, |x| c.forward(x), pattern(dev, &[2, 4, 3, 3], 6), 9)?;
        assert_values(dev, &x.grad().unwrap(), &[2, 4, 3, 3], &CONVT_GRAD_X, 1e-5);
        assert_values(dev, &c.weight.grad().unwrap(), &[4, 3, 3, 3], &CONVT_GRAD_W, 1e-5);
        assert_values(dev, &c.bias.as_ref().unwrap().grad().unwrap(), &[6], &CONVT_GRAD_B, 1e-5);
        assert_eq!(c.forward(&x)?.grad_fn().unwrap().name(), "ConvolutionBackward0", "on {dev}");
    }
    Ok(())
}

#[test]
fn conv_transpose2d_gradcheck_and_gradgradcheck() -> Result<()> {
    for dev in &devices() {
        let d = F::ConvTranspose2dParams::default();
        for (p, x, w, b) in [
            (d, [1, 2, 2, 3], [2, 1, 2, 2], 1),
            (
                F::ConvTranspose2dParams { stride: [2, 2], padding: [1, 0], output_padding: [1, 1], groups: 2, ..d },
                [2, 2, 2, 2],
                [2, 1, 3, 2],
                2,
            ),
            // output_padding >= stride (allowed by the dilation): the input is padded inside the op.
            (F::ConvTranspose2dParams { dilation: [2, 3], output_padding: [1, 2], ..d }, [1, 1, 2, 3], [1, 2, 2, 2], 2),
        ] {
            let inputs = [f64s(&pattern(dev, &x, 1)), f64s(&pattern(dev, &w, 2)), f64s(&pattern(dev, &[b], 3))];
            gradcheck_on(|v| v[0].conv_transpose2d(&v[1], Some(&v[2]), p), &inputs)?;
            gradgradcheck_on(|v| v[0].conv_transpose2d(&v[1], Some(&v[2]), p), &inputs)?;
            // Unbatched (CHW) input.
            let chw = [f64s(&pattern(dev, &x[1..], 1)), f64s(&pattern(dev, &w, 2)), f64s(&pattern(dev, &[b], 3))];
            gradcheck_on(|v| v[0].conv_transpose2d(&v[1], Some(&v[2]), p), &chw)?;
        }
    }
    Ok(())
}

#[test]
fn conv_transpose2d_names_init_and_errors() {
    for dev in &devices() {
        let d = ConvTranspose2dConfig::default();
        let mut c = ConvTranspose2d::new(4, 6, 3, ConvTranspose2dConfig { groups: 2, ..d }, dev).unwrap();
        assert_pytorch_names(dev, &mut c, CONVT_NAMES);
        // fan_in is the weight's dim 1 times the kernel's area: out / groups * kh * kw = 3 * 9.
        let c = ConvTranspose2d::new(4, 6, 3, ConvTranspose2dConfig { groups: 2, ..d }, dev).unwrap();
        for (name, p) in c.named_parameters() {
            assert!(
                p.tensor().to_vec::<f32>().unwrap().iter().all(|x| x.abs() <= 1.0 / 27f32.sqrt()),
                "on {dev}: {name}"
            );
        }
        assert!(ConvTranspose2d::new(4, 5, 3, ConvTranspose2dConfig { groups: 2, ..d }, dev).is_err(), "on {dev}");
        let x = input(pattern(dev, &[1, 3, 4, 4], 0));
        let e = err(ConvTranspose2d::new(2, 2, 3, d, dev).unwrap().forward(&x));
        assert!(e.contains("Given transposed=1") && e.contains("to have 2 channels, but got 3"), "on {dev}: {e}");
        let bad = ConvTranspose2dConfig { stride: [2, 2], output_padding: [2, 0], ..d };
        let e = err(ConvTranspose2d::new(3, 2, 3, bad, dev).unwrap().forward(&x));
        assert!(e.contains("output padding must be smaller than either stride or dilation"), "on {dev}: {e}");
        let small = ConvTranspose2dConfig { padding: [3, 3], ..d };
        let e = err(ConvTranspose2d::new(3, 2, 2, small, dev).unwrap().forward(&x));
        assert!(e.contains("Output size is too small"), "on {dev}: {e}");
        let e = err(ConvTranspose2d::new(3, 2, 2, d, dev).unwrap().forward(&input(pattern(dev, &[3, 4], 0))));
        assert!(e.contains("Expected 3D (unbatched) or 4D (batched) input to conv_transpose2d"), "on {dev}: {e}");
        let w = input(pattern(dev, &[3, 2, 2, 2], 0));
        let e = err(F::conv_transpose2d(&x, &w, Some(&input(pattern(dev, &[3], 0))), Default::default()));
        assert!(e.contains("expected bias to be 1-dimensional with 2 elements"), "on {dev}: {e}");
    }
}

// ---------------------------------------------------------------- GroupNorm

#[test]
fn group_norm_matches_pytorch() -> Result<()> {
    for dev in &devices() {
        let gn = patterned(dev, GroupNorm::new(2, 4, dev)?, 4);
        let (x, y) = grad_of(dev, |x| gn.forward(x), pattern(dev, &[2, 4, 3, 3], 6), 9)?;
        assert_values(dev, y.tensor_ref(), &[2, 4, 3, 3], &GROUPNORM, TOL);
        assert_values(dev, &x.grad().unwrap(), &[2, 4, 3, 3], &GROUPNORM_GRAD_X, 1e-5);
        assert_values(dev, &gn.weight.as_ref().unwrap().grad().unwrap(), &[4], &GROUPNORM_GRAD_W, 1e-5);
        assert_values(dev, &gn.bias.as_ref().unwrap().grad().unwrap(), &[4], &GROUPNORM_GRAD_B, 1e-5);
        let plain = GroupNorm::with_options(3, 6, 1e-3, false, dev)?;
        assert_eq!(plain.num_parameters(), 0, "on {dev}");
        assert_values(
            dev,
            plain.forward(&input(pattern(dev, &[2, 6, 5], 7)))?.tensor_ref(),
            &[2, 6, 5],
            &GROUPNORM_NO_AFFINE_3D,
            TOL,
        );
        let flat = patterned(dev, GroupNorm::new(2, 4, dev)?, 5);
        assert_values(dev, flat.forward(&input(pattern(dev, &[3, 4], 8)))?.tensor_ref(), &[3, 4], &GROUPNORM_2D, TOL);
    }
    Ok(())
}

#[test]
fn group_norm_gradcheck_names_and_errors() -> Result<()> {
    for dev in &devices() {
        for (x, g) in [(vec![2, 4, 2, 3], 2), (vec![1, 6, 4], 3), (vec![3, 2], 1)] {
            let c = x[1];
            let inputs = [f64s(&pattern(dev, &x, 1)), f64s(&pattern(dev, &[c], 2)), f64s(&pattern(dev, &[c], 3))];
            gradcheck_on(|v| F::group_norm(&v[0], g, Some(&v[1]), Some(&v[2]), 1e-5), &inputs)?;
        }
        assert_pytorch_names(dev, &mut GroupNorm::new(2, 4, dev)?, GROUPNORM_NAMES);
        let e = GroupNorm::new(3, 4, dev).unwrap_err().to_string();
        assert!(e.contains("must be divisible by num_groups"), "on {dev}: {e}");
        let gn = GroupNorm::new(2, 4, dev)?;
        let e = err(gn.forward(&input(pattern(dev, &[2, 6, 3], 0))));
        assert!(e.contains("Expected weight to be a vector of size equal to the number of channels"), "on {dev}: {e}");
        let e = err(F::group_norm(&input(pattern(dev, &[2, 5, 3], 0)), 2, None, None, 1e-5));
        assert!(e.contains("Expected number of channels in input to be divisible by num_groups"), "on {dev}: {e}");
        let e = err(F::group_norm(&input(pattern(dev, &[4], 0)), 2, None, None, 1e-5));
        assert!(e.contains("Expected at least 2 dimensions"), "on {dev}: {e}");
    }
    Ok(())
}

// ---------------------------------------------------------------- InstanceNorm2d

#[test]
fn instance_norm2d_matches_pytorch() -> Result<()> {
    for dev in &devices() {
        let plain = InstanceNorm2d::new(3, dev)?;
        assert_values(
            dev,
            plain.forward(&input(pattern(dev, &[2, 3, 4, 4], 6)))?.tensor_ref(),
            &[2, 3, 4, 4],
            &INSTNORM_DEFAULT,
            TOL,
        );
        assert_values(
            dev,
            plain.forward(&input(pattern(dev, &[3, 4, 4], 8)))?.tensor_ref(),
            &[3, 4, 4],
            &INSTNORM_UNBATCHED,
            TOL,
        );
        let affine = InstanceNormConfig { affine: true, ..Default::default() };
        let inn = patterned(dev, InstanceNorm2d::with_config(3, affine, dev)?, 4);
        let (x, y) = grad_of(dev, |x| inn.forward(x), pattern(dev, &[2, 3, 3, 5], 7), 9)?;
        assert_values(dev, y.tensor_ref(), &[2, 3, 3, 5], &INSTNORM_AFFINE, TOL);
        assert_values(dev, &x.grad().unwrap(), &[2, 3, 3, 5], &INSTNORM_GRAD_X, 1e-5);
    }
    Ok(())
}

#[test]
fn instance_norm2d_running_stats_match_pytorch() -> Result<()> {
    for dev in &devices() {
        let config =
            InstanceNormConfig { momentum: Some(0.2), affine: true, track_running_stats: true, ..Default::default() };
        let mut inn = patterned(dev, InstanceNorm2d::with_config(3, config, dev)?, 4);
        inn.forward(&input(pattern(dev, &[2, 3, 4, 4], 6)))?;
        assert_values(dev, inn.running_mean().unwrap(), &[3], &INSTNORM_RUNNING_MEAN_1, TOL);
        assert_values(dev, inn.running_var().unwrap(), &[3], &INSTNORM_RUNNING_VAR_1, TOL);
        inn.forward(&input(pattern(dev, &[3, 3, 2, 3], 7)))?;
        assert_values(dev, inn.running_mean().unwrap(), &[3], &INSTNORM_RUNNING_MEAN_2, TOL);
        assert_values(dev, inn.running_var().unwrap(), &[3], &INSTNORM_RUNNING_VAR_2, TOL);
        // As PyTorch, instance norm never advances num_batches_tracked.
        assert_eq!(inn.state_dict()["num_batches_tracked"].item::<i64>()?, 0, "on {dev}");
        inn.eval();
        assert_values(
            dev,
            inn.forward(&input(pattern(dev, &[1, 3, 2, 2], 8)))?.tensor_ref(),
            &[1, 3, 2, 2],
            &INSTNORM_EVAL,
            TOL,
        );
        assert_values(dev, inn.running_mean().unwrap(), &[3], &INSTNORM_RUNNING_MEAN_2, TOL);
        // momentum=None leaves the running statistics alone.
        let frozen = InstanceNormConfig { momentum: None, track_running_stats: true, ..Default::default() };
        let inn = InstanceNorm2d::with_config(3, frozen, dev)?;
        inn.forward(&input(pattern(dev, &[2, 3, 4, 4], 6)))?;
        assert_eq!(inn.running_mean().unwrap().to_vec::<f32>()?, [0.0; 3], "on {dev}");
        assert_eq!(inn.running_var().unwrap().to_vec::<f32>()?, [1.0; 3], "on {dev}");
    }
    Ok(())
}

#[test]
fn instance_norm_gradcheck_names_and_errors() -> Result<()> {
    for dev in &devices() {
        let inputs =
            [f64s(&pattern(dev, &[2, 3, 2, 3], 1)), f64s(&pattern(dev, &[3], 2)), f64s(&pattern(dev, &[3], 3))];
        gradcheck_on(|v| F::instance_norm(&v[0], None, Some(&v[1]), Some(&v[2]), true, 0.1, 1e-5), &inputs)?;
        let (rm, rv) = (f64s(&pattern(dev, &[3], 4)), f64s(&pattern(dev, &[3], 5)).abs()?.add(0.5)?);
        gradcheck_on(|v| F::instance_norm(&v[0], Some((&rm, &rv)), Some(&v[1]), None, false, 0.1, 1e-5), &inputs[..2])?;
        gradcheck_on(|v| InstanceNorm2d::new(2, dev)?.forward(&v[0]), &[f64s(&pattern(dev, &[2, 3, 3], 6))])?;

        let tracked = InstanceNormConfig { affine: true, track_running_stats: true, ..Default::default() };
        assert_pytorch_names(dev, &mut InstanceNorm2d::with_config(3, tracked, dev)?, INSTNORM_TRACK_NAMES);
        assert_pytorch_names(dev, &mut InstanceNorm2d::new(3, dev)?, INSTNORM_DEFAULT_NAMES);

        let inn = InstanceNorm2d::with_config(3, tracked, dev)?;
        let e = err(inn.forward(&input(pattern(dev, &[1, 4, 2, 2], 0))));
        assert!(e.contains("to match num_features (3), but got: 4"), "on {dev}: {e}");
        let e = err(inn.forward(&input(pattern(dev, &[3, 4], 0))));
        assert!(e.contains("expected 3D or 4D input (got 2D input)"), "on {dev}: {e}");
        let e = err(inn.forward(&input(pattern(dev, &[2, 3, 1, 1], 0))));
        assert!(e.contains("Expected more than 1 spatial element when training"), "on {dev}: {e}");
        // Without affine or running statistics, another channel count is fine (PyTorch warns).
        assert!(InstanceNorm2d::new(3, dev)?.forward(&input(pattern(dev, &[1, 4, 2, 2], 0))).is_ok(), "on {dev}");
        let e = err(F::instance_norm(&input(pattern(dev, &[1, 3, 2, 2], 0)), None, None, None, false, 0.1, 1e-5));
        assert!(e.contains("Expected running_mean and running_var to be defined"), "on {dev}: {e}");
    }
    Ok(())
}

// ---------------------------------------------------------------- a state dict from PyTorch

/// `nn_layers_more.py`'s `decoder`, layer for layer, with PyTorch's default parameters.
fn decoder(dev: &Device) -> Result<Sequential> {
    let up = ConvTranspose2dConfig { stride: [2, 2], padding: [1, 1], output_padding: [1, 1], ..Default::default() };
    let tracked = InstanceNormConfig { affine: true, track_running_stats: true, ..Default::default() };
    Ok(Sequential::new()
        .add(ConvTranspose2d::new(2, 4, 3, up, dev)?)
        .add(GroupNorm::new(2, 4, dev)?)
        .add(InstanceNorm2d::with_config(4, tracked, dev)?)
        .add(Upsample::new(1.5, BILINEAR))
        .add(PixelUnshuffle::new(3))
        .add(Flatten { start_dim: 2, end_dim: -1 })
        .add(Conv1d::new(36, 2, 3, Conv1dConfig { padding: 1.into(), ..Default::default() }, dev)?)
        .add(PixelShuffle::new(1)))
}

#[test]
fn pytorch_state_dict_loads_into_the_same_layers() -> Result<()> {
    for dev in &devices() {
        // Written by PyTorch's `safetensors.torch.save_file` after one training step.
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/layers_more.safetensors");
        let state = load_safetensors(&path, dev)?;
        let mut m = decoder(dev)?;
        let mut want: Vec<(String, Vec<usize>)> =
            DECODER_STATE.iter().map(|(n, s)| (n.to_string(), s.to_vec())).collect();
        want.sort();
        let ours: Vec<(String, Vec<usize>)> = m.state_dict().into_iter().map(|(n, t)| (n, t.size().to_vec())).collect();
        assert_eq!(ours, want, "on {dev}: state-dict names and shapes");
        let file: Vec<(String, Vec<usize>)> = state.iter().map(|(n, t)| (n.clone(), t.size().to_vec())).collect();
        assert_eq!(file, want, "on {dev}: the file's names and shapes");
        m.load_state_dict(&state, true)?;
        m.eval();
        let y = m.forward(&input(pattern(dev, &[1, 2, 3, 3], 11)))?;
        assert_values(dev, y.tensor_ref(), &[1, 2, 9], &DECODER_OUT, 1e-5);
        assert_eq!(m.state_dict()["2.num_batches_tracked"].item::<i64>()?, 0, "on {dev}");
    }
    Ok(())
}
