//! Binary and unary elementwise ops against a naive f64 reference on random broadcastable shapes
//! with non-contiguous inputs: values, result shapes, result dtypes (`torch.result_type`, with
//! PyTorch literals), errors, and special values (NaN, ±inf, ±0) as PyTorch gives them.

mod common;

use common::*;
use proptest::prelude::*;
use tensor_core::{result_type, DType, Device, ErrorKind, Operand, Result, Rhs, RoundingMode, Scalar, Tensor};

const CPU: Device = Device::Cpu;

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
    prop::sample::select(ALL_DTYPES.to_vec())
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
        let divisor = if op == Bin::Pow { Values::Exponent } else if op.divides() { Values::NonZero } else { Values::Small };
        let a = build(&sa, &ra, da, Values::Small);
        let b = build(&sb, &rb, db, divisor);
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
            return Ok(());
        }
        if op.divides() && !compute.is_float() && b_ref.map(|v| round_to(compute, v)).data.contains(&0.0) {
            // torch.floor_divide(torch.tensor([1]), torch.tensor([0])): RuntimeError: ZeroDivisionError
            let e = got.unwrap_err();
            prop_assert!(e.to_string().contains("ZeroDivisionError"), "{}", e);
            return Ok(());
        }
        if op == Bin::Pow && !da.is_float() && matches!(scalar, Some(Scalar::Int(i)) if i < 0) {
            // torch.tensor([3]) ** -1: RuntimeError: Integers to negative integer powers are not allowed.
            let e = got.unwrap_err();
            prop_assert!(e.to_string().contains("Integers to negative integer powers are not allowed"), "{}", e);
            return Ok(());
        }
        let got = got.unwrap_or_else(|e| panic!("{op:?} {da:?}{sa:?} {b_kind:?}{sb:?}: {e}"));
        let want = a.r.map(|v| round_to(compute, v)).zip(&b_ref.map(|v| round_to(compute, v)), |x, y| {
            round_to(result, ref_binary(op, x, y, compute))
        });
        prop_assert_eq!(got.dtype(), result, "{:?} of {:?} and {:?}", op, kind_of(&a.t), b_kind);
        assert_ref(&got, &want, bin_tol(op, result), &format!("{op:?} {da:?}{sa:?} {b_kind:?}{sb:?}"));
        prop_assert!(got.is_contiguous());
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
        let d = (dim % shape.len() as u64) as usize;
        let mut other = shape.clone();
        other[d] = if shape[d] == bad { bad + 1 } else { bad };
        let other: Vec<usize> = std::iter::repeat_n(3, lead).chain(other).collect();
        let a = Tensor::ones(shape.clone(), DType::F32, &CPU).unwrap();
        let b = Tensor::ones(other.clone(), DType::F32, &CPU).unwrap();
        let e = op.call(&a, &b).unwrap_err();
        prop_assert_eq!(e.kind(), ErrorKind::Shape);
        let msg = e.to_string();
        prop_assert!(msg.starts_with(&format!("{}: ", op.name())), "{}", msg);
        prop_assert!(msg.contains(&shape_str(&shape)) && msg.contains(&shape_str(&other)), "{}", msg);
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
    let mut lines = RESULT_TYPES.trim().lines();
    let cols: Vec<String> = lines.next().unwrap().split_whitespace().skip(1).map(String::from).collect();
    let mut checked = 0;
    for line in lines {
        let parts: Vec<&str> = line.split_whitespace().collect();
        let (tier, ld) = parts[0].split_at(1);
        let ld = dtype_named(ld);
        let lhs = Tensor::ones(if tier == "T" { vec![2] } else { vec![] }, ld, &CPU).unwrap();
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
                    rhs_t = Tensor::ones(if t == "T" { vec![2] } else { vec![] }, dtype_named(d), &CPU).unwrap();
                    Rhs::Tensor(&rhs_t)
                }
            };
            let ctx = format!("{} with {col}", parts[0]);
            assert_eq!(result_type(&[lhs.operand(), rhs.operand()]), want, "{ctx}");
            let r = |x: Result<Tensor>| x.unwrap_or_else(|e| panic!("{ctx}: {e}"));
            assert_eq!(r(lhs.add(again(&rhs))).dtype(), want, "add {ctx}");
            assert_eq!(r(lhs.mul(again(&rhs))).dtype(), want, "mul {ctx}");
            assert_eq!(r(lhs.maximum(again(&rhs))).dtype(), want, "maximum {ctx}");
            assert_eq!(r(lhs.div(again(&rhs))).dtype(), to_float(want), "div {ctx}");
            assert_eq!(r(lhs.atan2(again(&rhs))).dtype(), to_float(want), "atan2 {ctx}");
            assert_eq!(r(lhs.lt(again(&rhs))).dtype(), DType::Bool, "lt {ctx}");
            assert_eq!(r(lhs.logical_xor(again(&rhs))).dtype(), DType::Bool, "logical_xor {ctx}");
            let cond = Tensor::ones([2], DType::Bool, &CPU).unwrap();
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
}

