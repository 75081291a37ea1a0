//! Custom Functions that save their output (double backward through them) and hooks under
//! `create_graph` (a hook sees a differentiable gradient and may return a replacement built
//! from it), against PyTorch (scripts/pytorch/hooks_create_graph.py, torch 2.15).
//! Every test runs on every device (`common::devices`): hooks see the device's gradients.

use crate::common;

use common::*;
use std::sync::{Arc, Mutex};
use tensor_autograd::{apply, grad, BackwardOptions, Function, FunctionCtx, Var};
use tensor_core::{Result, Tensor};

fn create_graph() -> BackwardOptions {
    BackwardOptions { retain_graph: true, create_graph: true }
}

fn constant(values: &[f64]) -> Var {
    Var::constant(Tensor::from_vec(values.to_vec(), [values.len()]).unwrap())
}

/// `d out / d x` (one input, scalar output).
fn d(out: &Var, x: &Var, opts: BackwardOptions) -> Var {
    grad(&[out], &[x], None, opts, false).unwrap().remove(0).unwrap()
}

/// `e^x`, saving its output as `ctx.save_for_backward(out)`: the backward `grad * out` is
/// differentiated through `out`.
struct MyExp;
impl Function for MyExp {
    fn name(&self) -> &'static str {
        "MyExpBackward"
    }
    fn forward(&self, ctx: &mut FunctionCtx, inputs: &[&Var]) -> Result<Tensor> {
        ctx.save_output();
        inputs[0].tensor_ref().exp()
    }
    fn backward(&self, ctx: &FunctionCtx, grad: &Var) -> Result<Vec<Option<Var>>> {
        Ok(vec![Some(grad.mul(&ctx.saved_tensors()[0])?)])
    }
}

/// `tanh(x) * s`, saving its input and output (in that order): `grad * s (1 - (y/s)^2)`.
struct ScaledTanh(f64);
impl Function for ScaledTanh {
    fn forward(&self, ctx: &mut FunctionCtx, inputs: &[&Var]) -> Result<Tensor> {
        ctx.save_for_backward(&[inputs[0]]);
        ctx.save_output();
        inputs[0].tensor_ref().tanh()?.mul(self.0)
    }
    fn backward(&self, ctx: &FunctionCtx, grad: &Var) -> Result<Vec<Option<Var>>> {
        let (x, y) = (&ctx.saved_tensors()[0], &ctx.saved_tensors()[1]);
        assert_eq!(x.shape(), y.shape());
        let t = y.div(self.0)?;
        Ok(vec![Some(grad.mul(&t.mul(&t)?.neg()?.add(1.0)?)?.mul(self.0)?)])
    }
}

#[test]
fn a_function_saving_its_output_differentiates_twice() {
    for dev in &devices() {
        let x = leaf(dev, &[0.0, 0.5, -1.0], &[3]);
        let y = apply(MyExp, &[&x]).unwrap();
        assert_eq!(y.grad_fn().unwrap().name(), "MyExpBackward", "on {dev}");
        let gx = d(&y.sum().unwrap(), &x, create_graph());
        // scripts/pytorch/hooks_create_graph.py: custom_exp (gx.grad_fn is MulBackward0)
        assert_eq!(gx.grad_fn().unwrap().name(), "MulBackward0", "on {dev}");
        let expected = [1.0, 1.6487212707001282, 0.36787944117144233];
        assert_close(&vals_on(dev, gx.tensor_ref()), &expected, 1e-15);
        let ggx = d(&gx.sum().unwrap(), &x, BackwardOptions::default());
        assert_close(&vals_on(dev, ggx.tensor_ref()), &expected, 1e-15);
        let inputs = [uniform(dev, &[2, 3], 4, -1.5, 1.5)];
        gradcheck_on(|v| apply(MyExp, &[&v[0]]), &inputs).unwrap();
        gradgradcheck_on(|v| apply(MyExp, &[&v[0]]), &inputs).unwrap();
        gradgradcheck_on(|v| apply(ScaledTanh(1.5), &[&v[0]]), &inputs).unwrap();
        // The saved output is checked against in-place writes, as any saved value.
        let y = apply(MyExp, &[&x]).unwrap();
        let s = y.sum().unwrap();
        y.tensor().add_(1.0).unwrap();
        let err = s.backward().unwrap_err().to_string();
        assert!(err.contains("modified by an inplace operation"), "on {dev}: {err}");
    }
}

/// What a hook saw: whether the gradient required grad, its node's name, its values.
type Seen = Arc<Mutex<Vec<(bool, Option<String>, Vec<f64>)>>>;

fn recorder(seen: &Seen, g: &Var) {
    seen.lock().unwrap().push((g.requires_grad(), g.grad_fn().map(|n| n.name().to_string()), vals(g.tensor_ref())));
}

