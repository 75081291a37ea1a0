//! `Display` of tensors against PyTorch: every expected literal is what PyTorch 2.15.0 prints
//! (`print(t)`) for the Python snippet in the comment above it. The autograd suffixes
//! (`requires_grad=True`, `grad_fn=<..>`) are passed to `format_with_suffixes` as a higher crate does.
//! Print options are given per call (`format_with_options`), so tests never touch global state.

use tensor_core::{DType, Device, PrintOptions, Tensor};

type R = tensor_core::Result<()>;
const CPU: &Device = &Device::Cpu;

fn with_suffixes(t: &Tensor, suffixes: &[&str]) -> String {
    let s: Vec<String> = suffixes.iter().map(|x| x.to_string()).collect();
    t.format_with_suffixes(&s)
}

#[test]
fn seed_zeros_long() -> R {
    // torch.zeros(5, 3, dtype=torch.long)
    let t = Tensor::zeros([5, 3], DType::I64, CPU)?;
    assert_eq!(
        t.to_string(),
        "tensor([[0, 0, 0],\n        [0, 0, 0],\n        [0, 0, 0],\n        [0, 0, 0],\n        [0, 0, 0]])"
    );
    Ok(())
}

#[test]
fn seed_tensor_literal() -> R {
    // torch.tensor([5.5, 3])
    let t = Tensor::new([5.5f32, 3.0], CPU)?;
    assert_eq!(t.to_string(), "tensor([5.5000, 3.0000])");
    Ok(())
}

#[test]
fn seed_new_ones_double() -> R {
    // torch.ones(5, 3, dtype=torch.double)
    let t = Tensor::ones([5, 3], DType::F64, CPU)?;
    assert_eq!(t.to_string(), "tensor([[1., 1., 1.],\n        [1., 1., 1.],\n        [1., 1., 1.],\n        [1., 1., 1.],\n        [1., 1., 1.]], dtype=torch.float64)");
    Ok(())
}

#[test]
fn seed_add() -> R {
    // torch.ones(5, 3) + torch.ones(5, 3) * 2
    let t = Tensor::ones([5, 3], DType::F32, CPU)?.add(&Tensor::full([5, 3], 2.0, DType::F32, CPU)?)?;
    assert_eq!(t.to_string(), "tensor([[3., 3., 3.],\n        [3., 3., 3.],\n        [3., 3., 3.],\n        [3., 3., 3.],\n        [3., 3., 3.]])");
    Ok(())
}

#[test]
fn seed_view_z() -> R {
    // torch.arange(16.).reshape(4, 4).view(-1, 8)
    let t = Tensor::arange(0.0, 16.0, 1.0, CPU)?.view(&[4, 4])?.view(&[-1, 8])?;
    assert_eq!(
        t.to_string(),
        "tensor([[ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.],\n        [ 8.,  9., 10., 11., 12., 13., 14., 15.]])"
    );
    Ok(())
}

#[test]
fn seed_index_col() -> R {
    // torch.arange(16.).reshape(4, 4)[:, 1]
    let t = Tensor::arange(0.0, 16.0, 1.0, CPU)?.view(&[4, 4])?.select(1, 1)?;
    assert_eq!(t.to_string(), "tensor([ 1.,  5.,  9., 13.])");
    Ok(())
}

#[test]
fn seed_numpy_shared_a() -> R {
    // torch.ones(5).add_(1)
    let t = Tensor::full([5], 2.0, DType::F32, CPU)?;
    assert_eq!(t.to_string(), "tensor([2., 2., 2., 2., 2.])");
    Ok(())
}

#[test]
fn seed_from_numpy_b() -> R {
    // torch.from_numpy(np.ones(5) + 1)
    let t = Tensor::full([5], 2.0, DType::F64, CPU)?;
    assert_eq!(t.to_string(), "tensor([2., 2., 2., 2., 2.], dtype=torch.float64)");
    Ok(())
}

#[test]
fn seed_requires_grad() -> R {
    // torch.ones(2, 2, requires_grad=True)
    let t = Tensor::ones([2, 2], DType::F32, CPU)?;
    assert_eq!(with_suffixes(&t, &["requires_grad=True"]), "tensor([[1., 1.],\n        [1., 1.]], requires_grad=True)");
    Ok(())
}

#[test]
fn seed_y() -> R {
    // torch.ones(2, 2, requires_grad=True) + 2
    let t = Tensor::full([2, 2], 3.0, DType::F32, CPU)?;
    assert_eq!(
        with_suffixes(&t, &["grad_fn=<AddBackward0>"]),
        "tensor([[3., 3.],\n        [3., 3.]], grad_fn=<AddBackward0>)"
    );
    Ok(())
}

#[test]
fn seed_z() -> R {
    // (torch.ones(2, 2, requires_grad=True) + 2) ** 2 * 3
    let t = Tensor::full([2, 2], 27.0, DType::F32, CPU)?;
    assert_eq!(
        with_suffixes(&t, &["grad_fn=<MulBackward0>"]),
        "tensor([[27., 27.],\n        [27., 27.]], grad_fn=<MulBackward0>)"
    );
    Ok(())
}

#[test]
fn seed_out() -> R {
    // ((torch.ones(2, 2, requires_grad=True) + 2) ** 2 * 3).mean()
    let t = Tensor::new(27f32, CPU)?;
    assert_eq!(with_suffixes(&t, &["grad_fn=<MeanBackward0>"]), "tensor(27., grad_fn=<MeanBackward0>)");
    Ok(())
}

#[test]
fn seed_x_grad() -> R {
    // torch.full((2, 2), 4.5)
    let t = Tensor::full([2, 2], 4.5, DType::F32, CPU)?;
    assert_eq!(t.to_string(), "tensor([[4.5000, 4.5000],\n        [4.5000, 4.5000]])");
    Ok(())
}

#[test]
fn seed_y_doubled() -> R {
    // torch.tensor([0.5, -1.0, 2.0], requires_grad=True) * 512
    let t = Tensor::new([256f32, -512., 1024.], CPU)?;
    assert_eq!(with_suffixes(&t, &["grad_fn=<MulBackward0>"]), "tensor([ 256., -512., 1024.], grad_fn=<MulBackward0>)");
    Ok(())
}

