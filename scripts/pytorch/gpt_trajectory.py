"""A tiny GPT's losses over five AdamW steps from given weights, for
crates/tensor-nn/tests/gpt_job.rs: gpt_reference.py's model (vocabulary 11, context 8, width 16,
2 heads, 2 blocks, tied), every parameter set by a formula exact in float32, one fixed batch,
AdamW in two groups (weight decay 0.1 on matrices only, betas 0.9/0.99), gradient clipping at
1.0, and the reference's schedule shape (2 warm-up steps, then a cosine from 1e-2 to 1e-3 at
step 5). Prints the parameter names, the losses and a few parameters after the last step as
Rust literals. Run with PyTorch 2.15 (CPU): python3 scripts/pytorch/gpt_trajectory.py
"""
import math
import torch, torch.nn as nn, torch.nn.functional as F

V, T, C, H, L, B = 11, 8, 16, 2, 2, 2
STEPS, LR, MIN_LR, WARM = 5, 1e-2, 1e-3, 2

class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln_1 = nn.LayerNorm(C); self.c_attn = nn.Linear(C, 3 * C); self.c_proj = nn.Linear(C, C)
        self.ln_2 = nn.LayerNorm(C); self.c_fc = nn.Linear(C, 4 * C); self.mlp_proj = nn.Linear(4 * C, C)
    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(C, dim=2)
        q, k, v = (z.view(b, t, H, C // H).transpose(1, 2) for z in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.c_proj(y.transpose(1, 2).contiguous().view(b, t, c))
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x))))

class Gpt(nn.Module):
    def __init__(self):
        super().__init__()
        self.wte = nn.Embedding(V, C); self.wpe = nn.Embedding(T, C)
        self.h = nn.ModuleList(Block() for _ in range(L)); self.ln_f = nn.LayerNorm(C)
        self.lm_head = nn.Linear(C, V, bias=False); self.lm_head.weight = self.wte.weight
    def forward(self, idx):
        x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1]))
        for blk in self.h:
            x = blk(x)
        return self.lm_head(self.ln_f(x))

def value(name, i, j):
    """Parameter i (in named_parameters order), element j (flat): exact in float32."""
    if ".ln_" in name or name.startswith("ln_f"):
        if name.endswith("weight"):
            return 1.0 + ((j * 5 + i * 3) % 9 - 4) / 64.0
    return ((j * 7 + i * 13) % 23 - 11) / 128.0

def lr_at(it):
    if it < WARM:
        return LR * (it + 1) / (WARM + 1)
    r = (it - WARM) / max(1, STEPS - WARM)
    return MIN_LR + 0.5 * (1 + math.cos(math.pi * min(r, 1.0))) * (LR - MIN_LR)

model = Gpt()
names = [n for n, _ in model.named_parameters()]
with torch.no_grad():
    for i, (n, p) in enumerate(model.named_parameters()):
        p.copy_(torch.tensor([value(n, i, j) for j in range(p.numel())], dtype=torch.float64).view(p.shape))
x = torch.tensor([[(b * 5 + t * 3) % V for t in range(T)] for b in range(B)])
y = torch.tensor([[(b * 7 + t * 2 + 1) % V for t in range(T)] for b in range(B)])
decay = [p for p in model.parameters() if p.dim() >= 2]; no_decay = [p for p in model.parameters() if p.dim() < 2]
opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}], lr=LR, betas=(0.9, 0.99))
losses = []
for it in range(STEPS):
    for g in opt.param_groups:
        g["lr"] = lr_at(it)
    loss = F.cross_entropy(model(x).view(-1, V), y.view(-1))
    opt.zero_grad(set_to_none=True); loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0); opt.step()
    losses.append(loss.item())
with torch.no_grad():
    final = F.cross_entropy(model(x).view(-1, V), y.view(-1)).item()
print(f"// torch {torch.__version__}")
print(f"const NAMES: [&str; {len(names)}] = {names!r};".replace("'", '"'))
print(f"const LOSSES: [f64; {STEPS}] = [{', '.join(repr(l) for l in losses)}];")
print(f"const FINAL_LOSS: f64 = {final!r};")
print(f"const WTE_ROW_3: [f64; {C}] = [{', '.join(repr(v) for v in model.wte.weight[3].tolist())}];")
print(f"const MLP_PROJ_1_BIAS: [f64; {C}] = [{', '.join(repr(v) for v in model.h[1].mlp_proj.bias.tolist())}];")
