//! Golden rule files: every spec case under `tests/data/rules/` generates
//! exactly its `.rules.yaml` (or, for cases that cannot be expressed, the
//! errors in its `.errors`), and `promtool check rules` accepts every
//! generated file.

use super::support::{check_golden, data_dir, load, promtool};

/// Spec cases that generate rules.
const CASES: &[&str] = &["api", "checkout", "templates", "promtool-slos"];

#[test]
fn generated_rules_match_golden_files_and_pass_promtool_check() {
    let dir = data_dir().join("rules");
    for case in CASES {
        let set = load(&[dir.join(format!("{case}.yaml"))]);
        let text = rules::prometheus::generate(&set, &rules::prometheus::RuleOptions::default())
            .unwrap_or_else(|e| panic!("{case}: {e:?}"));
        let golden = dir.join(format!("{case}.rules.yaml"));
        check_golden(&golden, &text);
        let (ok, out) = promtool(&["check", "rules", &format!("{case}.rules.yaml")], &dir);
        assert!(ok, "promtool check rules {case}.rules.yaml failed:\n{out}");
    }
}

#[test]
fn unsupported_slos_are_reported_with_slo_and_place() {
    let dir = data_dir().join("rules");
    let set = load(&[dir.join("unsupported.yaml")]);
    let errors = rules::prometheus::generate(&set, &rules::prometheus::RuleOptions::default())
        .expect_err("nothing in unsupported.yaml can be expressed");
    // Paths relative to the data folder, so the file is the same in every
    // checkout.
    let prefix = format!("{}/", dir.display());
    let text: String = errors
        .iter()
        .map(|e| format!("{e}\n").replace(&prefix, ""))
        .collect();
    check_golden(&dir.join("unsupported.errors"), &text);
}
