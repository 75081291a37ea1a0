//! Reductions over random dims (and keepdim) of non-contiguous inputs against the naive
//! reference, with PyTorch's dtype rules (integers sum to int64, `mean` of integers is an error)
//! and PyTorch literals for NaN, ties, corrections and integer overflow. Every test runs on every
//! device (the CPU, and the GPU when one is usable); float sums compared exactly on the CPU take
//! the GPU's summation tolerance there ([`device_tol`]), except where the values make every
//! summation order exact (small integers).

use crate::common;

use common::*;
use proptest::prelude::*;
use tensor_core::{DType, ErrorKind, Norm, Result, Tensor};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Red {
    Sum,
    Mean,
    Prod,
    Amax,
    Amin,
    MaxDim,
    MinDim,
    Argmax,
    Argmin,
    ArgmaxAll,
    All,
    Any,
    Var(usize),
    Std(usize),
    Norm(u8),
    LogSumExp,
    Softmax,
    LogSoftmax,
    CumSum,
    CumProd,
}

const REDS: [Red; 25] = [
    Red::Sum,
    Red::Mean,
    Red::Prod,
    Red::Amax,
    Red::Amin,
    Red::MaxDim,
    Red::MinDim,
    Red::Argmax,
    Red::Argmin,
    Red::ArgmaxAll,
    Red::All,
    Red::Any,
    Red::Var(0),
    Red::Var(1),
    Red::Std(1),
    Red::Std(2),
    Red::Norm(0),
    Red::Norm(1),
    Red::Norm(2),
    Red::Norm(3),
    Red::LogSumExp,
    Red::Softmax,
    Red::LogSoftmax,
    Red::CumSum,
    Red::CumProd,
];

fn norm_of(k: u8) -> Norm {
    match k {
        0 => Norm::L1,
        1 => Norm::L2,
        2 => Norm::Inf,
        _ => Norm::P(3.0),
    }
}

impl Red {
    /// Ops that take one dim rather than a list.
    fn single_dim(self) -> bool {
        matches!(
            self,
            Red::Prod
                | Red::MaxDim
                | Red::MinDim
                | Red::Argmax
                | Red::Argmin
                | Red::Softmax
                | Red::LogSoftmax
                | Red::CumSum
                | Red::CumProd
        )
    }
    fn values(self) -> Values {
        match self {
            Red::Prod | Red::CumProd => Values::Unitish,
            Red::MaxDim | Red::MinDim | Red::Argmax | Red::Argmin | Red::ArgmaxAll | Red::All | Red::Any => {
                Values::Ties
            }
            Red::LogSumExp | Red::Softmax | Red::LogSoftmax | Red::Var(_) | Red::Std(_) | Red::Norm(_) => {
                Values::Uniform
            }
            _ => Values::Small,
        }
    }
    fn float_only(self) -> bool {
        matches!(self, Red::Mean | Red::Var(_) | Red::Std(_))
    }
    /// Reductions that refuse an empty reduced dim.
    fn needs_elements(self) -> bool {
        matches!(self, Red::Amax | Red::Amin | Red::MaxDim | Red::MinDim | Red::Argmax | Red::Argmin | Red::ArgmaxAll)
            || self == Red::Norm(2)
    }
}

/// The dtype PyTorch gives the result.
fn result_dtype(op: Red, x: DType) -> DType {
    match op {
        Red::Sum | Red::Prod | Red::CumSum | Red::CumProd if !x.is_float() => DType::I64,
        Red::Argmax | Red::Argmin | Red::ArgmaxAll => DType::I64,
        Red::All | Red::Any if x == DType::U8 => DType::U8,
        Red::All | Red::Any => DType::Bool,
        Red::Norm(_) | Red::LogSumExp | Red::Softmax | Red::LogSoftmax if !x.is_float() => DType::F32,
        _ => x,
    }
}

fn nan_max(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::NEG_INFINITY, |a, x| if a.is_nan() || x.is_nan() { f64::NAN } else { a.max(x) })
}
fn nan_min(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::INFINITY, |a, x| if a.is_nan() || x.is_nan() { f64::NAN } else { a.min(x) })
}
/// Index of the first largest (or smallest) value; the first NaN wins.
fn arg(v: &[f64], max: bool) -> f64 {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        let b = v[best];
        if b.is_nan() {
            break;
        }
        if x.is_nan() || (max && x > b) || (!max && x < b) {
            best = i;
        }
    }
    best as f64
}
fn variance(v: &[f64], correction: usize) -> f64 {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - correction as f64).max(0.0)
}
fn logsumexp(v: &[f64]) -> f64 {
    let m = nan_max(v);
    let m = if m.is_infinite() { 0.0 } else { m };
    v.iter().map(|x| (x - m).exp()).sum::<f64>().ln() + m
}

