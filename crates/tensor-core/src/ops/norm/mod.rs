//! Normalisations: `softmax` and `log_softmax` along a dim with their gradient
//! ([`Tensor::softmax_backward`]), and layer norm over the trailing dims
//! ([`Tensor::layer_norm`], [`Tensor::native_layer_norm`], [`Tensor::layer_norm_backward`]),
//! and batch norm's training step (`batch_norm.rs`).
//! A backend's fused kernels ([`NormOps`](backend::NormOps)) run them a row at a time; for a
//! backend without them, or a softmax along an inner dim, they are composed from other ops.

pub(crate) mod backend;
mod batch_norm;
pub(crate) mod cpu;

use crate::shape::normalize_dim;
use crate::{bail, Result, Tensor};
use alloc::vec::Vec;

impl Tensor {
    /// `exp(x) / sum(exp(x))` along `dim`, stable (the max is subtracted first).
    #[track_caller]
    pub fn softmax(&self, dim: isize) -> Result<Tensor> {
        self.softmax_along("softmax", dim, false)
    }
    /// `x - logsumexp(x)` along `dim`, stable.
    #[track_caller]
    pub fn log_softmax(&self, dim: isize) -> Result<Tensor> {
        self.softmax_along("log_softmax", dim, true)
    }

    #[track_caller]
    fn softmax_along(&self, name: &'static str, dim: isize, log: bool) -> Result<Tensor> {
        let x = if self.is_floating_point() { self.shallow_clone() } else { self.to_dtype(crate::DEFAULT_FLOAT)? };
        let d = normalize_dim(name, dim, x.dim().max(1))?;
        if x.numel() == 0 {
            return x.zeros_like(None);
        }
        if x.dim() > 0 && d + 1 == x.dim() {
            let x = x.contiguous()?;
            let n = x.size()[d];
            let fused = x.read(name)?.softmax_rows(x.layout(), n, log).transpose()?;
            if let Some(s) = fused {
                return Ok(Tensor::from_op(s, x.shape(), x.device()));
            }
        }
        composed_softmax(&x, dim, log)
    }

    /// The gradient of [`softmax`](Self::softmax) (`log`: of [`log_softmax`](Self::log_softmax))
    /// along `dim` from the upstream `grad` and the forward's `output`, as PyTorch's
    /// `_softmax_backward_data`: `y (g - sum(g y))`, or `g - exp(y) sum(g)`.
    #[track_caller]
    pub fn softmax_backward(grad: &Tensor, output: &Tensor, dim: isize, log: bool) -> Result<Tensor> {
        let name = "softmax_backward";
        if grad.shape() != output.shape() || grad.dtype() != output.dtype() || !grad.is_floating_point() {
            bail!(
                Shape,
                name,
                "expected a float gradient and output of one shape and dtype, got {:?} {} and {:?} {}",
                grad.shape().dims(),
                grad.dtype(),
                output.shape().dims(),
                output.dtype()
            );
        }
        grad.same_device(name, &[output])?;
        let d = normalize_dim(name, dim, grad.dim().max(1))?;
        if grad.dim() > 0 && d + 1 == grad.dim() && grad.numel() > 0 {
            let (g, y) = (grad.contiguous()?, output.contiguous()?);
            let n = g.size()[d];
            let fused = Tensor::read_all(name, [&g, &y], |[gs, ys]| {
                gs.softmax_rows_backward(g.layout(), ys, n, log).transpose()
            })?;
            if let Some(s) = fused {
                return Ok(Tensor::from_op(s, g.shape(), g.device()));
            }
        }
        composed_softmax_backward(grad, output, dim, log)
    }

    /// Layer norm over the trailing `normalized_shape` dims, as `F.layer_norm(x,
    /// normalized_shape, weight, bias, eps)`.
    #[track_caller]
    pub fn layer_norm(
        &self,
        normalized_shape: &[usize],
        weight: Option<&Tensor>,
        bias: Option<&Tensor>,
        eps: f64,
    ) -> Result<Tensor> {
        Ok(self.native_layer_norm(normalized_shape, weight, bias, eps)?.0)
    }

