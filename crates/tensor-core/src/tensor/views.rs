//! Views: new layouts over the same storage (no copy, no heap allocation), plus `reshape`,
//! which copies only when no view can express the new shape, and NumPy-style indexing.

use crate::shape::{infer_shape, normalize_dim};
use crate::{bail, Layout, Result, Shape, Tensor};
use alloc::vec::Vec;
use core::ops::{Range, RangeFrom, RangeFull, RangeInclusive, RangeTo, RangeToInclusive};

impl Tensor {
    /// The same elements in a new shape; one `-1` is inferred (`x.view(&[-1, 8])`). An error
    /// when the strides cannot express it, as in PyTorch; [`reshape`](Self::reshape) copies then.
    #[track_caller]
    pub fn view(&self, shape: &[isize]) -> Result<Tensor> {
        self.with_layout(self.layout().view(shape)?)
    }
    /// `view` to the shape of `other`.
    #[track_caller]
    pub fn view_as(&self, other: &Tensor) -> Result<Tensor> {
        self.with_layout(self.layout().view_as_shape(other.shape().clone())?)
    }
    /// A view when possible, else a contiguous copy, in the new shape (one `-1` inferred).
    #[track_caller]
    pub fn reshape(&self, shape: &[isize]) -> Result<Tensor> {
        let shape = infer_shape("reshape", shape, self.numel())?;
        self.reshape_to(shape)
    }
    /// `reshape` to a resolved shape.
    #[track_caller]
    pub fn reshape_to(&self, shape: impl Into<Shape>) -> Result<Tensor> {
        let shape = shape.into();
        if shape.numel() != self.numel() {
            bail!(Shape, "reshape", "shape '{:?}' is invalid for input of size {}", shape, self.numel());
        }
        match self.layout().view_as_shape(shape.clone()) {
            Ok(l) => self.with_layout(l),
            Err(_) => self.contiguous()?.with_layout(Layout::contiguous(shape)),
        }
    }
    /// Merges dims `start..=end` into one, as `torch.flatten` (a view when possible).
    #[track_caller]
    pub fn flatten(&self, start: isize, end: isize) -> Result<Tensor> {
        if self.dim() == 0 {
            return self.reshape_to([1]);
        }
        let s = normalize_dim("flatten", start, self.dim())?;
        let e = normalize_dim("flatten", end, self.dim())?;
        if s > e {
            bail!(Dim, "flatten", "start_dim ({s}) cannot come after end_dim ({e})");
        }
        let d = self.size();
        let mut dims: crate::shape::Dims = d[..s].iter().copied().collect();
        dims.push(d[s..=e].iter().product());
        dims.extend_from_slice(&d[e + 1..]);
        self.reshape_to(Shape::new(&dims))
    }
    /// Splits `dim` into `sizes` (one `-1` inferred), as `torch.unflatten`.
    #[track_caller]
    pub fn unflatten(&self, dim: isize, sizes: &[isize]) -> Result<Tensor> {
        if self.dim() == 0 {
            bail!(Dim, "unflatten", "Dimension specified as {dim} but tensor has no dimensions");
        }
        let d = normalize_dim("unflatten", dim, self.dim())?;
        let inner = infer_shape("unflatten", sizes, self.size()[d])?;
        let mut dims: crate::shape::Dims = self.size()[..d].iter().copied().collect();
        dims.extend_from_slice(inner.dims());
        dims.extend_from_slice(&self.size()[d + 1..]);
        self.with_layout(self.layout().view_as_shape(Shape::new(&dims))?)
    }
    /// Swaps two dims.
    #[track_caller]
    pub fn transpose(&self, dim0: isize, dim1: isize) -> Result<Tensor> {
        self.with_layout(self.layout().transpose(dim0, dim1)?)
    }
    /// The transpose of a matrix (0-d and 1-d tensors are returned as they are), as `x.t()`.
    #[track_caller]
    pub fn t(&self) -> Result<Tensor> {
        match self.dim() {
            0 | 1 => Ok(self.shallow_clone()),
            2 => self.transpose(0, 1),
            n => bail!(Dim, "t", "t() expects a tensor with <= 2 dimensions, but self is {n}D"),
        }
    }
    /// Reorders the dims, as `x.permute(2, 0, 1)`.
    #[track_caller]
    pub fn permute(&self, dims: &[isize]) -> Result<Tensor> {
        self.with_layout(self.layout().permute(dims)?)
    }
    /// `len` elements of `dim` from `start`.
    #[track_caller]
    pub fn narrow(&self, dim: isize, start: isize, len: usize) -> Result<Tensor> {
        self.with_layout(self.layout().narrow(dim, start, len)?)
    }
    /// Python's `x[start:end:step]` along `dim` (bounds may be negative or out of range).
    #[track_caller]
    pub fn slice(&self, dim: isize, start: Option<isize>, end: Option<isize>, step: usize) -> Result<Tensor> {
        self.with_layout(self.layout().slice(dim, start, end, step)?)
    }
    /// Removes `dim`, keeping element `index` of it.
    #[track_caller]
    pub fn select(&self, dim: isize, index: isize) -> Result<Tensor> {
        self.with_layout(self.layout().select(dim, index)?)
    }
    /// Removes every size-1 dim.
    pub fn squeeze(&self) -> Tensor {
        // Dropping size-1 dims reaches the same elements: nothing to check.
        Tensor { storage: self.storage.clone(), layout: self.layout().squeeze() }
    }
    /// Removes `dim` if its size is 1.
    #[track_caller]
    pub fn squeeze_dim(&self, dim: isize) -> Result<Tensor> {
        self.with_layout(self.layout().squeeze_dim(dim)?)
    }
    /// Inserts a size-1 dim at `dim`.
    #[track_caller]
    pub fn unsqueeze(&self, dim: isize) -> Result<Tensor> {
        self.with_layout(self.layout().unsqueeze(dim)?)
    }
    /// Repeats size-1 dims without copying (`-1` keeps a size), as `x.expand(...)`.
    #[track_caller]
    pub fn expand(&self, sizes: &[isize]) -> Result<Tensor> {
        self.with_layout(self.layout().expand(sizes)?)
    }
    /// `expand` to `other`'s shape.
    #[track_caller]
    pub fn expand_as(&self, other: &Tensor) -> Result<Tensor> {
        self.broadcast_to(other.shape())
    }
    /// A view of this tensor's storage with the given sizes, strides and storage offset (in
    /// elements, from the storage's start), as `torch.as_strided`: an error when it would reach
    /// outside the storage. Elements may overlap (a stride of 0 repeats one).
    ///
    /// ```
    /// use tensor_core::{Device, Tensor};
    /// let x = Tensor::arange(0.0, 6.0, 1.0, &Device::Cpu)?;
    /// assert_eq!(x.as_strided(&[2, 2], &[1, 2], 1)?.to_vec2::<f32>()?, [[1.0, 3.0], [2.0, 4.0]]);
    /// assert!(x.as_strided(&[2, 2], &[3, 1], 3).is_err()); // element 7 of 6
    /// assert!(x.as_strided(&[2], &[1, 1], 0).is_err()); // two strides for one size
    /// assert_eq!(x.as_strided(&[2, 3], &[0, 2], 0)?.to_vec2::<f32>()?, [[0.0, 2.0, 4.0]; 2]);
    /// # Ok::<(), tensor_core::Error>(())
    /// ```
    #[track_caller]
    pub fn as_strided(&self, size: &[usize], stride: &[usize], storage_offset: usize) -> Result<Tensor> {
        self.with_layout(Layout::strided(size, stride, storage_offset)?)
    }
    /// Broadcasts to `shape`, as `torch.broadcast_to`.
    #[track_caller]
    pub fn broadcast_to(&self, shape: &Shape) -> Result<Tensor> {
        self.with_layout(self.layout().broadcast_to(shape)?)
    }
    /// Splits `dim` into pieces of `size` (the last may be smaller), as `torch.split`.
    #[track_caller]
    pub fn split(&self, size: usize, dim: isize) -> Result<Vec<Tensor>> {
        if self.dim() == 0 {
            bail!(Dim, "split", "split expects at least a 1-dimensional tensor");
        }
        let d = normalize_dim("split", dim, self.dim())?;
        if size == 0 {
            bail!(Value, "split", "split_size must be positive, got 0");
        }
        let n = self.size()[d];
        // The pieces directly (no temporary list of sizes): one allocation, the result.
        let count = n.div_ceil(size).max(1);
        let mut out = Vec::with_capacity(count);
        for i in 0..count {
            let start = (i * size).min(n);
            out.push(self.narrow(d as isize, start as isize, size.min(n - start))?);
        }
        Ok(out)
    }
    /// Splits `dim` into pieces of the given sizes, which must add up to its size.
    #[track_caller]
    pub fn split_sizes(&self, sizes: &[usize], dim: isize) -> Result<Vec<Tensor>> {
        if self.dim() == 0 {
            bail!(Dim, "split", "split expects at least a 1-dimensional tensor");
        }
        let d = normalize_dim("split", dim, self.dim())?;
        let total: usize = sizes.iter().sum();
        if total != self.size()[d] {
            bail!(
                Shape,
                "split",
                "split sizes {:?} sum to {} but dim {} of {:?} has size {}",
                sizes,
                total,
                d,
                self.shape(),
                self.size()[d]
            );
        }
        let mut start = 0;
        let mut out = Vec::with_capacity(sizes.len());
        for &s in sizes {
            out.push(self.narrow(d as isize, start as isize, s)?);
            start += s;
        }
        Ok(out)
    }
    /// Splits `dim` into `chunks` pieces of equal size (the last may be smaller), as `torch.chunk`
    /// (a dim of size 0 gives `chunks` empty pieces).
    #[track_caller]
    pub fn chunk(&self, chunks: usize, dim: isize) -> Result<Vec<Tensor>> {
        if self.dim() == 0 {
            bail!(Dim, "chunk", "chunk expects at least a 1-dimensional tensor");
        }
        if chunks == 0 {
            bail!(Value, "chunk", "chunk expects `chunks` to be greater than 0, got: 0");
        }
        let d = normalize_dim("chunk", dim, self.dim())?;
        let n = self.size()[d];
        if n == 0 {
            return (0..chunks).map(|_| self.narrow(d as isize, 0, 0)).collect();
        }
        self.split(n.div_ceil(chunks), dim)
    }
    /// Every element of `dim` as its own tensor, as `torch.unbind`.
    #[track_caller]
    pub fn unbind(&self, dim: isize) -> Result<Vec<Tensor>> {
        if self.dim() == 0 {
            bail!(Dim, "unbind", "Dimension specified as {dim} but tensor has no dimensions");
        }
        let d = normalize_dim("unbind", dim, self.dim())?;
        (0..self.size()[d]).map(|i| self.select(d as isize, i as isize)).collect()
    }

