//! Fused attention on CUDA (`kernels/attention.cu`): tiles of queries in shared memory against
//! tiles of keys with an online softmax, the backward in two kernels (`dq` per query tile, then
//! `dk` and `dv` per key tile) that recompute the probabilities from the saved log-sum-exp. The
//! tile is the largest power of two up to 32 whose shared memory fits in 48 KiB; operands too
//! wide for a tile of one return `None`, and tensor-core composes attention instead.

use super::conv::dense_ptr;
use super::launch;
use crate::kernels::{blocks, suffix, to_i64, Family};
use crate::storage::{cuda_of, CudaStorage};
use tensor_core::backend::{AttentionDims, AttentionOps, Storage};
use tensor_core::{bail, DType, Layout, Result};

/// Shared memory a block may use without opting in.
const SHARED_BYTES: usize = 48 << 10;
/// Threads per block.
const THREADS: u32 = 128;

/// Elements of shared memory the widest of the three kernels needs at `tile` (see the layouts
/// at the top of each kernel in `attention.cu`).
fn shared_elements(d: &AttentionDims, tile: usize) -> usize {
    let (e, ev) = (d.e, d.ev);
    let forward = tile * (2 * e + 2 * ev + tile + 3);
    let dq = tile * (3 * e + 2 * ev + 2 * tile + 2);
    let dkv = tile * (3 * e + 3 * ev + 2 * tile + 2);
    forward.max(dq).max(dkv)
}

/// The tile and the shared bytes for `d` in `dtype`, if a tile of one fits.
fn tile_for(d: &AttentionDims, dtype: DType) -> Option<(usize, u32)> {
    let size = dtype.size_in_bytes();
    [32, 16, 8, 4, 2, 1]
        .into_iter()
        .map(|t| (t, shared_elements(d, t) * size))
        .find(|&(_, bytes)| bytes <= SHARED_BYTES)
        .map(|(t, bytes)| (t, bytes as u32))
}

