//! The backward pass (FlashAttention-2's): per problem, each key block against the query blocks
//! that see it, the probabilities recomputed from the saved log-sum-exp:
//! `p = exp(q kᵀ · scale - lse)`, `dv += pᵀ g`, `dp = g vᵀ`, `ds = p (dp - rowsum(g ∘ out))`,
//! `dq += ds k · scale`, `dk += dsᵀ q · scale`. Problems run in parallel; within one, blocks
//! run in order (every key block adds to every query block's `dq`).

use super::{visible, AttnElem, BLOCK_K, BLOCK_Q};
use crate::backend::AttentionDims;
use crate::cpu::gemm::{gemm, Mat};
use crate::cpu::vmath::Math;
use crate::cpu::wide::{lane_sum2, widest};
use crate::cpu::zeroed_buffer;
use crate::Result;
use alloc::vec::Vec;

/// The backward's inputs, contiguous: the output's gradient, the forward's inputs, its output
/// and log-sum-exp.
pub(super) struct Inputs<'a, T> {
    pub grad: &'a [T],
    pub q: &'a [T],
    pub k: &'a [T],
    pub v: &'a [T],
    pub out: &'a [T],
    pub lse: &'a [T],
}

/// The gradients of `q`, `k` and `v`.
#[track_caller]
pub(super) fn attention_backward<T: AttnElem>(
    x: &Inputs<'_, T>,
    d: AttentionDims,
    scale: T,
) -> Result<(Vec<T>, Vec<T>, Vec<T>)> {
    let op = "scaled_dot_product_attention_backward";
    let mut dq = zeroed_buffer::<T>(op, d.batch * d.l * d.e)?;
    let mut dk = zeroed_buffer::<T>(op, d.batch * d.s * d.e)?;
    let mut dv = zeroed_buffer::<T>(op, d.batch * d.s * d.ev)?;
    if d.l == 0 || d.s == 0 || d.e == 0 || d.ev == 0 {
        // tensor-core composes these empty cases; the chunking below needs whole rows.
        crate::bail!(Unsupported, op, "expected operands of positive size, got {d:?}");
    }
    let problem = |b: usize, dq: &mut [T], dk: &mut [T], dv: &mut [T]| {
        let (qr, kr, vr) = (
            b * d.l * d.e..(b + 1) * d.l * d.e,
            b * d.s * d.e..(b + 1) * d.s * d.e,
            b * d.s * d.ev..(b + 1) * d.s * d.ev,
        );
        let lr = b * d.l * d.ev..(b + 1) * d.l * d.ev;
        let one = Inputs {
            grad: &x.grad[lr.clone()],
            q: &x.q[qr],
            k: &x.k[kr],
            v: &x.v[vr],
            out: &x.out[lr],
            lse: &x.lse[b * d.l..(b + 1) * d.l],
        };
        one_problem(&one, dq, dk, dv, &d, scale);
    };
    #[cfg(feature = "std")]
    if d.batch > 1 && d.batch * d.l * d.s * (d.e + d.ev) >= crate::cpu::par_threshold() {
        use rayon::prelude::*;
        crate::grad_mode::suspended(|| {
            dq.par_chunks_mut(d.l * d.e)
                .zip(dk.par_chunks_mut(d.s * d.e))
                .zip(dv.par_chunks_mut(d.s * d.ev))
                .enumerate()
                .for_each(|(b, ((dq, dk), dv))| problem(b, dq, dk, dv))
        });
        return Ok((dq, dk, dv));
    }
    for (b, ((dq, dk), dv)) in
        dq.chunks_mut(d.l * d.e).zip(dk.chunks_mut(d.s * d.e)).zip(dv.chunks_mut(d.s * d.ev)).enumerate()
    {
        problem(b, dq, dk, dv);
    }
    Ok((dq, dk, dv))
}

