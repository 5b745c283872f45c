//! OpenSLO `openslo/v1alpha` (Service and SLO, the only kinds it has) to
//! `openslo/v1`.
//!
//! The differences handled: `timeWindows` (`unit` and `count`) becomes
//! `timeWindow` with a duration shorthand; v1alpha keeps the indicator per
//! objective (`ratioMetrics`), v1 per SLO, so objectives sharing one
//! ratio become one SLO and objectives with different ratios become one
//! SLO each; `incremental` becomes `counter`; a metric source's `source`
//! and `queryType` become `type` and its `spec`; `value` is dropped from
//! ratio objectives (v1 forbids it); Timeslices objectives get the
//! `timeSliceWindow` v1 requires (1m, noted in the header).

use serde_json::{Value, json};

use super::emit::{Output, object, slug, suffixed};
use super::reader::{Object, Reader};
use crate::tree::{Node, Value as Tree};

const API_VERSION: &str = "openslo/v1alpha";
/// The slice v1 requires and v1alpha does not give.
const DEFAULT_SLICE: &str = "1m";

pub(crate) fn convert(r: &mut Reader<'_>, docs: &[Node], out: &mut Output) {
    for (i, doc) in docs.iter().enumerate() {
        let path = if docs.len() > 1 {
            format!("documents[{i}]")
        } else {
            String::new()
        };
        match &doc.value {
            Tree::Seq(items) => {
                for (j, item) in items.iter().enumerate() {
                    let p = if path.is_empty() {
                        format!("[{j}]")
                    } else {
                        format!("{path}[{j}]")
                    };
                    document(r, item, &p, out);
                }
            }
            _ => document(r, doc, &path, out),
        }
    }
}

fn document(r: &mut Reader<'_>, node: &Node, path: &str, out: &mut Output) {
    const KNOWN: &[&str] = &["apiVersion", "kind", "metadata", "spec"];
    let Some(mut o) = r.object(node, path) else {
        return;
    };
    let api = o
        .required(r, &["apiVersion"])
        .map(|e| (e, r.string(&e.value, &o.child("apiVersion"))));
    let kind = o
        .required(r, &["kind"])
        .map(|e| (e, r.string(&e.value, &o.child("kind"))));
    let metadata = o.required(r, &["metadata"]);
    let spec = o.required(r, &["spec"]);
    let (meta_path, spec_path) = (o.child("metadata"), o.child("spec"));
    let (kind_path, api_path) = (o.child("kind"), o.child("apiVersion"));
    o.finish(r, KNOWN);
    let (Some((a, Some(api))), Some((k, Some(kind))), Some(metadata), Some(spec)) =
        (api, kind, metadata, spec)
    else {
        return;
    };
    if api != API_VERSION {
        r.error(
            a.value.pos,
            &api_path,
            format!("expected {API_VERSION:?}, got {api:?}"),
        );
        return;
    }
    let Some((name, display_name)) = metadata_of(r, &metadata.value, &meta_path) else {
        return;
    };
    let Some(spec_obj) = r.object(&spec.value, &spec_path) else {
        return;
    };
    match kind.as_str() {
        "Service" => service(r, spec_obj, &name, display_name, metadata.value.pos, out),
        "SLO" => slo(r, spec_obj, &name, display_name, metadata.value.pos, out),
        other => r.error(
            k.value.pos,
            &kind_path,
            format!("expected Service or SLO (the kinds of {API_VERSION}), got {other:?}"),
        ),
    }
}

fn metadata_of(r: &mut Reader<'_>, node: &Node, path: &str) -> Option<(String, Option<String>)> {
    let mut o = r.object(node, path)?;
    let name = o
        .required(r, &["name"])
        .and_then(|n| {
            let p = o.child("name");
            let s = r.non_empty(&n.value, &p)?;
            if !is_rfc1123(&s) {
                r.error(
                    n.value.pos,
                    &p,
                    format!("expected an RFC 1123 name (at most 63 lowercase letters, digits or '-', starting and ending with a letter or digit), got {s:?}"),
                );
                return None;
            }
            Some(s)
        });
    let display = o.get(&["displayName"]).and_then(|d| {
        let p = o.child("displayName");
        let s = r.string(&d.value, &p)?;
        if s.chars().count() > 63 {
            r.error(
                d.value.pos,
                &p,
                "OpenSLO v1 allows at most 63 characters in displayName; shorten it",
            );
            return None;
        }
        Some(s)
    });
    o.finish(r, &["name", "displayName"]);
    Some((name?, display))
}

