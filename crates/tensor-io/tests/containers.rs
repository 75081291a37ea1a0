//! `.npz` archives and safetensors files: round trips of named tensors of every dtype and
//! layout, memory-mapped loading by name, and bad files.

use crate::common;

use common::{assert_same, pattern};
use std::collections::BTreeMap;
use std::io::Cursor;
use std::path::PathBuf;
use tensor_core::{DType, Device, ErrorKind, Tensor};
use tensor_io::{
    load_safetensors, load_safetensors_bytes, read_npz, read_npz_from, save_safetensors,
    save_safetensors_with_metadata, serialize_safetensors, write_npz, write_npz_to, NpzCompression, NpzFile,
    SafetensorsFile,
};

const CPU: &Device = &Device::Cpu;

fn tmp(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name)
}

/// One tensor per dtype, plus views that share storage, a 0-d and an empty tensor.
fn state() -> BTreeMap<String, Tensor> {
    let mut m: BTreeMap<String, Tensor> =
        DType::ALL.iter().map(|&d| (format!("{d}").replace("torch.", ""), pattern(d, &[3, 4]))).collect();
    let base = pattern(DType::F32, &[4, 6]);
    m.insert("view.t".into(), base.t().unwrap());
    m.insert("view.row".into(), base.select(0, 2).unwrap());
    m.insert("view.same".into(), base.shallow_clone());
    m.insert("view.expanded".into(), base.select(1, 0).unwrap().unsqueeze(1).unwrap().expand(&[4, 3]).unwrap());
    m.insert("zero_d".into(), Tensor::new(3i64, CPU).unwrap());
    m.insert("empty".into(), Tensor::zeros([0, 5], DType::F16, CPU).unwrap());
    m
}

fn assert_same_state(got: &BTreeMap<String, Tensor>, want: &BTreeMap<String, Tensor>, bf16_as_f32: bool) {
    assert_eq!(got.keys().collect::<Vec<_>>(), want.keys().collect::<Vec<_>>());
    for (k, w) in want {
        let w =
            if bf16_as_f32 && w.dtype() == DType::BF16 { w.to_dtype(DType::F32).unwrap() } else { w.shallow_clone() };
        assert_same(k, &got[k], &w);
    }
}

#[test]
fn npz_round_trips_stored_and_deflated() {
    let st = state();
    for compression in [NpzCompression::Stored, NpzCompression::Deflated] {
        let path = tmp(&format!("npz_{compression:?}.npz"));
        write_npz(&st, &path, compression).unwrap();
        assert_same_state(&read_npz(&path).unwrap(), &st, true);
        let mem = write_npz_to(&st, Cursor::new(Vec::new()), compression).unwrap().into_inner();
        assert_same_state(&read_npz_from(Cursor::new(&mem)).unwrap(), &st, true);
        let mut npz = NpzFile::open(&path).unwrap();
        assert_eq!(npz.names().len(), st.len());
        assert_same("view.t", &npz.load("view.t").unwrap(), &st["view.t"]);
    }
    let zeros = [("z", &Tensor::zeros([1000], DType::F64, CPU).unwrap())];
    let stored = write_npz_to(zeros, Cursor::new(Vec::new()), NpzCompression::Stored).unwrap().into_inner();
    let deflated = write_npz_to(zeros, Cursor::new(Vec::new()), NpzCompression::Deflated).unwrap().into_inner();
    assert!(deflated.len() * 10 < stored.len(), "{} vs {}", deflated.len(), stored.len());
}

