//! The seed tour prints exactly the tutorial's expected output
//! (`tests/fixtures/seed_expected_output.txt` is a copy of `../shared/seed/expected_output.txt`).
//! With the `cuda` feature and a GPU it also prints the tutorial's CUDA snippet (`## cuda_*`
//! sections, which the expected output, made without a GPU, lacks): those are checked apart.

#[path = "../examples/seed_tour.rs"]
#[allow(dead_code)]
mod example;

#[test]
fn seed_tour_prints_the_expected_output() {
    let mut out = Vec::new();
    example::run(&mut out).expect("the tour runs");
    let got = String::from_utf8(out).expect("utf-8 output");
    let (got, cuda) = split_cuda_sections(&got);
    if !cuda.is_empty() {
        // x = torch.tensor([0.5]); z = x.cuda() + torch.ones_like(x, device="cuda")
        assert_eq!(
            cuda,
            "## cuda_z\ntensor([1.5000], device='cuda:0')\n## cuda_z_cpu_double\ntensor([1.5000], dtype=torch.float64)\n"
        );
    }
    let want = include_str!("fixtures/seed_expected_output.txt");
    if got != want {
        for (i, (g, w)) in got.lines().zip(want.lines()).enumerate() {
            assert_eq!(g, w, "first difference at line {}", i + 1);
        }
        assert_eq!(got.lines().count(), want.lines().count(), "different number of lines");
    }
}

/// The output without its `## cuda_*` sections, and those sections.
fn split_cuda_sections(out: &str) -> (String, String) {
    let (mut rest, mut cuda) = (String::new(), String::new());
    let mut in_cuda = false;
    for line in out.split_inclusive('\n') {
        if let Some(label) = line.strip_prefix("## ") {
            in_cuda = label.starts_with("cuda_");
        }
        if in_cuda {
            cuda.push_str(line);
        } else {
            rest.push_str(line);
        }
    }
    (rest, cuda)
}
