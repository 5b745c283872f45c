//! OTLP/JSON as exporters write it, and the liberties the protobuf JSON
//! mapping allows: snake_case names, enum names, numbers for 64-bit
//! integers, uppercase hex, nulls and unknown fields.

use otlp::{Format, LogSelection, OtlpError, SpanSelection};

use crate::it::events::{self, Owned};

/// The shape of the OTLP specification's JSON example, with a server span.
const TRACES: &str = r#"{
  "resourceSpans": [{
    "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "my.service"}}]},
    "scopeSpans": [{
      "scope": {"name": "my.library", "version": "1.0.0",
                "attributes": [{"key": "my.scope.attribute", "value": {"stringValue": "some scope attribute"}}]},
      "spans": [{
        "traceId": "5B8EFFF798038103D269B633813FC60C",
        "spanId": "EEE19B7EC3C1B174",
        "parentSpanId": "EEE19B7EC3C1B173",
        "name": "I'm a server span",
        "startTimeUnixNano": "1544712660000000000",
        "endTimeUnixNano": "1544712661000000000",
        "kind": 2,
        "traceState": "ot=th:c",
        "attributes": [
          {"key": "my.span.attr", "value": {"stringValue": "some value"}},
          {"key": "http.response.status_code", "value": {"intValue": "503"}},
          {"key": "retries", "value": {"intValue": 2}},
          {"key": "ratio", "value": {"doubleValue": 0.5}},
          {"key": "cached", "value": {"boolValue": false}},
          {"key": "tags", "value": {"arrayValue": {"values": [{"stringValue": "a"}, {"intValue": "1"}]}}}
        ],
        "status": {"message": "", "code": 0},
        "events": [{"timeUnixNano": "1544712660500000000", "name": "ignored"}],
        "droppedAttributesCount": 0,
        "flags": 257
      }]
    }]
  }]
}"#;

