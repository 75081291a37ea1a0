//! Helpers shared by tensor-nn's PyTorch-literal tests: the scripts' `pattern` inputs, value
//! comparisons, the three reductions of a loss, and module names and state.
#![allow(dead_code)]

use std::collections::BTreeMap;
use tensor_autograd::{gradcheck, Var};
use tensor_core::{DType, Device, Result, Tensor};
use tensor_nn::{Conv2d, Conv2dConfig, Module, ModuleExt, Reduction};

pub const CPU: &Device = &Device::Cpu;

/// The scripts' `pattern`: `((i * 37 + seed * 11) % 23 - 11) / 8` (exact in every float
/// dtype), as `dtype`.
pub fn pattern_as(shape: &[usize], seed: usize, dtype: DType) -> Tensor {
    let n: usize = shape.iter().product();
    let v: Vec<f64> = (0..n).map(|i| (((i * 37 + seed * 11) % 23) as f64 - 11.0) / 8.0).collect();
    Tensor::from_vec(v, shape).unwrap().to_dtype(dtype).unwrap()
}

/// `pattern` in float32 (the layer scripts).
pub fn pattern(shape: &[usize], seed: usize) -> Tensor {
    pattern_as(shape, seed, DType::F32)
}

/// `pattern` in float64 (the loss scripts).
pub fn pattern_f64(shape: &[usize], seed: usize) -> Tensor {
    pattern_as(shape, seed, DType::F64)
}

/// The scripts' `conv`: a `Conv2d` with weight `pattern(.., 4)` and bias `pattern(.., 5)`.
pub fn pattern_conv(cin: usize, cout: usize, k: [usize; 2], config: Conv2dConfig) -> Conv2d {
    let mut c = Conv2d::new(cin, cout, k, config, CPU).unwrap();
    c.weight = Var::parameter(pattern(&[cout, cin / config.groups, k[0], k[1]], 4));
    c.bias = config.bias.then(|| Var::parameter(pattern(&[cout], 5)));
    c
}

/// A convolution case: the layer, its input shape, its output shape and PyTorch's output.
pub type ConvCase = (Conv2d, &'static [usize], &'static [usize], &'static [f64]);

/// `gradcheck` of a `Conv2d` with a bias, over its input (`pattern(x, 1)`), weight and bias, in
/// float64.
pub fn conv_gradcheck(cin: usize, cout: usize, k: [usize; 2], config: Conv2dConfig, x: &[usize]) -> Result<()> {
    gradcheck(
        |v| {
            let mut c = Conv2d::new(cin, cout, k, config, CPU)?;
            c.weight = v[1].clone();
            c.bias = Some(v[2].clone());
            c.forward(&v[0])
        },
        &[
            f64s(&pattern(x, 1)),
            f64s(&pattern(&[cout, cin / config.groups, k[0], k[1]], 2)),
            f64s(&pattern(&[cout], 3)),
        ],
    )
}

pub fn f64s(t: &Tensor) -> Tensor {
    t.to_dtype(DType::F64).unwrap()
}

/// A constant (an input that needs no gradient).
pub fn input(t: Tensor) -> Var {
    Var::constant(t)
}

/// Float32 outputs agree with PyTorch's to a few ulps (sums in another order).
pub const TOL: f64 = 2e-6;

#[track_caller]
pub fn assert_values(got: &Tensor, shape: &[usize], want: &[f64], tol: f64) {
    assert_eq!(got.size(), shape, "shape");
    let g = got.to_vec::<f64>().unwrap();
    assert_eq!(g.len(), want.len(), "length");
    for (i, (a, b)) in g.iter().zip(want).enumerate() {
        assert!((a - b).abs() <= tol * (1.0 + b.abs()), "element {i}: got {a}, PyTorch {b}\n got {g:?}\nwant {want:?}");
    }
}

#[track_caller]
pub fn close(got: &[f64], want: &[f64], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (a, b) in got.iter().zip(want) {
        assert!((a - b).abs() <= 1e-12 * (1.0 + b.abs()), "{what}: got {got:?}, PyTorch {want:?}");
    }
}

/// Checks reductions none, mean and sum of `f` against `want` (none flattened, mean, sum).
#[track_caller]
pub fn three(want: &[f64], none_shape: &[usize], f: impl Fn(Reduction) -> Result<Var>) {
    let none = f(Reduction::None).unwrap();
    assert_eq!(none.size(), none_shape, "reduction none keeps the shape");
    let n = want.len() - 2;
    close(&none.tensor().to_vec::<f64>().unwrap(), &want[..n], "none");
    let mean = f(Reduction::Mean).unwrap();
    assert_eq!(mean.dim(), 0);
    close(&[mean.item::<f64>().unwrap()], &want[n..n + 1], "mean");
    close(&[f(Reduction::Sum).unwrap().item::<f64>().unwrap()], &want[n + 1..], "sum");
}

pub fn names(m: &impl ModuleExt) -> Vec<String> {
    m.named_parameters().into_iter().map(|(n, _)| n).collect()
}

pub fn state_keys(m: &impl ModuleExt) -> Vec<String> {
    m.state_dict().into_keys().collect()
}

/// Loads `params` (name, value) into `m`, non-strict.
pub fn set_params(m: &mut impl ModuleExt, params: &[(&str, Tensor)]) {
    let state: BTreeMap<String, Tensor> = params.iter().map(|(n, t)| (n.to_string(), t.shallow_clone())).collect();
    m.load_state_dict(&state, false).unwrap();
}