#[test]
fn seed_x_grad_vec() -> R {
    // torch.tensor([0.1, 1.0, 0.0001]) * 512
    let t = Tensor::new([0.1f32, 1.0, 0.0001], CPU)?.mul(512.0)?;
    assert_eq!(t.to_string(), "tensor([5.1200e+01, 5.1200e+02, 5.1200e-02])");
    Ok(())
}

#[test]
fn fixed_negatives() -> R {
    // torch.tensor([-1.5, 2.25, -0.125])
    let t = Tensor::new([-1.5f32, 2.25, -0.125], CPU)?;
    assert_eq!(t.to_string(), "tensor([-1.5000,  2.2500, -0.1250])");
    Ok(())
}

#[test]
fn fixed_mixed_widths_2d() -> R {
    // torch.tensor([[1.5, -100.25], [12.5, 0.75]])
    let t = Tensor::new([[1.5f32, -100.25], [12.5, 0.75]], CPU)?;
    assert_eq!(t.to_string(), "tensor([[   1.5000, -100.2500],\n        [  12.5000,    0.7500]])");
    Ok(())
}

#[test]
fn fixed_rounding() -> R {
    // torch.tensor([1/3, 2/3, 0.12345678])
    let t = Tensor::new([1.0f32 / 3.0, 2.0 / 3.0, 0.12345678], CPU)?;
    assert_eq!(t.to_string(), "tensor([0.3333, 0.6667, 0.1235])");
    Ok(())
}

#[test]
fn fixed_tie_half_even() -> R {
    // torch.tensor([0.03125, 0.5])
    let t = Tensor::new([0.03125f32, 0.5], CPU)?;
    assert_eq!(t.to_string(), "tensor([0.0312, 0.5000])");
    Ok(())
}

#[test]
fn int_mode_mixed_widths() -> R {
    // torch.tensor([[1., -20.], [300., 4.]])
    let t = Tensor::new([[1f32, -20.], [300., 4.]], CPU)?;
    assert_eq!(t.to_string(), "tensor([[  1., -20.],\n        [300.,   4.]])");
    Ok(())
}

#[test]
fn sci_small() -> R {
    // torch.tensor([1e-5, 1.0, 100.0])
    let t = Tensor::new([1e-5f32, 1.0, 100.0], CPU)?;
    assert_eq!(t.to_string(), "tensor([1.0000e-05, 1.0000e+00, 1.0000e+02])");
    Ok(())
}

#[test]
fn sci_ratio_int_mode() -> R {
    // torch.tensor([1., 2000.])
    let t = Tensor::new([1f32, 2000.], CPU)?;
    assert_eq!(t.to_string(), "tensor([1.0000e+00, 2.0000e+03])");
    Ok(())
}

#[test]
fn sci_large() -> R {
    // torch.tensor([1e10, 1.0])
    let t = Tensor::new([1e10f32, 1.0], CPU)?;
    assert_eq!(t.to_string(), "tensor([1.0000e+10, 1.0000e+00])");
    Ok(())
}

#[test]
fn sci_over_1e8() -> R {
    // torch.tensor([1.5e8, 2e8])
    let t = Tensor::new([1.5e8f32, 2e8], CPU)?;
    assert_eq!(t.to_string(), "tensor([1.5000e+08, 2.0000e+08])");
    Ok(())
}

#[test]
fn sci_negative_widths() -> R {
    // torch.tensor([-1.2345e-7, 3.0e3, 0.0])
    let t = Tensor::new([-1.2345e-7f32, 3.0e3, 0.0], CPU)?;
    assert_eq!(t.to_string(), "tensor([-1.2345e-07,  3.0000e+03,  0.0000e+00])");
    Ok(())
}

#[test]
fn sci_f64_tiny() -> R {
    // torch.tensor([1e-10, 1.0], dtype=torch.float64)
    let t = Tensor::new([1e-10f64, 1.0], CPU)?;
    assert_eq!(t.to_string(), "tensor([1.0000e-10, 1.0000e+00], dtype=torch.float64)");
    Ok(())
}

#[test]
fn sci_f64_huge_exponent() -> R {
    // torch.tensor([1e300, -1e-300], dtype=torch.float64)
    let t = Tensor::new([1e300f64, -1e-300], CPU)?;
    assert_eq!(t.to_string(), "tensor([ 1.0000e+300, -1.0000e-300], dtype=torch.float64)");
    Ok(())
}

#[test]
fn nan_inf_fixed() -> R {
    // torch.tensor([1.5, float('nan'), float('inf'), -float('inf')])
    let t = Tensor::new([1.5f32, f32::NAN, f32::INFINITY, f32::NEG_INFINITY], CPU)?;
    assert_eq!(t.to_string(), "tensor([1.5000,    nan,    inf,   -inf])");
    Ok(())
}

#[test]
fn nan_inf_int_mode() -> R {
    // torch.tensor([1., float('nan'), -float('inf'), 2.])
    let t = Tensor::new([1f32, f32::NAN, f32::NEG_INFINITY, 2.], CPU)?;
    assert_eq!(t.to_string(), "tensor([1., nan, -inf, 2.])");
    Ok(())
}

#[test]
fn nan_inf_sci() -> R {
    // torch.tensor([1e-6, float('nan'), float('inf')])
    let t = Tensor::new([1e-6f32, f32::NAN, f32::INFINITY], CPU)?;
    assert_eq!(t.to_string(), "tensor([1.0000e-06,        nan,        inf])");
    Ok(())
}

#[test]
fn only_nonfinite() -> R {
    // torch.tensor([float('nan'), float('inf'), 0.])
    let t = Tensor::new([f32::NAN, f32::INFINITY, 0.], CPU)?;
    assert_eq!(t.to_string(), "tensor([nan, inf, 0.])");
    Ok(())
}

#[test]
fn zeros_float() -> R {
    // torch.zeros(3)
    let t = Tensor::zeros([3], DType::F32, CPU)?;
    assert_eq!(t.to_string(), "tensor([0., 0., 0.])");
    Ok(())
}

#[test]
fn negative_zero_int_mode() -> R {
    // torch.tensor([-0.0, 1.0])
    let t = Tensor::new([-0.0f32, 1.0], CPU)?;
    assert_eq!(t.to_string(), "tensor([-0., 1.])");
    Ok(())
}

