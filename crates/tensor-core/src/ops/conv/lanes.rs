//! Convolution vectorised over output channels, for layers with a short contraction and few
//! output positions (LeNet's second layer), where im2col + gemm spent most of its time building
//! columns and in the overhead of many small gemm calls; and for stride-1 layers with many
//! output channels (ResNet's 3×3), forward and weight gradient, where gemm spent a third of its
//! time packing and re-reading its operands.
//!
//! The input of one group is copied once into a zero-padded buffer, where the element a tap
//! `(c, ki, kj)` reads for an output position is at the tap's offset plus the position's window
//! corner. A register tile holds `V` blocks of [`LANES`] output channels (one vector each) for
//! each of a few output positions: every step loads one vector per block (the blocks' channels
//! of a weight), broadcasts each position's input element, and adds each product to its sum,
//! so each loaded value feeds several multiply-adds. The weight gradient is the same loop with
//! the roles swapped: the tile's sums are taps, summed over the positions, each step with its
//! vectors of output gradients. The steps are taken in chunks whose vectors stay in L1; a tile's
//! sums are added to memory after each chunk.
//!
//! Where a tile's elements are consecutive in the padded input (stride 1 in width for the
//! forward, dilation 1 for the weight gradient), a tile is `Q` rows of `C` consecutive elements
//! (`C` compiled in): one pointer per row and constant displacements. Otherwise a tile is `Q`
//! rows of one element, each at its own offset (the general tile). Offsets, corners and packed
//! weights depend only on the geometry and the weights, so a [`Plan`] computes them once per
//! call. f32 only, with AVX-512 (a block's [`LANES`] channels are one register), written with
//! intrinsics: left to the compiler, the generic loop was vectorised over the tile's positions
//! with gathers and scatters, 20× slower. Other dtypes and CPUs take the other kernels.

use super::im2col::{has_avx512, pad_channels, ConvElem};
use crate::backend::Conv2dGeometry;
use crate::ops::copy::transpose::transpose_f32;
use alloc::vec::Vec;
use core::ops::Range;

/// Output channels per vector.
const LANES: usize = 16;
/// Vectors per chunk of steps (16 KiB): a chunk's vectors stay in L1 while every tile uses them.
const CHUNK_VECTORS: usize = 256;
/// Bytes of the sums of a band of output rows (forward), which stay in L2 while every chunk of
/// taps adds to them.
const BAND_BYTES: usize = 256 << 10;

/// The steps of a tile: step `i` multiplies the input at `offsets[i]` (plus a row's offset) by
/// the vector of block `b` at `vectors[(b * stride + i) * LANES..]`.
#[derive(Clone, Copy)]
// Read only by the AVX-512 tile, which is compiled for x86-64 with `std`.
#[cfg_attr(not(all(feature = "std", target_arch = "x86_64")), allow(dead_code))]
struct Steps<'a> {
    offsets: &'a [usize],
    vectors: &'a [f32],
    stride: usize,
}

/// Where a tile's sums go: vector `i` of block `b` at `sums[(b * stride + i) * LANES..]`,
/// added to what is there when `add`.
// Read only by the AVX-512 tile, which is compiled for x86-64 with `std`.
#[cfg_attr(not(all(feature = "std", target_arch = "x86_64")), allow(dead_code))]
struct Sums<'a> {
    sums: &'a mut [f32],
    stride: usize,
    add: bool,
}

#[cfg(all(feature = "std", target_arch = "x86_64"))]
mod avx512 {
    use super::{Steps, Sums, LANES};
    use core::arch::x86_64::*;

