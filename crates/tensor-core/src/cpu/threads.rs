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
//!
//! [`set_num_threads`] and [`get_num_threads`] are PyTorch's `torch.set_num_threads` and
//! `torch.get_num_threads`.

/// Makes the calling thread thread 0 of rayon's global pool, the first time it is called on the
/// main thread (see the module doc); otherwise does nothing.
#[cfg(feature = "std")]
pub(crate) fn enlist_main_thread() {
    if CLAIMED.load(Ordering::Relaxed) || !on_main_thread() || CLAIMED.swap(true, Ordering::Relaxed) {
        return;
    }
    // An error means the global pool exists already: it stays as it is.
    let _ = build_pool(default_threads());
}

#[cfg(not(feature = "std"))]
pub(crate) fn enlist_main_thread() {}

/// Sets the number of threads the CPU kernels use, as `torch.set_num_threads`; 0 means rayon's
/// default (`RAYON_NUM_THREADS`, else the CPU count). Called on the main thread, that thread is
/// one of them. rayon's pool is built once, so this must come before the program's first
/// tensor; afterwards it returns an error naming the running pool's size.
///
/// ```
/// // The first thing in `main`:
/// tensor_core::set_num_threads(2)?;
/// assert_eq!(tensor_core::get_num_threads(), 2);
/// # Ok::<(), tensor_core::Error>(())
/// ```
#[cfg(feature = "std")]
#[track_caller]
pub fn set_num_threads(threads: usize) -> crate::Result<()> {
    if threads > MAX_THREADS {
        // rayon would spawn them all before returning: 100,000 threads did not return at all.
        crate::bail!(Value, "set_num_threads", "{} threads is more than the {} allowed", threads, MAX_THREADS);
    }
    CLAIMED.store(true, Ordering::Relaxed);
    let threads = if threads == 0 { default_threads() } else { threads };
    let r = build_pool(threads).map_err(|_| {
        crate::err!(
            Value,
            "set_num_threads",
            "the CPU thread pool is already running with {} threads; set the count before the first tensor is made (or with RAYON_NUM_THREADS)",
            rayon::current_num_threads()
        )
    });
    crate::ResultExt::located(r)
}

/// The number of threads the CPU kernels use, as `torch.get_num_threads`.
#[cfg(feature = "std")]
pub fn get_num_threads() -> usize {
    enlist_main_thread();
    rayon::current_num_threads()
}

/// The most threads [`set_num_threads`] takes (PyTorch's CPU builds run far fewer usefully).
#[cfg(feature = "std")]
pub const MAX_THREADS: usize = 1024;

/// Set once the main thread has tried to join the pool, or the program has set the count.
#[cfg(feature = "std")]
static CLAIMED: AtomicBool = AtomicBool::new(false);

#[cfg(feature = "std")]
use core::sync::atomic::{AtomicBool, Ordering};

#[cfg(feature = "std")]
fn on_main_thread() -> bool {
    std::thread::current().name() == Some("main")
}

/// The count rayon would choose.
#[cfg(feature = "std")]
fn default_threads() -> usize {
    std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|&n| n > 0)
        .or_else(|| std::thread::available_parallelism().ok().map(|n| n.get()))
        .unwrap_or(1)
}

/// Builds rayon's global pool of `threads`, with the calling thread in it where that is safe
/// (the main thread, and at least one other thread to run other threads' jobs).
#[cfg(feature = "std")]
#[track_caller]
fn build_pool(threads: usize) -> Result<(), rayon::ThreadPoolBuildError> {
    let builder = rayon::ThreadPoolBuilder::new().num_threads(threads);
    if threads >= 2 && on_main_thread() {
        builder.use_current_thread().build_global()
    } else {
        builder.build_global()
    }
}
