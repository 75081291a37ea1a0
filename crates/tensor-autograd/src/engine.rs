//! The backward pass: walks the graph from the roots in dependency order (iteratively: no
//! recursion, so a 100,000-op chain is fine), sums the gradients arriving at each node, runs
//! hooks, and accumulates into leaves' `.grad` (or captures them for [`grad`]).

use crate::grad_mode::set_grad_enabled;
use crate::node::{Edge, Node, Var};
use rustc_hash::FxHashMap as HashMap;
use std::collections::hash_map::Entry;
use std::collections::BinaryHeap;
use std::sync::Arc;
use tensor_core::{bail, Result, Tensor};

/// Options of one backward pass.
#[derive(Debug, Clone, Copy, Default)]
pub struct BackwardOptions {
    /// Keep the saved values so the graph can be walked again.
    pub retain_graph: bool,
    /// Record the backward pass itself (for double backward); implies `retain_graph` by default
    /// in PyTorch, and here too.
    pub create_graph: bool,
}

/// A node reached by the pass, borrowed from the graph: the roots' edges, held for the whole
/// pass, keep every node below them alive (a node's edges change only when it is dropped), so
/// the pass counts no references per node.
struct Pending<'g> {
    node: &'g Arc<Node>,
    deps: usize,
    grad: Option<Var>,
}

/// Runs backward from `roots` (each a variable and its gradient). With `capture`, the gradients
/// arriving at those edges are returned instead of accumulated into `.grad`.
#[track_caller]
pub(crate) fn run(roots: &[(Var, Var)], opts: BackwardOptions, capture: Option<&[Edge]>) -> Result<Vec<Option<Var>>> {
    let retain_graph = opts.retain_graph || opts.create_graph;
    let _mode = set_grad_enabled(opts.create_graph);
    let captured_ids: Vec<usize> = capture.map(|c| c.iter().map(Edge::id).collect()).unwrap_or_default();
    let mut captured: Vec<Option<Var>> = vec![None; captured_ids.len()];
    let root_edges: Vec<Option<Edge>> = roots.iter().map(|(v, _)| v.edge()).collect();

    // Count, for every reachable node, how many edges point at it.
    // Keyed by node address: FxHash (a multiply) rather than SipHash, which showed in profiles.
    let mut pending: HashMap<usize, Pending<'_>> = HashMap::default();
    let mut stack: Vec<&Arc<Node>> = Vec::new();
    for e in root_edges.iter().flatten() {
        if let Edge::Node(n) = e {
            if let Entry::Vacant(v) = pending.entry(e.id()) {
                v.insert(Pending { node: n, deps: 0, grad: None });
                stack.push(n);
            }
        }
    }
    while let Some(n) = stack.pop() {
        for e in n.edges.iter().flatten() {
            if let Edge::Node(child) = e {
                match pending.entry(e.id()) {
                    Entry::Occupied(mut p) => p.get_mut().deps += 1,
                    Entry::Vacant(v) => {
                        v.insert(Pending { node: child, deps: 1, grad: None });
                        stack.push(child);
                    }
                }
            }
        }
    }

    // Seed the roots.
    let mut leaves = LeafGrads::default();
    let mut ready: BinaryHeap<(u64, usize)> = BinaryHeap::new();
    for ((_, g), edge) in roots.iter().zip(&root_edges) {
        match edge {
            Some(e @ Edge::Node(_)) => {
                let p = pending.get_mut(&e.id()).expect("root registered");
                p.grad = Some(add_opt(p.grad.take(), g.clone())?);
            }
            Some(e @ Edge::Leaf(_)) => leaves.add(e.clone(), g.clone())?,
            None => {
                bail!(Autograd, "backward", "element 0 of tensors does not require grad and does not have a grad_fn")
            }
        }
    }
    for p in pending.values() {
        if p.deps == 0 {
            ready.push((p.node.sequence, Arc::as_ptr(p.node) as *const () as usize));
        }
    }

    while let Some((_, id)) = ready.pop() {
        let Pending { node, grad, .. } = pending.remove(&id).expect("ready node is pending");
        let Some(mut grad) = grad else {
            // No gradient reached this node: its inputs get none from it either.
            for edge in node.edges.iter().flatten() {
                if let Edge::Node(_) = edge {
                    let p = pending.get_mut(&edge.id()).expect("child registered");
                    p.deps -= 1;
                    if p.deps == 0 {
                        ready.push((p.node.sequence, edge.id()));
                    }
                }
            }
            continue;
        };
        if let Some(slot) = node.output_slot() {
            grad = slot.run_hooks(grad)?;
            if slot.retains_grad.load(std::sync::atomic::Ordering::Relaxed) {
                slot.accumulate(grad.tensor())?;
            }
        }
        if let Some(i) = captured_ids.iter().position(|&c| c == id) {
            captured[i] = Some(add_opt(captured[i].take(), grad.clone())?);
        }
        let grads = Node::apply(node, &grad, retain_graph, opts.create_graph)?;
        // Released before the leaves take their gradients: one passed straight through (as
        // by `add`) then has no other handle, and `.grad` takes it over without a copy.
        drop(grad);
        for (i, (edge, g)) in node.edges.iter().zip(grads).enumerate() {
            let Some(edge) = edge else { continue };
            if let Some(g) = &g {
                check_shape(g, i, node)?;
            }
            match edge {
                Edge::Node(_) => {
                    let cid = edge.id();
                    let p = pending.get_mut(&cid).expect("child registered");
                    if let Some(g) = g {
                        p.grad = Some(add_opt(p.grad.take(), g)?);
                    }
                    p.deps -= 1;
                    if p.deps == 0 {
                        ready.push((p.node.sequence, cid));
                    }
                }
                Edge::Leaf(_) => {
                    if let Some(g) = g {
                        leaves.add(edge.clone(), g)?;
                    }
                }
            }
        }
    }
    // Each leaf's gradient, summed over the edges that reach it, goes through its hooks once
    // (as PyTorch's `AccumulateGrad` node runs once), in the order the leaves were reached.
    for (edge, g) in leaves.grads {
        deliver_leaf(&edge, g, &captured_ids, &mut captured)?;
    }
    Ok(captured)
}

