//! The workloads of `../shared/bench/WORKLOADS.md`, by family: [`core`] (tensor-core ops),
//! [`conv`] (convolution) and [`nn`] (autograd and training steps).
//!
//! A workload is a name, the devices it runs on and a `setup` function. `setup` builds the
//! inputs on the device (random, from a fixed seed) and returns the closure to time, or the
//! reason it is skipped in this build. To add one: write its `setup` in the right module and add
//! a line to that module's `WORKLOADS` table.

pub mod conv;
pub mod core;
pub mod nn;

use tensor_core::{DType, Device, Result, Tensor};

/// Which devices a workload runs on (WORKLOADS.md marks some "CPU only" or "skipped" on the CPU).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Devices {
    /// CPU and CUDA.
    Both,
    /// Only on the CPU.
    CpuOnly,
    /// Only on a CUDA device.
    CudaOnly,
}

impl Devices {
    /// Whether a workload with these devices runs on `device`.
    pub fn includes(self, device: &Device) -> bool {
        match self {
            Devices::Both => true,
            Devices::CpuOnly => device.is_cpu(),
            Devices::CudaOnly => device.is_cuda(),
        }
    }
}

/// One workload of WORKLOADS.md.
#[derive(Debug, Clone, Copy)]
pub struct Workload {
    /// The name `torch_reference.py` prints.
    pub name: &'static str,
    /// The devices it runs on.
    pub devices: Devices,
    /// Builds the inputs on the device and returns what to time.
    pub setup: fn(&Device) -> Result<Prepared>,
}

/// What `setup` returns: the body to time, or why the workload cannot run in this build.
pub enum Prepared {
    /// Time this.
    Run(Bench),
    /// Not measurable yet (a missing op or crate); the reason goes to stderr.
    Skip(String),
}

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Prepared::Run(b) => f.debug_tuple("Run").field(b).finish(),
            Prepared::Skip(why) => f.debug_tuple("Skip").field(why).finish(),
        }
    }
}

/// The body of a workload and how often to run it.
pub struct Bench {
    /// Untimed runs first (3 unless the workload says otherwise).
    pub warmup: usize,
    /// Timed runs (at least 20).
    pub iters: usize,
    /// One run of the operation as a user calls it.
    pub body: Box<dyn FnMut() -> Result<()>>,
}

impl std::fmt::Debug for Bench {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bench").field("warmup", &self.warmup).field("iters", &self.iters).finish_non_exhaustive()
    }
}

impl Prepared {
    /// Time `body`: 3 warm-ups and 20 timed runs, as WORKLOADS.md asks.
    pub fn run(body: impl FnMut() -> Result<()> + 'static) -> Self {
        Self::run_with(3, 20, body)
    }
    /// Time `body` with `warmup` warm-ups and `iters` timed runs (`lenet_step_*` use 5 and 50,
    /// as torch_reference.py).
    pub fn run_with(warmup: usize, iters: usize, body: impl FnMut() -> Result<()> + 'static) -> Self {
        Prepared::Run(Bench { warmup, iters, body: Box::new(body) })
    }
}

/// Every workload, in the order of WORKLOADS.md.
pub fn all() -> Vec<Workload> {
    [core::WORKLOADS, conv::WORKLOADS, nn::WORKLOADS].concat()
}

/// The seed every workload draws its inputs from.
pub const SEED: u64 = 0;

/// A float32 tensor of standard normals on `device`.
pub fn randn(shape: &[usize], device: &Device) -> Result<Tensor> {
    Tensor::randn(shape, DType::F32, device)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_cover_workloads_md() {
        let names: Vec<_> = all().iter().map(|w| w.name).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len(), "duplicate workload names: {names:?}");
        for n in [
            "matmul_1024",
            "matmul_4096",
            "add_out",
            "add_alloc",
            "sum_all",
            "transpose_contiguous",
            "conv_lenet1_fwd",
            "conv_lenet1_fwdbwd",
            "conv_resnet_fwd",
            "conv_resnet_fwdbwd",
            "lenet_step_bs64",
            "lenet_step_bs256",
            "gpt_fwd",
            "gpt_step",
            "autograd_chain",
        ] {
            assert!(names.contains(&n), "{n} missing");
        }
    }
}
