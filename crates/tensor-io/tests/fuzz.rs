//! The readers fuzzed with proptest (a fixed seed: every run draws the same cases): valid
//! files and the seed corpus of `tests/fuzz_corpus/` (see its README), mutated by the edits of
//! `common/mutate.rs`, must give `Ok` or `Err`, never a panic, and a successful read never
//! holds more elements than the input has bytes for. 2,000 inputs per format. torch.save
//! files (`fixtures/torch_*.pt`) are mutated whole, and with only their `data.pkl` mutated and
//! the archive rebuilt around it, so that the mutations reach the unpickler past the zip's CRCs.
//!
//! `corpus_files_read_as_the_readme_says` checks each seed file's outcome;
//! `the_corpus_files_are_what_their_recipes_make` checks each against the recipe that made it
//! (`WRITE_FUZZ_CORPUS=1 cargo test -p tensor-io --test integration corpus` writes them again).

use crate::common;

use common::mutate::{apply, cfg, corpus, edits, find, Edit};
use common::pattern;
use proptest::prelude::*;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use tensor_core::{DType, Device, Tensor};
use tensor_io::{
    load_pt_bytes, load_safetensors_bytes, read_npy_bytes, read_npy_from, read_npz_from, serialize_safetensors,
    write_npy_to, write_npz_to, NpzCompression,
};

fn corpus_dir(format: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_corpus").join(format)
}

/// Generated files, then the corpus's.
fn seeds(generated: Vec<Vec<u8>>, format: &str) -> Vec<Vec<u8>> {
    generated.into_iter().chain(corpus(&corpus_dir(format)).into_iter().map(|(_, b)| b)).collect()
}

fn npy(t: &Tensor) -> Vec<u8> {
    let mut v = Vec::new();
    write_npy_to(t, &mut v).unwrap();
    v
}

fn npy_seeds() -> Vec<Vec<u8>> {
    let generated = vec![
        npy(&pattern(DType::F32, &[2, 3])),
        npy(&pattern(DType::I64, &[3, 2]).t().unwrap()),
        npy(&pattern(DType::Bool, &[])),
        npy(&Tensor::zeros([0, 4], DType::F16, &Device::Cpu).unwrap()),
        include_bytes!("fixtures/float16_be_fortran.npy").to_vec(),
        include_bytes!("fixtures/float32_v3.npy").to_vec(),
    ];
    seeds(generated, "npy")
}

/// A read that worked holds no more elements than the input could.
fn check_npy(input: &[u8]) {
    if let Ok(t) = read_npy_bytes(input) {
        assert!(t.numel() * t.dtype().size_in_bytes() <= input.len(), "{:?} from {} bytes", t.size(), input.len());
    }
    let _ = read_npy_from(input);
}

fn npz(entries: &[(&str, Tensor)], compression: NpzCompression) -> Vec<u8> {
    let entries = entries.iter().map(|(n, t)| (*n, t));
    write_npz_to(entries, Cursor::new(Vec::new()), compression).unwrap().into_inner()
}

fn npz_seeds() -> Vec<Vec<u8>> {
    let generated = vec![
        include_bytes!("fixtures/arrays_stored.npz").to_vec(),
        include_bytes!("fixtures/arrays_deflated.npz").to_vec(),
    ];
    seeds(generated, "npz")
}

/// Every array that loaded holds no more bytes than the archive has (deflated seeds, which
/// could hold more, are skipped).
fn check_npz(input: Vec<u8>, deflated: bool) {
    let len = input.len();
    if let Ok(all) = read_npz_from(Cursor::new(input)) {
        let total: usize = all.values().map(|t| t.numel() * t.dtype().size_in_bytes()).sum();
        assert!(deflated || total <= len, "{total} bytes of arrays from {len}");
    }
}

fn safetensors_seeds() -> Vec<Vec<u8>> {
    let t = pattern(DType::BF16, &[2, 3]);
    let e = Tensor::zeros([0], DType::I64, &Device::Cpu).unwrap();
    let generated = vec![
        serialize_safetensors([("a", &t), ("b.e", &e), ("c", &pattern(DType::U8, &[]))]).unwrap(),
        include_bytes!("fixtures/all_dtypes.safetensors").to_vec(),
    ];
    seeds(generated, "safetensors")
}

