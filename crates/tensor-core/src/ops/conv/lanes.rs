//! Convolution vectorised over output channels, for layers with a short contraction and few
//! output positions (LeNet's second layer), where im2col + gemm spent most of its time building
//! columns and in the overhead of many small gemm calls; and the weight gradient of larger
//! layers (ResNet's 3×3), where building the columns was most of the cost.
//!
//! The input of one group is copied once into a zero-padded buffer, where the element a tap
//! `(c, ki, kj)` reads for an output position is at the tap's offset plus the position's window
//! corner. A register tile holds [`LANES`] output channels (one vector) for each of a few dozen
//! output positions: every step multiplies one vector (the tile's channels of a weight) by each
//! position's input element, broadcast, and adds it to that position's sum. The weight gradient
//! is the same loop with the roles swapped: the tile's sums are taps, summed over the positions,
//! each step with its vector of output gradients.
//!
//! Where a tile's elements are consecutive in the padded input (stride 1 in width for the
//! forward, dilation 1 for the weight gradient), a tile is `Q` rows of `C` consecutive elements
//! (`C` compiled in, up to 16): one pointer per row and constant displacements, so each
//! multiply-add is one instruction with its broadcast load. Otherwise a tile is [`R`] rows of
//! one element, each at its own offset (the general tile). Offsets, corners and packed weights
//! depend only on the geometry and the weights, so a [`Plan`] computes them once per call.
//! f32 only, with AVX-512 (a tile's [`LANES`] channels are one register), written with
//! intrinsics: left to the compiler, the generic loop was vectorised over the tile's positions
//! with gathers and scatters, 20× slower. Other dtypes and CPUs take the other kernels.

use super::im2col::{has_avx512, pad_channels, ConvElem, Geo};
use crate::ops::copy::transpose::transpose_f32;
use alloc::vec::Vec;

/// Output channels per vector.
const LANES: usize = 16;
/// Elements per general tile (any offsets: `R` rows of one column).
const R: usize = 8;
/// The most columns of a row tile.
const MAX_COLUMNS: usize = 16;

#[cfg(all(feature = "std", target_arch = "x86_64"))]
mod avx512 {
    use super::LANES;
    use core::arch::x86_64::*;

    /// The vector of sum `i` in `sums` (`[n][LANES]`).
    fn vector(sums: &mut [f32], i: usize) -> &mut [f32; LANES] {
        (&mut sums[i * LANES..(i + 1) * LANES]).try_into().expect("a vector")
    }

    /// `Q × C` sums of `LANES` lanes: for each step `i`, `vectors[i]` times the input at
    /// `steps[i] + rows[q] + r`, broadcast, added to sum `(q, r)`, which is stored as vector
    /// `at[q] + r` of `sums` (added to what is there when `ADD`; a row equal to the one before it
    /// is a repeat, stored once). Forward: the steps are taps (with the weights as vectors) and
    /// the rows are runs of positions; weight gradient: the steps are positions (with the
    /// output gradients) and the rows are runs of taps. A general tile is `R` rows of one.
    ///
    /// # Safety
    /// AVX-512F is available; every `steps[i] + rows[q] + C - 1` is an index of `pad`.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn row_tile<const Q: usize, const C: usize, const ADD: bool>(
        pad: &[f32],
        steps: &[usize],
        vectors: &[f32],
        rows: &[usize; Q],
        sums: &mut [f32],
        at: &[usize; Q],
    ) {
        let mut acc = [[_mm512_setzero_ps(); C]; Q];
        let base = pad.as_ptr();
        for (&step, v) in steps.iter().zip(vectors.chunks_exact(LANES)) {
            // SAFETY: `v` is 16 floats; the pad indices are in bounds by the caller's contract.
            unsafe {
                let v = _mm512_loadu_ps(v.as_ptr());
                for (acc, &row) in acc.iter_mut().zip(rows) {
                    let p = base.add(step + row);
                    for (r, acc) in acc.iter_mut().enumerate() {
                        *acc = _mm512_fmadd_ps(_mm512_set1_ps(*p.add(r)), v, *acc);
                    }
                }
            }
        }
        for (q, (acc, &i)) in acc.iter().zip(at).enumerate() {
            // A last partial tile repeats its last row: store it once.
            if q > 0 && i == at[q - 1] {
                continue;
            }
            for (r, acc) in acc.iter().enumerate() {
                let v = vector(sums, i + r);
                // SAFETY: `v` is 16 floats.
                unsafe {
                    let sum = if ADD { _mm512_add_ps(*acc, _mm512_loadu_ps(v.as_ptr())) } else { *acc };
                    _mm512_storeu_ps(v.as_mut_ptr(), sum);
                }
            }
        }
    }
}

