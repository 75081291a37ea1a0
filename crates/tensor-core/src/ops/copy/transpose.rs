//! `x.t().contiguous()` on the CPU: a 2-d layout whose first dim is the dense one, copied out
//! row-major.
//!
//! The output is cut into bands of [`TASK_ROWS`] rows (one parallel task each). A band is walked
//! in square tiles, column blocks outer and the band's rows inner, so that each group of source
//! rows is read once per band, all [`TASK_ROWS`] of its elements together (a few whole cache
//! lines in one page), before the walk moves on. The other order (rows outer) came back to the
//! same source rows once per tile row, 8 times per band, with every source row in a different
//! page: 32 → 17 ms on 4096×4096 f32 on two threads in a standalone probe.
//!
//! 4-byte elements (f32, i32) transpose a tile in vector registers with bitwise shuffles, so
//! every bit pattern (NaN payloads included) moves unchanged: 16×16 tiles with AVX-512 (a tile
//! reads and writes 16 whole cache lines), 8×8 with AVX. Outputs too large for the cache are
//! written with streaming stores when AVX-512 is there (15.6 → 13.4 ms in the probe): they skip
//! reading each output line before overwriting it. Other element sizes move one at a time in
//! the same order. `transpose_contiguous` in `bench` (4096² f32): 27–29 → 16–19 ms.

use crate::{Element, Layout};

/// Output rows per parallel task.
const TASK_ROWS: usize = 64;
/// Outputs of at least this many bytes are written with streaming stores (where the CPU has
/// them): more than the last-level cache holds, so caching them would only evict the source.
#[cfg_attr(not(all(feature = "std", target_arch = "x86_64")), allow(dead_code))]
const STREAM_BYTES: usize = 32 << 20;

/// How the tiles are copied.
// Without std or off x86_64 only the scalar path exists.
#[cfg_attr(not(all(feature = "std", target_arch = "x86_64")), allow(dead_code))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Path {
    /// Element by element, in 8×8 tiles.
    Scalar,
    /// 8×8 tiles of 4-byte elements in AVX registers.
    Avx,
    /// 16×16 tiles of 4-byte elements in AVX-512 registers, with streaming stores or not.
    Avx512 { stream: bool },
}

impl Path {
    /// The fastest path this CPU has for `T`; streaming stores for outputs of `out_bytes`
    /// bytes if that is at least [`STREAM_BYTES`].
    fn best<T>(out_bytes: usize) -> Path {
        #[cfg(all(feature = "std", target_arch = "x86_64"))]
        if size_of::<T>() == 4 {
            if std::is_x86_feature_detected!("avx512f") {
                return Path::Avx512 { stream: out_bytes >= STREAM_BYTES };
            }
            if std::is_x86_feature_detected!("avx") {
                return Path::Avx;
            }
        }
        let _ = out_bytes;
        Path::Scalar
    }
}

/// Writes `src[layout]` into `out` (row-major) when `layout` is a transposed 2-d matrix at least
/// 64×64; returns false (writing nothing) for any other layout.
pub(crate) fn transpose2d<T: Element>(out: &mut [T], src: &[T], layout: &Layout) -> bool {
    transpose2d_with(out, src, layout, Path::best::<T>(core::mem::size_of_val(out)))
}

/// [`transpose2d`] along `path`, which must be one the CPU has (see [`Path::best`]).
fn transpose2d_with<T: Element>(out: &mut [T], src: &[T], layout: &Layout, path: Path) -> bool {
    let (dims, st) = (layout.dims(), layout.strides());
    if dims.len() != 2 || st[0] != 1 || st[1] < dims[0] || dims[0] < 64 || dims[1] < 64 {
        return false;
    }
    let (rows, cols, ld, off) = (dims[0], dims[1], st[1], layout.offset());
    // The tile kernels index without bounds checks: the last element read must be in `src`.
    assert!(off + (rows - 1) + (cols - 1) * ld < src.len(), "transpose2d: layout outside its storage");
    assert_eq!(out.len(), rows * cols, "transpose2d: output of the wrong length");
    let task = |(i, chunk): (usize, &mut [T])| band_dispatch(chunk, src, off + i * TASK_ROWS, cols, ld, path);
    #[cfg(feature = "std")]
    {
        use rayon::prelude::*;
        crate::grad_mode::suspended(|| out.par_chunks_mut(TASK_ROWS * cols).enumerate().for_each(task));
    }
    #[cfg(not(feature = "std"))]
    out.chunks_mut(TASK_ROWS * cols).enumerate().for_each(task);
    true
}

