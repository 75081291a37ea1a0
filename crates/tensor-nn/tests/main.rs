//! tensor-nn's integration tests, one module per file, linked into one test binary (one link
//! and one executable instead of one per file: CI's disk and time).
//! `training.rs` and `resume.rs` stay binaries of their own: they draw from the global generator after `manual_seed` and
//! must not share it with tests on other threads.

mod attention;
mod common;
#[cfg(feature = "cuda")]
mod cuda;
mod data_loader;
mod error_location;
mod functional;
mod functional_literals;
mod fuzz;
mod gpt_job;
mod layer_options;
mod layers;
mod layers_literals;
mod layers_more;
mod layers_more_literals;
mod layers_resize;
mod layers_sequential;
mod loss_options;
mod losses;
mod mnist_data;
mod modules;
mod optim;
mod optim_state;
mod rnn;
mod schedulers;
mod schedulers_literals;
mod sdpa_masks;
mod state_dict;
mod transformer;
