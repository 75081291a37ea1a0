//! CPU kernels for binary ops, comparisons and `where`. Inputs come broadcast to one shape; the
//! inner loop has unit-stride, broadcast-scalar and general-stride forms.

use crate::backend::{BinaryOp, CmpOp};
use crate::backend::{BinaryOps, Storage};
use crate::cpu::buffer_for_overwrite;
use crate::cpu::wide::widest;
use crate::cpu::{fill_rows, update_rows, wide, with_cpu2, CpuStorage, FloatElem, IntElem, Row, StorageOf};
use crate::ops::copy::cpu::{is_widened, narrow_into, narrowed, unsupported_hint, widened};
use crate::ops::unary::cpu::{map, map_inplace};
use crate::{bail, Element, Layout, Result, Scalar};
use alloc::vec::Vec;

impl BinaryOps<Storage> for CpuStorage {
    #[track_caller]
    fn binary(&self, layout: &Layout, rhs: &Storage, rhs_layout: &Layout, op: BinaryOp) -> Result<Storage> {
        binary(self, layout, rhs.cpu("binary")?, rhs_layout, op).map(Storage::new)
    }
    #[track_caller]
    fn binary_inplace(&mut self, layout: &Layout, rhs: &Storage, rhs_layout: &Layout, op: BinaryOp) -> Result<()> {
        binary_inplace(self, layout, rhs.cpu("binary")?, rhs_layout, op)
    }
    fn binary_scalar(&self, layout: &Layout, s: Scalar, op: BinaryOp) -> Option<Result<Storage>> {
        Some(binary_scalar(self, layout, s, op).map(Storage::new))
    }
    fn binary_scalar_inplace(&mut self, layout: &Layout, s: Scalar, op: BinaryOp) -> Option<Result<()>> {
        Some(binary_scalar_inplace(self, layout, s, op))
    }
    #[track_caller]
    fn binary_into(
        &mut self,
        dst_layout: &Layout,
        lhs: &Storage,
        lhs_layout: &Layout,
        rhs: &Storage,
        rhs_layout: &Layout,
        op: BinaryOp,
    ) -> Result<()> {
        binary_into(self, dst_layout, lhs.cpu("binary")?, lhs_layout, rhs.cpu("binary")?, rhs_layout, op)
    }
    #[track_caller]
    fn cmp(&self, layout: &Layout, rhs: &Storage, rhs_layout: &Layout, op: CmpOp) -> Result<Storage> {
        cmp(self, layout, rhs.cpu("cmp")?, rhs_layout, op).map(Storage::new)
    }
    #[track_caller]
    fn where_cond(
        &self,
        layout: &Layout,
        on_true: &Storage,
        true_layout: &Layout,
        on_false: &Storage,
        false_layout: &Layout,
    ) -> Result<Storage> {
        where_cond(self, layout, on_true.cpu("where")?, true_layout, on_false.cpu("where")?, false_layout)
            .map(Storage::new)
    }
}

/// One row of `out[i] = f(a[i * sa], b[i * sb])`, with the common stride patterns unrolled, in
/// the widest vectors (the integer ops, comparisons and `out=` forms come here).
#[inline(always)]
fn row_loop<T: Copy, U>(out: &mut [U], a: &[T], sa: usize, b: &[T], sb: usize, f: &(impl Fn(T, T) -> U + Copy)) {
    // `f` copied into the vector code (see `widest!`).
    widest!(row_loop_body(out, a, sa, b, sb, &{ *f }))
}

#[inline(always)]
fn row_loop_body<T: Copy, U>(out: &mut [U], a: &[T], sa: usize, b: &[T], sb: usize, f: &impl Fn(T, T) -> U) {
    let n = out.len();
    match (sa, sb) {
        (1, 1) => {
            for ((o, &x), &y) in out.iter_mut().zip(&a[..n]).zip(&b[..n]) {
                *o = f(x, y);
            }
        }
        (1, 0) => {
            let y = b[0];
            for (o, &x) in out.iter_mut().zip(&a[..n]) {
                *o = f(x, y);
            }
        }
        (0, 1) => {
            let x = a[0];
            for (o, &y) in out.iter_mut().zip(&b[..n]) {
                *o = f(x, y);
            }
        }
        _ => {
            for (i, o) in out.iter_mut().enumerate() {
                *o = f(a[i * sa], b[i * sb]);
            }
        }
    }
}

