//! matmul in all of PyTorch's forms (1-d·1-d, 2-d@1-d, 1-d@2-d, batched with broadcasting,
//! transposed and expanded operands), `mm`/`bmm`/`mv`/`dot`/`outer`/`addmm`/`matmul_out`, against
//! a naive triple loop; shape errors. Every test runs on every device (the CPU, and the GPU when
//! one is usable); products of integer-valued floats are exact in any summation order, so those
//! stay exact there.

use crate::common;

use common::*;
use proptest::prelude::*;
use tensor_core::{DType, ErrorKind, Tensor};

/// `torch.matmul` by the book: 1-d operands gain a dim that the result loses, batch dims
/// broadcast, every output element is a plain sum of products in f64.
fn ref_matmul(a: &Ref, b: &Ref) -> Ref {
    let a2 = if a.rank() == 1 { a.unsqueeze(0) } else { a.clone() };
    let b2 = if b.rank() == 1 { b.unsqueeze(1) } else { b.clone() };
    let (ra, rb) = (a2.rank(), b2.rank());
    let (m, k, n) = (a2.shape[ra - 2], a2.shape[ra - 1], b2.shape[rb - 1]);
    assert_eq!(k, b2.shape[rb - 2]);
    let batch = broadcast_shape(&a2.shape[..ra - 2], &b2.shape[..rb - 2]).expect("batch broadcast");
    let mut full_a = batch.clone();
    full_a.extend([m, k]);
    let mut full_b = batch.clone();
    full_b.extend([k, n]);
    let (ea, eb) = (a2.expand(&full_a), b2.expand(&full_b));
    let mut out_shape = batch.clone();
    out_shape.extend([m, n]);
    // Both operands are now contiguous with the full batch: plain index arithmetic.
    let nb = numel(&batch);
    let mut data = vec![0.0; nb * m * n];
    for bi in 0..nb {
        for r in 0..m {
            for c in 0..n {
                data[(bi * m + r) * n + c] =
                    (0..k).map(|p| ea.data[(bi * m + r) * k + p] * eb.data[(bi * k + p) * n + c]).sum();
            }
        }
    }
    let out = Ref::new(&out_shape, data);
    let mut shape = batch;
    if a.rank() > 1 {
        shape.push(m);
    }
    if b.rank() > 1 {
        shape.push(n);
    }
    out.reshape(&shape)
}

fn mm_tol(dtype: DType) -> Tol {
    match dtype {
        DType::F16 | DType::BF16 => tol_for(dtype),
        DType::F32 => Tol { atol: 1e-5, rtol: 1e-6 },
        DType::F64 => Tol { atol: 1e-12, rtol: 1e-12 },
        _ => EXACT,
    }
}

/// Shapes for one matmul form: (a, b).
#[derive(Debug, Clone, Copy)]
enum Form {
    Dot,
    MatVec,
    VecMat,
    MatMat,
    Batched,
    BatchedVec,
    VecBatched,
    BatchedMat,
    MatBatched,
}

const FORMS: [Form; 9] = [
    Form::Dot,
    Form::MatVec,
    Form::VecMat,
    Form::MatMat,
    Form::Batched,
    Form::BatchedVec,
    Form::VecBatched,
    Form::BatchedMat,
    Form::MatBatched,
];

fn shapes(form: Form, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let mut rng = Mix::new(seed);
    let mut dim = || if rng.below(8) == 0 { 0 } else { 1 + rng.below(5) };
    let (m, k, n) = (dim(), dim(), dim());
    let mut rng = Mix::new(seed ^ 0x55);
    let batch: Vec<usize> = (0..1 + rng.below(3)).map(|_| 1 + rng.below(3)).collect();
    // Each side keeps some leading batch dims and turns some to 1 (broadcasting).
    let mut side = |b: &[usize]| -> Vec<usize> {
        let drop = rng.below(b.len() + 1) * (rng.below(2));
        b[drop..].iter().map(|&d| if rng.below(3) == 0 { 1 } else { d }).collect()
    };
    let (ba, bb) = (side(&batch), side(&batch));
    let cat = |mut b: Vec<usize>, tail: &[usize]| {
        b.extend_from_slice(tail);
        b
    };
    match form {
        Form::Dot => (vec![k], vec![k]),
        Form::MatVec => (vec![m, k], vec![k]),
        Form::VecMat => (vec![k], vec![k, n]),
        Form::MatMat => (vec![m, k], vec![k, n]),
        Form::Batched => (cat(ba, &[m, k]), cat(bb, &[k, n])),
        Form::BatchedVec => (cat(batch.clone(), &[m, k]), vec![k]),
        Form::VecBatched => (vec![k], cat(batch.clone(), &[k, n])),
        Form::BatchedMat => (cat(batch.clone(), &[m, k]), vec![k, n]),
        Form::MatBatched => (vec![m, k], cat(batch.clone(), &[k, n])),
    }
}