fn is_rfc1123(s: &str) -> bool {
    let b = s.as_bytes();
    let edge = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    !b.is_empty()
        && b.len() <= 63
        && edge(b[0])
        && edge(b[b.len() - 1])
        && b.iter().all(|&c| edge(c) || c == b'-')
}

fn metadata_json(name: &str, display: Option<&str>) -> Value {
    let mut m = json!({"name": name});
    if let Some(d) = display {
        m["displayName"] = json!(d);
    }
    m
}

fn service(
    r: &mut Reader<'_>,
    mut o: Object<'_>,
    name: &str,
    display: Option<String>,
    pos: crate::tree::Pos,
    out: &mut Output,
) {
    let description = o
        .get(&["description"])
        .and_then(|d| r.string(&d.value, &o.child("description")));
    o.finish(r, &["description"]);
    if !out.claim(r, pos, "metadata.name", "Service", name) {
        return;
    }
    let mut spec = json!({});
    if let Some(d) = description.filter(|d| !d.is_empty()) {
        spec["description"] = json!(d);
    }
    out.docs.push(object(
        "Service",
        metadata_json(name, display.as_deref()),
        spec,
    ));
}

/// One v1alpha objective, read.
struct ObjectiveIn {
    display_name: Option<String>,
    op: Option<String>,
    value: Option<f64>,
    target: f64,
    time_slice_target: Option<f64>,
    /// The v1 `ratioMetric`, when the objective has `ratioMetrics`.
    ratio: Option<Value>,
}

