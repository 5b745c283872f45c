//! End to end into a real `ingest::Pipeline`: CEL filters select decoded
//! spans and log records, and weights reach the buckets with their raw
//! counts.

use ingest::{Batch, Field, Pipeline, PlanKind, SliPlan};
use otlp::{Format, LogDecoder, LogSelection, SpanSelection, TraceDecoder};

use crate::it::encode::*;

const T0: u64 = 1_738_324_800_000_000_000;

fn plan(name: &str, kind: PlanKind) -> SliPlan {
    SliPlan {
        name: name.into(),
        kind,
        segments: vec!["service.name".into()],
        max_segment_values: 10,
        exemplar_threshold: None,
    }
}

fn pipeline() -> Pipeline {
    Pipeline::compile(&[
        plan(
            "pay availability",
            PlanKind::Ratio {
                total: r#"attributes["http.route"] == "/pay""#.into(),
                good: Some(r#"status == "ok""#.into()),
                bad: None,
            },
        ),
        plan(
            "pay ok and fast",
            PlanKind::Ratio {
                total: r#"attributes["http.route"] == "/pay" && status == "ok""#.into(),
                good: Some("duration_ms <= 100".into()),
                bad: None,
            },
        ),
        plan(
            "pay latency",
            PlanKind::Threshold {
                filter: r#"attributes["http.route"] == "/pay""#.into(),
                field: Field::DurationMs,
            },
        ),
        plan(
            "checkout completion",
            PlanKind::Ratio {
                total: r#"name == "checkout_started""#.into(),
                good: None,
                bad: Some(r#"attributes["outcome"] == "abandoned""#.into()),
            },
        ),
    ])
    .unwrap()
}

fn pay(status_code: i64, ms: u64, trace_state: &str) -> Span {
    Span {
        trace_id: vec![1; 16],
        span_id: vec![2; 8],
        parent_span_id: vec![3; 8],
        trace_state: trace_state.into(),
        name: "POST /pay".into(),
        kind: 2,
        start: T0,
        end: T0 + ms * 1_000_000,
        attributes: attrs(&[
            ("http.route", s("/pay")),
            ("http.response.status_code", Value::Int(status_code)),
        ]),
        ..Span::default()
    }
}

/// (weighted good, weighted total, raw good, raw total) of an SLI's whole series.
fn totals(batch: &Batch, sli: &str) -> (f64, f64, u64, u64) {
    batch
        .deltas()
        .iter()
        .filter(|(k, _, _)| k.sli == sli && k.dimension.is_empty())
        .fold((0.0, 0.0, 0, 0), |(g, t, rg, rt), (_, _, b)| {
            (g + b.good, t + b.total, rg + b.raw_good, rt + b.raw_total)
        })
}

#[test]
fn spans_feed_filters_with_their_weights() {
    let mut client = pay(503, 5, "");
    client.kind = 3;
    let req = TraceRequest {
        resources: vec![ResourceSpans {
            resource: attrs(&[("service.name", s("payments"))]),
            scopes: vec![ScopeSpans {
                spans: vec![
                    pay(200, 50, "ot=th:8"),  // ok, fast, weight 2
                    pay(201, 300, "ot=th:c"), // ok, slow, weight 4
                    pay(503, 20, ""),         // 5xx, weight 1
                    client,                   // not selected
                ],
                ..ScopeSpans::default()
            }],
        }],
    };
    let pipeline = pipeline();
    for (body, format) in [
        (req.to_protobuf(), Format::Protobuf),
        (req.to_json(), Format::Json),
    ] {
        let mut batch = Batch::new();
        let summary = TraceDecoder::new()
            .decode(&body, format, &SpanSelection::default(), &mut |ev| {
                pipeline.ingest_event(ev, &mut batch)
            })
            .unwrap();
        assert_eq!((summary.counted, summary.weighted), (3, 7.0));
        assert_eq!(totals(&batch, "pay availability"), (6.0, 7.0, 2, 3));
        assert_eq!(totals(&batch, "pay ok and fast"), (2.0, 6.0, 1, 2));
        let segment: Vec<_> = batch
            .deltas()
            .into_iter()
            .filter(|(k, _, _)| k.sli == "pay availability" && !k.dimension.is_empty())
            .map(|(k, _, b)| (k.value, b.total))
            .collect();
        assert_eq!(segment, [("payments".to_owned(), 7.0)]);
        let latency = batch
            .deltas()
            .into_iter()
            .find(|(k, _, _)| k.sli == "pay latency" && k.dimension.is_empty())
            .unwrap();
        assert_eq!((latency.2.total, latency.2.raw_total), (7.0, 3));
    }
}

#[test]
fn journey_milestones_from_logs() {
    let started = |outcome: &str| LogRecord {
        time: T0,
        event_name: "checkout_started".into(),
        attributes: attrs(&[("outcome", s(outcome)), ("sample_rate", Value::Int(10))]),
        ..LogRecord::default()
    };
    let req = LogsRequest {
        resources: vec![ResourceLogs {
            resource: attrs(&[("service.name", s("web"))]),
            scopes: vec![ScopeLogs {
                records: vec![
                    started("completed"),
                    started("abandoned"),
                    started("completed"),
                ],
                ..ScopeLogs::default()
            }],
        }],
    };
    let pipeline = pipeline();
    let mut batch = Batch::new();
    LogDecoder::new()
        .decode(
            &req.to_protobuf(),
            Format::Protobuf,
            &LogSelection::default(),
            &mut |ev| pipeline.ingest_event(ev, &mut batch),
        )
        .unwrap();
    assert_eq!(totals(&batch, "checkout completion"), (20.0, 30.0, 2, 3));
}
