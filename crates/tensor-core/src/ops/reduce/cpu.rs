//! CPU kernels for reductions. The layout is split into kept dims (one output element each) and
//! reduced dims (walked as rows); a contiguous full reduction is a parallel, multi-accumulator
//! slice sum that vectorises.

use crate::backend::{ReduceOp, ScanOp};
use crate::cpu::{CpuStorage, Row, StorageOf};
use crate::layout::StridedOffsets;
use crate::shape::{Dims, Shape};
use crate::{bail, with_cpu, Element, Layout, Result};
use alloc::vec::Vec;

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

/// For each output element, folds the reduced elements with `step(acc, value, index)`.
fn fold<T: Element, A: Copy + Send + Sync, U: Element>(
    x: &[T],
    layout: &Layout,
    dims: &[usize],
    init: A,
    step: impl Fn(A, T, usize) -> A + Sync + Send,
    finish: impl Fn(A) -> U + Sync + Send,
) -> Vec<U> {
    let (kept, red) = split(layout, dims);
    let row = Row::new([&red]);
    let st = row.stride[0];
    let one = |base: usize| {
        let mut acc = init;
        let mut idx = 0;
        row.for_each(0..row.count(), |[s]| {
            let p = base + s;
            for i in 0..row.len {
                acc = step(acc, x[p + i * st], idx);
                idx += 1;
            }
        });
        finish(acc)
    };
    let bases: StridedOffsets<'_> = kept.offsets();
    #[cfg(feature = "std")]
    if layout.numel() >= crate::cpu::par_threshold() && kept.numel() > 1 {
        use rayon::prelude::*;
        let bases: Vec<usize> = bases.collect();
        return bases.par_iter().map(|&b| one(b)).collect();
    }
    bases.map(one).collect()
}

/// Sum of a slice with 16 independent accumulators (vectorisable), in `A`.
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
        return v.par_chunks(1 << 16).map(|c| sum_slice(c, &to)).reduce(|| A::ZERO, |a, b| a + b);
    }
    sum_slice(v, to)
}

fn sum<T: Element, A: Element + core::ops::Add<Output = A>>(
    x: &[T],
    layout: &Layout,
    dims: &[usize],
    to: impl Fn(T) -> A + Sync + Send + Copy,
    back: impl Fn(A) -> T + Sync + Send,
) -> Vec<T> {
    if dims.len() == layout.rank() {
        if let Some((a, b)) = layout.contiguous_range() {
            return alloc::vec![back(sum_contiguous(&x[a..b], to))];
        }
    }
    fold(x, layout, dims, A::ZERO, move |acc, v, _| acc + to(v), back)
}

fn prod<T: Element>(x: &[T], layout: &Layout, dims: &[usize]) -> Vec<T> {
    fold(x, layout, dims, 1.0f64, |a, v, _| a * v.to_f64(), T::from_f64)
}

fn is_nan<T: Element>(v: T) -> bool {
    v.partial_cmp(&v).is_none()
}

fn extreme<T: Element>(x: &[T], layout: &Layout, dims: &[usize], max: bool) -> Vec<T> {
    let better = move |a: T, b: T| if max { a > b } else { a < b };
    fold(
        x,
        layout,
        dims,
        None,
        move |acc: Option<T>, v, _| match acc {
            None => Some(v),
            Some(a) if is_nan(a) => Some(a),
            Some(a) => Some(if is_nan(v) || better(v, a) { v } else { a }),
        },
        |a| a.unwrap_or(T::ZERO),
    )
}

fn arg_extreme<T: Element>(x: &[T], layout: &Layout, dims: &[usize], max: bool) -> Vec<i64> {
    let better = move |a: T, b: T| if max { a > b } else { a < b };
    fold(
        x,
        layout,
        dims,
        None,
        move |acc: Option<(T, usize)>, v, i| match acc {
            None => Some((v, i)),
            Some((a, j)) if is_nan(a) => Some((a, j)),
            Some((a, j)) => Some(if is_nan(v) || better(v, a) { (v, i) } else { (a, j) }),
        },
        |a| a.map_or(0, |(_, i)| i as i64),
    )
}

macro_rules! float_sum {
    ($v:ident, $layout:ident, $dims:ident, $half:ty) => {
        sum($v, $layout, $dims, |x: $half| x.to_f32(), <$half>::from_f32)
    };
}

