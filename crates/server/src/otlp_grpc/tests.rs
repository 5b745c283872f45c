use std::collections::VecDeque;
use std::io::Write;

use http_body_util::BodyExt;
use tower::ServiceExt;

use super::*;
use crate::auth::Tokens;
use crate::catalog::Catalog;
use crate::state::{Limits, ServerOptions, SystemClock};

const SPECS: &str = r#"
apiVersion: openslo/v1
kind: Service
metadata:
  name: shop
spec: {}
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: pay-availability
spec:
  service: shop
  indicator:
    metadata:
      name: pay-requests
    spec:
      ratioMetric:
        counter: false
        good:
          metricSource:
            type: lodestar
            spec:
              filter: 'status == "ok"'
        total:
          metricSource:
            type: lodestar
            spec:
              filter: 'attributes["http.route"] == "/pay"'
  timeWindow:
    - duration: 28d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - target: 0.99
"#;

const INGEST_TOKEN: &str = "ingest-token-0123456789";
const READ_TOKEN: &str = "read-token-0123456789";

fn state(dir: &std::path::Path, tokens: bool, limits: Limits) -> Arc<AppState> {
    let (store, _) = store::Store::open(store::StoreConfig {
        dir: dir.to_path_buf(),
        retention_minutes: 35 * 1440,
        ..store::StoreConfig::default()
    })
    .unwrap();
    let catalog = Catalog::from_sources(&[("specs.yaml".into(), SPECS.into())], false).unwrap();
    let tokens = tokens.then(|| {
        Tokens::parse(
            "tokens",
            &format!("{INGEST_TOKEN} ingest\n{READ_TOKEN} read\n"),
        )
        .unwrap()
    });
    let options = ServerOptions {
        tokens,
        limits,
        retention_minutes: 35 * 1440,
        ..ServerOptions::default()
    };
    Arc::new(AppState::new(
        Arc::new(store),
        catalog,
        options,
        Arc::new(SystemClock),
    ))
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn field(out: &mut Vec<u8>, number: u32, bytes: &[u8]) {
    varint(out, u64::from(number) << 3 | 2);
    varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// An `ExportTraceServiceRequest` with one SERVER span on `/pay`, or
/// without start and end times (which the decoder rejects).
fn trace_request(with_times: bool) -> Vec<u8> {
    let now_ns = jiff::Timestamp::now().as_nanosecond() as u64;
    let mut attr_value = Vec::new();
    field(&mut attr_value, 1, b"/pay"); // AnyValue.string_value
    let mut attr = Vec::new();
    field(&mut attr, 1, b"http.route");
    field(&mut attr, 2, &attr_value);
    let mut span = Vec::new();
    field(&mut span, 1, &[0xab; 16]); // trace_id
    field(&mut span, 2, &[0xcd; 8]); // span_id
    field(&mut span, 5, b"POST /pay");
    span.extend_from_slice(&[6 << 3, 2]); // kind = SERVER
    if with_times {
        span.push(7 << 3 | 1); // start_time_unix_nano, fixed64
        span.extend_from_slice(&(now_ns - 20_000_000).to_le_bytes());
        span.push(8 << 3 | 1);
        span.extend_from_slice(&now_ns.to_le_bytes());
    }
    field(&mut span, 9, &attr);
    let mut scope_spans = Vec::new();
    field(&mut scope_spans, 2, &span);
    let mut resource_spans = Vec::new();
    field(&mut resource_spans, 2, &scope_spans);
    let mut request = Vec::new();
    field(&mut request, 1, &resource_spans);
    request
}

/// A body delivered in the given frames, to split the gRPC prefix anywhere.
struct Frames(VecDeque<Bytes>);

impl HttpBody for Frames {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Ready(self.get_mut().0.pop_front().map(|b| Ok(Frame::data(b))))
    }
}

fn framed(message: &[u8], compressed: bool) -> Vec<u8> {
    let mut out = vec![u8::from(compressed)];
    out.extend_from_slice(&(message.len() as u32).to_be_bytes());
    out.extend_from_slice(message);
    out
}

fn request(path: &str, token: Option<&str>, body: Vec<u8>) -> http::Request<Frames> {
    let mut b = http::Request::post(format!("http://localhost{path}"))
        .header("content-type", "application/grpc")
        .header("te", "trailers");
    if let Some(t) = token {
        b = b.header("authorization", format!("Bearer {t}"));
    }
    b.body(Frames(VecDeque::from([Bytes::from(body)]))).unwrap()
}

/// The status code, message and response message of one call.
async fn call<B>(state: &Arc<AppState>, req: http::Request<B>) -> (tonic::Code, String, Vec<u8>)
where
    B: HttpBody<Data = Bytes> + Send + Unpin + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>> + Send,
{
    let resp = OtlpGrpcService::new(state.clone())
        .oneshot(req)
        .await
        .unwrap();
    let (parts, body) = resp.into_parts();
    let collected = body.collect().await.unwrap();
    let trailers = collected.trailers().cloned();
    let data = collected.to_bytes();
    // A status without a message is sent "trailers-only", in the headers.
    let status = match trailers {
        Some(t) => Status::from_header_map(&t),
        None => Status::from_header_map(&parts.headers),
    }
    .expect("a grpc-status");
    let message = if data.len() >= PREFIX_LEN {
        data[PREFIX_LEN..].to_vec()
    } else {
        Vec::new()
    };
    (status.code(), status.message().to_string(), message)
}

#[tokio::test]
async fn a_trace_export_is_stored_and_answers_an_empty_response() {
    let dir = tempfile::tempdir().unwrap();
    let st = state(dir.path(), false, Limits::default());
    let (code, message, response) = call(
        &st,
        request(TRACE_EXPORT, None, framed(&trace_request(true), false)),
    )
    .await;
    assert_eq!(code, tonic::Code::Ok, "{message}");
    assert!(
        response.is_empty(),
        "full success leaves partial_success unset"
    );
    assert_eq!(
        st.counters
            .otlp_accepted
            .load(std::sync::atomic::Ordering::Relaxed),
        1
    );
}

#[tokio::test]
async fn rejected_spans_come_back_as_a_partial_success() {
    let dir = tempfile::tempdir().unwrap();
    let st = state(dir.path(), false, Limits::default());
    let (code, _, response) = call(
        &st,
        request(TRACE_EXPORT, None, framed(&trace_request(false), false)),
    )
    .await;
    assert_eq!(code, tonic::Code::Ok);
    let mut expected = Vec::new();
    otlp::response::encode_trace_response(
        1,
        "1 rejected by the decoder (e.g. missing times)",
        Format::Protobuf,
        &mut expected,
    );
    assert_eq!(response, expected);
}

#[tokio::test]
async fn gzip_messages_are_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let st = state(dir.path(), false, Limits::default());
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&trace_request(true)).unwrap();
    let mut req = request(TRACE_EXPORT, None, framed(&gz.finish().unwrap(), true));
    req.headers_mut()
        .insert("grpc-encoding", http::HeaderValue::from_static("gzip"));
    let (code, message, _) = call(&st, req).await;
    assert_eq!(code, tonic::Code::Ok, "{message}");
    assert_eq!(
        st.counters
            .otlp_accepted
            .load(std::sync::atomic::Ordering::Relaxed),
        1
    );
}