/// `f` applied along `dim` to every line of `r` (keeping the shape): softmax, cumsum, ...
fn along(r: &Ref, dim: usize, f: impl Fn(&[f64]) -> Vec<f64>) -> Ref {
    if r.rank() == 0 {
        return Ref::scalar(f(&[r.data[0]])[0]);
    }
    let mut out = r.clone();
    let st = contiguous_strides(&r.shape);
    let mut line_shape = r.shape.clone();
    line_shape[dim] = 1;
    for_each_index(&line_shape, |i| {
        let base: usize = i.iter().zip(&st).map(|(a, b)| a * b).sum();
        let line: Vec<f64> = (0..r.shape[dim]).map(|k| r.data[base + k * st[dim]]).collect();
        for (k, v) in f(&line).into_iter().enumerate() {
            out.data[base + k * st[dim]] = v;
        }
    });
    out
}

fn run(op: Red, t: &Tensor, dims: &[isize], keepdim: bool) -> Result<Tensor> {
    let d0 = dims.first().copied().unwrap_or(0);
    match op {
        Red::Sum => t.sum_dim(dims, keepdim),
        Red::Mean => t.mean_dim(dims, keepdim),
        Red::Prod => t.prod_dim(d0, keepdim),
        Red::Amax => t.amax(dims, keepdim),
        Red::Amin => t.amin(dims, keepdim),
        Red::MaxDim => t.max_dim(d0, keepdim).map(|(v, i)| {
            assert_eq!(i.dtype(), DType::I64);
            assert_eq!(values(&i), values(&t.argmax(Some(d0), keepdim).unwrap()), "max_dim indices");
            v
        }),
        Red::MinDim => t.min_dim(d0, keepdim).map(|(v, i)| {
            assert_eq!(values(&i), values(&t.argmin(Some(d0), keepdim).unwrap()), "min_dim indices");
            v
        }),
        Red::Argmax => t.argmax(Some(d0), keepdim),
        Red::Argmin => t.argmin(Some(d0), keepdim),
        Red::ArgmaxAll => t.argmax(None, keepdim),
        Red::All => t.all_dim(dims, keepdim),
        Red::Any => t.any_dim(dims, keepdim),
        Red::Var(c) => t.var(dims, c, keepdim),
        Red::Std(c) => t.std(dims, c, keepdim),
        Red::Norm(k) => t.norm(norm_of(k), dims, keepdim),
        Red::LogSumExp => t.logsumexp(dims, keepdim),
        Red::Softmax => t.softmax(d0),
        Red::LogSoftmax => t.log_softmax(d0),
        Red::CumSum => t.cumsum(d0),
        Red::CumProd => t.cumprod(d0),
    }
}

fn reference(op: Red, r: &Ref, dims: &[usize], keepdim: bool) -> Ref {
    let d0 = dims.first().copied().unwrap_or(0);
    let one = [d0];
    let truth = |v: f64| (v != 0.0) as u8 as f64;
    match op {
        Red::Sum => r.reduce(dims, keepdim, |v| v.iter().sum()),
        Red::Mean => r.reduce(dims, keepdim, |v| v.iter().sum::<f64>() / v.len() as f64),
        Red::Prod => r.reduce(&[d0], keepdim, |v| v.iter().product()),
        Red::Amax | Red::MaxDim => r.reduce(if op == Red::Amax { dims } else { &one }, keepdim, nan_max),
        Red::Amin | Red::MinDim => r.reduce(if op == Red::Amin { dims } else { &one }, keepdim, nan_min),
        Red::Argmax => r.reduce(&[d0], keepdim, |v| arg(v, true)),
        Red::Argmin => r.reduce(&[d0], keepdim, |v| arg(v, false)),
        Red::ArgmaxAll => {
            let i = arg(&r.data, true);
            if keepdim {
                Ref::new(&vec![1; r.rank()], vec![i])
            } else {
                Ref::scalar(i)
            }
        }
        Red::All => r.reduce(dims, keepdim, |v| truth(v.iter().all(|&x| x != 0.0) as u8 as f64)),
        Red::Any => r.reduce(dims, keepdim, |v| truth(v.iter().any(|&x| x != 0.0) as u8 as f64)),
        Red::Var(c) => r.reduce(dims, keepdim, |v| variance(v, c)),
        Red::Std(c) => r.reduce(dims, keepdim, |v| variance(v, c).sqrt()),
        Red::Norm(k) => r.reduce(dims, keepdim, |v| match k {
            0 => v.iter().map(|x| x.abs()).sum(),
            1 => v.iter().map(|x| x * x).sum::<f64>().sqrt(),
            2 => nan_max(&v.iter().map(|x| x.abs()).collect::<Vec<_>>()),
            _ => v.iter().map(|x| x.abs().powi(3)).sum::<f64>().cbrt(),
        }),
        Red::LogSumExp => r.reduce(dims, keepdim, logsumexp),
        Red::Softmax => along(r, d0, |l| {
            let m = nan_max(l);
            let s: f64 = l.iter().map(|x| (x - m).exp()).sum();
            l.iter().map(|x| (x - m).exp() / s).collect()
        }),
        Red::LogSoftmax => along(r, d0, |l| l.iter().map(|x| x - logsumexp(l)).collect()),
        Red::CumSum => along(r, d0, |l| l.iter().scan(0.0, |a, x| Some(*a + x).inspect(|v| *a = *v)).collect()),
        Red::CumProd => along(r, d0, |l| l.iter().scan(1.0, |a, x| Some(*a * x).inspect(|v| *a = *v)).collect()),
    }
}

