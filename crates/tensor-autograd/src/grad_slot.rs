//! [`GradSlot`]: where the graph delivers a variable's gradient (a leaf's `.grad`, or a
//! non-leaf's after `retain_grad`), with the hooks run on it first. It knows nothing of
//! nodes: variables and nodes both point at it. Hooks see the gradient as a [`Var`], which
//! under `create_graph` is itself differentiable.

use crate::node::Var;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::Mutex;
use tensor_core::{bail, Result, Tensor};

/// A gradient hook: sees the gradient and may replace it (return `Some`).
pub type Hook = Box<dyn Fn(&Var) -> Result<Option<Var>> + Send + Sync>;

/// Where a variable's gradient is kept (leaves, and non-leaves after `retain_grad`), with its
/// hooks. The graph points at a leaf's slot; a `Var` and its clones share one.
pub struct GradSlot {
    pub(crate) grad: Mutex<Option<Tensor>>,
    pub(crate) hooks: Mutex<Vec<Hook>>,
    pub(crate) requires_grad: AtomicBool,
    pub(crate) retains_grad: AtomicBool,
    /// How many times a recorded in-place op replaced the variable's history: views taken
    /// before a change are stale after it.
    pub(crate) history: AtomicUsize,
}

impl fmt::Debug for GradSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GradSlot")
            .field("requires_grad", &self.requires_grad)
            .field("retains_grad", &self.retains_grad)
            .finish_non_exhaustive()
    }
}

impl GradSlot {
    pub(crate) fn new(requires_grad: bool) -> Self {
        GradSlot {
            grad: Mutex::new(None),
            hooks: Mutex::new(Vec::new()),
            requires_grad: AtomicBool::new(requires_grad),
            retains_grad: AtomicBool::new(false),
            history: AtomicUsize::new(0),
        }
    }
    /// Runs the hooks in order; each may replace the gradient, with one of the same shape,
    /// dtype and device (else an error, as PyTorch's "hook ... has changed the size/type").
    #[track_caller]
    pub(crate) fn run_hooks(&self, grad: Var) -> Result<Var> {
        let hooks = self.hooks.lock().unwrap_or_else(|e| e.into_inner());
        let mut g = grad;
        for h in hooks.iter() {
            if let Some(r) = h(&g)? {
                if r.shape() != g.shape() || r.dtype() != g.dtype() || r.device() != g.device() {
                    bail!(
                        Shape,
                        "backward",
                        "a hook returned a gradient of shape {:?} ({} on {}) for a gradient of shape {:?} ({} on {})",
                        r.shape(),
                        r.dtype(),
                        r.device(),
                        g.shape(),
                        g.dtype(),
                        g.device()
                    );
                }
                g = r;
            }
        }
        Ok(g)
    }
    /// Adds `g` into `.grad` (a new tensor: the previous one is never written in place).
    #[track_caller]
    pub(crate) fn accumulate(&self, g: Tensor) -> Result<()> {
        let mut slot = self.grad.lock().unwrap_or_else(|e| e.into_inner());
        // Private and contiguous, as users update `.grad` in place: the incoming gradient
        // itself where nothing else holds it (a fresh result), else a copy (an expanded view,
        // or one shared with other inputs' gradients or the caller's upstream gradient).
        *slot = Some(match slot.take() {
            None => g.into_unshared_contiguous()?,
            // In place, as PyTorch's `AccumulateGrad` (`grad += new` outside create_graph); a
            // `.grad` the user set to something not writable in place is replaced instead.
            Some(mut prev) => match prev.add_(&g) {
                Ok(()) => prev,
                Err(_) => prev.add(&g)?,
            },
        });
        Ok(())
    }
}
