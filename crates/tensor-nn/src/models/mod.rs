//! Ready-made models: LeNet-5 (the MNIST job and its workloads), a small GPT (nanoGPT's model:
//! the `gpt` example and the `gpt_fwd` / `gpt_step` workloads), and the character-level GPT
//! job itself (`char_gpt`: data, schedule, training step, evaluation and sampling of the `gpt`
//! example, as library code that tests run).

pub mod char_gpt;
mod gpt;
mod lenet;

pub use gpt::{Gpt, GptBlock, GptConfig};
pub use lenet::LeNet5;
