//! `F::scaled_dot_product_attention` against a naive f64 reference written with plain loops
//! (`softmax(q kᵀ · scale + mask) v`) for random shapes through a seeded proptest: batch and
//! head dims (keys and values shared across heads by broadcasting), L ≠ S, no mask (fused),
//! causal (fused), bool and float masks of shape `[L, S]` or `[B, 1, L, S]` (composed),
//! transposed (non-contiguous) queries, f32 and f64; and gradcheck with each kind of mask.
//!
//! Every case runs on every device (`common::each_device`, `common::devices`): queries, keys,
//! values and masks live on the device, the output is checked to stay there, and on a GPU the
//! comparison widens to PyTorch's `assert_close` tolerance for sums (`common::near`); gradcheck
//! runs there (`common::gradcheck_on`).

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, RngSeed};
use tensor_autograd::Var;
use tensor_core::{DType, Device, Tensor};
use tensor_nn::functional as F;
use tensor_nn::SdpaOptions;

use crate::common::{assert_on, devices, each_device, gradcheck_on, near};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Mask {
    None,
    Causal,
    Bool { per_batch: bool },
    Float { per_batch: bool },
}

#[derive(Debug, Clone)]
struct Case {
    b: usize,
    h: usize,
    l: usize,
    s: usize,
    e: usize,
    ev: usize,
    mask: Mask,
    scale: Option<f64>,
    transposed_q: bool,
    dtype: DType,
    seed: u64,
}

fn case() -> impl Strategy<Value = Case> {
    let mask = prop_oneof![
        Just(Mask::None),
        Just(Mask::Causal),
        any::<bool>().prop_map(|per_batch| Mask::Bool { per_batch }),
        any::<bool>().prop_map(|per_batch| Mask::Float { per_batch }),
    ];
    (
        (1usize..=2, 1usize..=3, 1usize..=20, 1usize..=20, 1usize..=6, 1usize..=6),
        mask,
        prop_oneof![Just(None), Just(Some(0.4))],
        any::<bool>(),
        prop_oneof![Just(DType::F32), Just(DType::F64)],
        any::<u64>(),
    )
        .prop_map(|((b, h, l, s, e, ev), mask, scale, transposed_q, dtype, seed)| Case {
            b,
            h,
            l,
            s,
            e,
            ev,
            mask,
            scale,
            transposed_q,
            dtype,
            seed,
        })
}

/// xorshift values in [-1, 1), multiples of 1/32.
fn draw(seed: &mut u64, n: usize) -> Vec<f64> {
    (0..n)
        .map(|_| {
            *seed ^= *seed << 13;
            *seed ^= *seed >> 7;
            *seed ^= *seed << 17;
            ((*seed >> 20) % 64) as f64 / 32.0 - 1.0
        })
        .collect()
}

