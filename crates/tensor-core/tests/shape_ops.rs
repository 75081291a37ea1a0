//! Shape-building ops (`cat`, `stack`, `flip`, `roll`, `repeat`, `tril`, `triu`, `pad`) against
//! naive references over `Vec<f64>` (proptest, deterministic seeds, non-contiguous inputs),
//! PyTorch-derived literals, and the error cases.
//!
//! Literal expectations come from PyTorch 2.x (CPU); the snippet is quoted beside each.

use proptest::prelude::*;
use proptest::test_runner::{RngAlgorithm, RngSeed};
use tensor_core::cpu::CpuStorage;
use tensor_core::ops::shape::PadMode;
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

fn dtype_of(i: usize) -> DType {
    [DType::F32, DType::F64, DType::I64, DType::I32][i % 4]
}

fn f32s(v: &[f32], shape: &[usize]) -> Tensor {
    Tensor::from_vec(v.to_vec(), shape.to_vec()).unwrap()
}

fn i64s(v: &[i64], shape: &[usize]) -> Tensor {
    Tensor::from_vec(v.to_vec(), shape.to_vec()).unwrap()
}

/// `dim` as given to the op: sometimes counted from the end.
fn user_dim(d: usize, rank: usize, neg: bool) -> isize {
    if neg {
        d as isize - rank as isize
    } else {
        d as isize
    }
}

// ---------------------------------------------------------------------------------------------
// cat, stack

proptest! {
    #![proptest_config(config(0xca7))]

    #[test]
    fn cat_matches_reference(
        base in prop::collection::vec(0usize..=3, 1..=3),
        dim in 0usize..3,
        neg in any::<bool>(),
        parts in prop::collection::vec((0usize..=3, 0usize..4, 0usize..5, any::<u64>(), any::<bool>()), 1..=4),
    ) {
        let d = dim % base.len();
        let tensors: Vec<Tensor> = parts
            .iter()
            .map(|&(n, dt, k, seed, legacy)| {
                if legacy && n == 0 {
                    // A 1-d empty tensor, skipped whatever its shape (PyTorch's legacy rule).
                    return Tensor::zeros([0], dtype_of(dt), &Device::Cpu).unwrap();
                }
                let mut shape = base.clone();
                shape[d] = n;
                Spec { shape, kind: KINDS[k], axis: d + 1, seed }.tensor(dtype_of(dt))
            })
            .collect();
        let refs: Vec<&Tensor> = tensors.iter().collect();
        let out = Tensor::cat(&refs, user_dim(d, base.len(), neg)).unwrap();
        assert_eq!(out.dtype(), refs.iter().map(|t| t.dtype()).reduce(DType::promote).unwrap());
        let kept: Vec<Nd> = tensors.iter().filter(|t| t.size() != [0]).map(Nd::of).collect();
        if kept.is_empty() {
            assert_eq!(out.size(), [0]);
            return Ok(());
        }
        let mut shape = base.clone();
        shape[d] = kept.iter().map(|p| p.shape[d]).sum();
        let want = Nd::from_fn(&shape, |ix| {
            let mut at = ix.to_vec();
            for p in &kept {
                if at[d] < p.shape[d] {
                    return p.at(&at);
                }
                at[d] -= p.shape[d];
            }
            unreachable!()
        });
        check(&out, &want);
    }

    #[test]
    fn stack_matches_reference(
        shape in prop::collection::vec(0usize..=3, 0..=3),
        dim in 0usize..4,
        neg in any::<bool>(),
        parts in prop::collection::vec((0usize..4, 0usize..5, any::<u64>()), 1..=4),
    ) {
        let d = dim % (shape.len() + 1);
        let tensors: Vec<Tensor> = parts
            .iter()
            .map(|&(dt, k, seed)| Spec { shape: shape.clone(), kind: KINDS[k], axis: d, seed }.tensor(dtype_of(dt)))
            .collect();
        let refs: Vec<&Tensor> = tensors.iter().collect();
        let out = Tensor::stack(&refs, user_dim(d, shape.len() + 1, neg)).unwrap();
        assert_eq!(out.dtype(), refs.iter().map(|t| t.dtype()).reduce(DType::promote).unwrap());
        let pieces: Vec<Nd> = tensors.iter().map(Nd::of).collect();
        let mut oshape = shape.clone();
        oshape.insert(d, pieces.len());
        let want = Nd::from_fn(&oshape, |ix| {
            let mut at = ix.to_vec();
            let which = at.remove(d);
            pieces[which].at(&at)
        });
        check(&out, &want);
    }
}

