//! [`Layout`]: how a tensor's elements sit in its storage (shape, strides in elements, offset).
//!
//! Every view is a pure function `&Layout -> Result<Layout>` here; none touches the heap for up
//! to six dims. Strides are never negative (as in PyTorch, `flip` copies).

use crate::shape::{infer_shape, normalize_dim, Dims, Shape};
use crate::{bail, Result, ResultExt};

/// Shape + strides (in elements) + offset into the storage.
///
/// Invariants, kept by every constructor with checked arithmetic:
/// - `shape.rank() == strides.len()`;
/// - the element count fits in `usize`, every stride is at most `isize::MAX`, and the
///   [`max_extent`](Self::max_extent) (one past the largest index reached) is computable without
///   overflow, so kernels may add and multiply strides, sizes and indices freely;
/// - a tensor's layout reaches only elements inside its storage: views only ever narrow or
///   rearrange, and `Tensor` checks the extent against the storage's length once, where a
///   layout is attached to it. Kernels rely on this (each `unsafe` block says so).
#[derive(PartialEq, Eq, Hash, Debug)]
pub struct Layout {
    shape: Shape,
    strides: Dims,
    offset: usize,
}

impl Clone for Layout {
    /// A copy of the inline dims (smallvec's own `clone` collects element by element).
    #[inline]
    fn clone(&self) -> Self {
        Layout { shape: self.shape.clone(), strides: Dims::from_slice(&self.strides), offset: self.offset }
    }
}

impl Layout {
    /// The row-major contiguous layout of `shape`, at offset 0.
    pub fn contiguous(shape: impl Into<Shape>) -> Self {
        let shape = shape.into();
        let strides = shape.contiguous_strides();
        Layout { shape, strides, offset: 0 }
    }
    /// A layout from its parts (crate-internal: callers uphold the invariant).
    pub(crate) fn from_parts(shape: Shape, strides: Dims, offset: usize) -> Self {
        debug_assert_eq!(shape.rank(), strides.len());
        let l = Layout { shape, strides, offset };
        debug_assert!(l.checked_extent().is_some(), "layout {l:?} overflows");
        l
    }
    /// The layout of `sizes` and `strides` at `offset`, as `torch.as_strided` takes them: a
    /// Shape error when their ranks differ, an Index error when the elements it reaches
    /// overflow (whether they lie inside a storage is checked where it meets one).
    #[track_caller]
    pub fn strided(sizes: &[usize], strides: &[usize], offset: usize) -> Result<Layout> {
        if sizes.len() != strides.len() {
            bail!(Shape, "as_strided", "mismatch in length of strides and shape: sizes {sizes:?}, strides {strides:?}");
        }
        let l = Layout { shape: Shape::from(sizes), strides: Dims::from_slice(strides), offset };
        let dense =
            sizes.iter().try_fold(1usize, |a, &d| a.checked_mul(d.max(1))).filter(|&n| n <= isize::MAX as usize);
        if dense.is_none() || l.checked_extent().is_none() {
            bail!(Index, "as_strided", "sizes {sizes:?}, strides {strides:?} and offset {offset} overflow");
        }
        Ok(l)
    }
    /// The sizes.
    pub fn shape(&self) -> &Shape {
        &self.shape
    }
    /// The sizes as a slice.
    pub fn dims(&self) -> &[usize] {
        self.shape.dims()
    }
    /// The strides, in elements.
    pub fn strides(&self) -> &[usize] {
        &self.strides
    }
    /// Offset of the first element in the storage, in elements.
    pub fn offset(&self) -> usize {
        self.offset
    }
    /// Number of dims.
    pub fn rank(&self) -> usize {
        self.shape.rank()
    }
    /// Number of elements.
    pub fn numel(&self) -> usize {
        self.shape.numel()
    }

    /// True when the elements are row-major and dense (size-1 dims may have any stride, and a
    /// tensor with no elements is contiguous), as PyTorch's `is_contiguous`.
    pub fn is_contiguous(&self) -> bool {
        self.numel() == 0 || self.has_dense_strides()
    }
    /// The strides of a row-major dense layout (ignoring size-1 dims); meaningful for a
    /// layout with elements.
    fn has_dense_strides(&self) -> bool {
        let mut expected = 1;
        for (&d, &s) in self.dims().iter().zip(self.strides.iter()).rev() {
            if d != 1 {
                if s != expected {
                    return false;
                }
                expected *= d;
            }
        }
        true
    }

