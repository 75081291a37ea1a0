//! The product of a `1 × k` row and a `k × 1` column (`torch.dot`, a 1-D `matmul`, the sum of
//! squares inside `mse_loss`): a reduction, not a matrix product. gemm runs it on one thread
//! with one accumulator (8 MB of f32 at 53 GB/s here, against 143 GB/s for `sum`); this sums
//! chunks across threads, each with 64 independent lanes in the widest vectors.

use crate::cpu::wide::widest;
use crate::Element;
use core::ops::{Add, Mul};

/// Elements from which the threads share a dot product.
const THREADED: usize = 1 << 16;

/// `Σ a[i sa] b[i sb]` for `i < k`.
pub(super) fn dot<T>(a: &[T], sa: usize, b: &[T], sb: usize, k: usize) -> T
where
    T: Element + Add<Output = T> + Mul<Output = T>,
{
    if k >= THREADED && rayon::current_num_threads() > 1 {
        use rayon::prelude::*;
        let chunk = k.div_ceil(rayon::current_num_threads() * 4).max(THREADED / 4);
        return crate::grad_mode::suspended(|| {
            (0..k.div_ceil(chunk))
                .into_par_iter()
                .map(|c| {
                    let (start, len) = (c * chunk, chunk.min(k - c * chunk));
                    dot_run(&a[start * sa..], sa, &b[start * sb..], sb, len)
                })
                .reduce(|| T::ZERO, |x, y| x + y)
        });
    }
    dot_run(a, sa, b, sb, k)
}

/// One thread's part of [`dot`].
fn dot_run<T>(a: &[T], sa: usize, b: &[T], sb: usize, k: usize) -> T
where
    T: Element + Add<Output = T> + Mul<Output = T>,
{
    if sa == 1 && sb == 1 {
        return widest!(dot_contiguous(&a[..k], &b[..k]));
    }
    (0..k).fold(T::ZERO, |acc, i| acc + a[i * sa] * b[i * sb])
}

/// The dot product of two slices of one length, in 64 lanes: four accumulators of 16 (one
/// vector of f32 each), separate variables so that they stay in registers (one array of 64
/// was kept on the stack, its every add a store and a reload: 2.3x slower).
#[inline(always)]
fn dot_contiguous<T>(a: &[T], b: &[T]) -> T
where
    T: Element + Add<Output = T> + Mul<Output = T>,
{
    #[inline(always)]
    fn fma16<T: Element + Add<Output = T> + Mul<Output = T>>(acc: &mut [T; 16], x: &[T], y: &[T]) {
        for ((l, &x), &y) in acc.iter_mut().zip(x).zip(y) {
            *l = *l + x * y;
        }
    }
    let (mut l0, mut l1, mut l2, mut l3) = ([T::ZERO; 16], [T::ZERO; 16], [T::ZERO; 16], [T::ZERO; 16]);
    let (ca, cb) = (a.chunks_exact(64), b.chunks_exact(64));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        fma16(&mut l0, &x[..16], &y[..16]);
        fma16(&mut l1, &x[16..32], &y[16..32]);
        fma16(&mut l2, &x[32..48], &y[32..48]);
        fma16(&mut l3, &x[48..], &y[48..]);
    }
    let mut total = ra.iter().zip(rb).fold(T::ZERO, |acc, (&x, &y)| acc + x * y);
    for i in 0..16 {
        total = total + ((l0[i] + l1[i]) + (l2[i] + l3[i]));
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_matches_a_plain_sum_at_every_length_and_stride() {
        for k in [0, 1, 63, 64, 65, 200, 70_001] {
            let a: Vec<f64> = (0..3 * k).map(|i| ((i * 7919) % 13) as f64 - 6.0).collect();
            let b: Vec<f64> = (0..3 * k).map(|i| ((i * 104_729) % 11) as f64 - 5.0).collect();
            for (sa, sb) in [(1, 1), (2, 1), (1, 3), (3, 2)] {
                let want: f64 = (0..k).map(|i| a[i * sa] * b[i * sb]).sum();
                // Small integers: every summation order is exact.
                assert_eq!(dot(&a, sa, &b, sb, k), want, "k {k}, strides {sa} {sb}");
            }
        }
    }
}
