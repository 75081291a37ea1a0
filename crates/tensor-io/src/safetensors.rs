//! safetensors files (Hugging Face's format, PyTorch's `safetensors.torch.save_file` /
//! `load_file`): named tensors after a JSON header, little-endian, row-major.
//!
//! Dtypes: `BOOL`, `U8`, `U16`, `U32`, `U64`, `I8`, `I16`, `I32`, `I64`, `F16`, `BF16`, `F32`,
//! `F64` map to the dtypes of the same names; any other dtype in a file (`F8_E4M3`, ...) is an
//! error of kind `DType`
//! when that tensor is loaded. [`save_safetensors`] writes the metadata `{"format": "pt"}` as
//! PyTorch's `save_file` does (Hugging Face's loaders look for it); non-contiguous tensors are
//! written row-major, contiguous CPU tensors straight from their storage, without a copy.
//!
//! [`SafetensorsFile::open`] maps a file into memory (`memmap2`) and checks its header once;
//! [`load`](SafetensorsFile::load) then copies one tensor's bytes out of the map, so a large
//! checkpoint is never read whole. The header checks are the safetensors crate's: a header
//! that is not JSON, offsets that overlap, leave gaps or run past the end, a shape whose size
//! overflows or disagrees with its offsets, and bytes after the last tensor are all errors
//! that name the file. A header that names a key twice (a tensor, a `__metadata__` entry, a
//! field of a tensor) is one too, naming the key: JSON parsers keep the last of the two, so
//! the first tensor's bytes would be read with the second's dtype and shape.
//!
//! ```
//! use std::collections::BTreeMap;
//! use tensor_core::{Tensor, DType, Device};
//! use tensor_io::{load_safetensors_bytes, serialize_safetensors};
//! let mut state = BTreeMap::new();
//! state.insert("weight".to_string(), Tensor::ones(&[2, 3], DType::BF16, &Device::Cpu)?);
//! state.insert("step".to_string(), Tensor::new(7i64, &Device::Cpu)?);
//! let bytes = serialize_safetensors(&state)?;
//! let back = load_safetensors_bytes(&bytes, &Device::Cpu)?;
//! assert_eq!(back["weight"].dtype(), DType::BF16);
//! assert_eq!(back["step"].item::<i64>()?, 7);
//! # Ok::<(), tensor_core::Error>(())
//! ```

use crate::bytes::{checked_numel, io_error, storage_from_bytes, LeBytes};
use ::safetensors::tensor::{Dtype, SafeTensorError, SafeTensors, View};
use memmap2::Mmap;
use serde::de::{DeserializeSeed, Error as _, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fs::File;
use std::path::Path;
use tensor_core::{err, DType, Device, Result, ResultExt, Tensor};

fn to_st(d: DType) -> Dtype {
    match d {
        DType::Bool => Dtype::BOOL,
        DType::U8 => Dtype::U8,
        DType::I8 => Dtype::I8,
        DType::I16 => Dtype::I16,
        DType::U16 => Dtype::U16,
        DType::U32 => Dtype::U32,
        DType::U64 => Dtype::U64,
        DType::I32 => Dtype::I32,
        DType::I64 => Dtype::I64,
        DType::F16 => Dtype::F16,
        DType::BF16 => Dtype::BF16,
        DType::F32 => Dtype::F32,
        DType::F64 => Dtype::F64,
    }
}

fn from_st(d: Dtype) -> Option<DType> {
    Some(match d {
        Dtype::BOOL => DType::Bool,
        Dtype::U8 => DType::U8,
        Dtype::I8 => DType::I8,
        Dtype::I16 => DType::I16,
        Dtype::U16 => DType::U16,
        Dtype::U32 => DType::U32,
        Dtype::U64 => DType::U64,
        Dtype::I32 => DType::I32,
        Dtype::I64 => DType::I64,
        Dtype::F16 => DType::F16,
        Dtype::BF16 => DType::BF16,
        Dtype::F32 => DType::F32,
        Dtype::F64 => DType::F64,
        _ => return None,
    })
}

/// Where one tensor lies in the file.
#[derive(Debug, Clone)]
struct Entry {
    dtype: Dtype,
    shape: Vec<usize>,
    /// Byte range in the whole file.
    start: usize,
    end: usize,
}

/// The checked header of a safetensors buffer: its tensors by name, and its metadata.
#[derive(Debug)]
struct Index {
    entries: BTreeMap<String, Entry>,
    metadata: BTreeMap<String, String>,
}

fn describe(e: &SafeTensorError, len: usize) -> String {
    match e {
        SafeTensorError::HeaderTooSmall => format!("truncated: {len} bytes, less than the 8-byte header length"),
        SafeTensorError::InvalidHeaderLength => {
            format!("truncated or malformed: the header length runs past the end of the file ({len} bytes)")
        }
        SafeTensorError::MetadataIncompleteBuffer => {
            "the tensors' data does not end where the file ends (truncated, or bytes after the data)".to_string()
        }
        other => format!("malformed safetensors header: {other}"),
    }
}

/// Walks a JSON value and fails at the first object that holds a key twice, leaving the key
/// (and the key of the object that holds it, if any) in `dup`.
struct NoDuplicateKeys<'a> {
    parent: Option<&'a str>,
    dup: &'a mut Option<String>,
}

