//! Indexing ops: `index_select`, `gather`, `scatter` / `scatter_add` (and `_` forms), `index_add`,
//! `masked_select`, `nonzero`, `one_hot`, with PyTorch's semantics and checks.
//!
//! Indices are int64 (int32 is accepted and cast), never wrap when negative, and an index out of
//! range is an [`ErrorKind::Index`](crate::ErrorKind::Index) error that names the op, the index,
//! the dim and the shape. Data-dependent results (`masked_select`, `nonzero`) are built from
//! backend ops only (a cumulative sum gives each selected element its slot, a scatter writes it),
//! so they run on any device; only their element count is read back to the host, as in PyTorch.

pub(crate) mod backend;
pub(crate) mod cpu;

use crate::backend::ScatterReduce;
use crate::shape::{broadcast_shapes, normalize_dim, Dims};
use crate::{bail, DType, Result, Scalar, Shape, Tensor};

/// `index` as int64 (an int32 index is cast), or the dtype error of `op`.
#[track_caller]
fn long_index(op: &'static str, index: &Tensor) -> Result<Tensor> {
    match index.dtype() {
        DType::I64 => Ok(index.shallow_clone()),
        DType::I32 => index.to_dtype(DType::I64),
        d => bail!(DType, op, "{}(): Expected dtype int32 or int64 for index, but got {}", op, d),
    }
}

/// A 0-d tensor as 1-d of one element (PyTorch's `ensure_nonempty_dim`); others unchanged.
#[track_caller]
fn at_least_1d(t: &Tensor) -> Result<Tensor> {
    if t.dim() == 0 {
        t.unsqueeze(0)
    } else {
        Ok(t.shallow_clone())
    }
}

/// A 1-d index for `index_select` / `index_add` (a 0-d one is one element).
#[track_caller]
fn vector_index(op: &'static str, index: &Tensor) -> Result<Tensor> {
    if index.dim() > 1 {
        bail!(Index, op, "{}(): Index is supposed to be a vector, but got an index of shape {:?}", op, index.shape());
    }
    at_least_1d(&long_index(op, index)?)
}

/// Narrows the leading part of every dim of `t` to `dims` (same rank, `dims` no larger).
#[track_caller]
fn narrow_to(t: &Tensor, dims: &[usize]) -> Result<Tensor> {
    let mut out = t.shallow_clone();
    for (k, &n) in dims.iter().enumerate() {
        if out.size()[k] != n {
            out = out.narrow(k as isize, 0, n)?;
        }
    }
    Ok(out)
}

impl Tensor {
    /// The entries `indices` (int64 or int32, 0-d or 1-d) of `dim`, as `torch.index_select`:
    /// the result has `dim` of the length of `indices`.
    #[track_caller]
    pub fn index_select(&self, dim: isize, indices: &Tensor) -> Result<Tensor> {
        const OP: &str = "index_select";
        let d = normalize_dim(OP, dim, self.dim())?;
        let idx = vector_index(OP, indices)?;
        self.same_device(OP, &[&idx])?;
        if self.dim() == 0 && idx.numel() != 1 {
            bail!(Index, OP, "index_select(): Index to scalar can have only 1 value, got {} value(s)", idx.numel());
        }
        let x = at_least_1d(self)?;
        let mut shape = Dims::from_slice(x.size());
        shape[d] = idx.numel();
        let s = Tensor::read_all(OP, [&x, &idx], |[a, b]| a.index_select(x.layout(), d, b, idx.layout()))?;
        let out = Tensor::from_op(s, Shape::from_dims(shape), self.device());
        if self.dim() == 0 {
            return out.reshape_to(Shape::scalar());
        }
        Ok(out)
    }

