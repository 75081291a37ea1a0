//! Resumable training: two epochs straight and one epoch + checkpoint + load into fresh objects
//! + one epoch give bit-identical parameters (issue 21).
//!
//! A binary of its own: the model's initialisation and its Dropout draw from the global
//! generator, which tests on other threads of a shared binary would also advance. The tests of
//! this file take `GLOBAL_RNG` for the same reason.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;
use tensor_autograd::Var;
use tensor_core::random::{get_rng_state, set_rng_state, RngState};
use tensor_core::{manual_seed, DType, Device, Result, Tensor};
use tensor_nn::optim::{
    Adam, AdamConfig, AdamW, AdamWConfig, CosineAnnealingLR, LrScheduler, Optimizer, Sgd, SgdConfig, StepLR,
};
use tensor_nn::{
    checkpoint, functional as F, BatchNorm1d, ClassLossOptions, Dropout, Linear, Module, ModuleExt, ReLU, Sequential,
};

const CPU: &Device = &Device::Cpu;
static GLOBAL_RNG: Mutex<()> = Mutex::new(());

/// 32 points in 4-d with 3 classes by a fixed linear rule (drawn after `manual_seed(7)`).
fn data() -> Result<(Tensor, Tensor)> {
    manual_seed(7);
    let x = Tensor::randn([32, 4], DType::F32, CPU)?;
    let rule = Tensor::new([[1.0f32, -1.0, 0.5], [0.5, 1.0, -1.0], [-1.0, 0.5, 1.0], [0.25, -0.5, 0.75]], CPU)?;
    let y = x.matmul(&rule)?.argmax(Some(1), false)?;
    Ok((x, y))
}

/// Linear → BatchNorm1d → ReLU → Dropout → Linear, initialised from the global generator.
fn model(hidden: usize) -> Result<Sequential> {
    Ok(Sequential::new()
        .add(Linear::new(4, hidden, true, CPU)?)
        .add(BatchNorm1d::new(hidden, CPU)?)
        .add(ReLU)
        .add(Dropout::new(0.25)?)
        .add(Linear::new(hidden, 3, true, CPU)?))
}

/// One epoch: four batches of 8 in order (Dropout draws from the global generator), then the
/// scheduler's step.
fn epoch(
    (x, y): &(Tensor, Tensor),
    model: &Sequential,
    opt: &mut dyn Optimizer,
    sched: Option<&mut (dyn LrScheduler + '_)>,
) -> Result<()> {
    let opts = ClassLossOptions::default();
    for b in 0..4isize {
        let input = Var::constant(x.narrow(0, b * 8, 8)?);
        let target = y.narrow(0, b * 8, 8)?;
        opt.zero_grad();
        F::cross_entropy(&model.forward(&input)?, &target, &opts)?.backward()?;
        opt.step()?;
    }
    if let Some(s) = sched {
        s.step(opt)?;
    }
    Ok(())
}

/// Every parameter and buffer, as f64 bits-preserving values (f32 widens exactly; the I64
/// batch counter too).
fn snapshot(model: &Sequential) -> Result<BTreeMap<String, Vec<f64>>> {
    model.state_dict().into_iter().map(|(k, t)| Ok((k, t.to_dtype(DType::F64)?.to_vec::<f64>()?))).collect()
}

fn temp_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("tensor-nn-resume-{name}-{}.safetensors", std::process::id()))
}

type MakeOpt = fn(&Sequential) -> Result<Box<dyn Optimizer>>;
type MakeSched = fn(&dyn Optimizer) -> Result<Option<Box<dyn LrScheduler>>>;