/// `f(a[la], b[lb])` into a new contiguous `Vec`.
#[track_caller]
fn zip_map<T: Element, U: Element>(
    a: &[T],
    la: &Layout,
    b: &[T],
    lb: &Layout,
    f: impl Fn(T, T) -> U + Sync + Send + Copy,
) -> Result<Vec<U>> {
    let mut out = buffer_for_overwrite::<U>("binary", la.numel())?;
    zip_map_into(&mut out, a, la, b, lb, f);
    Ok(out)
}

/// `out = f(a[la], b[lb])` for a contiguous `out`.
fn zip_map_into<T: Element, U: Element>(
    out: &mut [U],
    a: &[T],
    la: &Layout,
    b: &[T],
    lb: &Layout,
    f: impl Fn(T, T) -> U + Sync + Send + Copy,
) {
    let row = Row::new([la, lb]);
    let [sa, sb] = row.stride;
    fill_rows(out, &row, |d, [oa, ob]| row_loop(d, &a[oa..], sa, &b[ob..], sb, &f));
}

/// `dst[ld] = f(a[la], b[lb])` for any `dst` layout.
fn zip_map_strided<T: Element>(
    dst: &mut [T],
    ld: &Layout,
    a: &[T],
    la: &Layout,
    b: &[T],
    lb: &Layout,
    f: impl Fn(T, T) -> T + Sync + Send + Copy,
) {
    if let Some((s, e)) = ld.contiguous_range() {
        return zip_map_into(&mut dst[s..e], a, la, b, lb, f);
    }
    let row = Row::new([ld, la, lb]);
    let [sd, sa, sb] = row.stride;
    row.for_each(0..row.count(), |[od, oa, ob]| {
        for i in 0..row.len {
            dst[od + i * sd] = f(a[oa + i * sa], b[ob + i * sb]);
        }
    });
}

/// `v[l] = f(v[l], b[lb])`.
fn zip_inplace<T: Element>(v: &mut [T], l: &Layout, b: &[T], lb: &Layout, f: impl Fn(T, T) -> T + Sync + Send) {
    if let Some((s, e)) = l.contiguous_range() {
        let row = Row::new([lb]);
        let sb = row.stride[0];
        update_rows(&mut v[s..e], &row, |d, [ob]| {
            let n = d.len();
            // In place (`add_`, a gradient accumulated into `.grad`), in the widest vectors.
            widest!(match sb {
                1 => d.iter_mut().zip(&b[ob..ob + n]).for_each(|(x, &y)| *x = f(*x, y)),
                0 => {
                    let y = b[ob];
                    d.iter_mut().for_each(|x| *x = f(*x, y))
                }
                _ => d.iter_mut().enumerate().for_each(|(i, x)| *x = f(*x, b[ob + i * sb])),
            })
        });
        return;
    }
    let row = Row::new([l, lb]);
    let [sv, sb] = row.stride;
    row.for_each(0..row.count(), |[ov, ob]| {
        for i in 0..row.len {
            let p = ov + i * sv;
            v[p] = f(v[p], b[ob + i * sb]);
        }
    });
}

