//! Dtype conversions for every pair of dtypes (PyTorch literals), reading values out
//! (`item`, `to_vec2/3`, zero-copy `as_slice`), and the creation functions (`zeros` ... `randint`,
//! `*_like`, `new_*`, seeds). Every test runs on every device (the CPU, and the GPU when one is
//! usable; dtypes a GPU does not hold are skipped there), but the one about CPU memory.

// PyTorch's float32 values are quoted as Python prints them (as doubles).
#![allow(clippy::excessive_precision)]

use crate::common;

use common::*;
use half::{bf16, f16};
use proptest::prelude::*;
use tensor_core::random::Generator;
use tensor_core::{manual_seed, DType, Device, ErrorKind, Tensor};

fn dtype_named(s: &str) -> DType {
    *ALL_DTYPES.iter().find(|d| format!("{d:?}") == s).unwrap_or_else(|| panic!("dtype {s}"))
}

fn parse(v: &str) -> f64 {
    match v {
        "NAN" => f64::NAN,
        "INF" => f64::INFINITY,
        "-INF" => f64::NEG_INFINITY,
        _ => v.parse().unwrap(),
    }
}

/// The values of the cast table, as f64 literals.
const CAST_VALUES: [f64; 13] = [0.0, 1.0, -1.0, 2.5, -2.5, 100.0, 255.0, 0.5, -0.75, 300.0, 65504.0, -7.25, 1000.7];