fn slo(
    r: &mut Reader<'_>,
    mut o: Object<'_>,
    name: &str,
    display: Option<String>,
    pos: crate::tree::Pos,
    out: &mut Output,
) {
    const KNOWN: &[&str] = &[
        "description",
        "service",
        "budgetingMethod",
        "timeWindows",
        "indicator",
        "objectives",
    ];
    let description = o
        .get(&["description"])
        .and_then(|d| r.string(&d.value, &o.child("description")));
    let service = o
        .required(r, &["service"])
        .and_then(|s| r.non_empty(&s.value, &o.child("service")));
    let method = o.required(r, &["budgetingMethod"]).and_then(|m| {
        let p = o.child("budgetingMethod");
        let s = r.string(&m.value, &p)?;
        if s != "Occurrences" && s != "Timeslices" {
            r.error(
                m.value.pos,
                &p,
                format!("expected Occurrences or Timeslices, got {s:?}"),
            );
            return None;
        }
        Some(s)
    });
    let window = o
        .required(r, &["timeWindows"])
        .and_then(|w| time_windows(r, &w.value, &o.child("timeWindows")));
    let indicator = o.get(&["indicator"]).map(|i| {
        let p = o.child("indicator");
        (i, p)
    });
    let objectives_e = o
        .required(r, &["objectives"])
        .map(|e| (e, o.child("objectives")));
    o.finish(r, KNOWN);
    let threshold = indicator.as_ref().and_then(|(i, p)| {
        let mut io = r.object(&i.value, p)?;
        let tm = io
            .required(r, &["thresholdMetric"])
            .and_then(|t| metric_source(r, &t.value, &io.child("thresholdMetric")));
        io.finish(r, &["thresholdMetric"]);
        Some(json!({"thresholdMetric": {"metricSource": tm?}}))
    });
    let mut objectives = Vec::new();
    if let Some((e, p)) = objectives_e {
        let items = r.list(&e.value, &p);
        if items.is_empty() && matches!(e.value.value, Tree::Seq(_)) {
            r.error(e.value.pos, &p, "expected at least one objective");
        }
        for (node, ip) in items {
            if let Some(obj) = objective(r, node, &ip) {
                objectives.push((obj, node.pos, ip));
            }
        }
    }
    let has_ratio = objectives.iter().any(|(o, _, _)| o.ratio.is_some());
    if indicator.is_some() && has_ratio {
        r.error(
            pos,
            "spec",
            "only one of indicator and objectives[*].ratioMetrics can be set",
        );
        return;
    }
    if indicator.is_none() && !has_ratio && !objectives.is_empty() {
        r.error(
            pos,
            "spec",
            "one of indicator or objectives[*].ratioMetrics must be set",
        );
        return;
    }
    if has_ratio && let Some((_, p, ip)) = objectives.iter().find(|(o, _, _)| o.ratio.is_none()) {
        r.error(
            *p,
            ip,
            "expected ratioMetrics on every objective when any objective has them",
        );
        return;
    }
    let (Some(service), Some(method), Some((duration, rolling, calendar))) =
        (service, method, window)
    else {
        return;
    };
    let timeslices = method == "Timeslices";
    if timeslices {
        out.notes.push(format!(
            "SLO {name}: timeSliceWindow {DEFAULT_SLICE} assumed (v1alpha has none; v1 requires one for Timeslices)"
        ));
    }
    let objective_json = |o: &ObjectiveIn, threshold: bool| -> Value {
        let mut j = json!({});
        if let Some(d) = &o.display_name {
            j["displayName"] = json!(d);
        }
        if threshold {
            if let Some(op) = &o.op {
                j["op"] = json!(op);
            }
            if let Some(v) = o.value {
                j["value"] = json!(v);
            }
        }
        j["target"] = json!(o.target);
        if timeslices {
            if let Some(t) = o.time_slice_target {
                j["timeSliceTarget"] = json!(t);
            }
            j["timeSliceWindow"] = json!(DEFAULT_SLICE);
        }
        j
    };
    let mut window_json = json!({"duration": duration, "isRolling": rolling});
    if let Some(c) = calendar {
        window_json["calendar"] = c;
    }
    // (name, display name, SLI spec, objectives) of each SLO to write.
    let mut slos: Vec<(String, Option<String>, Value, Vec<Value>)> = Vec::new();
    if let Some(t) = threshold {
        let objs: Vec<Value> = objectives
            .iter()
            .map(|(o, _, _)| objective_json(o, true))
            .collect();
        for (o, p, ip) in &objectives {
            if o.op.is_none() || o.value.is_none() {
                r.error(
                    *p,
                    ip,
                    "op and value are required on objectives of a thresholdMetric indicator",
                );
            }
        }
        slos.push((name.to_string(), display.clone(), t, objs));
    } else {
        // Objectives sharing one ratio stay together.
        let mut groups: Vec<(Value, Vec<&ObjectiveIn>)> = Vec::new();
        for (o, _, _) in &objectives {
            let ratio = o.ratio.clone().unwrap_or(Value::Null);
            match groups.iter_mut().find(|(r, _)| *r == ratio) {
                Some((_, members)) => members.push(o),
                None => groups.push((ratio, vec![o])),
            }
        }
        let split = groups.len() > 1;
        if split {
            out.notes.push(format!(
                "SLO {name}: its objectives measure different ratios, so it becomes {} SLOs, one per ratio",
                groups.len()
            ));
        }
        for (i, (ratio, members)) in groups.into_iter().enumerate() {
            let slo_name = if split {
                let part = members[0]
                    .display_name
                    .as_deref()
                    .and_then(slug)
                    .unwrap_or_else(|| format!("{}", i + 1));
                suffixed(name, &part)
            } else {
                name.to_string()
            };
            let objs = members.iter().map(|o| objective_json(o, false)).collect();
            slos.push((
                slo_name,
                display.clone(),
                json!({"ratioMetric": ratio}),
                objs,
            ));
        }
    }
    for (slo_name, display, sli, objs) in slos {
        if !out.claim(r, pos, "metadata.name", "SLO", &slo_name) {
            continue;
        }
        let mut spec = json!({});
        if let Some(d) = description.as_ref().filter(|d| !d.is_empty()) {
            spec["description"] = json!(d);
        }
        spec["service"] = json!(service);
        spec["indicator"] = json!({"metadata": {"name": slo_name}, "spec": sli});
        spec["timeWindow"] = json!([window_json]);
        spec["budgetingMethod"] = json!(method);
        spec["objectives"] = Value::Array(objs);
        out.docs.push(object(
            "SLO",
            metadata_json(&slo_name, display.as_deref()),
            spec,
        ));
    }
}

