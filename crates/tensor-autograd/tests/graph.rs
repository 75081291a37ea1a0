//! The graph itself: 100,000-op chains walked and dropped without overflowing a default 2 MiB
//! thread stack, nodes freed once nothing needs them (no cycles, even with create_graph),
//! PyTorch's node names, `next_functions`, and shared sub-graphs (diamonds, fan-out). The
//! tests of freeing, shared sub-graphs and threads run on every device; the 100,000-op chains
//! (the engine's stack, the same whatever the device) and the node names stay on the CPU.

use crate::common;

use common::*;
use std::sync::{Arc, Weak};
use tensor_autograd::{grad, BackwardOptions, Node, Var};
use tensor_core::{s, DType, Tensor};

const CHAIN: usize = 100_000;

/// Runs `f` on a thread with the default 2 MiB stack (the main test thread may have more).
fn on_small_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new().stack_size(2 << 20).spawn(f).expect("spawn").join().expect("no stack overflow");
}

fn scalar_leaf(v: f64) -> Var {
    Var::new(Tensor::new([v], &cpu()).unwrap(), true)
}

#[test]
fn backward_through_a_100k_op_chain() {
    // z = z * w + 0.5, 50,000 times: 100,000 nodes in one chain. The mul saves its input
    // variables, so the saved handles form a second chain to walk and free iteratively.
    on_small_stack(|| {
        let x = scalar_leaf(1.0);
        let w = scalar_leaf(1.0001);
        let mut z = x.clone();
        // Forward-mode reference: z, dz/dx, dz/dw.
        let (mut zr, mut dx, mut dw) = (1.0f64, 1.0f64, 0.0f64);
        for _ in 0..CHAIN / 2 {
            z = z.mul(&w).unwrap().add(0.5).unwrap();
            dw = dw * 1.0001 + zr;
            dx *= 1.0001;
            zr = zr * 1.0001 + 0.5;
        }
        assert!((z.item::<f64>().unwrap() - zr).abs() <= 1e-9 * zr);
        z.backward().unwrap();
        let gx = x.grad().unwrap().item::<f64>().unwrap();
        let gw = w.grad().unwrap().item::<f64>().unwrap();
        assert!((gx - dx).abs() <= 1e-9 * dx, "{gx} vs {dx}");
        assert!((gw - dw).abs() <= 1e-9 * dw, "{gw} vs {dw}");
        let weak = Arc::downgrade(&z.grad_fn().unwrap());
        drop(z);
        assert!(weak.upgrade().is_none());
    });
}

#[test]
fn dropping_a_100k_op_graph_without_backward() {
    on_small_stack(|| {
        let x = scalar_leaf(0.5);
        let w = scalar_leaf(1.0);
        let mut z = x.clone();
        for i in 0..CHAIN {
            z = match i % 3 {
                0 => z.mul(&w).unwrap(),
                1 => z.add(0.5).unwrap(),
                _ => z.tanh().unwrap(),
            };
        }
        let weak = Arc::downgrade(&z.grad_fn().unwrap());
        drop(z);
        assert!(weak.upgrade().is_none());
    });
}

fn weak_fn(v: &Var) -> Weak<Node> {
    Arc::downgrade(&v.grad_fn().expect("a non-leaf"))
}

#[test]
fn nodes_are_freed_after_backward_and_drop() {
    for dev in &devices() {
        let x = leaf(dev, &[1.0, 2.0], &[2]);
        let y = x.mul(2.0).unwrap().exp().unwrap();
        let (w_exp, w_mul) = (weak_fn(&y), Arc::downgrade(&y.grad_fn().unwrap().next_functions()[0].clone().unwrap()));
        let out = y.sum().unwrap();
        let w_sum = weak_fn(&out);
        out.backward().unwrap();
        // Alive while a variable holds them, even after backward.
        assert!(w_exp.upgrade().is_some() && w_mul.upgrade().is_some(), "on {dev}");
        drop(y);
        assert!(w_exp.upgrade().is_some(), "on {dev}: the sum's node keeps its input's node");
        drop(out);
        assert!(w_sum.upgrade().is_none() && w_exp.upgrade().is_none() && w_mul.upgrade().is_none(), "on {dev}");
        assert!(x.grad().is_some(), "on {dev}: leaves keep their gradients");

        // Without backward.
        let y = x.mul(&x).unwrap().sigmoid().unwrap();
        let w = weak_fn(&y);
        drop(y);
        assert!(w.upgrade().is_none(), "on {dev}");

        // Through an in-place op (the rebased node and the snapshot's).
        let a = x.mul(1.0).unwrap();
        let before = weak_fn(&a);
        a.add_(1.0).unwrap();
        let after = weak_fn(&a);
        a.sum().unwrap().backward().unwrap();
        drop(a);
        assert!(before.upgrade().is_none() && after.upgrade().is_none(), "on {dev}");
    }
}

