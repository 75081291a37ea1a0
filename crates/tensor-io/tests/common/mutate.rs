//! The fuzz tests' mutations of a file's bytes, drawn by proptest with a fixed seed: flipping
//! and setting bytes, writing a 4-byte number near the start (a length, an idx dim),
//! truncating, inserting and removing bytes, and editing the header's text (the shape's
//! numbers, the dtype, random header-like text). Also the seed corpus in `fuzz_corpus/`.
//!
//! tensor-nn's fuzz tests (idx files and state dicts) use this file too, through `#[path]`.

#![allow(dead_code)]

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, RngAlgorithm, RngSeed};
use std::path::Path;

/// `cases` cases drawn from a fixed seed: every run draws the same inputs.
pub fn cfg(cases: u32) -> Config {
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
pub enum Edit {
    Flip(Index, u8),
    Set(Index, u8),
    /// Writes a number as 4 bytes (big-endian when the flag is set) somewhere in the first 32.
    Word(Index, u32, bool),
    Truncate(Index),
    Insert(Index, Vec<u8>),
    Remove(Index, usize),
    /// Replaces the first occurrence of a pattern (`'shape': (...)`, `"shape":[...]`, a dtype)
    /// with the given text.
    Header(usize, String),
}

pub fn edit() -> impl Strategy<Value = Edit> {
    let number = || prop_oneof![Just(0u64), Just(1), 0..10u64, any::<u32>().prop_map(u64::from), any::<u64>()];
    let word = prop_oneof![Just(0u32), Just(1), 0..64u32, Just(u32::MAX), Just(i32::MAX as u32), any::<u32>()];
    let dims = prop::collection::vec(number(), 0..5);
    let junk = "[{}()'\":, 0-9a-zA-Z<>|_\\[\\]-]{0,12}";
    prop_oneof![
        (any::<Index>(), 1..=255u8).prop_map(|(i, x)| Edit::Flip(i, x)),
        (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Edit::Set(i, b)),
        (any::<Index>(), word, any::<bool>()).prop_map(|(i, w, be)| Edit::Word(i, w, be)),
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

/// One to three edits.
pub fn edits() -> impl Strategy<Value = Vec<Edit>> {
    prop::collection::vec(edit(), 1..4)
}

pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Applies the edits in turn. Header edits: 0 replaces the `.npy` shape tuple, 1 the first
/// JSON list (a safetensors shape), 2 the dtype string (either format), 3 inserts text after
/// the first `{`.
pub fn apply(mut v: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
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
            Edit::Word(i, w, be) if !v.is_empty() => {
                let at = i.index(v.len().min(32));
                let bytes = if *be { w.to_be_bytes() } else { w.to_le_bytes() };
                let end = (at + 4).min(v.len());
                v[at..end].copy_from_slice(&bytes[..end - at]);
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

/// The files of `dir` (a folder of a `fuzz_corpus/`), sorted by name, as (name, bytes).
pub fn corpus(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|f| {
            let path = f.unwrap().path();
            (path.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&path).unwrap())
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{}: no seed files", dir.display());
    files
}
