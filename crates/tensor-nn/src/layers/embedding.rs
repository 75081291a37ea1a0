//! `Embedding`: a lookup table of learnable vectors.

use crate::{Entry, EntryMut, Module, Visit};
use tensor_autograd::Var;
use tensor_core::{bail, DType, Device, Result, ResultExt, Tensor};

/// `num_embeddings` vectors of `embedding_dim`, initialised N(0, 1), as `nn.Embedding`.
#[derive(Debug, Clone)]
pub struct Embedding {
    /// `[num_embeddings, embedding_dim]`.
    pub weight: Var,
}

impl Embedding {
    /// A table initialised from N(0, 1).
    #[track_caller]
    pub fn new(num_embeddings: usize, embedding_dim: usize, device: &Device) -> Result<Embedding> {
        Ok(Embedding { weight: Var::parameter(Tensor::randn([num_embeddings, embedding_dim], DType::F32, device)?) })
    }
}

impl Visit for Embedding {
    fn visit(&self, f: &mut dyn FnMut(&str, Entry<'_>)) {
        f("weight", Entry::Param(&self.weight));
    }
    fn visit_mut(&mut self, f: &mut dyn FnMut(&str, EntryMut<'_>)) {
        f("weight", EntryMut::Param(&mut self.weight));
    }
}

impl Module for Embedding {
    /// `input` holds integer indices of any shape; the result appends `embedding_dim`.
    #[track_caller]
    fn forward(&self, input: &Var) -> Result<Var> {
        if input.dtype().is_float() || input.dtype() == DType::Bool {
            bail!(DType, "Embedding", "expected integer indices, got {}", input.dtype());
        }
        let idx = input.tensor_ref().reshape(&[-1])?.to_dtype(DType::I64)?;
        let rows = self.weight.index_select(0, &idx).in_op("Embedding")?;
        let mut shape: Vec<isize> = input.size().iter().map(|&d| d as isize).collect();
        shape.push(self.weight.size()[1] as isize);
        rows.reshape(&shape)
    }
}
