//! CPU kernels for unary ops. The op is matched once, outside the loop, so each (op, dtype)
//! pair is its own inlined, vectorisable loop.

use crate::backend::{Storage, UnaryOps};
use crate::backend::{TestOp, UnaryOp};
use crate::cpu::buffer_for_overwrite;
use crate::cpu::vmath::Math;
use crate::cpu::{fill_rows, update_chunks, wide, CpuStorage, FloatElem, IntElem, Row};
use crate::ops::copy::cpu::{is_widened, narrow_into, narrowed, widened};
use crate::{bail, with_cpu, Element, Layout, Result};
use alloc::vec::Vec;

impl UnaryOps<Storage> for CpuStorage {
    #[track_caller]
    fn unary(&self, layout: &Layout, op: UnaryOp) -> Result<Storage> {
        unary(self, layout, op).map(Storage::new)
    }
    #[track_caller]
    fn unary_inplace(&mut self, layout: &Layout, op: UnaryOp) -> Result<()> {
        unary_inplace(self, layout, op)
    }
    #[track_caller]
    fn test(&self, layout: &Layout, op: TestOp) -> Result<Storage> {
        test(self, layout, op).map(Storage::new)
    }
    fn unary_backward(
        &self,
        layout: &Layout,
        saved: &Storage,
        saved_layout: &Layout,
        op: UnaryOp,
    ) -> Option<Result<Storage>> {
        let saved = match saved.cpu("unary_backward") {
            Ok(s) => s,
            Err(e) => return Some(Err(e)),
        };
        Some(unary_backward(self, layout, saved, saved_layout, op).map(Storage::new))
    }
}

/// `out = f(src[layout])`, contiguous (also a binary op with a scalar, which it captures).
#[track_caller]
pub(crate) fn map<T: Element, U: Element>(
    src: &[T],
    layout: &Layout,
    f: impl Fn(T) -> U + Sync + Send + Copy,
) -> Result<Vec<U>> {
    map_rows::<T, U, false>(src, layout, f)
}

/// [`map`] with the unit-stride rows run by [`wide::map`]: for arithmetic-heavy `f`.
#[track_caller]
pub(crate) fn map_wide<T: Element, U: Element>(
    src: &[T],
    layout: &Layout,
    f: impl Fn(T) -> U + Sync + Send + Copy,
) -> Result<Vec<U>> {
    map_rows::<T, U, true>(src, layout, f)
}

/// Results of at most this many elements skip the walker (and the buffer cache).
const TINY: usize = 16;

#[track_caller]
fn map_rows<T: Element, U: Element, const WIDE: bool>(
    src: &[T],
    layout: &Layout,
    f: impl Fn(T) -> U + Sync + Send + Copy,
) -> Result<Vec<U>> {
    if let Some((a, b)) = layout.contiguous_range().filter(|(a, b)| b - a <= TINY) {
        // A few elements (a loss, a scalar op of an autograd chain): the walker's set-up would
        // cost more than the loop.
        return Ok(src[a..b].iter().map(|&x| f(x)).collect());
    }
    let mut out = buffer_for_overwrite::<U>("unary", layout.numel())?;
    let row = Row::new([layout]);
    let st = row.stride[0];
    fill_rows(&mut out, &row, |d, [s]| {
        if st == 1 {
            let n = d.len();
            if WIDE {
                wide::map(d, &src[s..s + n], &f);
            } else {
                for (o, &x) in d.iter_mut().zip(&src[s..s + n]) {
                    *o = f(x);
                }
            }
        } else {
            for (i, o) in d.iter_mut().enumerate() {
                *o = f(src[s + i * st]);
            }
        }
    });
    Ok(out)
}

/// `v[layout] = f(v[layout])`.
pub(crate) fn map_inplace<T: Element>(v: &mut [T], layout: &Layout, f: impl Fn(T) -> T + Sync + Send + Copy) {
    map_inplace_rows::<T, false>(v, layout, f)
}

/// [`map_inplace`] with contiguous data run by [`wide::update`].
fn map_inplace_wide<T: Element>(v: &mut [T], layout: &Layout, f: impl Fn(T) -> T + Sync + Send + Copy) {
    map_inplace_rows::<T, true>(v, layout, f)
}

fn map_inplace_rows<T: Element, const WIDE: bool>(
    v: &mut [T],
    layout: &Layout,
    f: impl Fn(T) -> T + Sync + Send + Copy,
) {
    if let Some((a, b)) = layout.contiguous_range() {
        update_chunks(&mut v[a..b], |c| if WIDE { wide::update(c, &f) } else { c.iter_mut().for_each(|x| *x = f(*x)) });
        return;
    }
    let row = Row::new([layout]);
    let st = row.stride[0];
    row.for_each(0..row.count(), |[s]| {
        for i in 0..row.len {
            v[s + i * st] = f(v[s + i * st]);
        }
    });
}

