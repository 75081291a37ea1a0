//! An error names the op the user called and the user's file and line (`#[track_caller]` all
//! the way down), for methods, ops built on other ops, and the operators' panics; `{:?}` prints
//! the same text as `{}`.

use std::panic::{catch_unwind, AssertUnwindSafe};
use tensor_core::ops::conv::Conv2dParams;
use tensor_core::{DType, Device, Error, ErrorKind, Tensor};

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
    Tensor::arange_dtype(0.0, n as f64, 1.0, DType::F32, &Device::Cpu).unwrap().reshape_to(shape).unwrap()
}

#[test]
fn display_and_debug_end_with_the_callers_location() {
    let (a, b) = (t(&[5, 3]), t(&[5, 3]));
    let (e, line) = (a.matmul(&b).unwrap_err(), line!());
    let text = format!("{e}");
    assert!(text.starts_with("matmul: mat1 and mat2 shapes cannot be multiplied (5x3 and 5x3)"), "{text}");
    assert!(text.ends_with(&format!(" at {}:{line}:24", file!())), "{text}");
    assert_eq!(format!("{e:?}"), text);
    assert_eq!(format!("{e:#?}"), format!("Shape error in {text}"));
    assert_eq!(e.kind(), ErrorKind::Shape);
}

#[test]
fn methods_locate_their_errors_at_the_call() {
    let mut wrong = Vec::new();
    let (x, y) = (t(&[2, 3]), t(&[4]));
    let i = Tensor::from_vec(vec![0i64, 7], [2]).unwrap();
    fails_here!(wrong, "add", x.add(&y));
    fails_here!(wrong, "mul", x.mul(&y));
    fails_here!(wrong, "eq", x.eq(&y));
    fails_here!(wrong, "matmul", x.matmul(&x));
    fails_here!(wrong, "mm", x.mm(&y));
    fails_here!(wrong, "bmm", x.bmm(&x));
    fails_here!(wrong, "mv", x.mv(&x));
    fails_here!(wrong, "dot", y.dot(&t(&[3])));
    fails_here!(wrong, "outer", x.outer(&y));
    fails_here!(wrong, "addmm", y.addmm(&x, &x.t().unwrap(), 1.0, 1.0));
    fails_here!(wrong, "addmm", t(&[2, 2]).addmm(&x, &x, 1.0, 1.0));
    fails_here!(wrong, "flatten", x.flatten(2, 0));
    fails_here!(wrong, "squeeze", x.squeeze_dim(4));
    fails_here!(wrong, "split", x.split(0, 0));
    fails_here!(wrong, "chunk", x.chunk(0, 0));
    fails_here!(wrong, "repeat", x.repeat(&[2]));
    fails_here!(wrong, "scatter", x.scatter(1, &i, &y));
    fails_here!(wrong, "index_add", x.index_add(1, &i, &y));
    fails_here!(wrong, "view", x.view(&[4, 2]));
    fails_here!(wrong, "reshape", x.reshape(&[4, -1, 5]));
    fails_here!(wrong, "transpose", x.transpose(0, 2));
    fails_here!(wrong, "select", x.select(0, 5));
    fails_here!(wrong, "narrow", x.narrow(1, 2, 3));
    fails_here!(wrong, "expand", x.expand(&[3, 3]));
    fails_here!(wrong, "permute", x.permute(&[0]));
    fails_here!(wrong, "sum", x.sum_dim(&[2], false));
    fails_here!(wrong, "mean", x.mean_dim(&[-3], false));
    fails_here!(wrong, "amax", x.amax(&[3], false));
    fails_here!(wrong, "argmax", x.argmax(Some(2), false));
    fails_here!(wrong, "cumsum", x.cumsum(2));
    fails_here!(wrong, "cat", Tensor::cat(&[&x, &y], 0));
    fails_here!(wrong, "stack", Tensor::stack(&[&x, &y], 0));
    fails_here!(wrong, "index_select", x.index_select(1, &i));
    fails_here!(wrong, "gather", x.gather(1, &i));
    fails_here!(wrong, "item", x.item::<f32>());
    fails_here!(wrong, "sort", x.sort(2, false));
    fails_here!(wrong, "topk", x.topk(4, 1, true, true));
    fails_here!(wrong, "pad", x.pad(&[1], tensor_core::PadMode::Constant(0.0)));
    fails_here!(wrong, "conv2d", t(&[1, 1, 4, 4]).conv2d(&t(&[1, 2, 3, 3]), None, Conv2dParams::default()));
    fails_here!(wrong, "max_pool2d", t(&[1, 1, 2, 2]).max_pool2d([3, 3], [1, 1], [0, 0], [1, 1], false));
    fails_here!(wrong, "avg_pool2d", t(&[1, 1, 2, 2]).avg_pool2d([3, 3], [1, 1], [0, 0], false, true));
    fails_here!(wrong, "layer_norm", x.layer_norm(&[4], None, None, 1e-5));
    fails_here!(wrong, "from_vec", Tensor::from_vec(vec![1.0f32; 5], [2, 3]));
    let mut z = t(&[2, 3]);
    fails_here!(wrong, "add_", z.add_(&t(&[3, 3])));
    fails_here!(wrong, "copy_", z.copy_(&t(&[4])));
    let mut n = Tensor::from_vec(vec![1i64, 2], [2]).unwrap();
    fails_here!(wrong, "sqrt_", n.sqrt_());
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn ops_built_on_others_name_the_op_called() {
    let mut wrong = Vec::new();
    let x = t(&[2, 3]);
    fails_here!(wrong, "softmax", x.softmax(2));
    fails_here!(wrong, "log_softmax", x.log_softmax(-3));
    fails_here!(wrong, "softmax", x.transpose(0, 1).unwrap().softmax(2));
    fails_here!(wrong, "logsumexp", x.logsumexp(&[2], false));
    fails_here!(wrong, "var", x.var(&[2], 1, false));
    fails_here!(wrong, "std", x.std(&[2], 1, false));
    fails_here!(wrong, "norm", x.norm(tensor_core::Norm::L2, &[2], false));
    let mask = Tensor::from_vec(vec![true, false], [2]).unwrap();
    fails_here!(wrong, "masked_fill", x.masked_fill(&mask, 0.0));
    let bad = Tensor::from_vec(vec![true; 4], [4]).unwrap();
    fails_here!(wrong, "masked_fill", x.masked_fill(&bad, 0.0));
    fails_here!(wrong, "where", x.where_(&bad, 0.0));
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
    let payload = catch_unwind(AssertUnwindSafe(f)).expect_err("the operator panics");
    CATCHING.set(false);
    let message = payload.downcast_ref::<String>().cloned().unwrap_or_default();
    let (file, line) = AT.take().expect("the hook saw the panic");
    (message, file, line)
}

#[test]
fn operators_panic_at_the_caller() {
    let (x, y) = (t(&[2, 3]), t(&[4]));
    let first = line!() + 2;
    for (i, f) in [
        Box::new(|| drop(&x + &y)) as Box<dyn Fn()>,
        Box::new(|| drop(&x * 2.0 / &y)),
        Box::new(|| drop(2.0 - &y + &x)),
        Box::new(|| drop(x.shallow_clone() - y.shallow_clone())),
    ]
    .into_iter()
    .enumerate()
    {
        let line = first + i as u32;
        let (message, file, at) = panic_of(f);
        assert_eq!((file.as_str(), at), (file!(), line), "{message}");
        assert!(message.ends_with(&format!("{}:{line}:{}", file!(), message.rsplit(':').next().unwrap())), "{message}");
        assert!(message.contains("cannot be broadcast") || message.contains("must match"), "{message}");
    }
}
