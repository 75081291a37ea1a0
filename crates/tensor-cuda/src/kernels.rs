//! The CUDA C kernels: their sources (one `.cu` file per op family under `src/kernels/`, each
//! prefixed with `common.cuh`), NVRTC compilation (once per process per family and GPU
//! architecture), the strided-layout arguments every kernel takes, and launch configurations.
//!
//! Layouts travel to kernels as [`KDims`] (the walked shape) plus one [`KStrides`] per operand,
//! after [`plan`] has dropped size-1 dims and merged dims that are dense in every operand, so a
//! contiguous tensor of any rank is walked as one flat run. At most [`MAX_DIMS`] dims remain.

use crate::error::{compile_err, unsupported};
use cudarc::driver::{DeviceRepr, LaunchConfig};
use cudarc::nvrtc::{CompileOptions, Ptx};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use tensor_core::{DType, Result, ResultExt};

/// Most dims a kernel walks (after merging); must match `MAX_DIMS` in `common.cuh`.
pub(crate) const MAX_DIMS: usize = 8;

/// Threads per block of the elementwise kernels.
pub(crate) const THREADS: u32 = 256;
/// Most blocks of one grid-stride launch (every kernel loops over the rest).
const MAX_BLOCKS: usize = 65_535;

const COMMON: &str = include_str!("kernels/common.cuh");

/// A family of kernels compiled together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Family {
    /// Strided copies, casts, fills.
    Copy,
    /// Unary ops and tests.
    Unary,
    /// Binary ops, comparisons, `where`.
    Binary,
    /// Reductions.
    Reduce,
    /// Integer matmul.
    Matmul,
    /// Philox random numbers.
    Random,
    /// index_select, gather, scatter, index_add.
    Index,
    /// im2col, col2im.
    Conv,
    /// Max and average pooling and their gradients.
    Pool,
    /// Stable row sorts.
    Sort,
    /// Fused scaled dot-product attention, forward and backward.
    Attention,
}

impl Family {
    fn name(self) -> &'static str {
        match self {
            Family::Copy => "copy",
            Family::Unary => "unary",
            Family::Binary => "binary",
            Family::Reduce => "reduce",
            Family::Matmul => "matmul",
            Family::Random => "random",
            Family::Index => "index",
            Family::Conv => "conv",
            Family::Pool => "pool",
            Family::Sort => "sort",
            Family::Attention => "attention",
        }
    }
    fn source(self) -> &'static str {
        match self {
            Family::Copy => include_str!("kernels/copy.cu"),
            Family::Unary => include_str!("kernels/unary.cu"),
            Family::Binary => include_str!("kernels/binary.cu"),
            Family::Reduce => include_str!("kernels/reduce.cu"),
            Family::Matmul => include_str!("kernels/matmul.cu"),
            Family::Random => include_str!("kernels/random.cu"),
            Family::Index => include_str!("kernels/index.cu"),
            Family::Conv => include_str!("kernels/conv.cu"),
            Family::Pool => include_str!("kernels/pool.cu"),
            Family::Sort => include_str!("kernels/sort.cu"),
            Family::Attention => include_str!("kernels/attention.cu"),
        }
    }
}

/// Compiled PTX per (family, architecture), shared by every device of the process.
fn ptx_cache() -> &'static Mutex<HashMap<(Family, String), Ptx>> {
    static CACHE: OnceLock<Mutex<HashMap<(Family, String), Ptx>>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// The PTX of `family` for `arch` (`compute_90`), compiled by NVRTC on first use.
#[track_caller]
pub(crate) fn ptx(family: Family, arch: &str) -> Result<Ptx> {
    let mut cache = ptx_cache().lock().unwrap_or_else(|e| e.into_inner());
    if let Some(p) = cache.get(&(family, arch.to_string())) {
        return Ok(p.clone());
    }
    // SAFETY: `is_culib_present` only tries to open the NVRTC library.
    if !unsafe { cudarc::nvrtc::sys::is_culib_present() } {
        return Err(unsupported("nvrtc", "the NVRTC library (libnvrtc) was not found"));
    }
    let src = format!("{COMMON}\n{}", family.source());
    let opts = |arch: Option<&str>| CompileOptions {
        name: Some(format!("tensor_cuda_{}.cu", family.name())),
        options: arch.map(|a| vec![format!("--gpu-architecture={a}")]).unwrap_or_default(),
        ..Default::default()
    };
    // An NVRTC older than the GPU does not know its architecture: fall back to NVRTC's default
    // (the driver JIT-compiles that PTX for the GPU).
    let compiled = cudarc::nvrtc::compile_ptx_with_opts(&src, opts(Some(arch)))
        .or_else(|_| cudarc::nvrtc::compile_ptx_with_opts(&src, opts(None)))
        .map_err(|e| compile_err(family.name(), e))
        .located()?;
    cache.insert((family, arch.to_string()), compiled.clone());
    Ok(compiled)
}

