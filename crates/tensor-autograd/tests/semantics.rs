//! Autograd semantics against PyTorch: the seed's values, accumulation, retain_graph, errors
//! with PyTorch's messages, retain_grad, hooks, detach, requires_grad_, grad modes, in-place ops
//! and version checks, the functional `grad`, user-defined Functions, and how a Var prints.
//! Every test but `display_as_pytorch` runs on every device (`common::devices`); how a Var
//! prints is checked on the CPU.

use crate::common;

use common::*;
use std::sync::{Arc, Mutex};
use tensor_autograd::{
    apply, enable_grad, grad, is_grad_enabled, no_grad, set_grad_enabled, BackwardOptions, Function, FunctionCtx, Var,
};
use tensor_core::{DType, Device, Norm, Result, Tensor};

fn ones22(dev: &Device) -> Var {
    Var::new(Tensor::ones([2, 2], DType::F32, dev).unwrap(), true)
}

fn f32s(t: &Tensor) -> Vec<f32> {
    t.to_vec::<f32>().unwrap()
}

/// The values of a float32 tensor that must live on `dev`.
#[track_caller]
fn f32s_on(dev: &Device, t: &Tensor) -> Vec<f32> {
    assert_on(t, dev);
    f32s(t)
}

fn retain() -> BackwardOptions {
    BackwardOptions { retain_graph: true, create_graph: false }
}

// ---------------------------------------------------------------- the seed's values

#[test]
fn seed_mean_of_squares() {
    for dev in &devices() {
        // x = torch.ones(2, 2, requires_grad=True); y = x + 2; z = y * y * 3; out = z.mean()
        let x = ones22(dev);
        let y = x.add(2.0).unwrap();
        let z = y.mul(&y).unwrap().mul(3.0).unwrap();
        let out = z.mean().unwrap();
        // How a Var prints is checked on the CPU (a CUDA tensor prints its device too).
        if dev.is_cpu() {
            assert_eq!(x.to_string(), "tensor([[1., 1.],\n        [1., 1.]], requires_grad=True)", "on {dev}");
            assert_eq!(y.to_string(), "tensor([[3., 3.],\n        [3., 3.]], grad_fn=<AddBackward0>)", "on {dev}");
            assert_eq!(z.to_string(), "tensor([[27., 27.],\n        [27., 27.]], grad_fn=<MulBackward0>)", "on {dev}");
            assert_eq!(out.to_string(), "tensor(27., grad_fn=<MeanBackward0>)", "on {dev}");
        }
        out.backward().unwrap();
        let g = x.grad().unwrap();
        assert_eq!(g.dtype(), DType::F32, "on {dev}");
        assert_eq!(f32s_on(dev, &g), [4.5; 4], "on {dev}");
        // How a Var prints is checked on the CPU (a CUDA tensor prints its device too).
        if dev.is_cpu() {
            assert_eq!(g.to_string(), "tensor([[4.5000, 4.5000],\n        [4.5000, 4.5000]])", "on {dev}");
        }
    }
}

#[test]
fn seed_doubling_loop() {
    for dev in &devices() {
        // x = torch.tensor([0.5, -1., 2.], requires_grad=True); y = x * 2
        // while y.data.norm() < 1000: y = y * 2
        // y.backward(torch.tensor([0.1, 1.0, 0.0001])); x.grad == [51.2, 512., 0.0512]
        let x = Var::new(Tensor::new([0.5f32, -1.0, 2.0], dev).unwrap(), true);
        let mut y = x.mul(2.0).unwrap();
        let mut loops = 0;
        while y.data().norm(Norm::L2, &[], false).unwrap().item::<f32>().unwrap() < 1000.0 {
            y = y.mul(2.0).unwrap();
            loops += 1;
        }
        // Nine doublings in all (the first before the loop): y = 512 x, |y| = 1173.
        assert_eq!(loops + 1, 9, "on {dev}");
        assert_eq!(f32s_on(dev, y.tensor_ref()), [256.0, -512.0, 1024.0], "on {dev}");
        // How a Var prints is checked on the CPU (a CUDA tensor prints its device too).
        if dev.is_cpu() {
            assert_eq!(y.to_string(), "tensor([ 256., -512., 1024.], grad_fn=<MulBackward0>)", "on {dev}");
        }
        y.backward_with(&Tensor::new([0.1f32, 1.0, 0.0001], dev).unwrap()).unwrap();
        assert_eq!(f32s_on(dev, &x.grad().unwrap()), [51.2, 512.0, 0.0512], "on {dev}");
        // How a Var prints is checked on the CPU (a CUDA tensor prints its device too).
        if dev.is_cpu() {
            assert_eq!(x.grad().unwrap().to_string(), "tensor([5.1200e+01, 5.1200e+02, 5.1200e-02])", "on {dev}");
        }
    }
}

