//! End to end: a tiny MLP (Linear → ReLU → Linear) learns a fixed batch. Deterministic: the
//! data and the initial weights come from `manual_seed`, and everything that draws from the
//! global generator runs inside the one test of this file (tests run on parallel threads).

use tensor_autograd::Var;
use tensor_core::{manual_seed, DType, Device, Result, Tensor};
use tensor_nn::optim::{Adam, AdamConfig, Optimizer, Sgd, SgdConfig};
use tensor_nn::{functional as F, ClassLossOptions, Linear, Module, ModuleExt, ReLU, Sequential};

const CPU: &Device = &Device::Cpu;

/// A batch of 32 points in 4-d with 3 classes given by a fixed linear rule, and a fresh model.
fn setup(seed: u64) -> Result<(Tensor, Tensor, Sequential)> {
    manual_seed(seed);
    let x = Tensor::randn([32, 4], DType::F32, CPU)?;
    let rule = Tensor::new([[1.0f32, -1.0, 0.5], [0.5, 1.0, -1.0], [-1.0, 0.5, 1.0], [0.25, -0.5, 0.75]], CPU)?;
    let y = x.matmul(&rule)?.argmax(Some(1), false)?;
    let model = Sequential::new().add(Linear::new(4, 16, true, CPU)?).add(ReLU).add(Linear::new(16, 3, true, CPU)?);
    Ok((x, y, model))
}

/// Trains for `steps` steps; returns the loss before each step and after the last.
fn train(x: &Tensor, y: &Tensor, model: &Sequential, opt: &mut dyn Optimizer, steps: usize) -> Result<Vec<f64>> {
    let input = Var::constant(x.shallow_clone());
    let opts = ClassLossOptions::default();
    let mut losses = Vec::new();
    for _ in 0..steps {
        opt.zero_grad();
        let loss = F::cross_entropy(&model.forward(&input)?, y, &opts)?;
        losses.push(loss.item::<f64>()?);
        loss.backward()?;
        opt.step()?;
    }
    losses.push(F::cross_entropy(&model.forward(&input)?, y, &opts)?.item::<f64>()?);
    Ok(losses)
}

#[test]
fn tiny_mlp_learns_a_fixed_batch() -> Result<()> {
    // SGD with momentum: 20 steps more than halve the loss.
    let (x, y, model) = setup(0)?;
    let mut sgd = Sgd::new(model.parameters(), SgdConfig { lr: 0.1, momentum: 0.9, ..Default::default() })?;
    let losses = train(&x, &y, &model, &mut sgd, 20)?;
    let (first, last) = (losses[0], *losses.last().unwrap());
    assert!(first > 0.5, "the untrained loss is about ln 3: {first}");
    assert!(last < first / 2.0, "loss {first} -> {last}: {losses:?}");

    // The same seed gives the same run, to the bit.
    let (x2, y2, model2) = setup(0)?;
    let mut sgd2 = Sgd::new(model2.parameters(), SgdConfig { lr: 0.1, momentum: 0.9, ..Default::default() })?;
    assert_eq!(train(&x2, &y2, &model2, &mut sgd2, 20)?, losses);

    // Adam on the same problem, from the same start.
    let (x3, y3, model3) = setup(0)?;
    let mut adam = Adam::new(model3.parameters(), AdamConfig { lr: 0.02, ..Default::default() })?;
    let adam_losses = train(&x3, &y3, &model3, &mut adam, 20)?;
    assert_eq!(adam_losses[0], first);
    assert!(*adam_losses.last().unwrap() < first / 2.0, "Adam: {adam_losses:?}");
    Ok(())
}