/// Evaluates `$body` with `$f` bound to the closure of `$op` for float `$T`.
macro_rules! float_binary {
    ($op:expr, $T:ty, |$f:ident| $body:expr) => {{
        #[allow(unused_imports)]
        use num_traits::Float;
        let zero = <$T as Element>::ZERO;
        let one = <$T as Element>::ONE;
        let half = <$T as FloatElem>::of(0.5);
        macro_rules! arm {
            ($c:expr) => {{
                // Inlined into each loop that calls it (the vector variants among them).
                let $f = core::convert::identity(
                    #[inline(always)]
                    $c,
                );
                $body
            }};
        }
        match $op {
            BinaryOp::Add => arm!(|a: $T, b: $T| a + b),
            BinaryOp::Sub => arm!(|a: $T, b: $T| a - b),
            BinaryOp::Mul => arm!(|a: $T, b: $T| a * b),
            BinaryOp::Div => arm!(|a: $T, b: $T| a / b),
            // c10::div_floor_floating: through fmod, so that 1. // 0.1 == 9. as in Python
            // (`floor(a / b)` rounds the quotient up to 10 first).
            BinaryOp::FloorDiv => arm!(move |a: $T, b: $T| {
                if b == zero {
                    return a / b;
                }
                let m = a % b;
                let mut div = (a - m) / b;
                if m != zero && ((b < zero) != (m < zero)) {
                    div -= one;
                }
                if div != zero {
                    let mut fl = div.floor();
                    if div - fl > half {
                        fl += one;
                    }
                    fl
                } else {
                    zero.copysign(a / b)
                }
            }),
            BinaryOp::Pow => arm!(|a: $T, b: $T| a.powf(b)),
            // The select first (`a > b ? a : b` is a single max instruction, which gives `b`
            // where either is NaN), then `a`'s NaN over it: one compare fewer per vector than
            // testing `a`'s NaN inside the select. NaN from either side, as PyTorch.
            BinaryOp::Maximum => arm!(|a: $T, b: $T| {
                let m = if a > b { a } else { b };
                if a.is_nan() {
                    a
                } else {
                    m
                }
            }),
            BinaryOp::Minimum => arm!(|a: $T, b: $T| {
                let m = if a < b { a } else { b };
                if a.is_nan() {
                    a
                } else {
                    m
                }
            }),
            BinaryOp::Remainder => arm!(move |a: $T, b: $T| {
                let r = a % b;
                if r != zero && ((r < zero) != (b < zero)) {
                    r + b
                } else {
                    r
                }
            }),
            BinaryOp::Atan2 => arm!(|a: $T, b: $T| a.atan2(b)),
            op => bail!(DType, "binary", "{:?} expects bool tensors, got {}", op, <$T as Element>::DTYPE),
        }
    }};
}

/// Evaluates `$body` with `$f` bound to the closure of `$op` for integer `$T` (wrapping).
macro_rules! int_binary {
    ($op:expr, $T:ty, |$f:ident| $body:expr) => {{
        macro_rules! arm {
            ($c:expr) => {{
                let $f = $c;
                $body
            }};
        }
        match $op {
            BinaryOp::Add => arm!(|a: $T, b: $T| a.wrapping_add(b)),
            BinaryOp::Sub => arm!(|a: $T, b: $T| a.wrapping_sub(b)),
            BinaryOp::Mul => arm!(|a: $T, b: $T| a.wrapping_mul(b)),
            BinaryOp::Div => arm!(|a: $T, b: $T| if b == 0 { 0 } else { a.wrapping_div(b) }),
            BinaryOp::FloorDiv => arm!(|a: $T, b: $T| {
                if b == 0 {
                    return 0;
                }
                let q = a.wrapping_div(b);
                if a.wrapping_rem(b) != 0 && (<$T as IntElem>::SIGNED && ((a as i64) < 0) != ((b as i64) < 0)) {
                    q - 1
                } else {
                    q
                }
            }),
            BinaryOp::Pow => arm!(|a: $T, b: $T| {
                // As PyTorch's `powi`: 1 and -1 are the only bases with a nonzero negative power.
                if (b as i64) < 0 {
                    if a == 1 {
                        1
                    } else if <$T as IntElem>::SIGNED && (a as i64) == -1 {
                        if (b as i64) % 2 == 0 {
                            1
                        } else {
                            a
                        }
                    } else {
                        0
                    }
                } else {
                    a.wrapping_pow(b as u32)
                }
            }),
            BinaryOp::Maximum => arm!(|a: $T, b: $T| if a > b { a } else { b }),
            BinaryOp::Minimum => arm!(|a: $T, b: $T| if a < b { a } else { b }),
            BinaryOp::Remainder => arm!(|a: $T, b: $T| {
                if b == 0 {
                    return 0;
                }
                let r = a.wrapping_rem(b);
                if r != 0 && (((r as i64) < 0) != ((b as i64) < 0)) {
                    r.wrapping_add(b)
                } else {
                    r
                }
            }),
            op => bail!(DType, "binary", "{:?} is not implemented for {}", op, <$T as Element>::DTYPE),
        }
    }};
}

