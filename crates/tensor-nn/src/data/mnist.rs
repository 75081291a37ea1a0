//! MNIST's idx files (plain or gzip): `train-images-idx3-ubyte[.gz]` and friends.

use flate2::read::GzDecoder;
use std::io::Read;
use std::path::Path;
use tensor_core::{bail, err, DType, Device, Result, Tensor};

/// An idx file's dims and its `u8` data.
pub fn read_idx(path: &Path) -> Result<(Vec<usize>, Vec<u8>)> {
    let raw = std::fs::read(path).map_err(|e| err!(Io, "read_idx", "{}: {}", path.display(), e))?;
    let bytes = if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        GzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .map_err(|e| err!(Io, "read_idx", "{}: bad gzip data: {}", path.display(), e))?;
        out
    } else {
        raw
    };
    if bytes.len() < 4 || bytes[0] != 0 || bytes[1] != 0 || bytes[2] != 0x08 {
        bail!(Io, "read_idx", "{}: not an idx file of unsigned bytes (bad magic)", path.display());
    }
    let rank = bytes[3] as usize;
    let header = 4 + 4 * rank;
    if bytes.len() < header {
        bail!(Io, "read_idx", "{}: truncated header", path.display());
    }
    let dims: Vec<usize> = (0..rank)
        .map(|i| u32::from_be_bytes(bytes[4 + 4 * i..8 + 4 * i].try_into().expect("4 bytes")) as usize)
        .collect();
    let numel = dims
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .ok_or_else(|| err!(Io, "read_idx", "{}: dims {:?} overflow", path.display(), dims))?;
    if bytes.len() - header != numel {
        bail!(
            Io,
            "read_idx",
            "{}: dims {:?} need {} bytes of data, the file has {}",
            path.display(),
            dims,
            numel,
            bytes.len() - header
        );
    }
    Ok((dims, bytes[header..].to_vec()))
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

fn find(dir: &Path, stem: &str) -> Result<std::path::PathBuf> {
    for name in [format!("{stem}.gz"), stem.to_string()] {
        let p = dir.join(name);
        if p.exists() {
            return Ok(p);
        }
    }
    bail!(Io, "mnist", "{}: no {stem}[.gz] there", dir.display())
}

fn images(path: &Path, device: &Device) -> Result<Tensor> {
    let (dims, data) = read_idx(path)?;
    if dims.len() != 3 {
        bail!(Io, "mnist", "{}: expected 3 dims (n, rows, cols), got {:?}", path.display(), dims);
    }
    let x = Tensor::from_vec(data, [dims[0], 1, dims[1], dims[2]])?.to_dtype(DType::F32)?;
    x.div(255.0)?.sub(0.1307)?.div(0.3081)?.to_device(device)
}

fn labels(path: &Path, device: &Device) -> Result<Tensor> {
    let (dims, data) = read_idx(path)?;
    if dims.len() != 1 {
        bail!(Io, "mnist", "{}: expected 1 dim, got {:?}", path.display(), dims);
    }
    Tensor::from_vec(data, [dims[0]])?.to_dtype(DType::I64)?.to_device(device)
}

impl Mnist {
    /// Reads the four files of MNIST (gzip or not) from `dir`.
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
