//! `x.t().contiguous()` on the CPU: a 2-d layout whose first dim is the dense one, copied out
//! row-major.
//!
//! The output is cut into bands of [`TASK_ROWS`] rows (one parallel task each), and each band
//! is walked 8 rows at a time in 8×8 tiles along the columns: a tile reads 8 source rows 8
//! elements long and writes 8 output rows 8 elements long, so every access is a short
//! contiguous run and only 8 rows of each side are live at once (with a power-of-two row pitch
//! all of them share one L1 set; 8 fit its ways). It replaced scalar copies in 128×32 tiles:
//! 35–42 → 27–29 ms on 4096×4096 f32. Blocking the columns as well (16, 64 or 256 at a time)
//! measured no faster.
//! 4-byte elements (f32, i32) transpose a tile in AVX registers with bitwise shuffles, so every
//! bit pattern (NaN payloads included) moves unchanged; other sizes move element by element in
//! the same order.

use crate::{Element, Layout};

/// Output rows per parallel task.
const TASK_ROWS: usize = 64;
/// The tile's side.
const TILE: usize = 8;

/// Writes `src[layout]` into `out` (row-major) when `layout` is a transposed 2-d matrix at least
/// 64×64; returns false (writing nothing) for any other layout.
pub(crate) fn transpose2d<T: Element>(out: &mut [T], src: &[T], layout: &Layout) -> bool {
    let (dims, st) = (layout.dims(), layout.strides());
    if dims.len() != 2 || st[0] != 1 || st[1] < dims[0] || dims[0] < 64 || dims[1] < 64 {
        return false;
    }
    let (rows, cols, ld, off) = (dims[0], dims[1], st[1], layout.offset());
    // The tile kernels index without bounds checks: the last element read must be in `src`.
    assert!(off + (rows - 1) + (cols - 1) * ld < src.len(), "transpose2d: layout outside its storage");
    assert_eq!(out.len(), rows * cols, "transpose2d: output of the wrong length");
    let task = |(i, chunk): (usize, &mut [T])| band_dispatch(chunk, src, off + i * TASK_ROWS, cols, ld);
    #[cfg(feature = "std")]
    {
        use rayon::prelude::*;
        out.par_chunks_mut(TASK_ROWS * cols).enumerate().for_each(task);
    }
    #[cfg(not(feature = "std"))]
    out.chunks_mut(TASK_ROWS * cols).enumerate().for_each(task);
    true
}

/// One band: `out` holds whole output rows, `out[r][c] = src[base + r + c * ld]`.
fn band_dispatch<T: Element>(out: &mut [T], src: &[T], base: usize, cols: usize, ld: usize) {
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    if size_of::<T>() == 4 && std::is_x86_feature_detected!("avx") {
        // SAFETY: the CPU has AVX (checked just above), the only requirement of `band_avx`,
        // whose body is safe code (its tiles' bounds were asserted by `transpose2d`).
        unsafe { band_avx(out, src, base, cols, ld) };
        return;
    }
    band::<T, false>(out, src, base, cols, ld)
}

#[cfg(all(feature = "std", target_arch = "x86_64"))]
#[target_feature(enable = "avx")]
fn band_avx<T: Element>(out: &mut [T], src: &[T], base: usize, cols: usize, ld: usize) {
    band::<T, true>(out, src, base, cols, ld)
}

