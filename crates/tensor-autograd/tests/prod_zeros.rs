//! `prod` and `prod_dim` with zeros in the input: gradients and second derivatives against
//! PyTorch's (scripts/pytorch/prod_zeros.py, torch 2.15), gradcheck and gradgradcheck at
//! points with 0, 1 and 2 zeros.
//! Every test runs on every device (`common::devices`): exact on the CPU, within float64's
//! `assert_close` tolerance on a GPU.

use crate::common;

use common::*;
use tensor_autograd::{grad, BackwardOptions, Var};
use tensor_core::{DType, Device, Result, Tensor};

/// The value, the gradient (seeded with ones) and the gradient of `sum(grad * w)` with
/// `w = linspace(-1, 1, numel)`, as the script computes them.
fn derivatives(dev: &Device, values: &[f64], shape: &[usize], f: impl Fn(&Var) -> Result<Var>) -> [Vec<f64>; 3] {
    let x = leaf(dev, values, shape);
    let y = f(&x).unwrap();
    let ones = Var::constant(y.tensor_ref().ones_like(None).unwrap());
    let opts = BackwardOptions { retain_graph: true, create_graph: true };
    let g = grad(&[&y], &[&x], Some(&[&ones]), opts, false).unwrap().remove(0).unwrap();
    let w = Tensor::linspace(-1.0, 1.0, values.len(), DType::F64, dev).unwrap().reshape_to(shape.to_vec()).unwrap();
    let gw = g.mul(&Var::constant(w)).unwrap().sum().unwrap();
    let gg = grad(&[&gw], &[&x], None, BackwardOptions::default(), false).unwrap().remove(0).unwrap();
    [vals_on(dev, y.tensor_ref()), vals_on(dev, g.tensor_ref()), vals_on(dev, gg.tensor_ref())]
}

/// Exact on the CPU; on a GPU within float64's `assert_close` tolerance (products and sums in
/// another order).
fn check(dev: &Device, values: &[f64], shape: &[usize], f: impl Fn(&Var) -> Result<Var>, expected: [&[f64]; 3]) {
    let [value, g, gg] = derivatives(dev, values, shape, f);
    assert_close_on(dev, DType::F64, &value, expected[0], Kind::Sums, "value");
    assert_close_on(dev, DType::F64, &g, expected[1], Kind::Sums, "grad");
    assert_close(&gg, expected[2], 1e-12);
    assert!(g.iter().chain(&gg).all(|v| v.is_finite()), "on {dev}");
}

#[test]
fn prod_with_zero_one_and_two_zeros() {
    for dev in &devices() {
        let prod = |x: &Var| x.prod();
        // scripts/pytorch/prod_zeros.py: prod_no_zero, prod_one_zero, prod_two_zeros, prod_two_zeros_2d
        check(
            dev,
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
            dev,
            &[1.5, -2.0, 0.0, 4.0],
            &[4],
            prod,
            [&[-0.0], &[-0.0, 0.0, -12.0, -0.0], &[-2.6666666666666665, 2.0, 3.0, -1.0]],
        );
        check(dev, &[1.5, 0.0, 0.0, 4.0], &[4], prod, [&[0.0], &[0.0; 4], &[0.0, 2.0, -2.0, 0.0]]);
        check(
            dev,
            &[0.0, 2.0, 3.0, 0.5, 0.0, -1.0],
            &[2, 3],
            prod,
            [&[-0.0], &[-0.0, -0.0, -0.0, -0.0, -0.0, 0.0], &[-1.7999999999999998, 0.0, 0.0, 0.0, 3.0, 0.0]],
        );
    }
}

#[test]
fn prod_dim_with_rows_of_zero_one_and_two_zeros() {
    for dev in &devices() {
        let rows = [1.5, -2.0, 0.5, 0.0, 3.0, 2.0, 0.0, -0.5, 0.0];
        // scripts/pytorch/prod_zeros.py: prod_dim1, prod_dim1_keepdim, prod_dim0
        let dim1: [&[f64]; 3] = [
            &[-1.5, 0.0, -0.0],
            &[-1.0, 0.75, -3.0, 6.0, 0.0, 0.0, -0.0, 0.0, -0.0],
            &[0.625, -1.25, 0.875, 0.75, -0.5, -0.75, -0.5, 0.0, -0.25],
        ];
        check(dev, &rows, &[3, 3], |x| x.prod_dim(1, false), dim1);
        check(dev, &rows, &[3, 3], |x| x.prod_dim(-1, true), dim1);
        check(
            dev,
            &rows,
            &[3, 3],
            |x| x.prod_dim(0, false),
            [
                &[0.0, 3.0, 0.0],
                &[0.0, -1.5, 0.0, 0.0, 1.0, 0.0, 0.0, -6.0, 1.0],
                &[0.0, 2.25, 2.0, 0.75, -1.125, 0.5, -0.375, -2.25, -0.875],
            ],
        );
        let x = leaf(dev, &rows, &[3, 3]);
        assert_eq!(x.prod_dim(1, false).unwrap().grad_fn().unwrap().name(), "ProdBackward1", "on {dev}");
        assert_eq!(x.prod().unwrap().grad_fn().unwrap().name(), "ProdBackward0", "on {dev}");
    }
}

#[test]
fn gradcheck_and_gradgradcheck_with_zeros() {
    for dev in &devices() {
        let inputs = [
            Tensor::from_vec(vec![1.5, -2.0, 0.5, 0.75], [2, 2]).unwrap().to_device(dev).unwrap(),
            Tensor::from_vec(vec![1.5, -2.0, 0.0, 0.75], [2, 2]).unwrap().to_device(dev).unwrap(),
            Tensor::from_vec(vec![0.0, -2.0, 0.0, 0.75], [2, 2]).unwrap().to_device(dev).unwrap(),
            Tensor::from_vec(vec![0.0, 0.0, 0.0, 0.75, 1.25, -0.5], [2, 3]).unwrap().to_device(dev).unwrap(),
        ];
        for x in inputs {
            let x = [x];
            gradcheck_on(|v| v[0].prod(), &x).unwrap();
            gradgradcheck_on(|v| v[0].prod(), &x).unwrap();
            for dim in [0, 1] {
                gradcheck_on(|v| v[0].prod_dim(dim, false), &x).unwrap();
                gradgradcheck_on(|v| v[0].prod_dim(dim, true), &x).unwrap();
            }
        }
        // A 0-d input: the gradient passes through.
        let s = [Tensor::from_vec(vec![0.0f64], Vec::<usize>::new()).unwrap().to_device(dev).unwrap()];
        gradcheck_on(|v| v[0].prod(), &s).unwrap();
        gradcheck_on(|v| v[0].prod_dim(0, false), &s).unwrap();
    }
}
