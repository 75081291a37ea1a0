//! PyTorch's own `torch.save` files (`.pt`, `.pth`), read without Python and without running
//! anything the file says: state dicts and other dicts of tensors.
//!
//! Since PyTorch 1.6 `torch.save` writes a zip archive: `<name>/data.pkl` (a pickle of the
//! object, whose tensors refer to storages by key), `<name>/data/<key>` (each storage's raw
//! bytes), `<name>/byteorder` (`little` or `big`) and `<name>/version`. The pickle is run by a
//! data-only unpickler of this crate (`unpickle.rs`, its values in `values.rs`) that knows
//! the opcodes `torch.save` writes (protocols 2 to 5) and only the globals that rebuild
//! tensors and ordered dicts; a pickle that names any other global (`os.system`, ...) or
//! builds an arbitrary object is refused with an error naming the global or opcode. Nothing
//! is imported or called.
//!
//! Tensors keep their storage offset, sizes and strides: a transposed or sliced tensor is the
//! same view here, and tensors that shared a storage in PyTorch share one here
//! (`torch.load`'s behaviour). Every dtype of tensor-core loads (bool, the signed and unsigned
//! integers, float16, bfloat16, float32, float64); any other (complex, float8, quantized, ...)
//! is an error of kind `DType` naming the dtype and the key. Dicts nest: `{"model": {"fc.weight":
//! t}}` gives the key `model.fc.weight`, and lists and tuples give their indices as keys;
//! every other value (an int, a string, `None`) is an error naming its key, as is a top level
//! that is not a dict. The legacy format of PyTorch before 1.6 (a bare pickle stream) is
//! refused with a message that says so.
//!
//! Every failure is an error naming the file; sizes are checked against the archive before
//! anything is read, and `tests/fuzz.rs` mutates valid files to check that nothing panics.
//!
//! ```no_run
//! let state = tensor_io::load_pt("model.pt")?; // torch.save(model.state_dict(), "model.pt")
//! for (name, t) in &state {
//!     println!("{name}: {:?} {:?}", t.size(), t.dtype());
//! }
//! # Ok::<(), tensor_core::Error>(())
//! ```

mod unpickle;
mod values;

use crate::bytes::{io_error, storage_from_bytes};
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufReader, Cursor, Read, Seek};
use std::path::Path;
use std::rc::Rc;
use tensor_core::{err, DType, Device, Result, ResultExt, Tensor};
use unpickle::Unpickler;
use values::{TensorRef, Value};
use zip::ZipArchive;

const OP: &str = "load_pt";

/// How deep dicts, lists and tuples may nest around the tensors.
const MAX_DEPTH: usize = 64;

/// Reads the tensors of a `torch.save` file, in the file's order (a state dict's order), as
/// CPU tensors; see the [module docs](self).
#[track_caller]
pub fn load_pt(path: impl AsRef<Path>) -> Result<Vec<(String, Tensor)>> {
    let path = path.as_ref();
    let source = path.display().to_string();
    let file = File::open(path).map_err(|e| io_error(OP, &source, e)).located()?;
    load_impl(BufReader::new(file), &source).located()
}

/// [`load_pt`] of the bytes of a `torch.save` file (errors name `<memory>`).
#[track_caller]
pub fn load_pt_bytes(bytes: &[u8]) -> Result<Vec<(String, Tensor)>> {
    load_impl(Cursor::new(bytes), "<memory>").located()
}

/// [`load_pt`] from any reader (errors name `<reader>`).
#[track_caller]
pub fn load_pt_from(reader: impl Read + Seek) -> Result<Vec<(String, Tensor)>> {
    load_impl(reader, "<reader>").located()
}

