//! The reductions through `tensor_autograd::gradcheck` (float64 central differences), on
//! deterministic proptest cases (shapes of rank 0 to 3 with sizes 1 to 4): sum, mean, prod,
//! extremes (without ties, and the shared gradient of ties), var, std, norms, logsumexp,
//! softmax, log_softmax and cumsum.
//! Every test runs on every device (`common::devices`): the inputs live on the device, and on a
//! GPU gradcheck's finite differences and backward run there (`common::gradcheck_on`).

use crate::common;

use common::*;
use proptest::prelude::*;
use tensor_autograd::Var;
use tensor_core::Norm;

const CASES: u32 = 24;

// ---------------------------------------------------------------- reductions

#[test]
fn sum_and_mean() {
    for dev in &devices() {
        check("sum/mean", CASES, case_pick(0, 3), |(shape, pick, seed)| {
            let x = uniform(dev, &shape, seed, -2.0, 2.0);
            let dims = pick_dims(shape.len(), pick);
            let keep = (pick >> 20) & 1 == 1;
            gc(|v| v[0].sum(), &[x.shallow_clone()])?;
            gc(|v| v[0].mean(), &[x.shallow_clone()])?;
            gc(|v| v[0].sum_dim(&dims, keep), &[x.shallow_clone()])?;
            gc(|v| v[0].mean_dim(&dims, keep), &[x.shallow_clone()])?;
            gc(|v| v[0].mul(&v[0])?.sum_dim(&dims, keep)?.mean(), &[x.shallow_clone()])?;
            Ok(())
        });
    }
}

#[test]
fn prod_of_nonzero_values() {
    for dev in &devices() {
        check("prod", CASES, case(0, 3), |(shape, seed)| {
            let x = away(dev, &shape, seed, 0.5, 1.5);
            gc(|v| v[0].prod(), &[x])
        });
    }
}

#[test]
fn extremes_without_ties() {
    for dev in &devices() {
        check("amax/amin/max/min", CASES, case_pick(0, 3), |(shape, pick, seed)| {
            let x = distinct(dev, &shape, seed);
            let dims = pick_dims(shape.len(), pick);
            let keep = (pick >> 20) & 1 == 1;
            gc(|v| v[0].amax(&dims, keep), &[x.shallow_clone()])?;
            gc(|v| v[0].amin(&dims, keep), &[x.shallow_clone()])?;
            gc(|v| v[0].max(), &[x.shallow_clone()])?;
            gc(|v| v[0].min(), &[x.shallow_clone()])?;
            let d = pick_dim(shape.len(), pick >> 4);
            gc(|v| Ok(v[0].max_dim(d, keep)?.0), &[x.shallow_clone()])?;
            gc(|v| Ok(v[0].min_dim(d, keep)?.0), &[x.shallow_clone()])?;
            Ok(())
        });
    }
}

#[test]
fn amax_and_max_share_the_gradient_of_ties() {
    for dev in &devices() {
        // torch: x = tensor([1., 3., 3.], requires_grad=True); x.amax().backward() -> [0, .5, .5]
        let x = leaf(dev, &[1.0, 3.0, 3.0], &[3]);
        x.amax(&[], false).unwrap().backward().unwrap();
        assert_eq!(vals_on(dev, &x.grad().unwrap()), [0.0, 0.5, 0.5], "on {dev}");
        let x = leaf(dev, &[1.0, 3.0, 3.0], &[3]);
        x.max().unwrap().backward().unwrap();
        assert_eq!(vals_on(dev, &x.grad().unwrap()), [0.0, 0.5, 0.5], "on {dev}");
        // max(dim) sends it to the returned index only.
        let x = leaf(dev, &[1.0, 3.0, 3.0], &[3]);
        let (m, i) = x.max_dim(0, false).unwrap();
        m.backward().unwrap();
        let i = i.item::<i64>().unwrap() as usize;
        let mut expected = [0.0; 3];
        expected[i] = 1.0;
        assert_eq!(vals_on(dev, &x.grad().unwrap()), expected, "on {dev}");
    }
}

#[test]
fn var_and_std() {
    for dev in &devices() {
        check("var/std", CASES, case_pick(0, 3), |(shape, pick, seed)| {
            let x = distinct(dev, &shape, seed);
            let dims = pick_dims(shape.len(), pick);
            let keep = (pick >> 20) & 1 == 1;
            let n: usize = if dims.is_empty() {
                shape.iter().product()
            } else {
                dims.iter().map(|&d| shape[d as usize]).product()
            };
            gc(|v| v[0].var(&dims, 0, keep), &[x.shallow_clone()])?;
            if n >= 2 {
                // Distinct values: the spread is never zero, so std is differentiable.
                gc(|v| v[0].var(&dims, 1, keep), &[x.shallow_clone()])?;
                gc(|v| v[0].std(&dims, 1, keep), &[x.shallow_clone()])?;
                gc(|v| v[0].std(&dims, 0, keep), &[x.shallow_clone()])?;
            }
            Ok(())
        });
    }
}