#[test]
fn scalar_wraps_in_small_int_dtypes() {
    // torch.tensor([3], dtype=torch.uint8) * 300 == tensor([132], dtype=torch.uint8)
    let u = Tensor::new([3u8], &CPU).unwrap();
    let r = u.mul(300).unwrap();
    assert_eq!((r.dtype(), r.to_vec::<u8>().unwrap()), (DType::U8, vec![132]));
    // 300 - torch.tensor([3], dtype=torch.uint8) == tensor([41], dtype=torch.uint8)
    let r = 300i64 - &u;
    assert_eq!((r.dtype(), r.to_vec::<u8>().unwrap()), (DType::U8, vec![41]));
    // torch.tensor([200], dtype=torch.uint8) + torch.tensor([100], dtype=torch.uint8) == [44]
    assert_eq!(
        Tensor::new([200u8], &CPU).unwrap().add(&Tensor::new([100u8], &CPU).unwrap()).unwrap().to_vec::<u8>().unwrap(),
        [44]
    );
    // torch.tensor([2**31 - 1], dtype=torch.int32) + 1 == [-2**31]
    assert_eq!(Tensor::new([i32::MAX], &CPU).unwrap().add(1).unwrap().to_vec::<i32>().unwrap(), [i32::MIN]);
    // torch.tensor([True, False]) + torch.tensor([True, True]) == [True, True]
    let b = Tensor::new([true, false], &CPU).unwrap().add(&Tensor::new([true, true], &CPU).unwrap()).unwrap();
    assert_eq!(b.to_vec::<bool>().unwrap(), [true, true]);
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
    let n = SPECIAL_A.len();
    let aa: Vec<f32> = (0..n * n).map(|i| SPECIAL_A[i / n]).collect();
    let bb: Vec<f32> = (0..n * n).map(|i| SPECIAL_A[i % n]).collect();
    let (a, b) = (Tensor::from_vec(aa.clone(), [n * n]).unwrap(), Tensor::from_vec(bb.clone(), [n * n]).unwrap());
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
        let got = values(&op.call(&a, &b).unwrap());
        for (i, w) in parts[1..].iter().enumerate() {
            let w = parse(w);
            if !same(got[i], w, Tol { atol: 0.0, rtol: 2e-7 }) {
                failures.push(format!("{op:?}({}, {}) = {}, torch {}", aa[i], bb[i], got[i], w));
            }
        }
        // The same through the floor mode of div.
        if op == Bin::FloorDivide {
            assert_eq!(
                values(&a.div_mode(&b, RoundingMode::Floor).unwrap()).iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                got.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
            );
        }
    }
    assert!(failures.is_empty(), "{} differences from PyTorch:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn integer_division_as_torch() {
    let a = Tensor::new([7i64, -7, 7, -7, 0, 5, -1, 9, -9], &CPU).unwrap();
    let b = Tensor::new([2i64, 2, -2, -2, 3, 5, 3, -4, 4], &CPU).unwrap();
    // torch.floor_divide(a, b).tolist()
    assert_eq!(a.floor_divide(&b).unwrap().to_vec::<i64>().unwrap(), [3, -4, -4, 3, 0, 1, -1, -3, -3]);
    assert_eq!(a.div_mode(&b, RoundingMode::Floor).unwrap().to_vec::<i64>().unwrap(), [3, -4, -4, 3, 0, 1, -1, -3, -3]);
    // torch.remainder(a, b).tolist()
    assert_eq!(a.remainder(&b).unwrap().to_vec::<i64>().unwrap(), [1, 1, -1, -1, 0, 0, 2, -3, 3]);
    // torch.div(a, b, rounding_mode='trunc').tolist()
    let t = a.div_mode(&b, RoundingMode::Trunc).unwrap();
    assert_eq!((t.dtype(), t.to_vec::<i64>().unwrap()), (DType::I64, vec![3, -3, -3, 3, 0, 1, 0, -2, -2]));
    // torch.div(a, b) is float32: [3.5, -3.5, -3.5, 3.5, 0.0, 1.0, -0.3333333432674408, -2.25, -2.25]
    let d = a.div(&b).unwrap();
    assert_eq!(d.dtype(), DType::F32);
    assert_eq!(d.to_vec::<f32>().unwrap(), [3.5, -3.5, -3.5, 3.5, 0.0, 1.0, -0.33333334, -2.25, -2.25]);
    // uint8: torch.floor_divide(tensor([200, 7], uint8), tensor([3, 2], uint8)) == [66, 3];
    // remainder == [2, 1]
    let u = Tensor::new([200u8, 7], &CPU).unwrap();
    let v = Tensor::new([3u8, 2], &CPU).unwrap();
    assert_eq!(u.floor_divide(&v).unwrap().to_vec::<u8>().unwrap(), [66, 3]);
    assert_eq!(u.remainder(&v).unwrap().to_vec::<u8>().unwrap(), [2, 1]);
    // torch.pow(tensor([-1, -1, 2, 1, -2, 0, 3, -3]), tensor([-1, -2, -1, -5, -3, -1, 3, 3]))
    let p = Tensor::new([-1i64, -1, 2, 1, -2, 0, 3, -3], &CPU).unwrap();
    let e = Tensor::new([-1i64, -2, -1, -5, -3, -1, 3, 3], &CPU).unwrap();
    assert_eq!(p.pow(&e).unwrap().to_vec::<i64>().unwrap(), [-1, 1, 0, 1, 0, 0, 27, -27]);
    assert_eq!(
        p.to_dtype(DType::I32).unwrap().pow(&e.to_dtype(DType::I32).unwrap()).unwrap().to_vec::<i32>().unwrap(),
        [-1, 1, 0, 1, 0, 0, 27, -27]
    );
    // Integer division by zero: RuntimeError: ZeroDivisionError (floor_divide, remainder, div
    // with rounding_mode='trunc' or 'floor', tensor or scalar divisor).
    let z = Tensor::new([1i64, 0], &CPU).unwrap();
    for r in [
        a.narrow(0, 0, 2).unwrap().floor_divide(&z),
        a.narrow(0, 0, 2).unwrap().remainder(&z),
        a.narrow(0, 0, 2).unwrap().div_mode(&z, RoundingMode::Trunc),
        a.narrow(0, 0, 2).unwrap().div_mode(&z, RoundingMode::Floor),
        a.remainder(0),
        u.floor_divide(0),
    ] {
        let e = r.unwrap_err();
        assert!(e.to_string().contains("ZeroDivisionError"), "{e}");
    }
    // Float division by zero is IEEE.
    assert_eq!(Tensor::new([1f32], &CPU).unwrap().floor_divide(0.0).unwrap().item::<f32>().unwrap(), f32::INFINITY);
    // 1.0 // 0.1 == 9.0 in Python and PyTorch (float64), and 0.3 // 0.1 == 2.0; in float32 0.3 // 0.1 == 3.0
    let x = Tensor::new([1.0f64, 0.3, -1.0], &CPU).unwrap();
    assert_eq!(x.floor_divide(0.1).unwrap().to_vec::<f64>().unwrap(), [9.0, 2.0, -10.0]);
    let x32 = x.to_dtype(DType::F32).unwrap();
    assert_eq!(x32.floor_divide(0.1).unwrap().to_vec::<f32>().unwrap(), [9.0, 3.0, -10.0]);
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
        let derive = |seed: u64| {
            let mut rng = Mix::new(seed);
            let drop = rng.below(out.len() + 1);
            out[drop..].iter().map(|&d| if rng.below(3) == 0 { 1 } else { d }).collect::<Vec<usize>>()
        };
        let (sc, sa, sb) = (derive(seeds[0]), derive(seeds[1]), derive(seeds[2]));
        let c = build(&sc, &recipes.0, DType::Bool, Values::Small);
        let a = build(&sa, &recipes.1, da, Values::Small);
        let b = build(&sb, &recipes.2, db, Values::Small);
        let (got, promoted, b_ref) = if scalar_other {
            (a.t.where_(&c.t, 2.5).unwrap(), torch_result_type(kind_of(&a.t), Kind::Scalar(Scalar::Float(2.5))), Ref::scalar(2.5))
        } else {
            (a.t.where_(&c.t, &b.t).unwrap(), torch_result_type(kind_of(&a.t), kind_of(&b.t)), b.r.clone())
        };
        prop_assert_eq!(got.dtype(), promoted);
        let want = Ref::zip3(&c.r, &a.r, &b_ref, |c, x, y| round_to(promoted, if c != 0.0 { x } else { y }));
        assert_ref(&got, &want, EXACT, "where");
        // masked_fill: the mask broadcasts to self's shape only.
        let mask_fits = broadcast_shape(&sa, &sc).as_deref() == Some(&sa[..]);
        match a.t.masked_fill(&c.t, -3) {
            Ok(m) => {
                prop_assert!(mask_fits);
                prop_assert_eq!(m.dtype(), da);
                let want = a.r.zip(&c.r, |x, c| if c != 0.0 { round_to(da, -3.0) } else { x });
                assert_ref(&m, &want, EXACT, "masked_fill");
            }
            Err(e) => prop_assert!(!mask_fits, "{}", e),
        }
    }
}