    /// [`layer_norm`](Self::layer_norm) with each row's statistics, as
    /// `torch.native_layer_norm`: the result, the mean and `1 / sqrt(var + eps)` (biased
    /// variance), both of the leading dims' shape followed by ones. What autograd saves.
    #[track_caller]
    pub fn native_layer_norm(
        &self,
        normalized_shape: &[usize],
        weight: Option<&Tensor>,
        bias: Option<&Tensor>,
        eps: f64,
    ) -> Result<(Tensor, Tensor, Tensor)> {
        let name = "layer_norm";
        let stats_shape = check_layer_norm(name, self, normalized_shape, &[weight, bias])?;
        let n: usize = normalized_shape.iter().product();
        let x = self.contiguous()?;
        if n > 0 && x.numel() > 0 {
            let (w, b) = (weight.map(Tensor::contiguous).transpose()?, bias.map(Tensor::contiguous).transpose()?);
            let mut all = alloc::vec![&x];
            all.extend(w.iter().chain(b.iter()));
            let fused = lock_all(name, &all, |s| {
                let (ws, bs) = (w.as_ref().map(|_| s[1]), b.as_ref().map(|_| s[1 + w.is_some() as usize]));
                s[0].layer_norm_rows(x.layout(), n, ws, bs, eps).transpose()
            })?;
            if let Some((y, mean, rstd)) = fused {
                let dev = x.device();
                return Ok((
                    Tensor::from_op(y, x.shape(), dev),
                    Tensor::from_op(mean, &stats_shape[..], dev),
                    Tensor::from_op(rstd, &stats_shape[..], dev),
                ));
            }
        }
        composed_layer_norm(&x, normalized_shape.len(), weight, bias, eps)
    }

    /// The gradients of [`native_layer_norm`](Self::native_layer_norm) from the upstream `grad`,
    /// the input `x` and the forward's `mean` and `rstd`: the input's, the weight's (if
    /// `weight` is given) and the bias's (if `bias_grad`), as `native_layer_norm_backward`.
    #[track_caller]
    pub fn layer_norm_backward(
        grad: &Tensor,
        x: &Tensor,
        mean: &Tensor,
        rstd: &Tensor,
        normalized_shape: &[usize],
        weight: Option<&Tensor>,
        bias_grad: bool,
    ) -> Result<(Tensor, Option<Tensor>, Option<Tensor>)> {
        let name = "layer_norm_backward";
        check_layer_norm(name, x, normalized_shape, &[weight])?;
        if grad.shape() != x.shape() || grad.dtype() != x.dtype() {
            bail!(
                Shape,
                name,
                "expected a gradient of the input's shape and dtype {:?} {}, got {:?} {}",
                x.shape().dims(),
                x.dtype(),
                grad.shape().dims(),
                grad.dtype()
            );
        }
        let n: usize = normalized_shape.iter().product();
        let lead_dims: Vec<isize> = (0..(x.dim() - normalized_shape.len()) as isize).collect();
        let (g, xc) = (grad.contiguous()?, x.contiguous()?);
        if n > 0 && x.numel() > 0 {
            let (mean_c, rstd_c, w) =
                (mean.contiguous()?, rstd.contiguous()?, weight.map(Tensor::contiguous).transpose()?);
            let mut all = alloc::vec![&g, &xc, &mean_c, &rstd_c];
            all.extend(w.iter());
            let fused = lock_all(name, &all, |s| {
                s[0].layer_norm_rows_backward(g.layout(), s[1], s[2], s[3], w.as_ref().map(|_| s[4]), n).transpose()
            })?;
            if let Some((dx, dw, db)) = fused {
                let dev = x.device();
                let dx = Tensor::from_op(dx, x.shape(), dev);
                let (dw, db) = match weight {
                    Some(_) => (
                        Some(Tensor::from_op(dw, normalized_shape, dev)),
                        if bias_grad { Some(Tensor::from_op(db, normalized_shape, dev)) } else { None },
                    ),
                    None => (None, if bias_grad { Some(sum_leading(&g, &lead_dims)?) } else { None }),
                };
                return Ok((dx, dw, db));
            }
        }
        composed_layer_norm_backward(&g, &xc, mean, rstd, normalized_shape.len(), weight, bias_grad)
    }
}

