//! Second (and third) derivatives: `gradgradcheck` over the elementwise ops, matmul forms,
//! softmax and friends, the views and index ops whose backward is another op's forward; and
//! Hessian-vector products done by hand with `grad(.., create_graph: true)`.
//! Every test runs on every device (`common::devices`), the inputs on the device.

use crate::common;

use common::*;
use proptest::prelude::*;
use tensor_autograd::{grad, BackwardOptions, Var};
use tensor_core::{Norm, Tensor};

const CASES: u32 = 8;

fn create_graph() -> BackwardOptions {
    BackwardOptions { retain_graph: true, create_graph: true }
}

/// Small shapes (rank 0 to 2, sizes 1 to 3): a second-order check costs a backward of the
/// double graph per element.
fn small(min_rank: usize) -> impl Strategy<Value = (Vec<usize>, u64)> {
    (prop::collection::vec(1usize..=3, min_rank..=2), any::<u64>())
}

/// Two small shapes that broadcast together.
fn small_pair() -> impl Strategy<Value = (Vec<usize>, Vec<usize>, u64)> {
    (prop::collection::vec(1usize..=3, 0..=2), 0usize..=2, 0usize..=2, any::<u8>(), any::<u8>(), any::<u64>()).prop_map(
        |(out, da, db, oa, ob, seed)| {
            let make = |drop: usize, ones: u8| -> Vec<usize> {
                out[drop.min(out.len())..]
                    .iter()
                    .enumerate()
                    .map(|(i, &d)| if (ones >> i) & 1 == 1 { 1 } else { d })
                    .collect()
            };
            (make(da, oa), make(db, ob), seed)
        },
    )
}

#[test]
fn binary_elementwise() {
    for dev in &devices() {
        check("gradgrad binary", CASES, small_pair(), |(sa, sb, seed)| {
            let a = uniform(dev, &sa, seed, -2.0, 2.0);
            let b = uniform(dev, &sb, seed + 1, -2.0, 2.0);
            let pos = uniform(dev, &sa, seed + 2, 0.5, 2.0);
            let nz = away(dev, &sb, seed + 3, 0.5, 2.0);
            let (ga, gb) = (grid(dev, &sa, seed + 5, 0.05), grid(dev, &sb, seed + 6, 0.15));
            let cond = mask(dev, &sa, seed + 7);
            let checks: Vec<(&str, VarFn<'_>, Vec<Tensor>)> = vec![
                ("add", Box::new(|v| v[0].add(&v[1])), vec![a.shallow_clone(), b.shallow_clone()]),
                ("sub", Box::new(|v| v[0].sub(&v[1])?.mul(&v[0])), vec![a.shallow_clone(), b.shallow_clone()]),
                ("mul", Box::new(|v| v[0].mul(&v[1])), vec![a.shallow_clone(), b.shallow_clone()]),
                ("div", Box::new(|v| v[0].div(&v[1])), vec![a.shallow_clone(), nz.shallow_clone()]),
                ("pow", Box::new(|v| v[0].pow(&v[1])), vec![pos.shallow_clone(), b.shallow_clone()]),
                ("pow 2.5", Box::new(|v| v[0].pow(2.5)), vec![pos.shallow_clone()]),
                ("pow 3", Box::new(|v| v[0].pow(3.0)), vec![a.shallow_clone()]),
                ("atan2", Box::new(|v| v[0].atan2(&v[1])), vec![away(dev, &sa, seed + 4, 0.5, 2.0), b.shallow_clone()]),
                (
                    "maximum",
                    Box::new(|v| v[0].maximum(&v[1])?.mul(&v[0])),
                    vec![ga.shallow_clone(), gb.shallow_clone()],
                ),
                (
                    "minimum",
                    Box::new(|v| v[0].minimum(&v[1])?.mul(&v[1])),
                    vec![ga.shallow_clone(), gb.shallow_clone()],
                ),
                (
                    "where",
                    Box::new(|v| v[0].mul(&v[0])?.where_(&cond, &v[1].exp()?)),
                    vec![a.shallow_clone(), b.shallow_clone()],
                ),
            ];
            for (name, f, inputs) in &checks {
                ggc(f, inputs).map_err(|e| TestCaseError::fail(format!("{name}: {e}")))?;
            }
            Ok(())
        });
    }
}

