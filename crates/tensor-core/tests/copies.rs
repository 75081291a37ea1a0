//! Copies: `copy_` with aliasing and overlapping operands, casts and broadcasts as PyTorch's,
//! and the large strided copies that take the tiled transpose and the blocks of short runs (on a
//! GPU: its strided copy kernel). Every test runs on every device (the CPU, and the GPU when one
//! is usable).

use crate::common::*;
use tensor_core::{DType, Tensor};

#[test]
fn copy_with_aliasing_reads_the_source_first() {
    on_each_device(|dev| {
        // The source is read in full before anything is written (NumPy's rule; PyTorch raises for
        // partial overlap, and never gives a half-updated result).
        let x = arange_f32(dev, 5);
        let src = x.narrow(0, 0, 4).unwrap();
        x.narrow(0, 1, 4).unwrap().copy_(&src).unwrap();
        assert_eq!(x.to_vec::<f32>().unwrap(), [0., 0., 1., 2., 3.]);
        let mut m = arange_f32(dev, 9).view(&[3, 3]).unwrap();
        let mt = m.t().unwrap();
        m.copy_(&mt).unwrap();
        assert_eq!(m.to_vec2::<f32>().unwrap(), [[0., 3., 6.], [1., 4., 7.], [2., 5., 8.]]);
        // Full overlap is a no-op.
        let mut y = arange_f32(dev, 4);
        let same = y.shallow_clone();
        let v = y.version();
        y.copy_(&same).unwrap();
        assert_eq!(y.to_vec::<f32>().unwrap(), [0., 1., 2., 3.]);
        assert!(y.version() > v);
        // A source that is a broadcast view of the destination.
        let mut z = arange_f32(dev, 6).view(&[2, 3]).unwrap();
        let row = z.i(1).unwrap();
        z.copy_(&row).unwrap();
        assert_eq!(z.to_vec2::<f32>().unwrap(), [[3., 4., 5.], [3., 4., 5.]]);
    });
}

#[test]
fn copy_refuses_overlapping_destination() {
    on_each_device(|dev| {
        // torch.zeros(3, 1).expand(3, 3).copy_(torch.ones(3, 3)): RuntimeError: unsupported
        // operation: more than one element of the written-to tensor refers to a single memory location.
        let z = Tensor::zeros([3, 1], DType::F32, dev).unwrap();
        let mut e = z.expand(&[3, 3]).unwrap();
        let v = z.version();
        let err = e.copy_(&Tensor::ones([3, 3], DType::F32, dev).unwrap()).unwrap_err();
        assert!(err.to_string().contains("more than one element of the written-to tensor"), "{err}");
        assert_eq!(z.version(), v, "a refused write must not bump the version");
        assert_eq!(z.to_vec::<f32>().unwrap(), [0., 0., 0.]);
        // fill_ and zero_ are refused as well (issue 19 asked for one rule; PyTorch's fill_ skips
        // its overlap check, as filling is idempotent).
        assert!(e.fill_(2.0).is_err());
        assert_eq!(z.to_vec::<f32>().unwrap(), [0., 0., 0.]);
    });
}

#[test]
fn copy_casts_and_broadcasts() {
    on_each_device(|dev| {
        let mut dst = Tensor::zeros([2, 3], DType::I32, dev).unwrap();
        let src = Tensor::new([1.75f64, -2.5, 3.0], dev).unwrap();
        dst.copy_(&src).unwrap();
        // torch.zeros(2, 3, dtype=torch.int32).copy_(torch.tensor([1.75, -2.5, 3.])) truncates toward 0
        assert_eq!(dst.to_vec2::<i32>().unwrap(), [[1, -2, 3], [1, -2, 3]]);
        let mut b = Tensor::zeros([3], DType::Bool, dev).unwrap();
        b.copy_(&Tensor::new([0.0f32, -0.5, f32::NAN], dev).unwrap()).unwrap();
        assert_eq!(b.to_vec::<bool>().unwrap(), [false, true, true]);
        let mut u = Tensor::zeros([2], DType::U8, dev).unwrap();
        u.copy_(&Tensor::new([-1i64, 300], dev).unwrap()).unwrap();
        assert_eq!(u.to_vec::<u8>().unwrap(), [255, 44]);
        let e = dst.copy_(&Tensor::zeros([4], DType::F32, dev).unwrap()).unwrap_err();
        assert!(e.to_string().contains("[4]") && e.to_string().contains("[2, 3]"), "{e}");
    });
}

#[test]
fn large_transposes_copy_through_the_tiled_path() {
    on_each_device(|dev| {
        // Dims of 64 and more take the tiled transpose kernel (8x8 tiles, in AVX registers for
        // 4-byte dtypes): sizes that are not multiples of its bands and tiles, a source narrowed in
        // both dims (an offset, and a row pitch wider than the rows), 4- and 8-byte dtypes.
        for (rows, cols) in [(300usize, 150usize), (64, 64), (129, 200), (71, 1030)] {
            let (h, w) = (rows + 1, cols + 3);
            let base =
                Tensor::arange(0.0, (h * w) as f64, 1.0, dev).unwrap().reshape(&[h as isize, w as isize]).unwrap();
            for dtype in [DType::F32, DType::I32, DType::I64, DType::F64] {
                let src = base.to_dtype(dtype).unwrap().narrow(0, 1, rows).unwrap().narrow(1, 2, cols).unwrap();
                let t = src.t().unwrap().contiguous().unwrap();
                assert_eq!(t.size(), &[cols, rows]);
                let got = t.to_dtype(DType::F64).unwrap().to_vec::<f64>().unwrap();
                for c in 0..cols {
                    for r in 0..rows {
                        assert_eq!(
                            got[c * rows + r],
                            ((r + 1) * w + c + 2) as f64,
                            "{rows}x{cols} {dtype} at ({c}, {r})"
                        );
                    }
                }
            }
        }
    });
}

#[test]
fn large_permutes_keeping_the_last_dim_copy_blocks_of_runs() {
    on_each_device(|dev| {
        // `[B, T, H, D] -> [B, H, T, D]` (attention's head split) with runs of D elements, past
        // the threading threshold and with a block count that does not divide evenly; and a
        // source narrowed along D (runs inside a wider row), against the index formula.
        let (b, t, h, d) = (3usize, 130usize, 5usize, 24usize);
        let x = Tensor::arange(0.0, (b * t * h * (d + 2)) as f64, 1.0, dev)
            .unwrap()
            .reshape(&[b as isize, t as isize, h as isize, (d + 2) as isize])
            .unwrap();
        for (narrow, width) in [(false, d + 2), (true, d)] {
            let src = if narrow { x.narrow(3, 1, d).unwrap() } else { x.shallow_clone() };
            let got = src.permute(&[0, 2, 1, 3]).unwrap().contiguous().unwrap().to_vec::<f32>().unwrap();
            let mut k = 0;
            for bi in 0..b {
                for hi in 0..h {
                    for ti in 0..t {
                        for di in 0..width {
                            let at = ((bi * t + ti) * h + hi) * (d + 2) + di + narrow as usize;
                            assert_eq!(got[k], at as f32, "narrow {narrow} at ({bi}, {hi}, {ti}, {di})");
                            k += 1;
                        }
                    }
                }
            }
        }
    });
}