/// Runs the two-epoch comparison; returns the straight run's state and the one of a resumed run
/// that skips restoring the generator (which must differ: Dropout draws other masks).
fn straight_vs_resumed(name: &str, make_opt: MakeOpt, make_sched: MakeSched) -> Result<()> {
    let _guard = GLOBAL_RNG.lock().unwrap_or_else(|e| e.into_inner());
    let data = data()?;

    // Two epochs straight.
    manual_seed(1);
    let m = model(16)?;
    let mut opt = make_opt(&m)?;
    let mut sched = make_sched(opt.as_ref())?;
    epoch(&data, &m, opt.as_mut(), sched.as_deref_mut())?;
    let after_one = snapshot(&m)?;
    epoch(&data, &m, opt.as_mut(), sched.as_deref_mut())?;
    let straight = snapshot(&m)?;
    assert_ne!(after_one, straight, "{name}: the second epoch changed nothing");
    // What the third epoch would start from: the learning rates and the scheduler's state.
    let straight_next = (opt.learning_rates(), sched.as_ref().map(|s| s.state_dict()));

    // One epoch, a checkpoint, fresh objects (other initial weights, the generator elsewhere),
    // the load, one more epoch.
    let path = temp_path(name);
    manual_seed(1);
    let m = model(16)?;
    let mut opt = make_opt(&m)?;
    let mut sched = make_sched(opt.as_ref())?;
    epoch(&data, &m, opt.as_mut(), sched.as_deref_mut())?;
    let saved_rng = get_rng_state();
    checkpoint::save(&path, &m, opt.as_ref(), sched.as_deref(), 1)?;
    drop((m, opt, sched));

    manual_seed(12345);
    let mut fresh = model(16)?;
    let mut fresh_opt = make_opt(&fresh)?;
    let mut fresh_sched = make_sched(fresh_opt.as_ref())?;
    assert_ne!(snapshot(&fresh)?, after_one);
    let resumed = checkpoint::load(&path, &mut fresh, fresh_opt.as_mut(), fresh_sched.as_deref_mut())?;
    assert_eq!(resumed, checkpoint::Resumed { epoch: 1, rng_state: saved_rng }, "{name}");
    assert_eq!(get_rng_state(), saved_rng, "{name}");
    assert_eq!(snapshot(&fresh)?, after_one, "{name}: the model as saved");
    epoch(&data, &fresh, fresh_opt.as_mut(), fresh_sched.as_deref_mut())?;
    assert_eq!(snapshot(&fresh)?, straight, "{name}: resumed differs from straight");
    let resumed_next = (fresh_opt.learning_rates(), fresh_sched.as_ref().map(|s| s.state_dict()));
    assert_eq!(resumed_next, straight_next, "{name}: the next epoch's learning rates or scheduler");

    // The comparison can fail: the same resume with the generator left elsewhere differs.
    manual_seed(12345);
    let mut other = model(16)?;
    let mut other_opt = make_opt(&other)?;
    let mut other_sched = make_sched(other_opt.as_ref())?;
    checkpoint::load(&path, &mut other, other_opt.as_mut(), other_sched.as_deref_mut())?;
    set_rng_state(RngState { seed: 99, offset: 0 });
    epoch(&data, &other, other_opt.as_mut(), other_sched.as_deref_mut())?;
    assert_ne!(snapshot(&other)?, straight, "{name}: the generator's state does not matter?");
    std::fs::remove_file(&path).ok();
    Ok(())
}

#[test]
fn adam_resumes_bit_for_bit() -> Result<()> {
    straight_vs_resumed(
        "adam",
        |m| {
            // Two groups: weights with weight decay and AMSGrad, the rest without.
            let (w, rest): (Vec<_>, Vec<_>) =
                m.named_parameters().into_iter().partition(|(n, _)| n.ends_with("weight"));
            let strip = |v: Vec<(String, Var)>| v.into_iter().map(|(_, p)| p).collect::<Vec<_>>();
            Ok(Box::new(Adam::with_groups(vec![
                (strip(w), AdamConfig { lr: 0.02, weight_decay: 1e-3, amsgrad: true, ..Default::default() }),
                (strip(rest), AdamConfig { lr: 0.01, ..Default::default() }),
            ])?))
        },
        |_| Ok(None),
    )
}

#[test]
fn sgd_momentum_step_lr_resumes_bit_for_bit() -> Result<()> {
    straight_vs_resumed(
        "sgd",
        |m| {
            let c = SgdConfig { lr: 0.1, momentum: 0.9, weight_decay: 1e-4, ..Default::default() };
            Ok(Box::new(Sgd::new(m.parameters(), c)?))
        },
        |o| Ok(Some(Box::new(StepLR::new(o, 2, 0.5)?))),
    )
}

#[test]
fn adamw_cosine_resumes_bit_for_bit() -> Result<()> {
    straight_vs_resumed(
        "adamw",
        |m| Ok(Box::new(AdamW::new(m.parameters(), AdamWConfig { lr: 0.01, ..Default::default() })?)),
        |o| Ok(Some(Box::new(CosineAnnealingLR::new(o, 3, 1e-4)?))),
    )
}

