//! Files written by NumPy and PyTorch's safetensors (`scripts/python/io_fixtures.py`, whose
//! docstring lists them), read here and compared with the generating formula
//! (`common::pattern`).

use crate::common;

use common::{assert_same, fixture, pattern, scalar_f64, NUMPY_DTYPES};
use tensor_core::{DType, Device, Tensor};
use tensor_io::{read_npy, read_npz, NpzFile, SafetensorsFile};

const CPU: &Device = &Device::Cpu;

#[test]
fn every_numpy_dtype() {
    for (dtype, name) in NUMPY_DTYPES {
        let t = read_npy(fixture(&format!("{name}.npy"))).unwrap();
        assert_same(name, &t, &pattern(dtype, &[2, 3]));
        assert!(t.is_contiguous());
    }
}

#[test]
fn fortran_order_reads_as_a_column_major_view() {
    let t = read_npy(fixture("float32_fortran.npy")).unwrap();
    assert_same("float32_fortran", &t, &pattern(DType::F32, &[3, 4]));
    assert_eq!(t.stride(), &[1, 3]);
    let t = read_npy(fixture("int64_fortran_3d.npy")).unwrap();
    assert_same("int64_fortran_3d", &t, &pattern(DType::I64, &[2, 3, 2]));
    assert_eq!(t.stride(), &[1, 2, 6]);
    assert!(t.contiguous().unwrap().is_contiguous());
}

#[test]
fn big_endian() {
    assert_same("float64_be", &read_npy(fixture("float64_be.npy")).unwrap(), &pattern(DType::F64, &[2, 3]));
    assert_same("int32_be", &read_npy(fixture("int32_be.npy")).unwrap(), &pattern(DType::I32, &[5]));
    let t = read_npy(fixture("float16_be_fortran.npy")).unwrap();
    assert_same("float16_be_fortran", &t, &pattern(DType::F16, &[2, 3]));
    assert_eq!(t.stride(), &[1, 2]);
}

#[test]
fn format_versions_2_and_3() {
    for name in ["float32_v2.npy", "float32_v3.npy"] {
        let bytes = std::fs::read(fixture(name)).unwrap();
        assert_eq!(bytes[6], name.as_bytes()[9] - b'0', "{name} has the version it is named for");
        assert_same(name, &read_npy(fixture(name)).unwrap(), &pattern(DType::F32, &[2, 3]));
    }
}

#[test]
fn zero_d_empty_and_special_values() {
    assert_same("scalar_float64", &read_npy(fixture("scalar_float64.npy")).unwrap(), &scalar_f64(-1.375));
    let b = read_npy(fixture("scalar_bool.npy")).unwrap();
    assert_eq!((b.dim(), b.dtype(), b.item::<bool>().unwrap()), (0, DType::Bool, true));
    let e = read_npy(fixture("empty_float32.npy")).unwrap();
    assert_eq!((e.size(), e.dtype()), (&[0, 3][..], DType::F32));
    let e = read_npy(fixture("empty_int64_1d.npy")).unwrap();
    assert_eq!((e.size(), e.dtype()), (&[0][..], DType::I64));
    let s = read_npy(fixture("special_float32.npy")).unwrap().to_vec::<f32>().unwrap();
    assert!(s[0].is_nan());
    assert_eq!(&s[1..3], &[f32::INFINITY, f32::NEG_INFINITY]);
    assert_eq!(s[3].to_bits(), (-0.0f32).to_bits());
    assert_eq!(s[4], f32::from_bits(1)); // the smallest subnormal
    assert_eq!(s[5], f32::MAX);
}

#[test]
fn narrow_integer_dtypes_load() {
    // io_fixtures.py: np.array([1, -2], dtype=np.int8), np.array([1, 2], dtype=np.uint16).
    let t = read_npy(fixture("int8.npy")).unwrap();
    assert_eq!((t.dtype(), t.to_vec::<i8>().unwrap()), (DType::I8, vec![1, -2]));
    let t = read_npy(fixture("uint16.npy")).unwrap();
    assert_eq!((t.dtype(), t.to_vec::<u16>().unwrap()), (DType::U16, vec![1, 2]));
    // INT_EXTREMES of io_fixtures.py, from NumPy and from safetensors.torch.
    let st = SafetensorsFile::open(fixture("ints.safetensors")).unwrap();
    for (name, dtype) in INT_DTYPES {
        let n = read_npy(fixture(&format!("ints_{name}.npy"))).unwrap();
        let s = st.load(name, CPU).unwrap();
        for t in [&n, &s] {
            assert_eq!(t.dtype(), dtype, "{name}");
            assert_eq!(int_values(t), int_extremes(name), "{name}");
        }
    }
    let e = read_npy(fixture("structured.npy")).unwrap_err();
    assert!(e.message().contains("structured.npy") && e.message().contains("structured"), "{e}");
}

