//! The span mapping rules, one case at a time, in both formats: which
//! spans count, status, weight, attribute order, rejections.

use otlp::{Format, Rejection, SpanKind, SpanKinds, SpanSelection};

use crate::it::encode::*;
use crate::it::events::{self, Owned, spans_of};

const T0: u64 = 1_738_324_800_000_000_000;
const INTERNAL: i32 = 1;
const SERVER: i32 = 2;
const CLIENT: i32 = 3;
const PRODUCER: i32 = 4;
const CONSUMER: i32 = 5;

fn span(name: &str, kind: i32, parent: bool) -> Span {
    Span {
        trace_id: vec![0xab; 16],
        span_id: vec![0xcd; 8],
        parent_span_id: if parent { vec![0xef; 8] } else { vec![] },
        name: name.into(),
        kind,
        start: T0,
        end: T0 + 25_000_000,
        ..Span::default()
    }
}

fn request(resource: Attributes, scope: Attributes, spans: Vec<Span>) -> TraceRequest {
    TraceRequest {
        resources: vec![ResourceSpans {
            resource,
            scopes: vec![ScopeSpans {
                scope_name: "test".into(),
                scope_attributes: scope,
                spans,
            }],
        }],
    }
}

/// Decodes in both formats (they must agree).
fn decode(req: &TraceRequest, selection: &SpanSelection) -> (Vec<Owned>, otlp::DecodeSummary) {
    spans_of(&req.to_protobuf(), Some(&req.to_json()), selection)
}

fn names(events: &[Owned]) -> Vec<&str> {
    events.iter().map(|e| e.name.as_str()).collect()
}

#[test]
fn default_selection_counts_server_consumer_and_root_spans() {
    let req = request(
        vec![],
        vec![],
        vec![
            span("server child", SERVER, true),
            span("consumer child", CONSUMER, true),
            span("client child", CLIENT, true),
            span("internal child", INTERNAL, true),
            span("producer child", PRODUCER, true),
            span("internal root", INTERNAL, false),
            span("client root", CLIENT, false),
        ],
    );
    let (events, summary) = decode(&req, &SpanSelection::default());
    assert_eq!(
        names(&events),
        [
            "server child",
            "consumer child",
            "internal root",
            "client root"
        ]
    );
    assert_eq!(
        (
            summary.received,
            summary.counted,
            summary.skipped_by_selection,
            summary.rejected
        ),
        (7, 4, 3, 0)
    );

    let only_clients = SpanSelection {
        kinds: SpanKinds::of(&[SpanKind::Client]),
        include_roots: false,
    };
    let (events, _) = decode(&req, &only_clients);
    assert_eq!(names(&events), ["client child", "client root"]);
}

#[test]
fn name_times_and_duration() {
    let mut sp = span("GET /search", SERVER, true);
    sp.start = T0 + 999_999;
    sp.end = T0 + 999_999 + 1_234_567;
    let (events, _) = decode(
        &request(vec![], vec![], vec![sp]),
        &SpanSelection::default(),
    );
    let ev = &events[0];
    assert_eq!(ev.name, "GET /search");
    assert_eq!(ev.timestamp_ms, 1_738_324_800_000);
    assert_eq!(ev.duration_ms, Some(1.234567));
    assert!(!ev.error);
    assert_eq!(ev.weight, 1.0);
}

#[test]
fn status_error_or_http_5xx_on_server_spans_only() {
    let with = |kind: i32, code: i32, attrs_: Attributes| {
        let mut sp = span("s", kind, true);
        sp.status_code = code;
        sp.attributes = attrs_;
        sp
    };
    let cases = [
        // (span, error?)
        (with(SERVER, 0, vec![]), false),
        (with(SERVER, 1, vec![]), false),
        (with(SERVER, 2, vec![]), true),
        (with(CONSUMER, 2, vec![]), true),
        (
            with(
                SERVER,
                0,
                attrs(&[("http.response.status_code", Value::Int(503))]),
            ),
            true,
        ),
        (
            with(SERVER, 0, attrs(&[("http.response.status_code", s("500"))])),
            true,
        ),
        (
            with(SERVER, 0, attrs(&[("http.status_code", Value::Int(599))])),
            true,
        ),
        (
            with(SERVER, 0, attrs(&[("http.status_code", s("502"))])),
            true,
        ),
        (
            with(
                SERVER,
                1,
                attrs(&[("http.response.status_code", Value::Int(500))]),
            ),
            true,
        ),
        (
            with(
                SERVER,
                0,
                attrs(&[("http.response.status_code", Value::Int(404))]),
            ),
            false,
        ),
        (
            with(
                SERVER,
                0,
                attrs(&[("http.response.status_code", Value::Int(600))]),
            ),
            false,
        ),
        (
            with(SERVER, 0, attrs(&[("http.response.status_code", s("5xx"))])),
            false,
        ),
        // Either convention can say 5xx.
        (
            with(
                SERVER,
                0,
                attrs(&[
                    ("http.response.status_code", Value::Int(200)),
                    ("http.status_code", Value::Int(500)),
                ]),
            ),
            true,
        ),
        // The last duplicate is the value, as filters see it.
        (
            with(
                SERVER,
                0,
                attrs(&[
                    ("http.response.status_code", Value::Int(500)),
                    ("http.response.status_code", Value::Int(200)),
                ]),
            ),
            false,
        ),
        // A client's 5xx is the callee's failure.
        (
            with(
                CLIENT,
                0,
                attrs(&[("http.response.status_code", Value::Int(503))]),
            ),
            false,
        ),
        (
            with(CONSUMER, 0, attrs(&[("http.status_code", Value::Int(503))])),
            false,
        ),
    ];
    let all = SpanSelection::all();
    for (i, (sp, error)) in cases.into_iter().enumerate() {
        let (events, _) = decode(&request(vec![], vec![], vec![sp.clone()]), &all);
        assert_eq!(events[0].error, error, "case {i}: {sp:?}");
    }
    // A 5xx in the resource attributes still counts for a server span.
    let req = request(
        attrs(&[("http.response.status_code", Value::Int(500))]),
        vec![],
        vec![span("s", SERVER, true)],
    );
    assert!(decode(&req, &all).0[0].error);
}