#[test]
fn checkpoint_file_layout_and_mismatches() -> Result<()> {
    let _guard = GLOBAL_RNG.lock().unwrap_or_else(|e| e.into_inner());
    let data = data()?;
    manual_seed(3);
    let m = model(16)?;
    let mut opt = Adam::new(m.parameters(), AdamConfig::default())?;
    let mut sched = StepLR::new(&opt, 2, 0.5)?;
    epoch(&data, &m, &mut opt, Some(&mut sched))?;
    let path = temp_path("layout");
    checkpoint::save(&path, &m, &opt, Some(&sched), 1)?;

    // The model part is a plain state dict (what PyTorch's load_state_dict takes); the
    // optimizer's tensors sit under their prefix, `step` as a scalar.
    let file = tensor_io::SafetensorsFile::open(&path)?;
    let model_keys: Vec<&str> = file.names().filter(|k| !k.starts_with(checkpoint::OPTIMIZER_PREFIX)).collect();
    let mut want: Vec<String> = m.state_dict().into_keys().collect();
    want.sort();
    let mut got: Vec<String> = model_keys.iter().map(|s| s.to_string()).collect();
    got.sort();
    assert_eq!(got, want);
    assert!(want.contains(&"1.running_mean".to_string()) && want.contains(&"0.weight".to_string()));
    assert_eq!(file.shape("optimizer.state.0.exp_avg")?, [16, 4]);
    assert_eq!(file.shape("optimizer.state.0.step")?, [0usize; 0]);
    let meta = file.metadata();
    assert_eq!(meta.get("format").map(String::as_str), Some("pt"));
    assert_eq!(meta.get("checkpoint_version").map(String::as_str), Some("1"));
    assert_eq!(meta.get("epoch").map(String::as_str), Some("1"));
    let groups: serde_json::Value = serde_json::from_str(&meta["optimizer.param_groups"]).unwrap();
    assert_eq!(groups[0]["lr"], serde_json::json!(1e-3));
    let s: serde_json::Value = serde_json::from_str(&meta["scheduler"]).unwrap();
    assert_eq!((s["last_epoch"].clone(), s["step_size"].clone()), (serde_json::json!(1), serde_json::json!(2)));
    drop(file);

    // A model of another width: refused, naming the keys and shapes, and nothing loaded.
    let mut narrow = model(8)?;
    let before = snapshot(&narrow)?;
    let mut narrow_opt = Adam::new(narrow.parameters(), AdamConfig { lr: 0.5, ..Default::default() })?;
    let e = checkpoint::load(&path, &mut narrow, &mut narrow_opt, None).unwrap_err().to_string();
    assert!(e.contains("0.weight: the checkpoint has shape [16, 4], the model [8, 4]"), "{e}");
    assert_eq!(snapshot(&narrow)?, before);
    assert_eq!(narrow_opt.learning_rates(), [0.5]);

    // An optimizer of another layout (SGD without state would load; one group too many fails).
    let mut fresh = model(16)?;
    let ps = fresh.parameters();
    let mut two =
        Adam::with_groups(vec![(ps[..2].to_vec(), AdamConfig::default()), (ps[2..].to_vec(), AdamConfig::default())])?;
    let e = checkpoint::load(&path, &mut fresh, &mut two, None).unwrap_err().to_string();
    assert!(e.contains("1 parameter groups") && e.contains("has 2"), "{e}");

    // A scheduler asked for but absent, and a file that is not a checkpoint.
    let no_sched = temp_path("nosched");
    checkpoint::save(&no_sched, &m, &opt, None, 1)?;
    let mut opt2 = Adam::new(fresh.parameters(), AdamConfig::default())?;
    let mut sched2 = StepLR::new(&opt2, 2, 0.5)?;
    let e = checkpoint::load(&no_sched, &mut fresh, &mut opt2, Some(&mut sched2)).unwrap_err().to_string();
    assert!(e.contains("no scheduler state"), "{e}");
    tensor_nn::save_safetensors(&m.state_dict(), &no_sched)?;
    let e = checkpoint::load(&no_sched, &mut fresh, &mut opt2, None).unwrap_err().to_string();
    assert!(e.contains("checkpoint_version") && e.contains("not a checkpoint"), "{e}");
    std::fs::remove_file(&path).ok();
    std::fs::remove_file(&no_sched).ok();
    Ok(())
}
