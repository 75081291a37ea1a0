//! The ops, one folder per family: the tensor API in `mod.rs`, the CPU kernel in `cpu.rs`.
//! Backward formulas live with the same family in tensor-autograd; CUDA kernels in tensor-cuda.

pub mod binary;
pub(crate) mod copy;
pub mod matmul;
pub mod reduce;
pub mod unary;
