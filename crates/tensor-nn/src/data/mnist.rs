//! MNIST's idx files (plain or gzip): `train-images-idx3-ubyte[.gz]` and friends.

use flate2::read::GzDecoder;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;
use tensor_core::{bail, err, DType, Device, Error, Result, ResultExt, Tensor};

const OP: &str = "read_idx";

/// The first read of the data is at most this many bytes; each further read at most doubles
/// what has arrived (and never passes what the header declares). A header that lies about the
/// size of a small file costs this much memory, not what it declares.
const FIRST_CHUNK: usize = 1 << 20;

/// An idx file's dims and its `u8` data, from a plain or a gzip file (told apart by gzip's
/// magic, `1f 8b`).
///
/// The file is read as a stream and checked as it comes: the magic (`00 00 08`, unsigned
/// bytes, and the rank) and the dims first, then exactly the bytes the dims declare, then the
/// end of the (decompressed) stream. So a malformed file is an error after at most the
/// declared size and one byte more, whatever the file holds: a gzip bomb or `/dev/zero` is
/// refused at its magic. Errors are of kind `Io` and name the file.
#[track_caller]
pub fn read_idx(path: &Path) -> Result<(Vec<usize>, Vec<u8>)> {
    let source = path.display().to_string();
    let file = File::open(path).map_err(|e| err!(Io, OP, "{source}: {e}")).located()?;
    read_stream(BufReader::new(file), &source)
}

/// [`read_idx`] over any reader (plain or gzip data, as a file would hold); errors name the
/// file `<reader>`. It reads no further than [`read_idx`] does: at most the declared size and
/// one byte more, so the reader may be endless.
///
/// ```
/// use tensor_nn::data::read_idx_from;
/// let bytes = [0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6];
/// assert_eq!(read_idx_from(&bytes[..])?, (vec![2, 3], vec![1, 2, 3, 4, 5, 6]));
/// assert!(read_idx_from(std::io::repeat(0)).is_err()); // bad magic
/// # Ok::<(), tensor_core::Error>(())
/// ```
#[track_caller]
pub fn read_idx_from(reader: impl Read) -> Result<(Vec<usize>, Vec<u8>)> {
    read_stream(reader, "<reader>")
}

#[track_caller]
fn read_stream(mut reader: impl Read, source: &str) -> Result<(Vec<usize>, Vec<u8>)> {
    let mut start = [0u8; 2];
    let n = read_full(&mut reader, &mut start).map_err(|e| err!(Io, OP, "{source}: {e}")).located()?;
    let stream = (&start[..n]).chain(reader);
    if start[..n] == [0x1f, 0x8b] {
        parse(GzDecoder::new(stream), source, "bad gzip data: ")
    } else {
        parse(stream, source, "")
    }
}

/// Reads until `buf` is full or the stream ends; the number of bytes read.
#[track_caller]
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Reads exactly `n` bytes (fewer when the stream ends first), growing the buffer as bytes
/// arrive: at most [`FIRST_CHUNK`], then at most doubling, and never past `n`.
#[track_caller]
fn read_data(r: &mut impl Read, n: usize) -> io::Result<Vec<u8>> {
    let mut data = Vec::new();
    while data.len() < n {
        let want = (n - data.len()).min(data.len().max(FIRST_CHUNK));
        let at = data.len();
        data.reserve_exact(want);
        data.resize(at + want, 0);
        let got = read_full(&mut r.by_ref().take(want as u64), &mut data[at..])?;
        data.truncate(at + got);
        if got < want {
            break;
        }
    }
    Ok(data)
}

