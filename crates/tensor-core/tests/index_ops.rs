//! Indexing and sorting ops against naive references (proptest over random shapes and
//! non-contiguous layouts from `common`), PyTorch-derived literals, and the error cases.
//!
//! Literal expectations come from PyTorch 2.x (CPU); the snippet is quoted beside each. Every
//! test runs on every device (the CPU, and the GPU when one is usable; dtypes a GPU does not hold
//! are skipped there).

use crate::common;

use common::*;
use proptest::prelude::*;
use tensor_core::{DType, Device, Tensor};

// ---------------------------------------------------------------------------------------------
// Helpers

/// An input of `shape` on `dev` laid out as `recipe`, and its values.
fn input(dev: &Device, shape: &[usize], recipe: &Recipe, dtype: DType, kind: Values) -> (Tensor, Ref) {
    let b = build_on(dev, shape, recipe, dtype, kind);
    (b.t, b.r)
}

/// An I64 or I32 index tensor on `dev` holding `vals` (row-major) laid out as `recipe` (no expand).
fn index_in(dev: &Device, vals: &[i64], shape: &[usize], recipe: &Recipe, i32_index: bool) -> Tensor {
    let dtype = if i32_index { DType::I32 } else { DType::I64 };
    let mut t = build_on(dev, shape, recipe, dtype, Values::Small).t;
    t.copy_(&i64s(dev, vals, shape)).unwrap();
    t
}

/// `t` is on `dev` and holds `want` exactly.
#[track_caller]
fn check(dev: &Device, t: &Tensor, want: &Ref) {
    assert_on(t, dev);
    assert_ref(t, want, EXACT, &format!("on {dev}"));
}

fn set(r: &mut Ref, ix: &[usize], v: f64) {
    let p = ix.iter().zip(contiguous_strides(&r.shape)).map(|(i, s)| i * s).sum::<usize>();
    r.data[p] = v;
}

fn i64s(dev: &Device, v: &[i64], shape: &[usize]) -> Tensor {
    Tensor::from_vec(v.to_vec(), shape.to_vec()).unwrap().to_device(dev).unwrap()
}

fn f32s(dev: &Device, v: &[f32], shape: &[usize]) -> Tensor {
    Tensor::from_vec(v.to_vec(), shape.to_vec()).unwrap().to_device(dev).unwrap()
}

/// Dtypes whose sums of `Values::Small` stay exact.
fn arith_dtype(i: usize) -> DType {
    [DType::F32, DType::F64, DType::I64, DType::I32, DType::F16][i % 5]
}

fn user_dim(d: usize, rank: usize, neg: bool) -> isize {
    if neg {
        d as isize - rank.max(1) as isize
    } else {
        d as isize
    }
}

/// Sizes of an index for `gather`/`scatter` on `shape`: no larger off `dim`, 1..=4 along it.
fn index_shape(shape: &[usize], d: usize, picks: &[u64]) -> Vec<usize> {
    (0..shape.len()).map(|k| 1 + (picks[k] % if k == d { 4 } else { shape[k] as u64 }) as usize).collect()
}

fn nonempty(max_rank: usize) -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(1usize..=4, 1..=max_rank)
}

// ---------------------------------------------------------------------------------------------
// index_select, gather, scatter, index_add

