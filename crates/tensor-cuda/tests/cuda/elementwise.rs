//! Unary ops, tests, binary ops, comparisons and `where` on the GPU against the CPU, over every
//! dtype that takes them and the layouts of `common::views` (plus broadcasting operands).

use crate::common;

use common::{assert_close, assert_close_tol, cuda_or_skip, sample, views, ALL, FLOATS, INTS};
use tensor_core::backend::{BinaryOp, CmpOp, UnaryOp};
use tensor_core::{DType, Tensor};

const FLOAT_OPS: [UnaryOp; 31] = [
    UnaryOp::Neg,
    UnaryOp::Abs,
    UnaryOp::Sign,
    UnaryOp::Exp,
    UnaryOp::Exp2,
    UnaryOp::Log,
    UnaryOp::Log2,
    UnaryOp::Log1p,
    UnaryOp::Expm1,
    UnaryOp::Sqrt,
    UnaryOp::Rsqrt,
    UnaryOp::Sin,
    UnaryOp::Cos,
    UnaryOp::Tan,
    UnaryOp::Tanh,
    UnaryOp::Sigmoid,
    UnaryOp::Relu,
    UnaryOp::Gelu,
    UnaryOp::GeluTanh,
    UnaryOp::Silu,
    UnaryOp::Softplus { beta: 2.0, threshold: 10.0 },
    UnaryOp::Floor,
    UnaryOp::Ceil,
    UnaryOp::Round,
    UnaryOp::Trunc,
    UnaryOp::Reciprocal,
    UnaryOp::Square,
    UnaryOp::Erf,
    UnaryOp::Clamp { min: Some(-1.5), max: Some(2.25) },
    UnaryOp::NanToNum { nan: 0.5, posinf: 100.0, neginf: -100.0 },
    UnaryOp::LeakyRelu { slope: 0.01 },
];

const INT_OPS: [UnaryOp; 11] = [
    UnaryOp::Neg,
    UnaryOp::Abs,
    UnaryOp::Sign,
    UnaryOp::Relu,
    UnaryOp::Square,
    UnaryOp::Floor,
    UnaryOp::Round,
    UnaryOp::NanToNum { nan: 0.0, posinf: 1.0, neginf: -1.0 },
    UnaryOp::Clamp { min: Some(-5.5), max: Some(7.2) },
    UnaryOp::Clamp { min: Some(-1.0), max: None },
    UnaryOp::Clamp { min: None, max: Some(1e30) },
];

#[test]
fn unary_ops_on_every_layout() {
    let Some(gpu) = cuda_or_skip() else { return };
    for (i, dtype) in FLOATS.into_iter().chain(INTS).enumerate() {
        let x = sample(dtype, true, 10 + i as u64);
        let xg = x.to_device(&gpu).unwrap();
        let ops: &[UnaryOp] = if dtype.is_float() { &FLOAT_OPS } else { &INT_OPS };
        for ((name, v), (_, vg)) in views(&x).into_iter().zip(views(&xg)) {
            for &op in ops {
                let what = format!("{op:?} {dtype} {name}");
                assert_close(&what, &v.unary(op).unwrap(), &vg.unary(op).unwrap());
            }
        }
        // Integer inputs to float ops are promoted by tensor-core (then computed as floats).
        if !dtype.is_float() {
            assert_close(&format!("exp of {dtype}"), &x.exp().unwrap(), &xg.exp().unwrap());
        }
    }
}

#[test]
fn unary_in_place_through_views() {
    let Some(gpu) = cuda_or_skip() else { return };
    for (i, dtype) in FLOATS.into_iter().chain(INTS).enumerate() {
        let ops: &[UnaryOp] = if dtype.is_float() { &FLOAT_OPS } else { &INT_OPS };
        for &op in ops {
            let want = sample(dtype, true, 20 + i as u64);
            let got = want.to_device(&gpu).unwrap();
            // A transposed, stepped view: only its elements change.
            want.t().unwrap().slice(0, Some(1), None, 2).unwrap().unary_(op).unwrap();
            got.t().unwrap().slice(0, Some(1), None, 2).unwrap().unary_(op).unwrap();
            assert_close(&format!("{op:?}_ {dtype}"), &want, &got);
        }
    }
}

#[test]
fn bool_unary_is_refused_like_on_the_cpu() {
    let Some(gpu) = cuda_or_skip() else { return };
    let b = sample(DType::Bool, false, 1).to_device(&gpu).unwrap();
    assert!(b.unary(UnaryOp::Neg).is_err());
}

