//! Max pooling's forward kernel. Which element of a window wins is data-dependent, so a
//! branchy loop mispredicts half the time. Here a row of outputs is updated one tap at a time
//! (no dependency from one tap to the next), in chunks of [`V`] outputs whose value and index
//! are chosen by bit masks, which vectorise (selects would become branches); the running index
//! has the value's width (i32 beside f32). Taps are visited in row-major order with a strict
//! `>`, so the first maximum wins and NaN wins over numbers, as in PyTorch. Compiled for AVX2
//! (chosen at run time) and for the baseline target; the common 2×2 / stride 2 case has an
//! AVX-512 kernel for f32 ([`avx512`]).

use crate::backend::Conv2dGeometry;
use crate::cpu::FloatElem;
use alloc::vec;
use alloc::vec::Vec;

/// Outputs updated together.
const V: usize = 8;

/// A float with a same-width index type and a mask blend.
pub(crate) trait MaxElem: FloatElem {
    /// The running index while a row is built.
    type I: Copy + Default + Send + Sync;
    /// A lane mask of the value's width.
    type M: Copy + Default;
    /// Whether every index of a plane of `n` elements fits in [`Self::I`].
    fn fits(n: usize) -> bool;
    /// `v` as an index.
    fn ix(v: usize) -> Self::I;
    /// The index as i64.
    fn wide(i: Self::I) -> i64;
    /// All ones when `win`, else zero.
    fn mask(win: bool) -> Self::M;
    /// `m ? (e, at) : (v, i)`, with bit operations rather than a branch.
    fn blend(m: Self::M, e: Self, at: Self::I, v: Self, i: Self::I) -> (Self, Self::I);
    /// [`plane_quad`] in SIMD registers, where this type and the CPU have them: false when it
    /// did not run. `x` is a plane of rows of `w`, with `oh × ow` 2×2 windows inside it.
    fn quad_simd(_x: &[Self], _w: usize, _out: (usize, usize), _vals: &mut [Self], _idx: &mut [i64]) -> bool {
        false
    }
    /// The gradient of one plane `dx` (`h × w`) of 2×2 windows at stride 2 (`oh × ow` of them
    /// inside it) in SIMD registers, every element written, where this type and the CPU have
    /// them: false when it did not run or an index (each in `0..h * w`) is not in its window.
    fn quad_backward_simd(_gr: &[Self], _idx: &[i64], _out: (usize, usize), _w: usize, _dx: &mut [Self]) -> bool {
        false
    }
}

impl MaxElem for f32 {
    type I = i32;
    type M = u32;
    fn fits(n: usize) -> bool {
        n <= i32::MAX as usize
    }
    #[inline(always)]
    fn ix(v: usize) -> i32 {
        v as i32
    }
    #[inline(always)]
    fn wide(i: i32) -> i64 {
        i as i64
    }
    #[inline(always)]
    fn mask(win: bool) -> u32 {
        (win as u32).wrapping_neg()
    }
    #[inline(always)]
    fn blend(m: u32, e: f32, at: i32, v: f32, i: i32) -> (f32, i32) {
        (f32::from_bits((e.to_bits() & m) | (v.to_bits() & !m)), (at & m as i32) | (i & !m as i32))
    }
    fn quad_simd(x: &[f32], w: usize, out: (usize, usize), vals: &mut [f32], idx: &mut [i64]) -> bool {
        #[cfg(all(feature = "std", target_arch = "x86_64"))]
        if std::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has AVX-512F (the kernel checks its bounds itself).
            unsafe { avx512::plane_quad(x, w, out, vals, idx) };
            return true;
        }
        let _ = (x, w, out, vals, idx);
        false
    }
    fn quad_backward_simd(gr: &[f32], idx: &[i64], out: (usize, usize), w: usize, dx: &mut [f32]) -> bool {
        #[cfg(all(feature = "std", target_arch = "x86_64"))]
        if std::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has AVX-512F (the kernel checks its bounds itself).
            return unsafe { avx512::plane_quad_backward(gr, idx, out, w, dx) };
        }
        let _ = (gr, idx, out, w, dx);
        false
    }
}

