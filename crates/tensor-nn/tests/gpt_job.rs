//! The `gpt` example's code (`models::char_gpt`): a tiny GPT's losses over five training steps
//! from given weights against PyTorch's trajectory, and the whole job (corpus, batches,
//! schedule, steps, evaluation, sampling, state dict) run for a few steps on the bundled text.

use std::collections::BTreeMap;
use tensor_autograd::Var;
use tensor_core::{manual_seed, Device, Result, Tensor};
use tensor_nn::models::char_gpt::{CharCorpus, CharGptTrainer, TrainConfig};
use tensor_nn::models::{Gpt, GptConfig};
use tensor_nn::{Module, ModuleExt};

// Printed by scripts/pytorch/gpt_trajectory.py (torch 2.15.0, CPU): gpt_reference.py's model at
// vocabulary 11, context 8, width 16, 2 heads, 2 blocks, tied; weights by `value`; one batch;
// AdamW in two groups, clipping at 1.0, 2 warm-up steps then a cosine from 1e-2 to 1e-3.
const NAMES: [&str; 28] = [
    "wte.weight",
    "wpe.weight",
    "h.0.ln_1.weight",
    "h.0.ln_1.bias",
    "h.0.c_attn.weight",
    "h.0.c_attn.bias",
    "h.0.c_proj.weight",
    "h.0.c_proj.bias",
    "h.0.ln_2.weight",
    "h.0.ln_2.bias",
    "h.0.c_fc.weight",
    "h.0.c_fc.bias",
    "h.0.mlp_proj.weight",
    "h.0.mlp_proj.bias",
    "h.1.ln_1.weight",
    "h.1.ln_1.bias",
    "h.1.c_attn.weight",
    "h.1.c_attn.bias",
    "h.1.c_proj.weight",
    "h.1.c_proj.bias",
    "h.1.ln_2.weight",
    "h.1.ln_2.bias",
    "h.1.c_fc.weight",
    "h.1.c_fc.bias",
    "h.1.mlp_proj.weight",
    "h.1.mlp_proj.bias",
    "ln_f.weight",
    "ln_f.bias",
];
const LOSSES: [f64; 5] =
    [2.3021719455718994, 2.146899700164795, 2.020679235458374, 1.8832933902740479, 1.780918836593628];
const FINAL_LOSS: f64 = 1.7374745607376099;
const WTE_ROW_3: [f64; 16] = [
    -0.0058008162304759026,
    0.10852007567882538,
    -0.07731222361326218,
    0.006259700749069452,
    0.08972287178039551,
    -0.038373012095689774,
    -0.037893395870923996,
    0.04488123580813408,
    -0.10830043256282806,
    -0.042355939745903015,
    0.0008103565778583288,
    0.1163693442940712,
    -0.06171620637178421,
    -0.0063301208429038525,
    0.10099224746227264,
    -0.07111259549856186,
];
const MLP_PROJ_1_BIAS: [f64; 16] = [
    -0.05184264853596687,
    0.010436711832880974,
    0.020323123782873154,
    -0.08140752464532852,
    0.00041842740029096603,
    0.014457150362432003,
    0.08813870698213577,
    -0.05088178813457489,
    0.004886876791715622,
    0.04738467559218407,
    -0.03426139056682587,
    0.018146412447094917,
    0.028163939714431763,
    -0.06358850747346878,
    -0.00941117387264967,
    0.019781392067670822,
];

/// The script's `value`: parameter `i` (in `named_parameters` order), element `j`.
fn value(name: &str, i: usize, j: usize) -> f64 {
    if (name.contains(".ln_") || name.starts_with("ln_f")) && name.ends_with("weight") {
        return 1.0 + ((j * 5 + i * 3) % 9) as f64 / 64.0 - 4.0 / 64.0;
    }
    ((j * 7 + i * 13) % 23) as f64 / 128.0 - 11.0 / 128.0
}

fn assert_close(got: &[f64], want: &[f64], tol: f64, what: &str) {
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= tol * (1.0 + w.abs()), "{what}[{i}]: got {g}, want {w}");
    }
}

