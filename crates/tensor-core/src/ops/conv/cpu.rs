//! CPU kernels for 2-d convolution: im2col/col2im and conv forward/backward, and the choice of
//! kernel by shape: the channel-vectorised kernel (`lanes`), the direct kernels (`direct`,
//! `direct_weight`), one gemm per tap (`taps`), else im2col + gemm as below.
//!
//! Every pass works image by image on bands of output rows: the band's columns (im2col) are
//! built in a small per-thread buffer that stays in cache, and one gemm per group consumes them,
//! so no `[c * kh * kw, oh * ow]` matrix is ever materialised for a whole batch. A 1x1 kernel
//! with stride 1 and no padding skips im2col. Batches of at least as many images as threads run
//! one image per task (gemm single-threaded); smaller batches let gemm use every thread.
//! f32 and f64 compute natively; f16 and bf16 through f32.

use super::im2col::{col2im as col2im_band, gemm, im2col as im2col_band, ConvElem, Mat};
use super::{direct, direct_weight, lanes, taps};
use crate::backend::Conv2dGeometry;
use crate::backend::{ConvOps, Storage};
use crate::cpu::CpuStorage;
use crate::ops::copy::cpu::{cast, gather_scratch, gather_vec};
use crate::{bail, DType, Element, Layout, Result};
use alloc::borrow::Cow;
use alloc::vec;
use alloc::vec::Vec;

impl ConvOps<Storage> for CpuStorage {
    #[track_caller]
    fn im2col(&self, layout: &Layout, g: &Conv2dGeometry) -> Result<Storage> {
        im2col(self, layout, g).map(Storage::new)
    }
    #[track_caller]
    fn col2im(&self, layout: &Layout, g: &Conv2dGeometry) -> Result<Storage> {
        col2im(self, layout, g).map(Storage::new)
    }
    #[track_caller]
    fn conv2d(&self, layout: &Layout, w: &Storage, wl: &Layout, g: &Conv2dGeometry, groups: usize) -> Result<Storage> {
        conv2d(self, layout, w.cpu("conv2d")?, wl, g, groups).map(Storage::new)
    }
    #[track_caller]
    fn conv2d_backward_input(
        &self,
        layout: &Layout,
        w: &Storage,
        wl: &Layout,
        g: &Conv2dGeometry,
        groups: usize,
    ) -> Result<Storage> {
        conv2d_backward_input(self, layout, w.cpu("conv2d_backward_input")?, wl, g, groups).map(Storage::new)
    }
    #[track_caller]
    fn conv2d_backward_weight(
        &self,
        layout: &Layout,
        x: &Storage,
        xl: &Layout,
        g: &Conv2dGeometry,
        groups: usize,
        out_channels: usize,
    ) -> Result<Storage> {
        conv2d_backward_weight(self, layout, x.cpu("conv2d_backward_weight")?, xl, g, groups, out_channels)
            .map(Storage::new)
    }
}

/// The elements of `v[layout]`, contiguous: borrowed when they already are.
#[track_caller]
pub(crate) fn contig<'a, T: Element>(v: &'a [T], layout: &Layout) -> Result<Cow<'a, [T]>> {
    Ok(match layout.contiguous_range() {
        Some((a, b)) => Cow::Borrowed(&v[a..b]),
        None => Cow::Owned(gather_vec(v, layout)?),
    })
}

/// The elements of `s[layout]` as a contiguous f32 `Vec`.
#[track_caller]
pub(crate) fn to_f32(s: &CpuStorage, layout: &Layout) -> Result<Vec<f32>> {
    match cast(s, layout, DType::F32)? {
        CpuStorage::F32(v) => Ok(v),
        _ => unreachable!("cast to f32 gives f32"),
    }
}

/// An f32 result converted back to `dtype`.
#[track_caller]
pub(crate) fn from_f32(v: Vec<f32>, dtype: DType) -> Result<CpuStorage> {
    let n = v.len();
    cast(&CpuStorage::F32(v), &Layout::contiguous([n]), dtype)
}

/// A batched operand (`[n, ...]`), read one image at a time: a strided one (a permuted view, or
/// the broadcast gradient of `.sum()`) is gathered image by image into small buffers instead of
/// being copied whole.
#[derive(Debug)]
pub(crate) enum Batch<'a, T> {
    /// Contiguous elements.
    Dense(&'a [T]),
    /// The storage and the operand's layout.
    Strided(&'a [T], &'a Layout),
}

