//! The normalisation family on CUDA: no fused kernels yet, so every op of [`NormOps`] returns
//! `None` and tensor-core composes softmax and layer norm from the other families' kernels.

use crate::storage::CudaStorage;
use tensor_core::backend::{NormOps, Storage};

impl NormOps<Storage> for CudaStorage {}
