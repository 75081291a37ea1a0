//! Shared helpers for tensor-core's integration tests: a deterministic proptest config, a naive
//! reference tensor (`Ref`: a row-major `Vec<f64>` and a shape, with every view and op written
//! the obvious way), and recipes that build non-contiguous tensors (permuted, sliced with steps,
//! narrowed, selected, expanded, unsqueezed) together with their reference values.
#![allow(dead_code)]

mod devices;
pub use devices::*;

use half::{bf16, f16};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, RngSeed};
use tensor_core::{DType, Device, Tensor};

// ---------------------------------------------------------------------------------------------
// Determinism
// ---------------------------------------------------------------------------------------------

/// A proptest config with a fixed seed (ChaCha), no failure files: every run draws the same cases
/// (fewer where `TENSOR_TEST_CASES_MAX` caps them: `tensor_cuda::testing::proptest_cases`).
pub fn cfg(cases: u32) -> Config {
    Config {
        cases: tensor_cuda::testing::proptest_cases(cases),
        rng_algorithm: RngAlgorithm::ChaCha,
        rng_seed: RngSeed::Fixed(0x7e57_c0de),
        failure_persistence: None,
        max_shrink_iters: 512,
        ..Config::default()
    }
}

/// SplitMix64: the values inside a test case, derived from one proptest-drawn seed.
#[derive(Debug, Clone)]
pub struct Mix(u64);