    /// `Some((start, end))` when the elements are the dense storage range `start..end`, in order
    /// (`0..0` for a layout with no elements, whose offset may lie past the storage's end).
    pub fn contiguous_range(&self) -> Option<(usize, usize)> {
        match self.numel() {
            0 => Some((0, 0)),
            n => self.has_dense_strides().then(|| (self.offset, self.offset + n)),
        }
    }

    /// One past the largest storage index this layout reads (0 when it has no elements).
    pub fn max_extent(&self) -> usize {
        self.checked_extent().unwrap_or(usize::MAX)
    }
    /// [`max_extent`](Self::max_extent) with checked arithmetic: `None` when a stride exceeds
    /// `isize::MAX` or the sum overflows (never for a layout that satisfies its invariants).
    pub fn checked_extent(&self) -> Option<usize> {
        if self.strides.iter().any(|&s| s > isize::MAX as usize) {
            return None;
        }
        if self.dims().contains(&0) {
            return Some(0);
        }
        crate::shape::checked_product("", self.dims()).ok()?;
        let mut last = self.offset;
        for (&d, &s) in self.dims().iter().zip(self.strides.iter()) {
            last = last.checked_add((d - 1).checked_mul(s)?)?;
        }
        last.checked_add(1)
    }
    /// Checks the invariants against a storage of `storage_len` elements: an Index error naming
    /// `op` when an element would lie outside it (or the arithmetic overflows).
    #[track_caller]
    pub fn check_within(&self, op: &'static str, storage_len: usize) -> Result<()> {
        match self.checked_extent() {
            Some(e) if e <= storage_len => Ok(()),
            _ => bail!(
                Index,
                op,
                "a view of shape {:?}, strides {:?} and offset {} reaches outside its storage of {} elements",
                self.shape,
                &self.strides[..],
                self.offset,
                storage_len
            ),
        }
    }

    /// `view`: the same elements under a new shape, one `-1` inferred. An error, as PyTorch's,
    /// when the strides cannot express the new shape (then `reshape`, which copies, is needed).
    #[track_caller]
    pub fn view(&self, spec: &[isize]) -> Result<Layout> {
        let shape = infer_shape("view", spec, self.numel())?;
        self.view_as_shape(shape)
    }

    /// `view` to an already resolved shape.
    #[track_caller]
    pub fn view_as_shape(&self, shape: Shape) -> Result<Layout> {
        if shape.numel() != self.numel() {
            bail!(Shape, "view", "shape '{:?}' is invalid for input of size {}", shape, self.numel());
        }
        match compute_view_strides(self.dims(), &self.strides, shape.dims()) {
            Some(strides) => {
                let l = Layout { shape, strides, offset: self.offset };
                // The same elements as `self`, so never larger; checked all the same.
                if l.checked_extent().is_none_or(|e| e > self.max_extent()) {
                    bail!(Shape, "view", "view size {:?} of a tensor of size {:?} and stride {:?} overflows", l.shape, self.shape, self.strides());
                }
                Ok(l)
            }
            None => bail!(
                Shape,
                "view",
                "view size {:?} is not compatible with input tensor's size {:?} and stride {:?} (at least one dimension spans across two contiguous subspaces). Use .reshape(...) instead.",
                shape,
                self.shape,
                self.strides()
            ),
        }
    }

    /// Swaps two dims.
    #[track_caller]
    pub fn transpose(&self, dim0: isize, dim1: isize) -> Result<Layout> {
        let d0 = normalize_dim("transpose", dim0, self.rank())?;
        let d1 = normalize_dim("transpose", dim1, self.rank())?;
        let mut out = self.clone();
        if self.rank() > 0 {
            out.shape.dims_mut().swap(d0, d1);
            out.strides.swap(d0, d1);
        }
        Ok(out)
    }

    /// Reorders the dims: result dim `i` is input dim `dims[i]`.
    #[track_caller]
    pub fn permute(&self, dims: &[isize]) -> Result<Layout> {
        if dims.len() != self.rank() {
            bail!(
                Dim,
                "permute",
                "number of dims don't match in permute: input has {} dims ({:?}) but {:?} were given",
                self.rank(),
                self.shape,
                dims
            );
        }
        let dims = crate::shape::normalize_dims("permute", dims, self.rank())?;
        let mut shape = Dims::new();
        let mut strides = Dims::new();
        for &d in &dims {
            shape.push(self.dims()[d]);
            strides.push(self.strides[d]);
        }
        Ok(Layout { shape: Shape::from_dims(shape), strides, offset: self.offset })
    }

