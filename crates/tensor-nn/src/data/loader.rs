//! Batches of a [`Dataset`], as `torch.utils.data.DataLoader`: a seeded shuffle per epoch,
//! `drop_last`, a collate function, and worker threads that load batches ahead of the training
//! loop, yielded in order.
//!
//! With `num_workers = 0` each batch is loaded on the caller's thread when the iterator asks
//! for it. With `num_workers = w > 0`, each epoch's iterator starts `w` threads (PyTorch's
//! non-persistent workers) and hands batch `k` to worker `k % w`, as PyTorch does; at most
//! `prefetch_factor * w` batches are requested and not yet yielded, so a dataset that reads
//! its items lazily streams through a bounded window, however large it is. Batches are yielded
//! in the sampler's order whatever thread finished first, so the batches of a seed are the
//! same with any number of workers. An item's error (or a panic in a worker) is that batch's
//! `Err`; dropping the iterator mid-epoch stops the workers after the batch each one is
//! loading, and joins them.

use super::dataset::{Collate, Dataset};
use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use tensor_core::random::{philox_word, with_global, Generator, RngState};
use tensor_core::{bail, err, Result, ResultExt};

const OP: &str = "DataLoader";

/// The options of a [`DataLoader`], with PyTorch's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataLoaderConfig {
    /// Items per batch (`1`).
    pub batch_size: usize,
    /// Whether each epoch visits the items in a new random order (`false`).
    pub shuffle: bool,
    /// Whether the last batch is dropped when it is short (`false`).
    pub drop_last: bool,
    /// Threads that load batches ahead (`0`: load on the caller's thread).
    pub num_workers: usize,
    /// Batches each worker loads ahead (`2`); only with workers.
    pub prefetch_factor: usize,
    /// The seed of the loader's own generator, which draws the shuffles; `None` takes one from
    /// the global generator when the loader is made, so `manual_seed` fixes it too (PyTorch
    /// draws from its global generator when no `generator` is given).
    pub seed: Option<u64>,
}

impl Default for DataLoaderConfig {
    fn default() -> Self {
        DataLoaderConfig {
            batch_size: 1,
            shuffle: false,
            drop_last: false,
            num_workers: 0,
            prefetch_factor: 2,
            seed: None,
        }
    }
}

type CollateFn<I, B> = dyn Fn(Vec<I>) -> Result<B> + Send + Sync;

/// Batches of a dataset, as `torch.utils.data.DataLoader`: with `num_workers > 0`, threads load
/// up to `prefetch_factor * num_workers` batches ahead, yielded in order; an item's error (or a
/// panic in a worker) is that batch's `Err`, and dropping the iterator mid-epoch stops and joins
/// the workers.
///
/// Iterate one epoch with `for batch in &loader` or [`loader.iter()`](Self::iter): each epoch
/// reshuffles (when shuffling) with the loader's generator, whose state
/// ([`generator_state`](Self::generator_state)) a checkpoint can save and restore.
///
/// ```
/// use tensor_core::Tensor;
/// use tensor_nn::data::{DataLoader, DataLoaderConfig, TensorDataset};
/// let x = Tensor::from_vec((0..20).map(|v| v as f32).collect::<Vec<_>>(), [10, 2])?;
/// let y = Tensor::from_vec((0..10i64).collect::<Vec<_>>(), [10])?;
/// let config = DataLoaderConfig { batch_size: 4, shuffle: true, seed: Some(0), num_workers: 2, ..Default::default() };
/// let loader = DataLoader::new(TensorDataset::new(vec![x, y])?, config)?;
/// assert_eq!(loader.len(), 3); // batches of 4, 4 and 2
/// for batch in &loader {
///     let batch = batch?; // [inputs [b, 2], targets [b]]
///     assert_eq!(batch[0].size()[0], batch[1].size()[0]);
/// }
/// # Ok::<(), tensor_core::Error>(())
/// ```
pub struct DataLoader<D: Dataset, B = <<D as Dataset>::Item as Collate>::Batch> {
    dataset: Arc<D>,
    collate: Arc<CollateFn<D::Item, B>>,
    config: DataLoaderConfig,
    generator: Mutex<Generator>,
}

impl<D: Dataset, B> std::fmt::Debug for DataLoader<D, B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataLoader")
            .field("len", &self.dataset.len())
            .field("config", &self.config)
            .field("generator", &self.generator_state())
            .finish_non_exhaustive()
    }
}

impl<D: Dataset> DataLoader<D>
where
    D::Item: Collate,
{
    /// A loader that batches with the default collate ([`Collate`]: tensors stack along a new
    /// dim 0). Errors: `batch_size` 0, `prefetch_factor` 0 with workers.
    #[track_caller]
    pub fn new(dataset: D, config: DataLoaderConfig) -> Result<Self> {
        DataLoader::with_collate(dataset, config, <D::Item as Collate>::collate)
    }
}

