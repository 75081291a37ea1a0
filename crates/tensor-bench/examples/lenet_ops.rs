//! Times each kernel of a LeNet-5 training step (batch 64 by default) on its own, so a profile of
//! `lenet_step_bs64` can be read as milliseconds per op: `cargo run --release -p tensor-bench
//! --example lenet_ops [batch] [name]`. Prints the median and the minimum of 50 runs after 5
//! warm-ups (the minimum is the steadier figure on a noisy machine); with a name, times only
//! the kernels whose names contain it, 500 runs each (for a profiler). After the LeNet kernels,
//! the three passes of the ResNet conv workload (`resnet` selects only them).

use std::sync::OnceLock;
use std::time::Instant;
use tensor_core::ops::conv::{conv2d_backward_input, conv2d_backward_weight, Conv2dParams};
use tensor_core::ops::pool::max_pool2d_backward;
use tensor_core::{DType, Device, Result, Tensor};

/// The kernels to time (all when empty), from the second argument.
static ONLY: OnceLock<String> = OnceLock::new();

fn time(name: &str, mut f: impl FnMut() -> Result<()>) -> Result<f64> {
    let only = ONLY.get().map_or("", String::as_str);
    if !name.contains(only) {
        return Ok(0.0);
    }
    for _ in 0..5 {
        f()?;
    }
    let runs = if only.is_empty() || name.starts_with("resnet") { 50 } else { 500 };
    let mut ms: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f().map(|()| t.elapsed().as_secs_f64() * 1e3)
        })
        .collect::<Result<_>>()?;
    ms.sort_by(f64::total_cmp);
    println!("{name:28} {:8.3} ms  (min {:.3})", ms[runs / 2], ms[0]);
    Ok(ms[runs / 2])
}

fn main() -> Result<()> {
    let n: usize = std::env::args().nth(1).map_or(64, |s| s.parse().expect("batch size"));
    ONLY.set(std::env::args().nth(2).unwrap_or_default()).expect("set once");
    let cpu = Device::Cpu;
    let r = |s: &[usize]| Tensor::randn(s, DType::F32, &cpu);
    let p2 = Conv2dParams { padding: [2, 2], ..Conv2dParams::default() };
    let p0 = Conv2dParams::default();
    let (x, w1, w2) = (r(&[n, 1, 28, 28])?, r(&[6, 1, 5, 5])?, r(&[16, 6, 5, 5])?);
    let (y1, g1) = (r(&[n, 6, 28, 28])?, r(&[n, 6, 28, 28])?);
    let (p1, g2) = (r(&[n, 6, 14, 14])?, r(&[n, 16, 10, 10])?);
    let y2 = r(&[n, 16, 10, 10])?;
    let (h, wl, gl) = (r(&[n, 400])?, r(&[120, 400])?, r(&[n, 120])?);
    let mut total = 0.0;
    total += time("conv1 forward", || x.conv2d(&w1, None, p2).map(drop))?;
    total += time("conv1 grad weight", || conv2d_backward_weight(&g1, &x, [5, 5], p2).map(drop))?;
    total += time("conv1 grad bias", || g1.sum_dim(&[0, 2, 3], false).map(drop))?;
    total += time("relu1 forward", || y1.relu().map(drop))?;
    total += time("relu1 backward (where)", || g1.where_(&y1.gt(0.0)?, 0.0).map(drop))?;
    let (pv, pi) = y1.max_pool2d_with_indices([2, 2], [2, 2], [0, 0], [1, 1], false)?;
    total += time("pool1 forward", || y1.max_pool2d_with_indices([2, 2], [2, 2], [0, 0], [1, 1], false).map(drop))?;
    total += time("pool1 backward", || {
        max_pool2d_backward(&pv, &pi, &[n, 6, 28, 28], [2, 2], [2, 2], [0, 0], [1, 1], false).map(drop)
    })?;
    total += time("conv2 forward", || p1.conv2d(&w2, None, p0).map(drop))?;
    total += time("conv2 grad input", || conv2d_backward_input(&g2, &w2, [14, 14], p0).map(drop))?;
    total += time("conv2 grad weight", || conv2d_backward_weight(&g2, &p1, [5, 5], p0).map(drop))?;
    let (qv, qi) = y2.max_pool2d_with_indices([2, 2], [2, 2], [0, 0], [1, 1], false)?;
    total += time("pool2 forward", || y2.max_pool2d_with_indices([2, 2], [2, 2], [0, 0], [1, 1], false).map(drop))?;
    total += time("pool2 backward", || {
        max_pool2d_backward(&qv, &qi, &[n, 16, 10, 10], [2, 2], [2, 2], [0, 0], [1, 1], false).map(drop)
    })?;
    total += time("fc1 forward", || h.matmul(&wl.t()?).map(drop))?;
    total += time("fc1 grad input", || gl.matmul(&wl).map(drop))?;
    total += time("fc1 grad weight", || gl.t()?.matmul(&h).map(drop))?;
    println!("{:28} {total:8.3} ms", "sum");
    // And the three passes of the `conv_resnet_fwdbwd` workload, not in the sum.
    let p1 = Conv2dParams { padding: [1, 1], ..Conv2dParams::default() };
    let (x, w, g) = (r(&[8, 64, 56, 56])?, r(&[64, 64, 3, 3])?, r(&[8, 64, 56, 56])?);
    time("resnet forward", || x.conv2d(&w, None, p1).map(drop))?;
    time("resnet grad input", || conv2d_backward_input(&g, &w, [56, 56], p1).map(drop))?;
    time("resnet grad weight", || conv2d_backward_weight(&g, &x, [3, 3], p1).map(drop))?;
    Ok(())
}
