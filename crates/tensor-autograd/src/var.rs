//! [`Var`]'s API: a tensor together with its place in the autograd graph (PyTorch's `Tensor`
//! with `requires_grad`, `grad`, `grad_fn`), and how ops record themselves ([`Var::record`]).
//! The type itself is declared in `node.rs`, beside [`Node`], which holds variables in turn.

use crate::grad_mode::is_grad_enabled;
use crate::grad_slot::GradSlot;
use crate::node::{BackwardCtx, BackwardFn, Edge, Node, PerInput, SavedVar, Var, VarInner, ViewOf};
use std::borrow::Cow;
use std::fmt;
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock, RwLock};
use tensor_core::{bail, DType, Device, Result, Shape, Tensor};

impl Var {
    /// A leaf variable (`requires_grad` as given), as `torch.tensor(..., requires_grad=...)`.
    ///
    /// # Panics
    /// Where [`try_new`](Self::try_new) errs (a non-float tensor that would require grad), with
    /// its message, as the operators panic where their methods err.
    #[track_caller]
    pub fn new(tensor: Tensor, requires_grad: bool) -> Var {
        match Var::try_new(tensor, requires_grad) {
            Ok(v) => v,
            Err(e) => panic!("{}", e.at_caller()),
        }
    }
    /// A leaf variable, or an error when `requires_grad` is asked of a tensor that is not
    /// floating point (as `torch.tensor([1, 2], requires_grad=True)` raises).
    #[track_caller]
    pub fn try_new(tensor: Tensor, requires_grad: bool) -> Result<Var> {
        if requires_grad && !tensor.is_floating_point() {
            bail!(
                Autograd,
                "Var::new",
                "only Tensors of floating point dtype can require gradients (got {})",
                tensor.dtype()
            );
        }
        Ok(Var::leaf(tensor, requires_grad))
    }
    fn leaf(tensor: Tensor, requires_grad: bool) -> Var {
        Var(Arc::new(VarInner {
            tensor,
            grad_fn: RwLock::new(None),
            slot: if requires_grad { OnceLock::from(Arc::new(GradSlot::new(true))) } else { OnceLock::new() },
            view_of: None,
        }))
    }
    /// A variable that does not require grad.
    pub fn constant(tensor: Tensor) -> Var {
        Var::leaf(tensor, false)
    }
    /// A trainable leaf (`requires_grad = true`); panics as [`new`](Self::new) does.
    #[track_caller]
    pub fn parameter(tensor: Tensor) -> Var {
        Var::new(tensor, true)
    }
    /// A variable holding `tensor` at the same place in the graph as `v` (same `grad_fn`).
    pub(crate) fn from_graph_of(v: &Var, tensor: Tensor) -> Var {
        Var::from_node(tensor, v.grad_fn())
    }

