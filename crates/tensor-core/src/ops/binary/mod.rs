//! Binary elementwise ops with PyTorch's broadcasting and type promotion: arithmetic (`add`,
//! `mul`, ...), comparisons (`eq`, `lt`, ... giving Bool), logical ops, `where_`/`masked_fill`,
//! their in-place `_` and `_out` forms, and the operator traits (in `operators.rs`).

pub(crate) mod backend;
pub(crate) mod cpu;
mod operators;

use crate::backend::{BinaryOp, CmpOp};
use crate::shape::broadcast_shapes;
use crate::tensor::Rhs;
use crate::{bail, result_type, DType, Result, ResultExt, Scalar, Tensor};

/// How `div` rounds, as `rounding_mode` in `torch.div`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoundingMode {
    /// True division (the default): integers give floats.
    True,
    /// Rounds the quotient toward zero.
    Trunc,
    /// Rounds the quotient down.
    Floor,
}

/// PyTorch's `canCast`: no float into an integer, nothing but bool into bool.
pub(crate) fn can_cast(from: DType, to: DType) -> bool {
    (!from.is_float() || to.is_float()) && (from == DType::Bool || to != DType::Bool)
}

/// The dtype `op` computes in and the dtype it returns, for these operands.
fn dtypes(op: BinaryOp, a: &Tensor, b: &Rhs<'_>) -> (DType, DType) {
    let common = match b {
        // A number is of a lower tier than a tensor and of no higher category than a float,
        // so it never lifts a float tensor's dtype: `x * 0.5` without the general promotion.
        Rhs::Scalar(_) if a.dtype().is_float() => a.dtype(),
        _ => result_type(&[a.operand(), b.operand()]),
    };
    match op {
        BinaryOp::Div | BinaryOp::Atan2 => (common.to_float(), common.to_float()),
        BinaryOp::LogicalAnd | BinaryOp::LogicalOr | BinaryOp::LogicalXor => (DType::Bool, DType::Bool),
        _ => (common, common),
    }
}

/// Integer floor division and remainder by zero raise, as PyTorch's `ZeroDivisionError`.
#[track_caller]
fn check_int_divisor(op: BinaryOp, compute: DType, divisor: &Tensor) -> Result<()> {
    if matches!(op, BinaryOp::FloorDiv | BinaryOp::Remainder) && compute.is_int() {
        check_int_div_by_zero(divisor)?;
    }
    Ok(())
}

/// `int_tensor ** -1` (a negative integer scalar exponent) raises, as PyTorch.
#[track_caller]
fn check_pow_scalar(name: &'static str, op: BinaryOp, base: DType, rhs: &Rhs<'_>) -> Result<()> {
    if op == BinaryOp::Pow && !base.is_float() && matches!(rhs, Rhs::Scalar(Scalar::Int(i)) if *i < 0) {
        bail!(Value, name, "Integers to negative integer powers are not allowed.");
    }
    Ok(())
}

#[track_caller]
fn check_bool_sub(name: &'static str, op: BinaryOp, dtype: DType) -> Result<()> {
    if dtype == DType::Bool && matches!(op, BinaryOp::Sub) {
        bail!(DType, name, "subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or `logical_xor()` operator instead.");
    }
    if dtype == DType::Bool && matches!(op, BinaryOp::Div | BinaryOp::FloorDiv | BinaryOp::Pow | BinaryOp::Remainder) {
        bail!(DType, name, "{:?} is not supported for bool tensors", op);
    }
    Ok(())
}