#[tokio::test]
async fn undecodable_messages_are_invalid_arguments() {
    let dir = tempfile::tempdir().unwrap();
    let st = state(dir.path(), false, Limits::default());
    let (code, message, _) = call(
        &st,
        request(LOGS_EXPORT, None, framed(&[0x0a, 0x7f, 1, 2], false)),
    )
    .await;
    assert_eq!(code, tonic::Code::InvalidArgument, "{message}");
}

#[tokio::test]
async fn metrics_are_served_and_unknown_methods_are_unimplemented() {
    let dir = tempfile::tempdir().unwrap();
    let st = state(dir.path(), false, Limits::default());
    let (code, message, body) = call(&st, request(METRICS_EXPORT, None, framed(&[], false))).await;
    assert_eq!(code, tonic::Code::Ok, "{message}");
    assert!(body.is_empty(), "an empty response message: {body:?}");
    // A summary point is refused: a partial success names it.
    let summary_metric = [
        &[0x0a, 0x01, b'q'][..],
        &[0x5a, 0x0b, 0x0a, 0x09, 0x19],
        &1_700_000_000_000_000_000u64.to_le_bytes(),
    ]
    .concat();
    let scope = [&[0x12, summary_metric.len() as u8][..], &summary_metric].concat();
    let rm = [&[0x12, scope.len() as u8][..], &scope].concat();
    let req = [&[0x0a, rm.len() as u8][..], &rm].concat();
    let (code, message, body) = call(&st, request(METRICS_EXPORT, None, framed(&req, false))).await;
    assert_eq!(code, tonic::Code::Ok, "{message}");
    let text = String::from_utf8_lossy(&body);
    assert!(
        text.contains("1 of 1 data points rejected: metric \"q\": data point is a summary"),
        "{text}"
    );
    let (code, message, _) = call(
        &st,
        request("/grpc.health.v1.Health/Check", None, framed(&[], false)),
    )
    .await;
    assert_eq!(code, tonic::Code::Unimplemented);
    assert!(message.contains(TRACE_EXPORT), "{message}");
}

