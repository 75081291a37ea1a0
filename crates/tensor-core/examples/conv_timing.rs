//! Times the conv and pooling workloads of `WORKLOADS.md`, each pass separately.
//!
//! `cargo run --release -p tensor-core --example conv_timing [filter]`

use std::time::Instant;
use tensor_core::ops::conv::{conv2d_backward_input, conv2d_backward_weight, Conv2dParams};
use tensor_core::ops::pool::max_pool2d_backward;
use tensor_core::{manual_seed, DType, Device, Result, Tensor};

/// The median of 20 timed runs after 3 warm-ups, as `WORKLOADS.md` times; the best of three
/// such medians, since other builds share the machine.
fn median_ms(mut f: impl FnMut() -> Result<()>) -> Result<f64> {
    let mut best = f64::INFINITY;
    for _ in 0..3 {
        for _ in 0..3 {
            f()?;
        }
        let mut ts = Vec::new();
        for _ in 0..20 {
            let t = Instant::now();
            f()?;
            ts.push(t.elapsed().as_secs_f64() * 1e3);
        }
        ts.sort_by(|a, b| a.partial_cmp(b).unwrap());
        best = best.min(ts[ts.len() / 2]);
    }
    Ok(best)
}

fn main() -> Result<()> {
    let filter = std::env::args().nth(1).unwrap_or_default();
    // A second argument `fwd` times the forward pass only (for profiling).
    let fwd_only = std::env::args().nth(2).is_some_and(|a| a == "fwd");
    let cpu = Device::Cpu;
    manual_seed(0);
    let cases: [(&str, [usize; 4], [usize; 4], usize); 3] = [
        ("conv_lenet1", [64, 1, 28, 28], [6, 1, 5, 5], 2),
        ("conv_lenet2", [64, 6, 14, 14], [16, 6, 5, 5], 0),
        ("conv_resnet", [8, 64, 56, 56], [64, 64, 3, 3], 1),
    ];
    for (name, xs, ws, pad) in cases {
        if !name.contains(&filter) {
            continue;
        }
        let x = Tensor::randn(xs, DType::F32, &cpu)?;
        let w = Tensor::randn(ws, DType::F32, &cpu)?;
        let p = Conv2dParams { padding: [pad, pad], ..Default::default() };
        let y = x.conv2d(&w, None, p)?;
        let g = y.ones_like(None)?;
        let fwd = median_ms(|| x.conv2d(&w, None, p).map(drop))?;
        if fwd_only {
            println!("{name:12} fwd {fwd:8.3} ms");
            continue;
        }
        let bi = median_ms(|| conv2d_backward_input(&g, &w, [xs[2], xs[3]], p).map(drop))?;
        let bw = median_ms(|| conv2d_backward_weight(&g, &x, [ws[2], ws[3]], p).map(drop))?;
        let fb = median_ms(|| {
            let y = x.conv2d(&w, None, p)?;
            let _s = y.sum()?;
            let g = y.ones_like(None)?;
            conv2d_backward_input(&g, &w, [xs[2], xs[3]], p)?;
            conv2d_backward_weight(&g, &x, [ws[2], ws[3]], p)?;
            Ok(())
        })?;
        println!("{name:12} fwd {fwd:8.3} ms  bwd_input {bi:8.3} ms  bwd_weight {bw:8.3} ms  fwdbwd {fb:8.3} ms");
        if std::env::var("STEPS").is_ok() {
            let mut acc = [0.0f64; 5];
            for _ in 0..20 {
                let t = Instant::now();
                let y = x.conv2d(&w, None, p)?;
                let t1 = t.elapsed().as_secs_f64();
                let _s = y.sum()?;
                let t2 = t.elapsed().as_secs_f64();
                let g = y.ones_like(None)?;
                let t3 = t.elapsed().as_secs_f64();
                conv2d_backward_input(&g, &w, [xs[2], xs[3]], p)?;
                let t4 = t.elapsed().as_secs_f64();
                conv2d_backward_weight(&g, &x, [ws[2], ws[3]], p)?;
                let t5 = t.elapsed().as_secs_f64();
                for (a, d) in acc.iter_mut().zip([t1, t2 - t1, t3 - t2, t4 - t3, t5 - t4]) {
                    *a += d * 1e3 / 20.0;
                }
            }
            println!(
                "  steps (mean ms): conv {:.3} sum {:.3} ones {:.3} bwd_in {:.3} bwd_w {:.3}",
                acc[0], acc[1], acc[2], acc[3], acc[4]
            );
        }
    }
    if "maxpool".contains(&filter) || filter.is_empty() {
        let x = Tensor::randn([64, 6, 28, 28], DType::F32, &cpu)?;
        let (v, i) = x.max_pool2d_with_indices([2, 2], [2, 2], [0, 0], [1, 1], false)?;
        let g = v.ones_like(None)?;
        let f = median_ms(|| x.max_pool2d_with_indices([2, 2], [2, 2], [0, 0], [1, 1], false).map(drop))?;
        let b = median_ms(|| max_pool2d_backward(&g, &i, x.size(), [2, 2], [2, 2], [0, 0], [1, 1], false).map(drop))?;
        let a = median_ms(|| x.avg_pool2d([2, 2], [2, 2], [0, 0], false, true).map(drop))?;
        println!("maxpool 2x2 [64,6,28,28] fwd {f:8.3} ms  bwd {b:8.3} ms  (avg_pool2d fwd {a:8.3} ms)");
    }
    Ok(())
}
