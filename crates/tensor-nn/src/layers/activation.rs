//! Activation and shape layers with no parameters: `ReLU`, `LeakyReLU`, `GELU`, `SiLU`,
//! `Sigmoid`, `Tanh`, `Softmax`, `LogSoftmax`, `Identity`, `Flatten`, and `Dropout`.

use super::pool::stateless;
use crate::{Entry, EntryMut, Module, Visit};
use tensor_autograd::Var;
use tensor_core::{bail, Result};

macro_rules! activation {
    ($($(#[$doc:meta])* $name:ident => |$x:ident| $body:expr;)*) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default, PartialEq)]
        pub struct $name;
        stateless!($name);
        impl Module for $name {
            #[track_caller]
            fn forward(&self, $x: &Var) -> Result<Var> {
                $body
            }
        }
    )*};
}

activation! {
    /// `max(x, 0)`, as `nn.ReLU`.
    ReLU => |x| x.relu();
    /// Exact GELU, as `nn.GELU()`.
    GELU => |x| x.gelu(false);
    /// `x * sigmoid(x)`, as `nn.SiLU`.
    SiLU => |x| x.silu();
    /// Logistic sigmoid, as `nn.Sigmoid`.
    Sigmoid => |x| x.sigmoid();
    /// Hyperbolic tangent, as `nn.Tanh`.
    Tanh => |x| x.tanh();
    /// The input unchanged, as `nn.Identity`.
    Identity => |x| Ok(x.clone());
}

/// `x` where positive, else `negative_slope * x`, as `nn.LeakyReLU(0.01)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LeakyReLU {
    /// The slope for negative inputs.
    pub negative_slope: f64,
}
impl Default for LeakyReLU {
    fn default() -> Self {
        LeakyReLU { negative_slope: 0.01 }
    }
}
stateless!(LeakyReLU);
impl Module for LeakyReLU {
    #[track_caller]
    fn forward(&self, x: &Var) -> Result<Var> {
        x.leaky_relu(self.negative_slope)
    }
}

/// Softmax along `dim`, as `nn.Softmax(dim)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Softmax {
    /// The dim that sums to one.
    pub dim: isize,
}
stateless!(Softmax);
impl Module for Softmax {
    #[track_caller]
    fn forward(&self, x: &Var) -> Result<Var> {
        x.softmax(self.dim)
    }
}

/// Log-softmax along `dim`, as `nn.LogSoftmax(dim)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogSoftmax {
    /// The dim normalised over.
    pub dim: isize,
}
stateless!(LogSoftmax);
impl Module for LogSoftmax {
    #[track_caller]
    fn forward(&self, x: &Var) -> Result<Var> {
        x.log_softmax(self.dim)
    }
}

/// Flattens dims `start_dim..=end_dim`, as `nn.Flatten()` (defaults 1 and -1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flatten {
    /// First dim flattened.
    pub start_dim: isize,
    /// Last dim flattened.
    pub end_dim: isize,
}
impl Default for Flatten {
    fn default() -> Self {
        Flatten { start_dim: 1, end_dim: -1 }
    }
}
stateless!(Flatten);
impl Module for Flatten {
    #[track_caller]
    fn forward(&self, x: &Var) -> Result<Var> {
        x.flatten(self.start_dim, self.end_dim)
    }
}

/// Zeroes elements with probability `p` in training (scaling the rest by `1 / (1 - p)`), and
/// passes the input through in eval mode, as `nn.Dropout(p)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Dropout {
    /// Probability of zeroing an element.
    pub p: f64,
    training: bool,
}
impl Dropout {
    /// Dropout with probability `p` (in `[0, 1]`), in training mode.
    #[track_caller]
    pub fn new(p: f64) -> Result<Dropout> {
        if !(0.0..=1.0).contains(&p) {
            bail!(Value, "Dropout", "dropout probability has to be between 0 and 1, but got {p}");
        }
        Ok(Dropout { p, training: true })
    }
}
impl Visit for Dropout {
    fn visit(&self, _: &mut dyn FnMut(&str, Entry<'_>)) {}
    fn visit_mut(&mut self, _: &mut dyn FnMut(&str, EntryMut<'_>)) {}
    fn set_training(&mut self, training: bool) {
        self.training = training;
    }
    fn training(&self) -> Option<bool> {
        Some(self.training)
    }
}
impl Module for Dropout {
    #[track_caller]
    fn forward(&self, x: &Var) -> Result<Var> {
        crate::functional::dropout(x, self.p, self.training)
    }
}
