//! conv2d, its gradients, unfold and fold against a naive direct-loop reference in f64 (random
//! configurations through a seeded proptest runner, so runs never differ), against PyTorch
//! literals, and their errors. Every test runs on every device (the CPU, and the GPU when one is
//! usable), but the one about the CPU's buffer cache. The inputs are multiples of 1/64, so the
//! f64 sums compared exactly are exact in any summation order.

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use tensor_core::ops::conv::{conv2d_backward_bias, conv2d_backward_input, conv2d_backward_weight, Conv2dParams};
use tensor_core::{DType, Device, ErrorKind, Tensor};

use crate::common::{assert_on, devices, on_each_device};

fn runner() -> TestRunner {
    let config = Config { cases: 32, failure_persistence: None, ..Config::default() };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &[42; 32]))
}

/// Deterministic values in [-1, 1), multiples of 1/64 (exact in every float dtype).
fn values(n: usize, seed: u64) -> Vec<f64> {
    let mut s = seed | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            ((s >> 20) % 128) as f64 / 64.0 - 1.0
        })
        .collect()
}

/// A float64 tensor of `shape` on `dev`.
fn tensor(dev: &Device, v: &[f64], shape: &[usize]) -> Tensor {
    Tensor::from_vec(v.to_vec(), shape).unwrap().to_device(dev).unwrap()
}

fn assert_close(got: &[f64], want: &[f64], tol: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: lengths differ");
    let scale = want.iter().fold(1.0f64, |m, v| m.max(v.abs()));
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= tol * scale, "{what}: element {i}: got {g}, want {w}");
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// A convolution problem: input `[n, c, h, w]`, weight `[o, c / groups, kh, kw]`.
#[derive(Debug, Clone, Copy)]
struct Case {
    x: [usize; 4],
    w: [usize; 4],
    p: Conv2dParams,
    bias: bool,
    seed: u64,
}

impl Case {
    fn out_hw(&self) -> [usize; 2] {
        let o = |d: usize| {
            let span = self.p.dilation[d] * (self.w[2 + d] - 1) + 1;
            (self.x[2 + d] + 2 * self.p.padding[d] - span) / self.p.stride[d] + 1
        };
        [o(0), o(1)]
    }
    fn out(&self) -> [usize; 4] {
        let [oh, ow] = self.out_hw();
        [self.x[0], self.w[0], oh, ow]
    }
}

fn case() -> impl Strategy<Value = Case> {
    (
        // Up to 20 output channels per group: the direct kernel (up to 8), im2col + gemm, and
        // the channel-vectorised kernel (12 and more: one partial or one whole vector, or a
        // whole one and a partial one) all run.
        (1usize..3, 1usize..4, 1usize..4, 1usize..21),
        (1usize..10, 1usize..10, 1usize..5, 1usize..5),
        (1usize..4, 1usize..4, 0usize..3, 0usize..3, 1usize..3, 1usize..3),
        any::<bool>(),
        any::<u64>(),
    )
        .prop_map(|((n, groups, cg, og), (h, w, kh, kw), (sh, sw, ph, pw, dh, dw), bias, seed)| {
            // Shrink the kernel until its dilated span fits the padded input.
            let fit = |k: usize, d: usize, len: usize| {
                let mut k = k;
                while k > 1 && d * (k - 1) + 1 > len {
                    k -= 1;
                }
                k
            };
            let (kh, kw) = (fit(kh, dh, h + 2 * ph), fit(kw, dw, w + 2 * pw));
            Case {
                x: [n, cg * groups, h, w],
                w: [og * groups, cg, kh, kw],
                p: Conv2dParams { stride: [sh, sw], padding: [ph, pw], dilation: [dh, dw], groups },
                bias,
                seed,
            }
        })
}

