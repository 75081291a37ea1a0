//! Runtime dtypes, the [`Element`] trait that links Rust types to them, scalars, and PyTorch's
//! type promotion (`torch.result_type`).

use core::fmt;
use half::{bf16, f16};

/// The element type of a tensor, chosen at run time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DType {
    /// `torch.bool`
    Bool,
    /// `torch.uint8`
    U8,
    /// `torch.int8`
    I8,
    /// `torch.int16` (`torch.short`)
    I16,
    /// `torch.int32`
    I32,
    /// `torch.int64` (`torch.long`): the dtype of integer literals.
    I64,
    /// `torch.uint16`: for storage, copies, indexing and casting; arithmetic computes in int64
    /// (PyTorch has few kernels for it).
    U16,
    /// `torch.uint32`: as `U16`.
    U32,
    /// `torch.uint64`: storage, copies, indexing, comparisons and casting only (int64 cannot
    /// hold it, so arithmetic is refused: convert with `to_dtype` first).
    U64,
    /// `torch.float16` (`torch.half`)
    F16,
    /// `torch.bfloat16`
    BF16,
    /// `torch.float32` (`torch.float`): the default float dtype.
    F32,
    /// `torch.float64` (`torch.double`)
    F64,
}

/// The dtype of float literals and of ops that turn integers into floats, as PyTorch's default.
pub const DEFAULT_FLOAT: DType = DType::F32;

/// The kind of a dtype, ordered as PyTorch orders categories in type promotion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Category {
    /// `bool`
    Bool,
    /// Signed or unsigned integers.
    Integer,
    /// Floating point.
    Float,
}

impl DType {
    /// Every dtype.
    pub const ALL: [DType; 13] = [
        DType::Bool,
        DType::U8,
        DType::I8,
        DType::I16,
        DType::I32,
        DType::I64,
        DType::U16,
        DType::U32,
        DType::U64,
        DType::F16,
        DType::BF16,
        DType::F32,
        DType::F64,
    ];

