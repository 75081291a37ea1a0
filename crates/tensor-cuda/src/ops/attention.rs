//! The attention family on CUDA: no fused kernel yet, so every op of [`AttentionOps`] returns
//! `None` and tensor-core composes attention from the matmul, reduction and unary kernels.

use crate::storage::CudaStorage;
use tensor_core::backend::{AttentionOps, Storage};

impl AttentionOps<Storage> for CudaStorage {}
