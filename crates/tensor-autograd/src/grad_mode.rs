//! Whether ops record a graph: a thread-local flag with RAII guards, as `torch.no_grad()`,
//! `torch.enable_grad()` and `torch.set_grad_enabled(b)`.

use std::cell::Cell;

thread_local! {
    static GRAD_ENABLED: Cell<bool> = const { Cell::new(true) };
}

/// True when ops on this thread record the graph.
pub fn is_grad_enabled() -> bool {
    GRAD_ENABLED.with(|g| g.get())
}

/// Restores the previous grad mode when dropped.
#[derive(Debug)]
#[must_use = "the mode is restored when the guard is dropped"]
pub struct GradModeGuard {
    previous: bool,
}

impl Drop for GradModeGuard {
    fn drop(&mut self) {
        GRAD_ENABLED.with(|g| g.set(self.previous));
    }
}

/// Sets the grad mode until the guard is dropped, as `torch.set_grad_enabled(enabled)`.
pub fn set_grad_enabled(enabled: bool) -> GradModeGuard {
    let previous = GRAD_ENABLED.with(|g| g.replace(enabled));
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
