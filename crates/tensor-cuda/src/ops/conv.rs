//! 2-d convolution over NCHW float tensors: `im2col` and `col2im` kernels, and conv2d with its
//! two gradients as im2col + cuBLAS (one strided-batched gemm per group, batched over images):
//!
//! - forward: `out[n, g] = W[g] @ cols[n, g]` (`W[g]`: `[O/g, C/g * kh * kw]`, batch stride 0);
//! - input gradient: `dcols[n, g] = W[g]^T @ grad[n, g]`, then `col2im`;
//! - weight gradient: `dW[g] = sum_n grad[n, g] @ cols[n, g]^T` (per image, then a sum over n).
//!
//! f16 and bf16 accumulate in f32 inside cuBLAS (the CPU converts them to f32 first).

use super::copy::{check_extent, contiguous};
use super::launch;
use super::matmul::{gemm, Mat};
use crate::device::CudaDevice;
use crate::error;
use crate::kernels::{grid, suffix, to_i64, Family};
use crate::storage::{cuda_of, same_dtype, CudaStorage};
use cudarc::driver::DeviceRepr;
use tensor_core::backend::{Conv2dGeometry, ReduceOp};
use tensor_core::backend::{ConvOps, Storage};
use tensor_core::{DType, Error, ErrorKind, Layout, Result};

impl ConvOps<Storage> for CudaStorage {
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
        let w = cuda_of("conv2d", w, &self.dev)?;
        conv2d(self, layout, w, wl, g, groups).map(Storage::new)
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
        let w = cuda_of("conv2d_backward_input", w, &self.dev)?;
        conv2d_backward_input(self, layout, w, wl, g, groups).map(Storage::new)
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
        let x = cuda_of("conv2d_backward_weight", x, &self.dev)?;
        conv2d_backward_weight(self, layout, x, xl, g, groups, out_channels).map(Storage::new)
    }
}

/// [`Conv2dGeometry`] as the kernels take it: the same fields as i64, `#[repr(C)]` as `ConvGeo`
/// in `common.cuh`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
#[allow(dead_code)] // the fields are read on the device
pub(crate) struct ConvGeometry {
    batch: i64,
    c: i64,
    h: i64,
    w: i64,
    kh: i64,
    kw: i64,
    sh: i64,
    sw: i64,
    ph: i64,
    pw: i64,
    dh: i64,
    dw: i64,
    oh: i64,
    ow: i64,
}

// SAFETY: a plain `#[repr(C)]` struct of i64 with the layout of `ConvGeo`.
unsafe impl DeviceRepr for ConvGeometry {}

impl ConvGeometry {
    /// The geometry of `g`; strides and dilations must be positive.
    #[track_caller]
    pub(crate) fn of(op: &'static str, g: &Conv2dGeometry) -> Result<Self> {
        if [g.sh, g.sw, g.dh, g.dw].contains(&0) {
            return Err(Error::new(
                ErrorKind::Value,
                op,
                format!("stride {:?} and dilation {:?} must be positive", [g.sh, g.sw], [g.dh, g.dw]),
            ));
        }
        let i = |v: usize| to_i64(op, v);
        Ok(ConvGeometry {
            batch: i(g.batch)?,
            c: i(g.c)?,
            h: i(g.h)?,
            w: i(g.w)?,
            kh: i(g.kh)?,
            kw: i(g.kw)?,
            sh: i(g.sh)?,
            sw: i(g.sw)?,
            ph: i(g.ph)?,
            pw: i(g.pw)?,
            dh: i(g.dh)?,
            dw: i(g.dw)?,
            oh: i(g.oh)?,
            ow: i(g.ow)?,
        })
    }
}

/// Errors unless `dtype` is a float (the CPU's conv and pooling kernels take floats only).
#[track_caller]
pub(crate) fn float_only(op: &'static str, dtype: DType) -> Result<()> {
    if !dtype.is_float() {
        return Err(error::dtype(op, format!("expected a floating point tensor, got {dtype}")));
    }
    Ok(())
}

/// The device address of `x[layout]` laid out contiguously: `x` itself when the layout is
/// dense, else a copy kept alive in `keep`.
#[track_caller]
pub(crate) fn dense_ptr(
    op: &'static str,
    x: &CudaStorage,
    layout: &Layout,
    keep: &mut Option<CudaStorage>,
) -> Result<u64> {
    if let Some((a, _)) = layout.contiguous_range() {
        if layout.numel() > 0 {
            check_extent(op, layout, x)?;
        }
        return Ok(x.ptr() + (a * x.dtype().size_in_bytes()) as u64);
    }
    let c = contiguous(x, layout)?;
    let p = c.ptr();
    *keep = Some(c);
    Ok(p)
}

