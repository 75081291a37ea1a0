//! The op sweep of `../shared/bench/op_sweep.py`: many ops at everyday sizes, each timed
//! forward under `no_grad` (`sweep/<name>/fwd`) and, for differentiable cases, forward on
//! variables that require grad plus backward of a fixed random upstream gradient
//! (`sweep/<name>/fwdbwd`); the optimizer cases time one `step()` (`sweep/<name>/step`).
//!
//! The case names, shapes and dtypes (f32) are op_sweep.py's, so that `compare.py` pairs the two
//! outputs by name. Every case draws its inputs from [`SEED`](crate::workloads::SEED), set again
//! before each case, so `--only` does not change what a case measures. An op our library lacks
//! is composed from public ops only where that is what a user would write (each such case says
//! so); otherwise the case, or its fwdbwd half, is skipped with a note on stderr.
//!
//! The cases live by family in [`elementwise`] (unary, binary, reductions) and [`layers`]
//! (normalisation, linear algebra, indexing, losses, convolution, pooling, optimizers).

pub mod elementwise;
pub mod layers;

use crate::{json_line, median_ms};
use tensor_autograd::{no_grad, Var};
use tensor_core::{DType, Device, ErrorKind, Result, Tensor};

/// Untimed runs before the timed ones, as op_sweep.py's `warm=3`.
pub const WARMUP: usize = 3;
/// Timed runs, as op_sweep.py's `iters=15`.
pub const ITERS: usize = 15;

/// A case's setup: builds its inputs on a device and returns what to time.
pub type SetupFn = Box<dyn Fn(&Device) -> Result<Setup>>;

/// One case of the sweep: its name (op_sweep.py's) and how to build its inputs.
pub struct Case {
    /// The name op_sweep.py gives it: the workloads are `sweep/<name>/fwd`, `.../fwdbwd`,
    /// `.../step`.
    pub name: &'static str,
    /// Builds the inputs on the device and returns what to time.
    pub setup: SetupFn,
}

impl Case {
    /// A case named `name` built by `setup`.
    pub fn new(name: &'static str, setup: impl Fn(&Device) -> Result<Setup> + 'static) -> Case {
        Case { name, setup: Box::new(setup) }
    }
}

impl std::fmt::Debug for Case {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Case").field("name", &self.name).finish_non_exhaustive()
    }
}

/// What a case's setup returns.
pub enum Setup {
    /// A forward computation on prepared inputs: op_sweep.py's `case(name, make, fn, diff)`.
    Graph {
        /// The inputs that require grad; their `.grad` is cleared before each fwdbwd run.
        leaves: Vec<Var>,
        /// One forward run, as a user writes it with `Var` ops.
        forward: Box<dyn Fn() -> Result<Var>>,
        /// Whether and how the fwdbwd half is timed.
        backward: Backward,
    },
    /// One optimizer step, timed as `sweep/<name>/step`.
    Step(Box<dyn FnMut() -> Result<()>>),
    /// The whole case cannot be timed with our API; the reason goes to stderr.
    Skip(String),
}

impl std::fmt::Debug for Setup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Setup::Graph { leaves, backward, .. } => f
                .debug_struct("Graph")
                .field("leaves", &leaves.len())
                .field("backward", backward)
                .finish_non_exhaustive(),
            Setup::Step(_) => f.write_str("Step"),
            Setup::Skip(why) => f.debug_tuple("Skip").field(why).finish(),
        }
    }
}

/// The fwdbwd half of a [`Setup::Graph`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backward {
    /// Timed: forward, then `backward_with` a fixed random gradient of the output's shape.
    Timed,
    /// op_sweep.py's `diff=False`: only the forward is timed.
    NotDifferentiable,
    /// op_sweep.py times it but our API cannot (the reason goes to stderr).
    Skipped(String),
}

impl Setup {
    /// A differentiable case: fwd and fwdbwd.
    pub fn graph(leaves: Vec<Var>, forward: impl Fn() -> Result<Var> + 'static) -> Setup {
        Setup::Graph { leaves, forward: Box::new(forward), backward: Backward::Timed }
    }
    /// A case op_sweep.py marks `diff=False`: fwd only.
    pub fn forward_only(forward: impl Fn() -> Result<Var> + 'static) -> Setup {
        Setup::Graph { leaves: vec![], forward: Box::new(forward), backward: Backward::NotDifferentiable }
    }
    /// A differentiable case whose backward our API lacks: fwd only, fwdbwd skipped for `why`.
    pub fn without_backward(forward: impl Fn() -> Result<Var> + 'static, why: impl Into<String>) -> Setup {
        Setup::Graph { leaves: vec![], forward: Box::new(forward), backward: Backward::Skipped(why.into()) }
    }
    /// One optimizer step.
    pub fn step(step: impl FnMut() -> Result<()> + 'static) -> Setup {
        Setup::Step(Box::new(step))
    }
}

/// Every case, in op_sweep.py's order.
pub fn cases() -> Vec<Case> {
    let mut all = elementwise::cases();
    all.extend(layers::cases());
    all
}

