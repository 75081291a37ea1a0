//! int8, int16, uint16, uint32 and uint64: storage, casts, arithmetic computed through int64
//! (checked against Rust's own wrapping arithmetic of each type, on random values across the
//! whole range and on transposed layouts), promotion, reductions and printing as PyTorch's,
//! and uint64's refusal of arithmetic.
//!
//! Copies, views, indexing, sorting and casts of these dtypes are also covered by the
//! property tests of `creation`, `views`, `index_ops` and `shape_ops`, which walk every dtype.
//!
//! A GPU holds none of these dtypes (`tensor-cuda/src/storage.rs`, `bytes_of`: they stay on the
//! host, and the way to a GPU is `to_dtype` first), so these tests run on the CPU; the last one
//! runs on every device and checks that refusal and the way around it.

use crate::common::on_each_device;
use proptest::prelude::*;
use tensor_core::{DType, Device, ErrorKind, Tensor};

const CPU: &Device = &Device::Cpu;

/// A `[2, n]` tensor of `v` (2n values), transposed to `[n, 2]` when `t` (a strided layout).
fn laid_out<T: tensor_core::Element>(v: Vec<T>, t: bool) -> Tensor {
    let n = v.len() / 2;
    let x = Tensor::from_vec(v, [2, n]).unwrap();
    if t {
        x.t().unwrap()
    } else {
        x
    }
}

/// The elements of `t` in row-major order of its (possibly transposed) layout.
fn row_major<T: tensor_core::Element>(t: &Tensor) -> Vec<T> {
    t.contiguous().unwrap().to_vec::<T>().unwrap()
}