// ---------------------------------------------------------------- accumulation and retain_graph

#[test]
fn gradients_accumulate_over_backward_calls() {
    for dev in &devices() {
        let x = ones22(dev);
        for _ in 0..2 {
            x.mul(&x).unwrap().sum().unwrap().backward().unwrap();
        }
        assert_eq!(f32s_on(dev, &x.grad().unwrap()), [4.0; 4], "on {dev}");
        // Accumulation is in place, as PyTorch's AccumulateGrad (`grad += new`): an earlier handle
        // sees the sum. torch 2.15: `b = x.grad; (x * 3).sum().backward(); b` -> all 7, `b is x.grad`.
        let before = x.grad().unwrap();
        x.mul(3.0).unwrap().sum().unwrap().backward().unwrap();
        assert_eq!(f32s_on(dev, &before), [7.0; 4], "on {dev}");
        assert_eq!(f32s_on(dev, &x.grad().unwrap()), [7.0; 4], "on {dev}");
        assert!(before.shares_storage(&x.grad().unwrap()), "on {dev}");
        x.zero_grad();
        assert!(x.grad().is_none(), "on {dev}");
        x.sum().unwrap().backward().unwrap();
        assert_eq!(f32s_on(dev, &x.grad().unwrap()), [1.0; 4], "on {dev}");
        // set_grad checks the shape.
        assert!(x.set_grad(Some(Tensor::ones([3], DType::F32, dev).unwrap())).is_err(), "on {dev}");
        x.set_grad(None).unwrap();
        assert!(x.grad().is_none(), "on {dev}");
    }
}

#[test]
fn backward_twice_needs_retain_graph() {
    for dev in &devices() {
        let x = ones22(dev);
        let out = x.add(2.0).unwrap().mul(&x).unwrap().mean().unwrap();
        out.backward().unwrap();
        let err = out.backward().unwrap_err().to_string();
        assert!(err.contains("backward through the graph a second time"), "on {dev}: {err}");

        let x = ones22(dev);
        let out = x.add(2.0).unwrap().mul(&x).unwrap().mean().unwrap();
        let seed = Tensor::ones([], DType::F32, dev).unwrap();
        out.backward_opts(&seed, retain()).unwrap();
        out.backward_opts(&seed, retain()).unwrap();
        out.backward().unwrap();
        // d/dx mean((x + 2) x) = (2x + 2) / 4 = 1, three times.
        assert_eq!(f32s_on(dev, &x.grad().unwrap()), [3.0; 4], "on {dev}");
        // The last backward freed the graph.
        assert!(out.backward().is_err(), "on {dev}");
    }
}

#[test]
fn backward_twice_through_ops_that_save_nothing_is_fine() {
    for dev in &devices() {
        // torch: y = (x + 1).sum(); y.backward(); y.backward() works (nothing saved to free).
        let x = ones22(dev);
        let y = x.add(1.0).unwrap().sum().unwrap();
        y.backward().unwrap();
        y.backward().unwrap();
        assert_eq!(f32s_on(dev, &x.grad().unwrap()), [2.0; 4], "on {dev}");
    }
}

#[test]
fn backward_argument_errors() {
    for dev in &devices() {
        let x = ones22(dev);
        let y = x.mul(2.0).unwrap();
        let err = y.backward().unwrap_err().to_string();
        assert!(err.contains("grad can be implicitly created only for scalar outputs"), "on {dev}: {err}");
        let err = y.backward_with(&Tensor::ones([4], DType::F32, dev).unwrap()).unwrap_err().to_string();
        assert!(err.contains("mismatch in shape"), "on {dev}: {err}");
        let c = Var::constant(Tensor::ones([], DType::F32, dev).unwrap());
        let err = c.backward().unwrap_err().to_string();
        assert!(err.contains("does not require grad"), "on {dev}: {err}");
        // A gradient of another dtype is cast to the output's.
        y.backward_with(&Tensor::ones([2, 2], DType::F64, dev).unwrap()).unwrap();
        assert_eq!(x.grad().unwrap().dtype(), DType::F32, "on {dev}");
        assert_eq!(f32s_on(dev, &x.grad().unwrap()), [2.0; 4], "on {dev}");
        // Backward from a leaf itself.
        let l = ones22(dev);
        l.backward_with(&Tensor::full([2, 2], 3.0, DType::F32, dev).unwrap()).unwrap();
        assert_eq!(f32s_on(dev, &l.grad().unwrap()), [3.0; 4], "on {dev}");
    }
}

