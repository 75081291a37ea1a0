//! Binary ops (`binary`, `binary_inplace`, `binary_into`, and `binary_scalar[_inplace]` with a
//! float number as a kernel argument, an integer one filled into a one-element device buffer),
//! comparisons and `where` over operands
//! tensor-core has already broadcast (stride-0 dims walk as repeats). Every dtype; the
//! logical ops take bool only, and bool takes add/mul/maximum/minimum as or/and, as on the CPU.

use super::copy::{check_extent, fill};
use super::launch;
use crate::error;
use crate::kernels::{contiguous_strides, grid, plan, suffix, to_i64, Family};
use crate::storage::{cuda_of, same_dtype, CudaStorage};
use tensor_core::backend::{BinaryOp, CmpOp};
use tensor_core::backend::{BinaryOps, Storage};
use tensor_core::{DType, Error, ErrorKind, Layout, Result, Scalar, Shape};

impl BinaryOps<Storage> for CudaStorage {
    #[track_caller]
    fn binary(&self, layout: &Layout, rhs: &Storage, rhs_layout: &Layout, op: BinaryOp) -> Result<Storage> {
        let rhs = cuda_of("binary", rhs, &self.dev)?;
        binary(self, layout, rhs, rhs_layout, op).map(Storage::new)
    }
    #[track_caller]
    fn binary_inplace(&mut self, layout: &Layout, rhs: &Storage, rhs_layout: &Layout, op: BinaryOp) -> Result<()> {
        let rhs = cuda_of("binary", rhs, &self.dev)?;
        binary_inplace(self, layout, rhs, rhs_layout, op)
    }
    fn binary_scalar(&self, layout: &Layout, s: Scalar, op: BinaryOp) -> Option<Result<Storage>> {
        Some(binary_scalar(self, layout, s, op).map(Storage::new))
    }
    fn binary_scalar_inplace(&mut self, layout: &Layout, s: Scalar, op: BinaryOp) -> Option<Result<()>> {
        Some(binary_scalar_inplace(self, layout, s, op))
    }
    #[track_caller]
    fn binary_into(
        &mut self,
        dst_layout: &Layout,
        lhs: &Storage,
        lhs_layout: &Layout,
        rhs: &Storage,
        rhs_layout: &Layout,
        op: BinaryOp,
    ) -> Result<()> {
        let lhs = cuda_of("binary", lhs, &self.dev)?;
        let rhs = cuda_of("binary", rhs, &self.dev)?;
        binary_into(self, dst_layout, lhs, lhs_layout, rhs, rhs_layout, op)
    }
    #[track_caller]
    fn cmp(&self, layout: &Layout, rhs: &Storage, rhs_layout: &Layout, op: CmpOp) -> Result<Storage> {
        let rhs = cuda_of("cmp", rhs, &self.dev)?;
        cmp(self, layout, rhs, rhs_layout, op).map(Storage::new)
    }
    #[track_caller]
    fn where_cond(
        &self,
        layout: &Layout,
        on_true: &Storage,
        true_layout: &Layout,
        on_false: &Storage,
        false_layout: &Layout,
    ) -> Result<Storage> {
        let t = cuda_of("where", on_true, &self.dev)?;
        let f = cuda_of("where", on_false, &self.dev)?;
        where_cond(self, layout, t, true_layout, f, false_layout).map(Storage::new)
    }
}

