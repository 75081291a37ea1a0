//! Views over random shapes, strides and offsets against the naive reference (with
//! `contiguous`, deep `clone` and `copy_` of each); `view`/`reshape` rules and errors as
//! PyTorch's. `copy_`'s aliasing, overlap and cast rules and the copy kernels' large paths are in
//! `copies.rs`, the `view`/`reshape` rules and PyTorch's messages in `view_rules.rs`. Every test runs on every device (the CPU, and the GPU when one is usable; dtypes a
//! GPU does not hold are skipped there), but the one about layout metadata alone.

use crate::common;

use common::*;
use proptest::prelude::*;
use tensor_core::{s, Blocks, DType, ErrorKind, IndexItem, Result, Tensor};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// The storage index of every element of `t`, in row-major order.
fn positions(t: &Tensor) -> Vec<usize> {
    let (st, off) = (t.stride().to_vec(), t.storage_offset());
    let mut out = vec![];
    for_each_index(t.size(), |i| out.push(off + i.iter().zip(&st).map(|(a, b)| a * b).sum::<usize>()));
    out
}

/// Brute force: can some strides address `t`'s elements, in order, under shape `new`?
fn viewable(t: &Tensor, new: &[usize]) -> bool {
    if numel(new) == 0 {
        return true;
    }
    let pos = positions(t);
    let unit = contiguous_strides(new);
    let strides: Vec<usize> = (0..new.len()).map(|d| if new[d] > 1 { pos[unit[d]] - pos[0] } else { 0 }).collect();
    let mut k = 0;
    let mut ok = true;
    for_each_index(new, |i| {
        ok &= pos[0] + i.iter().zip(&strides).map(|(a, b)| a * b).sum::<usize>() == pos[k];
        k += 1;
    });
    ok
}

fn prime_factors(mut n: usize) -> Vec<usize> {
    let mut f = vec![];
    let mut p = 2;
    while p * p <= n {
        while n.is_multiple_of(p) {
            f.push(p);
            n /= p;
        }
        p += 1;
    }
    if n > 1 {
        f.push(n);
    }
    f
}

/// A random shape with `shape`'s number of elements: often a local edit (merge neighbours, split
/// a dim, add or drop ones), sometimes any factorisation.
fn random_shape_like(shape: &[usize], rng: &mut Mix) -> Vec<usize> {
    let n = numel(shape);
    if n == 0 {
        let k = 1 + rng.below(3);
        let mut s: Vec<usize> = (0..k).map(|_| rng.below(4)).collect();
        s[rng.below(k)] = 0;
        return s;
    }
    match rng.below(4) {
        0 if shape.len() >= 2 => {
            let a = rng.below(shape.len() - 1);
            let b = a + 1 + rng.below(shape.len() - a - 1);
            let mut s = shape[..a].to_vec();
            s.push(shape[a..=b].iter().product());
            s.extend_from_slice(&shape[b + 1..]);
            s
        }
        1 if !shape.is_empty() => {
            let d = rng.below(shape.len());
            let f = prime_factors(shape[d]);
            let mut s = shape.to_vec();
            let first: usize = f.iter().filter(|_| rng.coin()).product();
            s[d] = shape[d] / first;
            s.insert(d, first);
            s
        }
        2 => {
            let mut s: Vec<usize> = shape.iter().copied().filter(|&d| d != 1 || rng.coin()).collect();
            if s.len() < 5 && rng.coin() {
                s.insert(rng.below(s.len() + 1), 1);
            }
            s
        }
        _ => {
            let k = rng.below(5);
            if k == 0 {
                return if n == 1 { vec![] } else { vec![n] };
            }
            let mut dims = vec![1; k];
            for f in prime_factors(n) {
                dims[rng.below(k)] *= f;
            }
            dims
        }
    }
}

/// A spec with one dim replaced by `-1` (when that is unambiguous).
fn with_minus_one(shape: &[usize], rng: &mut Mix) -> Vec<isize> {
    let mut spec: Vec<isize> = shape.iter().map(|&d| d as isize).collect();
    if !shape.is_empty() && numel(shape) > 0 && rng.coin() {
        let d = rng.below(shape.len());
        spec[d] = -1;
    }
    spec
}

