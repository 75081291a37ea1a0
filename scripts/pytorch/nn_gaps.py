"""Reference values for crates/tensor-nn/tests/layer_options.rs and tests/loss_options.rs:
the layer and loss options beyond the basics (Conv2d padding='same' with asymmetric padding,
BatchNorm with momentum=None / track_running_stats=False / affine=False, LayerNorm without
elementwise_affine or without bias, cross-entropy against class probabilities).

Run:  ~/.cache/torch-venv/bin/python scripts/pytorch/nn_gaps.py layers   (or: losses)
(from the repository root; the PyTorch version is printed in the first line). It prints Rust
`const` items that are pasted into the test unchanged (rustfmt only rewraps the lines), and
`// ...` lines with the names, shapes and errors that the tests assert.

As in nn_layers.py, layers run in float32 on `pattern(shape, seed)` / `distinct(shape, seed)`
(multiples of 1/8 or 1/16, exact in float32); as in nn_losses.py, losses run in float64, each
case holding the loss under reduction none (flattened), mean and sum, in that order.
"""
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F


def pattern(shape, seed, dtype=torch.float32):
    n = 1
    for d in shape:
        n *= d
    vals = [(((i * 37 + seed * 11) % 23) - 11) / 8 for i in range(n)]
    return torch.tensor(vals, dtype=dtype).reshape(shape)


def rust_f64(x):
    r = repr(float(x))
    if "e" not in r and "." not in r and "inf" not in r and "nan" not in r:
        r += ".0"
    return r


def emit(name, t):
    t = t.detach()
    vals = t.flatten().tolist()
    print(f"/// shape {list(t.shape)}")
    print(f"const {name}: [f64; {len(vals)}] = [" + ", ".join(rust_f64(v) for v in vals) + "];")


def emit_list(name, vals):
    print(f"const {name}: [f64; {len(vals)}] = [" + ", ".join(rust_f64(v) for v in vals) + "];")


