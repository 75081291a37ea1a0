//! Files and tensor-core's `ndarray` feature together (enabled for these tests through the
//! dev-dependency): a Fortran-order `.npy` viewed as an ndarray without a copy, and an
//! `ndarray` array written as `.npy`.

use crate::common;

use common::{fixture, pattern};
use tensor_core::{DType, Tensor};
use tensor_io::{read_npy, read_npy_bytes, write_npy_to};

#[test]
fn a_fortran_file_is_a_column_major_array_view() {
    let t = read_npy(fixture("float32_fortran.npy")).unwrap();
    let want = pattern(DType::F32, &[3, 4]).to_vec2::<f32>().unwrap();
    t.with_array_view::<f32, _>(|a| {
        assert_eq!(a.shape(), &[3, 4]);
        assert_eq!(a.strides(), &[1, 3]);
        for (i, row) in want.iter().enumerate() {
            for (j, &v) in row.iter().enumerate() {
                assert_eq!(a[[i, j]], v);
            }
        }
        assert!(a.t().is_standard_layout());
    })
    .unwrap();
}

#[test]
fn ndarray_arrays_to_files_and_back() {
    let t = pattern(DType::F64, &[2, 3, 4]);
    let array = t.to_ndarray::<f64>().unwrap();
    let permuted = array.permuted_axes(vec![2, 0, 1]); // owned, neither C nor Fortran order
    let from = Tensor::from_ndarray(permuted.clone()).unwrap();
    let mut bytes = Vec::new();
    write_npy_to(&from, &mut bytes).unwrap();
    let back = read_npy_bytes(&bytes).unwrap();
    assert_eq!(back.to_ndarray::<f64>().unwrap(), permuted);
    let mut writable = back.shallow_clone();
    writable.with_array_view_mut::<f64, _>(|mut a| a[[3, 1, 2]] = -1.0).unwrap();
    assert_eq!(back.to_ndarray::<f64>().unwrap()[[3, 1, 2]], -1.0);
}
