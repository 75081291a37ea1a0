//! tensor-core's plug-in for a CUDA device: [`BackendDevice`] for [`CudaDevice`], which makes
//! the device's storages (zeros, uninitialised, uploaded, random). Above both the device
//! (`device.rs`) and its storage (`storage.rs`), so that neither imports the other's ops.

use crate::device::CudaDevice;
use crate::error;
use crate::storage::CudaStorage;
use tensor_core::backend::{BackendDevice, Storage};
use tensor_core::cpu::CpuStorage;
use tensor_core::{DType, Result, ResultExt};

impl BackendDevice for CudaDevice {
    fn name(&self) -> String {
        format!("cuda:{}", self.ordinal())
    }
    #[track_caller]
    fn zeros(&self, dtype: DType, numel: usize) -> Result<Storage> {
        Ok(Storage::new(CudaStorage::zeros(&self.handle()?, dtype, numel)?))
    }
    #[track_caller]
    fn uninit(&self, dtype: DType, numel: usize) -> Result<Storage> {
        Ok(Storage::new(CudaStorage::alloc(&self.handle()?, dtype, numel)?))
    }
    #[track_caller]
    fn upload(&self, src: &CpuStorage) -> Result<Storage> {
        Ok(Storage::new(crate::ops::copy::upload(&self.handle()?, src)?))
    }
    #[track_caller]
    fn random(&self, dtype: DType, numel: usize, seed: u64, offset: u64, normal: bool) -> Result<Storage> {
        Ok(Storage::new(crate::ops::random::random(&self.handle()?, dtype, numel, seed, offset, normal)?))
    }
    #[track_caller]
    fn synchronize(&self) -> Result<()> {
        self.stream().synchronize().map_err(|e| error::driver("synchronize", e)).located()
    }
}
