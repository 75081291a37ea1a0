//! In-place ops through views (they write through every view of the storage), with aliasing
//! sources; writes to expanded tensors refused; `*_out` forms writing into the caller's tensor;
//! the version counter. Every test runs on every device (the CPU, and the GPU when one is
//! usable), but the version counter's, which also writes through CPU slices.

use crate::common;

use common::*;
use proptest::prelude::*;
use tensor_core::{result_type, DType, Device, ErrorKind, Operand, Result, Rhs, Scalar, Tensor};

const CPU: Device = Device::Cpu;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Add,
    Sub,
    Mul,
    Div,
    FloorDivide,
    Pow,
    Maximum,
    Minimum,
    Remainder,
    Atan2,
    LogicalAnd,
    LogicalOr,
    LogicalXor,
}

const OPS: [Op; 13] = [
    Op::Add,
    Op::Sub,
    Op::Mul,
    Op::Div,
    Op::FloorDivide,
    Op::Pow,
    Op::Maximum,
    Op::Minimum,
    Op::Remainder,
    Op::Atan2,
    Op::LogicalAnd,
    Op::LogicalOr,
    Op::LogicalXor,
];

impl Op {
    fn inplace<'a>(self, x: &mut Tensor, b: impl Into<Rhs<'a>>) -> Result<()> {
        match self {
            Op::Add => x.add_(b),
            Op::Sub => x.sub_(b),
            Op::Mul => x.mul_(b),
            Op::Div => x.div_(b),
            Op::FloorDivide => x.floor_divide_(b),
            Op::Pow => x.pow_(b),
            Op::Maximum => x.maximum_(b),
            Op::Minimum => x.minimum_(b),
            Op::Remainder => x.remainder_(b),
            Op::Atan2 => x.atan2_(b),
            Op::LogicalAnd => x.logical_and_(b),
            Op::LogicalOr => x.logical_or_(b),
            Op::LogicalXor => x.logical_xor_(b),
        }
    }
    fn out<'a>(self, a: &Tensor, b: impl Into<Rhs<'a>>, out: &mut Tensor) -> Result<()> {
        match self {
            Op::Add => Tensor::add_out(a, b, out),
            Op::Sub => Tensor::sub_out(a, b, out),
            Op::Mul => Tensor::mul_out(a, b, out),
            Op::Div => Tensor::div_out(a, b, out),
            Op::FloorDivide => Tensor::floor_divide_out(a, b, out),
            Op::Pow => Tensor::pow_out(a, b, out),
            Op::Maximum => Tensor::maximum_out(a, b, out),
            Op::Minimum => Tensor::minimum_out(a, b, out),
            Op::Remainder => Tensor::remainder_out(a, b, out),
            Op::Atan2 => Tensor::atan2_out(a, b, out),
            Op::LogicalAnd => Tensor::logical_and_out(a, b, out),
            Op::LogicalOr => Tensor::logical_or_out(a, b, out),
            Op::LogicalXor => Tensor::logical_xor_out(a, b, out),
        }
    }
    /// (compute, result) dtypes for a promoted dtype.
    fn dtypes(self, promoted: DType) -> (DType, DType) {
        match self {
            Op::Div | Op::Atan2 => (to_float(promoted), to_float(promoted)),
            Op::LogicalAnd | Op::LogicalOr | Op::LogicalXor => (DType::Bool, DType::Bool),
            _ => (promoted, promoted),
        }
    }
    fn refuses_bool(self) -> bool {
        matches!(self, Op::Sub | Op::FloorDivide | Op::Pow | Op::Remainder)
    }
    fn reference(self, a: f64, b: f64, compute: DType) -> f64 {
        let t = |c: bool| c as u8 as f64;
        match self {
            Op::Add => a + b,
            Op::Sub => a - b,
            Op::Mul => a * b,
            Op::Div => a / b,
            Op::FloorDivide => (a / b).floor(),
            Op::Pow if compute.is_float() => a.powf(b),
            Op::Pow => a.powi(b as i32),
            Op::Maximum => a.max(b),
            Op::Minimum => a.min(b),
            Op::Remainder => {
                let r = a % b;
                if r != 0.0 && (r < 0.0) != (b < 0.0) {
                    r + b
                } else {
                    r
                }
            }
            Op::Atan2 => a.atan2(b),
            Op::LogicalAnd => t(a != 0.0 && b != 0.0),
            Op::LogicalOr => t(a != 0.0 || b != 0.0),
            Op::LogicalXor => t((a != 0.0) != (b != 0.0)),
        }
    }
}

