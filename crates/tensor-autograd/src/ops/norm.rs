//! Layer norm as one recorded op (`NativeLayerNormBackward0`), as PyTorch records it:
//! tensor-core's fused kernels forward and backward, and when the backward is itself recorded
//! (`create_graph`), the same gradients composed from differentiable ops.

use crate::node::Var;
use crate::var::Saved;
use tensor_core::{Result, Tensor};

impl Var {
    /// Layer norm over the trailing `normalized_shape` dims, with an optional elementwise
    /// `weight` and `bias` of that shape, as `F.layer_norm(x, normalized_shape, weight, bias,
    /// eps)`.
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
