//! `tril` / `triu` on the CPU: each row of the last two dims is a prefix copied and a suffix
//! zeroed (or the reverse), rows across threads. A mask and `where` would read a mask and the
//! input per element and write through a blend: twice the time of these two memory passes.

use crate::cpu::{buffer_for_overwrite, fill_blocks, CpuStorage, StorageOf};
use crate::{with_cpu, Element, Layout, Result};
use alloc::vec::Vec;

/// The lower (`lower`) or upper triangle of `x[layout]` (contiguous, rank ≥ 2), relative to
/// `diagonal` as `torch.tril` / `torch.triu`, the rest zero.
#[track_caller]
pub(crate) fn triangle(x: &CpuStorage, layout: &Layout, diagonal: isize, lower: bool) -> Option<Result<CpuStorage>> {
    let (a, b) = layout.contiguous_range()?;
    let dims = layout.dims();
    let (h, w) = (dims[dims.len() - 2], dims[dims.len() - 1]);
    #[track_caller]
    fn go<T: Element>(x: &[T], h: usize, w: usize, diagonal: isize, lower: bool) -> Result<Vec<T>> {
        let mut out = buffer_for_overwrite::<T>("tril", x.len())?;
        if out.is_empty() {
            return Ok(out);
        }
        // Row `i` keeps columns `j` with `j - i <= diagonal` (lower) or `>= diagonal` (upper).
        let split = |i: usize| {
            (i as isize).saturating_add(diagonal).saturating_add(lower as isize).clamp(0, w as isize) as usize
        };
        fill_blocks(&mut out, w, |first, piece| {
            for (k, row) in piece.chunks_exact_mut(w).enumerate() {
                let r = first + k;
                let (src, at) = (&x[r * w..(r + 1) * w], split(r % h));
                let (head, tail) = row.split_at_mut(at);
                if lower {
                    head.copy_from_slice(&src[..at]);
                    tail.fill(T::ZERO);
                } else {
                    head.fill(T::ZERO);
                    tail.copy_from_slice(&src[at..]);
                }
            }
        });
        Ok(out)
    }
    Some(with_cpu!(x, |v| go(&v[a..b], h, w, diagonal, lower).map(StorageOf::into_storage)))
}
