//! Runs every golden case and compares diagnostics plus a summary of the
//! loaded spec set with `<case>.expected`.

use super::cases;
use super::summary::summary;

/// What a case prints: every diagnostic, then what loaded.
pub(crate) fn render(case: &cases::Case) -> String {
    let loaded = spec::load_sources(&case.sources, case.mode);
    let mut out = String::new();
    for d in &loaded.diagnostics {
        out.push_str(&d.to_string());
        out.push('\n');
    }
    out.push_str("--\n");
    match &loaded.set {
        Some(set) => out.push_str(&summary(set)),
        None => out.push_str(&format!(
            "not loaded: {} error(s)\n",
            loaded.errors().count()
        )),
    }
    out
}

#[test]
fn golden_cases_match_expected_output() {
    let update = std::env::var_os("UPDATE_EXPECT").is_some_and(|v| v == "1");
    let mut mismatches = Vec::new();
    for case in cases::all() {
        let actual = render(&case);
        let expected = std::fs::read_to_string(&case.expected_path).unwrap_or_default();
        if actual == expected {
            continue;
        }
        if update {
            std::fs::write(&case.expected_path, &actual).unwrap();
        } else {
            mismatches.push(format!(
                "== {} ==\n-- expected --\n{expected}-- actual --\n{actual}",
                case.name
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} golden case(s) differ (UPDATE_EXPECT=1 rewrites them):\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}
