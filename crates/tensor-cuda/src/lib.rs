//! # tensor-cuda
//!
//! The CUDA backend of tensor-core: [`CudaDevice`] implements tensor-core's `BackendDevice` and
//! [`CudaStorage`] its `BackendStorage`, so a tensor moved with `x.to_device(&cuda(0)?)` runs
//! every op below on the GPU, and tensor-autograd and tensor-nn work there unchanged.
//!
//! ```no_run
//! use tensor_core::{DType, Tensor};
//! let gpu = tensor_cuda::cuda(0)?;
//! let x = Tensor::randn([1024, 1024], DType::F32, &gpu)?;
//! let y = x.matmul(&x.transpose(0, 1)?)?.relu()?.sum()?;
//! println!("{}", y.to_device(&tensor_core::Device::Cpu)?);
//! # Ok::<(), tensor_core::Error>(())
//! ```
//!
//! ## What it owns
//!
//! - Device discovery: [`is_available`], [`device_count`], [`cuda`]. cudarc loads the CUDA
//!   libraries at run time (`dynamic-loading`), so this crate builds on machines without CUDA;
//!   there [`is_available`] is false, [`device_count`] is 0 and [`cuda`] returns an error. No
//!   call panics for want of a driver (the driver library's presence is checked first).
//! - Memory: one untyped stream-ordered buffer per storage (`cuMemAllocAsync`; freed in stream
//!   order), bool as bytes 0/1, f16/bf16 as their bits. Allocation failures are errors.
//! - Kernels: CUDA C in `src/kernels/*.cu`, compiled by NVRTC on first use of each family, once
//!   per process (for the GPU's architecture), cached. No nvcc at build time. Layouts travel as
//!   (shape, strides, offset) arguments with dense dims merged, at most 8 dims after merging.
//!   Every kernel is a 64-bit grid-stride loop.
//! - One non-blocking stream per device: ops run in call order; `Device::synchronize` waits.
//!
//! ## Ops
//!
//! Each matches tensor-core's CPU kernel (dtype rules, results contiguous row-major):
//!
//! | op | dtypes |
//! |---|---|
//! | `zeros`, `uninit`, `upload`, `to_cpu` (strided: gathered on the device first) | all |
//! | `cast`, `copy_from` (strided, broadcast sources, any pair of dtypes), `fill` | all |
//! | `unary`, `unary_inplace` (every `UnaryOp`), `test` | floats; ints for the integer ops |
//! | `binary`, `binary_inplace`, `binary_into`, `cmp`, `where_cond` (broadcast, strided) | all |
//! | `binary_scalar[_inplace]` (`x * 2.0`: the number filled on the device, no host copy) | all |
//! | `reduce`: sum, prod, max, min, argmax, argmin, any, all over any dims | all |
//! | `matmul_into`: cuBLAS strided-batched gemm (f16/bf16/f32/f64, TF32 off); naive for ints | numeric |
//! | `random`: Philox4x32-10, the CPU generator's numbers for the same seed and offset | floats |
//! | `index_select`, `gather`, `scatter_inplace` (replace, add), `index_add_inplace` | all |
//! | `im2col`, `col2im`; `conv2d` and both gradients (im2col + cuBLAS, groups) | floats |
//! | `max_pool2d` (+ indices), `avg_pool2d`, and their gradients | floats |
//! | `scan` (cumsum, cumprod: a row per thread, floats accumulated in f64 as on the CPU) | numeric |
//! | `sort` (stable, NaN last; `argsort`, `topk` build on it) | numeric |
//! | `attention` and its backward (fused: query tiles in shared memory, online softmax) | floats |
//!
//! Norms and optimizer steps use tensor-core's composed defaults (`NormOps`, `OptimOps`: the
//! ops above); cuDNN is not used yet. Scatter-adds and the max-pool gradient use atomics, so
//! float sums over repeated indices may differ from the CPU's in rounding.
//!
//! ## Tests
//!
//! `tests/cuda/` is one test binary: each module compares one op family on the GPU with the
//! CPU over contiguous, transposed, sliced, broadcast and 0-d layouts. On a machine without
//! CUDA every GPU test prints `skipping: no CUDA device` and passes; with
//! `TENSOR_REQUIRE_CUDA=1` set, a missing GPU fails them instead. `host_emulation` checks the
//! kernels' semantics everywhere: it compiles the `.cu` sources with the host C++ compiler
//! against a one-thread emulation of CUDA's built-ins (`tests/host/`) and runs known-answer and
//! adjointness checks (skipped when no C++17 compiler with `_Float16` is found).
//!
//! To run them on the GPU machine (no Rust toolchain there): from the repository root,
//! `../shared/gpu/pack.sh` builds every test binary with `--features cuda` into `.gpu/`; on the
//! GPU machine, `sh .gpu/run.sh` runs them all with `TENSOR_REQUIRE_CUDA=1`.

mod backend;
mod device;
mod error;
mod kernels;
mod ops;
mod storage;
pub mod testing;

pub use device::CudaDevice;
pub use kernels::compile_all;
pub use storage::CudaStorage;

use std::sync::Arc;
use tensor_core::{Device, Result};

/// True when a CUDA driver is loaded and reports at least one GPU. Never panics.
pub fn is_available() -> bool {
    device_count() > 0
}

/// Number of CUDA GPUs; 0 without a driver (or when the driver fails). Never panics.
pub fn device_count() -> usize {
    device::count()
}

/// The GPU `ordinal` as a tensor-core [`Device`] (`cuda:0`), opened on first use and shared
/// afterwards. An error (kind `Device`) when there is no driver or no such GPU.
#[track_caller]
pub fn cuda(ordinal: usize) -> Result<Device> {
    let dev: Arc<CudaDevice> = device::open(ordinal)?;
    Ok(Device::External(dev))
}
