//! Binary elementwise ops against a naive f64 reference on random broadcastable shapes
//! with non-contiguous inputs: values, result shapes, result dtypes (`torch.result_type`, with
//! PyTorch literals), errors, and special values (NaN, ±inf, ±0) as PyTorch gives them.
//! Every test runs on every device (the CPU, and the GPU when one is usable). Integer division,
//! wrapping, half-precision rounding and `pow` by small exponents as PyTorch's literals are in
//! `arithmetic_literals.rs`.

use crate::common;

use common::*;
use proptest::prelude::*;
use tensor_core::{result_type, DType, ErrorKind, Operand, Result, Rhs, RoundingMode, Scalar, Tensor};

fn dtype_named(s: &str) -> DType {
    *ALL_DTYPES.iter().find(|d| format!("{d:?}") == s).unwrap_or_else(|| panic!("dtype {s}"))
}

fn parse(v: &str) -> f64 {
    match v {
        "NAN" => f64::NAN,
        "INF" => f64::INFINITY,
        "-INF" => f64::NEG_INFINITY,
        "true" => 1.0,
        "false" => 0.0,
        _ => v.parse().unwrap(),
    }
}

// ---------------------------------------------------------------------------------------------
// torch.result_type
// ---------------------------------------------------------------------------------------------

/// `torch.result_type(a, b)`: rows are the left operand (`T` a tensor with dims, `Z` a 0-d
/// tensor, of each dtype), columns the right (the same, then Python `True`, `2`, `2.5`):
/// ```python
/// ops = [('T'+k, torch.ones(2, dtype=d)), ('Z'+k, torch.ones((), dtype=d)) for k, d in D.items()]
/// R = ops + [('SBool', True), ('SInt', 2), ('SFloat', 2.5)]
/// for ln, a in ops: print(ln, *[torch.result_type(a, b) for _, b in R])
/// ```
/// (torch 2.15.0)
const RESULT_TYPES: &str = "
RESULT_TYPE_COLS TBool ZBool TU8 ZU8 TI32 ZI32 TI64 ZI64 TF16 ZF16 TBF16 ZBF16 TF32 ZF32 TF64 ZF64 SBool SInt SFloat
TBool Bool Bool U8 U8 I32 I32 I64 I64 F16 F16 BF16 BF16 F32 F32 F64 F64 Bool I64 F32
ZBool Bool Bool U8 U8 I32 I32 I64 I64 F16 F16 BF16 BF16 F32 F32 F64 F64 Bool I64 F32
TU8 U8 U8 U8 U8 I32 U8 I64 U8 F16 F16 BF16 BF16 F32 F32 F64 F64 U8 U8 F32
ZU8 U8 U8 U8 U8 I32 I32 I64 I64 F16 F16 BF16 BF16 F32 F32 F64 F64 U8 U8 F32
TI32 I32 I32 I32 I32 I32 I32 I64 I32 F16 F16 BF16 BF16 F32 F32 F64 F64 I32 I32 F32
ZI32 I32 I32 U8 I32 I32 I32 I64 I64 F16 F16 BF16 BF16 F32 F32 F64 F64 I32 I32 F32
TI64 I64 I64 I64 I64 I64 I64 I64 I64 F16 F16 BF16 BF16 F32 F32 F64 F64 I64 I64 F32
ZI64 I64 I64 U8 I64 I32 I64 I64 I64 F16 F16 BF16 BF16 F32 F32 F64 F64 I64 I64 F32
TF16 F16 F16 F16 F16 F16 F16 F16 F16 F16 F16 F32 F16 F32 F16 F64 F16 F16 F16 F16
ZF16 F16 F16 F16 F16 F16 F16 F16 F16 F16 F16 BF16 F32 F32 F32 F64 F64 F16 F16 F16
TBF16 BF16 BF16 BF16 BF16 BF16 BF16 BF16 BF16 F32 BF16 BF16 BF16 F32 BF16 F64 BF16 BF16 BF16 BF16
ZBF16 BF16 BF16 BF16 BF16 BF16 BF16 BF16 BF16 F16 F32 BF16 BF16 F32 F32 F64 F64 BF16 BF16 BF16
TF32 F32 F32 F32 F32 F32 F32 F32 F32 F32 F32 F32 F32 F32 F32 F64 F32 F32 F32 F32
ZF32 F32 F32 F32 F32 F32 F32 F32 F32 F16 F32 BF16 F32 F32 F32 F64 F64 F32 F32 F32
TF64 F64 F64 F64 F64 F64 F64 F64 F64 F64 F64 F64 F64 F64 F64 F64 F64 F64 F64 F64
ZF64 F64 F64 F64 F64 F64 F64 F64 F64 F16 F64 BF16 F64 F32 F64 F64 F64 F64 F64 F64
";

/// The kind of an operand in type promotion, as the table names it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Tensor(DType),
    ZeroDim(DType),
    Scalar(Scalar),
}

fn kind_name(k: Kind) -> String {
    match k {
        Kind::Tensor(d) => format!("T{d:?}"),
        Kind::ZeroDim(d) => format!("Z{d:?}"),
        Kind::Scalar(Scalar::Bool(_)) => "SBool".into(),
        Kind::Scalar(Scalar::Int(_)) => "SInt".into(),
        Kind::Scalar(Scalar::Float(_)) => "SFloat".into(),
    }
}

