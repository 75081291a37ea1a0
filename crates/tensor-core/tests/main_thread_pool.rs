//! The main thread joins the CPU kernels' thread pool (`cpu/threads.rs`). This runs on the main
//! thread, so without the test harness (whose tests run on threads of their own); it answers
//! the harness's `--list` as libtest does, so that cargo-nextest can run it as one test.

use tensor_core::ops::conv::{conv2d_backward_input, conv2d_backward_weight, Conv2dParams};
use tensor_core::{manual_seed, DType, Device, Result, Tensor};

/// Parallel ops of every kind (a random fill, elementwise, a reduction along a dim, matmul
/// panels, conv forward and gradients, a sort), each large enough to be split.
fn work(x: &Tensor, w: &Tensor, m: &Tensor) -> Result<Vec<Vec<f32>>> {
    let p = Conv2dParams { padding: [1, 1], ..Default::default() };
    let y = x.conv2d(w, None, p)?;
    Ok(vec![
        (x * 2.0f32 + 1.0f32).flatten(0, -1)?.to_vec()?,
        x.sum_dim(&[0, 2, 3], false)?.to_vec()?,
        m.matmul(m)?.flatten(0, -1)?.to_vec()?,
        y.flatten(0, -1)?.to_vec()?,
        conv2d_backward_input(&y, w, [32, 32], p)?.flatten(0, -1)?.to_vec()?,
        conv2d_backward_weight(&y, x, [3, 3], p)?.flatten(0, -1)?.to_vec()?,
        m.sort(1, false)?.0.flatten(0, -1)?.to_vec()?,
    ])
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        if !args.iter().any(|a| a == "--ignored") {
            println!("main_thread_pool: test");
        }
        return Ok(());
    }
    manual_seed(3);
    let cpu = Device::Cpu;
    let x = Tensor::randn([8, 32, 32, 32], DType::F32, &cpu)?;
    let threads = rayon::current_num_threads();
    // With two threads or more, the main thread is thread 0 of the pool; else it is not in it.
    assert_eq!(rayon::current_thread_index(), (threads >= 2).then_some(0), "{threads} threads");
    // The count is fixed once the pool runs: `set_num_threads` now says so, with the count.
    assert_eq!(tensor_core::get_num_threads(), threads);
    let late = tensor_core::set_num_threads(threads + 1).unwrap_err().to_string();
    assert!(late.contains(&format!("already running with {threads} threads")), "{late}");
    let w = Tensor::randn([32, 32, 3, 3], DType::F32, &cpu)?;
    let m = Tensor::randn([384, 384], DType::F32, &cpu)?;
    let here = work(&x, &w, &m)?;
    // The same ops from another thread (queued to the workers while the main thread blocks in
    // `join`, outside rayon): they finish, with the same values.
    let (x2, w2, m2) = (x.clone(), w.clone(), m.clone());
    let there = std::thread::spawn(move || work(&x2, &w2, &m2)).join().expect("the other thread's ops")?;
    assert_eq!(here.len(), there.len());
    for (i, (a, b)) in here.iter().zip(&there).enumerate() {
        assert_eq!(a.len(), b.len(), "op {i}");
        for (&p, &q) in a.iter().zip(b) {
            // Reductions may pair their pieces in another order: equal to rounding.
            assert!((p - q).abs() <= 1e-4 * (1.0 + p.abs()), "op {i}: {p} against {q}");
        }
    }
    // A random draw is the same from either thread.
    manual_seed(5);
    let a = Tensor::randn([1 << 18], DType::F32, &cpu)?.to_vec::<f32>()?;
    let b = std::thread::spawn(|| {
        manual_seed(5);
        Tensor::randn([1 << 18], DType::F32, &Device::Cpu)?.to_vec::<f32>()
    })
    .join()
    .expect("the other thread's draw")?;
    assert_eq!(a, b);
    println!("main thread pool: {threads} threads, ops agree");
    Ok(())
}
