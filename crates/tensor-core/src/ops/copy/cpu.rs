//! CPU kernels for copies: strided → contiguous, dtype casts, strided writes and fills.

use super::transpose::transpose2d;
use crate::backend::{CopyOps, Storage};
use crate::cpu::{
    buffer_for_overwrite, fill_rows, with_cpu2, with_kernel_cpu, with_kernel_dtype, CpuStorage, Row, StorageOf,
};
use crate::{with_cpu, DType, Element, Layout, Result, Scalar};
use alloc::vec::Vec;

impl CopyOps<Storage> for CpuStorage {
    #[track_caller]
    fn to_cpu(&self, layout: &Layout) -> Result<CpuStorage> {
        contiguous(self, layout)
    }
    #[track_caller]
    fn cast(&self, layout: &Layout, dtype: DType) -> Result<Storage> {
        cast(self, layout, dtype).map(Storage::new)
    }
    #[track_caller]
    fn copy_from(&mut self, dst_layout: &Layout, src: &Storage, src_layout: &Layout) -> Result<()> {
        copy_from(self, dst_layout, src.cpu("copy_")?, src_layout)
    }
    #[track_caller]
    fn fill(&mut self, layout: &Layout, value: Scalar) -> Result<()> {
        fill(self, layout, value);
        Ok(())
    }
    fn pad_edges(
        &self,
        layout: &Layout,
        pads: &[usize],
        mode: crate::ops::shape::pad_mode::PadMode,
    ) -> Option<Result<Storage>> {
        super::pad::pad_edges(self, layout, pads, mode).map(|r| r.map(Storage::new))
    }
    fn triangle(&self, layout: &Layout, diagonal: isize, lower: bool) -> Option<Result<Storage>> {
        super::triangle::triangle(self, layout, diagonal, lower).map(|r| r.map(Storage::new))
    }
    fn pad_edges_backward(
        &self,
        layout: &Layout,
        input_dims: &[usize],
        pads: &[usize],
        mode: crate::ops::shape::pad_mode::PadMode,
    ) -> Option<Result<Storage>> {
        super::pad::pad_edges_backward(self, layout, input_dims, pads, mode).map(|r| r.map(Storage::new))
    }
}

/// Copies `src[layout]` into a new contiguous `Vec` (an OutOfMemory error when there is no
/// room: the layout may be an expanded view of far more elements than its storage holds).
#[track_caller]
pub(crate) fn gather_vec<T: Element>(src: &[T], layout: &Layout) -> Result<Vec<T>> {
    let mut out = buffer_for_overwrite::<T>("contiguous", layout.numel())?;
    gather_into(&mut out, src, layout);
    Ok(out)
}

/// As [`gather_vec`] into kernel scratch, for a part of an operand that exists whole (an
/// image of a batch): bounded by memory already held, so infallible.
pub(crate) fn gather_scratch<T: Element>(src: &[T], layout: &Layout) -> Vec<T> {
    let mut out = crate::cpu::scratch_for_overwrite::<T>(layout.numel());
    gather_into(&mut out, src, layout);
    out
}

/// `out = src[layout]`, row-major (`out.len() == layout.numel()`).
fn gather_into<T: Element>(out: &mut [T], src: &[T], layout: &Layout) {
    if let Some((a, b)) = layout.contiguous_range() {
        return copy_contiguous(out, &src[a..b]);
    }
    if transpose2d(out, src, layout) || copy_short_runs(out, src, layout) {
        return;
    }
    let row = Row::new([layout]);
    fill_rows(out, &row, |d, [s]| {
        let st = row.stride[0];
        if st == 1 {
            d.copy_from_slice(&src[s..s + d.len()]);
        } else if st == 0 {
            // An expanded dim (the gradient of `.sum()`): one value repeated.
            d.fill(src[s]);
        } else {
            for (i, x) in d.iter_mut().enumerate() {
                *x = src[s + i * st];
            }
        }
    });
}

