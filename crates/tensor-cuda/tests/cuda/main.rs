//! The CUDA backend against the CPU, op family by op family, in one test binary (fewer, larger
//! binaries travel to the GPU machine more cheaply). Without a GPU every GPU test prints
//! `skipping: no CUDA device` and passes, unless `TENSOR_REQUIRE_CUDA=1` is set.
//! `host_emulation` checks the kernels' semantics on the CPU, GPU or not.

mod common;

mod attention;
mod availability;
mod copy_cast;
mod elementwise;
mod host_emulation;
mod index_conv;
mod random;
mod reduce_matmul;