/// The gradients reaching leaves during a pass, summed per leaf.
#[derive(Default)]
struct LeafGrads {
    at: HashMap<usize, usize>,
    grads: Vec<(Edge, Var)>,
}

impl LeafGrads {
    #[track_caller]
    fn add(&mut self, edge: Edge, g: Var) -> Result<()> {
        match self.at.get(&edge.id()) {
            Some(&i) => {
                let acc = &mut self.grads[i].1;
                *acc = acc.add(&g)?;
            }
            None => {
                self.at.insert(edge.id(), self.grads.len());
                self.grads.push((edge, g));
            }
        }
        Ok(())
    }
}

/// A gradient must have the shape of the input it is for (a node's child or a leaf).
#[track_caller]
fn check_shape(g: &Var, input: usize, parent: &Node) -> Result<()> {
    let expected = &parent.input_shapes[input];
    if g.shape() != expected {
        bail!(
            Autograd,
            "backward",
            "Function {} returned an invalid gradient at index {} - got {:?} but expected shape compatible with {:?}",
            parent.name(),
            input,
            g.shape(),
            expected
        );
    }
    Ok(())
}

#[track_caller]
fn add_opt(acc: Option<Var>, g: Var) -> Result<Var> {
    match acc {
        None => Ok(g),
        Some(a) => a.add(&g),
    }
}

#[track_caller]
fn deliver_leaf(edge: &Edge, g: Var, captured_ids: &[usize], captured: &mut [Option<Var>]) -> Result<()> {
    let Edge::Leaf(slot) = edge else { return Ok(()) };
    // A hook's result replaces the gradient; without one `g` itself goes on, keeping its
    // graph and, with no other handle, its buffer.
    let g = slot.run_hooks(g)?;
    if let Some(i) = captured_ids.iter().position(|&c| c == edge.id()) {
        captured[i] = Some(add_opt(captured[i].take(), g)?);
        return Ok(());
    }
    if captured_ids.is_empty() {
        slot.accumulate(g.into_tensor())?;
    }
    Ok(())
}

