//! Autograd on the GPU against the CPU. For a table of differentiable ops (unary math,
//! broadcasting binaries with tensors and numbers, reductions with dims and keepdim, the softmax
//! family, matmul in every form, conv2d with stride/padding/dilation/groups, max/avg/adaptive
//! pooling, the index ops, views feeding ops, in-place ops inside a graph) one test body builds
//! the same graph from the same CPU data on the CPU and on CUDA, runs backward (from a scalar,
//! or with the same explicit gradient), and compares the outputs and every leaf's `.grad` under
//! PyTorch's `assert_close` tolerances, in float32 and float64; the gradients must live on the
//! GPU. Then gradient accumulation over two backwards, `no_grad`, `detach`, `retain_grad`,
//! hooks, `grad` and double backward on CUDA.
//!
//! Without a GPU every test prints `skipping: no CUDA device (...)` and passes; with
//! `TENSOR_REQUIRE_CUDA=1` set it fails instead. Left out: `cumsum` and `prod` over an input with
//! zeros (their forward or backward needs tensor-cuda's scan, which is not implemented).

use tensor_autograd::cuda::testing::{self, cuda_or_skip};
use tensor_autograd::{grad, no_grad, BackwardOptions, Var};
use tensor_core::ops::conv::Conv2dParams;
use tensor_core::random::Generator;
use tensor_core::{DType, Device, Norm, Result, Tensor};

const CPU: &Device = &Device::Cpu;
const DTYPES: [DType; 2] = [DType::F32, DType::F64];

/// Which of PyTorch's tolerances applies.
#[derive(Clone, Copy, Debug)]
enum Tol {
    /// Elementwise results: `assert_close`'s defaults (float32 rtol 1.3e-6, atol 1e-5).
    Elementwise,
    /// Results of long sums (reductions, matmul, conv, broadcast gradients, atomics on the
    /// GPU): float32 rtol 1e-4, atol 1e-5.
    Sums,
}

/// `(rtol, atol)` for `dtype`; float64 is PyTorch's default (1e-7, 1e-7) either way.
fn tol(dtype: DType, kind: Tol) -> (f64, f64) {
    match (dtype, kind) {
        (DType::F64, _) => (1e-7, 1e-7),
        (_, Tol::Elementwise) => (1.3e-6, 1e-5),
        (_, Tol::Sums) => (1e-4, 1e-5),
    }
}

/// Asserts that `got` (on the GPU) matches `want` (on the CPU) within `rtol`/`atol`.
#[track_caller]
fn assert_close(what: &str, want: &Tensor, got: &Tensor, (rtol, atol): (f64, f64)) {
    testing::assert_close(what, want, got, rtol, atol);
}

/// A CPU tensor of `shape` and `dtype` from two uniform draws per element.
fn data(shape: &[usize], seed: u64, dtype: DType, f: impl Fn(f64, f64) -> f64) -> Tensor {
    let n: usize = shape.iter().product();
    let u: Vec<f64> = Generator::new(seed).uniform(2 * n).collect();
    let v: Vec<f64> = (0..n).map(|i| f(u[2 * i], u[2 * i + 1])).collect();
    Tensor::from_vec(v, shape.to_vec()).unwrap().to_dtype(dtype).unwrap()
}

/// Uniform in `[lo, hi)`.
fn uniform(shape: &[usize], seed: u64, lo: f64, hi: f64, dtype: DType) -> Tensor {
    data(shape, seed, dtype, |a, _| lo + (hi - lo) * a)
}

/// Magnitude uniform in `[lo, hi)` with a random sign: away from zero.
fn away(shape: &[usize], seed: u64, lo: f64, hi: f64, dtype: DType) -> Tensor {
    data(shape, seed, dtype, |a, s| (lo + (hi - lo) * a) * if s < 0.5 { -1.0 } else { 1.0 })
}

/// Standard normal numbers.
fn normal(shape: &[usize], seed: u64, dtype: DType) -> Tensor {
    Tensor::randn_with(shape.to_vec(), DType::F64, CPU, &mut Generator::new(seed)).unwrap().to_dtype(dtype).unwrap()
}

/// An int64 CPU tensor.
fn ints<const N: usize>(v: [i64; N], shape: &[usize]) -> Tensor {
    Tensor::from_vec(v.to_vec(), shape.to_vec()).unwrap()
}

/// Leaves on `device` (requiring grad) holding copies of the CPU `inputs`.
fn leaves(inputs: &[Tensor], device: &Device) -> Vec<Var> {
    inputs.iter().map(|t| Var::new(t.to_device(device).unwrap().try_clone().unwrap(), true)).collect()
}

