//! The weight gradient of a convolution with few output channels per group (LeNet's first
//! layer: 6), vectorised over output columns, where the channel-vectorised kernel would leave
//! most lanes idle and im2col + gemm spent its time building columns for a 6-row product.
//!
//! `dw[o][c][ki][kj]` is the sum over output positions of `grad[o][y][x]` times the input at
//! that position's tap. Each image's group is copied once into a zero-padded buffer; a register
//! tile then holds, for `OB` output channels × `T` taps, 16 partial sums (one per output column
//! of a 16-column chunk), and walks every chunk of every output row: `OB` gradient vectors and
//! `T` input vectors (the tap's window, shifted) feed `OB × T` multiply-adds. The last chunk of
//! a row is masked. The partial sums stay 16 wide over all the images of a thread and are
//! reduced once, in [`Plan::finish`]. Stride 1 in width (a chunk's windows are consecutive),
//! f32 with AVX-512, written with intrinsics.

use super::direct::blocks;
use super::im2col::{has_avx512, pad_channels, ConvElem};
use crate::backend::Conv2dGeometry;
use alloc::vec::Vec;

/// Output columns per chunk (one AVX-512 vector of f32).
const LANES: usize = 16;

/// What every image shares: the geometry and each tap's offset in the padded input of a group.
#[derive(Debug)]
pub(crate) struct Plan {
    g: Conv2dGeometry,
    /// Output channels per group.
    og: usize,
    groups: usize,
    /// Offset of tap `(c * kh + ki) * kw + kj` from a window's corner.
    taps: Vec<usize>,
    /// Height and width of the padded input: wide enough for whole chunks.
    hp: usize,
    wp: usize,
}

/// Per-thread scratch: one group's padded input, and the partial sums of every weight
/// (`[o][c / groups * kh * kw][LANES]`).
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    pad: Vec<f32>,
    sums: Vec<f32>,
}

impl Plan {
    /// The plan of the weight gradient of `T` with `og` output channels per group, if this
    /// kernel should compute it: f32 on a CPU with AVX-512, stride 1 in width, at most 8 output
    /// channels per group, and not a pointwise kernel (gemm's case).
    pub(crate) fn new<T: ConvElem>(g: &Conv2dGeometry, og: usize, groups: usize) -> Option<Plan> {
        let applies = T::as_f32(&[]).is_some() && g.sw == 1 && og <= 8 && !g.is_pointwise() && g.positions() > 0;
        if !applies || !has_avx512() {
            return None;
        }
        let (cg, hp) = (g.c / groups, g.h + 2 * g.ph);
        let wp = (g.w + 2 * g.pw).max(g.ow.div_ceil(LANES) * LANES + (g.kw - 1) * g.dw);
        let tap = |t: usize| {
            let (c, ki, kj) = (t / g.taps(), (t / g.kw) % g.kh, t % g.kw);
            (c * hp + ki * g.dh) * wp + kj * g.dw
        };
        Some(Plan { g: *g, og, groups, taps: (0..cg * g.taps()).map(tap).collect(), hp, wp })
    }

    /// Adds one image's weight gradient to the partial sums in `s`: `gr` is the output gradient
    /// `[o, oh * ow]`, `x` the input `[c, h, w]`.
    pub(crate) fn image(&self, gr: &[f32], x: &[f32], s: &mut Scratch) {
        let (g, og, kk) = (&self.g, self.og, self.taps.len());
        let (cg, l) = (g.c / self.groups, g.positions());
        s.pad.resize(cg * self.hp * self.wp, 0.0);
        s.sums.resize(self.groups * og * kk * LANES, 0.0);
        for (gi, (gr_g, sums)) in gr.chunks_exact(og * l).zip(s.sums.chunks_exact_mut(og * kk * LANES)).enumerate() {
            pad_channels(x, g, gi * cg, self.hp, self.wp, &mut s.pad);
            for (o0, ob) in blocks(og) {
                let (gr_b, sums_b) = (&gr_g[o0 * l..(o0 + ob) * l], &mut sums[o0 * kk * LANES..(o0 + ob) * kk * LANES]);
                #[cfg(all(feature = "std", target_arch = "x86_64"))]
                // SAFETY: a plan exists only where the CPU has AVX-512F.
                unsafe {
                    match ob {
                        8 => self.block::<8, 2>(&s.pad, gr_b, sums_b),
                        6 => self.block::<6, 4>(&s.pad, gr_b, sums_b),
                        4 => self.block::<4, 6>(&s.pad, gr_b, sums_b),
                        2 => self.block::<2, 10>(&s.pad, gr_b, sums_b),
                        _ => self.block::<1, 12>(&s.pad, gr_b, sums_b),
                    }
                }
                let _ = (gr_b, sums_b);
            }
        }
    }

