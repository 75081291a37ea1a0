//! Conversions and copies: dtype and device moves, `contiguous`, deep clones, `copy_`, and
//! reading values out (`item`, `to_vec*`, borrowed slices).

use crate::cpu::CpuStorage;
use crate::sync::ReadGuard;
use crate::{backend::Storage, bail, DType, Device, Element, Layout, Result, ResultExt, Tensor};
use alloc::vec::Vec;

impl Tensor {
    /// The elements in `dtype` (a new tensor; this one when the dtype already matches), as
    /// `x.to(torch.float64)`.
    #[track_caller]
    pub fn to_dtype(&self, dtype: DType) -> Result<Tensor> {
        if dtype == self.dtype() {
            return Ok(self.shallow_clone());
        }
        let s = self.read("cast")?.cast(self.layout(), dtype)?;
        Ok(Tensor::from_storage(s, self.shape(), self.device().clone()))
    }
    /// The tensor on `device` (this one when it is already there), as `x.to(device)`.
    #[track_caller]
    pub fn to_device(&self, device: &Device) -> Result<Tensor> {
        if device == self.device() {
            return Ok(self.shallow_clone());
        }
        let host = self.read("to_cpu")?.to_cpu(self.layout())?;
        Tensor::from_cpu_storage(host, self.shape(), device)
    }
    /// `to_device` then `to_dtype`, as `z.to("cpu", torch.double)`.
    #[track_caller]
    pub fn to(&self, device: &Device, dtype: DType) -> Result<Tensor> {
        self.to_device(device)?.to_dtype(dtype)
    }
    /// This tensor if contiguous, else a contiguous copy.
    #[track_caller]
    pub fn contiguous(&self) -> Result<Tensor> {
        if self.is_contiguous() {
            return Ok(self.shallow_clone());
        }
        self.try_clone()
    }
    /// A contiguous deep copy (PyTorch's `clone()`), or the device's allocation error.
    #[track_caller]
    pub fn try_clone(&self) -> Result<Tensor> {
        let mut out = self.device().uninit("contiguous", self.dtype(), self.numel())?;
        out.copy_from(&Layout::contiguous(self.shape()), &*self.read("as_ref")?, self.layout())?;
        Ok(Tensor::from_storage(out, self.shape(), self.device().clone()))
    }
    /// This tensor itself when no other tensor shares its storage and it is contiguous over the
    /// whole of it, else a contiguous copy ([`try_clone`](Self::try_clone)): a private
    /// contiguous tensor without a copy where one can be had, as autograd's `AccumulateGrad`
    /// takes an incoming gradient over as `.grad`.
    #[track_caller]
    pub fn into_unshared_contiguous(self) -> Result<Tensor> {
        let len = self.read("into_unshared_contiguous")?.len();
        if alloc::sync::Arc::strong_count(&self.storage) == 1 && self.layout.contiguous_range() == Some((0, len)) {
            Ok(self)
        } else {
            self.try_clone()
        }
    }
    /// A tensor that shares the storage but not the graph: on a plain tensor, the same handle.
    pub fn detach(&self) -> Tensor {
        self.shallow_clone()
    }

    /// Copies `src` into this tensor's elements, broadcasting and casting, as `x.copy_(src)`;
    /// writes through every view of the storage. A `src` that overlaps `self` is read first.
    #[track_caller]
    pub fn copy_(&mut self, src: &Tensor) -> Result<()> {
        self.same_device("copy_", &[src])?;
        self.check_writable("copy_")?;
        let src_b = src
            .broadcast_to(self.shape())
            .map_err(|_| {
                crate::err!(
                    Shape,
                    "copy_",
                    "source of shape {:?} cannot be broadcast to destination of shape {:?}",
                    src.shape(),
                    self.shape()
                )
            })
            .located()?;
        let src_b = if src.dtype() != self.dtype() || src.shares_storage(self) {
            src_b.to_dtype(self.dtype())?.detached_copy_if_shared(self)?
        } else {
            src_b
        };
        self.write_reading("copy_", [&src_b], |dst, [s]| dst.copy_from(self.layout(), s, src_b.layout()))
    }

    /// When `self` shares storage with `other`, a private copy; else `self`.
    #[track_caller]
    pub(crate) fn detached_copy_if_shared(self, other: &Tensor) -> Result<Tensor> {
        if self.shares_storage(other) {
            self.try_clone()
        } else {
            Ok(self)
        }
    }

    /// Sets every element to `value`, as `x.fill_(v)`. An expanded tensor (several elements
    /// at one location) is refused, as by every in-place op and as in PyTorch.
    #[track_caller]
    pub fn fill_(&mut self, value: impl Into<crate::Scalar>) -> Result<()> {
        let v = value.into();
        self.check_writable("fill_")?;
        self.write("fill_")?.fill(self.layout(), v)
    }
    /// Sets every element to zero, as `x.zero_()`.
    #[track_caller]
    pub fn zero_(&mut self) -> Result<()> {
        self.fill_(0)
    }

