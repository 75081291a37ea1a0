//! The `out` forms of the reductions against the functional forms (which `reductions.rs` checks
//! against naive references): into a fitting `out` (contiguous or transposed), an `out` of another
//! shape (replaced, as PyTorch resizes), of another dtype (cast), and an `out` that aliases the
//! input. Plus the errors. Every test runs on every device (the CPU, and the GPU when one is
//! usable).

use crate::common;

use common::*;
use proptest::prelude::*;
use tensor_core::{DType, ErrorKind, Norm, Result, Tensor};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Sum,
    Mean,
    Prod,
    Amax,
    Amin,
    MaxValues,
    MaxIndices,
    MinValues,
    Argmax,
    Argmin,
    All,
    Any,
    Var,
    Std,
    Norm,
    LogSumExp,
    CumSum,
    CumProd,
}

const OPS: [Op; 18] = [
    Op::Sum,
    Op::Mean,
    Op::Prod,
    Op::Amax,
    Op::Amin,
    Op::MaxValues,
    Op::MaxIndices,
    Op::MinValues,
    Op::Argmax,
    Op::Argmin,
    Op::All,
    Op::Any,
    Op::Var,
    Op::Std,
    Op::Norm,
    Op::LogSumExp,
    Op::CumSum,
    Op::CumProd,
];

/// What `out` is before the call.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Out {
    /// The result's shape and dtype, contiguous.
    Fit,
    /// The result's shape and dtype, as a transposed view (rank ≥ 2 results; else contiguous).
    FitTransposed,
    /// Another shape: replaced by a new tensor.
    WrongShape,
    /// float64 (every result here casts to it).
    Float64,
}

impl Op {
    fn float_only(self) -> bool {
        matches!(self, Op::Mean | Op::Var | Op::Std)
    }
    fn needs_elements(self) -> bool {
        matches!(self, Op::Amax | Op::Amin | Op::MaxValues | Op::MaxIndices | Op::MinValues | Op::Argmax | Op::Argmin)
    }
    fn single_dim(self) -> bool {
        matches!(
            self,
            Op::Prod
                | Op::MaxValues
                | Op::MaxIndices
                | Op::MinValues
                | Op::Argmax
                | Op::Argmin
                | Op::CumSum
                | Op::CumProd
        )
    }

    /// The functional form.
    fn apply(self, x: &Tensor, dims: &[isize], keepdim: bool) -> Result<Tensor> {
        let d = dims.first().copied().unwrap_or(0);
        match self {
            Op::Sum => x.sum_dim(dims, keepdim),
            Op::Mean => x.mean_dim(dims, keepdim),
            Op::Prod => x.prod_dim(d, keepdim),
            Op::Amax => x.amax(dims, keepdim),
            Op::Amin => x.amin(dims, keepdim),
            Op::MaxValues => Ok(x.max_dim(d, keepdim)?.0),
            Op::MaxIndices => Ok(x.max_dim(d, keepdim)?.1),
            Op::MinValues => Ok(x.min_dim(d, keepdim)?.0),
            Op::Argmax => x.argmax(Some(d), keepdim),
            Op::Argmin => x.argmin(Some(d), keepdim),
            Op::All => x.all_dim(dims, keepdim),
            Op::Any => x.any_dim(dims, keepdim),
            Op::Var => x.var(dims, 1, keepdim),
            Op::Std => x.std(dims, 0, keepdim),
            Op::Norm => x.norm(Norm::L2, dims, keepdim),
            Op::LogSumExp => x.logsumexp(dims, keepdim),
            Op::CumSum => x.cumsum(d),
            Op::CumProd => x.cumprod(d),
        }
    }

