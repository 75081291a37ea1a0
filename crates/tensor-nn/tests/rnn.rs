//! Recurrent layers against PyTorch: `LSTM`, `GRU` and `RNN` (2 layers, bidirectional, batch
//! first, given states; without bias; unbatched; dropout between layers; tanh and ReLU),
//! `LSTMCell`, `GRUCell` and `RNNCell`, their outputs, final states and gradients of a scalar
//! loss; gradcheck of all six (`rnn/gradcheck.rs`); PyTorch's parameter names and shapes, and a state dict written by
//! PyTorch; errors; and with the `cuda` feature, the GPU against the CPU in float32 too.
//!
//! The literals (`rnn/literals.rs`) and the fixture `fixtures/lstm_2x_bidir.safetensors` are
//! printed / written by `scripts/pytorch/nn_rnn.py` (torch 2.15, CPU, float64; the fixture in
//! float32). Inputs are `pat(shape, k)[i] = sin(0.7 i + k)`, the `j`-th parameter of
//! `named_parameters()` is `0.5 sin(0.3 i + j)`, and the loss is `Σ_k sum(out_k ·
//! pat(out_k.shape, 10 + k))`, built here with the script's formulas.
//!
//! Every test runs on every device (`common::devices`): the layers are built on the CPU with the
//! script's weights and moved to the device (parameters checked to land there), inputs and
//! states live there, outputs and gradients are checked to stay there, and on a GPU the
//! comparisons (recurrences of matmuls: sums in another order) widen to PyTorch's
//! `assert_close` tolerance (`common::near`); gradcheck runs there (`common::gradcheck_on`).

mod gradcheck;
#[rustfmt::skip]
mod literals;

use literals::*;
use std::collections::BTreeMap;
use std::path::Path;
use tensor_autograd::Var;
use tensor_core::{DType, Device, Result, Tensor};
use tensor_nn::{GRUCell, LSTMCell, Module, ModuleExt, RNNCell, RnnConfig, RnnNonlinearity, GRU, LSTM, RNN};

use crate::common::{assert_on, devices, near, CPU};

/// The script's `pat(shape, k)[i] = sin(0.7 i + k)`, float64, on `dev`.
fn pat(dev: &Device, shape: &[usize], k: f64) -> Tensor {
    let n: usize = shape.iter().product();
    let v: Vec<f64> = (0..n).map(|i| (0.7 * i as f64 + k).sin()).collect();
    Tensor::from_vec(v, shape).unwrap().to_device(dev).unwrap()
}

/// `pat(shape, k) * 0.5` on `dev`, a leaf that requires grad.
fn state(dev: &Device, shape: &[usize], k: f64) -> Var {
    Var::new(pat(dev, shape, k).mul(0.5).unwrap(), true)
}

/// Moves `m` (built on the CPU) to float64, sets its `j`-th parameter to `0.5 sin(0.3 i + j)`
/// through `load_state_dict` under PyTorch's names, and moves it to `dev`.
fn set_params<M: Module>(dev: &Device, mut m: M) -> M {
    m.to_dtype(DType::F64).unwrap();
    let mut state = BTreeMap::new();
    for (j, (name, p)) in m.named_parameters().into_iter().enumerate() {
        let v: Vec<f64> = (0..p.numel()).map(|i| 0.5 * (0.3 * i as f64 + j as f64).sin()).collect();
        state.insert(name, Tensor::from_vec(v, p.size()).unwrap());
    }
    m.load_state_dict(&state, true).unwrap();
    m.to_device(dev).unwrap();
    for (name, p) in m.named_parameters() {
        assert_on(p.tensor_ref(), dev);
        assert!(p.is_leaf() && p.requires_grad(), "{name} on {dev} is not a trainable leaf");
    }
    m
}

fn param<M: Module>(m: &M, name: &str) -> Var {
    m.named_parameters().into_iter().find(|(n, _)| n == name).unwrap().1
}

