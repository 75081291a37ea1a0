//! The character-level GPT job of the `gpt` example (and of `gpt_reference.py`), as library
//! code: the corpus (the text's characters as the vocabulary, the first 90% for training),
//! random batches from the global generator, the learning-rate schedule (linear warm-up, then
//! a cosine), the training step (AdamW with weight decay on matrices only, gradient clipping),
//! the evaluation and the sampling. The example adds the flags, the progress bar and the
//! timing; tests run the same code for a few steps.

use super::{Gpt, GptConfig};
use crate::optim::{clip_grad_norm_, AdamW, AdamWConfig, Optimizer};
use crate::{functional as F, ClassLossOptions, Module, ModuleExt};
use std::collections::BTreeMap;
use tensor_autograd::{no_grad, Var};
use tensor_core::{bail, Device, Result, Tensor};

/// A text as token ids: its sorted distinct characters are the vocabulary; the first 90% of
/// the text trains, the rest validates.
#[derive(Debug, Clone)]
pub struct CharCorpus {
    /// The vocabulary: token `i` is `chars[i]`.
    pub chars: Vec<char>,
    /// The training split's token ids.
    pub train: Vec<i64>,
    /// The validation split's token ids.
    pub val: Vec<i64>,
}

impl CharCorpus {
    /// The corpus of `text`.
    #[track_caller]
    pub fn new(text: &str) -> Result<CharCorpus> {
        let chars: Vec<char> = text.chars().collect::<std::collections::BTreeSet<_>>().into_iter().collect();
        let stoi: BTreeMap<char, i64> = chars.iter().enumerate().map(|(i, &c)| (c, i as i64)).collect();
        let mut train: Vec<i64> = text.chars().map(|c| stoi[&c]).collect();
        let val = train.split_off((0.9 * train.len() as f64) as usize);
        Ok(CharCorpus { chars, train, val })
    }
    /// The characters of `ids`.
    pub fn decode(&self, ids: &[i64]) -> String {
        ids.iter().map(|&i| self.chars[i as usize]).collect()
    }
}

/// The job's hyper-parameters; `Default` is `gpt_reference.py`'s.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrainConfig {
    /// Training steps.
    pub steps: usize,
    /// Sequences per batch.
    pub batch: usize,
    /// The peak learning rate.
    pub lr: f64,
    /// The learning rate the cosine ends at.
    pub min_lr: f64,
    /// Steps of linear warm-up.
    pub warmup: usize,
    /// AdamW's decoupled weight decay, on parameters of 2 or more dims only.
    pub weight_decay: f64,
    /// AdamW's betas.
    pub betas: (f64, f64),
    /// The bound on the gradients' global 2-norm.
    pub clip: f64,
    /// Evaluate every this many steps (and after the last).
    pub eval_every: usize,
    /// Batches averaged per split in an evaluation.
    pub eval_iters: usize,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            steps: 2000,
            batch: 12,
            lr: 1e-3,
            min_lr: 1e-4,
            warmup: 100,
            weight_decay: 0.1,
            betas: (0.9, 0.99),
            clip: 1.0,
            eval_every: 250,
            eval_iters: 20,
        }
    }
}

impl TrainConfig {
    /// The learning rate of step `it`: linear warm-up to `lr`, then a cosine to `min_lr` at
    /// `steps`.
    pub fn lr_at(&self, it: usize) -> f64 {
        if it < self.warmup {
            return self.lr * (it + 1) as f64 / (self.warmup + 1) as f64;
        }
        let r = ((it - self.warmup) as f64 / self.steps.saturating_sub(self.warmup).max(1) as f64).min(1.0);
        self.min_lr + 0.5 * (1.0 + (std::f64::consts::PI * r).cos()) * (self.lr - self.min_lr)
    }
}

/// A model, its optimizer (two groups: matrices with weight decay, the rest without) and the
/// corpus it trains on.
#[derive(Debug)]
pub struct CharGptTrainer {
    /// The model.
    pub model: Gpt,
    /// AdamW over the model's parameters, in two groups.
    pub opt: AdamW,
    /// The corpus.
    pub corpus: CharCorpus,
    /// The hyper-parameters.
    pub config: TrainConfig,
    params: Vec<Var>,
    device: Device,
}

impl CharGptTrainer {
    /// A freshly initialised model of `model_config` (its vocabulary must cover the corpus's)
    /// on `device`, in training mode.
    #[track_caller]
    pub fn new(corpus: CharCorpus, model_config: GptConfig, config: TrainConfig, device: &Device) -> Result<Self> {
        if model_config.vocab_size < corpus.chars.len() {
            bail!(
                Value,
                "CharGptTrainer",
                "vocab_size {} is smaller than the corpus's {} characters",
                model_config.vocab_size,
                corpus.chars.len()
            );
        }
        let shortest = corpus.train.len().min(corpus.val.len());
        if shortest <= model_config.context {
            bail!(
                Value,
                "CharGptTrainer",
                "a split of {shortest} characters is not longer than the context {}",
                model_config.context
            );
        }
        Self::with_model(Gpt::new(model_config, device)?, corpus, config, device)
    }

