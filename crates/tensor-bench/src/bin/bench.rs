//! `bench [--device cpu|cuda] [--sweep] [--only a,b] [--list]`: runs the workloads of
//! `../shared/bench/WORKLOADS.md` (or, with `--sweep`, the cases of
//! `../shared/bench/op_sweep.py`) and prints one JSON line per timing on stdout; notes
//! (skipped workloads, errors) go to stderr. Usually run through `cargo xtask bench`.

use std::process::ExitCode;
use tensor_bench::{device, json_line, median_ms, sweep, workloads, Prepared};
use tensor_core::ErrorKind;

const USAGE: &str = "usage: bench [--device cpu|cuda] [--sweep] [--only NAME,NAME] [--list]
  --sweep   the op sweep of ../shared/bench/op_sweep.py instead of WORKLOADS.md's workloads
            (--only and --list then name sweep cases)";

fn main() -> ExitCode {
    let mut device_name = String::from("cpu");
    let mut only: Option<Vec<String>> = None;
    let (mut list, mut run_sweep) = (false, false);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--device" => match args.next() {
                Some(d) => device_name = d,
                None => return usage("--device takes cpu or cuda"),
            },
            "--only" => match args.next() {
                Some(names) => only = Some(names.split(',').filter(|s| !s.is_empty()).map(String::from).collect()),
                None => return usage("--only takes a comma-separated list of workloads"),
            },
            "--list" => list = true,
            "--sweep" => run_sweep = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            other => return usage(&format!("unknown argument {other:?}")),
        }
    }

    if run_sweep {
        return sweep_main(&device_name, only.as_deref(), list);
    }
    if list {
        for w in workloads::all() {
            println!("{:24} {:?}", w.name, w.devices);
        }
        return ExitCode::SUCCESS;
    }

    let all = workloads::all();
    if let Some(names) = &only {
        let unknown: Vec<_> = names.iter().filter(|n| !all.iter().any(|w| w.name == n.as_str())).collect();
        if !unknown.is_empty() {
            let known: Vec<_> = all.iter().map(|w| w.name).collect();
            return usage(&format!("unknown workloads {unknown:?}; known: {}", known.join(", ")));
        }
    }
    if device_name != "cpu" && device_name != "cuda" {
        return usage(&format!("unknown device {device_name:?} (cpu or cuda)"));
    }
    let device = match device::by_name(&device_name) {
        Ok(d) => d,
        Err(why) => {
            eprintln!("bench: {why}");
            return ExitCode::SUCCESS;
        }
    };

    let mut failed = 0;
    for w in &all {
        let asked = only.as_ref().map(|names| names.iter().any(|n| n == w.name));
        if asked == Some(false) {
            continue;
        }
        if !w.devices.includes(&device) {
            if asked == Some(true) {
                eprintln!("bench: {}: not measured on {device_name} ({:?}, as WORKLOADS.md)", w.name, w.devices);
            }
            continue;
        }
        tensor_core::manual_seed(workloads::SEED);
        let result = (w.setup)(&device).and_then(|prepared| match prepared {
            Prepared::Run(mut b) => median_ms(&device, b.warmup, b.iters, &mut b.body).map(Some),
            Prepared::Skip(why) => {
                eprintln!("bench: {}: skipped: {why}", w.name);
                Ok(None)
            }
        });
        match result {
            Ok(Some(ms)) => println!("{}", json_line(w.name, &device_name, ms)),
            Ok(None) => {}
            Err(e) if e.kind() == ErrorKind::Unsupported => eprintln!("bench: {}: skipped: {e}", w.name),
            Err(e) => {
                eprintln!("bench: {}: error: {e}", w.name);
                failed += 1;
            }
        }
    }
    if failed > 0 {
        eprintln!("bench: {failed} workload(s) failed");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// `bench --sweep`: the cases of op_sweep.py that `only` names (all by default).
fn sweep_main(device_name: &str, only: Option<&[String]>, list: bool) -> ExitCode {
    let cases = match sweep::select(only) {
        Ok(cases) => cases,
        Err(msg) => return usage(&msg),
    };
    if list {
        for c in &cases {
            println!("{}", c.name);
        }
        return ExitCode::SUCCESS;
    }
    if device_name != "cpu" && device_name != "cuda" {
        return usage(&format!("unknown device {device_name:?} (cpu or cuda)"));
    }
    let device = match device::by_name(device_name) {
        Ok(d) => d,
        Err(why) => {
            eprintln!("bench: {why}");
            return ExitCode::SUCCESS;
        }
    };
    let failed = sweep::run(&cases, &device, device_name);
    if failed > 0 {
        eprintln!("bench: {failed} sweep case(s) failed");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn usage(msg: &str) -> ExitCode {
    eprintln!("bench: {msg}\n{USAGE}");
    ExitCode::from(2)
}
