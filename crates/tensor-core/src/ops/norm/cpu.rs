//! CPU kernels of the normalisations: rows across threads, each row's loops compiled for the
//! widest vector unit ([`widest!`]) with `exp`/`ln` from [`vmath`](crate::cpu::vmath). Sums run
//! in 16 independent lanes so that they vectorise. f16 and bf16 compute in f32.

use crate::backend::{NormOps, Storage};
use crate::cpu::vmath::Math;
use crate::cpu::wide::widest;
use crate::cpu::{buffer_for_overwrite, for_each_piece, CpuStorage, FloatElem, StorageOf};
use crate::ops::copy::cpu::{is_half, narrowed, widened};
use crate::{bail, DType, Element, Layout, Result};
use alloc::vec::Vec;

impl NormOps<Storage> for CpuStorage {
    fn softmax_rows(&self, layout: &Layout, n: usize, log: bool) -> Option<Result<Storage>> {
        Some(softmax(self, layout, n, log).map(Storage::new))
    }
    fn softmax_rows_backward(&self, layout: &Layout, output: &Storage, n: usize, log: bool) -> Option<Result<Storage>> {
        let output = match output.cpu("softmax_backward") {
            Ok(o) => o,
            Err(e) => return Some(Err(e)),
        };
        Some(softmax_backward(self, output, layout, n, log).map(Storage::new))
    }
    fn layer_norm_rows(
        &self,
        layout: &Layout,
        n: usize,
        weight: Option<&Storage>,
        bias: Option<&Storage>,
        eps: f64,
    ) -> Option<Result<(Storage, Storage, Storage)>> {
        let run = || {
            let w = weight.map(|w| w.cpu("layer_norm")).transpose()?;
            let b = bias.map(|b| b.cpu("layer_norm")).transpose()?;
            let (y, mean, rstd) = layer_norm(self, layout, n, w, b, eps)?;
            Ok((Storage::new(y), Storage::new(mean), Storage::new(rstd)))
        };
        Some(run())
    }
    fn layer_norm_rows_backward(
        &self,
        layout: &Layout,
        x: &Storage,
        mean: &Storage,
        rstd: &Storage,
        weight: Option<&Storage>,
        n: usize,
    ) -> Option<Result<(Storage, Storage, Storage)>> {
        let run = || {
            let (x, mean, rstd) =
                (x.cpu("layer_norm_backward")?, mean.cpu("layer_norm_backward")?, rstd.cpu("layer_norm_backward")?);
            let w = weight.map(|w| w.cpu("layer_norm_backward")).transpose()?;
            let (dx, dw, db) = layer_norm_backward(self, layout, x, mean, rstd, w, n)?;
            Ok((Storage::new(dx), Storage::new(dw), Storage::new(db)))
        };
        Some(run())
    }
}

/// Rows per parallel task: about 64 KiB of elements, at least one row.
fn rows_per_task(n: usize) -> usize {
    ((16 << 10) / n.max(1)).max(1)
}

/// Whether `numel` elements are worth splitting across threads.
fn parallel(numel: usize) -> Option<usize> {
    #[cfg(feature = "std")]
    if numel >= crate::cpu::par_threshold() {
        return Some(0);
    }
    let _ = numel;
    None
}

/// The contiguous elements of `s[layout]` as `T`.
fn slice<'a, T: Element>(s: &'a CpuStorage, layout: &Layout, op: &'static str) -> Result<&'a [T]> {
    let Some((a, b)) = layout.contiguous_range() else {
        bail!(Unsupported, op, "expected a contiguous layout, got strides {:?}", layout.strides());
    };
    match T::slice_of(s) {
        Some(v) => Ok(&v[a..b]),
        None => bail!(DType, op, "expected {}, got {}", T::DTYPE, s.dtype()),
    }
}

/// Sum of `f(a[i], b[i])` in 16 lanes (vectorisable: slices, no indexing).
#[inline(always)]
fn lane_sum2<T: Element + core::ops::Add<Output = T>>(a: &[T], b: &[T], f: impl Fn(T, T) -> T) -> T {
    let mut lanes = [T::ZERO; 16];
    let (ca, cb) = (a.chunks_exact(16), b[..a.len()].chunks_exact(16));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for ((l, &u), &v) in lanes.iter_mut().zip(x).zip(y) {
            *l = *l + f(u, v);
        }
    }
    let mut total = T::ZERO;
    for l in lanes {
        total = total + l;
    }
    for (&u, &v) in ra.iter().zip(rb) {
        total = total + f(u, v);
    }
    total
}

/// Sum of `f(a[i])` in 16 lanes.
#[inline(always)]
fn lane_sum<T: Element + core::ops::Add<Output = T>>(a: &[T], f: impl Fn(T) -> T) -> T {
    lane_sum2(a, a, |u, _| f(u))
}

/// The largest element (NaN is ignored here: it reaches the result through the sum of exps).
#[inline(always)]
fn row_max<T: FloatElem>(x: &[T]) -> T {
    let mut lanes = [T::neg_infinity(); 16];
    let chunks = x.chunks_exact(16);
    let rest = chunks.remainder();
    for c in chunks {
        for (l, &v) in lanes.iter_mut().zip(c) {
            *l = if v > *l { v } else { *l };
        }
    }
    let mut m = T::neg_infinity();
    for v in lanes.into_iter().chain(rest.iter().copied()) {
        m = if v > m { v } else { m };
    }
    m
}

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