impl MaxElem for f64 {
    type I = i64;
    type M = u64;
    fn fits(_: usize) -> bool {
        true
    }
    #[inline(always)]
    fn ix(v: usize) -> i64 {
        v as i64
    }
    #[inline(always)]
    fn wide(i: i64) -> i64 {
        i
    }
    #[inline(always)]
    fn mask(win: bool) -> u64 {
        (win as u64).wrapping_neg()
    }
    #[inline(always)]
    fn blend(m: u64, e: f64, at: i64, v: f64, i: i64) -> (f64, i64) {
        (f64::from_bits((e.to_bits() & m) | (v.to_bits() & !m)), (at & m as i64) | (i & !m as i64))
    }
}

/// The outputs `o` in `0..n` whose input `o * s + off` lies in `0..len`.
#[inline]
fn valid(n: usize, s: usize, off: isize, len: usize) -> (usize, usize) {
    let lo = if off >= 0 { 0 } else { (-off) as usize }.div_ceil(s);
    let hi = if off >= len as isize { 0 } else { ((len as isize - 1 - off) as usize) / s + 1 };
    (lo.min(hi.min(n)), hi.min(n))
}

/// The clipped taps of window `o` along one dim: (first tap inside the input, end).
#[inline]
pub(crate) fn taps(o: usize, s: usize, p: usize, k: usize, d: usize, len: usize) -> (usize, usize) {
    let start = (o * s) as isize - p as isize;
    let end = (start + ((k - 1) * d + 1) as isize).min(len as isize);
    let mut first = start;
    while first < 0 {
        first += d as isize;
    }
    (first as usize, end.max(0) as usize)
}

/// One tap over [`V`] outputs: `v[l]` against `e[l]`, whose index is `at + l * sw`.
#[inline(always)]
fn chunk<T: MaxElem>(e: &[T; V], at: usize, sw: usize, v: &mut [T; V], i: &mut [T::I; V]) {
    chunk_at(e, &core::array::from_fn(|l| at + l * sw), v, i)
}

/// One tap over [`V`] outputs: `v[l]` against `e[l]`, whose index is `at[l]`.
#[inline(always)]
fn chunk_at<T: MaxElem>(e: &[T; V], at: &[usize; V], v: &mut [T; V], i: &mut [T::I; V]) {
    // The masks first, in their own loop: computed inline, the blends fold back into selects,
    // which LLVM turns into branches.
    let mut m = [T::M::default(); V];
    for (m, (&e, &v)) in m.iter_mut().zip(e.iter().zip(v.iter())) {
        *m = T::mask((e > v) | e.is_nan());
    }
    for l in 0..V {
        (v[l], i[l]) = T::blend(m[l], e[l], T::ix(at[l]), v[l], i[l]);
    }
}

/// One tap over a row of outputs: output `k` against `src[k * sw]`, whose index in the plane
/// is `at + k * sw`. An update is idempotent, so the last chunk may overlap the one before it.
#[inline(always)]
fn tap<T: MaxElem, const SW: usize>(src: &[T], sw: usize, at: usize, vals: &mut [T], idx: &mut [T::I]) {
    let sw = if SW == 0 { sw } else { SW };
    let n = vals.len();
    if n < V {
        // A short row: padded with -inf, which never wins.
        let (mut e, mut v, mut i) = ([T::neg_infinity(); V], [T::neg_infinity(); V], [T::I::default(); V]);
        for l in 0..n {
            (e[l], v[l], i[l]) = (src[l * sw], vals[l], idx[l]);
        }
        chunk(&e, at, sw, &mut v, &mut i);
        vals.copy_from_slice(&v[..n]);
        idx.copy_from_slice(&i[..n]);
        return;
    }
    let mut k = 0;
    loop {
        let k0 = k.min(n - V);
        let s = &src[k0 * sw..k0 * sw + (V - 1) * sw + 1];
        let mut e = [T::zero(); V];
        for (l, e) in e.iter_mut().enumerate() {
            *e = s[l * sw];
        }
        let v: &mut [T; V] = (&mut vals[k0..k0 + V]).try_into().expect("chunk");
        let i: &mut [T::I; V] = (&mut idx[k0..k0 + V]).try_into().expect("chunk");
        chunk(&e, at + k0 * sw, sw, v, i);
        if k0 == n - V {
            break;
        }
        k += V;
    }
}

