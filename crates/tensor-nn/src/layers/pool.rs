//! Pooling layers: `MaxPool2d`, `AvgPool2d`, `AdaptiveAvgPool2d`.

use super::conv::Pair;
use crate::{Entry, EntryMut, Module, Visit};
use tensor_autograd::Var;
use tensor_core::Result;

/// Max pooling, as `nn.MaxPool2d(kernel_size, stride=kernel_size, padding=0, dilation=1, ceil_mode=False)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaxPool2d {
    /// Window size.
    pub kernel: [usize; 2],
    /// Step (defaults to the window size).
    pub stride: [usize; 2],
    /// Implicit -inf padding on each side.
    pub padding: [usize; 2],
    /// Spacing of window taps.
    pub dilation: [usize; 2],
    /// Round the output size up.
    pub ceil_mode: bool,
}

impl MaxPool2d {
    /// A window of `kernel` with stride `kernel`.
    pub fn new(kernel: impl Into<Pair>) -> MaxPool2d {
        let k = kernel.into().0;
        MaxPool2d { kernel: k, stride: k, padding: [0, 0], dilation: [1, 1], ceil_mode: false }
    }
}

/// Average pooling, as `nn.AvgPool2d(kernel_size, stride=kernel_size, padding=0, ceil_mode=False, count_include_pad=True)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AvgPool2d {
    /// Window size.
    pub kernel: [usize; 2],
    /// Step.
    pub stride: [usize; 2],
    /// Zero padding on each side.
    pub padding: [usize; 2],
    /// Round the output size up.
    pub ceil_mode: bool,
    /// Count padding zeros in the average.
    pub count_include_pad: bool,
}

impl AvgPool2d {
    /// A window of `kernel` with stride `kernel`.
    pub fn new(kernel: impl Into<Pair>) -> AvgPool2d {
        let k = kernel.into().0;
        AvgPool2d { kernel: k, stride: k, padding: [0, 0], ceil_mode: false, count_include_pad: true }
    }
}

/// Average pooling to a fixed output size, as `nn.AdaptiveAvgPool2d(output_size)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdaptiveAvgPool2d {
    /// Output height and width.
    pub output_size: [usize; 2],
}

impl AdaptiveAvgPool2d {
    /// Pools to `output_size`.
    pub fn new(output_size: impl Into<Pair>) -> AdaptiveAvgPool2d {
        AdaptiveAvgPool2d { output_size: output_size.into().0 }
    }
}

macro_rules! stateless {
    ($($t:ty),*) => {$(
        impl Visit for $t {
            fn visit(&self, _: &mut dyn FnMut(&str, Entry<'_>)) {}
            fn visit_mut(&mut self, _: &mut dyn FnMut(&str, EntryMut<'_>)) {}
        }
    )*};
}
pub(crate) use stateless;
stateless!(MaxPool2d, AvgPool2d, AdaptiveAvgPool2d);

impl Module for MaxPool2d {
    #[track_caller]
    fn forward(&self, x: &Var) -> Result<Var> {
        x.max_pool2d(self.kernel, self.stride, self.padding, self.dilation, self.ceil_mode)
    }
}
impl Module for AvgPool2d {
    #[track_caller]
    fn forward(&self, x: &Var) -> Result<Var> {
        x.avg_pool2d(self.kernel, self.stride, self.padding, self.ceil_mode, self.count_include_pad)
    }
}
impl Module for AdaptiveAvgPool2d {
    #[track_caller]
    fn forward(&self, x: &Var) -> Result<Var> {
        x.adaptive_avg_pool2d(self.output_size)
    }
}