/// `torch.tensor(CAST_VALUES, dtype=torch.float64).to(src).to(dst).double().tolist()` for every
/// (src, dst), from:
/// ```python
/// D = {'Bool': torch.bool, 'U8': torch.uint8, 'I32': torch.int32, 'I64': torch.int64,
///      'F16': torch.float16, 'BF16': torch.bfloat16, 'F32': torch.float32, 'F64': torch.float64}
/// x = torch.tensor(V, dtype=torch.float64)
/// for sk, s in D.items():
///     for dk, d in D.items():
///         print(sk, dk, *x.to(s).to(d).to(torch.float64).tolist())
/// ```
/// (torch 2.15.0, CPU)
const CAST_TABLE: &str = "
Bool Bool 0.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0
Bool U8 0.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0
Bool I32 0.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0
Bool I64 0.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0
Bool F16 0.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0
Bool BF16 0.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0
Bool F32 0.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0
Bool F64 0.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0
U8 Bool 0.0 1.0 1.0 1.0 1.0 1.0 1.0 0.0 0.0 1.0 1.0 1.0 1.0
U8 U8 0.0 1.0 255.0 2.0 254.0 100.0 255.0 0.0 0.0 44.0 224.0 249.0 232.0
U8 I32 0.0 1.0 255.0 2.0 254.0 100.0 255.0 0.0 0.0 44.0 224.0 249.0 232.0
U8 I64 0.0 1.0 255.0 2.0 254.0 100.0 255.0 0.0 0.0 44.0 224.0 249.0 232.0
U8 F16 0.0 1.0 255.0 2.0 254.0 100.0 255.0 0.0 0.0 44.0 224.0 249.0 232.0
U8 BF16 0.0 1.0 255.0 2.0 254.0 100.0 255.0 0.0 0.0 44.0 224.0 249.0 232.0
U8 F32 0.0 1.0 255.0 2.0 254.0 100.0 255.0 0.0 0.0 44.0 224.0 249.0 232.0
U8 F64 0.0 1.0 255.0 2.0 254.0 100.0 255.0 0.0 0.0 44.0 224.0 249.0 232.0
I32 Bool 0.0 1.0 1.0 1.0 1.0 1.0 1.0 0.0 0.0 1.0 1.0 1.0 1.0
I32 U8 0.0 1.0 255.0 2.0 254.0 100.0 255.0 0.0 0.0 44.0 224.0 249.0 232.0
I32 I32 0.0 1.0 -1.0 2.0 -2.0 100.0 255.0 0.0 0.0 300.0 65504.0 -7.0 1000.0
I32 I64 0.0 1.0 -1.0 2.0 -2.0 100.0 255.0 0.0 0.0 300.0 65504.0 -7.0 1000.0
I32 F16 0.0 1.0 -1.0 2.0 -2.0 100.0 255.0 0.0 0.0 300.0 65504.0 -7.0 1000.0
I32 BF16 0.0 1.0 -1.0 2.0 -2.0 100.0 255.0 0.0 0.0 300.0 65536.0 -7.0 1000.0
I32 F32 0.0 1.0 -1.0 2.0 -2.0 100.0 255.0 0.0 0.0 300.0 65504.0 -7.0 1000.0
I32 F64 0.0 1.0 -1.0 2.0 -2.0 100.0 255.0 0.0 0.0 300.0 65504.0 -7.0 1000.0
I64 Bool 0.0 1.0 1.0 1.0 1.0 1.0 1.0 0.0 0.0 1.0 1.0 1.0 1.0
I64 U8 0.0 1.0 255.0 2.0 254.0 100.0 255.0 0.0 0.0 44.0 224.0 249.0 232.0
I64 I32 0.0 1.0 -1.0 2.0 -2.0 100.0 255.0 0.0 0.0 300.0 65504.0 -7.0 1000.0
I64 I64 0.0 1.0 -1.0 2.0 -2.0 100.0 255.0 0.0 0.0 300.0 65504.0 -7.0 1000.0
I64 F16 0.0 1.0 -1.0 2.0 -2.0 100.0 255.0 0.0 0.0 300.0 65504.0 -7.0 1000.0
I64 BF16 0.0 1.0 -1.0 2.0 -2.0 100.0 255.0 0.0 0.0 300.0 65536.0 -7.0 1000.0
I64 F32 0.0 1.0 -1.0 2.0 -2.0 100.0 255.0 0.0 0.0 300.0 65504.0 -7.0 1000.0
I64 F64 0.0 1.0 -1.0 2.0 -2.0 100.0 255.0 0.0 0.0 300.0 65504.0 -7.0 1000.0
F16 Bool 0.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0
F16 U8 0.0 1.0 255.0 2.0 254.0 100.0 255.0 0.0 0.0 44.0 224.0 249.0 232.0
F16 I32 0.0 1.0 -1.0 2.0 -2.0 100.0 255.0 0.0 0.0 300.0 65504.0 -7.0 1000.0
F16 I64 0.0 1.0 -1.0 2.0 -2.0 100.0 255.0 0.0 0.0 300.0 65504.0 -7.0 1000.0
F16 F16 0.0 1.0 -1.0 2.5 -2.5 100.0 255.0 0.5 -0.75 300.0 65504.0 -7.25 1000.5
F16 BF16 0.0 1.0 -1.0 2.5 -2.5 100.0 255.0 0.5 -0.75 300.0 65536.0 -7.25 1000.0
F16 F32 0.0 1.0 -1.0 2.5 -2.5 100.0 255.0 0.5 -0.75 300.0 65504.0 -7.25 1000.5
F16 F64 0.0 1.0 -1.0 2.5 -2.5 100.0 255.0 0.5 -0.75 300.0 65504.0 -7.25 1000.5
BF16 Bool 0.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0
BF16 U8 0.0 1.0 255.0 2.0 254.0 100.0 255.0 0.0 0.0 44.0 0.0 249.0 232.0
BF16 I32 0.0 1.0 -1.0 2.0 -2.0 100.0 255.0 0.0 0.0 300.0 65536.0 -7.0 1000.0
BF16 I64 0.0 1.0 -1.0 2.0 -2.0 100.0 255.0 0.0 0.0 300.0 65536.0 -7.0 1000.0
BF16 F16 0.0 1.0 -1.0 2.5 -2.5 100.0 255.0 0.5 -0.75 300.0 INF -7.25 1000.0
BF16 BF16 0.0 1.0 -1.0 2.5 -2.5 100.0 255.0 0.5 -0.75 300.0 65536.0 -7.25 1000.0
BF16 F32 0.0 1.0 -1.0 2.5 -2.5 100.0 255.0 0.5 -0.75 300.0 65536.0 -7.25 1000.0
BF16 F64 0.0 1.0 -1.0 2.5 -2.5 100.0 255.0 0.5 -0.75 300.0 65536.0 -7.25 1000.0
F32 Bool 0.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0
F32 U8 0.0 1.0 255.0 2.0 254.0 100.0 255.0 0.0 0.0 44.0 224.0 249.0 232.0
F32 I32 0.0 1.0 -1.0 2.0 -2.0 100.0 255.0 0.0 0.0 300.0 65504.0 -7.0 1000.0
F32 I64 0.0 1.0 -1.0 2.0 -2.0 100.0 255.0 0.0 0.0 300.0 65504.0 -7.0 1000.0
F32 F16 0.0 1.0 -1.0 2.5 -2.5 100.0 255.0 0.5 -0.75 300.0 65504.0 -7.25 1000.5
F32 BF16 0.0 1.0 -1.0 2.5 -2.5 100.0 255.0 0.5 -0.75 300.0 65536.0 -7.25 1000.0
F32 F32 0.0 1.0 -1.0 2.5 -2.5 100.0 255.0 0.5 -0.75 300.0 65504.0 -7.25 1000.7000122070312
F32 F64 0.0 1.0 -1.0 2.5 -2.5 100.0 255.0 0.5 -0.75 300.0 65504.0 -7.25 1000.7000122070312
F64 Bool 0.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0
F64 U8 0.0 1.0 255.0 2.0 254.0 100.0 255.0 0.0 0.0 44.0 224.0 249.0 232.0
F64 I32 0.0 1.0 -1.0 2.0 -2.0 100.0 255.0 0.0 0.0 300.0 65504.0 -7.0 1000.0
F64 I64 0.0 1.0 -1.0 2.0 -2.0 100.0 255.0 0.0 0.0 300.0 65504.0 -7.0 1000.0
F64 F16 0.0 1.0 -1.0 2.5 -2.5 100.0 255.0 0.5 -0.75 300.0 65504.0 -7.25 1000.5
F64 BF16 0.0 1.0 -1.0 2.5 -2.5 100.0 255.0 0.5 -0.75 300.0 65536.0 -7.25 1000.0
F64 F32 0.0 1.0 -1.0 2.5 -2.5 100.0 255.0 0.5 -0.75 300.0 65504.0 -7.25 1000.7000122070312
F64 F64 0.0 1.0 -1.0 2.5 -2.5 100.0 255.0 0.5 -0.75 300.0 65504.0 -7.25 1000.7
";

