//! Copies: host → device (`upload`), device → host (`to_cpu`, gathering strided layouts on the
//! device first), strided copies and casts between any dtypes (`cast`, `copy_from`), and fills.
//! Casts follow tensor-core's CPU casts exactly (through f64, int64 directly, half types
//! through float).

use super::launch;
use crate::device::CudaDevice;
use crate::error;
use crate::kernels::{grid, plan, suffix, to_i64, Family};
use crate::storage::CudaStorage;
use std::borrow::Cow;
use std::sync::Arc;

use tensor_core::backend::{CopyOps, Storage};
use tensor_core::cpu::CpuStorage;
use tensor_core::{DType, Error, ErrorKind, Layout, Result, ResultExt, Scalar};

impl CopyOps<Storage> for CudaStorage {
    #[track_caller]
    fn to_cpu(&self, layout: &Layout) -> Result<CpuStorage> {
        to_cpu(self, layout)
    }
    #[track_caller]
    fn cast(&self, layout: &Layout, dtype: DType) -> Result<Storage> {
        cast(self, layout, dtype).map(Storage::new)
    }
    #[track_caller]
    fn copy_from(&mut self, dst_layout: &Layout, src: &Storage, src_layout: &Layout) -> Result<()> {
        copy_from(self, dst_layout, src, src_layout)
    }
    #[track_caller]
    fn fill(&mut self, layout: &Layout, value: Scalar) -> Result<()> {
        fill(self, layout, value)
    }
}

/// Errors unless every element `layout` addresses lies inside `s` (tensor-core guarantees it;
/// checked here too, as a kernel reading past a buffer would be undefined behaviour).
#[track_caller]
pub(crate) fn check_extent(op: &'static str, layout: &Layout, s: &CudaStorage) -> Result<()> {
    if layout.max_extent() > s.len() {
        return Err(Error::new(
            ErrorKind::Index,
            op,
            format!("layout {:?} reaches past the storage of {} elements", layout, s.len()),
        ));
    }
    Ok(())
}

/// The bytes of a host storage as the device holds them (bool as 0/1 bytes).
fn host_bytes(src: &CpuStorage) -> Cow<'_, [u8]> {
    match src {
        CpuStorage::Bool(v) => Cow::Owned(v.iter().map(|&b| b as u8).collect()),
        CpuStorage::U8(v) => Cow::Borrowed(v.as_slice()),
        CpuStorage::I32(v) => Cow::Borrowed(bytemuck::cast_slice(v.as_slice())),
        CpuStorage::I64(v) => Cow::Borrowed(bytemuck::cast_slice(v.as_slice())),
        CpuStorage::I8(v) => Cow::Borrowed(bytemuck::cast_slice(v.as_slice())),
        CpuStorage::I16(v) => Cow::Borrowed(bytemuck::cast_slice(v.as_slice())),
        CpuStorage::U16(v) => Cow::Borrowed(bytemuck::cast_slice(v.as_slice())),
        CpuStorage::U32(v) => Cow::Borrowed(bytemuck::cast_slice(v.as_slice())),
        CpuStorage::U64(v) => Cow::Borrowed(bytemuck::cast_slice(v.as_slice())),
        CpuStorage::F16(v) => Cow::Borrowed(bytemuck::cast_slice(v.as_slice())),
        CpuStorage::BF16(v) => Cow::Borrowed(bytemuck::cast_slice(v.as_slice())),
        CpuStorage::F32(v) => Cow::Borrowed(bytemuck::cast_slice(v.as_slice())),
        CpuStorage::F64(v) => Cow::Borrowed(bytemuck::cast_slice(v.as_slice())),
    }
}

/// Copies a host storage to the device.
#[track_caller]
pub(crate) fn upload(dev: &Arc<CudaDevice>, src: &CpuStorage) -> Result<CudaStorage> {
    let dtype = src.dtype();
    let bytes = host_bytes(src);
    if bytes.is_empty() {
        return CudaStorage::zeros(dev, dtype, 0);
    }
    let mut out = CudaStorage::alloc(dev, dtype, src.len())?;
    let mut view = out
        .buf_mut()
        .try_slice_mut(0..bytes.len())
        .ok_or_else(|| Error::new(ErrorKind::Index, "to", "the device buffer is smaller than the host data"))
        .located()?;
    dev.stream().memcpy_htod(&*bytes, &mut view).map_err(|e| error::driver("to", e)).located()?;
    Ok(out)
}