    /// The tensor (another handle to the same storage; in-place writes to it are not recorded).
    pub fn tensor(&self) -> Tensor {
        self.0.tensor.shallow_clone()
    }
    /// The data without the graph, as `x.data`.
    pub fn data(&self) -> Tensor {
        self.tensor()
    }
    /// The node that produced this variable, as `x.grad_fn` (`None` for leaves).
    pub fn grad_fn(&self) -> Option<Arc<Node>> {
        self.0.grad_fn.read().unwrap_or_else(|e| e.into_inner()).clone()
    }
    /// True when gradients flow to or through this variable.
    pub fn requires_grad(&self) -> bool {
        self.grad_fn().is_some() || self.0.slot.get().is_some_and(|s| s.requires_grad.load(Ordering::Relaxed))
    }
    /// True for variables not produced by a recorded op.
    pub fn is_leaf(&self) -> bool {
        self.grad_fn().is_none()
    }
    /// Sets `requires_grad` of a leaf, as `x.requires_grad_(b)`; only float leaves may require grad.
    #[track_caller]
    pub fn requires_grad_(&self, requires_grad: bool) -> Result<&Var> {
        if !self.is_leaf() {
            if requires_grad {
                return Ok(self);
            }
            bail!(Autograd, "requires_grad_", "you can only change requires_grad flags of leaf variables. If you want to use a computed variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach().");
        }
        if requires_grad && !self.0.tensor.is_floating_point() {
            bail!(
                Autograd,
                "requires_grad_",
                "only Tensors of floating point dtype can require gradients (got {})",
                self.0.tensor.dtype()
            );
        }
        self.slot().requires_grad.store(requires_grad, Ordering::Relaxed);
        Ok(self)
    }
    /// The accumulated gradient, as `x.grad`.
    pub fn grad(&self) -> Option<Tensor> {
        self.0.slot.get()?.grad.lock().unwrap_or_else(|e| e.into_inner()).as_ref().map(Tensor::shallow_clone)
    }
    /// Sets or clears `.grad` (`set_grad(None)` is `x.grad = None`).
    #[track_caller]
    pub fn set_grad(&self, grad: Option<Tensor>) -> Result<()> {
        if let Some(g) = &grad {
            if g.shape() != self.shape() {
                bail!(
                    Shape,
                    "set_grad",
                    "assigned grad has data of a different size: {:?} vs the variable's {:?}",
                    g.shape(),
                    self.shape()
                );
            }
            if g.dtype() != self.0.tensor.dtype() || g.device() != self.0.tensor.device() {
                bail!(
                    DType,
                    "set_grad",
                    "assigned grad has dtype {} on {}, but the variable is {} on {}",
                    g.dtype(),
                    g.device(),
                    self.0.tensor.dtype(),
                    self.0.tensor.device()
                );
            }
        }
        *self.slot().grad.lock().unwrap_or_else(|e| e.into_inner()) = grad;
        Ok(())
    }
    /// Clears `.grad` (sets it to `None`, as `zero_grad(set_to_none=True)`).
    pub fn zero_grad(&self) {
        if let Some(slot) = self.0.slot.get() {
            *slot.grad.lock().unwrap_or_else(|e| e.into_inner()) = None;
        }
    }
    /// Keeps `.grad` for this non-leaf after backward, as `x.retain_grad()`.
    pub fn retain_grad(&self) {
        self.slot().retains_grad.store(true, Ordering::Relaxed);
        self.attach_slot_to_node();
    }
    /// True for a leaf that requires grad or a non-leaf after `retain_grad`.
    pub fn retains_grad(&self) -> bool {
        self.0.slot.get().is_some_and(|s| s.retains_grad.load(Ordering::Relaxed))
    }
    /// Registers a hook run on this variable's gradient during backward; it may return a
    /// replacement, as `x.register_hook(fn)`.
    #[track_caller]
    pub fn register_hook(&self, hook: impl Fn(&Tensor) -> Option<Tensor> + Send + Sync + 'static) -> Result<()> {
        if !self.requires_grad() {
            bail!(Autograd, "register_hook", "cannot register a hook on a tensor that doesn't require gradient");
        }
        self.slot().hooks.lock().unwrap_or_else(|e| e.into_inner()).push(Box::new(hook));
        self.attach_slot_to_node();
        Ok(())
    }
    fn attach_slot_to_node(&self) {
        if let Some(n) = self.grad_fn() {
            *n.output_slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(Arc::downgrade(self.slot()));
        }
    }
    /// A new variable sharing the data but not the graph, as `x.detach()`.
    pub fn detach(&self) -> Var {
        Var::constant(self.tensor())
    }
    /// Detaches this variable from the graph in place, making it a leaf, as `x.detach_()`.
    pub fn detach_(&self) {
        *self.0.grad_fn.write().unwrap_or_else(|e| e.into_inner()) = None;
        if let Some(slot) = self.0.slot.get() {
            slot.requires_grad.store(false, Ordering::Relaxed);
        }
    }

    /// The sizes.
    pub fn size(&self) -> &[usize] {
        self.0.tensor.size()
    }
    /// The shape.
    pub fn shape(&self) -> &Shape {
        self.0.tensor.shape()
    }
    /// Number of dims.
    pub fn dim(&self) -> usize {
        self.0.tensor.dim()
    }
    /// Number of elements.
    pub fn numel(&self) -> usize {
        self.0.tensor.numel()
    }
    /// The dtype.
    pub fn dtype(&self) -> DType {
        self.0.tensor.dtype()
    }
    /// The device.
    pub fn device(&self) -> &Device {
        self.0.tensor.device()
    }
    /// The value of a one-element variable.
    #[track_caller]
    pub fn item<T: tensor_core::Element>(&self) -> Result<T> {
        self.0.tensor.item()
    }

    /// This variable's gradient slot, made on first use.
    fn slot(&self) -> &Arc<GradSlot> {
        self.0.slot.get_or_init(|| Arc::new(GradSlot::new(false)))
    }

    /// Where gradients for this variable go, if it needs any.
    pub(crate) fn edge(&self) -> Option<Edge> {
        if let Some(n) = self.grad_fn() {
            return Some(Edge::Node(n));
        }
        match self.0.slot.get() {
            Some(slot) if slot.requires_grad.load(Ordering::Relaxed) => Some(Edge::Leaf(slot.clone())),
            _ => None,
        }
    }
    /// True for a variable recorded as a view of another one (in-place ops on it are refused:
    /// the base's history would not see them).
    pub(crate) fn is_view(&self) -> bool {
        self.0.view_of.is_some()
    }
    /// True for a view whose base's history was replaced by an in-place op after the view was
    /// taken: the view's own history no longer describes its values.
    fn is_stale_view(&self) -> bool {
        self.0.view_of.as_ref().is_some_and(|v| v.base.history.load(Ordering::Relaxed) != v.history)
    }
    /// Replaces this variable's history (in-place ops).
    pub(crate) fn set_grad_fn(&self, node: Option<Arc<Node>>) {
        *self.0.grad_fn.write().unwrap_or_else(|e| e.into_inner()) = node;
        self.slot().history.fetch_add(1, Ordering::Relaxed);
    }

