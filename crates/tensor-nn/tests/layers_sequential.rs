//! Activations, Flatten, Dropout and Sequential against PyTorch and through `gradcheck`, and the
//! module machinery (names, state dicts, train/eval, zero_grad, to_dtype).
//!
//! Every `const` used below was printed by `scripts/pytorch/nn_layers.py` (PyTorch 2.15, CPU)
//! and pasted unchanged into `layers_literals.rs`. Inputs and parameters are `pattern(shape,
//! seed)`, built with the script's formula (multiples of 1/8, exact in float32), and set on each
//! layer explicitly; only Dropout's statistics depend on the random generator.
//!
//! Every test runs on every device (`common::devices`): inputs, parameters and modules are
//! built on the device, and on a GPU the comparisons widen to PyTorch's `assert_close`
//! tolerances for sums (`common::near`); gradcheck runs there through `common::gradcheck_on`.

use tensor_autograd::Var;
use tensor_core::{DType, Device, Result, Tensor};
use tensor_nn::{
    module_members, BatchNorm2d, Conv2d, Conv2dConfig, Dropout, Flatten, Identity, LeakyReLU, Linear, LogSoftmax,
    Module, ModuleExt, ReLU, Sequential, SiLU, Sigmoid, Softmax, Tanh, GELU,
};

use crate::layers::linear;
use crate::layers_literals::*;

use crate::common::*;

// ---------------------------------------------------------------- activations, Flatten, Dropout

fn activations() -> Vec<(&'static str, Box<dyn Module>, &'static [f64])> {
    vec![
        ("ReLU", Box::new(ReLU), &ACT_RELU),
        ("LeakyReLU", Box::new(LeakyReLU { negative_slope: 0.2 }), &ACT_LEAKY_RELU),
        ("GELU", Box::new(GELU), &ACT_GELU),
        ("SiLU", Box::new(SiLU), &ACT_SILU),
        ("Sigmoid", Box::new(Sigmoid), &ACT_SIGMOID),
        ("Tanh", Box::new(Tanh), &ACT_TANH),
        ("Softmax(1)", Box::new(Softmax { dim: 1 }), &ACT_SOFTMAX_1),
        ("Softmax(0)", Box::new(Softmax { dim: 0 }), &ACT_SOFTMAX_0),
        ("LogSoftmax(1)", Box::new(LogSoftmax { dim: 1 }), &ACT_LOG_SOFTMAX_1),
    ]
}

#[test]
fn activations_match_pytorch() -> Result<()> {
    for dev in &devices() {
        let x = input(pattern(dev, &[2, 5], 20).mul(2.0)?);
        for (name, m, want) in activations() {
            let y = m.forward(&x)?;
            assert_eq!(y.size(), &[2, 5], "on {dev}: {name}");
            let got = y.tensor().to_vec::<f64>()?;
            for (a, b) in got.iter().zip(want) {
                assert!((a - b).abs() <= TOL * (1.0 + b.abs()), "on {dev}: {name}: {got:?} vs {want:?}");
            }
        }
        assert_eq!(Identity.forward(&x)?.tensor().to_vec::<f32>()?, x.tensor().to_vec::<f32>()?, "on {dev}");
        assert_eq!(LeakyReLU::default().negative_slope, 0.01, "on {dev}");
    }
    Ok(())
}

#[test]
fn activations_gradcheck() -> Result<()> {
    for dev in &devices() {
        // Shifted by 1/16 so that no element sits on ReLU's kink.
        let x = f64s(&pattern(dev, &[2, 5], 20).mul(2.0)?.add(1.0 / 16.0)?);
        for (name, m, _) in activations() {
            gradcheck_on(|v| m.forward(&v[0]), std::slice::from_ref(&x)).inspect_err(|_| eprintln!("{name}"))?;
        }
    }
    Ok(())
}

