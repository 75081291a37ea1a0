//! Stochastic gradient descent with momentum, dampening, Nesterov and weight decay, as
//! `torch.optim.SGD`.

use super::Optimizer;
use tensor_autograd::{no_grad, Var};
use tensor_core::{bail, Result, Tensor};

/// The options of one parameter group, as `torch.optim.SGD`'s keyword arguments.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SgdConfig {
    /// Learning rate.
    pub lr: f64,
    /// Momentum factor.
    pub momentum: f64,
    /// Dampening of the momentum.
    pub dampening: f64,
    /// L2 penalty.
    pub weight_decay: f64,
    /// Nesterov momentum.
    pub nesterov: bool,
}

impl Default for SgdConfig {
    fn default() -> Self {
        SgdConfig { lr: 1e-3, momentum: 0.0, dampening: 0.0, weight_decay: 0.0, nesterov: false }
    }
}

struct Group {
    params: Vec<Var>,
    config: SgdConfig,
    momentum_buffers: Vec<Option<Tensor>>,
}

/// `torch.optim.SGD`.
pub struct Sgd {
    groups: Vec<Group>,
}

impl std::fmt::Debug for Sgd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.groups.iter().map(|g| (&g.config, g.params.len()))).finish()
    }
}

impl Sgd {
    /// One group of parameters with `config`.
    pub fn new(params: Vec<Var>, config: SgdConfig) -> Result<Sgd> {
        Sgd::with_groups(vec![(params, config)])
    }
    /// Several parameter groups, each with its own options.
    pub fn with_groups(groups: Vec<(Vec<Var>, SgdConfig)>) -> Result<Sgd> {
        let mut out = Vec::with_capacity(groups.len());
        for (params, config) in groups {
            if config.lr < 0.0 || config.momentum < 0.0 || config.weight_decay < 0.0 {
                bail!(Value, "SGD", "invalid options {:?}: lr, momentum and weight_decay must be >= 0", config);
            }
            if config.nesterov && (config.momentum <= 0.0 || config.dampening != 0.0) {
                bail!(Value, "SGD", "Nesterov momentum requires a momentum and zero dampening");
            }
            let n = params.len();
            out.push(Group { params, config, momentum_buffers: vec![None; n] });
        }
        Ok(Sgd { groups: out })
    }
}

impl Optimizer for Sgd {
    fn step(&mut self) -> Result<()> {
        let _guard = no_grad();
        for group in &mut self.groups {
            let c = group.config;
            for (p, buf) in group.params.iter().zip(group.momentum_buffers.iter_mut()) {
                let Some(mut d_p) = p.grad() else { continue };
                let mut param = p.tensor();
                if c.weight_decay != 0.0 {
                    d_p = d_p.add(&param.mul(c.weight_decay)?)?;
                }
                if c.momentum != 0.0 {
                    let b = match buf {
                        None => {
                            *buf = Some(d_p.try_clone()?);
                            buf.as_mut().expect("just set")
                        }
                        Some(b) => {
                            b.mul_(c.momentum)?;
                            if c.dampening == 0.0 {
                                b.add_(&d_p)?;
                            } else {
                                b.add_(&d_p.mul(1.0 - c.dampening)?)?;
                            }
                            b
                        }
                    };
                    d_p = if c.nesterov { d_p.add(&b.mul(c.momentum)?)? } else { b.shallow_clone() };
                }
                param.sub_(&d_p.mul(c.lr)?)?;
            }
        }
        Ok(())
    }
    fn zero_grad(&self) {
        super::zero_grads(self.groups.iter().flat_map(|g| g.params.iter()));
    }
    fn learning_rates(&self) -> Vec<f64> {
        self.groups.iter().map(|g| g.config.lr).collect()
    }
    fn set_learning_rate(&mut self, group: usize, lr: f64) {
        if let Some(g) = self.groups.get_mut(group) {
            g.config.lr = lr;
        }
    }
}
