//! Streaming (non-temporal) writes of large results.
//!
//! A normal store first reads its cache line (to own it), so `out = a + b` over 64 MB moves four
//! arrays through the caches, not three, and leaves `out` in a cache that will evict it anyway. A
//! non-temporal store writes whole lines straight to memory. Kernels keep their plain, vectorised
//! loops: [`fill_streaming`] runs them into a small staging block in L1 and streams each block
//! out. Measured on the 2-vCPU bench VM (C probes, `out = a + b` of 16M f32): normal stores
//! 5.7 ms, streamed 3.0 ms; streamed through a 256-byte stage 3.0–3.1 ms (a 4 KiB stage was
//! 3.8: the streams came in bursts). With the next op reading the result (`add` then `sum`),
//! streaming still won at 32 MB (2.7 against 3.5 ms) and 16 MB (1.40 against 1.59), was level at
//! 8 MB and lost at 4 MB, hence [`STREAM_BYTES`]. Those were Intel VMs; on an AMD Zen 4 VM
//! streaming lost at every size tried, so only Intel CPUs stream ([`worthwhile`]).

/// Results of at least this many bytes are written with streaming stores.
pub(crate) const STREAM_BYTES: usize = 16 << 20;

/// Whether streaming stores pay on this CPU: on Intel's (measured above), not on AMD's. On the
/// AMD EPYC (Zen 4) bench VM, `out = a + b` of 16M f32 took 7.4–7.7 ms streamed (through
/// 16-byte or 64-byte stores alike) against 4.4–5.8 with normal stores, and a masked softmax
/// reading back a streamed 16 MiB result 5.0–6.0 against 3.9–4.5 (BENCHMARKS.md, session 14).
fn streaming_pays() -> bool {
    #[cfg(test)]
    if tests::FORCE.load(core::sync::atomic::Ordering::Relaxed) {
        return true;
    }
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    {
        static PAYS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        *PAYS.get_or_init(|| {
            // CPUID leaf 0: the vendor string in EBX, EDX, ECX.
            let id = core::arch::x86_64::__cpuid(0);
            let vendor = [id.ebx, id.edx, id.ecx];
            vendor != [0x6874_7541, 0x6974_6e65, 0x444d_4163] // "AuthenticAMD"
        })
    }
    #[cfg(not(all(feature = "std", target_arch = "x86_64")))]
    {
        cfg!(target_arch = "x86_64")
    }
}

/// Elements per staging block: a multiple of a cache line for every element size (1 to 8 bytes).
const STAGE: usize = 64;

const LINE: usize = 64;

/// Whether a write-only result of `len` elements of `T`, in rows of `row_len`, is worth
/// streaming: it is large, and its rows hold whole staging blocks.
pub(crate) fn worthwhile<T>(len: usize, row_len: usize) -> bool {
    len * core::mem::size_of::<T>() >= STREAM_BYTES && row_len >= 4 * STAGE && streaming_pays()
}

/// Fills `dst` by `fill(part, at)`, which must write every element of `part` (the elements of
/// `dst` from `at` on) without reading it. The cache-line-aligned middle of `dst` goes through
/// a staging block and non-temporal stores; the unaligned ends are filled in place.
pub(crate) fn fill_streaming<T: Copy + Default>(dst: &mut [T], fill: impl Fn(&mut [T], usize)) {
    let size = core::mem::size_of::<T>();
    if size == 0 || !LINE.is_multiple_of(size) {
        return fill(dst, 0);
    }
    let head = dst.as_ptr().align_offset(LINE).min(dst.len());
    let body_end = head + (dst.len() - head) / STAGE * STAGE;
    if head > 0 {
        fill(&mut dst[..head], 0);
    }
    let mut stage = [T::default(); STAGE];
    for at in (head..body_end).step_by(STAGE) {
        fill(&mut stage, at);
        store_nontemporal(&mut dst[at..at + STAGE], &stage);
    }
    fence();
    if body_end < dst.len() {
        fill(&mut dst[body_end..], body_end);
    }
}

/// `dst.copy_from_slice(src)` with non-temporal stores; `dst` starts on a cache line and spans
/// whole lines.
#[cfg(target_arch = "x86_64")]
fn store_nontemporal<T: Copy>(dst: &mut [T], src: &[T; STAGE]) {
    use core::arch::x86_64::{__m128i, _mm_loadu_si128, _mm_stream_si128};
    let bytes = STAGE * core::mem::size_of::<T>();
    assert!(dst.len() == STAGE && (dst.as_ptr() as usize).is_multiple_of(LINE) && bytes.is_multiple_of(LINE));
    let (d, s) = (dst.as_mut_ptr() as *mut __m128i, src.as_ptr() as *const __m128i);
    for i in 0..bytes / 16 {
        // SAFETY: SSE2 is part of the x86_64 baseline. Both pointers cover `bytes` bytes (the
        // assert: `dst` and `src` hold STAGE elements of T), `d` is 16-byte aligned (it starts
        // on a line), `s` is read unaligned, and T is plain data (a dtype's element), so moving
        // its bytes moves the values.
        unsafe { _mm_stream_si128(d.add(i), _mm_loadu_si128(s.add(i))) };
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn store_nontemporal<T: Copy>(dst: &mut [T], src: &[T; STAGE]) {
    dst.copy_from_slice(src);
}

/// Orders the streaming stores before anything this thread does next (as `_mm_stream_si128`
/// requires before another access to that memory, from any thread).
fn fence() {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: SSE is part of the x86_64 baseline; a fence has no other effect.
    unsafe {
        core::arch::x86_64::_mm_sfence()
    };
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Streams large results whatever the CPU (so that the streamed path is tested on AMD's).
    pub(crate) static FORCE: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);

    #[test]
    fn streaming_fills_every_element_at_any_alignment() {
        // Offsets 0..16 of a buffer: every head length; lengths around whole blocks.
        let mut buf = alloc::vec![0u32; 1200];
        for start in 0..16 {
            for len in [0, 1, 63, 64, 65, 300, 1000] {
                buf.fill(u32::MAX);
                fill_streaming(&mut buf[start..start + len], |part: &mut [u32], at| {
                    for (i, x) in part.iter_mut().enumerate() {
                        *x = (at + i) as u32;
                    }
                });
                let got = &buf[start..start + len];
                assert!(got.iter().enumerate().all(|(i, &x)| x == i as u32), "start {start} len {len}");
                assert!(buf[..start].iter().chain(&buf[start + len..]).all(|&x| x == u32::MAX));
            }
        }
    }
}