impl<'de> DeserializeSeed<'de> for NoDuplicateKeys<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for NoDuplicateKeys<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
        while seq.next_element_seed(NoDuplicateKeys { parent: self.parent, dup: &mut *self.dup })?.is_some() {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<(), A::Error> {
        let mut keys = HashSet::new();
        // Keys are compared unescaped: "x" and "\u0078" are the same key.
        while let Some(key) = map.next_key::<String>()? {
            if keys.contains(&key) {
                *self.dup = Some(match self.parent {
                    None => format!("{key:?}"),
                    Some(p) => format!("{key:?} (in {p:?})"),
                });
                return Err(A::Error::custom("duplicate key"));
            }
            map.next_value_seed(NoDuplicateKeys { parent: Some(&key), dup: &mut *self.dup })?;
            keys.insert(key);
        }
        Ok(())
    }
}

/// The first key that the JSON header of `buf` holds twice in one object, found before any
/// other problem of the header (those are left to the safetensors crate's checks).
fn duplicate_key(buf: &[u8]) -> Option<String> {
    let len = usize::try_from(u64::from_le_bytes(buf.get(..8)?.try_into().ok()?)).ok()?;
    if len > 100_000_000 {
        return None; // more than the safetensors crate reads (its MAX_HEADER_SIZE)
    }
    let header = std::str::from_utf8(buf.get(8..8usize.checked_add(len)?)?).ok()?;
    let mut dup = None;
    let mut de = serde_json::Deserializer::from_str(header);
    let _ = NoDuplicateKeys { parent: None, dup: &mut dup }.deserialize(&mut de);
    dup
}

impl Index {
    #[track_caller]
    fn parse(buf: &[u8], op: &'static str, source: &str) -> Result<Self> {
        if buf.starts_with(b"PK\x03\x04") {
            return Err(io_error(
                op,
                source,
                "this is a PyTorch pickle file (torch.save, a zip archive), not safetensors; load it with \
                 tensor_io::load_pt (tensor_nn::load_pt for a state dict)",
            ));
        }
        if let Some(key) = duplicate_key(buf) {
            return Err(io_error(op, source, format!("the header names the key {key} twice")));
        }
        let (n, meta) =
            SafeTensors::read_metadata(buf).map_err(|e| io_error(op, source, describe(&e, buf.len()))).located()?;
        let base = 8 + n;
        let mut entries = BTreeMap::new();
        for (name, info) in meta.tensors() {
            let (start, end) = info.data_offsets;
            let entry = Entry { dtype: info.dtype, shape: info.shape.clone(), start: base + start, end: base + end };
            entries.insert(name, entry);
        }
        let metadata = meta.metadata().clone().unwrap_or_default().into_iter().collect();
        Ok(Index { entries, metadata })
    }

