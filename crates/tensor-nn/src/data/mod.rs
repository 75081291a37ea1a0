//! Data: the MNIST idx reader and batching with a seeded shuffle.

mod loader;
mod mnist;

pub use loader::{Batches, DataLoader};
pub use mnist::{read_idx, read_idx_from, Mnist};