fn cast_chain(dev: &Device, src: DType, dst: DType, contiguous: bool) -> Vec<f64> {
    let x = Tensor::from_vec(CAST_VALUES.to_vec(), [CAST_VALUES.len()]).unwrap().to_device(dev).unwrap();
    let s = x.to_dtype(src).unwrap();
    // A non-contiguous source (every other element of a doubled, reversed-stride buffer) takes
    // the strided path of the cast kernel.
    let s = if contiguous {
        s
    } else {
        let n = CAST_VALUES.len();
        let wide = s.unsqueeze(1).unwrap().expand(&[n as isize, 2]).unwrap().contiguous().unwrap();
        let v = wide.select(1, 1).unwrap();
        assert!(!v.is_contiguous());
        v
    };
    let d = s.to_dtype(dst).unwrap();
    assert_on(&d, dev);
    assert_eq!(d.dtype(), dst);
    assert!(d.is_contiguous() || src == dst);
    assert_eq!(d.shares_storage(&s), src == dst, "to_dtype copies exactly when the dtype changes");
    values(&d)
}

#[test]
fn cast_every_pair_as_torch() {
    on_each_device(|dev| {
        let mut checked = 0;
        for line in CAST_TABLE.trim().lines() {
            let parts: Vec<&str> = line.split_whitespace().collect();
            let (src, dst) = (dtype_named(parts[0]), dtype_named(parts[1]));
            let want: Vec<f64> = parts[2..].iter().map(|v| parse(v)).collect();
            for contiguous in [true, false] {
                let got = cast_chain(dev, src, dst, contiguous);
                for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                    assert!(
                        close(*g, *w, EXACT),
                        "f64 -> {src:?} -> {dst:?} of {} on {dev}: got {g}, torch {w}",
                        CAST_VALUES[i]
                    );
                }
            }
            checked += 1;
        }
        assert_eq!(checked, 64);
    });
}

#[test]
fn cast_special_values_as_torch() {
    on_each_device(|dev| {
        let x = Tensor::new([f32::NAN, f32::INFINITY, f32::NEG_INFINITY, -0.0, 1e10, -1e10], dev).unwrap();
        // torch.tensor([nan, inf, -inf, -0.0]).to(torch.bool) == [True, True, True, False]
        assert_eq!(x.to_vec::<bool>().unwrap(), [true, true, true, false, true, true]);
        // torch.tensor([1e10, -1e10, nan]).to(torch.float16) == [inf, -inf, nan]
        let h = values(&x.to_dtype(DType::F16).unwrap());
        assert!(h[0].is_nan() && h[1] == f64::INFINITY && h[2] == f64::NEG_INFINITY);
        assert!(h[3] == 0.0 && h[3].is_sign_negative());
        assert_eq!((h[4], h[5]), (f64::INFINITY, f64::NEG_INFINITY));
        let d = values(&x.to_dtype(DType::F64).unwrap());
        assert!(d[0].is_nan() && d[1] == f64::INFINITY && d[3].is_sign_negative());
        // torch.tensor([1e39], dtype=torch.float64).to(torch.float32) == [inf]
        let big = Tensor::new([1e39f64], dev).unwrap().to_dtype(DType::F32).unwrap();
        assert_eq!(big.item::<f32>().unwrap(), f32::INFINITY);
    });
}

