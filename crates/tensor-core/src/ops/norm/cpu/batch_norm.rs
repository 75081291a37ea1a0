//! Batch norm's training step over `[n, c, s]`: each channel's statistics (two passes over its
//! `n` planes, channels across threads), then one pass over the planes that applies them, as
//! PyTorch's `batch_norm_cpu`: `y = x * alpha + beta` with `alpha = w / sqrt(var + eps)` and
//! `beta = b - mean * alpha`. The backward's per-channel sums likewise, then
//! `dx = k (g - sum(g) / m - (x - mean) sum(g (x - mean)) / (m (var + eps)))`, `k = w rstd`.

use super::rows::{by_float_dtype, slice};
use crate::cpu::vmath::Math;
use crate::cpu::wide::widest;
use crate::cpu::wide::{lane_sum, lane_sum2};
use crate::cpu::{buffer_for_overwrite, for_each_piece, CpuStorage, StorageOf};
use crate::ops::copy::cpu::{is_half, narrowed, widened};
use crate::{Layout, Result};
use alloc::vec::Vec;

/// `f(channel)` for every channel, across threads when the tensor is large.
fn per_channel<R: Send>(c: usize, numel: usize, f: impl Fn(usize) -> R + Sync + Send) -> Vec<R> {
    #[cfg(feature = "std")]
    if numel >= crate::cpu::par_threshold() && c > 1 {
        use rayon::prelude::*;
        return crate::grad_mode::suspended(|| (0..c).into_par_iter().map(&f).collect());
    }
    let _ = numel;
    (0..c).map(f).collect()
}

/// `f(plane, channel, out_plane)` for each plane of `s` elements of `out` (plane `p` is channel
/// `p % c`), planes across threads.
fn per_plane<T: Math>(out: &mut [T], c: usize, s: usize, f: impl Fn(usize, usize, &mut [T]) + Sync + Send) {
    #[cfg(feature = "std")]
    let per_task = (out.len() >= crate::cpu::par_threshold()).then(|| ((16 << 10) / s.max(1)).max(1));
    #[cfg(not(feature = "std"))]
    let per_task = None;
    for_each_piece(out, s, per_task, |p, plane, _: &mut (), _| f(p, p % c, plane));
}

/// Each channel's mean and biased variance over the `n` planes of `s` elements.
fn channel_stats<T: Math>(x: &[T], c: usize, s: usize) -> Vec<(T, T)> {
    let n = x.len() / (c * s);
    let inv_m = T::ONE / T::of((n * s) as f64);
    per_channel(c, x.len(), |ch| {
        let plane = |i: usize| &x[(i * c + ch) * s..(i * c + ch + 1) * s];
        let mean = (0..n).fold(T::ZERO, |acc, i| acc + widest!(lane_sum(plane(i), |v| v))) * inv_m;
        let var = (0..n).fold(T::ZERO, |acc, i| acc + widest!(lane_sum(plane(i), |v| (v - mean) * (v - mean)))) * inv_m;
        (mean, var)
    })
}

type Triple<T> = (Vec<T>, Vec<T>, Vec<T>);

#[track_caller]
fn forward_typed<T: Math>(
    x: &[T],
    c: usize,
    s: usize,
    w: Option<&[T]>,
    b: Option<&[T]>,
    eps: f64,
) -> Result<Triple<T>> {
    let stats = channel_stats(x, c, s);
    let eps = T::of(eps);
    let (alpha, beta): (Vec<T>, Vec<T>) = stats
        .iter()
        .enumerate()
        .map(|(ch, &(mean, var))| {
            let a = w.map_or(T::ONE, |w| w[ch]) / (var + eps).sqrt();
            (a, b.map_or(T::ZERO, |b| b[ch]) - mean * a)
        })
        .unzip();
    let mut y = buffer_for_overwrite::<T>("batch_norm", x.len())?;
    per_plane(&mut y, c, s, |p, ch, out| {
        let (a, b) = (alpha[ch], beta[ch]);
        let x = &x[p * s..(p + 1) * s];
        widest!(out.iter_mut().zip(x).for_each(|(o, &v)| *o = v * a + b))
    });
    Ok((y, stats.iter().map(|s| s.0).collect(), stats.iter().map(|s| s.1).collect()))
}

