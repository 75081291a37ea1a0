"""Reference values for crates/tensor-nn/tests/optim.rs.

Run:  $(sh ../shared/bench/setup-torch.sh) scripts/pytorch/nn_optim.py
(from the repository root; PyTorch 2.15 CPU produced the literals committed in the test).
It prints Rust `const` items that are pasted into the test unchanged (rustfmt only rewraps the lines).

The problem: a 3-element float64 parameter w, starting at W0, and the quadratic loss
    loss(w) = sum(A * (w - C)**2) + 0.5 * w[0] * w[1]
(a coupled, non-separable quadratic), computed in the parameter's dtype. Each trajectory is the parameter after each of STEPS
optimizer steps (zero_grad, loss.backward(), step).
"""
import math
import torch

torch.set_default_dtype(torch.float64)

W0 = [1.0, -2.0, 3.0]
A = [0.5, 2.0, 1.5]
C = [0.3, 0.1, -0.7]
STEPS = 6


def loss_fn(w):
    a = torch.tensor(A, dtype=w.dtype)
    c = torch.tensor(C, dtype=w.dtype)
    return (a * (w - c) ** 2).sum() + 0.5 * w[0] * w[1]


def rust_f64(x):
    r = repr(float(x))
    if r in ("inf", "-inf", "nan"):
        return {"inf": "f64::INFINITY", "-inf": "f64::NEG_INFINITY", "nan": "f64::NAN"}[r]
    if "e" not in r and "." not in r:
        r += ".0"
    return r


def rows(name, rs):
    n = len(rs[0])
    body = ",\n".join("    [" + ", ".join(rust_f64(v) for v in r) + "]" for r in rs)
    print(f"const {name}: [[f64; {n}]; {len(rs)}] = [\n{body},\n];")


def flat(name, vs):
    print(f"const {name}: [f64; {len(vs)}] = [" + ", ".join(rust_f64(v) for v in vs) + "];")


def trajectory(name, make_opt, dtype=torch.float64, sched=None):
    w = torch.tensor(W0, dtype=dtype, requires_grad=True)
    opt = make_opt([w])
    s = sched(opt) if sched else None
    out = []
    for _ in range(STEPS):
        opt.zero_grad()
        loss_fn(w).backward()
        opt.step()
        if s:
            s.step()
        out.append(w.detach().double().tolist())
    rows(name, out)


optim = torch.optim
print("// SGD")
trajectory("SGD_PLAIN", lambda p: optim.SGD(p, lr=0.1))
trajectory("SGD_MOMENTUM", lambda p: optim.SGD(p, lr=0.1, momentum=0.9))
trajectory("SGD_DAMPENING", lambda p: optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.5))
trajectory("SGD_NESTEROV", lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True))
trajectory("SGD_WEIGHT_DECAY", lambda p: optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.1))
print("// Adam")
trajectory("ADAM", lambda p: optim.Adam(p, lr=0.1))
trajectory("ADAM_WEIGHT_DECAY", lambda p: optim.Adam(p, lr=0.1, weight_decay=0.1))
trajectory("ADAM_AMSGRAD", lambda p: optim.Adam(p, lr=0.1, betas=(0.9, 0.99), amsgrad=True))
trajectory("ADAM_BETAS", lambda p: optim.Adam(p, lr=0.05, betas=(0.3, 0.5), eps=1e-3))
print("// AdamW")
trajectory("ADAMW", lambda p: optim.AdamW(p, lr=0.1))
trajectory("ADAMW_DECAY_AMSGRAD", lambda p: optim.AdamW(p, lr=0.1, weight_decay=0.5, amsgrad=True))
print("// float32 Adam (values printed as the float64 of each float32)")
trajectory("ADAM_F32", lambda p: optim.Adam(p, lr=0.1), dtype=torch.float32)
print("// SGD with momentum driven by CosineAnnealingLR(T_max=3, eta_min=0.01)")
trajectory(
    "SGD_COSINE",
    lambda p: optim.SGD(p, lr=0.1, momentum=0.9),
    sched=lambda o: optim.lr_scheduler.CosineAnnealingLR(o, T_max=3, eta_min=0.01),
)

# Two parameter groups with their own learning rates (the first group keeps the default lr).
print("// two groups: Adam([{w1}, {w2, lr=0.01}], lr=0.1, weight_decay=0.1); loss sum(w1**2) + sum((w1[:2] * w2)**3)")
w1 = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
w2 = torch.tensor([0.5, 0.25], requires_grad=True)
opt = optim.Adam([{"params": [w1]}, {"params": [w2], "lr": 0.01}], lr=0.1, weight_decay=0.1)
t1, t2 = [], []
for _ in range(STEPS):
    opt.zero_grad()
    ((w1**2).sum() + ((w1[:2] * w2) ** 3).sum()).backward()
    opt.step()
    t1.append(w1.detach().tolist())
    t2.append(w2.detach().tolist())
rows("GROUPS_W1", t1)
rows("GROUPS_W2", t2)

# Schedulers: lr after each of N scheduler steps (two groups, lr 0.1 and 0.5).
print("// schedulers: learning rates of two groups (0.1, 0.5) after each step")


def lrs(make, n):
    p = [torch.zeros(1, requires_grad=True)]
    q = [torch.zeros(1, requires_grad=True)]
    o = optim.SGD([{"params": p}, {"params": q, "lr": 0.5}], lr=0.1)
    s = make(o)
    out = []
    for _ in range(n):
        o.step()
        s.step()
        out.append([g["lr"] for g in o.param_groups])
    return out


rows("STEP_LR", lrs(lambda o: optim.lr_scheduler.StepLR(o, step_size=3, gamma=0.1), 10))
rows("COSINE_LR", lrs(lambda o: optim.lr_scheduler.CosineAnnealingLR(o, T_max=4, eta_min=0.001), 14))
rows("COSINE_LR_T1", lrs(lambda o: optim.lr_scheduler.CosineAnnealingLR(o, T_max=1), 5))

# clip_grad_norm_: two parameters whose grads are G1 (3 elements) and G2 (2x2).
print("// clip_grad_norm_(max_norm=1.0) of grads G1 = [3, -4, 12], G2 = [[1, -2], [0.5, 8]]")
G1 = [3.0, -4.0, 12.0]
G2 = [[1.0, -2.0], [0.5, 8.0]]
for label, norm_type in [("L2", 2.0), ("L1", 1.0), ("INF", math.inf), ("P3", 3.0)]:
    p1 = torch.zeros(3, requires_grad=True)
    p2 = torch.zeros(2, 2, requires_grad=True)
    p1.grad = torch.tensor(G1)
    p2.grad = torch.tensor(G2)
    total = torch.nn.utils.clip_grad_norm_([p1, p2], max_norm=1.0, norm_type=norm_type)
    flat(f"CLIP_{label}", [total.item()] + p1.grad.tolist() + p2.grad.flatten().tolist())
