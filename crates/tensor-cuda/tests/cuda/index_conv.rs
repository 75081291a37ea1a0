//! Indexing (index_select, gather, scatter, scatter_add, index_add), convolution (im2col /
//! col2im via unfold / fold, conv2d and both gradients, with groups) and pooling on the GPU
//! against the CPU.

use crate::common;

use common::{assert_close, assert_close_tol, cpu, cuda_or_skip, sample, ALL, FLOATS};
use tensor_core::ops::conv::{conv2d_backward_input, conv2d_backward_weight, Conv2dParams};
use tensor_core::ops::pool::{avg_pool2d_backward, max_pool2d_backward};
use tensor_core::random::Generator;
use tensor_core::{DType, ErrorKind, Tensor};

/// Both results agree: equal within tolerance, or both errors.
fn both(what: &str, want: tensor_core::Result<Tensor>, got: tensor_core::Result<Tensor>) {
    match (want, got) {
        (Ok(w), Ok(g)) => assert_close(what, &w, &g),
        (Err(_), Err(_)) => {}
        (w, g) => panic!("{what}: cpu {:?} vs cuda {:?}", w.err(), g.err()),
    }
}

fn ints(v: &[i64], shape: &[usize], dtype: DType) -> Tensor {
    Tensor::from_vec(v.to_vec(), shape).unwrap().to_dtype(dtype).unwrap()
}

#[test]
fn index_select_and_gather() {
    let Some(gpu) = cuda_or_skip() else { return };
    for (i, dtype) in ALL.into_iter().enumerate() {
        let x = sample(dtype, false, 700 + i as u64);
        let xg = x.to_device(&gpu).unwrap();
        for idx_dtype in [DType::I64, DType::I32] {
            let rows = ints(&[5, 0, 2, 2, 3], &[5], idx_dtype);
            let cols = ints(&[7, 1, 1], &[3], idx_dtype);
            let (rg, cg) = (rows.to_device(&gpu).unwrap(), cols.to_device(&gpu).unwrap());
            let what = format!("{dtype} {idx_dtype}");
            assert_close(
                &format!("index_select 0 {what}"),
                &x.index_select(0, &rows).unwrap(),
                &xg.index_select(0, &rg).unwrap(),
            );
            // A transposed source and a stepped index view.
            let xt = x.t().unwrap();
            let xtg = xg.t().unwrap();
            let rs = rows.slice(0, Some(0), None, 2).unwrap();
            let rsg = rg.slice(0, Some(0), None, 2).unwrap();
            assert_close(
                &format!("index_select 1 {what}"),
                &xt.index_select(1, &rs).unwrap(),
                &xtg.index_select(1, &rsg).unwrap(),
            );
            assert_close(
                &format!("index_select cols {what}"),
                &x.index_select(1, &cols).unwrap(),
                &xg.index_select(1, &cg).unwrap(),
            );
            // gather along each dim with an index smaller than the input.
            let gi = ints(&[0, 7, 3, 3, 1, 0, 2, 6, 5, 4, 4, 4], &[3, 4], idx_dtype);
            let gig = gi.to_device(&gpu).unwrap();
            assert_close(&format!("gather 1 {what}"), &x.gather(1, &gi).unwrap(), &xg.gather(1, &gig).unwrap());
            let g0 = ints(&[5, 0, 1, 2, 3, 4, 5, 0], &[2, 4], idx_dtype);
            let g0g = g0.to_device(&gpu).unwrap();
            assert_close(&format!("gather 0 {what}"), &x.gather(0, &g0).unwrap(), &xg.gather(0, &g0g).unwrap());
        }
        // Out-of-range indices are an Index error on both devices, and nothing is written.
        let bad = ints(&[1, 6], &[2], DType::I64).to_device(&gpu).unwrap();
        assert_eq!(xg.index_select(0, &bad).unwrap_err().kind(), ErrorKind::Index);
        let neg = ints(&[-1], &[1], DType::I64).to_device(&gpu).unwrap();
        assert_eq!(xg.index_select(1, &neg).unwrap_err().kind(), ErrorKind::Index);
    }
}

