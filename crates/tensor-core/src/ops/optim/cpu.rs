//! The fused optimizer steps on the CPU: one pass over the parameter, its gradient and its
//! state, pieces across threads, each compiled for the widest vector unit. Element by element
//! the arithmetic is the composed step's (`mod.rs`), each scalar rounded to the dtype first as
//! PyTorch's kernels round theirs, so the result has the same bits.

use super::backend::{AdamStep, SgdStep};
use crate::backend::{OptimOps, Storage};
use crate::cpu::vmath::Math;
use crate::cpu::wide::widest;
use crate::cpu::{CpuStorage, StorageOf};
use crate::{bail, DType, Layout, Result};

impl OptimOps<Storage> for CpuStorage {
    fn adam_step(
        &mut self,
        layout: &Layout,
        grad: &Storage,
        exp_avg: &mut Storage,
        exp_avg_sq: &mut Storage,
        max_exp_avg_sq: Option<&mut Storage>,
        step: &AdamStep,
    ) -> Option<Result<()>> {
        let (a, b) = layout.contiguous_range()?;
        let op = "adam_step_";
        let run = || -> Result<Option<()>> {
            let g = grad.cpu(op)?;
            let (Some(m), Some(v)) = (cpu_mut(exp_avg), cpu_mut(exp_avg_sq)) else { return Ok(None) };
            let mx = match max_exp_avg_sq {
                Some(s) => match cpu_mut(s) {
                    Some(c) => Some(c),
                    None => return Ok(None),
                },
                None => None,
            };
            match self.dtype() {
                DType::F32 => adam::<f32>(self, g, m, v, mx, a..b, step),
                DType::F64 => adam::<f64>(self, g, m, v, mx, a..b, step),
                // Half types: the composed step.
                _ => return Ok(None),
            }
            .map(Some)
        };
        run().transpose()
    }

    fn sgd_step(
        &mut self,
        layout: &Layout,
        grad: &Storage,
        momentum_buffer: Option<&mut Storage>,
        step: &SgdStep,
    ) -> Option<Result<()>> {
        let (a, b) = layout.contiguous_range()?;
        let run = || -> Result<Option<()>> {
            let g = grad.cpu("sgd_step_")?;
            let buf = match momentum_buffer {
                Some(s) => match cpu_mut(s) {
                    Some(c) => Some(c),
                    None => return Ok(None),
                },
                None => None,
            };
            match self.dtype() {
                DType::F32 => sgd::<f32>(self, g, buf, a..b, step),
                DType::F64 => sgd::<f64>(self, g, buf, a..b, step),
                _ => return Ok(None),
            }
            .map(Some)
        };
        run().transpose()
    }
}

fn cpu_mut(s: &mut Storage) -> Option<&mut CpuStorage> {
    s.as_any_mut().downcast_mut::<CpuStorage>()
}

/// The elements `range` of `s` as `T`, mutably.
#[track_caller]
fn typed_mut<'a, T: StorageOf>(
    s: &'a mut CpuStorage,
    range: &core::ops::Range<usize>,
    op: &'static str,
) -> Result<&'a mut [T]> {
    let dtype = s.dtype();
    match T::slice_of_mut(s) {
        Some(v) => Ok(&mut v[range.clone()]),
        None => bail!(DType, op, "expected every tensor of one dtype, got {}", dtype),
    }
}

#[track_caller]
fn typed<'a, T: StorageOf>(s: &'a CpuStorage, range: &core::ops::Range<usize>, op: &'static str) -> Result<&'a [T]> {
    match T::slice_of(s) {
        Some(v) => Ok(&v[range.clone()]),
        None => bail!(DType, op, "expected every tensor of one dtype, got {}", s.dtype()),
    }
}

/// Elements per parallel piece.
#[cfg(feature = "std")]
const PIECE: usize = 1 << 14;