#[test]
fn npz_errors() {
    let t = pattern(DType::I32, &[2]);
    let e = write_npz_to([("a", &t), ("a", &t)], Cursor::new(Vec::new()), NpzCompression::Stored).unwrap_err();
    assert!(e.message().contains("\"a\" is given twice"), "{e}");
    let e = read_npz(tmp("npz_missing.npz")).unwrap_err();
    assert!(e.message().contains("npz_missing.npz"), "{e}");
    let e = read_npz_from(Cursor::new(b"PK not really".to_vec())).unwrap_err();
    assert!(e.message().contains("not a zip archive"), "{e}");

    // An entry whose .npy is cut short: the error names the archive and the entry.
    let good = write_npz_to([("x", &pattern(DType::F64, &[8]))], Cursor::new(Vec::new()), NpzCompression::Stored)
        .unwrap()
        .into_inner();
    let mut bad = good.clone();
    let at = find(&bad, b"\x93NUMPY").unwrap() + 130;
    bad[at] ^= 0xff; // a data byte: the CRC no longer matches
    let path = tmp("npz_bad_crc.npz");
    std::fs::write(&path, &bad).unwrap();
    let e = read_npz(&path).unwrap_err();
    assert!(e.message().contains("npz_bad_crc.npz (entry \"x.npy\")"), "{e}");
    // Not a .npy entry.
    let mut z = zip::ZipWriter::new(Cursor::new(Vec::new()));
    z.start_file("notes.txt", zip::write::SimpleFileOptions::default()).unwrap();
    std::io::Write::write_all(&mut z, b"hello").unwrap();
    let e = read_npz_from(Cursor::new(z.finish().unwrap().into_inner())).unwrap_err();
    assert!(e.message().contains("\"notes.txt\" is not a .npy array"), "{e}");
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[test]
fn safetensors_round_trips_every_dtype_and_layout() {
    let st = state();
    let path = tmp("st_round_trip.safetensors");
    save_safetensors(&st, &path).unwrap();
    assert_same_state(&load_safetensors(&path, CPU).unwrap(), &st, false);
    let bytes = serialize_safetensors(&st).unwrap();
    assert_eq!(bytes, std::fs::read(&path).unwrap());
    assert_same_state(&load_safetensors_bytes(&bytes, CPU).unwrap(), &st, false);

    let f = SafetensorsFile::open(&path).unwrap();
    assert_eq!(f.len(), st.len());
    assert!(f.contains("view.t") && !f.contains("nope"));
    assert_eq!(f.names().collect::<Vec<_>>(), st.keys().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(f.shape("view.t").unwrap(), &[6, 4]);
    assert_eq!(f.dtype("bfloat16").unwrap(), DType::BF16);
    assert_eq!(f.metadata().get("format").map(String::as_str), Some("pt"));
    assert_same("by name", &f.load("view.t", CPU).unwrap(), &st["view.t"]);
    assert!(format!("{f:?}").contains("st_round_trip.safetensors"));
}

#[test]
fn safetensors_metadata() {
    let path = tmp("st_meta.safetensors");
    let meta: BTreeMap<String, String> = [("epoch".to_string(), "3".to_string())].into();
    save_safetensors_with_metadata([("w", &pattern(DType::F32, &[2]))], &meta, &path).unwrap();
    let f = SafetensorsFile::open(&path).unwrap();
    assert_eq!(f.metadata().get("epoch").map(String::as_str), Some("3"));
    assert_eq!(f.metadata().get("format").map(String::as_str), Some("pt"));
}

/// A safetensors file from its header JSON and data bytes.
fn st_file(header: &str, data: &[u8]) -> Vec<u8> {
    let mut v = (header.len() as u64).to_le_bytes().to_vec();
    v.extend_from_slice(header.as_bytes());
    v.extend_from_slice(data);
    v
}

#[test]
fn safetensors_bad_files_are_errors_naming_the_file() {
    let good = serialize_safetensors([("w", &pattern(DType::F32, &[2, 2]))]).unwrap();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty", Vec::new(), "truncated"),
        ("short", good[..5].to_vec(), "truncated"),
        ("truncated", good[..good.len() - 1].to_vec(), "does not end where the file ends"),
        ("trailing", [good.clone(), vec![0]].concat(), "does not end where the file ends"),
        ("header past end", [&u64::MAX.to_le_bytes()[..], b"{}"].concat(), "header"),
        ("not json", st_file("{not json}", &[]), "malformed safetensors header"),
        ("unknown dtype", st_file(r#"{"w":{"dtype":"X9","shape":[1],"data_offsets":[0,1]}}"#, &[0]), "X9"),
        (
            "overflow",
            st_file(
                r#"{"w":{"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,4]}}"#,
                &[0; 4],
            ),
            "overflow",
        ),
        ("offsets", st_file(r#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#, &[0; 4]), "invalid"),
        (
            "past the file",
            st_file(r#"{"w":{"dtype":"F32","shape":[1000000],"data_offsets":[0,4000000]}}"#, &[0; 4]),
            "does not end where the file ends",
        ),
    ];
    for (i, (what, bytes, words)) in cases.into_iter().enumerate() {
        let e = load_safetensors_bytes(&bytes, CPU).unwrap_err();
        assert!(e.message().starts_with("<memory>: ") && e.message().contains(words), "{what}: {e}");
        let path = tmp(&format!("st_bad_{i}.safetensors"));
        std::fs::write(&path, &bytes).unwrap();
        for e in [SafetensorsFile::open(&path).unwrap_err(), load_safetensors(&path, CPU).unwrap_err()] {
            assert_eq!(e.kind(), ErrorKind::Io);
            assert!(e.message().contains(&format!("st_bad_{i}.safetensors: ")), "{what}: {e}");
        }
    }
    // A zero element count that hides a shape too large to address.
    let hidden = st_file(r#"{"w":{"dtype":"F32","shape":[0,4294967296,4294967296],"data_offsets":[0,0]}}"#, &[]);
    let e = load_safetensors_bytes(&hidden, CPU).unwrap_err();
    assert!(e.message().contains("too large"), "{e}");
    let e = SafetensorsFile::open(tmp("st_missing.safetensors")).unwrap_err();
    assert!(e.message().contains("st_missing.safetensors"), "{e}");
    let e = serialize_safetensors([("a", &pattern(DType::U8, &[1])), ("a", &pattern(DType::U8, &[1]))]).unwrap_err();
    assert!(e.message().contains("given twice"), "{e}");
}

/// An archive of `a.npy` and `b.npy` whose second entry is renamed `a.npy` (in its local
/// header and in the directory): the zip crate's writer refuses to write a name twice.
fn npz_with_a_twice(compression: NpzCompression) -> Vec<u8> {
    let (a, b) = (pattern(DType::F32, &[2]), pattern(DType::I32, &[3]));
    let mut v = write_npz_to([("a", &a), ("b", &b)], Cursor::new(Vec::new()), compression).unwrap().into_inner();
    while let Some(at) = find(&v, b"b.npy") {
        v[at] = b'a';
    }
    v
}

#[test]
fn npz_names_given_twice_are_errors() {
    for compression in [NpzCompression::Stored, NpzCompression::Deflated] {
        let bytes = npz_with_a_twice(compression);
        let e = read_npz_from(Cursor::new(&bytes)).unwrap_err();
        assert!(e.message().contains("the entry \"a.npy\" is in the archive twice"), "{e}");
        assert!(NpzFile::from_reader(Cursor::new(&bytes)).is_err());
        let path = tmp(&format!("npz_twice_{compression:?}.npz"));
        std::fs::write(&path, &bytes).unwrap();
        for e in [read_npz(&path).unwrap_err(), NpzFile::open(&path).unwrap_err()] {
            assert_eq!(e.kind(), ErrorKind::Io);
            assert!(e.message().contains(&format!("npz_twice_{compression:?}.npz: the entry \"a.npy\"")), "{e}");
        }
    }
    // `a.npy` and `a` are both the array "a".
    let npy = |t: &Tensor| {
        let mut v = Vec::new();
        tensor_io::write_npy_to(t, &mut v).unwrap();
        v
    };
    let mut z = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, t) in [("a.npy", pattern(DType::F32, &[2])), ("a", pattern(DType::I64, &[1]))] {
        z.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
        std::io::Write::write_all(&mut z, &npy(&t)).unwrap();
    }
    let bytes = z.finish().unwrap().into_inner();
    let e = NpzFile::from_reader(Cursor::new(&bytes)).unwrap_err();
    assert!(e.message().contains("the array \"a\" is in the archive twice (the entries \"a.npy\" and \"a\")"), "{e}");
    // A name given by an Info-ZIP Unicode Path field (which the zip crate reads) counts too.
    let mut z = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let mut field = vec![1u8];
    field.extend(crc32fast::hash(b"x.npy").to_le_bytes());
    field.extend(b"a.npy");
    for name in ["a.npy", "x.npy"] {
        let mut options = zip::write::FullFileOptions::default();
        if name == "x.npy" {
            options.add_extra_field(0x7075, &field, true).unwrap();
        }
        z.start_file(name, options).unwrap();
        std::io::Write::write_all(&mut z, &npy(&pattern(DType::U8, &[2]))).unwrap();
    }
    let bytes = z.finish().unwrap().into_inner();
    let e = read_npz_from(Cursor::new(&bytes)).unwrap_err();
    assert!(e.message().contains("the entry \"a.npy\" is in the archive twice"), "{e}");
}

#[test]
fn safetensors_keys_given_twice_are_errors() {
    let x = r#""x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}"#;
    let cases = [
        // The second "x" would read the first's float32 bytes as int32.
        (format!(r#"{{{x},"x":{{"dtype":"I32","shape":[1],"data_offsets":[0,4]}}}}"#), 4, r#"key "x" twice"#),
        // Two tensors' bytes, the first "x" dropped: the data would seem too long.
        (format!(r#"{{{x},"x":{{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}}}"#), 8, r#"key "x" twice"#),
        // The same key, escaped.
        (format!(r#"{{{x},"\u0078":{{"dtype":"I32","shape":[1],"data_offsets":[0,4]}}}}"#), 4, r#"key "x" twice"#),
        (format!(r#"{{"__metadata__":{{"format":"pt"}},{x},"__metadata__":{{}}}}"#), 4, r#"key "__metadata__" twice"#),
        (
            format!(r#"{{"__metadata__":{{"format":"pt","format":"np"}},{x}}}"#),
            4,
            r#""format" (in "__metadata__") twice"#,
        ),
        (
            r#"{"x":{"dtype":"F32","dtype":"I32","shape":[1],"data_offsets":[0,4]}}"#.to_string(),
            4,
            r#""dtype" (in "x")"#,
        ),
    ];
    for (i, (header, n, words)) in cases.iter().enumerate() {
        let bytes = st_file(header, &1.0f32.to_le_bytes().repeat(n / 4));
        let e = load_safetensors_bytes(&bytes, CPU).unwrap_err();
        assert!(e.message().contains(words) && e.message().starts_with("<memory>: "), "{header}: {e}");
        let path = tmp(&format!("st_twice_{i}.safetensors"));
        std::fs::write(&path, &bytes).unwrap();
        for e in [SafetensorsFile::open(&path).unwrap_err(), load_safetensors(&path, CPU).unwrap_err()] {
            assert_eq!(e.kind(), ErrorKind::Io);
            assert!(e.message().contains(&format!("st_twice_{i}.safetensors: ")) && e.message().contains(words), "{e}");
        }
    }
    // The same key in two objects is no repeat.
    let ok = format!(r#"{{"__metadata__":{{"x":"1"}},{x},"y":{{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}}}"#);
    assert_eq!(load_safetensors_bytes(&st_file(&ok, &[0; 8]), CPU).unwrap().len(), 2);
}