/// Elements per image of the columns: `c * kh * kw * oh * ow`.
fn cols_per_image(g: &Conv2dGeometry) -> usize {
    g.c * g.kh * g.kw * g.oh * g.ow
}

/// im2col: `[batch, c * kh * kw, oh * ow]`, contiguous.
#[track_caller]
pub(crate) fn im2col(x: &CudaStorage, layout: &Layout, g: &Conv2dGeometry) -> Result<CudaStorage> {
    let op = "im2col";
    float_only(op, x.dtype())?;
    let geo = ConvGeometry::of(op, g)?;
    let n = g.batch * cols_per_image(g);
    let mut out = CudaStorage::alloc(&x.dev, x.dtype(), n)?;
    if n == 0 {
        return Ok(out);
    }
    let mut keep = None;
    let xp = dense_ptr(op, x, layout, &mut keep)?;
    let name = format!("im2col_{}", x.dtype().size_in_bytes());
    let op_ptr = out.ptr_mut();
    // im2col_<bytes>(T* cols, const T* x, ConvGeo g)
    launch!(x.dev, Family::Conv, name, grid(n), op; &op_ptr, &xp, &geo)?;
    Ok(out)
}

/// col2im of contiguous columns at `cols_ptr` into a new `[batch, c, h, w]` storage.
#[track_caller]
fn col2im_ptr(
    dev: &std::sync::Arc<CudaDevice>,
    dtype: DType,
    cols_ptr: u64,
    g: &Conv2dGeometry,
) -> Result<CudaStorage> {
    let op = "col2im";
    let geo = ConvGeometry::of(op, g)?;
    let n = g.batch * g.c * g.h * g.w;
    let mut out = CudaStorage::alloc(dev, dtype, n)?;
    if n == 0 {
        return Ok(out);
    }
    let name = format!("col2im_{}", suffix(dtype));
    let op_ptr = out.ptr_mut();
    // col2im_<T>(T* x, const T* cols, ConvGeo g)
    launch!(dev, Family::Conv, name, grid(n), op; &op_ptr, &cols_ptr, &geo)?;
    Ok(out)
}

/// col2im (the adjoint of im2col, summing overlaps) into a new NCHW storage.
#[track_caller]
pub(crate) fn col2im(cols: &CudaStorage, layout: &Layout, g: &Conv2dGeometry) -> Result<CudaStorage> {
    float_only("col2im", cols.dtype())?;
    let mut keep = None;
    let cp = dense_ptr("col2im", cols, layout, &mut keep)?;
    col2im_ptr(&cols.dev, cols.dtype(), cp, g)
}

/// Channel counts of a grouped convolution: (c, c / groups, o, o / groups, kh * kw).
#[track_caller]
fn groups_of(op: &'static str, g: &Conv2dGeometry, out_channels: usize, groups: usize) -> Result<[usize; 5]> {
    let c = g.c;
    if groups == 0 || !c.is_multiple_of(groups) || !out_channels.is_multiple_of(groups) {
        return Err(Error::new(
            ErrorKind::Shape,
            op,
            format!("{c} input and {out_channels} output channels do not split into {groups} groups"),
        ));
    }
    Ok([c, c / groups, out_channels, out_channels / groups, g.kh * g.kw])
}

/// conv2d of an NCHW input with `[o, c / groups, kh, kw]` weights (no bias).
#[track_caller]
pub(crate) fn conv2d(
    x: &CudaStorage,
    layout: &Layout,
    w: &CudaStorage,
    wl: &Layout,
    g: &Conv2dGeometry,
    groups: usize,
) -> Result<CudaStorage> {
    let op = "conv2d";
    float_only(op, x.dtype())?;
    same_dtype(op, x.dtype(), w.dtype())?;
    let o = wl.dims().first().copied().unwrap_or(0);
    let [c, cg, o, og, k] = groups_of(op, g, o, groups)?;
    let l = g.oh * g.ow;
    if g.batch * o * l == 0 || cg * k == 0 {
        return CudaStorage::zeros(&x.dev, x.dtype(), g.batch * o * l);
    }
    let mut out = CudaStorage::alloc(&x.dev, x.dtype(), g.batch * o * l)?;
    let cols = im2col(x, layout, g)?;
    let mut keep = None;
    let wp = dense_ptr(op, w, wl, &mut keep)?;
    let (outp, colp) = (out.ptr_mut(), cols.ptr());
    for gi in 0..groups {
        let c_mat = Mat { off: gi * og * l, st: [o * l, l, 1] };
        let a_mat = Mat { off: gi * og * cg * k, st: [0, cg * k, 1] };
        let b_mat = Mat { off: gi * cg * k * l, st: [c * k * l, l, 1] };
        gemm(&x.dev, x.dtype(), (outp, c_mat), (wp, a_mat), (colp, b_mat), [g.batch, og, l, cg * k], 1.0, 0.0)?;
    }
    Ok(out)
}