#[test]
fn unary_elementwise() {
    for dev in &devices() {
        check("gradgrad unary", CASES, small(0), |(shape, seed)| {
            let x = uniform(dev, &shape, seed, -2.0, 2.0);
            let pos = uniform(dev, &shape, seed + 1, 0.4, 2.5);
            let nz = away(dev, &shape, seed + 2, 0.2, 2.0);
            let smooth: Vec<(&str, UnaryOp)> = vec![
                ("exp", |x| x.exp()),
                ("exp2", |x| x.exp2()),
                ("expm1", |x| x.expm1()),
                ("tanh", |x| x.tanh()),
                ("sigmoid", |x| x.sigmoid()),
                ("sin", |x| x.sin()),
                ("cos", |x| x.cos()),
                ("gelu", |x| x.gelu(false)),
                ("gelu_tanh", |x| x.gelu(true)),
                ("silu", |x| x.silu()),
                ("softplus", |x| x.softplus(1.0, 20.0)),
                ("erf", |x| x.erf()),
                ("square", |x| x.square()),
                ("neg", |x| x.neg()),
            ];
            for (name, op) in smooth {
                ggc(|v| op(&v[0]), &[x.shallow_clone()]).map_err(|e| TestCaseError::fail(format!("{name}: {e}")))?;
            }
            let positive: Vec<(&str, UnaryOp)> = vec![
                ("log", |x| x.log()),
                ("log2", |x| x.log2()),
                ("log1p", |x| x.log1p()),
                ("sqrt", |x| x.sqrt()),
                ("rsqrt", |x| x.rsqrt()),
            ];
            for (name, op) in positive {
                ggc(|v| op(&v[0]), &[pos.shallow_clone()]).map_err(|e| TestCaseError::fail(format!("{name}: {e}")))?;
            }
            ggc(|v| v[0].reciprocal(), &[nz.shallow_clone()])?;
            ggc(|v| v[0].tan(), &[uniform(dev, &shape, seed + 3, -1.0, 1.0)])?;
            // Kinks: piecewise linear, so the second derivative is zero away from them.
            ggc(|v| v[0].abs()?.mul(&v[0]), &[nz.shallow_clone()])?;
            ggc(|v| v[0].relu()?.mul(&v[0]), &[nz.shallow_clone()])?;
            ggc(|v| v[0].leaky_relu(0.2)?.mul(&v[0]), &[nz.shallow_clone()])?;
            ggc(|v| v[0].clamp(Some(-0.5), Some(0.5))?.exp(), &[grid(dev, &shape, seed + 4, 0.05)])?;
            Ok(())
        });
    }
}

#[test]
fn layer_norm_first_and_second_order() {
    for dev in &devices() {
        // Rows of 2 to 4 elements (a row of 1 has zero variance and a degenerate gradient).
        let shapes = (prop::collection::vec(1usize..=3, 0..=1), 2usize..=4, any::<u64>(), 0u8..3);
        check("layer_norm", CASES, shapes, |(lead, n, seed, affine)| {
            let mut shape = lead;
            shape.push(n);
            let x = uniform(dev, &shape, seed, -2.0, 2.0);
            let w = uniform(dev, &[n], seed + 1, 0.5, 2.0);
            let b = uniform(dev, &[n], seed + 2, -1.0, 1.0);
            let f = move |v: &[Var]| match affine {
                0 => v[0].layer_norm(&[n], None, None, 1e-5),
                1 => v[0].layer_norm(&[n], Some(&v[1]), None, 1e-5),
                _ => v[0].layer_norm(&[n], Some(&v[1]), Some(&v[2]), 1e-5),
            };
            let inputs = [x, w, b];
            let used = &inputs[..1 + affine as usize];
            // First order: the fused backward; second order: its composed form, differentiated.
            gc(f, used)?;
            ggc(f, used)
        });
    }
}

