//! Vectorisable f32 math for the CPU kernels: `exp`, `ln`, `tanh`, `erf`, and what is built on
//! them (sigmoid, SiLU, GELU, softplus, and their derivatives). The method is SLEEF's and
//! Cephes': reduce the argument, evaluate a short polynomial, put the exponent back with integer
//! operations. Every function is branch-free (selects, no calls, no tables), so a loop calling
//! one is vectorised by LLVM; [`wide`](super::wide) runs such loops with the widest vector unit
//! the CPU has. Polynomials by fused multiply-adds ([`fma`]): a result has the same bits on
//! every CPU.
//!
//! Accuracy against f64 (the tests at the end measure it on dense grids): `exp`, `ln`, `tanh`
//! and `erf` within 2 ulp; NaN, ±inf, ±0 and subnormal results as the C library's. The exp and
//! log polynomials are Cephes' `expf`/`logf`, tanh's small-argument polynomial Cephes' `tanhf`;
//! erf's two polynomials were fitted for this file (least squares on Chebyshev nodes, relative
//! error: `x + x P(x^2)` below 0.9, `1 - e^(-x^2) Q(1/x - 0.68)` above).

const LOG2E: f32 = core::f32::consts::LOG2_E;
/// ln 2 split in two: `LN2_HI` has few enough bits that `n * LN2_HI` is exact for every `n` here.
const LN2_HI: f32 = 0.693_359_4;
const LN2_LO: f32 = -2.121_944_4e-4;
/// 1.5 * 2^23: adding it rounds an f32 to an integer, held in the low bits of the sum's mantissa.
const ROUND: f32 = 12_582_912.0;

/// Keeps NaN (every comparison with NaN is false, so NaN passes through both selects).
#[inline(always)]
fn clamp(x: f32, lo: f32, hi: f32) -> f32 {
    let x = if x > hi { hi } else { x };
    if x < lo {
        lo
    } else {
        x
    }
}

#[inline(always)]
fn abs(x: f32) -> f32 {
    f32::from_bits(x.to_bits() & 0x7fff_ffff)
}

/// `|magnitude|` with the sign of `sign`.
#[inline(always)]
fn copysign(magnitude: f32, sign: f32) -> f32 {
    f32::from_bits((magnitude.to_bits() & 0x7fff_ffff) | (sign.to_bits() & 0x8000_0000))
}

/// `a * b + c` rounded once. A CPU with FMA does it in one instruction, in the vector loops
/// that [`wide`](super::wide) compiles for AVX2 and AVX-512; a CPU without gets the C library's
/// `fmaf`, slower but with the same bits, so results do not depend on the CPU.
#[inline(always)]
fn fma(a: f32, b: f32, c: f32) -> f32 {
    num_traits::Float::mul_add(a, b, c)
}

/// The polynomial with coefficients `c` (highest degree first) at `x`, by Horner's rule.
#[inline(always)]
fn horner<const N: usize>(x: f32, c: [f32; N]) -> f32 {
    let mut r = c[0];
    for &k in &c[1..] {
        r = fma(r, x, k);
    }
    r
}

/// `2^k` for `k` in `-126..=127`.
#[inline(always)]
fn pow2i(k: i32) -> f32 {
    f32::from_bits((k.wrapping_add(127) << 23) as u32)
}

/// `e^x`.
#[inline(always)]
pub(crate) fn exp(x: f32) -> f32 {
    // Below -104 the result rounds to 0. Those lanes (the -inf of every masked softmax) compute
    // e^0 instead and are set to 0 at the end: carried through, their last multiply would
    // underflow, which costs a microcode assist per vector (a causal softmax ran 1.3x slower).
    let zero = x < -104.0;
    // Past 89 the result is +inf: clamping there changes nothing.
    let x = if zero { 0.0 } else { clamp(x, -104.0, 89.0) };
    let t = fma(x, LOG2E, ROUND);
    let n = t - ROUND;
    let k = (t.to_bits() as i32).wrapping_sub(ROUND.to_bits() as i32);
    let r = fma(n, -LN2_LO, fma(n, -LN2_HI, x));
    let p = fma(horner(r, [1.987_569_2e-4, 1.398_2e-3, 8.333_452e-3, 4.166_579_6e-2, 1.666_666_5e-1, 5e-1]), r * r, r)
        + 1.0;
    // 2^k in two factors, each a normal number: k in -150..=129 overflows to inf and
    // underflows to subnormals and 0 in the last multiply, rounding once.
    let k1 = k >> 1;
    let e = p * pow2i(k1) * pow2i(k.wrapping_sub(k1));
    if zero {
        0.0
    } else {
        e
    }
}

