//! The oracle: the mapping rules written out plainly over the test models,
//! one event at a time, with nothing shared with the crate's code but the
//! selection type. Trace states come from a fixed table whose weights were
//! worked out by hand, so the oracle does not parse them.

use otlp::{LogSelection, SpanKind, SpanSelection};

use crate::it::encode::{LogsRequest, TraceRequest, Value, base64, hex};
use crate::it::events::Owned;

/// (tracestate, Some(weight) | None when malformed | absent as weight 0).
pub const TRACE_STATES: &[(&str, Option<f64>)] = &[
    ("", Some(0.0)),
    ("ot=th:0", Some(1.0)),
    ("ot=th:8", Some(2.0)),
    ("ot=th:c", Some(4.0)),
    ("ot=th:e", Some(8.0)),
    ("vendor=x:1,ot=rv:01020304050607;th:f", Some(16.0)),
    ("ot=rv:01020304050607", Some(0.0)),
    ("ot=th:zz", None),
    ("ot=th:123456789abcdef", None),
    ("congo=t61rcWkgMzE", Some(0.0)),
];

fn trace_state_weight(ts: &str) -> Option<f64> {
    TRACE_STATES
        .iter()
        .find(|(t, _)| *t == ts)
        .unwrap_or_else(|| panic!("trace state {ts:?} is not in the table"))
        .1
}

pub fn text(v: &Value) -> String {
    match v {
        Value::Empty => String::new(),
        Value::Str(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Double(d) if d.is_nan() => "NaN".into(),
        Value::Double(d) if d.is_infinite() => {
            if *d > 0.0 { "Infinity" } else { "-Infinity" }.into()
        }
        Value::Double(d) => format!("{d}"),
        Value::Bytes(b) => base64(b),
        Value::Array(_) | Value::KvList(_) => json(v),
    }
}

fn json(v: &Value) -> String {
    match v {
        Value::Empty => "null".into(),
        Value::Str(s) => serde_json::to_string(s).unwrap(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Double(d) if d.is_finite() => format!("{d}"),
        Value::Double(_) => format!("\"{}\"", text(v)),
        Value::Bytes(b) => format!("\"{}\"", base64(b)),
        Value::Array(items) => {
            format!("[{}]", items.iter().map(json).collect::<Vec<_>>().join(","))
        }
        Value::KvList(pairs) => format!(
            "{{{}}}",
            pairs
                .iter()
                .map(|(k, v)| format!("{}:{}", serde_json::to_string(k).unwrap(), json(v)))
                .collect::<Vec<_>>()
                .join(",")
        ),
    }
}

fn texts(attributes: &[(String, Value)]) -> Vec<(String, String)> {
    attributes
        .iter()
        .map(|(k, v)| (k.clone(), text(v)))
        .collect()
}

fn last<'a>(attributes: &'a [(String, String)], keys: &[&str]) -> Option<&'a str> {
    attributes
        .iter()
        .rev()
        .find(|(k, _)| keys.contains(&k.as_str()))
        .map(|(_, v)| v.as_str())
}

/// The weight from sample-rate attributes, and whether one was invalid.
fn rate_of(attributes: &[(String, String)]) -> (f64, bool) {
    match last(attributes, &["sample_rate", "SampleRate"]) {
        None => (1.0, false),
        Some(text) => match text.trim().parse::<f64>() {
            Ok(r) if r.is_finite() && r > 0.0 => (r, false),
            _ => (1.0, true),
        },
    }
}

/// What a decode should report.
#[derive(Debug, Default, PartialEq)]
pub struct Expected {
    pub events: Vec<Owned>,
    pub skipped: u64,
    pub rejected_paths: Vec<String>,
    pub invalid_sampling: u64,
}