#[test]
fn tests_isnan_isinf_isfinite_logical_not() {
    let Some(gpu) = cuda_or_skip() else { return };
    for (i, dtype) in ALL.into_iter().enumerate() {
        let x = sample(dtype, true, 30 + i as u64);
        let xg = x.to_device(&gpu).unwrap();
        for ((name, v), (_, vg)) in views(&x).into_iter().zip(views(&xg)) {
            let what = |t: &str| format!("{t} {dtype} {name}");
            assert_close(&what("isnan"), &v.isnan().unwrap(), &vg.isnan().unwrap());
            assert_close(&what("isinf"), &v.isinf().unwrap(), &vg.isinf().unwrap());
            assert_close(&what("isfinite"), &v.isfinite().unwrap(), &vg.isfinite().unwrap());
            assert_close(&what("logical_not"), &v.logical_not().unwrap(), &vg.logical_not().unwrap());
        }
    }
}

const BINARY_OPS: [BinaryOp; 13] = [
    BinaryOp::Add,
    BinaryOp::Sub,
    BinaryOp::Mul,
    BinaryOp::Div,
    BinaryOp::FloorDiv,
    BinaryOp::Pow,
    BinaryOp::Maximum,
    BinaryOp::Minimum,
    BinaryOp::Remainder,
    BinaryOp::Atan2,
    BinaryOp::LogicalAnd,
    BinaryOp::LogicalOr,
    BinaryOp::LogicalXor,
];

/// Whether the CPU takes `op` on `dtype` operands (the GPU must agree where it does).
fn takes(dtype: DType, op: BinaryOp) -> bool {
    let logical = matches!(op, BinaryOp::LogicalAnd | BinaryOp::LogicalOr | BinaryOp::LogicalXor);
    match dtype {
        DType::Bool => logical || matches!(op, BinaryOp::Add | BinaryOp::Mul | BinaryOp::Maximum | BinaryOp::Minimum),
        _ => !logical,
    }
}

/// Integer divisors without zeros (tensor-core refuses integer division by zero).
fn nonzero(t: &Tensor) -> Tensor {
    if t.is_floating_point() || t.dtype() == DType::Bool {
        return t.shallow_clone();
    }
    let ones = t.ones_like(None).unwrap();
    t.eq(0).unwrap().to_dtype(t.dtype()).unwrap().mul(&ones).unwrap().add(t).unwrap()
}

#[test]
fn binary_ops_same_shape_broadcast_and_scalar() {
    let Some(gpu) = cuda_or_skip() else { return };
    for (i, dtype) in ALL.into_iter().enumerate() {
        let a = sample(dtype, dtype.is_float(), 40 + i as u64);
        let b = nonzero(&sample(dtype, false, 50 + i as u64));
        let (ag, bg) = (a.to_device(&gpu).unwrap(), b.to_device(&gpu).unwrap());
        for op in BINARY_OPS {
            if !takes(dtype, op) {
                continue;
            }
            // Small integer exponents keep integer pow meaningful.
            let (b, bg) = if op == BinaryOp::Pow && !dtype.is_float() && dtype != DType::Bool {
                let e = b.remainder(5).unwrap();
                (e.shallow_clone(), e.to_device(&gpu).unwrap())
            } else {
                (b.shallow_clone(), bg.shallow_clone())
            };
            let pairs = views(&a).into_iter().zip(views(&b)).zip(views(&ag).into_iter().zip(views(&bg)));
            for (((name, x), (_, y)), ((_, xg), (_, yg))) in pairs {
                let what = format!("{op:?} {dtype} {name}");
                match (x.binary("op", &y, op), xg.binary("op", &yg, op)) {
                    (Ok(w), Ok(g)) => assert_close(&what, &w, &g),
                    (Err(_), Err(_)) => {}
                    (w, g) => panic!("{what}: cpu {:?} vs cuda {:?}", w.err(), g.err()),
                }
            }
            // Broadcasting: a row, a column, a 0-d tensor.
            let rhs =
                [b.narrow(0, 1, 1).unwrap(), b.narrow(1, 2, 1).unwrap(), b.select(0, 0).unwrap().select(0, 1).unwrap()];
            for (k, r) in rhs.iter().enumerate() {
                let rg = r.to_device(&gpu).unwrap();
                let what = format!("{op:?} {dtype} broadcast #{k}");
                match (a.binary("op", r, op), ag.binary("op", &rg, op)) {
                    (Ok(w), Ok(g)) => assert_close(&what, &w, &g),
                    (Err(_), Err(_)) => {}
                    (w, g) => panic!("{what}: cpu {:?} vs cuda {:?}", w.err(), g.err()),
                }
            }
        }
        if dtype.is_float() {
            assert_close(&format!("add scalar {dtype}"), &a.add(2.5).unwrap(), &ag.add(2.5).unwrap());
            assert_close(&format!("pow scalar {dtype}"), &a.pow(2.0).unwrap(), &ag.pow(2.0).unwrap());
        }
    }
}

