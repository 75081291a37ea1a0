//! The `.npy` header: after the magic string and the version, a Python dict literal such as
//! `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }` padded with spaces to a
//! multiple of 64 bytes and ended by a newline.
//!
//! The parser is strict: the dict must hold exactly the three keys, each once; `descr` is a
//! NumPy type string (`<f4`, `|b1`, ...), `fortran_order` is `True` or `False`, `shape` a
//! tuple of non-negative integers (`()`, `(3,)`, `(2, 3)`; `(3)` is an int in Python, not a
//! tuple, and is refused as NumPy refuses it). Only whitespace may follow the closing brace.
//! Every number is checked for overflow, and a shape has at most 64 dims (NumPy's limit).

use tensor_core::DType;

/// The magic string every `.npy` file starts with.
pub(crate) const MAGIC: &[u8; 6] = b"\x93NUMPY";

/// The largest header this reader takes (NumPy's own refuses more than 10 000 bytes unless
/// asked to trust the file).
pub(crate) const MAX_HEADER_LEN: usize = 1 << 20;

/// The words that mark an unsupported dtype in a parse error (reported as `ErrorKind::DType`).
pub(crate) const NO_COUNTERPART: &str = "has no counterpart here";

/// The most dims a shape may have (NumPy's `NPY_MAXDIMS`).
const MAX_DIMS: usize = 64;

/// What a header says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Header {
    /// The element type.
    pub dtype: DType,
    /// True when multi-byte elements are stored big-endian.
    pub big_endian: bool,
    /// True when the data is in column-major order.
    pub fortran_order: bool,
    /// The sizes.
    pub shape: Vec<usize>,
}

/// The type string NumPy writes for a dtype (bf16 has none: it is written as float32).
pub(crate) fn descr_of(dtype: DType) -> &'static str {
    match dtype {
        DType::Bool => "|b1",
        DType::U8 => "|u1",
        DType::I8 => "|i1",
        DType::I16 => "<i2",
        DType::U16 => "<u2",
        DType::U32 => "<u4",
        DType::U64 => "<u8",
        DType::I32 => "<i4",
        DType::I64 => "<i8",
        DType::F16 => "<f2",
        DType::BF16 | DType::F32 => "<f4",
        DType::F64 => "<f8",
    }
}

/// A type string (`<f4`, `>i8`, `|b1`, `=f8`, `f4`) as a dtype and a byte order.
#[track_caller]
pub(crate) fn parse_descr(descr: &str) -> Result<(DType, bool), String> {
    let (order, code) = match descr.as_bytes().first() {
        Some(&c @ (b'<' | b'>' | b'|' | b'=')) => (c, &descr[1..]),
        _ => (b'=', descr),
    };
    let dtype = match code {
        "b1" | "?" => DType::Bool,
        "u1" => DType::U8,
        "i1" => DType::I8,
        "i2" => DType::I16,
        "u2" => DType::U16,
        "u4" => DType::U32,
        "u8" => DType::U64,
        "i4" => DType::I32,
        "i8" => DType::I64,
        "f2" => DType::F16,
        "f4" => DType::F32,
        "f8" => DType::F64,
        _ => {
            return Err(format!(
                "dtype {descr:?} {NO_COUNTERPART} (supported: b1, u1, u2, u4, u8, i1, i2, i4, i8, f2, f4, \
                 f8, as bool, uint8/16/32/64, int8/16/32/64, float16, float32, float64)"
            ))
        }
    };
    let big_endian = match order {
        _ if dtype.size_in_bytes() == 1 => false,
        b'<' => false,
        b'>' => true,
        b'=' => cfg!(target_endian = "big"),
        _ => return Err(format!("dtype {descr:?}: byte order '|' is only for one-byte types")),
    };
    Ok((dtype, big_endian))
}