// ---------------------------------------------------------------------------------------------
// flip, roll, repeat

proptest! {
    #![proptest_config(config(0xf11b))]

    #[test]
    fn flip_matches_reference(
        s in spec(0..=4, 0..=4, false),
        flags in prop::collection::vec(any::<bool>(), 4),
        neg in any::<bool>(),
        dt in 0usize..4,
    ) {
        let x = s.tensor(dtype_of(dt));
        let rank = x.dim();
        let dims: Vec<usize> = (0..rank).filter(|&k| flags[k]).collect();
        let user: Vec<isize> = dims.iter().map(|&k| user_dim(k, rank, neg)).collect();
        let out = x.flip(&user).unwrap();
        assert!(!out.shares_storage(&x));
        let xr = Nd::of(&x);
        let want = Nd::from_fn(x.size(), |ix| {
            let src: Vec<usize> = ix.iter().enumerate().map(|(k, &i)| if dims.contains(&k) { xr.shape[k] - 1 - i } else { i }).collect();
            xr.at(&src)
        });
        check(&out, &want);
    }

    #[test]
    fn roll_matches_reference(
        s in spec(1..=3, 0..=4, false),
        moves in prop::collection::vec((0usize..3, -9isize..=9), 0..=3),
        flat_shift in -9isize..=9,
        neg in any::<bool>(),
    ) {
        let x = s.tensor(DType::F64);
        let rank = x.dim();
        let xr = Nd::of(&x);
        if moves.is_empty() {
            // Flattened roll: out[i] = x[(i - shift) mod n], in the original shape.
            let out = x.roll(&[flat_shift], &[]).unwrap();
            let n = xr.data.len() as isize;
            let data = (0..n).map(|i| xr.data[(i - flat_shift).rem_euclid(n.max(1)) as usize]).collect();
            check(&out, &Nd { shape: xr.shape.clone(), data });
            return Ok(());
        }
        let dims: Vec<isize> = moves.iter().map(|&(d, _)| user_dim(d % rank, rank, neg)).collect();
        let shifts: Vec<isize> = moves.iter().map(|&(_, s)| s).collect();
        let out = x.roll(&shifts, &dims).unwrap();
        let mut total = vec![0isize; rank];
        for &(d, s) in &moves {
            total[d % rank] += s;
        }
        let want = Nd::from_fn(x.size(), |ix| {
            let src: Vec<usize> =
                ix.iter().enumerate().map(|(k, &i)| (i as isize - total[k]).rem_euclid(xr.shape[k] as isize) as usize).collect();
            xr.at(&src)
        });
        check(&out, &want);
    }

    #[test]
    fn repeat_matches_reference(
        s in spec(0..=3, 0..=3, false),
        lead in 0usize..=2,
        reps in prop::collection::vec(0usize..=3, 5),
        dt in 0usize..4,
    ) {
        let x = s.tensor(dtype_of(dt));
        let repeats = &reps[..x.dim() + lead];
        let out = x.repeat(repeats).unwrap();
        let xr = Nd::of(&x);
        let mut padded = vec![1; lead];
        padded.extend_from_slice(x.size());
        let shape: Vec<usize> = repeats.iter().zip(&padded).map(|(r, s)| r * s).collect();
        let want = Nd::from_fn(&shape, |ix| {
            let src: Vec<usize> = (lead..ix.len()).map(|k| ix[k] % padded[k]).collect();
            xr.at(&src)
        });
        assert_eq!(out.dtype(), x.dtype());
        check(&out, &want);
    }
}

