"""Reference values for crates/tensor-autograd/tests/inplace_views.rs: in-place ops on views of
non-leaf tensors (PyTorch rebases the base's history onto CopySlices), the grad_fn names they
leave, and the errors PyTorch raises (a view of a leaf, outputs of multi-view ops).

Run:  ~/.cache/torch-venv/bin/python scripts/pytorch/inplace_views.py
(from the repository root; the PyTorch version is printed in the first line). Each case prints
`// name: x.grad_fn, view.grad_fn` and the gradients as `[...]` lists (float64, exact binary
fractions), pasted into the test.
"""
import torch

print(f"// torch {torch.__version__}")
D = torch.float64


def leaf():
    return torch.arange(1.0, 7.0, dtype=D).reshape(2, 3).requires_grad_()


def weights():
    return torch.tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.5]], dtype=D)


def show(name, x, v, **grads):
    print(f"// {name}: {type(x.grad_fn).__name__}, {type(v.grad_fn).__name__}")
    for k, g in grads.items():
        print(f"//   {k}.grad = {g.grad.flatten().tolist()}")


# narrow, mul_ by a number
a = leaf(); x = a.clone(); v = x.narrow(1, 0, 2); v.mul_(2)
(x * weights()).sum().backward(); show("narrow_mul", x, v, a=a)

# select, copy_ from a tensor that requires grad
a = leaf(); y = torch.tensor([0.5, 1.5, -2.0], dtype=D, requires_grad=True)
x = a.clone(); v = x.select(0, 1); v.copy_(y * y)
(x * weights()).sum().backward(); show("select_copy", x, v, a=a, y=y)

# slice with a step, add_ a tensor that requires grad, then a product that saves x
a = leaf(); y = torch.tensor([[1.0, -1.0], [0.5, 2.0]], dtype=D, requires_grad=True)
x = a.clone(); v = x[:, ::2]; v.add_(y)
(x * x).sum().backward(); show("slice_step_add", x, v, a=a, y=y)

# view (flattening), mul_ by a tensor that requires grad
a = leaf(); y = torch.linspace(-1.0, 1.5, 6, dtype=D).requires_grad_()
x = a.clone(); v = x.view(6); v.mul_(y)
(x * weights()).sum().backward(); show("view_mul", x, v, a=a, y=y)

# transpose, masked_fill_
a = leaf(); mask = torch.tensor([[True, False], [False, True], [True, False]])
x = a.clone(); v = x.t(); v.masked_fill_(mask, 0.5)
(x * weights()).sum().backward(); show("transpose_masked_fill", x, v, a=a)

# two in-place ops on overlapping views, and the first view used after the second op
a = leaf(); y = torch.tensor([2.0, -1.0, 0.5], dtype=D, requires_grad=True)
x = a.clone(); v1 = x[:, 1:]; v2 = x[1]; v1.mul_(3); v2.mul_(y)
print(f"//   v1 after: {type(v1.grad_fn).__name__}")
((x * weights()).sum() + (v1 * v1).sum()).backward(); show("overlapping", x, v2, a=a, y=y)

# a view of a view, then div_
a = leaf()
x = a.clone(); v = x.t()[1:]; v.div_(4)
(x * weights()).sum().backward(); show("view_of_view_div", x, v, a=a)

# a base that does not require grad takes its gradient from the copied source
a = leaf()
x = torch.zeros(3, dtype=D); v = x[1:]; v.copy_(a[0, :2])
(x * torch.tensor([1.0, 2.0, 3.0], dtype=D)).sum().backward()
print(f"// constant_base: {type(x.grad_fn).__name__}, {type(v.grad_fn).__name__}, is_leaf={x.is_leaf}")
print(f"//   a.grad = {a.grad.flatten().tolist()}")

for name, f in [
    ("view_of_leaf", lambda a: a.narrow(1, 0, 1).mul_(2)),
    ("split", lambda a: a.clone().split(1, 0)[1].mul_(2)),
    ("unbind", lambda a: a.clone().unbind(0)[0].mul_(2)),
]:
    try:
        f(leaf())
    except RuntimeError as e:
        print(f"// {name}: {e}")

# a view taken under no_grad, modified in place with grad mode on
a = leaf(); x = a.clone()
with torch.no_grad():
    v = x.select(0, 0)
try:
    v.copy_(torch.tensor([1.0, 2.0, 3.0], dtype=D, requires_grad=True))
except RuntimeError as e:
    print(f"// no_grad_view: {str(e)[:100]}")

# the version counter: a saved tensor overwritten through a view
a = leaf(); x = a.clone(); b = x * x; x.narrow(1, 0, 1).mul_(2)
try:
    b.sum().backward()
except RuntimeError as e:
    print(f"// saved_then_view_written: {str(e)[:80]}")