#[test]
fn binary_in_place_and_out() {
    let Some(gpu) = cuda_or_skip() else { return };
    for (i, dtype) in
        [DType::F32, DType::F64, DType::F16, DType::BF16, DType::I32, DType::I64, DType::U8].into_iter().enumerate()
    {
        let b = nonzero(&sample(dtype, false, 60 + i as u64));
        let bg = b.to_device(&gpu).unwrap();
        for op in [BinaryOp::Add, BinaryOp::Mul, BinaryOp::Sub, BinaryOp::Maximum, BinaryOp::Remainder] {
            // In place through a transposed view, with a broadcast row.
            let mut want = sample(dtype, false, 70 + i as u64);
            let mut got = want.to_device(&gpu).unwrap();
            let row = b.narrow(0, 0, 1).unwrap();
            want.binary_("op", &row, op).unwrap();
            got.binary_("op", &row.to_device(&gpu).unwrap(), op).unwrap();
            want.t().unwrap().binary_("op", &b.t().unwrap(), op).unwrap();
            got.t().unwrap().binary_("op", &bg.t().unwrap(), op).unwrap();
            assert_close(&format!("{op:?}_ {dtype}"), &want, &got);
            // A number in place through a transposed view (the scalar kernels).
            want.t().unwrap().binary_("op", 3, op).unwrap();
            got.t().unwrap().binary_("op", 3, op).unwrap();
            assert_close(&format!("{op:?}_ scalar {dtype}"), &want, &got);
            // Into a transposed `out` of the right shape (binary_into with a strided dst).
            let a = sample(dtype, false, 80 + i as u64);
            let ag = a.to_device(&gpu).unwrap();
            let mut out_w = Tensor::zeros([8, 6], dtype, &common::cpu()).unwrap().t().unwrap();
            let mut out_g = Tensor::zeros([8, 6], dtype, &gpu).unwrap().t().unwrap();
            Tensor::binary_out("op", &a, &b, op, &mut out_w).unwrap();
            Tensor::binary_out("op", &ag, &bg, op, &mut out_g).unwrap();
            assert_close(&format!("{op:?}_out {dtype}"), &out_w, &out_g);
        }
    }
}

#[test]
fn comparisons_and_where() {
    let Some(gpu) = cuda_or_skip() else { return };
    let ops = [CmpOp::Eq, CmpOp::Ne, CmpOp::Lt, CmpOp::Le, CmpOp::Gt, CmpOp::Ge];
    for (i, dtype) in ALL.into_iter().enumerate() {
        let a = sample(dtype, dtype.is_float(), 90 + i as u64);
        // Half the elements equal to `a`, to exercise equality.
        let b = sample(dtype, false, 95 + i as u64);
        let mask = sample(DType::Bool, false, 99 + i as u64);
        let b = a.where_(&mask, &b).unwrap();
        let (ag, bg, mg) = (a.to_device(&gpu).unwrap(), b.to_device(&gpu).unwrap(), mask.to_device(&gpu).unwrap());
        let pairs = views(&a).into_iter().zip(views(&b)).zip(views(&ag).into_iter().zip(views(&bg)));
        for (((name, x), (_, y)), ((_, xg), (_, yg))) in pairs {
            for op in ops {
                let what = format!("{op:?} {dtype} {name}");
                assert_close(&what, &x.compare("cmp", &y, op).unwrap(), &xg.compare("cmp", &yg, op).unwrap());
            }
        }
        let row = b.narrow(0, 3, 1).unwrap();
        assert_close(&format!("lt row {dtype}"), &a.lt(&row).unwrap(), &ag.lt(&row.to_device(&gpu).unwrap()).unwrap());
        // where: strided condition, broadcast operands.
        let cond = mask.t().unwrap();
        let cond_g = mg.t().unwrap();
        let (x, xg) = (a.t().unwrap(), ag.t().unwrap());
        let (y, yg) = (b.narrow(1, 0, 1).unwrap().t().unwrap(), bg.narrow(1, 0, 1).unwrap().t().unwrap());
        assert_close_tol(
            &format!("where {dtype}"),
            &x.where_(&cond, &y).unwrap(),
            &xg.where_(&cond_g, &yg).unwrap(),
            0.0,
            0.0,
        );
        let s = mask.select(0, 1).unwrap().narrow(0, 0, 6).unwrap().unsqueeze(1).unwrap();
        let sg = s.to_device(&gpu).unwrap();
        assert_close_tol(
            &format!("where col {dtype}"),
            &a.where_(&s, &b).unwrap(),
            &ag.where_(&sg, &bg).unwrap(),
            0.0,
            0.0,
        );
    }
}
