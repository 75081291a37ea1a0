"""The names PyTorch gives the nodes of recorded ops, for crates/tensor-autograd/tests/names.rs:
`type(y.grad_fn).__name__` for every op tensor-autograd records, on small float64 inputs.

Run:  ~/.cache/torch-venv/bin/python scripts/pytorch/grad_fn_names.py
(from the repository root; the PyTorch version is printed in the first line). It prints one
`("op", "Name"),` line per op, pasted into the test's tables unchanged (the in-place ops, on
`x * 1`, after the line `// in place`).
"""
import torch
import torch.nn.functional as F

print(f"// torch {torch.__version__}")

x = torch.linspace(0.5, 2.0, 6, dtype=torch.float64).reshape(2, 3).requires_grad_()
w = torch.linspace(-1.0, 1.0, 12, dtype=torch.float64).reshape(4, 3).requires_grad_()
b = torch.linspace(0.0, 1.0, 4, dtype=torch.float64).requires_grad_()
v = torch.linspace(0.5, 1.5, 3, dtype=torch.float64).requires_grad_()
x3 = torch.linspace(-1.0, 1.0, 12, dtype=torch.float64).reshape(2, 2, 3).requires_grad_()
img = torch.linspace(-1.0, 1.0, 32, dtype=torch.float64).reshape(1, 2, 4, 4).requires_grad_()
k = torch.linspace(-1.0, 1.0, 18, dtype=torch.float64).reshape(1, 2, 3, 3).requires_grad_()
mask = torch.tensor([[True, False, True], [False, True, False]])
idx = torch.tensor([1, 0])