/// The whole preamble NumPy writes for an array: magic, version (1.0, or 2.0 when the header
/// does not fit in 65 535 bytes), header length, the dict, spaces up to a multiple of 64 bytes
/// and a newline.
pub(crate) fn encode(descr: &str, fortran_order: bool, shape: &[usize]) -> Vec<u8> {
    let shape_repr = match shape {
        [] => "()".to_string(),
        [d] => format!("({d},)"),
        _ => format!("({})", shape.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ")),
    };
    let order = if fortran_order { "True" } else { "False" };
    let dict = format!("{{'descr': '{descr}', 'fortran_order': {order}, 'shape': {shape_repr}, }}");
    let hlen = dict.len() + 1;
    let pad = |len_size: usize| 64 - (8 + len_size + hlen) % 64;
    let mut out = Vec::with_capacity(hlen + 76);
    out.extend_from_slice(MAGIC);
    if hlen + pad(2) <= u16::MAX as usize {
        out.extend_from_slice(&[1, 0]);
        out.extend_from_slice(&((hlen + pad(2)) as u16).to_le_bytes());
        out.extend_from_slice(dict.as_bytes());
        out.resize(out.len() + pad(2), b' ');
    } else {
        out.extend_from_slice(&[2, 0]);
        out.extend_from_slice(&((hlen + pad(4)) as u32).to_le_bytes());
        out.extend_from_slice(dict.as_bytes());
        out.resize(out.len() + pad(4), b' ');
    }
    out.push(b'\n');
    out
}

/// Parses the header dict.
#[track_caller]
pub(crate) fn parse(text: &[u8]) -> Result<Header, String> {
    let mut p = Parser { s: text, pos: 0 };
    let (mut descr, mut fortran, mut shape) = (None, None, None);
    p.ws();
    p.expect(b'{')?;
    loop {
        p.ws();
        if p.eat(b'}') {
            break;
        }
        let key = p.string().map_err(|e| format!("expected a key string: {e}"))?;
        p.ws();
        p.expect(b':')?;
        p.ws();
        let fresh = match key.as_str() {
            "descr" => descr
                .replace(p.string().map_err(|e| format!("'descr': {e} (structured dtypes are not supported)"))?)
                .is_none(),
            "fortran_order" => fortran.replace(p.boolean()?).is_none(),
            "shape" => shape.replace(p.shape()?).is_none(),
            other => {
                return Err(format!("unexpected key {other:?} (a header has 'descr', 'fortran_order' and 'shape')"))
            }
        };
        if !fresh {
            return Err(format!("key {key:?} is given twice"));
        }
        p.ws();
        if p.eat(b'}') {
            break;
        }
        p.expect(b',')?;
    }
    p.ws();
    if p.pos != text.len() {
        return Err(format!("unexpected {} after the dict", p.describe_here()));
    }
    let missing = |k: &str| format!("the key '{k}' is missing");
    let (dtype, big_endian) = parse_descr(&descr.ok_or_else(|| missing("descr"))?)?;
    Ok(Header {
        dtype,
        big_endian,
        fortran_order: fortran.ok_or_else(|| missing("fortran_order"))?,
        shape: shape.ok_or_else(|| missing("shape"))?,
    })
}

/// A cursor over the header's bytes.
struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }
    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }
    fn eat(&mut self, c: u8) -> bool {
        let hit = self.peek() == Some(c);
        self.pos += hit as usize;
        hit
    }
    fn describe_here(&self) -> String {
        match self.peek() {
            None => "end of header".to_string(),
            Some(c) if c.is_ascii_graphic() || c == b' ' => format!("'{}' at byte {}", c as char, self.pos),
            Some(c) => format!("byte 0x{c:02x} at byte {}", self.pos),
        }
    }
    #[track_caller]
    fn expect(&mut self, c: u8) -> Result<(), String> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(format!("expected '{}', found {}", c as char, self.describe_here()))
        }
    }
    /// A Python string literal in single or double quotes, without escapes.
    #[track_caller]
    fn string(&mut self) -> Result<String, String> {
        let quote = match self.peek() {
            Some(q @ (b'\'' | b'"')) => q,
            _ => return Err(format!("expected a string, found {}", self.describe_here())),
        };
        self.pos += 1;
        let start = self.pos;
        loop {
            match self.peek() {
                None => return Err("unterminated string".to_string()),
                Some(c) if c == quote => break,
                Some(b'\\') => return Err(format!("escape sequence in a string at byte {}", self.pos)),
                Some(b'\n' | b'\r') => return Err("line break inside a string".to_string()),
                Some(_) => self.pos += 1,
            }
        }
        let text = String::from_utf8_lossy(&self.s[start..self.pos]).into_owned();
        self.pos += 1;
        Ok(text)
    }
    /// `True` or `False`.
    #[track_caller]
    fn boolean(&mut self) -> Result<bool, String> {
        for (word, value) in [(&b"True"[..], true), (&b"False"[..], false)] {
            if self.s[self.pos..].starts_with(word) {
                let end = self.pos + word.len();
                if !matches!(self.s.get(end), Some(c) if c.is_ascii_alphanumeric() || *c == b'_') {
                    self.pos = end;
                    return Ok(value);
                }
            }
        }
        Err(format!("'fortran_order' must be True or False, found {}", self.describe_here()))
    }
    /// A non-negative integer (Python 2's `L` suffix allowed), checked for overflow.
    #[track_caller]
    fn int(&mut self) -> Result<usize, String> {
        let start = self.pos;
        let mut v: usize = 0;
        while let Some(c @ b'0'..=b'9') = self.peek() {
            v = v
                .checked_mul(10)
                .and_then(|v| v.checked_add(usize::from(c - b'0')))
                .ok_or_else(|| format!("dimension at byte {start} does not fit in 64 bits"))?;
            self.pos += 1;
        }
        if self.pos == start {
            return Err(match self.peek() {
                Some(b'-') => "negative dimension in 'shape'".to_string(),
                _ => format!("expected a dimension, found {}", self.describe_here()),
            });
        }
        self.eat(b'L');
        Ok(v)
    }
    /// A tuple of dimensions: `()`, `(3,)`, `(2, 3)`, `(2, 3,)`.
    #[track_caller]
    fn shape(&mut self) -> Result<Vec<usize>, String> {
        if !self.eat(b'(') {
            return Err(format!("'shape' must be a tuple, found {}", self.describe_here()));
        }
        let mut dims = Vec::new();
        let mut trailing_comma = false;
        loop {
            self.ws();
            if self.eat(b')') {
                break;
            }
            if dims.len() == MAX_DIMS {
                return Err(format!("'shape' has more than {MAX_DIMS} dims"));
            }
            dims.push(self.int()?);
            self.ws();
            trailing_comma = self.eat(b',');
            if !trailing_comma {
                self.ws();
                self.expect(b')')?;
                break;
            }
        }
        if dims.len() == 1 && !trailing_comma {
            return Err("'shape' is an int in parentheses, not a tuple (a 1-tuple needs a comma)".to_string());
        }
        Ok(dims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(dtype: DType, big_endian: bool, fortran_order: bool, shape: &[usize]) -> Header {
        Header { dtype, big_endian, fortran_order, shape: shape.to_vec() }
    }

    #[test]
    fn numpy_headers_parse() {
        let ok: [(&[u8], Header); 5] = [
            (
                b"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }          \n",
                header(DType::F32, false, false, &[2, 3]),
            ),
            (b"{'descr': '>i8', 'fortran_order': True, 'shape': (4,), }", header(DType::I64, true, true, &[4])),
            (b"{\"shape\": (), \"fortran_order\": False, \"descr\": \"|b1\"}", header(DType::Bool, false, false, &[])),
            (b"{'descr':'|u1','fortran_order':False,'shape':(0, 3L)}", header(DType::U8, false, false, &[0, 3])),
            (
                b" {'descr': '<f2', 'fortran_order': False, 'shape': ( 1 , 2 , )}\t\n",
                header(DType::F16, false, false, &[1, 2]),
            ),
        ];
        for (text, want) in ok {
            assert_eq!(parse(text), Ok(want), "{}", String::from_utf8_lossy(text));
        }
    }

    #[test]
    fn malformed_headers_are_errors() {
        let bad: [(&[u8], &str); 16] = [
            (b"", "expected '{'"),
            (b"{'descr': '<f4', 'fortran_order': False}", "'shape' is missing"),
            (b"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", "unexpected key \"x\""),
            (b"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", "given twice"),
            (b"{'descr': '<f4', 'fortran_order': false, 'shape': (2,)}", "True or False"),
            (b"{'descr': '<f4', 'fortran_order': Falsey, 'shape': (2,)}", "True or False"),
            (b"{'descr': '<f4', 'fortran_order': False, 'shape': (2)}", "not a tuple"),
            (b"{'descr': '<f4', 'fortran_order': False, 'shape': (-2,)}", "negative"),
            (b"{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}", "64 bits"),
            (b"{'descr': '<f4', 'fortran_order': False, 'shape': [2]}", "must be a tuple"),
            (b"{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} x", "after the dict"),
            (b"{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,)}", "structured"),
            (b"{'descr': '<c8', 'fortran_order': False, 'shape': (2,)}", "no counterpart"),
            (b"{'descr': '|f4', 'fortran_order': False, 'shape': (2,)}", "one-byte"),
            (b"{'descr': '<f4\\n', 'fortran_order': False, 'shape': (2,)}", "escape"),
            (b"{'descr': '<f4', 'fortran_order': False, 'shape': (2,", "expected a dimension"),
        ];
        for (text, want) in bad {
            let e = parse(text).unwrap_err();
            assert!(e.contains(want), "{:?}: {e}", String::from_utf8_lossy(text));
        }
        let many = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': ({}), }}", "1, ".repeat(65));
        assert!(parse(many.as_bytes()).unwrap_err().contains("more than 64 dims"));
    }

    #[test]
    fn encoded_headers_are_aligned_and_parse_back() {
        for shape in [&[][..], &[3], &[2, 3], &[0, 7, 1]] {
            let bytes = encode("<f8", shape.len() > 1, shape);
            assert_eq!(bytes.len() % 64, 0);
            assert_eq!(&bytes[..8], b"\x93NUMPY\x01\x00");
            assert_eq!(usize::from(u16::from_le_bytes([bytes[8], bytes[9]])), bytes.len() - 10);
            assert_eq!(*bytes.last().unwrap(), b'\n');
            assert_eq!(parse(&bytes[10..]), Ok(header(DType::F64, false, shape.len() > 1, shape)));
        }
        let enc = encode("<f4", false, &[2, 3]);
        let dict = b"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
        assert_eq!(enc.len(), 128); // as NumPy writes it
        assert!(enc[10..].starts_with(dict));
        assert!(enc[10 + dict.len()..127].iter().all(|&c| c == b' '));
    }
}
