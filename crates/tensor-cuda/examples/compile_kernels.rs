//! Compiles every kernel family with NVRTC for one architecture and writes each family's PTX to
//! a folder: the first half of `cargo xtask ci`'s offline check of the CUDA kernels (the second
//! assembles the PTX with `ptxas`). Needs only the NVRTC library on the library path, no GPU.
//!
//! usage: compile_kernels --arch compute_90 --out DIR

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str| args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).cloned();
    let (Some(arch), Some(out)) = (value("--arch"), value("--out")) else {
        eprintln!("usage: compile_kernels --arch compute_90 --out DIR");
        return ExitCode::from(2);
    };
    let families = match tensor_cuda::compile_all(&arch) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("compile_kernels: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = std::fs::create_dir_all(&out) {
        eprintln!("compile_kernels: cannot create {out}: {e}");
        return ExitCode::FAILURE;
    }
    for (name, ptx) in families {
        let kernels = ptx.lines().filter(|l| l.trim_start().starts_with(".visible .entry")).count();
        let path = std::path::Path::new(&out).join(format!("{name}.ptx"));
        if let Err(e) = std::fs::write(&path, ptx) {
            eprintln!("compile_kernels: cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        println!("{name}: {kernels} kernels");
    }
    ExitCode::SUCCESS
}
