//! In-place ops on views of tensors in the graph, against PyTorch: the base's history is
//! rebased onto `CopySlices`, the view's regenerated (`AsStridedBackward0`), and the gradients
//! are PyTorch's (literals from scripts/pytorch/inplace_views.py, torch 2.15) or those of the
//! out-of-place equivalent; gradcheck and gradgradcheck through such ops; the errors PyTorch
//! raises (a view of a leaf, outputs of multi-view ops, saved tensors overwritten).
//! Every test runs on every device (`common::devices`), the leaves on the device.

use crate::common;

use common::*;
use tensor_autograd::{no_grad, Var};
use tensor_core::{Device, Result, Tensor};

/// `torch.arange(1., 7., dtype=torch.float64).reshape(2, 3).requires_grad_()`.
fn arange_leaf(dev: &Device) -> Var {
    leaf(dev, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3])
}

/// The weights of the scripts' loss `(x * w).sum()`.
fn weights(dev: &Device) -> Var {
    Var::constant(on(dev, Tensor::from_vec(vec![0.5, -1.0, 2.0, 1.5, 0.25, -0.5], [2, 3]).unwrap()))
}

/// `(x * w).sum()`.
fn weighted(dev: &Device, x: &Var) -> Var {
    x.mul(&weights(dev)).unwrap().sum().unwrap()
}

/// The names of `x.grad_fn` and `v.grad_fn`.
fn names(x: &Var, v: &Var) -> (String, String) {
    (x.grad_fn().unwrap().name().to_string(), v.grad_fn().unwrap().name().to_string())
}

fn rebased() -> (String, String) {
    ("CopySlices".to_string(), "AsStridedBackward0".to_string())
}

#[test]
fn narrow_then_mul_by_a_number() {
    for dev in &devices() {
        let a = arange_leaf(dev);
        let x = a.mul(1.0).unwrap();
        let v = x.narrow(1, 0, 2).unwrap();
        v.mul_(2.0).unwrap();
        assert_eq!(vals_on(dev, x.tensor_ref()), [2.0, 4.0, 3.0, 8.0, 10.0, 6.0], "on {dev}");
        assert_eq!(names(&x, &v), rebased(), "on {dev}");
        assert!(!x.is_leaf() && !v.is_leaf(), "on {dev}");
        weighted(dev, &x).backward().unwrap();
        // scripts/pytorch/inplace_views.py: narrow_mul
        assert_eq!(vals_on(dev, &a.grad().unwrap()), [1.0, -2.0, 2.0, 3.0, 0.5, -0.5], "on {dev}");
    }
}

#[test]
fn select_then_copy_from_a_variable() {
    for dev in &devices() {
        let a = arange_leaf(dev);
        let y = leaf(dev, &[0.5, 1.5, -2.0], &[3]);
        let x = a.mul(1.0).unwrap();
        let v = x.select(0, 1).unwrap();
        v.copy_(&y.mul(&y).unwrap()).unwrap();
        assert_eq!(names(&x, &v), rebased(), "on {dev}");
        weighted(dev, &x).backward().unwrap();
        // scripts/pytorch/inplace_views.py: select_copy
        assert_eq!(vals_on(dev, &a.grad().unwrap()), [0.5, -1.0, 2.0, 0.0, 0.0, 0.0], "on {dev}");
        assert_eq!(vals_on(dev, &y.grad().unwrap()), [1.5, 0.75, 2.0], "on {dev}");
    }
}

#[test]
fn slice_with_step_then_add_and_a_product_saving_the_base() {
    for dev in &devices() {
        let a = arange_leaf(dev);
        let y = leaf(dev, &[1.0, -1.0, 0.5, 2.0], &[2, 2]);
        let x = a.mul(1.0).unwrap();
        let v = x.slice(1, None, None, 2).unwrap();
        v.add_(&y).unwrap();
        assert_eq!(names(&x, &v), rebased(), "on {dev}");
        x.mul(&x).unwrap().sum().unwrap().backward().unwrap();
        // scripts/pytorch/inplace_views.py: slice_step_add
        assert_eq!(vals_on(dev, &a.grad().unwrap()), [4.0, 4.0, 4.0, 9.0, 10.0, 16.0], "on {dev}");
        assert_eq!(vals_on(dev, &y.grad().unwrap()), [4.0, 4.0, 9.0, 16.0], "on {dev}");
    }
}