impl<'a, T: Element> Batch<'a, T> {
    pub(crate) fn new(v: &'a [T], layout: &'a Layout) -> Self {
        match layout.contiguous_range() {
            Some((a, b)) => Batch::Dense(&v[a..b]),
            None => Batch::Strided(v, layout),
        }
    }
    /// The contiguous elements of image `i` (`per` elements).
    pub(crate) fn image(&self, i: usize, per: usize) -> Cow<'a, [T]> {
        match *self {
            Batch::Dense(s) => Cow::Borrowed(&s[i * per..(i + 1) * per]),
            Batch::Strided(v, l) => Cow::Owned(gather_scratch(v, &l.narrow(0, i as isize, 1).expect("image in range"))),
        }
    }
    /// Every element, contiguous.
    pub(crate) fn whole(&self) -> Cow<'a, [T]> {
        match *self {
            Batch::Dense(s) => Cow::Borrowed(s),
            Batch::Strided(v, l) => Cow::Owned(gather_scratch(v, l)),
        }
    }
}

/// Runs `$body` (which yields a `Vec` of the element type) with `$x`, `$y` bound to [`Batch`]es
/// of two float storages of one dtype; f16/bf16 go through f32.
macro_rules! float2 {
    ($op:expr, ($a:expr, $al:expr), ($b:expr, $bl:expr), |$x:ident, $y:ident| $body:expr) => {{
        let (a, b): (&CpuStorage, &CpuStorage) = ($a, $b);
        match (a, b) {
            (CpuStorage::F32(av), CpuStorage::F32(bv)) => {
                let ($x, $y) = (Batch::new(av, $al), Batch::new(bv, $bl));
                CpuStorage::F32($body)
            }
            (CpuStorage::F64(av), CpuStorage::F64(bv)) => {
                let ($x, $y) = (Batch::new(av, $al), Batch::new(bv, $bl));
                CpuStorage::F64($body)
            }
            (CpuStorage::F16(_), CpuStorage::F16(_)) | (CpuStorage::BF16(_), CpuStorage::BF16(_)) => {
                let (xa, yb) = (to_f32(a, $al)?, to_f32(b, $bl)?);
                let ($x, $y) = (Batch::Dense(&xa[..]), Batch::Dense(&yb[..]));
                from_f32($body, a.dtype())?
            }
            _ => bail!(
                DType,
                $op,
                "expected two floating point tensors of one dtype, got {} and {}",
                a.dtype(),
                b.dtype()
            ),
        }
    }};
}

/// As [`float2`] for one storage.
macro_rules! float1 {
    ($op:expr, ($a:expr, $al:expr), |$x:ident| $body:expr) => {{
        let a: &CpuStorage = $a;
        match a {
            CpuStorage::F32(av) => {
                let xa = contig(av, $al)?;
                let $x: &[f32] = &xa;
                CpuStorage::F32($body)
            }
            CpuStorage::F64(av) => {
                let xa = contig(av, $al)?;
                let $x: &[f64] = &xa;
                CpuStorage::F64($body)
            }
            CpuStorage::F16(_) | CpuStorage::BF16(_) => {
                let xa = to_f32(a, $al)?;
                let $x: &[f32] = &xa;
                from_f32($body, a.dtype())?
            }
            _ => bail!(DType, $op, "expected a floating point tensor, got {}", a.dtype()),
        }
    }};
}
pub(crate) use float1;

/// Elements of the per-thread column buffer a band aims for (about 512 KiB of f32).
const BAND_ELEMS: usize = 1 << 17;

/// Output rows per band: as many as keep the band's columns near [`BAND_ELEMS`].
fn band_rows(g: &Conv2dGeometry) -> usize {
    (BAND_ELEMS / (g.c * g.taps() * g.ow).max(1)).clamp(1, g.oh.max(1))
}

/// The first `len` elements of `buf`, grown if needed (contents unspecified).
fn scratch<T: ConvElem>(buf: &mut Vec<T>, len: usize) -> &mut [T] {
    if buf.len() < len {
        buf.resize(len, T::zero());
    }
    &mut buf[..len]
}