/// Asserts that every leaf's gradient on the GPU matches its twin's on the CPU.
#[track_caller]
fn assert_grads(what: &str, cpu: &[Var], gpu: &[Var], device: &Device, kind: Tol) {
    for (i, (c, g)) in cpu.iter().zip(gpu).enumerate() {
        match (c.grad(), g.grad()) {
            (Some(a), Some(b)) => {
                assert!(b.device() == device, "{what}: grad of input {i} is on {}", b.device());
                assert_close(&format!("{what}: grad of input {i}"), &a, &b, tol(a.dtype(), kind));
            }
            (None, None) => {}
            (a, b) => panic!("{what}: input {i} has a grad on cpu: {}, on cuda: {}", a.is_some(), b.is_some()),
        }
    }
}

/// One test body on both devices: `f` builds a graph on leaves made from `inputs` (CPU tensors)
/// on the device it is given (it moves any other tensor it uses there). Backward runs from the
/// output when it has one element, else with the same random gradient on both devices; the
/// outputs and every leaf's gradient are compared.
#[track_caller]
fn check(what: &str, gpu: &Device, inputs: &[Tensor], kind: Tol, f: impl Fn(&Device, &[Var]) -> Result<Var>) {
    let run = |device: &Device| {
        let l = leaves(inputs, device);
        let out = f(device, &l).unwrap_or_else(|e| panic!("{what} on {device}: {e}"));
        (out, l)
    };
    let ((oc, lc), (og, lg)) = (run(CPU), run(gpu));
    assert_close(&format!("{what}: output"), oc.tensor_ref(), og.tensor_ref(), tol(oc.dtype(), kind));
    assert!(og.requires_grad(), "{what}: the GPU output is not in a graph");
    if oc.numel() == 1 {
        oc.backward().unwrap();
        og.backward().unwrap_or_else(|e| panic!("{what}: backward on the GPU: {e}"));
    } else {
        let seed = normal(oc.size(), 99, oc.dtype());
        oc.backward_with(&seed).unwrap();
        let seed = seed.to_device(gpu).unwrap();
        og.backward_with(&seed).unwrap_or_else(|e| panic!("{what}: backward on the GPU: {e}"));
    }
    assert_grads(what, &lc, &lg, gpu, kind);
}

type Unary = fn(&Var) -> Result<Var>;

#[test]
fn unary_ops() {
    let Some(gpu) = cuda_or_skip() else { return };
    let table: Vec<(&str, Unary, f64, f64)> = vec![
        ("neg", |x| x.neg(), -2.0, 2.0),
        ("abs", |x| x.abs(), -2.0, 2.0),
        ("exp", |x| x.exp(), -2.0, 2.0),
        ("exp2", |x| x.exp2(), -2.0, 2.0),
        ("log", |x| x.log(), 0.5, 3.0),
        ("log2", |x| x.log2(), 0.5, 3.0),
        ("log1p", |x| x.log1p(), -0.5, 3.0),
        ("expm1", |x| x.expm1(), -2.0, 2.0),
        ("sqrt", |x| x.sqrt(), 0.5, 3.0),
        ("rsqrt", |x| x.rsqrt(), 0.5, 3.0),
        ("sin", |x| x.sin(), -3.0, 3.0),
        ("cos", |x| x.cos(), -3.0, 3.0),
        ("tan", |x| x.tan(), -1.0, 1.0),
        ("tanh", |x| x.tanh(), -2.0, 2.0),
        ("sigmoid", |x| x.sigmoid(), -3.0, 3.0),
        ("relu", |x| x.relu(), -2.0, 2.0),
        ("leaky_relu", |x| x.leaky_relu(0.1), -2.0, 2.0),
        ("gelu", |x| x.gelu(false), -3.0, 3.0),
        ("gelu tanh", |x| x.gelu(true), -3.0, 3.0),
        ("silu", |x| x.silu(), -3.0, 3.0),
        ("softplus", |x| x.softplus(1.0, 20.0), -3.0, 3.0),
        ("softplus threshold", |x| x.softplus(2.0, 1.0), -2.0, 2.0),
        ("reciprocal", |x| x.reciprocal(), 0.5, 3.0),
        ("square", |x| x.square(), -2.0, 2.0),
        ("erf", |x| x.erf(), -2.0, 2.0),
        ("clamp", |x| x.clamp(Some(-0.5), Some(0.7)), -2.0, 2.0),
        ("clamp min", |x| x.clamp(Some(0.1), None), -2.0, 2.0),
        ("sign", |x| x.sign(), -2.0, 2.0),
        ("floor", |x| x.floor(), -2.0, 2.0),
        ("ceil", |x| x.ceil(), -2.0, 2.0),
        ("round", |x| x.round(), -2.0, 2.0),
        ("trunc", |x| x.trunc(), -2.0, 2.0),
        ("pow 2.5", |x| x.pow(2.5), 0.5, 2.0),
        ("to_dtype round trip", |x| x.to_dtype(DType::F64)?.mul(1.5)?.to_dtype(x.dtype()), -2.0, 2.0),
    ];
    for dtype in DTYPES {
        for (i, &(name, op, lo, hi)) in table.iter().enumerate() {
            let x = uniform(&[4, 5], 100 + i as u64, lo, hi, dtype);
            check(&format!("{name} {dtype}"), &gpu, &[x.shallow_clone()], Tol::Elementwise, |_, v| op(&v[0]));
            // On a transposed (non-contiguous) view, reduced to a scalar.
            check(&format!("{name} {dtype} transposed"), &gpu, &[x], Tol::Sums, |_, v| op(&v[0].t()?)?.sum());
        }
    }
}