#[test]
fn a_hook_on_a_non_leaf_returns_a_differentiable_replacement() {
    for dev in &devices() {
        let x = leaf(dev, &[1.0, 2.0, -0.5], &[3]);
        let y = x.mul(&x).unwrap();
        let seen: Seen = Arc::default();
        let (s, y2) = (seen.clone(), y.clone());
        y.register_var_hook(move |g| {
            recorder(&s, g);
            Ok(Some(g.mul(&y2)?))
        })
        .unwrap();
        let out = y.mul(&constant(&[1.0, -1.0, 2.0])).unwrap().sum().unwrap();
        let gx = d(&out, &x, create_graph());
        // scripts/pytorch/hooks_create_graph.py: non_leaf
        assert_eq!(*seen.lock().unwrap(), [(false, None, vec![1.0, -1.0, 2.0])], "on {dev}");
        assert_eq!(vals_on(dev, gx.tensor_ref()), [2.0, -16.0, -0.5], "on {dev}");
        assert!(gx.requires_grad(), "on {dev}");
        let ggx = d(&gx.mul(&constant(&[0.5, 1.0, 2.0])).unwrap().sum().unwrap(), &x, BackwardOptions::default());
        assert_eq!(vals_on(dev, ggx.tensor_ref()), [3.0, -72.0, 3.0], "on {dev}");
    }
}

#[test]
fn a_hook_sees_a_differentiable_gradient_under_create_graph() {
    for dev in &devices() {
        let x = leaf(dev, &[1.0, 2.0, -0.5], &[3]);
        let y = x.mul(&x).unwrap();
        let z = y.mul(&y).unwrap();
        let seen: Seen = Arc::default();
        let s = seen.clone();
        y.register_var_hook(move |g| {
            recorder(&s, g);
            Ok(Some(g.mul(3.0)?))
        })
        .unwrap();
        let gx = d(&z.sum().unwrap(), &x, create_graph());
        // scripts/pytorch/hooks_create_graph.py: chain
        assert_eq!(*seen.lock().unwrap(), [(true, Some("AddBackward0".to_string()), vec![2.0, 8.0, 0.5])], "on {dev}");
        assert_eq!(vals_on(dev, gx.tensor_ref()), [12.0, 96.0, -1.5], "on {dev}");
        let ggx = d(&gx.sum().unwrap(), &x, BackwardOptions { retain_graph: true, create_graph: false });
        assert_eq!(vals_on(dev, ggx.tensor_ref()), [84.0, 336.0, 21.0], "on {dev}");
        // Without create_graph the hook sees a plain gradient.
        seen.lock().unwrap().clear();
        let z = y.mul(&y).unwrap();
        d(&z.sum().unwrap(), &x, BackwardOptions::default());
        assert_eq!(*seen.lock().unwrap(), [(false, None, vec![2.0, 8.0, 0.5])], "on {dev}");
    }
}

#[test]
fn a_hook_on_a_leaf_under_create_graph() {
    for dev in &devices() {
        let a = leaf(dev, &[1.0, 2.0], &[2]);
        let seen: Seen = Arc::default();
        let s = seen.clone();
        a.register_var_hook(move |g| {
            recorder(&s, g);
            Ok(Some(g.mul(2.0)?))
        })
        .unwrap();
        let ga = d(&a.mul(&a).unwrap().mul(&a).unwrap().sum().unwrap(), &a, create_graph());
        // scripts/pytorch/hooks_create_graph.py: leaf
        assert_eq!(*seen.lock().unwrap(), [(true, Some("AddBackward0".to_string()), vec![3.0, 12.0])], "on {dev}");
        assert_eq!(vals_on(dev, ga.tensor_ref()), [6.0, 24.0], "on {dev}");
        let gga = d(&ga.sum().unwrap(), &a, BackwardOptions::default());
        // The hook also runs on the second pass's gradient of `a` (PyTorch: the same).
        assert_eq!(vals_on(dev, gga.tensor_ref()), [24.0, 48.0], "on {dev}");
        // A hook's error stops the backward; a replacement of the wrong shape is an error.
        let b = leaf(dev, &[1.0, 2.0], &[2]);
        b.register_var_hook(|_| tensor_core::bail!(Value, "hook", "refused")).unwrap();
        assert!(b.mul(2.0).unwrap().sum().unwrap().backward().unwrap_err().to_string().contains("refused"), "on {dev}");
        let c = leaf(dev, &[1.0, 2.0], &[2]);
        c.register_var_hook(|g| Ok(Some(g.sum()?))).unwrap();
        assert!(c.mul(2.0).unwrap().sum().unwrap().backward().is_err(), "on {dev}");
    }
}