#[test]
fn cast_rounding_as_torch() {
    on_each_device(|dev| {
        // torch.tensor([1 + 2**-11 + 2**-40], dtype=torch.float64).to(torch.float16).item() == 1.0:
        // PyTorch converts a double to half through float (round twice), so the tie goes to even.
        let x = Tensor::new([1.0 + 2f64.powi(-11) + 2f64.powi(-40)], dev).unwrap();
        assert_eq!(x.to_dtype(DType::F16).unwrap().item::<f64>().unwrap(), 1.0);
        // ... and the same for bfloat16: 1 + 2**-8 + 2**-40 -> 1.0
        let x = Tensor::new([1.0 + 2f64.powi(-8) + 2f64.powi(-40)], dev).unwrap();
        assert_eq!(x.to_dtype(DType::BF16).unwrap().item::<f64>().unwrap(), 1.0);
        // int64 -> int32 / uint8 wraps exactly, even past 2**53:
        // torch.tensor([2**62 + 7]).to(torch.int32).item() == 7 (and to(torch.uint8) == 7)
        let big = Tensor::new([(1i64 << 62) + 7, -(1i64 << 62) - 3], dev).unwrap();
        assert_eq!(big.to_vec::<i32>().unwrap(), [7, -3]);
        assert_eq!(big.to_dtype(DType::U8).unwrap().to_vec::<u8>().unwrap(), [7, 253]);
        // torch.tensor([2**60 + 2**36 + 1]).to(torch.float32).item() == 2**60 + 2**37 (one rounding)
        let x = Tensor::new([(1i64 << 60) + (1i64 << 36) + 1], dev).unwrap();
        assert_eq!(x.to_dtype(DType::F32).unwrap().item::<f32>().unwrap(), ((1u64 << 60) + (1u64 << 37)) as f32);
        // torch.tensor([2**53 + 1]).to(torch.float64).item() == 2**53
        let x = Tensor::new([(1i64 << 53) + 1], dev).unwrap();
        assert_eq!(x.to_dtype(DType::F64).unwrap().item::<f64>().unwrap(), 9007199254740992.0);
        // int64 -> int64 through item is exact.
        assert_eq!(Tensor::new([i64::MAX], dev).unwrap().item::<i64>().unwrap(), i64::MAX);
    });
}

proptest! {
    #![proptest_config(cfg(256))]

    /// `to_dtype` from any layout gives the values as the target dtype stores them; converting
    /// back is exact whenever the target held every value exactly.
    #[test]
    fn to_dtype_round_trips(
        shape in shape_strategy(4, 4),
        recipe in recipe_strategy(3, true),
        a in prop::sample::select(ALL_DTYPES.to_vec()),
        b in prop::sample::select(ALL_DTYPES.to_vec()),
    ) {
        for dev in devices() {
            if !(holds(&dev, a) && holds(&dev, b)) {
                continue;
            }
            let x = build_on(&dev, &shape, &recipe, a, Values::Small);
            let y = x.t.to_dtype(b).unwrap();
            assert_on(&y, &dev);
            prop_assert_eq!(y.dtype(), b);
            prop_assert_eq!(y.size(), &shape[..]);
            let want = x.r.map(|v| round_to(b, v));
            assert_ref(&y, &want, EXACT, &format!("to_dtype on {dev}"));
            let back = y.to_dtype(a).unwrap();
            if want == x.r {
                assert_ref(&back, &x.r, EXACT, "round trip");
            } else {
                assert_ref(&back, &want.map(|v| round_to(a, v)), EXACT, "lossy round trip");
            }
        }
    }
}

#[test]
fn item_and_nested_vectors() {
    on_each_device(|dev| {
        let x = Tensor::new([[1i32, 2, 3], [4, 5, 6]], dev).unwrap();
        assert_eq!(x.dtype(), DType::I32);
        assert_eq!(x.to_vec2::<i32>().unwrap(), [[1, 2, 3], [4, 5, 6]]);
        // Transposed: rows of the view, read through the strides.
        assert_eq!(x.t().unwrap().to_vec2::<i64>().unwrap(), [[1, 4], [2, 5], [3, 6]]);
        assert!(x.select(1, 2).unwrap().item::<i32>().is_err());
        assert_eq!(x.i((1, 2)).unwrap().item::<f64>().unwrap(), 6.0);
        assert_eq!(x.narrow(1, 1, 1).unwrap().narrow(0, 0, 1).unwrap().item::<u8>().unwrap(), 2);
        // torch.tensor([1, 2]).item(): RuntimeError: a Tensor with 2 elements cannot be converted to Scalar
        let e = x.select(0, 0).unwrap().narrow(0, 0, 2).unwrap().item::<i32>().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Value);
        assert!(e.to_string().contains("a Tensor with 2 elements cannot be converted to Scalar"), "{e}");
        assert!(Tensor::zeros([0], DType::F32, dev).unwrap().item::<f32>().is_err());
        let e = x.to_vec3::<i32>().unwrap_err();
        assert!(e.to_string().contains("expected a 3-d tensor"), "{e}");
        assert!(x.select(0, 0).unwrap().to_vec2::<i32>().is_err());
        let c = Tensor::new([[[1f32, 2.], [3., 4.]], [[5., 6.], [7., 8.]]], dev).unwrap();
        assert_eq!(c.to_vec3::<f32>().unwrap(), [[[1., 2.], [3., 4.]], [[5., 6.], [7., 8.]]]);
        assert_eq!(
            c.permute(&[2, 0, 1]).unwrap().to_vec3::<f32>().unwrap(),
            [[[1., 3.], [5., 7.]], [[2., 4.], [6., 8.]]]
        );
        // Half types.
        let h = Tensor::new([f16::from_f32(1.5), f16::from_f32(-2.0)], dev).unwrap();
        assert_eq!(h.dtype(), DType::F16);
        assert_eq!(h.to_vec::<f32>().unwrap(), [1.5, -2.0]);
        let bh = Tensor::new([bf16::from_f32(0.25)], dev).unwrap();
        assert_eq!(bh.item::<bf16>().unwrap(), bf16::from_f32(0.25));
        // A scalar and an empty row.
        assert_eq!(Tensor::new(2.5f64, dev).unwrap().size(), &[] as &[usize]);
        assert_eq!(Tensor::new(Vec::<Vec<f32>>::new(), dev).unwrap().size(), &[0]);
        assert_eq!(Tensor::new(vec![Vec::<f32>::new(); 3], dev).unwrap().size(), &[3, 0]);
        // torch.tensor([[1, 2], [3]]): ValueError: expected sequence of length 2 at dim 1 (got 1)
        let e = Tensor::new(vec![vec![1f32, 2.], vec![3.]], dev).unwrap_err();
        assert!(e.to_string().contains("expected sequence of length"), "{e}");
    });
}

