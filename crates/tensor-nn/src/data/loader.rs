//! Batching a dataset held as tensors, with a seeded shuffle per epoch and `drop_last`.

use tensor_core::random::Generator;
use tensor_core::{bail, DType, Device, Result, Tensor};

/// Mini-batches of `(inputs, targets)` from two tensors whose first dims are samples.
#[derive(Debug)]
pub struct DataLoader {
    inputs: Tensor,
    targets: Tensor,
    batch_size: usize,
    shuffle: bool,
    drop_last: bool,
    generator: Generator,
}

impl DataLoader {
    /// A loader over `inputs` and `targets`; `seed` fixes the shuffles of every epoch.
    pub fn new(
        inputs: Tensor,
        targets: Tensor,
        batch_size: usize,
        shuffle: bool,
        drop_last: bool,
        seed: u64,
    ) -> Result<DataLoader> {
        if batch_size == 0 {
            bail!(Value, "DataLoader", "batch_size should be a positive integer value, but got batch_size=0");
        }
        if inputs.dim() == 0 || targets.dim() == 0 || inputs.size()[0] != targets.size()[0] {
            bail!(
                Shape,
                "DataLoader",
                "inputs {:?} and targets {:?} must have the same number of samples",
                inputs.shape(),
                targets.shape()
            );
        }
        Ok(DataLoader { inputs, targets, batch_size, shuffle, drop_last, generator: Generator::new(seed) })
    }
    /// Number of samples.
    pub fn len(&self) -> usize {
        self.inputs.size()[0]
    }
    /// True when there are no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Number of batches per epoch.
    pub fn num_batches(&self) -> usize {
        if self.drop_last {
            self.len() / self.batch_size
        } else {
            self.len().div_ceil(self.batch_size)
        }
    }
    /// The batches of one epoch (a new shuffle each call when shuffling).
    pub fn epoch(&mut self) -> Result<Batches<'_>> {
        let n = self.len();
        let order = if self.shuffle {
            // Sort random keys: a permutation that depends only on the seed and the epoch.
            let keys = Tensor::rand_with([n], DType::F64, &Device::Cpu, &mut self.generator)?;
            Some(keys.argsort(0, false)?.to_device(self.inputs.device())?)
        } else {
            None
        };
        Ok(Batches { loader: self, order, next: 0 })
    }
}

/// The batches of one epoch.
#[derive(Debug)]
pub struct Batches<'a> {
    loader: &'a DataLoader,
    order: Option<Tensor>,
    next: usize,
}

impl Iterator for Batches<'_> {
    type Item = Result<(Tensor, Tensor)>;
    fn next(&mut self) -> Option<Self::Item> {
        let l = self.loader;
        let n = l.len();
        if self.next >= n || (l.drop_last && self.next + l.batch_size > n) {
            return None;
        }
        let len = l.batch_size.min(n - self.next);
        let start = self.next as isize;
        self.next += len;
        Some(match &self.order {
            None => l.inputs.narrow(0, start, len).and_then(|x| Ok((x, l.targets.narrow(0, start, len)?))),
            Some(order) => order
                .narrow(0, start, len)
                .and_then(|idx| Ok((l.inputs.index_select(0, &idx)?, l.targets.index_select(0, &idx)?))),
        })
    }
}