#[track_caller]
fn float_kernel(op: &'static str, dtype: DType) -> Result<&'static str> {
    match dtype {
        DType::F32 | DType::F64 => Ok(suffix(dtype)),
        other => bail!(DType, op, "expected f32 or f64, got {other}"),
    }
}

/// The launch sizes every kernel takes after its pointers: `batch, l, s, e, ev` (i64),
/// `causal` (int), `scale` (double), `tile` (i64).
struct Sizes {
    batch: i64,
    l: i64,
    s: i64,
    e: i64,
    ev: i64,
    causal: i32,
    scale: f64,
    tile: i64,
}

impl Sizes {
    #[track_caller]
    fn new(op: &'static str, d: &AttentionDims, scale: f64, tile: usize) -> Result<Sizes> {
        Ok(Sizes {
            batch: to_i64(op, d.batch)?,
            l: to_i64(op, d.l)?,
            s: to_i64(op, d.s)?,
            e: to_i64(op, d.e)?,
            ev: to_i64(op, d.ev)?,
            causal: d.causal as i32,
            scale,
            tile: to_i64(op, tile)?,
        })
    }
}

impl AttentionOps<Storage> for CudaStorage {
    fn attention(
        &self,
        layout: &Layout,
        k: (&Storage, &Layout),
        v: (&Storage, &Layout),
        dims: AttentionDims,
        scale: f64,
    ) -> Option<Result<(Storage, Storage)>> {
        let op = "scaled_dot_product_attention";
        let (tile, shared) = tile_for(&dims, self.dtype())?;
        let run = || -> Result<(Storage, Storage)> {
            let suffix = float_kernel(op, self.dtype())?;
            let (ks, vs) = (cuda_of(op, k.0, &self.dev)?, cuda_of(op, v.0, &self.dev)?);
            let mut keep = [None, None, None];
            let [k0, k1, k2] = &mut keep;
            let (qp, kp, vp) =
                (dense_ptr(op, self, layout, k0)?, dense_ptr(op, ks, k.1, k1)?, dense_ptr(op, vs, v.1, k2)?);
            let d = dims;
            let mut out = CudaStorage::alloc(&self.dev, self.dtype(), d.batch * d.l * d.ev)?;
            let mut lse = CudaStorage::alloc(&self.dev, self.dtype(), d.batch * d.l)?;
            let (op_, lp) = (out.ptr_mut(), lse.ptr_mut());
            let z = Sizes::new(op, &d, scale, tile)?;
            let cfg = blocks(d.batch * d.l.div_ceil(tile), THREADS, shared);
            let name = format!("attention_fwd_{suffix}");
            // attention_fwd_<T>(q, k, v, out, lse, batch, l, s, e, ev, causal, scale, tile)
            launch!(self.dev, Family::Attention, name, cfg, op;
                &qp, &kp, &vp, &op_, &lp, &z.batch, &z.l, &z.s, &z.e, &z.ev, &z.causal, &z.scale, &z.tile)?;
            Ok((Storage::new(out), Storage::new(lse)))
        };
        Some(run())
    }

    fn attention_backward(
        &self,
        layout: &Layout,
        saved: [(&Storage, &Layout); 5],
        dims: AttentionDims,
        scale: f64,
    ) -> Option<Result<(Storage, Storage, Storage)>> {
        let op = "scaled_dot_product_attention_backward";
        let (tile, shared) = tile_for(&dims, self.dtype())?;
        let run = || -> Result<(Storage, Storage, Storage)> {
            let suffix = float_kernel(op, self.dtype())?;
            let mut keep: [Option<CudaStorage>; 6] = Default::default();
            let [kg, rest @ ..] = &mut keep;
            let gp = dense_ptr(op, self, layout, kg)?;
            let mut ptrs = [0u64; 5];
            for ((p, (s, l)), slot) in ptrs.iter_mut().zip(saved).zip(rest.iter_mut()) {
                *p = dense_ptr(op, cuda_of(op, s, &self.dev)?, l, slot)?;
            }
            let [qp, kp, vp, outp, lsep] = ptrs;
            let d = dims;
            let mut dq = CudaStorage::alloc(&self.dev, self.dtype(), d.batch * d.l * d.e)?;
            let mut dk = CudaStorage::alloc(&self.dev, self.dtype(), d.batch * d.s * d.e)?;
            let mut dv = CudaStorage::alloc(&self.dev, self.dtype(), d.batch * d.s * d.ev)?;
            let mut dot = CudaStorage::alloc(&self.dev, self.dtype(), d.batch * d.l)?;
            let (dqp, dkp, dvp, dotp) = (dq.ptr_mut(), dk.ptr_mut(), dv.ptr_mut(), dot.ptr_mut());
            let z = Sizes::new(op, &d, scale, tile)?;
            let name = format!("attention_bwd_dq_{suffix}");
            // attention_bwd_dq_<T>(g, q, k, v, o, lse, dq, dot, batch, l, s, e, ev, causal, scale, tile)
            let cfg = blocks(d.batch * d.l.div_ceil(tile), THREADS, shared);
            launch!(self.dev, Family::Attention, name, cfg, op;
                &gp, &qp, &kp, &vp, &outp, &lsep, &dqp, &dotp,
                &z.batch, &z.l, &z.s, &z.e, &z.ev, &z.causal, &z.scale, &z.tile)?;
            let name = format!("attention_bwd_dkv_{suffix}");
            // attention_bwd_dkv_<T>(g, q, k, v, lse, dot, dk, dv, batch, l, s, e, ev, causal, scale, tile)
            let cfg = blocks(d.batch * d.s.div_ceil(tile), THREADS, shared);
            launch!(self.dev, Family::Attention, name, cfg, op;
                &gp, &qp, &kp, &vp, &lsep, &dotp, &dkp, &dvp,
                &z.batch, &z.l, &z.s, &z.e, &z.ev, &z.causal, &z.scale, &z.tile)?;
            Ok((Storage::new(dq), Storage::new(dk), Storage::new(dv)))
        };
        Some(run())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiles_fit_in_shared_memory() {
        let d = |e, ev| AttentionDims { batch: 1, l: 100, s: 100, e, ev, causal: false };
        // GPT's heads of 32 in f32: the largest tile.
        assert_eq!(tile_for(&d(32, 32), DType::F32).map(|t| t.0), Some(32));
        for (e, dtype) in [(64, DType::F32), (128, DType::F32), (128, DType::F64), (1000, DType::F32)] {
            let (t, bytes) = tile_for(&d(e, e), dtype).unwrap();
            assert!(
                bytes as usize <= SHARED_BYTES
                    && bytes as usize == shared_elements(&d(e, e), t) * dtype.size_in_bytes()
            );
            // The next tile up would not fit.
            assert!(t == 32 || shared_elements(&d(e, e), 2 * t) * dtype.size_in_bytes() > SHARED_BYTES);
        }
        assert_eq!(tile_for(&d(3000, 3000), DType::F64), None);
    }
}
