//! The generic DataLoader over Datasets: seeded shuffles that are the same with 0, 1 and 3
//! workers, every index once per epoch, drop_last, default and custom collate, a lazy dataset
//! that streams through the prefetch window, item errors and panics as `Err` batches, and
//! dropping a loader mid-epoch. No timing: the worker tests check counts and orders only.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tensor_core::{bail, ErrorKind, Result, Tensor};
use tensor_nn::data::{Collate, DataLoader, DataLoaderConfig, Dataset, TensorDataset};

/// `len` items computed on demand: item `i` is `([i, -i] as f32, i as i64)`. It counts the
/// items it produced, fails on `fail_at` and panics on `panic_at`.
struct Lazy {
    len: usize,
    produced: Arc<AtomicUsize>,
    fail_at: Option<usize>,
    panic_at: Option<usize>,
}

fn lazy(len: usize) -> Lazy {
    Lazy { len, produced: Arc::new(AtomicUsize::new(0)), fail_at: None, panic_at: None }
}

impl Dataset for Lazy {
    type Item = (Tensor, i64);
    fn len(&self) -> usize {
        self.len
    }
    fn get(&self, i: usize) -> Result<(Tensor, i64)> {
        if self.fail_at == Some(i) {
            bail!(Io, "Lazy", "cannot read item {i}");
        }
        if self.panic_at == Some(i) {
            panic!("item {i} is cursed");
        }
        self.produced.fetch_add(1, Ordering::SeqCst);
        Ok((Tensor::from_vec(vec![i as f32, -(i as f32)], [2])?, i as i64))
    }
}

fn config(batch_size: usize, shuffle: bool, drop_last: bool, num_workers: usize) -> DataLoaderConfig {
    DataLoaderConfig { batch_size, shuffle, drop_last, num_workers, seed: Some(5), ..Default::default() }
}

/// The item indices of each batch of one epoch, checking that inputs match their labels.
fn epoch<D: Dataset<Item = (Tensor, i64)> + 'static>(l: &DataLoader<D>) -> Vec<Vec<i64>> {
    l.iter()
        .map(|b| {
            let (x, y) = b.unwrap();
            let ids = y.to_vec::<i64>().unwrap();
            assert_eq!(x.size(), &[ids.len(), 2]);
            let rows = x.to_vec2::<f32>().unwrap();
            assert!(rows.iter().zip(&ids).all(|(r, &i)| r == &[i as f32, -(i as f32)]));
            ids
        })
        .collect()
}

#[test]
fn shuffle_is_seeded_and_the_same_with_any_workers() -> Result<()> {
    let epochs = |workers| -> Vec<Vec<Vec<i64>>> {
        let l = DataLoader::new(lazy(23), config(4, true, false, workers)).unwrap();
        assert_eq!(l.len(), 6);
        (0..3).map(|_| epoch(&l)).collect()
    };
    let serial = epochs(0);
    assert_eq!(serial, epochs(1));
    assert_eq!(serial, epochs(3));
    assert_eq!(serial, epochs(0), "the same seed gives the same epochs");
    assert_ne!(serial[0], serial[1], "each epoch reshuffles");
    for e in &serial {
        assert_eq!(e.iter().map(Vec::len).collect::<Vec<_>>(), [4, 4, 4, 4, 4, 3]);
        let mut all = e.concat();
        assert_ne!(all, (0..23).collect::<Vec<_>>(), "shuffled");
        all.sort();
        assert_eq!(all, (0..23).collect::<Vec<_>>(), "every index once");
    }
    let other = DataLoader::new(lazy(23), DataLoaderConfig { seed: Some(6), ..config(4, true, false, 0) })?;
    assert_ne!(epoch(&other), serial[0], "another seed, another order");
    // Without shuffling, in order, with or without workers.
    for workers in [0, 1, 3] {
        let l = DataLoader::new(lazy(10), config(3, false, false, workers))?;
        assert_eq!(epoch(&l), [vec![0, 1, 2], vec![3, 4, 5], vec![6, 7, 8], vec![9]]);
    }
    Ok(())
}

#[test]
fn generator_state_replays_an_epoch() -> Result<()> {
    let l = DataLoader::new(lazy(30), config(7, true, false, 2))?;
    epoch(&l);
    let state = l.generator_state();
    let second = epoch(&l);
    assert_ne!(l.generator_state(), state, "an epoch advances the generator");
    let resumed = DataLoader::new(lazy(30), DataLoaderConfig { seed: Some(99), ..config(7, true, false, 0) })?;
    resumed.set_generator_state(state);
    assert_eq!(epoch(&resumed), second);
    Ok(())
}

