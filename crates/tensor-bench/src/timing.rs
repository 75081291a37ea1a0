//! Timing and output, as `../shared/bench/torch_reference.py` does them.

use std::hint::black_box;
use std::time::Instant;
use tensor_core::{Device, Result};

/// Runs `f` `warmup` times, then `iters` timed times, and returns the median in milliseconds
/// (the upper median for an even count, as `torch_reference.py`). The device is synchronised
/// after the warm-ups and after every timed run, before the clock is read.
pub fn median_ms(device: &Device, warmup: usize, iters: usize, mut f: impl FnMut() -> Result<()>) -> Result<f64> {
    assert!(iters > 0, "median_ms needs at least one timed run");
    for _ in 0..warmup {
        black_box(f()?);
    }
    device.synchronize()?;
    let mut times = Vec::with_capacity(iters);
    for _ in 0..iters {
        let t = Instant::now();
        black_box(f()?);
        device.synchronize()?;
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2] * 1e3)
}

/// `{"workload": "matmul_1024", "device": "cpu", "median_ms": 20.1}`: the line
/// `torch_reference.py` prints, with the time rounded to 4 decimals.
pub fn json_line(workload: &str, device: &str, ms: f64) -> String {
    let rounded = (ms * 1e4).round() / 1e4;
    format!(
        "{{\"workload\": \"{}\", \"device\": \"{}\", \"median_ms\": {}}}",
        escape(workload),
        escape(device),
        if rounded.is_finite() { rounded.to_string() } else { "null".into() }
    )
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_line_matches_torch_reference() {
        assert_eq!(
            json_line("matmul_1024", "cpu", 20.1),
            r#"{"workload": "matmul_1024", "device": "cpu", "median_ms": 20.1}"#
        );
        assert_eq!(
            json_line("a\"b", "cpu", 1.234_567),
            r#"{"workload": "a\"b", "device": "cpu", "median_ms": 1.2346}"#
        );
        assert!(json_line("x", "cpu", f64::NAN).ends_with("\"median_ms\": null}"));
    }

    #[test]
    fn median_counts_every_run() {
        let mut calls = 0;
        let ms = median_ms(&Device::Cpu, 3, 20, || {
            calls += 1;
            Ok(())
        })
        .unwrap();
        assert_eq!(calls, 23);
        assert!(ms >= 0.0);
    }
}