impl Mix {
    pub fn new(seed: u64) -> Self {
        Mix(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
    /// Uniform integer in `lo..=hi`.
    pub fn int(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next_u64() % (hi - lo + 1) as u64) as i64
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn coin(&mut self) -> bool {
        self.next_u64() & 1 == 1
    }
    /// A random permutation of `0..n`.
    pub fn perm(&mut self, n: usize) -> Vec<usize> {
        let mut p: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            let j = self.below(i + 1);
            p.swap(i, j);
        }
        p
    }
}

// ---------------------------------------------------------------------------------------------
// Dtypes
// ---------------------------------------------------------------------------------------------

/// Every dtype: those with kernels of their own first (as [`KERNEL_DTYPES`]), then int8, int16
/// and uint16/32/64, which copy, index and compare natively and compute through int64.
pub const ALL_DTYPES: [DType; 13] = [
    DType::Bool,
    DType::U8,
    DType::I32,
    DType::I64,
    DType::F16,
    DType::BF16,
    DType::F32,
    DType::F64,
    DType::I8,
    DType::I16,
    DType::U16,
    DType::U32,
    DType::U64,
];

/// The dtypes with kernels of their own, which PyTorch's promotion table in the elementwise
/// tests covers.
pub const KERNEL_DTYPES: [DType; 8] =
    [DType::Bool, DType::U8, DType::I32, DType::I64, DType::F16, DType::BF16, DType::F32, DType::F64];

/// The value `v` takes when stored in `dtype`, as PyTorch converts a double: floats round (f16
/// and bf16 through f32, as `c10::Half(float(double))`), integers truncate toward zero and wrap
/// (through int64; uint64 directly from a positive value), bool is `v != 0`.
pub fn round_to(dtype: DType, v: f64) -> f64 {
    // An integer target takes the value's int64 bits; a value of 2^63 or more can only be a
    // uint64 here, whose bits wrap into int64 as C++'s static_cast wraps them.
    let i = if v >= 9223372036854775808.0 { v as u64 as i64 } else { v as i64 };
    match dtype {
        DType::Bool => (v != 0.0) as u8 as f64,
        DType::U8 => i as u8 as f64,
        DType::I8 => i as i8 as f64,
        DType::I16 => i as i16 as f64,
        DType::I32 => i as i32 as f64,
        DType::I64 => i as f64,
        DType::U16 => i as u16 as f64,
        DType::U32 => i as u32 as f64,
        DType::U64 if v < 0.0 => v as i64 as u64 as f64,
        DType::U64 => v as u64 as f64,
        DType::F16 => f16::from_f32(v as f32).to_f64(),
        DType::BF16 => bf16::from_f32(v as f32).to_f64(),
        DType::F32 => v as f32 as f64,
        DType::F64 => v,
    }
}

/// A contiguous CPU tensor of `dtype` built directly from typed values (no library cast).
pub fn typed_tensor(values: &[f64], shape: &[usize], dtype: DType) -> Tensor {
    typed_tensor_on(&Device::Cpu, values, shape, dtype)
}

/// [`typed_tensor`] on `dev` (built on the CPU, then copied there).
pub fn typed_tensor_on(dev: &Device, values: &[f64], shape: &[usize], dtype: DType) -> Tensor {
    let shape = shape.to_vec();
    let t = match dtype {
        DType::Bool => Tensor::from_vec(values.iter().map(|&v| v != 0.0).collect::<Vec<_>>(), shape),
        DType::U8 => Tensor::from_vec(values.iter().map(|&v| v as i64 as u8).collect::<Vec<_>>(), shape),
        DType::I8 => Tensor::from_vec(values.iter().map(|&v| v as i64 as i8).collect::<Vec<_>>(), shape),
        DType::I16 => Tensor::from_vec(values.iter().map(|&v| v as i64 as i16).collect::<Vec<_>>(), shape),
        DType::I32 => Tensor::from_vec(values.iter().map(|&v| v as i64 as i32).collect::<Vec<_>>(), shape),
        DType::U16 => Tensor::from_vec(values.iter().map(|&v| v as i64 as u16).collect::<Vec<_>>(), shape),
        DType::U32 => Tensor::from_vec(values.iter().map(|&v| v as i64 as u32).collect::<Vec<_>>(), shape),
        DType::U64 => Tensor::from_vec(
            values.iter().map(|&v| if v < 0.0 { v as i64 as u64 } else { v as u64 }).collect::<Vec<_>>(),
            shape,
        ),
        DType::I64 => Tensor::from_vec(values.iter().map(|&v| v as i64).collect::<Vec<_>>(), shape),
        DType::F16 => Tensor::from_vec(values.iter().map(|&v| f16::from_f32(v as f32)).collect::<Vec<_>>(), shape),
        DType::BF16 => Tensor::from_vec(values.iter().map(|&v| bf16::from_f32(v as f32)).collect::<Vec<_>>(), shape),
        DType::F32 => Tensor::from_vec(values.iter().map(|&v| v as f32).collect::<Vec<_>>(), shape),
        DType::F64 => Tensor::from_vec(values.to_vec(), shape),
    };
    t.expect("typed_tensor").to_device(dev).expect("typed_tensor: to_device")
}

/// `0., 1., ..., n - 1.` as float32 on `dev` (`torch.arange(n.)`).
pub fn arange_f32(dev: &Device, n: usize) -> Tensor {
    Tensor::arange(0i64, n as i64, 1i64, dev).unwrap().to_dtype(DType::F32).unwrap()
}

/// The elements of a tensor (on any device) as f64, read through the library (`to_vec`).
pub fn values(t: &Tensor) -> Vec<f64> {
    t.to_vec::<f64>().expect("to_vec")
}

/// What kind of numbers a test wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Values {
    /// Multiples of 1/4 in [-10, 10] for floats (exact in every float dtype, sums exact in f32),
    /// integers in [-20, 20] (u8: [0, 40]), random bools.
    Small,
    /// Like `Small` but never zero (divisors).
    NonZero,
    /// Floats uniform in [-4, 4] (rounded to the dtype); integers as `Small`.
    Uniform,
    /// A few distinct values, so that ties are common (argmax, sort stability).
    Ties,
    /// Values in {±0.5, ±1, ±1.5, ±2} (products stay finite and exact).
    Unitish,
    /// Exponents: integers in [0, 4]; floats multiples of 1/4 in [-3, 3].
    Exponent,
}

