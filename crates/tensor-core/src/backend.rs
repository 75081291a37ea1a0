//! The device plug-in: [`BackendDevice`] and [`BackendStorage`], object-safe traits that the CPU
//! ([`crate::cpu::CpuStorage`]) and external crates (tensor-cuda) implement, plus the op
//! descriptors they take. One dynamic call per op, never per element.
//!
//! Conventions for every method:
//! - Layouts given with a source are already checked and broadcast by tensor-core (a stride of 0
//!   repeats); the kernel never has to validate shapes, only dtypes and devices.
//! - Results are new contiguous storages; `*_inplace` / `*_into` write through `dst_layout`.
//! - Sources given together with `&mut self` never alias `self` (tensor-core copies first).
//! - Every method not implemented returns an [`ErrorKind::Unsupported`] error by default,
//!   so a backend can grow op by op and new ops never break an existing backend.

use crate::cpu::CpuStorage;
use crate::{DType, Error, ErrorKind, Layout, Result, Scalar};
use alloc::boxed::Box;
use alloc::string::String;
use core::any::Any;
use core::fmt;

/// An elementwise op on one tensor whose result has the input's dtype.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum UnaryOp {
    /// `-x` (wrapping for integers).
    Neg,
    /// `|x|`.
    Abs,
    /// -1, 0 or 1 (+0.0 for NaN and -0.0, as PyTorch).
    Sign,
    /// `e^x`.
    Exp,
    /// `2^x`.
    Exp2,
    /// Natural logarithm.
    Log,
    /// Base-2 logarithm.
    Log2,
    /// `ln(1 + x)`, accurate near 0.
    Log1p,
    /// `e^x - 1`, accurate near 0.
    Expm1,
    /// Square root.
    Sqrt,
    /// `1 / sqrt(x)`.
    Rsqrt,
    /// Sine.
    Sin,
    /// Cosine.
    Cos,
    /// Tangent.
    Tan,
    /// Hyperbolic tangent.
    Tanh,
    /// `1 / (1 + e^-x)`.
    Sigmoid,
    /// `max(x, 0)`, keeping NaN.
    Relu,
    /// Exact GELU, `x * Φ(x)`.
    Gelu,
    /// GELU's tanh approximation.
    GeluTanh,
    /// `x * sigmoid(x)`.
    Silu,
    /// `ln(1 + e^(beta x)) / beta`, and `x` itself where `beta x > threshold`.
    Softplus {
        /// The sharpness.
        beta: f64,
        /// Above this `beta x`, the identity.
        threshold: f64,
    },
    /// Round down.
    Floor,
    /// Round up.
    Ceil,
    /// Round half to even, as `torch.round`.
    Round,
    /// Round toward zero.
    Trunc,
    /// `1 / x`.
    Reciprocal,
    /// `x * x`.
    Square,
    /// The error function.
    Erf,
    /// `x` limited to `[min, max]` (either bound may be absent).
    Clamp {
        /// The lower bound.
        min: Option<f64>,
        /// The upper bound.
        max: Option<f64>,
    },
    /// NaN, +inf and -inf replaced by the given values.
    NanToNum {
        /// What NaN becomes.
        nan: f64,
        /// What +inf becomes.
        posinf: f64,
        /// What -inf becomes.
        neginf: f64,
    },
    /// `x` where positive, else `slope * x`.
    LeakyRelu {
        /// The negative slope.
        slope: f64,
    },
}

impl UnaryOp {
    /// True when the op needs a float input (an integer input is cast to the default float).
    pub fn needs_float(self) -> bool {
        !matches!(
            self,
            UnaryOp::Neg
                | UnaryOp::Abs
                | UnaryOp::Sign
                | UnaryOp::Relu
                | UnaryOp::Square
                | UnaryOp::Clamp { .. }
                | UnaryOp::Floor
                | UnaryOp::Ceil
                | UnaryOp::Round
                | UnaryOp::Trunc
                | UnaryOp::NanToNum { .. }
        )
    }
}