    /// `out[p] = self[p with p[dim] = index[p]]`, as `torch.gather`: the result has the index's
    /// shape; the index has `self`'s rank and is no larger than `self` in every dim but `dim`.
    #[track_caller]
    pub fn gather(&self, dim: isize, index: &Tensor) -> Result<Tensor> {
        const OP: &str = "gather";
        let d = normalize_dim(OP, dim, self.dim())?;
        let idx = long_index(OP, index)?;
        self.same_device(OP, &[&idx])?;
        let (x, i) = (at_least_1d(self)?, at_least_1d(&idx)?);
        if x.dim() != i.dim() {
            bail!(
                Shape,
                OP,
                "Index tensor must have the same number of dimensions as input tensor (index of shape {:?}, input of shape {:?})",
                index.shape(),
                self.shape()
            );
        }
        for k in 0..x.dim() {
            if k != d && i.size()[k] > x.size()[k] {
                bail!(
                    Shape,
                    OP,
                    "Size does not match at dimension {} expected index {:?} to be no larger than self {:?} apart from dimension {}",
                    k,
                    index.shape(),
                    self.shape(),
                    d
                );
            }
        }
        if i.numel() == 0 {
            return Tensor::empty(index.shape(), self.dtype(), self.device());
        }
        let s = Tensor::read_all("gather", [&x, &i], |[a, b]| a.gather(x.layout(), d, b, i.layout()))?;
        Ok(Tensor::from_op(s, index.shape(), self.device()))
    }

    /// The checks and the backend call shared by every scatter form.
    #[track_caller]
    fn scatter_impl(
        &mut self,
        op: &'static str,
        dim: isize,
        index: &Tensor,
        src: &Tensor,
        reduce: ScatterReduce,
    ) -> Result<()> {
        let d = normalize_dim(op, dim, self.dim())?;
        let idx = long_index(op, index)?;
        self.same_device(op, &[&idx, src])?;
        if src.dtype() != self.dtype() {
            bail!(
                DType,
                op,
                "{}(): Expected self.dtype to be equal to src.dtype (got {} and {})",
                op,
                self.dtype(),
                src.dtype()
            );
        }
        self.check_writable(op)?;
        if idx.numel() == 0 {
            return Ok(());
        }
        let (i, s) = (at_least_1d(&idx)?, at_least_1d(src)?);
        let layout = if self.dim() == 0 { self.layout().unsqueeze(0)? } else { self.layout().clone() };
        if i.dim() != layout.rank() || s.dim() != layout.rank() {
            bail!(
                Shape,
                op,
                "Index tensor must have the same number of dimensions as self tensor and src tensor (index of shape {:?}, self of shape {:?}, src of shape {:?})",
                index.shape(),
                self.shape(),
                src.shape()
            );
        }
        let wrong = (0..layout.rank()).any(|k| i.size()[k] > s.size()[k] || (k != d && i.size()[k] > layout.dims()[k]));
        if wrong {
            bail!(
                Shape,
                op,
                "Expected index {:?} to be no larger than self {:?} apart from dimension {} and to be no larger size than src {:?}",
                index.shape(),
                self.shape(),
                d,
                src.shape()
            );
        }
        let s = narrow_to(&s, i.size())?.detached_copy_if_shared(self)?;
        let i = i.detached_copy_if_shared(self)?;
        self.write_reading(op, [&i, &s], |dst, [ib, sb]| {
            dst.scatter_inplace(&layout, d, ib, i.layout(), sb, s.layout(), reduce)
        })
    }

    /// Writes `src[p]` to `self[p with p[dim] = index[p]]` for every position `p` of the index,
    /// in place, as `x.scatter_(dim, index, src)`. Which write wins when two positions collide is
    /// unspecified (the CPU keeps the last in row-major order).
    #[track_caller]
    pub fn scatter_(&mut self, dim: isize, index: &Tensor, src: &Tensor) -> Result<()> {
        self.scatter_impl("scatter", dim, index, src, ScatterReduce::Replace)
    }
    /// Out-of-place [`scatter_`](Self::scatter_), as `torch.scatter(x, dim, index, src)`.
    #[track_caller]
    pub fn scatter(&self, dim: isize, index: &Tensor, src: &Tensor) -> Result<Tensor> {
        let mut out = self.try_clone()?;
        out.scatter_(dim, index, src)?;
        Ok(out)
    }
    /// Writes `value` at every position the index names, in place, as `x.scatter_(dim, index, value)`.
    #[track_caller]
    pub fn scatter_value_(&mut self, dim: isize, index: &Tensor, value: impl Into<Scalar>) -> Result<()> {
        let v = Tensor::full(Shape::scalar(), value, self.dtype(), self.device())?;
        let shape = Shape::new(index.size());
        let v = if index.dim() == 0 { v } else { v.broadcast_to(&shape)? };
        self.scatter_impl("scatter", dim, index, &v, ScatterReduce::Replace)
    }
    /// Out-of-place [`scatter_value_`](Self::scatter_value_), as `torch.scatter(x, dim, index, value)`.
    #[track_caller]
    pub fn scatter_value(&self, dim: isize, index: &Tensor, value: impl Into<Scalar>) -> Result<Tensor> {
        let mut out = self.try_clone()?;
        out.scatter_value_(dim, index, value)?;
        Ok(out)
    }
    /// Adds `src[p]` to `self[p with p[dim] = index[p]]`, in place, as `x.scatter_add_(dim, index, src)`.
    #[track_caller]
    pub fn scatter_add_(&mut self, dim: isize, index: &Tensor, src: &Tensor) -> Result<()> {
        self.scatter_impl("scatter_add", dim, index, src, ScatterReduce::Add)
    }
    /// Out-of-place [`scatter_add_`](Self::scatter_add_), as `torch.scatter_add`.
    #[track_caller]
    pub fn scatter_add(&self, dim: isize, index: &Tensor, src: &Tensor) -> Result<Tensor> {
        let mut out = self.try_clone()?;
        out.scatter_add_(dim, index, src)?;
        Ok(out)
    }

