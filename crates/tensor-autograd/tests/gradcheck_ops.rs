//! Every differentiable `Var` op through `tensor_autograd::gradcheck` (float64 central
//! differences): here the binary and unary ops, matmul, what never requires grad and gradcheck's
//! own refusals; reductions in `gradcheck_reductions.rs`, views, assembly and indexing in
//! `gradcheck_views.rs`. On deterministic proptest cases: shapes of rank 0 to 3 with sizes 1 to 4,
//! broadcast operands, and non-contiguous operands (transposed, sliced with a step, expanded)
//! made inside the checked function. Data is kept away from the points where an op is not
//! differentiable (|x| and relu at 0, clamp bounds, ties of max/min).
//! Every test runs on every device (`common::devices`): the inputs live on the device, and on a
//! GPU gradcheck's finite differences and backward run there (`common::gradcheck_on`).

use crate::common;

use common::*;
use proptest::prelude::*;
use tensor_autograd::{GradcheckOptions, Var};
use tensor_core::{DType, Tensor};

const CASES: u32 = 24;

/// A shape where some dims are replaced by 1 (an expandable input) and its expanded target.
pub(crate) fn expandable(shape: &[usize], ones: u64) -> (Vec<usize>, Vec<isize>) {
    let small: Vec<usize> = shape.iter().enumerate().map(|(i, &d)| if (ones >> i) & 1 == 1 { 1 } else { d }).collect();
    let mut target: Vec<isize> = vec![2];
    target.extend(shape.iter().map(|&d| d as isize));
    (small, target)
}

// ---------------------------------------------------------------- binary ops

#[test]
fn add_sub_mul_div_broadcast() {
    for dev in &devices() {
        check("add/sub/mul/div", CASES, broadcast_pair(), |(sa, sb, seed)| {
            let a = uniform(dev, &sa, seed, -2.0, 2.0);
            let b = uniform(dev, &sb, seed + 1, -2.0, 2.0);
            let nz = away(dev, &sb, seed + 2, 0.5, 2.0);
            gc(|v| v[0].add(&v[1]), &[a.shallow_clone(), b.shallow_clone()])?;
            gc(|v| v[0].sub(&v[1]), &[a.shallow_clone(), b.shallow_clone()])?;
            gc(|v| v[0].mul(&v[1]), &[a.shallow_clone(), b.shallow_clone()])?;
            gc(|v| v[0].div(&v[1]), &[a.shallow_clone(), nz.shallow_clone()])?;
            // Numbers and constant tensors as the second operand; a Var as the first only.
            gc(|v| v[0].mul(2.5)?.add(1.0)?.sub(&b)?.div(-3.0), &[a.shallow_clone()])?;
            gc(|v| v[0].mul(&b)?.div(&nz), &[a.shallow_clone()])?;
            // The same Var on both sides.
            gc(|v| v[0].mul(&v[0])?.sub(&v[0])?.add(&v[0].div(&v[1])?), &[nz.shallow_clone(), nz.shallow_clone()])?;
            Ok(())
        });
    }
}

#[test]
fn binary_ops_on_3x1_with_4() {
    for dev in &devices() {
        let a = uniform(dev, &[3, 1], 11, 0.5, 2.0);
        let b = uniform(dev, &[4], 12, 0.5, 2.0);
        let ga = grid(dev, &[3, 1], 13, 0.05);
        let gb = grid(dev, &[4], 14, 0.15);
        let fs: Vec<(&str, VarFn<'_>)> = vec![
            ("add", Box::new(|v| v[0].add(&v[1]))),
            ("sub", Box::new(|v| v[0].sub(&v[1]))),
            ("mul", Box::new(|v| v[0].mul(&v[1]))),
            ("div", Box::new(|v| v[0].div(&v[1]))),
            ("pow", Box::new(|v| v[0].pow(&v[1]))),
            ("atan2", Box::new(|v| v[0].atan2(&v[1]))),
        ];
        for (name, f) in &fs {
            gc(f, &[a.shallow_clone(), b.shallow_clone()]).unwrap_or_else(|e| panic!("on {dev}: {name}: {e}"));
            gc(f, &[b.shallow_clone(), a.shallow_clone()]).unwrap_or_else(|e| panic!("on {dev}: {name} swapped: {e}"));
        }
        gc(|v| v[0].maximum(&v[1]), &[ga.shallow_clone(), gb.shallow_clone()]).unwrap();
        gc(|v| v[0].minimum(&v[1]), &[ga.shallow_clone(), gb.shallow_clone()]).unwrap();
        let cond = mask(dev, &[3, 4], 15);
        gc(|v| v[0].where_(&cond, &v[1]), &[a.shallow_clone(), b.shallow_clone()]).unwrap();
        let out = Var::new(a.shallow_clone(), true).add(&Var::new(b.shallow_clone(), true)).unwrap();
        assert_eq!(out.size(), &[3, 4], "on {dev}");
    }
}