/// One random value of `dtype` and `kind` (already exact in that dtype).
pub fn draw(rng: &mut Mix, dtype: DType, kind: Values) -> f64 {
    let v = match (dtype, kind) {
        (DType::Bool, Values::NonZero) => 1.0,
        (DType::Bool, _) => rng.coin() as u8 as f64,
        (_, Values::Ties) => rng.int(-2, 2) as f64,
        (DType::U8 | DType::I32 | DType::I64, Values::Exponent) => rng.int(0, 4) as f64,
        (_, Values::Exponent) => rng.int(-12, 12) as f64 / 4.0,
        (_, Values::Unitish) => {
            let m = [0.5, 1.0, 1.5, 2.0][rng.below(4)];
            if dtype == DType::U8 || rng.coin() {
                m
            } else {
                -m
            }
        }
        (DType::U8, _) => {
            let mut v = rng.int(0, 40);
            if kind == Values::NonZero && v == 0 {
                v = 1;
            }
            v as f64
        }
        (DType::I32 | DType::I64, _) => {
            let mut v = rng.int(-20, 20);
            if kind == Values::NonZero && v == 0 {
                v = 3;
            }
            v as f64
        }
        (_, Values::Uniform) => rng.unit() * 8.0 - 4.0,
        (_, _) => {
            let mut k = rng.int(-40, 40);
            if kind == Values::NonZero && k == 0 {
                k = 5;
            }
            k as f64 / 4.0
        }
    };
    round_to(dtype, v)
}

// ---------------------------------------------------------------------------------------------
// Tolerances
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
pub struct Tol {
    pub atol: f64,
    pub rtol: f64,
}

pub const EXACT: Tol = Tol { atol: 0.0, rtol: 0.0 };

/// `torch.testing.assert_close`'s defaults, per dtype (a little looser for f32 transcendental ops).
pub fn tol_for(dtype: DType) -> Tol {
    match dtype {
        DType::F16 => Tol { atol: 1e-3, rtol: 2e-3 },
        DType::BF16 => Tol { atol: 1e-2, rtol: 1.6e-2 },
        DType::F32 => Tol { atol: 1e-5, rtol: 3e-6 },
        DType::F64 => Tol { atol: 1e-12, rtol: 1e-12 },
        _ => EXACT,
    }
}

/// The tolerance for a float result made by sums (reductions, matmul, conv, pooling averages,
/// attention, scans) on `dev`: `cpu` on the CPU (often exact: the CPU's summation order is the
/// reference's); on a GPU, which sums in another order, at least `tensor_cuda::testing::tol`
/// for `dtype` (exact for integers and bool).
pub fn device_tol(dev: &Device, dtype: DType, cpu: Tol) -> Tol {
    if dev.is_cpu() {
        return cpu;
    }
    let (rtol, atol) = tensor_cuda::testing::tol(dtype);
    Tol { atol: cpu.atol.max(atol), rtol: cpu.rtol.max(rtol) }
}

/// Equal within `tol`; NaN equals NaN, infinities must match exactly.
pub fn close(a: f64, b: f64, tol: Tol) -> bool {
    if a.is_nan() || b.is_nan() {
        return a.is_nan() && b.is_nan();
    }
    if a.is_infinite() || b.is_infinite() {
        return a == b;
    }
    (a - b).abs() <= tol.atol + tol.rtol * b.abs()
}

// ---------------------------------------------------------------------------------------------
// The naive reference
// ---------------------------------------------------------------------------------------------

/// A row-major array of f64 with a shape: the obvious implementation of every op under test.
#[derive(Debug, Clone, PartialEq)]
pub struct Ref {
    pub shape: Vec<usize>,
    pub data: Vec<f64>,
}

pub fn numel(shape: &[usize]) -> usize {
    shape.iter().product()
}

/// Row-major strides of `shape`.
pub fn contiguous_strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![0; shape.len()];
    let mut acc = 1;
    for d in (0..shape.len()).rev() {
        s[d] = acc;
        acc *= shape[d];
    }
    s
}

/// Calls `f` with every multi-index of `shape`, in row-major order.
pub fn for_each_index(shape: &[usize], mut f: impl FnMut(&[usize])) {
    if shape.contains(&0) {
        return;
    }
    let mut idx = vec![0usize; shape.len()];
    loop {
        f(&idx);
        let mut d = shape.len();
        loop {
            if d == 0 {
                return;
            }
            d -= 1;
            idx[d] += 1;
            if idx[d] < shape[d] {
                break;
            }
            idx[d] = 0;
        }
    }
}