/// The natural logarithm.
#[inline(always)]
pub(crate) fn ln(x: f32) -> f32 {
    // Subnormals are scaled by 2^23 into the normal range first.
    let subnormal = x < f32::MIN_POSITIVE;
    let xs = if subnormal { x * 8_388_608.0 } else { x };
    let r = ln_scaled(xs, 126 + 23 * subnormal as i32);
    // The special arguments, told apart by their bits (as float compares, LLVM merges them into
    // a class test that costs a dozen mask operations per vector, half of ln's time on Zen 5):
    // finite positive numbers are the bits 1..0x7f80_0000, ±0 gives -inf, +inf and +NaN
    // (positive bits) themselves, the rest (negative numbers, -NaN) NaN.
    let b = x.to_bits();
    let special = if b << 1 == 0 {
        f32::NEG_INFINITY
    } else if (b as i32) > 0 {
        x
    } else {
        f32::NAN
    };
    if b.wrapping_sub(1) < 0x7f7f_ffff {
        r
    } else {
        special
    }
}

/// `ln(xs) + (bias - 126) ln 2` for a positive normal `xs` (garbage for any other): [`ln`]
/// without the scaling of subnormals and the special arguments, for callers that have none.
#[inline(always)]
fn ln_scaled(xs: f32, bias: i32) -> f32 {
    let bits = xs.to_bits() as i32;
    // xs = m 2^e with m in [0.5, 1).
    let e = (bits >> 23).wrapping_sub(bias);
    let m = f32::from_bits(((bits & 0x007f_ffff) | 0x3f00_0000) as u32);
    // m below sqrt(1/2) becomes 2m (and e - 1), so f = m - 1 lies in [-0.29, 0.41].
    let low = m < core::f32::consts::FRAC_1_SQRT_2;
    let e = if low { e.wrapping_sub(1) } else { e } as f32;
    let f = if low { m + m - 1.0 } else { m - 1.0 };
    let z = f * f;
    let p = horner(
        f,
        [
            7.037_683_6e-2,
            -1.151_461e-1,
            1.167_699_9e-1,
            -1.242_014_1e-1,
            1.424_932_3e-1,
            -1.666_805_8e-1,
            2.000_071_5e-1,
            -2.499_999_4e-1,
            3.333_333e-1,
        ],
    ) * f
        * z;
    fma(e, LN2_HI, f + fma(e, LN2_LO, fma(-0.5, z, p)))
}

/// The hyperbolic tangent.
#[inline(always)]
pub(crate) fn tanh(x: f32) -> f32 {
    let a = abs(x);
    let z = x * x;
    let small =
        fma(horner(z, [-5.704_988_7e-3, 2.063_909e-2, -5.373_971_6e-2, 1.333_144_2e-1, -3.333_328e-1]) * z, x, x);
    // The sign of x, for -0.0 too (where the sum above is +0.0).
    let small = copysign(small, x);
    // 1 - 2 / (e^2|x| + 1), which is 1 once e^2|x| overflows.
    let large = copysign(1.0 - 2.0 / (exp(a + a) + 1.0), x);
    if a < 0.625 {
        small
    } else {
        large
    }
}

/// The error function.
#[inline(always)]
pub(crate) fn erf(x: f32) -> f32 {
    let z = x * x;
    let (small, tail) = erf_parts(x, z, fma(x, x, -z));
    if abs(x) < 0.9 {
        small
    } else {
        copysign(1.0 - tail, x)
    }
}

