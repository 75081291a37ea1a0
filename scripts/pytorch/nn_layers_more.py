"""Reference values for crates/tensor-nn/tests/layers_more.rs (Conv1d, ConvTranspose2d,
GroupNorm, InstanceNorm2d, Upsample / interpolate, PixelShuffle / PixelUnshuffle).

Run:  $(sh ../shared/bench/setup-torch.sh) scripts/pytorch/nn_layers_more.py
(from the repository root; PyTorch 2.15 CPU produced the literals committed in
crates/tensor-nn/tests/layers_more_literals/). It writes Rust `pub const` items there, one file
per section and a mod.rs (`cargo fmt` only rewraps the lines; a first argument names another
directory), and writes
crates/tensor-nn/tests/fixtures/layers_more.safetensors (the state dict of a small model of
these layers, which the test loads; PyTorch 2.15 and safetensors 0.8 wrote the committed file).

Every input and parameter is `pattern(shape, seed)`, multiples of 1/8 exact in float32, which the
test builds with the same formula; every layer's parameters are set explicitly. Layers run in
float32; each constant is the flattened output (shape in the comment), printed as the float64 of
each float32. Parameter and state-dict names with their shapes are printed as `(&str, &[usize])`
lists.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from literal_modules import LiteralModules  # noqa: E402

import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = sys.argv[1] if len(sys.argv) > 1 else "crates/tensor-nn/tests/layers_more_literals"
MODULES = LiteralModules(OUT, "tests/layers_more.rs", "scripts/pytorch/nn_layers_more.py", "outputs", allow_lints=False)
section, write_mod = MODULES.section, MODULES.write_mod


def pattern(shape, seed):
    n = 1
    for d in shape:
        n *= d
    vals = [(((i * 37 + seed * 11) % 23) - 11) / 8 for i in range(n)]
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
    print(f"pub const {name}: [f64; {len(vals)}] = [" + ", ".join(rust_f64(v) for v in vals) + "];")


def emit_names(name, items):
    body = ", ".join(f'("{n}", &{list(t.shape)})' for n, t in items)
    print(f"pub const {name}: &[(&str, &[usize])] = &[{body}];")


def set_params(m, seed):
    """Every parameter of `m` to `pattern(shape, seed + i)`, in `named_parameters` order."""
    with torch.no_grad():
        for i, (_, p) in enumerate(m.named_parameters()):
            p.copy_(pattern(list(p.shape), seed + i))
    return m


# ---- Conv1d ----
section("conv", "Conv1d and ConvTranspose2d")
def conv1d(name, cin, cout, k, x_shape, **kw):
    c = set_params(nn.Conv1d(cin, cout, k, **kw), 4)
    emit(name, c(pattern(x_shape, 6)))


conv1d("CONV1D_STRIDE_PAD_GROUPS", 4, 6, 3, [2, 4, 9], stride=2, padding=1, groups=2)
conv1d("CONV1D_SAME_EVEN", 2, 3, 4, [1, 2, 7], padding="same")
conv1d("CONV1D_DILATED_NO_BIAS", 3, 2, 2, [1, 3, 8], dilation=3, bias=False)
conv1d("CONV1D_UNBATCHED", 2, 2, 3, [2, 5])
emit_names("CONV1D_NAMES", nn.Conv1d(4, 6, 3, groups=2).named_parameters())


# ---- ConvTranspose2d ----
def convt(name, cin, cout, k, x_shape, output_size=None, **kw):
    c = set_params(nn.ConvTranspose2d(cin, cout, k, **kw), 4)
    emit(name, c(pattern(x_shape, 6), output_size=output_size))


convt("CONVT_BASIC", 2, 3, 3, [1, 2, 3, 4])
convt("CONVT_STRIDE_PAD_OUTPAD_GROUPS", 4, 6, 3, [2, 4, 3, 3], stride=2, padding=1, output_padding=1, groups=2)
convt(
    "CONVT_RECT_DILATED_NO_BIAS", 3, 2, (2, 3), [1, 3, 4, 3], stride=(1, 2), padding=(1, 0), dilation=(2, 1), bias=False
)
convt("CONVT_OUTPAD_DILATION", 1, 2, 2, [1, 1, 3, 3], stride=(2, 1), dilation=(1, 3), output_padding=(1, 2))
convt("CONVT_UNBATCHED", 2, 2, 2, [2, 3, 3], stride=2)
convt("CONVT_OUTPUT_SIZE", 2, 2, 3, [1, 2, 3, 3], output_size=[6, 5], stride=2, padding=1)
emit_names("CONVT_NAMES", nn.ConvTranspose2d(4, 6, 3, groups=2).named_parameters())

# gradients of conv_transpose2d: input, weight and bias, upstream pattern(.., 9)
ct = set_params(nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2), 4)
x = pattern([2, 4, 3, 3], 6).requires_grad_()
y = ct(x)
(y * pattern(list(y.shape), 9)).sum().backward()
emit("CONVT_GRAD_X", x.grad)
emit("CONVT_GRAD_W", ct.weight.grad)
emit("CONVT_GRAD_B", ct.bias.grad)

# ---- GroupNorm ----
section("norms", "GroupNorm and InstanceNorm2d")
gn = set_params(nn.GroupNorm(2, 4), 4)
x = pattern([2, 4, 3, 3], 6).requires_grad_()
y = gn(x)
emit("GROUPNORM", y)
(y * pattern(list(y.shape), 9)).sum().backward()
emit("GROUPNORM_GRAD_X", x.grad)
emit("GROUPNORM_GRAD_W", gn.weight.grad)
emit("GROUPNORM_GRAD_B", gn.bias.grad)
emit("GROUPNORM_NO_AFFINE_3D", nn.GroupNorm(3, 6, eps=1e-3, affine=False)(pattern([2, 6, 5], 7)))
emit("GROUPNORM_2D", set_params(nn.GroupNorm(2, 4), 5)(pattern([3, 4], 8)))
emit_names("GROUPNORM_NAMES", nn.GroupNorm(2, 4).state_dict().items())

# ---- InstanceNorm2d ----
emit("INSTNORM_DEFAULT", nn.InstanceNorm2d(3)(pattern([2, 3, 4, 4], 6)))
inn = set_params(nn.InstanceNorm2d(3, affine=True), 4)
x = pattern([2, 3, 3, 5], 7).requires_grad_()
y = inn(x)
emit("INSTNORM_AFFINE", y)
(y * pattern(list(y.shape), 9)).sum().backward()
emit("INSTNORM_GRAD_X", x.grad)
emit("INSTNORM_UNBATCHED", nn.InstanceNorm2d(3)(pattern([3, 4, 4], 8)))
track = set_params(nn.InstanceNorm2d(3, momentum=0.2, affine=True, track_running_stats=True), 4)
track(pattern([2, 3, 4, 4], 6))
emit("INSTNORM_RUNNING_MEAN_1", track.running_mean)
emit("INSTNORM_RUNNING_VAR_1", track.running_var)
track(pattern([3, 3, 2, 3], 7))
emit("INSTNORM_RUNNING_MEAN_2", track.running_mean)
emit("INSTNORM_RUNNING_VAR_2", track.running_var)
print(f"// num_batches_tracked after two training batches: {int(track.num_batches_tracked)}")
track.eval()
emit("INSTNORM_EVAL", track(pattern([1, 3, 2, 2], 8)))
emit_names("INSTNORM_TRACK_NAMES", track.state_dict().items())
emit_names("INSTNORM_DEFAULT_NAMES", nn.InstanceNorm2d(3).state_dict().items())

# ---- interpolate ----
section("resampling", "interpolate, Upsample, PixelShuffle and PixelUnshuffle")
x = pattern([1, 2, 3, 4], 6)
emit("NEAREST_SIZE", F.interpolate(x, size=(5, 7), mode="nearest"))
emit("NEAREST_SCALE", F.interpolate(pattern([1, 1, 3, 5], 7), scale_factor=(2, 1.5), mode="nearest"))
emit("NEAREST_DOWN", F.interpolate(pattern([1, 1, 5, 7], 8), size=(3, 4), mode="nearest"))
emit("NEAREST_SCALE_0_7", F.interpolate(pattern([1, 1, 5, 7], 8), scale_factor=0.7, mode="nearest"))
emit("BILINEAR_SIZE", F.interpolate(x, size=(5, 7), mode="bilinear", align_corners=False))
emit("BILINEAR_SIZE_AC", F.interpolate(x, size=(5, 7), mode="bilinear", align_corners=True))
emit("BILINEAR_SCALE", F.interpolate(pattern([1, 1, 3, 5], 7), scale_factor=(2, 1.5), mode="bilinear"))
emit("BILINEAR_SCALE_AC", F.interpolate(pattern([1, 1, 3, 5], 7), scale_factor=(2, 1.5), mode="bilinear", align_corners=True))
emit("BILINEAR_DOWN", F.interpolate(pattern([1, 1, 5, 7], 8), size=(2, 3), mode="bilinear"))
emit("BILINEAR_DOWN_AC", F.interpolate(pattern([1, 1, 5, 7], 8), size=(2, 3), mode="bilinear", align_corners=True))
emit("BILINEAR_TO_1_AC", F.interpolate(pattern([1, 1, 5, 7], 8), size=(1, 3), mode="bilinear", align_corners=True))
emit("BILINEAR_SCALE_0_7", F.interpolate(pattern([1, 1, 5, 7], 8), scale_factor=0.7, mode="bilinear"))
emit("UPSAMPLE_NEAREST_2", nn.Upsample(scale_factor=2)(pattern([1, 1, 2, 3], 9)))
for mode, kw in [("NEAREST", {}), ("BILINEAR", {"align_corners": False}), ("BILINEAR_AC", {"align_corners": True})]:
    x = pattern([1, 2, 3, 4], 6).requires_grad_()
    y = F.interpolate(x, size=(5, 7), mode=mode.split("_")[0].lower(), **kw)
    (y * pattern(list(y.shape), 9)).sum().backward()
    emit(f"{mode}_GRAD_X", x.grad)

# ---- PixelShuffle / PixelUnshuffle ----
emit("PIXEL_SHUFFLE", nn.PixelShuffle(2)(pattern([1, 8, 2, 3], 6)))
emit("PIXEL_SHUFFLE_5D", F.pixel_shuffle(pattern([2, 1, 9, 2, 2], 7), 3))
emit("PIXEL_UNSHUFFLE", nn.PixelUnshuffle(2)(pattern([1, 2, 4, 6], 8)))
emit("PIXEL_UNSHUFFLE_3D", F.pixel_unshuffle(pattern([1, 6, 3], 9), 3))

# ---- float64: bilinear's source indices and weights in double ----
emit("BILINEAR_SCALE_0_7_F64", F.interpolate(pattern([1, 1, 5, 7], 8).double(), scale_factor=0.7, mode="bilinear"))
emit("BILINEAR_SIZE_F64", F.interpolate(pattern([1, 2, 3, 4], 6).double(), size=(5, 7), mode="bilinear"))

# ---- a state dict written by PyTorch, loaded by the Rust model of the same layers ----
section("state_dict", "the small decoder whose state dict fixtures/layers_more.safetensors holds")
# Writes crates/tensor-nn/tests/fixtures/layers_more.safetensors (safetensors.torch.save_file):
# the state_dict of `decoder` below after one training step (InstanceNorm's running statistics
# move), and prints its eval-mode output for pattern([1, 2, 3, 3], 11).
from safetensors.torch import save_file  # noqa: E402

decoder = nn.Sequential(
    nn.ConvTranspose2d(2, 4, 3, stride=2, padding=1, output_padding=1),  # [1, 4, 6, 6]
    nn.GroupNorm(2, 4),
    nn.InstanceNorm2d(4, affine=True, track_running_stats=True),
    nn.Upsample(scale_factor=1.5, mode="bilinear"),  # [1, 4, 9, 9]
    nn.PixelUnshuffle(3),  # [1, 36, 3, 3]
    nn.Flatten(2),  # [1, 36, 9]
    nn.Conv1d(36, 2, 3, padding=1),  # [1, 2, 9]
    nn.PixelShuffle(1),
)
set_params(decoder, 30)
decoder(pattern([2, 2, 3, 3], 12))
decoder.eval()
emit("DECODER_OUT", decoder(pattern([1, 2, 3, 3], 11)))
emit_names("DECODER_STATE", decoder.state_dict().items())
save_file({k: v.contiguous() for k, v in decoder.state_dict().items()}, "crates/tensor-nn/tests/fixtures/layers_more.safetensors")
write_mod()