    /// Records an op: `value` computed from `inputs`, with `backward` giving the input gradients
    /// from the output gradient. `saved` lists the values backward reads (checked against later
    /// in-place writes); [`Saved::Output`] stands for `value` itself. Without grad mode, or when
    /// no input requires grad, or for a non-float result, nothing is recorded.
    pub fn record(
        value: Tensor,
        name: impl Into<Cow<'static, str>>,
        inputs: &[&Var],
        saved: Vec<Saved>,
        backward: impl Fn(&BackwardCtx<'_>) -> Result<Vec<Option<Var>>> + Send + Sync + 'static,
    ) -> Var {
        Var::record_boxed(value, name.into(), inputs, saved, Box::new(backward))
    }

    pub(crate) fn record_boxed(
        value: Tensor,
        name: Cow<'static, str>,
        inputs: &[&Var],
        saved: Vec<Saved>,
        backward: Box<dyn BackwardFn>,
    ) -> Var {
        Var::record_inputs(value, name, inputs.iter().map(|&v| Some(v)), saved, backward)
    }

    /// [`record_boxed`](Self::record_boxed) where an input may be `None`: an operand that is
    /// not a tensor (the number of `x * 2.0`), listed in `next_functions` as PyTorch lists it.
    pub(crate) fn record_inputs<'v>(
        value: Tensor,
        name: Cow<'static, str>,
        inputs: impl Iterator<Item = Option<&'v Var>> + Clone,
        saved: Vec<Saved>,
        backward: Box<dyn BackwardFn>,
    ) -> Var {
        if !is_grad_enabled() || !value.is_floating_point() {
            return Var::constant(value);
        }
        let edges: PerInput<Option<Edge>> = inputs.clone().map(|v| v.and_then(Var::edge)).collect();
        if edges.iter().all(Option::is_none) {
            return Var::constant(value);
        }
        let input_shapes = inputs.clone().map(|v| v.map_or_else(Shape::scalar, |v| v.shape().clone())).collect();
        let inputs = inputs.flatten();
        let saved = saved
            .into_iter()
            .map(|s| match s {
                Saved::Var(v) => {
                    let version = v.0.tensor.version();
                    SavedVar::Var { var: v, version }
                }
                Saved::Output => SavedVar::Output { tensor: value.shallow_clone(), version: value.version() },
            })
            .collect();
        // A view's history is only valid while its base's is unchanged: PyTorch rebases a view
        // when its base is modified in place; here, an op using such a stale view records a
        // node whose backward refuses to run (rather than give silently wrong gradients).
        let backward: Box<dyn BackwardFn> = if inputs.clone().any(|v| v.is_stale_view()) {
            Box::new(|_: &BackwardCtx<'_>| -> Result<Vec<Option<Var>>> {
                bail!(
                    Autograd,
                    "backward",
                    "a view of a variable was used after that variable was modified by an in-place operation; rebasing views is not supported (take the view after the in-place op, or clone() it before)"
                )
            })
        } else {
            backward
        };
        let view_of = inputs.clone().find(|v| v.requires_grad() && value.shares_storage(v.tensor_ref())).map(|b| {
            match &b.0.view_of {
                Some(v) => ViewOf { base: v.base.clone(), history: v.history },
                None => ViewOf { base: b.slot().clone(), history: b.slot().history.load(Ordering::Relaxed) },
            }
        });
        let node = Node::new(name, edges, backward, saved, input_shapes);
        Var(Arc::new(VarInner {
            tensor: value,
            grad_fn: RwLock::new(Some(Arc::new(node))),
            slot: OnceLock::new(),
            view_of,
        }))
    }
}

/// A value a recorded op keeps for its backward.
pub enum Saved {
    /// A variable (usually an input).
    Var(Var),
    /// The op's own output.
    Output,
}

impl fmt::Debug for Saved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Saved::Var(v) => write!(f, "Saved::Var({:?})", v.shape()),
            Saved::Output => f.write_str("Saved::Output"),
        }
    }
}

impl From<Tensor> for Var {
    fn from(t: Tensor) -> Var {
        Var::constant(t)
    }
}

impl fmt::Display for Var {
    /// As PyTorch prints a tensor: `tensor([[3., 3.]], grad_fn=<AddBackward0>)` or `requires_grad=True`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let suffix = match self.grad_fn() {
            Some(n) => vec![format!("grad_fn=<{}>", n.name())],
            None if self.requires_grad() => vec!["requires_grad=True".to_string()],
            None => vec![],
        };
        f.write_str(&self.0.tensor.format_with_suffixes(&suffix))
    }
}

impl fmt::Debug for Var {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