fn red_tol(op: Red, dtype: DType) -> Tol {
    match (op, dtype) {
        (_, DType::F16) => Tol { atol: 2e-3, rtol: 4e-3 },
        (_, DType::BF16) => Tol { atol: 2e-2, rtol: 3e-2 },
        (Red::Sum | Red::Amax | Red::Amin | Red::MaxDim | Red::MinDim | Red::CumSum | Red::Mean, _) => EXACT,
        (_, DType::F64) => Tol { atol: 1e-12, rtol: 1e-12 },
        _ => Tol { atol: 1e-5, rtol: 1e-5 },
    }
}

/// A random dim list for `rank`: some dims (maybe none: all), as negative or positive, shuffled.
fn pick_dims(rank: usize, seed: u64, single: bool) -> (Vec<usize>, Vec<isize>) {
    let mut rng = Mix::new(seed);
    let r = rank.max(1);
    let mut dims: Vec<usize> = if single { vec![rng.below(r)] } else { (0..r).filter(|_| rng.coin()).collect() };
    if rank == 0 {
        dims.truncate(1);
    }
    let order = rng.perm(dims.len());
    dims = order.into_iter().map(|i| dims[i]).collect();
    let user = dims.iter().map(|&d| if rng.coin() { d as isize - r as isize } else { d as isize }).collect();
    (dims, user)
}

proptest! {
    #![proptest_config(cfg(2000))]

    /// Every reduction over random dims of a non-contiguous tensor, with and without keepdim:
    /// shape, dtype and values as the reference (or PyTorch's error).
    #[test]
    fn reductions_match_reference(
        op in prop::sample::select(REDS.to_vec()),
        shape in shape_strategy(4, 4),
        recipe in recipe_strategy(3, true),
        dtype in prop::sample::select(vec![DType::F32, DType::F64, DType::F16, DType::I32, DType::I64, DType::U8, DType::Bool]),
        dims_seed in any::<u64>(),
        keepdim in any::<bool>(),
    ) {
        for dev in devices() {
            let x = build_on(&dev, &shape, &recipe, dtype, op.values());
            let (dims, user) = pick_dims(shape.len(), dims_seed, op.single_dim());
            let got = run(op, &x.t, &user, keepdim);
            let ctx = format!("{op:?} of {dtype:?}{shape:?} over {user:?} keepdim={keepdim} on {dev}");
            if op.float_only() && !dtype.is_float() {
                let e = got.unwrap_err();
                prop_assert_eq!(e.kind(), ErrorKind::DType, "{}", ctx);
                continue;
            }
            if matches!(op, Red::Softmax | Red::LogSoftmax | Red::CumSum | Red::CumProd | Red::Norm(_) | Red::LogSumExp | Red::Prod) && dtype == DType::Bool {
                continue;
            }
            let reduced_empty = if op == Red::ArgmaxAll { x.t.numel() == 0 } else {
                let all: Vec<usize> = if dims.is_empty() { (0..shape.len()).collect() } else { dims.clone() };
                !shape.is_empty() && all.iter().any(|&d| shape[d] == 0)
            };
            if op.needs_elements() && reduced_empty {
                let e = got.unwrap_err();
                prop_assert!(e.to_string().contains("non-zero size"), "{}: {}", ctx, e);
                continue;
            }
            let got = got.unwrap_or_else(|e| panic!("{ctx}: {e}"));
            let want_dtype = result_dtype(op, dtype);
            prop_assert_eq!(got.dtype(), want_dtype, "{}", ctx);
            // The reference computes on the values as the op sees them (floats for float-only ops).
            let input = x.r.map(|v| round_to(if want_dtype.is_float() { want_dtype } else { DType::F64 }, v));
            let want = reference(op, &input, &dims, keepdim).map(|v| round_to(want_dtype, v));
            assert_on(&got, &dev);
            assert_ref(&got, &want, device_tol(&dev, want_dtype, red_tol(op, want_dtype)), &ctx);
        }
    }
}

