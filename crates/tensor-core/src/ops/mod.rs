//! The ops, one folder per family: the tensor API in `mod.rs`, the CPU kernel in `cpu.rs`.
//! Backward formulas live with the same family in tensor-autograd; CUDA kernels in tensor-cuda.

pub mod attention;
pub mod binary;
pub mod conv;
pub(crate) mod copy;
pub mod index;
pub mod matmul;
pub mod norm;
pub mod optim;
pub mod pool;
pub mod reduce;
pub mod shape;
pub mod sort;
pub mod unary;
