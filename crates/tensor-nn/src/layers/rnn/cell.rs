//! `LSTMCell`, `GRUCell` and `RNNCell`: one time step, as `nn.LSTMCell`, `nn.GRUCell` and
//! `nn.RNNCell`.

use super::{gru_gates, lstm_gates, rnn_gates, Kind, RnnNonlinearity, RnnWeights};
use crate::module::{Entry, EntryMut, Module, Visit};
use tensor_autograd::Var;
use tensor_core::{bail, Device, Result, Tensor};

/// One LSTM step, as `nn.LSTMCell(input_size, hidden_size, bias)`:
/// `i, f, g, o = σ, σ, tanh, σ of (x W_ihᵀ + b_ih + h W_hhᵀ + b_hh)` split in four,
/// `c' = f c + i g`, `h' = o tanh(c')`.
///
/// ```
/// use tensor_nn::{LSTMCell, Module};
/// use tensor_autograd::Var;
/// use tensor_core::{DType, Device, Tensor};
/// let cell = LSTMCell::new(3, 5, true, &Device::Cpu)?;
/// let x = Var::constant(Tensor::ones([2, 3], DType::F32, &Device::Cpu)?);
/// let (h, c) = cell.forward_with(&x, None)?;
/// assert_eq!((h.size(), c.size()), (&[2, 5][..], &[2, 5][..]));
/// # Ok::<(), tensor_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct LSTMCell {
    /// `[4 hidden_size, input_size]`: the input weights of the gates i, f, g, o.
    pub weight_ih: Var,
    /// `[4 hidden_size, hidden_size]`: the hidden weights of the gates i, f, g, o.
    pub weight_hh: Var,
    /// `[4 hidden_size]`, if `bias`.
    pub bias_ih: Option<Var>,
    /// `[4 hidden_size]`, if `bias`.
    pub bias_hh: Option<Var>,
}

/// One GRU step, as `nn.GRUCell(input_size, hidden_size, bias)`: with the gates r, z, n of
/// `gi = x W_ihᵀ + b_ih` and `gh = h W_hhᵀ + b_hh`, `r = σ(gi_r + gh_r)`,
/// `z = σ(gi_z + gh_z)`, `n = tanh(gi_n + r gh_n)`, `h' = (1 - z) n + z h`.
///
/// ```
/// use tensor_nn::{GRUCell, Module};
/// use tensor_autograd::Var;
/// use tensor_core::{DType, Device, Tensor};
/// let cell = GRUCell::new(3, 5, true, &Device::Cpu)?;
/// let h = cell.forward(&Var::constant(Tensor::ones([2, 3], DType::F32, &Device::Cpu)?))?;
/// assert_eq!(h.size(), &[2, 5]);
/// # Ok::<(), tensor_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct GRUCell {
    /// `[3 hidden_size, input_size]`: the input weights of the gates r, z, n.
    pub weight_ih: Var,
    /// `[3 hidden_size, hidden_size]`: the hidden weights of the gates r, z, n.
    pub weight_hh: Var,
    /// `[3 hidden_size]`, if `bias`.
    pub bias_ih: Option<Var>,
    /// `[3 hidden_size]`, if `bias`.
    pub bias_hh: Option<Var>,
}

/// One step of an Elman RNN, as `nn.RNNCell(input_size, hidden_size, bias, nonlinearity)`:
/// `h' = act(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh)` with `act` tanh ([`RNNCell::new`]) or ReLU
/// ([`RNNCell::with_nonlinearity`]).
#[derive(Debug, Clone)]
pub struct RNNCell {
    /// `[hidden_size, input_size]`.
    pub weight_ih: Var,
    /// `[hidden_size, hidden_size]`.
    pub weight_hh: Var,
    /// `[hidden_size]`, if `bias`.
    pub bias_ih: Option<Var>,
    /// `[hidden_size]`, if `bias`.
    pub bias_hh: Option<Var>,
    nonlinearity: RnnNonlinearity,
}