/// Asserts `got` lives on `dev`, has `shape` and holds `want` to `tol * (1 + |want|)`, or on a
/// GPU within PyTorch's `assert_close` tolerance for its dtype's sums ([`near`]).
#[track_caller]
fn close_tol(dev: &Device, what: &str, got: &Tensor, shape: &[usize], want: &[f64], tol: f64) {
    assert_on(got, dev);
    assert_eq!(got.size(), shape, "{what} on {dev}: shape");
    let dtype = got.dtype();
    let got = got.to_dtype(DType::F64).unwrap().to_vec::<f64>().unwrap();
    assert_eq!(got.len(), want.len(), "{what} on {dev}");
    for (i, (&a, &b)) in got.iter().zip(want).enumerate() {
        assert!(near(dev, dtype, a, b, tol), "{what} on {dev} at {i}: {a} != {b}");
    }
}

#[track_caller]
fn close(dev: &Device, what: &str, got: &Var, shape: &[usize], want: &[f64]) {
    close_tol(dev, what, &got.tensor(), shape, want, 1e-12);
}

#[track_caller]
fn grad_close(dev: &Device, what: &str, v: &Var, shape: &[usize], want: &[f64]) {
    let g = v.grad().unwrap_or_else(|| panic!("{what} on {dev}: no gradient"));
    close_tol(dev, what, &g, shape, want, 1e-12);
}

/// The script's loss: `Σ_k sum(out_k · pat(out_k.shape, 10 + k))`, on the outputs' device.
fn loss_of(outs: &[&Var]) -> Result<Var> {
    let mut total: Option<Var> = None;
    for (k, o) in outs.iter().enumerate() {
        let term = o.mul(&pat(o.device(), o.size(), 10.0 + k as f64))?.sum()?;
        total = Some(match total {
            Some(t) => t.add(&term)?,
            None => term,
        });
    }
    Ok(total.unwrap())
}

fn stacked(bidirectional: bool, batch_first: bool) -> RnnConfig {
    RnnConfig { num_layers: 2, bidirectional, batch_first, ..Default::default() }
}

#[test]
fn lstm_two_layers_bidirectional_batch_first() -> Result<()> {
    for dev in &devices() {
        let lstm = set_params(dev, LSTM::new(3, 4, stacked(true, true), CPU)?);
        let x = Var::new(pat(dev, &[2, 5, 3], 0.0), true);
        let (h0, c0) = (state(dev, &[4, 2, 4], 1.0), state(dev, &[4, 2, 4], 2.0));
        let (out, (h, c)) = lstm.forward_with(&x, Some((&h0, &c0)))?;
        close(dev, "output", &out, &[2, 5, 8], &LSTM_OUT);
        close(dev, "h_n", &h, &[4, 2, 4], &LSTM_H);
        close(dev, "c_n", &c, &[4, 2, 4], &LSTM_C);
        loss_of(&[&out, &h, &c])?.backward()?;
        grad_close(dev, "d input", &x, &[2, 5, 3], &LSTM_DX);
        grad_close(dev, "d h0", &h0, &[4, 2, 4], &LSTM_DH0);
        grad_close(dev, "d c0", &c0, &[4, 2, 4], &LSTM_DC0);
        grad_close(dev, "d weight_ih_l1", &param(&lstm, "weight_ih_l1"), &[16, 8], &LSTM_DW_IH_L1);
        grad_close(
            dev,
            "d weight_hh_l0_reverse",
            &param(&lstm, "weight_hh_l0_reverse"),
            &[16, 4],
            &LSTM_DW_HH_L0_REVERSE,
        );
        // `Module::forward` is the output from zero states.
        let zero = Var::constant(Tensor::zeros([4, 2, 4], DType::F64, dev)?);
        let from_zero = lstm.forward_with(&x, Some((&zero, &zero)))?.0;
        let y = lstm.forward(&x)?;
        assert_on(y.tensor_ref(), dev);
        assert_eq!(y.tensor().to_vec::<f64>()?, from_zero.tensor().to_vec::<f64>()?, "on {dev}");
    }
    Ok(())
}

#[test]
fn gru_two_layers_bidirectional_batch_first() -> Result<()> {
    for dev in &devices() {
        let gru = set_params(dev, GRU::new(3, 4, stacked(true, true), CPU)?);
        let x = Var::new(pat(dev, &[2, 5, 3], 0.0), true);
        let h0 = state(dev, &[4, 2, 4], 1.0);
        let (out, h) = gru.forward_with(&x, Some(&h0))?;
        close(dev, "output", &out, &[2, 5, 8], &GRU_OUT);
        close(dev, "h_n", &h, &[4, 2, 4], &GRU_H);
        loss_of(&[&out, &h])?.backward()?;
        grad_close(dev, "d input", &x, &[2, 5, 3], &GRU_DX);
        grad_close(dev, "d h0", &h0, &[4, 2, 4], &GRU_DH0);
        grad_close(
            dev,
            "d weight_hh_l1_reverse",
            &param(&gru, "weight_hh_l1_reverse"),
            &[12, 4],
            &GRU_DW_HH_L1_REVERSE,
        );
        grad_close(dev, "d bias_hh_l0", &param(&gru, "bias_hh_l0"), &[12], &GRU_DB_HH_L0);
    }
    Ok(())
}

