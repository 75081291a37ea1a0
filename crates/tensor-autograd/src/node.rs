//! The graph: a [`Node`] per recorded op (PyTorch's `grad_fn`), holding its backward
//! [`BackwardFn`], the tensors it saved (with their versions), and an [`Edge`] per input.
//!
//! The [`Var`] handle is declared here too, with the few constructors and accessors a node
//! uses: a variable holds its node and a node holds variables (saved values, gradients), so
//! the two types live in one file and `var.rs` (the rest of `Var`'s API) builds on this one.
//!
//! [`GradSlot`], where the graph delivers a variable's gradient (a leaf's `.grad`, or a
//! non-leaf's after `retain_grad`) with the hooks run on it first, is here too: its hooks see
//! the gradient as a [`Var`] (under `create_graph`, itself differentiable).
//!
//! Nodes own their inputs' nodes (`Arc`), never their outputs, so the graph has no cycles and
//! is freed when the last output is dropped; `Drop` unlinks long chains iteratively so that a
//! 100,000-op graph does not overflow the stack.

use smallvec::SmallVec;
use std::borrow::Cow;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock, Weak};
use tensor_core::{bail, Result, ResultExt, Shape, Tensor};

/// One entry per input of a node: inline for the one- and two-input ops that most nodes are.
pub(crate) type PerInput<T> = SmallVec<[T; 2]>;

/// Where the gradient of one input of a node goes.
#[derive(Clone)]
pub(crate) enum Edge {
    /// Into the node that produced the input.
    Node(Arc<Node>),
    /// Into a leaf's `.grad`.
    Leaf(Arc<GradSlot>),
}

impl Edge {
    pub(crate) fn id(&self) -> usize {
        match self {
            Edge::Node(n) => Arc::as_ptr(n) as *const () as usize,
            Edge::Leaf(s) => Arc::as_ptr(s) as *const () as usize,
        }
    }
}

/// The backward of one recorded op: given the gradient of its output, the gradients of its
/// inputs (`None` where an input needs none). Written with `Var` ops, so that under
/// `create_graph` the backward itself is recorded (double backward).
pub trait BackwardFn: Send + Sync {
    /// Computes the input gradients.
    #[track_caller]
    fn backward(&self, ctx: &BackwardCtx<'_>) -> Result<Vec<Option<Var>>>;
}

impl<F> BackwardFn for F
where
    F: Fn(&BackwardCtx<'_>) -> Result<Vec<Option<Var>>> + Send + Sync,
{
    #[track_caller]
    fn backward(&self, ctx: &BackwardCtx<'_>) -> Result<Vec<Option<Var>>> {
        self(ctx)
    }
}

/// What a backward function sees: the output gradient, the saved values, and which inputs need
/// a gradient.
pub struct BackwardCtx<'a> {
    pub(crate) grad: &'a Var,
    pub(crate) saved: &'a [Var],
    pub(crate) needs: &'a [bool],
}

impl BackwardCtx<'_> {
    /// The gradient of the op's output.
    pub fn grad(&self) -> &Var {
        self.grad
    }
    /// Saved value `i`, in the order given when the op was recorded.
    pub fn saved(&self, i: usize) -> &Var {
        &self.saved[i]
    }
    /// True when input `i` needs a gradient (skip computing the others).
    pub fn needs(&self, i: usize) -> bool {
        self.needs.get(i).copied().unwrap_or(false)
    }
}

impl fmt::Debug for BackwardCtx<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BackwardCtx").field("needs", &self.needs).finish_non_exhaustive()
    }
}

/// A value saved for backward: the tensor, the graph position it had, and the storage version
/// at save time (a later in-place write makes backward fail, as in PyTorch).
pub(crate) enum SavedVar {
    /// An input of the op (or any other variable).
    Var { var: Var, version: usize },
    /// The op's own output: kept as a plain tensor (a strong reference to the node from inside
    /// the node would be a cycle) and re-attached to the node when unpacked.
    Output { tensor: Tensor, version: usize },
}

/// A tensor that autograd tracks: PyTorch's `torch.Tensor` with `requires_grad`.
///
/// `Clone` is cheap (another handle to the same variable). Ops on `Var` mirror tensor-core's and
/// record a [`Node`] when grad mode is on and an input requires grad.
///
/// ```
/// use tensor_autograd::Var;
/// use tensor_core::{Tensor, DType, Device};
/// let x = Var::new(Tensor::ones(&[2, 2], DType::F32, &Device::Cpu)?, true);
/// let out = x.add(2.0)?.mul(&x.add(2.0)?)?.mul(3.0)?.mean()?;
/// out.backward()?;
/// assert_eq!(x.grad().unwrap().to_vec::<f32>()?, [4.5; 4]);
/// # Ok::<(), tensor_core::Error>(())
/// ```
#[derive(Clone)]
pub struct Var(pub(crate) Arc<VarInner>);

