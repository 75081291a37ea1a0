//! Learning-rate schedulers against PyTorch, bit for bit.
//!
//! Every sequence in `schedulers_literals` was printed by `scripts/pytorch/lr_schedules.py`
//! (PyTorch 2.15, CPU) and pasted unchanged (rustfmt only rewraps lines): `get_last_lr()` after construction and
//! after each of 30 `optimizer.step(); scheduler.step()` rounds, for SGD with two parameter
//! groups (lr 0.1 and 0.5).

use crate::schedulers_literals::*;
use serde_json::json;
use std::sync::Arc;
use tensor_autograd::Var;
use tensor_core::{DType, Device, Result, Tensor};
use tensor_nn::optim::{
    Adam, AdamConfig, AnnealStrategy, CosineAnnealingLR, CosineAnnealingWarmRestarts, ExponentialLR, LambdaLR,
    LinearLR, LinearLROptions, LrLambda, LrScheduler, MultiStepLR, MultiplicativeLR, OneCycleLR, OneCycleLROptions,
    Optimizer, PlateauMode, ReduceLROnPlateau, ReduceLROnPlateauOptions, SequentialLR, Sgd, SgdConfig, StepLR,
    ThresholdMode,
};

const CPU: &Device = &Device::Cpu;
const STEPS: usize = 30;
/// The metrics fed to ReduceLROnPlateau, as in the script.
const METRICS: [f64; STEPS] = [
    5.0, 4.0, 4.0, 3.99, 3.98, 4.1, 3.0, 3.0, 3.0, 3.0, 2.5, 2.6, 2.7, 2.8, 2.9, 2.0, 2.0, 2.0, 2.0, 2.0, 1.0, 1.0,
    1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.5,
];

/// SGD with two groups, lr 0.1 and 0.5.
fn optimizer() -> Result<Sgd> {
    let p = Var::parameter(Tensor::zeros([1], DType::F64, CPU)?);
    let q = Var::parameter(Tensor::zeros([1], DType::F64, CPU)?);
    let c = SgdConfig { lr: 0.1, ..Default::default() };
    Sgd::with_groups(vec![(vec![p], c), (vec![q], SgdConfig { lr: 0.5, ..c })])
}

/// The learning rates after construction and after each of `STEPS` steps.
fn run<S: LrScheduler>(make: impl FnOnce(&mut Sgd) -> Result<S>) -> Result<Vec<[f64; 2]>> {
    let mut opt = optimizer()?;
    let mut s = make(&mut opt)?;
    assert_eq!(s.last_lr(), opt.learning_rates());
    let mut out = vec![[s.last_lr()[0], s.last_lr()[1]]];
    for i in 0..STEPS {
        opt.step()?;
        s.step(&mut opt)?;
        assert_eq!(s.last_epoch(), i + 1);
        assert_eq!(s.last_lr(), opt.learning_rates());
        out.push([s.last_lr()[0], s.last_lr()[1]]);
    }
    Ok(out)
}

/// Bit-for-bit equality, with the step of the first difference.
fn assert_bits(name: &str, got: &[[f64; 2]], want: &[[f64; 2]]) {
    assert_eq!(got.len(), want.len(), "{name}");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert_eq!(g, w, "{name}: step {i}");
    }
}

#[test]
fn lambda_lr_matches_pytorch() -> Result<()> {
    let got = run(|o| {
        let fs: Vec<LrLambda> = vec![Arc::new(|e| 0.95f64.powf(e as f64)), Arc::new(|e| 1.0 / (e + 1) as f64)];
        LambdaLR::per_group(o, fs)
    })?;
    assert_bits("LambdaLR", &got, &LAMBDA_LR);
    let mut opt = optimizer()?;
    let e = LambdaLR::per_group(&mut opt, vec![Arc::new(|_| 1.0)]).unwrap_err().to_string();
    assert!(e.contains("Expected 2 lr_lambdas, but got 1"), "{e}");
    // One function for every group.
    let mut s = LambdaLR::new(&mut opt, |e| 1.0 / (e + 2) as f64)?;
    assert_eq!(opt.learning_rates(), [0.05, 0.25]);
    s.step(&mut opt)?;
    assert_eq!(opt.learning_rates(), [0.1 / 3.0, 0.5 / 3.0]);
    Ok(())
}

