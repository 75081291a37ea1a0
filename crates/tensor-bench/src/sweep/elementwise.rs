//! The sweep's unary and binary elementwise ops and its reductions, on op_sweep.py's
//! `E = (2048, 1024)` (2M elements) unless a case says otherwise.

use super::{rnd, rnd_pos, Case, Setup};
use tensor_autograd::Var;
use tensor_core::{DType, Result, Tensor};

/// op_sweep.py's elementwise size.
const E: [usize; 2] = [2048, 1024];

/// A unary op of the sweep, as a `Var` method call.
type Unary = fn(&Var) -> Result<Var>;

/// The unary cases: (name, positive input, op), as op_sweep.py's table.
const UNARY: &[(&str, bool, Unary)] = &[
    ("relu", false, |x| x.relu()),
    ("gelu", false, |x| x.gelu(false)),
    ("gelu_tanh", false, |x| x.gelu(true)),
    ("silu", false, |x| x.silu()),
    ("sigmoid", false, |x| x.sigmoid()),
    ("tanh", false, |x| x.tanh()),
    ("exp", false, |x| x.exp()),
    ("log", true, |x| x.log()),
    ("sqrt", true, |x| x.sqrt()),
    ("square", false, |x| x.square()),
    ("pow_3", false, |x| x.pow(3)),
    ("abs", false, |x| x.abs()),
    // F.softplus's defaults: beta 1, threshold 20.
    ("softplus", false, |x| x.softplus(1.0, 20.0)),
    ("erf", false, |x| x.erf()),
    // F.leaky_relu's default slope.
    ("leaky_relu", false, |x| x.leaky_relu(0.01)),
];

/// A reduction of the sweep on one `E`-shaped input that requires grad.
const REDUCTIONS: &[(&str, Unary)] = &[
    ("sum_last", |x| x.sum_dim(&[-1], false)),
    ("mean_first", |x| x.mean_dim(&[0], false)),
    // `x.var(-1)`: correction 1.
    ("var_last", |x| x.var(&[-1], 1, false)),
    ("max_last", |x| Ok(x.max_dim(-1, false)?.0)),
    ("softmax_last", |x| x.softmax(-1)),
    ("log_softmax_last", |x| x.log_softmax(-1)),
    ("logsumexp_last", |x| x.logsumexp(&[-1], false)),
];

/// The cases of this family, in op_sweep.py's order.
pub fn cases() -> Vec<Case> {
    let mut cases: Vec<Case> = UNARY
        .iter()
        .map(|&(name, pos, op)| {
            Case::new(name, move |d| {
                let x = if pos { rnd_pos(&E, true, d)? } else { rnd(&E, true, d)? };
                Ok(Setup::graph(vec![x.clone()], move || op(&x)))
            })
        })
        .collect();
    cases.extend([
        Case::new("add", |d| binary(rnd(&E, true, d)?, rnd(&E, true, d)?, |a, b| a.add(b))),
        Case::new("mul_row_broadcast", |d| binary(rnd(&E, true, d)?, rnd(&E[1..], true, d)?, |a, b| a.mul(b))),
        Case::new("div_col_broadcast", |d| binary(rnd(&E, true, d)?, rnd_pos(&[E[0], 1], true, d)?, |a, b| a.div(b))),
        Case::new("add_transposed", |d| {
            binary(rnd(&[1024, 1024], true, d)?, rnd(&[1024, 1024], true, d)?, |a, b| a.add(&b.t()?))
        }),
        Case::new("maximum", |d| binary(rnd(&E, true, d)?, rnd(&E, true, d)?, |a, b| a.maximum(b))),
        Case::new("add_scalar_mul_scalar", |d| {
            let x = rnd(&E, true, d)?;
            Ok(Setup::graph(vec![x.clone()], move || x.mul(0.5)?.add(1.0)))
        }),
        Case::new("where", |d| {
            let cond = Tensor::randn(E, DType::F32, d)?.gt(0.0)?;
            binary(rnd(&E, true, d)?, rnd(&E, true, d)?, move |a, b| a.where_(&cond, b))
        }),
        Case::new("masked_fill_causal", |d| {
            let x = rnd(&[64, 256, 256], true, d)?;
            let mask = Tensor::ones([256, 256], DType::Bool, d)?.triu(1)?;
            Ok(Setup::graph(vec![x.clone()], move || x.masked_fill(&mask, f64::NEG_INFINITY)?.softmax(-1)))
        }),
    ]);
    cases.extend(REDUCTIONS.iter().map(|&(name, op)| {
        Case::new(name, move |d| {
            let x = rnd(&E, true, d)?;
            Ok(Setup::graph(vec![x.clone()], move || op(&x)))
        })
    }));
    cases.extend([
        Case::new("argmax_last", |d| {
            let x = Tensor::randn(E, DType::F32, d)?;
            Ok(Setup::forward_only(move || Ok(Var::constant(x.argmax(Some(-1), false)?))))
        }),
        Case::new("cumsum_last", |d| {
            let x = rnd(&E, true, d)?;
            Ok(Setup::graph(vec![x.clone()], move || x.cumsum(-1)))
        }),
    ]);
    cases
}

/// A binary case: both inputs require grad.
fn binary(a: Var, b: Var, op: impl Fn(&Var, &Var) -> Result<Var> + 'static) -> Result<Setup> {
    Ok(Setup::graph(vec![a.clone(), b.clone()], move || op(&a, &b)))
}
