//! Hostile use of autograd (issue 19, items 6 and 10): grad mode must belong to the thread's
//! own work, and gradients that do not fit their variable (a hook's, `set_grad`'s) and integer
//! leaves that require grad are errors.

use rayon::prelude::*;
use tensor_autograd::{no_grad, Var};
use tensor_core::{DType, Device, ErrorKind, Tensor};

const CPU: Device = Device::Cpu;

/// A pool thread inside `no_grad` that waits in a parallel kernel runs other threads' jobs
/// meanwhile (work stealing); those jobs recorded no graph (4240 of 4963 in one run). Now the
/// kernels' parallel sections hide the waiting thread's grad mode, so every job records.
#[test]
fn no_grad_does_not_leak_into_other_threads_jobs() {
    // A bounded loop: rayon serves a worker's own split work before injected jobs, so an
    // endless one would starve the recording thread's jobs.
    let quiet = std::thread::spawn(|| {
        let x = Tensor::ones([1 << 16], DType::F32, &CPU).unwrap();
        // On a worker of the global pool, in no_grad, waiting in parallel kernels.
        rayon::scope(|s| {
            s.spawn(|_| {
                let _g = no_grad();
                for _ in 0..200 {
                    let _ = x.exp().unwrap().sum().unwrap();
                }
            });
        });
    });
    let x = Var::new(Tensor::ones([4], DType::F32, &CPU).unwrap(), true);
    let mut recorded = 0;
    while !quiet.is_finished() || recorded == 0 {
        recorded += (0..256).into_par_iter().filter(|_| x.mul(2.0).unwrap().requires_grad()).count();
        assert_eq!(recorded % 256, 0, "a job run inside another thread's no_grad recorded no graph");
    }
    quiet.join().unwrap();
}

#[test]
fn a_hook_returning_a_gradient_of_another_shape_is_an_error() {
    let x = Var::new(Tensor::ones([2], DType::F32, &CPU).unwrap(), true);
    x.register_hook(|_| Some(Tensor::ones([5], DType::F32, &CPU).unwrap())).unwrap();
    let e = x.mul(3.0).unwrap().sum().unwrap().backward().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Shape, "{e}");
    assert!(e.to_string().contains("hook"), "{e}");
    assert!(x.grad().is_none());
    // The same for a non-leaf's hook.
    let y = Var::new(Tensor::ones([2], DType::F32, &CPU).unwrap(), true);
    let z = y.mul(2.0).unwrap();
    z.register_hook(|_| Some(Tensor::ones([3], DType::F64, &CPU).unwrap())).unwrap();
    assert!(z.sum().unwrap().backward().is_err());
}

#[test]
fn set_grad_refuses_another_dtype_or_device() {
    let x = Var::new(Tensor::ones([2], DType::F32, &CPU).unwrap(), true);
    let e = x.set_grad(Some(Tensor::ones([2], DType::I64, &CPU).unwrap())).unwrap_err();
    assert_eq!((e.kind(), e.op()), (ErrorKind::DType, "set_grad"), "{e}");
    x.set_grad(Some(Tensor::ones([2], DType::F32, &CPU).unwrap())).unwrap();
}

#[test]
fn an_integer_leaf_cannot_require_grad() {
    let e = Var::try_new(Tensor::ones([2], DType::I64, &CPU).unwrap(), true).unwrap_err();
    assert_eq!((e.kind(), e.op()), (ErrorKind::Autograd, "Var::new"), "{e}");
    assert!(Var::try_new(Tensor::ones([2], DType::I64, &CPU).unwrap(), false).is_ok());
    let r = std::panic::catch_unwind(|| Var::new(Tensor::ones([2], DType::I32, &CPU).unwrap(), true));
    assert!(r.is_err(), "Var::new panics with the same message, as the operators do");
}
