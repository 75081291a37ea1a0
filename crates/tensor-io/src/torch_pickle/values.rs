//! The values of the data-only unpickler (`unpickle.rs`): numbers, strings and containers,
//! and in place of Python objects the few things torch.save's pickles name, the globals
//! allowed ([`Global`]: ordered dicts, the tensor rebuilders, storage classes and dtypes),
//! storages ([`StorageRef`]) and tensors to be made ([`TensorRef`]).

use std::cell::RefCell;
use std::rc::Rc;
use tensor_core::DType;

/// A torch dtype: its name (`torch.float32`) and the dtype here, if there is one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TorchDtype {
    pub name: &'static str,
    pub dtype: Option<DType>,
}

const fn td(name: &'static str, dtype: Option<DType>) -> TorchDtype {
    TorchDtype { name, dtype }
}

/// The legacy typed storage classes (`torch.FloatStorage`, ...) and their dtypes.
const STORAGES: [(&str, TorchDtype); 17] = [
    ("FloatStorage", td("torch.float32", Some(DType::F32))),
    ("DoubleStorage", td("torch.float64", Some(DType::F64))),
    ("HalfStorage", td("torch.float16", Some(DType::F16))),
    ("BFloat16Storage", td("torch.bfloat16", Some(DType::BF16))),
    ("LongStorage", td("torch.int64", Some(DType::I64))),
    ("IntStorage", td("torch.int32", Some(DType::I32))),
    ("ByteStorage", td("torch.uint8", Some(DType::U8))),
    ("BoolStorage", td("torch.bool", Some(DType::Bool))),
    ("ShortStorage", td("torch.int16", Some(DType::I16))),
    ("CharStorage", td("torch.int8", Some(DType::I8))),
    ("ComplexFloatStorage", td("torch.complex64", None)),
    ("ComplexDoubleStorage", td("torch.complex128", None)),
    ("QInt8Storage", td("torch.qint8", None)),
    ("QUInt8Storage", td("torch.quint8", None)),
    ("QInt32Storage", td("torch.qint32", None)),
    ("QUInt4x2Storage", td("torch.quint4x2", None)),
    ("QUInt2x4Storage", td("torch.quint2x4", None)),
];

/// The dtypes `_rebuild_tensor_v3` names as globals (`torch uint16`), and theirs here.
const DTYPES: [(&str, TorchDtype); 20] = [
    ("float32", td("torch.float32", Some(DType::F32))),
    ("float64", td("torch.float64", Some(DType::F64))),
    ("float16", td("torch.float16", Some(DType::F16))),
    ("bfloat16", td("torch.bfloat16", Some(DType::BF16))),
    ("int64", td("torch.int64", Some(DType::I64))),
    ("int32", td("torch.int32", Some(DType::I32))),
    ("uint8", td("torch.uint8", Some(DType::U8))),
    ("bool", td("torch.bool", Some(DType::Bool))),
    ("int16", td("torch.int16", Some(DType::I16))),
    ("int8", td("torch.int8", Some(DType::I8))),
    ("uint16", td("torch.uint16", Some(DType::U16))),
    ("uint32", td("torch.uint32", Some(DType::U32))),
    ("uint64", td("torch.uint64", Some(DType::U64))),
    ("complex32", td("torch.complex32", None)),
    ("complex64", td("torch.complex64", None)),
    ("complex128", td("torch.complex128", None)),
    ("float8_e4m3fn", td("torch.float8_e4m3fn", None)),
    ("float8_e5m2", td("torch.float8_e5m2", None)),
    ("float8_e4m3fnuz", td("torch.float8_e4m3fnuz", None)),
    ("float8_e5m2fnuz", td("torch.float8_e5m2fnuz", None)),
];

/// The globals this unpickler knows; any other is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Global {
    OrderedDict,
    RebuildTensorV2,
    RebuildTensorV3,
    RebuildParameter,
    /// A typed storage class, by its element dtype.
    TypedStorage(TorchDtype),
    /// `torch.storage.UntypedStorage` (bytes).
    UntypedStorage,
    Dtype(TorchDtype),
}

