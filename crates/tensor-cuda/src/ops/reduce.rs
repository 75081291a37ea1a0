//! Reductions over any set of dims, for every [`ReduceOp`] and dtype, with the CPU kernels'
//! semantics: sums in float (f16/bf16/f32) or double, integers wrapping, products of floats in
//! double, NaN propagating through max/min, the first extreme index for argmax/argmin, and
//! the same values for empty reductions (0, 1, false/true, index 0).
//!
//! Each output element is folded by one thread block (shared-memory tree) when the reduction is
//! longer than a warp, else by one thread. A full reduction of a large tensor therefore runs on
//! one block: correct, not yet fast. Scans (`cumsum`, `cumprod`, `reverse_cumsum`) run one
//! thread per row, accumulating as the CPU does (floats in double, integers in int64).

use super::copy::check_extent;
use super::launch;
use crate::kernels::{blocks, grid, plan, suffix, to_i64, Family};
use crate::storage::CudaStorage;
use tensor_core::backend::{ReduceOp, ScanOp};
use tensor_core::backend::{ReduceOps, Storage};
use tensor_core::{DType, Error, ErrorKind, Layout, Result};

impl ReduceOps<Storage> for CudaStorage {
    #[track_caller]
    fn reduce(&self, layout: &Layout, dims: &[usize], op: ReduceOp) -> Result<Storage> {
        reduce(self, layout, dims, op).map(Storage::new)
    }
    #[track_caller]
    fn reduce_into(
        &self,
        layout: &Layout,
        dims: &[usize],
        op: ReduceOp,
        dst: &mut Storage,
        dst_layout: &Layout,
    ) -> Option<Result<()>> {
        // A dense destination takes the kernel's contiguous result in place; others are copied
        // into by tensor-core.
        let (start, _) = dst_layout.contiguous_range()?;
        let dst = dst.as_any_mut().downcast_mut::<CudaStorage>()?;
        Some(reduce_to(self, layout, dims, op, dst, start))
    }
    #[track_caller]
    fn scan(&self, layout: &Layout, dim: usize, op: ScanOp) -> Result<Storage> {
        scan(self, layout, dim, op).map(Storage::new)
    }
}

/// Reductions up to this length run one thread per output.
const THREAD_MAX: usize = 32;
/// Largest accumulator of any reduce op in bytes (`Arg<double>`: value, index, flag).
const MAX_ACC_BYTES: u32 = 32;

fn op_name(op: ReduceOp) -> &'static str {
    match op {
        ReduceOp::Sum => "sum",
        ReduceOp::Prod => "prod",
        ReduceOp::Max => "max",
        ReduceOp::Min => "min",
        ReduceOp::ArgMax => "argmax",
        ReduceOp::ArgMin => "argmin",
        ReduceOp::Any => "any",
        ReduceOp::All => "all",
    }
}

fn out_dtype(op: ReduceOp, dtype: DType) -> DType {
    match op {
        ReduceOp::Sum | ReduceOp::Prod | ReduceOp::Max | ReduceOp::Min => dtype,
        ReduceOp::ArgMax | ReduceOp::ArgMin => DType::I64,
        ReduceOp::Any | ReduceOp::All => DType::Bool,
    }
}

/// Reduces `dims` of `src[layout]`; the result is contiguous over the kept dims (the reduced
/// dims count as size 1).
#[track_caller]
pub(crate) fn reduce(src: &CudaStorage, layout: &Layout, dims: &[usize], op: ReduceOp) -> Result<CudaStorage> {
    let n_out: usize = (0..layout.rank()).filter(|d| !dims.contains(d)).map(|d| layout.dims()[d]).product();
    let mut out = CudaStorage::alloc(&src.dev, out_dtype(op, src.dtype()), n_out)?;
    reduce_to(src, layout, dims, op, &mut out, 0)?;
    Ok(out)
}

