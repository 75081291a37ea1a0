//! `LSTM`, `GRU` and `RNN`: stacked, optionally bidirectional recurrences over whole sequences,
//! as `nn.LSTM`, `nn.GRU` and `nn.RNN`.

use super::{step, Kind, RnnNonlinearity};
use crate::module::{Entry, EntryMut, Module, Visit};
use tensor_autograd::Var;
use tensor_core::{bail, Device, Result, Tensor};

/// The keyword arguments of `nn.LSTM`, `nn.GRU` and `nn.RNN` besides the sizes (and `nn.RNN`'s
/// `nonlinearity`), with PyTorch's defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RnnConfig {
    /// Recurrent layers stacked, each reading the previous one's output (default 1).
    pub num_layers: usize,
    /// Whether the layers have `bias_ih` and `bias_hh` (default true).
    pub bias: bool,
    /// Inputs and outputs `[N, L, H]` instead of `[L, N, H]` (the states stay `[D ·
    /// num_layers, N, H]`, as in PyTorch).
    pub batch_first: bool,
    /// Dropout on the outputs of every layer but the last, in training (default 0).
    pub dropout: f64,
    /// A second recurrence per layer, over the reversed sequence, its output concatenated to
    /// the forward one's (default false).
    pub bidirectional: bool,
}

impl Default for RnnConfig {
    fn default() -> Self {
        RnnConfig { num_layers: 1, bias: true, batch_first: false, dropout: 0.0, bidirectional: false }
    }
}

/// The parameters of one layer in one direction of an [`LSTM`], a [`GRU`] or an [`RNN`], with
/// the gates stacked in the first dim (`G` = 4 for the LSTM's i, f, g, o; 3 for the GRU's r, z,
/// n; 1 for the RNN).
#[derive(Debug, Clone)]
pub struct RnnWeights {
    /// `weight_ih_l{k}`: `[G hidden_size, input_size]` for the first layer, `[G hidden_size,
    /// D hidden_size]` for the others (`D` = 2 if bidirectional, else 1).
    pub weight_ih: Var,
    /// `weight_hh_l{k}`: `[G hidden_size, hidden_size]`.
    pub weight_hh: Var,
    /// `bias_ih_l{k}`: `[G hidden_size]`, if `bias`.
    pub bias_ih: Option<Var>,
    /// `bias_hh_l{k}`: `[G hidden_size]`, if `bias`.
    pub bias_hh: Option<Var>,
}

impl RnnWeights {
    /// Drawn from U(±1/√hidden_size) in PyTorch's order, as `RNNBase.reset_parameters`.
    #[track_caller]
    pub(super) fn new(gates: usize, input: usize, hidden: usize, bias: bool, device: &Device) -> Result<RnnWeights> {
        let bound = if hidden > 0 { 1.0 / (hidden as f64).sqrt() } else { 0.0 };
        let param = |shape: &[usize]| crate::layers::uniform_param(shape, bound, device);
        Ok(RnnWeights {
            weight_ih: param(&[gates * hidden, input])?,
            weight_hh: param(&[gates * hidden, hidden])?,
            bias_ih: if bias { Some(param(&[gates * hidden])?) } else { None },
            bias_hh: if bias { Some(param(&[gates * hidden])?) } else { None },
        })
    }
}

/// What a stack was built with.
#[derive(Debug, Clone, Copy)]
struct Spec {
    kind: Kind,
    input_size: usize,
    hidden_size: usize,
    config: RnnConfig,
}

impl Spec {
    #[track_caller]
    fn new(kind: Kind, input_size: usize, hidden_size: usize, config: RnnConfig) -> Result<Spec> {
        let op = kind.name();
        if !(0.0..=1.0).contains(&config.dropout) {
            bail!(
                Value,
                op,
                "dropout should be a number in range [0, 1] representing the probability of an element being \
                 zeroed, got {}",
                config.dropout
            );
        }
        if input_size == 0 {
            bail!(Value, op, "input_size must be greater than zero");
        }
        if hidden_size == 0 {
            bail!(Value, op, "hidden_size must be greater than zero");
        }
        if config.num_layers == 0 {
            bail!(Value, op, "num_layers must be greater than zero");
        }
        Ok(Spec { kind, input_size, hidden_size, config })
    }

    fn directions(&self) -> usize {
        if self.config.bidirectional {
            2
        } else {
            1
        }
    }