#[test]
fn attributes_merge_resource_scope_span_and_the_span_wins() {
    let mut sp = span("s", SERVER, true);
    sp.attributes = attrs(&[("region", s("eu-west-1")), ("tier", s("span"))]);
    let req = request(
        attrs(&[
            ("service.name", s("shop")),
            ("tier", s("resource")),
            ("region", s("us")),
        ]),
        attrs(&[("tier", s("scope")), ("lib", s("http"))]),
        vec![sp],
    );
    let (events, _) = decode(&req, &SpanSelection::default());
    let ev = &events[0];
    assert_eq!(
        ev.keys(),
        [
            "service.name",
            "tier",
            "region",
            "tier",
            "lib",
            "region",
            "tier",
            "trace_id",
            "span_id",
            "span.kind",
            "service.name"
        ]
    );
    assert_eq!(ev.attr("tier"), Some("span"));
    assert_eq!(ev.attr("region"), Some("eu-west-1"));
    assert_eq!(ev.attr("lib"), Some("http"));
    assert_eq!(
        ev.attr("trace_id"),
        Some("abababababababababababababababab")
    );
    assert_eq!(ev.attr("span_id"), Some("cdcdcdcdcdcdcdcd"));
    assert_eq!(ev.attr("span.kind"), Some("server"));
}

#[test]
fn service_name_comes_from_the_resource() {
    let mut sp = span("s", SERVER, true);
    sp.attributes = attrs(&[("service.name", s("spoofed")), ("trace_id", s("mine"))]);
    let req = request(
        attrs(&[("service.name", s("payments"))]),
        vec![],
        vec![sp.clone()],
    );
    let ev = &decode(&req, &SpanSelection::default()).0[0];
    assert_eq!(ev.attr("service.name"), Some("payments"));
    assert_eq!(
        ev.attr("trace_id"),
        Some("abababababababababababababababab")
    );

    // Without one in the resource, nothing is added.
    let req = request(vec![], vec![], vec![sp]);
    let ev = &decode(&req, &SpanSelection::default()).0[0];
    assert_eq!(ev.attr("service.name"), Some("spoofed"));
}

#[test]
fn weight_from_the_tracestate_threshold() {
    for (ts, weight) in [
        ("ot=th:0", 1.0),
        ("ot=th:8", 2.0),
        ("ot=th:c", 4.0),
        ("ot=th:fc", 64.0),
        ("vendor=a:b,ot=rv:01020304050607;th:8", 2.0),
    ] {
        let mut sp = span("s", SERVER, true);
        sp.trace_state = ts.into();
        let (events, summary) = decode(
            &request(vec![], vec![], vec![sp]),
            &SpanSelection::default(),
        );
        assert_eq!(events[0].weight, weight, "{ts}");
        assert_eq!(
            (summary.weighted, summary.invalid_sampling),
            (weight, 0),
            "{ts}"
        );
    }
}