#[test]
fn where_and_masked_fill_errors() {
    let x = Tensor::ones([2, 3], DType::F32, &CPU).unwrap();
    // torch.where(torch.ones(2, 3), x, x): RuntimeError: where expected condition to be a boolean
    // tensor, but got a tensor with dtype Float
    let e = x.where_(&x, &x).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::DType);
    assert!(e.to_string().contains("where expected condition to be a boolean tensor"), "{e}");
    let e = x.masked_fill(&x, 0.0).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::DType);
    let c = Tensor::ones([4], DType::Bool, &CPU).unwrap();
    let e = x.where_(&c, 0.0).unwrap_err();
    assert!(
        e.to_string().starts_with("where: ") && e.to_string().contains("[2, 3]") && e.to_string().contains("[4]"),
        "{e}"
    );
    // masked_fill with a value of another kind casts it: torch.zeros(2, dtype=torch.int64).masked_fill(mask, 2.7) == [2, 0]
    let z = Tensor::zeros([2], DType::I64, &CPU).unwrap();
    let m = Tensor::new([true, false], &CPU).unwrap();
    assert_eq!(z.masked_fill(&m, 2.7).unwrap().to_vec::<i64>().unwrap(), [2, 0]);
    let mut z2 = z.shallow_clone();
    z2.masked_fill_(&m, 5).unwrap();
    assert_eq!(z.to_vec::<i64>().unwrap(), [5, 0]);
}

// ---------------------------------------------------------------------------------------------
// Unary ops
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq)]
enum Un {
    Neg,
    Abs,
    Sign,
    Exp,
    Exp2,
    Log,
    Log2,
    Log1p,
    Expm1,
    Sqrt,
    Rsqrt,
    Sin,
    Cos,
    Tan,
    Tanh,
    Sigmoid,
    Relu,
    Silu,
    Floor,
    Ceil,
    Round,
    Trunc,
    Reciprocal,
    Square,
    Erf,
    Gelu,
    GeluTanh,
    Softplus,
    LeakyRelu,
    Clamp,
    NanToNum,
}

const UNS: [Un; 31] = [
    Un::Neg,
    Un::Abs,
    Un::Sign,
    Un::Exp,
    Un::Exp2,
    Un::Log,
    Un::Log2,
    Un::Log1p,
    Un::Expm1,
    Un::Sqrt,
    Un::Rsqrt,
    Un::Sin,
    Un::Cos,
    Un::Tan,
    Un::Tanh,
    Un::Sigmoid,
    Un::Relu,
    Un::Silu,
    Un::Floor,
    Un::Ceil,
    Un::Round,
    Un::Trunc,
    Un::Reciprocal,
    Un::Square,
    Un::Erf,
    Un::Gelu,
    Un::GeluTanh,
    Un::Softplus,
    Un::LeakyRelu,
    Un::Clamp,
    Un::NanToNum,
];