// ---------------------------------------------------------------- retain_grad, hooks

#[test]
fn retain_grad_on_a_non_leaf() {
    for dev in &devices() {
        let x = ones22(dev);
        let y = x.mul(2.0).unwrap();
        let w = x.add(1.0).unwrap();
        y.retain_grad();
        assert!(y.retains_grad(), "on {dev}");
        y.mul(&y).unwrap().add(&w).unwrap().sum().unwrap().backward().unwrap();
        // dL/dy = 2y = 4; dL/dx = 4 * 2 + 1.
        assert_eq!(f32s_on(dev, &y.grad().unwrap()), [4.0; 4], "on {dev}");
        assert!(w.grad().is_none(), "on {dev}");
        assert_eq!(f32s_on(dev, &x.grad().unwrap()), [9.0; 4], "on {dev}");
    }
}

#[test]
fn hooks_on_leaves_and_non_leaves() {
    for dev in &devices() {
        let double = |g: &Tensor| Some(g.mul(2.0).unwrap());
        // Leaf: the hook changes what is accumulated.
        let x = ones22(dev);
        x.register_hook(double).unwrap();
        x.mul(3.0).unwrap().sum().unwrap().backward().unwrap();
        assert_eq!(f32s_on(dev, &x.grad().unwrap()), [6.0; 4], "on {dev}");

        // Non-leaf: the hook changes what flows on.
        let x = ones22(dev);
        let y = x.mul(3.0).unwrap();
        y.register_hook(double).unwrap();
        y.retain_grad();
        y.sum().unwrap().backward().unwrap();
        assert_eq!(f32s_on(dev, &x.grad().unwrap()), [6.0; 4], "on {dev}");
        // retain_grad keeps the hooked gradient (its hook runs last, as in PyTorch 2).
        assert_eq!(f32s_on(dev, &y.grad().unwrap()), [2.0; 4], "on {dev}");

        // An observing hook (None) sees the gradient and leaves it; hooks run in order.
        let seen = Arc::new(Mutex::new(Vec::new()));
        let x = ones22(dev);
        let y = x.mul(&x).unwrap();
        let s = seen.clone();
        y.register_hook(move |g| {
            s.lock().unwrap().push(f32s(g));
            None
        })
        .unwrap();
        y.register_hook(double).unwrap();
        let s = seen.clone();
        y.register_hook(move |g| {
            s.lock().unwrap().push(f32s(g));
            None
        })
        .unwrap();
        y.sum().unwrap().backward().unwrap();
        assert_eq!(*seen.lock().unwrap(), [vec![1.0; 4], vec![2.0; 4]], "on {dev}");
        assert_eq!(f32s_on(dev, &x.grad().unwrap()), [4.0; 4], "on {dev}");

        // A variable that does not require grad takes no hook.
        let c = Var::constant(Tensor::ones([2], DType::F32, dev).unwrap());
        let err = c.register_hook(double).unwrap_err().to_string();
        assert!(err.contains("doesn't require gradient"), "on {dev}: {err}");
    }
}

// ---------------------------------------------------------------- detach, requires_grad_

#[test]
fn detach_and_detach_in_place() {
    for dev in &devices() {
        let x = ones22(dev);
        let y = x.mul(2.0).unwrap();
        let d = y.detach();
        assert!(d.is_leaf() && !d.requires_grad() && d.grad_fn().is_none(), "on {dev}");
        assert!(d.tensor_ref().shares_storage(y.tensor_ref()), "on {dev}");
        assert!(!d.mul(&d).unwrap().requires_grad(), "on {dev}");
        // The detached copy is a constant in a graph.
        y.mul(&d).unwrap().sum().unwrap().backward().unwrap();
        assert_eq!(f32s_on(dev, &x.grad().unwrap()), [4.0; 4], "on {dev}");

        let z = x.mul(5.0).unwrap();
        assert!(!z.is_leaf(), "on {dev}");
        z.detach_();
        assert!(z.is_leaf() && !z.requires_grad(), "on {dev}");
        assert!(!z.add(1.0).unwrap().requires_grad(), "on {dev}");
    }
}

