//! The name of every recorded op's node against PyTorch's `type(y.grad_fn).__name__`: the table
//! is printed by scripts/pytorch/grad_fn_names.py (torch 2.15) on the same inputs.

use crate::common;

use common::*;
use tensor_autograd::Var;
use tensor_core::ops::conv::Conv2dParams;
use tensor_core::{DType, Norm, PadMode, Result, Tensor};

// scripts/pytorch/grad_fn_names.py (torch 2.15.0)
const NAMES: &[(&str, &str)] = &[
    ("add", "AddBackward0"),
    ("add_scalar", "AddBackward0"),
    ("sub", "SubBackward0"),
    ("sub_scalar", "SubBackward0"),
    ("mul", "MulBackward0"),
    ("mul_scalar", "MulBackward0"),
    ("div", "DivBackward0"),
    ("div_scalar", "DivBackward0"),
    ("pow_scalar", "PowBackward0"),
    ("pow", "PowBackward1"),
    ("maximum", "MaximumBackward0"),
    ("minimum", "MinimumBackward0"),
    ("atan2", "Atan2Backward0"),
    ("remainder", "RemainderBackward0"),
    ("neg", "NegBackward0"),
    ("abs", "AbsBackward0"),
    ("exp", "ExpBackward0"),
    ("exp2", "Exp2Backward0"),
    ("log", "LogBackward0"),
    ("log2", "Log2Backward0"),
    ("log1p", "Log1PBackward0"),
    ("expm1", "Expm1Backward0"),
    ("sqrt", "SqrtBackward0"),
    ("rsqrt", "RsqrtBackward0"),
    ("sin", "SinBackward0"),
    ("cos", "CosBackward0"),
    ("tan", "TanBackward0"),
    ("tanh", "TanhBackward0"),
    ("sigmoid", "SigmoidBackward0"),
    ("relu", "ReluBackward0"),
    ("leaky_relu", "LeakyReluBackward0"),
    ("gelu", "GeluBackward0"),
    ("silu", "SiluBackward0"),
    ("softplus", "SoftplusBackward0"),
    ("reciprocal", "ReciprocalBackward0"),
    ("square", "PowBackward0"),
    ("erf", "ErfBackward0"),
    ("clamp", "ClampBackward1"),
    ("sign", "SignBackward0"),
    ("floor", "FloorBackward0"),
    ("ceil", "CeilBackward0"),
    ("round", "RoundBackward0"),
    ("trunc", "TruncBackward0"),
    ("to_dtype", "ToCopyBackward0"),
    ("sum", "SumBackward0"),
    ("sum_dim", "SumBackward1"),
    ("mean", "MeanBackward0"),
    ("mean_dim", "MeanBackward1"),
    ("prod", "ProdBackward0"),
    ("prod_dim", "ProdBackward1"),
    ("amax", "AmaxBackward0"),
    ("amin", "AminBackward0"),
    ("max", "MaxBackward1"),
    ("min", "MinBackward1"),
    ("max_dim", "MaxBackward0"),
    ("min_dim", "MinBackward0"),
    ("var", "VarBackward0"),
    ("std", "StdBackward0"),
    ("norm", "LinalgVectorNormBackward0"),
    ("logsumexp", "LogsumexpBackward0"),
    ("softmax", "SoftmaxBackward0"),
    ("log_softmax", "LogSoftmaxBackward0"),
    ("cumsum", "CumsumBackward0"),
    ("where", "WhereBackward0"),
    ("masked_fill", "MaskedFillBackward0"),
    ("cat", "CatBackward0"),
    ("stack", "StackBackward0"),
    ("pad_constant", "ConstantPadNdBackward0"),
    ("pad_reflect", "ReflectionPad1DBackward0"),
    ("pad_replicate", "ReplicationPad1DBackward0"),
    ("index_select", "IndexSelectBackward0"),
    ("gather", "GatherBackward0"),
    ("scatter", "ScatterBackward0"),
    ("scatter_add", "ScatterAddBackward0"),
    ("index_add", "IndexAddBackward0"),
    ("max_pool2d", "MaxPool2DWithIndicesBackward0"),
    ("avg_pool2d", "AvgPool2DBackward0"),
    ("adaptive_avg_pool2d", "AdaptiveAvgPool2DBackward0"),
    ("matmul_1d_1d", "DotBackward0"),
    ("matmul_2d_2d", "MmBackward0"),
    ("matmul_2d_1d", "MvBackward0"),
    ("matmul_3d_3d", "UnsafeViewBackward0"),
    ("matmul_3d_2d", "UnsafeViewBackward0"),
    ("outer", "MulBackward0"),
    ("linear_2d", "AddmmBackward0"),
    ("linear_2d_no_bias", "MmBackward0"),
    ("linear_3d", "UnsafeViewBackward0"),
    ("linear_1d", "UnsafeViewBackward0"),
    ("conv2d", "ConvolutionBackward0"),
    ("layer_norm", "NativeLayerNormBackward0"),
    ("batch_norm", "NativeBatchNormBackward0"),
    ("view", "ViewBackward0"),
    ("reshape", "ViewBackward0"),
    ("reshape_copy", "UnsafeViewBackward0"),
    ("flatten", "ViewBackward0"),
    ("unflatten", "ViewBackward0"),
    ("squeeze", "SqueezeBackward0"),
    ("squeeze_dim", "SqueezeBackward1"),
    ("unsqueeze", "UnsqueezeBackward0"),
    ("contiguous", "CloneBackward0"),
    ("transpose", "TransposeBackward0"),
    ("t", "TBackward0"),
    ("permute", "PermuteBackward0"),
    ("expand", "ExpandBackward0"),
    ("narrow", "SliceBackward0"),
    ("slice", "SliceBackward0"),
    ("select", "SelectBackward0"),
    ("split", "SplitBackward0"),
    ("chunk", "SplitBackward0"),
    ("unbind", "UnbindBackward0"),
];

