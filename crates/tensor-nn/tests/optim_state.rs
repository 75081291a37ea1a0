//! Optimizer and scheduler state dicts: PyTorch's structure, round trips that continue a run
//! bit for bit, and clear errors for dicts that do not fit.
//!
//! Every test with tensors runs on every device (`common::devices`): parameters and the
//! optimizer's state live on the device (the `step` counts are float32 CPU scalars, as
//! PyTorch's), a loaded state lands on its parameter's device, and a resumed run is bit for bit
//! the straight one on each device.

use serde_json::json;
use tensor_autograd::Var;
use tensor_core::{DType, Device, Result, Tensor};
use tensor_nn::optim::{
    Adam, AdamConfig, AdamW, AdamWConfig, CosineAnnealingLR, LrScheduler, Optimizer, OptimizerState, Sgd, SgdConfig,
    StepLR,
};

use crate::common::{assert_on, devices, CPU};

/// Three parameters (shapes [2, 3], [3] and [2]) with fixed values, on `dev`.
fn params(dev: &Device) -> Result<Vec<Var>> {
    Ok(vec![
        Var::parameter(Tensor::new([[0.5f32, -1.0, 2.0], [1.5, 0.25, -0.75]], dev)?),
        Var::parameter(Tensor::new([0.1f32, -0.2, 0.3], dev)?),
        Var::parameter(Tensor::new([1.0f32, 2.0], dev)?),
    ])
}

/// Asserts that every tensor of `sd`'s state lives on `dev`, each `step` a float32 scalar on
/// the CPU (as PyTorch keeps it without `capturable`).
#[track_caller]
fn assert_state_on(sd: &OptimizerState, dev: &Device) {
    for (i, tensors) in &sd.state {
        for (name, t) in tensors {
            let want = if name == "step" { CPU } else { dev };
            assert_eq!(t.device(), want, "state.{i}.{name} is on {}, not on {want}", t.device());
        }
    }
}

/// Deep copies of `ps`, as fresh leaves.
fn copies(ps: &[Var]) -> Vec<Var> {
    ps.iter().map(|p| Var::parameter(p.tensor().clone())).collect()
}

/// A loss that touches the first `n` parameters only, so the others get no gradient.
fn loss(ps: &[Var], n: usize) -> Result<Var> {
    let mut total = ps[0].mul(&ps[0])?.sum()?;
    for p in &ps[1..n] {
        total = total.add(&p.mul(&p.sin()?)?.sum()?)?;
    }
    Ok(total)
}

fn steps(opt: &mut dyn Optimizer, ps: &[Var], n: usize, count: usize) -> Result<()> {
    for _ in 0..count {
        opt.zero_grad();
        loss(ps, n)?.backward()?;
        opt.step()?;
    }
    Ok(())
}

fn values(ps: &[Var]) -> Result<Vec<Vec<f32>>> {
    ps.iter().map(|p| p.tensor().to_vec::<f32>()).collect()
}

/// Asserts that the parameters `ps` and their gradients live on `dev`.
#[track_caller]
fn assert_params_on(ps: &[Var], dev: &Device) {
    for p in ps {
        assert_on(p.tensor_ref(), dev);
        if let Some(g) = p.grad() {
            assert_on(&g, dev);
        }
    }
}

fn adam_groups(ps: &[Var], lr: f64) -> Vec<(Vec<Var>, AdamConfig)> {
    vec![
        (ps[..2].to_vec(), AdamConfig { lr, amsgrad: true, ..Default::default() }),
        (ps[2..].to_vec(), AdamConfig { lr: lr / 2.0, weight_decay: 0.1, ..Default::default() }),
    ]
}

#[test]
fn adam_state_dict_has_pytorch_structure() -> Result<()> {
    for dev in &devices() {
        let ps = params(dev)?;
        let mut opt = Adam::with_groups(adam_groups(&ps, 0.1))?;
        steps(&mut opt, &ps, 2, 3)?;
        assert_params_on(&ps, dev);
        let sd = opt.state_dict()?;
        assert_state_on(&sd, dev);
        // Parameter 2 never had a gradient: no state, as in PyTorch.
        assert_eq!(sd.state.keys().copied().collect::<Vec<_>>(), [0, 1], "on {dev}");
        let s0 = &sd.state[&0];
        assert_eq!(
            s0.keys().map(String::as_str).collect::<Vec<_>>(),
            ["exp_avg", "exp_avg_sq", "max_exp_avg_sq", "step"],
            "on {dev}"
        );
        assert_eq!((s0["step"].size(), s0["step"].dtype()), (&[][..], DType::F32), "on {dev}");
        assert_eq!(s0["step"].to_vec::<f32>()?, [3.0], "on {dev}");
        assert_eq!(s0["exp_avg"].size(), [2, 3], "on {dev}");
        let g0 = &sd.param_groups[0];
        assert_eq!(g0["params"], json!([0, 1]));
        assert_eq!(g0["betas"], json!([0.9, 0.999]));
        assert_eq!(
            (g0["lr"].clone(), g0["amsgrad"].clone(), g0["maximize"].clone()),
            (json!(0.1), json!(true), json!(false))
        );
        assert_eq!(g0["decoupled_weight_decay"], json!(false));
        let g1 = &sd.param_groups[1];
        assert_eq!(
            (g1["params"].clone(), g1["lr"].clone(), g1["weight_decay"].clone()),
            (json!([2]), json!(0.05), json!(0.1))
        );
        // Flattened for a file, and back.
        let flat = sd.state_tensors("optimizer.");
        assert!(flat.contains_key("optimizer.state.1.exp_avg_sq"), "on {dev}");
        let back = OptimizerState::from_state_tensors("optimizer.", &flat, sd.param_groups.clone())?;
        assert_eq!(back.state.len(), 2, "on {dev}");
        assert_eq!(back.state[&1].len(), 4, "on {dev}");
        assert_state_on(&back, dev);
    }
    Ok(())
}

