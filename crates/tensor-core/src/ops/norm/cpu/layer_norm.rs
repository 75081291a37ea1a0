//! Layer norm of rows, forward and backward (the weight's and bias's gradients summed over rows
//! in per-task partial sums).

use super::rows::{by_float_dtype, for_row_tasks, slice, Stats};
#[cfg(feature = "std")]
use super::rows::{parallel, rows_per_task};
use crate::cpu::vmath::Math;
use crate::cpu::wide::widest;
use crate::cpu::wide::{lane_sum, lane_sum2};
use crate::cpu::{buffer_for_overwrite, CpuStorage, StorageOf};
use crate::ops::copy::cpu::{is_half, narrowed, widened};
use crate::{Layout, Result};
use alloc::vec::Vec;

/// One row of layer norm; returns the row's mean and `1 / sqrt(var + eps)`.
#[inline(always)]
fn layer_norm_row<T: Math>(x: &[T], out: &mut [T], w: Option<&[T]>, b: Option<&[T]>, eps: T) -> (T, T) {
    let n = x.len();
    let inv_n = T::ONE / T::of(n as f64);
    // Two passes (mean, then the mean square of the deviations): stable without Welford.
    let mean = lane_sum(x, |v| v) * inv_n;
    let var = lane_sum(x, |v| (v - mean) * (v - mean)) * inv_n;
    let rstd = T::ONE / (var + eps).sqrt();
    match (w, b) {
        (Some(w), Some(b)) => {
            for (((o, &v), &wi), &bi) in out.iter_mut().zip(x).zip(w).zip(b) {
                *o = (v - mean) * rstd * wi + bi;
            }
        }
        (Some(w), None) => {
            for ((o, &v), &wi) in out.iter_mut().zip(x).zip(w) {
                *o = (v - mean) * rstd * wi;
            }
        }
        _ => {
            for (o, &v) in out.iter_mut().zip(x) {
                *o = (v - mean) * rstd;
            }
        }
    }
    (mean, rstd)
}

#[track_caller]
fn layer_norm_typed<T: Math>(x: &[T], n: usize, w: Option<&[T]>, b: Option<&[T]>, eps: f64) -> Result<Stats<T>> {
    let rows = x.len() / n;
    let mut out = buffer_for_overwrite::<T>("layer_norm", x.len())?;
    let mut stats = alloc::vec![(T::ZERO, T::ZERO); rows];
    let eps = T::of(eps);
    for_row_tasks(&mut out, &mut stats, n, |first, out, stats| {
        for (i, (row, s)) in out.chunks_mut(n).zip(stats.iter_mut()).enumerate() {
            let x = &x[(first + i) * n..(first + i + 1) * n];
            *s = widest!(layer_norm_row(x, row, w, b, eps));
        }
    });
    let mean = stats.iter().map(|s| s.0).collect();
    let rstd = stats.iter().map(|s| s.1).collect();
    Ok((out, mean, rstd))
}

#[track_caller]
pub(super) fn layer_norm(
    x: &CpuStorage,
    layout: &Layout,
    n: usize,
    w: Option<&CpuStorage>,
    b: Option<&CpuStorage>,
    eps: f64,
) -> Result<(CpuStorage, CpuStorage, CpuStorage)> {
    let op = "layer_norm";
    if is_half(x) {
        let (xw, l) = widened(x, layout)?;
        let ln = Layout::contiguous([n]);
        let ww = w.map(|w| widened(w, &ln)).transpose()?;
        let bw = b.map(|b| widened(b, &ln)).transpose()?;
        let (y, mean, rstd) = layer_norm(&xw, &l, n, ww.as_ref().map(|w| &w.0), bw.as_ref().map(|b| &b.0), eps)?;
        return Ok((narrowed(&y, &l, x.dtype())?, mean, rstd));
    }
    let ln = Layout::contiguous([n]);
    by_float_dtype!(x.dtype(), op, |T| {
        let w = w.map(|w| slice::<T>(w, &ln, op)).transpose()?;
        let b = b.map(|b| slice::<T>(b, &ln, op)).transpose()?;
        let (y, mean, rstd) = layer_norm_typed::<T>(slice(x, layout, op)?, n, w, b, eps)?;
        Ok((StorageOf::into_storage(y), StorageOf::into_storage(mean), StorageOf::into_storage(rstd)))
    })
}

