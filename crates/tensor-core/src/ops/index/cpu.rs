//! CPU kernels for indexing: index_select, gather, scatter, index_add.
//!
//! Every kernel folds the index into one strided walk. The data layout is given the shape of the
//! walk (the index's shape, or the source's) with a stride of 0 along `dim`; the index layout is
//! walked beside it (broadcast along the other dims for the 1-d indices of `index_select` and
//! `index_add`); each element then adds `index * stride[dim]` to its data offset. A row whose
//! index is constant (the embedding lookup `weight.index_select(0, ids)`) is one slice copy.
//! Every index is checked before it is used, and before anything the caller owns is written:
//! up front, or (`gather` along a row) row by row inside the parallel walk into a fresh result
//! that is dropped when one fails.

use crate::backend::ScatterReduce;
use crate::backend::{IndexOps, Storage};
use crate::cpu::buffer_for_overwrite;
use crate::cpu::wide::widest;
use crate::cpu::{fill_blocks, fill_rows, prefetch, with_cpu2, CpuStorage, Row, StorageOf};
use crate::ops::copy::cpu::cast;
use crate::shape::{Dims, Shape};
use crate::{bail, with_cpu, DType, Element, Layout, Result};
use alloc::borrow::Cow;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, Ordering};
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
        // The first bad index is looked for only when there is one.
        Some((a, b)) if largest(&idx[a..b]) < size as u64 => None,
        Some((a, b)) => idx[a..b].iter().copied().find(bad),
        // A strided or broadcast index: its rows through the strided walker (an offset
        // iterator per element took 5 ns each), then the first bad index in order if any.
        None => {
            let row = Row::new([il]);
            let st = row.stride[0];
            let mut worst = 0u64;
            row.for_each(0..row.count(), |[o]| {
                worst = worst.max(match st {
                    1 => largest(&idx[o..o + row.len]),
                    _ => (0..row.len).fold(0, |m, i| m.max(idx[o + i * st] as u64)),
                })
            });
            if worst < size as u64 {
                None
            } else {
                il.offsets().map(|o| idx[o]).find(bad)
            }
        }
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

