//! PyTorch's outputs for tests/layers_more.rs, printed by scripts/pytorch/nn_layers_more.py
//! (PyTorch 2.15, CPU), one file per section of the script; do not edit by hand.

mod conv;
mod norms;
mod resampling;
mod state_dict;

pub use conv::*;
pub use norms::*;
pub use resampling::*;
pub use state_dict::*;
