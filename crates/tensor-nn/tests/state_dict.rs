//! State dicts: safetensors save → load round trips, `load_state_dict`'s strict errors, and
//! files written by PyTorch (safetensors and `torch.save`).
//!
//! `fixtures/lenet_like.safetensors` and every `const` below come from
//! `scripts/pytorch/nn_fixture.py` (PyTorch 2.15, safetensors 0.8): the state_dict of a small
//! LeNet-like model (float32 parameters, BatchNorm buffers after one training step) plus one
//! float64, one int64, one float16 and one bfloat16 tensor; `LENET_OUT` is that model's eval
//! output on `pattern([2, 1, 6, 6], 11)`.
//!
//! Files are read and written on the CPU; `state_dict_saved_on_each_device_equals_the_cpu_one`
//! runs on every device (`common::devices`): a model trained a step there saves (a host copy)
//! what the same model saves from the CPU.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tensor_autograd::Var;
use tensor_core::{DType, Device, Result, Tensor};
use tensor_nn::{
    load_pt, load_safetensors, module_members, save_safetensors, BatchNorm2d, Conv2d, Conv2dConfig, Linear, Module,
    ModuleExt,
};

use crate::common::{assert_on, devices, gpu_close};

const CPU: &Device = &Device::Cpu;

/// shape [2, 1, 3, 3], torch.float32
const ST_CONV1_WEIGHT: [f64; 18] = [
    0.0, -1.125, 0.625, -0.5, 1.25, 0.125, -1.0, 0.75, -0.375, 1.375, 0.25, -0.875, 0.875, -0.25, -1.375, 0.375, -0.75,
    1.0,
];
/// shape [2], torch.float32
const ST_CONV1_BIAS: [f64; 2] = [1.375, 0.25];
/// shape [2], torch.float32
const ST_BN1_WEIGHT: [f64; 2] = [-0.125, -1.25];
/// shape [2], torch.float32
const ST_BN1_BIAS: [f64; 2] = [1.25, 0.125];
/// shape [2], torch.float32
const ST_BN1_RUNNING_MEAN: [f64; 2] = [0.14865723252296448, 0.01711425743997097];
/// shape [2], torch.float32
const ST_BN1_RUNNING_VAR: [f64; 2] = [1.446341633796692, 1.4000056982040405];
/// shape [], torch.int64
const ST_BN1_NUM_BATCHES_TRACKED: [i64; 1] = [1];
/// shape [3, 8], torch.float32
const ST_FC_WEIGHT: [f64; 24] = [
    -0.25, -1.375, 0.375, -0.75, 1.0, -0.125, -1.25, 0.5, -0.625, 1.125, 0.0, -1.125, 0.625, -0.5, 1.25, 0.125, -1.0,
    0.75, -0.375, 1.375, 0.25, -0.875, 0.875, -0.25,
];
/// shape [3], torch.float32
const ST_FC_BIAS: [f64; 3] = [1.125, 0.0, -1.125];
/// shape [2, 2], torch.float64
const ST_EXTRA_F64: [f64; 4] = [0.3333333333333333, -2.5, 1e-300, 12345.678];
/// shape [3], torch.int64
const ST_EXTRA_I64: [i64; 3] = [-1099511627776, 0, 4611686018427387911];
/// shape [2, 2], torch.float16
const ST_EXTRA_F16: [f64; 4] = [0.5, -1.25, 65504.0, 0.0009765625];
/// shape [3], torch.bfloat16
const ST_EXTRA_BF16: [f64; 3] = [1.0, -3.00405527047391e+38, 0.0078125];
/// shape [2, 3], torch.float32
const LENET_OUT: [f64; 6] = [
    -0.7263236045837402,
    2.6033201217651367,
    -0.8012725710868835,
    -3.0956554412841797,
    0.38179099559783936,
    -1.7714225053787231,
];

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lenet_like.safetensors")
}

/// `nn_fixture.py`'s `pattern`, float32.
fn pattern(shape: &[usize], seed: usize) -> Tensor {
    let n: usize = shape.iter().product();
    let v: Vec<f32> = (0..n).map(|i| (((i * 37 + seed * 11) % 23) as f32 - 11.0) / 8.0).collect();
    Tensor::from_vec(v, shape).unwrap()
}