#[test]
fn flash_attention_first_and_second_order() {
    for dev in &devices() {
        // q [lead.., L, E], k [S, E] (broadcast over the leading dim), v [lead.., S, Ev].
        let shapes = (0usize..=2, 1usize..=3, 1usize..=3, 1usize..=2, 1usize..=2, any::<bool>(), any::<u64>());
        check("flash_attention", CASES, shapes, |(lead, l, s, e, ev, causal, seed)| {
            let with =
                |tail: [usize; 2]| -> Vec<usize> { (lead > 0).then_some(lead).into_iter().chain(tail).collect() };
            let q = uniform(dev, &with([l, e]), seed, -1.5, 1.5);
            let k = uniform(dev, &[s, e], seed + 1, -1.5, 1.5);
            let v = uniform(dev, &with([s, ev]), seed + 2, -1.5, 1.5);
            let f = move |x: &[Var]| x[0].flash_attention(&x[1], &x[2], causal, None);
            // First order: the fused backward; second order: its composed form, differentiated.
            gc(f, &[q.shallow_clone(), k.shallow_clone(), v.shallow_clone()])?;
            // The composed form's first derivatives equal the fused ones (gradgradcheck alone only
            // checks that the composed form is differentiated consistently).
            let xs = [&q, &k, &v].map(|t| Var::new(t.shallow_clone(), true));
            let out = ok(f(&xs))?;
            let seed_grad = Var::constant(uniform(dev, out.size(), seed + 6, -1.0, 1.0));
            let refs: Vec<&Var> = xs.iter().collect();
            let plain = BackwardOptions { retain_graph: true, create_graph: false };
            let fused = ok(grad(&[&out], &refs, Some(&[&seed_grad]), plain, false))?;
            let composed = ok(grad(&[&out], &refs, Some(&[&seed_grad]), create_graph(), false))?;
            for (a, b) in fused.iter().zip(&composed) {
                let (a, b) = (
                    a.as_ref().unwrap().tensor().to_vec::<f64>().unwrap(),
                    b.as_ref().unwrap().tensor().to_vec::<f64>().unwrap(),
                );
                for (x, y) in a.iter().zip(&b) {
                    prop_assert!((x - y).abs() <= 1e-12 * (1.0 + y.abs()), "on {}: fused {x} vs composed {y}", dev);
                }
            }
            ggc(f, &[q, k, v])?;
            // A given scale.
            let g = move |x: &[Var]| x[0].flash_attention(&x[1], &x[2], causal, Some(0.7));
            gc(
                g,
                &[
                    uniform(dev, &with([l, e]), seed + 3, -1.5, 1.5),
                    uniform(dev, &[s, e], seed + 4, -1.5, 1.5),
                    uniform(dev, &with([s, ev]), seed + 5, -1.5, 1.5),
                ],
            )
        });
    }
}

#[test]
fn batch_norm_first_and_second_order() {
    for dev in &devices() {
        let shapes = (1usize..=3, 1usize..=3, prop::collection::vec(1usize..=3, 0..=1), any::<u64>(), any::<bool>());
        check("batch_norm", CASES, shapes, |(n, c, spatial, seed, affine)| {
            let mut shape = vec![n, c];
            shape.extend(&spatial);
            prop_assume!(shape.iter().product::<usize>() / c > 1);
            let x = uniform(dev, &shape, seed, -2.0, 2.0);
            let w = uniform(dev, &[c], seed + 1, 0.5, 2.0);
            let b = uniform(dev, &[c], seed + 2, -1.0, 1.0);
            let f = move |v: &[Var]| {
                let (w, b) = if affine { (Some(&v[1]), Some(&v[2])) } else { (None, None) };
                Ok(v[0].batch_norm_train(w, b, 1e-5)?.0)
            };
            let inputs = [x, w, b];
            let used = if affine { &inputs[..] } else { &inputs[..1] };
            gc(f, used)?;
            ggc(f, used)
        });
    }
}

