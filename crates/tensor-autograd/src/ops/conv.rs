//! Convolution with its own backward. Its two gradients are themselves recorded ops (each
//! bilinear in its inputs), so double backward through `conv2d` works. `conv_transpose2d` is
//! one recorded op whose backward is made of the same three (its input gradient is `conv2d`,
//! its weight gradient `conv2d`'s weight gradient with the roles of input and output gradient
//! swapped); `conv1d` is one op too, its gradients `conv2d`'s over a unit height.

use crate::node::Var;
use crate::var::Saved;
use tensor_core::ops::conv::{
    conv2d_backward_input, conv2d_backward_weight, Conv1dParams, Conv2dParams, ConvTranspose2dParams,
};
use tensor_core::{PadMode, Result};

fn hw(v: &Var) -> [usize; 2] {
    last2(v.size())
}

fn last2(s: &[usize]) -> [usize; 2] {
    [s[s.len() - 2], s[s.len() - 1]]
}

impl Var {
    /// 2-d convolution of an NCHW input, as `F.conv2d(x, weight, bias, stride, padding,
    /// dilation, groups)`.
    #[track_caller]
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

    /// 1-d convolution of an NCL (or CL) input with `weight` (`[out_channels, in_channels /
    /// groups, k]`), as `F.conv1d(x, weight, bias, stride, padding, dilation, groups)`. One
    /// recorded op (`ConvolutionBackward0`, as PyTorch), whose gradients are `conv2d`'s over a
    /// unit height.
    #[track_caller]
    pub fn conv1d(&self, weight: &Var, bias: Option<&Var>, params: Conv1dParams) -> Result<Var> {
        let value = self.tensor_ref().conv1d(weight.tensor_ref(), bias.map(Var::tensor_ref), params)?;
        let mut inputs = vec![self, weight];
        if let Some(b) = bias {
            inputs.push(b);
        }
        let saved = vec![Saved::Var(self.clone()), Saved::Var(weight.clone())];
        let p = params.to_2d();
        Ok(Var::record(value, "ConvolutionBackward0", &inputs, saved, move |ctx| {
            // The 2-d gradients of the unit-height views, viewed back.
            let (g, x, w) = (ctx.grad(), ctx.saved(0), ctx.saved(1));
            let h = g.dim() as isize - 1;
            let (g2, x2, w2) = (g.unsqueeze(h)?, x.unsqueeze(h)?, w.unsqueeze(2)?);
            let gx = if ctx.needs(0) { Some(g2.conv2d_input_grad(&w2, hw(&x2), p)?.squeeze_dim(h)?) } else { None };
            let gw = if ctx.needs(1) { Some(g2.conv2d_weight_grad(&x2, hw(&w2), p)?.squeeze_dim(2)?) } else { None };
            let mut out = vec![gx, gw];
            if ctx.needs.len() > 2 {
                let batched = g.dim() == 3;
                out.push(if ctx.needs(2) {
                    Some(g.sum_dim(if batched { &[0, 2] } else { &[1] }, false)?)
                } else {
                    None
                });
            }
            Ok(out)
        }))
    }

    /// Transposed 2-d convolution of an NCHW (or CHW) input with `weight` (`[in_channels,
    /// out_channels / groups, kh, kw]`), as `F.conv_transpose2d(x, weight, bias, stride,
    /// padding, output_padding, groups, dilation)`. One recorded op, `ConvolutionBackward0` as
    /// PyTorch names it.
    #[track_caller]
    pub fn conv_transpose2d(&self, weight: &Var, bias: Option<&Var>, params: ConvTranspose2dParams) -> Result<Var> {
        let value = self.tensor_ref().conv_transpose2d(weight.tensor_ref(), bias.map(Var::tensor_ref), params)?;
        let conv = params.as_conv();
        // The conv2d that this op is the input gradient of maps the output onto the input's
        // size, or one more row / column when output_padding >= stride: the op is recorded on
        // the input padded to that size (the extra rows are zeros, their gradient dropped).
        let covered = params.covered_input(last2(value.size()), hw(weight)).unwrap_or(hw(self));
        let x = if covered == hw(self) {
            self.clone()
        } else {
            let [h, w] = hw(self);
            self.pad(&[0, covered[1] - w, 0, covered[0] - h], PadMode::Constant(0.0))?
        };
        let mut inputs = vec![&x, weight];
        if let Some(b) = bias {
            inputs.push(b);
        }
        let saved = vec![Saved::Var(x.clone()), Saved::Var(weight.clone())];
        Ok(Var::record(value, "ConvolutionBackward0", &inputs, saved, move |ctx| {
            // y = convT(x, w): <y, g> = <x, conv(g, w)>, whose weight gradient is corr(x, g).
            let (g, x, w) = (ctx.grad(), ctx.saved(0), ctx.saved(1));
            let gx = if ctx.needs(0) { Some(g.conv2d(w, None, conv)?) } else { None };
            let gw = if ctx.needs(1) { Some(x.conv2d_weight_grad(g, hw(w), conv)?) } else { None };
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
    #[track_caller]
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
    #[track_caller]
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
