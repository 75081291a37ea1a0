//! Datasets as `torch.utils.data` has them: the [`Dataset`] trait (a length and an item by
//! index), [`TensorDataset`] over tensors that share their first dim, and [`Collate`], the
//! default way a [`DataLoader`](super::DataLoader) makes a batch of items
//! (`torch.utils.data.default_collate`: tensors stack along a new dim 0, numbers become a
//! tensor, tuples and vectors collate field by field).

use tensor_core::{bail, Result, Tensor};

/// A map-style dataset, as `torch.utils.data.Dataset`: `len` items, item `i` by [`get`](Self::get).
///
/// Items are produced on demand, so a dataset need not hold its data in memory: `get` may
/// read a file or compute the item. A [`DataLoader`](super::DataLoader) with workers calls
/// `get` from several threads at once, hence `Send + Sync`.
///
/// ```
/// use tensor_core::{Device, Result, Tensor};
/// use tensor_nn::data::Dataset;
/// /// Item `i` is the pair (i, i²), computed when asked for.
/// struct Squares(usize);
/// impl Dataset for Squares {
///     type Item = (Tensor, Tensor);
///     fn len(&self) -> usize {
///         self.0
///     }
///     fn get(&self, i: usize) -> Result<(Tensor, Tensor)> {
///         let x = Tensor::from_vec(vec![i as f32], [1])?;
///         Ok((x.shallow_clone(), x.mul(&x)?))
///     }
/// }
/// assert_eq!(Squares(5).get(3)?.1.to_vec::<f32>()?, [9.0]);
/// # Ok::<(), tensor_core::Error>(())
/// ```
pub trait Dataset: Send + Sync {
    /// One sample (a tensor, a tuple of tensors, ...).
    type Item: Send + 'static;
    /// The number of items (`__len__`).
    fn len(&self) -> usize;
    /// True when there are no items.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Item `index`, for `index < len()` (`__getitem__`); an index out of range is an `Index`
    /// error, and a failure to produce the item (a file that cannot be read) an error too.
    fn get(&self, index: usize) -> Result<Self::Item>;
}

/// Tensors that share their first dim, as `torch.utils.data.TensorDataset`: item `i` is row
/// `i` of each tensor (a view, `t.select(0, i)`), in the order the tensors were given.
///
/// ```
/// use tensor_core::Tensor;
/// use tensor_nn::data::{Dataset, TensorDataset};
/// let x = Tensor::from_vec((0..6).map(|v| v as f32).collect::<Vec<_>>(), [3, 2])?;
/// let y = Tensor::from_vec(vec![10i64, 11, 12], [3])?;
/// let ds = TensorDataset::new(vec![x, y])?;
/// assert_eq!(ds.len(), 3);
/// let item = ds.get(1)?;
/// assert_eq!((item[0].to_vec::<f32>()?, item[1].item::<i64>()?), (vec![2.0, 3.0], 11));
/// # Ok::<(), tensor_core::Error>(())
/// ```
#[derive(Debug)]
pub struct TensorDataset {
    tensors: Vec<Tensor>,
}

impl TensorDataset {
    /// A dataset over `tensors` (at least one), which must all have the same size in dim 0.
    #[track_caller]
    pub fn new(tensors: Vec<Tensor>) -> Result<TensorDataset> {
        let Some(first) = tensors.first() else {
            bail!(Value, "TensorDataset", "at least one tensor is required");
        };
        let sizes: Vec<Option<usize>> = tensors.iter().map(|t| t.size().first().copied()).collect();
        if sizes.iter().any(|s| s.is_none() || *s != sizes[0]) {
            bail!(
                Shape,
                "TensorDataset",
                "Size mismatch between tensors: every tensor needs the same size in dim 0, got shapes {:?} (first {:?})",
                tensors.iter().map(|t| t.size().to_vec()).collect::<Vec<_>>(),
                first.size()
            );
        }
        Ok(TensorDataset { tensors })
    }
    /// The tensors.
    pub fn tensors(&self) -> &[Tensor] {
        &self.tensors
    }
}

impl Dataset for TensorDataset {
    type Item = Vec<Tensor>;
    fn len(&self) -> usize {
        self.tensors[0].size()[0]
    }
    #[track_caller]
    fn get(&self, index: usize) -> Result<Vec<Tensor>> {
        if index >= self.len() {
            bail!(Index, "TensorDataset", "index {index} is out of range for a dataset of {} items", self.len());
        }
        self.tensors.iter().map(|t| t.select(0, index as isize)).collect()
    }
}

/// How items become a batch by default, as `torch.utils.data.default_collate`: tensors stack
/// along a new dim 0, `i64`s become an int64 tensor and `f64`s a float64 one (as Python's ints
/// and floats), `bool`s a bool tensor, and tuples and vectors collate position by position.
///
/// A [`DataLoader`](super::DataLoader) built with
/// [`with_collate`](super::DataLoader::with_collate) uses a closure instead.
pub trait Collate: Sized {
    /// What a batch of these items is.
    type Batch: Send;
    /// The batch of `items` (never empty when a loader calls it).
    fn collate(items: Vec<Self>) -> Result<Self::Batch>;
}

impl Collate for Tensor {
    type Batch = Tensor;
    #[track_caller]
    fn collate(items: Vec<Tensor>) -> Result<Tensor> {
        let refs: Vec<&Tensor> = items.iter().collect();
        Tensor::stack(&refs, 0)
    }
}

macro_rules! collate_numbers {
    ($($t:ty),*) => {$(
        impl Collate for $t {
            type Batch = Tensor;
            #[track_caller]
            fn collate(items: Vec<$t>) -> Result<Tensor> {
                let n = items.len();
                Tensor::from_vec(items, [n])
            }
        }
    )*};
}
collate_numbers!(i64, f64, bool);

impl<T: Collate> Collate for Vec<T> {
    type Batch = Vec<T::Batch>;
    #[track_caller]
    fn collate(items: Vec<Vec<T>>) -> Result<Vec<T::Batch>> {
        let width = items.first().map_or(0, Vec::len);
        if let Some(bad) = items.iter().position(|v| v.len() != width) {
            bail!(
                Shape,
                "default_collate",
                "each element in list of batch should be of equal size: item 0 has {width} fields, item {bad} has {}",
                items[bad].len()
            );
        }
        let mut columns: Vec<Vec<T>> = (0..width).map(|_| Vec::with_capacity(items.len())).collect();
        for item in items {
            for (column, field) in columns.iter_mut().zip(item) {
                column.push(field);
            }
        }
        columns.into_iter().map(T::collate).collect()
    }
}

macro_rules! collate_tuple {
    ($($name:ident $field:tt),*) => {
        impl<$($name: Collate),*> Collate for ($($name,)*) {
            type Batch = ($($name::Batch,)*);
            #[allow(non_snake_case)]
            #[track_caller]
            fn collate(items: Vec<Self>) -> Result<Self::Batch> {
                $(let mut $name = Vec::with_capacity(items.len());)*
                for item in items {
                    $($name.push(item.$field);)*
                }
                Ok(($($name::collate($name)?,)*))
            }
        }
    };
}
collate_tuple!(A 0, B 1);
collate_tuple!(A 0, B 1, C 2);
collate_tuple!(A 0, B 1, C 2, D 3);