/// Calls `f(n, o, oy, ox, c, iy, ix, ky, kx)` for every (output, tap) pair that reads the input.
fn for_each_tap(c: &Case, mut f: impl FnMut([usize; 9])) {
    let [n, ci, h, w] = c.x;
    let [o, cg, kh, kw] = c.w;
    let [oh, ow] = c.out_hw();
    let og = o / c.p.groups;
    let _ = ci;
    for b in 0..n {
        for oc in 0..o {
            let g = oc / og;
            for oy in 0..oh {
                for ox in 0..ow {
                    for icg in 0..cg {
                        for ky in 0..kh {
                            for kx in 0..kw {
                                let iy = (oy * c.p.stride[0] + ky * c.p.dilation[0]) as isize - c.p.padding[0] as isize;
                                let ix = (ox * c.p.stride[1] + kx * c.p.dilation[1]) as isize - c.p.padding[1] as isize;
                                if iy < 0 || ix < 0 || iy >= h as isize || ix >= w as isize {
                                    continue;
                                }
                                f([b, oc, oy, ox, g * cg + icg, iy as usize, ix as usize, ky, kx]);
                            }
                        }
                    }
                }
            }
        }
    }
}

fn idx4(s: [usize; 4], i: [usize; 4]) -> usize {
    ((i[0] * s[1] + i[1]) * s[2] + i[2]) * s[3] + i[3]
}

/// The naive forward pass.
fn conv_ref(c: &Case, x: &[f64], w: &[f64], bias: Option<&[f64]>) -> Vec<f64> {
    let out = c.out();
    let mut y = vec![0.0; out.iter().product()];
    for_each_tap(c, |[b, oc, oy, ox, ic, iy, ix, ky, kx]| {
        let icg = ic % c.w[1];
        y[idx4(out, [b, oc, oy, ox])] += x[idx4(c.x, [b, ic, iy, ix])] * w[idx4(c.w, [oc, icg, ky, kx])];
    });
    if let Some(bias) = bias {
        for (i, v) in y.iter_mut().enumerate() {
            *v += bias[(i / (out[2] * out[3])) % out[1]];
        }
    }
    y
}

/// The adjoint of the naive loop: (grad input, grad weight).
fn conv_ref_backward(c: &Case, g: &[f64], x: &[f64], w: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let out = c.out();
    let mut dx = vec![0.0; x.len()];
    let mut dw = vec![0.0; w.len()];
    for_each_tap(c, |[b, oc, oy, ox, ic, iy, ix, ky, kx]| {
        let icg = ic % c.w[1];
        let gv = g[idx4(out, [b, oc, oy, ox])];
        dx[idx4(c.x, [b, ic, iy, ix])] += gv * w[idx4(c.w, [oc, icg, ky, kx])];
        dw[idx4(c.w, [oc, icg, ky, kx])] += gv * x[idx4(c.x, [b, ic, iy, ix])];
    });
    (dx, dw)
}

fn inputs(c: &Case) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let nx: usize = c.x.iter().product();
    let nw: usize = c.w.iter().product();
    (values(nx, c.seed), values(nw, c.seed ^ 0x9e37), values(c.w[0], c.seed ^ 0x51))
}

fn check_forward(dev: &Device, c: &Case) {
    let (x, w, b) = inputs(c);
    let want = conv_ref(c, &x, &w, c.bias.then_some(&b[..]));
    for dtype in [DType::F64, DType::F32] {
        let xt = tensor(dev, &x, &c.x).to_dtype(dtype).unwrap();
        let wt = tensor(dev, &w, &c.w).to_dtype(dtype).unwrap();
        let bt = tensor(dev, &b, &[c.w[0]]).to_dtype(dtype).unwrap();
        let y = xt.conv2d(&wt, c.bias.then_some(&bt), c.p).unwrap();
        assert_eq!(y.size(), &c.out(), "{c:?} on {dev}");
        assert_eq!(y.dtype(), dtype);
        assert_on(&y, dev);
        let tol = if dtype == DType::F64 { 1e-12 } else { 1e-5 };
        assert_close(&y.to_vec::<f64>().unwrap(), &want, tol, &format!("forward {dtype} {c:?} on {dev}"));
    }
}