/// Whether to run one image per task: enough images for every thread, enough work to pay.
#[cfg(feature = "std")]
fn per_image_tasks(batch: usize, work: usize) -> bool {
    let threads = rayon::current_num_threads();
    threads > 1 && batch >= threads && work >= 1 << 16
}

/// Runs `f(image index, output chunk, scratch, gemm may thread)` for every image, whose output
/// is `out.chunks_mut(chunk)`, one task per image when that pays.
fn for_each_image<T: ConvElem, S: Default>(
    out: &mut [T],
    chunk: usize,
    work: usize,
    f: impl Fn(usize, &mut [T], &mut S, bool) + Sync + Send,
) {
    #[cfg(feature = "std")]
    let per_task = (chunk > 0 && per_image_tasks(out.len() / chunk, work)).then_some(1);
    #[cfg(not(feature = "std"))]
    let per_task = {
        let _ = work;
        None
    };
    crate::cpu::for_each_piece(out, chunk, per_task, f)
}

fn forward_image<T: ConvElem>(
    x: &[T],
    w: &[T],
    out: &mut [T],
    g: &Conv2dGeometry,
    groups: usize,
    buf: &mut Vec<T>,
    par: bool,
) {
    let l = g.positions();
    let (og, cg) = (out.len() / l / groups, g.c / groups);
    let kk = cg * g.taps();
    let wg = |gi: usize| Mat { data: &w[gi * og * kk..(gi + 1) * og * kk], rs: kk, cs: 1 };
    if g.is_pointwise() {
        for gi in 0..groups {
            let rhs = Mat { data: &x[gi * cg * l..(gi + 1) * cg * l], rs: l, cs: 1 };
            gemm(og, l, kk, &mut out[gi * og * l..(gi + 1) * og * l], l, false, wg(gi), rhs, par);
        }
        return;
    }
    let rows = band_rows(g);
    for oh0 in (0..g.oh).step_by(rows) {
        let oh1 = (oh0 + rows).min(g.oh);
        let nb = (oh1 - oh0) * g.ow;
        let cols = scratch(buf, g.c * g.taps() * nb);
        im2col_band(x, g, oh0, oh1, cols);
        for gi in 0..groups {
            let d0 = gi * og * l + oh0 * g.ow;
            let rhs = Mat { data: &cols[gi * kk * nb..(gi + 1) * kk * nb], rs: nb, cs: 1 };
            gemm(og, nb, kk, &mut out[d0..d0 + (og - 1) * l + nb], l, false, wg(gi), rhs, par);
        }
    }
}

#[track_caller]
fn forward<T: ConvElem>(
    x: &Batch<'_, T>,
    w: &[T],
    g: &Conv2dGeometry,
    batch: usize,
    o: usize,
    groups: usize,
) -> Result<Vec<T>> {
    let l = g.positions();
    // Every element is written below (the direct kernel and the band gemms, which zero-fill
    // when there is nothing to sum), so a cached buffer needs no clearing.
    let mut out = crate::cpu::buffer_for_overwrite::<T>("conv2d", batch * o * l)?;
    if o == 0 || l == 0 {
        return Ok(out);
    }
    let work = o * l * (g.c / groups) * g.taps();
    let image = g.image();
    // The channel-vectorised kernel (f32 only) with its weights packed once for every image.
    let by_lanes = lanes::Plan::new::<T>(g, o / groups, groups).map(|plan| {
        let packed = plan.pack_weights(T::as_f32(w).expect("a plan is made for f32 only"));
        (plan, packed)
    });
    let direct = (by_lanes.is_none() && direct::applies(g, o / groups, g.c / groups))
        .then(|| direct::pack_weights(w, o / groups, groups));
    let by_taps = taps::applies(g, g.c / groups);
    for_each_image(&mut out, o * l, work, |i, oi, (buf, lanes_buf): &mut (Vec<T>, lanes::Scratch), par| {
        let xi = x.image(i, image);
        if let Some((plan, packed)) = &by_lanes {
            let (x32, o32) = (T::as_f32(&xi), T::as_f32_mut(oi));
            plan.forward_image(x32.expect("f32 like its weights"), packed, o32.expect("f32 output"), lanes_buf)
        } else if let Some(packed) = &direct {
            direct::forward_image(&xi, packed, oi, g, groups, buf)
        } else if by_taps {
            taps::forward_image(&xi, w, oi, g, groups, buf, par)
        } else {
            forward_image(&xi, w, oi, g, groups, buf, par)
        }
    });
    Ok(out)
}