/// `erf(x)` for `|x| < 0.9`, and `erfc(|x|)` for `|x| >= 0.9` (garbage outside each range);
/// `x^2` is `z + z_lo` (`z_lo` the rounding error of `z`, which `e^(-x^2)` would otherwise
/// magnify by `x^2`).
#[inline(always)]
fn erf_parts(x: f32, z: f32, z_lo: f32) -> (f32, f32) {
    let a = abs(x);
    let p = horner(z, [-6.102_999e-4, 5.011_060_3e-3, -2.677_503_4e-2, 1.128_19e-1, -3.761_248e-1, 1.283_791_4e-1]);
    let small = fma(x, p, x);
    // erfc(a) = e^(-a^2) Q(s), s = 1/a - 0.68 (fitted on a in [0.9, 4]; past 4 erf rounds to 1).
    let s = 1.0 / if a > 0.9 { a } else { 0.9 } - 0.680_555_6;
    let q = horner(
        s,
        [
            -2.311_466_6e-2,
            1.383_103e-2,
            1.087_796_3e-2,
            -2.436_066e-2,
            3.356_607e-2,
            -3.405_583e-2,
            1.213_659_3e-2,
            4.763_688e-2,
            -1.647_43e-1,
            3.635_48e-1,
            3.266_666e-1,
        ],
    );
    // (z_lo is NaN for an infinite x, where the tail is 0 anyway.)
    let z_lo = if abs(z_lo) < 1.0 { z_lo } else { 0.0 };
    (small, exp(-z) * fma(-z_lo, q, q))
}

/// `e^(x + x_lo)` for `x` in `[-46, 0]` (the caller bounds it) and a tiny `x_lo` (the rounding
/// error of computing `x`, which `e^x` would magnify by `|x|`): [`exp`] without its range
/// handling (no overflow or underflow can happen there, so one scale factor and no selects) and
/// with a polynomial one degree lower (fitted here: relative error 3.6e-9 on the reduced range,
/// against Cephes' 4e-11, which the callers' own roundings hide).
#[inline(always)]
fn exp_nonpositive(x: f32, x_lo: f32) -> f32 {
    let t = fma(x, LOG2E, ROUND);
    let n = t - ROUND;
    let k = (t.to_bits() as i32).wrapping_sub(ROUND.to_bits() as i32);
    let r = fma(n, -LN2_LO, fma(n, -LN2_HI, x)) + x_lo;
    let p =
        fma(horner(r, [1.381_453_9e-3, 8.368_745e-3, 4.166_839e-2, 1.666_652_1e-1, 4.999_999_4e-1]), r * r, r) + 1.0;
    // p 2^k (p in [0.7, 1.5], k in [-66, 0]: a normal number) by adding k to p's exponent,
    // an integer addition that leaves the multiply units, which the callers are bound by.
    f32::from_bits(p.to_bits().wrapping_add((k << 23) as u32))
}

/// Past this `|x|`, `Φ(x)` is 0 or 1 to f32 (`Φ(-9.5) = 1e-21`, a GELU of `-1e-20`): the
/// arguments are clamped to it, so `e^(-x^2/2)` stays a normal number (no subnormal results,
/// which cost a microcode assist per vector) and ±inf take the same path as finite numbers.
const CDF_CLAMP: f32 = 9.5;

/// The standard normal CDF `Φ(x) = erfc(-x / sqrt 2) / 2`, and `e^(-c^2 / 2)` for `x` clamped
/// to `c` in `[-9.5, 9.5]`. One formula over the whole line: `erfc(a) = e^(-a^2) t P(t)` with
/// `t = 1 / (1 + a / 2)` (`P` of degree 8 fitted here on the clamped range, `t` in
/// `[0.229, 1]`, relative error 5e-8; its coefficients are halved, giving `erfc / 2`), and
/// `Φ = 1 - erfc(a) / 2` for `x >= 0`, where nothing cancels (`Φ >= 1/2`); cheaper than
/// [`erf`]'s two branches, which `erf` needs for its relative accuracy near 0 and `Φ` does not.
/// The loops that call it are bound by its count of multiplies and fused multiply-adds (24 per
/// vector); each one saved is about 4% of GELU's time.
#[inline(always)]
fn normal_cdf(x: f32) -> (f32, f32) {
    let c = clamp(x, -CDF_CLAMP, CDF_CLAMP);
    let t = 1.0 / fma(abs(c), 0.5 * core::f32::consts::FRAC_1_SQRT_2, 1.0);
    let p = horner(
        t,
        [
            -2.791_064_6e-2,
            1.341_933_3e-1,
            -2.264_173_8e-1,
            1.187_936_2e-1,
            1.119_096_3e-3,
            9.498_177e-2,
            1.232_404_2e-1,
            1.409_415_2e-1,
            1.410_582_7e-1,
        ],
    );
    // -c^2 / 2 and its rounding error (exact: -c / 2 is), which e^(-c^2/2) would otherwise
    // magnify by c^2 / 2.
    let h = -0.5 * c;
    let hc = h * c;
    let e = exp_nonpositive(hc, fma(h, c, -hc));
    let half_erfc = e * (t * p);
    let cdf = if x < 0.0 { half_erfc } else { 1.0 - half_erfc };
    (if x < -CDF_CLAMP { 0.0 } else { cdf }, e)
}

