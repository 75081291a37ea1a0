//! LeNet-5: the MNIST job's model and its workloads.

use crate::{functional as F, module_members, Conv2d, Conv2dConfig, Linear, Module};
use tensor_autograd::Var;
use tensor_core::{Device, Result};

/// LeNet-5 as in the benchmark workloads: Conv2d(1, 6, 5, padding 2) → ReLU → MaxPool2d(2) →
/// Conv2d(6, 16, 5) → ReLU → MaxPool2d(2) → flatten → Linear(400, 120) → ReLU →
/// Linear(120, 84) → ReLU → Linear(84, 10), for `[N, 1, 28, 28]` inputs.
#[derive(Debug, Clone)]
pub struct LeNet5 {
    /// First convolution.
    pub conv1: Conv2d,
    /// Second convolution.
    pub conv2: Conv2d,
    /// First fully connected layer.
    pub fc1: Linear,
    /// Second fully connected layer.
    pub fc2: Linear,
    /// Output layer (10 classes).
    pub fc3: Linear,
}

module_members!(LeNet5 { children: conv1, conv2, fc1, fc2, fc3; params: ; buffers: });

impl LeNet5 {
    /// A model with PyTorch's default initialisation, from the global generator.
    #[track_caller]
    pub fn new(device: &Device) -> Result<LeNet5> {
        Ok(LeNet5 {
            conv1: Conv2d::new(1, 6, 5, Conv2dConfig { padding: 2.into(), ..Default::default() }, device)?,
            conv2: Conv2d::new(6, 16, 5, Conv2dConfig::default(), device)?,
            fc1: Linear::new(400, 120, true, device)?,
            fc2: Linear::new(120, 84, true, device)?,
            fc3: Linear::new(84, 10, true, device)?,
        })
    }
}

impl Module for LeNet5 {
    #[track_caller]
    fn forward(&self, x: &Var) -> Result<Var> {
        let x = F::max_pool2d(&self.conv1.forward(x)?.relu()?, 2, Default::default())?;
        let x = F::max_pool2d(&self.conv2.forward(&x)?.relu()?, 2, Default::default())?;
        let x = self.fc1.forward(&x.flatten(1, -1)?)?.relu()?;
        let x = self.fc2.forward(&x)?.relu()?;
        self.fc3.forward(&x)
    }
}
