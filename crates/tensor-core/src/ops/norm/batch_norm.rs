//! Batch norm's training step, [`Tensor::batch_norm_train`] and its gradient
//! [`Tensor::batch_norm_train_backward`], over the channels (dim 1) of an `[N, C, *]` input;
//! composed from other ops where the backend has no fused kernel.

use crate::{bail, Result, Tensor};
use alloc::vec::Vec;

impl Tensor {
    /// Batch norm with batch statistics (training mode) of an `[N, C, *]` input, as
    /// `F.batch_norm(x, None, None, weight, bias, training=True, eps=eps)`: the result, and each
    /// channel's mean and biased variance (shape `[C]`; the running statistics are the caller's).
    #[track_caller]
    pub fn batch_norm_train(
        &self,
        weight: Option<&Tensor>,
        bias: Option<&Tensor>,
        eps: f64,
    ) -> Result<(Tensor, Tensor, Tensor)> {
        let name = "batch_norm";
        let (c, s) = check_batch_norm(name, self, &[weight, bias])?;
        let x = self.contiguous()?;
        let (w, b) = (weight.map(Tensor::contiguous).transpose()?, bias.map(Tensor::contiguous).transpose()?);
        let mut all = alloc::vec![&x];
        all.extend(w.iter().chain(b.iter()));
        let fused = super::lock_all(name, &all, |st| {
            let (ws, bs) = (w.as_ref().map(|_| st[1]), b.as_ref().map(|_| st[1 + w.is_some() as usize]));
            st[0].batch_norm_train(x.layout(), c, s, ws, bs, eps).transpose()
        })?;
        if let Some((y, mean, var)) = fused {
            let dev = x.device();
            return Ok((
                Tensor::from_op(y, x.shape(), dev),
                Tensor::from_op(mean, [c], dev),
                Tensor::from_op(var, [c], dev),
            ));
        }
        composed_forward(&x, weight, bias, eps)
    }

    /// The gradients of [`batch_norm_train`](Self::batch_norm_train) from the upstream `grad`,
    /// the input `x` and the forward's `mean` and `var`: the input's, and each channel's weight
    /// and bias gradients (always both: each is one sum per channel).
    #[track_caller]
    pub fn batch_norm_train_backward(
        grad: &Tensor,
        x: &Tensor,
        mean: &Tensor,
        var: &Tensor,
        weight: Option<&Tensor>,
        eps: f64,
    ) -> Result<(Tensor, Tensor, Tensor)> {
        let name = "batch_norm_backward";
        let (c, s) = check_batch_norm(name, x, &[weight, Some(mean), Some(var)])?;
        if grad.shape() != x.shape() || grad.dtype() != x.dtype() {
            bail!(
                Shape,
                name,
                "expected a gradient of the input's shape and dtype {:?} {}, got {:?} {}",
                x.size(),
                x.dtype(),
                grad.size(),
                grad.dtype()
            );
        }
        let (g, xc, m, v) = (grad.contiguous()?, x.contiguous()?, mean.contiguous()?, var.contiguous()?);
        let w = weight.map(Tensor::contiguous).transpose()?;
        let mut all = alloc::vec![&g, &xc, &m, &v];
        all.extend(w.iter());
        let fused = super::lock_all(name, &all, |st| {
            st[0]
                .batch_norm_train_backward(g.layout(), st[1], st[2], st[3], w.as_ref().map(|_| st[4]), c, s, eps)
                .transpose()
        })?;
        if let Some((dx, dw, db)) = fused {
            let dev = x.device();
            return Ok((
                Tensor::from_op(dx, x.shape(), dev),
                Tensor::from_op(dw, [c], dev),
                Tensor::from_op(db, [c], dev),
            ));
        }
        composed_backward(&g, &xc, &m, &v, weight, eps)
    }
}

/// Checks the input (`[N, C, *]`, float) and the per-channel tensors; returns `C` and the
/// elements per plane.
#[track_caller]
fn check_batch_norm(name: &'static str, x: &Tensor, per_channel: &[Option<&Tensor>]) -> Result<(usize, usize)> {
    if x.dim() < 2 || !x.is_floating_point() {
        bail!(Shape, name, "expected a float input of shape [N, C, *], got {:?} {}", x.size(), x.dtype());
    }
    let c = x.size()[1];
    for p in per_channel.iter().flatten() {
        if p.size() != [c] || p.dtype() != x.dtype() {
            bail!(
                Shape,
                name,
                "expected per-channel tensors of shape [{}] and dtype {} for input {:?}, got {:?} {}",
                c,
                x.dtype(),
                x.size(),
                p.size(),
                p.dtype()
            );
        }
        x.same_device(name, &[p])?;
    }
    if x.numel() / c.max(1) <= 1 {
        bail!(Value, name, "Expected more than 1 value per channel when training, got input size {:?}", x.size());
    }
    Ok((c, x.size()[2..].iter().product()))
}

/// The dims other than the channels', and the `[1, C, 1, ...]` view of a per-channel tensor.
fn layout_of(x: &Tensor) -> (Vec<isize>, Vec<isize>) {
    let dims = (0..x.dim() as isize).filter(|&d| d != 1).collect();
    let mut view = alloc::vec![1isize; x.dim()];
    view[1] = x.size()[1] as isize;
    (dims, view)
}

