"""Reference values for crates/tensor-autograd/tests/functions_hooks.rs: tensor hooks under
create_graph (the hook sees a gradient that is itself differentiable and may return a
replacement built from it), and a custom Function that saves its output (double backward).

Run:  ~/.cache/torch-venv/bin/python scripts/pytorch/hooks_create_graph.py
(from the repository root; the PyTorch version is printed in the first line). Prints `// name`
lines with what the hooks saw and the gradients as flat lists (float64, exact values).
"""
import torch

print(f"// torch {torch.__version__}")
D = torch.float64

# A hook on a non-leaf y = x * x, returning g * y (a replacement that depends on x), under
# create_graph: then the gradient of sum(gx * w).
x = torch.tensor([1.0, 2.0, -0.5], dtype=D, requires_grad=True)
y = x * x
seen = []


def hook(g):
    seen.append((g.requires_grad, type(g.grad_fn).__name__ if g.grad_fn is not None else None, g.tolist()))
    return g * y


y.register_hook(hook)
out = (y * torch.tensor([1.0, -1.0, 2.0], dtype=D)).sum()
(gx,) = torch.autograd.grad(out, x, create_graph=True)
print(f"// non_leaf: seen {seen}")
print(f"//   gx = {gx.tolist()} requires_grad={gx.requires_grad}")
(ggx,) = torch.autograd.grad((gx * torch.tensor([0.5, 1.0, 2.0], dtype=D)).sum(), x)
print(f"//   ggx = {ggx.tolist()}")

# The gradient reaching a hook on a non-leaf is itself differentiable when it depends on x:
# y = x * x, z = y * y; the hook on y sees 2 y g (a function of x).
x = torch.tensor([1.0, 2.0, -0.5], dtype=D, requires_grad=True)
y = x * x
z = y * y
seen = []


def hook2(g):
    seen.append((g.requires_grad, type(g.grad_fn).__name__ if g.grad_fn is not None else None, g.tolist()))
    return g * 3


y.register_hook(hook2)
(gx,) = torch.autograd.grad(z.sum(), x, create_graph=True)
print(f"// chain: seen {seen}")
print(f"//   gx = {gx.tolist()}")
(ggx,) = torch.autograd.grad(gx.sum(), x)
print(f"//   ggx = {ggx.tolist()}")

# A hook on a leaf, under backward(create_graph=True): it sees a differentiable gradient.
a = torch.tensor([1.0, 2.0], dtype=D, requires_grad=True)
seen = []


def hook3(g):
    seen.append((g.requires_grad, type(g.grad_fn).__name__ if g.grad_fn is not None else None, g.tolist()))
    return g * 2


a.register_hook(hook3)
(ga,) = torch.autograd.grad((a * a * a).sum(), a, create_graph=True)
print(f"// leaf: seen {seen}")
print(f"//   ga = {ga.tolist()} requires_grad={ga.requires_grad}")
(gga,) = torch.autograd.grad(ga.sum(), a)
print(f"//   gga = {gga.tolist()}")


# A custom exp that saves its output: double backward.
class MyExp(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        out = x.exp()
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * out


x = torch.tensor([0.0, 0.5, -1.0], dtype=D, requires_grad=True)
y = MyExp.apply(x)
(gx,) = torch.autograd.grad(y.sum(), x, create_graph=True)
print(f"// custom_exp: {type(y.grad_fn).__name__}, gx.grad_fn {type(gx.grad_fn).__name__}")
print(f"//   gx = {gx.tolist()}")
(ggx,) = torch.autograd.grad(gx.sum(), x)
print(f"//   ggx = {ggx.tolist()}")
print(f"// gradgradcheck: {torch.autograd.gradgradcheck(MyExp.apply, (x,))}")
