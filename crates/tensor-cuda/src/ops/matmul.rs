//! `dst = beta * dst + alpha * lhs @ rhs` over 3-d layouts `[batch, m, k] @ [batch, k, n]`.
//!
//! Floats go to cuBLAS's strided-batched `gemmEx` (f32 and f64 in their own precision, with the
//! default math mode: no TF32; f16 and bf16 with f32 accumulation, as the CPU's f32 path).
//! cuBLAS is column-major, so the row-major product is computed as `dst^T = rhs^T @ lhs^T`: a
//! row-major matrix with unit column stride is a column-major one with unit row stride, and a
//! matrix with unit row stride is passed transposed. Operands with neither unit stride are
//! copied to contiguous first; a destination with neither is computed into a contiguous
//! temporary and copied back. Integers (and `k == 0`, and sizes past cuBLAS's 32-bit
//! arguments) use a naive kernel that accumulates in f64, as the CPU's fallback does.

use super::copy::{cast_strided, check_extent, contiguous};
use super::launch;
use crate::device::CudaDevice;
use crate::error;
use crate::kernels::{grid, suffix, to_i64, Family};
use crate::storage::{cuda_of, CudaStorage};
use cudarc::cublas::sys::{cublasComputeType_t, cublasGemmAlgo_t, cublasOperation_t, cudaDataType};
use cudarc::driver::DeviceRepr;
use std::ffi::c_void;
use tensor_core::backend::{MatmulOps, Storage};
use tensor_core::{DType, Error, ErrorKind, Layout, Result, ResultExt};

impl MatmulOps<Storage> for CudaStorage {
    #[track_caller]
    fn matmul_into(
        &mut self,
        dst_layout: &Layout,
        lhs: &Storage,
        lhs_layout: &Layout,
        rhs: &Storage,
        rhs_layout: &Layout,
        alpha: f64,
        beta: f64,
    ) -> Result<()> {
        let lhs = cuda_of("matmul", lhs, &self.dev)?;
        let rhs = cuda_of("matmul", rhs, &self.dev)?;
        matmul_into(self, dst_layout, lhs, lhs_layout, rhs, rhs_layout, alpha, beta)
    }
}

/// The naive kernel's geometry; `#[repr(C)]` as `MMGeo` in `matmul.cu`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
#[allow(dead_code)] // the fields are read on the device
struct MatmulGeometry {
    batch: i64,
    m: i64,
    n: i64,
    k: i64,
    off_d: i64,
    off_a: i64,
    off_b: i64,
    sd: [i64; 3],
    sa: [i64; 3],
    sb: [i64; 3],
    alpha: f64,
    beta: f64,
}

// SAFETY: a plain `#[repr(C)]` struct of 8-byte numbers with the layout of `MMGeo`.
unsafe impl DeviceRepr for MatmulGeometry {}

/// One operand as a batch of row-major matrices: element offset and (batch, row, col) strides.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Mat {
    pub(crate) off: usize,
    pub(crate) st: [usize; 3],
}

impl Mat {
    fn of(l: &Layout) -> Mat {
        let s = l.strides();
        Mat { off: l.offset(), st: [s[0], s[1], s[2]] }
    }
    pub(crate) fn contiguous(rows: usize, cols: usize) -> Mat {
        Mat { off: 0, st: [rows * cols, cols, 1] }
    }
    /// The transposed matrices (rows and columns swapped).
    fn t(self) -> Mat {
        Mat { off: self.off, st: [self.st[0], self.st[2], self.st[1]] }
    }
}

/// How cuBLAS (column-major) sees the row-major `rows x cols` matrix with strides `(rs, cs)`:
/// as `op(S)` = its transpose, for a stored column-major `S`. `Some((false, ld))`: unit column
/// stride, no transpose; `Some((true, ld))`: unit row stride, transposed; `None`: neither.
fn as_blas(rows: usize, cols: usize, rs: usize, cs: usize) -> Option<(bool, usize)> {
    if (cols == 1 || cs == 1) && (rows == 1 || rs >= cols.max(1)) {
        return Some((false, if rows == 1 { cols.max(1) } else { rs }));
    }
    if (rows == 1 || rs == 1) && (cols == 1 || cs >= rows.max(1)) {
        return Some((true, if cols == 1 { rows.max(1) } else { cs }));
    }
    None
}

