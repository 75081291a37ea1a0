//! Ops that build new tensors from pieces: `cat`, `stack`, `flip`, `roll`, `repeat`, `pad`,
//! `tril`, `triu`, with PyTorch's semantics and errors. They have no kernels of their own but
//! reflect/replicate `pad`'s optional `CopyOps::pad_edges`: each allocates its result and writes
//! pieces through views with `copy_`, or composes `index_select` / `masked_fill`, so every
//! device that has those backend ops runs them. Each returns a new tensor, never a view of its
//! input.

pub(crate) mod pad_mode;

pub use pad_mode::PadMode;

use crate::shape::{normalize_dim, normalize_dims, Dims};
use crate::{bail, result_type, DType, Operand, Result, ResultExt, Shape, Tensor};
use alloc::vec::Vec;

impl Tensor {
    /// Joins tensors along an existing `dim`, as `torch.cat`: the result's dtype promotes over
    /// every input (`torch.result_type`); all other dims must match. 1-d empty tensors are
    /// skipped, as PyTorch's legacy rule.
    #[track_caller]
    pub fn cat(tensors: &[&Tensor], dim: isize) -> Result<Tensor> {
        const OP: &str = "cat";
        let Some(first) = tensors.first() else {
            bail!(Value, OP, "torch.cat(): expected a non-empty list of Tensors");
        };
        first.same_device(OP, &tensors[1..])?;
        let operands: Vec<Operand> = tensors.iter().map(|t| Operand::Tensor(t.dtype())).collect();
        let dtype = result_type(&operands);
        for (i, t) in tensors.iter().enumerate() {
            if t.dim() == 0 {
                bail!(Shape, OP, "zero-dimensional tensor (at position {}) cannot be concatenated", i);
            }
        }
        let kept: Vec<(usize, &Tensor)> =
            tensors.iter().copied().enumerate().filter(|(_, t)| !(t.dim() == 1 && t.numel() == 0)).collect();
        let Some(&(_, base)) = kept.first() else {
            return Tensor::empty([0], dtype, first.device());
        };
        let d = normalize_dim(OP, dim, base.dim())?;
        let mut total = 0;
        for &(i, t) in &kept {
            if t.dim() != base.dim() {
                bail!(
                    Shape,
                    OP,
                    "Tensors must have same number of dimensions: got {} and {} (shapes {:?} and {:?} at position {})",
                    base.dim(),
                    t.dim(),
                    base.shape(),
                    t.shape(),
                    i
                );
            }
            if let Some(k) = (0..base.dim()).find(|&k| k != d && t.size()[k] != base.size()[k]) {
                bail!(
                    Shape,
                    OP,
                    "Sizes of tensors must match except in dimension {}. Expected size {} but got size {} for tensor number {} in the list (shapes {:?} and {:?}).",
                    d,
                    base.size()[k],
                    t.size()[k],
                    i,
                    base.shape(),
                    t.shape()
                );
            }
            total = usize::checked_add(total, t.size()[d])
                .ok_or_else(|| {
                    crate::err!(Shape, OP, "the sizes along dim {} add up past usize::MAX (tensor number {})", d, i)
                })
                .located()?;
        }
        let mut shape = Dims::from_slice(base.size());
        shape[d] = total;
        let out = Tensor::empty(Shape::from_dims(shape), dtype, first.device())?;
        let mut offset = 0;
        for &(_, t) in &kept {
            let n = t.size()[d];
            if t.numel() > 0 {
                out.narrow(d as isize, offset as isize, n)?.copy_(t)?;
            }
            offset += n;
        }
        Ok(out)
    }

    /// Joins tensors of one shape along a new `dim`, as `torch.stack` (dtypes promote as `cat`).
    #[track_caller]
    pub fn stack(tensors: &[&Tensor], dim: isize) -> Result<Tensor> {
        let Some(first) = tensors.first() else {
            bail!(Value, "stack", "stack expects a non-empty TensorList");
        };
        let d = normalize_dim("stack", dim, first.dim() + 1)?;
        for (i, t) in tensors.iter().enumerate() {
            if t.shape() != first.shape() {
                bail!(
                    Shape,
                    "stack",
                    "stack expects each tensor to be equal size, but got {:?} at entry 0 and {:?} at entry {}",
                    first.shape(),
                    t.shape(),
                    i
                );
            }
        }
        let pieces = tensors.iter().map(|t| t.unsqueeze(d as isize)).collect::<Result<Vec<_>>>()?;
        let refs: Vec<&Tensor> = pieces.iter().collect();
        Tensor::cat(&refs, d as isize)
    }