fn to_float(d: DType) -> DType {
    if d.is_float() {
        d
    } else {
        DType::F32
    }
}

/// PyTorch's `canCast`: no float into an integer or bool, no number into bool.
fn can_cast(from: DType, to: DType) -> bool {
    (!from.is_float() || to.is_float()) && (from == DType::Bool || to != DType::Bool)
}

fn op_tol(op: Op, dtype: DType) -> Tol {
    match (op, dtype) {
        (_, DType::F16 | DType::BF16) => tol_for(dtype),
        (Op::Pow | Op::Atan2, _) => tol_for(dtype),
        _ => EXACT,
    }
}

/// The storage's values after writing `vals` at the elements of view `t`.
fn base_after(base: &[f64], t: &Tensor, vals: &[f64]) -> Vec<f64> {
    let mut out = base.to_vec();
    let (st, off) = (t.stride().to_vec(), t.storage_offset());
    let mut k = 0;
    for_each_index(t.size(), |i| {
        out[off + i.iter().zip(&st).map(|(a, b)| a * b).sum::<usize>()] = vals[k];
        k += 1;
    });
    out
}

fn any_dtype() -> impl Strategy<Value = DType> {
    prop::sample::select(KERNEL_DTYPES.to_vec())
}

/// A source shape that broadcasts to `dst` (a suffix with some dims 1), rarely one that does not.
fn src_shape_for(dst: &[usize], seed: u64) -> Vec<usize> {
    let mut rng = Mix::new(seed);
    let drop = if rng.coin() { rng.below(dst.len() + 1) } else { 0 };
    let mut s: Vec<usize> = dst[drop..].iter().map(|&d| if rng.below(3) == 0 { 1 } else { d }).collect();
    if rng.below(10) == 0 {
        s.insert(0, 2);
    }
    s
}