#[test]
fn multiplicative_lr_matches_pytorch() -> Result<()> {
    let got = run(|o| {
        let fs: Vec<LrLambda> = vec![Arc::new(|_| 0.9), Arc::new(|e| 1.0 - 0.01 * e as f64)];
        MultiplicativeLR::per_group(o, fs)
    })?;
    assert_bits("MultiplicativeLR", &got, &MULTIPLICATIVE_LR);
    let mut opt = optimizer()?;
    assert!(MultiplicativeLR::per_group(&mut opt, vec![]).is_err());
    Ok(())
}

#[test]
fn step_lrs_match_pytorch() -> Result<()> {
    assert_bits("StepLR", &run(|o| StepLR::new(o, 4, 0.7))?, &STEP_LR_30);
    assert_bits("MultiStepLR", &run(|o| MultiStepLR::new(o, &[12, 3, 7, 7], 0.3))?, &MULTI_STEP_LR);
    assert_bits("ExponentialLR", &run(|o| ExponentialLR::new(o, 0.87))?, &EXPONENTIAL_LR);
    // Closed forms agree to rounding.
    let mut opt = optimizer()?;
    let m = MultiStepLR::new(&mut opt, &[12, 3, 7, 7], 0.3)?;
    let x = ExponentialLR::new(&mut opt, 0.87)?;
    for e in 0..=STEPS {
        assert!((m.closed_form_lr(e)[1] - MULTI_STEP_LR[e][1]).abs() < 1e-15, "epoch {e}");
        assert!((x.closed_form_lr(e)[1] - EXPONENTIAL_LR[e][1]).abs() < 1e-15, "epoch {e}");
    }
    Ok(())
}

#[test]
fn linear_lr_matches_pytorch() -> Result<()> {
    let o = LinearLROptions { start_factor: 0.25, end_factor: 0.9, total_iters: 7 };
    assert_bits("LinearLR", &run(|opt| LinearLR::new(opt, o))?, &LINEAR_LR);
    assert_bits("LinearLR default", &run(|opt| LinearLR::new(opt, LinearLROptions::default()))?, &LINEAR_LR_DEFAULT);
    let mut opt = optimizer()?;
    let s = LinearLR::new(&mut opt, o)?;
    for (e, want) in LINEAR_LR.iter().enumerate() {
        assert!((s.closed_form_lr(e)[0] - want[0]).abs() < 1e-15, "epoch {e}");
    }
    for (start, end) in [(0.0, 1.0), (1.5, 1.0), (0.5, -0.1), (0.5, 1.1)] {
        let bad = LinearLROptions { start_factor: start, end_factor: end, total_iters: 3 };
        let e = LinearLR::new(&mut opt, bad).unwrap_err().to_string();
        assert!(e.contains("multiplicative factor expected"), "{e}");
    }
    Ok(())
}

#[test]
fn cosine_lrs_match_pytorch() -> Result<()> {
    assert_bits("CosineAnnealingLR", &run(|o| CosineAnnealingLR::new(o, 7, 0.002))?, &COSINE_LR_30);
    let got = run(|o| CosineAnnealingWarmRestarts::new(o, 3, 2, 0.001))?;
    assert_bits("CosineAnnealingWarmRestarts", &got, &WARM_RESTARTS);
    let got = run(|o| CosineAnnealingWarmRestarts::new(o, 4, 1, 0.0))?;
    assert_bits("CosineAnnealingWarmRestarts T_mult=1", &got, &WARM_RESTARTS_T1);
    let mut opt = optimizer()?;
    let e = CosineAnnealingWarmRestarts::new(&mut opt, 0, 1, 0.0).unwrap_err().to_string();
    assert!(e.contains("Expected positive integer T_0, but got 0"), "{e}");
    let e = CosineAnnealingWarmRestarts::new(&mut opt, 2, 0, 0.0).unwrap_err().to_string();
    assert!(e.contains("Expected integer T_mult >= 1, but got 0"), "{e}");
    Ok(())
}

