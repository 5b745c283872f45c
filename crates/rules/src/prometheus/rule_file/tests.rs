use proptest::prelude::*;
use yaml_rust2::{Yaml, YamlLoader};

use super::{Group, Rule, render, scalar};

fn read_back(text: &str) -> String {
    let doc = format!("k: {}\n", scalar(text, 2));
    let parsed = YamlLoader::load_from_str(&doc).unwrap_or_else(|e| panic!("{doc:?}: {e}"));
    match &parsed[0]["k"] {
        Yaml::String(s) => s.clone(),
        other => panic!("{doc:?} read back as {other:?}"),
    }
}

#[test]
fn scalars_are_plain_only_when_yaml_keeps_them_strings() {
    for plain in [
        "api",
        "lodestar:slo_error:ratio5m",
        "5m",
        "1h30m",
        "team.name",
        "platform,api",
    ] {
        assert_eq!(scalar(plain, 0), plain);
    }
    for quoted in [
        "1",
        "true",
        "no",
        "1e5",
        "0x1f",
        "",
        "-x",
        "#x",
        "a: b",
        "x:",
        "with space",
    ] {
        assert_eq!(scalar(quoted, 0), format!("'{quoted}'"));
    }
    assert_eq!(scalar("it's", 0), "'it''s'");
    assert_eq!(scalar("a\nb", 4), "|-\n    a\n    b");
}

#[test]
fn rendered_files_have_groups_rules_labels_and_annotations() {
    let text = render(
        &["header"],
        &[Group {
            name: "g".into(),
            rules: vec![
                Rule::Record {
                    record: "r:x:sum".into(),
                    expr: "sum(x{a=\"1\"})".into(),
                    labels: vec![("slo".into(), "s".into())],
                },
                Rule::Alert {
                    alert: "A".into(),
                    expr: "x > 1\nand\n  y".into(),
                    for_duration: Some("2m".into()),
                    labels: vec![("severity".into(), "page".into())],
                    annotations: vec![("summary".into(), "it's {{ $value }}".into())],
                },
            ],
        }],
    );
    assert_eq!(
        text,
        "# header\ngroups:\n  - name: g\n    rules:\n      - record: r:x:sum\n        expr: 'sum(x{a=\"1\"})'\n        labels:\n          slo: s\n      - alert: A\n        expr: |-\n          x > 1\n          and\n            y\n        for: 2m\n        labels:\n          severity: page\n        annotations:\n          summary: 'it''s {{ $value }}'\n"
    );
    let parsed = YamlLoader::load_from_str(&text).expect("valid YAML");
    assert_eq!(
        parsed[0]["groups"][0]["rules"][1]["expr"].as_str(),
        Some("x > 1\nand\n  y")
    );
    assert_eq!(render(&[], &[]), "groups: []\n");
}

proptest! {
    /// Whatever the string, YAML reads back exactly what was written.
    #[test]
    fn scalars_read_back_unchanged(s in "\\PC{0,30}|[a-z0-9 :#'\"\\-\n{}]{0,30}") {
        prop_assert_eq!(read_back(&s), s);
    }
}