static NPY: LazyLock<Vec<Vec<u8>>> = LazyLock::new(npy_seeds);
static NPZ: LazyLock<Vec<Vec<u8>>> = LazyLock::new(npz_seeds);
static SAFETENSORS: LazyLock<Vec<Vec<u8>>> = LazyLock::new(safetensors_seeds);

/// The torch.save fixtures, as files.
fn pt_seeds() -> Vec<Vec<u8>> {
    [
        "torch_state_dict.pt",
        "torch_views.pt",
        "torch_proto4.pt",
        "torch_int8.pt",
        "torch_uint16.pt",
        "torch_parameter.pt",
    ]
    .iter()
    .map(|n| std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(n)).unwrap())
    .collect()
}

/// A zip archive's entries, as (name, bytes), in order.
type Entries = Vec<(String, Vec<u8>)>;

/// A torch.save archive's entries.
fn pt_entries(file: &[u8]) -> Entries {
    let mut z = zip::ZipArchive::new(Cursor::new(file)).unwrap();
    (0..z.len())
        .map(|i| {
            let mut e = z.by_index(i).unwrap();
            let mut b = Vec::new();
            std::io::Read::read_to_end(&mut e, &mut b).unwrap();
            (e.name().unwrap().to_string(), b)
        })
        .collect()
}

/// The archive of `entries` with `pkl` as its data.pkl (stored, so the zip itself is valid).
fn pt_with_pickle(entries: &[(String, Vec<u8>)], pkl: &[u8]) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, bytes) in entries {
        z.start_file(name.as_str(), opts).unwrap();
        std::io::Write::write_all(&mut z, if name.ends_with("/data.pkl") { pkl } else { bytes }).unwrap();
    }
    z.finish().unwrap().into_inner()
}

static PT: LazyLock<Vec<Vec<u8>>> = LazyLock::new(pt_seeds);
static PT_ENTRIES: LazyLock<Vec<Entries>> = LazyLock::new(|| PT.iter().map(|f| pt_entries(f)).collect());

proptest! {
    #![proptest_config(cfg(2000))]

    #[test]
    fn npy_mutations_never_panic(seed in any::<prop::sample::Index>(), edits in edits()) {
        check_npy(&apply(seed.get(&NPY).clone(), &edits));
    }

    #[test]
    fn npz_mutations_never_panic(seed in any::<prop::sample::Index>(), edits in edits()) {
        let s = seed.get(&NPZ);
        let deflated = find(s, b"\x93NUMPY").is_none();
        check_npz(apply(s.clone(), &edits), deflated);
    }

    #[test]
    fn safetensors_mutations_never_panic(seed in any::<prop::sample::Index>(), edits in edits()) {
        let input = apply(seed.get(&SAFETENSORS).clone(), &edits);
        if let Ok(all) = load_safetensors_bytes(&input, &Device::Cpu) {
            let total: usize = all.values().map(|t| t.numel() * t.dtype().size_in_bytes()).sum();
            prop_assert!(total <= input.len());
        }
    }

    #[test]
    fn torch_save_mutations_never_panic(seed in any::<prop::sample::Index>(), edits in edits()) {
        let _ = load_pt_bytes(&apply(seed.get(&PT).clone(), &edits));
    }

    /// The mutations reach the unpickler: data.pkl is mutated and the archive rebuilt around it.
    #[test]
    fn torch_pickle_mutations_never_panic(seed in any::<prop::sample::Index>(), edits in edits()) {
        let entries = seed.get(&PT_ENTRIES);
        let pkl = &entries.iter().find(|(n, _)| n.ends_with("/data.pkl")).unwrap().1;
        let input = pt_with_pickle(entries, &apply(pkl.clone(), &edits));
        if let Ok(tensors) = load_pt_bytes(&input) {
            // Every tensor is a view of a storage the archive holds.
            for (_, t) in tensors {
                prop_assert!(t.numel() == 0 || t.storage_offset() < input.len());
            }
        }
    }
}

#[test]
fn torch_pickle_edits_reach_the_unpickler() {
    // The rebuilt archive of an unmutated pickle loads, and a mutated one errs in data.pkl.
    let entries = &PT_ENTRIES[1];
    let pkl = entries.iter().find(|(n, _)| n.ends_with("/data.pkl")).unwrap().1.clone();
    assert_eq!(load_pt_bytes(&pt_with_pickle(entries, &pkl)).unwrap().len(), 14);
    let mut bad = pkl.clone();
    bad[2] = b'i';
    let e = load_pt_bytes(&pt_with_pickle(entries, &bad)).unwrap_err();
    assert!(e.message().contains("data.pkl: refusing the opcode INST"), "{e}");
}

