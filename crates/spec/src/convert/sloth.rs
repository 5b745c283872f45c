//! Sloth (`version: prometheus/v1`, and the Kubernetes
//! `sloth.slok.dev/v1` `PrometheusServiceLevel`) to OpenSLO v1.
//!
//! Each Sloth SLO becomes one OpenSLO SLO named `<service>-<name>` (Sloth's
//! own SLO id), with an inline ratio SLI of `type: prometheus` sources,
//! Sloth's 30-day rolling window, Occurrences, and the objective as a
//! fraction. Sloth's page and ticket alerts become four AlertPolicies with
//! Sloth's windows and thresholds (page: 2 % of the budget in 1 h, 5 % in
//! 6 h; ticket: 10 % in 1 d and in 3 d), its alert name as their
//! displayName and its labels and annotations on them, so the generated
//! rules keep Alertmanager routes working. Sloth's queries return rates
//! (`rate(x[{{.window}}])`); Lodestar's `{{.window}}` queries return counts,
//! so `rate(` over the window becomes `increase(`, which changes no ratio
//! and makes event counts right. Both the snake_case keys of the plain
//! spec and the camelCase keys of the Kubernetes one are read. SLI
//! plugins are refused: their queries live in Sloth's plugin code.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::emit::{Output, check_keys, json_map, object, percent_to_fraction, slug, suffixed};
use super::reader::{Object, Reader};
use crate::tree::{Node, Value as Tree};

const PLAIN_VERSION: &str = "prometheus/v1";
const K8S_API_VERSION: &str = "sloth.slok.dev/v1";
const K8S_KIND: &str = "PrometheusServiceLevel";
/// Sloth's default SLO period (`--default-slo-period`).
const WINDOW_DAYS: i64 = 30;
const WINDOW_PLACEHOLDER: &str = "{{.window}}";

/// Sloth's multi-window alerts: (severity, lookback window, minutes, budget
/// share in percent).
const SLOTH_ALERTS: [(&str, &str, i64, i64); 4] = [
    ("page", "1h", 60, 2),
    ("page", "6h", 360, 5),
    ("ticket", "1d", 1440, 10),
    ("ticket", "3d", 4320, 10),
];

pub(crate) fn convert(r: &mut Reader<'_>, docs: &[Node], out: &mut Output) {
    for (i, doc) in docs.iter().enumerate() {
        let path = if docs.len() > 1 {
            format!("documents[{i}]")
        } else {
            String::new()
        };
        document(r, doc, &path, out);
    }
}

fn document(r: &mut Reader<'_>, doc: &Node, path: &str, out: &mut Output) {
    let Some(mut o) = r.object(doc, path) else {
        return;
    };
    if let Some(v) = o.get(&["version"]) {
        let version = r.string(&v.value, &o.child("version"));
        if version.as_deref() != Some(PLAIN_VERSION) {
            r.error(
                v.value.pos,
                &o.child("version"),
                format!("expected {PLAIN_VERSION:?}, got {}", v.value.describe()),
            );
            return;
        }
        spec_body(r, o, out, &["version", "service", "labels", "slos"]);
        return;
    }
    let api = o
        .get(&["apiVersion"])
        .map(|e| (e, r.string(&e.value, &o.child("apiVersion"))));
    let kind = o
        .get(&["kind"])
        .map(|e| r.string(&e.value, &o.child("kind")));
    match (api, kind) {
        (Some((_, Some(a))), Some(Some(k))) if a == K8S_API_VERSION && k == K8S_KIND => {
            o.ignore(&["metadata", "status"]);
            let Some(spec) = o.required(r, &["spec"]) else {
                o.finish(r, &["apiVersion", "kind", "metadata", "spec", "status"]);
                return;
            };
            let spec_path = o.child("spec");
            o.finish(r, &["apiVersion", "kind", "metadata", "spec", "status"]);
            if let Some(s) = r.object(&spec.value, &spec_path) {
                spec_body(r, s, out, &["service", "labels", "slos"]);
            }
        }
        (Some((e, _)), _) => r.error(
            e.value.pos,
            &o.child("apiVersion"),
            format!("expected a Sloth spec: version: {PLAIN_VERSION}, or apiVersion: {K8S_API_VERSION} with kind: {K8S_KIND}"),
        ),
        _ => r.error(
            o.pos,
            &o.path,
            format!("expected a Sloth spec: version: {PLAIN_VERSION}, or apiVersion: {K8S_API_VERSION} with kind: {K8S_KIND}"),
        ),
    }
}

