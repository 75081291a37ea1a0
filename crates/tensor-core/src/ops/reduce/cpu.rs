//! CPU kernels for reductions. The layout is split into kept dims (one output element each) and
//! reduced dims (walked as rows); a contiguous full reduction is a parallel, multi-accumulator
//! slice sum that vectorises; a sum over outer dims adds whole runs of outputs (`outer.rs`).

use crate::backend::{ReduceOp, ScanOp};
use crate::backend::{ReduceOps, Storage};
use crate::cpu::{CpuStorage, Row, StorageOf};
use crate::layout::StridedOffsets;
use crate::shape::{Dims, Shape};
use crate::{bail, with_cpu, DType, Element, Layout, Result};
use alloc::vec::Vec;

impl ReduceOps<Storage> for CpuStorage {
    #[track_caller]
    fn reduce(&self, layout: &Layout, dims: &[usize], op: ReduceOp) -> Result<Storage> {
        reduce(self, layout, dims, op).map(Storage::new)
    }
    fn reduce_into(
        &self,
        layout: &Layout,
        dims: &[usize],
        op: ReduceOp,
        dst: &mut Storage,
        dst_layout: &Layout,
    ) -> Option<Result<()>> {
        match (dst.as_any_mut().downcast_mut::<CpuStorage>(), dst_layout.contiguous_range()) {
            (Some(out), Some((start, _))) => Some(reduce_into(self, layout, dims, op, out, start)),
            _ => None,
        }
    }
    #[track_caller]
    fn scan(&self, layout: &Layout, dim: usize, op: ScanOp) -> Result<Storage> {
        scan(self, layout, dim, op).map(Storage::new)
    }
}

/// The kept and the reduced part of a layout.
fn split(layout: &Layout, dims: &[usize]) -> (Layout, Layout) {
    let (mut ks, mut kst, mut rs, mut rst) = (Dims::new(), Dims::new(), Dims::new(), Dims::new());
    for (d, (&n, &s)) in layout.dims().iter().zip(layout.strides()).enumerate() {
        if dims.contains(&d) {
            rs.push(n);
            rst.push(s);
        } else {
            ks.push(n);
            kst.push(s);
        }
    }
    (Layout::from_parts(Shape::new(&ks), kst, layout.offset()), Layout::from_parts(Shape::new(&rs), rst, 0))
}

/// For each output element, folds the reduced elements with `step(acc, value, index)` into
/// `out` (one element per kept position, in row-major order).
fn fold<T: Element, A: Copy + Send + Sync, U: Element>(
    out: &mut [U],
    x: &[T],
    layout: &Layout,
    dims: &[usize],
    init: A,
    step: impl Fn(A, T, usize) -> A + Sync + Send,
    finish: impl Fn(A) -> U + Sync + Send,
) {
    let row = |mut acc: A, p: usize, st: usize, len: usize, idx: usize| {
        for i in 0..len {
            acc = step(acc, x[p + i * st], idx + i);
        }
        acc
    };
    fold_rows(out, layout, dims, init, row, finish)
}

/// [`fold`] a row at a time: `row(acc, start, stride, len, index)` folds the `len` elements at
/// `start + i * stride` (the `index`-th reduced element onwards) into `acc`.
fn fold_rows<A: Copy + Send + Sync, U: Element>(
    out: &mut [U],
    layout: &Layout,
    dims: &[usize],
    init: A,
    row: impl Fn(A, usize, usize, usize, usize) -> A + Sync + Send,
    finish: impl Fn(A) -> U + Sync + Send,
) {
    let (kept, red) = split(layout, dims);
    let rows = Row::new([&red]);
    let (st, len) = (rows.stride[0], rows.len);
    let one = |base: usize| {
        let (mut acc, mut idx) = (init, 0);
        rows.for_each(0..rows.count(), |[s]| {
            acc = row(acc, base + s, st, len, idx);
            idx += len;
        });
        finish(acc)
    };
    let bases: StridedOffsets<'_> = kept.offsets();
    #[cfg(feature = "std")]
    if layout.numel() >= crate::cpu::par_threshold() && kept.numel() > 1 {
        let bases: Vec<usize> = bases.collect();
        crate::cpu::par_fill_pieces(out, |first, piece| {
            for (o, &b) in piece.iter_mut().zip(&bases[first..]) {
                *o = one(b);
            }
        });
        return;
    }
    for (o, b) in out.iter_mut().zip(bases) {
        *o = one(b);
    }
}