/// The promoted dtype of `a` and `b`, from PyTorch's table.
fn torch_result_type(a: Kind, b: Kind) -> DType {
    let mut lines = RESULT_TYPES.trim().lines();
    let cols: Vec<&str> = lines.next().unwrap().split_whitespace().skip(1).collect();
    let col = cols.iter().position(|c| *c == kind_name(b)).expect("column");
    for line in lines {
        let parts: Vec<&str> = line.split_whitespace().collect();
        if parts[0] == kind_name(a) {
            return dtype_named(parts[1 + col]);
        }
    }
    panic!("row {}", kind_name(a))
}

fn kind_of(t: &Tensor) -> Kind {
    if t.dim() == 0 {
        Kind::ZeroDim(t.dtype())
    } else {
        Kind::Tensor(t.dtype())
    }
}

fn to_float(d: DType) -> DType {
    if d.is_float() {
        d
    } else {
        DType::F32
    }
}

// ---------------------------------------------------------------------------------------------
// Binary ops and their reference
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq)]
enum Bin {
    Add,
    Sub,
    Mul,
    Div,
    FloorDivide,
    DivFloor,
    DivTrunc,
    Pow,
    Maximum,
    Minimum,
    Remainder,
    Atan2,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    LogicalAnd,
    LogicalOr,
    LogicalXor,
}

const BINS: [Bin; 21] = [
    Bin::Add,
    Bin::Sub,
    Bin::Mul,
    Bin::Div,
    Bin::FloorDivide,
    Bin::DivFloor,
    Bin::DivTrunc,
    Bin::Pow,
    Bin::Maximum,
    Bin::Minimum,
    Bin::Remainder,
    Bin::Atan2,
    Bin::Eq,
    Bin::Ne,
    Bin::Lt,
    Bin::Le,
    Bin::Gt,
    Bin::Ge,
    Bin::LogicalAnd,
    Bin::LogicalOr,
    Bin::LogicalXor,
];

impl Bin {
    /// The op's name in error messages.
    fn name(self) -> &'static str {
        match self {
            Bin::Add => "add",
            Bin::Sub => "sub",
            Bin::Mul => "mul",
            Bin::Div | Bin::DivTrunc => "div",
            Bin::FloorDivide | Bin::DivFloor => "floor_divide",
            Bin::Pow => "pow",
            Bin::Maximum => "maximum",
            Bin::Minimum => "minimum",
            Bin::Remainder => "remainder",
            Bin::Atan2 => "atan2",
            Bin::Eq => "eq",
            Bin::Ne => "ne",
            Bin::Lt => "lt",
            Bin::Le => "le",
            Bin::Gt => "gt",
            Bin::Ge => "ge",
            Bin::LogicalAnd => "logical_and",
            Bin::LogicalOr => "logical_or",
            Bin::LogicalXor => "logical_xor",
        }
    }
    fn call<'a>(self, a: &Tensor, b: impl Into<Rhs<'a>>) -> Result<Tensor> {
        match self {
            Bin::Add => a.add(b),
            Bin::Sub => a.sub(b),
            Bin::Mul => a.mul(b),
            Bin::Div => a.div(b),
            Bin::FloorDivide => a.floor_divide(b),
            Bin::DivFloor => a.div_mode(b, RoundingMode::Floor),
            Bin::DivTrunc => a.div_mode(b, RoundingMode::Trunc),
            Bin::Pow => a.pow(b),
            Bin::Maximum => a.maximum(b),
            Bin::Minimum => a.minimum(b),
            Bin::Remainder => a.remainder(b),
            Bin::Atan2 => a.atan2(b),
            Bin::Eq => a.eq(b),
            Bin::Ne => a.ne(b),
            Bin::Lt => a.lt(b),
            Bin::Le => a.le(b),
            Bin::Gt => a.gt(b),
            Bin::Ge => a.ge(b),
            Bin::LogicalAnd => a.logical_and(b),
            Bin::LogicalOr => a.logical_or(b),
            Bin::LogicalXor => a.logical_xor(b),
        }
    }
    fn is_cmp(self) -> bool {
        matches!(self, Bin::Eq | Bin::Ne | Bin::Lt | Bin::Le | Bin::Gt | Bin::Ge)
    }
    /// Integer division ops refuse a zero divisor.
    fn divides(self) -> bool {
        matches!(self, Bin::FloorDivide | Bin::DivFloor | Bin::DivTrunc | Bin::Remainder)
    }
    /// (compute dtype, result dtype) for a promoted dtype, as PyTorch.
    fn dtypes(self, promoted: DType) -> (DType, DType) {
        match self {
            Bin::Div | Bin::Atan2 => (to_float(promoted), to_float(promoted)),
            Bin::LogicalAnd | Bin::LogicalOr | Bin::LogicalXor => (DType::Bool, DType::Bool),
            _ if self.is_cmp() => (promoted, DType::Bool),
            _ => (promoted, promoted),
        }
    }
    /// The error PyTorch raises for bool operands, if any.
    fn refuses_bool(self) -> bool {
        // torch.div(bool, bool, rounding_mode='trunc'): "div_trunc_cpu" not implemented for 'Bool'
        matches!(self, Bin::Sub | Bin::FloorDivide | Bin::DivFloor | Bin::DivTrunc | Bin::Pow | Bin::Remainder)
    }
}

