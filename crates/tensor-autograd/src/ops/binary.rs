//! Binary elementwise ops with broadcasting, and comparisons (which never require grad).

use super::VarRhs;
use crate::node::{BackwardCtx, Var};
use crate::var::Saved;
use tensor_core::{Result, ResultExt, Scalar, Tensor};

impl Var {
    /// Records a broadcasting binary op: `forward` on the tensors, `backward(g, a, b)` giving
    /// the unreduced gradients of both inputs; `sum_to` reduces them to the inputs' shapes.
    #[track_caller]
    fn binary_op(
        &self,
        rhs: VarRhs<'_>,
        name: &'static str,
        forward: impl FnOnce(&Tensor, &Tensor) -> Result<Tensor>,
        backward: impl Fn(&Var, &Var, &Var, [bool; 2]) -> Result<[Option<Var>; 2]> + Send + Sync + 'static,
    ) -> Result<Var> {
        self.binary_op_saving(rhs, name, true, forward, backward)
    }

    /// [`binary_op`](Self::binary_op) that saves the inputs only when `save` (add and sub need
    /// just their shapes; backward then sees the gradient in place of both inputs).
    #[track_caller]
    fn binary_op_saving(
        &self,
        rhs: VarRhs<'_>,
        name: &'static str,
        save: bool,
        forward: impl FnOnce(&Tensor, &Tensor) -> Result<Tensor>,
        backward: impl Fn(&Var, &Var, &Var, [bool; 2]) -> Result<[Option<Var>; 2]> + Send + Sync + 'static,
    ) -> Result<Var> {
        let b = rhs.into_var(self.tensor_ref())?;
        let value = forward(self.tensor_ref(), b.tensor_ref()).located()?;
        let metas = [(self.shape().clone(), self.dtype()), (b.shape().clone(), b.dtype())];
        let saved = if save { vec![Saved::Var(self.clone()), Saved::Var(b.clone())] } else { Vec::new() };
        Ok(Var::record(value, name, &[self, &b], saved, move |ctx| {
            let g = ctx.grad();
            let (a, b) = if save { (ctx.saved(0), ctx.saved(1)) } else { (g, g) };
            let [ga, gb] = backward(g, a, b, [ctx.needs(0), ctx.needs(1)])?;
            let [(sa, da), (sb, db)] = &metas;
            Ok(vec![ga.map(|g| g.sum_to(sa, *da)).transpose()?, gb.map(|g| g.sum_to(sb, *db)).transpose()?])
        }))
    }

