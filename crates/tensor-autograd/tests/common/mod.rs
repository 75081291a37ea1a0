//! Shared helpers of the tensor-autograd integration tests: a deterministic proptest runner
//! (fixed ChaCha seed, no persistence: CI never flakes), seeded float64 data kept away from the
//! points where an op is not differentiable (built on a device), and gradcheck wrappers that
//! report through proptest and check on the device their inputs live on.

#![allow(dead_code)]

mod devices;
pub use devices::*;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestCaseResult, TestRng, TestRunner};
use std::fmt::Debug;
use tensor_autograd::{GradcheckOptions, Var};
use tensor_core::random::Generator;
use tensor_core::{DType, Device, Result, Tensor};

/// A unary op on a variable, for tables of ops.
pub type UnaryOp = fn(&Var) -> Result<Var>;

/// A boxed function of variables, for tables of checks.
pub type VarFn<'a> = Box<dyn Fn(&[Var]) -> Result<Var> + 'a>;

/// The CPU device.
pub fn cpu() -> Device {
    Device::Cpu
}

/// A proptest runner that always draws the same cases: a ChaCha generator from a fixed seed,
/// and no failure persistence (no files, no replay of old failures); fewer cases where
/// `TENSOR_TEST_CASES_MAX` caps them (`tensor_cuda::testing::proptest_cases`).
pub fn runner(cases: u32) -> TestRunner {
    let config = Config {
        cases: tensor_cuda::testing::proptest_cases(cases),
        rng_algorithm: RngAlgorithm::ChaCha,
        failure_persistence: None,
        max_shrink_iters: 128,
        ..Config::default()
    };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &[0x5e; 32]))
}

/// Runs `test` on `cases` values drawn from `strategy` by [`runner`]; panics naming `what`
/// (with the minimal failing value) on failure.
pub fn check<S>(what: &str, cases: u32, strategy: S, test: impl Fn(S::Value) -> TestCaseResult)
where
    S: Strategy,
    S::Value: Debug,
{
    if let Err(e) = runner(cases).run(&strategy, test) {
        panic!("{what}: {e}");
    }
}

/// A tensor-core result as a proptest case result.
pub fn ok<T>(r: Result<T>) -> std::result::Result<T, TestCaseError> {
    r.map_err(|e| TestCaseError::fail(e.to_string()))
}

/// `gradcheck` on the inputs' device ([`gradcheck_on`]), reported through proptest.
pub fn gc(f: impl Fn(&[Var]) -> Result<Var>, inputs: &[Tensor]) -> TestCaseResult {
    gc_with(f, inputs, GradcheckOptions::default())
}

/// `gradcheck_with` explicit tolerances on the inputs' device, reported through proptest.
pub fn gc_with(f: impl Fn(&[Var]) -> Result<Var>, inputs: &[Tensor], opts: GradcheckOptions) -> TestCaseResult {
    ok(gradcheck_with_on(&f, inputs, opts))
}

/// `gradgradcheck` on the inputs' device, reported through proptest.
pub fn ggc(f: impl Fn(&[Var]) -> Result<Var>, inputs: &[Tensor]) -> TestCaseResult {
    ok(gradgradcheck_on(f, inputs))
}

/// Shapes of rank `min..=max` with sizes 1 to 4.
pub fn shape(min_rank: usize, max_rank: usize) -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(1usize..=4, min_rank..=max_rank)
}

/// A shape and a data seed.
pub fn case(min_rank: usize, max_rank: usize) -> impl Strategy<Value = (Vec<usize>, u64)> {
    (shape(min_rank, max_rank), any::<u64>())
}

/// A shape, a choice (for dims, indices, flags) and a data seed.
pub fn case_pick(min_rank: usize, max_rank: usize) -> impl Strategy<Value = (Vec<usize>, u64, u64)> {
    (shape(min_rank, max_rank), any::<u64>(), any::<u64>())
}

/// Two shapes that broadcast together (leading dims dropped, some dims set to 1), and a seed.
pub fn broadcast_pair() -> impl Strategy<Value = (Vec<usize>, Vec<usize>, u64)> {
    (shape(0, 3), 0usize..=3, 0usize..=3, any::<u8>(), any::<u8>(), any::<u64>()).prop_map(
        |(out, drop_a, drop_b, ones_a, ones_b, seed)| {
            let make = |drop: usize, ones: u8| -> Vec<usize> {
                let rest = &out[drop.min(out.len())..];
                rest.iter().enumerate().map(|(i, &d)| if (ones >> i) & 1 == 1 { 1 } else { d }).collect()
            };
            (make(drop_a, ones_a), make(drop_b, ones_b), seed)
        },
    )
}

fn numel(shape: &[usize]) -> usize {
    shape.iter().product()
}

/// A float64 tensor on `dev`.
fn f64_tensor(dev: &Device, values: Vec<f64>, shape: &[usize]) -> Tensor {
    on(dev, Tensor::from_vec(values, shape.to_vec()).expect("shape matches data"))
}