#[test]
fn lstm_without_bias_and_gru_unbatched() -> Result<()> {
    for dev in &devices() {
        let lstm = set_params(dev, LSTM::new(3, 2, RnnConfig { bias: false, ..Default::default() }, CPU)?);
        let (out, (h, c)) = lstm.forward_with(&Var::constant(pat(dev, &[4, 3, 3], 6.0)), None)?;
        close(dev, "LSTM output", &out, &[4, 3, 2], &LSTM_NOBIAS_OUT);
        close(dev, "LSTM h_n", &h, &[1, 3, 2], &LSTM_NOBIAS_H);
        close(dev, "LSTM c_n", &c, &[1, 3, 2], &LSTM_NOBIAS_C);

        let gru = set_params(dev, GRU::new(3, 2, RnnConfig { num_layers: 2, ..Default::default() }, CPU)?);
        let (out, h) = gru.forward_with(&Var::constant(pat(dev, &[4, 3], 7.0)), Some(&state(dev, &[2, 2], 8.0)))?;
        close(dev, "GRU output", &out, &[4, 2], &GRU_UNBATCHED_OUT);
        close(dev, "GRU h_n", &h, &[2, 2], &GRU_UNBATCHED_H);
    }
    Ok(())
}

#[test]
fn rnn_relu_two_layers_and_tanh_without_bias() -> Result<()> {
    for dev in &devices() {
        let rnn = set_params(dev, RNN::with_nonlinearity(3, 4, RnnNonlinearity::ReLU, stacked(true, true), CPU)?);
        assert_eq!(rnn.nonlinearity(), RnnNonlinearity::ReLU);
        let x = Var::new(pat(dev, &[2, 5, 3], 0.0), true);
        let h0 = state(dev, &[4, 2, 4], 1.0);
        let (out, h) = rnn.forward_with(&x, Some(&h0))?;
        close(dev, "output", &out, &[2, 5, 8], &RNN_RELU_OUT);
        close(dev, "h_n", &h, &[4, 2, 4], &RNN_RELU_H);
        loss_of(&[&out, &h])?.backward()?;
        grad_close(dev, "d input", &x, &[2, 5, 3], &RNN_RELU_DX);
        grad_close(dev, "d h0", &h0, &[4, 2, 4], &RNN_RELU_DH0);
        grad_close(
            dev,
            "d weight_hh_l1_reverse",
            &param(&rnn, "weight_hh_l1_reverse"),
            &[4, 4],
            &RNN_RELU_DW_HH_L1_REVERSE,
        );

        let rnn = set_params(dev, RNN::new(3, 2, RnnConfig { bias: false, ..Default::default() }, CPU)?);
        let (out, h) = rnn.forward_with(&Var::constant(pat(dev, &[4, 3, 3], 6.0)), None)?;
        close(dev, "tanh output", &out, &[4, 3, 2], &RNN_TANH_NOBIAS_OUT);
        close(dev, "tanh h_n", &h, &[1, 3, 2], &RNN_TANH_NOBIAS_H);
    }
    Ok(())
}

#[test]
fn dropout_between_layers() -> Result<()> {
    for dev in &devices() {
        let config = RnnConfig { num_layers: 2, dropout: 1.0, ..Default::default() };
        let mut lstm = set_params(dev, LSTM::new(3, 2, config, CPU)?);
        let x = Var::constant(pat(dev, &[4, 3, 3], 6.0));
        // Training with p = 1: the second layer reads zeros, as PyTorch's.
        let (out, (h, _)) = lstm.forward_with(&x, None)?;
        close(dev, "output", &out, &[4, 3, 2], &LSTM_DROPOUT1_OUT);
        close(dev, "h_n", &h, &[2, 3, 2], &LSTM_DROPOUT1_H);
        // Evaluation: no dropout, the output of the same weights with dropout 0.
        lstm.eval();
        let plain = set_params(dev, LSTM::new(3, 2, RnnConfig { num_layers: 2, ..Default::default() }, CPU)?);
        assert_eq!(
            lstm.forward(&x)?.tensor().to_vec::<f64>()?,
            plain.forward(&x)?.tensor().to_vec::<f64>()?,
            "on {dev}"
        );
    }
    Ok(())
}

