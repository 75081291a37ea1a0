//! `ndarray` interop (feature `ndarray`): views of a CPU tensor's elements as
//! [`ArrayViewD`] / [`ArrayViewMutD`] with the tensor's own strides (no copy), and conversions
//! from and to owned [`Array`]s.
//!
//! The storage sits behind a lock, so a view lives inside a guard or a closure:
//! [`Tensor::array_view`] returns an [`ArrayViewGuard`] that holds the read lock (as
//! [`Tensor::as_slice`] does), [`Tensor::with_array_view`] and [`Tensor::with_array_view_mut`]
//! lend the view to a closure. Any layout works for reading, expanded (zero-stride) dims
//! included; a mutable view refuses a tensor whose elements overlap, as in-place ops do.

use crate::backend::Storage;
use crate::cpu::CpuStorage;
use crate::sync::ReadGuard;
use crate::{bail, err, Element, Layout, Result, ResultExt, Tensor};
use ::ndarray::{Array, ArrayD, ArrayViewD, ArrayViewMutD, Dimension, IxDyn, ShapeBuilder, StrideShape};

use alloc::vec::Vec;
use core::marker::PhantomData;

/// The shape and strides of `layout` as ndarray's, and the storage range its elements start
/// at (clamped to the storage, since a tensor with no elements may sit past its end).
fn nd_shape(layout: &Layout, storage_len: usize) -> (StrideShape<IxDyn>, usize) {
    let shape = IxDyn(layout.dims()).strides(IxDyn(layout.strides()));
    (shape, layout.offset().min(storage_len))
}

/// Checks that `t` is a CPU tensor of `T`, naming `op`.
#[track_caller]
fn check<T: Element>(op: &'static str, t: &Tensor) -> Result<()> {
    if !t.device().is_cpu() {
        bail!(Device, op, "expected a cpu tensor, got one on {}", t.device());
    }
    if t.dtype() != T::DTYPE {
        bail!(DType, op, "the tensor is {} but {} was asked for", t.dtype(), T::DTYPE);
    }
    Ok(())
}

fn elements_of<T: Element>(s: &Storage) -> &[T] {
    let cpu = s.as_any().downcast_ref::<CpuStorage>().expect("cpu device holds cpu storage");
    T::slice_of(cpu).expect("dtype checked")
}

