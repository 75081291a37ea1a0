//! Sums over outer dims (`x.sum(0)` of a row-major matrix, a broadcast gradient summed back to a
//! bias): when the kept elements are contiguous in the input, each reduced position adds a run
//! of them into a block of accumulators, a vectorised loop over contiguous memory, instead of
//! each output walking its reduced elements at a stride (a cache line per element).

use crate::cpu::wide::widest;
use crate::cpu::Row;
use crate::shape::Shape;
use crate::{Element, Layout};
use alloc::vec::Vec;

/// Accumulators per block: 2 KiB of f32, in L1 beside the rows streaming through.
const BLOCK: usize = 512;

/// `out[k] = back(sum over the reduced positions of to(x[..]))`, for a `kept` layout whose
/// innermost dim has stride 1 and at least 16 elements; false (nothing written) for any other.
pub(super) fn sum_outer<T: Element, A: Element + core::ops::Add<Output = A>>(
    out: &mut [T],
    x: &[T],
    kept: &Layout,
    red: &Layout,
    to: impl Fn(T) -> A + Sync + Send + Copy,
    back: impl Fn(A) -> T + Sync + Send,
) -> bool {
    let (Some(&inner), Some(&1)) = (kept.dims().last(), kept.strides().last()) else { return false };
    if inner < 16 || red.numel() == 0 {
        return false;
    }
    let rank = kept.rank();
    let outer = Layout::from_parts(
        Shape::new(&kept.dims()[..rank - 1]),
        kept.strides()[..rank - 1].iter().copied().collect(),
        kept.offset(),
    );
    let bases: Vec<usize> = outer.offsets().collect();
    let reduced = Row::new([red]);
    let step = reduced.stride[0];
    // Outputs `first..first + piece.len()`, a block of accumulators at a time.
    let fill = |first: usize, piece: &mut [T]| {
        let mut acc = [A::ZERO; BLOCK];
        let mut done = 0;
        while done < piece.len() {
            let (o, j) = ((first + done) / inner, (first + done) % inner);
            let len = (inner - j).min(BLOCK).min(piece.len() - done);
            let base = bases[o] + j;
            let acc = &mut acc[..len];
            acc.fill(A::ZERO);
            reduced.for_each(0..reduced.count(), |[s]| {
                // The run of rows in the widest vectors (the baseline build has 128-bit ones).
                // Four rows per pass over the accumulators (a quarter of their loads and stores).
                widest!({
                    let row = |r: usize| &x[base + s + r * step..][..len];
                    let mut r = 0;
                    while r + 4 <= reduced.len {
                        let (x0, x1, x2, x3) = (row(r), row(r + 1), row(r + 2), row(r + 3));
                        for i in 0..len {
                            acc[i] = acc[i] + ((to(x0[i]) + to(x1[i])) + (to(x2[i]) + to(x3[i])));
                        }
                        r += 4;
                    }
                    for r in r..reduced.len {
                        for (a, &v) in acc.iter_mut().zip(row(r)) {
                            *a = *a + to(v);
                        }
                    }
                })
            });
            for (d, &a) in piece[done..done + len].iter_mut().zip(acc.iter()) {
                *d = back(a);
            }
            done += len;
        }
    };
    #[cfg(feature = "std")]
    if kept.numel() * red.numel() >= crate::cpu::par_threshold() && out.len() >= 32 {
        // Each task reads a run of its piece's length from every reduced row: runs shorter than
        // a block cross a page per few cache lines, and the prefetchers stop at pages (x.sum(0)
        // of 2048 x 1024 f32 in pieces of 64: 0.49 ms; of 512: see BENCHMARKS.md).
        let threads = rayon::current_num_threads().max(1);
        crate::cpu::par_fill_pieces_of(out, BLOCK.min(out.len().div_ceil(threads)), fill);
        return true;
    }
    fill(0, out);
    true
}