proptest! {
    #![proptest_config(cfg(300))]

    /// Sums and means over outer dims of tensors whose kept dims are long and contiguous (the
    /// kernel that adds a run of outputs per reduced position), and over any dims of their
    /// permuted and sliced views: values as the reference.
    #[test]
    fn sums_over_outer_dims_match_reference(
        op in prop::sample::select(vec![Red::Sum, Red::Mean]),
        outer in nonempty_shape_strategy(3, 5),
        inner in 16usize..80,
        recipe in recipe_strategy(2, true),
        dtype in prop::sample::select(vec![DType::F32, DType::F64, DType::F16]),
        dims_seed in any::<u64>(),
        keepdim in any::<bool>(),
    ) {
        let mut shape = outer;
        shape.push(inner);
        for dev in devices() {
            let x = build_on(&dev, &shape, &recipe, dtype, op.values());
            let (dims, user) = pick_dims(shape.len(), dims_seed, false);
            let got = run(op, &x.t, &user, keepdim).unwrap();
            let input = x.r.map(|v| round_to(dtype, v));
            let want = reference(op, &input, &dims, keepdim).map(|v| round_to(dtype, v));
            let ctx = format!("{op:?} of {dtype:?}{shape:?} over {user:?} keepdim={keepdim} on {dev}");
            assert_on(&got, &dev);
            assert_ref(&got, &want, device_tol(&dev, dtype, red_tol(op, dtype)), &ctx);
        }
    }
}

proptest! {
    #![proptest_config(cfg(300))]

    /// max / min / argmax / argmin along long contiguous rows (the 16-lane kernel): values from a
    /// few levels, so that ties are common, and sometimes a NaN; as the reference (first index
    /// of the extreme, the first NaN winning).
    #[test]
    fn extremes_along_long_rows_match_reference(
        rows in 1usize..4,
        n in 1usize..100,
        levels in prop::collection::vec(0u8..6, 400),
        nan_at in prop::option::of(0usize..400),
        dtype in prop::sample::select(vec![DType::F32, DType::F64, DType::I64, DType::F16]),
    ) {
        for dev in devices() {
            let mut v: Vec<f64> = levels[..rows * n].iter().map(|&l| l as f64 - 2.0).collect();
            if let (Some(i), true) = (nan_at, dtype.is_float()) {
                if i < v.len() {
                    v[i] = f64::NAN;
                }
            }
            let t = Tensor::from_vec(v.clone(), [rows, n]).unwrap().to_dtype(dtype).unwrap().to_device(&dev).unwrap();
            let (mx, ix) = t.max_dim(-1, false).unwrap();
            let (mn, jx) = t.min_dim(-1, false).unwrap();
            assert_on(&mx, &dev);
            assert_on(&jx, &dev);
            let (mx, ix, mn, jx) = (mx.to_vec::<f64>().unwrap(), ix.to_vec::<i64>().unwrap(), mn.to_vec::<f64>().unwrap(), jx.to_vec::<i64>().unwrap());
            for r in 0..rows {
                let row = &v[r * n..(r + 1) * n];
                let same = |a: f64, b: f64| a == b || (a.is_nan() && b.is_nan());
                prop_assert!(same(mx[r], nan_max(row)), "max of row {} {:?} on {}: {}", r, row, dev, mx[r]);
                prop_assert!(same(mn[r], nan_min(row)), "min of row {} {:?} on {}: {}", r, row, dev, mn[r]);
                prop_assert_eq!(ix[r] as f64, arg(row, true), "argmax of row {} {:?} on {}", r, row, dev);
                prop_assert_eq!(jx[r] as f64, arg(row, false), "argmin of row {} {:?} on {}", r, row, dev);
            }
        }
    }
}

