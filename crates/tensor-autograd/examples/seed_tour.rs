//! The seed tutorial's snippets, in order, through the public API: prints exactly
//! `../shared/seed/expected_output.txt` (`cargo run -q -p tensor-autograd --example seed_tour`).

use std::fmt::{Debug, Display};
use std::io::Write;
use tensor_autograd::{no_grad, Var};
use tensor_core::{DType, Device, Norm, Result, Tensor};

/// Writes `## label` and the value as `Display` prints it.
fn show_to(out: &mut dyn Write, label: &str, v: impl Display) {
    // Writing to stdout or a Vec; a failed write is not worth aborting the tour for.
    let _ = writeln!(out, "## {label}\n{v}");
}

/// Writes `## label` and the value as `Debug` prints it (sizes, tuples, slices).
fn show_debug_to(out: &mut dyn Write, label: &str, v: impl Debug) {
    let _ = writeln!(out, "## {label}\n{v:?}");
}

fn main() -> Result<()> {
    run(&mut std::io::stdout().lock())
}

/// The whole tour, written to `sink` (the test in tests/seed_tour.rs compares it with the
/// expected output).
pub fn run(sink: &mut dyn Write) -> Result<()> {
    let cpu = Device::Cpu;

    // Tensors
    let x = Tensor::zeros([5, 3], DType::I64, &cpu)?;
    show_to(sink, "zeros_long", &x);
    let x = Tensor::new([5.5f32, 3.0], &cpu)?;
    show_to(sink, "tensor_literal", &x);
    let x = x.new_ones([5, 3], DType::F64)?;
    show_to(sink, "new_ones_double", &x);
    show_debug_to(sink, "size", x.size());

    // Operations
    let mut y = Tensor::ones([5, 3], DType::F32, &cpu)? * 2.0;
    let x = Tensor::ones([5, 3], DType::F32, &cpu)?;
    show_to(sink, "add", &x + &y);
    let mut result = Tensor::empty([5, 3], DType::F32, &cpu)?;
    Tensor::add_out(&x, &y, &mut result)?;
    show_to(sink, "add_out", &result);
    y.add_(&x)?;
    show_to(sink, "add_inplace", &y);

    // Views
    let x = Tensor::arange(0.0, 16.0, 1.0, &cpu)?.reshape(&[4, 4])?;
    let y = x.view(&[16])?;
    let z = x.view(&[-1, 8])?;
    show_debug_to(sink, "view_sizes", (x.size(), y.size(), z.size()));
    show_to(sink, "view_z", &z);
    show_to(sink, "index_col", x.i((.., 1))?);
    let x = Tensor::new([0.5f32], &cpu)?;
    show_to(sink, "item", x.item::<f32>()?);

    // CUDA tensors: only with the `cuda` feature and a GPU, as the tutorial's
    // `if torch.cuda.is_available():` (the expected output was made without one).
    #[cfg(feature = "cuda")]
    if tensor_autograd::cuda::is_available() {
        let device = tensor_autograd::cuda::cuda(0)?;
        let y = Tensor::ones(x.shape().clone(), x.dtype(), &device)?; // created on the GPU
        let x = x.to_device(&device)?;
        let z = x.add(&y)?;
        show_to(sink, "cuda_z", &z);
        show_to(sink, "cuda_z_cpu_double", z.to(&cpu, DType::F64)?);
    }

    // NumPy bridge: a second handle shares the memory, so it sees the in-place add.
    let mut a = Tensor::ones([5], DType::F32, &cpu)?;
    let b = a.shallow_clone();
    a.add_(1)?;
    show_to(sink, "numpy_shared_a", &a);
    show_debug_to(sink, "numpy_shared_b", &*b.as_slice::<f32>()?);
    // from_numpy: the tensor takes the buffer without copying; writes through it show in both.
    let mut b = Tensor::from_vec(vec![1.0f64; 5], [5])?;
    b.with_mut_slice::<f64, _>(|a| a.iter_mut().for_each(|v| *v += 1.0))?;
    show_debug_to(sink, "from_numpy_a", &*b.as_slice::<f64>()?);
    show_to(sink, "from_numpy_b", &b);

    // Autograd
    let x = Var::new(Tensor::ones([2, 2], DType::F32, &cpu)?, true);
    show_to(sink, "requires_grad", &x);
    let y = x.add(2.0)?;
    show_to(sink, "y", &y);
    show_to(sink, "y_grad_fn", y.grad_fn().expect("y has a grad_fn").name());
    let z = y.mul(&y)?.mul(3.0)?;
    let out = z.mean()?;
    show_to(sink, "z", &z);
    show_to(sink, "out", &out);
    let a = Tensor::new([[1f32, 2.], [3., 4.]], &cpu)?;
    let a = Var::constant(a.mul(3.0)?.div(&a.sub(1.0)?)?);
    show_to(sink, "a_requires_grad", a.requires_grad());
    a.requires_grad_(true)?;
    show_to(sink, "a_requires_grad_after", a.requires_grad());
    let b = a.mul(&a)?.sum()?;
    show_to(sink, "b_grad_fn", b.grad_fn().expect("b has a grad_fn").name());
    out.backward()?;
    show_to(sink, "x_grad", x.grad().expect("x.grad after backward"));

    let x = Var::new(Tensor::new([0.5f32, -1.0, 2.0], &cpu)?, true);
    let mut y = x.mul(2.0)?;
    let mut k = 1;
    while y.data().norm(Norm::L2, &[], false)?.item::<f32>()? < 1000.0 {
        y = y.mul(2.0)?;
        k += 1;
    }
    show_to(sink, "y_doubled", &y);
    show_to(sink, "k", k);
    y.backward_with(&Tensor::new([0.1f32, 1.0, 0.0001], &cpu)?)?;
    show_to(sink, "x_grad_vec", x.grad().expect("x.grad after backward"));
    show_debug_to(sink, "no_grad_flags", (x.requires_grad(), x.pow(2.0)?.requires_grad()));
    {
        let _guard = no_grad();
        show_to(sink, "in_no_grad", x.pow(2.0)?.requires_grad());
    }
    show_to(sink, "detach", x.detach().requires_grad());
    Ok(())
}