    /// The `out` form.
    fn apply_out(self, x: &Tensor, dims: &[isize], keepdim: bool, out: &mut Tensor) -> Result<()> {
        let d = dims.first().copied().unwrap_or(0);
        match self {
            Op::Sum => Tensor::sum_out(x, dims, keepdim, out),
            Op::Mean => Tensor::mean_out(x, dims, keepdim, out),
            Op::Prod => Tensor::prod_out(x, Some(d), keepdim, out),
            Op::Amax => Tensor::amax_out(x, dims, keepdim, out),
            Op::Amin => Tensor::amin_out(x, dims, keepdim, out),
            Op::MaxValues | Op::MaxIndices => {
                let (v, i) = x.max_dim(d, keepdim)?;
                let (mut values, mut indices) = (v.zeros_like(None)?, i.zeros_like(None)?);
                match self {
                    Op::MaxValues => {
                        Tensor::max_dim_out(x, d, keepdim, out, &mut indices)?;
                        assert_eq!(indices.to_vec::<i64>()?, i.to_vec::<i64>()?);
                    }
                    _ => {
                        Tensor::max_dim_out(x, d, keepdim, &mut values, out)?;
                        assert!(same(&values, &v));
                    }
                }
                Ok(())
            }
            Op::MinValues => {
                let mut indices = x.min_dim(d, keepdim)?.1;
                Tensor::min_dim_out(x, d, keepdim, out, &mut indices)
            }
            Op::Argmax => Tensor::argmax_out(x, Some(d), keepdim, out),
            Op::Argmin => Tensor::argmin_out(x, Some(d), keepdim, out),
            Op::All => Tensor::all_out(x, dims, keepdim, out),
            Op::Any => Tensor::any_out(x, dims, keepdim, out),
            Op::Var => Tensor::var_out(x, dims, 1, keepdim, out),
            Op::Std => Tensor::std_out(x, dims, 0, keepdim, out),
            Op::Norm => Tensor::norm_out(x, Norm::L2, dims, keepdim, out),
            Op::LogSumExp => Tensor::logsumexp_out(x, dims, keepdim, out),
            Op::CumSum => Tensor::cumsum_out(x, d, out),
            Op::CumProd => Tensor::cumprod_out(x, d, out),
        }
    }
}

/// An `out` of kind `kind` for a result like `r`, on `r`'s device.
fn make_out(r: &Tensor, kind: Out) -> Tensor {
    match kind {
        Out::Fit => Tensor::full(r.shape().clone(), 7, r.dtype(), r.device()).unwrap(),
        Out::FitTransposed if r.dim() >= 2 => {
            let mut dims = r.size().to_vec();
            dims.swap(0, 1);
            Tensor::full(dims, 7, r.dtype(), r.device()).unwrap().transpose(0, 1).unwrap()
        }
        Out::FitTransposed => make_out(r, Out::Fit),
        Out::WrongShape => Tensor::full([7], 7, r.dtype(), r.device()).unwrap(),
        Out::Float64 => Tensor::full(r.shape().clone(), 7, DType::F64, r.device()).unwrap(),
    }
}

/// Equal values (NaN equal to NaN).
fn same(a: &Tensor, b: &Tensor) -> bool {
    let (va, vb) = (values(a), values(b));
    a.shape() == b.shape() && va.iter().zip(&vb).all(|(x, y)| x == y || (x.is_nan() && y.is_nan()))
}