#[test]
fn negative_zero_fixed() -> R {
    // torch.tensor([-0.0, 1.5])
    let t = Tensor::new([-0.0f32, 1.5], CPU)?;
    assert_eq!(t.to_string(), "tensor([-0.0000, 1.5000])");
    Ok(())
}

#[test]
fn negative_zero_sci() -> R {
    // torch.tensor([-0.0, 1e-5])
    let t = Tensor::new([-0.0f32, 1e-5], CPU)?;
    assert_eq!(t.to_string(), "tensor([-0.0000e+00, 1.0000e-05])");
    Ok(())
}

#[test]
fn wrap_1d_float() -> R {
    // torch.arange(30.) * 1.5
    let t = Tensor::arange(0.0, 30.0, 1.0, CPU)?.mul(1.5)?;
    assert_eq!(t.to_string(), "tensor([ 0.0000,  1.5000,  3.0000,  4.5000,  6.0000,  7.5000,  9.0000, 10.5000,\n        12.0000, 13.5000, 15.0000, 16.5000, 18.0000, 19.5000, 21.0000, 22.5000,\n        24.0000, 25.5000, 27.0000, 28.5000, 30.0000, 31.5000, 33.0000, 34.5000,\n        36.0000, 37.5000, 39.0000, 40.5000, 42.0000, 43.5000])");
    Ok(())
}

#[test]
fn wrap_1d_int() -> R {
    // torch.arange(100)
    let t = Tensor::arange(0i64, 100i64, 1i64, CPU)?;
    assert_eq!(t.to_string(), "tensor([ 0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14, 15, 16, 17,\n        18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35,\n        36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53,\n        54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71,\n        72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89,\n        90, 91, 92, 93, 94, 95, 96, 97, 98, 99])");
    Ok(())
}

#[test]
fn three_d() -> R {
    // torch.arange(24.).view(2, 3, 4)
    let t = Tensor::arange(0.0, 24.0, 1.0, CPU)?.view(&[2, 3, 4])?;
    assert_eq!(t.to_string(), "tensor([[[ 0.,  1.,  2.,  3.],\n         [ 4.,  5.,  6.,  7.],\n         [ 8.,  9., 10., 11.]],\n\n        [[12., 13., 14., 15.],\n         [16., 17., 18., 19.],\n         [20., 21., 22., 23.]]])");
    Ok(())
}

#[test]
fn four_d_int() -> R {
    // torch.arange(16).view(2, 2, 2, 2)
    let t = Tensor::arange(0i64, 16i64, 1i64, CPU)?.view(&[2, 2, 2, 2])?;
    assert_eq!(t.to_string(), "tensor([[[[ 0,  1],\n          [ 2,  3]],\n\n         [[ 4,  5],\n          [ 6,  7]]],\n\n\n        [[[ 8,  9],\n          [10, 11]],\n\n         [[12, 13],\n          [14, 15]]]])");
    Ok(())
}

#[test]
fn transposed() -> R {
    // torch.arange(6.).view(2, 3).t()
    let t = Tensor::arange(0.0, 6.0, 1.0, CPU)?.view(&[2, 3])?.t()?;
    assert_eq!(t.to_string(), "tensor([[0., 3.],\n        [1., 4.],\n        [2., 5.]])");
    Ok(())
}

#[test]
fn expanded() -> R {
    // torch.tensor([1.5, 2.]).expand(3, 2)
    let t = Tensor::new([1.5f32, 2.], CPU)?.expand(&[3, 2])?;
    assert_eq!(t.to_string(), "tensor([[1.5000, 2.0000],\n        [1.5000, 2.0000],\n        [1.5000, 2.0000]])");
    Ok(())
}

#[test]
fn wide_rows_2d() -> R {
    // torch.arange(40.).view(2, 20) * 1.25
    let t = Tensor::arange(0.0, 40.0, 1.0, CPU)?.view(&[2, 20])?.mul(1.25)?;
    assert_eq!(t.to_string(), "tensor([[ 0.0000,  1.2500,  2.5000,  3.7500,  5.0000,  6.2500,  7.5000,  8.7500,\n         10.0000, 11.2500, 12.5000, 13.7500, 15.0000, 16.2500, 17.5000, 18.7500,\n         20.0000, 21.2500, 22.5000, 23.7500],\n        [25.0000, 26.2500, 27.5000, 28.7500, 30.0000, 31.2500, 32.5000, 33.7500,\n         35.0000, 36.2500, 37.5000, 38.7500, 40.0000, 41.2500, 42.5000, 43.7500,\n         45.0000, 46.2500, 47.5000, 48.7500]])");
    Ok(())
}

#[test]
fn summarised_1d_int() -> R {
    // torch.arange(1500)
    let t = Tensor::arange(0i64, 1500i64, 1i64, CPU)?;
    assert_eq!(t.to_string(), "tensor([   0,    1,    2,  ..., 1497, 1498, 1499])");
    Ok(())
}

#[test]
fn summarised_1d_float() -> R {
    // torch.arange(1001.) * 0.25
    let t = Tensor::arange(0.0, 1001.0, 1.0, CPU)?.mul(0.25)?;
    assert_eq!(t.to_string(), "tensor([  0.0000,   0.2500,   0.5000,  ..., 249.5000, 249.7500, 250.0000])");
    Ok(())
}

#[test]
fn summarised_2d() -> R {
    // torch.arange(2000.).view(40, 50)
    let t = Tensor::arange(0.0, 2000.0, 1.0, CPU)?.view(&[40, 50])?;
    assert_eq!(t.to_string(), "tensor([[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 4.7000e+01, 4.8000e+01,\n         4.9000e+01],\n        [5.0000e+01, 5.1000e+01, 5.2000e+01,  ..., 9.7000e+01, 9.8000e+01,\n         9.9000e+01],\n        [1.0000e+02, 1.0100e+02, 1.0200e+02,  ..., 1.4700e+02, 1.4800e+02,\n         1.4900e+02],\n        ...,\n        [1.8500e+03, 1.8510e+03, 1.8520e+03,  ..., 1.8970e+03, 1.8980e+03,\n         1.8990e+03],\n        [1.9000e+03, 1.9010e+03, 1.9020e+03,  ..., 1.9470e+03, 1.9480e+03,\n         1.9490e+03],\n        [1.9500e+03, 1.9510e+03, 1.9520e+03,  ..., 1.9970e+03, 1.9980e+03,\n         1.9990e+03]])");
    Ok(())
}