#[test]
fn pow_with_positive_base() {
    for dev in &devices() {
        check("pow", CASES, broadcast_pair(), |(sa, sb, seed)| {
            let base = uniform(dev, &sa, seed, 0.5, 2.0);
            let exp = uniform(dev, &sb, seed + 1, -2.0, 2.0);
            gc(|v| v[0].pow(&v[1]), &[base.shallow_clone(), exp.shallow_clone()])?;
            // A constant base or a constant exponent.
            gc(|v| Var::constant(base.shallow_clone()).pow(&v[0]), &[exp.shallow_clone()])?;
            gc(|v| v[0].pow(&exp), &[base.shallow_clone()])?;
            gc(|v| v[0].pow(2.5), &[base.shallow_clone()])?;
            gc(|v| v[0].pow(-1.5), &[base.shallow_clone()])?;
            // Integral exponents are fine on any base.
            let any = uniform(dev, &sa, seed + 2, -2.0, 2.0);
            gc(|v| v[0].pow(3.0), &[any.shallow_clone()])?;
            gc(|v| v[0].pow(2), &[any.shallow_clone()])?;
            Ok(())
        });
    }
}

#[test]
fn pow_gradients_at_zero_base_match_pytorch() {
    for dev in &devices() {
        // torch: x = tensor([0., 2.], requires_grad=True); x.pow(0).sum().backward() -> grad [0., 0.]
        let x = leaf(dev, &[0.0, 2.0], &[2]);
        x.pow(0.0).unwrap().sum().unwrap().backward().unwrap();
        assert_eq!(vals_on(dev, &x.grad().unwrap()), [0.0, 0.0], "on {dev}");
        // torch: e = tensor([2., 3.], requires_grad=True); tensor([0., 2.]).pow(e): d/de at base 0 is 0.
        let e = leaf(dev, &[2.0, 3.0], &[2]);
        let base = Var::constant(Tensor::new([0.0f64, 2.0], dev).unwrap());
        base.pow(&e).unwrap().sum().unwrap().backward().unwrap();
        let g = vals_on(dev, &e.grad().unwrap());
        assert_eq!(g[0], 0.0, "on {dev}");
        assert!((g[1] - 8.0 * 2f64.ln()).abs() < 1e-12, "on {dev}");
    }
}

#[test]
fn maximum_minimum_without_ties() {
    for dev in &devices() {
        check("maximum/minimum", CASES, broadcast_pair(), |(sa, sb, seed)| {
            // Two grids a quarter apart with different offsets: never equal.
            let a = grid(dev, &sa, seed, 0.05);
            let b = grid(dev, &sb, seed + 1, 0.15);
            gc(|v| v[0].maximum(&v[1]), &[a.shallow_clone(), b.shallow_clone()])?;
            gc(|v| v[0].minimum(&v[1]), &[a.shallow_clone(), b.shallow_clone()])?;
            gc(|v| v[0].maximum(0.1), &[a.shallow_clone()])?;
            gc(|v| v[0].minimum(&b), &[a.shallow_clone()])?;
            Ok(())
        });
    }
}

