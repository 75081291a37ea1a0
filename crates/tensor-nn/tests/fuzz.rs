//! The idx reader and the state-dict loader fuzzed with proptest (a fixed seed: every run
//! draws the same cases), with tensor-io's mutations (`../tensor-io/tests/common/mutate.rs`):
//! generated files and the seed corpus of `tests/fuzz_corpus/` (see its README), mutated,
//! must give `Ok` or `Err`, never a panic.
//!
//! - idx, through `read_idx_from`: 1,000 mutated plain files; 500 gzip files of mutated plain
//!   files (the idx parser behind the decompressor) and 500 mutated gzip files (the
//!   decompressor). A read that works holds what its dims declare, and no more bytes than
//!   the input (or, for gzip, its decompressed bytes) has.
//! - state dicts: 1,000 mutated safetensors files, and 1,000 files whose entries were dropped,
//!   renamed, reshaped or given another dtype, loaded by `load_safetensors` and then
//!   `load_state_dict` (strict or not) into a small model; a load that works leaves every
//!   parameter and buffer with its shape and dtype, and the model runs.
//!
//! `corpus_files_read_as_the_readme_says` checks each seed file's outcome;
//! `the_corpus_files_are_what_their_recipes_make` checks each against the recipe that made it
//! (`WRITE_FUZZ_CORPUS=1` writes them again).

#[path = "../../tensor-io/tests/common/mutate.rs"]
mod mutate;

use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;
use mutate::{apply, cfg, corpus, edits};
use proptest::prelude::*;
use proptest::sample::Index;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use tensor_autograd::Var;
use tensor_core::{DType, Device, Result, Tensor};
use tensor_nn::data::read_idx_from;
use tensor_nn::{load_safetensors, module_members, BatchNorm1d, Linear, Module, ModuleExt};

const CPU: &Device = &Device::Cpu;