#[test]
fn adam_adamw_sgd_resume_bit_for_bit() -> Result<()> {
    type Make = fn(&[Var]) -> Result<Box<dyn Optimizer>>;
    let makers: [(&str, Make); 3] = [
        ("Adam", |ps| Ok(Box::new(Adam::with_groups(adam_groups(ps, 0.05))?))),
        ("AdamW", |ps| {
            Ok(Box::new(AdamW::new(ps.to_vec(), AdamWConfig { lr: 0.05, amsgrad: true, ..Default::default() })?))
        }),
        ("SGD", |ps| {
            let c = SgdConfig { lr: 0.05, momentum: 0.9, nesterov: true, weight_decay: 0.01, ..Default::default() };
            Ok(Box::new(Sgd::new(ps.to_vec(), c)?))
        }),
    ];
    for dev in &devices() {
        for (name, make) in makers {
            let ps = params(dev)?;
            let mut straight = make(&ps)?;
            steps(straight.as_mut(), &ps, 3, 5)?;

            let ps2 = params(dev)?;
            let mut first = make(&ps2)?;
            steps(first.as_mut(), &ps2, 3, 2)?;
            let saved = first.state_dict()?;
            assert_state_on(&saved, dev);
            let ps3 = copies(&ps2);
            assert_params_on(&ps3, dev);
            // Other options at construction: the loaded ones replace them.
            let mut resumed = make(&ps3)?;
            for g in 0..resumed.learning_rates().len() {
                resumed.set_learning_rate(g, 123.0);
            }
            resumed.load_state_dict(&saved)?;
            // The loaded state lives where the parameters do.
            assert_state_on(&resumed.state_dict()?, dev);
            assert_eq!(resumed.learning_rates(), first.learning_rates(), "{name} on {dev}");
            steps(resumed.as_mut(), &ps3, 3, 3)?;
            assert_params_on(&ps3, dev);
            assert_eq!(values(&ps3)?, values(&ps)?, "{name} on {dev}");
            // Loading copies: stepping the resumed optimizer left the saved tensors alone.
            steps(first.as_mut(), &ps2, 3, 3)?;
            assert_eq!(values(&ps2)?, values(&ps)?, "{name} on {dev}");
        }
    }
    Ok(())
}

#[test]
fn state_saved_on_one_device_loads_onto_the_parameters_device() -> Result<()> {
    // A state dict saved on the CPU loads into an optimizer over parameters on each device (its
    // tensors copied there), and one saved there loads back on the CPU: PyTorch's
    // `load_state_dict` casts the state to the parameter's device.
    let cpu_ps = params(CPU)?;
    let mut cpu_opt = Adam::with_groups(adam_groups(&cpu_ps, 0.05))?;
    steps(&mut cpu_opt, &cpu_ps, 3, 2)?;
    let cpu_saved = cpu_opt.state_dict()?;
    for dev in &devices() {
        let ps = params(dev)?;
        let mut opt = Adam::with_groups(adam_groups(&ps, 0.05))?;
        opt.load_state_dict(&cpu_saved)?;
        let sd = opt.state_dict()?;
        assert_state_on(&sd, dev);
        for (i, tensors) in &cpu_saved.state {
            for (name, t) in tensors {
                assert_eq!(sd.state[i][name].to_vec::<f32>()?, t.to_vec::<f32>()?, "state.{i}.{name} on {dev}");
            }
        }
        let mut back = Adam::with_groups(adam_groups(&copies(&cpu_ps), 0.05))?;
        back.load_state_dict(&sd)?;
        assert_state_on(&back.state_dict()?, CPU);
    }
    Ok(())
}

