//! Layer norm and batch norm's training step as one recorded op each
//! (`NativeLayerNormBackward0`, `NativeBatchNormBackward0`), as PyTorch records them:
//! tensor-core's fused kernels forward and backward, and when the backward is itself recorded
//! (`create_graph`), the same gradients composed from differentiable ops.

use crate::node::Var;
use crate::var::Saved;
use tensor_core::{Result, Tensor};

impl Var {
    /// Layer norm over the trailing `normalized_shape` dims, with an optional elementwise
    /// `weight` and `bias` of that shape, as `F.layer_norm(x, normalized_shape, weight, bias,
    /// eps)`.
    #[track_caller]
    pub fn layer_norm(
        &self,
        normalized_shape: &[usize],
        weight: Option<&Var>,
        bias: Option<&Var>,
        eps: f64,
    ) -> Result<Var> {
        let (y, mean, rstd) = self.tensor_ref().native_layer_norm(
            normalized_shape,
            weight.map(Var::tensor_ref),
            bias.map(Var::tensor_ref),
            eps,
        )?;
        let mut inputs = vec![self];
        inputs.extend(weight);
        inputs.extend(bias);
        let mut saved = vec![Saved::Var(self.clone())];
        saved.extend(weight.map(|w| Saved::Var(w.clone())));
        let (has_w, has_b) = (weight.is_some(), bias.is_some());
        let shape = normalized_shape.to_vec();
        Ok(Var::record(y, "NativeLayerNormBackward0", &inputs, saved, move |ctx| {
            let (g, x) = (ctx.grad(), ctx.saved(0));
            let w = has_w.then(|| ctx.saved(1));
            let b_index = 1 + has_w as usize;
            let bias_grad = has_b && ctx.needs(b_index);
            let (dx, dw, db) = if crate::is_grad_enabled() {
                composed_backward(g, x, w, &shape, eps, bias_grad)?
            } else {
                let (dx, dw, db) = Tensor::layer_norm_backward(
                    g.tensor_ref(),
                    x.tensor_ref(),
                    &mean,
                    &rstd,
                    &shape,
                    w.map(Var::tensor_ref),
                    bias_grad,
                )?;
                (Var::constant(dx), dw.map(Var::constant), db.map(Var::constant))
            };
            let mut grads = vec![Some(dx)];
            if has_w {
                grads.push(dw);
            }
            if has_b {
                grads.push(db);
            }
            Ok(grads)
        }))
    }
}

/// The gradients from differentiable ops (the statistics recomputed from `x`, so that they are
/// differentiated too): `dx = rstd (g w - mean(g w) - xhat mean(g w xhat))`, `dw = sum(g xhat)`,
/// `db = sum(g)` over the leading dims.
#[track_caller]
fn composed_backward(
    g: &Var,
    x: &Var,
    w: Option<&Var>,
    shape: &[usize],
    eps: f64,
    bias_grad: bool,
) -> Result<(Var, Option<Var>, Option<Var>)> {
    let rank = x.dim();
    let dims: Vec<isize> = (rank - shape.len()..rank).map(|d| d as isize).collect();
    let lead: Vec<isize> = (0..(rank - shape.len()) as isize).collect();
    let mean = x.mean_dim(&dims, true)?;
    let centered = x.sub(&mean)?;
    let rstd = centered.square()?.mean_dim(&dims, true)?.add(eps)?.rsqrt()?;
    let xhat = centered.mul(&rstd)?;
    let gw = match w {
        Some(w) => g.mul(w)?,
        None => g.clone(),
    };
    let a = gw.mean_dim(&dims, true)?;
    let b = gw.mul(&xhat)?.mean_dim(&dims, true)?;
    let dx = gw.sub(&a)?.sub(&xhat.mul(&b)?)?.mul(&rstd)?;
    // No leading dims: nothing to sum (`sum_dim(&[])` would sum everything).
    let sum_leading = |t: Var| if lead.is_empty() { Ok(t) } else { t.sum_dim(&lead, false) };
    let dw = match w {
        Some(_) => Some(sum_leading(g.mul(&xhat)?)?),
        None => None,
    };
    let db = if bias_grad { Some(sum_leading(g.clone())?) } else { None };
    Ok((dx, dw, db))
}

impl Var {
    /// Batch norm with batch statistics (training mode) over the channels (dim 1) of an `[N, C,
    /// *]` input, as one recorded op (`NativeBatchNormBackward0`): the result, and each
    /// channel's mean and biased variance (for the caller's running statistics).
    #[track_caller]
    pub fn batch_norm_train(
        &self,
        weight: Option<&Var>,
        bias: Option<&Var>,
        eps: f64,
    ) -> Result<(Var, Tensor, Tensor)> {
        let (y, mean, var) =
            self.tensor_ref().batch_norm_train(weight.map(Var::tensor_ref), bias.map(Var::tensor_ref), eps)?;
        let mut inputs = vec![self];
        inputs.extend(weight);
        inputs.extend(bias);
        let mut saved = vec![Saved::Var(self.clone())];
        saved.extend(weight.map(|w| Saved::Var(w.clone())));
        let (has_w, has_b) = (weight.is_some(), bias.is_some());
        let (m, v) = (mean.shallow_clone(), var.shallow_clone());
        let out = Var::record(y, "NativeBatchNormBackward0", &inputs, saved, move |ctx| {
            let (g, x) = (ctx.grad(), ctx.saved(0));
            let w = has_w.then(|| ctx.saved(1));
            let (dx, dw, db) = if crate::is_grad_enabled() {
                composed_batch_norm_backward(g, x, w, eps)?
            } else {
                let (dx, dw, db) = Tensor::batch_norm_train_backward(
                    g.tensor_ref(),
                    x.tensor_ref(),
                    &m,
                    &v,
                    w.map(Var::tensor_ref),
                    eps,
                )?;
                (Var::constant(dx), Var::constant(dw), Var::constant(db))
            };
            let mut grads = vec![Some(dx)];
            if has_w {
                grads.push(Some(dw));
            }
            if has_b {
                grads.push(Some(db));
            }
            Ok(grads)
        });
        Ok((out, mean, var))
    }
}

/// Batch norm's gradients from differentiable ops, the statistics recomputed from `x`.
#[track_caller]
fn composed_batch_norm_backward(g: &Var, x: &Var, w: Option<&Var>, eps: f64) -> Result<(Var, Var, Var)> {
    let dims: Vec<isize> = (0..x.dim() as isize).filter(|&d| d != 1).collect();
    let mut view = vec![1isize; x.dim()];
    view[1] = x.size()[1] as isize;
    let m = (x.numel() / x.size()[1]) as f64;
    let mean = x.mean_dim(&dims, true)?;
    let centered = x.sub(&mean)?;
    let rstd = centered.square()?.mean_dim(&dims, true)?.add(eps)?.rsqrt()?;
    let xhat = centered.mul(&rstd)?;
    let db = g.sum_dim(&dims, true)?;
    let dot = g.mul(&xhat)?.sum_dim(&dims, true)?;
    let k = match w {
        Some(w) => w.view(&view)?.mul(&rstd)?,
        None => rstd,
    };
    let dx = g.sub(&db.div(m)?)?.sub(&xhat.mul(&dot.div(m)?)?)?.mul(&k)?;
    Ok((dx, dot.reshape(&[-1])?, db.reshape(&[-1])?))
}