proptest! {
    #![proptest_config(cfg(1000))]

    /// `x.op_(y)` on a view `x` of a bigger storage: the view's elements become `x op y` (in x's
    /// dtype; refused when the result cannot be cast into it), every other element stays, the
    /// version goes up exactly when something was written.
    #[test]
    fn inplace_through_views(
        op in prop::sample::select(OPS.to_vec()),
        dst_shape in shape_strategy(4, 4),
        src_seed in any::<u64>(),
        dst_recipe in recipe_strategy(3, false),
        src_recipe in recipe_strategy(3, true),
        dd in any_dtype(),
        ds in any_dtype(),
        scalar in prop::option::weighted(0.2, -4i64..=4),
    ) {
        for dev in devices() {
            let src_shape = src_shape_for(&dst_shape, src_seed);
            let divisor = if op == Op::Pow { Values::Exponent } else { Values::NonZero };
            let dst = build_on(&dev, &dst_shape, &dst_recipe, dd, Values::Small);
            let src = build_on(&dev, &src_shape, &src_recipe, ds, divisor);
            let mut x = dst.t.shallow_clone();
            let v0 = x.version();
            let (rhs, b_operand, b_ref) = match scalar {
                Some(s) => {
                    let s = if s == 0 { 3 } else { s.abs() };
                    (Rhs::Scalar(Scalar::Int(s)), Operand::Scalar(Scalar::Int(s)), Ref::scalar(s as f64))
                }
                None => (Rhs::Tensor(&src.t), src.t.operand(), src.r.clone()),
            };
            let promoted = result_type(&[x.operand(), b_operand]);
            let (compute, result) = op.dtypes(promoted);
            let r = op.inplace(&mut x, rhs);
            let fits = broadcast_shape(&dst_shape, &b_ref.shape).as_deref() == Some(&dst_shape[..]);
            let refused = (compute == DType::Bool && op.refuses_bool()) || !can_cast(result, dd) || !fits;
            if refused {
                let e = r.unwrap_err();
                prop_assert!(matches!(e.kind(), ErrorKind::DType | ErrorKind::Shape), "{}", e);
                if !can_cast(result, dd) {
                    prop_assert!(e.to_string().contains("can't be cast to the desired output type"), "{}", e);
                }
                assert_same_values(&values(&dst.base), &dst.base_values, "a refused op writes nothing");
                prop_assert_eq!(x.version(), v0);
                continue;
            }
            r.unwrap_or_else(|e| panic!("{op:?}_ {dd:?}{dst_shape:?} with {ds:?}{src_shape:?} on {dev}: {e}"));
            prop_assert!(x.version() > v0);
            prop_assert_eq!(dst.base.version(), x.version(), "views share one version counter");
            let want = dst.r.map(|v| round_to(compute, v)).zip(&b_ref.map(|v| round_to(compute, v)), |a, b| {
                round_to(dd, round_to(result, op.reference(a, b, compute)))
            });
            assert_ref(&x, &want, op_tol(op, result), &format!("{op:?}_ on {dev}"));
            let base_want = base_after(&dst.base_values, &x, &values(&x));
            assert_same_values(&values(&dst.base), &base_want, &format!("only the view's elements change on {dev}"));
        }
    }

    /// `Tensor::op_out(a, b, &mut out)` into a view of a caller-owned storage: written in place
    /// when the shape fits (any dtype the result casts to), replaced when it does not.
    #[test]
    fn out_forms(
        op in prop::sample::select(OPS.to_vec()),
        (sa, sb) in broadcast_pair_strategy(3, 4),
        ra in recipe_strategy(2, true),
        rb in recipe_strategy(2, true),
        ro in recipe_strategy(2, false),
        da in any_dtype(),
        db in any_dtype(),
        out_kind in 0u8..4,
    ) {
        for dev in devices() {
            let divisor = if op == Op::Pow { Values::Exponent } else { Values::NonZero };
            let a = build_on(&dev, &sa, &ra, da, Values::Small);
            let b = build_on(&dev, &sb, &rb, db, divisor);
            let shape = broadcast_shape(&sa, &sb).unwrap();
            let promoted = result_type(&[a.t.operand(), b.t.operand()]);
            let (compute, result) = op.dtypes(promoted);
            // out: the result dtype or F64 (both castable), or I64 (maybe not), in some layout; or a
            // tensor of the wrong shape.
            let out_dtype = match out_kind { 0 | 3 => result, 1 => DType::F64, _ => DType::I64 };
            let wrong_shape = out_kind == 3;
            let o = if wrong_shape {
                build_on(&dev, &[shape.iter().product::<usize>() + 1], &ro, out_dtype, Values::Small)
            } else {
                build_on(&dev, &shape, &ro, out_dtype, Values::Small)
            };
            let mut out = o.t.shallow_clone();
            let v0 = out.version();
            let r = op.out(&a.t, &b.t, &mut out);
            if (compute == DType::Bool && op.refuses_bool()) || !can_cast(result, out_dtype) {
                prop_assert!(r.is_err());
                assert_same_values(&values(&o.base), &o.base_values, "a refused out op writes nothing");
                continue;
            }
            r.unwrap_or_else(|e| panic!("{op:?}_out {da:?}{sa:?} {db:?}{sb:?} into {out_dtype:?} on {dev}: {e}"));
            assert_on(&out, &dev);
            let want = a.r.map(|v| round_to(compute, v)).zip(&b.r.map(|v| round_to(compute, v)), |x, y| {
                round_to(out_dtype, round_to(result, op.reference(x, y, compute)))
            });
            assert_ref(&out, &want, op_tol(op, result), &format!("{op:?}_out on {dev}"));
            prop_assert_eq!(out.dtype(), out_dtype);
            if wrong_shape {
                prop_assert!(!out.shares_storage(&o.base), "an out of another shape is replaced");
                assert_same_values(&values(&o.base), &o.base_values, "the old out is untouched");
            } else {
                prop_assert!(out.shares_storage(&o.base), "a fitting out is written in place");
                prop_assert!(out.version() > v0);
                let base_want = base_after(&o.base_values, &out, &values(&out));
                assert_same_values(&values(&o.base), &base_want, "out's storage");
            }
        }
    }

    /// Sources that alias the destination (the same elements, a shifted or strided window, a
    /// transpose): the result is as if the source were read in full before any write.
    #[test]
    fn inplace_with_aliasing_source(
        n in 2usize..12,
        len_seed in any::<u64>(),
        op in prop::sample::select(vec![Op::Add, Op::Sub, Op::Mul, Op::Maximum]),
        square in any::<bool>(),
    ) {
        for dev in devices() {
            let mut rng = Mix::new(len_seed);
            if square {
                let base = Ref::random(&[n, n], DType::F64, Values::Small, &mut rng);
                let mut x = base.tensor_on(&dev, DType::F64);
                let xt = x.t().unwrap();
                op.inplace(&mut x, &xt).unwrap();
                let want = base.zip(&base.transpose(0, 1), |a, b| op.reference(a, b, DType::F64));
                assert_ref(&x, &want, EXACT, &format!("x op= x.t() on {dev}"));
                // x op= x[0] (a broadcast row of x itself)
                let mut y = base.tensor_on(&dev, DType::F64);
                let row = y.select(0, 0).unwrap();
                op.inplace(&mut y, &row).unwrap();
                let want = base.zip(&base.select(0, 0), |a, b| op.reference(a, b, DType::F64));
                assert_ref(&y, &want, EXACT, &format!("x op= x[0] on {dev}"));
            } else {
                let base = Ref::random(&[n], DType::F64, Values::Small, &mut rng);
                let t = base.tensor_on(&dev, DType::F64);
                let step_d = 1 + rng.below(2);
                let step_s = 1 + rng.below(2);
                let len = 1 + rng.below(n.div_ceil(step_d.max(step_s)));
                let sd = rng.below(n - (len - 1) * step_d);
                let ss = rng.below(n - (len - 1) * step_s);
                let mut dst = t.slice(0, Some(sd as isize), None, step_d).unwrap().narrow(0, 0, len).unwrap();
                let src = t.slice(0, Some(ss as isize), None, step_s).unwrap().narrow(0, 0, len).unwrap();
                let src_vals: Vec<f64> = (0..len).map(|i| base.data[ss + i * step_s]).collect();
                op.inplace(&mut dst, &src).unwrap();
                let mut want = base.data.clone();
                for (i, &s) in src_vals.iter().enumerate() {
                    want[sd + i * step_d] = op.reference(base.data[sd + i * step_d], s, DType::F64);
                }
                prop_assert_eq!(values(&t), want, "dst {}..{} step {}, src {}.. step {} on {}", sd, len, step_d, ss, step_s, dev);
                // The out form with out aliasing an input.
                let whole = base.tensor_on(&dev, DType::F64);
                let w2 = whole.shallow_clone();
                let flipped = w2.slice(0, Some(1), None, 1).unwrap();
                let mut head = whole.narrow(0, 0, n - 1).unwrap();
                op.out(&flipped, &w2.narrow(0, 0, n - 1).unwrap(), &mut head).unwrap();
                let want: Vec<f64> = (0..n)
                    .map(|i| if i < n - 1 { op.reference(base.data[i + 1], base.data[i], DType::F64) } else { base.data[i] })
                    .collect();
                prop_assert_eq!(values(&whole), want, "out aliasing an input on {}", dev);
            }
        }
    }
}