/// `dst[dl] = beta * dst[dl] + alpha * lhs[ll] @ rhs[rl]`.
#[allow(clippy::too_many_arguments)]
#[track_caller]
pub(crate) fn matmul_into(
    dst: &mut CudaStorage,
    dl: &Layout,
    lhs: &CudaStorage,
    ll: &Layout,
    rhs: &CudaStorage,
    rl: &Layout,
    alpha: f64,
    beta: f64,
) -> Result<()> {
    let (dd, ad, bd) = (dl.dims(), ll.dims(), rl.dims());
    if dd.len() != 3 || ad.len() != 3 || bd.len() != 3 {
        return Err(Error::new(ErrorKind::Shape, "matmul", "expected 3-d layouts [batch, m, k] @ [batch, k, n]"));
    }
    let (batch, m, k, n) = (ad[0], ad[1], ad[2], bd[2]);
    if bd[0] != batch || bd[1] != k || dd != [batch, m, n] {
        return Err(Error::new(
            ErrorKind::Shape,
            "matmul",
            format!("shapes {ad:?} @ {bd:?} do not give the destination's {dd:?}"),
        ));
    }
    let dtype = dst.dtype();
    if lhs.dtype() != dtype || rhs.dtype() != dtype || dtype == DType::Bool {
        return Err(error::dtype(
            "matmul",
            format!("expected operands of one numeric dtype, got {} @ {} into {}", lhs.dtype(), rhs.dtype(), dtype),
        ));
    }
    if batch == 0 || m == 0 || n == 0 {
        return Ok(());
    }
    check_extent("matmul", dl, dst)?;
    if k > 0 {
        check_extent("matmul", ll, lhs)?;
        check_extent("matmul", rl, rhs)?;
    }
    // cuBLAS takes sizes and leading dims as i32.
    let small = |v: &usize| *v <= i32::MAX as usize / 2;
    let fits_blas =
        [batch, m, n, k].iter().all(small) && [dl, ll, rl].iter().all(|l| l.strides()[1..].iter().all(small));
    if !dtype.is_float() || k == 0 || !fits_blas {
        return naive(dst, dl, lhs, ll, rhs, rl, alpha, beta);
    }
    // Operands cuBLAS cannot take as they are become contiguous copies.
    let lhs_copy;
    let (lhs, la) = match as_blas(m, k, ll.strides()[1], ll.strides()[2]) {
        Some(_) => (lhs, Mat::of(ll)),
        None => {
            lhs_copy = contiguous(lhs, ll)?;
            (&lhs_copy, Mat::contiguous(m, k))
        }
    };
    let rhs_copy;
    let (rhs, ra) = match as_blas(k, n, rl.strides()[1], rl.strides()[2]) {
        Some(_) => (rhs, Mat::of(rl)),
        None => {
            rhs_copy = contiguous(rhs, rl)?;
            (&rhs_copy, Mat::contiguous(k, n))
        }
    };
    let dm = Mat::of(dl);
    let overlapping = batch > 1 && dm.st[0] == 0;
    let (dptr, lp, rp) = (dst.ptr_mut(), lhs.ptr(), rhs.ptr());
    if !overlapping && matches!(as_blas(m, n, dm.st[1], dm.st[2]), Some((false, _))) {
        return gemm(&dst.dev, dtype, (dptr, dm), (lp, la), (rp, ra), [batch, m, n, k], alpha, beta);
    }
    if !overlapping && matches!(as_blas(n, m, dm.st[2], dm.st[1]), Some((false, _))) {
        // dst^T = rhs^T @ lhs^T, all row-major.
        return gemm(&dst.dev, dtype, (dptr, dm.t()), (rp, ra.t()), (lp, la.t()), [batch, n, m, k], alpha, beta);
    }
    // A destination cuBLAS cannot write: compute into a contiguous temporary, copy back.
    let mut tmp = if beta == 0.0 { CudaStorage::alloc(&dst.dev, dtype, batch * m * n)? } else { contiguous(dst, dl)? };
    let tp = tmp.ptr_mut();
    gemm(&dst.dev, dtype, (tp, Mat::contiguous(m, n)), (lp, la), (rp, ra), [batch, m, n, k], alpha, beta)?;
    cast_strided(dst, dl, &tmp, &Layout::contiguous([batch, m, n]))
}

