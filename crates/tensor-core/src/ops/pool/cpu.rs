//! CPU kernels for 2-d pooling and its gradients: one task per block of (image, channel)
//! planes, windows clipped to the input as PyTorch's CPU kernels clip them. f32 and f64
//! compute natively; f16 and bf16 through f32.

use super::max::{is_quad, max_plane, MaxElem, Windows};
use crate::backend::Conv2dGeometry;
use crate::backend::{PoolOps, Storage};
use crate::cpu::{CpuStorage, FloatElem};
use crate::ops::conv::cpu::{contig, float1, from_f32, to_f32};
use crate::{bail, Layout, Result};
use alloc::vec::Vec;

impl PoolOps<Storage> for CpuStorage {
    #[track_caller]
    fn max_pool2d(&self, layout: &Layout, g: &Conv2dGeometry) -> Result<(Storage, Storage)> {
        let (v, i) = max_pool2d(self, layout, g)?;
        Ok((Storage::new(v), Storage::new(i)))
    }
    #[track_caller]
    fn max_pool2d_backward(
        &self,
        layout: &Layout,
        indices: &Storage,
        il: &Layout,
        g: &Conv2dGeometry,
    ) -> Result<Storage> {
        max_pool2d_backward(self, layout, indices.cpu("max_pool2d_backward")?, il, g).map(Storage::new)
    }
    #[track_caller]
    fn avg_pool2d(&self, layout: &Layout, g: &Conv2dGeometry, count_include_pad: bool) -> Result<Storage> {
        avg_pool2d(self, layout, g, count_include_pad).map(Storage::new)
    }
    #[track_caller]
    fn avg_pool2d_backward(&self, layout: &Layout, g: &Conv2dGeometry, count_include_pad: bool) -> Result<Storage> {
        avg_pool2d_backward(self, layout, g, count_include_pad).map(Storage::new)
    }
}

/// Calls `f(plane, out_chunk)` for every `chunk` of `out`, in parallel when `work` is large.
fn for_each_plane<T: Send>(out: &mut [T], chunk: usize, work: usize, f: impl Fn(usize, &mut [T]) + Sync + Send) {
    #[cfg(feature = "std")]
    let per_task = (chunk > 0 && work >= crate::cpu::par_threshold() && out.len() > chunk)
        .then(|| (out.len() / chunk).div_ceil(4 * rayon::current_num_threads()).max(1));
    #[cfg(not(feature = "std"))]
    let per_task = {
        let _ = work;
        None
    };
    crate::cpu::for_each_piece(out, chunk, per_task, |i, p, _: &mut (), _| f(i, p))
}

/// Window bounds for average pooling: (start, end, divisor with padding counted).
#[inline]
fn avg_window(o: usize, s: usize, p: usize, k: usize, len: usize) -> (usize, usize, usize) {
    let start = (o * s) as isize - p as isize;
    let end = (start + k as isize).min((len + p) as isize);
    let size = (end - start) as usize;
    (start.max(0) as usize, end.min(len as isize).max(0) as usize, size)
}

#[track_caller]
fn max_pool<T: MaxElem>(x: &[T], g: &Conv2dGeometry, batch: usize) -> Result<(Vec<T>, Vec<i64>)> {
    let (plane, l) = (g.h * g.w, g.positions());
    let planes = batch * g.c;
    // `max_plane` writes every value and index of its plane: no clearing needed.
    let mut vals = crate::cpu::buffer_for_overwrite::<T>("max_pool2d", planes * l)?;
    let mut idx = crate::cpu::buffer_for_overwrite::<i64>("max_pool2d", planes * l)?;
    let windows = Windows::new(g);
    // Values and indices of a plane are written by the same task: pair them up first.
    let mut pairs: Vec<(&mut [T], &mut [i64])> = vals.chunks_mut(l.max(1)).zip(idx.chunks_mut(l.max(1))).collect();
    let work = planes * l * g.taps();
    let run = |i: usize, p: &mut [(&mut [T], &mut [i64])]| {
        for (j, (v, ix)) in p.iter_mut().enumerate() {
            let n = i + j;
            max_plane(&x[n * plane..(n + 1) * plane], g, v, ix, &windows);
        }
    };
    if l > 0 {
        for_each_plane(&mut pairs, 1, work, |i, p| run(i, p));
    }
    drop(pairs);
    Ok((vals, idx))
}