macro_rules! bool_binary {
    ($op:expr, |$f:ident| $body:expr) => {{
        macro_rules! arm {
            ($c:expr) => {{
                let $f = $c;
                $body
            }};
        }
        match $op {
            BinaryOp::Add | BinaryOp::LogicalOr | BinaryOp::Maximum => arm!(|a: bool, b: bool| a | b),
            BinaryOp::Mul | BinaryOp::LogicalAnd | BinaryOp::Minimum => arm!(|a: bool, b: bool| a & b),
            BinaryOp::LogicalXor => arm!(|a: bool, b: bool| a ^ b),
            op => bail!(DType, "binary", "{:?} is not supported for bool tensors", op),
        }
    }};
}

/// Evaluates `$body` with `$a`, `$b` the typed inputs and `$f` the op's closure (`$wide` for floats,
/// where given).
macro_rules! dispatch_binary {
    ($x:expr, $y:expr, $op:expr, |$a:ident, $b:ident, $f:ident| $body:expr) => {
        dispatch_binary!($x, $y, $op, |$a, $b, $f| $body, wide: $body)
    };
    ($x:expr, $y:expr, $op:expr, |$a:ident, $b:ident, $f:ident| $body:expr, wide: $wide:expr) => {
        match ($x, $y) {
            (CpuStorage::F32($a), CpuStorage::F32($b)) => float_binary!($op, f32, |$f| $wide),
            (CpuStorage::F64($a), CpuStorage::F64($b)) => float_binary!($op, f64, |$f| $wide),
            (CpuStorage::U8($a), CpuStorage::U8($b)) => int_binary!($op, u8, |$f| $body),
            (CpuStorage::I32($a), CpuStorage::I32($b)) => int_binary!($op, i32, |$f| $body),
            (CpuStorage::I64($a), CpuStorage::I64($b)) => int_binary!($op, i64, |$f| $body),
            (CpuStorage::Bool($a), CpuStorage::Bool($b)) => bool_binary!($op, |$f| $body),
            (a, b) if a.dtype() == b.dtype() => bail!(DType, "binary", "{:?} is not implemented for {}{}", $op, a.dtype(), unsupported_hint(a.dtype())),
            (a, b) => bail!(DType, "binary", "expected two tensors of one dtype, got {} and {}", a.dtype(), b.dtype()),
        }
    };
}

/// `s` as a `T`: integers exactly (an `i64` beyond 2^53 too), everything else through `f64`.
fn scalar_as<T: Element>(s: Scalar) -> T {
    if let Scalar::Int(i) = s {
        if let Some(&v) = (&i as &dyn core::any::Any).downcast_ref::<T>() {
            return v;
        }
    }
    T::from_f64(s.to_f64())
}

/// Evaluates `$body` with `$a` the typed input, `$b` the scalar `$s` as the same type, and `$f`
/// the op's closure.
macro_rules! dispatch_binary_scalar {
    ($x:expr, $s:expr, $op:expr, |$a:ident, $b:ident, $f:ident| $body:expr) => {
        match $x {
            CpuStorage::F32($a) => {
                let $b = scalar_as::<f32>($s);
                float_binary!($op, f32, |$f| $body)
            }
            CpuStorage::F64($a) => {
                let $b = scalar_as::<f64>($s);
                float_binary!($op, f64, |$f| $body)
            }
            CpuStorage::U8($a) => {
                let $b = scalar_as::<u8>($s);
                int_binary!($op, u8, |$f| $body)
            }
            CpuStorage::I32($a) => {
                let $b = scalar_as::<i32>($s);
                int_binary!($op, i32, |$f| $body)
            }
            CpuStorage::I64($a) => {
                let $b = scalar_as::<i64>($s);
                int_binary!($op, i64, |$f| $body)
            }
            CpuStorage::Bool($a) => {
                let $b = scalar_as::<bool>($s);
                bool_binary!($op, |$f| $body)
            }
            // f16 and bf16 never come here: they are computed in f32 (see `widened`).
            other => bail!(
                DType,
                "binary",
                "{:?} is not implemented for {}{}",
                $op,
                other.dtype(),
                unsupported_hint(other.dtype())
            ),
        }
    };
}