proptest! {
    #![proptest_config(cfg(600))]

    /// Every form of matmul on any layouts (transposed, sliced, expanded operands) and dtype.
    #[test]
    fn matmul_matches_naive(
        form in prop::sample::select(FORMS.to_vec()),
        seed in any::<u64>(),
        ra in recipe_strategy(3, true),
        rb in recipe_strategy(3, true),
        dtype in prop::sample::select(vec![DType::F32, DType::F64, DType::F16, DType::BF16, DType::I32, DType::I64, DType::U8]),
    ) {
        for dev in devices() {
            if !holds(&dev, dtype) {
                continue;
            }
            let (sa, sb) = shapes(form, seed);
            let a = build_on(&dev, &sa, &ra, dtype, Values::Small);
            let b = build_on(&dev, &sb, &rb, dtype, Values::Small);
            let got = a.t.matmul(&b.t).unwrap_or_else(|e| panic!("{form:?} {sa:?} @ {sb:?} on {dev}: {e}"));
            let want = ref_matmul(&a.r, &b.r).map(|v| round_to(dtype, v));
            prop_assert_eq!(got.dtype(), dtype);
            assert_on(&got, &dev);
            let tol = device_tol(&dev, dtype, mm_tol(dtype));
            let ctx = format!("{form:?} {dtype:?} {sa:?} @ {sb:?} on {dev}");
            assert_ref(&got, &want, tol, &ctx);
            // The named forms agree with matmul where they apply.
            let named = match form {
                Form::Dot => Some(a.t.dot(&b.t)),
                Form::MatVec => Some(a.t.mv(&b.t)),
                Form::MatMat => Some(a.t.mm(&b.t)),
                Form::Batched if sa.len() == 3 && sb.len() == 3 && sa[0] == sb[0] => Some(a.t.bmm(&b.t)),
                _ => None,
            };
            if let Some(r) = named {
                let r = r.unwrap();
                assert_on(&r, &dev);
                assert_ref(&r, &want, tol, &format!("named form: {ctx}"));
            }
            // matmul_out into a fitting contiguous out, a transposed out, and an out of another shape.
            let mut out = Tensor::full(want.shape.clone(), 7, dtype, &dev).unwrap();
            let id = out.storage_id();
            Tensor::matmul_out(&a.t, &b.t, &mut out).unwrap();
            prop_assert_eq!(out.storage_id(), id, "a fitting out is written in place");
            assert_ref(&out, &want, tol, &format!("matmul_out: {ctx}"));
            if want.rank() == 2 {
                let (r, c) = (want.shape[0], want.shape[1]);
                let backing = Tensor::full(vec![c, r], 7, dtype, &dev).unwrap();
                let mut tout = backing.t().unwrap();
                Tensor::matmul_out(&a.t, &b.t, &mut tout).unwrap();
                prop_assert!(tout.shares_storage(&backing));
                assert_ref(&tout, &want, tol, &format!("matmul_out into a transposed out: {ctx}"));
                assert_ref(&backing.t().unwrap(), &want, tol, &format!("... seen through the backing tensor: {ctx}"));
            }
            let mut other = Tensor::zeros([1], dtype, &dev).unwrap();
            Tensor::matmul_out(&a.t, &b.t, &mut other).unwrap();
            assert_on(&other, &dev);
            assert_ref(&other, &want, tol, &format!("matmul_out resizes: {ctx}"));
        }
    }

    /// addmm: beta * input + alpha * (m1 @ m2), the input broadcast.
    #[test]
    fn addmm_matches_naive(
        seed in any::<u64>(),
        ra in recipe_strategy(2, true),
        rb in recipe_strategy(2, true),
        rc in recipe_strategy(2, true),
        beta in prop::sample::select(vec![0.0, 1.0, 0.5, -2.0]),
        alpha in prop::sample::select(vec![1.0, 2.0, -0.25]),
        bias_rank in 0usize..=2,
        dtype in prop::sample::select(vec![DType::F32, DType::F64]),
    ) {
        for dev in devices() {
            let (sa, sb) = shapes(Form::MatMat, seed);
            let (m, n) = (sa[0], sb[1]);
            let sc: Vec<usize> = [m, n][2 - bias_rank..].to_vec();
            let a = build_on(&dev, &sa, &ra, dtype, Values::Small);
            let b = build_on(&dev, &sb, &rb, dtype, Values::Small);
            let c = build_on(&dev, &sc, &rc, dtype, Values::Small);
            let got = c.t.addmm(&a.t, &b.t, beta, alpha).unwrap();
            let prod = ref_matmul(&a.r, &b.r);
            let want = c.r.expand(&[m, n]).zip(&prod, |x, p| round_to(dtype, if beta == 0.0 { 0.0 } else { beta * x } + alpha * p));
            assert_on(&got, &dev);
            assert_ref(&got, &want, device_tol(&dev, dtype, mm_tol(dtype)), &format!("addmm on {dev}"));
            prop_assert!(!got.shares_storage(&c.t));
            assert_ref(&c.t, &c.r, EXACT, &format!("addmm leaves its input alone on {dev}"));
        }
    }
}