/// Small f32 matrices: `dst[j * pitch + i] = src[i * ld + j]` for `i < rows`, `j < cols`, in
/// 16×16 register tiles where the CPU has AVX-512 (the rest one element at a time). For the
/// conv kernels' per-image packing, where a whole parallel band would be overhead.
pub(crate) fn transpose_f32(src: &[f32], ld: usize, rows: usize, cols: usize, dst: &mut [f32], pitch: usize) {
    if rows == 0 || cols == 0 {
        return;
    }
    assert!(
        cols <= ld && rows <= pitch && (rows - 1) * ld + cols <= src.len() && (cols - 1) * pitch + rows <= dst.len(),
        "transpose_f32: {rows}x{cols} (ld {ld}, pitch {pitch}) outside its buffers ({} and {})",
        src.len(),
        dst.len()
    );
    let (full_rows, full_cols) = transpose_tiles16(src, ld, rows, cols, dst, pitch);
    for i in 0..rows {
        let from = if i < full_rows { full_cols } else { 0 };
        for j in from..cols {
            dst[j * pitch + i] = src[i * ld + j];
        }
    }
}

/// The whole 16×16 tiles of [`transpose_f32`] (after its bounds check), where the CPU has
/// AVX-512: returns how many rows and columns they covered (none elsewhere).
fn transpose_tiles16(
    src: &[f32],
    ld: usize,
    rows: usize,
    cols: usize,
    dst: &mut [f32],
    pitch: usize,
) -> (usize, usize) {
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    if std::is_x86_feature_detected!("avx512f") {
        let (full_rows, full_cols) = (rows / 16 * 16, cols / 16 * 16);
        for i in (0..full_rows).step_by(16) {
            for j in (0..full_cols).step_by(16) {
                // SAFETY: the CPU has AVX-512F (checked above); the tile reads `src[(i + a) * ld
                // + j + b]` and writes `dst[(j + b) * pitch + i + a]` for `a, b < 16`, inside
                // the buffers by `transpose_f32`'s assertion.
                unsafe {
                    tile16_avx512::<false>(src.as_ptr().add(i * ld + j), ld, dst.as_mut_ptr().add(j * pitch + i), pitch)
                }
            }
        }
        return (full_rows, full_cols);
    }
    let _ = (src, ld, rows, cols, dst, pitch);
    (0, 0)
}

/// One band: `out` holds whole output rows, `out[r][c] = src[base + r + c * ld]`.
fn band_dispatch<T: Element>(out: &mut [T], src: &[T], base: usize, cols: usize, ld: usize, path: Path) {
    match path {
        #[cfg(all(feature = "std", target_arch = "x86_64"))]
        Path::Avx512 { stream } => {
            assert!(
                size_of::<T>() == 4 && std::is_x86_feature_detected!("avx512f"),
                "transpose2d: no AVX-512 path for this"
            );
            // Streaming stores need 64-byte aligned rows: a row pitch of whole lines, and tiles
            // that start where the first row's address is aligned (the columns before it are
            // copied one by one).
            let head = (64 - out.as_ptr() as usize % 64) % 64 / 4;
            // SAFETY: T is 4 bytes and the CPU has AVX-512F (both asserted just above), the
            // requirements of `band_avx512`; streaming tiles start at column `head`, where the
            // rows (of a pitch of whole lines) are 64-byte aligned.
            unsafe {
                match stream && cols.is_multiple_of(16) {
                    true => band_avx512::<T, true>(out, src, base, cols, ld, head),
                    false => band_avx512::<T, false>(out, src, base, cols, ld, 0),
                }
            }
        }
        #[cfg(all(feature = "std", target_arch = "x86_64"))]
        Path::Avx => {
            assert!(size_of::<T>() == 4 && std::is_x86_feature_detected!("avx"), "transpose2d: no AVX path for this");
            // SAFETY: as above, for AVX and `band_avx`.
            unsafe { band_avx(out, src, base, cols, ld) }
        }
        _ => band(out, src, base, cols, ld, 8, 0, |out, src, s, d| {
            for i in 0..8 {
                for j in 0..8 {
                    out[d + j * cols + i] = src[s + j + i * ld];
                }
            }
        }),
    }
}