/// `a[la] op s`, contiguous: a unary map of `a` with the scalar captured (no tensor or layout
/// is made for it; that was a tenth of a one-element op's time).
#[track_caller]
pub(crate) fn binary_scalar(a: &CpuStorage, la: &Layout, s: Scalar, op: BinaryOp) -> Result<CpuStorage> {
    if is_widened(a) {
        let (wide, l) = widened(a, la)?;
        return narrowed(&binary_scalar(&wide, &l, s, op)?, &l, a.dtype());
    }
    if op == BinaryOp::Pow {
        if let Some(r) = pow_by_multiplying(a, la, s.to_f64()) {
            return r;
        }
    }
    Ok(dispatch_binary_scalar!(a, s, op, |x, y, f| StorageOf::into_storage(map(x, la, |v| f(v, y))?)))
}

/// Evaluates `$body` with `$f` the closure of `x ** $e` for a float `$T`, for the exponents that
/// PyTorch's CPU kernel computes without `pow` (`pow_tensor_scalar_optimized_kernel` and its
/// callers in ATen's PowKernel.cpp): 0, 1, 2, 3, -1, -2, 0.5 and -0.5 as multiplies, divisions
/// and square roots, which is faster and gives PyTorch's roundings (`x ** 3` is `x * x * x`).
/// `$other` for any other exponent.
macro_rules! pow_by_multiplying {
    ($e:expr, $T:ty, |$f:ident| $body:expr, else $other:expr) => {{
        // `sqrt` through libm without std (std's inherent method otherwise).
        #[allow(unused_imports)]
        use num_traits::Float;
        macro_rules! arm {
            ($c:expr) => {{
                let $f = $c;
                $body
            }};
        }
        match $e {
            0.0 => arm!(|_: $T| 1.0),
            1.0 => arm!(|x: $T| x),
            2.0 => arm!(|x: $T| x * x),
            3.0 => arm!(|x: $T| x * x * x),
            -1.0 => arm!(|x: $T| 1.0 / x),
            -2.0 => arm!(|x: $T| 1.0 / (x * x)),
            0.5 => arm!(|x: $T| x.sqrt()),
            -0.5 => arm!(|x: $T| 1.0 / x.sqrt()),
            _ => $other,
        }
    }};
}

/// `a[la] ** e` by [`pow_by_multiplying!`]; `None` for other exponents and dtypes.
#[track_caller]
fn pow_by_multiplying(a: &CpuStorage, la: &Layout, e: f64) -> Option<Result<CpuStorage>> {
    match a {
        CpuStorage::F32(v) => {
            pow_by_multiplying!(e, f32, |f| Some(map(v, la, f).map(StorageOf::into_storage)), else None)
        }
        CpuStorage::F64(v) => {
            pow_by_multiplying!(e, f64, |f| Some(map(v, la, f).map(StorageOf::into_storage)), else None)
        }
        _ => None,
    }
}

/// `a[la] = a[la] op s`.
#[track_caller]
pub(crate) fn binary_scalar_inplace(a: &mut CpuStorage, la: &Layout, s: Scalar, op: BinaryOp) -> Result<()> {
    if is_widened(a) {
        let (mut wide, l) = widened(a, la)?;
        binary_scalar_inplace(&mut wide, &l, s, op)?;
        return narrow_into(a, la, &wide, &l);
    }
    if op == BinaryOp::Pow && pow_by_multiplying_inplace(a, la, s.to_f64()) {
        return Ok(());
    }
    dispatch_binary_scalar!(a, s, op, |x, y, f| map_inplace(x, la, |v| f(v, y)));
    Ok(())
}

/// [`pow_by_multiplying`] in place; false (nothing written) for other exponents and dtypes.
fn pow_by_multiplying_inplace(a: &mut CpuStorage, la: &Layout, e: f64) -> bool {
    match a {
        CpuStorage::F32(v) => pow_by_multiplying!(e, f32, |f| { map_inplace(v, la, f); true }, else false),
        CpuStorage::F64(v) => pow_by_multiplying!(e, f64, |f| { map_inplace(v, la, f); true }, else false),
        _ => false,
    }
}