// The same results from other ops, for backends without the fused kernels (and the tests'
// reference for the fused ones).

#[track_caller]
fn composed_softmax(x: &Tensor, dim: isize, log: bool) -> Result<Tensor> {
    let shifted = x.sub(&x.amax(&[dim], true)?)?;
    if log {
        shifted.sub(&shifted.exp()?.sum_dim(&[dim], true)?.log()?)
    } else {
        let e = shifted.exp()?;
        e.div(&e.sum_dim(&[dim], true)?)
    }
}

#[track_caller]
fn composed_softmax_backward(grad: &Tensor, output: &Tensor, dim: isize, log: bool) -> Result<Tensor> {
    if log {
        grad.sub(&output.exp()?.mul(&grad.sum_dim(&[dim], true)?)?)
    } else {
        let gy = grad.mul(output)?;
        gy.sub(&output.mul(&gy.sum_dim(&[dim], true)?)?)
    }
}

#[track_caller]
fn composed_layer_norm(
    x: &Tensor,
    k: usize,
    weight: Option<&Tensor>,
    bias: Option<&Tensor>,
    eps: f64,
) -> Result<(Tensor, Tensor, Tensor)> {
    let dims = trailing(x.dim(), k);
    let mean = x.mean_dim(&dims, true)?;
    let centered = x.sub(&mean)?;
    let rstd = centered.mul(&centered)?.mean_dim(&dims, true)?.add(eps)?.rsqrt()?;
    let mut y = centered.mul(&rstd)?;
    if let Some(w) = weight {
        y = y.mul(w)?;
    }
    if let Some(b) = bias {
        y = y.add(b)?;
    }
    Ok((y, mean, rstd))
}

#[track_caller]
fn composed_layer_norm_backward(
    g: &Tensor,
    x: &Tensor,
    mean: &Tensor,
    rstd: &Tensor,
    k: usize,
    weight: Option<&Tensor>,
    bias_grad: bool,
) -> Result<(Tensor, Option<Tensor>, Option<Tensor>)> {
    let dims = trailing(x.dim(), k);
    let lead_dims = trailing(x.dim() - k, x.dim() - k);
    let xhat = x.sub(mean)?.mul(rstd)?;
    let gw = match weight {
        Some(w) => g.mul(w)?,
        None => g.shallow_clone(),
    };
    let a = gw.mean_dim(&dims, true)?;
    let b = gw.mul(&xhat)?.mean_dim(&dims, true)?;
    let dx = gw.sub(&a)?.sub(&xhat.mul(&b)?)?.mul(rstd)?;
    let dw = weight.map(|_| sum_leading(&g.mul(&xhat)?, &lead_dims)).transpose()?;
    let db = if bias_grad { Some(sum_leading(g, &lead_dims)?) } else { None };
    Ok((dx, dw, db))
}

/// `t` summed over `dims`, the leading dims of a layer norm (none: `t` itself, where
/// `sum_dim(&[])` would sum everything).
#[track_caller]
fn sum_leading(t: &Tensor, dims: &[isize]) -> Result<Tensor> {
    if dims.is_empty() {
        Ok(t.shallow_clone())
    } else {
        t.sum_dim(dims, false)
    }
}

/// The last `k` dims of a rank-`rank` tensor, as dim arguments.
fn trailing(rank: usize, k: usize) -> Vec<isize> {
    (rank - k..rank).map(|d| d as isize).collect()
}

/// Checks a layer norm's input and parameters; returns the statistics' shape.
#[track_caller]
fn check_layer_norm(name: &'static str, x: &Tensor, shape: &[usize], params: &[Option<&Tensor>]) -> Result<Vec<usize>> {
    let k = shape.len();
    if k == 0 || x.dim() < k || x.size()[x.dim() - k..] != *shape {
        bail!(Shape, name, "expected input with trailing shape {:?}, got {:?}", shape, x.size());
    }
    if !x.is_floating_point() {
        bail!(DType, name, "expected a float input, got {}", x.dtype());
    }
    for p in params.iter().flatten() {
        if p.size() != shape || p.dtype() != x.dtype() {
            bail!(
                Shape,
                name,
                "expected weight and bias of shape {:?} and dtype {}, got {:?} {}",
                shape,
                x.dtype(),
                p.size(),
                p.dtype()
            );
        }
        x.same_device(name, &[p])?;
    }
    let mut stats = x.size()[..x.dim() - k].to_vec();
    stats.extend(core::iter::repeat_n(1, k));
    Ok(stats)
}

