//! State dicts as safetensors files, readable by PyTorch's `safetensors.torch.load_file` and
//! written by its `save_file` (little-endian, PyTorch's key names).

use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use std::collections::BTreeMap;
use std::path::Path;
use tensor_core::cpu::CpuStorage;
use tensor_core::{bail, err, DType, Device, Result, Tensor};

fn to_st(d: DType) -> Dtype {
    match d {
        DType::Bool => Dtype::BOOL,
        DType::U8 => Dtype::U8,
        DType::I32 => Dtype::I32,
        DType::I64 => Dtype::I64,
        DType::F16 => Dtype::F16,
        DType::BF16 => Dtype::BF16,
        DType::F32 => Dtype::F32,
        DType::F64 => Dtype::F64,
    }
}

fn from_st(d: Dtype, name: &str, file: &Path) -> Result<DType> {
    Ok(match d {
        Dtype::BOOL => DType::Bool,
        Dtype::U8 => DType::U8,
        Dtype::I32 => DType::I32,
        Dtype::I64 => DType::I64,
        Dtype::F16 => DType::F16,
        Dtype::BF16 => DType::BF16,
        Dtype::F32 => DType::F32,
        Dtype::F64 => DType::F64,
        other => bail!(
            DType,
            "load_safetensors",
            "{}: tensor {name} has dtype {other:?}, which has no counterpart here",
            file.display()
        ),
    })
}

/// The little-endian bytes of a contiguous host storage.
fn bytes_of(s: &CpuStorage) -> Vec<u8> {
    match s {
        CpuStorage::Bool(v) => v.iter().map(|&b| b as u8).collect(),
        CpuStorage::U8(v) => v.clone(),
        CpuStorage::I32(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        CpuStorage::I64(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        CpuStorage::F16(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        CpuStorage::BF16(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        CpuStorage::F32(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        CpuStorage::F64(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
    }
}

fn storage_of(dtype: DType, b: &[u8]) -> CpuStorage {
    fn chunks<const N: usize, T>(b: &[u8], f: impl Fn([u8; N]) -> T) -> Vec<T> {
        b.chunks_exact(N).map(|c| f(c.try_into().expect("chunk of N bytes"))).collect()
    }
    match dtype {
        DType::Bool => CpuStorage::Bool(b.iter().map(|&x| x != 0).collect()),
        DType::U8 => CpuStorage::U8(b.to_vec()),
        DType::I32 => CpuStorage::I32(chunks(b, i32::from_le_bytes)),
        DType::I64 => CpuStorage::I64(chunks(b, i64::from_le_bytes)),
        DType::F16 => CpuStorage::F16(chunks(b, half::f16::from_le_bytes)),
        DType::BF16 => CpuStorage::BF16(chunks(b, half::bf16::from_le_bytes)),
        DType::F32 => CpuStorage::F32(chunks(b, f32::from_le_bytes)),
        DType::F64 => CpuStorage::F64(chunks(b, f64::from_le_bytes)),
    }
}

/// Writes named tensors to a safetensors file.
pub fn save_safetensors(tensors: &BTreeMap<String, Tensor>, path: &Path) -> Result<()> {
    let mut owned = Vec::with_capacity(tensors.len());
    for (name, t) in tensors {
        owned.push((name.clone(), t.dtype(), t.size().to_vec(), bytes_of(&t.to_cpu_storage()?)));
    }
    let views: Vec<(String, TensorView<'_>)> = owned
        .iter()
        .map(|(n, d, s, b)| TensorView::new(to_st(*d), s.clone(), b).map(|v| (n.clone(), v)))
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| err!(Io, "save_safetensors", "{}: {e}", path.display()))?;
    safetensors::serialize_to_file(views, None, path)
        .map_err(|e| err!(Io, "save_safetensors", "{}: {e}", path.display()))
}

/// Reads every tensor of a safetensors file onto `device`.
pub fn load_safetensors(path: &Path, device: &Device) -> Result<BTreeMap<String, Tensor>> {
    let bytes = std::fs::read(path).map_err(|e| err!(Io, "load_safetensors", "{}: {e}", path.display()))?;
    let st = SafeTensors::deserialize(&bytes).map_err(|e| err!(Io, "load_safetensors", "{}: {e}", path.display()))?;
    let mut out = BTreeMap::new();
    for (name, view) in st.tensors() {
        let dtype = from_st(view.dtype(), &name, path)?;
        let t = Tensor::from_cpu_storage(storage_of(dtype, view.data()), view.shape().to_vec(), device)?;
        out.insert(name, t);
    }
    Ok(out)
}