#[inline(always)]
fn plane<T: MaxElem>(x: &[T], g: &Conv2dGeometry, vals: &mut [T], idx: &mut [i64], first: &[usize]) {
    let (vals, idx) = (&mut vals[..g.oh * g.ow], &mut idx[..g.oh * g.ow]);
    let mut row_idx = vec![T::I::default(); g.ow];
    for (oh, (vrow, irow)) in vals.chunks_exact_mut(g.ow).zip(idx.chunks_exact_mut(g.ow)).enumerate() {
        let (h0, h1) = taps(oh, g.sh, g.ph, g.kh, g.dh, g.h);
        vrow.fill(T::neg_infinity());
        for (i, &w0) in row_idx.iter_mut().zip(first) {
            *i = T::ix(h0 * g.w + w0);
        }
        for ih in (h0..h1).step_by(g.dh) {
            let row = &x[ih * g.w..(ih + 1) * g.w];
            for kj in 0..g.kw {
                let off = (kj * g.dw) as isize - g.pw as isize;
                let (lo, hi) = valid(g.ow, g.sw, off, g.w);
                if lo < hi {
                    let start = ((lo * g.sw) as isize + off) as usize;
                    let (src, at) = (&row[start..], ih * g.w + start);
                    let (v, i) = (&mut vrow[lo..hi], &mut row_idx[lo..hi]);
                    match g.sw {
                        1 => tap::<T, 1>(src, 1, at, v, i),
                        2 => tap::<T, 2>(src, 2, at, v, i),
                        sw => tap::<T, 0>(src, sw, at, v, i),
                    }
                }
            }
        }
        for (o, &i) in irow.iter_mut().zip(&row_idx) {
            *o = T::wide(i);
        }
    }
}

/// How [`max_plane`] walks a plane's windows: computed once per call, shared by every plane.
#[derive(Debug)]
pub(crate) enum Windows {
    /// 2×2 windows at stride 2, all inside the plane (no padding, dilation 1, at least [`V`]
    /// outputs, fewer than 2^31 elements): the input index of each window's top-left element.
    Quad(Vec<u32>),
    /// Any other geometry: the first input column each output column's window reads.
    General(Vec<usize>),
}

/// Whether `g` pools 2×2 windows at stride 2 that all lie inside a plane of fewer than 2^31
/// elements (no padding, dilation 1, no partial window of ceil mode): each input element is
/// then in at most one window.
pub(crate) fn is_quad(g: &Conv2dGeometry) -> bool {
    let quad = (g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw) == (2, 2, 2, 2, 0, 0, 1, 1);
    quad && 2 * g.oh <= g.h && 2 * g.ow <= g.w && g.h * g.w <= i32::MAX as usize
}

impl Windows {
    pub(crate) fn new(g: &Conv2dGeometry) -> Windows {
        if is_quad(g) && g.oh * g.ow >= V {
            let corner = |q: usize| (2 * (q / g.ow) * g.w + 2 * (q % g.ow)) as u32;
            return Windows::Quad((0..g.oh * g.ow).map(corner).collect());
        }
        Windows::General((0..g.ow).map(|o| taps(o, g.sw, g.pw, g.kw, g.dw, g.w).0).collect())
    }
}