/// What the handles of one variable share.
pub(crate) struct VarInner {
    pub(crate) tensor: Tensor,
    pub(crate) grad_fn: RwLock<Option<Arc<Node>>>,
    /// Made on first use: most variables (an op's result, a gradient) never need one.
    pub(crate) slot: OnceLock<Arc<GradSlot>>,
    /// Set when recorded as a view of another variable (its tensor shares that input's
    /// storage): the base (the first non-view one) and its history count at that time.
    pub(crate) view_of: Option<ViewOf>,
}

/// The base a view was taken of (the first variable up the chain of views that is not itself
/// one), and the base's history count when the view's own history was last made.
pub(crate) struct ViewOf {
    /// The base, to rebase its history when the view is modified in place. Weak: a view does
    /// not keep its base's graph alive (a saved view would otherwise make a cycle through the
    /// base's `CopySlices` node).
    pub(crate) base: Weak<VarInner>,
    /// The base's grad slot, whose `history` counts the base's in-place ops.
    pub(crate) base_slot: Arc<GradSlot>,
    /// The base's history count that the view's `grad_fn` describes; behind, the view's
    /// history is regenerated from the base's (PyTorch's `AsStridedBackward0`).
    pub(crate) history: AtomicUsize,
    /// Set on the outputs of ops that return several views (`split`, `unbind`): PyTorch refuses
    /// in-place ops on them. The op's name and the output's index.
    pub(crate) multi_output: Option<(&'static str, usize)>,
    /// Taken under `no_grad` (or of such a view): PyTorch refuses a recorded in-place op on
    /// it, and its history is not regenerated.
    pub(crate) no_grad: bool,
}

impl Var {
    pub(crate) fn from_node(tensor: Tensor, node: Option<Arc<Node>>) -> Var {
        Var(Arc::new(VarInner { tensor, grad_fn: RwLock::new(node), slot: OnceLock::new(), view_of: None }))
    }
    /// The tensor, moved out when this is the variable's last handle (no copy, no other
    /// holder: what lets `.grad` take over a fresh gradient), else a shallow clone.
    pub(crate) fn into_tensor(self) -> Tensor {
        match Arc::try_unwrap(self.0) {
            Ok(inner) => inner.tensor,
            Err(shared) => shared.tensor.shallow_clone(),
        }
    }
    /// The tensor, borrowed.
    pub fn tensor_ref(&self) -> &Tensor {
        &self.0.tensor
    }
    /// If this is the last handle, its node (for the iterative unlinking in `Node::drop`).
    pub(crate) fn into_node_if_unique(self) -> Option<Arc<Node>> {
        Arc::try_unwrap(self.0).ok().and_then(|inner| inner.grad_fn.into_inner().ok().flatten())
    }
}

/// One recorded op: PyTorch's `grad_fn` (a [`NodeOf`] whose backward is behind `dyn`).
pub type Node = NodeOf<dyn BackwardFn>;

/// A recorded op with its backward `F` stored inline (the last field), so that a node and its
/// backward closure are one allocation: an `Arc<NodeOf<F>>` is made once and used as an
/// `Arc<Node>`.
pub struct NodeOf<F: ?Sized> {
    name: Cow<'static, str>,
    pub(crate) edges: PerInput<Option<Edge>>,
    /// The saved values; `None` for a node that saved none (most: `add`, a product with a
    /// number, views), which is never released and runs its backward without taking a lock.
    state: Option<Mutex<NodeState>>,
    /// The output's grad slot, when `retain_grad` or a hook was registered on the output.
    output_slot: Mutex<Option<Weak<GradSlot>>>,
    /// Set once `output_slot` has been filled: the backward pass reads this flag rather than
    /// locking the mutex at every node (one in a thousand has a slot).
    has_output_slot: AtomicBool,
    /// The shape of each input: a gradient sent along edge `i` must have `input_shapes[i]`.
    pub(crate) input_shapes: PerInput<Shape>,
    /// Order of creation: later nodes run first when several are ready.
    pub(crate) sequence: u64,
    backward: F,
}

struct NodeState {
    saved: Vec<SavedVar>,
    /// The saved values were freed by a backward without `retain_graph`. A node that saved
    /// nothing has no state, so is never released: it can run again, as in PyTorch.
    released: bool,
}

impl<F: BackwardFn> NodeOf<F> {
    pub(crate) fn new(
        name: Cow<'static, str>,
        edges: PerInput<Option<Edge>>,
        backward: F,
        saved: Vec<SavedVar>,
        input_shapes: PerInput<Shape>,
    ) -> NodeOf<F> {
        NodeOf {
            name,
            edges,
            state: (!saved.is_empty()).then(|| Mutex::new(NodeState { saved, released: false })),
            output_slot: Mutex::new(None),
            has_output_slot: AtomicBool::new(false),
            input_shapes,
            sequence: next_sequence_number(),
            backward,
        }
    }
}

/// The next node's sequence number. Per thread, as PyTorch's `sequence_nr`: it only orders the
/// nodes that are ready at once in a backward pass (the dependency counts order the rest), and
/// a thread-local counter costs no atomic read-modify-write per recorded op.
fn next_sequence_number() -> u64 {
    thread_local! {
        static NEXT: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    }
    NEXT.with(|n| {
        let s = n.get();
        n.set(s + 1);
        s
    })
}

impl Node {
    /// PyTorch's name for this node's type, e.g. `AddBackward0`.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The nodes this node sends gradients to (`None` for inputs that need none or are leaves),
    /// as `grad_fn.next_functions`.
    pub fn next_functions(&self) -> Vec<Option<Arc<Node>>> {
        self.edges
            .iter()
            .map(|e| match e {
                Some(Edge::Node(n)) => Some(n.clone()),
                _ => None,
            })
            .collect()
    }

