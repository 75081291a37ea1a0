//! Unary ops (`unary`, `unary_inplace`) and tests (`isnan`, ...): every [`UnaryOp`] for the float
//! dtypes; for integers the ops tensor-core's CPU kernels take (neg, abs, sign, relu, square,
//! clamp, and the rounding ops and nan_to_num as the identity); bool is refused, as on the CPU.

use super::copy::check_extent;
use super::launch;
use crate::error;
use crate::kernels::{contiguous_strides, grid, plan, suffix, to_i64, Family};
use crate::storage::CudaStorage;
use cudarc::driver::DeviceRepr;
use tensor_core::backend::{Storage, UnaryOps};
use tensor_core::backend::{TestOp, UnaryOp};
use tensor_core::{DType, Layout, Result};

impl UnaryOps<Storage> for CudaStorage {
    #[track_caller]
    fn unary(&self, layout: &Layout, op: UnaryOp) -> Result<Storage> {
        unary(self, layout, op).map(Storage::new)
    }
    #[track_caller]
    fn unary_inplace(&mut self, layout: &Layout, op: UnaryOp) -> Result<()> {
        unary_inplace(self, layout, op)
    }
    #[track_caller]
    fn test(&self, layout: &Layout, op: TestOp) -> Result<Storage> {
        test(self, layout, op).map(Storage::new)
    }
}

/// The kernel's op argument; `#[repr(C)]` as `UParams` in `unary.cu`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
#[allow(dead_code)] // the fields are read on the device
struct UnaryParams {
    op: i32,
    flags: i32,
    p0: f64,
    p1: f64,
    p2: f64,
    lo: i64,
    hi: i64,
}

// SAFETY: a plain `#[repr(C)]` struct of numbers with the layout of `UParams` (two i32, then
// 8-byte fields).
unsafe impl DeviceRepr for UnaryParams {}

/// The op's number in `unary.cu` and its float parameters.
fn code(op: UnaryOp) -> (i32, [f64; 3]) {
    use UnaryOp::*;
    match op {
        Neg => (0, [0.0; 3]),
        Abs => (1, [0.0; 3]),
        Sign => (2, [0.0; 3]),
        Exp => (3, [0.0; 3]),
        Exp2 => (4, [0.0; 3]),
        Log => (5, [0.0; 3]),
        Log2 => (6, [0.0; 3]),
        Log1p => (7, [0.0; 3]),
        Expm1 => (8, [0.0; 3]),
        Sqrt => (9, [0.0; 3]),
        Rsqrt => (10, [0.0; 3]),
        Sin => (11, [0.0; 3]),
        Cos => (12, [0.0; 3]),
        Tan => (13, [0.0; 3]),
        Tanh => (14, [0.0; 3]),
        Sigmoid => (15, [0.0; 3]),
        Relu => (16, [0.0; 3]),
        Gelu => (17, [0.0; 3]),
        GeluTanh => (18, [0.0; 3]),
        Silu => (19, [0.0; 3]),
        Softplus { beta, threshold } => (20, [beta, threshold, 0.0]),
        Floor => (21, [0.0; 3]),
        Ceil => (22, [0.0; 3]),
        Round => (23, [0.0; 3]),
        Trunc => (24, [0.0; 3]),
        Reciprocal => (25, [0.0; 3]),
        Square => (26, [0.0; 3]),
        Erf => (27, [0.0; 3]),
        Clamp { min, max } => (28, [min.unwrap_or(0.0), max.unwrap_or(0.0), 0.0]),
        NanToNum { nan, posinf, neginf } => (29, [nan, posinf, neginf]),
        LeakyRelu { slope } => (30, [slope, 0.0, 0.0]),
    }
}

/// The integer range of `dtype`.
fn int_range(dtype: DType) -> (i64, i64) {
    match dtype {
        DType::U8 => (0, u8::MAX as i64),
        DType::I32 => (i32::MIN as i64, i32::MAX as i64),
        _ => (i64::MIN, i64::MAX),
    }
}

/// Checks that `dtype` takes `op` and builds the kernel's parameters.
#[track_caller]
fn params(dtype: DType, op: UnaryOp) -> Result<UnaryParams> {
    if dtype == DType::Bool || (dtype.is_int() && op.needs_float()) {
        return Err(error::dtype("unary", format!("{op:?} is not implemented for {dtype}")));
    }
    let (code, [p0, p1, p2]) = code(op);
    let mut p = UnaryParams { op: code, p0, p1, p2, ..Default::default() };
    if let UnaryOp::Clamp { min, max } = op {
        p.flags = min.is_some() as i32 | ((max.is_some() as i32) << 1);
        if dtype.is_int() {
            // Bounds compare as numbers (a uint8 clamped to min=-1 is unchanged): bring them
            // into the dtype's range, as the CPU kernel does.
            let (lo, hi) = int_range(dtype);
            let range = |m: f64| m.max(lo as f64).min(hi as f64) as i64;
            p.lo = min.map_or(lo, |m| range(m.ceil()));
            p.hi = max.map_or(hi, |m| range(m.floor()));
        }
    }
    Ok(p)
}

