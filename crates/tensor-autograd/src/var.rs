//! [`Var`]'s API: a tensor together with its place in the autograd graph (PyTorch's `Tensor`
//! with `requires_grad`, `grad`, `grad_fn`), and how ops record themselves ([`Var::record`]).
//! The type itself is declared in `node.rs`, beside [`Node`], which holds variables in turn.

use crate::grad_mode::is_grad_enabled;
use crate::node::GradSlot;
use crate::node::{BackwardCtx, BackwardFn, Edge, Node, NodeOf, PerInput, SavedVar, Var, VarInner, ViewOf};
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
    ///
    /// A view whose base was modified in place since the view's history was made gets a new
    /// history here, from the base's (`AsStridedBackward0`), as PyTorch regenerates it.
    pub fn grad_fn(&self) -> Option<Arc<Node>> {
        if self.is_stale_view() {
            self.refresh_view_history();
        }
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
    /// replacement, as `x.register_hook(fn)`. It sees the gradient's tensor: a replacement
    /// carries no graph (see [`register_var_hook`](Self::register_var_hook) for that).
    #[track_caller]
    pub fn register_hook(&self, hook: impl Fn(&Tensor) -> Option<Tensor> + Send + Sync + 'static) -> Result<()> {
        self.register_var_hook(move |g: &Var| {
            Ok(match hook(g.tensor_ref()) {
                // The gradient itself handed back: it goes on with its graph.
                Some(t) if t.shares_storage(g.tensor_ref()) && t.layout() == g.tensor_ref().layout() => None,
                other => other.map(Var::constant),
            })
        })
    }
    /// Registers a hook that sees the gradient as a variable, as PyTorch's hooks do: under
    /// `create_graph` it is differentiable, and a replacement built from it with `Var` ops
    /// (or from other variables) is differentiated in turn. `Ok(None)` leaves the gradient;
    /// an error stops the backward.
    ///
    /// ```
    /// use tensor_autograd::{grad, BackwardOptions, Var};
    /// use tensor_core::{Device, Tensor};
    /// let x = Var::new(Tensor::new([3.0f64], &Device::Cpu)?, true);
    /// let y = x.mul(&x)?;
    /// let y2 = y.clone();
    /// // d(y^2)/dy = 2y, replaced by 2y * y: the gradient of x is then 2y * y * 2x = 4x^5.
    /// y.register_var_hook(move |g| Ok(Some(g.mul(&y2)?)))?;
    /// let opts = BackwardOptions { retain_graph: true, create_graph: true };
    /// let gx = grad(&[&y.mul(&y)?], &[&x], None, opts, false)?.remove(0).unwrap();
    /// assert_eq!(gx.item::<f64>()?, 4.0 * 243.0);
    /// assert!(gx.requires_grad()); // differentiable in turn (the hook runs on that pass too)
    /// # Ok::<(), tensor_core::Error>(())
    /// ```
    #[track_caller]
    pub fn register_var_hook(&self, hook: impl Fn(&Var) -> Result<Option<Var>> + Send + Sync + 'static) -> Result<()> {
        if !self.requires_grad() {
            bail!(Autograd, "register_hook", "cannot register a hook on a tensor that doesn't require gradient");
        }
        self.slot().hooks.lock().unwrap_or_else(|e| e.into_inner()).push(Box::new(hook));
        self.attach_slot_to_node();
        Ok(())
    }
    fn attach_slot_to_node(&self) {
        if let Some(n) = self.grad_fn() {
            n.set_output_slot(self.slot());
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
    pub(crate) fn slot(&self) -> &Arc<GradSlot> {
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
    /// True for a view whose base's history was replaced by an in-place op after the view's
    /// history was made: that history no longer describes its values.
    pub(crate) fn is_stale_view(&self) -> bool {
        self.0.view_of.as_ref().is_some_and(|v| {
            !v.no_grad && v.base_slot.history.load(Ordering::Relaxed) != v.history.load(Ordering::Relaxed)
        })
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
        Var::record_inputs(value, name.into(), inputs.iter().map(|&v| Some(v)), saved, backward)
    }

    /// [`record`](Self::record) where an input may be `None`: an operand that is not a tensor
    /// (the number of `x * 2.0`), listed in `next_functions` as PyTorch lists it.
    pub(crate) fn record_inputs<'v, F: BackwardFn + 'static>(
        value: Tensor,
        name: Cow<'static, str>,
        inputs: impl Iterator<Item = Option<&'v Var>> + Clone,
        saved: Vec<Saved>,
        backward: F,
    ) -> Var {
        // The work that does not depend on the backward's type is done once, not per op.
        match Recording::new(value, inputs, saved) {
            Err(var) => var,
            Ok(r) if r.stale => r.finish(name, |_: &BackwardCtx<'_>| -> Result<Vec<Option<Var>>> {
                bail!(
                    Autograd,
                    "backward",
                    "a view of a variable was used after that variable was modified by an in-place operation and dropped: its history is gone (keep the variable, take the view after the in-place op, or clone() it before)"
                )
            }),
            Ok(r) => r.finish(name, backward),
        }
    }
}

/// What recording an op needs besides its name and backward: built by the non-generic
/// [`Recording::new`], turned into a node by the small generic [`Recording::finish`].
struct Recording {
    value: Tensor,
    edges: PerInput<Option<Edge>>,
    saved: Vec<SavedVar>,
    input_shapes: PerInput<Shape>,
    view_of: Option<ViewOf>,
    /// An input is a view whose base was modified and dropped: its history is gone.
    stale: bool,
}

impl Recording {
    /// The parts of the node, or (`Err`) the result as it is when nothing is recorded: without
    /// grad mode, when no input requires grad, or for a non-float result.
    #[track_caller]
    fn new<'v>(
        value: Tensor,
        inputs: impl Iterator<Item = Option<&'v Var>> + Clone,
        saved: Vec<Saved>,
    ) -> std::result::Result<Recording, Var> {
        if !value.is_floating_point() {
            return Err(Var::constant(value));
        }
        let unrecorded = |value: Tensor, view_of: Option<ViewOf>| {
            Var(Arc::new(VarInner { tensor: value, grad_fn: RwLock::new(None), slot: OnceLock::new(), view_of }))
        };
        if !is_grad_enabled() {
            // A view taken under no_grad is remembered as one: a recorded in-place op on it
            // later is refused, as PyTorch refuses it.
            let view_of = inputs.flatten().find(|v| value.shares_storage(v.tensor_ref())).map(ViewOf::of);
            return Err(unrecorded(value, view_of));
        }
        // Pushed one by one: collecting these two-element lists through `SmallVec`'s `Extend`
        // cost more than the rest of the recording's bookkeeping.
        let mut edges: PerInput<Option<Edge>> = PerInput::new();
        // A view of a variable (its tensor shares the input's storage), tracked even when
        // nothing requires grad: an in-place op on it that records must rebase the base.
        let mut view_of = None;
        for v in inputs.clone() {
            edges.push(v.and_then(Var::edge));
            if let (None, Some(v)) = (&view_of, v) {
                if value.shares_storage(v.tensor_ref()) {
                    view_of = Some(ViewOf::of(v));
                }
            }
        }
        if edges.iter().all(Option::is_none) {
            return Err(unrecorded(value, view_of));
        }
        let mut input_shapes: PerInput<Shape> = PerInput::new();
        for v in inputs.clone() {
            input_shapes.push(v.map_or_else(Shape::scalar, |v| v.shape().clone()));
        }
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
        // A view's history is only valid while its base's is unchanged: `grad_fn` regenerates
        // it from the base's; where the base is gone (dropped), an op using such a stale view
        // records a node whose backward refuses to run (rather than give wrong gradients).
        let stale = inputs.flatten().any(|v| v.is_stale_view());
        Ok(Recording { value, edges, saved, input_shapes, view_of, stale })
    }

    /// The recorded variable: one allocation for the node and `backward`, one for the variable.
    fn finish<F: BackwardFn + 'static>(self, name: Cow<'static, str>, backward: F) -> Var {
        let node: Arc<Node> = Arc::new(NodeOf::new(name, self.edges, backward, self.saved, self.input_shapes));
        Var(Arc::new(VarInner {
            tensor: self.value,
            grad_fn: RwLock::new(Some(node)),
            slot: OnceLock::new(),
            view_of: self.view_of,
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