/// `src[layout]` as a new contiguous device storage of the same dtype.
#[track_caller]
pub(crate) fn contiguous(src: &CudaStorage, layout: &Layout) -> Result<CudaStorage> {
    let mut out = CudaStorage::alloc(&src.dev, src.dtype(), layout.numel())?;
    copy_strided(&mut out, &Layout::contiguous(layout.shape().clone()), src, layout)?;
    Ok(out)
}

/// The elements under `layout` as a new contiguous host storage.
#[track_caller]
pub(crate) fn to_cpu(src: &CudaStorage, layout: &Layout) -> Result<CpuStorage> {
    let dtype = src.dtype();
    let n = layout.numel();
    if n == 0 {
        return CpuStorage::zeros("to", dtype, 0);
    }
    check_extent("to", layout, src)?;
    let gathered;
    let (start, from) = match layout.contiguous_range() {
        Some((a, _)) => (a, src),
        None => {
            gathered = contiguous(src, layout)?;
            (0, &gathered)
        }
    };
    let size = dtype.size_in_bytes();
    let range = start * size..(start + n) * size;
    let view = from
        .buf()
        .try_slice(range.clone())
        .ok_or_else(|| Error::new(ErrorKind::Index, "to", format!("bytes {range:?} lie outside the device buffer")))
        .located()?;
    let stream = from.dev.stream();
    let mut out = CpuStorage::zeros("to", dtype, n)?;
    let mut bools = Vec::new();
    let dst: &mut [u8] = match &mut out {
        CpuStorage::Bool(_) => {
            bools = vec![0u8; n];
            &mut bools
        }
        CpuStorage::U8(v) => v.as_mut_slice(),
        CpuStorage::I32(v) => bytemuck::cast_slice_mut(v.as_mut_slice()),
        CpuStorage::I64(v) => bytemuck::cast_slice_mut(v.as_mut_slice()),
        CpuStorage::I8(v) => bytemuck::cast_slice_mut(v.as_mut_slice()),
        CpuStorage::I16(v) => bytemuck::cast_slice_mut(v.as_mut_slice()),
        CpuStorage::U16(v) => bytemuck::cast_slice_mut(v.as_mut_slice()),
        CpuStorage::U32(v) => bytemuck::cast_slice_mut(v.as_mut_slice()),
        CpuStorage::U64(v) => bytemuck::cast_slice_mut(v.as_mut_slice()),
        CpuStorage::F16(v) => bytemuck::cast_slice_mut(v.as_mut_slice()),
        CpuStorage::BF16(v) => bytemuck::cast_slice_mut(v.as_mut_slice()),
        CpuStorage::F32(v) => bytemuck::cast_slice_mut(v.as_mut_slice()),
        CpuStorage::F64(v) => bytemuck::cast_slice_mut(v.as_mut_slice()),
    };
    stream.memcpy_dtoh(&view, dst).map_err(|e| error::driver("to", e)).located()?;
    stream.synchronize().map_err(|e| error::driver("to", e)).located()?;
    if let CpuStorage::Bool(v) = &mut out {
        for (o, &b) in v.iter_mut().zip(&bools) {
            *o = b != 0;
        }
    }
    Ok(out)
}

/// `dst[dl] = src[sl]` for one dtype (shapes equal; `sl` may broadcast).
#[track_caller]
fn copy_strided(dst: &mut CudaStorage, dl: &Layout, src: &CudaStorage, sl: &Layout) -> Result<()> {
    let n = dl.numel();
    if n == 0 {
        return Ok(());
    }
    check_extent("copy_", dl, dst)?;
    check_extent("copy_", sl, src)?;
    let (d, [ds, ss]) = plan("copy_", dl.dims(), [dl.strides(), sl.strides()], [dl.offset(), sl.offset()])?;
    let name = format!("copy_{}", src.dtype().size_in_bytes());
    let (dp, sp, n64) = (dst.ptr_mut(), src.ptr(), to_i64("copy_", n)?);
    let dev = dst.dev.clone();
    // copy_<bytes>(T* dst, KStrides ds, const T* src, KStrides ss, KDims d, i64 n)
    launch!(dev, Family::Copy, name, grid(n), "copy_"; &dp, &ds, &sp, &ss, &d, &n64)
}