/// `dst[dl] = op(src[sl])`; `dst` may be `src` itself with `dl == sl` (in place).
#[track_caller]
fn launch_unary(
    dst_ptr: u64,
    dl_strides: &[usize],
    dl_offset: usize,
    src: &CudaStorage,
    sl: &Layout,
    p: UnaryParams,
) -> Result<()> {
    let n = sl.numel();
    let (d, [so, sx]) = plan("unary", sl.dims(), [dl_strides, sl.strides()], [dl_offset, sl.offset()])?;
    let name = format!("unary_{}", suffix(src.dtype()));
    let (xp, n64) = (src.ptr(), to_i64("unary", n)?);
    // unary_<T>(T* out, KStrides so, const T* x, KStrides sx, KDims d, i64 n, UParams p)
    launch!(src.dev, Family::Unary, name, grid(n), "unary"; &dst_ptr, &so, &xp, &sx, &d, &n64, &p)
}

/// `op(src[layout])` as a new contiguous storage.
#[track_caller]
pub(crate) fn unary(src: &CudaStorage, layout: &Layout, op: UnaryOp) -> Result<CudaStorage> {
    let p = params(src.dtype(), op)?;
    let n = layout.numel();
    let mut out = CudaStorage::alloc(&src.dev, src.dtype(), n)?;
    if n == 0 {
        return Ok(out);
    }
    check_extent("unary", layout, src)?;
    let strides = contiguous_strides(layout.dims());
    launch_unary(out.ptr_mut(), &strides, 0, src, layout, p)?;
    Ok(out)
}

/// `src[layout] = op(src[layout])`.
#[track_caller]
pub(crate) fn unary_inplace(src: &mut CudaStorage, layout: &Layout, op: UnaryOp) -> Result<()> {
    let p = params(src.dtype(), op)?;
    if layout.numel() == 0 {
        return Ok(());
    }
    check_extent("unary_", layout, src)?;
    let dst = src.ptr_mut();
    launch_unary(dst, layout.strides(), layout.offset(), src, layout, p)
}

/// `test(src[layout])` as a new contiguous Bool storage.
#[track_caller]
pub(crate) fn test(src: &CudaStorage, layout: &Layout, op: TestOp) -> Result<CudaStorage> {
    let n = layout.numel();
    let mut out = CudaStorage::alloc(&src.dev, DType::Bool, n)?;
    if n == 0 {
        return Ok(out);
    }
    check_extent("test", layout, src)?;
    let code: i32 = match op {
        TestOp::IsNan => 0,
        TestOp::IsInf => 1,
        TestOp::IsFinite => 2,
        TestOp::IsZero => 3,
    };
    let (d, [sx]) = plan("test", layout.dims(), [layout.strides()], [layout.offset()])?;
    let name = format!("test_{}", suffix(src.dtype()));
    let (op_ptr, xp, n64) = (out.ptr_mut(), src.ptr(), to_i64("test", n)?);
    // test_<T>(bool* out, const T* x, KStrides sx, KDims d, i64 n, int op)
    launch!(src.dev, Family::Unary, name, grid(n), "test"; &op_ptr, &xp, &sx, &d, &n64, &code)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_refuse_what_the_cpu_refuses() {
        assert!(params(DType::Bool, UnaryOp::Neg).is_err());
        assert!(params(DType::I32, UnaryOp::Exp).is_err());
        assert!(params(DType::I32, UnaryOp::Abs).is_ok());
        assert!(params(DType::F16, UnaryOp::Gelu).is_ok());
    }

    #[test]
    fn integer_clamp_bounds_are_brought_into_range() {
        let p = params(DType::U8, UnaryOp::Clamp { min: Some(-1.0), max: Some(300.5) }).unwrap();
        assert_eq!((p.flags, p.lo, p.hi), (3, 0, 255));
        let p = params(DType::I64, UnaryOp::Clamp { min: None, max: Some(2.5) }).unwrap();
        assert_eq!((p.flags, p.hi), (2, 2));
        assert_eq!(std::mem::size_of::<UnaryParams>(), 48);
    }
}
