//! The CPU's storage type, [`CpuStorage`] (one `Vec` per dtype), and [`StorageOf`], typed
//! access to it. At the bottom of the crate: it names only Rust's element types, so the dtype
//! module's `Element` can require `StorageOf` without importing anything that imports it.

use alloc::vec::Vec;
use half::{bf16, f16};

/// The elements of a tensor in host memory: one `Vec` of the dtype's Rust type.
#[derive(Debug, Clone, PartialEq)]
pub enum CpuStorage {
    /// `torch.bool`.
    Bool(Vec<bool>),
    /// `torch.uint8`.
    U8(Vec<u8>),
    /// `torch.int8`.
    I8(Vec<i8>),
    /// `torch.int16`.
    I16(Vec<i16>),
    /// `torch.int32`.
    I32(Vec<i32>),
    /// `torch.int64`.
    I64(Vec<i64>),
    /// `torch.uint16`.
    U16(Vec<u16>),
    /// `torch.uint32`.
    U32(Vec<u32>),
    /// `torch.uint64`.
    U64(Vec<u64>),
    /// `torch.float16`.
    F16(Vec<f16>),
    /// `torch.bfloat16`.
    BF16(Vec<bf16>),
    /// `torch.float32`.
    F32(Vec<f32>),
    /// `torch.float64`.
    F64(Vec<f64>),
}

/// Typed access to a [`CpuStorage`]; implemented for every element type.
pub trait StorageOf: Sized {
    /// The storage's elements if they are of this type.
    fn slice_of(s: &CpuStorage) -> Option<&[Self]>;
    /// The storage's elements, mutably, if they are of this type.
    fn slice_of_mut(s: &mut CpuStorage) -> Option<&mut [Self]>;
    /// Wraps a `Vec` of this type, without copying.
    fn into_storage(v: Vec<Self>) -> CpuStorage;
    /// Takes the `Vec` back out, if it is of this type.
    fn from_storage(s: CpuStorage) -> Option<Vec<Self>>;
}

macro_rules! storage_of {
    ($($t:ty => $v:ident),*) => {$(
        impl StorageOf for $t {
            fn slice_of(s: &CpuStorage) -> Option<&[Self]> {
                match s { CpuStorage::$v(v) => Some(v), _ => None }
            }
            fn slice_of_mut(s: &mut CpuStorage) -> Option<&mut [Self]> {
                match s { CpuStorage::$v(v) => Some(v), _ => None }
            }
            fn into_storage(v: Vec<Self>) -> CpuStorage {
                CpuStorage::$v(v)
            }
            fn from_storage(s: CpuStorage) -> Option<Vec<Self>> {
                match s { CpuStorage::$v(v) => Some(v), _ => None }
            }
        }
    )*};
}
storage_of!(bool => Bool, u8 => U8, i8 => I8, i16 => I16, i32 => I32, i64 => I64, u16 => U16, u32 => U32, u64 => U64,
    f16 => F16, bf16 => BF16, f32 => F32, f64 => F64);
