//! Hostile arguments (issue 19): views that would reach outside their storage, element counts
//! that overflow `usize`, and sizes no memory can hold must each be a clear error, never memory
//! corruption, a panic or an abort.
//!
//! The view chains are checked against a naive model: the storage holds `0, 1, 2, ...`, so each
//! element of a view must equal the storage index its layout names, computed here in `u128`
//! (no overflow possible), and every such index must lie inside the storage.
//!
//! The tests that call an op with bad arguments run on every device (the CPU, and the GPU when
//! one is usable): a GPU refuses them as the CPU does. Those about host memory (raw pointers,
//! the system's allocation limits), borrows of CPU storage, threads and locks stay on the CPU.

use crate::common::{assert_on, cfg, devices, on_each_device};
use proptest::prelude::*;
use tensor_core::{DType, Device, ErrorKind, Tensor};

const CPU: Device = Device::Cpu;

fn kind_of<T: std::fmt::Debug>(r: tensor_core::Result<T>) -> ErrorKind {
    r.expect_err("expected an error").kind()
}

/// The exploit of issue 19: chained views with wrapping arithmetic reached another tensor's
/// heap buffer, which `matmul_out` then overwrote. Now the chain itself is refused.
/// CPU only: it aims at another tensor's host buffer through raw pointers.
#[test]
fn the_out_of_bounds_view_chain_is_refused() {
    let victim = Tensor::full([16], 42.0, DType::F32, &CPU).unwrap();
    let x = Tensor::full([8192], 1.0, DType::F32, &CPU).unwrap();
    let w = (x.as_slice::<f32>().unwrap().as_ptr() as usize)
        .wrapping_sub(victim.as_slice::<f32>().unwrap().as_ptr() as usize)
        / 4;
    let chain = || -> tensor_core::Result<Tensor> {
        x.unsqueeze(1)?
            .slice(0, None, None, (1usize << 62).wrapping_sub(w))?
            .slice(1, None, None, (3usize << 62).wrapping_add(w))?
            .narrow(0, 1, usize::MAX)?
            .narrow(1, 1, usize::MAX)?
            .narrow(0, 0, 2)?
            .narrow(1, 0, 2)
    };
    let e = chain().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Index, "{e}");
    assert!(e.to_string().starts_with("narrow: start (1) + length"), "{e}");
    assert_eq!(victim.to_vec::<f32>().unwrap(), [42.0; 16]);
}

#[test]
fn narrow_slice_and_unsqueeze_use_checked_arithmetic() {
    on_each_device(|dev| {
        let x = Tensor::arange(0.0, 12.0, 1.0, dev).unwrap().view(&[3, 4]).unwrap();
        assert_eq!(kind_of(x.narrow(1, 1, usize::MAX)), ErrorKind::Index);
        assert_eq!(kind_of(x.narrow(0, isize::MIN, 1)), ErrorKind::Index);
        assert_eq!(kind_of(x.narrow(0, isize::MAX, 1)), ErrorKind::Index);
        // A step whose product with the stride overflows is an error when two elements remain...
        let e = x.slice(0, None, None, 1 << 62).map(|t| t.size().to_vec());
        assert_eq!(e.unwrap(), [1, 4], "one row left: the step is irrelevant");
        let wide = Tensor::zeros([4, 3], DType::U8, dev).unwrap().t().unwrap(); // strides [1, 3]
        let s = wide.slice(1, None, None, usize::MAX).unwrap();
        assert_eq!(s.size(), &[3, 1]);
        // ... and a huge stride on a size-1 dim never spills into the next unsqueeze.
        let u = s.unsqueeze(1).unwrap().unsqueeze(2).unwrap();
        assert!(u.stride().iter().all(|&st| st <= isize::MAX as usize), "{:?}", u.stride());
        assert_eq!(u.contiguous().unwrap().to_vec::<u8>().unwrap(), [0, 0, 0]);
    });
}