/// c10::div_floor_floating: floor division through fmod, so that `1. // 0.1 == 9.`.
fn div_floor_floating(a: f64, b: f64) -> f64 {
    if b == 0.0 {
        return a / b;
    }
    let m = a % b;
    let mut div = (a - m) / b;
    if m != 0.0 && (b < 0.0) != (m < 0.0) {
        div -= 1.0;
    }
    if div != 0.0 {
        let mut f = div.floor();
        if div - f > 0.5 {
            f += 1.0;
        }
        f
    } else {
        0f64.copysign(a / b)
    }
}

fn py_mod(a: f64, b: f64) -> f64 {
    let r = a % b;
    if r != 0.0 && (r < 0.0) != (b < 0.0) {
        r + b
    } else {
        r
    }
}

/// The op on exact inputs (already in the compute dtype), in f64.
fn ref_binary(op: Bin, a: f64, b: f64, compute: DType) -> f64 {
    let t = |c: bool| c as u8 as f64;
    match op {
        Bin::Add => a + b,
        Bin::Sub => a - b,
        Bin::Mul => a * b,
        Bin::Div => a / b,
        Bin::FloorDivide | Bin::DivFloor if compute.is_float() => div_floor_floating(a, b),
        Bin::FloorDivide | Bin::DivFloor => (a / b).floor(),
        Bin::DivTrunc => (a / b).trunc(),
        Bin::Pow if compute.is_float() => a.powf(b),
        Bin::Pow => (a as i64).wrapping_pow(b as u32) as f64,
        Bin::Maximum => {
            if a.is_nan() || b.is_nan() {
                f64::NAN
            } else {
                a.max(b)
            }
        }
        Bin::Minimum => {
            if a.is_nan() || b.is_nan() {
                f64::NAN
            } else {
                a.min(b)
            }
        }
        Bin::Remainder => py_mod(a, b),
        Bin::Atan2 => a.atan2(b),
        Bin::Eq => t(a == b),
        Bin::Ne => t(a != b),
        Bin::Lt => t(a < b),
        Bin::Le => t(a <= b),
        Bin::Gt => t(a > b),
        Bin::Ge => t(a >= b),
        Bin::LogicalAnd => t(a != 0.0 && b != 0.0),
        Bin::LogicalOr => t(a != 0.0 || b != 0.0),
        Bin::LogicalXor => t((a != 0.0) != (b != 0.0)),
    }
}

/// Tolerance for an op's result in `dtype` (exactly rounded ops are exact in every float dtype).
fn bin_tol(op: Bin, dtype: DType) -> Tol {
    match op {
        Bin::Pow | Bin::Atan2 => tol_for(dtype),
        _ if dtype == DType::F16 || dtype == DType::BF16 => tol_for(dtype),
        _ => EXACT,
    }
}

/// The right operand of a case: a tensor or a Python-like scalar.
#[derive(Debug, Clone)]
enum RhsCase {
    Tensor,
    Bool(bool),
    Int(i64),
    Float(f64),
}

fn rhs_strategy() -> impl Strategy<Value = RhsCase> {
    prop_oneof![
        6 => Just(RhsCase::Tensor),
        1 => any::<bool>().prop_map(RhsCase::Bool),
        1 => (-6i64..=6).prop_map(RhsCase::Int),
        1 => (-24i64..=24).prop_map(|k| RhsCase::Float(k as f64 / 4.0)),
    ]
}

fn any_dtype() -> impl Strategy<Value = DType> {
    prop::sample::select(KERNEL_DTYPES.to_vec())
}

fn scalar_of(c: &RhsCase) -> Option<Scalar> {
    match *c {
        RhsCase::Tensor => None,
        RhsCase::Bool(b) => Some(Scalar::Bool(b)),
        RhsCase::Int(i) => Some(Scalar::Int(i)),
        RhsCase::Float(f) => Some(Scalar::Float(f)),
    }
}