/// [`reduce`] written into `out` from element `start` on (the result's elements in row-major
/// order): `out` must be of this device and the result's dtype, and hold them.
#[track_caller]
pub(crate) fn reduce_to(
    src: &CudaStorage,
    layout: &Layout,
    dims: &[usize],
    op: ReduceOp,
    out: &mut CudaStorage,
    start: usize,
) -> Result<()> {
    let name = op_name(op);
    if let Some(&d) = dims.iter().find(|&&d| d >= layout.rank()) {
        return Err(Error::new(
            ErrorKind::Dim,
            name,
            format!("dim {d} out of range for a tensor of shape {:?}", layout.dims()),
        ));
    }
    let (mut kd, mut ks, mut rd, mut rs) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (d, (&n, &s)) in layout.dims().iter().zip(layout.strides()).enumerate() {
        if dims.contains(&d) {
            rd.push(n);
            rs.push(s);
        } else {
            kd.push(n);
            ks.push(s);
        }
    }
    let n_out: usize = kd.iter().product();
    let n_red: usize = rd.iter().product();
    let dtype = out_dtype(op, src.dtype());
    if out.dtype() != dtype || out.dev.ordinal() != src.dev.ordinal() || start + n_out > out.len() {
        return Err(Error::new(
            ErrorKind::Shape,
            name,
            format!(
                "expected a {dtype} destination on cuda:{} with room for {n_out} elements from {start}, got {} elements of {} on cuda:{}",
                src.dev.ordinal(),
                out.len(),
                out.dtype(),
                out.dev.ordinal()
            ),
        ));
    }
    if n_out == 0 {
        return Ok(());
    }
    if layout.numel() > 0 {
        check_extent(name, layout, src)?;
    }
    let (kdims, [kstr]) = plan(name, &kd, [&ks], [layout.offset()])?;
    let (rdims, [rstr]) = plan(name, &rd, [&rs], [0])?;
    let (op_ptr, xp) = (out.ptr_mut() + (start * dtype.size_in_bytes()) as u64, src.ptr());
    let (n_out64, n_red64) = (to_i64(name, n_out)?, to_i64(name, n_red)?);
    let (kernel, cfg) = if n_red <= THREAD_MAX {
        (format!("reduce_{name}_{}_thread", suffix(src.dtype())), grid(n_out))
    } else {
        let threads = n_red.next_power_of_two().clamp(32, 256) as u32;
        (format!("reduce_{name}_{}_block", suffix(src.dtype())), blocks(n_out, threads, threads * MAX_ACC_BYTES))
    };
    // reduce_<op>_<T>_{block,thread}(Out* out, const T* x, KDims kd, KStrides ks, KDims rd,
    //                                KStrides rs, i64 n_out, i64 n_red)
    launch!(src.dev, Family::Reduce, kernel, cfg, name; &op_ptr, &xp, &kdims, &kstr, &rdims, &rstr, &n_out64, &n_red64)
}

/// A running sum or product along `dim` of `src[layout]`, into a new contiguous storage.
#[track_caller]
pub(crate) fn scan(src: &CudaStorage, layout: &Layout, dim: usize, op: ScanOp) -> Result<CudaStorage> {
    let name = match op {
        ScanOp::CumSum => "cumsum",
        ScanOp::CumProd => "cumprod",
        ScanOp::ReverseCumSum => "reverse_cumsum",
    };
    if src.dtype() == DType::Bool {
        return Err(Error::new(ErrorKind::DType, name, "expected a numeric tensor, got torch.bool".to_string()));
    }
    let numel = layout.numel();
    let mut out = CudaStorage::alloc(&src.dev, src.dtype(), numel)?;
    if numel == 0 {
        return Ok(out);
    }
    check_extent(name, layout, src)?;
    let out_strides = tensor_core::Shape::new(layout.dims()).contiguous_strides();
    // The other dims, walked one row per thread; a scalar is one row of one element.
    let (mut kd, mut ks, mut ko) = (Vec::new(), Vec::new(), Vec::new());
    for (d, (&n, &s)) in layout.dims().iter().zip(layout.strides()).enumerate() {
        if d != dim {
            kd.push(n);
            ks.push(s);
            ko.push(out_strides[d]);
        }
    }
    let (n, sx, so) =
        if layout.rank() == 0 { (1, 0, 0) } else { (layout.dims()[dim], layout.strides()[dim], out_strides[dim]) };
    let rows = numel / n;
    let (kdims, [kstr, ostr]) = plan(name, &kd, [&ks, &ko], [layout.offset(), 0])?;
    let code: i32 = match op {
        ScanOp::CumSum => 0,
        ScanOp::CumProd => 1,
        ScanOp::ReverseCumSum => 2,
    };
    let (op_ptr, xp) = (out.ptr_mut(), src.ptr());
    let (rows64, n64, sx64, so64) = (to_i64(name, rows)?, to_i64(name, n)?, to_i64(name, sx)?, to_i64(name, so)?);
    let kernel = format!("scan_{}", suffix(src.dtype()));
    // scan_<T>(T* out, KStrides ko, const T* x, KStrides ks, KDims kd, i64 rows, i64 n, i64 sx,
    //          i64 so, int op)
    launch!(src.dev, Family::Reduce, kernel, grid(rows), name; &op_ptr, &ostr, &xp, &kstr, &kdims, &rows64, &n64, &sx64, &so64, &code)?;
    Ok(out)
}
