//! `Tensor::flash_attention` and its backward against a naive f64 reference written with plain
//! loops (`softmax(q kᵀ · scale) v`, its log-sum-exp, and the textbook gradients), for random
//! shapes through a seeded proptest: leading dims that broadcast, L ≠ S across block edges,
//! causal or not, transposed (non-contiguous) inputs, f32 and f64. Then the empty and half
//! cases and the errors. Every test runs on every device (the CPU, and the GPU when one is
//! usable).

use crate::common::{assert_on, cfg, close, device_tol, devices, on_each_device, values, Mix, EXACT};
use proptest::prelude::*;
use tensor_core::{DType, Device, ErrorKind, Tensor};

/// One problem of the naive reference: `q` `l × e`, `k` `s × e`, `v` `s × ev` (row-major).
struct Naive {
    p: Vec<f64>,
    out: Vec<f64>,
    lse: Vec<f64>,
}

fn naive_forward(q: &[f64], k: &[f64], v: &[f64], [l, s, e, ev]: [usize; 4], causal: bool, scale: f64) -> Naive {
    let (mut p, mut out, mut lse) = (vec![0.0; l * s], vec![0.0; l * ev], vec![0.0; l]);
    for i in 0..l {
        let seen = if causal { (i + 1).min(s) } else { s };
        let scores: Vec<f64> =
            (0..seen).map(|j| scale * (0..e).map(|t| q[i * e + t] * k[j * e + t]).sum::<f64>()).collect();
        let m = scores.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b));
        let z: f64 = scores.iter().map(|x| (x - m).exp()).sum();
        lse[i] = if seen == 0 { f64::NEG_INFINITY } else { m + z.ln() };
        for (j, x) in scores.iter().enumerate() {
            p[i * s + j] = (x - lse[i]).exp();
            for c in 0..ev {
                out[i * ev + c] += p[i * s + j] * v[j * ev + c];
            }
        }
    }
    Naive { p, out, lse }
}

/// `dq`, `dk`, `dv` of one problem: `dv = pᵀ g`, `dp = g vᵀ`, `ds = p (dp - rowsum(p dp))`,
/// `dq = ds k · scale`, `dk = dsᵀ q · scale`.
#[allow(clippy::too_many_arguments)]
fn naive_backward(
    g: &[f64],
    q: &[f64],
    k: &[f64],
    v: &[f64],
    p: &[f64],
    [l, s, e, ev]: [usize; 4],
    scale: f64,
) -> [Vec<f64>; 3] {
    let (mut dq, mut dk, mut dv) = (vec![0.0; l * e], vec![0.0; s * e], vec![0.0; s * ev]);
    for i in 0..l {
        let dp: Vec<f64> = (0..s).map(|j| (0..ev).map(|c| g[i * ev + c] * v[j * ev + c]).sum()).collect();
        let dot: f64 = (0..s).map(|j| p[i * s + j] * dp[j]).sum();
        for j in 0..s {
            let pij = p[i * s + j];
            for c in 0..ev {
                dv[j * ev + c] += pij * g[i * ev + c];
            }
            let ds = pij * (dp[j] - dot) * scale;
            for t in 0..e {
                dq[i * e + t] += ds * k[j * e + t];
                dk[j * e + t] += ds * q[i * e + t];
            }
        }
    }
    [dq, dk, dv]
}

/// Random values in [-1, 1), multiples of 1/64.
fn draw(rng: &mut Mix, n: usize) -> Vec<f64> {
    (0..n).map(|_| rng.int(-64, 63) as f64 / 64.0).collect()
}

