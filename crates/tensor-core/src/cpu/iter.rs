//! Strided iteration for CPU kernels: several layouts of one shape walked together as rows.
//!
//! Dims that are dense in every layout are merged, so a contiguous tensor is one long row and a
//! row-broadcast `[n, m] + [m]` is `n` rows of `m` with unit strides: the inner loop then is a
//! plain slice loop the compiler vectorises, and a stride of 0 broadcasts.

use crate::shape::Dims;
use crate::Layout;

/// Minimum elements before a kernel splits work across threads. (Asked before a kernel's first
/// split, so it is also where the main thread joins the pool: see [`super::threads`].)
pub(crate) fn par_threshold() -> usize {
    super::enlist_main_thread();
    1 << 15
}

/// `N` layouts of one shape, merged into rows: each row has `len` elements; layout `i` reads
/// them from `start[i]` with stride `stride[i]`.
#[derive(Debug, Clone)]
pub(crate) struct Row<const N: usize> {
    outer_dims: Dims,
    outer_strides: [Dims; N],
    base: [usize; N],
    /// Elements per row.
    pub len: usize,
    /// The inner stride of each layout.
    pub stride: [usize; N],
}

impl<const N: usize> Row<N> {
    /// Merges the layouts (all of the same shape) into rows.
    pub fn new(layouts: [&Layout; N]) -> Self {
        let base = core::array::from_fn(|i| layouts[i].offset());
        if layouts[0].numel() == 0 {
            // No rows. (The sizes of an empty layout may multiply past usize: not merged.)
            return Row {
                outer_dims: Dims::new(),
                outer_strides: core::array::from_fn(|_| Dims::new()),
                base,
                len: 0,
                stride: [0; N],
            };
        }
        if layouts.iter().all(|l| l.is_contiguous()) {
            // The common case, and every one-element operand: one run with unit strides.
            return Row {
                outer_dims: Dims::new(),
                outer_strides: core::array::from_fn(|_| Dims::new()),
                base,
                len: layouts[0].numel(),
                stride: [1; N],
            };
        }
        // From here the element count fits in usize and every stride times its size (minus
        // one) lies inside a storage (the layout invariants).
        let strides: [&[usize]; N] = core::array::from_fn(|i| layouts[i].strides());
        let merged = crate::shape::merge_dense_dims(layouts[0].dims(), strides);
        let (mut md, mut ms) = (merged.sizes, merged.strides);
        let (len, stride) = match md.pop() {
            Some(len) => (len, core::array::from_fn(|i| ms[i].pop().unwrap_or(0))),
            None => (1, [0; N]),
        };
        Row { outer_dims: md, outer_strides: ms, base, len, stride }
    }

    /// Number of rows.
    pub fn count(&self) -> usize {
        if self.len == 0 {
            0
        } else {
            self.outer_dims.iter().product()
        }
    }

    /// Calls `f(starts)` for rows `range`, in order.
    #[inline]
    pub fn for_each(&self, range: core::ops::Range<usize>, mut f: impl FnMut([usize; N])) {
        self.for_each_dyn(range, &mut f)
    }

    /// [`Row::for_each`]'s body, compiled once per `N` rather than once per kernel: the row
    /// kernel is called through a pointer, once per row (a row is a whole inner loop).
    fn for_each_dyn(&self, range: core::ops::Range<usize>, f: &mut dyn FnMut([usize; N])) {
        if range.is_empty() {
            return;
        }
        if self.outer_dims.is_empty() {
            // One row (a contiguous walk): no index to keep.
            return f(self.base);
        }
        let nd = self.outer_dims.len();
        let mut idx = Dims::from_elem(0, nd);
        let mut rem = range.start;
        let mut cur = self.base;
        for d in (0..nd).rev() {
            idx[d] = rem % self.outer_dims[d];
            rem /= self.outer_dims[d];
            for (i, c) in cur.iter_mut().enumerate() {
                *c += idx[d] * self.outer_strides[i][d];
            }
        }
        for _ in range {
            f(cur);
            for d in (0..nd).rev() {
                idx[d] += 1;
                if idx[d] < self.outer_dims[d] {
                    for (i, c) in cur.iter_mut().enumerate() {
                        *c += self.outer_strides[i][d];
                    }
                    break;
                }
                for (i, c) in cur.iter_mut().enumerate() {
                    *c -= (self.outer_dims[d] - 1) * self.outer_strides[i][d];
                }
                idx[d] = 0;
            }
        }
    }
}