#[test]
fn binary_ops_with_broadcasting_and_numbers() {
    let Some(gpu) = cuda_or_skip() else { return };
    type Binary = fn(&Var, &Var) -> Result<Var>;
    let table: Vec<(&str, Binary)> = vec![
        ("add", |a, b| a.add(b)),
        ("sub", |a, b| a.sub(b)),
        ("mul", |a, b| a.mul(b)),
        ("div", |a, b| a.div(b)),
        ("pow", |a, b| a.abs()?.add(0.5)?.pow(b)),
        ("maximum", |a, b| a.maximum(b)),
        ("minimum", |a, b| a.minimum(b)),
        ("atan2", |a, b| a.atan2(b)),
        ("remainder", |a, b| a.mul(3.0)?.remainder(b)),
    ];
    let shapes: [(&[usize], &[usize]); 5] =
        [(&[3, 4], &[3, 4]), (&[3, 1, 4], &[5, 1]), (&[4], &[2, 3, 4]), (&[], &[3, 4]), (&[2, 3], &[])];
    for dtype in DTYPES {
        for (i, &(name, op)) in table.iter().enumerate() {
            for (j, (sa, sb)) in shapes.into_iter().enumerate() {
                let seed = 1000 + 10 * i as u64 + j as u64;
                let (a, b) = (normal(sa, seed, dtype), away(sb, seed + 500, 0.5, 2.0, dtype));
                check(&format!("{name} {dtype} {sa:?} with {sb:?}"), &gpu, &[a, b], Tol::Sums, |_, v| op(&v[0], &v[1]));
            }
        }
        // A number on the right (a 0-d constant made on the input's device) and a plain tensor.
        let x = normal(&[3, 4], 7, dtype);
        let k = normal(&[4], 8, dtype);
        let in1 = [x.shallow_clone()];
        check(&format!("add number {dtype}"), &gpu, &in1, Tol::Elementwise, |_, v| v[0].add(2.5));
        check(&format!("sub number {dtype}"), &gpu, &in1, Tol::Elementwise, |_, v| v[0].sub(1.5));
        check(&format!("mul number {dtype}"), &gpu, &in1, Tol::Elementwise, |_, v| v[0].mul(-3.0));
        check(&format!("div number {dtype}"), &gpu, &in1, Tol::Elementwise, |_, v| v[0].div(4.0));
        check(&format!("pow number {dtype}"), &gpu, &in1, Tol::Elementwise, |_, v| v[0].pow(3.0));
        check(&format!("maximum number {dtype}"), &gpu, &in1, Tol::Elementwise, |_, v| v[0].maximum(0.25));
        check(&format!("atan2 number {dtype}"), &gpu, &in1, Tol::Elementwise, |_, v| v[0].atan2(0.5));
        check(&format!("remainder number {dtype}"), &gpu, &in1, Tol::Elementwise, |_, v| v[0].remainder(0.75));
        check(&format!("mul tensor {dtype}"), &gpu, &in1, Tol::Sums, |d, v| v[0].mul(&k.to_device(d)?));
        // Ties of maximum share the gradient: the same comparison on both devices.
        check(&format!("maximum ties {dtype}"), &gpu, &in1, Tol::Elementwise, |_, v| v[0].maximum(&v[0].mul(1.0)?));
        // Mixed dtypes: a float32 leaf promoted against a float64 one.
        let y = normal(&[3, 4], 9, DType::F64);
        check(&format!("mixed dtypes {dtype}"), &gpu, &[x, y], Tol::Sums, |_, v| v[0].mul(&v[1])?.sum());
    }
}