impl<D: Dataset, B> DataLoader<D, B> {
    /// A loader that makes each batch with `collate` (`collate_fn`) from the batch's items.
    #[track_caller]
    pub fn with_collate(
        dataset: D,
        config: DataLoaderConfig,
        collate: impl Fn(Vec<D::Item>) -> Result<B> + Send + Sync + 'static,
    ) -> Result<Self> {
        if config.batch_size == 0 {
            bail!(Value, OP, "batch_size should be a positive integer value, but got batch_size=0");
        }
        if config.num_workers > 0 && config.prefetch_factor == 0 {
            bail!(
                Value,
                OP,
                "prefetch_factor should be a positive integer value with workers, but got prefetch_factor=0"
            );
        }
        let seed = config.seed.unwrap_or_else(|| {
            with_global(|g| {
                let at = g.reserve(2);
                (u64::from(philox_word(g.seed(), at, 0)) << 32) | u64::from(philox_word(g.seed(), at, 1))
            })
        });
        Ok(DataLoader {
            dataset: Arc::new(dataset),
            collate: Arc::new(collate),
            config,
            generator: Mutex::new(Generator::new(seed)),
        })
    }
    /// The dataset.
    pub fn dataset(&self) -> &D {
        &self.dataset
    }
    /// The options.
    pub fn config(&self) -> &DataLoaderConfig {
        &self.config
    }
    /// The number of batches of an epoch (`len(loader)`).
    pub fn len(&self) -> usize {
        let n = self.dataset.len();
        if self.config.drop_last {
            n / self.config.batch_size
        } else {
            n.div_ceil(self.config.batch_size)
        }
    }
    /// True when an epoch has no batches.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The state of the generator that draws the shuffles: the next epoch's order follows
    /// from it alone, so saving it with a checkpoint and restoring it with
    /// [`set_generator_state`](Self::set_generator_state) replays the same epochs.
    pub fn generator_state(&self) -> RngState {
        self.generator.lock().unwrap_or_else(PoisonError::into_inner).state()
    }
    /// Restores the generator's state (see [`generator_state`](Self::generator_state)).
    pub fn set_generator_state(&self, state: RngState) {
        *self.generator.lock().unwrap_or_else(PoisonError::into_inner) = Generator::from_state(state);
    }
    /// The item order of the next epoch when shuffling: a permutation drawn from the
    /// generator (sorting `n` uniform keys drawn in one block), which advances it; `None`
    /// (`0..n`, never materialised) otherwise.
    fn epoch_order(&self) -> Option<Vec<usize>> {
        if !self.config.shuffle {
            return None;
        }
        let n = self.dataset.len();
        let keys: Vec<f64> = self.generator.lock().unwrap_or_else(PoisonError::into_inner).uniform(n).collect();
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| keys[a].total_cmp(&keys[b]).then(a.cmp(&b)));
        Some(order)
    }
}

impl<D: Dataset + 'static, B: Send + 'static> DataLoader<D, B> {
    /// The batches of one epoch, in order (a new shuffle each call when shuffling). With
    /// workers, they start here and load the first `prefetch_factor * num_workers` batches.
    pub fn iter(&self) -> Batches<'_, D, B> {
        let order = self.epoch_order();
        let mut batches = Batches { loader: self, order, len: self.len(), next: 0, workers: None, failed: None };
        if self.config.num_workers > 0 && batches.len > 0 {
            match Workers::spawn(self) {
                Ok(w) => {
                    batches.workers = Some(w);
                    batches.dispatch();
                }
                Err(e) => {
                    batches.failed = Some(e);
                    batches.len = 1;
                }
            }
        }
        batches
    }
}

impl<'a, D: Dataset + 'static, B: Send + 'static> IntoIterator for &'a DataLoader<D, B> {
    type Item = Result<B>;
    type IntoIter = Batches<'a, D, B>;
    fn into_iter(self) -> Batches<'a, D, B> {
        self.iter()
    }
}

/// Loads the batch of `indices`: their items, then `collate`.
#[track_caller]
fn fetch<D: Dataset, B>(dataset: &D, collate: &CollateFn<D::Item, B>, indices: &[usize]) -> Result<B> {
    let items = indices.iter().map(|&i| dataset.get(i)).collect::<Result<Vec<_>>>()?;
    collate(items)
}

/// What a worker was sent: a batch's number and its item indices.
type Task = (usize, Vec<usize>);

/// The threads of one epoch, their channels, and the batches that arrived before their turn.
struct Workers<B> {
    tasks: Vec<Sender<Task>>,
    results: Receiver<(usize, Result<B>)>,
    handles: Vec<JoinHandle<()>>,
    stop: Arc<AtomicBool>,
    /// Batches sent to a worker so far (batch numbers `0..sent`).
    sent: usize,
    /// Batches that arrived ahead of the one the iterator waits for.
    ready: HashMap<usize, Result<B>>,
}