#[track_caller]
fn load_impl<R: Read + Seek>(mut reader: R, source: &str) -> Result<Vec<(String, Tensor)>> {
    let fail = |msg: String| io_error(OP, source, msg);
    let mut magic = [0u8; 2];
    let got = reader.read(&mut magic).map_err(|e| fail(e.to_string())).located()?;
    reader.rewind().map_err(|e| fail(e.to_string())).located()?;
    if got == 2 && magic[0] == 0x80 && magic[1] <= 5 {
        return Err(fail(
            "a pickle stream, not a zip archive: the legacy torch.save format of PyTorch before 1.6 \
             is not supported (load it in PyTorch and save it again with torch.save)"
                .into(),
        ));
    }
    let mut archive =
        ZipArchive::new(reader).map_err(|e| fail(format!("not a torch.save zip archive: {e}"))).located()?;
    if archive.has_duplicate_names() {
        return Err(fail("the archive holds an entry name twice".into()));
    }
    let first = archive.file_names_raw().next().map(String::from_utf8_lossy).unwrap_or_default().into_owned();
    let prefix = first.split('/').next().unwrap_or_default().to_string();
    let read = |archive: &mut ZipArchive<R>, name: &str, want: Option<usize>| -> Result<Vec<u8>> {
        let entry = archive.by_name(name).map_err(|e| fail(format!("the entry {name:?}: {e}"))).located()?;
        let size = entry.size();
        if let Some(want) = want {
            if size != want as u64 {
                return Err(fail(format!("the entry {name:?} holds {size} bytes, the pickle declares {want}")));
            }
        }
        let mut data = Vec::new();
        entry.take(size).read_to_end(&mut data).map_err(|e| fail(format!("the entry {name:?}: {e}"))).located()?;
        if data.len() as u64 != size {
            return Err(fail(format!("the entry {name:?} is truncated: {} of {size} bytes", data.len())));
        }
        Ok(data)
    };
    let pkl_name = format!("{prefix}/data.pkl");
    if archive.index_for_name(&pkl_name).is_none() {
        let what = if archive.index_for_name(&format!("{prefix}/constants.pkl")).is_some() {
            "a TorchScript archive (torch.jit.save), not a torch.save file"
        } else {
            "no data.pkl: not a torch.save archive"
        };
        let names: Vec<_> = archive.file_names_raw().take(8).map(String::from_utf8_lossy).collect();
        return Err(fail(format!("{what} (entries {names:?})")));
    }
    let big_endian = match archive.index_for_name(&format!("{prefix}/byteorder")) {
        None => false,
        Some(_) => match &read(&mut archive, &format!("{prefix}/byteorder"), None)?[..] {
            b"little" => false,
            b"big" => true,
            other => return Err(fail(format!("byteorder is {:?}", String::from_utf8_lossy(other)))),
        },
    };
    let pkl = read(&mut archive, &pkl_name, None)?;
    let mut unpickler = Unpickler::new(&pkl);
    let root = unpickler.run().map_err(|e| fail(format!("data.pkl: {e}"))).located()?;
    let mut refs = Vec::new();
    flatten(&root, String::new(), 0, &mut refs).map_err(fail).located()?;
    let mut seen = HashSet::new();
    if let Some((dup, _)) = refs.iter().find(|(k, _)| !seen.insert(k.as_str())) {
        return Err(fail(format!("the key {dup:?} appears twice")));
    }
    // One CPU tensor per (storage, dtype); every tensor is a view of its storage's.
    let mut storages: HashMap<(String, DType), Tensor> = HashMap::new();
    let mut out = Vec::with_capacity(refs.len());
    for (key, r) in refs {
        let dtype = r
            .dtype
            .dtype
            .ok_or_else(|| {
                err!(
                    DType,
                    OP,
                    "{source}: the tensor {key:?} has dtype {}, which has no counterpart here (supported: torch.bool, \
                 uint8, int32, int64, float16, bfloat16, float32, float64)",
                    r.dtype.name
                )
            })
            .located()?;
        let s = &r.storage;
        let cached = storages.get(&(s.key.clone(), dtype)).map(Tensor::shallow_clone);
        let storage = match cached {
            Some(t) => t,
            None => {
                let size = dtype.size_in_bytes();
                let bytes = match s.dtype {
                    Some(d) if d.dtype != Some(dtype) => {
                        return Err(fail(format!(
                            "the tensor {key:?} is {} but its storage holds {}",
                            r.dtype.name, d.name
                        )));
                    }
                    Some(_) => s.numel.checked_mul(size),
                    None => Some(s.numel),
                };
                let bytes = bytes
                    .filter(|b| b.is_multiple_of(size))
                    .ok_or_else(|| {
                        fail(format!(
                            "the storage {:?} of {key:?} has a size of {} that does not fit its dtype",
                            s.key, s.numel
                        ))
                    })
                    .located()?;
                let data = read(&mut archive, &format!("{prefix}/data/{}", s.key), Some(bytes))?;
                let t = Tensor::from_cpu_storage(
                    storage_from_bytes(dtype, &data, big_endian),
                    [bytes / size],
                    &Device::Cpu,
                )?;
                storages.insert((s.key.clone(), dtype), t.shallow_clone());
                t
            }
        };
        let t = storage
            .as_strided(&r.size, &r.stride, r.offset)
            .map_err(|e| {
                fail(format!(
                "the tensor {key:?} (sizes {:?}, strides {:?}, offset {}) does not fit its storage of {} elements: {}",
                r.size,
                r.stride,
                r.offset,
                storage.numel(),
                e.message()
            ))
            })
            .located()?;
        out.push((key, t));
    }
    drop(root);
    drop(unpickler);
    Ok(out)
}

type Refs = Vec<(String, Rc<TensorRef>)>;

/// The items of a list or tuple under `key`, keyed by their indices.
#[track_caller]
fn flatten_items(items: &[Value], key: &str, depth: usize, out: &mut Refs) -> std::result::Result<(), String> {
    for (i, x) in items.iter().enumerate() {
        flatten(x, child_key(key, &i.to_string()), depth + 1, out)?;
    }
    Ok(())
}

fn child_key(key: &str, k: &str) -> String {
    if key.is_empty() {
        k.to_string()
    } else {
        format!("{key}.{k}")
    }
}

/// The tensors under `v`, keyed by their path (`a.b.0`), in order.
#[track_caller]
fn flatten(v: &Value, key: String, depth: usize, out: &mut Refs) -> std::result::Result<(), String> {
    if depth > MAX_DEPTH {
        return Err(format!("{key:?}: dicts nested more than {MAX_DEPTH} deep"));
    }
    match v {
        Value::Tensor(t) if depth > 0 => out.push((key, Rc::clone(t))),
        Value::Dict(d) => {
            for (k, x) in d.borrow().iter() {
                let k = match k {
                    Value::Str(s) => s.to_string(),
                    Value::Int(i) => i.to_string(),
                    other => return Err(format!("{key:?} has {} as a key", other.kind())),
                };
                flatten(x, child_key(&key, &k), depth + 1, out)?;
            }
        }
        Value::List(l) if depth > 0 => {
            let items = l.borrow().clone();
            flatten_items(&items, &key, depth, out)?;
        }
        Value::Tuple(t) if depth > 0 => flatten_items(t, &key, depth, out)?,
        other if depth == 0 => return Err(format!("the file holds {}, not a dict of tensors", other.kind())),
        other => return Err(format!("{key:?} holds {}, not a tensor", other.kind())),
    }
    Ok(())
}