#[test]
fn view_then_mul_by_a_variable() {
    for dev in &devices() {
        let a = arange_leaf(dev);
        let y = Var::new(Tensor::linspace(-1.0, 1.5, 6, tensor_core::DType::F64, dev).unwrap(), true);
        let x = a.mul(1.0).unwrap();
        let v = x.view(&[6]).unwrap();
        v.mul_(&y).unwrap();
        assert_eq!(names(&x, &v), rebased(), "on {dev}");
        weighted(dev, &x).backward().unwrap();
        // scripts/pytorch/inplace_views.py: view_mul
        assert_eq!(vals_on(dev, &a.grad().unwrap()), [-0.5, 0.5, 0.0, 0.75, 0.25, -0.75], "on {dev}");
        assert_eq!(vals_on(dev, &y.grad().unwrap()), [0.5, -2.0, 6.0, 6.0, 1.25, -3.0], "on {dev}");
    }
}

#[test]
fn transpose_then_masked_fill() {
    for dev in &devices() {
        let a = arange_leaf(dev);
        let mask =
            Tensor::from_vec(vec![true, false, false, true, true, false], [3, 2]).unwrap().to_device(dev).unwrap();
        let x = a.mul(1.0).unwrap();
        let v = x.t().unwrap();
        v.masked_fill_(&mask, 0.5).unwrap();
        assert_eq!(vals_on(dev, x.tensor_ref()), [0.5, 2.0, 0.5, 4.0, 0.5, 6.0], "on {dev}");
        assert_eq!(names(&x, &v), rebased(), "on {dev}");
        weighted(dev, &x).backward().unwrap();
        // scripts/pytorch/inplace_views.py: transpose_masked_fill
        assert_eq!(vals_on(dev, &a.grad().unwrap()), [0.0, -1.0, 0.0, 1.5, 0.0, -0.5], "on {dev}");
    }
}

#[test]
fn two_in_place_ops_on_overlapping_views() {
    for dev in &devices() {
        let a = arange_leaf(dev);
        let y = leaf(dev, &[2.0, -1.0, 0.5], &[3]);
        let x = a.mul(1.0).unwrap();
        let v1 = x.slice(1, Some(1), None, 1).unwrap();
        let v2 = x.select(0, 1).unwrap();
        v1.mul_(3.0).unwrap();
        v2.mul_(&y).unwrap();
        // v1's history predates the second op: regenerated from x's.
        assert_eq!(v1.grad_fn().unwrap().name(), "AsStridedBackward0", "on {dev}");
        assert_eq!(names(&x, &v2), rebased(), "on {dev}");
        let loss = weighted(dev, &x).add(&v1.mul(&v1).unwrap().sum().unwrap()).unwrap();
        loss.backward().unwrap();
        // scripts/pytorch/inplace_views.py: overlapping
        assert_eq!(vals_on(dev, &a.grad().unwrap()), [0.5, 33.0, 60.0, 3.0, 89.25, 26.25], "on {dev}");
        assert_eq!(vals_on(dev, &y.grad().unwrap()), [6.0, -446.25, 315.0], "on {dev}");
    }
}

#[test]
fn view_of_a_view_then_div() {
    for dev in &devices() {
        let a = arange_leaf(dev);
        let x = a.mul(1.0).unwrap();
        let v = x.t().unwrap().slice(0, Some(1), None, 1).unwrap();
        v.div_(4.0).unwrap();
        assert_eq!(names(&x, &v), rebased(), "on {dev}");
        weighted(dev, &x).backward().unwrap();
        // scripts/pytorch/inplace_views.py: view_of_view_div
        assert_eq!(vals_on(dev, &a.grad().unwrap()), [0.5, -0.25, 0.5, 1.5, 0.0625, -0.125], "on {dev}");
    }
}

#[test]
fn a_base_that_needs_no_grad_takes_the_copied_gradient() {
    for dev in &devices() {
        let a = arange_leaf(dev);
        let x = Var::constant(Tensor::zeros([3], tensor_core::DType::F64, dev).unwrap());
        let v = x.slice(0, Some(1), None, 1).unwrap();
        v.copy_(&a.select(0, 0).unwrap().narrow(0, 0, 2).unwrap()).unwrap();
        assert_eq!(names(&x, &v), rebased(), "on {dev}");
        assert!(!x.is_leaf() && x.requires_grad(), "on {dev}");
        let w = Var::constant(Tensor::from_vec(vec![1.0, 2.0, 3.0], [3]).unwrap().to_device(dev).unwrap());
        x.mul(&w).unwrap().sum().unwrap().backward().unwrap();
        // scripts/pytorch/inplace_views.py: constant_base
        assert_eq!(vals_on(dev, &a.grad().unwrap()), [2.0, 3.0, 0.0, 0.0, 0.0, 0.0], "on {dev}");
    }
}

