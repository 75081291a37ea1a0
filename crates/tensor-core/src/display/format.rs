//! Number formatting as PyTorch's `torch._tensor_str._Formatter` does it.
//!
//! One [`Formatter`] is built from every value that will be printed (the summarised values when
//! the tensor is elided) and decides, as PyTorch does, between three float styles:
//!
//! - *int mode* (`1.`, `-3.`): every nonzero finite value is integral;
//! - *fixed* (`0.5000`): `precision` digits after the point;
//! - *sci mode* (`5.1200e+01`): when `max / min > 1000`, `max > 1e8` or `min < 1e-4`, over the
//!   absolute values of the nonzero finite elements (or as `PrintOptions::sci_mode` forces).
//!
//! Every element is then right-aligned to the widest one. The strings are those of Python's
//! `format` on a Python float (a double): `nan` and `inf` spelled in lower case, the exponent
//! signed and at least two digits wide, ties rounded half to even on the exact binary value
//! (Rust's float formatting rounds the same way).

use super::PrintOptions;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// The elements of a tensor, converted on the host to the widest type of their category.
pub(super) enum Values {
    /// Floats (every float dtype widens to f64 exactly).
    Float(Vec<f64>),
    /// Integers (i128 holds every integer dtype, uint64 too).
    Int(Vec<i128>),
    /// Booleans.
    Bool(Vec<bool>),
}

/// Python's `"{:.{p}f}".format(v)`.
pub(super) fn fixed(v: f64, precision: usize) -> String {
    if v.is_nan() {
        String::from("nan")
    } else if v.is_infinite() {
        String::from(if v > 0.0 { "inf" } else { "-inf" })
    } else {
        format!("{v:.precision$}")
    }
}

/// Python's `"{:.{p}e}".format(v)`: `5.1200e+01`, `-1.0000e-05`.
pub(super) fn sci(v: f64, precision: usize) -> String {
    if !v.is_finite() {
        return fixed(v, precision);
    }
    let s = format!("{v:.precision$e}");
    match s.split_once('e') {
        Some((mantissa, exp)) => {
            let (sign, digits) = match exp.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', exp),
            };
            format!("{mantissa}e{sign}{digits:0>2}")
        }
        None => s,
    }
}

/// The style of the elements of one tensor.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Style {
    /// Floats, with PyTorch's two flags.
    Float { int_mode: bool, sci_mode: bool },
    /// Integers and booleans: Python's `str`.
    Plain,
}

/// PyTorch's `_Formatter`: the style and the common width of the elements of one tensor.
#[derive(Debug, Clone, Copy)]
pub(super) struct Formatter {
    style: Style,
    max_width: usize,
    precision: usize,
}

impl Formatter {
    /// Looks at every value to print and picks the style and width as PyTorch does.
    pub(super) fn new(values: &Values, opts: &PrintOptions) -> Formatter {
        let precision = opts.precision;
        let plain = |max_width| Formatter { style: Style::Plain, max_width, precision };
        match values {
            Values::Int(v) => plain(v.iter().map(|x| int_str(*x).len()).fold(1, usize::max)),
            Values::Bool(v) => plain(v.iter().map(|b| bool_str(*b).len()).fold(1, usize::max)),
            Values::Float(v) => Formatter::for_floats(v, opts),
        }
    }

    fn for_floats(values: &[f64], opts: &PrintOptions) -> Formatter {
        let p = opts.precision;
        let mut f = Formatter { style: Style::Float { int_mode: true, sci_mode: false }, max_width: 1, precision: p };
        let finite = || values.iter().copied().filter(|x| x.is_finite() && *x != 0.0);
        if finite().next().is_none() {
            // No value to measure: PyTorch keeps int mode and ignores a forced `sci_mode`.
            return f;
        }
        let (min, max) = finite().map(f64::abs).fold((f64::INFINITY, 0.0f64), |(lo, hi), a| (lo.min(a), hi.max(a)));
        let int_mode = finite().all(|x| x == libm::ceil(x));
        let sci_mode = opts.sci_mode.unwrap_or(max / min > 1000.0 || max > 1.0e8 || min < 1.0e-4);
        f.max_width = finite()
            .map(|x| match (sci_mode, int_mode) {
                (true, _) => sci(x, p).len(),
                (false, true) => fixed(x, 0).len() + 1,
                (false, false) => fixed(x, p).len(),
            })
            .fold(1, usize::max);
        f.style = Style::Float { int_mode, sci_mode };
        f
    }

    /// The width every element is padded to (PyTorch's `width()`).
    pub(super) fn width(&self) -> usize {
        self.max_width
    }

    /// Element `i` of `values`, right-aligned to the common width.
    pub(super) fn format(&self, values: &Values, i: usize) -> String {
        let s = match (values, self.style) {
            (Values::Float(v), Style::Float { int_mode, sci_mode }) => {
                let x = v.get(i).copied().unwrap_or(f64::NAN);
                if sci_mode {
                    sci(x, self.precision)
                } else if int_mode {
                    let mut s = fixed(x, 0);
                    if x.is_finite() {
                        s.push('.');
                    }
                    s
                } else {
                    fixed(x, self.precision)
                }
            }
            (Values::Float(v), Style::Plain) => fixed(v.get(i).copied().unwrap_or(f64::NAN), self.precision),
            (Values::Int(v), _) => v.get(i).map_or_else(String::new, |x| int_str(*x)),
            (Values::Bool(v), _) => String::from(v.get(i).map_or("", |b| bool_str(*b))),
        };
        let pad = self.max_width.saturating_sub(s.chars().count());
        let mut out = " ".repeat(pad);
        out.push_str(&s);
        out
    }
}

fn int_str(x: i128) -> String {
    format!("{x}")
}

fn bool_str(b: bool) -> &'static str {
    if b {
        "True"
    } else {
        "False"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_float_strings() {
        // '{:.4e}'.format(51.2), '{:.4e}'.format(-1e-5), '{:.4e}'.format(1e100), '{:.4f}'.format(0.03125)
        assert_eq!(sci(51.2, 4), "5.1200e+01");
        assert_eq!(sci(-1e-5, 4), "-1.0000e-05");
        assert_eq!(sci(1e100, 4), "1.0000e+100");
        assert_eq!(sci(f64::NAN, 4), "nan");
        assert_eq!(fixed(0.03125, 4), "0.0312");
        assert_eq!(fixed(-0.0, 0), "-0");
        assert_eq!(fixed(f64::NEG_INFINITY, 4), "-inf");
        assert_eq!(fixed(-f64::NAN, 4), "nan");
    }
}
