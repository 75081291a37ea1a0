//! Direct convolution for stride 1 when im2col + gemm would be mostly overhead: few output
//! channels per group (LeNet's first layer, depthwise convs, the input gradient of a layer with
//! one input channel) or a very short contraction. Each group's input channels are copied once
//! into a zero-padded buffer; every output row is then a sum of shifted rows of it, computed in
//! register tiles of output channels x rows x `L` pixels (one vector). The tile loop is compiled
//! three times: for AVX-512 with 16 pixels per tile, for AVX2 + FMA with 8 (chosen at run time),
//! and for the baseline target with 8.

use super::im2col::{pad_channels, ConvElem};
use crate::backend::Conv2dGeometry;
use alloc::vec::Vec;

/// Pixels per register tile without AVX-512 (one AVX2 vector of f32).
const LANES: usize = 8;
/// Pixels per register tile with AVX-512.
#[cfg(all(feature = "std", any(target_arch = "x86", target_arch = "x86_64")))]
const WIDE: usize = 16;

/// Whether the direct kernel should compute this convolution (`og` output and `cg` input
/// channels per group).
pub(crate) fn applies(g: &Conv2dGeometry, og: usize, cg: usize) -> bool {
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
    /// For tiles of `lanes` pixels.
    fn new(g: &Conv2dGeometry, cg: usize, lanes: usize) -> Self {
        let tiles = g.ow.div_ceil(lanes) * lanes;
        Pad { cg, hp: g.h + 2 * g.ph, wp: (g.w + 2 * g.pw).max(tiles + (g.kw - 1) * g.dw) }
    }
}

/// `OB` output channels x `R` output rows (from `oh`) x `L` pixels (from `ow0`); `wp` holds
/// the block's weights tap-major (`[kk][OB]`). `OB * R` independent accumulators hide the FMA
/// latency.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn tile<T: ConvElem, const OB: usize, const R: usize, const L: usize, const FMA: bool>(
    pad: &[T],
    p: &Pad,
    g: &Conv2dGeometry,
    wp: &[T],
    oh: usize,
    ow0: usize,
) -> [[[T; L]; R]; OB] {
    let mut acc = [[[T::zero(); L]; R]; OB];
    let span = (g.kw - 1) * g.dw + L;
    let zero = [T::zero(); L];
    for c in 0..p.cg {
        for ki in 0..g.kh {
            let mut rows: [&[T]; R] = [&[]; R];
            for (r, row) in rows.iter_mut().enumerate() {
                let base = (c * p.hp + oh + r + ki * g.dh) * p.wp + ow0;
                *row = &pad[base..base + span];
            }
            let taps = &wp[(c * g.kh + ki) * g.kw * OB..(c * g.kh + ki + 1) * g.kw * OB];
            for (kj, wv) in taps.chunks_exact(OB).enumerate() {
                let mut xs: [&[T; L]; R] = [&zero; R];
                for (x, row) in xs.iter_mut().zip(&rows) {
                    *x = row[kj * g.dw..kj * g.dw + L].try_into().expect("tile width");
                }
                // One weight at a time, applied to every row: OB * R accumulators, R inputs and
                // one broadcast weight live in registers.
                for (acc_o, &w) in acc.iter_mut().zip(wv) {
                    for (acc_r, x) in acc_o.iter_mut().zip(&xs) {
                        for (a, &x) in acc_r.iter_mut().zip(x.iter()) {
                            *a = if FMA { x.mul_add(w, *a) } else { *a + x * w };
                        }
                    }
                }
            }
        }
    }
    acc
}

/// Output channels `o0..o0 + OB` of one group (`out` is the group's `[og, oh * ow]`), in tiles
/// of `R` rows; the last tile is moved up to end at the last row (recomputing a few rows).
#[inline(always)]
fn rows<T: ConvElem, const OB: usize, const R: usize, const L: usize, const FMA: bool>(
    pad: &[T],
    p: &Pad,
    g: &Conv2dGeometry,
    wp: &[T],
    out: &mut [T],
    o0: usize,
) {
    let l = g.positions();
    let mut store = |oh: usize, ow0: usize, r: usize, a: &[T; L], o: usize| {
        let at = (o0 + o) * l + (oh + r) * g.ow + ow0;
        if ow0 + L <= g.ow {
            // A whole tile: a fixed-size copy, which compiles to vector stores.
            let dst: &mut [T; L] = (&mut out[at..at + L]).try_into().expect("tile width");
            *dst = *a;
        } else {
            for (d, &v) in out[at..at + g.ow - ow0].iter_mut().zip(a) {
                *d = v;
            }
        }
    };
    if g.oh < R {
        for oh in 0..g.oh {
            for ow0 in (0..g.ow).step_by(L) {
                let acc = tile::<T, OB, 1, L, FMA>(pad, p, g, wp, oh, ow0);
                (0..OB).for_each(|o| store(oh, ow0, 0, &acc[o][0], o));
            }
        }
        return;
    }
    for oh in (0..g.oh).step_by(R) {
        let oh = oh.min(g.oh - R);
        for ow0 in (0..g.ow).step_by(L) {
            let acc = tile::<T, OB, R, L, FMA>(pad, p, g, wp, oh, ow0);
            for (o, a) in acc.iter().enumerate() {
                a.iter().enumerate().for_each(|(r, a)| store(oh, ow0, r, a, o));
            }
        }
    }
}

