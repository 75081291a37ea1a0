"""Reference values for crates/tensor-autograd/tests/prod_zeros.rs: the gradient of `prod` and
`prod(dim)` with zeros in the input (0, 1 and 2 zeros), and a second derivative through it
(`create_graph`): the gradient of `sum(grad * w)`.

Run:  ~/.cache/torch-venv/bin/python scripts/pytorch/prod_zeros.py
(from the repository root; the PyTorch version is printed in the first line). Each case prints
`// name: [input]` and the gradients as flat lists (float64, exact binary fractions).
"""
import torch

print(f"// torch {torch.__version__}")
D = torch.float64


def case(name, values, shape, f):
    x = torch.tensor(values, dtype=D).reshape(shape).requires_grad_()
    y = f(x)
    (g,) = torch.autograd.grad(y, x, torch.ones_like(y), create_graph=True)
    w = torch.linspace(-1.0, 1.0, x.numel(), dtype=D).reshape(shape)
    (gg,) = torch.autograd.grad((g * w).sum(), x)
    print(f"// {name}: {values} {list(shape)}")
    print(f"//   value = {y.detach().flatten().tolist()}")
    print(f"//   grad = {g.detach().flatten().tolist()}")
    print(f"//   gradgrad = {gg.flatten().tolist()}")


case("prod_no_zero", [1.5, -2.0, 0.5, 4.0], (4,), lambda x: x.prod())
case("prod_one_zero", [1.5, -2.0, 0.0, 4.0], (4,), lambda x: x.prod())
case("prod_two_zeros", [1.5, 0.0, 0.0, 4.0], (4,), lambda x: x.prod())
case("prod_two_zeros_2d", [0.0, 2.0, 3.0, 0.5, 0.0, -1.0], (2, 3), lambda x: x.prod())
# rows with no zero, one zero and two zeros
rows = [1.5, -2.0, 0.5, 0.0, 3.0, 2.0, 0.0, -0.5, 0.0]
case("prod_dim1", rows, (3, 3), lambda x: x.prod(1))
case("prod_dim1_keepdim", rows, (3, 3), lambda x: x.prod(1, keepdim=True))
case("prod_dim0", rows, (3, 3), lambda x: x.prod(0))
