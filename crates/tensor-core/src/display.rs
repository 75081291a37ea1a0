//! `Display` for tensors: exactly what PyTorch 2.x prints (`torch/_tensor_str.py`).
//!
//! ```
//! use tensor_core::{Tensor, Device};
//! let t = Tensor::new([5.5f32, 3.0], &Device::Cpu)?;
//! assert_eq!(t.to_string(), "tensor([5.5000, 3.0000])");
//! let g = Tensor::new([[3f32, 3.], [3., 3.]], &Device::Cpu)?;
//! assert_eq!(
//!     g.format_with_suffixes(&["grad_fn=<AddBackward0>".to_string()]),
//!     "tensor([[3., 3.],\n        [3., 3.]], grad_fn=<AddBackward0>)"
//! );
//! # Ok::<(), tensor_core::Error>(())
//! ```
//!
//! - Floats: `precision` digits (`tensor([0.5000])`), `1.` when every value is integral, sci
//!   mode (`5.1200e+01`) on PyTorch's rules, every element right-aligned to the widest; `nan`,
//!   `inf`, `-0.` as Python spells them. `float16` / `bfloat16` print through `float32`.
//! - Integers as Python's `str`, booleans as `True` / `False`.
//! - More than `threshold` elements: each dim longer than `2 * edgeitems` shows its ends around
//!   `...`. Rows wrap at `linewidth`.
//! - Suffixes inside the parentheses, in PyTorch's order: `device='cuda:0'`, `size=(0, 3)` for
//!   an empty tensor that is not 1-d, `dtype=torch.float64` for dtypes other than `float32`,
//!   `int64` and `bool` (an empty tensor shows any dtype but `float32`), then the caller's
//!   (autograd's `requires_grad=True`, `grad_fn=<AddBackward0>`). A suffix that would pass
//!   `linewidth` goes on its own line.
//!
//! The options are global as in `torch.set_printoptions` ([`PrintOptions::set_global`]), or
//! given per call ([`Tensor::format_with_options`]).

mod format;
mod render;

use crate::{Tensor, DEFAULT_FLOAT};
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;
use core::sync::atomic::{AtomicU8, AtomicUsize, Ordering};

/// Print options, as `torch.set_printoptions`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PrintOptions {
    /// Digits after the point.
    pub precision: usize,
    /// Elements past which the middle is elided with `...` (`usize::MAX`: never).
    pub threshold: usize,
    /// Elements shown at each end of an elided dim.
    pub edgeitems: usize,
    /// Characters per line.
    pub linewidth: usize,
    /// Forces scientific notation on (`Some(true)`) or off (`Some(false)`) for float tensors;
    /// `None` lets PyTorch's rules choose.
    pub sci_mode: Option<bool>,
}

impl Default for PrintOptions {
    fn default() -> Self {
        PrintOptions { precision: 4, threshold: 1000, edgeitems: 3, linewidth: 80, sci_mode: None }
    }
}

static PRECISION: AtomicUsize = AtomicUsize::new(4);
static THRESHOLD: AtomicUsize = AtomicUsize::new(1000);
static EDGEITEMS: AtomicUsize = AtomicUsize::new(3);
static LINEWIDTH: AtomicUsize = AtomicUsize::new(80);
/// 0: `None`, 1: `Some(false)`, 2: `Some(true)`.
static SCI_MODE: AtomicU8 = AtomicU8::new(0);

impl PrintOptions {
    /// PyTorch's `profile="short"`: precision 2, edgeitems 2.
    pub fn short() -> Self {
        PrintOptions { precision: 2, edgeitems: 2, ..Default::default() }
    }
    /// PyTorch's `profile="full"`: never summarise.
    pub fn full() -> Self {
        PrintOptions { threshold: usize::MAX, ..Default::default() }
    }
    /// The options `Display` uses now (the defaults unless [`set_global`](Self::set_global) ran).
    pub fn current() -> Self {
        PrintOptions {
            precision: PRECISION.load(Ordering::Relaxed),
            threshold: THRESHOLD.load(Ordering::Relaxed),
            edgeitems: EDGEITEMS.load(Ordering::Relaxed),
            linewidth: LINEWIDTH.load(Ordering::Relaxed),
            sci_mode: match SCI_MODE.load(Ordering::Relaxed) {
                1 => Some(false),
                2 => Some(true),
                _ => None,
            },
        }
    }
    /// Makes these the options of every later `Display`, as `torch.set_printoptions` (for all
    /// threads; each field is set on its own, so a print racing this call may mix old and new).
    pub fn set_global(self) {
        PRECISION.store(self.precision, Ordering::Relaxed);
        THRESHOLD.store(self.threshold, Ordering::Relaxed);
        EDGEITEMS.store(self.edgeitems, Ordering::Relaxed);
        LINEWIDTH.store(self.linewidth, Ordering::Relaxed);
        SCI_MODE.store(
            match self.sci_mode {
                None => 0,
                Some(false) => 1,
                Some(true) => 2,
            },
            Ordering::Relaxed,
        );
    }
}

