//! Shape-building ops (`cat`, `stack`, `flip`, `roll`, `repeat`, `tril`, `triu`, `pad`) against
//! naive references (proptest over random shapes and non-contiguous layouts from `common`),
//! PyTorch-derived literals, and the error cases.
//!
//! Literal expectations come from PyTorch 2.x (CPU); the snippet is quoted beside each. Every
//! test runs on every device (the CPU, and the GPU when one is usable; dtypes a GPU does not hold
//! are skipped there).

use crate::common;

use common::*;
use proptest::prelude::*;
use tensor_core::ops::shape::PadMode;
use tensor_core::{DType, Device, ErrorKind, Tensor};

// ---------------------------------------------------------------------------------------------
// Helpers

/// An input of `shape` on `dev` laid out as `recipe`, and its values.
fn input(dev: &Device, shape: &[usize], recipe: &Recipe, dtype: DType) -> (Tensor, Ref) {
    let b = build_on(dev, shape, recipe, dtype, Values::Small);
    (b.t, b.r)
}

/// `t` is on `dev` and holds `want` exactly.
#[track_caller]
fn check(dev: &Device, t: &Tensor, want: &Ref) {
    assert_on(t, dev);
    assert_ref(t, want, EXACT, &format!("on {dev}"));
}

#[track_caller]
fn expect_err<T: std::fmt::Debug>(r: tensor_core::Result<T>, op: &str, kind: ErrorKind, needle: &str) {
    let e = r.expect_err("expected an error");
    assert_eq!((e.op(), e.kind()), (op, kind), "{e}");
    assert!(e.message().contains(needle), "{e} (wanted {needle:?})");
}

fn f32s(dev: &Device, v: &[f32], shape: &[usize]) -> Tensor {
    Tensor::from_vec(v.to_vec(), shape.to_vec()).unwrap().to_device(dev).unwrap()
}

fn i64s(dev: &Device, v: &[i64], shape: &[usize]) -> Tensor {
    Tensor::from_vec(v.to_vec(), shape.to_vec()).unwrap().to_device(dev).unwrap()
}

/// `d` as given to the op: sometimes counted from the end.
fn user_dim(d: usize, rank: usize, neg: bool) -> isize {
    if neg {
        d as isize - rank.max(1) as isize
    } else {
        d as isize
    }
}

/// The (before, after) padding of each dim of a rank-`rank` input for F.pad-ordered `pads`.
fn pad_of(pads: &[usize], rank: usize, d: usize) -> (usize, usize) {
    let k = pads.len() / 2;
    if d + k >= rank {
        let i = rank - 1 - d;
        (pads[2 * i], pads[2 * i + 1])
    } else {
        (0, 0)
    }
}

/// The reference of a padding: each output position reads the input at `source(j, n)` (`None`:
/// the constant `fill`), per dim, where `j` is the position relative to the input's start.
fn pad_ref(x: &Ref, pads: &[usize], fill: f64, source: impl Fn(isize, usize) -> Option<usize>) -> Ref {
    let rank = x.rank();
    let shape: Vec<usize> = (0..rank).map(|d| x.shape[d] + pad_of(pads, rank, d).0 + pad_of(pads, rank, d).1).collect();
    Ref::from_fn(&shape, |ix| {
        let src: Option<Vec<usize>> =
            (0..rank).map(|d| source(ix[d] as isize - pad_of(pads, rank, d).0 as isize, x.shape[d])).collect();
        src.map_or(fill, |s| x.at(&s))
    })
}

// ---------------------------------------------------------------------------------------------
// cat, stack

