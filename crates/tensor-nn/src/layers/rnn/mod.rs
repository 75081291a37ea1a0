//! Recurrent layers, as `nn.LSTM`, `nn.GRU`, `nn.RNN` and their cells `nn.LSTMCell`,
//! `nn.GRUCell`, `nn.RNNCell`: PyTorch's parameter names and shapes (`weight_ih_l0`,
//! `bias_hh_l1_reverse`, ...), gate order (i, f, g, o for the LSTM; r, z, n for the GRU) and
//! arithmetic, so PyTorch's state dicts load and the outputs agree.
//!
//! The layers are composed from differentiable `Var` ops, so autograd gives their gradients: per
//! layer and direction, the input projection of every time step is one matmul (as PyTorch's CPU
//! path), then each step adds the hidden projection and applies the gates. This file holds the
//! arithmetic of one step, which the cells and the layers share; `cell.rs` the cells; `layer.rs`
//! the multi-layer, bidirectional `LSTM`, `GRU` and `RNN`.

mod cell;
mod layer;

pub use cell::{GRUCell, LSTMCell, RNNCell};
pub use layer::{RnnConfig, RnnWeights, GRU, LSTM, RNN};

use tensor_autograd::Var;
use tensor_core::{bail, Result};

/// The nonlinearity of an [`RNN`] or an [`RNNCell`], their `nonlinearity` argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RnnNonlinearity {
    /// `'tanh'`, the default.
    #[default]
    Tanh,
    /// `'relu'`.
    ReLU,
}

/// The recurrences this module implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Lstm,
    Gru,
    Rnn(RnnNonlinearity),
}

impl Kind {
    /// The number of gates stacked in the weights' first dim.
    fn gates(self) -> usize {
        match self {
            Kind::Lstm => 4,
            Kind::Gru => 3,
            Kind::Rnn(_) => 1,
        }
    }
    /// PyTorch's class name, for errors.
    fn name(self) -> &'static str {
        match self {
            Kind::Lstm => "LSTM",
            Kind::Gru => "GRU",
            Kind::Rnn(_) => "RNN",
        }
    }
}

/// One LSTM step from the input's gates `gi` (`x W_ihᵀ + b_ih`, `[N, 4H]`), the hidden ones
/// `gh` (`h W_hhᵀ + b_hh`) and the cell state `c`: the new `(h, c)`, in PyTorch's order of
/// operations (`aten/src/ATen/native/RNN.cpp`, `LSTMCell`).
#[track_caller]
fn lstm_gates(gi: &Var, gh: &Var, c: &Var) -> Result<(Var, Var)> {
    let gates = gh.add(gi)?.chunk(4, -1)?;
    let (i, f, g, o) = (gates[0].sigmoid()?, gates[1].sigmoid()?, gates[2].tanh()?, gates[3].sigmoid()?);
    let c = f.mul(c)?.add(&i.mul(&g)?)?;
    let h = o.mul(&c.tanh()?)?;
    Ok((h, c))
}

/// One GRU step from the input's gates `gi` (`[N, 3H]`), the hidden ones `gh` and the hidden
/// state `h`: `n + z (h - n)` with `n = tanh(gi_n + r gh_n)`, in PyTorch's order of operations.
#[track_caller]
fn gru_gates(gi: &Var, gh: &Var, h: &Var) -> Result<Var> {
    let gi = gi.chunk(3, -1)?;
    let gh = gh.chunk(3, -1)?;
    let r = gh[0].add(&gi[0])?.sigmoid()?;
    let z = gh[1].add(&gi[1])?.sigmoid()?;
    let n = gi[2].add(&gh[2].mul(&r)?)?.tanh()?;
    h.sub(&n)?.mul(&z)?.add(&n)
}

/// One step of an Elman RNN: `act(gh + gi)`, in PyTorch's order (`SimpleCell`).
#[track_caller]
fn rnn_gates(gi: &Var, gh: &Var, nonlinearity: RnnNonlinearity) -> Result<Var> {
    let pre = gh.add(gi)?;
    match nonlinearity {
        RnnNonlinearity::Tanh => pre.tanh(),
        RnnNonlinearity::ReLU => pre.relu(),
    }
}

/// One step of any kind from the gates `gi`, `gh` and the state `h` (and `c` for the LSTM):
/// the new `h` and, for the LSTM, the new `c`.
#[track_caller]
fn step(kind: Kind, gi: &Var, gh: &Var, h: &Var, c: Option<&Var>) -> Result<(Var, Option<Var>)> {
    match (kind, c) {
        (Kind::Lstm, Some(c)) => {
            let (h, c) = lstm_gates(gi, gh, c)?;
            Ok((h, Some(c)))
        }
        (Kind::Lstm, None) => bail!(Value, "LSTM", "a step of an LSTM needs its cell state"),
        (Kind::Gru, _) => Ok((gru_gates(gi, gh, h)?, None)),
        (Kind::Rnn(nonlinearity), _) => Ok((rnn_gates(gi, gh, nonlinearity)?, None)),
    }
}