proptest! {
    #![proptest_config(cfg(200))]

    /// `reverse_cumsum` along any dim (four rows at a time and the rest): each element plus
    /// those after it, as a reference loop; integers wrap as cumsum's.
    #[test]
    fn reverse_cumsum_matches_reference(
        shape in nonempty_shape_strategy(3, 7),
        recipe in recipe_strategy(2, true),
        dtype in prop::sample::select(vec![DType::F32, DType::F64, DType::I64]),
        dims_seed in any::<u64>(),
    ) {
        prop_assume!(!shape.is_empty());
        for dev in devices() {
            let x = build_on(&dev, &shape, &recipe, dtype, Values::Small);
            let (dims, user) = pick_dims(shape.len(), dims_seed, true);
            let got = x.t.reverse_cumsum(user[0]).unwrap();
            let input = x.r.map(|v| round_to(dtype, v));
            let want = along(&input, dims[0], |v| {
                let mut acc = 0.0;
                let mut out: Vec<f64> = v.iter().rev().map(|&e| { acc += e; acc }).collect();
                out.reverse();
                out
            });
            assert_on(&got, &dev);
            let ctx = format!("reverse_cumsum of {dtype:?}{shape:?} over {user:?} on {dev}");
            assert_ref(&got, &want, device_tol(&dev, dtype, red_tol(Red::CumSum, dtype)), &ctx);
        }
    }
}

#[test]
fn dtype_rules_as_torch() {
    on_each_device(|dev| {
        let i32s = Tensor::new([1i32, 2, 3], dev).unwrap();
        let bools = Tensor::new([true, true], dev).unwrap();
        let u8s = Tensor::new([200u8, 100], dev).unwrap();
        // torch.tensor([True, True]).sum() == tensor(2); uint8 [200, 100] sums to tensor(300) (int64)
        assert_eq!((bools.sum().unwrap().dtype(), bools.sum().unwrap().item::<i64>().unwrap()), (DType::I64, 2));
        assert_eq!((u8s.sum().unwrap().dtype(), u8s.sum().unwrap().item::<i64>().unwrap()), (DType::I64, 300));
        assert_eq!(i32s.sum_dim(&[0], true).unwrap().dtype(), DType::I64);
        // torch.tensor([1, 2], dtype=torch.int32).prod().dtype == torch.int64
        assert_eq!(i32s.prod().unwrap().dtype(), DType::I64);
        // torch.tensor([1, 2, 3], dtype=torch.int32).cumsum(0).dtype == torch.int64;
        // torch.tensor([True, True]).cumsum(0) == tensor([1, 2])
        assert_eq!(i32s.cumsum(0).unwrap().dtype(), DType::I64);
        assert_eq!(bools.cumsum(0).unwrap().to_vec::<i64>().unwrap(), [1, 2]);
        assert_eq!(i32s.amax(&[], false).unwrap().dtype(), DType::I32);
        assert_eq!(i32s.argmax(None, false).unwrap().dtype(), DType::I64);
        let f16 = Tensor::ones([3], DType::F16, dev).unwrap();
        assert_eq!(f16.sum().unwrap().dtype(), DType::F16);
        assert_eq!(f16.mean().unwrap().dtype(), DType::F16);
        // torch.tensor([1, 2]).mean(): RuntimeError: mean(): could not infer output dtype. Input dtype
        // must be either a floating point or complex dtype. Got: Long
        let e = Tensor::new([1i64, 2], dev).unwrap().mean().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::DType);
        assert!(e.to_string().contains("mean(): could not infer output dtype"), "{e}");
        assert!(bools.mean().is_err());
        // torch.tensor([1, 2]).var(): RuntimeError: std and var only support floating point and complex dtypes
        let e = i32s.var(&[], 1, false).unwrap_err();
        assert!(e.to_string().contains("std and var only support floating point"), "{e}");
        assert!(i32s.std(&[], 1, false).is_err());
        // all/any give bool, but uint8 for uint8 inputs:
        // torch.tensor([1, 2], dtype=torch.uint8).all() == tensor(1, dtype=torch.uint8)
        assert_eq!(u8s.all().unwrap().dtype(), DType::U8);
        assert_eq!(u8s.all().unwrap().item::<u8>().unwrap(), 1);
        assert_eq!(u8s.any_dim(&[0], false).unwrap().dtype(), DType::U8);
        assert_eq!(Tensor::new([0f32, 2.], dev).unwrap().all().unwrap().dtype(), DType::Bool);
    });
}

