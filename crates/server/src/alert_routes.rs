//! HTTP routes and the background task of alerting: `GET /api/v1/alerts`
//! (the alerts now, or replayed over `from`/`to`), corrections
//! (`GET`/`POST /api/v1/corrections`, `DELETE /api/v1/corrections/{name}`),
//! and [`alert_loop`], which runs `Alerting::tick` every interval on a
//! blocking thread. The logic lives in `alerting` and `corrections`; this
//! module only parses, authorises and schedules.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use crate::api::{authorize, parse_at, parse_instant};
use crate::auth::Scope;
use crate::corrections::CorrectionRequest;
use crate::error::ApiError;
use crate::state::AppState;

/// The alerting and correction routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/v1/alerts", get(get_alerts))
        .route(
            "/api/v1/corrections",
            get(list_corrections).post(post_correction),
        )
        .route("/api/v1/corrections/{name}", delete(delete_correction))
}

/// Evaluates alerts every `interval` until the future is dropped. A tick
/// that runs long delays the next one rather than overlapping it.
pub async fn alert_loop(state: Arc<AppState>, interval: Duration) {
    let mut tick = tokio::time::interval(interval.max(Duration::from_secs(1)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let st = state.clone();
        let outcome = tokio::task::spawn_blocking(move || {
            let now = st.clock.now();
            let catalog = st.catalog();
            st.alerting.tick(&catalog, &st.store, now)
        })
        .await;
        match outcome {
            Ok(transitions) => {
                for t in transitions.iter().filter(|t| t.notify) {
                    tracing::info!(
                        alert = %crate::alerting::key_text(&t.key),
                        to = ?t.to,
                        "{}",
                        t.summary
                    );
                }
            }
            Err(e) => tracing::warn!(error = %e, "alert evaluation panicked"),
        }
    }
}

#[derive(Debug, Deserialize)]
struct AlertParams {
    /// With `to`: replay this range instead of listing the current alerts.
    from: Option<String>,
    to: Option<String>,
    /// Replay step in minutes (1-60, default 1).
    step: Option<i64>,
    /// Only this SLO (replays).
    slo: Option<String>,
    /// The instant for the current alerts' document (default now).
    at: Option<String>,
}

async fn get_alerts(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(p): Query<AlertParams>,
) -> Result<Response, ApiError> {
    authorize(&state, &headers, Scope::Read)?;
    let now = state.clock.now();
    match (p.from.as_deref(), p.to.as_deref()) {
        (None, None) => {
            let at = parse_at(p.at.as_deref(), now)?;
            Ok(Json(state.alerting.current_document(at)).into_response())
        }
        (Some(from), to) => {
            let from = parse_instant("from", from)?;
            let to = match to {
                Some(t) => parse_instant("to", t)?,
                None => now,
            };
            let st = state.clone();
            let doc = tokio::task::spawn_blocking(move || {
                crate::alerting::replay_document(
                    &st.catalog(),
                    &st.store,
                    from,
                    to,
                    p.step.unwrap_or(1),
                    p.slo.as_deref(),
                )
            })
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))??;
            Ok(Json(doc).into_response())
        }
        (None, Some(_)) => Err(ApiError::BadRequest(
            "to= needs from=: give the range to replay as from=T1&to=T2".into(),
        )),
    }
}

async fn list_corrections(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    authorize(&state, &headers, Scope::Read)?;
    let now = state.clock.now();
    let list: Vec<_> = state
        .catalog()
        .corrections
        .all()
        .iter()
        .map(|c| c.document(now))
        .collect();
    Ok(Json(json!({ "corrections": list })).into_response())
}

async fn post_correction(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let grant = authorize(&state, &headers, Scope::Admin)?;
    let request: CorrectionRequest = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("correction: {e}")))?;
    let who = grant.map_or_else(|| "anonymous".to_string(), |g| g.identity);
    let now = state.clock.now();
    let catalog = state.catalog();
    if catalog
        .corrections
        .all()
        .iter()
        .any(|c| c.name == request.name && c.request.is_none())
    {
        return Err(ApiError::BadRequest(format!(
            "name: a spec correction is called {:?}; change it in the spec, or pick another name",
            request.name
        )));
    }
    let origin = format!("api by {who} at {now}");
    // Validate before storing: a stored request must build.
    let entry = request.clone().into_entry(&catalog, origin.clone())?;
    let st = state.clone();
    tokio::task::spawn_blocking(move || {
        st.corrections.add(request, origin)?;
        st.attach_corrections(&st.catalog());
        Ok::<_, ApiError>(())
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))??;
    Ok((StatusCode::CREATED, Json(entry.document(now))).into_response())
}

async fn delete_correction(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let grant = authorize(&state, &headers, Scope::Admin)?;
    let who = grant.map_or_else(|| "anonymous".to_string(), |g| g.identity);
    let origin = format!("api by {who} at {}", state.clock.now());
    let st = state.clone();
    let removed = tokio::task::spawn_blocking(move || {
        let removed = st.corrections.delete(&name, origin)?;
        st.attach_corrections(&st.catalog());
        Ok::<_, ApiError>((removed, name))
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))??;
    match removed {
        (true, _) => Ok(StatusCode::NO_CONTENT.into_response()),
        (false, name) => Err(ApiError::NotFound(format!(
            "no API correction named {name:?} (spec corrections change with the spec)"
        ))),
    }
}
