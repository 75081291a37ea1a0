//! Reductions. Each backward expands the output gradient back over the reduced dims (one
//! helper, [`expand_back`]); `var`, `std`, `norm` and `logsumexp` are composed of
//! differentiable ops.

use crate::node::Var;
use crate::var::Saved;
use tensor_core::shape::normalize_dims;
use tensor_core::{Norm, Result, ResultExt, Shape, Tensor};

/// The reduced dims of a reduction over `dims` (all when empty) of a `rank`-dim tensor.
#[track_caller]
fn reduced_dims(name: &'static str, dims: &[isize], rank: usize) -> Result<Vec<usize>> {
    if dims.is_empty() {
        return Ok((0..rank).collect());
    }
    let mut d: Vec<usize> = normalize_dims(name, dims, rank)?.to_vec();
    d.sort_unstable();
    if rank == 0 {
        d.clear();
    }
    Ok(d)
}

/// `g` (the gradient of a reduction) viewed with the reduced dims as size 1 and expanded to
/// the input's shape.
#[track_caller]
fn expand_back(g: &Var, input: &Shape, dims: &[usize], keepdim: bool) -> Result<Var> {
    let mut g = g.clone();
    if !keepdim {
        for &d in dims {
            g = g.unsqueeze(d as isize)?;
        }
    }
    g.expand(&input.dims().iter().map(|&d| d as isize).collect::<Vec<_>>())
}

/// For each element, the product of the others along `dim` (exact with zeros): the exclusive
/// running products from the left and from the right, multiplied, as PyTorch's
/// `prod_safe_zeros_backward`.
#[track_caller]
fn products_of_others(x: &Tensor, dim: usize) -> Result<Tensor> {
    let n = x.size()[dim];
    if n == 0 {
        return x.zeros_like(None);
    }
    let d = dim as isize;
    let exclusive = |v: &Tensor| -> Result<Tensor> {
        let one = v.narrow(d, 0, 1)?.ones_like(None)?;
        Tensor::cat(&[&one, &v.cumprod(d)?.narrow(d, 0, n - 1)?], d)
    };
    let left = exclusive(x)?;
    let right = exclusive(&x.flip(&[d])?)?.flip(&[d])?;
    left.mul(&right)
}

/// The gradient of `y = prod(x, dim)` (kept dim) for the gradient `g` (kept dim): `g y / x`
/// without zeros; with zeros, the product of the others, as PyTorch (at a slice's only zero,
/// the product of the rest; elsewhere in a slice with zeros, zero; never NaN). Recorded
/// (`create_graph`), the product of the others is built from differentiable ops: the product
/// of the nonzeros over each element's own factor, times the slice's zeros other than itself.
#[track_caller]
fn prod_backward(x: &Var, y: &Var, g: &Var, dim: usize) -> Result<Var> {
    let zero = x.tensor_ref().eq(0.0)?;
    if !zero.any()?.item::<bool>()? {
        return g.mul(y)?.expand(&isizes(x.shape()))?.div(x);
    }
    if !crate::is_grad_enabled() {
        return g.mul(&Var::constant(products_of_others(x.tensor_ref(), dim)?));
    }
    let d = dim as isize;
    let n = x.size()[dim];
    let nonzero = x.masked_fill(&zero, 1.0)?;
    let mut others = nonzero.prod_dim(d, true)?.div(&nonzero)?;
    let dtype = x.dtype();
    let mut at = vec![1isize; x.dim()];
    at[dim] = n as isize;
    let positions = Tensor::arange(0i64, n as i64, 1i64, x.device())?.view(&at)?;
    for p in 0..n {
        let zero_p = zero.narrow(d, p as isize, 1)?;
        if !zero_p.any()?.item::<bool>()? {
            continue;
        }
        // x_p at the other elements of the slices whose element p is zero, 1 elsewhere.
        let elsewhere = positions.ne(p as i64)?.to_dtype(dtype)?;
        let use_p = zero_p.to_dtype(dtype)?.mul(&elsewhere)?;
        let x_p = x.narrow(d, p as isize, 1)?;
        others = others.mul(&x_p.sub(1.0)?.mul(&Var::constant(use_p))?.add(1.0)?)?;
    }
    g.mul(&others)
}

fn isizes(s: &Shape) -> Vec<isize> {
    s.dims().iter().map(|&d| d as isize).collect()
}

