//! A cache of large host buffers, as PyTorch's CUDA caching allocator but for the CPU: when a
//! tensor's storage is freed, its buffer (if large) is kept, and the next op that needs a buffer
//! of the same dtype and length takes it instead of asking the system for fresh pages.
//!
//! Why: the system hands a large allocation out as untouched pages, and the first write to each
//! 4 KiB page faults into the kernel. For a 64 MB result that is about two thirds of the time
//! of `a + b` (measured: `add_out` into an existing tensor 12 ms, `a + b` into a fresh one
//! 43 ms). A loop that allocates results of the same sizes again and again (every training step)
//! then pays for the faults once.
//!
//! Only buffers of at least [`MIN_BYTES`] are kept (smaller ones come from the allocator's
//! warm heap; at 100–200 KB glibc still handed back fresh pages: LeNet's second pooling layer
//! spent a third of its time in page faults before the bound went from 256 to 64 KB), up to a
//! total of [`cpu_cache_limit`] bytes (default [`DEFAULT_LIMIT`]), oldest evicted first. [`empty_cpu_cache`] frees them all, as
//! `torch.cuda.empty_cache()`; `set_cpu_cache_limit(0)` turns caching off. Without the `std`
//! feature nothing is cached.

use super::CpuStorage;
use crate::{Element, Result, ResultExt};
use alloc::vec::Vec;

/// Buffers smaller than this are not kept.
pub const MIN_BYTES: usize = 64 << 10;
/// The default bound on the bytes kept.
pub const DEFAULT_LIMIT: usize = 512 << 20;

/// A buffer of `n` elements whose contents the caller overwrites entirely: a cached one (holding
/// stale values) when there is one of that length, else fresh zeroed memory. An OutOfMemory
/// error naming `op` when the system has no room for it.
#[track_caller]
pub(crate) fn buffer_for_overwrite<T: Element>(op: &'static str, n: usize) -> Result<Vec<T>> {
    match imp::take::<T>(n) {
        Some(v) => Ok(v),
        None => try_zeroed_vec(op, n),
    }
}

/// Kernel scratch of `n` elements, values unspecified: as [`buffer_for_overwrite`], but for
/// sizes bounded by inputs that already exist (a tile, a padded plane), so infallible.
pub(crate) fn scratch_for_overwrite<T: Element>(n: usize) -> Vec<T> {
    imp::take::<T>(n).unwrap_or_else(|| alloc::vec![T::ZERO; n])
}

/// A buffer of `n` zeros (a cached one is cleared: a memset is far cheaper than page faults).
#[track_caller]
pub(crate) fn zeroed_buffer<T: Element>(op: &'static str, n: usize) -> Result<Vec<T>> {
    match imp::take::<T>(n) {
        Some(mut v) => {
            super::update_chunks(&mut v, |piece| piece.fill(T::ZERO));
            Ok(v)
        }
        None => try_zeroed_vec(op, n),
    }
}

/// `n` zeros in fresh memory from the allocator's zeroed allocation (calloc: the system hands
/// out zero pages lazily), or an OutOfMemory error naming `op` and the bytes asked for, as
/// PyTorch raises, instead of aborting the process.
#[track_caller]
pub(crate) fn try_zeroed_vec<T: Element>(op: &'static str, n: usize) -> Result<Vec<T>> {
    bytemuck::allocation::try_zeroed_slice_box::<T>(n).map(Vec::from).map_err(|()| out_of_memory::<T>(op, n)).located()
}

/// The error for a failed allocation of `n` elements of `T`.
#[cold]
#[inline(never)]
#[track_caller]
pub(crate) fn out_of_memory<T: Element>(op: &'static str, n: usize) -> crate::Error {
    match n.checked_mul(core::mem::size_of::<T>()) {
        Some(bytes) => crate::err!(
            OutOfMemory,
            op,
            "not enough memory: tried to allocate {} bytes ({} elements of {})",
            bytes,
            n,
            T::DTYPE
        ),
        None => {
            crate::err!(OutOfMemory, op, "not enough memory: {} elements of {} overflow the address space", n, T::DTYPE)
        }
    }
}

/// Offers a freed storage's buffer to the cache (called when the last tensor of a storage goes).
pub(crate) fn recycle(storage: CpuStorage) {
    imp::put(storage)
}

/// Offers a scratch buffer to the cache.
pub(crate) fn recycle_vec<T: Element>(v: Vec<T>) {
    if !v.is_empty() {
        imp::put(T::into_storage(v))
    }
}

/// The bytes the cache may hold.
pub fn cpu_cache_limit() -> usize {
    imp::limit()
}

/// Sets the bytes the cache may hold (evicting down to it); 0 disables the cache.
pub fn set_cpu_cache_limit(bytes: usize) {
    imp::set_limit(bytes)
}

/// Frees every cached buffer.
pub fn empty_cpu_cache() {
    imp::empty()
}

