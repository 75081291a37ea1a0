//! Direct convolution for stride 1 when im2col + gemm would be mostly overhead: few output
//! channels per group (LeNet's first layer, depthwise convs, the input gradient of a layer with
//! one input channel) or a very short contraction. Each group's input channels are copied once
//! into a zero-padded buffer; every output row is then a sum of shifted rows of it, computed in
//! register tiles of up to 8 output channels x [`LANES`] pixels. The tile loop is compiled twice:
//! for AVX2 + FMA (chosen at run time) and for the baseline target.

use super::im2col::{ConvElem, Geo};
use alloc::vec::Vec;

/// Pixels per register tile (one AVX2 vector of f32).
const LANES: usize = 8;

/// Whether the direct kernel should compute this convolution (`og` output and `cg` input
/// channels per group).
pub(crate) fn applies(g: &Geo, og: usize, cg: usize) -> bool {
    g.sh == 1 && g.sw == 1 && !g.is_pointwise() && (og <= 8 || cg * g.taps() <= 32)
}

/// The padded buffer of one group: `cg` planes of `hp` rows of `wp` elements, wide enough that
/// every tile reads inside it.
#[derive(Debug, Clone, Copy)]
struct Pad {
    cg: usize,
    hp: usize,
    wp: usize,
}

impl Pad {
    fn new(g: &Geo, cg: usize) -> Self {
        let tiles = g.ow.div_ceil(LANES) * LANES;
        Pad { cg, hp: g.h + 2 * g.ph, wp: (g.w + 2 * g.pw).max(tiles + (g.kw - 1) * g.dw) }
    }
}

/// `OB` output channels x `LANES` pixels of output row `oh` from column `ow0`.
#[inline(always)]
fn tile<T: ConvElem, const OB: usize, const FMA: bool>(
    pad: &[T],
    p: &Pad,
    g: &Geo,
    w: &[T],
    kk: usize,
    oh: usize,
    ow0: usize,
) -> [[T; LANES]; OB] {
    let mut acc = [[T::zero(); LANES]; OB];
    let w = &w[..OB * kk];
    for c in 0..p.cg {
        for ki in 0..g.kh {
            let base = (c * p.hp + oh + ki * g.dh) * p.wp + ow0;
            let row = &pad[base..base + (g.kw - 1) * g.dw + LANES];
            for kj in 0..g.kw {
                let xs: &[T; LANES] = row[kj * g.dw..kj * g.dw + LANES].try_into().expect("tile width");
                let t = (c * g.kh + ki) * g.kw + kj;
                for (o, a) in acc.iter_mut().enumerate() {
                    let wv = w[o * kk + t];
                    for (a, &x) in a.iter_mut().zip(xs) {
                        *a = if FMA { x.mul_add(wv, *a) } else { *a + x * wv };
                    }
                }
            }
        }
    }
    acc
}

/// Output channels `o0..o0 + OB` of group `gi` (`out` is the image's `[o, oh * ow]`).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn rows<T: ConvElem, const OB: usize, const FMA: bool>(
    pad: &[T],
    p: &Pad,
    g: &Geo,
    w: &[T],
    kk: usize,
    out: &mut [T],
    o0: usize,
) {
    let l = g.positions();
    for oh in 0..g.oh {
        for ow0 in (0..g.ow).step_by(LANES) {
            let acc = tile::<T, OB, FMA>(pad, p, g, &w[o0 * kk..], kk, oh, ow0);
            let n = LANES.min(g.ow - ow0);
            for (o, a) in acc.iter().enumerate() {
                let at = (o0 + o) * l + oh * g.ow + ow0;
                out[at..at + n].copy_from_slice(&a[..n]);
            }
        }
    }
}

#[inline(always)]
fn image<T: ConvElem, const FMA: bool>(x: &[T], w: &[T], out: &mut [T], g: &Geo, groups: usize, buf: &mut Vec<T>) {
    let l = g.positions();
    let (og, cg) = (out.len() / l / groups, g.c / groups);
    let kk = cg * g.taps();
    let p = Pad::new(g, cg);
    let plane = g.h * g.w;
    for gi in 0..groups {
        let len = cg * p.hp * p.wp;
        if buf.len() < len {
            buf.resize(len, T::zero());
        }
        let pad = &mut buf[..len];
        pad.fill(T::zero());
        for c in 0..cg {
            let src = &x[(gi * cg + c) * plane..(gi * cg + c + 1) * plane];
            for (ih, s) in src.chunks_exact(g.w).enumerate() {
                let at = (c * p.hp + ih + g.ph) * p.wp + g.pw;
                pad[at..at + g.w].copy_from_slice(s);
            }
        }
        let pad = &buf[..len];
        let (wg, og_out) = (&w[gi * og * kk..(gi + 1) * og * kk], &mut out[gi * og * l..(gi + 1) * og * l]);
        let mut o = 0;
        while o < og {
            match og - o {
                8.. => rows::<T, 8, FMA>(pad, &p, g, wg, kk, og_out, o),
                4..=7 => rows::<T, 4, FMA>(pad, &p, g, wg, kk, og_out, o),
                2..=3 => rows::<T, 2, FMA>(pad, &p, g, wg, kk, og_out, o),
                _ => rows::<T, 1, FMA>(pad, &p, g, wg, kk, og_out, o),
            }
            o += match og - o {
                8.. => 8,
                4..=7 => 4,
                2..=3 => 2,
                _ => 1,
            };
        }
    }
}

#[cfg(all(feature = "std", any(target_arch = "x86", target_arch = "x86_64")))]
#[target_feature(enable = "avx2,fma")]
fn image_avx2_fma<T: ConvElem>(x: &[T], w: &[T], out: &mut [T], g: &Geo, groups: usize, buf: &mut Vec<T>) {
    image::<T, true>(x, w, out, g, groups, buf)
}

/// One image's convolution: `x` is `[c, h, w]`, `w` is `[o, c / groups, kh, kw]`, `out` is
/// `[o, oh * ow]` (every element written); `buf` is scratch.
pub(crate) fn forward_image<T: ConvElem>(x: &[T], w: &[T], out: &mut [T], g: &Geo, groups: usize, buf: &mut Vec<T>) {
    if g.positions() == 0 {
        return;
    }
    #[cfg(all(feature = "std", any(target_arch = "x86", target_arch = "x86_64")))]
    if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU has AVX2 and FMA (checked just above), the only requirement of
        // `image_avx2_fma`, whose body is safe code.
        unsafe { image_avx2_fma(x, w, out, g, groups, buf) };
        return;
    }
    image::<T, false>(x, w, out, g, groups, buf)
}