#[test]
fn atan2_away_from_the_origin() {
    for dev in &devices() {
        check("atan2", CASES, broadcast_pair(), |(sa, sb, seed)| {
            // y away from 0 keeps clear of the branch cut (y = 0, x < 0).
            let y = away(dev, &sa, seed, 0.3, 2.0);
            let x = uniform(dev, &sb, seed + 1, -2.0, 2.0);
            gc(|v| v[0].atan2(&v[1]), &[y.shallow_clone(), x.shallow_clone()])?;
            gc(|v| v[0].atan2(0.5), &[y.shallow_clone()])?;
            Ok(())
        });
    }
}

#[test]
fn remainder_where_differentiable() {
    for dev in &devices() {
        check("remainder", CASES, broadcast_pair(), |(sa, sb, seed)| {
            // a = b * (k + f) with f in [0.1, 0.9]: a / b is never near an integer.
            let b = away(dev, &sb, seed, 0.5, 2.0);
            let q = uniform(dev, &sa, seed + 1, 0.0, 1.0);
            let k = indices(dev, &sa, seed + 2, 5);
            let q = ok(q.mul(0.8).and_then(|q| q.add(0.1)).and_then(|q| q.add(&k.to_dtype(DType::F64)?.sub(2.0)?)))?;
            let a = ok(q.mul(&b))?;
            gc(|v| v[0].remainder(&v[1]), &[a.shallow_clone(), b.shallow_clone()])?;
            gc(|v| v[0].remainder(&b), &[a.shallow_clone()])?;
            Ok(())
        });
    }
}

#[test]
fn where_and_masked_fill() {
    for dev in &devices() {
        check("where_/masked_fill", CASES, (broadcast_pair(), any::<u8>()), |((sa, sb, seed), mbits)| {
            let a = uniform(dev, &sa, seed, -2.0, 2.0);
            let b = uniform(dev, &sb, seed + 1, -2.0, 2.0);
            // A condition of a third broadcastable shape: a's shape with some dims 1.
            let cshape: Vec<usize> =
                sa.iter().enumerate().map(|(i, &d)| if (mbits >> i) & 1 == 1 { 1 } else { d }).collect();
            let cond = mask(dev, &cshape, seed + 2);
            gc(|v| v[0].where_(&cond, &v[1]), &[a.shallow_clone(), b.shallow_clone()])?;
            gc(|v| v[0].where_(&cond, 0.5), &[a.shallow_clone()])?;
            gc(|v| v[0].masked_fill(&cond, -1.25), &[a.shallow_clone()])?;
            gc(|v| v[0].masked_fill(&cond, 3)?.mul(&v[0]), &[a.shallow_clone()])?;
            Ok(())
        });
    }
}

#[test]
fn tril_and_triu() {
    for dev in &devices() {
        check("tril/triu", CASES, (case_pick(2, 3), -3isize..=3), |((shape, _, seed), diagonal)| {
            let x = uniform(dev, &shape, seed, -2.0, 2.0);
            gc(|v| v[0].tril(diagonal), &[x.shallow_clone()])?;
            gc(|v| v[0].triu(diagonal)?.mul(&v[0]), &[x.shallow_clone()])?;
            // A transposed input goes through a contiguous copy first.
            gc(|v| v[0].transpose(0, 1)?.tril(diagonal), &[x.shallow_clone()])?;
            Ok(())
        });
    }
}