/// `service`, `labels` and `slos`, shared by both forms.
fn spec_body(r: &mut Reader<'_>, mut o: Object<'_>, out: &mut Output, known: &[&str]) {
    let service = o
        .required(r, &["service"])
        .and_then(|s| r.non_empty(&s.value, &o.child("service")));
    let labels = match o.get(&["labels"]) {
        Some(l) => {
            let map = r.string_map(&l.value, &o.child("labels"));
            check_keys(r, l.value.pos, &o.child("labels"), &map, "label");
            map
        }
        None => BTreeMap::new(),
    };
    let slos = o.required(r, &["slos"]).map(|s| (s, o.child("slos")));
    o.finish(r, known);
    let Some((slos, slos_path)) = slos else {
        return;
    };
    // Without a service nothing is produced, but the SLOs are still
    // checked so that one run reports every problem.
    let service = service.unwrap_or_default();
    let items = r.list(&slos.value, &slos_path);
    if items.is_empty() && matches!(slos.value.value, Tree::Seq(_)) {
        r.error(slos.value.pos, &slos_path, "expected at least one SLO");
    }
    for (node, path) in items {
        slo(r, node, &path, &service, &labels, out);
    }
}

fn slo(
    r: &mut Reader<'_>,
    node: &Node,
    path: &str,
    service: &str,
    service_labels: &BTreeMap<String, String>,
    out: &mut Output,
) {
    const KNOWN: &[&str] = &[
        "name",
        "description",
        "objective",
        "labels",
        "sli",
        "alerting",
    ];
    let Some(mut o) = r.object(node, path) else {
        return;
    };
    let name_entry = o.required(r, &["name"]);
    let name = name_entry.and_then(|n| r.non_empty(&n.value, &o.child("name")));
    let description = o
        .get(&["description"])
        .and_then(|d| r.string(&d.value, &o.child("description")));
    let target = o.required(r, &["objective"]).and_then(|e| {
        let p = o.child("objective");
        let (value, text) = r.number(&e.value, &p)?;
        if !(value > 0.0 && value < 100.0) {
            r.error(
                e.value.pos,
                &p,
                format!(
                    "expected a percentage in (0, 100) that leaves an error budget, got {text}"
                ),
            );
            return None;
        }
        Some(percent_to_fraction(&text, value))
    });
    let mut labels = service_labels.clone();
    if let Some(l) = o.get(&["labels"]) {
        let map = r.string_map(&l.value, &o.child("labels"));
        check_keys(r, l.value.pos, &o.child("labels"), &map, "label");
        labels.extend(map);
    }
    let indicator = o
        .required(r, &["sli"])
        .and_then(|s| sli(r, &s.value, &o.child("sli"), out));
    let policies = match o.get(&["alerting"]) {
        Some(a) => alerting(r, &a.value, &o.child("alerting")),
        // Sloth requires alerting; without it, all alerts keep their
        // defaults.
        None => Some(policies_for(&Alerting::default())),
    };
    o.finish(r, KNOWN);
    let (Some(name), Some(name_entry), Some(target), Some(indicator), Some(policies)) =
        (name, name_entry, target, indicator, policies)
    else {
        return;
    };
    let Some(id) = slug(&format!("{service}-{name}")) else {
        r.error(
            name_entry.value.pos,
            &format!("{path}.name"),
            "expected a name with at least one letter or digit",
        );
        return;
    };
    if !out.claim(r, name_entry.value.pos, &format!("{path}.name"), "SLO", &id) {
        return;
    }
    let mut metadata = json!({"name": id});
    if name != id && name.chars().count() <= 63 {
        metadata["displayName"] = json!(name);
    }
    if !labels.is_empty() {
        metadata["labels"] = json_map(&labels);
    }
    let mut spec = json!({});
    if let Some(d) = description.filter(|d| !d.trim().is_empty()) {
        spec["description"] = json!(d);
    }
    spec["service"] = json!(service);
    spec["indicator"] = json!({"metadata": {"name": id}, "spec": indicator});
    spec["timeWindow"] = json!([{"duration": format!("{WINDOW_DAYS}d"), "isRolling": true}]);
    spec["budgetingMethod"] = json!("Occurrences");
    spec["objectives"] = json!([{"target": target}]);
    let policies: Vec<Value> = policies.into_iter().map(|p| with_names(p, &id)).collect();
    spec["alertPolicies"] = Value::Array(policies);
    out.docs.push(object("SLO", metadata, spec));
}

