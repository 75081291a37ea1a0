"""Writes the torch.save fixtures of crates/tensor-io (tests/fixtures/torch_*.pt) and
crates/tensor-nn (tests/fixtures/lenet_like.pt), which tensor_io::torch_pickle reads.

    ~/.cache/torch-venv/bin/python scripts/python/torch_save_fixtures.py     # from the repository root

PyTorch 2.15 (CPU) wrote the committed files; torch.save's zip format (PyTorch >= 1.6) with its
default pickle protocol 2, except where said. The files:

  tensor-io/tests/fixtures/
    torch_state_dict.pt  the state_dict (an OrderedDict, with its `_metadata` set by BUILD) of
                         Sequential(Linear(2, 3), BatchNorm1d(3)) with weights from
                         `pattern` and the BatchNorm buffers after one training step on
                         pattern([4, 2], 5): keys 0.weight 0.bias 1.weight 1.bias
                         1.running_mean 1.running_var 1.num_batches_tracked (int64, 0-d, 1)
    torch_views.pt       a plain dict, views that share storages, and one tensor per dtype:
                           base     float32 [3, 4] = arange(12)       (storage A)
                           t        base.t(): [4, 3], strides (1, 4)  (storage A)
                           row      base[1]: offset 4                 (storage A)
                           cols     base[:, ::2]: [3, 2], strides (4, 2)  (storage A)
                           f16      float16 [2, 2] = [[0.5, -1.25], [65504, 2**-10]]
                           bf16     bfloat16 [3] = [1, -3e38, 2**-7]
                           f64      float64 [2] = [1/3, -2.5]
                           i32      int32 [3] = [-7, 0, 2**31 - 1]
                           i64      int64 [2] = [-2**40, 2**62 + 7]
                           u8       uint8 [3] = [0, 7, 255]
                           flags    bool [3] = [True, False, True]
                           scalar   float32 0-d = -1.375
                           empty    float32 [0, 3]
                           exp      float64 [2, 3]: arange(3).expand(2, 3), strides (0, 1)
    torch_proto4.pt      torch_views.pt's base, t, f16 saved with pickle_protocol=4 (FRAME,
                         SHORT_BINUNICODE, MEMOIZE, STACK_GLOBAL)
    torch_int8.pt        ok float32 [2] = [1, 2] and bad int8 [2] = [-1, 1] (named when int8
                         had no counterpart here)
    torch_uint16.pt      u16 uint16 [2] = [1, 65535]: _rebuild_tensor_v3 of an UntypedStorage
                         with the dtype torch.uint16
    torch_ints.pt        io_fixtures.py's INT_EXTREMES: int8, int16, uint16, uint32, uint64 [4]
    torch_parameter.pt   p = nn.Parameter(arange(3.0)): _rebuild_parameter around the tensor
    torch_malicious.pt   a torch.save-shaped zip whose data.pkl is written by hand:
                         GLOBAL 'os system', the argument 'echo pwned', REDUCE: refused unread
  tensor-nn/tests/fixtures/
    lenet_like.pt        scripts/pytorch/nn_fixture.py's model (the state_dict that
                         lenet_like.safetensors holds, without the extra tensors)
"""
import io
import os
import sys
import zipfile

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "pytorch"))
import nn_fixture  # noqa: E402

IO = "crates/tensor-io/tests/fixtures"
NN = "crates/tensor-nn/tests/fixtures"


def state_dict():
    torch.manual_seed(0)
    m = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.BatchNorm1d(3))
    with torch.no_grad():
        for seed, (_, p) in enumerate(m.named_parameters()):
            p.copy_(nn_fixture.pattern(list(p.shape), seed + 1))
    m.train()
    m(nn_fixture.pattern([4, 2], 5))
    return m.state_dict()


def views():
    base = torch.arange(12, dtype=torch.float32).view(3, 4)
    return {
        "base": base,
        "t": base.t(),
        "row": base[1],
        "cols": base[:, ::2],
        "f16": torch.tensor([[0.5, -1.25], [65504.0, 2.0**-10]], dtype=torch.float16),
        "bf16": torch.tensor([1.0, -3.0e38, 2.0**-7], dtype=torch.bfloat16),
        "f64": torch.tensor([1.0 / 3.0, -2.5], dtype=torch.float64),
        "i32": torch.tensor([-7, 0, 2**31 - 1], dtype=torch.int32),
        "i64": torch.tensor([-(2**40), 2**62 + 7], dtype=torch.int64),
        "u8": torch.tensor([0, 7, 255], dtype=torch.uint8),
        "flags": torch.tensor([True, False, True]),
        "scalar": torch.tensor(-1.375),
        "empty": torch.zeros(0, 3),
        "exp": torch.arange(3, dtype=torch.float64).expand(2, 3),
    }


def malicious():
    """The pickle of `os.system('echo pwned')`, byte by byte (nothing is pickled here)."""
    arg = b"echo pwned"
    pkl = (
        b"\x80\x02"  # PROTO 2
        + b"cos\nsystem\n"  # GLOBAL 'os system'
        + b"X" + len(arg).to_bytes(4, "little") + arg  # BINUNICODE
        + b"\x85"  # TUPLE1
        + b"R"  # REDUCE
        + b"."  # STOP
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        # A fixed date: the same bytes on every run.
        for name, data in [("data.pkl", pkl), ("byteorder", b"little"), ("version", b"3\n")]:
            z.writestr(zipfile.ZipInfo(f"archive/{name}", date_time=(1980, 1, 1, 0, 0, 0)), data)
    return buf.getvalue()


def write_ints():
    import numpy as np
    from io_fixtures import INT_EXTREMES

    ints = {d: torch.from_numpy(np.array(v, dtype=d)) for d, v in INT_EXTREMES.items()}
    torch.save(ints, f"{IO}/torch_ints.pt")


def main():
    torch.save(state_dict(), f"{IO}/torch_state_dict.pt")
    torch.save(views(), f"{IO}/torch_views.pt")
    v = views()
    torch.save({k: v[k] for k in ["base", "t", "f16"]}, f"{IO}/torch_proto4.pt", pickle_protocol=4)
    torch.save({"ok": torch.tensor([1.0, 2.0]), "bad": torch.tensor([-1, 1], dtype=torch.int8)}, f"{IO}/torch_int8.pt")
    torch.save({"u16": torch.tensor([1, 65535], dtype=torch.uint16)}, f"{IO}/torch_uint16.pt")
    torch.save({"p": torch.nn.Parameter(torch.arange(3.0))}, f"{IO}/torch_parameter.pt")
    write_ints()
    with open(f"{IO}/torch_malicious.pt", "wb") as f:
        f.write(malicious())
    torch.save(nn_fixture.build().state_dict(), f"{NN}/lenet_like.pt")
    for name, t in state_dict().items():
        print(name, list(t.shape), t.dtype, t.flatten().tolist())


if __name__ == "__main__":
    main()