    /// A copy with the order of the elements along `dims` reversed, as `torch.flip`.
    #[track_caller]
    pub fn flip(&self, dims: &[isize]) -> Result<Tensor> {
        let dims = normalize_dims("flip", dims, self.dim())?;
        let mut out = self.shallow_clone();
        if self.dim() > 0 {
            for &d in &dims {
                let n = self.size()[d];
                if n > 1 {
                    let rev = Tensor::arange_dtype((n - 1) as f64, -1.0, -1.0, DType::I64, self.device())?;
                    out = out.index_select(d as isize, &rev)?;
                }
            }
        }
        fresh(out, self)
    }

    /// Rotates the elements along each of `dims` by the matching shift (elements pushed past
    /// the end come back at the start), as `torch.roll`; with no `dims`, the flattened tensor is
    /// rolled by the one shift and given back its shape.
    #[track_caller]
    pub fn roll(&self, shifts: &[isize], dims: &[isize]) -> Result<Tensor> {
        if dims.is_empty() {
            if shifts.is_empty() {
                bail!(Value, "roll", "`shifts` required");
            }
            if shifts.len() != 1 {
                bail!(Shape, "roll", "shifts and dimensions must align. shifts: {}, dims:0", shifts.len());
            }
            return self.reshape(&[-1])?.roll(shifts, &[0])?.reshape_to(self.shape());
        }
        if shifts.len() != dims.len() {
            bail!(Shape, "roll", "shifts and dimensions must align. shifts: {}, dims:{}", shifts.len(), dims.len());
        }
        if self.dim() == 0 {
            bail!(Dim, "roll", "Dimension specified as {} but tensor has no dimensions", dims[0]);
        }
        let mut out = self.shallow_clone();
        for (&shift, &dim) in shifts.iter().zip(dims) {
            let d = normalize_dim("roll", dim, self.dim())?;
            let n = self.size()[d];
            if self.numel() == 0 {
                continue;
            }
            let s = shift.rem_euclid(n as isize) as usize;
            if s > 0 {
                let (tail, head) = (out.narrow(d as isize, (n - s) as isize, s)?, out.narrow(d as isize, 0, n - s)?);
                out = Tensor::cat(&[&tail, &head], d as isize)?;
            }
        }
        fresh(out, self)
    }

    /// The tensor tiled `repeats[i]` times along dim `i`, as `x.repeat(...)`; extra leading
    /// repeats add leading dims.
    #[track_caller]
    pub fn repeat(&self, repeats: &[usize]) -> Result<Tensor> {
        if repeats.len() < self.dim() {
            bail!(
                Shape,
                "repeat",
                "Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor (repeats {:?} for shape {:?})",
                repeats,
                self.shape()
            );
        }
        let lead = repeats.len() - self.dim();
        let mut padded: Dims = Dims::from_elem(1, lead);
        padded.extend_from_slice(self.size());
        // [r0, s0, r1, s1, ...]: each dim gets a size-1 partner that is expanded to its repeat.
        let mut x = self.reshape_to(Shape::new(&padded))?;
        let mut sizes: Vec<isize> = Vec::with_capacity(2 * padded.len());
        let mut out_shape = Dims::new();
        for (k, (&r, &s)) in repeats.iter().zip(padded.iter()).enumerate() {
            x = x.unsqueeze(2 * k as isize)?;
            let size = r
                .checked_mul(s)
                .filter(|_| r <= isize::MAX as usize)
                .ok_or_else(|| {
                    crate::err!(
                        Shape,
                        "repeat",
                        "repeats {:?} of shape {:?} overflow at dim {}",
                        repeats,
                        self.shape(),
                        k
                    )
                })
                .located()?;
            sizes.push(r as isize);
            sizes.push(s as isize);
            out_shape.push(size);
        }
        Shape::new(&out_shape).checked_numel("repeat")?;
        if Shape::new(&out_shape).numel() == 0 {
            return Tensor::empty(Shape::from_dims(out_shape), self.dtype(), self.device());
        }
        x.expand(&sizes)?.try_clone()?.reshape_to(Shape::from_dims(out_shape))
    }

    /// The lower triangle of the last two dims (elements with `col - row <= diagonal`), the rest
    /// zero, as `torch.tril`.
    #[track_caller]
    pub fn tril(&self, diagonal: isize) -> Result<Tensor> {
        self.triangle("tril", diagonal, true)
    }

    /// The upper triangle of the last two dims (elements with `col - row >= diagonal`), the rest
    /// zero, as `torch.triu`.
    #[track_caller]
    pub fn triu(&self, diagonal: isize) -> Result<Tensor> {
        self.triangle("triu", diagonal, false)
    }