/// An elementwise test whose result is Bool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestOp {
    /// `x != x`.
    IsNan,
    /// `x` is +inf or -inf.
    IsInf,
    /// Neither NaN nor infinite.
    IsFinite,
    /// `x == 0`, as `logical_not`.
    IsZero,
}

/// An elementwise op on two tensors of the same dtype whose result has that dtype.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    /// `a + b` (wrapping for integers; OR for bool).
    Add,
    /// `a - b`.
    Sub,
    /// `a * b` (AND for bool).
    Mul,
    /// True division for floats; truncating for integers (tensor-core promotes first).
    Div,
    /// Division rounded down, as `rounding_mode="floor"`.
    FloorDiv,
    /// `a ** b`.
    Pow,
    /// The larger of the two (NaN propagates).
    Maximum,
    /// The smaller of the two (NaN propagates).
    Minimum,
    /// Python's modulo: the result has the sign of the divisor.
    Remainder,
    /// `atan(a / b)` in the right quadrant.
    Atan2,
    /// Bool inputs only.
    LogicalAnd,
    /// Bool inputs only.
    LogicalOr,
    /// Bool inputs only.
    LogicalXor,
}

/// A comparison of two tensors of the same dtype; the result is Bool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `a == b`.
    Eq,
    /// `a != b`.
    Ne,
    /// `a < b`.
    Lt,
    /// `a <= b`.
    Le,
    /// `a > b`.
    Gt,
    /// `a >= b`.
    Ge,
}

/// A reduction over some dims.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReduceOp {
    /// Sum, in the input dtype.
    Sum,
    /// Product, in the input dtype.
    Prod,
    /// Largest value (NaN propagates).
    Max,
    /// Smallest value (NaN propagates).
    Min,
    /// Index (I64) of the first largest value along a single dim.
    ArgMax,
    /// Index (I64) of the first smallest value along a single dim.
    ArgMin,
    /// Bool: any element nonzero.
    Any,
    /// Bool: all elements nonzero.
    All,
}

/// A running reduction along one dim, keeping the shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanOp {
    /// Running sum.
    CumSum,
    /// Running product.
    CumProd,
}

/// Geometry of a 2-d convolution, pooling window or im2col.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Conv2dGeometry {
    /// Batch size.
    pub batch: usize,
    /// Input channels (all groups).
    pub in_channels: usize,
    /// Input height and width.
    pub in_hw: [usize; 2],
    /// Kernel height and width.
    pub kernel: [usize; 2],
    /// Stride.
    pub stride: [usize; 2],
    /// Zero padding on each side.
    pub padding: [usize; 2],
    /// Dilation.
    pub dilation: [usize; 2],
    /// Output height and width.
    pub out_hw: [usize; 2],
}

/// What a `scatter` does with the values it writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScatterReduce {
    /// Overwrite.
    Replace,
    /// Add into the destination.
    Add,
}

/// A device of an external backend (e.g. `cuda:0`).
pub trait BackendDevice: Send + Sync + fmt::Debug {
    /// Its name as PyTorch prints it: `cuda:0`.
    fn name(&self) -> String;
    /// Whether `other` is the same device.
    fn same_device(&self, other: &dyn BackendDevice) -> bool {
        self.name() == other.name()
    }
    /// A storage of `numel` zeros.
    fn zeros(&self, dtype: DType, numel: usize) -> Result<Box<dyn BackendStorage>>;
    /// A storage of `numel` elements whose values will all be written before they are read.
    fn uninit(&self, dtype: DType, numel: usize) -> Result<Box<dyn BackendStorage>> {
        self.zeros(dtype, numel)
    }
    /// Copies a host storage to the device.
    fn upload(&self, src: &CpuStorage) -> Result<Box<dyn BackendStorage>>;
    /// Philox4x32-10 uniform numbers in [0, 1) (`normal`: standard normal instead) for `numel`
    /// elements of `dtype` from `seed` and counter `offset`, the same numbers as the CPU gives.
    fn random(
        &self,
        dtype: DType,
        numel: usize,
        seed: u64,
        offset: u64,
        normal: bool,
    ) -> Result<Box<dyn BackendStorage>> {
        let _ = (dtype, numel, seed, offset, normal);
        Err(unsupported(&self.name(), "random"))
    }
    /// Waits for all queued work.
    fn synchronize(&self) -> Result<()> {
        Ok(())
    }
}

