//! Optimizers, schedulers and gradient clipping against PyTorch, step for step.
//!
//! Every literal below was printed by `scripts/pytorch/nn_optim.py` (PyTorch 2.15, CPU) and
//! pasted unchanged (rustfmt only rewraps lines). The problem: a 3-element float64 parameter
//! starting at `W0` and the quadratic loss `sum(A * (w - C)^2) + 0.5 * w[0] * w[1]`; each
//! trajectory holds the parameter after each of 6 steps (zero_grad, backward, step).
//!
//! Every test with tensors runs on every device (`common::devices`): parameters, gradients and
//! the optimizer's state live on the device (checked with `assert_on`; the `step` counts stay
//! float32 CPU scalars, as PyTorch's), and on a GPU the trajectories and norms (sums in another
//! order) are compared within PyTorch's `assert_close` tolerances (`common::near`).

use tensor_autograd::Var;
use tensor_core::{DType, Device, Result, Tensor};
use tensor_nn::optim::{
    clip_grad_norm_, Adam, AdamConfig, AdamW, AdamWConfig, CosineAnnealingLR, LrScheduler, Optimizer, Sgd, SgdConfig,
    StepLR,
};

use crate::common::{assert_on, devices, gpu_close, near, CPU};

const W0: [f64; 3] = [1.0, -2.0, 3.0];
const A: [f64; 3] = [0.5, 2.0, 1.5];
const C: [f64; 3] = [0.3, 0.1, -0.7];

fn loss(w: &Var) -> Result<Var> {
    let a = Tensor::new(A, w.device())?.to_dtype(w.dtype())?;
    let c = Tensor::new(C, w.device())?.to_dtype(w.dtype())?;
    let quad = w.sub(&c)?.square()?.mul(&a)?.sum()?;
    quad.add(&w.select(0, 0)?.mul(0.5)?.mul(&w.select(0, 1)?)?)
}

/// Asserts that `opt`'s state lives on `dev`: every moment and momentum buffer there, each
/// `step` a float32 scalar on the CPU (as PyTorch keeps it without `capturable`).
#[track_caller]
fn assert_state_on(opt: &dyn Optimizer, dev: &Device) {
    for (i, tensors) in opt.state_dict().unwrap().state {
        for (name, t) in tensors {
            let want = if name == "step" { CPU } else { dev };
            assert_eq!(t.device(), want, "state.{i}.{name} is on {}, not on {want}", t.device());
        }
    }
}

/// Runs 6 steps of the optimizer that `make` builds over a parameter starting at `W0`, on
/// `dev`.
fn trajectory<O: Optimizer>(dev: &Device, dtype: DType, make: impl Fn(Vec<Var>) -> Result<O>) -> Result<Vec<Vec<f64>>> {
    let w = Var::parameter(Tensor::new(W0, dev)?.to_dtype(dtype)?);
    let mut opt = make(vec![w.clone()])?;
    let mut out = Vec::new();
    for _ in 0..6 {
        opt.zero_grad();
        loss(&w)?.backward()?;
        opt.step()?;
        assert_on(w.tensor_ref(), dev);
        assert_on(&w.grad().unwrap(), dev);
        out.push(w.tensor().to_dtype(DType::F64)?.to_vec::<f64>()?);
    }
    assert!(w.is_leaf() && w.requires_grad(), "on {dev}");
    assert_state_on(&opt, dev);
    Ok(out)
}

/// Each step's parameter within `tol * (1 + |want|)` of PyTorch's, or on a GPU within
/// `dtype`'s `assert_close` tolerance ([`near`]).
#[track_caller]
fn assert_close<const N: usize>(dev: &Device, dtype: DType, got: &[Vec<f64>], want: &[[f64; N]], tol: f64) {
    assert_eq!(got.len(), want.len(), "number of steps on {dev}");
    for (step, (g, w)) in got.iter().zip(want).enumerate() {
        for (i, (&a, &b)) in g.iter().zip(w).enumerate() {
            assert!(
                near(dev, dtype, a, b, tol),
                "on {dev}: step {} element {}: got {a}, PyTorch {b} (all: got {g:?}, want {w:?})",
                step + 1,
                i
            );
        }
    }
}

/// Float64 trajectories agree to rounding (the same formulas in the same order).
const TOL: f64 = 1e-12;