#[test]
fn same_gradients_as_the_out_of_place_equivalent() {
    for dev in &devices() {
        // x[1:, ::2] *= y, then exp: against cat/mul written without in-place ops.
        let a = leaf(dev, &[0.5, -0.25, 1.0, 0.75, -1.5, 0.125, 2.0, -0.5, 0.25], &[3, 3]);
        let y = leaf(dev, &[1.5, -2.0, 0.5, 3.0], &[2, 2]);
        let x = a.mul(1.0).unwrap();
        x.slice(0, Some(1), None, 1).unwrap().slice(1, None, None, 2).unwrap().mul_(&y).unwrap();
        x.exp().unwrap().sum().unwrap().backward().unwrap();
        let (ga, gy) = (vals_on(dev, &a.grad().unwrap()), vals_on(dev, &y.grad().unwrap()));
        let (a2, y2) =
            (leaf(dev, &vals_on(dev, a.tensor_ref()), &[3, 3]), leaf(dev, &vals_on(dev, y.tensor_ref()), &[2, 2]));
        let top = a2.narrow(0, 0, 1).unwrap();
        let rest = a2.narrow(0, 1, 2).unwrap();
        let cols = rest.unbind(1).unwrap();
        let ys = y2.unbind(1).unwrap();
        let rest2 = Var::stack(&[&cols[0].mul(&ys[0]).unwrap(), &cols[1], &cols[2].mul(&ys[1]).unwrap()], 1).unwrap();
        let x2 = Var::cat(&[&top, &rest2], 0).unwrap();
        assert_eq!(vals_on(dev, x.tensor_ref()), vals_on(dev, x2.tensor_ref()), "on {dev}");
        x2.exp().unwrap().sum().unwrap().backward().unwrap();
        assert_close(&ga, &vals_on(dev, &a2.grad().unwrap()), 1e-12);
        assert_close(&gy, &vals_on(dev, &y2.grad().unwrap()), 1e-12);
    }
}

/// In-place ops on several views of a clone of `a`, then a nonlinear function of the base.
fn through_views(v: &[Var]) -> Result<Var> {
    let dev = v[0].device();
    let x = v[0].mul(1.0)?;
    x.narrow(1, 1, 2)?.mul_(&v[1])?;
    x.t()?.select(0, 0)?.add_(&v[1].select(1, 0)?)?;
    x.slice(0, None, None, 2)?
        .masked_fill_(&Tensor::from_vec(vec![false, true, false], [1, 3])?.to_device(dev)?, 0.5)?;
    x.view(&[6])?.narrow(0, 2, 3)?.div_(2.0)?;
    x.narrow(1, 0, 1)?.copy_(&v[1].narrow(1, 1, 1)?.exp()?)?;
    x.t()?.select(0, 2)?.narrow(0, 0, 1)?.fill_(0.25)?;
    x.mul(&x)?.exp()?.sum_dim(&[1], false)
}

#[test]
fn gradcheck_and_gradgradcheck_through_in_place_ops_on_views() {
    for dev in &devices() {
        let inputs = [uniform(dev, &[2, 3], 1, -1.0, 1.0), uniform(dev, &[2, 2], 2, -1.0, 1.0)];
        gradcheck_on(through_views, &inputs).unwrap();
        gradgradcheck_on(through_views, &inputs).unwrap();
    }
}