    /// `V × Q × C` sums of `LANES` lanes: for each step `i`, the vector of block `b` times the
    /// input at `offsets[i] + rows[q] + r`, broadcast, added to sum `(b, q, r)`, which is stored
    /// as vector `at[q] + r` of block `b` (a row equal to the one before it is a repeat, stored
    /// once). Forward: the steps are taps (with the weights as vectors) and the rows are runs of
    /// positions; weight gradient: the steps are positions (with the output gradients) and the
    /// rows are runs of taps.
    ///
    /// # Safety
    /// AVX-512F is available; every `offsets[i] + rows[q] + C - 1` is an index of `pad`.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn row_tile<const V: usize, const Q: usize, const C: usize>(
        pad: &[f32],
        steps: Steps<'_>,
        rows: &[usize; Q],
        at: &[usize; Q],
        out: &mut Sums<'_>,
    ) {
        let n = steps.offsets.len();
        assert!(
            n == 0 || ((V - 1) * steps.stride + n) * LANES <= steps.vectors.len(),
            "conv2d: a tile's vectors outside their buffer"
        );
        let mut acc = [[[_mm512_setzero_ps(); V]; C]; Q];
        let (base, vectors) = (pad.as_ptr(), steps.vectors.as_ptr());
        for (i, &step) in steps.offsets.iter().enumerate() {
            // SAFETY: the vectors are in bounds by the assertion above (`i < n`, `b < V`); the
            // pad indices by the caller's contract.
            unsafe {
                let v: [__m512; V] =
                    core::array::from_fn(|b| _mm512_loadu_ps(vectors.add((b * steps.stride + i) * LANES)));
                for (acc, &row) in acc.iter_mut().zip(rows) {
                    let p = base.add(step + row);
                    for (r, acc) in acc.iter_mut().enumerate() {
                        let x = _mm512_set1_ps(*p.add(r));
                        for (acc, v) in acc.iter_mut().zip(&v) {
                            *acc = _mm512_fmadd_ps(x, *v, *acc);
                        }
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
                for (b, acc) in acc.iter().enumerate() {
                    let at = (b * out.stride + i + r) * LANES;
                    let v: &mut [f32; LANES] = (&mut out.sums[at..at + LANES]).try_into().expect("a vector");
                    // SAFETY: `v` is 16 floats.
                    unsafe {
                        let sum = if out.add { _mm512_add_ps(*acc, _mm512_loadu_ps(v.as_ptr())) } else { *acc };
                        _mm512_storeu_ps(v.as_mut_ptr(), sum);
                    }
                }
            }
        }
    }
}

/// [`avx512::row_tile`] where the CPU has it (a [`Plan`] exists only there).
///
/// # Safety
/// Every `offsets[i] + rows[q] + C - 1` is an index of `pad`.
unsafe fn row_tile<const V: usize, const Q: usize, const C: usize>(
    pad: &[f32],
    steps: Steps<'_>,
    rows: &[usize; Q],
    at: &[usize; Q],
    out: &mut Sums<'_>,
) {
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    if has_avx512() {
        // SAFETY: the CPU has AVX-512F (checked just above); bounds by the caller's contract.
        return unsafe { avx512::row_tile::<V, Q, C>(pad, steps, rows, at, out) };
    }
    let _ = (pad, steps, rows, at, out);
    unreachable!("conv2d: the channel-vectorised kernel needs AVX-512")
}

/// The most columns of a row tile of `v` blocks.
const fn max_columns(v: usize) -> usize {
    match v {
        1 => 16,
        2 => 12,
        _ => 6,
    }
}

/// Calls `$f::<V, Q, C>($args)` for `V = $blocks` (1, 2 or 4) and `C = $columns` (1 to
/// [`max_columns`]) with `Q` rows chosen so that a tile holds about 24 sums: with its `V`
/// vectors and a broadcast, within the 32 registers, and enough independent sums to hide the
/// multiply-add latency.
macro_rules! by_tile {
    ($blocks:expr, $columns:expr, $f:ident($($arg:expr),* $(,)?)) => {
        match ($blocks, $columns) {
            (1, 1) => $f::<1, 8, 1>($($arg),*),
            (1, 2) => $f::<1, 8, 2>($($arg),*),
            (1, 3) => $f::<1, 8, 3>($($arg),*),
            (1, 4) => $f::<1, 6, 4>($($arg),*),
            (1, 5) => $f::<1, 4, 5>($($arg),*),
            (1, 6) => $f::<1, 4, 6>($($arg),*),
            (1, 7) => $f::<1, 3, 7>($($arg),*),
            (1, 8) => $f::<1, 3, 8>($($arg),*),
            (1, 9) => $f::<1, 2, 9>($($arg),*),
            (1, 10) => $f::<1, 2, 10>($($arg),*),
            (1, 11) => $f::<1, 2, 11>($($arg),*),
            (1, 12) => $f::<1, 2, 12>($($arg),*),
            (1, 13) => $f::<1, 1, 13>($($arg),*),
            (1, 14) => $f::<1, 1, 14>($($arg),*),
            (1, 15) => $f::<1, 1, 15>($($arg),*),
            (1, 16) => $f::<1, 1, 16>($($arg),*),
            (2, 1) => $f::<2, 8, 1>($($arg),*),
            (2, 2) => $f::<2, 6, 2>($($arg),*),
            (2, 3) => $f::<2, 4, 3>($($arg),*),
            (2, 4) => $f::<2, 3, 4>($($arg),*),
            (2, 5) => $f::<2, 2, 5>($($arg),*),
            (2, 6) => $f::<2, 2, 6>($($arg),*),
            (2, 7) => $f::<2, 1, 7>($($arg),*),
            (2, 8) => $f::<2, 1, 8>($($arg),*),
            (2, 9) => $f::<2, 1, 9>($($arg),*),
            (2, 10) => $f::<2, 1, 10>($($arg),*),
            (2, 11) => $f::<2, 1, 11>($($arg),*),
            (2, 12) => $f::<2, 1, 12>($($arg),*),
            (4, 1) => $f::<4, 6, 1>($($arg),*),
            (4, 2) => $f::<4, 3, 2>($($arg),*),
            (4, 3) => $f::<4, 2, 3>($($arg),*),
            (4, 4) => $f::<4, 1, 4>($($arg),*),
            (4, 5) => $f::<4, 1, 5>($($arg),*),
            (4, 6) => $f::<4, 1, 6>($($arg),*),
            (v, c) => unreachable!("conv2d: a tile of {v} blocks and {c} columns"),
        }
    };
}

/// Blocks of [`LANES`] channels per tile for `og` output channels: 4 or 2 where they divide
/// the blocks, else 1.
fn blocks_per_tile(og: usize) -> usize {
    let blocks = og.div_ceil(LANES);
    [4, 2].into_iter().find(|&v| blocks.is_multiple_of(v)).unwrap_or(1)
}

/// Packs rows `o0..o0 + LANES` of `m` (`[rows, n]`; rows past `rows` leave their lanes
/// unspecified) as `n` vectors: `packed[i * LANES + l] = m[(o0 + l) * n + i]`.
fn pack(m: &[f32], rows: usize, n: usize, o0: usize, packed: &mut [f32]) {
    let lanes = LANES.min(rows - o0);
    transpose_f32(&m[o0 * n..], n, lanes, n, packed, LANES);
}

/// What every image of one convolution shares: its geometry, the offset of each tap and the
/// window corner of each output position in the padded input of one group.
#[derive(Debug)]
pub(crate) struct Plan {
    g: Conv2dGeometry,
    /// Output channels per group.
    og: usize,
    groups: usize,
    /// Blocks of [`LANES`] output channels per tile (1, 2 or 4; they divide the group's blocks).
    blocks: usize,
    /// Offset of tap `(c * kh + ki) * kw + kj` from a window's corner (increasing).
    taps: Vec<usize>,
    /// Corner of output position `p`, row-major in the output plane (increasing).
    corners: Vec<usize>,
    /// Height and width of the padded input.
    hp: usize,
    wp: usize,
}

/// Per-thread scratch: one group's padded input, the packed output gradients of a tile's
/// blocks, the sums of a tile's blocks (`[blocks][n][LANES]`), and the weight gradient summed
/// over the images so far (each group's blocks as `[kk][LANES]`).
///
/// Its buffers come from the CPU buffer cache and go back to it when it is dropped: a conv
/// layer's passes make one per thread per call, and fresh pages for them cost page faults and
/// clearing.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    pad: Aligned,
    packed: Aligned,
    sums: Aligned,
    dw: Aligned,
}