impl Var {
    /// Backward from a one-element variable, seeding with 1, as `out.backward()`.
    #[track_caller]
    pub fn backward(&self) -> Result<()> {
        if self.numel() != 1 {
            bail!(
                Autograd,
                "backward",
                "grad can be implicitly created only for scalar outputs (got shape {:?}); use backward_with(gradient)",
                self.shape()
            );
        }
        let seed = self.tensor_ref().ones_like(None)?;
        self.backward_opts(&seed, BackwardOptions::default())
    }
    /// Backward with an explicit gradient of this variable's shape, as `y.backward(gradient)`.
    #[track_caller]
    pub fn backward_with(&self, gradient: &Tensor) -> Result<()> {
        self.backward_opts(gradient, BackwardOptions::default())
    }
    /// Backward with options (`retain_graph`, `create_graph`).
    #[track_caller]
    pub fn backward_opts(&self, gradient: &Tensor, opts: BackwardOptions) -> Result<()> {
        if !self.requires_grad() {
            bail!(Autograd, "backward", "element 0 of tensors does not require grad and does not have a grad_fn");
        }
        if gradient.shape() != self.shape() {
            bail!(
                Shape,
                "backward",
                "mismatch in shape: grad_output[0] has a shape of {:?} and output[0] has a shape of {:?}",
                gradient.shape(),
                self.shape()
            );
        }
        let g = gradient.to_dtype(self.dtype())?;
        run(&[(self.clone(), Var::constant(g))], opts, None)?;
        Ok(())
    }
}

/// The gradients of `outputs` with respect to `inputs`, as `torch.autograd.grad`; `.grad` of
/// leaves is left untouched. `grad_outputs` default to ones (outputs must then be scalars). An
/// input no output depends on is an error unless `allow_unused`, which gives `None` for it.
#[track_caller]
pub fn grad(
    outputs: &[&Var],
    inputs: &[&Var],
    grad_outputs: Option<&[&Var]>,
    opts: BackwardOptions,
    allow_unused: bool,
) -> Result<Vec<Option<Var>>> {
    let mut roots = Vec::with_capacity(outputs.len());
    for (i, o) in outputs.iter().enumerate() {
        let g = match grad_outputs {
            Some(gs) => {
                let Some(g) = gs.get(i) else {
                    bail!(Value, "grad", "got {} grad_outputs for {} outputs", gs.len(), outputs.len())
                };
                if g.shape() != o.shape() {
                    bail!(
                        Shape,
                        "grad",
                        "mismatch in shape: grad_output[{}] has a shape of {:?} and output[{}] has a shape of {:?}",
                        i,
                        g.shape(),
                        i,
                        o.shape()
                    );
                }
                (*g).clone()
            }
            None => {
                if o.numel() != 1 {
                    bail!(
                        Autograd,
                        "grad",
                        "grad can be implicitly created only for scalar outputs (output {} has shape {:?})",
                        i,
                        o.shape()
                    );
                }
                Var::constant(o.tensor_ref().ones_like(None)?)
            }
        };
        roots.push(((*o).clone(), g));
    }
    let mut edges = Vec::with_capacity(inputs.len());
    for (i, v) in inputs.iter().enumerate() {
        match v.edge() {
            Some(e) => edges.push(e),
            None => bail!(Autograd, "grad", "input {} does not require grad", i),
        }
    }
    let out = run(&roots, opts, Some(&edges))?;
    if !allow_unused {
        if let Some(i) = out.iter().position(Option::is_none) {
            bail!(Autograd, "grad", "One of the differentiated Tensors (input {}) appears to not have been used in the graph. Set allow_unused=True if this is the desired behavior.", i);
        }
    }
    Ok(out)
}
