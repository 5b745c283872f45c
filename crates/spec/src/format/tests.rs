//! Formatter behaviour by example (`check(input, expect)`), plus
//! properties: emitted YAML and JSON read back to the same values and
//! formatting is idempotent.

use proptest::prelude::*;

use super::*;
use crate::tree::Pos;

fn fmt(text: &str) -> String {
    format(text, false).unwrap_or_else(|e| panic!("{e:?}"))
}

fn fmt_json(text: &str) -> String {
    format(text, true).unwrap_or_else(|e| panic!("{e:?}"))
}

/// `check(input, expect)`: formatting gives `expect`, and formatting that
/// again changes nothing.
fn check(input: &str, expect: &str) {
    let once = fmt(input);
    assert_eq!(once, expect, "formatted:\n{once}");
    assert_eq!(fmt(&once), once, "not idempotent");
}

#[test]
fn keys_come_in_canonical_order_with_unknown_keys_after_in_their_order() {
    check(
        "spec:\n  zeta: 1\n  service: s\n  alpha: 2\n  description: d\nkind: SLO\nmetadata: {labels: {b: x, a: y}, name: n}\napiVersion: openslo/v1\nextra: true\n",
        "apiVersion: openslo/v1\nkind: SLO\nmetadata:\n  name: n\n  labels:\n    b: x\n    a: y\nspec:\n  description: d\n  service: s\n  zeta: 1\n  alpha: 2\nextra: true\n",
    );
}

#[test]
fn nested_shapes_are_ordered_too() {
    check(
        "kind: SLO\nspec:\n  objectives:\n    - target: 0.9\n      displayName: x\n  timeWindow:\n    - isRolling: true\n      duration: 1d\n",
        "kind: SLO\nspec:\n  timeWindow:\n    - duration: 1d\n      isRolling: true\n  objectives:\n    - displayName: x\n      target: 0.9\n",
    );
    check(
        "kind: SLI\nspec:\n  thresholdMetric:\n    metricSource:\n      spec: {segments: [a], filter: x, zz: 1}\n      type: lodestar\n",
        "kind: SLI\nspec:\n  thresholdMetric:\n    metricSource:\n      type: lodestar\n      spec:\n        filter: x\n        segments:\n          - a\n        zz: 1\n",
    );
    // A vendor's free-form spec keeps its order.
    check(
        "kind: SLI\nspec:\n  thresholdMetric:\n    metricSource:\n      type: Prometheus\n      spec: {zz: 1, aa: 2}\n",
        "kind: SLI\nspec:\n  thresholdMetric:\n    metricSource:\n      type: Prometheus\n      spec:\n        zz: 1\n        aa: 2\n",
    );
}

#[test]
fn strings_are_quoted_only_when_plain_would_change_them() {
    check(
        "a: 'plain'\nb: 'true'\nc: '42'\nd: '2024-05-02'\ne: '28d'\nf: 'a: b'\ng: ''\nh: ' x'\ni: 'yes'\nj: '#x'\nk: \"it's\"\nl: 'x #y'\nm: '- x'\nn: 'p99.9'\n",
        "a: plain\nb: \"true\"\nc: \"42\"\nd: \"2024-05-02\"\ne: 28d\nf: \"a: b\"\ng: \"\"\nh: \" x\"\ni: \"yes\"\nj: \"#x\"\nk: it's\nl: \"x #y\"\nm: \"- x\"\nn: p99.9\n",
    );
}

#[test]
fn typed_plain_scalars_stay_as_written() {
    check(
        "a: 0x1F\nb: .5\nc: ~\nd: \ne: True\nf: -.inf\n",
        "a: 0x1F\nb: .5\nc: ~\nd: null\ne: True\nf: -.inf\n",
    );
}

#[test]
fn multi_line_strings_become_literal_blocks() {
    check(
        "a: \"x\\ny\\n\"\nb: \"x\\ny\"\nc: \"x\\n\\n\"\n",
        "a: |\n  x\n  y\nb: |-\n  x\n  y\nc: |+\n  x\n\n",
    );
    check("- \"one\\n  two\"\n", "- |-\n  one\n    two\n");
    // A leading space or a carriage return cannot be a block.
    check(
        "a: \" x\\ny\"\nb: \"x\\r\\ny\"\n",
        "a: \" x\\ny\"\nb: \"x\\r\\ny\"\n",
    );
}