/// Gradient of conv2d to its input; `grad` is `[batch, o, oh, ow]`.
#[track_caller]
pub(crate) fn conv2d_backward_input(
    grad: &CudaStorage,
    layout: &Layout,
    w: &CudaStorage,
    wl: &Layout,
    g: &Conv2dGeometry,
    groups: usize,
) -> Result<CudaStorage> {
    let op = "conv2d_backward_input";
    float_only(op, grad.dtype())?;
    same_dtype(op, grad.dtype(), w.dtype())?;
    let o = wl.dims().first().copied().unwrap_or(0);
    let [c, cg, o, og, k] = groups_of(op, g, o, groups)?;
    let l = g.oh * g.ow;
    let n_cols = g.batch * c * k * l;
    if n_cols == 0 || og == 0 {
        return CudaStorage::zeros(&grad.dev, grad.dtype(), g.batch * c * g.h * g.w);
    }
    let mut dcols = CudaStorage::alloc(&grad.dev, grad.dtype(), n_cols)?;
    let (mut keep_g, mut keep_w) = (None, None);
    let gp = dense_ptr(op, grad, layout, &mut keep_g)?;
    let wp = dense_ptr(op, w, wl, &mut keep_w)?;
    let dp = dcols.ptr_mut();
    for gi in 0..groups {
        let c_mat = Mat { off: gi * cg * k * l, st: [c * k * l, l, 1] };
        // W[g]^T: [c/g * kh * kw, o/g], unit row stride.
        let a_mat = Mat { off: gi * og * cg * k, st: [0, 1, cg * k] };
        let b_mat = Mat { off: gi * og * l, st: [o * l, l, 1] };
        gemm(&grad.dev, grad.dtype(), (dp, c_mat), (wp, a_mat), (gp, b_mat), [g.batch, cg * k, l, og], 1.0, 0.0)?;
    }
    col2im_ptr(&grad.dev, grad.dtype(), dp, g)
}

/// Gradient of conv2d to its weight: `[o, c / groups, kh, kw]`.
#[track_caller]
pub(crate) fn conv2d_backward_weight(
    grad: &CudaStorage,
    layout: &Layout,
    x: &CudaStorage,
    xl: &Layout,
    g: &Conv2dGeometry,
    groups: usize,
    out_channels: usize,
) -> Result<CudaStorage> {
    let op = "conv2d_backward_weight";
    float_only(op, grad.dtype())?;
    same_dtype(op, grad.dtype(), x.dtype())?;
    let [c, cg, o, og, k] = groups_of(op, g, out_channels, groups)?;
    let l = g.oh * g.ow;
    let per = o * cg * k;
    if g.batch * l == 0 || per == 0 {
        return CudaStorage::zeros(&grad.dev, grad.dtype(), per);
    }
    let cols = im2col(x, xl, g)?;
    let mut keep = None;
    let gp = dense_ptr(op, grad, layout, &mut keep)?;
    // Per image, then summed over the batch.
    let mut parts = CudaStorage::alloc(&grad.dev, grad.dtype(), g.batch * per)?;
    let (pp, colp) = (parts.ptr_mut(), cols.ptr());
    for gi in 0..groups {
        let c_mat = Mat { off: gi * og * cg * k, st: [per, cg * k, 1] };
        let a_mat = Mat { off: gi * og * l, st: [o * l, l, 1] };
        // cols[n, g]^T: [oh * ow, c/g * kh * kw], unit row stride.
        let b_mat = Mat { off: gi * cg * k * l, st: [c * k * l, 1, l] };
        gemm(&grad.dev, grad.dtype(), (pp, c_mat), (gp, a_mat), (colp, b_mat), [g.batch, og, cg * k, l], 1.0, 0.0)?;
    }
    super::reduce::reduce(&parts, &Layout::contiguous([g.batch, per]), &[0], ReduceOp::Sum)
}
