//! `torch.save` files: the fixtures that PyTorch 2.15 wrote (`scripts/python/torch_save_fixtures.py`,
//! whose docstring lists their contents; the literals below are the values it saved), and
//! pickles written by hand here (`Pkl`) for what torch.save would never write: globals and
//! opcodes that must be refused, malformed structures, nesting and cycles.

use std::io::{Cursor, Write};
use std::path::Path;
use tensor_core::{DType, ErrorKind, Result, Tensor};
use tensor_io::{load_pt, load_pt_bytes, load_safetensors};
use zip::write::SimpleFileOptions;
use zip::ZipWriter;

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

fn keys(v: &[(String, Tensor)]) -> Vec<&str> {
    v.iter().map(|(k, _)| k.as_str()).collect()
}

fn get<'a>(v: &'a [(String, Tensor)], key: &str) -> &'a Tensor {
    &v.iter().find(|(k, _)| k == key).unwrap_or_else(|| panic!("no {key}")).1
}

#[test]
fn state_dict_of_a_module() -> Result<()> {
    let sd = load_pt(fixture("torch_state_dict.pt"))?;
    assert_eq!(
        keys(&sd),
        ["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked"]
    );
    // torch_save_fixtures.py's printout (the float64 of each float32).
    let want: [(&str, &[usize], &[f64]); 6] = [
        ("0.weight", &[3, 2], &[0.0, -1.125, 0.625, -0.5, 1.25, 0.125]),
        ("0.bias", &[3], &[1.375, 0.25, -0.875]),
        ("1.weight", &[3], &[-0.125, -1.25, 0.5]),
        ("1.bias", &[3], &[1.25, 0.125, -1.0]),
        ("1.running_mean", &[3], &[0.18671874701976776, 0.044921875, -0.09687500447034836]),
        ("1.running_var", &[3], &[0.9823974370956421, 0.9676981568336487, 1.037125587463379]),
    ];
    for (k, shape, values) in want {
        let t = get(&sd, k);
        assert_eq!((t.dtype(), t.size()), (DType::F32, shape), "{k}");
        assert_eq!(t.to_vec::<f64>()?, values, "{k}");
    }
    let n = get(&sd, "1.num_batches_tracked");
    assert_eq!((n.dtype(), n.dim(), n.item::<i64>()?), (DType::I64, 0, 1));
    Ok(())
}

#[test]
fn views_share_storages_and_keep_their_strides() -> Result<()> {
    let v = load_pt(fixture("torch_views.pt"))?;
    assert_eq!(
        keys(&v),
        ["base", "t", "row", "cols", "f16", "bf16", "f64", "i32", "i64", "u8", "flags", "scalar", "empty", "exp"]
    );
    let base = get(&v, "base");
    let arange: Vec<f32> = (0..12).map(|i| i as f32).collect();
    assert_eq!((base.size(), base.to_vec::<f32>()?), (&[3usize, 4][..], arange));
    let t = get(&v, "t");
    assert_eq!((t.size(), t.stride()), (&[4usize, 3][..], &[1usize, 4][..]));
    assert_eq!(t.to_vec2::<f32>()?[1], [1.0, 5.0, 9.0]);
    let row = get(&v, "row");
    assert_eq!((row.storage_offset(), row.to_vec::<f32>()?), (4, vec![4.0, 5.0, 6.0, 7.0]));
    let cols = get(&v, "cols");
    assert_eq!(cols.stride(), [4, 2]);
    assert_eq!(cols.to_vec2::<f32>()?, [[0.0, 2.0], [4.0, 6.0], [8.0, 10.0]]);
    // One storage, as in PyTorch: a write through `base` shows in the views.
    base.shallow_clone().fill_(-1.0)?;
    assert_eq!((t.to_vec::<f32>()?[0], row.to_vec::<f32>()?[0], cols.to_vec::<f32>()?[5]), (-1.0, -1.0, -1.0));
    let f16: Vec<f32> = get(&v, "f16").to_vec()?;
    assert_eq!((get(&v, "f16").dtype(), f16), (DType::F16, vec![0.5, -1.25, 65504.0, 2f32.powi(-10)]));
    let bf16 = get(&v, "bf16");
    assert_eq!(bf16.dtype(), DType::BF16);
    assert_eq!(bf16.to_vec::<f64>()?, [1.0, -3.00405527047391e38, 0.0078125]);
    assert_eq!(get(&v, "f64").to_vec::<f64>()?, [1.0 / 3.0, -2.5]);
    assert_eq!(get(&v, "i32").to_vec::<i32>()?, [-7, 0, i32::MAX]);
    assert_eq!(get(&v, "i64").to_vec::<i64>()?, [-(1i64 << 40), (1i64 << 62) + 7]);
    assert_eq!(get(&v, "u8").to_vec::<u8>()?, [0, 7, 255]);
    assert_eq!(get(&v, "flags").to_vec::<bool>()?, [true, false, true]);
    let scalar = get(&v, "scalar");
    assert_eq!((scalar.dim(), scalar.item::<f32>()?), (0, -1.375));
    assert_eq!(get(&v, "empty").size(), [0, 3]);
    let exp = get(&v, "exp");
    assert_eq!((exp.dtype(), exp.stride()), (DType::F64, &[0usize, 1][..]));
    assert_eq!(exp.to_vec2::<f64>()?, [[0.0, 1.0, 2.0], [0.0, 1.0, 2.0]]);
    Ok(())
}

