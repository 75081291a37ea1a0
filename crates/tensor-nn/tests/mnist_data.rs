//! The MNIST idx reader on the bundled 10k subset (`data/mnist-10k`), malformed files (gzip
//! bombs, endless streams and lying headers among them, read no further than their header
//! declares), and the DataLoader's batching and seeded shuffles.

use flate2::write::GzEncoder;
use flate2::Compression;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use tensor_core::{DType, Device, Result, Tensor};
use tensor_nn::data::{read_idx, read_idx_from, DataLoader, DataLoaderConfig, Dataset, Mnist, TensorDataset};

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

/// A reader that counts the bytes it gives, and fails once it has given `limit` (so a reader
/// that reads too far errs instead of running on).
struct Counted<R> {
    inner: R,
    count: usize,
    limit: usize,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.count >= self.limit {
            return Err(io::Error::other("the test's read limit"));
        }
        let n = buf.len().min(self.limit - self.count);
        let got = self.inner.read(&mut buf[..n])?;
        self.count += got;
        Ok(got)
    }
}

fn counted<R: Read>(inner: R, limit: usize) -> Counted<R> {
    Counted { inner, count: 0, limit }
}

fn gzip(chunks: impl IntoIterator<Item = Vec<u8>>) -> Vec<u8> {
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    for c in chunks {
        gz.write_all(&c).unwrap();
    }
    gz.finish().unwrap()
}

#[track_caller]
fn assert_err(r: Result<(Vec<usize>, Vec<u8>)>, words: &str) {
    let e = r.expect_err(words);
    assert!(e.message().contains(words), "{e}");
}

#[test]
fn gzip_bomb_is_refused_at_its_magic() {
    // 256 MiB of zeros, about 255 KB of gzip: the magic is bad, and reading the first bytes of
    // it pulls one 32 KiB buffer of the compressed stream, not the whole of it.
    let bomb = gzip((0..256).map(|_| vec![0u8; 1 << 20]));
    assert!(bomb.len() > 200_000, "{}", bomb.len());
    let mut r = counted(&bomb[..], 64 << 10);
    assert_err(read_idx_from(&mut r), "<reader>: not an idx file of unsigned bytes (bad magic [00, 00, 00, 00]");
    assert!(r.count <= 40 << 10, "{} bytes pulled", r.count);
    let p = tmp("idx_bomb.gz");
    std::fs::write(&p, &bomb).unwrap();
    assert_err(read_idx(&p), "idx_bomb.gz: not an idx file of unsigned bytes (bad magic");
    // A valid header declaring 16 bytes, then the 256 MiB: trailing data after 17 bytes.
    let bomb = gzip([idx(&[4, 4], 16)].into_iter().chain((0..256).map(|_| vec![0u8; 1 << 20])));
    let mut r = counted(&bomb[..], 64 << 10);
    assert_err(read_idx_from(&mut r), "<reader>: trailing data: dims [4, 4] need 16 bytes of data, and more follow");
}

#[test]
fn endless_streams_end_at_the_header() {
    let mut r = counted(io::repeat(0), 1 << 20);
    assert_err(read_idx_from(&mut r), "bad magic [00, 00, 00, 00]");
    assert_eq!(r.count, 4);
    // A valid header declaring 10 bytes, then zeros without end: the 10 bytes and one more.
    let header = idx(&[10], 0);
    let mut r = counted((&header[..]).chain(io::repeat(0)), 1 << 20);
    assert_err(read_idx_from(&mut r), "trailing data: dims [10] need 10 bytes of data, and more follow");
    assert_eq!(r.count, header.len() + 11);
    // The same header, a gzip of its 10 bytes and zeros without end behind it (GzDecoder
    // stops at the end of the first gzip member).
    let one = gzip([idx(&[10], 10)]);
    let mut r = counted((&one[..]).chain(io::repeat(0)), 1 << 20);
    assert_eq!(read_idx_from(&mut r).unwrap(), (vec![10], (0..10).collect::<Vec<u8>>()));
    // Last: a reader that reads to the end never returns from this one.
    #[cfg(target_os = "linux")]
    assert_err(read_idx(Path::new("/dev/zero")), "/dev/zero: not an idx file of unsigned bytes (bad magic");
}

