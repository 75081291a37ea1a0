//! NumPy's `.npy` format: one array per file, as `np.save` writes and `np.load` reads it.
//!
//! | NumPy | tensor | notes |
//! |---|---|---|
//! | `bool` (`|b1`) | `Bool` | a byte other than 0 reads as `true` |
//! | `uint8` (`|u1`) | `U8` | |
//! | `int32` (`<i4`), `int64` (`<i8`) | `I32`, `I64` | |
//! | `float16` (`<f2`), `float32` (`<f4`), `float64` (`<f8`) | `F16`, `F32`, `F64` | |
//! | — | `BF16` | NumPy has no bfloat16: it is **written widened to float32** (exact: every bf16 is a float32) and reads back as `F32` |
//!
//! Reading takes both byte orders (`<` and `>`; `=` is the machine's, `|` for one byte), C and
//! Fortran order, 0-d and empty arrays, and format versions 1.0, 2.0 and 3.0. A Fortran-order
//! array is read without a copy into a column-major view (its strides are reversed), as
//! `torch.from_numpy` keeps NumPy's strides; call `contiguous()` for a row-major tensor.
//! Writing gives version 1.0 (2.0 for headers past 64 KiB) little-endian files, byte for byte
//! as NumPy writes them; a tensor whose layout is column-major is written in Fortran order
//! without a copy, any other non-contiguous tensor is copied to row-major first.
//!
//! Every problem with a file is an [`Error`](tensor_core::Error) of kind `Io` (`DType` for a
//! dtype with no counterpart) whose message starts with the file's path (or `<memory>`,
//! `<reader>`): a bad magic string or version, a malformed header, a shape whose element count
//! overflows, data shorter than the shape needs or bytes after it. Nothing is allocated from a
//! header's numbers beyond what the input holds: a file's length is checked first, and a
//! stream is read in growing chunks.
//!
//! ```
//! use tensor_core::{Tensor, Device};
//! use tensor_io::{read_npy_bytes, write_npy_to};
//! let t = Tensor::arange(0.0, 6.0, 1.0, &Device::Cpu)?.view(&[2, 3])?;
//! let mut bytes = Vec::new();
//! write_npy_to(&t, &mut bytes)?;
//! assert_eq!(&bytes[..6], b"\x93NUMPY");
//! let back = read_npy_bytes(&bytes)?;
//! assert_eq!(back.to_vec2::<f32>()?, t.to_vec2::<f32>()?);
//! # Ok::<(), tensor_core::Error>(())
//! ```

mod header;

use crate::bytes::{checked_numel, io_error, read_storage, LeBytes};
use std::fs::File;
use std::io::{BufReader, BufWriter, ErrorKind, Read, Write};
use std::path::Path;
use tensor_core::{err, DType, Device, Result, ResultExt, Tensor};

use header::MAGIC;

/// Reads a `.npy` file as a CPU tensor.
///
/// ```no_run
/// let x = tensor_io::read_npy("weights.npy")?;
/// println!("{x}");
/// # Ok::<(), tensor_core::Error>(())
/// ```
#[track_caller]
pub fn read_npy(path: impl AsRef<Path>) -> Result<Tensor> {
    let path = path.as_ref();
    let source = path.display().to_string();
    let file = File::open(path).map_err(|e| io_error("read_npy", &source, e)).located()?;
    let len = file.metadata().map_err(|e| io_error("read_npy", &source, e)).located()?.len();
    read_npy_impl(&mut BufReader::new(file), "read_npy", &source, Input::Sized(len)).located()
}

/// Reads one `.npy` array from `reader`, leaving it just after the array's data (several
/// arrays written one after another to one stream can be read back in turn, as `np.load` on
/// an open file does).
#[track_caller]
pub fn read_npy_from(mut reader: impl Read) -> Result<Tensor> {
    read_npy_impl(&mut reader, "read_npy", "<reader>", Input::Stream).located()
}

/// Reads a `.npy` file's bytes (the whole slice: bytes after the array are an error).
#[track_caller]
pub fn read_npy_bytes(bytes: &[u8]) -> Result<Tensor> {
    read_npy_impl(&mut &bytes[..], "read_npy", "<memory>", Input::Sized(bytes.len() as u64)).located()
}

