//! Views, assembly and indexing through `tensor_autograd::gradcheck` (float64 central
//! differences), on deterministic proptest cases (shapes of rank 0 to 3 with sizes 1 to 4, and
//! non-contiguous operands made inside the checked function): reshapes, squeeze, transposes,
//! expand, narrow / slice / select / index, split / chunk / unbind, cat / stack, index_select /
//! index_add, gather / scatter / scatter_add.
//! Every test runs on every device (`common::devices`): the inputs live on the device, and on a
//! GPU gradcheck's finite differences and backward run there (`common::gradcheck_on`).

use crate::common;

use common::*;
use tensor_autograd::Var;
use tensor_core::{s, Tensor};

const CASES: u32 = 24;
use crate::gradcheck_ops::expandable;

// ---------------------------------------------------------------- views

#[test]
fn reshaping_views() {
    for dev in &devices() {
        check("view/reshape/flatten/unflatten", CASES, case_pick(1, 3), |(shape, pick, seed)| {
            let x = uniform(dev, &shape, seed, -2.0, 2.0);
            let n = shape.iter().product::<usize>() as isize;
            gc(|v| v[0].view(&[-1]), &[x.shallow_clone()])?;
            gc(|v| v[0].view(&[n, 1])?.mul(&v[0].view(&[1, n])?), &[x.shallow_clone()])?;
            gc(|v| v[0].reshape(&[-1, 1]), &[x.shallow_clone()])?;
            gc(|v| v[0].flatten(0, -1), &[x.shallow_clone()])?;
            let d = pick_dim(shape.len(), pick);
            gc(|v| v[0].unflatten(d, &[1, -1, 1]), &[x.shallow_clone()])?;
            if shape.len() >= 2 {
                // reshape of a non-contiguous input copies.
                gc(
                    |v| v[0].transpose(0, 1)?.reshape(&[-1])?.mul(&v[0].transpose(0, 1)?.flatten(0, -1)?),
                    &[x.shallow_clone()],
                )?;
                gc(|v| v[0].transpose(0, 1)?.flatten(0, 1), &[x.shallow_clone()])?;
            }
            Ok(())
        });
        // Rank 0 to 1 and back.
        gc(|v| v[0].reshape(&[1])?.view(&[])?.mul(2.0), &[uniform(dev, &[], 1, -1.0, 1.0)]).unwrap();
    }
}

#[test]
fn squeeze_and_unsqueeze() {
    for dev in &devices() {
        check("squeeze/unsqueeze", CASES, case_pick(0, 3), |(shape, pick, seed)| {
            let x = uniform(dev, &shape, seed, -2.0, 2.0);
            let d = (pick % (shape.len() as u64 + 1)) as isize;
            gc(|v| v[0].unsqueeze(d), &[x.shallow_clone()])?;
            gc(|v| v[0].unsqueeze(-1)?.unsqueeze(0)?.squeeze(), &[x.shallow_clone()])?;
            gc(|v| v[0].squeeze(), &[x.shallow_clone()])?;
            gc(|v| v[0].unsqueeze(d)?.squeeze_dim(d), &[x.shallow_clone()])?;
            if !shape.is_empty() {
                let e = pick_dim(shape.len(), pick >> 3);
                gc(|v| v[0].squeeze_dim(e), &[x.shallow_clone()])?;
            }
            Ok(())
        });
    }
}

