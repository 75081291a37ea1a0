//! Creating tensors: filled (`zeros`, `ones`, `full`, `empty`), ranges (`arange`, `linspace`,
//! `eye`), random (`rand`, `randn`, `randint`), from Rust values and buffers, `*_like`, `new_*`.

use crate::cpu::{buffer_for_overwrite, CpuStorage, StorageOf};
use crate::random::{self, Generator};
use crate::{bail, DType, Device, Element, Result, Scalar, Shape, Tensor};
use alloc::vec::Vec;

impl Tensor {
    /// A tensor of `shape` filled with `value`, as `torch.full`.
    #[track_caller]
    pub fn full(shape: impl Into<Shape>, value: impl Into<Scalar>, dtype: DType, device: &Device) -> Result<Tensor> {
        let shape = shape.into();
        let numel = shape.checked_numel("full")?;
        let value = value.into();
        let storage = match device {
            Device::Cpu => {
                let s = if value.to_f64() == 0.0 {
                    CpuStorage::zeros("full", dtype, numel)?
                } else {
                    let mut s = CpuStorage::for_overwrite("full", dtype, numel)?;
                    crate::ops::copy::cpu::fill(&mut s, &crate::Layout::contiguous(shape.clone()), value);
                    s
                };
                crate::backend::Storage::new(s)
            }
            Device::External(_) => {
                let mut s = device.uninit("full", dtype, numel)?;
                s.fill(&crate::Layout::contiguous(shape.clone()), value)?;
                s
            }
        };
        Ok(Tensor::from_storage(storage, shape, device.clone()))
    }
    /// Zeros, as `torch.zeros`.
    #[track_caller]
    pub fn zeros(shape: impl Into<Shape>, dtype: DType, device: &Device) -> Result<Tensor> {
        let shape = shape.into();
        let storage = device.zeros("zeros", dtype, shape.checked_numel("zeros")?)?;
        Ok(Tensor::from_storage(storage, shape, device.clone()))
    }
    /// Ones, as `torch.ones`.
    #[track_caller]
    pub fn ones(shape: impl Into<Shape>, dtype: DType, device: &Device) -> Result<Tensor> {
        Tensor::full(shape, 1, dtype, device)
    }
    /// A tensor whose values are unspecified, as `torch.empty`: zeros, or the stale values of a
    /// freed buffer taken from the CPU buffer cache; never uninitialised memory.
    #[track_caller]
    pub fn empty(shape: impl Into<Shape>, dtype: DType, device: &Device) -> Result<Tensor> {
        let shape = shape.into();
        let storage = device.uninit("empty", dtype, shape.checked_numel("empty")?)?;
        Ok(Tensor::from_storage(storage, shape, device.clone()))
    }

