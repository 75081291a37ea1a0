//! A functional op's, a loss's or a layer's error names the op the user called and the user's
//! file and line, through `Var` and tensor-core's ops, and through a `Sequential`.

use tensor_autograd::Var;
use tensor_core::{DType, Device, Error, Tensor};
use tensor_nn::functional as F;
use tensor_nn::{
    AdaptiveAvgPool2d, BatchNorm2d, ClassLossOptions, Conv2d, Conv2dConfig, Embedding, GroupNorm, LSTMCell, LayerNorm,
    Linear, MaxPool2d, Module, MultiheadAttention, PixelShuffle, ReLU, Reduction, Sequential, Softmax, GRU,
};

/// Runs `$call`, which must fail, and pushes onto `$wrong` its error's text unless the error
/// names `$op` and this file and line.
macro_rules! fails_here {
    ($wrong:ident, $op:literal, $call:expr) => {{
        let (r, line) = ($call, line!());
        let e: Error = r.err().expect(stringify!($call));
        let at = e.location().map(|l| (l.file(), l.line()));
        if e.op() != $op || at != Some((file!(), line)) {
            $wrong.push(format!("{}, line {line}: {e}", $op));
        }
    }};
}

fn v(shape: &[usize]) -> Var {
    let n = shape.iter().product::<usize>();
    let t = Tensor::arange_dtype(0.0, n as f64, 1.0, DType::F32, &Device::Cpu).unwrap().reshape_to(shape).unwrap();
    Var::new(t, true)
}

#[test]
fn functions_and_losses_locate_their_errors_at_the_call() {
    let mut wrong = Vec::new();
    let x = v(&[2, 3]);
    let (labels, bad_labels) =
        (Tensor::from_vec(vec![0i64, 2], [2]).unwrap(), Tensor::from_vec(vec![0i64, 5], [2]).unwrap());
    fails_here!(wrong, "linear", F::linear(&x, &v(&[4, 4]), None));
    fails_here!(wrong, "linear", F::linear(&x, &v(&[4, 3]), Some(&v(&[5]))));
    fails_here!(wrong, "conv2d", F::conv2d(&v(&[1, 1, 4, 4]), &v(&[1, 2, 3, 3]), None, Default::default()));
    fails_here!(wrong, "max_pool2d", F::max_pool2d(&v(&[1, 1, 2, 2]), 3, Default::default()));
    fails_here!(wrong, "softmax", F::softmax(&x, 2));
    fails_here!(wrong, "log_softmax", F::log_softmax(&x, -3));
    fails_here!(wrong, "dropout", F::dropout(&x, 1.5, true));
    fails_here!(wrong, "layer_norm", F::layer_norm(&x, &[4], None, None, 1e-5));
    fails_here!(wrong, "embedding", F::embedding(&bad_labels, &v(&[3, 2]), Default::default()));
    fails_here!(wrong, "mse_loss", F::mse_loss(&x, &v(&[4]), Reduction::Mean));
    fails_here!(wrong, "cross_entropy", F::cross_entropy(&x, &bad_labels, &ClassLossOptions::default()));
    fails_here!(wrong, "cross_entropy", F::cross_entropy(&v(&[2, 3, 4]), &labels, &ClassLossOptions::default()));
    fails_here!(wrong, "nll_loss", F::nll_loss(&x, &bad_labels, &ClassLossOptions::default()));
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn layers_locate_their_errors_at_the_forward_call() {
    let mut wrong = Vec::new();
    let cpu = &Device::Cpu;
    let linear = Linear::new(4, 2, true, cpu).unwrap();
    fails_here!(wrong, "linear", linear.forward(&v(&[2, 3])));
    let conv = Conv2d::new(2, 1, 3, Conv2dConfig::default(), cpu).unwrap();
    fails_here!(wrong, "conv2d", conv.forward(&v(&[1, 1, 4, 4])));
    let norm = LayerNorm::new(&[4], cpu).unwrap();
    fails_here!(wrong, "LayerNorm", norm.forward(&v(&[2, 3])));
    let emb = Embedding::new(3, 2, cpu).unwrap();
    fails_here!(wrong, "Embedding", emb.forward(&v(&[2])));
    fails_here!(wrong, "Embedding", emb.forward(&Var::constant(Tensor::from_vec(vec![0i64, 5], [2]).unwrap())));
    let bn = BatchNorm2d::new(3, cpu).unwrap();
    fails_here!(wrong, "BatchNorm2d", bn.forward(&v(&[1, 2, 2, 2])));
    let gn = GroupNorm::new(2, 4, cpu).unwrap();
    fails_here!(wrong, "group_norm", gn.forward(&v(&[1, 3, 2, 2])));
    let mha = MultiheadAttention::new(4, 2, cpu).unwrap();
    fails_here!(wrong, "MultiheadAttention", mha.forward(&v(&[2, 3, 5])));
    fails_here!(wrong, "max_pool2d", MaxPool2d::new(3).forward(&v(&[1, 1, 2, 2])));
    fails_here!(wrong, "adaptive_avg_pool2d", AdaptiveAvgPool2d::new(3).forward(&v(&[2, 2])));
    fails_here!(wrong, "pixel_shuffle", PixelShuffle::new(2).forward(&v(&[1, 3, 2, 2])));
    fails_here!(wrong, "softmax", Softmax { dim: 3 }.forward(&v(&[2, 2])));
    let rnn = GRU::new(3, 4, Default::default(), cpu).unwrap();
    fails_here!(wrong, "GRU", rnn.forward(&v(&[5, 2, 2])));
    let cell = LSTMCell::new(3, 4, true, cpu).unwrap();
    fails_here!(wrong, "LSTMCell", cell.forward(&v(&[2, 2])));
    let seq = Sequential::new()
        .add(Linear::new(3, 4, true, cpu).unwrap())
        .add(ReLU)
        .add(Linear::new(3, 2, true, cpu).unwrap());
    fails_here!(wrong, "linear", seq.forward(&v(&[2, 3])));
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// A user's model: an error raised by a layer its forward calls is located at that call, in the
/// user's forward, not at the line that called the model.
struct Net {
    fc: Linear,
}
tensor_nn::module_members!(Net { children: fc; params: ; buffers: });

const NET_FC_LINE: u32 = line!() + 3;
impl Module for Net {
    fn forward(&self, x: &Var) -> tensor_core::Result<Var> {
        self.fc.forward(x)
    }
}

#[test]
fn a_users_module_keeps_the_line_inside_its_forward() {
    let net = Net { fc: Linear::new(4, 2, true, &Device::Cpu).unwrap() };
    let e = net.forward(&v(&[2, 3])).unwrap_err();
    assert_eq!(e.location().map(|l| (l.file(), l.line())), Some((file!(), NET_FC_LINE)), "{e}");
    let seq = Sequential::new().add(net).add(ReLU);
    let (e, line) = (seq.forward(&v(&[2, 3])).unwrap_err(), line!());
    assert_eq!(e.location().map(|l| (l.file(), l.line())), Some((file!(), line)), "the outermost call: {e}");
}

#[test]
fn file_errors_are_located_at_the_call() {
    let mut wrong = Vec::new();
    let missing = std::path::Path::new("/nonexistent/model.safetensors");
    fails_here!(wrong, "load_safetensors", tensor_nn::load_safetensors(missing, &Device::Cpu));
    fails_here!(wrong, "load_pt", tensor_nn::load_pt(missing, &Device::Cpu));
    assert!(wrong.is_empty(), "{wrong:#?}");
}