#[test]
fn reductions_and_softmax() {
    let Some(gpu) = cuda_or_skip() else { return };
    type Reduce = fn(&Var) -> Result<Var>;
    let table: Vec<(&str, Reduce)> = vec![
        ("sum", |x| x.sum()),
        ("sum dim 1", |x| x.sum_dim(&[1], false)),
        ("sum dims 0,2 keepdim", |x| x.sum_dim(&[0, 2], true)),
        ("sum dim -1", |x| x.sum_dim(&[-1], false)),
        ("mean", |x| x.mean()),
        ("mean dims 0,1", |x| x.mean_dim(&[0, 1], false)),
        ("mean dim -1 keepdim", |x| x.mean_dim(&[-1], true)),
        ("prod", |x| x.mul(0.3)?.add(1.0)?.prod()),
        ("amax dim 1", |x| x.amax(&[1], false)),
        ("amin dims 0,2 keepdim", |x| x.amin(&[0, 2], true)),
        ("max", |x| x.max()),
        ("min", |x| x.min()),
        ("max_dim 1", |x| Ok(x.max_dim(1, false)?.0)),
        ("min_dim -1 keepdim", |x| Ok(x.min_dim(-1, true)?.0)),
        ("var dim 1", |x| x.var(&[1], 1, false)),
        ("var all", |x| x.var(&[], 0, false)),
        ("std dims 0,2 keepdim", |x| x.std(&[0, 2], 1, true)),
        ("norm L2 dim 1", |x| x.norm(Norm::L2, &[1], false)),
        ("norm L1", |x| x.norm(Norm::L1, &[], false)),
        ("norm inf dim 2 keepdim", |x| x.norm(Norm::Inf, &[2], true)),
        ("norm p3 dim 0", |x| x.norm(Norm::P(3.0), &[0], false)),
        ("norm p1.5", |x| x.norm(Norm::P(1.5), &[], false)),
        ("logsumexp dim 1", |x| x.logsumexp(&[1], false)),
        ("logsumexp dims 0,2 keepdim", |x| x.logsumexp(&[0, 2], true)),
        ("softmax dim 1", |x| x.softmax(1)),
        ("softmax dim -1", |x| x.softmax(-1)),
        ("log_softmax dim 0", |x| x.log_softmax(0)),
        ("log_softmax dim 2", |x| x.log_softmax(2)),
        ("softmax of a transposed view", |x| x.transpose(0, 2)?.softmax(1)),
    ];
    for dtype in DTYPES {
        for (i, &(name, op)) in table.iter().enumerate() {
            let x = normal(&[3, 4, 5], 2000 + i as u64, dtype);
            check(&format!("{name} {dtype}"), &gpu, &[x], Tol::Sums, |_, v| op(&v[0]));
        }
        // Long rows: the GPU's block reductions in forward and backward.
        let x = uniform(&[3, 3000], 2100, -1.0, 2.0, dtype);
        let long = [x];
        check(&format!("long sum {dtype}"), &gpu, &long, Tol::Sums, |_, v| v[0].sum_dim(&[1], false));
        check(&format!("long softmax {dtype}"), &gpu, &long, Tol::Sums, |_, v| v[0].softmax(1));
        check(&format!("long log_softmax {dtype}"), &gpu, &long, Tol::Sums, |_, v| v[0].log_softmax(-1));
        check(&format!("long logsumexp {dtype}"), &gpu, &long, Tol::Sums, |_, v| v[0].logsumexp(&[1], false));
    }
}

