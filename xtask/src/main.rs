//! `cargo xtask`: the workspace's automation, in plain Rust with only std.
//!
//! - `cargo xtask ci` runs every check CI runs, in order, and stops at the first failure.
//! - `cargo xtask bench [--device cpu|cuda] [--sweep] [--only a,b]` builds and runs the `bench` binary.
//! - `cargo xtask imports` checks that no two files of a crate import each other in a circle.
//! - `cargo xtask kernels` compiles and assembles every CUDA kernel without a GPU (see `kernels.rs`).
//! - `cargo xtask interop-check` checks that NumPy and safetensors read tensor-io's files (see `interop.rs`).
//! - `cargo xtask help` prints the usage.

mod imports;
mod interop;
mod json;
mod kernels;

use std::env;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

const USAGE: &str = "\
usage: cargo xtask <command> [args]

commands:
  ci                                   fmt, imports, clippy, tests, doctests, docs, the no_std build,
                                       the CUDA kernels' offline compile (`kernels`) and,
                                       when a workspace member has a `cuda` feature,
                                       `cargo clippy --workspace --all-targets --features cuda`;
                                       stops at the first failure
  bench [--device cpu|cuda] [--sweep] [--only a,b]
                                       builds the `bench` binary in release and runs it; prints
                                       one JSON line per workload (see ../shared/bench/WORKLOADS.md);
                                       with --sweep, the op sweep of ../shared/bench/op_sweep.py
                                       (sweep/<case>/fwd, .../fwdbwd, .../step; --only names cases)
  imports                              no two files of a crate import each other in a circle
                                       (each crate's src/, read as text); prints every cycle
  kernels                              every CUDA kernel compiled by NVRTC and assembled by ptxas for
                                       sm_80, sm_90 and sm_100, no GPU needed (NVIDIA's wheels, pip-
                                       installed once into ~/.cache/tensor-cuda-wheels); fails on a
                                       compile error or a register spill; skips without pip/network
                                       unless TENSOR_REQUIRE_NVRTC=1
  interop-check                        tensor-io writes .npy/.npz/.safetensors files, then NumPy and
                                       PyTorch's safetensors read them ($PYTHON, else
                                       ~/.cache/torch-venv/bin/python); not run by CI
  help                                 this message";

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let root = workspace_root();
    match args.first().map(String::as_str) {
        Some("ci") if args.len() == 1 => ci(&root),
        Some("bench") => bench(&root, &args[1..]),
        Some("imports") if args.len() == 1 => check_imports(&root),
        Some("kernels") if args.len() == 1 => kernels::run(&root),
        Some("interop-check") if args.len() == 1 => interop::run(&root),
        Some("help" | "--help" | "-h") => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some(_) => {
            eprintln!("xtask: unknown command or arguments: {}\n\n{USAGE}", args.join(" "));
            ExitCode::from(2)
        }
        None => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// The workspace root: the parent of this crate's manifest directory.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives inside the workspace").to_path_buf()
}

/// The cargo that runs us (cargo sets `CARGO`), or the one on the PATH.
fn cargo() -> OsString {
    env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// One step of `cargo xtask ci`: a name and a cargo command line.
struct Step {
    name: &'static str,
    args: Vec<&'static str>,
    env: Vec<(&'static str, &'static str)>,
}

impl Step {
    fn new(name: &'static str, args: &[&'static str]) -> Self {
        Step { name, args: args.to_vec(), env: Vec::new() }
    }
    fn env(mut self, key: &'static str, value: &'static str) -> Self {
        self.env.push((key, value));
        self
    }
    fn command_line(&self) -> String {
        let env: String = self.env.iter().map(|(k, v)| format!("{k}=\"{v}\" ")).collect();
        format!("{env}cargo {}", self.args.join(" "))
    }
}