/// The checks and batching of the cells' `forward`: `input` `[N,
/// H_in]` or `[H_in]`, `states` `[N, H]` or `[H]` (zeros when absent). Returns the batched
/// input, the batched states and whether the input was batched.
#[track_caller]
fn batch_cell_inputs(
    op: &'static str,
    w: (&Var, &Var),
    input: &Var,
    states: Option<&[&Var]>,
    count: usize,
) -> Result<(Var, Vec<Var>, bool)> {
    let (input_size, hidden_size) = (w.0.size()[1], w.1.size()[1]);
    if input.dim() != 1 && input.dim() != 2 {
        bail!(Shape, op, "Expected input to be 1D or 2D, got {}D instead", input.dim());
    }
    if input.dtype() != w.0.dtype() {
        bail!(DType, op, "input dtype ({:?}) does not match weight dtype ({:?})", input.dtype(), w.0.dtype());
    }
    let batched = input.dim() == 2;
    let x = if batched { input.clone() } else { input.unsqueeze(0)? };
    if x.size()[1] != input_size {
        bail!(Shape, op, "input has inconsistent input_size: got {} expected {input_size}", x.size()[1]);
    }
    let n = x.size()[0];
    let states = match states {
        None => {
            let zeros = Var::constant(Tensor::zeros([n, hidden_size], x.dtype(), x.device())?);
            vec![zeros; count]
        }
        Some(states) => {
            let mut out = Vec::with_capacity(count);
            for (i, s) in states.iter().enumerate() {
                if s.dim() != input.dim() {
                    bail!(
                        Shape,
                        op,
                        "Expected hx[{i}] to be {}D as the input {:?}, got {:?}",
                        input.dim(),
                        input.size(),
                        s.size()
                    );
                }
                if s.dtype() != input.dtype() {
                    bail!(
                        DType,
                        op,
                        "hx[{i}] dtype ({:?}) does not match input dtype ({:?})",
                        s.dtype(),
                        input.dtype()
                    );
                }
                let s = if batched { (*s).clone() } else { s.unsqueeze(0)? };
                if s.size()[0] != n {
                    bail!(Shape, op, "Input batch size {n} doesn't match hidden{i} batch size {}", s.size()[0]);
                }
                if s.size()[1] != hidden_size {
                    bail!(
                        Shape,
                        op,
                        "hidden{i} has inconsistent hidden_size: got {}, expected {hidden_size}",
                        s.size()[1]
                    );
                }
                out.push(s);
            }
            out
        }
    };
    Ok((x, states, batched))
}

/// Removes the batch dim that [`batch_cell_inputs`] added to an unbatched input.
#[track_caller]
fn unbatch(v: Var, batched: bool) -> Result<Var> {
    if batched {
        Ok(v)
    } else {
        v.squeeze_dim(0)
    }
}