/// `out = src[layout]` where the dense innermost run is short (a permute that keeps the last
/// dim: attention's head split, `[B, T, H, D] -> [B, H, T, D]`): each kernel call copies a
/// block of runs along the next dim, so the walker's per-row work (a call, the index update)
/// is paid once per block rather than once per 64-element run. False where the layout has no
/// such pair of dims.
fn copy_short_runs<T: Element>(out: &mut [T], src: &[T], layout: &Layout) -> bool {
    /// Runs up to this many elements go in blocks; longer ones are worth a call each.
    const SHORT: usize = 256;
    let merged = crate::shape::merge_dense_dims(layout.dims(), [layout.strides()]);
    let (sizes, strides) = (&merged.sizes, &merged.strides[0]);
    let n = sizes.len();
    if n < 2 || strides[n - 1] != 1 || sizes[n - 1] > SHORT || layout.numel() == 0 {
        return false;
    }
    let (run, outer) = (
        sizes[n - 1],
        Layout::from_parts(crate::Shape::new(&sizes[..n - 1]), strides[..n - 1].into(), layout.offset()),
    );
    let rows = Row::new([&outer]);
    let (per_block, step) = (rows.len, rows.stride[0]);
    let block = per_block * run;
    crate::cpu::fill_blocks(out, block, |first, piece| {
        let mut k = 0;
        rows.for_each(first..first + piece.len() / block, |[s]| {
            for (j, d) in piece[k * block..(k + 1) * block].chunks_exact_mut(run).enumerate() {
                d.copy_from_slice(&src[s + j * step..][..run]);
            }
            k += 1;
        });
    });
    true
}

/// `out.copy_from_slice(src)`, across threads when large (a `clone` of a big tensor, as
/// `.grad` takes a gradient that is shared): one thread's `memcpy` falls well short of the
/// memory bandwidth.
fn copy_contiguous<T: Element>(out: &mut [T], src: &[T]) {
    #[cfg(feature = "std")]
    if core::mem::size_of_val(out) >= 1 << 20 {
        return crate::cpu::par_fill_pieces(out, |first, piece| {
            piece.copy_from_slice(&src[first..first + piece.len()])
        });
    }
    out.copy_from_slice(src)
}

/// `src[layout]` as a new contiguous storage.
#[track_caller]
pub(crate) fn contiguous(src: &CpuStorage, layout: &Layout) -> Result<CpuStorage> {
    with_cpu!(src, |v| Ok(StorageOf::into_storage(gather_vec(v, layout)?)))
}

#[track_caller]
fn cast_vec<T: Element, U: Element>(src: &[T], layout: &Layout) -> Result<Vec<U>> {
    map_vec(src, layout, |x| U::from_f64(x.to_f64()))
}

/// `f(src[layout])`, contiguous.
#[track_caller]
fn map_vec<T: Element, U: Element>(src: &[T], layout: &Layout, f: impl Fn(T) -> U + Sync + Send) -> Result<Vec<U>> {
    let mut out = buffer_for_overwrite::<U>("to", layout.numel())?;
    let row = Row::new([layout]);
    fill_rows(&mut out, &row, |d, [s]| {
        let st = row.stride[0];
        for (i, x) in d.iter_mut().enumerate() {
            *x = f(src[s + i * st]);
        }
    });
    Ok(out)
}

/// `src[layout]` converted to `dtype`, contiguous, as C++'s `static_cast` converts (integers
/// wrap, floats round once, floats to integers through int64; half types through float, as
/// `c10::Half(float)`).
#[track_caller]
pub(crate) fn cast(src: &CpuStorage, layout: &Layout, dtype: DType) -> Result<CpuStorage> {
    if src.dtype() == dtype {
        return contiguous(src, layout);
    }
    if let Some(direct) = cast_direct(src, layout, dtype) {
        return direct;
    }
    // The dtypes without kernels of their own convert through a hub: int64, or float64 between
    // uint64 and the floats (int64 would clip it).
    if !src.dtype().has_kernels() || !dtype.has_kernels() {
        let hub = if (src.dtype() == DType::U64 && dtype.is_float()) || (dtype == DType::U64 && src.dtype().is_float())
        {
            DType::F64
        } else {
            DType::I64
        };
        let mid = cast(src, layout, hub)?;
        return cast(&mid, &Layout::contiguous(layout.shape().clone()), dtype);
    }
    with_kernel_cpu!(src, |v| with_kernel_dtype!(dtype, |U| Ok(StorageOf::into_storage(cast_vec::<_, U>(v, layout)?)),
        else unreachable!("{dtype} has kernels")), else unreachable!("{} has kernels", src.dtype()))
}

