//! `cargo xtask interop-check`: files written by tensor-io, read by NumPy and PyTorch's
//! safetensors.
//!
//! Runs tensor-io's `interop_write` example, which writes `.npy`, `.npz` and `.safetensors`
//! files into a fresh temporary directory, then `scripts/python/io_fixtures.py --check DIR`,
//! which loads each with NumPy / `safetensors.torch` and compares every value with the
//! formula both sides share. The python is `$PYTHON`, else `~/.cache/torch-venv/bin/python`
//! (it needs numpy, torch and safetensors). CI does not run this: it has no Python.

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// The interpreter: `$PYTHON`, else the torch venv under the home directory.
fn python() -> PathBuf {
    if let Some(p) = env::var_os("PYTHON") {
        return p.into();
    }
    let home = env::var_os("HOME").map(PathBuf::from).unwrap_or_default();
    home.join(".cache/torch-venv/bin/python")
}

pub fn run(root: &Path) -> ExitCode {
    let dir = env::temp_dir().join(format!("tensor-io-interop-{}", std::process::id()));
    let python = python();
    if env::var_os("PYTHON").is_none() && !python.exists() {
        eprintln!(
            "xtask interop-check: no python at {}; set PYTHON to one with numpy, torch and safetensors",
            python.display()
        );
        return ExitCode::FAILURE;
    }
    let steps: [(&str, Command); 2] = [
        ("write with tensor-io", {
            let mut c = Command::new(super::cargo());
            c.args(["run", "--quiet", "-p", "tensor-io", "--example", "interop_write", "--"]).arg(&dir);
            c
        }),
        ("read with NumPy and safetensors", {
            let mut c = Command::new(&python);
            c.arg("scripts/python/io_fixtures.py").arg("--check").arg(&dir);
            c
        }),
    ];
    for (name, mut cmd) in steps {
        println!("==> {name}");
        match cmd.current_dir(root).status() {
            Ok(s) if s.success() => {}
            Ok(s) => {
                eprintln!("xtask interop-check: {name} failed ({s}); the files are in {}", dir.display());
                return ExitCode::FAILURE;
            }
            Err(e) => {
                eprintln!("xtask interop-check: cannot run {:?}: {e}", cmd.get_program());
                return ExitCode::FAILURE;
            }
        }
    }
    if let Err(e) = std::fs::remove_dir_all(&dir) {
        eprintln!("xtask interop-check: cannot remove {}: {e}", dir.display());
    }
    println!("xtask interop-check: passed");
    ExitCode::SUCCESS
}
