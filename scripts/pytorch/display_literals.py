# Generates crates/tensor-core/tests/display.rs: each literal is what this PyTorch prints.
import torch, math, sys, json

DEFAULT = dict(precision=4, threshold=1000, edgeitems=3, linewidth=80, sci_mode=None)

# (name, python expression, rust expression, suffixes, options)
C = []
def case(name, py, rs, sfx=None, opts=None):
    C.append((name, py, rs, sfx, opts))

# ---- the seed's tensors (expected_output.txt) ----
case("seed_zeros_long", "torch.zeros(5, 3, dtype=torch.long)", "Tensor::zeros([5, 3], DType::I64, CPU)?")
case("seed_tensor_literal", "torch.tensor([5.5, 3])", "Tensor::new([5.5f32, 3.0], CPU)?")
case("seed_new_ones_double", "torch.ones(5, 3, dtype=torch.double)", "Tensor::ones([5, 3], DType::F64, CPU)?")
case("seed_add", "torch.ones(5, 3) + torch.ones(5, 3) * 2", "Tensor::ones([5, 3], DType::F32, CPU)?.add(&Tensor::full([5, 3], 2.0, DType::F32, CPU)?)?")
case("seed_view_z", "torch.arange(16.).reshape(4, 4).view(-1, 8)", "Tensor::arange(0.0, 16.0, 1.0, CPU)?.view(&[4, 4])?.view(&[-1, 8])?")
case("seed_index_col", "torch.arange(16.).reshape(4, 4)[:, 1]", "Tensor::arange(0.0, 16.0, 1.0, CPU)?.view(&[4, 4])?.select(1, 1)?")
case("seed_numpy_shared_a", "torch.ones(5).add_(1)", "Tensor::full([5], 2.0, DType::F32, CPU)?")
case("seed_from_numpy_b", "torch.from_numpy(np.ones(5) + 1)", "Tensor::full([5], 2.0, DType::F64, CPU)?")
case("seed_requires_grad", "torch.ones(2, 2, requires_grad=True)", "Tensor::ones([2, 2], DType::F32, CPU)?", ["requires_grad=True"])
case("seed_y", "torch.ones(2, 2, requires_grad=True) + 2", "Tensor::full([2, 2], 3.0, DType::F32, CPU)?", ["grad_fn=<AddBackward0>"])
case("seed_z", "(torch.ones(2, 2, requires_grad=True) + 2) ** 2 * 3", "Tensor::full([2, 2], 27.0, DType::F32, CPU)?", ["grad_fn=<MulBackward0>"])
case("seed_out", "((torch.ones(2, 2, requires_grad=True) + 2) ** 2 * 3).mean()", "Tensor::new(27f32, CPU)?", ["grad_fn=<MeanBackward0>"])
case("seed_x_grad", "torch.full((2, 2), 4.5)", "Tensor::full([2, 2], 4.5, DType::F32, CPU)?")
case("seed_y_doubled", "torch.tensor([0.5, -1.0, 2.0], requires_grad=True) * 512", "Tensor::new([256f32, -512., 1024.], CPU)?", ["grad_fn=<MulBackward0>"])
case("seed_x_grad_vec", "torch.tensor([0.1, 1.0, 0.0001]) * 512", "Tensor::new([0.1f32, 1.0, 0.0001], CPU)?.mul(512.0)?")

