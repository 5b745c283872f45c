//! OTLP metrics into a real server: a ratio SLI over an OTLP counter and a
//! latency SLI over a histogram's `le` bucket, both written as Prometheus
//! selectors, fed over HTTP (protobuf, gzip JSON) and gRPC, through
//! cumulative increases, a start-time reset, a value reset, delta points,
//! an exponential histogram and a partial success; then the real
//! OpenTelemetry Python SDK (HTTP and gRPC exporters, delta and cumulative,
//! explicit and exponential buckets). Figures must be exact.

use std::io::Write;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use serde_json::json;
use server::otlp_grpc::{METRICS_EXPORT, RawBytesCodec};

use super::harness::Server;

const SPEC: &str = r#"apiVersion: openslo/v1
kind: SLO
metadata:
  name: pay-availability
spec:
  service: shop
  indicator:
    metadata: {name: otlp-pay-requests}
    spec:
      ratioMetric:
        counter: true
        good:
          metricSource:
            type: lodestar
            spec: {metric: 'shop_requests_total{job="shop",http_route="/pay",code!~"5.."}'}
        total:
          metricSource:
            type: lodestar
            spec: {metric: 'shop_requests_total{job="shop",http_route="/pay"}'}
  timeWindow: [{duration: 1d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{displayName: 99 % of payments succeed, target: 0.99}]
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: pay-latency
spec:
  service: shop
  indicator:
    metadata: {name: otlp-pay-latency}
    spec:
      ratioMetric:
        counter: true
        good:
          metricSource:
            type: lodestar
            spec: {metric: 'shop_request_duration_seconds_bucket{job="shop",le="0.3"}'}
        total:
          metricSource:
            type: lodestar
            spec: {metric: 'shop_request_duration_seconds_count{job="shop"}'}
  timeWindow: [{duration: 1d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{displayName: 90 % of payments within 300 ms, target: 0.9}]
"#;

fn start_server(dir: &std::path::Path) -> Server {
    let config = dir.join("specs");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(config.join("shop.yaml"), SPEC).unwrap();
    Server::start(&dir.join("server"), &config, &[])
}

/// `(good, total)` of an SLO.
/// Good and total as the SLO stands two minutes from now, so points stamped
/// a second or two ahead (in the next minute when the test runs at :59)
/// are inside the window whatever the timing.
fn figures(s: &Server, slo: &str) -> (f64, f64) {
    let at = now_ms() / 1000 + 120;
    let (status, doc) = s.get(&format!("/api/v1/slos/{slo}?at={at}"));
    assert_eq!(status, 200, "{doc}");
    let sli = &doc["objectives"][0]["sli"];
    (
        sli["good"].as_f64().unwrap(),
        sli["total"].as_f64().unwrap(),
    )
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn ns(ms: i64) -> u64 {
    ms as u64 * 1_000_000
}

/// A tiny protobuf writer for export requests.
mod pb {
    pub fn varint(out: &mut Vec<u8>, mut v: u64) {
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }
    pub fn msg(field: u64, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        varint(&mut out, (field << 3) | 2);
        varint(&mut out, payload.len() as u64);
        out.extend_from_slice(payload);
        out
    }
    pub fn fixed(field: u64, v: u64) -> Vec<u8> {
        let mut out = Vec::new();
        varint(&mut out, (field << 3) | 1);
        out.extend_from_slice(&v.to_le_bytes());
        out
    }
    pub fn uint(field: u64, v: u64) -> Vec<u8> {
        let mut out = Vec::new();
        varint(&mut out, field << 3);
        varint(&mut out, v);
        out
    }
    pub fn kv(key: &str, value: &str) -> Vec<u8> {
        [msg(1, key.as_bytes()), msg(2, &msg(1, value.as_bytes()))].concat()
    }
    /// A request from service `shop` holding these `Metric` messages.
    pub fn request(metrics: &[Vec<u8>]) -> Vec<u8> {
        let resource = msg(1, &kv("service.name", "shop"));
        let scope: Vec<u8> = metrics.iter().flat_map(|m| msg(2, m)).collect();
        msg(1, &[msg(1, &resource), msg(2, &scope)].concat())
    }
    /// A monotonic sum metric with one point per `(code, value, start ns)`.
    pub fn counter(temporality: u64, time: u64, points: &[(&str, f64, u64)]) -> Vec<u8> {
        let mut sum: Vec<u8> = points
            .iter()
            .flat_map(|(code, value, start)| {
                let p = [
                    msg(7, &kv("http.route", "/pay")),
                    msg(7, &kv("code", code)),
                    fixed(2, *start),
                    fixed(3, time),
                    fixed(4, value.to_bits()),
                ]
                .concat();
                msg(1, &p)
            })
            .collect();
        sum.extend(uint(2, temporality));
        sum.extend(uint(3, 1));
        [msg(1, b"shop.requests"), msg(3, b"{request}"), msg(7, &sum)].concat()
    }
    /// A cumulative explicit-bucket histogram with bounds 0.1, 0.3 and 1.
    pub fn histogram(time: u64, start: u64, counts: [u64; 4], sum: f64) -> Vec<u8> {
        let packed: Vec<u8> = counts.iter().flat_map(|c| c.to_le_bytes()).collect();
        let bounds: Vec<u8> = [0.1f64, 0.3, 1.0]
            .iter()
            .flat_map(|b| b.to_bits().to_le_bytes())
            .collect();
        let p = [
            msg(9, &kv("http.route", "/pay")),
            fixed(2, start),
            fixed(3, time),
            fixed(4, counts.iter().sum()),
            fixed(5, sum.to_bits()),
            msg(6, &packed),
            msg(7, &bounds),
        ]
        .concat();
        let h = [msg(1, &p), uint(2, 2)].concat();
        [msg(1, b"shop.request.duration"), msg(3, b"s"), msg(9, &h)].concat()
    }
}

fn post(s: &Server, content_type: &str, gzip: bool, body: &[u8]) -> (u16, Vec<u8>) {
    let mut req = s
        .agent
        .post(format!("{}/v1/metrics", s.base))
        .header("Content-Type", content_type);
    let body = if gzip {
        req = req.header("Content-Encoding", "gzip");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(body).unwrap();
        enc.finish().unwrap()
    } else {
        body.to_vec()
    };
    let mut resp = req.send(&body[..]).unwrap();
    (
        resp.status().as_u16(),
        resp.body_mut().read_to_vec().unwrap(),
    )
}

/// One unary metrics export over gRPC; the response message's bytes.
fn grpc_export(s: &Server, message: Vec<u8>) -> Result<Vec<u8>, tonic::Status> {
    let addr = s.grpc.clone().expect("the server serves OTLP/gRPC");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
            .unwrap()
            .connect()
            .await
            .expect("connecting to the OTLP/gRPC listener");
        let mut client = tonic::client::Grpc::new(channel);
        client.ready().await.unwrap();
        let path = tonic::transport::Uri::from_static(METRICS_EXPORT)
            .path_and_query()
            .cloned()
            .unwrap();
        client
            .unary(tonic::Request::new(message), path, RawBytesCodec)
            .await
            .map(|r| r.into_inner().to_vec())
    })
}

/// `ExportMetricsServiceResponse.partial_success` as (rejected, message).
fn partial_success(response: &[u8]) -> (u64, String) {
    fn varint(b: &[u8], i: &mut usize) -> u64 {
        let mut x = 0;
        let mut shift = 0;
        loop {
            let byte = b[*i];
            *i += 1;
            x |= u64::from(byte & 0x7f) << shift;
            if byte < 0x80 {
                return x;
            }
            shift += 7;
        }
    }
    assert_eq!(response.first(), Some(&0x0a), "{response:?}");
    let mut i = 1;
    let len = varint(response, &mut i) as usize;
    let inner = &response[i..i + len];
    let (mut rejected, mut message, mut j) = (0, String::new(), 0);
    while j < inner.len() {
        match inner[j] {
            0x08 => {
                j += 1;
                rejected = varint(inner, &mut j);
            }
            0x12 => {
                j += 1;
                let n = varint(inner, &mut j) as usize;
                message = String::from_utf8(inner[j..j + n].to_vec()).unwrap();
                j += n;
            }
            t => panic!("unexpected tag {t} in {response:?}"),
        }
    }
    (rejected, message)
}

/// Marks the moment the server starts tracking counters (its first ingest
/// call): counters started after it count their first value in full.
fn prime(s: &Server) {
    let (status, body) = post(s, "application/x-protobuf", false, &[]);
    assert_eq!((status, body.len()), (200, 0));
    std::thread::sleep(Duration::from_millis(20));
}

#[test]
fn otlp_counters_and_histograms_feed_slos_over_http_and_grpc() {
    let dir = tempfile::tempdir().unwrap();
    let s = start_server(dir.path());
    prime(&s);
    let t0 = now_ms();
    let (s1, s2) = (ns(t0), ns(t0 + 2500));

    // HTTP protobuf: counters and a histogram that started after the server
    // began tracking count in full.
    let a = pb::request(&[
        pb::counter(2, ns(t0 + 1000), &[("200", 10.0, s1), ("500", 2.0, s1)]),
        pb::histogram(ns(t0 + 1000), s1, [5, 3, 1, 1], 4.0),
    ]);
    let (status, body) = post(&s, "application/x-protobuf", false, &a);
    assert_eq!(
        (status, body.len()),
        (200, 0),
        "full success: an empty answer"
    );
    assert_eq!(figures(&s, "pay-availability"), (10.0, 12.0));
    assert_eq!(figures(&s, "pay-latency"), (8.0, 10.0));

    // HTTP JSON, gzip: cumulative increases, plus a delta exponential
    // histogram of another route (scale 0, buckets (1/16,1/8] … (1/2,1]):
    // le="0.3" counts the zero bucket and the buckets up to 1/4, since
    // (1/4,1/2] straddles 0.3.
    let t = (ns(t0 + 2000)).to_string();
    let start = s1.to_string();
    let point = |code: &str, v: u64| {
        json!({"attributes": [
            {"key": "http.route", "value": {"stringValue": "/pay"}},
            {"key": "code", "value": {"stringValue": code}}],
          "startTimeUnixNano": start, "timeUnixNano": t, "asInt": v.to_string()})
    };
    let b = json!({"resourceMetrics": [{
    "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "shop"}}]},
    "scopeMetrics": [{"metrics": [
        {"name": "shop.requests", "unit": "{request}", "sum": {
            "aggregationTemporality": 2, "isMonotonic": true,
            "dataPoints": [point("200", 15), point("500", 3)]}},
        {"name": "shop.request.duration", "unit": "s", "histogram": {
            "aggregationTemporality": "AGGREGATION_TEMPORALITY_CUMULATIVE",
            "dataPoints": [{"attributes": [{"key": "http.route", "value": {"stringValue": "/pay"}}],
                "startTimeUnixNano": start, "timeUnixNano": t, "count": "12", "sum": 5.0,
                "bucketCounts": ["6", "4", "1", "1"], "explicitBounds": [0.1, 0.3, 1.0]}]}},
        {"name": "shop.request.duration", "unit": "s", "exponentialHistogram": {
            "aggregationTemporality": 1,
            "dataPoints": [{"attributes": [{"key": "http.route", "value": {"stringValue": "/cart"}}],
                "startTimeUnixNano": t, "timeUnixNano": t, "count": "11", "sum": 4.0,
                "scale": 0, "zeroCount": "1",
                "positive": {"offset": -4, "bucketCounts": ["1", "2", "3", "4"]}}]}}
    ]}]}]});
    let (status, body) = post(&s, "application/json", true, b.to_string().as_bytes());
    assert_eq!(
        (status, String::from_utf8_lossy(&body).as_ref()),
        (200, "{}")
    );
    assert_eq!(figures(&s, "pay-availability"), (15.0, 18.0));
    assert_eq!(
        figures(&s, "pay-latency"),
        (8.0 + 2.0 + 4.0, 10.0 + 2.0 + 11.0)
    );

    // gRPC: the 200 counter restarted (a new start time: its value is the
    // increase even though it is not below the last), the 500 counter
    // dropped (a reset), a delta series adds its value; a summary and a NaN
    // point are refused.
    let nan = [
        pb::msg(1, b"shop.requests"),
        pb::msg(
            7,
            &[
                pb::msg(
                    1,
                    &[
                        pb::msg(7, &pb::kv("http.route", "/pay")),
                        pb::fixed(3, ns(t0 + 3000)),
                        pb::fixed(4, f64::NAN.to_bits()),
                    ]
                    .concat(),
                ),
                pb::uint(2, 1),
                pb::uint(3, 1),
            ]
            .concat(),
        ),
    ]
    .concat();
    let summary = [
        pb::msg(1, b"shop.latency.summary"),
        pb::msg(11, &pb::msg(1, &pb::fixed(3, ns(t0 + 3000)))),
    ]
    .concat();
    let c = pb::request(&[
        pb::counter(2, ns(t0 + 3000), &[("200", 4.0, s2), ("500", 1.0, s1)]),
        pb::counter(1, ns(t0 + 3000), &[("201", 3.0, s1)]),
        nan,
        summary,
    ]);
    let response = grpc_export(&s, c).expect("a partial success is an OK answer");
    let (rejected, message) = partial_success(&response);
    assert_eq!(rejected, 2, "{message}");
    assert!(
        message.starts_with("2 of 5 data points rejected: ")
            && message.contains(r#"metric "shop.latency.summary": data point is a summary"#)
            && message.contains("sample value NaN is not a counter value"),
        "{message}"
    );
    assert_eq!(
        figures(&s, "pay-availability"),
        (15.0 + 4.0 + 3.0, 18.0 + 4.0 + 1.0 + 3.0)
    );
    // Resending the same cumulative points (a retry) changes nothing.
    let c2 = pb::request(&[pb::counter(
        2,
        ns(t0 + 3000),
        &[("200", 4.0, s2), ("500", 1.0, s1)],
    )]);
    assert_eq!(grpc_export(&s, c2).map_err(|e| e.code()), Ok(Vec::new()));
    assert_eq!(figures(&s, "pay-availability"), (22.0, 26.0));

    // A body that is not a request is refused whole, in its own encoding.
    let (status, body) = post(&s, "application/json", false, br#"{"resourceMetrics": 3}"#);
    assert_eq!(status, 400);
    let text = String::from_utf8_lossy(&body);
    assert!(text.contains("otlp metrics json body"), "{text}");
}

/// The Python interpreter with the OpenTelemetry SDK and OTLP exporters.
fn otel_python() -> PathBuf {
    let Some(p) = std::env::var_os("LODESTAR_OTEL_PYTHON") else {
        panic!(
            "LODESTAR_OTEL_PYTHON is not set: this test runs the OpenTelemetry Python SDK against \
             the server (see .ci/run for the venv it needs)"
        )
    };
    let p = PathBuf::from(p);
    if p.is_dir() { p.join("bin/python3") } else { p }
}

#[test]
fn the_opentelemetry_python_sdk_exports_metrics_over_http_and_grpc() {
    let python = otel_python();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/otel/send_metrics.py");
    let dir = tempfile::tempdir().unwrap();
    let s = start_server(dir.path());
    prime(&s);
    let grpc = format!("http://{}", s.grpc.clone().unwrap());
    let (mut availability, mut latency) = ((0.0, 0.0), (0.0, 0.0));
    for (protocol, temporality, buckets, ok, errors) in [
        ("http", "cumulative", "explicit", 7u32, 2u32),
        ("grpc", "delta", "explicit", 5, 1),
        ("http", "delta", "exponential", 6, 2),
        ("grpc", "cumulative", "exponential", 9, 3),
    ] {
        let endpoint = if protocol == "grpc" {
            grpc.as_str()
        } else {
            s.base.as_str()
        };
        let out = Command::new(&python)
            .arg(&script)
            .args([protocol, endpoint, temporality, buckets])
            .args([ok.to_string(), errors.to_string()])
            .output()
            .unwrap_or_else(|e| panic!("running {}: {e}", python.display()));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "{protocol} {temporality} {buckets}: the script failed:\n{}\n{stderr}",
            String::from_utf8_lossy(&out.stdout)
        );
        // The script's OK request i takes [0.05, 0.1, 0.25, 0.5][i % 4] s,
        // errors 1.2 s: all but every fourth OK request are within 0.3 s,
        // and 0.25 is a bucket edge at every exponential scale the SDK picks.
        let fast = (0..ok).filter(|i| i % 4 != 3).count() as f64;
        availability.0 += f64::from(ok);
        availability.1 += f64::from(ok + errors);
        latency.0 += fast;
        latency.1 += f64::from(ok + errors);
        let what = format!("after {protocol} {temporality} {buckets}; script said:\n{stderr}");
        assert_eq!(figures(&s, "pay-availability"), availability, "{what}");
        assert_eq!(figures(&s, "pay-latency"), latency, "{what}");
    }
}