/// Checks each binary op of one narrow type against the type's wrapping arithmetic.
macro_rules! check_binary {
    ($T:ty, $a:expr, $b:expr, $t:expr) => {{
        let (a, b): (Vec<$T>, Vec<$T>) = ($a.iter().map(|&x| x as $T).collect(), $b.iter().map(|&x| x as $T).collect());
        let (x, y) = (laid_out(a, $t), laid_out(b, $t));
        let (xa, yb) = (row_major::<$T>(&x), row_major::<$T>(&y));
        let want = |f: &dyn Fn($T, $T) -> $T| xa.iter().zip(&yb).map(|(&p, &q)| f(p, q)).collect::<Vec<$T>>();
        let got = |r: tensor_core::Result<Tensor>| {
            let r = r.unwrap();
            assert_eq!(r.dtype(), <$T as tensor_core::Element>::DTYPE);
            r.to_vec::<$T>().unwrap()
        };
        prop_assert_eq!(got(x.add(&y)), want(&|p, q| p.wrapping_add(q)));
        prop_assert_eq!(got(x.sub(&y)), want(&|p, q| p.wrapping_sub(q)));
        prop_assert_eq!(got(x.mul(&y)), want(&|p, q| p.wrapping_mul(q)));
        prop_assert_eq!(got(x.maximum(&y)), want(&|p, q| p.max(q)));
        prop_assert_eq!(got(x.minimum(&y)), want(&|p, q| p.min(q)));
        // Python's floor division and remainder (the sign of the divisor), wrapping at MIN / -1.
        if yb.iter().all(|&q| q != 0) {
            let floor = |p: $T, q: $T| {
                let d = p.wrapping_div(q);
                if p.wrapping_rem(q) != 0 && ((p < (0 as $T)) != (q < (0 as $T))) {
                    d.wrapping_sub(1)
                } else {
                    d
                }
            };
            prop_assert_eq!(got(x.floor_divide(&y)), want(&floor));
            let rem = |p: $T, q: $T| {
                let r = p.wrapping_rem(q);
                if r != 0 && ((r < (0 as $T)) != (q < (0 as $T))) {
                    r.wrapping_add(q)
                } else {
                    r
                }
            };
            prop_assert_eq!(got(x.remainder(&y)), want(&rem));
        }
        let lt: Vec<bool> = xa.iter().zip(&yb).map(|(p, q)| p < q).collect();
        prop_assert_eq!(x.lt(&y).unwrap().to_vec::<bool>().unwrap(), lt);
        let mut z = x.contiguous().unwrap();
        z.add_(&y).unwrap();
        prop_assert_eq!(z.to_vec::<$T>().unwrap(), want(&|p, q| p.wrapping_add(q)));
    }};
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, rng_seed: proptest::test_runner::RngSeed::Fixed(0x1d7), ..ProptestConfig::default() })]

    /// Arithmetic on the narrow integers equals the type's own wrapping arithmetic, over their
    /// whole range (the truncation of random 64-bit values), contiguous or transposed.
    #[test]
    fn narrow_integer_arithmetic_wraps_as_the_type(
        (a, b) in (1usize..6).prop_flat_map(|n| (prop::collection::vec(any::<i64>(), 2 * n), prop::collection::vec(any::<i64>(), 2 * n))),
        transposed in any::<bool>(),
    ) {
        check_binary!(i8, a, b, transposed);
        check_binary!(i16, a, b, transposed);
        check_binary!(u16, a, b, transposed);
        check_binary!(u32, a, b, transposed);
    }

    /// Casts between the narrow integers and int64 / float64 are C++'s static_cast (wrap, or
    /// exact), the identity on a round trip through a wider type.
    #[test]
    fn narrow_integer_casts(v in prop::collection::vec(any::<i64>(), 1..12)) {
        let x = Tensor::from_vec(v.clone(), [v.len()]).unwrap();
        let i8s = x.to_dtype(DType::I8).unwrap();
        prop_assert_eq!(i8s.to_vec::<i8>().unwrap(), v.iter().map(|&x| x as i8).collect::<Vec<_>>());
        let u32s = x.to_dtype(DType::U32).unwrap();
        prop_assert_eq!(u32s.to_vec::<u32>().unwrap(), v.iter().map(|&x| x as u32).collect::<Vec<_>>());
        let u64s = x.to_dtype(DType::U64).unwrap();
        prop_assert_eq!(u64s.to_vec::<u64>().unwrap(), v.iter().map(|&x| x as u64).collect::<Vec<_>>());
        prop_assert_eq!(u64s.to_dtype(DType::I64).unwrap().to_vec::<i64>().unwrap(), v.clone());
        let f = u64s.to_dtype(DType::F64).unwrap().to_vec::<f64>().unwrap();
        prop_assert_eq!(f, v.iter().map(|&x| x as u64 as f64).collect::<Vec<_>>());
        prop_assert_eq!(i8s.to_dtype(DType::I16).unwrap().to_vec::<i16>().unwrap(), v.iter().map(|&x| x as i8 as i16).collect::<Vec<_>>());
    }
}

#[test]
fn int8_ops_as_pytorch() {
    // a = torch.tensor([100, -100, 127, -128], dtype=torch.int8)
    // b = torch.tensor([100, 3, -1, -1], dtype=torch.int8)
    let a = Tensor::new([100i8, -100, 127, -128], CPU).unwrap();
    let b = Tensor::new([100i8, 3, -1, -1], CPU).unwrap();
    let v = |t: Tensor| t.to_vec::<i8>().unwrap();
    // a + b, a * b, a // b, a % b, -a, a.abs()
    assert_eq!(v(a.add(&b).unwrap()), [-56, -97, 126, 127]);
    assert_eq!(v(a.mul(&b).unwrap()), [16, -44, -127, -128]);
    assert_eq!(v(a.floor_divide(&b).unwrap()), [1, -34, -127, -128]);
    assert_eq!(v(a.remainder(&b).unwrap()), [0, 2, 0, 0]);
    assert_eq!(v(a.neg().unwrap()), [-100, 100, -127, -128]);
    assert_eq!(v(a.abs().unwrap()), [100, 100, 127, -128]);
    // a * 2 stays int8: tensor([-56, 56, -2, 0], dtype=torch.int8)
    assert_eq!(v(a.mul(2).unwrap()), [-56, 56, -2, 0]);
    // a + 1.5 is float32: tensor([101.5, -98.5, 128.5, -126.5])
    let f = a.add(1.5).unwrap();
    assert_eq!((f.dtype(), f.to_vec::<f32>().unwrap()), (DType::F32, vec![101.5, -98.5, 128.5, -126.5]));
    // a.sum() == tensor(-1) (int64), a.max() == tensor(127, dtype=torch.int8), a.argmax(None, false) == 2,
    // a.min() == -128, a.cumsum(0) == tensor([100, 0, 127, -1]) (int64)
    let s = a.sum().unwrap();
    assert_eq!((s.dtype(), s.item::<i64>().unwrap()), (DType::I64, -1));
    let m = a.max().unwrap();
    assert_eq!((m.dtype(), m.item::<i8>().unwrap()), (DType::I8, 127));
    assert_eq!(a.min().unwrap().item::<i8>().unwrap(), -128);
    assert_eq!(a.argmax(None, false).unwrap().item::<i64>().unwrap(), 2);
    let c = a.cumsum(0).unwrap();
    assert_eq!(c.to_vec::<i64>().unwrap(), [100, 0, 127, -1]);
    // a.sort().values == tensor([-128, -100, 100, 127], dtype=torch.int8)
    assert_eq!(v(a.sort(0, false).unwrap().0), [-128, -100, 100, 127]);
}

