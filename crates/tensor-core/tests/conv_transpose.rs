//! conv_transpose2d and conv1d (both composed from conv2d's backend calls) against naive loops
//! in f64, over random configurations through a seeded proptest runner, and their errors. Every
//! test runs on every device (the CPU, and the GPU when one is usable); the f64 sums compared
//! exactly are exact in any summation order.

use crate::common::{assert_on, devices, on_each_device};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use tensor_core::ops::conv::{Conv1dParams, ConvTranspose2dParams};
use tensor_core::{Device, ErrorKind, Tensor};

fn runner() -> TestRunner {
    let config = Config { cases: 48, failure_persistence: None, ..Config::default() };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]))
}

/// Deterministic multiples of 1/64 in [-1, 1): sums of their products are exact in f64.
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

/// A transposed convolution: input `[n, groups * cg, h, w]`, weight `[groups * cg, og, kh, kw]`.
#[derive(Debug, Clone, Copy)]
struct Case {
    x: [usize; 4],
    w: [usize; 4],
    p: ConvTranspose2dParams,
    bias: bool,
    seed: u64,
}

fn case() -> impl Strategy<Value = Case> {
    (
        (1usize..3, 1usize..3, 1usize..3, 1usize..4),
        (1usize..5, 1usize..5, 1usize..4, 1usize..4),
        (1usize..4, 1usize..4, 0usize..3, 0usize..3, 1usize..4, 1usize..4),
        (0usize..3, 0usize..3, any::<bool>(), any::<u64>()),
    )
        .prop_map(|((n, groups, cg, og), (h, w, kh, kw), (sh, sw, ph, pw, dh, dw), (oph, opw, bias, seed))| {
            // Output padding below max(stride, dilation), as PyTorch requires.
            let (oph, opw) = (oph % sh.max(dh), opw % sw.max(dw));
            Case {
                x: [n, cg * groups, h, w],
                w: [cg * groups, og, kh, kw],
                p: ConvTranspose2dParams {
                    stride: [sh, sw],
                    padding: [ph, pw],
                    output_padding: [oph, opw],
                    dilation: [dh, dw],
                    groups,
                },
                bias,
                seed,
            }
        })
}

/// The output size, or `None` where it is not positive.
fn out_hw(c: &Case) -> Option<[usize; 2]> {
    let len = |d: usize| {
        let p = &c.p;
        (c.x[2 + d] as isize - 1) * p.stride[d] as isize - 2 * p.padding[d] as isize
            + (p.dilation[d] * (c.w[2 + d] - 1)) as isize
            + p.output_padding[d] as isize
            + 1
    };
    let (h, w) = (len(0), len(1));
    (h > 0 && w > 0).then_some([h as usize, w as usize])
}

/// Each input pixel scatters its kernel-weighted copy into the output.
fn naive(c: &Case, x: &[f64], w: &[f64], b: &[f64], [oh, ow]: [usize; 2]) -> Vec<f64> {
    let [n, ci, h, wd] = c.x;
    let [_, og, kh, kw] = c.w;
    let (groups, cg) = (c.p.groups, ci / c.p.groups);
    let o = og * groups;
    let mut y = vec![0.0; n * o * oh * ow];
    for (i, v) in y.iter_mut().enumerate() {
        if c.bias {
            *v = b[(i / (oh * ow)) % o];
        }
    }
    for bn in 0..n {
        for ic in 0..ci {
            let g = ic / cg;
            for iy in 0..h {
                for ix in 0..wd {
                    let xv = x[((bn * ci + ic) * h + iy) * wd + ix];
                    for oc in 0..og {
                        for ky in 0..kh {
                            for kx in 0..kw {
                                let yy = (iy * c.p.stride[0] + ky * c.p.dilation[0]) as isize - c.p.padding[0] as isize;
                                let yx = (ix * c.p.stride[1] + kx * c.p.dilation[1]) as isize - c.p.padding[1] as isize;
                                if yy < 0 || yx < 0 || yy >= oh as isize || yx >= ow as isize {
                                    continue;
                                }
                                let out_c = g * og + oc;
                                let wv = w[((ic * og + oc) * kh + ky) * kw + kx];
                                y[((bn * o + out_c) * oh + yy as usize) * ow + yx as usize] += xv * wv;
                            }
                        }
                    }
                }
            }
        }
    }
    y
}