/// The op's number in `binary.cu`, once `dtype` is known to take it.
#[track_caller]
fn binary_code(dtype: DType, op: BinaryOp) -> Result<i32> {
    use BinaryOp::*;
    let logical = matches!(op, LogicalAnd | LogicalOr | LogicalXor);
    let ok = match dtype {
        DType::Bool => matches!(op, Add | Mul | Maximum | Minimum) || logical,
        d if d.is_int() => !logical && op != Atan2,
        _ => !logical,
    };
    if !ok {
        let msg = match dtype {
            DType::Bool => format!("{op:?} is not supported for bool tensors"),
            d if logical => format!("{op:?} expects bool tensors, got {d}"),
            d => format!("{op:?} is not implemented for {d}"),
        };
        return Err(error::dtype("binary", msg));
    }
    Ok(match op {
        Add => 0,
        Sub => 1,
        Mul => 2,
        Div => 3,
        FloorDiv => 4,
        Pow => 5,
        Maximum => 6,
        Minimum => 7,
        Remainder => 8,
        Atan2 => 9,
        LogicalAnd => 10,
        LogicalOr => 11,
        LogicalXor => 12,
    })
}

/// Errors unless `a` and `b` have one shape.
#[track_caller]
fn same_shape(op: &'static str, a: &Layout, b: &Layout) -> Result<()> {
    if a.dims() != b.dims() {
        return Err(Error::new(
            ErrorKind::Shape,
            op,
            format!("operands of shapes {:?} and {:?} were not broadcast to one shape", a.dims(), b.dims()),
        ));
    }
    Ok(())
}

/// `out[ol] = a[al] op b[bl]` (`out` may be `a` with `ol == al`).
#[allow(clippy::too_many_arguments)]
#[track_caller]
fn launch_binary(
    out_ptr: u64,
    ol_strides: &[usize],
    ol_offset: usize,
    a: &CudaStorage,
    al: &Layout,
    b: &CudaStorage,
    bl: &Layout,
    op: BinaryOp,
) -> Result<()> {
    same_dtype("binary", a.dtype(), b.dtype())?;
    same_shape("binary", al, bl)?;
    let code = binary_code(a.dtype(), op)?;
    let n = al.numel();
    if n == 0 {
        return Ok(());
    }
    check_extent("binary", al, a)?;
    check_extent("binary", bl, b)?;
    let (d, [so, sa, sb]) =
        plan("binary", al.dims(), [ol_strides, al.strides(), bl.strides()], [ol_offset, al.offset(), bl.offset()])?;
    let name = format!("binary_{}", suffix(a.dtype()));
    let (ap, bp, n64) = (a.ptr(), b.ptr(), to_i64("binary", n)?);
    // binary_<T>(T* out, KStrides so, const T* a, KStrides sa, const T* b, KStrides sb, KDims d,
    //            i64 n, int op)
    launch!(a.dev, Family::Binary, name, grid(n), "binary"; &out_ptr, &so, &ap, &sa, &bp, &sb, &d, &n64, &code)
}

/// `a[al] op b[bl]` as a new contiguous storage.
#[track_caller]
pub(crate) fn binary(a: &CudaStorage, al: &Layout, b: &CudaStorage, bl: &Layout, op: BinaryOp) -> Result<CudaStorage> {
    binary_code(a.dtype(), op)?;
    let mut out = CudaStorage::alloc(&a.dev, a.dtype(), al.numel())?;
    let strides = contiguous_strides(al.dims());
    launch_binary(out.ptr_mut(), &strides, 0, a, al, b, bl, op)?;
    Ok(out)
}

/// `a[al] = a[al] op b[bl]`.
#[track_caller]
pub(crate) fn binary_inplace(
    a: &mut CudaStorage,
    al: &Layout,
    b: &CudaStorage,
    bl: &Layout,
    op: BinaryOp,
) -> Result<()> {
    let out = a.ptr_mut();
    launch_binary(out, al.strides(), al.offset(), a, al, b, bl, op)
}

/// `dst[dl] = a[al] op b[bl]`.
#[allow(clippy::too_many_arguments)]
#[track_caller]
pub(crate) fn binary_into(
    dst: &mut CudaStorage,
    dl: &Layout,
    a: &CudaStorage,
    al: &Layout,
    b: &CudaStorage,
    bl: &Layout,
    op: BinaryOp,
) -> Result<()> {
    if dst.dtype() != a.dtype() {
        return Err(error::dtype(
            "binary_out",
            format!("out has dtype {} but the result is {}", dst.dtype(), a.dtype()),
        ));
    }
    same_shape("binary_out", dl, al)?;
    if dl.numel() > 0 {
        check_extent("binary_out", dl, dst)?;
    }
    let out = dst.ptr_mut();
    launch_binary(out, dl.strides(), dl.offset(), a, al, b, bl, op)
}

