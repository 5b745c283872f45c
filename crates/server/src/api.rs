//! HTTP routes. Each handler authorises, parses parameters, calls one
//! function of `state`/`view`, and maps the outcome to a status — the
//! figures themselves are computed in `view`, the single source of truth
//! shared with the CLI.

use std::future::Future;
use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use jiff::Timestamp;
use serde::Deserialize;

use crate::auth::{Grant, Scope};
use crate::error::ApiError;
use crate::otlp_http::{self, OtlpSignal};
use crate::state::AppState;
use crate::view;

/// Serves `router(state)` on `listener` until `shutdown` completes, then
/// drains in-flight requests.
pub async fn run(
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

/// Periodic upkeep: drops data past retention and downsamples old minutes;
/// prunes and saves the exemplars. Runs until the returned future is dropped.
pub async fn maintain(state: Arc<AppState>, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let st = state.clone();
        let now = st.clock.now();
        let now_min = now.as_second().div_euclid(60);
        let outcome = tokio::task::spawn_blocking(move || {
            let compacted = st.store.compact(now_min);
            st.maintain_exemplars(now);
            compacted
        })
        .await;
        match outcome {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "store compaction failed"),
            Err(e) => tracing::warn!(error = %e, "store compaction panicked"),
        }
    }
}

/// All routes, with the body limit applied.
pub fn router(state: Arc<AppState>) -> Router {
    let limit = state.options.limits.max_body_bytes;
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/metrics", get(get_metrics))
        .route("/v1/traces", post(post_otlp_traces))
        .route("/v1/logs", post(post_otlp_logs))
        .route("/v1/metrics", post(post_otlp_metrics))
        .route("/api/v1/events", post(post_events))
        .route("/api/v1/write", post(post_remote_write))
        .route("/api/v1/slos", get(list_slos))
        .route("/api/v1/slos/{name}", get(get_slo))
        .route("/api/v1/slos/{name}/segments", get(get_segments))
        .route("/api/v1/slos/{name}/exemplars", get(get_exemplars))
        .route("/api/v1/journeys", get(list_journeys))
        .route("/api/v1/reload", post(post_reload))
        .merge(crate::dashboard::routes())
        .merge(crate::alert_routes::routes())
        .merge(crate::decisions::routes())
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state)
}

/// Checks the bearer token when the server has tokens; `None` when it has none.
pub(crate) fn authorize(
    state: &AppState,
    headers: &HeaderMap,
    scope: Scope,
) -> Result<Option<Grant>, ApiError> {
    let Some(tokens) = &state.options.tokens else {
        return Ok(None);
    };
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or(ApiError::Unauthorized)?;
    let grant = tokens.grant(token.trim()).ok_or(ApiError::Unauthorized)?;
    if !grant.allows(scope) {
        return Err(ApiError::Forbidden(match scope {
            Scope::Ingest => "ingest",
            Scope::Read => "read",
            Scope::Admin => "admin",
        }));
    }
    Ok(Some(grant.clone()))
}

/// The body after `Content-Encoding` (identity or gzip), within `limit`.
fn decoded_body(headers: &HeaderMap, body: Bytes, limit: usize) -> Result<Bytes, ApiError> {
    let encoding = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("identity");
    match encoding.trim() {
        "" | "identity" => Ok(body),
        "gzip" => {
            let mut out = Vec::with_capacity(body.len() * 4);
            let mut dec = flate2::read::GzDecoder::new(&body[..]).take(limit as u64 + 1);
            dec.read_to_end(&mut out).map_err(|e| {
                ApiError::BadRequest(format!("request body is not valid gzip: {e}"))
            })?;
            if out.len() > limit {
                return Err(ApiError::TooLarge { limit });
            }
            Ok(Bytes::from(out))
        }
        other => Err(ApiError::BadRequest(format!(
            "unsupported content-encoding {other:?}, expected gzip or identity"
        ))),
    }
}