#[test]
fn protocol_4_pickles() -> Result<()> {
    // FRAME, SHORT_BINUNICODE, MEMOIZE and STACK_GLOBAL (torch.save(..., pickle_protocol=4)).
    let v = load_pt(fixture("torch_proto4.pt"))?;
    assert_eq!(keys(&v), ["base", "t", "f16"]);
    assert_eq!(get(&v, "t").to_vec2::<f32>()?[3], [3.0, 7.0, 11.0]);
    assert_eq!(get(&v, "f16").to_vec::<f32>()?, [0.5, -1.25, 65504.0, 2f32.powi(-10)]);
    Ok(())
}

#[test]
fn narrow_integer_dtypes_load() -> Result<()> {
    // torch_save_fixtures.py: int8 through the legacy CharStorage.
    let v = load_pt(fixture("torch_int8.pt"))?;
    let bad = get(&v, "bad");
    assert_eq!((bad.dtype(), bad.to_vec::<i8>()?), (DType::I8, vec![-1, 1]));
    // torch_ints.pt: io_fixtures.py's INT_EXTREMES.
    let v = load_pt(fixture("torch_ints.pt"))?;
    assert_eq!(keys(&v), ["int8", "int16", "uint16", "uint32", "uint64"]);
    assert_eq!(get(&v, "int8").to_vec::<i8>()?, [1, -2, 127, -128]);
    assert_eq!(get(&v, "int16").to_vec::<i16>()?, [300, -300, 32767, -32768]);
    assert_eq!(get(&v, "uint16").to_vec::<u16>()?, [1, 65535, 0, 40000]);
    assert_eq!(get(&v, "uint32").to_vec::<u32>()?, [1, 4294967295, 0, 3000000000]);
    assert_eq!(get(&v, "uint64").to_vec::<u64>()?, [1, u64::MAX, 0, 1 << 63]);
    Ok(())
}

#[test]
fn parameters_and_rebuild_tensor_v3() -> Result<()> {
    let v = load_pt(fixture("torch_parameter.pt"))?;
    assert_eq!((keys(&v), get(&v, "p").to_vec::<f32>()?), (vec!["p"], vec![0.0, 1.0, 2.0]));
    // uint16 goes through _rebuild_tensor_v3 (an UntypedStorage and the dtype as a global).
    let v = load_pt(fixture("torch_uint16.pt"))?;
    assert_eq!(get(&v, "u16").to_vec::<u16>()?, [1, 65535]);
    // The same call with a dtype we have: int32 from 8 untyped bytes.
    let pkl = Pkl::new().dict("x", |p| {
        p.global("torch._utils", "_rebuild_tensor_v3")
            .op(b"((")
            .str("storage")
            .global("torch.storage", "UntypedStorage")
            .str("0")
            .str("cpu")
            .int(8)
            .op(b"tQ")
            .int(0)
            .ints(&[2])
            .ints(&[1])
            .op(&[0x89])
            .op(b"}")
            .global("torch", "int32")
            .op(b"tR")
    });
    let v = load_pt_bytes(&archive(&pkl.0, &[("0", &[7, 0, 0, 0, 0xff, 0xff, 0xff, 0xff])]))?;
    assert_eq!(get(&v, "x").to_vec::<i32>()?, [7, -1]);
    Ok(())
}