pub fn expected_spans(req: &TraceRequest, selection: &SpanSelection) -> Expected {
    let mut out = Expected::default();
    for (ri, rs) in req.resources.iter().enumerate() {
        let resource = texts(&rs.resource);
        let service = last(&resource, &["service.name"]).map(str::to_owned);
        for (si, ss) in rs.scopes.iter().enumerate() {
            for (k, sp) in ss.spans.iter().enumerate() {
                let kind = SpanKind::from_number(i64::from(sp.kind));
                let root = sp.parent_span_id.iter().all(|&b| b == 0);
                if !selection.selects(kind, root) {
                    out.skipped += 1;
                    continue;
                }
                if sp.start == 0 || sp.end < sp.start {
                    out.rejected_paths
                        .push(format!("resource_spans[{ri}].scope_spans[{si}].spans[{k}]"));
                    continue;
                }
                let mut attributes = resource.clone();
                attributes.extend(texts(&ss.scope_attributes));
                attributes.extend(texts(&sp.attributes));
                if !sp.trace_id.is_empty() {
                    attributes.push(("trace_id".into(), hex(&sp.trace_id)));
                }
                if !sp.span_id.is_empty() {
                    attributes.push(("span_id".into(), hex(&sp.span_id)));
                }
                if let Some(kind) = kind {
                    attributes.push(("span.kind".into(), kind.as_str().into()));
                }
                if let Some(service) = &service {
                    attributes.push(("service.name".into(), service.clone()));
                }
                let is_5xx = |key: &str| {
                    last(&attributes, &[key])
                        .and_then(|v| v.trim().parse::<i64>().ok())
                        .is_some_and(|c| (500..600).contains(&c))
                };
                let error = sp.status_code == 2
                    || (kind == Some(SpanKind::Server)
                        && (is_5xx("http.response.status_code") || is_5xx("http.status_code")));
                let (rate, rate_invalid) = rate_of(&attributes);
                let (weight, invalid) = match trace_state_weight(&sp.trace_state) {
                    Some(w) if w > 0.0 => (w, false),
                    Some(_) => (rate, rate_invalid),
                    None => (rate, true),
                };
                out.invalid_sampling += u64::from(invalid);
                out.events.push(Owned {
                    timestamp_ms: (sp.start / 1_000_000) as i64,
                    name: sp.name.clone(),
                    duration_ms: Some((sp.end - sp.start) as f64 / 1e6),
                    error,
                    weight,
                    attributes,
                });
            }
        }
    }
    out
}

pub fn expected_logs(req: &LogsRequest, selection: &LogSelection) -> Expected {
    let mut out = Expected::default();
    for (ri, rl) in req.resources.iter().enumerate() {
        let resource = texts(&rl.resource);
        let service = last(&resource, &["service.name"]).map(str::to_owned);
        for (si, sl) in rl.scopes.iter().enumerate() {
            for (k, r) in sl.records.iter().enumerate() {
                if r.severity_number < selection.min_severity {
                    out.skipped += 1;
                    continue;
                }
                let time = if r.time != 0 { r.time } else { r.observed_time };
                if time == 0 {
                    out.rejected_paths.push(format!(
                        "resource_logs[{ri}].scope_logs[{si}].log_records[{k}]"
                    ));
                    continue;
                }
                let mut attributes = resource.clone();
                attributes.extend(texts(&sl.scope_attributes));
                attributes.extend(texts(&r.attributes));
                if !r.trace_id.is_empty() {
                    attributes.push(("trace_id".into(), hex(&r.trace_id)));
                }
                if !r.span_id.is_empty() {
                    attributes.push(("span_id".into(), hex(&r.span_id)));
                }
                if !r.severity_text.is_empty() {
                    attributes.push(("severity_text".into(), r.severity_text.clone()));
                }
                if let Some(body) = &r.body {
                    attributes.push(("body".into(), text(body)));
                }
                if let Some(service) = &service {
                    attributes.push(("service.name".into(), service.clone()));
                }
                let named = if !r.event_name.is_empty() {
                    Some(r.event_name.clone())
                } else {
                    last(&attributes, &["event.name"]).map(str::to_owned)
                };
                let name = match named {
                    Some(n) => n,
                    None if selection.named_only => {
                        out.skipped += 1;
                        continue;
                    }
                    None => match &r.body {
                        Some(Value::Str(s)) => s.clone(),
                        _ => String::new(),
                    },
                };
                let duration_ms = last(&attributes, &["duration_ms"])
                    .and_then(|d| d.trim().parse::<f64>().ok())
                    .filter(|d| d.is_finite() && *d >= 0.0);
                let (weight, invalid) = rate_of(&attributes);
                out.invalid_sampling += u64::from(invalid);
                out.events.push(Owned {
                    timestamp_ms: (time / 1_000_000) as i64,
                    name,
                    duration_ms,
                    error: r.severity_number >= 17,
                    weight,
                    attributes,
                });
            }
        }
    }
    out
}
