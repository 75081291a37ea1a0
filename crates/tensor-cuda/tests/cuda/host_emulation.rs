//! The kernels' semantics checked without a GPU: the CUDA C sources are compiled by the host
//! C++ compiler against a small emulation of CUDA's built-ins (`tests/host/emu_stub.h`: one
//! thread, so every grid-stride loop walks all elements in order) and run against known answers
//! (`tests/host/emu.cpp`): Philox's Random123 vector, bf16 rounding, tensor-core's casts,
//! Python's integer division and modulo, argmax's tie and NaN rules through the block tree,
//! im2col/col2im and average-pool adjointness, max pooling by brute force, sub-word atomics,
//! the unary ops against libm and their special values, gather and the index check, and the
//! integer matmul with strides and beta, the scans, stable sorts with NaN last, fused attention
//! and its gradients against a naive reference at several tile sizes: every kernel family.
//!
//! Skipped (with a message) when no C++17 compiler with `_Float16` is found (`$CXX`, else `c++`),
//! as on the GPU machine; a compiler that takes the probe but not the kernels fails the test.

use std::path::Path;
use std::process::Command;

const KERNELS: [&str; 11] = [
    include_str!("../../src/kernels/copy.cu"),
    include_str!("../../src/kernels/unary.cu"),
    include_str!("../../src/kernels/binary.cu"),
    include_str!("../../src/kernels/reduce.cu"),
    include_str!("../../src/kernels/matmul.cu"),
    include_str!("../../src/kernels/random.cu"),
    include_str!("../../src/kernels/index.cu"),
    include_str!("../../src/kernels/conv.cu"),
    include_str!("../../src/kernels/pool.cu"),
    include_str!("../../src/kernels/sort.cu"),
    include_str!("../../src/kernels/attention.cu"),
];

/// The kernel sources for the host: PTX f16 conversions become `_Float16` casts (both round to
/// nearest even), the dynamic shared memory a global array of the stub.
fn host_sources() -> String {
    let common = include_str!("../../src/kernels/common.cuh")
        .replace(
            "    float f;\n    asm(\"cvt.f32.f16 %0, %1;\" : \"=f\"(f) : \"h\"(h.bits));\n    return f;",
            "    _Float16 v;\n    memcpy(&v, &h.bits, 2);\n    return (float)v;",
        )
        .replace(
            "    f16_t h;\n    asm(\"cvt.rn.f16.f32 %0, %1;\" : \"=h\"(h.bits) : \"f\"(f));\n    return h;",
            "    f16_t h;\n    _Float16 v = (_Float16)f;\n    memcpy(&h.bits, &v, 2);\n    return h;",
        );
    assert!(!common.contains("asm("), "common.cuh's f16 conversions changed: update host_sources()");
    let mut all = common;
    for k in KERNELS {
        all.push('\n');
        all.push_str(&k.replace("extern __shared__ __align__(16) unsigned char smem_raw[];", ""));
    }
    all
}

/// Compiles `source` in `dir` into `exe`; `Err` carries the compiler's message.
fn compile(cxx: &str, dir: &Path, source: &str, exe: &str) -> Result<(), String> {
    let out = Command::new(cxx)
        .current_dir(dir)
        .args(["-std=c++17", "-O1", "-w", "-o", exe, source])
        .output()
        .map_err(|e| format!("{cxx} not runnable: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

#[test]
fn kernels_on_the_host() {
    let cxx = std::env::var("CXX").unwrap_or_else(|_| "c++".into());
    let dir = std::env::temp_dir().join(format!("tensor-cuda-host-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("probe.cpp"),
        "#include <string.h>\nint main() { _Float16 h = (_Float16)1.5f; return (float)h == 1.5f ? 0 : 1; }\n",
    )
    .unwrap();
    if let Err(e) = compile(&cxx, &dir, "probe.cpp", "probe") {
        eprintln!("skipping: no C++17 compiler with _Float16 ({})", e.lines().next().unwrap_or(""));
        let _ = std::fs::remove_dir_all(&dir);
        return;
    }
    std::fs::write(dir.join("emu_stub.h"), include_str!("../host/emu_stub.h")).unwrap();
    std::fs::write(dir.join("emu.cpp"), include_str!("../host/emu.cpp")).unwrap();
    std::fs::write(dir.join("all.h"), host_sources()).unwrap();
    if let Err(e) = compile(&cxx, &dir, "emu.cpp", "emu") {
        panic!("the kernels do not compile on the host:\n{e}");
    }
    let run = Command::new(dir.join("emu")).output().unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout).into_owned();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(run.status.success(), "host kernel checks failed:\n{stdout}");
    assert!(stdout.contains("ok (0 failures)"), "{stdout}");
}