/// The error a backend returns for an op it does not implement.
pub fn unsupported(backend: &str, op: &'static str) -> Error {
    Error::new(ErrorKind::Unsupported, op, alloc::format!("not supported by the {backend} backend"))
}

macro_rules! unsupported_default {
    ($self:ident, $op:literal $(, $arg:ident)*) => {{
        $(let _ = $arg;)*
        Err(unsupported(&$self.backend_name(), $op))
    }};
}

/// The elements of one tensor storage on some device: the ops every backend provides.
#[allow(clippy::too_many_arguments)]
pub trait BackendStorage: Send + Sync + fmt::Debug + Any {
    /// For downcasting to the concrete storage (the CPU's [`CpuStorage`]).
    fn as_any(&self) -> &dyn Any;
    /// For downcasting to the concrete storage.
    fn as_any_mut(&mut self) -> &mut dyn Any;
    /// The backend's name in error messages (`cpu`, `cuda:0`).
    fn backend_name(&self) -> String;
    /// The dtype of the elements.
    fn dtype(&self) -> DType;
    /// Number of elements.
    fn len(&self) -> usize;
    /// True when it holds no element.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Copies the elements under `layout` into a new contiguous host storage.
    fn to_cpu(&self, layout: &Layout) -> Result<CpuStorage>;
    /// The elements under `layout`, converted to `dtype`, as a new contiguous storage.
    fn cast(&self, layout: &Layout, dtype: DType) -> Result<Box<dyn BackendStorage>>;
    /// `self[dst_layout] = src[src_layout]` (same dtype, same shape after broadcasting).
    fn copy_from(&mut self, dst_layout: &Layout, src: &dyn BackendStorage, src_layout: &Layout) -> Result<()>;
    /// `self[layout] = value`.
    fn fill(&mut self, layout: &Layout, value: Scalar) -> Result<()>;

    /// `op(self[layout])` as a new storage.
    fn unary(&self, layout: &Layout, op: UnaryOp) -> Result<Box<dyn BackendStorage>>;
    /// `self[layout] = op(self[layout])`.
    fn unary_inplace(&mut self, layout: &Layout, op: UnaryOp) -> Result<()>;
    /// `test(self[layout])` as a new Bool storage.
    fn test(&self, layout: &Layout, op: TestOp) -> Result<Box<dyn BackendStorage>>;
    /// `self[layout] op rhs[rhs_layout]` as a new storage (layouts of equal shape).
    fn binary(
        &self,
        layout: &Layout,
        rhs: &dyn BackendStorage,
        rhs_layout: &Layout,
        op: BinaryOp,
    ) -> Result<Box<dyn BackendStorage>>;
    /// `self[layout] = self[layout] op rhs[rhs_layout]`.
    fn binary_inplace(
        &mut self,
        layout: &Layout,
        rhs: &dyn BackendStorage,
        rhs_layout: &Layout,
        op: BinaryOp,
    ) -> Result<()>;
    /// `self[layout] op s` for a number `s` (already of this storage's dtype's kind), contiguous;
    /// `None` when the backend has no scalar kernel (the caller then makes a 0-d tensor of `s`).
    fn binary_scalar(&self, layout: &Layout, s: Scalar, op: BinaryOp) -> Option<Result<Box<dyn BackendStorage>>> {
        let _ = (layout, s, op);
        None
    }
    /// `self[layout] = self[layout] op s`; `None` as for [`binary_scalar`](Self::binary_scalar).
    fn binary_scalar_inplace(&mut self, layout: &Layout, s: Scalar, op: BinaryOp) -> Option<Result<()>> {
        let _ = (layout, s, op);
        None
    }
    /// `self[dst_layout] = lhs[lhs_layout] op rhs[rhs_layout]`.
    fn binary_into(
        &mut self,
        dst_layout: &Layout,
        lhs: &dyn BackendStorage,
        lhs_layout: &Layout,
        rhs: &dyn BackendStorage,
        rhs_layout: &Layout,
        op: BinaryOp,
    ) -> Result<()>;
    /// `self[layout] cmp rhs[rhs_layout]` as a new Bool storage.
    fn cmp(
        &self,
        layout: &Layout,
        rhs: &dyn BackendStorage,
        rhs_layout: &Layout,
        op: CmpOp,
    ) -> Result<Box<dyn BackendStorage>>;
    /// `cond ? on_true : on_false` where `self` is the Bool condition (layouts of equal shape).
    fn where_cond(
        &self,
        layout: &Layout,
        on_true: &dyn BackendStorage,
        true_layout: &Layout,
        on_false: &dyn BackendStorage,
        false_layout: &Layout,
    ) -> Result<Box<dyn BackendStorage>>;