// SGD
const SGD_PLAIN: [[f64; 3]; 6] = [
    [1.03, -1.21, 1.89],
    [1.0175, -0.7374999999999999, 1.113],
    [0.9826250000000001, -0.453375, 0.5690999999999999],
    [0.9370312500000001, -0.28115625, 0.18836999999999995],
    [0.8873859375, -0.1755453125, -0.078141],
    [0.8374246093750001, -0.10969648437499997, -0.2646987],
];
const SGD_MOMENTUM: [[f64; 3]; 6] = [
    [1.03, -1.21, 1.89],
    [1.0445, -0.026499999999999812, 0.11399999999999964],
    [0.984425, 1.037025, -1.7286000000000006],
    [0.81006375, 1.57016625, -3.0783600000000004],
    [0.5236239374999999, 1.4214236875, -3.5796360000000003],
    [0.17239452812499984, 0.7328047093749999, -3.1668936],
];
const SGD_DAMPENING: [[f64; 3]; 6] = [
    [1.03, -1.21, 1.89],
    [1.05075, -0.2627499999999999, 0.5024999999999996],
    [1.03845625, 0.6360562500000002, -0.9266250000000006],
    [0.9745676562500001, 1.3118092187500003, -2.178843750000001],
    [0.8505443085937501, 1.6532608554687502, -3.084014062500001],
    [0.6700645588867188, 1.6286515497070315, -3.541065234375001],
];
const SGD_NESTEROV: [[f64; 3]; 6] = [
    [1.057, -0.4989999999999998, 0.8909999999999996],
    [0.984875, 0.49572500000000014, -0.9149700000000005],
    [0.788417375, 0.828588375, -1.9882401000000005],
    [0.5240366906249999, 0.686318971875, -2.2779282330000004],
    [0.2595708417656249, 0.360661201703125, -1.9870532868900002],
    [0.046017959585546775, 0.07946394623945306, -1.4176860847736998],
];
const SGD_WEIGHT_DECAY: [[f64; 3]; 6] = [
    [1.02, -1.19, 1.8599999999999997],
    [1.0153, 0.015900000000000226, 0.04739999999999943],
    [0.9285920000000001, 1.0839260000000004, -1.8086340000000007],
    [0.72421338, 1.5943101400000004, -3.1283880600000002],
    [0.41089364319999994, 1.4037780396000001, -3.5563664154],
    [0.04351867734799985, 0.676205470844, -3.0490733464859994],
];
// Adam
const ADAM: [[f64; 3]; 6] = [
    [1.0999999966666667, -1.9000000001265822, 2.90000000009009],
    [1.1932179569481685, -1.8001957097118848, 2.8000807881795455],
    [1.2665717600755702, -1.7007328642243826, 2.7002992507701076],
    [1.3042961120986014, -1.601763196660634, 2.6007144692853723],
    [1.3047971489441477, -1.5034370649627997, 2.501387644908594],
    [1.2776637349347875, -1.4059025370795346, 2.4023820111310474],
];
const ADAM_WEIGHT_DECAY: [[f64; 3]; 6] = [
    [1.0999999950000003, -1.9000000001234567, 2.9000000000877195],
    [1.1803040888739942, -1.8001949694175932, 2.800081349745006],
    [1.2084775580462288, -1.7007252538150546, 2.70030135299159],
    [1.1905053754906814, -1.6017242065006019, 2.600719542000065],
    [1.146208923800418, -1.503321861791719, 2.5013976024054787],
    [1.0868318032578712, -1.4056530560050857, 2.402399286098288],
];
const ADAM_AMSGRAD: [[f64; 3]; 6] = [
    [1.0999999966666667, -1.9000000001265822, 2.90000000009009],
    [1.193344793230962, -1.8001824789158551, 2.800074595229018],
    [1.2665865485113579, -1.7006837104089987, 2.700276354101457],
    [1.3044548244040055, -1.6016457820726593, 2.6006599218838846],
    [1.304908837277827, -1.5032099763056352, 2.501281967774343],
    [1.2777136452282811, -1.4055157528749957, 2.402201123660612],
];
const ADAM_BETAS: [[f64; 3]; 6] = [
    [1.0498338870431894, -1.9500063283128717, 2.9500045040987297],
    [1.0976353815385513, -1.9001662323584414, 2.900079997699627],
    [1.1414997730226164, -1.850518113179452, 2.850242701532461],
    [1.1782271882912378, -1.801050849620674, 2.8004861441758893],
    [1.2010631706076242, -1.7517280991598894, 2.7507935862335864],
    [1.1991189419009762, -1.702505840329308, 2.7011475339568674],
];
// AdamW
const ADAMW: [[f64; 3]; 6] = [
    [1.0989999966666668, -1.8980000001265822, 2.89700000009009],
    [1.191118956951502, -1.7963018153033117, 2.7941865396354735],
    [1.2633099298329469, -1.6950539941236504, 2.691618239458139],
    [1.2998770501051875, -1.5944111898438724, 2.5893559158028387],
    [1.2992453826222596, -1.4945267251314949, 2.4874624973550654],
    [1.2709982180972366, -1.3955516229175686, 2.3860029291725113],
];
const ADAMW_DECAY_AMSGRAD: [[f64; 3]; 6] = [
    [1.0499999966666667, -1.8000000001265821, 2.7500000000900897],
    [1.090717957114835, -1.6104381933992526, 2.5127432432254797],
    [1.1109341935275432, -1.4311216141404126, 2.287760309594215],
    [1.0983819817270004, -1.2618861648466573, 2.0746082795032423],
    [1.0525867219510796, -1.1025831646491202, 1.8728683484796973],
    [0.9828053568418319, -0.9530722068059978, 1.6821434552938723],
];
// float32 Adam (values printed as the float64 of each float32)
const ADAM_F32: [[f64; 3]; 6] = [
    [1.100000023841858, -1.899999976158142, 2.9000000953674316],
    [1.1932179927825928, -1.8001956939697266, 2.8000807762145996],
    [1.2665717601776123, -1.7007328271865845, 2.7002992630004883],
    [1.3042961359024048, -1.601763129234314, 2.6007144451141357],
    [1.3047971725463867, -1.5034370422363281, 2.501387596130371],
    [1.2776637077331543, -1.4059025049209595, 2.4023818969726562],
];
// SGD with momentum driven by CosineAnnealingLR(T_max=3, eta_min=0.01)
const SGD_COSINE: [[f64; 3]; 6] = [
    [1.03, -1.21, 1.89],
    [1.0412375, -0.2927874999999999, 0.5135999999999998],
    [1.026146328125, 0.08752851562500029, -0.12420600000000047],
    [1.014268128515625, 0.18821492460937528, -0.31810302000000046],
    [0.953252187956543, 0.4547728736010744, -0.9224867590500004],
    [0.7540530990303007, 0.8799291279528414, -2.167859073685876],
];
// two groups: Adam([{w1}, {w2, lr=0.01}], lr=0.1, weight_decay=0.1); loss sum(w1**2) + sum((w1[:2] * w2)**3)
const GROUPS_W1: [[f64; 3]; 6] = [
    [0.9000000004040404, -1.9000000002492212, 2.9000000001587303],
    [0.8005407755381473, -1.8001790825018325, 2.8001027073988003],
    [0.7020455651549059, -1.7006688054136456, 2.700381523426601],
    [0.6049894189429701, -1.6016098537040597, 2.6009135310233873],
    [0.5099022365557092, -1.5031519455231641, 2.501779456186556],
    [0.417369814120878, -1.4054536677518457, 2.4030636073323373],
];
const GROUPS_W2: [[f64; 2]; 6] = [
    [0.490000000125, 0.2599999999322034],
    [0.48021705403428744, 0.2699723317619922],
    [0.4707978439553578, 0.2798918157043286],
    [0.46186531780515727, 0.28972795900573456],
    [0.45350316322728046, 0.29944499593597523],
    [0.44575005787966343, 0.3090022437144389],
];
// schedulers: learning rates of two groups (0.1, 0.5) after each step
const STEP_LR: [[f64; 2]; 10] = [
    [0.1, 0.5],
    [0.1, 0.5],
    [0.010000000000000002, 0.05],
    [0.010000000000000002, 0.05],
    [0.010000000000000002, 0.05],
    [0.0010000000000000002, 0.005000000000000001],
    [0.0010000000000000002, 0.005000000000000001],
    [0.0010000000000000002, 0.005000000000000001],
    [0.00010000000000000003, 0.0005000000000000001],
    [0.00010000000000000003, 0.0005000000000000001],
];
const COSINE_LR: [[f64; 2]; 14] = [
    [0.0855017856687341, 0.4269231419060436],
    [0.0505, 0.2505],
    [0.0154982143312659, 0.07407685809395641],
    [0.001, 0.001],
    [0.015498214331265896, 0.07407685809395638],
    [0.05050000000000001, 0.2505],
    [0.08550178566873413, 0.4269231419060437],
    [0.10000000000000003, 0.5000000000000001],
    [0.08550178566873413, 0.42692314190604375],
    [0.05050000000000003, 0.2505000000000001],
    [0.015498214331265945, 0.07407685809395662],
    [0.001, 0.001],
    [0.015498214331265896, 0.07407685809395638],
    [0.0504999999999999, 0.2504999999999995],
];
const COSINE_LR_T1: [[f64; 2]; 5] = [[0.0, 0.0], [0.1, 0.5], [0.0, 0.0], [0.1, 0.5], [0.0, 0.0]];
// clip_grad_norm_(max_norm=1.0) of grads G1 = [3, -4, 12], G2 = [[1, -2], [0.5, 8]]
const CLIP_L2: [f64; 8] = [
    15.435349040433131,
    0.19435905192570657,
    -0.25914540256760876,
    0.7774362077028263,
    0.06478635064190219,
    -0.12957270128380438,
    0.032393175320951095,
    0.5182908051352175,
];
const CLIP_L1: [f64; 8] = [
    30.5,
    0.09836065251276549,
    -0.1311475366836873,
    0.39344261005106196,
    0.03278688417092183,
    -0.06557376834184366,
    0.016393442085460914,
    0.2622950733673746,
];
const CLIP_INF: [f64; 8] = [
    12.0,
    0.24999997916666844,
    -0.3333333055555579,
    0.9999999166666738,
    0.08333332638888948,
    -0.16666665277777895,
    0.04166666319444474,
    0.6666666111111158,
];
const CLIP_P3: [f64; 8] = [
    13.276380336982951,
    0.22596518764063672,
    -0.3012869168541823,
    0.9038607505625469,
    0.07532172921354557,
    -0.15064345842709115,
    0.03766086460677279,
    0.6025738337083646,
];