    #[track_caller]
    fn triangle(&self, op: &'static str, diagonal: isize, lower: bool) -> Result<Tensor> {
        if self.dim() < 2 {
            bail!(Shape, op, "{}: input tensor must have at least 2 dimensions (got shape {:?})", op, self.shape());
        }
        // The backend's kernel where it has one.
        let x = self.contiguous()?;
        if let Some(s) = x.read(op)?.triangle(x.layout(), diagonal, lower).transpose()? {
            return Ok(Tensor::from_op(s, x.shape().clone(), x.device()));
        }
        let (h, w) = (self.size()[self.dim() - 2], self.size()[self.dim() - 1]);
        let rows = Tensor::arange_dtype(0.0, h as f64, 1.0, DType::I64, self.device())?.unsqueeze(1)?;
        let cols = Tensor::arange_dtype(0.0, w as f64, 1.0, DType::I64, self.device())?.unsqueeze(0)?;
        let offset = cols.sub(&rows)?;
        let drop = if lower { offset.gt(diagonal as i64)? } else { offset.lt(diagonal as i64)? };
        self.masked_fill(&drop, 0)
    }

    /// Pads the last dims, as `F.pad(x, pads, mode, value)`: `pads` holds (before, after) pairs
    /// for the last dim first, then the one before it, and so on. `Reflect` and `Replicate` pad
    /// the last 1, 2 or 3 dims of an input with one or two more dims (as PyTorch), every padded
    /// and channel dim non-empty; `Reflect` needs each pad smaller than its dim.
    #[track_caller]
    pub fn pad(&self, pads: &[usize], mode: PadMode) -> Result<Tensor> {
        if !pads.len().is_multiple_of(2) {
            bail!(Value, "pad", "Padding length must be divisible by 2 (got {:?})", pads);
        }
        let k = pads.len() / 2;
        let rank = self.dim();
        if k > rank {
            bail!(
                Shape,
                "pad",
                "Padding length should be less than or equal to two times the input dimension but got padding length {} and input of dimension {}",
                pads.len(),
                rank
            );
        }
        let mut shape = Dims::from_slice(self.size());
        for i in 0..k {
            let d = rank - 1 - i;
            shape[d] = pads[2 * i]
                .checked_add(pads[2 * i + 1])
                .and_then(|p| p.checked_add(shape[d]))
                .filter(|&n| n <= isize::MAX as usize)
                .ok_or_else(|| {
                    crate::err!(
                        Shape,
                        "pad",
                        "padding ({}, {}) of dim {} (size {}) overflows (input {:?})",
                        pads[2 * i],
                        pads[2 * i + 1],
                        d,
                        shape[d],
                        self.shape()
                    )
                })
                .located()?;
        }
        Shape::new(&shape).checked_numel("pad")?;
        let value = match mode {
            PadMode::Constant(v) => v,
            _ => return self.pad_from_edges(pads, mode),
        };
        let out = Tensor::full(Shape::from_dims(shape), value, self.dtype(), self.device())?;
        if self.numel() == 0 {
            return Ok(out);
        }
        let mut inner = out.shallow_clone();
        for i in 0..k {
            let d = rank - 1 - i;
            inner = inner.narrow(d as isize, pads[2 * i] as isize, self.size()[d])?;
        }
        inner.copy_(self)?;
        Ok(out)
    }