    /// The grad slot of this node's output, when one was attached (`retain_grad`, a hook).
    pub(crate) fn output_slot(&self) -> Option<Arc<GradSlot>> {
        if !self.has_output_slot.load(Ordering::Acquire) {
            return None;
        }
        self.output_slot.lock().unwrap_or_else(|e| e.into_inner()).as_ref().and_then(Weak::upgrade)
    }
    /// Attaches the grad slot of this node's output (replacing any earlier one).
    pub(crate) fn set_output_slot(&self, slot: &Arc<GradSlot>) {
        *self.output_slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(Arc::downgrade(slot));
        self.has_output_slot.store(true, Ordering::Release);
    }

    /// Runs this node's backward on `grad`. `this` is the node itself (to re-attach a saved output).
    #[track_caller]
    pub(crate) fn apply(
        this: &Arc<Node>,
        grad: &Var,
        retain_graph: bool,
        create_graph: bool,
    ) -> Result<Vec<Option<Var>>> {
        let mut guard = this.state.as_ref().map(|m| m.lock().unwrap_or_else(|e| e.into_inner()));
        let mut saved = Vec::new();
        if let Some(state) = guard.as_deref() {
            if state.released {
                bail!(
                    Autograd,
                    "backward",
                    "Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). Saved intermediate values of the graph are freed when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or if you need to access saved tensors after calling backward. (node {})",
                    this.name
                );
            }
            saved.reserve_exact(state.saved.len());
            for s in &state.saved {
                saved.push(match s {
                    SavedVar::Var { var, version } => {
                        check_version(var.tensor_ref(), *version, this)?;
                        var.clone()
                    }
                    SavedVar::Output { tensor, version } => {
                        check_version(tensor, *version, this)?;
                        let node = if create_graph { Some(this.clone()) } else { None };
                        Var::from_node(tensor.shallow_clone(), node)
                    }
                });
            }
        }
        let mut needs: PerInput<bool> = PerInput::new();
        for e in &this.edges {
            needs.push(e.is_some());
        }
        let ctx = BackwardCtx { grad, saved: &saved, needs: &needs };
        let grads = this.backward.backward(&ctx).located()?;
        if grads.len() != this.edges.len() {
            bail!(
                Autograd,
                "backward",
                "function {} returned {} gradients but expected {}",
                this.name,
                grads.len(),
                this.edges.len()
            );
        }
        if let (false, Some(mut state)) = (retain_graph, guard.take()) {
            // Free the saved values (not the node: its edges and backward stay, as PyTorch's).
            let freed = std::mem::take(&mut state.saved);
            state.released = true;
            drop(state);
            drop(freed);
        }
        Ok(grads)
    }
}

#[track_caller]
fn check_version(t: &Tensor, saved: usize, node: &Node) -> Result<()> {
    if t.version() != saved {
        bail!(
            Autograd,
            "backward",
            "one of the variables needed for gradient computation has been modified by an inplace operation: [{} {:?}], which is used by {}, is at version {}; expected version {} instead.",
            t.dtype(),
            t.shape(),
            node.name,
            t.version(),
            saved
        );
    }
    Ok(())
}

impl<F: ?Sized> fmt::Debug for NodeOf<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{}>", self.name)
    }
}

impl<F: ?Sized> Drop for NodeOf<F> {
    fn drop(&mut self) {
        // Unlink the chain iteratively: take the inputs of every node we hold the last
        // reference to, so their drops do not recurse.
        let mut stack: Vec<Arc<Node>> = Vec::new();
        let take = |edges: &mut PerInput<Option<Edge>>, stack: &mut Vec<Arc<Node>>| {
            for e in edges.drain(..) {
                if let Some(Edge::Node(n)) = e {
                    stack.push(n);
                }
            }
        };
        take(&mut self.edges, &mut stack);
        if let Some(state) = self.state.take() {
            drop_saved(state, &mut stack);
        }
        while let Some(mut n) = stack.pop() {
            // The last reference: empty it here (its own drop then has nothing to unlink).
            if let Some(inner) = Arc::get_mut(&mut n) {
                take(&mut inner.edges, &mut stack);
                if let Some(state) = inner.state.take() {
                    drop_saved(state, &mut stack);
                }
            }
        }
    }
}

/// Moves the graph nodes reachable only through saved variables onto the unlink stack.
fn drop_saved(state: Mutex<NodeState>, stack: &mut Vec<Arc<Node>>) {
    for s in state.into_inner().unwrap_or_else(|e| e.into_inner()).saved {
        if let SavedVar::Var { var, .. } = s {
            if let Some(n) = var.into_node_if_unique() {
                stack.push(n);
            }
        }
    }
}

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
