//! Optimizer steps in place, [`Tensor::adam_step_`] and [`Tensor::sgd_step_`]: a parameter, its
//! gradient and its state updated in one pass by a backend's fused kernel
//! ([`OptimOps`](backend::OptimOps)), as PyTorch's fused optimizers, with the arithmetic of
//! `torch.optim`'s single-tensor path element by element (so the same bits); composed from
//! other ops on a backend without the kernel, or for non-contiguous tensors.

pub(crate) mod backend;
pub(crate) mod cpu;

use backend::{AdamStep, SgdStep};

use crate::{bail, Result, Tensor};

impl Tensor {
    /// One Adam (or AdamW, `step.decoupled`) step of this parameter in place, from `grad`,
    /// updating the running averages `exp_avg` and `exp_avg_sq` (and, for AMSGrad,
    /// `max_exp_avg_sq`): `torch.optim.Adam`'s update, fused. All of one shape and float dtype.
    #[track_caller]
    pub fn adam_step_(
        &mut self,
        grad: &Tensor,
        exp_avg: &mut Tensor,
        exp_avg_sq: &mut Tensor,
        max_exp_avg_sq: Option<&mut Tensor>,
        step: &AdamStep,
    ) -> Result<()> {
        let name = "adam_step_";
        let mut all = alloc::vec![&*self, grad, &*exp_avg, &*exp_avg_sq];
        all.extend(max_exp_avg_sq.as_deref());
        check(name, &all)?;
        if all.iter().all(|t| t.is_contiguous()) {
            let layout = self.layout().clone();
            let fused = match max_exp_avg_sq.as_deref() {
                Some(m) => {
                    Tensor::write_several(name, [&*self, &*exp_avg, &*exp_avg_sq, m], [grad], |[p, a, b, m], [g]| {
                        p.adam_step(&layout, g, a, b, Some(m), step).transpose()
                    })?
                }
                None => Tensor::write_several(name, [&*self, &*exp_avg, &*exp_avg_sq], [grad], |[p, a, b], [g]| {
                    p.adam_step(&layout, g, a, b, None, step).transpose()
                })?,
            };
            if fused.is_some() {
                return Ok(());
            }
        }
        composed_adam(self, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, step)
    }

    /// One SGD step of this parameter in place, from `grad`, with the momentum buffer where
    /// `step.momentum` is nonzero (at `step.first` it takes the gradient): `torch.optim.SGD`'s
    /// update, fused.
    #[track_caller]
    pub fn sgd_step_(&mut self, grad: &Tensor, momentum_buffer: Option<&mut Tensor>, step: &SgdStep) -> Result<()> {
        let name = "sgd_step_";
        if step.momentum != 0.0 && momentum_buffer.is_none() {
            bail!(Value, name, "a momentum of {} needs a momentum buffer", step.momentum);
        }
        let buf = if step.momentum != 0.0 { momentum_buffer } else { None };
        let mut all = alloc::vec![&*self, grad];
        all.extend(buf.as_deref());
        check(name, &all)?;
        if all.iter().all(|t| t.is_contiguous()) {
            let layout = self.layout().clone();
            let fused = match buf.as_deref() {
                Some(b) => Tensor::write_several(name, [&*self, b], [grad], |[p, b], [g]| {
                    p.sgd_step(&layout, g, Some(b), step).transpose()
                })?,
                None => Tensor::write_several(name, [&*self], [grad], |[p], [g]| {
                    p.sgd_step(&layout, g, None, step).transpose()
                })?,
            };
            if fused.is_some() {
                return Ok(());
            }
        }
        composed_sgd(self, grad, buf, step)
    }
}

/// One shape, one float dtype, one device.
#[track_caller]
fn check(name: &'static str, all: &[&Tensor]) -> Result<()> {
    let p = all[0];
    if !p.is_floating_point() {
        bail!(DType, name, "expected float tensors, got {}", p.dtype());
    }
    for t in &all[1..] {
        if t.shape() != p.shape() || t.dtype() != p.dtype() {
            bail!(
                Shape,
                name,
                "expected the gradient and the state of the parameter's shape and dtype {:?} {}, got {:?} {}",
                p.size(),
                p.dtype(),
                t.size(),
                t.dtype()
            );
        }
    }
    p.same_device(name, &all[1..])
}

