//! What the fixtures hold: `pattern(dtype, shape)`, the formula of `scripts/python/io_fixtures.py`
//! (element i, row-major):
//!
//! | dtype | value |
//! |---|---|
//! | bool | `i % 3 == 0` |
//! | uint8 | `(i * 37 + 11) % 256` |
//! | int32 | `(i * 7919) % 20011 - 10000` |
//! | int64 | `(i - 3) * 2^40 + i` |
//! | floats | `((i * 37 + 11) % 23 - 11) / 8` (exact in every float type) |
#![allow(dead_code)]

pub mod mutate;

use std::path::{Path, PathBuf};
use tensor_core::{DType, Device, Tensor};

/// The pattern as a contiguous CPU tensor of `dtype`.
pub fn pattern(dtype: DType, shape: &[usize]) -> Tensor {
    let n: usize = shape.iter().product();
    let t = match dtype {
        DType::Bool => Tensor::from_vec((0..n).map(|i| i % 3 == 0).collect::<Vec<_>>(), shape),
        DType::U8 => Tensor::from_vec((0..n).map(|i| ((i * 37 + 11) % 256) as u8).collect::<Vec<_>>(), shape),
        DType::I32 => Tensor::from_vec((0..n).map(|i| ((i * 7919) % 20011) as i32 - 10000).collect::<Vec<_>>(), shape),
        DType::I64 => Tensor::from_vec((0..n as i64).map(|i| (i - 3) * (1 << 40) + i).collect::<Vec<_>>(), shape),
        _ => {
            Tensor::from_vec((0..n).map(|i| ((i * 37 + 11) % 23) as f64 / 8.0 - 11.0 / 8.0).collect::<Vec<_>>(), shape)
                .and_then(|t| t.to_dtype(dtype))
        }
    };
    t.unwrap()
}

/// Asserts same dtype, shape and values (compared as f64: exact for every value above).
#[track_caller]
pub fn assert_same(what: &str, got: &Tensor, want: &Tensor) {
    assert_eq!(got.dtype(), want.dtype(), "{what}: dtype");
    assert_eq!(got.size(), want.size(), "{what}: shape");
    let (g, w) = (got.to_vec::<f64>().unwrap(), want.to_vec::<f64>().unwrap());
    let same =
        g.len() == w.len() && g.iter().zip(&w).all(|(a, b)| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()));
    assert!(same, "{what}: values {g:?} != {w:?}");
}

/// The committed fixtures.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// The dtypes NumPy has, with the names the fixtures use.
pub const NUMPY_DTYPES: [(DType, &str); 7] = [
    (DType::Bool, "bool"),
    (DType::U8, "uint8"),
    (DType::I32, "int32"),
    (DType::I64, "int64"),
    (DType::F16, "float16"),
    (DType::F32, "float32"),
    (DType::F64, "float64"),
];

/// A CPU scalar.
pub fn scalar_f64(v: f64) -> Tensor {
    Tensor::full([0usize; 0], v, DType::F64, &Device::Cpu).unwrap()
}