/// Runs `f` with the storages of `tensors` (2 to 5 of them) locked for reading.
#[track_caller]
fn lock_all<R>(
    name: &'static str,
    tensors: &[&Tensor],
    f: impl FnOnce(&[&crate::backend::Storage]) -> Result<R>,
) -> Result<R> {
    match tensors {
        [a] => Tensor::read_all(name, [*a], |s| f(&s)),
        [a, b] => Tensor::read_all(name, [*a, *b], |s| f(&s)),
        [a, b, c] => Tensor::read_all(name, [*a, *b, *c], |s| f(&s)),
        [a, b, c, d] => Tensor::read_all(name, [*a, *b, *c, *d], |s| f(&s)),
        [a, b, c, d, e] => Tensor::read_all(name, [*a, *b, *c, *d, *e], |s| f(&s)),
        _ => bail!(Value, name, "expected 1 to 5 tensors, got {}", tensors.len()),
    }
}

#[cfg(test)]
mod tests {
    //! The fused CPU kernels against the composed formulas (which other backends run).
    use super::*;
    use crate::{DType, Device};
    use proptest::prelude::*;

    fn close(a: &Tensor, b: &Tensor, tol: f64, ctx: &str) {
        assert_eq!(a.shape(), b.shape(), "{ctx}");
        let (a, b) = (a.to_vec::<f64>().unwrap(), b.to_vec::<f64>().unwrap());
        for (i, (x, y)) in a.iter().zip(&b).enumerate() {
            let same = (x.is_nan() && y.is_nan()) || x == y || (x - y).abs() <= tol * (1.0 + y.abs());
            assert!(same, "{ctx} at {i}: {x} != {y}");
        }
    }

