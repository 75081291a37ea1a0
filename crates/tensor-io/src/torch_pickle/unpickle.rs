//! A data-only unpickler for the pickles that `torch.save` writes (`data.pkl`): it runs the
//! opcodes that build dicts, lists, tuples, strings and numbers, and knows a fixed set of
//! globals (`collections.OrderedDict`, `torch._utils._rebuild_tensor_v2`/`_v3`,
//! `_rebuild_parameter`, the storage classes and the dtypes), which it turns into values of
//! its own. Nothing is ever imported or called: any other global, and every opcode that
//! builds an arbitrary object (`INST`, `OBJ`, `NEWOBJ`, `BUILD` of anything but a dict,
//! extension codes, ...), is an error naming it and its byte offset.
//!
//! Containers are shared as pickle shares them (`Rc<RefCell<..>>`): a pickle can make a list
//! that holds itself, so [`Unpickler`] empties every memoised container when it is dropped,
//! which breaks such cycles, and the readers of its values bound their recursion.

use super::values::{Global, StorageRef, TensorRef, Value};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// The name of pickle opcode `op`, for messages.
fn opcode_name(op: u8) -> &'static str {
    match op {
        b'(' => "MARK",
        b'.' => "STOP",
        b'0' => "POP",
        b'1' => "POP_MARK",
        b'2' => "DUP",
        b'F' => "FLOAT",
        b'I' => "INT",
        b'J' => "BININT",
        b'K' => "BININT1",
        b'L' => "LONG",
        b'M' => "BININT2",
        b'N' => "NONE",
        b'P' => "PERSID",
        b'Q' => "BINPERSID",
        b'R' => "REDUCE",
        b'S' => "STRING",
        b'T' => "BINSTRING",
        b'U' => "SHORT_BINSTRING",
        b'V' => "UNICODE",
        b'X' => "BINUNICODE",
        b'a' => "APPEND",
        b'b' => "BUILD",
        b'c' => "GLOBAL",
        b'd' => "DICT",
        b'}' => "EMPTY_DICT",
        b'e' => "APPENDS",
        b'g' => "GET",
        b'h' => "BINGET",
        b'i' => "INST",
        b'j' => "LONG_BINGET",
        b'l' => "LIST",
        b']' => "EMPTY_LIST",
        b'o' => "OBJ",
        b'p' => "PUT",
        b'q' => "BINPUT",
        b'r' => "LONG_BINPUT",
        b's' => "SETITEM",
        b't' => "TUPLE",
        b')' => "EMPTY_TUPLE",
        b'u' => "SETITEMS",
        b'G' => "BINFLOAT",
        b'B' => "BINBYTES",
        b'C' => "SHORT_BINBYTES",
        0x80 => "PROTO",
        0x81 => "NEWOBJ",
        0x82 => "EXT1",
        0x83 => "EXT2",
        0x84 => "EXT4",
        0x85 => "TUPLE1",
        0x86 => "TUPLE2",
        0x87 => "TUPLE3",
        0x88 => "NEWTRUE",
        0x89 => "NEWFALSE",
        0x8a => "LONG1",
        0x8b => "LONG4",
        0x8c => "SHORT_BINUNICODE",
        0x8d => "BINUNICODE8",
        0x8e => "BINBYTES8",
        0x8f => "EMPTY_SET",
        0x90 => "ADDITEMS",
        0x91 => "FROZENSET",
        0x92 => "NEWOBJ_EX",
        0x93 => "STACK_GLOBAL",
        0x94 => "MEMOIZE",
        0x95 => "FRAME",
        0x96 => "BYTEARRAY8",
        0x97 => "NEXT_BUFFER",
        0x98 => "READONLY_BUFFER",
        _ => "an unknown opcode",
    }
}

type Res<T> = std::result::Result<T, String>;

/// The unpickler: the input, the stack with its marks, and the memo.
pub(crate) struct Unpickler<'a> {
    data: &'a [u8],
    pos: usize,
    stack: Vec<Value>,
    marks: Vec<usize>,
    memo: HashMap<u32, Value>,
    /// Every container that went into the memo (the only way to reach one twice).
    shared: Vec<Value>,
}

impl Drop for Unpickler<'_> {
    fn drop(&mut self) {
        // Break any cycle: every container that can be reached twice went through the memo.
        for v in &self.shared {
            match v {
                Value::List(l) => l.borrow_mut().clear(),
                Value::Dict(d) => d.borrow_mut().clear(),
                _ => {}
            }
        }
    }
}