proptest! {
    #![proptest_config(cfg(2000))]

    /// Every binary op, on broadcastable non-contiguous operands of any two dtypes (or a scalar):
    /// the result's shape, dtype (PyTorch's table) and values (the f64 reference, rounded to the
    /// compute dtype and to the result dtype), or PyTorch's error for bool and integer division.
    #[test]
    fn binary_ops_match_reference(
        op in prop::sample::select(BINS.to_vec()),
        (sa, sb) in broadcast_pair_strategy(4, 4),
        ra in recipe_strategy(2, true),
        rb in recipe_strategy(2, true),
        da in any_dtype(),
        db in any_dtype(),
        rhs in rhs_strategy(),
    ) {
        for dev in devices() {
            let divisor = if op == Bin::Pow { Values::Exponent } else if op.divides() { Values::NonZero } else { Values::Small };
            let a = build_on(&dev, &sa, &ra, da, Values::Small);
            let b = build_on(&dev, &sb, &rb, db, divisor);
            let scalar = scalar_of(&rhs);
            let b_kind = match scalar { Some(s) => Kind::Scalar(s), None => kind_of(&b.t) };
            let promoted = torch_result_type(kind_of(&a.t), b_kind);
            prop_assert_eq!(result_type(&[a.t.operand(), match scalar { Some(s) => Operand::Scalar(s), None => b.t.operand() }]), promoted);
            let (compute, result) = op.dtypes(promoted);
            let got = match scalar {
                Some(s) => op.call(&a.t, s),
                None => op.call(&a.t, &b.t),
            };
            let b_ref = match scalar {
                Some(s) => Ref::scalar(round_to(compute, s.to_f64())),
                None => b.r.clone(),
            };
            if compute == DType::Bool && op.refuses_bool() {
                let e = got.unwrap_err();
                prop_assert_eq!(e.kind(), ErrorKind::DType);
                continue;
            }
            if op.divides() && !compute.is_float() && b_ref.map(|v| round_to(compute, v)).data.contains(&0.0) {
                // torch.floor_divide(torch.tensor([1]), torch.tensor([0])): RuntimeError: ZeroDivisionError
                let e = got.unwrap_err();
                prop_assert!(e.to_string().contains("ZeroDivisionError"), "{}", e);
                continue;
            }
            if op == Bin::Pow && !da.is_float() && matches!(scalar, Some(Scalar::Int(i)) if i < 0) {
                // torch.tensor([3]) ** -1: RuntimeError: Integers to negative integer powers are not allowed.
                let e = got.unwrap_err();
                prop_assert!(e.to_string().contains("Integers to negative integer powers are not allowed"), "{}", e);
                continue;
            }
            let got = got.unwrap_or_else(|e| panic!("{op:?} {da:?}{sa:?} {b_kind:?}{sb:?} on {dev}: {e}"));
            assert_on(&got, &dev);
            let want = a.r.map(|v| round_to(compute, v)).zip(&b_ref.map(|v| round_to(compute, v)), |x, y| {
                round_to(result, ref_binary(op, x, y, compute))
            });
            prop_assert_eq!(got.dtype(), result, "{:?} of {:?} and {:?} on {}", op, kind_of(&a.t), b_kind, dev);
            assert_ref(&got, &want, bin_tol(op, result), &format!("{op:?} {da:?}{sa:?} {b_kind:?}{sb:?} on {dev}"));
            prop_assert!(got.is_contiguous());
        }
    }

    /// Shapes that do not broadcast: an error that names the op and both shapes.
    #[test]
    fn binary_shape_errors(
        op in prop::sample::select(BINS.to_vec()),
        shape in prop::collection::vec(2usize..=4, 1..=3),
        dim in any::<u64>(),
        lead in 0usize..2,
        bad in 2usize..=5,
    ) {
        for dev in devices() {
            let d = (dim % shape.len() as u64) as usize;
            let mut other = shape.clone();
            other[d] = if shape[d] == bad { bad + 1 } else { bad };
            let other: Vec<usize> = std::iter::repeat_n(3, lead).chain(other).collect();
            let a = Tensor::ones(shape.clone(), DType::F32, &dev).unwrap();
            let b = Tensor::ones(other.clone(), DType::F32, &dev).unwrap();
            let e = op.call(&a, &b).unwrap_err();
            prop_assert_eq!(e.kind(), ErrorKind::Shape);
            let msg = e.to_string();
            prop_assert!(msg.starts_with(&format!("{}: ", op.name())), "{}", msg);
            prop_assert!(msg.contains(&shape_str(&shape)) && msg.contains(&shape_str(&other)), "{}", msg);
        }
    }
}

fn again<'a>(rhs: &Rhs<'a>) -> Rhs<'a> {
    match rhs {
        Rhs::Tensor(t) => Rhs::Tensor(t),
        Rhs::Scalar(s) => Rhs::Scalar(*s),
    }
}