    /// Values from `start` to `end` (exclusive) by `step`, as `torch.arange`: float if any
    /// bound is a float (`arange(0.0, 16.0, 1.0)` is float32), else int64.
    #[track_caller]
    pub fn arange(
        start: impl Into<Scalar>,
        end: impl Into<Scalar>,
        step: impl Into<Scalar>,
        device: &Device,
    ) -> Result<Tensor> {
        let (s, e, st) = (start.into(), end.into(), step.into());
        let any_float = [s, e, st].iter().any(|x| matches!(x, Scalar::Float(_)));
        let dtype = if any_float { crate::DEFAULT_FLOAT } else { DType::I64 };
        Tensor::arange_dtype(s.to_f64(), e.to_f64(), st.to_f64(), dtype, device)
    }
    /// `arange` with an explicit dtype.
    #[track_caller]
    pub fn arange_dtype(start: f64, end: f64, step: f64, dtype: DType, device: &Device) -> Result<Tensor> {
        if step == 0.0 || !step.is_finite() || !start.is_finite() || !end.is_finite() {
            bail!(Value, "arange", "step must be nonzero and bounds finite (start {start}, end {end}, step {step})");
        }
        if (end - start) / step < 0.0 {
            bail!(
                Value,
                "arange",
                "upper bound and larger bound inconsistent with step sign (start {start}, end {end}, step {step})"
            );
        }
        let len = libm::ceil((end - start) / step);
        if len >= usize::MAX as f64 {
            bail!(Value, "arange", "{len} elements are too many (start {start}, end {end}, step {step})");
        }
        let n = len as usize;
        let s = CpuStorage::try_from_f64s("arange", dtype, n, (0..n).map(|i| start + i as f64 * step))?;
        Tensor::from_cpu_storage(s, [n], device)
    }
    /// `steps` values evenly spaced from `start` to `end` inclusive, as `torch.linspace`.
    ///
    /// As PyTorch's CPU kernel: a float dtype computes in its own arithmetic (`start + step * i`
    /// for the first half, `end - step * (steps - 1 - i)` for the second, so the last value is
    /// exactly `end`); an integer dtype truncates `start` and `end`, steps in f64 and truncates.
    /// One step gives `[start]`.
    #[track_caller]
    pub fn linspace(start: f64, end: f64, steps: usize, dtype: DType, device: &Device) -> Result<Tensor> {
        if steps == 1 {
            // torch.linspace(2, 5, 1) == tensor([2.])
            return Tensor::full([1], start, dtype, device);
        }
        #[track_caller]
        fn float<T: crate::cpu::FloatElem>(start: f64, end: f64, steps: usize) -> Result<Vec<T>> {
            let (s, e) = (T::of(start), T::of(end));
            let step = if steps > 1 { (e - s) / T::of((steps - 1) as f64) } else { T::ZERO };
            let half = steps / 2;
            let mut out = buffer_for_overwrite::<T>("linspace", steps)?;
            for (i, o) in out.iter_mut().enumerate() {
                *o = if i < half { s + step * T::of(i as f64) } else { e - step * T::of((steps - 1 - i) as f64) };
            }
            Ok(out)
        }
        // The memory is asked for first: an OutOfMemory error, not an abort, for huge `steps`.
        let storage = match dtype {
            DType::F16 => CpuStorage::F16(float(start, end, steps)?),
            DType::BF16 => CpuStorage::BF16(float(start, end, steps)?),
            DType::F32 => CpuStorage::F32(float(start, end, steps)?),
            DType::F64 => CpuStorage::F64(float(start, end, steps)?),
            _ => {
                let (start, end) = (libm::trunc(start), libm::trunc(end));
                let step = if steps > 1 { (end - start) / (steps - 1) as f64 } else { 0.0 };
                let half = steps / 2;
                let vals = (0..steps).map(|i| {
                    if i < half {
                        start + step * i as f64
                    } else {
                        end - step * (steps - 1 - i) as f64
                    }
                });
                CpuStorage::try_from_f64s("linspace", dtype, steps, vals)?
            }
        };
        Tensor::from_cpu_storage(storage, [steps], device)
    }
    /// The `n x n` identity matrix, as `torch.eye`.
    #[track_caller]
    pub fn eye(n: usize, dtype: DType, device: &Device) -> Result<Tensor> {
        let numel = Shape::new(&[n, n]).checked_numel("eye")?;
        let mut s = CpuStorage::zeros("eye", dtype, numel)?;
        fn diagonal<T: Element>(v: &mut [T], n: usize) {
            v.iter_mut().step_by(n + 1).for_each(|x| *x = T::ONE);
        }
        crate::with_cpu!(&mut s, |v| diagonal(v, n));
        Tensor::from_cpu_storage(s, [n, n], device)
    }