/// CPU only: `from_vec` and `as_slice` share host memory.
#[test]
fn as_slice_is_zero_copy() {
    let v: Vec<f32> = (0..12).map(|i| i as f32).collect();
    let ptr = v.as_ptr();
    let x = Tensor::from_vec(v, [3, 4]).unwrap();
    {
        let s = x.as_slice::<f32>().unwrap();
        assert_eq!(s.as_ptr(), ptr, "from_vec keeps the buffer and as_slice borrows it");
        assert_eq!(s.len(), 12);
    }
    // A contiguous view (offset) borrows the same buffer, further in.
    let row = x.narrow(0, 1, 2).unwrap();
    assert_eq!(row.as_slice::<f32>().unwrap().as_ptr(), ptr.wrapping_add(4));
    assert_eq!(&*row.as_slice::<f32>().unwrap(), &[4., 5., 6., 7., 8., 9., 10., 11.]);
    // Views with size-1 dims of any stride are contiguous too.
    assert_eq!(x.i((1..2, ..)).unwrap().unsqueeze(0).unwrap().as_slice::<f32>().unwrap().as_ptr(), ptr.wrapping_add(4));
    // A non-contiguous view, another dtype: errors.
    let e = x.t().unwrap().as_slice::<f32>().unwrap_err();
    assert!(e.to_string().contains("not contiguous"), "{e}");
    let e = x.as_slice::<f64>().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::DType);
    // contiguous() of a contiguous tensor is the same buffer; of a transpose, a new one.
    assert_eq!(x.contiguous().unwrap().as_slice::<f32>().unwrap().as_ptr(), ptr);
    assert_ne!(x.t().unwrap().contiguous().unwrap().as_slice::<f32>().unwrap().as_ptr(), ptr);
    // with_mut_slice writes through, into the same buffer.
    let mut r = row.shallow_clone();
    let v0 = x.version();
    r.with_mut_slice::<f32, _>(|s| {
        assert_eq!(s.as_ptr(), ptr.wrapping_add(4));
        s[0] = -1.0;
    })
    .unwrap();
    assert!(x.version() > v0);
    assert_eq!(x.to_vec2::<f32>().unwrap()[1], [-1., 5., 6., 7.]);
    // Integer and bool buffers too.
    let b = vec![true, false];
    let bp = b.as_ptr();
    let bt = Tensor::from_vec(b, [2]).unwrap();
    assert_eq!(bt.as_slice::<bool>().unwrap().as_ptr(), bp);
    let e = Tensor::from_vec(vec![1i64, 2, 3], [2, 2]).unwrap_err();
    assert!(e.to_string().contains("needs 4 elements, but the buffer holds 3"), "{e}");
}

