//! # tensor-io
//!
//! Tensors in the files that NumPy and PyTorch read and write:
//!
//! | format | read | write |
//! |---|---|---|
//! | NumPy `.npy` ([`npy`]) | [`read_npy`], [`read_npy_from`], [`read_npy_bytes`] | [`write_npy`], [`write_npy_to`] |
//! | NumPy `.npz` ([`npz`]) | [`read_npz`], [`read_npz_from`], [`NpzFile`] (by name) | [`write_npz`], [`write_npz_to`] (stored or deflated) |
//! | safetensors ([`safetensors`]) | [`load_safetensors`], [`load_safetensors_bytes`], [`SafetensorsFile`] (memory-mapped, by name) | [`save_safetensors`], [`serialize_safetensors`] |
//! | PyTorch `torch.save` `.pt`/`.pth` ([`torch_pickle`]) | [`load_pt`], [`load_pt_bytes`], [`load_pt_from`] (a data-only unpickler) | — |
//!
//! Every dtype of tensor-core goes both ways, but NumPy has no bfloat16: a bf16 tensor is
//! written to `.npy`/`.npz` widened to float32, which is exact, and reads back as float32.
//! Tensors are read onto the CPU (safetensors loads take a device); they are written from any
//! device and any layout.
//!
//! Errors are [`tensor_core::Error`]s: kind `Io` for a file that cannot be opened, read or
//! written, or that is malformed or truncated, kind `DType` for a dtype with no counterpart.
//! The message names the file (or `<memory>` / `<reader>` / `<writer>`, and the archive
//! entry) and the problem. The readers never panic on bad input and never allocate more than
//! the input holds; proptest fuzzes them (`tests/fuzz.rs`).
//!
//! ```
//! use tensor_core::{Tensor, Device};
//! use tensor_io::{read_npy, write_npy};
//! let path = std::env::temp_dir().join(format!("tensor_io_lib_doc_{}.npy", std::process::id()));
//! let x = Tensor::arange(0.0, 6.0, 1.0, &Device::Cpu)?.view(&[2, 3])?;
//! write_npy(&x, &path)?;                 // np.load(path) gives array([[0., 1., 2.], [3., 4., 5.]], dtype=float32)
//! let y = read_npy(&path)?;
//! assert_eq!(y.to_vec2::<f32>()?, x.to_vec2::<f32>()?);
//! # std::fs::remove_file(&path).unwrap();
//! # Ok::<(), tensor_core::Error>(())
//! ```

mod bytes;
pub mod npy;
pub mod npz;
pub mod safetensors;
pub mod torch_pickle;

pub use npy::{read_npy, read_npy_bytes, read_npy_from, write_npy, write_npy_to};
pub use npz::{read_npz, read_npz_from, write_npz, write_npz_to, NpzCompression, NpzFile};
pub use safetensors::{
    load_safetensors, load_safetensors_bytes, save_safetensors, save_safetensors_with_metadata, serialize_safetensors,
    SafetensorsFile,
};
pub use torch_pickle::{load_pt, load_pt_bytes, load_pt_from};
