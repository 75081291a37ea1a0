//! CPU kernel for sorting along a dim: `dim` is moved last and made contiguous, each row is
//! sorted stably by (value, position) with NaN as the largest value (as PyTorch), and the rows
//! are moved back. Many rows sort in parallel; one long row uses a parallel merge sort.

use crate::backend::{SortOps, Storage};
use crate::cpu::{CpuStorage, StorageOf};
use crate::ops::copy::cpu::{contiguous, gather_vec};
use crate::shape::{Dims, Shape};
use crate::{with_cpu, Element, Layout, Result};
use alloc::vec::Vec;
use core::cmp::Ordering;

impl SortOps<Storage> for CpuStorage {
    #[track_caller]
    fn sort(&self, layout: &Layout, dim: usize, descending: bool) -> Result<(Storage, Storage)> {
        let (v, i) = sort(self, layout, dim, descending)?;
        Ok((Storage::new(v), Storage::new(i)))
    }
}

/// The order of `torch.sort`: the usual one, with NaN above everything (and equal to NaN).
#[inline]
fn nan_last<T: Element>(a: &T, b: &T) -> Ordering {
    match a.partial_cmp(b) {
        Some(o) => o,
        #[allow(clippy::eq_op)]
        None => (a != a).cmp(&(b != b)),
    }
}

/// Sorts one row of values stably, writing the values and their original positions (`pairs` is
/// scratch space, reused across rows).
fn sort_row<T: Element>(vals: &mut [T], idx: &mut [i64], descending: bool, parallel: bool, pairs: &mut Vec<(T, i64)>) {
    pairs.clear();
    pairs.extend(vals.iter().copied().zip(0i64..));
    let cmp = |a: &(T, i64), b: &(T, i64)| {
        if descending {
            nan_last(&b.0, &a.0)
        } else {
            nan_last(&a.0, &b.0)
        }
    };
    #[cfg(feature = "std")]
    if parallel {
        use rayon::slice::ParallelSliceMut;
        crate::grad_mode::suspended(|| pairs.par_sort_by(cmp));
    } else {
        pairs.sort_by(cmp);
    }
    #[cfg(not(feature = "std"))]
    {
        let _ = parallel;
        pairs.sort_by(cmp);
    }
    for ((v, i), &(pv, pi)) in vals.iter_mut().zip(idx.iter_mut()).zip(pairs.iter()) {
        *v = pv;
        *i = pi;
    }
}

#[track_caller]
fn sort_typed<T: Element>(x: &[T], layout: &Layout, dim: usize, descending: bool) -> Result<(Vec<T>, Vec<i64>)> {
    let rank = layout.rank();
    let perm: Dims = (0..rank).filter(|&d| d != dim).chain(core::iter::once(dim)).collect();
    let perm_i: smallvec::SmallVec<[isize; 6]> = perm.iter().map(|&d| d as isize).collect();
    let moved = layout.permute(&perm_i).expect("a permutation of the layout's dims");
    let mut vals = gather_vec(x, &moved)?;
    let mut idx = crate::cpu::buffer_for_overwrite::<i64>("sort", vals.len())?;
    let n = layout.dims()[dim];
    if n > 0 && !vals.is_empty() {
        let rows = vals.len() / n;
        let big = vals.len() >= crate::cpu::par_threshold();
        #[cfg(feature = "std")]
        if big && rows > 1 {
            use rayon::prelude::*;
            crate::grad_mode::suspended(|| {
                vals.par_chunks_mut(n)
                    .zip(idx.par_chunks_mut(n))
                    .for_each_init(Vec::new, |pairs, (v, i)| sort_row(v, i, descending, false, pairs))
            });
        } else {
            let mut pairs = Vec::with_capacity(n);
            for (v, i) in vals.chunks_mut(n).zip(idx.chunks_mut(n)) {
                sort_row(v, i, descending, big, &mut pairs);
            }
        }
        #[cfg(not(feature = "std"))]
        {
            let _ = (big, rows);
            let mut pairs = Vec::with_capacity(n);
            for (v, i) in vals.chunks_mut(n).zip(idx.chunks_mut(n)) {
                sort_row(v, i, descending, false, &mut pairs);
            }
        }
    }
    if dim + 1 == rank {
        return Ok((vals, idx));
    }
    // Move `dim` back to its place.
    let moved_shape: Dims = perm.iter().map(|&d| layout.dims()[d]).collect();
    let mut inv = alloc::vec![0isize; rank];
    for (i, &d) in perm.iter().enumerate() {
        inv[d] = i as isize;
    }
    let back = Layout::contiguous(Shape::new(&moved_shape)).permute(&inv).expect("the inverse permutation");
    Ok((gather_vec(&vals, &back)?, gather_vec(&idx, &back)?))
}

/// Stable sort of `x[layout]` along `dim`: (values, I64 indices), both contiguous.
#[track_caller]
pub(crate) fn sort(x: &CpuStorage, layout: &Layout, dim: usize, descending: bool) -> Result<(CpuStorage, CpuStorage)> {
    if layout.rank() == 0 {
        return Ok((contiguous(x, layout)?, CpuStorage::I64(alloc::vec![0])));
    }
    if layout.numel() == 0 {
        return Ok((CpuStorage::zeros("sort", x.dtype(), 0)?, CpuStorage::I64(alloc::vec![])));
    }
    Ok(with_cpu!(x, |v| {
        let (vals, idx) = sort_typed(v, layout, dim, descending)?;
        (StorageOf::into_storage(vals), CpuStorage::I64(idx))
    }))
}
