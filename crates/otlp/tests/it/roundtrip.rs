//! Property tests: random requests, written by the test encoder in both
//! formats, decode to exactly what the oracle (`model.rs`) says, with the
//! same counts; and no prefix or corruption of a valid body panics or
//! reports an offset outside the body.

use otlp::{Format, LogSelection, OtlpError, SpanKind, SpanKinds, SpanSelection};
use proptest::prelude::*;

use crate::it::encode::*;
use crate::it::events;
use crate::it::model::{TRACE_STATES, expected_logs, expected_spans};

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("service.name"),
        Just("http.route"),
        Just("sample_rate"),
        Just("SampleRate"),
        Just("http.response.status_code"),
        Just("http.status_code"),
        Just("event.name"),
        Just("duration_ms"),
        Just("k"),
        Just("clé"),
        Just(""),
    ]
    .prop_map(str::to_owned)
}

fn text() -> impl Strategy<Value = String> {
    "[a-z0-9 é\"\\\\\n\u{1}/.-]{0,8}"
}

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Empty),
        text().prop_map(Value::Str),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::Int),
        (480i64..620).prop_map(Value::Int),
        (0i64..700).prop_map(|i| Value::Str(i.to_string())),
        any::<f64>().prop_map(Value::Double),
        prop_oneof![Just(f64::NAN), Just(f64::INFINITY), Just(-0.5), Just(1e21)]
            .prop_map(Value::Double),
        prop::collection::vec(any::<u8>(), 0..5).prop_map(Value::Bytes),
    ];
    leaf.prop_recursive(3, 12, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..4).prop_map(Value::KvList),
        ]
    })
}

fn attributes() -> impl Strategy<Value = Attributes> {
    prop::collection::vec((key(), value()), 0..5)
}

fn id(len: usize) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(vec![]),
        Just(vec![0; len]),
        prop::collection::vec(any::<u8>(), len),
    ]
}

fn nanos() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(0u64),
        1_000_000_000_000_000_000u64..2_000_000_000_000_000_000
    ]
}

fn span() -> impl Strategy<Value = Span> {
    (
        (id(16), id(8), id(8), 0..TRACE_STATES.len()),
        (
            text(),
            -1i32..7,
            nanos(),
            prop_oneof![0u64..10_000_000_000, Just(u64::MAX)],
        ),
        (attributes(), text(), 0i32..4),
    )
        .prop_map(
            |(
                (trace_id, span_id, parent, ts),
                (name, kind, start, dur),
                (attributes, msg, code),
            )| Span {
                trace_id,
                span_id,
                trace_state: TRACE_STATES[ts].0.to_owned(),
                parent_span_id: parent,
                name,
                kind,
                start,
                // u64::MAX as a duration stands for "ends before it starts".
                end: if dur == u64::MAX {
                    start.saturating_sub(1)
                } else {
                    start + dur
                },
                attributes,
                status_message: msg,
                status_code: code,
            },
        )
}

fn trace_request() -> impl Strategy<Value = TraceRequest> {
    let scope = (text(), attributes(), prop::collection::vec(span(), 0..5)).prop_map(
        |(scope_name, scope_attributes, spans)| ScopeSpans {
            scope_name,
            scope_attributes,
            spans,
        },
    );
    let resource = (attributes(), prop::collection::vec(scope, 0..3))
        .prop_map(|(resource, scopes)| ResourceSpans { resource, scopes });
    prop::collection::vec(resource, 0..3).prop_map(|resources| TraceRequest { resources })
}

fn log_record() -> impl Strategy<Value = LogRecord> {
    (
        (nanos(), nanos(), 0i32..25, text()),
        (prop::option::of(value()), attributes(), id(16), id(8)),
        prop_oneof![Just(String::new()), text()],
    )
        .prop_map(
            |(
                (time, observed_time, severity_number, severity_text),
                (body, attributes, trace_id, span_id),
                event_name,
            )| {
                LogRecord {
                    time,
                    observed_time,
                    severity_number,
                    severity_text,
                    body,
                    attributes,
                    trace_id,
                    span_id,
                    event_name,
                }
            },
        )
}

fn logs_request() -> impl Strategy<Value = LogsRequest> {
    let scope = (attributes(), prop::collection::vec(log_record(), 0..5)).prop_map(
        |(scope_attributes, records)| ScopeLogs {
            scope_attributes,
            records,
        },
    );
    let resource = (attributes(), prop::collection::vec(scope, 0..3))
        .prop_map(|(resource, scopes)| ResourceLogs { resource, scopes });
    prop::collection::vec(resource, 0..3).prop_map(|resources| LogsRequest { resources })
}

