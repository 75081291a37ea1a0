//! Linear algebra: `matmul` with PyTorch's rules (1-d, 2-d, broadcast batches), `mm`, `bmm`,
//! `mv`, `dot`, `outer`, `addmm`, and `matmul_out`. Every form reduces to one backend call over
//! 3-d layouts `[batch, m, k] @ [batch, k, n]`.

pub(crate) mod backend;
pub(crate) mod cpu;
#[cfg(feature = "std")]
mod dot;

use crate::shape::{broadcast_shapes, Dims};
use crate::{bail, result_type, Layout, Result, ResultExt, Shape, Tensor};

/// Operands of one batched product, as 3-d tensors, and the shape of the user-facing result.
struct Plan {
    lhs: Tensor,
    rhs: Tensor,
    batch: usize,
    m: usize,
    n: usize,
    out_shape: Shape,
}

#[track_caller]
fn plan(a: &Tensor, b: &Tensor) -> Result<Plan> {
    let (da, db) = (a.dim(), b.dim());
    if da == 0 || db == 0 {
        bail!(Shape, "matmul", "both arguments to matmul need to be at least 1D, but they are {}D and {}D", da, db);
    }
    // Promote 1-d operands to matrices, remembering which dims to drop from the result.
    let a2 = if da == 1 { a.unsqueeze(0)? } else { a.shallow_clone() };
    let b2 = if db == 1 { b.unsqueeze(1)? } else { b.shallow_clone() };
    let (m, k) = (a2.size()[a2.dim() - 2], a2.size()[a2.dim() - 1]);
    let (k2, n) = (b2.size()[b2.dim() - 2], b2.size()[b2.dim() - 1]);
    if k != k2 {
        bail!(
            Shape,
            "matmul",
            "mat1 and mat2 shapes cannot be multiplied ({}x{} and {}x{}) (shapes {:?} and {:?})",
            m,
            k,
            k2,
            n,
            a.shape(),
            b.shape()
        );
    }
    let batch_a = Shape::new(&a2.size()[..a2.dim() - 2]);
    let batch_b = Shape::new(&b2.size()[..b2.dim() - 2]);
    let batch = broadcast_shapes("matmul", &batch_a, &batch_b)?;
    let mut out: Dims = batch.dims().iter().copied().collect();
    if da > 1 {
        out.push(m);
    }
    if db > 1 {
        out.push(n);
    }
    let nb = batch.numel();
    // [.., m, k] with no batch on the right: fold the batch into the rows (one big gemm).
    if batch_b.rank() == 0 && batch_a.rank() > 0 {
        if let Ok(l) = a2.layout().view_as_shape(Shape::new(&[1, nb * m, k])) {
            let rhs = b2.unsqueeze(0)?;
            return Ok(Plan { lhs: a2.with_layout(l)?, rhs, batch: 1, m: nb * m, n, out_shape: Shape::new(&out) });
        }
    }
    let to3 = |t: &Tensor, r: usize, c: usize| -> Result<Tensor> {
        let mut full: Dims = batch.dims().iter().copied().collect();
        full.push(r);
        full.push(c);
        let e = t.broadcast_to(&Shape::new(&full))?;
        match e.layout().view_as_shape(Shape::new(&[nb, r, c])) {
            Ok(l) => e.with_layout(l),
            Err(_) => e.contiguous()?.reshape_to([nb, r, c]),
        }
    };
    Ok(Plan { lhs: to3(&a2, m, k)?, rhs: to3(&b2, k, n)?, batch: nb, m, n, out_shape: Shape::new(&out) })
}

