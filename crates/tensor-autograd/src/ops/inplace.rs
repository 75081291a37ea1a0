//! In-place ops on a [`Var`]. The tensor is written through (every view sees it, the version
//! counter bumps), and when the graph is recorded the variable's history is rebased onto a
//! node of the out-of-place op applied to a snapshot of its old value, as PyTorch rebases.
//! On a view, the base's history is rebased instead (`CopySlices`, in `rebase.rs`). An
//! in-place op on a leaf that requires grad, or on a view of one, is an error outside
//! `no_grad`, as are in-place ops on the outputs of `split`/`chunk`/`unbind`.

use crate::grad_mode::is_grad_enabled;
use crate::node::Var;
use crate::ops::VarRhs;
use tensor_core::{bail, Result, ResultExt, Scalar, Tensor};

impl Var {
    /// Applies an in-place op: `direct` on the tensor when nothing is recorded, else `recorded`
    /// (out of place, on a snapshot of the old value) and a copy back.
    #[track_caller]
    fn inplace(
        &self,
        name: &'static str,
        others_require_grad: bool,
        direct: impl FnOnce(&mut Tensor) -> Result<()>,
        recorded: impl FnOnce(&Var) -> Result<Var>,
    ) -> Result<()> {
        let grad_mode = is_grad_enabled();
        if grad_mode && self.is_leaf() && self.requires_grad() {
            bail!(Autograd, name, "a leaf Variable that requires grad is being used in an in-place operation.");
        }
        let base = self.view_base();
        if grad_mode && base.as_ref().is_some_and(|b| b.is_leaf() && b.requires_grad()) {
            bail!(
                Autograd,
                name,
                "a view of a leaf Variable that requires grad is being used in an in-place operation."
            );
        }
        let records = grad_mode && (self.requires_grad() || others_require_grad);
        if !records {
            return direct(&mut self.tensor()).located();
        }
        if self.is_no_grad_view() {
            bail!(
                Autograd,
                name,
                "A view was created in no_grad mode and is being modified inplace with grad mode enabled. Given that this use case is ambiguous and error-prone, it is forbidden. You can clarify your code by moving both the view and the inplace either both inside the no_grad block (if you don't want the inplace to be tracked) or both outside (if you want the inplace to be tracked)."
            );
        }
        if let Some((op, i)) = self.multi_output() {
            bail!(
                Autograd,
                name,
                "Output {i} of {op} is a view and is being modified inplace. This view is the output of a function that returns multiple views. Such functions do not allow the output views to be modified inplace. You should replace the inplace operation by an out-of-place one."
            );
        }
        // A snapshot that keeps the old value (the storage is about to change) and history.
        let old = Var::snapshot(self)?;
        let new = recorded(&old).located().in_op(name)?;
        if new.dtype() != self.dtype() {
            bail!(DType, name, "result type {} can't be cast to the desired output type {}", new.dtype(), self.dtype());
        }
        if new.shape() != self.shape() {
            bail!(
                Shape,
                name,
                "output with shape {:?} doesn't match the broadcast shape {:?}",
                self.shape(),
                new.shape()
            );
        }
        match base {
            // A view: the base's history is rebased (CopySlices), the view's regenerated.
            Some(base) => self.write_view(&base, &new),
            None => {
                self.tensor().copy_(new.tensor_ref())?;
                self.set_grad_fn(new.grad_fn());
                self.outdate_other_views();
                Ok(())
            }
        }
    }

    #[track_caller]
    fn snapshot(v: &Var) -> Result<Var> {
        let copy = Var::from_graph_of(v, v.tensor_ref().try_clone()?);
        Ok(copy)
    }

