"""Reference values for crates/tensor-nn/tests/layers.rs.

Run:  $(sh ../shared/bench/setup-torch.sh) scripts/pytorch/nn_layers.py
(from the repository root; PyTorch 2.15 CPU produced the literals committed in the test).
It prints Rust `const` items that are pasted into the test unchanged (rustfmt only rewraps the lines).

Every input and parameter is `pattern(shape, seed)` (or `distinct(shape, seed)` where ties
would matter, as in max pooling): multiples of 1/8 or 1/16, exact in float32, which the test
builds with the same formula. Layers run in float32, as PyTorch's defaults; each constant is
the flattened output (shape in the comment), printed as the float64 of each float32.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


def pattern(shape, seed):
    n = 1
    for d in shape:
        n *= d
    vals = [(((i * 37 + seed * 11) % 23) - 11) / 8 for i in range(n)]
    return torch.tensor(vals, dtype=torch.float32).reshape(shape)


def distinct(shape, seed):
    """A permutation of (k - n/2) / 16, k < n: no two elements equal (n must not divide by 7919)."""
    n = 1
    for d in shape:
        n *= d
    assert n % 7919 != 0
    vals = [((((i + seed) * 7919) % n) - n // 2) / 16 for i in range(n)]
    return torch.tensor(vals, dtype=torch.float32).reshape(shape)


def rust_f64(x):
    r = repr(float(x))
    if "e" not in r and "." not in r and "inf" not in r and "nan" not in r:
        r += ".0"
    return r


def emit(name, t):
    t = t.detach()
    vals = t.flatten().tolist()
    print(f"/// shape {list(t.shape)}")
    print(f"const {name}: [f64; {len(vals)}] = [" + ", ".join(rust_f64(v) for v in vals) + "];")


torch.manual_seed(0)  # nothing below is random except Dropout, which is not printed

# ---- Linear ----
lin = nn.Linear(3, 2)
with torch.no_grad():
    lin.weight.copy_(pattern([2, 3], 1))
    lin.bias.copy_(pattern([2], 2))
emit("LINEAR", lin(pattern([4, 3], 3)))
lin_nb = nn.Linear(3, 2, bias=False)
with torch.no_grad():
    lin_nb.weight.copy_(pattern([2, 3], 1))
emit("LINEAR_NO_BIAS", lin_nb(pattern([4, 3], 3)))


# ---- Conv2d ----
def conv(name, cin, cout, k, x_shape, **kw):
    c = nn.Conv2d(cin, cout, k, **kw)
    with torch.no_grad():
        c.weight.copy_(pattern(list(c.weight.shape), 4))
        if c.bias is not None:
            c.bias.copy_(pattern([cout], 5))
    emit(name, c(pattern(x_shape, 6)))


conv("CONV_STRIDE_PAD_GROUPS", 4, 6, 3, [2, 4, 7, 6], stride=2, padding=1, groups=2)
conv("CONV_SAME_DILATION", 2, 3, 3, [1, 2, 6, 5], padding="same", dilation=2)
conv("CONV_RECT_NO_BIAS", 3, 2, (2, 3), [1, 3, 5, 7], stride=(1, 2), padding=(1, 0), dilation=(2, 1), bias=False)
conv("CONV_DEPTHWISE", 3, 3, 3, [1, 3, 4, 4], padding=1, groups=3)

# ---- pooling ----
emit("MAXPOOL_2", nn.MaxPool2d(2)(distinct([1, 2, 5, 6], 1)))
emit("MAXPOOL_3_S2_P1_CEIL", nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True)(distinct([1, 1, 6, 7], 2)))
emit("MAXPOOL_DILATED", nn.MaxPool2d(2, stride=1, dilation=2)(distinct([1, 1, 5, 5], 3)))
emit("AVGPOOL_2", nn.AvgPool2d(2)(pattern([1, 2, 5, 6], 1)))
emit(
    "AVGPOOL_3_S2_P1_CEIL_EXCL",
    nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)(pattern([1, 1, 6, 7], 2)),
)
emit("AVGPOOL_3_S2_P1_INCL", nn.AvgPool2d(3, stride=2, padding=1)(pattern([1, 1, 6, 7], 2)))
emit("ADAPTIVE_2X3", nn.AdaptiveAvgPool2d((2, 3))(pattern([1, 2, 5, 7], 3)))
emit("ADAPTIVE_1", nn.AdaptiveAvgPool2d(1)(pattern([2, 3, 4, 4], 4)))
emit("ADAPTIVE_UP_4", nn.AdaptiveAvgPool2d(4)(pattern([1, 1, 3, 3], 5)))

# ---- BatchNorm1d on [4, 3]: two training steps, the backward of the first, then eval ----
bn = nn.BatchNorm1d(3)
with torch.no_grad():
    bn.weight.copy_(pattern([3], 5))
    bn.bias.copy_(pattern([3], 6))
x = pattern([4, 3], 7).requires_grad_()
y = bn(x)
emit("BN1D_TRAIN_OUT", y)
(y * pattern([4, 3], 10)).sum().backward()
emit("BN1D_GRAD_X", x.grad)
emit("BN1D_GRAD_W", bn.weight.grad)
emit("BN1D_GRAD_B", bn.bias.grad)
emit("BN1D_RUNNING_MEAN_1", bn.running_mean)
emit("BN1D_RUNNING_VAR_1", bn.running_var)
bn(pattern([4, 3], 8))
emit("BN1D_RUNNING_MEAN_2", bn.running_mean)
emit("BN1D_RUNNING_VAR_2", bn.running_var)
assert bn.num_batches_tracked.item() == 2
bn.eval()
emit("BN1D_EVAL_OUT", bn(pattern([2, 3], 9)))

# ---- BatchNorm1d on [2, 3, 4] (N, C, L), momentum 0.3, no affine ----
bn3 = nn.BatchNorm1d(3, momentum=0.3, affine=False)
emit("BN1D_NCL_TRAIN_OUT", bn3(pattern([2, 3, 4], 11)))
emit("BN1D_NCL_RUNNING_MEAN", bn3.running_mean)
emit("BN1D_NCL_RUNNING_VAR", bn3.running_var)

# ---- BatchNorm2d on [2, 2, 3, 3] ----
bn2 = nn.BatchNorm2d(2, eps=1e-3)
with torch.no_grad():
    bn2.weight.copy_(pattern([2], 12))
    bn2.bias.copy_(pattern([2], 13))
emit("BN2D_TRAIN_OUT", bn2(pattern([2, 2, 3, 3], 14)))
emit("BN2D_RUNNING_MEAN", bn2.running_mean)
emit("BN2D_RUNNING_VAR", bn2.running_var)
bn2.eval()
emit("BN2D_EVAL_OUT", bn2(pattern([1, 2, 2, 2], 15)))

# ---- LayerNorm([3, 4]) on [2, 3, 4] ----
ln = nn.LayerNorm([3, 4])
with torch.no_grad():
    ln.weight.copy_(pattern([3, 4], 16))
    ln.bias.copy_(pattern([3, 4], 17))
emit("LAYERNORM", ln(pattern([2, 3, 4], 18)))

# ---- Embedding(5, 3) ----
emb = nn.Embedding(5, 3)
with torch.no_grad():
    emb.weight.copy_(pattern([5, 3], 19))
emit("EMBEDDING", emb(torch.tensor([[0, 4, 1], [2, 2, 3]])))

# ---- activations on [2, 5] ----
xa = pattern([2, 5], 20) * 2
emit("ACT_RELU", nn.ReLU()(xa))
emit("ACT_LEAKY_RELU", nn.LeakyReLU(0.2)(xa))
emit("ACT_GELU", nn.GELU()(xa))
emit("ACT_SILU", nn.SiLU()(xa))
emit("ACT_SIGMOID", nn.Sigmoid()(xa))
emit("ACT_TANH", nn.Tanh()(xa))
emit("ACT_SOFTMAX_1", nn.Softmax(dim=1)(xa))
emit("ACT_SOFTMAX_0", nn.Softmax(dim=0)(xa))
emit("ACT_LOG_SOFTMAX_1", nn.LogSoftmax(dim=1)(xa))

# ---- Sequential(Linear(3, 4), ReLU, Linear(4, 2), Tanh) ----
seq = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2), nn.Tanh())
with torch.no_grad():
    seq[0].weight.copy_(pattern([4, 3], 21))
    seq[0].bias.copy_(pattern([4], 22))
    seq[2].weight.copy_(pattern([2, 4], 23))
    seq[2].bias.copy_(pattern([2], 24))
print("// names: " + ", ".join(n for n, _ in seq.named_parameters()))
emit("SEQUENTIAL", seq(pattern([5, 3], 25)))
