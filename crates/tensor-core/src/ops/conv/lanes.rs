//! Convolution vectorised over output channels, for layers with a short contraction and few
//! output positions (LeNet's second layer), where im2col + gemm spent most of its time building
//! columns and in the overhead of many small gemm calls.
//!
//! The input of one group is copied once into a zero-padded buffer, where the element a tap
//! `(c, ki, kj)` reads for an output position is at the tap's offset plus the position's window
//! corner. A register tile is [`LANES`] output channels × [`R`] output positions: for every tap,
//! one vector of weights (the tile's channels at that tap) is multiplied by each position's
//! input element, broadcast. The positions of a tile need not be contiguous (each is its own
//! broadcast load), so any stride, dilation and output width fills every tile. The weight
//! gradient is the same loop with the roles swapped: [`R`] taps, summed over the positions, each
//! with its vector of output gradients. Offsets, corners and packed weights depend only on the
//! geometry and the weights, so a [`Plan`] computes them once per call.
//! f32 only, with AVX-512 (a tile's [`LANES`] channels are one register), written with
//! intrinsics: left to the compiler, the generic loop was vectorised over the tile's positions
//! with gathers and scatters, 20× slower. Other dtypes and CPUs take the other kernels.

use super::im2col::{pad_channels, ConvElem, Geo};
use alloc::vec::Vec;

/// Output channels per vector.
const LANES: usize = 16;
/// Positions (forward) or taps (weight gradient) per register tile.
const R: usize = 8;

/// Whether the AVX-512 kernels can run here.
fn avx512() -> bool {
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    return std::is_x86_feature_detected!("avx512f");
    #[allow(unreachable_code)]
    false
}

#[cfg(all(feature = "std", target_arch = "x86_64"))]
mod avx512 {
    use super::{LANES, R};
    use core::arch::x86_64::*;

