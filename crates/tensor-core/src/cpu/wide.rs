//! Elementwise loops over slices, run with the widest vector unit this CPU has: the same loop is
//! compiled for AVX-512, for AVX2 + FMA and for the baseline, and the first that the CPU
//! supports runs (checked at run time; std caches the answer). Worth it where the per-element
//! function is arithmetic (the polynomials of [`vmath`](super::vmath)): a memory-bound loop gains
//! nothing. The loops are generic over the function, which is inlined into each variant.

/// Evaluates `$body` compiled for the widest vector unit available (the body is safe code;
/// only the call into a `#[target_feature]` function needs the check). Functions that `$body`
/// calls are compiled with the same features when inlined into it: mark them
/// `#[inline(always)]`. `$body` captures by reference: a scalar it reads should reach the loop
/// as a function parameter or a local of `$body` (by reference, LLVM may reload it every element
/// or turn a select on it into a gather), and so should a closure it calls, copied in
/// (`let f = *f;`): behind a reference, the closure's own captures are loads through a pointer,
/// and a select between them (`if x > 0 { g } else { g * slope }`) became a gather per vector
/// (leaky_relu's and abs's gradients, sign, clamp, nan_to_num, floor division: all `Copy`
/// closures now, copied by [`map`], [`update`], [`zip`] and the binary ops' row loop).
macro_rules! widest {
    ($body:expr) => {{
        #[cfg(all(feature = "std", target_arch = "x86_64"))]
        {
            #[target_feature(enable = "avx512f,avx2,fma")]
            fn avx512<R>(f: impl FnOnce() -> R) -> R {
                f()
            }
            #[target_feature(enable = "avx2,fma")]
            fn avx2<R>(f: impl FnOnce() -> R) -> R {
                f()
            }
            if std::is_x86_feature_detected!("avx512f") {
                // SAFETY: the CPU has AVX-512F (checked just above), which implies AVX2; FMA
                // comes with every AVX-512 CPU. `avx512` runs safe code.
                unsafe {
                    avx512(
                        #[inline(always)]
                        || $body,
                    )
                }
            } else if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
                // SAFETY: the CPU has AVX2 and FMA (checked just above); `avx2` runs safe code.
                unsafe {
                    avx2(
                        #[inline(always)]
                        || $body,
                    )
                }
            } else {
                $body
            }
        }
        #[cfg(not(all(feature = "std", target_arch = "x86_64")))]
        {
            $body
        }
    }};
}
pub(crate) use widest;

/// `out[i] = f(src[i])`; the slices have one length.
#[inline]
pub(crate) fn map<T: Copy, U>(out: &mut [U], src: &[T], f: &(impl Fn(T) -> U + Copy)) {
    let src = &src[..out.len()];
    widest!({
        let f = *f;
        for (o, &x) in out.iter_mut().zip(src) {
            *o = f(x);
        }
    })
}

/// `v[i] = f(v[i])`.
#[inline]
pub(crate) fn update<T: Copy>(v: &mut [T], f: &(impl Fn(T) -> T + Copy)) {
    widest!({
        let f = *f;
        for x in v.iter_mut() {
            *x = f(*x);
        }
    })
}

/// `out[i] = f(a[i], b[i])`; the slices have one length.
#[inline]
pub(crate) fn zip<T: Copy, U>(out: &mut [U], a: &[T], b: &[T], f: &(impl Fn(T, T) -> U + Copy)) {
    let (a, b) = (&a[..out.len()], &b[..out.len()]);
    widest!({
        let f = *f;
        for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
            *o = f(x, y);
        }
    })
}

/// `f(a[la], b[lb])` into a new contiguous `Vec` (`la`, `lb` of one shape): the unit-stride and
/// broadcast-scalar rows through [`zip`] and [`map`], the rest element by element. For float
/// ops worth the widest vectors (a division, an activation's gradient).
#[track_caller]
pub(crate) fn zip_layouts<T: crate::Element>(
    op: &'static str,
    a: &[T],
    la: &crate::Layout,
    b: &[T],
    lb: &crate::Layout,
    f: impl Fn(T, T) -> T + Sync + Send + Copy,
) -> crate::Result<alloc::vec::Vec<T>> {
    let mut out = super::buffer_for_overwrite::<T>(op, la.numel())?;
    let row = super::Row::new([la, lb]);
    let [sa, sb] = row.stride;
    super::fill_rows(&mut out, &row, |d, [oa, ob]| {
        let n = d.len();
        match (sa, sb) {
            (1, 1) => zip(d, &a[oa..oa + n], &b[ob..ob + n], &f),
            // The scalar and `f` captured by value (see `widest!`): the scalar by reference
            // might alias `d`, and the loop would reload it each element instead of
            // vectorising; `f` by reference had its own captures loaded through a pointer.
            (1, 0) => {
                let (y, f) = (b[ob], f);
                map(d, &a[oa..oa + n], &move |x| f(x, y))
            }
            (0, 1) => {
                let (x, f) = (a[oa], f);
                map(d, &b[ob..ob + n], &move |y| f(x, y))
            }
            _ => {
                for (i, o) in d.iter_mut().enumerate() {
                    *o = f(a[oa + i * sa], b[ob + i * sb]);
                }
            }
        }
    });
    Ok(out)
}

/// Sum of `f(a[i], b[i])` in 16 lanes (vectorisable: slices, no indexing).
#[inline(always)]
pub(crate) fn lane_sum2<T: crate::Element + core::ops::Add<Output = T>>(a: &[T], b: &[T], f: impl Fn(T, T) -> T) -> T {
    let mut lanes = [T::ZERO; 16];
    let (ca, cb) = (a.chunks_exact(16), b[..a.len()].chunks_exact(16));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for ((l, &u), &v) in lanes.iter_mut().zip(x).zip(y) {
            *l = *l + f(u, v);
        }
    }
    let mut total = T::ZERO;
    for l in lanes {
        total = total + l;
    }
    for (&u, &v) in ra.iter().zip(rb) {
        total = total + f(u, v);
    }
    total
}

/// Sum of `f(a[i])` in 16 lanes.
#[inline(always)]
pub(crate) fn lane_sum<T: crate::Element + core::ops::Add<Output = T>>(a: &[T], f: impl Fn(T) -> T) -> T {
    lane_sum2(a, a, |u, _| f(u))
}

/// The largest element (NaN is ignored here: it reaches the result through the sum of exps).
#[inline(always)]
pub(crate) fn row_max<T: crate::cpu::FloatElem>(x: &[T]) -> T {
    let mut lanes = [T::neg_infinity(); 16];
    let chunks = x.chunks_exact(16);
    let rest = chunks.remainder();
    for c in chunks {
        for (l, &v) in lanes.iter_mut().zip(c) {
            *l = if v > *l { v } else { *l };
        }
    }
    let mut m = T::neg_infinity();
    for v in lanes.into_iter().chain(rest.iter().copied()) {
        m = if v > m { v } else { m };
    }
    m
}
