//! CPU kernels for copies: strided → contiguous, dtype casts, strided writes and fills.

use super::transpose::transpose2d;
use crate::backend::{CopyOps, Storage};
use crate::cpu::{buffer_for_overwrite, fill_rows, with_cpu2, with_dtype, CpuStorage, Row, StorageOf};
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
    if transpose2d(out, src, layout) {
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

/// `src[layout]` converted to `dtype`, contiguous.
#[track_caller]
pub(crate) fn cast(src: &CpuStorage, layout: &Layout, dtype: DType) -> Result<CpuStorage> {
    if src.dtype() == dtype {
        return contiguous(src, layout);
    }
    // int64 does not fit f64 past 2^53: convert it directly, as C++'s static_cast does
    // (integers wrap, floats round once; half types through float, as c10::Half(float)).
    if let CpuStorage::I64(v) = src {
        match dtype {
            DType::U8 => return Ok(CpuStorage::U8(map_vec(v, layout, |x| x as u8)?)),
            DType::I32 => return Ok(CpuStorage::I32(map_vec(v, layout, |x| x as i32)?)),
            DType::F32 => return Ok(CpuStorage::F32(map_vec(v, layout, |x| x as f32)?)),
            DType::F16 => return Ok(CpuStorage::F16(map_vec(v, layout, |x| half::f16::from_f32(x as f32))?)),
            DType::BF16 => return Ok(CpuStorage::BF16(map_vec(v, layout, |x| half::bf16::from_f32(x as f32))?)),
            _ => {}
        }
    }
    Ok(with_cpu!(src, |v| with_dtype!(dtype, |U| StorageOf::into_storage(cast_vec::<_, U>(v, layout)?))))
}

/// Whether a storage holds half-precision floats (f16 or bf16), which elementwise kernels
/// compute in f32: see [`widened`].
pub(crate) fn is_half(s: &CpuStorage) -> bool {
    matches!(s, CpuStorage::F16(_) | CpuStorage::BF16(_))
}

/// `src[layout]` as contiguous f32, with its layout. Elementwise ops on f16 and bf16 widen their
/// inputs, run the f32 kernel and round the result back once ([`narrowed`]), as PyTorch's CPU
/// kernels compute half types in float (`opmath_t`): each op has one float body for three
/// dtypes, which keeps tensor-core's build time and binary size down.
#[track_caller]
pub(crate) fn widened(src: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Layout)> {
    Ok((cast(src, layout, DType::F32)?, Layout::contiguous(layout.shape().clone())))
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