#[test]
fn requires_grad_flag() {
    for dev in &devices() {
        let x = Var::constant(Tensor::ones([2], DType::F64, dev).unwrap());
        assert!(!x.requires_grad() && x.is_leaf(), "on {dev}");
        x.requires_grad_(true).unwrap();
        assert!(x.requires_grad(), "on {dev}");
        let y = x.mul(2.0).unwrap();
        assert!(y.requires_grad() && !y.is_leaf(), "on {dev}");
        // Only leaves may change the flag (turning it on for a non-leaf is a no-op).
        let err = y.requires_grad_(false).unwrap_err().to_string();
        assert!(err.contains("you can only change requires_grad flags of leaf variables"), "on {dev}: {err}");
        y.requires_grad_(true).unwrap();
        // Only floating-point tensors can require grad.
        let n = Var::constant(Tensor::new([1i64, 2], dev).unwrap());
        let err = n.requires_grad_(true).unwrap_err().to_string();
        assert!(err.contains("only Tensors of floating point dtype can require gradients"), "on {dev}: {err}");
        n.requires_grad_(false).unwrap();
        x.requires_grad_(false).unwrap();
        assert!(!x.mul(2.0).unwrap().requires_grad(), "on {dev}");
    }
}

// ---------------------------------------------------------------- grad modes

#[test]
fn grad_mode_guards_nest_and_restore() {
    for dev in &devices() {
        let x = ones22(dev);
        assert!(is_grad_enabled(), "on {dev}");
        {
            let _a = no_grad();
            assert!(!is_grad_enabled(), "on {dev}");
            assert!(!x.mul(2.0).unwrap().requires_grad(), "on {dev}");
            {
                let _b = enable_grad();
                assert!(is_grad_enabled(), "on {dev}");
                assert!(x.mul(2.0).unwrap().requires_grad(), "on {dev}");
                {
                    let _c = set_grad_enabled(false);
                    assert!(!x.exp().unwrap().requires_grad(), "on {dev}");
                }
                assert!(is_grad_enabled(), "on {dev}");
            }
            assert!(!is_grad_enabled(), "on {dev}");
            // In-place on a leaf that requires grad is allowed here (an optimizer step).
            x.sub_(0.5).unwrap();
            // The mode is per thread.
            std::thread::spawn(|| assert!(is_grad_enabled())).join().unwrap();
        }
        assert!(is_grad_enabled(), "on {dev}");
        assert_eq!(f32s_on(dev, x.tensor_ref()), [0.5; 4], "on {dev}");
        {
            let _g = set_grad_enabled(true);
            assert!(is_grad_enabled(), "on {dev}");
        }
        assert!(is_grad_enabled(), "on {dev}");
        let g = set_grad_enabled(false);
        assert!(!is_grad_enabled(), "on {dev}");
        drop(g);
        assert!(is_grad_enabled(), "on {dev}");
    }
}

// ---------------------------------------------------------------- in-place ops

#[test]
fn in_place_ops_are_recorded() {
    for dev in &devices() {
        let x = ones22(dev);
        let w = Var::new(Tensor::full([2, 2], 2.0, DType::F32, dev).unwrap(), true);
        let a = x.mul(2.0).unwrap();
        let storage = a.tensor_ref().storage_id();
        a.add_(&w).unwrap();
        assert_eq!(a.grad_fn().unwrap().name(), "AddBackward0", "on {dev}");
        assert_eq!(a.tensor_ref().storage_id(), storage, "on {dev}: written in place");
        assert_eq!(f32s_on(dev, a.tensor_ref()), [4.0; 4], "on {dev}");
        a.mul_(3.0).unwrap();
        assert_eq!(a.grad_fn().unwrap().name(), "MulBackward0", "on {dev}");
        a.sub_(1.0).unwrap();
        a.div_(&w).unwrap();
        assert_eq!(a.grad_fn().unwrap().name(), "DivBackward0", "on {dev}");
        // a = (3 (2x + w) - 1) / w = (11) / 2
        assert_eq!(f32s_on(dev, a.tensor_ref()), [5.5; 4], "on {dev}");
        a.sum().unwrap().backward().unwrap();
        // da/dx = 6 / w = 3; da/dw = 3 / w - (3 (2x + w) - 1) / w^2 = 1.5 - 11 / 4
        assert_eq!(f32s_on(dev, &x.grad().unwrap()), [3.0; 4], "on {dev}");
        assert_eq!(f32s_on(dev, &w.grad().unwrap()), [1.5 - 2.75; 4], "on {dev}");

        // clamp_, relu_, fill_, zero_, copy_.
        let x = Var::new(Tensor::new([-1.0f64, 0.5, 2.0], dev).unwrap(), true);
        let a = x.mul(1.0).unwrap();
        a.clamp_(Some(0.0), Some(1.0)).unwrap();
        assert_eq!(a.grad_fn().unwrap().name(), "ClampBackward1", "on {dev}");
        a.sum().unwrap().backward().unwrap();
        assert_eq!(vals_on(dev, &x.grad().unwrap()), [0.0, 1.0, 0.0], "on {dev}");
        let src = Var::new(Tensor::new([1.0f64, 2.0, 3.0], dev).unwrap(), true);
        let b = x.mul(2.0).unwrap();
        b.copy_(&src.mul(&src).unwrap()).unwrap();
        assert_eq!(vals_on(dev, b.tensor_ref()), [1.0, 4.0, 9.0], "on {dev}");
        x.zero_grad();
        b.sum().unwrap().backward().unwrap();
        assert_eq!(vals_on(dev, &x.grad().unwrap()), [0.0; 3], "on {dev}");
        assert_eq!(vals_on(dev, &src.grad().unwrap()), [2.0, 4.0, 6.0], "on {dev}");
        let c = x.mul(2.0).unwrap();
        c.fill_(7.0).unwrap();
        assert_eq!(vals_on(dev, c.tensor_ref()), [7.0; 3], "on {dev}");
        let r = x.mul(1.0).unwrap();
        r.relu_().unwrap();
        assert_eq!(vals_on(dev, r.tensor_ref()), [0.0, 0.5, 2.0], "on {dev}");
        // Nothing requires grad: no node.
        let k = Var::constant(Tensor::new([1.0f64], dev).unwrap());
        k.add_(1.0).unwrap();
        assert!(k.grad_fn().is_none(), "on {dev}");
        assert_eq!(vals_on(dev, k.tensor_ref()), [2.0], "on {dev}");
    }
}