fn sgd(c: SgdConfig) -> impl Fn(Vec<Var>) -> Result<Sgd> {
    move |p| Sgd::new(p, c)
}

const F64: DType = DType::F64;

#[test]
fn sgd_trajectories() -> Result<()> {
    for dev in &devices() {
        let base = SgdConfig { lr: 0.1, ..Default::default() };
        assert_close(dev, F64, &trajectory(dev, F64, sgd(base))?, &SGD_PLAIN, TOL);
        let momentum = SgdConfig { momentum: 0.9, ..base };
        assert_close(dev, F64, &trajectory(dev, F64, sgd(momentum))?, &SGD_MOMENTUM, TOL);
        let dampening = SgdConfig { dampening: 0.5, ..momentum };
        assert_close(dev, F64, &trajectory(dev, F64, sgd(dampening))?, &SGD_DAMPENING, TOL);
        let nesterov = SgdConfig { nesterov: true, ..momentum };
        assert_close(dev, F64, &trajectory(dev, F64, sgd(nesterov))?, &SGD_NESTEROV, TOL);
        let wd = SgdConfig { weight_decay: 0.1, ..momentum };
        assert_close(dev, F64, &trajectory(dev, F64, sgd(wd))?, &SGD_WEIGHT_DECAY, TOL);
    }
    Ok(())
}