# ---- float styles ----
case("fixed_negatives", "torch.tensor([-1.5, 2.25, -0.125])", "Tensor::new([-1.5f32, 2.25, -0.125], CPU)?")
case("fixed_mixed_widths_2d", "torch.tensor([[1.5, -100.25], [12.5, 0.75]])", "Tensor::new([[1.5f32, -100.25], [12.5, 0.75]], CPU)?")
case("fixed_rounding", "torch.tensor([1/3, 2/3, 0.12345678])", "Tensor::new([1.0f32 / 3.0, 2.0 / 3.0, 0.12345678], CPU)?")
case("fixed_tie_half_even", "torch.tensor([0.03125, 0.5])", "Tensor::new([0.03125f32, 0.5], CPU)?")
case("int_mode_mixed_widths", "torch.tensor([[1., -20.], [300., 4.]])", "Tensor::new([[1f32, -20.], [300., 4.]], CPU)?")
case("sci_small", "torch.tensor([1e-5, 1.0, 100.0])", "Tensor::new([1e-5f32, 1.0, 100.0], CPU)?")
case("sci_ratio_int_mode", "torch.tensor([1., 2000.])", "Tensor::new([1f32, 2000.], CPU)?")
case("sci_large", "torch.tensor([1e10, 1.0])", "Tensor::new([1e10f32, 1.0], CPU)?")
case("sci_over_1e8", "torch.tensor([1.5e8, 2e8])", "Tensor::new([1.5e8f32, 2e8], CPU)?")
case("sci_negative_widths", "torch.tensor([-1.2345e-7, 3.0e3, 0.0])", "Tensor::new([-1.2345e-7f32, 3.0e3, 0.0], CPU)?")
case("sci_f64_tiny", "torch.tensor([1e-10, 1.0], dtype=torch.float64)", "Tensor::new([1e-10f64, 1.0], CPU)?")
case("sci_f64_huge_exponent", "torch.tensor([1e300, -1e-300], dtype=torch.float64)", "Tensor::new([1e300f64, -1e-300], CPU)?")
case("nan_inf_fixed", "torch.tensor([1.5, float('nan'), float('inf'), -float('inf')])", "Tensor::new([1.5f32, f32::NAN, f32::INFINITY, f32::NEG_INFINITY], CPU)?")
case("nan_inf_int_mode", "torch.tensor([1., float('nan'), -float('inf'), 2.])", "Tensor::new([1f32, f32::NAN, f32::NEG_INFINITY, 2.], CPU)?")
case("nan_inf_sci", "torch.tensor([1e-6, float('nan'), float('inf')])", "Tensor::new([1e-6f32, f32::NAN, f32::INFINITY], CPU)?")
case("only_nonfinite", "torch.tensor([float('nan'), float('inf'), 0.])", "Tensor::new([f32::NAN, f32::INFINITY, 0.], CPU)?")
case("zeros_float", "torch.zeros(3)", "Tensor::zeros([3], DType::F32, CPU)?")
case("negative_zero_int_mode", "torch.tensor([-0.0, 1.0])", "Tensor::new([-0.0f32, 1.0], CPU)?")
case("negative_zero_fixed", "torch.tensor([-0.0, 1.5])", "Tensor::new([-0.0f32, 1.5], CPU)?")
case("negative_zero_sci", "torch.tensor([-0.0, 1e-5])", "Tensor::new([-0.0f32, 1e-5], CPU)?")

# ---- layout ----
case("wrap_1d_float", "torch.arange(30.) * 1.5", "Tensor::arange(0.0, 30.0, 1.0, CPU)?.mul(1.5)?")
case("wrap_1d_int", "torch.arange(100)", "Tensor::arange(0i64, 100i64, 1i64, CPU)?")
case("three_d", "torch.arange(24.).view(2, 3, 4)", "Tensor::arange(0.0, 24.0, 1.0, CPU)?.view(&[2, 3, 4])?")
case("four_d_int", "torch.arange(16).view(2, 2, 2, 2)", "Tensor::arange(0i64, 16i64, 1i64, CPU)?.view(&[2, 2, 2, 2])?")
case("transposed", "torch.arange(6.).view(2, 3).t()", "Tensor::arange(0.0, 6.0, 1.0, CPU)?.view(&[2, 3])?.t()?")
case("expanded", "torch.tensor([1.5, 2.]).expand(3, 2)", "Tensor::new([1.5f32, 2.], CPU)?.expand(&[3, 2])?")
case("wide_rows_2d", "torch.arange(40.).view(2, 20) * 1.25", "Tensor::arange(0.0, 40.0, 1.0, CPU)?.view(&[2, 20])?.mul(1.25)?")