/// `f(params, grads, a, b, c)` over matching pieces of up to three state slices, across threads
/// when large. (`c` may be empty: a step without that state.)
fn for_pieces<T: Send + Sync>(
    p: &mut [T],
    g: &[T],
    a: &mut [T],
    b: &mut [T],
    c: &mut [T],
    f: impl Fn(&mut [T], &[T], &mut [T], &mut [T], &mut [T]) + Sync + Send,
) {
    #[cfg(feature = "std")]
    if p.len() >= crate::cpu::par_threshold() {
        use rayon::prelude::*;
        let n = p.len().div_ceil(PIECE);
        let (pa, pb, pc) = (chunks(a, n), chunks(b, n), chunks(c, n));
        crate::grad_mode::suspended(|| {
            p.par_chunks_mut(PIECE)
                .zip(g.par_chunks(PIECE))
                .zip(pa.into_par_iter().zip(pb.into_par_iter()).zip(pc.into_par_iter()))
                .for_each(|((p, g), ((a, b), c))| f(p, g, a, b, c))
        });
        return;
    }
    f(p, g, a, b, c)
}

/// `s` in `n` pieces of [`PIECE`] elements (`n` empty pieces for an empty `s`: a step without
/// that state).
#[cfg(feature = "std")]
fn chunks<T>(s: &mut [T], n: usize) -> alloc::vec::Vec<&mut [T]> {
    let mut out: alloc::vec::Vec<&mut [T]> = s.chunks_mut(PIECE).collect();
    out.resize_with(n, || &mut []);
    out
}

/// One Adam step's scalars, each rounded to the dtype.
struct AdamScalars<T> {
    shrink: T,
    wd: T,
    /// `1 - beta1`, which picks lerp's formula, and the formulas' weights.
    w1: f64,
    w1t: T,
    w1c: T,
    b2: T,
    b2c: T,
    bc2: T,
    eps: T,
    neg_step: T,
}

/// The Adam update of a piece (`mx` empty without AMSGrad). The options that change the loop
/// are const parameters, so that each combination is a plain vector loop: `L2` (Adam's weight
/// decay, added to the gradient) and `AMSGRAD`. AdamW's decay multiplies by `shrink`, exactly 1
/// when there is none; lerp's two formulas are both computed and one selected.
#[inline(always)]
fn adam_piece<T: Math, const L2: bool, const AMSGRAD: bool>(
    p: &mut [T],
    g: &[T],
    m: &mut [T],
    v: &mut [T],
    mx: &mut [T],
    k: &AdamScalars<T>,
) {
    let n = p.len();
    let (g, m, v) = (&g[..n], &mut m[..n], &mut v[..n]);
    let mx = if AMSGRAD { &mut mx[..n] } else { mx };
    let low = k.w1.abs() < 0.5;
    for i in 0..n {
        let pi = p[i] * k.shrink;
        let gi = if L2 { g[i] + pi * k.wd } else { g[i] };
        // exp_avg.lerp_(grad, 1 - beta1)
        let mi = m[i];
        let (near, far) = (mi + (gi - mi) * k.w1t, gi - (gi - mi) * k.w1c);
        let mi = if low { near } else { far };
        m[i] = mi;
        // exp_avg_sq * beta2 + (grad * (1 - beta2)) * grad
        let vi = v[i] * k.b2 + gi * k.b2c * gi;
        v[i] = vi;
        let second = if AMSGRAD {
            // maximum_, NaN winning
            let x = mx[i];
            let y = if x.is_nan() || x > vi { x } else { vi };
            mx[i] = y;
            y
        } else {
            vi
        };
        let denom = second.sqrt() / k.bc2 + k.eps;
        p[i] = pi + mi * k.neg_step / denom;
    }
}

