//! `view`/`reshape`/`flatten`/`chunk`/`split`/`unbind`/`i` rules and errors as PyTorch's (its
//! messages quoted beside each), on literal tensors. Every test runs on every device (the CPU,
//! and the GPU when one is usable). The random views against the reference are in `views.rs`.

use crate::common::*;
use tensor_core::{s, DType, ErrorKind, NewAxis, Tensor};

#[test]
fn view_infers_minus_one() {
    on_each_device(|dev| {
        let x = arange_f32(dev, 24);
        assert_eq!(x.view(&[-1, 8]).unwrap().size(), &[3, 8]);
        assert_eq!(x.view(&[2, -1, 3]).unwrap().size(), &[2, 4, 3]);
        assert_eq!(x.view(&[-1]).unwrap().size(), &[24]);
        assert_eq!(x.view(&[1, 1, -1, 1]).unwrap().size(), &[1, 1, 24, 1]);
        // torch.arange_f32(dev, 24.).view(2, -1, 3).stride() == (12, 3, 1)
        assert_eq!(x.view(&[2, -1, 3]).unwrap().stride(), &[12, 3, 1]);
        // A 0-d tensor views as [] or [1, 1] or [-1].
        let s = Tensor::full([], 5.0, DType::F32, dev).unwrap();
        assert_eq!(s.view(&[-1]).unwrap().size(), &[1]);
        assert_eq!(s.view(&[1, 1]).unwrap().view(&[]).unwrap().size(), &[] as &[usize]);
        // torch.empty(0, 3).view(-1, 3).shape == (0, 3); view(3, -1) == (3, 0)
        let e = Tensor::zeros([0, 3], DType::F32, dev).unwrap();
        assert_eq!(e.view(&[-1, 3]).unwrap().size(), &[0, 3]);
        assert_eq!(e.view(&[3, -1]).unwrap().size(), &[3, 0]);
    });
}

#[test]
fn view_errors_as_torch() {
    on_each_device(|dev| {
        let x = arange_f32(dev, 16);
        // torch.arange_f32(dev, 16.).view(-1, -1): RuntimeError: only one dimension can be inferred
        let e = x.view(&[-1, -1]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Shape);
        assert!(e.to_string().contains("only one dimension can be inferred"), "{e}");
        // torch.arange_f32(dev, 16.).view(4, 5): RuntimeError: shape '[4, 5]' is invalid for input of size 16
        let e = x.view(&[4, 5]).unwrap_err();
        assert_eq!((e.op(), e.message()), ("view", "shape '[4, 5]' is invalid for input of size 16"));
        let e = x.view(&[-1, 5]).unwrap_err();
        assert_eq!((e.op(), e.message()), ("view", "shape '[-1, 5]' is invalid for input of size 16"));
        let e = x.reshape(&[3, 5]).unwrap_err();
        assert!(e.to_string().contains("is invalid for input of size 16"), "{e}");
        // torch.arange_f32(dev, 16.).view(-2, 8): RuntimeError: invalid shape dimension -2
        let e = x.view(&[-2, 8]).unwrap_err();
        assert!(e.to_string().contains("invalid shape dimension -2"), "{e}");
        // torch.empty(0, 3).view(-1, 0): the unspecified dimension size -1 can be any value
        let z = Tensor::zeros([0, 3], DType::F32, dev).unwrap();
        let e = z.view(&[-1, 0]).unwrap_err();
        assert!(e.to_string().contains("ambiguous"), "{e}");
        // torch.arange_f32(dev, 16.).view(4, 4).t().view(16): RuntimeError: view size is not compatible with
        // input tensor's size and stride (at least one dimension spans across two contiguous
        // subspaces). Use .reshape(...) instead.
        let t = x.view(&[4, 4]).unwrap().t().unwrap();
        let e = t.view(&[16]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Shape);
        assert_eq!(e.op(), "view");
        assert!(e.message().contains("Use .reshape(...) instead"), "{e}");
        assert!(e.message().contains("[4, 4]"), "{e}");
        // ... while reshape copies, and splitting a dim of the transpose is still a view.
        let r = t.reshape(&[16]).unwrap();
        assert!(!r.shares_storage(&t));
        assert_eq!(r.to_vec::<f32>().unwrap(), [0., 4., 8., 12., 1., 5., 9., 13., 2., 6., 10., 14., 3., 7., 11., 15.]);
        let v = t.view(&[2, 2, 4]).unwrap();
        assert!(v.shares_storage(&t));
        assert_eq!(v.stride(), &[2, 1, 4]);
        // view_as
        let y = Tensor::zeros([2, 8], DType::F64, dev).unwrap();
        assert_eq!(x.view_as(&y).unwrap().size(), &[2, 8]);
        assert!(t.view_as(&x).is_err());
    });
}