/// `a[la] op b[lb]`, contiguous.
#[track_caller]
pub(crate) fn binary(a: &CpuStorage, la: &Layout, b: &CpuStorage, lb: &Layout, op: BinaryOp) -> Result<CpuStorage> {
    if is_widened(a) && a.dtype() == b.dtype() {
        let ((wa, l), (wb, _)) = (widened(a, la)?, widened(b, lb)?);
        return narrowed(&binary(&wa, &l, &wb, &l, op)?, &l, a.dtype());
    }
    Ok(dispatch_binary!(
        a, b, op,
        |x, y, f| StorageOf::into_storage(zip_map(x, la, y, lb, f)?),
        wide: StorageOf::into_storage(wide::zip_layouts("binary", x, la, y, lb, f)?)
    ))
}

/// `a[la] = a[la] op b[lb]`.
#[track_caller]
pub(crate) fn binary_inplace(a: &mut CpuStorage, la: &Layout, b: &CpuStorage, lb: &Layout, op: BinaryOp) -> Result<()> {
    if is_widened(a) && a.dtype() == b.dtype() {
        let ((mut wa, l), (wb, _)) = (widened(a, la)?, widened(b, lb)?);
        binary_inplace(&mut wa, &l, &wb, &l, op)?;
        return narrow_into(a, la, &wa, &l);
    }
    dispatch_binary!(a, b, op, |x, y, f| zip_inplace(x, la, y, lb, f));
    Ok(())
}

/// `dst[ld] = a[la] op b[lb]`.
#[track_caller]
pub(crate) fn binary_into(
    dst: &mut CpuStorage,
    ld: &Layout,
    a: &CpuStorage,
    la: &Layout,
    b: &CpuStorage,
    lb: &Layout,
    op: BinaryOp,
) -> Result<()> {
    if dst.dtype() != a.dtype() {
        bail!(DType, "binary_out", "out has dtype {} but the result is {}", dst.dtype(), a.dtype());
    }
    if is_widened(a) && a.dtype() == b.dtype() {
        let l = Layout::contiguous(la.shape().clone());
        return crate::ops::copy::cpu::copy_from(dst, ld, &binary(a, la, b, lb, op)?, &l);
    }
    dispatch_binary!(a, b, op, |x, y, f| zip_map_strided(typed_mut(x, dst), ld, x, la, y, lb, f));
    Ok(())
}

/// `a[la] cmp b[lb]` as Bool.
#[track_caller]
pub(crate) fn cmp(a: &CpuStorage, la: &Layout, b: &CpuStorage, lb: &Layout, op: CmpOp) -> Result<CpuStorage> {
    #[track_caller]
    fn go<T: Element>(x: &[T], la: &Layout, y: &[T], lb: &Layout, op: CmpOp) -> Result<Vec<bool>> {
        match op {
            CmpOp::Eq => zip_map(x, la, y, lb, |a, b| a == b),
            CmpOp::Ne => zip_map(x, la, y, lb, |a, b| a != b),
            CmpOp::Lt => zip_map(x, la, y, lb, |a, b| a < b),
            CmpOp::Le => zip_map(x, la, y, lb, |a, b| a <= b),
            CmpOp::Gt => zip_map(x, la, y, lb, |a, b| a > b),
            CmpOp::Ge => zip_map(x, la, y, lb, |a, b| a >= b),
        }
    }
    with_cpu2!("cmp", a, b, |x, y| Ok(CpuStorage::Bool(go(x, la, y, lb, op)?)))
}