/// Reads a request body of at most `limit` bytes into one buffer sized
/// from `Content-Length`, so large ingest bodies are not regrown and copied.
async fn read_body(headers: &HeaderMap, body: Body, limit: usize) -> Result<Bytes, ApiError> {
    use http_body_util::BodyExt;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(ApiError::TooLarge { limit });
    }
    let mut buf = Vec::with_capacity(declared.unwrap_or(64 << 10).min(limit));
    let mut body = body;
    while let Some(frame) = body.frame().await {
        let frame =
            frame.map_err(|e| ApiError::BadRequest(format!("reading request body: {e}")))?;
        if let Ok(data) = frame.into_data() {
            if buf.len() + data.len() > limit {
                return Err(ApiError::TooLarge { limit });
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok(Bytes::from(buf))
}

/// How much of a refused request's body is read before answering. Closing
/// a connection with unread request bytes makes the kernel send a reset,
/// and the client may then lose the answer; small bodies are read and
/// dropped so the client always gets the status and message.
const DRAIN_LIMIT: usize = 1 << 20;

/// `err`, after reading and dropping up to [`DRAIN_LIMIT`] bytes of `body`.
async fn refuse(body: Body, err: ApiError) -> ApiError {
    use http_body_util::BodyExt;
    let mut body = body;
    let mut seen = 0usize;
    while seen <= DRAIN_LIMIT {
        match body.frame().await {
            Some(Ok(frame)) => seen += frame.data_ref().map_or(0, |d| d.len()),
            _ => break,
        }
    }
    err
}

async fn post_events(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    if let Err(e) = authorize(&state, &headers, Scope::Ingest) {
        return Err(refuse(body, e).await);
    }
    let limit = state.options.limits.max_body_bytes;
    let body = decoded_body(&headers, read_body(&headers, body, limit).await?, limit)?;
    let report = state.run_ingest(move |st| st.ingest_ndjson(&body)).await?;
    let status = if report.accepted > 0 {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    Ok((status, Json(view::ingest_document(&report))).into_response())
}

/// Prometheus remote write 1.0. Prometheus only reads the status: 204 when
/// the body decoded (the counts are in `X-Lodestar-Accepted` and
/// `X-Lodestar-Rejected`), 400 with a message when it did not (Prometheus
/// drops such a batch instead of retrying it), 503 + Retry-After under
/// overload (Prometheus retries).
async fn post_remote_write(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    if let Err(e) = authorize(&state, &headers, Scope::Ingest) {
        return Err(refuse(body, e).await);
    }
    let encoding = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map_or("snappy", str::trim);
    if !encoding.eq_ignore_ascii_case("snappy") {
        let e = ApiError::BadRequest(format!(
            "unsupported content-encoding {encoding:?}; remote write bodies are snappy-compressed (Content-Encoding: snappy)"
        ));
        return Err(refuse(body, e).await);
    }
    let limit = state.options.limits.max_body_bytes;
    let body = read_body(&headers, body, limit).await?;
    let report = state
        .run_ingest(move |st| st.ingest_remote_write(&body))
        .await?;
    if !report.errors.is_empty() {
        tracing::debug!(
            rejected = report.rejected,
            first = %report.errors[0],
            "remote write: samples rejected"
        );
    }
    let mut resp = StatusCode::NO_CONTENT.into_response();
    for (name, n) in [
        ("x-lodestar-accepted", report.accepted),
        ("x-lodestar-rejected", report.rejected),
    ] {
        resp.headers_mut()
            .insert(name, axum::http::HeaderValue::from(n));
    }
    Ok(resp)
}

/// `at` and history options shared by the read endpoints.
#[derive(Debug, Default, Deserialize)]
struct ReadParams {
    /// RFC 3339 or epoch seconds; defaults to now.
    at: Option<String>,
    /// Number of points of budget history to include (0 = none).
    history: Option<usize>,
}

/// Parses `at=`: RFC 3339, or epoch seconds (integer or fractional).
pub fn parse_at(raw: Option<&str>, now: Timestamp) -> Result<Timestamp, ApiError> {
    let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(now);
    };
    parse_instant("at", raw)
}

/// Parses the instant given in query parameter `param`: RFC 3339, or epoch
/// seconds (integer or fractional).
pub fn parse_instant(param: &str, raw: &str) -> Result<Timestamp, ApiError> {
    let raw = raw.trim();
    if let Ok(secs) = raw.parse::<f64>() {
        let ms = (secs * 1000.0).round();
        if ms.is_finite()
            && let Ok(t) = Timestamp::from_millisecond(ms as i64)
        {
            return Ok(t);
        }
    }
    raw.parse::<Timestamp>().map_err(|e| {
        ApiError::BadRequest(format!(
            "query parameter {param}={raw:?}: expected RFC 3339 (2026-11-27T10:00:00Z) or epoch seconds: {e}"
        ))
    })
}

const MAX_HISTORY_POINTS: usize = 500;

fn history_points(p: &ReadParams) -> Result<usize, ApiError> {
    let n = p.history.unwrap_or(0);
    if n > MAX_HISTORY_POINTS {
        return Err(ApiError::BadRequest(format!(
            "query parameter history={n}: expected at most {MAX_HISTORY_POINTS}"
        )));
    }
    Ok(n)
}

async fn list_slos(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(p): Query<ReadParams>,
) -> Result<Response, ApiError> {
    authorize(&state, &headers, Scope::Read)?;
    let at = parse_at(p.at.as_deref(), state.clock.now())?;
    let history = history_points(&p)?;
    let st = state.clone();
    let doc = tokio::task::spawn_blocking(move || {
        view::slos_document(&st.catalog(), &st.store, at, history)
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(Json(doc).into_response())
}

async fn get_slo(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(name): Path<String>,
    Query(p): Query<ReadParams>,
) -> Result<Response, ApiError> {
    authorize(&state, &headers, Scope::Read)?;
    let at = parse_at(p.at.as_deref(), state.clock.now())?;
    let history = history_points(&p)?;
    let st = state.clone();
    let doc = tokio::task::spawn_blocking(move || {
        view::slo_document(&st.catalog(), &st.store, &name, at, history)
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))??;
    Ok(Json(doc).into_response())
}

async fn post_otlp_traces(state: State<Arc<AppState>>, headers: HeaderMap, body: Body) -> Response {
    post_otlp(state, headers, body, OtlpSignal::Traces).await
}

async fn post_otlp_logs(state: State<Arc<AppState>>, headers: HeaderMap, body: Body) -> Response {
    post_otlp(state, headers, body, OtlpSignal::Logs).await
}

async fn post_otlp_metrics(
    state: State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    post_otlp(state, headers, body, OtlpSignal::Metrics).await
}

/// One OTLP/HTTP export: errors are answered as `google.rpc.Status` in the
/// request's encoding, as the OTLP specification asks.
async fn post_otlp(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
    signal: OtlpSignal,
) -> Response {
    let format = match otlp_http::format_of(
        headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
    ) {
        Ok(f) => f,
        Err(e) => return refuse(body, e).await.into_response(),
    };
    let status_answer = |status: StatusCode, code: i32, message: String| {
        let mut resp = (
            status,
            [(header::CONTENT_TYPE, otlp::response::content_type(format))],
            otlp_http::status_body(code, &message, format),
        )
            .into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE || status == StatusCode::TOO_MANY_REQUESTS {
            resp.headers_mut().insert(
                header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("1"),
            );
        }
        resp
    };
    let outcome: Result<_, ApiError> = async {
        if let Err(e) = authorize(&state, &headers, Scope::Ingest) {
            return Err(refuse(body, e).await);
        }
        let limit = state.options.limits.max_body_bytes;
        let body = decoded_body(&headers, read_body(&headers, body, limit).await?, limit)?;
        state
            .run_ingest(move |st| st.ingest_otlp(signal, &body, format))
            .await
    }
    .await;
    match outcome {
        Ok(o) => {
            let mut out = Vec::new();
            match signal {
                OtlpSignal::Traces => otlp::response::encode_trace_response(
                    o.rejected(),
                    &o.message(),
                    format,
                    &mut out,
                ),
                OtlpSignal::Logs => otlp::response::encode_logs_response(
                    o.rejected(),
                    &o.message(),
                    format,
                    &mut out,
                ),
                OtlpSignal::Metrics => otlp::response::encode_metrics_response(
                    o.rejected(),
                    &o.message(),
                    format,
                    &mut out,
                ),
            }
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, otlp::response::content_type(format))],
                out,
            )
                .into_response()
        }
        // gRPC status codes: INVALID_ARGUMENT 3, UNAUTHENTICATED 16, PERMISSION_DENIED 7,
        // UNAVAILABLE 14, RESOURCE_EXHAUSTED 8, INTERNAL 13.
        Err(e @ ApiError::BadRequest(_)) => {
            status_answer(StatusCode::BAD_REQUEST, 3, e.to_string())
        }
        Err(e @ ApiError::TooLarge { .. }) => {
            status_answer(StatusCode::PAYLOAD_TOO_LARGE, 8, e.to_string())
        }
        Err(e @ ApiError::Unauthorized) => {
            status_answer(StatusCode::UNAUTHORIZED, 16, e.to_string())
        }
        Err(e @ ApiError::Forbidden(_)) => status_answer(StatusCode::FORBIDDEN, 7, e.to_string()),
        Err(e @ ApiError::Overloaded(_)) => {
            status_answer(StatusCode::SERVICE_UNAVAILABLE, 14, e.to_string())
        }
        Err(e) => status_answer(StatusCode::INTERNAL_SERVER_ERROR, 13, e.to_string()),
    }
}

async fn get_metrics(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    authorize(&state, &headers, Scope::Read)?;
    let st = state.clone();
    let text = tokio::task::spawn_blocking(move || crate::metrics::render(&st, st.clock.now()))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response())
}