#[test]
fn pad_first_and_second_order() {
    for dev in &devices() {
        check("pad", CASES, (2usize..=4, 3usize..=4, any::<u64>()), |(h, w, seed)| {
            let x = uniform(dev, &[2, h, w], seed, -2.0, 2.0);
            for mode in
                [tensor_core::PadMode::Constant(0.5), tensor_core::PadMode::Reflect, tensor_core::PadMode::Replicate]
            {
                // The last dim by (1, 2), the one before by (1, 0): reflect needs pads below the size.
                let f = move |v: &[Var]| v[0].pad(&[1, 2, 1, 0], mode)?.mul(&v[0].pad(&[1, 2, 1, 0], mode)?);
                gc(f, &[x.shallow_clone()])?;
                ggc(f, &[x.shallow_clone()])?;
            }
            Ok(())
        });
    }
}

#[test]
fn reductions_and_softmax() {
    for dev in &devices() {
        check("gradgrad reductions", CASES, (small(1), any::<u64>()), |((shape, seed), pick)| {
            let x = uniform(dev, &shape, seed, -2.0, 2.0);
            let d = pick_dim(shape.len(), pick);
            let dims = pick_dims(shape.len(), pick >> 8);
            ggc(|v| v[0].softmax(d), &[x.shallow_clone()])?;
            ggc(|v| v[0].log_softmax(d), &[x.shallow_clone()])?;
            ggc(|v| v[0].logsumexp(&dims, false), &[x.shallow_clone()])?;
            ggc(|v| v[0].mul(&v[0])?.sum_dim(&dims, true), &[x.shallow_clone()])?;
            ggc(|v| v[0].mul(&v[0])?.mean_dim(&dims, false), &[x.shallow_clone()])?;
            ggc(|v| v[0].cumsum(d)?.mul(&v[0]), &[x.shallow_clone()])?;
            ggc(|v| v[0].var(&dims, 0, false), &[x.shallow_clone()])?;
            let dx = distinct(dev, &shape, seed + 1);
            ggc(|v| v[0].norm(Norm::L2, &dims, false), &[dx.shallow_clone()])?;
            ggc(|v| v[0].amax(&dims, false)?.mul(&v[0].sum()?), &[dx.shallow_clone()])?;
            ggc(|v| v[0].max_dim(d, false)?.0.exp(), &[dx.shallow_clone()])?;
            ggc(|v| v[0].prod(), &[away(dev, &shape, seed + 2, 0.5, 1.5)])?;
            Ok(())
        });
    }
}

#[test]
fn views_and_index_ops() {
    for dev in &devices() {
        check("gradgrad views/index", CASES, (small(2), any::<u64>()), |((shape, seed), pick)| {
            let x = uniform(dev, &shape, seed, -2.0, 2.0);
            let d = pick_dim(2, pick);
            let size = shape[d.rem_euclid(2) as usize];
            // The backward of a slice embeds into zeros; its own backward slices again.
            ggc(|v| v[0].narrow(d, 0, 1)?.mul(&v[0].narrow(d, size as isize - 1, 1)?), &[x.shallow_clone()])?;
            ggc(|v| v[0].select(d, 0)?.exp(), &[x.shallow_clone()])?;
            ggc(|v| v[0].slice(d, None, None, 2)?.pow(2.0), &[x.shallow_clone()])?;
            ggc(|v| v[0].t()?.mul(&v[0].t()?)?.expand(&[2, -1, -1]), &[x.shallow_clone()])?;
            ggc(|v| v[0].permute(&[1, 0])?.reshape(&[-1])?.exp(), &[x.shallow_clone()])?;
            let idx = indices(dev, &[3], seed + 1, size);
            ggc(|v| v[0].index_select(d, &idx)?.pow(2.0), &[x.shallow_clone()])?;
            let gidx = indices(dev, &shape, seed + 2, size);
            ggc(|v| v[0].gather(d, &gidx)?.pow(2.0), &[x.shallow_clone()])?;
            let src = uniform(dev, &shape, seed + 3, -1.0, 1.0);
            ggc(|v| v[0].scatter_add(d, &gidx, &v[1].mul(&v[1])?), &[x.shallow_clone(), src.shallow_clone()])?;
            ggc(
                |v| Var::cat(&[&v[0].exp()?, &v[1]], d)?.mul(&Var::cat(&[&v[1], &v[0]], d)?),
                &[x.shallow_clone(), src],
            )?;
            ggc(|v| v[0].masked_fill(&mask(dev, &shape, seed + 4), 1.0)?.pow(3.0), &[x.shallow_clone()])?;
            Ok(())
        });
    }
}