/// One problem's gradients, added into the zeroed `dq`, `dk` and `dv`.
fn one_problem<T: AttnElem>(x: &Inputs<'_, T>, dq: &mut [T], dk: &mut [T], dv: &mut [T], d: &AttentionDims, scale: T) {
    let (e, ev) = (d.e, d.ev);
    // rowsum(g ∘ out): the `sum(g y)` of softmax's backward, once per query.
    let dots: Vec<T> = (0..d.l)
        .map(|i| {
            let (g, o) = (&x.grad[i * ev..(i + 1) * ev], &x.out[i * ev..(i + 1) * ev]);
            widest!(lane_sum2(g, o, |a, b| a * b))
        })
        .collect();
    let mut p = [T::ZERO; BLOCK_Q * BLOCK_K];
    let mut ds = [T::ZERO; BLOCK_Q * BLOCK_K];
    for key0 in (0..d.s).step_by(BLOCK_K) {
        let cols = BLOCK_K.min(d.s - key0);
        let (kb, vb) = (&x.k[key0 * e..], &x.v[key0 * ev..]);
        // With `causal`, the queries before `key0` see none of these keys.
        let first = if d.causal { key0 / BLOCK_Q * BLOCK_Q } else { 0 };
        for row0 in (first..d.l).step_by(BLOCK_Q) {
            let rows = BLOCK_Q.min(d.l - row0);
            let (qb, gb) = (&x.q[row0 * e..], &x.grad[row0 * ev..]);
            let (p, ds) = (&mut p[..rows * cols], &mut ds[..rows * cols]);
            gemm(rows, cols, e, p, cols, false, Mat { data: qb, rs: e, cs: 1 }, Mat { data: kb, rs: 1, cs: e }, false);
            gemm(
                rows,
                cols,
                ev,
                ds,
                cols,
                false,
                Mat { data: gb, rs: ev, cs: 1 },
                Mat { data: vb, rs: 1, cs: ev },
                false,
            );
            for r in 0..rows {
                let seen = visible(d, row0 + r, key0, cols);
                let (pr, dr) = (&mut p[r * cols..(r + 1) * cols], &mut ds[r * cols..(r + 1) * cols]);
                let (lse, dot) = (x.lse[row0 + r], dots[row0 + r]);
                widest!(probabilities_row(pr, dr, seen, scale, lse, dot));
            }
            let (p, ds) = (&p[..], &ds[..]);
            // dv += pᵀ g, dk += dsᵀ q, dq += ds k (the scale is in ds).
            gemm(
                cols,
                ev,
                rows,
                &mut dv[key0 * ev..],
                ev,
                true,
                Mat { data: p, rs: 1, cs: cols },
                Mat { data: gb, rs: ev, cs: 1 },
                false,
            );
            gemm(
                cols,
                e,
                rows,
                &mut dk[key0 * e..],
                e,
                true,
                Mat { data: ds, rs: 1, cs: cols },
                Mat { data: qb, rs: e, cs: 1 },
                false,
            );
            gemm(
                rows,
                e,
                cols,
                &mut dq[row0 * e..],
                e,
                true,
                Mat { data: ds, rs: cols, cs: 1 },
                Mat { data: kb, rs: e, cs: 1 },
                false,
            );
        }
    }
}

/// One row of a block: the raw scores `p` become probabilities `exp(x · scale - lse)` and the
/// products `ds` (`g vᵀ` on entry) become `p (ds - dot) · scale`; both zero past `seen` keys.
#[inline(always)]
fn probabilities_row<T: AttnElem>(p: &mut [T], ds: &mut [T], seen: usize, scale: T, lse: T, dot: T) {
    let ((p, p_masked), (ds, ds_masked)) = (p.split_at_mut(seen), ds.split_at_mut(seen));
    p_masked.fill(T::ZERO);
    ds_masked.fill(T::ZERO);
    for (pj, dj) in p.iter_mut().zip(ds.iter_mut()) {
        let pv = Math::exp(*pj * scale - lse);
        *pj = pv;
        *dj = pv * (*dj - dot) * scale;
    }
}