/// 2×2 windows at stride 2 inside the plane: [`V`] outputs at a time (the last chunk overlaps
/// the one before it), all four taps in registers, in the general path's order (row-major, a
/// later tap wins only when greater or NaN).
#[inline(always)]
fn plane_quad<T: MaxElem>(x: &[T], w: usize, corners: &[u32], vals: &mut [T], idx: &mut [i64]) {
    let n = corners.len();
    let mut q = 0;
    loop {
        let q0 = q.min(n - V);
        let at: [usize; V] = core::array::from_fn(|l| corners[q0 + l] as usize);
        let mut v: [T; V] = core::array::from_fn(|l| x[at[l]]);
        let mut i: [T::I; V] = core::array::from_fn(|l| T::ix(at[l]));
        for d in [1, w, w + 1] {
            let tap: [usize; V] = core::array::from_fn(|l| at[l] + d);
            chunk_at(&core::array::from_fn(|l| x[tap[l]]), &tap, &mut v, &mut i);
        }
        vals[q0..q0 + V].copy_from_slice(&v);
        for (o, &i) in idx[q0..q0 + V].iter_mut().zip(&i) {
            *o = T::wide(i);
        }
        if q0 == n - V {
            break;
        }
        q += V;
    }
}

/// [`plane_quad`] for f32 with AVX-512: 16 windows of an output row at a time, from two
/// 32-element loads per input row split into even and odd columns by permutes. (Gathers, one per
/// tap, were slower than the scalar loop on this CPU: about 66 cycles each.)
#[cfg(all(feature = "std", target_arch = "x86_64"))]
mod avx512 {
    use core::arch::x86_64::*;

    /// Lanes `0..n` (`n` at most 16).
    #[inline(always)]
    fn lanes(n: usize) -> __mmask16 {
        ((1u32 << n) - 1) as __mmask16
    }

    /// Up to 16 windows of one output row, as both kernels walk them.
    struct Chunk {
        /// Input index of the first window's top-left element.
        at: usize,
        /// Output index of the first window.
        out: usize,
        /// The chunk's windows (outputs).
        m: __mmask16,
        /// The input columns they cover, in the first and second 16 of the 32 read per row.
        m_lo: __mmask16,
        m_hi: __mmask16,
    }

    /// The chunks of `oh × ow` windows over a plane with rows of `w`, row by row.
    #[inline(always)]
    fn chunks(oh: usize, ow: usize, w: usize) -> impl Iterator<Item = Chunk> {
        (0..oh).flat_map(move |r| {
            (0..ow).step_by(16).map(move |o0| {
                let cnt = (ow - o0).min(16);
                Chunk {
                    at: 2 * r * w + 2 * o0,
                    out: r * ow + o0,
                    m: lanes(cnt),
                    m_lo: lanes((2 * cnt).min(16)),
                    m_hi: lanes((2 * cnt).saturating_sub(16)),
                }
            })
        })
    }

