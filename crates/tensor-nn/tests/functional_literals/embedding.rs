//! PyTorch's values of embedding with padding_idx and bilinear for tests/functional.rs, printed by
//! scripts/pytorch/functional_literals.py (PyTorch 2.15, CPU); do not edit by hand.
#![allow(clippy::approx_constant, clippy::excessive_precision, clippy::unreadable_literal)]

/// shape [2, 3, 3]
pub const EMBEDDING: [f64; 18] = [
    -0.75, 1.0, -0.125, 1.125, 0.0, -1.125, 0.125, -1.0, 0.75, 1.125, 0.0, -1.125, 1.125, 0.0, -1.125, -1.25, 0.5,
    -0.625,
];
/// shape [5, 3]
pub const EMBEDDING_WEIGHT_GRAD: [f64; 15] =
    [1.375, 0.25, -0.875, -1.125, 0.625, -0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.375, -0.75, 1.0];
/// shape [2, 2]
pub const BILINEAR: [f64; 4] = [-2.580078125, -2.15625, 1.96484375, -1.37109375];
/// shape [2, 3, 4]
pub const BILINEAR_GRAD_W: [f64; 24] = [
    -0.79296875,
    0.833984375,
    -0.32421875,
    -1.16796875,
    0.9296875,
    -1.2578125,
    1.046875,
    0.8359375,
    -1.75,
    1.99609375,
    -1.0859375,
    -2.28125,
    -0.095703125,
    0.0546875,
    0.0703125,
    -0.228515625,
    -0.21875,
    0.546875,
    -0.84375,
    0.28125,
    -0.02734375,
    -0.21875,
    0.578125,
    -0.51171875,
];