fn check_backward(dev: &Device, c: &Case) {
    let (x, w, _) = inputs(c);
    let g = values(c.out().iter().product(), c.seed ^ 0x77);
    let (dx_want, dw_want) = conv_ref_backward(c, &g, &x, &w);
    for dtype in [DType::F64, DType::F32] {
        let tol = if dtype == DType::F64 { 1e-12 } else { 1e-5 };
        let gt = tensor(dev, &g, &c.out()).to_dtype(dtype).unwrap();
        let xt = tensor(dev, &x, &c.x).to_dtype(dtype).unwrap();
        let wt = tensor(dev, &w, &c.w).to_dtype(dtype).unwrap();
        let dx = conv2d_backward_input(&gt, &wt, [c.x[2], c.x[3]], c.p).unwrap();
        assert_eq!(dx.size(), &c.x);
        assert_on(&dx, dev);
        let dx = dx.to_vec::<f64>().unwrap();
        assert_close(&dx, &dx_want, tol, &format!("backward input {dtype} {c:?} on {dev}"));
        let dw = conv2d_backward_weight(&gt, &xt, [c.w[2], c.w[3]], c.p).unwrap();
        assert_eq!(dw.size(), &c.w);
        assert_on(&dw, dev);
        let dw = dw.to_vec::<f64>().unwrap();
        assert_close(&dw, &dw_want, tol, &format!("backward weight {dtype} {c:?} on {dev}"));
        if dtype == DType::F64 {
            // <g, conv(x, w)> = <conv_backward_input(g), x> = <conv_backward_weight(g), w>
            let y = xt.conv2d(&wt, None, c.p).unwrap().to_vec::<f64>().unwrap();
            let lhs = dot(&g, &y);
            assert!((lhs - dot(&dx, &x)).abs() <= 1e-9 * (1.0 + lhs.abs()), "{c:?} on {dev}");
            assert!((lhs - dot(&dw, &w)).abs() <= 1e-9 * (1.0 + lhs.abs()), "{c:?} on {dev}");
        }
    }
}

