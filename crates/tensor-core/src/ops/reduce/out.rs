//! The `out` forms of the reductions (`torch.sum(x, dim, out=result)`): they write into the
//! caller's tensor.
//!
//! When `out` already has the result's shape, dtype and device and shares no memory with the
//! input, the single-pass reductions (`sum`, `mean`, `prod`, `amax`/`amin`, `max`/`min` with
//! indices, `argmax`/`argmin`, `all`/`any`) write straight into it and allocate nothing. The
//! composite ones (`var`, `std`, `norm`, `logsumexp`, `cumsum`, `cumprod`) compute their result
//! and copy it over. An `out` of another shape is replaced by a new tensor, as PyTorch resizes
//! `out`; one of another dtype receives the result cast to it, when the cast is allowed.
//!
//! ```
//! use tensor_core::{Tensor, DType, Device};
//! let x = Tensor::new([[1f32, 2., 3.], [4., 5., 6.]], &Device::Cpu)?;
//! let mut out = Tensor::zeros([2], DType::F32, &Device::Cpu)?;
//! Tensor::sum_out(&x, &[1], false, &mut out)?;
//! assert_eq!(out.to_vec::<f32>()?, [6., 15.]);
//! # Ok::<(), tensor_core::Error>(())
//! ```

use super::Norm;
use crate::backend::ReduceOp;
use crate::ops::binary::can_cast;
use crate::{bail, Result, Tensor};

/// Writes `result` into `out` (casting), or replaces `out` when its shape or device differs.
#[track_caller]
fn assign(name: &'static str, result: Tensor, out: &mut Tensor) -> Result<()> {
    if !can_cast(result.dtype(), out.dtype()) {
        bail!(DType, name, "result type {} can't be cast to the desired output type {}", result.dtype(), out.dtype());
    }
    if out.shape() == result.shape() && out.device() == result.device() {
        out.copy_(&result)
    } else {
        *out = result.to_dtype(out.dtype())?;
        Ok(())
    }
}

impl Tensor {
    /// `out = x.reduce(dims, op)`: straight into `out` when it fits, else through [`assign`].
    #[track_caller]
    fn reduce_out(
        name: &'static str,
        x: &Tensor,
        dims: Option<&[isize]>,
        keepdim: bool,
        op: ReduceOp,
        out: &mut Tensor,
    ) -> Result<()> {
        let (red, shape) = x.reduce_plan(name, dims, keepdim, op)?;
        let dtype = super::cpu::result_dtype(x.dtype(), op);
        let fits =
            out.shape() == &shape && out.dtype() == dtype && out.device() == x.device() && !out.shares_storage(x);
        if !fits {
            return assign(name, x.reduce(name, dims, keepdim, op)?, out);
        }
        out.check_writable(name)?;
        out.write_reading(name, [x], |dst, [src]| match src.reduce_into(x.layout(), &red, op, dst, out.layout()) {
            Some(done) => done,
            // No kernel that writes into `out`: reduce into a new storage and copy it over.
            None => {
                let r = src.reduce(x.layout(), &red, op)?;
                dst.copy_from(out.layout(), &r, &crate::Layout::contiguous(out.layout().shape().clone()))
            }
        })
    }

