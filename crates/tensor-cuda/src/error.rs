//! CUDA failures as tensor-core errors: driver and cuBLAS errors (allocation failures included)
//! are [`ErrorKind::Device`], NVRTC compile errors carry the compiler log, and what this backend
//! does not do is [`ErrorKind::Unsupported`].

use cudarc::cublas::result::CublasError;
use cudarc::driver::DriverError;
use cudarc::nvrtc::CompileError;
use tensor_core::{Error, ErrorKind};

/// A driver call of `op` failed.
#[track_caller]
pub(crate) fn driver(op: &'static str, e: DriverError) -> Error {
    let name = e.error_name().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|_| format!("{:?}", e.0));
    let text = e.error_string().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    Error::new(ErrorKind::Device, op, format!("CUDA driver error {name}: {text}"))
}

/// An allocation of `bytes` failed.
#[track_caller]
pub(crate) fn alloc(op: &'static str, bytes: usize, e: DriverError) -> Error {
    let inner = driver(op, e);
    Error::new(ErrorKind::Device, op, format!("allocating {bytes} bytes on the GPU failed: {}", inner.message()))
}

/// A cuBLAS call of `op` failed.
#[track_caller]
pub(crate) fn cublas(op: &'static str, e: CublasError) -> Error {
    Error::new(ErrorKind::Device, op, format!("cuBLAS error {:?}", e.0))
}

/// NVRTC could not compile the kernels of `family`.
#[track_caller]
pub(crate) fn compile_err(family: &'static str, e: CompileError) -> Error {
    let msg = match e {
        CompileError::CompileError { nvrtc, log, .. } => {
            format!("NVRTC failed ({:?}) to compile the {family} kernels:\n{}", nvrtc.0, log.to_string_lossy())
        }
        other => format!("NVRTC failed on the {family} kernels: {other:?}"),
    };
    Error::new(ErrorKind::Device, "nvrtc", msg)
}

/// Something this backend does not do.
#[track_caller]
pub(crate) fn unsupported(op: &'static str, msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::Unsupported, op, msg)
}

/// A dtype the op does not take.
#[track_caller]
pub(crate) fn dtype(op: &'static str, msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::DType, op, msg)
}