    /// The elements, contiguous, on the host.
    #[track_caller]
    pub fn to_cpu_storage(&self) -> Result<CpuStorage> {
        self.read("to_cpu")?.to_cpu(self.layout())
    }
    /// The elements in row-major order as `T` (converted from the tensor's dtype if needed).
    #[track_caller]
    pub fn to_vec<T: Element>(&self) -> Result<Vec<T>> {
        let t = self.to_dtype(T::DTYPE)?;
        let host = t.to_cpu_storage()?;
        Ok(T::from_storage(host).expect("cast produced the requested dtype"))
    }
    /// The rows of a 2-d tensor.
    #[track_caller]
    pub fn to_vec2<T: Element>(&self) -> Result<Vec<Vec<T>>> {
        if self.dim() != 2 {
            bail!(Shape, "to_vec2", "expected a 2-d tensor, got shape {:?}", self.shape());
        }
        let cols = self.size()[1];
        let v = self.to_vec::<T>()?;
        Ok((0..self.size()[0]).map(|r| v[r * cols..(r + 1) * cols].to_vec()).collect())
    }
    /// The nested rows of a 3-d tensor.
    #[track_caller]
    pub fn to_vec3<T: Element>(&self) -> Result<Vec<Vec<Vec<T>>>> {
        if self.dim() != 3 {
            bail!(Shape, "to_vec3", "expected a 3-d tensor, got shape {:?}", self.shape());
        }
        (0..self.size()[0]).map(|i| self.select(0, i as isize)?.to_vec2()).collect()
    }
    /// The value of a one-element tensor, as `x.item()`.
    #[track_caller]
    pub fn item<T: Element>(&self) -> Result<T> {
        if self.numel() != 1 {
            bail!(
                Value,
                "item",
                "a Tensor with {} elements cannot be converted to Scalar (shape {:?})",
                self.numel(),
                self.shape()
            );
        }
        Ok(self.to_vec::<T>()?[0])
    }

    /// Borrows the elements of a contiguous CPU tensor of element type `T`, without a copy.
    /// The guard holds a read lock: in-place writes to this storage wait until it is dropped.
    #[track_caller]
    pub fn as_slice<T: Element>(&self) -> Result<SliceGuard<'_, T>> {
        if !self.device().is_cpu() {
            bail!(Device, "as_slice", "expected a cpu tensor, got one on {}", self.device());
        }
        if self.dtype() != T::DTYPE {
            bail!(DType, "as_slice", "the tensor is {} but {} was asked for", self.dtype(), T::DTYPE);
        }
        let Some((start, end)) = self.layout().contiguous_range() else {
            bail!(
                Shape,
                "as_slice",
                "the tensor is not contiguous (shape {:?}, strides {:?}); call contiguous() first",
                self.shape(),
                self.stride()
            );
        };
        Ok(SliceGuard { guard: self.read("as_slice")?, start, end, _t: core::marker::PhantomData })
    }

    /// Runs `f` on the contiguous elements of a CPU tensor of element type `T`, mutably.
    #[track_caller]
    pub fn with_mut_slice<T: Element, R>(&mut self, f: impl FnOnce(&mut [T]) -> R) -> Result<R> {
        if !self.device().is_cpu() || self.dtype() != T::DTYPE {
            bail!(
                DType,
                "with_mut_slice",
                "expected a cpu tensor of {}, got {} on {}",
                T::DTYPE,
                self.dtype(),
                self.device()
            );
        }
        let Some((start, end)) = self.layout().contiguous_range() else {
            bail!(
                Shape,
                "with_mut_slice",
                "the tensor is not contiguous (shape {:?}, strides {:?})",
                self.shape(),
                self.stride()
            );
        };
        let mut g = self.write("with_mut_slice")?;
        let cpu = g.as_any_mut().downcast_mut::<CpuStorage>().expect("cpu device holds cpu storage");
        Ok(f(&mut T::slice_of_mut(cpu).expect("dtype checked")[start..end]))
    }

    /// A contiguous tensor owning a new storage made by `f` (crate-internal).
    pub(crate) fn from_op(storage: Storage, shape: impl Into<crate::Shape>, device: &Device) -> Tensor {
        Tensor::from_storage(storage, shape, device.clone())
    }
}

/// A borrowed, zero-copy view of a contiguous CPU tensor's elements (see [`Tensor::as_slice`]).
pub struct SliceGuard<'a, T> {
    guard: ReadGuard<'a, Storage>,
    start: usize,
    end: usize,
    _t: core::marker::PhantomData<T>,
}

impl<T: Element> core::ops::Deref for SliceGuard<'_, T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        let cpu = self.guard.as_any().downcast_ref::<CpuStorage>().expect("cpu device holds cpu storage");
        &T::slice_of(cpu).expect("dtype checked")[self.start..self.end]
    }
}

impl<T: Element> core::fmt::Debug for SliceGuard<'_, T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(&**self, f)
    }
}