#[test]
fn one_cycle_lr_matches_pytorch() -> Result<()> {
    let two = OneCycleLROptions { total_steps: Some(30), cycle_momentum: false, ..Default::default() };
    assert_bits("OneCycleLR", &run(|o| OneCycleLR::new(o, &[1.0, 2.0], two))?, &ONE_CYCLE);
    let three = OneCycleLROptions {
        epochs: Some(6),
        steps_per_epoch: Some(5),
        pct_start: 0.25,
        anneal_strategy: AnnealStrategy::Linear,
        div_factor: 10.0,
        final_div_factor: 100.0,
        three_phase: true,
        cycle_momentum: false,
        ..Default::default()
    };
    assert_bits("OneCycleLR three phases", &run(|o| OneCycleLR::new(o, &[0.8], three))?, &ONE_CYCLE_THREE_PHASE);

    // Past total_steps: PyTorch's error, and nothing changes.
    let mut opt = optimizer()?;
    let mut s = OneCycleLR::new(&mut opt, &[1.0, 2.0], two)?;
    for _ in 0..STEPS {
        s.step(&mut opt)?;
    }
    let e = s.step(&mut opt).unwrap_err().to_string();
    assert!(e.contains("Tried to step 31 times. The specified number of total steps is 30"), "{e}");
    assert_eq!((s.last_epoch(), opt.learning_rates()), (30, ONE_CYCLE[30].to_vec()));

    // Validation, as PyTorch's messages.
    let cases: [(OneCycleLROptions, &[f64], &str); 5] = [
        (OneCycleLROptions::default(), &[1.0], "You must define either total_steps OR (epochs AND steps_per_epoch)"),
        (OneCycleLROptions { total_steps: Some(0), ..two }, &[1.0], "Expected positive integer total_steps, but got 0"),
        (
            OneCycleLROptions { epochs: Some(0), steps_per_epoch: Some(3), ..Default::default() },
            &[1.0],
            "Expected positive integer epochs, but got 0",
        ),
        (OneCycleLROptions { pct_start: 1.5, ..two }, &[1.0], "Expected float between 0 and 1 pct_start, but got 1.5"),
        (two, &[1.0, 2.0, 3.0], "max_lr must have the same length as optimizer.param_groups"),
    ];
    for (o, max_lr, msg) in cases {
        let e = OneCycleLR::new(&mut opt, max_lr, o).unwrap_err().to_string();
        assert!(e.contains(msg), "{e}");
    }
    Ok(())
}

/// OneCycleLR's momentum of each group after construction and each step.
fn momentums<O: Optimizer>(mut opt: O, options: OneCycleLROptions, max_lr: &[f64]) -> Result<Vec<[f64; 2]>> {
    let mut s = OneCycleLR::new(&mut opt, max_lr, options)?;
    let mut out = vec![[opt.momentums()[0], opt.momentums()[1]]];
    for _ in 0..STEPS {
        opt.step()?;
        s.step(&mut opt)?;
        out.push([opt.momentums()[0], opt.momentums()[1]]);
    }
    Ok(out)
}

#[test]
fn one_cycle_lr_cycles_momentum_as_pytorch() -> Result<()> {
    // SGD's momentum.
    let o = OneCycleLROptions { total_steps: Some(30), base_momentum: 0.8, max_momentum: 0.9, ..Default::default() };
    assert_bits("OneCycleLR SGD momentum", &momentums(optimizer()?, o, &[1.0, 2.0])?, &ONE_CYCLE_MOMENTUM_SGD);
    // Adam's beta1, three linear phases.
    let p = Var::parameter(Tensor::zeros([1], DType::F64, CPU)?);
    let q = Var::parameter(Tensor::zeros([1], DType::F64, CPU)?);
    let c = AdamConfig { lr: 0.1, ..Default::default() };
    let adam = Adam::with_groups(vec![(vec![p], c), (vec![q], AdamConfig { lr: 0.5, ..c })])?;
    let o = OneCycleLROptions {
        total_steps: Some(30),
        three_phase: true,
        anneal_strategy: AnnealStrategy::Linear,
        ..Default::default()
    };
    assert_bits("OneCycleLR Adam beta1", &momentums(adam, o, &[0.5])?, &ONE_CYCLE_BETA1_ADAM);
    // The momentum survives a state dict round trip.
    let mut a = optimizer()?;
    let mut sa = OneCycleLR::new(&mut a, &[1.0], o)?;
    for _ in 0..9 {
        sa.step(&mut a)?;
    }
    let mut b = optimizer()?;
    let mut sb = OneCycleLR::new(&mut b, &[2.0], OneCycleLROptions { total_steps: Some(50), ..Default::default() })?;
    sb.load_state_dict(&sa.state_dict())?;
    for _ in 9..STEPS {
        sa.step(&mut a)?;
        sb.step(&mut b)?;
        assert_eq!((a.learning_rates(), a.momentums()), (b.learning_rates(), b.momentums()));
    }
    Ok(())
}

