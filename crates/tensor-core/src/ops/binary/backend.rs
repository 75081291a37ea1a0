//! The binary family's backend trait, [`BinaryOps`], and its op descriptors: what a storage of any
//! device implements to run elementwise ops on two tensors, comparisons and `where`. The CPU's impl is in `cpu.rs` beside this file; a
//! device crate implements it for its own storage (tensor-cuda: `src/ops/binary.rs`).

use crate::backend::base::{unsupported_default, StorageBase};

use crate::{Layout, Result, Scalar};

/// An elementwise op on two tensors of the same dtype whose result has that dtype.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    /// `a + b` (wrapping for integers; OR for bool).
    Add,
    /// `a - b`.
    Sub,
    /// `a * b` (AND for bool).
    Mul,
    /// True division for floats; truncating for integers (tensor-core promotes first).
    Div,
    /// Division rounded down, as `rounding_mode="floor"`.
    FloorDiv,
    /// `a ** b`.
    Pow,
    /// The larger of the two (NaN propagates).
    Maximum,
    /// The smaller of the two (NaN propagates).
    Minimum,
    /// Python's modulo: the result has the sign of the divisor.
    Remainder,
    /// `atan(a / b)` in the right quadrant.
    Atan2,
    /// Bool inputs only.
    LogicalAnd,
    /// Bool inputs only.
    LogicalOr,
    /// Bool inputs only.
    LogicalXor,
}

/// A comparison of two tensors of the same dtype; the result is Bool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `a == b`.
    Eq,
    /// `a != b`.
    Ne,
    /// `a < b`.
    Lt,
    /// `a <= b`.
    Le,
    /// `a > b`.
    Gt,
    /// `a >= b`.
    Ge,
}

/// The binary ops of a storage. `S` is the storage handle the ops take and return (tensor-core's
/// [`Storage`](crate::backend::Storage)); every method defaults to an `Unsupported` error (or
/// `None` where tensor-core has a fallback), so a backend grows op by op.
#[allow(clippy::too_many_arguments)]
pub trait BinaryOps<S>: StorageBase {
    /// `self[layout] op rhs[rhs_layout]` as a new storage (layouts of equal shape).
    #[track_caller]
    fn binary(&self, layout: &Layout, rhs: &S, rhs_layout: &Layout, op: BinaryOp) -> Result<S> {
        unsupported_default!(self, "binary", layout, rhs, rhs_layout, op)
    }
    /// `self[layout] = self[layout] op rhs[rhs_layout]`.
    #[track_caller]
    fn binary_inplace(&mut self, layout: &Layout, rhs: &S, rhs_layout: &Layout, op: BinaryOp) -> Result<()> {
        unsupported_default!(self, "binary_inplace", layout, rhs, rhs_layout, op)
    }
    /// `None` when the backend has no scalar kernel (the caller then makes a 0-d tensor of `s`).
    fn binary_scalar(&self, layout: &Layout, s: Scalar, op: BinaryOp) -> Option<Result<S>> {
        let _ = (layout, s, op);
        None
    }
    /// `self[layout] = self[layout] op s`; `None` as for [`binary_scalar`](Self::binary_scalar).
    fn binary_scalar_inplace(&mut self, layout: &Layout, s: Scalar, op: BinaryOp) -> Option<Result<()>> {
        let _ = (layout, s, op);
        None
    }
    /// `self[dst_layout] = lhs[lhs_layout] op rhs[rhs_layout]`.
    #[track_caller]
    fn binary_into(
        &mut self,
        dst_layout: &Layout,
        lhs: &S,
        lhs_layout: &Layout,
        rhs: &S,
        rhs_layout: &Layout,
        op: BinaryOp,
    ) -> Result<()> {
        unsupported_default!(self, "binary_into", dst_layout, lhs, lhs_layout, rhs, rhs_layout, op)
    }
    /// `self[layout] cmp rhs[rhs_layout]` as a new Bool storage.
    #[track_caller]
    fn cmp(&self, layout: &Layout, rhs: &S, rhs_layout: &Layout, op: CmpOp) -> Result<S> {
        unsupported_default!(self, "cmp", layout, rhs, rhs_layout, op)
    }
    /// `cond ? on_true : on_false` where `self` is the Bool condition (layouts of equal shape).
    #[track_caller]
    fn where_cond(
        &self,
        layout: &Layout,
        on_true: &S,
        true_layout: &Layout,
        on_false: &S,
        false_layout: &Layout,
    ) -> Result<S> {
        unsupported_default!(self, "where", layout, on_true, true_layout, on_false, false_layout)
    }
}