fn erf(x: f64) -> f64 {
    libm::erf(x)
}

impl Un {
    fn call(self, x: &Tensor) -> Result<Tensor> {
        match self {
            Un::Neg => x.neg(),
            Un::Abs => x.abs(),
            Un::Sign => x.sign(),
            Un::Exp => x.exp(),
            Un::Exp2 => x.exp2(),
            Un::Log => x.log(),
            Un::Log2 => x.log2(),
            Un::Log1p => x.log1p(),
            Un::Expm1 => x.expm1(),
            Un::Sqrt => x.sqrt(),
            Un::Rsqrt => x.rsqrt(),
            Un::Sin => x.sin(),
            Un::Cos => x.cos(),
            Un::Tan => x.tan(),
            Un::Tanh => x.tanh(),
            Un::Sigmoid => x.sigmoid(),
            Un::Relu => x.relu(),
            Un::Silu => x.silu(),
            Un::Floor => x.floor(),
            Un::Ceil => x.ceil(),
            Un::Round => x.round(),
            Un::Trunc => x.trunc(),
            Un::Reciprocal => x.reciprocal(),
            Un::Square => x.square(),
            Un::Erf => x.erf(),
            Un::Gelu => x.gelu(false),
            Un::GeluTanh => x.gelu(true),
            Un::Softplus => x.softplus(1.5, 4.0),
            Un::LeakyRelu => x.leaky_relu(0.125),
            Un::Clamp => x.clamp(Some(-1.5), Some(2.0)),
            Un::NanToNum => x.nan_to_num(Some(7.0), None, Some(-9.0)),
        }
    }
    fn call_(self, x: &mut Tensor) -> Result<()> {
        match self {
            Un::Neg => x.neg_(),
            Un::Abs => x.abs_(),
            Un::Sign => x.sign_(),
            Un::Exp => x.exp_(),
            Un::Exp2 => x.exp2_(),
            Un::Log => x.log_(),
            Un::Log2 => x.log2_(),
            Un::Log1p => x.log1p_(),
            Un::Expm1 => x.expm1_(),
            Un::Sqrt => x.sqrt_(),
            Un::Rsqrt => x.rsqrt_(),
            Un::Sin => x.sin_(),
            Un::Cos => x.cos_(),
            Un::Tan => x.tan_(),
            Un::Tanh => x.tanh_(),
            Un::Sigmoid => x.sigmoid_(),
            Un::Relu => x.relu_(),
            Un::Silu => x.silu_(),
            Un::Floor => x.floor_(),
            Un::Ceil => x.ceil_(),
            Un::Round => x.round_(),
            Un::Trunc => x.trunc_(),
            Un::Reciprocal => x.reciprocal_(),
            Un::Square => x.square_(),
            Un::Erf => x.erf_(),
            Un::Clamp => x.clamp_(Some(-1.5), Some(2.0)),
            _ => Err(tensor_core::Error::new(ErrorKind::Unsupported, "test", "no in-place form")),
        }
    }
    fn call_out(self, x: &Tensor, out: &mut Tensor) -> Option<Result<()>> {
        Some(match self {
            Un::Neg => Tensor::neg_out(x, out),
            Un::Abs => Tensor::abs_out(x, out),
            Un::Exp => Tensor::exp_out(x, out),
            Un::Sqrt => Tensor::sqrt_out(x, out),
            Un::Sigmoid => Tensor::sigmoid_out(x, out),
            Un::Floor => Tensor::floor_out(x, out),
            Un::Square => Tensor::square_out(x, out),
            Un::Erf => Tensor::erf_out(x, out),
            Un::Tanh => Tensor::tanh_out(x, out),
            _ => return None,
        })
    }
    /// Ops that keep integer dtypes (the others compute in the default float dtype).
    fn keeps_int(self) -> bool {
        matches!(
            self,
            Un::Neg
                | Un::Abs
                | Un::Sign
                | Un::Relu
                | Un::Square
                | Un::Floor
                | Un::Ceil
                | Un::Round
                | Un::Trunc
                | Un::Clamp
                | Un::NanToNum
        )
    }
    /// PyTorch's formula in f64 (float inputs).
    fn reference(self, x: f64) -> f64 {
        let sigmoid = |x: f64| 1.0 / (1.0 + (-x).exp());
        match self {
            Un::Neg => -x,
            Un::Abs => x.abs(),
            Un::Sign => {
                if x > 0.0 {
                    1.0
                } else if x < 0.0 {
                    -1.0
                } else {
                    0.0
                }
            }
            Un::Exp => x.exp(),
            Un::Exp2 => x.exp2(),
            Un::Log => x.ln(),
            Un::Log2 => x.log2(),
            Un::Log1p => x.ln_1p(),
            Un::Expm1 => x.exp_m1(),
            Un::Sqrt => x.sqrt(),
            Un::Rsqrt => 1.0 / x.sqrt(),
            Un::Sin => x.sin(),
            Un::Cos => x.cos(),
            Un::Tan => x.tan(),
            Un::Tanh => x.tanh(),
            Un::Sigmoid => sigmoid(x),
            Un::Relu => {
                if x < 0.0 {
                    0.0
                } else {
                    x
                }
            }
            Un::Silu => x * sigmoid(x),
            Un::Floor => x.floor(),
            Un::Ceil => x.ceil(),
            Un::Round => x.round_ties_even(),
            Un::Trunc => x.trunc(),
            Un::Reciprocal => 1.0 / x,
            Un::Square => x * x,
            Un::Erf => erf(x),
            Un::Gelu => 0.5 * x * (1.0 + erf(x / std::f64::consts::SQRT_2)),
            Un::GeluTanh => {
                let c = (2.0 / std::f64::consts::PI).sqrt();
                0.5 * x * (1.0 + (c * (x + 0.044715 * x * x * x)).tanh())
            }
            Un::Softplus => {
                if x * 1.5 > 4.0 {
                    x
                } else {
                    (1.0 + (x * 1.5).exp()).ln() / 1.5
                }
            }
            Un::LeakyRelu => {
                if x > 0.0 {
                    x
                } else {
                    x * 0.125
                }
            }
            Un::Clamp => x.clamp(-1.5, 2.0),
            Un::NanToNum => {
                if x.is_nan() {
                    7.0
                } else if x == f64::NEG_INFINITY {
                    -9.0
                } else {
                    x
                }
            }
        }
    }
    /// The reference on integers (exact; wraps as the dtype).
    fn int_reference(self, x: f64) -> f64 {
        match self {
            Un::Clamp => x.clamp(-1.0, 2.0),
            _ => self.reference(x),
        }
    }
}

