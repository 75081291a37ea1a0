//! CPU matmul: f32 and f64 through the `gemm` crate (packed, SIMD, threaded), f16/bf16 through
//! f32, integers by a plain loop. Batches of `[m, k] @ [k, n]` with any strides.

use crate::cpu::{CpuStorage, StorageOf};
use crate::{bail, Element, Layout, Result};
use alloc::vec::Vec;

/// One batched product: sizes and the strides of each operand as (batch, row, col).
#[derive(Debug, Clone, Copy)]
struct Geometry {
    batch: usize,
    m: usize,
    n: usize,
    k: usize,
    dst: [usize; 3],
    lhs: [usize; 3],
    rhs: [usize; 3],
    offs: [usize; 3],
}

fn strides3(l: &Layout) -> [usize; 3] {
    let s = l.strides();
    [s[0], s[1], s[2]]
}

fn naive<T: Element>(d: &mut [T], a: &[T], b: &[T], g: &Geometry, alpha: f64, beta: f64) {
    for bi in 0..g.batch {
        for i in 0..g.m {
            for j in 0..g.n {
                let mut acc = 0.0f64;
                for p in 0..g.k {
                    let x = a[g.offs[1] + bi * g.lhs[0] + i * g.lhs[1] + p * g.lhs[2]].to_f64();
                    let y = b[g.offs[2] + bi * g.rhs[0] + p * g.rhs[1] + j * g.rhs[2]].to_f64();
                    acc += x * y;
                }
                let o = &mut d[g.offs[0] + bi * g.dst[0] + i * g.dst[1] + j * g.dst[2]];
                let prev = if beta == 0.0 { 0.0 } else { beta * o.to_f64() };
                *o = T::from_f64(prev + alpha * acc);
            }
        }
    }
}

#[cfg(feature = "std")]
trait GemmElem: Element {
    fn of(v: f64) -> Self;
}
#[cfg(feature = "std")]
impl GemmElem for f32 {
    fn of(v: f64) -> Self {
        v as f32
    }
}
#[cfg(feature = "std")]
impl GemmElem for f64 {
    fn of(v: f64) -> Self {
        v
    }
}

#[cfg(feature = "std")]
fn with_gemm<T: GemmElem>(d: &mut [T], a: &[T], b: &[T], g: &Geometry, alpha: f64, beta: f64) {
    // Every index the kernel touches lies inside the slices: the layouts were built for these
    // storages (checked once here, cheaply, by the extreme corner of each operand).
    let last =
        |off: usize, s: [usize; 3], r: usize, c: usize| off + (g.batch - 1) * s[0] + (r - 1) * s[1] + (c - 1) * s[2];
    if g.batch == 0 || g.m == 0 || g.n == 0 {
        return;
    }
    assert!(last(g.offs[0], g.dst, g.m, g.n) < d.len(), "matmul: dst layout out of bounds");
    if g.k > 0 {
        assert!(
            last(g.offs[1], g.lhs, g.m, g.k) < a.len() && last(g.offs[2], g.rhs, g.k, g.n) < b.len(),
            "matmul: operand layout out of bounds"
        );
    }
    let flops = g.m * g.n * g.k;
    let par =
        if flops >= 1 << 18 { gemm::Parallelism::Rayon(rayon::current_num_threads()) } else { gemm::Parallelism::None };
    for bi in 0..g.batch {
        // SAFETY: the bounds were checked above for the largest index of each operand; `d` is a
        // unique borrow, so the output cannot alias the inputs; strides are non-negative and
        // small enough for isize (they index a live allocation).
        unsafe {
            gemm::gemm(
                g.m,
                g.n,
                g.k,
                d.as_mut_ptr().add(g.offs[0] + bi * g.dst[0]),
                g.dst[2] as isize,
                g.dst[1] as isize,
                beta != 0.0,
                a.as_ptr().add(g.offs[1] + bi * g.lhs[0]),
                g.lhs[2] as isize,
                g.lhs[1] as isize,
                b.as_ptr().add(g.offs[2] + bi * g.rhs[0]),
                g.rhs[2] as isize,
                g.rhs[1] as isize,
                T::of(beta),
                T::of(alpha),
                false,
                false,
                false,
                par,
            );
        }
    }
}

fn via_f32<T: Element>(d: &mut [T], a: &[T], b: &[T], g: &Geometry, alpha: f64, beta: f64) {
    let conv = |v: &[T]| -> Vec<f32> { v.iter().map(|x| x.to_f64() as f32).collect() };
    let (mut df, af, bf) = (conv(d), conv(a), conv(b));
    #[cfg(feature = "std")]
    with_gemm(&mut df, &af, &bf, g, alpha, beta);
    #[cfg(not(feature = "std"))]
    naive(&mut df, &af, &bf, g, alpha, beta);
    for (o, &x) in d.iter_mut().zip(&df) {
        *o = T::from_f64(x as f64);
    }
}

/// `dst[ld] = beta * dst[ld] + alpha * lhs[la] @ rhs[lb]` over 3-d layouts.
#[allow(clippy::too_many_arguments)]
pub(crate) fn matmul_into(
    dst: &mut CpuStorage,
    ld: &Layout,
    lhs: &CpuStorage,
    la: &Layout,
    rhs: &CpuStorage,
    lb: &Layout,
    alpha: f64,
    beta: f64,
) -> Result<()> {
    let (ad, bd) = (la.dims(), lb.dims());
    let g = Geometry {
        batch: ad[0],
        m: ad[1],
        k: ad[2],
        n: bd[2],
        dst: strides3(ld),
        lhs: strides3(la),
        rhs: strides3(lb),
        offs: [ld.offset(), la.offset(), lb.offset()],
    };
    match (dst, lhs, rhs) {
        #[cfg(feature = "std")]
        (CpuStorage::F32(d), CpuStorage::F32(a), CpuStorage::F32(b)) => with_gemm(d, a, b, &g, alpha, beta),
        #[cfg(feature = "std")]
        (CpuStorage::F64(d), CpuStorage::F64(a), CpuStorage::F64(b)) => with_gemm(d, a, b, &g, alpha, beta),
        (CpuStorage::F16(d), CpuStorage::F16(a), CpuStorage::F16(b)) => via_f32(d, a, b, &g, alpha, beta),
        (CpuStorage::BF16(d), CpuStorage::BF16(a), CpuStorage::BF16(b)) => via_f32(d, a, b, &g, alpha, beta),
        (d, a, b) if d.dtype() == a.dtype() && a.dtype() == b.dtype() && d.dtype() != crate::DType::Bool => {
            crate::with_cpu!(d, |dv| {
                let av = StorageOf::slice_of(a).expect("dtype checked");
                let bv = StorageOf::slice_of(b).expect("dtype checked");
                naive(dv, av, bv, &g, alpha, beta)
            })
        }
        (d, a, b) => bail!(
            DType,
            "matmul",
            "expected operands of one numeric dtype, got {} @ {} into {}",
            a.dtype(),
            b.dtype(),
            d.dtype()
        ),
    }
    Ok(())
}
