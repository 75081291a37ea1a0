//! The CPU backend's storage, [`CpuStorage`] (one `Vec` per dtype), and what every CPU kernel
//! shares: the strided walker (`iter.rs`), the buffer cache, element traits, streaming stores,
//! the thread pool, checked small matrix products (`gemm.rs`), vectorisable f32 math (`vmath.rs`) and loops run with the widest vector unit
//! (`wide.rs`). The kernels themselves, and each family's `impl <Family>Ops for
//! CpuStorage`, live beside their op in `ops/<family>/cpu.rs`, above this module: nothing here
//! imports them.

pub mod cache;
mod elem;
pub(crate) mod gemm;
mod iter;
mod prefetch;
pub(crate) mod storage;
mod stream;
mod threads;
pub(crate) mod vmath;
pub(crate) mod wide;

pub(crate) use cache::{buffer_for_overwrite, recycle_vec, scratch_for_overwrite, zeroed_buffer};
pub use elem::{CpuElem, FloatElem, IntElem};
pub(crate) use iter::{fill_blocks, fill_rows, for_each_piece, par_threshold, update_chunks, update_rows, Row};
#[cfg(feature = "std")]
pub(crate) use iter::{par_fill_pieces, par_fill_pieces_of};
pub(crate) use prefetch::prefetch;
pub use storage::{CpuStorage, StorageOf};
pub(crate) use threads::enlist_main_thread;
#[cfg(feature = "std")]
pub use threads::{get_num_threads, set_num_threads};

use crate::backend::base::StorageBase;
use crate::{DType, Element, Result};
use alloc::string::String;
use alloc::vec::Vec;
use core::any::Any;

/// Runs `$body` with `$v` bound to the storage's `Vec` (or slice) of whatever type it holds.
#[macro_export]
#[doc(hidden)]
macro_rules! with_cpu {
    ($s:expr, |$v:ident| $body:expr) => {
        match $s {
            $crate::cpu::CpuStorage::Bool($v) => $body,
            $crate::cpu::CpuStorage::U8($v) => $body,
            $crate::cpu::CpuStorage::I8($v) => $body,
            $crate::cpu::CpuStorage::I16($v) => $body,
            $crate::cpu::CpuStorage::I32($v) => $body,
            $crate::cpu::CpuStorage::I64($v) => $body,
            $crate::cpu::CpuStorage::U16($v) => $body,
            $crate::cpu::CpuStorage::U32($v) => $body,
            $crate::cpu::CpuStorage::U64($v) => $body,
            $crate::cpu::CpuStorage::F16($v) => $body,
            $crate::cpu::CpuStorage::BF16($v) => $body,
            $crate::cpu::CpuStorage::F32($v) => $body,
            $crate::cpu::CpuStorage::F64($v) => $body,
        }
    };
}

/// Runs `$body` for two storages of the same dtype, or returns a dtype error for `$op`.
macro_rules! with_cpu2 {
    ($op:expr, $a:expr, $b:expr, |$x:ident, $y:ident| $body:expr) => {
        match ($a, $b) {
            (CpuStorage::Bool($x), CpuStorage::Bool($y)) => $body,
            (CpuStorage::U8($x), CpuStorage::U8($y)) => $body,
            (CpuStorage::I8($x), CpuStorage::I8($y)) => $body,
            (CpuStorage::I16($x), CpuStorage::I16($y)) => $body,
            (CpuStorage::I32($x), CpuStorage::I32($y)) => $body,
            (CpuStorage::I64($x), CpuStorage::I64($y)) => $body,
            (CpuStorage::U16($x), CpuStorage::U16($y)) => $body,
            (CpuStorage::U32($x), CpuStorage::U32($y)) => $body,
            (CpuStorage::U64($x), CpuStorage::U64($y)) => $body,
            (CpuStorage::F16($x), CpuStorage::F16($y)) => $body,
            (CpuStorage::BF16($x), CpuStorage::BF16($y)) => $body,
            (CpuStorage::F32($x), CpuStorage::F32($y)) => $body,
            (CpuStorage::F64($x), CpuStorage::F64($y)) => $body,
            (a, b) => {
                $crate::bail!(DType, $op, "expected two tensors of one dtype, got {} and {}", a.dtype(), b.dtype())
            }
        }
    };
}
pub(crate) use with_cpu2;

/// Runs `$body` with `$t` naming the element type of `$dtype` (the inverse of [`with_cpu`]):
/// `with_dtype!(dtype, |T| StorageOf::into_storage(buffer::<T>(n)?))`.
macro_rules! with_dtype {
    ($dtype:expr, |$t:ident| $body:expr) => {
        match $dtype {
            $crate::DType::Bool => {
                type $t = bool;
                $body
            }
            $crate::DType::U8 => {
                type $t = u8;
                $body
            }
            $crate::DType::I8 => {
                type $t = i8;
                $body
            }
            $crate::DType::I16 => {
                type $t = i16;
                $body
            }
            $crate::DType::I32 => {
                type $t = i32;
                $body
            }
            $crate::DType::I64 => {
                type $t = i64;
                $body
            }
            $crate::DType::U16 => {
                type $t = u16;
                $body
            }
            $crate::DType::U32 => {
                type $t = u32;
                $body
            }
            $crate::DType::U64 => {
                type $t = u64;
                $body
            }
            $crate::DType::F16 => {
                type $t = half::f16;
                $body
            }
            $crate::DType::BF16 => {
                type $t = half::bf16;
                $body
            }
            $crate::DType::F32 => {
                type $t = f32;
                $body
            }
            $crate::DType::F64 => {
                type $t = f64;
                $body
            }
        }
    };
}

