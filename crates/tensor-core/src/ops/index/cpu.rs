//! CPU kernels for indexing: index_select, gather, scatter, index_add.
//!
//! Every kernel folds the index into one strided walk. The data layout is given the shape of the
//! walk (the index's shape, or the source's) with a stride of 0 along `dim`; the index layout is
//! walked beside it (broadcast along the other dims for the 1-d indices of `index_select` and
//! `index_add`); each element then adds `index * stride[dim]` to its data offset. A row whose
//! index is constant (the embedding lookup `weight.index_select(0, ids)`) is one slice copy.
//! Every index is checked before anything is read or written.

use crate::backend::ScatterReduce;
use crate::backend::{IndexOps, Storage};
use crate::cpu::buffer_for_overwrite;
use crate::cpu::{fill_rows, with_cpu2, CpuStorage, Row, StorageOf};
use crate::ops::copy::cpu::cast;
use crate::shape::{Dims, Shape};
use crate::{bail, with_cpu, DType, Element, Layout, Result};
use alloc::borrow::Cow;
use alloc::vec::Vec;
use half::{bf16, f16};

impl IndexOps<Storage> for CpuStorage {
    #[track_caller]
    fn index_select(&self, layout: &Layout, dim: usize, indices: &Storage, il: &Layout) -> Result<Storage> {
        index_select(self, layout, dim, indices.cpu("index_select")?, il).map(Storage::new)
    }
    #[track_caller]
    fn gather(&self, layout: &Layout, dim: usize, index: &Storage, il: &Layout) -> Result<Storage> {
        gather(self, layout, dim, index.cpu("gather")?, il).map(Storage::new)
    }
    #[track_caller]
    fn scatter_inplace(
        &mut self,
        layout: &Layout,
        dim: usize,
        index: &Storage,
        il: &Layout,
        src: &Storage,
        sl: &Layout,
        reduce: ScatterReduce,
    ) -> Result<()> {
        scatter_inplace(self, layout, dim, index.cpu("scatter")?, il, src.cpu("scatter")?, sl, reduce)
    }
    #[track_caller]
    fn index_add_inplace(
        &mut self,
        layout: &Layout,
        dim: usize,
        indices: &Storage,
        il: &Layout,
        src: &Storage,
        sl: &Layout,
    ) -> Result<()> {
        index_add_inplace(self, layout, dim, indices.cpu("index_add")?, il, src.cpu("index_add")?, sl)
    }
}

/// The index elements as i64 (an I32 index is widened first) and the layout to read them with.
#[track_caller]
fn index_i64<'a>(op: &'static str, index: &'a CpuStorage, il: &Layout) -> Result<(Cow<'a, [i64]>, Layout)> {
    match index {
        CpuStorage::I64(v) => Ok((Cow::Borrowed(v.as_slice()), il.clone())),
        CpuStorage::I32(_) => {
            let wide = i64::from_storage(cast(index, il, DType::I64)?).expect("cast to int64 gives int64");
            Ok((Cow::Owned(wide), Layout::contiguous(il.shape().clone())))
        }
        other => bail!(DType, op, "expected an int64 or int32 index, got {}", other.dtype()),
    }
}

/// Errors (kind Index) on the first index outside `0..layout.dims()[dim]`.
#[track_caller]
fn check_indices(op: &'static str, idx: &[i64], il: &Layout, dim: usize, layout: &Layout) -> Result<()> {
    if il.numel() == 0 {
        return Ok(());
    }
    let size = layout.dims()[dim];
    let bad = |v: &i64| *v < 0 || *v as u64 >= size as u64;
    let found = match il.contiguous_range() {
        Some((a, b)) => idx[a..b].iter().copied().find(bad),
        None => il.offsets().map(|o| idx[o]).find(bad),
    };
    if let Some(v) = found {
        bail!(
            Index,
            op,
            "index {} is out of bounds for dimension {} with size {} (self of shape {:?})",
            v,
            dim,
            size,
            layout.shape()
        );
    }
    Ok(())
}

/// The data layout walked over `shape` (same rank), with no step along `dim`.
fn along(layout: &Layout, shape: &[usize], dim: usize) -> Layout {
    let mut strides = Dims::from_slice(layout.strides());
    strides[dim] = 0;
    Layout::from_parts(Shape::new(shape), strides, layout.offset())
}

/// A 1-d (or one-element) index layout broadcast over `shape`, stepping along `dim`.
fn index_along(il: &Layout, shape: &[usize], dim: usize) -> Layout {
    let mut strides = Dims::from_elem(0, shape.len());
    strides[dim] = il.strides().first().copied().unwrap_or(0);
    Layout::from_parts(Shape::new(shape), strides, il.offset())
}

/// `out[p] = x[xl(p) + idx[il(p)] * sd]` over the shape of `xl` and `il`, contiguous.
#[track_caller]
fn gather_rows<T: Element>(x: &[T], xl: &Layout, idx: &[i64], il: &Layout, sd: usize) -> Result<Vec<T>> {
    let mut out = buffer_for_overwrite::<T>("index", xl.numel())?;
    let row = Row::new([xl, il]);
    let [sx, si] = row.stride;
    fill_rows(&mut out, &row, |d, [ox, oi]| {
        if si == 0 {
            let base = ox + idx[oi] as usize * sd;
            if sx == 1 {
                d.copy_from_slice(&x[base..base + d.len()]);
            } else {
                for (i, o) in d.iter_mut().enumerate() {
                    *o = x[base + i * sx];
                }
            }
        } else {
            for (i, o) in d.iter_mut().enumerate() {
                *o = x[ox + i * sx + idx[oi + i * si] as usize * sd];
            }
        }
    });
    Ok(out)
}