    /// `len` elements of `dim` from `start` (negative counts from the end).
    #[track_caller]
    pub fn narrow(&self, dim: isize, start: isize, len: usize) -> Result<Layout> {
        if self.rank() == 0 {
            bail!(Dim, "narrow", "narrow() cannot be applied to a 0-dim tensor");
        }
        let d = normalize_dim("narrow", dim, self.rank())?;
        let size = self.dims()[d];
        let start = if start < 0 { start.saturating_add(size as isize) } else { start };
        if start < 0 || (start as usize).checked_add(len).is_none_or(|end| end > size) {
            bail!(
                Index,
                "narrow",
                "start ({}) + length ({}) exceeds dimension size ({}) of dim {} in shape {:?}",
                start,
                len,
                size,
                d,
                self.shape
            );
        }
        let mut out = self.clone();
        out.offset = self.offset_plus("narrow", start as usize, d)?;
        out.shape.dims_mut()[d] = len;
        Ok(out)
    }

    /// Python's `x[start:end:step]` along `dim`: bounds clamp as in Python, `step` > 0.
    #[track_caller]
    pub fn slice(&self, dim: isize, start: Option<isize>, end: Option<isize>, step: usize) -> Result<Layout> {
        if self.rank() == 0 {
            bail!(Dim, "slice", "slice() cannot be applied to a 0-dim tensor");
        }
        if step == 0 {
            bail!(Value, "slice", "slice step must be positive");
        }
        let d = normalize_dim("slice", dim, self.rank())?;
        let size = self.dims()[d] as isize;
        let clamp = |v: isize| if v < 0 { (v + size).max(0) } else { v.min(size) };
        let start = clamp(start.unwrap_or(0));
        let end = clamp(end.unwrap_or(size)).max(start);
        let len = ((end - start) as usize).div_ceil(step);
        let mut out = self.clone();
        out.offset = self.offset_plus("slice", start as usize, d)?;
        out.shape.dims_mut()[d] = len;
        // A stride beyond isize::MAX cannot address two elements of a real storage: it is an
        // error when the slice has two or more, and irrelevant (kept as it was) otherwise.
        out.strides[d] = match self.strides[d].checked_mul(step).filter(|&s| s <= isize::MAX as usize) {
            Some(s) => s,
            None if len <= 1 => self.strides[d],
            None => bail!(
                Index,
                "slice",
                "step {} times stride {} of dim {} overflows (shape {:?})",
                step,
                self.strides[d],
                d,
                self.shape
            ),
        };
        Ok(out)
    }

    /// Removes `dim`, keeping element `index` of it (negative counts from the end).
    #[track_caller]
    pub fn select(&self, dim: isize, index: isize) -> Result<Layout> {
        if self.rank() == 0 {
            bail!(Dim, "select", "select() cannot be applied to a 0-dim tensor");
        }
        let d = normalize_dim("select", dim, self.rank())?;
        let size = self.dims()[d] as isize;
        if index < -size || index >= size {
            bail!(
                Index,
                "select",
                "index {} out of range for tensor of size {:?} at dimension {}",
                index,
                self.shape,
                d
            );
        }
        let i = if index < 0 { index + size } else { index } as usize;
        let mut out = self.clone();
        out.offset = self.offset_plus("select", i, d)?;
        out.shape.dims_mut().remove(d);
        out.strides.remove(d);
        Ok(out)
    }

    /// Removes `dim` if its size is 1 (otherwise returns the same layout, as PyTorch).
    #[track_caller]
    pub fn squeeze_dim(&self, dim: isize) -> Result<Layout> {
        let d = normalize_dim("squeeze", dim, self.rank())?;
        let mut out = self.clone();
        if self.rank() > 0 && self.dims()[d] == 1 {
            out.shape.dims_mut().remove(d);
            out.strides.remove(d);
        }
        Ok(out)
    }

    /// Removes every size-1 dim.
    pub fn squeeze(&self) -> Layout {
        let mut shape = Dims::new();
        let mut strides = Dims::new();
        for (&d, &s) in self.dims().iter().zip(self.strides.iter()) {
            if d != 1 {
                shape.push(d);
                strides.push(s);
            }
        }
        Layout { shape: Shape::from_dims(shape), strides, offset: self.offset }
    }

    /// Inserts a size-1 dim at `dim` (in `-(rank+1)..=rank`).
    #[track_caller]
    pub fn unsqueeze(&self, dim: isize) -> Result<Layout> {
        let d = normalize_dim("unsqueeze", dim, self.rank() + 1)?;
        // Any stride serves a size-1 dim: PyTorch's, unless it would pass isize::MAX.
        let stride = match self.strides.get(d) {
            Some(&s) => s.checked_mul(self.dims()[d]).filter(|&s| s <= isize::MAX as usize).unwrap_or(1),
            None => 1,
        };
        let mut out = self.clone();
        out.shape.dims_mut().insert(d, 1);
        out.strides.insert(d, stride);
        Ok(out)
    }

