//! [`Shape`]: a tensor's sizes, inline up to six dims, and the helpers that read user dims
//! (negative indices, `-1` inference, broadcasting).

use crate::{bail, Result};
use core::fmt;
use smallvec::SmallVec;

/// Sizes or strides, stored inline (no heap) for up to six dims.
pub type Dims = SmallVec<[usize; 6]>;

/// The sizes of a tensor. Row-major; a 0-d tensor has an empty shape and one element.
#[derive(PartialEq, Eq, Hash, Default)]
pub struct Shape(Dims);

impl Clone for Shape {
    /// A copy of the inline dims (smallvec's own `clone` collects element by element: measurable
    /// in the autograd chain, which clones shapes for every recorded op).
    #[inline]
    fn clone(&self) -> Self {
        Shape(Dims::from_slice(&self.0))
    }
}

impl Shape {
    /// A shape from its sizes.
    pub fn new(dims: &[usize]) -> Self {
        Shape(Dims::from_slice(dims))
    }
    /// A shape from inline sizes.
    pub fn from_dims(dims: Dims) -> Self {
        Shape(dims)
    }
    /// The 0-d shape `[]`.
    pub fn scalar() -> Self {
        Shape(Dims::new())
    }
    /// The sizes.
    pub fn dims(&self) -> &[usize] {
        &self.0
    }
    /// Mutable sizes (crate-internal: layouts keep shape and strides in step).
    pub(crate) fn dims_mut(&mut self) -> &mut Dims {
        &mut self.0
    }
    /// Number of dims.
    pub fn rank(&self) -> usize {
        self.0.len()
    }
    /// Number of elements (1 for a 0-d shape). Never wraps: a count past `usize::MAX` saturates
    /// there (no allocation can hold it), and a zero size anywhere gives 0. Every shape a tensor
    /// has was checked with [`checked_numel`](Self::checked_numel) when the tensor was made.
    pub fn numel(&self) -> usize {
        match self.0.iter().try_fold(1usize, |a, &d| a.checked_mul(d)) {
            Some(n) => n,
            None if self.0.contains(&0) => 0,
            None => usize::MAX,
        }
    }
    /// Number of elements, or a Shape error naming `op` when it does not fit in `usize`.
    #[track_caller]
    pub fn checked_numel(&self, op: &'static str) -> Result<usize> {
        checked_product(op, &self.0)
    }
    /// The strides of a row-major contiguous tensor of this shape. They saturate at
    /// `isize::MAX` (only a shape with no elements can reach it: see [`Layout`](crate::Layout)).
    pub fn contiguous_strides(&self) -> Dims {
        // Pushed from the last dim, then reversed, rather than written into a zeroed `Dims`:
        // reading a stride back right after `memset` wrote it stalled store-to-load forwarding
        // (a quarter of this function's time in the autograd chain, one tensor per op).
        let mut strides = Dims::with_capacity(self.rank());
        let mut acc = 1usize;
        for &d in self.0.iter().rev() {
            strides.push(acc);
            acc = acc.saturating_mul(d.max(1)).min(isize::MAX as usize);
        }
        strides.reverse();
        strides
    }
    /// Size of `dim`.
    pub fn size(&self, dim: usize) -> usize {
        self.0[dim]
    }
}

impl fmt::Debug for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0[..], f)
    }
}
impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0[..], f)
    }
}

impl From<&[usize]> for Shape {
    fn from(d: &[usize]) -> Self {
        Shape::new(d)
    }
}
impl<const N: usize> From<[usize; N]> for Shape {
    fn from(d: [usize; N]) -> Self {
        Shape::new(&d)
    }
}
impl<const N: usize> From<&[usize; N]> for Shape {
    fn from(d: &[usize; N]) -> Self {
        Shape::new(d)
    }
}
impl From<alloc::vec::Vec<usize>> for Shape {
    fn from(d: alloc::vec::Vec<usize>) -> Self {
        Shape::new(&d)
    }
}
impl From<&Shape> for Shape {
    fn from(s: &Shape) -> Self {
        s.clone()
    }
}
impl PartialEq<[usize]> for Shape {
    fn eq(&self, other: &[usize]) -> bool {
        self.dims() == other
    }
}
impl<const N: usize> PartialEq<[usize; N]> for Shape {
    fn eq(&self, other: &[usize; N]) -> bool {
        self.dims() == other
    }
}

