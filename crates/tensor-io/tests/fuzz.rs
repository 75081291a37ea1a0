//! The readers fuzzed with proptest (a fixed seed: every run draws the same cases): valid
//! files, mutated by flipping and setting bytes, truncating, inserting and removing bytes, and
//! editing the header (the shape's numbers, the dtype, random header-like text), must give
//! `Ok` or `Err`, never a panic, and a successful read never holds more elements than the
//! input has bytes for.

use crate::common;

use common::pattern;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, RngAlgorithm, RngSeed};
use std::io::Cursor;
use tensor_core::{DType, Device, Tensor};
use tensor_io::{
    load_safetensors_bytes, read_npy_bytes, read_npy_from, read_npz_from, serialize_safetensors, write_npy_to,
};

fn cfg(cases: u32) -> Config {
    Config {
        cases,
        rng_algorithm: RngAlgorithm::ChaCha,
        rng_seed: RngSeed::Fixed(0x10_f1e5),
        failure_persistence: None,
        ..Config::default()
    }
}

/// One change to a file's bytes.
#[derive(Debug, Clone)]
enum Edit {
    Flip(Index, u8),
    Set(Index, u8),
    Truncate(Index),
    Insert(Index, Vec<u8>),
    Remove(Index, usize),
    /// Replaces the first occurrence of a pattern (`'shape': (...)`, `"shape":[...]`, a dtype)
    /// with the given text.
    Header(usize, String),
}