#[test]
fn drop_last_and_len() -> Result<()> {
    for workers in [0, 3] {
        let l = DataLoader::new(lazy(23), config(4, true, true, workers))?;
        assert_eq!((l.len(), l.iter().len()), (5, 5));
        let e = epoch(&l);
        assert!(e.iter().all(|b| b.len() == 4));
        let mut all = e.concat();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), 20, "20 distinct items, 3 dropped");
    }
    let exact = DataLoader::new(lazy(8), config(4, false, true, 0))?;
    assert_eq!(epoch(&exact), [vec![0, 1, 2, 3], vec![4, 5, 6, 7]]);
    let none = DataLoader::new(lazy(3), config(4, false, true, 2))?;
    assert!(none.is_empty() && none.iter().next().is_none());
    // `batch_size` 1 (the default) and an empty dataset.
    assert_eq!(DataLoader::new(lazy(3), DataLoaderConfig::default())?.len(), 3);
    assert_eq!(DataLoader::new(lazy(0), config(2, true, false, 1))?.iter().count(), 0);
    Ok(())
}

#[test]
fn tensor_dataset_and_collate() -> Result<()> {
    let x = Tensor::from_vec((0..12).map(|v| v as f64).collect::<Vec<_>>(), [6, 2])?;
    let y = Tensor::from_vec(vec![true, false, true, true, false, false], [6])?;
    let ds = TensorDataset::new(vec![x.shallow_clone(), y.shallow_clone()])?;
    assert_eq!((ds.len(), ds.tensors().len()), (6, 2));
    assert_eq!(ds.get(6).unwrap_err().kind(), ErrorKind::Index);
    let l = DataLoader::new(ds, config(4, false, false, 2))?;
    let b: Vec<Vec<Tensor>> = l.iter().collect::<Result<_>>()?;
    assert_eq!(b[0][0].to_vec2::<f64>()?, [[0.0, 1.0], [2.0, 3.0], [4.0, 5.0], [6.0, 7.0]]);
    assert_eq!(b[1][1].to_vec::<bool>()?, [false, false]);
    // default_collate of numbers and nested tuples, as PyTorch's: ints -> int64, floats -> float64.
    let (ints, (floats, flags)) = <(i64, (f64, bool))>::collate(vec![(1, (0.5, true)), (2, (1.5, false))])?;
    assert_eq!(
        (ints.to_vec::<i64>()?, floats.to_vec::<f64>()?, flags.to_vec::<bool>()?),
        (vec![1, 2], vec![0.5, 1.5], vec![true, false])
    );
    let ragged = <Vec<i64>>::collate(vec![vec![1, 2], vec![3]]).unwrap_err();
    assert!(ragged.message().contains("equal size"), "{ragged}");
    let shapes = Tensor::collate(vec![
        Tensor::zeros([2], tensor_core::DType::F32, &tensor_core::Device::Cpu)?,
        Tensor::zeros([3], tensor_core::DType::F32, &tensor_core::Device::Cpu)?,
    ]);
    assert_eq!(shapes.unwrap_err().kind(), ErrorKind::Shape);
    // A collate function of one's own: the batch's labels, summed, and its size.
    for workers in [0, 3] {
        let l = DataLoader::with_collate(lazy(10), config(4, false, false, workers), |items: Vec<(Tensor, i64)>| {
            Ok((items.iter().map(|i| i.1).sum::<i64>(), items.len()))
        })?;
        assert_eq!(l.iter().collect::<Result<Vec<_>>>()?, [(6, 4), (22, 4), (17, 2)]);
    }
    Ok(())
}

#[test]
fn bad_options_and_tensors_are_errors() {
    let e = DataLoader::new(lazy(3), config(0, false, false, 0)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Value);
    assert!(e.message().contains("batch_size should be a positive integer value, but got batch_size=0"), "{e}");
    let e =
        DataLoader::new(lazy(3), DataLoaderConfig { prefetch_factor: 0, ..config(1, false, false, 2) }).unwrap_err();
    assert!(e.message().contains("prefetch_factor"), "{e}");
    let a = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], [3]).unwrap();
    let b = Tensor::from_vec(vec![1i64, 2], [2]).unwrap();
    let e = TensorDataset::new(vec![a.shallow_clone(), b]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Shape);
    assert!(e.message().contains("Size mismatch between tensors") && e.message().contains("[[3], [2]]"), "{e}");
    assert!(TensorDataset::new(vec![]).is_err());
    let scalar = Tensor::from_vec(vec![1.0f32], []).unwrap();
    assert!(TensorDataset::new(vec![scalar]).is_err(), "a 0-d tensor has no dim 0");
}

