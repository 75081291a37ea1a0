//! The building blocks of the CPU convolution: im2col / col2im over a band of output rows of one
//! image (the checked products they feed are `cpu/gemm.rs`).
//!
//! Column matrices here are `[c * kh * kw, rows * ow]`, row `(c * kh + ki) * kw + kj`, column
//! `(oh - oh0) * ow + ow`: exactly `F.unfold`'s layout when the band is the whole image.

use crate::backend::Conv2dGeometry;

/// Whether the f32 AVX-512 conv kernels (`lanes`, `direct_weight`) can run here.
pub(crate) fn has_avx512() -> bool {
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    return std::is_x86_feature_detected!("avx512f");
    #[allow(unreachable_code)]
    false
}

/// The outputs `o` in `0..n` whose input `o * s + off` lies in `0..len` (a contiguous range).
#[inline]
fn valid(n: usize, s: usize, off: isize, len: usize) -> (usize, usize) {
    let lo = if off >= 0 { 0 } else { (-off) as usize }.div_ceil(s);
    let hi = if off >= len as isize { 0 } else { ((len as isize - 1 - off) as usize) / s + 1 };
    let hi = hi.min(n);
    (lo.min(hi), hi)
}

/// `d.copy_from_slice(s)` for the short runs of im2col (one output row: 8 to a few dozen
/// elements), in fixed blocks of 8 the compiler copies inline: a call to `memcpy` per run cost
/// more than the copy (a quarter of im2col's time in LeNet's backward pass). The last block
/// overlaps the one before it instead of leaving a remainder.
#[inline(always)]
fn copy_run<T: Copy>(d: &mut [T], s: &[T]) {
    const B: usize = 8;
    let n = d.len();
    assert_eq!(n, s.len(), "copy_run: lengths differ");
    if n < B {
        for (a, &b) in d.iter_mut().zip(s) {
            *a = b;
        }
        return;
    }
    for i in (0..n - B).step_by(B) {
        let block: &[T; B] = s[i..i + B].try_into().expect("a block of B");
        d[i..i + B].copy_from_slice(block);
    }
    let last: &[T; B] = s[n - B..].try_into().expect("a block of B");
    d[n - B..].copy_from_slice(last);
}

/// Channels `c0..` of the image `x` (`[c, h, w]`) zero-padded into `pad`: planes of `hp` rows of
/// `wp` elements (as many planes as `pad` holds), the image at row `g.ph`, column `g.pw`.
/// Rows or columns past the padding (a kernel's wider tiles) are zero too.
pub(crate) fn pad_channels<T: Copy + Default>(
    x: &[T],
    g: &Conv2dGeometry,
    c0: usize,
    hp: usize,
    wp: usize,
    pad: &mut [T],
) {
    let plane = g.h * g.w;
    assert!(pad.len().is_multiple_of(hp * wp), "pad_channels: a buffer of whole planes");
    // Only the padding is cleared: the rows above and below the image, and each image row's
    // columns left and right of it (a fill of the whole buffer first wrote each element twice).
    let zero = T::default();
    for (c, dst) in pad.chunks_exact_mut(hp * wp).enumerate() {
        let src = &x[(c0 + c) * plane..(c0 + c + 1) * plane];
        dst[..g.ph * wp].fill(zero);
        dst[(g.ph + g.h) * wp..].fill(zero);
        for (ih, row) in src.chunks_exact(g.w).enumerate() {
            let line = &mut dst[(ih + g.ph) * wp..(ih + g.ph + 1) * wp];
            line[..g.pw].fill(zero);
            line[g.pw..g.pw + g.w].copy_from_slice(row);
            line[g.pw + g.w..].fill(zero);
        }
    }
}

