//! `cargo xtask kernels`, a step of `cargo xtask ci`: every CUDA kernel of tensor-cuda compiled
//! by NVRTC and assembled by `ptxas`, for the GPUs we target, on a machine without a GPU.
//!
//! NVIDIA publishes NVRTC and `ptxas` as Python wheels (`nvidia-cuda-nvrtc`, `nvidia-cuda-nvcc`;
//! no toolkit, driver or GPU needed). This installs them once with pip into a cache folder
//! outside the repository (`$TENSOR_CUDA_WHEELS`, else `~/.cache/tensor-cuda-wheels`), then runs
//! tensor-cuda's `compile_kernels` example (the crate's own source assembly and NVRTC call,
//! through cudarc's dynamic loading with the wheel's `libnvrtc` on `LD_LIBRARY_PATH`) for each
//! architecture of [`ARCHES`], and `ptxas -v` on each family's PTX. A compile or assembly error
//! fails; so does a kernel that spills registers to local memory, unless [`ALLOWED_SPILLS`]
//! lists it with a reason. Registers and spills are printed per family. Where python, pip or the
//! wheels cannot be had (no network), the step says so and passes, unless
//! `TENSOR_REQUIRE_NVRTC=1`.

use std::collections::BTreeMap;
use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// The architectures checked: Ampere, Hopper, Blackwell.
const ARCHES: [u32; 3] = [80, 90, 100];

/// Kernels allowed to spill, with the reason (none so far).
const ALLOWED_SPILLS: [(&str, &str); 0] = [];

/// The wheels' folder, and where NVRTC and ptxas lie in it.
fn cache() -> PathBuf {
    if let Some(p) = env::var_os("TENSOR_CUDA_WHEELS") {
        return p.into();
    }
    let home = env::var_os("HOME").map(PathBuf::from).unwrap_or_else(env::temp_dir);
    home.join(".cache/tensor-cuda-wheels")
}

fn lib_dir(cache: &Path) -> PathBuf {
    cache.join("nvidia/cu13/lib")
}

fn ptxas(cache: &Path) -> PathBuf {
    cache.join("nvidia/cu13/bin/ptxas")
}

