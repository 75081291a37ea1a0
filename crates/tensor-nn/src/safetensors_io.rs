//! State dicts as safetensors files, readable by PyTorch's `safetensors.torch.load_file` and
//! written by its `save_file` (little-endian, PyTorch's key names). The format lives in
//! [`tensor_io::safetensors`] (which also has the memory-mapped
//! [`SafetensorsFile`](tensor_io::SafetensorsFile) for loading tensors one by one); these are
//! the state-dict shaped entry points.

use std::collections::BTreeMap;
use std::path::Path;
use tensor_core::{Device, Result, ResultExt, Tensor};

/// Writes named tensors to a safetensors file (with the metadata `{"format": "pt"}`, as
/// PyTorch's `save_file`); see [`tensor_io::save_safetensors`].
#[track_caller]
pub fn save_safetensors(tensors: &BTreeMap<String, Tensor>, path: &Path) -> Result<()> {
    tensor_io::save_safetensors(tensors, path).located()
}

/// Reads every tensor of a safetensors file onto `device`; see [`tensor_io::load_safetensors`].
#[track_caller]
pub fn load_safetensors(path: &Path, device: &Device) -> Result<BTreeMap<String, Tensor>> {
    tensor_io::load_safetensors(path, device).located()
}
