//! Convolution vectorised over output channels, for layers with a short contraction and few
//! output positions (LeNet's second layer), where im2col + gemm spent most of its time building
//! columns and in the overhead of many small gemm calls.
//!
//! The input of one group is copied once into a zero-padded buffer. A register tile is
//! [`LANES`] output channels × [`R`] output positions: for every tap `(c, ki, kj)` one vector of
//! weights (the tile's channels at that tap) is multiplied by each position's input element,
//! broadcast. The positions of a tile need not be contiguous (each is its own broadcast load),
//! so any stride, dilation and output width fills every tile. The weight gradient runs the same
//! loop with the roles swapped: [`LANES`] output channels × [`R`] taps, summed over positions.
//! f32 only, with AVX-512 (a tile's [`LANES`] channels are one register), written with
//! intrinsics: left to the compiler, the generic loop was vectorised over the tile's positions
//! with gathers and scatters, 20× slower. Other dtypes and CPUs take the other kernels.

use super::im2col::{ConvElem, Geo};
use alloc::vec::Vec;

/// Output channels per vector.
const LANES: usize = 16;
/// Positions (forward) or taps (weight gradient) per register tile.
const R: usize = 8;

/// Whether this kernel should compute a convolution of `T` with `og` output and `cg` input
/// channels per group: f32 on a CPU with AVX-512, at least most of a vector of output channels
/// (fewer wastes lanes), and a contraction (`cg * kh * kw`) and plane small enough that gemm's
/// packing and call overhead dominate.
pub(crate) fn applies<T: ConvElem>(g: &Geo, og: usize, cg: usize) -> bool {
    T::as_f32(&[]).is_some() && avx512() && og >= 12 && cg * g.taps() <= 512 && g.positions() <= 256
}

/// Whether the AVX-512 kernels can run here.
fn avx512() -> bool {
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    return std::is_x86_feature_detected!("avx512f");
    #[allow(unreachable_code)]
    false
}

/// One group's input, zero-padded: `cg` planes of `hp` × `wp`.
#[derive(Debug, Clone, Copy)]
struct Padded {
    plane: usize,
    wp: usize,
}

impl Padded {
    /// Copies channels `c0..c0 + cg` of `x` (`[c, h, w]`) into `pad` (resized as needed).
    fn fill<T: ConvElem>(x: &[T], g: &Geo, c0: usize, cg: usize, pad: &mut Vec<T>) -> Padded {
        let (hp, wp) = (g.h + 2 * g.ph, g.w + 2 * g.pw);
        pad.clear();
        pad.resize(cg * hp * wp, T::zero());
        let plane = g.h * g.w;
        for c in 0..cg {
            let src = &x[(c0 + c) * plane..(c0 + c + 1) * plane];
            for (ih, row) in src.chunks_exact(g.w).enumerate() {
                let at = (c * hp + ih + g.ph) * wp + g.pw;
                pad[at..at + g.w].copy_from_slice(row);
            }
        }
        Padded { plane: hp * wp, wp }
    }

    /// Where output position `p` (row-major in the output plane) starts reading: its window's
    /// top-left corner.
    #[inline(always)]
    fn corner(&self, g: &Geo, p: usize) -> usize {
        (p / g.ow) * g.sh * self.wp + (p % g.ow) * g.sw
    }

    /// The offset of tap `t` (`(c * kh + ki) * kw + kj`) from a window's corner.
    #[inline(always)]
    fn tap(&self, g: &Geo, t: usize) -> usize {
        let (c, ki, kj) = (t / g.taps(), (t / g.kw) % g.kh, t % g.kw);
        c * self.plane + ki * g.dh * self.wp + kj * g.dw
    }
}

#[cfg(all(feature = "std", target_arch = "x86_64"))]
mod avx512 {
    use super::{LANES, R};
    use core::arch::x86_64::*;

