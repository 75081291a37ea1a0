//! PyTorch's values of std / var / norm with no arguments and torch.where for tests/functional.rs,
//! printed by scripts/pytorch/functional_literals.py (PyTorch 2.15, CPU); do not edit by hand.
#![allow(clippy::approx_constant, clippy::excessive_precision, clippy::unreadable_literal)]

/// shape []
pub const STD: [f64; 1] = [0.8466735265768386];
/// shape []
pub const VAR: [f64; 1] = [0.7168560606060607];
/// shape []
pub const NORM: [f64; 1] = [2.811805469800498];
/// shape [3, 4]
pub const WHERE: [f64; 12] = [1.375, 0.25, 0.625, 0.875, 1.25, 0.125, -0.875, 0.75, 1.375, 1.375, 0.25, 0.875];