#[test]
fn reshape_of_contiguous_is_a_view() {
    on_each_device(|dev| {
        let x = arange_f32(dev, 12);
        let r = x.reshape(&[3, -1]).unwrap();
        assert!(r.shares_storage(&x));
        assert_eq!(r.size(), &[3, 4]);
        let r = x.reshape_to([2, 2, 3]).unwrap();
        assert!(r.shares_storage(&x));
        // A narrowed (offset) contiguous tensor still views.
        let n = x.narrow(0, 2, 6).unwrap().reshape(&[2, 3]).unwrap();
        assert!(n.shares_storage(&x));
        assert_eq!(n.storage_offset(), 2);
        assert_eq!(n.to_vec2::<f32>().unwrap(), [[2., 3., 4.], [5., 6., 7.]]);
    });
}

#[test]
fn flatten_unflatten() {
    on_each_device(|dev| {
        let x = arange_f32(dev, 24).view(&[2, 3, 4]).unwrap();
        assert_eq!(x.flatten(0, -1).unwrap().size(), &[24]);
        assert_eq!(x.flatten(1, 2).unwrap().size(), &[2, 12]);
        assert_eq!(x.flatten(-2, -1).unwrap().size(), &[2, 12]);
        assert_eq!(x.flatten(1, 1).unwrap().size(), &[2, 3, 4]);
        let e = x.flatten(2, 1).unwrap_err();
        assert!(e.to_string().contains("cannot come after"), "{e}");
        // torch.tensor(5.).flatten().shape == (1,)
        let s = Tensor::full([], 5.0, DType::F32, dev).unwrap();
        assert_eq!(s.flatten(0, -1).unwrap().size(), &[1]);
        assert_eq!(x.unflatten(2, &[2, -1]).unwrap().size(), &[2, 3, 2, 2]);
        assert_eq!(x.unflatten(-1, &[-1, 1]).unwrap().size(), &[2, 3, 4, 1]);
        assert!(x.unflatten(1, &[2, 2]).is_err());
        // torch.tensor(5.).unflatten(0, (1,)): IndexError: Dimension specified as 0 but tensor has no dimensions
        let e = s.unflatten(0, &[1]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Dim);
        // flatten of a transposed tensor copies and keeps row-major order.
        let t = x.transpose(0, 2).unwrap();
        let f = t.flatten(0, 1).unwrap();
        assert!(!f.shares_storage(&x));
        let want = Ref::iota(&[2, 3, 4]).transpose(0, 2).reshape(&[12, 2]);
        assert_ref(&f, &want, EXACT, "flatten of transpose");
    });
}

#[test]
fn view_op_errors() {
    on_each_device(|dev| {
        let x = arange_f32(dev, 24).view(&[2, 3, 4]).unwrap();
        let e = x.transpose(0, 3).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Dim);
        assert!(
            e.to_string().contains("dimension out of range (expected to be in range of [-3, 2], but got 3)"),
            "{e}"
        );
        let e = x.permute(&[0, 1]).unwrap_err();
        assert!(e.to_string().contains("number of dims don't match in permute"), "{e}");
        let e = x.permute(&[0, 1, 1]).unwrap_err();
        assert!(e.to_string().contains("appears multiple times"), "{e}");
        let e = x.narrow(1, 2, 2).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Index);
        assert!(e.to_string().contains("exceeds dimension size (3)"), "{e}");
        assert_eq!(x.narrow(1, -1, 1).unwrap().size(), &[2, 1, 4]);
        assert_eq!(x.narrow(1, 3, 0).unwrap().size(), &[2, 0, 4]);
        let e = x.select(1, 3).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Index);
        assert!(x.select(1, -4).is_err());
        assert_eq!(x.select(1, -3).unwrap().to_vec2::<f32>().unwrap(), [[0., 1., 2., 3.], [12., 13., 14., 15.]]);
        let e = x.slice(0, None, None, 0).unwrap_err();
        assert!(e.to_string().contains("slice step must be positive"), "{e}");
        // expand: torch.ones(3, 1).expand(4, 2): RuntimeError: The expanded size of the tensor (2)
        // must match the existing size (3) at non-singleton dimension 0.
        let o = Tensor::ones([3, 1], DType::F32, dev).unwrap();
        let e = o.expand(&[4, 2]).unwrap_err();
        assert!(e.to_string().contains("the expanded size of the tensor (4) must match the existing size (3)"), "{e}");
        let e = o.expand(&[-1, 2, 2]).unwrap_err();
        assert!(e.to_string().contains("isn't allowed in a leading, non-existing dimension"), "{e}");
        let e = o.expand(&[3]).unwrap_err();
        assert!(e.to_string().contains("must be greater or equal to the number of dimensions"), "{e}");
        let ex = o.expand(&[2, -1, 5]).unwrap();
        assert_eq!((ex.size(), ex.stride()), (&[2, 3, 5][..], &[0, 1, 0][..]));
        // 0-d tensors
        let s = Tensor::full([], 5.0, DType::F32, dev).unwrap();
        assert!(s.narrow(0, 0, 1).is_err());
        assert!(s.select(0, 0).is_err());
        assert!(s.slice(0, None, None, 1).is_err());
        assert_eq!(s.transpose(0, -1).unwrap().size(), &[] as &[usize]);
        assert_eq!(s.unsqueeze(0).unwrap().size(), &[1]);
        assert_eq!(s.unsqueeze(-1).unwrap().size(), &[1]);
        assert!(s.unsqueeze(1).is_err());
        assert_eq!(s.squeeze_dim(0).unwrap().size(), &[] as &[usize]);
        assert_eq!(s.expand(&[2, 3]).unwrap().to_vec2::<f32>().unwrap(), [[5.; 3]; 2]);
        // torch.tensor(1.).split(1): RuntimeError: split expects at least a 1-dimensional tensor
        let e = s.split(1, 0).unwrap_err();
        assert!(e.to_string().contains("split expects at least a 1-dimensional tensor"), "{e}");
        let e = s.chunk(1, 0).unwrap_err();
        assert!(e.to_string().contains("chunk expects at least a 1-dimensional tensor"), "{e}");
        // torch.tensor(1.).unbind(0): IndexError: Dimension specified as 0 but tensor has no dimensions
        let e = s.unbind(0).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Dim);
        assert!(x.split(0, 0).is_err());
        assert!(x.chunk(0, 0).is_err());
        assert!(x.split_sizes(&[1, 1], 1).is_err());
        // too many indices
        let e = x.i((0, 0, 0, 0)).unwrap_err();
        assert!(e.to_string().contains("too many indices for tensor of dimension 3"), "{e}");
    });
}