#[test]
fn promotion_as_pytorch() {
    // torch.tensor([300, -300], dtype=torch.int16) + torch.tensor([1, 2], dtype=torch.uint8)
    //   == tensor([301, -298], dtype=torch.int16)
    let s = Tensor::new([300i16, -300], CPU).unwrap();
    let r = s.add(&Tensor::new([1u8, 2], CPU).unwrap()).unwrap();
    assert_eq!((r.dtype(), r.to_vec::<i16>().unwrap()), (DType::I16, vec![301, -298]));
    // torch.tensor([1, 2], dtype=torch.int16) + torch.tensor([1, 2], dtype=torch.int8) is int16
    let r = Tensor::new([1i16, 2], CPU).unwrap().add(&Tensor::new([1i8, 2], CPU).unwrap()).unwrap();
    assert_eq!(r.dtype(), DType::I16);
    // torch.promote_types(torch.uint8, torch.int8) == torch.int16
    let r = Tensor::new([200u8], CPU).unwrap().add(&Tensor::new([-1i8], CPU).unwrap()).unwrap();
    assert_eq!((r.dtype(), r.to_vec::<i16>().unwrap()), (DType::I16, vec![199]));
    // uint32 * 2 stays uint32: tensor([2, 4], dtype=torch.uint32)
    let r = Tensor::new([1u32, 2], CPU).unwrap().mul(2).unwrap();
    assert_eq!((r.dtype(), r.to_vec::<u32>().unwrap()), (DType::U32, vec![2, 4]));
    // PyTorch refuses uint32 with int32; here it is NumPy's int64.
    let r = Tensor::new([4000000000u32], CPU).unwrap().add(&Tensor::new([-1i32], CPU).unwrap()).unwrap();
    assert_eq!((r.dtype(), r.to_vec::<i64>().unwrap()), (DType::I64, vec![3999999999]));
}