/// f32 tiles in AVX-512 registers, written with intrinsics: with more rows per tile than the
/// generic loop can hold (24 sums: 6 channels × 4 rows, 8 × 3, 4 × 6), each broadcast weight
/// feeds more multiply-adds. In a standalone probe of LeNet conv2's input gradient, 6 × 4 ran
/// 3.6 multiply-adds per ns against 2.3 for the generic 6 × 2 tile; the loads, not the FMAs,
/// bound both.
#[cfg(all(feature = "std", target_arch = "x86_64"))]
mod avx512 {
    use super::{Conv2dGeometry, Pad, WIDE};
    use core::arch::x86_64::*;

    /// As [`super::rows`] for f32, `OB` channels × `R` rows × 16 pixels; the last row tile
    /// moves up to end at the last row, the last column tile is masked. Returns true.
    ///
    /// # Safety
    /// AVX-512F is available.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn rows<const OB: usize, const R: usize>(
        pad: &[f32],
        p: &Pad,
        g: &Conv2dGeometry,
        wp: &[f32],
        out: &mut [f32],
        o0: usize,
    ) -> bool {
        let l = g.positions();
        assert!(g.oh >= R && wp.len() >= p.cg * g.taps() * OB, "conv2d: a direct tile larger than its input");
        for oh in (0..g.oh).step_by(R) {
            let oh = oh.min(g.oh - R);
            for ow0 in (0..g.ow).step_by(WIDE) {
                // The tile's last read (last channel, row and tap) ends inside the pad, which
                // `Pad::new` made wide enough for whole tiles.
                let last = ((p.cg - 1) * p.hp + oh + R - 1 + (g.kh - 1) * g.dh) * p.wp + ow0 + (g.kw - 1) * g.dw;
                assert!(last + WIDE <= pad.len(), "conv2d: a direct tile outside its padded input");
                let mut acc = [[_mm512_setzero_ps(); R]; OB];
                let mut w = wp.as_ptr();
                for c in 0..p.cg {
                    for ki in 0..g.kh {
                        // SAFETY: every load below is at most `last`, checked above; the weights
                        // are `cg * kh * kw` groups of OB, checked above.
                        unsafe {
                            let row = pad.as_ptr().add((c * p.hp + oh + ki * g.dh) * p.wp + ow0);
                            for kj in 0..g.kw {
                                let xs: [__m512; R] =
                                    core::array::from_fn(|r| _mm512_loadu_ps(row.add(r * p.wp + kj * g.dw)));
                                for acc in acc.iter_mut() {
                                    let wv = _mm512_set1_ps(*w);
                                    w = w.add(1);
                                    for (a, x) in acc.iter_mut().zip(&xs) {
                                        *a = _mm512_fmadd_ps(*x, wv, *a);
                                    }
                                }
                            }
                        }
                    }
                }
                let n = (g.ow - ow0).min(WIDE);
                let mask: __mmask16 = if n == WIDE { !0 } else { (1 << n) - 1 };
                for (o, acc) in acc.iter().enumerate() {
                    for (r, a) in acc.iter().enumerate() {
                        let at = (o0 + o) * l + (oh + r) * g.ow + ow0;
                        let dst = &mut out[at..at + n];
                        // SAFETY: the mask writes the first `n` floats, the length of `dst`.
                        unsafe { _mm512_mask_storeu_ps(dst.as_mut_ptr(), mask, *a) };
                    }
                }
            }
        }
        true
    }
}

/// The blocks of output channels the tiles take, as `(first, count)`: as many of 8 as fit, then
/// one of 6, 4, 2 or 1 channels for the rest.
pub(crate) fn blocks(og: usize) -> impl Iterator<Item = (usize, usize)> {
    let mut o = 0;
    core::iter::from_fn(move || {
        let ob = match og.checked_sub(o)? {
            0 => return None,
            8.. => 8,
            6..=7 => 6,
            4..=5 => 4,
            2..=3 => 2,
            _ => 1,
        };
        o += ob;
        Some((o - ob, ob))
    })
}

/// The weights (`[o, c / groups, kh, kw]`, `og` output channels per group) as the tiles read
/// them: each block of output channels (see [`blocks`]) tap-major, `packed[t * ob + j]` =
/// `w[o + j][t]`, at the block's place in `w`. Packed once per call, shared by every image.
pub(crate) fn pack_weights<T: ConvElem>(w: &[T], og: usize, groups: usize) -> Vec<T> {
    let kk = w.len() / (og * groups).max(1);
    let mut packed = alloc::vec![T::zero(); w.len()];
    for gi in 0..groups {
        for (o, ob) in blocks(og) {
            let at = (gi * og + o) * kk;
            for j in 0..ob {
                for (t, &v) in w[at + j * kk..at + (j + 1) * kk].iter().enumerate() {
                    packed[at + t * ob + j] = v;
                }
            }
        }
    }
    packed
}