    /// Uniform numbers in [0, 1) from the global generator, as `torch.rand`.
    #[track_caller]
    pub fn rand(shape: impl Into<Shape>, dtype: DType, device: &Device) -> Result<Tensor> {
        random::with_global(|g| Tensor::rand_with(shape, dtype, device, g))
    }
    /// Standard normal numbers from the global generator, as `torch.randn`.
    #[track_caller]
    pub fn randn(shape: impl Into<Shape>, dtype: DType, device: &Device) -> Result<Tensor> {
        random::with_global(|g| Tensor::randn_with(shape, dtype, device, g))
    }
    /// Integers uniform in `[low, high)` (int64) from the global generator, as `torch.randint`.
    #[track_caller]
    pub fn randint(low: i64, high: i64, shape: impl Into<Shape>, device: &Device) -> Result<Tensor> {
        random::with_global(|g| Tensor::randint_with(low, high, shape, device, g))
    }
    /// `rand` from an explicit generator.
    #[track_caller]
    pub fn rand_with(shape: impl Into<Shape>, dtype: DType, device: &Device, g: &mut Generator) -> Result<Tensor> {
        Tensor::random(shape.into(), dtype, device, g, false)
    }
    /// `randn` from an explicit generator.
    #[track_caller]
    pub fn randn_with(shape: impl Into<Shape>, dtype: DType, device: &Device, g: &mut Generator) -> Result<Tensor> {
        Tensor::random(shape.into(), dtype, device, g, true)
    }
    /// `randint` from an explicit generator.
    #[track_caller]
    pub fn randint_with(
        low: i64,
        high: i64,
        shape: impl Into<Shape>,
        device: &Device,
        g: &mut Generator,
    ) -> Result<Tensor> {
        if high <= low {
            bail!(Value, "randint", "random_ expects 'from' to be less than 'to', but got from={low} >= to={high}");
        }
        let shape = shape.into();
        let range = (high as i128 - low as i128) as u128;
        let mut vals = buffer_for_overwrite::<i64>("randint", shape.checked_numel("randint")?)?;
        let off = g.reserve(2 * vals.len() as u64);
        let seed = g.seed();
        for (i, v) in (0..).zip(vals.iter_mut()) {
            let w = ((random::philox_word(seed, off, 2 * i) as u64) << 32)
                | random::philox_word(seed, off, 2 * i + 1) as u64;
            *v = (low as i128 + (w as u128 % range) as i128) as i64;
        }
        Tensor::from_cpu_storage(CpuStorage::I64(vals), shape, device)
    }
    #[track_caller]
    fn random(shape: Shape, dtype: DType, device: &Device, g: &mut Generator, normal: bool) -> Result<Tensor> {
        if !dtype.is_float() {
            bail!(DType, if normal { "randn" } else { "rand" }, "expected a floating point dtype, got {dtype}");
        }
        let n = shape.checked_numel(if normal { "randn" } else { "rand" })?;
        if let Device::External(d) = device {
            let words = if normal { n.next_multiple_of(2) } else { n } as u64;
            let off = g.reserve(words);
            let s = d.random(dtype, n, g.seed(), off, normal)?;
            return Ok(Tensor::from_storage(s, shape, device.clone()));
        }
        #[track_caller]
        fn draw<T: Element>(n: usize, g: &mut Generator, normal: bool) -> Result<CpuStorage> {
            let mut out = buffer_for_overwrite::<T>(if normal { "randn" } else { "rand" }, n)?;
            if normal {
                g.normal_into(&mut out, T::from_f64);
            } else {
                // Round toward zero so an f32/f16 value never rounds up to 1.0.
                g.uniform_into(&mut out, |u| T::from_f64(round_below_one(u, T::DTYPE)));
            }
            Ok(StorageOf::into_storage(out))
        }
        let s = match dtype {
            DType::F16 => draw::<half::f16>(n, g, normal)?,
            DType::BF16 => draw::<half::bf16>(n, g, normal)?,
            DType::F32 => draw::<f32>(n, g, normal)?,
            _ => draw::<f64>(n, g, normal)?, // F64: a float dtype, checked above
        };
        Ok(Tensor::from_storage(crate::backend::Storage::new(s), shape, Device::Cpu))
    }

    /// Fills with U(low, high) from the global generator, as `x.uniform_(low, high)`.
    #[track_caller]
    pub fn uniform_(&mut self, low: f64, high: f64) -> Result<()> {
        if low > high {
            bail!(Value, "uniform_", "expects to return a [from, to) range, but found from={low} > to={high}");
        }
        let u = Tensor::rand(self.shape().clone(), self.dtype().to_float(), self.device())?;
        self.copy_(&u.mul(high - low)?.add(low)?)
    }
    /// Fills with N(mean, std²) from the global generator, as `x.normal_(mean, std)`.
    #[track_caller]
    pub fn normal_(&mut self, mean: f64, std: f64) -> Result<()> {
        if std < 0.0 {
            bail!(Value, "normal_", "expects std >= 0.0, but found std {std}");
        }
        let n = Tensor::randn(self.shape().clone(), self.dtype().to_float(), self.device())?;
        self.copy_(&n.mul(std)?.add(mean)?)
    }
    /// Fills with 1 where a uniform draw is below `p`, else 0, as `x.bernoulli_(p)`.
    #[track_caller]
    pub fn bernoulli_(&mut self, p: f64) -> Result<()> {
        if !(0.0..=1.0).contains(&p) {
            bail!(Value, "bernoulli_", "expects 0 <= p <= 1, but got p={p}");
        }
        let u = Tensor::rand(self.shape().clone(), DType::F64, self.device())?;
        self.copy_(&u.lt(p)?)
    }

