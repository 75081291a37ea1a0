//! The error cases of the indexing and sorting ops (each names the op; messages follow
//! PyTorch's), and indexes laid out other than contiguously, whose bounds are checked by the
//! strided walker. Every test runs on every device.

use crate::common::*;
use tensor_core::{DType, Device, ErrorKind, Tensor};

fn i64s(dev: &Device, v: &[i64], shape: &[usize]) -> Tensor {
    Tensor::from_vec(v.to_vec(), shape.to_vec()).unwrap().to_device(dev).unwrap()
}

fn f32s(dev: &Device, v: &[f32], shape: &[usize]) -> Tensor {
    Tensor::from_vec(v.to_vec(), shape.to_vec()).unwrap().to_device(dev).unwrap()
}

#[track_caller]
fn expect_err<T: std::fmt::Debug>(r: tensor_core::Result<T>, op: &str, kind: ErrorKind, needle: &str) {
    let e = r.expect_err("expected an error");
    assert_eq!((e.op(), e.kind()), (op, kind), "{e}");
    assert!(e.message().contains(needle), "{e} (wanted {needle:?})");
}

/// `bad!(result => op, Kind, "part of the message")`: an error of that op, kind and text.
macro_rules! bad {
    ($e:expr => $op:literal, $kind:ident, $needle:literal) => {
        expect_err($e, $op, ErrorKind::$kind, $needle)
    };
}

#[test]
fn index_errors() {
    on_each_device(|dev| {
        let x = f32s(dev, &[0., 1., 2., 3., 4., 5.], &[2, 3]);
        let (ones, ones2) =
            (Tensor::ones([1, 2], DType::F32, dev).unwrap(), Tensor::ones([2, 2], DType::F32, dev).unwrap());
        // torch.index_select(x, 1, torch.tensor([3])) -> out of range
        bad!(x.index_select(1, &i64s(dev, &[3], &[1]))
            => "index_select", Index, "index 3 is out of bounds for dimension 1 with size 3");
        bad!(x.index_select(1, &i64s(dev, &[-1], &[1])) => "index_select", Index, "index -1");
        bad!(x.index_select(1, &i64s(dev, &[0], &[1, 1])) => "index_select", Index, "Index is supposed to be a vector");
        bad!(x.index_select(1, &f32s(dev, &[0.], &[1])) => "index_select", DType, "Expected dtype int32 or int64 for index");
        bad!(x.index_select(2, &i64s(dev, &[0], &[1])) => "index_select", Dim, "dimension out of range");
        // torch.gather(x, 1, torch.tensor([[0, 3]])) -> index 3 is out of bounds for dimension 1 with size 3
        bad!(x.gather(1, &i64s(dev, &[0, 3], &[1, 2]))
            => "gather", Index, "index 3 is out of bounds for dimension 1 with size 3");
        bad!(x.gather(1, &i64s(dev, &[0, 1], &[2])) => "gather", Shape, "same number of dimensions");
        bad!(x.gather(1, &i64s(dev, &[0, 1, 2], &[3, 1])) => "gather", Shape, "Size does not match at dimension 0");
        bad!(x.gather(1, &f32s(dev, &[0.], &[1, 1])) => "gather", DType, "index");
        // x.clone().scatter_(1, torch.tensor([[0, 3]]), torch.ones(1, 2)) -> index 3 is out of bounds ...
        bad!(x.scatter(1, &i64s(dev, &[0, 3], &[1, 2]), &ones) => "scatter", Index, "index 3 is out of bounds");
        let ones64 = ones.to_dtype(DType::F64).unwrap();
        bad!(x.scatter(1, &i64s(dev, &[0, 1], &[1, 2]), &ones64) => "scatter", DType, "Expected self.dtype to be equal to src");
        bad!(x.scatter(1, &i64s(dev, &[0, 1, 2, 0], &[1, 4]), &ones) => "scatter", Shape, "to be no larger than self");
        bad!(x.scatter_add(1, &i64s(dev, &[0, 1], &[2]), &ones) => "scatter_add", Shape, "same number of dimensions");
        bad!(x.scatter_add(1, &i64s(dev, &[0, 7], &[1, 2]), &ones) => "scatter_add", Index, "index 7 is out of bounds");
        let mut e = Tensor::zeros([3], DType::F32, dev).unwrap().unsqueeze(0).unwrap().expand(&[2, 3]).unwrap();
        bad!(e.scatter_(1, &i64s(dev, &[0], &[1, 1]), &ones) => "scatter", Value, "more than one element");
        // The destination is untouched by a failed scatter.
        let mut y = x.try_clone().unwrap();
        bad!(y.scatter_(1, &i64s(dev, &[0, 3], &[1, 2]), &ones) => "scatter", Index, "out of bounds");
        assert_eq!(y.to_vec::<f32>().unwrap(), x.to_vec::<f32>().unwrap());
        // x.clone().index_add_(1, torch.tensor([0, 3]), torch.ones(2, 2)) -> index 3 is out of bounds ...
        bad!(x.index_add(1, &i64s(dev, &[0, 3], &[2]), &ones2) => "index_add", Index, "index 3 is out of bounds");
        bad!(x.index_add(1, &i64s(dev, &[0, 2, 1], &[3]), &ones2)
            => "index_add", Shape, "Number of indices (3) should be equal");
        let ones32 = Tensor::ones([3, 2], DType::F32, dev).unwrap();
        bad!(x.index_add(1, &i64s(dev, &[0, 2], &[2]), &ones32) => "index_add", Shape, "source tensor shape must match self");
        let ones2_64 = ones2.to_dtype(DType::F64).unwrap();
        bad!(x.index_add(1, &i64s(dev, &[0, 2], &[2]), &ones2_64) => "index_add", DType, "must have the same scalar type");
        bad!(x.index_add(1, &f32s(dev, &[0., 2.], &[2]), &ones2) => "index_add", DType, "Expected dtype int32 or int64");
        let (xi, oi) = (x.to_dtype(DType::I64).unwrap(), ones2.to_dtype(DType::I64).unwrap());
        bad!(xi.index_add_scaled(1, &i64s(dev, &[0, 2], &[2]), &oi, 0.5) => "index_add", Value, "alpha must not be a floating");
        // torch.masked_select(x, torch.tensor([1, 0, 1])) -> expected BoolTensor for mask
        bad!(x.masked_select(&i64s(dev, &[1, 0, 1], &[3])) => "masked_select", DType, "expected BoolTensor for mask");
        bad!(x.masked_select(&Tensor::new([true, false], dev).unwrap()) => "masked_select", Shape, "must match");
        // F.one_hot(torch.tensor([0, 2, 1]), 2) -> Class values must be smaller than num_classes.
        let c = i64s(dev, &[0, 2, 1], &[3]);
        bad!(c.one_hot(Some(2)) => "one_hot", Index, "Class values must be smaller than num_classes");
        bad!(i64s(dev, &[0, -2, 1], &[3]).one_hot(Some(3)) => "one_hot", Index, "Class values must be non-negative");
        bad!(c.to_dtype(DType::I32).unwrap().one_hot(Some(3)) => "one_hot", DType, "LongTensor");
        bad!(i64s(dev, &[], &[0]).one_hot(None) => "one_hot", Value, "Can not infer total number of classes from empty");
        assert_eq!(i64s(dev, &[], &[0]).one_hot(Some(3)).unwrap().size(), [0, 3]);
    });
}