/// io_fixtures.py's narrow integer dtypes, by NumPy name.
const INT_DTYPES: [(&str, DType); 5] = [
    ("int8", DType::I8),
    ("int16", DType::I16),
    ("uint16", DType::U16),
    ("uint32", DType::U32),
    ("uint64", DType::U64),
];

/// io_fixtures.py's INT_EXTREMES.
fn int_extremes(name: &str) -> Vec<i128> {
    match name {
        "int8" => vec![1, -2, 127, -128],
        "int16" => vec![300, -300, 32767, -32768],
        "uint16" => vec![1, 65535, 0, 40000],
        "uint32" => vec![1, 4294967295, 0, 3000000000],
        _ => vec![1, 18446744073709551615, 0, 9223372036854775808],
    }
}

/// The elements of an integer tensor, exactly.
fn int_values(t: &Tensor) -> Vec<i128> {
    match t.dtype() {
        DType::U64 => t.to_vec::<u64>().unwrap().into_iter().map(i128::from).collect(),
        DType::I8 => t.to_vec::<i8>().unwrap().into_iter().map(i128::from).collect(),
        DType::I16 => t.to_vec::<i16>().unwrap().into_iter().map(i128::from).collect(),
        DType::U16 => t.to_vec::<u16>().unwrap().into_iter().map(i128::from).collect(),
        DType::U32 => t.to_vec::<u32>().unwrap().into_iter().map(i128::from).collect(),
        d => panic!("{d}"),
    }
}

fn npz_expected() -> Vec<(&'static str, Tensor)> {
    vec![
        ("a", pattern(DType::F32, &[2, 3])),
        ("b", pattern(DType::I64, &[4])),
        ("c", pattern(DType::Bool, &[2, 2])),
        ("f", pattern(DType::F32, &[3, 2])),
        ("s", scalar_f64(-1.375)),
    ]
}

#[test]
fn npz_stored_and_deflated() {
    for name in ["arrays_stored.npz", "arrays_deflated.npz"] {
        let all = read_npz(fixture(name)).unwrap();
        let want = npz_expected();
        assert_eq!(
            all.keys().map(String::as_str).collect::<Vec<_>>(),
            want.iter().map(|(k, _)| *k).collect::<Vec<_>>()
        );
        for (k, t) in &want {
            assert_same(&format!("{name}[{k}]"), &all[*k], t);
        }
        assert_eq!(all["f"].stride(), &[1, 3], "{name}: f is in Fortran order");
        let mut npz = NpzFile::open(fixture(name)).unwrap();
        assert_eq!(npz.names(), ["a", "b", "c", "s", "f"]);
        assert_same("by name", &npz.load("b").unwrap(), &pattern(DType::I64, &[4]));
        let e = npz.load("nope").unwrap_err();
        assert!(e.message().contains(name) && e.message().contains("no array named \"nope\""), "{e}");
    }
}

#[test]
fn safetensors_written_by_pytorch() {
    let f = SafetensorsFile::open(fixture("all_dtypes.safetensors")).unwrap();
    assert_eq!(f.len(), 10);
    assert_eq!(f.metadata().get("source").map(String::as_str), Some("io_fixtures.py"));
    assert_eq!(f.metadata().get("format").map(String::as_str), Some("pt"));
    for (dtype, name) in NUMPY_DTYPES.iter().chain(&[(DType::BF16, "bfloat16")]) {
        assert_eq!(f.dtype(name).unwrap(), *dtype);
        assert_eq!(f.shape(name).unwrap(), &[2, 3]);
        assert_same(name, &f.load(name, CPU).unwrap(), &pattern(*dtype, &[2, 3]));
    }
    assert_same("scalar", &f.load("scalar", CPU).unwrap(), &scalar_f64(-1.375).to_dtype(DType::F32).unwrap());
    assert_eq!(f.load("empty", CPU).unwrap().size(), &[0, 3]);
    let all = f.load_all(CPU).unwrap();
    assert_eq!(all.len(), 10);
    assert_eq!(tensor_io::load_safetensors(fixture("all_dtypes.safetensors"), CPU).unwrap().len(), 10);
}

#[test]
fn safetensors_int16() {
    let f = SafetensorsFile::open(fixture("int16.safetensors")).unwrap();
    assert_eq!(f.load("ok", CPU).unwrap().to_vec::<f32>().unwrap(), [1.5, -2.0]);
    let t = f.load("bad", CPU).unwrap();
    assert_eq!((t.dtype(), t.to_vec::<i16>().unwrap()), (DType::I16, vec![1, 2]));
    assert_eq!(tensor_io::load_safetensors(fixture("int16.safetensors"), CPU).unwrap().len(), 2);
    assert!(f.load("missing", CPU).unwrap_err().message().contains("no tensor named \"missing\""));
}