    #[track_caller]
    fn entry(&self, name: &str, op: &'static str, source: &str) -> Result<&Entry> {
        self.entries.get(name).ok_or_else(|| io_error(op, source, format!("no tensor named {name:?}"))).located()
    }

    #[track_caller]
    fn dtype(&self, name: &str, op: &'static str, source: &str) -> Result<DType> {
        let e = self.entry(name, op, source)?;
        from_st(e.dtype).ok_or_else(|| {
            err!(
                DType,
                op,
                "{source}: tensor {name:?} has dtype {:?}, which has no counterpart here (supported: BOOL, U8, U16, U32, U64, I8, I16, I32, I64, F16, BF16, F32, F64)",
                e.dtype
            )
        }).located()
    }

    #[track_caller]
    fn load(&self, buf: &[u8], name: &str, device: &Device, op: &'static str, source: &str) -> Result<Tensor> {
        let dtype = self.dtype(name, op, source)?;
        let e = self.entry(name, op, source)?;
        if checked_numel(&e.shape).is_none() {
            return Err(io_error(op, source, format!("tensor {name:?} has shape {:?}, too large to address", e.shape)));
        }
        let bytes = buf
            .get(e.start..e.end)
            .ok_or_else(|| io_error(op, source, format!("tensor {name:?}'s data lies outside the file")))
            .located()?;
        Tensor::from_cpu_storage(storage_from_bytes(dtype, bytes, false), e.shape.clone(), device)
    }

    #[track_caller]
    fn load_all(
        &self,
        buf: &[u8],
        device: &Device,
        op: &'static str,
        source: &str,
    ) -> Result<BTreeMap<String, Tensor>> {
        self.entries.keys().map(|name| Ok((name.clone(), self.load(buf, name, device, op, source)?))).collect()
    }
}

/// A safetensors file mapped into memory, its header checked; tensors load on demand.
///
/// The map is read-only and private, but as with any memory map, another process that
/// truncates or rewrites the file while it is open can make reads fail or see new bytes.
/// ([`save_safetensors`] itself never rewrites a file in place: it writes a new file and
/// renames it.)
///
/// ```
/// use tensor_core::{Tensor, DType, Device};
/// use tensor_io::{save_safetensors, SafetensorsFile};
/// let path = std::env::temp_dir().join(format!("tensor_io_doc_{}.safetensors", std::process::id()));
/// let w = Tensor::ones(&[3, 2], DType::F16, &Device::Cpu)?;
/// save_safetensors([("fc.weight", &w)], &path)?;
///
/// let file = SafetensorsFile::open(&path)?;
/// assert_eq!(file.names().collect::<Vec<_>>(), ["fc.weight"]);
/// assert_eq!(file.shape("fc.weight")?, &[3, 2]);
/// assert_eq!(file.dtype("fc.weight")?, DType::F16);
/// assert_eq!(file.metadata().get("format").map(String::as_str), Some("pt"));
/// let loaded = file.load("fc.weight", &Device::Cpu)?;
/// assert_eq!(loaded.to_vec::<f32>()?, [1.0; 6]);
/// # drop(file);
/// # std::fs::remove_file(&path).unwrap();
/// # Ok::<(), tensor_core::Error>(())
/// ```
pub struct SafetensorsFile {
    source: String,
    map: Mmap,
    index: Index,
}

impl std::fmt::Debug for SafetensorsFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SafetensorsFile")
            .field("path", &self.source)
            .field("bytes", &self.map.len())
            .field("tensors", &self.index.entries.len())
            .finish()
    }
}

const OPEN: &str = "SafetensorsFile::open";
const LOAD: &str = "load_safetensors";