#[test]
fn binary_ops_on_non_contiguous_operands() {
    for dev in &devices() {
        check("non-contiguous binary", CASES, case_pick(2, 3), |(shape, pick, seed)| {
            let x = uniform(dev, &shape, seed, -2.0, 2.0);
            let mut tshape = shape.clone();
            tshape.swap(0, 1);
            let y = away(dev, &tshape, seed + 1, 0.5, 2.0);
            // Transposed.
            gc(|v| v[0].transpose(0, 1)?.mul(&v[1]), &[x.shallow_clone(), y.shallow_clone()])?;
            gc(|v| v[0].div(&v[1].transpose(0, 1)?), &[x.shallow_clone(), y.shallow_clone()])?;
            // Sliced with a step (every other row), against a column slice of the other.
            let rows = shape[0].div_ceil(2);
            let z = uniform(dev, &[rows], seed + 2, -1.0, 1.0);
            let d = (shape.len() - 1) as isize;
            gc(
                |v| v[0].slice(0, None, None, 2)?.transpose(0, d)?.add(&v[1])?.pow(2.0),
                &[x.shallow_clone(), z.shallow_clone()],
            )?;
            // Expanded operand (stride 0) on both sides of a product.
            let (small, target) = expandable(&shape, pick);
            let e = uniform(dev, &small, seed + 3, -2.0, 2.0);
            gc(|v| v[0].expand(&target)?.mul(&v[1]), &[e.shallow_clone(), x.shallow_clone()])?;
            // Non-contiguous tensors as gradcheck inputs (gradcheck works on private copies).
            let xt = ok(x.transpose(0, 1))?;
            let xs = ok(x.slice(0, None, None, 2))?;
            let xe = ok(e.expand(&target))?;
            gc(|v| v[0].mul(&v[1].transpose(0, 1)?), &[xt.shallow_clone(), x.shallow_clone()])?;
            gc(|v| v[0].exp()?.mul(&v[1].narrow(1, 0, 1)?), &[xs.shallow_clone(), xs.shallow_clone()])?;
            gc(|v| v[0].sin()?.sum_dim(&[0], false), &[xe])?;
            prop_assert!(!xt.is_contiguous() || shape[0] == 1 || shape[1] == 1, "on {}", dev);
            let eg = grid(dev, &small, seed + 4, 0.05);
            let xg = grid(dev, &shape, seed + 5, 0.15);
            gc(|v| v[0].expand(&target)?.maximum(&v[1]), &[eg, xg])?;
            Ok(())
        });
    }
}

// ---------------------------------------------------------------- unary ops

#[test]
fn smooth_unary_ops() {
    for dev in &devices() {
        check("smooth unary", CASES, case(0, 3), |(shape, seed)| {
            let x = uniform(dev, &shape, seed, -2.0, 2.0);
            let ops: Vec<(&str, UnaryOp)> = vec![
                ("neg", |x| x.neg()),
                ("exp", |x| x.exp()),
                ("exp2", |x| x.exp2()),
                ("expm1", |x| x.expm1()),
                ("sin", |x| x.sin()),
                ("cos", |x| x.cos()),
                ("tanh", |x| x.tanh()),
                ("sigmoid", |x| x.sigmoid()),
                ("gelu", |x| x.gelu(false)),
                ("gelu_tanh", |x| x.gelu(true)),
                ("silu", |x| x.silu()),
                ("softplus", |x| x.softplus(1.0, 20.0)),
                ("softplus_beta", |x| x.softplus(2.0, 3.0)),
                ("square", |x| x.square()),
                ("erf", |x| x.erf()),
                ("sign", |x| x.sign()),
                ("floor", |x| x.floor()),
                ("round", |x| x.round()),
            ];
            for (name, op) in ops {
                gc(|v| op(&v[0]), &[x.shallow_clone()]).map_err(|e| TestCaseError::fail(format!("{name}: {e}")))?;
            }
            // tan inside (-pi/2, pi/2), away from the poles.
            let t = uniform(dev, &shape, seed + 1, -1.2, 1.2);
            gc(|v| v[0].tan(), &[t])?;
            Ok(())
        });
    }
}

#[test]
fn unary_ops_on_their_domains() {
    for dev in &devices() {
        check("domain unary", CASES, case(0, 3), |(shape, seed)| {
            let pos = uniform(dev, &shape, seed, 0.3, 3.0);
            let ops: Vec<(&str, UnaryOp)> =
                vec![("log", |x| x.log()), ("log2", |x| x.log2()), ("sqrt", |x| x.sqrt()), ("rsqrt", |x| x.rsqrt())];
            for (name, op) in ops {
                gc(|v| op(&v[0]), &[pos.shallow_clone()]).map_err(|e| TestCaseError::fail(format!("{name}: {e}")))?;
            }
            let above = uniform(dev, &shape, seed + 1, -0.7, 2.0);
            gc(|v| v[0].log1p(), &[above])?;
            let nz = away(dev, &shape, seed + 2, 0.3, 2.0);
            gc(|v| v[0].reciprocal(), &[nz.shallow_clone()])?;
            Ok(())
        });
    }
}

