"""The PyTorch values that crates/tensor-nn/tests/rnn.rs checks (torch 2.15, CPU, float64), and
crates/tensor-nn/tests/fixtures/lstm_2x_bidir.safetensors (float32).

Run from the repository root:
    ~/.cache/torch-venv/bin/python scripts/pytorch/nn_rnn.py [--write-fixture]

Inputs and parameters are formulas of the flat (row-major) element index i, so the Rust test
builds the same tensors:
  pat(shape, k)[i] = sin(0.7 i + k)                      (inputs, states, loss weights)
  param(shape, j)[i] = 0.5 sin(0.3 i + j)                 (the j-th of named_parameters())
Prints the Rust constants of tests/rnn/literals.rs and, as `//` lines, the names and shapes of named_parameters().
"""
import math
import sys

import torch

torch.set_printoptions(precision=17)
D = torch.float64


def pat(shape, k):
    n = math.prod(shape)
    return torch.tensor([math.sin(0.7 * i + k) for i in range(n)], dtype=D).reshape(shape)


def set_params(m):
    with torch.no_grad():
        for j, (_, p) in enumerate(m.named_parameters()):
            n = p.numel()
            p.copy_(torch.tensor([0.5 * math.sin(0.3 * i + j) for i in range(n)], dtype=D).reshape(p.shape))
    return m


def lit(name, t):
    """A `pub const` of tests/rnn/literals.rs, wrapped at 120 columns (that file is not rustfmt'd)."""
    vals = [repr(float(v)) + "," for v in t.detach().reshape(-1)]
    lines, line = [], "   "
    for v in vals:
        if len(line) + 1 + len(v) > 120:
            lines.append(line)
            line = "   "
        line += " " + v
    lines.append(line)
    print(f"/// shape {list(t.shape)}")
    print(f"pub const {name}: [f64; {t.numel()}] = [")
    print("\n".join(lines))
    print("];")


def loss_of(outs):
    """sum(out_k * pat(out_k.shape, 10 + k)) over the outputs."""
    return sum((o * pat(list(o.shape), 10.0 + k)).sum() for k, o in enumerate(outs))


def names(m):
    print("// " + ", ".join(f"{n} {list(p.shape)}" for n, p in m.named_parameters()))


# LSTM(3, 4, num_layers=2, bidirectional, batch_first) from (h0, c0), input [N=2, L=5, 3].
lstm = set_params(torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True, dtype=D))
names(lstm)
x = pat([2, 5, 3], 0.0).requires_grad_()
h0 = (pat([4, 2, 4], 1.0) * 0.5).requires_grad_()
c0 = (pat([4, 2, 4], 2.0) * 0.5).requires_grad_()
out, (h, c) = lstm(x, (h0, c0))
loss_of([out, h, c]).backward()
lit("LSTM_OUT", out)
lit("LSTM_H", h)
lit("LSTM_C", c)
lit("LSTM_DX", x.grad)
lit("LSTM_DH0", h0.grad)
lit("LSTM_DC0", c0.grad)
lit("LSTM_DW_IH_L1", lstm.weight_ih_l1.grad)
lit("LSTM_DW_HH_L0_REVERSE", lstm.weight_hh_l0_reverse.grad)

if "--write-fixture" in sys.argv:
    from safetensors.torch import save_file

    state = {k: v.to(torch.float32).contiguous() for k, v in lstm.state_dict().items()}
    save_file(state, "crates/tensor-nn/tests/fixtures/lstm_2x_bidir.safetensors")

# GRU(3, 4, num_layers=2, bidirectional, batch_first) from h0, input [N=2, L=5, 3].
gru = set_params(torch.nn.GRU(3, 4, num_layers=2, bidirectional=True, batch_first=True, dtype=D))
names(gru)
x = pat([2, 5, 3], 0.0).requires_grad_()
h0 = (pat([4, 2, 4], 1.0) * 0.5).requires_grad_()
out, h = gru(x, h0)
loss_of([out, h]).backward()
lit("GRU_OUT", out)
lit("GRU_H", h)
lit("GRU_DX", x.grad)
lit("GRU_DH0", h0.grad)
lit("GRU_DW_HH_L1_REVERSE", gru.weight_hh_l1_reverse.grad)
lit("GRU_DB_HH_L0", gru.bias_hh_l0.grad)