/// `cond ? t : f`, contiguous.
#[track_caller]
pub(crate) fn where_cond(
    cond: &CpuStorage,
    lc: &Layout,
    t: &CpuStorage,
    lt: &Layout,
    f: &CpuStorage,
    lf: &Layout,
) -> Result<CpuStorage> {
    let CpuStorage::Bool(c) = cond else {
        bail!(
            DType,
            "where",
            "where expected condition to be a boolean tensor, but got a tensor with dtype {}",
            cond.dtype()
        );
    };
    #[track_caller]
    fn go<T: Element>(c: &[bool], lc: &Layout, t: &[T], lt: &Layout, f: &[T], lf: &Layout) -> Result<Vec<T>> {
        let mut out = buffer_for_overwrite::<T>("where", lc.numel())?;
        let row = Row::new([lc, lt, lf]);
        let [sc, st, sf] = row.stride;
        fill_rows(&mut out, &row, |d, [oc, ot, of]| {
            let n = d.len();
            // Unit-stride condition and values, or a scalar on one side (ReLU's gradient,
            // `masked_fill`): slices the compiler vectorises into blends.
            // In the widest vectors: the baseline's SSE2 has no byte-mask blend, and the loops
            // became a branch per element (where fwd 5.1 ms for 2M f32, see BENCHMARKS.md).
            match (sc, st, sf) {
                (1, 1, 1) => {
                    let (c, t, f) = (&c[oc..oc + n], &t[ot..ot + n], &f[of..of + n]);
                    widest!(select_slices(d, c, t, f))
                }
                (1, 1, 0) => {
                    let (c, t, f) = (&c[oc..oc + n], &t[ot..ot + n], f[of]);
                    widest!(select_with_scalar(d, c, t, f, false))
                }
                (1, 0, 1) => {
                    let (c, t, f) = (&c[oc..oc + n], t[ot], &f[of..of + n]);
                    widest!(select_with_scalar(d, c, f, t, true))
                }
                _ => {
                    for (i, o) in d.iter_mut().enumerate() {
                        *o = if c[oc + i * sc] { t[ot + i * st] } else { f[of + i * sf] };
                    }
                }
            }
        });
        Ok(out)
    }
    with_cpu2!("where", t, f, |x, y| Ok(StorageOf::into_storage(go(c, lc, x, lt, y, lf)?)))
}

/// `out[i] = if c[i] { t[i] } else { f[i] }`, as `f` copied and `t` stored where `c`, 64
/// elements at a time (the copy of a whole block is a few vector moves, not a `memcpy` call).
/// Written as one select, LLVM loaded through a select of the two addresses: a gather per
/// vector (`where` of 2M f32: 1.4 ms).
#[inline(always)]
fn select_slices<T: Copy>(out: &mut [T], c: &[bool], t: &[T], f: &[T]) {
    const BLOCK: usize = 64;
    #[inline(always)]
    fn block<T: Copy>(o: &mut [T], c: &[bool], t: &[T], f: &[T]) {
        o.copy_from_slice(f);
        for ((o, &c), &t) in o.iter_mut().zip(c).zip(t) {
            if c {
                *o = t;
            }
        }
    }
    let n = out.len();
    let (c, t, f) = (&c[..n], &t[..n], &f[..n]);
    let mut blocks = out.chunks_exact_mut(BLOCK);
    for (((o, c), t), f) in
        (&mut blocks).zip(c.chunks_exact(BLOCK)).zip(t.chunks_exact(BLOCK)).zip(f.chunks_exact(BLOCK))
    {
        block(o, c, t, f);
    }
    let rest = blocks.into_remainder();
    let k = n - rest.len();
    block(rest, &c[k..], &t[k..], &f[k..]);
}

/// `out[i] = if c[i] { s } else { v[i] }` (`if c[i] { v[i] } else { s }` unless
/// `scalar_when_true`). The scalar is a parameter, a value: captured by reference in the
/// vectorised closure, `if c { t } else { f }` became a load through a select of two addresses,
/// a gather per vector (masked_fill of 4M f32: 5.2 ms, 0.49 as a value).
#[inline(always)]
fn select_with_scalar<T: Copy>(out: &mut [T], c: &[bool], v: &[T], s: T, scalar_when_true: bool) {
    if scalar_when_true {
        for ((o, &c), &v) in out.iter_mut().zip(c).zip(v) {
            *o = if c { s } else { v };
        }
    } else {
        for ((o, &c), &v) in out.iter_mut().zip(c).zip(v) {
            *o = if c { v } else { s };
        }
    }
}

/// `dst`'s elements as the type of `_like` (the caller has checked the dtypes agree).
fn typed_mut<'a, T: Element>(_like: &[T], dst: &'a mut CpuStorage) -> &'a mut [T] {
    T::slice_of_mut(dst).expect("dtype checked by the caller")
}