#[test]
fn narrow_add_changes_the_original() {
    on_each_device(|dev| {
        let x = Tensor::zeros([3, 4], DType::F32, dev).unwrap();
        x.narrow(1, 1, 2).unwrap().add_(1.0).unwrap();
        let mut col = x.i((.., 3)).unwrap();
        col.sub_(&Tensor::new([1f32, 2., 3.], dev).unwrap()).unwrap();
        x.t().unwrap().i(0).unwrap().fill_(9.0).unwrap();
        assert_eq!(x.to_vec2::<f32>().unwrap(), [[9., 1., 1., -1.], [9., 1., 1., -2.], [9., 1., 1., -3.]]);
        // Through a reshaped view, an unsqueezed one, a strided slice.
        let y = Tensor::zeros([6], DType::I64, dev).unwrap();
        y.view(&[2, 3]).unwrap().select(1, 2).unwrap().add_(5).unwrap();
        y.unsqueeze(0).unwrap().slice(1, Some(0), None, 2).unwrap().mul_(3).unwrap();
        y.slice(0, Some(1), None, 4).unwrap().add_(1).unwrap();
        assert_eq!(y.to_vec::<i64>().unwrap(), [0, 1, 15, 0, 0, 6]);
        // x.add_(x.shallow_clone()) doubles; x.mul_(&x) squares.
        let mut z = Tensor::new([1f32, 2., 3.], dev).unwrap();
        let zz = z.shallow_clone();
        z.add_(&zz).unwrap();
        assert_eq!(z.to_vec::<f32>().unwrap(), [2., 4., 6.]);
        let zz = z.shallow_clone();
        z.mul_(&zz).unwrap();
        assert_eq!(zz.to_vec::<f32>().unwrap(), [4., 16., 36.]);
        // In-place with promotion: a float tensor accepts an int rhs; an int tensor refuses a float.
        let mut f = Tensor::new([1.5f32], dev).unwrap();
        f.add_(&Tensor::new([2i64], dev).unwrap()).unwrap();
        assert_eq!((f.dtype(), f.item::<f32>().unwrap()), (DType::F32, 3.5));
        let mut i = Tensor::new([1i64], dev).unwrap();
        // torch.tensor([1]).add_(1.5): RuntimeError: result type Float can't be cast to the desired
        // output type Long
        let e = i.add_(1.5).unwrap_err();
        assert!(
            e.to_string().contains("result type torch.float32 can't be cast to the desired output type torch.int64"),
            "{e}"
        );
        assert!(i.div_(2).is_err());
        // f16 += f32 tensor computes in f32 and stores f16.
        let mut h = Tensor::ones([2], DType::F16, dev).unwrap();
        h.add_(&Tensor::new([0.5f32, 1e-4], dev).unwrap()).unwrap();
        assert_eq!((h.dtype(), values(&h)), (DType::F16, vec![1.5, 1.0]));
        // The rhs must broadcast to the destination's shape.
        let mut small = Tensor::zeros([3], DType::F32, dev).unwrap();
        let e = small.add_(&Tensor::ones([2, 3], DType::F32, dev).unwrap()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Shape);
        assert!(e.to_string().contains("[3]") && e.to_string().contains("[2, 3]"), "{e}");
    });
}