    /// `expand`: size-1 dims repeat (stride 0) to the requested sizes; `-1` keeps a size; new
    /// leading dims may be added.
    #[track_caller]
    pub fn expand(&self, sizes: &[isize]) -> Result<Layout> {
        if sizes.len() < self.rank() {
            bail!(
                Shape,
                "expand",
                "the number of sizes provided ({}) must be greater or equal to the number of dimensions in the tensor ({})",
                sizes.len(),
                self.rank()
            );
        }
        let lead = sizes.len() - self.rank();
        let mut shape = Dims::new();
        let mut strides = Dims::new();
        for (i, &want) in sizes.iter().enumerate() {
            if i < lead {
                if want < 0 {
                    bail!(
                        Shape,
                        "expand",
                        "the expanded size of the tensor (-1) isn't allowed in a leading, non-existing dimension {}",
                        i
                    );
                }
                shape.push(want as usize);
                strides.push(0);
                continue;
            }
            let (have, stride) = (self.dims()[i - lead], self.strides[i - lead]);
            if want == -1 || want as usize == have {
                shape.push(have);
                strides.push(stride);
            } else if have == 1 && want >= 0 {
                shape.push(want as usize);
                strides.push(0);
            } else {
                bail!(
                    Shape,
                    "expand",
                    "the expanded size of the tensor ({}) must match the existing size ({}) at non-singleton dimension {}. Target sizes: {:?}. Tensor sizes: {:?}",
                    want,
                    have,
                    i,
                    sizes,
                    self.shape
                );
            }
        }
        crate::shape::checked_product("expand", &shape)?;
        Ok(Layout { shape: Shape::from_dims(shape), strides, offset: self.offset })
    }

    /// `broadcast_to` a shape (an [`expand`](Self::expand) with no `-1`).
    #[track_caller]
    pub fn broadcast_to(&self, shape: &Shape) -> Result<Layout> {
        let sizes: smallvec::SmallVec<[isize; 6]> = shape.dims().iter().map(|&d| d as isize).collect();
        self.expand(&sizes)
    }

    /// `offset + index * strides[dim]`, checked (an index below the dim's size never overflows
    /// in a layout that keeps its invariants; this keeps it so for any input).
    #[track_caller]
    fn offset_plus(&self, op: &'static str, index: usize, dim: usize) -> Result<usize> {
        index
            .checked_mul(self.strides[dim])
            .and_then(|o| o.checked_add(self.offset))
            .ok_or_else(|| {
                crate::err!(Index, op, "offset of element {} of dim {} overflows (shape {:?})", index, dim, self.shape)
            })
            .located()
    }

    /// Iterates the storage index of every element, in row-major order.
    pub fn offsets(&self) -> StridedOffsets<'_> {
        StridedOffsets::new(self)
    }

    /// The layout as runs of contiguous storage: a single run for a contiguous layout, otherwise
    /// runs of `block_len` elements (the trailing dims that are dense) starting at each offset.
    pub fn blocks(&self) -> Blocks<'_> {
        if let Some((start, end)) = self.contiguous_range() {
            return Blocks::Single { start, len: end - start };
        }
        // Merge trailing dense dims into one block.
        let mut block_len = 1;
        let mut outer = self.rank();
        for d in (0..self.rank()).rev() {
            if self.strides[d] == block_len || self.dims()[d] == 1 {
                block_len *= self.dims()[d];
                outer = d;
            } else {
                break;
            }
        }
        Blocks::Multiple { block_len, starts: StridedOffsets::outer(self, outer) }
    }
}

/// Runs of contiguous storage covering a layout (see [`Layout::blocks`]).
#[derive(Debug)]
pub enum Blocks<'a> {
    /// One run: `len` elements from `start`.
    Single {
        /// First storage index.
        start: usize,
        /// Number of elements.
        len: usize,
    },
    /// Runs of `block_len` elements starting at each yielded index.
    Multiple {
        /// Elements per run.
        block_len: usize,
        /// The start of each run, in order.
        starts: StridedOffsets<'a>,
    },
}

/// The storage index of each element of a layout (or of its leading dims), in row-major order.
#[derive(Debug, Clone)]
pub struct StridedOffsets<'a> {
    dims: &'a [usize],
    strides: &'a [usize],
    index: Dims,
    next: Option<usize>,
}