#[test]
fn sgd_rejects_bad_options() {
    for dev in &devices() {
        let p = || vec![Var::parameter(Tensor::zeros([2], DType::F32, dev).unwrap())];
        assert!(Sgd::new(p(), SgdConfig { lr: -1.0, ..Default::default() }).is_err(), "on {dev}");
        assert!(Sgd::new(p(), SgdConfig { nesterov: true, ..Default::default() }).is_err(), "on {dev}");
        let e = Sgd::new(p(), SgdConfig { nesterov: true, momentum: 0.9, dampening: 0.1, ..Default::default() });
        assert!(e.unwrap_err().to_string().contains("Nesterov"), "on {dev}");
    }
}

fn adam(c: AdamConfig) -> impl Fn(Vec<Var>) -> Result<Adam> {
    move |p| Adam::new(p, c)
}

#[test]
fn adam_trajectories() -> Result<()> {
    for dev in &devices() {
        let base = AdamConfig { lr: 0.1, ..Default::default() };
        assert_close(dev, F64, &trajectory(dev, F64, adam(base))?, &ADAM, TOL);
        let wd = AdamConfig { weight_decay: 0.1, ..base };
        assert_close(dev, F64, &trajectory(dev, F64, adam(wd))?, &ADAM_WEIGHT_DECAY, TOL);
        let ams = AdamConfig { betas: (0.9, 0.99), amsgrad: true, ..base };
        assert_close(dev, F64, &trajectory(dev, F64, adam(ams))?, &ADAM_AMSGRAD, TOL);
        // beta1 = 0.3 takes the other branch of PyTorch's lerp (weight 0.7 >= 0.5).
        let betas = AdamConfig { lr: 0.05, betas: (0.3, 0.5), eps: 1e-3, ..base };
        assert_close(dev, F64, &trajectory(dev, F64, adam(betas))?, &ADAM_BETAS, TOL);
    }
    Ok(())
}