impl Tensor {
    /// Borrows the elements of a CPU tensor of element type `T` as an [`ArrayViewD`] with this
    /// tensor's shape and strides, without a copy (any layout: transposed, sliced with a step,
    /// expanded). The guard holds a read lock: in-place writes to this storage wait until it
    /// is dropped.
    ///
    /// ```
    /// use tensor_core::{Tensor, Device};
    /// let x = Tensor::arange(0.0, 6.0, 1.0, &Device::Cpu)?.view(&[2, 3])?;
    /// let t = x.t()?; // strides [1, 3]
    /// let guard = t.array_view::<f32>()?;
    /// let a = guard.view();
    /// assert_eq!(a.shape(), &[3, 2]);
    /// assert_eq!(a.strides(), &[1, 3]);
    /// assert_eq!(a[[2, 1]], 5.0);
    /// assert_eq!(a.sum(), 15.0);
    /// # Ok::<(), tensor_core::Error>(())
    /// ```
    #[track_caller]
    pub fn array_view<T: Element>(&self) -> Result<ArrayViewGuard<'_, T>> {
        check::<T>("array_view", self)?;
        let guard = self.read("array_view")?;
        let elems = elements_of::<T>(&guard);
        let (shape, start) = nd_shape(self.layout(), elems.len());
        ArrayViewD::from_shape(shape, &elems[start..])
            .map_err(|e| err!(Shape, "array_view", "shape {:?} with strides {:?}: {e}", self.shape(), self.stride()))
            .located()?;
        Ok(ArrayViewGuard { guard, layout: self.layout().clone(), _t: PhantomData })
    }

    /// Runs `f` on an [`ArrayViewD`] of this CPU tensor's elements (see
    /// [`array_view`](Tensor::array_view)); expanded dims show as zero strides.
    ///
    /// ```
    /// use tensor_core::{Tensor, Device};
    /// let row = Tensor::new([1i64, 2, 3], &Device::Cpu)?;
    /// let wide = row.expand(&[4, 3])?; // stride 0 along dim 0
    /// let total = wide.with_array_view::<i64, _>(|a| {
    ///     assert_eq!(a.strides(), &[0, 1]);
    ///     a.sum()
    /// })?;
    /// assert_eq!(total, 24);
    /// # Ok::<(), tensor_core::Error>(())
    /// ```
    #[track_caller]
    pub fn with_array_view<T: Element, R>(&self, f: impl FnOnce(ArrayViewD<'_, T>) -> R) -> Result<R> {
        let guard = self.array_view::<T>()?;
        Ok(f(guard.view()))
    }

    /// Runs `f` on an [`ArrayViewMutD`] of this CPU tensor's elements with its own strides, no
    /// copy; writes go to the storage (every view of it sees them) and bump its version, as an
    /// in-place op. A tensor whose elements overlap (an expanded dim) is refused, as PyTorch
    /// refuses in-place writes to it.
    ///
    /// ```
    /// use tensor_core::{Tensor, DType, Device};
    /// let base = Tensor::zeros(&[2, 3], DType::F64, &Device::Cpu)?;
    /// let mut col = base.narrow(1, 1, 1)?; // a strided view of the middle column
    /// col.with_array_view_mut::<f64, _>(|mut a| a.fill(7.0))?;
    /// assert_eq!(base.to_vec2::<f64>()?, [[0.0, 7.0, 0.0], [0.0, 7.0, 0.0]]);
    /// # Ok::<(), tensor_core::Error>(())
    /// ```
    #[track_caller]
    pub fn with_array_view_mut<T: Element, R>(&mut self, f: impl FnOnce(ArrayViewMutD<'_, T>) -> R) -> Result<R> {
        check::<T>("with_array_view_mut", self)?;
        self.check_writable("with_array_view_mut")?;
        let mut g = self.write("with_array_view_mut")?;
        let cpu = g.as_any_mut().downcast_mut::<CpuStorage>().expect("cpu device holds cpu storage");
        let elems = T::slice_of_mut(cpu).expect("dtype checked");
        let (shape, start) = nd_shape(self.layout(), elems.len());
        let view = ArrayViewMutD::from_shape(shape, &mut elems[start..])
            .map_err(|e| {
                err!(Shape, "with_array_view_mut", "shape {:?} with strides {:?}: {e}", self.shape(), self.stride())
            })
            .located()?;
        Ok(f(view))
    }

    /// A CPU tensor from an owned array. An array in standard (row-major) layout at the start
    /// of its buffer gives its buffer to the tensor without a copy; so does a column-major
    /// (Fortran) one, which becomes a transposed view, as `torch.from_numpy` keeps strides.
    /// Any other layout is copied, in logical order.
    ///
    /// ```
    /// use ndarray::{array, Array2, ShapeBuilder};
    /// use tensor_core::Tensor;
    /// let a = array![[1.0f32, 2.0, 3.0], [4.0, 5.0, 6.0]];
    /// let ptr = a.as_ptr();
    /// let t = Tensor::from_ndarray(a)?;
    /// assert_eq!(t.as_slice::<f32>()?.as_ptr(), ptr); // no copy
    /// assert_eq!(t.size(), &[2, 3]);
    ///
    /// let f = Array2::from_shape_vec((2, 3).f(), vec![1i32, 4, 2, 5, 3, 6]).unwrap();
    /// let t = Tensor::from_ndarray(f)?; // column-major: strides [1, 2]
    /// assert_eq!(t.stride(), &[1, 2]);
    /// assert_eq!(t.to_vec2::<i32>()?, [[1, 2, 3], [4, 5, 6]]);
    /// # Ok::<(), tensor_core::Error>(())
    /// ```
    #[track_caller]
    pub fn from_ndarray<T: Element, D: Dimension>(a: Array<T, D>) -> Result<Tensor> {
        let shape: Vec<usize> = a.shape().to_vec();
        let n = a.len();
        if a.is_standard_layout() {
            let (v, offset) = a.into_raw_vec_and_offset();
            let start = offset.unwrap_or(0);
            if start == 0 && v.len() == n {
                return Tensor::from_vec(v, shape);
            }
            return Tensor::from_vec(v[start..start + n].to_vec(), shape);
        }
        if a.ndim() > 1 && a.t().is_standard_layout() {
            let (v, offset) = a.into_raw_vec_and_offset();
            let start = offset.unwrap_or(0);
            let reversed: Vec<usize> = shape.iter().rev().copied().collect();
            let buffer = if start == 0 && v.len() == n { v } else { v[start..start + n].to_vec() };
            let dims: Vec<isize> = (0..shape.len() as isize).rev().collect();
            return Tensor::from_vec(buffer, reversed)?.permute(&dims);
        }
        Tensor::from_vec(a.iter().copied().collect(), shape)
    }

    /// The elements as a new row-major [`ArrayD`] of `T` (converted from the tensor's dtype
    /// and copied to the host as needed).
    ///
    /// ```
    /// use tensor_core::{Tensor, Device};
    /// let t = Tensor::new([[1u8, 2], [3, 4]], &Device::Cpu)?;
    /// let a = t.t()?.to_ndarray::<f64>()?;
    /// assert_eq!(a, ndarray::array![[1.0, 3.0], [2.0, 4.0]].into_dyn());
    /// # Ok::<(), tensor_core::Error>(())
    /// ```
    #[track_caller]
    pub fn to_ndarray<T: Element>(&self) -> Result<ArrayD<T>> {
        ArrayD::from_shape_vec(IxDyn(self.size()), self.to_vec::<T>()?)
            .map_err(|e| err!(Shape, "to_ndarray", "shape {:?}: {e}", self.shape()))
            .located()
    }
}

/// A read-locked, zero-copy view of a CPU tensor's elements as an ndarray (see
/// [`Tensor::array_view`]); [`view`](ArrayViewGuard::view) gives the [`ArrayViewD`].
pub struct ArrayViewGuard<'a, T> {
    guard: ReadGuard<'a, Storage>,
    layout: Layout,
    _t: PhantomData<T>,
}