#[test]
fn values_as_torch() {
    on_each_device(|dev| {
        let nan = f32::NAN;
        let x = Tensor::new([1.0f32, nan, 3.0, nan], dev).unwrap();
        // torch.tensor([1., nan, 3., nan]): max() is nan, argmax() 1, min() nan, argmin() 1
        assert!(x.max().unwrap().item::<f32>().unwrap().is_nan());
        assert!(x.min().unwrap().item::<f32>().unwrap().is_nan());
        assert!(x.amax(&[0], false).unwrap().item::<f32>().unwrap().is_nan());
        assert_eq!(x.argmax(None, false).unwrap().item::<i64>().unwrap(), 1);
        assert_eq!(x.argmin(Some(0), false).unwrap().item::<i64>().unwrap(), 1);
        // torch.tensor([[1., 5., 5.], [7., 2., 7.]]).max(1) == (values [5, 7], indices [1, 0]);
        // .min(0) == (values [1, 2, 5], indices [0, 1, 0])
        let m = Tensor::new([[1f32, 5., 5.], [7., 2., 7.]], dev).unwrap();
        let (v, i) = m.max_dim(1, false).unwrap();
        assert_eq!((v.to_vec::<f32>().unwrap(), i.to_vec::<i64>().unwrap()), (vec![5., 7.], vec![1, 0]));
        let (v, i) = m.min_dim(0, false).unwrap();
        assert_eq!((v.to_vec::<f32>().unwrap(), i.to_vec::<i64>().unwrap()), (vec![1., 2., 5.], vec![0, 1, 0]));
        let (v, i) = m.t().unwrap().max_dim(0, true).unwrap();
        assert_eq!((v.size(), i.to_vec2::<i64>().unwrap()), (&[1, 2][..], vec![vec![1, 0]]));
        // torch.tensor([[1., 9.], [3., 4.]]).argmax(keepdim=True) == tensor([[1]])
        let a = Tensor::new([[1f32, 9.], [3., 4.]], dev).unwrap();
        assert_eq!(a.argmax(None, true).unwrap().to_vec2::<i64>().unwrap(), [[1]]);
        assert_eq!(a.t().unwrap().argmax(None, false).unwrap().item::<i64>().unwrap(), 2);
        // sum of [inf, -inf] is nan; mean of [inf, 1] is inf
        assert!(Tensor::new([f32::INFINITY, f32::NEG_INFINITY], dev)
            .unwrap()
            .sum()
            .unwrap()
            .item::<f32>()
            .unwrap()
            .is_nan());
        assert_eq!(
            Tensor::new([f32::INFINITY, 1.], dev).unwrap().mean().unwrap().item::<f32>().unwrap(),
            f32::INFINITY
        );
        // torch.var(torch.tensor([1., 2., 3., 4.]), correction=c) for c in 0, 1, 2: [1.25, 1.6666666269302368, 2.5];
        // std(correction=1) == 1.29099440574646; var of one element with correction 1 is nan
        let v4 = Tensor::new([1f32, 2., 3., 4.], dev).unwrap();
        // (Sums: exact on the CPU, the GPU's summation tolerance there.)
        let near = |got: f32, want: f32| close(got as f64, want as f64, device_tol(dev, DType::F32, EXACT));
        let var: Vec<f32> = (0..3).map(|c| v4.var(&[], c, false).unwrap().item::<f32>().unwrap()).collect();
        assert!(var.iter().zip([1.25, 1.6666666, 2.5]).all(|(&g, w)| near(g, w)), "var on {dev}: {var:?}");
        let std = v4.std(&[0], 1, false).unwrap().item::<f32>().unwrap();
        assert!(near(std, 1.2909944), "std on {dev}: {std}");
        assert!(Tensor::new([5f32], dev).unwrap().var(&[], 1, false).unwrap().item::<f32>().unwrap().is_nan());
        // torch.logsumexp: [-inf, -inf] -> -inf; [inf, 1] -> inf; [1000, 1000] -> 1000.6931762695312
        let lse = |v: [f32; 2]| Tensor::new(v, dev).unwrap().logsumexp(&[0], false).unwrap().item::<f32>().unwrap();
        assert_eq!(lse([f32::NEG_INFINITY; 2]), f32::NEG_INFINITY);
        assert_eq!(lse([f32::INFINITY, 1.]), f32::INFINITY);
        assert!(near(lse([1000.; 2]), 1_000.693_2), "logsumexp on {dev}: {}", lse([1000.; 2]));
        // torch.logsumexp(torch.empty(0), 0) == -inf; torch.softmax(torch.empty(0, 2), 0).shape == (0, 2)
        let none = Tensor::zeros([0, 2], DType::F32, dev).unwrap();
        assert_eq!(none.logsumexp(&[0], false).unwrap().to_vec::<f32>().unwrap(), [f32::NEG_INFINITY; 2]);
        assert_eq!(none.softmax(0).unwrap().size(), &[0, 2]);
        assert_eq!(none.log_softmax(1).unwrap().size(), &[0, 2]);
        assert!(none.softmax(2).is_err());
        // torch.softmax(torch.tensor([1., 2., 3.]), 0), torch.log_softmax(...)
        let s = Tensor::new([1f32, 2., 3.], dev).unwrap();
        let sm = s.softmax(0).unwrap().to_vec::<f32>().unwrap();
        let want = [0.090_030_57_f32, 0.244_728_48, 0.665_240_94];
        assert!(sm.iter().zip(want).all(|(a, b)| (a - b).abs() <= 1e-7), "{sm:?}");
        let lsm = s.log_softmax(-1).unwrap().to_vec::<f32>().unwrap();
        let want = [-2.407_606_f32, -1.407_605_9, -0.407_605_95];
        assert!(lsm.iter().zip(want).all(|(a, b)| (a - b).abs() <= 1e-6), "{lsm:?}");
        // vector norms of [3, -4]: 2 -> 5, 1 -> 7, inf -> 4, 3 -> 4.497941493988037
        let n = Tensor::new([3f32, -4.], dev).unwrap();
        let norm = |p| n.norm(p, &[], false).unwrap().item::<f32>().unwrap();
        assert_eq!((norm(Norm::L2), norm(Norm::L1), norm(Norm::Inf)), (5.0, 7.0, 4.0));
        assert!((norm(Norm::P(3.0)) - 4.497_941_5).abs() < 1e-6);
        // torch.linalg.vector_norm(torch.tensor([0., 2., -3.]), ord=0) == 2 (the count of nonzeros);
        // ord=-inf of [0.5, 2, -3] == 0.5 (the smallest magnitude)
        let z = Tensor::new([0f32, 2., -3.], dev).unwrap();
        assert_eq!(z.norm(Norm::P(0.0), &[], false).unwrap().item::<f32>().unwrap(), 2.0);
        let w = Tensor::new([0.5f32, 2., -3.], dev).unwrap();
        assert_eq!(w.norm(Norm::P(f64::NEG_INFINITY), &[], false).unwrap().item::<f32>().unwrap(), 0.5);
        assert_eq!(w.norm(Norm::P(f64::INFINITY), &[], false).unwrap().item::<f32>().unwrap(), 3.0);
        // any / all: torch.tensor([[0., 1.], [0., 0.]]).any(1) == [True, False];
        // torch.tensor([[0., nan]]).all(1) == [False]; empty: all() True, any() False
        let q = Tensor::new([[0f32, 1.], [0., 0.]], dev).unwrap();
        assert_eq!(q.any_dim(&[1], false).unwrap().to_vec::<bool>().unwrap(), [true, false]);
        assert_eq!(
            Tensor::new([[0f32, nan]], dev).unwrap().all_dim(&[1], false).unwrap().to_vec::<bool>().unwrap(),
            [false]
        );
        let empty = Tensor::zeros([0], DType::F32, dev).unwrap();
        assert!(empty.all().unwrap().item::<bool>().unwrap());
        assert!(!empty.any().unwrap().item::<bool>().unwrap());
        // Empty reductions: torch.empty(0, 3).sum(0) == zeros(3), .mean(0) == nan, .prod(0) == ones(3),
        // .amax(1).shape == (0,); .amax(0) and .argmax(0): "Expected reduction dim 0 to have non-zero size."
        let e = Tensor::zeros([0, 3], DType::F32, dev).unwrap();
        assert_eq!(e.sum_dim(&[0], false).unwrap().to_vec::<f32>().unwrap(), [0.; 3]);
        assert!(e.mean_dim(&[0], false).unwrap().to_vec::<f32>().unwrap().iter().all(|v| v.is_nan()));
        assert_eq!(e.prod_dim(0, false).unwrap().to_vec::<f32>().unwrap(), [1.; 3]);
        assert_eq!(e.amax(&[1], false).unwrap().size(), &[0]);
        let err = e.amax(&[0], false).unwrap_err();
        assert!(err.to_string().contains("reduction dim 0 to have non-zero size"), "{err}");
        assert!(e.argmax(Some(0), false).is_err());
        assert!(e.max().is_err());
        // 0-d: torch.tensor(3.).sum(0) == 3, .argmax(0) == 0, .cumsum(0) == 3, .softmax(0) == 1,
        // .var(0, correction=0) == 0
        let s0 = Tensor::full([], 3.0, DType::F32, dev).unwrap();
        assert_eq!(s0.sum_dim(&[0], false).unwrap().item::<f32>().unwrap(), 3.0);
        assert_eq!(s0.sum_dim(&[-1], true).unwrap().size(), &[] as &[usize]);
        assert_eq!(s0.argmax(Some(0), false).unwrap().item::<i64>().unwrap(), 0);
        assert_eq!(s0.cumsum(0).unwrap().item::<f32>().unwrap(), 3.0);
        assert_eq!(s0.softmax(0).unwrap().item::<f32>().unwrap(), 1.0);
        assert_eq!(s0.var(&[0], 0, false).unwrap().item::<f32>().unwrap(), 0.0);
        // Bad dims.
        let err = m.sum_dim(&[2], false).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Dim);
        assert!(m.sum_dim(&[0, -2], false).unwrap_err().to_string().contains("appears multiple times"));
        assert!(m.cumsum(2).is_err());
    });
}

