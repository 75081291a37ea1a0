//! State dicts from PyTorch's own `torch.save` files (`.pt`, `.pth`): the state-dict shaped
//! entry point of [`tensor_io::torch_pickle`], whose data-only unpickler reads them without
//! running anything the file says (see there for what loads and what is refused).

use std::collections::BTreeMap;
use std::path::Path;
use tensor_core::{Device, Result, ResultExt, Tensor};

/// Reads the state dict that `torch.save(model.state_dict(), path)` wrote, onto `device`, for
/// [`ModuleExt::load_state_dict`](crate::ModuleExt::load_state_dict); see
/// [`tensor_io::load_pt`]. Tensors that shared a storage in PyTorch share one here on the CPU.
///
/// ```no_run
/// use tensor_core::Device;
/// use tensor_nn::{models::LeNet5, ModuleExt};
/// let mut model = LeNet5::new(&Device::Cpu)?;
/// model.load_state_dict(&tensor_nn::load_pt("lenet.pt".as_ref(), &Device::Cpu)?, true)?;
/// # Ok::<(), tensor_core::Error>(())
/// ```
#[track_caller]
pub fn load_pt(path: &Path, device: &Device) -> Result<BTreeMap<String, Tensor>> {
    tensor_io::load_pt(path)
        .located()?
        .into_iter()
        .map(|(k, t)| Ok((k, t.to_device(device)?)))
        .collect::<Result<_>>()
        .located()
}