macro_rules! cell_common {
    ($ty:ident, $kind:expr $(, $field:ident: $value:expr)?) => {
        impl $ty {
            /// A cell initialised as PyTorch's: every parameter from U(±1/√hidden_size).
            #[track_caller]
            pub fn new(input_size: usize, hidden_size: usize, bias: bool, device: &Device) -> Result<$ty> {
                let w = RnnWeights::new($kind.gates(), input_size, hidden_size, bias, device)?;
                Ok($ty {
                    weight_ih: w.weight_ih,
                    weight_hh: w.weight_hh,
                    bias_ih: w.bias_ih,
                    bias_hh: w.bias_hh,
                    $($field: $value)?
                })
            }
            /// The number of input features (`weight_ih`'s second dim).
            pub fn input_size(&self) -> usize {
                self.weight_ih.size()[1]
            }
            /// The number of hidden features (`weight_hh`'s second dim).
            pub fn hidden_size(&self) -> usize {
                self.weight_hh.size()[1]
            }
            /// `x W_ihᵀ + b_ih` and `h W_hhᵀ + b_hh`.
            #[track_caller]
            fn projections(&self, x: &Var, h: &Var) -> Result<(Var, Var)> {
                Ok((
                    x.linear(&self.weight_ih, self.bias_ih.as_ref())?,
                    h.linear(&self.weight_hh, self.bias_hh.as_ref())?,
                ))
            }
        }

        impl Visit for $ty {
            fn visit(&self, f: &mut dyn FnMut(&str, Entry<'_>)) {
                f("weight_ih", Entry::Param(&self.weight_ih));
                f("weight_hh", Entry::Param(&self.weight_hh));
                if let Some(b) = &self.bias_ih {
                    f("bias_ih", Entry::Param(b));
                }
                if let Some(b) = &self.bias_hh {
                    f("bias_hh", Entry::Param(b));
                }
            }
            fn visit_mut(&mut self, f: &mut dyn FnMut(&str, EntryMut<'_>)) {
                f("weight_ih", EntryMut::Param(&mut self.weight_ih));
                f("weight_hh", EntryMut::Param(&mut self.weight_hh));
                if let Some(b) = &mut self.bias_ih {
                    f("bias_ih", EntryMut::Param(b));
                }
                if let Some(b) = &mut self.bias_hh {
                    f("bias_hh", EntryMut::Param(b));
                }
            }
        }
    };
}

cell_common!(LSTMCell, Kind::Lstm);
cell_common!(GRUCell, Kind::Gru);
cell_common!(RNNCell, Kind::Rnn(RnnNonlinearity::Tanh), nonlinearity: RnnNonlinearity::Tanh);

impl LSTMCell {
    /// One step of `input` `[N, input_size]` (or unbatched `[input_size]`) from the state
    /// `(h, c)`, each `[N, hidden_size]` (or `[hidden_size]`; zeros when `None`): the new
    /// `(h', c')`, as `nn.LSTMCell.forward`.
    #[track_caller]
    pub fn forward_with(&self, input: &Var, state: Option<(&Var, &Var)>) -> Result<(Var, Var)> {
        let states = state.map(|(h, c)| [h, c]);
        let w = (&self.weight_ih, &self.weight_hh);
        let (x, states, batched) = batch_cell_inputs("LSTMCell", w, input, states.as_ref().map(|s| &s[..]), 2)?;
        let (gi, gh) = self.projections(&x, &states[0])?;
        let (h, c) = lstm_gates(&gi, &gh, &states[1])?;
        Ok((unbatch(h, batched)?, unbatch(c, batched)?))
    }
}

impl Module for LSTMCell {
    /// The new hidden state `h'` from a zero state (use [`LSTMCell::forward_with`] for a given
    /// state and the cell state).
    #[track_caller]
    fn forward(&self, input: &Var) -> Result<Var> {
        Ok(self.forward_with(input, None)?.0)
    }
}

impl GRUCell {
    /// One step of `input` `[N, input_size]` (or unbatched `[input_size]`) from the hidden state
    /// `hx` `[N, hidden_size]` (or `[hidden_size]`; zeros when `None`): the new hidden state, as
    /// `nn.GRUCell.forward`.
    #[track_caller]
    pub fn forward_with(&self, input: &Var, hx: Option<&Var>) -> Result<Var> {
        let states = hx.map(|h| [h]);
        let w = (&self.weight_ih, &self.weight_hh);
        let (x, states, batched) = batch_cell_inputs("GRUCell", w, input, states.as_ref().map(|s| &s[..]), 1)?;
        let (gi, gh) = self.projections(&x, &states[0])?;
        unbatch(gru_gates(&gi, &gh, &states[0])?, batched)
    }
}

impl Module for GRUCell {
    /// The new hidden state from a zero state (use [`GRUCell::forward_with`] for a given one).
    #[track_caller]
    fn forward(&self, input: &Var) -> Result<Var> {
        self.forward_with(input, None)
    }
}

impl RNNCell {
    /// A cell with the given nonlinearity (`nonlinearity='relu'` or `'tanh'`), initialised as
    /// [`RNNCell::new`].
    #[track_caller]
    pub fn with_nonlinearity(
        input_size: usize,
        hidden_size: usize,
        bias: bool,
        nonlinearity: RnnNonlinearity,
        device: &Device,
    ) -> Result<RNNCell> {
        Ok(RNNCell { nonlinearity, ..RNNCell::new(input_size, hidden_size, bias, device)? })
    }
    /// Its nonlinearity.
    pub fn nonlinearity(&self) -> RnnNonlinearity {
        self.nonlinearity
    }
    /// One step of `input` `[N, input_size]` (or unbatched `[input_size]`) from the hidden state
    /// `hx` `[N, hidden_size]` (or `[hidden_size]`; zeros when `None`): the new hidden state, as
    /// `nn.RNNCell.forward`.
    #[track_caller]
    pub fn forward_with(&self, input: &Var, hx: Option<&Var>) -> Result<Var> {
        let states = hx.map(|h| [h]);
        let w = (&self.weight_ih, &self.weight_hh);
        let (x, states, batched) = batch_cell_inputs("RNNCell", w, input, states.as_ref().map(|s| &s[..]), 1)?;
        let (gi, gh) = self.projections(&x, &states[0])?;
        unbatch(rnn_gates(&gi, &gh, self.nonlinearity)?, batched)
    }
}

impl Module for RNNCell {
    /// The new hidden state from a zero state (use [`RNNCell::forward_with`] for a given one).
    #[track_caller]
    fn forward(&self, input: &Var) -> Result<Var> {
        self.forward_with(input, None)
    }
}