    /// The parameters of every layer and direction, in PyTorch's order (layer-major).
    #[track_caller]
    fn weights(&self, device: &Device) -> Result<Vec<RnnWeights>> {
        let d = self.directions();
        let mut out = Vec::with_capacity(self.config.num_layers * d);
        for layer in 0..self.config.num_layers {
            let input = if layer == 0 { self.input_size } else { d * self.hidden_size };
            for _ in 0..d {
                out.push(RnnWeights::new(self.kind.gates(), input, self.hidden_size, self.config.bias, device)?);
            }
        }
        Ok(out)
    }

    /// `h0` (or `c0`, `which` = 1) checked as PyTorch does and made batched `[D · num_layers,
    /// N, H]`; zeros when absent.
    #[track_caller]
    fn state(&self, s: Option<&Var>, which: usize, x: &Var, batched: bool) -> Result<Var> {
        let expected = [self.directions() * self.config.num_layers, x.size()[1], self.hidden_size];
        let Some(s) = s else {
            return Ok(Var::constant(Tensor::zeros(expected, x.dtype(), x.device())?));
        };
        if s.dtype() != x.dtype() {
            bail!(
                DType,
                self.kind.name(),
                "input and hidden tensors are not the same dtype, found input tensor with {:?} and hidden tensor \
                 with {:?}",
                x.dtype(),
                s.dtype()
            );
        }
        let s = if batched { s.clone() } else { s.unsqueeze(1)? };
        if s.size() != expected {
            let name = match self.kind {
                Kind::Lstm => format!("hidden[{which}]"),
                Kind::Gru | Kind::Rnn(_) => "hidden".to_string(),
            };
            let [a, b, c] = expected;
            bail!(Shape, self.kind.name(), "Expected {name} size ({a}, {b}, {c}), got {:?}", s.size());
        }
        Ok(s)
    }

    /// The forward pass of `nn.LSTM` / `nn.GRU` / `nn.RNN`: the output and the final states
    /// (`c_n` for the LSTM only).
    #[track_caller]
    fn run(
        &self,
        weights: &[RnnWeights],
        training: bool,
        input: &Var,
        states: Option<&[&Var]>,
    ) -> Result<(Var, Var, Option<Var>)> {
        let op = self.kind.name();
        if input.dim() != 2 && input.dim() != 3 {
            let tensor = if let Kind::Rnn(_) = self.kind { " tensor" } else { "" };
            bail!(Shape, op, "Expected input to be 2D or 3D, got {}D{tensor} instead", input.dim());
        }
        let batched = input.dim() == 3;
        if let Some(states) = states {
            let want = input.dim();
            if states.iter().any(|s| s.dim() != want) {
                let dims: Vec<String> = states.iter().map(|s| format!("{}-D", s.dim())).collect();
                let (what, hx) = if batched { ("batched 3-D", "3-D") } else { ("unbatched 2-D", "2-D") };
                if states.len() == 2 {
                    bail!(
                        Shape,
                        op,
                        "For {what} input, hx and cx should also be {hx} but got ({}) tensors",
                        dims.join(", ")
                    );
                }
                bail!(Shape, op, "For {what} input, hx should also be {hx} but got {} tensor", dims.join(", "));
            }
        }
        let d = self.directions();
        if weights.len() != d * self.config.num_layers {
            bail!(
                Value,
                op,
                "expected {} sets of weights (layers × directions), got {}",
                d * self.config.num_layers,
                weights.len()
            );
        }
        if input.dtype() != weights[0].weight_ih.dtype() {
            bail!(
                DType,
                op,
                "RNN input dtype ({:?}) does not match weight dtype ({:?})",
                input.dtype(),
                weights[0].weight_ih.dtype()
            );
        }
        // Sequence-first and batched: [L, N, H_in].
        let x = if !batched {
            input.unsqueeze(1)?
        } else if self.config.batch_first {
            input.transpose(0, 1)?
        } else {
            input.clone()
        };
        if x.size()[2] != self.input_size {
            bail!(
                Shape,
                op,
                "input.size(-1) must be equal to input_size. Expected {}, got {}",
                self.input_size,
                x.size()[2]
            );
        }
        let len = x.size()[0];
        if len == 0 {
            bail!(Value, op, "Expected sequence length to be larger than 0 in RNN");
        }
        let h0 = self.state(states.map(|s| s[0]), 0, &x, batched)?;
        let c0 = match self.kind {
            Kind::Lstm => Some(self.state(states.map(|s| s[1]), 1, &x, batched)?),
            Kind::Gru | Kind::Rnn(_) => None,
        };

        let (mut h_n, mut c_n) = (Vec::new(), Vec::new());
        let mut layer_input = x;
        for layer in 0..self.config.num_layers {
            let mut outputs = Vec::with_capacity(d);
            for dir in 0..d {
                let k = layer * d + dir;
                let w = &weights[k];
                // Every time step's input projection in one matmul: [L, N, G H].
                let gi = layer_input.linear(&w.weight_ih, w.bias_ih.as_ref())?;
                let mut h = h0.select(0, k as isize)?;
                let mut c = match &c0 {
                    Some(c0) => Some(c0.select(0, k as isize)?),
                    None => None,
                };
                let mut steps: Vec<Option<Var>> = vec![None; len];
                for s in 0..len {
                    let t = if dir == 0 { s } else { len - 1 - s };
                    let gi_t = gi.select(0, t as isize)?;
                    let gh = h.linear(&w.weight_hh, w.bias_hh.as_ref())?;
                    (h, c) = step(self.kind, &gi_t, &gh, &h, c.as_ref())?;
                    steps[t] = Some(h.clone());
                }
                let steps: Vec<&Var> = steps.iter().flatten().collect();
                outputs.push(Var::stack(&steps, 0)?);
                h_n.push(h);
                c_n.extend(c);
            }
            let out = if d == 1 { outputs.remove(0) } else { Var::cat(&[&outputs[0], &outputs[1]], 2)? };
            layer_input = if layer + 1 < self.config.num_layers {
                crate::functional::dropout(&out, self.config.dropout, training)?
            } else {
                out
            };
        }
        let finish = |states: Vec<Var>| -> Result<Var> {
            let s = Var::stack(&states.iter().collect::<Vec<_>>(), 0)?;
            if batched {
                Ok(s)
            } else {
                s.squeeze_dim(1)
            }
        };
        let output = if !batched {
            layer_input.squeeze_dim(1)?
        } else if self.config.batch_first {
            layer_input.transpose(0, 1)?
        } else {
            layer_input
        };
        let c_n = if c_n.is_empty() { None } else { Some(finish(c_n)?) };
        Ok((output, finish(h_n)?, c_n))
    }
}

