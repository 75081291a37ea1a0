//! The main job: train LeNet-5 on MNIST and report the test accuracy.
//!
//! `cargo run --release -p tensor-nn --example mnist -- [--data DIR] [--epochs N] [--batch-size N]
//! [--lr F] [--seed N] [--device cpu|cuda] [--save PATH]`
//!
//! Defaults: the 10,000-image subset in `data/mnist-10k` (any folder with MNIST's four idx
//! files works, e.g. the full set), 10 epochs, batch 64, SGD lr 0.05 momentum 0.9 annealed
//! by a cosine schedule over the epochs, seed 0.

use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use std::time::Instant;
use tensor_autograd::{no_grad, Var};
use tensor_core::{bail, manual_seed, Device, Result, Tensor};
use tensor_nn::data::{DataLoader, DataLoaderConfig, Mnist, TensorDataset};
use tensor_nn::models::LeNet5;
use tensor_nn::optim::{Optimizer, Sgd, SgdConfig};
use tensor_nn::{functional as F, ClassLossOptions, Module, ModuleExt};

struct Args {
    data: PathBuf,
    epochs: usize,
    batch_size: usize,
    lr: f64,
    seed: u64,
    device: String,
    save: PathBuf,
}

fn parse_args() -> Result<Args> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut a = Args {
        data: root.join("data/mnist-10k"),
        epochs: 10,
        batch_size: 64,
        lr: 0.05,
        seed: 0,
        device: "cpu".into(),
        save: PathBuf::from("lenet.safetensors"),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| tensor_core::err!(Value, "mnist", "{flag} needs a value"));
        let bad = |e: &dyn std::fmt::Display| tensor_core::err!(Value, "mnist", "bad value for {}: {}", flag, e);
        match flag.as_str() {
            "--data" => a.data = PathBuf::from(value()?),
            "--epochs" => a.epochs = value()?.parse().map_err(|e| bad(&e))?,
            "--batch-size" => a.batch_size = value()?.parse().map_err(|e| bad(&e))?,
            "--lr" => a.lr = value()?.parse().map_err(|e| bad(&e))?,
            "--seed" => a.seed = value()?.parse().map_err(|e| bad(&e))?,
            "--device" => a.device = value()?,
            "--save" => a.save = PathBuf::from(value()?),
            "-h" | "--help" => {
                println!("usage: mnist [--data DIR] [--epochs N] [--batch-size N] [--lr F] [--seed N] [--device cpu|cuda] [--save PATH]");
                std::process::exit(0);
            }
            other => bail!(Value, "mnist", "unknown flag {other} (see --help)"),
        }
    }
    Ok(a)
}

fn device(name: &str) -> Result<Device> {
    match name {
        "cpu" => Ok(Device::Cpu),
        #[cfg(feature = "cuda")]
        "cuda" | "cuda:0" => tensor_nn::cuda::cuda(0),
        #[cfg(not(feature = "cuda"))]
        "cuda" | "cuda:0" => {
            bail!(Device, "mnist", "device {name} needs the `cuda` feature (cargo run --features cuda ...)")
        }
        other => bail!(Device, "mnist", "unknown device {other} (cpu or cuda)"),
    }
}

/// Accuracy (in %) of `model` over `images`/`labels`, in batches, without recording.
fn accuracy(model: &LeNet5, images: &Tensor, labels: &Tensor) -> Result<f64> {
    let _g = no_grad();
    let n = images.size()[0];
    let mut correct = 0i64;
    for start in (0..n).step_by(1000) {
        let len = 1000.min(n - start);
        let logits = model.forward(&Var::constant(images.narrow(0, start as isize, len)?))?;
        let pred = logits.tensor_ref().argmax(Some(1), false)?;
        correct += pred.eq(&labels.narrow(0, start as isize, len)?)?.sum()?.item::<i64>()?;
    }
    Ok(100.0 * correct as f64 / n as f64)
}

fn main() -> Result<()> {
    let args = parse_args()?;
    let dev = device(&args.device)?;
    manual_seed(args.seed);
    let data = Mnist::load(&args.data, &dev)?;
    println!(
        "MNIST from {}: {} training and {} test images on {}",
        args.data.display(),
        data.train_images.size()[0],
        data.test_images.size()[0],
        dev
    );
    let mut model = LeNet5::new(&dev)?;
    model.train();
    println!("LeNet-5: {} parameters", model.num_parameters());
    let mut opt = Sgd::new(model.parameters(), SgdConfig { lr: args.lr, momentum: 0.9, ..Default::default() })?;
    let loader = DataLoader::new(
        TensorDataset::new(vec![data.train_images.shallow_clone(), data.train_labels.shallow_clone()])?,
        DataLoaderConfig { batch_size: args.batch_size, shuffle: true, seed: Some(args.seed), ..Default::default() },
    )?;
    let loss_opts = ClassLossOptions::default();
    for epoch in 1..=args.epochs {
        // Cosine annealing per epoch (as CosineAnnealingLR with T_max = epochs): large steps
        // early, small ones at the end so the last epochs settle instead of bouncing.
        let lr = 0.5 * args.lr * (1.0 + (std::f64::consts::PI * (epoch - 1) as f64 / args.epochs as f64).cos());
        opt.set_learning_rate(0, lr);
        let start = Instant::now();
        let bar = ProgressBar::new(loader.len() as u64);
        bar.set_style(
            ProgressStyle::with_template("epoch {prefix} [{bar:30}] {pos}/{len} loss {msg}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar.set_prefix(format!("{epoch:2}"));
        let (mut total, mut count) = (0.0, 0usize);
        for batch in &loader {
            let [x, y]: [Tensor; 2] = batch?.try_into().expect("a TensorDataset of two tensors");
            opt.zero_grad();
            let loss = F::cross_entropy(&model.forward(&Var::constant(x))?, &y, &loss_opts)?;
            loss.backward()?;
            opt.step()?;
            total += loss.item::<f32>()? as f64;
            count += 1;
            bar.set_message(format!("{:.4}", total / count as f64));
            bar.inc(1);
        }
        bar.finish_and_clear();
        let secs = start.elapsed().as_secs_f64();
        let acc = accuracy(&model, &data.test_images, &data.test_labels)?;
        println!(
            "epoch {epoch:2}: lr {lr:.4}, loss {:.4}, test accuracy {acc:.2}%, {secs:.2} s",
            total / count.max(1) as f64
        );
    }
    model.eval();
    tensor_nn::save_safetensors(&model.state_dict(), &args.save)?;
    println!("saved the trained model to {}", args.save.display());
    println!("test accuracy: {:.2}%", accuracy(&model, &data.test_images, &data.test_labels)?);
    Ok(())
}