#[test]
fn transposes_and_contiguous() {
    for dev in &devices() {
        check("transpose/t/permute/contiguous", CASES, case_pick(1, 3), |(shape, pick, seed)| {
            let x = uniform(dev, &shape, seed, -2.0, 2.0);
            let r = shape.len();
            let (d0, d1) = (pick_dim(r, pick), pick_dim(r, pick >> 10));
            gc(|v| v[0].transpose(d0, d1), &[x.shallow_clone()])?;
            gc(|v| v[0].transpose(d0, d1)?.contiguous()?.exp(), &[x.shallow_clone()])?;
            if r <= 2 {
                gc(|v| v[0].t(), &[x.shallow_clone()])?;
            }
            let perm: Vec<isize> = permutation(r, pick).into_iter().map(|d| d as isize).collect();
            gc(|v| v[0].permute(&perm)?.contiguous()?.mul(&v[0].permute(&perm)?), &[x.shallow_clone()])?;
            let neg: Vec<isize> = perm.iter().map(|&d| d - r as isize).collect();
            gc(|v| v[0].permute(&neg), &[x.shallow_clone()])?;
            Ok(())
        });
    }
}

#[test]
fn expand_and_broadcast_to() {
    for dev in &devices() {
        check("expand/broadcast_to", CASES, case_pick(0, 3), |(shape, pick, seed)| {
            let (small, target) = expandable(&shape, pick);
            let x = uniform(dev, &small, seed, -2.0, 2.0);
            gc(|v| v[0].expand(&target), &[x.shallow_clone()])?;
            let mut with_minus: Vec<isize> = target.clone();
            for (i, &d) in small.iter().enumerate() {
                if d != 1 {
                    with_minus[i + 1] = -1;
                }
            }
            gc(|v| v[0].expand(&with_minus)?.exp(), &[x.shallow_clone()])?;
            let full: tensor_core::Shape = target.iter().map(|&d| d as usize).collect::<Vec<_>>().into();
            gc(|v| v[0].broadcast_to(&full)?.mul(&v[0]), &[x.shallow_clone()])?;
            Ok(())
        });
    }
}

#[test]
fn narrow_slice_select_index() {
    for dev in &devices() {
        check("narrow/slice/select/i", CASES, case_pick(1, 3), |(shape, pick, seed)| {
            let x = uniform(dev, &shape, seed, -2.0, 2.0);
            let r = shape.len();
            let d = pick_dim(r, pick);
            let size = shape[d.rem_euclid(r as isize) as usize];
            let start = ((pick >> 12) % size as u64) as isize;
            gc(|v| v[0].narrow(d, start, size - start as usize), &[x.shallow_clone()])?;
            gc(|v| v[0].slice(d, Some(start), None, 2), &[x.shallow_clone()])?;
            if size >= 2 {
                gc(|v| v[0].slice(d, None, Some(-1), 1), &[x.shallow_clone()])?;
            }
            gc(|v| v[0].select(d, start), &[x.shallow_clone()])?;
            gc(|v| v[0].select(d, start - size as isize), &[x.shallow_clone()])?;
            gc(|v| v[0].i(s(None, None, 2)), &[x.shallow_clone()])?;
            gc(|v| v[0].i(-1)?.mul(3.0), &[x.shallow_clone()])?;
            if r >= 2 {
                gc(|v| v[0].i((0, ..))?.mul(3.0), &[x.shallow_clone()])?;
                gc(|v| v[0].i((.., s(Some(start.min(shape[1] as isize - 1)), None, 2))), &[x.shallow_clone()])?;
                gc(|v| v[0].i((s(None, None, 2), 0))?.exp(), &[x.shallow_clone()])?;
                gc(|v| v[0].i((tensor_core::NewAxis, .., -1)), &[x.shallow_clone()])?;
            }
            // A slice of a slice, and overlapping slices summed.
            gc(|v| v[0].slice(d, None, None, 2)?.narrow(d, 0, 1)?.add(&v[0].narrow(d, 0, 1)?), &[x.shallow_clone()])?;
            Ok(())
        });
    }
}