#[test]
fn summarised_2d_short_dim() -> R {
    // torch.arange(3000.).view(3, 1000)
    let t = Tensor::arange(0.0, 3000.0, 1.0, CPU)?.view(&[3, 1000])?;
    assert_eq!(t.to_string(), "tensor([[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 9.9700e+02, 9.9800e+02,\n         9.9900e+02],\n        [1.0000e+03, 1.0010e+03, 1.0020e+03,  ..., 1.9970e+03, 1.9980e+03,\n         1.9990e+03],\n        [2.0000e+03, 2.0010e+03, 2.0020e+03,  ..., 2.9970e+03, 2.9980e+03,\n         2.9990e+03]])");
    Ok(())
}

#[test]
fn summarised_2d_int() -> R {
    // torch.arange(1100).view(11, 100)
    let t = Tensor::arange(0i64, 1100i64, 1i64, CPU)?.view(&[11, 100])?;
    assert_eq!(t.to_string(), "tensor([[   0,    1,    2,  ...,   97,   98,   99],\n        [ 100,  101,  102,  ...,  197,  198,  199],\n        [ 200,  201,  202,  ...,  297,  298,  299],\n        ...,\n        [ 800,  801,  802,  ...,  897,  898,  899],\n        [ 900,  901,  902,  ...,  997,  998,  999],\n        [1000, 1001, 1002,  ..., 1097, 1098, 1099]])");
    Ok(())
}

#[test]
fn summarised_3d() -> R {
    // torch.arange(8000.).view(20, 20, 20)
    let t = Tensor::arange(0.0, 8000.0, 1.0, CPU)?.view(&[20, 20, 20])?;
    assert_eq!(t.to_string(), "tensor([[[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.7000e+01,\n          1.8000e+01, 1.9000e+01],\n         [2.0000e+01, 2.1000e+01, 2.2000e+01,  ..., 3.7000e+01,\n          3.8000e+01, 3.9000e+01],\n         [4.0000e+01, 4.1000e+01, 4.2000e+01,  ..., 5.7000e+01,\n          5.8000e+01, 5.9000e+01],\n         ...,\n         [3.4000e+02, 3.4100e+02, 3.4200e+02,  ..., 3.5700e+02,\n          3.5800e+02, 3.5900e+02],\n         [3.6000e+02, 3.6100e+02, 3.6200e+02,  ..., 3.7700e+02,\n          3.7800e+02, 3.7900e+02],\n         [3.8000e+02, 3.8100e+02, 3.8200e+02,  ..., 3.9700e+02,\n          3.9800e+02, 3.9900e+02]],\n\n        [[4.0000e+02, 4.0100e+02, 4.0200e+02,  ..., 4.1700e+02,\n          4.1800e+02, 4.1900e+02],\n         [4.2000e+02, 4.2100e+02, 4.2200e+02,  ..., 4.3700e+02,\n          4.3800e+02, 4.3900e+02],\n         [4.4000e+02, 4.4100e+02, 4.4200e+02,  ..., 4.5700e+02,\n          4.5800e+02, 4.5900e+02],\n         ...,\n         [7.4000e+02, 7.4100e+02, 7.4200e+02,  ..., 7.5700e+02,\n          7.5800e+02, 7.5900e+02],\n         [7.6000e+02, 7.6100e+02, 7.6200e+02,  ..., 7.7700e+02,\n          7.7800e+02, 7.7900e+02],\n         [7.8000e+02, 7.8100e+02, 7.8200e+02,  ..., 7.9700e+02,\n          7.9800e+02, 7.9900e+02]],\n\n        [[8.0000e+02, 8.0100e+02, 8.0200e+02,  ..., 8.1700e+02,\n          8.1800e+02, 8.1900e+02],\n         [8.2000e+02, 8.2100e+02, 8.2200e+02,  ..., 8.3700e+02,\n          8.3800e+02, 8.3900e+02],\n         [8.4000e+02, 8.4100e+02, 8.4200e+02,  ..., 8.5700e+02,\n          8.5800e+02, 8.5900e+02],\n         ...,\n         [1.1400e+03, 1.1410e+03, 1.1420e+03,  ..., 1.1570e+03,\n          1.1580e+03, 1.1590e+03],\n         [1.1600e+03, 1.1610e+03, 1.1620e+03,  ..., 1.1770e+03,\n          1.1780e+03, 1.1790e+03],\n         [1.1800e+03, 1.1810e+03, 1.1820e+03,  ..., 1.1970e+03,\n          1.1980e+03, 1.1990e+03]],\n\n        ...,\n\n        [[6.8000e+03, 6.8010e+03, 6.8020e+03,  ..., 6.8170e+03,\n          6.8180e+03, 6.8190e+03],\n         [6.8200e+03, 6.8210e+03, 6.8220e+03,  ..., 6.8370e+03,\n          6.8380e+03, 6.8390e+03],\n         [6.8400e+03, 6.8410e+03, 6.8420e+03,  ..., 6.8570e+03,\n          6.8580e+03, 6.8590e+03],\n         ...,\n         [7.1400e+03, 7.1410e+03, 7.1420e+03,  ..., 7.1570e+03,\n          7.1580e+03, 7.1590e+03],\n         [7.1600e+03, 7.1610e+03, 7.1620e+03,  ..., 7.1770e+03,\n          7.1780e+03, 7.1790e+03],\n         [7.1800e+03, 7.1810e+03, 7.1820e+03,  ..., 7.1970e+03,\n          7.1980e+03, 7.1990e+03]],\n\n        [[7.2000e+03, 7.2010e+03, 7.2020e+03,  ..., 7.2170e+03,\n          7.2180e+03, 7.2190e+03],\n         [7.2200e+03, 7.2210e+03, 7.2220e+03,  ..., 7.2370e+03,\n          7.2380e+03, 7.2390e+03],\n         [7.2400e+03, 7.2410e+03, 7.2420e+03,  ..., 7.2570e+03,\n          7.2580e+03, 7.2590e+03],\n         ...,\n         [7.5400e+03, 7.5410e+03, 7.5420e+03,  ..., 7.5570e+03,\n          7.5580e+03, 7.5590e+03],\n         [7.5600e+03, 7.5610e+03, 7.5620e+03,  ..., 7.5770e+03,\n          7.5780e+03, 7.5790e+03],\n         [7.5800e+03, 7.5810e+03, 7.5820e+03,  ..., 7.5970e+03,\n          7.5980e+03, 7.5990e+03]],\n\n        [[7.6000e+03, 7.6010e+03, 7.6020e+03,  ..., 7.6170e+03,\n          7.6180e+03, 7.6190e+03],\n         [7.6200e+03, 7.6210e+03, 7.6220e+03,  ..., 7.6370e+03,\n          7.6380e+03, 7.6390e+03],\n         [7.6400e+03, 7.6410e+03, 7.6420e+03,  ..., 7.6570e+03,\n          7.6580e+03, 7.6590e+03],\n         ...,\n         [7.9400e+03, 7.9410e+03, 7.9420e+03,  ..., 7.9570e+03,\n          7.9580e+03, 7.9590e+03],\n         [7.9600e+03, 7.9610e+03, 7.9620e+03,  ..., 7.9770e+03,\n          7.9780e+03, 7.9790e+03],\n         [7.9800e+03, 7.9810e+03, 7.9820e+03,  ..., 7.9970e+03,\n          7.9980e+03, 7.9990e+03]]])");
    Ok(())
}