/// Lists `weights` under PyTorch's names: `weight_ih_l{k}`, `weight_hh_l{k}`, `bias_ih_l{k}`,
/// `bias_hh_l{k}`, with `_reverse` for the backward direction.
fn weight_names(weights: &[RnnWeights], directions: usize) -> Vec<[String; 4]> {
    (0..weights.len())
        .map(|j| {
            let suffix = format!("_l{}{}", j / directions, if j % directions == 1 { "_reverse" } else { "" });
            ["weight_ih", "weight_hh", "bias_ih", "bias_hh"].map(|n| format!("{n}{suffix}"))
        })
        .collect()
}

macro_rules! rnn_common {
    ($ty:ident, $kind:expr) => {
        impl $ty {
            /// A stack initialised as PyTorch's: every parameter from U(±1/√hidden_size). Errors
            /// as PyTorch's constructor: dropout outside `[0, 1]`, a zero size or `num_layers`.
            #[track_caller]
            pub fn new(input_size: usize, hidden_size: usize, config: RnnConfig, device: &Device) -> Result<$ty> {
                let spec = Spec::new($kind, input_size, hidden_size, config)?;
                Ok($ty { weights: spec.weights(device)?, spec, training: true })
            }
            /// The number of input features.
            pub fn input_size(&self) -> usize {
                self.spec.input_size
            }
            /// The number of hidden features.
            pub fn hidden_size(&self) -> usize {
                self.spec.hidden_size
            }
            /// The options it was built with.
            pub fn config(&self) -> &RnnConfig {
                &self.spec.config
            }
        }

        impl Visit for $ty {
            fn visit(&self, f: &mut dyn FnMut(&str, Entry<'_>)) {
                let names = weight_names(&self.weights, self.spec.directions());
                for (w, [ih, hh, bih, bhh]) in self.weights.iter().zip(&names) {
                    f(ih, Entry::Param(&w.weight_ih));
                    f(hh, Entry::Param(&w.weight_hh));
                    if let Some(b) = &w.bias_ih {
                        f(bih, Entry::Param(b));
                    }
                    if let Some(b) = &w.bias_hh {
                        f(bhh, Entry::Param(b));
                    }
                }
            }
            fn visit_mut(&mut self, f: &mut dyn FnMut(&str, EntryMut<'_>)) {
                let names = weight_names(&self.weights, self.spec.directions());
                for (w, [ih, hh, bih, bhh]) in self.weights.iter_mut().zip(&names) {
                    f(ih, EntryMut::Param(&mut w.weight_ih));
                    f(hh, EntryMut::Param(&mut w.weight_hh));
                    if let Some(b) = &mut w.bias_ih {
                        f(bih, EntryMut::Param(b));
                    }
                    if let Some(b) = &mut w.bias_hh {
                        f(bhh, EntryMut::Param(b));
                    }
                }
            }
            fn set_training(&mut self, training: bool) {
                self.training = training;
            }
            fn training(&self) -> Option<bool> {
                Some(self.training)
            }
        }
    };
}

/// A multi-layer LSTM, as `nn.LSTM(input_size, hidden_size, num_layers, bias, batch_first,
/// dropout, bidirectional)` (no `proj_size`, no packed sequences): per layer and direction,
/// the recurrence of [`LSTMCell`](crate::LSTMCell) over the sequence.
///
/// ```
/// use tensor_nn::{Module, ModuleExt, RnnConfig, LSTM};
/// use tensor_autograd::Var;
/// use tensor_core::{DType, Device, Tensor};
/// let lstm = LSTM::new(3, 5, RnnConfig { num_layers: 2, bidirectional: true, ..Default::default() }, &Device::Cpu)?;
/// assert_eq!(lstm.named_parameters()[4].0, "weight_ih_l0_reverse");
/// let x = Var::constant(Tensor::ones([7, 2, 3], DType::F32, &Device::Cpu)?); // [L, N, H_in]
/// let (out, (h_n, c_n)) = lstm.forward_with(&x, None)?;
/// assert_eq!((out.size(), h_n.size(), c_n.size()), (&[7, 2, 10][..], &[4, 2, 5][..], &[4, 2, 5][..]));
/// # Ok::<(), tensor_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct LSTM {
    /// The parameters of layer `k` in direction `d` (0 forward, 1 reverse) at `k · D + d`,
    /// PyTorch's `all_weights` order.
    pub weights: Vec<RnnWeights>,
    spec: Spec,
    training: bool,
}

/// A multi-layer GRU, as `nn.GRU(input_size, hidden_size, num_layers, bias, batch_first,
/// dropout, bidirectional)` (no packed sequences): per layer and direction, the recurrence of
/// [`GRUCell`](crate::GRUCell) over the sequence.
///
/// ```
/// use tensor_nn::{Module, RnnConfig, GRU};
/// use tensor_autograd::Var;
/// use tensor_core::{DType, Device, Tensor};
/// let gru = GRU::new(3, 5, RnnConfig { batch_first: true, ..Default::default() }, &Device::Cpu)?;
/// let x = Var::constant(Tensor::ones([2, 7, 3], DType::F32, &Device::Cpu)?); // [N, L, H_in]
/// let (out, h_n) = gru.forward_with(&x, None)?;
/// assert_eq!((out.size(), h_n.size()), (&[2, 7, 5][..], &[1, 2, 5][..]));
/// # Ok::<(), tensor_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct GRU {
    /// The parameters of layer `k` in direction `d` (0 forward, 1 reverse) at `k · D + d`,
    /// PyTorch's `all_weights` order.
    pub weights: Vec<RnnWeights>,
    spec: Spec,
    training: bool,
}