    /// Reduces `dims` (sorted, distinct) of `self[layout]`; the result is contiguous with the
    /// reduced dims kept as size 1.
    fn reduce(&self, layout: &Layout, dims: &[usize], op: ReduceOp) -> Result<Box<dyn BackendStorage>>;
    /// [`reduce`](Self::reduce) into `dst[dst_layout]` (a storage of this backend and of the
    /// result dtype, not `self`), whose elements take the result's in row-major order. The
    /// default reduces into a new storage and copies it over.
    fn reduce_into(
        &self,
        layout: &Layout,
        dims: &[usize],
        op: ReduceOp,
        dst: &mut dyn BackendStorage,
        dst_layout: &Layout,
    ) -> Result<()> {
        let r = self.reduce(layout, dims, op)?;
        dst.copy_from(dst_layout, r.as_ref(), &Layout::contiguous(dst_layout.shape().clone()))
    }
    /// A running sum or product along `dim`, as a new contiguous storage of the same shape.
    fn scan(&self, layout: &Layout, dim: usize, op: ScanOp) -> Result<Box<dyn BackendStorage>> {
        unsupported_default!(self, "scan", layout, dim, op)
    }
    /// Sorts along `dim` (stable); returns the values and the I64 indices, contiguous.
    fn sort(
        &self,
        layout: &Layout,
        dim: usize,
        descending: bool,
    ) -> Result<(Box<dyn BackendStorage>, Box<dyn BackendStorage>)> {
        unsupported_default!(self, "sort", layout, dim, descending)
    }

    /// `self[dst_layout] = beta * self[dst_layout] + alpha * lhs @ rhs` over 3-d layouts
    /// `[batch, m, k] @ [batch, k, n] -> [batch, m, n]` (batch strides may be 0).
    fn matmul_into(
        &mut self,
        dst_layout: &Layout,
        lhs: &dyn BackendStorage,
        lhs_layout: &Layout,
        rhs: &dyn BackendStorage,
        rhs_layout: &Layout,
        alpha: f64,
        beta: f64,
    ) -> Result<()>;

    /// Selects the entries `indices` (I64, 1-d) along `dim`.
    fn index_select(
        &self,
        layout: &Layout,
        dim: usize,
        indices: &dyn BackendStorage,
        indices_layout: &Layout,
    ) -> Result<Box<dyn BackendStorage>> {
        unsupported_default!(self, "index_select", layout, dim, indices, indices_layout)
    }
    /// `out[i][j] = self[index[i][j]][j]` along `dim` (shape of the index; indices checked).
    fn gather(
        &self,
        layout: &Layout,
        dim: usize,
        index: &dyn BackendStorage,
        index_layout: &Layout,
    ) -> Result<Box<dyn BackendStorage>> {
        unsupported_default!(self, "gather", layout, dim, index, index_layout)
    }
    /// `self[index[i][j]][j] (=|+=) src[i][j]` along `dim`.
    fn scatter_inplace(
        &mut self,
        layout: &Layout,
        dim: usize,
        index: &dyn BackendStorage,
        index_layout: &Layout,
        src: &dyn BackendStorage,
        src_layout: &Layout,
        reduce: ScatterReduce,
    ) -> Result<()> {
        unsupported_default!(self, "scatter", layout, dim, index, index_layout, src, src_layout, reduce)
    }
    /// `self.select(dim, indices[i]) += src.select(dim, i)`.
    fn index_add_inplace(
        &mut self,
        layout: &Layout,
        dim: usize,
        indices: &dyn BackendStorage,
        indices_layout: &Layout,
        src: &dyn BackendStorage,
        src_layout: &Layout,
    ) -> Result<()> {
        unsupported_default!(self, "index_add", layout, dim, indices, indices_layout, src, src_layout)
    }

