//! [`PadMode`], how `pad` fills the new elements; in a file of its own, so that backend traits
//! can name it without importing the tensor API.

/// How [`Tensor::pad`](crate::Tensor::pad) fills the new border, as `mode` in `F.pad`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PadMode {
    /// A constant value (`mode="constant", value=v`); cast to the tensor's dtype.
    Constant(f64),
    /// The mirror image without repeating the edge (`mode="reflect"`): `[1, 2, 3]` padded by 2
    /// is `[3, 2, 1, 2, 3, 2, 1]`.
    Reflect,
    /// The edge value repeated (`mode="replicate"`).
    Replicate,
}

impl PadMode {
    /// For position `j` (`-before..n + after`) of a padded dim of input size `n`, the input
    /// position whose value it takes (`Reflect`, `Replicate`; `Constant` clamps as `Replicate`,
    /// though its pads take the constant).
    pub fn source(self, j: i64, n: i64) -> i64 {
        match self {
            PadMode::Reflect if j < 0 => -j,
            PadMode::Reflect if j >= n => 2 * (n - 1) - j,
            _ => j.clamp(0, n - 1),
        }
    }
}