/// Addition as `scatter_add` and `index_add` do it: wrapping for integers, `or` for bool.
trait Accumulate: Element {
    fn accumulate(self, other: Self) -> Self;
}
macro_rules! accumulate {
    ($($t:ty => |$a:ident, $b:ident| $e:expr),*) => {$(
        impl Accumulate for $t {
            #[inline(always)]
            fn accumulate(self, $b: Self) -> Self {
                let $a = self;
                $e
            }
        }
    )*};
}
accumulate!(bool => |a, b| a | b, u8 => |a, b| a.wrapping_add(b), i8 => |a, b| a.wrapping_add(b),
    i16 => |a, b| a.wrapping_add(b), i32 => |a, b| a.wrapping_add(b), i64 => |a, b| a.wrapping_add(b),
    u16 => |a, b| a.wrapping_add(b), u32 => |a, b| a.wrapping_add(b), u64 => |a, b| a.wrapping_add(b),
    f16 => |a, b| a + b, bf16 => |a, b| a + b, f32 => |a, b| a + b, f64 => |a, b| a + b);

/// `x[xl(p) + idx[il(p)] * sd] (=|+=) src[sl(p)]` over the common shape, in row-major order (so
/// the last write to a position wins for `Replace`).
#[allow(clippy::too_many_arguments)]
fn scatter_rows<T: Accumulate>(
    x: &mut [T],
    xl: &Layout,
    idx: &[i64],
    il: &Layout,
    src: &[T],
    sl: &Layout,
    sd: usize,
    reduce: ScatterReduce,
) {
    let row = Row::new([xl, il, sl]);
    let [sx, si, ss] = row.stride;
    row.for_each(0..row.count(), |[ox, oi, os]| {
        for i in 0..row.len {
            let p = ox + i * sx + idx[oi + i * si] as usize * sd;
            let v = src[os + i * ss];
            x[p] = match reduce {
                ScatterReduce::Replace => v,
                ScatterReduce::Add => x[p].accumulate(v),
            };
        }
    });
}

/// Selects `indices` (I64 or I32, 1-d) along `dim` of `x[layout]`; contiguous result whose `dim`
/// has one entry per index.
#[track_caller]
pub(crate) fn index_select(
    x: &CpuStorage,
    layout: &Layout,
    dim: usize,
    indices: &CpuStorage,
    il: &Layout,
) -> Result<CpuStorage> {
    let (idx, il) = index_i64("index_select", indices, il)?;
    check_indices("index_select", &idx, &il, dim, layout)?;
    let mut shape = Dims::from_slice(layout.dims());
    shape[dim] = il.numel();
    let xl = along(layout, &shape, dim);
    let ixl = index_along(&il, &shape, dim);
    let sd = layout.strides()[dim];
    Ok(with_cpu!(x, |v| StorageOf::into_storage(gather_rows(v, &xl, &idx, &ixl, sd)?)))
}

/// `out[p] = x[p with p[dim] = index[p]]`; contiguous result of the index's shape. `layout` is
/// the whole input: the index may be smaller in every dim but `dim`.
#[track_caller]
pub(crate) fn gather(
    x: &CpuStorage,
    layout: &Layout,
    dim: usize,
    index: &CpuStorage,
    il: &Layout,
) -> Result<CpuStorage> {
    let (idx, il) = index_i64("gather", index, il)?;
    check_indices("gather", &idx, &il, dim, layout)?;
    let xl = along(layout, il.dims(), dim);
    let sd = layout.strides()[dim];
    Ok(with_cpu!(x, |v| StorageOf::into_storage(gather_rows(v, &xl, &idx, &il, sd)?)))
}

/// `x[p with p[dim] = index[p]] (=|+=) src[p]` for every position `p` of the index. `layout` is
/// the whole destination; `sl` has the index's shape (tensor-core narrows the source).
#[allow(clippy::too_many_arguments)]
#[track_caller]
pub(crate) fn scatter_inplace(
    x: &mut CpuStorage,
    layout: &Layout,
    dim: usize,
    index: &CpuStorage,
    il: &Layout,
    src: &CpuStorage,
    sl: &Layout,
    reduce: ScatterReduce,
) -> Result<()> {
    let op = match reduce {
        ScatterReduce::Replace => "scatter",
        ScatterReduce::Add => "scatter_add",
    };
    let (idx, il) = index_i64(op, index, il)?;
    check_indices(op, &idx, &il, dim, layout)?;
    let xl = along(layout, il.dims(), dim);
    let sd = layout.strides()[dim];
    with_cpu2!(op, x, src, |d, s| {
        scatter_rows(d, &xl, &idx, &il, s, sl, sd, reduce);
        Ok(())
    })
}

/// `x.select(dim, indices[i]) += src.select(dim, i)` for each `i`, in order. `sl` is `layout`'s
/// shape with `dim` of the length of `indices`.
#[track_caller]
pub(crate) fn index_add_inplace(
    x: &mut CpuStorage,
    layout: &Layout,
    dim: usize,
    indices: &CpuStorage,
    il: &Layout,
    src: &CpuStorage,
    sl: &Layout,
) -> Result<()> {
    let (idx, il) = index_i64("index_add", indices, il)?;
    check_indices("index_add", &idx, &il, dim, layout)?;
    let xl = along(layout, sl.dims(), dim);
    let ixl = index_along(&il, sl.dims(), dim);
    let sd = layout.strides()[dim];
    with_cpu2!("index_add", x, src, |d, s| {
        scatter_rows(d, &xl, &idx, &ixl, s, sl, sd, ScatterReduce::Add);
        Ok(())
    })
}