/// The steps of `cargo xtask ci`, in order.
fn ci_steps(nextest: bool, cuda: bool) -> Vec<Step> {
    let mut steps = vec![
        Step::new("fmt", &["fmt", "--all", "--", "--check"]),
        Step::new("imports", &["run", "-q", "-p", "xtask", "--", "imports"]),
        Step::new("clippy", &["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]),
        if nextest {
            Step::new("test", &["nextest", "run", "--workspace"])
        } else {
            Step::new("test", &["test", "--workspace"])
        },
        // nextest does not run doctests; `cargo test` above already did, but running them
        // separately keeps the step list the same on every machine.
        Step::new("doctest", &["test", "--workspace", "--doc"]),
        Step::new("doc", &["doc", "--workspace", "--no-deps"]).env("RUSTDOCFLAGS", "-D warnings"),
        // `rustc` rather than `build`: warnings are errors for tensor-core alone (its cfg-gated
        // kernels leave dead code there that the std build never sees), without rebuilding its
        // dependencies under other flags.
        Step::new("no_std", &["rustc", "-p", "tensor-core", "--no-default-features", "--", "-D", "warnings"]),
        Step::new("kernels", &["run", "-q", "-p", "xtask", "--", "kernels"]),
    ];
    if cuda {
        // Clippy rather than check: the CUDA-only tests (`#[cfg(feature = "cuda")]`) compile and lint too.
        steps.push(Step::new(
            "cuda",
            &["clippy", "--workspace", "--all-targets", "--features", "cuda", "--", "-D", "warnings"],
        ));
    }
    steps
}

fn ci(root: &Path) -> ExitCode {
    let start = Instant::now();
    let nextest = Command::new(cargo())
        .args(["nextest", "--version"])
        .current_dir(root)
        .output()
        .is_ok_and(|o| o.status.success());
    let cuda = match Metadata::load(root) {
        Ok(m) => m.any_feature("cuda"),
        Err(e) => {
            eprintln!("xtask ci: {e}");
            println!("xtask ci: FAILED at metadata (0 steps passed)");
            return ExitCode::FAILURE;
        }
    };
    if !nextest {
        eprintln!("xtask ci: cargo-nextest not found; the tests run with `cargo test`");
    }
    if !cuda {
        eprintln!("xtask ci: no workspace member declares a `cuda` feature; the CUDA check is skipped");
    }
    let steps = ci_steps(nextest, cuda);
    let total = steps.len();
    for (i, step) in steps.iter().enumerate() {
        println!("==> [{}/{total}] {}: {}", i + 1, step.name, step.command_line());
        let t = Instant::now();
        let status = Command::new(cargo()).args(&step.args).envs(step.env.iter().copied()).current_dir(root).status();
        let took = t.elapsed();
        match status {
            Ok(s) if s.success() => println!("<== {} passed in {}", step.name, secs(took)),
            other => {
                match other {
                    Ok(s) => println!("<== {} FAILED in {} ({s})", step.name, secs(took)),
                    Err(e) => println!("<== {} FAILED: cannot run cargo: {e}", step.name),
                }
                println!("xtask ci: FAILED at {} ({i} of {total} passed) after {}", step.name, secs(start.elapsed()));
                return ExitCode::FAILURE;
            }
        }
    }
    println!("xtask ci: {total} steps passed in {}", secs(start.elapsed()));
    ExitCode::SUCCESS
}

/// `cargo xtask imports`: the import cycles between files of each crate (see `imports.rs`).
fn check_imports(root: &Path) -> ExitCode {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root.join("crates"))
        .map(|entries| entries.flatten().map(|e| e.path().join("src")).filter(|p| p.is_dir()).collect())
        .unwrap_or_default();
    dirs.push(root.join("xtask/src"));
    dirs.sort();
    let mut failed = false;
    for dir in &dirs {
        let name = dir.parent().and_then(|p| p.file_name()).map_or_else(String::new, |n| n.to_string_lossy().into());
        match imports::cycles(dir) {
            Ok(found) if found.is_empty() => {}
            Ok(found) => {
                failed = true;
                for cycle in found {
                    eprintln!("xtask imports: {name}: {} files import each other in a circle:", cycle.len());
                    for (file, to) in cycle {
                        eprintln!("    {file} -> {}", to.join(", "));
                    }
                }
            }
            Err(e) => {
                failed = true;
                eprintln!("xtask imports: {name}: {e}");
            }
        }
    }
    if failed {
        return ExitCode::FAILURE;
    }
    println!("xtask imports: no import cycle in {} crates", dirs.len());
    ExitCode::SUCCESS
}

fn secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 10.0 {
        format!("{s:.1}s")
    } else {
        format!("{}s", s.round() as u64)
    }
}

/// Checks `cargo xtask bench`'s arguments (so a typo does not cost a release build) and returns
/// the device they name, or `None` for `--help`.
fn bench_device(args: &[String]) -> Result<Option<&str>, String> {
    let mut device = "cpu";
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--device" => match it.next().map(String::as_str) {
                Some(d @ ("cpu" | "cuda")) => device = d,
                Some(other) => return Err(format!("--device takes cpu or cuda, not {other:?}")),
                None => return Err("--device takes cpu or cuda".into()),
            },
            "--only" => {
                if it.next().is_none() {
                    return Err("--only takes a comma-separated list of workloads".into());
                }
            }
            // Passed through to the binary, which runs the op sweep instead of the workloads.
            "--sweep" => {}
            "-h" | "--help" => return Ok(None),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(Some(device))
}