#[test]
fn uint64_stores_compares_and_casts_but_refuses_arithmetic() {
    // u = torch.tensor([1, 2**64 - 1, 0, 2**63], dtype=torch.uint64)
    let u = Tensor::new([1u64, u64::MAX, 0, 1 << 63], CPU).unwrap();
    // u.to(torch.int64) == tensor([1, -1, 0, -9223372036854775808])
    assert_eq!(u.to_dtype(DType::I64).unwrap().to_vec::<i64>().unwrap(), [1, -1, 0, i64::MIN]);
    // u.to(torch.float64) == [1, 1.8447e19, 0, 9.2234e18]
    assert_eq!(
        u.to_dtype(DType::F64).unwrap().to_vec::<f64>().unwrap(),
        [1.0, 18446744073709551615.0, 0.0, 9223372036854775808.0]
    );
    // u == 0, u.sort(): values [0, 1, 2**63, 2**64 - 1], indices [2, 0, 3, 1]
    let zero = Tensor::zeros([4], DType::U64, CPU).unwrap();
    assert_eq!(u.eq(&zero).unwrap().to_vec::<bool>().unwrap(), [false, false, true, false]);
    let (values, indices) = u.sort(0, false).unwrap();
    assert_eq!(values.to_vec::<u64>().unwrap(), [0, 1, 1 << 63, u64::MAX]);
    assert_eq!(indices.to_vec::<i64>().unwrap(), [2, 0, 3, 1]);
    // Indexing and joining keep every bit.
    let idx = Tensor::new([1i64, 3], CPU).unwrap();
    assert_eq!(u.index_select(0, &idx).unwrap().to_vec::<u64>().unwrap(), [u64::MAX, 1 << 63]);
    let joined = Tensor::cat(&[&u, &u], 0).unwrap();
    assert_eq!(joined.to_vec::<u64>().unwrap()[5], u64::MAX);
    // Arithmetic would go through int64, which does not hold it: an error that says what to do.
    let e = u.add(&u).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::DType);
    assert!(e.to_string().contains("torch.uint64") && e.to_string().contains("to_dtype"), "{e}");
    assert!(u.neg().is_err());
}

#[test]
fn printing_as_pytorch() {
    // print(torch.tensor([1, 65535, 0, 40000], dtype=torch.uint16))
    let u = Tensor::new([1u16, 65535, 0, 40000], CPU).unwrap();
    assert_eq!(u.to_string(), "tensor([    1, 65535,     0, 40000], dtype=torch.uint16)");
    // print(torch.tensor([100, -100, 127, -128], dtype=torch.int8))
    let a = Tensor::new([100i8, -100, 127, -128], CPU).unwrap();
    assert_eq!(a.to_string(), "tensor([ 100, -100,  127, -128], dtype=torch.int8)");
    // print(torch.tensor([1, 2**64 - 1, 0, 2**63], dtype=torch.uint64))
    let u = Tensor::new([1u64, u64::MAX, 0, 1 << 63], CPU).unwrap();
    assert_eq!(
        u.to_string(),
        "tensor([                   1, 18446744073709551615,                    0,\n         9223372036854775808], dtype=torch.uint64)"
    );
}

/// On every device: a tensor of a narrow integer dtype is made on the CPU and refused by a GPU
/// (with a message that says what to do), and reaches the GPU through a wider dtype it holds,
/// every value kept.
#[test]
fn narrow_integers_reach_a_device_through_a_held_dtype() {
    on_each_device(|dev| {
        let x = Tensor::new([100i8, -100, 127, -128], CPU).unwrap();
        for dtype in [DType::I8, DType::I16, DType::U16, DType::U32, DType::U64] {
            let narrow = x.to_dtype(dtype).unwrap();
            let wide = if dtype == DType::U64 { DType::F64 } else { DType::I64 };
            if dev.is_cpu() {
                assert_eq!(narrow.to_device(dev).unwrap().dtype(), dtype);
                assert_eq!(Tensor::zeros([2], dtype, dev).unwrap().dtype(), dtype);
            } else {
                for e in [narrow.to_device(dev).unwrap_err(), Tensor::zeros([2], dtype, dev).unwrap_err()] {
                    assert_eq!(e.kind(), ErrorKind::DType, "{dtype} on {dev}: {e}");
                    assert!(e.to_string().contains("stay on the CPU") && e.to_string().contains("to_dtype"), "{e}");
                }
            }
            let there = narrow.to_dtype(wide).unwrap().to_device(dev).unwrap();
            assert_eq!(there.device(), dev);
            let want = narrow.to_dtype(DType::F64).unwrap().to_vec::<f64>().unwrap();
            assert_eq!(there.to_vec::<f64>().unwrap(), want, "{dtype} through {wide} on {dev}");
            // Back on the host, the narrow dtype again.
            let back = there.to_device(CPU).unwrap().to_dtype(dtype).unwrap();
            assert_eq!(back.to_vec::<f64>().unwrap(), want, "{dtype} back from {dev}");
        }
    });
}