fn expected() -> Owned {
    Owned {
        timestamp_ms: 1_544_712_660_000,
        name: "I'm a server span".into(),
        duration_ms: Some(1000.0),
        error: true,
        weight: 4.0,
        attributes: [
            ("service.name", "my.service"),
            ("my.scope.attribute", "some scope attribute"),
            ("my.span.attr", "some value"),
            ("http.response.status_code", "503"),
            ("retries", "2"),
            ("ratio", "0.5"),
            ("cached", "false"),
            ("tags", r#"["a",1]"#),
            ("trace_id", "5b8efff798038103d269b633813fc60c"),
            ("span_id", "eee19b7ec3c1b174"),
            ("span.kind", "server"),
            ("service.name", "my.service"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .to_vec(),
    }
}

#[test]
fn the_specification_example_shape() {
    let (events, summary) =
        events::traces(TRACES.as_bytes(), Format::Json, &SpanSelection::default()).unwrap();
    assert_eq!(events, [expected()]);
    assert_eq!((summary.counted, summary.weighted), (1, 4.0));
}

#[test]
fn proto_field_names_enum_names_numbers_and_nulls_mean_the_same() {
    let liberal = TRACES
        .replace("\"resourceSpans\"", "\"resource_spans\"")
        .replace("\"scopeSpans\"", "\"scope_spans\"")
        .replace("\"traceId\"", "\"trace_id\"")
        .replace(
            "\"startTimeUnixNano\": \"1544712660000000000\"",
            "\"start_time_unix_nano\": 1544712660000000000",
        )
        .replace(
            "\"endTimeUnixNano\": \"1544712661000000000\"",
            "\"endTimeUnixNano\": 1544712661000000000",
        )
        .replace("\"kind\": 2", "\"kind\": \"SPAN_KIND_SERVER\"")
        .replace(
            "\"code\": 0",
            "\"code\": \"STATUS_CODE_UNSET\", \"extra\": null",
        )
        .replace(
            "\"status\":",
            "\"unknownField\": {\"nested\": [1, 2]}, \"links\": null, \"status\":",
        );
    assert_ne!(liberal, TRACES);
    let (events, _) =
        events::traces(liberal.as_bytes(), Format::Json, &SpanSelection::default()).unwrap();
    assert_eq!(events, [expected()]);
}

#[test]
fn empty_and_null_requests() {
    for body in [
        "{}",
        r#"{"resourceSpans": null}"#,
        r#"{"resourceSpans": []}"#,
        r#"{"resourceSpans": [{}]}"#,
    ] {
        let (events, summary) =
            events::traces(body.as_bytes(), Format::Json, &SpanSelection::all()).unwrap();
        assert!(events.is_empty(), "{body}");
        assert_eq!(summary.received, 0, "{body}");
    }
}

#[test]
fn escaped_strings_decode() {
    let body = TRACES.replace("I'm a server span", "I\\u2019m \\\"quoted\\\"");
    let (events, _) =
        events::traces(body.as_bytes(), Format::Json, &SpanSelection::default()).unwrap();
    assert_eq!(events[0].name, "I\u{2019}m \"quoted\"");
}

#[test]
fn logs_in_json() {
    let body = r#"{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"web"}}]},
      "scopeLogs":[{"scope":{},"logRecords":[
        {"timeUnixNano":"1544712660300000000","severityNumber":"SEVERITY_NUMBER_ERROR","severityText":"Error",
         "eventName":"checkout_failed","body":{"stringValue":"card declined"},
         "attributes":[{"key":"duration_ms","value":{"doubleValue":812.5}}],
         "traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174"},
        {"observedTimeUnixNano":1544712660400000000,"severityNumber":9,"body":{"stringValue":"checkout_completed"}}
      ]}]}]}"#;
    let (events, _) =
        events::logs(body.as_bytes(), Format::Json, &LogSelection::default()).unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].name, "checkout_failed");
    assert!(events[0].error);
    assert_eq!(events[0].duration_ms, Some(812.5));
    assert_eq!(events[0].attr("severity_text"), Some("Error"));
    assert_eq!(events[0].attr("body"), Some("card declined"));
    assert_eq!(events[1].name, "checkout_completed");
    assert_eq!(events[1].timestamp_ms, 1_544_712_660_400);
    assert!(!events[1].error);
}

#[test]
fn bad_values_name_their_json_path() {
    let cases = [
        (
            TRACES.replace("\"EEE19B7EC3C1B174\"", "\"not-hex\""),
            "resourceSpans[0].scopeSpans[0].spans[0].spanId",
            "not hex",
        ),
        (
            TRACES.replace("\"kind\": 2", "\"kind\": \"SERVER\""),
            "resourceSpans[0].scopeSpans[0].spans[0].kind",
            "SERVER",
        ),
        (
            TRACES.replace("\"1544712661000000000\"", "\"soon\""),
            "resourceSpans[0].scopeSpans[0].spans[0].endTimeUnixNano",
            "soon",
        ),
        (
            TRACES.replace("{\"intValue\": 2}", "{\"intValue\": 2.5}"),
            "resourceSpans[0].scopeSpans[0].spans[0].attributes[2].value.intValue",
            "2.5",
        ),
    ];
    for (body, path, mentions) in cases {
        let e =
            events::traces(body.as_bytes(), Format::Json, &SpanSelection::default()).unwrap_err();
        let OtlpError::Json {
            path: p,
            message,
            line,
            ..
        } = &e
        else {
            panic!("{e}")
        };
        assert_eq!(p, path, "{e}");
        assert!(message.contains(mentions), "{e}");
        assert!(*line > 1, "{e}");
        assert!(
            e.to_string()
                .starts_with(&format!("otlp traces json body: {path}: ")),
            "{e}"
        );
    }
    let e = events::traces(
        b"{\"resourceSpans\": [",
        Format::Json,
        &SpanSelection::default(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("EOF"), "{e}");
}