/// ReduceLROnPlateau's learning rates over `METRICS`.
fn plateau(options: ReduceLROnPlateauOptions) -> Result<Vec<[f64; 2]>> {
    let mut opt = optimizer()?;
    let mut s = ReduceLROnPlateau::new(&opt, options)?;
    let mut out = vec![[s.last_lr()[0], s.last_lr()[1]]];
    for (i, &m) in METRICS.iter().enumerate() {
        opt.step()?;
        s.step(m, &mut opt)?;
        assert_eq!((s.last_epoch(), s.last_lr()), (i + 1, &opt.learning_rates()[..]));
        out.push([s.last_lr()[0], s.last_lr()[1]]);
    }
    Ok(out)
}

fn plateau_min_rel() -> ReduceLROnPlateauOptions {
    ReduceLROnPlateauOptions {
        factor: 0.5,
        patience: 2,
        threshold: 0.01,
        cooldown: 1,
        min_lr: vec![0.01, 0.02],
        ..Default::default()
    }
}

#[test]
fn reduce_lr_on_plateau_matches_pytorch() -> Result<()> {
    assert_bits("ReduceLROnPlateau min rel", &plateau(plateau_min_rel())?, &PLATEAU_MIN_REL);
    let max_abs = ReduceLROnPlateauOptions {
        mode: PlateauMode::Max,
        factor: 0.3,
        patience: 0,
        threshold: 0.5,
        threshold_mode: ThresholdMode::Abs,
        min_lr: vec![0.001],
        ..Default::default()
    };
    assert_bits("ReduceLROnPlateau max abs", &plateau(max_abs)?, &PLATEAU_MAX_ABS);
    let opt = optimizer()?;
    let e = ReduceLROnPlateau::new(&opt, ReduceLROnPlateauOptions { factor: 1.0, ..Default::default() })
        .unwrap_err()
        .to_string();
    assert!(e.contains("Factor should be < 1.0."), "{e}");
    let e = ReduceLROnPlateau::new(&opt, ReduceLROnPlateauOptions { min_lr: vec![0.0; 3], ..Default::default() })
        .unwrap_err()
        .to_string();
    assert!(e.contains("expected 2 min_lrs, got 3"), "{e}");
    Ok(())
}

/// LinearLR warm-up, then ExponentialLR, then CosineAnnealingLR, at milestones 4 and 10.
fn sequential(opt: &mut Sgd) -> Result<SequentialLR> {
    let a = LinearLR::new(opt, LinearLROptions { start_factor: 0.1, total_iters: 4, ..Default::default() })?;
    let b = ExponentialLR::new(opt, 0.9)?;
    let c = CosineAnnealingLR::new(opt, 5, 0.01)?;
    SequentialLR::new(opt, vec![Box::new(a), Box::new(b), Box::new(c)], vec![4, 10])
}

#[test]
fn sequential_lr_matches_pytorch() -> Result<()> {
    assert_bits("SequentialLR", &run(sequential)?, &SEQUENTIAL_LR);
    // MultiStepLR, then CosineAnnealingWarmRestarts (no closed form: restarted by get_lr), then
    // LambdaLR, at milestones 6 and 20.
    let got = run(|o| {
        let a = MultiStepLR::new(o, &[2, 4], 0.5)?;
        let b = CosineAnnealingWarmRestarts::new(o, 4, 2, 0.01)?;
        let c = LambdaLR::new(o, |e| 0.9f64.powf(e as f64))?;
        SequentialLR::new(o, vec![Box::new(a), Box::new(b), Box::new(c)], vec![6, 20])
    })?;
    assert_bits("SequentialLR 2", &got, &SEQUENTIAL_LR_2);
    let mut opt = optimizer()?;
    let e = SequentialLR::new(&mut opt, vec![], vec![]).unwrap_err().to_string();
    assert!(e.contains("expects at least one scheduler"), "{e}");
    let a = ExponentialLR::new(&mut opt, 0.9)?;
    let e = SequentialLR::new(&mut opt, vec![Box::new(a)], vec![3]).unwrap_err().to_string();
    assert!(e.contains("number of schedulers 1 and the number of milestones to be equal to 1"), "{e}");
    Ok(())
}