/// Evaluates `$body` with `$f` bound to the float closure of `$op` (one arm per op, so each
/// closure is its own type and inlines into the loop). The transcendental functions are
/// [`Math`]'s: vectorisable polynomials for f32.
macro_rules! float_unary {
    ($op:expr, $T:ty, |$f:ident| $body:expr) => {{
        #[allow(unused_imports)]
        use num_traits::Float;
        let of = <$T as FloatElem>::of;
        let zero = <$T as Element>::ZERO;
        let one = <$T as Element>::ONE;
        macro_rules! arm {
            ($c:expr) => {{
                // Inlined into every loop that calls it (there are several: the vector
                // variants and the strided rows), or a large one (softplus) stays a call.
                let $f = core::convert::identity(
                    #[inline(always)]
                    $c,
                );
                $body
            }};
        }
        match $op {
            UnaryOp::Neg => arm!(|x: $T| -x),
            UnaryOp::Abs => arm!(|x: $T| x.abs()),
            // As PyTorch: sign(NaN) and sign(-0.0) are +0.0.
            UnaryOp::Sign => arm!(move |x: $T| if x > zero {
                one
            } else if x < zero {
                -one
            } else {
                zero
            }),
            UnaryOp::Exp => arm!(|x: $T| Math::exp(x)),
            UnaryOp::Exp2 => arm!(|x: $T| x.exp2()),
            UnaryOp::Log => arm!(|x: $T| Math::ln(x)),
            UnaryOp::Log2 => arm!(|x: $T| x.log2()),
            UnaryOp::Log1p => arm!(|x: $T| x.ln_1p()),
            UnaryOp::Expm1 => arm!(|x: $T| x.exp_m1()),
            UnaryOp::Sqrt => arm!(|x: $T| x.sqrt()),
            UnaryOp::Rsqrt => arm!(|x: $T| x.sqrt().recip()),
            UnaryOp::Sin => arm!(|x: $T| x.sin()),
            UnaryOp::Cos => arm!(|x: $T| x.cos()),
            UnaryOp::Tan => arm!(|x: $T| x.tan()),
            UnaryOp::Tanh => arm!(|x: $T| Math::tanh(x)),
            UnaryOp::Sigmoid => arm!(|x: $T| Math::sigmoid(x)),
            // `max(x, 0)` keeping NaN and -0.0, as PyTorch's clamp_min.
            UnaryOp::Relu => arm!(move |x: $T| if x < zero { zero } else { x }),
            UnaryOp::Gelu => arm!(|x: $T| Math::gelu(x)),
            // In the dtype, as PyTorch's kernel: 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))).
            UnaryOp::GeluTanh => arm!(|x: $T| Math::gelu_tanh(x)),
            UnaryOp::Silu => arm!(move |x: $T| x / (one + Math::exp(-x))),
            // In the dtype, as PyTorch's kernel: x where beta x > threshold, else
            // log1p(exp(beta x)) / beta.
            // beta = 1 (the default) as its own loop: the product and the division by 1 fold
            // away (x * 1 and x / 1 are x, exactly).
            UnaryOp::Softplus { beta, threshold } if beta == 1.0 => {
                let t = of(threshold);
                arm!(move |x: $T| Math::softplus(x, one, t))
            }
            UnaryOp::Softplus { beta, threshold } => {
                let (b, t) = (of(beta), of(threshold));
                arm!(move |x: $T| Math::softplus(x, b, t))
            }
            UnaryOp::Floor => arm!(|x: $T| x.floor()),
            UnaryOp::Ceil => arm!(|x: $T| x.ceil()),
            UnaryOp::Round => arm!(move |x: $T| of(libm::rint(x.f64()))),
            UnaryOp::Trunc => arm!(|x: $T| x.trunc()),
            UnaryOp::Reciprocal => arm!(|x: $T| x.recip()),
            UnaryOp::Square => arm!(|x: $T| x * x),
            UnaryOp::Erf => arm!(|x: $T| Math::erf(x)),
            UnaryOp::Clamp { min, max } => {
                let (lo, hi) = (min.map(of), max.map(of));
                arm!(move |x: $T| {
                    let x = match lo {
                        Some(l) if x < l => l,
                        _ => x,
                    };
                    match hi {
                        Some(h) if x > h => h,
                        _ => x,
                    }
                })
            }
            UnaryOp::NanToNum { nan, posinf, neginf } => {
                let (n, p, m) = (of(nan), of(posinf), of(neginf));
                arm!(move |x: $T| {
                    if x.is_nan() {
                        n
                    } else if x == <$T>::infinity() {
                        p
                    } else if x == <$T>::neg_infinity() {
                        m
                    } else {
                        x
                    }
                })
            }
            UnaryOp::LeakyRelu { slope } => {
                let s = of(slope);
                arm!(move |x: $T| if x > zero { x } else { x * s })
            }
        }
    }};
}