#[test]
fn item_errors_and_panics_are_err_batches() {
    for workers in [0, 1, 3] {
        let ds = Lazy { fail_at: Some(7), ..lazy(12) };
        let l = DataLoader::new(ds, config(3, false, false, workers)).unwrap();
        let results: Vec<Result<(Tensor, Tensor)>> = l.iter().collect();
        assert_eq!(results.len(), 4, "the epoch goes on past the bad batch");
        for (k, r) in results.iter().enumerate() {
            match r {
                Err(e) => {
                    assert_eq!((k, e.kind()), (2, ErrorKind::Io));
                    assert!(e.message().contains("cannot read item 7"), "{e}");
                }
                Ok((_, y)) => assert_eq!(y.to_vec::<i64>().unwrap()[0], 3 * k as i64),
            }
        }
        assert!(results[2].is_err());
    }
    for workers in [1, 3] {
        let ds = Lazy { panic_at: Some(4), ..lazy(9) };
        let l = DataLoader::new(ds, config(3, false, false, workers)).unwrap();
        let results: Vec<_> = l.iter().collect();
        assert_eq!(results.iter().map(Result::is_ok).collect::<Vec<_>>(), [true, false, true]);
        let e = results[1].as_ref().unwrap_err();
        assert!(e.message().contains("panicked loading batch 1: item 4 is cursed"), "{e}");
    }
}

#[test]
fn a_lazy_dataset_streams_through_the_prefetch_window() {
    // 2^40 items: nothing is materialised per item (no order without shuffling), and the
    // workers never load more than `prefetch_factor * num_workers` batches ahead.
    let (bs, workers, prefetch) = (4, 3, 2);
    let ds = lazy(1 << 40);
    let produced = Arc::clone(&ds.produced);
    let l = DataLoader::new(ds, DataLoaderConfig { prefetch_factor: prefetch, ..config(bs, false, false, workers) })
        .unwrap();
    assert_eq!(l.len(), 1 << 38);
    let mut it = l.iter();
    for k in 0..20 {
        let (_, y) = it.next().unwrap().unwrap();
        assert_eq!(y.to_vec::<i64>().unwrap(), (4 * k as i64..4 * k as i64 + 4).collect::<Vec<_>>());
        // Batches 0..=k consumed, at most `prefetch * workers` requested beyond them.
        let p = produced.load(Ordering::SeqCst);
        assert!(p >= (k + 1) * bs && p <= (k + 1 + prefetch * workers) * bs, "batch {k}: {p} items produced");
    }
    // Dropping the iterator mid-epoch stops and joins the workers: nothing is produced after.
    drop(it);
    let after = produced.load(Ordering::SeqCst);
    assert!(after <= (20 + prefetch * workers) * bs, "{after}");
    assert_eq!(produced.load(Ordering::SeqCst), after);
    // The same on the caller's thread: exactly the batches asked for.
    let ds = lazy(1 << 40);
    let produced = Arc::clone(&ds.produced);
    let l = DataLoader::new(ds, config(bs, false, false, 0)).unwrap();
    assert_eq!(l.iter().take(5).count(), 5);
    assert_eq!(produced.load(Ordering::SeqCst), 5 * bs);
}

#[test]
fn dropping_a_loader_mid_epoch_does_not_hang() {
    for workers in [1, 3, 8] {
        let l = DataLoader::new(lazy(100), config(2, true, false, workers)).unwrap();
        let mut it = l.iter();
        it.next().unwrap().unwrap();
        drop(it);
        // A fresh epoch right after, taken to the end, then the loader itself dropped with
        // an epoch's workers never asked for a batch.
        assert_eq!(l.iter().count(), 50);
        let it = l.iter();
        drop(it);
        drop(l);
    }
}

/// Item 0 is held back until item 3 (in batch 1) has been made: with two workers, batch 1 is
/// ready before batch 0, and the loader still yields batch 0 first. (A condition, not a sleep.)
struct Gated {
    made: std::sync::Mutex<Vec<usize>>,
    cv: std::sync::Condvar,
}

impl Dataset for Gated {
    type Item = i64;
    fn len(&self) -> usize {
        8
    }
    fn get(&self, i: usize) -> Result<i64> {
        let mut made = self.made.lock().unwrap();
        if i == 0 {
            made = self.cv.wait_while(made, |m| !m.contains(&3)).unwrap();
        }
        made.push(i);
        self.cv.notify_all();
        Ok(i as i64)
    }
}

#[test]
fn batches_that_finish_early_wait_their_turn() -> Result<()> {
    let l = DataLoader::new(Gated { made: Default::default(), cv: Default::default() }, config(2, false, false, 2))?;
    let batches: Vec<Vec<i64>> = l.iter().map(|b| b.unwrap().to_vec::<i64>().unwrap()).collect();
    assert_eq!(batches, [[0, 1], [2, 3], [4, 5], [6, 7]]);
    let made = l.dataset().made.lock().unwrap().clone();
    let pos = |i| made.iter().position(|&m| m == i).unwrap();
    assert!(pos(3) < pos(0), "batch 1 was made first: {made:?}");
    Ok(())
}