#[test]
fn summarised_transposed() -> R {
    // torch.arange(2000.).view(40, 50).t()
    let t = Tensor::arange(0.0, 2000.0, 1.0, CPU)?.view(&[40, 50])?.t()?;
    assert_eq!(t.to_string(), "tensor([[0.0000e+00, 5.0000e+01, 1.0000e+02,  ..., 1.8500e+03, 1.9000e+03,\n         1.9500e+03],\n        [1.0000e+00, 5.1000e+01, 1.0100e+02,  ..., 1.8510e+03, 1.9010e+03,\n         1.9510e+03],\n        [2.0000e+00, 5.2000e+01, 1.0200e+02,  ..., 1.8520e+03, 1.9020e+03,\n         1.9520e+03],\n        ...,\n        [4.7000e+01, 9.7000e+01, 1.4700e+02,  ..., 1.8970e+03, 1.9470e+03,\n         1.9970e+03],\n        [4.8000e+01, 9.8000e+01, 1.4800e+02,  ..., 1.8980e+03, 1.9480e+03,\n         1.9980e+03],\n        [4.9000e+01, 9.9000e+01, 1.4900e+02,  ..., 1.8990e+03, 1.9490e+03,\n         1.9990e+03]])");
    Ok(())
}

#[test]
fn summarised_formatter_ignores_middle() -> R {
    // torch.ones(1001).index_fill_(0, torch.tensor([500]), 12345.5)
    let t = {
        let mut v = vec![1f32; 1001];
        v[500] = 12345.5;
        Tensor::from_vec(v, [1001])?
    };
    assert_eq!(t.to_string(), "tensor([1., 1., 1.,  ..., 1., 1., 1.])");
    Ok(())
}

#[test]
fn int_negative_2d() -> R {
    // torch.tensor([[-1, 20], [300, -4000]])
    let t = Tensor::new([[-1i64, 20], [300, -4000]], CPU)?;
    assert_eq!(t.to_string(), "tensor([[   -1,    20],\n        [  300, -4000]])");
    Ok(())
}

#[test]
fn int_extremes() -> R {
    // torch.tensor([2**62, -5])
    let t = Tensor::new([1i64 << 62, -5], CPU)?;
    assert_eq!(t.to_string(), "tensor([4611686018427387904,                  -5])");
    Ok(())
}

#[test]
fn int32_suffix() -> R {
    // torch.tensor([1, 2], dtype=torch.int32)
    let t = Tensor::new([1i32, 2], CPU)?;
    assert_eq!(t.to_string(), "tensor([1, 2], dtype=torch.int32)");
    Ok(())
}

#[test]
fn uint8_suffix() -> R {
    // torch.tensor([1, 255], dtype=torch.uint8)
    let t = Tensor::new([1u8, 255], CPU)?;
    assert_eq!(t.to_string(), "tensor([  1, 255], dtype=torch.uint8)");
    Ok(())
}

#[test]
fn bool_1d() -> R {
    // torch.tensor([True, False])
    let t = Tensor::new([true, false], CPU)?;
    assert_eq!(t.to_string(), "tensor([ True, False])");
    Ok(())
}

#[test]
fn bool_2d() -> R {
    // torch.tensor([[True], [False]])
    let t = Tensor::new([[true], [false]], CPU)?;
    assert_eq!(t.to_string(), "tensor([[ True],\n        [False]])");
    Ok(())
}

#[test]
fn bool_all_true() -> R {
    // torch.tensor([True, True])
    let t = Tensor::new([true, true], CPU)?;
    assert_eq!(t.to_string(), "tensor([True, True])");
    Ok(())
}

#[test]
fn f64_suffix() -> R {
    // torch.tensor([1.5, 2.5], dtype=torch.float64)
    let t = Tensor::new([1.5f64, 2.5], CPU)?;
    assert_eq!(t.to_string(), "tensor([1.5000, 2.5000], dtype=torch.float64)");
    Ok(())
}

#[test]
fn f16_suffix() -> R {
    // torch.tensor([0.1, 1.5], dtype=torch.float16)
    let t = Tensor::new([0.1f64, 1.5], CPU)?.to_dtype(DType::F16)?;
    assert_eq!(t.to_string(), "tensor([0.1000, 1.5000], dtype=torch.float16)");
    Ok(())
}

#[test]
fn bf16_suffix() -> R {
    // torch.tensor([0.1, 3.0], dtype=torch.bfloat16)
    let t = Tensor::new([0.1f64, 3.0], CPU)?.to_dtype(DType::BF16)?;
    assert_eq!(t.to_string(), "tensor([0.1001, 3.0000], dtype=torch.bfloat16)");
    Ok(())
}

#[test]
fn f16_int_mode() -> R {
    // torch.tensor([2., 4.], dtype=torch.float16)
    let t = Tensor::new([2f64, 4.], CPU)?.to_dtype(DType::F16)?;
    assert_eq!(t.to_string(), "tensor([2., 4.], dtype=torch.float16)");
    Ok(())
}