    /// NumPy-style indexing: `x.i((.., 1))` is the seed's `x[:, 1]`; items are an integer (selects),
    /// a range (`1..3`, `..`, `2..`), [`Slice`] with a step, or [`NewAxis`].
    ///
    /// ```
    /// use tensor_core::{Tensor, Device};
    /// let x = Tensor::arange(0.0, 16.0, 1.0, &Device::Cpu)?.reshape(&[4, 4])?;
    /// assert_eq!(x.i((.., 1))?.to_vec::<f32>()?, [1., 5., 9., 13.]);
    /// # Ok::<(), tensor_core::Error>(())
    /// ```
    #[track_caller]
    pub fn i(&self, index: impl IndexItems) -> Result<Tensor> {
        let items = index.items();
        let mut layout = self.layout().clone();
        let mut dim = 0isize;
        let consumed = items.iter().filter(|i| !matches!(i, IndexItem::NewAxis)).count();
        if consumed > self.dim() {
            bail!(Index, "index", "too many indices for tensor of dimension {} (got {})", self.dim(), consumed);
        }
        for item in items {
            match item {
                IndexItem::At(i) => layout = layout.select(dim, i)?,
                IndexItem::Slice(Slice { start, end, step }) => {
                    layout = layout.slice(dim, start, end, step)?;
                    dim += 1;
                }
                IndexItem::NewAxis => {
                    layout = layout.unsqueeze(dim)?;
                    dim += 1;
                }
            }
        }
        self.with_layout(layout)
    }
}