/// Sum of a slice with 16 independent accumulators (vectorisable), in `A`.
#[inline(always)]
fn sum_slice<T: Element, A: Element + core::ops::Add<Output = A>>(v: &[T], to: impl Fn(T) -> A) -> A {
    let mut lanes = [A::ZERO; 16];
    let chunks = v.chunks_exact(16);
    let rest = chunks.remainder();
    for c in chunks {
        for (l, &x) in lanes.iter_mut().zip(c) {
            *l = *l + to(x);
        }
    }
    let mut total = A::ZERO;
    for &l in &lanes {
        total = total + l;
    }
    for &x in rest {
        total = total + to(x);
    }
    total
}

/// Sum of a contiguous slice, split across threads.
fn sum_contiguous<T: Element, A: Element + core::ops::Add<Output = A>>(
    v: &[T],
    to: impl Fn(T) -> A + Sync + Send,
) -> A {
    #[cfg(feature = "std")]
    if v.len() >= crate::cpu::par_threshold() {
        use rayon::prelude::*;
        return crate::grad_mode::suspended(|| {
            v.par_chunks(1 << 16).map(|c| sum_slice(c, &to)).reduce(|| A::ZERO, |a, b| a + b)
        });
    }
    sum_slice(v, to)
}

fn sum<T: Element, A: Element + core::ops::Add<Output = A>>(
    out: &mut [T],
    x: &[T],
    layout: &Layout,
    dims: &[usize],
    to: impl Fn(T) -> A + Sync + Send + Copy,
    back: impl Fn(A) -> T + Sync + Send,
) {
    if dims.len() == layout.rank() {
        if let Some((a, b)) = layout.contiguous_range() {
            out[0] = back(sum_contiguous(&x[a..b], to));
            return;
        }
    }
    // A contiguous tensor reduced over its trailing dims (`x.sum(-1)`, a mean over each
    // plane): output `k` is the sum of the `k`-th run, no walker needed.
    let rank = layout.rank();
    if let Some((a, b)) = layout.contiguous_range() {
        if !dims.is_empty() && dims.iter().enumerate().all(|(i, &d)| d == rank - dims.len() + i) && a < b {
            let x = &x[a..b];
            let len = x.len() / out.len().max(1);
            let fill = |first: usize, piece: &mut [T]| {
                for (j, o) in piece.iter_mut().enumerate() {
                    let k = first + j;
                    *o = back(sum_slice(&x[k * len..(k + 1) * len], to));
                }
            };
            #[cfg(feature = "std")]
            if x.len() >= crate::cpu::par_threshold() && out.len() > 1 {
                return crate::cpu::par_fill_pieces(out, fill);
            }
            return fill(0, out);
        }
    }
    // Kept elements that are contiguous (the reduced dims outermost, as `x.sum(0)`) sum a run
    // of outputs per reduced position.
    let (kept, red) = split(layout, dims);
    if super::outer::sum_outer(out, x, &kept, &red, to, &back) {
        return;
    }
    // Rows that are contiguous (the reduced dims innermost, as a conv's bias gradient over
    // [N, H, W]) sum with the vectorised slice sum.
    let row = |acc: A, p: usize, st: usize, len: usize, _| match st {
        1 => acc + sum_slice(&x[p..p + len], to),
        _ => (0..len).fold(acc, |acc, i| acc + to(x[p + i * st])),
    };
    fold_rows(out, layout, dims, A::ZERO, row, back)
}