/// Saves at step `k`, loads into a fresh scheduler (made with other options) and a copy of the
/// optimizer, and checks that both runs go on with the same learning rates, to the bit.
fn resumes<S: LrScheduler>(
    k: usize,
    make: impl Fn(&mut Sgd) -> Result<S>,
    other: impl Fn(&mut Sgd) -> Result<S>,
) -> Result<()> {
    let mut a = optimizer()?;
    let mut sa = make(&mut a)?;
    for _ in 0..k {
        sa.step(&mut a)?;
    }
    let sd = sa.state_dict();
    let mut b = optimizer()?;
    let mut sb = other(&mut b)?;
    b.load_state_dict(&a.state_dict()?)?;
    sb.load_state_dict(&sd)?;
    assert_eq!(sb.state_dict(), sd);
    for _ in k..STEPS {
        sa.step(&mut a)?;
        sb.step(&mut b)?;
        assert_eq!(a.learning_rates(), b.learning_rates());
        assert_eq!(sa.last_lr(), sb.last_lr());
    }
    Ok(())
}

#[test]
fn scheduler_state_dicts_round_trip() -> Result<()> {
    let f = |e: usize| 0.95f64.powf(e as f64);
    resumes(5, |o| LambdaLR::new(o, f), |o| LambdaLR::new(o, f))?;
    resumes(5, |o| MultiplicativeLR::new(o, |_| 0.9), |o| MultiplicativeLR::new(o, |_| 0.9))?;
    resumes(5, |o| MultiStepLR::new(o, &[3, 7, 7, 12], 0.3), |o| MultiStepLR::new(o, &[1], 0.5))?;
    resumes(5, |o| ExponentialLR::new(o, 0.87), |o| ExponentialLR::new(o, 0.5))?;
    let lin = LinearLROptions { start_factor: 0.25, end_factor: 0.9, total_iters: 7 };
    resumes(3, |o| LinearLR::new(o, lin), |o| LinearLR::new(o, LinearLROptions::default()))?;
    resumes(
        8,
        |o| CosineAnnealingWarmRestarts::new(o, 3, 2, 0.001),
        |o| CosineAnnealingWarmRestarts::new(o, 5, 1, 0.0),
    )?;
    let one = OneCycleLROptions { total_steps: Some(30), ..Default::default() };
    let other = OneCycleLROptions { total_steps: Some(40), three_phase: true, ..Default::default() };
    resumes(11, |o| OneCycleLR::new(o, &[1.0, 2.0], one), |o| OneCycleLR::new(o, &[3.0], other))?;
    resumes(7, sequential, sequential)?;

    // PyTorch's names.
    let mut opt = optimizer()?;
    let sd = LambdaLR::new(&mut opt, f)?.state_dict();
    assert_eq!(sd["lr_lambdas"], json!([null, null]));
    assert_eq!((sd["last_epoch"].clone(), sd["_step_count"].clone()), (json!(0), json!(1)));
    let sd = MultiStepLR::new(&mut opt, &[3, 7, 7], 0.3)?.state_dict();
    assert_eq!(sd["milestones"], json!({"3": 1, "7": 2}));
    let sd = CosineAnnealingWarmRestarts::new(&mut opt, 3, 2, 0.001)?.state_dict();
    for k in ["T_0", "T_i", "T_mult", "T_cur", "eta_min", "base_lrs", "_last_lr"] {
        assert!(sd.contains_key(k), "{k}");
    }
    let sd = sequential(&mut opt)?.state_dict();
    assert_eq!(sd["_milestones"], json!([4, 10]));
    assert_eq!(sd["_schedulers"].as_array().map(Vec::len), Some(3));

    // Exactly PyTorch's keys (printed by `sorted(scheduler.state_dict())` after one step).
    let base = ["_get_lr_called_within_step", "_is_initial", "_last_lr", "_step_count", "base_lrs", "last_epoch"];
    let keys = |extra: &[&str]| {
        let mut k: Vec<String> = base.iter().chain(extra).map(|s| s.to_string()).collect();
        k.sort();
        k
    };
    let sorted = |sd: tensor_nn::optim::SchedulerState| {
        let mut k: Vec<String> = sd.keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(sorted(LambdaLR::new(&mut opt, f)?.state_dict()), keys(&["lr_lambdas"]));
    assert_eq!(sorted(MultiplicativeLR::new(&mut opt, f)?.state_dict()), keys(&["lr_lambdas"]));
    assert_eq!(sorted(StepLR::new(&opt, 2, 0.5)?.state_dict()), keys(&["gamma", "step_size"]));
    assert_eq!(sorted(MultiStepLR::new(&mut opt, &[2], 0.5)?.state_dict()), keys(&["gamma", "milestones"]));
    assert_eq!(sorted(ExponentialLR::new(&mut opt, 0.5)?.state_dict()), keys(&["gamma"]));
    let lin_keys = keys(&["end_factor", "start_factor", "total_iters"]);
    assert_eq!(sorted(LinearLR::new(&mut opt, lin)?.state_dict()), lin_keys);
    assert_eq!(sorted(CosineAnnealingLR::new(&opt, 3, 0.0)?.state_dict()), keys(&["T_max", "eta_min"]));
    let cawr_keys = keys(&["T_0", "T_cur", "T_i", "T_mult", "eta_min"]);
    assert_eq!(sorted(CosineAnnealingWarmRestarts::new(&mut opt, 3, 1, 0.0)?.state_dict()), cawr_keys);
    // OneCycleLR: PyTorch's but `use_beta1`, plus what PyTorch keeps in the param groups.
    let one_keys = keys(&[
        "_anneal_func_type",
        "_schedule_phases",
        "cycle_momentum",
        "total_steps",
        "max_lrs",
        "min_lrs",
        "max_momentums",
        "base_momentums",
    ]);
    assert_eq!(sorted(OneCycleLR::new(&mut opt, &[1.0], one)?.state_dict()), one_keys);
    let seq = ["_last_lr", "_milestones", "_schedulers", "last_epoch"].map(String::from).to_vec();
    assert_eq!(sorted(sequential(&mut opt)?.state_dict()), seq);

    // A bad dict changes nothing.
    let mut s = LinearLR::new(&mut opt, lin)?;
    let mut bad = s.state_dict();
    bad.insert("start_factor".into(), json!(2.0));
    assert!(s.load_state_dict(&bad).is_err());
    assert_eq!(s.options, lin);
    Ok(())
}

#[test]
fn reduce_lr_on_plateau_state_dict_round_trip() -> Result<()> {
    let mut a = optimizer()?;
    let mut sa = ReduceLROnPlateau::new(&a, plateau_min_rel())?;
    assert_eq!(sa.state_dict()["best"], json!("inf"));
    for &m in &METRICS[..12] {
        sa.step(m, &mut a)?;
    }
    let sd = sa.state_dict();
    for k in ["factor", "min_lrs", "default_min_lr", "patience", "cooldown", "eps", "last_epoch", "_last_lr", "mode"] {
        assert!(sd.contains_key(k), "{k}");
    }
    for k in ["threshold", "threshold_mode", "best", "mode_worse", "cooldown_counter", "num_bad_epochs"] {
        assert!(sd.contains_key(k), "{k}");
    }
    let mut b = optimizer()?;
    b.load_state_dict(&a.state_dict()?)?;
    let mut sb = ReduceLROnPlateau::new(&b, ReduceLROnPlateauOptions::default())?;
    sb.load_state_dict(&sd)?;
    assert_eq!(sb.state_dict(), sd);
    for (i, &m) in METRICS.iter().enumerate().skip(12) {
        sa.step(m, &mut a)?;
        sb.step(m, &mut b)?;
        assert_eq!(b.learning_rates(), PLATEAU_MIN_REL[i + 1]);
    }
    let mut bad = sd.clone();
    bad.insert("mode".into(), json!("sideways"));
    assert!(sb.load_state_dict(&bad).unwrap_err().to_string().contains("mode sideways is unknown"));
    Ok(())
}