/// `out[p] = x[xl(p) + idx[il(p)] * sd]` over the shape of `xl` and `il`, contiguous (`sd` the
/// whole layout's stride along `dim`). The indices are checked against the length of `dim`: row
/// by row, inside the parallel walk, where the walk gathers along a row of the data
/// (`x.gather(-1, index)`: each row of the index is read once to check it and again, from the
/// L1 cache, to gather); before the walk otherwise; not at all where the caller has
/// (`index_select` checks its short index once).
#[track_caller]
fn gather_rows<T: Element>(op: &'static str, x: &[T], xl: &Xl<'_>, idx: &[i64], il: &Layout) -> Result<Vec<T>> {
    let Xl { layout: xl, whole, dim, checked } = xl;
    let sd = whole.strides()[*dim];
    let row = Row::new([xl, il]);
    let [sx, si] = row.stride;
    let along_row = sx == 0 && si == 1;
    if !along_row && !checked {
        check_indices(op, idx, il, *dim, whole)?;
    }
    let size = whole.dims()[*dim] as u64;
    let bad = AtomicBool::new(false);
    let mut out = buffer_for_overwrite::<T>(op, xl.numel())?;
    fill_rows(&mut out, &row, |d, [ox, oi]| {
        if along_row {
            // Every element from one data row.
            let ids = &idx[oi..oi + d.len()];
            if !checked && largest(ids) >= size {
                bad.store(true, Ordering::Relaxed);
                return;
            }
            let x = &x[ox..];
            if sd == 1 {
                for (o, &i) in d.iter_mut().zip(ids) {
                    *o = x[i as usize];
                }
            } else {
                for (o, &i) in d.iter_mut().zip(ids) {
                    *o = x[i as usize * sd];
                }
            }
        } else if si == 0 {
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
    if bad.load(Ordering::Relaxed) {
        // Finds the first bad index, for the message (the rows after a bad one were skipped:
        // the partial result is never returned).
        check_indices(op, idx, il, *dim, whole)?;
        bail!(Index, op, "an index is out of bounds for dimension {} with size {}", dim, size);
    }
    Ok(out)
}

/// The data layout of [`gather_rows`]' walk, and the whole layout and `dim` its indices are
/// checked against (unless the caller has `checked` them).
struct Xl<'a> {
    layout: Layout,
    whole: &'a Layout,
    dim: usize,
    checked: bool,
}

/// The largest index as u64 (a negative one is huge), in the widest vectors: a loop without an
/// exit (the baseline has no 64-bit max).
#[inline]
fn largest(ids: &[i64]) -> u64 {
    widest!(ids.iter().fold(0u64, |m, &v| m.max(v as u64)))
}

/// `index_select` where the dims after `dim` are one dense block of `inner` elements (an
/// embedding lookup, rows of a matrix): a block copy per (outer position, index), in result
/// order. The source blocks are scattered by the index, where the hardware prefetchers cannot
/// follow, so each copy first prefetches the block a few places ahead (1 KiB rows: 0.5 against
/// 1.1 ms for 8192 of them on one thread, see BENCHMARKS.md). None when the layout is not so.
#[track_caller]
fn select_blocks<T: Element>(x: &[T], layout: &Layout, dim: usize, idx: &[i64]) -> Option<Result<Vec<T>>> {
    let (dims, strides) = (layout.dims(), layout.strides());
    let inner: usize = dims[dim + 1..].iter().product();
    let dense = Layout::from_parts(Shape::new(&dims[dim + 1..]), Dims::from_slice(&strides[dim + 1..]), 0);
    if inner < 16 || !dense.is_contiguous() {
        return None;
    }
    let outer_layout = Layout::from_parts(Shape::new(&dims[..dim]), Dims::from_slice(&strides[..dim]), layout.offset());
    let outer: Vec<usize> = outer_layout.offsets().collect();
    let (n, sd) = (idx.len(), strides[dim]);
    let mut out = match buffer_for_overwrite::<T>("index_select", outer.len() * n * inner) {
        Ok(out) => out,
        Err(e) => return Some(Err(e)),
    };
    let start = |b: usize| outer[b / n] + idx[b % n] as usize * sd;
    // Blocks ahead: about 4 KiB in flight beyond the one being copied.
    let ahead = (4096 / (inner * core::mem::size_of::<T>())).clamp(1, 16);
    let blocks = outer.len() * n;
    fill_blocks(&mut out, inner, |first, piece| {
        for (k, d) in piece.chunks_exact_mut(inner).enumerate() {
            let b = first + k;
            if b + ahead < blocks {
                prefetch(&x[start(b + ahead)..][..inner]);
            }
            d.copy_from_slice(&x[start(b)..][..inner]);
        }
    });
    Some(Ok(out))
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
        if (sx, si, ss) == (0, 1, 1) {
            // Scattering along the row (`x.scatter_add_(-1, index, src)`): one destination row.
            let (x, ids, src) = (&mut x[ox..], &idx[oi..oi + row.len], &src[os..os + row.len]);
            match reduce {
                ScatterReduce::Replace => ids.iter().zip(src).for_each(|(&i, &v)| x[i as usize * sd] = v),
                ScatterReduce::Add => ids.iter().zip(src).for_each(|(&i, &v)| {
                    let p = i as usize * sd;
                    x[p] = x[p].accumulate(v)
                }),
            }
            return;
        }
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
    if let Some((a, b)) = il.contiguous_range() {
        let ids = &idx[a..b];
        if let Some(r) = with_cpu!(x, |v| select_blocks(v, layout, dim, ids).map(|r| r.map(StorageOf::into_storage))) {
            return r;
        }
    }
    let mut shape = Dims::from_slice(layout.dims());
    shape[dim] = il.numel();
    let xl = Xl { layout: along(layout, &shape, dim), whole: layout, dim, checked: true };
    let ixl = index_along(&il, &shape, dim);
    Ok(with_cpu!(x, |v| StorageOf::into_storage(gather_rows("index_select", v, &xl, &idx, &ixl)?)))
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
    let xl = Xl { layout: along(layout, il.dims(), dim), whole: layout, dim, checked: false };
    Ok(with_cpu!(x, |v| StorageOf::into_storage(gather_rows("gather", v, &xl, &idx, &il)?)))
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
        if !scatter_rows_split(d, layout, dim, &idx, &il, s, sl, reduce) {
            scatter_rows(d, &xl, &idx, &il, s, sl, sd, reduce);
        }
        Ok(())
    })
}

/// [`scatter_rows`] across threads, where that is safe without locks: the destination is
/// contiguous and the scatter runs along a dim other than 0, so index row `k` writes only
/// destination row `k`, and the destination's rows are disjoint `&mut` slices. Returns whether
/// it ran (false: too little work, or not so laid out).
#[allow(clippy::too_many_arguments)]
fn scatter_rows_split<T: Accumulate>(
    x: &mut [T],
    layout: &Layout,
    dim: usize,
    idx: &[i64],
    il: &Layout,
    src: &[T],
    sl: &Layout,
    reduce: ScatterReduce,
) -> bool {
    #[cfg(feature = "std")]
    {
        use rayon::prelude::*;
        let rows = il.dims()[0];
        if dim == 0 || !layout.is_contiguous() || rows < 2 || il.numel() < crate::cpu::par_threshold() {
            return false;
        }
        let (row_len, sd) = (layout.strides()[0], layout.strides()[dim]);
        let per_task = rows.div_ceil(rayon::current_num_threads().max(1) * 4);
        let dst = &mut x[layout.offset()..layout.offset() + rows * row_len];
        // Each task's layouts start at its first row: the destination's at its own chunk.
        let part = |l: &Layout, first: usize, n: usize| l.narrow(0, first as isize, n).expect("rows within the index");
        let strides = Dims::from_slice(along(layout, il.dims(), dim).strides());
        crate::grad_mode::suspended(|| {
            dst.par_chunks_mut(per_task * row_len).enumerate().for_each(|(task, chunk)| {
                let (first, n) = (task * per_task, chunk.len() / row_len);
                let (il, sl) = (part(il, first, n), part(sl, first, n));
                let xl = Layout::from_parts(il.shape().clone(), strides.clone(), 0);
                scatter_rows(chunk, &xl, idx, &il, src, &sl, sd, reduce);
            })
        });
        true
    }
    #[cfg(not(feature = "std"))]
    {
        let _ = (x, layout, dim, idx, il, src, sl, reduce);
        false
    }
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
