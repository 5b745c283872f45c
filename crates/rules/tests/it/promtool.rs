//! `promtool test rules` on the unit tests in `tests/data/rules/*.test.yaml`,
//! run against rules generated afresh into a temporary folder (so the test
//! proves what the code generates now, not what a golden file says).

use super::support::{data_dir, load, promtool};

#[test]
fn promtool_unit_tests_pass_on_freshly_generated_rules() {
    let dir = data_dir().join("rules");
    let tmp = tempfile::tempdir().expect("temp dir");
    let set = load(&[dir.join("promtool-slos.yaml")]);
    let text = rules::prometheus::generate(&set, &rules::prometheus::RuleOptions::default())
        .expect("promtool-slos.yaml generates rules");
    std::fs::write(tmp.path().join("promtool-slos.rules.yaml"), text).expect("write rules");
    let test = "promtool-slos.test.yaml";
    std::fs::copy(dir.join(test), tmp.path().join(test)).expect("copy test file");
    let (ok, out) = promtool(&["test", "rules", test], tmp.path());
    assert!(ok, "promtool test rules {test} failed:\n{out}");
    assert!(
        out.contains("SUCCESS"),
        "unexpected promtool output:\n{out}"
    );
}
