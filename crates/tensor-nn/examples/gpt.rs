//! The second main job: a character-level GPT (nanoGPT's small CPU configuration) trained on
//! Shakespeare, the same program as `../shared/bench/gpt_reference.py`: the same model, data
//! split, schedule and evaluation, so the validation loss and the time per step compare.
//!
//! `cargo run --release -p tensor-nn --example gpt -- [--steps N] [--data PATH] [--device cpu|cuda]
//! [--save PATH]`
//!
//! The text's characters are the vocabulary; the first 90% trains, the rest validates. 4 blocks,
//! 4 heads, width 128, context 64, batch 12, no dropout, tied token embedding and output layer;
//! AdamW (lr 1e-3, betas 0.9/0.99, weight decay 0.1 on matrices only), 100 warm-up steps then a
//! cosine to 1e-4, gradient clipping at 1.0. Losses are averaged over 20 batches every 250 steps.
//! Ends with 300 sampled characters, `ms/step: N.NN` (training steps only, as the reference) and
//! `val loss: N.NNNN`; the model is saved as safetensors under the reference's names.

use indicatif::{ProgressBar, ProgressStyle};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;
use tensor_autograd::{no_grad, Var};
use tensor_core::{bail, manual_seed, Device, Result, Tensor};
use tensor_nn::models::{Gpt, GptConfig};
use tensor_nn::optim::{clip_grad_norm_, AdamW, AdamWConfig, Optimizer};
use tensor_nn::{functional as F, ClassLossOptions, Module, ModuleExt};

const BATCH: usize = 12;
const LR: f64 = 1e-3;
const MIN_LR: f64 = 1e-4;
const WARMUP: usize = 100;
const WEIGHT_DECAY: f64 = 0.1;
const CLIP: f64 = 1.0;
const EVAL_EVERY: usize = 250;
const EVAL_ITERS: usize = 20;

struct Args {
    steps: usize,
    data: PathBuf,
    device: String,
    save: PathBuf,
}

fn parse_args() -> Result<Args> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut a = Args {
        steps: 2000,
        data: root.join("data/shakespeare/plays.txt"),
        device: "cpu".into(),
        save: PathBuf::from("gpt.safetensors"),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| tensor_core::err!(Value, "gpt", "{flag} needs a value"));
        match flag.as_str() {
            "--steps" => {
                a.steps = value()?.parse().map_err(|e| tensor_core::err!(Value, "gpt", "bad value for --steps: {e}"))?
            }
            "--data" => a.data = PathBuf::from(value()?),
            "--device" => a.device = value()?,
            "--save" => a.save = PathBuf::from(value()?),
            "-h" | "--help" => {
                println!("usage: gpt [--steps N] [--data PATH] [--device cpu|cuda] [--save PATH]");
                std::process::exit(0);
            }
            other => bail!(Value, "gpt", "unknown flag {other} (see --help)"),
        }
    }
    Ok(a)
}

fn device(name: &str) -> Result<Device> {
    match name {
        "cpu" => Ok(Device::Cpu),
        #[cfg(feature = "cuda")]
        "cuda" => tensor_autograd::cuda::cuda(0),
        other => bail!(Value, "gpt", "unknown or unavailable device {other:?} (cuda needs --features cuda)"),
    }
}

/// The learning rate of step `it`: linear warm-up, then a cosine from `LR` to `MIN_LR`.
fn lr_at(it: usize, steps: usize) -> f64 {
    if it < WARMUP {
        return LR * (it + 1) as f64 / (WARMUP + 1) as f64;
    }
    let r = ((it - WARMUP) as f64 / (steps.saturating_sub(WARMUP)).max(1) as f64).min(1.0);
    MIN_LR + 0.5 * (1.0 + (std::f64::consts::PI * r).cos()) * (LR - MIN_LR)
}

/// `BATCH` windows of `context` characters at random offsets of `data`, and the same shifted by
/// one (the targets), as `[BATCH, context]` and `[BATCH · context]` int64 tensors.
fn batch(data: &[i64], context: usize, dev: &Device) -> Result<(Var, Tensor)> {
    let starts = Tensor::randint(0, (data.len() - context) as i64, [BATCH], &Device::Cpu)?.to_vec::<i64>()?;
    let (mut x, mut y) = (Vec::with_capacity(BATCH * context), Vec::with_capacity(BATCH * context));
    for &s in &starts {
        let s = s as usize;
        x.extend_from_slice(&data[s..s + context]);
        y.extend_from_slice(&data[s + 1..s + 1 + context]);
    }
    let x = Tensor::from_vec(x, [BATCH, context])?.to_device(dev)?;
    Ok((Var::constant(x), Tensor::from_vec(y, [BATCH * context])?.to_device(dev)?))
}

fn loss_of(model: &Gpt, x: &Var, y: &Tensor) -> Result<Var> {
    let v = model.config().vocab_size as isize;
    F::cross_entropy(&model.forward(x)?.reshape(&[-1, v])?, y, &ClassLossOptions::default())
}