#[test]
fn amsgrad_differs_from_adam() -> Result<()> {
    for dev in &devices() {
        // The AMSGrad literals are not Adam's with other betas: the running maximum matters here.
        let ams = AdamConfig { lr: 0.1, betas: (0.9, 0.99), amsgrad: true, ..Default::default() };
        let plain = trajectory(dev, F64, adam(AdamConfig { amsgrad: false, ..ams }))?;
        let diff = (plain[5][0] - ADAM_AMSGRAD[5][0]).abs();
        assert!(diff > 1e-6, "on {dev}: amsgrad had no effect ({diff})");
    }
    Ok(())
}

#[test]
fn adam_float32() -> Result<()> {
    for dev in &devices() {
        let t = trajectory(dev, DType::F32, adam(AdamConfig { lr: 0.1, ..Default::default() }))?;
        assert_close(dev, DType::F32, &t, &ADAM_F32, 1e-6);
    }
    Ok(())
}

#[test]
fn adamw_trajectories() -> Result<()> {
    for dev in &devices() {
        let base = AdamWConfig { lr: 0.1, ..Default::default() };
        assert_eq!(base.weight_decay, 0.01, "AdamW's default weight decay is PyTorch's");
        assert_close(dev, F64, &trajectory(dev, F64, |p| AdamW::new(p, base))?, &ADAMW, TOL);
        let c = AdamWConfig { weight_decay: 0.5, amsgrad: true, ..base };
        assert_close(dev, F64, &trajectory(dev, F64, |p| AdamW::new(p, c))?, &ADAMW_DECAY_AMSGRAD, TOL);
    }
    Ok(())
}

#[test]
fn adam_rejects_bad_options() {
    for dev in &devices() {
        let p = || vec![Var::parameter(Tensor::zeros([2], DType::F32, dev).unwrap())];
        let d = AdamConfig::default();
        for (c, msg) in [
            (AdamConfig { lr: -0.1, ..d }, "Invalid learning rate"),
            (AdamConfig { eps: -1.0, ..d }, "Invalid epsilon"),
            (AdamConfig { betas: (1.0, 0.999), ..d }, "beta parameter at index 0"),
            (AdamConfig { betas: (0.9, -0.1), ..d }, "beta parameter at index 1"),
            (AdamConfig { weight_decay: -1.0, ..d }, "Invalid weight_decay"),
        ] {
            let e = Adam::new(p(), c).unwrap_err().to_string();
            assert!(e.contains(msg), "on {dev}: {e}");
        }
        assert!(AdamW::new(p(), AdamWConfig { lr: f64::NAN, ..Default::default() }).is_err(), "on {dev}");
    }
}