proptest! {
    #![proptest_config(cfg(256))]

    #[test]
    fn out_forms_match_the_functional_forms(
        op_i in 0..OPS.len(),
        shape in prop::collection::vec(0usize..4, 1..4),
        dims_seed in any::<u64>(),
        keepdim in any::<bool>(),
        dtype_i in 0usize..3,
        out_i in 0usize..4,
        seed in any::<u64>(),
    ) {
        let op = OPS[op_i];
        let dtype = [DType::F32, DType::F64, DType::I64][dtype_i];
        prop_assume!(!op.float_only() || dtype.is_float());
        for dev in devices() {
            let mut rng = Mix::new(seed);
            let vals: Vec<f64> = (0..numel(&shape)).map(|_| draw(&mut rng, dtype, Values::Small)).collect();
            // A transposed input when it has two dims or more: the reductions read any layout.
            let x = typed_tensor_on(&dev, &vals, &shape, dtype);
            let x = if x.dim() >= 2 { x.transpose(0, 1).unwrap().contiguous().unwrap().transpose(0, 1).unwrap() } else { x };
            let mut dr = Mix::new(dims_seed);
            let rank = shape.len();
            let dims: Vec<isize> = if op.single_dim() {
                vec![dr.below(rank) as isize - if dr.coin() { rank as isize } else { 0 }]
            } else {
                let mut p = dr.perm(rank);
                p.truncate(dr.below(rank + 1));
                p.into_iter().map(|d| d as isize).collect()
            };
            let reduced_empty = if dims.is_empty() { x.numel() == 0 } else {
                dims.iter().any(|&d| shape[d.rem_euclid(rank as isize) as usize] == 0)
            };
            prop_assume!(!(op.needs_elements() && reduced_empty));
            let expected = op.apply(&x, &dims, keepdim).unwrap();
            let kind = [Out::Fit, Out::FitTransposed, Out::WrongShape, Out::Float64][out_i];
            let mut out = make_out(&expected, kind);
            let handle = out.shallow_clone();
            op.apply_out(&x, &dims, keepdim, &mut out).unwrap();
            assert_on(&expected, &dev);
            assert_on(&out, &dev);
            let expected = expected.to_dtype(out.dtype()).unwrap();
            prop_assert!(same(&out, &expected), "{:?} {:?} dims {:?} keepdim {} on {}: {} vs {}", op, kind, dims, keepdim, dev, out, expected);
            // A fitting out is written in place (the caller's storage), not replaced.
            if kind != Out::WrongShape {
                prop_assert!(out.shares_storage(&handle), "{:?}: out was replaced", op);
            }
        }
    }
}

#[test]
fn an_out_that_aliases_the_input_gets_the_result() {
    on_each_device(|dev| {
        // torch.sum(x, 1, keepdim=True, out=x[:, :1]) reads x before writing its first column.
        let x = Tensor::new([[1f32, 2., 3.], [4., 5., 6.]], dev).unwrap();
        let mut col = x.narrow(1, 0, 1).unwrap();
        Tensor::sum_out(&x, &[1], true, &mut col).unwrap();
        assert_eq!(x.to_vec2::<f32>().unwrap(), [[6., 2., 3.], [15., 5., 6.]]);
        let y = Tensor::new([2f64, 4., 6.], dev).unwrap();
        let mut first = y.narrow(0, 0, 1).unwrap().squeeze();
        Tensor::mean_out(&y, &[], false, &mut first).unwrap();
        assert_eq!(y.to_vec::<f64>().unwrap(), [4., 4., 6.]);
    });
}

#[test]
fn out_errors_name_the_op() {
    on_each_device(|dev| {
        let x = Tensor::new([1.5f32, 2.5], dev).unwrap();
        // A float result can't be written into an integer out, as PyTorch.
        let mut out = Tensor::zeros([], DType::I64, dev).unwrap();
        let e = Tensor::sum_out(&x, &[], false, &mut out).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::DType);
        assert!(e.to_string().contains("sum"), "{e}");
        // An out with overlapping elements can't be written.
        let mut out = Tensor::zeros([1], DType::F32, dev).unwrap().expand(&[2]).unwrap();
        let y = Tensor::new([[1f32, 2.], [3., 4.]], dev).unwrap();
        let e = Tensor::sum_out(&y, &[1], false, &mut out).unwrap_err();
        assert!(e.to_string().contains("sum"), "{e}");
        // A bad dim.
        let mut out = Tensor::zeros([], DType::F32, dev).unwrap();
        let e = Tensor::amax_out(&x, &[3], false, &mut out).unwrap_err();
        assert!(e.to_string().contains("amax"), "{e}");
    });
}
