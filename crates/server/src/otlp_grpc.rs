//! OTLP over gRPC: the collector services `TraceService/Export`,
//! `LogsService/Export` and `MetricsService/Export` on their own HTTP/2
//! listener (default port 4317). tonic carries the transport only (framing, gzip, status
//! trailers): [`RawBytesCodec`] hands the request message to
//! [`AppState::ingest_otlp`] as raw bytes, so the `otlp` crate's borrowing
//! wire walker stays the one OTLP decoder, and the answer is written by
//! `otlp::response`. This module must not decode OTLP messages itself nor
//! grow a second ingest path; it only maps transport concerns (metadata
//! tokens, message size, overload) to the status codes OTLP prescribes.

#[cfg(test)]
mod tests;

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use axum::http;
use bytes::{Buf, BufMut, Bytes};
use http_body::{Body as HttpBody, Frame, SizeHint};
use otlp::Format;
use tonic::Status;
use tonic::codec::{Codec, CompressionEncoding, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::server::{Grpc, UnaryService};

use crate::api::authorize;
use crate::auth::Scope;
use crate::error::ApiError;
use crate::otlp_http::{OtlpOutcome, OtlpSignal};
use crate::state::AppState;

/// The gRPC path of the OTLP trace export method.
pub const TRACE_EXPORT: &str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
/// The gRPC path of the OTLP logs export method.
pub const LOGS_EXPORT: &str = "/opentelemetry.proto.collector.logs.v1.LogsService/Export";
/// The gRPC path of the OTLP metrics export method.
pub const METRICS_EXPORT: &str = "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export";

/// Size of the gRPC message prefix: a compression flag and a big-endian u32 length.
const PREFIX_LEN: usize = 5;

/// Serves the OTLP gRPC services on `listener` until `shutdown` completes,
/// then lets in-flight exports finish.
pub async fn run_grpc(
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let incoming = tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true));
    tonic::transport::Server::builder()
        .serve_with_incoming_shutdown(OtlpGrpcService::new(state), incoming, shutdown)
        .await
        .map_err(std::io::Error::other)
}

/// The OTLP collector services as one `tower::Service`, routing by path.
#[derive(Clone, Debug)]
pub struct OtlpGrpcService {
    state: Arc<AppState>,
}

impl OtlpGrpcService {
    pub fn new(state: Arc<AppState>) -> OtlpGrpcService {
        OtlpGrpcService { state }
    }
}

type BoxedFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<B> tower::Service<http::Request<B>> for OtlpGrpcService
where
    B: HttpBody<Data = Bytes> + Send + Unpin + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>> + Send,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = BoxedFuture<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let state = self.state.clone();
        Box::pin(async move { Ok(answer(state, req).await) })
    }
}

async fn answer<B>(state: Arc<AppState>, req: http::Request<B>) -> http::Response<tonic::body::Body>
where
    B: HttpBody<Data = Bytes> + Send + Unpin + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>> + Send,
{
    // Checked before the body is read, so a client without a token cannot
    // make the server buffer a message.
    if let Err(e) = authorize(&state, req.headers(), Scope::Ingest) {
        return status_of(&e).into_http();
    }
    let signal = match req.uri().path() {
        TRACE_EXPORT => OtlpSignal::Traces,
        LOGS_EXPORT => OtlpSignal::Logs,
        METRICS_EXPORT => OtlpSignal::Metrics,
        other => {
            return Status::unimplemented(format!(
                "unknown method {other:?}; this listener serves {TRACE_EXPORT}, {LOGS_EXPORT} and {METRICS_EXPORT}"
            ))
            .into_http();
        }
    };
    let limit = state.options.limits.max_body_bytes;
    let req = req.map(|body| LengthCheckedBody::new(body, limit));
    let mut grpc = Grpc::new(RawBytesCodec)
        .accept_compressed(CompressionEncoding::Gzip)
        .max_decoding_message_size(limit);
    grpc.unary(Export { state, signal }, req).await
}

/// One export call: the decoded message bytes in, the encoded response out.
struct Export {
    state: Arc<AppState>,
    signal: OtlpSignal,
}

impl UnaryService<Bytes> for Export {
    type Response = Vec<u8>;
    type Future = BoxedFuture<Result<tonic::Response<Vec<u8>>, Status>>;

    fn call(&mut self, request: tonic::Request<Bytes>) -> Self::Future {
        let (state, signal) = (self.state.clone(), self.signal);
        Box::pin(async move {
            let outcome = ingest(state, signal, request.into_inner())
                .await
                .map_err(|e| status_of(&e))?;
            Ok(tonic::Response::new(response_message(signal, &outcome)))
        })
    }
}

async fn ingest(
    state: Arc<AppState>,
    signal: OtlpSignal,
    body: Bytes,
) -> Result<OtlpOutcome, ApiError> {
    // The same bounded wait as the HTTP ingest routes, so both transports
    // share one budget of concurrent ingest work.
    state
        .run_ingest(move |st| st.ingest_otlp(signal, &body, Format::Protobuf))
        .await
}