// ---------------------------------------------------------------------------------------------
// tril, triu, pad

proptest! {
    #![proptest_config(config(0x7a1d))]

    #[test]
    fn tril_triu_match_reference(
        s in spec(2..=4, 0..=5, false),
        diagonal in -6isize..=6,
        dt in 0usize..5,
    ) {
        let dtype = if dt == 4 { DType::Bool } else { dtype_of(dt) };
        let x = s.tensor(dtype);
        let xr = Nd::of(&x);
        let r = x.dim();
        let keep = |ix: &[usize], lower: bool| {
            let off = ix[r - 1] as isize - ix[r - 2] as isize;
            if lower { off <= diagonal } else { off >= diagonal }
        };
        let lo = x.tril(diagonal).unwrap();
        let up = x.triu(diagonal).unwrap();
        assert_eq!((lo.dtype(), up.dtype()), (dtype, dtype));
        check(&lo, &Nd::from_fn(x.size(), |ix| if keep(ix, true) { xr.at(ix) } else { 0.0 }));
        check(&up, &Nd::from_fn(x.size(), |ix| if keep(ix, false) { xr.at(ix) } else { 0.0 }));
    }

    #[test]
    fn constant_pad_matches_reference(
        s in spec(1..=4, 0..=3, false),
        k in 0usize..=4,
        pads in prop::collection::vec(0usize..=3, 8),
        value in prop::sample::select(vec![0.0, -1.5, 7.0]),
        dt in 0usize..4,
    ) {
        let dtype = dtype_of(dt);
        let x = s.tensor(dtype);
        let rank = x.dim();
        let k = k.min(rank);
        let pads = &pads[..2 * k];
        let out = x.pad(pads, PadMode::Constant(value)).unwrap();
        let xr = Nd::of(&x);
        let fill = if dtype.is_float() { value } else { value.trunc() };
        let before = |d: usize| if d + k >= rank { pads[2 * (rank - 1 - d)] } else { 0 };
        let after = |d: usize| if d + k >= rank { pads[2 * (rank - 1 - d) + 1] } else { 0 };
        let shape: Vec<usize> = (0..rank).map(|d| xr.shape[d] + before(d) + after(d)).collect();
        let want = Nd::from_fn(&shape, |ix| {
            let src: Option<Vec<usize>> = (0..rank)
                .map(|d| ix[d].checked_sub(before(d)).filter(|&i| i < xr.shape[d]))
                .collect();
            src.map_or(fill, |s| xr.at(&s))
        });
        check(&out, &want);
    }

    #[test]
    fn reflect_and_replicate_pad_match_reference(
        s in spec(5..=5, 1..=4, false),
        k in 1usize..=3,
        batch in any::<bool>(),
        pads in prop::collection::vec(0usize..=4, 6),
        reflect in any::<bool>(),
        dt in 0usize..4,
    ) {
        // Inputs of rank k + 1 (no batch dim) or k + 2, cut from the random 4-d/5-d spec.
        let rank = k + 1 + batch as usize;
        let mut shape = s.shape[5 - rank..].to_vec();
        if batch && shape[0] > 2 {
            shape[0] = 0;
        }
        let x = Spec { shape, kind: s.kind, axis: s.axis, seed: s.seed }.tensor(dtype_of(dt));
        let pads: Vec<usize> = (0..2 * k)
            .map(|i| {
                let n = x.size()[rank - 1 - i / 2];
                if reflect { pads[i] % n } else { pads[i] }
            })
            .collect();
        let mode = if reflect { PadMode::Reflect } else { PadMode::Replicate };
        let out = x.pad(&pads, mode).unwrap();
        let xr = Nd::of(&x);
        let before = |d: usize| if d + k >= rank { pads[2 * (rank - 1 - d)] } else { 0 };
        let after = |d: usize| if d + k >= rank { pads[2 * (rank - 1 - d) + 1] } else { 0 };
        let shape: Vec<usize> = (0..rank).map(|d| xr.shape[d] + before(d) + after(d)).collect();
        let want = Nd::from_fn(&shape, |ix| {
            let src: Vec<usize> = (0..rank)
                .map(|d| {
                    let (j, n) = (ix[d] as isize - before(d) as isize, xr.shape[d] as isize);
                    let j = if !reflect {
                        j.clamp(0, n - 1)
                    } else if j < 0 {
                        -j
                    } else if j >= n {
                        2 * (n - 1) - j
                    } else {
                        j
                    };
                    j as usize
                })
                .collect();
            xr.at(&src)
        });
        check(&out, &want);
    }
}