    /// A tensor from Rust values: a scalar, an array, nested arrays (`[[1., 2.], [3., 4.]]`),
    /// a slice or a `Vec`. The dtype is the element type's (`f32` → float32).
    ///
    /// ```
    /// use tensor_core::{Tensor, Device};
    /// let t = Tensor::new([[1f32, 2.], [3., 4.]], &Device::Cpu)?;
    /// assert_eq!(t.size(), &[2, 2]);
    /// # Ok::<(), tensor_core::Error>(())
    /// ```
    #[track_caller]
    pub fn new<A: NdArray>(data: A, device: &Device) -> Result<Tensor> {
        let mut dims = crate::shape::Dims::new();
        data.shape_into(&mut dims)?;
        let mut values = Vec::with_capacity(dims.iter().product());
        data.flatten_into(&mut values);
        Tensor::from_cpu_storage(A::Elem::into_storage(values), Shape::new(&dims), device)
    }
    /// A CPU tensor that takes ownership of `data` (no copy), viewed as `shape`.
    #[track_caller]
    pub fn from_vec<T: Element>(data: Vec<T>, shape: impl Into<Shape>) -> Result<Tensor> {
        let shape = shape.into();
        if shape.numel() != data.len() {
            bail!(
                Shape,
                "from_vec",
                "shape {:?} needs {} elements, but the buffer holds {}",
                shape,
                shape.numel(),
                data.len()
            );
        }
        Ok(Tensor::from_storage(crate::backend::Storage::new(T::into_storage(data)), shape, Device::Cpu))
    }
    /// A tensor from a host storage, moved to `device`.
    #[track_caller]
    pub fn from_cpu_storage(s: CpuStorage, shape: impl Into<Shape>, device: &Device) -> Result<Tensor> {
        let shape = shape.into();
        if shape.numel() != s.len() {
            bail!(
                Shape,
                "from_storage",
                "shape {:?} needs {} elements, but the storage holds {}",
                shape,
                shape.numel(),
                s.len()
            );
        }
        Ok(Tensor::from_storage(device.upload(s)?, shape, device.clone()))
    }

    /// Zeros with this tensor's shape, dtype (unless given) and device, as `torch.zeros_like`.
    #[track_caller]
    pub fn zeros_like(&self, dtype: impl Into<Option<DType>>) -> Result<Tensor> {
        Tensor::zeros(self.shape(), dtype.into().unwrap_or(self.dtype()), self.device())
    }
    /// Ones like this tensor, as `torch.ones_like`.
    #[track_caller]
    pub fn ones_like(&self, dtype: impl Into<Option<DType>>) -> Result<Tensor> {
        Tensor::ones(self.shape(), dtype.into().unwrap_or(self.dtype()), self.device())
    }
    /// `value` everywhere, like this tensor, as `torch.full_like`.
    #[track_caller]
    pub fn full_like(&self, value: impl Into<Scalar>, dtype: impl Into<Option<DType>>) -> Result<Tensor> {
        Tensor::full(self.shape(), value, dtype.into().unwrap_or(self.dtype()), self.device())
    }
    /// Uniform numbers like this tensor, as `torch.rand_like`.
    #[track_caller]
    pub fn rand_like(&self, dtype: impl Into<Option<DType>>) -> Result<Tensor> {
        Tensor::rand(self.shape(), dtype.into().unwrap_or(self.dtype()), self.device())
    }
    /// Normal numbers like this tensor, as `torch.randn_like`.
    #[track_caller]
    pub fn randn_like(&self, dtype: impl Into<Option<DType>>) -> Result<Tensor> {
        Tensor::randn(self.shape(), dtype.into().unwrap_or(self.dtype()), self.device())
    }
    /// Zeros of a new shape on this tensor's device, as `x.new_zeros(shape, dtype=...)`.
    #[track_caller]
    pub fn new_zeros(&self, shape: impl Into<Shape>, dtype: impl Into<Option<DType>>) -> Result<Tensor> {
        Tensor::zeros(shape, dtype.into().unwrap_or(self.dtype()), self.device())
    }
    /// Ones of a new shape on this tensor's device, as `x.new_ones(5, 3, dtype=torch.double)`.
    #[track_caller]
    pub fn new_ones(&self, shape: impl Into<Shape>, dtype: impl Into<Option<DType>>) -> Result<Tensor> {
        Tensor::ones(shape, dtype.into().unwrap_or(self.dtype()), self.device())
    }
    /// `value` in a new shape on this tensor's device, as `x.new_full`.
    #[track_caller]
    pub fn new_full(
        &self,
        shape: impl Into<Shape>,
        value: impl Into<Scalar>,
        dtype: impl Into<Option<DType>>,
    ) -> Result<Tensor> {
        Tensor::full(shape, value, dtype.into().unwrap_or(self.dtype()), self.device())
    }
    /// An uninitialised-by-contract tensor of a new shape, as `x.new_empty`.
    #[track_caller]
    pub fn new_empty(&self, shape: impl Into<Shape>, dtype: impl Into<Option<DType>>) -> Result<Tensor> {
        Tensor::empty(shape, dtype.into().unwrap_or(self.dtype()), self.device())
    }
}

