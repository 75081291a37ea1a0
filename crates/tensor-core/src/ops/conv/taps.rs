//! Stride-1 convolution as one gemm per kernel tap, without im2col, for layers with many
//! channels, where building the columns was a fifth of the time: f64, and f32 where the
//! channel-vectorised kernel (`lanes`, which took over ResNet's 3×3 convs) does not apply.
//!
//! The group's input is copied once into a zero-padded buffer of `hp` rows of `wp` columns.
//! Output position `(y, x)` reads tap `(ki, kj)` of channel `c` at offset `(y + ki * dh) * wp +
//! x + kj * dw` of that channel's plane: for a fixed tap, the outputs of a band of rows, taken
//! `wp` wide, read one contiguous run of each plane. So the band is `kh * kw` gemms of the
//! tap's weights `[og, cg]` by that strided view `[cg, rows * wp]`, summed in a wide output;
//! its first `ow` columns of each row are the result, the other `wp - ow` are discarded (they
//! read across a row's end, and past the last plane into a few zeros of slack).

use super::im2col::{gemm, pad_channels, ConvElem, Mat};
use crate::backend::Conv2dGeometry;
use alloc::vec::Vec;

/// Elements of the wide output of one band (about 512 KiB of f32).
const BAND_ELEMS: usize = 1 << 17;

/// Whether to compute this convolution (`og` output and `cg` input channels per group) by
/// taps: stride 1, not pointwise (gemm's case already), enough input channels for each tap's
/// gemm to be worth its call, and few discarded columns (at most an eighth more).
pub(crate) fn applies(g: &Conv2dGeometry, cg: usize) -> bool {
    let discarded = (g.kw - 1) * g.dw;
    g.sh == 1 && g.sw == 1 && !g.is_pointwise() && cg >= 16 && discarded * 8 <= g.ow
}

/// One image's convolution: `x` is `[c, h, w]`, `w` the weights `[o, c / groups, kh, kw]`,
/// `out` is `[o, oh * ow]` (every element written); `buf` is scratch; `par` lets gemm thread.
pub(crate) fn forward_image<T: ConvElem>(
    x: &[T],
    w: &[T],
    out: &mut [T],
    g: &Conv2dGeometry,
    groups: usize,
    buf: &mut Vec<T>,
    par: bool,
) {
    let l = g.positions();
    let (og, cg, taps) = (out.len() / l / groups, g.c / groups, g.taps());
    let (hp, wp) = (g.h + 2 * g.ph, g.w + 2 * g.pw);
    let (plane, slack) = (hp * wp, (g.kw - 1) * g.dw);
    let rows = (BAND_ELEMS / (og * wp).max(1)).clamp(1, g.oh);
    let pad_len = cg * plane + slack;
    if buf.len() < pad_len + og * rows * wp {
        buf.resize(pad_len + og * rows * wp, T::zero());
    }
    let (pad, wide) = buf.split_at_mut(pad_len);
    pad[cg * plane..].fill(T::zero());
    for gi in 0..groups {
        pad_channels(x, g, gi * cg, hp, wp, &mut pad[..cg * plane]);
        for oh0 in (0..g.oh).step_by(rows) {
            let nr = rows.min(g.oh - oh0);
            let n = nr * wp;
            for t in 0..taps {
                let start = (oh0 + t / g.kw * g.dh) * wp + t % g.kw * g.dw;
                // W[:, :, ki, kj] of the group: element (o, c) at w[(gi * og + o) * cg * taps
                // + c * taps + t].
                let lhs = Mat { data: &w[gi * og * cg * taps + t..], rs: cg * taps, cs: taps };
                let rhs = Mat { data: &pad[start..], rs: plane, cs: 1 };
                gemm(og, n, cg, &mut wide[..og * n], n, t > 0, lhs, rhs, par);
            }
            for (o, wide_o) in wide[..og * n].chunks_exact(n).enumerate() {
                let out_o = &mut out[(gi * og + o) * l + oh0 * g.ow..][..nr * g.ow];
                for (dst, src) in out_o.chunks_exact_mut(g.ow).zip(wide_o.chunks_exact(wp)) {
                    dst.copy_from_slice(&src[..g.ow]);
                }
            }
        }
    }
}