#[test]
fn result_types_as_torch() {
    on_each_device(|dev| {
        let mut lines = RESULT_TYPES.trim().lines();
        let cols: Vec<String> = lines.next().unwrap().split_whitespace().skip(1).map(String::from).collect();
        let mut checked = 0;
        for line in lines {
            let parts: Vec<&str> = line.split_whitespace().collect();
            let (tier, ld) = parts[0].split_at(1);
            let ld = dtype_named(ld);
            let lhs = Tensor::ones(if tier == "T" { vec![2] } else { vec![] }, ld, dev).unwrap();
            for (col, want) in cols.iter().zip(&parts[1..]) {
                let want = dtype_named(want);
                let (rhs_t, rhs_s);
                let rhs: Rhs<'_> = match col.as_str() {
                    "SBool" => {
                        rhs_s = Scalar::Bool(true);
                        Rhs::Scalar(rhs_s)
                    }
                    "SInt" => Rhs::Scalar(Scalar::Int(2)),
                    "SFloat" => Rhs::Scalar(Scalar::Float(2.5)),
                    c => {
                        let (t, d) = c.split_at(1);
                        rhs_t = Tensor::ones(if t == "T" { vec![2] } else { vec![] }, dtype_named(d), dev).unwrap();
                        Rhs::Tensor(&rhs_t)
                    }
                };
                let ctx = format!("{} with {col} on {dev}", parts[0]);
                assert_eq!(result_type(&[lhs.operand(), rhs.operand()]), want, "{ctx}");
                let r = |x: Result<Tensor>| x.unwrap_or_else(|e| panic!("{ctx}: {e}"));
                assert_eq!(r(lhs.add(again(&rhs))).dtype(), want, "add {ctx}");
                assert_eq!(r(lhs.mul(again(&rhs))).dtype(), want, "mul {ctx}");
                assert_eq!(r(lhs.maximum(again(&rhs))).dtype(), want, "maximum {ctx}");
                assert_eq!(r(lhs.div(again(&rhs))).dtype(), to_float(want), "div {ctx}");
                assert_eq!(r(lhs.atan2(again(&rhs))).dtype(), to_float(want), "atan2 {ctx}");
                assert_eq!(r(lhs.lt(again(&rhs))).dtype(), DType::Bool, "lt {ctx}");
                assert_eq!(r(lhs.logical_xor(again(&rhs))).dtype(), DType::Bool, "logical_xor {ctx}");
                let cond = Tensor::ones([2], DType::Bool, dev).unwrap();
                assert_eq!(r(lhs.where_(&cond, again(&rhs))).dtype(), want, "where {ctx}");
                // The value: 1 + the right operand (True, 2, 2.5 or a tensor of ones), as the dtype stores it.
                let rv = match col.as_str() {
                    "SInt" => 2.0,
                    "SFloat" => 2.5,
                    _ => 1.0,
                };
                assert_eq!(values(&r(lhs.add(again(&rhs))))[0], round_to(want, 1.0 + rv), "add value {ctx}");
                checked += 1;
            }
        }
        assert_eq!(checked, 16 * 19);
    });
}

// ---------------------------------------------------------------------------------------------
// Special values, as PyTorch (float32)
// ---------------------------------------------------------------------------------------------

