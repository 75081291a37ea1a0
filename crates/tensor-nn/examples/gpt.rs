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
use std::path::PathBuf;
use std::time::Instant;
use tensor_core::{bail, manual_seed, Device, Result};
use tensor_nn::models::char_gpt::{CharCorpus, CharGptTrainer, TrainConfig};
use tensor_nn::models::GptConfig;
use tensor_nn::ModuleExt;

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

fn main() -> Result<()> {
    let args = parse_args()?;
    let dev = device(&args.device)?;
    manual_seed(1337);
    let text = std::fs::read_to_string(&args.data)
        .map_err(|e| tensor_core::err!(Io, "gpt", "cannot read {}: {e}", args.data.display()))?;
    let corpus = CharCorpus::new(&text)?;
    let vocab = corpus.chars.len();
    let config = TrainConfig { steps: args.steps, ..TrainConfig::default() };
    let mut job = CharGptTrainer::new(corpus, GptConfig::shakespeare(vocab), config, &dev)?;
    eprintln!(
        "{} parameters, vocabulary {vocab}, {} training characters",
        job.model.num_parameters(),
        job.corpus.train.len()
    );

    let bar = ProgressBar::new(args.steps as u64);
    bar.set_style(
        ProgressStyle::with_template("[{bar:30}] {pos}/{len} loss {msg}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    let (mut step_time, mut last) = (0.0, (f64::NAN, f64::NAN));
    for it in 0..=args.steps {
        if it % config.eval_every == 0 || it == args.steps {
            last = job.evaluate()?;
            bar.println(format!("step {it}: train loss {:.4}, val loss {:.4}", last.0, last.1));
        }
        if it == args.steps {
            break;
        }
        // The batch is drawn outside the timed part, as the reference times its steps.
        let (x, y) = job.batch(true)?;
        let start = Instant::now();
        let loss = job.step_on(&x, &y, config.lr_at(it))?;
        step_time += start.elapsed().as_secs_f64();
        bar.set_message(format!("{loss:.4}"));
        bar.inc(1);
    }
    bar.finish_and_clear();

    tensor_nn::save_safetensors(&job.state_dict(), &args.save)?;
    eprintln!("saved the model to {}", args.save.display());
    eprintln!("{}", job.sample(300)?);
    println!("ms/step: {:.2}", 1e3 * step_time / args.steps.max(1) as f64);
    println!("val loss: {:.4}", last.1);
    Ok(())
}
