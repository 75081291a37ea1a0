//! The CPU's fused attention, after FlashAttention (Dao et al., 2022/2023): blocks of queries
//! against blocks of keys, each block's scores in a small scratch matrix (checked gemm), an
//! online softmax (a running max and sum per query, the output rescaled as the max grows), so
//! the `l × s` scores never exist; with `causal`, key blocks wholly above the diagonal are
//! skipped. The backward (`backward.rs`) recomputes each block's probabilities from the saved
//! log-sum-exp. f32 and f64 compute natively; f16 and bf16 are widened by tensor-core first.

mod backward;
mod forward;

use crate::backend::{AttentionDims, AttentionOps, Storage};
use crate::cpu::gemm::GemmElem;
use crate::cpu::vmath::Math;
use crate::cpu::{CpuStorage, StorageOf};
use crate::{bail, Element, Layout, Result};
use alloc::vec::Vec;

/// Queries per block: one block's rows of scores and of output stay in L1 / L2.
const BLOCK_Q: usize = 64;
/// Keys per block.
const BLOCK_K: usize = 64;

/// The element types the kernels compute in.
trait AttnElem: Math + GemmElem + Send + Sync {}
impl<T: Math + GemmElem + Send + Sync> AttnElem for T {}

/// The contiguous elements of `s[layout]` as `T`, of `len` elements.
#[track_caller]
fn slice<'a, T: Element>(s: &'a CpuStorage, layout: &Layout, len: usize, op: &'static str) -> Result<&'a [T]> {
    let Some((a, b)) = layout.contiguous_range() else {
        bail!(Unsupported, op, "expected a contiguous layout, got strides {:?}", layout.strides());
    };
    match T::slice_of(s) {
        Some(v) if b - a == len => Ok(&v[a..b]),
        Some(_) => bail!(Shape, op, "expected {len} elements, got a layout of {}", b - a),
        None => bail!(DType, op, "expected {}, got {}", T::DTYPE, s.dtype()),
    }
}

/// Query `row` (of the whole problem) sees this many of the `cols` keys from `key0` on.
#[inline(always)]
fn visible(dims: &AttentionDims, row: usize, key0: usize, cols: usize) -> usize {
    if dims.causal {
        (row + 1).saturating_sub(key0).min(cols)
    } else {
        cols
    }
}

impl AttentionOps<Storage> for CpuStorage {
    fn attention(
        &self,
        layout: &Layout,
        k: (&Storage, &Layout),
        v: (&Storage, &Layout),
        dims: AttentionDims,
        scale: f64,
    ) -> Option<Result<(Storage, Storage)>> {
        let op = "scaled_dot_product_attention";
        let run = || -> Result<(Storage, Storage)> {
            let (ks, vs) = (k.0.cpu(op)?, v.0.cpu(op)?);
            let d = dims;
            macro_rules! typed {
                ($T:ty) => {{
                    let q = slice::<$T>(self, layout, d.batch * d.l * d.e, op)?;
                    let k = slice::<$T>(ks, k.1, d.batch * d.s * d.e, op)?;
                    let v = slice::<$T>(vs, v.1, d.batch * d.s * d.ev, op)?;
                    let (out, lse) = forward::attention::<$T>(q, k, v, d, <$T as crate::cpu::FloatElem>::of(scale))?;
                    Ok((Storage::new(StorageOf::into_storage(out)), Storage::new(StorageOf::into_storage(lse))))
                }};
            }
            match self.dtype() {
                crate::DType::F32 => typed!(f32),
                crate::DType::F64 => typed!(f64),
                other => bail!(DType, op, "expected f32 or f64, got {other}"),
            }
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
        let run = || -> Result<(Storage, Storage, Storage)> {
            let d = dims;
            let [q, k, v, o, lse] = saved;
            let (qs, ks, vs, os, ls) = (q.0.cpu(op)?, k.0.cpu(op)?, v.0.cpu(op)?, o.0.cpu(op)?, lse.0.cpu(op)?);
            macro_rules! typed {
                ($T:ty) => {{
                    let inputs = backward::Inputs {
                        grad: slice::<$T>(self, layout, d.batch * d.l * d.ev, op)?,
                        q: slice::<$T>(qs, q.1, d.batch * d.l * d.e, op)?,
                        k: slice::<$T>(ks, k.1, d.batch * d.s * d.e, op)?,
                        v: slice::<$T>(vs, v.1, d.batch * d.s * d.ev, op)?,
                        out: slice::<$T>(os, o.1, d.batch * d.l * d.ev, op)?,
                        lse: slice::<$T>(ls, lse.1, d.batch * d.l, op)?,
                    };
                    let (dq, dk, dv) =
                        backward::attention_backward::<$T>(&inputs, d, <$T as crate::cpu::FloatElem>::of(scale))?;
                    let wrap = |x: Vec<$T>| Storage::new(StorageOf::into_storage(x));
                    Ok((wrap(dq), wrap(dk), wrap(dv)))
                }};
            }
            match self.dtype() {
                crate::DType::F32 => typed!(f32),
                crate::DType::F64 => typed!(f64),
                other => bail!(DType, op, "expected f32 or f64, got {other}"),
            }
        };
        Some(run())
    }
}