/// `op(a, b)` on float32 for every pair of A = [nan, inf, -inf, 0.0, -0.0, 1.5, -2.0, 0.1, 7.5]
/// (lhs `A.repeat_interleave(9)`, rhs `A.repeat(9)`):
/// ```python
/// a = torch.tensor(A, dtype=torch.float32); aa = a.repeat_interleave(9); bb = a.repeat(9)
/// for name, f in {'add': torch.add, ..., 'floor_divide': torch.floor_divide,
///                 'div_trunc': lambda x, y: torch.div(x, y, rounding_mode='trunc'), ...}.items():
///     print(name, *f(aa, bb).tolist())
/// ```
/// (torch 2.15.0, CPU)
const BINARY_SPECIALS: &str = "
add NAN NAN NAN NAN NAN NAN NAN NAN NAN NAN INF NAN INF INF INF INF INF INF NAN NAN -INF -INF -INF -INF -INF -INF -INF NAN INF -INF 0.0 0.0 1.5 -2.0 0.10000000149011612 7.5 NAN INF -INF 0.0 -0.0 1.5 -2.0 0.10000000149011612 7.5 NAN INF -INF 1.5 1.5 3.0 -0.5 1.600000023841858 9.0 NAN INF -INF -2.0 -2.0 -0.5 -4.0 -1.899999976158142 5.5 NAN INF -INF 0.10000000149011612 0.10000000149011612 1.600000023841858 -1.899999976158142 0.20000000298023224 7.599999904632568 NAN INF -INF 7.5 7.5 9.0 5.5 7.599999904632568 15.0
sub NAN NAN NAN NAN NAN NAN NAN NAN NAN NAN NAN INF INF INF INF INF INF INF NAN -INF NAN -INF -INF -INF -INF -INF -INF NAN -INF INF 0.0 0.0 -1.5 2.0 -0.10000000149011612 -7.5 NAN -INF INF -0.0 0.0 -1.5 2.0 -0.10000000149011612 -7.5 NAN -INF INF 1.5 1.5 0.0 3.5 1.399999976158142 -6.0 NAN -INF INF -2.0 -2.0 -3.5 0.0 -2.0999999046325684 -9.5 NAN -INF INF 0.10000000149011612 0.10000000149011612 -1.399999976158142 2.0999999046325684 0.0 -7.400000095367432 NAN -INF INF 7.5 7.5 6.0 9.5 7.400000095367432 0.0
mul NAN NAN NAN NAN NAN NAN NAN NAN NAN NAN INF -INF NAN NAN INF -INF INF INF NAN -INF INF NAN NAN -INF INF -INF -INF NAN NAN NAN 0.0 -0.0 0.0 -0.0 0.0 0.0 NAN NAN NAN -0.0 0.0 -0.0 0.0 -0.0 -0.0 NAN INF -INF 0.0 -0.0 2.25 -3.0 0.15000000596046448 11.25 NAN -INF INF -0.0 0.0 -3.0 4.0 -0.20000000298023224 -15.0 NAN INF -INF 0.0 -0.0 0.15000000596046448 -0.20000000298023224 0.010000000707805157 0.75 NAN INF -INF 0.0 -0.0 11.25 -15.0 0.75 56.25
div NAN NAN NAN NAN NAN NAN NAN NAN NAN NAN NAN NAN INF -INF INF -INF INF INF NAN NAN NAN -INF INF -INF INF -INF -INF NAN 0.0 -0.0 NAN NAN 0.0 -0.0 0.0 0.0 NAN -0.0 0.0 NAN NAN -0.0 0.0 -0.0 -0.0 NAN 0.0 -0.0 INF -INF 1.0 -0.75 15.0 0.20000000298023224 NAN -0.0 0.0 -INF INF -1.3333333730697632 1.0 -20.0 -0.2666666805744171 NAN 0.0 -0.0 INF -INF 0.06666667014360428 -0.05000000074505806 1.0 0.013333333656191826 NAN 0.0 -0.0 INF -INF 5.0 -3.75 75.0 1.0
floor_divide NAN NAN NAN NAN NAN NAN NAN NAN NAN NAN NAN NAN INF -INF NAN NAN NAN NAN NAN NAN NAN -INF INF NAN NAN NAN NAN NAN 0.0 -0.0 NAN NAN 0.0 -0.0 0.0 0.0 NAN -0.0 0.0 NAN NAN -0.0 0.0 -0.0 -0.0 NAN 0.0 -1.0 INF -INF 1.0 -1.0 14.0 0.0 NAN -1.0 0.0 -INF INF -2.0 1.0 -20.0 -1.0 NAN 0.0 -1.0 INF -INF 0.0 -1.0 1.0 0.0 NAN 0.0 -1.0 INF -INF 5.0 -4.0 74.0 1.0
div_trunc NAN NAN NAN NAN NAN NAN NAN NAN NAN NAN NAN NAN INF -INF INF -INF INF INF NAN NAN NAN -INF INF -INF INF -INF -INF NAN 0.0 -0.0 NAN NAN 0.0 -0.0 0.0 0.0 NAN -0.0 0.0 NAN NAN -0.0 0.0 -0.0 -0.0 NAN 0.0 -0.0 INF -INF 1.0 -0.0 15.0 0.0 NAN -0.0 0.0 -INF INF -1.0 1.0 -20.0 -0.0 NAN 0.0 -0.0 INF -INF 0.0 -0.0 1.0 0.0 NAN 0.0 -0.0 INF -INF 5.0 -3.0 75.0 1.0
pow NAN NAN NAN 1.0 1.0 NAN NAN NAN NAN NAN INF 0.0 1.0 1.0 INF 0.0 INF INF NAN INF 0.0 1.0 1.0 INF 0.0 INF INF NAN 0.0 INF 1.0 1.0 0.0 INF 0.0 0.0 NAN 0.0 INF 1.0 1.0 0.0 INF 0.0 0.0 NAN INF 0.0 1.0 1.0 1.837117314338684 0.4444444477558136 1.041379690170288 20.925914764404297 NAN INF 0.0 1.0 1.0 NAN 0.25 NAN NAN NAN 0.0 INF 1.0 1.0 0.03162277862429619 100.0 0.7943282127380371 3.1622779061990514e-08 NAN INF 0.0 1.0 1.0 20.539596557617188 0.017777778208255768 1.223224401473999 3655606.75
maximum NAN NAN NAN NAN NAN NAN NAN NAN NAN NAN INF INF INF INF INF INF INF INF NAN INF -INF 0.0 -0.0 1.5 -2.0 0.10000000149011612 7.5 NAN INF 0.0 0.0 -0.0 1.5 0.0 0.10000000149011612 7.5 NAN INF -0.0 0.0 -0.0 1.5 -0.0 0.10000000149011612 7.5 NAN INF 1.5 1.5 1.5 1.5 1.5 1.5 7.5 NAN INF -2.0 0.0 -0.0 1.5 -2.0 0.10000000149011612 7.5 NAN INF 0.10000000149011612 0.10000000149011612 0.10000000149011612 1.5 0.10000000149011612 0.10000000149011612 7.5 NAN INF 7.5 7.5 7.5 7.5 7.5 7.5 7.5
minimum NAN NAN NAN NAN NAN NAN NAN NAN NAN NAN INF -INF 0.0 -0.0 1.5 -2.0 0.10000000149011612 7.5 NAN -INF -INF -INF -INF -INF -INF -INF -INF NAN 0.0 -INF 0.0 -0.0 0.0 -2.0 0.0 0.0 NAN -0.0 -INF 0.0 -0.0 -0.0 -2.0 -0.0 -0.0 NAN 1.5 -INF 0.0 -0.0 1.5 -2.0 0.10000000149011612 1.5 NAN -2.0 -INF -2.0 -2.0 -2.0 -2.0 -2.0 -2.0 NAN 0.10000000149011612 -INF 0.0 -0.0 0.10000000149011612 -2.0 0.10000000149011612 0.10000000149011612 NAN 7.5 -INF 0.0 -0.0 1.5 -2.0 0.10000000149011612 7.5
remainder NAN NAN NAN NAN NAN NAN NAN NAN NAN NAN NAN NAN NAN NAN NAN NAN NAN NAN NAN NAN NAN NAN NAN NAN NAN NAN NAN NAN 0.0 0.0 NAN NAN 0.0 0.0 0.0 0.0 NAN -0.0 -0.0 NAN NAN -0.0 -0.0 -0.0 -0.0 NAN 1.5 -INF NAN NAN 0.0 -0.5 0.09999997913837433 1.5 NAN INF -2.0 NAN NAN 1.0 -0.0 2.9802322387695312e-08 5.5 NAN 0.10000000149011612 -INF NAN NAN 0.10000000149011612 -1.899999976158142 0.0 0.10000000149011612 NAN 7.5 -INF NAN NAN 0.0 -0.5 0.09999988973140717 0.0
atan2 NAN NAN NAN NAN NAN NAN NAN NAN NAN NAN 0.7853981852531433 2.356194496154785 1.5707963705062866 1.5707963705062866 1.5707963705062866 1.5707963705062866 1.5707963705062866 1.5707963705062866 NAN -0.7853981852531433 -2.356194496154785 -1.5707963705062866 -1.5707963705062866 -1.5707963705062866 -1.5707963705062866 -1.5707963705062866 -1.5707963705062866 NAN 0.0 3.1415927410125732 0.0 3.1415927410125732 0.0 3.1415927410125732 0.0 0.0 NAN -0.0 -3.1415927410125732 -0.0 -3.1415927410125732 -0.0 -3.1415927410125732 -0.0 -0.0 NAN 0.0 3.1415927410125732 1.5707963705062866 1.5707963705062866 0.7853981256484985 2.498091459274292 1.504228115081787 0.19739556312561035 NAN -0.0 -3.1415927410125732 -1.5707963705062866 -1.5707963705062866 -0.9272952079772949 -2.356194496154785 -1.5208379030227661 -0.2606023848056793 NAN 0.0 3.1415927410125732 1.5707963705062866 1.5707963705062866 0.06656816601753235 3.0916342735290527 0.7853981852531433 0.013332543894648552 NAN 0.0 3.1415927410125732 1.5707963705062866 1.5707963705062866 1.3734008073806763 1.8313987255096436 1.5574637651443481 0.7853981852531433
";