#[test]
fn matmul_shape_errors() {
    on_each_device(|dev| {
        let t = |s: &[usize]| Tensor::ones(s.to_vec(), DType::F32, dev).unwrap();
        // torch.ones(2, 3) @ torch.ones(4, 5): RuntimeError: mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)
        let e = t(&[2, 3]).matmul(&t(&[4, 5])).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Shape);
        assert!(e.to_string().contains("mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)"), "{e}");
        assert!(t(&[3]).matmul(&t(&[4])).is_err());
        assert!(t(&[2, 3]).matmul(&t(&[4])).is_err());
        assert!(t(&[5, 2, 3]).matmul(&t(&[4, 2])).is_err());
        // torch.matmul(torch.tensor(1.), torch.ones(3)): RuntimeError: both arguments to matmul need to
        // be at least 1D, but they are 0D and 1D
        let e = t(&[]).matmul(&t(&[3])).unwrap_err();
        assert!(
            e.to_string().contains("both arguments to matmul need to be at least 1D, but they are 0D and 1D"),
            "{e}"
        );
        // Batch dims that do not broadcast: shapes named.
        let e = t(&[2, 3, 4]).matmul(&t(&[3, 4, 5])).unwrap_err();
        assert!(e.to_string().contains("[2]") && e.to_string().contains("[3]"), "{e}");
        // Named forms check their ranks.
        assert!(t(&[2, 3, 4]).mm(&t(&[4, 2])).unwrap_err().to_string().contains("mm"));
        assert!(t(&[2, 3, 4]).bmm(&t(&[3, 4, 2])).is_err());
        assert!(t(&[3, 4]).bmm(&t(&[4, 2])).is_err());
        assert!(t(&[3, 4]).mv(&t(&[4, 1])).is_err());
        assert!(t(&[3]).dot(&t(&[4])).unwrap_err().to_string().contains("1D tensors expected"));
        assert!(t(&[3, 1]).outer(&t(&[4])).is_err());
        assert!(t(&[2]).addmm(&t(&[2, 3]), &t(&[4, 2]), 1.0, 1.0).is_err());
        assert!(t(&[2]).addmm(&t(&[2, 3, 1]), &t(&[3, 2]), 1.0, 1.0).is_err());
        // Bool matmul is refused: "addmm" not implemented for 'Bool'
        let b = Tensor::ones([2, 2], DType::Bool, dev).unwrap();
        assert_eq!(b.matmul(&b).unwrap_err().kind(), ErrorKind::DType);
    });
}