fn softmax_typed<T: Math>(x: &[T], n: usize, log: bool) -> Result<Vec<T>> {
    let mut out = buffer_for_overwrite::<T>("softmax", x.len())?;
    let per_task = parallel(x.len()).map(|_| rows_per_task(n));
    for_each_piece(&mut out, n, per_task, |r, row, _: &mut (), _| {
        let x = &x[r * n..(r + 1) * n];
        widest!(softmax_row(x, row, log))
    });
    Ok(out)
}

fn softmax(x: &CpuStorage, layout: &Layout, n: usize, log: bool) -> Result<CpuStorage> {
    if is_half(x) {
        let (wide, l) = widened(x, layout)?;
        return narrowed(&softmax(&wide, &l, n, log)?, &l, x.dtype());
    }
    match x.dtype() {
        DType::F32 => Ok(StorageOf::into_storage(softmax_typed::<f32>(slice(x, layout, "softmax")?, n, log)?)),
        DType::F64 => Ok(StorageOf::into_storage(softmax_typed::<f64>(slice(x, layout, "softmax")?, n, log)?)),
        other => bail!(DType, "softmax", "expected a float tensor, got {}", other),
    }
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

fn softmax_backward_typed<T: Math>(g: &[T], y: &[T], n: usize, log: bool) -> Result<Vec<T>> {
    let mut out = buffer_for_overwrite::<T>("softmax_backward", g.len())?;
    let per_task = parallel(g.len()).map(|_| rows_per_task(n));
    for_each_piece(&mut out, n, per_task, |r, row, _: &mut (), _| {
        let (g, y) = (&g[r * n..(r + 1) * n], &y[r * n..(r + 1) * n]);
        widest!(softmax_backward_row(g, y, row, log))
    });
    Ok(out)
}

fn softmax_backward(g: &CpuStorage, y: &CpuStorage, layout: &Layout, n: usize, log: bool) -> Result<CpuStorage> {
    if is_half(g) {
        let (gw, l) = widened(g, layout)?;
        let (yw, _) = widened(y, layout)?;
        return narrowed(&softmax_backward(&gw, &yw, &l, n, log)?, &l, g.dtype());
    }
    let op = "softmax_backward";
    match g.dtype() {
        DType::F32 => Ok(StorageOf::into_storage(softmax_backward_typed::<f32>(
            slice(g, layout, op)?,
            slice(y, layout, op)?,
            n,
            log,
        )?)),
        DType::F64 => Ok(StorageOf::into_storage(softmax_backward_typed::<f64>(
            slice(g, layout, op)?,
            slice(y, layout, op)?,
            n,
            log,
        )?)),
        other => bail!(DType, op, "expected a float tensor, got {}", other),
    }
}

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

type Stats<T> = (Vec<T>, Vec<T>, Vec<T>);

/// `f(first_row, out_rows, aux_rows)` over tasks of whole rows, across threads when large:
/// `out` has `n` elements a row, `aux` one.
fn for_row_tasks<T: Send, U: Send>(
    out: &mut [T],
    aux: &mut [U],
    n: usize,
    f: impl Fn(usize, &mut [T], &mut [U]) + Sync + Send,
) {
    #[cfg(feature = "std")]
    if parallel(out.len()).is_some() {
        use rayon::prelude::*;
        let k = rows_per_task(n);
        crate::grad_mode::suspended(|| {
            out.par_chunks_mut(n * k).zip(aux.par_chunks_mut(k)).enumerate().for_each(|(t, (o, a))| f(t * k, o, a))
        });
        return;
    }
    f(0, out, aux)
}

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

fn layer_norm(
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
    macro_rules! go {
        ($T:ty) => {{
            let w = w.map(|w| slice::<$T>(w, &ln, op)).transpose()?;
            let b = b.map(|b| slice::<$T>(b, &ln, op)).transpose()?;
            let (y, mean, rstd) = layer_norm_typed::<$T>(slice(x, layout, op)?, n, w, b, eps)?;
            Ok((StorageOf::into_storage(y), StorageOf::into_storage(mean), StorageOf::into_storage(rstd)))
        }};
    }
    match x.dtype() {
        DType::F32 => go!(f32),
        DType::F64 => go!(f64),
        other => bail!(DType, op, "expected a float tensor, got {}", other),
    }
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

fn layer_norm_backward(
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
    macro_rules! go {
        ($T:ty) => {{
            let w = w.map(|w| slice::<$T>(w, &ln, op)).transpose()?;
            let (dx, dw, db) = layer_norm_backward_typed::<$T>(
                slice(g, layout, op)?,
                slice(x, layout, op)?,
                slice(mean, &lr, op)?,
                slice(rstd, &lr, op)?,
                w,
                n,
            )?;
            Ok((StorageOf::into_storage(dx), StorageOf::into_storage(dw), StorageOf::into_storage(db)))
        }};
    }
    match g.dtype() {
        DType::F32 => go!(f32),
        DType::F64 => go!(f64),
        other => bail!(DType, op, "expected a float tensor, got {}", other),
    }
}
