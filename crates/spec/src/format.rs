//! `lodestar fmt`: re-emits a spec file in canonical form.
//!
//! YAML comes out with 2-space indentation, block style, keys in canonical
//! order (apiVersion, kind, metadata, spec, then each spec's keys in the
//! OpenSLO README order; keys this module does not know follow in their
//! original order), strings quoted only when plain style would change their
//! meaning, multi-line strings as `|` blocks and documents separated by
//! `---`. JSON files come out as pretty JSON with the same key order.
//! Comments do not survive. Formatting never validates and never changes a
//! value's meaning; it is idempotent.

use crate::tree::{self, Entry, Node, Plain, Style, Value, classify};

#[cfg(test)]
mod tests;

/// How a mapping's keys are ordered and what its children are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// Original order all the way down.
    Free,
    /// A top-level object.
    Root,
    /// An object written inline in another one (`kind`, `metadata`, `spec`,
    /// or a reference), whose spec has the given shape.
    Embedded(Spec),
    Metadata,
    InlineSli,
    TimeWindow,
    Calendar,
    Objective,
    RatioMetric,
    MetricHolder,
    MetricSource,
    LodestarSpec,
    BurnRate,
    JourneyStep,
    PolicyScope,
    Escalation,
    PolicyRule,
    PolicyCondition,
    BurnRateAbove,
    PolicyException,
    Dependency,
    Spec(Spec),
}

/// The `spec` of each kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Spec {
    Service,
    Slo,
    Sli,
    DataSource,
    AlertPolicy,
    AlertCondition,
    AlertNotificationTarget,
    Journey,
    Correction,
    BudgetPolicy,
}

impl Spec {
    fn of_kind(kind: &str) -> Option<Spec> {
        Some(match kind {
            "Service" => Spec::Service,
            "SLO" => Spec::Slo,
            "SLI" => Spec::Sli,
            "DataSource" => Spec::DataSource,
            "AlertPolicy" => Spec::AlertPolicy,
            "AlertCondition" => Spec::AlertCondition,
            "AlertNotificationTarget" => Spec::AlertNotificationTarget,
            "Journey" => Spec::Journey,
            "Correction" => Spec::Correction,
            "BudgetPolicy" => Spec::BudgetPolicy,
            _ => return None,
        })
    }
}

fn order(shape: Shape) -> &'static [&'static str] {
    match shape {
        Shape::Free => &[],
        Shape::Root => &["apiVersion", "kind", "metadata", "spec"],
        Shape::Embedded(_) => &[
            "alertPolicyRef",
            "conditionRef",
            "targetRef",
            "kind",
            "metadata",
            "spec",
        ],
        Shape::Metadata => &["name", "displayName", "labels", "annotations"],
        Shape::InlineSli => &["metadata", "spec"],
        Shape::TimeWindow => &["duration", "isRolling", "calendar"],
        Shape::Calendar => &["startTime", "timeZone"],
        Shape::Objective => &[
            "name",
            "displayName",
            "op",
            "value",
            "target",
            "targetPercent",
            "timeSliceTarget",
            "timeSliceWindow",
            "indicator",
            "indicatorRef",
            "compositeWeight",
        ],
        Shape::RatioMetric => &["counter", "good", "bad", "total", "rawType", "raw"],
        Shape::MetricHolder => &["metricSource"],
        Shape::MetricSource => &["metricSourceRef", "type", "spec"],
        Shape::LodestarSpec => &[
            "filter",
            "metric",
            "field",
            "aggregate",
            "segments",
            "maxSegments",
        ],
        Shape::BurnRate => &["kind", "op", "threshold", "lookbackWindow", "alertAfter"],
        Shape::JourneyStep => &["name", "displayName", "description", "slos"],
        Shape::PolicyScope => &["slos", "services", "journeys"],
        Shape::Escalation => &["owner", "after"],
        Shape::PolicyRule => &["state", "when", "releases", "allow"],
        Shape::PolicyCondition => &["budgetRemainingBelow", "burnRateAbove", "incidentBurnAbove"],
        Shape::BurnRateAbove => &["window", "rate"],
        Shape::PolicyException => &["dependency", "excludedTraffic"],
        Shape::Dependency => &["attribute", "values"],
        Shape::Spec(spec) => match spec {
            Spec::Service => &["description"],
            Spec::Slo => &[
                "description",
                "service",
                "indicator",
                "indicatorRef",
                "timeWindow",
                "budgetingMethod",
                "objectives",
                "alertPolicies",
            ],
            Spec::Sli => &["description", "thresholdMetric", "ratioMetric"],
            Spec::DataSource => &["description", "type", "connectionDetails"],
            Spec::AlertPolicy => &[
                "description",
                "alertWhenNoData",
                "alertWhenResolved",
                "alertWhenBreaching",
                "conditions",
                "notificationTargets",
            ],
            Spec::AlertCondition => &["description", "severity", "condition"],
            Spec::AlertNotificationTarget => &["target", "description"],
            Spec::Journey => &[
                "description",
                "weight",
                "owner",
                "steps",
                "completionSlo",
                "timeToFirstActionSlo",
            ],
            Spec::Correction => &[
                "description",
                "slos",
                "services",
                "timeZone",
                "start",
                "duration",
                "repeat",
                "daysOfWeek",
                "until",
                "silenceAlerts",
                "excludeFromBudget",
            ],
            Spec::BudgetPolicy => &[
                "description",
                "appliesTo",
                "escalation",
                "states",
                "postmortem",
                "exceptions",
            ],
        },
    }
}