#[test]
fn filled_tensors() {
    on_each_device(|dev| {
        for dtype in ALL_DTYPES.into_iter().filter(|&d| holds(dev, d)) {
            let z = Tensor::zeros([2, 3], dtype, dev).unwrap();
            assert_eq!((z.size(), z.dtype()), (&[2, 3][..], dtype));
            assert_eq!(values(&z), [0.0; 6]);
            let o = Tensor::ones([4], dtype, dev).unwrap();
            assert_eq!(values(&o), [1.0; 4]);
            let f = Tensor::full([2, 2], 7, dtype, dev).unwrap();
            assert_eq!(values(&f), [round_to(dtype, 7.0); 4]);
            let f = Tensor::full([3], -2.75, dtype, dev).unwrap();
            assert_eq!(values(&f), [round_to(dtype, -2.75); 3]);
            let e = Tensor::empty([0, 5], dtype, dev).unwrap();
            assert_eq!((e.size(), e.numel(), e.dtype()), (&[0, 5][..], 0, dtype));
            // *_like and new_*: shape, dtype and device of the original unless told otherwise.
            let like = Tensor::zeros([3, 1], dtype, dev).unwrap();
            assert_eq!(values(&like.ones_like(None).unwrap()), [1.0; 3]);
            assert_eq!(like.ones_like(None).unwrap().dtype(), dtype);
            assert_eq!(like.zeros_like(DType::F64).unwrap().dtype(), DType::F64);
            assert_eq!(values(&like.full_like(2, None).unwrap()), [round_to(dtype, 2.0); 3]);
            assert_eq!(like.new_zeros([2], None).unwrap().dtype(), dtype);
            let n = like.new_ones([5, 3], DType::F64).unwrap();
            assert_eq!((n.size(), n.dtype()), (&[5, 3][..], DType::F64));
            assert_eq!(values(&like.new_full([2], 3, None).unwrap()), [round_to(dtype, 3.0); 2]);
            assert_eq!(like.new_empty([4, 4], None).unwrap().size(), &[4, 4]);
            assert_eq!(like.new_zeros([1], None).unwrap().device(), like.device());
        }
        // torch.full((2,), 7).dtype is int64 in PyTorch; here the dtype is explicit. Bool from numbers:
        assert!(Tensor::full([1], 0.5, DType::Bool, dev).unwrap().item::<bool>().unwrap());
        assert_eq!(Tensor::full([1], i64::MAX, DType::I64, dev).unwrap().item::<i64>().unwrap(), i64::MAX);
        assert_eq!(Tensor::full([], 300, DType::U8, dev).unwrap().item::<u8>().unwrap(), 44);
    });
}

#[test]
fn arange_as_torch() {
    on_each_device(|dev| {
        // torch.arange(0, 1, 0.1).tolist()
        let a = Tensor::arange(0.0, 1.0, 0.1, dev).unwrap();
        assert_eq!(a.dtype(), DType::F32);
        let want: [f32; 10] = [
            0.0,
            0.10000000149011612,
            0.20000000298023224,
            0.30000001192092896,
            0.4000000059604645,
            0.5,
            0.6000000238418579,
            0.699999988079071,
            0.800000011920929,
            0.8999999761581421,
        ];
        assert_eq!(a.to_vec::<f32>().unwrap(), want);
        // torch.arange(1, 2.5, 0.3).tolist()
        let want: [f32; 5] = [1.0, 1.2999999523162842, 1.600000023841858, 1.899999976158142, 2.200000047683716];
        assert_eq!(Tensor::arange(1, 2.5, 0.3, dev).unwrap().to_vec::<f32>().unwrap(), want);
        // torch.arange(5, 0, -1.5).tolist() == [5.0, 3.5, 2.0, 0.5]
        assert_eq!(Tensor::arange(5, 0, -1.5, dev).unwrap().to_vec::<f32>().unwrap(), [5.0, 3.5, 2.0, 0.5]);
        // torch.arange(-1, 1, 0.25, dtype=torch.float64)
        let d = Tensor::arange_dtype(-1.0, 1.0, 0.25, DType::F64, dev).unwrap();
        assert_eq!(d.to_vec::<f64>().unwrap(), [-1.0, -0.75, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75]);
        // torch.arange(10, 0, -3) == tensor([10, 7, 4, 1]) (int64)
        let i = Tensor::arange(10, 0, -3, dev).unwrap();
        assert_eq!(i.dtype(), DType::I64);
        assert_eq!(i.to_vec::<i64>().unwrap(), [10, 7, 4, 1]);
        assert_eq!(Tensor::arange(3, 3, 1, dev).unwrap().size(), &[0]);
        let e = Tensor::arange(0, 5, 0, dev).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Value);
        let e = Tensor::arange(0, 5, -1, dev).unwrap_err();
        assert!(e.to_string().contains("inconsistent with step sign"), "{e}");
    });
}