impl SafetensorsFile {
    /// Maps the file at `path` and checks its header (the tensors' bytes are not read).
    #[track_caller]
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_as(path.as_ref(), OPEN)
    }

    #[track_caller]
    fn open_as(path: &Path, op: &'static str) -> Result<Self> {
        let source = path.display().to_string();
        let file = File::open(path).map_err(|e| io_error(op, &source, e)).located()?;
        // SAFETY: the map is read-only and private to this struct, and is only read through
        // bounds-checked slices. As for every file mapping, the file must not be truncated or
        // modified by another process while it is mapped (see the type's docs).
        let map = unsafe { Mmap::map(&file) }.map_err(|e| io_error(op, &source, e)).located()?;
        let index = Index::parse(&map, op, &source)?;
        Ok(SafetensorsFile { source, map, index })
    }

    /// The names of the tensors, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> + '_ {
        self.index.entries.keys().map(String::as_str)
    }

    /// The number of tensors.
    pub fn len(&self) -> usize {
        self.index.entries.len()
    }

    /// True when the file holds no tensor.
    pub fn is_empty(&self) -> bool {
        self.index.entries.is_empty()
    }

    /// True when the file holds a tensor named `name`.
    pub fn contains(&self, name: &str) -> bool {
        self.index.entries.contains_key(name)
    }

    /// The shape of the tensor `name`.
    #[track_caller]
    pub fn shape(&self, name: &str) -> Result<&[usize]> {
        Ok(&self.index.entry(name, LOAD, &self.source)?.shape)
    }

    /// The dtype of the tensor `name` (an error of kind `DType` when it has no counterpart).
    #[track_caller]
    pub fn dtype(&self, name: &str) -> Result<DType> {
        self.index.dtype(name, LOAD, &self.source)
    }

    /// The header's `__metadata__` (string to string; empty when there is none).
    pub fn metadata(&self) -> &BTreeMap<String, String> {
        &self.index.metadata
    }

    /// Copies the tensor `name` out of the map onto `device`.
    #[track_caller]
    pub fn load(&self, name: &str, device: &Device) -> Result<Tensor> {
        self.index.load(&self.map, name, device, LOAD, &self.source)
    }

    /// Loads every tensor, by name.
    #[track_caller]
    pub fn load_all(&self, device: &Device) -> Result<BTreeMap<String, Tensor>> {
        self.index.load_all(&self.map, device, LOAD, &self.source)
    }
}

/// Reads every tensor of the safetensors file at `path` onto `device` (through a memory map),
/// as `safetensors.torch.load_file(path, device)`.
#[track_caller]
pub fn load_safetensors(path: impl AsRef<Path>, device: &Device) -> Result<BTreeMap<String, Tensor>> {
    SafetensorsFile::open_as(path.as_ref(), LOAD)?.load_all(device)
}

/// Reads every tensor of a safetensors file's bytes onto `device`, as
/// `safetensors.torch.load(bytes)`.
#[track_caller]
pub fn load_safetensors_bytes(bytes: &[u8], device: &Device) -> Result<BTreeMap<String, Tensor>> {
    Index::parse(bytes, LOAD, "<memory>")?.load_all(bytes, device, LOAD, "<memory>")
}

/// Writes named tensors to a safetensors file that `safetensors.torch.load_file` reads, with
/// the metadata `{"format": "pt"}`. The file is written beside `path` and renamed over it.
///
/// ```no_run
/// use std::collections::BTreeMap;
/// use tensor_core::{Tensor, DType, Device};
/// let mut state = BTreeMap::new();
/// state.insert("bias".to_string(), Tensor::zeros(&[4], DType::F32, &Device::Cpu)?);
/// tensor_io::save_safetensors(&state, "model.safetensors")?;
/// # Ok::<(), tensor_core::Error>(())
/// ```
#[track_caller]
pub fn save_safetensors<'a, K: AsRef<str>>(
    tensors: impl IntoIterator<Item = (K, &'a Tensor)>,
    path: impl AsRef<Path>,
) -> Result<()> {
    save_safetensors_with_metadata(tensors, &BTreeMap::new(), path)
}

