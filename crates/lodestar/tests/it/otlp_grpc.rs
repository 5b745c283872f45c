//! OTLP over gRPC into a real server, spoken with tonic's client and the
//! server's own raw-bytes codec over hand-encoded protobuf: spans and log
//! records feed the SLO exactly like OTLP/HTTP, rejected items come back as
//! a partial success, and every refusal has the status code OTLP clients
//! act on. A second test drives the real OpenTelemetry Python SDK through
//! its gRPC and HTTP exporters.

use std::path::PathBuf;
use std::process::Command;

use server::otlp_grpc::{LOGS_EXPORT, METRICS_EXPORT, RawBytesCodec, TRACE_EXPORT};
use tonic::Code;
use tonic::codec::CompressionEncoding;

use super::harness::{Server, bin, minute_ms, specs_dir};

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn bytes_field(out: &mut Vec<u8>, number: u64, bytes: &[u8]) {
    varint(out, number << 3 | 2);
    varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn varint_field(out: &mut Vec<u8>, number: u64, v: u64) {
    varint(out, number << 3);
    varint(out, v);
}

fn fixed64_field(out: &mut Vec<u8>, number: u64, v: u64) {
    varint(out, number << 3 | 1);
    out.extend_from_slice(&v.to_le_bytes());
}

enum Val<'a> {
    Str(&'a str),
    Int(i64),
}

/// A `KeyValue` with its `AnyValue`.
fn attribute(key: &str, value: Val<'_>) -> Vec<u8> {
    let mut any = Vec::new();
    match value {
        Val::Str(s) => bytes_field(&mut any, 1, s.as_bytes()),
        Val::Int(i) => varint_field(&mut any, 3, i as u64),
    }
    let mut kv = Vec::new();
    bytes_field(&mut kv, 1, key.as_bytes());
    bytes_field(&mut kv, 2, &any);
    kv
}

fn resource() -> Vec<u8> {
    let mut r = Vec::new();
    bytes_field(&mut r, 1, &attribute("service.name", Val::Str("shop")));
    bytes_field(&mut r, 1, &attribute("region", Val::Str("eu-west")));
    r
}

/// A SERVER span on `/pay` answering `http_status`; without times when
/// `at_ms` is None (the decoder rejects it).
fn pay_span(i: u8, at_ms: Option<i64>, http_status: i64) -> Vec<u8> {
    let mut s = Vec::new();
    bytes_field(&mut s, 1, &[i; 16]);
    bytes_field(&mut s, 2, &[i; 8]);
    bytes_field(&mut s, 5, b"POST /pay");
    varint_field(&mut s, 6, 2); // SPAN_KIND_SERVER
    if let Some(ms) = at_ms {
        let ns = ms as u64 * 1_000_000;
        fixed64_field(&mut s, 7, ns);
        fixed64_field(&mut s, 8, ns + 25_000_000);
    }
    bytes_field(&mut s, 9, &attribute("http.route", Val::Str("/pay")));
    bytes_field(
        &mut s,
        9,
        &attribute("http.response.status_code", Val::Int(http_status)),
    );
    s
}

/// An `ExportTraceServiceRequest` of one resource with these spans.
fn trace_request(spans: &[Vec<u8>]) -> Vec<u8> {
    let mut scope = Vec::new();
    for s in spans {
        bytes_field(&mut scope, 2, s);
    }
    let mut rs = Vec::new();
    bytes_field(&mut rs, 1, &resource());
    bytes_field(&mut rs, 2, &scope);
    let mut req = Vec::new();
    bytes_field(&mut req, 1, &rs);
    req
}

/// An `ExportLogsServiceRequest` with one ERROR record on `/pay`.
fn error_log_request(at_ms: i64) -> Vec<u8> {
    let mut rec = Vec::new();
    fixed64_field(&mut rec, 1, at_ms as u64 * 1_000_000);
    varint_field(&mut rec, 2, 17); // SEVERITY_NUMBER_ERROR
    let mut body = Vec::new();
    bytes_field(&mut body, 1, b"payment declined");
    bytes_field(&mut rec, 5, &body);
    bytes_field(&mut rec, 6, &attribute("http.route", Val::Str("/pay")));
    let mut scope = Vec::new();
    bytes_field(&mut scope, 2, &rec);
    let mut rl = Vec::new();
    bytes_field(&mut rl, 1, &resource());
    bytes_field(&mut rl, 2, &scope);
    let mut req = Vec::new();
    bytes_field(&mut req, 1, &rl);
    req
}

/// `(rejected, error_message)` of an `Export…ServiceResponse`; `None` when
/// `partial_success` is unset (full success).
fn partial_success(response: &[u8]) -> Option<(u64, String)> {
    fn read_varint(b: &[u8], at: &mut usize) -> u64 {
        let (mut v, mut shift) = (0u64, 0);
        loop {
            let byte = b[*at];
            *at += 1;
            v |= u64::from(byte & 0x7f) << shift;
            if byte < 0x80 {
                return v;
            }
            shift += 7;
        }
    }
    if response.is_empty() {
        return None;
    }
    let mut at = 0;
    assert_eq!(read_varint(response, &mut at), 1 << 3 | 2, "{response:?}");
    let len = read_varint(response, &mut at) as usize;
    let inner = &response[at..at + len];
    assert_eq!(at + len, response.len(), "{response:?}");
    let (mut rejected, mut message) = (0, String::new());
    let mut i = 0;
    while i < inner.len() {
        match read_varint(inner, &mut i) {
            0x08 => rejected = read_varint(inner, &mut i),
            0x12 => {
                let n = read_varint(inner, &mut i) as usize;
                message = String::from_utf8(inner[i..i + n].to_vec()).unwrap();
                i += n;
            }
            tag => panic!("unexpected field tag {tag} in {response:?}"),
        }
    }
    Some((rejected, message))
}

/// One unary export over a fresh connection; the response message's bytes.
fn export(
    s: &Server,
    path: &'static str,
    message: Vec<u8>,
    token: Option<&str>,
    gzip: bool,
) -> Result<Vec<u8>, tonic::Status> {
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
        if gzip {
            client = client.send_compressed(CompressionEncoding::Gzip);
        }
        client.ready().await.unwrap();
        let mut request = tonic::Request::new(message);
        if let Some(t) = token {
            request
                .metadata_mut()
                .insert("authorization", format!("Bearer {t}").parse().unwrap());
        }
        let path = tonic::transport::Uri::from_static(path)
            .path_and_query()
            .cloned()
            .unwrap();
        client
            .unary(request, path, RawBytesCodec)
            .await
            .map(|r| r.into_inner().to_vec())
    })
}