    /// `R` positions (window corners `corner`) × `LANES` channels: the sum over every tap `t` of
    /// `wq[t]` (the channels' weights) times the input at `taps[t] + corner[r]`.
    ///
    /// # Safety
    /// AVX-512F is available; every `taps[t] + corner[r]` is an index of `pad`.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn forward_tile(
        pad: &[f32],
        taps: &[usize],
        wq: &[f32],
        corner: &[usize; R],
    ) -> [[f32; LANES]; R] {
        let mut acc = [_mm512_setzero_ps(); R];
        for (&off, wv) in taps.iter().zip(wq.chunks_exact(LANES)) {
            let wv: &[f32; LANES] = wv.try_into().expect("a vector of weights");
            // SAFETY: `wv` is 16 floats; the pad index is in bounds by the caller's contract.
            unsafe {
                let wv = _mm512_loadu_ps(wv.as_ptr());
                for (acc, &at) in acc.iter_mut().zip(corner) {
                    *acc = _mm512_fmadd_ps(_mm512_set1_ps(*pad.get_unchecked(off + at)), wv, *acc);
                }
            }
        }
        acc.map(|a| {
            let mut v = [0.0; LANES];
            // SAFETY: `v` is 16 floats.
            unsafe { _mm512_storeu_ps(v.as_mut_ptr(), a) };
            v
        })
    }

    /// `LANES` channels × `R` taps (offsets `tap`): the sum over the positions (window corners
    /// `corners`) of `gq[p]` (the channels' output gradients at `p`) times the input at
    /// `tap[j] + corners[p]`.
    ///
    /// # Safety
    /// AVX-512F is available; every `tap[j] + corners[p]` is an index of `pad`.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn weight_tile(
        pad: &[f32],
        corners: &[usize],
        gq: &[f32],
        tap: &[usize; R],
    ) -> [[f32; LANES]; R] {
        let mut acc = [_mm512_setzero_ps(); R];
        for (&at, gv) in corners.iter().zip(gq.chunks_exact(LANES)) {
            let gv: &[f32; LANES] = gv.try_into().expect("a vector of gradients");
            // SAFETY: as in `forward_tile`.
            unsafe {
                let gv = _mm512_loadu_ps(gv.as_ptr());
                for (acc, &off) in acc.iter_mut().zip(tap) {
                    *acc = _mm512_fmadd_ps(_mm512_set1_ps(*pad.get_unchecked(off + at)), gv, *acc);
                }
            }
        }
        acc.map(|a| {
            let mut v = [0.0; LANES];
            // SAFETY: `v` is 16 floats.
            unsafe { _mm512_storeu_ps(v.as_mut_ptr(), a) };
            v
        })
    }
}

/// [`avx512::forward_tile`] where the CPU has it (the only place [`applies`] lets this kernel
/// run).
///
/// # Safety
/// Every `taps[t] + corner[r]` is an index of `pad`.
unsafe fn forward_tile(pad: &[f32], taps: &[usize], wq: &[f32], corner: &[usize; R]) -> [[f32; LANES]; R] {
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    if avx512() {
        // SAFETY: the CPU has AVX-512F (checked just above); bounds by the caller's contract.
        return unsafe { avx512::forward_tile(pad, taps, wq, corner) };
    }
    let _ = (pad, taps, wq, corner);
    unreachable!("conv2d: the channel-vectorised kernel needs AVX-512")
}

/// [`avx512::weight_tile`] where the CPU has it.
///
/// # Safety
/// Every `tap[j] + corners[p]` is an index of `pad`.
unsafe fn weight_tile(pad: &[f32], corners: &[usize], gq: &[f32], tap: &[usize; R]) -> [[f32; LANES]; R] {
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    if avx512() {
        // SAFETY: as in `forward_tile`.
        return unsafe { avx512::weight_tile(pad, corners, gq, tap) };
    }
    let _ = (pad, corners, gq, tap);
    unreachable!("conv2d: the channel-vectorised kernel needs AVX-512")
}

/// Scratch of one image: the padded input, the packed vectors, tap offsets and corners.
#[derive(Debug, Default)]
pub(crate) struct Scratch<T> {
    pad: Vec<T>,
    packed: Vec<T>,
    taps: Vec<usize>,
    corners: Vec<usize>,
}

impl<T: ConvElem> Scratch<T> {
    /// Pads group `gi`'s input and lists its tap offsets and window corners.
    fn prepare(&mut self, x: &[T], g: &Geo, gi: usize, cg: usize) -> Padded {
        let p = Padded::fill(x, g, gi * cg, cg, &mut self.pad);
        self.taps.clear();
        self.taps.extend((0..cg * g.taps()).map(|t| p.tap(g, t)));
        self.corners.clear();
        self.corners.extend((0..g.positions()).map(|q| p.corner(g, q)));
        // The tiles read `pad` unchecked at a tap offset plus a corner: the largest of each
        // (the last tap of the last channel, the last position's corner) must stay inside it.
        let last = self.taps.last().copied().unwrap_or(0) + self.corners.last().copied().unwrap_or(0);
        assert!(last < self.pad.len().max(1), "conv2d: a window outside the padded input");
        p
    }
}