impl<'a> Unpickler<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Unpickler { data, pos: 0, stack: Vec::new(), marks: Vec::new(), memo: HashMap::new(), shared: Vec::new() }
    }

    fn take(&mut self, n: usize) -> Res<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.data.len());
        let Some(end) = end else {
            return Err(format!(
                "truncated: {n} bytes wanted at byte {}, {} left",
                self.pos,
                self.data.len() - self.pos
            ));
        };
        let b = &self.data[self.pos..end];
        self.pos = end;
        Ok(b)
    }
    fn u8(&mut self) -> Res<u8> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> Res<u32> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().expect("4 bytes")))
    }
    fn u64(&mut self) -> Res<u64> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into().expect("8 bytes")))
    }
    fn line(&mut self) -> Res<&'a str> {
        let rest = &self.data[self.pos..];
        let n = rest
            .iter()
            .position(|&b| b == b'\n')
            .ok_or_else(|| format!("truncated: no end of line after byte {}", self.pos))?;
        let s =
            std::str::from_utf8(&rest[..n]).map_err(|_| format!("a GLOBAL name at byte {} is not text", self.pos))?;
        self.pos += n + 1;
        Ok(s)
    }
    fn text(&mut self, n: usize) -> Res<Rc<str>> {
        let at = self.pos;
        let b = self.take(n)?;
        std::str::from_utf8(b).map(Rc::from).map_err(|_| format!("a string at byte {at} is not UTF-8"))
    }
    fn pop(&mut self) -> Res<Value> {
        let floor = self.marks.last().copied().unwrap_or(0);
        if self.stack.len() <= floor {
            return Err(format!("stack underflow at byte {}", self.pos));
        }
        Ok(self.stack.pop().expect("above the floor"))
    }
    fn top(&mut self) -> Res<&mut Value> {
        let floor = self.marks.last().copied().unwrap_or(0);
        if self.stack.len() <= floor {
            return Err(format!("stack underflow at byte {}", self.pos));
        }
        Ok(self.stack.last_mut().expect("above the floor"))
    }
    fn pop_mark(&mut self) -> Res<Vec<Value>> {
        let m = self.marks.pop().ok_or_else(|| format!("no MARK before byte {}", self.pos))?;
        Ok(self.stack.split_off(m))
    }
    fn memo_get(&self, i: u32, at: usize) -> Res<Value> {
        self.memo.get(&i).cloned().ok_or_else(|| format!("memo entry {i} read at byte {at} was never written"))
    }
    fn memo_put(&mut self, i: u32) -> Res<()> {
        let v = self.top()?.clone();
        if matches!(v, Value::List(_) | Value::Dict(_)) {
            self.shared.push(v.clone());
        }
        self.memo.insert(i, v);
        Ok(())
    }
    fn global(&self, module: &str, name: &str, at: usize) -> Res<Value> {
        Global::find(module, name).map(Value::Global).ok_or_else(|| {
            format!(
                "refusing the global '{module} {name}' at byte {at}: only collections.OrderedDict, \
                 torch._utils._rebuild_tensor_v2/_v3/_rebuild_parameter, torch's storage classes and \
                 dtypes are allowed (nothing is ever imported or called)"
            )
        })
    }

    /// Runs the pickle to its `STOP`; the value it returns.
    pub(crate) fn run(&mut self) -> Res<Value> {
        loop {
            let at = self.pos;
            let op = self.u8()?;
            match op {
                0x80 => {
                    let proto = self.u8()?;
                    if proto > 5 {
                        return Err(format!("unsupported pickle protocol {proto}"));
                    }
                }
                0x95 => {
                    self.u64()?; // FRAME: a length hint; the frame's opcodes follow inline
                }
                b'.' => {
                    let v = self.pop()?;
                    return Ok(v);
                }
                b'(' => self.marks.push(self.stack.len()),
                b'0' => {
                    self.pop()?;
                }
                b'N' => self.stack.push(Value::None),
                0x88 => self.stack.push(Value::Bool(true)),
                0x89 => self.stack.push(Value::Bool(false)),
                b'J' => {
                    let v = self.u32()? as i32;
                    self.stack.push(Value::Int(v.into()));
                }
                b'K' => {
                    let v = self.u8()?;
                    self.stack.push(Value::Int(v.into()));
                }
                b'M' => {
                    let b = self.take(2)?;
                    self.stack.push(Value::Int(u16::from_le_bytes([b[0], b[1]]).into()));
                }
                0x8a => {
                    let n = usize::from(self.u8()?);
                    let b = self.take(n)?;
                    if n > 8 {
                        return Err(format!("LONG1 at byte {at}: a {n}-byte integer does not fit in 64 bits"));
                    }
                    let fill = if b.last().is_some_and(|&x| x & 0x80 != 0) { 0xff } else { 0 };
                    let mut w = [fill; 8];
                    w[..n].copy_from_slice(b);
                    self.stack.push(Value::Int(i64::from_le_bytes(w)));
                }
                b'G' => {
                    let b = self.take(8)?;
                    let _ = b;
                    self.stack.push(Value::Float);
                }
                b'X' => {
                    let n = self.u32()? as usize;
                    let s = self.text(n)?;
                    self.stack.push(Value::Str(s));
                }
                0x8c => {
                    let n = usize::from(self.u8()?);
                    let s = self.text(n)?;
                    self.stack.push(Value::Str(s));
                }
                0x8d => {
                    let n = usize::try_from(self.u64()?).map_err(|_| format!("BINUNICODE8 at byte {at}: too long"))?;
                    let s = self.text(n)?;
                    self.stack.push(Value::Str(s));
                }
                b')' => self.stack.push(Value::Tuple(Rc::from([]))),
                b't' => {
                    let items = self.pop_mark()?;
                    self.stack.push(Value::Tuple(items.into()));
                }
                0x85..=0x87 => {
                    let n = usize::from(op - 0x84);
                    let mut items = (0..n).map(|_| self.pop()).collect::<Res<Vec<_>>>()?;
                    items.reverse();
                    self.stack.push(Value::Tuple(items.into()));
                }
                b']' => self.stack.push(Value::List(Rc::default())),
                b'l' => {
                    let items = self.pop_mark()?;
                    self.stack.push(Value::List(Rc::new(RefCell::new(items))));
                }
                b'a' => {
                    let v = self.pop()?;
                    self.append(vec![v], at)?;
                }
                b'e' => {
                    let items = self.pop_mark()?;
                    self.append(items, at)?;
                }
                b'}' => self.stack.push(Value::Dict(Rc::default())),
                b'd' => {
                    let items = self.pop_mark()?;
                    let dict = Value::Dict(Rc::default());
                    self.stack.push(dict);
                    self.set_items(items, at)?;
                }
                b's' => {
                    let v = self.pop()?;
                    let k = self.pop()?;
                    self.set_items(vec![k, v], at)?;
                }
                b'u' => {
                    let items = self.pop_mark()?;
                    self.set_items(items, at)?;
                }
                b'h' => {
                    let i = self.u8()?;
                    let v = self.memo_get(i.into(), at)?;
                    self.stack.push(v);
                }
                b'j' => {
                    let i = self.u32()?;
                    let v = self.memo_get(i, at)?;
                    self.stack.push(v);
                }
                b'q' => {
                    let i = self.u8()?;
                    self.memo_put(i.into())?;
                }
                b'r' => {
                    let i = self.u32()?;
                    self.memo_put(i)?;
                }
                0x94 => {
                    let i = u32::try_from(self.memo.len()).map_err(|_| "the memo is full".to_string())?;
                    self.memo_put(i)?;
                }
                b'c' => {
                    let module = self.line()?;
                    let name = self.line()?;
                    let g = self.global(module, name, at)?;
                    self.stack.push(g);
                }
                0x93 => {
                    let name = self.pop()?;
                    let module = self.pop()?;
                    let (Value::Str(module), Value::Str(name)) = (&module, &name) else {
                        return Err(format!("STACK_GLOBAL at byte {at} takes two strings"));
                    };
                    let g = self.global(module, name, at)?;
                    self.stack.push(g);
                }
                b'Q' => {
                    let pid = self.pop()?;
                    let s = persistent_storage(&pid).map_err(|e| format!("BINPERSID at byte {at}: {e}"))?;
                    self.stack.push(Value::Storage(Rc::new(s)));
                }
                b'R' => {
                    let args = self.pop()?;
                    let f = self.pop()?;
                    let v = reduce(&f, &args).map_err(|e| format!("REDUCE at byte {at}: {e}"))?;
                    self.stack.push(v);
                }
                b'b' => {
                    let state = self.pop()?;
                    let obj = self.top()?;
                    // An OrderedDict's attributes (a state dict's `_metadata`): not kept.
                    let ok = matches!(obj, Value::Dict(_)) && matches!(state, Value::Dict(_) | Value::None);
                    if !ok {
                        return Err(format!(
                            "refusing BUILD at byte {at}: it sets the state of {}, and only a dict's attributes are accepted",
                            obj.kind()
                        ));
                    }
                }
                _ => {
                    return Err(format!(
                        "refusing the opcode {} (0x{op:02x}) at byte {at}: not one that torch.save writes for tensors",
                        opcode_name(op)
                    ))
                }
            }
        }
    }

    fn append(&mut self, items: Vec<Value>, at: usize) -> Res<()> {
        match self.top()? {
            Value::List(l) => {
                l.borrow_mut().extend(items);
                Ok(())
            }
            other => Err(format!("APPEND at byte {at} to {}, not a list", other.kind())),
        }
    }

    fn set_items(&mut self, items: Vec<Value>, at: usize) -> Res<()> {
        if !items.len().is_multiple_of(2) {
            return Err(format!("SETITEMS at byte {at} with an odd number of values"));
        }
        let Value::Dict(d) = self.top()? else {
            return Err(format!("SETITEM at byte {at} on {}, not a dict", self.top()?.kind()));
        };
        let mut d = d.borrow_mut();
        let mut it = items.into_iter();
        while let (Some(k), Some(v)) = (it.next(), it.next()) {
            if !matches!(k, Value::None | Value::Bool(_) | Value::Int(_) | Value::Str(_)) {
                return Err(format!("SETITEM at byte {at}: {} as a key", k.kind()));
            }
            match d.iter_mut().find(|(old, _)| old.same_key(&k)) {
                Some(slot) => slot.1 = v,
                None => d.push((k, v)),
            }
        }
        Ok(())
    }
}