/// The shape `a` and `b` broadcast to, or `None`.
pub fn broadcast_shape(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let r = a.len().max(b.len());
    let mut out = vec![0; r];
    for i in 0..r {
        let x = if i < a.len() { a[a.len() - 1 - i] } else { 1 };
        let y = if i < b.len() { b[b.len() - 1 - i] } else { 1 };
        out[r - 1 - i] = if x == y || y == 1 {
            x
        } else if x == 1 {
            y
        } else {
            return None;
        };
    }
    Some(out)
}

/// Python's `range(size)[start:end:step]` for a positive step, by brute force.
pub fn py_slice(size: usize, start: Option<isize>, end: Option<isize>, step: usize) -> Vec<usize> {
    let n = size as isize;
    let fix = |v: isize| if v < 0 { (v + n).max(0) } else { v.min(n) };
    let s = start.map_or(0, fix);
    let e = end.map_or(n, fix);
    let mut out = vec![];
    let mut i = s;
    while i < e {
        out.push(i as usize);
        i += step as isize;
    }
    out
}

/// Wraps a user dim as PyTorch does (`rank` 0 accepts 0 and -1).
pub fn wrap(dim: isize, rank: usize) -> usize {
    let r = rank.max(1) as isize;
    assert!(dim >= -r && dim < r, "test bug: dim {dim} for rank {rank}");
    if dim < 0 {
        (dim + r) as usize
    } else {
        dim as usize
    }
}

impl Ref {
    pub fn new(shape: &[usize], data: Vec<f64>) -> Ref {
        assert_eq!(numel(shape), data.len());
        Ref { shape: shape.to_vec(), data }
    }
    pub fn scalar(v: f64) -> Ref {
        Ref::new(&[], vec![v])
    }
    pub fn from_fn(shape: &[usize], mut f: impl FnMut(&[usize]) -> f64) -> Ref {
        let mut data = Vec::with_capacity(numel(shape));
        for_each_index(shape, |i| data.push(f(i)));
        Ref { shape: shape.to_vec(), data }
    }
    /// `0, 1, 2, ...` in `shape`.
    pub fn iota(shape: &[usize]) -> Ref {
        Ref::new(shape, (0..numel(shape)).map(|i| i as f64).collect())
    }
    pub fn random(shape: &[usize], dtype: DType, kind: Values, rng: &mut Mix) -> Ref {
        Ref::new(shape, (0..numel(shape)).map(|_| draw(rng, dtype, kind)).collect())
    }
    pub fn rank(&self) -> usize {
        self.shape.len()
    }
    pub fn numel(&self) -> usize {
        self.data.len()
    }
    pub fn at(&self, idx: &[usize]) -> f64 {
        assert_eq!(idx.len(), self.shape.len());
        let st = contiguous_strides(&self.shape);
        self.data[idx.iter().zip(&st).map(|(i, s)| i * s).sum::<usize>()]
    }
    /// A contiguous tensor of `dtype` holding these values.
    pub fn tensor(&self, dtype: DType) -> Tensor {
        typed_tensor(&self.data, &self.shape, dtype)
    }
    /// [`Ref::tensor`] on `dev`.
    pub fn tensor_on(&self, dev: &Device, dtype: DType) -> Tensor {
        typed_tensor_on(dev, &self.data, &self.shape, dtype)
    }