/// Writes `tensor` as a `.npy` file that `np.load` reads (see the [module docs](self) for
/// the dtypes; bf16 is written as float32).
#[track_caller]
pub fn write_npy(tensor: &Tensor, path: impl AsRef<Path>) -> Result<()> {
    let path = path.as_ref();
    let source = path.display().to_string();
    let file = File::create(path).map_err(|e| io_error("write_npy", &source, e)).located()?;
    let mut w = BufWriter::new(file);
    write_npy_impl(tensor, &mut w, "write_npy", &source).located()?;
    w.flush().map_err(|e| io_error("write_npy", &source, e)).located()
}

/// Writes `tensor` in the `.npy` format to `writer`.
#[track_caller]
pub fn write_npy_to(tensor: &Tensor, mut writer: impl Write) -> Result<()> {
    write_npy_impl(tensor, &mut writer, "write_npy", "<writer>").located()
}

/// How much input there is.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Input {
    /// Exactly this many bytes, all of them the array.
    Sized(u64),
    /// Unknown; the array must end the input (an archive entry).
    Whole,
    /// Unknown; more may follow the array.
    Stream,
}

/// Reads one array; `op` and `source` name it in errors.
#[track_caller]
pub(crate) fn read_npy_impl(r: &mut impl Read, op: &'static str, source: &str, input: Input) -> Result<Tensor> {
    let fail = |msg: String| io_error(op, source, msg);
    let truncated = |what: &str| fail(format!("truncated: the input ends inside {what}"));
    let mut pre = [0u8; 8];
    r.read_exact(&mut pre).map_err(|e| eof_or(e, || truncated("the 8-byte preamble"), &fail)).located()?;
    if &pre[..6] != MAGIC {
        return Err(fail("not a .npy file: it does not start with \\x93NUMPY".into()));
    }
    let (len_size, hlen) = match (pre[6], pre[7]) {
        (1, 0) => {
            let mut b = [0u8; 2];
            r.read_exact(&mut b).map_err(|e| eof_or(e, || truncated("the header length"), &fail)).located()?;
            (2, usize::from(u16::from_le_bytes(b)))
        }
        (2 | 3, 0) => {
            let mut b = [0u8; 4];
            r.read_exact(&mut b).map_err(|e| eof_or(e, || truncated("the header length"), &fail)).located()?;
            (4, u32::from_le_bytes(b) as usize)
        }
        (major, minor) => {
            return Err(fail(format!("unsupported format version {major}.{minor} (1.0, 2.0 and 3.0 are read)")))
        }
    };
    if hlen > header::MAX_HEADER_LEN {
        return Err(fail(format!(
            "the header is {hlen} bytes, more than the {} this reader takes",
            header::MAX_HEADER_LEN
        )));
    }
    let mut left = match input {
        Input::Sized(len) => Some(len.saturating_sub((8 + len_size) as u64)),
        _ => None,
    };
    if left.is_some_and(|l| l < hlen as u64) {
        return Err(truncated(&format!("the {hlen}-byte header")));
    }
    let mut text = Vec::new();
    r.by_ref().take(hlen as u64).read_to_end(&mut text).map_err(|e| fail(e.to_string())).located()?;
    if text.len() < hlen {
        return Err(truncated(&format!("the {hlen}-byte header")));
    }
    if pre[6] == 3 && std::str::from_utf8(&text).is_err() {
        return Err(fail("malformed header: a version 3.0 header must be UTF-8".into()));
    }
    let h = header::parse(&text)
        .map_err(|m| {
            let kind = if m.contains(header::NO_COUNTERPART) {
                tensor_core::ErrorKind::DType
            } else {
                tensor_core::ErrorKind::Io
            };
            tensor_core::Error::new(kind, op, format!("{source}: malformed header: {m}"))
        })
        .located()?;
    let too_many = || fail(format!("the shape {:?} has too many elements", h.shape));
    let numel = checked_numel(&h.shape).ok_or_else(too_many).located()?;
    let nbytes = numel.checked_mul(h.dtype.size_in_bytes()).ok_or_else(too_many).located()?;
    let needs = || format!("the shape {:?} of {} needs {nbytes} bytes of data", h.shape, h.dtype);
    if let Some(l) = left.as_mut() {
        *l -= hlen as u64;
        if *l < nbytes as u64 {
            return Err(fail(format!("truncated: {}, but only {l} follow the header", needs())));
        }
        if *l > nbytes as u64 {
            return Err(fail(format!("{} bytes follow the array's data ({})", *l - nbytes as u64, needs())));
        }
    }
    let storage = read_storage(r, h.dtype, numel, h.big_endian, left.is_some())
        .map_err(|e| eof_or(e, || fail(format!("truncated: {}, but the input ends before", needs())), &fail))
        .located()?;
    if let Input::Whole = input {
        let mut one = [0u8; 1];
        match r.read(&mut one) {
            Ok(0) => {}
            Ok(_) => return Err(fail(format!("bytes follow the array's data ({})", needs()))),
            Err(e) => return Err(fail(e.to_string())),
        }
    }
    if h.fortran_order && h.shape.len() > 1 {
        let reversed: Vec<usize> = h.shape.iter().rev().copied().collect();
        let dims: Vec<isize> = (0..h.shape.len() as isize).rev().collect();
        return Tensor::from_cpu_storage(storage, reversed, &Device::Cpu)?.permute(&dims);
    }
    Tensor::from_cpu_storage(storage, h.shape, &Device::Cpu)
}

