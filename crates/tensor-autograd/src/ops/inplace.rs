//! In-place ops on a [`Var`]. The tensor is written through (every view sees it, the version
//! counter bumps), and when the graph is recorded the variable's history is rebased onto a
//! node of the out-of-place op applied to a snapshot of its old value, as PyTorch rebases.
//! An in-place op on a leaf that requires grad is an error outside `no_grad`.

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
        let records = is_grad_enabled() && (self.requires_grad() || others_require_grad);
        if is_grad_enabled() && self.is_leaf() && self.requires_grad() {
            bail!(Autograd, name, "a leaf Variable that requires grad is being used in an in-place operation.");
        }
        if !records {
            return direct(&mut self.tensor()).located();
        }
        if self.is_view() {
            bail!(
                Autograd,
                name,
                "an in-place operation on a view of a variable that requires grad is not supported: the base's history would not see it and its gradients would be wrong (use the out-of-place op, or clone() the view first)"
            );
        }
        // A snapshot that keeps the old value (the storage is about to change) and history.
        let old = Var::snapshot(self)?;
        let new = recorded(&old).located().in_op(name)?;
        if new.dtype() != self.dtype() {
            bail!(DType, name, "result type {} can't be cast to the desired output type {}", new.dtype(), self.dtype());
        }
        self.tensor().copy_(new.tensor_ref())?;
        self.set_grad_fn(new.grad_fn());
        Ok(())
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
    /// Copies `src` (broadcasting, casting) into this variable, as `x.copy_(src)`.
    #[track_caller]
    pub fn copy_(&self, src: &Var) -> Result<()> {
        let shape = self.shape().clone();
        let dtype = self.dtype();
        self.inplace(
            "copy_",
            src.requires_grad(),
            |t| t.copy_(src.tensor_ref()),
            |old| {
                // The old value is discarded: its gradient is zero; src's is summed to its shape.
                let value = src.broadcast_to(&shape)?.to_dtype(dtype)?;
                old.mul(0.0)?.add(&value)
            },
        )
    }
    /// Sets every element to `value`.
    #[track_caller]
    pub fn fill_(&self, value: impl Into<Scalar>) -> Result<()> {
        let v = value.into();
        self.inplace("fill_", false, |t| t.fill_(v), |old| old.mul(0.0)?.add(v.to_f64()))
    }
    /// Sets every element to zero.
    #[track_caller]
    pub fn zero_(&self) -> Result<()> {
        self.fill_(0)
    }
}