    // --- views ---
    pub fn reshape(&self, shape: &[usize]) -> Ref {
        Ref::new(shape, self.data.clone())
    }
    /// Result dim `i` is input dim `perm[i]`.
    pub fn permute(&self, perm: &[usize]) -> Ref {
        let shape: Vec<usize> = perm.iter().map(|&p| self.shape[p]).collect();
        Ref::from_fn(&shape, |i| {
            let mut src = vec![0; self.rank()];
            for (k, &p) in perm.iter().enumerate() {
                src[p] = i[k];
            }
            self.at(&src)
        })
    }
    pub fn transpose(&self, d0: usize, d1: usize) -> Ref {
        if self.rank() == 0 {
            return self.clone();
        }
        let mut p: Vec<usize> = (0..self.rank()).collect();
        p.swap(d0, d1);
        self.permute(&p)
    }
    /// Keeps the listed indices of `dim`, in order.
    pub fn take(&self, dim: usize, indices: &[usize]) -> Ref {
        let mut shape = self.shape.clone();
        shape[dim] = indices.len();
        Ref::from_fn(&shape, |i| {
            let mut src = i.to_vec();
            src[dim] = indices[i[dim]];
            self.at(&src)
        })
    }
    pub fn narrow(&self, dim: usize, start: usize, len: usize) -> Ref {
        self.take(dim, &(start..start + len).collect::<Vec<_>>())
    }
    pub fn slice(&self, dim: usize, start: Option<isize>, end: Option<isize>, step: usize) -> Ref {
        self.take(dim, &py_slice(self.shape[dim], start, end, step))
    }
    pub fn select(&self, dim: usize, index: usize) -> Ref {
        let mut shape = self.shape.clone();
        shape.remove(dim);
        Ref::from_fn(&shape, |i| {
            let mut src = i.to_vec();
            src.insert(dim, index);
            self.at(&src)
        })
    }
    pub fn unsqueeze(&self, dim: usize) -> Ref {
        let mut shape = self.shape.clone();
        shape.insert(dim, 1);
        self.reshape(&shape)
    }
    pub fn squeeze_all(&self) -> Ref {
        let shape: Vec<usize> = self.shape.iter().copied().filter(|&d| d != 1).collect();
        self.reshape(&shape)
    }
    /// NumPy broadcasting of this array to `shape`.
    pub fn expand(&self, shape: &[usize]) -> Ref {
        assert!(shape.len() >= self.rank());
        let lead = shape.len() - self.rank();
        Ref::from_fn(shape, |i| {
            let src: Vec<usize> = (0..self.rank()).map(|d| if self.shape[d] == 1 { 0 } else { i[lead + d] }).collect();
            self.at(&src)
        })
    }

    // --- elementwise ---
    pub fn map(&self, f: impl Fn(f64) -> f64) -> Ref {
        Ref::new(&self.shape, self.data.iter().map(|&v| f(v)).collect())
    }
    pub fn zip(&self, other: &Ref, f: impl Fn(f64, f64) -> f64) -> Ref {
        let shape = broadcast_shape(&self.shape, &other.shape).expect("test bug: shapes do not broadcast");
        let (a, b) = (self.expand(&shape), other.expand(&shape));
        Ref::new(&shape, a.data.iter().zip(&b.data).map(|(&x, &y)| f(x, y)).collect())
    }
    pub fn zip3(c: &Ref, a: &Ref, b: &Ref, f: impl Fn(f64, f64, f64) -> f64) -> Ref {
        let shape = broadcast_shape(&broadcast_shape(&c.shape, &a.shape).unwrap(), &b.shape).unwrap();
        let (c, a, b) = (c.expand(&shape), a.expand(&shape), b.expand(&shape));
        Ref::new(&shape, (0..c.numel()).map(|i| f(c.data[i], a.data[i], b.data[i])).collect())
    }

    // --- reductions ---
    /// Reduces the (wrapped, distinct) `dims` (all when empty) with `f` over the reduced values in
    /// row-major order.
    pub fn reduce(&self, dims: &[usize], keepdim: bool, f: impl Fn(&[f64]) -> f64) -> Ref {
        let all: Vec<usize> =
            if dims.is_empty() || self.rank() == 0 { (0..self.rank()).collect() } else { dims.to_vec() };
        let kept_shape: Vec<usize> =
            self.shape.iter().enumerate().map(|(d, &n)| if all.contains(&d) { 1 } else { n }).collect();
        let mut red_sorted = all.clone();
        red_sorted.sort_unstable();
        let out = Ref::from_fn(&kept_shape, |k| {
            let mut vals = vec![];
            // Walk the reduced dims in increasing dim order (row-major within the slice).
            let sorted_shape: Vec<usize> = red_sorted.iter().map(|&d| self.shape[d]).collect();
            for_each_index(&sorted_shape, |r| {
                let mut src = k.to_vec();
                for (j, &d) in red_sorted.iter().enumerate() {
                    src[d] = r[j];
                }
                vals.push(self.at(&src));
            });
            f(&vals)
        });
        if keepdim {
            out
        } else {
            let shape: Vec<usize> =
                self.shape.iter().enumerate().filter(|(d, _)| !all.contains(d)).map(|(_, &n)| n).collect();
            out.reshape(&shape)
        }
    }
}