#[test]
fn lstm_cell_and_gru_cell() -> Result<()> {
    for dev in &devices() {
        let cell = set_params(dev, LSTMCell::new(3, 4, true, CPU)?);
        let x = Var::new(pat(dev, &[2, 3], 3.0), true);
        let (hx, cx) = (state(dev, &[2, 4], 4.0), state(dev, &[2, 4], 5.0));
        let (h, c) = cell.forward_with(&x, Some((&hx, &cx)))?;
        close(dev, "LSTMCell h", &h, &[2, 4], &LSTMCELL_H);
        close(dev, "LSTMCell c", &c, &[2, 4], &LSTMCELL_C);
        loss_of(&[&h, &c])?.backward()?;
        grad_close(dev, "LSTMCell d input", &x, &[2, 3], &LSTMCELL_DX);
        grad_close(dev, "LSTMCell d cx", &cx, &[2, 4], &LSTMCELL_DCX);
        grad_close(dev, "LSTMCell d weight_hh", &cell.weight_hh, &[16, 4], &LSTMCELL_DW_HH);
        let (h, c) = cell.forward_with(&Var::constant(pat(dev, &[3], 9.0)), None)?;
        close(dev, "LSTMCell unbatched h", &h, &[4], &LSTMCELL_UNBATCHED_H);
        close(dev, "LSTMCell unbatched c", &c, &[4], &LSTMCELL_UNBATCHED_C);

        let cell = set_params(dev, GRUCell::new(3, 4, true, CPU)?);
        let x = Var::new(pat(dev, &[2, 3], 3.0), true);
        let hx = state(dev, &[2, 4], 4.0);
        let h = cell.forward_with(&x, Some(&hx))?;
        close(dev, "GRUCell h", &h, &[2, 4], &GRUCELL_H);
        loss_of(&[&h])?.backward()?;
        grad_close(dev, "GRUCell d input", &x, &[2, 3], &GRUCELL_DX);
        grad_close(dev, "GRUCell d hx", &hx, &[2, 4], &GRUCELL_DHX);
        grad_close(dev, "GRUCell d bias_hh", cell.bias_hh.as_ref().unwrap(), &[12], &GRUCELL_DB_HH);
        close(
            dev,
            "GRUCell unbatched",
            &cell.forward(&Var::constant(pat(dev, &[3], 9.0)))?,
            &[4],
            &GRUCELL_UNBATCHED_H,
        );

        let cell = set_params(dev, RNNCell::new(3, 4, true, CPU)?);
        let x = Var::new(pat(dev, &[2, 3], 3.0), true);
        let h = cell.forward_with(&x, Some(&state(dev, &[2, 4], 4.0)))?;
        close(dev, "RNNCell h", &h, &[2, 4], &RNNCELL_H);
        loss_of(&[&h])?.backward()?;
        grad_close(dev, "RNNCell d input", &x, &[2, 3], &RNNCELL_DX);
        grad_close(dev, "RNNCell d weight_ih", &cell.weight_ih, &[4, 3], &RNNCELL_DW_IH);
        let cell = set_params(dev, RNNCell::with_nonlinearity(3, 4, true, RnnNonlinearity::ReLU, CPU)?);
        close(
            dev,
            "RNNCell relu unbatched",
            &cell.forward(&Var::constant(pat(dev, &[3], 9.0)))?,
            &[4],
            &RNNCELL_RELU_UNBATCHED_H,
        );
    }
    Ok(())
}

fn names_and_shapes<M: Module>(m: &M) -> String {
    m.named_parameters().iter().map(|(n, p)| format!("{n} {:?}", p.size())).collect::<Vec<_>>().join(", ")
}

