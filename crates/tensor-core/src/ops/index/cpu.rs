//! CPU kernels for indexing: index_select, gather, scatter, index_add.

use crate::backend::ScatterReduce;
use crate::cpu::CpuStorage;
use crate::{bail, Layout, Result};

/// Selects `indices` (I64, 1-d) along `dim`; contiguous result.
pub(crate) fn index_select(
    x: &CpuStorage,
    layout: &Layout,
    dim: usize,
    indices: &CpuStorage,
    il: &Layout,
) -> Result<CpuStorage> {
    let _ = (x, layout, dim, indices, il);
    bail!(Unsupported, "index_select", "not implemented yet")
}

/// `out[..i..] = x[..index[..i..]..]` along `dim`; contiguous result of the index's shape.
pub(crate) fn gather(
    x: &CpuStorage,
    layout: &Layout,
    dim: usize,
    index: &CpuStorage,
    il: &Layout,
) -> Result<CpuStorage> {
    let _ = (x, layout, dim, index, il);
    bail!(Unsupported, "gather", "not implemented yet")
}

/// `x[..index[..i..]..] (=|+=) src[..i..]` along `dim`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn scatter_inplace(
    x: &mut CpuStorage,
    layout: &Layout,
    dim: usize,
    index: &CpuStorage,
    il: &Layout,
    src: &CpuStorage,
    sl: &Layout,
    reduce: ScatterReduce,
) -> Result<()> {
    let _ = (x, layout, dim, index, il, src, sl, reduce);
    bail!(Unsupported, "scatter", "not implemented yet")
}

/// `x.select(dim, indices[i]) += src.select(dim, i)`.
pub(crate) fn index_add_inplace(
    x: &mut CpuStorage,
    layout: &Layout,
    dim: usize,
    indices: &CpuStorage,
    il: &Layout,
    src: &CpuStorage,
    sl: &Layout,
) -> Result<()> {
    let _ = (x, layout, dim, indices, il, src, sl);
    bail!(Unsupported, "index_add", "not implemented yet")
}