const SPECIAL_A: [f32; 9] = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 0.0, -0.0, 1.5, -2.0, 0.1, 7.5];

/// Same value, and for zeros the same sign.
fn same(got: f64, want: f64, tol: Tol) -> bool {
    close(got, want, tol) && (want != 0.0 || got.is_sign_negative() == want.is_sign_negative())
}

#[test]
fn binary_special_values_as_torch() {
    on_each_device(|dev| {
        let n = SPECIAL_A.len();
        let aa: Vec<f32> = (0..n * n).map(|i| SPECIAL_A[i / n]).collect();
        let bb: Vec<f32> = (0..n * n).map(|i| SPECIAL_A[i % n]).collect();
        let a = Tensor::from_vec(aa.clone(), [n * n]).unwrap().to_device(dev).unwrap();
        let b = Tensor::from_vec(bb.clone(), [n * n]).unwrap().to_device(dev).unwrap();
        let mut failures = vec![];
        for line in BINARY_SPECIALS.trim().lines() {
            let parts: Vec<&str> = line.split_whitespace().collect();
            let op = match parts[0] {
                "add" => Bin::Add,
                "sub" => Bin::Sub,
                "mul" => Bin::Mul,
                "div" => Bin::Div,
                "floor_divide" => Bin::FloorDivide,
                "div_trunc" => Bin::DivTrunc,
                "pow" => Bin::Pow,
                "maximum" => Bin::Maximum,
                "minimum" => Bin::Minimum,
                "remainder" => Bin::Remainder,
                "atan2" => Bin::Atan2,
                o => panic!("{o}"),
            };
            let got = op.call(&a, &b).unwrap();
            assert_on(&got, dev);
            let got = values(&got);
            for (i, w) in parts[1..].iter().enumerate() {
                let w = parse(w);
                if !same(got[i], w, Tol { atol: 0.0, rtol: 2e-7 }) {
                    failures.push(format!("{op:?}({}, {}) on {dev} = {}, torch {}", aa[i], bb[i], got[i], w));
                }
            }
            // The same through the floor mode of div.
            if op == Bin::FloorDivide {
                assert_eq!(
                    values(&a.div_mode(&b, RoundingMode::Floor).unwrap())
                        .iter()
                        .map(|v| v.to_bits())
                        .collect::<Vec<_>>(),
                    got.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                    "floor mode on {dev}"
                );
            }
        }
        assert!(failures.is_empty(), "{} differences from PyTorch:\n{}", failures.len(), failures.join("\n"));
    });
}