/// Every kernel family compiled by NVRTC for `arch` (`compute_90`), without the fallback to
/// NVRTC's default architecture that `ptx` takes at run time: each family's name and PTX, or
/// the first family's compile error (with NVRTC's log). What `cargo xtask ci`'s offline check of
/// the kernels runs, through this crate's `compile_kernels` example, on machines without a GPU.
#[track_caller]
pub fn compile_all(arch: &str) -> Result<Vec<(&'static str, String)>> {
    // SAFETY: `is_culib_present` only tries to open the NVRTC library.
    if !unsafe { cudarc::nvrtc::sys::is_culib_present() } {
        return Err(unsupported("nvrtc", "the NVRTC library (libnvrtc) was not found"));
    }
    let families = [
        Family::Copy,
        Family::Unary,
        Family::Binary,
        Family::Reduce,
        Family::Matmul,
        Family::Random,
        Family::Index,
        Family::Conv,
        Family::Pool,
        Family::Sort,
        Family::Attention,
    ];
    families
        .into_iter()
        .map(|family| {
            let opts = CompileOptions {
                name: Some(format!("tensor_cuda_{}.cu", family.name())),
                options: vec![format!("--gpu-architecture={arch}")],
                ..Default::default()
            };
            let src = format!("{COMMON}\n{}", family.source());
            let ptx = cudarc::nvrtc::compile_ptx_with_opts(&src, opts).map_err(|e| compile_err(family.name(), e))?;
            Ok((family.name(), ptx.to_src()))
        })
        .collect()
}

/// The kernel-name suffix of a dtype.
pub(crate) fn suffix(dtype: DType) -> &'static str {
    match dtype {
        DType::Bool => "bool",
        DType::U8 => "u8",
        DType::I32 => "i32",
        DType::I64 => "i64",
        // No kernels are built for these (uploads refuse them); the names only make the error.
        DType::I8 => "i8",
        DType::I16 => "i16",
        DType::U16 => "u16",
        DType::U32 => "u32",
        DType::U64 => "u64",
        DType::F16 => "f16",
        DType::BF16 => "bf16",
        DType::F32 => "f32",
        DType::F64 => "f64",
    }
}

/// The walked shape, row-major; `#[repr(C)]` as `KDims` in `common.cuh`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
#[allow(dead_code)] // the fields are read on the device
pub(crate) struct KDims {
    rank: i32,
    pad: i32,
    size: [i64; MAX_DIMS],
}

/// One operand's offset and strides, in elements; `#[repr(C)]` as `KStrides` in `common.cuh`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
#[allow(dead_code)] // the fields are read on the device
pub(crate) struct KStrides {
    offset: i64,
    st: [i64; MAX_DIMS],
}

// SAFETY: both are plain `#[repr(C)]` structs of integers whose layout matches the C structs
// the kernels declare (an i32 pair, then 8-byte aligned i64 arrays).
unsafe impl DeviceRepr for KDims {}
// SAFETY: as above.
unsafe impl DeviceRepr for KStrides {}

/// An index or size as the kernels' i64.
#[track_caller]
pub(crate) fn to_i64(op: &'static str, v: usize) -> Result<i64> {
    i64::try_from(v)
        .map_err(|_| unsupported(op, format!("size or stride {v} does not fit in 64-bit indexing")))
        .located()
}

