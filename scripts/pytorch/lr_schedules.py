"""Reference values for crates/tensor-nn/tests/schedulers.rs.

Run:  ~/.cache/torch-venv/bin/python scripts/pytorch/lr_schedules.py
(from the repository root; PyTorch 2.15 CPU produced the literals committed in
crates/tensor-nn/tests/schedulers_literals.rs). It prints Rust `pub const` items that are pasted
into that module unchanged (rustfmt only rewraps).

Each sequence is `scheduler.get_last_lr()` after construction and after each of STEPS
`optimizer.step(); scheduler.step()` rounds, for an SGD optimizer with two parameter groups
(lr 0.1 and 0.5), as exact floats (`repr` round-trips f64).
"""
import math
import warnings
import torch
from torch.optim import lr_scheduler as L

warnings.simplefilter("ignore")
STEPS = 30
# The metrics fed to ReduceLROnPlateau, one per step (also in the Rust test).
METRICS = [5.0, 4.0, 4.0, 3.99, 3.98, 4.1, 3.0, 3.0, 3.0, 3.0, 2.5, 2.6, 2.7, 2.8, 2.9,
           2.0, 2.0, 2.0, 2.0, 2.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.5]


def optimizer():
    p = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    q = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    return torch.optim.SGD([{"params": [p], "lr": 0.1}, {"params": [q], "lr": 0.5}], lr=0.1)


def rust_f64(x):
    r = repr(float(x))
    return r if ("." in r or "e" in r or "inf" in r or "nan" in r) else r + ".0"


def run(make, metric=False):
    opt = optimizer()
    s = make(opt)
    out = [list(s.get_last_lr())]
    for i in range(STEPS):
        opt.step()
        if metric:
            s.step(METRICS[i])
        else:
            s.step()
        out.append(list(s.get_last_lr()))
    return out


def emit(name, rows):
    print(f"pub const {name}: [[f64; 2]; {len(rows)}] = [")
    for r in rows:
        print("    [" + ", ".join(rust_f64(x) for x in r) + "],")
    print("];")


CASES = {
    "LAMBDA_LR": lambda o: L.LambdaLR(o, [lambda e: 0.95 ** e, lambda e: 1.0 / (e + 1)]),
    "MULTIPLICATIVE_LR": lambda o: L.MultiplicativeLR(o, [lambda e: 0.9, lambda e: 1.0 - 0.01 * e]),
    "STEP_LR_30": lambda o: L.StepLR(o, step_size=4, gamma=0.7),
    "MULTI_STEP_LR": lambda o: L.MultiStepLR(o, milestones=[12, 3, 7, 7], gamma=0.3),
    "EXPONENTIAL_LR": lambda o: L.ExponentialLR(o, gamma=0.87),
    "LINEAR_LR": lambda o: L.LinearLR(o, start_factor=0.25, end_factor=0.9, total_iters=7),
    "LINEAR_LR_DEFAULT": lambda o: L.LinearLR(o),
    "COSINE_LR_30": lambda o: L.CosineAnnealingLR(o, T_max=7, eta_min=0.002),
    "WARM_RESTARTS": lambda o: L.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.001),
    "WARM_RESTARTS_T1": lambda o: L.CosineAnnealingWarmRestarts(o, T_0=4),
    "ONE_CYCLE": lambda o: L.OneCycleLR(o, max_lr=[1.0, 2.0], total_steps=30, cycle_momentum=False),
    "ONE_CYCLE_THREE_PHASE": lambda o: L.OneCycleLR(
        o, max_lr=0.8, epochs=6, steps_per_epoch=5, pct_start=0.25, anneal_strategy="linear",
        div_factor=10.0, final_div_factor=100.0, three_phase=True, cycle_momentum=False),
    "SEQUENTIAL_LR": lambda o: L.SequentialLR(o, [
        L.LinearLR(o, start_factor=0.1, total_iters=4),
        L.ExponentialLR(o, gamma=0.9),
        L.CosineAnnealingLR(o, T_max=5, eta_min=0.01)], milestones=[4, 10]),
    "SEQUENTIAL_LR_2": lambda o: L.SequentialLR(o, [
        L.MultiStepLR(o, milestones=[2, 4], gamma=0.5),
        L.CosineAnnealingWarmRestarts(o, T_0=4, T_mult=2, eta_min=0.01),
        L.LambdaLR(o, lambda e: 0.9 ** e)], milestones=[6, 20]),
}
PLATEAU = {
    "PLATEAU_MIN_REL": lambda o: L.ReduceLROnPlateau(o, factor=0.5, patience=2, threshold=0.01, cooldown=1,
                                                     min_lr=[0.01, 0.02]),
    "PLATEAU_MAX_ABS": lambda o: L.ReduceLROnPlateau(o, mode="max", factor=0.3, patience=0, threshold=0.5,
                                                     threshold_mode="abs", min_lr=0.001),
}



def adam():
    p = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    q = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    return torch.optim.Adam([{"params": [p], "lr": 0.1}, {"params": [q], "lr": 0.5}], lr=0.1)


def momentum(g):
    return g["betas"][0] if "betas" in g else g["momentum"]


def run_momentum(opt, make):
    """OneCycleLR's momentum (SGD's momentum, Adam's beta1) of each group, as `run`'s lrs."""
    s = make(opt)
    out = [[momentum(g) for g in opt.param_groups]]
    for _ in range(STEPS):
        opt.step()
        s.step()
        out.append([momentum(g) for g in opt.param_groups])
    return out


print(f"// Produced by scripts/pytorch/lr_schedules.py (torch {torch.__version__}).")
for name, make in CASES.items():
    emit(name, run(make))
for name, make in PLATEAU.items():
    emit(name, run(make, metric=True))
emit("ONE_CYCLE_MOMENTUM_SGD", run_momentum(optimizer(), lambda o: L.OneCycleLR(
    o, max_lr=[1.0, 2.0], total_steps=30, base_momentum=0.8, max_momentum=0.9)))
emit("ONE_CYCLE_BETA1_ADAM", run_momentum(adam(), lambda o: L.OneCycleLR(
    o, max_lr=0.5, total_steps=30, three_phase=True, anneal_strategy="linear")))