/// Fills `cols` (`[c * kh * kw, (oh1 - oh0) * ow]`) from the image `x` (`[c, h, w]`) for the
/// output rows `oh0..oh1`; padding reads as zero.
///
/// Each column row (one channel and tap) is a block of output rows: the runs of rows that fall
/// on vertical padding are zeroed in one fill each, and every other row copies its valid span
/// (the same columns for the whole block), zeroing only the few columns on horizontal padding.
pub(crate) fn im2col<T: Copy + Default>(x: &[T], g: &Conv2dGeometry, oh0: usize, oh1: usize, cols: &mut [T]) {
    let (rows, ow) = (oh1 - oh0, g.ow);
    let nb = rows * ow;
    if nb == 0 {
        return;
    }
    let plane = g.h * g.w;
    for (r, dst) in cols.chunks_exact_mut(nb).take(g.c * g.taps()).enumerate() {
        let (c, ki, kj) = (r / g.taps(), (r / g.kw) % g.kh, r % g.kw);
        let off_w = (kj * g.dw) as isize - g.pw as isize;
        let (lo, hi) = valid(ow, g.sw, off_w, g.w);
        // The band's rows whose input row is inside the image.
        let off_h = (oh0 * g.sh + ki * g.dh) as isize - g.ph as isize;
        let (i0, i1) = if lo < hi { valid(rows, g.sh, off_h, g.h) } else { (0, 0) };
        dst[..i0 * ow].fill(T::default());
        dst[i1 * ow..].fill(T::default());
        let src_plane = &x[c * plane..(c + 1) * plane];
        let start = ((lo * g.sw) as isize + off_w) as usize;
        for (i, d) in dst[i0 * ow..i1 * ow].chunks_exact_mut(ow).enumerate() {
            let ih = ((i0 + i) * g.sh) as isize + off_h;
            let src = &src_plane[ih as usize * g.w + start..];
            let (head, rest) = d.split_at_mut(lo);
            let (body, tail) = rest.split_at_mut(hi - lo);
            for v in head.iter_mut().chain(tail) {
                *v = T::default();
            }
            if g.sw == 1 {
                copy_run(body, &src[..hi - lo]);
            } else {
                for (o, v) in body.iter_mut().enumerate() {
                    *v = src[o * g.sw];
                }
            }
        }
    }
}

/// The adjoint of [`im2col`]: adds `cols` (`[c * kh * kw, (oh1 - oh0) * ow]`) into the image
/// `x` (`[c, h, w]`); entries that fall on padding are dropped.
pub(crate) fn col2im<T: Copy + core::ops::AddAssign>(
    cols: &[T],
    g: &Conv2dGeometry,
    oh0: usize,
    oh1: usize,
    x: &mut [T],
) {
    let nb = (oh1 - oh0) * g.ow;
    if nb == 0 {
        return;
    }
    let plane = g.h * g.w;
    for (r, src) in cols.chunks_exact(nb).take(g.c * g.taps()).enumerate() {
        let (c, ki, kj) = (r / g.taps(), (r / g.kw) % g.kh, r % g.kw);
        let off_w = (kj * g.dw) as isize - g.pw as isize;
        let (lo, hi) = valid(g.ow, g.sw, off_w, g.w);
        if lo == hi {
            continue;
        }
        let dst_plane = &mut x[c * plane..(c + 1) * plane];
        for (i, s) in src.chunks_exact(g.ow).enumerate() {
            let ih = ((oh0 + i) * g.sh + ki * g.dh) as isize - g.ph as isize;
            if ih < 0 || ih >= g.h as isize {
                continue;
            }
            let d = &mut dst_plane[ih as usize * g.w..(ih as usize + 1) * g.w];
            let start = ((lo * g.sw) as isize + off_w) as usize;
            if g.sw == 1 {
                for (v, &a) in d[start..start + (hi - lo)].iter_mut().zip(&s[lo..hi]) {
                    *v += a;
                }
            } else {
                for (o, &a) in s[lo..hi].iter().enumerate() {
                    d[start + o * g.sw] += a;
                }
            }
        }
    }
}

pub(crate) use crate::cpu::gemm::{gemm, GemmElem as ConvElem, Mat};
