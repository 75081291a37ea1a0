"""Reference values for crates/tensor-nn/tests/losses.rs.

Run:  $(sh ../shared/bench/setup-torch.sh) scripts/pytorch/nn_losses.py
(from the repository root; PyTorch 2.15 CPU produced the literals committed in the test).
It prints Rust `const` items that are pasted into the test unchanged (rustfmt only rewraps the lines).

Inputs are `pattern(shape, seed)` (as in nn_layers.py: multiples of 1/8, exact in float64, which
the test builds with the same formula); all losses run in float64. For each case the constant
holds the loss under reduction none (flattened), mean and sum, in that order, followed (where
named *_GRAD) by the gradient of the mean loss with respect to the input.
"""
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)


def pattern(shape, seed):
    n = 1
    for d in shape:
        n *= d
    vals = [(((i * 37 + seed * 11) % 23) - 11) / 8 for i in range(n)]
    return torch.tensor(vals).reshape(shape)


def rust_f64(x):
    r = repr(float(x))
    if "e" not in r and "." not in r and "inf" not in r and "nan" not in r:
        r += ".0"
    return r


def emit(name, vals):
    print(f"const {name}: [f64; {len(vals)}] = [" + ", ".join(rust_f64(v) for v in vals) + "];")


def three(name, fn):
    """none (flattened) + mean + sum, and the gradient of the mean w.r.t. the first input."""
    none = fn("none").flatten().tolist()
    emit(name, none + [fn("mean").item(), fn("sum").item()])


def grad_of(name, fn, x):
    x = x.clone().requires_grad_()
    fn(x).backward()
    emit(name, x.grad.flatten().tolist())


X = pattern([4, 3], 1) * 2  # logits
T = torch.tensor([2, 0, 1, 2])
W = torch.tensor([0.25, 1.0, 2.5])

print("// cross_entropy on logits X = pattern([4, 3], 1) * 2, targets [2, 0, 1, 2], class weights [0.25, 1, 2.5]")
three("CE_PLAIN", lambda r: F.cross_entropy(X, T, reduction=r))
three("CE_WEIGHT", lambda r: F.cross_entropy(X, T, weight=W, reduction=r))
three("CE_IGNORE", lambda r: F.cross_entropy(X, T, ignore_index=2, reduction=r))
three("CE_SMOOTH", lambda r: F.cross_entropy(X, T, label_smoothing=0.2, reduction=r))
three("CE_ALL", lambda r: F.cross_entropy(X, T, weight=W, ignore_index=0, label_smoothing=0.3, reduction=r))
grad_of("CE_ALL_GRAD", lambda x: F.cross_entropy(x, T, weight=W, ignore_index=0, label_smoothing=0.3), X)
# default ignore_index=-100 ignores a target of -100
three("CE_DEFAULT_IGNORE", lambda r: F.cross_entropy(X, torch.tensor([2, -100, 1, 2]), reduction=r))
# [N, C, d1, d2] logits with [N, d1, d2] targets
XK = pattern([2, 3, 2, 2], 2)
TK = torch.tensor([[[0, 1], [2, 2]], [[1, 0], [0, 2]]])
three("CE_KDIM", lambda r: F.cross_entropy(XK, TK, weight=W, label_smoothing=0.1, reduction=r))
# a single sample: [C] logits and a 0-d target
three("CE_1D", lambda r: F.cross_entropy(X[0], torch.tensor(1), reduction=r))

print("// nll_loss on log_softmax(X)")
LP = F.log_softmax(X, dim=1)
three("NLL_PLAIN", lambda r: F.nll_loss(LP, T, reduction=r))
three("NLL_WEIGHT_IGNORE", lambda r: F.nll_loss(LP, T, weight=W, ignore_index=1, reduction=r))

print("// mse_loss / l1_loss of A = pattern([2, 3], 3) against B = pattern([2, 3], 4)")
A = pattern([2, 3], 3)
B = pattern([2, 3], 4)
three("MSE", lambda r: F.mse_loss(A, B, reduction=r))
three("L1", lambda r: F.l1_loss(A, B, reduction=r))

print("// binary_cross_entropy of P = sigmoid(pattern([2, 3], 5)) against YB, element weights WB")
P = torch.sigmoid(pattern([2, 3], 5))
YB = torch.tensor([[0.0, 1.0, 0.25], [1.0, 0.0, 0.5]])
WB = torch.tensor([[1.0, 2.0, 0.5], [0.25, 1.0, 3.0]])
three("BCE", lambda r: F.binary_cross_entropy(P, YB, reduction=r))
three("BCE_WEIGHT", lambda r: F.binary_cross_entropy(P, YB, weight=WB, reduction=r))
# probabilities of exactly 0 and 1: the logs are clamped at -100
three("BCE_CLAMP", lambda r: F.binary_cross_entropy(torch.tensor([0.0, 1.0, 0.0, 1.0]), torch.tensor([1.0, 0.0, 0.0, 1.0]), reduction=r))

print("// binary_cross_entropy_with_logits of Z = pattern([2, 3], 6) * 4 (and +-30) against YB, pos_weight PW")
Z = pattern([2, 3], 6) * 4
PW = torch.tensor([3.0, 0.5, 1.0])
three("BCEL", lambda r: F.binary_cross_entropy_with_logits(Z, YB, reduction=r))
three("BCEL_POS_WEIGHT", lambda r: F.binary_cross_entropy_with_logits(Z, YB, weight=WB, pos_weight=PW, reduction=r))
grad_of("BCEL_POS_WEIGHT_GRAD", lambda z: F.binary_cross_entropy_with_logits(z, YB, weight=WB, pos_weight=PW), Z)
ZL = torch.tensor([[30.0, -30.0, 30.0], [-30.0, 0.0, 25.0]])
three("BCEL_LARGE", lambda r: F.binary_cross_entropy_with_logits(ZL, YB, pos_weight=PW, reduction=r))