#[test]
fn control_characters_are_escaped() {
    check("a: \"x\\ty\\u0001\\u2028\"\n", "a: \"x\\ty\\x01\\u2028\"\n");
}

#[test]
fn documents_lists_and_empties() {
    check(
        "---\na: 1\n---\n---\n- b: 2\n  c: []\n- {}\n- - x\n",
        "a: 1\n---\n- b: 2\n  c: []\n- {}\n- - x\n",
    );
    check("just text\n", "just text\n");
    check("", "");
    check("# only a comment\n", "");
}

#[test]
fn comments_are_dropped() {
    check("# header\na: 1 # trailing\n", "a: 1\n");
}

#[test]
fn odd_keys_are_quoted() {
    check(
        "\"a: b\": 1\n'true': 2\n\"\": 3\nlodestar.dev/owner: x\n",
        "\"a: b\": 1\n\"true\": 2\n\"\": 3\nlodestar.dev/owner: x\n",
    );
}

#[test]
fn json_is_pretty_printed_in_canonical_order() {
    let out =
        fmt_json("{\"spec\": {\"b\": [1, .5, 0x10, 'x', null, true, {}]}, \"kind\": \"Service\"}");
    assert_eq!(
        out,
        "{\n  \"kind\": \"Service\",\n  \"spec\": {\n    \"b\": [\n      1,\n      0.5,\n      16,\n      \"x\",\n      null,\n      true,\n      {}\n    ]\n  }\n}\n"
    );
    assert_eq!(fmt_json(&out), out);
    assert_eq!(
        fmt_json("a: 1\n---\nb: 2\n"),
        "[\n  {\n    \"a\": 1\n  },\n  {\n    \"b\": 2\n  }\n]\n"
    );
    assert_eq!(
        fmt_json("a: .nan\nb: 1e400\n"),
        "{\n  \"a\": \".nan\",\n  \"b\": \"1e400\"\n}\n"
    );
}

#[test]
fn json_numbers() {
    for ok in ["0", "-0", "12", "1.5", "1e5", "1E+5", "-2.5e-3"] {
        assert!(is_json_number(ok), "{ok}");
    }
    for bad in ["01", "+1", ".5", "1.", "1e", "0x1", "", "-"] {
        assert!(!is_json_number(bad), "{bad}");
    }
}

/// A scalar's meaning: null, bool, number, or string.
#[derive(Debug, PartialEq)]
enum Meaning {
    Null,
    Bool(bool),
    Number(String),
    Str(String),
}

fn meaning(text: &str, style: Style) -> Meaning {
    if style != Style::Plain {
        return Meaning::Str(text.to_string());
    }
    match classify(text) {
        Plain::Null => Meaning::Null,
        Plain::Bool(b) => Meaning::Bool(b),
        Plain::Int(i) => Meaning::Number(i.to_string()),
        Plain::Float(f) => Meaning::Number(format!("{f:?}")),
        Plain::Str => Meaning::Str(text.to_string()),
    }
}

/// The tree as meanings, so that two spellings of one value compare equal.
fn meanings(node: &Node) -> String {
    match &node.value {
        Value::Scalar { text, style } => format!("{:?}", meaning(text, *style)),
        Value::Seq(items) => format!(
            "[{}]",
            items.iter().map(meanings).collect::<Vec<_>>().join(",")
        ),
        Value::Map(entries) => {
            format!(
                "{{{}}}",
                entries
                    .iter()
                    .map(|e| format!("{:?}:{}", e.key, meanings(&e.value)))
                    .collect::<Vec<_>>()
                    .join(",")
            )
        }
    }
}

fn scalar() -> impl Strategy<Value = Node> {
    let text = prop_oneof![
        any::<String>(),
        "[a-z0-9 .:#'\"-]{0,12}",
        Just("true".to_string()),
        Just("0x1F".to_string()),
        Just("1.5e3".to_string()),
        Just("~".to_string()),
        Just("a\nb\n\n".to_string()),
    ];
    let style = prop_oneof![Just(Style::Plain), Just(Style::Quoted), Just(Style::Block)];
    (text, style).prop_map(|(text, style)| {
        // A plain scalar must be something a parser could have produced.
        let style =
            if style == Style::Plain && !(classify(&text) != Plain::Str || plain_safe(&text)) {
                Style::Quoted
            } else {
                style
            };
        Node {
            value: Value::Scalar { text, style },
            pos: Pos::default(),
        }
    })
}

