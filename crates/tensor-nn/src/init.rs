//! Parameter initialisation, as `torch.nn.init`: each function fills a tensor in place from the
//! global generator (seed it with `tensor_core::manual_seed`).

use tensor_core::{bail, DType, Result, Tensor};

/// `(fan_in, fan_out)` of a weight: `[out, in, k...]` as PyTorch computes them.
#[track_caller]
pub fn fan_in_out(t: &Tensor) -> Result<(usize, usize)> {
    if t.dim() < 2 {
        bail!(
            Shape,
            "init",
            "fan in and fan out can not be computed for tensor with fewer than 2 dimensions (shape {:?})",
            t.shape()
        );
    }
    let receptive: usize = t.size()[2..].iter().product();
    Ok((t.size()[1] * receptive, t.size()[0] * receptive))
}

/// Fills with U(low, high).
#[track_caller]
pub fn uniform_(t: &mut Tensor, low: f64, high: f64) -> Result<()> {
    let u = Tensor::rand(t.shape().clone(), DType::F64, t.device())?;
    t.copy_(&u.mul(high - low)?.add(low)?)
}

/// Fills with N(mean, std²).
#[track_caller]
pub fn normal_(t: &mut Tensor, mean: f64, std: f64) -> Result<()> {
    let n = Tensor::randn(t.shape().clone(), DType::F64, t.device())?;
    t.copy_(&n.mul(std)?.add(mean)?)
}

/// Fills with `value`.
#[track_caller]
pub fn constant_(t: &mut Tensor, value: f64) -> Result<()> {
    t.fill_(value)
}

/// Fills with zeros.
#[track_caller]
pub fn zeros_(t: &mut Tensor) -> Result<()> {
    t.fill_(0.0)
}

/// Fills with ones.
#[track_caller]
pub fn ones_(t: &mut Tensor) -> Result<()> {
    t.fill_(1.0)
}

/// The gain of `leaky_relu` with slope `a` (`a = 0` is ReLU's √2), as `calculate_gain`.
fn leaky_relu_gain(a: f64) -> f64 {
    (2.0 / (1.0 + a * a)).sqrt()
}

/// He uniform: U(±gain·√(3 / fan_in)) with the leaky-ReLU gain of slope `a`; PyTorch's default
/// layer init is `a = √5`, which gives U(±1/√fan_in).
#[track_caller]
pub fn kaiming_uniform_(t: &mut Tensor, a: f64) -> Result<()> {
    let (fan_in, _) = fan_in_out(t)?;
    let bound = leaky_relu_gain(a) * (3.0 / fan_in as f64).sqrt();
    uniform_(t, -bound, bound)
}

/// He normal: N(0, gain² / fan_in).
#[track_caller]
pub fn kaiming_normal_(t: &mut Tensor, a: f64) -> Result<()> {
    let (fan_in, _) = fan_in_out(t)?;
    normal_(t, 0.0, leaky_relu_gain(a) / (fan_in as f64).sqrt())
}

/// Glorot uniform: U(±gain·√(6 / (fan_in + fan_out))).
#[track_caller]
pub fn xavier_uniform_(t: &mut Tensor, gain: f64) -> Result<()> {
    let (fi, fo) = fan_in_out(t)?;
    let bound = gain * (6.0 / (fi + fo) as f64).sqrt();
    uniform_(t, -bound, bound)
}

/// Glorot normal: N(0, gain² · 2 / (fan_in + fan_out)).
#[track_caller]
pub fn xavier_normal_(t: &mut Tensor, gain: f64) -> Result<()> {
    let (fi, fo) = fan_in_out(t)?;
    normal_(t, 0.0, gain * (2.0 / (fi + fo) as f64).sqrt())
}