/// # Safety
/// `T` is 4 bytes; the CPU has AVX.
#[cfg(all(feature = "std", target_arch = "x86_64"))]
#[target_feature(enable = "avx")]
unsafe fn band_avx<T: Element>(out: &mut [T], src: &[T], base: usize, cols: usize, ld: usize) {
    band(out, src, base, cols, ld, 8, 0, |out, src, s, d| {
        // SAFETY: T is 4 bytes (the caller's contract) and plain data (every Element is), so
        // its slots can be moved as f32 bit patterns (shuffles never change bits); `band`
        // passes only whole tiles, whose last read and write are in bounds (see `band`); the
        // CPU has AVX (the caller's contract).
        unsafe { tile8_avx(src.as_ptr().add(s).cast(), ld, out.as_mut_ptr().add(d).cast(), cols) }
    })
}

#[cfg(all(feature = "std", target_arch = "x86_64"))]
/// # Safety
/// `T` is 4 bytes; the CPU has AVX-512F; if `STREAM`, `cols` is a multiple of 16 and the rows
/// of `out` are 64-byte aligned from column `head` on.
#[target_feature(enable = "avx512f")]
unsafe fn band_avx512<T: Element, const STREAM: bool>(
    out: &mut [T],
    src: &[T],
    base: usize,
    cols: usize,
    ld: usize,
    head: usize,
) {
    band(out, src, base, cols, ld, 16, head, |out, src, s, d| {
        // SAFETY: as in `band_avx`, with 16×16 tiles and AVX-512F; when STREAM, `d` is a
        // multiple of 16 columns from the aligned column `head` (the caller's contract), so
        // every row the tile writes starts 64-byte aligned.
        unsafe { tile16_avx512::<STREAM>(src.as_ptr().add(s).cast(), ld, out.as_mut_ptr().add(d).cast(), cols) }
    });
    if STREAM {
        // The streaming stores are weakly ordered: fence them before whatever the caller does
        // next (a safe intrinsic inside this target_feature function).
        core::arch::x86_64::_mm_sfence();
    }
}