// ---------------------------------------------------------------------------------------------
// PyTorch-derived literals

#[test]
fn cat_stack_literals() {
    let dev = Device::Cpu;
    let a = Tensor::ones([2, 3], DType::F32, &dev).unwrap();
    let b = Tensor::zeros([3, 3], DType::F64, &dev).unwrap();
    // torch.cat([torch.ones(2, 3), torch.zeros(3, 3, dtype=torch.float64)], 0) -> float64, 5 rows
    let c = Tensor::cat(&[&a, &b], 0).unwrap();
    assert_eq!((c.size(), c.dtype()), (&[5usize, 3][..], DType::F64));
    assert_eq!(c.sum().unwrap().item::<f64>().unwrap(), 6.0);
    // torch.cat([torch.tensor([], dtype=torch.float64), a.int()], 1) -> float64 ones of shape [2, 3]
    let e = Tensor::zeros([0], DType::F64, &dev).unwrap();
    let c = Tensor::cat(&[&e, &a.to_dtype(DType::I32).unwrap()], 1).unwrap();
    assert_eq!((c.size(), c.dtype()), (&[2usize, 3][..], DType::F64));
    // torch.cat([a.bool(), torch.ones(2, 3, dtype=torch.uint8)], 1).dtype -> torch.uint8
    let u = Tensor::ones([2, 3], DType::U8, &dev).unwrap();
    assert_eq!(Tensor::cat(&[&a.to_dtype(DType::Bool).unwrap(), &u], 1).unwrap().dtype(), DType::U8);
    // torch.stack([torch.tensor(1.), torch.tensor(2)]) -> tensor([1., 2.])
    let (p, q) = (Tensor::new(1f32, &dev).unwrap(), Tensor::new(2i64, &dev).unwrap());
    let st = Tensor::stack(&[&p, &q], 0).unwrap();
    assert_eq!((st.dtype(), st.to_vec::<f32>().unwrap()), (DType::F32, vec![1., 2.]));
    // torch.stack([a, a.double()], 2).dtype -> torch.float64, shape [2, 3, 2]
    let st = Tensor::stack(&[&a, &a.to_dtype(DType::F64).unwrap()], 2).unwrap();
    assert_eq!((st.size(), st.dtype()), (&[2usize, 3, 2][..], DType::F64));
}

