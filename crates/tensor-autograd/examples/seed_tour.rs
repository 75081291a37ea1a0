//! The seed tutorial's snippets, in order, through the public API: prints exactly
//! `../shared/seed/expected_output.txt` (`cargo run -q -p tensor-autograd --example seed_tour`).

use std::fmt::{Debug, Display};
use tensor_autograd::{no_grad, Var};
use tensor_core::{DType, Device, Norm, Result, Tensor};

fn show(label: &str, v: impl Display) {
    println!("## {label}");
    println!("{v}");
}

fn show_debug(label: &str, v: impl Debug) {
    println!("## {label}");
    println!("{v:?}");
}

fn main() -> Result<()> {
    let cpu = Device::Cpu;

    // Tensors
    let x = Tensor::zeros([5, 3], DType::I64, &cpu)?;
    show("zeros_long", &x);
    let x = Tensor::new([5.5f32, 3.0], &cpu)?;
    show("tensor_literal", &x);
    let x = x.new_ones([5, 3], DType::F64)?;
    show("new_ones_double", &x);
    show_debug("size", x.size());

    // Operations
    let mut y = Tensor::ones([5, 3], DType::F32, &cpu)? * 2.0;
    let x = Tensor::ones([5, 3], DType::F32, &cpu)?;
    show("add", &x + &y);
    let mut result = Tensor::empty([5, 3], DType::F32, &cpu)?;
    Tensor::add_out(&x, &y, &mut result)?;
    show("add_out", &result);
    y.add_(&x)?;
    show("add_inplace", &y);

    // Views
    let x = Tensor::arange(0.0, 16.0, 1.0, &cpu)?.reshape(&[4, 4])?;
    let y = x.view(&[16])?;
    let z = x.view(&[-1, 8])?;
    show_debug("view_sizes", (x.size(), y.size(), z.size()));
    show("view_z", &z);
    show("index_col", x.i((.., 1))?);
    let x = Tensor::new([0.5f32], &cpu)?;
    show("item", x.item::<f32>()?);

    // NumPy bridge: a second handle shares the memory, so it sees the in-place add.
    let mut a = Tensor::ones([5], DType::F32, &cpu)?;
    let b = a.shallow_clone();
    a.add_(1)?;
    show("numpy_shared_a", &a);
    show_debug("numpy_shared_b", &*b.as_slice::<f32>()?);
    // from_numpy: the tensor takes the buffer without copying; writes through it show in both.
    let mut b = Tensor::from_vec(vec![1.0f64; 5], [5])?;
    b.with_mut_slice::<f64, _>(|a| a.iter_mut().for_each(|v| *v += 1.0))?;
    show_debug("from_numpy_a", &*b.as_slice::<f64>()?);
    show("from_numpy_b", &b);

    // Autograd
    let x = Var::new(Tensor::ones([2, 2], DType::F32, &cpu)?, true);
    show("requires_grad", &x);
    let y = x.add(2.0)?;
    show("y", &y);
    show("y_grad_fn", y.grad_fn().expect("y has a grad_fn").name());
    let z = y.mul(&y)?.mul(3.0)?;
    let out = z.mean()?;
    show("z", &z);
    show("out", &out);
    let a = Tensor::new([[1f32, 2.], [3., 4.]], &cpu)?;
    let a = Var::constant(a.mul(3.0)?.div(&a.sub(1.0)?)?);
    show("a_requires_grad", a.requires_grad());
    a.requires_grad_(true)?;
    show("a_requires_grad_after", a.requires_grad());
    let b = a.mul(&a)?.sum()?;
    show("b_grad_fn", b.grad_fn().expect("b has a grad_fn").name());
    out.backward()?;
    show("x_grad", x.grad().expect("x.grad after backward"));

    let x = Var::new(Tensor::new([0.5f32, -1.0, 2.0], &cpu)?, true);
    let mut y = x.mul(2.0)?;
    let mut k = 1;
    while y.data().norm(Norm::L2, &[], false)?.item::<f32>()? < 1000.0 {
        y = y.mul(2.0)?;
        k += 1;
    }
    show("y_doubled", &y);
    show("k", k);
    y.backward_with(&Tensor::new([0.1f32, 1.0, 0.0001], &cpu)?)?;
    show("x_grad_vec", x.grad().expect("x.grad after backward"));
    show_debug("no_grad_flags", (x.requires_grad(), x.pow(2.0)?.requires_grad()));
    {
        let _guard = no_grad();
        show("in_no_grad", x.pow(2.0)?.requires_grad());
    }
    show("detach", x.detach().requires_grad());
    Ok(())
}
