//! What the normalisation kernels share: the float-dtype dispatch, typed slices of contiguous
//! storages, 16-lane sums, and rows split across threads.

use crate::cpu::CpuStorage;
use crate::{bail, Element, Layout, Result};
use alloc::vec::Vec;

/// Evaluates `$body` with `$T` the element type of the float `$dtype` (f32 or f64; the half
/// types are widened before), or a dtype error naming `$op`.
macro_rules! by_float_dtype {
    ($dtype:expr, $op:expr, |$T:ident| $body:expr) => {
        match $dtype {
            crate::DType::F32 => {
                type $T = f32;
                $body
            }
            crate::DType::F64 => {
                type $T = f64;
                $body
            }
            other => crate::bail!(DType, $op, "expected a float tensor, got {}", other),
        }
    };
}
pub(super) use by_float_dtype;

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
#[track_caller]
pub(super) fn slice<'a, T: Element>(s: &'a CpuStorage, layout: &Layout, op: &'static str) -> Result<&'a [T]> {
    let Some((a, b)) = layout.contiguous_range() else {
        bail!(Unsupported, op, "expected a contiguous layout, got strides {:?}", layout.strides());
    };
    match T::slice_of(s) {
        Some(v) => Ok(&v[a..b]),
        None => bail!(DType, op, "expected {}, got {}", T::DTYPE, s.dtype()),
    }
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
    let _ = n;
    f(0, out, aux)
}
