//! User-defined differentiable functions, as `torch.autograd.Function`: a forward on plain
//! tensors that may save its inputs or its result for the backward, and a backward written
//! with `Var` ops (so that, under `create_graph`, it is itself differentiated: double backward).
//!
//! ```
//! use tensor_autograd::{Function, FunctionCtx, Var};
//! use tensor_core::{Tensor, DType, Device, Result};
//!
//! /// `x^3`, with its derivative `3 x^2`.
//! struct Cube;
//! impl Function for Cube {
//!     fn name(&self) -> &'static str { "CubeBackward" }
//!     fn forward(&self, ctx: &mut FunctionCtx, inputs: &[&Var]) -> Result<Tensor> {
//!         ctx.save_for_backward(&[inputs[0]]);
//!         inputs[0].tensor_ref().pow(3.0)
//!     }
//!     fn backward(&self, ctx: &FunctionCtx, grad: &Var) -> Result<Vec<Option<Var>>> {
//!         let x = &ctx.saved_tensors()[0];
//!         Ok(vec![Some(grad.mul(&x.pow(2.0)?.mul(3.0)?)?)])
//!     }
//! }
//!
//! let x = Var::new(Tensor::new([2.0f64], &Device::Cpu)?, true);
//! let y = tensor_autograd::apply(Cube, &[&x])?;
//! y.sum()?.backward()?;
//! assert_eq!(x.grad().unwrap().to_vec::<f64>()?, [12.0]);
//! assert_eq!(y.grad_fn().unwrap().name(), "CubeBackward");
//! # Ok::<(), tensor_core::Error>(())
//! ```

use crate::grad_mode::no_grad;
use crate::node::Var;
use crate::var::Saved;
use std::sync::Arc;
use tensor_core::{Result, Tensor};

/// A differentiable function defined by its forward and backward.
pub trait Function: Send + Sync + 'static {
    /// The node's name, as PyTorch's `<ClassName>Backward`.
    fn name(&self) -> &'static str {
        "CustomFunctionBackward"
    }
    /// Computes the output from the inputs (run without recording). Save what the backward
    /// needs with [`FunctionCtx::save_for_backward`].
    fn forward(&self, ctx: &mut FunctionCtx, inputs: &[&Var]) -> Result<Tensor>;
    /// The gradients of the inputs (one per input; `None` for none) from the output's.
    fn backward(&self, ctx: &FunctionCtx, grad_output: &Var) -> Result<Vec<Option<Var>>>;
}

/// What a [`Function`]'s forward leaves for its backward.
#[derive(Debug, Default)]
pub struct FunctionCtx {
    to_save: Vec<ToSave>,
    saved: Vec<Var>,
}

/// One value saved by a forward: a variable, or the forward's own result.
#[derive(Debug)]
enum ToSave {
    Var(Var),
    Output,
}

impl FunctionCtx {
    /// Keeps these variables for the backward (checked against later in-place writes).
    pub fn save_for_backward(&mut self, vars: &[&Var]) {
        self.to_save.extend(vars.iter().map(|v| ToSave::Var((*v).clone())));
    }
    /// Keeps the forward's result for the backward, as `ctx.save_for_backward(out)` in
    /// PyTorch: it takes its place among [`saved_tensors`](Self::saved_tensors) in the order
    /// of the calls. Under `create_graph` it is the function's output in the graph (its node is
    /// this function's), so a backward written with `Var` ops on it has a second derivative.
    /// An in-place write to the result before backward is caught as for any saved value.
    pub fn save_output(&mut self) {
        self.to_save.push(ToSave::Output);
    }
    /// The saved variables, in order.
    pub fn saved_tensors(&self) -> &[Var] {
        &self.saved
    }
}

/// Runs `function` on `inputs`, recording it in the graph, as `MyFunction.apply(*inputs)`.
#[track_caller]
pub fn apply<F: Function>(function: F, inputs: &[&Var]) -> Result<Var> {
    let mut ctx = FunctionCtx::default();
    let value = {
        let _guard = no_grad();
        function.forward(&mut ctx, inputs)?
    };
    let saved = ctx
        .to_save
        .into_iter()
        .map(|s| match s {
            ToSave::Var(v) => Saved::Var(v),
            ToSave::Output => Saved::Output,
        })
        .collect();
    let function = Arc::new(function);
    let name = function.name();
    Ok(Var::record(value, name, inputs, saved, move |bctx| {
        let ctx = FunctionCtx { to_save: Vec::new(), saved: bctx.saved.to_vec() };
        function.backward(&ctx, bctx.grad())
    }))
}
