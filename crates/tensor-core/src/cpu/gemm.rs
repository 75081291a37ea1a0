//! Small strided matrix products on slices, checked: `dst (+)= lhs @ rhs` through the gemm crate
//! (a plain triple loop without std), for kernels that multiply blocks they own (convolution's
//! im2col, attention's query and key blocks).

/// A matrix operand: elements `data[i * rs + j * cs]`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Mat<'a, T> {
    pub data: &'a [T],
    pub rs: usize,
    pub cs: usize,
}

/// The element types gemm computes in natively.
pub(crate) trait GemmElem:
    crate::Element + num_traits::Float + core::ops::AddAssign + core::iter::Sum + Send + Sync
{
    /// The slice as f32, if that is this type (for the f32-only kernels).
    fn as_f32(s: &[Self]) -> Option<&[f32]>;
    /// The slice as f32, if that is this type.
    fn as_f32_mut(s: &mut [Self]) -> Option<&mut [f32]>;
}
impl GemmElem for f32 {
    fn as_f32(s: &[f32]) -> Option<&[f32]> {
        Some(s)
    }
    fn as_f32_mut(s: &mut [f32]) -> Option<&mut [f32]> {
        Some(s)
    }
}
impl GemmElem for f64 {
    fn as_f32(_: &[f64]) -> Option<&[f32]> {
        None
    }
    fn as_f32_mut(_: &mut [f64]) -> Option<&mut [f32]> {
        None
    }
}

/// `dst[m x n] (+)= lhs[m x k] @ rhs[k x n]`, with `dst` at row stride `drs` and unit column
/// stride; `acc` adds to `dst` instead of overwriting it; `par` lets gemm use every thread.
#[allow(clippy::too_many_arguments)]
pub(crate) fn gemm<T: GemmElem>(
    m: usize,
    n: usize,
    k: usize,
    dst: &mut [T],
    drs: usize,
    acc: bool,
    lhs: Mat<'_, T>,
    rhs: Mat<'_, T>,
    par: bool,
) {
    if m == 0 || n == 0 {
        return;
    }
    // Every index the kernel touches must lie inside the slices.
    let last = |rs: usize, cs: usize, r: usize, c: usize| (r - 1) * rs + (c - 1) * cs;
    assert!(last(drs, 1, m, n) < dst.len(), "gemm: dst out of bounds");
    if k == 0 {
        if !acc {
            (0..m).for_each(|i| dst[i * drs..i * drs + n].fill(T::zero()));
        }
        return;
    }
    assert!(
        last(lhs.rs, lhs.cs, m, k) < lhs.data.len() && last(rhs.rs, rhs.cs, k, n) < rhs.data.len(),
        "gemm: operand out of bounds"
    );
    #[cfg(feature = "std")]
    {
        let par = if par && m * n * k >= 1 << 16 {
            gemm::Parallelism::Rayon(rayon::current_num_threads())
        } else {
            gemm::Parallelism::None
        };
        // SAFETY: the largest index of each operand was checked against its slice above; `dst`
        // is a unique borrow, so it aliases neither input; strides index live allocations, so
        // they fit in isize. T is f32 or f64, which gemm supports.
        crate::grad_mode::suspended(|| unsafe {
            gemm::gemm(
                m,
                n,
                k,
                dst.as_mut_ptr(),
                1,
                drs as isize,
                acc,
                lhs.data.as_ptr(),
                lhs.cs as isize,
                lhs.rs as isize,
                rhs.data.as_ptr(),
                rhs.cs as isize,
                rhs.rs as isize,
                T::one(),
                T::one(),
                false,
                false,
                false,
                par,
            );
        });
    }
    #[cfg(not(feature = "std"))]
    {
        let _ = par;
        for i in 0..m {
            let row = &mut dst[i * drs..i * drs + n];
            if !acc {
                row.fill(T::zero());
            }
            for p in 0..k {
                let a = lhs.data[i * lhs.rs + p * lhs.cs];
                for (j, d) in row.iter_mut().enumerate() {
                    *d += a * rhs.data[p * rhs.rs + j * rhs.cs];
                }
            }
        }
    }
}
