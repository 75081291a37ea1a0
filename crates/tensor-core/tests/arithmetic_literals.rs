//! Binary arithmetic as PyTorch's literals: integer wrapping, integer and float floor division
//! and remainder, half-precision rounding (the Python scalar stays a float in the kernel), `pow`
//! by small exponents as ATen's multiplies, and results large enough for the CPU's streaming
//! stores. Every test runs on every device (the CPU, and the GPU when one is usable), but the one
//! about the CPU's streaming stores.

use crate::common::*;
use tensor_core::{DType, Result, RoundingMode, Tensor};

#[test]
fn scalar_wraps_in_small_int_dtypes() {
    on_each_device(|dev| {
        // torch.tensor([3], dtype=torch.uint8) * 300 == tensor([132], dtype=torch.uint8)
        let u = Tensor::new([3u8], dev).unwrap();
        let r = u.mul(300).unwrap();
        assert_eq!((r.dtype(), r.to_vec::<u8>().unwrap()), (DType::U8, vec![132]));
        // 300 - torch.tensor([3], dtype=torch.uint8) == tensor([41], dtype=torch.uint8)
        let r = 300i64 - &u;
        assert_eq!((r.dtype(), r.to_vec::<u8>().unwrap()), (DType::U8, vec![41]));
        // torch.tensor([200], dtype=torch.uint8) + torch.tensor([100], dtype=torch.uint8) == [44]
        assert_eq!(
            Tensor::new([200u8], dev)
                .unwrap()
                .add(&Tensor::new([100u8], dev).unwrap())
                .unwrap()
                .to_vec::<u8>()
                .unwrap(),
            [44]
        );
        // torch.tensor([2**31 - 1], dtype=torch.int32) + 1 == [-2**31]
        assert_eq!(Tensor::new([i32::MAX], dev).unwrap().add(1).unwrap().to_vec::<i32>().unwrap(), [i32::MIN]);
        // torch.tensor([True, False]) + torch.tensor([True, True]) == [True, True]
        let b = Tensor::new([true, false], dev).unwrap().add(&Tensor::new([true, true], dev).unwrap()).unwrap();
        assert_eq!(b.to_vec::<bool>().unwrap(), [true, true]);
    });
}

#[test]
fn integer_division_as_torch() {
    on_each_device(|dev| {
        let a = Tensor::new([7i64, -7, 7, -7, 0, 5, -1, 9, -9], dev).unwrap();
        let b = Tensor::new([2i64, 2, -2, -2, 3, 5, 3, -4, 4], dev).unwrap();
        // torch.floor_divide(a, b).tolist()
        assert_eq!(a.floor_divide(&b).unwrap().to_vec::<i64>().unwrap(), [3, -4, -4, 3, 0, 1, -1, -3, -3]);
        assert_eq!(
            a.div_mode(&b, RoundingMode::Floor).unwrap().to_vec::<i64>().unwrap(),
            [3, -4, -4, 3, 0, 1, -1, -3, -3]
        );
        // torch.remainder(a, b).tolist()
        assert_eq!(a.remainder(&b).unwrap().to_vec::<i64>().unwrap(), [1, 1, -1, -1, 0, 0, 2, -3, 3]);
        // torch.div(a, b, rounding_mode='trunc').tolist()
        let t = a.div_mode(&b, RoundingMode::Trunc).unwrap();
        assert_eq!((t.dtype(), t.to_vec::<i64>().unwrap()), (DType::I64, vec![3, -3, -3, 3, 0, 1, 0, -2, -2]));
        // torch.div(a, b) is float32: [3.5, -3.5, -3.5, 3.5, 0.0, 1.0, -0.3333333432674408, -2.25, -2.25]
        let d = a.div(&b).unwrap();
        assert_eq!(d.dtype(), DType::F32);
        assert_eq!(d.to_vec::<f32>().unwrap(), [3.5, -3.5, -3.5, 3.5, 0.0, 1.0, -0.33333334, -2.25, -2.25]);
        // uint8: torch.floor_divide(tensor([200, 7], uint8), tensor([3, 2], uint8)) == [66, 3];
        // remainder == [2, 1]
        let u = Tensor::new([200u8, 7], dev).unwrap();
        let v = Tensor::new([3u8, 2], dev).unwrap();
        assert_eq!(u.floor_divide(&v).unwrap().to_vec::<u8>().unwrap(), [66, 3]);
        assert_eq!(u.remainder(&v).unwrap().to_vec::<u8>().unwrap(), [2, 1]);
        // torch.pow(tensor([-1, -1, 2, 1, -2, 0, 3, -3]), tensor([-1, -2, -1, -5, -3, -1, 3, 3]))
        let p = Tensor::new([-1i64, -1, 2, 1, -2, 0, 3, -3], dev).unwrap();
        let e = Tensor::new([-1i64, -2, -1, -5, -3, -1, 3, 3], dev).unwrap();
        assert_eq!(p.pow(&e).unwrap().to_vec::<i64>().unwrap(), [-1, 1, 0, 1, 0, 0, 27, -27]);
        assert_eq!(
            p.to_dtype(DType::I32).unwrap().pow(&e.to_dtype(DType::I32).unwrap()).unwrap().to_vec::<i32>().unwrap(),
            [-1, 1, 0, 1, 0, 0, 27, -27]
        );
        // Integer division by zero: RuntimeError: ZeroDivisionError (floor_divide, remainder, div
        // with rounding_mode='trunc' or 'floor', tensor or scalar divisor).
        let z = Tensor::new([1i64, 0], dev).unwrap();
        for r in [
            a.narrow(0, 0, 2).unwrap().floor_divide(&z),
            a.narrow(0, 0, 2).unwrap().remainder(&z),
            a.narrow(0, 0, 2).unwrap().div_mode(&z, RoundingMode::Trunc),
            a.narrow(0, 0, 2).unwrap().div_mode(&z, RoundingMode::Floor),
            a.remainder(0),
            u.floor_divide(0),
        ] {
            let e = r.unwrap_err();
            assert!(e.to_string().contains("ZeroDivisionError"), "{e}");
        }
        // Float division by zero is IEEE.
        assert_eq!(Tensor::new([1f32], dev).unwrap().floor_divide(0.0).unwrap().item::<f32>().unwrap(), f32::INFINITY);
        // 1.0 // 0.1 == 9.0 in Python and PyTorch (float64), and 0.3 // 0.1 == 2.0; in float32 0.3 // 0.1 == 3.0
        let x = Tensor::new([1.0f64, 0.3, -1.0], dev).unwrap();
        assert_eq!(x.floor_divide(0.1).unwrap().to_vec::<f64>().unwrap(), [9.0, 2.0, -10.0]);
        let x32 = x.to_dtype(DType::F32).unwrap();
        assert_eq!(x32.floor_divide(0.1).unwrap().to_vec::<f32>().unwrap(), [9.0, 3.0, -10.0]);
    });
}