fn unary_tol(dtype: DType) -> Tol {
    match dtype {
        DType::F16 => Tol { atol: 2e-3, rtol: 4e-3 },
        DType::BF16 => Tol { atol: 2e-2, rtol: 3e-2 },
        DType::F32 => Tol { atol: 2e-6, rtol: 3e-6 },
        DType::F64 => Tol { atol: 1e-13, rtol: 1e-13 },
        _ => EXACT,
    }
}

proptest! {
    #![proptest_config(cfg(1500))]

    /// Every unary op on any non-contiguous layout: dtype (integers stay integers for the ops that
    /// allow it, else become float32), values (the f64 reference), and the `_` and `_out` forms.
    #[test]
    fn unary_ops_match_reference(
        op in prop::sample::select(UNS.to_vec()),
        shape in shape_strategy(4, 5),
        recipe in recipe_strategy(3, true),
        dtype in prop::sample::select(vec![DType::F32, DType::F64, DType::F16, DType::BF16, DType::I32, DType::I64, DType::U8]),
    ) {
        let x = build(&shape, &recipe, dtype, Values::Uniform);
        let result = if dtype.is_float() || op.keeps_int() { dtype } else { DType::F32 };
        let got = op.call(&x.t).unwrap_or_else(|e| panic!("{op:?} on {dtype:?}: {e}"));
        prop_assert_eq!(got.dtype(), result);
        let want = if dtype.is_float() || !op.keeps_int() {
            x.r.map(|v| round_to(result, op.reference(round_to(result, v))))
        } else {
            x.r.map(|v| round_to(result, op.int_reference(v)))
        };
        assert_ref(&got, &want, unary_tol(result), &format!("{op:?} {dtype:?}"));
        // In place (on a private copy, through its layout) and into an `out` tensor.
        if !overlaps(&x.t) {
            let mut y = x.t.clone();
            let v0 = y.version();
            match op.call_(&mut y) {
                Ok(()) => {
                    prop_assert!(result == dtype, "{:?} in place on {:?} must be refused", op, dtype);
                    prop_assert!(y.version() > v0);
                    assert_ref(&y, &want, unary_tol(result), "in place");
                }
                Err(e) if e.kind() == ErrorKind::Unsupported => {}
                Err(e) => {
                    prop_assert!(result != dtype, "{}", e);
                    prop_assert_eq!(e.kind(), ErrorKind::DType);
                    assert_ref(&y, &x.r, EXACT, "refused in place op leaves the tensor");
                }
            }
        }
        let mut out = Tensor::zeros(shape.clone(), result, &CPU).unwrap();
        if let Some(r) = op.call_out(&x.t, &mut out) {
            r.unwrap();
            assert_ref(&out, &want, unary_tol(result), "out");
        }
    }
}

#[test]
fn unary_ops_refuse_bool_and_int_in_place() {
    let b = Tensor::new([true, false], &CPU).unwrap();
    assert_eq!(b.neg().unwrap_err().kind(), ErrorKind::DType);
    let mut i = Tensor::new([1i64, 4], &CPU).unwrap();
    // torch.tensor([1, 4]).sqrt_(): RuntimeError: result type Float can't be cast to the desired
    // output type Long
    let e = i.sqrt_().unwrap_err();
    assert!(e.to_string().contains("can't be cast to the desired output type"), "{e}");
    assert_eq!(i.to_vec::<i64>().unwrap(), [1, 4]);
    // ... and so does an int `out` (without touching it).
    let mut out = Tensor::full([2], 9, DType::I64, &CPU).unwrap();
    let e = Tensor::exp_out(&i, &mut out).unwrap_err();
    assert!(e.to_string().contains("can't be cast"), "{e}");
    assert_eq!(out.to_vec::<i64>().unwrap(), [9, 9]);
    // abs of a float into an int out: torch.abs(torch.tensor([-1.5]), out=torch.zeros(1,
    // dtype=torch.long)): RuntimeError: result type Float can't be cast to the desired output type Long
    let f = Tensor::new([-1.5f32, 2.0], &CPU).unwrap();
    let e = Tensor::abs_out(&f, &mut out).unwrap_err();
    assert!(e.to_string().contains("can't be cast"), "{e}");
    assert_eq!(out.to_vec::<i64>().unwrap(), [9, 9]);
    // An int input into a float out computes in float: torch.exp(torch.tensor([1, 4]), out=f64)
    let mut o64 = Tensor::zeros([2], DType::F64, &CPU).unwrap();
    Tensor::exp_out(&i, &mut o64).unwrap();
    let v = o64.to_vec::<f64>().unwrap();
    assert!((v[0] - 1f64.exp()).abs() < 1e-12 && (v[1] - 4f64.exp()).abs() < 1e-11, "{v:?}");
    // Tests give Bool, for every dtype.
    for dtype in ALL_DTYPES {
        let t = Tensor::zeros([3], dtype, &CPU).unwrap();
        for r in [t.isnan(), t.isinf(), t.isfinite(), t.logical_not()] {
            assert_eq!(r.unwrap().dtype(), DType::Bool);
        }
    }
}