/// Packs rows `o0..o0 + LANES` of `m` (`[rows, n]`, rows past `rows` read as zero) as `n`
/// vectors: `packed[i * LANES + l] = m[(o0 + l) * n + i]`.
fn pack<T: ConvElem>(m: &[T], rows: usize, n: usize, o0: usize, packed: &mut Vec<T>) {
    packed.clear();
    packed.resize(n * LANES, T::zero());
    for l in 0..LANES.min(rows - o0) {
        for (i, &v) in m[(o0 + l) * n..(o0 + l + 1) * n].iter().enumerate() {
            packed[i * LANES + l] = v;
        }
    }
}

/// One image's convolution: `x` is `[c, h, w]`, `w` is `[o, c / groups, kh, kw]`, `out` is
/// `[o, oh * ow]` (every element written). Only where [`applies`].
pub(crate) fn forward_image(x: &[f32], w: &[f32], out: &mut [f32], g: &Geo, groups: usize, s: &mut Scratch<f32>) {
    let l = g.positions();
    assert!(avx512() && l > 0, "conv2d: the channel-vectorised kernel does not apply here");
    let (og, cg) = (out.len() / l / groups, g.c / groups);
    let kk = cg * g.taps();
    for gi in 0..groups {
        s.prepare(x, g, gi, cg);
        let w_g = &w[gi * og * kk..(gi + 1) * og * kk];
        let out_g = &mut out[gi * og * l..(gi + 1) * og * l];
        for o0 in (0..og).step_by(LANES) {
            pack(w_g, og, kk, o0, &mut s.packed);
            let lanes = LANES.min(og - o0);
            for p0 in (0..l).step_by(R) {
                // A last partial tile repeats the last position in its spare rows.
                let corner: [usize; R] = core::array::from_fn(|r| s.corners[(p0 + r).min(l - 1)]);
                // SAFETY: taps and corners come from `prepare`, which checked that the largest
                // of each add up to an index of `pad` (both lists are increasing).
                let acc = unsafe { forward_tile(&s.pad, &s.taps, &s.packed, &corner) };
                for (r, acc) in acc.iter().enumerate().take(l - p0) {
                    for (lane, &v) in acc[..lanes].iter().enumerate() {
                        out_g[(o0 + lane) * l + p0 + r] = v;
                    }
                }
            }
        }
    }
}

/// One image's weight gradient, added to `dw` (`[o, c / groups, kh, kw]`): `gr` is the output
/// gradient `[o, oh * ow]`, `x` the input `[c, h, w]`. Only where [`applies`].
pub(crate) fn weight_image(gr: &[f32], x: &[f32], dw: &mut [f32], g: &Geo, groups: usize, s: &mut Scratch<f32>) {
    let l = g.positions();
    assert!(avx512() && l > 0, "conv2d: the channel-vectorised kernel does not apply here");
    let (og, cg) = (gr.len() / l / groups, g.c / groups);
    let kk = cg * g.taps();
    for gi in 0..groups {
        s.prepare(x, g, gi, cg);
        let gr_g = &gr[gi * og * l..(gi + 1) * og * l];
        let dw_g = &mut dw[gi * og * kk..(gi + 1) * og * kk];
        for o0 in (0..og).step_by(LANES) {
            pack(gr_g, og, l, o0, &mut s.packed);
            let lanes = LANES.min(og - o0);
            for t0 in (0..kk).step_by(R) {
                // A last partial tile repeats the last tap in its spare rows.
                let tap: [usize; R] = core::array::from_fn(|j| s.taps[(t0 + j).min(kk - 1)]);
                // SAFETY: as in `forward_image`.
                let acc = unsafe { weight_tile(&s.pad, &s.corners, &s.packed, &tap) };
                for (j, acc) in acc.iter().enumerate().take(kk - t0) {
                    for (lane, &v) in acc[..lanes].iter().enumerate() {
                        dw_g[(o0 + lane) * kk + t0 + j] += v;
                    }
                }
            }
        }
    }
}