/// Fills the contiguous `dst` row by row: `f(dst_row, starts)` gets each row of `row` (built over
/// the source layouts, whose shape `dst` has) with the start of every source, and must write
/// the whole row without reading it. Large work is split across threads by rows; a large result
/// is written with streaming stores (see [`super::stream`]).
#[inline]
pub(crate) fn fill_rows<T: Copy + Default + Send, const N: usize>(
    dst: &mut [T],
    row: &Row<N>,
    f: impl Fn(&mut [T], [usize; N]) + Sync + Send,
) {
    if super::stream::worthwhile::<T>(dst.len(), row.len) {
        // The kernel fills one small staging block at a time here, so it is called directly
        // (inlined into `fill_streaming`), not through a pointer per block.
        let stride = row.stride;
        let streamed = |d: &mut [T], starts: [usize; N]| {
            super::stream::fill_streaming(d, |part: &mut [T], at: usize| f(part, advanced(starts, stride, at)))
        };
        return update_rows_dyn(dst, row, &streamed);
    }
    update_rows_dyn(dst, row, &f)
}

/// Each source's start moved `by` elements along its row.
#[inline(always)]
fn advanced<const N: usize>(mut starts: [usize; N], stride: [usize; N], by: usize) -> [usize; N] {
    for (s, st) in starts.iter_mut().zip(stride) {
        *s += by * st;
    }
    starts
}

/// A row kernel: writes one row of the destination, given where each source's row starts.
/// Walkers take it as a trait object, so that their bodies (and rayon's machinery) are compiled
/// once per element type, not once per (op, dtype): that was most of tensor-core's build time.
pub(crate) type RowKernel<'a, T, const N: usize> = dyn Fn(&mut [T], [usize; N]) + Sync + Send + 'a;

/// [`fill_rows`] for an `f` that may read the row it writes (an in-place op): no streaming.
#[inline]
pub(crate) fn update_rows<T: Send, const N: usize>(
    dst: &mut [T],
    row: &Row<N>,
    f: impl Fn(&mut [T], [usize; N]) + Sync + Send,
) {
    update_rows_dyn(dst, row, &f)
}

fn update_rows_dyn<T: Send, const N: usize>(dst: &mut [T], row: &Row<N>, f: &RowKernel<'_, T, N>) {
    let len = row.len;
    let count = row.count();
    if count == 0 || len == 0 {
        return;
    }
    #[cfg(feature = "std")]
    if dst.len() >= par_threshold() {
        use rayon::prelude::*;
        let threads = rayon::current_num_threads().max(1);
        // Rows per task: enough tasks to balance, each at least a few thousand elements.
        let rows_per_task = count.div_ceil(threads * 4).max(4096usize.div_ceil(len));
        if rows_per_task < count {
            crate::grad_mode::suspended(|| {
                dst.par_chunks_mut(rows_per_task * len).enumerate().for_each(|(task, chunk)| {
                    let first = task * rows_per_task;
                    let mut r = 0;
                    row.for_each(first..first + chunk.len() / len, |starts| {
                        f(&mut chunk[r * len..(r + 1) * len], starts);
                        r += 1;
                    });
                })
            });
            return;
        }
        if count == 1 {
            // One long row: split it into pieces; sources advance by their inner stride.
            let piece = len.div_ceil(threads * 4).max(4096);
            let base = {
                let mut b = [0; N];
                row.for_each(0..1, |s| b = s);
                b
            };
            let stride = row.stride;
            let sub = |i: usize| advanced(base, stride, i * piece);
            crate::grad_mode::suspended(|| {
                dst.par_chunks_mut(piece).enumerate().for_each(|(i, chunk)| f(chunk, sub(i)))
            });
            return;
        }
    }
    let mut r = 0;
    row.for_each(0..count, |starts| {
        f(&mut dst[r * len..(r + 1) * len], starts);
        r += 1;
    });
}

/// Applies `f` to `dst` in pieces, across threads when it is large (an in-place op on a
/// contiguous tensor). Compiled once per element type, as [`update_rows`].
#[inline]
pub(crate) fn update_chunks<T: Send>(dst: &mut [T], f: impl Fn(&mut [T]) + Sync + Send) {
    update_chunks_dyn(dst, &f)
}

fn update_chunks_dyn<T: Send>(dst: &mut [T], f: &(dyn Fn(&mut [T]) + Sync + Send)) {
    #[cfg(feature = "std")]
    if dst.len() >= par_threshold() {
        return par_pieces_dyn(dst, 1 << 14, &|_, piece| f(piece));
    }
    f(dst)
}

/// Fills `out` across threads in pieces: `f(first, piece)` writes `piece`, the elements of
/// `out` from index `first` on (a reduction's outputs, each one a whole fold). Compiled once per
/// element type, as [`update_rows`].
#[cfg(feature = "std")]
#[inline]
pub(crate) fn par_fill_pieces<U: Send>(out: &mut [U], f: impl Fn(usize, &mut [U]) + Sync + Send) {
    par_fill_pieces_of(out, 1, f)
}

