//! Convolution with its own backward. Its two gradients are themselves recorded ops (each
//! bilinear in its inputs), so double backward through `conv2d` works.

use crate::node::Var;
use crate::var::Saved;
use tensor_core::ops::conv::{conv2d_backward_input, conv2d_backward_weight, Conv2dParams};
use tensor_core::Result;

fn hw(v: &Var) -> [usize; 2] {
    let s = v.size();
    [s[s.len() - 2], s[s.len() - 1]]
}

impl Var {
    /// 2-d convolution of an NCHW input, as `F.conv2d(x, weight, bias, stride, padding,
    /// dilation, groups)`.
    pub fn conv2d(&self, weight: &Var, bias: Option<&Var>, params: Conv2dParams) -> Result<Var> {
        let value = self.tensor_ref().conv2d(weight.tensor_ref(), bias.map(Var::tensor_ref), params)?;
        let mut inputs = vec![self, weight];
        if let Some(b) = bias {
            inputs.push(b);
        }
        let saved = vec![Saved::Var(self.clone()), Saved::Var(weight.clone())];
        Ok(Var::record(value, "ConvolutionBackward0", &inputs, saved, move |ctx| {
            let (g, x, w) = (ctx.grad(), ctx.saved(0), ctx.saved(1));
            let gx = if ctx.needs(0) { Some(g.conv2d_input_grad(w, hw(x), params)?) } else { None };
            let gw = if ctx.needs(1) { Some(g.conv2d_weight_grad(x, hw(w), params)?) } else { None };
            let mut out = vec![gx, gw];
            if ctx.needs.len() > 2 {
                let batched = g.dim() == 4;
                out.push(if ctx.needs(2) {
                    Some(g.sum_dim(if batched { &[0, 2, 3] } else { &[1, 2] }, false)?)
                } else {
                    None
                });
            }
            Ok(out)
        }))
    }

    /// The input gradient of a convolution: `self` is the output gradient.
    fn conv2d_input_grad(&self, weight: &Var, input_hw: [usize; 2], params: Conv2dParams) -> Result<Var> {
        let value = conv2d_backward_input(self.tensor_ref(), weight.tensor_ref(), input_hw, params)?;
        let saved = vec![Saved::Var(self.clone()), Saved::Var(weight.clone())];
        Ok(Var::record(value, "ConvolutionBackwardBackward0", &[self, weight], saved, move |ctx| {
            // gx = convT(g, w): <ggx, gx> = <conv(ggx, w), g> = <corr(g, ggx), w>.
            let (ggx, g, w) = (ctx.grad(), ctx.saved(0), ctx.saved(1));
            let dg = if ctx.needs(0) { Some(ggx.conv2d(w, None, params)?) } else { None };
            let dw = if ctx.needs(1) { Some(g.conv2d_weight_grad(ggx, hw(w), params)?) } else { None };
            Ok(vec![dg, dw])
        }))
    }

    /// The weight gradient of a convolution: `self` is the output gradient.
    fn conv2d_weight_grad(&self, input: &Var, weight_hw: [usize; 2], params: Conv2dParams) -> Result<Var> {
        let value = conv2d_backward_weight(self.tensor_ref(), input.tensor_ref(), weight_hw, params)?;
        let saved = vec![Saved::Var(self.clone()), Saved::Var(input.clone())];
        Ok(Var::record(value, "ConvolutionBackwardBackward0", &[self, input], saved, move |ctx| {
            // gw = corr(g, x): <ggw, gw> = <conv(x, ggw), g> = <convT(g, ggw), x>.
            let (ggw, g, x) = (ctx.grad(), ctx.saved(0), ctx.saved(1));
            let dg = if ctx.needs(0) { Some(x.conv2d(ggw, None, params)?) } else { None };
            let dx = if ctx.needs(1) { Some(g.conv2d_input_grad(ggw, hw(x), params)?) } else { None };
            Ok(vec![dg, dx])
        }))
    }
}
