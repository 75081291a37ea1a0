//! Writes, into the directory given as the only argument, the files that
//! `scripts/python/io_fixtures.py --check DIR` reads with NumPy and safetensors and compares
//! with its `pattern` (`cargo xtask interop-check` runs both):
//!
//! - `<dtype>.npy` (2, 3) for bool, uint8, int32, int64, float16, float32, float64, and
//!   `bfloat16.npy` (written as float32);
//! - `float32_fortran.npy`: a transposed view, written in Fortran order without a copy;
//! - `strided_int64.npy`: `pattern((4, 6))[::2, ::3]`, copied to C order;
//! - `scalar_float64.npy` (0-d, -1.375), `empty_float32.npy` (0, 3);
//! - `stored.npz` / `deflated.npz`: the arrays `a`, `b`, `c`, `s`, `f` of the script's `npz_arrays`;
//! - `all_dtypes.safetensors`: one (2, 3) tensor per dtype, `scalar`, `empty`, and `float32_t`
//!   (a transposed view).
//!
//! ```text
//! cargo run -p tensor-io --example interop_write -- /tmp/interop
//! ```

#[path = "../tests/common/mod.rs"]
mod common;

use common::{pattern, scalar_f64, NUMPY_DTYPES};
use std::path::PathBuf;
use tensor_core::{DType, Device, Result, Tensor};
use tensor_io::{save_safetensors, write_npy, write_npz, NpzCompression};

fn main() -> Result<()> {
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: interop_write DIR");
        std::process::exit(2);
    };
    std::fs::create_dir_all(&dir).map_err(|e| tensor_core::err!(Io, "interop_write", "{}: {e}", dir.display()))?;
    let mut files = 0;
    let mut npy = |name: &str, t: &Tensor| -> Result<()> {
        files += 1;
        write_npy(t, dir.join(name))
    };
    for (dtype, name) in NUMPY_DTYPES {
        npy(&format!("{name}.npy"), &pattern(dtype, &[2, 3]))?;
    }
    npy("bfloat16.npy", &pattern(DType::BF16, &[2, 3]))?;
    npy("float32_fortran.npy", &pattern(DType::F32, &[4, 3]).t()?)?;
    let strided = pattern(DType::I64, &[4, 6]).slice(0, None, None, 2)?.slice(1, None, None, 3)?;
    npy("strided_int64.npy", &strided)?;
    npy("scalar_float64.npy", &scalar_f64(-1.375))?;
    npy("empty_float32.npy", &Tensor::zeros([0, 3], DType::F32, &Device::Cpu)?)?;

    let npz = [
        ("a", pattern(DType::F32, &[2, 3])),
        ("b", pattern(DType::I64, &[4])),
        ("c", pattern(DType::Bool, &[2, 2])),
        ("s", scalar_f64(-1.375)),
        ("f", pattern(DType::F32, &[3, 2]).t()?.contiguous()?.t()?), // column-major
    ];
    let npz_refs = || npz.iter().map(|(n, t)| (*n, t));
    write_npz(npz_refs(), dir.join("stored.npz"), NpzCompression::Stored)?;
    write_npz(npz_refs(), dir.join("deflated.npz"), NpzCompression::Deflated)?;

    let mut st: Vec<(String, Tensor)> = NUMPY_DTYPES
        .iter()
        .chain([(DType::BF16, "bfloat16")].iter())
        .map(|&(d, name)| (name.to_string(), pattern(d, &[2, 3])))
        .collect();
    st.push(("scalar".into(), scalar_f64(-1.375).to_dtype(DType::F32)?));
    st.push(("empty".into(), Tensor::zeros([0, 3], DType::F32, &Device::Cpu)?));
    st.push(("float32_t".into(), pattern(DType::F32, &[2, 3]).t()?));
    save_safetensors(st.iter().map(|(n, t)| (n, t)), dir.join("all_dtypes.safetensors"))?;
    println!("wrote {} files to {}", files + 3, dir.display());
    Ok(())
}