#[test]
fn in_place_on_a_leaf_that_requires_grad_is_an_error() {
    for dev in &devices() {
        let x = ones22(dev);
        let err = x.add_(1.0).unwrap_err().to_string();
        assert!(
            err.contains("a leaf Variable that requires grad is being used in an in-place operation"),
            "on {dev}: {err}"
        );
        assert!(x.mul_(2.0).is_err() && x.zero_().is_err() && x.relu_().is_err(), "on {dev}");
        assert_eq!(f32s_on(dev, x.tensor_ref()), [1.0; 4], "on {dev}: nothing was written");
    }
}

#[test]
fn modifying_a_saved_tensor_fails_the_backward() {
    for dev in &devices() {
        let msg = "modified by an inplace operation";
        // Through the tensor: the storage is written, its version bumps.
        let x = ones22(dev);
        let y = x.exp().unwrap();
        let mut t = y.tensor();
        t.add_(1.0).unwrap();
        let err = y.sum().unwrap().backward().unwrap_err().to_string();
        assert!(err.contains(msg), "on {dev}: {err}");
        // Through an in-place Var op on the saved output.
        let x = ones22(dev);
        let y = x.exp().unwrap();
        let s = y.sum().unwrap();
        y.add_(1.0).unwrap();
        let err = s.backward().unwrap_err().to_string();
        assert!(err.contains(msg), "on {dev}: {err}");
        // A saved input.
        let x = ones22(dev);
        let a = x.mul(1.0).unwrap();
        let b = a.mul(&a).unwrap();
        a.mul_(2.0).unwrap();
        let err = b.sum().unwrap().backward().unwrap_err().to_string();
        assert!(err.contains(msg), "on {dev}: {err}");
        // Writes that no backward reads are fine: add saves nothing.
        let x = ones22(dev);
        let a = x.mul(1.0).unwrap();
        let b = a.add(&a).unwrap();
        a.mul_(2.0).unwrap();
        b.sum().unwrap().backward().unwrap();
        assert_eq!(f32s_on(dev, &x.grad().unwrap()), [2.0; 4], "on {dev}");
    }
}