/// The conversions that do not go through f64: from int64 (which f64 does not hold past
/// 2^53) and between the hubs and the dtypes without kernels.
#[track_caller]
fn cast_direct(src: &CpuStorage, layout: &Layout, dtype: DType) -> Option<Result<CpuStorage>> {
    use half::{bf16, f16};
    macro_rules! to {
        ($v:expr, $D:ident, |$x:ident| $e:expr) => {
            Some(map_vec($v, layout, |$x| $e).map(CpuStorage::$D))
        };
    }
    match (src, dtype) {
        (CpuStorage::I64(v), DType::U8) => to!(v, U8, |x| x as u8),
        (CpuStorage::I64(v), DType::I8) => to!(v, I8, |x| x as i8),
        (CpuStorage::I64(v), DType::I16) => to!(v, I16, |x| x as i16),
        (CpuStorage::I64(v), DType::I32) => to!(v, I32, |x| x as i32),
        (CpuStorage::I64(v), DType::U16) => to!(v, U16, |x| x as u16),
        (CpuStorage::I64(v), DType::U32) => to!(v, U32, |x| x as u32),
        (CpuStorage::I64(v), DType::U64) => to!(v, U64, |x| x as u64),
        (CpuStorage::I64(v), DType::F32) => to!(v, F32, |x| x as f32),
        (CpuStorage::I64(v), DType::F16) => to!(v, F16, |x| f16::from_f32(x as f32)),
        (CpuStorage::I64(v), DType::BF16) => to!(v, BF16, |x| bf16::from_f32(x as f32)),
        (CpuStorage::I8(v), DType::I64) => to!(v, I64, |x| x as i64),
        (CpuStorage::I16(v), DType::I64) => to!(v, I64, |x| x as i64),
        (CpuStorage::U16(v), DType::I64) => to!(v, I64, |x| x as i64),
        (CpuStorage::U32(v), DType::I64) => to!(v, I64, |x| x as i64),
        (CpuStorage::U64(v), DType::I64) => to!(v, I64, |x| x as i64),
        (CpuStorage::U64(v), DType::F64) => to!(v, F64, |x| x as f64),
        (CpuStorage::F64(v), DType::U64) => to!(v, U64, |x| u64::from_f64(x)),
        _ => None,
    }
}

/// Whether a storage holds half-precision floats (f16 or bf16), which the float kernels
/// compute in f32: see [`widened`].
pub(crate) fn is_half(s: &CpuStorage) -> bool {
    matches!(s, CpuStorage::F16(_) | CpuStorage::BF16(_))
}

/// Whether elementwise kernels compute this storage's dtype in a wider one
/// ([`DType::compute_dtype`]: the half floats, int8, int16, uint16 and uint32).
pub(crate) fn is_widened(s: &CpuStorage) -> bool {
    s.dtype().compute_dtype().is_some()
}

/// What an error about a dtype without arithmetic kernels adds.
pub(crate) fn unsupported_hint(dtype: crate::DType) -> &'static str {
    if dtype == crate::DType::U64 {
        " (uint64 is for storage, copies, indexing, comparisons and casting: convert it with to_dtype first)"
    } else {
        ""
    }
}

/// `src[layout]` as a contiguous storage of its compute dtype (f32 for f16 and bf16, int64 for
/// the narrow integers), with its layout. Elementwise ops on these widen their inputs, run the
/// wide kernel and convert the result back once ([`narrowed`]), as PyTorch's CPU kernels compute
/// half types in float (`opmath_t`): each op has one body for several dtypes, which keeps
/// tensor-core's build time and binary size down. Integer arithmetic that wraps in int64 wraps
/// the same way once narrowed.
#[track_caller]
pub(crate) fn widened(src: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Layout)> {
    let wide = src.dtype().compute_dtype().unwrap_or(DType::F32);
    Ok((cast(src, layout, wide)?, Layout::contiguous(layout.shape().clone())))
}

/// A contiguous f32 result rounded to the half `dtype` of the inputs that [`widened`] widened.
#[track_caller]
pub(crate) fn narrowed(wide: &CpuStorage, layout: &Layout, dtype: DType) -> Result<CpuStorage> {
    cast(wide, layout, dtype)
}

/// `dst[dst_layout] = result`, for a contiguous f32 `result` of an op on half `dst` in place.
#[track_caller]
pub(crate) fn narrow_into(dst: &mut CpuStorage, dst_layout: &Layout, wide: &CpuStorage, layout: &Layout) -> Result<()> {
    copy_from(dst, dst_layout, &narrowed(wide, layout, dst.dtype())?, layout)
}