#[test]
fn pytorch_names_shapes_and_init() -> Result<()> {
    for dev in &devices() {
        // The `//` lines that nn_rnn.py prints; the layers built on the device draw their init there.
        let lstm = LSTM::new(3, 4, stacked(true, true), dev)?;
        assert_eq!(
            names_and_shapes(&lstm),
            "weight_ih_l0 [16, 3], weight_hh_l0 [16, 4], bias_ih_l0 [16], bias_hh_l0 [16], weight_ih_l0_reverse [16, 3], \
             weight_hh_l0_reverse [16, 4], bias_ih_l0_reverse [16], bias_hh_l0_reverse [16], weight_ih_l1 [16, 8], \
             weight_hh_l1 [16, 4], bias_ih_l1 [16], bias_hh_l1 [16], weight_ih_l1_reverse [16, 8], weight_hh_l1_reverse \
             [16, 4], bias_ih_l1_reverse [16], bias_hh_l1_reverse [16]"
        );
        assert_eq!(
            names_and_shapes(&GRU::new(3, 4, stacked(true, true), dev)?),
            "weight_ih_l0 [12, 3], weight_hh_l0 [12, 4], bias_ih_l0 [12], bias_hh_l0 [12], weight_ih_l0_reverse [12, 3], \
             weight_hh_l0_reverse [12, 4], bias_ih_l0_reverse [12], bias_hh_l0_reverse [12], weight_ih_l1 [12, 8], \
             weight_hh_l1 [12, 4], bias_ih_l1 [12], bias_hh_l1 [12], weight_ih_l1_reverse [12, 8], weight_hh_l1_reverse \
             [12, 4], bias_ih_l1_reverse [12], bias_hh_l1_reverse [12]"
        );
        assert_eq!(
            names_and_shapes(&RNN::new(3, 4, stacked(true, true), dev)?),
            "weight_ih_l0 [4, 3], weight_hh_l0 [4, 4], bias_ih_l0 [4], bias_hh_l0 [4], weight_ih_l0_reverse [4, 3], \
             weight_hh_l0_reverse [4, 4], bias_ih_l0_reverse [4], bias_hh_l0_reverse [4], weight_ih_l1 [4, 8], \
             weight_hh_l1 [4, 4], bias_ih_l1 [4], bias_hh_l1 [4], weight_ih_l1_reverse [4, 8], weight_hh_l1_reverse \
             [4, 4], bias_ih_l1_reverse [4], bias_hh_l1_reverse [4]"
        );
        assert_eq!(
            names_and_shapes(&LSTM::new(3, 2, RnnConfig { bias: false, ..Default::default() }, dev)?),
            "weight_ih_l0 [8, 3], weight_hh_l0 [8, 2]"
        );
        assert_eq!(
            names_and_shapes(&LSTMCell::new(3, 4, true, dev)?),
            "weight_ih [16, 3], weight_hh [16, 4], bias_ih [16], bias_hh [16]"
        );
        assert_eq!(names_and_shapes(&GRUCell::new(3, 4, false, dev)?), "weight_ih [12, 3], weight_hh [12, 4]");
        assert_eq!(names_and_shapes(&RNNCell::new(3, 4, false, dev)?), "weight_ih [4, 3], weight_hh [4, 4]");
        // PyTorch's init: every parameter from U(±1/√hidden_size), float32.
        for (name, p) in lstm.named_parameters() {
            let t = p.tensor();
            assert_on(&t, dev);
            assert_eq!(t.dtype(), DType::F32, "{name} on {dev}");
            let v = t.to_dtype(DType::F64)?.to_vec::<f64>()?;
            assert!(v.iter().all(|x| x.abs() <= 0.5), "{name} on {dev}: {v:?}");
            assert!(v.iter().any(|x| x.abs() > 0.25), "{name} on {dev} does not spread over the bound: {v:?}");
        }
    }
    Ok(())
}

