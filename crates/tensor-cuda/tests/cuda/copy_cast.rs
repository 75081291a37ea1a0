//! Copies between host and device, casts between every pair of dtypes, strided copies into
//! views, and fills — each compared with the CPU on the layouts of `common::views`.

use crate::common;

use common::{assert_close, assert_close_tol, cpu, cuda_or_skip, sample, views, ALL};
use tensor_core::{DType, Tensor};

#[test]
fn upload_and_download_every_dtype_and_layout() {
    let Some(gpu) = cuda_or_skip() else { return };
    for (i, dtype) in ALL.into_iter().enumerate() {
        let x = sample(dtype, true, i as u64);
        let xg = x.to_device(&gpu).unwrap();
        for ((name, v), (_, vg)) in views(&x).into_iter().zip(views(&xg)) {
            let what = format!("to_device {dtype} {name}");
            // Back to the host straight from the strided view (gathered on the device).
            assert_close_tol(&what, &v, &vg, 0.0, 0.0);
            // A contiguous copy made on the device.
            assert_close_tol(
                &format!("{what} contiguous"),
                &v.contiguous().unwrap(),
                &vg.contiguous().unwrap(),
                0.0,
                0.0,
            );
        }
    }
}

#[test]
fn zeros_and_empty_tensors() {
    let Some(gpu) = cuda_or_skip() else { return };
    for dtype in ALL {
        let z = Tensor::zeros([3, 5], dtype, &gpu).unwrap();
        assert_close_tol(&format!("zeros {dtype}"), &Tensor::zeros([3, 5], dtype, &cpu()).unwrap(), &z, 0.0, 0.0);
        let e = Tensor::zeros([0, 4], dtype, &gpu).unwrap();
        assert_eq!(e.to_device(&cpu()).unwrap().size(), &[0, 4]);
        let e2 = Tensor::zeros([4, 0], dtype, &cpu()).unwrap().to_device(&gpu).unwrap();
        assert_eq!(e2.t().unwrap().contiguous().unwrap().size(), &[0, 4]);
    }
}

#[test]
fn casts_between_every_pair_of_dtypes() {
    let Some(gpu) = cuda_or_skip() else { return };
    // Values that exercise rounding, saturation, wrapping and NaN/inf handling.
    let special = Tensor::from_vec(
        vec![
            0.0,
            -0.0,
            1.5,
            -2.5,
            255.0,
            256.0,
            -1.0,
            300.7,
            65504.0,
            70000.0,
            1e10,
            -1e10,
            3.0e38,
            1e300,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            0.1,
            2147483648.0,
            -2147483649.0,
            9.3e18,
            1.0 / 3.0,
            1e-8,
            6e-5,
        ],
        [4, 6],
    )
    .unwrap();
    for (i, from) in ALL.into_iter().enumerate() {
        let inputs = [sample(from, true, 100 + i as u64), special.to_dtype(from).unwrap()];
        for x in inputs {
            let xg = x.to_device(&gpu).unwrap();
            for ((name, v), (_, vg)) in views(&x).into_iter().zip(views(&xg)) {
                for to in ALL {
                    let what = format!("cast {from} -> {to} ({name})");
                    assert_close_tol(&what, &v.to_dtype(to).unwrap(), &vg.to_dtype(to).unwrap(), 0.0, 0.0);
                }
            }
        }
    }
    // int64 past 2^53 converts directly, not through f64.
    let big = Tensor::from_vec(vec![i64::MAX, i64::MIN, (1 << 53) + 1, -(1 << 60) - 3], [4]).unwrap();
    let bg = big.to_device(&gpu).unwrap();
    for to in ALL {
        assert_close_tol(
            &format!("cast big int64 -> {to}"),
            &big.to_dtype(to).unwrap(),
            &bg.to_dtype(to).unwrap(),
            0.0,
            0.0,
        );
    }
}