impl Global {
    pub(crate) fn find(module: &str, name: &str) -> Option<Global> {
        match (module, name) {
            ("collections", "OrderedDict") => Some(Global::OrderedDict),
            ("torch._utils", "_rebuild_tensor_v2") => Some(Global::RebuildTensorV2),
            ("torch._utils", "_rebuild_tensor_v3") => Some(Global::RebuildTensorV3),
            ("torch._utils", "_rebuild_parameter") => Some(Global::RebuildParameter),
            ("torch.storage", "UntypedStorage") | ("torch", "UntypedStorage") => Some(Global::UntypedStorage),
            ("torch", _) => STORAGES
                .iter()
                .find(|s| s.0 == name)
                .map(|s| Global::TypedStorage(s.1))
                .or_else(|| DTYPES.iter().find(|d| d.0 == name).map(|d| Global::Dtype(d.1))),
            _ => None,
        }
    }
}

/// A storage that `BINPERSID` named: its key (the archive entry `data/<key>`), its kind and
/// its declared size (elements of a typed storage, bytes of an untyped one).
#[derive(Debug)]
pub(crate) struct StorageRef {
    pub key: String,
    /// `None`: untyped (bytes).
    pub dtype: Option<TorchDtype>,
    pub numel: usize,
}

/// A tensor to be made: a view of a storage.
#[derive(Debug)]
pub(crate) struct TensorRef {
    pub storage: Rc<StorageRef>,
    pub dtype: TorchDtype,
    pub offset: usize,
    pub size: Vec<usize>,
    pub stride: Vec<usize>,
}

/// A dict's items in insertion order (keys are compared by value, as Python's).
pub(crate) type Items = Vec<(Value, Value)>;

/// A value on the unpickler's stack. (No `Debug`: a value may hold itself.)
#[derive(Clone)]
pub(crate) enum Value {
    None,
    Bool(bool),
    Int(i64),
    /// A float (its value is never needed).
    Float,
    Str(Rc<str>),
    Tuple(Rc<[Value]>),
    List(Rc<RefCell<Vec<Value>>>),
    Dict(Rc<RefCell<Items>>),
    Global(Global),
    Storage(Rc<StorageRef>),
    Tensor(Rc<TensorRef>),
}

impl Drop for Value {
    /// Drops nested containers one by one, not by recursion: a pickle can nest a million
    /// tuples in a few megabytes, and a recursive drop would overflow the stack.
    fn drop(&mut self) {
        let mut work = Vec::new();
        self.take_children(&mut work);
        while let Some(mut v) = work.pop() {
            v.take_children(&mut work);
        }
    }
}

impl Value {
    /// Moves the children of a container that nothing else holds into `work`.
    fn take_children(&mut self, work: &mut Vec<Value>) {
        match self {
            Value::Tuple(t) => {
                if let Some(items) = Rc::get_mut(t) {
                    for x in items.iter_mut().filter(|x| matches!(x, Value::Tuple(_) | Value::List(_) | Value::Dict(_)))
                    {
                        work.push(std::mem::replace(x, Value::None));
                    }
                }
            }
            Value::List(l) => {
                if let Some(cell) = Rc::get_mut(l) {
                    work.append(cell.get_mut());
                }
            }
            Value::Dict(d) => {
                if let Some(cell) = Rc::get_mut(d) {
                    for (k, v) in cell.get_mut().drain(..) {
                        work.push(k);
                        work.push(v);
                    }
                }
            }
            _ => {}
        }
    }
    /// The kind of value, for messages.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Value::None => "None",
            Value::Bool(_) => "a bool",
            Value::Int(_) => "an int",
            Value::Float => "a float",
            Value::Str(_) => "a str",
            Value::Tuple(_) => "a tuple",
            Value::List(_) => "a list",
            Value::Dict(_) => "a dict",
            Value::Global(_) => "a class or function",
            Value::Storage(_) => "a storage",
            Value::Tensor(_) => "a tensor",
        }
    }
    /// Equality of dict keys (`None`, bools, ints, strings; other keys never equal).
    pub(crate) fn same_key(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::None, Value::None) => true,
            (Value::Str(a), Value::Str(b)) => a == b,
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Int(a), Value::Bool(b)) | (Value::Bool(b), Value::Int(a)) => *a == i64::from(*b),
            _ => false,
        }
    }
}
