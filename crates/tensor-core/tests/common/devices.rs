//! The devices a test body runs on: the CPU always, and the first CUDA GPU when one is usable
//! (tensor-cuda is a dev-dependency of the tests only; the library knows nothing of CUDA).
//!
//! A test written once as `for dev in devices() { ... }` (or `on_each_device(|dev| ...)`)
//! builds its inputs on `dev` ([`build_on`](super::build_on),
//! [`Ref::tensor_on`](super::Ref::tensor_on)), runs the op there and reads the result back
//! through [`values`](super::values) (`to_vec` copies to the host), so the same assertions hold
//! on both devices. [`holds`] says which dtypes a GPU takes. Without a GPU the CUDA pass is
//! skipped with one line on stderr per test binary; with `TENSOR_REQUIRE_CUDA=1` (the GPU
//! machine's runner) a missing GPU fails the test instead, as every CUDA suite does.

pub use tensor_cuda::testing::{assert_on, devices, holds, on_each_device};