#[test]
fn flatten_shapes_and_gradcheck() -> Result<()> {
    for dev in &devices() {
        let x = input(pattern(dev, &[2, 3, 4, 5], 0));
        assert_eq!(Flatten::default().forward(&x)?.size(), &[2, 60], "on {dev}");
        assert_eq!(Flatten { start_dim: 0, end_dim: 1 }.forward(&x)?.size(), &[6, 4, 5], "on {dev}");
        assert_eq!(Flatten { start_dim: 2, end_dim: -1 }.forward(&x)?.size(), &[2, 3, 20], "on {dev}");
        assert!(Flatten { start_dim: 4, end_dim: -1 }.forward(&x).is_err(), "on {dev}");
        gradcheck_on(|v| Flatten::default().forward(&v[0]), &[f64s(&pattern(dev, &[2, 2, 3], 1))])?;
    }
    Ok(())
}

#[test]
fn dropout_eval_and_train() -> Result<()> {
    for dev in &devices() {
        let x = Var::parameter(Tensor::full([100, 100], 2.0, DType::F32, dev)?);
        let mut d = Dropout::new(0.3)?;
        // Training: about 30 % zeros, the rest scaled by 1 / 0.7.
        let y = d.forward(&x)?.tensor().to_vec::<f32>()?;
        let zeros = y.iter().filter(|&&v| v == 0.0).count() as f64 / y.len() as f64;
        assert!((zeros - 0.3).abs() < 0.03, "on {dev}: zero fraction {zeros}");
        assert!(y.iter().all(|&v| v == 0.0 || (v - 2.0 / 0.7).abs() < 1e-5), "on {dev}");
        // The gradient is the same mask and scale: grad = y / x.
        let y = d.forward(&x)?;
        y.sum()?.backward()?;
        let g = x.grad().unwrap().to_vec::<f32>()?;
        for (gv, yv) in g.iter().zip(y.tensor().to_vec::<f32>()?) {
            assert_eq!(*gv, yv / 2.0, "on {dev}");
        }
        // Two draws differ.
        assert_ne!(d.forward(&x)?.tensor().to_vec::<f32>()?, d.forward(&x)?.tensor().to_vec::<f32>()?, "on {dev}");
        // Eval: the identity.
        d.eval();
        assert_eq!(d.forward(&x)?.tensor().to_vec::<f32>()?, x.tensor().to_vec::<f32>()?, "on {dev}");
        d.train();
        assert!(d.forward(&x)?.tensor().to_vec::<f32>()?.contains(&0.0), "on {dev}");
        // p = 0 and p = 1, and an invalid p.
        assert_eq!(Dropout::new(0.0)?.forward(&x)?.tensor().to_vec::<f32>()?, x.tensor().to_vec::<f32>()?, "on {dev}");
        assert!(Dropout::new(1.0)?.forward(&x)?.tensor().to_vec::<f32>()?.iter().all(|&v| v == 0.0), "on {dev}");
        assert!(Dropout::new(1.5).is_err(), "on {dev}");
        assert!(Dropout::new(-0.1).is_err(), "on {dev}");
    }
    Ok(())
}

// ---------------------------------------------------------------- Sequential and module machinery

fn mlp(dev: &Device) -> Sequential {
    Sequential::new()
        .add(linear(dev, pattern(dev, &[4, 3], 21), Some(pattern(dev, &[4], 22))))
        .add(ReLU)
        .add(linear(dev, pattern(dev, &[2, 4], 23), Some(pattern(dev, &[2], 24))))
        .add(Tanh)
}

#[test]
fn sequential_matches_pytorch() -> Result<()> {
    for dev in &devices() {
        let seq = mlp(dev);
        assert_eq!(seq.len(), 4, "on {dev}");
        assert_values(dev, seq.forward(&input(pattern(dev, &[5, 3], 25)))?.tensor_ref(), &[5, 2], &SEQUENTIAL, TOL);
        // `// names:` in the script's output.
        let names: Vec<String> = seq.named_parameters().into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["0.weight", "0.bias", "2.weight", "2.bias"], "on {dev}");
        assert_eq!(seq.num_parameters(), 4 * 3 + 4 + 2 * 4 + 2, "on {dev}");
        assert!(Sequential::new().is_empty(), "on {dev}");
        // Shifted input: no hidden unit sits on ReLU's kink.
        let mut seq = seq;
        seq.to_dtype(DType::F64)?;
        gradcheck_on(|v| seq.forward(&v[0]), &[f64s(&pattern(dev, &[3, 3], 26).add(1.0 / 32.0)?)])?;
    }
    Ok(())
}