#[test]
fn conv_transpose2d_matches_a_naive_scatter() {
    runner()
        .run(&case(), |c| {
            let xv = values(c.x.iter().product(), c.seed);
            let wv = values(c.w.iter().product(), c.seed ^ 0x55);
            let o = c.w[1] * c.p.groups;
            let bv = values(o, c.seed ^ 0xaa);
            for dev in devices() {
                let (x, w, b) = (tensor(&dev, &xv, &c.x), tensor(&dev, &wv, &c.w), tensor(&dev, &bv, &[o]));
                let got = x.conv_transpose2d(&w, c.bias.then_some(&b), c.p);
                let Some(hw) = out_hw(&c) else {
                    let e = got.unwrap_err();
                    prop_assert_eq!(e.kind(), ErrorKind::Shape, "{}", e);
                    prop_assert!(e.to_string().contains("Output size is too small"), "{}", e);
                    continue;
                };
                let got = got.unwrap();
                assert_on(&got, &dev);
                prop_assert_eq!(got.size(), &[c.x[0], o, hw[0], hw[1]], "on {}", dev);
                prop_assert_eq!(got.to_vec::<f64>().unwrap(), naive(&c, &xv, &wv, &bv, hw), "on {}", dev);
                // An unbatched (CHW) input gives the first image's result without the batch dim.
                let one = x.select(0, 0).unwrap().conv_transpose2d(&w, c.bias.then_some(&b), c.p).unwrap();
                prop_assert_eq!(
                    one.to_vec::<f64>().unwrap(),
                    got.select(0, 0).unwrap().to_vec::<f64>().unwrap(),
                    "on {}",
                    dev
                );
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn conv1d_matches_a_naive_loop() {
    let strategy = (1usize..3, 1usize..3, 1usize..3, 1usize..4, 1usize..9, 1usize..4, 1usize..3, 0usize..3, 1usize..3)
        .prop_flat_map(|t| (Just(t), any::<u64>()));
    runner()
        .run(&strategy, |((n, groups, cg, og, l, k, s, p, d), seed)| {
            let (ci, o) = (cg * groups, og * groups);
            let params = Conv1dParams { stride: s, padding: p, dilation: d, groups };
            let xv = values(n * ci * l, seed);
            let wv = values(o * cg * k, seed ^ 3);
            let bv = values(o, seed ^ 5);
            for dev in devices() {
                let (x, w, b) =
                    (tensor(&dev, &xv, &[n, ci, l]), tensor(&dev, &wv, &[o, cg, k]), tensor(&dev, &bv, &[o]));
                let got = x.conv1d(&w, Some(&b), params);
                let span = d * (k - 1) + 1;
                if span > l + 2 * p {
                    let e = got.unwrap_err();
                    prop_assert!(
                        e.to_string().contains("Kernel size can't be greater than actual input size"),
                        "{}",
                        e
                    );
                    continue;
                }
                let ol = (l + 2 * p - span) / s + 1;
                let mut want = vec![0.0; n * o * ol];
                for bn in 0..n {
                    for oc in 0..o {
                        let g = oc / og;
                        for t in 0..ol {
                            let mut acc = bv[oc];
                            for ic in 0..cg {
                                for kk in 0..k {
                                    let i = (t * s + kk * d) as isize - p as isize;
                                    if i >= 0 && (i as usize) < l {
                                        acc +=
                                            xv[(bn * ci + g * cg + ic) * l + i as usize] * wv[(oc * cg + ic) * k + kk];
                                    }
                                }
                            }
                            want[(bn * o + oc) * ol + t] = acc;
                        }
                    }
                }
                let got = got.unwrap();
                assert_on(&got, &dev);
                prop_assert_eq!(got.size(), &[n, o, ol], "on {}", dev);
                prop_assert_eq!(got.to_vec::<f64>().unwrap(), want, "on {}", dev);
                // Unbatched (CL) input.
                let one = x.select(0, 0).unwrap().conv1d(&w, Some(&b), params).unwrap();
                prop_assert_eq!(
                    one.to_vec::<f64>().unwrap(),
                    got.select(0, 0).unwrap().to_vec::<f64>().unwrap(),
                    "on {}",
                    dev
                );
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn conv_transpose2d_and_conv1d_errors() {
    on_each_device(|dev| {
        let x = Tensor::zeros([1, 4, 3, 3], tensor_core::DType::F32, dev).unwrap();
        let w = |s: &[usize]| Tensor::zeros(s, tensor_core::DType::F32, dev).unwrap();
        let d = ConvTranspose2dParams::default();
        let msg = |r: tensor_core::Result<Tensor>| r.unwrap_err().to_string();
        let e = msg(x.conv_transpose2d(&w(&[3, 2, 3, 3]), None, d));
        assert!(
            e.contains(
                "Given transposed=1, weight of size [3, 2, 3, 3], expected input[1, 4, 3, 3] to have 3 channels"
            ),
            "{e}"
        );
        let e = msg(x.conv_transpose2d(&w(&[4, 2, 3]), None, d));
        assert!(e.contains("Expected 4-dimensional weight"), "{e}");
        let e = msg(x.conv_transpose2d(&w(&[4, 2, 3, 3]), None, ConvTranspose2dParams { groups: 3, ..d }));
        assert!(e.contains("expected weight to be divisible by 3 at dimension 0"), "{e}");
        let e = msg(x.conv_transpose2d(&w(&[4, 2, 3, 3]), None, ConvTranspose2dParams { stride: [0, 1], ..d }));
        assert!(e.contains("non-positive stride"), "{e}");
        let e = msg(x.conv_transpose2d(&w(&[4, 2, 3, 3]), None, ConvTranspose2dParams { output_padding: [1, 0], ..d }));
        assert!(e.contains("output padding must be smaller than either stride or dilation"), "{e}");
        let e = msg(x.conv_transpose2d(&w(&[4, 2, 3, 3]), Some(&w(&[4])), d));
        assert!(e.contains("expected bias to be 1-dimensional with 2 elements"), "{e}");
        let ints = Tensor::zeros([1, 4, 3, 3], tensor_core::DType::I64, dev).unwrap();
        assert_eq!(ints.conv_transpose2d(&w(&[4, 2, 3, 3]), None, d).unwrap_err().kind(), ErrorKind::DType);

        let seq = w(&[2, 3, 5]);
        let p = Conv1dParams::default();
        let e = msg(seq.conv1d(&w(&[4, 2, 3]), None, p));
        assert!(
            e.contains("Given groups=1, weight of size [4, 2, 3], expected input[2, 3, 5] to have 2 channels"),
            "{e}"
        );
        let e = msg(seq.conv1d(&w(&[4, 3, 1, 3]), None, p));
        assert!(e.contains("Expected 3-dimensional weight for 3-dimensional input [2, 3, 5]"), "{e}");
        let e = msg(w(&[5]).conv1d(&w(&[4, 3, 3]), None, p));
        assert!(e.contains("Expected 2D (unbatched) or 3D (batched) input to conv1d"), "{e}");
        let e = msg(seq.conv1d(&w(&[4, 3, 7]), None, p));
        assert!(e.contains("Calculated padded input size per channel: (5). Kernel size: (7)"), "{e}");
        let e = msg(seq.conv1d(&w(&[3, 1, 3]), None, Conv1dParams { groups: 2, ..p }));
        assert!(e.contains("expected weight to be divisible by 2 at dimension 0"), "{e}");
    });
}