// scripts/pytorch/grad_fn_names.py, after `// in place`: the node of `t = x * 1` after each.
const IN_PLACE_NAMES: &[(&str, &str)] = &[
    ("add_", "AddBackward0"),
    ("sub_", "SubBackward0"),
    ("mul_", "MulBackward0"),
    ("div_", "DivBackward0"),
    ("clamp_", "ClampBackward1"),
    ("relu_", "ReluBackward0"),
    ("copy_", "CopyBackwards"),
    ("fill_", "FillBackward2"),
    ("zero_", "ZeroBackward0"),
    ("masked_fill_", "MaskedFillBackward0"),
];

fn in_place(t: &Var, name: &str) -> Result<()> {
    let y3 = linspace(-1.0, 1.0, &[3]);
    let row = Tensor::from_vec(vec![true, false, true], [3])?;
    match name {
        "add_" => t.add_(&y3),
        "sub_" => t.sub_(1.0),
        "mul_" => t.mul_(&y3),
        "div_" => t.div_(2.0),
        "clamp_" => t.clamp_(Some(0.6), Some(1.5)),
        "relu_" => t.relu_(),
        "copy_" => t.copy_(&y3),
        "fill_" => t.fill_(2.0),
        "zero_" => t.zero_(),
        "masked_fill_" => t.masked_fill_(&row, 0.0),
        other => panic!("no op {other}"),
    }
}

fn linspace(start: f64, end: f64, shape: &[usize]) -> Var {
    let n = shape.iter().product();
    Var::new(Tensor::linspace(start, end, n, DType::F64, &cpu()).unwrap().reshape_to(shape.to_vec()).unwrap(), true)
}

/// The script's inputs.
struct Inputs {
    x: Var,
    w: Var,
    b: Var,
    v: Var,
    x3: Var,
    img: Var,
    k: Var,
    mask: Tensor,
    idx: Tensor,
    idx2: Tensor,
}