/// The prefix of a plain tensor's repr.
const PREFIX: &str = "tensor(";

impl Tensor {
    /// What PyTorch prints for this tensor with `extra` suffixes after the dtype, e.g.
    /// `["grad_fn=<AddBackward0>"]` gives `tensor([[3., 3.],\n        [3., 3.]], grad_fn=<AddBackward0>)`.
    /// `Display` is `format_with_suffixes(&[])`. Uses the global [`PrintOptions::current`].
    pub fn format_with_suffixes(&self, extra: &[String]) -> String {
        self.format_with_options(&PrintOptions::current(), extra)
    }

    /// [`format_with_suffixes`](Self::format_with_suffixes) with explicit print options.
    /// Never panics: elements that cannot be read print as `<error: ...>`.
    pub fn format_with_options(&self, opts: &PrintOptions, extra: &[String]) -> String {
        let indent = PREFIX.len();
        let mut suffixes: Vec<String> = Vec::new();
        if !self.device().is_cpu() {
            suffixes.push(format!("device='{}'", self.device().name()));
        }
        let body = if self.numel() == 0 {
            if self.dim() != 1 {
                suffixes.push(format!("size={}", python_tuple(self.size())));
            }
            if self.dtype() != DEFAULT_FLOAT {
                suffixes.push(format!("dtype={}", self.dtype().torch_name()));
            }
            String::from("[]")
        } else {
            if opts.edgeitems == 0 {
                suffixes.push(format!("size={}", python_tuple(self.size())));
            }
            if !matches!(self.dtype(), crate::DType::F32 | crate::DType::I64 | crate::DType::Bool) {
                suffixes.push(format!("dtype={}", self.dtype().torch_name()));
            }
            match render::gather(self, opts) {
                Ok(g) => {
                    let f = format::Formatter::new(&g.values, opts);
                    render::render(&g, &f, opts, indent)
                }
                Err(e) => format!("<error: {e}>"),
            }
        };
        suffixes.extend(extra.iter().cloned());
        let mut s = String::from(PREFIX);
        s.push_str(&body);
        add_suffixes(s, &suffixes, indent, opts.linewidth)
    }
}

/// PyTorch's `_add_suffixes`: `, suffix` on the last line while it fits in `linewidth`, else
/// `,\n` and the indent first.
fn add_suffixes(mut s: String, suffixes: &[String], indent: usize, linewidth: usize) -> String {
    // len(s) - s.rfind("\n") + 1, in characters (rfind gives -1 when there is no newline).
    let mut last_line_len = match s.rfind('\n') {
        Some(i) => s[i..].chars().count() + 1,
        None => s.chars().count() + 2,
    };
    for suffix in suffixes {
        let n = suffix.chars().count();
        if last_line_len + n + 2 > linewidth {
            s.push_str(",\n");
            s.push_str(&" ".repeat(indent));
            s.push_str(suffix);
            last_line_len = indent + n;
        } else {
            s.push_str(", ");
            s.push_str(suffix);
            last_line_len += n + 2;
        }
    }
    s.push(')');
    s
}

/// Python's `str(tuple(shape))`: `(0, 3)`, `(0,)`.
fn python_tuple(dims: &[usize]) -> String {
    let inner: Vec<String> = dims.iter().map(|d| d.to_string()).collect();
    if inner.len() == 1 {
        format!("({},)", inner[0])
    } else {
        format!("({})", inner.join(", "))
    }
}

impl fmt::Display for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.format_with_suffixes(&[]))
    }
}
