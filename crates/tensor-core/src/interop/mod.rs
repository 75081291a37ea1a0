//! Zero-copy exchange of element buffers with other Rust types.
//!
//! Always available: [`Tensor::from_vec`] and [`Tensor::from_boxed_slice`] take a buffer's
//! ownership without copying; [`Tensor::as_slice`] and [`Tensor::with_mut_slice`] lend a
//! contiguous CPU tensor's elements.
//!
//! With the `ndarray` feature (off by default; it builds without `std`): borrowed
//! `ndarray` views of a CPU tensor with any strides (`Tensor::array_view`, which returns an
//! `ArrayViewGuard`, `Tensor::with_array_view`, `Tensor::with_array_view_mut`), and
//! `Tensor::from_ndarray` / `Tensor::to_ndarray`.

#[cfg(feature = "ndarray")]
mod ndarray;
#[cfg(feature = "ndarray")]
pub use self::ndarray::ArrayViewGuard;

use crate::{bail, Element, Result, Shape, Tensor};
use alloc::boxed::Box;

impl Tensor {
    /// A CPU tensor that takes ownership of `data` without copying (a boxed slice becomes the
    /// storage's `Vec` as is), viewed as `shape`.
    ///
    /// ```
    /// use tensor_core::Tensor;
    /// let data: Box<[i32]> = vec![1, 2, 3, 4, 5, 6].into_boxed_slice();
    /// let ptr = data.as_ptr();
    /// let t = Tensor::from_boxed_slice(data, &[2, 3])?;
    /// assert_eq!(t.as_slice::<i32>()?.as_ptr(), ptr); // the same memory
    /// assert_eq!(t.to_vec2::<i32>()?, [[1, 2, 3], [4, 5, 6]]);
    /// # Ok::<(), tensor_core::Error>(())
    /// ```
    #[track_caller]
    pub fn from_boxed_slice<T: Element>(data: Box<[T]>, shape: impl Into<Shape>) -> Result<Tensor> {
        let shape = shape.into();
        if shape.numel() != data.len() {
            bail!(
                Shape,
                "from_boxed_slice",
                "shape {:?} needs {} elements, but the buffer holds {}",
                shape,
                shape.numel(),
                data.len()
            );
        }
        Tensor::from_vec(data.into_vec(), shape)
    }
}
