//! `Linear`: `y = x Wᵀ + b`.

use crate::Module;
use tensor_autograd::Var;
use tensor_core::{Device, Result};

/// A fully connected layer, as `nn.Linear(in_features, out_features, bias)`.
#[derive(Debug, Clone)]
pub struct Linear {
    /// `[out_features, in_features]`.
    pub weight: Var,
    /// `[out_features]`, if any.
    pub bias: Option<Var>,
}

impl Linear {
    /// A layer initialised as PyTorch's: weight and bias from U(±1/√in_features).
    #[track_caller]
    pub fn new(in_features: usize, out_features: usize, bias: bool, device: &Device) -> Result<Linear> {
        let bound = 1.0 / (in_features.max(1) as f64).sqrt();
        Ok(Linear {
            weight: super::uniform_param([out_features, in_features], bound, device)?,
            bias: if bias { Some(super::uniform_param([out_features], bound, device)?) } else { None },
        })
    }
}

impl crate::Visit for Linear {
    fn visit(&self, f: &mut dyn FnMut(&str, crate::Entry<'_>)) {
        f("weight", crate::Entry::Param(&self.weight));
        if let Some(b) = &self.bias {
            f("bias", crate::Entry::Param(b));
        }
    }
    fn visit_mut(&mut self, f: &mut dyn FnMut(&str, crate::EntryMut<'_>)) {
        f("weight", crate::EntryMut::Param(&mut self.weight));
        if let Some(b) = &mut self.bias {
            f("bias", crate::EntryMut::Param(b));
        }
    }
}

impl Module for Linear {
    #[track_caller]
    fn forward(&self, x: &Var) -> Result<Var> {
        x.linear(&self.weight, self.bias.as_ref())
    }
}
