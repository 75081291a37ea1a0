//! `prod` and `prod_dim` with zeros in the input: gradients and second derivatives against
//! PyTorch's (scripts/pytorch/prod_zeros.py, torch 2.15), gradcheck and gradgradcheck at
//! points with 0, 1 and 2 zeros.

use crate::common;

use common::*;
use tensor_autograd::{grad, gradcheck, gradgradcheck, BackwardOptions, Var};
use tensor_core::{DType, Result, Tensor};

/// The value, the gradient (seeded with ones) and the gradient of `sum(grad * w)` with
/// `w = linspace(-1, 1, numel)`, as the script computes them.
fn derivatives(values: &[f64], shape: &[usize], f: impl Fn(&Var) -> Result<Var>) -> [Vec<f64>; 3] {
    let x = leaf(values, shape);
    let y = f(&x).unwrap();
    let ones = Var::constant(y.tensor_ref().ones_like(None).unwrap());
    let opts = BackwardOptions { retain_graph: true, create_graph: true };
    let g = grad(&[&y], &[&x], Some(&[&ones]), opts, false).unwrap().remove(0).unwrap();
    let w = Tensor::linspace(-1.0, 1.0, values.len(), DType::F64, &cpu()).unwrap().reshape_to(shape.to_vec()).unwrap();
    let gw = g.mul(&Var::constant(w)).unwrap().sum().unwrap();
    let gg = grad(&[&gw], &[&x], None, BackwardOptions::default(), false).unwrap().remove(0).unwrap();
    [vals(y.tensor_ref()), vals(g.tensor_ref()), vals(gg.tensor_ref())]
}

fn check(values: &[f64], shape: &[usize], f: impl Fn(&Var) -> Result<Var>, expected: [&[f64]; 3]) {
    let [value, g, gg] = derivatives(values, shape, f);
    assert_eq!(value, expected[0], "value");
    assert_eq!(g, expected[1], "grad");
    assert_close(&gg, expected[2], 1e-12);
    assert!(g.iter().chain(&gg).all(|v| v.is_finite()));
}

#[test]
fn prod_with_zero_one_and_two_zeros() {
    let prod = |x: &Var| x.prod();
    // scripts/pytorch/prod_zeros.py: prod_no_zero, prod_one_zero, prod_two_zeros, prod_two_zeros_2d
    check(
        &[1.5, -2.0, 0.5, 4.0],
        &[4],
        prod,
        [
            &[-6.0],
            &[-4.0, 3.0, -12.0, -1.5],
            &[-4.333333333333334, 0.7500000000000004, 2.9999999999999982, -0.2500000000000002],
        ],
    );
    check(
        &[1.5, -2.0, 0.0, 4.0],
        &[4],
        prod,
        [&[-0.0], &[-0.0, 0.0, -12.0, -0.0], &[-2.6666666666666665, 2.0, 3.0, -1.0]],
    );
    check(&[1.5, 0.0, 0.0, 4.0], &[4], prod, [&[0.0], &[0.0; 4], &[0.0, 2.0, -2.0, 0.0]]);
    check(
        &[0.0, 2.0, 3.0, 0.5, 0.0, -1.0],
        &[2, 3],
        prod,
        [&[-0.0], &[-0.0, -0.0, -0.0, -0.0, -0.0, 0.0], &[-1.7999999999999998, 0.0, 0.0, 0.0, 3.0, 0.0]],
    );
}

#[test]
fn prod_dim_with_rows_of_zero_one_and_two_zeros() {
    let rows = [1.5, -2.0, 0.5, 0.0, 3.0, 2.0, 0.0, -0.5, 0.0];
    // scripts/pytorch/prod_zeros.py: prod_dim1, prod_dim1_keepdim, prod_dim0
    let dim1: [&[f64]; 3] = [
        &[-1.5, 0.0, -0.0],
        &[-1.0, 0.75, -3.0, 6.0, 0.0, 0.0, -0.0, 0.0, -0.0],
        &[0.625, -1.25, 0.875, 0.75, -0.5, -0.75, -0.5, 0.0, -0.25],
    ];
    check(&rows, &[3, 3], |x| x.prod_dim(1, false), dim1);
    check(&rows, &[3, 3], |x| x.prod_dim(-1, true), dim1);
    check(
        &rows,
        &[3, 3],
        |x| x.prod_dim(0, false),
        [
            &[0.0, 3.0, 0.0],
            &[0.0, -1.5, 0.0, 0.0, 1.0, 0.0, 0.0, -6.0, 1.0],
            &[0.0, 2.25, 2.0, 0.75, -1.125, 0.5, -0.375, -2.25, -0.875],
        ],
    );
    let x = leaf(&rows, &[3, 3]);
    assert_eq!(x.prod_dim(1, false).unwrap().grad_fn().unwrap().name(), "ProdBackward1");
    assert_eq!(x.prod().unwrap().grad_fn().unwrap().name(), "ProdBackward0");
}

#[test]
fn gradcheck_and_gradgradcheck_with_zeros() {
    let inputs = [
        Tensor::from_vec(vec![1.5, -2.0, 0.5, 0.75], [2, 2]).unwrap(),
        Tensor::from_vec(vec![1.5, -2.0, 0.0, 0.75], [2, 2]).unwrap(),
        Tensor::from_vec(vec![0.0, -2.0, 0.0, 0.75], [2, 2]).unwrap(),
        Tensor::from_vec(vec![0.0, 0.0, 0.0, 0.75, 1.25, -0.5], [2, 3]).unwrap(),
    ];
    for x in inputs {
        let x = [x];
        gradcheck(|v| v[0].prod(), &x).unwrap();
        gradgradcheck(|v| v[0].prod(), &x).unwrap();
        for dim in [0, 1] {
            gradcheck(|v| v[0].prod_dim(dim, false), &x).unwrap();
            gradgradcheck(|v| v[0].prod_dim(dim, true), &x).unwrap();
        }
    }
    // A 0-d input: the gradient passes through.
    let s = [Tensor::from_vec(vec![0.0f64], Vec::<usize>::new()).unwrap()];
    gradcheck(|v| v[0].prod(), &s).unwrap();
    gradcheck(|v| v[0].prod_dim(0, false), &s).unwrap();
}