async fn get_segments(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(name): Path<String>,
    Query(p): Query<ReadParams>,
) -> Result<Response, ApiError> {
    authorize(&state, &headers, Scope::Read)?;
    let at = parse_at(p.at.as_deref(), state.clock.now())?;
    let st = state.clone();
    let doc = tokio::task::spawn_blocking(move || {
        view::segments_document(&st.catalog(), &st.store, &name, at)
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))??;
    Ok(Json(doc).into_response())
}

/// Parameters of the exemplar read.
#[derive(Debug, Default, Deserialize)]
struct ExemplarParams {
    /// The instant whose SLO window `from`/`to` default to; defaults to now.
    at: Option<String>,
    from: Option<String>,
    to: Option<String>,
    limit: Option<String>,
}

async fn get_exemplars(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(name): Path<String>,
    Query(p): Query<ExemplarParams>,
) -> Result<Response, ApiError> {
    authorize(&state, &headers, Scope::Read)?;
    let at = parse_at(p.at.as_deref(), state.clock.now())?;
    let instant = |param: &str, raw: &Option<String>| {
        raw.as_deref()
            .filter(|r| !r.trim().is_empty())
            .map(|r| parse_instant(param, r))
            .transpose()
    };
    let (from, to) = (instant("from", &p.from)?, instant("to", &p.to)?);
    let limit = p
        .limit
        .as_deref()
        .map(|raw| {
            raw.trim().parse::<usize>().map_err(|_| {
                ApiError::BadRequest(format!(
                    "query parameter limit={raw:?}: expected a whole number from 1 to {}",
                    crate::exemplars::MAX_LIMIT
                ))
            })
        })
        .transpose()?;
    let doc = crate::exemplars::exemplars_document(
        &state.catalog(),
        &state.exemplars,
        &name,
        from,
        to,
        limit,
        at,
    )?;
    Ok(Json(doc).into_response())
}