/// A non-negative int as a `usize`.
fn index(v: &Value, what: &str) -> Res<usize> {
    match v {
        Value::Int(i) => usize::try_from(*i).map_err(|_| format!("{what} is {i}, negative")),
        other => Err(format!("{what} is {}, not an int", other.kind())),
    }
}

fn indices(v: &Value, what: &str) -> Res<Vec<usize>> {
    match v {
        Value::Tuple(t) => t.iter().map(|x| index(x, what)).collect(),
        other => Err(format!("{what} is {}, not a tuple", other.kind())),
    }
}

/// `('storage', storage_type, key, location, numel)`, as torch.save's `persistent_id`.
fn persistent_storage(pid: &Value) -> Res<StorageRef> {
    let Value::Tuple(t) = pid else {
        return Err(format!("the persistent id is {}, not a tuple", pid.kind()));
    };
    match &t[..] {
        [Value::Str(tag), Value::Global(kind), Value::Str(key), Value::Str(_location), numel]
            if &**tag == "storage" =>
        {
            let dtype = match kind {
                Global::TypedStorage(d) => Some(*d),
                Global::UntypedStorage => None,
                _ => return Err("the storage type is not a storage class".to_string()),
            };
            Ok(StorageRef { key: key.to_string(), dtype, numel: index(numel, "the storage size")? })
        }
        _ => Err("not a ('storage', type, key, location, size) tuple".to_string()),
    }
}