    /// Windows `oh × ow` of a plane `x` with rows of `w` elements into `vals` and `idx`.
    ///
    /// # Safety
    /// AVX-512F is available.
    ///
    /// # Panics
    /// If the windows do not fit in the plane (`2 * oh` rows, `2 * ow <= w` columns, fewer than
    /// 2^31 elements) or `vals` and `idx` hold fewer than `oh * ow` elements.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn plane_quad(x: &[f32], w: usize, (oh, ow): (usize, usize), vals: &mut [f32], idx: &mut [i64]) {
        assert!(2 * ow <= w && 2 * oh * w <= x.len() && x.len() <= i32::MAX as usize);
        assert!(vals.len() >= oh * ow && idx.len() >= oh * ow);
        let even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        let odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
        for Chunk { at, out, m, m_lo, m_hi } in chunks(oh, ow, w) {
            // SAFETY: the loads read the chunk's columns (masked lanes are not read) of its two
            // input rows, inside `x` by the assertions; the stores write its outputs (masked),
            // inside `vals` and `idx`.
            unsafe {
                let split = |at: usize| {
                    let lo = _mm512_maskz_loadu_ps(m_lo, x.as_ptr().add(at));
                    let hi = _mm512_maskz_loadu_ps(m_hi, x.as_ptr().add(at + 16));
                    (_mm512_permutex2var_ps(lo, even, hi), _mm512_permutex2var_ps(lo, odd, hi))
                };
                let ((a, b), (c, d)) = (split(at), split(at + w));
                let corner = _mm512_add_epi32(_mm512_set1_epi32(at as i32), even);
                let (mut v, mut i) = (a, corner);
                // The other taps in row-major order: a later tap wins only when greater or NaN.
                // Lanes past the chunk compare zeros and are never stored.
                for (e, d) in [(b, 1), (c, w), (d, w + 1)] {
                    let win = _mm512_cmp_ps_mask::<_CMP_GT_OQ>(e, v) | _mm512_cmp_ps_mask::<_CMP_UNORD_Q>(e, e);
                    let tap = _mm512_add_epi32(corner, _mm512_set1_epi32(d as i32));
                    (v, i) = (_mm512_mask_blend_ps(win, v, e), _mm512_mask_blend_epi32(win, i, tap));
                }
                _mm512_mask_storeu_ps(vals.as_mut_ptr().add(out), m, v);
                let (lo, hi) = (_mm512_castsi512_si256(i), _mm512_extracti64x4_epi64::<1>(i));
                _mm512_mask_storeu_epi64(idx.as_mut_ptr().add(out), m as u8, _mm512_cvtepi32_epi64(lo));
                _mm512_mask_storeu_epi64(idx.as_mut_ptr().add(out + 8), (m >> 8) as u8, _mm512_cvtepi32_epi64(hi));
            }
        }
    }

    /// The gradient of a plane of rows of `w` from `oh × ow` windows (`gr`, `idx`): each window's
    /// four elements get the gradient where its index points and 0 elsewhere (even and odd
    /// columns interleaved back by permutes), and the rows and columns outside every window 0.
    /// False, with `dx` partly written, if an index is not in its window. The indices must lie
    /// in `0..dx.len()` (the caller checks them all once): they are compared as i32.
    ///
    /// # Safety
    /// AVX-512F is available.
    ///
    /// # Panics
    /// If the windows do not fit in `dx` (as [`plane_quad`]), or `gr` or `idx` hold fewer than
    /// `oh * ow` elements.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn plane_quad_backward(
        gr: &[f32],
        idx: &[i64],
        (oh, ow): (usize, usize),
        w: usize,
        dx: &mut [f32],
    ) -> bool {
        assert!(2 * ow <= w && 2 * oh * w <= dx.len() && dx.len() <= i32::MAX as usize);
        assert!(gr.len() >= oh * ow && idx.len() >= oh * ow);
        debug_assert!(idx[..oh * ow].iter().all(|&i| 0 <= i && (i as usize) < dx.len()));
        let even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        let first = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
        let second = _mm512_add_epi32(first, _mm512_set1_epi32(8));
        for Chunk { at, out, m, m_lo, m_hi } in chunks(oh, ow, w) {
            // SAFETY: reads the chunk's outputs of `gr` and `idx` and writes its columns of its
            // two rows of `dx` (masked lanes are not touched), inside the slices by the
            // assertions.
            unsafe {
                let g = _mm512_maskz_loadu_ps(m, gr.as_ptr().add(out));
                let i_lo = _mm512_maskz_loadu_epi64(m as u8, idx.as_ptr().add(out).cast());
                let i_hi = _mm512_maskz_loadu_epi64((m >> 8) as u8, idx.as_ptr().add(out + 8).cast());
                let i = _mm512_inserti64x4::<1>(
                    _mm512_castsi256_si512(_mm512_cvtepi64_epi32(i_lo)),
                    _mm512_cvtepi64_epi32(i_hi),
                );
                let corner = _mm512_add_epi32(_mm512_set1_epi32(at as i32), even);
                let hit = |d: usize| _mm512_cmpeq_epi32_mask(i, _mm512_add_epi32(corner, _mm512_set1_epi32(d as i32)));
                let (a, b, c, d) = (hit(0), hit(1), hit(w), hit(w + 1));
                if (a | b | c | d) & m != m {
                    return false;
                }
                let mut store = |row: usize, e: __mmask16, o: __mmask16| {
                    let (e, o) = (_mm512_maskz_mov_ps(e, g), _mm512_maskz_mov_ps(o, g));
                    let p = dx.as_mut_ptr().add(row);
                    _mm512_mask_storeu_ps(p, m_lo, _mm512_permutex2var_ps(e, first, o));
                    _mm512_mask_storeu_ps(p.add(16), m_hi, _mm512_permutex2var_ps(e, second, o));
                };
                store(at, a, b);
                store(at + w, c, d);
            }
        }
        // Columns right of the last window, then rows below it.
        if 2 * ow < w {
            dx[..2 * oh * w].chunks_exact_mut(w).for_each(|row| row[2 * ow..].fill(0.0));
        }
        dx[2 * oh * w..].fill(0.0);
        true
    }
}