fn op(i: &Inputs, name: &str) -> Result<Var> {
    let Inputs { x, w, b, v, x3, img, k, mask, idx, idx2 } = i;
    Ok(match name {
        "add" => x.add(x)?,
        "add_scalar" => x.add(2.0)?,
        "sub" => x.sub(x)?,
        "sub_scalar" => x.sub(2.0)?,
        "mul" => x.mul(x)?,
        "mul_scalar" => x.mul(2.0)?,
        "div" => x.div(x)?,
        "div_scalar" => x.div(2.0)?,
        "pow_scalar" => x.pow(2.0)?,
        "pow" => x.pow(x)?,
        "maximum" => x.maximum(&x.mul(2.0)?)?,
        "minimum" => x.minimum(&x.mul(2.0)?)?,
        "atan2" => x.atan2(x)?,
        "remainder" => x.remainder(0.7)?,
        "neg" => x.neg()?,
        "abs" => x.abs()?,
        "exp" => x.exp()?,
        "exp2" => x.exp2()?,
        "log" => x.log()?,
        "log2" => x.log2()?,
        "log1p" => x.log1p()?,
        "expm1" => x.expm1()?,
        "sqrt" => x.sqrt()?,
        "rsqrt" => x.rsqrt()?,
        "sin" => x.sin()?,
        "cos" => x.cos()?,
        "tan" => x.tan()?,
        "tanh" => x.tanh()?,
        "sigmoid" => x.sigmoid()?,
        "relu" => x.relu()?,
        "leaky_relu" => x.leaky_relu(0.1)?,
        "gelu" => x.gelu(false)?,
        "silu" => x.silu()?,
        "softplus" => x.softplus(1.0, 20.0)?,
        "reciprocal" => x.reciprocal()?,
        "square" => x.square()?,
        "erf" => x.erf()?,
        "clamp" => x.clamp(Some(0.6), Some(1.5))?,
        "sign" => x.sign()?,
        "floor" => x.floor()?,
        "ceil" => x.ceil()?,
        "round" => x.round()?,
        "trunc" => x.trunc()?,
        "to_dtype" => x.to_dtype(DType::F32)?,
        "sum" => x.sum()?,
        "sum_dim" => x.sum_dim(&[1], false)?,
        "mean" => x.mean()?,
        "mean_dim" => x.mean_dim(&[1], false)?,
        "prod" => x.prod()?,
        "prod_dim" => x.prod_dim(1, false)?,
        "amax" => x.amax(&[1], false)?,
        "amin" => x.amin(&[1], false)?,
        "max" => x.max()?,
        "min" => x.min()?,
        "max_dim" => x.max_dim(1, false)?.0,
        "min_dim" => x.min_dim(1, false)?.0,
        "var" => x.var(&[1], 1, false)?,
        "std" => x.std(&[1], 1, false)?,
        "norm" => x.norm(Norm::P(3.0), &[], false)?,
        "logsumexp" => x.logsumexp(&[1], false)?,
        "softmax" => x.softmax(1)?,
        "log_softmax" => x.log_softmax(1)?,
        "cumsum" => x.cumsum(1)?,
        "where" => x.where_(mask, &x.mul(2.0)?)?,
        "masked_fill" => x.masked_fill(mask, 0.0)?,
        "cat" => Var::cat(&[x, x], 0)?,
        "stack" => Var::stack(&[x, x], 0)?,
        "pad_constant" => x.pad(&[1, 1], PadMode::Constant(0.0))?,
        "pad_reflect" => x.unsqueeze(0)?.pad(&[1, 1], PadMode::Reflect)?,
        "pad_replicate" => x.unsqueeze(0)?.pad(&[1, 1], PadMode::Replicate)?,
        "index_select" => x.index_select(0, idx)?,
        "gather" => x.gather(0, idx2)?,
        "scatter" => x.scatter(0, idx2, &x.mul(2.0)?)?,
        "scatter_add" => x.scatter_add(0, idx2, &x.mul(2.0)?)?,
        "index_add" => x.index_add(0, idx, &x.mul(2.0)?)?,
        "max_pool2d" => img.max_pool2d([2, 2], [2, 2], [0, 0], [1, 1], false)?,
        "avg_pool2d" => img.avg_pool2d([2, 2], [2, 2], [0, 0], false, true)?,
        "adaptive_avg_pool2d" => img.adaptive_avg_pool2d([2, 2])?,
        "matmul_1d_1d" => v.matmul(v)?,
        "matmul_2d_2d" => x.matmul(&w.t()?)?,
        "matmul_2d_1d" => x.matmul(v)?,
        "matmul_3d_3d" => x3.matmul(&x3.transpose(1, 2)?)?,
        "matmul_3d_2d" => x3.matmul(&w.t()?)?,
        "outer" => v.outer(v)?,
        "linear_2d" => x.linear(w, Some(b))?,
        "linear_2d_no_bias" => x.linear(w, None)?,
        "linear_3d" => x3.linear(w, Some(b))?,
        "linear_1d" => v.linear(w, Some(b))?,
        "conv2d" => img.conv2d(k, None, Conv2dParams::default())?,
        "layer_norm" => x.layer_norm(&[3], None, None, 1e-5)?,
        "batch_norm" => x.batch_norm_train(None, None, 1e-5)?.0,
        "view" => x.view(&[3, 2])?,
        "reshape" => x.reshape(&[3, 2])?,
        "reshape_copy" => x.t()?.reshape(&[6])?,
        "flatten" => x3.flatten(0, -1)?,
        "unflatten" => x.unflatten(1, &[3, 1])?,
        "squeeze" => x.unsqueeze(0)?.squeeze()?,
        "squeeze_dim" => x.unsqueeze(0)?.squeeze_dim(0)?,
        "unsqueeze" => x.unsqueeze(0)?,
        "contiguous" => x.t()?.contiguous()?,
        "transpose" => x.transpose(0, 1)?,
        "t" => x.t()?,
        "permute" => x3.permute(&[2, 0, 1])?,
        "expand" => v.expand(&[2, 3])?,
        "narrow" => x.narrow(1, 0, 2)?,
        "slice" => x.slice(1, None, None, 2)?,
        "select" => x.select(0, 1)?,
        "split" => x.split(2, 1)?.remove(0),
        "chunk" => x.chunk(2, 1)?.remove(0),
        "unbind" => x.unbind(0)?.remove(0),
        other => panic!("no op {other}"),
    })
}