fn index_dyn(t: &Tensor, it: &[IndexItem]) -> Result<Tensor> {
    match *it {
        [a] => t.i(a),
        [a, b] => t.i((a, b)),
        [a, b, c] => t.i((a, b, c)),
        [a, b, c, d] => t.i((a, b, c, d)),
        [a, b, c, d, e] => t.i((a, b, c, d, e)),
        [a, b, c, d, e, f] => t.i((a, b, c, d, e, f)),
        _ => unreachable!("1..=6 items"),
    }
}

fn signed(i: usize, size: usize, negative: bool) -> isize {
    if negative {
        i as isize - size as isize
    } else {
        i as isize
    }
}

/// One view op, its parameters drawn from a seed against the current shape.
#[derive(Debug, Clone, Copy)]
enum ViewOp {
    View,
    Reshape,
    Flatten,
    Unflatten,
    Transpose,
    T,
    Permute,
    Narrow,
    Slice,
    Select,
    Squeeze,
    SqueezeDim,
    Unsqueeze,
    Expand,
    BroadcastTo,
    Chunk,
    Split,
    SplitSizes,
    Unbind,
    Index,
}

const VIEW_OPS: [ViewOp; 20] = [
    ViewOp::View,
    ViewOp::Reshape,
    ViewOp::Flatten,
    ViewOp::Unflatten,
    ViewOp::Transpose,
    ViewOp::T,
    ViewOp::Permute,
    ViewOp::Narrow,
    ViewOp::Slice,
    ViewOp::Select,
    ViewOp::Squeeze,
    ViewOp::SqueezeDim,
    ViewOp::Unsqueeze,
    ViewOp::Expand,
    ViewOp::BroadcastTo,
    ViewOp::Chunk,
    ViewOp::Split,
    ViewOp::SplitSizes,
    ViewOp::Unbind,
    ViewOp::Index,
];

