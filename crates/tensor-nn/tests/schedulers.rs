//! Learning-rate schedulers against PyTorch, bit for bit.
//!
//! Every sequence below was printed by `scripts/pytorch/lr_schedules.py` (PyTorch 2.15, CPU)
//! and pasted unchanged (rustfmt only rewraps lines): `get_last_lr()` after construction and
//! after each of 30 `optimizer.step(); scheduler.step()` rounds, for SGD with two parameter
//! groups (lr 0.1 and 0.5).

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

// Produced by scripts/pytorch/lr_schedules.py (torch 2.15.0+cu132).
const LAMBDA_LR: [[f64; 2]; 31] = [
    [0.1, 0.5],
    [0.095, 0.25],
    [0.09025, 0.16666666666666666],
    [0.0857375, 0.125],
    [0.081450625, 0.1],
    [0.07737809374999999, 0.08333333333333333],
    [0.07350918906249998, 0.07142857142857142],
    [0.06983372960937498, 0.0625],
    [0.06634204312890622, 0.05555555555555555],
    [0.0630249409724609, 0.05],
    [0.05987369392383787, 0.045454545454545456],
    [0.05688000922764597, 0.041666666666666664],
    [0.05403600876626367, 0.038461538461538464],
    [0.051334208327950485, 0.03571428571428571],
    [0.04876749791155296, 0.03333333333333333],
    [0.046329123015975304, 0.03125],
    [0.04401266686517654, 0.029411764705882353],
    [0.04181203352191771, 0.027777777777777776],
    [0.039721431845821824, 0.02631578947368421],
    [0.03773536025353073, 0.025],
    [0.03584859224085419, 0.023809523809523808],
    [0.03405616262881148, 0.022727272727272728],
    [0.0323533544973709, 0.021739130434782608],
    [0.03073568677250236, 0.020833333333333332],
    [0.02919890243387724, 0.02],
    [0.027738957312183378, 0.019230769230769232],
    [0.026352009446574204, 0.018518518518518517],
    [0.025034408974245494, 0.017857142857142856],
    [0.023782688525533217, 0.017241379310344827],
    [0.022593554099256556, 0.016666666666666666],
    [0.02146387639429373, 0.016129032258064516],
];
const MULTIPLICATIVE_LR: [[f64; 2]; 31] = [
    [0.1, 0.5],
    [0.09000000000000001, 0.495],
    [0.08100000000000002, 0.4851],
    [0.07290000000000002, 0.47054699999999994],
    [0.06561000000000002, 0.4517251199999999],
    [0.05904900000000002, 0.4291388639999999],
    [0.05314410000000002, 0.40339053215999987],
    [0.04782969000000002, 0.37515319490879984],
    [0.043046721000000024, 0.34514093931609585],
    [0.03874204890000002, 0.3140782547776472],
    [0.03486784401000002, 0.2826704292998825],
    [0.03138105960900001, 0.25157668207689543],
    [0.028242953648100012, 0.221387480227668],
    [0.025418658283290013, 0.19260710779807116],
    [0.022876792454961013, 0.1656421127063412],
    [0.020589113209464913, 0.14079579580039],
    [0.01853020188851842, 0.1182684684723276],
    [0.01667718169966658, 0.0981628288320319],
    [0.015009463529699923, 0.08049351964226616],
    [0.013508517176729932, 0.0651997509102356],
    [0.01215766545905694, 0.05215980072818848],
    [0.010941898913151246, 0.0412062425752689],
    [0.009847709021836121, 0.03214086920870974],
    [0.00886293811965251, 0.0247484692907065],
    [0.007976644307687259, 0.01880883666093694],
    [0.007178979876918534, 0.014106627495702705],
    [0.006461081889226681, 0.010438904346820002],
    [0.005814973700304013, 0.007620400173178601],
    [0.005233476330273611, 0.005486688124688593],
    [0.00471012869724625, 0.0038955485685289006],
    [0.004239115827521626, 0.00272688399797023],
];
const STEP_LR_30: [[f64; 2]; 31] = [
    [0.1, 0.5],
    [0.1, 0.5],
    [0.1, 0.5],
    [0.1, 0.5],
    [0.06999999999999999, 0.35],
    [0.06999999999999999, 0.35],
    [0.06999999999999999, 0.35],
    [0.06999999999999999, 0.35],
    [0.048999999999999995, 0.24499999999999997],
    [0.048999999999999995, 0.24499999999999997],
    [0.048999999999999995, 0.24499999999999997],
    [0.048999999999999995, 0.24499999999999997],
    [0.0343, 0.17149999999999996],
    [0.0343, 0.17149999999999996],
    [0.0343, 0.17149999999999996],
    [0.0343, 0.17149999999999996],
    [0.024009999999999997, 0.12004999999999996],
    [0.024009999999999997, 0.12004999999999996],
    [0.024009999999999997, 0.12004999999999996],
    [0.024009999999999997, 0.12004999999999996],
    [0.016806999999999996, 0.08403499999999997],
    [0.016806999999999996, 0.08403499999999997],
    [0.016806999999999996, 0.08403499999999997],
    [0.016806999999999996, 0.08403499999999997],
    [0.011764899999999997, 0.058824499999999974],
    [0.011764899999999997, 0.058824499999999974],
    [0.011764899999999997, 0.058824499999999974],
    [0.011764899999999997, 0.058824499999999974],
    [0.008235429999999997, 0.04117714999999998],
    [0.008235429999999997, 0.04117714999999998],
    [0.008235429999999997, 0.04117714999999998],
];
const MULTI_STEP_LR: [[f64; 2]; 31] = [
    [0.1, 0.5],
    [0.1, 0.5],
    [0.1, 0.5],
    [0.03, 0.15],
    [0.03, 0.15],
    [0.03, 0.15],
    [0.03, 0.15],
    [0.0026999999999999997, 0.0135],
    [0.0026999999999999997, 0.0135],
    [0.0026999999999999997, 0.0135],
    [0.0026999999999999997, 0.0135],
    [0.0026999999999999997, 0.0135],
    [0.0008099999999999998, 0.00405],
    [0.0008099999999999998, 0.00405],
    [0.0008099999999999998, 0.00405],
    [0.0008099999999999998, 0.00405],
    [0.0008099999999999998, 0.00405],
    [0.0008099999999999998, 0.00405],
    [0.0008099999999999998, 0.00405],
    [0.0008099999999999998, 0.00405],
    [0.0008099999999999998, 0.00405],
    [0.0008099999999999998, 0.00405],
    [0.0008099999999999998, 0.00405],
    [0.0008099999999999998, 0.00405],
    [0.0008099999999999998, 0.00405],
    [0.0008099999999999998, 0.00405],
    [0.0008099999999999998, 0.00405],
    [0.0008099999999999998, 0.00405],
    [0.0008099999999999998, 0.00405],
    [0.0008099999999999998, 0.00405],
    [0.0008099999999999998, 0.00405],
];
const EXPONENTIAL_LR: [[f64; 2]; 31] = [
    [0.1, 0.5],
    [0.08700000000000001, 0.435],
    [0.07569000000000001, 0.37845],
    [0.0658503, 0.32925150000000003],
    [0.057289761, 0.28644880500000003],
    [0.04984209207, 0.24921046035000002],
    [0.0433626201009, 0.2168131005045],
    [0.037725479487783, 0.18862739743891502],
    [0.03282116715437121, 0.16410583577185606],
    [0.02855441542430295, 0.14277207712151477],
    [0.024842341419143567, 0.12421170709571784],
    [0.021612837034654903, 0.10806418517327453],
    [0.018803168220149765, 0.09401584110074884],
    [0.016358756351530297, 0.08179378175765149],
    [0.014232118025831358, 0.07116059012915679],
    [0.012381942682473281, 0.06190971341236641],
    [0.010772290133751755, 0.053861450668758776],
    [0.009371892416364026, 0.04685946208182013],
    [0.008153546402236703, 0.04076773201118351],
    [0.007093585369945932, 0.03546792684972966],
    [0.00617141927185296, 0.030857096359264802],
    [0.005369134766512075, 0.02684567383256038],
    [0.004671147246865506, 0.023355736234327528],
    [0.0040638981047729904, 0.02031949052386495],
    [0.003535591351152502, 0.017677956755762506],
    [0.0030759644755026768, 0.01537982237751338],
    [0.0026760890936873287, 0.01338044546843664],
    [0.002328197511507976, 0.011640987557539876],
    [0.002025531835011939, 0.010127659175059691],
    [0.001762212696460387, 0.008811063482301932],
    [0.0015331250459205367, 0.007665625229602681],
];
const LINEAR_LR: [[f64; 2]; 31] = [
    [0.025, 0.125],
    [0.03428571428571429, 0.17142857142857143],
    [0.04357142857142858, 0.2178571428571429],
    [0.052857142857142866, 0.26428571428571435],
    [0.06214285714285715, 0.3107142857142858],
    [0.07142857142857144, 0.3571428571428572],
    [0.08071428571428572, 0.4035714285714286],
    [0.09000000000000001, 0.45],
    [0.09000000000000001, 0.45],
    [0.09000000000000001, 0.45],
    [0.09000000000000001, 0.45],
    [0.09000000000000001, 0.45],
    [0.09000000000000001, 0.45],
    [0.09000000000000001, 0.45],
    [0.09000000000000001, 0.45],
    [0.09000000000000001, 0.45],
    [0.09000000000000001, 0.45],
    [0.09000000000000001, 0.45],
    [0.09000000000000001, 0.45],
    [0.09000000000000001, 0.45],
    [0.09000000000000001, 0.45],
    [0.09000000000000001, 0.45],
    [0.09000000000000001, 0.45],
    [0.09000000000000001, 0.45],
    [0.09000000000000001, 0.45],
    [0.09000000000000001, 0.45],
    [0.09000000000000001, 0.45],
    [0.09000000000000001, 0.45],
    [0.09000000000000001, 0.45],
    [0.09000000000000001, 0.45],
    [0.09000000000000001, 0.45],
];
const LINEAR_LR_DEFAULT: [[f64; 2]; 31] = [
    [0.03333333333333333, 0.16666666666666666],
    [0.04666666666666667, 0.23333333333333334],
    [0.060000000000000005, 0.30000000000000004],
    [0.07333333333333335, 0.36666666666666675],
    [0.08666666666666668, 0.43333333333333346],
    [0.1, 0.5000000000000001],
    [0.1, 0.5000000000000001],
    [0.1, 0.5000000000000001],
    [0.1, 0.5000000000000001],
    [0.1, 0.5000000000000001],
    [0.1, 0.5000000000000001],
    [0.1, 0.5000000000000001],
    [0.1, 0.5000000000000001],
    [0.1, 0.5000000000000001],
    [0.1, 0.5000000000000001],
    [0.1, 0.5000000000000001],
    [0.1, 0.5000000000000001],
    [0.1, 0.5000000000000001],
    [0.1, 0.5000000000000001],
    [0.1, 0.5000000000000001],
    [0.1, 0.5000000000000001],
    [0.1, 0.5000000000000001],
    [0.1, 0.5000000000000001],
    [0.1, 0.5000000000000001],
    [0.1, 0.5000000000000001],
    [0.1, 0.5000000000000001],
    [0.1, 0.5000000000000001],
    [0.1, 0.5000000000000001],
    [0.1, 0.5000000000000001],
    [0.1, 0.5000000000000001],
    [0.1, 0.5000000000000001],
];
const COSINE_LR_30: [[f64; 2]; 31] = [
    [0.1, 0.5],
    [0.09514747452721854, 0.47534124810770234],
    [0.08155100029107795, 0.4062489606628246],
    [0.061903525763859414, 0.3064077125551223],
    [0.04009647423614061, 0.19559228744487775],
    [0.020448999708922062, 0.09575103933717537],
    [0.0068525254727814676, 0.02665875189229766],
    [0.002, 0.002],
    [0.006852525472781462, 0.026658751892297633],
    [0.02044899970892205, 0.0957510393371753],
    [0.040096474236140586, 0.19559228744487767],
    [0.06190352576385936, 0.30640771255512206],
    [0.08155100029107794, 0.4062489606628246],
    [0.09514747452721856, 0.47534124810770245],
    [0.1, 0.5],
    [0.09514747452721856, 0.47534124810770245],
    [0.08155100029107797, 0.40624896066282473],
    [0.061903525763859386, 0.30640771255512217],
    [0.040096474236140614, 0.1955922874448778],
    [0.02044899970892207, 0.09575103933717542],
    [0.006852525472781472, 0.02665875189229769],
    [0.002, 0.002],
    [0.006852525472781462, 0.026658751892297633],
    [0.020448999708922208, 0.09575103933717612],
    [0.04009647423614092, 0.19559228744487936],
    [0.06190352576385992, 0.3064077125551249],
    [0.08155100029107872, 0.40624896066282856],
    [0.09514747452721936, 0.47534124810770656],
    [0.10000000000000088, 0.5000000000000044],
    [0.09514747452721939, 0.47534124810770667],
    [0.08155100029107874, 0.40624896066282873],
];
const WARM_RESTARTS: [[f64; 2]; 31] = [
    [0.1, 0.5],
    [0.07525000000000001, 0.37525],
    [0.025750000000000012, 0.12575000000000006],
    [0.1, 0.5],
    [0.09336825748732973, 0.4665733382442175],
    [0.07525000000000001, 0.37525],
    [0.0505, 0.2505],
    [0.025750000000000012, 0.12575000000000006],
    [0.007631742512670284, 0.034426661755782545],
    [0.1, 0.5],
    [0.09831332840130888, 0.4914984936591225],
    [0.09336825748732973, 0.4665733382442175],
    [0.0855017856687341, 0.4269231419060436],
    [0.07525000000000001, 0.37525],
    [0.06331154273257478, 0.31507535175307894],
    [0.0505, 0.2505],
    [0.03768845726742523, 0.1859246482469211],
    [0.025750000000000012, 0.12575000000000006],
    [0.0154982143312659, 0.07407685809395641],
    [0.007631742512670284, 0.034426661755782545],
    [0.0026866715986911243, 0.009501506340877482],
    [0.1, 0.5],
    [0.09957652063800362, 0.4978654929127657],
    [0.09831332840130888, 0.4914984936591225],
    [0.0962320368593087, 0.48100794336156605],
    [0.09336825748732973, 0.4665733382442175],
    [0.08977099034441614, 0.4484416584026632],
    [0.0855017856687341, 0.4269231419060436],
    [0.08063369073593167, 0.4023859765376758],
    [0.07525000000000001, 0.37525],
    [0.06944282990207196, 0.3459795163750899],
];
const WARM_RESTARTS_T1: [[f64; 2]; 31] = [
    [0.1, 0.5],
    [0.08535533905932738, 0.42677669529663687],
    [0.05, 0.25],
    [0.014644660940672627, 0.07322330470336313],
    [0.1, 0.5],
    [0.08535533905932738, 0.42677669529663687],
    [0.05, 0.25],
    [0.014644660940672627, 0.07322330470336313],
    [0.1, 0.5],
    [0.08535533905932738, 0.42677669529663687],
    [0.05, 0.25],
    [0.014644660940672627, 0.07322330470336313],
    [0.1, 0.5],
    [0.08535533905932738, 0.42677669529663687],
    [0.05, 0.25],
    [0.014644660940672627, 0.07322330470336313],
    [0.1, 0.5],
    [0.08535533905932738, 0.42677669529663687],
    [0.05, 0.25],
    [0.014644660940672627, 0.07322330470336313],
    [0.1, 0.5],
    [0.08535533905932738, 0.42677669529663687],
    [0.05, 0.25],
    [0.014644660940672627, 0.07322330470336313],
    [0.1, 0.5],
    [0.08535533905932738, 0.42677669529663687],
    [0.05, 0.25],
    [0.014644660940672627, 0.07322330470336313],
    [0.1, 0.5],
    [0.08535533905932738, 0.42677669529663687],
    [0.05, 0.25],
];
const ONE_CYCLE: [[f64; 2]; 31] = [
    [0.040000000000000036, 0.08000000000000007],
    [0.07653782439458245, 0.1530756487891649],
    [0.1805887450304573, 0.3611774900609146],
    [0.33631195246475687, 0.6726239049295137],
    [0.52, 1.04],
    [0.703688047535243, 1.407376095070486],
    [0.8594112549695427, 1.7188225099390855],
    [0.9634621756054176, 1.9269243512108352],
    [1.0, 2.0],
    [0.9944154354509117, 1.9888308709018234],
    [0.9777864917474588, 1.9555729834949176],
    [0.9504846320134737, 1.9009692640269473],
    [0.9131197346804488, 1.8262394693608976],
    [0.8665264698111694, 1.7330529396223389],
    [0.8117456539497631, 1.6234913078995261],
    [0.750001, 1.500002],
    [0.6826717815011489, 1.3653435630022979],
    [0.6112620219362893, 1.2225240438725786],
    [0.537366897333025, 1.07473379466605],
    [0.46263710266697505, 0.9252742053339501],
    [0.38874197806371075, 0.7774839561274215],
    [0.31733221849885124, 0.6346644369977025],
    [0.2500030000000001, 0.5000060000000002],
    [0.18825834605023697, 0.37651669210047395],
    [0.1334775301888306, 0.2669550603776612],
    [0.08688426531955129, 0.17376853063910258],
    [0.049519367986526286, 0.09903873597305257],
    [0.02221750825254118, 0.04443501650508236],
    [0.005588564549088188, 0.011177129098176376],
    [4e-06, 8e-06],
    [0.005588564549088188, 0.011177129098176376],
];
const ONE_CYCLE_THREE_PHASE: [[f64; 2]; 31] = [
    [0.08, 0.08],
    [0.1907692307692308, 0.1907692307692308],
    [0.3015384615384616, 0.3015384615384616],
    [0.4123076923076924, 0.4123076923076924],
    [0.5230769230769231, 0.5230769230769231],
    [0.633846153846154, 0.633846153846154],
    [0.7446153846153847, 0.7446153846153847],
    [0.7446153846153847, 0.7446153846153847],
    [0.6338461538461538, 0.6338461538461538],
    [0.523076923076923, 0.523076923076923],
    [0.4123076923076923, 0.4123076923076923],
    [0.30153846153846153, 0.30153846153846153],
    [0.1907692307692308, 0.1907692307692308],
    [0.07999999999999996, 0.07999999999999996],
    [0.07505, 0.07505],
    [0.0701, 0.0701],
    [0.06515, 0.06515],
    [0.060200000000000004, 0.060200000000000004],
    [0.05525, 0.05525],
    [0.0503, 0.0503],
    [0.04535, 0.04535],
    [0.0404, 0.0404],
    [0.035449999999999995, 0.035449999999999995],
    [0.0305, 0.0305],
    [0.025549999999999996, 0.025549999999999996],
    [0.020599999999999993, 0.020599999999999993],
    [0.015649999999999997, 0.015649999999999997],
    [0.010700000000000001, 0.010700000000000001],
    [0.005749999999999991, 0.005749999999999991],
    [0.0007999999999999952, 0.0007999999999999952],
    [-0.004150000000000001, -0.004150000000000001],
];
const SEQUENTIAL_LR: [[f64; 2]; 31] = [
    [0.010000000000000002, 0.05],
    [0.03250000000000001, 0.1625],
    [0.055000000000000014, 0.275],
    [0.07750000000000003, 0.38750000000000007],
    [0.1, 0.5],
    [0.09000000000000001, 0.45],
    [0.08100000000000002, 0.405],
    [0.07290000000000002, 0.36450000000000005],
    [0.06561000000000002, 0.32805000000000006],
    [0.05904900000000002, 0.2952450000000001],
    [0.1, 0.5],
    [0.09140576474687263, 0.45320916362186214],
    [0.06890576474687263, 0.33070916362186215],
    [0.04109423525312736, 0.1792908363781379],
    [0.018594235253127367, 0.0567908363781379],
    [0.01, 0.01],
    [0.018594235253127367, 0.05679083637813787],
    [0.04109423525312739, 0.17929083637813795],
    [0.06890576474687267, 0.33070916362186226],
    [0.09140576474687269, 0.45320916362186237],
    [0.10000000000000006, 0.5000000000000002],
    [0.09140576474687272, 0.4532091636218625],
    [0.06890576474687268, 0.3307091636218623],
    [0.0410942352531274, 0.17929083637813803],
    [0.01859423525312738, 0.05679083637813795],
    [0.01, 0.01],
    [0.018594235253127367, 0.05679083637813787],
    [0.04109423525312739, 0.17929083637813795],
    [0.0689057647468727, 0.33070916362186237],
    [0.09140576474687272, 0.45320916362186253],
    [0.10000000000000012, 0.5000000000000006],
];
const SEQUENTIAL_LR_2: [[f64; 2]; 31] = [
    [0.1, 0.5],
    [0.1, 0.5],
    [0.05, 0.25],
    [0.05, 0.25],
    [0.025, 0.125],
    [0.025, 0.125],
    [0.1, 0.5],
    [0.08681980515339464, 0.4282411613907041],
    [0.05500000000000001, 0.255],
    [0.023180194846605363, 0.08175883860929586],
    [0.1, 0.5],
    [0.0965745789630079, 0.48135048546526527],
    [0.08681980515339464, 0.4282411613907041],
    [0.07222075445642905, 0.348757440929447],
    [0.05500000000000001, 0.255],
    [0.03777924554357097, 0.16124255907055302],
    [0.023180194846605363, 0.08175883860929586],
    [0.013425421036992097, 0.02864951453473475],
    [0.1, 0.5],
    [0.09913533761814537, 0.49529239369879147],
    [0.1, 0.5],
    [0.09000000000000001, 0.45],
    [0.08100000000000002, 0.405],
    [0.0729, 0.36450000000000005],
    [0.06561, 0.32805],
    [0.05904900000000001, 0.29524500000000004],
    [0.05314410000000001, 0.2657205],
    [0.04782969000000001, 0.23914845000000004],
    [0.04304672100000001, 0.21523360500000005],
    [0.03874204890000001, 0.19371024450000005],
    [0.03486784401000001, 0.17433922005000005],
];
const PLATEAU_MIN_REL: [[f64; 2]; 31] = [
    [0.1, 0.5],
    [0.1, 0.5],
    [0.1, 0.5],
    [0.1, 0.5],
    [0.1, 0.5],
    [0.05, 0.25],
    [0.05, 0.25],
    [0.05, 0.25],
    [0.05, 0.25],
    [0.05, 0.25],
    [0.025, 0.125],
    [0.025, 0.125],
    [0.025, 0.125],
    [0.025, 0.125],
    [0.0125, 0.0625],
    [0.0125, 0.0625],
    [0.0125, 0.0625],
    [0.0125, 0.0625],
    [0.0125, 0.0625],
    [0.01, 0.03125],
    [0.01, 0.03125],
    [0.01, 0.03125],
    [0.01, 0.03125],
    [0.01, 0.03125],
    [0.01, 0.02],
    [0.01, 0.02],
    [0.01, 0.02],
    [0.01, 0.02],
    [0.01, 0.02],
    [0.01, 0.02],
    [0.01, 0.02],
];
const PLATEAU_MAX_ABS: [[f64; 2]; 31] = [
    [0.1, 0.5],
    [0.1, 0.5],
    [0.03, 0.15],
    [0.009, 0.045],
    [0.0026999999999999997, 0.0135],
    [0.001, 0.00405],
    [0.001, 0.001215],
    [0.001, 0.001],
    [0.001, 0.001],
    [0.001, 0.001],
    [0.001, 0.001],
    [0.001, 0.001],
    [0.001, 0.001],
    [0.001, 0.001],
    [0.001, 0.001],
    [0.001, 0.001],
    [0.001, 0.001],
    [0.001, 0.001],
    [0.001, 0.001],
    [0.001, 0.001],
    [0.001, 0.001],
    [0.001, 0.001],
    [0.001, 0.001],
    [0.001, 0.001],
    [0.001, 0.001],
    [0.001, 0.001],
    [0.001, 0.001],
    [0.001, 0.001],
    [0.001, 0.001],
    [0.001, 0.001],
    [0.001, 0.001],
];
const ONE_CYCLE_MOMENTUM_SGD: [[f64; 2]; 31] = [
    [0.9, 0.9],
    [0.8961939766255643, 0.8961939766255643],
    [0.8853553390593274, 0.8853553390593274],
    [0.8691341716182546, 0.8691341716182546],
    [0.8500000000000001, 0.8500000000000001],
    [0.8308658283817456, 0.8308658283817456],
    [0.8146446609406727, 0.8146446609406727],
    [0.8038060233744357, 0.8038060233744357],
    [0.8, 0.8],
    [0.8005584586887436, 0.8005584586887436],
    [0.802221359710693, 0.802221359710693],
    [0.804951556604879, 0.804951556604879],
    [0.8086880612842003, 0.8086880612842003],
    [0.8133474064085088, 0.8133474064085088],
    [0.8188255099070634, 0.8188255099070634],
    [0.8250000000000001, 0.8250000000000001],
    [0.8317329487816802, 0.8317329487816802],
    [0.8388739533021843, 0.8388739533021843],
    [0.8462634953206788, 0.8462634953206788],
    [0.8537365046793213, 0.8537365046793213],
    [0.8611260466978158, 0.8611260466978158],
    [0.8682670512183198, 0.8682670512183198],
    [0.875, 0.875],
    [0.8811744900929367, 0.8811744900929367],
    [0.8866525935914913, 0.8866525935914913],
    [0.8913119387157997, 0.8913119387157997],
    [0.895048443395121, 0.895048443395121],
    [0.8977786402893071, 0.8977786402893071],
    [0.8994415413112564, 0.8994415413112564],
    [0.9, 0.9],
    [0.8994415413112564, 0.8994415413112564],
];
const ONE_CYCLE_BETA1_ADAM: [[f64; 2]; 31] = [
    [0.95, 0.95],
    [0.9375, 0.9375],
    [0.9249999999999999, 0.9249999999999999],
    [0.9125, 0.9125],
    [0.8999999999999999, 0.8999999999999999],
    [0.8875, 0.8875],
    [0.875, 0.875],
    [0.8624999999999999, 0.8624999999999999],
    [0.85, 0.85],
    [0.8624999999999999, 0.8624999999999999],
    [0.875, 0.875],
    [0.8875, 0.8875],
    [0.8999999999999999, 0.8999999999999999],
    [0.9125, 0.9125],
    [0.9249999999999999, 0.9249999999999999],
    [0.9375, 0.9375],
    [0.95, 0.95],
    [0.95, 0.95],
    [0.95, 0.95],
    [0.95, 0.95],
    [0.95, 0.95],
    [0.95, 0.95],
    [0.95, 0.95],
    [0.95, 0.95],
    [0.95, 0.95],
    [0.95, 0.95],
    [0.95, 0.95],
    [0.95, 0.95],
    [0.95, 0.95],
    [0.95, 0.95],
    [0.95, 0.95],
];