#[test]
fn the_edits_reach_the_header() {
    // The shape edit of a .npy file and the list edit of a safetensors header are what they say
    // (the header grows by a byte, and its length field does not: one more byte "follows").
    let v = apply(npy(&pattern(DType::F32, &[2, 3])), &[Edit::Header(0, "(7, 9,)".into())]);
    assert!(String::from_utf8_lossy(&v).contains("'shape': (7, 9,), }"));
    let e = read_npy_bytes(&v).unwrap_err();
    assert!(e.message().contains("needs 252 bytes of data, but only 25 follow"), "{e}");
    let s = apply(safetensors_seeds()[0].clone(), &[Edit::Header(1, "[4,4]".into())]);
    assert!(load_safetensors_bytes(&s, &Device::Cpu).is_err());
    let d = apply(safetensors_seeds()[0].clone(), &[Edit::Header(2, "\"I16\"".into())]);
    assert!(String::from_utf8_lossy(&d).contains("\"I16\""));
    // A word edit writes a number in either byte order (cut short at the end of the input).
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let index = proptest::strategy::ValueTree::current(&any::<prop::sample::Index>().new_tree(&mut runner).unwrap());
    assert_eq!(apply(vec![0], &[Edit::Word(index, 0xab00_00cd, true)]), [0xab]);
    assert_eq!(apply(vec![0], &[Edit::Word(index, 0xab00_00cd, false)]), [0xcd]);
}

/// The corpus: each file's name and what reading it gives (`None`: it reads; else words of
/// the error). Every file in `fuzz_corpus/` must be listed, so the README stays true.
const CORPUS: [(&str, &str, Option<&str>); 13] = [
    ("npy", "ok_f32_2x3.npy", None),
    ("npy", "ok_i64_fortran.npy", None),
    ("npy", "ok_bool_0d.npy", None),
    ("npy", "bad_lying_shape.npy", Some("needs 8000000000000000000 bytes of data, but only 24 follow")),
    ("npy", "bad_header_length.npy", Some("truncated")),
    ("npz", "ok_stored.npz", None),
    ("npz", "ok_deflated.npz", None),
    ("npz", "bad_name_twice.npz", Some("the entry \"a.npy\" is in the archive twice")),
    ("npz", "bad_array_twice.npz", Some("the array \"a\" is in the archive twice")),
    ("safetensors", "ok_three.safetensors", None),
    ("safetensors", "bad_key_twice.safetensors", Some("the header names the key \"x\" twice")),
    ("safetensors", "bad_lying_offsets.safetensors", Some("does not end where the file ends")),
    ("safetensors", "bad_header_length.safetensors", Some("header")),
];

fn read_any(format: &str, bytes: &[u8]) -> tensor_core::Result<usize> {
    match format {
        "npy" => read_npy_bytes(bytes).map(|t| t.numel()),
        "npz" => read_npz_from(Cursor::new(bytes)).map(|m| m.len()),
        _ => load_safetensors_bytes(bytes, &Device::Cpu).map(|m| m.len()),
    }
}

#[test]
fn corpus_files_read_as_the_readme_says() {
    for format in ["npy", "npz", "safetensors"] {
        let listed: Vec<&str> = CORPUS.iter().filter(|c| c.0 == format).map(|c| c.1).collect();
        let files = corpus(&corpus_dir(format));
        let mut names: Vec<&str> = files.iter().map(|f| f.0.as_str()).collect();
        names.sort();
        let mut want = listed.clone();
        want.sort();
        assert_eq!(names, want, "fuzz_corpus/{format}: the files and the list differ");
        for (name, bytes) in &files {
            let (_, _, outcome) = CORPUS.iter().find(|c| c.0 == format && c.1 == name).unwrap();
            match (outcome, read_any(format, bytes)) {
                (None, r) => assert!(r.is_ok(), "{name}: {r:?}"),
                (Some(words), Err(e)) => assert!(e.message().contains(words), "{name}: {e}"),
                (Some(_), Ok(n)) => panic!("{name} read ({n})"),
            }
        }
    }
}