#[test]
fn loads_pytorch_state_dict() -> Result<()> {
    // The LSTM of `lstm_two_layers_bidirectional_batch_first`, saved by PyTorch in float32. The
    // file is read on the CPU; `load_state_dict` copies it into a layer on each device.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lstm_2x_bidir.safetensors");
    let state = tensor_nn::load_safetensors(&path, CPU)?;
    for dev in &devices() {
        let mut lstm = LSTM::new(3, 4, stacked(true, true), dev)?;
        lstm.load_state_dict(&state, true)?;
        assert_eq!(lstm.state_dict().keys().collect::<Vec<_>>(), state.keys().collect::<Vec<_>>());
        for t in lstm.state_dict().values() {
            assert_on(t, dev);
        }
        let f32s = |t: Tensor| Var::constant(t.to_dtype(DType::F32).unwrap());
        let (h0, c0) = (f32s(pat(dev, &[4, 2, 4], 1.0).mul(0.5)?), f32s(pat(dev, &[4, 2, 4], 2.0).mul(0.5)?));
        let (out, (h, c)) = lstm.forward_with(&f32s(pat(dev, &[2, 5, 3], 0.0)), Some((&h0, &c0)))?;
        close_tol(dev, "output", &out.tensor(), &[2, 5, 8], &LSTM_OUT, 1e-5);
        close_tol(dev, "h_n", &h.tensor(), &[4, 2, 4], &LSTM_H, 1e-5);
        close_tol(dev, "c_n", &c.tensor(), &[4, 2, 4], &LSTM_C, 1e-5);
        // A GRU does not take an LSTM's state dict (its gates are 3, not 4).
        assert!(GRU::new(3, 4, stacked(true, true), dev)?.load_state_dict(&state, true).is_err(), "on {dev}");
    }
    Ok(())
}

/// The error's `op: message`, without the location.
fn err_msg<T: std::fmt::Debug>(r: Result<T>) -> String {
    let e = r.unwrap_err();
    format!("{}: {}", e.op(), e.message())
}