def raises(what, fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 -- any error is what the test asserts
        print(f"// error: {what}: {type(e).__name__}: {str(e).splitlines()[0]}")
        return
    raise AssertionError(f"{what}: PyTorch accepted it")


def layers():
    torch.manual_seed(0)  # nothing below is random: every parameter is set explicitly

    # ---- Conv2d, padding='same' with an odd total padding dilation * (k - 1) ----
    def conv(name, cin, cout, k, x_shape, grad=False, **kw):
        c = nn.Conv2d(cin, cout, k, padding="same", **kw)
        with torch.no_grad():
            c.weight.copy_(pattern(list(c.weight.shape), 4))
            if c.bias is not None:
                c.bias.copy_(pattern([cout], 5))
        x = pattern(x_shape, 6).requires_grad_()
        y = c(x)
        assert list(y.shape[2:]) == x_shape[2:]
        emit(name, y)
        if grad:
            (y * pattern(list(y.shape), 7)).sum().backward()
            emit(name + "_GRAD_X", x.grad)
            emit(name + "_GRAD_W", c.weight.grad)

    # kernel 2: total 1 per dim, the extra row / column at the bottom / right
    conv("CONV_SAME_K2", 2, 3, 2, [1, 2, 5, 4], grad=True)
    # kernel (4, 3), dilation (1, 2): total (3, 4), asymmetric in height only
    conv("CONV_SAME_K4X3_D1X2", 2, 2, (4, 3), [2, 2, 6, 5], dilation=(1, 2))
    # kernel (2, 4), dilation (3, 1), groups 2, no bias: total (3, 3)
    conv("CONV_SAME_K2X4_D3X1_G2", 2, 4, (2, 4), [1, 2, 5, 7], dilation=(3, 1), groups=2, bias=False)
    # kernel 2, dilation 2: total 2, symmetric again
    conv("CONV_SAME_K2_D2", 1, 2, 2, [1, 1, 4, 5], dilation=2)
    raises("Conv2d(1, 1, 2, padding='same', stride=2)", lambda: nn.Conv2d(1, 1, 2, padding="same", stride=2))
    raises("Conv2d(1, 1, 3, padding='same', stride=(1, 2))", lambda: nn.Conv2d(1, 1, 3, padding="same", stride=(1, 2)))

    # ---- BatchNorm1d(3, momentum=None): a cumulative average over three training steps ----
    bn = nn.BatchNorm1d(3, momentum=None)
    with torch.no_grad():
        bn.weight.copy_(pattern([3], 5))
        bn.bias.copy_(pattern([3], 6))
    emit("BN_CMA_TRAIN_OUT_1", bn(pattern([4, 3], 7)))
    emit("BN_CMA_RUNNING_MEAN_1", bn.running_mean)
    emit("BN_CMA_RUNNING_VAR_1", bn.running_var)
    bn(pattern([4, 3], 8))
    bn(pattern([2, 3, 3], 9))
    emit("BN_CMA_RUNNING_MEAN_3", bn.running_mean)
    emit("BN_CMA_RUNNING_VAR_3", bn.running_var)
    assert bn.num_batches_tracked.item() == 3
    bn.eval()
    emit("BN_CMA_EVAL_OUT", bn(pattern([2, 3], 10)))
    assert bn.num_batches_tracked.item() == 3

    # ---- BatchNorm2d(2, momentum=None, affine=False): two steps ----
    bn2 = nn.BatchNorm2d(2, momentum=None, affine=False)
    print("// BN2D_CMA_NO_AFFINE state_dict: " + ", ".join(sorted(bn2.state_dict().keys())))
    bn2(pattern([2, 2, 3, 3], 14))
    emit("BN2D_CMA_NO_AFFINE_OUT_2", bn2(pattern([1, 2, 2, 3], 15)))
    emit("BN2D_CMA_NO_AFFINE_RUNNING_MEAN", bn2.running_mean)
    emit("BN2D_CMA_NO_AFFINE_RUNNING_VAR", bn2.running_var)

    # ---- BatchNorm2d(2, track_running_stats=False): batch statistics in train and eval ----
    bn3 = nn.BatchNorm2d(2, eps=1e-3, track_running_stats=False)
    with torch.no_grad():
        bn3.weight.copy_(pattern([2], 12))
        bn3.bias.copy_(pattern([2], 13))
    print("// BN_NOTRACK state_dict: " + ", ".join(bn3.state_dict().keys()))
    assert bn3.running_mean is None and bn3.running_var is None and bn3.num_batches_tracked is None
    emit("BN_NOTRACK_TRAIN_OUT", bn3(pattern([2, 2, 2, 3], 16)))
    bn3.eval()
    x = pattern([2, 2, 2, 3], 17).requires_grad_()
    y = bn3(x)
    emit("BN_NOTRACK_EVAL_OUT", y)
    (y * pattern([2, 2, 2, 3], 18)).sum().backward()
    emit("BN_NOTRACK_EVAL_GRAD_X", x.grad)
    emit("BN_NOTRACK_EVAL_GRAD_W", bn3.weight.grad)
    raises("BatchNorm1d(2, track_running_stats=False).eval() on [1, 2]",
           lambda: nn.BatchNorm1d(2, track_running_stats=False).eval()(pattern([1, 2], 0)))

    # ---- BatchNorm1d(3, affine=False, track_running_stats=False): nothing in the state dict ----
    bn4 = nn.BatchNorm1d(3, affine=False, track_running_stats=False)
    print("// BN_BARE state_dict: [" + ", ".join(bn4.state_dict().keys()) + "]")
    bn4.eval()
    emit("BN_BARE_EVAL_OUT", bn4(pattern([2, 3, 2], 19)))

    # ---- LayerNorm([4], elementwise_affine=False) ----
    ln = nn.LayerNorm([4], elementwise_affine=False)
    print("// LN_NO_AFFINE named_parameters: [" + ", ".join(n for n, _ in ln.named_parameters()) + "]")
    print("// LN_NO_AFFINE state_dict: [" + ", ".join(ln.state_dict().keys()) + "]")
    emit("LN_NO_AFFINE", ln(pattern([2, 3, 4], 18)))

    # ---- LayerNorm([3, 4], eps=1e-3, bias=False) ----
    ln2 = nn.LayerNorm([3, 4], eps=1e-3, bias=False)
    print("// LN_NO_BIAS named_parameters: [" + ", ".join(n for n, _ in ln2.named_parameters()) + "]")
    print("// LN_NO_BIAS state_dict: [" + ", ".join(ln2.state_dict().keys()) + "]")
    with torch.no_grad():
        ln2.weight.copy_(pattern([3, 4], 16))
    x = pattern([2, 3, 4], 18).requires_grad_()
    y = ln2(x)
    emit("LN_NO_BIAS", y)
    (y * pattern([2, 3, 4], 19)).sum().backward()
    emit("LN_NO_BIAS_GRAD_X", x.grad)
    emit("LN_NO_BIAS_GRAD_W", ln2.weight.grad)

    # ---- LayerNorm([4], elementwise_affine=False, bias=True): bias is ignored ----
    ln3 = nn.LayerNorm([4], elementwise_affine=False, bias=True)
    print("// LN_NO_AFFINE_BIAS named_parameters: [" + ", ".join(n for n, _ in ln3.named_parameters()) + "]")


def losses():
    torch.set_default_dtype(torch.float64)

    def p(shape, seed):
        return pattern(shape, seed, torch.float64)

    def three(name, fn):
        emit_list(name, fn("none").flatten().tolist() + [fn("mean").item(), fn("sum").item()])

    X = p([4, 3], 1) * 2  # logits, as nn_losses.py
    PT = torch.softmax(p([4, 3], 7), dim=1)  # class probabilities
    QT = p([4, 3], 8).abs()  # non-negative, rows not summing to 1 (PyTorch does not check)
    W = torch.tensor([0.25, 1.0, 2.5])

    print("// cross_entropy of X = pattern([4, 3], 1) * 2 against PT = softmax(pattern([4, 3], 7), 1)")
    print("// and QT = |pattern([4, 3], 8)|, class weights W = [0.25, 1, 2.5]")
    three("CE_PROB", lambda r: F.cross_entropy(X, PT, reduction=r))
    three("CE_PROB_UNNORMALISED", lambda r: F.cross_entropy(X, QT, reduction=r))
    three("CE_PROB_WEIGHT", lambda r: F.cross_entropy(X, PT, weight=W, reduction=r))
    three("CE_PROB_SMOOTH", lambda r: F.cross_entropy(X, PT, label_smoothing=0.2, reduction=r))
    three("CE_PROB_ALL", lambda r: F.cross_entropy(X, QT, weight=W, label_smoothing=0.3, reduction=r))
    # the gradient of the mean of CE_PROB_ALL w.r.t. the logits and the target
    x = X.clone().requires_grad_()
    t = QT.clone().requires_grad_()
    F.cross_entropy(x, t, weight=W, label_smoothing=0.3).backward()
    emit_list("CE_PROB_ALL_GRAD_X", x.grad.flatten().tolist())
    emit_list("CE_PROB_ALL_GRAD_T", t.grad.flatten().tolist())
    # a negative ignore_index (the default -100, or -1) is accepted and changes nothing
    assert torch.equal(F.cross_entropy(X, PT, ignore_index=-1), F.cross_entropy(X, PT))
    # [N, C, d1, d2] logits with a target of the same shape
    XK = p([2, 3, 2, 2], 2)
    TK = torch.softmax(p([2, 3, 2, 2], 9) * 2, dim=1)
    three("CE_PROB_KDIM", lambda r: F.cross_entropy(XK, TK, weight=W, label_smoothing=0.1, reduction=r))
    # a single sample: [C] logits, [C] probabilities
    three("CE_PROB_1D", lambda r: F.cross_entropy(X[1], PT[1], weight=W, reduction=r))
    # the module
    emit_list("CE_PROB_MODULE", [nn.CrossEntropyLoss(weight=W, label_smoothing=0.2, reduction="sum")(X, PT).item()])
    # an empty batch: the mean is NaN, the sum 0
    E = torch.zeros(0, 3)
    print(f"// empty: mean {F.cross_entropy(E, E).item()}, sum {F.cross_entropy(E, E, reduction='sum').item()}, "
          f"none shape {list(F.cross_entropy(E, E, reduction='none').shape)}")
    raises("ignore_index=1 with class probabilities", lambda: F.cross_entropy(X, PT, ignore_index=1))
    raises("ignore_index=0 with class probabilities", lambda: F.cross_entropy(X, PT, ignore_index=0))
    raises("an integer target of the logits' shape", lambda: F.cross_entropy(X, torch.ones(4, 3, dtype=torch.long)))
    raises("label_smoothing=1.5 with class probabilities", lambda: F.cross_entropy(X, PT, label_smoothing=1.5))
    raises("label_smoothing=1.5 with class indices", lambda: F.cross_entropy(X, torch.tensor([0, 1, 2, 0]), label_smoothing=1.5))
    raises("class weights of the wrong length", lambda: F.cross_entropy(X, PT, weight=torch.ones(2)))
    raises("a float target of another shape", lambda: F.cross_entropy(X, PT[:, :2]))
    # label_smoothing=1.0 is allowed; a negative one is ignored for class indices
    emit_list("CE_PROB_SMOOTH_ONE", [F.cross_entropy(X, PT, label_smoothing=1.0).item()])
    assert torch.equal(
        F.cross_entropy(X, torch.tensor([2, 0, 1, 2]), label_smoothing=-0.5),
        F.cross_entropy(X, torch.tensor([2, 0, 1, 2])),
    )


print(f"// PyTorch {torch.__version__}")
what = sys.argv[1] if len(sys.argv) > 1 else "layers"
{"layers": layers, "losses": losses}[what]()