#[test]
fn matrix_products() {
    let Some(gpu) = cuda_or_skip() else { return };
    let cases: [(&str, &[usize], &[usize]); 10] = [
        ("mm", &[4, 3], &[3, 5]),
        ("mv", &[4, 3], &[3]),
        ("dot", &[3], &[3]),
        ("vector @ matrix", &[3], &[3, 5]),
        ("bmm", &[2, 4, 3], &[2, 3, 5]),
        ("broadcast batches", &[2, 1, 4, 3], &[3, 3, 5]),
        ("matrix @ batch", &[4, 3], &[2, 3, 5]),
        ("batch @ vector", &[2, 4, 3], &[3]),
        ("vector @ batch", &[3], &[2, 3, 5]),
        ("bigger mm", &[33, 70], &[70, 40]),
    ];
    for dtype in DTYPES {
        for (i, (name, sa, sb)) in cases.into_iter().enumerate() {
            let (a, b) = (normal(sa, 3000 + i as u64, dtype), normal(sb, 3100 + i as u64, dtype));
            check(&format!("{name} {dtype}"), &gpu, &[a, b], Tol::Sums, |_, v| v[0].matmul(&v[1]));
        }
        let (a, b) = (normal(&[3, 4], 3200, dtype), normal(&[5, 3], 3201, dtype));
        let ab = [a, b];
        check(&format!("transposed operands {dtype}"), &gpu, &ab, Tol::Sums, |_, v| v[0].t()?.matmul(&v[1].t()?));
        check(&format!("mm method {dtype}"), &gpu, &ab, Tol::Sums, |_, v| v[1].mm(&v[0])?.sum());
        let (a, b) = (normal(&[2, 4, 3], 3202, dtype), normal(&[2, 3, 5], 3203, dtype));
        check(&format!("bmm method {dtype}"), &gpu, &[a, b], Tol::Sums, |_, v| v[0].bmm(&v[1]));
        let (x, w, bias) = (normal(&[6, 3], 3204, dtype), normal(&[5, 3], 3205, dtype), normal(&[5], 3206, dtype));
        check(&format!("linear {dtype}"), &gpu, &[x, w, bias], Tol::Sums, |_, v| v[0].linear(&v[1], Some(&v[2])));
        let (p, q) = (normal(&[3], 3207, dtype), normal(&[4], 3208, dtype));
        check(&format!("outer {dtype}"), &gpu, &[p, q], Tol::Sums, |_, v| v[0].outer(&v[1]));
    }
}