    /// im2col of an NCHW input: `[batch, in_channels * kh * kw, oh * ow]`, contiguous.
    fn im2col(&self, layout: &Layout, geometry: &Conv2dGeometry) -> Result<Box<dyn BackendStorage>> {
        unsupported_default!(self, "im2col", layout, geometry)
    }
    /// col2im (the adjoint of im2col, summing overlaps) into a new NCHW storage.
    fn col2im(&self, layout: &Layout, geometry: &Conv2dGeometry) -> Result<Box<dyn BackendStorage>> {
        unsupported_default!(self, "col2im", layout, geometry)
    }
    /// 2-d convolution of an NCHW input with `[out_channels, in_channels / groups, kh, kw]`
    /// weights (no bias); the result is `[batch, out_channels, oh, ow]`.
    fn conv2d(
        &self,
        layout: &Layout,
        weight: &dyn BackendStorage,
        weight_layout: &Layout,
        geometry: &Conv2dGeometry,
        groups: usize,
    ) -> Result<Box<dyn BackendStorage>> {
        unsupported_default!(self, "conv2d", layout, weight, weight_layout, geometry, groups)
    }
    /// Gradient of [`conv2d`](Self::conv2d) with respect to its input; `self` is the output gradient.
    fn conv2d_backward_input(
        &self,
        layout: &Layout,
        weight: &dyn BackendStorage,
        weight_layout: &Layout,
        geometry: &Conv2dGeometry,
        groups: usize,
    ) -> Result<Box<dyn BackendStorage>> {
        unsupported_default!(self, "conv2d_backward_input", layout, weight, weight_layout, geometry, groups)
    }
    /// Gradient of [`conv2d`](Self::conv2d) with respect to its weight; `self` is the output gradient.
    fn conv2d_backward_weight(
        &self,
        layout: &Layout,
        input: &dyn BackendStorage,
        input_layout: &Layout,
        geometry: &Conv2dGeometry,
        groups: usize,
        out_channels: usize,
    ) -> Result<Box<dyn BackendStorage>> {
        unsupported_default!(
            self,
            "conv2d_backward_weight",
            layout,
            input,
            input_layout,
            geometry,
            groups,
            out_channels
        )
    }
    /// Max pooling of NCHW input (padding with -inf); returns values and flat `h * w` I64 indices.
    fn max_pool2d(
        &self,
        layout: &Layout,
        geometry: &Conv2dGeometry,
    ) -> Result<(Box<dyn BackendStorage>, Box<dyn BackendStorage>)> {
        unsupported_default!(self, "max_pool2d", layout, geometry)
    }
    /// Scatters `self` (the output gradient) to the input positions `indices` chose.
    fn max_pool2d_backward(
        &self,
        layout: &Layout,
        indices: &dyn BackendStorage,
        indices_layout: &Layout,
        geometry: &Conv2dGeometry,
    ) -> Result<Box<dyn BackendStorage>> {
        unsupported_default!(self, "max_pool2d_backward", layout, indices, indices_layout, geometry)
    }
    /// Average pooling of NCHW input.
    fn avg_pool2d(
        &self,
        layout: &Layout,
        geometry: &Conv2dGeometry,
        count_include_pad: bool,
    ) -> Result<Box<dyn BackendStorage>> {
        unsupported_default!(self, "avg_pool2d", layout, geometry, count_include_pad)
    }
    /// Gradient of average pooling; `self` is the output gradient.
    fn avg_pool2d_backward(
        &self,
        layout: &Layout,
        geometry: &Conv2dGeometry,
        count_include_pad: bool,
    ) -> Result<Box<dyn BackendStorage>> {
        unsupported_default!(self, "avg_pool2d_backward", layout, geometry, count_include_pad)
    }
}