/// An f32 buffer (from the CPU buffer cache, and back to it when dropped) whose elements start
/// on a cache line, so that no vector load or store splits across two lines.
#[derive(Debug, Default)]
pub(crate) struct Aligned {
    buf: Vec<f32>,
    start: usize,
    len: usize,
}

impl Aligned {
    /// The buffer with `n` elements, their values unspecified.
    fn sized(&mut self, n: usize) -> &mut [f32] {
        if self.len != n {
            let fresh = crate::cpu::scratch_for_overwrite(n + LANES - 1);
            crate::cpu::recycle_vec(core::mem::replace(&mut self.buf, fresh));
            // The f32s to skip to a 64-byte boundary: at most 15, as `buf` is 4-byte aligned.
            self.start = self.buf.as_ptr().align_offset(LANES * 4);
            self.len = n;
        }
        &mut self.buf[self.start..self.start + n]
    }
}

impl core::ops::Deref for Aligned {
    type Target = [f32];
    fn deref(&self) -> &[f32] {
        &self.buf[self.start..self.start + self.len]
    }
}

impl core::ops::DerefMut for Aligned {
    fn deref_mut(&mut self) -> &mut [f32] {
        &mut self.buf[self.start..self.start + self.len]
    }
}

impl Drop for Aligned {
    fn drop(&mut self) {
        crate::cpu::recycle_vec(core::mem::take(&mut self.buf));
    }
}