/// The idx file in the (decompressed) stream `r`; `what` prefixes the stream's own errors.
#[track_caller]
fn parse(mut r: impl Read, source: &str, what: &str) -> Result<(Vec<usize>, Vec<u8>)> {
    let io = |e: io::Error| -> Error { err!(Io, OP, "{source}: {what}{e}") };
    let mut magic = [0u8; 4];
    let got = read_full(&mut r, &mut magic).map_err(io).located()?;
    let want = [0u8, 0, 0x08];
    let seen = got.min(3);
    if magic[..seen] != want[..seen] {
        bail!(
            Io,
            OP,
            "{source}: not an idx file of unsigned bytes (bad magic {:02x?}, expected [00, 00, 08] and the rank)",
            &magic[..got]
        );
    }
    if got < 4 {
        bail!(Io, OP, "{source}: truncated: {got} bytes, less than the 4-byte magic");
    }
    let rank = usize::from(magic[3]);
    let mut raw = vec![0u8; 4 * rank];
    let got = read_full(&mut r, &mut raw).map_err(io).located()?;
    if got < raw.len() {
        bail!(Io, OP, "{source}: truncated header: {rank} dims need {} bytes, the file has {got}", raw.len());
    }
    let dims: Vec<usize> = raw.chunks_exact(4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize).collect();
    let numel = dims
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .filter(|&n| n <= isize::MAX as usize)
        .ok_or_else(|| err!(Io, OP, "{source}: dims {dims:?} overflow"))
        .located()?;
    let data = read_data(&mut r, numel).map_err(io).located()?;
    if data.len() < numel {
        bail!(Io, OP, "{source}: truncated: dims {dims:?} need {numel} bytes of data, the file has {}", data.len());
    }
    if read_full(&mut r, &mut [0u8; 1]).map_err(io).located()? != 0 {
        bail!(Io, OP, "{source}: trailing data: dims {dims:?} need {numel} bytes of data, and more follow");
    }
    Ok((dims, data))
}

/// MNIST images (`[n, 1, 28, 28]`, float32, normalised with mean 0.1307 and std 0.3081, as the
/// PyTorch examples do) and labels (`[n]`, int64).
#[derive(Debug)]
pub struct Mnist {
    /// Training images.
    pub train_images: Tensor,
    /// Training labels.
    pub train_labels: Tensor,
    /// Test images.
    pub test_images: Tensor,
    /// Test labels.
    pub test_labels: Tensor,
}

#[track_caller]
fn find(dir: &Path, stem: &str) -> Result<std::path::PathBuf> {
    for name in [format!("{stem}.gz"), stem.to_string()] {
        let p = dir.join(name);
        if p.exists() {
            return Ok(p);
        }
    }
    bail!(Io, "mnist", "{}: no {stem}[.gz] there", dir.display())
}

#[track_caller]
fn images(path: &Path, device: &Device) -> Result<Tensor> {
    let (dims, data) = read_idx(path)?;
    if dims.len() != 3 {
        bail!(Io, "mnist", "{}: expected 3 dims (n, rows, cols), got {:?}", path.display(), dims);
    }
    let x = Tensor::from_vec(data, [dims[0], 1, dims[1], dims[2]])?.to_dtype(DType::F32)?;
    x.div(255.0)?.sub(0.1307)?.div(0.3081)?.to_device(device)
}

#[track_caller]
fn labels(path: &Path, device: &Device) -> Result<Tensor> {
    let (dims, data) = read_idx(path)?;
    if dims.len() != 1 {
        bail!(Io, "mnist", "{}: expected 1 dim, got {:?}", path.display(), dims);
    }
    Tensor::from_vec(data, [dims[0]])?.to_dtype(DType::I64)?.to_device(device)
}

impl Mnist {
    /// Reads the four files of MNIST (gzip or not) from `dir`.
    #[track_caller]
    pub fn load(dir: &Path, device: &Device) -> Result<Mnist> {
        let m = Mnist {
            train_images: images(&find(dir, "train-images-idx3-ubyte")?, device)?,
            train_labels: labels(&find(dir, "train-labels-idx1-ubyte")?, device)?,
            test_images: images(&find(dir, "t10k-images-idx3-ubyte")?, device)?,
            test_labels: labels(&find(dir, "t10k-labels-idx1-ubyte")?, device)?,
        };
        if m.train_images.size()[0] != m.train_labels.size()[0] || m.test_images.size()[0] != m.test_labels.size()[0] {
            bail!(Io, "mnist", "{}: image and label counts differ", dir.display());
        }
        Ok(m)
    }
}