#[test]
fn element_counts_that_overflow_are_shape_errors() {
    on_each_device(|dev| {
        let huge = 1usize << 32;
        let e = Tensor::zeros([huge, huge], DType::F32, dev).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Shape);
        assert!(
            e.to_string().starts_with("zeros: the number of elements of shape [4294967296, 4294967296] overflows"),
            "{e}"
        );
        for r in [
            Tensor::full([huge, huge], 1.0, DType::F32, dev),
            Tensor::empty([huge, huge, 2], DType::F32, dev),
            Tensor::ones([huge, huge], DType::I64, dev),
            Tensor::rand([huge, huge], DType::F32, dev),
            Tensor::randn([huge, huge], DType::F64, dev),
            Tensor::randint(0, 3, [huge, huge], dev),
            Tensor::eye(huge, DType::F32, dev),
        ] {
            assert_eq!(kind_of(r), ErrorKind::Shape);
        }
        let x = Tensor::arange(0.0, 6.0, 1.0, dev).unwrap();
        // 6 * 274177 * 67280421310721 wraps to 6 in 64 bits.
        let e = x.reshape(&[6, 274177, 67280421310721]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Shape, "{e}");
        assert_eq!(kind_of(x.view(&[6, 274177, 67280421310721])), ErrorKind::Shape);
        assert_eq!(kind_of(Tensor::from_vec(vec![0f32; 6], [6, 274177, 67280421310721])), ErrorKind::Shape);
        let one = Tensor::ones([1, 1], DType::F32, dev).unwrap();
        assert_eq!(kind_of(one.expand(&[1 << 32, 1 << 32])), ErrorKind::Shape);
        assert_eq!(kind_of(one.repeat(&[1 << 32, 1 << 32])), ErrorKind::Shape);
        assert_eq!(kind_of(one.repeat(&[usize::MAX, 1])), ErrorKind::Shape);
        let e = one.pad(&[usize::MAX, 1], tensor_core::PadMode::Constant(0.0)).unwrap_err();
        assert_eq!(e.op(), "pad", "{e}");
        let wide = one.expand(&[huge as isize, 1]).unwrap();
        let tall = one.expand(&[1, huge as isize]).unwrap();
        // [2^32, 1] + [1, 2^32] broadcasts to 2^64 elements.
        assert_eq!(kind_of(wide.add(&tall)), ErrorKind::Shape);
        assert_eq!(kind_of(wide.matmul(&tall)), ErrorKind::Shape);
    });
}

#[test]
fn conv_and_pool_sizes_that_overflow_are_errors() {
    on_each_device(|dev| {
        let x = Tensor::ones([1, 1, 2, 2], DType::F32, dev).unwrap();
        let w = Tensor::ones([1, 1, 1, 1], DType::F32, dev).unwrap();
        let params = |padding: usize, dilation: usize| tensor_core::ops::conv::Conv2dParams {
            padding: [padding, padding],
            dilation: [dilation, dilation],
            ..Default::default()
        };
        let e = x.conv2d(&w, None, params(usize::MAX / 2 + 1, 1)).unwrap_err();
        assert_eq!((e.kind(), e.op()), (ErrorKind::Shape, "conv2d"), "{e}");
        let w3 = Tensor::ones([1, 1, 3, 3], DType::F32, dev).unwrap();
        let e = x.conv2d(&w3, None, params(0, usize::MAX)).unwrap_err();
        assert_eq!((e.kind(), e.op()), (ErrorKind::Shape, "conv2d"), "{e}");
        // 2^33 x 2^33 output positions overflow once multiplied.
        let e = x.conv2d(&w, None, params(1 << 32, 1)).unwrap_err();
        assert_eq!((e.kind(), e.op()), (ErrorKind::Shape, "conv2d"), "{e}");
    });
}