#[test]
fn copy_into_strided_views_with_broadcast_sources() {
    let Some(gpu) = cuda_or_skip() else { return };
    for (i, dtype) in ALL.into_iter().enumerate() {
        let base = sample(dtype, false, 200 + i as u64);
        let src = sample(dtype, false, 300 + i as u64);
        // Destination: a transposed view; source: a row broadcast over it, and a full tensor.
        let sources = [src.narrow(0, 0, 1).unwrap().t().unwrap(), src.t().unwrap()];
        for s in sources {
            let want = base.clone();
            let got = base.to_device(&gpu).unwrap();
            want.t().unwrap().copy_(&s).unwrap();
            got.t().unwrap().copy_(&s.to_device(&gpu).unwrap()).unwrap();
            assert_close_tol(&format!("copy_ {dtype}"), &want, &got, 0.0, 0.0);
            // Writing through a sliced view changes only its elements.
            let mut want_s = want.slice(1, Some(0), None, 3).unwrap();
            let mut got_s = got.slice(1, Some(0), None, 3).unwrap();
            let patch = sample(dtype, false, 400 + i as u64).narrow(1, 0, 3).unwrap();
            want_s.copy_(&patch).unwrap();
            got_s.copy_(&patch.to_device(&gpu).unwrap()).unwrap();
            assert_close_tol(&format!("copy_ into a slice {dtype}"), &want, &got, 0.0, 0.0);
        }
        // A copy across dtypes (tensor-core casts first; the kernel also takes it directly).
        let mut want = base.clone();
        let mut got = base.to_device(&gpu).unwrap();
        let f = sample(DType::F64, true, 500 + i as u64);
        want.copy_(&f).unwrap();
        got.copy_(&f.to_device(&gpu).unwrap()).unwrap();
        assert_close_tol(&format!("copy_ f64 -> {dtype}"), &want, &got, 0.0, 0.0);
    }
}

#[test]
fn fills_of_strided_views() {
    let Some(gpu) = cuda_or_skip() else { return };
    for (i, dtype) in ALL.into_iter().enumerate() {
        let base = sample(dtype, false, 600 + i as u64);
        for value in [0.0, 1.0, -3.75, 300.5, 1e10] {
            let want = base.clone();
            let got = base.to_device(&gpu).unwrap();
            want.slice(1, Some(1), None, 2).unwrap().t().unwrap().fill_(value).unwrap();
            got.slice(1, Some(1), None, 2).unwrap().t().unwrap().fill_(value).unwrap();
            assert_close_tol(&format!("fill_ {dtype} {value}"), &want, &got, 0.0, 0.0);
        }
        let mut want = base.clone();
        let mut got = base.to_device(&gpu).unwrap();
        want.fill_(i64::MAX - 5).unwrap();
        got.fill_(i64::MAX - 5).unwrap();
        assert_close_tol(&format!("fill_ {dtype} large int"), &want, &got, 0.0, 0.0);
    }
}

#[test]
fn full_and_arange_on_the_device() {
    let Some(gpu) = cuda_or_skip() else { return };
    let want = Tensor::full([2, 3], 2.5, DType::F32, &cpu()).unwrap();
    let got = Tensor::full([2, 3], 2.5, DType::F32, &gpu).unwrap();
    assert_close("full", &want, &got);
    let want = Tensor::arange_dtype(0.0, 10.0, 0.5, DType::F64, &cpu()).unwrap();
    let got = Tensor::arange_dtype(0.0, 10.0, 0.5, DType::F64, &gpu).unwrap();
    assert_close("arange", &want, &got);
}

#[test]
fn narrow_integer_dtypes_stay_on_the_host() {
    let Some(gpu) = cuda_or_skip() else { return };
    for dtype in [DType::I8, DType::I16, DType::U16, DType::U32, DType::U64] {
        let x = Tensor::zeros([3], dtype, &cpu()).unwrap();
        let e = x.to_device(&gpu).unwrap_err();
        assert_eq!(e.kind(), tensor_core::ErrorKind::DType, "{e}");
        assert!(e.to_string().contains("stay on the CPU") && e.to_string().contains("to_dtype"), "{e}");
        assert!(Tensor::zeros([3], dtype, &gpu).is_err());
        // Converting to a dtype with kernels first is the way.
        let y = x.to_dtype(DType::I64).unwrap().to_device(&gpu).unwrap();
        assert_eq!(y.to_device(&cpu()).unwrap().to_vec::<i64>().unwrap(), [0, 0, 0]);
        // A device tensor does not convert to them either.
        assert!(y.to_dtype(dtype).is_err());
    }
}