    /// Bytes per element.
    pub const fn size_in_bytes(self) -> usize {
        match self {
            DType::Bool | DType::U8 | DType::I8 => 1,
            DType::I16 | DType::U16 | DType::F16 | DType::BF16 => 2,
            DType::I32 | DType::U32 | DType::F32 => 4,
            DType::I64 | DType::U64 | DType::F64 => 8,
        }
    }
    /// True for f16, bf16, f32 and f64.
    pub const fn is_float(self) -> bool {
        matches!(self, DType::F16 | DType::BF16 | DType::F32 | DType::F64)
    }
    /// True for the signed and unsigned integers (not bool).
    pub const fn is_int(self) -> bool {
        matches!(
            self,
            DType::U8 | DType::I8 | DType::I16 | DType::I32 | DType::I64 | DType::U16 | DType::U32 | DType::U64
        )
    }
    /// True for the unsigned integers.
    pub const fn is_unsigned(self) -> bool {
        matches!(self, DType::U8 | DType::U16 | DType::U32 | DType::U64)
    }
    /// True for the dtypes every backend builds kernels for (bool, uint8, int32, int64 and the
    /// floats); false for int8, int16 and uint16/32/64, which the CPU stores, copies and casts
    /// natively and otherwise converts (see [`compute_dtype`](Self::compute_dtype)), and which
    /// stay on the host.
    pub const fn has_kernels(self) -> bool {
        !matches!(self, DType::I8 | DType::I16 | DType::U16 | DType::U32 | DType::U64)
    }
    /// The dtype a CPU kernel computes this one in, where it has no kernel of its own: f32 for
    /// f16 and bf16 (as PyTorch's `opmath_t`), int64 for int8, int16, uint16 and uint32 (exact,
    /// and wrapping arithmetic narrowed back wraps as the narrow type's own would). `None` for
    /// the dtypes with kernels, and for uint64, which int64 cannot hold.
    pub const fn compute_dtype(self) -> Option<DType> {
        match self {
            DType::F16 | DType::BF16 => Some(DType::F32),
            DType::I8 | DType::I16 | DType::U16 | DType::U32 => Some(DType::I64),
            _ => None,
        }
    }
    /// Bool, integer or float.
    pub const fn category(self) -> Category {
        match self {
            DType::Bool => Category::Bool,
            d if d.is_int() => Category::Integer,
            _ => Category::Float,
        }
    }
    /// PyTorch's name, as printed in a tensor's `dtype=` suffix (`torch.float64`).
    pub const fn torch_name(self) -> &'static str {
        match self {
            DType::Bool => "torch.bool",
            DType::U8 => "torch.uint8",
            DType::I8 => "torch.int8",
            DType::I16 => "torch.int16",
            DType::I32 => "torch.int32",
            DType::I64 => "torch.int64",
            DType::U16 => "torch.uint16",
            DType::U32 => "torch.uint32",
            DType::U64 => "torch.uint64",
            DType::F16 => "torch.float16",
            DType::BF16 => "torch.bfloat16",
            DType::F32 => "torch.float32",
            DType::F64 => "torch.float64",
        }
    }
    /// The float dtype an op that needs floats computes in: `self` if it is a float, else the
    /// default float dtype (as `torch.exp(int_tensor)` gives float32).
    pub const fn to_float(self) -> DType {
        if self.is_float() {
            self
        } else {
            DEFAULT_FLOAT
        }
    }
    /// The smallest dtype that holds both, as `torch.promote_types`.
    ///
    /// PyTorch refuses to promote uint16, uint32 and uint64 with any other integer dtype; here
    /// they promote as NumPy's `np.promote_types` does (uint16 with int8 is int32, uint32 with
    /// int32 is int64, uint64 with a signed integer is float64), so mixed arithmetic works
    /// where PyTorch raises.
    pub fn promote(self, other: DType) -> DType {
        use DType::*;
        if self == other {
            return self;
        }
        let (lo, hi) = if self < other { (self, other) } else { (other, self) };
        if hi.is_float() {
            return match (lo, hi) {
                (F16, BF16) => F32,
                _ => hi,
            };
        }
        // Both are bool or integers. `rank` orders the signed chain; an unsigned type needs a
        // signed type one size up to hold it.
        let signed_bytes = |d: DType| if d.is_unsigned() { 2 * d.size_in_bytes() } else { d.size_in_bytes() };
        match (lo, hi) {
            (Bool, _) => hi,
            // Unsigned with unsigned: the wider.
            (a, b) if a.is_unsigned() && b.is_unsigned() => {
                if a.size_in_bytes() >= b.size_in_bytes() {
                    a
                } else {
                    b
                }
            }
            // uint64 with a signed type: nothing integral holds both.
            (_, U64) => F64,
            // A signed type with an unsigned one (uint8 with int8 is int16, as PyTorch's table).
            (a, b) => match signed_bytes(a).max(signed_bytes(b)) {
                1 => I8,
                2 => I16,
                4 => I32,
                _ => I64,
            },
        }
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.torch_name())
    }
}

/// A number given by the user to an op (`x * 2.0`, `full(.., 7)`), with the category that
/// type promotion gives it: a Rust float acts as a Python float, an integer as a Python int.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scalar {
    /// `true` / `false`
    Bool(bool),
    /// An integer literal.
    Int(i64),
    /// A float literal.
    Float(f64),
}

impl Scalar {
    /// The value as f64.
    pub fn to_f64(self) -> f64 {
        match self {
            Scalar::Bool(b) => b as u8 as f64,
            Scalar::Int(i) => i as f64,
            Scalar::Float(f) => f,
        }
    }
    /// The dtype a tensor made of this scalar alone gets (`torch.tensor(2.5)` is float32).
    pub fn dtype(self) -> DType {
        match self {
            Scalar::Bool(_) => DType::Bool,
            Scalar::Int(_) => DType::I64,
            Scalar::Float(_) => DEFAULT_FLOAT,
        }
    }
}

macro_rules! scalar_from {
    ($($t:ty => $v:ident as $c:ty),*) => {$(
        impl From<$t> for Scalar {
            fn from(x: $t) -> Self { Scalar::$v(x as $c) }
        }
    )*};
}
scalar_from!(i8 => Int as i64, i16 => Int as i64, i32 => Int as i64, i64 => Int as i64,
    u8 => Int as i64, u16 => Int as i64, u32 => Int as i64, usize => Int as i64, isize => Int as i64,
    f32 => Float as f64, f64 => Float as f64);