impl Plan {
    /// The plan of a convolution of `T` with `og` output channels per group, if this kernel
    /// should compute it: f32 on a CPU with AVX-512, at least most of a vector of output
    /// channels (fewer wastes lanes), and either a contraction (`cg * kh * kw`) and plane small
    /// enough that gemm's packing and call overhead dominate, or row tiles (stride 1 in width)
    /// of several blocks of channels, which reuse each loaded value as often as gemm does.
    pub(crate) fn new<T: ConvElem>(g: &Conv2dGeometry, og: usize, groups: usize) -> Option<Plan> {
        let wide = g.sw == 1 && blocks_per_tile(og) > 1 && !g.is_pointwise();
        Self::build::<T>(g, og, groups, wide || Self::small(g, groups), blocks_per_tile(og))
    }

    /// A contraction (`cg * kh * kw`) and plane small enough that gemm's packing and call
    /// overhead would dominate.
    fn small(g: &Conv2dGeometry, groups: usize) -> bool {
        g.c / groups * g.taps() <= 512 && g.positions() <= 256
    }

    /// The plan of a weight gradient: as [`Plan::new`], and also at any size where the tiles
    /// are row tiles (dilation 1 in width, at most [`max_columns`] taps in a kernel row): they
    /// stream the output gradient in chunks that stay in cache, which is faster than gemm's
    /// packing of im2col's columns.
    pub(crate) fn for_weight<T: ConvElem>(g: &Conv2dGeometry, og: usize, groups: usize) -> Option<Plan> {
        let mut blocks = blocks_per_tile(og);
        while g.kw > max_columns(blocks) && blocks > 1 {
            blocks /= 2;
        }
        let rows = g.dw == 1 && g.kw <= max_columns(blocks) && !g.is_pointwise();
        Self::build::<T>(g, og, groups, rows || Self::small(g, groups), blocks)
    }