/// The bytes held by the cache now.
pub fn cpu_cache_bytes() -> usize {
    imp::held()
}

#[cfg(feature = "std")]
fn bytes_of(s: &CpuStorage) -> usize {
    crate::with_cpu!(s, |v| core::mem::size_of_val(v.as_slice()))
}

#[cfg(feature = "std")]
mod imp {
    use super::*;
    use crate::DType;
    use std::collections::VecDeque;
    use std::sync::Mutex;

    struct Cache {
        /// Oldest first; a few dozen entries at most (each is at least `MIN_BYTES`).
        entries: VecDeque<(DType, usize, CpuStorage)>,
        held: usize,
        limit: usize,
    }

    static CACHE: Mutex<Cache> = Mutex::new(Cache { entries: VecDeque::new(), held: 0, limit: DEFAULT_LIMIT });

    fn lock() -> std::sync::MutexGuard<'static, Cache> {
        CACHE.lock().unwrap_or_else(|e| e.into_inner())
    }

    impl Cache {
        fn trim(&mut self) -> Vec<CpuStorage> {
            let mut evicted = Vec::new();
            while self.held > self.limit {
                let Some((_, _, s)) = self.entries.pop_front() else { break };
                self.held -= bytes_of(&s);
                evicted.push(s);
            }
            evicted
        }
    }

    pub(super) fn take<T: Element>(n: usize) -> Option<Vec<T>> {
        if n.saturating_mul(core::mem::size_of::<T>()) < MIN_BYTES {
            return None;
        }
        let mut c = lock();
        // The newest match: its pages are the likeliest to be in the CPU's caches.
        let i = c.entries.iter().rposition(|(d, len, _)| *d == T::DTYPE && *len == n)?;
        let (_, _, s) = c.entries.remove(i)?;
        c.held -= bytes_of(&s);
        drop(c);
        T::from_storage(s)
    }

    pub(super) fn put(s: CpuStorage) {
        let bytes = bytes_of(&s);
        if bytes < MIN_BYTES {
            return;
        }
        let evicted = {
            let mut c = lock();
            if bytes > c.limit / 2 {
                return;
            }
            let (dtype, len) = (s.dtype(), crate::with_cpu!(&s, |v| v.len()));
            c.held += bytes;
            c.entries.push_back((dtype, len, s));
            c.trim()
        };
        // Freed outside the lock.
        drop(evicted);
    }

    pub(super) fn limit() -> usize {
        lock().limit
    }

    pub(super) fn held() -> usize {
        lock().held
    }

    pub(super) fn set_limit(bytes: usize) {
        let evicted = {
            let mut c = lock();
            c.limit = bytes;
            c.trim()
        };
        // Freed outside the lock.
        drop(evicted);
    }

    pub(super) fn empty() {
        let evicted: Vec<CpuStorage> = {
            let mut c = lock();
            c.held = 0;
            c.entries.drain(..).map(|(_, _, s)| s).collect()
        };
        drop(evicted);
    }
}

#[cfg(not(feature = "std"))]
mod imp {
    use super::*;

    pub(super) fn take<T: Element>(_: usize) -> Option<Vec<T>> {
        None
    }
    pub(super) fn put(_: CpuStorage) {}
    pub(super) fn limit() -> usize {
        0
    }
    pub(super) fn held() -> usize {
        0
    }
    pub(super) fn set_limit(_: usize) {}
    pub(super) fn empty() {}
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;

    #[test]
    fn reuses_a_freed_buffer_of_the_same_length_and_dtype() {
        let n = MIN_BYTES / 4 * 2;
        let v = alloc::vec![7.0f32; n];
        let ptr = v.as_ptr();
        recycle(CpuStorage::F32(v));
        // Another dtype or length does not take it.
        assert!(imp::take::<i32>(n).is_none());
        assert!(imp::take::<f32>(n + 1).is_none());
        let z = zeroed_buffer::<f32>("test", n).unwrap();
        assert_eq!(z.as_ptr(), ptr);
        assert!(z.iter().all(|&x| x == 0.0));
    }

    #[test]
    fn a_huge_buffer_is_an_error_not_an_abort() {
        let e = try_zeroed_vec::<f32>("zeros", 1 << 40).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::OutOfMemory);
        assert_eq!(
            format!("{}: {}", e.op(), e.message()),
            "zeros: not enough memory: tried to allocate 4398046511104 bytes (1099511627776 elements of torch.float32)"
        );
        // Past the address space: no "capacity overflow" panic either.
        let e = buffer_for_overwrite::<f64>("empty", usize::MAX / 2).unwrap_err();
        assert!(
            e.to_string().contains("overflow the address space") || e.to_string().contains("not enough memory"),
            "{e}"
        );
    }

    #[test]
    fn small_buffers_are_not_kept() {
        recycle(CpuStorage::U8(alloc::vec![1u8; 100]));
        assert!(imp::take::<u8>(100).is_none());
    }
}