async fn list_journeys(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(p): Query<ReadParams>,
) -> Result<Response, ApiError> {
    authorize(&state, &headers, Scope::Read)?;
    let at = parse_at(p.at.as_deref(), state.clock.now())?;
    let st = state.clone();
    let doc =
        tokio::task::spawn_blocking(move || view::journeys_document(&st.catalog(), &st.store, at))
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(Json(doc).into_response())
}

async fn post_reload(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let grant = authorize(&state, &headers, Scope::Admin)?;
    let who = grant
        .map(|g| g.identity)
        .unwrap_or_else(|| "anonymous".into());
    let st = state.clone();
    let outcome = tokio::task::spawn_blocking(move || st.reload())
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    match outcome {
        Ok(catalog) => {
            tracing::info!(by = %who, slos = catalog.slos.len(), "specs reloaded");
            Ok(Json(serde_json::json!({
                "reloaded": true,
                "slos": catalog.slos.len(),
                "warnings": catalog.warnings,
            }))
            .into_response())
        }
        Err(diagnostics) => {
            tracing::warn!(by = %who, problems = diagnostics.len(), "reload refused");
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(serde_json::json!({
                    "error": "new specs are invalid; the running set stays in force",
                    "diagnostics": diagnostics,
                })),
            )
                .into_response())
        }
    }
}