#[test]
fn sort_errors() {
    on_each_device(|dev| {
        let x = i64s(dev, &[1, 2], &[2]);
        // torch.sort(torch.tensor([1, 2]), dim=2) -> Dimension out of range
        bad!(x.sort(2, false) => "sort", Dim, "dimension out of range");
        bad!(x.argsort(-2, false) => "sort", Dim, "dimension out of range");
        // torch.topk(torch.tensor([3., 1.]), 3) -> selected index k out of range
        bad!(f32s(dev, &[3., 1.], &[2]).topk(3, 0, true, true) => "topk", Index, "selected index k out of range");
        bad!(Tensor::new(3f32, dev).unwrap().topk(2, 0, true, true) => "topk", Index, "selected index k");
    });
}

/// Indexes that are transposed, expanded or stepped: right results, and the first bad index
/// (in row-major order of the index) named when one is out of bounds.
#[test]
fn strided_and_broadcast_indexes() {
    on_each_device(|dev| {
        let x = f32s(dev, &[0., 1., 2., 3., 4., 5.], &[2, 3]);
        // torch.tensor([[2, 0], [1, 1]]).t() as the index of x.gather(1, .): [[2, 1], [0, 1]].
        let t = i64s(dev, &[2, 0, 1, 1], &[2, 2]).t().unwrap();
        assert_eq!(x.gather(1, &t).unwrap().to_vec::<f32>().unwrap(), [2., 1., 3., 4.]);
        // An index row expanded over the rows: x.gather(1, torch.tensor([[2, 0]]).expand(2, 2)).
        let e = i64s(dev, &[2, 0], &[1, 2]).expand(&[2, 2]).unwrap();
        assert_eq!(x.gather(1, &e).unwrap().to_vec::<f32>().unwrap(), [2., 0., 5., 3.]);
        // Every other index of [0, 9, 1, 7, 2, 5]: [0, 1, 2] is fine, the rest is never read.
        let stepped = i64s(dev, &[0, 9, 1, 7, 2, 5], &[1, 6]).slice(1, Some(0), None, 2).unwrap();
        assert_eq!(x.gather(1, &stepped).unwrap().to_vec::<f32>().unwrap(), [0., 1., 2.]);
        // The transposed index [[2, 5], [0, 4]] (from [[2, 0], [5, 4]]): 5 comes first.
        let bad_t = i64s(dev, &[2, 0, 5, 4], &[2, 2]).t().unwrap();
        bad!(x.gather(1, &bad_t) => "gather", Index, "index 5 is out of bounds for dimension 1 with size 3");
        let ones = Tensor::ones([2, 2], DType::F32, dev).unwrap();
        bad!(x.scatter(1, &bad_t, &ones) => "scatter", Index, "index 5 is out of bounds");
        let bad_e = i64s(dev, &[1, -1], &[1, 2]).expand(&[2, 2]).unwrap();
        bad!(x.scatter_add(1, &bad_e, &ones) => "scatter_add", Index, "index -1 is out of bounds");
    });
}