/// [`par_fill_pieces`] with pieces of at least `min_piece` elements (fewer tasks, where each
/// one's unit of memory traffic grows with its piece).
#[cfg(feature = "std")]
#[inline]
pub(crate) fn par_fill_pieces_of<U: Send>(out: &mut [U], min_piece: usize, f: impl Fn(usize, &mut [U]) + Sync + Send) {
    let piece = out.len().div_ceil(rayon::current_num_threads().max(1) * 8).max(min_piece).max(1);
    par_pieces_dyn(out, piece, &f)
}

/// Fills `out`, made of whole `block`-element blocks, by `f(first_block, piece)` on pieces of
/// whole blocks: across threads when `out` is large, else in one call (a gather's copies, which
/// look ahead along the blocks of their piece).
pub(crate) fn fill_blocks<T: Send>(out: &mut [T], block: usize, f: impl Fn(usize, &mut [T]) + Sync + Send) {
    #[cfg(feature = "std")]
    if out.len() >= par_threshold() && out.len() > block {
        let blocks = out.len() / block.max(1);
        let per_task = blocks.div_ceil(rayon::current_num_threads().max(1) * 8).max(4096usize.div_ceil(block));
        return par_pieces_dyn(out, per_task * block, &|first, p| f(first / block, p));
    }
    #[cfg(not(feature = "std"))]
    let _ = block;
    f(0, out)
}

/// `f(first, piece)` for the `piece`-element pieces of `out`, across rayon's threads.
#[cfg(feature = "std")]
fn par_pieces_dyn<T: Send>(out: &mut [T], piece: usize, f: &(dyn Fn(usize, &mut [T]) + Sync + Send)) {
    use rayon::prelude::*;
    crate::grad_mode::suspended(|| out.par_chunks_mut(piece).enumerate().for_each(|(i, p)| f(i * piece, p)));
}

/// Runs `f(index, piece, scratch, alone)` for each `chunk`-element piece of `out` (an image or a
/// plane of a batch: conv's and pooling's unit of work), each once. With `per_task =
/// Some(k)` the pieces go to rayon in tasks of `k`, each task with its own `S` scratch; with
/// `None` they run in index order on this thread, with one scratch, and `alone` is true (so
/// `f` may split its own work across threads).
pub(crate) fn for_each_piece<T: Send, S: Default>(
    out: &mut [T],
    chunk: usize,
    per_task: Option<usize>,
    f: impl Fn(usize, &mut [T], &mut S, bool) + Sync + Send,
) {
    if chunk == 0 {
        return;
    }
    #[cfg(feature = "std")]
    if let Some(k) = per_task {
        use rayon::prelude::*;
        let k = k.max(1);
        crate::grad_mode::suspended(|| {
            out.par_chunks_mut(chunk * k).enumerate().for_each_init(S::default, |scratch, (t, task)| {
                for (i, piece) in task.chunks_mut(chunk).enumerate() {
                    f(t * k + i, piece, scratch, false);
                }
            })
        });
        return;
    }
    let _ = per_task;
    let mut scratch = S::default();
    for (i, piece) in out.chunks_mut(chunk).enumerate() {
        f(i, piece, &mut scratch, true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streamed_rows_match_plain_ones() {
        // 16 MiB of f32 through `fill_rows` with the streaming forced, in rows of 4096 from a
        // transposed source, against plain stores. (Other tests running meanwhile may stream
        // too: the same results either way.)
        let (r, c) = (4096usize, 1024usize);
        let src: alloc::vec::Vec<f32> = (0..r * c).map(|i| i as f32).collect();
        let layout = crate::Layout::contiguous([c, r]).transpose(0, 1).unwrap();
        let row = Row::new([&layout]);
        let fill = |d: &mut [f32], [o]: [usize; 1]| {
            for (i, x) in d.iter_mut().enumerate() {
                *x = src[o + i * row.stride[0]];
            }
        };
        let mut plain = alloc::vec![0f32; r * c];
        fill_rows(&mut plain, &row, fill);
        super::super::stream::tests::FORCE.store(true, core::sync::atomic::Ordering::Relaxed);
        let mut streamed = alloc::vec![0f32; r * c];
        fill_rows(&mut streamed, &row, fill);
        assert!(super::super::stream::worthwhile::<f32>(r * c, r));
        super::super::stream::tests::FORCE.store(false, core::sync::atomic::Ordering::Relaxed);
        assert_eq!(plain, streamed);
    }
}