#[test]
fn split_chunk_unbind() {
    for dev in &devices() {
        check("split/chunk/unbind", CASES, case_pick(1, 3), |(shape, pick, seed)| {
            let x = uniform(dev, &shape, seed, -2.0, 2.0);
            let r = shape.len();
            let d = pick_dim(r, pick);
            let size = shape[d.rem_euclid(r as isize) as usize];
            // Weighted so that each piece's gradient differs.
            let weigh = |pieces: Vec<Var>| -> tensor_core::Result<Var> {
                let w: Vec<Var> = pieces
                    .iter()
                    .enumerate()
                    .map(|(k, p)| p.mul(k as f64 + 1.0))
                    .collect::<tensor_core::Result<_>>()?;
                Var::cat(&w.iter().collect::<Vec<_>>(), d)
            };
            let len = 1 + ((pick >> 10) % size as u64) as usize;
            gc(|v| weigh(v[0].split(len, d)?), &[x.shallow_clone()])?;
            let chunks = 1 + ((pick >> 14) % 3) as usize;
            gc(|v| weigh(v[0].chunk(chunks, d)?), &[x.shallow_clone()])?;
            gc(
                |v| {
                    let parts = v[0].unbind(d)?;
                    let w: Vec<Var> = parts
                        .iter()
                        .enumerate()
                        .map(|(k, p)| p.mul(k as f64 - 0.5))
                        .collect::<tensor_core::Result<_>>()?;
                    Var::stack(&w.iter().collect::<Vec<_>>(), 0)
                },
                &[x.shallow_clone()],
            )?;
            // Only one piece used: the others get no gradient.
            gc(|v| Ok(v[0].split(len, d)?.pop().expect("a piece")), &[x.shallow_clone()])?;
            Ok(())
        });
    }
}

// ---------------------------------------------------------------- assembly and indexing

#[test]
fn cat_and_stack() {
    for dev in &devices() {
        check("cat/stack", CASES, case_pick(1, 3), |(shape, pick, seed)| {
            let r = shape.len();
            let d = pick_dim(r, pick);
            let du = d.rem_euclid(r as isize) as usize;
            let inputs: Vec<Tensor> = (0..3)
                .map(|k| {
                    let mut s = shape.clone();
                    s[du] = 1 + ((pick >> (8 + 2 * k)) % 3) as usize;
                    uniform(dev, &s, seed + k, -2.0, 2.0)
                })
                .collect();
            gc(|v| Var::cat(&[&v[0], &v[1], &v[2]], d), &inputs)?;
            gc(|v| Var::cat(&[&v[0], &v[0].mul(2.0)?, &v[1]], d), &inputs[..2])?;
            // A constant among the pieces.
            let c = Var::constant(inputs[2].shallow_clone());
            gc(|v| Var::cat(&[&v[0], &c, &v[1]], d), &inputs[..2])?;
            let same: Vec<Tensor> = (0..3).map(|k| uniform(dev, &shape, seed + 10 + k, -2.0, 2.0)).collect();
            let sd = (pick % (r as u64 + 1)) as isize;
            gc(|v| Var::stack(&[&v[0], &v[1], &v[2]], sd), &same)?;
            gc(|v| Var::stack(&[&v[0], &v[1].exp()?], -1), &same[..2])?;
            Ok(())
        });
        gc(|v| Var::stack(&[&v[0], &v[1]], 0), &[uniform(dev, &[], 1, -1.0, 1.0), uniform(dev, &[], 2, -1.0, 1.0)])
            .unwrap();
    }
}

/// An index for `scatter` into `self_shape` along `dim`: `index_shape` entries, pairwise
/// distinct along `dim` within each line (so the scatter has one writer per element).
fn unique_index(self_shape: &[usize], index_shape: &[usize], dim: usize, seed: u64) -> Tensor {
    let n: usize = index_shape.iter().product();
    let mut out = vec![0i64; n];
    let strides: Vec<usize> = (0..index_shape.len()).map(|i| index_shape[i + 1..].iter().product()).collect();
    let mut line = 0u64;
    for flat in 0..n {
        let coord: Vec<usize> = (0..index_shape.len()).map(|i| flat / strides[i] % index_shape[i]).collect();
        if coord[dim] != 0 {
            continue;
        }
        let perm = permutation(self_shape[dim], seed.wrapping_add(line));
        line += 1;
        for k in 0..index_shape[dim] {
            out[flat + k * strides[dim]] = perm[k] as i64;
        }
    }
    Tensor::from_vec(out, index_shape.to_vec()).expect("shape matches data")
}

