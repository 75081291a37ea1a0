//! TransformerEncoderLayer against PyTorch, post-norm (ReLU, key padding mask) and pre-norm
//! (GELU, causal), with the literals of `scripts/pytorch/attention_literals.py` (torch 2.15,
//! CPU, float64; inputs and parameters from its `pat(shape, k)[i] = sin(0.7 i + k)`), and the
//! GPT model's names, shapes and a few training steps.
//!
//! Every test runs on every device (`common::devices`): the modules are built on the CPU with
//! the same weights and moved to the device (parameters and buffers checked to land there),
//! inputs and masks live there, and on a GPU the float64 comparisons widen to PyTorch's
//! `assert_close` tolerance (`common::near`).

use std::collections::BTreeMap;
use tensor_autograd::Var;
use tensor_core::{DType, Result, Tensor};
use tensor_nn::functional as F;
use tensor_nn::{FeedForwardActivation, Module, ModuleExt, TransformerEncoderLayer, TransformerEncoderLayerConfig};

use crate::attention::{assert_module_on, close, pat};
use crate::common::{assert_on, devices, CPU};

const TEL_POST: [f64; 24] = [
    -0.4849187755517201,
    -0.17999963609066277,
    0.341408052686949,
    0.23890553484483915,
    -0.5747315191998827,
    0.23847126956465278,
    0.3420456791388219,
    0.6096999373970214,
    -0.4979597007661142,
    -0.1739562631654209,
    0.34132524197408576,
    0.23309745875614762,
    -0.5454056876349725,
    0.02465559574083888,
    0.3437782708600407,
    0.4913289883647258,
    -0.5349997377903308,
    -0.09481401273805293,
    0.34309291471473374,
    0.3557540116067655,
    -0.5027240817628582,
    -0.1728799010719414,
    0.3412101014710041,
    0.22651762265695108,
];
const TEL_PRE: [f64; 24] = [
    -0.8667580787609814,
    -0.812006130387965,
    -0.30616168398501187,
    0.042292698719473665,
    1.1422599820120354,
    0.6675958186044604,
    0.03979827600746949,
    -0.8355458637111359,
    -0.7523809433586315,
    -1.1363708314730845,
    -0.9377832937188046,
    -0.5778563562240336,
    0.7953707961118325,
    0.7856366288312184,
    0.5770222319242511,
    -0.21509232615145693,
    -0.20742140527705488,
    -1.0726926001562886,
    -1.2794807101880672,
    -1.1363783054857777,
    0.15205988014001875,
    0.4867399807145986,
    0.7029171375963261,
    0.2634771419093731,
];

/// PyTorch's parameter names of `TransformerEncoderLayer`, in its `named_parameters` order.
const TEL_NAMES: [&str; 12] = [
    "self_attn.in_proj_weight",
    "self_attn.in_proj_bias",
    "self_attn.out_proj.weight",
    "self_attn.out_proj.bias",
    "linear1.weight",
    "linear1.bias",
    "linear2.weight",
    "linear2.bias",
    "norm1.weight",
    "norm1.bias",
    "norm2.weight",
    "norm2.bias",
];

