//! max_pool2d, avg_pool2d, adaptive_avg_pool2d and their gradients against naive references in
//! f64 (random configurations through a seeded proptest runner, so runs never differ), against
//! PyTorch literals, and their errors. Every test runs on every device (the CPU, and the GPU when
//! one is usable). Inputs are multiples of 1/64, so the sums compared exactly (gradients
//! scattered to the inputs) are exact in any summation order; averages compared to PyTorch's
//! full-precision literals take the GPU's float64 tolerance there.

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use tensor_core::ops::pool::{adaptive_avg_pool2d_backward, avg_pool2d_backward, max_pool2d_backward};
use tensor_core::{DType, Device, ErrorKind, Tensor};

use crate::common::{assert_on, devices, on_each_device};

fn runner() -> TestRunner {
    let config = Config { cases: 32, failure_persistence: None, ..Config::default() };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]))
}

/// Deterministic values in [-1, 1), multiples of 1/16 (so ties happen).
fn values(n: usize, seed: u64) -> Vec<f64> {
    let mut s = seed | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            ((s >> 20) % 32) as f64 / 16.0 - 1.0
        })
        .collect()
}

/// A float64 tensor of `shape` on `dev`.
fn tensor(dev: &Device, v: &[f64], shape: &[usize]) -> Tensor {
    Tensor::from_vec(v.to_vec(), shape).unwrap().to_device(dev).unwrap()
}

