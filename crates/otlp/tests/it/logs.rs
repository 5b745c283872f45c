//! The log mapping rules: name, status from severity, timestamps, duration,
//! attribute order, selection and rejection, in both formats.

use otlp::{Format, LogSelection, Rejection};

use crate::it::encode::*;
use crate::it::events::{self, Owned};

const T0: u64 = 1_738_324_800_000_000_000;

fn record(event_name: &str) -> LogRecord {
    LogRecord {
        time: T0,
        event_name: event_name.into(),
        severity_number: 9,
        ..LogRecord::default()
    }
}

fn request(resource: Attributes, records: Vec<LogRecord>) -> LogsRequest {
    LogsRequest {
        resources: vec![ResourceLogs {
            resource,
            scopes: vec![ScopeLogs {
                scope_attributes: attrs(&[("logger", s("journey"))]),
                records,
            }],
        }],
    }
}

fn decode(req: &LogsRequest, selection: &LogSelection) -> (Vec<Owned>, otlp::DecodeSummary) {
    let (events, summary) = events::logs(&req.to_protobuf(), Format::Protobuf, selection).unwrap();
    let (json_events, json_summary) =
        events::logs(&req.to_json(), Format::Json, selection).unwrap();
    assert_eq!(json_events, events, "json and protobuf disagree");
    assert_eq!(json_summary, summary);
    (events, summary)
}

#[test]
fn the_name_is_the_event_name_then_event_dot_name_then_a_string_body() {
    let mut by_attribute = record("");
    by_attribute.attributes = attrs(&[("event.name", s("checkout_started"))]);
    by_attribute.body = Some(s("ignored"));
    let mut both = record("checkout_completed");
    both.attributes = attrs(&[("event.name", s("other"))]);
    let mut by_body = record("");
    by_body.body = Some(s("user signed in"));
    let mut structured_body = record("");
    structured_body.body = Some(Value::KvList(vec![("step".into(), Value::Int(3))]));
    let nothing = record("");
    let (events, _) = decode(
        &request(
            vec![],
            vec![by_attribute, both, by_body, structured_body, nothing],
        ),
        &LogSelection::default(),
    );
    let names: Vec<_> = events.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "checkout_started",
            "checkout_completed",
            "user signed in",
            "",
            ""
        ]
    );
    assert_eq!(events[3].attr("body"), Some(r#"{"step":3}"#));
}

#[test]
fn severity_error_and_above_is_an_error() {
    let records = [1, 9, 13, 16, 17, 20, 21, 24]
        .map(|n| LogRecord {
            severity_number: n,
            ..record("e")
        })
        .to_vec();
    let (events, _) = decode(&request(vec![], records), &LogSelection::default());
    let errors: Vec<_> = events.iter().map(|e| e.error).collect();
    assert_eq!(errors, [false, false, false, false, true, true, true, true]);
}

#[test]
fn timestamp_falls_back_to_observed_time_and_both_zero_is_rejected() {
    let observed = LogRecord {
        time: 0,
        observed_time: T0 + 42_000_000,
        ..record("observed")
    };
    let both = LogRecord {
        observed_time: T0 + 99_000_000,
        ..record("both")
    };
    let neither = LogRecord {
        time: 0,
        ..record("neither")
    };
    let (events, summary) = decode(
        &request(vec![], vec![observed, both, neither]),
        &LogSelection::default(),
    );
    let times: Vec<_> = events.iter().map(|e| e.timestamp_ms).collect();
    assert_eq!(times, [1_738_324_800_042, 1_738_324_800_000]);
    assert_eq!((summary.counted, summary.rejected), (2, 1));
    assert_eq!(
        summary.rejected_reasons[0].path,
        "resource_logs[0].scope_logs[0].log_records[2]"
    );
    assert_eq!(
        summary.rejected_reasons[0].reason,
        Rejection::MissingTimestamp
    );
    assert!(
        summary
            .error_message()
            .unwrap()
            .starts_with("1 of 3 log records rejected: resource_logs[0]")
    );
}

#[test]
fn duration_from_a_numeric_duration_ms_attribute() {
    let with = |v: Value| LogRecord {
        attributes: vec![("duration_ms".into(), v)],
        ..record("d")
    };
    let records = vec![
        with(Value::Int(1200)),
        with(Value::Double(35.5)),
        with(s("7.25")),
        with(Value::Int(-1)),
        with(s("slow")),
        record("none"),
    ];
    let (events, _) = decode(&request(vec![], records), &LogSelection::default());
    let durations: Vec<_> = events.iter().map(|e| e.duration_ms).collect();
    assert_eq!(
        durations,
        [Some(1200.0), Some(35.5), Some(7.25), None, None, None]
    );
}

#[test]
fn attributes_in_order_with_ids_severity_body_and_service() {
    let r = LogRecord {
        severity_text: "INFO".into(),
        body: Some(s("done")),
        attributes: attrs(&[
            ("cart.value", Value::Double(99.5)),
            ("sample_rate", Value::Int(4)),
        ]),
        trace_id: vec![0x11; 16],
        span_id: vec![0x22; 8],
        ..record("checkout_completed")
    };
    let (events, summary) = decode(
        &request(attrs(&[("service.name", s("web"))]), vec![r]),
        &LogSelection::default(),
    );
    let ev = &events[0];
    assert_eq!(
        ev.attributes,
        [
            ("service.name", "web"),
            ("logger", "journey"),
            ("cart.value", "99.5"),
            ("sample_rate", "4"),
            ("trace_id", "11111111111111111111111111111111"),
            ("span_id", "2222222222222222"),
            ("severity_text", "INFO"),
            ("body", "done"),
            ("service.name", "web"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
    );
    assert_eq!(ev.weight, 4.0);
    assert_eq!((summary.counted, summary.weighted), (1, 4.0));
}

#[test]
fn selection_by_severity_and_by_name() {
    let records = vec![
        LogRecord {
            severity_number: 5,
            ..record("debug_event")
        },
        LogRecord {
            body: Some(s("free text")),
            ..record("")
        },
        record("checkout_completed"),
        LogRecord {
            attributes: attrs(&[("event.name", s("checkout_started"))]),
            ..record("")
        },
    ];
    let req = request(vec![], records);
    let (events, summary) = decode(
        &req,
        &LogSelection {
            min_severity: 9,
            named_only: false,
        },
    );
    assert_eq!(events.len(), 3);
    assert_eq!(summary.skipped_by_selection, 1);
    let (events, summary) = decode(
        &req,
        &LogSelection {
            min_severity: 0,
            named_only: true,
        },
    );
    let names: Vec<_> = events.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        ["debug_event", "checkout_completed", "checkout_started"]
    );
    assert_eq!((summary.received, summary.skipped_by_selection), (4, 1));
}