/// `(good, total, raw_total)` of the `pay-availability` SLI.
fn pay_figures(s: &Server) -> (f64, f64, u64) {
    let (status, doc) = s.get("/api/v1/slos/pay-availability");
    assert_eq!(status, 200, "{doc}");
    let sli = &doc["objectives"][0]["sli"];
    (
        sli["good"].as_f64().unwrap(),
        sli["total"].as_f64().unwrap(),
        sli["raw_total"].as_u64().unwrap(),
    )
}

#[test]
fn spans_and_logs_over_grpc_feed_the_slo() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &specs_dir(), &[]);
    let t = minute_ms(10) + 500;
    let mut spans: Vec<Vec<u8>> = (0..7).map(|i| pay_span(i, Some(t), 200)).collect();
    spans.push(pay_span(7, Some(t), 503)); // 5xx on a SERVER span: bad
    spans.push(pay_span(8, Some(t), 500));
    spans.push(pay_span(9, None, 200)); // no times: rejected
    let answer = export(&s, TRACE_EXPORT, trace_request(&spans), None, false).unwrap();
    let (rejected, message) = partial_success(&answer).expect("a partial success");
    assert_eq!(rejected, 1);
    assert!(message.contains("rejected by the decoder"), "{message}");
    assert_eq!(pay_figures(&s), (7.0, 9.0, 9));

    // gzip-compressed messages (grpc-encoding: gzip), and a full success.
    let more: Vec<Vec<u8>> = (10..13).map(|i| pay_span(i, Some(t), 201)).collect();
    let answer = export(&s, TRACE_EXPORT, trace_request(&more), None, true).unwrap();
    assert_eq!(partial_success(&answer), None);
    assert_eq!(pay_figures(&s), (10.0, 12.0, 12));

    // An ERROR log record on the route is a bad event.
    let answer = export(&s, LOGS_EXPORT, error_log_request(t), None, false).unwrap();
    assert_eq!(partial_success(&answer), None);
    assert_eq!(pay_figures(&s), (10.0, 13.0, 13));

    // The same figures as OTLP/HTTP: the counters agree.
    let metrics = s.get_text("/metrics");
    assert!(
        metrics.contains("lodestar_ingest_events_total{source=\"otlp\",result=\"accepted\"} 13\n"),
        "{metrics}"
    );
}