/// The cases that `--only NAMES` selects (every case for `None`), in the sweep's order; an
/// unknown name is an error that lists the known ones.
pub fn select(only: Option<&[String]>) -> std::result::Result<Vec<Case>, String> {
    let all = cases();
    let Some(names) = only else { return Ok(all) };
    let unknown: Vec<&String> = names.iter().filter(|n| !all.iter().any(|c| c.name == n.as_str())).collect();
    if !unknown.is_empty() {
        let known: Vec<&str> = all.iter().map(|c| c.name).collect();
        return Err(format!("unknown sweep cases {unknown:?}; known: {}", known.join(", ")));
    }
    Ok(all.into_iter().filter(|c| names.iter().any(|n| n == c.name)).collect())
}

/// Times `cases` on `device`, printing one JSON line per timing on stdout and a note per skip
/// on stderr; returns how many cases failed with an error (reported on stderr).
pub fn run(cases: &[Case], device: &Device, device_name: &str) -> usize {
    let mut failed = 0;
    for case in cases {
        tensor_core::manual_seed(crate::workloads::SEED);
        let emit =
            |half: &str, ms: f64| println!("{}", json_line(&format!("sweep/{}/{half}", case.name), device_name, ms));
        match (case.setup)(device).and_then(|setup| time(case.name, setup, device, &emit)) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::Unsupported => eprintln!("bench: sweep/{}: skipped: {e}", case.name),
            Err(e) => {
                eprintln!("bench: sweep/{}: error: {e}", case.name);
                failed += 1;
            }
        }
    }
    failed
}

/// Times one prepared case, as op_sweep.py's `case` and `opt_case`.
fn time(name: &str, setup: Setup, device: &Device, emit: &dyn Fn(&str, f64)) -> Result<()> {
    match setup {
        Setup::Skip(why) => eprintln!("bench: sweep/{name}: skipped: {why}"),
        Setup::Step(mut step) => emit("step", median_ms(device, WARMUP, ITERS, &mut step)?),
        Setup::Graph { leaves, forward, backward } => {
            {
                let _guard = no_grad();
                emit("fwd", median_ms(device, WARMUP, ITERS, || forward().map(drop))?);
            }
            match backward {
                Backward::NotDifferentiable => {}
                Backward::Skipped(why) => eprintln!("bench: sweep/{name}/fwdbwd: skipped: {why}"),
                Backward::Timed => {
                    let up = Tensor::randn(forward()?.size(), DType::F32, device)?;
                    let ms = median_ms(device, WARMUP, ITERS, || {
                        for leaf in &leaves {
                            leaf.zero_grad();
                        }
                        forward()?.backward_with(&up)
                    })?;
                    emit("fwdbwd", ms);
                }
            }
        }
    }
    Ok(())
}

/// op_sweep.py's `rnd(*shape, grad=grad)`: standard normals, f32, as a variable.
pub fn rnd(shape: &[usize], grad: bool, device: &Device) -> Result<Var> {
    Ok(Var::new(Tensor::randn(shape, DType::F32, device)?, grad))
}

/// op_sweep.py's `rnd(*shape, grad=grad, pos=True)`: `|x| + 0.1` of standard normals.
pub fn rnd_pos(shape: &[usize], grad: bool, device: &Device) -> Result<Var> {
    Ok(Var::new(Tensor::randn(shape, DType::F32, device)?.abs()?.add(0.1)?, grad))
}

/// op_sweep.py's `torch.randint(0, high, shape)`: int64 indices.
pub fn randint(high: i64, shape: &[usize], device: &Device) -> Result<Tensor> {
    Tensor::randint(0, high, shape, device)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique() {
        let names: Vec<&str> = cases().iter().map(|c| c.name).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len(), "duplicate sweep case names: {names:?}");
        assert!(names.iter().all(|n| !n.is_empty() && !n.contains(['/', ',', ' '])), "{names:?}");
    }

    #[test]
    fn only_selects_in_sweep_order_and_rejects_unknown_names() {
        let all = cases();
        assert_eq!(select(None).unwrap().len(), all.len());
        let (first, last) = (all[0].name.to_string(), all[all.len() - 1].name.to_string());
        let picked: Vec<&str> = select(Some(&[last.clone(), first.clone()])).unwrap().iter().map(|c| c.name).collect();
        assert_eq!(picked, [first.as_str(), last.as_str()]);
        let err = select(Some(&["no_such_case".to_string()])).unwrap_err();
        assert!(err.contains("no_such_case") && err.contains(&first), "{err}");
    }

    #[test]
    fn a_tiny_graph_times_fwd_and_fwdbwd() {
        let x = rnd(&[4, 3], true, &Device::Cpu).unwrap();
        let leaf = x.clone();
        let setup = Setup::graph(vec![x.clone()], move || x.relu()?.sum_dim(&[-1], false));
        let seen = std::cell::RefCell::new(vec![]);
        time("tiny", setup, &Device::Cpu, &|half: &str, ms: f64| seen.borrow_mut().push((half.to_string(), ms)))
            .unwrap();
        let halves: Vec<String> = seen.into_inner().into_iter().map(|(h, _)| h).collect();
        assert_eq!(halves, ["fwd", "fwdbwd"]);
        assert_eq!(leaf.grad().unwrap().size(), [4, 3]);
    }
}