#[test]
fn writes_to_expanded_tensors_are_refused() {
    on_each_device(|dev| {
        // torch.zeros(3, 1).expand(3, 3).add_(1): RuntimeError: unsupported operation: more than one
        // element of the written-to tensor refers to a single memory location. Please clone() the
        // tensor before performing the operation.
        let base = Tensor::zeros([3, 1], DType::F32, dev).unwrap();
        let ex = || base.expand(&[3, 3]).unwrap();
        let ones = Tensor::ones([3, 3], DType::F32, dev).unwrap();
        let mask = Tensor::ones([3, 3], DType::Bool, dev).unwrap();
        let v = base.version();
        let results: Vec<(&str, Result<()>)> = vec![
            ("add_", ex().add_(1.0)),
            ("mul_", ex().mul_(&ones)),
            ("copy_", ex().copy_(&ones)),
            ("exp_", ex().exp_()),
            ("clamp_", ex().clamp_(Some(0.0), None)),
            ("masked_fill_", ex().masked_fill_(&mask, 1.0)),
            ("add_out", Tensor::add_out(&ones, &ones, &mut ex())),
            ("exp_out", Tensor::exp_out(&ones, &mut ex())),
            ("matmul_out", Tensor::matmul_out(&ones, &ones, &mut ex())),
            ("logical_and_", ex().logical_and_(&ones)),
        ];
        for (name, r) in results {
            let e = r.expect_err(name);
            assert!(e.to_string().contains("more than one element of the written-to tensor"), "{name}: {e}");
        }
        assert_eq!(base.version(), v, "refused writes do not bump the version");
        assert_eq!(base.to_vec::<f32>().unwrap(), [0.; 3]);
        // fill_ and zero_ are refused too, as in PyTorch (issue 19: they used to write through).
        assert!(ex().fill_(2.0).unwrap_err().to_string().contains("more than one element"));
        assert!(ex().zero_().is_err());
        // An expanded size-1 dim (stride 0, size 1) is fine.
        let mut one = base.expand(&[3, 1]).unwrap();
        one.add_(1.0).unwrap();
        one.fill_(2.0).unwrap();
        assert_eq!(base.to_vec::<f32>().unwrap(), [2.; 3]);
    });
}

