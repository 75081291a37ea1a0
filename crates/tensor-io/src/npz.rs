//! NumPy's `.npz` archives: named arrays, each a `.npy` file inside a zip archive, stored
//! (`np.savez`) or deflated (`np.savez_compressed`).
//!
//! An entry `name.npy` is the array `name`, as `np.load(path)["name"]`. Each array follows
//! the [`.npy` rules](crate::npy) (dtypes, bf16 written as float32, Fortran order, byte
//! orders), and a problem in one is an error that names the archive and the entry. The zip
//! crate checks every entry's CRC-32. An archive that holds a name twice (two `a.npy` entries,
//! or `a.npy` beside `a`) is an error when it is opened, naming the name: the zip crate keeps
//! one entry per name, so one of the two arrays would otherwise be dropped unseen.
//!
//! ```
//! use std::io::Cursor;
//! use tensor_core::{Tensor, DType, Device};
//! use tensor_io::{write_npz_to, NpzCompression, NpzFile};
//! let a = Tensor::ones(&[2, 3], DType::F64, &Device::Cpu)?;
//! let b = Tensor::new([1i64, 2, 3], &Device::Cpu)?;
//! let archive = write_npz_to([("a", &a), ("b", &b)], Cursor::new(Vec::new()), NpzCompression::Deflated)?;
//! let mut npz = NpzFile::from_reader(Cursor::new(archive.into_inner()))?;
//! assert_eq!(npz.names(), ["a", "b"]);
//! assert_eq!(npz.load("b")?.to_vec::<i64>()?, [1, 2, 3]);
//! # Ok::<(), tensor_core::Error>(())
//! ```

use crate::bytes::io_error;
use crate::npy::{read_npy_impl, write_npy_impl, Input};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;
use tensor_core::{Result, ResultExt, Tensor};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

/// How the arrays of an archive are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NpzCompression {
    /// As is, as `np.savez` writes them.
    #[default]
    Stored,
    /// Deflated, as `np.savez_compressed` writes them.
    Deflated,
}

/// An open `.npz` archive whose arrays load one at a time, by name.
pub struct NpzFile<R = BufReader<File>> {
    archive: ZipArchive<R>,
    source: String,
}

impl<R> std::fmt::Debug for NpzFile<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NpzFile").field("source", &self.source).finish_non_exhaustive()
    }
}

impl NpzFile {
    /// Opens the archive at `path` (reads its directory, not its arrays).
    #[track_caller]
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let source = path.display().to_string();
        let file = File::open(path).map_err(|e| io_error("read_npz", &source, e)).located()?;
        Self::with_source(BufReader::new(file), source)
    }
}

impl<R: Read + Seek> NpzFile<R> {
    /// Opens an archive held by `reader` (a `Cursor` over bytes, a file).
    #[track_caller]
    pub fn from_reader(reader: R) -> Result<Self> {
        Self::with_source(reader, "<reader>".to_string())
    }

    #[track_caller]
    fn with_source(reader: R, source: String) -> Result<Self> {
        let archive = ZipArchive::new(reader)
            .map_err(|e| io_error("read_npz", &source, format!("not a zip archive: {e}")))
            .located()?;
        if archive.has_duplicate_names() {
            // The zip crate kept one of the entries that share a name: find the name in the
            // central directory (any `len + 1` of its records hold one name twice).
            let (dir, entries) = (archive.central_directory_start(), archive.len());
            let mut reader = archive.into_inner();
            let name = duplicate_in_directory(&mut reader, dir, entries + 1)
                .map_or_else(|| "an entry".to_string(), |n| format!("the entry {:?}", String::from_utf8_lossy(&n)));
            return Err(io_error("read_npz", &source, format!("{name} is in the archive twice")));
        }
        let npz = NpzFile { archive, source };
        // Two entries that give one array name (`a.npy` and `a`).
        let mut seen = BTreeMap::new();
        for (name, entry) in npz.names().into_iter().zip(npz.entry_names()) {
            if let Some(first) = seen.insert(name.clone(), entry.clone()) {
                let msg = format!("the array {name:?} is in the archive twice (the entries {first:?} and {entry:?})");
                return Err(io_error("read_npz", &npz.source, msg));
            }
        }
        Ok(npz)
    }

