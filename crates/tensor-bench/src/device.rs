//! The device a run measures: `--device cpu` or `--device cuda`.

use tensor_core::Device;

/// The device named on the command line, or why it cannot be had: `Err` carries the message
/// for stderr (the run then exits 0: a build without CUDA has nothing to measure there).
pub fn by_name(name: &str) -> Result<Device, String> {
    match name {
        "cpu" => Ok(Device::Cpu),
        "cuda" => cuda_device(),
        other => Err(format!("unknown device {other:?} (cpu or cuda)")),
    }
}

/// The first GPU, when the binary is built with the `cuda` feature.
#[cfg(feature = "cuda")]
fn cuda_device() -> Result<Device, String> {
    tensor_cuda::cuda(0).map_err(|e| e.to_string())
}

/// Without the `cuda` feature there is no GPU to measure.
#[cfg(not(feature = "cuda"))]
fn cuda_device() -> Result<Device, String> {
    Err("CUDA is not built into this bench binary (build it with `--features cuda`); nothing to measure".into())
}
