//! [`Tensor`]: a cheap handle to shared storage seen through a [`Layout`].
//!
//! This module owns the handle and its introspection; creation, views, conversions and each op
//! family live in their own files (`tensor/*.rs`, `ops/<family>/`).

mod convert;
mod create;
mod rhs;
mod sample;
mod views;

pub use convert::SliceGuard;
pub use create::NdArray;
pub use rhs::Rhs;
pub use views::{s, IndexItem, IndexItems, NewAxis, Slice};

use crate::backend::Storage;
use crate::cpu::CpuStorage;
use crate::sync::{ReadGuard, RwLock, WriteGuard};
use crate::{DType, Device, Layout, Result, ResultExt, Shape};
use alloc::sync::Arc;
use core::sync::atomic::{AtomicUsize, Ordering};

/// The elements of one or more tensors that are views of each other, with a version counter
/// that every in-place write bumps (autograd checks it, as PyTorch does).
#[derive(Debug)]
pub(crate) struct StorageCell {
    data: RwLock<Storage>,
    version: AtomicUsize,
    device: Device,
    dtype: DType,
    /// The storage's length in elements (fixed for its life): every layout of a tensor over
    /// this storage reaches only indices below it.
    len: usize,
}

impl Drop for StorageCell {
    /// Hands a large host buffer to the CPU buffer cache ([`crate::cpu::cache`]).
    fn drop(&mut self) {
        if self.len * self.dtype.size_in_bytes() < crate::cpu::cache::MIN_BYTES {
            return; // Too small to keep: freed as it is.
        }
        if let Some(cpu) = self.data.get_mut().as_any_mut().downcast_mut::<CpuStorage>() {
            crate::cpu::cache::recycle(core::mem::replace(cpu, CpuStorage::U8(alloc::vec::Vec::new())));
        }
    }
}

/// An n-dimensional array of one dtype on one device.
///
/// A `Tensor` is a handle: views (`view`, `transpose`, `narrow`, `select`, `expand`, ...) share
/// the storage and allocate nothing; in-place ops (`add_`, `copy_`, ...) write through every
/// view of it. [`Clone`] is PyTorch's `clone()`: a deep copy that owns new storage;
/// [`shallow_clone`](Tensor::shallow_clone) makes another handle to the same storage.
///
/// ```
/// use tensor_core::{Tensor, DType, Device};
/// let x = Tensor::arange(0.0, 16.0, 1.0, &Device::Cpu)?.view(&[-1, 8])?;
/// assert_eq!(x.size(), &[2, 8]);
/// assert_eq!(x.dtype(), DType::F32);
/// # Ok::<(), tensor_core::Error>(())
/// ```
pub struct Tensor {
    storage: Arc<StorageCell>,
    layout: Layout,
}

impl Tensor {
    /// A tensor owning `storage`, contiguous with `shape`.
    pub(crate) fn from_storage(storage: Storage, shape: impl Into<Shape>, device: Device) -> Tensor {
        // Before any CPU kernel can run on it, the main thread joins the kernels' thread pool.
        crate::cpu::enlist_main_thread();
        let dtype = storage.dtype();
        let len = storage.len();
        let layout = Layout::contiguous(shape);
        assert!(
            layout.numel() <= len,
            "tensor-core: a storage of {len} elements was given the shape {:?}",
            layout.shape()
        );
        Tensor {
            storage: Arc::new(StorageCell {
                data: RwLock::new(storage),
                version: AtomicUsize::new(0),
                device,
                dtype,
                len,
            }),
            layout,
        }
    }

    /// Another handle to this tensor's storage, with the same layout (no copy).
    #[inline]
    pub fn shallow_clone(&self) -> Tensor {
        Tensor { storage: self.storage.clone(), layout: self.layout.clone() }
    }

    /// A handle to this tensor's storage with another layout (crate-internal: views). The one
    /// place a layout meets a storage: an error unless every element it reaches lies inside.
    #[inline]
    #[track_caller]
    pub(crate) fn with_layout(&self, layout: Layout) -> Result<Tensor> {
        layout.check_within("view", self.storage.len)?;
        Ok(Tensor { storage: self.storage.clone(), layout })
    }