#[track_caller]
fn max_backward<T: MaxElem>(gr: &[T], idx: &[i64], g: &Conv2dGeometry, batch: usize) -> Result<Vec<T>> {
    let (plane, l) = (g.h * g.w, g.positions());
    if let Some(&bad) = idx.iter().find(|&&i| i < 0 || i as usize >= plane) {
        bail!(Index, "max_pool2d_backward", "index {} out of range for an input plane of {} x {}", bad, g.h, g.w);
    }
    // Every plane is written whole below: windows that tile it write each element once; else
    // the plane is cleared and each output's gradient added at its index. Rows of fewer than 8
    // windows take the latter: LeNet's 10×10 planes ran 2.5× slower in the tiled kernel.
    let mut dx = crate::cpu::buffer_for_overwrite::<T>("max_pool2d_backward", batch * g.c * plane)?;
    let quad = is_quad(g) && g.ow >= 8;
    for_each_plane(&mut dx, plane, gr.len(), |n, d| {
        let (gr, idx) = (&gr[n * l..(n + 1) * l], &idx[n * l..(n + 1) * l]);
        if !(quad && T::quad_backward_simd(gr, idx, (g.oh, g.ow), g.w, d)) {
            d.fill(T::zero());
            for (&v, &i) in gr.iter().zip(idx) {
                d[i as usize] += v;
            }
        }
    });
    Ok(dx)
}

/// The column windows of average pooling: (start, end, divisor factor) per output column.
fn avg_cols(g: &Conv2dGeometry, include_pad: bool) -> Vec<(usize, usize, usize)> {
    (0..g.ow)
        .map(|o| {
            let (a, b, n) = avg_window(o, g.sw, g.pw, g.kw, g.w);
            (a, b, if include_pad { n } else { b.saturating_sub(a) })
        })
        .collect()
}

fn avg_plane<T: FloatElem>(
    x: &[T],
    g: &Conv2dGeometry,
    out: &mut [T],
    cols: &[(usize, usize, usize)],
    include_pad: bool,
) {
    for (oh, orow) in out.chunks_exact_mut(g.ow).take(g.oh).enumerate() {
        let (h0, h1, ph) = avg_window(oh, g.sh, g.ph, g.kh, g.h);
        let rows = if include_pad { ph } else { h1.saturating_sub(h0) };
        for (o, &(w0, w1, cw)) in orow.iter_mut().zip(cols) {
            if h0 >= h1 || w0 >= w1 {
                *o = T::zero();
                continue;
            }
            let mut sum = T::zero();
            for ih in h0..h1 {
                for &e in &x[ih * g.w + w0..ih * g.w + w1] {
                    sum += e;
                }
            }
            *o = sum / T::of((rows * cw) as f64);
        }
    }
}

#[track_caller]
fn avg_pool<T: FloatElem>(x: &[T], g: &Conv2dGeometry, batch: usize, include_pad: bool) -> Result<Vec<T>> {
    let (plane, l) = (g.h * g.w, g.positions());
    let mut out = crate::cpu::zeroed_buffer::<T>("avg_pool2d", batch * g.c * l)?;
    let work = out.len() * g.taps();
    let cols = avg_cols(g, include_pad);
    for_each_plane(&mut out, l, work, |n, o| avg_plane(&x[n * plane..(n + 1) * plane], g, o, &cols, include_pad));
    Ok(out)
}

