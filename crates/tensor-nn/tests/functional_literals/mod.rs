//! PyTorch's values for tests/functional.rs, printed by scripts/pytorch/functional_literals.py
//! (PyTorch 2.15, CPU), one file per section of the script; do not edit by hand.

mod activations;
mod embedding;
mod gates_softmax;
mod losses;
mod normalization;
mod pooling;
mod reductions;
mod soft_activations;

pub use activations::*;
pub use embedding::*;
pub use gates_softmax::*;
pub use losses::*;
pub use normalization::*;
pub use pooling::*;
pub use reductions::*;
pub use soft_activations::*;