#[test]
fn a_malicious_pickle_is_refused_unrun() {
    let e = load_pt(fixture("torch_malicious.pt")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io);
    assert!(e.message().contains("refusing the global 'os system' at byte 2"), "{e}");
}

#[test]
fn the_safetensors_reader_points_to_load_pt() {
    let e = load_safetensors(fixture("torch_state_dict.pt"), &tensor_core::Device::Cpu).unwrap_err();
    assert!(
        e.message().contains("this is a PyTorch pickle file (torch.save") && e.message().contains("load_pt"),
        "{e}"
    );
}

/// A pickle written opcode by opcode.
#[derive(Default)]
struct Pkl(Vec<u8>);

impl Pkl {
    fn new() -> Pkl {
        Pkl(vec![0x80, 2])
    }
    fn op(mut self, bytes: &[u8]) -> Pkl {
        self.0.extend_from_slice(bytes);
        self
    }
    fn str(self, s: &str) -> Pkl {
        let len = (s.len() as u32).to_le_bytes();
        self.op(b"X").op(&len).op(s.as_bytes())
    }
    fn int(self, i: u32) -> Pkl {
        self.op(b"J").op(&i.to_le_bytes())
    }
    fn global(self, module: &str, name: &str) -> Pkl {
        self.op(format!("c{module}\n{name}\n").as_bytes())
    }
    fn ints(mut self, v: &[u32]) -> Pkl {
        self = self.op(b"(");
        for &i in v {
            self = self.int(i);
        }
        self.op(b"t")
    }
    /// `_rebuild_tensor_v2` of storage `key` (`numel` elements of `storage`).
    fn tensor(self, storage: &str, key: &str, numel: u32, offset: u32, size: &[u32], stride: &[u32]) -> Pkl {
        self.global("torch._utils", "_rebuild_tensor_v2")
            .op(b"((")
            .str("storage")
            .global("torch", storage)
            .str(key)
            .str("cpu")
            .int(numel)
            .op(b"tQ")
            .int(offset)
            .ints(size)
            .ints(stride)
            .op(&[0x89])
            .global("collections", "OrderedDict")
            .op(b")Rt")
            .op(b"R")
    }
    /// `{name: tensor}` around the tensor pickled by `f`, then STOP.
    fn dict(self, name: &str, f: impl FnOnce(Pkl) -> Pkl) -> Pkl {
        f(self.op(b"}").str(name)).op(b"s.")
    }
}

