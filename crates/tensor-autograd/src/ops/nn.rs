//! Convolution and pooling with their own backward. Convolution's two gradients are themselves
//! recorded ops (each bilinear in its inputs), so double backward through `conv2d` works.

use crate::var::{Saved, Var};
use tensor_core::ops::conv::{conv2d_backward_input, conv2d_backward_weight, Conv2dParams};
use tensor_core::ops::pool::{adaptive_avg_pool2d_backward, avg_pool2d_backward, max_pool2d_backward};
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

    /// Max pooling, as `F.max_pool2d`; the gradient goes to each window's maximum.
    pub fn max_pool2d(
        &self,
        kernel: [usize; 2],
        stride: [usize; 2],
        padding: [usize; 2],
        dilation: [usize; 2],
        ceil_mode: bool,
    ) -> Result<Var> {
        let (value, indices) =
            self.tensor_ref().max_pool2d_with_indices(kernel, stride, padding, dilation, ceil_mode)?;
        let shape: Vec<usize> = self.size().to_vec();
        let idx = Var::constant(indices);
        Ok(Var::record(value, "MaxPool2DWithIndicesBackward0", &[self], vec![Saved::Var(idx)], move |ctx| {
            let (g, idx) = (ctx.grad(), ctx.saved(0).tensor());
            let gx = max_pool2d_backward(g.tensor_ref(), &idx, &shape, kernel, stride, padding, dilation, ceil_mode)?;
            Ok(vec![Some(Var::record(
                gx,
                "MaxPool2DWithIndicesBackwardBackward0",
                &[g],
                vec![Saved::Var(Var::constant(idx.shallow_clone()))],
                |c| {
                    // The adjoint of scattering to the argmax positions is gathering from them.
                    let (gg, idx) = (c.grad(), c.saved(0).tensor());
                    let flat_idx = idx.flatten(-2, -1)?;
                    let picked = gg.flatten(-2, -1)?.gather(-1, &flat_idx)?;
                    Ok(vec![Some(picked.reshape(&idx.size().iter().map(|&d| d as isize).collect::<Vec<_>>())?)])
                },
            ))])
        }))
    }

    /// Average pooling, as `F.avg_pool2d`.
    pub fn avg_pool2d(
        &self,
        kernel: [usize; 2],
        stride: [usize; 2],
        padding: [usize; 2],
        ceil_mode: bool,
        count_include_pad: bool,
    ) -> Result<Var> {
        let value = self.tensor_ref().avg_pool2d(kernel, stride, padding, ceil_mode, count_include_pad)?;
        let shape: Vec<usize> = self.size().to_vec();
        Ok(Var::record(value, "AvgPool2DBackward0", &[self], vec![], move |ctx| {
            let g = ctx.grad();
            let gx =
                avg_pool2d_backward(g.tensor_ref(), &shape, kernel, stride, padding, ceil_mode, count_include_pad)?;
            // Linear: the adjoint of the backward is the forward.
            Ok(vec![Some(Var::record(gx, "AvgPool2DBackwardBackward0", &[g], vec![], move |c| {
                Ok(vec![Some(c.grad().avg_pool2d(kernel, stride, padding, ceil_mode, count_include_pad)?)])
            }))])
        }))
    }

    /// Adaptive average pooling to `output_size`, as `F.adaptive_avg_pool2d`.
    pub fn adaptive_avg_pool2d(&self, output_size: [usize; 2]) -> Result<Var> {
        let value = self.tensor_ref().adaptive_avg_pool2d(output_size)?;
        let shape: Vec<usize> = self.size().to_vec();
        Ok(Var::record(value, "AdaptiveAvgPool2DBackward0", &[self], vec![], move |ctx| {
            let g = ctx.grad();
            let gx = adaptive_avg_pool2d_backward(g.tensor_ref(), &shape)?;
            Ok(vec![Some(Var::record(gx, "AdaptiveAvgPool2DBackwardBackward0", &[g], vec![], move |c| {
                Ok(vec![Some(c.grad().adaptive_avg_pool2d(output_size)?)])
            }))])
        }))
    }
}