/// `1 / (1 + e^-x)`.
#[inline(always)]
pub(crate) fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + exp(-x))
}

/// `ln(1 + y)` for `y >= 0` (as `e^x` in softplus): `ln(u) * y / (u - 1)` with `u = 1 + y`
/// cancels the rounding of `u`, as in Goldberg's log1p.
#[inline(always)]
fn ln_1p_nonnegative(y: f32) -> f32 {
    let u = 1.0 + y;
    // u >= 1: a normal number, or +inf (then y is too, handled below).
    let r = ln_scaled(u, 126) * (y / (u - 1.0));
    // Where u rounds to 1, ln(1 + y) = y; where y is inf, so is the result.
    if u == 1.0 || y == f32::INFINITY {
        y
    } else {
        r
    }
}

/// `ln(1 + e^(beta x)) / beta`, and `x` where `beta x > threshold`, as PyTorch's softplus.
#[inline(always)]
pub(crate) fn softplus(x: f32, beta: f32, threshold: f32) -> f32 {
    let bx = x * beta;
    let r = ln_1p_nonnegative(exp(bx)) / beta;
    if bx > threshold {
        x
    } else {
        r
    }
}

/// Exact GELU, `x Φ(x) = x (1 + erf(x / sqrt 2)) / 2`.
#[inline(always)]
pub(crate) fn gelu(x: f32) -> f32 {
    // Below the CDF's clamp Φ is 0: x clamped there gives the limit -0.0 for x = -inf too.
    let x_lo = if x < -CDF_CLAMP { -CDF_CLAMP } else { x };
    x_lo * normal_cdf(x).0
}

/// d/dx of exact GELU: `Φ(x) + x φ(x)`.
#[inline(always)]
pub(crate) fn gelu_grad(x: f32) -> f32 {
    let (cdf, e) = normal_cdf(x);
    // φ(x) = e^(-x^2/2) / sqrt(2 pi); e is φ's at x clamped, and so is the x multiplying it
    // (x φ(x) is below 1e-19 past the clamp; an infinite x would make it NaN).
    fma(clamp(x, -CDF_CLAMP, CDF_CLAMP), 0.398_942_3 * e, cdf)
}

/// GELU's tanh approximation, `x (1 + tanh(v)) / 2` with `v = sqrt(2/pi) (x + 0.044715 x^3)`,
/// computed as `x sigmoid(2v)` (the same function: `1 + tanh v = 2 / (1 + e^-2v)`), which
/// does not cancel for negative `x` as `1 + tanh v` does.
#[inline(always)]
pub(crate) fn gelu_tanh(x: f32) -> f32 {
    let v2 = 1.595_769 * (x + 0.044_715 * x * x * x);
    x / (1.0 + exp(-v2))
}

/// d/dx of [`gelu_tanh`]: `s + 2 x s (1 - s) v'`, with `s = sigmoid(2v)`.
#[inline(always)]
pub(crate) fn gelu_tanh_grad(x: f32) -> f32 {
    let x2 = x * x;
    let s = sigmoid(1.595_769 * (x + 0.044_715 * x2 * x));
    let dv2 = 1.595_769 * (1.0 + 3.0 * 0.044_715 * x2);
    s + x * s * (1.0 - s) * dv2
}

/// The transcendental functions of the float kernels, by type: the polynomials of this module for
/// f32, the C library's (through `num_traits`, or `libm` without `std`) for f64, whose users ask
/// for accuracy first. Called as `Math::exp(x)` (an inherent `x.exp()` would win over it).
pub(crate) trait Math: super::FloatElem {
    /// `e^x`.
    fn exp(self) -> Self;
    /// `ln x`.
    fn ln(self) -> Self;
    /// `tanh x`.
    fn tanh(self) -> Self;
    /// `erf x`.
    fn erf(self) -> Self;
    /// `1 / (1 + e^-x)`.
    fn sigmoid(self) -> Self;
    /// PyTorch's softplus (see [`softplus`]).
    fn softplus(self, beta: Self, threshold: Self) -> Self;
    /// Exact GELU.
    fn gelu(self) -> Self;
    /// Exact GELU's derivative.
    fn gelu_grad(self) -> Self;
    /// GELU's tanh approximation.
    fn gelu_tanh(self) -> Self;
    /// Its derivative.
    fn gelu_tanh_grad(self) -> Self;
}

