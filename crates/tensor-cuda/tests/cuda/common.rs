//! Helpers of the CUDA test files: the GPU (or a skip), sample data on the CPU, the layouts
//! every op is checked on, and CPU-vs-CUDA comparisons with per-dtype tolerances.
#![allow(dead_code)]

use tensor_core::random::Generator;
use tensor_core::{DType, Device, Tensor};
pub use tensor_cuda::testing::{cuda_or_skip, host_f64, tol};

/// The CPU.
pub fn cpu() -> Device {
    Device::Cpu
}

/// A [6, 8] CPU tensor of `dtype` drawn from `seed`: normals times 3 for floats (with NaN, ±inf,
/// -0.0 and 0 at fixed places when `specials`), rounded normals times 10 for integers
/// (non-negative for uint8), signs of normals for bool.
pub fn sample(dtype: DType, specials: bool, seed: u64) -> Tensor {
    let mut g = Generator::new(seed);
    let n = Tensor::randn_with([6, 8], DType::F64, &cpu(), &mut g).unwrap().mul(3.0).unwrap();
    let mut v = n.to_vec::<f64>().unwrap();
    if specials && dtype.is_float() {
        v[1] = f64::NAN;
        v[10] = f64::INFINITY;
        v[17] = f64::NEG_INFINITY;
        v[20] = -0.0;
        v[33] = 0.0;
    }
    let t = Tensor::from_vec(v, [6, 8]).unwrap();
    match dtype {
        DType::Bool => t.gt(0.0).unwrap(),
        DType::U8 => t.abs().unwrap().mul(10.0).unwrap().round().unwrap().to_dtype(DType::U8).unwrap(),
        d if d.is_int() => t.mul(10.0).unwrap().round().unwrap().to_dtype(d).unwrap(),
        d => t.to_dtype(d).unwrap(),
    }
}

/// The same views of a [6, 8] tensor on either device: contiguous, transposed, sliced with a
/// step, narrowed and transposed, broadcast (stride 0), permuted 3-d, and 0-d.
pub fn views(x: &Tensor) -> Vec<(&'static str, Tensor)> {
    vec![
        ("contiguous", x.shallow_clone()),
        ("transposed", x.t().unwrap()),
        ("sliced", x.slice(1, Some(1), Some(7), 2).unwrap()),
        ("narrowed transposed", x.narrow(0, 1, 4).unwrap().t().unwrap()),
        ("broadcast", x.narrow(0, 2, 1).unwrap().expand(&[5, 8]).unwrap()),
        ("permuted 3-d", x.reshape(&[2, 3, 8]).unwrap().permute(&[2, 0, 1]).unwrap()),
        ("0-d", x.select(0, 2).unwrap().select(0, 3).unwrap()),
    ]
}

/// Asserts that `gpu` (a CUDA tensor) equals `want` (a CPU tensor) within `rtol`/`atol`.
pub fn assert_close_tol(what: &str, want: &Tensor, gpu: &Tensor, rtol: f64, atol: f64) {
    tensor_cuda::testing::assert_close(what, want, gpu, rtol, atol);
}

/// [`assert_close_tol`] with the tolerance of the result's dtype.
pub fn assert_close(what: &str, want: &Tensor, gpu: &Tensor) {
    let (rtol, atol) = tol(want.dtype());
    assert_close_tol(what, want, gpu, rtol, atol);
}

/// Every dtype the CUDA kernels are built for (int8, int16 and uint16/32/64 stay on the host).
pub const ALL: [DType; 8] =
    [DType::Bool, DType::U8, DType::I32, DType::I64, DType::F16, DType::BF16, DType::F32, DType::F64];
/// The float dtypes.
pub const FLOATS: [DType; 4] = [DType::F16, DType::BF16, DType::F32, DType::F64];
/// The integer dtypes.
pub const INTS: [DType; 3] = [DType::U8, DType::I32, DType::I64];