#[test]
fn kinked_unary_ops_away_from_kinks() {
    for dev in &devices() {
        check("kinked unary", CASES, case(0, 3), |(shape, seed)| {
            let nz = away(dev, &shape, seed, 0.05, 2.0);
            gc(|v| v[0].abs(), &[nz.shallow_clone()])?;
            gc(|v| v[0].relu(), &[nz.shallow_clone()])?;
            gc(|v| v[0].leaky_relu(0.01), &[nz.shallow_clone()])?;
            gc(|v| v[0].leaky_relu(0.3), &[nz.shallow_clone()])?;
            // Grid values k/4 + 0.05 are at least 0.05 from the bounds ±0.5 and 1.
            let g = grid(dev, &shape, seed + 1, 0.05);
            gc(|v| v[0].clamp(Some(-0.5), Some(1.0)), &[g.shallow_clone()])?;
            gc(|v| v[0].clamp(Some(-0.5), None), &[g.shallow_clone()])?;
            gc(|v| v[0].clamp(None, Some(0.5)), &[g.shallow_clone()])?;
            Ok(())
        });
    }
}

#[test]
fn to_dtype_passes_the_gradient_back_in_the_input_dtype() {
    for dev in &devices() {
        check("to_dtype", CASES, case(0, 3), |(shape, seed)| {
            let x = uniform(dev, &shape, seed, -2.0, 2.0);
            // Through float32: the finite differences need a coarser step.
            let opts = GradcheckOptions { eps: 1e-3, atol: 1e-3, rtol: 1e-3 };
            gc_with(|v| v[0].to_dtype(DType::F32)?.mul(3.0)?.to_dtype(DType::F64), &[x.shallow_clone()], opts)?;
            gc(|v| v[0].to_dtype(DType::F64)?.exp(), &[x.shallow_clone()])?;
            Ok(())
        });
        let x = leaf(dev, &[1.0, 2.0], &[2]);
        let y = x.to_dtype(DType::F32).unwrap();
        assert_eq!(y.grad_fn().unwrap().name(), "ToCopyBackward0", "on {dev}");
        y.mul(2.0).unwrap().sum().unwrap().backward().unwrap();
        let g = x.grad().unwrap();
        assert_eq!(g.dtype(), DType::F64, "on {dev}");
        assert_eq!(vals_on(dev, &g), [2.0, 2.0], "on {dev}");
    }
}

// ---------------------------------------------------------------- matrix products

