//! `Reflect` / `Replicate` padding of the last one or two dims on the CPU: each output row is
//! its source row's elements at the reflected (or clamped) positions, the middle copied whole;
//! planes across threads.

use crate::cpu::{buffer_for_overwrite, for_each_piece, CpuStorage, StorageOf};
use crate::ops::shape::pad_mode::PadMode;
use crate::{with_cpu, Element, Layout, Result};
use alloc::vec::Vec;

/// `x[layout]` (contiguous) padded by `pads` (2 or 4 entries) with `mode`.
pub(crate) fn pad_edges(x: &CpuStorage, layout: &Layout, pads: &[usize], mode: PadMode) -> Option<Result<CpuStorage>> {
    let (a, _) = layout.contiguous_range()?;
    let dims = layout.dims();
    let rank = dims.len();
    let (w, (pl, pr)) = (dims[rank - 1], (pads[0], pads[1]));
    let (h, (pt, pb)) = match pads.len() {
        2 => (1, (0, 0)),
        4 if rank >= 2 => (dims[rank - 2], (pads[2], pads[3])),
        _ => return None,
    };
    let planes = layout.numel() / (h * w).max(1);
    let (oh, ow) = (h + pt + pb, w + pl + pr);
    // The source column of each output column, and the source row of each output row.
    let cols: Vec<usize> = (0..ow).map(|j| mode.source(j as i64 - pl as i64, w as i64) as usize).collect();
    let rows: Vec<usize> = (0..oh).map(|i| mode.source(i as i64 - pt as i64, h as i64) as usize).collect();
    #[allow(clippy::too_many_arguments)]
    #[track_caller]
    fn go<T: Element>(
        x: &[T],
        planes: usize,
        (h, w): (usize, usize),
        (oh, ow): (usize, usize),
        pl: usize,
        rows: &[usize],
        cols: &[usize],
    ) -> Result<Vec<T>> {
        let mut out = buffer_for_overwrite::<T>("pad", planes * oh * ow)?;
        #[cfg(feature = "std")]
        let per_task = (out.len() >= crate::cpu::par_threshold()).then(|| ((16 << 10) / (oh * ow).max(1)).max(1));
        #[cfg(not(feature = "std"))]
        let per_task = None;
        for_each_piece(&mut out, oh * ow, per_task, |p, plane, _: &mut (), _| {
            let src = &x[p * h * w..(p + 1) * h * w];
            for (orow, &r) in plane.chunks_exact_mut(ow).zip(rows) {
                let srow = &src[r * w..(r + 1) * w];
                orow[pl..pl + w].copy_from_slice(srow);
                for j in (0..pl).chain(pl + w..ow) {
                    orow[j] = srow[cols[j]];
                }
            }
        });
        Ok(out)
    }
    Some(with_cpu!(x, |v| go(&v[a..], planes, (h, w), (oh, ow), pl, &rows, &cols).map(StorageOf::into_storage)))
}