/// Checks that `t` has `r`'s shape and values within `tol` (reading through `to_vec`).
#[track_caller]
pub fn assert_ref(t: &Tensor, r: &Ref, tol: Tol, ctx: &str) {
    assert_eq!(t.size(), &r.shape[..], "{ctx}: shape");
    let got = values(t);
    for (i, (&g, &w)) in got.iter().zip(&r.data).enumerate() {
        assert!(
            close(g, w, tol),
            "{ctx}: element {i} (of shape {:?}): got {g}, want {w}\n got {got:?}\nwant {:?}",
            r.shape,
            r.data
        );
    }
}

/// Element-wise equality of two value lists, NaN equal to NaN.
#[track_caller]
pub fn assert_same_values(got: &[f64], want: &[f64], ctx: &str) {
    assert_eq!(got.len(), want.len(), "{ctx}: length");
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        assert!(close(g, w, EXACT), "{ctx}: element {i}: got {g}, want {w}\n got {got:?}\nwant {want:?}");
    }
}

/// Reads `t`'s elements by hand from its strides and offset in the storage whose contiguous
/// values are `base` (checks the layout metadata itself, not the library's gather).
pub fn strided_read(base: &[f64], t: &Tensor) -> Ref {
    let (st, off) = (t.stride().to_vec(), t.storage_offset());
    Ref::from_fn(t.size(), |i| base[off + i.iter().zip(&st).map(|(a, b)| a * b).sum::<usize>()])
}

// ---------------------------------------------------------------------------------------------
// Recipes for non-contiguous inputs
// ---------------------------------------------------------------------------------------------

/// One step that builds a tensor of a wanted shape as a view of a differently laid out one.
/// Parameters are raw numbers, interpreted against the wanted shape.
#[derive(Debug, Clone)]
pub enum Step {
    /// A permutation of a tensor whose dims are permuted the other way.
    Permute(u64),
    /// `x[.., start:start+n*step:step, ..]` of a longer dim.
    Slice { dim: u64, step: usize, start: usize, extra: usize, negative: bool },
    /// `x.narrow(dim, start, n)` of a longer dim.
    Narrow { dim: u64, pad: usize, start: u64, negative: bool },
    /// `x.select(dim, index)` of a tensor with one more dim.
    Select { dim: u64, size: usize, index: u64, negative: bool },
    /// `x.expand(..)` of a tensor with size-1 dims (and maybe fewer leading dims).
    Expand { mask: u64, drop_lead: u64, use_minus_one: bool },
    /// `x.unsqueeze(dim)` for a size-1 dim of the wanted shape.
    Unsqueeze(u64),
}

/// How to build one input: steps (outermost first) and a seed for the values.
#[derive(Debug, Clone)]
pub struct Recipe {
    pub steps: Vec<Step>,
    pub seed: u64,
}

pub fn step_strategy() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => any::<u64>().prop_map(Step::Permute),
        2 => (any::<u64>(), 1usize..=3, 0usize..=2, 0usize..=2, any::<bool>())
            .prop_map(|(dim, step, start, extra, negative)| Step::Slice { dim, step, start, extra, negative }),
        2 => (any::<u64>(), 0usize..=3, any::<u64>(), any::<bool>())
            .prop_map(|(dim, pad, start, negative)| Step::Narrow { dim, pad, start, negative }),
        2 => (any::<u64>(), 1usize..=3, any::<u64>(), any::<bool>())
            .prop_map(|(dim, size, index, negative)| Step::Select { dim, size, index, negative }),
        1 => (any::<u64>(), any::<u64>(), any::<bool>())
            .prop_map(|(mask, drop_lead, use_minus_one)| Step::Expand { mask, drop_lead, use_minus_one }),
        1 => any::<u64>().prop_map(Step::Unsqueeze),
    ]
}

