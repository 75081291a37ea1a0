//! Modules as users write them: a forward with several inputs (`Forward<(&Var, &Tensor)>`)
//! that still has state dicts and train/eval and can sit in a `ModuleList`; plain fields and a
//! training flag in `module_members!`; and `train()` / `eval()` reaching every module of a
//! nested model (inside `Sequential`, `ModuleList`, `ModuleDict`, user modules and layers with
//! children of their own).
//!
//! Every test runs on every device (`common::devices`): the models are built on the CPU and
//! moved with `to_device` (every parameter and buffer checked to land there, parameters as
//! trainable leaves), inputs and masks live there, and outputs and gradients stay there.

use std::collections::BTreeMap;
use tensor_autograd::Var;
use tensor_core::{DType, Device, Result, Tensor};
use tensor_nn::{
    module_members, set_training, BatchNorm1d, BatchNorm2d, Dropout, Forward, InstanceNorm2d, InstanceNormConfig,
    Linear, Module, ModuleDict, ModuleExt, ModuleList, MultiheadAttention, RnnConfig, Sequential,
    TransformerEncoderLayer, TransformerEncoderLayerConfig, Visit, LSTM,
};

use crate::common::{assert_on, devices, CPU};

/// Asserts that every parameter and buffer of `m` lives on `dev`, parameters as trainable
/// leaves (what `to_device` promises).
#[track_caller]
fn assert_module_on(m: &impl ModuleExt, dev: &Device) {
    for (name, t) in m.state_dict() {
        assert_eq!(t.device(), dev, "{name} is on {}, not on {dev}", t.device());
    }
    for (name, p) in m.named_parameters() {
        assert!(p.is_leaf() && p.requires_grad(), "{name} on {dev} is not a trainable leaf");
    }
}

/// A block whose forward takes the input and a padding mask (true = masked), with a plain
/// number and its own training flag.
struct MaskedBlock {
    proj: Linear,
    drop: Dropout,
    /// A config number: not a parameter, not listed.
    scale: f64,
    training: bool,
}
module_members!(MaskedBlock { children: proj, drop; params: ; buffers: ; training: training });

impl MaskedBlock {
    fn new(d: usize) -> Result<MaskedBlock> {
        Ok(MaskedBlock { proj: Linear::new(d, d, true, CPU)?, drop: Dropout::new(0.5)?, scale: 0.5, training: true })
    }
}

impl Forward<(&Var, &Tensor)> for MaskedBlock {
    type Output = Var;
    fn forward_with(&self, (x, mask): (&Var, &Tensor)) -> Result<Var> {
        let y = self.drop.forward_with(&self.proj.forward_with(x)?.mul(self.scale)?)?;
        // In eval mode the block's own flag also changes what it computes.
        let y = if self.training { y } else { y.add(1.0)? };
        y.masked_fill(mask, 0.0)
    }
}

/// A model of multi-input blocks in a `ModuleList`, with a parameter, a buffer and a flag.
struct Encoder {
    blocks: ModuleList<MaskedBlock>,
    scale: Var,
    steps: Tensor,
    /// A plain flag, not listed.
    use_mask: bool,
}
module_members!(Encoder { children: blocks; params: scale; buffers: steps });

impl Forward<(&Var, &Tensor)> for Encoder {
    type Output = Var;
    fn forward_with(&self, (x, mask): (&Var, &Tensor)) -> Result<Var> {
        let none = mask.logical_and(&mask.logical_not()?)?;
        let mask = if self.use_mask { mask } else { &none };
        let mut h = x.clone();
        for b in &self.blocks {
            h = b.forward_with((&h, mask))?;
        }
        h.mul(&self.scale)
    }
}

/// An encoder built on the CPU and moved to `dev`.
fn encoder(dev: &Device) -> Encoder {
    let mut e = Encoder {
        blocks: (0..2).map(|_| MaskedBlock::new(4).unwrap()).collect(),
        scale: Var::parameter(Tensor::ones([4], DType::F32, CPU).unwrap()),
        steps: Tensor::zeros([], DType::I64, CPU).unwrap(),
        use_mask: true,
    };
    e.to_device(dev).unwrap();
    assert_module_on(&e, dev);
    e
}