/// Results of 16 MiB and more are written with streaming stores through a staging block
/// (`cpu/stream.rs`): every element, at every alignment, and nothing outside the result.
/// CPU only: it tests the CPU's streaming-store path.
#[test]
fn large_results_are_written_whole() {
    // Rows of 4099 f32 (rows start off a cache line), one long row (split between threads),
    // and 1-byte and 8-byte elements.
    let (rows, cols) = (1025, 4099);
    let a: Vec<f32> = (0..rows * cols).map(|i| (i % 1000) as f32).collect();
    let b: Vec<f32> = (0..cols).map(|j| (j * 3) as f32).collect();
    let at = Tensor::from_vec(a.clone(), [rows, cols]).unwrap();
    let bt = Tensor::from_vec(b.clone(), [cols]).unwrap();
    let want: Vec<f32> = (0..rows * cols).map(|i| a[i] + b[i % cols]).collect();
    assert_eq!((&at + &bt).to_vec::<f32>().unwrap(), want);
    // Into rows 1.. of an existing tensor: the out starts mid-line, row 0 stays.
    let backing = Tensor::full([rows + 1, cols], -1.0, DType::F32, &tensor_core::Device::Cpu).unwrap();
    let mut out = backing.narrow(0, 1, rows).unwrap();
    Tensor::add_out(&at, &bt, &mut out).unwrap();
    let got = backing.to_vec::<f32>().unwrap();
    assert!(got[..cols].iter().all(|&x| x == -1.0));
    assert_eq!(&got[cols..], &want[..]);
    // One long row, offset by one element.
    let flat = at.flatten(0, -1).unwrap();
    let tail = flat.narrow(0, 1, rows * cols - 1).unwrap();
    let doubled = (&tail * 2.0f32).to_vec::<f32>().unwrap();
    assert!(doubled.iter().enumerate().all(|(i, &x)| x == 2.0 * a[i + 1]));
    // A cast to f64 (8-byte elements) and a comparison giving bool (1-byte).
    let wide = at.to_dtype(DType::F64).unwrap().to_vec::<f64>().unwrap();
    assert!(wide.iter().zip(&a).all(|(&w, &x)| w == x as f64));
    let big = Tensor::from_vec((0..(17usize << 20)).map(|i| (i % 7) as u8).collect::<Vec<u8>>(), [17 << 20]).unwrap();
    let fives = big.eq(5).unwrap().to_vec::<bool>().unwrap();
    assert!(fives.iter().enumerate().all(|(i, &x)| x == (i % 7 == 5)));
}