/// A torch.save-shaped archive of `pkl` and the storages.
fn archive(pkl: &[u8], storages: &[(&str, &[u8])]) -> Vec<u8> {
    let mut z = ZipWriter::new(Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    z.start_file("archive/data.pkl", opts).unwrap();
    z.write_all(pkl).unwrap();
    z.start_file("archive/byteorder", opts).unwrap();
    z.write_all(b"little").unwrap();
    for (key, bytes) in storages {
        z.start_file(format!("archive/data/{key}"), opts).unwrap();
        z.write_all(bytes).unwrap();
    }
    z.finish().unwrap().into_inner()
}

fn floats(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

#[track_caller]
fn refused(pkl: Pkl, words: &str) {
    let e = load_pt_bytes(&archive(&pkl.0, &[("0", &floats(&[1.0, 2.0]))])).unwrap_err();
    assert!(e.message().contains(words), "{e}");
}

#[test]
fn hand_written_pickles_load() -> Result<()> {
    let four = floats(&[1.0, 2.0, 3.0, 4.0]);
    let pkl = Pkl::new().dict("w", |p| p.tensor("FloatStorage", "0", 4, 1, &[2], &[2]));
    let v = load_pt_bytes(&archive(&pkl.0, &[("0", &four)]))?;
    assert_eq!((keys(&v), get(&v, "w").to_vec::<f32>()?), (vec!["w"], vec![2.0, 4.0]));
    // Nested dicts and lists flatten into dotted keys.
    let pkl = Pkl::new()
        .op(b"}")
        .str("model")
        .op(b"}")
        .str("fc")
        .op(b"](")
        .tensor("FloatStorage", "0", 4, 0, &[4], &[1])
        .tensor("FloatStorage", "0", 4, 3, &[], &[])
        .op(b"e")
        .op(b"ss.");
    let v = load_pt_bytes(&archive(&pkl.0, &[("0", &four)]))?;
    assert_eq!(keys(&v), ["model.fc.0", "model.fc.1"]);
    assert_eq!(get(&v, "model.fc.1").item::<f32>()?, 4.0);
    // A big-endian file.
    let mut z = ZipWriter::new(Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default();
    z.start_file("x/data.pkl", opts).unwrap();
    z.write_all(&Pkl::new().dict("w", |p| p.tensor("IntStorage", "0", 2, 0, &[2], &[1])).0).unwrap();
    z.start_file("x/byteorder", opts).unwrap();
    z.write_all(b"big").unwrap();
    z.start_file("x/data/0", opts).unwrap();
    z.write_all(&[0, 0, 1, 0, 0xff, 0xff, 0xff, 0xfe]).unwrap();
    let v = load_pt_bytes(&z.finish().unwrap().into_inner())?;
    assert_eq!(get(&v, "w").to_vec::<i32>()?, [256, -2]);
    Ok(())
}

#[test]
fn hand_written_pickles_are_refused() {
    let t = |p: Pkl| p.tensor("FloatStorage", "0", 2, 0, &[2], &[1]);
    refused(Pkl::new().global("builtins", "eval").str("1").op(b"\x85R."), "refusing the global 'builtins eval'");
    refused(Pkl::new().str("os").str("system").op(&[0x93]), "refusing the global 'os system'");
    refused(Pkl::new().op(b"(").str("x").op(b"ios\nsystem\n."), "refusing the opcode INST (0x69) at byte 9");
    refused(Pkl::new().op(b"(").global("collections", "OrderedDict").op(b"o."), "refusing the opcode OBJ");
    refused(Pkl::new().global("collections", "OrderedDict").op(b")").op(&[0x81]), "refusing the opcode NEWOBJ");
    refused(Pkl::new().op(b"Pfoo\n."), "refusing the opcode PERSID");
    refused(Pkl::new().op(&[0x82, 1]), "refusing the opcode EXT1");
    refused(Pkl::new().op(&[0xff]), "refusing the opcode an unknown opcode (0xff)");
    // BUILD sets the state of a dict only (a state dict's `_metadata`).
    refused(t(Pkl::new()).op(b"}b."), "refusing BUILD at byte");
    // The known globals, called with what torch.save never passes.
    refused(Pkl::new().global("collections", "OrderedDict").str("a").op(b"\x85R."), "refusing to call OrderedDict");
    refused(Pkl::new().global("torch", "FloatStorage").op(b")R."), "refusing to call TypedStorage");
    refused(Pkl::new().global("torch._utils", "_rebuild_tensor_v2").op(b")R."), "_rebuild_tensor_v2 with 0 arguments");
    refused(Pkl::new().op(b"(").str("storage").op(b"tQ."), "BINPERSID at byte");
    // Structure.
    refused(Pkl::new().op(b"t."), "no MARK");
    refused(Pkl::new().op(b"s."), "stack underflow");
    refused(Pkl::new().op(b"h\x05."), "memo entry 5 read at byte 2 was never written");
    refused(Pkl::new().op(b"}"), "truncated");
    refused(Pkl::new().op(b"X\xff\xff\xff\xff"), "truncated: 4294967295 bytes wanted");
    refused(Pkl::new().op(b"]NNs."), "SETITEM at byte 5 on a list, not a dict");
    refused(Pkl::new().op(b"}]]s."), "a list as a key");
    refused(Pkl::new().op(&[0x8a, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9]), "does not fit in 64 bits");
    // What the file holds.
    refused(t(Pkl::new()).op(b"."), "the file holds a tensor, not a dict of tensors");
    refused(Pkl::new().op(b"}").str("epoch").int(3).op(b"s."), "\"epoch\" holds an int, not a tensor");
    refused(Pkl::new().op(b"}").str("a").op(b"}").str("b").op(b"Nss."), "\"a.b\" holds None");
    let dup = Pkl::new().op(b"}(").str("a.b");
    let dup = t(dup).str("a").op(b"}").str("b");
    refused(t(dup).op(b"su."), "the key \"a.b\" appears twice");
    // Storages that do not match the pickle.
    refused(
        Pkl::new().dict("w", |p| p.tensor("FloatStorage", "0", 3, 0, &[3], &[1])),
        "holds 8 bytes, the pickle declares 12",
    );
    refused(Pkl::new().dict("w", |p| p.tensor("FloatStorage", "9", 2, 0, &[2], &[1])), "the entry \"archive/data/9\"");
    refused(
        Pkl::new().dict("w", |p| p.tensor("FloatStorage", "0", 2, 1, &[2], &[1])),
        "does not fit its storage of 2 elements",
    );
    refused(Pkl::new().dict("w", |p| p.tensor("FloatStorage", "0", 2, 0, &[2, 2], &[1])), "differ in length");
    refused(
        Pkl::new().dict("w", |p| p.tensor("FloatStorage", "0", 2, 0, &[i32::MAX as u32; 2], &[i32::MAX as u32, 1])),
        "does not fit",
    );
    refused(Pkl::new().dict("w", |p| p.tensor("FloatStorage", "0", 2, 0, &[u32::MAX], &[1])), "a size is -1, negative");
    // No elements, but sizes whose product overflows: refused (tensor-core's shapes fit isize).
    let huge = [0, i32::MAX as u32, i32::MAX as u32, i32::MAX as u32];
    refused(Pkl::new().dict("w", |p| p.tensor("FloatStorage", "0", 2, 0, &huge, &[1; 4])), "overflow");
}

#[test]
fn cycles_and_deep_nesting_end() {
    // A list that holds itself: an error (a list, not a tensor, at depth 65), no hang, no leak.
    refused(Pkl::new().op(b"}").str("a").op(b"]q\x00h\x00as."), "nested more than 64 deep");
    // A million nested tuples: refused, and dropped without overflowing the stack.
    let mut deep = Pkl::new().op(b"}").str("a").op(b"N");
    deep.0.extend(std::iter::repeat_n(0x85u8, 1_000_000));
    refused(deep.op(b"s."), "nested more than 64 deep");
    let mut marks = Pkl::new();
    marks.0.extend(std::iter::repeat_n(b'(', 500_000));
    marks.0.extend(std::iter::repeat_n(b't', 500_000));
    refused(marks.op(b"."), "the file holds a tuple");
}

#[test]
fn not_torch_save_files() {
    let e = load_pt_bytes(&Pkl::new().op(b"}.").0).unwrap_err();
    assert!(e.message().contains("legacy torch.save format of PyTorch before 1.6"), "{e}");
    for bad in [&b""[..], b"PK\x03\x04", b"garbage, not a zip"] {
        let e = load_pt_bytes(bad).unwrap_err();
        assert!(e.message().contains("<memory>: not a torch.save zip archive"), "{e}");
    }
    let mut z = ZipWriter::new(Cursor::new(Vec::new()));
    z.start_file("m/constants.pkl", SimpleFileOptions::default()).unwrap();
    let e = load_pt_bytes(&z.finish().unwrap().into_inner()).unwrap_err();
    assert!(e.message().contains("a TorchScript archive (torch.jit.save)"), "{e}");
    // Every truncation of a real file is an error, never a panic.
    let real = std::fs::read(fixture("torch_views.pt")).unwrap();
    for n in (0..real.len()).step_by(7) {
        assert!(load_pt_bytes(&real[..n]).is_err(), "{n}");
    }
    assert!(load_pt(fixture("no_such_file.pt")).unwrap_err().message().contains("no_such_file.pt"));
}
