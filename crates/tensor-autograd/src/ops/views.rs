//! Views: the forward shares the input's storage; the backward maps the gradient back to the
//! input's shape (reshaping, transposing back, or embedding it into zeros for a slice).

use crate::node::Var;
use tensor_core::{IndexItem, IndexItems, Result, Shape, Tensor};

/// A view that picks part of a tensor; its backward embeds the gradient into zeros.
#[derive(Debug, Clone)]
enum Part {
    Narrow { dim: isize, start: isize, len: usize },
    Slice { dim: isize, start: Option<isize>, end: Option<isize>, step: usize },
    Select { dim: isize, index: isize },
    Index(Vec<IndexItem>),
}

impl Part {
    fn name(&self) -> &'static str {
        match self {
            Part::Narrow { .. } | Part::Slice { .. } => "SliceBackward0",
            Part::Select { .. } => "SelectBackward0",
            Part::Index(_) => "SliceBackward0",
        }
    }
    #[track_caller]
    fn apply(&self, t: &Tensor) -> Result<Tensor> {
        match self {
            Part::Narrow { dim, start, len } => t.narrow(*dim, *start, *len),
            Part::Slice { dim, start, end, step } => t.slice(*dim, *start, *end, *step),
            Part::Select { dim, index } => t.select(*dim, *index),
            Part::Index(items) => t.i(IndexList(items.clone())),
        }
    }
}

struct IndexList(Vec<IndexItem>);
impl IndexItems for IndexList {
    fn items(self) -> smallvec::SmallVec<[IndexItem; 6]> {
        self.0.into_iter().collect()
    }
}

fn isizes(s: &Shape) -> Vec<isize> {
    s.dims().iter().map(|&d| d as isize).collect()
}

impl Var {
    /// Records a view whose backward reshapes the gradient back to the input's shape.
    pub(crate) fn reshaping_view(&self, name: &'static str, value: Tensor) -> Var {
        let shape = isizes(self.shape());
        Var::record(value, name, &[self], vec![], move |ctx| Ok(vec![Some(ctx.grad().reshape(&shape)?)]))
    }
    /// `view` (one `-1` inferred).
    #[track_caller]
    pub fn view(&self, shape: &[isize]) -> Result<Var> {
        Ok(self.reshaping_view("ViewBackward0", self.tensor_ref().view(shape)?))
    }
    /// `reshape` (a view when possible).
    #[track_caller]
    pub fn reshape(&self, shape: &[isize]) -> Result<Var> {
        let value = self.tensor_ref().reshape(shape)?;
        if value.shape() == self.shape() {
            return Ok(self.clone());
        }
        let name = if value.shares_storage(self.tensor_ref()) { "ViewBackward0" } else { "UnsafeViewBackward0" };
        Ok(self.reshaping_view(name, value))
    }
    /// `flatten(start, end)`.
    #[track_caller]
    pub fn flatten(&self, start: isize, end: isize) -> Result<Var> {
        Ok(self.reshaping_view("ViewBackward0", self.tensor_ref().flatten(start, end)?))
    }
    /// `unflatten(dim, sizes)`.
    #[track_caller]
    pub fn unflatten(&self, dim: isize, sizes: &[isize]) -> Result<Var> {
        Ok(self.reshaping_view("ViewBackward0", self.tensor_ref().unflatten(dim, sizes)?))
    }
    /// Removes every size-1 dim.
    #[track_caller]
    pub fn squeeze(&self) -> Result<Var> {
        Ok(self.reshaping_view("SqueezeBackward0", self.tensor_ref().squeeze()))
    }
    /// Removes `dim` if its size is 1.
    #[track_caller]
    pub fn squeeze_dim(&self, dim: isize) -> Result<Var> {
        Ok(self.reshaping_view("SqueezeBackward1", self.tensor_ref().squeeze_dim(dim)?))
    }
    /// Inserts a size-1 dim.
    #[track_caller]
    pub fn unsqueeze(&self, dim: isize) -> Result<Var> {
        Ok(self.reshaping_view("UnsqueezeBackward0", self.tensor_ref().unsqueeze(dim)?))
    }
    /// A contiguous copy when needed (the gradient passes unchanged).
    #[track_caller]
    pub fn contiguous(&self) -> Result<Var> {
        if self.tensor_ref().is_contiguous() {
            return Ok(self.clone());
        }
        let value = self.tensor_ref().contiguous()?;
        Ok(Var::record(value, "CloneBackward0", &[self], vec![], |ctx| Ok(vec![Some(ctx.grad().clone())])))
    }
    /// Swaps two dims.
    #[track_caller]
    pub fn transpose(&self, dim0: isize, dim1: isize) -> Result<Var> {
        let value = self.tensor_ref().transpose(dim0, dim1)?;
        Ok(Var::record(value, "TransposeBackward0", &[self], vec![], move |ctx| {
            Ok(vec![Some(ctx.grad().transpose(dim0, dim1)?)])
        }))
    }
    /// Matrix transpose.
    #[track_caller]
    pub fn t(&self) -> Result<Var> {
        if self.dim() < 2 {
            return Ok(self.clone());
        }
        let value = self.tensor_ref().t()?;
        Ok(Var::record(value, "TBackward0", &[self], vec![], |ctx| Ok(vec![Some(ctx.grad().t()?)])))
    }
    /// Reorders the dims.
    #[track_caller]
    pub fn permute(&self, dims: &[isize]) -> Result<Var> {
        let value = self.tensor_ref().permute(dims)?;
        let rank = self.dim() as isize;
        let mut inverse = vec![0isize; dims.len()];
        for (i, &d) in dims.iter().enumerate() {
            inverse[(if d < 0 { d + rank } else { d }) as usize] = i as isize;
        }
        Ok(Var::record(value, "PermuteBackward0", &[self], vec![], move |ctx| {
            Ok(vec![Some(ctx.grad().permute(&inverse)?)])
        }))
    }
    /// Repeats size-1 dims; the gradient is summed back.
    #[track_caller]
    pub fn expand(&self, sizes: &[isize]) -> Result<Var> {
        let value = self.tensor_ref().expand(sizes)?;
        if value.shape() == self.shape() {
            return Ok(self.clone());
        }
        let (shape, dtype) = (self.shape().clone(), self.dtype());
        Ok(Var::record(value, "ExpandBackward0", &[self], vec![], move |ctx| {
            Ok(vec![Some(ctx.grad().sum_to(&shape, dtype)?)])
        }))
    }
    /// Broadcasts to `shape`.
    #[track_caller]
    pub fn broadcast_to(&self, shape: &Shape) -> Result<Var> {
        self.expand(&isizes(shape))
    }