/// The walk of `shape` by `N` operands with the given strides and offsets: size-1 dims dropped,
/// dims that are dense in every operand merged (row-major order is kept, so linear index `i`
/// means the same element before and after). Errors when more than [`MAX_DIMS`] dims remain.
#[track_caller]
pub(crate) fn plan<const N: usize>(
    op: &'static str,
    shape: &[usize],
    strides: [&[usize]; N],
    offsets: [usize; N],
) -> Result<(KDims, [KStrides; N])> {
    let merged = tensor_core::shape::merge_dense_dims(shape, strides);
    let rank = merged.sizes.len();
    if rank > MAX_DIMS {
        return Err(unsupported(
            op,
            format!(
                "a layout of shape {shape:?} walks {rank} dims after merging; the CUDA kernels take at most {MAX_DIMS} (make it contiguous first)"
            ),
        ));
    }
    let mut dims = KDims { rank: rank as i32, ..Default::default() };
    let mut out = [KStrides::default(); N];
    for (o, &off) in out.iter_mut().zip(offsets.iter()) {
        o.offset = to_i64(op, off)?;
    }
    for (i, &size) in merged.sizes.iter().enumerate() {
        dims.size[i] = to_i64(op, size)?;
        for (o, st) in out.iter_mut().zip(merged.strides.iter()) {
            o.st[i] = to_i64(op, st[i])?;
        }
    }
    Ok((dims, out))
}

/// Row-major strides of `shape` (the contiguous output of an op).
pub(crate) fn contiguous_strides(shape: &[usize]) -> Vec<usize> {
    let mut st = vec![0; shape.len()];
    let mut acc = 1usize;
    for d in (0..shape.len()).rev() {
        st[d] = acc;
        acc = acc.saturating_mul(shape[d]);
    }
    st
}

/// A grid-stride launch over `n > 0` elements.
pub(crate) fn grid(n: usize) -> LaunchConfig {
    let blocks = n.div_ceil(THREADS as usize).clamp(1, MAX_BLOCKS);
    LaunchConfig { grid_dim: (blocks as u32, 1, 1), block_dim: (THREADS, 1, 1), shared_mem_bytes: 0 }
}

/// A launch of `blocks` (capped; the kernel loops over the rest) blocks of `threads` threads
/// with `shared` bytes of dynamic shared memory.
pub(crate) fn blocks(blocks: usize, threads: u32, shared: u32) -> LaunchConfig {
    LaunchConfig {
        grid_dim: (blocks.clamp(1, MAX_BLOCKS) as u32, 1, 1),
        block_dim: (threads, 1, 1),
        shared_mem_bytes: shared,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_merges_dense_dims_and_drops_ones() {
        // A contiguous [2, 1, 3, 4] tensor is one run of 24.
        let (d, [s]) = plan("t", &[2, 1, 3, 4], [&[12, 12, 4, 1]], [5]).unwrap();
        assert_eq!((d.rank, d.size[0], s.st[0], s.offset), (1, 24, 1, 5));
        // A transposed [3, 4] (strides [1, 3]) cannot merge.
        let (d, [s]) = plan("t", &[3, 4], [&[1, 3]], [0]).unwrap();
        assert_eq!((d.rank, d.size[..2].to_vec(), s.st[..2].to_vec()), (2, vec![3, 4], vec![1, 3]));
        // Broadcast operand (stride 0) merges only where both are dense.
        let (d, [a, b]) = plan("t", &[2, 3, 4], [&[12, 4, 1], &[0, 4, 1]], [0, 0]).unwrap();
        assert_eq!((d.rank, d.size[..2].to_vec()), (2, vec![2, 12]));
        assert_eq!((a.st[..2].to_vec(), b.st[..2].to_vec()), (vec![12, 1], vec![0, 1]));
        // Scalars: rank 0.
        let (d, _) = plan("t", &[], [&[]], [3]).unwrap();
        assert_eq!(d.rank, 0);
    }

    #[test]
    fn plan_refuses_too_many_dims() {
        let shape = [2usize; 9];
        let strides: Vec<usize> = (0..9).map(|i| 1usize << (2 * (9 - i))).collect();
        assert!(plan("t", &shape, [&strides], [0]).is_err());
    }

    #[test]
    fn structs_have_the_c_layout() {
        assert_eq!(std::mem::size_of::<KDims>(), 8 + 8 * MAX_DIMS);
        assert_eq!(std::mem::size_of::<KStrides>(), 8 + 8 * MAX_DIMS);
        assert_eq!(std::mem::align_of::<KDims>(), 8);
    }

    #[test]
    fn launch_configs_are_valid() {
        assert_eq!(grid(1).grid_dim.0, 1);
        assert_eq!(grid(257).grid_dim.0, 2);
        assert_eq!(grid(usize::MAX / 2).grid_dim.0, MAX_BLOCKS as u32);
        assert_eq!(blocks(0, 32, 0).grid_dim.0, 1);
    }
}