fn corpus_dir(format: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_corpus").join(format)
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

fn gunzip(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    GzDecoder::new(bytes).take(64 << 20).read_to_end(&mut out).ok()?;
    Some(out)
}

fn idx(dims: &[u32], data_len: usize) -> Vec<u8> {
    let mut b = vec![0, 0, 0x08, dims.len() as u8];
    for d in dims {
        b.extend(d.to_be_bytes());
    }
    b.extend((0..data_len).map(|i| (i * 37 + 11) as u8));
    b
}

/// Plain idx files: generated, and the corpus's plain files and the gzip files' contents.
static IDX: LazyLock<Vec<Vec<u8>>> = LazyLock::new(|| {
    let mut v = vec![idx(&[3, 4, 4], 48), idx(&[5], 5), idx(&[2, 1, 3, 2], 12), idx(&[], 1)];
    for (name, bytes) in corpus(&corpus_dir("idx")) {
        match name.ends_with(".gz") {
            true => v.extend(gunzip(&bytes).filter(|b| b.len() < 4096)),
            false => v.push(bytes),
        }
    }
    v
});

/// Gzip files: the plain ones compressed, and the corpus's.
static IDX_GZ: LazyLock<Vec<Vec<u8>>> = LazyLock::new(|| {
    let mut v: Vec<Vec<u8>> = IDX.iter().map(|b| gzip(b)).collect();
    v.extend(corpus(&corpus_dir("idx")).into_iter().filter(|(n, _)| n.ends_with(".gz")).map(|(_, b)| b));
    v
});

/// A read that worked: the data is what the dims declare, and no more than `available`.
fn check_idx(r: Result<(Vec<usize>, Vec<u8>)>, available: usize) {
    if let Ok((dims, data)) = r {
        assert_eq!(dims.iter().product::<usize>(), data.len(), "{dims:?}");
        assert!(data.len() <= available, "{} bytes from {available}", data.len());
    }
}

/// A small model with parameters (float32) and buffers (float32 and an int64 counter).
struct Small {
    fc: Linear,
    bn: BatchNorm1d,
}
module_members!(Small { children: fc, bn; params: ; buffers: });
impl Module for Small {
    fn forward(&self, x: &Var) -> Result<Var> {
        self.bn.forward(&self.fc.forward(x)?)
    }
}

fn small() -> Small {
    let mut m = Small { fc: Linear::new(3, 2, true, CPU).unwrap(), bn: BatchNorm1d::new(2, CPU).unwrap() };
    m.eval();
    m
}

fn shapes(m: &Small) -> BTreeMap<String, (Vec<usize>, DType)> {
    m.state_dict().into_iter().map(|(k, t)| (k, (t.size().to_vec(), t.dtype()))).collect()
}

/// The model's state dict with fixed values (the model's own are random).
fn fixed_state() -> BTreeMap<String, Tensor> {
    let fixed = |t: &Tensor| match t.dtype() {
        DType::F32 => Tensor::from_vec((0..t.numel()).map(|i| i as f32 / 4.0 - 1.0).collect::<Vec<_>>(), t.size()),
        d => Tensor::zeros(t.size(), d, CPU),
    };
    small().state_dict().iter().map(|(k, t)| (k.clone(), fixed(t).unwrap())).collect()
}

static STATE: LazyLock<Vec<Vec<u8>>> = LazyLock::new(|| {
    let mut v = vec![tensor_io::serialize_safetensors(&fixed_state()).unwrap()];
    v.extend(corpus(&corpus_dir("state")).into_iter().map(|(_, b)| b));
    v
});

/// Loads `bytes` as a file into a fresh model: `Ok` leaves its shapes and dtypes and a model
/// that runs; either way, no panic.
fn check_state(bytes: &[u8], path: &Path, strict: bool) -> Result<()> {
    std::fs::write(path, bytes).unwrap();
    let state = load_safetensors(path, CPU)?;
    let mut m = small();
    let before = shapes(&m);
    m.load_state_dict(&state, strict)?;
    assert_eq!(shapes(&m), before);
    let x = Var::new(Tensor::ones([4, 3], DType::F32, CPU).unwrap(), false);
    assert_eq!(m.forward(&x).unwrap().tensor().size(), &[4, 2]);
    Ok(())
}

proptest! {
    #![proptest_config(cfg(1000))]

    #[test]
    fn idx_mutations_never_panic(seed in any::<Index>(), edits in edits()) {
        let input = apply(seed.get(&IDX).clone(), &edits);
        check_idx(read_idx_from(&input[..]), input.len());
    }
}

proptest! {
    #![proptest_config(cfg(500))]

    #[test]
    fn idx_gzip_of_mutations_never_panics(seed in any::<Index>(), edits in edits()) {
        let plain = apply(seed.get(&IDX).clone(), &edits);
        check_idx(read_idx_from(&gzip(&plain)[..]), plain.len());
    }

    #[test]
    fn idx_gzip_mutations_never_panic(seed in any::<Index>(), edits in edits()) {
        let input = apply(seed.get(&IDX_GZ).clone(), &edits);
        let available = gunzip(&input).map_or(usize::MAX, |b| b.len());
        check_idx(read_idx_from(&input[..]), available);
    }
}

proptest! {
    #![proptest_config(cfg(1000))]

    /// Files that parse, with entries dropped, renamed, reshaped or of another dtype.
    #[test]
    fn changed_state_dicts_load_or_err(changes in prop::collection::vec(change(), 1..8), strict in any::<bool>()) {
        let input = tensor_io::serialize_safetensors(&changed_state(&changes)).unwrap();
        let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz_changed_state.safetensors");
        let _ = check_state(&input, &path, strict);
    }

    #[test]
    fn state_dict_mutations_never_panic(seed in any::<Index>(), edits in edits(), strict in any::<bool>()) {
        let input = apply(seed.get(&STATE).clone(), &edits);
        let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz_state.safetensors");
        let _ = check_state(&input, &path, strict);
    }
}

/// One change to a state dict's entry before it is written.
#[derive(Debug, Clone)]
enum Change {
    Keep,
    Drop,
    Rename(String),
    Shape(Vec<usize>),
    DType(DType),
}

fn change() -> impl Strategy<Value = Change> {
    let dtypes = vec![DType::Bool, DType::U8, DType::I32, DType::I64, DType::F16, DType::BF16, DType::F32, DType::F64];
    prop_oneof![
        4 => Just(Change::Keep),
        1 => Just(Change::Drop),
        1 => prop::sample::select(vec!["fc", "fc.weight.x", "bn.bias", "extra", ""]).prop_map(|n| Change::Rename(n.into())),
        1 => prop::collection::vec(0..4usize, 0..4).prop_map(Change::Shape),
        1 => prop::sample::select(dtypes).prop_map(Change::DType),
    ]
}

/// The model's fixed state dict with one change per entry (in name order).
fn changed_state(changes: &[Change]) -> BTreeMap<String, Tensor> {
    let mut out = BTreeMap::new();
    for ((name, t), c) in fixed_state().into_iter().zip(changes.iter().cycle()) {
        let (name, t) = match c {
            Change::Keep => (name, t),
            Change::Drop => continue,
            Change::Rename(n) => (n.clone(), t),
            Change::Shape(s) => (name, Tensor::zeros(s.as_slice(), t.dtype(), CPU).unwrap()),
            Change::DType(d) => (name, t.to_dtype(*d).unwrap()),
        };
        out.insert(name, t);
    }
    out
}

/// The corpus: each file's name and what reading it gives (`None`: it reads, or loads into
/// the model with `strict`; else words of the error). Every file in `fuzz_corpus/` must be
/// listed, so the README stays true.
const CORPUS: [(&str, &str, Option<&str>); 12] = [
    ("idx", "ok_3x4x4.idx", None),
    ("idx", "ok_labels.idx.gz", None),
    ("idx", "bad_trailing.idx", Some("trailing data")),
    ("idx", "bad_lying_dims.idx", Some("truncated: dims [4294967295, 2147483647]")),
    ("idx", "bad_overflow.idx", Some("overflow")),
    ("idx", "bad_zeros_bomb.gz", Some("bad magic [00, 00, 00, 00]")),
    ("idx", "bad_lying_bomb.idx.gz", Some("need 1073741824 bytes of data, the file has 1048576")),
    ("state", "ok_small.safetensors", None),
    ("state", "bad_key_twice.safetensors", Some("the header names the key \"fc.bias\" twice")),
    ("state", "bad_shape.safetensors", Some("size mismatches")),
    ("state", "bad_unexpected_key.safetensors", Some("unexpected keys [\"extra\"]")),
    ("state", "bad_lying_offsets.safetensors", Some("does not end where the file ends")),
];

#[test]
fn corpus_files_read_as_the_readme_says() {
    for format in ["idx", "state"] {
        let files = corpus(&corpus_dir(format));
        let mut names: Vec<&str> = files.iter().map(|f| f.0.as_str()).collect();
        names.sort();
        let mut want: Vec<&str> = CORPUS.iter().filter(|c| c.0 == format).map(|c| c.1).collect();
        want.sort();
        assert_eq!(names, want, "fuzz_corpus/{format}: the files and the list differ");
        for (name, bytes) in &files {
            let (_, _, outcome) = CORPUS.iter().find(|c| c.0 == format && c.1 == name).unwrap();
            let r = match format {
                "idx" => read_idx_from(&bytes[..]).map(|_| ()),
                _ => check_state(bytes, &Path::new(env!("CARGO_TARGET_TMPDIR")).join("corpus_state.safetensors"), true),
            };
            match (outcome, r) {
                (None, r) => assert!(r.is_ok(), "{name}: {r:?}"),
                (Some(words), Err(e)) => assert!(e.message().contains(words), "{name}: {e}"),
                (Some(_), Ok(())) => panic!("{name} read"),
            }
        }
    }
}

/// The corpus's files, by their recipes: (format, name, bytes).
fn corpus_recipes() -> Vec<(&'static str, &'static str, Vec<u8>)> {
    let lying_bomb = {
        let mut gz = GzEncoder::new(Vec::new(), Compression::best());
        gz.write_all(&idx(&[1 << 30], 0)).unwrap();
        gz.write_all(&vec![0; 1 << 20]).unwrap();
        gz.finish().unwrap()
    };
    let zeros_bomb = {
        let mut gz = GzEncoder::new(Vec::new(), Compression::best());
        gz.write_all(&vec![0; 1 << 20]).unwrap();
        gz.finish().unwrap()
    };
    let state = fixed_state();
    let st = |header: &str, data: &[u8]| [&(header.len() as u64).to_le_bytes()[..], header.as_bytes(), data].concat();
    let mut bad_shape = state.clone();
    bad_shape.insert("fc.weight".into(), Tensor::zeros([3, 3], DType::F32, CPU).unwrap());
    let mut extra = state.clone();
    extra.insert("extra".into(), Tensor::zeros([1], DType::F32, CPU).unwrap());
    let files: Vec<(&'static str, &'static str, Vec<u8>)> = vec![
        ("idx", "ok_3x4x4.idx", idx(&[3, 4, 4], 48)),
        ("idx", "ok_labels.idx.gz", gzip(&idx(&[10], 10))),
        ("idx", "bad_trailing.idx", idx(&[2, 2], 5)),
        ("idx", "bad_lying_dims.idx", idx(&[u32::MAX, i32::MAX as u32], 8)),
        ("idx", "bad_overflow.idx", idx(&[u32::MAX; 3], 8)),
        ("idx", "bad_zeros_bomb.gz", zeros_bomb),
        ("idx", "bad_lying_bomb.idx.gz", lying_bomb),
        ("state", "ok_small.safetensors", tensor_io::serialize_safetensors(&state).unwrap()),
        (
            "state",
            "bad_key_twice.safetensors",
            st(
                r#"{"fc.bias":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"fc.bias":{"dtype":"I32","shape":[2],"data_offsets":[0,8]}}"#,
                &[0; 8],
            ),
        ),
        ("state", "bad_shape.safetensors", tensor_io::serialize_safetensors(&bad_shape).unwrap()),
        ("state", "bad_unexpected_key.safetensors", tensor_io::serialize_safetensors(&extra).unwrap()),
        (
            "state",
            "bad_lying_offsets.safetensors",
            st(r#"{"fc.bias":{"dtype":"F32","shape":[1000000],"data_offsets":[0,4000000]}}"#, &[0; 8]),
        ),
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