#[test]
fn integer_clamp_and_pow_as_torch() {
    // torch.tensor([0, 1, 5, 200], dtype=torch.uint8).clamp(min=-1, max=2) == [0, 1, 2, 2];
    // clamp(min=-300, max=3) == [0, 1, 3, 3]; clamp(min=1, max=300) == [1, 1, 5, 200] (uint8):
    // bounds outside the dtype's range do not wrap.
    let u = Tensor::new([0u8, 1, 5, 200], &CPU).unwrap();
    let c = |lo, hi| u.clamp(lo, hi).unwrap().to_vec::<u8>().unwrap();
    assert_eq!(c(Some(-1.0), Some(2.0)), [0, 1, 2, 2]);
    assert_eq!(c(Some(-300.0), Some(3.0)), [0, 1, 3, 3]);
    assert_eq!(c(Some(1.0), Some(300.0)), [1, 1, 5, 200]);
    assert_eq!(u.clamp(None, Some(4.0)).unwrap().dtype(), DType::U8);
    // torch.tensor([-5, 0, 5], dtype=torch.int32).clamp(-2, 2) == [-2, 0, 2]
    let i = Tensor::new([-5i32, 0, 5], &CPU).unwrap();
    assert_eq!(i.clamp(Some(-2.0), Some(2.0)).unwrap().to_vec::<i32>().unwrap(), [-2, 0, 2]);
    assert_eq!(i.clamp(Some(-1e30), None).unwrap().to_vec::<i32>().unwrap(), [-5, 0, 5]);
    // torch.tensor([3]) ** -1 (also uint8, bool bases): RuntimeError: Integers to negative integer
    // powers are not allowed. A tensor exponent is fine: torch.tensor([3]) ** torch.tensor(-1) == [0]
    for base in
        [Tensor::new([3i64], &CPU).unwrap(), Tensor::new([3u8], &CPU).unwrap(), Tensor::new([true], &CPU).unwrap()]
    {
        let e = base.pow(-1).unwrap_err();
        assert!(e.to_string().contains("Integers to negative integer powers are not allowed"), "{e}");
        let mut b = base.clone();
        assert!(b.pow_(-2).is_err());
        let mut out = base.clone();
        assert!(Tensor::pow_out(&base, -1, &mut out).is_err());
    }
    let three = Tensor::new([3i64], &CPU).unwrap();
    assert_eq!(three.pow(&Tensor::full([], -1, DType::I64, &CPU).unwrap()).unwrap().to_vec::<i64>().unwrap(), [0]);
    assert_eq!(three.pow(-1.0).unwrap().to_vec::<f32>().unwrap(), [1.0 / 3.0]);
    assert_eq!(three.pow(2).unwrap().to_vec::<i64>().unwrap(), [9]);
}