/// A tensor on `dev` of `dims` (leading dims, then rows and width) holding `vals` in order; when
/// `transposed`, built as the transpose of a contiguous `[..., width, rows]` tensor.
fn operand(dev: &Device, vals: &[f64], dims: &[usize], dtype: DType, transposed: bool) -> Tensor {
    let t = Tensor::from_vec(vals.to_vec(), dims.to_vec()).unwrap().to_dtype(dtype).unwrap().to_device(dev).unwrap();
    if !transposed {
        return t;
    }
    let t = t.transpose(-2, -1).unwrap().contiguous().unwrap().transpose(-2, -1).unwrap();
    let (r, w) = (dims[dims.len() - 2], dims[dims.len() - 1]);
    assert!(r == 1 || w == 1 || !t.is_contiguous());
    t
}

/// The flat index into a tensor of leading dims `own` for the broadcast leading index `idx`.
fn source_batch(idx: &[usize], own: &[usize]) -> usize {
    idx.iter().zip(own).fold(0, |acc, (&i, &n)| acc * n + if n == 1 { 0 } else { i })
}

#[derive(Debug, Clone)]
struct Case {
    lead: Vec<usize>,
    /// Per operand (q, k, v), which leading dims are 1 (broadcast).
    ones: [Vec<bool>; 3],
    l: usize,
    s: usize,
    e: usize,
    ev: usize,
    causal: bool,
    scale: Option<f64>,
    transposed: [bool; 3],
    dtype: DType,
    seed: u64,
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(1usize..=3, 0..=2),
        any::<[u8; 3]>(),
        (1usize..=140, 1usize..=140, 1usize..=12, 1usize..=12),
        any::<bool>(),
        prop_oneof![Just(None), Just(Some(0.3))],
        any::<[bool; 3]>(),
        prop_oneof![Just(DType::F32), Just(DType::F64)],
        any::<u64>(),
    )
        .prop_map(|(lead, bits, (l, s, e, ev), causal, scale, transposed, dtype, seed)| {
            let ones = bits.map(|b| (0..lead.len()).map(|i| b >> i & 1 == 1).collect());
            Case { lead, ones, l, s, e, ev, causal, scale, transposed, dtype, seed }
        })
}

/// `c` on `dev` against the naive reference.
fn check(dev: &Device, c: &Case) {
    let mut rng = Mix::new(c.seed);
    let own: Vec<Vec<usize>> =
        c.ones.iter().map(|o| c.lead.iter().zip(o).map(|(&n, &one)| if one { 1 } else { n }).collect()).collect();
    // The broadcast leading dims (1 where all three operands have 1).
    let lead: Vec<usize> = (0..c.lead.len()).map(|i| own.iter().map(|o| o[i]).max().unwrap()).collect();
    let rows = [[c.l, c.e], [c.s, c.e], [c.s, c.ev]];
    let vals: Vec<Vec<f64>> =
        (0..3).map(|i| draw(&mut rng, own[i].iter().product::<usize>() * rows[i][0] * rows[i][1])).collect();
    let ts: Vec<Tensor> = (0..3)
        .map(|i| {
            let dims: Vec<usize> = own[i].iter().chain(&rows[i]).copied().collect();
            operand(dev, &vals[i], &dims, c.dtype, c.transposed[i])
        })
        .collect();
    let (out, lse) = Tensor::flash_attention(&ts[0], &ts[1], &ts[2], c.causal, c.scale).unwrap();
    let gvals = draw(&mut rng, lead.iter().product::<usize>() * c.l * c.ev);
    let grad = Tensor::from_vec(gvals.clone(), lead.iter().chain(&[c.l, c.ev]).copied().collect::<Vec<_>>())
        .unwrap()
        .to_dtype(c.dtype)
        .unwrap()
        .to_device(dev)
        .unwrap();
    let (dq, dk, dv) =
        Tensor::flash_attention_backward(&grad, &ts[0], &ts[1], &ts[2], &out, &lse, c.causal, c.scale).unwrap();
    let want_out: Vec<usize> = lead.iter().chain(&[c.l, c.ev]).copied().collect();
    assert_eq!(out.size(), &want_out[..]);
    assert_eq!(lse.size(), &want_out[..want_out.len() - 1]);
    assert_eq!((out.dtype(), lse.dtype(), dq.dtype()), (c.dtype, c.dtype, c.dtype));
    for t in [&out, &lse, &dq, &dk, &dv] {
        assert_on(t, dev);
    }
    let got = [out, lse, dq, dk, dv].map(|t| t.to_vec::<f64>().unwrap());
    let tol = if c.dtype == DType::F64 { 1e-12 } else { 2e-5 };
    let scale = c.scale.unwrap_or(1.0 / (c.e as f64).sqrt());
    let dims = [c.l, c.s, c.e, c.ev];
    let mut idx = vec![0usize; lead.len()];
    for b in 0..lead.iter().product::<usize>() {
        let mut rest = b;
        for (i, &n) in lead.iter().enumerate().rev() {
            idx[i] = rest % n;
            rest /= n;
        }
        let part = |i: usize| {
            let n = rows[i][0] * rows[i][1];
            let at = source_batch(&idx, &own[i]) * n;
            &vals[i][at..at + n]
        };
        let (q, k, v) = (part(0), part(1), part(2));
        let naive = naive_forward(q, k, v, dims, c.causal, scale);
        let g = &gvals[b * c.l * c.ev..(b + 1) * c.l * c.ev];
        let [wq, wk, wv] = naive_backward(g, q, k, v, &naive.p, dims, scale);
        let wants = [&naive.out, &naive.lse, &wq, &wk, &wv];
        for (w, (got, name)) in wants.iter().zip(got.iter().zip(["out", "lse", "dq", "dk", "dv"])) {
            let n = w.len();
            for (j, (x, y)) in got[b * n..(b + 1) * n].iter().zip(w.iter()).enumerate() {
                assert!((x - y).abs() <= tol * (1.0 + y.abs()), "{name}[{b}][{j}] on {dev}: got {x}, want {y} ({c:?})");
            }
        }
    }
}