/// A shape no larger than `shape` in any dim, with dim `d` of size at most `max_d`.
fn smaller(shape: &[usize], pick: u64, d: usize, max_d: usize) -> Vec<usize> {
    shape
        .iter()
        .enumerate()
        .map(|(i, &n)| {
            let bound = if i == d { max_d } else { n };
            1 + ((pick >> (4 * i)) % bound as u64) as usize
        })
        .collect()
}

#[test]
fn index_select_and_index_add() {
    for dev in &devices() {
        check("index_select/index_add", CASES, case_pick(1, 3), |(shape, pick, seed)| {
            let r = shape.len();
            let d = pick_dim(r, pick);
            let du = d.rem_euclid(r as isize) as usize;
            let k = 1 + ((pick >> 16) % 5) as usize;
            let idx = indices(dev, &[k], seed + 7, shape[du]);
            let x = uniform(dev, &shape, seed, -2.0, 2.0);
            gc(|v| v[0].index_select(d, &idx), &[x.shallow_clone()])?;
            if r <= 2 {
                // Along dim 0 of a transposed (non-contiguous) input.
                let tidx = indices(dev, &[k], seed + 8, shape[r - 1]);
                gc(|v| v[0].t()?.index_select(0, &tidx), &[x.shallow_clone()])?;
            }
            let mut sshape = shape.clone();
            sshape[du] = k;
            let src = uniform(dev, &sshape, seed + 1, -2.0, 2.0);
            gc(|v| v[0].index_add(d, &idx, &v[1]), &[x.shallow_clone(), src.shallow_clone()])?;
            gc(|v| v[0].mul(2.0)?.index_add(d, &idx, &v[1].exp()?), &[x.shallow_clone(), src.shallow_clone()])?;
            Ok(())
        });
    }
}

#[test]
fn gather_scatter_scatter_add() {
    for dev in &devices() {
        check("gather/scatter/scatter_add", CASES, case_pick(1, 3), |(shape, pick, seed)| {
            let r = shape.len();
            let d = pick_dim(r, pick);
            let du = d.rem_euclid(r as isize) as usize;
            let x = uniform(dev, &shape, seed, -2.0, 2.0);
            // gather: any index values, index dims no larger than x's (dim d any size up to 4).
            let gshape = smaller(&shape, pick >> 8, du, 4);
            let gidx = indices(dev, &gshape, seed + 3, shape[du]);
            gc(|v| v[0].gather(d, &gidx), &[x.shallow_clone()])?;
            // scatter_add: duplicates allowed; src has the index's shape.
            let sshape = smaller(&shape, pick >> 20, du, 4);
            let sidx = indices(dev, &sshape, seed + 4, shape[du]);
            let src = uniform(dev, &sshape, seed + 5, -2.0, 2.0);
            gc(|v| v[0].scatter_add(d, &sidx, &v[1]), &[x.shallow_clone(), src.shallow_clone()])?;
            // scatter: one writer per element.
            let ushape = smaller(&shape, pick >> 32, du, shape[du]);
            let uidx = unique_index(&shape, &ushape, du, seed + 6);
            let usrc = uniform(dev, &ushape, seed + 7, -2.0, 2.0);
            gc(|v| v[0].scatter(d, &uidx, &v[1]), &[x.shallow_clone(), usrc.shallow_clone()])?;
            gc(|v| v[0].exp()?.scatter(d, &uidx, &v[1].mul(&v[1])?), &[x.shallow_clone(), usrc.shallow_clone()])?;
            Ok(())
        });
    }
}
