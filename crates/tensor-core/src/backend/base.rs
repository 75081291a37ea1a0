//! What every storage of every device is, below the op families: [`StorageBase`] (downcasting,
//! dtype, length, the backend's name) and the `Unsupported` error that the families' default
//! methods return. The family traits (`ops/<family>/backend.rs`) build on this module and
//! nothing above it, so no file of the backend imports back up.

use crate::{DType, Error, ErrorKind};
use alloc::string::String;
use core::any::Any;
use core::fmt;

/// What every storage provides, whatever its device and its ops.
pub trait StorageBase: Send + Sync + fmt::Debug + Any {
    /// For downcasting to the concrete storage (the CPU's [`CpuStorage`](crate::cpu::CpuStorage)).
    fn as_any(&self) -> &dyn Any;
    /// For downcasting to the concrete storage.
    fn as_any_mut(&mut self) -> &mut dyn Any;
    /// The backend's name in error messages (`cpu`, `cuda:0`).
    fn backend_name(&self) -> String;
    /// The dtype of the elements.
    fn dtype(&self) -> DType;
    /// Number of elements.
    fn len(&self) -> usize;
    /// True when it holds no element.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The error a backend returns for an op it does not implement.
#[track_caller]
pub fn unsupported(backend: &str, op: &'static str) -> Error {
    Error::new(ErrorKind::Unsupported, op, alloc::format!("not supported by the {backend} backend"))
}

/// The body of a family method's default: ignores the arguments and returns [`unsupported`].
macro_rules! unsupported_default {
    ($self:ident, $op:literal $(, $arg:ident)*) => {{
        $(let _ = $arg;)*
        Err($crate::backend::base::unsupported(&$self.backend_name(), $op))
    }};
}
pub(crate) use unsupported_default;