/// `op(x)` on float32 for X = [nan, inf, -inf, 0.0, -0.0, 1.5, -1.5, 0.5, -2.5, 2.5, 1e-8, 100.0,
/// -100.0, 3.0]:
/// ```python
/// x = torch.tensor(X, dtype=torch.float32)
/// ops = {'neg': torch.neg, ..., 'gelu': F.gelu, 'gelu_tanh': lambda t: F.gelu(t, approximate='tanh'),
///        'softplus': lambda t: F.softplus(t, beta=1.0, threshold=20.0),
///        'leaky_relu': lambda t: F.leaky_relu(t, 0.01), 'clamp': lambda t: torch.clamp(t, -1.0, 2.0),
///        'nan_to_num': torch.nan_to_num, 'isnan': torch.isnan, ..., 'logical_not': torch.logical_not}
/// for name, f in ops.items(): print(name, f(x).dtype, *f(x).tolist())
/// ```
/// (torch 2.15.0, CPU)
const UNARY_SPECIALS: &str = "
neg float32 NAN -INF INF -0.0 0.0 -1.5 1.5 -0.5 2.5 -2.5 -9.99999993922529e-09 -100.0 100.0 -3.0
abs float32 NAN INF INF 0.0 0.0 1.5 1.5 0.5 2.5 2.5 9.99999993922529e-09 100.0 100.0 3.0
sign float32 0.0 1.0 -1.0 0.0 0.0 1.0 -1.0 1.0 -1.0 1.0 1.0 1.0 -1.0 1.0
exp float32 NAN INF 0.0 1.0 1.0 4.481688976287842 0.22313016653060913 1.6487212181091309 0.08208499848842621 12.182494163513184 1.0 INF 3.783505853677006e-44 20.08553695678711
exp2 float32 NAN INF 0.0 1.0 1.0 2.8284270763397217 0.3535533845424652 1.4142135381698608 0.1767766922712326 5.656854152679443 1.0 1.2676506002282294e+30 7.888609052210118e-31 8.0
log float32 NAN INF NAN -INF -INF 0.40546509623527527 NAN -0.6931471824645996 NAN 0.9162907600402832 -18.42068099975586 4.605170249938965 NAN 1.0986123085021973
log2 float32 NAN INF NAN -INF -INF 0.5849624872207642 NAN -1.0 NAN 1.3219281435012817 -26.575424194335938 6.643856048583984 NAN 1.5849624872207642
log1p float32 NAN INF NAN 0.0 -0.0 0.9162907600402832 NAN 0.40546509623527527 NAN 1.2527629137039185 9.99999993922529e-09 4.6151204109191895 NAN 1.3862943649291992
expm1 float32 NAN INF -1.0 0.0 -0.0 3.481688976287842 -0.7768698334693909 0.6487212777137756 -0.9179149866104126 11.182494163513184 9.99999993922529e-09 INF -1.0 19.08553695678711
sqrt float32 NAN INF NAN 0.0 -0.0 1.2247449159622192 NAN 0.7071067690849304 NAN 1.5811388492584229 9.999999747378752e-05 10.0 NAN 1.7320507764816284
rsqrt float32 NAN 0.0 NAN INF -INF 0.8164965510368347 NAN 1.4142135381698608 NAN 0.6324555277824402 10000.0 0.10000000149011612 NAN 0.5773502588272095
sin float32 NAN NAN NAN 0.0 -0.0 0.9974949955940247 -0.9974949955940247 0.4794255495071411 -0.5984721183776855 0.5984721183776855 9.99999993922529e-09 -0.5063656568527222 0.5063656568527222 0.14112000167369843
cos float32 NAN NAN NAN 1.0 1.0 0.07073719799518585 0.07073719799518585 0.8775825500488281 -0.8011435866355896 -0.8011435866355896 1.0 0.8623188734054565 0.8623188734054565 -0.9899924993515015
tan float32 NAN NAN NAN 0.0 -0.0 14.101420402526855 -14.101420402526855 0.5463024973869324 0.747022271156311 -0.747022271156311 9.99999993922529e-09 -0.587213933467865 0.587213933467865 -0.14254654943943024
tanh float32 NAN 1.0 -1.0 0.0 -0.0 0.9051482677459717 -0.9051482677459717 0.46211716532707214 -0.9866142868995667 0.9866142868995667 9.99999993922529e-09 1.0 -1.0 0.9950547814369202
sigmoid float32 NAN 1.0 0.0 0.5 0.5 0.8175744414329529 0.18242552876472473 0.622459352016449 0.07585817575454712 0.9241418242454529 0.5 1.0 0.0 0.9525741338729858
relu float32 NAN INF 0.0 0.0 -0.0 1.5 0.0 0.5 0.0 2.5 9.99999993922529e-09 100.0 0.0 3.0
silu float32 NAN INF NAN 0.0 -0.0 1.226361632347107 -0.2736382782459259 0.3112296760082245 -0.189645454287529 2.310354471206665 4.999999969612645e-09 100.0 -0.0 2.857722520828247
floor float32 NAN INF -INF 0.0 -0.0 1.0 -2.0 0.0 -3.0 2.0 0.0 100.0 -100.0 3.0
ceil float32 NAN INF -INF 0.0 -0.0 2.0 -1.0 1.0 -2.0 3.0 1.0 100.0 -100.0 3.0
round float32 NAN INF -INF 0.0 -0.0 2.0 -2.0 0.0 -2.0 2.0 0.0 100.0 -100.0 3.0
trunc float32 NAN INF -INF 0.0 -0.0 1.0 -1.0 0.0 -2.0 2.0 0.0 100.0 -100.0 3.0
reciprocal float32 NAN 0.0 -0.0 INF -INF 0.6666666865348816 -0.6666666865348816 2.0 -0.4000000059604645 0.4000000059604645 100000000.0 0.009999999776482582 -0.009999999776482582 0.3333333432674408
square float32 NAN INF INF 0.0 0.0 2.25 2.25 0.25 6.25 6.25 1.0000000168623835e-16 10000.0 10000.0 9.0
erf float32 NAN 1.0 -1.0 0.0 -0.0 0.9661051630973816 -0.9661051630973816 0.5204998850822449 -0.9995930194854736 0.9995930194854736 1.1283791678806665e-08 1.0 -1.0 0.9999778866767883
gelu float32 NAN NAN NAN 0.0 -0.0 1.3997890949249268 -0.10021086037158966 0.3457312285900116 -0.015524178743362427 2.48447585105896 4.999999969612645e-09 100.0 -0.0 2.9959497451782227
gelu_tanh float32 NAN INF NAN 0.0 -0.0 1.3995715379714966 -0.10042843222618103 0.3457140028476715 -0.015084296464920044 2.4849157333374023 4.999999969612645e-09 100.0 -0.0 2.9963626861572266
softplus float32 NAN INF 0.0 0.6931471824645996 0.6931471824645996 1.7014132738113403 0.20141328871250153 0.9740769863128662 0.07888973504304886 2.578889846801758 0.6931471824645996 100.0 3.783505853677006e-44 3.0485873222351074
leaky_relu float32 NAN INF -INF 0.0 -0.0 1.5 -0.014999999664723873 0.5 -0.02499999850988388 2.5 9.99999993922529e-09 100.0 -1.0 3.0
clamp float32 NAN 2.0 -1.0 0.0 -0.0 1.5 -1.0 0.5 -1.0 2.0 9.99999993922529e-09 2.0 -1.0 2.0
nan_to_num float32 0.0 3.4028234663852886e+38 -3.4028234663852886e+38 0.0 -0.0 1.5 -1.5 0.5 -2.5 2.5 9.99999993922529e-09 100.0 -100.0 3.0
isnan bool true false false false false false false false false false false false false false
isinf bool false true true false false false false false false false false false false false
isfinite bool false false false true true true true true true true true true true true
logical_not bool false false false true true false false false false false false false false false
";