/// Sizes the machine cannot hold are OutOfMemory errors naming the op and the bytes, as
/// PyTorch raises, not an abort ("memory allocation of ... bytes failed") or a
/// "capacity overflow" panic. (4 TiB and more: refused by the system's overcommit check.)
/// CPU only: host memory and its allocator.
#[test]
fn sizes_no_memory_holds_are_out_of_memory_errors() {
    let big = 1usize << 40;
    let e = Tensor::zeros([big], DType::F32, &CPU).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::OutOfMemory);
    assert_eq!(
        format!("{}: {}", e.op(), e.message()),
        "zeros: not enough memory: tried to allocate 4398046511104 bytes (1099511627776 elements of torch.float32)"
    );
    assert_eq!(kind_of(Tensor::zeros([1 << 62], DType::F32, &CPU)), ErrorKind::OutOfMemory);
    assert_eq!(kind_of(Tensor::zeros([usize::MAX], DType::U8, &CPU)), ErrorKind::OutOfMemory);
    for (op, r) in [
        ("full", Tensor::ones([big], DType::F32, &CPU)),
        ("empty", Tensor::empty([big], DType::F64, &CPU)),
        ("rand", Tensor::rand([big], DType::F32, &CPU)),
        ("randn", Tensor::randn([big], DType::F32, &CPU)),
        ("randint", Tensor::randint(0, 9, [big], &CPU)),
        ("linspace", Tensor::linspace(0.0, 1.0, big, DType::F32, &CPU)),
        ("linspace", Tensor::linspace(0.0, 1.0, big, DType::I64, &CPU)),
        ("arange", Tensor::arange(0i64, big as i64, 1i64, &CPU)),
        ("eye", Tensor::eye(1 << 20, DType::F32, &CPU)),
    ] {
        let e = r.unwrap_err();
        assert_eq!((e.kind(), e.op()), (ErrorKind::OutOfMemory, op), "{e}");
    }
    let one = Tensor::ones([1], DType::F32, &CPU).unwrap();
    let e = one.expand(&[big as isize]).unwrap().contiguous().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::OutOfMemory, "{e}");
    assert_eq!(kind_of(one.repeat(&[big])), ErrorKind::OutOfMemory);
    assert_eq!(kind_of(one.pad(&[big, 0], tensor_core::PadMode::Constant(1.0))), ErrorKind::OutOfMemory);
    let ids = Tensor::from_vec(vec![0i64], [1]).unwrap();
    assert_eq!(kind_of(ids.one_hot(Some(big))), ErrorKind::OutOfMemory);
    let col = Tensor::ones([1 << 20, 1], DType::F32, &CPU).unwrap();
    let row = Tensor::ones([1, 1 << 20], DType::F32, &CPU).unwrap();
    assert_eq!(kind_of(col.matmul(&row)), ErrorKind::OutOfMemory);
    let x = Tensor::ones([1, 1, 1, 1], DType::F32, &CPU).unwrap();
    let params = tensor_core::ops::conv::Conv2dParams { padding: [1 << 19, 1 << 19], ..Default::default() };
    assert_eq!(kind_of(x.conv2d(&x, None, params)), ErrorKind::OutOfMemory);
    // Unary, binary and reduction results of an expanded (storage-free) view.
    let huge = one.expand(&[big as isize]).unwrap();
    assert_eq!(kind_of(huge.exp()), ErrorKind::OutOfMemory);
    assert_eq!(kind_of(huge.add(&huge)), ErrorKind::OutOfMemory);
    assert_eq!(kind_of(huge.cumsum(0)), ErrorKind::OutOfMemory);
    assert_eq!(kind_of(huge.to_dtype(DType::F64)), ErrorKind::OutOfMemory);
}

// ---------------------------------------------------------------------------------------------
// Random chains of views with extreme arguments
// ---------------------------------------------------------------------------------------------

/// One view with its (possibly extreme) arguments.
#[derive(Debug, Clone)]
enum Step {
    Narrow(isize, isize, usize),
    Slice(isize, Option<isize>, Option<isize>, usize),
    Select(isize, isize),
    Unsqueeze(isize),
    Squeeze,
    Transpose(isize, isize),
    Expand(Vec<isize>),
    View(Vec<isize>),
    Permute(Vec<isize>),
}

fn extreme_usize() -> impl Strategy<Value = usize> {
    prop_oneof![
        Just(0usize),
        Just(1),
        Just(2),
        0..8usize,
        Just(usize::MAX),
        Just(isize::MAX as usize),
        Just(1usize << 62),
        Just(3usize << 62),
        (1..=62u32).prop_map(|b| 1usize << b),
        any::<usize>(),
    ]
}