    /// `R` sums of `LANES` lanes: for each step `i`, `vectors[i]` times the input at
    /// `steps[i] + fixed[r]`, broadcast, added to sum `r`. Forward: the steps are taps (with
    /// the weights as vectors) and `fixed` are positions; weight gradient: the steps are
    /// positions (with the output gradients) and `fixed` are taps.
    ///
    /// # Safety
    /// AVX-512F is available; every `steps[i] + fixed[r]` is an index of `pad`.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn tile(pad: &[f32], steps: &[usize], vectors: &[f32], fixed: &[usize; R]) -> [[f32; LANES]; R] {
        let mut acc = [_mm512_setzero_ps(); R];
        for (&at, v) in steps.iter().zip(vectors.chunks_exact(LANES)) {
            let v: &[f32; LANES] = v.try_into().expect("a vector");
            // SAFETY: `v` is 16 floats; the pad index is in bounds by the caller's contract.
            unsafe {
                let v = _mm512_loadu_ps(v.as_ptr());
                for (acc, &off) in acc.iter_mut().zip(fixed) {
                    *acc = _mm512_fmadd_ps(_mm512_set1_ps(*pad.get_unchecked(at + off)), v, *acc);
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

/// [`avx512::tile`] where the CPU has it (a [`Plan`] exists only there).
///
/// # Safety
/// Every `steps[i] + fixed[r]` is an index of `pad`.
unsafe fn tile(pad: &[f32], steps: &[usize], vectors: &[f32], fixed: &[usize; R]) -> [[f32; LANES]; R] {
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    if avx512() {
        // SAFETY: the CPU has AVX-512F (checked just above); bounds by the caller's contract.
        return unsafe { avx512::tile(pad, steps, vectors, fixed) };
    }
    let _ = (pad, steps, vectors, fixed);
    unreachable!("conv2d: the channel-vectorised kernel needs AVX-512")
}

/// `R` entries of `list` from `i0`; a last partial tile repeats the last entry in its spare
/// rows.
fn tile_of(list: &[usize], i0: usize) -> [usize; R] {
    core::array::from_fn(|r| list[(i0 + r).min(list.len() - 1)])
}

/// Packs rows `o0..o0 + LANES` of `m` (`[rows, n]`, rows past `rows` read as zero) as `n`
/// vectors: `packed[i * LANES + l] = m[(o0 + l) * n + i]`.
fn pack(m: &[f32], rows: usize, n: usize, o0: usize, packed: &mut Vec<f32>) {
    packed.clear();
    packed.resize(n * LANES, 0.0);
    for l in 0..LANES.min(rows - o0) {
        for (i, &v) in m[(o0 + l) * n..(o0 + l + 1) * n].iter().enumerate() {
            packed[i * LANES + l] = v;
        }
    }
}

/// What every image of one convolution shares: its geometry, the offset of each tap and the
/// window corner of each output position in the padded input of one group.
#[derive(Debug)]
pub(crate) struct Plan {
    g: Geo,
    /// Output channels per group.
    og: usize,
    groups: usize,
    /// Offset of tap `(c * kh + ki) * kw + kj` from a window's corner (increasing).
    taps: Vec<usize>,
    /// Corner of output position `p`, row-major in the output plane (increasing).
    corners: Vec<usize>,
    /// Height and width of the padded input.
    hp: usize,
    wp: usize,
}

/// Per-thread scratch: one group's padded input and packed output gradients.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    pad: Vec<f32>,
    packed: Vec<f32>,
}

impl Plan {
    /// The plan of a convolution of `T` with `og` output channels per group, if this kernel
    /// should compute it: f32 on a CPU with AVX-512, at least most of a vector of output
    /// channels (fewer wastes lanes), and a contraction (`cg * kh * kw`) and plane small enough
    /// that gemm's packing and call overhead dominate.
    pub(crate) fn new<T: ConvElem>(g: &Geo, og: usize, groups: usize) -> Option<Plan> {
        let cg = g.c / groups;
        let applies = T::as_f32(&[]).is_some() && og >= 12 && cg * g.taps() <= 512 && g.positions() <= 256;
        if !applies || g.positions() == 0 || !avx512() {
            return None;
        }
        let (hp, wp) = (g.h + 2 * g.ph, g.w + 2 * g.pw);
        let tap = |t: usize| {
            let (c, ki, kj) = (t / g.taps(), (t / g.kw) % g.kh, t % g.kw);
            (c * hp + ki * g.dh) * wp + kj * g.dw
        };
        let corner = |p: usize| (p / g.ow) * g.sh * wp + (p % g.ow) * g.sw;
        let plan = Plan {
            g: *g,
            og,
            groups,
            taps: (0..cg * g.taps()).map(tap).collect(),
            corners: (0..g.positions()).map(corner).collect(),
            hp,
            wp,
        };
        // The tiles read the padded input unchecked at a tap offset plus a corner: the largest
        // of each (both lists increase) must add up to an index inside it.
        let last = plan.taps.last().copied().unwrap_or(0) + plan.corners.last().copied().unwrap_or(0);
        assert!(last < cg * hp * wp, "conv2d: a window outside the padded input");
        Some(plan)
    }

    /// Group `gi` of `x` (`[c, h, w]`), zero-padded into `pad`.
    fn pad_group<'a>(&self, x: &[f32], gi: usize, pad: &'a mut Vec<f32>) -> &'a [f32] {
        let cg = self.g.c / self.groups;
        pad.resize(cg * self.hp * self.wp, 0.0);
        pad_channels(x, &self.g, gi * cg, self.hp, self.wp, pad);
        pad
    }

    /// The weights (`[o, c / groups, kh, kw]`) as each group's blocks of [`LANES`] channels, one
    /// vector per tap: what [`Plan::forward_image`] takes.
    pub(crate) fn pack_weights(&self, w: &[f32]) -> Vec<f32> {
        let kk = self.taps.len();
        let mut packed = Vec::with_capacity(self.groups * self.og.div_ceil(LANES) * kk * LANES);
        let mut block = Vec::new();
        for w_g in w.chunks_exact(self.og * kk) {
            for o0 in (0..self.og).step_by(LANES) {
                pack(w_g, self.og, kk, o0, &mut block);
                packed.extend_from_slice(&block);
            }
        }
        packed
    }

    /// One image's convolution: `x` is `[c, h, w]`, `weights` from [`Plan::pack_weights`], `out`
    /// is `[o, oh * ow]` (every element written).
    pub(crate) fn forward_image(&self, x: &[f32], weights: &[f32], out: &mut [f32], s: &mut Scratch) {
        let (l, og, kk) = (self.corners.len(), self.og, self.taps.len());
        let mut blocks = weights.chunks_exact(kk * LANES);
        for (gi, out_g) in out.chunks_exact_mut(og * l).enumerate() {
            let pad = self.pad_group(x, gi, &mut s.pad);
            for o0 in (0..og).step_by(LANES) {
                let block = blocks.next().expect("packed weights of every block");
                for p0 in (0..l).step_by(R) {
                    // SAFETY: taps and corners are the plan's, whose largest sum `new` checked
                    // against the padded input's size.
                    let acc = unsafe { tile(pad, &self.taps, block, &tile_of(&self.corners, p0)) };
                    for (r, acc) in acc.iter().enumerate().take(l - p0) {
                        for (lane, &v) in acc[..LANES.min(og - o0)].iter().enumerate() {
                            out_g[(o0 + lane) * l + p0 + r] = v;
                        }
                    }
                }
            }
        }
    }

    /// One image's weight gradient, added to `dw` (`[o, c / groups, kh, kw]`): `gr` is the
    /// output gradient `[o, oh * ow]`, `x` the input `[c, h, w]`.
    pub(crate) fn weight_image(&self, gr: &[f32], x: &[f32], dw: &mut [f32], s: &mut Scratch) {
        let (l, og, kk) = (self.corners.len(), self.og, self.taps.len());
        for (gi, (gr_g, dw_g)) in gr.chunks_exact(og * l).zip(dw.chunks_exact_mut(og * kk)).enumerate() {
            let pad = self.pad_group(x, gi, &mut s.pad);
            for o0 in (0..og).step_by(LANES) {
                pack(gr_g, og, l, o0, &mut s.packed);
                for t0 in (0..kk).step_by(R) {
                    // SAFETY: as in `forward_image`.
                    let acc = unsafe { tile(pad, &self.corners, &s.packed, &tile_of(&self.taps, t0)) };
                    for (j, acc) in acc.iter().enumerate().take(kk - t0) {
                        for (lane, &v) in acc[..LANES.min(og - o0)].iter().enumerate() {
                            dw_g[(o0 + lane) * kk + t0 + j] += v;
                        }
                    }
                }
            }
        }
    }
}
