//! Device discovery never panics: without a driver `is_available()` is false, `device_count()`
//! is 0 and `cuda(0)` is an error; with a GPU they agree with each other.

use crate::common;

use tensor_core::{Device, ErrorKind};

#[test]
fn availability_functions_agree_and_never_panic() {
    let n = tensor_cuda::device_count();
    assert_eq!(tensor_cuda::is_available(), n > 0);
    match tensor_cuda::cuda(0) {
        Ok(d) => {
            assert!(n > 0, "cuda(0) opened a device but device_count() is 0");
            assert!(d.is_cuda());
            assert_eq!(d.name(), "cuda:0");
            // The same device again: equal handles.
            assert_eq!(tensor_cuda::cuda(0).unwrap(), d);
            assert_ne!(d, Device::Cpu);
        }
        Err(e) => {
            assert_eq!(n, 0, "device_count() is {n} but cuda(0) failed: {e}");
            assert_eq!(e.kind(), ErrorKind::Device);
        }
    }
    // An ordinal past the last device is always an error, never a panic.
    let past = tensor_cuda::cuda(n);
    assert!(past.is_err());
    assert_eq!(past.unwrap_err().kind(), ErrorKind::Device);
    if std::env::var("TENSOR_REQUIRE_CUDA").is_ok_and(|v| v == "1") {
        assert!(tensor_cuda::is_available(), "TENSOR_REQUIRE_CUDA=1 but no CUDA device is available");
    }
}

#[test]
fn device_synchronizes_and_names_itself() {
    let Some(gpu) = common::cuda_or_skip() else { return };
    gpu.synchronize().unwrap();
    assert_eq!(format!("{gpu}"), "cuda:0");
}