#[test]
fn grad_fn_names_are_pytorchs() {
    let inputs = Inputs {
        x: linspace(0.5, 2.0, &[2, 3]),
        w: linspace(-1.0, 1.0, &[4, 3]),
        b: linspace(0.0, 1.0, &[4]),
        v: linspace(0.5, 1.5, &[3]),
        x3: linspace(-1.0, 1.0, &[2, 2, 3]),
        img: linspace(-1.0, 1.0, &[1, 2, 4, 4]),
        k: linspace(-1.0, 1.0, &[1, 2, 3, 3]),
        mask: Tensor::from_vec(vec![true, false, true, false, true, false], [2, 3]).unwrap(),
        idx: Tensor::from_vec(vec![1i64, 0], [2]).unwrap(),
        idx2: Tensor::from_vec(vec![1i64, 1, 1, 0, 0, 0], [2, 3]).unwrap(),
    };
    let mut wrong = Vec::new();
    for &(name, expected) in NAMES {
        let y = op(&inputs, name).unwrap_or_else(|e| panic!("{name}: {e}"));
        let got = y.grad_fn().map(|n| n.name().to_string()).unwrap_or_default();
        if got != expected {
            wrong.push(format!("{name}: {got} (PyTorch: {expected})"));
        }
    }
    for &(name, expected) in IN_PLACE_NAMES {
        let t = inputs.x.mul(1.0).unwrap();
        in_place(&t, name).unwrap_or_else(|e| panic!("{name}: {e}"));
        let got = t.grad_fn().map(|n| n.name().to_string()).unwrap_or_default();
        if got != expected {
            wrong.push(format!("{name}: {got} (PyTorch: {expected})"));
        }
    }
    assert!(wrong.is_empty(), "names that differ from PyTorch's:\n{}", wrong.join("\n"));
}

#[test]
fn linear_with_a_bias_has_pytorchs_gradients() {
    // One AddmmBackward0 node (or flattened around it): the same gradients as x @ wᵀ + b.
    for shape in [&[2, 3][..], &[2, 2, 3], &[3]] {
        let x = linspace(-1.0, 1.5, shape);
        let (w, b) = (linspace(-1.0, 1.0, &[4, 3]), linspace(0.0, 1.0, &[4]));
        let f = |v: &[Var]| v[0].linear(&v[1], Some(&v[2]));
        let inputs = [x.tensor(), w.tensor(), b.tensor()];
        tensor_autograd::gradcheck(f, &inputs).unwrap();
        tensor_autograd::gradgradcheck(f, &inputs).unwrap();
        let y = f(&[x.clone(), w.clone(), b.clone()]).unwrap();
        let reference = x.matmul(&w.t().unwrap()).unwrap().add(&b).unwrap();
        assert_eq!(vals(y.tensor_ref()), vals(reference.tensor_ref()));
    }
}