#[test]
fn parameters_without_grad_are_skipped() -> Result<()> {
    for dev in &devices() {
        let w = Var::parameter(Tensor::new([1.0f64, 2.0], dev)?);
        let frozen = Var::parameter(Tensor::new([5.0f64], dev)?);
        let mut opt = Adam::new(vec![w.clone(), frozen.clone()], AdamConfig { lr: 0.1, ..Default::default() })?;
        w.sum()?.backward()?;
        opt.step()?;
        assert_on(w.tensor_ref(), dev);
        assert_on(frozen.tensor_ref(), dev);
        assert_eq!(frozen.tensor().to_vec::<f64>()?, [5.0], "on {dev}");
        assert!(w.tensor().to_vec::<f64>()?[0] < 1.0, "on {dev}");
        // The step records nothing: the parameter stays a leaf.
        assert!(w.is_leaf() && w.requires_grad(), "on {dev}");
        // Only the parameter that had a gradient has a state.
        assert_eq!(opt.state_dict()?.state.keys().copied().collect::<Vec<_>>(), [0], "on {dev}");
        assert_state_on(&opt, dev);
    }
    Ok(())
}

#[test]
fn adam_parameter_groups() -> Result<()> {
    for dev in &devices() {
        let w1 = Var::parameter(Tensor::new([1.0f64, -2.0, 3.0], dev)?);
        let w2 = Var::parameter(Tensor::new([0.5f64, 0.25], dev)?);
        let c = AdamConfig { lr: 0.1, weight_decay: 0.1, ..Default::default() };
        let mut opt = Adam::with_groups(vec![(vec![w1.clone()], c), (vec![w2.clone()], AdamConfig { lr: 0.01, ..c })])?;
        assert_eq!(opt.learning_rates(), [0.1, 0.01]);
        let (mut t1, mut t2) = (vec![], vec![]);
        for _ in 0..6 {
            opt.zero_grad();
            let cube = w1.narrow(0, 0, 2)?.mul(&w2)?.pow(3.0)?.sum()?;
            w1.square()?.sum()?.add(&cube)?.backward()?;
            opt.step()?;
            assert_on(w1.tensor_ref(), dev);
            assert_on(w2.tensor_ref(), dev);
            t1.push(w1.tensor().to_vec::<f64>()?);
            t2.push(w2.tensor().to_vec::<f64>()?);
        }
        assert_close(dev, F64, &t1, &GROUPS_W1, TOL);
        assert_close(dev, F64, &t2, &GROUPS_W2, TOL);
        assert_state_on(&opt, dev);
    }
    Ok(())
}

#[test]
fn sgd_driven_by_cosine_annealing() -> Result<()> {
    for dev in &devices() {
        let w = Var::parameter(Tensor::new(W0, dev)?);
        let mut opt = Sgd::new(vec![w.clone()], SgdConfig { lr: 0.1, momentum: 0.9, ..Default::default() })?;
        let mut sched = CosineAnnealingLR::new(&opt, 3, 0.01)?;
        let mut t = vec![];
        for _ in 0..6 {
            opt.zero_grad();
            loss(&w)?.backward()?;
            opt.step()?;
            sched.step(&mut opt)?;
            assert_on(w.tensor_ref(), dev);
            t.push(w.tensor().to_vec::<f64>()?);
        }
        assert_close(dev, F64, &t, &SGD_COSINE, TOL);
        assert_state_on(&opt, dev);
    }
    Ok(())
}

/// The learning rates of two SGD groups (0.1 and 0.5) over parameters on `dev` after each of
/// `n` scheduler steps.
fn lr_sequence<S: LrScheduler>(
    dev: &Device,
    n: usize,
    make: impl Fn(&dyn Optimizer) -> Result<S>,
) -> Result<Vec<Vec<f64>>> {
    let p = Var::parameter(Tensor::zeros([1], DType::F64, dev)?);
    let q = Var::parameter(Tensor::zeros([1], DType::F64, dev)?);
    let c = SgdConfig { lr: 0.1, ..Default::default() };
    let mut opt = Sgd::with_groups(vec![(vec![p.clone()], c), (vec![q], SgdConfig { lr: 0.5, ..c })])?;
    let mut sched = make(&opt)?;
    assert_eq!(sched.last_epoch(), 0);
    assert_eq!(sched.last_lr(), [0.1, 0.5]);
    let mut out = vec![];
    for i in 0..n {
        opt.step()?;
        sched.step(&mut opt)?;
        assert_eq!(sched.last_epoch(), i + 1);
        assert_eq!(sched.last_lr(), opt.learning_rates());
        out.push(opt.learning_rates());
    }
    // Steps without gradients leave the parameters where they were.
    assert_on(p.tensor_ref(), dev);
    assert_eq!(p.tensor().to_vec::<f64>()?, [0.0], "on {dev}");
    Ok(out)
}