/// Whether `v` wins over `best` for max (`max`) or min: NaN wins over any number, as PyTorch's
/// max/min propagate NaN. Branch-free (`|`, `&`), so that a loop of it vectorises.
#[inline(always)]
#[allow(clippy::eq_op)]
fn wins<T: Element>(v: T, best: T, max: bool) -> bool {
    let nan = |a: T| a != a;
    (if max { v > best } else { v < best }) | (nan(v) & !nan(best))
}

/// The extreme of a contiguous run and its first index, in 16 lanes (each keeps its first
/// winner; ties between lanes go to the smaller index); u32 indices, the width of an f32, so
/// that values and indices blend in the same vector registers.
#[inline(always)]
fn run_extreme<T: Element>(x: &[T], max: bool) -> (T, usize) {
    if x.len() > u32::MAX as usize {
        let mut best = (x[0], 0);
        for (i, &v) in x.iter().enumerate() {
            if wins(v, best.0, max) {
                best = (v, i);
            }
        }
        return best;
    }
    let (mut val, mut at) = ([x[0]; 16], [0u32; 16]);
    let chunks = x.chunks_exact(16);
    let rest = chunks.remainder();
    for (c, chunk) in chunks.enumerate() {
        let first = (c * 16) as u32;
        for (k, (l, a)) in val.iter_mut().zip(at.iter_mut()).enumerate() {
            let v = chunk[k];
            let take = wins(v, *l, max);
            *l = if take { v } else { *l };
            *a = if take { first + k as u32 } else { *a };
        }
    }
    let (mut best, mut i) = (val[0], at[0] as usize);
    for k in 1..16 {
        if wins(val[k], best, max) || ((at[k] as usize) < i && !wins(best, val[k], max)) {
            (best, i) = (val[k], at[k] as usize);
        }
    }
    let base = x.len() - rest.len();
    for (j, &v) in rest.iter().enumerate() {
        if wins(v, best, max) {
            (best, i) = (v, base + j);
        }
    }
    (best, i)
}

/// Folds a run's extreme `(v, i)` into the running one (the earlier index wins ties).
#[inline(always)]
fn merge<T: Element>(acc: Option<(T, usize)>, v: T, i: usize, max: bool) -> Option<(T, usize)> {
    match acc {
        Some((a, j)) if !wins(v, a, max) => Some((a, j)),
        _ => Some((v, i)),
    }
}

/// Max or min with its first index over the reduced elements; contiguous runs in lanes.
fn extreme_with_index<T: Element, U: Element>(
    out: &mut [U],
    x: &[T],
    layout: &Layout,
    dims: &[usize],
    max: bool,
    finish: impl Fn(Option<(T, usize)>) -> U + Sync + Send,
) {
    let row = move |mut acc: Option<(T, usize)>, p: usize, st: usize, len: usize, idx: usize| {
        if st == 1 && len > 0 {
            let run = &x[p..p + len];
            let (v, i) = crate::cpu::wide::widest!(run_extreme(run, max));
            return merge(acc, v, idx + i, max);
        }
        for i in 0..len {
            acc = merge(acc, x[p + i * st], idx + i, max);
        }
        acc
    };
    fold_rows(out, layout, dims, None, row, finish)
}

fn extreme<T: Element>(out: &mut [T], x: &[T], layout: &Layout, dims: &[usize], max: bool) {
    extreme_with_index(out, x, layout, dims, max, |a| a.map_or(T::ZERO, |(v, _)| v))
}

fn arg_extreme<T: Element>(out: &mut [i64], x: &[T], layout: &Layout, dims: &[usize], max: bool) {
    extreme_with_index(out, x, layout, dims, max, |a| a.map_or(0, |(_, i)| i as i64))
}

/// The number of output elements: the product of the kept dims.
fn kept_numel(layout: &Layout, dims: &[usize]) -> usize {
    layout.dims().iter().enumerate().filter(|(d, _)| !dims.contains(d)).map(|(_, &n)| n).product()
}

