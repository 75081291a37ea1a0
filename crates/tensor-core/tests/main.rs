//! tensor-core's integration tests, one module per file, linked into one test binary (one link
//! and one executable instead of one per file: CI's disk and time).
//! `alloc.rs` stays a binary of its own: it installs a counting global allocator.

mod arithmetic_literals;
mod attention;
mod common;
mod conv;
mod conv_transpose;
mod copies;
mod creation;
mod display;
mod elementwise;
mod error_location;
mod index_errors;
mod index_ops;
mod inplace_out;
mod int_dtypes;
mod matmul;
mod pool;
mod reduce_out;
mod reductions;
mod safety;
mod shape_ops;
mod strided_walks;
mod unary;
mod view_rules;
mod views;
