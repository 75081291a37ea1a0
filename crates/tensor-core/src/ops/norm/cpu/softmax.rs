//! Softmax and log-softmax of rows, forward and backward.

use super::rows::{by_float_dtype, parallel, rows_per_task, slice};
use crate::cpu::vmath::Math;
use crate::cpu::wide::{lane_sum, lane_sum2, row_max, widest};
use crate::cpu::{buffer_for_overwrite, for_each_piece, CpuStorage, StorageOf};
use crate::ops::copy::cpu::{is_half, narrowed, widened};
use crate::{Layout, Result};
use alloc::vec::Vec;

/// Softmax (or log-softmax) of one row.
#[inline(always)]
fn softmax_row<T: Math>(x: &[T], out: &mut [T], log: bool) {
    let m = row_max(x);
    // The exps go through `out` (a row in L1) so that each loop is a plain vector loop.
    for (o, &v) in out.iter_mut().zip(x) {
        *o = Math::exp(v - m);
    }
    let s = lane_sum(out, |e| e);
    if log {
        let ls = Math::ln(s);
        for (o, &v) in out.iter_mut().zip(x) {
            *o = v - m - ls;
        }
    } else {
        let inv = T::ONE / s;
        for o in out.iter_mut() {
            *o = *o * inv;
        }
    }
}

#[track_caller]
fn softmax_typed<T: Math>(x: &[T], n: usize, log: bool) -> Result<Vec<T>> {
    let mut out = buffer_for_overwrite::<T>("softmax", x.len())?;
    let per_task = parallel(x.len()).map(|_| rows_per_task(n));
    for_each_piece(&mut out, n, per_task, |r, row, _: &mut (), _| {
        let x = &x[r * n..(r + 1) * n];
        widest!(softmax_row(x, row, log))
    });
    Ok(out)
}

#[track_caller]
pub(super) fn softmax(x: &CpuStorage, layout: &Layout, n: usize, log: bool) -> Result<CpuStorage> {
    if is_half(x) {
        let (wide, l) = widened(x, layout)?;
        return narrowed(&softmax(&wide, &l, n, log)?, &l, x.dtype());
    }
    by_float_dtype!(x.dtype(), "softmax", |T| Ok(StorageOf::into_storage(softmax_typed::<T>(
        slice(x, layout, "softmax")?,
        n,
        log
    )?)))
}

/// `log(sum(exp(x - m))) + m` of one row, `m` its max (0 where that is infinite, as
/// `torch.logsumexp`, so that a row of -inf gives -inf and a +inf gives +inf).
#[inline(always)]
fn logsumexp_row<T: Math>(x: &[T]) -> T {
    let m = row_max(x);
    let m = if m.is_infinite() { T::ZERO } else { m };
    Math::ln(lane_sum(x, |v| Math::exp(v - m))) + m
}

#[track_caller]
fn logsumexp_typed<T: Math>(x: &[T], n: usize) -> Result<Vec<T>> {
    let mut out = buffer_for_overwrite::<T>("logsumexp", x.len() / n)?;
    // A task is a run of rows: about 64 KiB of input.
    let per_task = parallel(x.len()).map(|_| rows_per_task(n));
    for_each_piece(&mut out, 1, per_task, |r, o, _: &mut (), _| {
        let x = &x[r * n..(r + 1) * n];
        o[0] = widest!(logsumexp_row(x));
    });
    Ok(out)
}

#[track_caller]
pub(super) fn logsumexp(x: &CpuStorage, layout: &Layout, n: usize) -> Result<CpuStorage> {
    if is_half(x) {
        let (wide, l) = widened(x, layout)?;
        let rows = Layout::contiguous(crate::shape::Shape::new(&[l.numel() / n]));
        return narrowed(&logsumexp(&wide, &l, n)?, &rows, x.dtype());
    }
    by_float_dtype!(x.dtype(), "logsumexp", |T| Ok(StorageOf::into_storage(logsumexp_typed::<T>(
        slice(x, layout, "logsumexp")?,
        n
    )?)))
}

/// The gradient of one row: `y (g - sum(g y))`, or `g - exp(y) sum(g)` for log-softmax.
#[inline(always)]
fn softmax_backward_row<T: Math>(g: &[T], y: &[T], out: &mut [T], log: bool) {
    if log {
        let s = lane_sum(g, |v| v);
        for ((o, &gi), &yi) in out.iter_mut().zip(g).zip(y) {
            *o = gi - Math::exp(yi) * s;
        }
    } else {
        let dot = lane_sum2(g, y, |a, b| a * b);
        for ((o, &gi), &yi) in out.iter_mut().zip(g).zip(y) {
            *o = yi * (gi - dot);
        }
    }
}

#[track_caller]
fn softmax_backward_typed<T: Math>(g: &[T], y: &[T], n: usize, log: bool) -> Result<Vec<T>> {
    let mut out = buffer_for_overwrite::<T>("softmax_backward", g.len())?;
    let per_task = parallel(g.len()).map(|_| rows_per_task(n));
    for_each_piece(&mut out, n, per_task, |r, row, _: &mut (), _| {
        let (g, y) = (&g[r * n..(r + 1) * n], &y[r * n..(r + 1) * n]);
        widest!(softmax_backward_row(g, y, row, log))
    });
    Ok(out)
}

#[track_caller]
pub(super) fn softmax_backward(
    g: &CpuStorage,
    y: &CpuStorage,
    layout: &Layout,
    n: usize,
    log: bool,
) -> Result<CpuStorage> {
    if is_half(g) {
        let (gw, l) = widened(g, layout)?;
        let (yw, _) = widened(y, layout)?;
        return narrowed(&softmax_backward(&gw, &yw, &l, n, log)?, &l, g.dtype());
    }
    let op = "softmax_backward";
    by_float_dtype!(g.dtype(), op, |T| {
        let (g, y) = (slice(g, layout, op)?, slice(y, layout, op)?);
        Ok(StorageOf::into_storage(softmax_backward_typed::<T>(g, y, n, log)?))
    })
}