fn extreme_isize() -> impl Strategy<Value = isize> {
    prop_oneof![
        Just(0isize),
        Just(1),
        Just(-1),
        -4..4isize,
        Just(isize::MIN),
        Just(isize::MAX),
        Just(1isize << 62),
        any::<isize>(),
    ]
}

fn view_op() -> impl Strategy<Value = Step> {
    let dim = || -3..3isize;
    prop_oneof![
        (dim(), extreme_isize(), extreme_usize()).prop_map(|(d, s, l)| Step::Narrow(d, s, l)),
        (dim(), prop::option::of(extreme_isize()), prop::option::of(extreme_isize()), extreme_usize())
            .prop_map(|(d, a, b, s)| Step::Slice(d, a, b, s)),
        (dim(), extreme_isize()).prop_map(|(d, i)| Step::Select(d, i)),
        (-4..4isize).prop_map(Step::Unsqueeze),
        Just(Step::Squeeze),
        (dim(), dim()).prop_map(|(a, b)| Step::Transpose(a, b)),
        prop::collection::vec(prop_oneof![Just(-1isize), 0..4isize, extreme_isize()], 0..5).prop_map(Step::Expand),
        prop::collection::vec(prop_oneof![Just(-1isize), 0..6isize, extreme_isize()], 0..5).prop_map(Step::View),
        prop::collection::vec(-3..3isize, 0..4).prop_map(Step::Permute),
    ]
}

fn apply(t: &Tensor, v: &Step) -> tensor_core::Result<Tensor> {
    match v {
        Step::Narrow(d, s, l) => t.narrow(*d, *s, *l),
        Step::Slice(d, a, b, s) => t.slice(*d, *a, *b, *s),
        Step::Select(d, i) => t.select(*d, *i),
        Step::Unsqueeze(d) => t.unsqueeze(*d),
        Step::Squeeze => Ok(t.squeeze()),
        Step::Transpose(a, b) => t.transpose(*a, *b),
        Step::Expand(s) => t.expand(s),
        Step::View(s) => t.view(s),
        Step::Permute(p) => t.permute(p),
    }
}

/// The storage index of every element of `t`, row-major, in `u128` (no overflow possible).
fn naive_offsets(t: &Tensor) -> Vec<u128> {
    let (dims, strides) = (t.size(), t.stride());
    let n: u128 = dims.iter().map(|&d| d as u128).product();
    let mut out = Vec::with_capacity(n as usize);
    let mut index = vec![0usize; dims.len()];
    for _ in 0..n {
        let off =
            t.storage_offset() as u128 + index.iter().zip(strides).map(|(&i, &s)| i as u128 * s as u128).sum::<u128>();
        out.push(off);
        for d in (0..dims.len()).rev() {
            index[d] += 1;
            if index[d] < dims[d] {
                break;
            }
            index[d] = 0;
        }
    }
    out
}

