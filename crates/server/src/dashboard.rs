//! The web dashboard's routes: `/` (overview), `/slos/{name}`,
//! `/journeys/{name}`, the embedded stylesheet and script under
//! `/static/`, and `GET /api/v1/slos/{name}/series`, the JSON behind the
//! SLO page's charts.
//!
//! Each page handler computes the same documents the JSON API serves (the
//! `view` and `exemplars` functions, at the same `at`) and hands them to
//! the pure renderers in `web`; it must not compute or reformat a figure
//! itself, so page and API cannot disagree. Alerts, change events and
//! budget policies are rendered when their documents exist; until those
//! subsystems are wired here the pages say they are not available.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::Value;

use crate::api::{authorize, parse_at};
use crate::auth::Scope;
use crate::error::ApiError;
use crate::state::AppState;
use crate::view;

/// Budget history points behind each overview sparkline.
const OVERVIEW_HISTORY: usize = 24;
/// Budget history points of the SLO page's burn-down chart.
const DETAIL_HISTORY: usize = 96;
/// Steps of the SLO page's SLI and burn-rate charts.
const DETAIL_POINTS: usize = 120;
/// Exemplars listed on the SLO page.
const DETAIL_EXEMPLARS: usize = 20;

/// The dashboard's routes, merged into the API router by `api::router`.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/", get(overview))
        .route("/slos/{name}", get(slo_page))
        .route("/journeys/{name}", get(journey_page))
        .route(web::STYLESHEET_PATH, get(stylesheet))
        .route(web::SCRIPT_PATH, get(script))
        .route("/api/v1/slos/{name}/series", get(get_series))
}

/// Query parameters the pages understand; all optional.
#[derive(Debug, Default, Deserialize)]
struct PageParams {
    at: Option<String>,
    range: Option<String>,
    q: Option<String>,
    service: Option<String>,
    owner: Option<String>,
    status: Option<String>,
    sort: Option<String>,
}

impl PageParams {
    /// The `at=` given, trimmed, when not empty: links carry it verbatim.
    fn pinned_at(&self) -> Option<String> {
        self.at
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    }

    fn range(&self) -> Result<web::TimeRange, ApiError> {
        match self
            .range
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(raw) => {
                web::TimeRange::parse(raw).map_err(|e| ApiError::BadRequest(e.to_string()))
            }
            None => Ok(web::TimeRange::default()),
        }
    }
}

fn html(body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

/// An error as an HTML page, with the status `ApiError` maps it to.
fn html_error(e: ApiError) -> Response {
    let message = e.to_string();
    let mut resp = e.into_response();
    let status = resp.status();
    let title = format!(
        "{} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Error")
    );
    *resp.body_mut() = axum::body::Body::from(web::error_page(&title, &message));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("text/html; charset=utf-8"),
    );
    resp.headers_mut().remove(header::CONTENT_LENGTH);
    resp
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
}

async fn overview(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(p): Query<PageParams>,
) -> Response {
    let outcome = async {
        authorize(&state, &headers, Scope::Read)?;
        let at = parse_at(p.at.as_deref(), state.clock.now())?;
        let query = web::OverviewQuery {
            at: p.pinned_at(),
            q: p.q.clone().unwrap_or_default(),
            service: p.service.clone().unwrap_or_default(),
            owner: p.owner.clone().unwrap_or_default(),
            status: p.status.clone().unwrap_or_default(),
            sort: web::Sort::parse(p.sort.as_deref().unwrap_or("")),
        };
        let pinned = p.pinned_at();
        let st = state.clone();
        blocking(move || {
            let catalog = st.catalog();
            let slos = view::slos_document(&catalog, &st.store, at, OVERVIEW_HISTORY);
            let journeys = view::journeys_document(&catalog, &st.store, at);
            // The alert badges are the live alerts: shown when the page is
            // about now, not for a pinned past instant.
            let alerts = pinned.is_none().then(|| st.alerting.current_document(at));
            Ok(web::overview_page(&web::OverviewInputs {
                slos: &slos,
                journeys: &journeys,
                alerts: alerts.as_ref(),
                query: &query,
            }))
        })
        .await
    }
    .await;
    outcome.map_or_else(html_error, html)
}

async fn slo_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(name): Path<String>,
    Query(p): Query<PageParams>,
) -> Response {
    let outcome = async {
        authorize(&state, &headers, Scope::Read)?;
        let at = parse_at(p.at.as_deref(), state.clock.now())?;
        let query = web::DetailQuery {
            at: p.pinned_at(),
            range: p.range()?,
        };
        let st = state.clone();
        blocking(move || {
            let catalog = st.catalog();
            let slo = view::slo_document(&catalog, &st.store, &name, at, DETAIL_HISTORY)?;
            let minutes = query.range.minutes();
            let series =
                view::series_document(&catalog, &st.store, &name, at, minutes, DETAIL_POINTS)?;
            let segments = view::segments_document(&catalog, &st.store, &name, at)?;
            let from = jiff::Timestamp::from_second(at.as_second() - minutes * 60).ok();
            let exemplars = crate::exemplars::exemplars_document(
                &catalog,
                &st.exemplars,
                &name,
                from,
                Some(at),
                Some(DETAIL_EXEMPLARS),
                at,
            )?;
            let entry = catalog
                .slo(&name)
                .ok_or_else(|| ApiError::NotFound(format!("no SLO named {name:?}")))?;
            let since = from.unwrap_or(at);
            let alerts = alert_history(&catalog, &st.store, &name, since, at);
            let changes = crate::decisions::changes_value(&st, &entry.spec.service, since, at);
            let policy = {
                let reader = st.store.read();
                let mut v = crate::decisions::slo_policy_value(&catalog, entry, &reader, at);
                v["name"] = v["policy"].clone();
                serde_json::json!({ "policy": v })
            };
            Ok(web::detail_page(&web::DetailInputs {
                slo: &slo,
                series: &series,
                segments: &segments,
                exemplars: &exemplars,
                alerts: Some(&alerts),
                changes: Some(&changes),
                policy: Some(&policy),
                query: &query,
            }))
        })
        .await
    }
    .await;
    outcome.map_or_else(html_error, html)
}