#[test]
fn multi_input_module_has_state_dict_and_modes() {
    for dev in &devices() {
        let mut enc = encoder(dev);
        let keys: Vec<String> = enc.state_dict().into_keys().collect();
        assert_eq!(
            keys,
            [
                "blocks.0.proj.bias",
                "blocks.0.proj.weight",
                "blocks.1.proj.bias",
                "blocks.1.proj.weight",
                "scale",
                "steps"
            ]
        );
        let names: Vec<String> = enc.named_parameters().into_iter().map(|(n, _)| n).collect();
        assert_eq!(
            names,
            ["scale", "blocks.0.proj.weight", "blocks.0.proj.bias", "blocks.1.proj.weight", "blocks.1.proj.bias"]
        );
        // The int64 buffer moved too, keeping its dtype.
        assert_eq!(enc.steps.dtype(), DType::I64, "on {dev}");

        let x = Var::constant(Tensor::ones([2, 4], DType::F32, dev).unwrap());
        let mask = Tensor::new([[false, true, false, false], [true, true, false, false]], dev).unwrap();
        enc.eval();
        assert!(enc.blocks.iter().all(|b| !b.training && b.drop.training() == Some(false)));
        let y = enc.forward_with((&x, &mask)).unwrap();
        assert_eq!(y.size(), &[2, 4]);
        assert_on(y.tensor_ref(), dev);
        // Eval: no dropout, so the forward is deterministic; masked positions are zero.
        let again = enc.forward_with((&x, &mask)).unwrap();
        assert_eq!(y.tensor().to_vec::<f32>().unwrap(), again.tensor().to_vec::<f32>().unwrap(), "on {dev}");
        let v = y.tensor().to_vec::<f32>().unwrap();
        assert_eq!([v[1], v[4], v[5]], [0.0, 0.0, 0.0], "on {dev}");
        // Gradients reach every parameter through the multi-input forward, on the device.
        y.sum().unwrap().backward().unwrap();
        for (name, p) in enc.named_parameters() {
            let g = p.grad().unwrap_or_else(|| panic!("{name} on {dev}: no gradient"));
            assert_on(&g, dev);
        }
        enc.zero_grad();
        assert!(enc.parameters().iter().all(|p| p.grad().is_none()), "on {dev}");

        // A state dict round-trips into a fresh model with strict loading.
        let state: BTreeMap<String, Tensor> = enc.state_dict().into_iter().map(|(k, t)| (k, t.clone())).collect();
        let mut other = encoder(dev);
        other.load_state_dict(&state, true).unwrap();
        assert_module_on(&other, dev);
        other.eval();
        let z = other.forward_with((&x, &mask)).unwrap();
        assert_eq!(z.tensor().to_vec::<f32>().unwrap(), v, "on {dev}");
        enc.train();
        assert!(enc.blocks.iter().all(|b| b.training && b.drop.training() == Some(true)));
    }
}

#[test]
fn to_device_moves_parameters_and_buffers_and_back() -> Result<()> {
    for dev in &devices() {
        // A nested model with buffers (BatchNorm, InstanceNorm with running statistics, int64
        // counters) and parameters, moved there and back: the values travel unchanged.
        let mut m = net(CPU);
        let before: BTreeMap<String, Tensor> = m.state_dict().into_iter().map(|(k, t)| (k, t.clone())).collect();
        m.to_device(dev)?;
        assert_module_on(&m, dev);
        // Parameters are new leaves there: an optimizer is made after moving, as in PyTorch.
        let x = Var::constant(Tensor::ones([3, 4], DType::F32, dev)?);
        m.seq.forward(&x)?.sum()?.backward()?;
        for (name, p) in m.seq.named_parameters() {
            assert_on(&p.grad().unwrap_or_else(|| panic!("seq.{name} on {dev}: no gradient")), dev);
        }
        m.to_device(CPU)?;
        assert_module_on(&m, CPU);
        for (name, t) in m.state_dict() {
            let old = &before[&name];
            assert_eq!((t.dtype(), t.size()), (old.dtype(), old.size()), "{name} via {dev}");
            if name.starts_with("seq.2.") {
                // The BatchNorm1d above ran in training mode on the device: its statistics moved on.
                continue;
            }
            assert_eq!(
                t.to_dtype(DType::F64)?.to_vec::<f64>()?,
                old.to_dtype(DType::F64)?.to_vec::<f64>()?,
                "{name} via {dev}"
            );
        }
    }
    Ok(())
}

/// A generic function over anything with a two-input forward, and `Forward<&Var>` for every
/// `Module`.
fn run<M: for<'a> Forward<(&'a Var, &'a Tensor), Output = Var>>(m: &M, x: &Var, mask: &Tensor) -> Result<Var> {
    m.forward_with((x, mask))
}

#[test]
fn forward_trait_covers_modules_and_multi_input_modules() {
    for dev in &devices() {
        let lin = Linear::new(4, 3, false, dev).unwrap();
        let x = Var::constant(Tensor::ones([2, 4], DType::F32, dev).unwrap());
        let a = Forward::forward_with(&lin, &x).unwrap();
        assert_on(a.tensor_ref(), dev);
        let b = lin.forward(&x).unwrap().tensor().to_vec::<f32>().unwrap();
        assert_eq!(a.tensor().to_vec::<f32>().unwrap(), b, "on {dev}");
        let mut block = MaskedBlock::new(4).unwrap();
        block.to_device(dev).unwrap();
        assert_module_on(&block, dev);
        block.eval();
        let mask = Tensor::zeros([2, 4], DType::Bool, dev).unwrap();
        let y = run(&block, &x, &mask).unwrap();
        assert_eq!(y.size(), &[2, 4]);
        assert_on(y.tensor_ref(), dev);
        assert_eq!(block.scale, 0.5);
    }
}