#[test]
fn transformer_encoder_layer_matches_pytorch() -> Result<()> {
    for dev in &devices() {
        for (norm_first, activation, want) in
            [(false, FeedForwardActivation::Relu, &TEL_POST), (true, FeedForwardActivation::Gelu, &TEL_PRE)]
        {
            let config = TransformerEncoderLayerConfig {
                dim_feedforward: 6,
                dropout: 0.0,
                activation,
                norm_first,
                ..Default::default()
            };
            let mut layer = TransformerEncoderLayer::with_config(4, 2, config, CPU)?;
            let shapes: BTreeMap<String, Vec<usize>> =
                layer.named_parameters().into_iter().map(|(n, p)| (n, p.size().to_vec())).collect();
            assert_eq!(shapes.len(), TEL_NAMES.len());
            // In float64, as the script, with every parameter set as the script sets it, by
            // PyTorch's name (what a state dict from PyTorch uses); then moved to the device.
            layer.to_dtype(DType::F64)?;
            let state = TEL_NAMES
                .iter()
                .enumerate()
                .map(|(i, &n)| Ok((n.to_string(), pat(CPU, &shapes[n], 20.0 + i as f64).mul(0.4)?)))
                .collect::<Result<BTreeMap<_, _>>>()?;
            layer.load_state_dict(&state, true)?;
            layer.to_device(dev)?;
            assert_module_on(&layer, dev);
            let x = Var::constant(pat(dev, &[3, 2, 4], 30.0));
            let out = if norm_first {
                layer.forward_with_masks(&x, None, None, true)?
            } else {
                let kpm = Tensor::new([[false, false, true], [false, false, false]], dev)?;
                layer.forward_with_masks(&x, None, Some(&kpm), false)?
            };
            close(dev, &format!("encoder layer, norm_first {norm_first}"), out.tensor_ref(), want);
        }
    }
    Ok(())
}

#[test]
fn gpt_names_shapes_and_a_few_steps() -> Result<()> {
    use tensor_nn::models::{Gpt, GptConfig};
    use tensor_nn::optim::{AdamW, AdamWConfig, Optimizer};
    let config = GptConfig { vocab_size: 11, context: 8, width: 16, heads: 2, layers: 2, tied: true };
    // One initialisation (from the global generator) for every device.
    let init: BTreeMap<String, Tensor> = Gpt::new(config, CPU)?.state_dict().into_iter().collect();
    for dev in &devices() {
        let mut model = Gpt::new(config, CPU)?;
        model.load_state_dict(&init, true)?;
        model.to_device(dev)?;
        assert_module_on(&model, dev);
        // gpt_reference.py's names; the tied output layer is the token embedding, listed once.
        let names: Vec<String> = model.named_parameters().into_iter().map(|(n, _)| n).collect();
        assert_eq!(names.len(), 2 + 2 * 12 + 2);
        assert_eq!(names[..4], ["wte.weight", "wpe.weight", "h.0.ln_1.weight", "h.0.ln_1.bias"]);
        assert!(names.contains(&"h.1.mlp_proj.weight".to_string()) && !names.iter().any(|n| n.starts_with("lm_head")));
        let x = Var::constant(Tensor::new([[1i64, 2, 3, 4, 5], [6, 7, 8, 9, 10]], dev)?);
        let y = Tensor::new([2i64, 3, 4, 5, 6, 7, 8, 9, 10, 0], dev)?;
        let logits = model.forward(&x)?;
        assert_eq!(logits.size(), [2, 5, 11], "on {dev}");
        assert_on(logits.tensor_ref(), dev);
        // A sequence past the context is refused.
        assert!(model.forward(&Var::constant(Tensor::zeros([1, 9], DType::I64, dev)?)).is_err(), "on {dev}");
        // Training on one batch drives its loss down.
        let mut opt = AdamW::new(model.parameters(), AdamWConfig { lr: 1e-2, ..Default::default() })?;
        let loss = |m: &Gpt| -> Result<f64> {
            F::cross_entropy(&m.forward(&x)?.reshape(&[-1, 11])?, &y, &Default::default())?.item::<f32>().map(f64::from)
        };
        let first = loss(&model)?;
        for _ in 0..20 {
            opt.zero_grad();
            F::cross_entropy(&model.forward(&x)?.reshape(&[-1, 11])?, &y, &Default::default())?.backward()?;
            opt.step()?;
        }
        for (name, p) in model.named_parameters() {
            assert_on(p.tensor_ref(), dev);
            assert_on(&p.grad().unwrap_or_else(|| panic!("{name} on {dev}: no gradient")), dev);
        }
        let last = loss(&model)?;
        assert!(last < 0.5 * first, "on {dev}: loss {first} -> {last}");
    }
    Ok(())
}