/// `start.lerp_(end, weight)` exactly as PyTorch's CPU kernel evaluates it.
#[track_caller]
fn lerp_(start: &mut Tensor, end: &Tensor, weight: f64) -> Result<()> {
    let next = if weight.abs() < 0.5 {
        start.add(&end.sub(&*start)?.mul(weight)?)?
    } else {
        end.sub(&end.sub(&*start)?.mul(1.0 - weight)?)?
    };
    start.copy_(&next)
}

/// Adam from other ops, in `_single_tensor_adam`'s order.
#[track_caller]
fn composed_adam(
    param: &mut Tensor,
    grad: &Tensor,
    exp_avg: &mut Tensor,
    exp_avg_sq: &mut Tensor,
    max_exp_avg_sq: Option<&mut Tensor>,
    st: &AdamStep,
) -> Result<()> {
    let (beta1, beta2) = st.betas;
    let grad = if st.weight_decay == 0.0 {
        grad.shallow_clone()
    } else if st.decoupled {
        param.mul_(1.0 - st.lr * st.weight_decay)?;
        grad.shallow_clone()
    } else {
        grad.add(&param.mul(st.weight_decay)?)?
    };
    // exp_avg.lerp_(grad, 1 - beta1); exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
    lerp_(exp_avg, &grad, 1.0 - beta1)?;
    exp_avg_sq.mul_(beta2)?;
    exp_avg_sq.add_(&grad.mul(1.0 - beta2)?.mul(&grad)?)?;
    let (step_size, bias_correction2_sqrt) = st.scales();
    let second = match max_exp_avg_sq {
        Some(m) => {
            m.maximum_(&*exp_avg_sq)?;
            m.shallow_clone()
        }
        None => exp_avg_sq.shallow_clone(),
    };
    let denom = second.sqrt()?.div(bias_correction2_sqrt)?.add(st.eps)?;
    // param.addcdiv_(exp_avg, denom, value=-step_size)
    param.add_(&exp_avg.mul(-step_size)?.div(&denom)?)
}

/// SGD from other ops, in `_single_tensor_sgd`'s order.
#[track_caller]
fn composed_sgd(param: &mut Tensor, grad: &Tensor, buf: Option<&mut Tensor>, st: &SgdStep) -> Result<()> {
    let mut d_p = if st.weight_decay == 0.0 { grad.shallow_clone() } else { grad.add(&param.mul(st.weight_decay)?)? };
    if let Some(b) = buf {
        if st.first {
            b.copy_(&d_p)?;
        } else {
            b.mul_(st.momentum)?;
            if st.dampening == 0.0 {
                b.add_(&d_p)?;
            } else {
                b.add_(&d_p.mul(1.0 - st.dampening)?)?;
            }
        }
        d_p = if st.nesterov { d_p.add(&b.mul(st.momentum)?)? } else { b.shallow_clone() };
    }
    param.sub_(&d_p.mul(st.lr)?)
}

impl AdamStep {
    /// `lr / (1 - beta1^step)` and `(1 - beta2^step)^0.5`, in f64 as PyTorch's Python floats.
    pub fn scales(&self) -> (f64, f64) {
        let step = self.step as f64;
        let bias_correction1 = 1.0 - libm::pow(self.betas.0, step);
        let bias_correction2 = 1.0 - libm::pow(self.betas.1, step);
        (self.lr / bias_correction1, libm::pow(bias_correction2, 0.5))
    }
}

#[cfg(test)]
mod tests {
    //! The fused CPU steps against the composed ones: the same bits, every option.
    use super::*;
    use crate::DType;
    use alloc::vec::Vec;

