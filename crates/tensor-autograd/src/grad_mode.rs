//! Whether ops record a graph: a thread-local flag with RAII guards, as `torch.no_grad()`,
//! `torch.enable_grad()` and `torch.set_grad_enabled(b)`. The flag itself is tensor-core's
//! ([`tensor_core::grad_mode`]), so the CPU kernels can keep it from leaking into jobs of other
//! threads that rayon runs on this one while it waits in a parallel op.

pub use tensor_core::grad_mode::is_grad_enabled;
use tensor_core::grad_mode::replace_grad_enabled;

/// Restores the previous grad mode when dropped.
#[derive(Debug)]
#[must_use = "the mode is restored when the guard is dropped"]
pub struct GradModeGuard {
    previous: bool,
}

impl Drop for GradModeGuard {
    fn drop(&mut self) {
        replace_grad_enabled(self.previous);
    }
}

/// Sets the grad mode until the guard is dropped, as `torch.set_grad_enabled(enabled)`.
pub fn set_grad_enabled(enabled: bool) -> GradModeGuard {
    let previous = replace_grad_enabled(enabled);
    GradModeGuard { previous }
}

/// Disables recording until the guard is dropped, as `with torch.no_grad():`.
///
/// ```
/// use tensor_autograd::{no_grad, Var};
/// use tensor_core::{Tensor, DType, Device};
/// let x = Var::new(Tensor::ones(&[2], DType::F32, &Device::Cpu)?, true);
/// {
///     let _guard = no_grad();
///     assert!(!x.pow(2.0)?.requires_grad());
/// }
/// assert!(x.pow(2.0)?.requires_grad());
/// # Ok::<(), tensor_core::Error>(())
/// ```
pub fn no_grad() -> GradModeGuard {
    set_grad_enabled(false)
}

/// Enables recording until the guard is dropped (inside a `no_grad` region), as `torch.enable_grad()`.
pub fn enable_grad() -> GradModeGuard {
    set_grad_enabled(true)
}
