//! 2-d pooling over NCHW float tensors, as tensor-core's CPU kernels: max pooling (padding
//! reads as -inf, the first maximum of a window wins, NaN wins over numbers) with flat `h * w`
//! indices and its gradient (scattered with atomics: overlapping windows add up), and average
//! pooling (`count_include_pad` as PyTorch) with its gradient (gathered per input element).

use super::conv::{dense_ptr, float_only, ConvGeometry};
use super::index::find_out_of_range;
use super::launch;
use crate::kernels::{grid, suffix, Family};
use crate::storage::{cuda_of, CudaStorage};
use tensor_core::backend::Conv2dGeometry;
use tensor_core::backend::{PoolOps, Storage};
use tensor_core::{DType, Error, ErrorKind, Layout, Result};

impl PoolOps<Storage> for CudaStorage {
    #[track_caller]
    fn max_pool2d(&self, layout: &Layout, g: &Conv2dGeometry) -> Result<(Storage, Storage)> {
        let (v, i) = max_pool2d(self, layout, g)?;
        Ok((Storage::new(v), Storage::new(i)))
    }
    #[track_caller]
    fn max_pool2d_backward(
        &self,
        layout: &Layout,
        indices: &Storage,
        il: &Layout,
        g: &Conv2dGeometry,
    ) -> Result<Storage> {
        let indices = cuda_of("max_pool2d_backward", indices, &self.dev)?;
        max_pool2d_backward(self, layout, indices, il, g).map(Storage::new)
    }
    #[track_caller]
    fn avg_pool2d(&self, layout: &Layout, g: &Conv2dGeometry, count_include_pad: bool) -> Result<Storage> {
        avg_pool2d(self, layout, g, count_include_pad).map(Storage::new)
    }
    #[track_caller]
    fn avg_pool2d_backward(&self, layout: &Layout, g: &Conv2dGeometry, count_include_pad: bool) -> Result<Storage> {
        avg_pool2d_backward(self, layout, g, count_include_pad).map(Storage::new)
    }
}

fn planes(g: &Conv2dGeometry) -> usize {
    g.batch * g.c
}

/// Max pooling: values and flat `ih * w + iw` I64 indices, `[batch, c, oh, ow]`.
#[track_caller]
pub(crate) fn max_pool2d(x: &CudaStorage, layout: &Layout, g: &Conv2dGeometry) -> Result<(CudaStorage, CudaStorage)> {
    let op = "max_pool2d";
    float_only(op, x.dtype())?;
    let geo = ConvGeometry::of(op, g)?;
    let n = planes(g) * g.oh * g.ow;
    let mut vals = CudaStorage::alloc(&x.dev, x.dtype(), n)?;
    let mut idx = CudaStorage::alloc(&x.dev, DType::I64, n)?;
    if n == 0 {
        return Ok((vals, idx));
    }
    let mut keep = None;
    let xp = dense_ptr(op, x, layout, &mut keep)?;
    let name = format!("max_pool_{}", suffix(x.dtype()));
    let (vp, ip) = (vals.ptr_mut(), idx.ptr_mut());
    // max_pool_<T>(T* vals, i64* idx, const T* x, ConvGeo g)
    launch!(x.dev, Family::Pool, name, grid(n), op; &vp, &ip, &xp, &geo)?;
    Ok((vals, idx))
}

/// Gradient of max pooling: `grad` scattered to the positions `indices` chose.
#[track_caller]
pub(crate) fn max_pool2d_backward(
    grad: &CudaStorage,
    layout: &Layout,
    indices: &CudaStorage,
    il: &Layout,
    g: &Conv2dGeometry,
) -> Result<CudaStorage> {
    let op = "max_pool2d_backward";
    float_only(op, grad.dtype())?;
    let geo = ConvGeometry::of(op, g)?;
    let plane = g.h * g.w;
    if let Some(bad) = find_out_of_range(op, indices, il, plane)? {
        return Err(Error::new(
            ErrorKind::Index,
            op,
            format!("index {bad} out of range for an input plane of {} x {}", g.h, g.w),
        ));
    }
    let mut dx = CudaStorage::zeros(&grad.dev, grad.dtype(), planes(g) * plane)?;
    let n = planes(g) * g.oh * g.ow;
    if n == 0 || plane == 0 {
        return Ok(dx);
    }
    if layout.numel() != n || il.numel() != n {
        return Err(Error::new(ErrorKind::Shape, op, "gradient and indices must have the pooled shape"));
    }
    let (mut keep_g, mut keep_i) = (None, None);
    let gp = dense_ptr(op, grad, layout, &mut keep_g)?;
    let ip = dense_ptr(op, indices, il, &mut keep_i)?;
    let name = format!("max_pool_backward_{}", suffix(grad.dtype()));
    let dp = dx.ptr_mut();
    // max_pool_backward_<T>(T* dx, const T* grad, const i64* idx, ConvGeo g)
    launch!(grad.dev, Family::Pool, name, grid(n), op; &dp, &gp, &ip, &geo)?;
    Ok(dx)
}

/// Average pooling, `[batch, c, oh, ow]`.
#[track_caller]
pub(crate) fn avg_pool2d(
    x: &CudaStorage,
    layout: &Layout,
    g: &Conv2dGeometry,
    count_include_pad: bool,
) -> Result<CudaStorage> {
    let op = "avg_pool2d";
    float_only(op, x.dtype())?;
    let geo = ConvGeometry::of(op, g)?;
    let n = planes(g) * g.oh * g.ow;
    let mut out = CudaStorage::alloc(&x.dev, x.dtype(), n)?;
    if n == 0 {
        return Ok(out);
    }
    let mut keep = None;
    let xp = dense_ptr(op, x, layout, &mut keep)?;
    let name = format!("avg_pool_{}", suffix(x.dtype()));
    let (op_ptr, pad) = (out.ptr_mut(), count_include_pad as i32);
    // avg_pool_<T>(T* out, const T* x, ConvGeo g, int include_pad)
    launch!(x.dev, Family::Pool, name, grid(n), op; &op_ptr, &xp, &geo, &pad)?;
    Ok(out)
}

/// Gradient of average pooling; `grad` is `[batch, c, oh, ow]`.
#[track_caller]
pub(crate) fn avg_pool2d_backward(
    grad: &CudaStorage,
    layout: &Layout,
    g: &Conv2dGeometry,
    count_include_pad: bool,
) -> Result<CudaStorage> {
    let op = "avg_pool2d_backward";
    float_only(op, grad.dtype())?;
    let geo = ConvGeometry::of(op, g)?;
    let n = planes(g) * g.h * g.w;
    if g.oh * g.ow == 0 || n == 0 {
        return CudaStorage::zeros(&grad.dev, grad.dtype(), n);
    }
    let mut dx = CudaStorage::alloc(&grad.dev, grad.dtype(), n)?;
    let mut keep = None;
    let gp = dense_ptr(op, grad, layout, &mut keep)?;
    let name = format!("avg_pool_backward_{}", suffix(grad.dtype()));
    let (dp, pad) = (dx.ptr_mut(), count_include_pad as i32);
    // avg_pool_backward_<T>(T* dx, const T* grad, ConvGeo g, int include_pad)
    launch!(grad.dev, Family::Pool, name, grid(n), op; &dp, &gp, &geo, &pad)?;
    Ok(dx)
}