fn map_of(inner: impl Strategy<Value = Node>, min: usize) -> impl Strategy<Value = Node> {
    prop::collection::btree_map(any::<String>(), inner, min..5).prop_map(|m| Node {
        value: Value::Map(
            m.into_iter()
                .map(|(key, value)| Entry {
                    key,
                    key_pos: Pos::default(),
                    key_style: Style::Quoted,
                    value,
                })
                .collect(),
        ),
        pos: Pos::default(),
    })
}

fn tree() -> impl Strategy<Value = Node> {
    scalar().prop_recursive(4, 40, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(|items| Node {
                value: Value::Seq(items),
                pos: Pos::default()
            }),
            map_of(inner, 0),
        ]
    })
}

/// A document: a non-empty mapping (a null document would be dropped).
fn document() -> impl Strategy<Value = Node> {
    map_of(tree(), 1)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn emitted_yaml_reads_back_to_the_same_values(root in document()) {
        let text = emit(&[&root], false);
        let docs = tree::parse(&text).map_err(|e| TestCaseError::fail(format!("{e:?}\n{text}")))?;
        let back = docs.first().cloned().unwrap_or(Node { value: Value::Scalar { text: String::new(), style: Style::Plain }, pos: Pos::default() });
        let canonical = tree::parse(&emit(&[&root], false)).unwrap();
        prop_assert_eq!(meanings(&back), meanings(&canonical[0]));
        prop_assert_eq!(fmt(&text), text.clone(), "not idempotent");
    }

    #[test]
    fn emitted_yaml_keeps_every_scalar(root in document()) {
        // Same values up to key order: compare sorted renderings.
        let text = emit(&[&root], false);
        let back = tree::parse(&text).unwrap();
        let sorted = |n: &Node| {
            let mut parts: Vec<String> = Vec::new();
            collect(n, &mut parts);
            parts.sort();
            parts
        };
        prop_assert_eq!(sorted(&back[0]), sorted(&root));
    }

    #[test]
    fn emitted_json_is_json_with_the_same_values(root in document()) {
        let text = emit(&[&root], true);
        let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(json, crate::decode::to_json(&root));
        prop_assert_eq!(fmt_json(&text), text.clone());
    }
}

fn collect(n: &Node, out: &mut Vec<String>) {
    match &n.value {
        Value::Scalar { text, style } => out.push(format!("{:?}", meaning(text, *style))),
        Value::Seq(items) => items.iter().for_each(|i| collect(i, out)),
        Value::Map(entries) => {
            for e in entries {
                out.push(format!("key {:?}", e.key));
                collect(&e.value, out);
            }
        }
    }
}

#[test]
fn extension_kinds_come_in_canonical_order() {
    check(
        "kind: Correction\nspec:\n  duration: 2h\n  start: \"2026-11-01 02:00:00\"\n  timeZone: UTC\n  slos: [a]\n",
        "kind: Correction\nspec:\n  slos:\n    - a\n  timeZone: UTC\n  start: \"2026-11-01 02:00:00\"\n  duration: 2h\n",
    );
    check(
        "kind: BudgetPolicy\nspec:\n  exceptions:\n    - dependency: {values: [x], attribute: a}\n  states:\n    - releases: frozen\n      when:\n        - burnRateAbove: {rate: 6, window: 6h}\n      state: exhausted\n  escalation: {after: 1w, owner: o}\n  appliesTo: {journeys: [j], slos: [s]}\n",
        "kind: BudgetPolicy\nspec:\n  appliesTo:\n    slos:\n      - s\n    journeys:\n      - j\n  escalation:\n    owner: o\n    after: 1w\n  states:\n    - state: exhausted\n      when:\n        - burnRateAbove:\n            window: 6h\n            rate: 6\n      releases: frozen\n  exceptions:\n    - dependency:\n        attribute: a\n        values:\n          - x\n",
    );
}

#[test]
fn date_times_stay_quoted_because_yaml_1_1_tools_read_them_as_timestamps() {
    check(
        "a: \"2026-11-01 02:00:00\"\nb: '2026-11-01T02:00:00Z'\nc: \"2026-11-01 is a date\"\nd: 2026-11-01 02:00:00\n",
        "a: \"2026-11-01 02:00:00\"\nb: \"2026-11-01T02:00:00Z\"\nc: \"2026-11-01 is a date\"\nd: 2026-11-01 02:00:00\n",
    );
}
