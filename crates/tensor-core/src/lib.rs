//! # tensor-core
//!
//! Strided tensors as in PyTorch: [`Tensor`] is a cheap handle to shared storage seen through a
//! [`Layout`] (shape, strides, offset); views never copy; in-place `_` ops write through every
//! view; dtypes promote as `torch.result_type`; ops broadcast as NumPy. The CPU kernels live here;
//! other devices plug in through [`backend::BackendDevice`] / [`backend::BackendStorage`].
//!
//! ```
//! use tensor_core::{Tensor, DType, Device};
//! let cpu = Device::Cpu;
//! let x = Tensor::ones(&[5, 3], DType::F32, &cpu)?;
//! let y = Tensor::full(&[5, 3], 2.0, DType::F32, &cpu)?;
//! let mut result = Tensor::empty(&[5, 3], DType::F32, &cpu)?;
//! Tensor::add_out(&x, &y, &mut result)?;          // torch.add(x, y, out=result)
//! assert_eq!(result.sum()?.item::<f32>()?, 45.0);
//! # Ok::<(), tensor_core::Error>(())
//! ```
//!
//! Without the default `std` feature the crate is `#![no_std]` + `alloc` (single-threaded
//! kernels, a naive matmul, spin locks).

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

mod error;

pub mod backend;
pub mod cpu;
mod device;
mod display;
mod dtype;
pub mod grad_mode;
pub mod interop;
mod layout;
pub mod ops;
pub mod random;
pub mod shape;
mod sync;
mod tensor;

#[cfg(feature = "std")]
pub use cpu::{get_num_threads, set_num_threads};
pub use device::Device;
pub use display::PrintOptions;
pub use dtype::{result_type, Category, DType, Element, Operand, Scalar, DEFAULT_FLOAT};
pub use error::{Error, ErrorKind, Result, ResultExt};
pub use layout::{Blocks, Layout, StridedOffsets};
pub use ops::binary::{where_, RoundingMode};
pub use ops::reduce::Norm;
pub use ops::shape::PadMode;
pub use random::manual_seed;
pub use shape::Shape;
pub use tensor::{s, IndexItem, IndexItems, NdArray, NewAxis, Rhs, Slice, SliceGuard, Tensor};
