//! tensor-autograd's integration tests, one module per file, linked into one test binary (one link
//! and one executable instead of one per file: CI's disk and time).

mod common;
#[cfg(feature = "cuda")]
mod cuda;
mod error_location;
mod functions_hooks;
mod gradcheck_ops;
mod gradcheck_reductions;
mod gradcheck_views;
mod gradgrad;
mod graph;
mod inplace_views;
mod names;
mod prod_zeros;
mod safety;
mod seed_tour;
mod semantics;