/// The shape of `key`'s value inside a mapping of shape `shape` (for lists,
/// the shape of their items).
fn child(shape: Shape, key: &str, siblings: &[Entry]) -> Shape {
    let sibling = |k: &str| {
        siblings
            .iter()
            .find(|e| e.key == k)
            .and_then(|e| e.value.scalar())
            .map(|(t, _)| t)
    };
    match (shape, key) {
        (Shape::Root, "metadata")
        | (Shape::Embedded(_), "metadata")
        | (Shape::InlineSli, "metadata") => Shape::Metadata,
        (Shape::Root, "spec") => sibling("kind")
            .and_then(Spec::of_kind)
            .map_or(Shape::Free, Shape::Spec),
        (Shape::Embedded(spec), "spec") => Shape::Spec(spec),
        (Shape::InlineSli, "spec") => Shape::Spec(Spec::Sli),
        (Shape::Spec(Spec::Slo), "indicator") | (Shape::Objective, "indicator") => Shape::InlineSli,
        (Shape::Spec(Spec::Slo), "timeWindow") => Shape::TimeWindow,
        (Shape::Spec(Spec::Slo), "objectives") => Shape::Objective,
        (Shape::Spec(Spec::Slo), "alertPolicies") => Shape::Embedded(Spec::AlertPolicy),
        (Shape::TimeWindow, "calendar") => Shape::Calendar,
        (Shape::Spec(Spec::Sli), "thresholdMetric") => Shape::MetricHolder,
        (Shape::Spec(Spec::Sli), "ratioMetric") => Shape::RatioMetric,
        (Shape::RatioMetric, "good" | "bad" | "total" | "raw") => Shape::MetricHolder,
        (Shape::MetricHolder, "metricSource") => Shape::MetricSource,
        (Shape::MetricSource, "spec") if sibling("type") == Some("lodestar") => Shape::LodestarSpec,
        (Shape::Spec(Spec::AlertPolicy), "conditions") => Shape::Embedded(Spec::AlertCondition),
        (Shape::Spec(Spec::AlertPolicy), "notificationTargets") => {
            Shape::Embedded(Spec::AlertNotificationTarget)
        }
        (Shape::Spec(Spec::AlertCondition), "condition") => Shape::BurnRate,
        (Shape::Spec(Spec::Journey), "steps") => Shape::JourneyStep,
        (Shape::Spec(Spec::BudgetPolicy), "appliesTo") => Shape::PolicyScope,
        (Shape::Spec(Spec::BudgetPolicy), "escalation") => Shape::Escalation,
        (Shape::Spec(Spec::BudgetPolicy), "states") => Shape::PolicyRule,
        (Shape::Spec(Spec::BudgetPolicy), "exceptions") => Shape::PolicyException,
        (Shape::PolicyRule, "when") => Shape::PolicyCondition,
        (Shape::PolicyCondition, "burnRateAbove") => Shape::BurnRateAbove,
        (Shape::PolicyException, "dependency") => Shape::Dependency,
        _ => Shape::Free,
    }
}

fn ordered(entries: &[Entry], shape: Shape) -> Vec<&Entry> {
    let keys = order(shape);
    let mut out: Vec<&Entry> = keys
        .iter()
        .filter_map(|k| entries.iter().find(|e| e.key == *k))
        .collect();
    out.extend(entries.iter().filter(|e| !keys.contains(&e.key.as_str())));
    out
}

