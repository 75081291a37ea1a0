//! The device plug-in: [`BackendDevice`], and [`BackendStorage`], the sum of one trait per op
//! family (declared with its op descriptors in `ops/<family>/backend.rs` and re-exported here)
//! over [`StorageBase`]. The CPU ([`crate::cpu::CpuStorage`]) and external crates (tensor-cuda)
//! implement each family where its kernels live; any type that implements them all is a
//! `BackendStorage`. A tensor holds its elements as a [`Storage`], a boxed `BackendStorage`.
//! One dynamic call per op, never per element.
//!
//! Conventions for every method:
//! - Layouts given with a source are already checked and broadcast by tensor-core (a stride of 0
//!   repeats); the kernel never has to validate shapes, only dtypes and devices.
//! - Results are new contiguous storages; `*_inplace` / `*_into` write through `dst_layout`.
//! - Sources given together with `&mut self` never alias `self` (tensor-core copies first).
//! - Every method not implemented returns an [`Unsupported`](crate::ErrorKind::Unsupported) error by default,
//!   so a backend can grow op by op and new ops never break an existing backend.

pub(crate) mod base;

pub use crate::ops::attention::backend::{AttentionDims, AttentionOps};
pub use crate::ops::binary::backend::{BinaryOp, BinaryOps, CmpOp};
pub use crate::ops::conv::backend::{Conv2dGeometry, ConvOps};
pub use crate::ops::copy::backend::CopyOps;
pub use crate::ops::index::backend::{IndexOps, ScatterReduce};
pub use crate::ops::matmul::backend::MatmulOps;
pub use crate::ops::norm::backend::NormOps;
pub use crate::ops::optim::backend::{AdamStep, OptimOps, SgdStep};
pub use crate::ops::pool::backend::PoolOps;
pub use crate::ops::reduce::backend::{ReduceOp, ReduceOps, ScanOp};
pub use crate::ops::sort::backend::SortOps;
pub use crate::ops::unary::backend::{TestOp, UnaryOp, UnaryOps};
pub use base::{unsupported, StorageBase};

use crate::cpu::CpuStorage;
use crate::{DType, Result};
use alloc::boxed::Box;
use alloc::string::String;
use core::any::Any;
use core::fmt;
use core::ops::{Deref, DerefMut};

/// A device of an external backend (e.g. `cuda:0`).
pub trait BackendDevice: Send + Sync + fmt::Debug {
    /// Its name as PyTorch prints it: `cuda:0`.
    fn name(&self) -> String;
    /// Whether `other` is the same device.
    fn same_device(&self, other: &dyn BackendDevice) -> bool {
        self.name() == other.name()
    }
    /// A storage of `numel` zeros.
    #[track_caller]
    fn zeros(&self, dtype: DType, numel: usize) -> Result<Storage>;
    /// A storage of `numel` elements whose values will all be written before they are read.
    #[track_caller]
    fn uninit(&self, dtype: DType, numel: usize) -> Result<Storage> {
        self.zeros(dtype, numel)
    }
    /// Copies a host storage to the device.
    #[track_caller]
    fn upload(&self, src: &CpuStorage) -> Result<Storage>;
    /// Philox4x32-10 uniform numbers in [0, 1) (`normal`: standard normal instead) for `numel`
    /// elements of `dtype` from `seed` and counter `offset`, the same numbers as the CPU gives.
    #[track_caller]
    fn random(&self, dtype: DType, numel: usize, seed: u64, offset: u64, normal: bool) -> Result<Storage> {
        let _ = (dtype, numel, seed, offset, normal);
        Err(unsupported(&self.name(), "random"))
    }
    /// Waits for all queued work.
    #[track_caller]
    fn synchronize(&self) -> Result<()> {
        Ok(())
    }
}

/// The elements of one tensor storage on some device: every op family's trait, over
/// [`StorageBase`]. Implemented for every type that implements them all (each family in its
/// own file), never by hand.
pub trait BackendStorage:
    StorageBase
    + CopyOps<Storage>
    + UnaryOps<Storage>
    + BinaryOps<Storage>
    + ReduceOps<Storage>
    + SortOps<Storage>
    + MatmulOps<Storage>
    + IndexOps<Storage>
    + ConvOps<Storage>
    + PoolOps<Storage>
    + NormOps<Storage>
    + OptimOps<Storage>
    + AttentionOps<Storage>
{
}

impl<T> BackendStorage for T where
    T: StorageBase
        + CopyOps<Storage>
        + UnaryOps<Storage>
        + BinaryOps<Storage>
        + ReduceOps<Storage>
        + SortOps<Storage>
        + MatmulOps<Storage>
        + IndexOps<Storage>
        + ConvOps<Storage>
        + PoolOps<Storage>
        + NormOps<Storage>
        + OptimOps<Storage>
        + AttentionOps<Storage>
{
}

/// A tensor's elements on some device: a [`BackendStorage`], which it dereferences to. The
/// CPU's storage is held inline and other backends' boxed, so that a CPU tensor costs one
/// allocation fewer (measurable where tensors are tiny and many: the autograd chain). (The
/// family traits take and return this type by a parameter, so that they need not name
/// `BackendStorage`, which is made of them.)
#[derive(Debug)]
pub struct Storage(Repr);

#[derive(Debug)]
enum Repr {
    Cpu(CpuStorage),
    Other(Box<dyn BackendStorage>),
}

impl Storage {
    /// Wraps a device's storage (boxed unless it is the CPU's).
    pub fn new<S: BackendStorage>(storage: S) -> Self {
        let mut slot = Some(storage);
        // Resolved at compile time for each `S`: a CPU storage is moved in, not boxed.
        if let Some(cpu) = (&mut slot as &mut dyn Any).downcast_mut::<Option<CpuStorage>>() {
            if let Some(cpu) = cpu.take() {
                return Storage(Repr::Cpu(cpu));
            }
        }
        match slot {
            Some(s) => Storage(Repr::Other(Box::new(s))),
            None => unreachable!("the storage was moved only when it is a CpuStorage"),
        }
    }
    /// The CPU storage inside, or a Device error naming `op` and the device it is on.
    #[track_caller]
    pub fn cpu(&self, op: &'static str) -> Result<&CpuStorage> {
        match &self.0 {
            Repr::Cpu(c) => Ok(c),
            Repr::Other(b) => crate::bail!(Device, op, "expected a cpu tensor, got one on {}", b.backend_name()),
        }
    }
}

impl Deref for Storage {
    type Target = dyn BackendStorage;
    #[inline]
    fn deref(&self) -> &Self::Target {
        match &self.0 {
            Repr::Cpu(c) => c,
            Repr::Other(b) => &**b,
        }
    }
}

impl DerefMut for Storage {
    #[inline]
    fn deref_mut(&mut self) -> &mut Self::Target {
        match &mut self.0 {
            Repr::Cpu(c) => c,
            Repr::Other(b) => &mut **b,
        }
    }
}
