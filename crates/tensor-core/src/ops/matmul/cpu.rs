//! CPU matmul: f32 and f64 through the `gemm` crate (packed, SIMD, threaded), f16/bf16 through
//! f32, integers by a plain loop. Batches of `[m, k] @ [k, n]` with any strides.

use crate::backend::{MatmulOps, Storage};
use crate::cpu::{CpuStorage, StorageOf};
use crate::{bail, Element, Layout, Result};
use alloc::vec::Vec;

impl MatmulOps<Storage> for CpuStorage {
    #[track_caller]
    fn matmul_into(
        &mut self,
        dst_layout: &Layout,
        lhs: &Storage,
        lhs_layout: &Layout,
        rhs: &Storage,
        rhs_layout: &Layout,
        alpha: f64,
        beta: f64,
    ) -> Result<()> {
        matmul_into(self, dst_layout, lhs.cpu("matmul")?, lhs_layout, rhs.cpu("matmul")?, rhs_layout, alpha, beta)
    }
}

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

/// [`naive`] for integers: exact, in wrapping i64 arithmetic as PyTorch's integer matmul
/// (through f64, products past 2^53 lost their low bits). Integral `alpha`/`beta` (the only
/// ones PyTorch takes for integer tensors) stay exact; others go through f64.
fn naive_int<T: crate::cpu::IntElem>(d: &mut [T], a: &[T], b: &[T], g: &Geometry, alpha: f64, beta: f64) {
    let integral = |v: f64| libm::trunc(v) == v && libm::fabs(v) < 9e18;
    let exact = integral(alpha) && integral(beta);
    for bi in 0..g.batch {
        for i in 0..g.m {
            for j in 0..g.n {
                let mut acc = 0i64;
                for p in 0..g.k {
                    let x = a[g.offs[1] + bi * g.lhs[0] + i * g.lhs[1] + p * g.lhs[2]].i64();
                    let y = b[g.offs[2] + bi * g.rhs[0] + p * g.rhs[1] + j * g.rhs[2]].i64();
                    acc = acc.wrapping_add(x.wrapping_mul(y));
                }
                let o = &mut d[g.offs[0] + bi * g.dst[0] + i * g.dst[1] + j * g.dst[2]];
                *o = if exact {
                    let prev = if beta == 0.0 { 0 } else { (beta as i64).wrapping_mul(o.i64()) };
                    T::of_i64(prev.wrapping_add((alpha as i64).wrapping_mul(acc)))
                } else {
                    let prev = if beta == 0.0 { 0.0 } else { beta * o.to_f64() };
                    T::from_f64(prev + alpha * acc as f64)
                };
            }
        }
    }
}

