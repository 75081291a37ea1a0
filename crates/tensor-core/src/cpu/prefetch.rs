//! Software prefetch: loads started early where the hardware prefetchers cannot guess the
//! address (the rows of a gather, picked by an index). A hint only: results never depend on it.

/// Starts loading every cache line of `data` into the caches, without waiting for it.
#[inline(always)]
pub(crate) fn prefetch<T>(data: &[T]) {
    #[cfg(target_arch = "x86_64")]
    {
        use core::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        let p = data.as_ptr() as *const i8;
        for at in (0..core::mem::size_of_val(data)).step_by(64) {
            // SAFETY: SSE is part of the x86_64 baseline. A prefetch reads nothing the program
            // can see and never faults; the address lies inside `data` (`at` < its size).
            unsafe { _mm_prefetch::<_MM_HINT_T0>(p.add(at)) };
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = data;
}