#[test]
fn matmul_in_every_form() {
    for dev in &devices() {
        let dims = (1usize..=4, 1usize..=4, 1usize..=4, 1usize..=3, 1usize..=3, any::<u64>());
        check("matmul", CASES, dims, |(n, k, m, b1, b2, seed)| {
            let t = |shape: &[usize], s: u64| uniform(dev, shape, seed.wrapping_add(s), -1.5, 1.5);
            let mm = |v: &[Var]| v[0].matmul(&v[1]);
            let forms: Vec<(&str, Vec<usize>, Vec<usize>)> = vec![
                ("1d.1d", vec![k], vec![k]),
                ("2d@1d", vec![n, k], vec![k]),
                ("1d@2d", vec![k], vec![k, m]),
                ("2d@2d", vec![n, k], vec![k, m]),
                ("3d@3d", vec![b1, n, k], vec![b1, k, m]),
                ("4d@3d broadcast", vec![b1, 1, n, k], vec![b2, k, m]),
                ("3d@4d broadcast", vec![b2, n, k], vec![b1, 1, k, m]),
                ("1d@3d", vec![k], vec![b1, k, m]),
                ("3d@1d", vec![b1, n, k], vec![k]),
                ("3d@2d", vec![b1, n, k], vec![k, m]),
                ("2d@3d", vec![n, k], vec![b2, k, m]),
                ("[1]-batch@3d", vec![1, n, k], vec![b2, k, m]),
            ];
            for (name, sa, sb) in &forms {
                gc(mm, &[t(sa, 1), t(sb, 2)]).map_err(|e| TestCaseError::fail(format!("{name} {sa:?}@{sb:?}: {e}")))?;
            }
            // Non-contiguous operands.
            gc(|v| v[0].t()?.matmul(&v[1].t()?), &[t(&[k, n], 3), t(&[m, k], 4)])?;
            gc(|v| v[0].transpose(-1, -2)?.matmul(&v[1]), &[t(&[b1, k, n], 5), t(&[k, m], 6)])?;
            gc(
                |v| v[0].expand(&[b2 as isize, n as isize, k as isize])?.matmul(&v[1]),
                &[t(&[1, n, k], 7), t(&[b2, k, m], 8)],
            )?;
            gc(|v| v[0].slice(1, None, None, 2)?.matmul(&v[1]), &[t(&[n, 2 * k], 9), t(&[k, m], 10)])?;
            // Named forms.
            gc(|v| v[0].mm(&v[1]), &[t(&[n, k], 11), t(&[k, m], 12)])?;
            gc(|v| v[0].bmm(&v[1]), &[t(&[b1, n, k], 13), t(&[b1, k, m], 14)])?;
            gc(|v| v[0].mv(&v[1]), &[t(&[n, k], 15), t(&[k], 16)])?;
            gc(|v| v[0].dot(&v[1]), &[t(&[k], 17), t(&[k], 18)])?;
            gc(|v| v[0].outer(&v[1]), &[t(&[n], 19), t(&[m], 20)])?;
            gc(|v| v[0].linear(&v[1], Some(&v[2])), &[t(&[n, k], 21), t(&[m, k], 22), t(&[m], 23)])?;
            gc(|v| v[0].linear(&v[1], None), &[t(&[b1, n, k], 24), t(&[m, k], 25)])?;
            gc(|v| v[0].linear(&v[1], Some(&v[2])), &[t(&[k], 26), t(&[m, k], 27), t(&[m], 28)])?;
            // The same variable on both sides.
            gc(|v| v[0].matmul(&v[0].t()?), &[t(&[n, k], 29)])?;
            Ok(())
        });
    }
}

// ---------------------------------------------------------------- what never requires grad

#[test]
fn integer_and_bool_results_never_require_grad() {
    for dev in &devices() {
        let x = leaf(dev, &[-1.5, 0.5, 2.0, 3.0], &[2, 2]);
        for b in [
            x.eq(&x).unwrap(),
            x.ne(0.5).unwrap(),
            x.lt(0.0).unwrap(),
            x.le(&x).unwrap(),
            x.gt(1.0).unwrap(),
            x.ge(&x.mul(2.0).unwrap()).unwrap(),
        ] {
            assert_eq!(b.dtype(), DType::Bool, "on {dev}");
            assert!(!b.requires_grad(), "on {dev}");
            assert!(b.grad_fn().is_none(), "on {dev}");
        }
        for dt in [DType::I64, DType::I32, DType::U8, DType::Bool] {
            let y = x.to_dtype(dt).unwrap();
            assert!(!y.requires_grad(), "on {dev}: {dt}");
            assert!(!y.sum().unwrap().requires_grad(), "on {dev}: {dt}");
        }
        let n = x.to_dtype(DType::I64).unwrap();
        assert!(!n.mul(2).unwrap().requires_grad(), "on {dev}");
        assert!(!n.view(&[-1]).unwrap().requires_grad(), "on {dev}");
        assert!(!n.t().unwrap().requires_grad(), "on {dev}");
        assert!(!n.cumsum(0).unwrap().requires_grad(), "on {dev}");
        // An integer constant times a float variable: float, requires grad; the gradient reaches x only.
        let k = Var::constant(Tensor::new([[1i64, 2], [3, 4]], dev).unwrap());
        let y = k.mul(&x).unwrap();
        assert_eq!(y.dtype(), DType::F64, "on {dev}");
        assert!(y.requires_grad(), "on {dev}");
        y.sum().unwrap().backward().unwrap();
        assert_eq!(vals_on(dev, &x.grad().unwrap()), [1.0, 2.0, 3.0, 4.0], "on {dev}");
        assert!(k.grad().is_none(), "on {dev}");
        // Rounding ops stay differentiable (zero gradient), as in PyTorch.
        let f = x.floor().unwrap();
        assert!(f.requires_grad(), "on {dev}");
        x.zero_grad();
        f.sum().unwrap().backward().unwrap();
        assert_eq!(vals_on(dev, &x.grad().unwrap()), [0.0; 4], "on {dev}");
    }
}