#[test]
fn step_lr_matches_pytorch() -> Result<()> {
    for dev in &devices() {
        let got = lr_sequence(dev, 10, |o| StepLR::new(o, 3, 0.1))?;
        // The recursive form is PyTorch's to the bit (host arithmetic on every device).
        for (g, w) in got.iter().zip(&STEP_LR) {
            assert_eq!(g[..], w[..], "on {dev}");
        }
    }
    // The closed form agrees to rounding.
    let opt = Sgd::new(vec![], SgdConfig { lr: 0.1, ..Default::default() })?;
    let s = StepLR::new(&opt, 3, 0.1)?;
    for (e, w) in STEP_LR.iter().enumerate() {
        assert!((s.closed_form_lr(e + 1)[0] - w[0]).abs() < 1e-15);
    }
    assert!(StepLR::new(&opt, 0, 0.1).is_err());
    Ok(())
}

#[test]
fn cosine_annealing_matches_pytorch() -> Result<()> {
    for dev in &devices() {
        // Learning rates are host numbers: exact to 1e-15 on every device.
        let got = lr_sequence(dev, 14, |o| CosineAnnealingLR::new(o, 4, 0.001))?;
        assert_close(CPU, F64, &got, &COSINE_LR, 1e-15);
        let got = lr_sequence(dev, 5, |o| CosineAnnealingLR::new(o, 1, 0.0))?;
        assert_close(CPU, F64, &got, &COSINE_LR_T1, 1e-15);
    }
    // The closed form: eta_min at T_max, the base again at 2 T_max.
    let opt = Sgd::new(vec![], SgdConfig { lr: 0.1, ..Default::default() })?;
    let s = CosineAnnealingLR::new(&opt, 4, 0.001)?;
    for (e, w) in COSINE_LR.iter().enumerate() {
        assert!((s.closed_form_lr(e + 1)[0] - w[0]).abs() < 1e-12, "epoch {}", e + 1);
    }
    assert!(CosineAnnealingLR::new(&opt, 0, 0.0).is_err());
    Ok(())
}

/// CPU only: optimizers without parameters hold no tensors, so there is no device to test.
#[test]
fn scheduler_checks_group_count() -> Result<()> {
    let one = Sgd::new(vec![], SgdConfig::default())?;
    let mut two = Sgd::with_groups(vec![(vec![], SgdConfig::default()), (vec![], SgdConfig::default())])?;
    let mut s = StepLR::new(&one, 1, 0.5)?;
    assert!(s.step(&mut two).is_err());
    Ok(())
}

/// Two parameters on `dev` with the gradients of `nn_optim.py`'s clipping case.
fn clip_case(dev: &Device, norm_type: f64, max_norm: f64) -> Result<(f64, Vec<f64>)> {
    let p1 = Var::parameter(Tensor::zeros([3], DType::F64, dev)?);
    let p2 = Var::parameter(Tensor::zeros([2, 2], DType::F64, dev)?);
    let none = Var::parameter(Tensor::zeros([1], DType::F64, dev)?);
    p1.set_grad(Some(Tensor::new([3.0f64, -4.0, 12.0], dev)?))?;
    p2.set_grad(Some(Tensor::new([[1.0f64, -2.0], [0.5, 8.0]], dev)?))?;
    let total = clip_grad_norm_(&[p1.clone(), none.clone(), p2.clone()], max_norm, norm_type)?;
    assert!(none.grad().is_none(), "on {dev}");
    let (g1, g2) = (p1.grad().unwrap(), p2.grad().unwrap());
    assert_on(&g1, dev);
    assert_on(&g2, dev);
    let mut g = g1.to_vec::<f64>()?;
    g.extend(g2.to_vec::<f64>()?);
    Ok((total, g))
}