impl Tensor {
    /// Matrix product with PyTorch's rules: 1-d·1-d is a dot product, 2-d@2-d a matrix product,
    /// 1-d operands gain and then lose a dim, leading dims broadcast as batches.
    #[track_caller]
    pub fn matmul(&self, rhs: &Tensor) -> Result<Tensor> {
        self.same_device("matmul", &[rhs])?;
        let dtype = result_type(&[self.operand(), rhs.operand()]);
        if dtype == crate::DType::Bool {
            bail!(DType, "matmul", "\"addmm\" not implemented for 'Bool'");
        }
        let p = plan(&self.to_dtype(dtype)?, &rhs.to_dtype(dtype)?)?;
        // With a contraction, the kernel writes every element (beta = 0 reads none): no memset.
        let numel = p.out_shape.checked_numel("matmul")?;
        let k = p.lhs.size()[2];
        let mut out = if k > 0 {
            self.device().uninit("matmul", dtype, numel)?
        } else {
            self.device().zeros("matmul", dtype, numel)?
        };
        let lo = Layout::contiguous([p.batch, p.m, p.n]);
        Tensor::read_all("matmul", [&p.lhs, &p.rhs], |[a, b]| {
            out.matmul_into(&lo, a, p.lhs.layout(), b, p.rhs.layout(), 1.0, 0.0)
        })?;
        Ok(Tensor::from_op(out, p.out_shape, self.device()))
    }
    /// `matmul` into `out` (no allocation when `out` is contiguous with the result's shape and
    /// dtype; otherwise `out` is replaced, as PyTorch resizes it).
    #[track_caller]
    pub fn matmul_out(a: &Tensor, b: &Tensor, out: &mut Tensor) -> Result<()> {
        Tensor::addmm_into(a, b, out, 1.0, 0.0)
    }
    /// `out = beta * out + alpha * a @ b` (shapes as `matmul`).
    #[track_caller]
    fn addmm_into(a: &Tensor, b: &Tensor, out: &mut Tensor, alpha: f64, beta: f64) -> Result<()> {
        let dtype = result_type(&[a.operand(), b.operand()]);
        let p = plan(&a.to_dtype(dtype)?, &b.to_dtype(dtype)?)?;
        let fits = out.shape() == &p.out_shape
            && out.dtype() == dtype
            && out.device() == a.device()
            && !out.shares_storage(a)
            && !out.shares_storage(b);
        let lo = if fits { out.layout().view_as_shape(Shape::new(&[p.batch, p.m, p.n])).ok() } else { None };
        match lo {
            Some(lo) => {
                out.check_writable("matmul_out")?;
                out.write_reading("matmul_out", [&p.lhs, &p.rhs], |dst, [x, y]| {
                    dst.matmul_into(&lo, x, p.lhs.layout(), y, p.rhs.layout(), alpha, beta)
                })
            }
            None => {
                let prod = a.matmul(b)?;
                let r = if beta == 0.0 { prod.mul(alpha)? } else { out.mul(beta)?.add(&prod.mul(alpha)?)? };
                if out.shape() == r.shape() {
                    out.copy_(&r)
                } else {
                    *out = r.to_dtype(out.dtype())?;
                    Ok(())
                }
            }
        }
    }
    /// Product of two matrices, as `torch.mm`.
    #[track_caller]
    pub fn mm(&self, rhs: &Tensor) -> Result<Tensor> {
        if self.dim() != 2 || rhs.dim() != 2 {
            bail!(Shape, "mm", "expected 2-D tensors, got shapes {:?} and {:?}", self.shape(), rhs.shape());
        }
        self.matmul(rhs)
    }
    /// Batched product of 3-d tensors, as `torch.bmm`.
    #[track_caller]
    pub fn bmm(&self, rhs: &Tensor) -> Result<Tensor> {
        if self.dim() != 3 || rhs.dim() != 3 || self.size()[0] != rhs.size()[0] {
            bail!(
                Shape,
                "bmm",
                "expected 3-D tensors with equal batch sizes, got shapes {:?} and {:?}",
                self.shape(),
                rhs.shape()
            );
        }
        self.matmul(rhs)
    }
    /// Matrix-vector product, as `torch.mv`.
    #[track_caller]
    pub fn mv(&self, vec: &Tensor) -> Result<Tensor> {
        if self.dim() != 2 || vec.dim() != 1 {
            bail!(Shape, "mv", "expected a matrix and a vector, got shapes {:?} and {:?}", self.shape(), vec.shape());
        }
        self.matmul(vec)
    }
    /// Dot product of two vectors, as `torch.dot`.
    #[track_caller]
    pub fn dot(&self, other: &Tensor) -> Result<Tensor> {
        if self.dim() != 1 || other.dim() != 1 || self.numel() != other.numel() {
            bail!(
                Shape,
                "dot",
                "1D tensors expected with the same number of elements, but got shapes {:?} and {:?}",
                self.shape(),
                other.shape()
            );
        }
        self.matmul(other)
    }
    /// Outer product of two vectors, as `torch.outer`.
    #[track_caller]
    pub fn outer(&self, other: &Tensor) -> Result<Tensor> {
        if self.dim() != 1 || other.dim() != 1 {
            bail!(Shape, "outer", "expected 1-D tensors, got shapes {:?} and {:?}", self.shape(), other.shape());
        }
        self.unsqueeze(1)?.mul(&other.unsqueeze(0)?)
    }
    /// `beta * self + alpha * (m1 @ m2)`, as `torch.addmm` (`self` broadcasts to the result).
    #[track_caller]
    pub fn addmm(&self, m1: &Tensor, m2: &Tensor, beta: f64, alpha: f64) -> Result<Tensor> {
        if m1.dim() != 2 || m2.dim() != 2 {
            bail!(Shape, "addmm", "expected 2-D matrices, got shapes {:?} and {:?}", m1.shape(), m2.shape());
        }
        let shape = Shape::new(&[m1.size()[0], m2.size()[1]]);
        let dtype = result_type(&[self.operand(), m1.operand(), m2.operand()]);
        let mut out = self.broadcast_to(&shape).in_op("addmm")?.to_dtype(dtype)?.contiguous()?;
        if out.shares_storage(self) {
            out = out.try_clone()?;
        }
        Tensor::addmm_into(m1, m2, &mut out, alpha, beta).in_op("addmm")?;
        Ok(out)
    }
}
