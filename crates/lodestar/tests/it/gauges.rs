//! Gauges into a threshold SLI on a real server: the SLI selects
//! `checkout_queue_depth{job="checkout"}` with a `metric:` selector, and
//! every sample of every selected series, from an OTLP/JSON gauge or a
//! remote-write body alike, is one observation judged against the
//! objective. Figures must be exact: resent points are not observed twice,
//! and series the selector does not match count nowhere.

use serde_json::json;

use super::harness::Server;

const SPEC: &str = r#"apiVersion: openslo/v1
kind: SLO
metadata:
  name: queue-depth
  annotations: {lodestar.dev/owner: payments}
spec:
  service: checkout
  indicator:
    metadata: {name: queue-depth}
    spec:
      thresholdMetric:
        metricSource:
          type: lodestar
          spec:
            metric: 'checkout_queue_depth{job="checkout"}'
            aggregate: max
            segments: [region]
  timeWindow: [{duration: 1d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives:
    - {displayName: queue under 100, op: lt, value: 100, target: 0.99}
"#;

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// Good and total as the SLO stands two minutes from now, so samples
/// stamped near a minute boundary are inside the window whatever the timing.
fn figures(s: &Server) -> (f64, f64) {
    let at = now_ms() / 1000 + 120;
    let (status, doc) = s.get(&format!("/api/v1/slos/queue-depth?at={at}"));
    assert_eq!(status, 200, "{doc}");
    let sli = &doc["objectives"][0]["sli"];
    (
        sli["good"].as_f64().unwrap(),
        sli["total"].as_f64().unwrap(),
    )
}

/// An OTLP/JSON export of one gauge per service: `(service, [(value, ms)])`.
fn otlp_gauges(services: &[(&str, &[(f64, i64)])]) -> Vec<u8> {
    let resource_metrics: Vec<_> = services
        .iter()
        .map(|(service, points)| {
            let points: Vec<_> = points
                .iter()
                .map(|(v, ms)| {
                    json!({"attributes": [{"key": "region", "value": {"stringValue": "eu"}}],
                           "timeUnixNano": (*ms as u64 * 1_000_000).to_string(),
                           "asDouble": v})
                })
                .collect();
            json!({
                "resource": {"attributes": [
                    {"key": "service.name", "value": {"stringValue": service}}]},
                "scopeMetrics": [{"metrics": [
                    {"name": "checkout.queue.depth", "gauge": {"dataPoints": points}}]}]
            })
        })
        .collect();
    json!({ "resourceMetrics": resource_metrics })
        .to_string()
        .into_bytes()
}

fn post(s: &Server, path: &str, headers: &[(&str, &str)], body: &[u8]) -> (u16, String) {
    let mut req = s.agent.post(format!("{}{path}", s.base));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let mut resp = req.send(body).unwrap();
    let status = resp.status().as_u16();
    (status, resp.body_mut().read_to_string().unwrap_or_default())
}

#[test]
fn otlp_and_remote_write_gauges_feed_a_threshold_slo_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("specs");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(config.join("checkout.yaml"), SPEC).unwrap();
    let s = Server::start(&dir.path().join("server"), &config, &[]);
    let t = now_ms();

    // OTLP/JSON: three checkout points (two under 100) and a point of
    // another service, which the selector's job="checkout" leaves out.
    let body = otlp_gauges(&[
        (
            "checkout",
            &[(40.0, t - 30_000), (150.0, t - 20_000), (60.0, t - 10_000)],
        ),
        ("search", &[(5.0, t - 30_000)]),
    ]);
    let json = [("Content-Type", "application/json")];
    let (status, text) = post(&s, "/v1/metrics", &json, &body);
    assert_eq!((status, text.as_str()), (200, "{}"));
    assert_eq!(figures(&s), (2.0, 3.0));

    // A retried export is accepted but observes nothing new.
    let (status, _) = post(&s, "/v1/metrics", &json, &body);
    assert_eq!(status, 200);
    assert_eq!(figures(&s), (2.0, 3.0));

    // Remote write does not say gauge or counter: the SLI's kind decides,
    // so each sample is an observation, not an increase.
    let mut enc = ingest::remote_write::WriteRequestEncoder::new();
    enc.push_series(
        &[
            ("__name__", "checkout_queue_depth"),
            ("job", "checkout"),
            ("region", "us"),
        ],
        &[(10.0, t - 25_000), (300.0, t - 15_000), (0.0, t - 5_000)],
    );
    enc.push_series(
        &[("__name__", "checkout_queue_depth"), ("job", "search")],
        &[(500.0, t - 25_000)],
    );
    let rw = [
        ("Content-Encoding", "snappy"),
        ("Content-Type", "application/x-protobuf"),
    ];
    let (status, text) = post(&s, "/api/v1/write", &rw, &enc.to_snappy());
    assert_eq!((status, text.as_str()), (204, ""));
    assert_eq!(figures(&s), (4.0, 6.0));
}
