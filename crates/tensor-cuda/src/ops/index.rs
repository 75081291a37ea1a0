//! Indexing: `index_select`, `gather`, `scatter` / `scatter_add` and `index_add`, with the CPU
//! kernels' semantics (src/ops/index/cpu.rs): int64 or int32 indices (int32 widened first),
//! every index checked before anything is read or written (an `Index` error naming the first
//! bad value found), accumulation wrapping for integers and `or` for bool.
//!
//! Each op is one strided walk: the data layout gets the walk's shape with stride 0 along
//! `dim`, the index layout walks beside it, and element `i` adds `index * stride[dim]` to its
//! data offset. Accumulating writes use atomics, so with repeated indices floating-point sums
//! may differ from the CPU's in rounding (the order of the additions is not fixed), and
//! `scatter` (replace) keeps one of the competing values, as PyTorch's CUDA kernels do.

use super::copy::{cast, check_extent, to_cpu};
use super::launch;
use crate::error;
use crate::kernels::{grid, plan, suffix, to_i64, Family};
use crate::storage::{cuda_of, same_dtype, CudaStorage};
use tensor_core::backend::ScatterReduce;
use tensor_core::backend::{IndexOps, Storage};
use tensor_core::cpu::CpuStorage;
use tensor_core::{DType, Error, ErrorKind, Layout, Result};

impl IndexOps<Storage> for CudaStorage {
    #[track_caller]
    fn index_select(&self, layout: &Layout, dim: usize, indices: &Storage, il: &Layout) -> Result<Storage> {
        let indices = cuda_of("index_select", indices, &self.dev)?;
        index_select(self, layout, dim, indices, il).map(Storage::new)
    }
    #[track_caller]
    fn gather(&self, layout: &Layout, dim: usize, index: &Storage, il: &Layout) -> Result<Storage> {
        let index = cuda_of("gather", index, &self.dev)?;
        gather(self, layout, dim, index, il).map(Storage::new)
    }
    #[track_caller]
    fn scatter_inplace(
        &mut self,
        layout: &Layout,
        dim: usize,
        index: &Storage,
        il: &Layout,
        src: &Storage,
        sl: &Layout,
        reduce: ScatterReduce,
    ) -> Result<()> {
        let index = cuda_of("scatter", index, &self.dev)?;
        let src = cuda_of("scatter", src, &self.dev)?;
        scatter_inplace(self, layout, dim, index, il, src, sl, reduce)
    }
    #[track_caller]
    fn index_add_inplace(
        &mut self,
        layout: &Layout,
        dim: usize,
        indices: &Storage,
        il: &Layout,
        src: &Storage,
        sl: &Layout,
    ) -> Result<()> {
        let indices = cuda_of("index_add", indices, &self.dev)?;
        let src = cuda_of("index_add", src, &self.dev)?;
        index_add_inplace(self, layout, dim, indices, il, src, sl)
    }
}

/// The index as int64: `(widened copy, its layout)`, the copy `None` when already int64.
#[track_caller]
fn widen(op: &'static str, index: &CudaStorage, il: &Layout) -> Result<(Option<CudaStorage>, Layout)> {
    match index.dtype() {
        DType::I64 => Ok((None, il.clone())),
        DType::I32 => Ok((Some(cast(index, il, DType::I64)?), Layout::contiguous(il.shape().clone()))),
        other => Err(error::dtype(op, format!("expected an int64 or int32 index, got {other}"))),
    }
}

/// The first index outside `0..size` a check kernel finds in `idx[il]`, if any.
#[track_caller]
pub(crate) fn find_out_of_range(op: &'static str, idx: &CudaStorage, il: &Layout, size: usize) -> Result<Option<i64>> {
    let n = il.numel();
    if n == 0 {
        return Ok(None);
    }
    if idx.dtype() != DType::I64 {
        return Err(error::dtype(op, format!("expected int64 indices, got {}", idx.dtype())));
    }
    check_extent(op, il, idx)?;
    let mut bad = CudaStorage::zeros(&idx.dev, DType::I64, 2)?;
    let (d, [si]) = plan(op, il.dims(), [il.strides()], [il.offset()])?;
    let (ip, bp, n64, size64) = (idx.ptr(), bad.ptr_mut(), to_i64(op, n)?, to_i64(op, size)?);
    // index_check(const i64* idx, KStrides si, KDims d, i64 n, i64 size, i64* bad)
    launch!(idx.dev, Family::Index, "index_check", grid(n), op; &ip, &si, &d, &n64, &size64, &bp)?;
    match to_cpu(&bad, &Layout::contiguous([2]))? {
        CpuStorage::I64(v) if v.first() == Some(&1) => Ok(Some(v.get(1).copied().unwrap_or(-1))),
        _ => Ok(None),
    }
}