#[cfg(feature = "std")]
trait GemmElem: Element + core::ops::Add<Output = Self> + core::ops::Mul<Output = Self> {
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
    // Every index the kernel touches lies inside the slices: the layouts were checked against
    // these storages where they were made; checked again here, cheaply and with checked
    // arithmetic, by the extreme corner of each operand (the unsafe block below relies on it).
    let inside = |off: usize, s: [usize; 3], r: usize, c: usize, len: usize| {
        let reach = |n: usize, s: usize| (n - 1).checked_mul(s);
        let last = reach(g.batch, s[0])
            .zip(reach(r, s[1]))
            .zip(reach(c, s[2]))
            .and_then(|((x, y), z)| off.checked_add(x)?.checked_add(y)?.checked_add(z));
        last.is_some_and(|l| l < len) && s.iter().all(|&s| s <= isize::MAX as usize)
    };
    if g.batch == 0 || g.m == 0 || g.n == 0 {
        return;
    }
    assert!(inside(g.offs[0], g.dst, g.m, g.n, d.len()), "matmul: dst layout out of bounds");
    if g.k > 0 {
        assert!(
            inside(g.offs[1], g.lhs, g.m, g.k, a.len()) && inside(g.offs[2], g.rhs, g.k, g.n, b.len()),
            "matmul: operand layout out of bounds"
        );
    }
    // A lone 1 × 1 product is a dot product: a reduction across threads, not a gemm.
    if g.batch == 1 && g.m == 1 && g.n == 1 {
        let v =
            if g.k == 0 { T::ZERO } else { super::dot::dot(&a[g.offs[1]..], g.lhs[2], &b[g.offs[2]..], g.rhs[1], g.k) };
        let o = &mut d[g.offs[0]];
        *o = if beta == 0.0 { T::of(alpha) * v } else { T::of(beta) * *o + T::of(alpha) * v };
        return;
    }
    // Threads write disjoint parts only if no two output elements share a location.
    let threads = if distinct_outputs(g) { rayon::current_num_threads() } else { 1 };
    let per_product = g.m * g.n * g.k;
    // Many products, or many small ones: one product per task, each on one thread. Else each
    // product is spread over the threads (when large enough) in turn.
    let by_product = threads > 1
        && g.batch > 1
        && g.batch * per_product >= THREADED_WORK
        && (per_product < THREADED_WORK || g.batch >= 2 * threads);
    let split = if by_product { Split::None } else { Split::new(g, threads) };
    let dst = DstPtr(d.as_mut_ptr());
    let product = |bi: usize| {
        let at = |operand: usize, s: [usize; 3]| g.offs[operand] + bi * s[0];
        let (d0, a0, b0) = (at(0, g.dst), at(1, g.lhs), at(2, g.rhs));
        // One gemm of `rows × cols` of the product, starting at row `i0` and column `j0`.
        let part = |i0: usize, rows: usize, j0: usize, cols: usize, par: gemm::Parallelism| {
            // SAFETY: the bounds were checked above for the largest index of each operand, and
            // a part lies inside the whole; parts running at once write disjoint rows or columns
            // of one product, or different products, of `d`, whose elements are distinct
            // locations (else one thread runs); `d` is a unique borrow (so the output cannot
            // alias the inputs); strides are non-negative and small enough for isize (they
            // index a live allocation).
            unsafe {
                let (d, a, b) = (dst.get(), a.as_ptr(), b.as_ptr());
                gemm::gemm(
                    rows,
                    cols,
                    g.k,
                    d.add(d0 + i0 * g.dst[1] + j0 * g.dst[2]),
                    g.dst[2] as isize,
                    g.dst[1] as isize,
                    beta != 0.0,
                    a.add(a0 + i0 * g.lhs[1]),
                    g.lhs[2] as isize,
                    g.lhs[1] as isize,
                    b.add(b0 + j0 * g.rhs[2]),
                    g.rhs[2] as isize,
                    g.rhs[1] as isize,
                    T::of(beta),
                    T::of(alpha),
                    false,
                    false,
                    false,
                    par,
                )
            }
        };
        match split {
            Split::None => part(0, g.m, 0, g.n, gemm::Parallelism::None),
            Split::Inside => part(0, g.m, 0, g.n, gemm::Parallelism::Rayon(threads)),
            Split::Columns(w) => parallel_parts(g.n, w, |j0, cols| part(0, g.m, j0, cols, gemm::Parallelism::None)),
            Split::Rows(h) => parallel_parts(g.m, h, |i0, rows| part(i0, rows, 0, g.n, gemm::Parallelism::None)),
        }
    };
    // Parallel sections: another thread's job may run here meanwhile (see grad_mode).
    crate::grad_mode::suspended(|| {
        if by_product {
            use rayon::prelude::*;
            (0..g.batch).into_par_iter().for_each(product);
        } else {
            (0..g.batch).for_each(product);
        }
    });
}

/// Whether every element of the output (`batch × m × n` at its strides) is a distinct
/// location: with the dims ordered by stride, each stride passes the reach of the smaller ones.
#[cfg(feature = "std")]
fn distinct_outputs(g: &Geometry) -> bool {
    let mut dims = [(g.dst[0], g.batch), (g.dst[1], g.m), (g.dst[2], g.n)];
    dims.sort_unstable();
    let mut reach = 0;
    for (stride, size) in dims.into_iter().filter(|&(_, size)| size > 1) {
        if stride <= reach {
            return false;
        }
        reach += stride * (size - 1);
    }
    true
}

