//! # tensor-nn
//!
//! PyTorch's `torch.nn` over tensor-autograd: the [`Module`] trait (forward + named
//! parameters, state dicts, train/eval), layers ([`Linear`], [`Conv2d`], pooling, norms,
//! activations, [`Sequential`]), losses, [`init`], optimizers ([`optim`]), safetensors state
//! dicts (and PyTorch's `torch.save` files, [`load_pt`]), training checkpoints ([`checkpoint`]), and MNIST data.
//!
//! ```
//! use tensor_nn::{Linear, Module, ModuleExt};
//! use tensor_autograd::Var;
//! use tensor_core::{Tensor, DType, Device};
//! let layer = Linear::new(3, 2, true, &Device::Cpu)?;
//! let names: Vec<String> = layer.named_parameters().into_iter().map(|(n, _)| n).collect();
//! assert_eq!(names, ["weight", "bias"]);
//! let y = layer.forward(&Var::constant(Tensor::ones(&[4, 3], DType::F32, &Device::Cpu)?))?;
//! assert_eq!(y.size(), &[4, 2]);
//! # Ok::<(), tensor_core::Error>(())
//! ```

pub mod checkpoint;
pub mod data;
pub mod functional;
pub mod init;
mod layers;
pub mod loss;
pub mod models;
mod module;
pub mod optim;
mod safetensors_io;
mod torch_save_io;

pub use layers::*;
pub use loss::{
    BCELoss, BCEWithLogitsLoss, ClassLossOptions, CrossEntropyLoss, HuberLoss, KLDivLoss, L1Loss, MSELoss, NLLLoss,
    Reduction, SmoothL1Loss,
};
pub use module::{
    for_each_module, load_state_dict, named_parameters, set_training, state_dict, Entry, EntryMut, Forward, Module,
    ModuleExt, Visit,
};
pub use safetensors_io::{load_safetensors, save_safetensors};
/// The CUDA backend (`tensor_cuda`), with the `cuda` feature.
#[cfg(feature = "cuda")]
pub use tensor_cuda as cuda;
pub use torch_save_io::load_pt;