impl Tensor {
    /// `self op rhs` with broadcasting and type promotion, into a new tensor.
    #[track_caller]
    pub fn binary<'a>(&self, name: &'static str, rhs: impl Into<Rhs<'a>>, op: BinaryOp) -> Result<Tensor> {
        let rhs = rhs.into();
        let (compute, _) = dtypes(op, self, &rhs);
        check_bool_sub(name, op, compute)?;
        check_pow_scalar(name, op, self.dtype(), &rhs)?;
        if let (Rhs::Scalar(s), true) = (&rhs, compute == self.dtype()) {
            check_int_scalar_divisor(op, compute, *s)?;
            if let Some(r) = self.read("binary_scalar")?.binary_scalar(self.layout(), *s, op) {
                return Ok(Tensor::from_op(r?, self.shape(), self.device()));
            }
        }
        let b = rhs.to_tensor(self, compute)?;
        self.same_device(name, &[&b])?;
        let a = self.to_dtype(compute)?;
        let shape = broadcast_shapes(name, a.shape(), b.shape())?;
        check_int_divisor(op, compute, &b)?;
        let (la, lb) = (a.layout().broadcast_to(&shape)?, b.layout().broadcast_to(&shape)?);
        let s = Tensor::read_all(name, [&a, &b], |[x, y]| x.binary(&la, y, &lb, op))?;
        Ok(Tensor::from_op(s, shape, self.device()))
    }

    /// `self = self op rhs` in place; `rhs` broadcasts to `self`'s shape and the result must be
    /// castable to `self`'s dtype.
    #[track_caller]
    pub fn binary_<'a>(&mut self, name: &'static str, rhs: impl Into<Rhs<'a>>, op: BinaryOp) -> Result<()> {
        let rhs = rhs.into();
        let (compute, result) = dtypes(op, self, &rhs);
        check_bool_sub(name, op, compute)?;
        check_pow_scalar(name, op, self.dtype(), &rhs)?;
        if !can_cast(result, self.dtype()) {
            bail!(DType, name, "result type {} can't be cast to the desired output type {}", result, self.dtype());
        }
        self.check_writable(name)?;
        if compute != self.dtype() {
            let r = self.binary(name, rhs, op)?;
            return self.copy_(&r);
        }
        if let Rhs::Scalar(s) = rhs {
            check_int_scalar_divisor(op, compute, s)?;
            if let Some(r) = self.write(name)?.binary_scalar_inplace(self.layout(), s, op) {
                return r;
            }
        }
        let b = rhs.to_tensor(self, compute)?;
        self.same_device(name, &[&b])?;
        let lb = b
            .layout()
            .broadcast_to(self.shape())
            .map_err(|_| {
                crate::err!(
                    Shape,
                    name,
                    "output with shape {:?} doesn't match the broadcast shape of {:?} and {:?}",
                    self.shape(),
                    self.shape(),
                    b.shape()
                )
            })
            .located()?;
        check_int_divisor(op, compute, &b)?;
        let b = b.detached_copy_if_shared(self)?;
        let lb =
            if b.layout().dims() == lb.dims() { b.layout().clone() } else { b.layout().broadcast_to(self.shape())? };
        self.write_reading(name, [&b], |dst, [bs]| dst.binary_inplace(self.layout(), bs, &lb, op))
    }

    /// `out = a op b`, into the caller's tensor: no allocation when `out` has the result's shape
    /// and dtype; a tensor of another shape is replaced by a new one, as PyTorch resizes `out`.
    #[track_caller]
    pub fn binary_out<'a>(
        name: &'static str,
        a: &Tensor,
        b: impl Into<Rhs<'a>>,
        op: BinaryOp,
        out: &mut Tensor,
    ) -> Result<()> {
        let b = b.into();
        let (compute, result) = dtypes(op, a, &b);
        check_pow_scalar(name, op, a.dtype(), &b)?;
        if !can_cast(result, out.dtype()) {
            bail!(DType, name, "result type {} can't be cast to the desired output type {}", result, out.dtype());
        }
        let bt = b.to_tensor(a, compute)?;
        let shape = broadcast_shapes(name, a.shape(), bt.shape())?;
        if out.shape() != &shape || out.dtype() != compute || out.device() != a.device() {
            let r = a.binary(name, b, op)?;
            if out.shape() == &shape && out.device() == a.device() {
                return out.copy_(&r);
            }
            *out = r.to_dtype(out.dtype())?;
            return Ok(());
        }
        check_bool_sub(name, op, compute)?;
        out.check_writable(name)?;
        check_int_divisor(op, compute, &bt)?;
        let a = a.to_dtype(compute)?;
        if a.shares_storage(out) && a.layout() == out.layout() {
            // out = out op b: the in-place kernel.
            return out.binary_(name, &bt, op);
        }
        let a = a.detached_copy_if_shared(out)?;
        let bt = bt.detached_copy_if_shared(out)?;
        let (la, lb) = (a.layout().broadcast_to(&shape)?, bt.layout().broadcast_to(&shape)?);
        out.write_reading(name, [&a, &bt], |dst, [x, y]| dst.binary_into(out.layout(), x, &la, y, &lb, op))
    }

    /// `self + alpha * rhs`, as `torch.add(x, y, alpha=...)`.
    #[track_caller]
    pub fn add_scaled(&self, rhs: &Tensor, alpha: impl Into<Scalar>) -> Result<Tensor> {
        self.add(&rhs.mul(alpha.into())?)
    }
    /// Division with a rounding mode, as `torch.div(a, b, rounding_mode=...)`.
    #[track_caller]
    pub fn div_mode<'a>(&self, rhs: impl Into<Rhs<'a>>, mode: RoundingMode) -> Result<Tensor> {
        match mode {
            RoundingMode::True => self.binary("div", rhs, BinaryOp::Div),
            RoundingMode::Floor => self.binary("floor_divide", rhs, BinaryOp::FloorDiv),
            RoundingMode::Trunc => {
                let rhs = rhs.into();
                let common = result_type(&[self.operand(), rhs.operand()]);
                if common.is_float() {
                    self.binary("div", rhs, BinaryOp::Div)?.trunc()
                } else {
                    // torch.div(bool, bool, rounding_mode='trunc'): not implemented for 'Bool'.
                    check_bool_sub("div", BinaryOp::Div, common)?;
                    // Integer division in the kernel truncates.
                    let b = rhs.to_tensor(self, common)?;
                    check_int_div_by_zero(&b)?;
                    let a = self.to_dtype(common)?;
                    let shape = broadcast_shapes("div", a.shape(), b.shape())?;
                    let (la, lb) = (a.layout().broadcast_to(&shape)?, b.layout().broadcast_to(&shape)?);
                    let s = Tensor::read_all("div", [&a, &b], |[x, y]| x.binary(&la, y, &lb, BinaryOp::Div))?;
                    Ok(Tensor::from_op(s, shape, self.device()))
                }
            }
        }
    }

    /// Elementwise comparison into a Bool tensor.
    #[track_caller]
    pub fn compare<'a>(&self, name: &'static str, rhs: impl Into<Rhs<'a>>, op: CmpOp) -> Result<Tensor> {
        let rhs = rhs.into();
        let common = result_type(&[self.operand(), rhs.operand()]);
        let b = rhs.to_tensor(self, common)?;
        self.same_device(name, &[&b])?;
        let a = self.to_dtype(common)?;
        let shape = broadcast_shapes(name, a.shape(), b.shape())?;
        let (la, lb) = (a.layout().broadcast_to(&shape)?, b.layout().broadcast_to(&shape)?);
        let s = Tensor::read_all(name, [&a, &b], |[x, y]| x.cmp(&la, y, &lb, op))?;
        Ok(Tensor::from_op(s, shape, self.device()))
    }

    /// `condition ? self : other` elementwise with broadcasting, as `torch.where(cond, self, other)`.
    #[track_caller]
    pub fn where_<'a>(&self, condition: &Tensor, other: impl Into<Rhs<'a>>) -> Result<Tensor> {
        let other = other.into();
        if condition.dtype() != DType::Bool {
            bail!(
                DType,
                "where",
                "where expected condition to be a boolean tensor, but got a tensor with dtype {}",
                condition.dtype()
            );
        }
        let common = result_type(&[self.operand(), other.operand()]);
        let a = self.to_dtype(common)?;
        let b = other.to_tensor(self, common)?;
        self.same_device("where", &[&b, condition])?;
        let shape = broadcast_shapes("where", &broadcast_shapes("where", condition.shape(), a.shape())?, b.shape())?;
        let (lc, la, lb) = (
            condition.layout().broadcast_to(&shape)?,
            a.layout().broadcast_to(&shape)?,
            b.layout().broadcast_to(&shape)?,
        );
        let s = Tensor::read_all("where", [condition, &a, &b], |[c, x, y]| c.where_cond(&lc, x, &la, y, &lb))?;
        Ok(Tensor::from_op(s, shape, self.device()))
    }

    /// `value` where `mask` is true, else `self`, as `x.masked_fill(mask, value)`.
    #[track_caller]
    pub fn masked_fill(&self, mask: &Tensor, value: impl Into<Scalar>) -> Result<Tensor> {
        let v = Tensor::full([], value, self.dtype(), self.device())?;
        let r = v.where_(mask, self).in_op("masked_fill")?;
        if r.shape() != self.shape() {
            bail!(
                Shape,
                "masked_fill",
                "mask of shape {:?} must broadcast to the tensor's shape {:?}",
                mask.shape(),
                self.shape()
            );
        }
        Ok(r)
    }
    /// In-place [`masked_fill`](Self::masked_fill).
    #[track_caller]
    pub fn masked_fill_(&mut self, mask: &Tensor, value: impl Into<Scalar>) -> Result<()> {
        let r = self.masked_fill(mask, value)?;
        self.copy_(&r)
    }
}