#[test]
fn in_place_ops_and_views() {
    for dev in &devices() {
        // In place on a view of a variable in the graph: the base is rebased (more cases in
        // inplace_views.rs).
        let x = ones22(dev);
        let a = x.mul(1.0).unwrap();
        let v = a.narrow(0, 0, 1).unwrap();
        v.mul_(2.0).unwrap();
        assert_eq!(a.grad_fn().unwrap().name(), "CopySlices", "on {dev}");
        assert_eq!(f32s_on(dev, a.tensor_ref()), [2.0, 2.0, 1.0, 1.0], "on {dev}");
        // A clone of the view is not a view.
        let c = v.mul(1.0).unwrap();
        c.mul_(2.0).unwrap();
        assert_eq!(f32s_on(dev, a.tensor_ref()), [2.0, 2.0, 1.0, 1.0], "on {dev}");
        // The base modified in place after the view was taken: the view's history is regenerated.
        let v = a.transpose(0, 1).unwrap();
        a.mul_(3.0).unwrap();
        let seed = Tensor::ones([], DType::F32, dev).unwrap();
        v.exp().unwrap().mul(&x).unwrap().sum().unwrap().backward_opts(&seed, retain()).unwrap();
        // f = sum_ij exp(a_ji) x_ij with a = 3 [[2 x00, 2 x01], [x10, x11]] (all x 1):
        // df/dx_ij = exp(a_ji) + exp(a_ij) x_ji 3 c_i, c = (2, 1).
        let (e6, e3) = (6f32.exp(), 3f32.exp());
        assert_close(
            &vals_on(dev, &x.grad().unwrap()),
            &[7.0 * e6, e3 + 6.0 * e6, e6 + 3.0 * e3, 4.0 * e3].map(f64::from),
            1e-6,
        );
        x.zero_grad();
        // A view read before its base changes is fine: a = x + xᵀ.
        let b = x.mul(1.0).unwrap();
        b.add_(&b.t().unwrap()).unwrap();
        b.sum().unwrap().backward().unwrap();
        assert_eq!(f32s_on(dev, &x.grad().unwrap()), [2.0; 4], "on {dev}");
        x.zero_grad();
        // A view taken after the in-place op: d(3 (2x on row 0))/dx = 6 on the first row.
        let v = a.narrow(0, 0, 1).unwrap();
        v.sum().unwrap().backward().unwrap();
        assert_eq!(f32s_on(dev, &x.grad().unwrap()), [6.0, 6.0, 0.0, 0.0], "on {dev}");
        // Views of a leaf stay valid across no_grad updates of the leaf (an optimizer step).
        let w = ones22(dev);
        let wt = w.t().unwrap();
        {
            let _g = no_grad();
            w.sub_(0.5).unwrap();
        }
        wt.mul(&wt).unwrap().sum().unwrap().backward().unwrap();
        assert_eq!(f32s_on(dev, &w.grad().unwrap()), [1.0; 4], "on {dev}");
        // Under no_grad an in-place op on a view just writes.
        let v = a.narrow(0, 1, 1).unwrap();
        {
            let _g = no_grad();
            v.fill_(0.0).unwrap();
        }
        assert_eq!(f32s_on(dev, a.tensor_ref()), [6.0, 6.0, 0.0, 0.0], "on {dev}");
    }
}

// ---------------------------------------------------------------- functional grad

#[test]
fn functional_grad() {
    for dev in &devices() {
        let x = leaf(dev, &[1.0, 2.0, 3.0], &[3]);
        let w = leaf(dev, &[1.0, 1.0, 1.0], &[3]);
        let out = x.mul(&x).unwrap().sum().unwrap();
        let err = grad(&[&out], &[&x, &w], None, retain(), false).unwrap_err().to_string();
        assert!(err.contains("appears to not have been used in the graph"), "on {dev}: {err}");
        let g = grad(&[&out], &[&x, &w], None, retain(), true).unwrap();
        assert_eq!(vals_on(dev, g[0].as_ref().unwrap().tensor_ref()), [2.0, 4.0, 6.0], "on {dev}");
        assert!(g[1].is_none(), "on {dev}");
        // .grad is left untouched.
        assert!(x.grad().is_none() && w.grad().is_none(), "on {dev}");
        // Explicit grad_outputs for a non-scalar output, and a non-leaf input.
        let y = x.mul(2.0).unwrap();
        let z = y.mul(&y).unwrap();
        let v = Var::constant(Tensor::new([1.0f64, 0.5, 0.0], dev).unwrap());
        let g = grad(&[&z], &[&y, &x], Some(&[&v]), retain(), false).unwrap();
        assert_eq!(vals_on(dev, g[0].as_ref().unwrap().tensor_ref()), [4.0, 4.0, 0.0], "on {dev}");
        assert_eq!(vals_on(dev, g[1].as_ref().unwrap().tensor_ref()), [8.0, 8.0, 0.0], "on {dev}");
        assert!(!g[0].as_ref().unwrap().requires_grad(), "on {dev}: no graph without create_graph");
        // Several outputs sum their contributions.
        let g = grad(&[&x.sum().unwrap(), &x.mul(3.0).unwrap().sum().unwrap()], &[&x], None, retain(), false).unwrap();
        assert_eq!(vals_on(dev, g[0].as_ref().unwrap().tensor_ref()), [4.0; 3], "on {dev}");
        // A non-scalar output without grad_outputs, and an input that needs no grad.
        assert!(grad(&[&z], &[&x], None, retain(), false).is_err(), "on {dev}");
        let c = Var::constant(Tensor::new([1.0f64], dev).unwrap());
        assert!(grad(&[&out], &[&c], None, retain(), true).is_err(), "on {dev}");
    }
}