fn check(dev: &Device, c: &Case) {
    let mut seed = c.seed | 1;
    let (q, k, v) =
        (draw(&mut seed, c.b * c.h * c.l * c.e), draw(&mut seed, c.b * c.s * c.e), draw(&mut seed, c.b * c.s * c.ev));
    let mb = match c.mask {
        Mask::Bool { per_batch: true } | Mask::Float { per_batch: true } => c.b,
        _ => 1,
    };
    // Bool masks always allow key 0, so no query sees nothing (PyTorch gives NaN there).
    let mvals: Vec<f64> = draw(&mut seed, mb * c.l * c.s)
        .iter()
        .enumerate()
        .map(|(i, &x)| match c.mask {
            Mask::Bool { .. } => (i % c.s == 0 || x > -0.3) as u8 as f64,
            _ => 2.0 * x,
        })
        .collect();
    let t = |vals: &[f64], dims: &[usize]| {
        Tensor::from_vec(vals.to_vec(), dims).unwrap().to_dtype(c.dtype).unwrap().to_device(dev).unwrap()
    };
    let qt = if c.transposed_q {
        t(&q, &[c.b, c.h, c.l, c.e]).transpose(-2, -1).unwrap().contiguous().unwrap().transpose(-2, -1).unwrap()
    } else {
        t(&q, &[c.b, c.h, c.l, c.e])
    };
    let (kt, vt) = (t(&k, &[c.b, 1, c.s, c.e]), t(&v, &[c.b, 1, c.s, c.ev]));
    let mdims: Vec<usize> = if mb > 1 { vec![mb, 1, c.l, c.s] } else { vec![c.l, c.s] };
    let mask = match c.mask {
        Mask::Bool { .. } => {
            let bools = mvals.iter().map(|&x| x != 0.0).collect::<Vec<_>>();
            Some(Tensor::from_vec(bools, mdims).unwrap().to_device(dev).unwrap())
        }
        Mask::Float { .. } => Some(t(&mvals, &mdims)),
        _ => None,
    };
    let opts =
        SdpaOptions { attn_mask: mask.as_ref(), is_causal: c.mask == Mask::Causal, scale: c.scale, dropout_p: 0.0 };
    let out =
        F::scaled_dot_product_attention(&Var::constant(qt), &Var::constant(kt), &Var::constant(vt), opts).unwrap();
    assert_eq!(out.size(), &[c.b, c.h, c.l, c.ev], "on {dev}");
    assert_on(out.tensor_ref(), dev);
    let got = out.tensor().to_dtype(DType::F64).unwrap().to_vec::<f64>().unwrap();
    // The reference reads q as written (row-major [b, h, l, e]) whatever its strides.
    let scale = c.scale.unwrap_or(1.0 / (c.e as f64).sqrt());
    let tol = if c.dtype == DType::F64 { 1e-12 } else { 1e-5 };
    for (bi, hi, i) in (0..c.b).flat_map(|bi| (0..c.h).flat_map(move |hi| (0..c.l).map(move |i| (bi, hi, i)))) {
        let qrow = &q[((bi * c.h + hi) * c.l + i) * c.e..][..c.e];
        let m = |j: usize| mvals[((if mb > 1 { bi } else { 0 }) * c.l + i) * c.s + j];
        let scores: Vec<f64> = (0..c.s)
            .map(|j| {
                let dot: f64 = (0..c.e).map(|t| qrow[t] * k[(bi * c.s + j) * c.e + t]).sum::<f64>() * scale;
                match c.mask {
                    Mask::Causal if j > i => f64::NEG_INFINITY,
                    Mask::Bool { .. } if m(j) == 0.0 => f64::NEG_INFINITY,
                    Mask::Float { .. } => dot + m(j),
                    _ => dot,
                }
            })
            .collect();
        let top = scores.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b));
        let z: f64 = scores.iter().map(|x| (x - top).exp()).sum();
        for col in 0..c.ev {
            let want: f64 = (0..c.s).map(|j| (scores[j] - top).exp() / z * v[(bi * c.s + j) * c.ev + col]).sum::<f64>();
            let g = got[((bi * c.h + hi) * c.l + i) * c.ev + col];
            assert!(near(dev, c.dtype, g, want, tol), "on {dev}: [{bi},{hi},{i},{col}]: got {g}, want {want} ({c:?})");
        }
    }
}

proptest! {
    #![proptest_config(Config {
        cases: 64,
        rng_algorithm: RngAlgorithm::ChaCha,
        rng_seed: RngSeed::Fixed(0x5d9a),
        failure_persistence: None,
        ..Config::default()
    })]
    #[test]
    fn sdpa_matches_the_naive_reference(c in case()) {
        each_device(|dev| {
            check(dev, &c);
            Ok(())
        })?;
    }
}

#[test]
fn sdpa_gradcheck_with_every_kind_of_mask() {
    for dev in &devices() {
        let mut seed = 99u64;
        let mut t = |dims: &[usize]| {
            Tensor::from_vec(draw(&mut seed, dims.iter().product()), dims).unwrap().to_device(dev).unwrap()
        };
        let (q, k, v) = (t(&[2, 2, 3, 2]), t(&[2, 1, 4, 2]), t(&[2, 1, 4, 3]));
        let float_mask = t(&[3, 4]);
        let bool_mask =
            Tensor::from_vec(vec![true, false, true, true, true, true, false, false, true, false, true, false], [3, 4])
                .unwrap()
                .to_device(dev)
                .unwrap();
        let masks = [
            SdpaOptions::default(),
            SdpaOptions { is_causal: true, ..Default::default() },
            SdpaOptions { attn_mask: Some(&bool_mask), ..Default::default() },
            SdpaOptions { attn_mask: Some(&float_mask), scale: Some(0.6), ..Default::default() },
        ];
        for opts in masks {
            gradcheck_on(
                |x| F::scaled_dot_product_attention(&x[0], &x[1], &x[2], opts),
                &[q.shallow_clone(), k.shallow_clone(), v.shallow_clone()],
            )
            .unwrap_or_else(|e| panic!("on {dev}: {opts:?}: {e}"));
        }
    }
}