/// The band 8 rows at a time in 8×8 tiles, then the columns and rows left over, one element at
/// a time. `AVX`: 4-byte elements and a CPU with AVX (see [`band_dispatch`]).
#[inline(always)]
fn band<T: Element, const AVX: bool>(out: &mut [T], src: &[T], base: usize, cols: usize, ld: usize) {
    let rows = out.len() / cols;
    let (full_rows, full_cols) = (rows - rows % TILE, cols - cols % TILE);
    for r in (0..full_rows).step_by(TILE) {
        for c in (0..full_cols).step_by(TILE) {
            let (s, d) = (base + r + c * ld, r * cols + c);
            #[cfg(all(feature = "std", target_arch = "x86_64"))]
            if AVX {
                // SAFETY: T is 4 bytes and plain data (every Element is), so its slots can be
                // moved as f32 bit patterns (shuffles never change bits); the tile's last
                // read, `s + 7 + 7 * ld`, is at most `base + (rows - 1) + (cols - 1) * ld`, in
                // `src` (asserted by `transpose2d`), and its last write, `d + 7 * cols + 7`,
                // is in `out` (`r + 7 < rows`, `c + 7 < cols`).
                unsafe { tile_avx(src.as_ptr().add(s).cast(), ld, out.as_mut_ptr().add(d).cast(), cols) };
                continue;
            }
            for i in 0..TILE {
                for j in 0..TILE {
                    out[d + j * cols + i] = src[s + j + i * ld];
                }
            }
        }
    }
    for rr in 0..rows {
        let from = if rr < full_rows { full_cols } else { 0 };
        for c in from..cols {
            out[rr * cols + c] = src[base + rr + c * ld];
        }
    }
}

/// An 8×8 tile: reads rows `src + i * ld` (8 elements each), writes their transpose to rows
/// `dst + j * pitch`.
///
/// # Safety
/// AVX is available; `src + i * ld + k` and `dst + j * pitch + k` are valid for `i, j, k < 8`.
#[cfg(all(feature = "std", target_arch = "x86_64"))]
#[target_feature(enable = "avx")]
#[inline]
unsafe fn tile_avx(src: *const f32, ld: usize, dst: *mut f32, pitch: usize) {
    use core::arch::x86_64::*;
    // SAFETY: the caller's contract (AVX, every address valid); unaligned loads and stores.
    unsafe {
        macro_rules! row {
            ($i:expr) => {
                _mm256_loadu_ps(src.add($i * ld))
            };
        }
        let (r0, r1, r2, r3, r4, r5, r6, r7) = (row!(0), row!(1), row!(2), row!(3), row!(4), row!(5), row!(6), row!(7));
        // Interleave pairs of rows, then pairs of pairs, then swap 128-bit halves.
        let (t0, t1) = (_mm256_unpacklo_ps(r0, r1), _mm256_unpackhi_ps(r0, r1));
        let (t2, t3) = (_mm256_unpacklo_ps(r2, r3), _mm256_unpackhi_ps(r2, r3));
        let (t4, t5) = (_mm256_unpacklo_ps(r4, r5), _mm256_unpackhi_ps(r4, r5));
        let (t6, t7) = (_mm256_unpacklo_ps(r6, r7), _mm256_unpackhi_ps(r6, r7));
        let (u0, u1) = (_mm256_shuffle_ps::<0x44>(t0, t2), _mm256_shuffle_ps::<0xEE>(t0, t2));
        let (u2, u3) = (_mm256_shuffle_ps::<0x44>(t1, t3), _mm256_shuffle_ps::<0xEE>(t1, t3));
        let (u4, u5) = (_mm256_shuffle_ps::<0x44>(t4, t6), _mm256_shuffle_ps::<0xEE>(t4, t6));
        let (u6, u7) = (_mm256_shuffle_ps::<0x44>(t5, t7), _mm256_shuffle_ps::<0xEE>(t5, t7));
        _mm256_storeu_ps(dst, _mm256_permute2f128_ps::<0x20>(u0, u4));
        _mm256_storeu_ps(dst.add(pitch), _mm256_permute2f128_ps::<0x20>(u1, u5));
        _mm256_storeu_ps(dst.add(2 * pitch), _mm256_permute2f128_ps::<0x20>(u2, u6));
        _mm256_storeu_ps(dst.add(3 * pitch), _mm256_permute2f128_ps::<0x20>(u3, u7));
        _mm256_storeu_ps(dst.add(4 * pitch), _mm256_permute2f128_ps::<0x31>(u0, u4));
        _mm256_storeu_ps(dst.add(5 * pitch), _mm256_permute2f128_ps::<0x31>(u1, u5));
        _mm256_storeu_ps(dst.add(6 * pitch), _mm256_permute2f128_ps::<0x31>(u2, u6));
        _mm256_storeu_ps(dst.add(7 * pitch), _mm256_permute2f128_ps::<0x31>(u3, u7));
    }
}