/// The dtype `op` gives for an input of `dtype`.
pub(crate) fn result_dtype(dtype: DType, op: ReduceOp) -> DType {
    match op {
        ReduceOp::ArgMax | ReduceOp::ArgMin => DType::I64,
        ReduceOp::Any | ReduceOp::All => DType::Bool,
        _ => dtype,
    }
}

/// Reduces `dims` (sorted) of `x[layout]`; the result is contiguous (reduced dims removed or
/// kept as 1 — the same elements either way).
#[track_caller]
pub(crate) fn reduce(x: &CpuStorage, layout: &Layout, dims: &[usize], op: ReduceOp) -> Result<CpuStorage> {
    let mut out = CpuStorage::for_overwrite("reduce", result_dtype(x.dtype(), op), kept_numel(layout, dims))?;
    reduce_into(x, layout, dims, op, &mut out, 0)?;
    Ok(out)
}

/// [`reduce`] into `out[start..start + kept]`, which has `op`'s result dtype.
#[track_caller]
pub(crate) fn reduce_into(
    x: &CpuStorage,
    layout: &Layout,
    dims: &[usize],
    op: ReduceOp,
    out: &mut CpuStorage,
    start: usize,
) -> Result<()> {
    let kept = kept_numel(layout, dims);
    let want = result_dtype(x.dtype(), op);
    if out.dtype() != want {
        bail!(
            DType,
            "reduce",
            "the result of {:?} over {} is {}, but out has dtype {}",
            op,
            x.dtype(),
            want,
            out.dtype()
        );
    }
    let range = start..start + kept;
    macro_rules! out {
        ($T:ty) => {
            &mut <$T as StorageOf>::slice_of_mut(out).expect("dtype checked")[range]
        };
    }
    macro_rules! same {
        (|$o:ident, $v:ident| $body:expr) => {
            match x {
                CpuStorage::Bool($v) => {
                    let $o = out!(bool);
                    $body
                }
                CpuStorage::U8($v) => {
                    let $o = out!(u8);
                    $body
                }
                CpuStorage::I32($v) => {
                    let $o = out!(i32);
                    $body
                }
                CpuStorage::I64($v) => {
                    let $o = out!(i64);
                    $body
                }
                CpuStorage::I8($v) => {
                    let $o = out!(i8);
                    $body
                }
                CpuStorage::I16($v) => {
                    let $o = out!(i16);
                    $body
                }
                CpuStorage::U16($v) => {
                    let $o = out!(u16);
                    $body
                }
                CpuStorage::U32($v) => {
                    let $o = out!(u32);
                    $body
                }
                CpuStorage::U64($v) => {
                    let $o = out!(u64);
                    $body
                }
                CpuStorage::F16($v) => {
                    let $o = out!(half::f16);
                    $body
                }
                CpuStorage::BF16($v) => {
                    let $o = out!(half::bf16);
                    $body
                }
                CpuStorage::F32($v) => {
                    let $o = out!(f32);
                    $body
                }
                CpuStorage::F64($v) => {
                    let $o = out!(f64);
                    $body
                }
            }
        };
    }
    match op {
        ReduceOp::Sum => match x {
            CpuStorage::F32(v) => sum(out!(f32), v, layout, dims, |x| x, |a| a),
            CpuStorage::F64(v) => sum(out!(f64), v, layout, dims, |x| x, |a| a),
            CpuStorage::F16(v) => sum(out!(half::f16), v, layout, dims, |x| x.to_f32(), half::f16::from_f32),
            CpuStorage::BF16(v) => sum(out!(half::bf16), v, layout, dims, |x| x.to_f32(), half::bf16::from_f32),
            CpuStorage::I64(v) => fold(out!(i64), v, layout, dims, 0i64, |a, x, _| a.wrapping_add(x), |a| a),
            CpuStorage::I32(v) => fold(out!(i32), v, layout, dims, 0i32, |a, x, _| a.wrapping_add(x), |a| a),
            CpuStorage::U8(v) => fold(out!(u8), v, layout, dims, 0u8, |a, x, _| a.wrapping_add(x), |a| a),
            CpuStorage::Bool(v) => fold(out!(bool), v, layout, dims, false, |a, x, _| a | x, |a| a),
            // `Tensor::sum` sums the other integers as int64.
            other => bail!(DType, "sum", "expected a float, bool, uint8, int32 or int64 tensor, got {}", other.dtype()),
        },
        // Integers multiply exactly, wrapping as PyTorch's int64 (f64 would round past 2^53).
        ReduceOp::Prod => match x {
            CpuStorage::I64(v) => fold(out!(i64), v, layout, dims, 1i64, |a, x, _| a.wrapping_mul(x), |a| a),
            CpuStorage::I32(v) => fold(out!(i32), v, layout, dims, 1i32, |a, x, _| a.wrapping_mul(x), |a| a),
            CpuStorage::U8(v) => fold(out!(u8), v, layout, dims, 1u8, |a, x, _| a.wrapping_mul(x), |a| a),
            _ => same!(|o, v| fold(o, v, layout, dims, 1.0f64, |a, x, _| a * x.to_f64(), Element::from_f64)),
        },
        ReduceOp::Max => same!(|o, v| extreme(o, v, layout, dims, true)),
        ReduceOp::Min => same!(|o, v| extreme(o, v, layout, dims, false)),
        ReduceOp::ArgMax => {
            let o = out!(i64);
            with_cpu!(x, |v| arg_extreme(o, v, layout, dims, true))
        }
        ReduceOp::ArgMin => {
            let o = out!(i64);
            with_cpu!(x, |v| arg_extreme(o, v, layout, dims, false))
        }
        ReduceOp::Any => {
            let o = out!(bool);
            with_cpu!(x, |v| fold(o, v, layout, dims, false, |a, x, _| a || x != Element::ZERO, |a| a))
        }
        ReduceOp::All => {
            let o = out!(bool);
            with_cpu!(x, |v| fold(o, v, layout, dims, true, |a, x, _| a && x != Element::ZERO, |a| a))
        }
    }
    Ok(())
}