    /// The plan where `applies` and this kernel can run: f32, AVX-512, and at least 12 output
    /// channels per group.
    fn build<T: ConvElem>(g: &Conv2dGeometry, og: usize, groups: usize, applies: bool, blocks: usize) -> Option<Plan> {
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
            blocks,
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
    fn pad_group<'a>(&self, x: &[f32], gi: usize, pad: &'a mut Aligned) -> &'a [f32] {
        let cg = self.g.c / self.groups;
        let pad = pad.sized(cg * self.hp * self.wp);
        pad_channels(x, &self.g, gi * cg, self.hp, self.wp, pad);
        pad
    }

    /// Steps per chunk: as many as keep a chunk's vectors (one per block) within
    /// [`CHUNK_VECTORS`].
    fn chunk(&self) -> usize {
        CHUNK_VECTORS / self.blocks
    }

    /// The weights (`[o, c / groups, kh, kw]`) as each group's blocks of [`LANES`] channels, one
    /// vector per tap: what [`Plan::forward_image`] takes.
    pub(crate) fn pack_weights(&self, w: &[f32]) -> Aligned {
        let kk = self.taps.len();
        let mut packed = Aligned::default();
        let mut blocks = packed.sized(self.groups * self.og.div_ceil(LANES) * kk * LANES).chunks_exact_mut(kk * LANES);
        for w_g in w.chunks_exact(self.og * kk) {
            for o0 in (0..self.og).step_by(LANES) {
                pack(w_g, self.og, kk, o0, blocks.next().expect("a block of every group"));
            }
        }
        packed
    }

    /// One image's convolution: `x` is `[c, h, w]`, `weights` from [`Plan::pack_weights`], `out`
    /// is `[o, oh * ow]` (every element written).
    pub(crate) fn forward_image(&self, x: &[f32], weights: &[f32], out: &mut [f32], s: &mut Scratch) {
        let (l, og, kk) = (self.corners.len(), self.og, self.taps.len());
        let mut tiles = weights.chunks_exact(self.blocks * kk * LANES);
        // Bands of output rows whose sums stay in L2 while every chunk of taps adds to them.
        let band = (BAND_BYTES / (self.blocks * self.g.ow * LANES * 4)).max(1);
        s.sums.sized(self.blocks * l * LANES);
        for (gi, out_g) in out.chunks_exact_mut(og * l).enumerate() {
            let pad = self.pad_group(x, gi, &mut s.pad);
            for o0 in (0..og).step_by(self.blocks * LANES) {
                let tile = tiles.next().expect("packed weights of every block");
                for oh0 in (0..self.g.oh).step_by(band) {
                    let rows = oh0..(oh0 + band).min(self.g.oh);
                    for k0 in (0..kk).step_by(self.chunk()) {
                        let offsets = &self.taps[k0..(k0 + self.chunk()).min(kk)];
                        let steps = Steps { offsets, vectors: &tile[k0 * LANES..], stride: kk };
                        let out = &mut Sums { sums: &mut s.sums, stride: l, add: k0 > 0 };
                        self.forward_chunk(pad, steps, out, rows.clone());
                    }
                }
                for (b, sums) in s.sums.chunks_exact(l * LANES).enumerate() {
                    let o0 = o0 + b * LANES;
                    let lanes = LANES.min(og - o0);
                    transpose_f32(sums, LANES, l, lanes, &mut out_g[o0 * l..(o0 + lanes) * l], l);
                }
            }
        }
    }

    /// One chunk of taps of the forward of the output positions in `rows`. Stride 1 in width:
    /// row tiles of the output width in equal chunks of at most `max_columns`, and one narrower
    /// tile for what is left (tiles must not overlap: a chunk after the first adds to the
    /// sums); else general tiles.
    fn forward_chunk(&self, pad: &[f32], steps: Steps<'_>, out: &mut Sums<'_>, rows: Range<usize>) {
        let (g, blocks) = (&self.g, self.blocks);
        if g.sw != 1 {
            let positions = rows.start * g.ow..rows.end * g.ow;
            return by_tile!(blocks, 1, general_tiles(pad, steps, out, &self.corners, positions));
        }
        let columns = g.ow.div_ceil(g.ow.div_ceil(max_columns(blocks)));
        let full = g.ow / columns * columns;
        by_tile!(blocks, columns, forward_rows(self, pad, steps, out, rows.clone(), 0..full));
        if full < g.ow {
            by_tile!(blocks, g.ow - full, forward_rows(self, pad, steps, out, rows, full..g.ow));
        }
    }

    /// Adds one image's weight gradient to the sums in `s`: `gr` is the output gradient
    /// `[o, oh * ow]`, `x` the input `[c, h, w]`. [`Plan::weight_finish`] adds them to the
    /// gradient.
    pub(crate) fn weight_image(&self, gr: &[f32], x: &[f32], s: &mut Scratch) {
        let (l, og, kk) = (self.corners.len(), self.og, self.taps.len());
        let by_rows = self.g.dw == 1 && self.g.kw <= max_columns(self.blocks);
        if s.dw.is_empty() {
            s.dw.sized(self.groups * og.div_ceil(LANES) * kk * LANES).fill(0.0);
        }
        s.packed.sized(self.blocks * l * LANES);
        let mut tiles = s.dw.chunks_exact_mut(self.blocks * kk * LANES);
        for (gi, gr_g) in gr.chunks_exact(og * l).enumerate() {
            let pad = self.pad_group(x, gi, &mut s.pad);
            for o0 in (0..og).step_by(self.blocks * LANES) {
                for (b, packed) in s.packed.chunks_exact_mut(l * LANES).enumerate() {
                    pack(gr_g, og, l, o0 + b * LANES, packed);
                }
                let sums = tiles.next().expect("sums of every block");
                for p0 in (0..l).step_by(self.chunk()) {
                    let offsets = &self.corners[p0..(p0 + self.chunk()).min(l)];
                    let steps = Steps { offsets, vectors: &s.packed[p0 * LANES..], stride: l };
                    let out = &mut Sums { sums: &mut *sums, stride: kk, add: true };
                    if by_rows {
                        by_tile!(self.blocks, self.g.kw, weight_rows(self, pad, steps, out));
                    } else {
                        by_tile!(self.blocks, 1, general_tiles(pad, steps, out, &self.taps, 0..kk));
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
                let packed = s.packed.sized(lanes * kk);
                transpose_f32(sums, LANES, kk, lanes, packed, kk);
                for (d, &v) in dw_g[o0 * kk..(o0 + lanes) * kk].iter_mut().zip(&*packed) {
                    *d += v;
                }
            }
        }
        s.dw = Aligned::default();
    }
}

/// Row tiles of `Q` output rows by `C` consecutive output columns (stride 1 in width) over
/// the output `rows` and `columns` (a multiple of `C` wide); a last partial tile repeats the
/// last row, stored once.
fn forward_rows<const V: usize, const Q: usize, const C: usize>(
    plan: &Plan,
    pad: &[f32],
    steps: Steps<'_>,
    out: &mut Sums<'_>,
    rows: Range<usize>,
    columns: Range<usize>,
) {
    let g = &plan.g;
    for oh0 in rows.clone().step_by(Q) {
        for ow0 in columns.clone().step_by(C) {
            let at: [usize; Q] = core::array::from_fn(|q| (oh0 + q).min(rows.end - 1) * g.ow + ow0);
            // SAFETY: every row starts at a corner and its `C` columns are consecutive corners
            // of one output row (stride 1, `ow0 + C <= ow`), so each index is a tap plus a
            // corner: `build` checked the largest against the padded input.
            unsafe { row_tile::<V, Q, C>(pad, steps, &at.map(|p| plan.corners[p]), &at, out) };
        }
    }
}

/// General tiles of `Q` of the `items` (output positions for the forward, taps for the weight
/// gradient) at any stride or dilation, each at its offset in `offsets` (corners or taps); `C`
/// is 1. A last partial tile repeats the last item, stored once.
fn general_tiles<const V: usize, const Q: usize, const C: usize>(
    pad: &[f32],
    steps: Steps<'_>,
    out: &mut Sums<'_>,
    offsets: &[usize],
    items: Range<usize>,
) {
    for i0 in items.clone().step_by(Q) {
        let at: [usize; Q] = core::array::from_fn(|q| (i0 + q).min(items.end - 1));
        // SAFETY: each index is a step's offset plus an item's (a tap plus a corner), checked
        // by `build`.
        unsafe { row_tile::<V, Q, 1>(pad, steps, &at.map(|i| offsets[i]), &at, out) };
    }
}

/// The weight gradient in row tiles of `Q` kernel rows (`(c, ki)`) by `C = kw` taps (dilation
/// 1 in width). A last partial tile repeats the last kernel row: its copies add the same sums
/// to the same place, stored once.
fn weight_rows<const V: usize, const Q: usize, const C: usize>(
    plan: &Plan,
    pad: &[f32],
    steps: Steps<'_>,
    out: &mut Sums<'_>,
) {
    let kernel_rows = plan.taps.len() / C;
    for k0 in (0..kernel_rows).step_by(Q) {
        let at: [usize; Q] = core::array::from_fn(|q| (k0 + q).min(kernel_rows - 1) * C);
        // SAFETY: every row is the first tap of a kernel row, whose `C` taps are consecutive
        // (dilation 1): each index is a corner plus a tap, checked by `build`.
        unsafe { row_tile::<V, Q, C>(pad, steps, &at.map(|t| plan.taps[t]), &at, out) };
    }
}