#[test]
fn weight_from_sample_rate_attributes() {
    let weigh = |ts: &str, attributes: Attributes| {
        let mut sp = span("s", SERVER, true);
        sp.trace_state = ts.into();
        sp.attributes = attributes;
        let (events, summary) = decode(
            &request(vec![], vec![], vec![sp]),
            &SpanSelection::default(),
        );
        (events[0].weight, summary.invalid_sampling)
    };
    assert_eq!(
        weigh("", attrs(&[("sample_rate", Value::Int(10))])),
        (10.0, 0)
    );
    assert_eq!(weigh("", attrs(&[("SampleRate", s("20"))])), (20.0, 0));
    assert_eq!(
        weigh("", attrs(&[("sample_rate", Value::Double(2.5))])),
        (2.5, 0)
    );
    assert_eq!(
        weigh(
            "",
            attrs(&[
                ("sample_rate", Value::Int(3)),
                ("SampleRate", Value::Int(7))
            ])
        ),
        (7.0, 0)
    );
    // A valid threshold wins over the attribute.
    assert_eq!(
        weigh("ot=th:8", attrs(&[("sample_rate", Value::Int(10))])),
        (2.0, 0)
    );
    // Malformed thresholds and rates: weight 1 (or the next source), one warning.
    assert_eq!(weigh("ot=th:xyz", vec![]), (1.0, 1));
    assert_eq!(weigh("ot=th:123456789abcdef", vec![]), (1.0, 1));
    assert_eq!(weigh("ot=th:", vec![]), (1.0, 1));
    assert_eq!(
        weigh("ot=th:xyz", attrs(&[("sample_rate", Value::Int(4))])),
        (4.0, 1)
    );
    assert_eq!(
        weigh("", attrs(&[("sample_rate", Value::Int(0))])),
        (1.0, 1)
    );
    assert_eq!(weigh("", attrs(&[("sample_rate", s("often"))])), (1.0, 1));
    assert_eq!(
        weigh("", attrs(&[("sample_rate", Value::Double(f64::NAN))])),
        (1.0, 1)
    );
    // A rate set on the whole resource applies to its spans.
    let req = request(
        attrs(&[("sample_rate", Value::Int(5))]),
        vec![],
        vec![span("a", SERVER, true), span("b", SERVER, true)],
    );
    let (events, summary) = decode(&req, &SpanSelection::default());
    assert_eq!(
        events.iter().map(|e| e.weight).collect::<Vec<_>>(),
        [5.0, 5.0]
    );
    assert_eq!((summary.counted, summary.weighted), (2, 10.0));
}

#[test]
fn spans_without_a_start_or_ending_before_it_are_rejected() {
    let mut no_start = span("no start", SERVER, true);
    no_start.start = 0;
    let mut backwards = span("backwards", SERVER, true);
    backwards.end = T0 - 1;
    let mut skipped_anyway = span("internal", INTERNAL, true);
    skipped_anyway.start = 0;
    let req = TraceRequest {
        resources: vec![
            ResourceSpans::default(),
            request(
                vec![],
                vec![],
                vec![
                    span("ok", SERVER, true),
                    no_start,
                    skipped_anyway,
                    backwards,
                ],
            )
            .resources[0]
                .clone(),
        ],
    };
    let (events, summary) = decode(&req, &SpanSelection::default());
    assert_eq!(names(&events), ["ok"]);
    assert_eq!(
        (
            summary.received,
            summary.counted,
            summary.skipped_by_selection,
            summary.rejected
        ),
        (4, 1, 1, 2)
    );
    assert_eq!(
        summary.rejected_reasons[0].path,
        "resource_spans[1].scope_spans[0].spans[1]"
    );
    assert_eq!(
        summary.rejected_reasons[0].reason,
        Rejection::MissingStartTime
    );
    assert_eq!(
        summary.rejected_reasons[1].path,
        "resource_spans[1].scope_spans[0].spans[3]"
    );
    assert_eq!(
        summary.rejected_reasons[1].reason,
        Rejection::EndBeforeStart {
            start_unix_nano: T0,
            end_unix_nano: T0 - 1
        }
    );
    assert_eq!(
        summary.error_message().unwrap(),
        format!(
            "2 of 4 spans rejected: resource_spans[1].scope_spans[0].spans[1]: start_time_unix_nano \
             is 0; expected the span's start time; resource_spans[1].scope_spans[0].spans[3]: \
             end_time_unix_nano {} is before start_time_unix_nano {T0}; expected an end at or after \
             the start",
            T0 - 1
        )
    );
}

#[test]
fn a_decoder_reused_across_requests_forgets_the_previous_one() {
    let first = request(
        attrs(&[
            ("service.name", s("a")),
            ("big", Value::Array(vec![Value::Int(1); 50])),
        ]),
        vec![],
        vec![span("one", SERVER, true)],
    );
    let second = request(vec![], vec![], vec![span("two", SERVER, true)]);
    let mut decoder = otlp::TraceDecoder::new();
    let mut seen = Vec::new();
    for req in [&first, &second, &first] {
        decoder
            .decode(
                &req.to_protobuf(),
                Format::Protobuf,
                &SpanSelection::default(),
                &mut |ev| seen.push(Owned::of(ev)),
            )
            .unwrap();
    }
    let fresh = |req: &TraceRequest| {
        events::traces(
            &req.to_protobuf(),
            Format::Protobuf,
            &SpanSelection::default(),
        )
        .unwrap()
        .0
    };
    let mut expected = fresh(&first);
    expected.extend(fresh(&second));
    expected.extend(fresh(&first));
    assert_eq!(seen, expected);
    assert_eq!(seen[1].keys(), ["trace_id", "span_id", "span.kind"]);
}
