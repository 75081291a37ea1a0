//! The optimizer family on CUDA: no fused kernels yet, so every op of [`OptimOps`] returns
//! `None` and tensor-core composes the steps from the other families' kernels.

use crate::storage::CudaStorage;
use tensor_core::backend::{OptimOps, Storage};

impl OptimOps<Storage> for CudaStorage {}