proptest! {
    #![proptest_config(cfg(40))]
    #[test]
    fn flash_attention_matches_the_naive_reference(c in case()) {
        for dev in devices() {
            check(&dev, &c);
        }
    }
}

#[test]
fn block_edges_and_long_causal_rows() {
    // Exactly one block, one past it, and several blocks with L > S and L < S.
    for (l, s) in [(64, 64), (65, 65), (200, 70), (70, 200), (1, 129)] {
        for causal in [false, true] {
            let c = Case {
                lead: vec![2],
                ones: [vec![false], vec![true], vec![false]],
                l,
                s,
                e: 8,
                ev: 5,
                causal,
                scale: None,
                transposed: [false, true, false],
                dtype: DType::F64,
                seed: (l * 1000 + s) as u64,
            };
            for dev in devices() {
                check(&dev, &c);
            }
        }
    }
}

#[test]
fn empty_problems_are_composed() {
    on_each_device(|dev| {
        let q = Tensor::ones([2, 3, 4], DType::F32, dev).unwrap();
        let none = Tensor::ones([2, 0, 4], DType::F32, dev).unwrap();
        let v = Tensor::ones([2, 0, 5], DType::F32, dev).unwrap();
        // No keys: an empty sum of values, and a log-sum-exp of -inf (as PyTorch's math path).
        let (out, lse) = Tensor::flash_attention(&q, &none, &v, false, None).unwrap();
        assert_eq!(out.size(), &[2, 3, 5]);
        assert!(out.to_vec::<f32>().unwrap().iter().all(|&x| x == 0.0));
        assert!(lse.to_vec::<f32>().unwrap().iter().all(|&x| x == f32::NEG_INFINITY));
        let g = Tensor::ones([2, 3, 5], DType::F32, dev).unwrap();
        let (dq, dk, dv) = Tensor::flash_attention_backward(&g, &q, &none, &v, &out, &lse, false, None).unwrap();
        assert_eq!((dq.size(), dk.size(), dv.size()), (&[2, 3, 4][..], &[2, 0, 4][..], &[2, 0, 5][..]));
        assert!(dq.to_vec::<f32>().unwrap().iter().all(|&x| x == 0.0));
        // No queries.
        let (out, lse) = Tensor::flash_attention(&none, &q, &q, true, None).unwrap();
        assert_eq!((out.size(), lse.size()), (&[2, 0, 4][..], &[2, 0][..]));
    });
}