#[test]
fn scatter_scatter_add_and_index_add() {
    let Some(gpu) = cuda_or_skip() else { return };
    for (i, dtype) in ALL.into_iter().enumerate() {
        let x = sample(dtype, false, 800 + i as u64);
        let src = sample(dtype, false, 900 + i as u64);
        let (xg, sg) = (x.to_device(&gpu).unwrap(), src.to_device(&gpu).unwrap());
        // scatter (replace) with distinct targets per column, so the result is deterministic.
        let idx = ints(&[5, 0, 1, 2, 3, 4, 4, 1, 2, 3, 0, 5, 1, 2, 3, 4], &[2, 8], DType::I64);
        let ig = idx.to_device(&gpu).unwrap();
        assert_close_tol(
            &format!("scatter {dtype}"),
            &x.scatter(0, &idx, &src).unwrap(),
            &xg.scatter(0, &ig, &sg).unwrap(),
            0.0,
            0.0,
        );
        // scatter_add with repeated targets (atomics on the GPU).
        let rep = ints(&[1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0], &[2, 8], DType::I64);
        let repg = rep.to_device(&gpu).unwrap();
        both(&format!("scatter_add {dtype}"), x.scatter_add(0, &rep, &src), xg.scatter_add(0, &repg, &sg));
        // index_add along each dim, with repeats, into a transposed destination.
        let rows = ints(&[2, 2, 5, 0, 2, 1], &[6], DType::I64);
        let rg = rows.to_device(&gpu).unwrap();
        both(&format!("index_add 0 {dtype}"), x.index_add(0, &rows, &src), xg.index_add(0, &rg, &sg));
        let cols = ints(&[0, 0, 3, 7, 7, 7, 1, 2], &[8], DType::I64);
        let cg = cols.to_device(&gpu).unwrap();
        let mut want = x.clone().t().unwrap().contiguous().unwrap().t().unwrap();
        let mut got = want.to_device(&gpu).unwrap().t().unwrap().contiguous().unwrap().t().unwrap();
        let (w, r) = (want.index_add_(1, &cols, &src), got.index_add_(1, &cg, &sg));
        assert_eq!(w.is_ok(), r.is_ok(), "index_add_ 1 {dtype}: cpu {w:?} vs cuda {r:?}");
        assert_close(&format!("index_add_ 1 {dtype}"), &want, &got);
    }
}

fn randn(shape: &[usize], dtype: DType, g: &mut Generator) -> Tensor {
    Tensor::randn_with(shape, DType::F64, &cpu(), g).unwrap().to_dtype(dtype).unwrap()
}

/// Tolerance of a sum of `n` products in `dtype`.
fn sum_tol(dtype: DType, n: usize) -> (f64, f64) {
    let (r, a) = common::tol(dtype);
    let n = (n as f64).sqrt().max(1.0) * 4.0;
    (r * n, a * n)
}

#[test]
fn conv2d_forward_and_gradients() {
    let Some(gpu) = cuda_or_skip() else { return };
    let mut g = Generator::new(21);
    let cases = [
        // (input [n, c, h, w], out channels, kernel, params)
        ([2, 3, 9, 8], 4, [3, 3], Conv2dParams::default()),
        ([2, 4, 10, 9], 6, [3, 2], Conv2dParams { stride: [2, 1], padding: [1, 2], dilation: [1, 2], groups: 2 }),
        ([1, 2, 7, 7], 2, [5, 5], Conv2dParams { stride: [1, 1], padding: [2, 2], dilation: [1, 1], groups: 1 }),
        ([3, 6, 6, 5], 3, [1, 1], Conv2dParams { stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 3 }),
    ];
    for dtype in FLOATS {
        for (k, (shape, o, kernel, p)) in cases.iter().enumerate() {
            let x = randn(shape, dtype, &mut g);
            let w = randn(&[*o, shape[1] / p.groups, kernel[0], kernel[1]], dtype, &mut g);
            let (xg, wg) = (x.to_device(&gpu).unwrap(), w.to_device(&gpu).unwrap());
            let taps = shape[1] / p.groups * kernel[0] * kernel[1];
            let (rt, at) = sum_tol(dtype, taps);
            let want = x.conv2d(&w, None, *p).unwrap();
            let got = xg.conv2d(&wg, None, *p).unwrap();
            assert_close_tol(&format!("conv2d {dtype} case {k}"), &want, &got, rt, at);
            // A permuted (channels-last in memory) input takes the same path after a copy.
            let xclg = xg.permute(&[0, 2, 3, 1]).unwrap().contiguous().unwrap().permute(&[0, 3, 1, 2]).unwrap();
            assert_close_tol(
                &format!("conv2d strided input {dtype} case {k}"),
                &want,
                &xclg.conv2d(&wg, None, *p).unwrap(),
                rt,
                at,
            );
            let gr = randn(want.size(), dtype, &mut g);
            let grg = gr.to_device(&gpu).unwrap();
            let hw = [shape[2], shape[3]];
            let (rt2, at2) = sum_tol(dtype, *o / p.groups * kernel[0] * kernel[1]);
            assert_close_tol(
                &format!("conv2d_backward_input {dtype} case {k}"),
                &conv2d_backward_input(&gr, &w, hw, *p).unwrap(),
                &conv2d_backward_input(&grg, &wg, hw, *p).unwrap(),
                rt2,
                at2,
            );
            let (rt3, at3) = sum_tol(dtype, shape[0] * want.size()[2] * want.size()[3]);
            assert_close_tol(
                &format!("conv2d_backward_weight {dtype} case {k}"),
                &conv2d_backward_weight(&gr, &x, *kernel, *p).unwrap(),
                &conv2d_backward_weight(&grg, &xg, *kernel, *p).unwrap(),
                rt3,
                at3,
            );
        }
        // unfold / fold are im2col / col2im.
        let x = randn(&[2, 3, 6, 7], dtype, &mut g);
        let xg = x.to_device(&gpu).unwrap();
        let (k, d, pad, s) = ([2, 3], [1, 1], [1, 0], [2, 1]);
        let cols = x.unfold(k, d, pad, s).unwrap();
        let cols_g = xg.unfold(k, d, pad, s).unwrap();
        assert_close_tol(&format!("unfold {dtype}"), &cols, &cols_g, 0.0, 0.0);
        let (rt, at) = sum_tol(dtype, 6);
        assert_close_tol(
            &format!("fold {dtype}"),
            &cols.fold([6, 7], k, d, pad, s).unwrap(),
            &cols_g.fold([6, 7], k, d, pad, s).unwrap(),
            rt,
            at,
        );
    }
}