async fn journey_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(name): Path<String>,
    Query(p): Query<PageParams>,
) -> Response {
    let outcome = async {
        authorize(&state, &headers, Scope::Read)?;
        let at = parse_at(p.at.as_deref(), state.clock.now())?;
        let query = web::DetailQuery {
            at: p.pinned_at(),
            range: p.range()?,
        };
        let st = state.clone();
        blocking(move || {
            let catalog = st.catalog();
            let doc = view::journeys_document(&catalog, &st.store, at);
            let journey = doc["journeys"]
                .as_array()
                .and_then(|js| js.iter().find(|j| j["name"] == name.as_str()))
                .ok_or_else(|| ApiError::NotFound(format!("no journey named {name:?}")))?;
            let slo_of = |key: &str| -> Option<Value> {
                let n = journey.get(key)?.as_str()?;
                view::slo_document(&catalog, &st.store, n, at, 0).ok()
            };
            let completion = slo_of("completion_slo");
            let first_action = slo_of("time_to_first_action_slo");
            Ok(web::journey_page(&web::JourneyInputs {
                journey,
                at: doc["at"].as_str().unwrap_or(""),
                completion: completion.as_ref(),
                first_action: first_action.as_ref(),
                query: &query,
            }))
        })
        .await
    }
    .await;
    outcome.map_or_else(html_error, html)
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

async fn stylesheet() -> Response {
    asset("text/css; charset=utf-8", web::STYLESHEET)
}

async fn script() -> Response {
    asset("text/javascript; charset=utf-8", web::SCRIPT)
}

/// Parameters of the series read.
#[derive(Debug, Default, Deserialize)]
struct SeriesParams {
    at: Option<String>,
    /// Like `6h` or `7d`; defaults to the SLO page's default range.
    range: Option<String>,
    /// Steps in the range; default as on the SLO page.
    points: Option<String>,
}

async fn get_series(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(name): Path<String>,
    Query(p): Query<SeriesParams>,
) -> Result<Response, ApiError> {
    authorize(&state, &headers, Scope::Read)?;
    let at = parse_at(p.at.as_deref(), state.clock.now())?;
    let range = match p.range.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(raw) => web::TimeRange::parse(raw).map_err(|e| ApiError::BadRequest(e.to_string()))?,
        None => web::TimeRange::default(),
    };
    let points = match p.points.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => DETAIL_POINTS,
        Some(raw) => raw
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=view::MAX_SERIES_POINTS).contains(n))
            .ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "query parameter points={raw:?}: expected a whole number from 1 to {}",
                    view::MAX_SERIES_POINTS
                ))
            })?,
    };
    let st = state.clone();
    let doc = blocking(move || {
        view::series_document(&st.catalog(), &st.store, &name, at, range.minutes(), points)
    })
    .await?;
    Ok(Json(doc).into_response())
}

#[cfg(test)]
mod tests;

/// Alerts of SLO `name` over `[from, to)` for the detail page, replayed with
/// the live loop's evaluation (so a pinned `at` always shows the same
/// thing): one entry when an alert fired and one when it resolved, in the
/// `/api/v1/alerts` entry shape. The range is capped at the replay limit;
/// an SLO whose data cannot be read has no entries.
fn alert_history(
    catalog: &crate::Catalog,
    store: &store::Store,
    name: &str,
    from: jiff::Timestamp,
    to: jiff::Timestamp,
) -> Value {
    let limit = jiff::SignedDuration::from_mins(crate::alerting::MAX_REPLAY_MINUTES);
    let from = from.max(to.checked_sub(limit).unwrap_or(from));
    let minutes = (to.as_second() - from.as_second()) / 60;
    // At most ~2,000 steps, whatever the range.
    let step = (minutes / 2000).max(1);
    let Ok(doc) = crate::alerting::replay_document(catalog, store, from, to, step, Some(name))
    else {
        return serde_json::json!({ "alerts": [] });
    };
    let mut out = Vec::new();
    for a in doc["alerts"].as_array().into_iter().flatten() {
        let Some(fired) = a["fired_at"].as_str() else {
            continue;
        };
        let peak = a["peak_burn"]
            .as_f64()
            .map_or(String::new(), |b| format!(", peak burn {b:.1}x"));
        let mut entry = a.clone();
        entry["since"] = serde_json::json!(fired);
        match a["resolved_at"].as_str() {
            Some(resolved) => {
                entry["state"] = serde_json::json!("resolved");
                entry["summary"] =
                    serde_json::json!(format!("fired {fired}, resolved {resolved}{peak}"));
                let mut end = entry.clone();
                end["since"] = serde_json::json!(resolved);
                out.push(entry);
                out.push(end);
            }
            None => {
                entry["state"] = serde_json::json!("firing");
                entry["summary"] = serde_json::json!(format!("firing since {fired}{peak}"));
                out.push(entry);
            }
        }
    }
    serde_json::json!({ "alerts": out })
}