proptest! {
    #![proptest_config(cfg(1024))]

    /// Every chain either errs or gives a view whose elements all lie inside the storage and
    /// whose values (read by the contiguous copy, a unary op and a reduction) are exactly the
    /// storage indices the layout names.
    #[test]
    fn random_view_chains_stay_inside_their_storage(
        shape in prop::collection::vec(0..5usize, 0..4),
        chain in prop::collection::vec(view_op(), 1..6),
    ) {
        for dev in devices() {
            let n: usize = shape.iter().product();
            let base = Tensor::arange(0.0, n as f64, 1.0, &dev).unwrap().to_dtype(DType::F64).unwrap()
                .reshape(&shape.iter().map(|&d| d as isize).collect::<Vec<_>>()).unwrap();
            let mut t = base.shallow_clone();
            for v in &chain {
                match apply(&t, v) {
                    Ok(next) => t = next,
                    Err(e) => {
                        // A clear error, never a panic: and the op it names is a view's.
                        prop_assert!(!e.to_string().is_empty());
                        break;
                    }
                }
            }
            // The farthest element, in u128: inside the storage whatever the sizes.
            let count: u128 = t.size().iter().map(|&d| d as u128).product();
            if count > 0 {
                let last = t.storage_offset() as u128
                    + t.size().iter().zip(t.stride()).map(|(&d, &s)| (d as u128 - 1) * s as u128).sum::<u128>();
                prop_assert!(last < n as u128, "{:?} reaches outside {} elements", t.layout(), n);
            }
            if count > 4096 {
                // An expanded view of many elements: its values are not materialised here.
                continue;
            }
            let offsets = naive_offsets(&t);
            prop_assert!(offsets.iter().all(|&o| o < n as u128), "{:?} reaches outside {} elements", t.layout(), n);
            let want: Vec<f64> = offsets.iter().map(|&o| o as f64).collect();
            assert_on(&t.contiguous().unwrap(), &dev);
            prop_assert_eq!(t.contiguous().unwrap().to_vec::<f64>().unwrap(), want.clone(), "on {}", dev);
            let doubled: Vec<f64> = want.iter().map(|v| 2.0 * v).collect();
            prop_assert_eq!(t.mul(2.0).unwrap().to_vec::<f64>().unwrap(), doubled, "on {}", dev);
            prop_assert_eq!(t.sum().unwrap().item::<f64>().unwrap(), want.iter().sum::<f64>(), "on {}", dev);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Locks: no deadlock between threads, none on one thread
// ---------------------------------------------------------------------------------------------

/// `a.copy_(&b)` on one thread beside `b.copy_(&a)` on another (and the in-place and `out`
/// forms) took the two storages' locks in opposite orders and hung in 6 of 8 runs. The locks
/// are now taken in one global order: every loop finishes. CPU only: threads and locks.
#[test]
fn writing_each_others_sources_on_two_threads_does_not_deadlock() {
    let a = Tensor::ones([64, 64], DType::F32, &CPU).unwrap();
    let b = Tensor::full([64, 64], 2.0, DType::F32, &CPU).unwrap();
    let run = |mut dst: Tensor, src: Tensor| {
        std::thread::spawn(move || {
            for _ in 0..2000 {
                dst.copy_(&src).unwrap();
                dst.add_(&src).unwrap();
                Tensor::matmul_out(&src, &src.t().unwrap(), &mut dst).unwrap();
                Tensor::binary_out("add", &src, &src, tensor_core::backend::BinaryOp::Add, &mut dst).unwrap();
                dst.mul_(0.0).unwrap();
            }
        })
    };
    let t1 = run(a.shallow_clone(), b.shallow_clone());
    let t2 = run(b.shallow_clone(), a.shallow_clone());
    t1.join().unwrap();
    t2.join().unwrap();
}

/// Borrowing a storage and then writing it (or reading what this thread writes) on the same
/// thread waited forever; now it is a Borrow error naming the op and the borrow. CPU only: it
/// borrows host memory (`as_slice`, `with_mut_slice`).
#[test]
fn a_write_under_a_borrow_on_the_same_thread_is_an_error() {
    let mut x = Tensor::zeros([4], DType::F32, &CPU).unwrap();
    let mut view = x.narrow(0, 1, 2).unwrap();
    {
        let slice = x.as_slice::<f32>().unwrap();
        let e = view.add_(1.0).unwrap_err();
        assert_eq!((e.kind(), e.op()), (ErrorKind::Borrow, "add_"), "{e}");
        assert!(e.to_string().contains("as_slice"), "{e}");
        assert_eq!(kind_of(view.fill_(3.0)), ErrorKind::Borrow);
        assert_eq!(kind_of(view.copy_(&Tensor::ones([2], DType::F32, &CPU).unwrap())), ErrorKind::Borrow);
        // Reading while reading is fine: a recursive read.
        assert_eq!(view.sum().unwrap().item::<f32>().unwrap(), 0.0);
        assert_eq!(slice.len(), 4);
    }
    view.add_(1.0).unwrap();
    let inner = view.shallow_clone();
    let r = x.with_mut_slice::<f32, _>(|s| {
        s[0] = 9.0;
        inner.sum().map(|t| t.item::<f32>())
    });
    let e = r.unwrap().unwrap_err();
    assert_eq!((e.kind(), e.op()), (ErrorKind::Borrow, "sum"), "{e}");
    assert_eq!(x.to_vec::<f32>().unwrap(), [9.0, 1.0, 1.0, 0.0]);
}

/// CPU only: an ndarray view borrows host memory.
#[cfg(feature = "ndarray")]
#[test]
fn fill_under_an_ndarray_view_is_an_error() {
    let mut x = Tensor::zeros([2, 2], DType::F64, &CPU).unwrap();
    let mut y = x.shallow_clone();
    let view = x.array_view::<f64>().unwrap();
    assert_eq!(kind_of(y.fill_(1.0)), ErrorKind::Borrow);
    drop(view);
    y.fill_(1.0).unwrap();
    assert_eq!(x.sum().unwrap().item::<f64>().unwrap(), 4.0);
    let _ = &mut x;
}

// ---------------------------------------------------------------------------------------------
// Smaller defects of item 9
// ---------------------------------------------------------------------------------------------

#[test]
fn fill_and_zero_refuse_an_expanded_tensor_as_add_and_copy_do() {
    on_each_device(|dev| {
        let base = Tensor::zeros([1, 3], DType::F32, dev).unwrap();
        let mut e = base.expand(&[4, 3]).unwrap();
        for r in [e.fill_(1.0), e.zero_(), e.add_(1.0)] {
            let err = r.unwrap_err();
            assert!(err.to_string().contains("more than one element of the written-to tensor"), "{err}");
        }
        assert_eq!(base.to_vec::<f32>().unwrap(), [0.0; 3]);
    });
}

#[test]
fn unary_out_resizes_out_as_the_other_out_forms() {
    on_each_device(|dev| {
        let x = Tensor::from_vec(vec![0.0f32, 1.0], [2]).unwrap().to_device(dev).unwrap();
        let mut out = Tensor::zeros([3, 2], DType::F32, dev).unwrap();
        Tensor::unary_out(&x, tensor_core::backend::UnaryOp::Exp, &mut out).unwrap();
        assert_eq!(out.size(), &[2]);
        assert_eq!(out.to_vec::<f32>().unwrap(), [1.0, 1.0f32.exp()]);
        let mut out = Tensor::zeros([3, 2], DType::F32, dev).unwrap();
        Tensor::binary_out("add", &x, &x, tensor_core::backend::BinaryOp::Add, &mut out).unwrap();
        assert_eq!(out.size(), &[2]);
    });
}

/// Products past 2^53 are exact (wrapping on overflow, as PyTorch's integer matmul), where the
/// f64 path lost their low bits.
#[test]
fn int64_matmul_is_exact() {
    on_each_device(|dev| {
        let big = (1i64 << 53) + 1;
        let a = Tensor::from_vec(vec![big, 3], [1, 2]).unwrap().to_device(dev).unwrap();
        let b = Tensor::from_vec(vec![3i64, big], [2, 1]).unwrap().to_device(dev).unwrap();
        // 3 * (2^53 + 1) twice: 6 * 2^53 + 6.
        assert_eq!(a.matmul(&b).unwrap().to_vec::<i64>().unwrap(), [6 * (1i64 << 53) + 6]);
        let w = Tensor::from_vec(vec![i64::MAX, 2], [1, 2]).unwrap().to_device(dev).unwrap();
        let v = Tensor::from_vec(vec![2i64, 1], [2, 1]).unwrap().to_device(dev).unwrap();
        assert_eq!(w.matmul(&v).unwrap().to_vec::<i64>().unwrap(), [i64::MAX.wrapping_mul(2).wrapping_add(2)]);
    });
}

/// CPU only: the CPU's thread pool.
#[test]
fn set_num_threads_refuses_absurd_counts_at_once() {
    let e = tensor_core::set_num_threads(100_000).unwrap_err();
    assert_eq!((e.kind(), e.op()), (ErrorKind::Value, "set_num_threads"), "{e}");
    assert!(e.to_string().contains("more than the 1024 allowed"), "{e}");
}