#[test]
fn scalar_float_int_mode() -> R {
    // torch.tensor(27.)
    let t = Tensor::new(27f32, CPU)?;
    assert_eq!(t.to_string(), "tensor(27.)");
    Ok(())
}

#[test]
fn scalar_long() -> R {
    // torch.tensor(5)
    let t = Tensor::new(5i64, CPU)?;
    assert_eq!(t.to_string(), "tensor(5)");
    Ok(())
}

#[test]
fn scalar_bool() -> R {
    // torch.tensor(True)
    let t = Tensor::new(true, CPU)?;
    assert_eq!(t.to_string(), "tensor(True)");
    Ok(())
}

#[test]
fn scalar_fixed() -> R {
    // torch.tensor(0.5)
    let t = Tensor::new(0.5f32, CPU)?;
    assert_eq!(t.to_string(), "tensor(0.5000)");
    Ok(())
}

#[test]
fn scalar_sci() -> R {
    // torch.tensor(1e-5)
    let t = Tensor::new(1e-5f32, CPU)?;
    assert_eq!(t.to_string(), "tensor(1.0000e-05)");
    Ok(())
}

#[test]
fn scalar_f64() -> R {
    // torch.tensor(2.5, dtype=torch.float64)
    let t = Tensor::new(2.5f64, CPU)?;
    assert_eq!(t.to_string(), "tensor(2.5000, dtype=torch.float64)");
    Ok(())
}

#[test]
fn scalar_nan() -> R {
    // torch.tensor(float('nan'))
    let t = Tensor::new(f32::NAN, CPU)?;
    assert_eq!(t.to_string(), "tensor(nan)");
    Ok(())
}

#[test]
fn scalar_negative_zero() -> R {
    // torch.tensor(-0.0)
    let t = Tensor::new(-0.0f32, CPU)?;
    assert_eq!(t.to_string(), "tensor(-0.)");
    Ok(())
}

#[test]
fn empty_1d() -> R {
    // torch.tensor([])
    let t = Tensor::zeros([0], DType::F32, CPU)?;
    assert_eq!(t.to_string(), "tensor([])");
    Ok(())
}

#[test]
fn empty_2d() -> R {
    // torch.zeros(0, 3)
    let t = Tensor::zeros([0, 3], DType::F32, CPU)?;
    assert_eq!(t.to_string(), "tensor([], size=(0, 3))");
    Ok(())
}

#[test]
fn empty_long() -> R {
    // torch.zeros(0, dtype=torch.long)
    let t = Tensor::zeros([0], DType::I64, CPU)?;
    assert_eq!(t.to_string(), "tensor([], dtype=torch.int64)");
    Ok(())
}

#[test]
fn empty_bool() -> R {
    // torch.zeros(0, dtype=torch.bool)
    let t = Tensor::zeros([0], DType::Bool, CPU)?;
    assert_eq!(t.to_string(), "tensor([], dtype=torch.bool)");
    Ok(())
}

#[test]
fn empty_3d_f64() -> R {
    // torch.zeros(2, 0, 3, dtype=torch.float64)
    let t = Tensor::zeros([2, 0, 3], DType::F64, CPU)?;
    assert_eq!(t.to_string(), "tensor([], size=(2, 0, 3), dtype=torch.float64)");
    Ok(())
}

#[test]
fn empty_with_grad() -> R {
    // torch.zeros(0, 3, requires_grad=True)
    let t = Tensor::zeros([0, 3], DType::F32, CPU)?;
    assert_eq!(with_suffixes(&t, &["requires_grad=True"]), "tensor([], size=(0, 3), requires_grad=True)");
    Ok(())
}

#[test]
fn suffix_moves_to_new_line() -> R {
    // torch.ones(9, requires_grad=True) * 1.5
    let t = Tensor::full([9], 1.5, DType::F32, CPU)?;
    assert_eq!(with_suffixes(&t, &["grad_fn=<MulBackward0>"]), "tensor([1.5000, 1.5000, 1.5000, 1.5000, 1.5000, 1.5000, 1.5000, 1.5000, 1.5000],\n       grad_fn=<MulBackward0>)");
    Ok(())
}

#[test]
fn suffix_fits_on_line() -> R {
    // torch.ones(8, requires_grad=True) * 1.5
    let t = Tensor::full([8], 1.5, DType::F32, CPU)?;
    assert_eq!(
        with_suffixes(&t, &["grad_fn=<MulBackward0>"]),
        "tensor([1.5000, 1.5000, 1.5000, 1.5000, 1.5000, 1.5000, 1.5000, 1.5000],\n       grad_fn=<MulBackward0>)"
    );
    Ok(())
}

#[test]
fn suffix_dtype_and_grad_wrap() -> R {
    // torch.ones(9, dtype=torch.float64, requires_grad=True) * 1.5
    let t = Tensor::full([9], 1.5, DType::F64, CPU)?;
    assert_eq!(with_suffixes(&t, &["grad_fn=<MulBackward0>"]), "tensor([1.5000, 1.5000, 1.5000, 1.5000, 1.5000, 1.5000, 1.5000, 1.5000, 1.5000],\n       dtype=torch.float64, grad_fn=<MulBackward0>)");
    Ok(())
}

#[test]
fn suffix_f64_requires_grad() -> R {
    // torch.ones(2, 2, dtype=torch.float64, requires_grad=True)
    let t = Tensor::ones([2, 2], DType::F64, CPU)?;
    assert_eq!(
        with_suffixes(&t, &["requires_grad=True"]),
        "tensor([[1., 1.],\n        [1., 1.]], dtype=torch.float64, requires_grad=True)"
    );
    Ok(())
}

#[test]
fn suffix_after_multiline() -> R {
    // torch.arange(30., requires_grad=True) * 1.5
    let t = Tensor::arange(0.0, 30.0, 1.0, CPU)?.mul(1.5)?;
    assert_eq!(with_suffixes(&t, &["grad_fn=<MulBackward0>"]), "tensor([ 0.0000,  1.5000,  3.0000,  4.5000,  6.0000,  7.5000,  9.0000, 10.5000,\n        12.0000, 13.5000, 15.0000, 16.5000, 18.0000, 19.5000, 21.0000, 22.5000,\n        24.0000, 25.5000, 27.0000, 28.5000, 30.0000, 31.5000, 33.0000, 34.5000,\n        36.0000, 37.5000, 39.0000, 40.5000, 42.0000, 43.5000],\n       grad_fn=<MulBackward0>)");
    Ok(())
}