/// `start:end:step` for [`Tensor::i`] (Python's slice, with `None` as an open bound).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slice {
    /// First index (negative counts from the end).
    pub start: Option<isize>,
    /// One past the last index.
    pub end: Option<isize>,
    /// Step (positive).
    pub step: usize,
}

/// Python's `start:end:step`.
pub fn s(start: Option<isize>, end: Option<isize>, step: usize) -> Slice {
    Slice { start, end, step }
}

/// Inserts a size-1 dim, as NumPy's `None` in an index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewAxis;

/// One item of an index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexItem {
    /// Select one element of the dim (removes it).
    At(isize),
    /// Keep a slice of the dim.
    Slice(Slice),
    /// Insert a size-1 dim.
    NewAxis,
}

macro_rules! index_item_int {
    ($($t:ty),*) => {$(
        impl From<$t> for IndexItem { fn from(i: $t) -> Self { IndexItem::At(i as isize) } }
    )*};
}
index_item_int!(i32, i64, isize, usize, u32);
impl From<RangeFull> for IndexItem {
    fn from(_: RangeFull) -> Self {
        IndexItem::Slice(s(None, None, 1))
    }
}
impl From<Range<isize>> for IndexItem {
    fn from(r: Range<isize>) -> Self {
        IndexItem::Slice(s(Some(r.start), Some(r.end), 1))
    }
}
impl From<RangeFrom<isize>> for IndexItem {
    fn from(r: RangeFrom<isize>) -> Self {
        IndexItem::Slice(s(Some(r.start), None, 1))
    }
}
impl From<RangeTo<isize>> for IndexItem {
    fn from(r: RangeTo<isize>) -> Self {
        IndexItem::Slice(s(None, Some(r.end), 1))
    }
}
impl From<RangeInclusive<isize>> for IndexItem {
    fn from(r: RangeInclusive<isize>) -> Self {
        IndexItem::Slice(s(Some(*r.start()), Some(*r.end() + 1), 1))
    }
}
impl From<RangeToInclusive<isize>> for IndexItem {
    fn from(r: RangeToInclusive<isize>) -> Self {
        IndexItem::Slice(s(None, Some(r.end + 1), 1))
    }
}
impl From<Slice> for IndexItem {
    fn from(sl: Slice) -> Self {
        IndexItem::Slice(sl)
    }
}
impl From<NewAxis> for IndexItem {
    fn from(_: NewAxis) -> Self {
        IndexItem::NewAxis
    }
}

/// What [`Tensor::i`] takes: one index item or a tuple of up to six.
pub trait IndexItems {
    /// The items, in order.
    fn items(self) -> smallvec::SmallVec<[IndexItem; 6]>;
}
impl<A: Into<IndexItem>> IndexItems for A {
    fn items(self) -> smallvec::SmallVec<[IndexItem; 6]> {
        smallvec::smallvec![self.into()]
    }
}
macro_rules! index_tuple {
    ($($n:ident),+) => {
        impl<$($n: Into<IndexItem>),+> IndexItems for ($($n,)+) {
            #[allow(non_snake_case)]
            fn items(self) -> smallvec::SmallVec<[IndexItem; 6]> {
                let ($($n,)+) = self;
                smallvec::smallvec![$($n.into()),+]
            }
        }
    };
}
index_tuple!(A);
index_tuple!(A, B);
index_tuple!(A, B, C);
index_tuple!(A, B, C, D);
index_tuple!(A, B, C, D, E);
index_tuple!(A, B, C, D, E, F);