/// [`with_cpu`] over the dtypes that have kernels of their own (bool, uint8, int32, int64 and the
/// floats), `$other` for the rest (int8, int16, uint16/32/64, which convert through int64): a
/// nest of two would otherwise compile 169 loops.
macro_rules! with_kernel_cpu {
    ($s:expr, |$v:ident| $body:expr, else $other:expr) => {
        match $s {
            $crate::cpu::CpuStorage::Bool($v) => $body,
            $crate::cpu::CpuStorage::U8($v) => $body,
            $crate::cpu::CpuStorage::I32($v) => $body,
            $crate::cpu::CpuStorage::I64($v) => $body,
            $crate::cpu::CpuStorage::F16($v) => $body,
            $crate::cpu::CpuStorage::BF16($v) => $body,
            $crate::cpu::CpuStorage::F32($v) => $body,
            $crate::cpu::CpuStorage::F64($v) => $body,
            _ => $other,
        }
    };
}
pub(crate) use with_kernel_cpu;

/// [`with_dtype`] over the dtypes of [`with_kernel_cpu`], `$other` for the rest.
macro_rules! with_kernel_dtype {
    ($dtype:expr, |$t:ident| $body:expr, else $other:expr) => {
        match $dtype {
            $crate::DType::Bool => {
                type $t = bool;
                $body
            }
            $crate::DType::U8 => {
                type $t = u8;
                $body
            }
            $crate::DType::I32 => {
                type $t = i32;
                $body
            }
            $crate::DType::I64 => {
                type $t = i64;
                $body
            }
            $crate::DType::F16 => {
                type $t = half::f16;
                $body
            }
            $crate::DType::BF16 => {
                type $t = half::bf16;
                $body
            }
            $crate::DType::F32 => {
                type $t = f32;
                $body
            }
            $crate::DType::F64 => {
                type $t = f64;
                $body
            }
            _ => $other,
        }
    };
}
pub(crate) use with_kernel_dtype;

impl CpuStorage {
    /// The dtype of the elements.
    pub fn dtype(&self) -> DType {
        match self {
            CpuStorage::Bool(_) => DType::Bool,
            CpuStorage::U8(_) => DType::U8,
            CpuStorage::I8(_) => DType::I8,
            CpuStorage::I16(_) => DType::I16,
            CpuStorage::I32(_) => DType::I32,
            CpuStorage::I64(_) => DType::I64,
            CpuStorage::U16(_) => DType::U16,
            CpuStorage::U32(_) => DType::U32,
            CpuStorage::U64(_) => DType::U64,
            CpuStorage::F16(_) => DType::F16,
            CpuStorage::BF16(_) => DType::BF16,
            CpuStorage::F32(_) => DType::F32,
            CpuStorage::F64(_) => DType::F64,
        }
    }
    /// Number of elements.
    pub fn len(&self) -> usize {
        with_cpu!(self, |v| v.len())
    }
    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// `numel` zeros of `dtype` (a cleared cached buffer, or calloc: the OS zeroes pages lazily);
    /// an OutOfMemory error naming `op` when there is no room.
    #[track_caller]
    pub fn zeros(op: &'static str, dtype: DType, numel: usize) -> Result<Self> {
        Ok(with_dtype!(dtype, |T| StorageOf::into_storage(zeroed_buffer::<T>(op, numel)?)))
    }
    /// A storage of `numel` elements that the caller overwrites entirely (perhaps a cached
    /// buffer holding stale values); an OutOfMemory error naming `op` when there is no room.
    #[track_caller]
    pub(crate) fn for_overwrite(op: &'static str, dtype: DType, numel: usize) -> Result<Self> {
        Ok(with_dtype!(dtype, |T| StorageOf::into_storage(buffer_for_overwrite::<T>(op, numel)?)))
    }
    /// `n` values of `dtype` from `values` (which yields at least `n`), in memory asked for
    /// first: an OutOfMemory error naming `op` instead of an abort.
    #[track_caller]
    pub(crate) fn try_from_f64s(
        op: &'static str,
        dtype: DType,
        n: usize,
        values: impl Iterator<Item = f64>,
    ) -> Result<Self> {
        let mut s = CpuStorage::for_overwrite(op, dtype, n)?;
        crate::with_cpu!(&mut s, |v| v.iter_mut().zip(values).for_each(|(o, x)| *o = Element::from_f64(x)));
        Ok(s)
    }
    /// Converts `f64` values to a storage of `dtype`.
    pub fn from_f64s(dtype: DType, values: impl Iterator<Item = f64>) -> Self {
        with_dtype!(dtype, |T| StorageOf::into_storage(values.map(T::from_f64).collect::<Vec<T>>()))
    }
    /// The elements as a slice of `T`, if `T` is the dtype.
    pub fn as_slice<T: Element>(&self) -> Option<&[T]> {
        T::slice_of(self)
    }
    /// The elements as a mutable slice of `T`, if `T` is the dtype.
    pub fn as_mut_slice<T: Element>(&mut self) -> Option<&mut [T]> {
        T::slice_of_mut(self)
    }
    /// Reads element `i` as f64.
    pub fn get_f64(&self, i: usize) -> f64 {
        with_cpu!(self, |v| v[i].to_f64())
    }
}

impl StorageBase for CpuStorage {
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
    fn backend_name(&self) -> String {
        String::from("cpu")
    }
    fn dtype(&self) -> DType {
        CpuStorage::dtype(self)
    }
    fn len(&self) -> usize {
        CpuStorage::len(self)
    }
}