/// A recipe of up to `max_steps` steps (writable: no expand) or any.
pub fn recipe_strategy(max_steps: usize, allow_expand: bool) -> impl Strategy<Value = Recipe> {
    (prop::collection::vec(step_strategy(), 0..=max_steps), any::<u64>()).prop_map(move |(steps, seed)| {
        let steps = steps.into_iter().filter(|s| allow_expand || !matches!(s, Step::Expand { .. })).collect();
        Recipe { steps, seed }
    })
}

/// A shape of rank `0..=max_rank`, dims `0..=max_dim` (zero rarely).
pub fn shape_strategy(max_rank: usize, max_dim: usize) -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(prop_oneof![1 => Just(0usize), 12 => 1..=max_dim], 0..=max_rank)
}

/// Like [`shape_strategy`] but with no zero dims.
pub fn nonempty_shape_strategy(max_rank: usize, max_dim: usize) -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(1..=max_dim, 0..=max_rank)
}

/// A tensor built by a recipe: `t` (a view of `base`), its reference values `r`, and the
/// contiguous values of `base`'s storage.
#[derive(Debug)]
pub struct Built {
    pub t: Tensor,
    pub r: Ref,
    pub base: Tensor,
    pub base_values: Vec<f64>,
}

/// Builds a tensor of `shape` and `dtype` laid out as `recipe` says, with random values.
pub fn build(shape: &[usize], recipe: &Recipe, dtype: DType, kind: Values) -> Built {
    build_on(&Device::Cpu, shape, recipe, dtype, kind)
}

/// [`build`] on `dev`: the base tensor is copied there and the views are taken there, so the
/// device's kernels see the recipe's layout.
pub fn build_on(dev: &Device, shape: &[usize], recipe: &Recipe, dtype: DType, kind: Values) -> Built {
    let mut rng = Mix::new(recipe.seed);
    build_steps(dev, shape, &recipe.steps, dtype, kind, &mut rng)
}