/// Errors (kind Index) when an index outside `0..layout.dims()[dim]` is found.
#[track_caller]
fn check_indices(op: &'static str, idx: &CudaStorage, il: &Layout, dim: usize, layout: &Layout) -> Result<()> {
    let size = layout.dims()[dim];
    match find_out_of_range(op, idx, il, size)? {
        Some(v) => Err(Error::new(
            ErrorKind::Index,
            op,
            format!(
                "index {v} is out of bounds for dimension {dim} with size {size} (self of shape {:?})",
                layout.dims()
            ),
        )),
        None => Ok(()),
    }
}

/// The data strides walked over a shape of the same rank, with no step along `dim`.
fn along(layout: &Layout, dim: usize) -> Vec<usize> {
    let mut s = layout.strides().to_vec();
    s[dim] = 0;
    s
}

/// A 1-d index layout's strides broadcast over a rank-`rank` walk, stepping along `dim`.
fn index_along(il: &Layout, rank: usize, dim: usize) -> Vec<usize> {
    let mut s = vec![0; rank];
    s[dim] = il.strides().first().copied().unwrap_or(0);
    s
}

#[track_caller]
fn check_dim(op: &'static str, layout: &Layout, dim: usize) -> Result<()> {
    if dim >= layout.rank() {
        return Err(Error::new(ErrorKind::Dim, op, format!("dim {dim} out of range for shape {:?}", layout.dims())));
    }
    Ok(())
}

/// `out[p] = x[xl(p) + idx[il(p)] * sd]` over `shape`, contiguous.
#[allow(clippy::too_many_arguments)]
#[track_caller]
fn gather_walk(
    op: &'static str,
    x: &CudaStorage,
    layout: &Layout,
    x_strides: &[usize],
    idx: &CudaStorage,
    i_strides: &[usize],
    i_offset: usize,
    shape: &[usize],
    dim: usize,
) -> Result<CudaStorage> {
    let n: usize = shape.iter().product();
    let mut out = CudaStorage::alloc(&x.dev, x.dtype(), n)?;
    if n == 0 {
        return Ok(out);
    }
    let (d, [sx, si]) = plan(op, shape, [x_strides, i_strides], [layout.offset(), i_offset])?;
    let name = format!("gather_{}", x.dtype().size_in_bytes());
    let (op_ptr, xp, ip) = (out.ptr_mut(), x.ptr(), idx.ptr());
    let (n64, sd) = (to_i64(op, n)?, to_i64(op, layout.strides()[dim])?);
    // gather_<bytes>(T* out, const T* x, KStrides sx, const i64* idx, KStrides si, KDims d, i64 n, i64 sd)
    launch!(x.dev, Family::Index, name, grid(n), op; &op_ptr, &xp, &sx, &ip, &si, &d, &n64, &sd)?;
    Ok(out)
}

/// Entries `indices` (1-d) along `dim` of `x[layout]`.
#[track_caller]
pub(crate) fn index_select(
    x: &CudaStorage,
    layout: &Layout,
    dim: usize,
    indices: &CudaStorage,
    il: &Layout,
) -> Result<CudaStorage> {
    let op = "index_select";
    check_dim(op, layout, dim)?;
    let (own, il) = widen(op, indices, il)?;
    let idx = own.as_ref().unwrap_or(indices);
    check_indices(op, idx, &il, dim, layout)?;
    check_extent(op, layout, x)?;
    let mut shape = layout.dims().to_vec();
    shape[dim] = il.numel();
    let is = index_along(&il, shape.len(), dim);
    gather_walk(op, x, layout, &along(layout, dim), idx, &is, il.offset(), &shape, dim)
}