/// The `Export…ServiceResponse` protobuf for an outcome: empty on full
/// success, a partial success naming the refused items otherwise.
pub fn response_message(signal: OtlpSignal, outcome: &OtlpOutcome) -> Vec<u8> {
    let mut out = Vec::new();
    let (rejected, message) = (outcome.rejected(), outcome.message());
    match signal {
        OtlpSignal::Traces => {
            otlp::response::encode_trace_response(rejected, &message, Format::Protobuf, &mut out)
        }
        OtlpSignal::Logs => {
            otlp::response::encode_logs_response(rejected, &message, Format::Protobuf, &mut out)
        }
        OtlpSignal::Metrics => {
            otlp::response::encode_metrics_response(rejected, &message, Format::Protobuf, &mut out)
        }
    }
    out
}

/// The gRPC status OTLP prescribes for an ingest error: INVALID_ARGUMENT
/// for a message that does not decode (not retryable), UNAVAILABLE under
/// overload (retryable), RESOURCE_EXHAUSTED over the size limit (without
/// RetryInfo, so clients drop rather than resend the same message).
pub fn status_of(e: &ApiError) -> Status {
    let message = e.to_string();
    match e {
        ApiError::BadRequest(_)
        | ApiError::Unprocessable(_)
        | ApiError::UnsupportedMediaType(_) => Status::invalid_argument(message),
        ApiError::Unauthorized => Status::unauthenticated(message),
        ApiError::Forbidden(_) => Status::permission_denied(message),
        ApiError::TooLarge { .. } => Status::resource_exhausted(message),
        ApiError::Overloaded(_) => Status::unavailable(message),
        ApiError::NotFound(_) => Status::not_found(message),
        ApiError::Internal(_) => Status::internal(message),
    }
}

/// Passes message bytes through untouched in both directions: requests are
/// decoded by the `otlp` crate, responses encoded by `otlp::response`.
/// Clients use it too (the tests), sending `Vec<u8>` and receiving `Bytes`.
#[derive(Clone, Copy, Debug, Default)]
pub struct RawBytesCodec;

impl Codec for RawBytesCodec {
    type Encode = Vec<u8>;
    type Decode = Bytes;
    type Encoder = RawBytesCodec;
    type Decoder = RawBytesCodec;

    fn encoder(&mut self) -> RawBytesCodec {
        RawBytesCodec
    }

    fn decoder(&mut self) -> RawBytesCodec {
        RawBytesCodec
    }
}

impl Encoder for RawBytesCodec {
    type Item = Vec<u8>;
    type Error = Status;

    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for RawBytesCodec {
    type Item = Bytes;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, Status> {
        // Splits the message off tonic's buffer without copying.
        Ok(Some(src.copy_to_bytes(src.remaining())))
    }
}

/// A request body that refuses a gRPC message whose declared length is over
/// `limit` as soon as its 5-byte prefix has arrived. tonic's own check
/// answers OUT_OF_RANGE; OTLP clients expect RESOURCE_EXHAUSTED, and
/// refusing at the prefix means the oversized message is never buffered.
pub struct LengthCheckedBody<B> {
    inner: B,
    prefix: [u8; PREFIX_LEN],
    seen: usize,
    limit: usize,
}

impl<B> LengthCheckedBody<B> {
    pub fn new(inner: B, limit: usize) -> LengthCheckedBody<B> {
        LengthCheckedBody {
            inner,
            prefix: [0; PREFIX_LEN],
            seen: 0,
            limit,
        }
    }

    /// Records prefix bytes from `data`; Err once the declared length is known to be too long.
    fn observe(&mut self, data: &[u8]) -> Result<(), Status> {
        if self.seen >= PREFIX_LEN {
            return Ok(());
        }
        let take = (PREFIX_LEN - self.seen).min(data.len());
        self.prefix[self.seen..self.seen + take].copy_from_slice(&data[..take]);
        self.seen += take;
        if self.seen == PREFIX_LEN {
            let [_, a, b, c, d] = self.prefix;
            let declared = u32::from_be_bytes([a, b, c, d]) as usize;
            if declared > self.limit {
                return Err(status_of(&ApiError::TooLarge { limit: self.limit }));
            }
        }
        Ok(())
    }
}

impl<B> HttpBody for LengthCheckedBody<B>
where
    B: HttpBody<Data = Bytes> + Unpin,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
        let this = self.get_mut();
        let frame = match ready!(Pin::new(&mut this.inner).poll_frame(cx)) {
            None => return Poll::Ready(None),
            Some(Err(e)) => return Poll::Ready(Some(Err(Status::from_error(e.into())))),
            Some(Ok(frame)) => frame,
        };
        if let Some(data) = frame.data_ref()
            && let Err(status) = this.observe(data)
        {
            return Poll::Ready(Some(Err(status)));
        }
        Poll::Ready(Some(Ok(frame)))
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