    fn tensor(n: usize, seed: u64, scale: f64, dtype: DType) -> Tensor {
        let mut s = seed | 1;
        let v: Vec<f64> = (0..n)
            .map(|_| {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                ((s >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0) * scale
            })
            .collect();
        Tensor::from_vec(v, [n]).unwrap().to_dtype(dtype).unwrap()
    }

    fn bits(t: &Tensor) -> Vec<f64> {
        t.to_vec::<f64>().unwrap()
    }

    #[test]
    fn adam_fused_is_bitwise_the_composed_step() {
        // 40,000 elements: the parallel pieces too.
        for dtype in [DType::F32, DType::F64] {
            for (decoupled, weight_decay, amsgrad, beta1) in
                [(false, 0.0, false, 0.9), (false, 0.1, true, 0.9), (true, 0.01, false, 0.3), (true, 0.5, true, 0.6)]
            {
                let n = 40_000;
                let (mut p, g) = (tensor(n, 1, 1.0, dtype), tensor(n, 2, 0.5, dtype));
                let (mut m, mut v) = (tensor(n, 3, 0.1, dtype), tensor(n, 4, 0.1, dtype).abs().unwrap());
                let mut mx = amsgrad.then(|| tensor(n, 5, 0.1, dtype).abs().unwrap());
                let (mut p2, mut m2, mut v2) = (p.try_clone().unwrap(), m.try_clone().unwrap(), v.try_clone().unwrap());
                let mut mx2 = mx.as_ref().map(|t| t.try_clone().unwrap());
                for step in 1..=3 {
                    let st = AdamStep { lr: 1e-2, betas: (beta1, 0.999), eps: 1e-8, weight_decay, decoupled, step };
                    p.adam_step_(&g, &mut m, &mut v, mx.as_mut(), &st).unwrap();
                    composed_adam(&mut p2, &g, &mut m2, &mut v2, mx2.as_mut(), &st).unwrap();
                }
                let ctx = (dtype, decoupled, weight_decay, amsgrad, beta1);
                assert_eq!(bits(&p), bits(&p2), "param {ctx:?}");
                assert_eq!(bits(&m), bits(&m2), "exp_avg {ctx:?}");
                assert_eq!(bits(&v), bits(&v2), "exp_avg_sq {ctx:?}");
            }
        }
    }

    #[test]
    fn sgd_fused_is_bitwise_the_composed_step() {
        for dtype in [DType::F32, DType::F64] {
            for (momentum, dampening, weight_decay, nesterov) in
                [(0.0, 0.0, 0.0, false), (0.9, 0.0, 0.0, false), (0.9, 0.1, 0.01, false), (0.9, 0.0, 0.1, true)]
            {
                let n = 40_000;
                let (mut p, g) = (tensor(n, 1, 1.0, dtype), tensor(n, 2, 0.5, dtype));
                let mut p2 = p.try_clone().unwrap();
                let (mut b, mut b2) =
                    (Tensor::zeros([n], dtype, p.device()).unwrap(), Tensor::zeros([n], dtype, p.device()).unwrap());
                for i in 0..3 {
                    let st = SgdStep { lr: 0.1, momentum, dampening, weight_decay, nesterov, first: i == 0 };
                    p.sgd_step_(&g, Some(&mut b), &st).unwrap();
                    composed_sgd(&mut p2, &g, (momentum != 0.0).then_some(&mut b2), &st).unwrap();
                }
                assert_eq!(
                    bits(&p),
                    bits(&p2),
                    "{dtype:?} momentum {momentum} dampening {dampening} nesterov {nesterov}"
                );
            }
        }
    }

    #[test]
    fn refuses_mismatched_state() {
        let mut p = tensor(4, 1, 1.0, DType::F32);
        let g = tensor(3, 2, 1.0, DType::F32);
        let (mut m, mut v) = (tensor(4, 3, 1.0, DType::F32), tensor(4, 4, 1.0, DType::F32));
        let st = AdamStep { lr: 1e-3, betas: (0.9, 0.999), eps: 1e-8, weight_decay: 0.0, decoupled: false, step: 1 };
        let e = p.adam_step_(&g, &mut m, &mut v, None, &st).unwrap_err().to_string();
        assert!(e.contains("adam_step_") && e.contains("[4]") && e.contains("[3]"), "{e}");
        // The state may not share the parameter's storage.
        let mut alias = p.shallow_clone();
        let e = p.adam_step_(&tensor(4, 2, 1.0, DType::F32), &mut alias, &mut v, None, &st).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Borrow);
    }
}
