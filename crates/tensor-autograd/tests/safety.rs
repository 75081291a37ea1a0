//! Hostile use of autograd (issue 19, items 6 and 10): grad mode must belong to the thread's
//! own work, and gradients that do not fit their variable (a hook's, `set_grad`'s) and integer
//! leaves that require grad are errors. The argument checks run on every device; the thread
//! test is about the CPU's pool.

use crate::common::{assert_on, devices};
use tensor_autograd::{no_grad, Var};
use tensor_core::{DType, Device, ErrorKind, Tensor};

const CPU: Device = Device::Cpu;

/// A pool thread inside `no_grad` that waits in a parallel kernel runs other threads' jobs
/// meanwhile (work stealing); those jobs recorded no graph (4240 of 4963 in one run). Now the
/// kernels' parallel sections hide the waiting thread's grad mode, so every job sees its own.
///
/// A pool of two: one worker loops parallel kernels inside `no_grad` (the other worker steals
/// half of each, so the first waits, and takes queued jobs meanwhile) while the queue holds
/// thousands of jobs that each read the grad mode. Without the fix hundreds of them read
/// "disabled"; the pool is the test's own, so no other test's work changes the picture.
#[test]
fn no_grad_does_not_leak_into_other_threads_jobs() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    let (ran, disabled) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (started_tx, started) = std::sync::mpsc::channel();
    let (done_tx, done) = std::sync::mpsc::channel();
    pool.spawn(move || {
        let big = Tensor::ones([1 << 18], DType::F32, &CPU).unwrap();
        let _g = no_grad();
        started_tx.send(()).unwrap();
        for _ in 0..100 {
            let _ = big.exp().unwrap();
        }
        done_tx.send(()).unwrap();
    });
    started.recv().unwrap();
    const JOBS: usize = 20_000;
    for _ in 0..JOBS {
        let (ran, disabled) = (ran.clone(), disabled.clone());
        pool.spawn(move || {
            if !tensor_autograd::is_grad_enabled() {
                disabled.fetch_add(1, Ordering::Relaxed);
            }
            ran.fetch_add(1, Ordering::Relaxed);
        });
    }
    done.recv().unwrap();
    while ran.load(Ordering::Relaxed) < JOBS {
        std::thread::yield_now();
    }
    assert_eq!(disabled.load(Ordering::Relaxed), 0, "jobs run inside another thread's no_grad saw it");
}

#[test]
fn a_hook_returning_a_gradient_of_another_shape_is_an_error() {
    for dev in &devices() {
        let x = Var::new(Tensor::ones([2], DType::F32, dev).unwrap(), true);
        let d = dev.clone();
        x.register_hook(move |_| Some(Tensor::ones([5], DType::F32, &d).unwrap())).unwrap();
        let e = x.mul(3.0).unwrap().sum().unwrap().backward().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Shape, "on {dev}: {e}");
        assert!(e.to_string().contains("hook"), "on {dev}: {e}");
        assert!(x.grad().is_none(), "on {dev}");
        // The same for a non-leaf's hook.
        let y = Var::new(Tensor::ones([2], DType::F32, dev).unwrap(), true);
        let z = y.mul(2.0).unwrap();
        let d = dev.clone();
        z.register_hook(move |_| Some(Tensor::ones([3], DType::F64, &d).unwrap())).unwrap();
        assert!(z.sum().unwrap().backward().is_err(), "on {dev}");
    }
}

#[test]
fn set_grad_refuses_another_dtype_or_device() {
    for dev in &devices() {
        let x = Var::new(Tensor::ones([2], DType::F32, dev).unwrap(), true);
        let e = x.set_grad(Some(Tensor::ones([2], DType::I64, dev).unwrap())).unwrap_err();
        assert_eq!((e.kind(), e.op()), (ErrorKind::DType, "set_grad"), "on {dev}: {e}");
        if !dev.is_cpu() {
            // A gradient on the host for a variable on the GPU.
            let e = x.set_grad(Some(Tensor::ones([2], DType::F32, &CPU).unwrap())).unwrap_err();
            assert_eq!(e.op(), "set_grad", "on {dev}: {e}");
        }
        x.set_grad(Some(Tensor::ones([2], DType::F32, dev).unwrap())).unwrap();
        assert_on(&x.grad().unwrap(), dev);
    }
}

#[test]
fn an_integer_leaf_cannot_require_grad() {
    for dev in &devices() {
        let e = Var::try_new(Tensor::ones([2], DType::I64, dev).unwrap(), true).unwrap_err();
        assert_eq!((e.kind(), e.op()), (ErrorKind::Autograd, "Var::new"), "on {dev}: {e}");
        assert!(Var::try_new(Tensor::ones([2], DType::I64, dev).unwrap(), false).is_ok(), "on {dev}");
        let ints = Tensor::ones([2], DType::I32, dev).unwrap();
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| Var::new(ints, true)));
        assert!(r.is_err(), "on {dev}: Var::new panics with the same message, as the operators do");
    }
}