/// For stride 1 with padding at most the dilated kernel's reach, the input gradient is itself a
/// stride-1 convolution of the output gradient: with the kernel flipped and its channel dims
/// swapped, and padding `d * (k - 1) - p`. Returns that convolution's geometry.
fn transposed_geometry(g: &Conv2dGeometry, o: usize) -> Option<Conv2dGeometry> {
    let reach = |k: usize, d: usize| d * (k - 1);
    let ok = g.sh == 1 && g.sw == 1 && g.ph <= reach(g.kh, g.dh) && g.pw <= reach(g.kw, g.dw);
    ok.then(|| Conv2dGeometry {
        c: o,
        h: g.oh,
        w: g.ow,
        ph: reach(g.kh, g.dh) - g.ph,
        pw: reach(g.kw, g.dw) - g.pw,
        oh: g.h,
        ow: g.w,
        ..*g
    })
}

/// `w` (`[o, cg, kh, kw]` in `groups` groups) flipped in space with the channel dims of each
/// group swapped: `[groups * cg, o / groups, kh, kw]`.
fn flip_weights<T: ConvElem>(w: &[T], o: usize, cg: usize, g: &Conv2dGeometry, groups: usize) -> Vec<T> {
    let (og, taps) = (o / groups, g.taps());
    let mut out = vec![T::zero(); w.len()];
    for gi in 0..groups {
        for oc in 0..og {
            for c in 0..cg {
                let src = &w[((gi * og + oc) * cg + c) * taps..][..taps];
                let dst = &mut out[((gi * cg + c) * og + oc) * taps..][..taps];
                for (d, s) in dst.iter_mut().zip(src.iter().rev()) {
                    *d = *s;
                }
            }
        }
    }
    out
}

fn backward_input_image<T: ConvElem>(
    gr: &[T],
    w: &[T],
    dx: &mut [T],
    g: &Conv2dGeometry,
    groups: usize,
    buf: &mut Vec<T>,
    par: bool,
) {
    let l = g.positions();
    let (og, cg) = (gr.len() / l / groups, g.c / groups);
    let kk = cg * g.taps();
    // W_g^T: [kk, og], element (r, o) at w[o * kk + r].
    let wt = |gi: usize| Mat { data: &w[gi * og * kk..(gi + 1) * og * kk], rs: 1, cs: kk };
    if g.is_pointwise() {
        for gi in 0..groups {
            let rhs = Mat { data: &gr[gi * og * l..(gi + 1) * og * l], rs: l, cs: 1 };
            gemm(cg, l, og, &mut dx[gi * cg * l..(gi + 1) * cg * l], l, false, wt(gi), rhs, par);
        }
        return;
    }
    let rows = band_rows(g);
    for oh0 in (0..g.oh).step_by(rows) {
        let oh1 = (oh0 + rows).min(g.oh);
        let nb = (oh1 - oh0) * g.ow;
        let cols = scratch(buf, g.c * g.taps() * nb);
        for gi in 0..groups {
            let rhs = Mat { data: &gr[gi * og * l + oh0 * g.ow..], rs: l, cs: 1 };
            gemm(kk, nb, og, &mut cols[gi * kk * nb..(gi + 1) * kk * nb], nb, false, wt(gi), rhs, par);
        }
        col2im_band(cols, g, oh0, oh1, dx);
    }
}

#[track_caller]
fn backward_input<T: ConvElem>(
    gr: &Batch<'_, T>,
    w: &[T],
    g: &Conv2dGeometry,
    batch: usize,
    o: usize,
    groups: usize,
) -> Result<Vec<T>> {
    if let Some(tg) = transposed_geometry(g, o) {
        let flipped = flip_weights(w, o, g.c / groups, g, groups);
        return forward(gr, &flipped, &tg, batch, g.c, groups);
    }
    let image = g.image();
    let mut dx = crate::cpu::zeroed_buffer::<T>("conv2d_backward_input", batch * image)?;
    let l = g.positions();
    if o == 0 || l == 0 {
        return Ok(dx);
    }
    let work = o * l * (g.c / groups) * g.taps();
    for_each_image(&mut dx, image, work, |i, dxi, buf: &mut Vec<T>, par| {
        backward_input_image(&gr.image(i, o * l), w, dxi, g, groups, buf, par)
    });
    Ok(dx)
}

