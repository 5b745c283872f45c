//! The `spec` of a `type: lodestar` metric source: which of Lodestar's own
//! events an SLI counts (`filter`, a CEL expression) or which metric series
//! it reads (`metric`, a Prometheus series selector: counters summed by
//! ratio SLIs, sampled values observed by threshold SLIs) and, for
//! threshold SLIs, which event field is measured and how values are
//! summarised; plus the segment dimensions the SLI is broken down by
//! (attribute keys for events, label names for series).
//!
//! Neither the CEL expression nor the selector is parsed here (the ingest
//! crate compiles both); only their text and location are kept. Unlike
//! other metric sources' free-form `spec`, this one is checked property by
//! property.

use super::{Doc, Fields, Role};
use crate::decode::slo::percent_to_fraction;
use crate::diagnostic::index_path;
use crate::model::{Aggregate, LodestarQuery};
use crate::tree::Node;

/// The source type that selects this spec.
pub(crate) const TYPE: &str = "lodestar";
const DEFAULT_FIELD: &str = "duration_ms";
const DEFAULT_MAX_SEGMENTS: u32 = 50;

pub(crate) fn lodestar_query(
    doc: &mut Doc<'_>,
    spec: &Node,
    path: &str,
    role: Role,
) -> Option<LodestarQuery> {
    let mut f = Fields::of(doc, spec, path, spec.pos)?;
    let filter_e = f.get("filter");
    let metric_e = f.get("metric");
    // (filter, metric, where the chosen one's value starts)
    let selection = match (filter_e, metric_e) {
        (Some(_), Some(m)) => {
            doc.error(
                m.key_pos,
                &f.child("metric"),
                "filter and metric are mutually exclusive; give filter (a CEL expression over events) or metric (a Prometheus series selector of metric series)",
            );
            None
        }
        (None, None) => {
            f.missing(
                doc,
                "filter",
                "property is required; expected filter (a CEL expression over events) or metric (a Prometheus series selector of metric series)",
            );
            None
        }
        (Some(e), None) => {
            let p = f.child("filter");
            doc.non_empty_string(&e.value, &p)
                .map(|s| (s, None, doc.loc(e.value.pos, &p)))
        }
        (None, Some(e)) => {
            let p = f.child("metric");
            doc.non_empty_string(&e.value, &p)
                .map(|s| (String::new(), Some(s), doc.loc(e.value.pos, &p)))
        }
    };
    // Segments of counters are label names, of events attribute keys.
    let segment_key = if metric_e.is_some() {
        label_name
    } else {
        attribute_key
    };
    let threshold_only = |doc: &mut Doc<'_>, f: &Fields<'_>, e: &crate::tree::Entry, key: &str| {
        if role == Role::Threshold {
            return true;
        }
        doc.error(
            e.key_pos,
            &f.child(key),
            "property is only valid on threshold metrics",
        );
        false
    };
    let field = match f.get("field") {
        Some(e) if metric_e.is_some() && role == Role::Threshold => {
            doc.error(
                e.key_pos,
                &f.child("field"),
                "property is only valid with filter; a metric source measures the sample values of the series it selects",
            );
            None
        }
        Some(e) if threshold_only(doc, &f, e, "field") => {
            attribute_key(doc, &e.value, &f.child("field"))
        }
        Some(_) => None,
        None => Some(DEFAULT_FIELD.to_string()),
    };
    let default_aggregate = if role == Role::Threshold {
        Aggregate::Quantile(0.95)
    } else {
        Aggregate::Count
    };
    let aggregate = match f.get("aggregate") {
        Some(e) if threshold_only(doc, &f, e, "aggregate") => {
            let p = f.child("aggregate");
            doc.string(&e.value, &p)
                .and_then(|s| match parse_aggregate(&s) {
                    Ok(a) => Some(a),
                    Err(message) => {
                        doc.error(e.value.pos, &p, message);
                        None
                    }
                })
        }
        Some(_) => None,
        None => Some(default_aggregate),
    };
    let segment_role = |doc: &mut Doc<'_>, f: &Fields<'_>, e: &crate::tree::Entry, key: &str| {
        if matches!(role, Role::Threshold | Role::Total) {
            return true;
        }
        doc.error(
            e.key_pos,
            &f.child(key),
            "property is only valid on threshold metrics and on a ratio's total (good and bad are counted among the events that match total)",
        );
        false
    };
    let segments = match f.get("segments") {
        Some(e) if segment_role(doc, &f, e, "segments") => {
            let p = f.child("segments");
            doc.list(&e.value, &p).and_then(|items| {
                let mut keys: Vec<String> = Vec::with_capacity(items.len());
                let mut ok = true;
                for (i, item) in items.iter().enumerate() {
                    let ip = index_path(&p, i);
                    match segment_key(doc, item, &ip) {
                        Some(k) if keys.contains(&k) => {
                            doc.error(
                                item.pos,
                                &ip,
                                format!("{k:?} is listed twice; expected each key once"),
                            );
                            ok = false;
                        }
                        Some(k) => keys.push(k),
                        None => ok = false,
                    }
                }
                ok.then_some(keys)
            })
        }
        Some(_) => None,
        None => Some(Vec::new()),
    };
    let max_segments = match f.get("maxSegments") {
        Some(e) if segment_role(doc, &f, e, "maxSegments") => {
            doc.positive_int(&e.value, &f.child("maxSegments"))
        }
        Some(_) => None,
        None => Some(DEFAULT_MAX_SEGMENTS),
    };
    f.finish(doc);
    let (filter, metric, filter_location) = selection?;
    Some(LodestarQuery {
        filter,
        metric,
        filter_location,
        field: field?,
        aggregate: aggregate?,
        segments: segments?,
        max_segments: max_segments?,
    })
}