fn round_below_one(u: f64, dtype: DType) -> f64 {
    let v = match dtype {
        DType::F32 => u as f32 as f64,
        DType::F16 => <half::f16 as Element>::from_f64(u).to_f64(),
        DType::BF16 => <half::bf16 as Element>::from_f64(u).to_f64(),
        _ => u,
    };
    if v >= 1.0 {
        match dtype {
            DType::F32 => 1.0 - f32::EPSILON as f64 / 2.0,
            DType::F16 => 1.0 - half::f16::EPSILON.to_f64() / 2.0,
            DType::BF16 => 1.0 - half::bf16::EPSILON.to_f64() / 2.0,
            _ => u,
        }
    } else {
        v
    }
}

/// Rust values that [`Tensor::new`] turns into a tensor: numbers, arrays, slices and `Vec`s of
/// them, nested to any depth (every row of one length).
pub trait NdArray {
    /// The element type.
    type Elem: Element;
    /// Appends this value's sizes (checking that nested rows agree).
    #[track_caller]
    fn shape_into(&self, dims: &mut crate::shape::Dims) -> Result<()>;
    /// Appends the elements in row-major order.
    fn flatten_into(&self, out: &mut Vec<Self::Elem>);
}

macro_rules! ndarray_scalar {
    ($($t:ty),*) => {$(
        impl NdArray for $t {
            type Elem = $t;
            #[track_caller]
            fn shape_into(&self, _: &mut crate::shape::Dims) -> Result<()> { Ok(()) }
            fn flatten_into(&self, out: &mut Vec<$t>) { out.push(*self) }
        }
    )*};
}
ndarray_scalar!(bool, u8, i8, i16, i32, i64, u16, u32, u64, half::f16, half::bf16, f32, f64);

#[track_caller]
fn rows_shape<A: NdArray>(rows: &[A], dims: &mut crate::shape::Dims) -> Result<()> {
    dims.push(rows.len());
    let depth = dims.len();
    match rows.first() {
        Some(first) => first.shape_into(dims)?,
        None => return Ok(()),
    }
    for r in &rows[1..] {
        let mut d = crate::shape::Dims::new();
        r.shape_into(&mut d)?;
        if d[..] != dims[depth..] {
            bail!(
                Shape,
                "tensor",
                "expected sequence of length {:?} at dim {}, got {:?}",
                &dims[depth..],
                depth,
                &d[..]
            );
        }
    }
    Ok(())
}

impl<A: NdArray, const N: usize> NdArray for [A; N] {
    type Elem = A::Elem;
    #[track_caller]
    fn shape_into(&self, dims: &mut crate::shape::Dims) -> Result<()> {
        rows_shape(self, dims)
    }
    fn flatten_into(&self, out: &mut Vec<A::Elem>) {
        self.iter().for_each(|r| r.flatten_into(out))
    }
}
impl<A: NdArray> NdArray for [A] {
    type Elem = A::Elem;
    #[track_caller]
    fn shape_into(&self, dims: &mut crate::shape::Dims) -> Result<()> {
        rows_shape(self, dims)
    }
    fn flatten_into(&self, out: &mut Vec<A::Elem>) {
        self.iter().for_each(|r| r.flatten_into(out))
    }
}
impl<A: NdArray> NdArray for Vec<A> {
    type Elem = A::Elem;
    #[track_caller]
    fn shape_into(&self, dims: &mut crate::shape::Dims) -> Result<()> {
        rows_shape(self, dims)
    }
    fn flatten_into(&self, out: &mut Vec<A::Elem>) {
        self.iter().for_each(|r| r.flatten_into(out))
    }
}
impl<A: NdArray + ?Sized> NdArray for &A {
    type Elem = A::Elem;
    #[track_caller]
    fn shape_into(&self, dims: &mut crate::shape::Dims) -> Result<()> {
        (**self).shape_into(dims)
    }
    fn flatten_into(&self, out: &mut Vec<A::Elem>) {
        (**self).flatten_into(out)
    }
}