#[test]
fn linspace_as_torch() {
    on_each_device(|dev| {
        // torch.linspace(0, 1, 7).tolist()
        let want: [f32; 7] =
            [0.0, 0.1666666716337204, 0.3333333432674408, 0.5, 0.6666666269302368, 0.8333333134651184, 1.0];
        assert_eq!(Tensor::linspace(0.0, 1.0, 7, DType::F32, dev).unwrap().to_vec::<f32>().unwrap(), want);
        // torch.linspace(-3.3, 7.1, 11).tolist()
        let want: [f32; 11] = [
            -3.299999952316284,
            -2.259999990463257,
            -1.2200000286102295,
            -0.18000006675720215,
            0.8599998950958252,
            1.9000000953674316,
            2.940000057220459,
            3.9800000190734863,
            5.019999980926514,
            6.059999942779541,
            7.099999904632568,
        ];
        let got = Tensor::linspace(-3.3, 7.1, 11, DType::F32, dev).unwrap().to_vec::<f32>().unwrap();
        assert_eq!(got, want);
        // torch.linspace(0.1, 0.9, 9).tolist()
        let want: [f32; 9] = [
            0.10000000149011612,
            0.19999998807907104,
            0.29999998211860657,
            0.3999999761581421,
            0.5,
            0.6000000238418579,
            0.699999988079071,
            0.7999999523162842,
            0.8999999761581421,
        ];
        assert_eq!(Tensor::linspace(0.1, 0.9, 9, DType::F32, dev).unwrap().to_vec::<f32>().unwrap(), want);
        // torch.linspace(-1, 2.5, 8, dtype=torch.float16).tolist()
        let h = Tensor::linspace(-1.0, 2.5, 8, DType::F16, dev).unwrap();
        assert_eq!(values(&h), [-1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 2.5]);
        // torch.linspace(-3, 7, 4, dtype=torch.int64).tolist() == [-3, 0, 3, 7]
        let i = Tensor::linspace(-3.0, 7.0, 4, DType::I64, dev).unwrap();
        assert_eq!(i.to_vec::<i64>().unwrap(), [-3, 0, 3, 7]);
        assert_eq!(Tensor::linspace(2.0, 5.0, 1, DType::F64, dev).unwrap().to_vec::<f64>().unwrap(), [2.0]);
        assert_eq!(Tensor::linspace(2.0, 5.0, 0, DType::F64, dev).unwrap().size(), &[0]);
        // The ends are exact for any steps (the second half counts back from `end`).
        for steps in 2..40 {
            let v = Tensor::linspace(-0.3, 1.7, steps, DType::F64, dev).unwrap().to_vec::<f64>().unwrap();
            assert_eq!((v[0], v[steps - 1]), (-0.3, 1.7));
        }
    });
}

#[test]
fn eye() {
    on_each_device(|dev| {
        for dtype in ALL_DTYPES.into_iter().filter(|&d| holds(dev, d)) {
            let e = Tensor::eye(3, dtype, dev).unwrap();
            assert_eq!(e.dtype(), dtype);
            assert_eq!(values(&e), [1., 0., 0., 0., 1., 0., 0., 0., 1.]);
        }
        assert_eq!(Tensor::eye(0, DType::F32, dev).unwrap().size(), &[0, 0]);
    });
}

#[test]
fn random_with_explicit_generators() {
    on_each_device(|dev| {
        let shape = [64, 33];
        for dtype in [DType::F16, DType::BF16, DType::F32, DType::F64] {
            let a = Tensor::rand_with(shape, dtype, dev, &mut Generator::new(11)).unwrap();
            let b = Tensor::rand_with(shape, dtype, dev, &mut Generator::new(11)).unwrap();
            let c = Tensor::rand_with(shape, dtype, dev, &mut Generator::new(12)).unwrap();
            assert_eq!(a.dtype(), dtype);
            let (va, vb, vc) = (values(&a), values(&b), values(&c));
            assert_eq!(va, vb, "same seed, same numbers");
            assert_ne!(va, vc);
            assert!(va.iter().all(|&u| (0.0..1.0).contains(&u)), "rand is in [0, 1)");
            let mean = va.iter().sum::<f64>() / va.len() as f64;
            assert!((mean - 0.5).abs() < 0.05, "mean {mean}");
            let n = values(&Tensor::randn_with(shape, dtype, dev, &mut Generator::new(5)).unwrap());
            let m = values(&Tensor::randn_with(shape, dtype, dev, &mut Generator::new(5)).unwrap());
            assert_eq!(n, m);
            let mean = n.iter().sum::<f64>() / n.len() as f64;
            let var = n.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n.len() as f64;
            assert!(mean.abs() < 0.1 && (var - 1.0).abs() < 0.1, "mean {mean} var {var}");
        }
        // One generator advances: two draws differ, and match a fresh generator's draws in order.
        let mut g = Generator::new(3);
        let x = values(&Tensor::randn_with([10], DType::F64, dev, &mut g).unwrap());
        let y = values(&Tensor::randn_with([10], DType::F64, dev, &mut g).unwrap());
        assert_ne!(x, y);
        let both = values(&Tensor::randn_with([20], DType::F64, dev, &mut Generator::new(3)).unwrap());
        assert_eq!(&both[..10], &x[..]);
        // randint: int64 in [low, high), every value hit.
        let r = Tensor::randint_with(-3, 4, [2000], dev, &mut Generator::new(9)).unwrap();
        assert_eq!(r.dtype(), DType::I64);
        let v = r.to_vec::<i64>().unwrap();
        assert!(v.iter().all(|&x| (-3..4).contains(&x)));
        for k in -3..4 {
            assert!(v.contains(&k), "randint never gave {k}");
        }
        // torch.randint(5, 5, (1,)): RuntimeError: random_ expects 'from' to be less than 'to'
        let e = Tensor::randint_with(5, 5, [1], dev, &mut Generator::new(1)).unwrap_err();
        assert!(e.to_string().contains("expects 'from' to be less than 'to'"), "{e}");
        // rand / randn need a float dtype.
        let e = Tensor::rand_with([2], DType::I64, dev, &mut Generator::new(1)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::DType);
        assert!(Tensor::randn_with([2], DType::Bool, dev, &mut Generator::new(1)).is_err());
        // f32 uniforms never round up to 1.
        let u = Tensor::rand_with([100_000], DType::F16, dev, &mut Generator::new(77)).unwrap();
        assert!(values(&u).iter().all(|&x| x < 1.0));
    });
}