/// One column-major cuBLAS strided-batched gemm, `Z = op(X) @ op(Y)` per batch, computing the
/// row-major `C = A @ B` as `C^T = B^T @ A^T`: `X` is the row-major `B`, `Y` is `A`. Offsets
/// and strides are in elements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct BlasCall {
    trans_x: bool,
    trans_y: bool,
    m: i32,
    n: i32,
    k: i32,
    x_off: usize,
    ldx: i32,
    stride_x: i64,
    y_off: usize,
    ldy: i32,
    stride_y: i64,
    z_off: usize,
    ldz: i32,
    stride_z: i64,
    batch: i32,
}

/// The cuBLAS call computing row-major `c = a @ b` for `[batch, m, n, k]`, or an error when a
/// matrix has no unit stride (`c` needs a unit column stride) or a size exceeds i32.
#[track_caller]
fn blas_call(c: Mat, a: Mat, b: Mat, [batch, m, n, k]: [usize; 4]) -> Result<BlasCall> {
    let op = "matmul";
    let bad = || Error::new(ErrorKind::Unsupported, op, "a matmul operand's strides or sizes do not fit cuBLAS");
    let (ta, lda) = as_blas(m, k, a.st[1], a.st[2]).ok_or_else(bad).located()?;
    let (tb, ldb) = as_blas(k, n, b.st[1], b.st[2]).ok_or_else(bad).located()?;
    let (tc, ldc) = as_blas(m, n, c.st[1], c.st[2]).ok_or_else(bad).located()?;
    if tc || k == 0 {
        return Err(bad());
    }
    let int = |v: usize| i32::try_from(v).map_err(|_| bad());
    let stride = |mat: Mat| if batch == 1 { Ok(0) } else { to_i64(op, mat.st[0]) };
    Ok(BlasCall {
        trans_x: tb,
        trans_y: ta,
        m: int(n)?,
        n: int(m)?,
        k: int(k)?,
        x_off: b.off,
        ldx: int(ldb)?,
        stride_x: stride(b)?,
        y_off: a.off,
        ldy: int(lda)?,
        stride_y: stride(a)?,
        z_off: c.off,
        ldz: int(ldc)?,
        stride_z: stride(c)?,
        batch: int(batch)?,
    })
}

/// Row-major `C = alpha * A @ B + beta * C` for `[batch, m, n, k]` (`k > 0`) with cuBLAS on
/// `dev`, each operand a base device pointer of a float `dtype` and its matrices; `C` must have
/// unit column stride, `A` and `B` a unit stride either way (see [`as_blas`]).
#[allow(clippy::too_many_arguments)]
#[track_caller]
pub(crate) fn gemm(
    dev: &CudaDevice,
    dtype: DType,
    c: (u64, Mat),
    a: (u64, Mat),
    b: (u64, Mat),
    dims: [usize; 4],
    alpha: f64,
    beta: f64,
) -> Result<()> {
    let op = "matmul";
    let call = blas_call(c.1, a.1, b.1, dims)?;
    let size = dtype.size_in_bytes() as u64;
    let addr = |base: u64, off: usize| (base + off as u64 * size) as usize;
    let (px, py, pz) = (addr(b.0, call.x_off), addr(a.0, call.y_off), addr(c.0, call.z_off));
    let trans = |t: bool| if t { cublasOperation_t::CUBLAS_OP_T } else { cublasOperation_t::CUBLAS_OP_N };
    let (data, compute) = match dtype {
        DType::F16 => (cudaDataType::CUDA_R_16F, cublasComputeType_t::CUBLAS_COMPUTE_32F),
        DType::BF16 => (cudaDataType::CUDA_R_16BF, cublasComputeType_t::CUBLAS_COMPUTE_32F),
        DType::F32 => (cudaDataType::CUDA_R_32F, cublasComputeType_t::CUBLAS_COMPUTE_32F),
        DType::F64 => (cudaDataType::CUDA_R_64F, cublasComputeType_t::CUBLAS_COMPUTE_64F),
        other => return Err(error::dtype(op, format!("cuBLAS matmul does not take {other}"))),
    };
    let (alpha32, beta32) = (alpha as f32, beta as f32);
    let (pal, pbe): (*const c_void, *const c_void) = if dtype == DType::F64 {
        (&alpha as *const f64 as *const c_void, &beta as *const f64 as *const c_void)
    } else {
        (&alpha32 as *const f32 as *const c_void, &beta32 as *const f32 as *const c_void)
    };
    dev.with_blas(op, |blas| {
        // SAFETY: the pointers address live buffers of this device (layouts checked against the
        // storages by the caller); the leading dims and strides come from `as_blas`, which
        // guarantees cuBLAS's `ld >= rows` rules; alpha and beta are host scalars of the
        // compute type that live through the call; the handle runs on this device's stream.
        unsafe {
            cudarc::cublas::result::gemm_strided_batched_ex(
                *blas.handle(),
                trans(call.trans_x),
                trans(call.trans_y),
                call.m,
                call.n,
                call.k,
                pal,
                px as *const c_void,
                data,
                call.ldx,
                call.stride_x,
                py as *const c_void,
                data,
                call.ldy,
                call.stride_y,
                pbe,
                pz as *mut c_void,
                data,
                call.ldz,
                call.stride_z,
                call.batch,
                compute,
                cublasGemmAlgo_t::CUBLAS_GEMM_DEFAULT,
            )
        }
        .map_err(|e| error::cublas(op, e))
        .located()
    })
}