/// [`avx512::row_tile`] where the CPU has it (a [`Plan`] exists only there).
///
/// # Safety
/// Every `steps[i] + rows[q] + C - 1` is an index of `pad`.
unsafe fn row_tile<const Q: usize, const C: usize, const ADD: bool>(
    pad: &[f32],
    steps: &[usize],
    vectors: &[f32],
    rows: &[usize; Q],
    sums: &mut [f32],
    at: &[usize; Q],
) {
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    if has_avx512() {
        // SAFETY: the CPU has AVX-512F (checked just above); bounds by the caller's contract.
        return unsafe { avx512::row_tile::<Q, C, ADD>(pad, steps, vectors, rows, sums, at) };
    }
    let _ = (pad, steps, vectors, rows, sums, at);
    unreachable!("conv2d: the channel-vectorised kernel needs AVX-512")
}

/// Calls `$f::<Q, C>($args)` for `C = $columns` (1 to [`MAX_COLUMNS`]) with `Q` rows chosen
/// so that a tile holds about 24 sums: with the vector and the broadcast, within the 32
/// registers, and enough independent sums to hide the multiply-add latency.
macro_rules! by_columns {
    ($columns:expr, $f:ident($($arg:expr),* $(,)?)) => {
        match $columns {
            1 => $f::<8, 1>($($arg),*),
            2 => $f::<8, 2>($($arg),*),
            3 => $f::<8, 3>($($arg),*),
            4 => $f::<6, 4>($($arg),*),
            5 => $f::<4, 5>($($arg),*),
            6 => $f::<4, 6>($($arg),*),
            7 => $f::<3, 7>($($arg),*),
            8 => $f::<3, 8>($($arg),*),
            9 => $f::<2, 9>($($arg),*),
            10 => $f::<2, 10>($($arg),*),
            11 => $f::<2, 11>($($arg),*),
            12 => $f::<2, 12>($($arg),*),
            13 => $f::<1, 13>($($arg),*),
            14 => $f::<1, 14>($($arg),*),
            15 => $f::<1, 15>($($arg),*),
            16 => $f::<1, 16>($($arg),*),
            c => unreachable!("conv2d: a row tile of {c} columns"),
        }
    };
}

/// Packs rows `o0..o0 + LANES` of `m` (`[rows, n]`; rows past `rows` leave their lanes
/// unspecified) as `n` vectors: `packed[i * LANES + l] = m[(o0 + l) * n + i]`.
fn pack(m: &[f32], rows: usize, n: usize, o0: usize, packed: &mut Vec<f32>) {
    packed.resize(n * LANES, 0.0);
    let lanes = LANES.min(rows - o0);
    transpose_f32(&m[o0 * n..], n, lanes, n, packed, LANES);
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

/// Per-thread scratch: one group's padded input, the packed output gradients of a block, the
/// sums of a block (`[n][LANES]`), and the weight gradient summed over the images so far (each
/// group's blocks as `[kk][LANES]`).
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    pad: Vec<f32>,
    packed: Vec<f32>,
    sums: Vec<f32>,
    dw: Vec<f32>,
}