/// The SLI's `spec` (`ratioMetric`).
fn sli(r: &mut Reader<'_>, node: &Node, path: &str, out: &mut Output) -> Option<Value> {
    let mut o = r.object(node, path)?;
    let events = o.get(&["events"]);
    let raw = o.get(&["raw"]);
    let plugin = o.get(&["plugin"]);
    let events_path = o.child("events");
    let raw_path = o.child("raw");
    o.finish(r, &["events", "raw", "plugin"]);
    if let Some(p) = plugin {
        r.error(
            p.key_pos,
            &format!("{path}.plugin"),
            "SLI plugins are not supported: their queries are built by Sloth's plugin code; expected sli.events (error_query, total_query) or sli.raw (error_ratio_query) with the queries the plugin generates",
        );
        return None;
    }
    match (events, raw) {
        (Some(_), Some(r2)) => {
            r.error(
                r2.key_pos,
                &raw_path,
                "events and raw are mutually exclusive; give only one",
            );
            None
        }
        (None, None) => {
            r.error(node.pos, path, "one of events or raw is required");
            None
        }
        (Some(e), None) => {
            let mut ev = r.object(&e.value, &events_path)?;
            let error_q = ev
                .required(r, &["error_query", "errorQuery"])
                .and_then(|q| query(r, &q.value, &ev.child("error_query"), out));
            let total_q = ev
                .required(r, &["total_query", "totalQuery"])
                .and_then(|q| query(r, &q.value, &ev.child("total_query"), out));
            ev.finish(r, &["error_query", "total_query"]);
            Some(json!({"ratioMetric": {
                "counter": true,
                "bad": {"metricSource": {"type": "prometheus", "spec": {"query": error_q?}}},
                "total": {"metricSource": {"type": "prometheus", "spec": {"query": total_q?}}}
            }}))
        }
        (None, Some(raw)) => {
            let mut rw = r.object(&raw.value, &raw_path)?;
            let q = rw
                .required(r, &["error_ratio_query", "errorRatioQuery"])
                .and_then(|q| {
                    let p = rw.child("error_ratio_query");
                    let text = r.non_empty(&q.value, &p)?;
                    Some(normalise_placeholder(text.trim()))
                });
            rw.finish(r, &["error_ratio_query"]);
            Some(json!({"ratioMetric": {
                "counter": false,
                "rawType": "failure",
                "raw": {"metricSource": {"type": "prometheus", "spec": {"query": q?}}}
            }}))
        }
    }
}

/// An events query, `rate(` over the window turned into `increase(`.
fn query(r: &mut Reader<'_>, node: &Node, path: &str, out: &mut Output) -> Option<String> {
    let text = r.non_empty(node, path)?;
    let text = normalise_placeholder(text.trim());
    if !text.contains(WINDOW_PLACEHOLDER) {
        r.error(
            node.pos,
            path,
            format!(
                "expected a query using {WINDOW_PLACEHOLDER} for the window, as Sloth requires"
            ),
        );
        return None;
    }
    let (rewritten, fixed_rates) = rate_to_increase(&text);
    if fixed_rates > 0 {
        out.notes.push(format!(
            "{path}: rate() over a fixed range kept as is; its counts are per second, so event counts (not ratios) are off by the range"
        ));
    }
    Some(rewritten)
}

/// `{{ .window }}` in any spacing → `{{.window}}`.
fn normalise_placeholder(q: &str) -> String {
    let mut out = String::with_capacity(q.len());
    let mut rest = q;
    while let Some(open) = rest.find("{{") {
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            break;
        };
        out.push_str(&rest[..open]);
        if after[..close].trim() == ".window" {
            out.push_str(WINDOW_PLACEHOLDER);
        } else {
            out.push_str(&rest[open..open + 2 + close + 2]);
        }
        rest = &after[close + 2..];
    }
    out.push_str(rest);
    out
}