    /// Deterministic values in [-scale, scale) from `seed`.
    fn values(n: usize, seed: u64, scale: f64) -> Vec<f64> {
        let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (0..n)
            .map(|_| {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                ((s >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0) * scale
            })
            .collect()
    }

    fn tensor(shape: &[usize], seed: u64, scale: f64, dtype: DType) -> Tensor {
        let n = shape.iter().product();
        Tensor::from_vec(values(n, seed, scale), shape).unwrap().to_dtype(dtype).unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, rng_algorithm: prop::test_runner::RngAlgorithm::ChaCha, ..ProptestConfig::default() })]

        #[test]
        fn softmax_fused_matches_composed(
            rows in 1usize..6, n in 1usize..70, seed in any::<u64>(), log in any::<bool>(),
            dtype in prop::sample::select(vec![DType::F32, DType::F64]),
        ) {
            let x = tensor(&[rows, n], seed, 20.0, dtype);
            let g = tensor(&[rows, n], seed ^ 1, 1.0, dtype);
            let tol = if dtype == DType::F32 { 1e-5 } else { 1e-12 };
            let y = if log { x.log_softmax(-1).unwrap() } else { x.softmax(-1).unwrap() };
            close(&y, &composed_softmax(&x, -1, log).unwrap(), tol, "forward");
            let dx = Tensor::softmax_backward(&g, &y, -1, log).unwrap();
            close(&dx, &composed_softmax_backward(&g, &y, -1, log).unwrap(), tol, "backward");
            // Along dim 0 of the transpose: the composed path, the same values.
            let xt = x.t().unwrap();
            let yt = if log { xt.log_softmax(0).unwrap() } else { xt.softmax(0).unwrap() };
            close(&yt, &y.t().unwrap(), tol, "softmax along dim 0 (composed)");
        }

        #[test]
        fn layer_norm_fused_matches_composed(
            lead in prop::collection::vec(1usize..5, 0..3), n in 1usize..50, seed in any::<u64>(),
            affine in 0usize..3, dtype in prop::sample::select(vec![DType::F32, DType::F64]),
        ) {
            let mut shape = lead.clone();
            shape.push(n);
            let x = tensor(&shape, seed, 3.0, dtype).add(1.5).unwrap();
            let g = tensor(&shape, seed ^ 2, 1.0, dtype);
            let w = (affine >= 1).then(|| tensor(&[n], seed ^ 3, 2.0, dtype));
            let b = (affine == 2).then(|| tensor(&[n], seed ^ 4, 2.0, dtype));
            let tol = if dtype == DType::F32 { 2e-5 } else { 1e-10 };
            let (y, mean, rstd) = x.native_layer_norm(&[n], w.as_ref(), b.as_ref(), 1e-5).unwrap();
            let (y2, mean2, rstd2) = composed_layer_norm(&x, 1, w.as_ref(), b.as_ref(), 1e-5).unwrap();
            close(&y, &y2, tol, "y");
            close(&mean, &mean2, tol, "mean");
            close(&rstd, &rstd2, tol, "rstd");
            let (dx, dw, db) = Tensor::layer_norm_backward(&g, &x, &mean, &rstd, &[n], w.as_ref(), b.is_some()).unwrap();
            let (dx2, dw2, db2) = composed_layer_norm_backward(&g, &x, &mean, &rstd, 1, w.as_ref(), b.is_some()).unwrap();
            close(&dx, &dx2, tol * 10.0, "dx");
            prop_assert_eq!(dw.is_some(), w.is_some());
            prop_assert_eq!(db.is_some(), b.is_some());
            if let (Some(a), Some(c)) = (dw, dw2) { close(&a, &c, tol * 10.0, "dw"); }
            if let (Some(a), Some(c)) = (db, db2) { close(&a, &c, tol * 10.0, "db"); }
        }
    }

    #[test]
    fn softmax_special_rows_as_torch() -> Result<()> {
        // torch.tensor([[-inf, 0., 1.], [nan, 0., 1.], [-inf, -inf, -inf]]).softmax(-1)
        // -> [[0., 0.2689, 0.7311], [nan, nan, nan], [nan, nan, nan]]
        let inf = f64::INFINITY;
        let x = Tensor::from_vec(vec![-inf, 0.0, 1.0, f64::NAN, 0.0, 1.0, -inf, -inf, -inf], [3, 3])?
            .to_dtype(DType::F32)?;
        let y = x.softmax(-1)?.to_vec::<f32>()?;
        assert_eq!(y[0], 0.0);
        assert!((y[1] - 0.268_941_43).abs() < 1e-7 && (y[2] - 0.731_058_6).abs() < 1e-7);
        assert!(y[3..].iter().all(|v| v.is_nan()), "{y:?}");
        // torch.tensor([[-inf, 0., 1.]]).log_softmax(-1) -> [[-inf, -1.3133, -0.3133]]
        let l = x.log_softmax(-1)?.to_vec::<f32>()?;
        assert_eq!(l[0], f32::NEG_INFINITY);
        assert!((l[1] + 1.313_261_7).abs() < 1e-6 && (l[2] + 0.313_261_7).abs() < 1e-6);
        Ok(())
    }

    #[test]
    fn half_and_bad_arguments() -> Result<()> {
        let x = tensor(&[4, 8], 7, 2.0, DType::F32);
        let h = x.to_dtype(DType::F16)?;
        close(&h.softmax(-1)?.to_dtype(DType::F32)?, &x.softmax(-1)?, 2e-3, "f16 softmax");
        let (y, mean, _) = h.native_layer_norm(&[8], None, None, 1e-5)?;
        assert_eq!((y.dtype(), mean.dtype()), (DType::F16, DType::F32));
        close(&y.to_dtype(DType::F32)?, &x.layer_norm(&[8], None, None, 1e-5)?, 5e-3, "f16 layer_norm");
        let e = x.layer_norm(&[7], None, None, 1e-5).unwrap_err().to_string();
        assert!(e.contains("layer_norm") && e.contains("[7]") && e.contains("[4, 8]"), "{e}");
        let w = Tensor::ones([7], DType::F32, &Device::Cpu)?;
        assert!(x.layer_norm(&[8], Some(&w), None, 1e-5).is_err());
        let g = Tensor::ones([4, 7], DType::F32, &Device::Cpu)?;
        assert!(Tensor::softmax_backward(&g, &x, -1, false).is_err());
        Ok(())
    }
}