#[test]
fn errors() -> Result<()> {
    for dev in &devices() {
        // Constructor checks, as PyTorch's.
        let e = err_msg(LSTM::new(3, 4, RnnConfig { dropout: 1.5, ..Default::default() }, dev));
        assert!(e.contains("dropout should be a number in range [0, 1]"), "on {dev}: {e}");
        assert!(
            err_msg(GRU::new(3, 0, RnnConfig::default(), dev)).contains("hidden_size must be greater than zero"),
            "on {dev}"
        );
        assert!(
            err_msg(GRU::new(0, 2, RnnConfig::default(), dev)).contains("input_size must be greater than zero"),
            "on {dev}"
        );
        let e = err_msg(LSTM::new(3, 4, RnnConfig { num_layers: 0, ..Default::default() }, dev));
        assert!(e.contains("num_layers must be greater than zero"), "on {dev}: {e}");

        let lstm = set_params(dev, LSTM::new(3, 4, stacked(true, false), CPU)?);
        let x = Var::constant(pat(dev, &[5, 2, 3], 0.0));
        let (h0, c0) = (state(dev, &[4, 2, 4], 1.0), state(dev, &[4, 2, 4], 2.0));
        let e = err_msg(lstm.forward_with(&Var::constant(pat(dev, &[5, 2, 2], 0.0)), None));
        assert_eq!(e, "LSTM: input.size(-1) must be equal to input_size. Expected 3, got 2", "on {dev}");
        let e = err_msg(lstm.forward_with(&x, Some((&state(dev, &[2, 2, 4], 1.0), &c0))));
        assert_eq!(e, "LSTM: Expected hidden[0] size (4, 2, 4), got [2, 2, 4]", "on {dev}");
        let e = err_msg(lstm.forward_with(&x, Some((&h0, &state(dev, &[4, 3, 4], 1.0)))));
        assert_eq!(e, "LSTM: Expected hidden[1] size (4, 2, 4), got [4, 3, 4]", "on {dev}");
        let e = err_msg(lstm.forward_with(&x, Some((&state(dev, &[4, 4], 1.0), &c0))));
        assert_eq!(
            e, "LSTM: For batched 3-D input, hx and cx should also be 3-D but got (2-D, 3-D) tensors",
            "on {dev}"
        );
        let e = err_msg(lstm.forward_with(&Var::constant(pat(dev, &[1, 5, 2, 3], 0.0)), None));
        assert_eq!(e, "LSTM: Expected input to be 2D or 3D, got 4D instead", "on {dev}");
        let e = err_msg(lstm.forward_with(&Var::constant(Tensor::zeros([0, 2, 3], DType::F64, dev)?), None));
        assert!(e.contains("Expected sequence length to be larger than 0"), "on {dev}: {e}");
        let e = err_msg(lstm.forward_with(&Var::constant(pat(dev, &[5, 2, 3], 0.0).to_dtype(DType::F32)?), None));
        assert!(e.contains("does not match weight dtype"), "on {dev}: {e}");
        let e = err_msg(lstm.forward_with(&x, Some((&Var::constant(h0.tensor().to_dtype(DType::F32)?), &c0))));
        assert!(e.contains("input and hidden tensors are not the same dtype"), "on {dev}: {e}");

        let gru = set_params(dev, GRU::new(3, 4, RnnConfig::default(), CPU)?);
        let e = err_msg(gru.forward_with(&x, Some(&state(dev, &[1, 3, 4], 1.0))));
        assert_eq!(e, "GRU: Expected hidden size (1, 2, 4), got [1, 3, 4]", "on {dev}");
        let e = err_msg(gru.forward_with(&Var::constant(pat(dev, &[5, 3], 0.0)), Some(&state(dev, &[1, 1, 4], 1.0))));
        assert_eq!(e, "GRU: For unbatched 2-D input, hx should also be 2-D but got 3-D tensor", "on {dev}");

        let cell = set_params(dev, LSTMCell::new(3, 4, true, CPU)?);
        let e = err_msg(cell.forward_with(&Var::constant(pat(dev, &[2, 2], 0.0)), None));
        assert_eq!(e, "LSTMCell: input has inconsistent input_size: got 2 expected 3", "on {dev}");
        let (h, c) = (state(dev, &[2, 4], 1.0), state(dev, &[2, 4], 2.0));
        let e = err_msg(cell.forward_with(&Var::constant(pat(dev, &[3, 3], 0.0)), Some((&h, &c))));
        assert_eq!(e, "LSTMCell: Input batch size 3 doesn't match hidden0 batch size 2", "on {dev}");
        let e =
            err_msg(cell.forward_with(&Var::constant(pat(dev, &[2, 3], 0.0)), Some((&h, &state(dev, &[2, 5], 1.0)))));
        assert_eq!(e, "LSTMCell: hidden1 has inconsistent hidden_size: got 5, expected 4", "on {dev}");
        let gru_cell = set_params(dev, GRUCell::new(3, 4, true, CPU)?);
        let e = err_msg(gru_cell.forward_with(&Var::constant(pat(dev, &[1, 2, 3], 0.0)), None));
        assert_eq!(e, "GRUCell: Expected input to be 1D or 2D, got 3D instead", "on {dev}");
        assert!(
            gru_cell.forward_with(&Var::constant(pat(dev, &[3], 0.0)), Some(&state(dev, &[1, 4], 1.0))).is_err(),
            "on {dev}"
        );
        let rnn = set_params(dev, RNN::new(3, 4, RnnConfig::default(), CPU)?);
        let e = err_msg(rnn.forward_with(&Var::constant(pat(dev, &[1, 5, 2, 3], 0.0)), None));
        assert_eq!(e, "RNN: Expected input to be 2D or 3D, got 4D tensor instead", "on {dev}");
        let e = err_msg(
            set_params(dev, RNNCell::new(3, 4, true, CPU)?).forward_with(&Var::constant(pat(dev, &[2, 4], 0.0)), None),
        );
        assert_eq!(e, "RNNCell: input has inconsistent input_size: got 4 expected 3", "on {dev}");
        let e = err_msg(gru_cell.forward_with(&Var::constant(pat(dev, &[2, 3], 0.0).to_dtype(DType::F32)?), None));
        assert!(e.contains("does not match weight dtype"), "on {dev}: {e}");
    }
    Ok(())
}