    /// The names of the arrays, in the archive's order (each entry's name less `.npy`; a name
    /// that is not valid text is shown lossily).
    pub fn names(&self) -> Vec<String> {
        self.entry_names().into_iter().map(|n| n.strip_suffix(".npy").map(str::to_string).unwrap_or(n)).collect()
    }

    /// The entries' names, in the archive's order (lossily, as [`names`](Self::names)).
    fn entry_names(&self) -> Vec<String> {
        let names = self.archive.file_names().zip(self.archive.file_names_raw());
        names
            .map(|(n, raw)| n.map(Cow::into_owned).unwrap_or_else(|_| String::from_utf8_lossy(raw).into_owned()))
            .collect()
    }

    /// Reads the array `name` (the entry `name.npy`, or `name` itself) as a CPU tensor.
    #[track_caller]
    pub fn load(&mut self, name: &str) -> Result<Tensor> {
        let wanted = format!("{name}.npy");
        let index = self
            .archive
            .index_for_name(&wanted)
            .or_else(|| self.archive.index_for_name(name))
            .ok_or_else(|| {
                io_error(
                    "read_npz",
                    &self.source,
                    format!("no array named {name:?} (the archive holds {:?})", self.names()),
                )
            })
            .located()?;
        self.load_index(index).map(|(_, t)| t)
    }

    /// Reads every array, by name.
    #[track_caller]
    pub fn load_all(&mut self) -> Result<BTreeMap<String, Tensor>> {
        let mut out = BTreeMap::new();
        for i in 0..self.archive.len() {
            let (name, t) = self.load_index(i)?;
            if out.insert(name.clone(), t).is_some() {
                return Err(io_error("read_npz", &self.source, format!("the array {name:?} is in the archive twice")));
            }
        }
        Ok(out)
    }

    #[track_caller]
    fn load_index(&mut self, i: usize) -> Result<(String, Tensor)> {
        let source = &self.source;
        let mut entry =
            self.archive.by_index(i).map_err(|e| io_error("read_npz", source, format!("entry {i}: {e}"))).located()?;
        let entry_name = entry
            .name()
            .map_err(|e| io_error("read_npz", source, format!("entry {i} has a bad name: {e}")))
            .located()?
            .into_owned();
        let Some(name) = entry_name.strip_suffix(".npy") else {
            return Err(io_error("read_npz", source, format!("the entry {entry_name:?} is not a .npy array")));
        };
        let entry_source = format!("{source} (entry {entry_name:?})");
        let t = read_npy_impl(&mut entry, "read_npz", &entry_source, Input::Whole).located()?;
        Ok((name.to_string(), t))
    }
}

/// The first name that the zip central directory at `start` gives twice, reading at most
/// `records` records (`None` when the directory cannot be read).
///
/// The zip crate's name is the record's raw name, or the UTF-8 name of an Info-ZIP Unicode
/// Path extra field (0x7075) whose CRC-32 matches the raw name; so is this one.
fn duplicate_in_directory<R: Read + Seek>(reader: &mut R, start: u64, records: usize) -> Option<Vec<u8>> {
    reader.seek(SeekFrom::Start(start)).ok()?;
    let mut r = BufReader::new(reader);
    let mut seen = HashSet::new();
    for _ in 0..records {
        let mut fixed = [0u8; 46];
        r.read_exact(&mut fixed).ok()?;
        if fixed[..4] != *b"PK\x01\x02" {
            return None;
        }
        let field = |at: usize| usize::from(u16::from_le_bytes([fixed[at], fixed[at + 1]]));
        let mut name = vec![0u8; field(28)];
        let mut extra = vec![0u8; field(30)];
        r.read_exact(&mut name).ok()?;
        r.read_exact(&mut extra).ok()?;
        std::io::copy(&mut (&mut r).take(field(32) as u64), &mut std::io::sink()).ok()?;
        let name = unicode_path(&extra, &name).unwrap_or(name);
        if let Some(again) = seen.replace(name) {
            return Some(again);
        }
    }
    None
}

