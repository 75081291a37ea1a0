//! Reductions: `sum`, `mean`, `prod`, `max`/`min` (values and indices), `argmax`/`argmin`,
//! `amax`/`amin`, `all`/`any`, `var`/`std`, `norm`, `logsumexp`, `softmax`/`log_softmax`, and
//! the running `cumsum`/`cumprod`. `dims` of `None` (or an empty list) reduce every dim.

pub(crate) mod backend;
pub(crate) mod cpu;
mod out;
mod outer;

use crate::backend::{ReduceOp, ScanOp};
use crate::shape::{normalize_dim, normalize_dims, Dims};
use crate::{bail, DType, Result, ResultExt, Shape, Tensor};

/// Which norm [`Tensor::norm`] computes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Norm {
    /// Sum of absolute values (p = 1).
    L1,
    /// Euclidean (p = 2; `fro` over all dims is the same).
    L2,
    /// Largest absolute value (p = inf).
    Inf,
    /// `(sum |x|^p)^(1/p)`.
    P(f64),
}

impl Tensor {
    /// Reduces `dims` with `op`; `keepdim` keeps them as size 1. The backbone of every reduction.
    #[track_caller]
    pub fn reduce(&self, name: &'static str, dims: Option<&[isize]>, keepdim: bool, op: ReduceOp) -> Result<Tensor> {
        let (dims, shape) = self.reduce_plan(name, dims, keepdim, op)?;
        // The storage holds the kept elements in row-major order, whether or not the reduced
        // dims are kept as 1.
        let s = self.read(name)?.reduce(self.layout(), &dims, op)?;
        Ok(Tensor::from_op(s, shape, self.device()))
    }

    /// The sorted dims `op` reduces, and the result's shape.
    #[track_caller]
    pub(crate) fn reduce_plan(
        &self,
        name: &'static str,
        dims: Option<&[isize]>,
        keepdim: bool,
        op: ReduceOp,
    ) -> Result<(Dims, Shape)> {
        let mut dims: Dims = match dims {
            Some(d) if !d.is_empty() => normalize_dims(name, d, self.dim())?,
            _ => (0..self.dim()).collect(),
        };
        dims.sort_unstable();
        if self.dim() == 0 {
            dims.clear();
        }
        if matches!(op, ReduceOp::Max | ReduceOp::Min | ReduceOp::ArgMax | ReduceOp::ArgMin) {
            if let Some(&d) = dims.iter().find(|&&d| self.size()[d] == 0) {
                bail!(Shape, name, "expected reduction dim {} to have non-zero size (shape {:?})", d, self.shape());
            }
        }
        let shape: Dims = if keepdim {
            self.size().iter().enumerate().map(|(d, &n)| if dims.contains(&d) { 1 } else { n }).collect()
        } else {
            self.size().iter().enumerate().filter(|(d, _)| !dims.contains(d)).map(|(_, &n)| n).collect()
        };
        Ok((dims, Shape::new(&shape)))
    }

    #[track_caller]
    pub(crate) fn sum_input(&self) -> Result<Tensor> {
        if self.is_floating_point() {
            Ok(self.shallow_clone())
        } else {
            self.to_dtype(DType::I64)
        }
    }