#[test]
fn chunk_split_unbind_as_torch() {
    on_each_device(|dev| {
        let x = arange_f32(dev, 10);
        let sizes = |v: Vec<Tensor>| v.iter().map(|t| t.size()[0]).collect::<Vec<_>>();
        // [t.numel() for t in torch.arange_f32(dev, 10.).chunk(4)] == [3, 3, 3, 1]
        assert_eq!(sizes(x.chunk(4, 0).unwrap()), [3, 3, 3, 1]);
        // torch.arange_f32(dev, 10.).chunk(6) gives 5 chunks of 2
        assert_eq!(sizes(x.chunk(6, 0).unwrap()), [2, 2, 2, 2, 2]);
        assert_eq!(sizes(x.split(4, 0).unwrap()), [4, 4, 2]);
        assert_eq!(sizes(x.split(20, 0).unwrap()), [10]);
        assert_eq!(sizes(x.split_sizes(&[1, 0, 9], 0).unwrap()), [1, 0, 9]);
        // [t.shape for t in torch.empty(0).chunk(3)] == [torch.Size([0])] * 3
        let e = Tensor::zeros([0], DType::F32, dev).unwrap();
        assert_eq!(sizes(e.chunk(3, 0).unwrap()), [0, 0, 0]);
        assert_eq!(sizes(e.split(2, 0).unwrap()), [0]);
        assert!(e.unbind(0).unwrap().is_empty());
        let m = arange_f32(dev, 6).view(&[2, 3]).unwrap();
        let cols = m.unbind(1).unwrap();
        assert_eq!(cols.len(), 3);
        assert_eq!(cols[2].to_vec::<f32>().unwrap(), [2., 5.]);
        assert!(cols.iter().all(|c| c.shares_storage(&m)));
        let parts = m.chunk(2, -1).unwrap();
        assert_eq!(parts[0].to_vec2::<f32>().unwrap(), [[0., 1.], [3., 4.]]);
        assert_eq!(parts[1].to_vec2::<f32>().unwrap(), [[2.], [5.]]);
    });
}

#[test]
fn indexing_with_i() {
    on_each_device(|dev| {
        let x = arange_f32(dev, 16).view(&[4, 4]).unwrap();
        // x[:, 1]
        assert_eq!(x.i((.., 1)).unwrap().to_vec::<f32>().unwrap(), [1., 5., 9., 13.]);
        // x[1]
        assert_eq!(x.i(1).unwrap().to_vec::<f32>().unwrap(), [4., 5., 6., 7.]);
        // x[-1, 1:3]
        assert_eq!(x.i((-1, 1..3)).unwrap().to_vec::<f32>().unwrap(), [13., 14.]);
        // x[::2, ::3]
        assert_eq!(x.i((s(None, None, 2), s(None, None, 3))).unwrap().to_vec2::<f32>().unwrap(), [[0., 3.], [8., 11.]]);
        // x[None, 1:, ..=1]
        let y = x.i((NewAxis, 1.., ..=1)).unwrap();
        assert_eq!(y.size(), &[1, 3, 2]);
        assert_eq!(y.to_vec3::<f32>().unwrap(), [[[4., 5.], [8., 9.], [12., 13.]]]);
        // x[1:100] clamps, x[5:2] is empty
        assert_eq!(x.i(1..100).unwrap().size(), &[3, 4]);
        #[allow(clippy::reversed_empty_ranges)]
        let empty = x.i(5..2).unwrap();
        assert_eq!(empty.size(), &[0, 4]);
        assert_eq!(x.i(2..=3).unwrap().size(), &[2, 4]);
        assert_eq!(x.i(..2).unwrap().size(), &[2, 4]);
        assert!(x.i((.., 1)).unwrap().shares_storage(&x));
        assert!(x.i((0, 4)).is_err());
    });
}