/// The product of `dims`, or a Shape error naming `op` when it overflows `usize` (a zero size
/// anywhere makes it 0, as the element count of such a shape is).
#[track_caller]
pub fn checked_product(op: &'static str, dims: &[usize]) -> Result<usize> {
    match dims.iter().try_fold(1usize, |a, &d| a.checked_mul(d)) {
        Some(n) => Ok(n),
        None if dims.contains(&0) => Ok(0),
        None => bail!(Shape, op, "the number of elements of shape {:?} overflows usize", dims),
    }
}

/// Reads a user dim (negative counts from the end) for a tensor of `rank` dims, as PyTorch's
/// `maybe_wrap_dim`: a 0-d tensor accepts 0 and -1.
#[track_caller]
pub fn normalize_dim(op: &'static str, dim: isize, rank: usize) -> Result<usize> {
    let r = rank.max(1) as isize;
    if dim < -r || dim >= r {
        bail!(Dim, op, "dimension out of range (expected to be in range of [{}, {}], but got {})", -r, r - 1, dim);
    }
    Ok(if dim < 0 { (dim + r) as usize } else { dim as usize })
}

/// Reads a list of user dims, refusing repeats.
#[track_caller]
pub fn normalize_dims(op: &'static str, dims: &[isize], rank: usize) -> Result<Dims> {
    let mut out = Dims::new();
    for &d in dims {
        let d = normalize_dim(op, d, rank)?;
        if out.contains(&d) {
            bail!(Dim, op, "dim {} appears multiple times in the list of dims", d);
        }
        out.push(d);
    }
    Ok(out)
}

/// Resolves one `-1` in a requested shape for `numel` elements, as `view` and `reshape` do.
#[track_caller]
pub fn infer_shape(op: &'static str, spec: &[isize], numel: usize) -> Result<Shape> {
    let mut infer = None;
    let mut known = 1usize;
    for (i, &s) in spec.iter().enumerate() {
        if s == -1 {
            if infer.is_some() {
                bail!(Shape, op, "only one dimension can be inferred in shape {:?}", spec);
            }
            infer = Some(i);
        } else if s < 0 {
            bail!(Shape, op, "invalid shape dimension {} in {:?}", s, spec);
        } else {
            known = known.saturating_mul(s as usize);
        }
    }
    let mut dims: Dims = spec.iter().map(|&s| s.max(0) as usize).collect();
    match infer {
        Some(i) => {
            if known == 0 {
                bail!(
                    Shape,
                    op,
                    "cannot reshape tensor of {} elements into shape {:?} because the unspecified dimension size -1 can be any value and is ambiguous",
                    numel,
                    spec
                );
            }
            if !numel.is_multiple_of(known) {
                bail!(Shape, op, "shape '{:?}' is invalid for input of size {}", spec, numel);
            }
            dims[i] = numel / known;
        }
        None if known != numel || checked_product(op, &dims).is_err() => {
            bail!(Shape, op, "shape '{:?}' is invalid for input of size {}", spec, numel)
        }
        None => {}
    }
    Ok(Shape(dims))
}