#[test]
fn create_graph_leaves_no_cycles() {
    for dev in &devices() {
        let x = leaf(dev, &[0.5, -1.0], &[2]);
        // exp saves its own output: under create_graph it is re-attached to its node.
        let y = x.exp().unwrap().mul(&x).unwrap();
        let (w_mul, w_exp) = (weak_fn(&y), Arc::downgrade(&y.grad_fn().unwrap().next_functions()[0].clone().unwrap()));
        let s = y.sum().unwrap();
        let g = grad(&[&s], &[&x], None, BackwardOptions { retain_graph: false, create_graph: true }, false)
            .unwrap()
            .remove(0)
            .unwrap();
        let w_g = weak_fn(&g);
        let hv = grad(&[&g.sum().unwrap()], &[&x], None, BackwardOptions::default(), false).unwrap().remove(0).unwrap();
        let xs = [0.5f64, -1.0];
        assert_close(&vals_on(dev, hv.tensor_ref()), &xs.map(|x| x.exp() * (2.0 + x)), 1e-14);
        drop((y, s));
        assert!(w_exp.upgrade().is_some(), "on {dev}: the double-backward graph still uses it");
        drop(g);
        assert!(w_g.upgrade().is_none() && w_mul.upgrade().is_none() && w_exp.upgrade().is_none(), "on {dev}");
        // backward with create_graph: .grad is a plain tensor, holding no graph.
        let y = x.pow(3.0).unwrap().sum().unwrap();
        let w = weak_fn(&y);
        y.backward_opts(
            &Tensor::ones([], DType::F64, dev).unwrap(),
            BackwardOptions { retain_graph: false, create_graph: true },
        )
        .unwrap();
        drop(y);
        assert!(w.upgrade().is_none(), "on {dev}");
    }
}

