//! `.npy`: round trips of every dtype and layout, bf16 as float32, streams, and one error per
//! kind of bad file (each naming the file and the problem).

use crate::common;

use common::{assert_same, pattern};
use std::path::PathBuf;
use tensor_core::{DType, Device, ErrorKind, Tensor};
use tensor_io::{read_npy, read_npy_bytes, read_npy_from, write_npy, write_npy_to};

fn tmp(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name)
}

fn npy_bytes(t: &Tensor) -> Vec<u8> {
    let mut v = Vec::new();
    write_npy_to(t, &mut v).unwrap();
    v
}

/// A file made of a header dict (padded as NumPy pads it) and `data`.
fn handmade(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut v = b"\x93NUMPY\x01\x00".to_vec();
    let mut h = dict.to_string();
    while !(10 + h.len() + 1).is_multiple_of(64) {
        h.push(' ');
    }
    h.push('\n');
    v.extend_from_slice(&(h.len() as u16).to_le_bytes());
    v.extend_from_slice(h.as_bytes());
    v.extend_from_slice(data);
    v
}

#[test]
fn every_dtype_and_layout_round_trips() {
    for dtype in DType::ALL {
        let base = pattern(dtype, &[4, 6]);
        let layouts = [
            base.shallow_clone(),
            base.t().unwrap(),                        // Fortran order, no copy
            base.slice(1, Some(1), None, 2).unwrap(), // strided: copied
            base.narrow(0, 1, 2).unwrap(),            // offset, contiguous
            base.select(0, 1).unwrap().unsqueeze(0).unwrap().expand(&[3, 6]).unwrap(), // zero stride
            base.select(0, 2).unwrap().select(0, 3).unwrap(), // 0-d
            base.narrow(1, 0, 0).unwrap(),            // empty
            base.view(&[2, 2, 3, 2]).unwrap().permute(&[3, 2, 1, 0]).unwrap(), // 4-d Fortran
        ];
        for (i, t) in layouts.iter().enumerate() {
            let back = read_npy_bytes(&npy_bytes(t)).unwrap();
            let want = if dtype == DType::BF16 { t.to_dtype(DType::F32).unwrap() } else { t.shallow_clone() };
            assert_same(&format!("{dtype} layout {i}"), &back, &want);
        }
    }
}

#[test]
fn bf16_is_written_as_float32() {
    let t = Tensor::new([1.0f32, -3.0e38, 0.0078125], &Device::Cpu).unwrap().to_dtype(DType::BF16).unwrap();
    let bytes = npy_bytes(&t);
    assert!(String::from_utf8_lossy(&bytes[..128]).contains("'descr': '<f4'"));
    let back = read_npy_bytes(&bytes).unwrap();
    assert_eq!(back.dtype(), DType::F32);
    assert_eq!(back.to_vec::<f32>().unwrap(), t.to_vec::<f32>().unwrap());
}

#[test]
fn files_round_trip_and_name_themselves_in_errors() {
    let path = tmp("npy_round_trip.npy");
    let t = pattern(DType::I64, &[3, 5]);
    write_npy(&t, &path).unwrap();
    assert_same("file", &read_npy(&path).unwrap(), &t);
    let e = read_npy(tmp("npy_missing.npy")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io);
    assert!(e.message().contains("npy_missing.npy"), "{e}");
    assert!(write_npy(&t, tmp("no/such/dir/x.npy")).unwrap_err().message().contains("no/such/dir/x.npy"));
}

#[test]
fn a_stream_holds_arrays_one_after_another() {
    let (a, b) = (pattern(DType::F32, &[2, 2]), pattern(DType::U8, &[7]));
    let mut s = npy_bytes(&a);
    s.extend(npy_bytes(&b));
    let mut r = &s[..];
    assert_same("first", &read_npy_from(&mut r).unwrap(), &a);
    assert_same("second", &read_npy_from(&mut r).unwrap(), &b);
    assert!(r.is_empty());
    assert!(read_npy_from(&mut r).unwrap_err().message().contains("truncated"));
}

