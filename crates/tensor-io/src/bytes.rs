//! Element buffers as little-endian bytes, both ways, and the errors that name a file.

use std::fmt::Display;
use std::io::Read;
use tensor_core::cpu::CpuStorage;
use tensor_core::{err, DType, Error, SliceGuard, Tensor};

/// An I/O error of `op` about `source` (a path, or `<memory>`): `op: SOURCE: message`.
#[track_caller]
pub(crate) fn io_error(op: &'static str, source: &str, msg: impl Display) -> Error {
    err!(Io, op, "{source}: {msg}")
}

/// The number of elements of `dims`, or `None` when it, or the contiguous strides of `dims`,
/// would overflow (an element count must also fit in `isize`, as Rust allocations must).
pub(crate) fn checked_numel(dims: &[usize]) -> Option<usize> {
    let mut numel = 1usize;
    let mut extent = 1usize;
    for &d in dims {
        numel = numel.checked_mul(d)?;
        extent = extent.checked_mul(d.max(1))?;
    }
    (extent <= isize::MAX as usize).then_some(numel)
}

/// A contiguous tensor's elements as little-endian bytes: borrowed from the storage (a read
/// lock held) when the tensor is a contiguous CPU tensor on a little-endian machine, else a
/// host copy.
pub(crate) enum LeBytes<'a> {
    Bool(SliceGuard<'a, bool>),
    U8(SliceGuard<'a, u8>),
    I8(SliceGuard<'a, i8>),
    I16(SliceGuard<'a, i16>),
    U16(SliceGuard<'a, u16>),
    U32(SliceGuard<'a, u32>),
    U64(SliceGuard<'a, u64>),
    I32(SliceGuard<'a, i32>),
    I64(SliceGuard<'a, i64>),
    F16(SliceGuard<'a, half::f16>),
    BF16(SliceGuard<'a, half::bf16>),
    F32(SliceGuard<'a, f32>),
    F64(SliceGuard<'a, f64>),
    Owned(Vec<u8>),
}

impl<'a> LeBytes<'a> {
    /// True when [`of`](Self::of) would borrow `t`'s storage (and so hold its read lock).
    pub(crate) fn borrowable(t: &Tensor) -> bool {
        cfg!(target_endian = "little") && t.device().is_cpu() && t.is_contiguous()
    }

    /// The elements of `t` in row-major order, borrowed when `borrow` is true and possible.
    #[track_caller]
    pub(crate) fn of(t: &'a Tensor, borrow: bool) -> tensor_core::Result<Self> {
        if borrow && Self::borrowable(t) {
            return Ok(match t.dtype() {
                DType::Bool => LeBytes::Bool(t.as_slice()?),
                DType::U8 => LeBytes::U8(t.as_slice()?),
                DType::I8 => LeBytes::I8(t.as_slice()?),
                DType::I16 => LeBytes::I16(t.as_slice()?),
                DType::U16 => LeBytes::U16(t.as_slice()?),
                DType::U32 => LeBytes::U32(t.as_slice()?),
                DType::U64 => LeBytes::U64(t.as_slice()?),
                DType::I32 => LeBytes::I32(t.as_slice()?),
                DType::I64 => LeBytes::I64(t.as_slice()?),
                DType::F16 => LeBytes::F16(t.as_slice()?),
                DType::BF16 => LeBytes::BF16(t.as_slice()?),
                DType::F32 => LeBytes::F32(t.as_slice()?),
                DType::F64 => LeBytes::F64(t.as_slice()?),
            });
        }
        Ok(LeBytes::Owned(le_bytes_of(&t.to_cpu_storage()?)))
    }

    /// The bytes.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        match self {
            LeBytes::Bool(g) => bytemuck::cast_slice(g),
            LeBytes::U8(g) => g,
            LeBytes::I8(g) => bytemuck::cast_slice(g),
            LeBytes::I16(g) => bytemuck::cast_slice(g),
            LeBytes::U16(g) => bytemuck::cast_slice(g),
            LeBytes::U32(g) => bytemuck::cast_slice(g),
            LeBytes::U64(g) => bytemuck::cast_slice(g),
            LeBytes::I32(g) => bytemuck::cast_slice(g),
            LeBytes::I64(g) => bytemuck::cast_slice(g),
            LeBytes::F16(g) => bytemuck::cast_slice(g),
            LeBytes::BF16(g) => bytemuck::cast_slice(g),
            LeBytes::F32(g) => bytemuck::cast_slice(g),
            LeBytes::F64(g) => bytemuck::cast_slice(g),
            LeBytes::Owned(v) => v,
        }
    }
}

/// The little-endian bytes of a host storage.
fn le_bytes_of(s: &CpuStorage) -> Vec<u8> {
    fn le<T: bytemuck::Pod>(v: &[T]) -> Vec<u8> {
        let mut b = bytemuck::cast_slice::<T, u8>(v).to_vec();
        if cfg!(target_endian = "big") {
            swap_bytes(&mut b, std::mem::size_of::<T>());
        }
        b
    }
    match s {
        CpuStorage::Bool(v) => v.iter().map(|&b| b as u8).collect(),
        CpuStorage::U8(v) => v.clone(),
        CpuStorage::I8(v) => le(v),
        CpuStorage::I16(v) => le(v),
        CpuStorage::U16(v) => le(v),
        CpuStorage::U32(v) => le(v),
        CpuStorage::U64(v) => le(v),
        CpuStorage::I32(v) => le(v),
        CpuStorage::I64(v) => le(v),
        CpuStorage::F16(v) => le(v),
        CpuStorage::BF16(v) => le(v),
        CpuStorage::F32(v) => le(v),
        CpuStorage::F64(v) => le(v),
    }
}

/// Reverses the bytes of each `size`-byte element of `b` in place.
pub(crate) fn swap_bytes(b: &mut [u8], size: usize) {
    if size > 1 {
        b.chunks_exact_mut(size).for_each(<[u8]>::reverse);
    }
}

/// A host storage of `dtype` from `bytes` (whole elements) stored in the given byte order.
pub(crate) fn storage_from_bytes(dtype: DType, bytes: &[u8], big_endian: bool) -> CpuStorage {
    fn pod<T: bytemuck::Pod>(b: &[u8], big_endian: bool) -> Vec<T> {
        let mut v = vec![T::zeroed(); b.len() / std::mem::size_of::<T>()];
        let dst: &mut [u8] = bytemuck::cast_slice_mut(&mut v);
        dst.copy_from_slice(&b[..dst.len()]);
        if big_endian != cfg!(target_endian = "big") {
            swap_bytes(dst, std::mem::size_of::<T>());
        }
        v
    }
    match dtype {
        DType::Bool => CpuStorage::Bool(bytes.iter().map(|&x| x != 0).collect()),
        DType::U8 => CpuStorage::U8(bytes.to_vec()),
        DType::I8 => CpuStorage::I8(pod(bytes, big_endian)),
        DType::I16 => CpuStorage::I16(pod(bytes, big_endian)),
        DType::U16 => CpuStorage::U16(pod(bytes, big_endian)),
        DType::U32 => CpuStorage::U32(pod(bytes, big_endian)),
        DType::U64 => CpuStorage::U64(pod(bytes, big_endian)),
        DType::I32 => CpuStorage::I32(pod(bytes, big_endian)),
        DType::I64 => CpuStorage::I64(pod(bytes, big_endian)),
        DType::F16 => CpuStorage::F16(pod(bytes, big_endian)),
        DType::BF16 => CpuStorage::BF16(pod(bytes, big_endian)),
        DType::F32 => CpuStorage::F32(pod(bytes, big_endian)),
        DType::F64 => CpuStorage::F64(pod(bytes, big_endian)),
    }
}

/// Bytes read at a time when the reader's length is unknown: an allocation grows only as fast
/// as the data actually arrives.
const CHUNK: usize = 1 << 20;

/// Reads `n` elements of `dtype` stored in the given byte order. When `known` is false (a
/// stream, a compressed entry), the buffer grows chunk by chunk as bytes arrive, so a header
/// that promises more than the input holds cannot make a large allocation.
#[track_caller]
pub(crate) fn read_storage(
    r: &mut impl Read,
    dtype: DType,
    n: usize,
    big_endian: bool,
    known: bool,
) -> std::io::Result<CpuStorage> {
    fn pod<T: bytemuck::Pod>(r: &mut impl Read, n: usize, big_endian: bool, known: bool) -> std::io::Result<Vec<T>> {
        let size = std::mem::size_of::<T>();
        let mut v: Vec<T> = Vec::new();
        while v.len() < n {
            let step = if known { n } else { (n - v.len()).min(v.len().max(CHUNK / size)) };
            let old = v.len();
            v.resize(old + step, T::zeroed());
            r.read_exact(bytemuck::cast_slice_mut(&mut v[old..]))?;
        }
        if big_endian != cfg!(target_endian = "big") {
            swap_bytes(bytemuck::cast_slice_mut(&mut v), size);
        }
        Ok(v)
    }
    Ok(match dtype {
        DType::Bool => CpuStorage::Bool(pod::<u8>(r, n, false, known)?.into_iter().map(|x| x != 0).collect()),
        DType::U8 => CpuStorage::U8(pod(r, n, false, known)?),
        DType::I8 => CpuStorage::I8(pod(r, n, big_endian, known)?),
        DType::I16 => CpuStorage::I16(pod(r, n, big_endian, known)?),
        DType::U16 => CpuStorage::U16(pod(r, n, big_endian, known)?),
        DType::U32 => CpuStorage::U32(pod(r, n, big_endian, known)?),
        DType::U64 => CpuStorage::U64(pod(r, n, big_endian, known)?),
        DType::I32 => CpuStorage::I32(pod(r, n, big_endian, known)?),
        DType::I64 => CpuStorage::I64(pod(r, n, big_endian, known)?),
        DType::F16 => CpuStorage::F16(pod(r, n, big_endian, known)?),
        DType::BF16 => CpuStorage::BF16(pod(r, n, big_endian, known)?),
        DType::F32 => CpuStorage::F32(pod(r, n, big_endian, known)?),
        DType::F64 => CpuStorage::F64(pod(r, n, big_endian, known)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numel_overflow_is_none() {
        assert_eq!(checked_numel(&[]), Some(1));
        assert_eq!(checked_numel(&[0, usize::MAX]), None);
        assert_eq!(checked_numel(&[0, 1 << 20]), Some(0));
        assert_eq!(checked_numel(&[1 << 40, 1 << 40]), None);
        assert_eq!(checked_numel(&[3, 4]), Some(12));
    }

    #[test]
    fn chunked_and_known_reads_agree() {
        let bytes: Vec<u8> = (0..64u8).collect();
        for known in [false, true] {
            let le = read_storage(&mut &bytes[..], DType::I32, 16, false, known).unwrap();
            let be = read_storage(&mut &bytes[..], DType::I32, 16, true, known).unwrap();
            assert_eq!(
                le,
                CpuStorage::I32(bytes.chunks(4).map(|c| i32::from_le_bytes(c.try_into().unwrap())).collect())
            );
            assert_eq!(
                be,
                CpuStorage::I32(bytes.chunks(4).map(|c| i32::from_be_bytes(c.try_into().unwrap())).collect())
            );
        }
        assert!(read_storage(&mut &bytes[..], DType::F64, 9, false, false).is_err());
    }
}