#[test]
fn conv2d_matches_naive_reference() {
    runner()
        .run(&case(), |c| {
            for dev in devices() {
                check_forward(&dev, &c);
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn conv2d_gradients_match_naive_adjoint() {
    runner()
        .run(&case(), |c| {
            for dev in devices() {
                check_backward(&dev, &c);
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn unfold_and_fold_match_naive_reference() {
    runner()
        .run(&case(), |c| {
            for dev in devices() {
                let dev = &dev;
                let c = Case { w: [1, c.x[1], c.w[2], c.w[3]], p: Conv2dParams { groups: 1, ..c.p }, ..c };
                let (x, _, _) = inputs(&c);
                let [oh, ow] = c.out_hw();
                let (ck, l) = (c.x[1] * c.w[2] * c.w[3], oh * ow);
                // cols[b, (ic * kh + ky) * kw + kx, oy * ow + ox] = x[b, ic, iy, ix]
                let mut want = vec![0.0; c.x[0] * ck * l];
                for_each_tap(&c, |[b, _, oy, ox, ic, iy, ix, ky, kx]| {
                    let r = (ic * c.w[2] + ky) * c.w[3] + kx;
                    want[(b * ck + r) * l + oy * ow + ox] = x[idx4(c.x, [b, ic, iy, ix])];
                });
                let k = [c.w[2], c.w[3]];
                let cols = tensor(dev, &x, &c.x).unfold(k, c.p.dilation, c.p.padding, c.p.stride).unwrap();
                assert_eq!(cols.size(), &[c.x[0], ck, l]);
                assert_eq!(cols.to_vec::<f64>().unwrap(), want, "{c:?}");
                // fold is the adjoint: <fold(y), x> = <y, unfold(x)>
                let y = values(want.len(), c.seed ^ 3);
                let folded = tensor(dev, &y, &[c.x[0], ck, l])
                    .fold([c.x[2], c.x[3]], k, c.p.dilation, c.p.padding, c.p.stride)
                    .unwrap();
                assert_eq!(folded.size(), &c.x);
                let lhs = dot(&folded.to_vec::<f64>().unwrap(), &x);
                assert!((lhs - dot(&y, &want)).abs() < 1e-9 * (1.0 + lhs.abs()), "{c:?}");
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn large_shapes_use_bands_threads_and_pointwise() {
    let p = |s: usize, pad: usize, d: usize, groups: usize| Conv2dParams {
        stride: [s, s],
        padding: [pad, pad],
        dilation: [d, d],
        groups,
    };
    let cases = [
        // Many channels and wide rows: several bands per image, one task per image.
        Case { x: [3, 64, 12, 40], w: [4, 64, 3, 3], p: p(1, 1, 1, 1), bias: true, seed: 1 },
        Case { x: [2, 48, 14, 33], w: [6, 24, 3, 2], p: p(2, 1, 2, 2), bias: false, seed: 2 },
        // Pointwise, grouped pointwise, and a single image (gemm threads).
        Case { x: [2, 16, 9, 11], w: [8, 16, 1, 1], p: p(1, 0, 1, 1), bias: true, seed: 3 },
        Case { x: [3, 12, 5, 7], w: [6, 4, 1, 1], p: p(1, 0, 1, 3), bias: false, seed: 4 },
        Case { x: [1, 32, 30, 30], w: [16, 32, 3, 3], p: p(1, 1, 1, 1), bias: false, seed: 5 },
        // Depthwise.
        Case { x: [4, 8, 17, 13], w: [8, 1, 3, 3], p: p(1, 1, 1, 8), bias: true, seed: 6 },
        // Many input channels on a small plane: the input gradient (a convolution with the
        // channel dims swapped) runs the channel-vectorised kernel, with dilation too.
        Case { x: [2, 16, 9, 11], w: [6, 16, 3, 3], p: p(1, 1, 1, 1), bias: false, seed: 9 },
        Case { x: [2, 20, 8, 7], w: [5, 20, 2, 3], p: p(1, 2, 2, 1), bias: true, seed: 10 },
        // Rows wider than one row tile of the channel-vectorised kernel (three chunks of 12
        // columns, the last one overlapping), and its general tiles (stride 2 in width).
        Case { x: [2, 3, 4, 37], w: [16, 3, 2, 3], p: p(1, 0, 1, 1), bias: false, seed: 12 },
        Case {
            x: [2, 3, 6, 37],
            w: [13, 3, 2, 3],
            p: Conv2dParams { stride: [1, 2], ..p(1, 1, 1, 1) },
            bias: true,
            seed: 13,
        },
        // Many channels, stride 1: one gemm per tap without im2col (forward and input
        // gradient), with dilation, groups and a non-square kernel.
        Case {
            x: [2, 32, 20, 37],
            w: [32, 16, 3, 2],
            p: Conv2dParams { dilation: [2, 1], ..p(1, 1, 1, 2) },
            bias: true,
            seed: 14,
        },
        // Tiles of several blocks of output channels in the channel-vectorised kernel: four
        // blocks (64 channels) with two chunks of taps, two bands of rows and a narrower last
        // column tile, and many chunks of positions in the weight gradient; in the input
        // gradient too (64 input channels, nine chunks of taps).
        Case { x: [1, 8, 40, 45], w: [64, 8, 3, 3], p: p(1, 1, 1, 1), bias: true, seed: 15 },
        Case { x: [2, 64, 6, 13], w: [64, 64, 3, 3], p: p(1, 1, 1, 1), bias: false, seed: 16 },
        // Two blocks (32 channels): general tiles (stride 2 in width; dilation 2 in width for
        // the weight gradient), with groups.
        Case {
            x: [2, 5, 9, 13],
            w: [32, 5, 3, 3],
            p: Conv2dParams { stride: [1, 2], ..p(1, 1, 1, 1) },
            bias: true,
            seed: 17,
        },
        Case {
            x: [1, 12, 9, 14],
            w: [64, 6, 2, 3],
            p: Conv2dParams { dilation: [1, 2], ..p(1, 1, 1, 2) },
            bias: false,
            seed: 18,
        },
        // The LeNet shapes.
        Case { x: [4, 1, 28, 28], w: [6, 1, 5, 5], p: p(1, 2, 1, 1), bias: true, seed: 7 },
        Case { x: [4, 6, 14, 14], w: [16, 6, 5, 5], p: p(1, 0, 1, 1), bias: true, seed: 8 },
    ];
    for dev in devices() {
        for c in &cases {
            check_forward(&dev, c);
            check_backward(&dev, c);
        }
    }
}

#[test]
fn non_contiguous_and_unbatched_inputs() {
    on_each_device(|dev| {
        let c = Case {
            x: [2, 4, 6, 5],
            w: [6, 2, 3, 2],
            p: Conv2dParams { stride: [1, 2], padding: [1, 1], dilation: [1, 1], groups: 2 },
            bias: true,
            seed: 11,
        };
        let (x, w, b) = inputs(&c);
        let want = tensor(dev, &x, &c.x).conv2d(&tensor(dev, &w, &c.w), Some(&tensor(dev, &b, &[6])), c.p).unwrap();
        // The same input stored NHWC and viewed as NCHW; the weight stored [kh, kw, o, c/g].
        let x_nhwc = tensor(dev, &x, &c.x).permute(&[0, 2, 3, 1]).unwrap().contiguous().unwrap();
        let xv = x_nhwc.permute(&[0, 3, 1, 2]).unwrap();
        assert!(!xv.is_contiguous());
        let w_perm = tensor(dev, &w, &c.w).permute(&[2, 3, 0, 1]).unwrap().contiguous().unwrap();
        let wv = w_perm.permute(&[2, 3, 0, 1]).unwrap();
        let interleaved: Vec<f64> = b.iter().flat_map(|&v| [v, 0.0]).collect();
        let bias_strided = tensor(dev, &interleaved, &[6, 2]).select(1, 0).unwrap();
        assert!(!bias_strided.is_contiguous());
        let got = xv.conv2d(&wv, Some(&bias_strided), c.p).unwrap();
        assert_eq!(got.to_vec::<f64>().unwrap(), want.to_vec::<f64>().unwrap());
        // A broadcast (stride 0) output gradient, as `.sum().backward()` produces.
        let [_, _, oh, ow] = c.out();
        let gv = Tensor::ones([1, 1, oh, ow], DType::F64, &Device::Cpu).unwrap().expand(&[2, 6, -1, -1]).unwrap();
        let g = gv.contiguous().unwrap();
        let dx = conv2d_backward_input(&gv, &wv, [6, 5], c.p).unwrap();
        let dx_want = conv2d_backward_input(&g.contiguous().unwrap(), &tensor(dev, &w, &c.w), [6, 5], c.p).unwrap();
        assert_eq!(dx.to_vec::<f64>().unwrap(), dx_want.to_vec::<f64>().unwrap());
        let dw = conv2d_backward_weight(&gv, &xv, [3, 2], c.p).unwrap();
        let dw_want = conv2d_backward_weight(&g, &tensor(dev, &x, &c.x), [3, 2], c.p).unwrap();
        assert_eq!(dw.to_vec::<f64>().unwrap(), dw_want.to_vec::<f64>().unwrap());

        // A 3-d input is one image and gives a 3-d result.
        let x0 = tensor(dev, &x, &c.x).select(0, 0).unwrap();
        let y0 = x0.conv2d(&tensor(dev, &w, &c.w), None, c.p).unwrap();
        let y_batched = tensor(dev, &x, &c.x).conv2d(&tensor(dev, &w, &c.w), None, c.p).unwrap().select(0, 0).unwrap();
        assert_eq!(y0.size(), y_batched.size());
        assert_eq!(y0.to_vec::<f64>().unwrap(), y_batched.to_vec::<f64>().unwrap());
        let g0 = y0.ones_like(None).unwrap();
        assert_eq!(conv2d_backward_input(&g0, &tensor(dev, &w, &c.w), [6, 5], c.p).unwrap().size(), &[4, 6, 5]);
        assert_eq!(conv2d_backward_weight(&g0, &x0, [3, 2], c.p).unwrap().size(), &[6, 2, 3, 2]);
        let cols = x0.unfold([3, 2], [1, 1], [1, 1], [1, 2]).unwrap();
        assert_eq!(cols.size(), &[24, 6 * 3]);
        assert_eq!(cols.fold([6, 5], [3, 2], [1, 1], [1, 1], [1, 2]).unwrap().size(), &[4, 6, 5]);
    });
}

#[test]
fn half_precision_and_empty_batch() {
    on_each_device(|dev| {
        let c = Case {
            x: [2, 3, 7, 6],
            w: [4, 3, 3, 3],
            p: Conv2dParams { padding: [1, 0], ..Default::default() },
            bias: true,
            seed: 5,
        };
        let (x, w, b) = inputs(&c);
        let want = conv_ref(&c, &x, &w, Some(&b));
        for dtype in [DType::F16, DType::BF16] {
            let t = |v: &[f64], s: &[usize]| tensor(dev, v, s).to_dtype(dtype).unwrap();
            let y = t(&x, &c.x).conv2d(&t(&w, &c.w), Some(&t(&b, &[4])), c.p).unwrap();
            assert_eq!(y.dtype(), dtype);
            let tol = if dtype == DType::F16 { 2e-3 } else { 1e-2 };
            assert_close(&y.to_vec::<f64>().unwrap(), &want, tol, "half forward");
            let g = y.ones_like(None).unwrap();
            assert_eq!(conv2d_backward_input(&g, &t(&w, &c.w), [7, 6], c.p).unwrap().dtype(), dtype);
            assert_eq!(conv2d_backward_weight(&g, &t(&x, &c.x), [3, 3], c.p).unwrap().dtype(), dtype);
        }
        let x = Tensor::zeros([0, 3, 7, 6], DType::F32, dev).unwrap();
        let w = Tensor::ones([4, 3, 3, 3], DType::F32, &Device::Cpu).unwrap();
        let y = x.conv2d(&w, None, Conv2dParams::default()).unwrap();
        assert_eq!(y.size(), &[0, 4, 5, 4]);
        assert_eq!(
            conv2d_backward_weight(&y, &x, [3, 3], Conv2dParams::default()).unwrap().to_vec::<f32>().unwrap(),
            vec![0.0; 108]
        );
    });
}

#[test]
fn conv2d_matches_pytorch() {
    on_each_device(|dev| {
        // import torch, torch.nn.functional as F
        // x = ((torch.arange(40, dtype=torch.float64) % 7 - 3) / 4).reshape(1, 2, 4, 5).requires_grad_()
        // w = ((torch.arange(12, dtype=torch.float64) % 5 - 2) / 2).reshape(2, 1, 3, 2).requires_grad_()
        // b = torch.tensor(dev, [0.25, -0.5], dtype=torch.float64, requires_grad=True)
        // y = F.conv2d(x, w, b, stride=(2, 1), padding=(1, 1), dilation=(1, 2), groups=2)
        // gw = torch.arange(y.numel(), dtype=torch.float64).reshape(y.shape) / 8
        // (y * gw).sum().backward()   # x.grad, w.grad, b.grad
        let x: Vec<f64> = (0..40).map(|i| ((i % 7) as f64 - 3.0) / 4.0).collect();
        let w: Vec<f64> = (0..12).map(|i| ((i % 5) as f64 - 2.0) / 2.0).collect();
        let (xt, wt, bt) =
            (tensor(dev, &x, &[1, 2, 4, 5]), tensor(dev, &w, &[2, 1, 3, 2]), tensor(dev, &[0.25, -0.5], &[2]));
        let p = Conv2dParams { stride: [2, 1], padding: [1, 1], dilation: [1, 2], groups: 2 };
        let y = xt.conv2d(&wt, Some(&bt), p).unwrap();
        assert_eq!(y.size(), &[1, 2, 2, 5]);
        let y_torch = [
            -0.75, 1.375, 1.5, -0.125, -0.25, 0.25, -0.125, -0.375, 0.25, 1.0, -1.5, -1.25, -1.25, -1.25, 0.125, -0.25,
            0.375, 0.25, 0.125, 0.125,
        ];
        assert_eq!(y.to_vec::<f64>().unwrap(), y_torch);
        let g: Vec<f64> = (0..20).map(|i| i as f64 / 8.0).collect();
        let gt = tensor(dev, &g, &[1, 2, 2, 5]);
        let gx_torch = [
            0.0, 0.0, 0.0625, 0.125, 0.1875, -0.625, -0.9375, -1.125, -1.3125, -0.875, 0.0, 0.3125, 0.375, 0.4375, 0.5,
            0.75, 0.25, 0.25, 0.25, -1.0, 0.6875, 2.0, 2.1875, 2.375, 1.625, -2.375, -3.1875, -3.4375, -3.6875,
            -0.8125, 1.0, 2.9375, 3.125, 3.3125, 2.25, -2.0, -3.0625, -3.25, -3.4375, -1.125,
        ];
        assert_eq!(conv2d_backward_input(&gt, &wt, [4, 5], p).unwrap().to_vec::<f64>().unwrap(), gx_torch);
        let gw_torch =
            [-0.28125, -0.78125, 1.25, 0.5, -0.59375, 0.25, 1.46875, -0.28125, -0.09375, 1.25, -2.125, -1.15625];
        assert_eq!(conv2d_backward_weight(&gt, &xt, [3, 2], p).unwrap().to_vec::<f64>().unwrap(), gw_torch);
        assert_eq!(conv2d_backward_bias(&gt).unwrap().to_vec::<f64>().unwrap(), [5.625, 18.125]);
    });
}

#[test]
fn conv2d_errors_name_op_and_shapes() {
    on_each_device(|dev| {
        let t = |s: &[usize]| Tensor::ones(s, DType::F32, dev).unwrap();
        let d = Conv2dParams::default();
        let msg = |r: tensor_core::Result<Tensor>| {
            let e = r.unwrap_err();
            (e.kind(), e.to_string())
        };
        let (k, m) = msg(t(&[2, 4]).conv2d(&t(&[1, 1, 1, 1]), None, d));
        assert_eq!(k, ErrorKind::Shape);
        assert!(m.starts_with("conv2d:") && m.contains("[2, 4]"), "{m}");
        let (_, m) = msg(t(&[1, 3, 8, 8]).conv2d(&t(&[6, 3, 5]), None, d));
        assert!(m.contains("4-dimensional weight") && m.contains("[6, 3, 5]"), "{m}");
        let (_, m) = msg(t(&[1, 3, 8, 8]).conv2d(&t(&[6, 1, 5, 5]), None, d));
        assert!(m.contains("expected input[1, 3, 8, 8] to have 1 channels, but got 3 channels"), "{m}");
        let g2 = Conv2dParams { groups: 2, ..d };
        let (_, m) = msg(t(&[1, 4, 8, 8]).conv2d(&t(&[3, 2, 3, 3]), None, g2));
        assert!(
            m.contains("Given groups=2, expected weight to be divisible by 2 at dimension 0")
                && m.contains("[3, 2, 3, 3]")
        );
        let (_, m) = msg(t(&[1, 5, 8, 8]).conv2d(&t(&[4, 2, 3, 3]), None, g2));
        assert!(m.contains("to have 4 channels, but got 5 channels"), "{m}");
        let (_, m) = msg(t(&[1, 1, 4, 4]).conv2d(&t(&[1, 1, 5, 5]), None, d));
        assert!(m.contains("Calculated padded input size per channel: (4 x 4). Kernel size: (5 x 5)"), "{m}");
        let dil = Conv2dParams { dilation: [2, 2], padding: [1, 1], ..d };
        assert_eq!(t(&[1, 1, 4, 4]).conv2d(&t(&[1, 1, 3, 3]), None, dil).unwrap().size(), &[1, 1, 2, 2]);
        let dil = Conv2dParams { dilation: [2, 2], ..d };
        let (_, m) = msg(t(&[1, 1, 3, 3]).conv2d(&t(&[1, 1, 3, 3]), None, dil));
        assert!(m.contains("(3 x 3). Kernel size: (5 x 5)"), "{m}");
        let (_, m) = msg(t(&[1, 1, 4, 4]).conv2d(&t(&[2, 1, 3, 3]), Some(&t(&[3])), d));
        assert!(m.contains("expected bias to be 1-dimensional with 2 elements, but got bias of size [3]"), "{m}");
        let (k, _) = msg(t(&[1, 1, 4, 4]).conv2d(&t(&[1, 1, 3, 3]), None, Conv2dParams { stride: [0, 1], ..d }));
        assert_eq!(k, ErrorKind::Value);
        assert!(t(&[1, 1, 4, 4]).conv2d(&t(&[1, 1, 3, 3]), None, Conv2dParams { groups: 0, ..d }).is_err());
        let ints = Tensor::ones([1, 1, 4, 4], DType::I64, dev).unwrap();
        let (k, m) = msg(ints.conv2d(&ints, None, d));
        assert_eq!(k, ErrorKind::DType);
        assert!(m.contains("int64"), "{m}");
        let f64w = Tensor::ones([1, 1, 3, 3], DType::F64, dev).unwrap();
        let (k, m) = msg(t(&[1, 1, 4, 4]).conv2d(&f64w, None, d));
        assert_eq!(k, ErrorKind::DType);
        assert!(m.contains("should be the same"), "{m}");
        // Gradients: a grad_output that does not fit the convolution.
        let (_, m) = msg(conv2d_backward_input(&t(&[1, 2, 3, 3]), &t(&[2, 1, 3, 3]), [4, 4], d));
        assert!(m.starts_with("conv2d_backward_input:") && m.contains("[1, 2, 3, 3]"), "{m}");
        assert!(conv2d_backward_input(&t(&[1, 3, 2, 2]), &t(&[2, 1, 3, 3]), [4, 4], d).is_err());
        let (_, m) = msg(conv2d_backward_weight(&t(&[1, 2, 3, 3]), &t(&[1, 1, 4, 4]), [3, 3], d));
        assert!(m.starts_with("conv2d_backward_weight:"), "{m}");
        assert!(conv2d_backward_weight(&t(&[2, 2, 2, 2]), &t(&[1, 1, 4, 4]), [3, 3], d).is_err());
        // unfold / fold.
        let (_, m) = msg(t(&[1, 1, 2, 2]).unfold([3, 3], [1, 1], [0, 0], [1, 1]));
        assert!(m.starts_with("unfold:") && m.contains("kernel_size=[3, 3]"), "{m}");
        let (_, m) = msg(t(&[1, 10, 4]).fold([3, 3], [2, 2], [1, 1], [0, 0], [1, 1]));
        assert!(m.contains("divisible by the product of kernel_size"), "{m}");
        let (_, m) = msg(t(&[1, 8, 5]).fold([3, 3], [2, 2], [1, 1], [0, 0], [1, 1]));
        assert!(m.contains("calculated number of sliding blocks 4, but got input.size(2)=5"), "{m}");
    });
}

/// CPU only: it tests the CPU's buffer cache.
#[test]
fn outputs_never_show_recycled_buffers() {
    // Conv outputs and max-pool values/indices come from the CPU buffer cache without clearing
    // (every element is written): fill the cache with NaN buffers of exactly their sizes, and
    // the results must equal those computed with an empty cache, bit for bit. Both conv paths:
    // the direct kernel (one input channel, as LeNet's first layer) and im2col + gemm.
    use tensor_core::cpu::cache::empty_cpu_cache;
    let p = Conv2dParams { stride: [1, 1], padding: [2, 2], dilation: [1, 1], groups: 1 };
    let mut g = tensor_core::random::Generator::new(7);
    for (x_shape, w_shape) in [([64usize, 1, 28, 28], [6usize, 1, 5, 5]), ([16, 6, 32, 32], [16, 6, 5, 5])] {
        let x = Tensor::randn_with(x_shape, DType::F32, &Device::Cpu, &mut g).unwrap();
        let w = Tensor::randn_with(w_shape, DType::F32, &Device::Cpu, &mut g).unwrap();
        let run = || {
            let y = x.conv2d(&w, None, p).unwrap();
            let (v, i) = y.max_pool2d_with_indices([2, 2], [2, 2], [0, 0], [1, 1], false).unwrap();
            (y.to_vec::<f32>().unwrap(), v.to_vec::<f32>().unwrap(), i.to_vec::<i64>().unwrap())
        };
        empty_cpu_cache();
        let want = run();
        let (ny, nv) = (want.0.len(), want.1.len());
        // Dropped, these NaN (and -1 index) buffers go to the cache, ready for the next outputs.
        drop([
            Tensor::full([ny], f64::NAN, DType::F32, &Device::Cpu).unwrap(),
            Tensor::full([nv], f64::NAN, DType::F32, &Device::Cpu).unwrap(),
        ]);
        drop(Tensor::full([nv], -1.0, DType::I64, &Device::Cpu).unwrap());
        let got = run();
        assert!(want.0.iter().map(|v| v.to_bits()).eq(got.0.iter().map(|v| v.to_bits())), "conv {x_shape:?}");
        assert!(
            want.1.iter().map(|v| v.to_bits()).eq(got.1.iter().map(|v| v.to_bits())),
            "max-pool values {x_shape:?}"
        );
        assert_eq!(want.2, got.2, "max-pool indices {x_shape:?}");
    }
}