    /// `out = x.sum_dim(dims, keepdim)` (all dims when empty), as `torch.sum(x, dims, out=out)`.
    #[track_caller]
    pub fn sum_out(x: &Tensor, dims: &[isize], keepdim: bool, out: &mut Tensor) -> Result<()> {
        Tensor::reduce_out("sum", &x.sum_input()?, Some(dims), keepdim, ReduceOp::Sum, out)
    }
    /// `out = x.mean_dim(dims, keepdim)`: the sum into `out`, then divided in place.
    #[track_caller]
    pub fn mean_out(x: &Tensor, dims: &[isize], keepdim: bool, out: &mut Tensor) -> Result<()> {
        if !x.is_floating_point() || out.dtype() != x.dtype() {
            return assign("mean", x.mean_dim(dims, keepdim)?, out);
        }
        let n = x.reduced_count("mean", dims)?;
        Tensor::reduce_out("mean", x, Some(dims), keepdim, ReduceOp::Sum, out)?;
        out.div_(n as f64)
    }
    /// `out = x.prod_dim(dim, keepdim)`, or the product of every element when `dim` is `None`.
    #[track_caller]
    pub fn prod_out(x: &Tensor, dim: Option<isize>, keepdim: bool, out: &mut Tensor) -> Result<()> {
        let dims = dim.map(|d| [d]);
        Tensor::reduce_out("prod", &x.sum_input()?, dims.as_ref().map(|d| &d[..]), keepdim, ReduceOp::Prod, out)
    }
    /// `out = x.amax(dims, keepdim)`.
    #[track_caller]
    pub fn amax_out(x: &Tensor, dims: &[isize], keepdim: bool, out: &mut Tensor) -> Result<()> {
        Tensor::reduce_out("amax", x, Some(dims), keepdim, ReduceOp::Max, out)
    }
    /// `out = x.amin(dims, keepdim)`.
    #[track_caller]
    pub fn amin_out(x: &Tensor, dims: &[isize], keepdim: bool, out: &mut Tensor) -> Result<()> {
        Tensor::reduce_out("amin", x, Some(dims), keepdim, ReduceOp::Min, out)
    }
    /// `(values, indices) = x.max_dim(dim, keepdim)`, as `torch.max(x, dim, out=(values, indices))`.
    #[track_caller]
    pub fn max_dim_out(x: &Tensor, dim: isize, keepdim: bool, values: &mut Tensor, indices: &mut Tensor) -> Result<()> {
        Tensor::reduce_out("max", x, Some(&[dim]), keepdim, ReduceOp::Max, values)?;
        Tensor::reduce_out("max", x, Some(&[dim]), keepdim, ReduceOp::ArgMax, indices)
    }
    /// `(values, indices) = x.min_dim(dim, keepdim)`, as `torch.min(x, dim, out=(values, indices))`.
    #[track_caller]
    pub fn min_dim_out(x: &Tensor, dim: isize, keepdim: bool, values: &mut Tensor, indices: &mut Tensor) -> Result<()> {
        Tensor::reduce_out("min", x, Some(&[dim]), keepdim, ReduceOp::Min, values)?;
        Tensor::reduce_out("min", x, Some(&[dim]), keepdim, ReduceOp::ArgMin, indices)
    }
    /// `out = x.argmax(dim, keepdim)`.
    #[track_caller]
    pub fn argmax_out(x: &Tensor, dim: Option<isize>, keepdim: bool, out: &mut Tensor) -> Result<()> {
        match dim {
            Some(d) => Tensor::reduce_out("argmax", x, Some(&[d]), keepdim, ReduceOp::ArgMax, out),
            None => assign("argmax", x.argmax(None, keepdim)?, out),
        }
    }
    /// `out = x.argmin(dim, keepdim)`.
    #[track_caller]
    pub fn argmin_out(x: &Tensor, dim: Option<isize>, keepdim: bool, out: &mut Tensor) -> Result<()> {
        match dim {
            Some(d) => Tensor::reduce_out("argmin", x, Some(&[d]), keepdim, ReduceOp::ArgMin, out),
            None => assign("argmin", x.argmin(None, keepdim)?, out),
        }
    }
    /// `out = x.all_dim(dims, keepdim)`.
    #[track_caller]
    pub fn all_out(x: &Tensor, dims: &[isize], keepdim: bool, out: &mut Tensor) -> Result<()> {
        if x.dtype() == crate::DType::U8 {
            return assign("all", x.all_dim(dims, keepdim)?, out);
        }
        Tensor::reduce_out("all", x, Some(dims), keepdim, ReduceOp::All, out)
    }
    /// `out = x.any_dim(dims, keepdim)`.
    #[track_caller]
    pub fn any_out(x: &Tensor, dims: &[isize], keepdim: bool, out: &mut Tensor) -> Result<()> {
        if x.dtype() == crate::DType::U8 {
            return assign("any", x.any_dim(dims, keepdim)?, out);
        }
        Tensor::reduce_out("any", x, Some(dims), keepdim, ReduceOp::Any, out)
    }
    /// `out = x.var(dims, correction, keepdim)` (computed, then copied into `out`).
    #[track_caller]
    pub fn var_out(x: &Tensor, dims: &[isize], correction: usize, keepdim: bool, out: &mut Tensor) -> Result<()> {
        assign("var", x.var(dims, correction, keepdim)?, out)
    }
    /// `out = x.std(dims, correction, keepdim)` (computed, then copied into `out`).
    #[track_caller]
    pub fn std_out(x: &Tensor, dims: &[isize], correction: usize, keepdim: bool, out: &mut Tensor) -> Result<()> {
        assign("std", x.std(dims, correction, keepdim)?, out)
    }
    /// `out = x.norm(p, dims, keepdim)` (computed, then copied into `out`).
    #[track_caller]
    pub fn norm_out(x: &Tensor, p: Norm, dims: &[isize], keepdim: bool, out: &mut Tensor) -> Result<()> {
        assign("norm", x.norm(p, dims, keepdim)?, out)
    }
    /// `out = x.logsumexp(dims, keepdim)` (computed, then copied into `out`).
    #[track_caller]
    pub fn logsumexp_out(x: &Tensor, dims: &[isize], keepdim: bool, out: &mut Tensor) -> Result<()> {
        assign("logsumexp", x.logsumexp(dims, keepdim)?, out)
    }
    /// `out = x.cumsum(dim)` (computed, then copied into `out`).
    #[track_caller]
    pub fn cumsum_out(x: &Tensor, dim: isize, out: &mut Tensor) -> Result<()> {
        assign("cumsum", x.cumsum(dim)?, out)
    }
    /// `out = x.cumprod(dim)` (computed, then copied into `out`).
    #[track_caller]
    pub fn cumprod_out(x: &Tensor, dim: isize, out: &mut Tensor) -> Result<()> {
        assign("cumprod", x.cumprod(dim)?, out)
    }
}
