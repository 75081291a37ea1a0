//! Reductions and matrix products on the GPU against the CPU: every reduce op and dtype over
//! several dim sets and layouts, and matmul with transposed, sliced, batched and broadcast
//! operands, `addmm`'s alpha/beta and strided `out` tensors.

use crate::common;

use common::{assert_close, assert_close_tol, cpu, cuda_or_skip, sample, tol, views, ALL, FLOATS};
use tensor_core::backend::ReduceOp;
use tensor_core::random::Generator;
use tensor_core::{DType, Tensor};

const OPS: [ReduceOp; 8] = [
    ReduceOp::Sum,
    ReduceOp::Prod,
    ReduceOp::Max,
    ReduceOp::Min,
    ReduceOp::ArgMax,
    ReduceOp::ArgMin,
    ReduceOp::Any,
    ReduceOp::All,
];

/// Reduction tolerance: sums in another order, scaled by the number of terms.
fn reduce_tol(dtype: DType, n: usize) -> (f64, f64) {
    let (r, a) = tol(dtype);
    (r * (n as f64).max(1.0), a * (n as f64).max(1.0))
}

#[test]
fn every_reduction_on_every_layout() {
    let Some(gpu) = cuda_or_skip() else { return };
    for (i, dtype) in ALL.into_iter().enumerate() {
        for specials in [false, true] {
            if specials && !dtype.is_float() {
                continue;
            }
            let x = sample(dtype, specials, 1000 + i as u64);
            let xg = x.to_device(&gpu).unwrap();
            for ((name, v), (_, vg)) in views(&x).into_iter().zip(views(&xg)) {
                let rank = v.dim() as isize;
                let mut dim_sets: Vec<Vec<isize>> = vec![vec![]];
                for d in 0..rank {
                    dim_sets.push(vec![d]);
                }
                if rank >= 2 {
                    dim_sets.push(vec![0, rank - 1]);
                }
                for dims in &dim_sets {
                    for op in OPS {
                        // argmax/argmin take one dim (or all).
                        if matches!(op, ReduceOp::ArgMax | ReduceOp::ArgMin) && dims.len() > 1 {
                            continue;
                        }
                        let what = format!("{op:?} {dtype} {name} dims {dims:?}");
                        let want = v.reduce("r", Some(dims.as_slice()), false, op);
                        let got = vg.reduce("r", Some(dims.as_slice()), false, op);
                        match (want, got) {
                            (Ok(w), Ok(g)) => {
                                let n = if w.numel() == 0 { 1 } else { v.numel() / w.numel().max(1) };
                                let (rt, at) = reduce_tol(w.dtype(), n);
                                assert_close_tol(&what, &w, &g, rt, at);
                            }
                            (Err(_), Err(_)) => {}
                            (w, g) => panic!("{what}: cpu {:?} vs cuda {:?}", w.err(), g.err()),
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn scans_on_every_layout() {
    let Some(gpu) = cuda_or_skip() else { return };
    for (i, dtype) in ALL.into_iter().enumerate() {
        let x = sample(dtype, false, 2000 + i as u64);
        let xg = x.to_device(&gpu).unwrap();
        for ((name, v), (_, vg)) in views(&x).into_iter().zip(views(&xg)) {
            for d in 0..v.dim().max(1) as isize {
                for (op, f) in [
                    ("cumsum", Tensor::cumsum as fn(&Tensor, isize) -> tensor_core::Result<Tensor>),
                    ("cumprod", Tensor::cumprod),
                    ("reverse_cumsum", Tensor::reverse_cumsum),
                ] {
                    let what = format!("{op} {dtype} {name} dim {d}");
                    match (f(&v, d), f(&vg, d)) {
                        (Ok(w), Ok(g)) => {
                            let n = v.size().get(d as usize).copied().unwrap_or(1);
                            let (rt, at) = reduce_tol(w.dtype(), n);
                            assert_close_tol(&what, &w, &g, rt, at);
                        }
                        (Err(_), Err(_)) => {}
                        (w, g) => panic!("{what}: cpu {:?} vs cuda {:?}", w.err(), g.err()),
                    }
                }
            }
        }
    }
}

#[test]
fn sorts_on_every_layout() {
    let Some(gpu) = cuda_or_skip() else { return };
    for (i, dtype) in ALL.into_iter().enumerate() {
        for specials in [false, true] {
            if specials && !dtype.is_float() {
                continue;
            }
            let x = sample(dtype, specials, 3000 + i as u64);
            let xg = x.to_device(&gpu).unwrap();
            for ((name, v), (_, vg)) in views(&x).into_iter().zip(views(&xg)) {
                for d in 0..v.dim().max(1) as isize {
                    for descending in [false, true] {
                        let what = format!("sort {dtype} {name} dim {d} descending {descending}");
                        match (v.sort(d, descending), vg.sort(d, descending)) {
                            // A stable sort: the same values and the same positions.
                            (Ok((wv, wi)), Ok((gv, gi))) => {
                                assert_close_tol(&what, &wv, &gv, 0.0, 0.0);
                                assert_close_tol(&what, &wi, &gi, 0.0, 0.0);
                            }
                            (Err(_), Err(_)) => {}
                            (w, g) => panic!("{what}: cpu {:?} vs cuda {:?}", w.err(), g.err()),
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn long_reductions_use_the_block_kernel() {
    let Some(gpu) = cuda_or_skip() else { return };
    let mut g = Generator::new(7);
    for dtype in FLOATS {
        let x = Tensor::randn_with([3, 5000], dtype, &cpu(), &mut g).unwrap();
        let xg = x.to_device(&gpu).unwrap();
        for (k, (v, vg)) in
            [(x.shallow_clone(), xg.shallow_clone()), (x.t().unwrap(), xg.t().unwrap())].into_iter().enumerate()
        {
            let d = if k == 0 { 1 } else { 0 };
            let (rt, at) = reduce_tol(dtype, 5000);
            assert_close_tol(
                &format!("sum {dtype} #{k}"),
                &v.sum_dim(&[d], false).unwrap(),
                &vg.sum_dim(&[d], false).unwrap(),
                rt,
                at,
            );
            assert_close(&format!("max {dtype} #{k}"), &v.amax(&[d], false).unwrap(), &vg.amax(&[d], false).unwrap());
            assert_close(
                &format!("argmin {dtype} #{k}"),
                &v.argmin(Some(d), false).unwrap(),
                &vg.argmin(Some(d), false).unwrap(),
            );
        }
        let (rt, at) = reduce_tol(dtype, 15000);
        assert_close_tol(&format!("full sum {dtype}"), &x.sum().unwrap(), &xg.sum().unwrap(), rt, at);
        assert_close_tol(&format!("mean {dtype}"), &x.mean().unwrap(), &xg.mean().unwrap(), rt, at);
    }
    // Ties: the first index wins; NaN wins over everything.
    let t = Tensor::from_vec(vec![1.0f32, 3.0, 3.0, 0.0, 3.0], [5]).unwrap().expand(&[40, 5]).unwrap().t().unwrap();
    let t = t.contiguous().unwrap().reshape(&[200]).unwrap();
    let tg = t.to_device(&gpu).unwrap();
    assert_close("argmax ties", &t.argmax(None, false).unwrap(), &tg.argmax(None, false).unwrap());
    let mut v = vec![0.5f64; 3000];
    v[1234] = f64::NAN;
    v[2000] = f64::NAN;
    v[100] = 9.0;
    let n = Tensor::from_vec(v, [3000]).unwrap();
    let ng = n.to_device(&gpu).unwrap();
    assert_close("argmax nan", &n.argmax(None, false).unwrap(), &ng.argmax(None, false).unwrap());
    assert_close("max nan", &n.max().unwrap(), &ng.max().unwrap());
}

/// `x @ y` on both devices for CPU operands `x`, `y` (uploaded contiguous).
fn check_matmul(what: &str, x: &Tensor, y: &Tensor, gpu: &tensor_core::Device) {
    let (xg, yg) = (x.to_device(gpu).unwrap(), y.to_device(gpu).unwrap());
    let want = x.matmul(y).unwrap();
    let got = xg.matmul(&yg).unwrap();
    let k = *x.size().last().unwrap_or(&1);
    let (rt, at) = reduce_tol(want.dtype(), k);
    assert_close_tol(what, &want, &got, rt, at);
}

#[test]
fn matmul_layouts_and_dtypes() {
    let Some(gpu) = cuda_or_skip() else { return };
    let mut g = Generator::new(11);
    let dtypes = [DType::F32, DType::F64, DType::F16, DType::BF16, DType::I32, DType::I64, DType::U8];
    for dtype in dtypes {
        let r = |shape: &[usize], g: &mut Generator| -> Tensor {
            let t = Tensor::randn_with(shape, DType::F64, &cpu(), g).unwrap();
            if dtype.is_float() {
                t.to_dtype(dtype).unwrap()
            } else {
                t.mul(3.0).unwrap().abs().unwrap().round().unwrap().to_dtype(dtype).unwrap()
            }
        };
        let (a, b) = (r(&[7, 5], &mut g), r(&[5, 9], &mut g));
        check_matmul(&format!("{dtype} plain"), &a, &b, &gpu);
        // Transposed operands, on both devices as views of device storage.
        let (at, bt) = (r(&[5, 7], &mut g), r(&[9, 5], &mut g));
        let (atg, btg) = (at.to_device(&gpu).unwrap(), bt.to_device(&gpu).unwrap());
        let want = at.t().unwrap().matmul(&bt.t().unwrap()).unwrap();
        let got = atg.t().unwrap().matmul(&btg.t().unwrap()).unwrap();
        let (rt, atol) = reduce_tol(want.dtype(), 5);
        assert_close_tol(&format!("{dtype} transposed"), &want, &got, rt, atol);
        // A sliced operand with a column step (neither stride is 1: copied first).
        let wide = r(&[7, 10], &mut g);
        let wg = wide.to_device(&gpu).unwrap();
        let want = wide.slice(1, Some(0), None, 2).unwrap().matmul(&b).unwrap();
        let got = wg.slice(1, Some(0), None, 2).unwrap().matmul(&b.to_device(&gpu).unwrap()).unwrap();
        assert_close_tol(&format!("{dtype} stepped"), &want, &got, rt, atol);
        // Batched with a broadcast batch; matrix-vector; vector-vector.
        let (x3, y3) = (r(&[4, 3, 6], &mut g), r(&[6, 2], &mut g));
        check_matmul(&format!("{dtype} batched x 2-d"), &x3, &y3, &gpu);
        let (x4, y4) = (r(&[2, 1, 3, 6], &mut g), r(&[3, 6, 5], &mut g));
        check_matmul(&format!("{dtype} broadcast batches"), &x4, &y4, &gpu);
        check_matmul(&format!("{dtype} matrix-vector"), &r(&[4, 6], &mut g), &r(&[6], &mut g), &gpu);
        check_matmul(&format!("{dtype} dot"), &r(&[6], &mut g), &r(&[6], &mut g), &gpu);
        // k = 0: zeros.
        check_matmul(&format!("{dtype} k=0"), &r(&[3, 0], &mut g), &r(&[0, 4], &mut g), &gpu);
    }
}

#[test]
fn addmm_alpha_beta_and_strided_out() {
    let Some(gpu) = cuda_or_skip() else { return };
    let mut g = Generator::new(12);
    for dtype in [DType::F32, DType::F64, DType::F16, DType::I64] {
        let r = |shape: &[usize], g: &mut Generator| -> Tensor {
            let t = Tensor::randn_with(shape, DType::F64, &cpu(), g).unwrap();
            if dtype.is_float() {
                t.to_dtype(dtype).unwrap()
            } else {
                t.mul(4.0).unwrap().round().unwrap().to_dtype(dtype).unwrap()
            }
        };
        let (c, a, b) = (r(&[5, 4], &mut g), r(&[5, 3], &mut g), r(&[3, 4], &mut g));
        let (cg, ag, bg) = (c.to_device(&gpu).unwrap(), a.to_device(&gpu).unwrap(), b.to_device(&gpu).unwrap());
        let want = c.addmm(&a, &b, 0.5, 2.0).unwrap();
        let got = cg.addmm(&ag, &bg, 0.5, 2.0).unwrap();
        let (rt, at) = reduce_tol(dtype, 3);
        assert_close_tol(&format!("addmm {dtype}"), &want, &got, rt, at);
        // A transposed `out`: cuBLAS writes it as the transposed product.
        let mut out_w = Tensor::zeros([4, 5], dtype, &cpu()).unwrap().t().unwrap();
        let mut out_g = Tensor::zeros([4, 5], dtype, &gpu).unwrap().t().unwrap();
        Tensor::matmul_out(&a, &b, &mut out_w).unwrap();
        Tensor::matmul_out(&ag, &bg, &mut out_g).unwrap();
        assert_close_tol(&format!("matmul_out transposed {dtype}"), &out_w, &out_g, rt, at);
        assert!(out_g.size() == [5, 4] && out_g.stride()[0] == 1, "out was replaced instead of written");
    }
    // A large f32 product (cuBLAS path) stays close to the CPU's.
    let a = Tensor::randn_with([128, 256], DType::F32, &cpu(), &mut g).unwrap();
    let b = Tensor::randn_with([256, 64], DType::F32, &cpu(), &mut g).unwrap();
    check_matmul("f32 128x256x64", &a, &b, &gpu);
}

#[test]
fn reductions_into_an_out_write_in_place() {
    let Some(gpu) = cuda_or_skip() else { return };
    let x = sample(DType::F32, false, 4242);
    let xg = x.to_device(&gpu).unwrap();
    // A dense out at an offset (the kernel writes there), and a strided one (tensor-core copies).
    for strided in [false, true] {
        let make = |dev: &tensor_core::Device| {
            if strided {
                Tensor::zeros([6, 2], DType::F32, dev).unwrap().select(1, 1).unwrap()
            } else {
                Tensor::zeros([3, 6], DType::F32, dev).unwrap().select(0, 1).unwrap()
            }
        };
        let (mut out, mut outg) = (make(&cpu()), make(&gpu));
        Tensor::sum_out(&x, &[1], false, &mut out).unwrap();
        Tensor::sum_out(&xg, &[1], false, &mut outg).unwrap();
        assert_close(&format!("sum_out strided {strided}"), &out, &outg);
        assert_close("sum_out matches sum_dim", &x.sum_dim(&[1], false).unwrap(), &outg);
    }
}