fn assert_close(got: &[f64], want: &[f64], tol: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: lengths differ");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= tol * (1.0 + w.abs()), "{what}: element {i}: got {g}, want {w}");
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// A pooling problem on `[n, c, h, w]`.
#[derive(Debug, Clone, Copy)]
struct Case {
    x: [usize; 4],
    k: [usize; 2],
    s: [usize; 2],
    p: [usize; 2],
    d: [usize; 2],
    ceil: bool,
    seed: u64,
}

/// PyTorch's `pooling_output_shape`, written out independently.
fn out_len(n: usize, k: usize, s: usize, p: usize, d: usize, ceil: bool) -> isize {
    let span = (d * (k - 1) + 1) as isize;
    let avail = (n + 2 * p) as isize - span;
    if avail < 0 {
        return 0;
    }
    let mut o = if ceil { (avail + s as isize - 1) / s as isize + 1 } else { avail / s as isize + 1 };
    if ceil && (o - 1) * s as isize >= (n + p) as isize {
        o -= 1;
    }
    o
}

impl Case {
    fn out(&self) -> [usize; 4] {
        let o = |i: usize| out_len(self.x[2 + i], self.k[i], self.s[i], self.p[i], self.d[i], self.ceil) as usize;
        [self.x[0], self.x[1], o(0), o(1)]
    }
}

fn case(dilation: bool) -> impl Strategy<Value = Case> {
    (
        (1usize..3, 1usize..4, 1usize..9, 1usize..30),
        (1usize..4, 1usize..4, 1usize..4, 1usize..5),
        (0usize..2, 0usize..2, 1usize..3, 1usize..3),
        any::<bool>(),
        any::<u64>(),
    )
        .prop_map(move |((n, c, h, w), (kh, kw, sh, sw), (ph, pw, dh, dw), ceil, seed)| {
            let d = if dilation { [dh, dw] } else { [1, 1] };
            // Keep the padding within half the kernel and the window within the padded input.
            let fit = |k: usize, d: usize, len: usize| {
                let mut k = k;
                while k > 1 && d * (k - 1) + 1 > len {
                    k -= 1;
                }
                k
            };
            let (kh, kw) = (fit(kh, d[0], h), fit(kw, d[1], w));
            Case { x: [n, c, h, w], k: [kh, kw], s: [sh, sw], p: [ph.min(kh / 2), pw.min(kw / 2)], d, ceil, seed }
        })
}

/// Naive max pooling: (values, indices), NaN winning and the first maximum kept.
fn max_ref(c: &Case, x: &[f64]) -> (Vec<f64>, Vec<i64>) {
    let [n, ch, h, w] = c.x;
    let [_, _, oh, ow] = c.out();
    let (mut v, mut ix) = (Vec::new(), Vec::new());
    for plane in 0..n * ch {
        for oy in 0..oh {
            for ox in 0..ow {
                let (mut best, mut at) = (f64::NEG_INFINITY, None);
                for ky in 0..c.k[0] {
                    for kx in 0..c.k[1] {
                        let iy = (oy * c.s[0] + ky * c.d[0]) as isize - c.p[0] as isize;
                        let ixx = (ox * c.s[1] + kx * c.d[1]) as isize - c.p[1] as isize;
                        if iy < 0 || ixx < 0 || iy >= h as isize || ixx >= w as isize {
                            continue;
                        }
                        let pos = iy as usize * w + ixx as usize;
                        let e = x[plane * h * w + pos];
                        if at.is_none() || e > best || e.is_nan() {
                            best = e;
                            at = Some(pos);
                        }
                    }
                }
                v.push(best);
                ix.push(at.expect("every window reads the input") as i64);
            }
        }
    }
    (v, ix)
}

/// Naive average pooling as a list of (output, input, weight) triples (its matrix).
fn avg_matrix(c: &Case, include_pad: bool) -> Vec<(usize, usize, f64)> {
    let [n, ch, h, w] = c.x;
    let [_, _, oh, ow] = c.out();
    let mut m = Vec::new();
    for plane in 0..n * ch {
        for oy in 0..oh {
            for ox in 0..ow {
                let o = (plane * oh + oy) * ow + ox;
                let (y0, x0) = ((oy * c.s[0]) as isize - c.p[0] as isize, (ox * c.s[1]) as isize - c.p[1] as isize);
                let (y1, x1) = (
                    (y0 + c.k[0] as isize).min((h + c.p[0]) as isize),
                    (x0 + c.k[1] as isize).min((w + c.p[1]) as isize),
                );
                let padded = (y1 - y0) * (x1 - x0);
                let (y0, x0, y1, x1) = (y0.max(0), x0.max(0), y1.min(h as isize), x1.min(w as isize));
                let count = if include_pad { padded } else { (y1 - y0) * (x1 - x0) };
                for iy in y0..y1 {
                    for ix in x0..x1 {
                        m.push((o, plane * h * w + iy as usize * w + ix as usize, 1.0 / count as f64));
                    }
                }
            }
        }
    }
    m
}

fn kernel_args(c: &Case) -> ([usize; 2], [usize; 2], [usize; 2], [usize; 2], bool) {
    (c.k, c.s, c.p, c.d, c.ceil)
}

#[test]
fn max_pool2d_matches_naive_reference() {
    runner()
        .run(&case(true), |c| {
            for dev in devices() {
                let x = values(c.x.iter().product(), c.seed);
                let (want_v, want_i) = max_ref(&c, &x);
                let (k, s, p, d, ceil) = kernel_args(&c);
                for dtype in [DType::F64, DType::F32, DType::BF16] {
                    let xt = tensor(&dev, &x, &c.x).to_dtype(dtype).unwrap();
                    let (v, i) = xt.max_pool2d_with_indices(k, s, p, d, ceil).unwrap();
                    assert_on(&v, &dev);
                    assert_on(&i, &dev);
                    assert_eq!(v.size(), &c.out(), "{c:?} on {dev}");
                    assert_eq!(v.dtype(), dtype);
                    assert_eq!(i.dtype(), DType::I64);
                    assert_eq!(v.to_vec::<f64>().unwrap(), want_v, "{dtype} {c:?} on {dev}");
                    assert_eq!(i.to_vec::<i64>().unwrap(), want_i, "{dtype} {c:?} on {dev}");
                }
                // Backward scatters to the chosen positions.
                let g = values(want_v.len(), c.seed ^ 5);
                let mut want_dx = vec![0.0; x.len()];
                let plane = c.x[2] * c.x[3];
                let per = want_v.len() / (c.x[0] * c.x[1]);
                for (j, (&gv, &ix)) in g.iter().zip(&want_i).enumerate() {
                    want_dx[(j / per) * plane + ix as usize] += gv;
                }
                let it = tensor(&dev, &want_i.iter().map(|&v| v as f64).collect::<Vec<_>>(), &c.out())
                    .to_dtype(DType::I64)
                    .unwrap();
                let dx = max_pool2d_backward(&tensor(&dev, &g, &c.out()), &it, &c.x, k, s, p, d, ceil).unwrap();
                assert_eq!(dx.size(), &c.x);
                assert_on(&dx, &dev);
                assert_eq!(dx.to_vec::<f64>().unwrap(), want_dx, "{c:?} on {dev}");
            }
            Ok(())
        })
        .unwrap();
}

/// The common CNN pool (2×2 windows at stride 2, no padding) has its own kernel: planes of
/// every parity and size (fewer outputs than a vector, and more), ties, NaN and -inf, in floor
/// and ceil mode (where odd sizes put the last window partly outside the plane).
#[test]
fn max_pool2d_2x2_stride_2_matches_naive_reference() {
    let sizes = (1usize..3, 1usize..4, 2usize..19, 2usize..19, any::<bool>(), any::<u64>());
    runner()
        .run(&sizes, |(n, ch, h, w, ceil, seed)| {
            for dev in devices() {
                let c = Case { x: [n, ch, h, w], k: [2, 2], s: [2, 2], p: [0, 0], d: [1, 1], ceil, seed };
                let mut x = values(n * ch * h * w, seed);
                for (i, v) in x.iter_mut().enumerate() {
                    match (i as u64 ^ seed) % 23 {
                        0 => *v = f64::NAN,
                        1 => *v = f64::NEG_INFINITY,
                        _ => {}
                    }
                }
                let (want_v, want_i) = max_ref(&c, &x);
                for dtype in [DType::F64, DType::F32] {
                    let (v, i) = tensor(&dev, &x, &c.x)
                        .to_dtype(dtype)
                        .unwrap()
                        .max_pool2d_with_indices(c.k, c.s, c.p, c.d, ceil)
                        .unwrap();
                    assert_eq!(v.size(), &c.out(), "{c:?} on {dev}");
                    let got = v.to_vec::<f64>().unwrap();
                    let same = |a: f64, b: f64| a == b || (a.is_nan() && b.is_nan());
                    assert!(
                        got.iter().zip(&want_v).all(|(&a, &b)| same(a, b)),
                        "{dtype} {c:?}: {got:?} != {want_v:?} on {dev}"
                    );
                    assert_eq!(i.to_vec::<i64>().unwrap(), want_i, "{dtype} {c:?} on {dev}");
                }
                // Backward: each window's elements written from its index (the tiled kernel), and
                // with some indices moved out of their windows (the scatter that adds), in f32 and
                // f64, against a scatter-add; a non-finite gradient must stay where it belongs.
                let plane = h * w;
                let per = want_v.len() / (n * ch);
                let mut g = values(want_v.len(), seed ^ 5);
                g[0] = f64::INFINITY;
                for moved in [false, true] {
                    let mut idx = want_i.clone();
                    if moved {
                        for (j, ix) in idx.iter_mut().enumerate().filter(|(j, _)| j % 7 == 3) {
                            *ix = ((j as u64 ^ seed) % plane as u64) as i64;
                        }
                    }
                    let mut want_dx = vec![0.0; x.len()];
                    for (j, (&gv, &ix)) in g.iter().zip(&idx).enumerate() {
                        want_dx[(j / per) * plane + ix as usize] += gv;
                    }
                    let it = tensor(&dev, &idx.iter().map(|&v| v as f64).collect::<Vec<_>>(), &c.out())
                        .to_dtype(DType::I64)
                        .unwrap();
                    for dtype in [DType::F64, DType::F32] {
                        let gt = tensor(&dev, &g, &c.out()).to_dtype(dtype).unwrap();
                        let dx = max_pool2d_backward(&gt, &it, &c.x, c.k, c.s, c.p, c.d, ceil).unwrap();
                        let got = dx.to_vec::<f64>().unwrap();
                        let want: Vec<f64> =
                            want_dx.iter().map(|&v| if dtype == DType::F32 { v as f32 as f64 } else { v }).collect();
                        assert_eq!(got, want, "{dtype} moved={moved} {c:?} on {dev}");
                    }
                }
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn avg_pool2d_and_gradient_match_naive_reference() {
    runner()
        .run(&(case(false), any::<bool>()), |(c, include_pad)| {
            for dev in devices() {
                let x = values(c.x.iter().product(), c.seed);
                let m = avg_matrix(&c, include_pad);
                let nout: usize = c.out().iter().product();
                let mut want = vec![0.0; nout];
                for &(o, i, wt) in &m {
                    want[o] += wt * x[i];
                }
                for dtype in [DType::F64, DType::F32] {
                    let y = tensor(&dev, &x, &c.x)
                        .to_dtype(dtype)
                        .unwrap()
                        .avg_pool2d(c.k, c.s, c.p, c.ceil, include_pad)
                        .unwrap();
                    assert_eq!(y.size(), &c.out(), "{c:?} on {dev}");
                    assert_on(&y, &dev);
                    let tol = if dtype == DType::F64 { 1e-12 } else { 1e-6 };
                    assert_close(
                        &y.to_vec::<f64>().unwrap(),
                        &want,
                        tol,
                        &format!("{dtype} {c:?} {include_pad} on {dev}"),
                    );
                }
                let g = values(nout, c.seed ^ 9);
                let mut want_dx = vec![0.0; x.len()];
                for &(o, i, wt) in &m {
                    want_dx[i] += wt * g[o];
                }
                let dx =
                    avg_pool2d_backward(&tensor(&dev, &g, &c.out()), &c.x, c.k, c.s, c.p, c.ceil, include_pad).unwrap();
                let dx = dx.to_vec::<f64>().unwrap();
                assert_close(&dx, &want_dx, 1e-12, &format!("backward {c:?} on {dev}"));
                // The adjoint identity <g, avg(x)> = <avg_backward(g), x>.
                assert!((dot(&g, &want) - dot(&dx, &x)).abs() < 1e-9);
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn adaptive_avg_pool2d_matches_naive_reference() {
    let strategy = ((1usize..3, 1usize..3, 1usize..10, 1usize..10), (1usize..6, 1usize..6), any::<u64>());
    runner()
        .run(&strategy, |((n, c, h, w), (oh, ow), seed)| {
            for dev in devices() {
                let x = values(n * c * h * w, seed);
                let mut want = vec![0.0; n * c * oh * ow];
                let g = values(want.len(), seed ^ 1);
                let mut want_dx = vec![0.0; x.len()];
                for plane in 0..n * c {
                    for i in 0..oh {
                        let (y0, y1) = (i * h / oh, ((i + 1) * h).div_ceil(oh));
                        for j in 0..ow {
                            let (x0, x1) = (j * w / ow, ((j + 1) * w).div_ceil(ow));
                            let o = (plane * oh + i) * ow + j;
                            let count = ((y1 - y0) * (x1 - x0)) as f64;
                            for iy in y0..y1 {
                                for ix in x0..x1 {
                                    want[o] += x[plane * h * w + iy * w + ix] / count;
                                    want_dx[plane * h * w + iy * w + ix] += g[o] / count;
                                }
                            }
                        }
                    }
                }
                let y = tensor(&dev, &x, &[n, c, h, w]).adaptive_avg_pool2d([oh, ow]).unwrap();
                assert_eq!(y.size(), &[n, c, oh, ow]);
                assert_close(&y.to_vec::<f64>().unwrap(), &want, 1e-12, &format!("adaptive forward on {dev}"));
                let dx = adaptive_avg_pool2d_backward(&tensor(&dev, &g, &[n, c, oh, ow]), &[n, c, h, w]).unwrap();
                assert_eq!(dx.size(), &[n, c, h, w]);
                assert_close(&dx.to_vec::<f64>().unwrap(), &want_dx, 1e-12, &format!("adaptive backward on {dev}"));
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn pooling_matches_pytorch() {
    on_each_device(|dev| {
        // x = (((torch.arange(60, dtype=torch.float64) * 37) % 23 - 11) / 4).reshape(1, 2, 5, 6)
        // v, i = F.max_pool2d(x, (3, 2), (2, 2), (1, 1), (1, 2), ceil_mode=True, return_indices=True)
        // (v * torch.arange(24.).reshape(v.shape) / 4).sum().backward()            # x.grad
        // PyTorch's float64 averages to the last bits on the CPU; the GPU's tolerance there.
        let lit = if dev.is_cpu() { 1e-15 } else { 1e-12 };
        let x: Vec<f64> = (0..60).map(|i| (((i * 37) % 23) as f64 - 11.0) / 4.0).collect();
        let xt = tensor(dev, &x, &[1, 2, 5, 6]);
        let (v, i) = xt.max_pool2d_with_indices([3, 2], [2, 2], [1, 1], [1, 2], true).unwrap();
        assert_eq!(v.size(), &[1, 2, 3, 4]);
        let v_torch = [
            0.75, 2.0, 2.0, 1.25, 2.5, 2.5, 1.75, 1.25, 0.5, 1.75, 1.75, 1.0, 2.25, 2.25, 2.75, 2.75, 2.0, 2.0, 2.75,
            2.75, 2.0, 2.0, 2.5, 2.5,
        ];
        let i_torch = [1, 3, 3, 11, 13, 13, 21, 11, 19, 21, 21, 29, 1, 1, 11, 11, 19, 19, 11, 11, 19, 19, 29, 29];
        assert_eq!(v.to_vec::<f64>().unwrap(), v_torch);
        assert_eq!(i.to_vec::<i64>().unwrap(), i_torch);
        let g = tensor(dev, &(0..24).map(|i| i as f64 / 4.0).collect::<Vec<_>>(), &[1, 2, 3, 4]);
        let dx = max_pool2d_backward(&g, &i, &[1, 2, 5, 6], [3, 2], [2, 2], [1, 1], [1, 2], true).unwrap();
        let mut dx_torch = [0.0; 60];
        for (at, v) in [(3, 0.75), (11, 2.5), (13, 2.25), (19, 2.0), (21, 6.25), (29, 2.75), (31, 6.25)] {
            dx_torch[at] = v;
        }
        for (at, v) in [(41, 16.5), (49, 18.5), (59, 11.25)] {
            dx_torch[at] = v;
        }
        assert_eq!(dx.to_vec::<f64>().unwrap(), dx_torch);

        // a = F.avg_pool2d(x, (3, 3), (2, 2), (1, 1), ceil_mode=True, count_include_pad=cip)
        let a = xt.avg_pool2d([3, 3], [2, 2], [1, 1], true, true).unwrap();
        let a_torch = [
            -0.25,
            0.25,
            -0.19444444444444445,
            -0.20833333333333334,
            0.5,
            0.25,
            -0.4166666666666667,
            -0.375,
            0.2777777777777778,
            0.08333333333333333,
            -0.3611111111111111,
            -0.2916666666666667,
            0.4166666666666667,
            -0.027777777777777776,
            0.16666666666666666,
            0.2916666666666667,
            0.2222222222222222,
            -0.16666666666666666,
            -0.19444444444444445,
            0.375,
            0.3055555555555556,
            -0.19444444444444445,
            0.0,
            0.20833333333333334,
        ];
        assert_close(&a.to_vec::<f64>().unwrap(), &a_torch, lit, "avg count_include_pad");
        let a = xt.avg_pool2d([3, 3], [2, 2], [1, 1], true, false).unwrap();
        let a_torch = [
            -0.5625,
            0.375,
            -0.2916666666666667,
            -0.625,
            0.75,
            0.25,
            -0.4166666666666667,
            -0.75,
            0.625,
            0.125,
            -0.5416666666666666,
            -0.875,
            0.9375,
            -0.041666666666666664,
            0.25,
            0.875,
            0.3333333333333333,
            -0.16666666666666666,
            -0.19444444444444445,
            0.75,
            0.6875,
            -0.2916666666666667,
            0.0,
            0.625,
        ];
        assert_close(&a.to_vec::<f64>().unwrap(), &a_torch, lit, "avg without padding");
        // (a * torch.arange(24.).reshape(a.shape)).sum().backward()   (count_include_pad=True)
        let g = tensor(dev, &(0..24).map(|i| i as f64).collect::<Vec<_>>(), &[1, 2, 3, 4]);
        let dx = avg_pool2d_backward(&g, &[1, 2, 5, 6], [3, 3], [2, 2], [1, 1], true, true).unwrap();
        let dx = dx.to_vec::<f64>().unwrap();
        let dx_torch_first_row =
            [0.0, 0.1111111111111111, 0.1111111111111111, 0.3333333333333333, 0.2222222222222222, 0.7222222222222222];
        assert_close(&dx[..6], &dx_torch_first_row, lit, "avg backward");
        assert_close(&dx[59..], &[6.277777777777779], lit, "avg backward");

        // x2 = ((torch.arange(35, dtype=torch.float64) * 13 % 11) / 2).reshape(1, 1, 5, 7)
        // ad = F.adaptive_avg_pool2d(x2, (3, 4))
        // (ad * torch.arange(12.).reshape(1, 1, 3, 4)).sum().backward()
        let x2 = tensor(dev, &(0..35).map(|i| ((i * 13) % 11) as f64 / 2.0).collect::<Vec<_>>(), &[1, 1, 5, 7]);
        let ad = x2.adaptive_avg_pool2d([3, 4]).unwrap();
        let ad_torch = [
            1.25,
            2.75,
            2.9166666666666665,
            2.125,
            2.5833333333333335,
            2.555555555555556,
            2.111111111111111,
            3.0,
            1.625,
            1.75,
            2.8333333333333335,
            2.5,
        ];
        assert_close(&ad.to_vec::<f64>().unwrap(), &ad_torch, lit, "adaptive");
        let g = tensor(dev, &(0..12).map(|i| i as f64).collect::<Vec<_>>(), &[1, 1, 3, 4]);
        let dx = adaptive_avg_pool2d_backward(&g, &[1, 1, 5, 7]).unwrap().to_vec::<f64>().unwrap();
        let dx_torch_first =
            [0.0, 0.16666666666666666, 0.16666666666666666, 0.5, 0.3333333333333333, 1.0833333333333333, 0.75];
        assert_close(&dx[..7], &dx_torch_first, lit, "adaptive backward");
        assert_close(
            &dx[28..],
            &[2.0, 3.5, 1.5, 3.166666666666667, 1.6666666666666667, 4.416666666666667, 2.75],
            lit,
            "adaptive backward",
        );
    });
}

#[test]
fn ceil_mode_output_sizes_match_pytorch() {
    on_each_device(|dev| {
        // F.max_pool2d(torch.zeros(1, 1, n, n), k, s, p, ceil_mode=c).shape[-1]
        for (n, k, s, p, ceil, want) in [
            (5, 2, 2, 0, true, 3),
            (6, 3, 2, 1, true, 4),
            (7, 3, 3, 1, true, 3),
            (4, 3, 2, 1, true, 3),
            (10, 3, 4, 1, true, 3),
            (5, 2, 2, 0, false, 2),
        ] {
            let x = Tensor::zeros([1, 1, n, n], DType::F32, dev).unwrap();
            let y = x.max_pool2d([k, k], [s, s], [p, p], [1, 1], ceil).unwrap();
            assert_eq!(y.size(), &[1, 1, want, want], "n={n} k={k} s={s} p={p} ceil={ceil}");
            let y = x.avg_pool2d([k, k], [s, s], [p, p], ceil, true).unwrap();
            assert_eq!(y.size(), &[1, 1, want, want]);
        }
    });
}

#[test]
fn nan_infinity_unbatched_and_strided_inputs() {
    on_each_device(|dev| {
        let nan = f64::NAN;
        let x = tensor(
            dev,
            &[1.0, nan, 3.0, 2.0, f64::NEG_INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY],
            &[1, 2, 2, 2],
        );
        let (v, i) = x.max_pool2d_with_indices([2, 2], [2, 2], [0, 0], [1, 1], false).unwrap();
        let v = v.to_vec::<f64>().unwrap();
        assert!(v[0].is_nan());
        assert_eq!(v[1], f64::NEG_INFINITY);
        assert_eq!(i.to_vec::<i64>().unwrap(), [1, 0]);

        // A 3-d input is one image; a non-contiguous input reads through its strides.
        let vals = values(2 * 3 * 7 * 5, 3);
        let x4 = tensor(dev, &vals, &[2, 3, 7, 5]);
        let xt = tensor(dev, &vals, &[2, 3, 5, 7]).transpose(2, 3).unwrap();
        assert!(!xt.is_contiguous());
        let want = xt.contiguous().unwrap().max_pool2d([3, 2], [1, 2], [1, 1], [1, 1], true).unwrap();
        assert_eq!(
            xt.max_pool2d([3, 2], [1, 2], [1, 1], [1, 1], true).unwrap().to_vec::<f64>().unwrap(),
            want.to_vec::<f64>().unwrap()
        );
        let a = xt.avg_pool2d([3, 3], [2, 1], [1, 0], false, false).unwrap();
        let b = xt.contiguous().unwrap().avg_pool2d([3, 3], [2, 1], [1, 0], false, false).unwrap();
        assert_eq!(a.to_vec::<f64>().unwrap(), b.to_vec::<f64>().unwrap());
        let x3 = x4.select(0, 1).unwrap();
        let (v3, i3) = x3.max_pool2d_with_indices([2, 2], [2, 2], [1, 0], [1, 1], false).unwrap();
        let (v4, i4) = x4.max_pool2d_with_indices([2, 2], [2, 2], [1, 0], [1, 1], false).unwrap();
        assert_eq!(v3.size(), &v4.size()[1..]);
        assert_eq!(v3.to_vec::<f64>().unwrap(), v4.select(0, 1).unwrap().to_vec::<f64>().unwrap());
        let g3 = v3.ones_like(None).unwrap();
        let dx3 = max_pool2d_backward(&g3, &i3, x3.size(), [2, 2], [2, 2], [1, 0], [1, 1], false).unwrap();
        assert_eq!(dx3.size(), x3.size());
        assert_eq!(dx3.sum().unwrap().item::<f64>().unwrap(), i4.select(0, 1).unwrap().numel() as f64);
        let a3 = x3.avg_pool2d([2, 2], [1, 1], [0, 0], false, true).unwrap();
        assert_eq!(a3.size(), &[3, 6, 4]);
        assert_eq!(avg_pool2d_backward(&a3, x3.size(), [2, 2], [1, 1], [0, 0], false, true).unwrap().size(), x3.size());
        let ad = x3.adaptive_avg_pool2d([1, 1]).unwrap();
        assert_eq!(ad.size(), &[3, 1, 1]);
        assert_close(
            &ad.to_vec::<f64>().unwrap(),
            &x3.mean_dim(&[1, 2], false).unwrap().to_vec::<f64>().unwrap(),
            1e-12,
            "global",
        );
        assert_eq!(adaptive_avg_pool2d_backward(&ad, x3.size()).unwrap().size(), x3.size());

        // Half precision goes through f32.
        let h = x4.to_dtype(DType::F16).unwrap().avg_pool2d([2, 2], [2, 2], [0, 0], false, true).unwrap();
        assert_eq!(h.dtype(), DType::F16);
        let f = x4.avg_pool2d([2, 2], [2, 2], [0, 0], false, true).unwrap();
        assert_close(&h.to_vec::<f64>().unwrap(), &f.to_vec::<f64>().unwrap(), 1e-3, "f16 avg");
    });
}

#[test]
fn pooling_errors_name_op_and_shapes() {
    on_each_device(|dev| {
        let x = Tensor::ones([1, 2, 4, 4], DType::F32, dev).unwrap();
        let err = |r: tensor_core::Result<Tensor>| {
            let e = r.unwrap_err();
            (e.kind(), e.to_string())
        };
        let (k, m) = err(x.max_pool2d([2, 2], [2, 2], [2, 0], [1, 1], false));
        assert_eq!(k, ErrorKind::Value);
        assert!(
            m.starts_with("max_pool2d:") && m.contains("pad should be smaller than or equal to half of kernel size"),
            "{m}"
        );
        let (_, m) = err(x.avg_pool2d([3, 3], [1, 1], [0, 2], false, true));
        assert!(m.starts_with("avg_pool2d:") && m.contains("padW = 2"), "{m}");
        let (_, m) = err(x.max_pool2d([0, 2], [1, 1], [0, 0], [1, 1], false));
        assert!(m.contains("kernel size should be greater than zero"), "{m}");
        let (_, m) = err(x.max_pool2d([2, 2], [0, 1], [0, 0], [1, 1], false));
        assert!(m.contains("stride should be greater than zero"), "{m}");
        let (_, m) = err(x.max_pool2d([2, 2], [1, 1], [0, 0], [0, 1], false));
        assert!(m.contains("dilation should be greater than zero"), "{m}");
        let (k, m) = err(x.max_pool2d([5, 5], [1, 1], [0, 0], [1, 1], false));
        assert_eq!(k, ErrorKind::Shape);
        assert!(
            m.contains("Given input size: (2x4x4). Calculated output size: (2x0x0). Output size is too small"),
            "{m}"
        );
        let (_, m) =
            err(Tensor::ones([4, 4], DType::F32, dev).unwrap().max_pool2d([2, 2], [2, 2], [0, 0], [1, 1], false));
        assert!(m.contains("3D or 4D") && m.contains("[4, 4]"), "{m}");
        let (k, m) =
            err(Tensor::ones([1, 1, 4, 4], DType::I64, dev).unwrap().avg_pool2d([2, 2], [2, 2], [0, 0], false, true));
        assert_eq!(k, ErrorKind::DType);
        assert!(m.contains("int64"), "{m}");
        let (_, m) = err(x.adaptive_avg_pool2d([0, 2]));
        assert!(m.starts_with("adaptive_avg_pool2d:"), "{m}");
        // Gradients that do not fit the forward pass.
        let (v, i) = x.max_pool2d_with_indices([2, 2], [2, 2], [0, 0], [1, 1], false).unwrap();
        let (_, m) = err(max_pool2d_backward(&v, &i, &[1, 2, 6, 6], [2, 2], [2, 2], [0, 0], [1, 1], false));
        assert!(
            m.starts_with("max_pool2d_backward:") && m.contains("[1, 2, 2, 2]") && m.contains("[1, 2, 3, 3]"),
            "{m}"
        );
        let (_, m) = err(max_pool2d_backward(&v, &v, &[1, 2, 4, 4], [2, 2], [2, 2], [0, 0], [1, 1], false));
        assert!(m.contains("int64 indices"), "{m}");
        let bad = Tensor::full([1, 2, 2, 2], 16i64, DType::I64, dev).unwrap();
        let (k, _) = err(max_pool2d_backward(&v, &bad, &[1, 2, 4, 4], [2, 2], [2, 2], [0, 0], [1, 1], false));
        assert_eq!(k, ErrorKind::Index);
        assert!(avg_pool2d_backward(&v, &[1, 2, 4, 4], [3, 3], [2, 2], [0, 0], false, true).is_err());
        assert!(avg_pool2d_backward(&v, &[2, 4, 4, 4, 4], [2, 2], [2, 2], [0, 0], false, true).is_err());
        assert!(adaptive_avg_pool2d_backward(&v, &[1, 3, 4, 4]).is_err());
    });
}
