//! # tensor-bench
//!
//! The workloads of `../shared/bench/WORKLOADS.md`, timed as `torch_reference.py` times PyTorch:
//! warm-up runs, then the median of the timed runs, with the device synchronised before each
//! reading of the clock. The `bench` binary prints one JSON line per workload:
//!
//! ```text
//! {"workload": "matmul_1024", "device": "cpu", "median_ms": 20.1}
//! ```
//!
//! Adding a workload is one function in one of the [`workloads`] modules plus one line in that
//! module's `WORKLOADS` table.
//!
//! `bench --sweep` runs instead the op sweep of `../shared/bench/op_sweep.py` ([`sweep`]): many
//! ops at everyday sizes, `sweep/<name>/fwd` and `sweep/<name>/fwdbwd` (or `.../step`).

pub mod device;
pub mod sweep;
pub mod timing;
pub mod workloads;

pub use timing::{json_line, median_ms};
pub use workloads::{all, Bench, Devices, Prepared, Workload};

/// The Rust examples of the workspace's README, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