#[test]
fn out_forms_by_hand() {
    on_each_device(|dev| {
        let a = Tensor::new([[1f32, 2.], [3., 4.]], dev).unwrap();
        let b = Tensor::new([10f32, 20.], dev).unwrap();
        let mut out = Tensor::zeros([2, 2], DType::F32, dev).unwrap();
        let id = out.storage_id();
        Tensor::add_out(&a, &b, &mut out).unwrap();
        assert_eq!((out.storage_id(), out.to_vec2::<f32>().unwrap()), (id, vec![vec![11., 22.], vec![13., 24.]]));
        // Scalars, a transposed out, another castable dtype.
        let backing = Tensor::zeros([2, 2], DType::F64, dev).unwrap();
        let mut tout = backing.t().unwrap();
        Tensor::mul_out(&a, 2, &mut tout).unwrap();
        assert_eq!(backing.to_vec2::<f64>().unwrap(), [[2., 6.], [4., 8.]]);
        // torch.add(a, b, out=torch.zeros(2, 2, dtype=torch.long)): RuntimeError: result type Float
        // can't be cast to the desired output type Long
        let mut iout = Tensor::zeros([2, 2], DType::I64, dev).unwrap();
        let e = Tensor::add_out(&a, &b, &mut iout).unwrap_err();
        assert!(e.to_string().contains("can't be cast to the desired output type"), "{e}");
        // Int inputs into a float out: fine. Out of the wrong shape: replaced, as PyTorch resizes it.
        let i = Tensor::new([1i64, 2], dev).unwrap();
        let mut fout = Tensor::zeros([2], DType::F32, dev).unwrap();
        Tensor::sub_out(&i, 5, &mut fout).unwrap();
        assert_eq!(fout.to_vec::<f32>().unwrap(), [-4., -3.]);
        let mut wrong = Tensor::zeros([7], DType::F32, dev).unwrap();
        let old = wrong.shallow_clone();
        Tensor::add_out(&a, &b, &mut wrong).unwrap();
        assert_eq!(wrong.size(), &[2, 2]);
        assert!(!wrong.shares_storage(&old));
        // out is an input: out = out + b, out = a * out.
        let mut x = a.clone();
        let x2 = x.shallow_clone();
        Tensor::add_out(&x2, &b, &mut x).unwrap();
        assert_eq!(x.to_vec2::<f32>().unwrap(), [[11., 22.], [13., 24.]]);
        let x3 = x.shallow_clone();
        Tensor::mul_out(&a, &x3, &mut x).unwrap();
        assert_eq!(x.to_vec2::<f32>().unwrap(), [[11., 44.], [39., 96.]]);
        // Unary out forms: into a view.
        let backing = Tensor::zeros([2, 3], DType::F32, dev).unwrap();
        let mut col = backing.narrow(1, 1, 2).unwrap();
        Tensor::neg_out(&a, &mut col).unwrap();
        assert_eq!(backing.to_vec2::<f32>().unwrap(), [[0., -1., -2.], [0., -3., -4.]]);
        Tensor::sqrt_out(&a.i(1).unwrap(), &mut backing.i((0, 1..)).unwrap()).unwrap();
        assert_eq!(backing.to_vec2::<f32>().unwrap()[0], [0., 3f32.sqrt(), 2.]);
    });
}

