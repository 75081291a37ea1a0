"""Fixtures of crates/tensor-io, written by NumPy and PyTorch's safetensors; and the check that
NumPy and safetensors read what tensor-io writes.

    python scripts/python/io_fixtures.py            # (re)writes crates/tensor-io/tests/fixtures/
    python scripts/python/io_fixtures.py --check DIR
                                                    # reads the files that
                                                    # `cargo run -p tensor-io --example interop_write -- DIR`
                                                    # wrote, compares every value, exits 1 on a mismatch

`cargo xtask interop-check` runs both halves of the second form (python: $PYTHON, else
~/.cache/torch-venv/bin/python). Run from the repository root; needs numpy, torch, safetensors.

Every array holds `pattern(dtype, shape)`: element i (row-major, logical order) is
    bool     i % 3 == 0
    uint8    (i * 37 + 11) % 256
    int32    (i * 7919) % 20011 - 10000
    int64    (i - 3) * 2**40 + i
    floats   ((i * 37 + 11) % 23 - 11) / 8        (multiples of 1/8: exact in every float type)
crates/tensor-io/tests/common/mod.rs computes the same values. The fixtures:

    <dtype>.npy                  shape (2, 3), C order, little-endian, for bool uint8 int32 int64
                                 float16 float32 float64
    float32_fortran.npy          (3, 4) Fortran order
    int64_fortran_3d.npy         (2, 3, 2) Fortran order
    float64_be.npy               (2, 3) big-endian
    int32_be.npy                 (5,) big-endian
    float16_be_fortran.npy       (2, 3) big-endian, Fortran order
    float32_v2.npy / _v3.npy     (2, 3) format versions 2.0 and 3.0
    scalar_float64.npy           0-d, -1.375
    scalar_bool.npy              0-d, True
    empty_float32.npy            (0, 3)
    empty_int64_1d.npy           (0,)
    special_float32.npy          [nan, inf, -inf, -0.0, 1e-45, 3.4028235e38]
    int8.npy, uint16.npy         (2,) [1, -2] int8 and [1, 2] uint16
    ints_<dtype>.npy             (4,) INT_EXTREMES for int8 int16 uint16 uint32 uint64
    ints.safetensors             INT_EXTREMES, one tensor per dtype, named by dtype
    structured.npy               (2,) a structured dtype (error)
    arrays_stored.npz            np.savez:            a float32 (2, 3), b int64 (4,), c bool (2, 2),
    arrays_deflated.npz          np.savez_compressed: s float64 0-d (-1.375), f float32 (3, 2) Fortran
    all_dtypes.safetensors       safetensors.torch.save_file: one (2, 3) tensor per dtype (named by
                                 dtype, bfloat16 included), scalar float32 0-d (-1.375), empty
                                 float32 (0, 3); metadata {"format": "pt", "source": "io_fixtures.py"}
    int16.safetensors            ok float32 (2,) [1.5, -2], bad int16 (2,) [1, 2] (named when int16
                                 had no counterpart here)
"""
import os
import sys
import zipfile

import numpy as np

FIXTURES = "crates/tensor-io/tests/fixtures"
DTYPES = ["bool", "uint8", "int32", "int64", "float16", "float32", "float64"]
# Each narrow integer dtype's values, its extremes among them.
INT_EXTREMES = {
    "int8": [1, -2, 127, -128],
    "int16": [300, -300, 32767, -32768],
    "uint16": [1, 65535, 0, 40000],
    "uint32": [1, 4294967295, 0, 3000000000],
    "uint64": [1, 18446744073709551615, 0, 9223372036854775808],
}


def write_int_fixtures(path):
    import torch
    from safetensors.torch import save_file

    for d, v in INT_EXTREMES.items():
        np.save(path(f"ints_{d}.npy"), np.array(v, dtype=d))
    tensors = {d: torch.from_numpy(np.array(v, dtype=d)) for d, v in INT_EXTREMES.items()}
    save_file(tensors, path("ints.safetensors"))


