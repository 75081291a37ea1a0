//! The sort family on CUDA: no kernels yet, so every op of [`SortOps`] returns the trait's
//! `Unsupported` error (tensor-core names the op and the device).

use crate::storage::CudaStorage;
use tensor_core::backend::{SortOps, Storage};

impl SortOps<Storage> for CudaStorage {}