impl<B: Send + 'static> Workers<B> {
    #[track_caller]
    fn spawn<D: Dataset + 'static>(loader: &DataLoader<D, B>) -> Result<Self> {
        let (result_tx, results) = channel();
        let stop = Arc::new(AtomicBool::new(false));
        let mut workers = Workers { tasks: vec![], results, handles: vec![], stop, sent: 0, ready: HashMap::new() };
        for id in 0..loader.config.num_workers {
            let (task_tx, task_rx) = channel::<Task>();
            let (dataset, collate) = (Arc::clone(&loader.dataset), Arc::clone(&loader.collate));
            let (result_tx, stop) = (result_tx.clone(), Arc::clone(&workers.stop));
            let handle = std::thread::Builder::new()
                .name(format!("DataLoader worker {id}"))
                .spawn(move || {
                    while let Ok((k, indices)) = task_rx.recv() {
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        let r = catch_unwind(AssertUnwindSafe(|| fetch(&*dataset, &*collate, &indices)))
                            .unwrap_or_else(|p| {
                                Err(err!(Value, OP, "worker {id} panicked loading batch {k}: {}", panic_message(&*p)))
                            });
                        if result_tx.send((k, r)).is_err() {
                            break;
                        }
                    }
                })
                .map_err(|e| err!(Io, OP, "cannot start worker {id}: {e}"))
                .located()?;
            workers.tasks.push(task_tx);
            workers.handles.push(handle);
        }
        Ok(workers)
    }
}

impl<B> Drop for Workers<B> {
    fn drop(&mut self) {
        // Workers stop after the batch at hand: no more tasks, and queued ones are skipped.
        self.stop.store(true, Ordering::Relaxed);
        self.tasks.clear();
        for h in self.handles.drain(..) {
            let _ = h.join();
        }
    }
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> &str {
    p.downcast_ref::<&str>().copied().or_else(|| p.downcast_ref::<String>().map(String::as_str)).unwrap_or("a panic")
}

/// The batches of one epoch of a [`DataLoader`] (from [`DataLoader::iter`]), in order.
pub struct Batches<'a, D: Dataset, B> {
    loader: &'a DataLoader<D, B>,
    /// The shuffled order, or `None` for `0..n`.
    order: Option<Vec<usize>>,
    len: usize,
    /// The next batch to yield.
    next: usize,
    workers: Option<Workers<B>>,
    /// Workers that could not start: the first `next` yields this error, then the epoch ends.
    failed: Option<tensor_core::Error>,
}

impl<D: Dataset, B> std::fmt::Debug for Batches<'_, D, B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batches").field("len", &self.len).field("next", &self.next).finish_non_exhaustive()
    }
}

impl<D: Dataset, B> Batches<'_, D, B> {
    /// The item indices of batch `k`.
    fn indices(&self, k: usize) -> Vec<usize> {
        let (bs, n) = (self.loader.config.batch_size, self.loader.dataset.len());
        let range = k * bs..((k + 1) * bs).min(n);
        match &self.order {
            Some(order) => order[range].to_vec(),
            None => range.collect(),
        }
    }
    /// Sends batches to the workers until `prefetch_factor * num_workers` are outstanding.
    fn dispatch(&mut self) {
        let window = self.loader.config.prefetch_factor * self.loader.config.num_workers;
        let limit = self.len.min(self.next + window);
        while let Some(w) = &self.workers {
            let k = w.sent;
            if k >= limit {
                break;
            }
            let task = (k, self.indices(k));
            let w = self.workers.as_mut().expect("workers are running");
            // A worker only hangs up after `stop`, which only `Drop` sets: the send succeeds.
            let _ = w.tasks[k % w.tasks.len()].send(task);
            w.sent += 1;
        }
    }
}

impl<D: Dataset, B> Iterator for Batches<'_, D, B> {
    type Item = Result<B>;
    fn next(&mut self) -> Option<Result<B>> {
        if let Some(e) = self.failed.take() {
            self.next = 1;
            return Some(Err(e));
        }
        if self.next >= self.len {
            return None;
        }
        let k = self.next;
        self.next += 1;
        let Some(w) = self.workers.as_mut() else {
            return Some(fetch(&*self.loader.dataset, &*self.loader.collate, &self.indices(k)));
        };
        let batch = loop {
            if let Some(r) = w.ready.remove(&k) {
                break r;
            }
            match w.results.recv() {
                Ok((j, r)) => {
                    w.ready.insert(j, r);
                }
                // Every worker catches its panics and answers every task it took.
                Err(_) => {
                    self.len = self.next;
                    return Some(Err(err!(Value, OP, "the workers exited before batch {k} arrived")));
                }
            }
        };
        self.dispatch();
        Some(batch)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.len - self.next;
        (left, Some(left))
    }
}

impl<D: Dataset, B> ExactSizeIterator for Batches<'_, D, B> {}