#[test]
fn clip_grad_norm_matches_pytorch() -> Result<()> {
    for dev in &devices() {
        for (norm_type, want) in [(2.0, CLIP_L2), (1.0, CLIP_L1), (f64::INFINITY, CLIP_INF), (3.0, CLIP_P3)] {
            let (total, grads) = clip_case(dev, norm_type, 1.0)?;
            assert!(
                (total - want[0]).abs() < 1e-12 * want[0] || gpu_close(dev, F64, total, want[0]),
                "on {dev}: norm {norm_type}: {total} vs {}",
                want[0]
            );
            for (&g, &w) in grads.iter().zip(&want[1..]) {
                assert!(
                    (g - w).abs() < 1e-14 || gpu_close(dev, F64, g, w),
                    "on {dev}: norm {norm_type}: {grads:?} vs {want:?}"
                );
            }
            // The clipped gradients have norm max_norm (up to the 1e-6 in the coefficient).
            let (again, _) = {
                let p = Var::parameter(Tensor::zeros([7], DType::F64, dev)?);
                p.set_grad(Some(Tensor::new(<[f64; 7]>::try_from(&grads[..]).unwrap(), dev)?))?;
                (clip_grad_norm_(&[p], 1e9, norm_type)?, ())
            };
            assert!((again - 1.0).abs() < 1e-5, "on {dev}: norm {norm_type}: {again}");
        }
    }
    Ok(())
}

#[test]
fn clip_grad_norm_below_max_leaves_grads() -> Result<()> {
    for dev in &devices() {
        let (total, grads) = clip_case(dev, 2.0, 100.0)?;
        assert!((total - CLIP_L2[0]).abs() < 1e-12 || gpu_close(dev, F64, total, CLIP_L2[0]), "on {dev}: {total}");
        assert_eq!(grads, [3.0, -4.0, 12.0, 1.0, -2.0, 0.5, 8.0], "on {dev}");
        // No gradients at all: the norm is zero.
        let p = Var::parameter(Tensor::zeros([2], DType::F32, dev)?);
        assert_eq!(clip_grad_norm_(&[p], 1.0, 2.0)?, 0.0, "on {dev}");
    }
    Ok(())
}

#[test]
fn clip_grad_norm_through_backward_shared_grads() -> Result<()> {
    for dev in &devices() {
        // `(a + b).sum()` gives a and b the same gradient: each is still scaled exactly once.
        let a = Var::parameter(Tensor::new([1.0f64, 2.0, 3.0, 4.0], dev)?);
        let b = Var::parameter(Tensor::new([0.0f64; 4], dev)?);
        a.add(&b)?.mul(2.0)?.sum()?.backward()?;
        let total = clip_grad_norm_(&[a.clone(), b.clone()], 1.0, 2.0)?;
        assert!((total - 32f64.sqrt()).abs() < 1e-12 || gpu_close(dev, F64, total, 32f64.sqrt()), "on {dev}");
        let want = 2.0 / (32f64.sqrt() + 1e-6);
        for g in [a.grad().unwrap(), b.grad().unwrap()] {
            assert_on(&g, dev);
            for v in g.to_vec::<f64>()? {
                assert!((v - want).abs() < 1e-12 || gpu_close(dev, F64, v, want), "on {dev}: {v} vs {want}");
            }
        }
        // A gradient that is an expanded view (from `sum`'s backward) is scaled once per element too.
        let c = Var::parameter(Tensor::new([1.0f64, 2.0, 3.0], dev)?);
        c.sum()?.backward()?;
        let total = clip_grad_norm_(std::slice::from_ref(&c), 0.5, 2.0)?;
        assert!((total - 3f64.sqrt()).abs() < 1e-12 || gpu_close(dev, F64, total, 3f64.sqrt()), "on {dev}");
        let want = 0.5 / (3f64.sqrt() + 1e-6);
        let g = c.grad().unwrap();
        assert_on(&g, dev);
        for v in g.to_vec::<f64>()? {
            assert!((v - want).abs() < 1e-12 || gpu_close(dev, F64, v, want), "on {dev}: {v} vs {want}");
        }
    }
    Ok(())
}

#[test]
fn clip_grad_norm_nonfinite() -> Result<()> {
    for dev in &devices() {
        let p = Var::parameter(Tensor::zeros([2], DType::F64, dev)?);
        p.set_grad(Some(Tensor::new([f64::NAN, 1.0], dev)?))?;
        assert!(clip_grad_norm_(std::slice::from_ref(&p), 1.0, 2.0)?.is_nan(), "on {dev}");
        // As PyTorch with error_if_nonfinite=False: the NaN coefficient reaches every element.
        let g = p.grad().unwrap();
        assert_on(&g, dev);
        assert!(g.to_vec::<f64>()?.iter().all(|v| v.is_nan()), "on {dev}");
    }
    Ok(())
}
