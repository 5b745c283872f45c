//! Exemplars end to end: bad events posted to a real server (NDJSON and
//! OTLP/HTTP) come back from `GET /api/v1/slos/{name}/exemplars` with their
//! trace ids, only the bad ones, newest first, and survive a clean restart.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::harness::{Server, minute_ms, specs_dir};

/// An NDJSON event carrying trace and span ids.
fn traced(ts_ms: i64, name: &str, status: &str, duration_ms: f64, trace: &str) -> String {
    format!(
        r#"{{"timestamp":{ts_ms},"name":"{name}","duration_ms":{duration_ms},"status":"{status}","attributes":{{"http.route":"{route}","region":"eu-west","host.name":"web-1","trace_id":"{trace}","span_id":"span-{trace}"}}}}"#,
        route = if name == "GET /search" {
            "/search"
        } else {
            "/pay"
        },
    )
}

/// The exemplars of the first objective of `slo`, after checking the answer.
fn exemplars(s: &Server, slo: &str, query: &str) -> Vec<Value> {
    let (status, doc) = s.get(&format!("/api/v1/slos/{slo}/exemplars{query}"));
    assert_eq!(status, 200, "{doc}");
    assert_eq!(doc["slo"], slo);
    doc["objectives"][0]["exemplars"]
        .as_array()
        .unwrap_or_else(|| panic!("{doc}"))
        .clone()
}

fn trace_ids(list: &[Value]) -> Vec<String> {
    list.iter()
        .map(|e| e["trace_id"].as_str().unwrap_or("").to_owned())
        .collect()
}

#[test]
fn bad_events_become_exemplars_that_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Server::start(dir.path(), &specs_dir(), &[]);
    let t0 = minute_ms(10) + 1_000;
    let mut lines = Vec::new();
    for i in 0..20 {
        let status = if i % 7 == 3 { "error" } else { "ok" };
        lines.push(traced(
            t0 + i * 1_000,
            "POST /pay",
            status,
            20.0,
            &format!("pay-{status}-{i}"),
        ));
    }
    for (i, ms) in [100.0, 250.0, 300.0, 301.0, 450.0, 900.0]
        .into_iter()
        .enumerate()
    {
        lines.push(traced(
            t0 + 60_000 + i as i64 * 1_000,
            "GET /search",
            "ok",
            ms,
            &format!("search-{ms}"),
        ));
    }
    let (status, r) = s.post("/api/v1/events", lines.join("\n").as_bytes());
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["accepted"], 26);

    // pay-availability: the errors only, newest first, with what matters.
    let pay = exemplars(&s, "pay-availability", "");
    assert_eq!(
        trace_ids(&pay),
        ["pay-error-17", "pay-error-10", "pay-error-3"]
    );
    let first = &pay[0];
    assert_eq!(first["status"], "error");
    assert_eq!(first["span_id"], "span-pay-error-17");
    assert_eq!(first["name"], "POST /pay");
    assert_eq!(first["duration_ms"].as_f64(), Some(20.0));
    assert_eq!(
        first["attributes"],
        json!({"region": "eu-west", "http.route": "/pay"}),
        "segment dimensions and drill-down keys, not host.name"
    );
    let expected_time = jiff::Timestamp::from_millisecond(t0 + 17_000)
        .unwrap()
        .to_string();
    assert_eq!(first["time"], expected_time.as_str());

    // search-latency (p95 lte 300 ms): only the events above 300 ms.
    let search = exemplars(&s, "search-latency", "");
    assert_eq!(
        trace_ids(&search),
        ["search-900", "search-450", "search-301"]
    );
    let values: Vec<f64> = search.iter().filter_map(|e| e["value"].as_f64()).collect();
    assert_eq!(values, [900.0, 450.0, 301.0]);

    // Limits and time ranges (epoch seconds or RFC 3339).
    assert_eq!(
        trace_ids(&exemplars(&s, "pay-availability", "?limit=1")),
        ["pay-error-17"]
    );
    let from = (t0 + 5_000) as f64 / 1000.0;
    let to = jiff::Timestamp::from_millisecond(t0 + 12_000).unwrap();
    assert_eq!(
        trace_ids(&exemplars(
            &s,
            "pay-availability",
            &format!("?from={from}&to={to}")
        )),
        ["pay-error-10"]
    );
    let (status, doc) = s.get("/api/v1/slos/pay-availability/exemplars?limit=lots");
    assert_eq!(status, 400, "{doc}");
    let (status, doc) = s.get("/api/v1/slos/no-such-slo/exemplars");
    assert_eq!(status, 404, "{doc}");

    // A clean restart keeps them.
    s.stop();
    assert!(dir.path().join("store/exemplars.json").is_file());
    let s = Server::start(dir.path(), &specs_dir(), &[]);
    assert_eq!(exemplars(&s, "pay-availability", ""), pay);
    assert_eq!(exemplars(&s, "search-latency", ""), search);
}

#[test]
fn otlp_spans_keep_their_trace_ids() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &specs_dir(), &[]);
    let start_ns = (minute_ms(5) + 500) as i128 * 1_000_000;
    let span = |i: u32, status_code: u32| {
        json!({
            "traceId": format!("{:032x}", 0xfeed00 + i),
            "spanId": format!("{:016x}", 0x200 + i),
            "name": "POST /pay",
            "kind": 2,
            "startTimeUnixNano": (start_ns + i as i128 * 1_000_000).to_string(),
            "endTimeUnixNano": (start_ns + i as i128 * 1_000_000 + 25_000_000).to_string(),
            "attributes": [{"key": "http.route", "value": {"stringValue": "/pay"}}],
            "status": {"code": status_code},
        })
    };
    let body = json!({"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "shop"}}]},
        "scopeSpans": [{"spans": [span(0, 0), span(1, 2), span(2, 0), span(3, 2)]}],
    }]});
    let mut resp = s
        .agent
        .post(format!("{}/v1/traces", s.base))
        .header("Content-Type", "application/json")
        .send(body.to_string().as_bytes())
        .unwrap();
    assert_eq!(
        resp.status().as_u16(),
        200,
        "{}",
        resp.body_mut().read_to_string().unwrap_or_default()
    );
    let pay = exemplars(&s, "pay-availability", "");
    let traces: BTreeSet<String> = trace_ids(&pay).into_iter().collect();
    let expected: BTreeSet<String> = [1u32, 3]
        .iter()
        .map(|i| format!("{:032x}", 0xfeed00 + i))
        .collect();
    assert_eq!(traces, expected, "{pay:?}");
    assert_eq!(pay[0]["span_id"], format!("{:016x}", 0x203));
    assert_eq!(pay[0]["attributes"]["service.name"], "shop");
}