impl<T: Element> ArrayViewGuard<'_, T> {
    /// The view, with the tensor's shape and strides (in elements).
    pub fn view(&self) -> ArrayViewD<'_, T> {
        let elems = elements_of::<T>(&self.guard);
        let (shape, start) = nd_shape(&self.layout, elems.len());
        ArrayViewD::from_shape(shape, &elems[start..]).expect("checked when the guard was made")
    }
}

impl<T: Element> core::fmt::Debug for ArrayViewGuard<'_, T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(&self.view(), f)
    }
}

#[cfg(test)]
mod tests {
    use crate::{DType, Device, Tensor};
    use ::ndarray::{s, Array3, ShapeBuilder};

    fn arange(n: usize) -> Tensor {
        Tensor::from_vec((0..n as i64).collect::<alloc::vec::Vec<_>>(), [n]).unwrap()
    }

    #[test]
    fn views_match_indexing_for_every_layout() {
        let base = arange(24).view(&[2, 3, 4]).unwrap();
        let layouts = [
            base.shallow_clone(),
            base.permute(&[2, 0, 1]).unwrap(),
            base.slice(2, Some(1), None, 2).unwrap(),
            base.select(1, 2).unwrap(),
            base.select(1, 0).unwrap().unsqueeze(0).unwrap().expand(&[5, 2, 4]).unwrap(),
            base.narrow(0, 1, 1).unwrap().narrow(2, 1, 0).unwrap(),
            base.select(0, 1).unwrap().select(0, 2).unwrap().select(0, 3).unwrap(),
        ];
        for t in &layouts {
            let expect = t.contiguous().unwrap().to_vec::<i64>().unwrap();
            t.with_array_view::<i64, _>(|a| {
                assert_eq!(a.shape(), t.size());
                let strides: alloc::vec::Vec<usize> = a.strides().iter().map(|&s| s as usize).collect();
                if t.numel() > 0 {
                    assert_eq!(strides, t.stride());
                }
                assert_eq!(a.iter().copied().collect::<alloc::vec::Vec<_>>(), expect);
            })
            .unwrap();
        }
    }