    /// `self.select(dim, index[i]) += alpha * source.select(dim, i)` for each `i`, in place, as
    /// `x.index_add_(dim, index, source, alpha=alpha)`.
    #[track_caller]
    pub fn index_add_scaled_(
        &mut self,
        dim: isize,
        index: &Tensor,
        source: &Tensor,
        alpha: impl Into<Scalar>,
    ) -> Result<()> {
        const OP: &str = "index_add";
        let alpha = alpha.into();
        let d = normalize_dim(OP, dim, self.dim())?;
        let idx = vector_index(OP, index)?;
        self.same_device(OP, &[&idx, source])?;
        if source.dtype() != self.dtype() {
            bail!(
                DType,
                OP,
                "index_add_(): self ({}) and source ({}) must have the same scalar type",
                self.dtype(),
                source.dtype()
            );
        }
        if !self.is_floating_point() && matches!(alpha, Scalar::Float(_)) {
            bail!(Value, OP, "For integral input tensors, argument alpha must not be a floating point number.");
        }
        let layout = if self.dim() == 0 { self.layout().unsqueeze(0)? } else { self.layout().clone() };
        let src = at_least_1d(source)?;
        let same_slices =
            src.dim() == layout.rank() && (0..layout.rank()).all(|k| k == d || src.size()[k] == layout.dims()[k]);
        if !same_slices {
            bail!(
                Shape,
                OP,
                "source tensor shape must match self tensor shape, excluding the specified dimension. Got self.shape = {:?} source.shape = {:?}",
                self.shape(),
                source.shape()
            );
        }
        if src.size()[d] != idx.numel() {
            bail!(
                Shape,
                OP,
                "index_add_(): Number of indices ({}) should be equal to source.size(dim): ({}), for dim: {}",
                idx.numel(),
                src.size()[d],
                d
            );
        }
        self.check_writable(OP)?;
        if idx.numel() == 0 {
            return Ok(());
        }
        let src = if alpha.to_f64() == 1.0 { src } else { src.mul(alpha)?.to_dtype(self.dtype())? };
        let src = src.detached_copy_if_shared(self)?;
        let idx = idx.detached_copy_if_shared(self)?;
        self.write_reading(OP, [&idx, &src], |dst, [ib, sb]| {
            dst.index_add_inplace(&layout, d, ib, idx.layout(), sb, src.layout())
        })
    }
    /// `index_add_` with `alpha = 1`.
    #[track_caller]
    pub fn index_add_(&mut self, dim: isize, index: &Tensor, source: &Tensor) -> Result<()> {
        self.index_add_scaled_(dim, index, source, 1)
    }
    /// Out-of-place [`index_add_scaled_`](Self::index_add_scaled_), as `torch.index_add(.., alpha=)`.
    #[track_caller]
    pub fn index_add_scaled(
        &self,
        dim: isize,
        index: &Tensor,
        source: &Tensor,
        alpha: impl Into<Scalar>,
    ) -> Result<Tensor> {
        let mut out = self.try_clone()?;
        out.index_add_scaled_(dim, index, source, alpha)?;
        Ok(out)
    }
    /// Out-of-place [`index_add_`](Self::index_add_), as `torch.index_add`.
    #[track_caller]
    pub fn index_add(&self, dim: isize, index: &Tensor, source: &Tensor) -> Result<Tensor> {
        self.index_add_scaled(dim, index, source, 1)
    }

