"""The PyTorch values that crates/tensor-nn/tests/attention.rs checks (torch 2.15, CPU, float64).

Inputs are formulas of the element index, so the Rust test builds the same tensors:
  pat(shape, k)[i] = sin(0.7 * i + k) (flat index i, row-major).
Prints Rust array literals.
"""
import math
import torch
import torch.nn.functional as F

torch.set_printoptions(precision=17)


def pat(shape, k):
    n = math.prod(shape)
    return torch.tensor([math.sin(0.7 * i + k) for i in range(n)], dtype=torch.float64).reshape(shape)


def lit(name, t):
    vals = ", ".join(repr(float(v)) for v in t.detach().reshape(-1))
    print(f"const {name}: [f64; {t.numel()}] = [{vals}];")


q, k, v = pat([2, 3, 4], 0.0), pat([2, 5, 4], 1.0), pat([2, 5, 3], 2.0)
up = pat([2, 3, 3], 3.0)
bool_mask = torch.tensor([[True, False, True, True, False], [True, True, False, True, True], [False, True, True, True, True]])
float_mask = pat([3, 5], 4.0)
for name, kw in [("PLAIN", {}), ("BOOL", {"attn_mask": bool_mask}), ("FLOAT", {"attn_mask": float_mask, "scale": 0.3})]:
    qq, kk, vv = (t.clone().requires_grad_() for t in (q, k, v))
    out = F.scaled_dot_product_attention(qq, kk, vv, **kw)
    out.backward(up)
    lit(f"SDPA_{name}", out)
    lit(f"SDPA_{name}_DQ", qq.grad)
    lit(f"SDPA_{name}_DK", kk.grad)
    lit(f"SDPA_{name}_DV", vv.grad)
qc, kc, vc = pat([2, 4, 4], 5.0), pat([2, 4, 4], 6.0), pat([2, 4, 2], 7.0)
lit("SDPA_CAUSAL", F.scaled_dot_product_attention(qc, kc, vc, is_causal=True))

# MultiheadAttention(4, 2) with given weights; sequence-first [L=3, N=2, E=4] self-attention
# with a key padding mask and a float attn_mask, weights averaged over heads.
mha = torch.nn.MultiheadAttention(4, 2, dtype=torch.float64)
with torch.no_grad():
    mha.in_proj_weight.copy_(pat([12, 4], 8.0) * 0.5)
    mha.in_proj_bias.copy_(pat([12], 9.0) * 0.1)
    mha.out_proj.weight.copy_(pat([4, 4], 10.0) * 0.5)
    mha.out_proj.bias.copy_(pat([4], 11.0) * 0.1)
x = pat([3, 2, 4], 12.0)
kpm = torch.tensor([[False, False, True], [False, False, False]])
am = pat([3, 3], 13.0)
out, w = mha(x, x, x, key_padding_mask=kpm, attn_mask=am)
lit("MHA_OUT", out)
lit("MHA_WEIGHTS", w)

# TransformerEncoderLayer(4, 2, dim_feedforward=6, dropout=0) with every parameter set to
# pat(shape, 20 + i) * 0.4 in PyTorch's named_parameters order; post-norm with ReLU (and a key
# padding mask), pre-norm with GELU (causal).
for name, kw, call in [
    ("TEL_POST", {}, lambda m, x: m(x, src_key_padding_mask=torch.tensor([[False, False, True], [False, False, False]]))),
    ("TEL_PRE", {"norm_first": True, "activation": "gelu"}, lambda m, x: m(x, src_mask=torch.nn.Transformer.generate_square_subsequent_mask(3, dtype=torch.float64), is_causal=True)),
]:
    m = torch.nn.TransformerEncoderLayer(4, 2, dim_feedforward=6, dropout=0.0, dtype=torch.float64, **kw)
    with torch.no_grad():
        for i, (_, p) in enumerate(m.named_parameters()):
            p.copy_(pat(list(p.shape), 20.0 + i) * 0.4)
    if name == "TEL_POST":
        print("// " + ", ".join(n for n, _ in m.named_parameters()))
    lit(name, call(m, pat([3, 2, 4], 30.0)))