// ---------------------------------------------------------------- user-defined Functions

/// `x^3`, with its derivative `3 x^2` (function.rs's doc example).
struct Cube;
impl Function for Cube {
    fn name(&self) -> &'static str {
        "CubeBackward"
    }
    fn forward(&self, ctx: &mut FunctionCtx, inputs: &[&Var]) -> Result<Tensor> {
        ctx.save_for_backward(&[inputs[0]]);
        inputs[0].tensor_ref().pow(3.0)
    }
    fn backward(&self, ctx: &FunctionCtx, grad: &Var) -> Result<Vec<Option<Var>>> {
        let x = &ctx.saved_tensors()[0];
        Ok(vec![Some(grad.mul(&x.pow(2.0)?.mul(3.0)?)?)])
    }
}

/// `e^x`, saving its output: the backward is `grad * output`.
struct MyExp;
impl Function for MyExp {
    fn name(&self) -> &'static str {
        "MyExpBackward"
    }
    fn forward(&self, ctx: &mut FunctionCtx, inputs: &[&Var]) -> Result<Tensor> {
        let out = inputs[0].tensor_ref().exp()?;
        // The output's storage is saved, so an in-place write to it is caught.
        ctx.save_for_backward(&[&Var::constant(out.shallow_clone())]);
        Ok(out)
    }
    fn backward(&self, ctx: &FunctionCtx, grad: &Var) -> Result<Vec<Option<Var>>> {
        Ok(vec![Some(grad.mul(&ctx.saved_tensors()[0])?)])
    }
}

/// `a * b` where only `a` gets a gradient (`b` is treated as non-differentiable).
struct ScaleBy;
impl Function for ScaleBy {
    fn forward(&self, ctx: &mut FunctionCtx, inputs: &[&Var]) -> Result<Tensor> {
        ctx.save_for_backward(&[inputs[1]]);
        inputs[0].tensor_ref().mul(inputs[1].tensor_ref())
    }
    fn backward(&self, ctx: &FunctionCtx, grad: &Var) -> Result<Vec<Option<Var>>> {
        Ok(vec![Some(grad.mul(&ctx.saved_tensors()[0])?), None])
    }
}

/// A broken backward: one gradient for two inputs, or a gradient of the wrong shape.
struct Broken {
    wrong_shape: bool,
}
impl Function for Broken {
    fn forward(&self, _: &mut FunctionCtx, inputs: &[&Var]) -> Result<Tensor> {
        inputs[0].tensor_ref().add(inputs[1].tensor_ref())
    }
    fn backward(&self, _: &FunctionCtx, grad: &Var) -> Result<Vec<Option<Var>>> {
        if self.wrong_shape {
            Ok(vec![Some(grad.sum()?), Some(grad.clone())])
        } else {
            Ok(vec![Some(grad.clone())])
        }
    }
}