#[track_caller]
fn adam<T: Math + StorageOf + Send + Sync>(
    param: &mut CpuStorage,
    grad: &CpuStorage,
    exp_avg: &mut CpuStorage,
    exp_avg_sq: &mut CpuStorage,
    max_exp_avg_sq: Option<&mut CpuStorage>,
    range: core::ops::Range<usize>,
    st: &AdamStep,
) -> Result<()> {
    let op = "adam_step_";
    let (p, g) = (typed_mut::<T>(param, &range, op)?, typed::<T>(grad, &range, op)?);
    let (m, v) = (typed_mut::<T>(exp_avg, &range, op)?, typed_mut::<T>(exp_avg_sq, &range, op)?);
    let mx: &mut [T] = match max_exp_avg_sq {
        Some(s) => typed_mut::<T>(s, &range, op)?,
        None => &mut [],
    };
    let of = T::of;
    let (beta1, beta2) = st.betas;
    let (step_size, bc2_sqrt) = st.scales();
    let w1 = 1.0 - beta1;
    let k = AdamScalars {
        // AdamW's decay; 1 (an exact no-op) for Adam or without decay.
        shrink: if st.decoupled && st.weight_decay != 0.0 { of(1.0 - st.lr * st.weight_decay) } else { T::ONE },
        wd: of(st.weight_decay),
        w1,
        w1t: of(w1),
        w1c: of(1.0 - w1),
        b2: of(beta2),
        b2c: of(1.0 - beta2),
        bc2: of(bc2_sqrt),
        eps: of(st.eps),
        neg_step: of(-step_size),
    };
    let l2 = !st.decoupled && st.weight_decay != 0.0;
    match (l2, !mx.is_empty()) {
        (false, false) => {
            for_pieces(p, g, m, v, mx, |p, g, m, v, mx| widest!(adam_piece::<T, false, false>(p, g, m, v, mx, &k)))
        }
        (false, true) => {
            for_pieces(p, g, m, v, mx, |p, g, m, v, mx| widest!(adam_piece::<T, false, true>(p, g, m, v, mx, &k)))
        }
        (true, false) => {
            for_pieces(p, g, m, v, mx, |p, g, m, v, mx| widest!(adam_piece::<T, true, false>(p, g, m, v, mx, &k)))
        }
        (true, true) => {
            for_pieces(p, g, m, v, mx, |p, g, m, v, mx| widest!(adam_piece::<T, true, true>(p, g, m, v, mx, &k)))
        }
    }
    Ok(())
}

/// The SGD update of a piece (`b` empty without momentum).
#[inline(always)]
fn sgd_piece<T: Math>(p: &mut [T], g: &[T], b: &mut [T], st: &SgdStep, (wd, mom, keep, lr): (T, T, T, T)) {
    let n = p.len();
    let g = &g[..n];
    let (decay, undamped, has_buf) = (st.weight_decay != 0.0, st.dampening == 0.0, !b.is_empty());
    for i in 0..n {
        let pi = p[i];
        let mut d = g[i];
        if decay {
            d += pi * wd;
        }
        if has_buf {
            let bi = if st.first {
                d
            } else if undamped {
                b[i] * mom + d
            } else {
                b[i] * mom + d * keep
            };
            b[i] = bi;
            d = if st.nesterov { d + bi * mom } else { bi };
        }
        p[i] = pi - d * lr;
    }
}

#[track_caller]
fn sgd<T: Math + StorageOf + Send + Sync>(
    param: &mut CpuStorage,
    grad: &CpuStorage,
    buf: Option<&mut CpuStorage>,
    range: core::ops::Range<usize>,
    st: &SgdStep,
) -> Result<()> {
    let op = "sgd_step_";
    let (p, g) = (typed_mut::<T>(param, &range, op)?, typed::<T>(grad, &range, op)?);
    let b: &mut [T] = match buf {
        Some(s) => typed_mut::<T>(s, &range, op)?,
        None => &mut [],
    };
    let of = T::of;
    let k = (of(st.weight_decay), of(st.momentum), of(1.0 - st.dampening), of(st.lr));
    for_pieces(p, g, b, &mut [], &mut [], |p, g, b, _, _| widest!(sgd_piece(p, g, b, st, k)));
    Ok(())
}