/// The script's `LeNetLike`.
struct LeNetLike {
    conv1: Conv2d,
    bn1: BatchNorm2d,
    fc: Linear,
}
module_members!(LeNetLike { children: conv1, bn1, fc; params: ; buffers: });
impl Module for LeNetLike {
    fn forward(&self, x: &Var) -> Result<Var> {
        let x = self.bn1.forward(&self.conv1.forward(x)?)?.relu()?;
        let x = x.max_pool2d([2, 2], [2, 2], [0, 0], [1, 1], false)?;
        self.fc.forward(&x.flatten(1, -1)?)
    }
}
fn lenet() -> LeNetLike {
    LeNetLike {
        conv1: Conv2d::new(1, 2, 3, Conv2dConfig::default(), CPU).unwrap(),
        bn1: BatchNorm2d::new(2, CPU).unwrap(),
        fc: Linear::new(8, 3, true, CPU).unwrap(),
    }
}

fn values(t: &Tensor) -> Vec<f64> {
    t.to_vec::<f64>().unwrap()
}

const MODEL_KEYS: [&str; 9] = [
    "bn1.bias",
    "bn1.num_batches_tracked",
    "bn1.running_mean",
    "bn1.running_var",
    "bn1.weight",
    "conv1.bias",
    "conv1.weight",
    "fc.bias",
    "fc.weight",
];

#[test]
fn reads_pytorch_fixture() -> Result<()> {
    let st = load_safetensors(&fixture(), CPU)?;
    let keys: Vec<&str> = st.keys().map(String::as_str).collect();
    let mut want: Vec<&str> = MODEL_KEYS.to_vec();
    want.extend(["extra.bf16", "extra.f16", "extra.f64", "extra.i64"]);
    want.sort();
    assert_eq!(keys, want);
    let floats: [(&str, DType, &[usize], &[f64]); 12] = [
        ("conv1.weight", DType::F32, &[2, 1, 3, 3], &ST_CONV1_WEIGHT),
        ("conv1.bias", DType::F32, &[2], &ST_CONV1_BIAS),
        ("bn1.weight", DType::F32, &[2], &ST_BN1_WEIGHT),
        ("bn1.bias", DType::F32, &[2], &ST_BN1_BIAS),
        ("bn1.running_mean", DType::F32, &[2], &ST_BN1_RUNNING_MEAN),
        ("bn1.running_var", DType::F32, &[2], &ST_BN1_RUNNING_VAR),
        ("fc.weight", DType::F32, &[3, 8], &ST_FC_WEIGHT),
        ("fc.bias", DType::F32, &[3], &ST_FC_BIAS),
        ("extra.f64", DType::F64, &[2, 2], &ST_EXTRA_F64),
        ("extra.f16", DType::F16, &[2, 2], &ST_EXTRA_F16),
        ("extra.bf16", DType::BF16, &[3], &ST_EXTRA_BF16),
        ("conv1.weight", DType::F32, &[2, 1, 3, 3], &ST_CONV1_WEIGHT),
    ];
    for (name, dtype, shape, want) in floats {
        let t = &st[name];
        assert_eq!((t.dtype(), t.size()), (dtype, shape), "{name}");
        // Exact: each literal is the float64 of the stored element.
        assert_eq!(values(t), want, "{name}");
    }
    let i = &st["extra.i64"];
    assert_eq!((i.dtype(), i.size()), (DType::I64, &[3usize][..]));
    assert_eq!(i.to_vec::<i64>()?, ST_EXTRA_I64);
    let n = &st["bn1.num_batches_tracked"];
    assert_eq!((n.dtype(), n.dim()), (DType::I64, 0));
    assert_eq!(n.to_vec::<i64>()?, ST_BN1_NUM_BATCHES_TRACKED);
    Ok(())
}

#[test]
fn pytorch_fixture_loads_into_model() -> Result<()> {
    let mut st = load_safetensors(&fixture(), CPU)?;
    let mut m = lenet();
    // The extra tensors are unexpected keys under strict loading.
    let e = m.load_state_dict(&st, true).unwrap_err().to_string();
    for k in ["extra.bf16", "extra.f16", "extra.f64", "extra.i64"] {
        assert!(e.contains(k), "{e}");
    }
    st.retain(|k, _| !k.starts_with("extra."));
    m.load_state_dict(&st, true)?;
    m.eval();
    let y = m.forward(&Var::constant(pattern(&[2, 1, 6, 6], 11)))?;
    assert_eq!(y.size(), &[2, 3]);
    for (a, b) in values(y.tensor_ref()).iter().zip(LENET_OUT) {
        assert!((a - b).abs() < 1e-5, "{a} vs PyTorch {b}");
    }
    assert_eq!(m.state_dict()["bn1.num_batches_tracked"].item::<i64>()?, 1);
    Ok(())
}