impl From<bool> for Scalar {
    fn from(x: bool) -> Self {
        Scalar::Bool(x)
    }
}
impl From<f16> for Scalar {
    fn from(x: f16) -> Self {
        Scalar::Float(x.to_f64())
    }
}
impl From<bf16> for Scalar {
    fn from(x: bf16) -> Self {
        Scalar::Float(x.to_f64())
    }
}

/// One operand of type promotion, in PyTorch's three priority tiers: tensors with dims win over
/// 0-d tensors, which win over scalars, unless a lower tier brings a higher category.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Operand {
    /// A tensor with at least one dim.
    Tensor(DType),
    /// A 0-d tensor.
    ZeroDim(DType),
    /// A scalar (Rust number).
    Scalar(Scalar),
}

fn promote_opt(a: Option<DType>, b: DType) -> Option<DType> {
    Some(a.map_or(b, |a| a.promote(b)))
}

/// PyTorch's `combine_categories`: keep `higher` unless `lower` brings a higher category.
fn combine(higher: Option<DType>, lower: Option<DType>) -> Option<DType> {
    match (higher, lower) {
        (None, l) => l,
        (h, None) => h,
        (Some(h), Some(l)) => {
            if h.is_float() {
                Some(h)
            } else if h == DType::Bool || l.is_float() {
                Some(h.promote(l))
            } else {
                Some(h)
            }
        }
    }
}

/// The dtype of an op's result over these operands, as `torch.result_type`.
///
/// ```
/// use tensor_core::{result_type, DType, Operand, Scalar};
/// assert_eq!(result_type(&[Operand::Tensor(DType::I32), Operand::Scalar(Scalar::Float(2.5))]), DType::F32);
/// assert_eq!(result_type(&[Operand::Tensor(DType::F16), Operand::ZeroDim(DType::F64)]), DType::F16);
/// assert_eq!(result_type(&[Operand::Tensor(DType::U8), Operand::Scalar(Scalar::Int(300))]), DType::U8);
/// ```
pub fn result_type(operands: &[Operand]) -> DType {
    let (mut dim, mut zero, mut wrapped) = (None, None, None);
    for op in operands {
        match *op {
            Operand::Tensor(d) => dim = promote_opt(dim, d),
            Operand::ZeroDim(d) => zero = promote_opt(zero, d),
            Operand::Scalar(s) => wrapped = promote_opt(wrapped, s.dtype()),
        }
    }
    combine(dim, combine(zero, wrapped)).unwrap_or(DEFAULT_FLOAT)
}

mod sealed {
    pub trait Sealed {}
}

/// A Rust type that is the element of one [`DType`]. Sealed: the dtypes are fixed.
pub trait Element:
    sealed::Sealed
    + crate::cpu::storage::StorageOf
    + bytemuck::Zeroable
    + Copy
    + Send
    + Sync
    + PartialEq
    + PartialOrd
    + fmt::Debug
    + Default
    + 'static
{
    /// The dtype of this type.
    const DTYPE: DType;
    /// Zero (false).
    const ZERO: Self;
    /// One (true).
    const ONE: Self;
    /// Converts from f64 as `tensor.to(dtype)` does (saturating for floats to ints, NaN to 0;
    /// f16 and bf16 round through f32, as PyTorch's).
    fn from_f64(v: f64) -> Self;
    /// Converts to f64 (exact for every type but i64 past 2^53).
    fn to_f64(self) -> f64;
}