ops = [
    ("add", lambda: x + x),
    ("add_scalar", lambda: x + 2.0),
    ("sub", lambda: x - x),
    ("sub_scalar", lambda: x - 2.0),
    ("mul", lambda: x * x),
    ("mul_scalar", lambda: x * 2.0),
    ("div", lambda: x / x),
    ("div_scalar", lambda: x / 2.0),
    ("pow_scalar", lambda: x.pow(2.0)),
    ("pow", lambda: x.pow(x)),
    ("maximum", lambda: torch.maximum(x, x * 2)),
    ("minimum", lambda: torch.minimum(x, x * 2)),
    ("atan2", lambda: torch.atan2(x, x)),
    ("remainder", lambda: torch.remainder(x, 0.7)),
    ("neg", lambda: -x),
    ("abs", lambda: x.abs()),
    ("exp", lambda: x.exp()),
    ("exp2", lambda: x.exp2()),
    ("log", lambda: x.log()),
    ("log2", lambda: x.log2()),
    ("log1p", lambda: x.log1p()),
    ("expm1", lambda: x.expm1()),
    ("sqrt", lambda: x.sqrt()),
    ("rsqrt", lambda: x.rsqrt()),
    ("sin", lambda: x.sin()),
    ("cos", lambda: x.cos()),
    ("tan", lambda: x.tan()),
    ("tanh", lambda: x.tanh()),
    ("sigmoid", lambda: x.sigmoid()),
    ("relu", lambda: x.relu()),
    ("leaky_relu", lambda: F.leaky_relu(x, 0.1)),
    ("gelu", lambda: F.gelu(x)),
    ("silu", lambda: F.silu(x)),
    ("softplus", lambda: F.softplus(x)),
    ("reciprocal", lambda: x.reciprocal()),
    ("square", lambda: x.square()),
    ("erf", lambda: x.erf()),
    ("clamp", lambda: x.clamp(0.6, 1.5)),
    ("sign", lambda: x.sign()),
    ("floor", lambda: x.floor()),
    ("ceil", lambda: x.ceil()),
    ("round", lambda: x.round()),
    ("trunc", lambda: x.trunc()),
    ("to_dtype", lambda: x.to(torch.float32)),
    ("sum", lambda: x.sum()),
    ("sum_dim", lambda: x.sum(1)),
    ("mean", lambda: x.mean()),
    ("mean_dim", lambda: x.mean(1)),
    ("prod", lambda: x.prod()),
    ("prod_dim", lambda: x.prod(1)),
    ("amax", lambda: x.amax(1)),
    ("amin", lambda: x.amin(1)),
    ("max", lambda: x.max()),
    ("min", lambda: x.min()),
    ("max_dim", lambda: x.max(1)[0]),
    ("min_dim", lambda: x.min(1)[0]),
    ("var", lambda: x.var(1)),
    ("std", lambda: x.std(1)),
    ("norm", lambda: torch.linalg.vector_norm(x, 3.0)),
    ("logsumexp", lambda: x.logsumexp(1)),
    ("softmax", lambda: x.softmax(1)),
    ("log_softmax", lambda: x.log_softmax(1)),
    ("cumsum", lambda: x.cumsum(1)),
    ("where", lambda: torch.where(mask, x, x * 2)),
    ("masked_fill", lambda: x.masked_fill(mask, 0.0)),
    ("cat", lambda: torch.cat([x, x], 0)),
    ("stack", lambda: torch.stack([x, x], 0)),
    ("pad_constant", lambda: F.pad(x, (1, 1))),
    ("pad_reflect", lambda: F.pad(x.unsqueeze(0), (1, 1), mode="reflect")),
    ("pad_replicate", lambda: F.pad(x.unsqueeze(0), (1, 1), mode="replicate")),
    ("index_select", lambda: x.index_select(0, idx)),
    ("gather", lambda: x.gather(0, idx.view(2, 1).expand(2, 3))),
    ("scatter", lambda: x.scatter(0, idx.view(2, 1).expand(2, 3), x * 2)),
    ("scatter_add", lambda: x.scatter_add(0, idx.view(2, 1).expand(2, 3), x * 2)),
    ("index_add", lambda: x.index_add(0, idx, x * 2)),
    ("max_pool2d", lambda: F.max_pool2d(img, 2)),
    ("avg_pool2d", lambda: F.avg_pool2d(img, 2)),
    ("adaptive_avg_pool2d", lambda: F.adaptive_avg_pool2d(img, 2)),
    ("matmul_1d_1d", lambda: v.matmul(v)),
    ("matmul_2d_2d", lambda: x.matmul(w.t())),
    ("matmul_2d_1d", lambda: x.matmul(v)),
    ("matmul_3d_3d", lambda: x3.matmul(x3.transpose(1, 2))),
    ("matmul_3d_2d", lambda: x3.matmul(w.t())),
    ("outer", lambda: torch.outer(v, v)),
    ("linear_2d", lambda: F.linear(x, w, b)),
    ("linear_2d_no_bias", lambda: F.linear(x, w)),
    ("linear_3d", lambda: F.linear(x3, w, b)),
    ("linear_1d", lambda: F.linear(v, w, b)),
    ("conv2d", lambda: F.conv2d(img, k)),
    ("layer_norm", lambda: F.layer_norm(x, (3,))),
    ("batch_norm", lambda: F.batch_norm(x, None, None, training=True)),
    ("view", lambda: x.view(3, 2)),
    ("reshape", lambda: x.reshape(3, 2)),
    ("reshape_copy", lambda: x.t().reshape(6)),
    ("flatten", lambda: x3.flatten()),
    ("unflatten", lambda: x.unflatten(1, (3, 1))),
    ("squeeze", lambda: x.unsqueeze(0).squeeze()),
    ("squeeze_dim", lambda: x.unsqueeze(0).squeeze(0)),
    ("unsqueeze", lambda: x.unsqueeze(0)),
    ("contiguous", lambda: x.t().contiguous()),
    ("transpose", lambda: x.transpose(0, 1)),
    ("t", lambda: x.t()),
    ("permute", lambda: x3.permute(2, 0, 1)),
    ("expand", lambda: v.expand(2, 3)),
    ("narrow", lambda: x.narrow(1, 0, 2)),
    ("slice", lambda: x[:, ::2]),
    ("select", lambda: x[1]),
    ("split", lambda: x.split(2, 1)[0]),
    ("chunk", lambda: x.chunk(2, 1)[0]),
    ("unbind", lambda: x.unbind(0)[0]),
]
for name, op in ops:
    y = op()
    print(f'    ("{name}", "{type(y.grad_fn).__name__}"),')

print("// in place")
y3 = torch.linspace(-1.0, 1.0, 3, dtype=torch.float64).requires_grad_()
row = torch.tensor([True, False, True])
in_place = [
    ("add_", lambda t: t.add_(y3)),
    ("sub_", lambda t: t.sub_(1.0)),
    ("mul_", lambda t: t.mul_(y3)),
    ("div_", lambda t: t.div_(2.0)),
    ("clamp_", lambda t: t.clamp_(0.6, 1.5)),
    ("relu_", lambda t: t.relu_()),
    ("copy_", lambda t: t.copy_(y3)),
    ("fill_", lambda t: t.fill_(2.0)),
    ("zero_", lambda t: t.zero_()),
    ("masked_fill_", lambda t: t.masked_fill_(row, 0.0)),
]
for name, op in in_place:
    t = x * 1
    op(t)
    print(f'    ("{name}", "{type(t.grad_fn).__name__}"),')