#[test]
fn mismatched_optimizer_dicts_are_refused_with_the_key() -> Result<()> {
    for dev in &devices() {
        mismatched_dicts_on(dev)?;
    }
    Ok(())
}

fn mismatched_dicts_on(dev: &Device) -> Result<()> {
    let ps = params(dev)?;
    let mut opt = Adam::with_groups(adam_groups(&ps, 0.1))?;
    steps(&mut opt, &ps, 3, 1)?;
    let good = opt.state_dict()?;
    let err_of = |sd: &OptimizerState| -> String {
        let fresh = copies(&ps);
        let mut o = Adam::with_groups(adam_groups(&fresh, 0.7)).unwrap();
        let e = o.load_state_dict(sd).expect_err("a mismatched dict loaded").to_string();
        // Nothing changed.
        assert_eq!(o.learning_rates(), [0.7, 0.35], "on {dev}");
        assert!(o.state_dict().unwrap().state.is_empty(), "on {dev}");
        e
    };

    // A moment of the wrong shape.
    let mut sd = OptimizerState::from_state_tensors("", &good.state_tensors(""), good.param_groups.clone())?;
    sd.state.get_mut(&1).unwrap().insert("exp_avg".into(), Tensor::zeros([4], DType::F32, dev)?);
    let e = err_of(&sd);
    assert!(e.contains("state.1.exp_avg") && e.contains("[3]") && e.contains("[4]"), "on {dev}: {e}");

    // A missing tensor (AMSGrad's maximum).
    let mut sd = OptimizerState::from_state_tensors("", &good.state_tensors(""), good.param_groups.clone())?;
    sd.state.get_mut(&0).unwrap().remove("max_exp_avg_sq");
    let e = err_of(&sd);
    assert!(e.contains("state.0.max_exp_avg_sq"), "on {dev}: {e}");

    // Groups of other sizes, and another number of groups.
    let mut sd = OptimizerState::from_state_tensors("", &good.state_tensors(""), good.param_groups.clone())?;
    sd.param_groups[0].insert("params".into(), json!([0]));
    sd.param_groups[1].insert("params".into(), json!([1, 2]));
    let e = err_of(&sd);
    assert!(e.contains("param_groups.0.params") && e.contains("1 parameters") && e.contains("has 2"), "on {dev}: {e}");
    // State for a parameter that no group lists, and an index given twice.
    let mut sd = OptimizerState::from_state_tensors("", &good.state_tensors(""), good.param_groups.clone())?;
    sd.param_groups[1].insert("params".into(), json!([7]));
    let e = err_of(&sd);
    assert!(e.contains("state.2, but no group's params lists the parameter 2"), "on {dev}: {e}");
    // Other indices map by position, as in PyTorch.
    let mut sd = OptimizerState { state: Default::default(), param_groups: good.param_groups.clone() };
    sd.param_groups[0].insert("params".into(), json!([10, 11]));
    sd.param_groups[1].insert("params".into(), json!([12]));
    for (i, t) in &good.state {
        sd.state.insert(i + 10, t.iter().map(|(k, v)| (k.clone(), v.shallow_clone())).collect());
    }
    let mut renumbered = Adam::with_groups(adam_groups(&copies(&ps), 0.7))?;
    renumbered.load_state_dict(&sd)?;
    let back = renumbered.state_dict()?;
    assert_state_on(&back, dev);
    assert_eq!(back.state.keys().copied().collect::<Vec<_>>(), [0, 1, 2], "on {dev}");
    assert_eq!(back.state[&2]["exp_avg"].to_vec::<f32>()?, good.state[&2]["exp_avg"].to_vec::<f32>()?, "on {dev}");
    let mut sd = OptimizerState::from_state_tensors("", &good.state_tensors(""), good.param_groups.clone())?;
    sd.param_groups[1].insert("params".into(), json!([1]));
    let e = err_of(&sd);
    assert!(e.contains("param_groups.1.params: the index 1 appears twice"), "on {dev}: {e}");
    let sd = OptimizerState { state: Default::default(), param_groups: good.param_groups[..1].to_vec() };
    let e = err_of(&sd);
    assert!(e.contains("1 parameter groups") && e.contains("has 2"), "on {dev}: {e}");

    // A hyper-parameter of the wrong type, an invalid one, and an option we do not implement.
    for (key, value, expect) in [
        ("betas", json!(0.9), "param_groups.0.betas: expected a pair"),
        ("lr", json!(-1.0), "Invalid learning rate"),
        ("maximize", json!(true), "param_groups.0.maximize"),
    ] {
        let mut sd = OptimizerState::from_state_tensors("", &good.state_tensors(""), good.param_groups.clone())?;
        sd.param_groups[0].insert(key.into(), value);
        let e = err_of(&sd);
        assert!(e.contains(expect), "on {dev}: {e}");
    }

    // AdamW's dict into Adam.
    let w = AdamW::new(copies(&ps), AdamWConfig::default())?.state_dict()?;
    assert_eq!(w.param_groups[0]["decoupled_weight_decay"], json!(true));
    let e = Adam::new(copies(&ps), AdamConfig::default())?.load_state_dict(&w).unwrap_err().to_string();
    assert!(e.contains("param_groups.0.decoupled_weight_decay: expected false, got true"), "on {dev}: {e}");

    // SGD: a momentum buffer of the wrong shape.
    let mut sgd = Sgd::new(ps.clone(), SgdConfig { lr: 0.1, momentum: 0.9, ..Default::default() })?;
    steps(&mut sgd, &ps, 1, 1)?;
    let mut sd = sgd.state_dict()?;
    assert_state_on(&sd, dev);
    assert_eq!(sd.state[&0].keys().collect::<Vec<_>>(), ["momentum_buffer"], "on {dev}");
    sd.state.get_mut(&0).unwrap().insert("momentum_buffer".into(), Tensor::zeros([3, 2], DType::F32, dev)?);
    let e = Sgd::new(copies(&ps), SgdConfig::default())?.load_state_dict(&sd).unwrap_err().to_string();
    assert!(e.contains("state.0.momentum_buffer") && e.contains("[2, 3]") && e.contains("[3, 2]"), "on {dev}: {e}");
    Ok(())
}