/// The corpus's files, by their recipes: (format, name, bytes).
fn corpus_recipes() -> Vec<(&'static str, &'static str, Vec<u8>)> {
    let cpu = &Device::Cpu;
    let lying = {
        let v = npy(&pattern(DType::F64, &[3]));
        let at = find(&v, b"(3,)").unwrap();
        // The same header length: pad the longer shape over the header's spaces.
        let shape = b"(1000000000, 1000000000)";
        let mut out = [&v[..at], shape, &v[at + 4..]].concat();
        let newline = out.iter().rposition(|&c| c == b'\n').unwrap();
        out.drain(newline - (shape.len() - 4)..newline);
        out
    };
    let mut header_length = npy(&pattern(DType::U8, &[4]));
    header_length[8..10].copy_from_slice(&0xfff0u16.to_le_bytes());
    let a = pattern(DType::F32, &[2, 3]);
    let b = pattern(DType::I64, &[3]);
    let mut name_twice = npz(&[("a", a.shallow_clone()), ("b", b.shallow_clone())], NpzCompression::Stored);
    while let Some(at) = find(&name_twice, b"b.npy") {
        name_twice[at] = b'a';
    }
    let mut z = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, t) in [("a.npy", &a), ("a", &b)] {
        z.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
        std::io::Write::write_all(&mut z, &npy(t)).unwrap();
    }
    let array_twice = z.finish().unwrap().into_inner();
    let st = |header: &str, data: &[u8]| [&(header.len() as u64).to_le_bytes()[..], header.as_bytes(), data].concat();
    let files: Vec<(&'static str, &'static str, Vec<u8>)> = vec![
        ("npy", "ok_f32_2x3.npy", npy(&a)),
        ("npy", "ok_i64_fortran.npy", npy(&pattern(DType::I64, &[3, 2]).t().unwrap())),
        ("npy", "ok_bool_0d.npy", npy(&pattern(DType::Bool, &[]))),
        ("npy", "bad_lying_shape.npy", lying),
        ("npy", "bad_header_length.npy", header_length),
        ("npz", "ok_stored.npz", npz(&[("a", a.shallow_clone()), ("b", b.shallow_clone())], NpzCompression::Stored)),
        (
            "npz",
            "ok_deflated.npz",
            npz(&[("a", a.shallow_clone()), ("b", b.shallow_clone())], NpzCompression::Deflated),
        ),
        ("npz", "bad_name_twice.npz", name_twice),
        ("npz", "bad_array_twice.npz", array_twice),
        (
            "safetensors",
            "ok_three.safetensors",
            serialize_safetensors([
                ("a", &pattern(DType::BF16, &[2, 3])),
                ("b", &Tensor::zeros([0], DType::I64, cpu).unwrap()),
                ("c", &pattern(DType::U8, &[])),
            ])
            .unwrap(),
        ),
        (
            "safetensors",
            "bad_key_twice.safetensors",
            st(
                r#"{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"x":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}}"#,
                &1.0f32.to_le_bytes(),
            ),
        ),
        (
            "safetensors",
            "bad_lying_offsets.safetensors",
            st(r#"{"w":{"dtype":"F32","shape":[1000000],"data_offsets":[0,4000000]}}"#, &[0; 4]),
        ),
        ("safetensors", "bad_header_length.safetensors", [&u64::MAX.to_le_bytes()[..], b"{}"].concat()),
    ];
    files
}

/// The committed corpus is exactly what its recipes make (so a recipe and its file cannot
/// drift apart). `WRITE_FUZZ_CORPUS=1` writes the files again instead, after a recipe changes.
#[test]
fn the_corpus_files_are_what_their_recipes_make() {
    let write = std::env::var_os("WRITE_FUZZ_CORPUS").is_some();
    for (format, name, bytes) in corpus_recipes() {
        let path = corpus_dir(format).join(name);
        if write {
            std::fs::create_dir_all(corpus_dir(format)).unwrap();
            std::fs::write(&path, bytes).unwrap();
        } else {
            let committed = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert!(
                committed == bytes,
                "{}: differs from its recipe (WRITE_FUZZ_CORPUS=1 writes it again)",
                path.display()
            );
        }
    }
}
