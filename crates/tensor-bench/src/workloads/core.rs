//! tensor-core ops: matmul, elementwise add, a full reduction, a transposed copy.

use super::{randn, Devices, Prepared, Workload};
use tensor_core::{Device, Result, Tensor};

/// The tensor-core workloads.
pub const WORKLOADS: &[Workload] = &[
    Workload { name: "matmul_1024", devices: Devices::Both, setup: matmul_1024 },
    Workload { name: "matmul_4096", devices: Devices::CudaOnly, setup: matmul_4096 },
    Workload { name: "add_out", devices: Devices::Both, setup: add_out },
    Workload { name: "add_alloc", devices: Devices::Both, setup: add_alloc },
    Workload { name: "sum_all", devices: Devices::Both, setup: sum_all },
    Workload { name: "transpose_contiguous", devices: Devices::Both, setup: transpose_contiguous },
];

/// Elements of the elementwise workloads: 16M on the CPU, 64M on CUDA.
fn elementwise_len(device: &Device) -> usize {
    if device.is_cuda() {
        64 << 20
    } else {
        16 << 20
    }
}

fn matmul(n: usize, device: &Device) -> Result<Prepared> {
    let (a, b) = (randn(&[n, n], device)?, randn(&[n, n], device)?);
    Ok(Prepared::run(move || a.matmul(&b).map(drop)))
}

/// `a.matmul(&b)`, both `[1024, 1024]`.
fn matmul_1024(device: &Device) -> Result<Prepared> {
    matmul(1024, device)
}

/// `a.matmul(&b)`, both `[4096, 4096]` (CUDA only).
fn matmul_4096(device: &Device) -> Result<Prepared> {
    matmul(4096, device)
}

/// `Tensor::add_out(&x, &y, &mut out)` into an existing tensor.
fn add_out(device: &Device) -> Result<Prepared> {
    let n = elementwise_len(device);
    let (x, y) = (randn(&[n], device)?, randn(&[n], device)?);
    let mut out = Tensor::empty([n], x.dtype(), device)?;
    Ok(Prepared::run(move || Tensor::add_out(&x, &y, &mut out)))
}

/// `&x + &y`, a new result (the operator calls `x.add(&y)`).
fn add_alloc(device: &Device) -> Result<Prepared> {
    let n = elementwise_len(device);
    let (x, y) = (randn(&[n], device)?, randn(&[n], device)?);
    Ok(Prepared::run(move || x.add(&y).map(drop)))
}

/// `x.sum()` of every element.
fn sum_all(device: &Device) -> Result<Prepared> {
    let x = randn(&[elementwise_len(device)], device)?;
    Ok(Prepared::run(move || x.sum().map(drop)))
}

/// `x.t().contiguous()` of `[s, s]`: s = 4096 on the CPU, 8192 on CUDA.
fn transpose_contiguous(device: &Device) -> Result<Prepared> {
    let s = if device.is_cuda() { 8192 } else { 4096 };
    let x = randn(&[s, s], device)?;
    Ok(Prepared::run(move || x.t()?.contiguous().map(drop)))
}