macro_rules! element {
    ($t:ty, $d:ident, $zero:expr, $one:expr, |$v:ident| $from:expr, |$s:ident| $to:expr) => {
        impl sealed::Sealed for $t {}
        impl Element for $t {
            const DTYPE: DType = DType::$d;
            const ZERO: Self = $zero;
            const ONE: Self = $one;
            #[inline(always)]
            fn from_f64($v: f64) -> Self {
                $from
            }
            #[inline(always)]
            fn to_f64(self) -> f64 {
                let $s = self;
                $to
            }
        }
    };
}
element!(bool, Bool, false, true, |v| v != 0.0, |s| s as u8 as f64);
element!(u8, U8, 0, 1, |v| v as i64 as u8, |s| s as f64);
element!(i8, I8, 0, 1, |v| v as i64 as i8, |s| s as f64);
element!(i16, I16, 0, 1, |v| v as i64 as i16, |s| s as f64);
element!(i32, I32, 0, 1, |v| v as i64 as i32, |s| s as f64);
element!(i64, I64, 0, 1, |v| v as i64, |s| s as f64);
element!(u16, U16, 0, 1, |v| v as i64 as u16, |s| s as f64);
element!(u32, U32, 0, 1, |v| v as i64 as u32, |s| s as f64);
// Negative values wrap (through int64) as for the other integer types; past 2^63, directly.
element!(u64, U64, 0, 1, |v| if v < 0.0 { v as i64 as u64 } else { v as u64 }, |s| s as f64);
// A double becomes a half through float, as PyTorch's `c10::Half(float(v))` (two roundings).
element!(f16, F16, f16::ZERO, f16::ONE, |v| f16::from_f32(v as f32), |s| s.to_f64());
element!(bf16, BF16, bf16::ZERO, bf16::ONE, |v| bf16::from_f32(v as f32), |s| s.to_f64());
element!(f32, F32, 0.0, 1.0, |v| v as f32, |s| s as f64);
element!(f64, F64, 0.0, 1.0, |v| v, |s| s);

#[cfg(test)]
mod tests {
    use super::*;
    use DType::*;

    #[test]
    fn promote_types_as_torch() {
        // torch.promote_types(a, b) for the pairs below.
        assert_eq!(U8.promote(I32), I32);
        assert_eq!(Bool.promote(U8), U8);
        assert_eq!(I64.promote(F16), F16);
        assert_eq!(F16.promote(BF16), F32);
        assert_eq!(BF16.promote(F64), F64);
        assert_eq!(I32.promote(F32), F32);
        assert_eq!(U8.promote(I8), I16);
        assert_eq!(I8.promote(I16), I16);
        assert_eq!(U8.promote(I16), I16);
        assert_eq!(I16.promote(I64), I64);
        assert_eq!(Bool.promote(I8), I8);
        assert_eq!(U16.promote(F16), F16);
        assert_eq!(U64.promote(F32), F32);
    }

    #[test]
    fn unsigned_promote_as_numpy() {
        // numpy.promote_types for the pairs PyTorch refuses.
        assert_eq!(U16.promote(U8), U16);
        assert_eq!(U16.promote(I8), I32);
        assert_eq!(U16.promote(I16), I32);
        assert_eq!(U16.promote(I32), I32);
        assert_eq!(U32.promote(I32), I64);
        assert_eq!(U32.promote(U16), U32);
        assert_eq!(U64.promote(U32), U64);
        assert_eq!(U64.promote(I8), F64);
        assert_eq!(U64.promote(Bool), U64);
        for a in DType::ALL {
            for b in DType::ALL {
                assert_eq!(a.promote(b), b.promote(a), "{a} {b}");
            }
        }
    }

    #[test]
    fn result_type_tiers() {
        let t = Operand::Tensor;
        let z = Operand::ZeroDim;
        let s = |x: Scalar| Operand::Scalar(x);
        // torch.result_type(torch.tensor([1], dtype=torch.int32), torch.tensor(1)) == int32
        assert_eq!(result_type(&[t(I32), z(I64)]), I32);
        // torch.result_type(torch.tensor([1]), torch.tensor(1.0, dtype=torch.float64)) == float64
        assert_eq!(result_type(&[t(I64), z(F64)]), F64);
        // torch.result_type(torch.tensor([True]), 1) == int64
        assert_eq!(result_type(&[t(Bool), s(Scalar::Int(1))]), I64);
        // torch.result_type(torch.tensor([True]), 1.5) == float32
        assert_eq!(result_type(&[t(Bool), s(Scalar::Float(1.5))]), F32);
        // torch.result_type(torch.tensor([1.], dtype=torch.float16), 1e10) == float16
        assert_eq!(result_type(&[t(F16), s(Scalar::Float(1e10))]), F16);
        // 0-d tensors alone promote among themselves.
        assert_eq!(result_type(&[z(I32), z(F64)]), F64);
        assert_eq!(result_type(&[s(Scalar::Int(1)), s(Scalar::Int(2))]), I64);
    }
}