#[test]
fn written_bytes_are_numpys() {
    // np.save of np.arange(3, dtype='<i4'): the 128-byte header, then the data.
    let bytes = npy_bytes(&Tensor::new([0i32, 1, 2], &Device::Cpu).unwrap());
    let want =
        handmade("{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }", &[0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0]);
    assert_eq!(bytes, want);
    assert_eq!(bytes.len(), 128 + 12);
}

/// Each bad input: its bytes, and words its error must contain.
fn bad_inputs() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let good = npy_bytes(&pattern(DType::F32, &[2, 3]));
    let f4 = |shape: &str| format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {shape}, }}");
    let mut bad_magic = good.clone();
    bad_magic[1] = b'X';
    let mut bad_version = good.clone();
    bad_version[6] = 4;
    let mut v2_huge = b"\x93NUMPY\x02\x00".to_vec();
    v2_huge.extend_from_slice(&u32::MAX.to_le_bytes());
    let mut v1_long = b"\x93NUMPY\x01\x00".to_vec();
    v1_long.extend_from_slice(&1000u16.to_le_bytes());
    v1_long.extend_from_slice(b"{'descr'");
    let mut trailing = good.clone();
    trailing.push(0);
    vec![
        ("empty", Vec::new(), "ends inside the 8-byte preamble"),
        ("magic", bad_magic, "not a .npy file"),
        ("version", bad_version, "unsupported format version 4.0"),
        ("header length", good[..9].to_vec(), "ends inside the header length"),
        ("huge header", v2_huge, "more than the 1048576"),
        ("short header", v1_long, "ends inside the 1000-byte header"),
        ("data", good[..good.len() - 1].to_vec(), "needs 24 bytes of data, but only 23 follow"),
        ("trailing", trailing, "1 bytes follow the array's data"),
        ("overflow", handmade(&f4("(4294967296, 4294967296, 4294967296)"), &[]), "too many elements"),
        ("bytes overflow", handmade(&f4("(4611686018427387904,)"), &[]), "too many elements"),
        ("shape past the file", handmade(&f4("(1000000000,)"), &[0; 8]), "needs 4000000000 bytes of data"),
        ("not a tuple", handmade(&f4("(3)"), &[0; 12]), "malformed header: 'shape' is an int"),
        ("negative", handmade(&f4("(-3,)"), &[]), "negative dimension"),
        ("dtype", handmade("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", &[0; 8]), "no counterpart"),
        (
            "extra key",
            handmade("{'descr': '<f4', 'fortran_order': False, 'shape': (), 'x': 1}", &[0; 4]),
            "unexpected key",
        ),
    ]
}

#[test]
fn bad_files_are_errors_naming_the_file_and_problem() {
    for (i, (what, bytes, words)) in bad_inputs().into_iter().enumerate() {
        let e = read_npy_bytes(&bytes).unwrap_err();
        assert!(e.message().starts_with("<memory>: "), "{what}: {e}");
        assert!(e.message().contains(words), "{what}: {e}");
        let path = tmp(&format!("npy_bad_{i}.npy"));
        std::fs::write(&path, &bytes).unwrap();
        let e = read_npy(&path).unwrap_err();
        assert!(e.message().contains(&format!("npy_bad_{i}.npy: ")), "{what}: {e}");
        assert!(e.message().contains(words), "{what} (file): {e}");
        // A stream has no known length: the same inputs fail as they run out (no large allocation).
        assert!(read_npy_from(&bytes[..]).is_err() || what == "trailing", "{what} (stream)");
    }
}

#[test]
fn v3_headers_must_be_utf8() {
    let mut v = b"\x93NUMPY\x03\x00".to_vec();
    let dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (), }\u{ff}\n";
    let latin1: Vec<u8> = dict.chars().map(|c| c as u32 as u8).collect();
    v.extend_from_slice(&(latin1.len() as u32).to_le_bytes());
    v.extend_from_slice(&latin1);
    v.extend_from_slice(&[0; 4]);
    assert!(read_npy_bytes(&v).unwrap_err().message().contains("must be UTF-8"));
    v[6] = 2; // the same bytes are a valid 2.0 header (latin-1) but for the byte after the dict
    assert!(read_npy_bytes(&v).unwrap_err().message().contains("after the dict"));
}