/// `timeWindows: [{unit, count, isRolling, calendar}]` → (duration
/// shorthand, isRolling, calendar).
fn time_windows(
    r: &mut Reader<'_>,
    node: &Node,
    path: &str,
) -> Option<(String, bool, Option<Value>)> {
    let items = r.list(node, path);
    if items.len() != 1 {
        if matches!(node.value, Tree::Seq(_)) {
            r.error(
                node.pos,
                path,
                format!("expected exactly one time window, got {}", items.len()),
            );
        }
        return None;
    }
    let (item, ip) = &items[0];
    let mut o = r.object(item, ip)?;
    let unit = o.required(r, &["unit"]).and_then(|u| {
        r.string(&u.value, &o.child("unit"))
            .map(|s| (s, u.value.pos))
    });
    let count = o.required(r, &["count"]).and_then(|c| {
        let p = o.child("count");
        let (v, text) = r.number(&c.value, &p)?;
        if v < 1.0 || v.fract() != 0.0 || v > f64::from(u32::MAX) {
            r.error(
                c.value.pos,
                &p,
                format!("expected a positive whole number, got {text}"),
            );
            return None;
        }
        Some(v as u64)
    });
    let rolling = match o.get(&["isRolling"]) {
        Some(b) => r.boolean(&b.value, &o.child("isRolling")),
        None => Some(false),
    };
    let calendar = o.get(&["calendar"]).and_then(|c| {
        let p = o.child("calendar");
        let mut co = r.object(&c.value, &p)?;
        let start = co
            .required(r, &["startTime"])
            .and_then(|s| r.non_empty(&s.value, &co.child("startTime")));
        let zone = co
            .required(r, &["timeZone"])
            .and_then(|s| r.non_empty(&s.value, &co.child("timeZone")));
        co.finish(r, &["startTime", "timeZone"]);
        Some(json!({"startTime": start?, "timeZone": zone?}))
    });
    let calendar_given = o.get(&["calendar"]).is_some();
    o.finish(r, &["unit", "count", "isRolling", "calendar"]);
    let ((unit, unit_pos), count, rolling) = (unit?, count?, rolling?);
    let unit_path = format!("{ip}.unit");
    let duration = match unit.as_str() {
        "Second" => {
            let (d, rest) = (count / 60, count % 60);
            if rest != 0 {
                r.error(
                    unit_pos,
                    &unit_path,
                    format!("{count} seconds is not a whole number of minutes; OpenSLO v1 durations are minutes at the finest"),
                );
                return None;
            }
            compact_minutes(d)
        }
        "Minute" => compact_minutes(count),
        "Hour" => format!("{count}h"),
        "Day" => format!("{count}d"),
        "Week" => format!("{count}w"),
        "Month" => format!("{count}M"),
        "Quarter" => format!("{count}Q"),
        "Year" => format!("{count}Y"),
        other => {
            r.error(
                unit_pos,
                &unit_path,
                format!("expected one of Second, Day, Week, Month, Quarter, Year, got {other:?}"),
            );
            return None;
        }
    };
    let calendar_unit = matches!(unit.as_str(), "Month" | "Quarter" | "Year");
    if rolling && calendar_unit {
        r.error(
            unit_pos,
            &unit_path,
            format!("a rolling window of {count} {unit} has no fixed length; expected Second, Day or Week for a rolling window, or isRolling: false with a calendar"),
        );
        return None;
    }
    if rolling && calendar_given {
        r.error(
            item.pos,
            ip,
            "calendar cannot be set when isRolling is true",
        );
        return None;
    }
    if !rolling && calendar.is_none() {
        if !calendar_given {
            r.error(
                item.pos,
                ip,
                "calendar (startTime, timeZone) must be set when isRolling is false",
            );
        }
        return None;
    }
    Some((duration, rolling, calendar))
}

/// Minutes in the largest unit that divides them: `1440` → `1d`.
fn compact_minutes(m: u64) -> String {
    if m.is_multiple_of(10_080) {
        format!("{}w", m / 10_080)
    } else if m.is_multiple_of(1440) {
        format!("{}d", m / 1440)
    } else if m.is_multiple_of(60) {
        format!("{}h", m / 60)
    } else {
        format!("{m}m")
    }
}