/// An event attribute key (or `duration_ms`).
fn attribute_key(doc: &mut Doc<'_>, node: &Node, path: &str) -> Option<String> {
    let s = doc.non_empty_string(node, path)?;
    if s.chars().any(char::is_whitespace) {
        doc.error(
            node.pos,
            path,
            format!("expected an attribute key without spaces, got {s:?}"),
        );
        return None;
    }
    Some(s)
}

/// A Prometheus label name (the segments of a `metric` source).
fn label_name(doc: &mut Doc<'_>, node: &Node, path: &str) -> Option<String> {
    let s = doc.non_empty_string(node, path)?;
    let mut chars = s.chars();
    let valid = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        doc.error(
            node.pos,
            path,
            format!("expected a label name (letters, digits and _, not starting with a digit), got {s:?}"),
        );
        return None;
    }
    Some(s)
}

/// `p95`, `p99.9`, `mean`, `min`, `max`, `count` or `rate`.
pub(crate) fn parse_aggregate(s: &str) -> Result<Aggregate, String> {
    let simple = match s {
        "mean" => Some(Aggregate::Mean),
        "min" => Some(Aggregate::Min),
        "max" => Some(Aggregate::Max),
        "count" => Some(Aggregate::Count),
        "rate" => Some(Aggregate::Rate),
        _ => None,
    };
    if let Some(a) = simple {
        return Ok(a);
    }
    if let Some(num) = s.strip_prefix('p') {
        let (int, frac) = num.split_once('.').unwrap_or((num, ""));
        let well_formed = !int.is_empty()
            && int.bytes().all(|b| b.is_ascii_digit())
            && frac.bytes().all(|b| b.is_ascii_digit())
            && num.contains('.') != frac.is_empty();
        if well_formed
            && let Ok(x) = num.parse::<f64>()
            && x > 0.0
            && x < 100.0
        {
            return Ok(Aggregate::Quantile(percent_to_fraction(num, x)));
        }
    }
    Err(format!(
        "expected p50, p90, p95, p99, p99.9 (p and any number between 0 and 100), mean, min, max, count or rate, got {s:?}"
    ))
}