impl<'a> StridedOffsets<'a> {
    fn new(layout: &'a Layout) -> Self {
        Self::outer(layout, layout.rank())
    }
    /// Iterates over the first `n_dims` dims only.
    fn outer(layout: &'a Layout, n_dims: usize) -> Self {
        let dims = &layout.dims()[..n_dims];
        let empty = dims.contains(&0);
        StridedOffsets {
            dims,
            strides: &layout.strides[..n_dims],
            index: Dims::from_elem(0, n_dims),
            next: if empty { None } else { Some(layout.offset) },
        }
    }
}

impl Iterator for StridedOffsets<'_> {
    type Item = usize;
    #[inline]
    fn next(&mut self) -> Option<usize> {
        let current = self.next?;
        let mut next = current;
        let mut d = self.dims.len();
        loop {
            if d == 0 {
                self.next = None;
                break;
            }
            d -= 1;
            self.index[d] += 1;
            if self.index[d] < self.dims[d] {
                next += self.strides[d];
                self.next = Some(next);
                break;
            }
            next -= (self.dims[d] - 1) * self.strides[d];
            self.index[d] = 0;
        }
        Some(current)
    }
}

/// PyTorch's `computeStride`: strides for `new` over the same memory as (`old`, `old_strides`),
/// or `None` when no strides can express it.
fn compute_view_strides(old: &[usize], old_strides: &[usize], new: &[usize]) -> Option<Dims> {
    // Products saturate: a saturated one matches no real stride, so the view is refused.
    let numel: usize = Shape::new(old).numel();
    let mut new_strides = Dims::from_elem(0, new.len());
    if old.is_empty() {
        return Some(Shape::new(new).contiguous_strides());
    }
    if numel == 0 {
        if old == new {
            return Some(Dims::from_slice(old_strides));
        }
        return Some(Shape::new(new).contiguous_strides());
    }
    let mut view_d = new.len() as isize - 1;
    let mut chunk_base_stride = *old_strides.last().unwrap();
    let mut tensor_numel = 1;
    let mut view_numel = 1;
    for tensor_d in (0..old.len()).rev() {
        tensor_numel *= old[tensor_d];
        if tensor_d == 0
            || (old[tensor_d - 1] != 1 && old_strides[tensor_d - 1] != tensor_numel.saturating_mul(chunk_base_stride))
        {
            while view_d >= 0 && (view_numel < tensor_numel || new[view_d as usize] == 1) {
                new_strides[view_d as usize] = view_numel.saturating_mul(chunk_base_stride);
                view_numel = view_numel.saturating_mul(new[view_d as usize]);
                view_d -= 1;
            }
            if view_numel != tensor_numel {
                return None;
            }
            if tensor_d > 0 {
                chunk_base_stride = old_strides[tensor_d - 1];
                tensor_numel = 1;
                view_numel = 1;
            }
        }
    }
    if view_d != -1 {
        return None;
    }
    Some(new_strides)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    #[test]
    fn view_of_transpose_fails_like_torch() {
        let l = Layout::contiguous([4, 4]).transpose(0, 1).unwrap();
        assert!(!l.is_contiguous());
        let e = l.view(&[16]).unwrap_err();
        assert!(e.message().contains("Use .reshape(...) instead"));
        // Splitting a dim of a transposed layout is fine: x.t().view(2, 2, 4)
        let v = l.view(&[2, 2, 4]).unwrap();
        assert_eq!(v.strides(), &[2, 1, 4]);
    }

    #[test]
    fn offsets_and_blocks() {
        let l = Layout::contiguous([2, 3, 4]).slice(2, Some(1), None, 2).unwrap();
        let offs: Vec<usize> = l.offsets().collect();
        assert_eq!(offs, [1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23]);
        let l = Layout::contiguous([3, 4]).narrow(1, 1, 2).unwrap();
        match l.blocks() {
            Blocks::Multiple { block_len, starts } => {
                assert_eq!(block_len, 2);
                assert_eq!(starts.collect::<Vec<_>>(), [1, 5, 9]);
            }
            Blocks::Single { .. } => panic!("expected blocks"),
        }
    }

    #[test]
    fn expand_and_unsqueeze() {
        let l = Layout::contiguous([3]).unsqueeze(0).unwrap().expand(&[2, 4, -1]).unwrap();
        assert_eq!(l.dims(), &[2, 4, 3]);
        assert_eq!(l.strides(), &[0, 0, 1]);
        assert!(Layout::contiguous([3]).expand(&[4]).is_err());
    }
}