/// Replaces each `rate(` whose argument ranges over `{{.window}}` with
/// `increase(` (`increase = rate × range`, so ratios are unchanged and
/// counts become counts). Returns the text and how many `rate(` calls over
/// other ranges were left alone.
pub(crate) fn rate_to_increase(q: &str) -> (String, usize) {
    let b = q.as_bytes();
    let mut out = String::with_capacity(q.len() + 16);
    let mut kept = 0;
    let mut i = 0;
    let mut copied = 0;
    while i < b.len() {
        match b[i] {
            b'"' | b'\'' | b'`' => i = skip_string(b, i),
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let start = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || matches!(b[i], b'_' | b':')) {
                    i += 1;
                }
                if &q[start..i] != "rate" {
                    continue;
                }
                let mut j = i;
                while j < b.len() && b[j].is_ascii_whitespace() {
                    j += 1;
                }
                if j >= b.len() || b[j] != b'(' {
                    continue;
                }
                let end = matching_paren(b, j);
                if q[j..end].contains(WINDOW_PLACEHOLDER) {
                    out.push_str(&q[copied..start]);
                    out.push_str("increase");
                    copied = i;
                } else {
                    kept += 1;
                }
            }
            _ => i += 1,
        }
    }
    out.push_str(&q[copied..]);
    (out, kept)
}

/// Index just past the string literal starting at `i`.
fn skip_string(b: &[u8], i: usize) -> usize {
    let quote = b[i];
    let mut j = i + 1;
    while j < b.len() {
        if b[j] == b'\\' && quote != b'`' {
            j += 2;
            continue;
        }
        if b[j] == quote {
            return j + 1;
        }
        j += 1;
    }
    b.len()
}

/// Index just past the `)` matching the `(` at `open` (or the end).
fn matching_paren(b: &[u8], open: usize) -> usize {
    let mut depth = 0;
    let mut j = open;
    while j < b.len() {
        match b[j] {
            b'"' | b'\'' | b'`' => {
                j = skip_string(b, j);
                continue;
            }
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return j + 1;
                }
            }
            _ => {}
        }
        j += 1;
    }
    b.len()
}

/// Sloth's `alerting` block, read.
#[derive(Debug, Default)]
struct Alerting {
    name: Option<String>,
    labels: BTreeMap<String, String>,
    annotations: BTreeMap<String, String>,
    page: AlertKind,
    ticket: AlertKind,
}

#[derive(Debug, Default)]
struct AlertKind {
    disabled: bool,
    labels: BTreeMap<String, String>,
    annotations: BTreeMap<String, String>,
}

fn alerting(r: &mut Reader<'_>, node: &Node, path: &str) -> Option<Vec<Value>> {
    let mut o = r.object(node, path)?;
    let mut a = Alerting {
        name: o
            .get(&["name"])
            .and_then(|n| r.string(&n.value, &o.child("name"))),
        ..Alerting::default()
    };
    let mut ok = true;
    if let Some(l) = o.get(&["labels"]) {
        a.labels = r.string_map(&l.value, &o.child("labels"));
        ok &= check_keys(r, l.value.pos, &o.child("labels"), &a.labels, "label");
    }
    if let Some(l) = o.get(&["annotations"]) {
        a.annotations = r.string_map(&l.value, &o.child("annotations"));
        ok &= check_keys(
            r,
            l.value.pos,
            &o.child("annotations"),
            &a.annotations,
            "annotation",
        );
    }
    for (keys, slot) in [
        (["page_alert", "pageAlert"], &mut a.page),
        (["ticket_alert", "ticketAlert"], &mut a.ticket),
    ] {
        if let Some(e) = o.get(&keys) {
            let p = o.child(keys[0]);
            ok &= alert_kind(r, &e.value, &p, slot);
        }
    }
    o.finish(
        r,
        &[
            "name",
            "labels",
            "annotations",
            "page_alert",
            "ticket_alert",
        ],
    );
    if let Some(n) = &a.name
        && n.chars().count() > 63
    {
        r.error(
            node.pos,
            &format!("{path}.name"),
            format!("alert name {n:?} is longer than 63 characters, which an OpenSLO displayName cannot hold"),
        );
        ok = false;
    }
    ok.then(|| policies_for(&a))
}