#[test]
fn integer_accumulation_as_torch() {
    on_each_device(|dev| {
        // torch.tensor([2**62] * 3).sum().item() == -4611686018427387904 (wraps)
        let s = Tensor::new([1i64 << 62; 3], dev).unwrap();
        assert_eq!(s.sum().unwrap().item::<i64>().unwrap(), -4611686018427387904);
        // torch.tensor([2**40, 2**30, 3]).prod() == tensor(0); torch.tensor([3**39, 3]).prod() ==
        // tensor(-6289078614652622815); .cumprod(0) == [4052555153018976267, -6289078614652622815]
        let p = Tensor::new([1i64 << 40, 1 << 30, 3], dev).unwrap();
        assert_eq!(p.prod().unwrap().item::<i64>().unwrap(), 0);
        let q = Tensor::new([3i64.pow(39), 3], dev).unwrap();
        assert_eq!(q.prod().unwrap().item::<i64>().unwrap(), -6289078614652622815);
        assert_eq!(q.prod_dim(0, false).unwrap().item::<i64>().unwrap(), -6289078614652622815);
        assert_eq!(q.cumprod(0).unwrap().to_vec::<i64>().unwrap(), [4052555153018976267, -6289078614652622815]);
        // torch.tensor([2**53, 1, 1]).cumsum(0) == [9007199254740992, 9007199254740993, 9007199254740994]
        let c = Tensor::new([1i64 << 53, 1, 1], dev).unwrap();
        assert_eq!(
            c.cumsum(0).unwrap().to_vec::<i64>().unwrap(),
            [9007199254740992, 9007199254740993, 9007199254740994]
        );
        // int32 inputs accumulate in int64: torch.tensor([2**31 - 1, 1], dtype=torch.int32).sum() == 2**31
        let i = Tensor::new([i32::MAX, 1], dev).unwrap();
        assert_eq!(i.sum().unwrap().item::<i64>().unwrap(), 1 << 31);
        assert_eq!(i.cumsum(0).unwrap().to_vec::<i64>().unwrap(), [i32::MAX as i64, 1 << 31]);
    });
}

