//! Heap allocations, counted by a global allocator: taking views of an existing tensor allocates
//! nothing (shapes and strides live inline), `add_out` into a fitting `out` allocates nothing,
//! and fused attention never allocates the `L × S` scores.
//!
//! Counting is per thread (a thread-local switch and thread-local counts), so other test threads
//! (and the harness) allocating at the same time are never counted.

use std::alloc::{GlobalAlloc, Layout as AllocLayout, System};
use std::cell::Cell;
use tensor_core::{DType, Device, NewAxis, Shape, Tensor};

struct Counting;

thread_local! {
    /// Whether this thread is counting, and its counts (per thread, so that two tests measuring
    /// at once never see each other's allocations).
    static ON: Cell<bool> = const { Cell::new(false) };
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
    static FREES: Cell<usize> = const { Cell::new(0) };
    /// The largest single allocation (bytes) while counting.
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

fn note(counter: &'static std::thread::LocalKey<Cell<usize>>, bytes: usize) {
    if ON.try_with(|c| c.get()).unwrap_or(false) {
        let _ = counter.try_with(|c| c.set(c.get() + 1));
        let _ = LARGEST.try_with(|c| c.set(c.get().max(bytes)));
    }
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged; the counters
// are const-initialised thread-locals without destructors (touching them never allocates).
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: AllocLayout) -> *mut u8 {
        note(&ALLOCS, layout.size());
        // SAFETY: forwarded from the caller.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: AllocLayout) -> *mut u8 {
        note(&ALLOCS, layout.size());
        // SAFETY: forwarded from the caller.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: AllocLayout, new_size: usize) -> *mut u8 {
        note(&ALLOCS, new_size);
        // SAFETY: forwarded from the caller.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: AllocLayout) {
        note(&FREES, 0);
        // SAFETY: forwarded from the caller.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Runs `f` with counting on (this thread only): (result, allocations, frees).
fn count<R>(f: impl FnOnce() -> R) -> (R, usize, usize) {
    let (a0, f0) = (ALLOCS.with(Cell::get), FREES.with(Cell::get));
    ON.with(|c| c.set(true));
    let r = f();
    ON.with(|c| c.set(false));
    (r, ALLOCS.with(Cell::get) - a0, FREES.with(Cell::get) - f0)
}

const CPU: Device = Device::Cpu;

#[test]
fn the_counter_counts() {
    let (_, allocs, frees) = count(|| drop(std::hint::black_box(vec![1u8; 100])));
    assert_eq!((allocs, frees), (1, 1));
    let ((), allocs, _) = count(|| {
        let t = Tensor::zeros([3], DType::F32, &CPU).unwrap();
        std::hint::black_box(&t);
    });
    assert!(allocs > 0, "creating a tensor allocates");
}

#[test]
fn views_allocate_nothing() {
    let x = Tensor::zeros([2, 3, 4, 5], DType::F32, &CPU).unwrap();
    let six = Tensor::zeros([2, 1, 3, 1, 2, 2], DType::F64, &CPU).unwrap();
    let target = Shape::new(&[7, 2, 3, 4, 5]);
    let other = Tensor::zeros([6, 20], DType::F32, &CPU).unwrap();
    let mut offenders = vec![];
    macro_rules! check {
        ($($name:literal => $e:expr;)*) => {$(
            let (_, allocs, frees) = count(|| {
                let t: Tensor = $e;
                std::hint::black_box(t.numel() + t.dim() + t.storage_offset() + t.stride().len());
            });
            if allocs + frees > 0 {
                offenders.push(format!("{}: {} allocations, {} frees", $name, allocs, frees));
            }
        )*};
    }
    check! {
        "view" => x.view(&[6, -1]).unwrap();
        "view 3-d" => x.view(&[2, 3, 20]).unwrap();
        "view_as" => x.view_as(&other).unwrap();
        "reshape (contiguous)" => x.reshape(&[-1, 5]).unwrap();
        "flatten" => x.flatten(1, 2).unwrap();
        "unflatten" => x.unflatten(3, &[5, 1]).unwrap();
        "transpose" => x.transpose(0, 3).unwrap();
        "t" => x.select(0, 0).unwrap().select(0, 0).unwrap().t().unwrap();
        "permute" => x.permute(&[3, 1, 0, 2]).unwrap();
        "narrow" => x.narrow(2, 1, 2).unwrap();
        "slice" => x.slice(3, Some(1), None, 2).unwrap();
        "slice (clamped)" => x.slice(1, Some(-2), Some(100), 1).unwrap();
        "select" => x.select(1, -1).unwrap();
        "unsqueeze" => x.unsqueeze(2).unwrap();
        "squeeze_dim" => x.unsqueeze(-1).unwrap().squeeze_dim(-1).unwrap();
        "expand" => x.unsqueeze(0).unwrap().expand(&[7, -1, 3, 4, 5]).unwrap();
        "broadcast_to" => x.broadcast_to(&target).unwrap();
        "expand_as" => x.select(0, 0).unwrap().expand_as(&x).unwrap();
        "i((.., 1))" => x.i((.., 1)).unwrap();
        "i((0, 1..3, NewAxis, .., 4))" => x.i((0, 1..3, NewAxis, .., 4)).unwrap();
        "shallow_clone" => x.shallow_clone();
        "detach" => x.detach();
        "contiguous (already)" => x.contiguous().unwrap();
        "to_dtype (same)" => x.to_dtype(DType::F32).unwrap();
        "squeeze (6-d)" => six.squeeze();
        "transpose + permute (6-d)" => six.transpose(0, 5).unwrap().permute(&[5, 4, 3, 2, 1, 0]).unwrap();
        "view (6-d)" => six.view(&[2, 3, 4]).unwrap();
        "chain" => x.transpose(1, 2).unwrap().narrow(0, 0, 1).unwrap().unsqueeze(0).unwrap();
    }
    assert!(offenders.is_empty(), "views allocated:\n{}", offenders.join("\n"));
    // chunk / split / unbind return a Vec of views: exactly that one allocation.
    let (n, allocs, frees) = count(|| x.chunk(2, 1).unwrap().len() + x.unbind(0).unwrap().len());
    assert_eq!(n, 4);
    assert_eq!((allocs, frees), (2, 2), "chunk/unbind: one Vec each");
}

#[test]
fn add_out_into_a_fitting_out_allocates_nothing() {
    let x = Tensor::full([64, 64], 1.5, DType::F32, &CPU).unwrap();
    let y = Tensor::full([64, 64], 2.0, DType::F32, &CPU).unwrap();
    let row = Tensor::full([64], 0.5, DType::F32, &CPU).unwrap();
    let mut out = Tensor::zeros([64, 64], DType::F32, &CPU).unwrap();
    // Warm up (nothing lazy should be needed, but be fair to one-time initialisation).
    Tensor::add_out(&x, &y, &mut out).unwrap();
    let (r, allocs, frees) = count(|| Tensor::add_out(&x, &y, &mut out));
    r.unwrap();
    assert_eq!((allocs, frees), (0, 0), "add_out allocated");
    assert!(out.to_vec::<f32>().unwrap().iter().all(|&v| v == 3.5));
    // Other ops and a broadcast row: still nothing.
    let (r, allocs, _) = count(|| {
        Tensor::mul_out(&x, &row, &mut out)?;
        Tensor::sub_out(&out.shallow_clone(), &y, &mut out)?;
        Tensor::maximum_out(&x, &y, &mut out)
    });
    r.unwrap();
    assert_eq!(allocs, 0, "mul_out / sub_out / maximum_out allocated");
    // In-place with a tensor operand: nothing either.
    let mut z = x.clone();
    let (r, allocs, _) = count(|| z.add_(&y));
    r.unwrap();
    assert_eq!(allocs, 0, "add_ allocated");
    assert!(z.to_vec::<f32>().unwrap().iter().all(|&v| v == 3.5));
    // f64 and int64 too.
    let xi = Tensor::full([100], 3, DType::I64, &CPU).unwrap();
    let mut oi = Tensor::zeros([100], DType::I64, &CPU).unwrap();
    let (r, allocs, _) = count(|| Tensor::add_out(&xi, &xi, &mut oi));
    r.unwrap();
    assert_eq!(allocs, 0, "int add_out allocated");
}

#[test]
fn reductions_into_a_fitting_out_allocate_nothing() {
    let x = Tensor::full([16, 32], 1.5, DType::F32, &CPU).unwrap();
    let mut row = Tensor::zeros([16], DType::F32, &CPU).unwrap();
    let mut idx = Tensor::zeros([16], DType::I64, &CPU).unwrap();
    let mut all = Tensor::zeros([], DType::F32, &CPU).unwrap();
    Tensor::sum_out(&x, &[1], false, &mut row).unwrap();
    let (r, allocs, frees) = count(|| {
        Tensor::sum_out(&x, &[1], false, &mut row)?;
        Tensor::mean_out(&x, &[], false, &mut all)?;
        Tensor::amax_out(&x, &[1], false, &mut row)?;
        Tensor::argmax_out(&x, Some(1), false, &mut idx)?;
        Tensor::max_dim_out(&x, 1, false, &mut row, &mut idx)
    });
    r.unwrap();
    assert_eq!((allocs, frees), (0, 0), "a reduction into a fitting out allocated");
    assert_eq!(all.item::<f32>().unwrap(), 1.5);
    assert!(row.to_vec::<f32>().unwrap().iter().all(|&v| v == 1.5));
}

#[test]
fn ops_with_a_number_make_no_tensor_of_it() {
    let mut x = Tensor::full([64], 1.5, DType::F32, &CPU).unwrap();
    // In place: nothing at all.
    let (r, allocs, _) = count(|| {
        x.mul_(2.0)?;
        x.add_(1)
    });
    r.unwrap();
    assert_eq!(allocs, 0, "an in-place op with a number allocated");
    assert!(x.to_vec::<f32>().unwrap().iter().all(|&v| v == 4.0));
    // Into a new tensor: only the result (its elements, the storage box and the shared cell).
    let (r, allocs, _) = count(|| x.mul(0.5));
    assert_eq!(r.unwrap().to_vec::<f32>().unwrap(), [2.0; 64]);
    assert!(allocs <= 3, "x * 0.5 made {allocs} allocations");
}

#[test]
fn fused_attention_never_allocates_the_scores() {
    // 512 queries and keys of width 16: the scores would be 1 MiB, every operand 32 KiB.
    let (l, e) = (512, 16);
    let x = Tensor::randn([1, l, e], DType::F32, &CPU).unwrap();
    let g = Tensor::randn([1, l, e], DType::F32, &CPU).unwrap();
    // Warm up first: the thread pool's start-up allocates its own structures.
    let (out, lse) = Tensor::flash_attention(&x, &x, &x, false, None).unwrap();
    Tensor::flash_attention_backward(&g, &x, &x, &x, &out, &lse, false, None).unwrap();
    for causal in [false, true] {
        LARGEST.with(|c| c.set(0));
        let (grads, allocs, _) = count(|| {
            let (out, lse) = Tensor::flash_attention(&x, &x, &x, causal, None).unwrap();
            Tensor::flash_attention_backward(&g, &x, &x, &x, &out, &lse, causal, None).unwrap()
        });
        std::hint::black_box(grads);
        let largest = LARGEST.with(Cell::get);
        assert!(allocs > 0, "the counter saw the outputs");
        assert!(largest <= 64 << 10, "causal {causal}: an allocation of {largest} bytes");
    }
}
