//! gradcheck of the six recurrent modules (float64, on every device: `common::gradcheck_on`):
//! the cells through every input and parameter, the layers through the input, the states and
//! one layer's weights.

use super::{pat, set_params, stacked};
use tensor_autograd::Var;
use tensor_core::{Device, Result, Tensor};
use tensor_nn::{GRUCell, LSTMCell, RNNCell, GRU, LSTM, RNN};

use crate::common::{devices, gradcheck_on, CPU};

/// `pat(shape, k) · 0.5` in float64 on `dev`, a gradcheck input.
fn g(dev: &Device, shape: &[usize], k: f64) -> Tensor {
    pat(dev, shape, k).mul(0.5).unwrap()
}

#[test]
fn gradcheck_cells() -> Result<()> {
    for dev in &devices() {
        // Every parameter is replaced by a gradcheck input: the cells are built on the device.
        let lstm = LSTMCell::new(2, 2, true, dev)?;
        gradcheck_on(
            |v| {
                let mut cell = lstm.clone();
                (cell.weight_ih, cell.weight_hh) = (v[3].clone(), v[4].clone());
                (cell.bias_ih, cell.bias_hh) = (Some(v[5].clone()), Some(v[6].clone()));
                let (h, c) = cell.forward_with(&v[0], Some((&v[1], &v[2])))?;
                Var::cat(&[&h, &c], 1)
            },
            &[
                g(dev, &[2, 2], 0.0),
                g(dev, &[2, 2], 1.0),
                g(dev, &[2, 2], 2.0),
                g(dev, &[8, 2], 3.0),
                g(dev, &[8, 2], 4.0),
                g(dev, &[8], 5.0),
                g(dev, &[8], 6.0),
            ],
        )?;
        let gru = GRUCell::new(2, 2, true, dev)?;
        gradcheck_on(
            |v| {
                let mut cell = gru.clone();
                (cell.weight_ih, cell.weight_hh) = (v[2].clone(), v[3].clone());
                (cell.bias_ih, cell.bias_hh) = (Some(v[4].clone()), Some(v[5].clone()));
                cell.forward_with(&v[0], Some(&v[1]))
            },
            &[
                g(dev, &[2, 2], 0.0),
                g(dev, &[2, 2], 1.0),
                g(dev, &[6, 2], 3.0),
                g(dev, &[6, 2], 4.0),
                g(dev, &[6], 5.0),
                g(dev, &[6], 6.0),
            ],
        )?;
        let rnn = RNNCell::new(2, 3, true, dev)?;
        gradcheck_on(
            |v| {
                let mut cell = rnn.clone();
                (cell.weight_ih, cell.weight_hh) = (v[2].clone(), v[3].clone());
                (cell.bias_ih, cell.bias_hh) = (Some(v[4].clone()), Some(v[5].clone()));
                cell.forward_with(&v[0], Some(&v[1]))
            },
            &[
                g(dev, &[2, 2], 0.0),
                g(dev, &[2, 3], 1.0),
                g(dev, &[3, 2], 3.0),
                g(dev, &[3, 3], 4.0),
                g(dev, &[3], 5.0),
                g(dev, &[3], 6.0),
            ],
        )?;
    }
    Ok(())
}

#[test]
fn gradcheck_layers() -> Result<()> {
    for dev in &devices() {
        // Two bidirectional layers: through the input, the states and the last layer's reverse
        // weights (which read both directions of the first layer).
        let lstm = set_params(dev, LSTM::new(2, 2, stacked(true, false), CPU)?);
        gradcheck_on(
            |v| {
                let mut m = lstm.clone();
                (m.weights[3].weight_ih, m.weights[3].weight_hh) = (v[3].clone(), v[4].clone());
                (m.weights[3].bias_ih, m.weights[3].bias_hh) = (Some(v[5].clone()), Some(v[6].clone()));
                let (out, (h, c)) = m.forward_with(&v[0], Some((&v[1], &v[2])))?;
                Var::cat(&[&out.flatten(0, -1)?, &h.flatten(0, -1)?, &c.flatten(0, -1)?], 0)
            },
            &[
                g(dev, &[3, 2, 2], 0.0),
                g(dev, &[4, 2, 2], 1.0),
                g(dev, &[4, 2, 2], 2.0),
                g(dev, &[8, 4], 3.0),
                g(dev, &[8, 2], 4.0),
                g(dev, &[8], 5.0),
                g(dev, &[8], 6.0),
            ],
        )?;
        let gru = set_params(dev, GRU::new(2, 2, stacked(true, true), CPU)?);
        gradcheck_on(
            |v| {
                let mut m = gru.clone();
                (m.weights[3].weight_ih, m.weights[3].weight_hh) = (v[2].clone(), v[3].clone());
                (m.weights[3].bias_ih, m.weights[3].bias_hh) = (Some(v[4].clone()), Some(v[5].clone()));
                let (out, h) = m.forward_with(&v[0], Some(&v[1]))?;
                Var::cat(&[&out.flatten(0, -1)?, &h.flatten(0, -1)?], 0)
            },
            &[
                g(dev, &[2, 3, 2], 0.0),
                g(dev, &[4, 2, 2], 1.0),
                g(dev, &[6, 4], 3.0),
                g(dev, &[6, 2], 4.0),
                g(dev, &[6], 5.0),
                g(dev, &[6], 6.0),
            ],
        )?;
        // Through the first layer's weights of a unidirectional tanh RNN, unbatched.
        let rnn = set_params(dev, RNN::new(2, 3, stacked(false, false), CPU)?);
        gradcheck_on(
            |v| {
                let mut m = rnn.clone();
                (m.weights[0].weight_ih, m.weights[0].weight_hh) = (v[2].clone(), v[3].clone());
                (m.weights[0].bias_ih, m.weights[0].bias_hh) = (Some(v[4].clone()), Some(v[5].clone()));
                let (out, h) = m.forward_with(&v[0], Some(&v[1]))?;
                Var::cat(&[&out.flatten(0, -1)?, &h.flatten(0, -1)?], 0)
            },
            &[
                g(dev, &[4, 2], 0.0),
                g(dev, &[2, 3], 1.0),
                g(dev, &[3, 2], 3.0),
                g(dev, &[3, 3], 4.0),
                g(dev, &[3], 5.0),
                g(dev, &[3], 6.0),
            ],
        )?;
    }
    Ok(())
}