/// The wheels, installed if missing; `Err` says why they cannot be had.
fn ensure_wheels(cache: &Path) -> Result<(), String> {
    if lib_dir(cache).join("libnvrtc.so.13").exists() && ptxas(cache).exists() {
        return Ok(());
    }
    println!("xtask kernels: installing NVRTC and ptxas (CUDA 13 wheels) into {}", cache.display());
    let out = Command::new("python3")
        .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--target"])
        .arg(cache)
        .args(["nvidia-cuda-nvrtc>=13,<14", "nvidia-cuda-nvcc>=13,<14"])
        .output()
        .map_err(|e| format!("cannot run python3 -m pip: {e}"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(format!("pip failed: {}", err.lines().last().unwrap_or("").trim()));
    }
    if !lib_dir(cache).join("libnvrtc.so.13").exists() || !ptxas(cache).exists() {
        return Err("the wheels installed, but libnvrtc.so.13 or ptxas is not where expected".into());
    }
    Ok(())
}

/// One kernel as `ptxas -v` reports it.
#[derive(Default)]
struct Kernel {
    registers: u32,
    spill_stores: u32,
    spill_loads: u32,
}

/// The kernels of `ptxas -v`'s report, by name.
fn parse_ptxas(report: &str) -> BTreeMap<String, Kernel> {
    let mut kernels = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in report.lines() {
        if let Some(rest) = line.split("Compiling entry function '").nth(1) {
            let name = rest.split('\'').next().unwrap_or("").to_string();
            kernels.insert(name.clone(), Kernel::default());
            current = Some(name);
        } else if let Some(k) = current.as_ref().and_then(|n| kernels.get_mut(n)) {
            let number_before = |key: &str| -> Option<u32> {
                let head = line.split(key).next()?;
                head.split(|c: char| !c.is_ascii_digit()).rfind(|s| !s.is_empty())?.parse().ok()
            };
            if line.contains("bytes spill stores") {
                k.spill_stores = number_before(" bytes spill stores").unwrap_or(0);
                k.spill_loads = number_before(" bytes spill loads").unwrap_or(0);
            }
            if line.contains("Used ") && line.contains(" registers") {
                k.registers = line
                    .split("Used ")
                    .nth(1)
                    .and_then(|r| r.split(' ').next())
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
            }
        }
    }
    kernels
}

pub fn run(root: &Path) -> ExitCode {
    let required = env::var("TENSOR_REQUIRE_NVRTC").is_ok_and(|v| v == "1");
    let cache = cache();
    if let Err(why) = ensure_wheels(&cache) {
        if required {
            eprintln!("xtask kernels: FAILED: {why} (TENSOR_REQUIRE_NVRTC=1)");
            return ExitCode::FAILURE;
        }
        println!("xtask kernels: skipped, NVRTC cannot be had here: {why}");
        return ExitCode::SUCCESS;
    }
    let library_path = match env::var_os("LD_LIBRARY_PATH") {
        Some(old) => {
            let mut paths = vec![lib_dir(&cache)];
            paths.extend(env::split_paths(&old));
            env::join_paths(paths).unwrap_or_default()
        }
        None => lib_dir(&cache).into_os_string(),
    };
    let out_dir = env::temp_dir().join(format!("tensor-cuda-ptx-{}", std::process::id()));
    let mut failed = Vec::new();
    for arch in ARCHES {
        let dir = out_dir.join(format!("sm_{arch}"));
        let status = Command::new(super::cargo())
            .args(["run", "-q", "-p", "tensor-cuda", "--example", "compile_kernels", "--", "--arch"])
            .arg(format!("compute_{arch}"))
            .arg("--out")
            .arg(&dir)
            .env("LD_LIBRARY_PATH", &library_path)
            .current_dir(root)
            .status();
        if !status.is_ok_and(|s| s.success()) {
            failed.push(format!("NVRTC for compute_{arch}"));
            continue;
        }
        let mut ptx: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map(|d| d.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "ptx")).collect())
            .unwrap_or_default();
        ptx.sort();
        for file in ptx {
            let family = file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            let out = Command::new(ptxas(&cache))
                .arg(format!("-arch=sm_{arch}"))
                .arg("-v")
                .arg(&file)
                .args(["-o", "/dev/null"])
                .output();
            let out = match out {
                Ok(o) => o,
                Err(e) => {
                    failed.push(format!("ptxas {family} sm_{arch}: cannot run: {e}"));
                    continue;
                }
            };
            let report = String::from_utf8_lossy(&out.stderr);
            if !out.status.success() {
                eprintln!("{report}");
                failed.push(format!("ptxas {family} sm_{arch}"));
                continue;
            }
            let kernels = parse_ptxas(&report);
            let max_regs = kernels.values().map(|k| k.registers).max().unwrap_or(0);
            let spilling: Vec<&String> =
                kernels.iter().filter(|(_, k)| k.spill_stores + k.spill_loads > 0).map(|(n, _)| n).collect();
            println!(
                "xtask kernels: sm_{arch} {family}: {} kernels, at most {max_regs} registers, {} spilling",
                kernels.len(),
                spilling.len()
            );
            for name in spilling {
                let k = &kernels[name];
                let allowed = ALLOWED_SPILLS.iter().find(|(n, _)| n == name);
                println!(
                    "    {name}: {} bytes spill stores, {} bytes spill loads{}",
                    k.spill_stores,
                    k.spill_loads,
                    allowed.map(|(_, why)| format!(" (allowed: {why})")).unwrap_or_default()
                );
                if allowed.is_none() {
                    failed.push(format!("{name} spills on sm_{arch}"));
                }
            }
        }
    }
    let _ = std::fs::remove_dir_all(&out_dir);
    if failed.is_empty() {
        println!("xtask kernels: every family compiles and assembles for {ARCHES:?} without spills");
        ExitCode::SUCCESS
    } else {
        eprintln!("xtask kernels: FAILED: {}", failed.join("; "));
        ExitCode::FAILURE
    }
}

#[cfg(test)]
mod tests {
    use super::parse_ptxas;

    #[test]
    fn reads_registers_and_spills() {
        let report = "ptxas info    : Compiling entry function 'add_f32' for 'sm_90'\n\
            ptxas info    : Function properties for add_f32\n    \
            8 bytes stack frame, 16 bytes spill stores, 12 bytes spill loads\n\
            ptxas info    : Used 40 registers, used 0 barriers\n\
            ptxas info    : Compiling entry function 'mul_f32' for 'sm_90'\n\
            ptxas info    : Function properties for mul_f32\n    \
            0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads\n\
            ptxas info    : Used 12 registers, used 0 barriers\n";
        let k = parse_ptxas(report);
        assert_eq!(k.len(), 2);
        assert_eq!((k["add_f32"].registers, k["add_f32"].spill_stores, k["add_f32"].spill_loads), (40, 16, 12));
        assert_eq!((k["mul_f32"].registers, k["mul_f32"].spill_stores), (12, 0));
    }
}
