//! Data, as `torch.utils.data`: the [`Dataset`] trait, [`TensorDataset`], and the
//! [`DataLoader`] (seeded shuffles, `drop_last`, collate functions, worker threads that
//! prefetch batches in order); and the MNIST idx reader.

mod dataset;
mod loader;
mod mnist;

pub use dataset::{Collate, Dataset, TensorDataset};
pub use loader::{Batches, DataLoader, DataLoaderConfig};
pub use mnist::{read_idx, read_idx_from, Mnist};