fn selection() -> impl Strategy<Value = SpanSelection> {
    use SpanKind::*;
    (
        prop::collection::vec(
            prop_oneof![
                Just(Unspecified),
                Just(Internal),
                Just(Server),
                Just(Client),
                Just(Producer),
                Just(Consumer)
            ],
            0..4,
        ),
        any::<bool>(),
    )
        .prop_map(|(kinds, include_roots)| SpanSelection {
            kinds: SpanKinds::of(&kinds),
            include_roots,
        })
}

fn offset_of(e: &OtlpError) -> usize {
    match e {
        OtlpError::Protobuf { offset, .. } => *offset,
        OtlpError::Json { .. } => panic!("protobuf body gave a json error: {e}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn spans_decode_to_what_the_rules_say(req in trace_request(), selection in selection()) {
        let expected = expected_spans(&req, &selection);
        let protobuf = req.to_protobuf();
        let json = req.to_json();
        for (body, format) in [(&protobuf, Format::Protobuf), (&json, Format::Json)] {
            let (events, summary) = events::traces(body, format, &selection).unwrap();
            prop_assert_eq!(&events, &expected.events, "{:?}", format);
            prop_assert_eq!(summary.received, req.span_count() as u64);
            prop_assert_eq!(summary.counted, expected.events.len() as u64);
            prop_assert_eq!(summary.skipped_by_selection, expected.skipped);
            prop_assert_eq!(summary.rejected, expected.rejected_paths.len() as u64);
            let paths: Vec<_> = summary.rejected_reasons.iter().map(|r| r.path.clone()).collect();
            let listed = expected.rejected_paths.len().min(otlp::mapping::MAX_LISTED_REJECTIONS);
            prop_assert_eq!(paths, expected.rejected_paths[..listed].to_vec());
            prop_assert_eq!(summary.invalid_sampling, expected.invalid_sampling);
            let weighted: f64 = expected.events.iter().map(|e| e.weight).sum();
            prop_assert!((summary.weighted - weighted).abs() <= 1e-9 * weighted.max(1.0));
        }
    }

    #[test]
    fn logs_decode_to_what_the_rules_say(
        req in logs_request(),
        min_severity in prop_oneof![Just(0), 0i32..25],
        named_only in any::<bool>(),
    ) {
        let selection = LogSelection { min_severity, named_only };
        let expected = expected_logs(&req, &selection);
        for (body, format) in [(req.to_protobuf(), Format::Protobuf), (req.to_json(), Format::Json)] {
            let (events, summary) = events::logs(&body, format, &selection).unwrap();
            prop_assert_eq!(&events, &expected.events, "{:?}", format);
            prop_assert_eq!(summary.counted, expected.events.len() as u64);
            prop_assert_eq!(summary.skipped_by_selection, expected.skipped);
            prop_assert_eq!(summary.rejected, expected.rejected_paths.len() as u64);
            prop_assert_eq!(summary.invalid_sampling, expected.invalid_sampling);
            prop_assert_eq!(
                summary.received,
                summary.counted + summary.skipped_by_selection + summary.rejected
            );
        }
    }

    #[test]
    fn every_prefix_decodes_or_fails_inside_the_body(req in trace_request()) {
        let body = req.to_protobuf();
        for cut in 0..body.len() {
            match events::traces(&body[..cut], Format::Protobuf, &SpanSelection::all()) {
                Ok(_) => {}
                Err(e) => prop_assert!(offset_of(&e) <= cut, "{e} (cut at {cut})"),
            }
        }
    }

    #[test]
    fn corrupted_bodies_never_panic(req in trace_request(), flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4)) {
        let mut body = req.to_protobuf();
        if body.is_empty() {
            return Ok(());
        }
        for (at, byte) in flips {
            let i = at.index(body.len());
            body[i] = byte;
        }
        if let Err(e) = events::traces(&body, Format::Protobuf, &SpanSelection::all()) {
            prop_assert!(offset_of(&e) <= body.len());
        }
        let _ = events::logs(&body, Format::Protobuf, &LogSelection::default());
        let _ = events::traces(&body, Format::Json, &SpanSelection::all());
    }

    #[test]
    fn random_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = events::traces(&body, Format::Protobuf, &SpanSelection::all());
        let _ = events::logs(&body, Format::Protobuf, &LogSelection::default());
    }
}