    #[track_caller]
    fn part(&self, part: Part) -> Result<Var> {
        self.part_named(part.name(), part)
    }
    #[track_caller]
    fn part_named(&self, name: &'static str, part: Part) -> Result<Var> {
        let value = part.apply(self.tensor_ref())?;
        let shape = self.shape().clone();
        Ok(Var::record(value, name, &[self], vec![], move |ctx| {
            Ok(vec![Some(ctx.grad().embed(&shape, part.clone())?)])
        }))
    }
    /// Zeros of `shape` with `self` written into `part` of them (the backward of a slice). Its
    /// own backward takes the same part of the gradient.
    #[track_caller]
    fn embed(&self, shape: &Shape, part: Part) -> Result<Var> {
        let zeros = Tensor::zeros(shape.clone(), self.dtype(), self.device())?;
        part.apply(&zeros)?.copy_(self.tensor_ref())?;
        Ok(Var::record(zeros, "SliceBackwardBackward0", &[self], vec![], move |ctx| {
            Ok(vec![Some(ctx.grad().part(part.clone())?)])
        }))
    }
    /// `len` elements of `dim` from `start`.
    #[track_caller]
    pub fn narrow(&self, dim: isize, start: isize, len: usize) -> Result<Var> {
        self.part(Part::Narrow { dim, start, len })
    }
    /// Python's `x[start:end:step]` along `dim`.
    #[track_caller]
    pub fn slice(&self, dim: isize, start: Option<isize>, end: Option<isize>, step: usize) -> Result<Var> {
        self.part(Part::Slice { dim, start, end, step })
    }
    /// Removes `dim`, keeping element `index`.
    #[track_caller]
    pub fn select(&self, dim: isize, index: isize) -> Result<Var> {
        self.part(Part::Select { dim, index })
    }
    /// NumPy-style indexing, as [`Tensor::i`].
    #[track_caller]
    pub fn i(&self, index: impl IndexItems) -> Result<Var> {
        self.part(Part::Index(index.items().into_iter().collect()))
    }
    /// Pieces of `size` along `dim` (each a `SplitBackward0` view; in-place ops on them are
    /// refused while recording, as PyTorch refuses them on the outputs of multi-view ops).
    #[track_caller]
    pub fn split(&self, size: usize, dim: isize) -> Result<Vec<Var>> {
        let pieces = self.tensor_ref().split(size, dim)?;
        let d = tensor_core::shape::normalize_dim("split", dim, self.dim())?;
        let mut start = 0isize;
        let mut out = Vec::with_capacity(pieces.len());
        for (i, p) in pieces.iter().enumerate() {
            let len = p.size()[d];
            let piece = self.part_named("SplitBackward0", Part::Narrow { dim, start, len })?;
            out.push(piece.mark_multi_output("Split", i));
            start += len as isize;
        }
        Ok(out)
    }
    /// `chunks` pieces along `dim`.
    #[track_caller]
    pub fn chunk(&self, chunks: usize, dim: isize) -> Result<Vec<Var>> {
        let d = tensor_core::shape::normalize_dim("chunk", dim, self.dim())?;
        if chunks == 0 {
            tensor_core::bail!(Value, "chunk", "chunk expects `chunks` to be greater than 0, got: 0");
        }
        self.split(self.size()[d].div_ceil(chunks).max(1), dim)
    }
    /// Every element of `dim` as its own variable (`UnbindBackward0` views, as `split`'s).
    #[track_caller]
    pub fn unbind(&self, dim: isize) -> Result<Vec<Var>> {
        let d = tensor_core::shape::normalize_dim("unbind", dim, self.dim())?;
        (0..self.size()[d])
            .map(|i| {
                let piece = self.part_named("UnbindBackward0", Part::Select { dim, index: i as isize })?;
                Ok(piece.mark_multi_output("Unbind", i))
            })
            .collect()
    }
}