#[test]
fn errors_where_pytorch_raises_them() {
    for dev in &devices() {
        // A view of a leaf that requires grad (scripts/pytorch/inplace_views.py: view_of_leaf).
        let a = arange_leaf(dev);
        let err = a.narrow(1, 0, 1).unwrap().mul_(2.0).unwrap_err().to_string();
        assert!(
            err.contains("a view of a leaf Variable that requires grad is being used in an in-place operation."),
            "on {dev}: {err}"
        );
        assert_eq!(vals_on(dev, a.tensor_ref()), [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], "on {dev}: nothing was written");
        // ... allowed under no_grad (an optimizer's update).
        {
            let _g = no_grad();
            a.narrow(1, 0, 1).unwrap().mul_(2.0).unwrap();
        }
        assert_eq!(vals_on(dev, a.tensor_ref()), [2.0, 2.0, 3.0, 8.0, 5.0, 6.0], "on {dev}");
        // The outputs of split / chunk / unbind (split, unbind).
        let x = arange_leaf(dev).mul(1.0).unwrap();
        let err = x.split(1, 0).unwrap()[1].mul_(2.0).unwrap_err().to_string();
        assert!(err.contains("Output 1 of Split is a view and is being modified inplace. This view is the output of a function that returns multiple views."), "on {dev}: {err}");
        let err = x.chunk(2, 0).unwrap()[0].add_(1.0).unwrap_err().to_string();
        assert!(err.contains("Output 0 of Split is a view"), "on {dev}: {err}");
        let err = x.unbind(0).unwrap()[0].mul_(2.0).unwrap_err().to_string();
        assert!(err.contains("Output 0 of Unbind is a view and is being modified inplace."), "on {dev}: {err}");
        // A view taken under no_grad, modified in place with grad mode on (no_grad_view).
        let a = arange_leaf(dev);
        let x = a.mul(1.0).unwrap();
        let v = {
            let _g = no_grad();
            x.select(0, 0).unwrap()
        };
        let err = v.copy_(&leaf(dev, &[1.0, 2.0, 3.0], &[3])).unwrap_err().to_string();
        assert!(
            err.contains("A view was created in no_grad mode and is being modified inplace with grad mode enabled."),
            "on {dev}: {err}"
        );
        {
            let _g = no_grad();
            v.fill_(0.0).unwrap();
        }
        assert_eq!(vals_on(dev, x.tensor_ref()), [0.0, 0.0, 0.0, 4.0, 5.0, 6.0], "on {dev}");
        // A saved tensor overwritten through a view (saved_then_view_written).
        let a = arange_leaf(dev);
        let x = a.mul(1.0).unwrap();
        let b = x.mul(&x).unwrap();
        x.narrow(1, 0, 1).unwrap().mul_(2.0).unwrap();
        let err = b.sum().unwrap().backward().unwrap_err().to_string();
        assert!(err.contains("modified by an inplace operation"), "on {dev}: {err}");
    }
}

#[test]
fn a_view_whose_base_changed_uses_the_base_history() {
    for dev in &devices() {
        // PyTorch regenerates the view's history: d(sum(3 xᵀ))/dx = 3.
        let a = arange_leaf(dev);
        let x = a.mul(1.0).unwrap();
        let v = x.t().unwrap();
        assert_eq!(v.grad_fn().unwrap().name(), "TBackward0", "on {dev}");
        x.mul_(3.0).unwrap();
        assert_eq!(v.grad_fn().unwrap().name(), "AsStridedBackward0", "on {dev}");
        v.sum().unwrap().backward().unwrap();
        assert_eq!(vals_on(dev, &a.grad().unwrap()), [3.0; 6], "on {dev}");
    }
}

#[test]
fn a_view_whose_base_was_dropped() {
    for dev in &devices() {
        // The base (a temporary) is gone: an in-place op on a view rebases that view alone ...
        let a = arange_leaf(dev);
        let b = a.mul(1.0).unwrap().narrow(0, 0, 1).unwrap();
        b.mul_(2.0).unwrap();
        b.sum().unwrap().backward().unwrap();
        assert_eq!(vals_on(dev, &a.grad().unwrap()), [2.0, 2.0, 2.0, 0.0, 0.0, 0.0], "on {dev}");
        // ... and another live view of the same base, whose history misses the write, fails its
        // backward rather than give wrong gradients (PyTorch keeps the base alive and rebases it).
        let b = a.mul(1.0).unwrap().narrow(1, 0, 2).unwrap();
        let c = b.narrow(0, 0, 1).unwrap();
        c.mul_(2.0).unwrap();
        let err = b.sum().unwrap().backward().unwrap_err().to_string();
        assert!(err.contains("modified by an in-place operation and dropped"), "on {dev}: {err}");
        a.zero_grad();
        c.sum().unwrap().backward().unwrap();
        assert_eq!(vals_on(dev, &a.grad().unwrap()), [2.0, 2.0, 0.0, 0.0, 0.0, 0.0], "on {dev}");
    }
}
