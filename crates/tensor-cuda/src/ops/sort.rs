//! The sort family on CUDA: `dim` is moved last and made contiguous, each row sorted by one
//! thread (`kernels/sort.cu`: a stable merge sort, NaN as the largest value, as the CPU), and
//! the values and positions moved back.

use super::copy::contiguous;
use super::launch;
use crate::kernels::{grid, suffix, to_i64, Family};
use crate::storage::CudaStorage;
use tensor_core::backend::{SortOps, Storage};
use tensor_core::{DType, Layout, Result, Shape};

impl SortOps<Storage> for CudaStorage {
    #[track_caller]
    fn sort(&self, layout: &Layout, dim: usize, descending: bool) -> Result<(Storage, Storage)> {
        let (v, i) = sort(self, layout, dim, descending)?;
        Ok((Storage::new(v), Storage::new(i)))
    }
}

/// The sorted values of `src[layout]` along `dim` and their int64 positions, both contiguous.
#[track_caller]
pub(crate) fn sort(
    src: &CudaStorage,
    layout: &Layout,
    dim: usize,
    descending: bool,
) -> Result<(CudaStorage, CudaStorage)> {
    let name = "sort";
    let rank = layout.rank();
    let numel = layout.numel();
    if rank == 0 || numel == 0 {
        let zeros = CudaStorage::zeros(&src.dev, DType::I64, numel)?;
        return Ok((contiguous(src, layout)?, zeros));
    }
    let perm: Vec<isize> = (0..rank).filter(|&d| d != dim).chain(std::iter::once(dim)).map(|d| d as isize).collect();
    let moved = layout.permute(&perm)?;
    let mut vals = contiguous(src, &moved)?;
    let mut idx = CudaStorage::alloc(&src.dev, DType::I64, numel)?;
    let mut tmp_v = CudaStorage::alloc(&src.dev, src.dtype(), numel)?;
    let mut tmp_i = CudaStorage::alloc(&src.dev, DType::I64, numel)?;
    let n = layout.dims()[dim];
    let rows = numel / n;
    let (vp, ip, tvp, tip) = (vals.ptr_mut(), idx.ptr_mut(), tmp_v.ptr_mut(), tmp_i.ptr_mut());
    let (rows64, n64, desc) = (to_i64(name, rows)?, to_i64(name, n)?, descending as i32);
    let kernel = format!("sort_rows_{}", suffix(src.dtype()));
    // sort_rows_<T>(T* v, i64* ix, T* tv, i64* ti, i64 rows, i64 n, int descending)
    launch!(src.dev, Family::Sort, kernel, grid(rows), name; &vp, &ip, &tvp, &tip, &rows64, &n64, &desc)?;
    if dim + 1 == rank {
        return Ok((vals, idx));
    }
    // Back to the input's dim order: the inverse permutation of the sorted rows' layout.
    let moved_shape: Vec<usize> = perm.iter().map(|&d| layout.dims()[d as usize]).collect();
    let mut inv = vec![0isize; rank];
    for (i, &d) in perm.iter().enumerate() {
        inv[d as usize] = i as isize;
    }
    let back = Layout::contiguous(Shape::new(&moved_shape)).permute(&inv)?;
    Ok((contiguous(&vals, &back)?, contiguous(&idx, &back)?))
}