    /// One block of `OB` output channels (`gr` is `[OB, oh * ow]`, `sums` `[OB][kk][LANES]`) in
    /// tiles of `T` taps; a last partial tile repeats its last tap, whose copies are stored once.
    ///
    /// # Safety
    /// AVX-512F is available.
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    #[target_feature(enable = "avx512f")]
    unsafe fn block<const OB: usize, const T: usize>(&self, pad: &[f32], gr: &[f32], sums: &mut [f32]) {
        use core::arch::x86_64::*;
        let (g, kk, l) = (&self.g, self.taps.len(), self.g.positions());
        assert_eq!(gr.len(), OB * l, "conv2d_backward_weight: a block of the wrong size");
        // Every read is a chunk of at most 16 columns: of a gradient row (inside `gr`: rows are
        // whole), or of the padded input from a window corner plus a tap, the largest of which
        // ends inside the pad (its width covers whole chunks).
        let corner = |y: usize, x0: usize| y * g.sh * self.wp + x0;
        let last_tap = self.taps.iter().copied().max().unwrap_or(0);
        assert!(
            corner(g.oh - 1, (g.ow - 1) / LANES * LANES) + last_tap + LANES <= pad.len(),
            "conv2d: a window outside the padded input"
        );
        for t0 in (0..kk).step_by(T) {
            let at: [usize; T] = core::array::from_fn(|t| (t0 + t).min(kk - 1));
            let offsets = at.map(|t| self.taps[t]);
            let mut acc = [[_mm512_setzero_ps(); T]; OB];
            for y in 0..g.oh {
                for x0 in (0..g.ow).step_by(LANES) {
                    let n = (g.ow - x0).min(LANES);
                    let mask: __mmask16 = if n == LANES { !0 } else { (1 << n) - 1 };
                    let base = corner(y, x0);
                    // SAFETY: the masked loads read the first `n` columns of a gradient row and
                    // a window's chunk, inside their buffers by the assertions above.
                    unsafe {
                        let gv: [__m512; OB] = core::array::from_fn(|o| {
                            _mm512_maskz_loadu_ps(mask, gr.as_ptr().add(o * l + y * g.ow + x0))
                        });
                        for (t, &off) in offsets.iter().enumerate() {
                            let xv = _mm512_maskz_loadu_ps(mask, pad.as_ptr().add(base + off));
                            for (acc, gv) in acc.iter_mut().zip(&gv) {
                                acc[t] = _mm512_fmadd_ps(*gv, xv, acc[t]);
                            }
                        }
                    }
                }
            }
            for (o, acc) in acc.iter().enumerate() {
                for (t, a) in acc.iter().enumerate() {
                    if t > 0 && at[t] == at[t - 1] {
                        continue;
                    }
                    let v = &mut sums[(o * kk + at[t]) * LANES..][..LANES];
                    // SAFETY: `v` is 16 floats.
                    unsafe { _mm512_storeu_ps(v.as_mut_ptr(), _mm512_add_ps(*a, _mm512_loadu_ps(v.as_ptr()))) };
                }
            }
        }
    }

    /// Adds the weight gradient summed in `s` by [`Plan::image`] to `dw` (`[o, c / groups, kh,
    /// kw]`) and clears it.
    pub(crate) fn finish(&self, s: &mut Scratch, dw: &mut [f32]) {
        for (d, lanes) in dw.iter_mut().zip(s.sums.chunks_exact(LANES)) {
            *d += lanes.iter().sum::<f32>();
        }
        s.sums.clear();
    }
}
