//! The CPU kernels' threads: rayon's global pool, with the program's main thread as one of them.
//!
//! rayon runs a parallel call made outside its pool by queueing it, waking a worker, and putting
//! the caller to sleep until the work is done: two thread wake-ups for every op. A training step
//! makes dozens of parallel calls of 20–300 µs each, so this is much of its time: LeNet-5's step
//! (batch 64, two vCPUs) took 2.9 ms median called from `main`, 2.0 ms with `main` in the pool.
//! PyTorch's OpenMP team likewise has the calling thread as its first thread.
//!
//! So the first tensor made on the main thread, if nothing has built rayon's global pool yet,
//! builds it with that thread as thread 0 and `n - 1` workers beside it (`n` as rayon would
//! choose: `RAYON_NUM_THREADS`, else the CPU count). A parallel op on the main thread then runs
//! in place as on any worker, and the workers steal its pieces. Conditions:
//! - only the thread that std names `main`, which lives as long as the program;
//! - only with two threads or more: thread 0 runs others' jobs only while it waits in rayon, so
//!   a pool of it alone would leave another thread's parallel op waiting on the main thread;
//! - never over a pool that the program (or another library) has already built or used: that
//!   pool is kept as it is.

/// Makes the calling thread thread 0 of rayon's global pool, the first time it is called on the
/// main thread (see the module doc); otherwise does nothing.
#[cfg(feature = "std")]
pub(crate) fn enlist_main_thread() {
    use core::sync::atomic::{AtomicBool, Ordering};
    static DONE: AtomicBool = AtomicBool::new(false);
    if DONE.load(Ordering::Relaxed) || std::thread::current().name() != Some("main") {
        return;
    }
    if DONE.swap(true, Ordering::Relaxed) {
        return;
    }
    let threads = std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|&n| n > 0)
        .or_else(|| std::thread::available_parallelism().ok().map(|n| n.get()))
        .unwrap_or(1);
    if threads >= 2 {
        // An error means the global pool exists already: it stays as it is.
        let _ = rayon::ThreadPoolBuilder::new().num_threads(threads).use_current_thread().build_global();
    }
}

#[cfg(not(feature = "std"))]
pub(crate) fn enlist_main_thread() {}