/// The number `s` as a one-element storage of `a`'s dtype (converted as the CPU's scalar
/// kernels convert it), filled on the device (no host copy), and the layout that broadcasts it
/// over `al`'s shape: the integer and bool forms.
#[track_caller]
fn scalar_operand(a: &CudaStorage, al: &Layout, s: Scalar) -> Result<(CudaStorage, Layout)> {
    let mut one = CudaStorage::alloc(&a.dev, a.dtype(), 1)?;
    let l = Layout::contiguous(Shape::scalar());
    fill(&mut one, &l, s)?;
    Ok((one, l.broadcast_to(al.shape())?))
}

/// `out[ol] = a[al] op s` for a float `a` (`out` may be `a` with `ol == al`) and the op's
/// `code` ([`binary_code`]): the number is a kernel argument in the compute type (f32 for
/// f16/bf16/f32, f64 for f64), as the CPU's scalar kernels take it, and pow by a small exponent
/// is multiplies (`pow_scalar` in binary.cu).
#[track_caller]
fn launch_binary_scalar(
    out_ptr: u64,
    ol_strides: &[usize],
    ol_offset: usize,
    a: &CudaStorage,
    al: &Layout,
    s: Scalar,
    code: i32,
) -> Result<()> {
    let n = al.numel();
    if n == 0 {
        return Ok(());
    }
    check_extent("binary", al, a)?;
    let (d, [so, sa]) = plan("binary", al.dims(), [ol_strides, al.strides()], [ol_offset, al.offset()])?;
    let name = format!("binary_scalar_{}", suffix(a.dtype()));
    let (ap, n64) = (a.ptr(), to_i64("binary", n)?);
    // binary_scalar_<T>(T* out, KStrides so, const T* a, KStrides sa, C s, KDims d, i64 n, int op)
    // with C = double for f64, float otherwise.
    if a.dtype() == DType::F64 {
        let s = s.to_f64();
        launch!(a.dev, Family::Binary, name, grid(n), "binary"; &out_ptr, &so, &ap, &sa, &s, &d, &n64, &code)
    } else {
        let s = s.to_f64() as f32;
        launch!(a.dev, Family::Binary, name, grid(n), "binary"; &out_ptr, &so, &ap, &sa, &s, &d, &n64, &code)
    }
}

/// `a[al] op s` for a number `s`, as a new contiguous storage.
#[track_caller]
pub(crate) fn binary_scalar(a: &CudaStorage, al: &Layout, s: Scalar, op: BinaryOp) -> Result<CudaStorage> {
    let code = binary_code(a.dtype(), op)?;
    if a.dtype().is_float() {
        let mut out = CudaStorage::alloc(&a.dev, a.dtype(), al.numel())?;
        let strides = contiguous_strides(al.dims());
        launch_binary_scalar(out.ptr_mut(), &strides, 0, a, al, s, code)?;
        return Ok(out);
    }
    let (b, bl) = scalar_operand(a, al, s)?;
    binary(a, al, &b, &bl, op)
}

/// `a[al] = a[al] op s` for a number `s`.
#[track_caller]
pub(crate) fn binary_scalar_inplace(a: &mut CudaStorage, al: &Layout, s: Scalar, op: BinaryOp) -> Result<()> {
    let code = binary_code(a.dtype(), op)?;
    if a.dtype().is_float() {
        let out = a.ptr_mut();
        return launch_binary_scalar(out, al.strides(), al.offset(), a, al, s, code);
    }
    let (b, bl) = scalar_operand(a, al, s)?;
    binary_inplace(a, al, &b, &bl, op)
}

