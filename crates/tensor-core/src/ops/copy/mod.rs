//! Copies and casts. The tensor API (`to_dtype`, `contiguous`, `copy_`, `fill_`, ...) is in
//! `tensor/convert.rs`; the CPU kernels are here.

pub(crate) mod backend;
pub(crate) mod cpu;
mod pad;
pub(crate) mod transpose;
mod triangle;