/// [`save_safetensors`] with more `__metadata__` entries (`format` is `pt` unless given).
#[track_caller]
pub fn save_safetensors_with_metadata<'a, K: AsRef<str>>(
    tensors: impl IntoIterator<Item = (K, &'a Tensor)>,
    metadata: &BTreeMap<String, String>,
    path: impl AsRef<Path>,
) -> Result<()> {
    const OP: &str = "save_safetensors";
    let path = path.as_ref();
    let source = path.display().to_string();
    let views = prepare(tensors, OP, &source)?;
    ::safetensors::serialize_to_file(
        views.iter().map(|(n, v)| (n.as_str(), v)),
        Some(metadata_with_format(metadata)),
        path,
    )
    .map_err(|e| io_error(OP, &source, e))
    .located()
}

/// The bytes of a safetensors file holding named tensors (with `{"format": "pt"}`), as
/// `safetensors.torch.save(tensors)`.
#[track_caller]
pub fn serialize_safetensors<'a, K: AsRef<str>>(tensors: impl IntoIterator<Item = (K, &'a Tensor)>) -> Result<Vec<u8>> {
    const OP: &str = "serialize_safetensors";
    let views = prepare(tensors, OP, "<memory>")?;
    ::safetensors::serialize(views.iter().map(|(n, v)| (n.as_str(), v)), Some(metadata_with_format(&BTreeMap::new())))
        .map_err(|e| io_error(OP, "<memory>", e))
        .located()
}

fn metadata_with_format(metadata: &BTreeMap<String, String>) -> HashMap<String, String> {
    let mut m: HashMap<String, String> = metadata.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    m.entry("format".to_string()).or_insert_with(|| "pt".to_string());
    m
}

/// One tensor to write: its dtype, shape and little-endian bytes.
struct StView<'a> {
    dtype: Dtype,
    shape: Vec<usize>,
    bytes: LeBytes<'a>,
}

impl View for &StView<'_> {
    fn dtype(&self) -> Dtype {
        self.dtype
    }
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn data(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(self.bytes.as_bytes())
    }
    fn data_len(&self) -> usize {
        self.bytes.as_bytes().len()
    }
}

/// The tensors' bytes: borrowed from contiguous CPU storages (each storage lent once, so no
/// lock is taken twice by this thread), copied otherwise. The copies are made first, before
/// any lock is held.
#[track_caller]
fn prepare<'a, K: AsRef<str>>(
    tensors: impl IntoIterator<Item = (K, &'a Tensor)>,
    op: &'static str,
    source: &str,
) -> Result<Vec<(String, StView<'a>)>> {
    let list: Vec<(String, &Tensor)> = tensors.into_iter().map(|(k, t)| (k.as_ref().to_string(), t)).collect();
    let mut names = BTreeSet::new();
    let mut lent = BTreeSet::new();
    let mut borrow = Vec::with_capacity(list.len());
    for (name, t) in &list {
        if !names.insert(name.as_str()) {
            return Err(io_error(op, source, format!("the name {name:?} is given twice")));
        }
        borrow.push(LeBytes::borrowable(t) && lent.insert(t.storage_id()));
    }
    let mut bytes: Vec<Option<LeBytes<'a>>> = Vec::with_capacity(list.len());
    for (&(_, t), &b) in list.iter().zip(&borrow) {
        bytes.push(if b { None } else { Some(LeBytes::of(t, false)?) });
    }
    let mut views = Vec::with_capacity(list.len());
    for ((name, t), b) in list.into_iter().zip(bytes) {
        let bytes = match b {
            Some(b) => b,
            None => LeBytes::of(t, true)?,
        };
        views.push((name, StView { dtype: to_st(t.dtype()), shape: t.size().to_vec(), bytes }));
    }
    Ok(views)
}