/// Reduces `dims` (sorted) of `x[layout]`; the result is contiguous (reduced dims removed or
/// kept as 1 — the same elements either way).
pub(crate) fn reduce(x: &CpuStorage, layout: &Layout, dims: &[usize], op: ReduceOp) -> Result<CpuStorage> {
    Ok(match op {
        ReduceOp::Sum => match x {
            CpuStorage::F32(v) => CpuStorage::F32(sum(v, layout, dims, |x| x, |a| a)),
            CpuStorage::F64(v) => CpuStorage::F64(sum(v, layout, dims, |x| x, |a| a)),
            CpuStorage::F16(v) => CpuStorage::F16(float_sum!(v, layout, dims, half::f16)),
            CpuStorage::BF16(v) => CpuStorage::BF16(float_sum!(v, layout, dims, half::bf16)),
            CpuStorage::I64(v) => CpuStorage::I64(fold(v, layout, dims, 0i64, |a, x, _| a.wrapping_add(x), |a| a)),
            CpuStorage::I32(v) => CpuStorage::I32(fold(v, layout, dims, 0i32, |a, x, _| a.wrapping_add(x), |a| a)),
            CpuStorage::U8(v) => CpuStorage::U8(fold(v, layout, dims, 0u8, |a, x, _| a.wrapping_add(x), |a| a)),
            CpuStorage::Bool(v) => CpuStorage::Bool(fold(v, layout, dims, false, |a, x, _| a | x, |a| a)),
        },
        // Integers multiply exactly, wrapping as PyTorch's int64 (f64 would round past 2^53).
        ReduceOp::Prod => match x {
            CpuStorage::I64(v) => CpuStorage::I64(fold(v, layout, dims, 1i64, |a, x, _| a.wrapping_mul(x), |a| a)),
            CpuStorage::I32(v) => CpuStorage::I32(fold(v, layout, dims, 1i32, |a, x, _| a.wrapping_mul(x), |a| a)),
            CpuStorage::U8(v) => CpuStorage::U8(fold(v, layout, dims, 1u8, |a, x, _| a.wrapping_mul(x), |a| a)),
            _ => with_cpu!(x, |v| { StorageOf::into_storage(prod(v, layout, dims)) }),
        },
        ReduceOp::Max => with_cpu!(x, |v| StorageOf::into_storage(extreme(v, layout, dims, true))),
        ReduceOp::Min => with_cpu!(x, |v| StorageOf::into_storage(extreme(v, layout, dims, false))),
        ReduceOp::ArgMax => CpuStorage::I64(with_cpu!(x, |v| arg_extreme(v, layout, dims, true))),
        ReduceOp::ArgMin => CpuStorage::I64(with_cpu!(x, |v| arg_extreme(v, layout, dims, false))),
        ReduceOp::Any => {
            CpuStorage::Bool(with_cpu!(x, |v| fold(v, layout, dims, false, |a, x, _| a || x != Element::ZERO, |a| a)))
        }
        ReduceOp::All => {
            CpuStorage::Bool(with_cpu!(x, |v| fold(v, layout, dims, true, |a, x, _| a && x != Element::ZERO, |a| a)))
        }
    })
}

/// A running sum or product along `dim`, contiguous. Floats accumulate in f64 (as PyTorch's CPU
/// `acc_type`), integers in i64, wrapping.
pub(crate) fn scan(x: &CpuStorage, layout: &Layout, dim: usize, op: ScanOp) -> Result<CpuStorage> {
    fn go<T: Element, A: Copy>(
        v: &[T],
        layout: &Layout,
        dim: usize,
        init: A,
        step: impl Fn(A, T) -> A,
        back: impl Fn(A) -> T,
    ) -> Vec<T> {
        // Move `dim` last, copy to contiguous, then scan each row.
        let rank = layout.rank();
        let perm: Dims = (0..rank).filter(|&d| d != dim).chain(core::iter::once(dim)).collect();
        let perm_i: smallvec::SmallVec<[isize; 6]> = perm.iter().map(|&d| d as isize).collect();
        let moved = layout.permute(&perm_i).expect("valid permutation");
        let mut rows = crate::ops::copy::cpu::gather_vec(v, &moved);
        let n = layout.dims()[dim];
        if n > 0 {
            for r in rows.chunks_mut(n) {
                let mut acc = init;
                for x in r.iter_mut() {
                    acc = step(acc, *x);
                    *x = back(acc);
                }
            }
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
    fn float<T: Element>(v: &[T], layout: &Layout, dim: usize, op: ScanOp) -> Vec<T> {
        match op {
            ScanOp::CumSum => go(v, layout, dim, 0.0, |a, x: T| a + x.to_f64(), T::from_f64),
            ScanOp::CumProd => go(v, layout, dim, 1.0, |a, x: T| a * x.to_f64(), T::from_f64),
        }
    }
    fn int<T: crate::cpu::IntElem>(v: &[T], layout: &Layout, dim: usize, op: ScanOp) -> Vec<T> {
        match op {
            ScanOp::CumSum => go(v, layout, dim, 0i64, |a, x: T| a.wrapping_add(x.i64()), T::of_i64),
            ScanOp::CumProd => go(v, layout, dim, 1i64, |a, x: T| a.wrapping_mul(x.i64()), T::of_i64),
        }
    }
    if layout.rank() == 0 {
        return Ok(crate::ops::copy::cpu::contiguous(x, layout));
    }
    Ok(match x {
        CpuStorage::Bool(_) => bail!(DType, "cumsum", "expected a numeric tensor, got torch.bool"),
        CpuStorage::U8(v) => CpuStorage::U8(int(v, layout, dim, op)),
        CpuStorage::I32(v) => CpuStorage::I32(int(v, layout, dim, op)),
        CpuStorage::I64(v) => CpuStorage::I64(int(v, layout, dim, op)),
        CpuStorage::F16(v) => CpuStorage::F16(float(v, layout, dim, op)),
        CpuStorage::BF16(v) => CpuStorage::BF16(float(v, layout, dim, op)),
        CpuStorage::F32(v) => CpuStorage::F32(float(v, layout, dim, op)),
        CpuStorage::F64(v) => CpuStorage::F64(float(v, layout, dim, op)),
    })
}