#[test]
fn pooling_and_gradients() {
    let Some(gpu) = cuda_or_skip() else { return };
    let mut g = Generator::new(22);
    for dtype in FLOATS {
        // Ties (rounded values) and NaN: the first maximum wins, NaN wins.
        let x = randn(&[2, 3, 9, 8], dtype, &mut g).round().unwrap();
        x.narrow(2, 4, 1).unwrap().narrow(3, 4, 1).unwrap().fill_(f64::NAN).unwrap();
        let xg = x.to_device(&gpu).unwrap();
        for (kernel, stride, padding, dilation, ceil) in [
            ([2, 2], [2, 2], [0, 0], [1, 1], false),
            ([3, 3], [1, 2], [1, 1], [1, 1], true),
            ([3, 2], [2, 1], [1, 0], [2, 1], false),
        ] {
            let what = format!("{dtype} k{kernel:?} s{stride:?} p{padding:?} d{dilation:?}");
            let (v, i) = x.max_pool2d_with_indices(kernel, stride, padding, dilation, ceil).unwrap();
            let (vg, ig) = xg.max_pool2d_with_indices(kernel, stride, padding, dilation, ceil).unwrap();
            assert_close_tol(&format!("max_pool2d {what}"), &v, &vg, 0.0, 0.0);
            assert_close_tol(&format!("max_pool2d indices {what}"), &i, &ig, 0.0, 0.0);
            let gr = randn(v.size(), dtype, &mut g);
            let grg = gr.to_device(&gpu).unwrap();
            let shape = x.size().to_vec();
            assert_close(
                &format!("max_pool2d_backward {what}"),
                &max_pool2d_backward(&gr, &i, &shape, kernel, stride, padding, dilation, ceil).unwrap(),
                &max_pool2d_backward(&grg, &ig, &shape, kernel, stride, padding, dilation, ceil).unwrap(),
            );
            if dilation == [1, 1] {
                for include_pad in [false, true] {
                    let what = format!("{what} include_pad {include_pad}");
                    let a = x.nan_to_num(Some(0.0), None, None).unwrap();
                    let ag = a.to_device(&gpu).unwrap();
                    assert_close(
                        &format!("avg_pool2d {what}"),
                        &a.avg_pool2d(kernel, stride, padding, ceil, include_pad).unwrap(),
                        &ag.avg_pool2d(kernel, stride, padding, ceil, include_pad).unwrap(),
                    );
                    let (rt, at) = sum_tol(dtype, 9);
                    assert_close_tol(
                        &format!("avg_pool2d_backward {what}"),
                        &avg_pool2d_backward(&gr, &shape, kernel, stride, padding, ceil, include_pad).unwrap(),
                        &avg_pool2d_backward(&grg, &shape, kernel, stride, padding, ceil, include_pad).unwrap(),
                        rt,
                        at,
                    );
                }
            }
        }
    }
}