/// The only test in this binary that uses the global generator (so no other test can advance it
/// between a `manual_seed` and the draws that follow).
#[test]
fn manual_seed_repeats_global_draws() {
    let _lock = GLOBAL_RNG.lock().unwrap_or_else(|e| e.into_inner());
    on_each_device(|dev| {
        manual_seed(1234);
        let a = values(&Tensor::randn([3, 5], DType::F32, dev).unwrap());
        let b = values(&Tensor::rand([4], DType::F64, dev).unwrap());
        let c = Tensor::randint(0, 10, [6], dev).unwrap().to_vec::<i64>().unwrap();
        let like = Tensor::zeros([2, 2], DType::F64, dev).unwrap();
        let d = values(&like.randn_like(None).unwrap());
        let e = values(&like.rand_like(DType::F32).unwrap());
        manual_seed(1234);
        assert_eq!(values(&Tensor::randn([3, 5], DType::F32, dev).unwrap()), a);
        assert_eq!(values(&Tensor::rand([4], DType::F64, dev).unwrap()), b);
        assert_eq!(Tensor::randint(0, 10, [6], dev).unwrap().to_vec::<i64>().unwrap(), c);
        let d2 = like.randn_like(None).unwrap();
        assert_eq!(d2.dtype(), DType::F64);
        assert_eq!(values(&d2), d);
        let e2 = like.rand_like(DType::F32).unwrap();
        assert_eq!(e2.dtype(), DType::F32);
        assert_eq!(values(&e2), e);
        // The global generator is the Philox stream of the seed: the same as an explicit generator.
        manual_seed(99);
        let g = values(&Tensor::randn([7], DType::F64, dev).unwrap());
        assert_eq!(g, values(&Tensor::randn_with([7], DType::F64, dev, &mut Generator::new(99)).unwrap()));
        manual_seed(100);
        assert_ne!(values(&Tensor::randn([7], DType::F64, dev).unwrap()), g);
    });
}

#[test]
fn inplace_random_fills_follow_the_seed_and_their_ranges() {
    let _lock = GLOBAL_RNG.lock().unwrap_or_else(|e| e.into_inner());
    on_each_device(|dev| {
        let mut a = Tensor::zeros([1000], DType::F32, dev).unwrap();
        manual_seed(11);
        a.uniform_(-2.0, 3.0).unwrap();
        let v = a.to_vec::<f32>().unwrap();
        assert!(v.iter().all(|&x| (-2.0..3.0).contains(&x)));
        let mean = v.iter().sum::<f32>() / 1000.0;
        assert!((mean - 0.5).abs() < 0.2, "mean {mean}");
        // The same seed gives the same numbers.
        let mut b = Tensor::zeros([1000], DType::F32, dev).unwrap();
        manual_seed(11);
        b.uniform_(-2.0, 3.0).unwrap();
        assert_eq!(b.to_vec::<f32>().unwrap(), v);

        let mut n = Tensor::zeros([4000], DType::F64, dev).unwrap();
        n.normal_(3.0, 0.5).unwrap();
        let nv = n.to_vec::<f64>().unwrap();
        let m = nv.iter().sum::<f64>() / 4000.0;
        let sd = (nv.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / 4000.0).sqrt();
        assert!((m - 3.0).abs() < 0.05 && (sd - 0.5).abs() < 0.05, "mean {m} std {sd}");

        let mut bits = Tensor::zeros([4000], DType::I64, dev).unwrap();
        bits.bernoulli_(0.25).unwrap();
        let bv = bits.to_vec::<i64>().unwrap();
        assert!(bv.iter().all(|&x| x == 0 || x == 1));
        let frac = bv.iter().sum::<i64>() as f64 / 4000.0;
        assert!((frac - 0.25).abs() < 0.03, "fraction {frac}");

        assert!(a.uniform_(1.0, 0.0).is_err());
        assert!(n.normal_(0.0, -1.0).is_err());
        assert!(bits.bernoulli_(1.5).is_err());
    });
}

/// Tests that draw from the global generator hold this, so no other test draws between their
/// `manual_seed` and their draws.
static GLOBAL_RNG: std::sync::Mutex<()> = std::sync::Mutex::new(());