    /// `Reflect` / `Replicate` padding: per padded dim, the edges gathered by `index_select` and
    /// joined to the input by `cat`.
    #[track_caller]
    fn pad_from_edges(&self, pads: &[usize], mode: PadMode) -> Result<Tensor> {
        let (k, rank) = (pads.len() / 2, self.dim());
        if !(1..=3).contains(&k) || (rank != k + 1 && rank != k + 2) {
            bail!(
                Shape,
                "pad",
                "Padding size {} is not supported for {}D input tensor. Supported combinations for non-constant padding: 2D or 3D input: padding size = 2 (pads last dimension); 3D or 4D input: padding size = 4 (pads last 2 dimensions); 4D or 5D input: padding size = 6 (pads last 3 dimensions)",
                pads.len(),
                rank
            );
        }
        if self.size()[rank - k - 1..].contains(&0) {
            bail!(
                Shape,
                "pad",
                "Expected {}D or {}D (batch mode) tensor with possibly 0 batch size and other non-zero dimensions for input, but got: {:?}",
                k + 1,
                k + 2,
                self.shape()
            );
        }
        for i in 0..k {
            let (d, before, after) = (rank - 1 - i, pads[2 * i], pads[2 * i + 1]);
            if mode == PadMode::Reflect && (before >= self.size()[d] || after >= self.size()[d]) {
                bail!(
                    Shape,
                    "pad",
                    "Argument #4: Padding size should be less than the corresponding input dimension, but got: padding ({}, {}) at dimension {} of input {:?}",
                    before,
                    after,
                    d,
                    self.shape()
                );
            }
        }
        // The backend's kernel where it has one (the last one or two dims).
        if k <= 2 {
            let x = self.contiguous()?;
            let padded = x.read("pad")?.pad_edges(x.layout(), pads, mode).transpose()?;
            if let Some(s) = padded {
                let mut shape = Dims::from_slice(x.size());
                for i in 0..k {
                    shape[rank - 1 - i] += pads[2 * i] + pads[2 * i + 1];
                }
                return Ok(Tensor::from_op(s, Shape::from_dims(shape), x.device()));
            }
        }
        let mut out = self.shallow_clone();
        for i in 0..k {
            let d = rank - 1 - i;
            let (before, after, n) = (pads[2 * i], pads[2 * i + 1], self.size()[d] as i64);
            if before == 0 && after == 0 {
                continue;
            }
            let source = |j: i64| mode.source(j, n);
            // The edges gathered (a few slices each), the middle as it is: one `cat` copies
            // it, in whole rows, where an `index_select` of every position gathered elements.
            let edge = |range: core::ops::Range<i64>| -> Result<Option<Tensor>> {
                if range.is_empty() {
                    return Ok(None);
                }
                let idx: Vec<i64> = range.map(source).collect();
                Ok(Some(out.index_select(d as isize, &Tensor::new(idx, self.device())?)?))
            };
            let (left, right) = (edge(-(before as i64)..0)?, edge(n..n + after as i64)?);
            let parts: Vec<&Tensor> = left.iter().chain(core::iter::once(&out)).chain(right.iter()).collect();
            out = Tensor::cat(&parts, d as isize)?;
        }
        fresh(out, self)
    }
}

/// `out`, or a copy of it when it is still a view of `input` (nothing was rearranged).
impl Tensor {
    /// The gradient of [`pad`](Self::pad): `grad` has the padded shape; each position of
    /// `input_shape` gets the sum of the gradients of the output positions that copied it (the
    /// middle, and for `Reflect` / `Replicate` the edges that reflect or repeat it), as
    /// PyTorch's `reflection_pad2d_backward`. One pass over `grad` where the backend has the
    /// kernel (the CPU: the last one or two dims, f32 and f64); else composed, a dim at a time.
    #[track_caller]
    pub fn pad_backward(grad: &Tensor, input_shape: &[usize], pads: &[usize], mode: PadMode) -> Result<Tensor> {
        let op = "pad_backward";
        let k = pads.len() / 2;
        let rank = input_shape.len();
        let padded: Option<Dims> = (pads.len().is_multiple_of(2) && k <= rank).then(|| {
            let mut d = Dims::from_slice(input_shape);
            for i in 0..k {
                d[rank - 1 - i] += pads[2 * i] + pads[2 * i + 1];
            }
            d
        });
        if padded.as_deref() != Some(grad.size()) {
            bail!(
                Shape,
                op,
                "expected a gradient of the padded shape of {:?} by {:?}, got {:?}",
                input_shape,
                pads,
                grad.size()
            );
        }
        if k == 0 {
            return grad.try_clone();
        }
        if !matches!(mode, PadMode::Constant(_)) && k <= 2 && grad.is_floating_point() {
            let g = grad.contiguous()?;
            let fused = g.read(op)?.pad_edges_backward(g.layout(), input_shape, pads, mode).transpose()?;
            if let Some(s) = fused {
                return Ok(Tensor::from_op(s, input_shape, g.device()));
            }
        }
        // A dim at a time, the last padded first: its middle copied, the edges added into it.
        let mut g = grad.shallow_clone();
        for i in (0..k).rev() {
            let (d, before, after) = (rank - 1 - i, pads[2 * i], pads[2 * i + 1]);
            let n = input_shape[d];
            let mut mid = g.narrow(d as isize, before as isize, n)?.try_clone()?;
            if !matches!(mode, PadMode::Constant(_)) {
                for (range, start) in [(-(before as i64)..0, 0), (n as i64..(n + after) as i64, before + n)] {
                    let len = range.end.abs_diff(range.start) as usize;
                    if len > 0 {
                        let idx: alloc::vec::Vec<i64> = range.map(|j| mode.source(j, n as i64)).collect();
                        let edge = g.narrow(d as isize, start as isize, len)?;
                        mid.index_add_(d as isize, &Tensor::new(idx, g.device())?, &edge)?;
                    }
                }
            }
            g = mid;
        }
        Ok(g)
    }
}

#[track_caller]
fn fresh(out: Tensor, input: &Tensor) -> Result<Tensor> {
    if out.shares_storage(input) {
        out.try_clone()
    } else {
        Ok(out)
    }
}