#[track_caller]
fn composed_forward(x: &Tensor, w: Option<&Tensor>, b: Option<&Tensor>, eps: f64) -> Result<(Tensor, Tensor, Tensor)> {
    let (dims, view) = layout_of(x);
    let mean = x.mean_dim(&dims, true)?;
    let centered = x.sub(&mean)?;
    let var = centered.mul(&centered)?.mean_dim(&dims, true)?;
    let mut y = centered.mul(&var.add(eps)?.rsqrt()?)?;
    if let Some(w) = w {
        y = y.mul(&w.view(&view)?)?;
    }
    if let Some(b) = b {
        y = y.add(&b.view(&view)?)?;
    }
    Ok((y, mean.reshape(&[-1])?, var.reshape(&[-1])?))
}

#[track_caller]
fn composed_backward(
    g: &Tensor,
    x: &Tensor,
    mean: &Tensor,
    var: &Tensor,
    w: Option<&Tensor>,
    eps: f64,
) -> Result<(Tensor, Tensor, Tensor)> {
    let (dims, view) = layout_of(x);
    let m = (x.numel() / x.size()[1]) as f64;
    let rstd = var.add(eps)?.rsqrt()?.view(&view)?;
    let xhat = x.sub(&mean.view(&view)?)?.mul(&rstd)?;
    let db = g.sum_dim(&dims, true)?;
    let dot = g.mul(&xhat)?.sum_dim(&dims, true)?;
    let k = match w {
        Some(w) => w.view(&view)?.mul(&rstd)?,
        None => rstd,
    };
    let dx = g.sub(&db.div(m)?)?.sub(&xhat.mul(&dot.div(m)?)?)?.mul(&k)?;
    Ok((dx, dot.reshape(&[-1])?, db.reshape(&[-1])?))
}

#[cfg(test)]
mod tests {
    //! The fused CPU kernels against the composed formulas.
    use super::*;
    use crate::DType;
    use proptest::prelude::*;

    fn tensor(shape: &[usize], seed: u64, dtype: DType) -> Tensor {
        let n: usize = shape.iter().product();
        let mut s = seed | 1;
        let v: Vec<f64> = (0..n)
            .map(|_| {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                (s >> 11) as f64 / (1u64 << 53) as f64 * 4.0 - 1.0
            })
            .collect();
        Tensor::from_vec(v, shape).unwrap().to_dtype(dtype).unwrap()
    }

    fn close(a: &Tensor, b: &Tensor, tol: f64, ctx: &str) {
        assert_eq!(a.size(), b.size(), "{ctx}");
        for (i, (x, y)) in a.to_vec::<f64>().unwrap().iter().zip(b.to_vec::<f64>().unwrap()).enumerate() {
            assert!((x - y).abs() <= tol * (1.0 + y.abs()), "{ctx} at {i}: {x} != {y}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 100, rng_algorithm: prop::test_runner::RngAlgorithm::ChaCha, ..ProptestConfig::default() })]

        #[test]
        fn fused_matches_composed(
            n in 1usize..4, c in 1usize..5, spatial in prop::collection::vec(1usize..6, 0..3),
            seed in any::<u64>(), affine in any::<bool>(), dtype in prop::sample::select(vec![DType::F32, DType::F64]),
        ) {
            let mut shape = vec![n, c];
            shape.extend(&spatial);
            prop_assume!(shape.iter().product::<usize>() / c > 1);
            let x = tensor(&shape, seed, dtype);
            let g = tensor(&shape, seed ^ 5, dtype);
            let (w, b) = (tensor(&[c], seed ^ 7, dtype), tensor(&[c], seed ^ 9, dtype));
            let (w, b) = if affine { (Some(&w), Some(&b)) } else { (None, None) };
            let tol = if dtype == DType::F32 { 5e-5 } else { 1e-10 };
            let (y, mean, var) = x.batch_norm_train(w, b, 1e-5).unwrap();
            let (y2, mean2, var2) = composed_forward(&x, w, b, 1e-5).unwrap();
            close(&y, &y2, tol, "y");
            close(&mean, &mean2, tol, "mean");
            close(&var, &var2, tol, "var");
            let (dx, dw, db) = Tensor::batch_norm_train_backward(&g, &x, &mean, &var, w, 1e-5).unwrap();
            let (dx2, dw2, db2) = composed_backward(&g, &x, &mean, &var, w, 1e-5).unwrap();
            close(&dx, &dx2, tol * 10.0, "dx");
            close(&dw, &dw2, tol * 10.0, "dw");
            close(&db, &db2, tol * 10.0, "db");
        }
    }

    #[test]
    fn refuses_bad_arguments() {
        let x = tensor(&[2, 3, 4], 1, DType::F32);
        let w = tensor(&[4], 2, DType::F32);
        let e = x.batch_norm_train(Some(&w), None, 1e-5).unwrap_err().to_string();
        assert!(e.contains("batch_norm") && e.contains("[3]") && e.contains("[4]"), "{e}");
        let one = tensor(&[1, 3], 3, DType::F32);
        assert!(one.batch_norm_train(None, None, 1e-5).unwrap_err().to_string().contains("more than 1 value"));
    }
}