/// An end-of-input error as `eof()`, any other through `fail`.
#[track_caller]
fn eof_or(
    e: std::io::Error,
    eof: impl FnOnce() -> tensor_core::Error,
    fail: &impl Fn(String) -> tensor_core::Error,
) -> tensor_core::Error {
    if e.kind() == ErrorKind::UnexpectedEof {
        eof()
    } else {
        fail(e.to_string())
    }
}

/// Writes one array; `op` and `source` name it in errors.
#[track_caller]
pub(crate) fn write_npy_impl(tensor: &Tensor, w: &mut impl Write, op: &'static str, source: &str) -> Result<()> {
    let widened;
    let tensor = if tensor.dtype() == DType::BF16 {
        widened = tensor.to_dtype(DType::F32)?;
        &widened
    } else {
        tensor
    };
    // A column-major tensor (its reversed-dims view is contiguous) is written in Fortran order.
    let transposed = if tensor.dim() > 1 && !tensor.is_contiguous() {
        let reversed: Vec<isize> = (0..tensor.dim() as isize).rev().collect();
        Some(tensor.permute(&reversed)?).filter(Tensor::is_contiguous)
    } else {
        None
    };
    let fortran_order = transposed.is_some();
    let bytes = LeBytes::of(transposed.as_ref().unwrap_or(tensor), true)?;
    let head = header::encode(header::descr_of(tensor.dtype()), fortran_order, tensor.size());
    w.write_all(&head).and_then(|()| w.write_all(bytes.as_bytes())).map_err(|e| err!(Io, op, "{source}: {e}")).located()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fortran_views_are_written_in_fortran_order() {
        let t = Tensor::arange(0.0, 12.0, 1.0, &Device::Cpu).unwrap().view(&[3, 4]).unwrap();
        let mut c = Vec::new();
        write_npy_to(&t, &mut c).unwrap();
        let mut f = Vec::new();
        write_npy_to(&t.t().unwrap(), &mut f).unwrap();
        assert!(String::from_utf8_lossy(&f[..128]).contains("'fortran_order': True, 'shape': (4, 3)"));
        assert_eq!(&c[128..], &f[128..]); // the same bytes, no transposition
        let back = read_npy_bytes(&f).unwrap();
        assert_eq!((back.size(), back.stride()), (&[4, 3][..], &[1, 4][..]));
        assert_eq!(back.to_vec2::<f32>().unwrap(), t.t().unwrap().to_vec2::<f32>().unwrap());
    }
}