    /// The sizes, as `torch.Size`.
    #[inline]
    pub fn size(&self) -> &[usize] {
        self.layout.dims()
    }
    /// The shape.
    #[inline]
    pub fn shape(&self) -> &Shape {
        self.layout.shape()
    }
    /// Size of one dim (negative counts from the end).
    #[track_caller]
    pub fn size_of(&self, dim: isize) -> Result<usize> {
        let d = crate::shape::normalize_dim("size", dim, self.dim())?;
        Ok(if self.dim() == 0 { 1 } else { self.size()[d] })
    }
    /// Number of dims.
    #[inline]
    pub fn dim(&self) -> usize {
        self.layout.rank()
    }
    /// Number of elements.
    #[inline]
    pub fn numel(&self) -> usize {
        self.layout.numel()
    }
    /// Strides, in elements.
    #[inline]
    pub fn stride(&self) -> &[usize] {
        self.layout.strides()
    }
    /// Offset of the first element in the storage, in elements.
    #[inline]
    pub fn storage_offset(&self) -> usize {
        self.layout.offset()
    }
    /// The layout (shape, strides, offset).
    #[inline]
    pub fn layout(&self) -> &Layout {
        &self.layout
    }
    /// The dtype.
    #[inline]
    pub fn dtype(&self) -> DType {
        self.storage.dtype
    }
    /// The device.
    #[inline]
    pub fn device(&self) -> &Device {
        &self.storage.device
    }
    /// True when the elements are dense and row-major.
    #[inline]
    pub fn is_contiguous(&self) -> bool {
        self.layout.is_contiguous()
    }
    /// True for float dtypes.
    #[inline]
    pub fn is_floating_point(&self) -> bool {
        self.dtype().is_float()
    }
    /// True when both handles share one storage (so writes to one can show in the other).
    #[inline]
    pub fn shares_storage(&self, other: &Tensor) -> bool {
        Arc::ptr_eq(&self.storage, &other.storage)
    }
    /// The storage's version: the number of in-place writes it has seen.
    #[inline]
    pub fn version(&self) -> usize {
        self.storage.version.load(Ordering::Acquire)
    }
    /// An identifier of the storage, equal for tensors that share it.
    pub fn storage_id(&self) -> usize {
        Arc::as_ptr(&self.storage) as *const () as usize
    }