    /// `self += rhs`.
    #[track_caller]
    pub fn add_<'a>(&self, rhs: impl Into<VarRhs<'a>>) -> Result<()> {
        self.binary_inplace("add_", rhs.into(), |t, r| t.add_(r), |a, b| a.add(b))
    }
    /// `self -= rhs`.
    #[track_caller]
    pub fn sub_<'a>(&self, rhs: impl Into<VarRhs<'a>>) -> Result<()> {
        self.binary_inplace("sub_", rhs.into(), |t, r| t.sub_(r), |a, b| a.sub(b))
    }
    /// `self *= rhs`.
    #[track_caller]
    pub fn mul_<'a>(&self, rhs: impl Into<VarRhs<'a>>) -> Result<()> {
        self.binary_inplace("mul_", rhs.into(), |t, r| t.mul_(r), |a, b| a.mul(b))
    }
    /// `self /= rhs`.
    #[track_caller]
    pub fn div_<'a>(&self, rhs: impl Into<VarRhs<'a>>) -> Result<()> {
        self.binary_inplace("div_", rhs.into(), |t, r| t.div_(r), |a, b| a.div(b))
    }
    #[track_caller]
    fn binary_inplace(
        &self,
        name: &'static str,
        rhs: VarRhs<'_>,
        direct: impl FnOnce(&mut Tensor, &Tensor) -> Result<()>,
        recorded: impl FnOnce(&Var, &Var) -> Result<Var>,
    ) -> Result<()> {
        let b = rhs.into_var(self.tensor_ref())?;
        let other = b.requires_grad();
        self.inplace(name, other, |t| direct(t, b.tensor_ref()), |old| recorded(old, &b))
    }
    /// Clamps in place.
    #[track_caller]
    pub fn clamp_(&self, min: Option<f64>, max: Option<f64>) -> Result<()> {
        self.inplace("clamp_", false, |t| t.clamp_(min, max), |old| old.clamp(min, max))
    }
    /// ReLU in place.
    #[track_caller]
    pub fn relu_(&self) -> Result<()> {
        self.inplace("relu_", false, |t| t.relu_(), |old| old.relu())
    }
    /// Copies `src` (broadcasting, casting) into this variable, as `x.copy_(src)`
    /// (`CopyBackwards`: the old value's gradient is zero, `src`'s the gradient summed to its
    /// shape).
    #[track_caller]
    pub fn copy_(&self, src: &Var) -> Result<()> {
        let (shape, dtype) = (src.shape().clone(), src.dtype());
        self.inplace(
            "copy_",
            src.requires_grad(),
            |t| t.copy_(src.tensor_ref()),
            |old| {
                let mut value = old.tensor_ref().zeros_like(None)?;
                value.copy_(src.tensor_ref())?;
                Ok(Var::record(value, "CopyBackwards", &[old, src], vec![], move |ctx| {
                    let g = ctx.grad();
                    let gold = if ctx.needs(0) { Some(Var::constant(g.tensor_ref().zeros_like(None)?)) } else { None };
                    let gsrc = if ctx.needs(1) { Some(g.sum_to(&shape, dtype)?) } else { None };
                    Ok(vec![gold, gsrc])
                }))
            },
        )
    }
    /// Sets every element to `value` (`FillBackward2`).
    #[track_caller]
    pub fn fill_(&self, value: impl Into<Scalar>) -> Result<()> {
        let v = value.into();
        self.inplace("fill_", false, |t| t.fill_(v), |old| Var::overwritten(old, "FillBackward2", v))
    }
    /// Sets every element to zero (`ZeroBackward0`).
    #[track_caller]
    pub fn zero_(&self) -> Result<()> {
        self.inplace("zero_", false, |t| t.fill_(0), |old| Var::overwritten(old, "ZeroBackward0", Scalar::from(0)))
    }
    /// `old` overwritten with `value` everywhere: the old value's gradient is zero.
    #[track_caller]
    fn overwritten(old: &Var, name: &'static str, value: Scalar) -> Result<Var> {
        let value = Tensor::full(old.shape().clone(), value, old.dtype(), old.device())?;
        Ok(Var::record(value, name, &[old], vec![], |ctx| {
            Ok(vec![Some(Var::constant(ctx.grad().tensor_ref().zeros_like(None)?))])
        }))
    }
    /// Sets the elements where `mask` is true to `value`, as `x.masked_fill_(mask, value)`.
    #[track_caller]
    pub fn masked_fill_(&self, mask: &Tensor, value: impl Into<Scalar>) -> Result<()> {
        let v = value.into();
        self.inplace("masked_fill_", false, |t| t.masked_fill_(mask, v), |old| old.masked_fill(mask, v))
    }
}