#[test]
fn user_defined_functions() {
    for dev in &devices() {
        let x = Var::new(Tensor::new([2.0f64], dev).unwrap(), true);
        let y = apply(Cube, &[&x]).unwrap();
        assert_eq!(y.grad_fn().unwrap().name(), "CubeBackward", "on {dev}");
        // How a Var prints is checked on the CPU (a CUDA tensor prints its device too).
        if dev.is_cpu() {
            assert_eq!(y.to_string(), "tensor([8.], dtype=torch.float64, grad_fn=<CubeBackward>)", "on {dev}");
        }
        y.sum().unwrap().backward().unwrap();
        assert_eq!(vals_on(dev, &x.grad().unwrap()), [12.0], "on {dev}");
        gc(|v| apply(Cube, &[&v[0]]), &[uniform(dev, &[2, 3], 1, -2.0, 2.0)]).unwrap();
        // Its backward is made of Var ops: it differentiates twice.
        ggc(|v| apply(Cube, &[&v[0]]), &[uniform(dev, &[3], 2, -2.0, 2.0)]).unwrap();

        let x = leaf(dev, &[0.0, 1.0], &[2]);
        let y = apply(MyExp, &[&x]).unwrap();
        y.sum().unwrap().backward().unwrap();
        assert_close(&vals_on(dev, &x.grad().unwrap()), &[1.0, 1f64.exp()], 1e-15);
        gc(|v| apply(MyExp, &[&v[0]]), &[uniform(dev, &[4], 3, -2.0, 2.0)]).unwrap();
        let y = apply(MyExp, &[&x]).unwrap();
        let mut out = y.tensor();
        out.mul_(2.0).unwrap();
        let err = y.sum().unwrap().backward().unwrap_err().to_string();
        assert!(err.contains("modified by an inplace operation"), "on {dev}: {err}");

        let a = leaf(dev, &[1.0, 2.0], &[2]);
        let b = leaf(dev, &[3.0, 4.0], &[2]);
        apply(ScaleBy, &[&a, &b]).unwrap().sum().unwrap().backward().unwrap();
        assert_eq!(vals_on(dev, &a.grad().unwrap()), [3.0, 4.0], "on {dev}");
        assert!(b.grad().is_none(), "on {dev}");
        assert_eq!(apply(ScaleBy, &[&a, &b]).unwrap().grad_fn().unwrap().name(), "CustomFunctionBackward", "on {dev}");
        // Nothing requires grad: nothing recorded.
        let c = Var::constant(Tensor::new([1.0f64], dev).unwrap());
        assert!(apply(Cube, &[&c]).unwrap().grad_fn().is_none(), "on {dev}");
        // Under no_grad: nothing recorded either.
        {
            let _g = no_grad();
            assert!(!apply(Cube, &[&a]).unwrap().requires_grad(), "on {dev}");
        }

        let err = apply(Broken { wrong_shape: false }, &[&a, &b]).unwrap().sum().unwrap().backward().unwrap_err();
        assert!(err.to_string().contains("returned 1 gradients but expected 2"), "on {dev}: {err}");
        // A gradient of the wrong shape for a leaf is an error, not a wrong `.grad`.
        let (a, b) = (leaf(dev, &[1.0, 2.0], &[2]), leaf(dev, &[3.0, 4.0], &[2]));
        let err = apply(Broken { wrong_shape: true }, &[&a, &b]).unwrap().sum().unwrap().backward().unwrap_err();
        assert!(err.to_string().contains("invalid gradient"), "on {dev}: {err}");
        assert!(a.grad().is_none(), "on {dev}");
        // ... and for a non-leaf.
        let a2 = a.mul(1.0).unwrap();
        let err = apply(Broken { wrong_shape: true }, &[&a2, &b]).unwrap().sum().unwrap().backward().unwrap_err();
        assert!(err.to_string().contains("invalid gradient"), "on {dev}: {err}");
    }
}

// ---------------------------------------------------------------- Display

#[test]
fn display_as_pytorch() {
    let x = ones22(&cpu());
    let y = x.add(2.0).unwrap();
    // torch: print(torch.ones(2, 2, requires_grad=True) + 2)
    assert_eq!(y.to_string(), "tensor([[3., 3.],\n        [3., 3.]], grad_fn=<AddBackward0>)");
    assert_eq!(format!("{y:?}"), y.to_string());
    // torch: torch.tensor([1., 2.], dtype=torch.float64, requires_grad=True)
    let d = leaf(&cpu(), &[1.0, 2.0], &[2]);
    assert_eq!(d.to_string(), "tensor([1., 2.], dtype=torch.float64, requires_grad=True)");
    assert_eq!(
        d.mul(0.5).unwrap().to_string(),
        "tensor([0.5000, 1.0000], dtype=torch.float64, grad_fn=<MulBackward0>)"
    );
    // No suffix without grad.
    assert_eq!(y.detach().to_string(), "tensor([[3., 3.],\n        [3., 3.]])");
    let _g = no_grad();
    assert_eq!(x.sum().unwrap().to_string(), "tensor(4.)");
}

#[test]
fn prod_gradient_with_zeros() {
    for dev in &devices() {
        // x = torch.tensor([2., 0., 3.], requires_grad=True); x.prod().backward(); x.grad
        //   -> tensor([0., 6., 0.])   (PyTorch 2.15; one zero: the product of the others there)
        let x = Var::new(Tensor::new([2f32, 0., 3.], dev).unwrap(), true);
        x.prod().unwrap().backward().unwrap();
        assert_eq!(f32s_on(dev, &x.grad().unwrap()), [0., 6., 0.], "on {dev}");
        // Two zeros: every gradient is 0 (torch.tensor([0., 4., 0.]) -> tensor([0., 0., 0.])).
        let y = Var::new(Tensor::new([[0f64, 4.], [0., 5.]], dev).unwrap(), true);
        y.prod().unwrap().backward().unwrap();
        assert_eq!(y.grad().unwrap().to_vec2::<f64>().unwrap(), [[0., 0.], [0., 0.]], "on {dev}");
        // And finite differences agree (prod is linear in each element, so they are exact).
        let z = Tensor::new([[1.5f64, 0.], [-2., 0.5]], dev).unwrap();
        gradcheck_on(|v| v[0].prod(), &[z]).unwrap();
    }
}