/// The integer ops (ops that need floats never reach integers: tensor-core casts them first).
macro_rules! int_unary {
    ($op:expr, $T:ty, |$f:ident| $body:expr) => {{
        let zero = <$T as Element>::ZERO;
        let one = <$T as Element>::ONE;
        macro_rules! arm {
            ($c:expr) => {{
                let $f = $c;
                $body
            }};
        }
        match $op {
            UnaryOp::Neg => arm!(move |x: $T| zero.wrapping_sub(x)),
            UnaryOp::Abs => {
                arm!(move |x: $T| if <$T as IntElem>::SIGNED && x < zero { zero.wrapping_sub(x) } else { x })
            }
            UnaryOp::Sign => arm!(move |x: $T| if x > zero {
                one
            } else if x == zero {
                zero
            } else {
                zero.wrapping_sub(one)
            }),
            UnaryOp::Relu => arm!(move |x: $T| if x > zero { x } else { zero }),
            UnaryOp::Square => arm!(|x: $T| x.wrapping_mul(x)),
            UnaryOp::Floor | UnaryOp::Ceil | UnaryOp::Round | UnaryOp::Trunc | UnaryOp::NanToNum { .. } => {
                arm!(|x: $T| x)
            }
            UnaryOp::Clamp { min, max } => {
                // Bounds compare as numbers, not wrapped into the dtype (a uint8 clamped to
                // min=-1 is unchanged, as PyTorch's): bring them into the dtype's range first.
                let range = |m: f64| {
                    let (lo, hi) = (<$T as num_traits::Bounded>::min_value(), <$T as num_traits::Bounded>::max_value());
                    <$T as IntElem>::of_i64(m.max(lo.i64() as f64).min(hi.i64() as f64) as i64)
                };
                let lo = min.map(|m| range(libm::ceil(m)));
                let hi = max.map(|m| range(libm::floor(m)));
                arm!(move |x: $T| {
                    let x = match lo {
                        Some(l) if x < l => l,
                        _ => x,
                    };
                    match hi {
                        Some(h) if x > h => h,
                        _ => x,
                    }
                })
            }
            other => bail!(DType, "unary", "{:?} is not implemented for {}", other, <$T as Element>::DTYPE),
        }
    }};
}

/// Evaluates `$body` with `$v` the typed elements and `$f` the op's closure (`$wide_body` for
/// floats, whose ops are worth the widest vectors).
macro_rules! dispatch_unary {
    ($s:expr, $op:expr, |$v:ident, $f:ident| $body:expr, wide: $wide_body:expr) => {
        match $s {
            CpuStorage::F32($v) => float_unary!($op, f32, |$f| $wide_body),
            CpuStorage::F64($v) => float_unary!($op, f64, |$f| $wide_body),
            CpuStorage::U8($v) => int_unary!($op, u8, |$f| $body),
            CpuStorage::I32($v) => int_unary!($op, i32, |$f| $body),
            CpuStorage::I64($v) => int_unary!($op, i64, |$f| $body),
            // f16 and bf16 never come here: they are computed in f32 (see `widened`).
            other => bail!(
                DType,
                "unary",
                "{:?} is not implemented for {}{}",
                $op,
                other.dtype(),
                crate::ops::copy::cpu::unsupported_hint(other.dtype())
            ),
        }
    };
}

/// `op(src[layout])`, contiguous.
#[track_caller]
pub(crate) fn unary(src: &CpuStorage, layout: &Layout, op: UnaryOp) -> Result<CpuStorage> {
    use crate::cpu::StorageOf;
    if is_widened(src) {
        let (wide, l) = widened(src, layout)?;
        return narrowed(&unary(&wide, &l, op)?, &l, src.dtype());
    }
    Ok(
        dispatch_unary!(src, op, |v, f| StorageOf::into_storage(map(v, layout, f)?), wide: StorageOf::into_storage(map_wide(v, layout, f)?)),
    )
}

/// `src[layout] = op(src[layout])`.
#[track_caller]
pub(crate) fn unary_inplace(src: &mut CpuStorage, layout: &Layout, op: UnaryOp) -> Result<()> {
    if is_widened(src) {
        let (mut wide, l) = widened(src, layout)?;
        unary_inplace(&mut wide, &l, op)?;
        return narrow_into(src, layout, &wide, &l);
    }
    dispatch_unary!(src, op, |v, f| map_inplace(v, layout, f), wide: map_inplace_wide(v, layout, f));
    Ok(())
}