    /// Sum of every element (integers and bools sum to int64), as `x.sum()`.
    #[track_caller]
    pub fn sum(&self) -> Result<Tensor> {
        self.sum_dim(&[], false)
    }
    /// Sum over `dims`, as `x.sum(dim, keepdim)`.
    #[track_caller]
    pub fn sum_dim(&self, dims: &[isize], keepdim: bool) -> Result<Tensor> {
        self.sum_input()?.reduce("sum", Some(dims), keepdim, ReduceOp::Sum)
    }
    /// Product of every element.
    #[track_caller]
    pub fn prod(&self) -> Result<Tensor> {
        self.sum_input()?.reduce("prod", None, false, ReduceOp::Prod)
    }
    /// Product over one dim.
    #[track_caller]
    pub fn prod_dim(&self, dim: isize, keepdim: bool) -> Result<Tensor> {
        self.sum_input()?.reduce("prod", Some(&[dim]), keepdim, ReduceOp::Prod)
    }
    /// Mean of every element (floats only, as PyTorch), as `x.mean()`.
    #[track_caller]
    pub fn mean(&self) -> Result<Tensor> {
        self.mean_dim(&[], false)
    }
    /// Mean over `dims`.
    #[track_caller]
    pub fn mean_dim(&self, dims: &[isize], keepdim: bool) -> Result<Tensor> {
        if !self.is_floating_point() {
            bail!(DType, "mean", "mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: {}", self.dtype());
        }
        let n = self.reduced_count("mean", dims)?;
        self.sum_dim(dims, keepdim)?.div(n as f64)
    }
    #[track_caller]
    pub(crate) fn reduced_count(&self, name: &'static str, dims: &[isize]) -> Result<usize> {
        if dims.is_empty() {
            return Ok(self.numel());
        }
        Ok(normalize_dims(name, dims, self.dim())?
            .iter()
            .map(|&d| if self.dim() == 0 { 1 } else { self.size()[d] })
            .product())
    }
    /// Largest element, as `x.max()`.
    #[track_caller]
    pub fn max(&self) -> Result<Tensor> {
        self.reduce("max", None, false, ReduceOp::Max)
    }
    /// Smallest element, as `x.min()`.
    #[track_caller]
    pub fn min(&self) -> Result<Tensor> {
        self.reduce("min", None, false, ReduceOp::Min)
    }
    /// Largest values along `dim` and their indices, as `x.max(dim)`.
    #[track_caller]
    pub fn max_dim(&self, dim: isize, keepdim: bool) -> Result<(Tensor, Tensor)> {
        self.extreme_dim("max", dim, keepdim, ReduceOp::ArgMax)
    }
    /// Smallest values along `dim` and their indices, as `x.min(dim)`.
    #[track_caller]
    pub fn min_dim(&self, dim: isize, keepdim: bool) -> Result<(Tensor, Tensor)> {
        self.extreme_dim("min", dim, keepdim, ReduceOp::ArgMin)
    }
    /// One pass for the indices; the values are gathered at them (a gather of one element per
    /// output), instead of a second reduction.
    #[track_caller]
    fn extreme_dim(&self, name: &'static str, dim: isize, keepdim: bool, arg: ReduceOp) -> Result<(Tensor, Tensor)> {
        let idx = self.reduce(name, Some(&[dim]), true, arg)?;
        let values = if self.dim() == 0 { self.shallow_clone() } else { self.gather(dim, &idx)? };
        if keepdim || self.dim() == 0 {
            return Ok((values, idx));
        }
        Ok((values.squeeze_dim(dim)?, idx.squeeze_dim(dim)?))
    }
    /// Index of the largest value along `dim`, or in the flattened tensor when `None`.
    #[track_caller]
    pub fn argmax(&self, dim: Option<isize>, keepdim: bool) -> Result<Tensor> {
        self.arg("argmax", dim, keepdim, ReduceOp::ArgMax)
    }
    /// Index of the smallest value along `dim`, or in the flattened tensor when `None`.
    #[track_caller]
    pub fn argmin(&self, dim: Option<isize>, keepdim: bool) -> Result<Tensor> {
        self.arg("argmin", dim, keepdim, ReduceOp::ArgMin)
    }
    #[track_caller]
    pub(crate) fn arg(&self, name: &'static str, dim: Option<isize>, keepdim: bool, op: ReduceOp) -> Result<Tensor> {
        match dim {
            Some(d) => self.reduce(name, Some(&[d]), keepdim, op),
            None => {
                let r = self.reshape(&[-1])?.reduce(name, Some(&[0]), false, op)?;
                if keepdim {
                    let ones: Dims = self.size().iter().map(|_| 1).collect();
                    r.reshape_to(Shape::new(&ones))
                } else {
                    Ok(r)
                }
            }
        }
    }
    /// Largest values over `dims`, as `torch.amax`.
    #[track_caller]
    pub fn amax(&self, dims: &[isize], keepdim: bool) -> Result<Tensor> {
        self.reduce("amax", Some(dims), keepdim, ReduceOp::Max)
    }
    /// Smallest values over `dims`, as `torch.amin`.
    #[track_caller]
    pub fn amin(&self, dims: &[isize], keepdim: bool) -> Result<Tensor> {
        self.reduce("amin", Some(dims), keepdim, ReduceOp::Min)
    }
    /// True if every element is nonzero (Bool, 0-d; uint8 for a uint8 input, as PyTorch).
    #[track_caller]
    pub fn all(&self) -> Result<Tensor> {
        self.all_dim(&[], false)
    }
    /// True if any element is nonzero (Bool, 0-d; uint8 for a uint8 input, as PyTorch).
    #[track_caller]
    pub fn any(&self) -> Result<Tensor> {
        self.any_dim(&[], false)
    }
    /// `all` over `dims`.
    #[track_caller]
    pub fn all_dim(&self, dims: &[isize], keepdim: bool) -> Result<Tensor> {
        self.logical_reduce("all", dims, keepdim, ReduceOp::All)
    }
    /// `any` over `dims`.
    #[track_caller]
    pub fn any_dim(&self, dims: &[isize], keepdim: bool) -> Result<Tensor> {
        self.logical_reduce("any", dims, keepdim, ReduceOp::Any)
    }
    #[track_caller]
    fn logical_reduce(&self, name: &'static str, dims: &[isize], keepdim: bool, op: ReduceOp) -> Result<Tensor> {
        let r = self.reduce(name, Some(dims), keepdim, op)?;
        // torch.tensor([1, 2], dtype=torch.uint8).all() == tensor(1, dtype=torch.uint8)
        if self.dtype() == DType::U8 {
            r.to_dtype(DType::U8)
        } else {
            Ok(r)
        }
    }
    /// Variance over `dims` (all when empty) with Bessel's `correction` (1 = unbiased), as
    /// `torch.var(x, dim, correction=, keepdim=)`.
    #[track_caller]
    pub fn var(&self, dims: &[isize], correction: usize, keepdim: bool) -> Result<Tensor> {
        if !self.is_floating_point() {
            bail!(DType, "var", "std and var only support floating point dtypes, got {}", self.dtype());
        }
        let n = self.reduced_count("var", dims)?;
        let mean = self.mean_dim(dims, true)?;
        let centered = self.sub(&mean)?;
        let denom = (n as f64 - correction as f64).max(0.0);
        centered.square()?.sum_dim(dims, keepdim)?.div(denom)
    }
    /// Standard deviation: the square root of [`var`](Self::var).
    #[track_caller]
    pub fn std(&self, dims: &[isize], correction: usize, keepdim: bool) -> Result<Tensor> {
        self.var(dims, correction, keepdim).in_op("std")?.sqrt()
    }
    /// The standard deviation of all elements with Bessel's correction, as PyTorch's
    /// `x.std()` (its defaults: every dim, `correction=1`); [`std`](Self::std) takes dims.
    ///
    /// ```
    /// use tensor_core::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f64, 2.0, 3.0, 4.0], &[2, 2])?;
    /// assert_eq!(x.std_all()?.item::<f64>()?, (5.0f64 / 3.0).sqrt());
    /// assert_eq!(x.norm_all()?.item::<f64>()?, 30f64.sqrt());
    /// # Ok::<(), tensor_core::Error>(())
    /// ```
    #[track_caller]
    pub fn std_all(&self) -> Result<Tensor> {
        self.std(&[], 1, false)
    }
    /// The variance of all elements with Bessel's correction, as PyTorch's `x.var()`.
    #[track_caller]
    pub fn var_all(&self) -> Result<Tensor> {
        self.var(&[], 1, false)
    }
    /// The 2-norm (Frobenius) of all elements, as PyTorch's `x.norm()`; [`norm`](Self::norm)
    /// takes the order and dims.
    #[track_caller]
    pub fn norm_all(&self) -> Result<Tensor> {
        self.norm(Norm::L2, &[], false)
    }
    /// The vector norm over `dims` (all when empty), as `torch.linalg.vector_norm`.
    #[track_caller]
    pub fn norm(&self, p: Norm, dims: &[isize], keepdim: bool) -> Result<Tensor> {
        normalize_dims("norm", dims, self.dim())?;
        if matches!(p, Norm::L2 | Norm::P(2.0)) && dims.is_empty() && !keepdim && self.is_floating_point() {
            // Over everything: the sum of squares as one read (a dot product), no temporaries.
            let flat = self.reshape(&[-1])?;
            return flat.dot(&flat)?.sqrt();
        }
        let x = if self.is_floating_point() { self.abs()? } else { self.to_dtype(crate::DEFAULT_FLOAT)?.abs()? };
        match p {
            Norm::L1 | Norm::P(1.0) => x.sum_dim(dims, keepdim),
            Norm::L2 | Norm::P(2.0) => x.square()?.sum_dim(dims, keepdim)?.sqrt(),
            Norm::Inf | Norm::P(f64::INFINITY) => x.amax(dims, keepdim),
            // ord=-inf: the smallest magnitude; ord=0: the number of nonzeros, as vector_norm.
            Norm::P(f64::NEG_INFINITY) => x.amin(dims, keepdim),
            Norm::P(0.0) => x.ne(0)?.to_dtype(x.dtype())?.sum_dim(dims, keepdim),
            Norm::P(p) => x.pow(p)?.sum_dim(dims, keepdim)?.pow(1.0 / p),
        }
    }
    /// `log(sum(exp(x)))` over `dims`, computed stably, as `torch.logsumexp`.
    #[track_caller]
    pub fn logsumexp(&self, dims: &[isize], keepdim: bool) -> Result<Tensor> {
        let x = if self.is_floating_point() { self.shallow_clone() } else { self.to_dtype(crate::DEFAULT_FLOAT)? };
        if x.numel() == 0 {
            // Nothing to shift by: torch.logsumexp(torch.empty(0), 0) == -inf.
            return x.exp()?.sum_dim(dims, keepdim)?.log();
        }
        // Over the last dim alone: one fused pass per row where the backend has it.
        let last = x.dim().checked_sub(1);
        if let (Some(last), [d]) = (last, dims) {
            if normalize_dims("logsumexp", &[*d], x.dim())?[..] == [last] && x.size()[last] > 0 {
                let c = x.contiguous()?;
                let fused = c.read("logsumexp")?.logsumexp_rows(c.layout(), c.size()[last]).transpose()?;
                if let Some(s) = fused {
                    let mut shape = Dims::from_slice(c.size());
                    if keepdim {
                        shape[last] = 1;
                    } else {
                        shape.pop();
                    }
                    return Ok(Tensor::from_op(s, Shape::new(&shape), c.device()));
                }
            }
        }
        let m = x.amax(dims, true).in_op("logsumexp")?;
        // An infinite max would give inf - inf = NaN: shift by 0 there instead.
        let m = m.masked_fill(&m.isinf()?, 0.0)?;
        let s = x.sub(&m)?.exp()?.sum_dim(dims, true)?.log()?.add(&m)?;
        if keepdim {
            Ok(s)
        } else {
            let mut out = s;
            let mut ds = normalize_dims("logsumexp", if dims.is_empty() { &[] } else { dims }, self.dim())?;
            if dims.is_empty() {
                ds = (0..self.dim()).collect();
            }
            ds.sort_unstable();
            for &d in ds.iter().rev() {
                out = out.squeeze_dim(d as isize)?;
            }
            Ok(out)
        }
    }
    /// Running sum along `dim` (integers accumulate in int64), as `torch.cumsum`.
    #[track_caller]
    pub fn cumsum(&self, dim: isize) -> Result<Tensor> {
        self.scan("cumsum", dim, ScanOp::CumSum)
    }
    /// Each element plus those after it along `dim` (`x.flip(dim).cumsum(dim).flip(dim)`, the
    /// gradient of `cumsum`), in one pass.
    #[track_caller]
    pub fn reverse_cumsum(&self, dim: isize) -> Result<Tensor> {
        self.scan("reverse_cumsum", dim, ScanOp::ReverseCumSum)
    }
    /// Running product along `dim`, as `torch.cumprod`.
    #[track_caller]
    pub fn cumprod(&self, dim: isize) -> Result<Tensor> {
        self.scan("cumprod", dim, ScanOp::CumProd)
    }
    #[track_caller]
    pub(crate) fn scan(&self, name: &'static str, dim: isize, op: ScanOp) -> Result<Tensor> {
        let d = normalize_dim(name, dim, self.dim())?;
        let x = self.sum_input()?;
        let s = x.read("scan")?.scan(x.layout(), d, op)?;
        Ok(Tensor::from_op(s, x.shape(), x.device()))
    }
}