def values(dtype, n):
    if dtype == "bool":
        return [i % 3 == 0 for i in range(n)]
    if dtype == "uint8":
        return [(i * 37 + 11) % 256 for i in range(n)]
    if dtype == "int32":
        return [(i * 7919) % 20011 - 10000 for i in range(n)]
    if dtype == "int64":
        return [(i - 3) * 2**40 + i for i in range(n)]
    return [((i * 37 + 11) % 23 - 11) / 8 for i in range(n)]


def pattern(dtype, shape):
    """A NumPy array (C order) of the pattern; `bfloat16` gives float32 values."""
    n = int(np.prod(shape, dtype=np.int64))
    np_dtype = "float32" if dtype == "bfloat16" else dtype
    return np.array(values(dtype, n), dtype=np_dtype).reshape(shape)


def npz_arrays():
    return {
        "a": pattern("float32", (2, 3)),
        "b": pattern("int64", (4,)),
        "c": pattern("bool", (2, 2)),
        "s": np.array(-1.375, dtype=np.float64),
        "f": np.asfortranarray(pattern("float32", (3, 2))),
    }


def torch_tensors():
    import torch

    out = {}
    for d in DTYPES + ["bfloat16"]:
        out[d] = torch.from_numpy(pattern(d, (2, 3)).copy()).to(getattr(torch, d))
    out["scalar"] = torch.tensor(-1.375, dtype=torch.float32)
    out["empty"] = torch.zeros((0, 3), dtype=torch.float32)
    return out


def write_fixtures():
    import torch
    from safetensors.torch import save_file

    os.makedirs(FIXTURES, exist_ok=True)
    path = lambda name: os.path.join(FIXTURES, name)
    for d in DTYPES:
        np.save(path(f"{d}.npy"), pattern(d, (2, 3)))
    np.save(path("float32_fortran.npy"), np.asfortranarray(pattern("float32", (3, 4))))
    np.save(path("int64_fortran_3d.npy"), np.asfortranarray(pattern("int64", (2, 3, 2))))
    np.save(path("float64_be.npy"), pattern("float64", (2, 3)).astype(">f8"))
    np.save(path("int32_be.npy"), pattern("int32", (5,)).astype(">i4"))
    np.save(path("float16_be_fortran.npy"), np.asfortranarray(pattern("float16", (2, 3)).astype(">f2")))
    for version in [(2, 0), (3, 0)]:
        with open(path(f"float32_v{version[0]}.npy"), "wb") as f:
            np.lib.format.write_array(f, pattern("float32", (2, 3)), version=version)
    np.save(path("scalar_float64.npy"), np.array(-1.375, dtype=np.float64))
    np.save(path("scalar_bool.npy"), np.array(True))
    np.save(path("empty_float32.npy"), np.zeros((0, 3), dtype=np.float32))
    np.save(path("empty_int64_1d.npy"), np.zeros((0,), dtype=np.int64))
    special = [float("nan"), float("inf"), float("-inf"), -0.0, 1e-45, 3.4028235e38]
    np.save(path("special_float32.npy"), np.array(special, dtype=np.float32))
    np.save(path("int8.npy"), np.array([1, -2], dtype=np.int8))
    np.save(path("uint16.npy"), np.array([1, 2], dtype=np.uint16))
    np.save(path("structured.npy"), np.zeros(2, dtype=[("x", "<f4"), ("y", "<i4")]))
    np.savez(path("arrays_stored.npz"), **npz_arrays())
    np.savez_compressed(path("arrays_deflated.npz"), **npz_arrays())
    save_file(torch_tensors(), path("all_dtypes.safetensors"), metadata={"format": "pt", "source": "io_fixtures.py"})
    save_file(
        {"ok": torch.tensor([1.5, -2.0]), "bad": torch.tensor([1, 2], dtype=torch.int16)},
        path("int16.safetensors"),
    )
    write_int_fixtures(path)
    total = sum(os.path.getsize(path(n)) for n in os.listdir(FIXTURES))
    print(f"wrote {len(os.listdir(FIXTURES))} fixtures ({total} bytes) to {FIXTURES}")