/// The plain loop, for planes whose indices do not fit the narrow index type.
fn plane_wide<T: FloatElem>(x: &[T], g: &Conv2dGeometry, vals: &mut [T], idx: &mut [i64]) {
    for oh in 0..g.oh {
        let (h0, h1) = taps(oh, g.sh, g.ph, g.kh, g.dh, g.h);
        for ow in 0..g.ow {
            let (w0, w1) = taps(ow, g.sw, g.pw, g.kw, g.dw, g.w);
            let (mut best, mut at) = (T::neg_infinity(), h0 * g.w + w0);
            for ih in (h0..h1).step_by(g.dh) {
                for iw in (w0..w1).step_by(g.dw) {
                    let e = x[ih * g.w + iw];
                    if e > best || e.is_nan() {
                        (best, at) = (e, ih * g.w + iw);
                    }
                }
            }
            (vals[oh * g.ow + ow], idx[oh * g.ow + ow]) = (best, at as i64);
        }
    }
}

#[cfg(all(feature = "std", any(target_arch = "x86", target_arch = "x86_64")))]
#[target_feature(enable = "avx2")]
fn plane_avx2<T: MaxElem>(x: &[T], g: &Conv2dGeometry, vals: &mut [T], idx: &mut [i64], windows: &Windows) {
    plane_any(x, g, vals, idx, windows)
}

#[inline(always)]
fn plane_any<T: MaxElem>(x: &[T], g: &Conv2dGeometry, vals: &mut [T], idx: &mut [i64], windows: &Windows) {
    match windows {
        Windows::Quad(corners) => {
            if !T::quad_simd(x, g.w, (g.oh, g.ow), vals, idx) {
                plane_quad(x, g.w, corners, vals, idx)
            }
        }
        Windows::General(first) => plane(x, g, vals, idx, first),
    }
}

/// Max pooling of one plane `x` (`[h, w]`) into `vals` and `idx` (`[oh, ow]`), walked as
/// `windows` says (made by [`Windows::new`] for `g`).
pub(crate) fn max_plane<T: MaxElem>(x: &[T], g: &Conv2dGeometry, vals: &mut [T], idx: &mut [i64], windows: &Windows) {
    if !T::fits(g.h * g.w) {
        return plane_wide(x, g, vals, idx);
    }
    #[cfg(all(feature = "std", any(target_arch = "x86", target_arch = "x86_64")))]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2 (checked just above), the only requirement of `plane_avx2`,
        // whose body is safe code.
        unsafe { plane_avx2(x, g, vals, idx, windows) };
        return;
    }
    plane_any(x, g, vals, idx, windows)
}