#[inline(always)]
fn image<T: ConvElem, const L: usize, const FMA: bool>(
    x: &[T],
    packed: &[T],
    out: &mut [T],
    g: &Conv2dGeometry,
    groups: usize,
    buf: &mut Vec<T>,
) {
    let l = g.positions();
    let (og, cg) = (out.len() / l / groups, g.c / groups);
    let kk = cg * g.taps();
    let p = Pad::new(g, cg, L);
    let len = cg * p.hp * p.wp;
    if buf.len() < len {
        buf.resize(len, T::zero());
    }
    let pad = &mut buf[..len];
    for gi in 0..groups {
        pad_channels(x, g, gi * cg, p.hp, p.wp, pad);
        let out_g = &mut out[gi * og * l..(gi + 1) * og * l];
        for (o, ob) in blocks(og) {
            let (pad, wp) = (&*pad, &packed[(gi * og + o) * kk..(gi * og + o + ob) * kk]);
            #[cfg(all(feature = "std", target_arch = "x86_64"))]
            if L == WIDE {
                // Only `image_avx512` takes WIDE tiles: AVX-512F is there.
                if let (Some(pad), Some(wp), Some(out)) = (T::as_f32(pad), T::as_f32(wp), T::as_f32_mut(out_g)) {
                    // SAFETY: AVX-512F is available (above).
                    let done = unsafe {
                        match ob {
                            8 if g.oh >= 3 => avx512::rows::<8, 3>(pad, &p, g, wp, out, o),
                            6 if g.oh >= 4 => avx512::rows::<6, 4>(pad, &p, g, wp, out, o),
                            4 if g.oh >= 6 => avx512::rows::<4, 6>(pad, &p, g, wp, out, o),
                            _ => false,
                        }
                    };
                    if done {
                        continue;
                    }
                }
            }
            match ob {
                8 => rows::<T, 8, 1, L, FMA>(pad, &p, g, wp, out_g, o),
                6 => rows::<T, 6, 2, L, FMA>(pad, &p, g, wp, out_g, o),
                4 => rows::<T, 4, 3, L, FMA>(pad, &p, g, wp, out_g, o),
                // Narrow blocks keep 8-pixel tiles even with AVX-512 (the pad is wide enough
                // for either): with 16, one output channel by 8 rows ran 6x slower (the input
                // gradient of LeNet's first layer: 20 ms against 3 for the whole fwd + bwd).
                2 => rows::<T, 2, 4, LANES, FMA>(pad, &p, g, wp, out_g, o),
                _ => rows::<T, 1, 8, LANES, FMA>(pad, &p, g, wp, out_g, o),
            }
        }
    }
}

#[cfg(all(feature = "std", any(target_arch = "x86", target_arch = "x86_64")))]
#[target_feature(enable = "avx2,fma")]
fn image_avx2_fma<T: ConvElem>(
    x: &[T],
    packed: &[T],
    out: &mut [T],
    g: &Conv2dGeometry,
    groups: usize,
    buf: &mut Vec<T>,
) {
    image::<T, LANES, true>(x, packed, out, g, groups, buf)
}

#[cfg(all(feature = "std", any(target_arch = "x86", target_arch = "x86_64")))]
#[target_feature(enable = "avx512f,avx2,fma")]
fn image_avx512<T: ConvElem>(
    x: &[T],
    packed: &[T],
    out: &mut [T],
    g: &Conv2dGeometry,
    groups: usize,
    buf: &mut Vec<T>,
) {
    image::<T, WIDE, true>(x, packed, out, g, groups, buf)
}

/// One image's convolution: `x` is `[c, h, w]`, `packed` the weights from [`pack_weights`],
/// `out` is `[o, oh * ow]` (every element written); `buf` is scratch.
pub(crate) fn forward_image<T: ConvElem>(
    x: &[T],
    packed: &[T],
    out: &mut [T],
    g: &Conv2dGeometry,
    groups: usize,
    buf: &mut Vec<T>,
) {
    if g.positions() == 0 {
        return;
    }
    #[cfg(all(feature = "std", any(target_arch = "x86", target_arch = "x86_64")))]
    if std::is_x86_feature_detected!("avx512f") && std::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU has AVX-512F, AVX2 (implied by AVX-512F) and FMA (checked just
        // above), the only requirements of `image_avx512`, whose body is safe code.
        unsafe { image_avx512(x, packed, out, g, groups, buf) };
        return;
    }
    #[cfg(all(feature = "std", any(target_arch = "x86", target_arch = "x86_64")))]
    if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU has AVX2 and FMA (checked just above), the only requirement of
        // `image_avx2_fma`, whose body is safe code.
        unsafe { image_avx2_fma(x, packed, out, g, groups, buf) };
        return;
    }
    image::<T, LANES, false>(x, packed, out, g, groups, buf)
}