#[allow(clippy::too_many_arguments)]
fn backward_weight_image<T: ConvElem>(
    gr: &[T],
    x: &[T],
    dw: &mut [T],
    g: &Conv2dGeometry,
    groups: usize,
    buf: &mut Vec<T>,
    par: bool,
) {
    let l = g.positions();
    let (og, cg) = (gr.len() / l / groups, g.c / groups);
    let kk = cg * g.taps();
    if g.is_pointwise() {
        for gi in 0..groups {
            let lhs = Mat { data: &gr[gi * og * l..(gi + 1) * og * l], rs: l, cs: 1 };
            let rhs = Mat { data: &x[gi * cg * l..(gi + 1) * cg * l], rs: 1, cs: l };
            gemm(og, kk, l, &mut dw[gi * og * kk..(gi + 1) * og * kk], kk, true, lhs, rhs, par);
        }
        return;
    }
    let rows = band_rows(g);
    for oh0 in (0..g.oh).step_by(rows) {
        let oh1 = (oh0 + rows).min(g.oh);
        let nb = (oh1 - oh0) * g.ow;
        let cols = scratch(buf, g.c * g.taps() * nb);
        im2col_band(x, g, oh0, oh1, cols);
        for gi in 0..groups {
            let lhs = Mat { data: &gr[gi * og * l + oh0 * g.ow..], rs: l, cs: 1 };
            // cols_g^T: [nb, kk], element (p, r) at cols[r * nb + p].
            let rhs = Mat { data: &cols[gi * kk * nb..(gi + 1) * kk * nb], rs: 1, cs: nb };
            gemm(og, kk, nb, &mut dw[gi * og * kk..(gi + 1) * og * kk], kk, true, lhs, rhs, par);
        }
    }
}

fn backward_weight<T: ConvElem>(
    gr: &Batch<'_, T>,
    x: &Batch<'_, T>,
    g: &Conv2dGeometry,
    batch: usize,
    o: usize,
    groups: usize,
) -> Vec<T> {
    let kk = g.c / groups * g.taps();
    let (l, image) = (g.positions(), g.image());
    let mut dw = vec![T::zero(); o * kk];
    if dw.is_empty() || l == 0 || batch == 0 {
        return dw;
    }
    let by_lanes = lanes::Plan::for_weight::<T>(g, o / groups, groups);
    let by_columns = by_lanes.is_none().then(|| direct_weight::Plan::new::<T>(g, o / groups, groups)).flatten();
    let run = |range: core::ops::Range<usize>, dw: &mut [T], par: bool| {
        let (mut buf, mut lanes_buf, mut columns_buf) = (Vec::new(), lanes::Scratch::default(), Default::default());
        for i in range {
            let (gi, xi) = (gr.image(i, o * l), x.image(i, image));
            let (g32, x32) = (T::as_f32(&gi), T::as_f32(&xi));
            if let Some(plan) = &by_lanes {
                plan.weight_image(g32.expect("f32 plan"), x32.expect("f32 plan"), &mut lanes_buf);
            } else if let Some(plan) = &by_columns {
                plan.image(g32.expect("f32 plan"), x32.expect("f32 plan"), &mut columns_buf);
            } else {
                backward_weight_image(&gi, &xi, dw, g, groups, &mut buf, par);
            }
        }
        if let Some(plan) = &by_lanes {
            plan.weight_finish(&mut lanes_buf, T::as_f32_mut(dw).expect("f32 plan"));
        } else if let Some(plan) = &by_columns {
            plan.finish(&mut columns_buf, T::as_f32_mut(dw).expect("f32 plan"));
        }
    };
    #[cfg(feature = "std")]
    if per_image_tasks(batch, o * l * kk) {
        use rayon::prelude::*;
        // One partial gradient per thread, summed at the end.
        let tasks = rayon::current_num_threads().min(batch);
        let per = batch.div_ceil(tasks);
        let partials: Vec<Vec<T>> = crate::grad_mode::suspended(|| {
            (0..tasks)
                .into_par_iter()
                .map(|t| {
                    let mut part = vec![T::zero(); o * kk];
                    run(t * per..((t + 1) * per).min(batch), &mut part, false);
                    part
                })
                .collect()
        });
        for p in partials {
            for (d, v) in dw.iter_mut().zip(p) {
                *d += v;
            }
        }
        return dw;
    }
    run(0..batch, &mut dw, true);
    dw
}