#[allow(clippy::too_many_arguments)]
#[track_caller]
fn backward_typed<T: Math>(
    g: &[T],
    x: &[T],
    mean: &[T],
    var: &[T],
    w: Option<&[T]>,
    c: usize,
    s: usize,
    eps: f64,
) -> Result<Triple<T>> {
    let n = x.len() / (c * s);
    let inv_m = T::ONE / T::of((n * s) as f64);
    let eps = T::of(eps);
    // Per channel: sum(g) (the bias's gradient) and sum(g (x - mean)).
    let sums = per_channel(c, x.len(), |ch| {
        let (m, mut sg, mut sgx) = (mean[ch], T::ZERO, T::ZERO);
        for i in 0..n {
            let r = (i * c + ch) * s..(i * c + ch + 1) * s;
            let (gp, xp) = (&g[r.clone()], &x[r]);
            sg += widest!(lane_sum(gp, |v| v));
            sgx += widest!(lane_sum2(gp, xp, |gv, xv| gv * (xv - m)));
        }
        (sg, sgx)
    });
    let rstd: Vec<T> = var.iter().map(|&v| T::ONE / (v + eps).sqrt()).collect();
    // dx = k g + k2 (x - mean) + k3 per channel.
    let coef: Vec<(T, T, T)> = (0..c)
        .map(|ch| {
            let k = w.map_or(T::ONE, |w| w[ch]) * rstd[ch];
            let (sg, sgx) = sums[ch];
            (k, -k * sgx * rstd[ch] * rstd[ch] * inv_m, -k * sg * inv_m)
        })
        .collect();
    let mut dx = buffer_for_overwrite::<T>("batch_norm_backward", x.len())?;
    per_plane(&mut dx, c, s, |p, ch, out| {
        let (k, k2, k3) = coef[ch];
        let m = mean[ch];
        let r = p * s..(p + 1) * s;
        let (gp, xp) = (&g[r.clone()], &x[r]);
        widest!(out.iter_mut().zip(gp).zip(xp).for_each(|((o, &gv), &xv)| *o = k * gv + k2 * (xv - m) + k3))
    });
    let dw = sums.iter().zip(&rstd).map(|(&(_, sgx), &r)| sgx * r).collect();
    let db = sums.iter().map(|&(sg, _)| sg).collect();
    Ok((dx, dw, db))
}

#[track_caller]
pub(super) fn batch_norm_train(
    x: &CpuStorage,
    layout: &Layout,
    c: usize,
    s: usize,
    w: Option<&CpuStorage>,
    b: Option<&CpuStorage>,
    eps: f64,
) -> Result<(CpuStorage, CpuStorage, CpuStorage)> {
    let op = "batch_norm";
    let lc = Layout::contiguous([c]);
    if is_half(x) {
        let (xw, l) = widened(x, layout)?;
        let ww = w.map(|w| widened(w, &lc)).transpose()?;
        let bw = b.map(|b| widened(b, &lc)).transpose()?;
        let (y, mean, var) =
            batch_norm_train(&xw, &l, c, s, ww.as_ref().map(|w| &w.0), bw.as_ref().map(|b| &b.0), eps)?;
        return Ok((narrowed(&y, &l, x.dtype())?, mean, var));
    }
    by_float_dtype!(x.dtype(), op, |T| {
        let w = w.map(|w| slice::<T>(w, &lc, op)).transpose()?;
        let b = b.map(|b| slice::<T>(b, &lc, op)).transpose()?;
        let (y, mean, var) = forward_typed::<T>(slice(x, layout, op)?, c, s, w, b, eps)?;
        Ok((StorageOf::into_storage(y), StorageOf::into_storage(mean), StorageOf::into_storage(var)))
    })
}

#[allow(clippy::too_many_arguments)]
#[track_caller]
pub(super) fn batch_norm_train_backward(
    g: &CpuStorage,
    layout: &Layout,
    x: &CpuStorage,
    mean: &CpuStorage,
    var: &CpuStorage,
    w: Option<&CpuStorage>,
    c: usize,
    s: usize,
    eps: f64,
) -> Result<(CpuStorage, CpuStorage, CpuStorage)> {
    let op = "batch_norm_backward";
    let lc = Layout::contiguous([c]);
    if is_half(g) {
        let (gw, l) = widened(g, layout)?;
        let (xw, _) = widened(x, layout)?;
        let ww = w.map(|w| widened(w, &lc)).transpose()?;
        let (dx, dw, db) = batch_norm_train_backward(&gw, &l, &xw, mean, var, ww.as_ref().map(|w| &w.0), c, s, eps)?;
        return Ok((narrowed(&dx, &l, g.dtype())?, narrowed(&dw, &lc, g.dtype())?, narrowed(&db, &lc, g.dtype())?));
    }
    by_float_dtype!(g.dtype(), op, |T| {
        let w = w.map(|w| slice::<T>(w, &lc, op)).transpose()?;
        let (dx, dw, db) = backward_typed::<T>(
            slice(g, layout, op)?,
            slice(x, layout, op)?,
            slice(mean, &lc, op)?,
            slice(var, &lc, op)?,
            w,
            c,
            s,
            eps,
        )?;
        Ok((StorageOf::into_storage(dx), StorageOf::into_storage(dw), StorageOf::into_storage(db)))
    })
}
