//! The forward pass: each task owns one block of queries of one problem, walks the key blocks
//! it can see, and keeps its output rows as the running (unnormalised) sum `Σ p v`.

use super::{visible, AttnElem, BLOCK_K, BLOCK_Q};
use crate::backend::AttentionDims;
use crate::cpu::buffer_for_overwrite;
use crate::cpu::gemm::{gemm, Mat};
use crate::cpu::vmath::Math;
use crate::cpu::wide::{lane_sum, row_max, widest};
use crate::Result;
use alloc::vec;
use alloc::vec::Vec;

/// `softmax(q kᵀ · scale) v` and each query's log-sum-exp, for contiguous `[batch, l, e]`,
/// `[batch, s, e]` and `[batch, s, ev]` operands.
#[track_caller]
pub(super) fn attention<T: AttnElem>(
    q: &[T],
    k: &[T],
    v: &[T],
    d: AttentionDims,
    scale: T,
) -> Result<(Vec<T>, Vec<T>)> {
    let op = "scaled_dot_product_attention";
    let mut out = buffer_for_overwrite::<T>(op, d.batch * d.l * d.ev)?;
    let mut lse = buffer_for_overwrite::<T>(op, d.batch * d.l)?;
    if d.l == 0 || d.ev == 0 {
        // tensor-core composes these empty cases; the chunking below needs whole rows.
        crate::bail!(Unsupported, op, "expected queries and values of positive size, got {d:?}");
    }
    // One task: problem `b`, the query block from row `row0`, its output and lse rows.
    let task = |b: usize, row0: usize, out: &mut [T], lse: &mut [T], scores: &mut Vec<T>| {
        let rows = lse.len();
        let qb = &q[(b * d.l + row0) * d.e..(b * d.l + row0 + rows) * d.e];
        let kb = &k[b * d.s * d.e..(b + 1) * d.s * d.e];
        let vb = &v[b * d.s * d.ev..(b + 1) * d.s * d.ev];
        query_block(qb, kb, vb, out, lse, row0, &d, scale, scores);
    };
    let (ol, ob) = (d.l * d.ev, BLOCK_Q * d.ev);
    #[cfg(feature = "std")]
    if d.batch * d.l * d.s * (d.e + d.ev) >= crate::cpu::par_threshold() {
        use rayon::prelude::*;
        crate::grad_mode::suspended(|| {
            out.par_chunks_mut(ol).zip(lse.par_chunks_mut(d.l)).enumerate().for_each(|(b, (o, ls))| {
                o.par_chunks_mut(ob)
                    .zip(ls.par_chunks_mut(BLOCK_Q))
                    .enumerate()
                    .for_each_init(Vec::new, |scores, (i, (o, ls))| task(b, i * BLOCK_Q, o, ls, scores))
            })
        });
        return Ok((out, lse));
    }
    let mut scores = Vec::new();
    for (b, (o, ls)) in out.chunks_mut(ol).zip(lse.chunks_mut(d.l)).enumerate() {
        for (i, (o, ls)) in o.chunks_mut(ob).zip(ls.chunks_mut(BLOCK_Q)).enumerate() {
            task(b, i * BLOCK_Q, o, ls, &mut scores);
        }
    }
    Ok((out, lse))
}

/// One block of `rows` queries (`q`: `rows × e`) against every key block it can see.
#[allow(clippy::too_many_arguments)]
fn query_block<T: AttnElem>(
    q: &[T],
    k: &[T],
    v: &[T],
    out: &mut [T],
    lse: &mut [T],
    row0: usize,
    d: &AttentionDims,
    scale: T,
    scores: &mut Vec<T>,
) {
    let rows = lse.len();
    out.fill(T::ZERO);
    let mut max = [T::neg_infinity(); BLOCK_Q];
    let mut sum = [T::ZERO; BLOCK_Q];
    let key_end = if d.causal { (row0 + rows).min(d.s) } else { d.s };
    if scores.len() < BLOCK_Q * BLOCK_K {
        *scores = vec![T::ZERO; BLOCK_Q * BLOCK_K];
    }
    for key0 in (0..key_end).step_by(BLOCK_K) {
        let cols = BLOCK_K.min(key_end - key0);
        let s = &mut scores[..rows * cols];
        gemm(
            rows,
            cols,
            d.e,
            s,
            cols,
            false,
            Mat { data: q, rs: d.e, cs: 1 },
            Mat { data: &k[key0 * d.e..], rs: 1, cs: d.e },
            false,
        );
        for r in 0..rows {
            let seen = visible(d, row0 + r, key0, cols);
            let row = &mut s[r * cols..(r + 1) * cols];
            let o = &mut out[r * d.ev..(r + 1) * d.ev];
            widest!(online_softmax_row(row, seen, scale, &mut max[r], &mut sum[r], o));
        }
        gemm(
            rows,
            d.ev,
            cols,
            out,
            d.ev,
            true,
            Mat { data: s, rs: cols, cs: 1 },
            Mat { data: &v[key0 * d.ev..], rs: d.ev, cs: 1 },
            false,
        );
    }
    for r in 0..rows {
        let o = &mut out[r * d.ev..(r + 1) * d.ev];
        if sum[r] == T::ZERO && max[r] == T::neg_infinity() {
            // No key at all (s = 0): softmax over nothing, an empty sum of values.
            lse[r] = T::neg_infinity();
            continue;
        }
        let inv = T::ONE / sum[r];
        widest!(for x in o.iter_mut() {
            *x = *x * inv;
        });
        lse[r] = max[r] + Math::ln(sum[r]);
    }
}

/// Turns one row of raw scores into this block's probabilities relative to the running `max`
/// (`exp(x · scale - max)`, zero past the `seen` keys), rescaling the row's running `sum` and
/// output `o` when the max grows.
#[inline(always)]
fn online_softmax_row<T: AttnElem>(row: &mut [T], seen: usize, scale: T, max: &mut T, sum: &mut T, o: &mut [T]) {
    let (live, masked) = row.split_at_mut(seen);
    masked.fill(T::ZERO);
    if live.is_empty() {
        return;
    }
    // Plain loops over the row (in L1), each a vector loop: scale, the max in 16 lanes, the
    // exps, their sum in 16 lanes.
    for x in live.iter_mut() {
        *x = *x * scale;
    }
    let m = row_max(live);
    let m = if m > *max { m } else { *max };
    let alpha = Math::exp(*max - m);
    for x in live.iter_mut() {
        *x = Math::exp(*x - m);
    }
    let block = lane_sum(live, |x| x);
    if alpha != T::ONE {
        for x in o.iter_mut() {
            *x = *x * alpha;
        }
    }
    *sum = *sum * alpha + block;
    *max = m;
}