    /// Records `self op s` for a number `s`: no tensor is made for the number, and the node has
    /// no edge for the number. `backward(g, s)` gives the gradient of `self` (cast back to its dtype).
    #[track_caller]
    fn scalar_op(
        &self,
        s: Scalar,
        name: &'static str,
        forward: impl FnOnce(&Tensor, Scalar) -> Result<Tensor>,
        backward: impl Fn(&Var, Scalar) -> Result<Var> + Send + Sync + 'static,
    ) -> Result<Var> {
        let value = forward(self.tensor_ref(), s).located()?;
        let dtype = self.dtype();
        // A number broadcasts to the tensor's shape: the gradient has the input's shape already
        // (no `sum_to`, no shape kept per node); only its dtype may need casting back.
        let backward = move |ctx: &BackwardCtx<'_>| {
            let g = backward(ctx.grad(), s)?;
            Ok(vec![Some(if g.dtype() == dtype { g } else { g.to_dtype(dtype)? }), None])
        };
        Ok(Var::record_inputs(value, name.into(), [Some(self), None].into_iter(), Vec::new(), backward))
    }

    /// `self + rhs`, broadcasting.
    #[track_caller]
    pub fn add<'a>(&self, rhs: impl Into<VarRhs<'a>>) -> Result<Var> {
        let rhs = rhs.into();
        if let VarRhs::Scalar(s) = rhs {
            return self.scalar_op(s, "AddBackward0", |a, s| a.add(s), |g, _| Ok(g.clone()));
        }
        self.binary_op_saving(
            rhs,
            "AddBackward0",
            false,
            |a, b| a.add(b),
            |g, _, _, _| Ok([Some(g.clone()), Some(g.clone())]),
        )
    }
    /// `self - rhs`, broadcasting.
    #[track_caller]
    pub fn sub<'a>(&self, rhs: impl Into<VarRhs<'a>>) -> Result<Var> {
        let rhs = rhs.into();
        if let VarRhs::Scalar(s) = rhs {
            return self.scalar_op(s, "SubBackward0", |a, s| a.sub(s), |g, _| Ok(g.clone()));
        }
        self.binary_op_saving(
            rhs,
            "SubBackward0",
            false,
            |a, b| a.sub(b),
            |g, _, _, n| Ok([Some(g.clone()), if n[1] { Some(g.neg()?) } else { None }]),
        )
    }
    /// `self * rhs`, broadcasting.
    #[track_caller]
    pub fn mul<'a>(&self, rhs: impl Into<VarRhs<'a>>) -> Result<Var> {
        let rhs = rhs.into();
        if let VarRhs::Scalar(s) = rhs {
            return self.scalar_op(s, "MulBackward0", |a, s| a.mul(s), |g, s| g.mul(s));
        }
        self.binary_op(
            rhs,
            "MulBackward0",
            |a, b| a.mul(b),
            |g, a, b, n| Ok([if n[0] { Some(g.mul(b)?) } else { None }, if n[1] { Some(g.mul(a)?) } else { None }]),
        )
    }
    /// `self / rhs` (true division), broadcasting.
    #[track_caller]
    pub fn div<'a>(&self, rhs: impl Into<VarRhs<'a>>) -> Result<Var> {
        let rhs = rhs.into();
        if let VarRhs::Scalar(s) = rhs {
            return self.scalar_op(s, "DivBackward0", |a, s| a.div(s), |g, s| g.div(s));
        }
        self.binary_op(
            rhs,
            "DivBackward0",
            |a, b| a.div(b),
            |g, a, b, n| {
                let ga = if n[0] { Some(g.div(b)?) } else { None };
                let gb = if n[1] { Some(g.neg()?.mul(a)?.div(&b.mul(b)?)?) } else { None };
                Ok([ga, gb])
            },
        )
    }
    /// `self ** rhs`, broadcasting.
    #[track_caller]
    pub fn pow<'a>(&self, rhs: impl Into<VarRhs<'a>>) -> Result<Var> {
        let rhs = rhs.into();
        if let VarRhs::Scalar(e) = rhs {
            // A number exponent other than 0 (whose gradient is masked to 0 below).
            if e.to_f64() != 0.0 {
                return self.pow_scalar(e);
            }
        }
        // PyTorch's names: a number exponent is PowBackward0, a tensor exponent PowBackward1.
        let name = if matches!(rhs, VarRhs::Scalar(_)) { "PowBackward0" } else { "PowBackward1" };
        self.binary_op(
            rhs,
            name,
            |a, b| a.pow(b),
            |g, a, b, n| {
                let ga = if n[0] {
                    // b a^(b-1), taken as 0 where b == 0 (as PyTorch: 0 * 0^-1 would be NaN).
                    let ga = g.mul(b)?.mul(&a.pow(&b.sub(1.0)?)?)?;
                    let zero_exp = b.tensor_ref().eq(0.0)?;
                    Some(if zero_exp.any()?.item::<bool>()? { ga.masked_fill(&zero_exp, 0.0)? } else { ga })
                } else {
                    None
                };
                let gb = if n[1] {
                    // d/db a^b = a^b ln a, taken as 0 where a == 0 (as PyTorch).
                    let zero = a.tensor_ref().eq(0.0)?;
                    // `a` stays a variable (not a constant copy): ln a depends on it too, which
                    // double backward needs.
                    let safe_a = a.masked_fill(&zero, 1.0)?;
                    Some(g.mul(&a.pow(b)?)?.mul(&safe_a.log()?)?.masked_fill(&zero, 0.0)?)
                } else {
                    None
                };
                Ok([ga, gb])
            },
        )
    }
    /// Elementwise maximum; ties share the gradient equally (as PyTorch).
    #[track_caller]
    pub fn maximum<'a>(&self, rhs: impl Into<VarRhs<'a>>) -> Result<Var> {
        self.binary_op(rhs.into(), "MaximumBackward0", |a, b| a.maximum(b), |g, a, b, _| select_grad(g, a, b, true))
    }
    /// Elementwise minimum; ties share the gradient equally (as PyTorch).
    #[track_caller]
    pub fn minimum<'a>(&self, rhs: impl Into<VarRhs<'a>>) -> Result<Var> {
        self.binary_op(rhs.into(), "MinimumBackward0", |a, b| a.minimum(b), |g, a, b, _| select_grad(g, a, b, false))
    }
    /// `atan2(self, rhs)`.
    #[track_caller]
    pub fn atan2<'a>(&self, rhs: impl Into<VarRhs<'a>>) -> Result<Var> {
        self.binary_op(
            rhs.into(),
            "Atan2Backward0",
            |a, b| a.atan2(b),
            |g, a, b, n| {
                let denom = a.mul(a)?.add(&b.mul(b)?)?;
                let ga = if n[0] { Some(g.mul(b)?.div(&denom)?) } else { None };
                let gb = if n[1] { Some(g.neg()?.mul(a)?.div(&denom)?) } else { None };
                Ok([ga, gb])
            },
        )
    }
    /// Python's modulo.
    #[track_caller]
    pub fn remainder<'a>(&self, rhs: impl Into<VarRhs<'a>>) -> Result<Var> {
        self.binary_op(
            rhs.into(),
            "RemainderBackward0",
            |a, b| a.remainder(b),
            |g, a, b, n| {
                let gb = if n[1] {
                    Some(g.neg()?.mul(&Var::constant(a.tensor_ref().floor_divide(b.tensor_ref())?))?)
                } else {
                    None
                };
                Ok([Some(g.clone()), gb])
            },
        )
    }

    /// `self == rhs` (Bool; never requires grad).
    #[track_caller]
    pub fn eq<'a>(&self, rhs: impl Into<VarRhs<'a>>) -> Result<Var> {
        self.compare(rhs.into(), |a, b| a.eq(b))
    }
    /// `self != rhs`.
    #[track_caller]
    pub fn ne<'a>(&self, rhs: impl Into<VarRhs<'a>>) -> Result<Var> {
        self.compare(rhs.into(), |a, b| a.ne(b))
    }
    /// `self < rhs`.
    #[track_caller]
    pub fn lt<'a>(&self, rhs: impl Into<VarRhs<'a>>) -> Result<Var> {
        self.compare(rhs.into(), |a, b| a.lt(b))
    }
    /// `self <= rhs`.
    #[track_caller]
    pub fn le<'a>(&self, rhs: impl Into<VarRhs<'a>>) -> Result<Var> {
        self.compare(rhs.into(), |a, b| a.le(b))
    }
    /// `self > rhs`.
    #[track_caller]
    pub fn gt<'a>(&self, rhs: impl Into<VarRhs<'a>>) -> Result<Var> {
        self.compare(rhs.into(), |a, b| a.gt(b))
    }
    /// `self >= rhs`.
    #[track_caller]
    pub fn ge<'a>(&self, rhs: impl Into<VarRhs<'a>>) -> Result<Var> {
        self.compare(rhs.into(), |a, b| a.ge(b))
    }
    #[track_caller]
    fn compare(&self, rhs: VarRhs<'_>, f: impl FnOnce(&Tensor, &Tensor) -> Result<Tensor>) -> Result<Var> {
        let b = rhs.into_var(self.tensor_ref())?;
        Ok(Var::constant(f(self.tensor_ref(), b.tensor_ref()).located()?))
    }
}

/// Gradients of maximum/minimum: to the larger (smaller) input; half to each on ties.
#[track_caller]
fn select_grad(g: &Var, a: &Var, b: &Var, max: bool) -> Result<[Option<Var>; 2]> {
    let (at, bt) = (a.tensor_ref(), b.tensor_ref());
    let wins = if max { at.gt(bt)? } else { at.lt(bt)? };
    let ties = at.eq(bt)?;
    let dt = g.dtype();
    let wa = wins.to_dtype(dt)?.add(&ties.to_dtype(dt)?.mul(0.5)?)?;
    let wb = wa.neg()?.add(1.0)?;
    Ok([Some(g.mul(&wa)?), Some(g.mul(&wb)?)])
}
