//! `Reflect` / `Replicate` padding of the last one or two dims on the CPU: each output row is
//! its source row's elements at the reflected (or clamped) positions, the middle copied whole;
//! planes across threads. Its gradient reads each output row once: the row's middle is added
//! (or, for the first output row of an input row, copied) into the input row it came from, its
//! edge columns into the columns they copied.

use crate::cpu::{buffer_for_overwrite, for_each_piece, CpuStorage, StorageOf};
use crate::ops::shape::pad_mode::PadMode;
use crate::{with_cpu, Element, Layout, Result};
use alloc::vec::Vec;

/// `x[layout]` (contiguous) padded by `pads` (2 or 4 entries) with `mode`.
#[track_caller]
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

/// The gradient of [`pad_edges`]: `g[layout]` (contiguous, the padded shape) summed back onto
/// `input_dims`. f32 and f64 (`None` for other dtypes: tensor-core composes them).
#[track_caller]
pub(crate) fn pad_edges_backward(
    g: &CpuStorage,
    layout: &Layout,
    input_dims: &[usize],
    pads: &[usize],
    mode: PadMode,
) -> Option<Result<CpuStorage>> {
    let (a, _) = layout.contiguous_range()?;
    let rank = input_dims.len();
    let (w, (pl, pr)) = (input_dims[rank - 1], (pads[0], pads[1]));
    let (h, (pt, pb)) = match pads.len() {
        2 => (1, (0, 0)),
        4 if rank >= 2 => (input_dims[rank - 2], (pads[2], pads[3])),
        _ => return None,
    };
    let planes = input_dims.iter().product::<usize>() / (h * w).max(1);
    let (oh, ow) = (h + pt + pb, w + pl + pr);
    let cols: Vec<usize> = (0..ow).map(|j| mode.source(j as i64 - pl as i64, w as i64) as usize).collect();
    // Output rows in an order where each input row's own (middle) row comes first: it is copied,
    // the others (the edges that reflect or repeat it) added.
    let rows: Vec<(usize, usize)> = (pt..pt + h)
        .chain((0..pt).chain(pt + h..oh))
        .map(|i| (i, mode.source(i as i64 - pt as i64, h as i64) as usize))
        .collect();
    fn go<T: Element + core::ops::AddAssign>(
        g: &[T],
        planes: usize,
        (h, w): (usize, usize),
        (oh, ow): (usize, usize),
        pl: usize,
        rows: &[(usize, usize)],
        cols: &[usize],
    ) -> Result<Vec<T>> {
        let mut dx = buffer_for_overwrite::<T>("pad_backward", planes * h * w)?;
        #[cfg(feature = "std")]
        let per_task = (dx.len() >= crate::cpu::par_threshold()).then(|| ((16 << 10) / (h * w).max(1)).max(1));
        #[cfg(not(feature = "std"))]
        let per_task = None;
        for_each_piece(&mut dx, h * w, per_task, |p, plane, _: &mut (), _| {
            let src = &g[p * oh * ow..(p + 1) * oh * ow];
            for (k, &(i, r)) in rows.iter().enumerate() {
                let grow = &src[i * ow..(i + 1) * ow];
                let drow = &mut plane[r * w..(r + 1) * w];
                if k < h {
                    drow.copy_from_slice(&grow[pl..pl + w]);
                } else {
                    for (d, &v) in drow.iter_mut().zip(&grow[pl..pl + w]) {
                        *d += v;
                    }
                }
                for j in (0..pl).chain(pl + w..ow) {
                    drow[cols[j]] += grow[j];
                }
            }
        });
        Ok(dx)
    }
    let run = |planes| match g {
        CpuStorage::F32(v) => Some(go(&v[a..], planes, (h, w), (oh, ow), pl, &rows, &cols).map(CpuStorage::F32)),
        CpuStorage::F64(v) => Some(go(&v[a..], planes, (h, w), (oh, ow), pl, &rows, &cols).map(CpuStorage::F64)),
        _ => None,
    };
    run(planes)
}