/// [`check_int_divisor`] for a number.
#[track_caller]
fn check_int_scalar_divisor(op: BinaryOp, compute: DType, s: Scalar) -> Result<()> {
    if matches!(op, BinaryOp::FloorDiv | BinaryOp::Remainder) && compute.is_int() && s.to_f64() == 0.0 {
        bail!(Value, "div", "ZeroDivisionError: integer division by zero");
    }
    Ok(())
}

#[track_caller]
fn check_int_div_by_zero(b: &Tensor) -> Result<()> {
    if !b.is_floating_point() && b.numel() > 0 && b.eq(0)?.any()?.item::<bool>()? {
        bail!(Value, "div", "ZeroDivisionError: integer division by zero");
    }
    Ok(())
}

macro_rules! binary_methods {
    ($($name:ident, $name_:ident, $out:ident => $op:ident: $doc:literal;)*) => {
        impl Tensor {$(
            #[doc = $doc]
            #[track_caller]
            pub fn $name<'a>(&self, rhs: impl Into<Rhs<'a>>) -> Result<Tensor> {
                self.binary(stringify!($name), rhs, BinaryOp::$op)
            }
            #[doc = concat!("In-place `", stringify!($name), "`.")]
            #[track_caller]
            pub fn $name_<'a>(&mut self, rhs: impl Into<Rhs<'a>>) -> Result<()> {
                self.binary_(stringify!($name_), rhs, BinaryOp::$op)
            }
            #[doc = concat!("`", stringify!($name), "` written into `out`, as `torch.", stringify!($name), "(a, b, out=out)`.")]
            #[track_caller]
            pub fn $out<'a>(a: &Tensor, b: impl Into<Rhs<'a>>, out: &mut Tensor) -> Result<()> {
                Tensor::binary_out(stringify!($name), a, b, BinaryOp::$op, out)
            }
        )*}
    };
}

