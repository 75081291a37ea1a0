//! `Display` for tensors: exactly what PyTorch prints (placeholder until the formatter lands).

use crate::Tensor;
use core::fmt;

/// Print options, as `torch.set_printoptions`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PrintOptions {
    /// Digits after the point.
    pub precision: usize,
    /// Elements past which the middle is elided with `...`.
    pub threshold: usize,
    /// Elements shown at each end of an elided dim.
    pub edgeitems: usize,
    /// Characters per line.
    pub linewidth: usize,
}

impl Default for PrintOptions {
    fn default() -> Self {
        PrintOptions { precision: 4, threshold: 1000, edgeitems: 3, linewidth: 80 }
    }
}

impl fmt::Display for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to_vec::<f64>() {
            Ok(v) => write!(f, "tensor({:?}, shape={:?})", v, self.size()),
            Err(e) => write!(f, "<tensor: {e}>"),
        }
    }
}