/// A running sum or product along `dim`, contiguous. Floats accumulate in f64 (as PyTorch's CPU
/// `acc_type`), integers in i64, wrapping.
#[track_caller]
pub(crate) fn scan(x: &CpuStorage, layout: &Layout, dim: usize, op: ScanOp) -> Result<CpuStorage> {
    #[track_caller]
    fn go<T: Element, A: Copy + Send + Sync>(
        v: &[T],
        layout: &Layout,
        dim: usize,
        init: A,
        step: impl Fn(A, T) -> A + Sync + Send,
        back: impl Fn(A) -> T + Sync + Send,
        reverse: bool,
    ) -> Result<Vec<T>> {
        // Move `dim` last (a copy; none to undo when it already is), then scan each row.
        let rank = layout.rank();
        let perm: Dims = (0..rank).filter(|&d| d != dim).chain(core::iter::once(dim)).collect();
        let perm_i: smallvec::SmallVec<[isize; 6]> = perm.iter().map(|&d| d as isize).collect();
        let moved = layout.permute(&perm_i).expect("valid permutation");
        let mut rows = crate::ops::copy::cpu::gather_vec(v, &moved)?;
        let n = layout.dims()[dim];
        if n > 0 {
            #[cfg(feature = "std")]
            let per_task = (rows.len() >= crate::cpu::par_threshold()).then(|| ((16 << 10) / n).max(4));
            #[cfg(not(feature = "std"))]
            let per_task: Option<usize> = None;
            // Eight rows at a time: eight independent running sums, where one row's chain of
            // dependent adds would wait on each add's latency. Plain loops over indices, so
            // that the step inlines (a closure passed by `&mut` to `for_each` became a call per
            // element: cumsum_last 2.2 ms, see BENCHMARKS.md).
            crate::cpu::for_each_piece(&mut rows, n * 8, per_task.map(|k| k.div_ceil(8)), |_, r, _: &mut (), _| {
                if r.len() == 8 * n {
                    let mut acc = [init; 8];
                    for i in 0..n {
                        let j = if reverse { n - 1 - i } else { i };
                        for (l, a) in acc.iter_mut().enumerate() {
                            let x = &mut r[l * n + j];
                            *a = step(*a, *x);
                            *x = back(*a);
                        }
                    }
                    return;
                }
                for row in r.chunks_mut(n) {
                    let mut acc = init;
                    for i in 0..n {
                        let x = &mut row[if reverse { n - 1 - i } else { i }];
                        acc = step(acc, *x);
                        *x = back(acc);
                    }
                }
            });
        }
        if dim + 1 == rank {
            return Ok(rows);
        }
        // Move `dim` back to its place.
        let moved_shape: Dims = perm.iter().map(|&d| layout.dims()[d]).collect();
        let mut inv = alloc::vec![0isize; rank];
        for (i, &d) in perm.iter().enumerate() {
            inv[d] = i as isize;
        }
        let back = Layout::contiguous(Shape::new(&moved_shape)).permute(&inv).expect("valid permutation");
        crate::ops::copy::cpu::gather_vec(&rows, &back)
    }
    #[track_caller]
    fn float<T: Element>(v: &[T], layout: &Layout, dim: usize, op: ScanOp) -> Result<Vec<T>> {
        match op {
            ScanOp::CumSum => go(v, layout, dim, 0.0, |a, x: T| a + x.to_f64(), T::from_f64, false),
            ScanOp::ReverseCumSum => go(v, layout, dim, 0.0, |a, x: T| a + x.to_f64(), T::from_f64, true),
            ScanOp::CumProd => go(v, layout, dim, 1.0, |a, x: T| a * x.to_f64(), T::from_f64, false),
        }
    }
    #[track_caller]
    fn int<T: crate::cpu::IntElem>(v: &[T], layout: &Layout, dim: usize, op: ScanOp) -> Result<Vec<T>> {
        match op {
            ScanOp::CumSum => go(v, layout, dim, 0i64, |a, x: T| a.wrapping_add(x.i64()), T::of_i64, false),
            ScanOp::ReverseCumSum => go(v, layout, dim, 0i64, |a, x: T| a.wrapping_add(x.i64()), T::of_i64, true),
            ScanOp::CumProd => go(v, layout, dim, 1i64, |a, x: T| a.wrapping_mul(x.i64()), T::of_i64, false),
        }
    }
    if layout.rank() == 0 {
        return crate::ops::copy::cpu::contiguous(x, layout);
    }
    Ok(match x {
        CpuStorage::Bool(_) => bail!(DType, "cumsum", "expected a numeric tensor, got torch.bool"),
        CpuStorage::U8(v) => CpuStorage::U8(int(v, layout, dim, op)?),
        CpuStorage::I32(v) => CpuStorage::I32(int(v, layout, dim, op)?),
        CpuStorage::I64(v) => CpuStorage::I64(int(v, layout, dim, op)?),
        CpuStorage::I8(v) => CpuStorage::I8(int(v, layout, dim, op)?),
        CpuStorage::I16(v) => CpuStorage::I16(int(v, layout, dim, op)?),
        CpuStorage::U16(v) => CpuStorage::U16(int(v, layout, dim, op)?),
        CpuStorage::U32(v) => CpuStorage::U32(int(v, layout, dim, op)?),
        CpuStorage::U64(v) => CpuStorage::U64(int(v, layout, dim, op)?),
        CpuStorage::F16(v) => CpuStorage::F16(float(v, layout, dim, op)?),
        CpuStorage::BF16(v) => CpuStorage::BF16(float(v, layout, dim, op)?),
        CpuStorage::F32(v) => CpuStorage::F32(float(v, layout, dim, op)?),
        CpuStorage::F64(v) => CpuStorage::F64(float(v, layout, dim, op)?),
    })
}
