//! The grad mode flag: whether autograd records ops on this thread (`torch.no_grad()` turns it
//! off). It lives here, below autograd, as PyTorch keeps `GradMode` in c10 below its autograd,
//! because the CPU kernels must protect it: while a thread waits in a parallel kernel, rayon
//! may run another thread's job on it (the main thread is one of the pool's threads), and that
//! job must see its own default mode, not this thread's `no_grad`. So every parallel section of
//! the kernels runs inside `suspended`, which resets the flag to its default and restores it
//! after. tensor-autograd's `no_grad`, `enable_grad` and `set_grad_enabled` are built on this.

#[cfg(feature = "std")]
mod imp {
    use core::cell::Cell;

    std::thread_local! {
        static GRAD_ENABLED: Cell<bool> = const { Cell::new(true) };
    }

    /// True when ops on this thread record the autograd graph (the default).
    pub fn is_grad_enabled() -> bool {
        GRAD_ENABLED.with(Cell::get)
    }

    /// Sets this thread's grad mode; returns the previous one.
    pub fn replace_grad_enabled(enabled: bool) -> bool {
        GRAD_ENABLED.with(|g| g.replace(enabled))
    }
}

#[cfg(not(feature = "std"))]
mod imp {
    use core::sync::atomic::{AtomicBool, Ordering};

    // One thread without `std`.
    static GRAD_ENABLED: AtomicBool = AtomicBool::new(true);

    /// True when ops record the autograd graph (the default).
    pub fn is_grad_enabled() -> bool {
        GRAD_ENABLED.load(Ordering::Relaxed)
    }

    /// Sets the grad mode; returns the previous one.
    pub fn replace_grad_enabled(enabled: bool) -> bool {
        GRAD_ENABLED.swap(enabled, Ordering::Relaxed)
    }
}

pub use imp::*;

/// Runs `f` (a parallel section that may run other threads' jobs on this thread) with this
/// thread's grad mode at its default, restored afterwards even if `f` panics.
#[cfg(feature = "std")]
#[inline]
pub(crate) fn suspended<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            replace_grad_enabled(self.0);
        }
    }
    let _restore = Restore(replace_grad_enabled(true));
    f()
}