#[test]
fn lying_and_malformed_headers() {
    // 2^63 - 3 * 2^31 bytes declared, 8 present: truncated, not an allocation of the declared size.
    let lying = idx(&[u32::MAX, i32::MAX as u32], 8);
    assert_err(read_idx_from(&lying[..]), "truncated: dims [4294967295, 2147483647] need 9223372030412324865 bytes");
    // 1 GiB declared by a gzip of 1 MiB of it: truncated after reading that much.
    let big = gzip([idx(&[1 << 30], 1 << 20)]);
    assert_err(read_idx_from(&big[..]), "need 1073741824 bytes of data, the file has 1048576");
    assert_err(read_idx_from(&idx(&[u32::MAX; 3], 8)[..]), "dims [4294967295, 4294967295, 4294967295] overflow");
    assert_err(
        read_idx_from(&idx(&[3, 4, 4], 47)[..]),
        "truncated: dims [3, 4, 4] need 48 bytes of data, the file has 47",
    );
    assert_err(read_idx_from(&idx(&[3, 4, 4], 49)[..]), "trailing data: dims [3, 4, 4] need 48 bytes");
    assert_err(read_idx_from(&idx(&[3, 28, 28], 0)[..10]), "truncated header: 3 dims need 12 bytes, the file has 6");
    assert_err(read_idx_from(&[0u8, 0][..]), "truncated: 2 bytes, less than the 4-byte magic");
    assert_err(read_idx_from(&[0u8, 0, 0x0c, 1][..]), "bad magic [00, 00, 0c, 01]");
    assert_err(read_idx_from(&[0x1f, 0x8b, 1, 2, 3][..]), "<reader>: bad gzip data: ");
    // Errors name the file.
    let p = tmp("idx_lying");
    std::fs::write(&p, &lying).unwrap();
    assert_err(read_idx(&p), "idx_lying: truncated: dims [4294967295, 2147483647]");
    // Well-formed files read, plain and gzip, a 0-d one (one byte) and an empty one too.
    let good = idx(&[3, 4, 4], 48);
    assert_eq!(read_idx_from(&good[..]).unwrap(), (vec![3, 4, 4], good[16..].to_vec()));
    assert_eq!(read_idx_from(&gzip([good.clone()])[..]).unwrap(), (vec![3, 4, 4], good[16..].to_vec()));
    assert_eq!(read_idx_from(&idx(&[], 1)[..]).unwrap(), (vec![], vec![0]));
    assert_eq!(read_idx_from(&idx(&[2, 0], 0)[..]).unwrap(), (vec![2, 0], vec![]));
}

fn loader_data(n: usize) -> (Tensor, Tensor) {
    let x = Tensor::from_vec((0..n * 2).map(|i| i as f32).collect::<Vec<_>>(), [n, 2]).unwrap();
    let y = Tensor::from_vec((0..n as i64).collect::<Vec<_>>(), [n]).unwrap();
    (x, y)
}

fn loader(
    x: &Tensor,
    y: &Tensor,
    batch_size: usize,
    shuffle: bool,
    drop_last: bool,
    seed: u64,
) -> Result<DataLoader<TensorDataset>> {
    let config = DataLoaderConfig { batch_size, shuffle, drop_last, seed: Some(seed), ..Default::default() };
    DataLoader::new(TensorDataset::new(vec![x.shallow_clone(), y.shallow_clone()])?, config)
}

fn epoch_labels(l: &DataLoader<TensorDataset>) -> Vec<Vec<i64>> {
    l.iter().map(|b| b.unwrap()[1].to_vec::<i64>().unwrap()).collect()
}

#[test]
fn loader_batches_in_order() -> Result<()> {
    let (x, y) = loader_data(10);
    let l = loader(&x, &y, 4, false, false, 0)?;
    assert_eq!((l.dataset().len(), l.len()), (10, 3));
    let batches: Vec<Vec<Tensor>> = l.iter().collect::<Result<_>>()?;
    assert_eq!(batches.iter().map(|b| b[0].size()[0]).collect::<Vec<_>>(), [4, 4, 2]);
    assert_eq!(batches[2][1].to_vec::<i64>()?, [8, 9]);
    // Inputs travel with their targets.
    assert_eq!(batches[1][0].to_vec2::<f32>()?[0], [8.0, 9.0]);
    let dl = loader(&x, &y, 4, false, true, 0)?;
    assert_eq!(dl.len(), 2);
    assert_eq!(epoch_labels(&dl), [vec![0, 1, 2, 3], vec![4, 5, 6, 7]]);
    // Errors: batch size 0, sample counts that differ.
    assert!(loader(&x, &y, 0, false, false, 0).is_err());
    assert!(loader(&x, &y.narrow(0, 0, 9)?, 4, false, false, 0).is_err());
    Ok(())
}

#[test]
fn loader_seeded_shuffle() -> Result<()> {
    let (x, y) = loader_data(50);
    let mk = |seed| loader(&x, &y, 8, true, true, seed).unwrap();
    let (a, b, c) = (mk(7), mk(7), mk(8));
    let (a1, b1, c1) = (epoch_labels(&a), epoch_labels(&b), epoch_labels(&c));
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
    let a2 = epoch_labels(&a);
    assert_ne!(a1, a2);
    assert_eq!(a2, epoch_labels(&b));
    // Inputs stay paired with their targets after shuffling.
    for batch in &a {
        let batch = batch?;
        for (row, label) in batch[0].to_vec2::<f32>()?.iter().zip(batch[1].to_vec::<i64>()?) {
            assert_eq!(row[0], 2.0 * label as f32);
        }
    }
    Ok(())
}