#[test]
fn refusals_carry_the_otlp_status_codes() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = dir.path().join("tokens");
    std::fs::write(
        &tokens,
        "ingest-token-0123456789 ingest\nread-token-0123456789 read\n",
    )
    .unwrap();
    let s = Server::start(
        dir.path(),
        &specs_dir(),
        &[
            "--auth-token-file",
            tokens.to_str().unwrap(),
            "--max-body-bytes",
            "4096",
        ],
    );
    let t = minute_ms(5);
    let ok = || trace_request(&[pay_span(1, Some(t), 200)]);
    let code = |r: Result<Vec<u8>, tonic::Status>| r.map(|_| ()).map_err(|e| e.code());
    let ingest = Some("ingest-token-0123456789");

    assert_eq!(
        code(export(&s, TRACE_EXPORT, ok(), None, false)),
        Err(Code::Unauthenticated)
    );
    assert_eq!(
        code(export(
            &s,
            TRACE_EXPORT,
            ok(),
            Some("read-token-0123456789"),
            false
        )),
        Err(Code::PermissionDenied)
    );
    // Truncated protobuf: field 1 (resource_spans) says 100 bytes, has 1.
    let garbage = export(&s, TRACE_EXPORT, vec![0x0a, 100, 0], ingest, false).unwrap_err();
    assert_eq!(garbage.code(), Code::InvalidArgument, "{garbage:?}");
    assert!(!garbage.message().is_empty());
    // Metrics are served too (figures in otlp_metrics.rs): an empty export is a full success.
    let metrics = export(&s, METRICS_EXPORT, Vec::new(), ingest, false);
    assert_eq!(metrics.map_err(|e| e.code()), Ok(Vec::new()));
    // Over the body limit, plain or compressed (zeros compress very well).
    let big: Vec<Vec<u8>> = (0..200).map(|i| pay_span(i, Some(t), 200)).collect();
    let big = trace_request(&big);
    assert!(big.len() > 4096);
    let over = export(&s, TRACE_EXPORT, big.clone(), ingest, false).unwrap_err();
    assert_eq!(over.code(), Code::ResourceExhausted, "{over:?}");
    assert!(over.message().contains("4096"), "{over:?}");
    assert_eq!(
        code(export(&s, TRACE_EXPORT, big, ingest, true)),
        Err(Code::ResourceExhausted)
    );
    // Nothing of the refused requests was stored; a good one is.
    assert_eq!(code(export(&s, TRACE_EXPORT, ok(), ingest, false)), Ok(()));
    let mut s = s;
    s.token = Some("read-token-0123456789".into());
    assert_eq!(pay_figures(&s), (1.0, 1.0, 1));
}

#[test]
fn grpc_can_be_turned_off_and_is_not_exposed_without_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir.path().join("off"), &specs_dir(), &["--no-otlp-grpc"]);
    assert_eq!(s.grpc, None);
    drop(s);
    let out = Command::new(bin())
        .args(["serve", "--otlp-grpc-listen", "0.0.0.0:0", "--config"])
        .arg(specs_dir())
        .arg("--data")
        .arg(dir.path().join("exposed"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--otlp-grpc-listen 0.0.0.0:0 is not a loopback address")
            && err.contains("--auth-token-file"),
        "{err}"
    );
}

/// The Python interpreter with the OpenTelemetry SDK and OTLP exporters.
fn otel_python() -> PathBuf {
    let Some(p) = std::env::var_os("LODESTAR_OTEL_PYTHON") else {
        panic!(
            "LODESTAR_OTEL_PYTHON is not set: this test runs the OpenTelemetry Python SDK against \
             the server. Set it up with\n  python3 -m venv /tmp/otel-venv && /tmp/otel-venv/bin/pip \
             install opentelemetry-sdk opentelemetry-exporter-otlp-proto-grpc \
             opentelemetry-exporter-otlp-proto-http\n  export LODESTAR_OTEL_PYTHON=/tmp/otel-venv/bin/python3"
        )
    };
    let p = PathBuf::from(p);
    if p.is_dir() { p.join("bin/python3") } else { p }
}

#[test]
fn the_opentelemetry_python_sdk_exports_over_grpc_and_http() {
    let python = otel_python();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/otel/send_spans.py");
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &specs_dir(), &[]);
    let grpc = format!("http://{}", s.grpc.clone().unwrap());
    let mut expected = (0.0, 0.0, 0);
    for (protocol, endpoint, ok, errors) in [
        ("grpc", grpc.as_str(), 9u32, 2u32),
        ("grpc-gzip", grpc.as_str(), 5, 1),
        ("http", s.base.as_str(), 6, 3),
    ] {
        let out = Command::new(&python)
            .arg(&script)
            .args([protocol, endpoint, &ok.to_string(), &errors.to_string()])
            .output()
            .unwrap_or_else(|e| panic!("running {}: {e}", python.display()));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "{protocol}: the script failed:\n{}\n{stderr}",
            String::from_utf8_lossy(&out.stdout)
        );
        expected.0 += f64::from(ok);
        expected.1 += f64::from(ok + errors);
        expected.2 += u64::from(ok + errors);
        assert_eq!(
            pay_figures(&s),
            expected,
            "after {protocol}; script said:\n{stderr}"
        );
    }
}