/// The output's base pointer, shared by the threads that write its disjoint parts.
#[cfg(feature = "std")]
#[derive(Clone, Copy)]
struct DstPtr<T>(*mut T);
// SAFETY: only ever used to write disjoint parts of one output from the threads of one call,
// which all end before the call returns (and so before the borrow the pointer came from ends).
#[cfg(feature = "std")]
unsafe impl<T: Send> Send for DstPtr<T> {}
#[cfg(feature = "std")]
unsafe impl<T: Send> Sync for DstPtr<T> {}
#[cfg(feature = "std")]
impl<T> DstPtr<T> {
    /// The pointer (a method, so that closures capture the whole `Sync` wrapper).
    fn get(self) -> *mut T {
        self.0
    }
}

/// How one product is spread over the threads.
#[cfg(feature = "std")]
#[derive(Debug, Clone, Copy)]
enum Split {
    /// On the calling thread (small products).
    None,
    /// By the `gemm` crate's own threading.
    Inside,
    /// One single-threaded gemm per panel of this many columns (or rows): each thread packs
    /// only its panel of the right (left) operand and nobody waits for anybody, where gemm's
    /// own threading synchronises its threads at every block. 1024³ on two threads: about 10%
    /// faster; LeNet's first linear layer (64×400 @ 400×120): 0.10–0.14 → 0.075 ms (medians).
    Columns(usize),
    Rows(usize),
}

/// Multiply-adds from which a product (or a batch of them) is worth the threads.
#[cfg(feature = "std")]
const THREADED_WORK: usize = 1 << 18;

#[cfg(feature = "std")]
impl Split {
    /// How to spread one product of `g` over `threads`.
    fn new(g: &Geometry, threads: usize) -> Split {
        if threads < 2 || g.m * g.n * g.k < THREADED_WORK {
            return Split::None;
        }
        // Panels a whole number of vectors wide, at least two vectors each.
        let panel = |len: usize| len.div_ceil(threads).next_multiple_of(16);
        if g.n >= 32 * threads {
            Split::Columns(panel(g.n))
        } else if g.m >= 32 * threads {
            Split::Rows(panel(g.m))
        } else {
            Split::Inside
        }
    }
}

/// `f(start, len)` for each panel of `width` of `0..total`, in parallel.
#[cfg(feature = "std")]
fn parallel_parts(total: usize, width: usize, f: impl Fn(usize, usize) + Sync) {
    use rayon::prelude::*;
    (0..total.div_ceil(width)).into_par_iter().for_each(|p| f(p * width, width.min(total - p * width)));
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
#[track_caller]
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
        (CpuStorage::U8(d), CpuStorage::U8(a), CpuStorage::U8(b)) => naive_int(d, a, b, &g, alpha, beta),
        (CpuStorage::I32(d), CpuStorage::I32(a), CpuStorage::I32(b)) => naive_int(d, a, b, &g, alpha, beta),
        (CpuStorage::I64(d), CpuStorage::I64(a), CpuStorage::I64(b)) => naive_int(d, a, b, &g, alpha, beta),
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

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;

    fn geo(batch: usize, m: usize, n: usize, dst: [usize; 3]) -> Geometry {
        Geometry { batch, m, n, k: 1, dst, lhs: [0; 3], rhs: [0; 3], offs: [0; 3] }
    }

    #[test]
    fn distinct_outputs_finds_shared_locations() {
        // Contiguous, transposed and permuted outputs, and any stride on a dim of size 1.
        assert!(distinct_outputs(&geo(2, 3, 4, [12, 4, 1])));
        assert!(distinct_outputs(&geo(2, 3, 4, [12, 1, 3])));
        assert!(distinct_outputs(&geo(2, 3, 4, [4, 8, 1])));
        assert!(distinct_outputs(&geo(1, 3, 4, [0, 4, 1])));
        // An expanded dim, and overlapping windows.
        assert!(!distinct_outputs(&geo(2, 3, 4, [0, 4, 1])));
        assert!(!distinct_outputs(&geo(1, 3, 4, [0, 0, 1])));
        assert!(!distinct_outputs(&geo(1, 3, 4, [0, 3, 1])));
        assert!(!distinct_outputs(&geo(1, 3, 3, [0, 1, 1])));
    }
}