/// A multi-layer Elman RNN, as `nn.RNN(input_size, hidden_size, num_layers, nonlinearity, bias,
/// batch_first, dropout, bidirectional)` (no packed sequences): per layer and direction,
/// `h' = act(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh)` with `act` tanh ([`RNN::new`]) or ReLU
/// ([`RNN::with_nonlinearity`]).
///
/// ```
/// use tensor_nn::{Module, RnnConfig, RnnNonlinearity, RNN};
/// use tensor_autograd::Var;
/// use tensor_core::{DType, Device, Tensor};
/// let rnn = RNN::with_nonlinearity(3, 5, RnnNonlinearity::ReLU, RnnConfig::default(), &Device::Cpu)?;
/// let x = Var::constant(Tensor::ones([7, 3], DType::F32, &Device::Cpu)?); // unbatched [L, H_in]
/// let (out, h_n) = rnn.forward_with(&x, None)?;
/// assert_eq!((out.size(), h_n.size()), (&[7, 5][..], &[1, 5][..]));
/// # Ok::<(), tensor_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct RNN {
    /// The parameters of layer `k` in direction `d` (0 forward, 1 reverse) at `k · D + d`,
    /// PyTorch's `all_weights` order.
    pub weights: Vec<RnnWeights>,
    spec: Spec,
    training: bool,
}