/// CPU only: schedulers and optimizers without parameters hold no tensors (learning rates are
/// host numbers), so there is no device to test.
#[test]
fn scheduler_state_dicts_resume() -> Result<()> {
    // StepLR: names as PyTorch's, and a fresh scheduler that loads the dict continues the run.
    let mut opt = Sgd::new(vec![], SgdConfig { lr: 1.0, ..Default::default() })?;
    let mut sched = StepLR::new(&opt, 2, 0.5)?;
    for _ in 0..3 {
        sched.step(&mut opt)?;
    }
    let sd = sched.state_dict();
    assert_eq!(sd["step_size"], json!(2));
    assert_eq!(sd["gamma"], json!(0.5));
    assert_eq!(sd["last_epoch"], json!(3));
    assert_eq!(sd["_step_count"], json!(4));
    assert_eq!(sd["base_lrs"], json!([1.0]));
    assert_eq!(sd["_last_lr"], json!([0.5]));
    let mut fresh = StepLR::new(&opt, 7, 0.9)?;
    fresh.load_state_dict(&sd)?;
    assert_eq!((fresh.step_size, fresh.gamma, fresh.last_epoch(), fresh.last_lr()), (2, 0.5, 3, &[0.5][..]));
    let mut lrs = vec![];
    for _ in 0..3 {
        fresh.step(&mut opt)?;
        lrs.push(opt.learning_rates()[0]);
    }
    assert_eq!(lrs, [0.25, 0.25, 0.125]);

    // CosineAnnealingLR: T_max and eta_min under PyTorch's names; the same lrs after a reload.
    let mut a = Sgd::new(vec![], SgdConfig { lr: 0.3, ..Default::default() })?;
    let mut b = Sgd::new(vec![], SgdConfig { lr: 0.3, ..Default::default() })?;
    let mut sa = CosineAnnealingLR::new(&a, 5, 0.01)?;
    for _ in 0..3 {
        sa.step(&mut a)?;
    }
    let sd = sa.state_dict();
    assert_eq!((sd["T_max"].clone(), sd["eta_min"].clone()), (json!(5), json!(0.01)));
    b.load_state_dict(&a.state_dict()?)?;
    let mut sb = CosineAnnealingLR::new(&b, 1, 0.0)?;
    sb.load_state_dict(&sd)?;
    for _ in 0..4 {
        sa.step(&mut a)?;
        sb.step(&mut b)?;
        assert_eq!(a.learning_rates()[0].to_bits(), b.learning_rates()[0].to_bits());
    }

    // Bad dicts: a missing key, a wrong type, a zero step size.
    let mut bad = StepLR::new(&opt, 2, 0.5)?.state_dict();
    bad.remove("gamma");
    let e = StepLR::new(&opt, 2, 0.5)?.load_state_dict(&bad).unwrap_err().to_string();
    assert!(e.contains("gamma"), "{e}");
    let mut bad = StepLR::new(&opt, 2, 0.5)?.state_dict();
    bad.insert("base_lrs".into(), json!("x"));
    let e = StepLR::new(&opt, 2, 0.5)?.load_state_dict(&bad).unwrap_err().to_string();
    assert!(e.contains("base_lrs"), "{e}");
    let mut bad = StepLR::new(&opt, 2, 0.5)?.state_dict();
    bad.insert("step_size".into(), json!(0));
    assert!(StepLR::new(&opt, 2, 0.5)?.load_state_dict(&bad).is_err());
    Ok(())
}