impl Plan {
    /// The plan of a convolution of `T` with `og` output channels per group, if this kernel
    /// should compute it: f32 on a CPU with AVX-512, at least most of a vector of output
    /// channels (fewer wastes lanes), and a contraction (`cg * kh * kw`) and plane small enough
    /// that gemm's packing and call overhead dominate.
    pub(crate) fn new<T: ConvElem>(g: &Geo, og: usize, groups: usize) -> Option<Plan> {
        Self::build::<T>(g, og, groups, Self::small(g, groups))
    }

    /// A contraction (`cg * kh * kw`) and plane small enough that gemm's packing and call
    /// overhead would dominate.
    fn small(g: &Geo, groups: usize) -> bool {
        g.c / groups * g.taps() <= 512 && g.positions() <= 256
    }

    /// The plan of a weight gradient: as [`Plan::new`], and also at any size where the tiles
    /// are row tiles (dilation 1 in width, at most 16 columns): they stream the output gradient
    /// once per tile of 24 taps, which is no slower than gemm's packing of im2col's columns.
    pub(crate) fn for_weight<T: ConvElem>(g: &Geo, og: usize, groups: usize) -> Option<Plan> {
        let rows = g.dw == 1 && g.kw <= MAX_COLUMNS && !g.is_pointwise();
        Self::build::<T>(g, og, groups, rows || Self::small(g, groups))
    }