#[test]
fn five_steps_follow_pytorchs_trajectory() -> Result<()> {
    let cpu = Device::Cpu;
    let config = GptConfig { vocab_size: 11, context: 8, width: 16, heads: 2, layers: 2, tied: true };
    let mut model = Gpt::new(config, &cpu)?;
    let names: Vec<String> = model.named_parameters().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, NAMES);
    let mut state = BTreeMap::new();
    for (i, (name, p)) in model.named_parameters().into_iter().enumerate() {
        let vals: Vec<f32> = (0..p.numel()).map(|j| value(&name, i, j) as f32).collect();
        state.insert(name, Tensor::from_vec(vals, p.size().to_vec())?);
    }
    model.load_state_dict(&state, true)?;
    let corpus = CharCorpus::new("abcdefghijk")?;
    let train = TrainConfig { steps: 5, lr: 1e-2, min_lr: 1e-3, warmup: 2, ..TrainConfig::default() };
    let mut job = CharGptTrainer::with_model(model, corpus, train, &cpu)?;
    let batch = |f: fn(usize, usize) -> usize| -> Result<Tensor> {
        let v: Vec<i64> = (0..2).flat_map(|b| (0..8).map(move |t| (f(b, t) % 11) as i64)).collect();
        Tensor::from_vec(v, [2, 8])
    };
    let x = Var::constant(batch(|b, t| b * 5 + t * 3)?);
    let y = batch(|b, t| b * 7 + t * 2 + 1)?.reshape(&[-1])?;
    let mut losses = Vec::new();
    for it in 0..5 {
        losses.push(job.step_on(&x, &y, train.lr_at(it))?);
    }
    // float32 on both sides, summed in different orders: agreement to a few ulp per step.
    assert_close(&losses, &LOSSES, 1e-5, "loss");
    let last = job.loss(&x, &y)?.item::<f32>()? as f64;
    assert_close(&[last], &[FINAL_LOSS], 1e-5, "final loss");
    let wte = job.model.wte.weight.tensor().select(0, 3)?.to_vec::<f64>()?;
    assert_close(&wte, &WTE_ROW_3, 1e-4, "wte.weight[3]");
    let bias = job.state_dict()["h.1.mlp_proj.bias"].to_vec::<f64>()?;
    assert_close(&bias, &MLP_PROJ_1_BIAS, 1e-4, "h.1.mlp_proj.bias");
    Ok(())
}

#[test]
fn the_example_job_runs_a_few_steps() -> Result<()> {
    let cpu = Device::Cpu;
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/shakespeare/plays.txt");
    let text = std::fs::read_to_string(path).expect("the bundled text");
    // The first 20,000 characters (a split of 2,000 for validation), a small model.
    let corpus = CharCorpus::new(&text.chars().take(20_000).collect::<String>())?;
    let vocab = corpus.chars.len();
    assert_eq!((corpus.train.len(), corpus.val.len()), (18_000, 2_000));
    assert_eq!(corpus.decode(&corpus.train[..5]), text[..5]);
    let config = GptConfig { vocab_size: vocab, context: 16, width: 32, heads: 4, layers: 2, tied: true };
    let train = TrainConfig {
        steps: 6,
        batch: 4,
        lr: 1e-2,
        min_lr: 1e-3,
        warmup: 2,
        eval_every: 3,
        eval_iters: 2,
        ..TrainConfig::default()
    };
    assert_eq!(train.lr_at(0), 1e-2 / 3.0);
    assert_eq!(train.lr_at(6), 1e-3);
    manual_seed(1337);
    let mut job = CharGptTrainer::new(corpus.clone(), config, train, &cpu)?;
    let (x, y) = job.batch(true)?;
    assert_eq!((x.size(), y.size()), (&[4, 16][..], &[64][..]));
    // The batches come from the global generator, which other tests share: the assertions
    // hold for any draw (six steps at 1e-2 from the initialisation learn the letter frequencies).
    let before = job.loss(&x, &y)?.item::<f32>()?;
    let mut losses = Vec::new();
    for it in 0..train.steps {
        losses.push(job.step(it)?);
    }
    let after = job.loss(&x, &y)?.item::<f32>()?;
    let (train_loss, val_loss) = job.evaluate()?;
    assert!(losses.iter().all(|l| l.is_finite()) && after < before - 0.2, "{before} -> {losses:?} -> {after}");
    assert!(train_loss.is_finite() && val_loss.is_finite());
    let sample = job.sample(20)?;
    assert_eq!(sample.chars().count(), 21);
    assert!(sample.chars().all(|c| corpus.chars.contains(&c)));
    // The saved state loads into a fresh model under the reference's names, tied layer included.
    let state = job.state_dict();
    assert!(state.contains_key("lm_head.weight") && state.contains_key("h.1.mlp_proj.bias"));
    let mut fresh = Gpt::new(config, &cpu)?;
    let without_head: BTreeMap<String, Tensor> =
        state.iter().filter(|(k, _)| *k != "lm_head.weight").map(|(k, v)| (k.clone(), v.shallow_clone())).collect();
    fresh.load_state_dict(&without_head, true)?;
    assert_eq!(fresh.forward(&x)?.tensor().to_vec::<f32>()?, job.model.forward(&x)?.tensor().to_vec::<f32>()?);
    // Too small a vocabulary or too short a text is refused.
    assert!(CharGptTrainer::new(corpus.clone(), GptConfig { vocab_size: 3, ..config }, train, &cpu).is_err());
    let tiny = CharCorpus::new("to be or not")?;
    assert!(CharGptTrainer::new(tiny, config, train, &cpu).is_err());
    Ok(())
}