impl Math for f32 {
    #[inline(always)]
    fn exp(self) -> f32 {
        exp(self)
    }
    #[inline(always)]
    fn ln(self) -> f32 {
        ln(self)
    }
    #[inline(always)]
    fn tanh(self) -> f32 {
        tanh(self)
    }
    #[inline(always)]
    fn erf(self) -> f32 {
        erf(self)
    }
    #[inline(always)]
    fn sigmoid(self) -> f32 {
        sigmoid(self)
    }
    #[inline(always)]
    fn softplus(self, beta: f32, threshold: f32) -> f32 {
        softplus(self, beta, threshold)
    }
    #[inline(always)]
    fn gelu(self) -> f32 {
        gelu(self)
    }
    #[inline(always)]
    fn gelu_grad(self) -> f32 {
        gelu_grad(self)
    }
    #[inline(always)]
    fn gelu_tanh(self) -> f32 {
        gelu_tanh(self)
    }
    #[inline(always)]
    fn gelu_tanh_grad(self) -> f32 {
        gelu_tanh_grad(self)
    }
}

impl Math for f64 {
    fn exp(self) -> f64 {
        num_traits::Float::exp(self)
    }
    fn ln(self) -> f64 {
        num_traits::Float::ln(self)
    }
    fn tanh(self) -> f64 {
        num_traits::Float::tanh(self)
    }
    fn erf(self) -> f64 {
        libm::erf(self)
    }
    fn sigmoid(self) -> f64 {
        1.0 / (1.0 + Math::exp(-self))
    }
    fn softplus(self, beta: f64, threshold: f64) -> f64 {
        let bx = self * beta;
        if bx > threshold {
            self
        } else {
            num_traits::Float::ln_1p(Math::exp(bx)) / beta
        }
    }
    fn gelu(self) -> f64 {
        0.5 * self * (1.0 + libm::erf(self * core::f64::consts::FRAC_1_SQRT_2))
    }
    fn gelu_grad(self) -> f64 {
        let cdf = 0.5 * (1.0 + libm::erf(self * core::f64::consts::FRAC_1_SQRT_2));
        let pdf = 0.398_942_280_401_432_7 * Math::exp(-0.5 * self * self); // 1 / sqrt(2 pi)
        cdf + self * pdf
    }
    fn gelu_tanh(self) -> f64 {
        // 2 sqrt(2 / pi); as f32's: x sigmoid(2v) = x (1 + tanh v) / 2.
        let k2 = 1.595_769_121_605_731;
        self / (1.0 + Math::exp(-k2 * (self + 0.044715 * self * self * self)))
    }
    fn gelu_tanh_grad(self) -> f64 {
        let (k2, c, x) = (1.595_769_121_605_731, 0.044715, self);
        let s = Math::sigmoid(k2 * (x + c * x * x * x));
        s + x * s * (1.0 - s) * k2 * (1.0 + 3.0 * c * x * x)
    }
}

#[cfg(test)]
mod tests {
    //! Each function against f64 on a dense grid and at the special values, in ulps of the
    //! f32 result (the f64 reference rounded to f32: an error of 0.5 is correctly rounded).
    use super::*;

    fn ulps(got: f32, want: f64) -> f64 {
        if got.is_nan() || want.is_nan() {
            return if got.is_nan() && want.is_nan() { 0.0 } else { f64::INFINITY };
        }
        let w = want as f32;
        if w.is_infinite() || got.is_infinite() {
            return if got == w { 0.0 } else { f64::INFINITY };
        }
        // The spacing of f32s at the reference (the smallest subnormal at 0).
        let spacing = (f32::from_bits(w.abs().to_bits() + 1) - w.abs()) as f64;
        (got as f64 - want).abs() / spacing
    }

    /// The worst error of `f` over `n` points of `[lo, hi]`, and where it is.
    fn worst(f: impl Fn(f32) -> f32, reference: impl Fn(f64) -> f64, lo: f32, hi: f32, n: usize) -> (f64, f32) {
        let mut w = (0.0, lo);
        for i in 0..=n {
            let x = lo + (hi - lo) * (i as f32 / n as f32);
            let e = ulps(f(x), reference(x as f64));
            if e > w.0 {
                w = (e, x);
            }
        }
        w
    }