class Checker:
    def __init__(self, root):
        self.root = root
        self.checked = 0
        self.files = set()
        self.failures = []

    def path(self, name):
        self.files.add(name)
        return os.path.join(self.root, name)

    def same(self, what, got, want, fortran=None):
        self.checked += 1
        problems = []
        if got.dtype != want.dtype:
            problems.append(f"dtype {got.dtype} != {want.dtype}")
        if got.shape != want.shape:
            problems.append(f"shape {got.shape} != {want.shape}")
        elif not np.array_equal(got, want, equal_nan=got.dtype.kind == "f"):
            problems.append(f"values {got.ravel()[:8]} != {want.ravel()[:8]}")
        if fortran is not None and got.ndim > 1 and bool(np.isfortran(got)) != fortran:
            problems.append(f"fortran_order {np.isfortran(got)} != {fortran}")
        if problems:
            self.failures.append(f"{what}: " + "; ".join(problems))

    def npy(self, name, want, fortran=None):
        self.same(name, np.load(self.path(name), allow_pickle=False), want, fortran)

    def npz(self, name, compress_type):
        with zipfile.ZipFile(self.path(name)) as z:
            types = {i.filename: i.compress_type for i in z.infolist()}
        if set(types.values()) != {compress_type}:
            self.failures.append(f"{name}: compression {types} (expected {compress_type} everywhere)")
        with np.load(self.path(name), allow_pickle=False) as z:
            want = npz_arrays()
            if sorted(z.files) != sorted(want):
                self.failures.append(f"{name}: arrays {sorted(z.files)} != {sorted(want)}")
            for k in want:
                if k in z.files:
                    self.same(f"{name}[{k}]", z[k], want[k])

    def safetensors(self, name):
        import torch
        from safetensors import safe_open
        from safetensors.torch import load_file

        got = load_file(self.path(name))
        want = torch_tensors()
        want["float32_t"] = torch.from_numpy(pattern("float32", (2, 3)).T.copy())
        with safe_open(self.path(name), "pt") as f:
            meta = f.metadata()
        if (meta or {}).get("format") != "pt":
            self.failures.append(f"{name}: metadata {meta} has no format=pt")
        if sorted(got) != sorted(want):
            self.failures.append(f"{name}: tensors {sorted(got)} != {sorted(want)}")
        for k in want:
            if k not in got:
                continue
            self.checked += 1
            g, w = got[k], want[k]
            if g.dtype != w.dtype or g.shape != w.shape or not torch.equal(g, w):
                self.failures.append(f"{name}[{k}]: {g.dtype} {tuple(g.shape)} {g.flatten()[:8]} != {w.dtype} {tuple(w.shape)} {w.flatten()[:8]}")


def check(root):
    c = Checker(root)
    for d in DTYPES:
        c.npy(f"{d}.npy", pattern(d, (2, 3)), fortran=False)
    c.npy("bfloat16.npy", pattern("bfloat16", (2, 3)))
    c.npy("float32_fortran.npy", pattern("float32", (4, 3)).T, fortran=True)
    c.npy("strided_int64.npy", pattern("int64", (4, 6))[::2, ::3], fortran=False)
    c.npy("scalar_float64.npy", np.array(-1.375))
    c.npy("empty_float32.npy", np.zeros((0, 3), dtype=np.float32))
    c.npz("stored.npz", zipfile.ZIP_STORED)
    c.npz("deflated.npz", zipfile.ZIP_DEFLATED)
    c.safetensors("all_dtypes.safetensors")
    if c.failures:
        print(f"{len(c.failures)} mismatches in {c.checked} arrays read by NumPy {np.__version__} / safetensors:")
        for f in c.failures:
            print("  " + f)
        return 1
    import safetensors

    print(
        f"{c.checked} arrays in {len(c.files)} files written by tensor-io, read by NumPy {np.__version__} and "
        f"safetensors {safetensors.__version__}: all equal"
    )
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        sys.exit(check(sys.argv[2]))
    elif len(sys.argv) == 1:
        write_fixtures()
    else:
        print(__doc__)
        sys.exit(2)