#[test]
fn large_reductions_split_across_threads() {
    on_each_device(|dev| {
        // Past the parallel threshold: contiguous, strided and kept-dim reductions agree with a
        // serial f64 sum (values are small integers, so every order gives the same f32 sum).
        let n = 300_000usize;
        let v: Vec<f32> = (0..n).map(|i| (i % 7) as f32 - 3.0).collect();
        let want: f64 = v.iter().map(|&x| x as f64).sum();
        let x = Tensor::from_vec(v.clone(), [n]).unwrap().to_device(dev).unwrap();
        assert_eq!(x.sum().unwrap().item::<f64>().unwrap(), want);
        let m = x.view(&[600, 500]).unwrap();
        let rows = m.sum_dim(&[1], false).unwrap().to_vec::<f32>().unwrap();
        let cols = m.t().unwrap().sum_dim(&[0], false).unwrap().to_vec::<f32>().unwrap();
        assert_eq!(rows, cols);
        for (r, &got) in rows.iter().enumerate() {
            let w: f32 = v[r * 500..(r + 1) * 500].iter().sum();
            assert_eq!(got, w);
        }
        // A conv bias gradient's reduction: the kept dim in the middle, contiguous rows of 5000.
        let per_channel =
            x.view(&[10, 6, 50, 100]).unwrap().sum_dim(&[0, 2, 3], false).unwrap().to_vec::<f32>().unwrap();
        for (c, &got) in per_channel.iter().enumerate() {
            let w: f64 = (0..10)
                .map(|b| v[(b * 6 + c) * 5000..(b * 6 + c + 1) * 5000].iter().map(|&x| x as f64).sum::<f64>())
                .sum();
            assert_eq!(got as f64, w, "channel {c}");
        }
        let amax = m.amax(&[0], false).unwrap().to_vec::<f32>().unwrap();
        assert!(amax.iter().all(|&a| a == 3.0));
        let cs = x.cumsum(0).unwrap().to_vec::<f32>().unwrap();
        assert_eq!(cs[n - 1] as f64, want);
    });
}