/// The shape two shapes broadcast to, as NumPy and PyTorch broadcast.
#[track_caller]
pub fn broadcast_shapes(op: &'static str, a: &Shape, b: &Shape) -> Result<Shape> {
    let rank = a.rank().max(b.rank());
    let mut dims = Dims::from_elem(1, rank);
    for i in 0..rank {
        let da = if i < a.rank() { a.0[a.rank() - 1 - i] } else { 1 };
        let db = if i < b.rank() { b.0[b.rank() - 1 - i] } else { 1 };
        dims[rank - 1 - i] = match (da, db) {
            (x, y) if x == y => x,
            (1, y) => y,
            (x, 1) => x,
            _ => bail!(
                Shape,
                op,
                "the size of tensor a ({}) must match the size of tensor b ({}) at non-singleton dimension {} (shapes {:?} and {:?})",
                da,
                db,
                rank - 1 - i,
                a,
                b
            ),
        };
    }
    checked_product(op, &dims)?;
    Ok(Shape(dims))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn infer_follows_torch() {
        assert_eq!(infer_shape("view", &[-1, 8], 16).unwrap(), [2, 8]);
        assert_eq!(infer_shape("view", &[16], 16).unwrap(), [16]);
        let e = infer_shape("view", &[-1, -1], 16).unwrap_err();
        assert!(e.to_string().contains("only one dimension can be inferred"));
        let e = infer_shape("view", &[-1, 7], 16).unwrap_err();
        assert_eq!((e.op(), e.message()), ("view", "shape '[-1, 7]' is invalid for input of size 16"));
        assert!(infer_shape("view", &[0, -1], 0).is_err());
        assert_eq!(infer_shape("view", &[], 1).unwrap(), Shape::scalar());
    }

    #[test]
    fn broadcast_rules() {
        let s = |d: &[usize]| Shape::new(d);
        assert_eq!(broadcast_shapes("add", &s(&[5, 1, 3]), &s(&[4, 1])).unwrap(), [5, 4, 3]);
        assert_eq!(broadcast_shapes("add", &s(&[]), &s(&[2])).unwrap(), [2]);
        assert_eq!(broadcast_shapes("add", &s(&[0]), &s(&[1])).unwrap(), [0]);
        let e = broadcast_shapes("add", &s(&[2, 3]), &s(&[4])).unwrap_err();
        assert!(e.to_string().starts_with("add: the size of tensor a (3) must match"));
    }

    #[test]
    fn dims_wrap() {
        assert_eq!(normalize_dim("sum", -1, 3).unwrap(), 2);
        assert_eq!(normalize_dim("sum", 0, 0).unwrap(), 0);
        assert!(normalize_dim("sum", 3, 3).is_err());
        assert!(normalize_dims("sum", &[0, -3], 3).is_err());
    }
}

/// The walk of `sizes` by `N` operands with the given strides, in fewer dims: size-1 dims
/// dropped and neighbours that are dense in every operand (outer stride = inner stride × inner
/// size) merged into one. Row-major order is kept, so the `i`-th element of the merged walk is
/// the `i`-th of the original in every operand. The CPU's strided walker (`cpu::Row`) and the
/// CUDA backend's launch plan both walk this.
///
/// ```
/// # use tensor_core::shape::merge_dense_dims;
/// // A contiguous [2, 3, 4] is one run of 24; the same shape transposed in its last two dims
/// // merges nothing there (strides [12, 1, 3] against [12, 4, 1]).
/// let m = merge_dense_dims(&[2, 3, 4], [&[12, 4, 1]]);
/// assert_eq!((&m.sizes[..], &m.strides[0][..]), (&[24][..], &[1][..]));
/// let m = merge_dense_dims(&[2, 3, 4], [&[12, 4, 1], &[12, 1, 3]]);
/// assert_eq!(&m.sizes[..], &[2, 3, 4][..]);
/// ```
pub fn merge_dense_dims<const N: usize>(sizes: &[usize], strides: [&[usize]; N]) -> MergedDims<N> {
    let mut merged = MergedDims { sizes: Dims::new(), strides: core::array::from_fn(|_| Dims::new()) };
    for (d, &size) in sizes.iter().enumerate() {
        if size == 1 {
            continue;
        }
        let last = merged.sizes.len().wrapping_sub(1);
        // The kept dim `last` continues into `d` when, in every operand, one step along it is
        // a whole run of `d`. (Checked: an empty shape's sizes may multiply past usize.)
        let dense = !merged.sizes.is_empty()
            && (0..N).all(|k| strides[k][d].checked_mul(size) == Some(merged.strides[k][last]));
        if dense {
            merged.sizes[last] = merged.sizes[last].saturating_mul(size);
            for (k, st) in merged.strides.iter_mut().enumerate() {
                st[last] = strides[k][d];
            }
        } else {
            merged.sizes.push(size);
            for (k, st) in merged.strides.iter_mut().enumerate() {
                st.push(strides[k][d]);
            }
        }
    }
    merged
}

/// The result of [`merge_dense_dims`]: sizes and each operand's strides, outermost first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergedDims<const N: usize> {
    /// The merged sizes (no 1s).
    pub sizes: Dims,
    /// Each operand's stride for each merged dim.
    pub strides: [Dims; N],
}
