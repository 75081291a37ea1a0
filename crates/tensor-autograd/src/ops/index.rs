//! Selection and assembly: `where_`, `masked_fill`, `tril`/`triu`, `cat`, `stack`, `pad`, and the index ops
//! (`index_select`, `gather`, `scatter`, `scatter_add`, `index_add`) whose gradients are each
//! other's adjoints.

use super::VarRhs;
use crate::node::Var;
use crate::var::Saved;
use tensor_core::{bail, PadMode, Result, Scalar, Tensor};

impl Var {
    /// `condition ? self : other`, broadcasting, as `torch.where(cond, self, other)`.
    #[track_caller]
    pub fn where_<'a>(&self, condition: &Tensor, other: impl Into<VarRhs<'a>>) -> Result<Var> {
        let b = other.into().into_var(self.tensor_ref())?;
        let value = self.tensor_ref().where_(condition, b.tensor_ref())?;
        let cond = Var::constant(condition.shallow_clone());
        let metas = [(self.shape().clone(), self.dtype()), (b.shape().clone(), b.dtype())];
        Ok(Var::record(value, "WhereBackward0", &[self, &b], vec![Saved::Var(cond)], move |ctx| {
            let (g, c) = (ctx.grad(), ctx.saved(0).tensor());
            let zero = Tensor::zeros([], g.dtype(), g.device())?;
            let ga = if ctx.needs(0) { Some(g.where_(&c, &zero)?.sum_to(&metas[0].0, metas[0].1)?) } else { None };
            let gb = if ctx.needs(1) {
                Some(Var::constant(zero.shallow_clone()).where_(&c, g)?.sum_to(&metas[1].0, metas[1].1)?)
            } else {
                None
            };
            Ok(vec![ga, gb])
        }))
    }
    /// `value` where `mask` is true, as `x.masked_fill(mask, value)`.
    #[track_caller]
    pub fn masked_fill(&self, mask: &Tensor, value: impl Into<Scalar>) -> Result<Var> {
        let value = self.tensor_ref().masked_fill(mask, value)?;
        let mask = Var::constant(mask.shallow_clone());
        Ok(Var::record(value, "MaskedFillBackward0", &[self], vec![Saved::Var(mask)], |ctx| {
            Ok(vec![Some(ctx.grad().masked_fill(&ctx.saved(0).tensor(), 0.0)?)])
        }))
    }
    /// The lower triangle of the last two dims (`col - row <= diagonal`), the rest zero, as
    /// `torch.tril`; its gradient is the gradient's lower triangle.
    #[track_caller]
    pub fn tril(&self, diagonal: isize) -> Result<Var> {
        let value = self.tensor_ref().tril(diagonal)?;
        Ok(Var::record(value, "TrilBackward0", &[self], vec![], move |ctx| Ok(vec![Some(ctx.grad().tril(diagonal)?)])))
    }
    /// The upper triangle of the last two dims (`col - row >= diagonal`), the rest zero, as
    /// `torch.triu`; its gradient is the gradient's upper triangle.
    #[track_caller]
    pub fn triu(&self, diagonal: isize) -> Result<Var> {
        let value = self.tensor_ref().triu(diagonal)?;
        Ok(Var::record(value, "TriuBackward0", &[self], vec![], move |ctx| Ok(vec![Some(ctx.grad().triu(diagonal)?)])))
    }
    /// Concatenates along `dim`, as `torch.cat`.
    #[track_caller]
    pub fn cat(vars: &[&Var], dim: isize) -> Result<Var> {
        let Some(first) = vars.first() else { bail!(Value, "cat", "expected a non-empty list of tensors") };
        let tensors: Vec<&Tensor> = vars.iter().map(|v| v.tensor_ref()).collect();
        let value = Tensor::cat(&tensors, dim)?;
        let d = tensor_core::shape::normalize_dim("cat", dim, first.dim())? as isize;
        let metas: Vec<(usize, tensor_core::DType)> = vars.iter().map(|v| (v.size()[d as usize], v.dtype())).collect();
        Ok(Var::record(value, "CatBackward0", vars, vec![], move |ctx| {
            let mut start = 0isize;
            let mut grads = Vec::with_capacity(metas.len());
            for (i, &(len, dtype)) in metas.iter().enumerate() {
                grads.push(if ctx.needs(i) { Some(ctx.grad().narrow(d, start, len)?.to_dtype(dtype)?) } else { None });
                start += len as isize;
            }
            Ok(grads)
        }))
    }
    /// Stacks along a new `dim`, as `torch.stack`.
    #[track_caller]
    pub fn stack(vars: &[&Var], dim: isize) -> Result<Var> {
        let Some(first) = vars.first() else { bail!(Value, "stack", "expected a non-empty list of tensors") };
        let d = tensor_core::shape::normalize_dim("stack", dim, first.dim() + 1)? as isize;
        let tensors: Vec<&Tensor> = vars.iter().map(|v| v.tensor_ref()).collect();
        let value = Tensor::stack(&tensors, d)?;
        let n = vars.len();
        Ok(Var::record(value, "StackBackward0", vars, Vec::new(), move |ctx| {
            (0..n).map(|i| if ctx.needs(i) { ctx.grad().select(d, i as isize).map(Some) } else { Ok(None) }).collect()
        }))
    }
    /// Pads the trailing dims, as `F.pad(x, pads, mode)` (`pads` as PyTorch's: the last dim's
    /// before and after first). The gradient keeps the middle and, for `Reflect` and
    /// `Replicate`, adds each padded position's gradient to the input position it copied
    /// ([`Tensor::pad_backward`]; from differentiable ops under `create_graph`).
    #[track_caller]
    pub fn pad(&self, pads: &[usize], mode: PadMode) -> Result<Var> {
        let value = self.tensor_ref().pad(pads, mode)?;
        let (pads, shape) = (pads.to_vec(), self.size().to_vec());
        // PyTorch's names count the padded dims (`ReflectionPad2DBackward0`).
        let name = match (mode, pads.len() / 2) {
            (PadMode::Constant(_), _) => "ConstantPadNdBackward0",
            (PadMode::Reflect, 1) => "ReflectionPad1DBackward0",
            (PadMode::Reflect, 2) => "ReflectionPad2DBackward0",
            (PadMode::Reflect, _) => "ReflectionPad3DBackward0",
            (PadMode::Replicate, 1) => "ReplicationPad1DBackward0",
            (PadMode::Replicate, 2) => "ReplicationPad2DBackward0",
            (PadMode::Replicate, _) => "ReplicationPad3DBackward0",
        };
        Ok(Var::record(value, name, &[self], vec![], move |ctx| {
            let rank = shape.len();
            if !crate::is_grad_enabled() {
                // tensor-core's one-pass gradient where the backend has it.
                return Ok(vec![Some(Var::constant(Tensor::pad_backward(
                    ctx.grad().tensor_ref(),
                    &shape,
                    &pads,
                    mode,
                )?))]);
            }
            // Undo the dims in the reverse of the order they were padded in.
            let mut g = ctx.grad().clone();
            for i in (0..pads.len() / 2).rev() {
                let (d, before, after) = (rank - 1 - i, pads[2 * i], pads[2 * i + 1]);
                let n = shape[d];
                let mut mid = g.narrow(d as isize, before as isize, n)?;
                if !matches!(mode, PadMode::Constant(_)) {
                    for (range, start) in [(-(before as i64)..0, 0), (n as i64..(n + after) as i64, before + n)] {
                        if range.is_empty() {
                            continue;
                        }
                        let len = range.end.abs_diff(range.start) as usize;
                        let idx: Vec<i64> = range.map(|j| mode.source(j, n as i64)).collect();
                        let idx = Tensor::new(idx, g.device())?;
                        mid = mid.index_add(d as isize, &idx, &g.narrow(d as isize, start as isize, len)?)?;
                    }
                }
                g = mid;
            }
            Ok(vec![Some(g)])
        }))
    }
    /// Entries `indices` along `dim`, as `x.index_select(dim, indices)`.
    #[track_caller]
    pub fn index_select(&self, dim: isize, indices: &Tensor) -> Result<Var> {
        let value = self.tensor_ref().index_select(dim, indices)?;
        let shape = self.shape().clone();
        let idx = Var::constant(indices.shallow_clone());
        Ok(Var::record(value, "IndexSelectBackward0", &[self], vec![Saved::Var(idx)], move |ctx| {
            let g = ctx.grad();
            let mut zeros = Tensor::zeros(shape.clone(), g.dtype(), g.device())?;
            if !crate::is_grad_enabled() {
                // Added into fresh zeros in place (the out-of-place op would copy them first).
                zeros.index_add_(dim, &ctx.saved(0).tensor(), g.tensor_ref())?;
                return Ok(vec![Some(Var::constant(zeros))]);
            }
            Ok(vec![Some(Var::constant(zeros).index_add(dim, &ctx.saved(0).tensor(), g)?)])
        }))
    }
    /// `out[i][j] = self[index[i][j]][j]` along `dim`, as `torch.gather`.
    #[track_caller]
    pub fn gather(&self, dim: isize, index: &Tensor) -> Result<Var> {
        let value = self.tensor_ref().gather(dim, index)?;
        let shape = self.shape().clone();
        let idx = Var::constant(index.shallow_clone());
        Ok(Var::record(value, "GatherBackward0", &[self], vec![Saved::Var(idx)], move |ctx| {
            let g = ctx.grad();
            let mut zeros = Tensor::zeros(shape.clone(), g.dtype(), g.device())?;
            if !crate::is_grad_enabled() {
                // Added into fresh zeros in place (the out-of-place op would copy them first).
                zeros.scatter_add_(dim, &ctx.saved(0).tensor(), g.tensor_ref())?;
                return Ok(vec![Some(Var::constant(zeros))]);
            }
            Ok(vec![Some(Var::constant(zeros).scatter_add(dim, &ctx.saved(0).tensor(), g)?)])
        }))
    }
    /// `self` with `src` written at `index` along `dim`, as `torch.scatter`.
    #[track_caller]
    pub fn scatter(&self, dim: isize, index: &Tensor, src: &Var) -> Result<Var> {
        let value = self.tensor_ref().scatter(dim, index, src.tensor_ref())?;
        let idx = Var::constant(index.shallow_clone());
        Ok(Var::record(value, "ScatterBackward0", &[self, src], vec![Saved::Var(idx)], move |ctx| {
            let (g, i) = (ctx.grad(), ctx.saved(0).tensor());
            let zeros = Var::constant(Tensor::zeros(i.shape().clone(), g.dtype(), g.device())?);
            let gs = if ctx.needs(0) { Some(g.scatter(dim, &i, &zeros)?) } else { None };
            let gsrc = if ctx.needs(1) { Some(g.gather(dim, &i)?) } else { None };
            Ok(vec![gs, gsrc])
        }))
    }
    /// `self` with `src` added at `index` along `dim`, as `torch.scatter_add`.
    #[track_caller]
    pub fn scatter_add(&self, dim: isize, index: &Tensor, src: &Var) -> Result<Var> {
        let value = self.tensor_ref().scatter_add(dim, index, src.tensor_ref())?;
        let idx = Var::constant(index.shallow_clone());
        Ok(Var::record(value, "ScatterAddBackward0", &[self, src], vec![Saved::Var(idx)], move |ctx| {
            let (g, i) = (ctx.grad(), ctx.saved(0).tensor());
            let gsrc = if ctx.needs(1) { Some(g.gather(dim, &i)?) } else { None };
            Ok(vec![Some(g.clone()), gsrc])
        }))
    }
    /// `self` with `source` rows added at `indices` along `dim`, as `torch.index_add`.
    #[track_caller]
    pub fn index_add(&self, dim: isize, indices: &Tensor, source: &Var) -> Result<Var> {
        let value = self.tensor_ref().index_add(dim, indices, source.tensor_ref())?;
        let idx = Var::constant(indices.shallow_clone());
        Ok(Var::record(value, "IndexAddBackward0", &[self, source], vec![Saved::Var(idx)], move |ctx| {
            let (g, i) = (ctx.grad(), ctx.saved(0).tensor());
            let gsrc = if ctx.needs(1) { Some(g.index_select(dim, &i)?) } else { None };
            Ok(vec![Some(g.clone()), gsrc])
        }))
    }
}