# LSTM(3, 2, bias=False), sequence-first [L=4, N=3, 3], zero states.
m = set_params(torch.nn.LSTM(3, 2, bias=False, dtype=D))
names(m)
out, (h, c) = m(pat([4, 3, 3], 6.0))
lit("LSTM_NOBIAS_OUT", out)
lit("LSTM_NOBIAS_H", h)
lit("LSTM_NOBIAS_C", c)

# GRU(3, 2, num_layers=2), unbatched [L=4, 3] from h0 [2, 2].
m = set_params(torch.nn.GRU(3, 2, num_layers=2, dtype=D))
out, h = m(pat([4, 3], 7.0), pat([2, 2], 8.0) * 0.5)
lit("GRU_UNBATCHED_OUT", out)
lit("GRU_UNBATCHED_H", h)

# LSTM(3, 2, num_layers=2, dropout=1) in training: the second layer reads zeros.
m = set_params(torch.nn.LSTM(3, 2, num_layers=2, dropout=1.0, dtype=D)).train()
out, (h, c) = m(pat([4, 3, 3], 6.0))
lit("LSTM_DROPOUT1_OUT", out)
lit("LSTM_DROPOUT1_H", h)

# LSTMCell(3, 4) and GRUCell(3, 4) from given states, input [2, 3]; and unbatched, zero states.
cell = set_params(torch.nn.LSTMCell(3, 4, dtype=D))
names(cell)
x = pat([2, 3], 3.0).requires_grad_()
hx = (pat([2, 4], 4.0) * 0.5).requires_grad_()
cx = (pat([2, 4], 5.0) * 0.5).requires_grad_()
h, c = cell(x, (hx, cx))
loss_of([h, c]).backward()
lit("LSTMCELL_H", h)
lit("LSTMCELL_C", c)
lit("LSTMCELL_DX", x.grad)
lit("LSTMCELL_DCX", cx.grad)
lit("LSTMCELL_DW_HH", cell.weight_hh.grad)
h, c = cell(pat([3], 9.0))
lit("LSTMCELL_UNBATCHED_H", h)
lit("LSTMCELL_UNBATCHED_C", c)

cell = set_params(torch.nn.GRUCell(3, 4, dtype=D))
x = pat([2, 3], 3.0).requires_grad_()
hx = (pat([2, 4], 4.0) * 0.5).requires_grad_()
h = cell(x, hx)
loss_of([h]).backward()
lit("GRUCELL_H", h)
lit("GRUCELL_DX", x.grad)
lit("GRUCELL_DHX", hx.grad)
lit("GRUCELL_DB_HH", cell.bias_hh.grad)
lit("GRUCELL_UNBATCHED_H", cell(pat([3], 9.0)))

# RNN(3, 4, num_layers=2, nonlinearity='relu', bidirectional, batch_first) from h0, input [2, 5, 3];
# RNN(3, 2) (tanh) without bias, sequence-first, zero state.
rnn = set_params(torch.nn.RNN(3, 4, num_layers=2, nonlinearity="relu", bidirectional=True, batch_first=True, dtype=D))
names(rnn)
x = pat([2, 5, 3], 0.0).requires_grad_()
h0 = (pat([4, 2, 4], 1.0) * 0.5).requires_grad_()
out, h = rnn(x, h0)
loss_of([out, h]).backward()
lit("RNN_RELU_OUT", out)
lit("RNN_RELU_H", h)
lit("RNN_RELU_DX", x.grad)
lit("RNN_RELU_DH0", h0.grad)
lit("RNN_RELU_DW_HH_L1_REVERSE", rnn.weight_hh_l1_reverse.grad)
m = set_params(torch.nn.RNN(3, 2, bias=False, dtype=D))
out, h = m(pat([4, 3, 3], 6.0))
lit("RNN_TANH_NOBIAS_OUT", out)
lit("RNN_TANH_NOBIAS_H", h)

# RNNCell(3, 4) (tanh) from hx, input [2, 3]; with nonlinearity='relu', unbatched, zero state.
cell = set_params(torch.nn.RNNCell(3, 4, dtype=D))
x = pat([2, 3], 3.0).requires_grad_()
hx = (pat([2, 4], 4.0) * 0.5).requires_grad_()
h = cell(x, hx)
loss_of([h]).backward()
lit("RNNCELL_H", h)
lit("RNNCELL_DX", x.grad)
lit("RNNCELL_DW_IH", cell.weight_ih.grad)
cell = set_params(torch.nn.RNNCell(3, 4, nonlinearity="relu", dtype=D))
lit("RNNCELL_RELU_UNBATCHED_H", cell(pat([3], 9.0)))