    #[test]
    fn wrong_dtype_device_or_overlap_is_an_error() {
        let t = Tensor::zeros([2, 2], DType::F32, &Device::Cpu).unwrap();
        assert!(t.array_view::<f64>().is_err());
        let mut wide = t.narrow(0, 0, 1).unwrap().expand(&[3, 2]).unwrap();
        assert!(wide.with_array_view::<f32, _>(|a| a.len()).is_ok());
        let e = wide.with_array_view_mut::<f32, _>(|_| ()).unwrap_err();
        assert!(e.message().contains("single memory location"), "{e}");
    }

    #[test]
    fn mutable_view_writes_through_and_bumps_version() {
        let base = arange(12).view(&[3, 4]).unwrap();
        let mut t = base.t().unwrap().slice(0, Some(1), None, 2).unwrap(); // [2, 3], strides [2, 4]
        let v0 = base.version();
        t.with_array_view_mut::<i64, _>(|mut a| a.map_inplace(|x| *x = -*x)).unwrap();
        assert!(base.version() > v0);
        assert_eq!(base.to_vec2::<i64>().unwrap(), [[0, -1, 2, -3], [4, -5, 6, -7], [8, -9, 10, -11]]);
    }

    #[test]
    fn from_ndarray_takes_or_copies() {
        let a = Array3::from_shape_fn((2, 3, 4), |(i, j, k)| (i * 12 + j * 4 + k) as f64);
        let b = a.clone();
        let ptr = b.as_ptr();
        let t = crate::Tensor::from_ndarray(b).unwrap();
        assert_eq!(t.as_slice::<f64>().unwrap().as_ptr(), ptr);
        let expect: alloc::vec::Vec<f64> = (0..24).map(f64::from).collect();
        assert_eq!(t.to_vec::<f64>().unwrap(), expect);
        // Fortran order: a transposed view over the same buffer.
        let f = Array3::from_shape_vec((2, 3, 4).f(), a.t().iter().copied().collect()).unwrap();
        let fptr = f.as_ptr();
        let tf = crate::Tensor::from_ndarray(f).unwrap();
        assert_eq!(tf.stride(), &[1, 2, 6]);
        assert_eq!(tf.to_vec::<f64>().unwrap(), expect);
        assert_eq!(tf.permute(&[2, 1, 0]).unwrap().as_slice::<f64>().unwrap().as_ptr(), fptr);
        // A sliced owned array (offset, step): copied in logical order.
        let mut sliced = a.clone();
        sliced.slice_collapse(s![.., 1.., ..;2]);
        let ts = crate::Tensor::from_ndarray(sliced.clone()).unwrap();
        assert_eq!(ts.size(), &[2, 2, 2]);
        assert_eq!(ts.to_vec::<f64>().unwrap(), sliced.iter().copied().collect::<alloc::vec::Vec<_>>());
        // Round trip through to_ndarray.
        assert_eq!(ts.to_ndarray::<f64>().unwrap(), sliced.into_dyn());
        // Zero-d and empty arrays.
        let z = crate::Tensor::from_ndarray(::ndarray::arr0(3u8)).unwrap();
        assert_eq!((z.dim(), z.item::<u8>().unwrap()), (0, 3));
        let e = crate::Tensor::from_ndarray(::ndarray::Array2::<bool>::default((0, 3))).unwrap();
        assert_eq!(e.size(), &[0, 3]);
    }
}