/// `fixtures/lenet_like.pt`: the same model's state dict written by `torch.save` (PyTorch
/// 2.15, `scripts/python/torch_save_fixtures.py`), an OrderedDict with `_metadata`.
#[test]
fn torch_save_file_loads_into_model() -> Result<()> {
    let pt = load_pt(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lenet_like.pt"), CPU)?;
    assert_eq!(pt.keys().map(String::as_str).collect::<Vec<_>>(), MODEL_KEYS);
    let mut st = load_safetensors(&fixture(), CPU)?;
    st.retain(|k, _| !k.starts_with("extra."));
    // The same tensors as the safetensors file, bit for bit.
    assert_same_state(&pt, &st);
    assert_eq!((pt["bn1.num_batches_tracked"].dtype(), pt["bn1.num_batches_tracked"].dim()), (DType::I64, 0));
    let mut m = lenet();
    m.load_state_dict(&pt, true)?;
    m.eval();
    let y = m.forward(&Var::constant(pattern(&[2, 1, 6, 6], 11)))?;
    for (a, b) in values(y.tensor_ref()).iter().zip(LENET_OUT) {
        assert!((a - b).abs() < 1e-5, "{a} vs PyTorch {b}");
    }
    // The safetensors reader names the loader to use.
    let e = load_safetensors(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lenet_like.pt"), CPU);
    assert!(e.unwrap_err().message().contains("load_pt"));
    Ok(())
}

fn tmp(name: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(name)
}

fn assert_same_state(a: &BTreeMap<String, Tensor>, b: &BTreeMap<String, Tensor>) {
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (k, t) in a {
        assert_eq!((t.dtype(), t.size()), (b[k].dtype(), b[k].size()), "{k}");
        assert_eq!(values(t), values(&b[k]), "{k}");
    }
}

#[test]
fn save_load_round_trip() -> Result<()> {
    let mut a = lenet();
    a.forward(&Var::constant(pattern(&[4, 1, 6, 6], 3)))?; // non-trivial BatchNorm buffers
    let path = tmp("nn_round_trip.safetensors");
    save_safetensors(&a.state_dict(), &path)?;
    let loaded = load_safetensors(&path, CPU)?;
    assert_same_state(&a.state_dict(), &loaded);
    let mut b = lenet();
    b.load_state_dict(&loaded, true)?;
    assert_same_state(&a.state_dict(), &b.state_dict());
    a.eval();
    b.eval();
    let x = Var::constant(pattern(&[2, 1, 6, 6], 5));
    assert_eq!(values(a.forward(&x)?.tensor_ref()), values(b.forward(&x)?.tensor_ref()));
    // Loading copies: the parameters stay b's own leaves.
    let pb = b.named_parameters();
    assert!(pb.iter().all(|(_, p)| p.is_leaf() && p.requires_grad()));
    assert!(!pb[0].1.tensor_ref().shares_storage(a.named_parameters()[0].1.tensor_ref()));
    Ok(())
}

#[test]
fn strict_loading_lists_every_problem() -> Result<()> {
    let good = lenet().state_dict();
    let mut m = lenet();
    let mut bad: BTreeMap<String, Tensor> = good.iter().map(|(k, v)| (k.clone(), v.shallow_clone())).collect();
    bad.remove("fc.bias");
    bad.remove("bn1.running_var");
    bad.insert("fc2.weight".into(), Tensor::zeros([1], DType::F32, CPU)?);
    let e = m.load_state_dict(&bad, true).unwrap_err().to_string();
    assert!(e.contains("missing keys [\"bn1.running_var\", \"fc.bias\"]"), "{e}");
    assert!(e.contains("unexpected keys [\"fc2.weight\"]"), "{e}");
    // Not strict: missing and unexpected keys are fine.
    m.load_state_dict(&bad, false)?;

    // A shape mismatch is an error even when not strict, and is not also an unexpected key.
    let mut shape = good.iter().map(|(k, v)| (k.clone(), v.shallow_clone())).collect::<BTreeMap<_, _>>();
    shape.insert("fc.weight".into(), Tensor::zeros([8, 3], DType::F32, CPU)?);
    for strict in [true, false] {
        let e = m.load_state_dict(&shape, strict).unwrap_err().to_string();
        assert!(e.contains("fc.weight: copying a param with shape [8, 3]"), "{e}");
        assert!(e.contains("[3, 8]"), "{e}");
        assert!(e.contains("unexpected keys []"), "{e}");
        assert!(e.contains("missing keys []"), "{e}");
    }
    // All three at once.
    bad.insert("fc.weight".into(), Tensor::zeros([2], DType::F32, CPU)?);
    let e = m.load_state_dict(&bad, true).unwrap_err().to_string();
    assert!(e.contains("fc.bias") && e.contains("fc2.weight") && e.contains("fc.weight: copying"), "{e}");
    Ok(())
}

#[test]
fn loading_converts_dtypes() -> Result<()> {
    // As PyTorch's copy_: a float64 state dict loads into float32 parameters.
    let src = lenet().state_dict();
    let f64_state: BTreeMap<String, Tensor> = src
        .iter()
        .map(|(k, v)| {
            (k.clone(), if v.is_floating_point() { v.to_dtype(DType::F64).unwrap() } else { v.shallow_clone() })
        })
        .collect();
    let mut m = lenet();
    m.load_state_dict(&f64_state, true)?;
    assert_eq!(m.state_dict()["fc.weight"].dtype(), DType::F32);
    assert_same_state(&src, &m.state_dict());
    Ok(())
}

/// Writes what `nn_fixture.py --check` expects: the fixture's tensors as read here, plus a
/// transposed (non-contiguous) view and a bool tensor. Checked with PyTorch 2.15:
/// `python scripts/pytorch/nn_fixture.py --check target/tmp/nn_written_by_rust.safetensors`
/// printed "15 tensors read by safetensors.torch.load_file, all equal; load_state_dict ok".
#[test]
fn written_file_for_pytorch() -> Result<()> {
    let mut st = load_safetensors(&fixture(), CPU)?;
    st.insert("extra.transposed".into(), pattern(&[2, 3], 7).t()?);
    st.insert("extra.bool".into(), Tensor::new([true, false, true], CPU)?);
    let path = tmp("nn_written_by_rust.safetensors");
    save_safetensors(&st, &path)?;
    let back = load_safetensors(&path, CPU)?;
    assert_same_state(&st, &back);
    assert_eq!(back["extra.transposed"].size(), &[3, 2]);
    assert_eq!(values(&back["extra.transposed"]), values(&pattern(&[2, 3], 7).t()?.contiguous()?));
    assert_eq!(back["extra.bool"].to_vec::<bool>()?, [true, false, true]);
    Ok(())
}

#[test]
fn bad_files_are_errors() -> Result<()> {
    assert!(load_safetensors(&tmp("does_not_exist.safetensors"), CPU).is_err());
    let garbage = tmp("nn_garbage.safetensors");
    std::fs::write(&garbage, b"not a safetensors file at all").unwrap();
    assert!(load_safetensors(&garbage, CPU).is_err());
    let bytes = std::fs::read(fixture()).unwrap();
    let truncated = tmp("nn_truncated.safetensors");
    std::fs::write(&truncated, &bytes[..bytes.len() - 10]).unwrap();
    assert!(load_safetensors(&truncated, CPU).is_err());
    // A directory that does not exist: saving fails with an error.
    assert!(save_safetensors(&lenet().state_dict(), &tmp("no/such/dir/x.safetensors")).is_err());
    Ok(())
}

#[test]
fn state_dict_saved_on_each_device_equals_the_cpu_one() -> Result<()> {
    // One initialisation for every device; a training-mode forward updates BatchNorm's buffers
    // there. `save_safetensors` copies a device's tensors to the host.
    let init = lenet().state_dict();
    let mut cpu_saved: Option<BTreeMap<String, Tensor>> = None;
    for dev in &devices() {
        let mut m = lenet();
        m.load_state_dict(&init, true)?;
        m.to_device(dev)?;
        let y = m.forward(&Var::constant(pattern(&[4, 1, 6, 6], 3).to_device(dev)?))?;
        assert_on(y.tensor_ref(), dev);
        let sd = m.state_dict();
        for t in sd.values() {
            assert_on(t, dev);
        }
        let path = tmp(&format!("nn_saved_on_{}.safetensors", dev.to_string().replace(':', "_")));
        save_safetensors(&sd, &path)?;
        let saved = load_safetensors(&path, CPU)?;
        let want = cpu_saved.get_or_insert_with(|| saved.clone());
        assert_eq!(saved.keys().collect::<Vec<_>>(), want.keys().collect::<Vec<_>>(), "on {dev}");
        for (k, t) in &saved {
            let w = &want[k];
            assert_eq!((t.dtype(), t.size()), (w.dtype(), w.size()), "{k} on {dev}");
            if t.dtype() == DType::I64 {
                assert_eq!(t.to_vec::<i64>()?, w.to_vec::<i64>()?, "{k} on {dev}");
                continue;
            }
            // Parameters are the initial ones; the running statistics are sums over the batch
            // (in another order on a GPU, so within `assert_close`'s tolerance there).
            for (i, (a, b)) in values(t).into_iter().zip(values(w)).enumerate() {
                assert!(gpu_close(dev, t.dtype(), a, b), "{k} on {dev}: element {i}: {a} vs the CPU's {b}");
            }
        }
    }
    Ok(())
}
