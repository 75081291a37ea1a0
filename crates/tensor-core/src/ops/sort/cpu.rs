//! CPU kernel for sorting along a dim.

use crate::cpu::CpuStorage;
use crate::{bail, Layout, Result};

/// Stable sort along `dim`: (values, I64 indices), contiguous.
pub(crate) fn sort(x: &CpuStorage, layout: &Layout, dim: usize, descending: bool) -> Result<(CpuStorage, CpuStorage)> {
    let _ = (x, layout, dim, descending);
    bail!(Unsupported, "sort", "not implemented yet")
}
