//! A file op's error is located at the caller's line, as tensor-core's ops' are.

use std::path::Path;
use tensor_core::{Device, Error};

/// Runs `$call`, which must fail, and pushes onto `$wrong` its error's text unless the error
/// names this file and line.
macro_rules! fails_here {
    ($wrong:ident, $call:expr) => {{
        let (r, line) = ($call, line!());
        let e: Error = r.err().expect(stringify!($call));
        if e.location().map(|l| (l.file(), l.line())) != Some((file!(), line)) {
            $wrong.push(format!("line {line}: {e}"));
        }
    }};
}

#[test]
fn file_errors_are_located_at_the_call() {
    let mut wrong = Vec::new();
    let missing = Path::new("/nonexistent/x");
    fails_here!(wrong, tensor_io::read_npy(missing));
    fails_here!(wrong, tensor_io::read_npy_bytes(b"\x93NUMPY\x01\x00"));
    fails_here!(wrong, tensor_io::read_npy_bytes(b"not npy at all"));
    fails_here!(wrong, tensor_io::read_npz(missing));
    fails_here!(wrong, tensor_io::read_npz_from(std::io::Cursor::new(b"not a zip".to_vec())));
    fails_here!(wrong, tensor_io::load_safetensors(missing, &Device::Cpu));
    fails_here!(wrong, tensor_io::load_safetensors_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{}", &Device::Cpu));
    fails_here!(wrong, tensor_io::load_pt(missing));
    fails_here!(wrong, tensor_io::load_pt_bytes(b"PK not really"));
    assert!(wrong.is_empty(), "{wrong:#?}");
}
