//! Views and in-place ops, as PyTorch tracks them. A variable recorded as a view of another
//! (its tensor shares the input's storage) remembers its *base*, the first variable up the
//! chain of views that is not itself a view. An in-place op on a view that records:
//!
//! - rebases the base's history onto a `CopySlices` node: the base's old value with the view's
//!   region replaced by the op's result (whose own node reads the view's old value);
//! - leaves the view's history to be regenerated from the base's on its next use
//!   (`AsStridedBackward0`: the view's region of the base), as every other view of the same
//!   base whose history predates the change.
//!
//! The region is a [`ViewMap`]: for each element of the view, its position in the base
//! (row-major), found once from the two layouts; the forward and backward of both nodes are
//! gathers and scatters through it, written with `Var` ops so that double backward works.

use crate::grad_mode::{enable_grad, is_grad_enabled};
use crate::node::{Var, ViewOf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tensor_core::{bail, Result, Shape, Tensor};

impl ViewOf {
    /// The view record of a variable taken as a view of `b`: `b`'s base when `b` is itself a
    /// view, else `b`.
    pub(crate) fn of(b: &Var) -> ViewOf {
        let no_grad = !is_grad_enabled();
        match &b.0.view_of {
            Some(v) => ViewOf {
                base: v.base.clone(),
                base_slot: v.base_slot.clone(),
                history: AtomicUsize::new(v.history.load(Ordering::Relaxed)),
                multi_output: None,
                no_grad: no_grad || v.no_grad,
            },
            None => {
                let slot = b.slot();
                ViewOf {
                    base: Arc::downgrade(&b.0),
                    base_slot: slot.clone(),
                    history: AtomicUsize::new(slot.history.load(Ordering::Relaxed)),
                    multi_output: None,
                    no_grad,
                }
            }
        }
    }
}

/// Where the elements of a view sit in its base: `index[i]` is the row-major position in the
/// base of the view's element `i` (row-major too).
pub(crate) struct ViewMap {
    index: Tensor,
    base_shape: Shape,
    view_shape: Shape,
}

impl ViewMap {
    /// The map of `view` (a view of `base`'s storage) into `base`; an error when the view
    /// reaches storage that the base does not cover.
    #[track_caller]
    pub(crate) fn new(op: &'static str, base: &Tensor, view: &Tensor) -> Result<Arc<ViewMap>> {
        let (bl, vl) = (base.layout(), view.layout());
        let mut position = vec![-1i64; bl.max_extent().max(vl.max_extent())];
        for (i, p) in bl.offsets().enumerate() {
            position[p] = i as i64;
        }
        let mut index = Vec::with_capacity(view.numel());
        for p in vl.offsets() {
            match position[p] {
                -1 => bail!(
                    Autograd,
                    op,
                    "in-place operation on a view ({:?}, strides {:?}, offset {}) that reaches outside its base ({:?}, strides {:?}, offset {})",
                    view.shape(),
                    view.stride(),
                    view.storage_offset(),
                    base.shape(),
                    base.stride(),
                    base.storage_offset()
                ),
                i => index.push(i),
            }
        }
        let n = index.len();
        let index = Tensor::from_vec(index, [n])?.to_device(base.device())?;
        Ok(Arc::new(ViewMap { index, base_shape: base.shape().clone(), view_shape: view.shape().clone() }))
    }
}

fn dims(s: &Shape) -> Vec<isize> {
    s.dims().iter().map(|&d| d as isize).collect()
}

impl Var {
    /// The view's region of this base-shaped variable (`AsStridedBackward0`).
    #[track_caller]
    pub(crate) fn take_view(&self, map: &Arc<ViewMap>) -> Result<Var> {
        let value =
            self.tensor_ref().reshape(&[-1])?.index_select(0, &map.index)?.reshape_to(map.view_shape.clone())?;
        Ok(self.take_view_with(value, map))
    }
    /// [`take_view`](Self::take_view) with its value given (the view's own tensor).
    fn take_view_with(&self, value: Tensor, map: &Arc<ViewMap>) -> Var {
        let map = map.clone();
        Var::record(value, "AsStridedBackward0", &[self], vec![], move |ctx| {
            // The gradient embedded into zeros of the base's shape at the view's positions.
            let g = ctx.grad();
            let zeros = Tensor::zeros([map.base_shape.numel()], g.dtype(), g.device())?;
            let flat = Var::constant(zeros).index_add(0, &map.index, &g.reshape(&[-1])?)?;
            Ok(vec![Some(flat.reshape(&dims(&map.base_shape))?)])
        })
    }

    /// Records `value` (the base after the write) as `base` with the view's region replaced by
    /// `src` (`CopySlices`).
    fn copy_slices(value: Tensor, base: &Var, src: &Var, map: Arc<ViewMap>) -> Var {
        Var::record(value, "CopySlices", &[base, src], vec![], move |ctx| {
            let g = ctx.grad();
            let gb = if ctx.needs(0) {
                // The base's old values in the region were overwritten: no gradient there.
                let zeros = Var::constant(Tensor::zeros([map.view_shape.numel()], g.dtype(), g.device())?);
                Some(g.reshape(&[-1])?.scatter(0, &map.index, &zeros)?.reshape(&dims(&map.base_shape))?)
            } else {
                None
            };
            let gs = if ctx.needs(1) { Some(g.take_view(&map)?) } else { None };
            Ok(vec![gb, gs])
        })
    }

    /// The base of this view, if it is one and the base is still alive.
    pub(crate) fn view_base(&self) -> Option<Var> {
        self.0.view_of.as_ref()?.base.upgrade().map(Var)
    }

    /// True for a view taken under `no_grad`.
    pub(crate) fn is_no_grad_view(&self) -> bool {
        self.0.view_of.as_ref().is_some_and(|v| v.no_grad)
    }

    /// For an output of an op that returns several views: the op and the output's index.
    pub(crate) fn multi_output(&self) -> Option<(&'static str, usize)> {
        self.0.view_of.as_ref()?.multi_output
    }

    /// Marks a fresh view as output `index` of `op`, an op returning several views.
    pub(crate) fn mark_multi_output(mut self, op: &'static str, index: usize) -> Var {
        if let Some(v) = Arc::get_mut(&mut self.0).and_then(|inner| inner.view_of.as_mut()) {
            v.multi_output = Some((op, index));
        }
        self
    }

    /// After an in-place op on a view whose base is gone (rebasing the view alone): every
    /// other view of that base is stale from now on (used in the graph, its backward fails
    /// rather than give gradients that miss the write), this one is not.
    pub(crate) fn outdate_other_views(&self) {
        if let Some(v) = &self.0.view_of {
            let history = v.base_slot.history.fetch_add(1, Ordering::Relaxed) + 1;
            v.history.store(history, Ordering::Relaxed);
        }
    }

    /// Regenerates a stale view's history from its base's: the view's region of the base.
    /// Nothing happens when the base is gone (ops on the view then record a node that refuses
    /// to run backward).
    pub(crate) fn refresh_view_history(&self) {
        let Some(v) = self.0.view_of.as_ref().filter(|v| !v.no_grad) else { return };
        let Some(base) = v.base.upgrade().map(Var) else { return };
        let history = v.base_slot.history.load(Ordering::Relaxed);
        let node = if base.requires_grad() {
            // Recorded whatever the grad mode: this is the view's history, not a new op.
            let _mode = enable_grad();
            match ViewMap::new("view", base.tensor_ref(), self.tensor_ref()) {
                Ok(map) => base.take_view_with(self.tensor(), &map).grad_fn(),
                Err(_) => return,
            }
        } else {
            None
        };
        *self.0.grad_fn.write().unwrap_or_else(|e| e.into_inner()) = node;
        v.history.store(history, Ordering::Relaxed);
    }

    /// The second half of an in-place op on a view whose base is alive: `new` (the op's result,
    /// recorded from the view's old value) is written into the view, and the base's history is
    /// rebased onto `CopySlices`.
    #[track_caller]
    pub(crate) fn write_view(&self, base: &Var, new: &Var) -> Result<()> {
        let map = ViewMap::new("in-place", base.tensor_ref(), self.tensor_ref())?;
        self.tensor().copy_(new.tensor_ref())?;
        let old_base = Var::from_graph_of(base, base.tensor());
        let rebased = Var::copy_slices(base.tensor(), &old_base, new, map);
        // Bumps the base's history: this view's (and every other view's) is regenerated.
        base.set_grad_fn(rebased.grad_fn());
        Ok(())
    }
}