fn alert_kind(r: &mut Reader<'_>, node: &Node, path: &str, slot: &mut AlertKind) -> bool {
    if node.is_null() {
        return true;
    }
    let Some(mut o) = r.object(node, path) else {
        return false;
    };
    let mut ok = true;
    if let Some(d) = o.get(&["disable"]) {
        match r.boolean(&d.value, &o.child("disable")) {
            Some(b) => slot.disabled = b,
            None => ok = false,
        }
    }
    if let Some(l) = o.get(&["labels"]) {
        slot.labels = r.string_map(&l.value, &o.child("labels"));
        ok &= check_keys(r, l.value.pos, &o.child("labels"), &slot.labels, "label");
    }
    if let Some(l) = o.get(&["annotations"]) {
        slot.annotations = r.string_map(&l.value, &o.child("annotations"));
        ok &= check_keys(
            r,
            l.value.pos,
            &o.child("annotations"),
            &slot.annotations,
            "annotation",
        );
    }
    o.finish(r, &["disable", "labels", "annotations"]);
    ok
}

/// The AlertPolicies for Sloth's alerts, names still to be prefixed by the
/// SLO id (see [`with_names`]). With both kinds disabled, one policy that
/// never alerts says so (an SLO without policies gets Lodestar's default
/// alerts).
fn policies_for(a: &Alerting) -> Vec<Value> {
    let mut out = Vec::new();
    for (severity, lookback, minutes, share) in SLOTH_ALERTS {
        let kind = if severity == "page" {
            &a.page
        } else {
            &a.ticket
        };
        if kind.disabled {
            continue;
        }
        let mut labels = a.labels.clone();
        labels.extend(kind.labels.clone());
        // Sloth sets this label on its alerts; routes may match on it.
        labels
            .entry("sloth_severity".into())
            .or_insert_with(|| severity.to_string());
        let mut annotations = a.annotations.clone();
        annotations.extend(kind.annotations.clone());
        // share % of a 30-day budget in `minutes`: one exact division.
        let (num, den) = (share * WINDOW_DAYS * 1440, 100 * minutes);
        let threshold = if num % den == 0 {
            json!(num / den)
        } else {
            json!(num as f64 / den as f64)
        };
        let mut metadata =
            json!({"name": format!("{severity}-{lookback}"), "labels": json_map(&labels)});
        if let Some(n) = &a.name {
            metadata["displayName"] = json!(n);
        }
        if !annotations.is_empty() {
            metadata["annotations"] = json_map(&annotations);
        }
        out.push(json!({
            "kind": "AlertPolicy",
            "metadata": metadata,
            "spec": {
                "description": format!("Sloth {severity} alert: {share} % of the {WINDOW_DAYS}-day error budget in {lookback}"),
                "alertWhenBreaching": true,
                "alertWhenNoData": false,
                "alertWhenResolved": true,
                "conditions": [{
                    "kind": "AlertCondition",
                    "metadata": {"name": format!("burn-{lookback}")},
                    "spec": {
                        "severity": severity,
                        "condition": {"kind": "burnrate", "op": "gte", "threshold": threshold, "lookbackWindow": lookback}
                    }
                }],
                "notificationTargets": [alertmanager()]
            }
        }));
    }
    if out.is_empty() {
        out.push(json!({
            "kind": "AlertPolicy",
            "metadata": {"name": "alerts-disabled"},
            "spec": {
                "description": "Sloth page and ticket alerts are both disabled",
                "alertWhenBreaching": false,
                "alertWhenNoData": false,
                "alertWhenResolved": false,
                "conditions": [{
                    "kind": "AlertCondition",
                    "metadata": {"name": "burn-1h"},
                    "spec": {
                        "severity": "page",
                        "condition": {"kind": "burnrate", "op": "gte", "threshold": 14.4, "lookbackWindow": "1h"}
                    }
                }],
                "notificationTargets": [alertmanager()]
            }
        }));
    }
    out
}

fn alertmanager() -> Value {
    json!({
        "kind": "AlertNotificationTarget",
        "metadata": {"name": "alertmanager"},
        "spec": {"target": "alertmanager", "description": "Prometheus sends the alerts to its Alertmanagers"}
    })
}

/// Prefixes a policy's name with the SLO id (inline policies are named
/// too, and the name shows up in alert labels).
fn with_names(mut policy: Value, id: &str) -> Value {
    if let Some(n) = policy["metadata"]["name"].as_str() {
        policy["metadata"]["name"] = json!(suffixed(id, n));
    }
    policy
}
