//! A `Var` op's error names the op the user called and the user's file and line, as
//! tensor-core's do, though the op runs tensor-core's ops inside closures; operators and
//! `Var::new` panic at the caller.

use std::panic::{catch_unwind, AssertUnwindSafe};
use tensor_autograd::Var;
use tensor_core::{DType, Device, Error, Norm, Tensor};

/// Runs `$call`, which must fail, and pushes onto `$wrong` its error's text unless the error
/// names `$op` and this file and line.
macro_rules! fails_here {
    ($wrong:ident, $op:literal, $call:expr) => {{
        let (r, line) = ($call, line!());
        let e: Error = r.err().expect(stringify!($call));
        let at = e.location().map(|l| (l.file(), l.line()));
        if e.op() != $op || at != Some((file!(), line)) {
            $wrong.push(format!("{}, line {line}: {e}", $op));
        }
    }};
}

fn t(shape: &[usize]) -> Tensor {
    let n = shape.iter().product::<usize>();
    Tensor::arange_dtype(0.0, n as f64, 1.0, DType::F64, &Device::Cpu).unwrap().reshape_to(shape).unwrap()
}

fn v(shape: &[usize]) -> Var {
    Var::new(t(shape), true)
}

#[test]
fn var_ops_locate_their_errors_at_the_call() {
    let mut wrong = Vec::new();
    let (x, y) = (v(&[2, 3]), v(&[4]));
    let i = Tensor::from_vec(vec![0i64, 7], [2]).unwrap();
    fails_here!(wrong, "add", x.add(&y));
    fails_here!(wrong, "add", x.add(&t(&[4])));
    fails_here!(wrong, "mul", x.mul(&y));
    fails_here!(wrong, "div", x.div(&y));
    fails_here!(wrong, "lt", x.lt(&y));
    fails_here!(wrong, "matmul", x.matmul(&x));
    fails_here!(wrong, "linear", x.linear(&v(&[4, 4]), None));
    fails_here!(wrong, "view", x.view(&[4, 2]));
    fails_here!(wrong, "reshape", x.reshape(&[5, -1]));
    fails_here!(wrong, "transpose", x.transpose(0, 2));
    fails_here!(wrong, "sum", x.sum_dim(&[2], false));
    fails_here!(wrong, "mean", x.mean_dim(&[2], false));
    fails_here!(wrong, "cat", Var::cat(&[&x, &y], 0));
    fails_here!(wrong, "index_select", x.index_select(1, &i));
    fails_here!(wrong, "conv2d", v(&[1, 1, 4, 4]).conv2d(&v(&[1, 2, 3, 3]), None, Default::default()));
    fails_here!(wrong, "max_pool2d", v(&[1, 1, 2, 2]).max_pool2d([3, 3], [1, 1], [0, 0], [1, 1], false));
    fails_here!(wrong, "layer_norm", x.layer_norm(&[4], None, None, 1e-5));
    let leaf = v(&[2]);
    fails_here!(wrong, "add_", leaf.add_(1.0));
    let z = x.mul(2.0).unwrap();
    fails_here!(wrong, "add_", z.add_(&t(&[3, 3])));
    fails_here!(wrong, "backward", z.backward());
    let e = x.exp().unwrap();
    let s = e.sum().unwrap();
    e.mul_(2.0).unwrap();
    fails_here!(wrong, "backward", s.backward());
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn var_ops_built_on_others_name_the_op_called() {
    let mut wrong = Vec::new();
    let x = v(&[2, 3]);
    fails_here!(wrong, "softmax", x.softmax(2));
    fails_here!(wrong, "log_softmax", x.log_softmax(-3));
    fails_here!(wrong, "logsumexp", x.logsumexp(&[2], false));
    fails_here!(wrong, "var", x.var(&[2], 1, false));
    fails_here!(wrong, "std", x.std(&[2], 1, false));
    fails_here!(wrong, "norm", x.norm(Norm::L2, &[2], false));
    let mask = Tensor::from_vec(vec![true, false], [2]).unwrap();
    fails_here!(wrong, "masked_fill", x.masked_fill(&mask, 0.0));
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// The message of the panic in `f` and the file and line the panic reports (a hook records
/// them, for this thread only, and passes other threads' panics to the default hook).
fn panic_of(f: impl FnOnce()) -> (String, String, u32) {
    use std::cell::{Cell, RefCell};
    use std::sync::Once;
    thread_local!(static AT: RefCell<Option<(String, u32)>> = const { RefCell::new(None) });
    thread_local!(static CATCHING: Cell<bool> = const { Cell::new(false) });
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| match (CATCHING.get(), info.location()) {
            (true, Some(l)) => AT.set(Some((l.file().to_string(), l.line()))),
            _ => default(info),
        }));
    });
    CATCHING.set(true);
    let payload = catch_unwind(AssertUnwindSafe(f)).expect_err("it panics");
    CATCHING.set(false);
    let message = payload.downcast_ref::<String>().cloned().unwrap_or_default();
    let (file, line) = AT.take().expect("the hook saw the panic");
    (message, file, line)
}

#[test]
fn operators_and_new_panic_at_the_caller() {
    let (x, y) = (v(&[2, 3]), v(&[4]));
    let first = line!() + 2;
    for (i, f) in [
        Box::new(|| drop(&x + &y)) as Box<dyn Fn()>,
        Box::new(|| drop(&x * 2.0 - &y)),
        Box::new(|| drop(2.0 / &y * &x)),
        Box::new(|| drop(Var::new(Tensor::from_vec(vec![1i64], [1]).unwrap(), true))),
    ]
    .into_iter()
    .enumerate()
    {
        let line = first + i as u32;
        let (message, file, at) = panic_of(f);
        assert_eq!((file.as_str(), at), (file!(), line), "{message}");
        assert!(message.contains(&format!(" at {}:{line}:", file!())), "{message}");
    }
}