#[test]
fn opts_threshold_5() -> R {
    // torch.arange(10)  # set_printoptions(threshold=5)
    let t = Tensor::arange(0i64, 10i64, 1i64, CPU)?;
    let opts = PrintOptions { threshold: 5, ..Default::default() };
    assert_eq!(t.format_with_options(&opts, &[]), "tensor([0, 1, 2,  ..., 7, 8, 9])");
    Ok(())
}

#[test]
fn opts_precision_2() -> R {
    // torch.tensor([1.12345, 2.5])  # set_printoptions(precision=2)
    let t = Tensor::new([1.12345f32, 2.5], CPU)?;
    let opts = PrintOptions { precision: 2, ..Default::default() };
    assert_eq!(t.format_with_options(&opts, &[]), "tensor([1.12, 2.50])");
    Ok(())
}

#[test]
fn opts_sci_off() -> R {
    // torch.tensor([1e-5, 1.0])  # set_printoptions(sci_mode=False)
    let t = Tensor::new([1e-5f32, 1.0], CPU)?;
    let opts = PrintOptions { sci_mode: Some(false), ..Default::default() };
    assert_eq!(t.format_with_options(&opts, &[]), "tensor([0.0000, 1.0000])");
    Ok(())
}

#[test]
fn opts_sci_on_int_mode() -> R {
    // torch.tensor([1., 2.])  # set_printoptions(sci_mode=True)
    let t = Tensor::new([1f32, 2.], CPU)?;
    let opts = PrintOptions { sci_mode: Some(true), ..Default::default() };
    assert_eq!(t.format_with_options(&opts, &[]), "tensor([1.0000e+00, 2.0000e+00])");
    Ok(())
}

#[test]
fn opts_sci_on_no_finite() -> R {
    // torch.tensor([0., float('nan')])  # set_printoptions(sci_mode=True)
    let t = Tensor::new([0f32, f32::NAN], CPU)?;
    let opts = PrintOptions { sci_mode: Some(true), ..Default::default() };
    assert_eq!(t.format_with_options(&opts, &[]), "tensor([0., nan])");
    Ok(())
}

#[test]
fn opts_linewidth_30() -> R {
    // torch.arange(12.)  # set_printoptions(linewidth=30)
    let t = Tensor::arange(0.0, 12.0, 1.0, CPU)?;
    let opts = PrintOptions { linewidth: 30, ..Default::default() };
    assert_eq!(
        t.format_with_options(&opts, &[]),
        "tensor([ 0.,  1.,  2.,  3.,\n         4.,  5.,  6.,  7.,\n         8.,  9., 10., 11.])"
    );
    Ok(())
}

#[test]
fn opts_edgeitems_1() -> R {
    // torch.arange(64).view(4, 4, 4)  # set_printoptions(threshold=10, edgeitems=1)
    let t = Tensor::arange(0i64, 64i64, 1i64, CPU)?.view(&[4, 4, 4])?;
    let opts = PrintOptions { threshold: 10, edgeitems: 1, ..Default::default() };
    assert_eq!(t.format_with_options(&opts, &[]), "tensor([[[ 0,  ...,  3],\n         ...,\n         [12,  ..., 15]],\n\n        ...,\n\n        [[48,  ..., 51],\n         ...,\n         [60,  ..., 63]]])");
    Ok(())
}

#[test]
fn opts_edgeitems_0() -> R {
    // torch.arange(20.).view(4, 5)  # set_printoptions(threshold=10, edgeitems=0)
    let t = Tensor::arange(0.0, 20.0, 1.0, CPU)?.view(&[4, 5])?;
    let opts = PrintOptions { threshold: 10, edgeitems: 0, ..Default::default() };
    assert_eq!(t.format_with_options(&opts, &[]), "tensor([...], size=(4, 5))");
    Ok(())
}

#[test]
fn opts_edgeitems_0_1d() -> R {
    // torch.arange(20.)  # set_printoptions(threshold=10, edgeitems=0)
    let t = Tensor::arange(0.0, 20.0, 1.0, CPU)?;
    let opts = PrintOptions { threshold: 10, edgeitems: 0, ..Default::default() };
    assert_eq!(t.format_with_options(&opts, &[]), "tensor([...], size=(20,))");
    Ok(())
}

#[test]
fn opts_full_profile() -> R {
    // torch.arange(1200).view(2, 600)[:, :4]  # set_printoptions(profile='full')
    let t = Tensor::arange(0i64, 1200i64, 1i64, CPU)?.view(&[2, 600])?.narrow(1, 0, 4)?;
    let opts = PrintOptions { threshold: usize::MAX, ..Default::default() };
    assert_eq!(t.format_with_options(&opts, &[]), "tensor([[  0,   1,   2,   3],\n        [600, 601, 602, 603]])");
    Ok(())
}