fn objective(r: &mut Reader<'_>, node: &Node, path: &str) -> Option<ObjectiveIn> {
    const KNOWN: &[&str] = &[
        "displayName",
        "value",
        "op",
        "target",
        "timeSliceTarget",
        "ratioMetrics",
    ];
    let mut o = r.object(node, path)?;
    let display_name = o
        .get(&["displayName"])
        .and_then(|d| r.string(&d.value, &o.child("displayName")));
    let value = o
        .get(&["value"])
        .and_then(|v| r.number(&v.value, &o.child("value")).map(|x| x.0));
    let op = o.get(&["op"]).and_then(|v| {
        let p = o.child("op");
        let s = r.string(&v.value, &p)?;
        if !matches!(s.as_str(), "lt" | "lte" | "gt" | "gte") {
            r.error(
                v.value.pos,
                &p,
                format!("expected one of lt, lte, gt, gte, got {s:?}"),
            );
            return None;
        }
        Some(s)
    });
    let target = o.required(r, &["target"]).and_then(|t| {
        let p = o.child("target");
        let (v, text) = r.number(&t.value, &p)?;
        if !(0.0..1.0).contains(&v) {
            r.error(
                t.value.pos,
                &p,
                format!("expected a number in [0, 1), got {text}"),
            );
            return None;
        }
        Some(v)
    });
    let time_slice_target = o
        .get(&["timeSliceTarget"])
        .and_then(|v| r.number(&v.value, &o.child("timeSliceTarget")).map(|x| x.0));
    let ratio = o.get(&["ratioMetrics"]).map(|m| {
        let p = o.child("ratioMetrics");
        ratio_metrics(r, &m.value, &p)
    });
    o.finish(r, KNOWN);
    let ratio = match ratio {
        Some(None) => return None,
        Some(Some(v)) => Some(v),
        None => None,
    };
    if ratio.is_some() && op.is_some() {
        r.error(
            node.pos,
            &format!("{path}.op"),
            "op cannot be used with ratioMetrics",
        );
        return None;
    }
    Some(ObjectiveIn {
        display_name,
        op,
        value,
        target: target?,
        time_slice_target,
        ratio,
    })
}

fn ratio_metrics(r: &mut Reader<'_>, node: &Node, path: &str) -> Option<Value> {
    let mut o = r.object(node, path)?;
    let counter = match o.get(&["incremental", "counter"]) {
        Some(c) => r.boolean(&c.value, &o.child("incremental")),
        None => Some(false),
    };
    let good = o
        .required(r, &["good"])
        .and_then(|g| metric_source(r, &g.value, &o.child("good")));
    let total = o
        .required(r, &["total"])
        .and_then(|t| metric_source(r, &t.value, &o.child("total")));
    o.finish(r, &["good", "total", "incremental"]);
    Some(json!({
        "counter": counter?,
        "good": {"metricSource": good?},
        "total": {"metricSource": total?}
    }))
}

/// `{source, queryType, query}` → `{type, spec: {query[, queryType]}}`.
fn metric_source(r: &mut Reader<'_>, node: &Node, path: &str) -> Option<Value> {
    let mut o = r.object(node, path)?;
    let source = o
        .required(r, &["source"])
        .and_then(|s| r.non_empty(&s.value, &o.child("source")));
    let query_type = o
        .required(r, &["queryType"])
        .and_then(|s| r.non_empty(&s.value, &o.child("queryType")));
    let query = o
        .required(r, &["query"])
        .and_then(|s| r.non_empty(&s.value, &o.child("query")));
    o.finish(r, &["source", "queryType", "query"]);
    let (source, query_type, query) = (source?, query_type?, query?);
    if source.eq_ignore_ascii_case("lodestar") {
        r.error(
            node.pos,
            &format!("{path}.source"),
            "Lodestar's own events have no v1alpha form; write the SLI in OpenSLO v1 with a CEL filter",
        );
        return None;
    }
    let mut spec = json!({"query": query.trim()});
    // PromQL is what a prometheus source means; other engines keep the
    // query language they were given.
    if !(source.eq_ignore_ascii_case("prometheus") && query_type.eq_ignore_ascii_case("promql")) {
        spec["queryType"] = json!(query_type);
    }
    Some(json!({"type": source, "spec": spec}))
}
