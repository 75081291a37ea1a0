//! The seed tour prints exactly the tutorial's expected output
//! (`tests/fixtures/seed_expected_output.txt` is a copy of `../shared/seed/expected_output.txt`).

#[path = "../examples/seed_tour.rs"]
#[allow(dead_code)]
mod seed_tour;

#[test]
fn seed_tour_prints_the_expected_output() {
    let mut out = Vec::new();
    seed_tour::run(&mut out).expect("the tour runs");
    let got = String::from_utf8(out).expect("utf-8 output");
    let want = include_str!("fixtures/seed_expected_output.txt");
    if got != want {
        for (i, (g, w)) in got.lines().zip(want.lines()).enumerate() {
            assert_eq!(g, w, "first difference at line {}", i + 1);
        }
        assert_eq!(got.lines().count(), want.lines().count(), "different number of lines");
    }
}