/// Every module of `m` that has a training mode, by name.
fn modes(m: &impl ModuleExt) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    m.for_each_module(&mut |name, module| {
        if let Some(t) = module.training() {
            out.push((name.to_string(), t));
        }
    });
    out
}

/// Sequential > (Dropout, BatchNorm1d, user module > ModuleList > Dropout), ModuleDict of
/// BatchNorm2d, a TransformerEncoderLayer (attention and three dropouts inside), an LSTM and an
/// InstanceNorm2d with running statistics.
struct Net {
    seq: Sequential,
    heads: ModuleDict<BatchNorm2d>,
    layer: TransformerEncoderLayer,
    rnn: LSTM,
    inorm: InstanceNorm2d,
    training: bool,
}
module_members!(Net { children: seq, heads, layer, rnn, inorm; params: ; buffers: ; training: training });

struct Inner {
    drops: ModuleList<Dropout>,
}
module_members!(Inner { children: drops; params: ; buffers: });
impl Module for Inner {
    fn forward(&self, x: &Var) -> Result<Var> {
        self.drops.iter().try_fold(x.clone(), |h, d| d.forward(&h))
    }
}

/// The model built on `dev`.
fn net(dev: &Device) -> Net {
    let inner = Inner { drops: vec![Dropout::new(0.1).unwrap(), Dropout::new(0.2).unwrap()].into() };
    let seq = Sequential::new()
        .add(Linear::new(4, 4, true, dev).unwrap())
        .add(Dropout::new(0.5).unwrap())
        .add(BatchNorm1d::new(4, dev).unwrap())
        .add(inner);
    let mut heads = ModuleDict::new();
    heads.insert("a", BatchNorm2d::new(3, dev).unwrap()).unwrap();
    heads.insert("b", BatchNorm2d::new(3, dev).unwrap()).unwrap();
    let config = TransformerEncoderLayerConfig::default();
    let inorm = InstanceNormConfig { track_running_stats: true, ..Default::default() };
    Net {
        seq,
        heads,
        layer: TransformerEncoderLayer::with_config(8, 2, config, dev).unwrap(),
        rnn: LSTM::new(4, 4, RnnConfig::default(), dev).unwrap(),
        inorm: InstanceNorm2d::with_config(3, inorm, dev).unwrap(),
        training: true,
    }
}

#[test]
fn eval_and_train_reach_every_nested_module() {
    for dev in &devices() {
        // Built on the CPU and moved: the modes survive the move.
        let mut m = net(CPU);
        m.to_device(dev).unwrap();
        assert_module_on(&m, dev);
        let all = modes(&m);
        let names: Vec<&str> = all.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "",
                "seq.1",
                "seq.2",
                "seq.3.drops.0",
                "seq.3.drops.1",
                "heads.a",
                "heads.b",
                "layer.self_attn",
                "layer.dropout",
                "layer.dropout1",
                "layer.dropout2",
                "rnn",
                "inorm",
            ]
        );
        assert!(all.iter().all(|(_, t)| *t), "on {dev}: {all:?}");
        m.eval();
        let all = modes(&m);
        assert!(all.iter().all(|(_, t)| !t), "on {dev}: {all:?}");
        assert!(!m.training);
        // A module reached through `Sequential` behaves as in eval: dropout is the identity.
        let x = Var::constant(Tensor::ones([3, 4], DType::F32, dev).unwrap());
        let a = m.seq.forward(&x).unwrap().tensor().to_vec::<f32>().unwrap();
        let b = m.seq.forward(&x).unwrap().tensor().to_vec::<f32>().unwrap();
        assert_eq!(a, b, "on {dev}");
        m.train();
        assert!(modes(&m).iter().all(|(_, t)| *t));
        // The free function on a trait object does the same.
        set_training(&mut m.seq, false);
        let seq_modes: Vec<bool> =
            modes(&m).into_iter().filter(|(n, _)| n.starts_with("seq")).map(|(_, t)| t).collect();
        assert_eq!(seq_modes, [false; 4]);
        // MultiheadAttention on its own: its mode, and nothing below it has one.
        let mut mha = MultiheadAttention::new(8, 2, dev).unwrap();
        mha.eval();
        assert_eq!(modes(&mha), [(String::new(), false)]);
    }
}
