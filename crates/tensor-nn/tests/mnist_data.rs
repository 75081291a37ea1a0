//! The MNIST idx reader on the bundled 10k subset (`data/mnist-10k`), malformed files, and the
//! DataLoader's batching and seeded shuffles.

use std::path::{Path, PathBuf};
use tensor_core::{DType, Device, Result, Tensor};
use tensor_nn::data::{read_idx, DataLoader, Mnist};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/mnist-10k");

fn data(name: &str) -> PathBuf {
    Path::new(DATA).join(name)
}

#[test]
fn reads_bundled_idx_files() -> Result<()> {
    let (dims, pixels) = read_idx(&data("train-images-idx3-ubyte.gz"))?;
    assert_eq!(dims, [8000, 28, 28]);
    assert_eq!(pixels.len(), 8000 * 28 * 28);
    assert!(pixels.contains(&255) && pixels.contains(&0));
    let (dims, labels) = read_idx(&data("train-labels-idx1-ubyte.gz"))?;
    assert_eq!(dims, [8000]);
    assert!(labels.iter().all(|&l| l <= 9));
    // The README's per-class counts over all 10,000 images.
    let (tdims, test_labels) = read_idx(&data("t10k-labels-idx1-ubyte.gz"))?;
    assert_eq!(tdims, [2000]);
    let (idims, _) = read_idx(&data("t10k-images-idx3-ubyte.gz"))?;
    assert_eq!(idims, [2000, 28, 28]);
    let mut counts = [0usize; 10];
    for &l in labels.iter().chain(&test_labels) {
        counts[l as usize] += 1;
    }
    assert_eq!(counts, [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
    Ok(())
}

#[test]
fn mnist_tensors() -> Result<()> {
    let m = Mnist::load(Path::new(DATA), &Device::Cpu)?;
    assert_eq!(m.train_images.size(), &[8000, 1, 28, 28]);
    assert_eq!(m.train_images.dtype(), DType::F32);
    assert_eq!(m.train_labels.size(), &[8000]);
    assert_eq!(m.train_labels.dtype(), DType::I64);
    assert_eq!(m.test_images.size(), &[2000, 1, 28, 28]);
    assert_eq!(m.test_labels.size(), &[2000]);
    let l = m.test_labels.to_vec::<i64>()?;
    assert!(l.iter().all(|&v| (0..10).contains(&v)));
    // Normalised with mean 0.1307 and std 0.3081: a black pixel is -0.1307 / 0.3081.
    let min = m.train_images.amin(&[], false)?.item::<f32>()?;
    assert!((min - (-0.1307f32 / 0.3081)).abs() < 1e-5, "{min}");
    assert!(Mnist::load(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests")), &Device::Cpu).is_err());
    Ok(())
}

fn tmp(name: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(name)
}

/// A well-formed idx file of unsigned bytes.
fn idx(dims: &[u32], data_len: usize) -> Vec<u8> {
    let mut b = vec![0, 0, 0x08, dims.len() as u8];
    for d in dims {
        b.extend(d.to_be_bytes());
    }
    b.extend((0..data_len).map(|i| i as u8));
    b
}

#[test]
fn malformed_files_are_errors() {
    let cases: [(&str, Vec<u8>); 8] = [
        ("empty", vec![]),
        ("short_magic", vec![0, 0]),
        ("bad_magic", {
            let mut b = idx(&[2, 2], 4);
            b[0] = 1;
            b
        }),
        ("int_type", {
            // 0x0C: int32 data, not unsigned bytes.
            let mut b = idx(&[2], 8);
            b[2] = 0x0C;
            b
        }),
        ("truncated_header", idx(&[3, 28, 28], 0)[..10].to_vec()),
        ("truncated_data", idx(&[3, 4, 4], 47)),
        ("extra_data", idx(&[3, 4, 4], 49)),
        ("bad_gzip", vec![0x1f, 0x8b, 1, 2, 3, 4, 5]),
    ];
    for (name, bytes) in cases {
        let p = tmp(&format!("idx_{name}"));
        std::fs::write(&p, &bytes).unwrap();
        assert!(read_idx(&p).is_err(), "{name} was accepted");
    }
    // The same well-formed file reads.
    let p = tmp("idx_good");
    std::fs::write(&p, idx(&[3, 4, 4], 48)).unwrap();
    let (dims, bytes) = read_idx(&p).unwrap();
    assert_eq!((dims, bytes.len()), (vec![3, 4, 4], 48));
    // A truncated gzip of a real file.
    let real = std::fs::read(data("train-labels-idx1-ubyte.gz")).unwrap();
    let p = tmp("idx_truncated_gz");
    std::fs::write(&p, &real[..real.len() / 2]).unwrap();
    assert!(read_idx(&p).is_err());
    assert!(read_idx(&tmp("idx_missing")).is_err());
}

fn loader_data(n: usize) -> (Tensor, Tensor) {
    let x = Tensor::from_vec((0..n * 2).map(|i| i as f32).collect::<Vec<_>>(), [n, 2]).unwrap();
    let y = Tensor::from_vec((0..n as i64).collect::<Vec<_>>(), [n]).unwrap();
    (x, y)
}

fn epoch_labels(l: &mut DataLoader) -> Vec<Vec<i64>> {
    l.epoch().unwrap().map(|b| b.unwrap().1.to_vec::<i64>().unwrap()).collect()
}

#[test]
fn loader_batches_in_order() -> Result<()> {
    let (x, y) = loader_data(10);
    let mut l = DataLoader::new(x.shallow_clone(), y.shallow_clone(), 4, false, false, 0)?;
    assert_eq!((l.len(), l.num_batches()), (10, 3));
    let batches: Vec<(Tensor, Tensor)> = l.epoch()?.collect::<Result<_>>()?;
    assert_eq!(batches.iter().map(|b| b.0.size()[0]).collect::<Vec<_>>(), [4, 4, 2]);
    assert_eq!(batches[2].1.to_vec::<i64>()?, [8, 9]);
    // Inputs travel with their targets.
    assert_eq!(batches[1].0.to_vec2::<f32>()?[0], [8.0, 9.0]);
    let mut dl = DataLoader::new(x.shallow_clone(), y.shallow_clone(), 4, false, true, 0)?;
    assert_eq!(dl.num_batches(), 2);
    assert_eq!(epoch_labels(&mut dl), [vec![0, 1, 2, 3], vec![4, 5, 6, 7]]);
    // Errors: batch size 0, sample counts that differ.
    assert!(DataLoader::new(x.shallow_clone(), y.shallow_clone(), 0, false, false, 0).is_err());
    assert!(DataLoader::new(x, y.narrow(0, 0, 9)?, 4, false, false, 0).is_err());
    Ok(())
}

#[test]
fn loader_seeded_shuffle() -> Result<()> {
    let (x, y) = loader_data(50);
    let mk = |seed| DataLoader::new(x.shallow_clone(), y.shallow_clone(), 8, true, true, seed).unwrap();
    let (mut a, mut b, mut c) = (mk(7), mk(7), mk(8));
    let (a1, b1, c1) = (epoch_labels(&mut a), epoch_labels(&mut b), epoch_labels(&mut c));
    assert_eq!(a1, b1, "same seed, same order");
    assert_ne!(a1, c1, "another seed, another order");
    assert_eq!(a1.len(), 6);
    assert!(a1.iter().all(|batch| batch.len() == 8), "drop_last drops the short batch");
    // A permutation: 48 distinct samples, and not the identity.
    let mut flat: Vec<i64> = a1.concat();
    assert_ne!(flat, (0..48).collect::<Vec<_>>());
    flat.sort();
    flat.dedup();
    assert_eq!(flat.len(), 48);
    // Each epoch reshuffles, reproducibly.
    let a2 = epoch_labels(&mut a);
    assert_ne!(a1, a2);
    assert_eq!(a2, epoch_labels(&mut b));
    // Inputs stay paired with their targets after shuffling.
    for batch in a.epoch()? {
        let (xb, yb) = batch?;
        for (row, label) in xb.to_vec2::<f32>()?.iter().zip(yb.to_vec::<i64>()?) {
            assert_eq!(row[0], 2.0 * label as f32);
        }
    }
    Ok(())
}
