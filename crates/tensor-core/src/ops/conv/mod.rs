//! 2-d convolution (`conv2d` with stride, padding, dilation, groups, bias) and its gradients,
//! `unfold` (im2col) and `fold` (col2im).

pub(crate) mod cpu;
