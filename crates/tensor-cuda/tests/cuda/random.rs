//! Philox on the GPU gives the CPU generator's numbers: the same seed and offset give the same
//! uniforms (bit for bit) and the same normals (to the last few ulps of f64's log/sin/cos).

use crate::common;

use common::{assert_close_tol, cpu, cuda_or_skip, FLOATS};
use tensor_core::random::Generator;
use tensor_core::{DType, Tensor};

#[test]
fn uniforms_match_the_cpu_bit_for_bit() {
    let Some(gpu) = cuda_or_skip() else { return };
    for dtype in FLOATS {
        for (seed, n) in [(0u64, 1usize), (1, 7), (42, 1000), (u64::MAX, 4099)] {
            let (mut gc, mut gg) = (Generator::new(seed), Generator::new(seed));
            // Two draws in a row: the second starts at the advanced offset.
            for draw in 0..2 {
                let want = Tensor::rand_with([n], dtype, &cpu(), &mut gc).unwrap();
                let got = Tensor::rand_with([n], dtype, &gpu, &mut gg).unwrap();
                assert_close_tol(&format!("rand {dtype} seed {seed} n {n} draw {draw}"), &want, &got, 0.0, 0.0);
                assert_eq!(gc.offset(), gg.offset());
            }
        }
    }
    // Every value lies in [0, 1).
    let u = Tensor::rand_with([1 << 16], DType::BF16, &gpu, &mut Generator::new(3)).unwrap();
    let v = common::host_f64(&u);
    assert!(v.iter().all(|&x| (0.0..1.0).contains(&x)));
}

#[test]
fn normals_match_the_cpu() {
    let Some(gpu) = cuda_or_skip() else { return };
    for dtype in FLOATS {
        for (seed, n) in [(5u64, 1usize), (6, 2), (7, 1001), (8, 10_000)] {
            let (mut gc, mut gg) = (Generator::new(seed), Generator::new(seed));
            let want = Tensor::randn_with([n], dtype, &cpu(), &mut gc).unwrap();
            let got = Tensor::randn_with([n], dtype, &gpu, &mut gg).unwrap();
            // Box-Muller in f64 on both: f64 differs by a few ulps at most; f32 and the half
            // types round the same f64 (a one-ulp difference only at a rounding tie).
            let (rtol, atol) = match dtype {
                DType::F64 => (1e-13, 1e-13),
                DType::F32 => (2e-7, 1e-7),
                DType::F16 => (1e-3, 1e-4),
                _ => (8e-3, 1e-3),
            };
            assert_close_tol(&format!("randn {dtype} seed {seed} n {n}"), &want, &got, rtol, atol);
            assert_eq!(gc.offset(), gg.offset());
        }
    }
}

#[test]
fn manual_seed_gives_the_same_tensor_on_both_devices() {
    let Some(gpu) = cuda_or_skip() else { return };
    // The global generator is shared by the test threads: draw from explicit generators that
    // mirror `manual_seed`'s fresh stream instead.
    let want = Tensor::randn_with([3, 4], DType::F32, &cpu(), &mut Generator::new(2024)).unwrap();
    let got = Tensor::randn_with([3, 4], DType::F32, &gpu, &mut Generator::new(2024)).unwrap();
    assert_close_tol("randn [3, 4]", &want, &got, 2e-7, 1e-7);
}
