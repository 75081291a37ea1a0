//! [`Device`]: where a tensor's storage lives — the CPU, or a device of an external backend
//! (tensor-cuda's `cuda(0)?`) given as a [`BackendDevice`] trait object.

use crate::backend::{BackendDevice, Storage};
use crate::cpu::CpuStorage;
use crate::{DType, Result};
use alloc::string::String;
use alloc::sync::Arc;
use core::fmt;

/// A cheap handle to a device.
#[derive(Clone, Default)]
pub enum Device {
    /// Host memory, computed by tensor-core's CPU kernels.
    #[default]
    Cpu,
    /// A device of an external backend.
    External(Arc<dyn BackendDevice>),
}

impl Device {
    /// True for the CPU.
    pub fn is_cpu(&self) -> bool {
        matches!(self, Device::Cpu)
    }
    /// True for a CUDA device (an external device whose name starts with `cuda`).
    pub fn is_cuda(&self) -> bool {
        matches!(self, Device::External(d) if d.name().starts_with("cuda"))
    }
    /// The name PyTorch prints: `cpu`, `cuda:0`.
    pub fn name(&self) -> String {
        match self {
            Device::Cpu => String::from("cpu"),
            Device::External(d) => d.name(),
        }
    }
    /// A zeroed storage of `numel` elements (an OutOfMemory error naming `op` without room).
    #[track_caller]
    pub(crate) fn zeros(&self, op: &'static str, dtype: DType, numel: usize) -> Result<Storage> {
        match self {
            Device::Cpu => Ok(Storage::new(CpuStorage::zeros(op, dtype, numel)?)),
            Device::External(d) => d.zeros(dtype, numel),
        }
    }
    /// A storage whose elements the caller will all overwrite.
    #[track_caller]
    pub(crate) fn uninit(&self, op: &'static str, dtype: DType, numel: usize) -> Result<Storage> {
        match self {
            Device::Cpu => Ok(Storage::new(CpuStorage::for_overwrite(op, dtype, numel)?)),
            Device::External(d) => d.uninit(dtype, numel),
        }
    }
    /// Moves a host storage onto this device.
    #[track_caller]
    pub(crate) fn upload(&self, s: CpuStorage) -> Result<Storage> {
        match self {
            Device::Cpu => Ok(Storage::new(s)),
            Device::External(d) => d.upload(&s),
        }
    }
    /// Waits for the device's queued work (a no-op on the CPU).
    #[track_caller]
    pub fn synchronize(&self) -> Result<()> {
        match self {
            Device::Cpu => Ok(()),
            Device::External(d) => d.synchronize(),
        }
    }
}

impl PartialEq for Device {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Device::Cpu, Device::Cpu) => true,
            (Device::External(a), Device::External(b)) => a.same_device(b.as_ref()),
            _ => false,
        }
    }
}

impl fmt::Debug for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "device(type='{}')", self.name())
    }
}

impl fmt::Display for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}