/// One row's input gradient, and its terms of the weight's and bias's gradients:
/// `dx = rstd (g w - mean(g w) - xhat mean(g w xhat))`, `dw += g xhat`, `db += g`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn layer_norm_backward_row<T: Math>(
    g: &[T],
    x: &[T],
    mean: T,
    rstd: T,
    w: Option<&[T]>,
    dx: &mut [T],
    dw: &mut [T],
    db: &mut [T],
) {
    let n = g.len();
    let inv_n = T::ONE / T::of(n as f64);
    // dx holds g w first (a row in L1), so that every loop is a plain vector loop.
    match w {
        Some(w) => dx.iter_mut().zip(g).zip(w).for_each(|((d, &gi), &wi)| *d = gi * wi),
        None => dx.copy_from_slice(g),
    }
    let a = lane_sum(dx, |v| v) * inv_n;
    let b = lane_sum2(dx, x, |gw, xi| gw * ((xi - mean) * rstd)) * inv_n;
    for (d, &xi) in dx.iter_mut().zip(x) {
        *d = rstd * (*d - a - (xi - mean) * rstd * b);
    }
    if w.is_some() {
        for (((dwi, dbi), &gi), &xi) in dw.iter_mut().zip(db.iter_mut()).zip(g).zip(x) {
            *dwi += gi * ((xi - mean) * rstd);
            *dbi += gi;
        }
    }
}

#[track_caller]
fn layer_norm_backward_typed<T: Math>(
    g: &[T],
    x: &[T],
    mean: &[T],
    rstd: &[T],
    w: Option<&[T]>,
    n: usize,
) -> Result<Stats<T>> {
    let mut dx = buffer_for_overwrite::<T>("layer_norm_backward", g.len())?;
    let sums = if w.is_some() { n } else { 0 };
    // A task's rows, with its own partial sums of dw and db (added up after).
    let task = |first: usize, dx: &mut [T]| -> (Vec<T>, Vec<T>) {
        let (mut dw, mut db) = (alloc::vec![T::ZERO; sums], alloc::vec![T::ZERO; sums]);
        for (i, d) in dx.chunks_mut(n).enumerate() {
            let r = first + i;
            let (g, x) = (&g[r * n..(r + 1) * n], &x[r * n..(r + 1) * n]);
            widest!(layer_norm_backward_row(g, x, mean[r], rstd[r], w, d, &mut dw, &mut db))
        }
        (dw, db)
    };
    let add = |(mut a, mut b): (Vec<T>, Vec<T>), (c, d): (Vec<T>, Vec<T>)| {
        a.iter_mut().zip(c).for_each(|(a, c)| *a += c);
        b.iter_mut().zip(d).for_each(|(b, d)| *b += d);
        (a, b)
    };
    #[cfg(feature = "std")]
    if parallel(g.len()).is_some() {
        use rayon::prelude::*;
        let k = rows_per_task(n);
        let zeros = || (alloc::vec![T::ZERO; sums], alloc::vec![T::ZERO; sums]);
        let (dw, db) = crate::grad_mode::suspended(|| {
            dx.par_chunks_mut(n * k).enumerate().map(|(t, c)| task(t * k, c)).reduce(zeros, add)
        });
        return Ok((dx, dw, db));
    }
    let (dw, db) = task(0, &mut dx);
    let _ = add;
    Ok((dx, dw, db))
}

#[track_caller]
pub(super) fn layer_norm_backward(
    g: &CpuStorage,
    layout: &Layout,
    x: &CpuStorage,
    mean: &CpuStorage,
    rstd: &CpuStorage,
    w: Option<&CpuStorage>,
    n: usize,
) -> Result<(CpuStorage, CpuStorage, CpuStorage)> {
    let op = "layer_norm_backward";
    let (ln, lr) = (Layout::contiguous([n]), Layout::contiguous([layout.numel() / n]));
    if is_half(g) {
        let (gw, l) = widened(g, layout)?;
        let (xw, _) = widened(x, layout)?;
        let ww = w.map(|w| widened(w, &ln)).transpose()?;
        let (dx, dw, db) = layer_norm_backward(&gw, &l, &xw, mean, rstd, ww.as_ref().map(|w| &w.0), n)?;
        let (dw, db) =
            if w.is_some() { (narrowed(&dw, &ln, g.dtype())?, narrowed(&db, &ln, g.dtype())?) } else { (dw, db) };
        return Ok((narrowed(&dx, &l, g.dtype())?, dw, db));
    }
    by_float_dtype!(g.dtype(), op, |T| {
        let w = w.map(|w| slice::<T>(w, &ln, op)).transpose()?;
        let (dx, dw, db) = layer_norm_backward_typed::<T>(
            slice(g, layout, op)?,
            slice(x, layout, op)?,
            slice(mean, &lr, op)?,
            slice(rstd, &lr, op)?,
            w,
            n,
        )?;
        Ok((StorageOf::into_storage(dx), StorageOf::into_storage(dw), StorageOf::into_storage(db)))
    })
}