binary_methods! {
    add, add_, add_out => Add: "`self + rhs`, broadcasting.";
    sub, sub_, sub_out => Sub: "`self - rhs`, broadcasting.";
    mul, mul_, mul_out => Mul: "`self * rhs`, broadcasting.";
    div, div_, div_out => Div: "True division `self / rhs` (integers give floats).";
    floor_divide, floor_divide_, floor_divide_out => FloorDiv: "Division rounded down.";
    pow, pow_, pow_out => Pow: "`self ** rhs`.";
    maximum, maximum_, maximum_out => Maximum: "Elementwise maximum (NaN propagates).";
    minimum, minimum_, minimum_out => Minimum: "Elementwise minimum (NaN propagates).";
    remainder, remainder_, remainder_out => Remainder: "Python's modulo: the sign of the divisor.";
    atan2, atan2_, atan2_out => Atan2: "`atan(self / rhs)` in the right quadrant.";
    logical_and, logical_and_, logical_and_out => LogicalAnd: "Elementwise AND of truth values (Bool).";
    logical_or, logical_or_, logical_or_out => LogicalOr: "Elementwise OR of truth values (Bool).";
    logical_xor, logical_xor_, logical_xor_out => LogicalXor: "Elementwise XOR of truth values (Bool).";
}

macro_rules! cmp_methods {
    ($($name:ident => $op:ident: $doc:literal;)*) => {
        impl Tensor {$(
            #[doc = $doc]
            #[track_caller]
            pub fn $name<'a>(&self, rhs: impl Into<Rhs<'a>>) -> Result<Tensor> {
                self.compare(stringify!($name), rhs, CmpOp::$op)
            }
        )*}
    };
}

cmp_methods! {
    eq => Eq: "`self == rhs` elementwise (Bool).";
    ne => Ne: "`self != rhs` elementwise (Bool).";
    lt => Lt: "`self < rhs` elementwise (Bool).";
    le => Le: "`self <= rhs` elementwise (Bool).";
    gt => Gt: "`self > rhs` elementwise (Bool).";
    ge => Ge: "`self >= rhs` elementwise (Bool).";
}

/// `condition ? input : other` elementwise with broadcasting, in `torch.where(condition, input,
/// other)`'s argument order (`other` may be a tensor or a number); the method form is
/// [`input.where_(condition, other)`](Tensor::where_).
///
/// ```
/// use tensor_core::{where_, Tensor};
/// let c = Tensor::from_vec(vec![true, false, true], &[3])?;
/// let a = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3])?;
/// assert_eq!(where_(&c, &a, 0.0)?.to_vec::<f32>()?, [1.0, 0.0, 3.0]);
/// # Ok::<(), tensor_core::Error>(())
/// ```
#[track_caller]
pub fn where_<'a>(condition: &Tensor, input: &Tensor, other: impl Into<Rhs<'a>>) -> Result<Tensor> {
    input.where_(condition, other)
}
