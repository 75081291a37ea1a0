"""Reference values for crates/tensor-nn/tests/functional.rs (torch.nn.functional's ops with
their default and non-default arguments, the new losses, std/var/norm with no arguments).

Run:  ~/.cache/torch-venv/bin/python scripts/pytorch/functional_literals.py \
          [crates/tensor-nn/tests/functional_literals]
(from the repository root; writes one file per section into the directory, and mod.rs; PyTorch
2.15 CPU produced the committed literals, `cargo fmt` only rewraps the lines). Every input is `pattern(shape, seed)` (multiples of 1/8) times a power of
two, exact in float64, which the test builds with the same formula; everything runs in float64.
Each constant is a flattened output (shape in the comment); `*_GRAD` constants are the input's
gradient of `(f(x) * pattern(out_shape, 2)).sum()`, which checks the gradients at the kinks
(the inputs hit 0, ±1, ±3 and the other thresholds exactly).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from literal_modules import LiteralModules  # noqa: E402

import torch
import torch.nn.functional as F

OUT = sys.argv[1] if len(sys.argv) > 1 else "crates/tensor-nn/tests/functional_literals"
MODULES = LiteralModules(OUT, "tests/functional.rs", "scripts/pytorch/functional_literals.py", "values", allow_lints=True)
section, write_mod = MODULES.section, MODULES.write_mod

torch.set_default_dtype(torch.float64)


def pattern(shape, seed, scale=1.0):
    n = 1
    for d in shape:
        n *= d
    vals = [(((i * 37 + seed * 11) % 23) - 11) / 8 * scale for i in range(n)]
    return torch.tensor(vals, dtype=torch.float64).reshape(shape)


def rust_f64(x):
    r = repr(float(x))
    if r == "inf":
        return "f64::INFINITY"
    if r == "-inf":
        return "f64::NEG_INFINITY"
    if r == "nan":
        return "f64::NAN"
    if "e" not in r and "." not in r:
        r += ".0"
    return r


def emit(name, t):
    t = t.detach()
    vals = t.flatten().tolist()
    print(f"/// shape {list(t.shape)}")
    print(f"pub const {name}: [f64; {len(vals)}] = [" + ", ".join(rust_f64(v) for v in vals) + "];")


def emit_with_grad(name, f, x):
    x = x.clone().requires_grad_(True)
    y = f(x)
    emit(name, y)
    (y * pattern(list(y.shape), 2)).sum().backward()
    emit(name + "_GRAD", x.grad)



# ---- activations: x = pattern([2, 3, 4], 1) * 4, multiples of 1/2 in [-5.5, 5.5] ----
x = pattern([2, 3, 4], 1, 4.0)
acts = [
    ("RELU6", lambda v: F.relu6(v)),
    ("ELU", lambda v: F.elu(v)),
    ("ELU_HALF", lambda v: F.elu(v, alpha=0.5)),
    ("SELU", lambda v: F.selu(v)),
    ("CELU", lambda v: F.celu(v)),
    ("CELU_2", lambda v: F.celu(v, alpha=2.0)),
    ("GELU", lambda v: F.gelu(v)),
    ("GELU_TANH", lambda v: F.gelu(v, approximate="tanh")),
    ("SILU", lambda v: F.silu(v)),
    ("MISH", lambda v: F.mish(v)),
    ("HARDTANH", lambda v: F.hardtanh(v)),
    ("HARDTANH_OPTS", lambda v: F.hardtanh(v, min_val=-0.5, max_val=2.0)),
    ("HARDSWISH", lambda v: F.hardswish(v)),
    ("HARDSIGMOID", lambda v: F.hardsigmoid(v)),
    ("SOFTPLUS", lambda v: F.softplus(v)),
    ("SOFTPLUS_OPTS", lambda v: F.softplus(v, beta=2.0, threshold=3.0)),
    ("SOFTSIGN", lambda v: F.softsign(v)),
    ("LEAKY_RELU", lambda v: F.leaky_relu(v)),
    ("LEAKY_RELU_02", lambda v: F.leaky_relu(v, 0.2)),
    ("LOGSIGMOID", lambda v: F.logsigmoid(v)),
    ("TANH", lambda v: F.tanh(v)),
    ("SIGMOID", lambda v: F.sigmoid(v)),
    ("TANHSHRINK", lambda v: F.tanhshrink(v)),
    ("SOFTSHRINK", lambda v: F.softshrink(v)),
    ("SOFTSHRINK_1", lambda v: F.softshrink(v, 1.0)),
    ("HARDSHRINK", lambda v: F.hardshrink(v)),
    ("HARDSHRINK_1", lambda v: F.hardshrink(v, 1.0)),
    ("THRESHOLD", lambda v: F.threshold(v, 1.0, -2.0)),
    ("GLU", lambda v: F.glu(v)),
    ("GLU_DIM1", lambda v: F.glu(v[:, :2], dim=1)),
    ("PRELU", lambda v: F.prelu(v, torch.tensor([0.25, -0.5, 2.0]))),
    ("PRELU_ONE", lambda v: F.prelu(v, torch.tensor([0.125]))),
    ("SOFTMAX", lambda v: F.softmax(v, dim=1)),
    ("LOG_SOFTMAX", lambda v: F.log_softmax(v, dim=-1)),
    ("SOFTMIN", lambda v: F.softmin(v, dim=1)),
]
ACT_FILES = {
    "RELU6": ("activations", "the ReLU-like, exponential and hard activations"),
    "SOFTPLUS": ("soft_activations", "softplus, softsign, leaky ReLU, log-sigmoid, tanh, sigmoid, the shrinks and threshold"),
    "GLU": ("gates_softmax", "glu, prelu, softmax, log_softmax and softmin"),
}
for name, f in acts:
    if name in ACT_FILES:
        section(*ACT_FILES[name])
    emit_with_grad(name, f, x)

# ---- pooling: x = pattern([1, 2, 5, 5], 3) ----
section("pooling", "pooling")
p = pattern([1, 2, 5, 5], 3)
emit_with_grad("MAX_POOL_DEFAULT", lambda v: F.max_pool2d(v, 2), p)
emit_with_grad("MAX_POOL_OPTS", lambda v: F.max_pool2d(v, 3, stride=2, padding=1, ceil_mode=True), p)
emit_with_grad("MAX_POOL_DILATED", lambda v: F.max_pool2d(v, 2, stride=1, dilation=2), p)
_, idx = F.max_pool2d(p, 3, stride=2, padding=1, ceil_mode=True, return_indices=True)
emit("MAX_POOL_INDICES", idx)
emit_with_grad("AVG_POOL_DEFAULT", lambda v: F.avg_pool2d(v, 2), p)
emit_with_grad(
    "AVG_POOL_OPTS", lambda v: F.avg_pool2d(v, 3, stride=2, padding=1, ceil_mode=True, count_include_pad=False), p
)
emit_with_grad("AVG_POOL_PAD", lambda v: F.avg_pool2d(v, [2, 3], stride=[1, 2], padding=1), p)
emit_with_grad("AVG_POOL_DIVISOR", lambda v: F.avg_pool2d(v, 2, stride=1, padding=1, divisor_override=3), p)
emit_with_grad("ADAPTIVE_AVG", lambda v: F.adaptive_avg_pool2d(v, (3, 2)), p)
q = pattern([2, 2, 7], 4)
emit_with_grad("MAX_POOL1D", lambda v: F.max_pool1d(v, 3, stride=2, padding=1), q)
emit_with_grad("AVG_POOL1D", lambda v: F.avg_pool1d(v, 3, stride=2, padding=1, count_include_pad=False), q)
emit_with_grad("ADAPTIVE_AVG1D", lambda v: F.adaptive_avg_pool1d(v, 3), q)

# ---- batch_norm: x = pattern([3, 2, 2, 2], 5), weight pattern([2], 6), bias pattern([2], 7) ----
section("normalization", "batch_norm, rms_norm, normalize and the distances")
b = pattern([3, 2, 2, 2], 5)
w, bias = pattern([2], 6), pattern([2], 7)
rm, rv = pattern([2], 8), pattern([2], 9).abs() + 0.5
rm_t, rv_t = rm.clone(), rv.clone()
emit_with_grad("BATCH_NORM_TRAIN", lambda v: F.batch_norm(v, rm_t, rv_t, w, bias, training=True, momentum=0.25), b)
# the running statistics after that one training forward
emit("BATCH_NORM_RUNNING_MEAN", rm_t)
emit("BATCH_NORM_RUNNING_VAR", rv_t)
emit_with_grad("BATCH_NORM_EVAL", lambda v: F.batch_norm(v, rm, rv, w, bias), b)
emit("BATCH_NORM_EVAL_DEFAULT", F.batch_norm(b, rm, rv))

# ---- rms_norm, normalize, distances ----
r = pattern([2, 3, 4], 10)
emit_with_grad("RMS_NORM", lambda v: F.rms_norm(v, [4], pattern([4], 11)), r)
emit_with_grad("RMS_NORM_EPS", lambda v: F.rms_norm(v, [3, 4], eps=0.5), r)
emit_with_grad("NORMALIZE", lambda v: F.normalize(v), r)
emit_with_grad("NORMALIZE_P1", lambda v: F.normalize(v, p=1.0, dim=-1), r)
r2 = pattern([2, 1, 4], 12)
emit_with_grad("COSINE", lambda v: F.cosine_similarity(v, r2), r)
emit_with_grad("COSINE_LAST", lambda v: F.cosine_similarity(v, r2, dim=-1, eps=0.5), r)
emit_with_grad("PAIRWISE", lambda v: F.pairwise_distance(v, r2), r)
emit_with_grad("PAIRWISE_P1", lambda v: F.pairwise_distance(v, r2, p=1.0, eps=0.25, keepdim=True), r)

# ---- embedding with padding_idx, bilinear ----
section("embedding", "embedding with padding_idx and bilinear")
weight = pattern([5, 3], 13).requires_grad_(True)
ids = torch.tensor([[0, 2, 4], [2, 2, 1]])
e = F.embedding(ids, weight, padding_idx=2)
emit("EMBEDDING", e)
(e * pattern([2, 3, 3], 2)).sum().backward()
emit("EMBEDDING_WEIGHT_GRAD", weight.grad)
x1, x2 = pattern([2, 3], 14).requires_grad_(True), pattern([2, 4], 15).requires_grad_(True)
bw, bb = pattern([2, 3, 4], 16).requires_grad_(True), pattern([2], 17).requires_grad_(True)
y = F.bilinear(x1, x2, bw, bb)
emit("BILINEAR", y)
(y * pattern([2, 2], 2)).sum().backward()
emit("BILINEAR_GRAD_W", bw.grad)

# ---- losses: input pattern([2, 5], 18) * 2, target pattern([2, 5], 19) ----
section("losses", "the losses")
inp, tgt = pattern([2, 5], 18, 2.0), pattern([2, 5], 19)


def three(name, f):
    none = f("none").flatten().tolist()
    vals = none + [f("mean").item(), f("sum").item()]
    print(f"/// none (flattened), mean, sum")
    print(f"pub const {name}: [f64; {len(vals)}] = [" + ", ".join(rust_f64(v) for v in vals) + "];")


three("SMOOTH_L1", lambda r: F.smooth_l1_loss(inp, tgt, reduction=r))
three("SMOOTH_L1_BETA", lambda r: F.smooth_l1_loss(inp, tgt, reduction=r, beta=0.5))
three("SMOOTH_L1_BETA0", lambda r: F.smooth_l1_loss(inp, tgt, reduction=r, beta=0.0))
three("HUBER", lambda r: F.huber_loss(inp, tgt, reduction=r))
three("HUBER_DELTA", lambda r: F.huber_loss(inp, tgt, reduction=r, delta=0.5))
logp = F.log_softmax(pattern([2, 5], 20), dim=1)
prob = F.softmax(pattern([2, 5], 21), dim=1)
prob0 = prob.clone()
prob0[0, 1] = 0.0
three("KL_DIV", lambda r: F.kl_div(logp, prob0, reduction=r))
emit("KL_DIV_BATCHMEAN", F.kl_div(logp, prob0, reduction="batchmean"))
three("KL_DIV_LOG_TARGET", lambda r: F.kl_div(logp, prob.log(), reduction=r, log_target=True))
sign = torch.sign(pattern([2, 5], 22)).clamp(min=0) * 2 - 1
three("SOFT_MARGIN", lambda r: F.soft_margin_loss(inp, sign, reduction=r))
counts = pattern([2, 5], 23).abs() * 4
three("POISSON", lambda r: F.poisson_nll_loss(inp, counts, reduction=r))
three("POISSON_FULL", lambda r: F.poisson_nll_loss(inp, counts, full=True, reduction=r))
three("POISSON_RATE", lambda r: F.poisson_nll_loss(inp.abs() + 0.25, counts, log_input=False, reduction=r))
three("MARGIN_RANKING", lambda r: F.margin_ranking_loss(inp, tgt, sign, reduction=r))
three("MARGIN_RANKING_M", lambda r: F.margin_ranking_loss(inp, tgt, sign, margin=0.5, reduction=r))

# ---- std / var / norm with no arguments, torch.where ----
section("reductions", "std / var / norm with no arguments and torch.where")
s = pattern([3, 4], 24)
emit("STD", s.std())
emit("VAR", s.var())
emit("NORM", s.norm())
emit("WHERE", torch.where(s > 0, s, pattern([4], 25)))
write_mod()
