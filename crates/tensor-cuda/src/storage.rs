//! [`CudaStorage`]: a tensor's elements in GPU memory, and its [`BackendStorage`] impl, which
//! hands each op to the family that implements it (`ops/<family>.rs`).
//!
//! The elements are one untyped device buffer plus the dtype (bool as one byte 0/1, f16 and
//! bf16 as their 16 bits); kernels get raw device pointers and pick their element type by name.
//! The buffer is allocated from the stream-ordered pool and freed in stream order on drop, so a
//! storage dropped while a kernel still reads it stays valid until that kernel is done.

use crate::device::CudaDevice;
use crate::error;
use crate::ops;
use cudarc::driver::{CudaSlice, DevicePtr, DevicePtrMut};
use std::any::Any;
use std::fmt;
use std::sync::Arc;
use tensor_core::backend::*;
use tensor_core::cpu::CpuStorage;
use tensor_core::{DType, Error, ErrorKind, Layout, Result, Scalar};

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
/// 32-bit words, which must lie inside the buffer).
fn bytes_of(op: &'static str, dtype: DType, len: usize) -> Result<usize> {
    len.checked_mul(dtype.size_in_bytes()).and_then(|b| b.max(1).checked_next_multiple_of(8)).ok_or_else(|| {
        Error::new(ErrorKind::Value, op, format!("{len} elements of {dtype} overflow the address space"))
    })
}