/// The canonical text of `text`; `Err` carries YAML syntax errors.
pub(crate) fn format(text: &str, json: bool) -> Result<String, Vec<tree::SyntaxError>> {
    let docs = tree::parse(text)?;
    let docs: Vec<&Node> = docs.iter().filter(|d| !d.is_null()).collect();
    Ok(emit(&docs, json))
}

/// Canonical text of parsed documents.
fn emit(docs: &[&Node], json: bool) -> String {
    let mut out = String::new();
    if json {
        match docs {
            [] => {}
            [one] => json_node(&mut out, one, Shape::Root, 0),
            many => {
                out.push_str("[\n");
                for (i, d) in many.iter().enumerate() {
                    indent(&mut out, 1);
                    json_node(&mut out, d, Shape::Root, 1);
                    out.push_str(if i + 1 < many.len() { ",\n" } else { "\n" });
                }
                out.push(']');
            }
        }
        if !docs.is_empty() {
            out.push('\n');
        }
        return out;
    }
    for (i, d) in docs.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        match &d.value {
            Value::Map(entries) if !entries.is_empty() => {
                yaml_map(&mut out, entries, Shape::Root, 0, false)
            }
            Value::Seq(items) if !items.is_empty() => {
                yaml_seq(&mut out, items, Shape::Root, 0, false)
            }
            _ => {
                yaml_inline(&mut out, d, 1);
                out.push('\n');
            }
        }
    }
    out
}

fn indent(out: &mut String, n: usize) {
    for _ in 0..n {
        out.push_str("  ");
    }
}

/// Block mapping at `level`; with `continued`, the first line's indentation
/// is already written (after `- `).
fn yaml_map(out: &mut String, entries: &[Entry], shape: Shape, level: usize, continued: bool) {
    for (i, e) in ordered(entries, shape).into_iter().enumerate() {
        if i > 0 || !continued {
            indent(out, level);
        }
        out.push_str(&key_text(&e.key, e.key_style));
        out.push(':');
        let child_shape = child(shape, &e.key, entries);
        match &e.value.value {
            Value::Map(m) if !m.is_empty() => {
                out.push('\n');
                yaml_map(out, m, child_shape, level + 1, false);
            }
            Value::Seq(items) if !items.is_empty() => {
                out.push('\n');
                yaml_seq(out, items, child_shape, level + 1, false);
            }
            _ => {
                out.push(' ');
                yaml_inline(out, &e.value, level + 1);
                out.push('\n');
            }
        }
    }
}

fn yaml_seq(out: &mut String, items: &[Node], shape: Shape, level: usize, continued: bool) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 || !continued {
            indent(out, level);
        }
        out.push_str("- ");
        match &item.value {
            Value::Map(m) if !m.is_empty() => yaml_map(out, m, shape, level + 1, true),
            Value::Seq(inner) if !inner.is_empty() => yaml_seq(out, inner, shape, level + 1, true),
            _ => {
                yaml_inline(out, item, level + 1);
                out.push('\n');
            }
        }
    }
}

/// A scalar or empty collection after `key: ` or `- `; block scalars put
/// their lines at `level`.
fn yaml_inline(out: &mut String, node: &Node, level: usize) {
    match &node.value {
        Value::Map(_) => out.push_str("{}"),
        Value::Seq(_) => out.push_str("[]"),
        Value::Scalar { text, style } => match scalar_form(text, *style) {
            Form::Plain => out.push_str(if text.is_empty() { "null" } else { text }),
            Form::Quoted => out.push_str(&double_quoted(text)),
            Form::Literal => {
                let body = text.trim_end_matches('\n');
                let trailing = text.len() - body.len();
                out.push_str(match trailing {
                    0 => "|-",
                    1 => "|",
                    _ => "|+",
                });
                for line in body.split('\n') {
                    out.push('\n');
                    if !line.is_empty() {
                        indent(out, level);
                        out.push_str(line);
                    }
                }
                for _ in 1..trailing {
                    out.push('\n');
                }
            }
        },
    }
}

enum Form {
    Plain,
    Quoted,
    Literal,
}

fn scalar_form(text: &str, style: Style) -> Form {
    let typed = classify(text) != Plain::Str;
    match style {
        Style::Plain if typed => Form::Plain,
        Style::Plain if plain_safe(text) => Form::Plain,
        _ if !typed && plain_safe(text) && !other_tools_would_type(text) => Form::Plain,
        _ if literal_safe(text) => Form::Literal,
        _ => Form::Quoted,
    }
}

fn key_text(key: &str, style: Style) -> String {
    let keep_plain = plain_safe(key)
        && (style == Style::Plain || (classify(key) == Plain::Str && !other_tools_would_type(key)));
    if keep_plain {
        key.to_string()
    } else {
        double_quoted(key)
    }
}