#[tokio::test]
async fn tokens_are_checked_against_the_ingest_scope() {
    let dir = tempfile::tempdir().unwrap();
    let st = state(dir.path(), true, Limits::default());
    let body = || framed(&trace_request(true), false);
    let (code, _, _) = call(&st, request(TRACE_EXPORT, None, body())).await;
    assert_eq!(code, tonic::Code::Unauthenticated);
    let (code, _, _) = call(
        &st,
        request(TRACE_EXPORT, Some("wrong-token-0123456789"), body()),
    )
    .await;
    assert_eq!(code, tonic::Code::Unauthenticated);
    let (code, message, _) = call(&st, request(TRACE_EXPORT, Some(READ_TOKEN), body())).await;
    assert_eq!(code, tonic::Code::PermissionDenied);
    assert!(message.contains("ingest"), "{message}");
    let (code, message, _) = call(&st, request(TRACE_EXPORT, Some(INGEST_TOKEN), body())).await;
    assert_eq!(code, tonic::Code::Ok, "{message}");
}

#[tokio::test]
async fn messages_over_the_limit_are_resource_exhausted_whatever_the_framing() {
    let dir = tempfile::tempdir().unwrap();
    let limits = Limits {
        max_body_bytes: 64,
        ..Limits::default()
    };
    let st = state(dir.path(), false, limits);
    let big = framed(&[0u8; 65], false);
    // The prefix split across frames at every position.
    for split in 0..=PREFIX_LEN {
        let (head, tail) = big.split_at(split);
        let mut req = request(TRACE_EXPORT, None, Vec::new());
        *req.body_mut() = Frames(VecDeque::from([
            Bytes::copy_from_slice(head),
            Bytes::copy_from_slice(tail),
        ]));
        let (code, message, _) = call(&st, req).await;
        assert_eq!(
            code,
            tonic::Code::ResourceExhausted,
            "split {split}: {message}"
        );
        assert!(message.contains("64 bytes"), "{message}");
    }
    // Within the limit compressed, over it once inflated: tonic's own check.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&[0u8; 4096]).unwrap();
    let mut req = request(TRACE_EXPORT, None, framed(&gz.finish().unwrap(), true));
    req.headers_mut()
        .insert("grpc-encoding", http::HeaderValue::from_static("gzip"));
    let (code, _, _) = call(&st, req).await;
    assert_eq!(code, tonic::Code::ResourceExhausted);
    // Exactly at the limit is fine (and fails later, as a body that does not decode).
    let (code, _, _) = call(&st, request(TRACE_EXPORT, None, framed(&[0u8; 64], false))).await;
    assert_eq!(code, tonic::Code::InvalidArgument);
}

#[tokio::test]
async fn overload_answers_unavailable() {
    let dir = tempfile::tempdir().unwrap();
    let limits = Limits {
        max_concurrent_ingest: 1,
        ..Limits::default()
    };
    let st = state(dir.path(), false, limits);
    let held = st.ingest_permits.acquire().await.unwrap();
    let (code, message, _) = call(
        &st,
        request(TRACE_EXPORT, None, framed(&trace_request(true), false)),
    )
    .await;
    assert_eq!(code, tonic::Code::Unavailable, "{message}");
    drop(held);
    let (code, _, _) = call(
        &st,
        request(TRACE_EXPORT, None, framed(&trace_request(true), false)),
    )
    .await;
    assert_eq!(code, tonic::Code::Ok);
}

#[test]
fn every_ingest_error_has_its_otlp_status() {
    use tonic::Code;
    let cases = [
        (ApiError::BadRequest("x".into()), Code::InvalidArgument),
        (ApiError::Unauthorized, Code::Unauthenticated),
        (ApiError::Forbidden("ingest"), Code::PermissionDenied),
        (ApiError::TooLarge { limit: 1 }, Code::ResourceExhausted),
        (ApiError::Overloaded("x".into()), Code::Unavailable),
        (ApiError::Internal("x".into()), Code::Internal),
    ];
    for (e, code) in cases {
        let s = status_of(&e);
        assert_eq!(s.code(), code, "{e}");
        assert_eq!(s.message(), e.to_string());
    }
}