fn edit() -> impl Strategy<Value = Edit> {
    let number = || prop_oneof![Just(0u64), Just(1), 0..10u64, any::<u32>().prop_map(u64::from), any::<u64>()];
    let dims = prop::collection::vec(number(), 0..5);
    let junk = "[{}()'\":, 0-9a-zA-Z<>|_\\[\\]-]{0,12}";
    prop_oneof![
        (any::<Index>(), 1..=255u8).prop_map(|(i, x)| Edit::Flip(i, x)),
        (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Edit::Set(i, b)),
        any::<Index>().prop_map(Edit::Truncate),
        (any::<Index>(), prop::collection::vec(any::<u8>(), 1..16)).prop_map(|(i, b)| Edit::Insert(i, b)),
        (any::<Index>(), 1..64usize).prop_map(|(i, n)| Edit::Remove(i, n)),
        dims.prop_map(|d| {
            let list = d.iter().map(u64::to_string).collect::<Vec<_>>();
            Edit::Header(0, format!("({},)", list.join(", ")))
        }),
        prop::collection::vec(number(), 0..4).prop_map(|d| {
            let list = d.iter().map(u64::to_string).collect::<Vec<_>>();
            Edit::Header(1, format!("[{}]", list.join(",")))
        }),
        prop::sample::select(vec![
            "'<f8'", "'>i4'", "'|b1'", "'<U3'", "'O'", "''", "\"F64\"", "\"I16\"", "\"BOOL\"", "\"\""
        ])
        .prop_map(|d| Edit::Header(2, d.to_string())),
        junk.prop_map(|j| Edit::Header(3, j)),
    ]
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Applies the edits in turn. Header edits: 0 replaces the `.npy` shape tuple, 1 the first
/// JSON list (a safetensors shape), 2 the dtype string (either format), 3 inserts text after
/// the first `{`.
fn apply(mut v: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for e in edits {
        match e {
            Edit::Flip(i, x) if !v.is_empty() => {
                let at = i.index(v.len());
                v[at] ^= x;
            }
            Edit::Set(i, b) if !v.is_empty() => {
                let at = i.index(v.len());
                v[at] = *b;
            }
            Edit::Truncate(i) => v.truncate(i.index(v.len() + 1)),
            Edit::Insert(i, b) => {
                let at = i.index(v.len() + 1);
                v.splice(at..at, b.iter().copied());
            }
            Edit::Remove(i, n) if !v.is_empty() => {
                let at = i.index(v.len());
                v.drain(at..(at + n).min(v.len()));
            }
            Edit::Header(t, text) => {
                let (needle, open, close): (&[u8], u8, u8) = match t {
                    0 => (b"'shape': ", b'(', b')'),
                    1 => (b"[", b'[', b']'),
                    2 if v.starts_with(&[0x93]) => (b"'descr': ", b'\'', b'\''),
                    2 => (b"\"dtype\":", b'"', b'"'),
                    _ => (b"{", b'{', b'{'),
                };
                let Some(p) = find(&v, needle) else { continue };
                if *t == 3 {
                    v.splice(p + 1..p + 1, text.bytes());
                    continue;
                }
                let Some(start) = v[p..].iter().position(|&c| c == open).map(|q| p + q) else { continue };
                let end = v[start + 1..].iter().position(|&c| c == close).map_or(v.len(), |q| start + q + 2);
                v.splice(start..end, text.bytes());
            }
            _ => {}
        }
    }
    v
}

fn npy(t: &Tensor) -> Vec<u8> {
    let mut v = Vec::new();
    write_npy_to(t, &mut v).unwrap();
    v
}

fn npy_seeds() -> Vec<Vec<u8>> {
    vec![
        npy(&pattern(DType::F32, &[2, 3])),
        npy(&pattern(DType::I64, &[3, 2]).t().unwrap()),
        npy(&pattern(DType::Bool, &[])),
        npy(&Tensor::zeros([0, 4], DType::F16, &Device::Cpu).unwrap()),
        include_bytes!("fixtures/float16_be_fortran.npy").to_vec(),
        include_bytes!("fixtures/float32_v3.npy").to_vec(),
    ]
}

/// A read that worked holds no more elements than the input could.
fn check_npy(input: &[u8]) {
    if let Ok(t) = read_npy_bytes(input) {
        assert!(t.numel() * t.dtype().size_in_bytes() <= input.len(), "{:?} from {} bytes", t.size(), input.len());
    }
    let _ = read_npy_from(input);
}

proptest! {
    #![proptest_config(cfg(600))]

    #[test]
    fn npy_mutations_never_panic(seed in 0..6usize, edits in prop::collection::vec(edit(), 1..4)) {
        let input = apply(npy_seeds()[seed].clone(), &edits);
        check_npy(&input);
    }
}

fn npz_seeds() -> Vec<Vec<u8>> {
    vec![include_bytes!("fixtures/arrays_stored.npz").to_vec(), include_bytes!("fixtures/arrays_deflated.npz").to_vec()]
}

proptest! {
    #![proptest_config(cfg(400))]

    #[test]
    fn npz_mutations_never_panic(seed in 0..2usize, edits in prop::collection::vec(edit(), 1..4)) {
        let input = apply(npz_seeds()[seed].clone(), &edits);
        let _ = read_npz_from(Cursor::new(input));
    }
}

fn safetensors_seeds() -> Vec<Vec<u8>> {
    let t = pattern(DType::BF16, &[2, 3]);
    let e = Tensor::zeros([0], DType::I64, &Device::Cpu).unwrap();
    vec![
        serialize_safetensors([("a", &t), ("b.e", &e), ("c", &pattern(DType::U8, &[]))]).unwrap(),
        include_bytes!("fixtures/all_dtypes.safetensors").to_vec(),
    ]
}

proptest! {
    #![proptest_config(cfg(600))]

    #[test]
    fn safetensors_mutations_never_panic(seed in 0..2usize, edits in prop::collection::vec(edit(), 1..4)) {
        let input = apply(safetensors_seeds()[seed].clone(), &edits);
        if let Ok(all) = load_safetensors_bytes(&input, &Device::Cpu) {
            let total: usize = all.values().map(|t| t.numel() * t.dtype().size_in_bytes()).sum();
            prop_assert!(total <= input.len());
        }
    }
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
}