/// `out[p] = x[p with p[dim] = index[p]]`, of the index's shape.
#[track_caller]
pub(crate) fn gather(
    x: &CudaStorage,
    layout: &Layout,
    dim: usize,
    index: &CudaStorage,
    il: &Layout,
) -> Result<CudaStorage> {
    let op = "gather";
    check_dim(op, layout, dim)?;
    let (own, il) = widen(op, index, il)?;
    let idx = own.as_ref().unwrap_or(index);
    check_indices(op, idx, &il, dim, layout)?;
    if il.rank() != layout.rank() {
        return Err(Error::new(ErrorKind::Shape, op, "index and input must have the same number of dims"));
    }
    check_extent(op, layout, x)?;
    gather_walk(op, x, layout, &along(layout, dim), idx, il.strides(), il.offset(), il.dims(), dim)
}

/// `x[xl(p) + idx[il(p)] * sd] (=|+=) src[sl(p)]` over `shape`.
#[allow(clippy::too_many_arguments)]
#[track_caller]
fn scatter_walk(
    op: &'static str,
    x: &mut CudaStorage,
    layout: &Layout,
    idx: &CudaStorage,
    i_strides: &[usize],
    i_offset: usize,
    src: &CudaStorage,
    sl: &Layout,
    shape: &[usize],
    dim: usize,
    add: bool,
) -> Result<()> {
    same_dtype(op, x.dtype(), src.dtype())?;
    if sl.dims() != shape {
        return Err(Error::new(ErrorKind::Shape, op, format!("source shape {:?} does not match {shape:?}", sl.dims())));
    }
    let n: usize = shape.iter().product();
    if n == 0 {
        return Ok(());
    }
    check_extent(op, layout, x)?;
    check_extent(op, sl, src)?;
    let xs = along(layout, dim);
    let (d, [sx, si, ss]) =
        plan(op, shape, [xs.as_slice(), i_strides, sl.strides()], [layout.offset(), i_offset, sl.offset()])?;
    let name = format!("scatter_{}", suffix(x.dtype()));
    let (xp, ip, sp) = (x.ptr_mut(), idx.ptr(), src.ptr());
    let (n64, sd, add) = (to_i64(op, n)?, to_i64(op, layout.strides()[dim])?, add as i32);
    // scatter_<T>(T* x, KStrides sx, const i64* idx, KStrides si, const T* src, KStrides ss,
    //             KDims d, i64 n, i64 sd, int add)
    launch!(x.dev, Family::Index, name, grid(n), op; &xp, &sx, &ip, &si, &sp, &ss, &d, &n64, &sd, &add)
}

/// `x[index[p] along dim] (=|+=) src[p]` for every position `p` of the index.
#[allow(clippy::too_many_arguments)]
#[track_caller]
pub(crate) fn scatter_inplace(
    x: &mut CudaStorage,
    layout: &Layout,
    dim: usize,
    index: &CudaStorage,
    il: &Layout,
    src: &CudaStorage,
    sl: &Layout,
    reduce: ScatterReduce,
) -> Result<()> {
    let op = match reduce {
        ScatterReduce::Replace => "scatter",
        ScatterReduce::Add => "scatter_add",
    };
    check_dim(op, layout, dim)?;
    let (own, il) = widen(op, index, il)?;
    let idx = own.as_ref().unwrap_or(index);
    check_indices(op, idx, &il, dim, layout)?;
    let add = reduce == ScatterReduce::Add;
    scatter_walk(op, x, layout, idx, il.strides(), il.offset(), src, sl, il.dims(), dim, add)
}

/// `x.select(dim, indices[i]) += src.select(dim, i)` for each `i`.
#[allow(clippy::too_many_arguments)]
#[track_caller]
pub(crate) fn index_add_inplace(
    x: &mut CudaStorage,
    layout: &Layout,
    dim: usize,
    indices: &CudaStorage,
    il: &Layout,
    src: &CudaStorage,
    sl: &Layout,
) -> Result<()> {
    let op = "index_add";
    check_dim(op, layout, dim)?;
    let (own, il) = widen(op, indices, il)?;
    let idx = own.as_ref().unwrap_or(indices);
    check_indices(op, idx, &il, dim, layout)?;
    let is = index_along(&il, sl.rank(), dim);
    scatter_walk(op, x, layout, idx, &is, il.offset(), src, sl, sl.dims(), dim, true)
}