/// A model with named children, as a user writes one.
struct Net {
    conv1: Conv2d,
    bn1: BatchNorm2d,
    head: Sequential,
}
module_members!(Net { children: conv1, bn1, head; params: ; buffers: });
impl Module for Net {
    fn forward(&self, x: &Var) -> Result<Var> {
        let x = self.bn1.forward(&self.conv1.forward(x)?)?.relu()?;
        self.head.forward(&x)
    }
}

fn net(dev: &Device) -> Net {
    Net {
        conv1: Conv2d::new(1, 2, 3, Conv2dConfig::default(), dev).unwrap(),
        bn1: BatchNorm2d::new(2, dev).unwrap(),
        head: Sequential::new()
            .add(Flatten::default())
            .add(Dropout::new(0.5).unwrap())
            .add(Linear::new(8, 3, true, dev).unwrap()),
    }
}

#[test]
fn named_parameters_and_state_dict_names() {
    for dev in &devices() {
        let n = net(dev);
        let names: Vec<String> = n.named_parameters().into_iter().map(|(n, _)| n).collect();
        assert_eq!(
            names,
            ["conv1.weight", "conv1.bias", "bn1.weight", "bn1.bias", "head.2.weight", "head.2.bias"],
            "on {dev}"
        );
        assert_eq!(n.num_parameters(), 2 * 9 + 2 + 2 + 2 + 3 * 8 + 3, "on {dev}");
        assert_eq!(n.parameters().len(), 6, "on {dev}");
        let keys: Vec<String> = n.state_dict().into_keys().collect();
        assert_eq!(
            keys,
            [
                "bn1.bias",
                "bn1.num_batches_tracked",
                "bn1.running_mean",
                "bn1.running_var",
                "bn1.weight",
                "conv1.bias",
                "conv1.weight",
                "head.2.bias",
                "head.2.weight"
            ],
            "on {dev}"
        );
        assert_eq!(n.state_dict()["bn1.num_batches_tracked"].dtype(), DType::I64, "on {dev}");
        assert_eq!(n.state_dict()["bn1.num_batches_tracked"].dim(), 0, "on {dev}");
    }
}

#[test]
fn train_eval_switching_reaches_children() -> Result<()> {
    for dev in &devices() {
        let mut n = net(dev);
        let x = input(pattern(dev, &[4, 1, 4, 4], 1));
        let tracked = |n: &Net| n.state_dict()["bn1.num_batches_tracked"].item::<i64>().unwrap();
        n.forward(&x)?;
        assert_eq!(tracked(&n), 1, "on {dev}: training mode updates BatchNorm's statistics");
        n.eval();
        let a = n.forward(&x)?.tensor().to_vec::<f32>()?;
        let b = n.forward(&x)?.tensor().to_vec::<f32>()?;
        assert_eq!(a, b, "on {dev}: eval mode is deterministic (Dropout off)");
        assert_eq!(tracked(&n), 1, "on {dev}: eval mode leaves the statistics");
        n.train();
        n.forward(&x)?;
        assert_eq!(tracked(&n), 2, "on {dev}");
    }
    Ok(())
}

#[test]
fn zero_grad_and_to_dtype() -> Result<()> {
    for dev in &devices() {
        let mut n = net(dev);
        n.eval();
        n.forward(&input(pattern(dev, &[1, 1, 4, 4], 1)))?.sum()?.backward()?;
        assert!(n.parameters().iter().all(|p| p.grad().is_some()), "on {dev}");
        n.zero_grad();
        assert!(n.parameters().iter().all(|p| p.grad().is_none()), "on {dev}");
        n.to_dtype(DType::F64)?;
        for (name, t) in n.state_dict() {
            let want = if name.ends_with("num_batches_tracked") { DType::I64 } else { DType::F64 };
            assert_eq!(t.dtype(), want, "on {dev}: {name}");
        }
        assert!(n.parameters().iter().all(|p| p.requires_grad() && p.is_leaf()), "on {dev}");
    }
    Ok(())
}