/// `dst[dst_layout] = src[src_layout]` (same dtype; shapes already broadcast).
#[track_caller]
pub(crate) fn copy_from(
    dst: &mut CpuStorage,
    dst_layout: &Layout,
    src: &CpuStorage,
    src_layout: &Layout,
) -> Result<()> {
    with_cpu2!("copy_", dst, src, |d, s| {
        copy_strided(d, dst_layout, s, src_layout);
        Ok(())
    })
}

fn copy_strided<T: Element>(dst: &mut [T], dl: &Layout, src: &[T], sl: &Layout) {
    if let Some((a, b)) = dl.contiguous_range() {
        return gather_into(&mut dst[a..b], src, sl);
    }
    #[cfg(feature = "std")]
    if dl.numel() >= crate::cpu::par_threshold() && copy_by_outer_rows(dst, dl, src, sl) {
        return;
    }
    copy_rows(dst, dl, src, sl)
}

/// [`copy_strided`]'s serial walk for a strided destination.
fn copy_rows<T: Element>(dst: &mut [T], dl: &Layout, src: &[T], sl: &Layout) {
    // A strided destination (a slice of a bigger tensor, as `cat` writes): rows that are
    // contiguous on both sides are one `memcpy` each.
    let row = Row::new([dl, sl]);
    let [ds, ss] = row.stride;
    row.for_each(0..row.count(), |[d0, s0]| {
        if ds == 1 && ss == 1 {
            dst[d0..d0 + row.len].copy_from_slice(&src[s0..s0 + row.len]);
        } else {
            for i in 0..row.len {
                dst[d0 + i * ds] = src[s0 + i * ss];
            }
        }
    });
}

/// [`copy_strided`] across threads for a destination whose outermost dim steps past the rest of
/// it (a slice of a bigger tensor, as each input of `cat(.., 1)` is): the destination's storage
/// splits into disjoint runs of whole outer rows, one task each. False (nothing copied) for a
/// destination without that shape.
#[cfg(feature = "std")]
fn copy_by_outer_rows<T: Element>(dst: &mut [T], dl: &Layout, src: &[T], sl: &Layout) -> bool {
    use crate::shape::{Dims, Shape};
    use rayon::prelude::*;
    let (dims, strides) = (dl.dims(), dl.strides());
    if dims.len() < 2 || dims[0] < 2 {
        return false;
    }
    let (n0, s0) = (dims[0], strides[0]);
    // One outer row of the destination: its elements lie in `[0, inner)` past the row's start.
    let inner = Layout::from_parts(Shape::new(&dims[1..]), Dims::from_slice(&strides[1..]), 0);
    if s0 == 0 || inner.max_extent() > s0 {
        return false;
    }
    let threads = rayon::current_num_threads().max(1);
    let rows = n0.div_ceil(threads * 4).max(1);
    let base = dl.offset();
    let part = |r0: usize, k: usize, chunk: &mut [T]| {
        let mut d = Dims::from_slice(dims);
        d[0] = k;
        let shape = Shape::new(&d);
        let local = Layout::from_parts(shape.clone(), Dims::from_slice(strides), 0);
        let from = Layout::from_parts(shape, Dims::from_slice(sl.strides()), sl.offset() + r0 * sl.strides()[0]);
        copy_rows(chunk, &local, src, &from);
    };
    let end = (base + n0 * s0).min(dst.len());
    crate::grad_mode::suspended(|| {
        dst[base..end].par_chunks_mut(rows * s0).enumerate().for_each(|(t, chunk)| {
            let r0 = t * rows;
            part(r0, rows.min(n0 - r0), chunk)
        })
    });
    true
}

/// `dst[layout] = value`.
pub(crate) fn fill(dst: &mut CpuStorage, layout: &Layout, value: Scalar) {
    fn go<T: Element>(d: &mut [T], layout: &Layout, v: T) {
        if let Some((a, b)) = layout.contiguous_range() {
            d[a..b].fill(v);
            return;
        }
        let row = Row::new([layout]);
        let st = row.stride[0];
        row.for_each(0..row.count(), |[s]| {
            for i in 0..row.len {
                d[s + i * st] = v;
            }
        });
    }
    let f = value.to_f64();
    match dst {
        CpuStorage::I64(d) => go(
            d,
            layout,
            match value {
                Scalar::Int(i) => i,
                _ => f as i64,
            },
        ),
        _ => with_cpu!(dst, |d| go(d, layout, Element::from_f64(f))),
    }
}