#[test]
fn flip_roll_repeat_tri_literals() {
    let x = i64s(&[0, 1, 2, 3, 4, 5], &[2, 3]);
    // torch.flip(x, [0, 1]) -> [[5, 4, 3], [2, 1, 0]]
    assert_eq!(x.flip(&[0, 1]).unwrap().to_vec2::<i64>().unwrap(), [[5, 4, 3], [2, 1, 0]]);
    // torch.roll(x, 1) -> [[5, 0, 1], [2, 3, 4]]
    assert_eq!(x.roll(&[1], &[]).unwrap().to_vec2::<i64>().unwrap(), [[5, 0, 1], [2, 3, 4]]);
    // torch.roll(x, (1, -4), (0, 1)) -> [[4, 5, 3], [1, 2, 0]]
    assert_eq!(x.roll(&[1, -4], &[0, 1]).unwrap().to_vec2::<i64>().unwrap(), [[4, 5, 3], [1, 2, 0]]);
    // torch.roll(torch.tensor(3.), 1) -> tensor(3.)
    assert_eq!(Tensor::new(3f32, &Device::Cpu).unwrap().roll(&[1], &[]).unwrap().item::<f32>().unwrap(), 3.0);
    // x.repeat(2, 1, 2) -> shape [2, 2, 6], rows [0, 1, 2, 0, 1, 2] / [3, 4, 5, 3, 4, 5]
    let r = x.repeat(&[2, 1, 2]).unwrap();
    assert_eq!(r.size(), [2, 2, 6]);
    assert_eq!(r.select(0, 1).unwrap().to_vec2::<i64>().unwrap(), [[0, 1, 2, 0, 1, 2], [3, 4, 5, 3, 4, 5]]);
    // x.repeat(0, 2) -> size (0, 6); torch.tensor(3.).repeat(2) -> [3., 3.]
    assert_eq!(x.repeat(&[0, 2]).unwrap().size(), [0, 6]);
    assert_eq!(Tensor::new(3f32, &Device::Cpu).unwrap().repeat(&[2]).unwrap().to_vec::<f32>().unwrap(), [3., 3.]);
    // torch.tril(torch.ones(3, 4), -1) -> [[0,0,0,0], [1,0,0,0], [1,1,0,0]]
    let o = Tensor::ones([3, 4], DType::F32, &Device::Cpu).unwrap();
    let t = o.tril(-1).unwrap().to_vec2::<f32>().unwrap();
    assert_eq!(t, [[0., 0., 0., 0.], [1., 0., 0., 0.], [1., 1., 0., 0.]]);
    // torch.triu(torch.ones(3, 4), 1) -> [[0,1,1,1], [0,0,1,1], [0,0,0,1]]
    let t = o.triu(1).unwrap().to_vec2::<f32>().unwrap();
    assert_eq!(t, [[0., 1., 1., 1.], [0., 0., 1., 1.], [0., 0., 0., 1.]]);
    // torch.triu(torch.ones(3, 3).bool()) -> bool upper triangle
    let t = Tensor::ones([3, 3], DType::Bool, &Device::Cpu).unwrap().triu(0).unwrap();
    assert_eq!(t.dtype(), DType::Bool);
    assert_eq!(t.to_vec2::<bool>().unwrap(), [[true, true, true], [false, true, true], [false, false, true]]);
}

#[test]
fn pad_literals() {
    let x = f32s(&[0., 1., 2., 3., 4., 5.], &[1, 2, 3]);
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
    let want = [[0., 0., 0., 1., 2., 2., 2., 2.], [0., 0., 0., 1., 2., 2., 2., 2.], [3., 3., 3., 4., 5., 5., 5., 5.]];
    assert_eq!(p.to_vec3::<f32>().unwrap(), [want]);
    // F.pad(torch.arange(3).reshape(1, 3), (1, 1), value=7) -> [[7, 0, 1, 2, 7]]
    let xi = i64s(&[0, 1, 2], &[1, 3]);
    assert_eq!(xi.pad(&[1, 1], PadMode::Constant(7.0)).unwrap().to_vec2::<i64>().unwrap(), [[7, 0, 1, 2, 7]]);
    // F.pad(torch.arange(2), (1, 1), value=2.5) -> [2, 0, 1, 2]
    assert_eq!(
        i64s(&[0, 1], &[2]).pad(&[1, 1], PadMode::Constant(2.5)).unwrap().to_vec::<i64>().unwrap(),
        [2, 0, 1, 2]
    );
    // F.pad(torch.zeros(0, 2, 2), (1, 1), mode='reflect').shape -> [0, 2, 4]
    let z = Tensor::zeros([0, 2, 2], DType::F32, &Device::Cpu).unwrap();
    assert_eq!(z.pad(&[1, 1], PadMode::Reflect).unwrap().size(), [0, 2, 4]);
}