fn bench(root: &Path, args: &[String]) -> ExitCode {
    let device = match bench_device(args) {
        Ok(Some(device)) => device,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(msg) => return usage_error(&msg),
    };
    let meta = match Metadata::load(root) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("xtask bench: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut build = Command::new(cargo());
    build.args(["build", "--release", "-p", "tensor-bench", "--bin", "bench"]).current_dir(root);
    // Extension point: once tensor-bench has a `cuda` feature, `--device cuda` builds with it.
    if device == "cuda" && meta.package_has_feature("tensor-bench", "cuda") {
        build.args(["--features", "cuda"]);
    }
    eprintln!("xtask bench: building the bench binary (release)");
    match build.status() {
        Ok(s) if s.success() => {}
        Ok(s) => {
            eprintln!("xtask bench: the build failed ({s})");
            return ExitCode::FAILURE;
        }
        Err(e) => {
            eprintln!("xtask bench: cannot run cargo: {e}");
            return ExitCode::FAILURE;
        }
    }
    let exe = meta.target_directory.join("release").join(format!("bench{}", env::consts::EXE_SUFFIX));
    match Command::new(&exe).args(args).current_dir(root).status() {
        Ok(s) if s.success() => ExitCode::SUCCESS,
        Ok(s) => {
            eprintln!("xtask bench: {} exited with {s}", exe.display());
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("xtask bench: cannot run {}: {e}", exe.display());
            ExitCode::FAILURE
        }
    }
}

fn usage_error(msg: &str) -> ExitCode {
    eprintln!("xtask bench: {msg}\n\n{USAGE}");
    ExitCode::from(2)
}

/// What xtask needs from `cargo metadata --no-deps --format-version 1`.
struct Metadata {
    target_directory: PathBuf,
    /// Each workspace member's name and the names of its features.
    packages: Vec<(String, Vec<String>)>,
}

impl Metadata {
    fn load(root: &Path) -> Result<Self, String> {
        let out = Command::new(cargo())
            .args(["metadata", "--no-deps", "--format-version", "1"])
            .current_dir(root)
            .output()
            .map_err(|e| format!("cannot run cargo metadata: {e}"))?;
        if !out.status.success() {
            return Err(format!("cargo metadata failed: {}", String::from_utf8_lossy(&out.stderr)));
        }
        let text = String::from_utf8(out.stdout).map_err(|e| format!("cargo metadata: {e}"))?;
        Self::parse(&text)
    }

    fn parse(text: &str) -> Result<Self, String> {
        let doc = json::parse(text).map_err(|e| format!("cargo metadata: bad JSON: {e}"))?;
        let target_directory = doc
            .get("target_directory")
            .and_then(json::Value::as_str)
            .ok_or("cargo metadata: no target_directory")?
            .into();
        let packages = doc
            .get("packages")
            .and_then(json::Value::as_array)
            .ok_or("cargo metadata: no packages")?
            .iter()
            .map(|p| {
                let name = p.get("name").and_then(json::Value::as_str).unwrap_or_default().to_string();
                let features = match p.get("features") {
                    Some(json::Value::Object(fs)) => fs.iter().map(|(k, _)| k.clone()).collect(),
                    _ => Vec::new(),
                };
                (name, features)
            })
            .collect();
        Ok(Metadata { target_directory, packages })
    }

    fn any_feature(&self, feature: &str) -> bool {
        self.packages.iter().any(|(_, fs)| fs.iter().any(|f| f == feature))
    }

    fn package_has_feature(&self, package: &str, feature: &str) -> bool {
        self.packages.iter().any(|(p, fs)| p == package && fs.iter().any(|f| f == feature))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_finds_features() {
        let text = r#"{"packages":[
            {"name":"tensor-core","features":{"default":["std"],"std":["dep:rayon"]},
             "metadata":{"docs":{"rs":{"features":["cuda"]}}}},
            {"name":"tensor-nn","features":{"cuda":["dep:tensor-cuda"]}}],
            "target_directory":"/w/target","version":1}"#;
        let m = Metadata::parse(text).unwrap();
        assert_eq!(m.target_directory, PathBuf::from("/w/target"));
        assert!(m.any_feature("cuda"));
        assert!(m.package_has_feature("tensor-nn", "cuda"));
        assert!(!m.package_has_feature("tensor-core", "cuda"));
        let without = r#"{"packages":[{"name":"a","features":{"std":[]}}],"target_directory":"t"}"#;
        assert!(!Metadata::parse(without).unwrap().any_feature("cuda"));
    }

    #[test]
    fn bench_arguments_pass_sweep_and_only_through() {
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(bench_device(&args(&[])), Ok(Some("cpu")));
        assert_eq!(bench_device(&args(&["--sweep", "--only", "relu,add", "--device", "cuda"])), Ok(Some("cuda")));
        assert_eq!(bench_device(&args(&["--help"])), Ok(None));
        assert!(bench_device(&args(&["--only"])).is_err());
        assert!(bench_device(&args(&["--device", "tpu"])).is_err());
        assert!(bench_device(&args(&["--swep"])).is_err());
    }

    #[test]
    fn ci_has_nine_steps_with_cuda() {
        assert_eq!(ci_steps(true, true).len(), 9);
        assert_eq!(ci_steps(false, false).len(), 8);
        assert_eq!(ci_steps(false, false)[7].name, "kernels");
        assert_eq!(ci_steps(false, false)[1].name, "imports");
        assert_eq!(ci_steps(false, false)[3].args, ["test", "--workspace"]);
    }
}