#[test]
fn scalars_promote_as_python_numbers() {
    for dev in &devices() {
        // torch: torch.tensor(1., requires_grad=True) * 2.0 is float32; int tensor * 2.5 is float32.
        let x = Var::new(Tensor::new(1.0f32, dev).unwrap(), true);
        let y = x.mul(2.0).unwrap().add(1.5).unwrap().pow(2.0).unwrap().div(3.0).unwrap();
        assert_eq!(y.dtype(), DType::F32, "on {dev}");
        y.backward().unwrap();
        assert_eq!(x.grad().unwrap().dtype(), DType::F32, "on {dev}");
        let n = Var::constant(Tensor::new([1i64, 2], dev).unwrap());
        assert_eq!(n.mul(2.5).unwrap().dtype(), DType::F32, "on {dev}");
        assert_eq!(n.mul(2).unwrap().dtype(), DType::I64, "on {dev}");
        // A float64 variable keeps a float64 number exactly (no detour through float32).
        let d = Var::new(Tensor::new([1.0f64], dev).unwrap(), true);
        assert_eq!(vals_on(dev, d.mul(0.1).unwrap().tensor_ref()), [0.1], "on {dev}");
        assert_eq!(vals_on(dev, d.add(0.1).unwrap().tensor_ref()), [1.1], "on {dev}");
        assert_eq!(vals_on(dev, d.pow(0.1).unwrap().mul(3.3).unwrap().tensor_ref()), [3.3], "on {dev}");
        // A 0-d half tensor stays half.
        let f16 = Var::new(Tensor::new(1.0f32, dev).unwrap().to_dtype(DType::F16).unwrap(), true);
        assert_eq!(f16.mul(2.0).unwrap().dtype(), DType::F16, "on {dev}");
        let h = Var::new(Tensor::new([1.0f32, 2.0], dev).unwrap(), true);
        assert_eq!(h.maximum(0.5).unwrap().dtype(), DType::F32, "on {dev}");
        assert_eq!(h.where_(&Tensor::new([true, false], dev).unwrap(), 0.0).unwrap().dtype(), DType::F32, "on {dev}");
    }
}

#[test]
fn gradcheck_refuses_non_float64_inputs_and_catches_wrong_gradients() {
    for dev in &devices() {
        let x32 = Tensor::new([1.0f32, 2.0], dev).unwrap();
        assert!(gradcheck_on(|v| v[0].exp(), &[x32]).is_err(), "on {dev}");
        // A function whose backward is wrong must fail the check.
        struct WrongSquare;
        impl tensor_autograd::Function for WrongSquare {
            fn forward(&self, _: &mut tensor_autograd::FunctionCtx, inputs: &[&Var]) -> tensor_core::Result<Tensor> {
                inputs[0].tensor_ref().mul(inputs[0].tensor_ref())
            }
            fn backward(&self, _: &tensor_autograd::FunctionCtx, g: &Var) -> tensor_core::Result<Vec<Option<Var>>> {
                Ok(vec![Some(g.mul(3.0)?)])
            }
        }
        let x = uniform(dev, &[3], 1, 0.5, 1.0);
        let err = gradcheck_on(|v| tensor_autograd::apply(WrongSquare, &[&v[0]]), &[x]).unwrap_err();
        assert!(err.to_string().contains("Jacobian mismatch"), "on {dev}: {err}");
    }
}
