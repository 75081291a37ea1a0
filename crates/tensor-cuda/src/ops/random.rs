//! Philox4x32-10 random numbers on the device: the same numbers as tensor-core's CPU generator
//! (`tensor_core::random`) for the same seed and counter offset, element by element.

use super::launch;
use crate::device::CudaDevice;
use crate::error;
use crate::kernels::{grid, suffix, to_i64, Family};
use crate::storage::CudaStorage;
use std::sync::Arc;
use tensor_core::{DType, Result};

/// `numel` uniform numbers in [0, 1) (`normal`: standard normals) of a float `dtype` from `seed`
/// and block offset `offset`.
#[track_caller]
pub(crate) fn random(
    dev: &Arc<CudaDevice>,
    dtype: DType,
    numel: usize,
    seed: u64,
    offset: u64,
    normal: bool,
) -> Result<CudaStorage> {
    let op = if normal { "randn" } else { "rand" };
    if !dtype.is_float() {
        return Err(error::dtype(op, format!("expected a floating point dtype, got {dtype}")));
    }
    let mut out = CudaStorage::alloc(dev, dtype, numel)?;
    if numel == 0 {
        return Ok(out);
    }
    let name = format!("random_{}", suffix(dtype));
    let (p, n, normal) = (out.ptr_mut(), to_i64(op, numel)?, normal as i32);
    // random_<T>(T* out, i64 n, u64 seed, u64 offset, int normal)
    launch!(dev, Family::Random, name, grid(numel), op; &p, &n, &seed, &offset, &normal)?;
    Ok(out)
}
