//! `gradcheck` and `gradgradcheck`, as `torch.autograd.gradcheck`: analytic gradients (from
//! backward) against central finite differences in float64 (eps 1e-6, atol 1e-5, rtol 1e-3),
//! on the inputs' device (a perturbation is an in-place `fill_` of one element, any device).

use crate::engine::{grad, BackwardOptions};
use crate::grad_mode::{enable_grad, no_grad};
use crate::node::Var;
use tensor_core::{bail, DType, Result, Tensor};

/// Tolerances and step of a gradient check (PyTorch's defaults).
#[derive(Debug, Clone, Copy)]
pub struct GradcheckOptions {
    /// Finite-difference step.
    pub eps: f64,
    /// Absolute tolerance.
    pub atol: f64,
    /// Relative tolerance.
    pub rtol: f64,
}

impl Default for GradcheckOptions {
    fn default() -> Self {
        GradcheckOptions { eps: 1e-6, atol: 1e-5, rtol: 1e-3 }
    }
}

#[track_caller]
fn flat(t: &Tensor) -> Result<Vec<f64>> {
    t.to_vec::<f64>()
}

/// The output of `f` at `inputs`, flattened, computed without recording.
#[track_caller]
fn eval(f: &dyn Fn(&[Var]) -> Result<Var>, inputs: &[Tensor]) -> Result<Vec<f64>> {
    let _g = no_grad();
    let vars: Vec<Var> = inputs.iter().map(|t| Var::constant(t.shallow_clone())).collect();
    flat(f(&vars)?.tensor_ref())
}

/// Checks the gradients of `f` with respect to every input against central differences.
/// Inputs must be float64; each is perturbed element by element.
#[track_caller]
pub fn gradcheck(f: impl Fn(&[Var]) -> Result<Var>, inputs: &[Tensor]) -> Result<()> {
    gradcheck_with(&f, inputs, GradcheckOptions::default())
}

/// [`gradcheck`] with explicit tolerances.
#[track_caller]
pub fn gradcheck_with(f: &dyn Fn(&[Var]) -> Result<Var>, inputs: &[Tensor], opts: GradcheckOptions) -> Result<()> {
    for (i, t) in inputs.iter().enumerate() {
        if t.dtype() != DType::F64 {
            bail!(DType, "gradcheck", "input {} is {}; gradcheck needs float64 inputs for precision", i, t.dtype());
        }
    }
    // Private contiguous copies, so perturbing one element never touches the caller's data.
    let inputs: Vec<Tensor> = inputs.iter().map(|t| t.try_clone()).collect::<Result<_>>()?;
    let vars: Vec<Var> = inputs.iter().map(|t| Var::new(t.shallow_clone(), true)).collect();
    let out = f(&vars)?;
    let n_out = out.numel();
    let refs: Vec<&Var> = vars.iter().collect();

    // Analytic Jacobian, one row per output element: J[k][input][j].
    let mut analytic: Vec<Vec<Vec<f64>>> = Vec::with_capacity(n_out);
    for k in 0..n_out {
        let mut seed = vec![0.0; n_out];
        seed[k] = 1.0;
        let seed =
            Var::constant(Tensor::from_vec(seed, out.shape().clone())?.to_dtype(out.dtype())?.to_device(out.device())?);
        let grads =
            grad(&[&out], &refs, Some(&[&seed]), BackwardOptions { retain_graph: true, create_graph: false }, true)?;
        let rows = grads
            .iter()
            .zip(&inputs)
            .map(|(g, t)| match g {
                Some(g) => flat(g.tensor_ref()),
                None => Ok(vec![0.0; t.numel()]),
            })
            .collect::<Result<Vec<_>>>()?;
        analytic.push(rows);
    }

    // Numerical Jacobian by central differences, one input element at a time.
    for (i, t) in inputs.iter().enumerate() {
        let values = flat(t)?;
        // `t` is a private contiguous copy: its flat view shares its storage.
        let elements = t.reshape(&[-1])?;
        for (j, &orig) in values.iter().enumerate() {
            let set = |v: f64| elements.narrow(0, j as isize, 1)?.fill_(v);
            set(orig + opts.eps)?;
            let plus = eval(f, &inputs)?;
            set(orig - opts.eps)?;
            let minus = eval(f, &inputs)?;
            set(orig)?;
            for k in 0..n_out {
                let numeric = (plus[k] - minus[k]) / (2.0 * opts.eps);
                let a = analytic[k][i][j];
                if (a - numeric).abs() > opts.atol + opts.rtol * numeric.abs() {
                    bail!(
                        Autograd,
                        "gradcheck",
                        "Jacobian mismatch for output {} with respect to input {} (shape {:?}), element {}: numerical {} vs analytical {}",
                        k,
                        i,
                        t.shape(),
                        j,
                        numeric,
                        a
                    );
                }
            }
        }
    }
    Ok(())
}

/// Checks second derivatives: the gradient of `f` (computed with `create_graph`) for a fixed
/// random output gradient is itself checked with [`gradcheck`] against the inputs and that
/// output gradient, as `torch.autograd.gradgradcheck`.
#[track_caller]
pub fn gradgradcheck(f: impl Fn(&[Var]) -> Result<Var>, inputs: &[Tensor]) -> Result<()> {
    let n = inputs.len();
    let out_shape = {
        let _g = no_grad();
        let vars: Vec<Var> = inputs.iter().map(|t| Var::constant(t.shallow_clone())).collect();
        f(&vars)?.shape().clone()
    };
    let mut gen = tensor_core::random::Generator::new(0x5eed);
    let grad_out = Tensor::randn_with(out_shape, DType::F64, inputs[0].device(), &mut gen)?;
    let mut all = inputs.to_vec();
    all.push(grad_out);
    let first_order = move |vars: &[Var]| -> Result<Var> {
        let (xs, v) = vars.split_at(n);
        // The numerical pass of `gradcheck` calls this under no_grad with constants; the
        // first-order gradient still needs f's graph, so record it with leaves standing in.
        let _mode = enable_grad();
        let xs: Vec<Var> =
            xs.iter().map(|x| if x.requires_grad() { x.clone() } else { Var::new(x.tensor(), true) }).collect();
        let xs = &xs[..];
        let out = f(xs)?;
        let refs: Vec<&Var> = xs.iter().collect();
        let opts = BackwardOptions { retain_graph: true, create_graph: true };
        // The output gradient `v` is a variable too: the first-order gradients are linear in
        // it, and their derivative with respect to it is checked as well.
        let gs = grad(&[&out], &refs, Some(&[&v[0]]), opts, true)?;
        let mut parts = Vec::with_capacity(n);
        for (g, x) in gs.into_iter().zip(xs) {
            parts.push(match g {
                Some(g) => g.reshape(&[-1])?,
                None => x.mul(0.0)?.reshape(&[-1])?,
            });
        }
        Var::cat(&parts.iter().collect::<Vec<_>>(), 0)
    };
    gradcheck(first_order, &all)
}