#[test]
fn conv2d_with_options() {
    let Some(gpu) = cuda_or_skip() else { return };
    let p = |stride, padding, dilation, groups| Conv2dParams { stride, padding, dilation, groups };
    // (name, input shape, weight shape, with a bias, params)
    type Case = (&'static str, &'static [usize], &'static [usize], bool, Conv2dParams);
    let cases: [Case; 5] = [
        ("plain", &[2, 3, 8, 7], &[4, 3, 3, 3], true, p([1, 1], [0, 0], [1, 1], 1)),
        ("stride padding groups", &[2, 4, 9, 8], &[6, 2, 3, 2], true, p([2, 1], [1, 2], [1, 1], 2)),
        ("dilation depthwise no bias", &[1, 2, 9, 9], &[4, 1, 3, 3], false, p([1, 2], [2, 1], [2, 2], 2)),
        ("unbatched", &[3, 6, 6], &[2, 3, 3, 3], true, p([1, 1], [1, 1], [1, 1], 1)),
        ("1x1 strided", &[2, 8, 5, 5], &[4, 8, 1, 1], true, p([2, 2], [0, 0], [1, 1], 1)),
    ];
    for dtype in DTYPES {
        for (i, (name, sx, sw, has_bias, params)) in cases.into_iter().enumerate() {
            let seed = 4000 + 10 * i as u64;
            let mut inputs = vec![normal(sx, seed, dtype), normal(sw, seed + 1, dtype)];
            if has_bias {
                inputs.push(normal(&[sw[0]], seed + 2, dtype));
            }
            check(&format!("conv2d {name} {dtype}"), &gpu, &inputs, Tol::Sums, |_, v| {
                v[0].conv2d(&v[1], v.get(2), params)
            });
        }
    }
}

#[test]
fn pooling() {
    let Some(gpu) = cuda_or_skip() else { return };
    type Pool = fn(&Var) -> Result<Var>;
    let table: Vec<(&str, Pool)> = vec![
        ("max 2x2", |x| x.max_pool2d([2, 2], [2, 2], [0, 0], [1, 1], false)),
        ("max 3x2 stride 2,1 padding ceil", |x| x.max_pool2d([3, 2], [2, 1], [1, 0], [1, 1], true)),
        ("max dilated overlapping", |x| x.max_pool2d([2, 2], [1, 1], [1, 1], [2, 1], false)),
        ("avg 3x3 padding ceil exclude pad", |x| x.avg_pool2d([3, 3], [2, 2], [1, 1], true, false)),
        ("avg 2x3 include pad", |x| x.avg_pool2d([2, 3], [2, 3], [1, 1], false, true)),
        ("adaptive avg divisible", |x| x.adaptive_avg_pool2d([3, 4])),
        ("adaptive avg not divisible", |x| x.adaptive_avg_pool2d([4, 3])),
        ("max unbatched", |x| x.select(0, 1)?.max_pool2d([2, 2], [2, 2], [0, 0], [1, 1], false)),
    ];
    for dtype in DTYPES {
        for (i, &(name, op)) in table.iter().enumerate() {
            let x = normal(&[2, 3, 9, 8], 5000 + i as u64, dtype);
            check(&format!("{name} {dtype}"), &gpu, &[x], Tol::Sums, |_, v| op(&v[0]));
        }
    }
}

#[test]
fn index_ops_cat_stack_where() {
    let Some(gpu) = cuda_or_skip() else { return };
    let rows = ints([4, 0, 2, 0, 1, 4], &[6]);
    let cols = ints([3, 1], &[2]);
    let gather_idx = ints([0, 3, 3, 1, 2, 0, 2, 2, 1, 3, 0, 0, 1, 1, 3], &[5, 3]);
    // Distinct targets per row: scatter's result does not depend on the write order.
    let scatter_idx = ints([0, 3, 1, 2, 2, 0, 3, 1, 0, 1], &[5, 2]);
    let add_idx = ints([4, 0, 4, 2, 1, 0, 3, 3, 2, 2, 4, 1], &[3, 4]);
    let index_add_idx = ints([1, 3, 1], &[3]);
    for dtype in DTYPES {
        let x = normal(&[5, 4], 6000, dtype);
        let x1 = [x.shallow_clone()];
        check(&format!("index_select rows {dtype}"), &gpu, &x1, Tol::Sums, |d, v| {
            v[0].index_select(0, &rows.to_device(d)?)
        });
        check(&format!("index_select cols {dtype}"), &gpu, &x1, Tol::Sums, |d, v| {
            v[0].index_select(1, &cols.to_device(d)?)
        });
        check(&format!("gather {dtype}"), &gpu, &x1, Tol::Sums, |d, v| v[0].gather(1, &gather_idx.to_device(d)?));
        let src2 = normal(&[5, 2], 6001, dtype);
        check(&format!("scatter {dtype}"), &gpu, &[x.shallow_clone(), src2], Tol::Sums, |d, v| {
            v[0].scatter(1, &scatter_idx.to_device(d)?, &v[1])
        });
        let src34 = normal(&[3, 4], 6002, dtype);
        check(&format!("scatter_add {dtype}"), &gpu, &[x.shallow_clone(), src34.shallow_clone()], Tol::Sums, |d, v| {
            v[0].scatter_add(0, &add_idx.to_device(d)?, &v[1])
        });
        check(&format!("index_add {dtype}"), &gpu, &[x.shallow_clone(), src34], Tol::Sums, |d, v| {
            v[0].index_add(0, &index_add_idx.to_device(d)?, &v[1])
        });
        let y = normal(&[5, 3], 6003, dtype);
        let z = normal(&[5, 4], 6004, dtype);
        check(&format!("cat {dtype}"), &gpu, &[x.shallow_clone(), y], Tol::Sums, |_, v| Var::cat(&[&v[0], &v[1]], 1));
        let xz = [x.shallow_clone(), z];
        check(&format!("stack {dtype}"), &gpu, &xz, Tol::Sums, |_, v| Var::stack(&[&v[0], &v[1]], 1)?.exp());
        let cond = normal(&[5, 4], 6005, DType::F64).gt(0.0).unwrap();
        check(&format!("where {dtype}"), &gpu, &xz, Tol::Sums, |d, v| v[0].where_(&cond.to_device(d)?, &v[1]));
        check(&format!("where number {dtype}"), &gpu, &x1, Tol::Sums, |d, v| v[0].where_(&cond.to_device(d)?, 0.5));
        let mask = normal(&[4], 6006, DType::F64).gt(0.0).unwrap();
        check(&format!("masked_fill {dtype}"), &gpu, &x1, Tol::Sums, |d, v| {
            v[0].masked_fill(&mask.to_device(d)?, -1.5)?.tanh()
        });
    }
}

#[test]
fn views_feeding_ops() {
    let Some(gpu) = cuda_or_skip() else { return };
    for dtype in DTYPES {
        let (x34, y35) = (normal(&[3, 4], 7000, dtype), normal(&[3, 5], 7001, dtype));
        check(&format!("transpose -> matmul {dtype}"), &gpu, &[x34, y35], Tol::Sums, |_, v| {
            v[0].transpose(0, 1)?.matmul(&v[1])
        });
        let (x46, y43) = (normal(&[4, 6], 7002, dtype), normal(&[4, 3], 7003, dtype));
        check(&format!("stepped slice -> mul {dtype}"), &gpu, &[x46, y43], Tol::Sums, |_, v| {
            v[0].slice(1, Some(1), None, 2)?.mul(&v[1])
        });
        let (x14, y34) = (normal(&[1, 4], 7004, dtype), normal(&[3, 4], 7005, dtype));
        check(&format!("expand -> mul -> sum {dtype}"), &gpu, &[x14, y34], Tol::Sums, |_, v| {
            v[0].expand(&[3, 4])?.mul(&v[1])?.sum()
        });
        let x234 = normal(&[2, 3, 4], 7006, dtype);
        let one = [x234];
        check(&format!("reshape -> softmax {dtype}"), &gpu, &one, Tol::Sums, |_, v| v[0].reshape(&[6, 4])?.softmax(1));
        check(&format!("permute -> log_softmax {dtype}"), &gpu, &one, Tol::Sums, |_, v| {
            v[0].permute(&[2, 0, 1])?.mul(2.0)?.log_softmax(0)
        });
        check(&format!("narrow, select -> exp {dtype}"), &gpu, &one, Tol::Sums, |_, v| {
            v[0].narrow(1, 1, 2)?.select(2, 3)?.exp()
        });
        check(&format!("squeeze, flatten, unflatten {dtype}"), &gpu, &one, Tol::Sums, |_, v| {
            let y = v[0].unsqueeze(1)?.squeeze_dim(1)?.flatten(1, -1)?.unflatten(1, &[4, 3])?;
            y.transpose(1, 2)?.contiguous()?.view(&[-1])?.sin()?.sum_dim(&[0], false)
        });
        check(&format!("split, chunk, unbind {dtype}"), &gpu, &one, Tol::Sums, |_, v| {
            let s = v[0].split(2, 2)?;
            let c = v[0].chunk(3, 1)?;
            let u = v[0].unbind(0)?;
            s[0].mul(&s[1])?.sum()?.add(&c[2].sum()?)?.add(&u[1].mul(&u[0])?.sum()?)
        });
        check(&format!("squeeze, expand 0-d {dtype}"), &gpu, &one, Tol::Sums, |_, v| {
            v[0].select(0, 1)?.select(0, 2)?.select(0, 3)?.expand(&[2, 3])?.mul(&v[0].select(2, 0)?)
        });
    }
}

#[test]
fn in_place_ops_in_a_graph() {
    let Some(gpu) = cuda_or_skip() else { return };
    for dtype in DTYPES {
        let (x, w) = (normal(&[3, 4], 8000, dtype), away(&[3, 4], 8001, 0.5, 2.0, dtype));
        let xw = [x.shallow_clone(), w];
        check(&format!("add_ mul_ sub_ div_ {dtype}"), &gpu, &xw, Tol::Sums, |_, v| {
            let a = v[0].mul(2.0)?;
            a.add_(&v[1])?;
            a.mul_(3.0)?;
            a.sub_(1.0)?;
            a.div_(&v[1])?;
            Ok(a)
        });
        check(&format!("clamp_ relu_ {dtype}"), &gpu, &xw, Tol::Sums, |_, v| {
            let a = v[0].mul(1.5)?;
            a.clamp_(Some(-0.5), Some(0.8))?;
            let b = v[1].sub(1.0)?;
            b.relu_()?;
            a.mul(&b)
        });
        check(&format!("copy_ fill_ zero_ {dtype}"), &gpu, &xw, Tol::Sums, |_, v| {
            let b = v[0].mul(2.0)?;
            b.copy_(&v[1].mul(&v[1])?)?;
            let c = v[0].mul(3.0)?;
            c.fill_(2.0)?;
            let z = v[1].mul(v[1].tensor_ref())?;
            z.zero_()?;
            b.add(&c.mul(&v[0])?)?.add(&z)
        });
        let row = normal(&[4], 8002, dtype);
        check(&format!("add_ broadcast row {dtype}"), &gpu, &[x, row], Tol::Sums, |_, v| {
            let a = v[0].sin()?;
            a.add_(&v[1])?;
            a.mul_(&v[1])?;
            a.sum()
        });
    }
}

#[test]
fn gradients_accumulate_over_two_backwards() {
    let Some(gpu) = cuda_or_skip() else { return };
    for dtype in DTYPES {
        let inputs = [normal(&[3, 4], 9000, dtype), normal(&[4], 9001, dtype)];
        let run = |d: &Device| {
            let v = leaves(&inputs, d);
            v[0].mul(&v[0])?.sum()?.backward()?;
            v[0].sin()?.mul(&v[1])?.sum()?.backward()?;
            Ok::<_, tensor_core::Error>(v)
        };
        let (c, g) = (run(CPU).unwrap(), run(&gpu).unwrap());
        assert_grads(&format!("accumulated {dtype}"), &c, &g, &gpu, Tol::Sums);
        g.iter().for_each(Var::zero_grad);
        assert!(g.iter().all(|v| v.grad().is_none()), "zero_grad clears the GPU gradients");
    }
}

#[test]
fn no_grad_detach_retain_grad_and_hooks() {
    let Some(gpu) = cuda_or_skip() else { return };
    let x = normal(&[3, 4], 9100, DType::F32);
    let (xc, xg) = (leaves(std::slice::from_ref(&x), CPU).remove(0), leaves(&[x], &gpu).remove(0));
    {
        // no_grad: nothing recorded, the values still computed on the GPU.
        let _guard = no_grad();
        let (yc, yg) = (xc.mul(2.0).unwrap().exp().unwrap(), xg.mul(2.0).unwrap().exp().unwrap());
        assert!(!yg.requires_grad() && yg.grad_fn().is_none() && yg.is_leaf());
        assert_close("no_grad value", yc.tensor_ref(), yg.tensor_ref(), tol(DType::F32, Tol::Elementwise));
        // An optimizer-style in-place update of a leaf is allowed under no_grad.
        xg.sub_(0.25).unwrap();
        xc.sub_(0.25).unwrap();
        assert_close("no_grad update", xc.tensor_ref(), xg.tensor_ref(), (0.0, 0.0));
    }
    let run = |x: &Var| {
        let y = x.mul(3.0).unwrap();
        let d = y.detach();
        assert!(d.is_leaf() && !d.requires_grad() && d.tensor_ref().shares_storage(y.tensor_ref()));
        assert!(d.device() == x.device());
        let h = x.tanh().unwrap();
        h.retain_grad();
        // A hook on the leaf doubles its incoming gradient (on whichever device it is).
        x.register_hook(|g| Some(g.mul(2.0).unwrap())).unwrap();
        y.mul(&d).unwrap().add(&h).unwrap().sum().unwrap().backward().unwrap();
        (x.grad().unwrap(), h.grad().unwrap())
    };
    let ((gc, hc), (gg, hg)) = (run(&xc), run(&xg));
    assert_close("detach, hook: grad", &gc, &gg, tol(DType::F32, Tol::Sums));
    assert_close("retain_grad", &hc, &hg, tol(DType::F32, Tol::Sums));
}

#[test]
fn grad_function_and_double_backward() {
    let Some(gpu) = cuda_or_skip() else { return };
    type Fn2 = fn(&[Var]) -> Result<Var>;
    let cases: Vec<(&str, Vec<Vec<usize>>, Fn2)> = vec![
        ("tanh * w", vec![vec![3, 4], vec![3, 4]], |v| v[0].tanh()?.mul(&v[1])?.sum()),
        ("cube", vec![vec![5]], |v| v[0].pow(3.0)?.sum()),
        ("softmax", vec![vec![2, 5], vec![2, 5]], |v| v[0].softmax(1)?.mul(&v[1])?.sum()),
        ("matmul", vec![vec![3, 4], vec![4, 2]], |v| v[0].matmul(&v[1])?.square()?.sum()),
        ("conv2d", vec![vec![1, 2, 5, 5], vec![3, 2, 3, 3]], |v| {
            let p = Conv2dParams { stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1 };
            v[0].conv2d(&v[1], None, p)?.square()?.sum()
        }),
        ("max_pool2d", vec![vec![1, 2, 4, 4]], |v| {
            v[0].max_pool2d([2, 2], [2, 2], [0, 0], [1, 1], false)?.square()?.sum()
        }),
    ];
    for dtype in DTYPES {
        for (i, (name, shapes, f)) in cases.iter().enumerate() {
            let inputs: Vec<Tensor> =
                shapes.iter().enumerate().map(|(j, s)| normal(s, 9200 + 10 * i as u64 + j as u64, dtype)).collect();
            let run = |d: &Device| {
                let v = leaves(&inputs, d);
                let out = f(&v)?;
                let refs: Vec<&Var> = v.iter().collect();
                let opts = BackwardOptions { create_graph: true, ..Default::default() };
                let gs = grad(&[&out], &refs, None, opts, false)?;
                let firsts: Vec<Tensor> = gs.iter().map(|g| g.as_ref().expect("used").tensor()).collect();
                // The gradient of the first gradient's sum of squares: second derivatives.
                gs[0].as_ref().expect("used").square()?.sum()?.backward()?;
                Ok::<_, tensor_core::Error>((firsts, v))
            };
            let what = format!("{name} {dtype}");
            let (fc, vc) = run(CPU).unwrap_or_else(|e| panic!("{what} on cpu: {e}"));
            let (fg, vg) = run(&gpu).unwrap_or_else(|e| panic!("{what} on cuda: {e}"));
            for (j, (a, b)) in fc.iter().zip(&fg).enumerate() {
                assert_close(&format!("{what}: grad {j}"), a, b, tol(dtype, Tol::Sums));
            }
            assert_grads(&format!("{what}: double backward"), &vc, &vg, &gpu, Tol::Sums);
        }
    }
}