/// Applies `op` to the tensor and to the reference. Returns `None` when the op does not apply to
/// this shape; otherwise the new pair and whether the result must be a view (share storage).
fn apply(op: ViewOp, t: &Tensor, r: &Ref, rng: &mut Mix) -> Option<(Tensor, Ref, bool)> {
    let rank = t.dim();
    let shape = t.size().to_vec();
    let neg = rng.coin();
    let dim = |rng: &mut Mix| -> (usize, isize) {
        let d = rng.below(rank.max(1));
        (d, signed(d, rank.max(1), rng.coin()))
    };
    Some(match op {
        ViewOp::View | ViewOp::Reshape => {
            let new = random_shape_like(&shape, rng);
            let spec = with_minus_one(&new, rng);
            let want = r.reshape(&new);
            if matches!(op, ViewOp::Reshape) {
                let out = t.reshape(&spec).expect("reshape");
                let is_view = viewable(t, &new);
                assert_eq!(out.shares_storage(t), is_view, "reshape {shape:?} -> {new:?} strides {:?}", t.stride());
                (out, want, is_view)
            } else if viewable(t, &new) {
                let out = t.view(&spec).unwrap_or_else(|e| panic!("view {shape:?} {:?} -> {spec:?}: {e}", t.stride()));
                (out, want, true)
            } else {
                let e = t.view(&spec).expect_err("view must fail");
                assert_eq!(e.kind(), ErrorKind::Shape);
                assert!(e.to_string().contains("Use .reshape(...) instead"), "{e}");
                (t.reshape(&spec).expect("reshape"), want, false)
            }
        }
        ViewOp::Flatten => {
            if rank == 0 {
                return Some((t.flatten(0, -1).unwrap(), r.reshape(&[1]), true));
            }
            let a = rng.below(rank);
            let b = a + rng.below(rank - a);
            let mut new = shape[..a].to_vec();
            new.push(shape[a..=b].iter().product());
            new.extend_from_slice(&shape[b + 1..]);
            let out = t.flatten(signed(a, rank, neg), signed(b, rank, rng.coin())).unwrap();
            let is_view = viewable(t, &new);
            assert_eq!(out.shares_storage(t), is_view);
            (out, r.reshape(&new), is_view)
        }
        ViewOp::Unflatten => {
            if rank == 0 {
                return None;
            }
            let (d, sd) = dim(rng);
            let parts = random_shape_like(&[shape[d]], rng);
            if parts.is_empty() {
                return None;
            }
            let spec = with_minus_one(&parts, rng);
            let mut new = shape[..d].to_vec();
            new.extend_from_slice(&parts);
            new.extend_from_slice(&shape[d + 1..]);
            let out = t.unflatten(sd, &spec).unwrap_or_else(|e| panic!("unflatten {shape:?} {d} {spec:?}: {e}"));
            (out, r.reshape(&new), true)
        }
        ViewOp::Transpose => {
            let ((a, sa), (b, sb)) = (dim(rng), dim(rng));
            (t.transpose(sa, sb).unwrap(), r.transpose(a, b), true)
        }
        ViewOp::T => {
            if rank > 2 {
                let e = t.t().unwrap_err();
                assert!(e.to_string().contains("t() expects a tensor with <= 2 dimensions"), "{e}");
                return None;
            }
            let want = if rank == 2 { r.transpose(0, 1) } else { r.clone() };
            (t.t().unwrap(), want, true)
        }
        ViewOp::Permute => {
            let p = rng.perm(rank);
            let sp: Vec<isize> = p.iter().map(|&d| signed(d, rank, rng.coin())).collect();
            (t.permute(&sp).unwrap(), r.permute(&p), true)
        }
        ViewOp::Narrow => {
            if rank == 0 {
                assert!(t.narrow(0, 0, 1).is_err());
                return None;
            }
            let (d, sd) = dim(rng);
            let start = rng.below(shape[d] + 1);
            let len = rng.below(shape[d] - start + 1);
            let ss = if neg && start < shape[d] { start as isize - shape[d] as isize } else { start as isize };
            (t.narrow(sd, ss, len).unwrap(), r.narrow(d, start, len), true)
        }
        ViewOp::Slice => {
            if rank == 0 {
                return None;
            }
            let (d, sd) = dim(rng);
            let n = shape[d] as isize;
            let bound = |rng: &mut Mix| -> Option<isize> {
                if rng.below(4) == 0 {
                    None
                } else {
                    Some(rng.int(-n as i64 - 2, n as i64 + 2) as isize)
                }
            };
            let (a, b) = (bound(rng), bound(rng));
            let step = 1 + rng.below(3);
            (t.slice(sd, a, b, step).unwrap(), r.slice(d, a, b, step), true)
        }
        ViewOp::Select => {
            if rank == 0 || shape.contains(&0) {
                return None;
            }
            let (d, sd) = dim(rng);
            let i = rng.below(shape[d]);
            (t.select(sd, signed(i, shape[d], neg)).unwrap(), r.select(d, i), true)
        }
        ViewOp::Squeeze => (t.squeeze(), r.squeeze_all(), true),
        ViewOp::SqueezeDim => {
            let (d, sd) = dim(rng);
            let want =
                if rank > 0 && shape[d] == 1 { r.reshape(&[&shape[..d], &shape[d + 1..]].concat()) } else { r.clone() };
            (t.squeeze_dim(sd).unwrap(), want, true)
        }
        ViewOp::Unsqueeze => {
            if rank >= 6 {
                return None;
            }
            let d = rng.below(rank + 1);
            (t.unsqueeze(signed(d, rank + 1, neg)).unwrap(), r.unsqueeze(d), true)
        }
        ViewOp::Expand | ViewOp::BroadcastTo => {
            let lead = if rank < 5 { rng.below(2) } else { 0 };
            let mut new: Vec<usize> = (0..lead).map(|_| rng.below(4)).collect();
            new.extend(shape.iter().map(|&d| if d == 1 { rng.below(4) } else { d }));
            let out = if matches!(op, ViewOp::Expand) {
                let spec: Vec<isize> = new
                    .iter()
                    .enumerate()
                    .map(|(i, &d)| if i >= lead && rng.coin() && new[i] == shape[i - lead] { -1 } else { d as isize })
                    .collect();
                t.expand(&spec).unwrap()
            } else {
                t.broadcast_to(&new.clone().into()).unwrap()
            };
            (out, r.expand(&new), true)
        }
        ViewOp::Chunk | ViewOp::Split | ViewOp::SplitSizes | ViewOp::Unbind => {
            if rank == 0 {
                return None;
            }
            let (d, sd) = dim(rng);
            let n = shape[d];
            let (all, sizes): (Vec<Tensor>, Vec<usize>) = match op {
                ViewOp::Chunk => {
                    // torch.chunk: pieces of ceil(n / c); `c` empty pieces when n == 0.
                    let c = 1 + rng.below(4);
                    let size = n.div_ceil(c);
                    let want = if n == 0 {
                        vec![0; c]
                    } else {
                        (0..n.div_ceil(size)).map(|i| size.min(n - i * size)).collect()
                    };
                    (t.chunk(c, sd).unwrap(), want)
                }
                ViewOp::Split => {
                    let s = 1 + rng.below(3);
                    let want = if n == 0 { vec![0] } else { (0..n.div_ceil(s)).map(|i| s.min(n - i * s)).collect() };
                    (t.split(s, sd).unwrap(), want)
                }
                ViewOp::SplitSizes => {
                    let mut left = n;
                    let mut sizes = vec![];
                    while left > 0 || rng.below(4) == 0 {
                        let s = rng.below(left + 1);
                        sizes.push(s);
                        left -= s;
                    }
                    (t.split_sizes(&sizes, sd).unwrap(), sizes)
                }
                _ => (t.unbind(sd).unwrap(), vec![1; n]),
            };
            let got: Vec<usize> =
                all.iter().map(|p| if matches!(op, ViewOp::Unbind) { 1 } else { p.size()[d] }).collect();
            assert_eq!(got, sizes, "{op:?} of {n} along {d}");
            if all.is_empty() {
                return None;
            }
            let k = rng.below(all.len());
            if matches!(op, ViewOp::Unbind) {
                return Some((all[k].shallow_clone(), r.select(d, k), true));
            }
            let start: usize = sizes[..k].iter().sum();
            (all[k].shallow_clone(), r.narrow(d, start, sizes[k]), true)
        }
        ViewOp::Index => {
            let mut items = vec![];
            let mut want = r.clone();
            let mut d = 0usize; // dim of `want` that the next item applies to
            let mut consumed = 0;
            let n_items = 1 + rng.below(rank.clamp(1, 5));
            for _ in 0..n_items {
                let choice = rng.below(4);
                if choice == 3 || consumed == rank {
                    if want.rank() >= 6 {
                        break;
                    }
                    items.push(IndexItem::NewAxis);
                    want = want.unsqueeze(d);
                    d += 1;
                    continue;
                }
                let size = want.shape[d];
                consumed += 1;
                if choice == 0 && size > 0 {
                    let i = rng.below(size);
                    items.push(IndexItem::At(signed(i, size, rng.coin())));
                    want = want.select(d, i);
                } else {
                    let n = size as isize;
                    let a = if rng.coin() { Some(rng.int(-n as i64 - 1, n as i64 + 1) as isize) } else { None };
                    let b = if rng.coin() { Some(rng.int(-n as i64 - 1, n as i64 + 1) as isize) } else { None };
                    let step = 1 + rng.below(2);
                    items.push(IndexItem::Slice(s(a, b, step)));
                    want = want.slice(d, a, b, step);
                    d += 1;
                }
            }
            if items.is_empty() {
                return None;
            }
            let out = index_dyn(t, &items).unwrap_or_else(|e| panic!("i({items:?}) of {shape:?}: {e}"));
            (out, want, true)
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

fn any_dtype() -> impl Strategy<Value = DType> {
    prop::sample::select(ALL_DTYPES.to_vec())
}

proptest! {
    #![proptest_config(cfg(512))]

    /// Every recipe (permute, strided slice, narrow, select, expand, unsqueeze) builds a view whose
    /// values, read by the library and by hand from its strides, are the reference's.
    #[test]
    fn recipes_are_views_with_reference_values(
        shape in shape_strategy(5, 4),
        recipe in recipe_strategy(4, true),
        dtype in any_dtype(),
    ) {
        for dev in devices() {
            if !holds(&dev, dtype) {
                continue;
            }
            let b = build_on(&dev, &shape, &recipe, dtype, Values::Small);
            prop_assert_eq!(b.t.size(), &shape[..]);
            prop_assert!(b.t.shares_storage(&b.base));
            prop_assert_eq!(b.t.dtype(), dtype);
            assert_ref(&b.t, &b.r, EXACT, &format!("to_vec on {dev}"));
            prop_assert_eq!(&strided_read(&b.base_values, &b.t), &b.r);
            // Every element the layout addresses lies inside the storage.
            if b.t.numel() > 0 {
                prop_assert!(positions(&b.t).into_iter().max().unwrap() < b.base.numel());
            }
            prop_assert_eq!(b.t.is_contiguous(), b.t.numel() <= 1 || positions(&b.t).windows(2).all(|w| w[1] == w[0] + 1)
                || (b.t.numel() == 0));
        }
    }

    /// `Layout::offsets` walks the storage index of every element in row-major order, and
    /// `Layout::blocks` covers the same indices as contiguous runs. (CPU only: layout metadata,
    /// the same on every device.)
    #[test]
    fn layout_offsets_and_blocks(
        shape in shape_strategy(5, 4),
        recipe in recipe_strategy(4, true),
    ) {
        let b = build(&shape, &recipe, DType::F32, Values::Small);
        let l = b.t.layout();
        let want = positions(&b.t);
        prop_assert_eq!(l.offsets().collect::<Vec<_>>(), want.clone());
        let mut runs = vec![];
        match l.blocks() {
            Blocks::Single { start, len } => runs.extend(start..start + len),
            Blocks::Multiple { block_len, starts } => {
                for s in starts {
                    runs.extend(s..s + block_len);
                }
            }
        }
        prop_assert_eq!(runs, want.clone());
        if let Some((a, e)) = l.contiguous_range() {
            prop_assert_eq!((a..e).collect::<Vec<_>>(), want.clone());
        }
        prop_assert_eq!(l.max_extent(), want.iter().max().map_or(0, |m| m + 1));
    }

    /// Chains of view ops on non-contiguous tensors match the reference, and stay views.
    #[test]
    fn view_chains_match_reference(
        shape in shape_strategy(4, 4),
        recipe in recipe_strategy(3, true),
        ops in prop::collection::vec((prop::sample::select(VIEW_OPS.to_vec()), any::<u64>()), 1..=4),
    ) {
        for dev in devices() {
            let b = build_on(&dev, &shape, &recipe, DType::F64, Values::Small);
            let (mut t, mut r) = (b.t.shallow_clone(), b.r.clone());
            let mut still_view = true;
            for &(op, seed) in &ops {
                let mut rng = Mix::new(seed);
                let Some((nt, nr, is_view)) = apply(op, &t, &r, &mut rng) else { continue };
                still_view &= is_view;
                assert_ref(&nt, &nr, EXACT, &format!("{op:?} of {:?} (strides {:?}) on {dev}", t.size(), t.stride()));
                if still_view {
                    prop_assert!(nt.shares_storage(&b.base), "{:?} must be a view", op);
                    prop_assert_eq!(&strided_read(&b.base_values, &nt), &nr);
                }
                t = nt;
                r = nr;
            }
        }
    }

    /// `contiguous` is the same handle when already contiguous, else a dense copy.
    #[test]
    fn contiguous_copies_only_when_needed(
        shape in shape_strategy(5, 4),
        recipe in recipe_strategy(3, true),
        dtype in any_dtype(),
    ) {
        for dev in devices() {
            if !holds(&dev, dtype) {
                continue;
            }
            let b = build_on(&dev, &shape, &recipe, dtype, Values::Small);
            let c = b.t.contiguous().unwrap();
            assert_on(&c, &dev);
            prop_assert!(c.is_contiguous());
            prop_assert_eq!(c.dtype(), dtype);
            prop_assert_eq!(c.shares_storage(&b.t), b.t.is_contiguous());
            assert_ref(&c, &b.r, EXACT, &format!("contiguous on {dev}"));
            if !b.t.is_contiguous() {
                prop_assert_eq!(c.storage_offset(), 0);
                prop_assert_eq!(c.stride(), &contiguous_strides(&shape)[..]);
            }
        }
    }

    /// `clone` is deep: writes to the clone never reach the original and vice versa.
    #[test]
    fn clone_is_deep(
        shape in shape_strategy(4, 4),
        recipe in recipe_strategy(3, true),
        dtype in any_dtype(),
    ) {
        for dev in devices() {
            if !holds(&dev, dtype) {
                continue;
            }
            let b = build_on(&dev, &shape, &recipe, dtype, Values::Small);
            let mut c = b.t.clone();
            assert_on(&c, &dev);
            prop_assert!(!c.shares_storage(&b.t));
            prop_assert!(c.is_contiguous());
            assert_ref(&c, &b.r, EXACT, &format!("clone on {dev}"));
            let before = values(&b.base);
            c.fill_(1).unwrap();
            prop_assert_eq!(values(&b.base), before);
            assert_ref(&c, &b.r.map(|_| 1.0), EXACT, &format!("filled clone on {dev}"));
            let mut base = b.base.shallow_clone();
            base.zero_().unwrap();
            assert_ref(&c, &b.r.map(|_| 1.0), EXACT, &format!("clone after the original changed on {dev}"));
        }
    }

    /// `copy_` into any writable view, from any layout and dtype, broadcasting: the view's elements
    /// become the source's (cast), every other element of the storage is unchanged.
    #[test]
    fn copy_into_views(
        dst_shape in shape_strategy(4, 4),
        src_seed in any::<u64>(),
        dst_recipe in recipe_strategy(3, false),
        src_recipe in recipe_strategy(3, true),
        dst_dtype in any_dtype(),
        src_dtype in any_dtype(),
    ) {
        for dev in devices() {
            if !(holds(&dev, dst_dtype) && holds(&dev, src_dtype)) {
                continue;
            }
            // The source: a suffix of the destination's shape with some dims 1, rarely a bad size.
            let mut rng = Mix::new(src_seed);
            let drop = if rng.coin() { rng.below(dst_shape.len() + 1) } else { 0 };
            let mut src_shape: Vec<usize> = dst_shape[drop..].iter().map(|&d| if rng.below(3) == 0 { 1 } else { d }).collect();
            if !src_shape.is_empty() && rng.below(8) == 0 {
                let d = rng.below(src_shape.len());
                src_shape[d] += 2;
            }
            if rng.below(8) == 0 {
                src_shape.insert(0, 2);
            }
            let dst = build_on(&dev, &dst_shape, &dst_recipe, dst_dtype, Values::Small);
            let src = build_on(&dev, &src_shape, &src_recipe, src_dtype, Values::Small);
            let mut t = dst.t.shallow_clone();
            let v0 = t.version();
            match broadcast_shape(&dst_shape, &src_shape) {
                Some(s) if s == dst_shape => {
                    t.copy_(&src.t).unwrap();
                    prop_assert!(t.version() > v0);
                    let want = src.r.expand(&dst_shape).map(|v| round_to(dst_dtype, v));
                    assert_ref(&t, &want, EXACT, &format!("copy_ result on {dev}"));
                    // Elsewhere in the storage: unchanged.
                    let mut base_want = dst.base_values.clone();
                    for (p, v) in positions(&t).into_iter().zip(&want.data) {
                        base_want[p] = *v;
                    }
                    prop_assert_eq!(values(&dst.base), base_want);
                }
                _ => {
                    let e = t.copy_(&src.t).unwrap_err();
                    prop_assert_eq!(e.kind(), ErrorKind::Shape);
                    let msg = e.to_string();
                    prop_assert!(msg.contains(&shape_str(&src_shape)) && msg.contains(&shape_str(&dst_shape)), "{}", msg);
                }
            }
        }
    }
}