/// The naive kernel (any numeric dtype, any strides).
#[allow(clippy::too_many_arguments)]
#[track_caller]
fn naive(
    dst: &mut CudaStorage,
    dl: &Layout,
    lhs: &CudaStorage,
    ll: &Layout,
    rhs: &CudaStorage,
    rl: &Layout,
    alpha: f64,
    beta: f64,
) -> Result<()> {
    let op = "matmul";
    let (ad, bd) = (ll.dims(), rl.dims());
    let s3 = |l: &Layout| -> Result<[i64; 3]> {
        let s = l.strides();
        Ok([to_i64(op, s[0])?, to_i64(op, s[1])?, to_i64(op, s[2])?])
    };
    let g = MatmulGeometry {
        batch: to_i64(op, ad[0])?,
        m: to_i64(op, ad[1])?,
        n: to_i64(op, bd[2])?,
        k: to_i64(op, ad[2])?,
        off_d: to_i64(op, dl.offset())?,
        off_a: to_i64(op, ll.offset())?,
        off_b: to_i64(op, rl.offset())?,
        sd: s3(dl)?,
        sa: s3(ll)?,
        sb: s3(rl)?,
        alpha,
        beta,
    };
    let total = ad[0] * ad[1] * bd[2];
    let name = format!("matmul_naive_{}", suffix(dst.dtype()));
    let (dp, ap, bp) = (dst.ptr_mut(), lhs.ptr(), rhs.ptr());
    // matmul_naive_<T>(T* d, const T* a, const T* b, MMGeo g)
    launch!(dst.dev, Family::Matmul, name, grid(total), op; &dp, &ap, &bp, &g)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blas_views_of_row_major_matrices() {
        // Contiguous [3, 4]: unit column stride, ld 4.
        assert_eq!(as_blas(3, 4, 4, 1), Some((false, 4)));
        // Its transpose [4, 3] with strides (1, 4): transposed, ld 4.
        assert_eq!(as_blas(4, 3, 1, 4), Some((true, 4)));
        // A padded row-major matrix (row stride 10 >= 4).
        assert_eq!(as_blas(3, 4, 10, 1), Some((false, 10)));
        // Rows that overlap, or strided both ways: not expressible.
        assert_eq!(as_blas(3, 4, 2, 1), None);
        assert_eq!(as_blas(3, 4, 8, 2), None);
        // Vectors: any stride along the size-1 dim.
        assert_eq!(as_blas(1, 5, 999, 1), Some((false, 5)));
        assert_eq!(as_blas(5, 1, 1, 999), Some((false, 1)));
        assert_eq!(as_blas(1, 1, 7, 7), Some((false, 1)));
    }

    /// cuBLAS's column-major strided-batched gemm, on the host: `Z = op(X) @ op(Y) + beta Z`.
    fn emulate(call: &BlasCall, x: &[f64], y: &[f64], z: &mut [f64], beta: f64) {
        let (m, n, k) = (call.m as usize, call.n as usize, call.k as usize);
        for bi in 0..call.batch as usize {
            let (xo, yo) = (call.x_off + bi * call.stride_x as usize, call.y_off + bi * call.stride_y as usize);
            let zo = call.z_off + bi * call.stride_z as usize;
            let (ldx, ldy, ldz) = (call.ldx as usize, call.ldy as usize, call.ldz as usize);
            // cuBLAS's `ld >= rows` rules.
            assert!(ldx >= (if call.trans_x { k } else { m }).max(1));
            assert!(ldy >= (if call.trans_y { n } else { k }).max(1));
            assert!(ldz >= m.max(1));
            for i in 0..m {
                for j in 0..n {
                    let mut acc = 0.0;
                    for p in 0..k {
                        let xv = if call.trans_x { x[xo + p + i * ldx] } else { x[xo + i + p * ldx] };
                        let yv = if call.trans_y { y[yo + j + p * ldy] } else { y[yo + p + j * ldy] };
                        acc += xv * yv;
                    }
                    let zi = zo + i + j * ldz;
                    z[zi] = acc + beta * z[zi];
                }
            }
        }
    }

    /// Element `(bi, r, c)` of a batch of matrices.
    fn at(buf: &[f64], m: Mat, bi: usize, r: usize, c: usize) -> f64 {
        buf[m.off + bi * m.st[0] + r * m.st[1] + c * m.st[2]]
    }

    /// Checks the planned call against the row-major product for operands stored as given.
    fn check(dims: [usize; 4], c: Mat, a: Mat, b: Mat, swap: bool) {
        let [batch, m, n, k] = dims;
        let (abuf, bbuf): (Vec<f64>, Vec<f64>) =
            ((0..400).map(|i| (i % 7) as f64 - 3.0).collect(), (0..400).map(|i| (i % 5) as f64 * 0.5).collect());
        let mut cbuf = vec![1.0; 400];
        // As `matmul_into` does for a column-major destination: `c^T = b^T @ a^T`.
        let call = if swap {
            blas_call(c.t(), b.t(), a.t(), [batch, n, m, k]).unwrap()
        } else {
            blas_call(c, a, b, dims).unwrap()
        };
        // The first cuBLAS operand is the row-major right-hand side of the planned product.
        let (x, y) = if swap { (&abuf, &bbuf) } else { (&bbuf, &abuf) };
        emulate(&call, x, y, &mut cbuf, 0.5);
        for bi in 0..batch {
            for i in 0..m {
                for j in 0..n {
                    let want: f64 = (0..k).map(|p| at(&abuf, a, bi, i, p) * at(&bbuf, b, bi, p, j)).sum::<f64>() + 0.5;
                    assert_eq!(at(&cbuf, c, bi, i, j), want, "dims {dims:?} swap {swap} at ({bi}, {i}, {j})");
                }
            }
        }
    }

    #[test]
    fn planned_cublas_calls_compute_the_row_major_product() {
        let (batch, m, n, k) = (2, 3, 4, 5);
        let dims = [batch, m, n, k];
        let row = |r: usize, c: usize| Mat { off: 0, st: [r * c, c, 1] };
        let col = |r: usize, c: usize| Mat { off: 0, st: [r * c, 1, r] };
        // Row-major everything; transposed operands; padded leading dims and offsets.
        check(dims, row(m, n), row(m, k), row(k, n), false);
        check(dims, row(m, n), col(m, k), col(k, n), false);
        check(
            dims,
            Mat { off: 3, st: [40, 10, 1] },
            Mat { off: 1, st: [30, 1, 6] },
            Mat { off: 2, st: [0, 9, 1] },
            false,
        );
        // A column-major destination goes through the transposed product.
        check(dims, col(m, n), row(m, k), row(k, n), true);
        check(dims, Mat { off: 5, st: [50, 1, 7] }, col(m, k), Mat { off: 0, st: [0, 1, 6] }, true);
        // Vectors (m = 1 or n = 1) with arbitrary strides along their size-1 dim.
        check([1, 1, 4, 5], Mat { off: 0, st: [0, 99, 1] }, Mat { off: 0, st: [0, 77, 1] }, row(5, 4), false);
        check([2, 3, 1, 5], Mat { off: 0, st: [3, 1, 55] }, row(3, 5), Mat { off: 0, st: [5, 1, 33] }, false);
    }

    #[test]
    fn blas_call_refuses_what_cublas_cannot_take() {
        let m = Mat { off: 0, st: [0, 4, 1] };
        // A destination with unit row stride must take the transposed route.
        assert!(blas_call(Mat { off: 0, st: [0, 1, 3] }, m, m, [1, 3, 4, 4]).is_err());
        // Neither stride is 1.
        assert!(blas_call(m, Mat { off: 0, st: [0, 8, 2] }, m, [1, 3, 4, 4]).is_err());
        // k = 0 is left to the naive kernel.
        assert!(blas_call(m, m, m, [1, 3, 4, 0]).is_err());
    }

    #[test]
    fn geometry_has_the_c_layout() {
        assert_eq!(std::mem::size_of::<MatmulGeometry>(), 8 * 18);
    }
}