#[test]
fn half_precision_computes_in_float_and_rounds_once() -> Result<()> {
    for dev in devices() {
        let dev = &dev;
        // PyTorch 2.15, CPU:
        //   x = torch.tensor([3.0], dtype=torch.float16)
        //   (x * 0.1).item()                                      # 0.300048828125
        //   (x * torch.tensor(0.1, dtype=torch.float16)).item()   # 0.2998046875
        //   b = torch.tensor([3.0, 5.0], dtype=torch.bfloat16)
        //   (b * 0.1).tolist(), (b / 3).tolist()                  # [0.30078125, 0.5], [1.0, 1.6640625]
        //   torch.exp(torch.tensor([0.1, 0.2, 1000.0], dtype=torch.float16)).tolist()
        //                                                         # [1.10546875, 1.2216796875, inf]
        // The Python scalar stays a float in the kernel; rounding it to f16 first gives the second.
        let x = Tensor::new([3.0f64], dev)?.to_dtype(DType::F16)?;
        assert_eq!(values(&x.mul(0.1)?), vec![0.300048828125], "on {dev}");
        let tenth = Tensor::new([0.1f64], dev)?.to_dtype(DType::F16)?;
        assert_eq!(values(&x.mul(&tenth)?), vec![0.2998046875], "on {dev}");
        let mut y = x.clone().contiguous()?;
        y.mul_(0.1)?;
        assert_eq!((y.dtype(), values(&y)), (DType::F16, vec![0.300048828125]), "on {dev}");
        let b = Tensor::new([3.0f64, 5.0], dev)?.to_dtype(DType::BF16)?;
        assert_eq!(values(&b.mul(0.1)?), vec![0.30078125, 0.5], "on {dev}");
        assert_eq!(values(&b.div(3)?), vec![1.0, 1.6640625], "on {dev}");
        // In place through a transposed view, with a broadcast row: row i of `m` gains r[i].
        let m = Tensor::new([[1.0f64, 2.0], [3.0, 4.0]], dev)?.to_dtype(DType::F16)?;
        let mut t = m.t()?;
        t.add_(&Tensor::new([0.5f64, 0.25], dev)?.to_dtype(DType::F16)?)?;
        assert_eq!(values(&m), vec![1.5, 2.5, 3.25, 4.25], "on {dev}");
        let e = Tensor::new([0.1f64, 0.2, 1000.0], dev)?.to_dtype(DType::F16)?.exp()?;
        assert_eq!((e.dtype(), values(&e)), (DType::F16, vec![1.10546875, 1.2216796875, f64::INFINITY]), "on {dev}");
    }
    Ok(())
}

#[test]
fn pow_by_small_exponents_is_pytorchs_multiplies() -> Result<()> {
    for dev in devices() {
        let dev = &dev;
        // PyTorch 2.15, CPU:
        //   x = torch.tensor([1.1, -0.7, 3.3, 0.0, nan, inf, -2.5])   # float32
        //   for e in [0, 1, 2, 3, -1, -2, 0.5, -0.5]: (x ** e).tolist()
        // (ATen computes these exponents as multiplies and divisions: x ** 3 is x * x * x, which
        // `powf` does not always round the same way.) 0.5 and -0.5 are `sqrt` and `1 / sqrt`, checked
        // against ours below: PyTorch's own sqrt on this AVX2 host reads 1.0488089323043823 for
        // sqrt(1.1f), one ulp above the correctly rounded 1.0488088130950928 that NumPy and we give.
        let want: [(f64, [f64; 7]); 6] = [
            (0.0, [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]),
            (1.0, [1.100000023841858, -0.699999988079071, 3.299999952316284, 0.0, f64::NAN, f64::INFINITY, -2.5]),
            (2.0, [1.2100000381469727, 0.4899999797344208, 10.889999389648438, 0.0, f64::NAN, f64::INFINITY, 6.25]),
            (3.0, [1.3310000896453857, -0.34299999475479126, 35.93699645996094, 0.0, f64::NAN, f64::INFINITY, -15.625]),
            (
                -1.0,
                [
                    0.9090908765792847,
                    -1.4285714626312256,
                    0.3030303120613098,
                    f64::INFINITY,
                    f64::NAN,
                    0.0,
                    -0.4000000059604645,
                ],
            ),
            (
                -2.0,
                [
                    0.8264462351799011,
                    2.040816307067871,
                    0.09182737022638321,
                    f64::INFINITY,
                    f64::NAN,
                    0.0,
                    0.1599999964237213,
                ],
            ),
        ];
        let x = Tensor::new([1.1f32, -0.7, 3.3, 0.0, f32::NAN, f32::INFINITY, -2.5], dev)?;
        let same = |got: &[f64], want: &[f64]| got.iter().zip(want).all(|(g, w)| g == w || (g.is_nan() && w.is_nan()));
        for (e, want) in want {
            let got = values(&x.pow(e)?);
            assert!(same(&got, &want), "x ** {e} on {dev}: got {got:?}, want {want:?}");
            let mut y = x.clone();
            y.pow_(e)?;
            assert!(same(&values(&y), &want), "pow_({e}) on {dev}: got {:?}", values(&y));
        }
        let same_as = |e: f64, by: Tensor| -> Result<()> {
            let (got, want) = (values(&x.pow(e)?), values(&by));
            assert!(same(&got, &want), "x ** {e} on {dev}: got {got:?}, want {want:?}");
            Ok(())
        };
        same_as(0.5, x.sqrt()?)?;
        same_as(-0.5, x.rsqrt()?)?;
        // The same in f64, and a strided view: x ** 3 is x * x * x element for element.
        let m = Tensor::new([[1.1f64, -0.7], [3.3, 2.9]], dev)?.t()?;
        let cube: Vec<f64> = values(&m).iter().map(|v| v * v * v).collect();
        assert_eq!(values(&m.pow(3)?), cube, "on {dev}");
    }
    Ok(())
}