#[test]
fn matmul_forms() {
    for dev in &devices() {
        check(
            "gradgrad matmul",
            CASES,
            (1usize..=3, 1usize..=3, 1usize..=3, 1usize..=2, any::<u64>()),
            |(n, k, m, b, seed)| {
                let t = |shape: &[usize], s: u64| uniform(dev, shape, seed.wrapping_add(s), -1.5, 1.5);
                let mm = |v: &[Var]| v[0].matmul(&v[1]);
                ggc(mm, &[t(&[k], 1), t(&[k], 2)])?;
                ggc(mm, &[t(&[n, k], 3), t(&[k], 4)])?;
                ggc(mm, &[t(&[k], 5), t(&[k, m], 6)])?;
                ggc(mm, &[t(&[n, k], 7), t(&[k, m], 8)])?;
                ggc(mm, &[t(&[b, n, k], 9), t(&[b, k, m], 10)])?;
                ggc(mm, &[t(&[b, 1, n, k], 11), t(&[2, k, m], 12)])?;
                ggc(|v| v[0].t()?.matmul(&v[1])?.tanh(), &[t(&[k, n], 13), t(&[k, m], 14)])?;
                ggc(|v| v[0].linear(&v[1], Some(&v[2]))?.sigmoid(), &[t(&[n, k], 15), t(&[m, k], 16), t(&[m], 17)])?;
                ggc(|v| v[0].matmul(&v[0].t()?), &[t(&[n, k], 18)])?;
                Ok(())
            },
        );
    }
}

#[test]
fn hessian_vector_product_of_sum_of_cubes() {
    for dev in &devices() {
        // f(x) = sum(x^3): grad = 3 x^2, H v = 6 x v.
        let x = leaf(dev, &[1.0, -2.0, 0.5, 3.0], &[4]);
        let v = Var::constant(Tensor::new([1.0f64, 0.5, -2.0, 0.0], dev).unwrap());
        let f = x.pow(3.0).unwrap().sum().unwrap();
        let g = grad(&[&f], &[&x], None, create_graph(), false).unwrap().remove(0).unwrap();
        assert!(g.requires_grad(), "on {dev}: create_graph records the backward");
        assert_close(&vals_on(dev, g.tensor_ref()), &[3.0, 12.0, 0.75, 27.0], 1e-14);
        let hv = grad(&[&g], &[&x], Some(&[&v]), create_graph(), false).unwrap().remove(0).unwrap();
        assert_close(&vals_on(dev, hv.tensor_ref()), &[6.0, -6.0, -6.0, 0.0], 1e-14);
        // The same through a scalar: grad of (g . v).
        let gv = g.mul(&v).unwrap().sum().unwrap();
        let retain = BackwardOptions { retain_graph: true, create_graph: false };
        let hv2 = grad(&[&gv], &[&x], None, retain, false).unwrap().remove(0).unwrap();
        assert_close(&vals_on(dev, hv2.tensor_ref()), &[6.0, -6.0, -6.0, 0.0], 1e-14);
        assert!(!hv2.requires_grad(), "on {dev}: no graph without create_graph");
        // Third derivative: d/dx sum(d/dx sum(3 x^2)) = 6.
        let h = grad(&[&g.sum().unwrap()], &[&x], None, create_graph(), false).unwrap().remove(0).unwrap();
        let third =
            grad(&[&h.sum().unwrap()], &[&x], None, BackwardOptions::default(), false).unwrap().remove(0).unwrap();
        assert_close(&vals_on(dev, third.tensor_ref()), &[6.0; 4], 1e-14);
        // Without create_graph, the first gradient has no graph.
        let f = x.pow(3.0).unwrap().sum().unwrap();
        let g = grad(&[&f], &[&x], None, BackwardOptions::default(), false).unwrap().remove(0).unwrap();
        assert!(!g.requires_grad(), "on {dev}");
    }
}