#[test]
fn summarised_3d_int() -> R {
    // torch.arange(2000).view(10, 10, 20)
    let t = Tensor::arange(0i64, 2000i64, 1i64, CPU)?.view(&[10, 10, 20])?;
    assert_eq!(t.to_string(), "tensor([[[   0,    1,    2,  ...,   17,   18,   19],\n         [  20,   21,   22,  ...,   37,   38,   39],\n         [  40,   41,   42,  ...,   57,   58,   59],\n         ...,\n         [ 140,  141,  142,  ...,  157,  158,  159],\n         [ 160,  161,  162,  ...,  177,  178,  179],\n         [ 180,  181,  182,  ...,  197,  198,  199]],\n\n        [[ 200,  201,  202,  ...,  217,  218,  219],\n         [ 220,  221,  222,  ...,  237,  238,  239],\n         [ 240,  241,  242,  ...,  257,  258,  259],\n         ...,\n         [ 340,  341,  342,  ...,  357,  358,  359],\n         [ 360,  361,  362,  ...,  377,  378,  379],\n         [ 380,  381,  382,  ...,  397,  398,  399]],\n\n        [[ 400,  401,  402,  ...,  417,  418,  419],\n         [ 420,  421,  422,  ...,  437,  438,  439],\n         [ 440,  441,  442,  ...,  457,  458,  459],\n         ...,\n         [ 540,  541,  542,  ...,  557,  558,  559],\n         [ 560,  561,  562,  ...,  577,  578,  579],\n         [ 580,  581,  582,  ...,  597,  598,  599]],\n\n        ...,\n\n        [[1400, 1401, 1402,  ..., 1417, 1418, 1419],\n         [1420, 1421, 1422,  ..., 1437, 1438, 1439],\n         [1440, 1441, 1442,  ..., 1457, 1458, 1459],\n         ...,\n         [1540, 1541, 1542,  ..., 1557, 1558, 1559],\n         [1560, 1561, 1562,  ..., 1577, 1578, 1579],\n         [1580, 1581, 1582,  ..., 1597, 1598, 1599]],\n\n        [[1600, 1601, 1602,  ..., 1617, 1618, 1619],\n         [1620, 1621, 1622,  ..., 1637, 1638, 1639],\n         [1640, 1641, 1642,  ..., 1657, 1658, 1659],\n         ...,\n         [1740, 1741, 1742,  ..., 1757, 1758, 1759],\n         [1760, 1761, 1762,  ..., 1777, 1778, 1779],\n         [1780, 1781, 1782,  ..., 1797, 1798, 1799]],\n\n        [[1800, 1801, 1802,  ..., 1817, 1818, 1819],\n         [1820, 1821, 1822,  ..., 1837, 1838, 1839],\n         [1840, 1841, 1842,  ..., 1857, 1858, 1859],\n         ...,\n         [1940, 1941, 1942,  ..., 1957, 1958, 1959],\n         [1960, 1961, 1962,  ..., 1977, 1978, 1979],\n         [1980, 1981, 1982,  ..., 1997, 1998, 1999]]])");
    Ok(())
}

#[test]
fn summarised_1d_negative_ints() -> R {
    // torch.arange(-1000, 1000)
    let t = Tensor::arange(-1000i64, 1000i64, 1i64, CPU)?;
    assert_eq!(t.to_string(), "tensor([-1000,  -999,  -998,  ...,   997,   998,   999])");
    Ok(())
}

#[test]
fn summarised_bool() -> R {
    // torch.arange(2000) % 3 == 0
    let t = Tensor::arange(0i64, 2000i64, 1i64, CPU)?.remainder(3)?.eq(0)?;
    assert_eq!(t.to_string(), "tensor([ True, False, False,  ..., False,  True, False])");
    Ok(())
}

#[test]
fn summarised_f64_with_grad_fn() -> R {
    // torch.arange(2000., dtype=torch.float64, requires_grad=True).view(40, 50) * 1
    let t = Tensor::arange_dtype(0.0, 2000.0, 1.0, DType::F64, CPU)?.view(&[40, 50])?;
    assert_eq!(with_suffixes(&t, &["grad_fn=<MulBackward0>"]), "tensor([[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 4.7000e+01, 4.8000e+01,\n         4.9000e+01],\n        [5.0000e+01, 5.1000e+01, 5.2000e+01,  ..., 9.7000e+01, 9.8000e+01,\n         9.9000e+01],\n        [1.0000e+02, 1.0100e+02, 1.0200e+02,  ..., 1.4700e+02, 1.4800e+02,\n         1.4900e+02],\n        ...,\n        [1.8500e+03, 1.8510e+03, 1.8520e+03,  ..., 1.8970e+03, 1.8980e+03,\n         1.8990e+03],\n        [1.9000e+03, 1.9010e+03, 1.9020e+03,  ..., 1.9470e+03, 1.9480e+03,\n         1.9490e+03],\n        [1.9500e+03, 1.9510e+03, 1.9520e+03,  ..., 1.9970e+03, 1.9980e+03,\n         1.9990e+03]], dtype=torch.float64, grad_fn=<MulBackward0>)");
    Ok(())
}

#[test]
fn f16_sci() -> R {
    // torch.tensor([1e-3, 60000.], dtype=torch.float16)
    let t = Tensor::new([1e-3f64, 60000.], CPU)?.to_dtype(DType::F16)?;
    assert_eq!(t.to_string(), "tensor([1.0004e-03, 6.0000e+04], dtype=torch.float16)");
    Ok(())
}

#[test]
fn bf16_sci_int_mode() -> R {
    // torch.tensor([256., 1e9], dtype=torch.bfloat16)
    let t = Tensor::new([256f64, 1e9], CPU)?.to_dtype(DType::BF16)?;
    assert_eq!(t.to_string(), "tensor([2.5600e+02, 9.9824e+08], dtype=torch.bfloat16)");
    Ok(())
}

#[test]
fn sci_negative_int_mode() -> R {
    // torch.tensor([-1e9, 5.])
    let t = Tensor::new([-1e9f32, 5.], CPU)?;
    assert_eq!(t.to_string(), "tensor([-1.0000e+09,  5.0000e+00])");
    Ok(())
}

#[test]
fn scalar_requires_grad() -> R {
    // torch.tensor(0.5, requires_grad=True)
    let t = Tensor::new(0.5f32, CPU)?;
    assert_eq!(with_suffixes(&t, &["requires_grad=True"]), "tensor(0.5000, requires_grad=True)");
    Ok(())
}

#[test]
fn scalar_int32() -> R {
    // torch.tensor(7, dtype=torch.int32)
    let t = Tensor::new(7i32, CPU)?;
    assert_eq!(t.to_string(), "tensor(7, dtype=torch.int32)");
    Ok(())
}

#[test]
fn narrowed_3d_blank_lines() -> R {
    // torch.arange(60.).view(3, 4, 5)[:, 1:3, ::2]
    let t = Tensor::arange(0.0, 60.0, 1.0, CPU)?.view(&[3, 4, 5])?.narrow(1, 1, 2)?.slice(2, None, None, 2)?;
    assert_eq!(t.to_string(), "tensor([[[ 5.,  7.,  9.],\n         [10., 12., 14.]],\n\n        [[25., 27., 29.],\n         [30., 32., 34.]],\n\n        [[45., 47., 49.],\n         [50., 52., 54.]]])");
    Ok(())
}
