//! Matrix products. One backward covers every `matmul` form: operands are lifted to at least
//! 2-d, the products `g @ bᵀ` and `aᵀ @ g` are formed with broadcasting, and `sum_to` folds
//! broadcast batch dims back.

use crate::node::Var;
use crate::var::Saved;
use tensor_core::{bail, result_type, Result, ResultExt};

impl Var {
    /// Matrix product with PyTorch's rules (1-d, 2-d, broadcast batches).
    ///
    /// The node has the name of the last op PyTorch's `matmul` records for these ranks:
    /// `DotBackward0`, `MmBackward0`, `MvBackward0`, `SqueezeBackward4` (a vector times a
    /// matrix), `CloneBackward0` (a matrix times a batch), else `UnsafeViewBackward0`.
    #[track_caller]
    pub fn matmul(&self, rhs: &Var) -> Result<Var> {
        let name = match (self.dim(), rhs.dim()) {
            (1, 1) => "DotBackward0",
            (2, 2) => "MmBackward0",
            (2, 1) => "MvBackward0",
            (1, 2) => "SqueezeBackward4",
            (2, _) => "CloneBackward0",
            _ => "UnsafeViewBackward0",
        };
        self.matmul_named(rhs, name)
    }
    #[track_caller]
    fn matmul_named(&self, rhs: &Var, name: &'static str) -> Result<Var> {
        let value = self.tensor_ref().matmul(rhs.tensor_ref())?;
        let (da, db) = (self.dim(), rhs.dim());
        Ok(Var::record(
            value,
            name,
            &[self, rhs],
            vec![Saved::Var(self.clone()), Saved::Var(rhs.clone())],
            move |ctx| {
                let (a, b) = (ctx.saved(0), ctx.saved(1));
                let a2 = if da == 1 { a.unsqueeze(0)? } else { a.clone() };
                let b2 = if db == 1 { b.unsqueeze(1)? } else { b.clone() };
                let mut g = ctx.grad().clone();
                if da == 1 {
                    g = g.unsqueeze(if db == 1 { 0 } else { -2 })?;
                }
                if db == 1 {
                    g = g.unsqueeze(-1)?;
                }
                let ga = if ctx.needs(0) {
                    let full = g.matmul(&b2.transpose(-1, -2)?)?;
                    Some(full.sum_to(a2.shape(), a.dtype())?.reshape(&dims(a))?)
                } else {
                    None
                };
                let gb = if ctx.needs(1) {
                    let full = a2.transpose(-1, -2)?.matmul(&g)?;
                    Some(full.sum_to(b2.shape(), b.dtype())?.reshape(&dims(b))?)
                } else {
                    None
                };
                Ok(vec![ga, gb])
            },
        ))
    }
    /// Product of two matrices.
    #[track_caller]
    pub fn mm(&self, rhs: &Var) -> Result<Var> {
        if self.dim() != 2 || rhs.dim() != 2 {
            bail!(Shape, "mm", "expected 2-D tensors, got shapes {:?} and {:?}", self.shape(), rhs.shape());
        }
        self.matmul(rhs)
    }
    /// Batched matrix product of 3-d variables.
    #[track_caller]
    pub fn bmm(&self, rhs: &Var) -> Result<Var> {
        if self.dim() != 3 || rhs.dim() != 3 {
            bail!(Shape, "bmm", "expected 3-D tensors, got shapes {:?} and {:?}", self.shape(), rhs.shape());
        }
        self.matmul_named(rhs, "BmmBackward0")
    }
    /// Matrix-vector product.
    #[track_caller]
    pub fn mv(&self, v: &Var) -> Result<Var> {
        if self.dim() != 2 || v.dim() != 1 {
            bail!(Shape, "mv", "expected a matrix and a vector, got shapes {:?} and {:?}", self.shape(), v.shape());
        }
        self.matmul(v)
    }
    /// Dot product of two vectors.
    #[track_caller]
    pub fn dot(&self, other: &Var) -> Result<Var> {
        if self.dim() != 1 || other.dim() != 1 {
            bail!(Shape, "dot", "1D tensors expected, but got shapes {:?} and {:?}", self.shape(), other.shape());
        }
        self.matmul(other)
    }
    /// Outer product of two vectors.
    #[track_caller]
    pub fn outer(&self, other: &Var) -> Result<Var> {
        self.unsqueeze(1)?.mul(&other.unsqueeze(0)?)
    }
    /// `x @ wᵀ + b`, as `F.linear` (weight `[out, in]`). With a bias, as PyTorch: one
    /// `AddmmBackward0` node for a 2-d input, and other inputs flattened to 2-d around it
    /// (the result an `UnsafeViewBackward0`). Errors name `linear`.
    #[track_caller]
    pub fn linear(&self, weight: &Var, bias: Option<&Var>) -> Result<Var> {
        self.linear_parts(weight, bias).in_op("linear")
    }
    #[track_caller]
    fn linear_parts(&self, weight: &Var, bias: Option<&Var>) -> Result<Var> {
        let Some(b) = bias else { return self.matmul(&weight.t()?) };
        if self.dim() == 2 && weight.dim() == 2 && b.dim() <= 1 {
            return self.addmm_t(weight, b);
        }
        if self.dim() == 0 || weight.dim() != 2 || b.dim() > 1 {
            return self.matmul(&weight.t()?)?.add(b);
        }
        let features = self.size()[self.dim() - 1] as isize;
        let y = self.reshape(&[-1, features])?.addmm_t(weight, b)?;
        let mut out: Vec<isize> = self.size()[..self.dim() - 1].iter().map(|&d| d as isize).collect();
        out.push(weight.size()[0] as isize);
        let value = y.tensor_ref().reshape(&out)?;
        Ok(y.reshaping_view("UnsafeViewBackward0", value))
    }
    /// `b + x @ wᵀ` for a matrix `x`, recorded as one node (`AddmmBackward0`).
    #[track_caller]
    fn addmm_t(&self, weight: &Var, bias: &Var) -> Result<Var> {
        let mut value = self.tensor_ref().matmul(&weight.tensor_ref().t()?)?;
        // The product is fresh: the bias goes into it in place (the same sums, rounded the same
        // way, without a second result of the product's size).
        if value.dtype() == result_type(&[value.operand(), bias.tensor_ref().operand()]) {
            value.add_(bias.tensor_ref())?;
        } else {
            value = value.add(bias.tensor_ref())?;
        }
        let (bshape, bdtype) = (bias.shape().clone(), bias.dtype());
        let saved = vec![Saved::Var(self.clone()), Saved::Var(weight.clone())];
        Ok(Var::record(value, "AddmmBackward0", &[self, weight, bias], saved, move |ctx| {
            let (g, x, w) = (ctx.grad(), ctx.saved(0), ctx.saved(1));
            let gx = if ctx.needs(0) { Some(g.matmul(w)?) } else { None };
            let gw = if ctx.needs(1) { Some(g.t()?.matmul(x)?) } else { None };
            let gb = if ctx.needs(2) { Some(g.sum_to(&bshape, bdtype)?) } else { None };
            Ok(vec![gx, gw, gb])
        }))
    }
}

fn dims(v: &Var) -> Vec<isize> {
    v.size().iter().map(|&d| d as isize).collect()
}