/// CPU only: it also writes through `with_mut_slice` and reads `as_slice` (host memory).
#[test]
fn version_counter() {
    let mut x = Tensor::zeros([4], DType::F32, &CPU).unwrap();
    assert_eq!(x.version(), 0);
    let view = x.narrow(0, 1, 2).unwrap();
    let other = Tensor::zeros([4], DType::F32, &CPU).unwrap();
    // Each in-place write bumps by at least one, through any view; reads never do.
    let mut last = x.version();
    let mut bumped = |x: &Tensor, what: &str| {
        assert!(x.version() > last, "{what} must bump the version");
        last = x.version();
    };
    x.add_(1.0).unwrap();
    bumped(&x, "add_");
    view.shallow_clone().mul_(2.0).unwrap();
    bumped(&x, "mul_ through a view");
    x.copy_(&other).unwrap();
    bumped(&x, "copy_");
    x.fill_(3.0).unwrap();
    bumped(&x, "fill_");
    x.zero_().unwrap();
    bumped(&x, "zero_");
    x.exp_().unwrap();
    bumped(&x, "exp_");
    x.clamp_(None, Some(0.5)).unwrap();
    bumped(&x, "clamp_");
    Tensor::add_out(&other, &other, &mut x).unwrap();
    bumped(&x, "add_out");
    Tensor::exp_out(&other, &mut x).unwrap();
    bumped(&x, "exp_out");
    x.masked_fill_(&Tensor::ones([4], DType::Bool, &CPU).unwrap(), 1.0).unwrap();
    bumped(&x, "masked_fill_");
    x.with_mut_slice::<f32, _>(|s| s[0] = 2.0).unwrap();
    bumped(&x, "with_mut_slice");
    let mut m = x.view(&[2, 2]).unwrap();
    let mm = Tensor::ones([2, 2], DType::F32, &CPU).unwrap();
    Tensor::matmul_out(&mm, &mm, &mut m).unwrap();
    bumped(&x, "matmul_out");
    // add_, mul_, copy_ and fill_ are one write each, as in PyTorch.
    for (what, f) in [
        ("add_", Box::new(|x: &mut Tensor| x.add_(1.0)) as Box<dyn Fn(&mut Tensor) -> Result<()>>),
        ("mul_", Box::new(|x: &mut Tensor| x.mul_(&Tensor::ones([4], DType::F32, &CPU).unwrap()))),
        ("copy_", Box::new(|x: &mut Tensor| x.copy_(&Tensor::ones([1], DType::F64, &CPU).unwrap()))),
        ("fill_", Box::new(|x: &mut Tensor| x.fill_(0))),
    ] {
        let v = x.version();
        f(&mut x).unwrap();
        assert_eq!(x.version(), v + 1, "{what}");
    }
    // Reads, views and out-of-place ops leave it alone; other storages are unaffected.
    let v = x.version();
    let _ = x.sum().unwrap();
    let _ = x.add(1.0).unwrap();
    let _ = x.t().unwrap().contiguous().unwrap();
    let _ = x.to_vec::<f32>().unwrap();
    let _ = x.as_slice::<f32>().unwrap().len();
    assert_eq!(x.version(), v);
    assert_eq!(view.version(), v);
    assert_eq!(other.version(), 0);
    // A deep clone has its own counter.
    let mut c = x.clone();
    c.add_(1.0).unwrap();
    assert_eq!(x.version(), v);
}
