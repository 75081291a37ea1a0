"""Writes crates/tensor-nn/tests/fixtures/lenet_like.safetensors and prints the literals of
crates/tensor-nn/tests/state_dict.rs; with `--check FILE`, reads a file that this crate wrote.

Run (from the repository root; PyTorch 2.15 and safetensors 0.8 CPU wrote the committed file):
    $(sh ../shared/bench/setup-torch.sh) scripts/pytorch/nn_fixture.py

The file is the state_dict of a small LeNet-like model,
    conv1 = Conv2d(1, 2, 3), bn1 = BatchNorm2d(2), fc = Linear(8, 3)
    forward(x) = fc(flatten(max_pool2d(relu(bn1(conv1(x))), 2)))      for x of shape [N, 1, 6, 6]
with float32 parameters from `pattern(shape, seed)` (multiples of 1/8, as in nn_layers.py), the
BatchNorm buffers after one training step (running_mean, running_var, and num_batches_tracked,
an int64 0-d tensor), plus four extra tensors of other dtypes:
    extra.f64  float64 [2, 2]   extra.i64  int64 [3]   extra.f16  float16 [2, 2]   extra.bf16  bfloat16 [3]
It is written with `safetensors.torch.save_file` (which adds the metadata {"format": "pt"}).

The other way: this crate's `tensor_nn::save_safetensors` writes a file that PyTorch reads with
    from safetensors.torch import load_file
    state = load_file("model.safetensors")          # dict of name -> torch.Tensor
    model.load_state_dict(state)                     # a PyTorch module with the same names
The test `state_dict.rs::written_file_for_pytorch` writes such a file (the fixture's tensors plus
a transposed view and a bool tensor) to `target/tmp/nn_written_by_rust.safetensors`;
`--check target/tmp/nn_written_by_rust.safetensors` loads it with `load_file` and compares
every tensor with what this script expects (this was run with PyTorch 2.15 and passed).
"""
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

FIXTURE = "crates/tensor-nn/tests/fixtures/lenet_like.safetensors"


def pattern(shape, seed, dtype=torch.float32):
    n = 1
    for d in shape:
        n *= d
    vals = [(((i * 37 + seed * 11) % 23) - 11) / 8 for i in range(n)]
    return torch.tensor(vals, dtype=dtype).reshape(shape)


class LeNetLike(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 2, 3)
        self.bn1 = nn.BatchNorm2d(2)
        self.fc = nn.Linear(8, 3)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        return self.fc(torch.flatten(x, 1))


def extras():
    return {
        "extra.f64": torch.tensor([[1.0 / 3.0, -2.5], [1e-300, 12345.678]], dtype=torch.float64),
        "extra.i64": torch.tensor([-(2**40), 0, 2**62 + 7], dtype=torch.int64),
        "extra.f16": torch.tensor([[0.5, -1.25], [65504.0, 1.0 / 1024.0]], dtype=torch.float16),
        "extra.bf16": torch.tensor([1.0, -3.0e38, 0.0078125], dtype=torch.bfloat16),
    }


def build():
    m = LeNetLike()
    with torch.no_grad():
        for seed, (name, p) in enumerate(m.named_parameters()):
            p.copy_(pattern(list(p.shape), seed + 1))
    m.train()
    m(pattern([4, 1, 6, 6], 10))  # one training step for the BatchNorm buffers
    m.eval()
    return m


def rust_f64(x):
    r = repr(float(x))
    if "e" not in r and "." not in r and "inf" not in r and "nan" not in r:
        r += ".0"
    return r


def emit(name, t):
    """float tensors as the float64 of each element; integer tensors as i64."""
    vals = t.detach().flatten().tolist()
    print(f"/// shape {list(t.shape)}, {t.dtype}")
    if t.is_floating_point():
        print(f"const {name}: [f64; {len(vals)}] = [" + ", ".join(rust_f64(v) for v in vals) + "];")
    else:
        print(f"const {name}: [i64; {len(vals)}] = [" + ", ".join(str(int(v)) for v in vals) + "];")


def check(path):
    got = load_file(path)
    m = build()
    want = dict(m.state_dict())
    want.update(extras())
    want["extra.transposed"] = pattern([2, 3], 7).t()
    want["extra.bool"] = torch.tensor([True, False, True])
    assert sorted(got) == sorted(want), (sorted(got), sorted(want))
    for k, v in want.items():
        assert got[k].dtype == v.dtype, (k, got[k].dtype, v.dtype)
        assert got[k].shape == v.shape, (k, got[k].shape, v.shape)
        assert torch.equal(got[k], v), (k, got[k], v)
    m2 = LeNetLike()
    m2.load_state_dict({k: v for k, v in got.items() if not k.startswith("extra.")})
    print(f"{path}: {len(got)} tensors read by safetensors.torch.load_file, all equal; load_state_dict ok")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        check(sys.argv[2])
        sys.exit(0)
    m = build()
    state = dict(m.state_dict())
    state.update(extras())
    save_file(state, FIXTURE)
    for k, v in state.items():
        emit("ST_" + k.replace(".", "_").upper(), v)
    emit("LENET_OUT", m(pattern([2, 1, 6, 6], 11)))