/// The name of an Info-ZIP Unicode Path extra field in `extra` whose CRC-32 is `raw`'s (the
/// last such field, as the zip crate).
fn unicode_path(mut extra: &[u8], raw: &[u8]) -> Option<Vec<u8>> {
    let mut found = None;
    while extra.len() >= 4 {
        let id = u16::from_le_bytes([extra[0], extra[1]]);
        let len = usize::from(u16::from_le_bytes([extra[2], extra[3]]));
        let Some(data) = extra.get(4..4 + len) else { break };
        if id == 0x7075 && data.len() >= 5 && data[0] == 1 {
            let crc = u32::from_le_bytes([data[1], data[2], data[3], data[4]]);
            if crc == crc32fast::hash(raw) && std::str::from_utf8(&data[5..]).is_ok() {
                found = Some(data[5..].to_vec());
            }
        }
        extra = &extra[4 + len..];
    }
    found
}

/// Reads every array of the `.npz` archive at `path`, by name, as CPU tensors (as
/// `dict(np.load(path))`).
#[track_caller]
pub fn read_npz(path: impl AsRef<Path>) -> Result<BTreeMap<String, Tensor>> {
    NpzFile::open(path)?.load_all()
}

/// Reads every array of the `.npz` archive held by `reader`.
#[track_caller]
pub fn read_npz_from(reader: impl Read + Seek) -> Result<BTreeMap<String, Tensor>> {
    NpzFile::from_reader(reader)?.load_all()
}

/// Writes named tensors as a `.npz` archive that `np.load` reads, as `np.savez(path, **tensors)`
/// (or `np.savez_compressed` with [`NpzCompression::Deflated`]).
///
/// ```no_run
/// use tensor_core::{Tensor, Device};
/// use tensor_io::{write_npz, NpzCompression};
/// let x = Tensor::arange(0.0, 10.0, 1.0, &Device::Cpu)?;
/// write_npz([("x", &x), ("x_squared", &(&x * &x))], "arrays.npz", NpzCompression::Stored)?;
/// # Ok::<(), tensor_core::Error>(())
/// ```
#[track_caller]
pub fn write_npz<'a, K: AsRef<str>>(
    tensors: impl IntoIterator<Item = (K, &'a Tensor)>,
    path: impl AsRef<Path>,
    compression: NpzCompression,
) -> Result<()> {
    let path = path.as_ref();
    let source = path.display().to_string();
    let file = File::create(path).map_err(|e| io_error("write_npz", &source, e)).located()?;
    let mut w = write_npz_impl(tensors, BufWriter::new(file), compression, &source)?;
    w.flush().map_err(|e| io_error("write_npz", &source, e)).located()
}

/// Writes named tensors as a `.npz` archive to `writer`, and gives the writer back.
#[track_caller]
pub fn write_npz_to<'a, K: AsRef<str>, W: Write + Seek>(
    tensors: impl IntoIterator<Item = (K, &'a Tensor)>,
    writer: W,
    compression: NpzCompression,
) -> Result<W> {
    write_npz_impl(tensors, writer, compression, "<writer>")
}

#[track_caller]
fn write_npz_impl<'a, K: AsRef<str>, W: Write + Seek>(
    tensors: impl IntoIterator<Item = (K, &'a Tensor)>,
    writer: W,
    compression: NpzCompression,
    source: &str,
) -> Result<W> {
    let method = match compression {
        NpzCompression::Stored => CompressionMethod::Stored,
        NpzCompression::Deflated => CompressionMethod::Deflated,
    };
    let mut zip = ZipWriter::new(writer);
    let mut seen = BTreeSet::new();
    for (name, t) in tensors {
        let name = name.as_ref();
        if !seen.insert(name.to_string()) {
            return Err(io_error("write_npz", source, format!("the name {name:?} is given twice")));
        }
        // Zip64 for entries that may pass 4 GiB (bf16 doubles as float32; a header is small).
        let large = t.numel().saturating_mul(t.dtype().size_in_bytes()) > u32::MAX as usize / 2;
        let options = SimpleFileOptions::default().compression_method(method).large_file(large);
        let entry = format!("{name}.npy");
        zip.start_file(entry.as_str(), options)
            .map_err(|e| io_error("write_npz", source, format!("entry {entry:?}: {e}")))
            .located()?;
        write_npy_impl(t, &mut zip, "write_npz", &format!("{source} (entry {entry:?})")).located()?;
    }
    zip.finish().map_err(|e| io_error("write_npz", source, e)).located()
}
