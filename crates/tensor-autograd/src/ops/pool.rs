//! Max, average and adaptive average pooling with their own backward. Each backward is a
//! recorded op as well (max pooling's gathers from the argmax positions, the average poolings'
//! are linear), so double backward through pooling works.

use crate::node::Var;
use crate::var::Saved;
use tensor_core::ops::pool::{adaptive_avg_pool2d_backward, avg_pool2d_backward, max_pool2d_backward};
use tensor_core::Result;

impl Var {
    /// Max pooling, as `F.max_pool2d`; the gradient goes to each window's maximum.
    #[track_caller]
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
    #[track_caller]
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
    #[track_caller]
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