// ---------------------------------------------------------------------------------------------
// Errors: each names the op; messages follow PyTorch's.

#[test]
fn shape_errors() {
    let dev = Device::Cpu;
    let a = Tensor::ones([2, 3], DType::F32, &dev).unwrap();
    let b = Tensor::zeros([3, 3], DType::F64, &dev).unwrap();
    // torch.cat([a, b], 1) -> Sizes of tensors must match except in dimension 1. Expected size 2 but got size 3 ...
    expect_err(
        Tensor::cat(&[&a, &b], 1),
        "cat",
        ErrorKind::Shape,
        "Sizes of tensors must match except in dimension 1. Expected size 2 but got size 3 for tensor number 1 in the list (shapes [2, 3] and [3, 3])",
    );
    let one = Tensor::ones([2], DType::F32, &dev).unwrap();
    expect_err(
        Tensor::cat(&[&a, &one], 0),
        "cat",
        ErrorKind::Shape,
        "Tensors must have same number of dimensions: got 2 and 1",
    );
    let s = Tensor::new(1f32, &dev).unwrap();
    expect_err(
        Tensor::cat(&[&a, &s], 0),
        "cat",
        ErrorKind::Shape,
        "zero-dimensional tensor (at position 1) cannot be concatenated",
    );
    expect_err(Tensor::cat(&[], 0), "cat", ErrorKind::Value, "expected a non-empty list of Tensors");
    expect_err(Tensor::cat(&[&a, &a], 2), "cat", ErrorKind::Dim, "dimension out of range");
    // torch.stack([a, b]) -> stack expects each tensor to be equal size, but got [2, 3] at entry 0 and [3, 3] at entry 1
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
    expect_err(a.roll(&[1, 2], &[]), "roll", ErrorKind::Shape, "shifts and dimensions must align. shifts: 2, dims:0");
    expect_err(a.roll(&[1], &[0, 1]), "roll", ErrorKind::Shape, "shifts and dimensions must align. shifts: 1, dims:2");
    expect_err(a.roll(&[], &[]), "roll", ErrorKind::Value, "`shifts` required");
    expect_err(a.roll(&[1], &[2]), "roll", ErrorKind::Dim, "dimension out of range");
    expect_err(s.roll(&[1], &[0]), "roll", ErrorKind::Dim, "Dimension specified as 0 but tensor has no dimensions");
    // x.repeat(2) -> Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor
    expect_err(a.repeat(&[2]), "repeat", ErrorKind::Shape, "Number of dimensions of repeat dims can not be smaller");
    // torch.tril(torch.ones(3)) -> tril: input tensor must have at least 2 dimensions
    expect_err(one.tril(0), "tril", ErrorKind::Shape, "tril: input tensor must have at least 2 dimensions");
    expect_err(one.triu(0), "triu", ErrorKind::Shape, "triu: input tensor must have at least 2 dimensions");
    let x = Tensor::zeros([1, 2, 3], DType::F32, &dev).unwrap();
    // F.pad(x, (1,)) -> Padding length must be divisible by 2
    expect_err(x.pad(&[1], PadMode::Constant(0.0)), "pad", ErrorKind::Value, "Padding length must be divisible by 2");
    // F.pad(x, (1, 2, 1, 0, 0, 1, 1, 1)) -> Padding length should be less than or equal to two times the input dimension ...
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
    // F.pad(torch.zeros(1, 0, 3), (1, 1), mode='replicate') -> Expected 2D or 3D (batch mode) tensor with possibly 0 batch size ...
    let z = Tensor::zeros([1, 0, 3], DType::F32, &dev).unwrap();
    expect_err(z.pad(&[1, 1], PadMode::Replicate), "pad", ErrorKind::Shape, "Expected 2D or 3D (batch mode) tensor with possibly 0 batch size and other non-zero dimensions for input, but got: [1, 0, 3]");
}