#[track_caller]
fn avg_backward<T: FloatElem>(gr: &[T], g: &Conv2dGeometry, batch: usize, include_pad: bool) -> Result<Vec<T>> {
    let (plane, l) = (g.h * g.w, g.positions());
    let mut dx = crate::cpu::zeroed_buffer::<T>("avg_pool2d_backward", batch * g.c * plane)?;
    if l == 0 {
        return Ok(dx);
    }
    let work = gr.len() * g.taps();
    let cols = avg_cols(g, include_pad);
    for_each_plane(&mut dx, plane, work, |n, d| {
        for (oh, grow) in gr[n * l..(n + 1) * l].chunks_exact(g.ow).enumerate() {
            let (h0, h1, ph) = avg_window(oh, g.sh, g.ph, g.kh, g.h);
            let rows = if include_pad { ph } else { h1.saturating_sub(h0) };
            for (&gv, &(w0, w1, cw)) in grow.iter().zip(&cols) {
                if h0 >= h1 || w0 >= w1 {
                    continue;
                }
                let v = gv / T::of((rows * cw) as f64);
                for ih in h0..h1 {
                    for e in &mut d[ih * g.w + w0..ih * g.w + w1] {
                        *e += v;
                    }
                }
            }
        }
    });
    Ok(dx)
}

/// Max pooling: (values, flat `h * w` I64 indices).
#[track_caller]
pub(crate) fn max_pool2d(x: &CpuStorage, layout: &Layout, g: &Conv2dGeometry) -> Result<(CpuStorage, CpuStorage)> {
    let geo = *g;
    let (v, i) = match x {
        CpuStorage::F32(v) => {
            let (v, i) = max_pool(&contig(v, layout)?, &geo, g.batch)?;
            (CpuStorage::F32(v), i)
        }
        CpuStorage::F64(v) => {
            let (v, i) = max_pool(&contig(v, layout)?, &geo, g.batch)?;
            (CpuStorage::F64(v), i)
        }
        CpuStorage::F16(_) | CpuStorage::BF16(_) => {
            let (v, i) = max_pool(&to_f32(x, layout)?, &geo, g.batch)?;
            (from_f32(v, x.dtype())?, i)
        }
        _ => bail!(DType, "max_pool2d", "expected a floating point tensor, got {}", x.dtype()),
    };
    Ok((v, CpuStorage::I64(i)))
}

/// Gradient of max pooling: scatters `grad` to the chosen positions.
#[track_caller]
pub(crate) fn max_pool2d_backward(
    grad: &CpuStorage,
    layout: &Layout,
    indices: &CpuStorage,
    il: &Layout,
    g: &Conv2dGeometry,
) -> Result<CpuStorage> {
    let geo = *g;
    let CpuStorage::I64(iv) = indices else {
        bail!(DType, "max_pool2d_backward", "expected int64 indices, got {}", indices.dtype());
    };
    let idx = contig(iv, il)?;
    Ok(float1!("max_pool2d_backward", (grad, layout), |gs| max_backward(gs, &idx, &geo, g.batch)?))
}

/// Average pooling.
#[track_caller]
pub(crate) fn avg_pool2d(
    x: &CpuStorage,
    layout: &Layout,
    g: &Conv2dGeometry,
    count_include_pad: bool,
) -> Result<CpuStorage> {
    let geo = *g;
    Ok(float1!("avg_pool2d", (x, layout), |xs| avg_pool(xs, &geo, g.batch, count_include_pad)?))
}

/// Gradient of average pooling.
#[track_caller]
pub(crate) fn avg_pool2d_backward(
    grad: &CpuStorage,
    layout: &Layout,
    g: &Conv2dGeometry,
    count_include_pad: bool,
) -> Result<CpuStorage> {
    let geo = *g;
    Ok(float1!("avg_pool2d_backward", (grad, layout), |gs| avg_backward(gs, &geo, g.batch, count_include_pad)?))
}