/// `a[al] cmp b[bl]` as a new contiguous Bool storage.
#[track_caller]
pub(crate) fn cmp(a: &CudaStorage, al: &Layout, b: &CudaStorage, bl: &Layout, op: CmpOp) -> Result<CudaStorage> {
    same_dtype("cmp", a.dtype(), b.dtype())?;
    same_shape("cmp", al, bl)?;
    let n = al.numel();
    let mut out = CudaStorage::alloc(&a.dev, DType::Bool, n)?;
    if n == 0 {
        return Ok(out);
    }
    check_extent("cmp", al, a)?;
    check_extent("cmp", bl, b)?;
    let code: i32 = match op {
        CmpOp::Eq => 0,
        CmpOp::Ne => 1,
        CmpOp::Lt => 2,
        CmpOp::Le => 3,
        CmpOp::Gt => 4,
        CmpOp::Ge => 5,
    };
    let (d, [sa, sb]) = plan("cmp", al.dims(), [al.strides(), bl.strides()], [al.offset(), bl.offset()])?;
    let name = format!("cmp_{}", suffix(a.dtype()));
    let (op_ptr, ap, bp, n64) = (out.ptr_mut(), a.ptr(), b.ptr(), to_i64("cmp", n)?);
    // cmp_<T>(bool* out, const T* a, KStrides sa, const T* b, KStrides sb, KDims d, i64 n, int op)
    launch!(a.dev, Family::Binary, name, grid(n), "cmp"; &op_ptr, &ap, &sa, &bp, &sb, &d, &n64, &code)?;
    Ok(out)
}

/// `cond[cl] ? t[tl] : f[fl]` as a new contiguous storage.
#[track_caller]
pub(crate) fn where_cond(
    cond: &CudaStorage,
    cl: &Layout,
    t: &CudaStorage,
    tl: &Layout,
    f: &CudaStorage,
    fl: &Layout,
) -> Result<CudaStorage> {
    if cond.dtype() != DType::Bool {
        return Err(error::dtype(
            "where",
            format!("where expected condition to be a boolean tensor, but got a tensor with dtype {}", cond.dtype()),
        ));
    }
    same_dtype("where", t.dtype(), f.dtype())?;
    same_shape("where", cl, tl)?;
    same_shape("where", cl, fl)?;
    let n = cl.numel();
    let mut out = CudaStorage::alloc(&t.dev, t.dtype(), n)?;
    if n == 0 {
        return Ok(out);
    }
    check_extent("where", cl, cond)?;
    check_extent("where", tl, t)?;
    check_extent("where", fl, f)?;
    let (d, [sc, st, sf]) =
        plan("where", cl.dims(), [cl.strides(), tl.strides(), fl.strides()], [cl.offset(), tl.offset(), fl.offset()])?;
    let name = format!("where_{}", t.dtype().size_in_bytes());
    let (op_ptr, cp, tp, fp, n64) = (out.ptr_mut(), cond.ptr(), t.ptr(), f.ptr(), to_i64("where", n)?);
    // where_<bytes>(T* out, const bool* c, KStrides sc, const T* t, KStrides st, const T* f,
    //               KStrides sf, KDims d, i64 n)
    launch!(t.dev, Family::Binary, name, grid(n), "where"; &op_ptr, &cp, &sc, &tp, &st, &fp, &sf, &d, &n64)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_follow_the_cpu_dtype_rules() {
        assert!(binary_code(DType::Bool, BinaryOp::Sub).is_err());
        assert!(binary_code(DType::Bool, BinaryOp::Add).is_ok());
        assert!(binary_code(DType::F32, BinaryOp::LogicalAnd).is_err());
        assert!(binary_code(DType::I64, BinaryOp::Atan2).is_err());
        assert_eq!(binary_code(DType::F16, BinaryOp::Atan2).unwrap(), 9);
    }
}
