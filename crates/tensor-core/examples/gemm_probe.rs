//! The `gemm` crate alone, single-threaded and with its own threads, at the shapes our matmul
//! and convs hand it (row-major operands and result): the ceiling that `ops/matmul` is measured
//! against.
//!
//! `cargo run --release -p tensor-core --example gemm_probe`

use std::time::Instant;
fn bench(m: usize, n: usize, k: usize, rowmajor_dst: bool, par: bool) -> f64 {
    let a = vec![1.0f32; m * k];
    let b = vec![1.0f32; k * n];
    let mut d = vec![0.0f32; m * n];
    let mut ts = vec![];
    for _ in 0..15 {
        let t = Instant::now();
        unsafe {
            let (dcs, drs) = if rowmajor_dst { (1, n as isize) } else { (m as isize, 1) };
            gemm::gemm(
                m,
                n,
                k,
                d.as_mut_ptr(),
                dcs,
                drs,
                false,
                a.as_ptr(),
                1,
                k as isize,
                b.as_ptr(),
                1,
                n as isize,
                1.0,
                1.0,
                false,
                false,
                false,
                if par { gemm::Parallelism::Rayon(2) } else { gemm::Parallelism::None },
            );
        }
        ts.push(t.elapsed().as_secs_f64());
    }
    ts.sort_by(|a, b| a.partial_cmp(b).unwrap());
    2.0 * (m * n * k) as f64 / ts[ts.len() / 2] / 1e9
}
fn main() {
    for &(m, n, k) in &[
        (64, 3136, 576),
        (64, 448, 576),
        (64, 224, 576),
        (64, 896, 576),
        (576, 448, 64),
        (64, 576, 448),
        (64, 576, 3136),
        (1024, 1024, 1024),
        (6, 784, 25),
        (16, 100, 150),
    ] {
        println!("{m}x{n}x{k}: st {:.1} GF/s  par {:.1} GF/s", bench(m, n, k, true, false), bench(m, n, k, true, true));
    }
}