const SPECIAL_X: [f32; 14] =
    [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 0.0, -0.0, 1.5, -1.5, 0.5, -2.5, 2.5, 1e-8, 100.0, -100.0, 3.0];

#[test]
fn unary_special_values_as_torch() {
    let x = Tensor::from_vec(SPECIAL_X.to_vec(), [SPECIAL_X.len()]).unwrap();
    let mut failures = vec![];
    for line in UNARY_SPECIALS.trim().lines() {
        let parts: Vec<&str> = line.split_whitespace().collect();
        let got = match parts[0] {
            "neg" => x.neg(),
            "abs" => x.abs(),
            "sign" => x.sign(),
            "exp" => x.exp(),
            "exp2" => x.exp2(),
            "log" => x.log(),
            "log2" => x.log2(),
            "log1p" => x.log1p(),
            "expm1" => x.expm1(),
            "sqrt" => x.sqrt(),
            "rsqrt" => x.rsqrt(),
            "sin" => x.sin(),
            "cos" => x.cos(),
            "tan" => x.tan(),
            "tanh" => x.tanh(),
            "sigmoid" => x.sigmoid(),
            "relu" => x.relu(),
            "silu" => x.silu(),
            "floor" => x.floor(),
            "ceil" => x.ceil(),
            "round" => x.round(),
            "trunc" => x.trunc(),
            "reciprocal" => x.reciprocal(),
            "square" => x.square(),
            "erf" => x.erf(),
            "gelu" => x.gelu(false),
            "gelu_tanh" => x.gelu(true),
            "softplus" => x.softplus(1.0, 20.0),
            "leaky_relu" => x.leaky_relu(0.01),
            "clamp" => x.clamp(Some(-1.0), Some(2.0)),
            "nan_to_num" => x.nan_to_num(None, None, None),
            "isnan" => x.isnan(),
            "isinf" => x.isinf(),
            "isfinite" => x.isfinite(),
            "logical_not" => x.logical_not(),
            o => panic!("{o}"),
        }
        .unwrap();
        let want_dtype = if parts[1] == "bool" { DType::Bool } else { DType::F32 };
        assert_eq!(got.dtype(), want_dtype, "{}", parts[0]);
        let got = values(&got);
        for (i, w) in parts[2..].iter().enumerate() {
            // PyTorch's vectorised GELU gives NaN at ±inf (0.5 * x * (1 + erf(x / √2)) is
            // inf * 1 = inf at +inf mathematically); this crate gives the limit there.
            if parts[0].starts_with("gelu") && SPECIAL_X[i].is_infinite() {
                continue;
            }
            let w = parse(w);
            // PyTorch computes GELU in float32 (cancellation in 1 + erf for x < 0); this crate in
            // f64, rounded once: a few ulps apart there.
            let rtol = if parts[0].starts_with("gelu") { 5e-6 } else { 3e-7 };
            if !same(got[i], w, Tol { atol: 0.0, rtol }) {
                failures.push(format!("{}({:e}) = {:e}, torch {:e}", parts[0], SPECIAL_X[i], got[i], w));
            }
        }
    }
    assert!(failures.is_empty(), "{} differences from PyTorch:\n{}", failures.len(), failures.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// Operator sugar
// ---------------------------------------------------------------------------------------------

#[test]
fn operators() {
    let a = Tensor::new([1f32, 2., 3.], &CPU).unwrap();
    let b = Tensor::new([[10f32], [20.]], &CPU).unwrap();
    assert_eq!((&a + &b).to_vec2::<f32>().unwrap(), [[11., 12., 13.], [21., 22., 23.]]);
    assert_eq!((&a * 2.0f64).to_vec::<f32>().unwrap(), [2., 4., 6.]);
    assert_eq!((2.0f64 - &a).to_vec::<f32>().unwrap(), [1., 0., -1.]);
    assert_eq!((1.0f32 / a.shallow_clone()).to_vec::<f32>().unwrap(), [1., 0.5, 1. / 3.]);
    assert_eq!((-&a).to_vec::<f32>().unwrap(), [-1., -2., -3.]);
    assert_eq!((a.shallow_clone() - b.shallow_clone()).size(), &[2, 3]);
    // An int tensor with a float scalar on either side is float32; with an int scalar, int64.
    let i = Tensor::new([1i64, 2], &CPU).unwrap();
    assert_eq!((2.5f64 * &i).dtype(), DType::F32);
    assert_eq!((&i * 2.5f32).to_vec::<f32>().unwrap(), [2.5, 5.0]);
    assert_eq!((7i64 - &i).to_vec::<i64>().unwrap(), [6, 5]);
    assert_eq!((7i32 / &i).dtype(), DType::F32);
    // A bad shape panics with the method's message.
    let c = Tensor::new([1f32, 2.], &CPU).unwrap();
    let p = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| &a + &c)).unwrap_err();
    let msg = p.downcast_ref::<String>().cloned().unwrap_or_default();
    assert_eq!(msg, a.add(&c).unwrap_err().to_string());
    assert!(msg.starts_with("add: ") && msg.contains("[3]") && msg.contains("[2]"), "{msg}");
}