# ---- summarised ----
case("summarised_1d_int", "torch.arange(1500)", "Tensor::arange(0i64, 1500i64, 1i64, CPU)?")
case("summarised_1d_float", "torch.arange(1001.) * 0.25", "Tensor::arange(0.0, 1001.0, 1.0, CPU)?.mul(0.25)?")
case("summarised_2d", "torch.arange(2000.).view(40, 50)", "Tensor::arange(0.0, 2000.0, 1.0, CPU)?.view(&[40, 50])?")
case("summarised_2d_short_dim", "torch.arange(3000.).view(3, 1000)", "Tensor::arange(0.0, 3000.0, 1.0, CPU)?.view(&[3, 1000])?")
case("summarised_2d_int", "torch.arange(1100).view(11, 100)", "Tensor::arange(0i64, 1100i64, 1i64, CPU)?.view(&[11, 100])?")
case("summarised_3d", "torch.arange(8000.).view(20, 20, 20)", "Tensor::arange(0.0, 8000.0, 1.0, CPU)?.view(&[20, 20, 20])?")
case("summarised_transposed", "torch.arange(2000.).view(40, 50).t()", "Tensor::arange(0.0, 2000.0, 1.0, CPU)?.view(&[40, 50])?.t()?")
case("summarised_formatter_ignores_middle", "torch.ones(1001).index_fill_(0, torch.tensor([500]), 12345.5)",
     "{ let mut v = vec![1f32; 1001]; v[500] = 12345.5; Tensor::from_vec(v, [1001])? }")

# ---- integer and bool ----
case("int_negative_2d", "torch.tensor([[-1, 20], [300, -4000]])", "Tensor::new([[-1i64, 20], [300, -4000]], CPU)?")
case("int_extremes", "torch.tensor([2**62, -5])", "Tensor::new([1i64 << 62, -5], CPU)?")
case("int32_suffix", "torch.tensor([1, 2], dtype=torch.int32)", "Tensor::new([1i32, 2], CPU)?")
case("uint8_suffix", "torch.tensor([1, 255], dtype=torch.uint8)", "Tensor::new([1u8, 255], CPU)?")
case("bool_1d", "torch.tensor([True, False])", "Tensor::new([true, false], CPU)?")
case("bool_2d", "torch.tensor([[True], [False]])", "Tensor::new([[true], [false]], CPU)?")
case("bool_all_true", "torch.tensor([True, True])", "Tensor::new([true, true], CPU)?")

# ---- dtypes ----
case("f64_suffix", "torch.tensor([1.5, 2.5], dtype=torch.float64)", "Tensor::new([1.5f64, 2.5], CPU)?")
case("f16_suffix", "torch.tensor([0.1, 1.5], dtype=torch.float16)", "Tensor::new([0.1f64, 1.5], CPU)?.to_dtype(DType::F16)?")
case("bf16_suffix", "torch.tensor([0.1, 3.0], dtype=torch.bfloat16)", "Tensor::new([0.1f64, 3.0], CPU)?.to_dtype(DType::BF16)?")
case("f16_int_mode", "torch.tensor([2., 4.], dtype=torch.float16)", "Tensor::new([2f64, 4.], CPU)?.to_dtype(DType::F16)?")

# ---- 0-d ----
case("scalar_float_int_mode", "torch.tensor(27.)", "Tensor::new(27f32, CPU)?")
case("scalar_long", "torch.tensor(5)", "Tensor::new(5i64, CPU)?")
case("scalar_bool", "torch.tensor(True)", "Tensor::new(true, CPU)?")
case("scalar_fixed", "torch.tensor(0.5)", "Tensor::new(0.5f32, CPU)?")
case("scalar_sci", "torch.tensor(1e-5)", "Tensor::new(1e-5f32, CPU)?")
case("scalar_f64", "torch.tensor(2.5, dtype=torch.float64)", "Tensor::new(2.5f64, CPU)?")
case("scalar_nan", "torch.tensor(float('nan'))", "Tensor::new(f32::NAN, CPU)?")
case("scalar_negative_zero", "torch.tensor(-0.0)", "Tensor::new(-0.0f32, CPU)?")

# ---- empty ----
case("empty_1d", "torch.tensor([])", "Tensor::zeros([0], DType::F32, CPU)?")
case("empty_2d", "torch.zeros(0, 3)", "Tensor::zeros([0, 3], DType::F32, CPU)?")
case("empty_long", "torch.zeros(0, dtype=torch.long)", "Tensor::zeros([0], DType::I64, CPU)?")
case("empty_bool", "torch.zeros(0, dtype=torch.bool)", "Tensor::zeros([0], DType::Bool, CPU)?")
case("empty_3d_f64", "torch.zeros(2, 0, 3, dtype=torch.float64)", "Tensor::zeros([2, 0, 3], DType::F64, CPU)?")
case("empty_with_grad", "torch.zeros(0, 3, requires_grad=True)", "Tensor::zeros([0, 3], DType::F32, CPU)?", ["requires_grad=True"])

