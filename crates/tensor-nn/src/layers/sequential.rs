//! `Sequential`: modules applied in order, named `0`, `1`, ... as in PyTorch.

use crate::{Entry, EntryMut, Module, Visit};
use tensor_autograd::Var;
use tensor_core::{Result, ResultExt};

/// A chain of modules, as `nn.Sequential(...)`.
#[derive(Default)]
pub struct Sequential {
    layers: Vec<Box<dyn Module>>,
}

impl Sequential {
    /// An empty chain.
    pub fn new() -> Sequential {
        Sequential::default()
    }
    /// Appends a module (builder style).
    #[allow(clippy::should_implement_trait)]
    pub fn add(mut self, layer: impl Module + 'static) -> Sequential {
        self.layers.push(Box::new(layer));
        self
    }
    /// Number of modules.
    pub fn len(&self) -> usize {
        self.layers.len()
    }
    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }
    /// The `i`-th module, as `seq[i]` (`None` past the end).
    pub fn get(&self, i: usize) -> Option<&dyn Module> {
        self.layers.get(i).map(|l| l.as_ref())
    }
}

impl std::ops::Index<usize> for Sequential {
    type Output = dyn Module;
    /// The `i`-th module, as `seq[i]`; panics past the end, as a slice does.
    fn index(&self, i: usize) -> &(dyn Module + 'static) {
        self.layers[i].as_ref()
    }
}

impl std::fmt::Debug for Sequential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sequential({} layers)", self.layers.len())
    }
}

impl Visit for Sequential {
    fn visit(&self, f: &mut dyn FnMut(&str, Entry<'_>)) {
        for (i, l) in self.layers.iter().enumerate() {
            f(&i.to_string(), Entry::Child(l.as_ref()));
        }
    }
    fn visit_mut(&mut self, f: &mut dyn FnMut(&str, EntryMut<'_>)) {
        for (i, l) in self.layers.iter_mut().enumerate() {
            f(&i.to_string(), EntryMut::Child(l.as_mut()));
        }
    }
}

impl Module for Sequential {
    #[track_caller]
    fn forward(&self, input: &Var) -> Result<Var> {
        let mut x = input.clone();
        for l in &self.layers {
            x = l.forward(&x).located()?;
        }
        Ok(x)
    }
}
