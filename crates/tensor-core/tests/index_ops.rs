//! Indexing and sorting ops against naive references over `Vec<f64>` (proptest, deterministic
//! seeds, non-contiguous inputs), PyTorch-derived literals, and the error cases.
//!
//! Literal expectations come from PyTorch 2.x (CPU); the snippet is quoted beside each.

use proptest::prelude::*;
use proptest::test_runner::{RngAlgorithm, RngSeed};
use tensor_core::cpu::CpuStorage;
use tensor_core::{DType, Device, ErrorKind, Tensor};

// ---------------------------------------------------------------------------------------------
// Test harness: inputs in several memory layouts, and a row-major reference array.

fn config(seed: u64) -> ProptestConfig {
    ProptestConfig {
        cases: 64,
        rng_algorithm: RngAlgorithm::ChaCha,
        rng_seed: RngSeed::Fixed(seed),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// How a test input sits in memory; the logical values are read back from the tensor itself.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Contiguous,
    /// Two dims swapped in memory (`x.t().contiguous().t()`).
    Transposed,
    /// Every other element of a larger buffer (`base[1::2]`).
    Stepped,
    /// A nonzero storage offset inside a larger buffer.
    Offset,
    /// One dim broadcast with stride 0 (read-only).
    Expanded,
}

const KINDS: [Kind; 5] = [Kind::Contiguous, Kind::Transposed, Kind::Stepped, Kind::Offset, Kind::Expanded];

/// The same logical tensor (but `Expanded`, which repeats one slice) in the layout `kind`.
fn relayout(t: &Tensor, kind: Kind, axis: usize) -> Tensor {
    let r = t.dim();
    if r == 0 {
        return t.shallow_clone();
    }
    let a = axis % r;
    let dev = Device::Cpu;
    match kind {
        Kind::Contiguous => t.shallow_clone(),
        Kind::Transposed if r >= 2 => {
            let b = ((a + 1) % r) as isize;
            t.transpose(a as isize, b).unwrap().contiguous().unwrap().transpose(a as isize, b).unwrap()
        }
        Kind::Transposed | Kind::Stepped => {
            let mut shape = t.size().to_vec();
            shape[a] = 2 * shape[a] + 1;
            let base = Tensor::full(shape, 9, t.dtype(), &dev).unwrap();
            let mut v = base.slice(a as isize, Some(1), None, 2).unwrap();
            v.copy_(t).unwrap();
            v
        }
        Kind::Offset => {
            let mut shape = t.size().to_vec();
            shape[a] += 3;
            let base = Tensor::full(shape, 9, t.dtype(), &dev).unwrap();
            let mut v = base.narrow(a as isize, 2, t.size()[a]).unwrap();
            v.copy_(t).unwrap();
            v
        }
        Kind::Expanded => {
            let n = t.size()[a].min(1);
            let sizes: Vec<isize> = t.size().iter().map(|&s| s as isize).collect();
            t.narrow(a as isize, 0, n).unwrap().expand(&sizes).unwrap()
        }
    }
}

/// Deterministic small values: integers in -4..=4 (exact in every dtype), NaN for some when asked.
fn value(seed: u64, i: usize, nan: bool) -> f64 {
    let mut z = seed.wrapping_add((i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    let v = (z % 10) as f64 - 4.0;
    if v == 5.0 {
        if nan {
            f64::NAN
        } else {
            0.0
        }
    } else {
        v
    }
}

/// A random input: shape, layout and the seed of its values.
#[derive(Debug, Clone)]
struct Spec {
    shape: Vec<usize>,
    kind: Kind,
    axis: usize,
    seed: u64,
}

impl Spec {
    fn tensor(&self, dtype: DType) -> Tensor {
        self.tensor_with(dtype, false)
    }
    fn tensor_with(&self, dtype: DType, nan: bool) -> Tensor {
        let n: usize = self.shape.iter().product();
        let vals = (0..n).map(|i| value(self.seed, i, nan && dtype.is_float()));
        let t = Tensor::from_cpu_storage(CpuStorage::from_f64s(dtype, vals), self.shape.clone(), &Device::Cpu).unwrap();
        relayout(&t, self.kind, self.axis)
    }
}

fn spec(
    ranks: std::ops::RangeInclusive<usize>,
    sizes: std::ops::RangeInclusive<usize>,
    writable: bool,
) -> impl Strategy<Value = Spec> {
    let kinds: usize = if writable { 4 } else { 5 };
    (prop::collection::vec(sizes, ranks), 0..kinds, 0usize..8, any::<u64>()).prop_map(|(shape, k, axis, seed)| Spec {
        shape,
        kind: KINDS[k],
        axis,
        seed,
    })
}

/// A row-major array of f64: the reference the ops are checked against.
#[derive(Debug, Clone, PartialEq)]
struct Nd {
    shape: Vec<usize>,
    data: Vec<f64>,
}

fn for_each_index(shape: &[usize], mut f: impl FnMut(&[usize])) {
    if shape.contains(&0) {
        return;
    }
    let mut ix = vec![0; shape.len()];
    loop {
        f(&ix);
        let mut d = shape.len();
        loop {
            if d == 0 {
                return;
            }
            d -= 1;
            ix[d] += 1;
            if ix[d] < shape[d] {
                break;
            }
            ix[d] = 0;
        }
    }
}

fn flat(shape: &[usize], ix: &[usize]) -> usize {
    shape.iter().zip(ix).fold(0, |acc, (&s, &i)| acc * s + i)
}

impl Nd {
    fn of(t: &Tensor) -> Nd {
        Nd { shape: t.size().to_vec(), data: t.to_vec::<f64>().unwrap() }
    }
    fn from_fn(shape: &[usize], mut f: impl FnMut(&[usize]) -> f64) -> Nd {
        let mut data = Vec::new();
        for_each_index(shape, |ix| data.push(f(ix)));
        Nd { shape: shape.to_vec(), data }
    }
    fn at(&self, ix: &[usize]) -> f64 {
        self.data[flat(&self.shape, ix)]
    }
    fn set(&mut self, ix: &[usize], v: f64) {
        let p = flat(&self.shape, ix);
        self.data[p] = v;
    }
}

/// Asserts that `t` holds exactly `want` (NaN equal to NaN).
fn check(t: &Tensor, want: &Nd) {
    assert_eq!(t.size(), &want.shape[..], "shape");
    let got = t.to_vec::<f64>().unwrap();
    let same = got.iter().zip(&want.data).all(|(a, b)| a == b || (a.is_nan() && b.is_nan()));
    assert!(same, "values differ:\n got  {got:?}\n want {:?}", want.data);
}

fn expect_err<T: std::fmt::Debug>(r: tensor_core::Result<T>, op: &str, kind: ErrorKind, needle: &str) {
    let e = r.expect_err("expected an error");
    assert_eq!(e.op(), op, "{e}");
    assert_eq!(e.kind(), kind, "{e}");
    assert!(e.message().contains(needle), "{e} (wanted {needle:?})");
}

fn i64s(v: &[i64], shape: &[usize]) -> Tensor {
    Tensor::from_vec(v.to_vec(), shape.to_vec()).unwrap()
}

fn f32s(v: &[f32], shape: &[usize]) -> Tensor {
    Tensor::from_vec(v.to_vec(), shape.to_vec()).unwrap()
}

/// An index tensor with values `vals` (row-major) of `shape`, dtype I64 or I32, laid out as `kind`.
fn index_tensor(vals: &[i64], shape: &[usize], i32_index: bool, kind: Kind, axis: usize) -> Tensor {
    let t = i64s(vals, shape);
    let t = if i32_index { t.to_dtype(DType::I32).unwrap() } else { t };
    relayout(&t, kind, axis)
}

fn dtype_of(i: usize) -> DType {
    [DType::F32, DType::F64, DType::I64, DType::I32][i % 4]
}

// ---------------------------------------------------------------------------------------------
// index_select, gather, scatter, index_add

proptest! {
    #![proptest_config(config(0x1dc5_e1ec))]

    #[test]
    fn index_select_matches_reference(
        s in spec(1..=4, 1..=4, false),
        dim in 0usize..4,
        neg in any::<bool>(),
        picks in prop::collection::vec(any::<u64>(), 0..6),
        i32_index in any::<bool>(),
        ikind in 0usize..4,
        dt in 0usize..4,
    ) {
        let x = s.tensor(dtype_of(dt));
        let d = dim % x.dim();
        let n = x.size()[d];
        let vals: Vec<i64> = picks.iter().map(|p| (p % n as u64) as i64).collect();
        let idx = index_tensor(&vals, &[vals.len()], i32_index, KINDS[ikind], 0);
        let dim_arg = if neg { d as isize - x.dim() as isize } else { d as isize };
        let out = x.index_select(dim_arg, &idx).unwrap();
        assert_eq!(out.dtype(), x.dtype());
        let xr = Nd::of(&x);
        let mut shape = x.size().to_vec();
        shape[d] = vals.len();
        let want = Nd::from_fn(&shape, |ix| {
            let mut src = ix.to_vec();
            src[d] = vals[ix[d]] as usize;
            xr.at(&src)
        });
        check(&out, &want);
    }

    #[test]
    fn gather_matches_reference(
        s in spec(1..=4, 1..=4, false),
        dim in 0usize..4,
        sizes in prop::collection::vec(any::<u64>(), 4),
        picks in prop::collection::vec(any::<u64>(), 256),
        i32_index in any::<bool>(),
        ikind in 0usize..5,
        iaxis in 0usize..4,
    ) {
        let x = s.tensor(DType::F64);
        let d = dim % x.dim();
        let ishape: Vec<usize> = (0..x.dim())
            .map(|k| if k == d { 1 + (sizes[k] % 5) as usize } else { 1 + (sizes[k] % x.size()[k] as u64) as usize })
            .collect();
        let count: usize = ishape.iter().product();
        let vals: Vec<i64> = (0..count).map(|i| (picks[i] % x.size()[d] as u64) as i64).collect();
        let idx = index_tensor(&vals, &ishape, i32_index, KINDS[ikind], iaxis);
        let out = x.gather(d as isize, &idx).unwrap();
        let (xr, ir) = (Nd::of(&x), Nd::of(&idx));
        let want = Nd::from_fn(&ishape, |ix| {
            let mut src = ix.to_vec();
            src[d] = ir.at(ix) as usize;
            xr.at(&src)
        });
        check(&out, &want);
    }

    #[test]
    fn scatter_and_scatter_add_match_reference(
        s in spec(1..=3, 1..=4, true),
        dim in 0usize..3,
        sizes in prop::collection::vec(any::<u64>(), 3),
        extra in prop::collection::vec(0usize..2, 3),
        picks in prop::collection::vec(any::<u64>(), 64),
        src_seed in any::<u64>(),
        add in any::<bool>(),
        ikind in 0usize..5,
        skind in 0usize..5,
        dt in 0usize..4,
    ) {
        let dtype = dtype_of(dt);
        let x = s.tensor(dtype);
        let d = dim % x.dim();
        let ishape: Vec<usize> = (0..x.dim())
            .map(|k| if k == d { 1 + (sizes[k] % 4) as usize } else { 1 + (sizes[k] % x.size()[k] as u64) as usize })
            .collect();
        let sshape: Vec<usize> = ishape.iter().zip(&extra).map(|(&i, &e)| i + e).collect();
        let count: usize = ishape.iter().product();
        let vals: Vec<i64> = (0..count).map(|i| (picks[i] % x.size()[d] as u64) as i64).collect();
        let idx = index_tensor(&vals, &ishape, false, KINDS[ikind], 1);
        let src = Spec { shape: sshape, kind: KINDS[skind], axis: 2, seed: src_seed }.tensor(dtype);
        let before = Nd::of(&x);
        let (ir, sr) = (Nd::of(&idx), Nd::of(&src));
        let mut want = before.clone();
        for_each_index(&ishape, |ix| {
            let mut dst = ix.to_vec();
            dst[d] = ir.at(ix) as usize;
            let v = sr.at(ix) + if add { want.at(&dst) } else { 0.0 };
            want.set(&dst, v);
        });
        let out = if add { x.scatter_add(d as isize, &idx, &src) } else { x.scatter(d as isize, &idx, &src) }.unwrap();
        check(&out, &want);
        check(&x, &before);
        let mut y = x.shallow_clone();
        if add { y.scatter_add_(d as isize, &idx, &src) } else { y.scatter_(d as isize, &idx, &src) }.unwrap();
        check(&x, &want);
    }

    #[test]
    fn scatter_value_matches_reference(
        s in spec(1..=3, 1..=4, true),
        dim in 0usize..3,
        sizes in prop::collection::vec(any::<u64>(), 3),
        picks in prop::collection::vec(any::<u64>(), 64),
    ) {
        let x = s.tensor(DType::F32);
        let d = dim % x.dim();
        let ishape: Vec<usize> = (0..x.dim())
            .map(|k| if k == d { 1 + (sizes[k] % 4) as usize } else { 1 + (sizes[k] % x.size()[k] as u64) as usize })
            .collect();
        let count: usize = ishape.iter().product();
        let vals: Vec<i64> = (0..count).map(|i| (picks[i] % x.size()[d] as u64) as i64).collect();
        let idx = i64s(&vals, &ishape);
        let mut want = Nd::of(&x);
        for_each_index(&ishape, |ix| {
            let mut dst = ix.to_vec();
            dst[d] = vals[flat(&ishape, ix)] as usize;
            want.set(&dst, 7.5);
        });
        check(&x.scatter_value(d as isize, &idx, 7.5).unwrap(), &want);
    }

    #[test]
    fn index_add_matches_reference(
        s in spec(1..=4, 1..=4, true),
        dim in 0usize..4,
        picks in prop::collection::vec(any::<u64>(), 0..6),
        src_seed in any::<u64>(),
        skind in 0usize..5,
        alpha in -2i64..=2,
        i32_index in any::<bool>(),
        dt in 0usize..4,
    ) {
        let dtype = dtype_of(dt);
        let mut x = s.tensor(dtype);
        let d = dim % x.dim();
        let vals: Vec<i64> = picks.iter().map(|p| (p % x.size()[d] as u64) as i64).collect();
        let idx = index_tensor(&vals, &[vals.len()], i32_index, Kind::Stepped, 0);
        let mut sshape = x.size().to_vec();
        sshape[d] = vals.len();
        let src = Spec { shape: sshape.clone(), kind: KINDS[skind], axis: 1, seed: src_seed }.tensor(dtype);
        let sr = Nd::of(&src);
        let mut want = Nd::of(&x);
        for_each_index(&sshape, |ix| {
            let mut dst = ix.to_vec();
            dst[d] = vals[ix[d]] as usize;
            let v = want.at(&dst) + alpha as f64 * sr.at(ix);
            want.set(&dst, v);
        });
        check(&x.index_add_scaled(d as isize, &idx, &src, alpha).unwrap(), &want);
        if alpha == 1 {
            check(&x.index_add(d as isize, &idx, &src).unwrap(), &want);
        }
        x.index_add_scaled_(d as isize, &idx, &src, alpha).unwrap();
        check(&x, &want);
    }
}

// ---------------------------------------------------------------------------------------------
// masked_select, nonzero, one_hot

proptest! {
    #![proptest_config(config(0x5e1ec7))]

    #[test]
    fn masked_select_matches_reference(
        full in prop::collection::vec(1usize..=3, 0..=3),
        xdrop in 0usize..2,
        mdrop in 0usize..2,
        xones in prop::collection::vec(any::<bool>(), 3),
        mones in prop::collection::vec(any::<bool>(), 3),
        seed in any::<u64>(),
        mseed in any::<u64>(),
        xkind in 0usize..5,
        mkind in 0usize..5,
        dt in 0usize..4,
    ) {
        let reduce = |drop: usize, ones: &[bool]| -> Vec<usize> {
            let drop = drop.min(full.len());
            full[drop..].iter().enumerate().map(|(k, &n)| if ones[k] { 1 } else { n }).collect()
        };
        let (xs, ms) = (reduce(xdrop, &xones), reduce(mdrop, &mones));
        let x = Spec { shape: xs, kind: KINDS[xkind], axis: 0, seed }.tensor(dtype_of(dt));
        let mask = Spec { shape: ms, kind: Kind::Contiguous, axis: 1, seed: mseed }.tensor(DType::F32).gt(0.0).unwrap();
        let mask = relayout(&mask, KINDS[mkind], 1);
        let out = x.masked_select(&mask).unwrap();
        let (xr, mr) = (Nd::of(&x), Nd::of(&mask));
        let rank = x.dim().max(mask.dim());
        let shape: Vec<usize> = (0..rank)
            .map(|k| {
                let get = |n: &Nd| if k + n.shape.len() >= rank { n.shape[k + n.shape.len() - rank] } else { 1 };
                get(&xr).max(get(&mr))
            })
            .collect();
        let at = |n: &Nd, ix: &[usize]| {
            let off = rank - n.shape.len();
            let sub: Vec<usize> = n.shape.iter().enumerate().map(|(k, &s)| if s == 1 { 0 } else { ix[k + off] }).collect();
            n.at(&sub)
        };
        let mut data = Vec::new();
        for_each_index(&shape, |ix| if at(&mr, ix) != 0.0 { data.push(at(&xr, ix)) });
        assert_eq!(out.dtype(), x.dtype());
        check(&out, &Nd { shape: vec![data.len()], data });
    }

    #[test]
    fn nonzero_matches_reference(s in spec(0..=4, 0..=3, false), dt in 0usize..5) {
        let dtype = if dt == 4 { DType::Bool } else { dtype_of(dt) };
        let x = s.tensor(dtype);
        let xr = Nd::of(&x);
        let mut data = Vec::new();
        let mut count = 0;
        for_each_index(&xr.shape, |ix| {
            if xr.at(ix) != 0.0 {
                data.extend(ix.iter().map(|&i| i as f64));
                count += 1;
            }
        });
        let out = x.nonzero().unwrap();
        assert_eq!(out.dtype(), DType::I64);
        check(&out, &Nd { shape: vec![count, x.dim()], data });
    }

    #[test]
    fn one_hot_matches_reference(
        shape in prop::collection::vec(1usize..=3, 0..=3),
        picks in prop::collection::vec(0i64..5, 27),
        extra in prop::option::of(0usize..3),
        kind in 0usize..5,
    ) {
        let n: usize = shape.iter().product();
        let x = relayout(&i64s(&picks[..n], &shape), KINDS[kind], 0);
        let xr = Nd::of(&x);
        let max = xr.data.iter().fold(0.0f64, |a, &b| a.max(b)) as usize;
        let classes = extra.map_or(max + 1, |e| max + 1 + e);
        let out = x.one_hot(extra.map(|_| classes)).unwrap();
        let mut oshape = shape.clone();
        oshape.push(classes);
        let want = Nd::from_fn(&oshape, |ix| (xr.at(&ix[..ix.len() - 1]) as usize == ix[ix.len() - 1]) as u8 as f64);
        assert_eq!(out.dtype(), DType::I64);
        check(&out, &want);
    }
}

// ---------------------------------------------------------------------------------------------
// sort, argsort, topk

/// The stable order of `torch.sort`: NaN largest.
fn torch_order(a: f64, b: f64) -> std::cmp::Ordering {
    a.partial_cmp(&b).unwrap_or_else(|| a.is_nan().cmp(&b.is_nan()))
}

/// Reference sort along `d`: (values, indices), stable.
fn sort_ref(x: &Nd, d: usize, descending: bool) -> (Nd, Nd) {
    let mut vals = x.clone();
    let mut idx = Nd { shape: x.shape.clone(), data: vec![0.0; x.data.len()] };
    let mut outer = x.shape.clone();
    outer[d] = 1;
    for_each_index(&outer, |base| {
        let mut line: Vec<(f64, usize)> = (0..x.shape[d])
            .map(|j| {
                let mut ix = base.to_vec();
                ix[d] = j;
                (x.at(&ix), j)
            })
            .collect();
        if descending {
            line.sort_by(|a, b| torch_order(b.0, a.0));
        } else {
            line.sort_by(|a, b| torch_order(a.0, b.0));
        }
        for (j, (v, i)) in line.into_iter().enumerate() {
            let mut ix = base.to_vec();
            ix[d] = j;
            vals.set(&ix, v);
            idx.set(&ix, i as f64);
        }
    });
    (vals, idx)
}

fn narrow_ref(x: &Nd, d: usize, k: usize) -> Nd {
    let mut shape = x.shape.clone();
    shape[d] = k;
    Nd::from_fn(&shape, |ix| x.at(ix))
}

proptest! {
    #![proptest_config(config(0x5027))]

    #[test]
    fn sort_and_argsort_match_reference(
        s in spec(1..=3, 0..=6, false),
        dim in 0usize..3,
        descending in any::<bool>(),
        dt in 0usize..4,
    ) {
        let x = s.tensor_with(dtype_of(dt), true);
        let d = dim % x.dim();
        let (v, i) = x.sort(d as isize - x.dim() as isize, descending).unwrap();
        let (wv, wi) = sort_ref(&Nd::of(&x), d, descending);
        assert_eq!((v.dtype(), i.dtype()), (x.dtype(), DType::I64));
        check(&v, &wv);
        check(&i, &wi);
        check(&x.argsort(d as isize, descending).unwrap(), &wi);
    }

    #[test]
    fn topk_matches_reference(
        s in spec(1..=3, 1..=6, false),
        dim in 0usize..3,
        kpick in any::<u64>(),
        largest in any::<bool>(),
        dt in 0usize..4,
    ) {
        let x = s.tensor_with(dtype_of(dt), true);
        let d = dim % x.dim();
        let k = (kpick % (x.size()[d] as u64 + 1)) as usize;
        let (v, i) = x.topk(k, d as isize, largest, true).unwrap();
        let (wv, wi) = sort_ref(&Nd::of(&x), d, largest);
        check(&v, &narrow_ref(&wv, d, k));
        check(&i, &narrow_ref(&wi, d, k));
        check(&x.gather(d as isize, &i).unwrap(), &narrow_ref(&wv, d, k));
    }
}

// ---------------------------------------------------------------------------------------------
// PyTorch-derived literals

#[test]
fn index_select_literals() {
    // x = torch.arange(6.).reshape(2, 3); x.index_select(1, torch.tensor(1)) -> [[1.], [4.]]
    let x = f32s(&[0., 1., 2., 3., 4., 5.], &[2, 3]);
    let r = x.index_select(1, &Tensor::new(1i64, &Device::Cpu).unwrap()).unwrap();
    assert_eq!(r.to_vec2::<f32>().unwrap(), [[1.], [4.]]);
    // torch.index_select(torch.tensor(5.), 0, torch.tensor([0])) -> tensor(5.)
    let r = Tensor::new(5f32, &Device::Cpu).unwrap().index_select(0, &i64s(&[0], &[1])).unwrap();
    assert_eq!((r.dim(), r.item::<f32>().unwrap()), (0, 5.0));
    // Embedding-style lookup through an int32 index: weight.index_select(0, [2, 0, 2])
    let r = x.t().unwrap().index_select(0, &Tensor::new([2i32, 0, 2], &Device::Cpu).unwrap()).unwrap();
    assert_eq!(r.to_vec2::<f32>().unwrap(), [[2., 5.], [0., 3.], [2., 5.]]);
}

#[test]
fn gather_scatter_index_add_literals() {
    let x = f32s(&[0., 1., 2., 3., 4., 5.], &[2, 3]);
    // torch.gather(x, 1, torch.tensor([[0, 1, 1, 0, 2]])) -> [[0., 1., 1., 0., 2.]]
    let g = x.gather(1, &i64s(&[0, 1, 1, 0, 2], &[1, 5])).unwrap();
    assert_eq!(g.to_vec2::<f32>().unwrap(), [[0., 1., 1., 0., 2.]]);
    // torch.gather(torch.tensor(3.), 0, torch.tensor([0, 0])) -> [3., 3.]
    let g = Tensor::new(3f32, &Device::Cpu).unwrap().gather(0, &i64s(&[0, 0], &[2])).unwrap();
    assert_eq!(g.to_vec::<f32>().unwrap(), [3., 3.]);
    // x.clone().scatter_(1, torch.tensor([[0, 1]]), 7.5) -> [[7.5, 7.5, 2.], [3., 4., 5.]]
    let s = x.scatter_value(1, &i64s(&[0, 1], &[1, 2]), 7.5).unwrap();
    assert_eq!(s.to_vec2::<f32>().unwrap(), [[7.5, 7.5, 2.], [3., 4., 5.]]);
    // x.clone().scatter_add_(1, torch.tensor([[0, 0, 0]]), torch.ones(2, 3)) -> [[3., 1., 2.], [3., 4., 5.]]
    let s = x.scatter_add(1, &i64s(&[0, 0, 0], &[1, 3]), &Tensor::ones([2, 3], DType::F32, &Device::Cpu).unwrap());
    assert_eq!(s.unwrap().to_vec2::<f32>().unwrap(), [[3., 1., 2.], [3., 4., 5.]]);
    // x.clone().index_add_(1, torch.tensor([0, 2]), torch.ones(2, 2), alpha=2) -> [[2., 1., 4.], [5., 4., 7.]]
    let ones = Tensor::ones([2, 2], DType::F32, &Device::Cpu).unwrap();
    let a = x.index_add_scaled(1, &i64s(&[0, 2], &[2]), &ones, 2).unwrap();
    assert_eq!(a.to_vec2::<f32>().unwrap(), [[2., 1., 4.], [5., 4., 7.]]);
    // torch.arange(6).reshape(2, 3).index_add_(1, torch.tensor([0, 2]), torch.ones(2, 2, dtype=torch.long), alpha=2)
    //   -> [[2, 1, 4], [5, 4, 7]]
    let xi = Tensor::arange(0, 6, 1, &Device::Cpu).unwrap().reshape(&[2, 3]).unwrap();
    let a = xi.index_add_scaled(1, &i64s(&[0, 2], &[2]), &ones.to_dtype(DType::I64).unwrap(), 2).unwrap();
    assert_eq!(a.to_vec2::<i64>().unwrap(), [[2, 1, 4], [5, 4, 7]]);
}

#[test]
fn masked_select_nonzero_one_hot_literals() {
    let x = f32s(&[0., 1., 2., 3., 4., 5.], &[2, 3]);
    // torch.masked_select(x, torch.tensor([True, False, True])) -> [0., 2., 3., 5.]
    let m = Tensor::new([true, false, true], &Device::Cpu).unwrap();
    assert_eq!(x.masked_select(&m).unwrap().to_vec::<f32>().unwrap(), [0., 2., 3., 5.]);
    // torch.nonzero(torch.tensor([[0, 1.], [float('nan'), 0]])) -> [[0, 1], [1, 0]]
    let n = f32s(&[0., 1., f32::NAN, 0.], &[2, 2]).nonzero().unwrap();
    assert_eq!(n.to_vec2::<i64>().unwrap(), [[0, 1], [1, 0]]);
    // torch.nonzero(torch.tensor(3.)) -> size (1, 0); torch.nonzero(torch.tensor(0.)) -> size (0, 0)
    assert_eq!(Tensor::new(3f32, &Device::Cpu).unwrap().nonzero().unwrap().size(), [1, 0]);
    assert_eq!(Tensor::new(0f32, &Device::Cpu).unwrap().nonzero().unwrap().size(), [0, 0]);
    // torch.nonzero(torch.zeros(2, 0)) -> size (0, 2)
    assert_eq!(Tensor::zeros([2, 0], DType::F32, &Device::Cpu).unwrap().nonzero().unwrap().size(), [0, 2]);
    // F.one_hot(torch.tensor([0, 2, 1])) -> [[1, 0, 0], [0, 0, 1], [0, 1, 0]]
    let c = i64s(&[0, 2, 1], &[3]);
    assert_eq!(c.one_hot(None).unwrap().to_vec2::<i64>().unwrap(), [[1, 0, 0], [0, 0, 1], [0, 1, 0]]);
    // F.one_hot(torch.tensor([0, 2, 1]), 5) -> [[1,0,0,0,0], [0,0,1,0,0], [0,1,0,0,0]]
    let o = c.one_hot(Some(5)).unwrap();
    assert_eq!(o.to_vec2::<i64>().unwrap(), [[1, 0, 0, 0, 0], [0, 0, 1, 0, 0], [0, 1, 0, 0, 0]]);
    // F.one_hot(torch.tensor(2), 4) -> [0, 0, 1, 0]
    assert_eq!(
        Tensor::new(2i64, &Device::Cpu).unwrap().one_hot(Some(4)).unwrap().to_vec::<i64>().unwrap(),
        [0, 0, 1, 0]
    );
}

#[test]
fn sort_topk_literals() {
    let nan = f32::NAN;
    let x = f32s(&[3., nan, 1., nan, -0., 0., 2.], &[7]);
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
    let (v, i) = Tensor::new([true, false, true], &Device::Cpu).unwrap().sort(0, false).unwrap();
    assert_eq!((v.to_vec::<bool>().unwrap(), i.to_vec::<i64>().unwrap()), (vec![false, true, true], vec![1, 0, 2]));
    // torch.topk(torch.tensor([3., nan, 1., 5., 2.]), 2) -> values [nan, 5.], indices [1, 3]
    let y = f32s(&[3., nan, 1., 5., 2.], &[5]);
    let (v, i) = y.topk(2, 0, true, true).unwrap();
    assert!(v.to_vec::<f32>().unwrap()[0].is_nan());
    assert_eq!(i.to_vec::<i64>().unwrap(), [1, 3]);
    // torch.topk(..., 2, largest=False) -> values [1., 2.], indices [2, 4]
    let (v, i) = y.topk(2, 0, false, true).unwrap();
    assert_eq!((v.to_vec::<f32>().unwrap(), i.to_vec::<i64>().unwrap()), (vec![1., 2.], vec![2, 4]));
    // torch.argsort(torch.tensor([[3, 1, 2], [0, 5, 4]]), dim=0, descending=True) -> [[0, 1, 1], [1, 0, 0]]
    let a = i64s(&[3, 1, 2, 0, 5, 4], &[2, 3]).argsort(0, true).unwrap();
    assert_eq!(a.to_vec2::<i64>().unwrap(), [[0, 1, 1], [1, 0, 0]]);
    // torch.sort(torch.tensor(3.)) -> (tensor(3.), tensor(0)); torch.topk(torch.tensor(3.), 1) likewise
    let (v, i) = Tensor::new(3f32, &Device::Cpu).unwrap().topk(1, 0, true, true).unwrap();
    assert_eq!((v.dim(), v.item::<f32>().unwrap(), i.item::<i64>().unwrap()), (0, 3.0, 0));
}

#[test]
fn large_inputs_take_the_parallel_paths() {
    // Enough elements to cross the kernels' threading threshold; compared with the small path.
    let n = 1 << 16;
    let vals: Vec<f32> = (0..n).map(|i| ((i * 7919) % 1000) as f32).collect();
    let x = Tensor::from_vec(vals.clone(), [n]).unwrap();
    let (v, i) = x.sort(0, false).unwrap();
    let mut want: Vec<(f32, i64)> = vals.iter().copied().zip(0..).collect();
    want.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap());
    assert_eq!(v.to_vec::<f32>().unwrap(), want.iter().map(|p| p.0).collect::<Vec<_>>());
    assert_eq!(i.to_vec::<i64>().unwrap(), want.iter().map(|p| p.1).collect::<Vec<_>>());
    let m = x.reshape(&[256, 256]).unwrap().t().unwrap();
    let (v2, _) = m.sort(1, true).unwrap();
    let (v3, _) = m.contiguous().unwrap().sort(1, true).unwrap();
    assert_eq!(v2.to_vec::<f32>().unwrap(), v3.to_vec::<f32>().unwrap());
    let ids = Tensor::from_vec((0..1024i64).map(|i| (i * 31) % 256).collect::<Vec<_>>(), [1024]).unwrap();
    let rows = m.index_select(0, &ids).unwrap();
    assert_eq!(rows.size(), [1024, 256]);
    assert_eq!(rows.select(0, 1).unwrap().to_vec::<f32>().unwrap(), m.select(0, 31).unwrap().to_vec::<f32>().unwrap());
}

#[test]
fn aliasing_sources_are_read_before_writing() {
    // Scatter a tensor into itself: the result is that of scattering a copy, as PyTorch's.
    let mut x = f32s(&[1., 2., 3., 4.], &[4]);
    let src = x.shallow_clone();
    x.scatter_(0, &i64s(&[3, 2, 1, 0], &[4]), &src).unwrap();
    assert_eq!(x.to_vec::<f32>().unwrap(), [4., 3., 2., 1.]);
    let mut y = f32s(&[1., 2., 3., 4.], &[4]);
    let view = y.narrow(0, 0, 2).unwrap();
    y.index_add_(0, &i64s(&[2, 3], &[2]), &view).unwrap();
    assert_eq!(y.to_vec::<f32>().unwrap(), [1., 2., 4., 6.]);
    // An index that lives in the written storage (int64 data scattered by itself).
    let mut z = i64s(&[1, 0, 2], &[3]);
    let zi = z.shallow_clone();
    z.scatter_value_(0, &zi, 9).unwrap();
    assert_eq!(z.to_vec::<i64>().unwrap(), [9, 9, 9]);
}

// ---------------------------------------------------------------------------------------------
// Errors: each names the op; messages follow PyTorch's.

#[test]
fn index_errors() {
    let x = f32s(&[0., 1., 2., 3., 4., 5.], &[2, 3]);
    let dev = Device::Cpu;
    // torch.index_select(x, 1, torch.tensor([3])) -> out of range
    expect_err(
        x.index_select(1, &i64s(&[3], &[1])),
        "index_select",
        ErrorKind::Index,
        "index 3 is out of bounds for dimension 1 with size 3",
    );
    expect_err(x.index_select(1, &i64s(&[-1], &[1])), "index_select", ErrorKind::Index, "index -1");
    expect_err(
        x.index_select(1, &i64s(&[0], &[1, 1])),
        "index_select",
        ErrorKind::Index,
        "Index is supposed to be a vector",
    );
    expect_err(
        x.index_select(1, &f32s(&[0.], &[1])),
        "index_select",
        ErrorKind::DType,
        "Expected dtype int32 or int64 for index",
    );
    expect_err(x.index_select(2, &i64s(&[0], &[1])), "index_select", ErrorKind::Dim, "dimension out of range");
    // torch.gather(x, 1, torch.tensor([[0, 3]])) -> index 3 is out of bounds for dimension 1 with size 3
    expect_err(
        x.gather(1, &i64s(&[0, 3], &[1, 2])),
        "gather",
        ErrorKind::Index,
        "index 3 is out of bounds for dimension 1 with size 3",
    );
    expect_err(x.gather(1, &i64s(&[0, 1], &[2])), "gather", ErrorKind::Shape, "same number of dimensions");
    expect_err(
        x.gather(1, &i64s(&[0, 1, 2], &[3, 1])),
        "gather",
        ErrorKind::Shape,
        "Size does not match at dimension 0",
    );
    expect_err(x.gather(1, &f32s(&[0.], &[1, 1])), "gather", ErrorKind::DType, "index");
    // x.clone().scatter_(1, torch.tensor([[0, 3]]), torch.ones(1, 2)) -> index 3 is out of bounds ...
    let ones = Tensor::ones([1, 2], DType::F32, &dev).unwrap();
    expect_err(x.scatter(1, &i64s(&[0, 3], &[1, 2]), &ones), "scatter", ErrorKind::Index, "index 3 is out of bounds");
    expect_err(
        x.scatter(1, &i64s(&[0, 1], &[1, 2]), &ones.to_dtype(DType::F64).unwrap()),
        "scatter",
        ErrorKind::DType,
        "Expected self.dtype to be equal to src.dtype",
    );
    expect_err(
        x.scatter(1, &i64s(&[0, 1, 2, 0], &[1, 4]), &ones),
        "scatter",
        ErrorKind::Shape,
        "to be no larger than self",
    );
    expect_err(
        x.scatter_add(1, &i64s(&[0, 1], &[2]), &ones),
        "scatter_add",
        ErrorKind::Shape,
        "same number of dimensions",
    );
    let mut e = Tensor::zeros([3], DType::F32, &dev).unwrap().unsqueeze(0).unwrap().expand(&[2, 3]).unwrap();
    expect_err(e.scatter_(1, &i64s(&[0], &[1, 1]), &ones), "scatter", ErrorKind::Value, "more than one element");
    // The destination is untouched by a failed scatter.
    let mut y = x.try_clone().unwrap();
    expect_err(y.scatter_(1, &i64s(&[0, 3], &[1, 2]), &ones), "scatter", ErrorKind::Index, "out of bounds");
    assert_eq!(y.to_vec::<f32>().unwrap(), x.to_vec::<f32>().unwrap());
    // x.clone().index_add_(1, torch.tensor([0, 3]), torch.ones(2, 2)) -> index 3 is out of bounds ...
    let ones2 = Tensor::ones([2, 2], DType::F32, &dev).unwrap();
    expect_err(x.index_add(1, &i64s(&[0, 3], &[2]), &ones2), "index_add", ErrorKind::Index, "index 3 is out of bounds");
    expect_err(
        x.index_add(1, &i64s(&[0, 2, 1], &[3]), &ones2),
        "index_add",
        ErrorKind::Shape,
        "Number of indices (3) should be equal to source.size(dim): (2)",
    );
    expect_err(
        x.index_add(1, &i64s(&[0, 2], &[2]), &Tensor::ones([3, 2], DType::F32, &dev).unwrap()),
        "index_add",
        ErrorKind::Shape,
        "source tensor shape must match self tensor shape",
    );
    expect_err(
        x.index_add(1, &i64s(&[0, 2], &[2]), &ones2.to_dtype(DType::F64).unwrap()),
        "index_add",
        ErrorKind::DType,
        "must have the same scalar type",
    );
    expect_err(
        x.index_add(1, &f32s(&[0., 2.], &[2]), &ones2),
        "index_add",
        ErrorKind::DType,
        "Expected dtype int32 or int64",
    );
    let xi = x.to_dtype(DType::I64).unwrap();
    expect_err(
        xi.index_add_scaled(1, &i64s(&[0, 2], &[2]), &ones2.to_dtype(DType::I64).unwrap(), 0.5),
        "index_add",
        ErrorKind::Value,
        "alpha",
    );
    // torch.masked_select(x, torch.tensor([1, 0, 1])) -> expected BoolTensor for mask
    expect_err(
        x.masked_select(&i64s(&[1, 0, 1], &[3])),
        "masked_select",
        ErrorKind::DType,
        "expected BoolTensor for mask",
    );
    expect_err(
        x.masked_select(&Tensor::new([true, false], &dev).unwrap()),
        "masked_select",
        ErrorKind::Shape,
        "must match",
    );
    // F.one_hot errors
    let c = i64s(&[0, 2, 1], &[3]);
    expect_err(c.one_hot(Some(2)), "one_hot", ErrorKind::Index, "Class values must be smaller than num_classes");
    expect_err(
        i64s(&[0, -2, 1], &[3]).one_hot(Some(3)),
        "one_hot",
        ErrorKind::Index,
        "Class values must be non-negative",
    );
    expect_err(c.to_dtype(DType::I32).unwrap().one_hot(Some(3)), "one_hot", ErrorKind::DType, "LongTensor");
    expect_err(
        i64s(&[], &[0]).one_hot(None),
        "one_hot",
        ErrorKind::Value,
        "Can not infer total number of classes from empty tensor",
    );
    assert_eq!(i64s(&[], &[0]).one_hot(Some(3)).unwrap().size(), [0, 3]);
}

#[test]
fn sort_errors() {
    let x = i64s(&[1, 2], &[2]);
    // torch.sort(torch.tensor([1, 2]), dim=2) -> Dimension out of range
    expect_err(x.sort(2, false), "sort", ErrorKind::Dim, "dimension out of range");
    // torch.topk(torch.tensor([3., 1.]), 3) -> selected index k out of range
    expect_err(f32s(&[3., 1.], &[2]).topk(3, 0, true, true), "topk", ErrorKind::Index, "selected index k out of range");
    expect_err(
        Tensor::new(3f32, &Device::Cpu).unwrap().topk(2, 0, true, true),
        "topk",
        ErrorKind::Index,
        "selected index k out of range",
    );
    expect_err(x.argsort(-2, false), "sort", ErrorKind::Dim, "dimension out of range");
}