/// The mean loss over `EVAL_ITERS` batches of each split, without recording.
fn evaluate(model: &mut Gpt, train: &[i64], val: &[i64], dev: &Device) -> Result<(f64, f64)> {
    let _guard = no_grad();
    model.eval();
    let mean = |data: &[i64]| -> Result<f64> {
        let mut total = 0.0;
        for _ in 0..EVAL_ITERS {
            let (x, y) = batch(data, model.config().context, dev)?;
            total += loss_of(model, &x, &y)?.item::<f32>()? as f64;
        }
        Ok(total / EVAL_ITERS as f64)
    };
    let losses = (mean(train)?, mean(val)?);
    model.train();
    Ok(losses)
}

/// `n` characters sampled from the model at temperature 0.8, starting from token 0.
fn sample(model: &Gpt, n: usize, dev: &Device) -> Result<Vec<i64>> {
    let _guard = no_grad();
    let context = model.config().context;
    let mut idx = vec![0i64];
    for _ in 0..n {
        let window = &idx[idx.len().saturating_sub(context)..];
        let x = Var::constant(Tensor::from_vec(window.to_vec(), [1, window.len()])?.to_device(dev)?);
        let logits = model.forward(&x)?.tensor();
        let last = logits.select(1, window.len() as isize - 1)?.div(0.8)?;
        idx.push(last.softmax(-1)?.reshape(&[-1])?.multinomial(1, true)?.to_vec::<i64>()?[0]);
    }
    Ok(idx)
}

fn main() -> Result<()> {
    let args = parse_args()?;
    let dev = device(&args.device)?;
    manual_seed(1337);
    let text = std::fs::read_to_string(&args.data)
        .map_err(|e| tensor_core::err!(Io, "gpt", "cannot read {}: {e}", args.data.display()))?;
    let mut chars: Vec<char> = text.chars().collect::<std::collections::BTreeSet<_>>().into_iter().collect();
    chars.sort_unstable();
    let stoi: BTreeMap<char, i64> = chars.iter().enumerate().map(|(i, &c)| (c, i as i64)).collect();
    let data: Vec<i64> = text.chars().map(|c| stoi[&c]).collect();
    let n = (0.9 * data.len() as f64) as usize;
    let (train, val) = data.split_at(n);

    let mut model = Gpt::new(GptConfig::shakespeare(chars.len()), &dev)?;
    model.train();
    let (decay, no_decay): (Vec<Var>, Vec<Var>) = model.parameters().into_iter().partition(|p| p.dim() >= 2);
    let config = |weight_decay| AdamWConfig { lr: LR, betas: (0.9, 0.99), weight_decay, ..Default::default() };
    let mut opt = AdamW::with_groups(vec![(decay, config(WEIGHT_DECAY)), (no_decay, config(0.0))])?;
    let params = model.parameters();
    eprintln!("{} parameters, vocabulary {}, {} training characters", model.num_parameters(), chars.len(), train.len());

    let bar = ProgressBar::new(args.steps as u64);
    bar.set_style(
        ProgressStyle::with_template("[{bar:30}] {pos}/{len} loss {msg}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    let (mut step_time, mut last) = (0.0, (f64::NAN, f64::NAN));
    for it in 0..=args.steps {
        if it % EVAL_EVERY == 0 || it == args.steps {
            last = evaluate(&mut model, train, val, &dev)?;
            bar.println(format!("step {it}: train loss {:.4}, val loss {:.4}", last.0, last.1));
        }
        if it == args.steps {
            break;
        }
        for g in 0..2 {
            opt.set_learning_rate(g, lr_at(it, args.steps));
        }
        let (x, y) = batch(train, model.config().context, &dev)?;
        let start = Instant::now();
        let loss = loss_of(&model, &x, &y)?;
        opt.zero_grad();
        loss.backward()?;
        clip_grad_norm_(&params, CLIP, 2.0)?;
        opt.step()?;
        step_time += start.elapsed().as_secs_f64();
        bar.set_message(format!("{:.4}", loss.item::<f32>()?));
        bar.inc(1);
    }
    bar.finish_and_clear();

    // The reference's names; the tied output layer is saved under `lm_head.weight` too, as
    // PyTorch's state dict lists it, so `Gpt.load_state_dict` takes the file.
    let mut state = model.state_dict();
    state.insert("lm_head.weight".into(), model.wte.weight.tensor());
    tensor_nn::save_safetensors(&state, &args.save)?;
    eprintln!("saved the model to {}", args.save.display());
    let text: String = sample(&model, 300, &dev)?.iter().map(|&i| chars[i as usize]).collect();
    eprintln!("{text}");
    println!("ms/step: {:.2}", 1e3 * step_time / args.steps.max(1) as f64);
    println!("val loss: {:.4}", last.1);
    Ok(())
}