impl Var {
    /// Sum of every element.
    #[track_caller]
    pub fn sum(&self) -> Result<Var> {
        self.sum_dim(&[], false)
    }
    /// Sum over `dims` (all when empty).
    #[track_caller]
    pub fn sum_dim(&self, dims: &[isize], keepdim: bool) -> Result<Var> {
        let value = self.tensor_ref().sum_dim(dims, keepdim)?;
        let red = reduced_dims("sum", dims, self.dim())?;
        let shape = self.shape().clone();
        // PyTorch's names: `x.sum()` is SumBackward0, `x.sum(dims)` SumBackward1.
        let name = if dims.is_empty() { "SumBackward0" } else { "SumBackward1" };
        Ok(Var::record(value, name, &[self], vec![], move |ctx| {
            Ok(vec![Some(expand_back(ctx.grad(), &shape, &red, keepdim)?)])
        }))
    }
    /// Mean of every element.
    #[track_caller]
    pub fn mean(&self) -> Result<Var> {
        self.mean_dim(&[], false)
    }
    /// Mean over `dims` (all when empty).
    #[track_caller]
    pub fn mean_dim(&self, dims: &[isize], keepdim: bool) -> Result<Var> {
        let value = self.tensor_ref().mean_dim(dims, keepdim)?;
        let red = reduced_dims("mean", dims, self.dim())?;
        let shape = self.shape().clone();
        let n: usize = red.iter().map(|&d| shape.dims()[d]).product();
        let name = if dims.is_empty() { "MeanBackward0" } else { "MeanBackward1" };
        Ok(Var::record(value, name, &[self], vec![], move |ctx| {
            Ok(vec![Some(expand_back(&ctx.grad().div(n as f64)?, &shape, &red, keepdim)?)])
        }))
    }
    /// Product of every element; the gradient is PyTorch's where inputs are zero (see
    /// [`prod_dim`](Self::prod_dim)).
    #[track_caller]
    pub fn prod(&self) -> Result<Var> {
        let value = self.tensor_ref().prod()?;
        let shape = self.shape().clone();
        Ok(Var::record(value, "ProdBackward0", &[self], vec![Saved::Var(self.clone()), Saved::Output], move |ctx| {
            if shape.rank() == 0 {
                return Ok(vec![Some(ctx.grad().clone())]);
            }
            let (x, y) = (ctx.saved(0).reshape(&[-1])?, ctx.saved(1).reshape(&[1])?);
            let g = prod_backward(&x, &y, &ctx.grad().reshape(&[1])?, 0)?;
            Ok(vec![Some(g.reshape(&isizes(&shape))?)])
        }))
    }
    /// Product over `dim`, as `x.prod(dim, keepdim)`. Where an input is zero the gradient is
    /// PyTorch's: at a slice's only zero, the product of the others; elsewhere in a slice with
    /// a zero, or anywhere in a slice with two, zero (never NaN); double backward too.
    #[track_caller]
    pub fn prod_dim(&self, dim: isize, keepdim: bool) -> Result<Var> {
        let value = self.tensor_ref().prod_dim(dim, keepdim)?;
        let rank = self.dim();
        let d = reduced_dims("prod", &[dim], rank)?.first().copied().unwrap_or(0);
        Ok(Var::record(value, "ProdBackward1", &[self], vec![Saved::Var(self.clone()), Saved::Output], move |ctx| {
            if rank == 0 {
                return Ok(vec![Some(ctx.grad().clone())]);
            }
            let (mut y, mut g) = (ctx.saved(1).clone(), ctx.grad().clone());
            if !keepdim {
                y = y.unsqueeze(d as isize)?;
                g = g.unsqueeze(d as isize)?;
            }
            Ok(vec![Some(prod_backward(ctx.saved(0), &y, &g, d)?)])
        }))
    }
    /// Largest values over `dims`; ties share the gradient equally, as `torch.amax`.
    #[track_caller]
    pub fn amax(&self, dims: &[isize], keepdim: bool) -> Result<Var> {
        self.extreme("AmaxBackward0", dims, keepdim, true)
    }
    /// Smallest values over `dims`; ties share the gradient equally.
    #[track_caller]
    pub fn amin(&self, dims: &[isize], keepdim: bool) -> Result<Var> {
        self.extreme("AminBackward0", dims, keepdim, false)
    }
    /// Largest element.
    #[track_caller]
    pub fn max(&self) -> Result<Var> {
        self.extreme("MaxBackward1", &[], false, true)
    }
    /// Smallest element.
    #[track_caller]
    pub fn min(&self) -> Result<Var> {
        self.extreme("MinBackward1", &[], false, false)
    }
    #[track_caller]
    fn extreme(&self, name: &'static str, dims: &[isize], keepdim: bool, max: bool) -> Result<Var> {
        let t = self.tensor_ref();
        let value = if max { t.amax(dims, keepdim)? } else { t.amin(dims, keepdim)? };
        let red = reduced_dims(name, dims, self.dim())?;
        let shape = self.shape().clone();
        Ok(Var::record(value, name, &[self], vec![Saved::Var(self.clone()), Saved::Output], move |ctx| {
            let (x, y) = (ctx.saved(0), ctx.saved(1));
            let y_full = expand_back(y, &shape, &red, keepdim)?;
            let mask = x.tensor_ref().eq(y_full.tensor_ref())?.to_dtype(x.dtype())?;
            let dims_i: Vec<isize> = red.iter().map(|&d| d as isize).collect();
            let count = mask.sum_dim(&dims_i, true)?;
            let g = expand_back(ctx.grad(), &shape, &red, keepdim)?;
            Ok(vec![Some(g.mul(&mask.div(&count)?)?)])
        }))
    }
    /// Largest values along `dim` and their indices (a constant), as `x.max(dim)`; the gradient
    /// goes to the chosen index.
    #[track_caller]
    pub fn max_dim(&self, dim: isize, keepdim: bool) -> Result<(Var, Tensor)> {
        self.extreme_dim("MaxBackward0", dim, keepdim, true)
    }
    /// Smallest values along `dim` and their indices.
    #[track_caller]
    pub fn min_dim(&self, dim: isize, keepdim: bool) -> Result<(Var, Tensor)> {
        self.extreme_dim("MinBackward0", dim, keepdim, false)
    }
    #[track_caller]
    fn extreme_dim(&self, name: &'static str, dim: isize, keepdim: bool, max: bool) -> Result<(Var, Tensor)> {
        let t = self.tensor_ref();
        let (values, indices) = if max { t.max_dim(dim, keepdim)? } else { t.min_dim(dim, keepdim)? };
        let d = reduced_dims(name, &[dim], self.dim())?;
        let shape = self.shape().clone();
        let idx =
            if keepdim || self.dim() == 0 { indices.shallow_clone() } else { indices.unsqueeze(d[0] as isize)? };
        let var = Var::record(values, name, &[self], vec![Saved::Var(Var::constant(idx))], move |ctx| {
            // One-hot of the chosen index along `dim`, times the expanded gradient.
            let idx = ctx.saved(0).tensor();
            if !crate::is_grad_enabled() && shape.rank() > 0 {
                // The gradient scattered into zeros at the chosen indices (one pass, as
                // PyTorch's `value_selecting_reduction_backward`).
                let g = ctx.grad().tensor();
                let g = if keepdim { g } else { g.unsqueeze(d[0] as isize)? };
                let mut z = Tensor::zeros(shape.clone(), g.dtype(), g.device())?;
                z.scatter_(d[0] as isize, &idx, &g)?;
                return Ok(vec![Some(Var::constant(z))]);
            }
            let g = expand_back(ctx.grad(), &shape, &d, keepdim)?;
            if shape.rank() == 0 {
                return Ok(vec![Some(g)]);
            }
            let n = shape.dims()[d[0]];
            let mut view = vec![1isize; shape.rank()];
            view[d[0]] = n as isize;
            let positions = Tensor::arange(0i64, n as i64, 1i64, g.device())?.view(&view)?;
            let hit = positions.eq(&idx)?.to_dtype(g.dtype())?;
            Ok(vec![Some(g.mul(&hit)?)])
        });
        Ok((var, indices))
    }
    /// Variance over `dims` (all when empty) with Bessel's `correction` (`VarBackward0`).
    #[track_caller]
    pub fn var(&self, dims: &[isize], correction: usize, keepdim: bool) -> Result<Var> {
        let value = {
            let _g = crate::no_grad();
            self.var_composed(dims, correction, keepdim)?.tensor()
        };
        let (dims, shape) = (dims.to_vec(), self.shape().clone());
        let red = reduced_dims("var", &dims, self.dim())?;
        Ok(Var::record(value, "VarBackward0", &[self], vec![Saved::Var(self.clone())], move |ctx| {
            // d var / dx = 2 (x - mean) / (n - correction).
            let x = ctx.saved(0);
            let n: usize = red.iter().map(|&d| shape.dims()[d]).product();
            let centered = x.sub(&x.mean_dim(&dims, true)?)?;
            let g = expand_back(ctx.grad(), &shape, &red, keepdim)?;
            Ok(vec![Some(g.mul(&centered)?.mul(2.0 / (n as f64 - correction as f64).max(0.0))?)])
        }))
    }
    #[track_caller]
    fn var_composed(&self, dims: &[isize], correction: usize, keepdim: bool) -> Result<Var> {
        let red = reduced_dims("var", dims, self.dim())?;
        let n: usize = red.iter().map(|&d| self.size()[d]).product();
        let centered = self.sub(&self.mean_dim(dims, true)?)?;
        centered.mul(&centered)?.sum_dim(dims, keepdim)?.div((n as f64 - correction as f64).max(0.0))
    }
    /// Standard deviation (`StdBackward0`); where it is 0 the gradient is 0, as PyTorch's.
    #[track_caller]
    pub fn std(&self, dims: &[isize], correction: usize, keepdim: bool) -> Result<Var> {
        let value = {
            let _g = crate::no_grad();
            self.var_composed(dims, correction, keepdim).in_op("std")?.sqrt()?.tensor()
        };
        let (dims, shape) = (dims.to_vec(), self.shape().clone());
        let red = reduced_dims("std", &dims, self.dim())?;
        let saved = vec![Saved::Var(self.clone()), Saved::Output];
        Ok(Var::record(value, "StdBackward0", &[self], saved, move |ctx| {
            // d std / dx = (x - mean) / ((n - correction) std), and 0 where std = 0.
            let (x, y) = (ctx.saved(0), ctx.saved(1));
            let n: usize = red.iter().map(|&d| shape.dims()[d]).product();
            let zero = y.tensor_ref().eq(0.0)?;
            let scale = ctx.grad().div(&y.masked_fill(&zero, 1.0)?)?.masked_fill(&zero, 0.0)?;
            let centered = x.sub(&x.mean_dim(&dims, true)?)?;
            let g = expand_back(&scale, &shape, &red, keepdim)?;
            Ok(vec![Some(g.mul(&centered)?.div((n as f64 - correction as f64).max(0.0))?)])
        }))
    }
    /// The standard deviation of all elements with Bessel's correction, as PyTorch's
    /// `x.std()`; [`std`](Self::std) takes dims and the correction.
    #[track_caller]
    pub fn std_all(&self) -> Result<Var> {
        self.std(&[], 1, false)
    }
    /// The variance of all elements with Bessel's correction, as PyTorch's `x.var()`.
    #[track_caller]
    pub fn var_all(&self) -> Result<Var> {
        self.var(&[], 1, false)
    }
    /// The 2-norm (Frobenius) of all elements, as PyTorch's `x.norm()`; [`norm`](Self::norm)
    /// takes the order and dims.
    #[track_caller]
    pub fn norm_all(&self) -> Result<Var> {
        self.norm(Norm::L2, &[], false)
    }
    /// Vector norm over `dims` (all when empty), as `torch.linalg.vector_norm`: the value is
    /// tensor-core's for every `p` (`P(inf)`, `P(-inf)` and `P(0)` included); where the norm
    /// is 0 the gradient is 0 (PyTorch's subgradient), not NaN.
    #[track_caller]
    pub fn norm(&self, p: Norm, dims: &[isize], keepdim: bool) -> Result<Var> {
        let p = match p {
            Norm::L1 => 1.0,
            Norm::L2 => 2.0,
            Norm::Inf => f64::INFINITY,
            Norm::P(p) => p,
        };
        let red = reduced_dims("norm", dims, self.dim())?;
        if p == 1.0 {
            return self.abs()?.sum_dim(dims, keepdim);
        }
        if p == f64::INFINITY {
            return self.abs()?.amax(dims, keepdim);
        }
        if p == f64::NEG_INFINITY {
            return self.abs()?.amin(dims, keepdim);
        }
        let value = self.tensor_ref().norm(Norm::P(p), dims, keepdim)?;
        if p == 0.0 {
            // The number of nonzeros: piecewise constant, zero gradient.
            let zero = self.mul(0.0)?.sum_dim(dims, keepdim)?;
            return zero.add(&Var::constant(value));
        }
        let shape = self.shape().clone();
        let saved = vec![Saved::Var(self.clone()), Saved::Output];
        Ok(Var::record(value, "LinalgVectorNormBackward0", &[self], saved, move |ctx| {
            // d|x|_p / dx = sign(x) |x|^(p-1) / |x|_p^(p-1), and 0 where |x|_p = 0.
            let (x, y) = (ctx.saved(0), ctx.saved(1));
            let zero = y.tensor_ref().eq(0.0)?;
            let safe = y.masked_fill(&zero, 1.0)?;
            let scale = if p == 2.0 { ctx.grad().div(&safe)? } else { ctx.grad().div(&safe.pow(p - 1.0)?)? };
            let scale = expand_back(&scale.masked_fill(&zero, 0.0)?, &shape, &red, keepdim)?;
            let gx = if p == 2.0 {
                x.mul(&scale)?
            } else {
                let sign = Var::constant(x.tensor_ref().sign()?);
                x.abs()?.pow(p - 1.0)?.mul(&sign)?.mul(&scale)?
            };
            Ok(vec![Some(gx)])
        }))
    }
    /// `log(sum(exp(x)))` over `dims`, stable.
    #[track_caller]
    pub fn logsumexp(&self, dims: &[isize], keepdim: bool) -> Result<Var> {
        let value = self.tensor_ref().logsumexp(dims, keepdim)?;
        let red = reduced_dims("logsumexp", dims, self.dim())?;
        let shape = self.shape().clone();
        Ok(Var::record(
            value,
            "LogsumexpBackward0",
            &[self],
            vec![Saved::Var(self.clone()), Saved::Output],
            move |ctx| {
                let (x, y) = (ctx.saved(0), ctx.saved(1));
                let y_full = expand_back(y, &shape, &red, keepdim)?;
                let g = expand_back(ctx.grad(), &shape, &red, keepdim)?;
                Ok(vec![Some(g.mul(&x.sub(&y_full)?.exp()?)?)])
            },
        ))
    }
    /// Softmax along `dim`.
    #[track_caller]
    pub fn softmax(&self, dim: isize) -> Result<Var> {
        self.softmax_op("SoftmaxBackward0", dim, false)
    }
    /// Log-softmax along `dim`.
    #[track_caller]
    pub fn log_softmax(&self, dim: isize) -> Result<Var> {
        self.softmax_op("LogSoftmaxBackward0", dim, true)
    }
    /// The backward is tensor-core's fused `softmax_backward`, unless it is itself recorded
    /// (`create_graph`): then the same formula from differentiable ops.
    #[track_caller]
    fn softmax_op(&self, name: &'static str, dim: isize, log: bool) -> Result<Var> {
        let t = self.tensor_ref();
        let value = if log { t.log_softmax(dim)? } else { t.softmax(dim)? };
        Ok(Var::record(value, name, &[self], vec![Saved::Output], move |ctx| {
            let (g, y) = (ctx.grad(), ctx.saved(0));
            if !crate::is_grad_enabled() {
                return Ok(vec![Some(Var::constant(Tensor::softmax_backward(
                    g.tensor_ref(),
                    y.tensor_ref(),
                    dim,
                    log,
                )?))]);
            }
            if log {
                Ok(vec![Some(g.sub(&y.exp()?.mul(&g.sum_dim(&[dim], true)?)?)?)])
            } else {
                let gy = g.mul(y)?;
                Ok(vec![Some(gy.sub(&y.mul(&gy.sum_dim(&[dim], true)?)?)?)])
            }
        }))
    }
    /// Running sum along `dim`.
    #[track_caller]
    pub fn cumsum(&self, dim: isize) -> Result<Var> {
        let value = self.tensor_ref().cumsum(dim)?;
        Ok(Var::record(value, "CumsumBackward0", &[self], vec![], move |ctx| {
            // Reverse cumulative sum: one pass, or total - cumsum + g from differentiable ops
            // when the backward is recorded.
            let g = ctx.grad();
            if !crate::is_grad_enabled() {
                return Ok(vec![Some(Var::constant(g.tensor_ref().reverse_cumsum(dim)?))]);
            }
            Ok(vec![Some(g.sum_dim(&[dim], true)?.sub(&g.cumsum(dim)?)?.add(g)?)])
        }))
    }
}