fn build_steps(dev: &Device, shape: &[usize], steps: &[Step], dtype: DType, kind: Values, rng: &mut Mix) -> Built {
    let Some((step, rest)) = steps.split_first() else {
        let r = Ref::random(shape, dtype, kind, rng);
        let t = r.tensor_on(dev, dtype);
        return Built { base: t.shallow_clone(), base_values: r.data.clone(), t, r };
    };
    let rank = shape.len();
    let skip = || build_steps(dev, shape, rest, dtype, kind, &mut rng.clone());
    match *step {
        Step::Permute(p) => {
            if rank < 2 {
                return skip();
            }
            let perm = Mix::new(p).perm(rank);
            let mut inner_shape = vec![0; rank];
            for (i, &p) in perm.iter().enumerate() {
                inner_shape[p] = shape[i];
            }
            let b = build_steps(dev, &inner_shape, rest, dtype, kind, rng);
            let pi: Vec<isize> = perm.iter().map(|&p| p as isize).collect();
            let t = b.t.permute(&pi).expect("permute");
            Built { r: b.r.permute(&perm), t, ..b }
        }
        Step::Slice { dim, step, start, extra, negative } => {
            if rank == 0 {
                return skip();
            }
            let d = (dim % rank as u64) as usize;
            let extra = extra % step;
            let mut inner_shape = shape.to_vec();
            inner_shape[d] = start + shape[d] * step + extra;
            let b = build_steps(dev, &inner_shape, rest, dtype, kind, rng);
            let size = inner_shape[d] as isize;
            let (s, e) = (start as isize, (start + shape[d] * step) as isize);
            let (s, e) = if negative && s < size {
                (s - size, if e < size { Some(e - size) } else { None })
            } else if extra == 0 && shape[d] > 0 {
                (s, None)
            } else {
                (s, Some(e))
            };
            let t = b.t.slice(d as isize, Some(s), e, step).expect("slice");
            Built { r: b.r.slice(d, Some(s), e, step), t, ..b }
        }
        Step::Narrow { dim, pad, start, negative } => {
            if rank == 0 {
                return skip();
            }
            let d = (dim % rank as u64) as usize;
            let start = (start % (pad as u64 + 1)) as usize;
            let mut inner_shape = shape.to_vec();
            inner_shape[d] = shape[d] + pad;
            let b = build_steps(dev, &inner_shape, rest, dtype, kind, rng);
            let s = if negative && start < inner_shape[d] {
                start as isize - inner_shape[d] as isize
            } else {
                start as isize
            };
            let t = b.t.narrow(d as isize, s, shape[d]).expect("narrow");
            Built { r: b.r.narrow(d, start, shape[d]), t, ..b }
        }
        Step::Select { dim, size, index, negative } => {
            let d = (dim % (rank as u64 + 1)) as usize;
            let i = (index % size as u64) as usize;
            let mut inner_shape = shape.to_vec();
            inner_shape.insert(d, size);
            let b = build_steps(dev, &inner_shape, rest, dtype, kind, rng);
            let ui = if negative { i as isize - size as isize } else { i as isize };
            let t = b.t.select(d as isize, ui).expect("select");
            Built { r: b.r.select(d, i), t, ..b }
        }
        Step::Expand { mask, drop_lead, use_minus_one } => {
            let lead = (drop_lead % (rank as u64 + 1)) as usize;
            let inner_shape: Vec<usize> = (lead..rank).map(|d| if mask >> d & 1 == 1 { 1 } else { shape[d] }).collect();
            let b = build_steps(dev, &inner_shape, rest, dtype, kind, rng);
            let sizes: Vec<isize> = (0..rank)
                .map(|d| {
                    if use_minus_one && d >= lead && inner_shape[d - lead] == shape[d] {
                        -1
                    } else {
                        shape[d] as isize
                    }
                })
                .collect();
            let t = b.t.expand(&sizes).expect("expand");
            Built { r: b.r.expand(shape), t, ..b }
        }
        Step::Unsqueeze(p) => {
            let ones: Vec<usize> = (0..rank).filter(|&d| shape[d] == 1).collect();
            if ones.is_empty() {
                return skip();
            }
            let d = ones[(p % ones.len() as u64) as usize];
            let mut inner_shape = shape.to_vec();
            inner_shape.remove(d);
            let b = build_steps(dev, &inner_shape, rest, dtype, kind, rng);
            let t = b.t.unsqueeze(d as isize).expect("unsqueeze");
            Built { r: b.r.unsqueeze(d), t, ..b }
        }
    }
}

/// True when some element of the layout is reachable through two indices (an expanded dim).
pub fn overlaps(t: &Tensor) -> bool {
    t.size().iter().zip(t.stride()).any(|(&d, &s)| d > 1 && s == 0)
}

/// Shapes for a broadcasting pair: an output shape, then each operand drops some leading dims
/// and sets some dims to 1.
pub fn broadcast_pair_strategy(max_rank: usize, max_dim: usize) -> impl Strategy<Value = (Vec<usize>, Vec<usize>)> {
    (shape_strategy(max_rank, max_dim), any::<u64>(), any::<u64>()).prop_map(|(out, sa, sb)| {
        let derive = |seed: u64| {
            let mut rng = Mix::new(seed);
            let drop = rng.below(out.len() + 1);
            let drop = if rng.below(3) == 0 { drop } else { 0 };
            out[drop..].iter().map(|&d| if rng.below(3) == 0 { 1 } else { d }).collect::<Vec<usize>>()
        };
        (derive(sa), derive(sb))
    })
}

/// The `Debug` text of a shape as the library prints it in messages (`[2, 3]`).
pub fn shape_str(s: &[usize]) -> String {
    format!("{s:?}")
}