#[test]
fn norms() {
    for dev in &devices() {
        check("norm", CASES, case_pick(0, 3), |(shape, pick, seed)| {
            let x = distinct(dev, &shape, seed);
            let dims = pick_dims(shape.len(), pick);
            let keep = (pick >> 20) & 1 == 1;
            let ps = [
                Norm::L1,
                Norm::L2,
                Norm::Inf,
                Norm::P(3.0),
                Norm::P(1.5),
                Norm::P(2.0),
                Norm::P(f64::INFINITY),
                Norm::P(f64::NEG_INFINITY),
            ];
            for p in ps {
                // The value is tensor-core's.
                let value = ok(Var::constant(x.shallow_clone()).norm(p, &dims, keep))?;
                let expected = ok(x.norm(p, &dims, keep))?;
                prop_assert_eq!(value.shape(), expected.shape(), "on {}", dev);
                for (a, e) in vals_on(dev, value.tensor_ref()).iter().zip(vals_on(dev, &expected)) {
                    prop_assert!((a - e).abs() <= 1e-12 * (1.0 + e.abs()), "on {}: {:?}: {} vs {}", dev, p, a, e);
                }
                gc(|v| v[0].norm(p, &dims, keep), &[x.shallow_clone()])
                    .map_err(|e| TestCaseError::fail(format!("{p:?}: {e}")))?;
                gc(|v| v[0].norm(p, &[], false), &[x.shallow_clone()])
                    .map_err(|e| TestCaseError::fail(format!("{p:?} all: {e}")))?;
            }
            Ok(())
        });
    }
}

#[test]
fn norm_at_zero_and_p0() {
    for dev in &devices() {
        // torch: torch.zeros(3, requires_grad=True).norm().backward() -> grad [0., 0., 0.]
        for p in [Norm::L2, Norm::P(3.0), Norm::P(1.5), Norm::L1, Norm::Inf] {
            let x = leaf(dev, &[0.0; 3], &[3]);
            x.norm(p, &[], false).unwrap().backward().unwrap();
            assert_eq!(vals_on(dev, &x.grad().unwrap()), [0.0; 3], "on {dev}: {p:?}");
        }
        // A zero row among nonzero ones.
        let x = leaf(dev, &[0.0, 0.0, 3.0, 4.0], &[2, 2]);
        x.norm(Norm::L2, &[1], false).unwrap().sum().unwrap().backward().unwrap();
        assert_close(&vals_on(dev, &x.grad().unwrap()), &[0.0, 0.0, 0.6, 0.8], 1e-15);
        // ord 0 counts nonzeros; its gradient is zero.
        let x = leaf(dev, &[0.0, 2.0, -1.0], &[3]);
        let n = x.norm(Norm::P(0.0), &[], false).unwrap();
        assert_eq!(n.item::<f64>().unwrap(), 2.0, "on {dev}");
        n.backward().unwrap();
        assert_eq!(vals_on(dev, &x.grad().unwrap()), [0.0; 3], "on {dev}");
        assert_eq!(
            x.norm(Norm::L2, &[], false).unwrap().grad_fn().unwrap().name(),
            "LinalgVectorNormBackward0",
            "on {dev}"
        );
    }
}

#[test]
fn logsumexp_softmax_log_softmax_cumsum() {
    for dev in &devices() {
        check("logsumexp/softmax/cumsum", CASES, case_pick(0, 3), |(shape, pick, seed)| {
            let x = uniform(dev, &shape, seed, -3.0, 3.0);
            let dims = pick_dims(shape.len(), pick);
            let keep = (pick >> 20) & 1 == 1;
            let d = pick_dim(shape.len(), pick >> 4);
            gc(|v| v[0].logsumexp(&dims, keep), &[x.shallow_clone()])?;
            gc(|v| v[0].softmax(d), &[x.shallow_clone()])?;
            gc(|v| v[0].log_softmax(d), &[x.shallow_clone()])?;
            gc(|v| v[0].cumsum(d), &[x.shallow_clone()])?;
            if shape.len() >= 2 {
                // Along a strided dim of a transposed input.
                gc(|v| v[0].transpose(0, 1)?.softmax(-1)?.mul(&v[0].transpose(0, 1)?), &[x.shallow_clone()])?;
                gc(|v| v[0].transpose(0, -1)?.cumsum(-1), &[x.shallow_clone()])?;
            }
            Ok(())
        });
    }
}