#[test]
fn hessian_vector_products_of_other_functions() {
    for dev in &devices() {
        // f(x) = sum(exp(x) x): grad = e^x (1 + x), Hessian = diag(e^x (2 + x)).
        let xs = [0.0, 1.0, -1.5];
        let x = leaf(dev, &xs, &[3]);
        let v = Var::constant(Tensor::new([1.0f64, 2.0, 3.0], dev).unwrap());
        let f = x.exp().unwrap().mul(&x).unwrap().sum().unwrap();
        let g = grad(&[&f], &[&x], None, create_graph(), false).unwrap().remove(0).unwrap();
        let hv = grad(&[&g], &[&x], Some(&[&v]), BackwardOptions::default(), false).unwrap().remove(0).unwrap();
        let expected: Vec<f64> = xs.iter().zip([1.0, 2.0, 3.0]).map(|(x, v)| x.exp() * (2.0 + x) * v).collect();
        assert_close(&vals_on(dev, hv.tensor_ref()), &expected, 1e-13);

        // Mixed: f(x, y) = sum(x^2 y); d/dy (grad_x f . v) = 2 x v.
        let x = leaf(dev, &[1.0, 2.0], &[2]);
        let y = leaf(dev, &[3.0, -1.0], &[2]);
        let v = Var::constant(Tensor::new([0.5f64, 4.0], dev).unwrap());
        let f = x.mul(&x).unwrap().mul(&y).unwrap().sum().unwrap();
        let gx = grad(&[&f], &[&x], None, create_graph(), false).unwrap().remove(0).unwrap();
        assert_close(&vals_on(dev, gx.tensor_ref()), &[6.0, -4.0], 1e-14);
        let mixed = grad(&[&gx], &[&y, &x], Some(&[&v]), BackwardOptions::default(), false).unwrap();
        assert_close(&vals_on(dev, mixed[0].as_ref().unwrap().tensor_ref()), &[1.0, 16.0], 1e-14);
        // d/dx (2 x y . v) = 2 y v.
        assert_close(&vals_on(dev, mixed[1].as_ref().unwrap().tensor_ref()), &[3.0, -8.0], 1e-14);

        // A small network: f(W) = sum(tanh(W x)); HVP against central differences of the gradient.
        let w0 = uniform(dev, &[3, 2], 9, -1.0, 1.0);
        let xin = Var::constant(Tensor::new([0.7f64, -1.3], dev).unwrap());
        let dir = uniform(dev, &[3, 2], 10, -1.0, 1.0);
        let grad_at = |w: &Tensor, create: bool| -> Var {
            let w = Var::new(w.shallow_clone(), true);
            let f = w.matmul(&xin).unwrap().tanh().unwrap().sum().unwrap();
            let opts = if create { create_graph() } else { BackwardOptions::default() };
            let g = grad(&[&f], &[&w], None, opts, false).unwrap().remove(0).unwrap();
            if create {
                let hv = grad(&[&g], &[&w], Some(&[&Var::constant(dir.shallow_clone())]), opts, false).unwrap();
                return hv.into_iter().next().unwrap().unwrap();
            }
            g
        };
        let hv = vals_on(dev, grad_at(&w0, true).tensor_ref());
        let eps = 1e-6;
        let plus = vals_on(dev, grad_at(&w0.add(&dir.mul(eps).unwrap()).unwrap(), false).tensor_ref());
        let minus = vals_on(dev, grad_at(&w0.sub(&dir.mul(eps).unwrap()).unwrap(), false).tensor_ref());
        let numeric: Vec<f64> = plus.iter().zip(&minus).map(|(p, m)| (p - m) / (2.0 * eps)).collect();
        assert_close(&hv, &numeric, 1e-6);
    }
}
