//! OTLP/HTTP into a real server: spans and log records become events that
//! the same SLIs count, with span selection, the HTTP 5xx rule, sampling
//! weights from tracestate, partial success and OTLP error answers.

use serde_json::{Value, json};

use super::harness::{Server, minute_ms, specs_dir};

#[allow(clippy::too_many_arguments)] // one argument per OTLP span field the tests vary
fn span(
    i: u32,
    name: &str,
    kind: u32,
    parent: Option<&str>,
    attrs: Value,
    status_code: u32,
    start_ms: i64,
    trace_state: &str,
) -> Value {
    let start_ns = start_ms as i128 * 1_000_000;
    let mut s = json!({
        "traceId": format!("{:032x}", 0xabc000 + i),
        "spanId": format!("{:016x}", 0x100 + i),
        "name": name,
        "kind": kind,
        "startTimeUnixNano": start_ns.to_string(),
        "endTimeUnixNano": (start_ns + 25_000_000).to_string(),
        "attributes": attrs,
        "status": {"code": status_code},
    });
    if let Some(p) = parent {
        s["parentSpanId"] = json!(p);
    }
    if !trace_state.is_empty() {
        s["traceState"] = json!(trace_state);
    }
    s
}

fn route(code: i64) -> Value {
    json!([
        {"key": "http.route", "value": {"stringValue": "/pay"}},
        {"key": "http.response.status_code", "value": {"intValue": code.to_string()}},
    ])
}

fn post(s: &Server, path: &str, content_type: &str, body: &[u8]) -> (u16, String) {
    let (status, bytes) = post_bytes(s, path, content_type, body);
    (status, String::from_utf8(bytes).expect("a JSON answer"))
}

fn post_bytes(s: &Server, path: &str, content_type: &str, body: &[u8]) -> (u16, Vec<u8>) {
    let mut resp = s
        .agent
        .post(format!("{}{}", s.base, path))
        .header("Content-Type", content_type)
        .send(body)
        .unwrap();
    (
        resp.status().as_u16(),
        resp.body_mut().read_to_vec().unwrap(),
    )
}

#[test]
fn spans_and_logs_count_like_events() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &specs_dir(), &[]);
    let t = minute_ms(10) + 500;
    let mut spans = Vec::new();
    for i in 0..7 {
        spans.push(span(i, "POST /pay", 2, None, route(200), 0, t, ""));
    }
    spans.push(span(7, "POST /pay", 2, None, route(503), 0, t, "")); // 5xx on a SERVER span: error
    spans.push(span(8, "POST /pay", 2, None, route(502), 0, t, ""));
    spans.push(span(9, "POST /pay", 2, None, route(200), 2, t, "")); // span status ERROR
    spans.push(span(10, "POST /pay", 2, None, route(200), 0, t, "ot=th:8")); // sampled at 1/2: weight 2
    spans.push(span(
        11,
        "charge",
        3,
        Some("0000000000000101"),
        route(503),
        0,
        t,
        "",
    )); // CLIENT child: not selected
    spans.push(span(
        12,
        "POST /pay",
        2,
        None,
        route(200),
        0,
        minute_ms(40 * 1440),
        "",
    )); // older than retention
    let body = json!({"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "shop"}},
                                    {"key": "region", "value": {"stringValue": "eu-west"}}]},
        "scopeSpans": [{"scope": {"name": "test"}, "spans": spans}],
    }]});
    let (status, answer) = post(
        &s,
        "/v1/traces",
        "application/json",
        body.to_string().as_bytes(),
    );
    assert_eq!(status, 200, "{answer}");
    let answer: Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(answer["partialSuccess"]["rejectedSpans"], "1", "{answer}");
    assert!(
        answer["partialSuccess"]["errorMessage"]
            .as_str()
            .unwrap()
            .contains("older than the retention")
    );

    // A log record with ERROR severity on the same route is a bad event.
    let logs = json!({"resourceLogs": [{"resource": {"attributes": []}, "scopeLogs": [{"logRecords": [{
        "timeUnixNano": ((t as i128) * 1_000_000).to_string(),
        "severityNumber": 17,
        "body": {"stringValue": "payment declined"},
        "attributes": [{"key": "http.route", "value": {"stringValue": "/pay"}}],
    }]}]}]});
    let (status, answer) = post(
        &s,
        "/v1/logs",
        "application/json",
        logs.to_string().as_bytes(),
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer, "{}", "a full success leaves partial_success unset");

    let (_, doc) = s.get("/api/v1/slos/pay-availability");
    let sli = &doc["objectives"][0]["sli"];
    // 7 ok + 2 (weight 2) good; 2 5xx + 1 ERROR span + 1 error log bad.
    assert_eq!(sli["good"].as_f64(), Some(9.0), "{doc}");
    assert_eq!(sli["total"].as_f64(), Some(13.0), "{doc}");
    assert_eq!(sli["raw_total"].as_u64(), Some(12));
    // The resource attribute reached the segment.
    let (_, seg) = s.get("/api/v1/slos/pay-availability/segments");
    let values: Vec<&str> = seg["objectives"][0]["dimensions"][0]["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["value"].as_str().unwrap())
        .collect();
    assert_eq!(values, ["eu-west", "none"], "{seg}");
    let metrics = s.get_text("/metrics");
    assert!(
        metrics.contains("lodestar_ingest_events_total{source=\"otlp\",result=\"accepted\"} 12\n"),
        "{metrics}"
    );
}

#[test]
fn bad_bodies_get_otlp_status_answers() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &specs_dir(), &[]);
    // Truncated protobuf: field 1 (resource_spans) says 100 bytes, has 1.
    let (status, body) = post_bytes(&s, "/v1/traces", "application/x-protobuf", &[0x0a, 100, 0]);
    assert_eq!(status, 400);
    // google.rpc.Status { code = 3 (INVALID_ARGUMENT), message = ... }
    assert!(body.starts_with(&[0x08, 3, 0x12]), "{body:?}");
    let (status, body) = post(
        &s,
        "/v1/traces",
        "application/json",
        b"{\"resourceSpans\": 7}",
    );
    assert_eq!(status, 400);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["code"], 3);
    assert!(!v["message"].as_str().unwrap().is_empty());
    let (status, _) = post(&s, "/v1/traces", "text/plain", b"hello");
    assert_eq!(status, 415);
    // An empty protobuf request is a valid, empty export.
    let (status, body) = post_bytes(&s, "/v1/traces", "application/x-protobuf", b"");
    assert_eq!(status, 200);
    assert!(body.is_empty());
}