    /// The plan where `applies` and this kernel can run: f32, AVX-512, and at least 12 output
    /// channels per group.
    fn build<T: ConvElem>(g: &Geo, og: usize, groups: usize, applies: bool) -> Option<Plan> {
        let cg = g.c / groups;
        let applies = applies && T::as_f32(&[]).is_some() && og >= 12;
        if !applies || g.positions() == 0 || !has_avx512() {
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
        let (g, l, og, kk) = (&self.g, self.corners.len(), self.og, self.taps.len());
        // Stride 1 in width: row tiles of the output width in equal chunks of at most
        // MAX_COLUMNS.
        let columns = (g.sw == 1).then(|| g.ow.div_ceil(g.ow.div_ceil(MAX_COLUMNS)));
        let mut blocks = weights.chunks_exact(kk * LANES);
        s.sums.resize(l * LANES, 0.0);
        for (gi, out_g) in out.chunks_exact_mut(og * l).enumerate() {
            let pad = self.pad_group(x, gi, &mut s.pad);
            for o0 in (0..og).step_by(LANES) {
                let block = blocks.next().expect("packed weights of every block");
                match columns {
                    Some(c) => by_columns!(c, forward_rows(self, pad, block, &mut s.sums)),
                    None => {
                        for p0 in (0..l).step_by(R) {
                            let p: [usize; R] = core::array::from_fn(|r| (p0 + r).min(l - 1));
                            // SAFETY: taps and corners are the plan's, whose largest sum `new`
                            // checked against the padded input's size.
                            unsafe {
                                row_tile::<R, 1, false>(
                                    pad,
                                    &self.taps,
                                    block,
                                    &p.map(|p| self.corners[p]),
                                    &mut s.sums,
                                    &p,
                                )
                            };
                        }
                    }
                }
                let lanes = LANES.min(og - o0);
                transpose_f32(&s.sums, LANES, l, lanes, &mut out_g[o0 * l..(o0 + lanes) * l], l);
            }
        }
    }

    /// Adds one image's weight gradient to the sums in `s`: `gr` is the output gradient
    /// `[o, oh * ow]`, `x` the input `[c, h, w]`. [`Plan::weight_finish`] adds them to the
    /// gradient.
    pub(crate) fn weight_image(&self, gr: &[f32], x: &[f32], s: &mut Scratch) {
        let (l, og, kk) = (self.corners.len(), self.og, self.taps.len());
        let by_rows = self.g.dw == 1 && self.g.kw <= MAX_COLUMNS;
        let block_sums = kk * LANES;
        s.dw.resize(self.groups * og.div_ceil(LANES) * block_sums, 0.0);
        let mut sums = s.dw.chunks_exact_mut(block_sums);
        for (gi, gr_g) in gr.chunks_exact(og * l).enumerate() {
            let pad = self.pad_group(x, gi, &mut s.pad);
            for o0 in (0..og).step_by(LANES) {
                pack(gr_g, og, l, o0, &mut s.packed);
                let sums = sums.next().expect("sums of every block");
                if by_rows {
                    by_columns!(self.g.kw, weight_rows(self, pad, &s.packed, sums));
                } else {
                    for t0 in (0..kk).step_by(R) {
                        let t: [usize; R] = core::array::from_fn(|r| (t0 + r).min(kk - 1));
                        // SAFETY: as in `forward_image`.
                        unsafe {
                            row_tile::<R, 1, true>(pad, &self.corners, &s.packed, &t.map(|t| self.taps[t]), sums, &t)
                        };
                    }
                }
            }
        }
    }

    /// Adds the weight gradient summed in `s` by [`Plan::weight_image`] to `dw` (`[o, c /
    /// groups, kh, kw]`) and clears it.
    pub(crate) fn weight_finish(&self, s: &mut Scratch, dw: &mut [f32]) {
        let (og, kk) = (self.og, self.taps.len());
        let mut sums = s.dw.chunks_exact(kk * LANES);
        for dw_g in dw.chunks_exact_mut(og * kk) {
            for o0 in (0..og).step_by(LANES) {
                let Some(sums) = sums.next() else { return };
                let lanes = LANES.min(og - o0);
                s.packed.resize(lanes * kk, 0.0);
                transpose_f32(sums, LANES, kk, lanes, &mut s.packed, kk);
                for (d, &v) in dw_g[o0 * kk..(o0 + lanes) * kk].iter_mut().zip(&s.packed) {
                    *d += v;
                }
            }
        }
        s.dw.clear();
    }
}

/// The forward of one block of channels into `sums` (`[oh * ow][LANES]`) in row tiles of `Q`
/// output rows by `C` consecutive output columns (stride 1 in width); a last partial tile
/// repeats the last row or starts early, recomputing a few positions.
fn forward_rows<const Q: usize, const C: usize>(plan: &Plan, pad: &[f32], block: &[f32], sums: &mut [f32]) {
    let g = &plan.g;
    for oh0 in (0..g.oh).step_by(Q) {
        for ow0 in (0..g.ow).step_by(C) {
            let ow0 = ow0.min(g.ow - C);
            let at: [usize; Q] = core::array::from_fn(|q| (oh0 + q).min(g.oh - 1) * g.ow + ow0);
            // SAFETY: every row starts at a corner and its `C` columns are consecutive corners
            // of one output row (stride 1), so each index is a tap plus a corner: `new` checked
            // the largest against the padded input.
            unsafe { row_tile::<Q, C, false>(pad, &plan.taps, block, &at.map(|p| plan.corners[p]), sums, &at) };
        }
    }
}

/// The weight gradient of one block of channels, added to `sums` (`[kk][LANES]`), in row tiles
/// of `Q` kernel rows (`(c, ki)`) by `C = kw` taps (dilation 1 in width). A last partial tile
/// repeats the last kernel row: its copies add the same sums to the same place, stored once.
fn weight_rows<const Q: usize, const C: usize>(plan: &Plan, pad: &[f32], packed: &[f32], sums: &mut [f32]) {
    let kernel_rows = plan.taps.len() / C;
    for k0 in (0..kernel_rows).step_by(Q) {
        let at: [usize; Q] = core::array::from_fn(|q| (k0 + q).min(kernel_rows - 1) * C);
        // SAFETY: every row is the first tap of a kernel row, whose `C` taps are consecutive
        // (dilation 1): each index is a corner plus a tap, checked by `new`.
        unsafe { row_tile::<Q, C, true>(pad, &plan.corners, packed, &at.map(|t| plan.taps[t]), sums, &at) };
    }
}