#[track_caller]
fn im2col_all<T: ConvElem>(x: &[T], g: &Conv2dGeometry, batch: usize) -> Result<Vec<T>> {
    let n = g.c * g.taps() * g.positions();
    let mut out = crate::cpu::zeroed_buffer::<T>("im2col", batch * n)?;
    let image = g.image();
    for_each_image(&mut out, n, n * 16, |i, o, _: &mut (), _| {
        im2col_band(&x[i * image..(i + 1) * image], g, 0, g.oh, o)
    });
    Ok(out)
}

#[track_caller]
fn col2im_all<T: ConvElem>(cols: &[T], g: &Conv2dGeometry, batch: usize) -> Result<Vec<T>> {
    let (n, image) = (g.c * g.taps() * g.positions(), g.image());
    let mut out = crate::cpu::zeroed_buffer::<T>("col2im", batch * image)?;
    for_each_image(&mut out, image, n * 16, |i, o, _: &mut (), _| {
        col2im_band(&cols[i * n..(i + 1) * n], g, 0, g.oh, o)
    });
    Ok(out)
}

/// im2col: `[batch, c * kh * kw, oh * ow]`.
#[track_caller]
pub(crate) fn im2col(x: &CpuStorage, layout: &Layout, g: &Conv2dGeometry) -> Result<CpuStorage> {
    let geo = *g;
    Ok(float1!("im2col", (x, layout), |xs| im2col_all(xs, &geo, g.batch)?))
}

/// col2im: the adjoint of im2col, `[batch, c, h, w]`.
#[track_caller]
pub(crate) fn col2im(cols: &CpuStorage, layout: &Layout, g: &Conv2dGeometry) -> Result<CpuStorage> {
    let geo = *g;
    Ok(float1!("col2im", (cols, layout), |cs| col2im_all(cs, &geo, g.batch)?))
}

/// conv2d forward (no bias): `[batch, out_channels, oh, ow]`.
#[track_caller]
pub(crate) fn conv2d(
    x: &CpuStorage,
    layout: &Layout,
    w: &CpuStorage,
    wl: &Layout,
    g: &Conv2dGeometry,
    groups: usize,
) -> Result<CpuStorage> {
    let (geo, o) = (*g, wl.dims()[0]);
    Ok(float2!("conv2d", (x, layout), (w, wl), |xs, ws| forward(&xs, &ws.whole(), &geo, g.batch, o, groups)?))
}

/// Gradient of conv2d to its input; `grad` is `[batch, out_channels, oh, ow]`.
#[track_caller]
pub(crate) fn conv2d_backward_input(
    grad: &CpuStorage,
    layout: &Layout,
    w: &CpuStorage,
    wl: &Layout,
    g: &Conv2dGeometry,
    groups: usize,
) -> Result<CpuStorage> {
    let (geo, o) = (*g, wl.dims()[0]);
    Ok(float2!("conv2d_backward_input", (grad, layout), (w, wl), |gs, ws| backward_input(
        &gs,
        &ws.whole(),
        &geo,
        g.batch,
        o,
        groups
    )?))
}

/// Gradient of conv2d to its weight.
#[track_caller]
pub(crate) fn conv2d_backward_weight(
    grad: &CpuStorage,
    layout: &Layout,
    x: &CpuStorage,
    xl: &Layout,
    g: &Conv2dGeometry,
    groups: usize,
    out_channels: usize,
) -> Result<CpuStorage> {
    let geo = *g;
    Ok(float2!("conv2d_backward_weight", (grad, layout), (x, xl), |gs, xs| backward_weight(
        &gs,
        &xs,
        &geo,
        g.batch,
        out_channels,
        groups
    )))
}