    /// The flat positions (int64, 1-d, ascending) of the true elements of a 1-d Bool tensor.
    #[track_caller]
    fn true_positions(mask: &Tensor) -> Result<Tensor> {
        let n = mask.numel();
        let dev = mask.device();
        if n == 0 {
            return Tensor::zeros([0], DType::I64, dev);
        }
        // Slot of each true element: its running count - 1; false elements go to a spare slot n.
        let counts = mask.cumsum(0)?;
        let total = counts.select(0, -1)?.item::<i64>()? as usize;
        let slots = counts.sub(1)?.where_(mask, n as i64)?;
        let mut buf = Tensor::zeros([n + 1], DType::I64, dev)?;
        let positions = Tensor::arange_dtype(0.0, n as f64, 1.0, DType::I64, dev)?;
        buf.scatter_(0, &slots, &positions)?;
        buf.narrow(0, 0, total)
    }

    /// The elements where `mask` (Bool, broadcast with `self`) is true, as a 1-d tensor in
    /// row-major order, as `torch.masked_select`.
    #[track_caller]
    pub fn masked_select(&self, mask: &Tensor) -> Result<Tensor> {
        const OP: &str = "masked_select";
        if mask.dtype() != DType::Bool {
            bail!(DType, OP, "masked_select: expected BoolTensor for mask, got {}", mask.dtype());
        }
        self.same_device(OP, &[mask])?;
        let shape = broadcast_shapes(OP, self.shape(), mask.shape())?;
        let m = mask.broadcast_to(&shape)?.reshape(&[-1])?;
        let x = self.broadcast_to(&shape)?.reshape(&[-1])?;
        x.index_select(0, &Tensor::true_positions(&m)?)
    }

    /// The indices of the nonzero elements (NaN counts as nonzero), one row per element in
    /// row-major order: an int64 tensor of shape `[n, ndim]`, as `torch.nonzero`.
    #[track_caller]
    pub fn nonzero(&self) -> Result<Tensor> {
        let mask = if self.dtype() == DType::Bool { self.shallow_clone() } else { self.ne(0)? };
        let flat = Tensor::true_positions(&mask.reshape(&[-1])?)?;
        let count = flat.numel();
        if self.dim() == 0 {
            return Tensor::zeros([count, 0], DType::I64, self.device());
        }
        let strides = self.shape().contiguous_strides();
        let mut cols = alloc::vec::Vec::with_capacity(self.dim());
        for (&size, &stride) in self.size().iter().zip(strides.iter()) {
            cols.push(flat.floor_divide(stride as i64)?.remainder(size.max(1) as i64)?);
        }
        let refs: alloc::vec::Vec<&Tensor> = cols.iter().collect();
        Tensor::stack(&refs, 1)
    }

    /// One-hot encoding of int64 class indices, as `F.one_hot`: the result (int64) has a new
    /// last dim of `num_classes` (`None`: the largest value + 1).
    #[track_caller]
    pub fn one_hot(&self, num_classes: Option<usize>) -> Result<Tensor> {
        const OP: &str = "one_hot";
        if self.dtype() != DType::I64 {
            bail!(DType, OP, "one_hot is only applicable to index tensor of type LongTensor (got {}).", self.dtype());
        }
        let mut shape = Dims::from_slice(self.size());
        let given = num_classes.filter(|&c| c > 0);
        if self.numel() == 0 {
            let Some(c) = given else {
                bail!(Value, OP, "Can not infer total number of classes from empty tensor (shape {:?}).", self.shape());
            };
            shape.push(c);
            return Tensor::zeros(Shape::from_dims(shape), DType::I64, self.device());
        }
        let min = self.min()?.item::<i64>()?;
        if min < 0 {
            bail!(
                Index,
                OP,
                "Class values must be non-negative (got {} in a tensor of shape {:?}).",
                min,
                self.shape()
            );
        }
        let max = self.max()?.item::<i64>()?;
        let classes = num_classes.unwrap_or(max as usize + 1);
        if max as u64 >= classes as u64 {
            bail!(
                Index,
                OP,
                "Class values must be smaller than num_classes (got {} with num_classes = {}).",
                max,
                classes
            );
        }
        shape.push(classes);
        let mut out = Tensor::zeros(Shape::from_dims(shape), DType::I64, self.device())?;
        out.scatter_value_(-1, &self.unsqueeze(-1)?, 1)?;
        Ok(out)
    }
}