# ---- suffixes ----
case("suffix_moves_to_new_line", "torch.ones(9, requires_grad=True) * 1.5", "Tensor::full([9], 1.5, DType::F32, CPU)?", ["grad_fn=<MulBackward0>"])
case("suffix_fits_on_line", "torch.ones(8, requires_grad=True) * 1.5", "Tensor::full([8], 1.5, DType::F32, CPU)?", ["grad_fn=<MulBackward0>"])
case("suffix_dtype_and_grad_wrap", "torch.ones(9, dtype=torch.float64, requires_grad=True) * 1.5", "Tensor::full([9], 1.5, DType::F64, CPU)?", ["grad_fn=<MulBackward0>"])
case("suffix_f64_requires_grad", "torch.ones(2, 2, dtype=torch.float64, requires_grad=True)", "Tensor::ones([2, 2], DType::F64, CPU)?", ["requires_grad=True"])
case("suffix_after_multiline", "torch.arange(30., requires_grad=True) * 1.5", "Tensor::arange(0.0, 30.0, 1.0, CPU)?.mul(1.5)?", ["grad_fn=<MulBackward0>"])

# ---- print options ----
case("opts_threshold_5", "torch.arange(10)  # set_printoptions(threshold=5)", "Tensor::arange(0i64, 10i64, 1i64, CPU)?", None, dict(threshold=5))
case("opts_precision_2", "torch.tensor([1.12345, 2.5])  # set_printoptions(precision=2)", "Tensor::new([1.12345f32, 2.5], CPU)?", None, dict(precision=2))
case("opts_sci_off", "torch.tensor([1e-5, 1.0])  # set_printoptions(sci_mode=False)", "Tensor::new([1e-5f32, 1.0], CPU)?", None, dict(sci_mode=False))
case("opts_sci_on_int_mode", "torch.tensor([1., 2.])  # set_printoptions(sci_mode=True)", "Tensor::new([1f32, 2.], CPU)?", None, dict(sci_mode=True))
case("opts_sci_on_no_finite", "torch.tensor([0., float('nan')])  # set_printoptions(sci_mode=True)", "Tensor::new([0f32, f32::NAN], CPU)?", None, dict(sci_mode=True))
case("opts_linewidth_30", "torch.arange(12.)  # set_printoptions(linewidth=30)", "Tensor::arange(0.0, 12.0, 1.0, CPU)?", None, dict(linewidth=30))
case("opts_edgeitems_1", "torch.arange(64).view(4, 4, 4)  # set_printoptions(threshold=10, edgeitems=1)", "Tensor::arange(0i64, 64i64, 1i64, CPU)?.view(&[4, 4, 4])?", None, dict(threshold=10, edgeitems=1))
case("opts_edgeitems_0", "torch.arange(20.).view(4, 5)  # set_printoptions(threshold=10, edgeitems=0)", "Tensor::arange(0.0, 20.0, 1.0, CPU)?.view(&[4, 5])?", None, dict(threshold=10, edgeitems=0))
case("opts_edgeitems_0_1d", "torch.arange(20.)  # set_printoptions(threshold=10, edgeitems=0)", "Tensor::arange(0.0, 20.0, 1.0, CPU)?", None, dict(threshold=10, edgeitems=0))
case("opts_full_profile", "torch.arange(1200).view(2, 600)[:, :4]  # set_printoptions(profile='full')", "Tensor::arange(0i64, 1200i64, 1i64, CPU)?.view(&[2, 600])?.narrow(1, 0, 4)?", None, dict(threshold=math.inf))