#[test]
fn small_cases_by_hand() {
    on_each_device(|dev| {
        let a = Tensor::new([[1f32, 2., 3.], [4., 5., 6.]], dev).unwrap();
        let b = Tensor::new([[7f32, 8.], [9., 10.], [11., 12.]], dev).unwrap();
        assert_eq!(a.matmul(&b).unwrap().to_vec2::<f32>().unwrap(), [[58., 64.], [139., 154.]]);
        assert_eq!(
            b.t().unwrap().matmul(&a.t().unwrap()).unwrap().to_vec2::<f32>().unwrap(),
            [[58., 139.], [64., 154.]]
        );
        let v = Tensor::new([1f32, 0., -1.], dev).unwrap();
        assert_eq!(a.mv(&v).unwrap().to_vec::<f32>().unwrap(), [-2., -2.]);
        assert_eq!(v.dot(&v).unwrap().size(), &[] as &[usize]);
        assert_eq!(v.dot(&v).unwrap().item::<f32>().unwrap(), 2.0);
        let o = v.outer(&Tensor::new([2f32, 3.], dev).unwrap()).unwrap();
        assert_eq!(o.to_vec2::<f32>().unwrap(), [[2., 3.], [0., 0.], [-2., -3.]]);
        // Integer outer promotes like mul: torch.outer(int tensor, float tensor) is float32.
        assert_eq!(Tensor::new([1i64, 2], dev).unwrap().outer(&v).unwrap().dtype(), DType::F32);
        // torch.addmm(torch.tensor([1., 2.]), a, b, beta=0.5, alpha=2) == [[116.5, 129.], [278.5, 309.]]
        let bias = Tensor::new([1f32, 2.], dev).unwrap();
        let r = bias.addmm(&a, &b, 0.5, 2.0).unwrap();
        assert_eq!(r.to_vec2::<f32>().unwrap(), [[116.5, 129.], [278.5, 309.]]);
        // beta == 0 ignores NaN and inf in the input (as documented for torch.addmm).
        let nan = Tensor::full([2, 2], f64::NAN, DType::F32, dev).unwrap();
        assert_eq!(nan.addmm(&a, &b, 0.0, 1.0).unwrap().to_vec2::<f32>().unwrap(), [[58., 64.], [139., 154.]]);
        // k == 0: zeros, even into an out full of garbage.
        let e1 = Tensor::zeros([2, 0], DType::F32, dev).unwrap();
        let e2 = Tensor::zeros([0, 3], DType::F32, dev).unwrap();
        assert_eq!(e1.matmul(&e2).unwrap().to_vec2::<f32>().unwrap(), [[0.; 3]; 2]);
        let mut out = Tensor::full([2, 3], f64::NAN, DType::F32, dev).unwrap();
        Tensor::matmul_out(&e1, &e2, &mut out).unwrap();
        assert_eq!(out.to_vec2::<f32>().unwrap(), [[0.; 3]; 2]);
        let mut iout = Tensor::full([2, 3], 5, DType::I64, dev).unwrap();
        Tensor::matmul_out(&e1.to_dtype(DType::I64).unwrap(), &e2.to_dtype(DType::I64).unwrap(), &mut iout).unwrap();
        assert_eq!(iout.to_vec2::<i64>().unwrap(), [[0; 3]; 2]);
    });
}

#[test]
fn matmul_out_aliasing_and_dtypes() {
    on_each_device(|dev| {
        // out is one of the operands: the product is computed before out is written.
        let mut a = Tensor::new([[1f64, 2.], [3., 4.]], dev).unwrap();
        let b = Tensor::new([[0f64, 1.], [1., 0.]], dev).unwrap();
        let a2 = a.shallow_clone();
        Tensor::matmul_out(&a2, &b, &mut a).unwrap();
        assert_eq!(a.to_vec2::<f64>().unwrap(), [[2., 1.], [4., 3.]]);
        let mut c = Tensor::new([[1f64, 2.], [3., 4.]], dev).unwrap();
        let c2 = c.shallow_clone();
        Tensor::matmul_out(&c2, &c2, &mut c).unwrap();
        assert_eq!(c.to_vec2::<f64>().unwrap(), [[7., 10.], [15., 22.]]);
        // An out of a wider dtype receives the cast result.
        let mut out = Tensor::zeros([2, 2], DType::F64, dev).unwrap();
        let x = Tensor::new([[1f32, 2.], [3., 4.]], dev).unwrap();
        Tensor::matmul_out(&x, &x, &mut out).unwrap();
        assert_eq!(out.to_vec2::<f64>().unwrap(), [[7., 10.], [15., 22.]]);
        // An expanded out is refused.
        let base = Tensor::zeros([1, 2], DType::F32, dev).unwrap();
        let mut ex = base.expand(&[2, 2]).unwrap();
        assert!(Tensor::matmul_out(&x, &x, &mut ex).is_err());
    });
}