/// `t` (built on the host) copied to `dev`.
pub fn on(dev: &Device, t: Tensor) -> Tensor {
    t.to_device(dev).expect("to_device")
}

/// Uniform in `[lo, hi)`, on `dev`.
pub fn uniform(dev: &Device, shape: &[usize], seed: u64, lo: f64, hi: f64) -> Tensor {
    let v = Generator::new(seed).uniform(numel(shape)).map(|u| lo + (hi - lo) * u).collect();
    f64_tensor(dev, v, shape)
}

/// Magnitude uniform in `[lo, hi)` with a random sign: away from zero.
pub fn away(dev: &Device, shape: &[usize], seed: u64, lo: f64, hi: f64) -> Tensor {
    let n = numel(shape);
    let u: Vec<f64> = Generator::new(seed).uniform(2 * n).collect();
    let v = (0..n).map(|i| (lo + (hi - lo) * u[2 * i]) * if u[2 * i + 1] < 0.5 { -1.0 } else { 1.0 }).collect();
    f64_tensor(dev, v, shape)
}

/// Values on the grid `k / 4 + offset` (k in -8..8): two grids with different offsets never tie.
pub fn grid(dev: &Device, shape: &[usize], seed: u64, offset: f64) -> Tensor {
    let v = Generator::new(seed).uniform(numel(shape)).map(|u| ((u * 16.0).floor() - 8.0) * 0.25 + offset).collect();
    f64_tensor(dev, v, shape)
}

/// A random permutation of `0..n`.
pub fn permutation(n: usize, seed: u64) -> Vec<usize> {
    let mut p: Vec<usize> = (0..n).collect();
    let u: Vec<f64> = Generator::new(seed).uniform(n).collect();
    for i in (1..n).rev() {
        let j = ((u[i] * (i + 1) as f64) as usize).min(i);
        p.swap(i, j);
    }
    p
}

/// Pairwise distinct values whose magnitudes are pairwise distinct too (gaps of at least
/// 1.5/64, far beyond the finite-difference step), in about `[-1.75, 1.75]`: no ties for max,
/// min, amax, sort-like ops or `|x|`-based norms.
pub fn distinct(dev: &Device, shape: &[usize], seed: u64) -> Tensor {
    let n = numel(shape);
    let perm = permutation(n, seed);
    let signs: Vec<f64> = Generator::new(seed ^ 0x9e37).uniform(n).collect();
    let v = (0..n)
        .map(|i| {
            let m = 0.25 + 1.5 * (perm[i] as f64 + 0.5) / n as f64;
            if signs[i] < 0.5 {
                -m
            } else {
                m
            }
        })
        .collect();
    f64_tensor(dev, v, shape)
}

/// Random int64 indices in `[0, bound)`.
pub fn indices(dev: &Device, shape: &[usize], seed: u64, bound: usize) -> Tensor {
    let v: Vec<i64> =
        Generator::new(seed).uniform(numel(shape)).map(|u| ((u * bound as f64) as i64).min(bound as i64 - 1)).collect();
    on(dev, Tensor::from_vec(v, shape.to_vec()).expect("shape matches data"))
}

/// A random boolean mask.
pub fn mask(dev: &Device, shape: &[usize], seed: u64) -> Tensor {
    let v: Vec<bool> = Generator::new(seed).uniform(numel(shape)).map(|u| u < 0.5).collect();
    on(dev, Tensor::from_vec(v, shape.to_vec()).expect("shape matches data"))
}

/// One dim of a `rank`-dim tensor chosen by `pick` (0 for a 0-d tensor), sometimes negative.
pub fn pick_dim(rank: usize, pick: u64) -> isize {
    let r = rank.max(1) as isize;
    let d = (pick % r as u64) as isize;
    if (pick >> 8) & 1 == 1 {
        d - r
    } else {
        d
    }
}

/// A non-empty subset of the dims of a `rank`-dim tensor chosen by `pick` (empty for 0-d:
/// "every dim").
pub fn pick_dims(rank: usize, pick: u64) -> Vec<isize> {
    if rank == 0 {
        return Vec::new();
    }
    let bits = (pick % ((1u64 << rank) - 1)) + 1;
    (0..rank as isize).filter(|&d| (bits >> d) & 1 == 1).collect()
}

/// The values of a float tensor.
pub fn vals(t: &Tensor) -> Vec<f64> {
    t.to_dtype(DType::F64).and_then(|t| t.to_vec::<f64>()).expect("float tensor")
}

/// Asserts two slices agree to `tol` (absolute plus relative).
pub fn assert_close(actual: &[f64], expected: &[f64], tol: f64) {
    assert_eq!(actual.len(), expected.len(), "lengths differ: {actual:?} vs {expected:?}");
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        assert!((a - e).abs() <= tol * (1.0 + e.abs()), "element {i}: {a} vs {e} (all: {actual:?} vs {expected:?})");
    }
}

/// A leaf of float64 values on `dev` that requires grad.
pub fn leaf(dev: &Device, values: &[f64], shape: &[usize]) -> Var {
    Var::new(f64_tensor(dev, values.to_vec(), shape), true)
}