# ---- more ----
case("summarised_3d_int", "torch.arange(2000).view(10, 10, 20)", "Tensor::arange(0i64, 2000i64, 1i64, CPU)?.view(&[10, 10, 20])?")
case("summarised_1d_negative_ints", "torch.arange(-1000, 1000)", "Tensor::arange(-1000i64, 1000i64, 1i64, CPU)?")
case("summarised_bool", "torch.arange(2000) % 3 == 0", "Tensor::arange(0i64, 2000i64, 1i64, CPU)?.remainder(3)?.eq(0)?")
case("summarised_f64_with_grad_fn", "torch.arange(2000., dtype=torch.float64, requires_grad=True).view(40, 50) * 1", "Tensor::arange_dtype(0.0, 2000.0, 1.0, DType::F64, CPU)?.view(&[40, 50])?", ["grad_fn=<MulBackward0>"])
case("f16_sci", "torch.tensor([1e-3, 60000.], dtype=torch.float16)", "Tensor::new([1e-3f64, 60000.], CPU)?.to_dtype(DType::F16)?")
case("bf16_sci_int_mode", "torch.tensor([256., 1e9], dtype=torch.bfloat16)", "Tensor::new([256f64, 1e9], CPU)?.to_dtype(DType::BF16)?")
case("sci_negative_int_mode", "torch.tensor([-1e9, 5.])", "Tensor::new([-1e9f32, 5.], CPU)?")
case("scalar_requires_grad", "torch.tensor(0.5, requires_grad=True)", "Tensor::new(0.5f32, CPU)?", ["requires_grad=True"])
case("scalar_int32", "torch.tensor(7, dtype=torch.int32)", "Tensor::new(7i32, CPU)?")
case("narrowed_3d_blank_lines", "torch.arange(60.).view(3, 4, 5)[:, 1:3, ::2]", "Tensor::arange(0.0, 60.0, 1.0, CPU)?.view(&[3, 4, 5])?.narrow(1, 1, 2)?.slice(2, None, None, 2)?")

import numpy as np

def rs_str(s):
    return '"' + s.replace('\\', '\\\\').replace('"', '\\"').replace('\n', '\\n') + '"'

def py_value(name, py, sfx):
    code = py.split("  #")[0]
    t = eval(code)
    return t

out = []
for name, py, rs, sfx, opts in C:
    o = dict(DEFAULT)
    if opts: o.update(opts)
    torch.set_printoptions(precision=o["precision"], threshold=o["threshold"], edgeitems=o["edgeitems"], linewidth=o["linewidth"], sci_mode=o["sci_mode"])
    s = str(eval(py.split("  #")[0]))
    torch.set_printoptions(profile="default")
    out.append((name, py, rs, sfx, opts, s))

hdr = '''//! `Display` of tensors against PyTorch: every expected literal is what PyTorch {ver} prints
//! (`print(t)`) for the Python snippet in the comment above it. The autograd suffixes
//! (`requires_grad=True`, `grad_fn=<..>`) are passed to `format_with_suffixes` as a higher crate does.
//! Print options are given per call (`format_with_options`), so tests never touch global state.

use tensor_core::{{DType, Device, PrintOptions, Tensor}};

type R = tensor_core::Result<()>;
const CPU: &Device = &Device::Cpu;

fn with_suffixes(t: &Tensor, suffixes: &[&str]) -> String {{
    let s: Vec<String> = suffixes.iter().map(|x| x.to_string()).collect();
    t.format_with_suffixes(&s)
}}
'''.format(ver=torch.__version__.split('+')[0])
body = [hdr]
for name, py, rs, sfx, opts, s in out:
    lines = []
    lines.append("#[test]")
    lines.append(f"fn {name}() -> R {{")
    lines.append(f"    // {py}")
    lines.append(f"    let t = {rs};")
    if opts:
        fields = []
        for k, v in opts.items():
            if k == "sci_mode":
                fields.append(f"sci_mode: Some({'true' if v else 'false'})")
            elif v == math.inf:
                fields.append(f"{k}: usize::MAX")
            else:
                fields.append(f"{k}: {v}")
        lines.append(f"    let opts = PrintOptions {{ {', '.join(fields)}, ..Default::default() }};")
        lines.append(f"    assert_eq!(t.format_with_options(&opts, &[]), {rs_str(s)});")
    elif sfx:
        args = ", ".join(rs_str(x) for x in sfx)
        lines.append(f"    assert_eq!(with_suffixes(&t, &[{args}]), {rs_str(s)});")
    else:
        lines.append(f"    assert_eq!(t.to_string(), {rs_str(s)});")
    lines.append("    Ok(())")
    lines.append("}")
    body.append("\n".join(lines) + "\n")
open(sys.argv[1], "w").write("\n".join(body))
print(len(out), "cases")
