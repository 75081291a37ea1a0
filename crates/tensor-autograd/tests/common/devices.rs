//! The devices a test body runs on: the CPU always, and the first CUDA GPU when one is usable
//! (tensor-cuda is a dev-dependency of the tests only; the library needs it only behind its
//! `cuda` feature).
//!
//! A test written once as `for dev in &devices() { ... }` (or, for a proptest case,
//! `each_device(|dev| { ... })`) builds its inputs on `dev` (the suite's data helpers take the
//! device), runs the graph and its backward there, checks with [`assert_on`] that results and
//! gradients stay there, and reads values back through [`vals_on`]. tensor-nn's tests include
//! this file too (one copy of the helpers). Without a GPU the CUDA pass is skipped with one line on stderr per test binary;
//! with `TENSOR_REQUIRE_CUDA=1` (the GPU machine's runner) a missing GPU fails the test.
//!
//! `gradcheck` and `gradgradcheck` run on the device their inputs live on (forward, backward
//! and double backward there); [`gradcheck_on`] and friends only name the device in an error.

pub use tensor_cuda::testing::{assert_on, devices};

use proptest::test_runner::{TestCaseError, TestCaseResult};
use tensor_autograd::{gradcheck_with, gradgradcheck, GradcheckOptions, Var};
use tensor_core::{DType, Device, Error, Result, Tensor};

/// Runs a proptest case body on every device; a failure names the device.
pub fn each_device(mut body: impl FnMut(&Device) -> TestCaseResult) -> TestCaseResult {
    for dev in devices() {
        body(&dev).map_err(|e| match e {
            TestCaseError::Fail(m) => TestCaseError::fail(format!("on {dev}: {m}")),
            TestCaseError::Reject(m) => TestCaseError::reject(format!("on {dev}: {m}")),
        })?;
    }
    Ok(())
}

/// The values of a float tensor that must live on `dev`, as f64 on the host.
#[track_caller]
pub fn vals_on(dev: &Device, t: &Tensor) -> Vec<f64> {
    assert_on(t, dev);
    t.to_dtype(DType::F64).and_then(|t| t.to_vec::<f64>()).expect("float tensor")
}

/// What a result is made of, for its tolerance on a GPU.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    /// Elementwise results (CUDA's libm): float32 rtol 1.3e-6, atol 1e-5.
    Elementwise,
    /// Sums (reductions, matmul, broadcast gradients, accumulation) in another order: float32
    /// rtol 1e-4, atol 1e-5.
    Sums,
}

/// `(rtol, atol)` for a `dtype` result computed on `dev`: exact on the CPU (the reference
/// values are the CPU's), PyTorch's `assert_close` tolerances on a GPU (float64 1e-7 / 1e-7).
pub fn tol_on(dev: &Device, dtype: DType, kind: Kind) -> (f64, f64) {
    match (dev.is_cpu(), dtype, kind) {
        (true, ..) => (0.0, 0.0),
        (false, DType::F64, _) => (1e-7, 1e-7),
        (false, _, Kind::Elementwise) => (1.3e-6, 1e-5),
        (false, _, Kind::Sums) => (1e-4, 1e-5),
    }
}

/// Asserts that `got`, values of a `dtype` result computed on `dev`, are `want`: exactly on
/// the CPU, within [`tol_on`] on a GPU.
#[track_caller]
pub fn assert_close_on(dev: &Device, dtype: DType, got: &[f64], want: &[f64], kind: Kind, what: &str) {
    let (rtol, atol) = tol_on(dev, dtype, kind);
    assert_eq!(got.len(), want.len(), "{what} on {dev}: lengths differ: {got:?} vs {want:?}");
    for (i, (&a, &e)) in got.iter().zip(want).enumerate() {
        let ok = a == e || (a.is_nan() && e.is_nan()) || (a - e).abs() <= atol + rtol * e.abs();
        assert!(ok, "{what} on {dev}: element {i}: {a} vs {e} (rtol {rtol}, atol {atol}; all: {got:?} vs {want:?})");
    }
}

/// Asserts `t` lives on `dev` and holds `want` ([`assert_close_on`]).
#[track_caller]
pub fn assert_vals_on(dev: &Device, t: &Tensor, want: &[f64], kind: Kind) {
    assert_close_on(dev, t.dtype(), &vals_on(dev, t), want, kind, "values");
}

/// The device of `inputs` (all on one device).
fn device_of(inputs: &[Tensor]) -> Device {
    inputs.first().map_or(Device::Cpu, |t| t.device().clone())
}

/// An error of a check on `dev`, naming it.
fn named(dev: &Device, e: Error) -> Error {
    Error::new(e.kind(), "gradcheck", format!("on {dev}: {e}"))
}

/// `gradcheck_with` on the device the inputs live on; an error names it.
pub fn gradcheck_with_on(f: &dyn Fn(&[Var]) -> Result<Var>, inputs: &[Tensor], opts: GradcheckOptions) -> Result<()> {
    gradcheck_with(f, inputs, opts).map_err(|e| named(&device_of(inputs), e))
}

/// `gradcheck` on the device the inputs live on.
pub fn gradcheck_on(f: impl Fn(&[Var]) -> Result<Var>, inputs: &[Tensor]) -> Result<()> {
    gradcheck_with_on(&f, inputs, GradcheckOptions::default())
}

/// `gradgradcheck` on the device the inputs live on; an error names it.
pub fn gradgradcheck_on(f: impl Fn(&[Var]) -> Result<Var>, inputs: &[Tensor]) -> Result<()> {
    gradgradcheck(f, inputs).map_err(|e| named(&device_of(inputs), e))
}