/// `dst[dl] = cast(src[sl])` between any two dtypes (shapes equal; `sl` may broadcast).
#[track_caller]
pub(crate) fn cast_strided(dst: &mut CudaStorage, dl: &Layout, src: &CudaStorage, sl: &Layout) -> Result<()> {
    if dst.dtype() == src.dtype() {
        return copy_strided(dst, dl, src, sl);
    }
    let n = dl.numel();
    if n == 0 {
        return Ok(());
    }
    check_extent("to", dl, dst)?;
    check_extent("to", sl, src)?;
    let (d, [ds, ss]) = plan("to", dl.dims(), [dl.strides(), sl.strides()], [dl.offset(), sl.offset()])?;
    let name = format!("cast_{}_{}", suffix(src.dtype()), suffix(dst.dtype()));
    let (dp, sp, n64) = (dst.ptr_mut(), src.ptr(), to_i64("to", n)?);
    let dev = dst.dev.clone();
    // cast_<S>_<D>(D* dst, KStrides ds, const S* src, KStrides ss, KDims d, i64 n)
    launch!(dev, Family::Copy, name, grid(n), "to"; &dp, &ds, &sp, &ss, &d, &n64)
}

/// `src[layout]` converted to `dtype`, as a new contiguous storage.
#[track_caller]
pub(crate) fn cast(src: &CudaStorage, layout: &Layout, dtype: DType) -> Result<CudaStorage> {
    let mut out = CudaStorage::alloc(&src.dev, dtype, layout.numel())?;
    cast_strided(&mut out, &Layout::contiguous(layout.shape().clone()), src, layout)?;
    Ok(out)
}

/// `dst[dl] = src[sl]`; the source may be on this device or on the host, of any dtype.
#[track_caller]
pub(crate) fn copy_from(dst: &mut CudaStorage, dl: &Layout, src: &Storage, sl: &Layout) -> Result<()> {
    if dl.dims() != sl.dims() {
        return Err(Error::new(
            ErrorKind::Shape,
            "copy_",
            format!("source of shape {:?} does not match destination of shape {:?}", sl.dims(), dl.dims()),
        ));
    }
    if let Some(host) = src.as_any().downcast_ref::<CpuStorage>() {
        let up = upload(&dst.dev, host)?;
        return cast_strided(dst, dl, &up, sl);
    }
    let src = crate::storage::cuda_of("copy_", src, &dst.dev)?;
    cast_strided(dst, dl, src, sl)
}

/// The bits of `value` converted to `dtype` as tensor-core's CPU `fill` converts it.
fn scalar_bits(value: Scalar, dtype: DType) -> u64 {
    let host = match (dtype, value) {
        (DType::I64, Scalar::Int(i)) => CpuStorage::I64(vec![i]),
        (DType::I64, v) => CpuStorage::I64(vec![v.to_f64() as i64]),
        (d, v) => CpuStorage::from_f64s(d, std::iter::once(v.to_f64())),
    };
    match host {
        CpuStorage::Bool(v) => v.first().map_or(0, |&b| b as u64),
        CpuStorage::U8(v) => v.first().map_or(0, |&x| x as u64),
        CpuStorage::I32(v) => v.first().map_or(0, |&x| x as u32 as u64),
        CpuStorage::I64(v) => v.first().map_or(0, |&x| x as u64),
        CpuStorage::I8(v) => v.first().map_or(0, |&x| x as u8 as u64),
        CpuStorage::I16(v) => v.first().map_or(0, |&x| x as u16 as u64),
        CpuStorage::U16(v) => v.first().map_or(0, |&x| x as u64),
        CpuStorage::U32(v) => v.first().map_or(0, |&x| x as u64),
        CpuStorage::U64(v) => v.first().copied().unwrap_or(0),
        CpuStorage::F16(v) => v.first().map_or(0, |x| x.to_bits() as u64),
        CpuStorage::BF16(v) => v.first().map_or(0, |x| x.to_bits() as u64),
        CpuStorage::F32(v) => v.first().map_or(0, |x| x.to_bits() as u64),
        CpuStorage::F64(v) => v.first().map_or(0, |x| x.to_bits()),
    }
}

/// `dst[layout] = value`.
#[track_caller]
pub(crate) fn fill(dst: &mut CudaStorage, layout: &Layout, value: Scalar) -> Result<()> {
    let n = layout.numel();
    if n == 0 {
        return Ok(());
    }
    check_extent("fill_", layout, dst)?;
    let (d, [ds]) = plan("fill_", layout.dims(), [layout.strides()], [layout.offset()])?;
    let bits = scalar_bits(value, dst.dtype());
    let name = format!("fill_{}", dst.dtype().size_in_bytes());
    let (dp, n64) = (dst.ptr_mut(), to_i64("fill_", n)?);
    let dev = dst.dev.clone();
    // fill_<bytes>(T* dst, KStrides ds, KDims d, i64 n, u64 bits)
    launch!(dev, Family::Copy, name, grid(n), "fill_"; &dp, &ds, &d, &n64, &bits)
}