/// Calls one of the known globals on `args`.
fn reduce(f: &Value, args: &Value) -> Res<Value> {
    let Value::Tuple(args) = args else {
        return Err(format!("the arguments are {}, not a tuple", args.kind()));
    };
    let Value::Global(g) = f else {
        return Err(format!("calling {}", f.kind()));
    };
    match g {
        Global::OrderedDict if args.is_empty() => Ok(Value::Dict(Rc::default())),
        Global::RebuildTensorV2 | Global::RebuildTensorV3 => {
            let v3 = *g == Global::RebuildTensorV3;
            let (min, max) = if v3 { (7, 8) } else { (6, 7) };
            if args.len() < min || args.len() > max {
                return Err(format!("_rebuild_tensor_v{} with {} arguments", if v3 { 3 } else { 2 }, args.len()));
            }
            let Value::Storage(storage) = &args[0] else {
                return Err(format!("the tensor's storage is {}", args[0].kind()));
            };
            let dtype = match (v3, &args.get(6), storage.dtype) {
                (true, Some(Value::Global(Global::Dtype(d))), _) => *d,
                (true, Some(other), _) => return Err(format!("the tensor's dtype is {}", other.kind())),
                (false, _, Some(d)) => d,
                _ => return Err("_rebuild_tensor_v2 of an untyped storage".to_string()),
            };
            let (size, stride) = (indices(&args[2], "a size")?, indices(&args[3], "a stride")?);
            if size.len() != stride.len() {
                return Err(format!("sizes {size:?} and strides {stride:?} differ in length"));
            }
            let offset = index(&args[1], "the storage offset")?;
            Ok(Value::Tensor(Rc::new(TensorRef { storage: Rc::clone(storage), dtype, offset, size, stride })))
        }
        Global::RebuildParameter if matches!(args.first(), Some(Value::Tensor(_))) && args.len() == 3 => {
            Ok(args[0].clone())
        }
        other => Err(format!("refusing to call {other:?} with {} arguments", args.len())),
    }
}
