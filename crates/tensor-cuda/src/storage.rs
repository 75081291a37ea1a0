//! [`CudaStorage`]: a tensor's elements in GPU memory, and its [`BackendStorage`] impl, which
//! hands each op to the family that implements it (`ops/<family>.rs`).
//!
//! The elements are one untyped device buffer plus the dtype (bool as one byte 0/1, f16 and
//! bf16 as their 16 bits); kernels get raw device pointers and pick their element type by name.
//! The buffer is allocated from the stream-ordered pool and freed in stream order on drop, so a
//! storage dropped while a kernel still reads it stays valid until that kernel is done.

use crate::device::CudaDevice;
use crate::error;

use cudarc::driver::{CudaSlice, DevicePtr, DevicePtrMut};
use std::any::Any;
use std::fmt;
use std::sync::Arc;
use tensor_core::backend::{Storage, StorageBase};

use tensor_core::{DType, Error, ErrorKind, Result, ResultExt};

/// The elements of one tensor storage on a CUDA device.
pub struct CudaStorage {
    pub(crate) dev: Arc<CudaDevice>,
    buf: CudaSlice<u8>,
    len: usize,
    dtype: DType,
}

impl fmt::Debug for CudaStorage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CudaStorage(cuda:{}, {} x {})", self.dev.ordinal(), self.len, self.dtype)
    }
}

/// Bytes to allocate for `len` elements of `dtype`: rounded up to a multiple of 8 and at least
/// 8 (the driver refuses empty allocations; atomics on sub-word elements update whole aligned
/// 32-bit words, which must lie inside the buffer); an error for a host-only dtype.
#[track_caller]
fn bytes_of(op: &'static str, dtype: DType, len: usize) -> Result<usize> {
    if !dtype.has_kernels() {
        // Every device storage is allocated here, so none of a host-only dtype exists.
        return Err(Error::new(
            ErrorKind::DType,
            op,
            format!(
                "{dtype} tensors stay on the CPU (the CUDA kernels are built for bool, uint8, int32, int64 and the floats): convert with to_dtype first"
            ),
        ))
        .located();
    }
    len.checked_mul(dtype.size_in_bytes())
        .and_then(|b| b.max(1).checked_next_multiple_of(8))
        .ok_or_else(|| {
            Error::new(ErrorKind::Value, op, format!("{len} elements of {dtype} overflow the address space"))
        })
        .located()
}

impl CudaStorage {
    /// `len` elements of `dtype` whose values the caller writes before reading.
    #[track_caller]
    pub(crate) fn alloc(dev: &Arc<CudaDevice>, dtype: DType, len: usize) -> Result<Self> {
        let bytes = bytes_of("empty", dtype, len)?;
        // SAFETY: the buffer is uninitialised bytes; every op that returns an `alloc`ed storage
        // writes all `len` elements before anything reads them.
        let buf = unsafe { dev.stream().alloc::<u8>(bytes) }.map_err(|e| error::alloc("empty", bytes, e)).located()?;
        Ok(CudaStorage { dev: dev.clone(), buf, len, dtype })
    }
    /// `len` zeros of `dtype` (all-zero bits are zero, false or +0.0 in every dtype).
    #[track_caller]
    pub(crate) fn zeros(dev: &Arc<CudaDevice>, dtype: DType, len: usize) -> Result<Self> {
        let bytes = bytes_of("zeros", dtype, len)?;
        let buf = dev.stream().alloc_zeros::<u8>(bytes).map_err(|e| error::alloc("zeros", bytes, e)).located()?;
        Ok(CudaStorage { dev: dev.clone(), buf, len, dtype })
    }
    /// The dtype.
    pub fn dtype(&self) -> DType {
        self.dtype
    }
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.len
    }
    /// True when it holds no element.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// The device buffer.
    pub(crate) fn buf(&self) -> &CudaSlice<u8> {
        &self.buf
    }
    /// The device buffer, for writing.
    pub(crate) fn buf_mut(&mut self) -> &mut CudaSlice<u8> {
        &mut self.buf
    }
    /// The device address of element 0, for reading in a kernel.
    pub(crate) fn ptr(&self) -> u64 {
        let (p, _record) = self.buf.device_ptr(self.dev.stream());
        p
    }
    /// The device address of element 0, for writing in a kernel.
    pub(crate) fn ptr_mut(&mut self) -> u64 {
        let (p, _record) = self.buf.device_ptr_mut(self.dev.stream());
        p
    }
}

/// Downcasts a backend storage to a CUDA storage on `dev`'s device, or errors naming `op`.
#[track_caller]
pub(crate) fn cuda_of<'a>(op: &'static str, s: &'a Storage, dev: &CudaDevice) -> Result<&'a CudaStorage> {
    match s.as_any().downcast_ref::<CudaStorage>() {
        Some(c) if c.dev.ordinal() == dev.ordinal() => Ok(c),
        Some(c) => Err(Error::new(
            ErrorKind::Device,
            op,
            format!("expected a tensor on cuda:{}, got one on cuda:{}", dev.ordinal(), c.dev.ordinal()),
        )),
        None => Err(Error::new(
            ErrorKind::Device,
            op,
            format!("expected a tensor on cuda:{}, got one on {}", dev.ordinal(), s.backend_name()),
        )),
    }
}

/// Errors unless `a` and `b` have one dtype.
#[track_caller]
pub(crate) fn same_dtype(op: &'static str, a: DType, b: DType) -> Result<()> {
    if a != b {
        return Err(error::dtype(op, format!("expected two tensors of one dtype, got {a} and {b}")));
    }
    Ok(())
}

impl StorageBase for CudaStorage {
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
    fn backend_name(&self) -> String {
        format!("cuda:{}", self.dev.ordinal())
    }
    fn dtype(&self) -> DType {
        self.dtype
    }
    fn len(&self) -> usize {
        self.len
    }
}