proptest! {
    #![proptest_config(cfg(64))]

    #[test]
    fn index_select_matches_reference(
        shape in shape_strategy(4, 4).prop_filter("rank >= 1", |s| !s.is_empty()),
        recipe in recipe_strategy(3, true),
        irecipe in recipe_strategy(2, false),
        (dim, neg, i32_index, dt) in (any::<u64>(), any::<bool>(), any::<bool>(), 0..ALL_DTYPES.len()),
        picks in prop::collection::vec(any::<u64>(), 0..6),
    ) {
        for dev in devices() {
            if !holds(&dev, ALL_DTYPES[dt]) {
                continue;
            }
            let (x, xr) = input(&dev, &shape, &recipe, ALL_DTYPES[dt], Values::Small);
            let d = (dim % shape.len() as u64) as usize;
            let picks = if shape[d] == 0 { &[][..] } else { &picks[..] };
            let vals: Vec<i64> = picks.iter().map(|p| (p % shape[d] as u64) as i64).collect();
            let idx = index_in(&dev, &vals, &[vals.len()], &irecipe, i32_index);
            let out = x.index_select(user_dim(d, shape.len(), neg), &idx).unwrap();
            assert_eq!(out.dtype(), x.dtype());
            check(&dev, &out, &xr.take(d, &vals.iter().map(|&v| v as usize).collect::<Vec<_>>()));
        }
    }

    #[test]
    fn gather_matches_reference(
        shape in nonempty(4),
        (recipe, irecipe) in (recipe_strategy(3, true), recipe_strategy(3, false)),
        (dim, i32_index, dt) in (any::<u64>(), any::<bool>(), 0..ALL_DTYPES.len()),
        sizes in prop::collection::vec(any::<u64>(), 4),
        picks in prop::collection::vec(any::<u64>(), 256),
    ) {
        for dev in devices() {
            if !holds(&dev, ALL_DTYPES[dt]) {
                continue;
            }
            let (x, xr) = input(&dev, &shape, &recipe, ALL_DTYPES[dt], Values::Small);
            let d = (dim % shape.len() as u64) as usize;
            let ishape = index_shape(&shape, d, &sizes);
            let vals: Vec<i64> = (0..numel(&ishape)).map(|i| (picks[i] % shape[d] as u64) as i64).collect();
            let idx = index_in(&dev, &vals, &ishape, &irecipe, i32_index);
            let ir = Ref::new(&ishape, vals.iter().map(|&v| v as f64).collect());
            let want = Ref::from_fn(&ishape, |ix| {
                let mut src = ix.to_vec();
                src[d] = ir.at(ix) as usize;
                xr.at(&src)
            });
            check(&dev, &x.gather(d as isize, &idx).unwrap(), &want);
        }
    }

    #[test]
    fn scatter_and_scatter_add_match_reference(
        shape in nonempty(3),
        (recipe, irecipe, srecipe) in (recipe_strategy(3, false), recipe_strategy(2, false), recipe_strategy(3, true)),
        (dim, add, dt) in (any::<u64>(), any::<bool>(), 0usize..5),
        sizes in prop::collection::vec(any::<u64>(), 3),
        extra in prop::collection::vec(0usize..2, 3),
        picks in prop::collection::vec(any::<u64>(), 64),
    ) {
        for dev in devices() {
            let dtype = arith_dtype(dt);
            let (x, before) = input(&dev, &shape, &recipe, dtype, Values::Small);
            let d = (dim % shape.len() as u64) as usize;
            let ishape = index_shape(&shape, d, &sizes);
            let sshape: Vec<usize> = ishape.iter().zip(&extra).map(|(&i, &e)| i + e).collect();
            let vals: Vec<i64> = (0..numel(&ishape)).map(|i| (picks[i] % shape[d] as u64) as i64).collect();
            let idx = index_in(&dev, &vals, &ishape, &irecipe, false);
            let (src, sr) = input(&dev, &sshape, &srecipe, dtype, Values::Small);
            let mut want = before.clone();
            let mut k = 0;
            for_each_index(&ishape, |ix| {
                let mut dst = ix.to_vec();
                dst[d] = vals[k] as usize;
                k += 1;
                let v = sr.at(ix) + if add { want.at(&dst) } else { 0.0 };
                set(&mut want, &dst, v);
            });
            let out = if add { x.scatter_add(d as isize, &idx, &src) } else { x.scatter(d as isize, &idx, &src) };
            check(&dev, &out.unwrap(), &want);
            check(&dev, &x, &before);
            let mut y = x.shallow_clone();
            if add { y.scatter_add_(d as isize, &idx, &src) } else { y.scatter_(d as isize, &idx, &src) }.unwrap();
            check(&dev, &x, &want);
            // The scalar form writes one value everywhere the index points.
            let (mut want, mut k) = (before.clone(), 0);
            for_each_index(&ishape, |ix| {
                let mut dst = ix.to_vec();
                dst[d] = vals[k] as usize;
                k += 1;
                set(&mut want, &dst, 7.0);
            });
            let fresh = before.tensor_on(&dev, dtype);
            check(&dev, &fresh.scatter_value(d as isize, &idx, 7).unwrap(), &want);
        }
    }

    #[test]
    fn index_add_matches_reference(
        shape in nonempty(4),
        (recipe, irecipe, srecipe) in (recipe_strategy(3, false), recipe_strategy(2, false), recipe_strategy(3, true)),
        (dim, alpha, i32_index, dt) in (any::<u64>(), -2i64..=2, any::<bool>(), 0usize..5),
        picks in prop::collection::vec(any::<u64>(), 0..6),
    ) {
        for dev in devices() {
            let dtype = arith_dtype(dt);
            let (mut x, xr) = input(&dev, &shape, &recipe, dtype, Values::Small);
            let d = (dim % shape.len() as u64) as usize;
            let vals: Vec<i64> = picks.iter().map(|p| (p % shape[d] as u64) as i64).collect();
            let idx = index_in(&dev, &vals, &[vals.len()], &irecipe, i32_index);
            let mut sshape = shape.clone();
            sshape[d] = vals.len();
            let (src, sr) = input(&dev, &sshape, &srecipe, dtype, Values::Small);
            let mut want = xr.clone();
            for_each_index(&sshape, |ix| {
                let mut dst = ix.to_vec();
                dst[d] = vals[ix[d]] as usize;
                let v = want.at(&dst) + alpha as f64 * sr.at(ix);
                set(&mut want, &dst, v);
            });
            check(&dev, &x.index_add_scaled(d as isize, &idx, &src, alpha).unwrap(), &want);
            if alpha == 1 {
                check(&dev, &x.index_add(d as isize, &idx, &src).unwrap(), &want);
            }
            x.index_add_scaled_(d as isize, &idx, &src, alpha).unwrap();
            check(&dev, &x, &want);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// masked_select, nonzero, one_hot

proptest! {
    #![proptest_config(cfg(64))]

    #[test]
    fn masked_select_matches_reference(
        (xs, ms) in broadcast_pair_strategy(3, 3),
        (recipe, mrecipe) in (recipe_strategy(3, true), recipe_strategy(3, true)),
        dt in 0..ALL_DTYPES.len(),
    ) {
        for dev in devices() {
            if !holds(&dev, ALL_DTYPES[dt]) {
                continue;
            }
            let (x, xr) = input(&dev, &xs, &recipe, ALL_DTYPES[dt], Values::Small);
            let (mask, mr) = input(&dev, &ms, &mrecipe, DType::Bool, Values::Small);
            let out = x.masked_select(&mask).unwrap();
            let shape = broadcast_shape(&xs, &ms).unwrap();
            let (xb, mb) = (xr.expand(&shape), mr.expand(&shape));
            let data: Vec<f64> = xb.data.iter().zip(&mb.data).filter(|(_, &m)| m != 0.0).map(|(&v, _)| v).collect();
            assert_eq!(out.dtype(), x.dtype());
            check(&dev, &out, &Ref::new(&[data.len()], data));
        }
    }

    #[test]
    fn nonzero_matches_reference(shape in shape_strategy(4, 3), recipe in recipe_strategy(3, true), dt in 0..ALL_DTYPES.len()) {
        for dev in devices() {
            if !holds(&dev, ALL_DTYPES[dt]) {
                continue;
            }
            let (x, xr) = input(&dev, &shape, &recipe, ALL_DTYPES[dt], Values::Ties);
            let mut data = Vec::new();
            for_each_index(&shape, |ix| {
                if xr.at(ix) != 0.0 {
                    data.extend(ix.iter().map(|&i| i as f64));
                }
            });
            let count = xr.data.iter().filter(|&&v| v != 0.0).count();
            let out = x.nonzero().unwrap();
            assert_eq!(out.dtype(), DType::I64);
            check(&dev, &out, &Ref::new(&[count, shape.len()], data));
        }
    }

    #[test]
    fn one_hot_matches_reference(
        shape in shape_strategy(3, 3),
        recipe in recipe_strategy(2, false),
        picks in prop::collection::vec(0i64..5, 27),
        extra in prop::option::of(0usize..3),
    ) {
        for dev in devices() {
            let x = index_in(&dev, &picks[..numel(&shape)], &shape, &recipe, false);
            let xr = Ref::new(&shape, picks[..numel(&shape)].iter().map(|&v| v as f64).collect());
            let max = xr.data.iter().fold(0.0f64, |a, &b| a.max(b)) as usize;
            let classes = max + 1 + extra.unwrap_or(0);
            let given = if xr.data.is_empty() { Some(classes) } else { extra.map(|_| classes) };
            let out = x.one_hot(given).unwrap();
            let mut oshape = shape.clone();
            oshape.push(classes);
            let want = Ref::from_fn(&oshape, |ix| (xr.at(&ix[..ix.len() - 1]) as usize == ix[ix.len() - 1]) as u8 as f64);
            assert_eq!(out.dtype(), DType::I64);
            check(&dev, &out, &want);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// sort, argsort, topk

/// The stable order of `torch.sort`: NaN largest.
fn torch_order(a: f64, b: f64) -> std::cmp::Ordering {
    a.partial_cmp(&b).unwrap_or_else(|| a.is_nan().cmp(&b.is_nan()))
}

/// Reference stable sort along `d`, keeping the first `k` of each line: (values, indices).
fn sort_ref(x: &Ref, d: usize, descending: bool, k: usize) -> (Ref, Ref) {
    let mut shape = x.shape.clone();
    shape[d] = k;
    let (mut vals, mut idx) = (Ref::from_fn(&shape, |_| 0.0), Ref::from_fn(&shape, |_| 0.0));
    let mut outer = x.shape.clone();
    outer[d] = 1;
    for_each_index(&outer, |base| {
        let at = |j: usize| {
            let mut ix = base.to_vec();
            ix[d] = j;
            ix
        };
        let mut line: Vec<(f64, usize)> = (0..x.shape[d]).map(|j| (x.at(&at(j)), j)).collect();
        line.sort_by(|a, b| if descending { torch_order(b.0, a.0) } else { torch_order(a.0, b.0) });
        for (j, (v, i)) in line.into_iter().take(k).enumerate() {
            set(&mut vals, &at(j), v);
            set(&mut idx, &at(j), i as f64);
        }
    });
    (vals, idx)
}

/// A float input with NaNs in place of the 2s (when its layout is writable).
fn with_nans(x: &Tensor) -> Ref {
    if x.is_floating_point() && !overlaps(x) {
        x.shallow_clone().masked_fill_(&x.eq(2.0).unwrap(), f64::NAN).unwrap();
    }
    Ref::new(x.size(), values(x))
}

proptest! {
    #![proptest_config(cfg(64))]

    #[test]
    fn sort_and_argsort_match_reference(
        shape in shape_strategy(3, 6).prop_filter("rank >= 1", |s| !s.is_empty()),
        recipe in recipe_strategy(3, true),
        (dim, descending, dt) in (any::<u64>(), any::<bool>(), 0..ALL_DTYPES.len()),
    ) {
        for dev in devices() {
            if !holds(&dev, ALL_DTYPES[dt]) {
                continue;
            }
            let (x, _) = input(&dev, &shape, &recipe, ALL_DTYPES[dt], Values::Ties);
            let xr = with_nans(&x);
            let d = (dim % shape.len() as u64) as usize;
            let (v, i) = x.sort(user_dim(d, shape.len(), true), descending).unwrap();
            let (wv, wi) = sort_ref(&xr, d, descending, shape[d]);
            assert_eq!((v.dtype(), i.dtype()), (x.dtype(), DType::I64));
            check(&dev, &v, &wv);
            check(&dev, &i, &wi);
            check(&dev, &x.argsort(d as isize, descending).unwrap(), &wi);
        }
    }

    #[test]
    fn topk_matches_reference(
        shape in nonempty(3),
        recipe in recipe_strategy(3, true),
        (dim, kpick, largest, dt) in (any::<u64>(), any::<u64>(), any::<bool>(), 0..ALL_DTYPES.len()),
    ) {
        for dev in devices() {
            if !holds(&dev, ALL_DTYPES[dt]) {
                continue;
            }
            let (x, _) = input(&dev, &shape, &recipe, ALL_DTYPES[dt], Values::Ties);
            let xr = with_nans(&x);
            let d = (dim % shape.len() as u64) as usize;
            let k = (kpick % (shape[d] as u64 + 1)) as usize;
            let (v, i) = x.topk(k, d as isize, largest, true).unwrap();
            let (wv, wi) = sort_ref(&xr, d, largest, k);
            check(&dev, &v, &wv);
            check(&dev, &i, &wi);
            check(&dev, &x.gather(d as isize, &i).unwrap(), &wv);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// PyTorch-derived literals

#[test]
fn index_select_literals() {
    on_each_device(|dev| {
        // x = torch.arange(6.).reshape(2, 3); x.index_select(1, torch.tensor(1)) -> [[1.], [4.]]
        let x = f32s(dev, &[0., 1., 2., 3., 4., 5.], &[2, 3]);
        let r = x.index_select(1, &Tensor::new(1i64, dev).unwrap()).unwrap();
        assert_eq!(r.to_vec2::<f32>().unwrap(), [[1.], [4.]]);
        // torch.index_select(torch.tensor(5.), 0, torch.tensor([0])) -> tensor(5.)
        let r = Tensor::new(5f32, dev).unwrap().index_select(0, &i64s(dev, &[0], &[1])).unwrap();
        assert_eq!((r.dim(), r.item::<f32>().unwrap()), (0, 5.0));
        // Embedding-style lookup through an int32 index: weight.index_select(0, [2, 0, 2])
        let r = x.t().unwrap().index_select(0, &Tensor::new([2i32, 0, 2], dev).unwrap()).unwrap();
        assert_eq!(r.to_vec2::<f32>().unwrap(), [[2., 5.], [0., 3.], [2., 5.]]);
    });
}

#[test]
fn gather_scatter_index_add_literals() {
    on_each_device(|dev| {
        let x = f32s(dev, &[0., 1., 2., 3., 4., 5.], &[2, 3]);
        // torch.gather(x, 1, torch.tensor([[0, 1, 1, 0, 2]])) -> [[0., 1., 1., 0., 2.]]
        let g = x.gather(1, &i64s(dev, &[0, 1, 1, 0, 2], &[1, 5])).unwrap();
        assert_eq!(g.to_vec2::<f32>().unwrap(), [[0., 1., 1., 0., 2.]]);
        // torch.gather(torch.tensor(3.), 0, torch.tensor([0, 0])) -> [3., 3.]
        let g = Tensor::new(3f32, dev).unwrap().gather(0, &i64s(dev, &[0, 0], &[2])).unwrap();
        assert_eq!(g.to_vec::<f32>().unwrap(), [3., 3.]);
        // x.clone().scatter_(1, torch.tensor([[0, 1]]), 7.5) -> [[7.5, 7.5, 2.], [3., 4., 5.]]
        let s = x.scatter_value(1, &i64s(dev, &[0, 1], &[1, 2]), 7.5).unwrap();
        assert_eq!(s.to_vec2::<f32>().unwrap(), [[7.5, 7.5, 2.], [3., 4., 5.]]);
        // x.clone().scatter_add_(1, torch.tensor([[0, 0, 0]]), torch.ones(2, 3)) -> [[3., 1., 2.], [3., 4., 5.]]
        let s = x.scatter_add(1, &i64s(dev, &[0, 0, 0], &[1, 3]), &Tensor::ones([2, 3], DType::F32, dev).unwrap());
        assert_eq!(s.unwrap().to_vec2::<f32>().unwrap(), [[3., 1., 2.], [3., 4., 5.]]);
        // x.clone().index_add_(1, torch.tensor([0, 2]), torch.ones(2, 2), alpha=2) -> [[2., 1., 4.], [5., 4., 7.]]
        let ones = Tensor::ones([2, 2], DType::F32, dev).unwrap();
        let a = x.index_add_scaled(1, &i64s(dev, &[0, 2], &[2]), &ones, 2).unwrap();
        assert_eq!(a.to_vec2::<f32>().unwrap(), [[2., 1., 4.], [5., 4., 7.]]);
        // torch.arange(6).reshape(2, 3).index_add_(1, torch.tensor([0, 2]), torch.ones(2, 2, dtype=torch.long), alpha=2)
        //   -> [[2, 1, 4], [5, 4, 7]]
        let xi = Tensor::arange(0, 6, 1, dev).unwrap().reshape(&[2, 3]).unwrap();
        let a = xi.index_add_scaled(1, &i64s(dev, &[0, 2], &[2]), &ones.to_dtype(DType::I64).unwrap(), 2).unwrap();
        assert_eq!(a.to_vec2::<i64>().unwrap(), [[2, 1, 4], [5, 4, 7]]);
    });
}

#[test]
fn masked_select_nonzero_one_hot_literals() {
    on_each_device(|dev| {
        let x = f32s(dev, &[0., 1., 2., 3., 4., 5.], &[2, 3]);
        // torch.masked_select(x, torch.tensor([True, False, True])) -> [0., 2., 3., 5.]
        let m = Tensor::new([true, false, true], dev).unwrap();
        assert_eq!(x.masked_select(&m).unwrap().to_vec::<f32>().unwrap(), [0., 2., 3., 5.]);
        // torch.nonzero(torch.tensor([[0, 1.], [float('nan'), 0]])) -> [[0, 1], [1, 0]]
        let n = f32s(dev, &[0., 1., f32::NAN, 0.], &[2, 2]).nonzero().unwrap();
        assert_eq!(n.to_vec2::<i64>().unwrap(), [[0, 1], [1, 0]]);
        // torch.nonzero(torch.tensor(3.)) -> size (1, 0); torch.nonzero(torch.tensor(0.)) -> size (0, 0)
        assert_eq!(Tensor::new(3f32, dev).unwrap().nonzero().unwrap().size(), [1, 0]);
        assert_eq!(Tensor::new(0f32, dev).unwrap().nonzero().unwrap().size(), [0, 0]);
        // torch.nonzero(torch.zeros(2, 0)) -> size (0, 2)
        assert_eq!(Tensor::zeros([2, 0], DType::F32, dev).unwrap().nonzero().unwrap().size(), [0, 2]);
        // F.one_hot(torch.tensor([0, 2, 1])) -> [[1, 0, 0], [0, 0, 1], [0, 1, 0]]
        let c = i64s(dev, &[0, 2, 1], &[3]);
        assert_eq!(c.one_hot(None).unwrap().to_vec2::<i64>().unwrap(), [[1, 0, 0], [0, 0, 1], [0, 1, 0]]);
        // F.one_hot(torch.tensor([0, 2, 1]), 5) -> [[1,0,0,0,0], [0,0,1,0,0], [0,1,0,0,0]]
        let o = c.one_hot(Some(5)).unwrap();
        assert_eq!(o.to_vec2::<i64>().unwrap(), [[1, 0, 0, 0, 0], [0, 0, 1, 0, 0], [0, 1, 0, 0, 0]]);
        // F.one_hot(torch.tensor(2), 4) -> [0, 0, 1, 0]
        assert_eq!(Tensor::new(2i64, dev).unwrap().one_hot(Some(4)).unwrap().to_vec::<i64>().unwrap(), [0, 0, 1, 0]);
    });
}

#[test]
fn sort_topk_literals() {
    on_each_device(|dev| {
        let nan = f32::NAN;
        let x = f32s(dev, &[3., nan, 1., nan, -0., 0., 2.], &[7]);
        // torch.sort(torch.tensor([3., nan, 1., nan, -0., 0., 2.]), stable=True)
        //   -> values [-0., 0., 1., 2., 3., nan, nan], indices [4, 5, 2, 6, 0, 1, 3]
        let (v, i) = x.sort(0, false).unwrap();
        let v = v.to_vec::<f32>().unwrap();
        assert_eq!(&v[..5], [-0., 0., 1., 2., 3.]);
        assert!(v[0].is_sign_negative() && v[5].is_nan() && v[6].is_nan());
        assert_eq!(i.to_vec::<i64>().unwrap(), [4, 5, 2, 6, 0, 1, 3]);
        // ... descending=True -> values [nan, nan, 3., 2., 1., -0., 0.], indices [1, 3, 0, 6, 2, 4, 5]
        let (_, i) = x.sort(-1, true).unwrap();
        assert_eq!(i.to_vec::<i64>().unwrap(), [1, 3, 0, 6, 2, 4, 5]);
        // torch.sort(torch.tensor([True, False, True])) -> values [False, True, True], indices [1, 0, 2]
        let (v, i) = Tensor::new([true, false, true], dev).unwrap().sort(0, false).unwrap();
        assert_eq!((v.to_vec::<bool>().unwrap(), i.to_vec::<i64>().unwrap()), (vec![false, true, true], vec![1, 0, 2]));
        // torch.topk(torch.tensor([3., nan, 1., 5., 2.]), 2) -> values [nan, 5.], indices [1, 3]
        let y = f32s(dev, &[3., nan, 1., 5., 2.], &[5]);
        let (v, i) = y.topk(2, 0, true, true).unwrap();
        assert!(v.to_vec::<f32>().unwrap()[0].is_nan());
        assert_eq!(i.to_vec::<i64>().unwrap(), [1, 3]);
        // torch.topk(..., 2, largest=False) -> values [1., 2.], indices [2, 4]
        let (v, i) = y.topk(2, 0, false, true).unwrap();
        assert_eq!((v.to_vec::<f32>().unwrap(), i.to_vec::<i64>().unwrap()), (vec![1., 2.], vec![2, 4]));
        // torch.argsort(torch.tensor([[3, 1, 2], [0, 5, 4]]), dim=0, descending=True) -> [[0, 1, 1], [1, 0, 0]]
        let a = i64s(dev, &[3, 1, 2, 0, 5, 4], &[2, 3]).argsort(0, true).unwrap();
        assert_eq!(a.to_vec2::<i64>().unwrap(), [[0, 1, 1], [1, 0, 0]]);
        // torch.sort(torch.tensor(3.)) -> (tensor(3.), tensor(0)); torch.topk(torch.tensor(3.), 1) likewise
        let (v, i) = Tensor::new(3f32, dev).unwrap().topk(1, 0, true, true).unwrap();
        assert_eq!((v.dim(), v.item::<f32>().unwrap(), i.item::<i64>().unwrap()), (0, 3.0, 0));
    });
}

#[test]
fn large_inputs_take_the_parallel_paths() {
    on_each_device(|dev| {
        // Enough elements to cross the kernels' threading threshold; compared with the small path.
        let n = 1 << 16;
        let vals: Vec<f32> = (0..n).map(|i| ((i * 7919) % 1000) as f32).collect();
        let x = Tensor::from_vec(vals.clone(), [n]).unwrap().to_device(dev).unwrap();
        let (v, i) = x.sort(0, false).unwrap();
        let mut want: Vec<(f32, i64)> = vals.iter().copied().zip(0..).collect();
        want.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap());
        assert_eq!(v.to_vec::<f32>().unwrap(), want.iter().map(|p| p.0).collect::<Vec<_>>());
        assert_eq!(i.to_vec::<i64>().unwrap(), want.iter().map(|p| p.1).collect::<Vec<_>>());
        let m = x.reshape(&[256, 256]).unwrap().t().unwrap();
        let (v2, _) = m.sort(1, true).unwrap();
        let (v3, _) = m.contiguous().unwrap().sort(1, true).unwrap();
        assert_eq!(v2.to_vec::<f32>().unwrap(), v3.to_vec::<f32>().unwrap());
        let ids = Tensor::from_vec((0..1024i64).map(|i| (i * 31) % 256).collect::<Vec<_>>(), [1024])
            .unwrap()
            .to_device(dev)
            .unwrap();
        let rows = m.index_select(0, &ids).unwrap();
        assert_eq!(rows.size(), [1024, 256]);
        assert_eq!(
            rows.select(0, 1).unwrap().to_vec::<f32>().unwrap(),
            m.select(0, 31).unwrap().to_vec::<f32>().unwrap()
        );
    });
}

#[test]
fn large_selects_and_scatters_match_the_strided_paths() {
    on_each_device(|dev| {
        // index_select of contiguous rows (the block copies, across threads, with look-ahead) and
        // along a middle dim (blocks of several outer positions), against the same selection from
        // a non-contiguous view of the same values (the strided walk).
        let x = Tensor::arange(0.0, 4.0 * 300.0 * 40.0, 1.0, dev).unwrap().reshape(&[4, 300, 40]).unwrap();
        let strided = x.transpose(0, 2).unwrap().contiguous().unwrap().transpose(0, 2).unwrap();
        assert!(!strided.is_contiguous());
        let ids = Tensor::from_vec((0..700i64).map(|i| (i * 37) % 300).collect::<Vec<_>>(), [700])
            .unwrap()
            .to_device(dev)
            .unwrap();
        let fast = x.index_select(1, &ids).unwrap();
        assert_eq!(fast.size(), [4, 700, 40]);
        assert_eq!(fast.to_vec::<f32>().unwrap(), strided.index_select(1, &ids).unwrap().to_vec::<f32>().unwrap());
        let rows = Tensor::from_vec((0..5000i64).map(|i| (i * 13) % 1200).collect::<Vec<_>>(), [5000])
            .unwrap()
            .to_device(dev)
            .unwrap();
        let flat = x.reshape(&[1200, 40]).unwrap();
        let want: Vec<f32> =
            (0..5000usize).flat_map(|i| ((i * 13) % 1200 * 40..((i * 13) % 1200 + 1) * 40).map(|v| v as f32)).collect();
        assert_eq!(flat.index_select(0, &rows).unwrap().to_vec::<f32>().unwrap(), want);
        // scatter_add_ / scatter_ along dim 1 of a contiguous [256, 512] destination with a
        // [256, 200] index (rows split across threads), against a naive loop.
        let (r, c, k) = (256usize, 512usize, 200usize);
        let picks: Vec<i64> = (0..r * k).map(|i| ((i * 7919) % c) as i64).collect();
        let src: Vec<f32> = (0..r * k).map(|i| (i % 17) as f32 - 8.0).collect();
        let (idx, srct) = (i64s(dev, &picks, &[r, k]), f32s(dev, &src, &[r, k]));
        for add in [true, false] {
            let mut want = vec![1f32; r * c];
            for i in 0..r {
                for j in 0..k {
                    let p = i * c + picks[i * k + j] as usize;
                    want[p] = if add { want[p] + src[i * k + j] } else { src[i * k + j] };
                }
            }
            let mut dst = Tensor::ones([r, c], DType::F32, dev).unwrap();
            if add { dst.scatter_add_(1, &idx, &srct) } else { dst.scatter_(1, &idx, &srct) }.unwrap();
            assert_eq!(dst.to_vec::<f32>().unwrap(), want, "add: {add}");
        }
    });
}

#[test]
fn aliasing_sources_are_read_before_writing() {
    on_each_device(|dev| {
        // Scatter a tensor into itself: the result is that of scattering a copy, as PyTorch's.
        let mut x = f32s(dev, &[1., 2., 3., 4.], &[4]);
        let src = x.shallow_clone();
        x.scatter_(0, &i64s(dev, &[3, 2, 1, 0], &[4]), &src).unwrap();
        assert_eq!(x.to_vec::<f32>().unwrap(), [4., 3., 2., 1.]);
        let mut y = f32s(dev, &[1., 2., 3., 4.], &[4]);
        let view = y.narrow(0, 0, 2).unwrap();
        y.index_add_(0, &i64s(dev, &[2, 3], &[2]), &view).unwrap();
        assert_eq!(y.to_vec::<f32>().unwrap(), [1., 2., 4., 6.]);
        // An index that lives in the written storage (int64 data scattered by itself).
        let mut z = i64s(dev, &[1, 0, 2], &[3]);
        let zi = z.shallow_clone();
        z.scatter_value_(0, &zi, 9).unwrap();
        assert_eq!(z.to_vec::<i64>().unwrap(), [9, 9, 9]);
    });
}
