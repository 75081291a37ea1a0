//! Element-type families for the CPU kernels. Kernels `match` on the op once, outside the loop,
//! and pass a closure that calls these trait methods, so each (op, dtype) pair compiles to its
//! own loop that inlines and vectorises.

use crate::Element;
use half::{bf16, f16};

/// The float dtypes (f16 and bf16 compute through f32 inside `num_traits::Float`).
pub trait FloatElem: Element + num_traits::Float + core::ops::AddAssign + core::iter::Sum {
    /// Converts from f64.
    fn of(v: f64) -> Self;
    /// Converts to f64.
    fn f64(self) -> f64;
}

macro_rules! float_elem {
    ($($t:ty),*) => {$(
        impl FloatElem for $t {
            #[inline(always)]
            fn of(v: f64) -> Self { <$t as Element>::from_f64(v) }
            #[inline(always)]
            fn f64(self) -> f64 { <$t as Element>::to_f64(self) }
        }
    )*};
}
float_elem!(f16, bf16, f32, f64);

/// The integer dtypes; arithmetic wraps on overflow, as PyTorch's.
pub trait IntElem:
    Element
    + num_traits::PrimInt
    + num_traits::WrappingAdd
    + num_traits::WrappingSub
    + num_traits::WrappingMul
    + core::ops::AddAssign
{
    /// True for signed types.
    const SIGNED: bool;
    /// From i64 (wrapping).
    fn of_i64(v: i64) -> Self;
    /// To i64.
    fn i64(self) -> i64;
}

macro_rules! int_elem {
    ($($t:ty: $s:expr),*) => {$(
        impl IntElem for $t {
            const SIGNED: bool = $s;
            #[inline(always)]
            fn of_i64(v: i64) -> Self { v as $t }
            #[inline(always)]
            fn i64(self) -> i64 { self as i64 }
        }
    )*};
}
int_elem!(u8: false, i8: true, i16: true, i32: true, i64: true, u16: false, u32: false, u64: false);

/// Every element type: what reductions, comparisons and copies need.
pub trait CpuElem: Element {}
impl<T: Element> CpuElem for T {}