/// On the GPU against the CPU (with the `cuda` feature; skipped without a GPU): the four layers
/// with the weights above, in float32 (which the PyTorch literals above do not cover) and
/// float64, their outputs, final states and the gradients of the script's loss for the input,
/// the initial states and every parameter.
#[cfg(feature = "cuda")]
#[test]
fn cuda_matches_cpu() -> Result<()> {
    use tensor_nn::cuda::testing::{assert_close, cuda_or_skip};
    let Some(gpu) = cuda_or_skip() else { return Ok(()) };
    type Run<M> = fn(&M, &[Var]) -> Result<Vec<Var>>;
    fn check<M: Module + Clone>(
        what: &str,
        gpu: &Device,
        m: &M,
        inputs: &[(&[usize], f64)],
        run: Run<M>,
    ) -> Result<()> {
        for dtype in [DType::F32, DType::F64] {
            let (tol, what) =
                if dtype == DType::F32 { (1e-4, format!("{what} f32")) } else { (1e-9, format!("{what} f64")) };
            let mut mc = m.clone();
            mc.to_dtype(dtype)?;
            let mut mg = mc.clone();
            mg.to_device(gpu)?;
            let leaves = |d: &Device| -> Result<Vec<Var>> {
                inputs
                    .iter()
                    .map(|&(s, k)| Ok(Var::new(pat(CPU, s, k).mul(0.5)?.to_dtype(dtype)?.to_device(d)?, true)))
                    .collect()
            };
            let (xc, xg) = (leaves(CPU)?, leaves(gpu)?);
            let (oc, og) = (run(&mc, &xc)?, run(&mg, &xg)?);
            for (k, (a, b)) in oc.iter().zip(&og).enumerate() {
                assert_close(&format!("{what}: output {k}"), a.tensor_ref(), b.tensor_ref(), tol, tol);
            }
            let loss = |outs: &[Var]| -> Result<Var> {
                let mut total = outs[0].mul(0.0)?.sum()?;
                for (k, o) in outs.iter().enumerate() {
                    let w = pat(CPU, o.size(), 10.0 + k as f64).to_dtype(dtype)?.to_device(o.device())?;
                    total = total.add(&o.mul(&w)?.sum()?)?;
                }
                Ok(total)
            };
            loss(&oc)?.backward()?;
            loss(&og)?.backward()?;
            let grads = |xs: &[Var], m: &M| -> Vec<(String, Tensor)> {
                let inputs = xs.iter().enumerate().map(|(i, x)| (format!("input {i}"), x.grad().unwrap()));
                inputs.chain(m.named_parameters().into_iter().map(|(n, p)| (n, p.grad().unwrap()))).collect()
            };
            for ((name, a), (_, b)) in grads(&xc, &mc).iter().zip(&grads(&xg, &mg)) {
                assert_close(&format!("{what}: grad of {name}"), a, b, tol, tol);
            }
        }
        Ok(())
    }
    let lstm = set_params(CPU, LSTM::new(3, 4, stacked(true, true), CPU)?);
    check("LSTM", &gpu, &lstm, &[(&[2, 5, 3], 0.0), (&[4, 2, 4], 1.0), (&[4, 2, 4], 2.0)], |m, v| {
        let (out, (h, c)) = m.forward_with(&v[0], Some((&v[1], &v[2])))?;
        Ok(vec![out, h, c])
    })?;
    let gru = set_params(CPU, GRU::new(3, 4, stacked(true, false), CPU)?);
    check("GRU", &gpu, &gru, &[(&[5, 2, 3], 0.0), (&[4, 2, 4], 1.0)], |m, v| {
        let (out, h) = m.forward_with(&v[0], Some(&v[1]))?;
        Ok(vec![out, h])
    })?;
    let cell = set_params(CPU, LSTMCell::new(3, 4, true, CPU)?);
    check("LSTMCell", &gpu, &cell, &[(&[2, 3], 3.0), (&[2, 4], 4.0), (&[2, 4], 5.0)], |m, v| {
        let (h, c) = m.forward_with(&v[0], Some((&v[1], &v[2])))?;
        Ok(vec![h, c])
    })?;
    let rnn = set_params(CPU, RNN::with_nonlinearity(3, 4, RnnNonlinearity::ReLU, stacked(true, true), CPU)?);
    check("RNN", &gpu, &rnn, &[(&[2, 5, 3], 0.0), (&[4, 2, 4], 1.0)], |m, v| {
        let (out, h) = m.forward_with(&v[0], Some(&v[1]))?;
        Ok(vec![out, h])
    })?;
    let cell = set_params(CPU, RNNCell::new(3, 4, true, CPU)?);
    check("RNNCell", &gpu, &cell, &[(&[2, 3], 3.0), (&[2, 4], 4.0)], |m, v| {
        Ok(vec![m.forward_with(&v[0], Some(&v[1]))?])
    })?;
    let cell = set_params(CPU, GRUCell::new(3, 4, true, CPU)?);
    check("GRUCell", &gpu, &cell, &[(&[2, 3], 3.0), (&[2, 4], 4.0)], |m, v| {
        Ok(vec![m.forward_with(&v[0], Some(&v[1]))?])
    })
}