    /// Trains `model` (e.g. one loaded from a state dict).
    #[track_caller]
    pub fn with_model(mut model: Gpt, corpus: CharCorpus, config: TrainConfig, device: &Device) -> Result<Self> {
        model.train();
        let (decay, no_decay): (Vec<Var>, Vec<Var>) = model.parameters().into_iter().partition(|p| p.dim() >= 2);
        let group =
            |weight_decay| AdamWConfig { lr: config.lr, betas: config.betas, weight_decay, ..Default::default() };
        let opt = AdamW::with_groups(vec![(decay, group(config.weight_decay)), (no_decay, group(0.0))])?;
        let params = model.parameters();
        Ok(CharGptTrainer { model, opt, corpus, config, params, device: device.clone() })
    }

    /// `config.batch` windows of the context's length at random offsets (the global generator)
    /// of the training (`train`) or validation split, and the same shifted by one: `[batch,
    /// context]` inputs and `[batch · context]` targets.
    #[track_caller]
    pub fn batch(&self, train: bool) -> Result<(Var, Tensor)> {
        let data = if train { &self.corpus.train } else { &self.corpus.val };
        let (b, t) = (self.config.batch, self.model.config().context);
        let starts = Tensor::randint(0, (data.len() - t) as i64, [b], &Device::Cpu)?.to_vec::<i64>()?;
        let (mut x, mut y) = (Vec::with_capacity(b * t), Vec::with_capacity(b * t));
        for &s in &starts {
            let s = s as usize;
            x.extend_from_slice(&data[s..s + t]);
            y.extend_from_slice(&data[s + 1..s + 1 + t]);
        }
        let x = Tensor::from_vec(x, [b, t])?.to_device(&self.device)?;
        Ok((Var::constant(x), Tensor::from_vec(y, [b * t])?.to_device(&self.device)?))
    }

    /// The mean cross-entropy of the next character.
    #[track_caller]
    pub fn loss(&self, x: &Var, y: &Tensor) -> Result<Var> {
        let v = self.model.config().vocab_size as isize;
        F::cross_entropy(&self.model.forward(x)?.reshape(&[-1, v])?, y, &ClassLossOptions::default())
    }

    /// One training step on `(x, y)` at learning rate `lr`: the loss, its gradients, clipping,
    /// AdamW. Returns the loss (before the step).
    #[track_caller]
    pub fn step_on(&mut self, x: &Var, y: &Tensor, lr: f64) -> Result<f64> {
        for g in 0..2 {
            self.opt.set_learning_rate(g, lr);
        }
        let loss = self.loss(x, y)?;
        self.opt.zero_grad();
        loss.backward()?;
        clip_grad_norm_(&self.params, self.config.clip, 2.0)?;
        self.opt.step()?;
        Ok(loss.item::<f32>()? as f64)
    }

    /// Training step `it`: a random training batch at the schedule's learning rate.
    #[track_caller]
    pub fn step(&mut self, it: usize) -> Result<f64> {
        let (x, y) = self.batch(true)?;
        self.step_on(&x, &y, self.config.lr_at(it))
    }

    /// The mean loss over `config.eval_iters` random batches of each split (train, val), in
    /// evaluation mode and without recording.
    #[track_caller]
    pub fn evaluate(&mut self) -> Result<(f64, f64)> {
        let _guard = no_grad();
        self.model.eval();
        let mean = |train: bool| -> Result<f64> {
            let mut total = 0.0;
            for _ in 0..self.config.eval_iters {
                let (x, y) = self.batch(train)?;
                total += self.loss(&x, &y)?.item::<f32>()? as f64;
            }
            Ok(total / self.config.eval_iters.max(1) as f64)
        };
        let losses = (mean(true)?, mean(false)?);
        self.model.train();
        Ok(losses)
    }

    /// Token 0 and `n` characters sampled after it at temperature 0.8 (multinomial, from the
    /// global generator), as the reference samples and prints.
    #[track_caller]
    pub fn sample(&self, n: usize) -> Result<String> {
        let _guard = no_grad();
        let context = self.model.config().context;
        let mut idx = vec![0i64];
        for _ in 0..n {
            let window = &idx[idx.len().saturating_sub(context)..];
            let x = Var::constant(Tensor::from_vec(window.to_vec(), [1, window.len()])?.to_device(&self.device)?);
            let logits = self.model.forward(&x)?.tensor();
            let last = logits.select(1, window.len() as isize - 1)?.div(0.8)?;
            idx.push(last.softmax(-1)?.reshape(&[-1])?.multinomial(1, true)?.to_vec::<i64>()?[0]);
        }
        Ok(self.corpus.decode(&idx))
    }

    /// The model's state dict under the reference's names, the tied output layer listed as
    /// `lm_head.weight` too (as PyTorch's state dict lists it), so that `Gpt.load_state_dict`
    /// of `gpt_reference.py` takes it.
    pub fn state_dict(&self) -> BTreeMap<String, Tensor> {
        let mut state = self.model.state_dict();
        if self.model.config().tied {
            state.insert("lm_head.weight".into(), self.model.wte.weight.tensor());
        }
        state
    }
}