    #[test]
    fn exp_within_2_ulp() {
        let (e, at) = worst(exp, libm::exp, -103.0, 88.7, 400_000);
        assert!(e <= 2.0, "exp: {e} ulp at {at}");
        let (e, at) = worst(exp, libm::exp, -1.0, 1.0, 200_000);
        assert!(e <= 1.0, "exp: {e} ulp at {at}");
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(f32::NEG_INFINITY), 0.0);
        assert_eq!(exp(-200.0), 0.0);
        assert_eq!(exp(f32::INFINITY), f32::INFINITY);
        assert_eq!(exp(89.0), f32::INFINITY);
        assert!(exp(f32::NAN).is_nan());
        // Subnormal results: e^-100 = 3.72e-44; across the cut to 0 at -104.
        assert!(ulps(exp(-100.0), libm::exp(-100.0)) <= 1.0);
        let (e, at) = worst(exp, libm::exp, -110.0, -100.0, 100_000);
        assert!(e <= 1.0, "exp near underflow: {e} ulp at {at}");
    }

    #[test]
    fn ln_within_2_ulp() {
        let (e, at) = worst(ln, libm::log, 1e-6, 4.0, 400_000);
        assert!(e <= 2.0, "ln: {e} ulp at {at}");
        let (e, at) = worst(ln, libm::log, 4.0, 3e38, 400_000);
        assert!(e <= 2.0, "ln: {e} ulp at {at}");
        let (e, at) = worst(ln, libm::log, 1e-44, 1e-37, 100_000);
        assert!(e <= 2.0, "ln of subnormals: {e} ulp at {at}");
        assert_eq!(ln(1.0), 0.0);
        assert_eq!(ln(0.0), f32::NEG_INFINITY);
        assert_eq!(ln(-0.0), f32::NEG_INFINITY);
        assert_eq!(ln(f32::INFINITY), f32::INFINITY);
        assert!(ln(-1.0).is_nan() && ln(f32::NAN).is_nan() && ln(f32::NEG_INFINITY).is_nan());
        assert!(ln(-f32::NAN).is_nan() && ln(-f32::MIN_POSITIVE).is_nan());
        // The ends of the ordinary range, which ln tells apart by their bits.
        assert_eq!(ln(f32::MAX), libm::log(f32::MAX as f64) as f32);
        assert_eq!(ln(f32::from_bits(1)), libm::log(f32::from_bits(1) as f64) as f32);
    }

    #[test]
    fn tanh_within_2_ulp() {
        let (e, at) = worst(tanh, libm::tanh, -12.0, 12.0, 400_000);
        assert!(e <= 2.0, "tanh: {e} ulp at {at}");
        let (e, at) = worst(tanh, libm::tanh, -1e-3, 1e-3, 100_000);
        assert!(e <= 1.0, "tanh near 0: {e} ulp at {at}");
        assert_eq!(tanh(f32::INFINITY), 1.0);
        assert_eq!(tanh(f32::NEG_INFINITY), -1.0);
        assert_eq!(tanh(100.0), 1.0);
        assert_eq!(tanh(-0.0).to_bits(), (-0.0f32).to_bits());
        assert!(tanh(f32::NAN).is_nan());
    }

    #[test]
    fn erf_within_2_ulp() {
        let (e, at) = worst(erf, libm::erf, -6.0, 6.0, 400_000);
        assert!(e <= 2.0, "erf: {e} ulp at {at}");
        let (e, at) = worst(erf, libm::erf, -1e-3, 1e-3, 100_000);
        assert!(e <= 1.5, "erf near 0: {e} ulp at {at}");
        assert_eq!(erf(f32::INFINITY), 1.0);
        assert_eq!(erf(f32::NEG_INFINITY), -1.0);
        assert_eq!(erf(-0.0).to_bits(), (-0.0f32).to_bits());
        assert!(erf(f32::NAN).is_nan());
    }

    #[test]
    fn composites_match_their_f64_formulas() {
        let sigmoid64 = |x: f64| 1.0 / (1.0 + libm::exp(-x));
        // Below -87 the result is subnormal and 1 / (1 + e^-x) loses it, as PyTorch's kernel does.
        let (e, at) = worst(sigmoid, sigmoid64, -87.0, 30.0, 200_000);
        assert!(e <= 3.0, "sigmoid: {e} ulp at {at}");
        assert!(sigmoid(-100.0) < 1e-38 && sigmoid(-100.0) >= 0.0);
        let softplus64 = |x: f64| if x > 20.0 { x } else { libm::log1p(libm::exp(x)) };
        let (e, at) = worst(|x| softplus(x, 1.0, 20.0), softplus64, -80.0, 30.0, 200_000);
        assert!(e <= 3.0, "softplus: {e} ulp at {at}");
        assert_eq!(softplus(-200.0, 1.0, 20.0), 0.0);
        let gelu64 = |x: f64| 0.5 * x * libm::erfc(-x * core::f64::consts::FRAC_1_SQRT_2);
        let (e, at) = worst(gelu, gelu64, -3.0, 10.0, 200_000);
        assert!(e <= 6.0, "gelu: {e} ulp at {at}");
        // In the lower tail, e^(-x^2/2) from a rounded x^2 costs about x^2/2 ulp (as glibc's
        // erff before it splits x^2): a relative error under 1e-5 down to -5.6 (erfc's fitted
        // range), and an absolute one under 1e-12 beyond (|gelu| < 5e-8 there).
        for i in 0..=9000 {
            let x = -12.0 + i as f32 * 1e-3;
            let (got, want) = (gelu(x) as f64, gelu64(x as f64));
            let ok = if x > -5.6 { ((got - want) / want).abs() < 1e-5 } else { (got - want).abs() < 1e-12 };
            assert!(ok, "gelu({x}) = {got} != {want}");
        }
        // The limits, and past the clamp of the CDF (-9.5): 0 or x, never NaN.
        assert_eq!(gelu(f32::INFINITY), f32::INFINITY);
        assert_eq!(gelu(f32::NEG_INFINITY), 0.0);
        assert!(gelu(f32::NAN).is_nan() && gelu_grad(f32::NAN).is_nan());
        assert_eq!((gelu(1e30), gelu(-1e30), gelu(9.6)), (1e30, 0.0, 9.6));
        assert_eq!(gelu_grad(f32::INFINITY), 1.0);
        for x in [f32::NEG_INFINITY, -1e30, -9.6] {
            assert!(gelu_grad(x).abs() < 1e-18, "gelu'({x}) = {}", gelu_grad(x));
        }
        // 0.5 x (1 + tanh v) as x / (1 + e^-2v): in f64 too, 1 + tanh v cancels for x < -6.
        let tanh64 = |x: f64| {
            let k = (2.0 / core::f64::consts::PI).sqrt();
            x / (1.0 + libm::exp(-2.0 * k * (x + 0.044715 * x * x * x)))
        };
        let (e, at) = worst(gelu_tanh, tanh64, -1.0, 10.0, 200_000);
        assert!(e <= 8.0, "gelu_tanh: {e} ulp at {at}");
        // Below, the result is ill-conditioned in v = O(x^3): f32's rounding of v costs |2v| ulp.
        for i in 0..=8000 {
            let x = -9.0 + i as f32 * 1e-3;
            let (got, want) = (gelu_tanh(x) as f64, tanh64(x as f64));
            assert!(((got - want) / want).abs() < 2e-5, "gelu_tanh({x}) = {got} != {want}");
        }
    }

    #[test]
    fn gradients_match_central_differences() {
        // In f64 around the f32 formulas: the derivative formulas against (f(x+h) - f(x-h)) / 2h.
        let gelu64 = |x: f64| 0.5 * x * (1.0 + libm::erf(x * core::f64::consts::FRAC_1_SQRT_2));
        let k = (2.0 / core::f64::consts::PI).sqrt();
        let gelu_tanh64 = |x: f64| 0.5 * x * (1.0 + libm::tanh(k * (x + 0.044715 * x * x * x)));
        let h = 1e-5;
        for i in 0..=800 {
            let x = -8.0 + i as f64 * 0.02;
            let num = (gelu64(x + h) - gelu64(x - h)) / (2.0 * h);
            assert!((gelu_grad(x as f32) as f64 - num).abs() < 2e-6, "gelu' at {x}");
            let num = (gelu_tanh64(x + h) - gelu_tanh64(x - h)) / (2.0 * h);
            assert!((gelu_tanh_grad(x as f32) as f64 - num).abs() < 2e-6, "gelu_tanh' at {x}");
        }
    }
}