proptest! {
    #![proptest_config(cfg(64))]

    #[test]
    fn cat_matches_reference(
        base in prop::collection::vec(0usize..=3, 1..=3),
        (dim, neg) in (any::<u64>(), any::<bool>()),
        parts in prop::collection::vec((0usize..=3, 0..ALL_DTYPES.len(), recipe_strategy(2, true), any::<bool>()), 1..=4),
    ) {
        for dev in devices() {
            if !(parts.iter().all(|p| holds(&dev, ALL_DTYPES[p.1]))) {
                continue;
            }
            let d = (dim % base.len() as u64) as usize;
            let mut kept: Vec<Ref> = vec![];
            let tensors: Vec<Tensor> = parts
                .iter()
                .map(|(n, dt, recipe, legacy)| {
                    if *legacy && *n == 0 {
                        // A 1-d empty tensor: skipped whatever the others' rank (PyTorch's legacy rule).
                        return Tensor::zeros([0], ALL_DTYPES[*dt], &dev).unwrap();
                    }
                    let mut shape = base.clone();
                    shape[d] = *n;
                    let (t, r) = input(&dev, &shape, recipe, ALL_DTYPES[*dt]);
                    kept.push(r);
                    t
                })
                .collect();
            let refs: Vec<&Tensor> = tensors.iter().collect();
            let out = Tensor::cat(&refs, user_dim(d, base.len(), neg)).unwrap();
            assert_eq!(out.dtype(), refs.iter().map(|t| t.dtype()).reduce(DType::promote).unwrap());
            if kept.is_empty() {
                prop_assert_eq!(out.size(), &[0][..]);
                continue;
            }
            let mut shape = base.clone();
            shape[d] = kept.iter().map(|p| p.shape[d]).sum();
            let want = Ref::from_fn(&shape, |ix| {
                let mut at = ix.to_vec();
                for p in &kept {
                    if at[d] < p.shape[d] {
                        return round_to(out.dtype(), p.at(&at));
                    }
                    at[d] -= p.shape[d];
                }
                unreachable!()
            });
            check(&dev, &out, &want);
        }
    }

    #[test]
    fn stack_matches_reference(
        shape in shape_strategy(3, 3),
        (dim, neg) in (any::<u64>(), any::<bool>()),
        parts in prop::collection::vec((0..ALL_DTYPES.len(), recipe_strategy(2, true)), 1..=4),
    ) {
        for dev in devices() {
            if !(parts.iter().all(|p| holds(&dev, ALL_DTYPES[p.0]))) {
                continue;
            }
            let d = (dim % (shape.len() as u64 + 1)) as usize;
            let (tensors, pieces): (Vec<Tensor>, Vec<Ref>) =
                parts.iter().map(|(dt, recipe)| input(&dev, &shape, recipe, ALL_DTYPES[*dt])).unzip();
            let refs: Vec<&Tensor> = tensors.iter().collect();
            let out = Tensor::stack(&refs, user_dim(d, shape.len() + 1, neg)).unwrap();
            assert_eq!(out.dtype(), refs.iter().map(|t| t.dtype()).reduce(DType::promote).unwrap());
            let mut oshape = shape.clone();
            oshape.insert(d, pieces.len());
            let want = Ref::from_fn(&oshape, |ix| {
                let mut at = ix.to_vec();
                let which = at.remove(d);
                round_to(out.dtype(), pieces[which].at(&at))
            });
            check(&dev, &out, &want);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// flip, roll, repeat

proptest! {
    #![proptest_config(cfg(64))]

    #[test]
    fn flip_matches_reference(
        shape in shape_strategy(4, 4),
        recipe in recipe_strategy(3, true),
        (flags, neg, dt) in (any::<u8>(), any::<bool>(), 0..ALL_DTYPES.len()),
    ) {
        for dev in devices() {
            if !holds(&dev, ALL_DTYPES[dt]) {
                continue;
            }
            let (x, xr) = input(&dev, &shape, &recipe, ALL_DTYPES[dt]);
            let rank = shape.len();
            let dims: Vec<usize> = (0..rank).filter(|&k| flags >> k & 1 == 1).collect();
            let user: Vec<isize> = dims.iter().map(|&k| user_dim(k, rank, neg)).collect();
            let out = x.flip(&user).unwrap();
            assert!(!out.shares_storage(&x));
            let want = Ref::from_fn(&shape, |ix| {
                let src: Vec<usize> =
                    ix.iter().enumerate().map(|(k, &i)| if dims.contains(&k) { shape[k] - 1 - i } else { i }).collect();
                xr.at(&src)
            });
            check(&dev, &out, &want);
        }
    }

    #[test]
    fn roll_matches_reference(
        shape in shape_strategy(3, 4).prop_filter("rank >= 1", |s| !s.is_empty()),
        recipe in recipe_strategy(3, true),
        moves in prop::collection::vec((any::<u64>(), -9isize..=9), 0..=3),
        (flat_shift, neg) in (-9isize..=9, any::<bool>()),
    ) {
        for dev in devices() {
            let (x, xr) = input(&dev, &shape, &recipe, DType::F64);
            let rank = shape.len();
            if moves.is_empty() {
                // The flattened roll: out[i] = x[(i - shift) mod n], in the original shape.
                let n = xr.numel() as isize;
                let data = (0..n).map(|i| xr.data[(i - flat_shift).rem_euclid(n.max(1)) as usize]).collect();
                check(&dev, &x.roll(&[flat_shift], &[]).unwrap(), &Ref::new(&shape, data));
                continue;
            }
            let dims: Vec<usize> = moves.iter().map(|&(d, _)| (d % rank as u64) as usize).collect();
            let user: Vec<isize> = dims.iter().map(|&d| user_dim(d, rank, neg)).collect();
            let shifts: Vec<isize> = moves.iter().map(|&(_, s)| s).collect();
            let mut total = vec![0isize; rank];
            for (&d, &s) in dims.iter().zip(&shifts) {
                total[d] += s;
            }
            let want = Ref::from_fn(&shape, |ix| {
                let src: Vec<usize> =
                    (0..rank).map(|k| (ix[k] as isize - total[k]).rem_euclid(shape[k] as isize) as usize).collect();
                xr.at(&src)
            });
            check(&dev, &x.roll(&shifts, &user).unwrap(), &want);
        }
    }

    #[test]
    fn repeat_matches_reference(
        shape in shape_strategy(3, 3),
        recipe in recipe_strategy(3, true),
        (lead, dt) in (0usize..=2, 0..ALL_DTYPES.len()),
        reps in prop::collection::vec(0usize..=3, 5),
    ) {
        for dev in devices() {
            if !holds(&dev, ALL_DTYPES[dt]) {
                continue;
            }
            let (x, xr) = input(&dev, &shape, &recipe, ALL_DTYPES[dt]);
            let repeats = &reps[..shape.len() + lead];
            let out = x.repeat(repeats).unwrap();
            let mut padded = vec![1; lead];
            padded.extend_from_slice(&shape);
            let oshape: Vec<usize> = repeats.iter().zip(&padded).map(|(r, s)| r * s).collect();
            let want = Ref::from_fn(&oshape, |ix| xr.at(&(lead..ix.len()).map(|k| ix[k] % padded[k]).collect::<Vec<_>>()));
            assert_eq!(out.dtype(), x.dtype());
            check(&dev, &out, &want);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// tril, triu, pad

proptest! {
    #![proptest_config(cfg(64))]

    #[test]
    fn tril_triu_match_reference(
        shape in prop::collection::vec(0usize..=5, 2..=4),
        recipe in recipe_strategy(3, true),
        (diagonal, dt) in (-6isize..=6, 0..ALL_DTYPES.len()),
    ) {
        for dev in devices() {
            if !holds(&dev, ALL_DTYPES[dt]) {
                continue;
            }
            let (x, xr) = input(&dev, &shape, &recipe, ALL_DTYPES[dt]);
            let r = shape.len();
            let off = |ix: &[usize]| ix[r - 1] as isize - ix[r - 2] as isize;
            let (lo, up) = (x.tril(diagonal).unwrap(), x.triu(diagonal).unwrap());
            assert_eq!((lo.dtype(), up.dtype()), (x.dtype(), x.dtype()));
            check(&dev, &lo, &Ref::from_fn(&shape, |ix| if off(ix) <= diagonal { xr.at(ix) } else { 0.0 }));
            check(&dev, &up, &Ref::from_fn(&shape, |ix| if off(ix) >= diagonal { xr.at(ix) } else { 0.0 }));
        }
    }

    #[test]
    fn constant_pad_matches_reference(
        shape in shape_strategy(4, 3).prop_filter("rank >= 1", |s| !s.is_empty()),
        recipe in recipe_strategy(3, true),
        (k, dt) in (0usize..=4, 0..ALL_DTYPES.len()),
        pads in prop::collection::vec(0usize..=3, 8),
        value in prop::sample::select(vec![0.0, -1.5, 7.0]),
    ) {
        for dev in devices() {
            if !holds(&dev, ALL_DTYPES[dt]) {
                continue;
            }
            let dtype = ALL_DTYPES[dt];
            let (x, xr) = input(&dev, &shape, &recipe, dtype);
            let pads = &pads[..2 * k.min(shape.len())];
            let want = pad_ref(&xr, pads, round_to(dtype, value), |j, n| usize::try_from(j).ok().filter(|&j| j < n));
            check(&dev, &x.pad(pads, PadMode::Constant(value)).unwrap(), &want);
        }
    }

    #[test]
    fn reflect_and_replicate_pad_match_reference(
        dims in prop::collection::vec(1usize..=4, 5),
        recipe in recipe_strategy(3, true),
        (k, batch, empty_batch, reflect, dt) in (1usize..=3, any::<bool>(), any::<bool>(), any::<bool>(), 0..ALL_DTYPES.len()),
        pads in prop::collection::vec(0usize..=4, 6),
    ) {
        for dev in devices() {
            if !holds(&dev, ALL_DTYPES[dt]) {
                continue;
            }
            // Rank k + 1 (no batch dim) or k + 2, every dim non-empty but maybe the batch dim.
            let rank = k + 1 + batch as usize;
            let mut shape = dims[5 - rank..].to_vec();
            if batch && empty_batch {
                shape[0] = 0;
            }
            let (x, xr) = input(&dev, &shape, &recipe, ALL_DTYPES[dt]);
            let pads: Vec<usize> =
                (0..2 * k).map(|i| if reflect { pads[i] % shape[rank - 1 - i / 2] } else { pads[i] }).collect();
            let mode = if reflect { PadMode::Reflect } else { PadMode::Replicate };
            let want = pad_ref(&xr, &pads, 0.0, |j, n| {
                let n = n as isize;
                Some(if !reflect {
                    j.clamp(0, n - 1)
                } else if j < 0 {
                    -j
                } else if j >= n {
                    2 * (n - 1) - j
                } else {
                    j
                } as usize)
            });
            check(&dev, &x.pad(&pads, mode).unwrap(), &want);
        }
    }
}

proptest! {
    #![proptest_config(cfg(48))]

    /// `pad_backward` is `pad`'s adjoint: `<pad(x), g> = <x, pad_backward(g)>` for every mode,
    /// one to three padded dims (the CPU's one-pass kernel for one or two in f32/f64, the composed
    /// path for three, for constant mode and for f16), and transposed gradients.
    #[test]
    fn pad_backward_is_the_adjoint_of_pad(
        dims in prop::collection::vec(1usize..=5, 5),
        (k, batch, mode, dt, transposed) in (1usize..=3, any::<bool>(), 0usize..3, 0usize..3, any::<bool>()),
        pads in prop::collection::vec(0usize..=4, 6),
        seed in any::<u64>(),
    ) {
        for dev in devices() {
            let rank = k + 1 + batch as usize;
            let shape = dims[5 - rank..].to_vec();
            let mode = [PadMode::Reflect, PadMode::Replicate, PadMode::Constant(0.0)][mode];
            let pads: Vec<usize> = (0..2 * k)
                .map(|i| if mode == PadMode::Reflect { pads[i] % shape[rank - 1 - i / 2] } else { pads[i] })
                .collect();
            let dtype = [DType::F64, DType::F32, DType::F16][dt];
            let mut rng = Mix::new(seed);
            let draw = |rng: &mut Mix, n: usize| (0..n).map(|_| rng.int(-8, 8) as f64 / 4.0).collect::<Vec<f64>>();
            let x = typed_tensor_on(&dev, &draw(&mut rng, numel(&shape)), &shape, dtype);
            let y = x.pad(&pads, mode).unwrap();
            let mut g = typed_tensor_on(&dev, &draw(&mut rng, y.numel()), y.size(), dtype);
            if transposed && y.dim() >= 2 {
                let t = g.transpose(-1, -2).unwrap().contiguous().unwrap();
                g = t.transpose(-1, -2).unwrap();
            }
            let dx = Tensor::pad_backward(&g, &shape, &pads, mode).unwrap();
            prop_assert_eq!(dx.size(), &shape[..]);
            prop_assert_eq!(dx.dtype(), dtype);
            // Quarter-integers: both inner products are exact in every dtype (f16 sums of at most a
            // few edges' worth stay exact too).
            let dot = |a: &Tensor, b: &Tensor| -> f64 {
                values(a).iter().zip(values(b)).map(|(u, v)| u * v).sum()
            };
            let (lhs, rhs) = (dot(&y, &g), dot(&x, &dx));
            prop_assert!((lhs - rhs).abs() <= 1e-9 * (1.0 + lhs.abs()), "{} vs {}", lhs, rhs);
        }
    }
}

#[test]
fn pad_backward_errors() {
    on_each_device(|dev| {
        let g = Tensor::zeros([2, 7], DType::F32, dev).unwrap();
        let e = Tensor::pad_backward(&g, &[2, 4], &[1, 1], PadMode::Reflect).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Shape);
        assert!(e.to_string().contains("pad_backward"), "{e}");
    });
}

// PyTorch-derived literals

#[test]
fn cat_stack_literals() {
    on_each_device(|dev| {
        let a = Tensor::ones([2, 3], DType::F32, dev).unwrap();
        let b = Tensor::zeros([3, 3], DType::F64, dev).unwrap();
        // torch.cat([torch.ones(2, 3), torch.zeros(3, 3, dtype=torch.float64)], 0) -> float64, 5 rows
        let c = Tensor::cat(&[&a, &b], 0).unwrap();
        assert_eq!((c.size(), c.dtype()), (&[5usize, 3][..], DType::F64));
        assert_eq!(c.sum().unwrap().item::<f64>().unwrap(), 6.0);
        // torch.cat([torch.tensor([], dtype=torch.float64), a.int()], 1) -> float64 ones of shape [2, 3]
        let e = Tensor::zeros([0], DType::F64, dev).unwrap();
        let c = Tensor::cat(&[&e, &a.to_dtype(DType::I32).unwrap()], 1).unwrap();
        assert_eq!((c.size(), c.dtype()), (&[2usize, 3][..], DType::F64));
        // torch.cat([a.bool(), torch.ones(2, 3, dtype=torch.uint8)], 1).dtype -> torch.uint8
        let u = Tensor::ones([2, 3], DType::U8, dev).unwrap();
        assert_eq!(Tensor::cat(&[&a.to_dtype(DType::Bool).unwrap(), &u], 1).unwrap().dtype(), DType::U8);
        // torch.stack([torch.tensor(1.), torch.tensor(2)]) -> tensor([1., 2.])
        let (p, q) = (Tensor::new(1f32, dev).unwrap(), Tensor::new(2i64, dev).unwrap());
        let st = Tensor::stack(&[&p, &q], 0).unwrap();
        assert_eq!((st.dtype(), st.to_vec::<f32>().unwrap()), (DType::F32, vec![1., 2.]));
        // torch.stack([a, a.double()], 2).dtype -> torch.float64, shape [2, 3, 2]
        let st = Tensor::stack(&[&a, &a.to_dtype(DType::F64).unwrap()], 2).unwrap();
        assert_eq!((st.size(), st.dtype()), (&[2usize, 3, 2][..], DType::F64));
    });
}

#[test]
fn flip_roll_repeat_tri_literals() {
    on_each_device(|dev| {
        let x = i64s(dev, &[0, 1, 2, 3, 4, 5], &[2, 3]);
        // torch.flip(x, [0, 1]) -> [[5, 4, 3], [2, 1, 0]]
        assert_eq!(x.flip(&[0, 1]).unwrap().to_vec2::<i64>().unwrap(), [[5, 4, 3], [2, 1, 0]]);
        // torch.roll(x, 1) -> [[5, 0, 1], [2, 3, 4]]
        assert_eq!(x.roll(&[1], &[]).unwrap().to_vec2::<i64>().unwrap(), [[5, 0, 1], [2, 3, 4]]);
        // torch.roll(x, (1, -4), (0, 1)) -> [[4, 5, 3], [1, 2, 0]]
        assert_eq!(x.roll(&[1, -4], &[0, 1]).unwrap().to_vec2::<i64>().unwrap(), [[4, 5, 3], [1, 2, 0]]);
        // torch.roll(torch.tensor(3.), 1) -> tensor(3.)
        assert_eq!(Tensor::new(3f32, dev).unwrap().roll(&[1], &[]).unwrap().item::<f32>().unwrap(), 3.0);
        // x.repeat(2, 1, 2) -> shape [2, 2, 6], rows [0, 1, 2, 0, 1, 2] / [3, 4, 5, 3, 4, 5]
        let r = x.repeat(&[2, 1, 2]).unwrap();
        assert_eq!(r.size(), [2, 2, 6]);
        assert_eq!(r.select(0, 1).unwrap().to_vec2::<i64>().unwrap(), [[0, 1, 2, 0, 1, 2], [3, 4, 5, 3, 4, 5]]);
        // x.repeat(0, 2) -> size (0, 6); torch.tensor(3.).repeat(2) -> [3., 3.]
        assert_eq!(x.repeat(&[0, 2]).unwrap().size(), [0, 6]);
        assert_eq!(Tensor::new(3f32, dev).unwrap().repeat(&[2]).unwrap().to_vec::<f32>().unwrap(), [3., 3.]);
        // torch.tril(torch.ones(3, 4), -1) -> [[0,0,0,0], [1,0,0,0], [1,1,0,0]]
        let o = Tensor::ones([3, 4], DType::F32, dev).unwrap();
        let t = o.tril(-1).unwrap().to_vec2::<f32>().unwrap();
        assert_eq!(t, [[0., 0., 0., 0.], [1., 0., 0., 0.], [1., 1., 0., 0.]]);
        // torch.triu(torch.ones(3, 4), 1) -> [[0,1,1,1], [0,0,1,1], [0,0,0,1]]
        let t = o.triu(1).unwrap().to_vec2::<f32>().unwrap();
        assert_eq!(t, [[0., 1., 1., 1.], [0., 0., 1., 1.], [0., 0., 0., 1.]]);
        // torch.triu(torch.ones(3, 3).bool()) -> bool upper triangle
        let t = Tensor::ones([3, 3], DType::Bool, dev).unwrap().triu(0).unwrap();
        assert_eq!(t.dtype(), DType::Bool);
        assert_eq!(t.to_vec2::<bool>().unwrap(), [[true, true, true], [false, true, true], [false, false, true]]);
        // Diagonals past either end keep everything or nothing (no overflow at the extremes).
        assert_eq!(o.tril(isize::MAX).unwrap().to_vec2::<f32>().unwrap(), o.to_vec2::<f32>().unwrap());
        assert_eq!(o.triu(isize::MIN).unwrap().to_vec2::<f32>().unwrap(), o.to_vec2::<f32>().unwrap());
        assert!(o.tril(isize::MIN).unwrap().to_vec::<f32>().unwrap().iter().all(|&v| v == 0.0));
        assert!(o.triu(isize::MAX).unwrap().to_vec::<f32>().unwrap().iter().all(|&v| v == 0.0));
    });
}

#[test]
fn large_tril_and_triu_split_rows_across_threads() {
    on_each_device(|dev| {
        // 3 planes of 101 x 300 (past the threading threshold, pieces not a whole plane) against
        // the mask-and-where composite.
        let x = Tensor::arange(0.0, 3.0 * 101.0 * 300.0, 1.0, dev).unwrap().reshape(&[3, 101, 300]).unwrap();
        for diagonal in [-150isize, -1, 0, 7, 299] {
            let offset = Tensor::arange(0.0, 300.0, 1.0, dev)
                .unwrap()
                .unsqueeze(0)
                .unwrap()
                .sub(&Tensor::arange(0.0, 101.0, 1.0, dev).unwrap().unsqueeze(1).unwrap())
                .unwrap();
            let zero = Tensor::zeros([], DType::F32, dev).unwrap();
            let lower = x.where_(&offset.le(diagonal as f64).unwrap(), &zero).unwrap();
            let upper = x.where_(&offset.ge(diagonal as f64).unwrap(), &zero).unwrap();
            assert_eq!(x.tril(diagonal).unwrap().to_vec::<f32>().unwrap(), lower.to_vec::<f32>().unwrap());
            assert_eq!(x.triu(diagonal).unwrap().to_vec::<f32>().unwrap(), upper.to_vec::<f32>().unwrap());
        }
    });
}

#[test]
fn pad_literals() {
    on_each_device(|dev| {
        let x = f32s(dev, &[0., 1., 2., 3., 4., 5.], &[1, 2, 3]);
        // F.pad(x, (1, 2)) -> [[[0, 0, 1, 2, 0, 0], [0, 3, 4, 5, 0, 0]]]
        let p = x.pad(&[1, 2], PadMode::Constant(0.0)).unwrap();
        assert_eq!(p.to_vec3::<f32>().unwrap(), [[[0., 0., 1., 2., 0., 0.], [0., 3., 4., 5., 0., 0.]]]);
        // F.pad(x, (1, 2, 1, 0), value=-1.5) -> first row all -1.5, then [-1.5, 0, 1, 2, -1.5, -1.5], ...
        let p = x.pad(&[1, 2, 1, 0], PadMode::Constant(-1.5)).unwrap().to_vec3::<f32>().unwrap();
        assert_eq!(p[0], [[-1.5; 6], [-1.5, 0., 1., 2., -1.5, -1.5], [-1.5, 3., 4., 5., -1.5, -1.5]]);
        // F.pad(x, (2, 2), mode='reflect') -> [[[2, 1, 0, 1, 2, 1, 0], [5, 4, 3, 4, 5, 4, 3]]]
        let p = x.pad(&[2, 2], PadMode::Reflect).unwrap();
        assert_eq!(p.to_vec3::<f32>().unwrap(), [[[2., 1., 0., 1., 2., 1., 0.], [5., 4., 3., 4., 5., 4., 3.]]]);
        // F.pad(x, (1, 1, 1, 1), mode='reflect') -> [[[4,3,4,5,4], [1,0,1,2,1], [4,3,4,5,4], [1,0,1,2,1]]]
        let p = x.pad(&[1, 1, 1, 1], PadMode::Reflect).unwrap();
        let want = [[4., 3., 4., 5., 4.], [1., 0., 1., 2., 1.], [4., 3., 4., 5., 4.], [1., 0., 1., 2., 1.]];
        assert_eq!(p.to_vec3::<f32>().unwrap(), [want]);
        // F.pad(x, (2, 3, 1, 0), mode='replicate')
        let p = x.pad(&[2, 3, 1, 0], PadMode::Replicate).unwrap();
        let want =
            [[0., 0., 0., 1., 2., 2., 2., 2.], [0., 0., 0., 1., 2., 2., 2., 2.], [3., 3., 3., 4., 5., 5., 5., 5.]];
        assert_eq!(p.to_vec3::<f32>().unwrap(), [want]);
        // F.pad(torch.arange(3).reshape(1, 3), (1, 1), value=7) -> [[7, 0, 1, 2, 7]]
        let xi = i64s(dev, &[0, 1, 2], &[1, 3]);
        assert_eq!(xi.pad(&[1, 1], PadMode::Constant(7.0)).unwrap().to_vec2::<i64>().unwrap(), [[7, 0, 1, 2, 7]]);
        // F.pad(torch.arange(2), (1, 1), value=2.5) -> [2, 0, 1, 2]
        assert_eq!(
            i64s(dev, &[0, 1], &[2]).pad(&[1, 1], PadMode::Constant(2.5)).unwrap().to_vec::<i64>().unwrap(),
            [2, 0, 1, 2]
        );
        // F.pad(torch.zeros(0, 2, 2), (1, 1), mode='reflect').shape -> [0, 2, 4]
        let z = Tensor::zeros([0, 2, 2], DType::F32, dev).unwrap();
        assert_eq!(z.pad(&[1, 1], PadMode::Reflect).unwrap().size(), [0, 2, 4]);
    });
}

// ---------------------------------------------------------------------------------------------
// Errors: each names the op; messages follow PyTorch's.

#[test]
fn shape_errors() {
    on_each_device(|dev| {
        let a = Tensor::ones([2, 3], DType::F32, dev).unwrap();
        let b = Tensor::zeros([3, 3], DType::F64, dev).unwrap();
        // torch.cat([a, b], 1) -> Sizes of tensors must match except in dimension 1. Expected size 2 but got size 3 ...
        expect_err(
            Tensor::cat(&[&a, &b], 1),
            "cat",
            ErrorKind::Shape,
            "Sizes of tensors must match except in dimension 1. Expected size 2 but got size 3 for tensor number 1 in the list (shapes [2, 3] and [3, 3])",
        );
        let one = Tensor::ones([2], DType::F32, dev).unwrap();
        expect_err(
            Tensor::cat(&[&a, &one], 0),
            "cat",
            ErrorKind::Shape,
            "Tensors must have same number of dimensions: got 2 and 1",
        );
        let s = Tensor::new(1f32, dev).unwrap();
        expect_err(
            Tensor::cat(&[&a, &s], 0),
            "cat",
            ErrorKind::Shape,
            "zero-dimensional tensor (at position 1) cannot be concatenated",
        );
        expect_err(Tensor::cat(&[], 0), "cat", ErrorKind::Value, "expected a non-empty list of Tensors");
        expect_err(Tensor::cat(&[&a, &a], 2), "cat", ErrorKind::Dim, "dimension out of range");
        // torch.stack([a, b])
        //   -> stack expects each tensor to be equal size, but got [2, 3] at entry 0 and [3, 3] at entry 1
        expect_err(
            Tensor::stack(&[&a, &b], 0),
            "stack",
            ErrorKind::Shape,
            "but got [2, 3] at entry 0 and [3, 3] at entry 1",
        );
        expect_err(Tensor::stack(&[&a, &a], 3), "stack", ErrorKind::Dim, "dimension out of range");
        expect_err(Tensor::stack(&[], 0), "stack", ErrorKind::Value, "stack expects a non-empty TensorList");
        // torch.flip(x, [0, 0]) -> dim 0 appears multiple times in the list of dims
        expect_err(a.flip(&[0, 0]), "flip", ErrorKind::Dim, "dim 0 appears multiple times in the list of dims");
        expect_err(a.flip(&[2]), "flip", ErrorKind::Dim, "dimension out of range");
        // torch.roll(x, (1, 2)) -> shifts and dimensions must align. shifts: 2, dims:0
        expect_err(
            a.roll(&[1, 2], &[]),
            "roll",
            ErrorKind::Shape,
            "shifts and dimensions must align. shifts: 2, dims:0",
        );
        expect_err(
            a.roll(&[1], &[0, 1]),
            "roll",
            ErrorKind::Shape,
            "shifts and dimensions must align. shifts: 1, dims:2",
        );
        expect_err(a.roll(&[], &[]), "roll", ErrorKind::Value, "`shifts` required");
        expect_err(a.roll(&[1], &[2]), "roll", ErrorKind::Dim, "dimension out of range");
        expect_err(s.roll(&[1], &[0]), "roll", ErrorKind::Dim, "Dimension specified as 0 but tensor has no dimensions");
        // x.repeat(2) -> Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor
        expect_err(
            a.repeat(&[2]),
            "repeat",
            ErrorKind::Shape,
            "Number of dimensions of repeat dims can not be smaller",
        );
        // torch.tril(torch.ones(3)) -> tril: input tensor must have at least 2 dimensions
        expect_err(one.tril(0), "tril", ErrorKind::Shape, "tril: input tensor must have at least 2 dimensions");
        expect_err(one.triu(0), "triu", ErrorKind::Shape, "triu: input tensor must have at least 2 dimensions");
        let x = Tensor::zeros([1, 2, 3], DType::F32, dev).unwrap();
        // F.pad(x, (1,)) -> Padding length must be divisible by 2
        expect_err(
            x.pad(&[1], PadMode::Constant(0.0)),
            "pad",
            ErrorKind::Value,
            "Padding length must be divisible by 2",
        );
        // F.pad(x, (1, 2, 1, 0, 0, 1, 1, 1))
        //   -> Padding length should be less than or equal to two times the input dimension ...
        expect_err(
            x.pad(&[1, 2, 1, 0, 0, 1, 1, 1], PadMode::Constant(0.0)),
            "pad",
            ErrorKind::Shape,
            "Padding length should be less than or equal to two times the input dimension but got padding length 8 and input of dimension 3",
        );
        // F.pad(x, (3, 0), mode='reflect') -> Padding size should be less than the corresponding input dimension ...
        expect_err(
            x.pad(&[3, 0], PadMode::Reflect),
            "pad",
            ErrorKind::Shape,
            "Padding size should be less than the corresponding input dimension, but got: padding (3, 0) at dimension 2 of input [1, 2, 3]",
        );
        // F.pad(x[0, 0], (2, 3), mode='replicate') -> Padding size 2 is not supported for 1D input tensor.
        expect_err(
            one.pad(&[2, 3], PadMode::Replicate),
            "pad",
            ErrorKind::Shape,
            "Padding size 2 is not supported for 1D input tensor",
        );
        expect_err(
            x.pad(&[1, 1, 1, 1, 1, 1], PadMode::Replicate),
            "pad",
            ErrorKind::Shape,
            "Padding size 6 is not supported for 3D input tensor",
        );
        // F.pad(torch.zeros(1, 0, 3), (1, 1), mode='replicate')
        //   -> Expected 2D or 3D (batch mode) tensor with possibly 0 batch size ...
        let z = Tensor::zeros([1, 0, 3], DType::F32, dev).unwrap();
        expect_err(
            z.pad(&[1, 1], PadMode::Replicate),
            "pad",
            ErrorKind::Shape,
            "Expected 2D or 3D (batch mode) tensor with possibly 0 batch size and other non-zero dimensions for input, \
             but got: [1, 0, 3]",
        );
    });
}

/// Copies into strided destinations large enough to be split across threads by outer rows
/// (each input of `cat(.., 1)`, a `narrow` view assigned with `copy_`), from contiguous,
/// transposed and offset sources, against the element-by-element definition.
#[test]
fn large_copies_into_strided_destinations() {
    on_each_device(|dev| {
        let (rows, cols) = (300usize, 257usize); // 77k elements a part: past the threaded size
        let part = |k: usize| {
            let v: Vec<f32> = (0..rows * cols).map(|i| (i * 7 + k * 1000) as f32).collect();
            Tensor::from_vec(v, [rows, cols]).unwrap().to_device(dev).unwrap()
        };
        let parts = [part(0), part(1), part(2)];
        let joined = Tensor::cat(&[&parts[0], &parts[1], &parts[2]], 1).unwrap();
        assert_eq!(joined.size(), &[rows, 3 * cols]);
        let got = joined.to_vec2::<f32>().unwrap();
        for (r, row) in got.iter().enumerate() {
            for (c, &x) in row.iter().enumerate() {
                let (k, j) = (c / cols, c % cols);
                assert_eq!(x, ((r * cols + j) * 7 + k * 1000) as f32, "cat at ({r}, {c})");
            }
        }
        // A transposed source into the middle columns of a wider destination, with an offset.
        let big = Tensor::zeros([cols, rows + 10], DType::F32, dev).unwrap();
        let mut view = big.narrow(1, 5, rows).unwrap();
        view.copy_(&parts[1].t().unwrap()).unwrap();
        let b = big.to_vec2::<f32>().unwrap();
        for (i, row) in b.iter().enumerate() {
            for (j, &x) in row.iter().enumerate() {
                let want = if (5..5 + rows).contains(&j) { ((j - 5) * cols + i) as f32 * 7.0 + 1000.0 } else { 0.0 };
                assert_eq!(x, want, "copy_ at ({i}, {j})");
            }
        }
    });
}
