//! tensor-io's integration tests, one module per file, linked into one test binary (one link
//! and one executable instead of one per file: CI's disk and time).

mod common;
mod containers;
mod error_location;
mod fixtures;
mod fuzz;
mod ndarray_interop;
mod npy;
mod torch_pickle;