#[test]
fn large_matmul_uses_the_parallel_path() {
    on_each_device(|dev| {
        // 96^3 flops is past the threshold for threads; transposed operands; integer-valued floats so
        // that any summation order is exact.
        let n = 96;
        let mut rng = Mix::new(1);
        let a = Ref::random(&[n, n], DType::F32, Values::Small, &mut rng);
        let b = Ref::random(&[n, n], DType::F32, Values::Small, &mut rng);
        let (ta, tb) = (a.tensor_on(dev, DType::F32), b.tensor_on(dev, DType::F32));
        let want = ref_matmul(&a, &b);
        assert_ref(&ta.matmul(&tb).unwrap(), &want, EXACT, "96x96");
        let want_t = ref_matmul(&a.transpose(0, 1), &b.transpose(0, 1));
        assert_ref(&ta.t().unwrap().matmul(&tb.t().unwrap()).unwrap(), &want_t, EXACT, "96x96 transposed");
        // Batched, with a broadcast right side folded into one product.
        let a3 = Ref::random(&[3, 40, 50], DType::F64, Values::Small, &mut rng);
        let b2 = Ref::random(&[50, 30], DType::F64, Values::Small, &mut rng);
        let got = a3.tensor_on(dev, DType::F64).matmul(&b2.tensor_on(dev, DType::F64)).unwrap();
        assert_ref(&got, &ref_matmul(&a3, &b2), EXACT, "batched");
        // With two or more threads: panels of columns of unequal widths (100 = 64 + 36), panels of
        // rows (a narrow product), and gemm's own threads (narrow and short, long contraction);
        // into a transposed out, and adding to the input (addmm reads what it overwrites).
        for (m, k, n) in [(70, 60, 100), (200, 70, 20), (40, 400, 30)] {
            let a = Ref::random(&[m, k], DType::F64, Values::Small, &mut rng);
            let b = Ref::random(&[k, n], DType::F64, Values::Small, &mut rng);
            let c = Ref::random(&[m, n], DType::F64, Values::Small, &mut rng);
            let (ta, tb) = (a.tensor_on(dev, DType::F64), b.tensor_on(dev, DType::F64));
            let want = ref_matmul(&a, &b);
            assert_ref(&ta.matmul(&tb).unwrap(), &want, EXACT, &format!("{m}x{k}x{n}"));
            let backing = Tensor::zeros([n, m], DType::F64, dev).unwrap();
            let mut out = backing.t().unwrap();
            Tensor::matmul_out(&ta, &tb, &mut out).unwrap();
            assert_ref(&out, &want, EXACT, &format!("{m}x{k}x{n} into a transposed out"));
            let got = c.tensor_on(dev, DType::F64).addmm(&ta, &tb, 0.5, 2.0).unwrap();
            assert_ref(&got, &c.zip(&want, |x, p| 0.5 * x + 2.0 * p), EXACT, &format!("{m}x{k}x{n} addmm"));
        }
        // Many small products (one task each), and a few large ones (each split in turn), into a
        // permuted out.
        for (batch, m, k, n) in [(40, 20, 30, 25), (3, 70, 60, 100)] {
            let a = Ref::random(&[batch, m, k], DType::F64, Values::Small, &mut rng);
            let b = Ref::random(&[batch, k, n], DType::F64, Values::Small, &mut rng);
            let (ta, tb) = (a.tensor_on(dev, DType::F64), b.tensor_on(dev, DType::F64));
            let want = ref_matmul(&a, &b);
            assert_ref(&ta.matmul(&tb).unwrap(), &want, EXACT, &format!("{batch}x{m}x{k}x{n}"));
            let backing = Tensor::zeros([m, batch, n], DType::F64, dev).unwrap();
            let mut out = backing.permute(&[1, 0, 2]).unwrap();
            Tensor::matmul_out(&ta, &tb, &mut out).unwrap();
            assert!(out.shares_storage(&backing), "a fitting out is written in place");
            assert_ref(&out, &want, EXACT, &format!("{batch}x{m}x{k}x{n} into a permuted out"));
        }
    });
}
