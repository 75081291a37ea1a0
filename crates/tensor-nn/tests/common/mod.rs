//! Helpers shared by tensor-nn's PyTorch-literal tests: the scripts' `pattern` inputs, value
//! comparisons, the three reductions of a loss, and module names and state. Inputs are built
//! on a device and comparisons widen to PyTorch's `assert_close` tolerances on a GPU (sums in
//! another order): every test body that makes sense on a GPU runs on each of [`devices`].
#![allow(dead_code)]

// The device helpers are tensor-autograd's (one copy): `devices`, `assert_on`, the tolerances
// of a GPU result and `gradcheck_on`.
#[path = "../../../tensor-autograd/tests/common/devices.rs"]
mod devices;
pub use devices::*;

use std::collections::BTreeMap;
use tensor_autograd::Var;
use tensor_core::{DType, Device, Result, Tensor};
use tensor_nn::{Conv2d, Conv2dConfig, Module, ModuleExt, Reduction};

pub const CPU: &Device = &Device::Cpu;

/// The scripts' `pattern`: `((i * 37 + seed * 11) % 23 - 11) / 8` (exact in every float
/// dtype), as `dtype`, on `dev`.
pub fn pattern_as(dev: &Device, shape: &[usize], seed: usize, dtype: DType) -> Tensor {
    let n: usize = shape.iter().product();
    let v: Vec<f64> = (0..n).map(|i| (((i * 37 + seed * 11) % 23) as f64 - 11.0) / 8.0).collect();
    Tensor::from_vec(v, shape).unwrap().to_dtype(dtype).unwrap().to_device(dev).unwrap()
}

/// `pattern` in float32 (the layer scripts).
pub fn pattern(dev: &Device, shape: &[usize], seed: usize) -> Tensor {
    pattern_as(dev, shape, seed, DType::F32)
}

/// `pattern` in float64 (the loss scripts).
pub fn pattern_f64(dev: &Device, shape: &[usize], seed: usize) -> Tensor {
    pattern_as(dev, shape, seed, DType::F64)
}

/// The scripts' `conv` on `dev`: a `Conv2d` with weight `pattern(.., 4)` and bias
/// `pattern(.., 5)`.
pub fn pattern_conv(dev: &Device, cin: usize, cout: usize, k: [usize; 2], config: Conv2dConfig) -> Conv2d {
    let mut c = Conv2d::new(cin, cout, k, config, dev).unwrap();
    c.weight = Var::parameter(pattern(dev, &[cout, cin / config.groups, k[0], k[1]], 4));
    c.bias = config.bias.then(|| Var::parameter(pattern(dev, &[cout], 5)));
    c
}

/// A convolution case: the layer, its input shape, its output shape and PyTorch's output.
pub type ConvCase = (Conv2d, &'static [usize], &'static [usize], &'static [f64]);

/// `gradcheck` of a `Conv2d` with a bias, over its input (`pattern(x, 1)`), weight and bias, in
/// float64, on `dev`.
pub fn conv_gradcheck(
    dev: &Device,
    cin: usize,
    cout: usize,
    k: [usize; 2],
    config: Conv2dConfig,
    x: &[usize],
) -> Result<()> {
    gradcheck_on(
        |v| {
            let mut c = Conv2d::new(cin, cout, k, config, v[0].device())?;
            c.weight = v[1].clone();
            c.bias = Some(v[2].clone());
            c.forward(&v[0])
        },
        &[
            f64s(&pattern(dev, x, 1)),
            f64s(&pattern(dev, &[cout, cin / config.groups, k[0], k[1]], 2)),
            f64s(&pattern(dev, &[cout], 3)),
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

/// `|a - b|` within `tol * (1 + |b|)`, or on a GPU within PyTorch's `assert_close`
/// tolerance for `dtype`'s sums if that is wider.
pub fn near(dev: &Device, dtype: DType, a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * (1.0 + b.abs()) || gpu_close(dev, dtype, a, b)
}

/// `a` within PyTorch's `assert_close` tolerance for `dtype`'s sums of `b` on a GPU, and equal
/// to it on the CPU: the widening, on a GPU, of an assertion written with its own CPU tolerance
/// (`cpu_check || gpu_close(..)`).
pub fn gpu_close(dev: &Device, dtype: DType, a: f64, b: f64) -> bool {
    let (rtol, atol) = tol_on(dev, dtype, Kind::Sums);
    a == b || (a - b).abs() <= atol + rtol * b.abs()
}

/// Asserts `got` lives on `dev` and holds PyTorch's `want` to `tol` (widened on a GPU, see
/// [`near`]).
#[track_caller]
pub fn assert_values(dev: &Device, got: &Tensor, shape: &[usize], want: &[f64], tol: f64) {
    assert_on(got, dev);
    assert_eq!(got.size(), shape, "shape on {dev}");
    let g = got.to_vec::<f64>().unwrap();
    assert_eq!(g.len(), want.len(), "length on {dev}");
    for (i, (&a, &b)) in g.iter().zip(want).enumerate() {
        assert!(
            near(dev, got.dtype(), a, b, tol),
            "on {dev}: element {i}: got {a}, PyTorch {b}\n got {g:?}\nwant {want:?}"
        );
    }
}

/// Float64 values computed on `dev` agree with PyTorch's to 1e-12 (relative), or on a GPU to
/// float64's `assert_close` tolerance.
#[track_caller]
pub fn close(dev: &Device, got: &[f64], want: &[f64], what: &str) {
    assert_eq!(got.len(), want.len(), "{what} on {dev}: length");
    for (&a, &b) in got.iter().zip(want) {
        assert!(near(dev, DType::F64, a, b, 1e-12), "{what} on {dev}: got {got:?}, PyTorch {want:?}");
    }
}

/// Checks reductions none, mean and sum of `f` (on `dev`) against `want` (none flattened,
/// mean, sum).
#[track_caller]
pub fn three(dev: &Device, want: &[f64], none_shape: &[usize], f: impl Fn(Reduction) -> Result<Var>) {
    let none = f(Reduction::None).unwrap();
    assert_eq!(none.size(), none_shape, "reduction none keeps the shape (on {dev})");
    assert_on(none.tensor_ref(), dev);
    let n = want.len() - 2;
    close(dev, &none.tensor().to_vec::<f64>().unwrap(), &want[..n], "none");
    let mean = f(Reduction::Mean).unwrap();
    assert_eq!(mean.dim(), 0);
    assert_on(mean.tensor_ref(), dev);
    close(dev, &[mean.item::<f64>().unwrap()], &want[n..n + 1], "mean");
    close(dev, &[f(Reduction::Sum).unwrap().item::<f64>().unwrap()], &want[n + 1..], "sum");
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