#[test]
fn half_inputs_compute_in_f32() {
    on_each_device(|dev| {
        let mut rng = Mix::new(5);
        let vals = draw(&mut rng, 3 * 70 * 8);
        let f32s =
            Tensor::from_vec(vals, vec![3, 70, 8]).unwrap().to_dtype(DType::F32).unwrap().to_device(dev).unwrap();
        for dtype in [DType::F16, DType::BF16] {
            let x = f32s.to_dtype(dtype).unwrap();
            let (out, lse) = Tensor::flash_attention(&x, &x, &x, true, None).unwrap();
            assert_eq!((out.dtype(), lse.dtype()), (dtype, DType::F32));
            let wide = x.to_dtype(DType::F32).unwrap();
            let (want, want_lse) = Tensor::flash_attention(&wide, &wide, &wide, true, None).unwrap();
            // The same sums as from f32 inputs: exact on the CPU, the GPU's tolerance there.
            let (got, want) = (values(&out), values(&want.to_dtype(dtype).unwrap()));
            let tol = device_tol(dev, dtype, EXACT);
            assert!(got.iter().zip(&want).all(|(&g, &w)| close(g, w, tol)), "{dtype} on {dev}: {got:?} vs {want:?}");
            let (got, want) = (values(&lse), values(&want_lse));
            let tol = device_tol(dev, DType::F32, EXACT);
            assert!(
                got.iter().zip(&want).all(|(&g, &w)| close(g, w, tol)),
                "{dtype} lse on {dev}: {got:?} vs {want:?}"
            );
        }
    });
}

#[test]
fn bad_operands_are_errors_naming_the_op() {
    on_each_device(|dev| {
        let t = |shape: &[usize], dtype| Tensor::zeros(shape.to_vec(), dtype, dev).unwrap();
        let f = DType::F32;
        let cases = [
            (t(&[2, 3, 4], f), t(&[2, 5, 3], f), t(&[2, 5, 4], f), ErrorKind::Shape, "[..., L, E]"),
            (t(&[2, 3, 4], f), t(&[2, 5, 4], f), t(&[2, 6, 4], f), ErrorKind::Shape, "[..., S, Ev]"),
            (t(&[4], f), t(&[5, 4], f), t(&[5, 4], f), ErrorKind::Shape, "at least 2 dims"),
            (t(&[2, 3, 4], f), t(&[3, 5, 4], f), t(&[3, 5, 4], f), ErrorKind::Shape, "must match"),
            (t(&[3, 4], f), t(&[5, 4], DType::F64), t(&[5, 4], f), ErrorKind::DType, "one float dtype"),
            (t(&[3, 4], DType::I64), t(&[5, 4], DType::I64), t(&[5, 4], DType::I64), ErrorKind::DType, "float"),
        ];
        for (q, k, v, kind, text) in cases {
            let e = Tensor::flash_attention(&q, &k, &v, false, None).unwrap_err();
            assert_eq!(e.kind(), kind, "{e}");
            let msg = e.to_string();
            assert!(msg.contains("scaled_dot_product_attention") && msg.contains(text), "{msg}");
        }
        let (q, g) = (t(&[3, 4], f), t(&[3, 5], f));
        let (out, lse) = Tensor::flash_attention(&q, &q, &q, false, None).unwrap();
        let e = Tensor::flash_attention_backward(&g, &q, &q, &q, &out, &lse, false, None).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Shape);
        assert!(e.to_string().contains("scaled_dot_product_attention_backward"), "{e}");
    });
}
