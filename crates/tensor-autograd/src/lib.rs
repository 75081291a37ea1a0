//! # tensor-autograd
//!
//! PyTorch's autograd over tensor-core. A [`Var`] is a tensor plus its place in a DAG of
//! [`Node`]s (PyTorch's `grad_fn`); every differentiable op of tensor-core has a `Var`
//! counterpart that records a node with its backward. [`Var::backward`] walks the graph
//! iteratively and accumulates into leaves' `.grad`; [`grad`] returns gradients instead.
//! [`no_grad`] turns recording off on this thread. [`gradcheck`] compares analytic gradients
//! with finite differences.
//!
//! ```
//! use tensor_autograd::Var;
//! use tensor_core::{Tensor, DType, Device};
//! let x = Var::new(Tensor::ones(&[2, 2], DType::F32, &Device::Cpu)?, true);
//! let y = x.add(2.0)?;
//! assert_eq!(y.grad_fn().unwrap().name(), "AddBackward0");
//! let out = y.mul(&y)?.mul(3.0)?.mean()?;
//! out.backward()?;
//! assert_eq!(x.grad().unwrap().to_vec::<f32>()?, [4.5, 4.5, 4.5, 4.5]);
//! # Ok::<(), tensor_core::Error>(())
//! ```

mod engine;
mod function;
mod grad_mode;
mod gradcheck;
mod node;
mod ops;
mod rebase;
mod var;

pub use engine::{grad, BackwardOptions};
pub use function::{apply, Function, FunctionCtx};
pub use grad_mode::{enable_grad, is_grad_enabled, no_grad, set_grad_enabled, GradModeGuard};
pub use gradcheck::{gradcheck, gradcheck_with, gradgradcheck, GradcheckOptions};
pub use node::{BackwardCtx, BackwardFn, GradSlot, Hook, Node, NodeOf, Var};
pub use ops::VarRhs;
/// The CUDA backend (`tensor_cuda`), with the `cuda` feature.
#[cfg(feature = "cuda")]
pub use tensor_cuda as cuda;
pub use var::Saved;