impl CudaStorage {
    /// `len` elements of `dtype` whose values the caller writes before reading.
    pub(crate) fn alloc(dev: &Arc<CudaDevice>, dtype: DType, len: usize) -> Result<Self> {
        let bytes = bytes_of("empty", dtype, len)?;
        // SAFETY: the buffer is uninitialised bytes; every op that returns an `alloc`ed storage
        // writes all `len` elements before anything reads them.
        let buf = unsafe { dev.stream().alloc::<u8>(bytes) }.map_err(|e| error::alloc("empty", bytes, e))?;
        Ok(CudaStorage { dev: dev.clone(), buf, len, dtype })
    }
    /// `len` zeros of `dtype` (all-zero bits are zero, false or +0.0 in every dtype).
    pub(crate) fn zeros(dev: &Arc<CudaDevice>, dtype: DType, len: usize) -> Result<Self> {
        let bytes = bytes_of("zeros", dtype, len)?;
        let buf = dev.stream().alloc_zeros::<u8>(bytes).map_err(|e| error::alloc("zeros", bytes, e))?;
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
pub(crate) fn cuda_of<'a>(op: &'static str, s: &'a dyn BackendStorage, dev: &CudaDevice) -> Result<&'a CudaStorage> {
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
pub(crate) fn same_dtype(op: &'static str, a: DType, b: DType) -> Result<()> {
    if a != b {
        return Err(error::dtype(op, format!("expected two tensors of one dtype, got {a} and {b}")));
    }
    Ok(())
}

fn boxed(s: CudaStorage) -> Box<dyn BackendStorage> {
    Box::new(s)
}

impl BackendStorage for CudaStorage {
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
    fn to_cpu(&self, layout: &Layout) -> Result<CpuStorage> {
        ops::copy::to_cpu(self, layout)
    }
    fn cast(&self, layout: &Layout, dtype: DType) -> Result<Box<dyn BackendStorage>> {
        ops::copy::cast(self, layout, dtype).map(boxed)
    }
    fn copy_from(&mut self, dst_layout: &Layout, src: &dyn BackendStorage, src_layout: &Layout) -> Result<()> {
        ops::copy::copy_from(self, dst_layout, src, src_layout)
    }
    fn fill(&mut self, layout: &Layout, value: Scalar) -> Result<()> {
        ops::copy::fill(self, layout, value)
    }
    fn unary(&self, layout: &Layout, op: UnaryOp) -> Result<Box<dyn BackendStorage>> {
        ops::unary::unary(self, layout, op).map(boxed)
    }
    fn unary_inplace(&mut self, layout: &Layout, op: UnaryOp) -> Result<()> {
        ops::unary::unary_inplace(self, layout, op)
    }
    fn test(&self, layout: &Layout, op: TestOp) -> Result<Box<dyn BackendStorage>> {
        ops::unary::test(self, layout, op).map(boxed)
    }
    fn binary(
        &self,
        layout: &Layout,
        rhs: &dyn BackendStorage,
        rhs_layout: &Layout,
        op: BinaryOp,
    ) -> Result<Box<dyn BackendStorage>> {
        let rhs = cuda_of("binary", rhs, &self.dev)?;
        ops::binary::binary(self, layout, rhs, rhs_layout, op).map(boxed)
    }
    fn binary_inplace(
        &mut self,
        layout: &Layout,
        rhs: &dyn BackendStorage,
        rhs_layout: &Layout,
        op: BinaryOp,
    ) -> Result<()> {
        let rhs = cuda_of("binary", rhs, &self.dev)?;
        ops::binary::binary_inplace(self, layout, rhs, rhs_layout, op)
    }
    fn binary_scalar(&self, layout: &Layout, s: Scalar, op: BinaryOp) -> Option<Result<Box<dyn BackendStorage>>> {
        Some(ops::binary::binary_scalar(self, layout, s, op).map(boxed))
    }
    fn binary_scalar_inplace(&mut self, layout: &Layout, s: Scalar, op: BinaryOp) -> Option<Result<()>> {
        Some(ops::binary::binary_scalar_inplace(self, layout, s, op))
    }
    fn binary_into(
        &mut self,
        dst_layout: &Layout,
        lhs: &dyn BackendStorage,
        lhs_layout: &Layout,
        rhs: &dyn BackendStorage,
        rhs_layout: &Layout,
        op: BinaryOp,
    ) -> Result<()> {
        let lhs = cuda_of("binary", lhs, &self.dev)?;
        let rhs = cuda_of("binary", rhs, &self.dev)?;
        ops::binary::binary_into(self, dst_layout, lhs, lhs_layout, rhs, rhs_layout, op)
    }
    fn cmp(
        &self,
        layout: &Layout,
        rhs: &dyn BackendStorage,
        rhs_layout: &Layout,
        op: CmpOp,
    ) -> Result<Box<dyn BackendStorage>> {
        let rhs = cuda_of("cmp", rhs, &self.dev)?;
        ops::binary::cmp(self, layout, rhs, rhs_layout, op).map(boxed)
    }
    fn where_cond(
        &self,
        layout: &Layout,
        on_true: &dyn BackendStorage,
        true_layout: &Layout,
        on_false: &dyn BackendStorage,
        false_layout: &Layout,
    ) -> Result<Box<dyn BackendStorage>> {
        let t = cuda_of("where", on_true, &self.dev)?;
        let f = cuda_of("where", on_false, &self.dev)?;
        ops::binary::where_cond(self, layout, t, true_layout, f, false_layout).map(boxed)
    }
    fn reduce(&self, layout: &Layout, dims: &[usize], op: ReduceOp) -> Result<Box<dyn BackendStorage>> {
        ops::reduce::reduce(self, layout, dims, op).map(boxed)
    }
    fn matmul_into(
        &mut self,
        dst_layout: &Layout,
        lhs: &dyn BackendStorage,
        lhs_layout: &Layout,
        rhs: &dyn BackendStorage,
        rhs_layout: &Layout,
        alpha: f64,
        beta: f64,
    ) -> Result<()> {
        let lhs = cuda_of("matmul", lhs, &self.dev)?;
        let rhs = cuda_of("matmul", rhs, &self.dev)?;
        ops::matmul::matmul_into(self, dst_layout, lhs, lhs_layout, rhs, rhs_layout, alpha, beta)
    }
    fn index_select(
        &self,
        layout: &Layout,
        dim: usize,
        indices: &dyn BackendStorage,
        il: &Layout,
    ) -> Result<Box<dyn BackendStorage>> {
        let indices = cuda_of("index_select", indices, &self.dev)?;
        ops::index::index_select(self, layout, dim, indices, il).map(boxed)
    }
    fn gather(
        &self,
        layout: &Layout,
        dim: usize,
        index: &dyn BackendStorage,
        il: &Layout,
    ) -> Result<Box<dyn BackendStorage>> {
        let index = cuda_of("gather", index, &self.dev)?;
        ops::index::gather(self, layout, dim, index, il).map(boxed)
    }
    fn scatter_inplace(
        &mut self,
        layout: &Layout,
        dim: usize,
        index: &dyn BackendStorage,
        il: &Layout,
        src: &dyn BackendStorage,
        sl: &Layout,
        reduce: ScatterReduce,
    ) -> Result<()> {
        let index = cuda_of("scatter", index, &self.dev)?;
        let src = cuda_of("scatter", src, &self.dev)?;
        ops::index::scatter_inplace(self, layout, dim, index, il, src, sl, reduce)
    }
    fn index_add_inplace(
        &mut self,
        layout: &Layout,
        dim: usize,
        indices: &dyn BackendStorage,
        il: &Layout,
        src: &dyn BackendStorage,
        sl: &Layout,
    ) -> Result<()> {
        let indices = cuda_of("index_add", indices, &self.dev)?;
        let src = cuda_of("index_add", src, &self.dev)?;
        ops::index::index_add_inplace(self, layout, dim, indices, il, src, sl)
    }
    fn im2col(&self, layout: &Layout, g: &Conv2dGeometry) -> Result<Box<dyn BackendStorage>> {
        ops::conv::im2col(self, layout, g).map(boxed)
    }
    fn col2im(&self, layout: &Layout, g: &Conv2dGeometry) -> Result<Box<dyn BackendStorage>> {
        ops::conv::col2im(self, layout, g).map(boxed)
    }
    fn conv2d(
        &self,
        layout: &Layout,
        w: &dyn BackendStorage,
        wl: &Layout,
        g: &Conv2dGeometry,
        groups: usize,
    ) -> Result<Box<dyn BackendStorage>> {
        let w = cuda_of("conv2d", w, &self.dev)?;
        ops::conv::conv2d(self, layout, w, wl, g, groups).map(boxed)
    }
    fn conv2d_backward_input(
        &self,
        layout: &Layout,
        w: &dyn BackendStorage,
        wl: &Layout,
        g: &Conv2dGeometry,
        groups: usize,
    ) -> Result<Box<dyn BackendStorage>> {
        let w = cuda_of("conv2d_backward_input", w, &self.dev)?;
        ops::conv::conv2d_backward_input(self, layout, w, wl, g, groups).map(boxed)
    }
    fn conv2d_backward_weight(
        &self,
        layout: &Layout,
        x: &dyn BackendStorage,
        xl: &Layout,
        g: &Conv2dGeometry,
        groups: usize,
        out_channels: usize,
    ) -> Result<Box<dyn BackendStorage>> {
        let x = cuda_of("conv2d_backward_weight", x, &self.dev)?;
        ops::conv::conv2d_backward_weight(self, layout, x, xl, g, groups, out_channels).map(boxed)
    }
    fn max_pool2d(
        &self,
        layout: &Layout,
        g: &Conv2dGeometry,
    ) -> Result<(Box<dyn BackendStorage>, Box<dyn BackendStorage>)> {
        let (v, i) = ops::pool::max_pool2d(self, layout, g)?;
        Ok((boxed(v), boxed(i)))
    }
    fn max_pool2d_backward(
        &self,
        layout: &Layout,
        indices: &dyn BackendStorage,
        il: &Layout,
        g: &Conv2dGeometry,
    ) -> Result<Box<dyn BackendStorage>> {
        let indices = cuda_of("max_pool2d_backward", indices, &self.dev)?;
        ops::pool::max_pool2d_backward(self, layout, indices, il, g).map(boxed)
    }
    fn avg_pool2d(
        &self,
        layout: &Layout,
        g: &Conv2dGeometry,
        count_include_pad: bool,
    ) -> Result<Box<dyn BackendStorage>> {
        ops::pool::avg_pool2d(self, layout, g, count_include_pad).map(boxed)
    }
    fn avg_pool2d_backward(
        &self,
        layout: &Layout,
        g: &Conv2dGeometry,
        count_include_pad: bool,
    ) -> Result<Box<dyn BackendStorage>> {
        ops::pool::avg_pool2d_backward(self, layout, g, count_include_pad).map(boxed)
    }
}