#[test]
fn grad_fn_names_match_pytorch() {
    let x = leaf(&cpu(), &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    let v = leaf(&cpu(), &[1.0, 2.0, 3.0], &[3]);
    let i = Tensor::new([0i64, 1], &cpu()).unwrap();
    let cases: Vec<(&str, Var)> = vec![
        ("AddBackward0", x.add(2.0).unwrap()),
        ("AddBackward0", x.add(&x).unwrap()),
        ("SubBackward0", x.sub(&v).unwrap()),
        ("MulBackward0", x.mul(&v).unwrap()),
        ("DivBackward0", x.div(2.0).unwrap()),
        ("NegBackward0", x.neg().unwrap()),
        ("PowBackward0", x.pow(2.0).unwrap()),
        ("PowBackward1", x.pow(&v).unwrap()),
        ("ExpBackward0", x.exp().unwrap()),
        ("LogBackward0", x.log().unwrap()),
        ("SqrtBackward0", x.sqrt().unwrap()),
        ("SinBackward0", x.sin().unwrap()),
        ("TanhBackward0", x.tanh().unwrap()),
        ("SigmoidBackward0", x.sigmoid().unwrap()),
        ("ReluBackward0", x.relu().unwrap()),
        ("AbsBackward0", x.abs().unwrap()),
        ("ClampBackward1", x.clamp(Some(0.0), Some(1.0)).unwrap()),
        ("MaximumBackward0", x.maximum(&v).unwrap()),
        ("WhereBackward0", x.where_(&x.gt(2.0).unwrap().tensor(), 0.0).unwrap()),
        ("MaskedFillBackward0", x.masked_fill(&x.gt(2.0).unwrap().tensor(), 0.0).unwrap()),
        ("SumBackward0", x.sum().unwrap()),
        ("SumBackward1", x.sum_dim(&[1], false).unwrap()),
        ("MeanBackward0", x.mean().unwrap()),
        ("MeanBackward1", x.mean_dim(&[0], true).unwrap()),
        ("ProdBackward0", x.prod().unwrap()),
        ("MaxBackward1", x.max().unwrap()),
        ("MaxBackward0", x.max_dim(1, false).unwrap().0),
        ("MinBackward0", x.min_dim(1, false).unwrap().0),
        ("AmaxBackward0", x.amax(&[1], false).unwrap()),
        ("SoftmaxBackward0", x.softmax(1).unwrap()),
        ("LogSoftmaxBackward0", x.log_softmax(1).unwrap()),
        ("LogsumexpBackward0", x.logsumexp(&[1], false).unwrap()),
        ("CumsumBackward0", x.cumsum(1).unwrap()),
        ("ViewBackward0", x.view(&[-1]).unwrap()),
        ("ViewBackward0", x.reshape(&[3, 2]).unwrap()),
        ("UnsafeViewBackward0", x.t().unwrap().reshape(&[-1]).unwrap()),
        ("TransposeBackward0", x.transpose(0, 1).unwrap()),
        ("TBackward0", x.t().unwrap()),
        ("PermuteBackward0", x.permute(&[1, 0]).unwrap()),
        ("UnsqueezeBackward0", x.unsqueeze(0).unwrap()),
        ("SqueezeBackward0", x.unsqueeze(0).unwrap().squeeze().unwrap()),
        ("SqueezeBackward1", x.unsqueeze(0).unwrap().squeeze_dim(0).unwrap()),
        ("ExpandBackward0", v.expand(&[2, 3]).unwrap()),
        ("CloneBackward0", x.t().unwrap().contiguous().unwrap()),
        ("SliceBackward0", x.narrow(1, 0, 2).unwrap()),
        ("SliceBackward0", x.i((.., s(None, None, 2))).unwrap()),
        ("SelectBackward0", x.select(0, 1).unwrap()),
        ("CatBackward0", Var::cat(&[&x, &x], 0).unwrap()),
        ("StackBackward0", Var::stack(&[&x, &x], 1).unwrap()),
        ("IndexSelectBackward0", x.index_select(1, &i).unwrap()),
        ("GatherBackward0", x.gather(0, &Tensor::new([[0i64, 1, 0]], &cpu()).unwrap()).unwrap()),
        ("ScatterAddBackward0", x.scatter_add(0, &Tensor::new([[0i64, 1, 0]], &cpu()).unwrap(), &x).unwrap()),
        ("IndexAddBackward0", x.index_add(0, &i, &x).unwrap()),
        ("MmBackward0", x.matmul(&x.t().unwrap()).unwrap()),
        ("MmBackward0", x.mm(&x.t().unwrap()).unwrap()),
        ("MvBackward0", x.mv(&v).unwrap()),
        ("DotBackward0", v.dot(&v).unwrap()),
        ("BmmBackward0", x.unsqueeze(0).unwrap().bmm(&x.t().unwrap().unsqueeze(0).unwrap()).unwrap()),
        ("ToCopyBackward0", x.to_dtype(DType::F32).unwrap()),
    ];
    for (name, var) in &cases {
        assert_eq!(var.grad_fn().map(|n| n.name().to_string()).as_deref(), Some(*name));
    }
    assert!(x.grad_fn().is_none(), "leaves have no grad_fn");
}

#[test]
fn next_functions_and_shared_subgraphs() {
    for dev in &devices() {
        let x = leaf(dev, &[1.0, 2.0], &[2]);
        let y = x.mul(2.0).unwrap().add(1.0).unwrap();
        let next = y.grad_fn().unwrap().next_functions();
        assert_eq!(next.len(), 2, "on {dev}");
        assert_eq!(next[0].as_ref().unwrap().name(), "MulBackward0", "on {dev}");
        assert!(next[1].is_none(), "on {dev}: the number needs no gradient");

        // A diamond: z = y * y + y with y = 3 x: dz/dx = 3 (2 y + 1).
        let y = x.mul(3.0).unwrap();
        let z = y.mul(&y).unwrap().add(&y).unwrap();
        z.sum().unwrap().backward().unwrap();
        assert_eq!(vals_on(dev, &x.grad().unwrap()), [21.0, 39.0], "on {dev}");

        // Fan-out: one variable used 1,000 times.
        let x = leaf(dev, &[1.0], &[1]);
        let y = x.mul(1.0).unwrap();
        let mut acc = y.clone();
        for _ in 1..1000 {
            acc = acc.add(&y).unwrap();
        }
        acc.backward().unwrap();
        assert_eq!(vals_on(dev, &x.grad().unwrap()), [1000.0], "on {dev}");

        // Two outputs of one graph, backward from both in one call of grad.
        let x = leaf(dev, &[2.0], &[1]);
        let h = x.exp().unwrap();
        let (a, b) = (h.mul(2.0).unwrap(), h.mul(&h).unwrap());
        let g = grad(&[&a, &b], &[&x], None, BackwardOptions::default(), false).unwrap();
        let e2 = 2f64.exp();
        assert_close(&vals_on(dev, g[0].as_ref().unwrap().tensor_ref()), &[2.0 * e2 + 2.0 * e2 * e2], 1e-14);
    }
}

#[test]
fn graphs_cross_threads() {
    for dev in &devices() {
        fn send_sync<T: Send + Sync + ?Sized>() {}
        send_sync::<Var>();
        send_sync::<Node>();
        let x = leaf(dev, &[1.0, 2.0], &[2]);
        let y = x.mul(&x).unwrap().sum().unwrap();
        std::thread::spawn(move || y.backward().unwrap()).join().unwrap();
        assert_eq!(vals_on(dev, &x.grad().unwrap()), [2.0, 4.0], "on {dev}");
    }
}
