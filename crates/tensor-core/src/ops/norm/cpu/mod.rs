//! CPU kernels of the normalisations, one file each (`softmax.rs`, `layer_norm.rs`,
//! `batch_norm.rs`), and what they share: rows across threads, each row's loops compiled for
//! the widest vector unit ([`widest!`](crate::cpu::wide::widest)) with `exp`/`ln` from
//! [`vmath`](crate::cpu::vmath), sums in 16 independent lanes so that they vectorise. f16 and
//! bf16 compute in f32.

mod batch_norm;
mod layer_norm;
mod softmax;

use batch_norm::{batch_norm_train, batch_norm_train_backward};
use layer_norm::{layer_norm, layer_norm_backward};
use softmax::{softmax, softmax_backward};

use crate::backend::{NormOps, Storage};
use crate::cpu::CpuStorage;
use crate::{bail, Element, Layout, Result};

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
    fn batch_norm_train(
        &self,
        layout: &Layout,
        c: usize,
        s: usize,
        weight: Option<&Storage>,
        bias: Option<&Storage>,
        eps: f64,
    ) -> Option<Result<(Storage, Storage, Storage)>> {
        let run = || {
            let w = weight.map(|w| w.cpu("batch_norm")).transpose()?;
            let b = bias.map(|b| b.cpu("batch_norm")).transpose()?;
            let (y, mean, var) = batch_norm_train(self, layout, c, s, w, b, eps)?;
            Ok((Storage::new(y), Storage::new(mean), Storage::new(var)))
        };
        Some(run())
    }
    fn batch_norm_train_backward(
        &self,
        layout: &Layout,
        x: &Storage,
        mean: &Storage,
        var: &Storage,
        weight: Option<&Storage>,
        c: usize,
        s: usize,
        eps: f64,
    ) -> Option<Result<(Storage, Storage, Storage)>> {
        let run = || {
            let op = "batch_norm_backward";
            let (x, mean, var) = (x.cpu(op)?, mean.cpu(op)?, var.cpu(op)?);
            let w = weight.map(|w| w.cpu(op)).transpose()?;
            let (dx, dw, db) = batch_norm_train_backward(self, layout, x, mean, var, w, c, s, eps)?;
            Ok((Storage::new(dx), Storage::new(dw), Storage::new(db)))
        };
        Some(run())
    }
}

/// Rows per parallel task: about 64 KiB of elements, at least one row.
pub(super) fn rows_per_task(n: usize) -> usize {
    ((16 << 10) / n.max(1)).max(1)
}

/// Whether `numel` elements are worth splitting across threads.
pub(super) fn parallel(numel: usize) -> Option<usize> {
    #[cfg(feature = "std")]
    if numel >= crate::cpu::par_threshold() {
        return Some(0);
    }
    let _ = numel;
    None
}

/// The contiguous elements of `s[layout]` as `T`.
pub(super) fn slice<'a, T: Element>(s: &'a CpuStorage, layout: &Layout, op: &'static str) -> Result<&'a [T]> {
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
pub(super) fn lane_sum2<T: Element + core::ops::Add<Output = T>>(a: &[T], b: &[T], f: impl Fn(T, T) -> T) -> T {
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
pub(super) fn lane_sum<T: Element + core::ops::Add<Output = T>>(a: &[T], f: impl Fn(T) -> T) -> T {
    lane_sum2(a, a, |u, _| f(u))
}

pub(super) type Stats<T> = (Vec<T>, Vec<T>, Vec<T>);

/// `f(first_row, out_rows, aux_rows)` over tasks of whole rows, across threads when large:
/// `out` has `n` elements a row, `aux` one.
pub(super) fn for_row_tasks<T: Send, U: Send>(
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