/// Walks the band in `side`×`side` tiles starting at column `c0`: column blocks outer, rows
/// inner; `tile(out, src, s, d)` copies the tile whose source starts at `src[s]` and output at
/// `out[d]`. Every tile lies inside the band: its last read `s + (side - 1) * (1 + ld)` is at
/// most `base + (rows - 1) + (cols - 1) * ld`, and its last write `d + (side - 1) * (cols + 1)`
/// is in `out`. The columns before `c0` and after the last whole tile, and the rows after the
/// last whole tile, are then copied one element at a time.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn band<T: Element>(
    out: &mut [T],
    src: &[T],
    base: usize,
    cols: usize,
    ld: usize,
    side: usize,
    c0: usize,
    mut tile: impl FnMut(&mut [T], &[T], usize, usize),
) {
    let rows = out.len() / cols;
    let c0 = c0.min(cols);
    let (full_rows, full_cols) = (rows - rows % side, c0 + (cols - c0) / side * side);
    for c in (c0..full_cols).step_by(side) {
        for r in (0..full_rows).step_by(side) {
            tile(out, src, base + r + c * ld, r * cols + c);
        }
    }
    for r in 0..rows {
        let row = &mut out[r * cols..(r + 1) * cols];
        let mut copy = |c: usize| row[c] = src[base + r + c * ld];
        if r < full_rows {
            (0..c0).chain(full_cols..cols).for_each(&mut copy);
        } else {
            (0..cols).for_each(&mut copy);
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
unsafe fn tile8_avx(src: *const f32, ld: usize, dst: *mut f32, pitch: usize) {
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

/// A 16×16 tile: reads rows `src + i * ld` (16 elements each), writes their transpose to rows
/// `dst + j * pitch`, with streaming stores when `STREAM`.
///
/// # Safety
/// AVX-512F is available; `src + i * ld + k` and `dst + j * pitch + k` are valid for
/// `i, j, k < 16`; when `STREAM`, every `dst + j * pitch` is 64-byte aligned.
#[cfg(all(feature = "std", target_arch = "x86_64"))]
#[target_feature(enable = "avx512f")]
#[inline]
unsafe fn tile16_avx512<const STREAM: bool>(src: *const f32, ld: usize, dst: *mut f32, pitch: usize) {
    use core::arch::x86_64::*;
    let (lo64, hi64) = (
        |a: __m512, b: __m512| _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(a), _mm512_castps_pd(b))),
        |a: __m512, b: __m512| _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(a), _mm512_castps_pd(b))),
    );
    // SAFETY: the caller's contract (AVX-512F, every address valid, aligned when streaming).
    unsafe {
        let r: [__m512; 16] = core::array::from_fn(|i| _mm512_loadu_ps(src.add(i * ld)));
        // Within each 128-bit lane: interleave pairs of rows, then pairs of pairs, so that
        // u[4i + k] holds, in lane L, column 4L + k of rows 4i..4i + 4.
        let t: [__m512; 16] = core::array::from_fn(|i| match i % 2 {
            0 => _mm512_unpacklo_ps(r[i], r[i + 1]),
            _ => _mm512_unpackhi_ps(r[i - 1], r[i]),
        });
        let u: [__m512; 16] = core::array::from_fn(|i| {
            let (g, k) = (i / 4 * 4, i % 4);
            let (a, b) = (t[g + k / 2], t[g + 2 + k / 2]);
            if k % 2 == 0 {
                lo64(a, b)
            } else {
                hi64(a, b)
            }
        });
        // Then gather the four 128-bit lanes of each column from four registers in two steps.
        let v: [__m512; 16] = core::array::from_fn(|i| {
            let (q, k) = (i / 4, i % 4);
            let (a, b) = (u[(q / 2) * 8 + k], u[(q / 2) * 8 + 4 + k]);
            if q % 2 == 0 {
                _mm512_shuffle_f32x4::<0x88>(a, b)
            } else {
                _mm512_shuffle_f32x4::<0xDD>(a, b)
            }
        });
        for k in 0..4 {
            for half in [0, 4] {
                let (a, b) = (v[half + k], v[8 + half + k]);
                let (lo, hi) = (_mm512_shuffle_f32x4::<0x88>(a, b), _mm512_shuffle_f32x4::<0xDD>(a, b));
                let (c0, c1) = (half + k, 8 + half + k);
                if STREAM {
                    _mm512_stream_ps(dst.add(c0 * pitch), lo);
                    _mm512_stream_ps(dst.add(c1 * pitch), hi);
                } else {
                    _mm512_storeu_ps(dst.add(c0 * pitch), lo);
                    _mm512_storeu_ps(dst.add(c1 * pitch), hi);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    /// Every path this CPU has (AVX-512 tiles with and without streaming stores, from every
    /// alignment of the output; AVX; scalar tiles and leftovers) against the definition, bit for
    /// bit, on f32 bit patterns that include NaN payloads, from a source with a row pitch wider
    /// than its rows and an offset.
    #[test]
    fn every_path_matches_the_definition_at_every_alignment() {
        let mut paths = alloc::vec![Path::Scalar];
        #[cfg(all(feature = "std", target_arch = "x86_64"))]
        {
            if std::is_x86_feature_detected!("avx") {
                paths.push(Path::Avx);
            }
            if std::is_x86_feature_detected!("avx512f") {
                paths.extend([Path::Avx512 { stream: false }, Path::Avx512 { stream: true }]);
            }
        }
        for (rows, cols, pad) in [(64, 64, 0), (80, 96, 3), (130, 77, 1), (64, 160, 5)] {
            let ld = rows + 2 + pad;
            let bits = |i: usize| (0x7fc0_0000u32 ^ (i as u32).wrapping_mul(2_654_435_761)) as i32;
            let src: Vec<i32> = (0..ld * cols + 7).map(bits).collect();
            let layout = Layout::contiguous([cols, ld]).narrow(1, 2, rows).unwrap().transpose(0, 1).unwrap();
            for &path in &paths {
                for shift in 0..16 {
                    let mut store = alloc::vec![0i32; rows * cols + 16];
                    let out = &mut store[shift..shift + rows * cols];
                    assert!(transpose2d_with(out, &src, &layout, path));
                    for r in 0..rows {
                        for c in 0..cols {
                            let at = (r, c, shift, path);
                            assert_eq!(out[r * cols + c], src[2 + r + c * ld], "{rows}x{cols} at {at:?}");
                        }
                    }
                }
            }
        }
    }

    /// The small-matrix transpose (16×16 register tiles and the elements around them) against
    /// the definition, with pitches wider than the rows, leaving the rest of `dst` alone.
    #[test]
    fn transpose_f32_matches_the_definition() {
        for (rows, cols) in [(1, 1), (3, 40), (16, 16), (16, 100), (13, 100), (33, 17), (40, 48)] {
            let (ld, pitch) = (cols + 3, rows + 5);
            let src: Vec<f32> = (0..rows * ld).map(|i| i as f32 * 0.5 - 7.0).collect();
            let mut dst = alloc::vec![-1.0f32; cols * pitch];
            transpose_f32(&src, ld, rows, cols, &mut dst, pitch);
            for j in 0..cols {
                for i in 0..pitch {
                    let want = if i < rows { src[i * ld + j] } else { -1.0 };
                    assert_eq!(dst[j * pitch + i], want, "{rows}x{cols} at ({i}, {j})");
                }
            }
        }
    }
}