rnn_common!(LSTM, Kind::Lstm);
rnn_common!(GRU, Kind::Gru);
rnn_common!(RNN, Kind::Rnn(RnnNonlinearity::Tanh));

impl LSTM {
    /// The LSTM over `input` `[L, N, input_size]` (`[N, L, input_size]` with `batch_first`,
    /// or unbatched `[L, input_size]`) from the state `(h0, c0)`, each `[D · num_layers, N,
    /// hidden_size]` (`[D · num_layers, hidden_size]` unbatched; zeros when `None`), as
    /// `nn.LSTM.forward`: the output `[L, N, D · hidden_size]` (batch first with
    /// `batch_first`) and the final states `(h_n, c_n)` of the shape of `h0`.
    #[track_caller]
    pub fn forward_with(&self, input: &Var, state: Option<(&Var, &Var)>) -> Result<(Var, (Var, Var))> {
        let states = state.map(|(h, c)| [h, c]);
        let (out, h, c) = self.spec.run(&self.weights, self.training, input, states.as_ref().map(|s| &s[..]))?;
        let Some(c) = c else { bail!(Value, "LSTM", "no cell state") };
        Ok((out, (h, c)))
    }
}

impl Module for LSTM {
    /// The output only, from zero states.
    #[track_caller]
    fn forward(&self, input: &Var) -> Result<Var> {
        Ok(self.forward_with(input, None)?.0)
    }
}

impl GRU {
    /// The GRU over `input` `[L, N, input_size]` (`[N, L, input_size]` with `batch_first`, or
    /// unbatched `[L, input_size]`) from `h0` `[D · num_layers, N, hidden_size]`
    /// (`[D · num_layers, hidden_size]` unbatched; zeros when `None`), as `nn.GRU.forward`: the
    /// output `[L, N, D · hidden_size]` (batch first with `batch_first`) and the final state
    /// `h_n` of the shape of `h0`.
    #[track_caller]
    pub fn forward_with(&self, input: &Var, h0: Option<&Var>) -> Result<(Var, Var)> {
        let states = h0.map(|h| [h]);
        let (out, h, _) = self.spec.run(&self.weights, self.training, input, states.as_ref().map(|s| &s[..]))?;
        Ok((out, h))
    }
}

impl Module for GRU {
    /// The output only, from a zero state.
    #[track_caller]
    fn forward(&self, input: &Var) -> Result<Var> {
        Ok(self.forward_with(input, None)?.0)
    }
}

impl RNN {
    /// An RNN with the given nonlinearity (`nonlinearity='relu'` or `'tanh'`), initialised as
    /// [`RNN::new`].
    #[track_caller]
    pub fn with_nonlinearity(
        input_size: usize,
        hidden_size: usize,
        nonlinearity: RnnNonlinearity,
        config: RnnConfig,
        device: &Device,
    ) -> Result<RNN> {
        let spec = Spec::new(Kind::Rnn(nonlinearity), input_size, hidden_size, config)?;
        Ok(RNN { weights: spec.weights(device)?, spec, training: true })
    }
    /// Its nonlinearity.
    pub fn nonlinearity(&self) -> RnnNonlinearity {
        match self.spec.kind {
            Kind::Rnn(n) => n,
            Kind::Lstm | Kind::Gru => RnnNonlinearity::Tanh,
        }
    }
    /// The RNN over `input` `[L, N, input_size]` (`[N, L, input_size]` with `batch_first`, or
    /// unbatched `[L, input_size]`) from `h0` `[D · num_layers, N, hidden_size]`
    /// (`[D · num_layers, hidden_size]` unbatched; zeros when `None`), as `nn.RNN.forward`: the
    /// output `[L, N, D · hidden_size]` (batch first with `batch_first`) and the final state
    /// `h_n` of the shape of `h0`.
    #[track_caller]
    pub fn forward_with(&self, input: &Var, h0: Option<&Var>) -> Result<(Var, Var)> {
        let states = h0.map(|h| [h]);
        let (out, h, _) = self.spec.run(&self.weights, self.training, input, states.as_ref().map(|s| &s[..]))?;
        Ok((out, h))
    }
}

impl Module for RNN {
    /// The output only, from a zero state.
    #[track_caller]
    fn forward(&self, input: &Var) -> Result<Var> {
        Ok(self.forward_with(input, None)?.0)
    }
}
