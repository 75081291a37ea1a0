//! Helpers for test suites that run on the GPU: tensor-cuda's own suite and the `cuda` tests of
//! tensor-autograd and tensor-nn (CPU against CUDA), and the device-generic test bodies of
//! tensor-core, tensor-autograd and tensor-nn ([`devices`]: one body, run on every device), so
//! that every suite skips and fails alike.
//!
//! The contract: without a usable GPU a test prints `skipping: no CUDA device (...)` and
//! passes (a device-generic body still runs on the CPU), unless `TENSOR_REQUIRE_CUDA=1` is set
//! (as on the GPU machine), where it fails.

use std::sync::OnceLock;
use tensor_core::{DType, Device, Tensor};

/// The first GPU, or `None` after printing why the test is skipped. With
/// `TENSOR_REQUIRE_CUDA=1` set, a missing GPU panics (fails the test) instead.
pub fn cuda_or_skip() -> Option<Device> {
    match crate::cuda(0) {
        Ok(d) => Some(d),
        Err(e) => {
            if std::env::var("TENSOR_REQUIRE_CUDA").is_ok_and(|v| v == "1") {
                panic!("TENSOR_REQUIRE_CUDA=1 but no CUDA device is usable: {e}");
            }
            eprintln!("skipping: no CUDA device ({e})");
            None
        }
    }
}

/// The devices a device-generic test body runs on: the CPU, then the first GPU when
/// [`cuda_or_skip`] finds one. The GPU is probed once per process, so a test binary prints the
/// skip line once.
pub fn devices() -> Vec<Device> {
    static GPU: OnceLock<Option<Device>> = OnceLock::new();
    let gpu = GPU.get_or_init(cuda_or_skip);
    std::iter::once(Device::Cpu).chain(gpu.clone()).collect()
}

/// The number of proptest cases to run for a test written with `cases`: all of them, unless
/// `TENSOR_TEST_CASES_MAX` caps them (the GPU machine's runner does: its minutes are few, and
/// CI runs every case on the CPU). The cases drawn are the same, only fewer.
pub fn proptest_cases(cases: u32) -> u32 {
    match std::env::var("TENSOR_TEST_CASES_MAX").ok().and_then(|v| v.parse::<u32>().ok()) {
        Some(max) => cases.min(max.max(1)),
        None => cases,
    }
}

/// Runs `body` once per device of [`devices`]; a failure's message is prefixed with the device
/// it failed on (`on cuda:0: ...`), so a plain assertion in the body names it.
pub fn on_each_device(mut body: impl FnMut(&Device)) {
    use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
    for dev in devices() {
        if let Err(p) = catch_unwind(AssertUnwindSafe(|| body(&dev))) {
            let msg = p.downcast_ref::<String>().cloned().or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()));
            match msg {
                Some(msg) => panic!("on {dev}: {msg}"),
                None => resume_unwind(p),
            }
        }
    }
}

/// True when tensors of `dtype` can live on `dev`: every dtype on the CPU; on a GPU the eight
/// with kernels (int8, int16 and uint16/32/64 stay on the host: uploads refuse them).
pub fn holds(dev: &Device, dtype: DType) -> bool {
    dev.is_cpu() || !matches!(dtype, DType::I8 | DType::I16 | DType::U16 | DType::U32 | DType::U64)
}

/// Asserts that an op's result lives on the device its inputs were on.
#[track_caller]
pub fn assert_on(t: &Tensor, dev: &Device) {
    assert_eq!(t.device(), dev, "the result is on {}, not on {dev}", t.device());
}

/// `(rtol, atol)` for results of `dtype` computed by different but correct kernels (a GPU's sums
/// in another order, CUDA's libm): exact for integers and bool.
pub fn tol(dtype: DType) -> (f64, f64) {
    match dtype {
        DType::F64 => (1e-12, 1e-12),
        DType::F32 => (1e-5, 1e-6),
        DType::F16 => (4e-3, 1e-3),
        DType::BF16 => (1.6e-2, 1e-2),
        _ => (0.0, 0.0),
    }
}

/// The elements of `t` (on any device) as f64, on the host.
pub fn host_f64(t: &Tensor) -> Vec<f64> {
    t.to_device(&Device::Cpu).unwrap().to_dtype(DType::F64).unwrap().to_vec::<f64>().unwrap()
}

/// Asserts that `gpu` (a CUDA tensor) matches `want` (a CPU tensor): same shape and dtype,
/// values within `rtol`/`atol` as PyTorch's `assert_close` (NaN equals NaN, infinities must be
/// equal), and int64 values exactly (f64 cannot hold all of them).
#[track_caller]
pub fn assert_close(what: &str, want: &Tensor, gpu: &Tensor, rtol: f64, atol: f64) {
    assert!(gpu.device().is_cuda(), "{what}: the result is on {}, not on the GPU", gpu.device());
    assert_eq!(gpu.size(), want.size(), "{what}: shapes differ");
    assert_eq!(gpu.dtype(), want.dtype(), "{what}: dtypes differ");
    let (w, g) = (host_f64(want), host_f64(gpu));
    for (i, (&a, &b)) in w.iter().zip(&g).enumerate() {
        let ok = (a.is_nan() && b.is_nan()) || a == b || (a - b).abs() <= atol + rtol * a.abs();
        assert!(ok, "{what}: element {i}: cpu {a} vs cuda {b} (rtol {rtol}, atol {atol})\ncpu:  {w:?}\ncuda: {g:?}");
    }
    if want.dtype() == DType::I64 {
        let w = want.to_vec::<i64>().unwrap();
        let g = gpu.to_device(&Device::Cpu).unwrap().to_vec::<i64>().unwrap();
        assert_eq!(w, g, "{what}: int64 values differ");
    }
}