/// Characters YAML does not allow raw, or that some readers treat as line
/// breaks or byte-order marks.
fn awkward(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{85}' | '\u{feff}' | '\u{2028}' | '\u{2029}' | '\u{fffe}' | '\u{ffff}'
        )
}

/// True when `s` reads back as the same string in plain block style.
fn plain_safe(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    !"-?:,[]{}#&*!|>'\"%@`".contains(first)
        && !first.is_whitespace()
        && !s.ends_with(char::is_whitespace)
        && !s.ends_with(':')
        && !s.contains(": ")
        && !s.contains(" #")
        && !s.starts_with("...")
        && !s.chars().any(|c| awkward(c) || c == '\t')
}

/// Strings YAML 1.1 parsers (still common) would read as booleans, null,
/// numbers or dates if unquoted.
fn other_tools_would_type(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "y" | "n" | "yes" | "no" | "on" | "off" | "true" | "false" | "null" | "~"
    ) {
        return true;
    }
    let numeric = s.bytes().any(|b| b.is_ascii_digit())
        && s.bytes().all(|b| {
            b.is_ascii_digit() || matches!(b, b'_' | b':' | b'.' | b'+' | b'-' | b'e' | b'E')
        });
    // YAML 1.1 timestamps also take a space or `T` between date and time
    // (`2026-11-01 02:00:00`, a correction's start).
    let timestamp = s.len() > 10
        && s.as_bytes()[..10].iter().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                *b == b'-'
            } else {
                b.is_ascii_digit()
            }
        })
        && matches!(s.as_bytes()[10], b' ' | b'\t' | b'T' | b't');
    numeric || timestamp
}

/// True when `s` can be written as a `|` block and read back unchanged.
fn literal_safe(s: &str) -> bool {
    let body = s.trim_end_matches('\n');
    let lines: Vec<&str> = body.split('\n').collect();
    s.contains('\n')
        && !s.chars().any(|c| c != '\n' && (awkward(c) || c == '\t'))
        && lines.iter().all(|l| l.is_empty() || !l.trim().is_empty())
        && lines
            .iter()
            .find(|l| !l.is_empty())
            .is_some_and(|l| !l.starts_with(' '))
}

fn double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            c if awkward(c) => {
                let n = c as u32;
                if n <= 0xff {
                    out.push_str(&format!("\\x{n:02x}"));
                } else {
                    out.push_str(&format!("\\u{n:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn json_node(out: &mut String, node: &Node, shape: Shape, level: usize) {
    match &node.value {
        Value::Scalar { text, style } => out.push_str(&json_scalar(text, *style)),
        Value::Seq(items) if items.is_empty() => out.push_str("[]"),
        Value::Map(entries) if entries.is_empty() => out.push_str("{}"),
        Value::Seq(items) => {
            out.push_str("[\n");
            for (i, item) in items.iter().enumerate() {
                indent(out, level + 1);
                json_node(out, item, shape, level + 1);
                out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
            }
            indent(out, level);
            out.push(']');
        }
        Value::Map(entries) => {
            out.push_str("{\n");
            let ordered = ordered(entries, shape);
            let n = ordered.len();
            for (i, e) in ordered.into_iter().enumerate() {
                indent(out, level + 1);
                out.push_str(&serde_json::Value::String(e.key.clone()).to_string());
                out.push_str(": ");
                json_node(out, &e.value, child(shape, &e.key, entries), level + 1);
                out.push_str(if i + 1 < n { ",\n" } else { "\n" });
            }
            indent(out, level);
            out.push('}');
        }
    }
}

fn json_scalar(text: &str, style: Style) -> String {
    let string = || serde_json::Value::String(text.to_string()).to_string();
    if style != Style::Plain {
        return string();
    }
    match classify(text) {
        Plain::Null => "null".into(),
        Plain::Bool(b) => b.to_string(),
        Plain::Int(i) => i.to_string(),
        Plain::Float(f) if f.is_finite() => {
            if is_json_number(text) {
                text.to_string()
            } else {
                serde_json::Number::from_f64(f).map_or_else(string, |n| n.to_string())
            }
        }
        Plain::Float(_) | Plain::Str => string(),
    }
}

/// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?`
fn is_json_number(s: &str) -> bool {
    let b = s.strip_prefix('-').unwrap_or(s).as_bytes();
    let mut i = 0;
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    let int = digits(&mut i);
    if int == 0 || (int > 1 && b[0] == b'0') {
        return false;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}
