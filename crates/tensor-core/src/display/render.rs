//! Laying the elements out as PyTorch's `_tensor_str_with_formatter` does: nested brackets, the
//! indent of the prefix plus one per dim, rows wrapped at `linewidth`, blank lines between the
//! blocks of 3-d and higher tensors, and `...` where a dim is summarised.
//!
//! When a tensor has more than `threshold` elements, every dim longer than `2 * edgeitems` keeps
//! only its first and last `edgeitems` entries (PyTorch's `get_summarized_data`). Only those
//! entries are copied to the host: one narrowed block per combination of ends.

use super::format::{Formatter, Values};
use super::PrintOptions;
use crate::{DType, Element, Result, Tensor};
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

/// The elements that will be printed, row-major over `kept`.
pub(super) struct Gathered {
    /// The values.
    pub(super) values: Values,
    /// The printed extent of each dim (`2 * edgeitems` for a summarised dim).
    kept: Vec<usize>,
    /// Which dims are summarised (print `...` between their two ends).
    cut: Vec<bool>,
    /// `edgeitems`.
    edge: usize,
}

/// Copies the elements to print to the host (only the ends of summarised dims).
#[track_caller]
pub(super) fn gather(t: &Tensor, opts: &PrintOptions) -> Result<Gathered> {
    let summarize = t.numel() > opts.threshold;
    let edge = opts.edgeitems;
    let dims = t.size();
    let cut: Vec<bool> = dims.iter().map(|&n| summarize && n > edge.saturating_mul(2)).collect();
    let kept: Vec<usize> = dims.iter().zip(&cut).map(|(&n, &c)| if c { 2 * edge } else { n }).collect();
    let values = match t.dtype() {
        DType::Bool => Values::Bool(collect(t, &cut, &kept, edge)?),
        DType::U64 => Values::Int(collect::<u64>(t, &cut, &kept, edge)?.into_iter().map(i128::from).collect()),
        d if d.is_int() => Values::Int(collect::<i64>(t, &cut, &kept, edge)?.into_iter().map(i128::from).collect()),
        _ => Values::Float(collect(t, &cut, &kept, edge)?),
    };
    Ok(Gathered { values, kept, cut, edge })
}

/// The kept elements of `t` as `T`, row-major over `kept`.
#[track_caller]
fn collect<T: Element>(t: &Tensor, cut: &[bool], kept: &[usize], edge: usize) -> Result<Vec<T>> {
    if !cut.iter().any(|&c| c) {
        return t.to_vec::<T>();
    }
    let total: usize = kept.iter().product();
    if total == 0 {
        return Ok(Vec::new());
    }
    let rank = kept.len();
    let mut out_strides = vec![1usize; rank];
    for d in (0..rank.saturating_sub(1)).rev() {
        out_strides[d] = out_strides[d + 1] * kept[d + 1];
    }
    let cut_dims: Vec<usize> = (0..rank).filter(|&d| cut[d]).collect();
    let mut out = vec![T::ZERO; total];
    // Each summarised dim is longer than 2 * edge >= 2, so there are far fewer than 64 of them.
    let blocks = 1usize.checked_shl(cut_dims.len() as u32).unwrap_or(0);
    for mask in 0..blocks {
        let mut block = t.shallow_clone();
        let mut base = 0usize;
        for (j, &d) in cut_dims.iter().enumerate() {
            let high = (mask >> j) & 1 == 1;
            let start = if high { t.size()[d] - edge } else { 0 };
            block = block.narrow(d as isize, start as isize, edge)?;
            if high {
                base += edge * out_strides[d];
            }
        }
        let shape: Vec<usize> = block.size().to_vec();
        let mut idx = vec![0usize; rank];
        for v in block.to_vec::<T>()? {
            let off = base + idx.iter().zip(&out_strides).map(|(i, s)| i * s).sum::<usize>();
            if let Some(slot) = out.get_mut(off) {
                *slot = v;
            }
            for d in (0..rank).rev() {
                idx[d] += 1;
                if idx[d] < shape[d] {
                    break;
                }
                idx[d] = 0;
            }
        }
    }
    Ok(out)
}

/// The bracketed elements (PyTorch's `_tensor_str` for a nonempty tensor), for a tensor whose
/// first line starts after `indent` characters.
pub(super) fn render(g: &Gathered, f: &Formatter, opts: &PrintOptions, indent: usize) -> String {
    let mut out = String::new();
    let layout = Layout { g, f, opts };
    layout.tensor(&mut out, 0, 0, indent);
    out
}

struct Layout<'a> {
    g: &'a Gathered,
    f: &'a Formatter,
    opts: &'a PrintOptions,
}

impl Layout<'_> {
    /// The indices of dim `d` to print, `None` standing for `...`.
    fn rows(&self, d: usize) -> Vec<Option<usize>> {
        let n = self.g.kept[d];
        if self.g.cut[d] {
            let e = self.g.edge;
            (0..e).map(Some).chain([None]).chain((e..n).map(Some)).collect()
        } else {
            (0..n).map(Some).collect()
        }
    }

    /// The sub-tensor of dims `d..` that starts at element `offset`.
    fn tensor(&self, out: &mut String, d: usize, offset: usize, indent: usize) {
        let rank = self.g.kept.len();
        match rank - d {
            0 => out.push_str(&self.f.format(&self.g.values, offset)),
            1 => self.vector(out, d, offset, indent),
            left => {
                let stride: usize = self.g.kept[d + 1..].iter().product();
                let mut sep = String::from(",");
                sep.push_str(&"\n".repeat(left - 1));
                sep.push_str(&" ".repeat(indent + 1));
                out.push('[');
                for (k, row) in self.rows(d).into_iter().enumerate() {
                    if k > 0 {
                        out.push_str(&sep);
                    }
                    match row {
                        Some(i) => self.tensor(out, d + 1, offset + i * stride, indent + 1),
                        None => out.push_str("..."),
                    }
                }
                out.push(']');
            }
        }
    }

    /// The last dim: elements joined by `, `, wrapped at `linewidth` (PyTorch's `_vector_str`).
    fn vector(&self, out: &mut String, d: usize, offset: usize, indent: usize) {
        let element_length = self.f.width() + 2;
        let per_line = (self.opts.linewidth.saturating_sub(indent) / element_length).max(1);
        let items: Vec<String> = self
            .rows(d)
            .into_iter()
            .map(|row| match row {
                Some(i) => self.f.format(&self.g.values, offset + i),
                // With `edgeitems == 0` PyTorch prints a bare `...`.
                None if self.g.edge == 0 => String::from("..."),
                None => String::from(" ..."),
            })
            .collect();
        let mut sep = String::from(",\n");
        sep.push_str(&" ".repeat(indent + 1));
        out.push('[');
        for (k, line) in items.chunks(per_line).enumerate() {
            if k > 0 {
                out.push_str(&sep);
            }
            out.push_str(&line.join(", "));
        }
        out.push(']');
    }
}