    /// Read access to the storage for `op` (a Borrow error when this thread writes it).
    #[track_caller]
    pub(crate) fn read(&self, op: &'static str) -> Result<ReadGuard<'_, Storage>> {
        self.storage.data.read(op)
    }
    /// Write access to the storage for `op`; bumps the version. A Borrow error when this
    /// thread holds the storage already (see [`crate::sync`]).
    #[track_caller]
    pub(crate) fn write(&self, op: &'static str) -> Result<WriteGuard<'_, Storage>> {
        let guard = self.storage.data.write(op)?;
        self.storage.version.fetch_add(1, Ordering::AcqRel);
        Ok(guard)
    }

    /// Runs `f` on the storages of `tensors` under read locks, taken in the global order of
    /// [`write_reading`](Self::write_reading) (a storage shared by several is locked once).
    #[track_caller]
    pub(crate) fn read_all<R, const N: usize>(
        op: &'static str,
        tensors: [&Tensor; N],
        f: impl FnOnce([&Storage; N]) -> Result<R>,
    ) -> Result<R> {
        lock_in_order(op, None, tensors, |_, refs| f(refs))
    }

    /// Runs `f` with this tensor's storage locked for writing and each of `sources` for
    /// reading (a storage shared by several sources is locked once). The locks are taken in
    /// one global order, by storage address, so two threads writing each other's sources
    /// (`a.copy_(&b)` beside `b.copy_(&a)`) cannot deadlock. A source that shares this tensor's
    /// storage is a Borrow error naming `op`: callers copy such a source first.
    #[track_caller]
    pub(crate) fn write_reading<R, const N: usize>(
        &self,
        op: &'static str,
        sources: [&Tensor; N],
        f: impl FnOnce(&mut Storage, [&Storage; N]) -> Result<R>,
    ) -> Result<R> {
        if let Some(s) = sources.iter().find(|s| s.shares_storage(self)) {
            crate::bail!(
                Borrow,
                op,
                "a source of shape {:?} shares the storage it would be written into (of shape {:?})",
                s.shape(),
                self.shape()
            );
        }
        lock_in_order(op, Some(self), sources, |w, refs| f(w.expect("a writer was given"), refs))
    }

    /// [`write_reading`](Self::write_reading) for several written tensors at once (an optimizer
    /// step updates a parameter and its state): each of `writers` locked for writing, each of
    /// `sources` for reading, all in the one global order. Writers that share a storage with
    /// each other or with a source are a Borrow error naming `op`.
    #[track_caller]
    pub(crate) fn write_several<R, const W: usize, const N: usize>(
        op: &'static str,
        writers: [&Tensor; W],
        sources: [&Tensor; N],
        f: impl FnOnce([&mut Storage; W], [&Storage; N]) -> Result<R>,
    ) -> Result<R> {
        for (i, w) in writers.iter().enumerate() {
            w.check_writable(op)?;
            let clash = writers[..i].iter().chain(sources.iter()).find(|o| o.shares_storage(w));
            if let Some(o) = clash {
                crate::bail!(
                    Borrow,
                    op,
                    "a tensor of shape {:?} shares the storage of one it would be written into (of shape {:?})",
                    o.shape(),
                    w.shape()
                );
            }
        }
        let mut order: smallvec::SmallVec<[(&Tensor, bool); 8]> = smallvec::SmallVec::new();
        for (t, write) in writers.iter().map(|&w| (w, true)).chain(sources.iter().map(|&s| (s, false))) {
            if !order.iter().any(|(o, _)| o.shares_storage(t)) {
                order.push((t, write));
            }
        }
        order.sort_by_key(|(t, _)| t.storage_id());
        let mut written: smallvec::SmallVec<[(usize, WriteGuard<'_, Storage>); 4]> = smallvec::SmallVec::new();
        let mut readers: smallvec::SmallVec<[(usize, StorageRead<'_>); 4]> = smallvec::SmallVec::new();
        for (t, write) in order {
            if write {
                written.push((t.storage_id(), t.write(op)?));
            } else {
                readers.push((t.storage_id(), t.read(op)?));
            }
        }
        let refs: [&Storage; N] = core::array::from_fn(|i| {
            let id = sources[i].storage_id();
            readers.iter().find(|(k, _)| *k == id).map(|(_, g)| &**g).expect("every source was locked")
        });
        let mut slots: smallvec::SmallVec<[Option<(usize, &mut Storage)>; 4]> =
            written.iter_mut().map(|(id, g)| Some((*id, &mut **g))).collect();
        let writes: [&mut Storage; W] = core::array::from_fn(|i| {
            let id = writers[i].storage_id();
            let slot =
                slots.iter_mut().find(|s| s.as_ref().is_some_and(|(k, _)| *k == id)).expect("every writer was locked");
            slot.take().expect("writers are distinct").1
        });
        f(writes, refs).located()
    }

    /// Checks that `others` live on this tensor's device.
    #[track_caller]
    pub(crate) fn same_device(&self, op: &'static str, others: &[&Tensor]) -> Result<()> {
        for o in others {
            if o.device() != self.device() {
                crate::bail!(
                    Device,
                    op,
                    "expected all tensors to be on the same device, but found at least two devices, {} and {}",
                    self.device(),
                    o.device()
                );
            }
        }
        Ok(())
    }
}

impl Clone for Tensor {
    /// PyTorch's `clone()`: a contiguous deep copy. Panics only if the device cannot allocate;
    /// [`try_clone`](Tensor::try_clone) returns that error instead.
    fn clone(&self) -> Self {
        match self.try_clone() {
            Ok(t) => t,
            Err(e) => panic!("{e}"),
        }
    }
}

impl core::fmt::Debug for Tensor {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Display::fmt(self, f)
    }
}

impl Tensor {
    /// Refuses in-place writes to a tensor whose elements overlap (an expanded dim), as PyTorch.
    #[track_caller]
    pub(crate) fn check_writable(&self, op: &'static str) -> Result<()> {
        let overlaps = self.size().iter().zip(self.stride()).any(|(&d, &s)| d > 1 && s == 0);
        if overlaps {
            crate::bail!(
                Value,
                op,
                "unsupported operation: more than one element of the written-to tensor (shape {:?}, strides {:?}) refers to a single memory location. Please clone() the tensor before performing the operation.",
                self.shape(),
                self.stride()
            );
        }
        Ok(())
    }
}

/// A read lock on a storage.
type StorageRead<'a> = ReadGuard<'a, Storage>;

/// Locks `writer` (if any) for writing and `sources` for reading, each storage once, in the
/// order of their addresses, then runs `f`. (`writer` shares no storage with a source.)
#[track_caller]
fn lock_in_order<R, const N: usize>(
    op: &'static str,
    writer: Option<&Tensor>,
    sources: [&Tensor; N],
    f: impl FnOnce(Option<&mut Storage>, [&Storage; N]) -> Result<R>,
) -> Result<R> {
    let mut order: smallvec::SmallVec<[&Tensor; 4]> = smallvec::SmallVec::new();
    for s in sources.iter().copied().chain(writer) {
        if !order.iter().any(|o| o.shares_storage(s)) {
            order.push(s);
        }
    }
    order.sort_by_key(|t| t.storage_id());
    let mut readers: smallvec::SmallVec<[(usize, StorageRead<'_>); 4]> = smallvec::SmallVec::new();
    let mut written = None;
    for t in order {
        if writer.is_some_and(|w| w.shares_storage(t)) {
            written = Some(t.write(op)?);
        } else {
            readers.push((t.storage_id(), t.read(op)?));
        }
    }
    let refs: [&Storage; N] = core::array::from_fn(|i| {
        let id = sources[i].storage_id();
        readers.iter().find(|(k, _)| *k == id).map(|(_, g)| &**g).expect("every source was locked")
    });
    f(written.as_deref_mut(), refs).located()
}