// ---------------------------------------------------------------------------------------------
// where_ / masked_fill
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(cfg(512))]

    /// `where_` broadcasts all three, promotes the two value operands, and picks elementwise.
    #[test]
    fn where_matches_reference(
        out in shape_strategy(3, 3),
        seeds in any::<[u64; 3]>(),
        recipes in (recipe_strategy(2, true), recipe_strategy(2, true), recipe_strategy(2, true)),
        da in any_dtype(),
        db in any_dtype(),
        scalar_other in any::<bool>(),
    ) {
        for dev in devices() {
            let derive = |seed: u64| {
                let mut rng = Mix::new(seed);
                let drop = rng.below(out.len() + 1);
                out[drop..].iter().map(|&d| if rng.below(3) == 0 { 1 } else { d }).collect::<Vec<usize>>()
            };
            let (sc, sa, sb) = (derive(seeds[0]), derive(seeds[1]), derive(seeds[2]));
            let c = build_on(&dev, &sc, &recipes.0, DType::Bool, Values::Small);
            let a = build_on(&dev, &sa, &recipes.1, da, Values::Small);
            let b = build_on(&dev, &sb, &recipes.2, db, Values::Small);
            let (got, promoted, b_ref) = if scalar_other {
                (a.t.where_(&c.t, 2.5).unwrap(), torch_result_type(kind_of(&a.t), Kind::Scalar(Scalar::Float(2.5))), Ref::scalar(2.5))
            } else {
                (a.t.where_(&c.t, &b.t).unwrap(), torch_result_type(kind_of(&a.t), kind_of(&b.t)), b.r.clone())
            };
            prop_assert_eq!(got.dtype(), promoted);
            assert_on(&got, &dev);
            let want = Ref::zip3(&c.r, &a.r, &b_ref, |c, x, y| round_to(promoted, if c != 0.0 { x } else { y }));
            assert_ref(&got, &want, EXACT, &format!("where on {dev}"));
            // masked_fill: the mask broadcasts to self's shape only.
            let mask_fits = broadcast_shape(&sa, &sc).as_deref() == Some(&sa[..]);
            match a.t.masked_fill(&c.t, -3) {
                Ok(m) => {
                    prop_assert!(mask_fits);
                    prop_assert_eq!(m.dtype(), da);
                    assert_on(&m, &dev);
                    let want = a.r.zip(&c.r, |x, c| if c != 0.0 { round_to(da, -3.0) } else { x });
                    assert_ref(&m, &want, EXACT, &format!("masked_fill on {dev}"));
                }
                Err(e) => prop_assert!(!mask_fits, "{}", e),
            }
        }
    }
}

proptest! {
    #![proptest_config(cfg(64))]

    /// Long contiguous rows, which the CPU selects block by block (64 elements, then the rest),
    /// for every element width; the shapes of `where_matches_reference` never fill a block.
    #[test]
    fn where_on_long_rows_matches_reference(n in 0usize..300, seed in any::<u64>(), dtype in any_dtype()) {
        let mut rng = Mix::new(seed);
        let c: Vec<bool> = (0..n).map(|_| rng.below(2) == 0).collect();
        let t: Vec<f64> = (0..n).map(|i| (i % 7) as f64).collect();
        let f: Vec<f64> = (0..n).map(|i| (i % 5) as f64 + 1.0).collect();
        let tensor = |v: &[f64]| Tensor::from_vec(v.to_vec(), [n]).unwrap().to_dtype(dtype).unwrap();
        let got = tensor(&t).where_(&Tensor::from_vec(c.clone(), [n]).unwrap(), &tensor(&f)).unwrap();
        let want: Vec<f64> = c.iter().zip(t.iter().zip(&f)).map(|(&c, (&t, &f))| if c { t } else { f }).collect();
        prop_assert_eq!(got.to_dtype(DType::F64).unwrap().to_vec::<f64>().unwrap(), tensor(&want).to_dtype(DType::F64).unwrap().to_vec::<f64>().unwrap());
    }
}

#[test]
fn where_and_masked_fill_errors() {
    on_each_device(|dev| {
        let x = Tensor::ones([2, 3], DType::F32, dev).unwrap();
        // torch.where(torch.ones(2, 3), x, x): RuntimeError: where expected condition to be a boolean
        // tensor, but got a tensor with dtype Float
        let e = x.where_(&x, &x).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::DType);
        assert!(e.to_string().contains("where expected condition to be a boolean tensor"), "{e}");
        let e = x.masked_fill(&x, 0.0).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::DType);
        let c = Tensor::ones([4], DType::Bool, dev).unwrap();
        let e = x.where_(&c, 0.0).unwrap_err();
        assert!(
            e.to_string().starts_with("where: ") && e.to_string().contains("[2, 3]") && e.to_string().contains("[4]"),
            "{e}"
        );
        // masked_fill with a value of another kind casts it: torch.zeros(2, dtype=torch.int64).masked_fill(mask, 2.7) == [2, 0]
        let z = Tensor::zeros([2], DType::I64, dev).unwrap();
        let m = Tensor::new([true, false], dev).unwrap();
        assert_eq!(z.masked_fill(&m, 2.7).unwrap().to_vec::<i64>().unwrap(), [2, 0]);
        let mut z2 = z.shallow_clone();
        z2.masked_fill_(&m, 5).unwrap();
        assert_eq!(z.to_vec::<i64>().unwrap(), [5, 0]);
    });
}