/// `test(src[layout])` as Bool.
#[track_caller]
pub(crate) fn test(src: &CpuStorage, layout: &Layout, op: TestOp) -> Result<CpuStorage> {
    #[track_caller]
    fn go<T: Element>(v: &[T], layout: &Layout, op: TestOp) -> Result<Vec<bool>> {
        let nan = |x: T| x.partial_cmp(&x).is_none();
        let inf = |x: T| {
            let f = x.to_f64();
            f.is_infinite()
        };
        match op {
            TestOp::IsNan => map(v, layout, nan),
            TestOp::IsInf => map(v, layout, inf),
            TestOp::IsFinite => map(v, layout, move |x| !nan(x) && !inf(x)),
            TestOp::IsZero => map(v, layout, |x| x == T::ZERO),
        }
    }
    Ok(CpuStorage::Bool(with_cpu!(src, |v| go(v, layout, op)?)))
}

/// `grad[lg] * op'(saved[ls])` in one pass, contiguous (see `UnaryOps::unary_backward`).
#[track_caller]
pub(crate) fn unary_backward(
    grad: &CpuStorage,
    lg: &Layout,
    saved: &CpuStorage,
    ls: &Layout,
    op: UnaryOp,
) -> Result<CpuStorage> {
    if is_widened(grad) && grad.dtype() == saved.dtype() {
        let (g, lg) = widened(grad, lg)?;
        let (s, ls) = widened(saved, ls)?;
        return narrowed(&unary_backward(&g, &lg, &s, &ls, op)?, &lg, grad.dtype());
    }
    match (grad, saved) {
        (CpuStorage::F32(g), CpuStorage::F32(s)) => Ok(CpuStorage::F32(backward_float(g, lg, s, ls, op)?)),
        (CpuStorage::F64(g), CpuStorage::F64(s)) => Ok(CpuStorage::F64(backward_float(g, lg, s, ls, op)?)),
        (g, s) => bail!(
            DType,
            "unary_backward",
            "expected a float gradient and saved tensor of one dtype, got {} and {}",
            g.dtype(),
            s.dtype()
        ),
    }
}

/// The fused gradients, PyTorch's formulas (`tools/autograd/derivatives.yaml` and its
/// `*_backward` kernels): `g` the upstream gradient, `y` the op's output, `x` its input.
#[track_caller]
fn backward_float<T: Math>(g: &[T], lg: &Layout, s: &[T], ls: &Layout, op: UnaryOp) -> Result<Vec<T>> {
    let of = <T as FloatElem>::of;
    let (zero, one) = (T::ZERO, T::ONE);
    macro_rules! arm {
        ($c:expr) => {
            wide::zip_layouts(
                "unary_backward",
                g,
                lg,
                s,
                ls,
                core::convert::identity(
                    #[inline(always)]
                    $c,
                ),
            )
        };
    }
    match op {
        UnaryOp::Tanh => arm!(move |g: T, y: T| g * (one - y * y)),
        UnaryOp::Sigmoid => arm!(move |g: T, y: T| g * (one - y) * y),
        // threshold_backward: zero where the output is <= 0 (NaN passes the gradient).
        UnaryOp::Relu => arm!(move |g: T, y: T| if y <= zero { zero } else { g }),
        UnaryOp::LeakyRelu { slope } => {
            let slope = of(slope);
            arm!(move |g: T, x: T| if x > zero { g } else { g * slope })
        }
        UnaryOp::Gelu => arm!(|g: T, x: T| g * Math::gelu_grad(x)),
        UnaryOp::GeluTanh => arm!(|g: T, x: T| g * Math::gelu_tanh_grad(x)),
        UnaryOp::Silu => arm!(move |g: T, x: T| {
            let s = Math::sigmoid(x);
            g * s * (one + x * (one - s))
        }),
        UnaryOp::Softplus { beta, threshold } => {
            let (b, t) = (of(beta), of(threshold));
            arm!(move |g: T, x: T| {
                let bx = x * b;
                if bx > t {
                    g
                } else {
                    g * Math::sigmoid(bx)
                }
            })
        }
        UnaryOp::Erf => {
            let c = of(core::f64::consts::FRAC_2_SQRT_PI);
            arm!(move |g: T, x: T| g * c * Math::exp(-(x * x)))
        }
        // abs_backward: g * sgn(x), sgn(NaN) = sgn(0) = 0 as `sign`.
        UnaryOp::Abs => arm!(move |g: T, x: T| g * if x > zero {
            one
        } else if x < zero {
            -one
        } else {
            zero
        }),
        other => bail!(Unsupported, "unary_backward", "{:?} has no fused backward", other),
    }
}
