//! The decision engine in the running server: budget-policy states per SLO,
//! change events (deploys, flag and config changes), release gates, burn
//! attribution, the priorities report, and the hooks called when a gate
//! fails or burn is attributed to one version or feature flag.
//!
//! Routes (one [`routes`] router merged into the API):
//! - `GET  /api/v1/policies`, `GET /api/v1/slos/{name}/policy` (read)
//! - `POST /api/v1/changes` (ingest), `GET /api/v1/changes` (read)
//! - `POST /api/v1/gates` (ingest: CI pipelines hold that token already)
//! - `GET  /api/v1/slos/{name}/attribution` (read)
//! - `GET  /api/v1/reports/priorities` (read; `format=md` for Markdown)
//! - `GET  /api/v1/actions` (read), `POST /api/v1/actions/check` (admin):
//!   looks for burn attributed to one version or flag now and acts on it
//!   (the server also runs this check every minute, see [`watch`]).
//!
//! The verdicts themselves come from the pure `decide` crate; `assess`
//! reads the facts from the store. Every read takes `at=`.

pub mod assess;
pub mod changes;
pub mod hooks;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use decide::gate::{GateConfig, Reason, ReasonKind, Verdict, judge};
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::{authorize, parse_at, parse_instant};
use crate::auth::Scope;
use crate::error::ApiError;
use crate::state::AppState;
use assess::{FLAG_DIMENSIONS, VERSION_DIMENSIONS};
use changes::{Change, ChangeFilter, ChangeKind, ChangeLog};
use hooks::{Action, ActionLog, HookConfig};

/// Problems of the decision engine's files and inputs.
#[derive(Debug, thiserror::Error)]
pub enum DecisionError {
    #[error("{what}: field {field:?} is invalid: expected {expected}")]
    Invalid {
        what: String,
        field: String,
        expected: String,
    },
    #[error("{what} is not valid JSON: {message}")]
    Json { what: String, message: String },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}: not a lodestar record ({message}); fix or move the file", path.display())]
    Corrupt {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

impl From<DecisionError> for ApiError {
    fn from(e: DecisionError) -> Self {
        match e {
            DecisionError::Invalid { .. } | DecisionError::Json { .. } => {
                ApiError::BadRequest(e.to_string())
            }
            _ => ApiError::Internal(e.to_string()),
        }
    }
}

/// Changes, actions and hook configuration; lives in `AppState`.
#[derive(Debug, Default)]
pub struct Decisions {
    pub changes: ChangeLog,
    pub actions: ActionLog,
    pub hooks: HookConfig,
}

impl Decisions {
    /// Nothing on disk, no hooks (tests, embedded use).
    pub fn in_memory() -> Decisions {
        Decisions::default()
    }

    /// Opens `changes.jsonl` and `actions.jsonl` in `dir` (the data directory).
    pub fn open(dir: &Path, hooks: HookConfig) -> Result<Decisions, DecisionError> {
        Ok(Decisions {
            changes: ChangeLog::open(dir)?,
            actions: ActionLog::open(dir)?,
            hooks,
        })
    }
}

/// The decision routes, merged into the API router.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/v1/policies", get(list_policies))
        .route("/api/v1/slos/{name}/policy", get(get_policy))
        .route("/api/v1/slos/{name}/attribution", get(get_attribution))
        .route("/api/v1/changes", post(post_change).get(list_changes))
        .route("/api/v1/gates", post(post_gate))
        .route("/api/v1/reports/priorities", get(get_priorities))
        .route("/api/v1/actions", get(list_actions))
        .route("/api/v1/actions/check", post(post_check))
}

/// Runs [`check_attribution`] every `every` until dropped.
pub async fn watch(state: Arc<AppState>, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let st = state.clone();
        let _ = tokio::task::spawn_blocking(move || check_attribution(&st, st.clock.now())).await;
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
}

#[derive(Debug, Default, Deserialize)]
struct AtParams {
    at: Option<String>,
    format: Option<String>,
}

fn slo_entry<'c>(
    catalog: &'c crate::catalog::Catalog,
    name: &str,
) -> Result<&'c crate::catalog::SloEntry, ApiError> {
    catalog
        .slo(name)
        .ok_or_else(|| ApiError::NotFound(format!("no SLO named {name:?}")))
}

fn policy_value(v: &decide::policy::PolicyVerdict, service: &str) -> Value {
    let mut doc = serde_json::to_value(v).unwrap_or(Value::Null);
    doc["service"] = json!(service);
    doc
}

/// The policy verdict of one SLO at `at` (the shape
/// `GET /api/v1/slos/{name}/policy` serves, without `at`).
pub fn slo_policy_value(
    catalog: &crate::Catalog,
    entry: &crate::catalog::SloEntry,
    reader: &store::StoreReader<'_>,
    at: Timestamp,
) -> Value {
    policy_value(
        &assess::policy_verdict(catalog, entry, reader, at),
        &entry.spec.service,
    )
}

/// `{"changes": [...]}` of `service` (and service-less changes are not
/// recorded) between `from` and `to`, the shape `GET /api/v1/changes`
/// serves.
pub fn changes_value(state: &AppState, service: &str, from: Timestamp, to: Timestamp) -> Value {
    let filter = ChangeFilter {
        service: Some(service.to_string()),
        kind: None,
        from: Some(from),
        to: Some(to),
    };
    let list: Vec<Change> = state.decisions.changes.list(&filter);
    json!({ "changes": list })
}

/// `{"at", "policies": [{name, description, applies_to}], "slos": [verdict]}`.
pub fn policies_document(state: &AppState, at: Timestamp) -> Value {
    let catalog = state.catalog();
    let reader = state.store.read();
    let slos: Vec<Value> = catalog
        .slos
        .iter()
        .map(|e| {
            policy_value(
                &assess::policy_verdict(&catalog, e, &reader, at),
                &e.spec.service,
            )
        })
        .collect();
    let policies: Vec<Value> = catalog
        .specs
        .budget_policies
        .iter()
        .map(|p| {
            json!({
                "name": p.metadata.name,
                "description": p.description,
                "applies_to": {
                    "slos": p.applies_to.slos,
                    "services": p.applies_to.services,
                    "journeys": p.applies_to.journeys,
                },
            })
        })
        .collect();
    json!({ "at": at.to_string(), "policies": policies, "slos": slos })
}

async fn list_policies(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(p): Query<AtParams>,
) -> Result<Response, ApiError> {
    authorize(&state, &headers, Scope::Read)?;
    let at = parse_at(p.at.as_deref(), state.clock.now())?;
    let doc = blocking(move || Ok(policies_document(&state, at))).await?;
    Ok(Json(doc).into_response())
}

async fn get_policy(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    UrlPath(name): UrlPath<String>,
    Query(p): Query<AtParams>,
) -> Result<Response, ApiError> {
    authorize(&state, &headers, Scope::Read)?;
    let at = parse_at(p.at.as_deref(), state.clock.now())?;
    let doc = blocking(move || {
        let catalog = state.catalog();
        let entry = slo_entry(&catalog, &name)?;
        let reader = state.store.read();
        let mut v = policy_value(
            &assess::policy_verdict(&catalog, entry, &reader, at),
            &entry.spec.service,
        );
        v["at"] = json!(at.to_string());
        Ok(v)
    })
    .await?;
    Ok(Json(doc).into_response())
}

#[derive(Debug, Default, Deserialize)]
struct RangeParams {
    at: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

/// `{"slo", "at", "from", "to", "objectives": [{"name", "attribution": Attribution|null, "dominant_cause"}]}`.
/// `from`/`to` default to the objective's window at `at`.
pub fn attribution_document(
    state: &AppState,
    name: &str,
    at: Timestamp,
    from: Option<Timestamp>,
    to: Option<Timestamp>,
) -> Result<Value, ApiError> {
    let catalog = state.catalog();
    let entry = slo_entry(&catalog, name)?;
    let reader = state.store.read();
    let deps = assess::dependency_dimensions(&catalog, entry);
    let mut range = None;
    let objectives: Vec<Value> = assess::assess(entry, &reader, at)
        .iter()
        .map(|a| {
            let f = from.map_or(a.eval.window_from, slo::minute_of);
            let t = to.map_or(a.eval.window_to, |t| slo::minute_of(t) + 1);
            range.get_or_insert((f, t));
            let attr = assess::attribution(a, &reader, f, t, &deps);
            let cause = attr.as_ref().and_then(|x| {
                decide::attribution::dominant_cause(x, state.decisions.hooks.min_share)
            });
            json!({
                "name": a.objective.name,
                "attribution": attr,
                "dominant_cause": cause.as_ref().map(|c| json!({
                    "dimension": c.dimension, "value": c.value,
                    "share_of_burn": c.share_of_burn, "share_of_traffic": c.share_of_traffic,
                    "description": c.describe(),
                })),
            })
        })
        .collect();
    let (f, t) = range.unwrap_or((slo::minute_of(at), slo::minute_of(at) + 1));
    Ok(json!({
        "slo": name,
        "at": at.to_string(),
        "from": crate::view::minute_to_rfc3339(f),
        "to": crate::view::minute_to_rfc3339(t),
        "dependency_dimensions": deps,
        "objectives": objectives,
    }))
}

fn optional_instant(param: &str, raw: &Option<String>) -> Result<Option<Timestamp>, ApiError> {
    raw.as_deref()
        .filter(|r| !r.trim().is_empty())
        .map(|r| parse_instant(param, r))
        .transpose()
}

async fn get_attribution(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    UrlPath(name): UrlPath<String>,
    Query(p): Query<RangeParams>,
) -> Result<Response, ApiError> {
    authorize(&state, &headers, Scope::Read)?;
    let at = parse_at(p.at.as_deref(), state.clock.now())?;
    let (from, to) = (
        optional_instant("from", &p.from)?,
        optional_instant("to", &p.to)?,
    );
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        return Err(ApiError::BadRequest(format!(
            "query parameters from={f} and to={t}: expected from before to"
        )));
    }
    let doc = blocking(move || attribution_document(&state, &name, at, from, to)).await?;
    Ok(Json(doc).into_response())
}

async fn post_change(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    authorize(&state, &headers, Scope::Ingest)?;
    let change = changes::validate(&body, state.clock.now())?;
    let recorded = blocking(move || Ok(state.decisions.changes.record(change)?)).await?;
    Ok((StatusCode::CREATED, Json(recorded)).into_response())
}

#[derive(Debug, Default, Deserialize)]
struct ChangeParams {
    service: Option<String>,
    kind: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

async fn list_changes(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(p): Query<ChangeParams>,
) -> Result<Response, ApiError> {
    authorize(&state, &headers, Scope::Read)?;
    let kind = match p.kind.as_deref().map(str::trim) {
        None | Some("") => None,
        Some("deploy") => Some(ChangeKind::Deploy),
        Some("flag") => Some(ChangeKind::Flag),
        Some("config") => Some(ChangeKind::Config),
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "query parameter kind={other:?}: expected deploy, flag or config"
            )));
        }
    };
    let filter = ChangeFilter {
        service: p.service.filter(|s| !s.trim().is_empty()),
        kind,
        from: optional_instant("from", &p.from)?,
        to: optional_instant("to", &p.to)?,
    };
    let list: Vec<Change> = state.decisions.changes.list(&filter);
    Ok(Json(json!({ "changes": list })).into_response())
}

/// The body of `POST /api/v1/gates`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateRequest {
    pub service: String,
    pub version: Option<String>,
    pub baseline_version: Option<String>,
    /// RFC 3339; default the latest deploy of the service (and version).
    pub since: Option<String>,
    /// Thresholds; every field optional.
    pub config: Option<GateConfig>,
    /// Kinds of the release (`fix`, `security`) a frozen policy may allow.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Judge as of this instant instead of now.
    pub at: Option<String>,
    /// Exit 1 on warn and inconclusive.
    #[serde(default)]
    pub fail_closed: bool,
}

/// Minutes compared when no `since` is given and no deploy is recorded.
const DEFAULT_SINCE_MINUTES: i64 = 60;

/// Judges a release and, when it fails, calls the hooks. The document is
/// the `decide::gate::GateReport` plus the context it was judged in.
pub fn gate_document(
    state: &AppState,
    req: &GateRequest,
    now: Timestamp,
) -> Result<Value, ApiError> {
    let at = parse_at(req.at.as_deref(), now)?;
    let mut config = req.config.clone().unwrap_or_default();
    config.fail_closed |= req.fail_closed;
    config
        .validate()
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let catalog = state.catalog();
    let entries: Vec<&crate::catalog::SloEntry> = catalog
        .slos
        .iter()
        .filter(|e| e.spec.service == req.service)
        .collect();
    if entries.is_empty() {
        let mut known: Vec<&str> = catalog
            .slos
            .iter()
            .map(|e| e.spec.service.as_str())
            .collect();
        known.sort();
        known.dedup();
        return Err(ApiError::NotFound(format!(
            "gate request: field \"service\" = {:?} names no service with SLOs; known services: {}",
            req.service,
            known.join(", ")
        )));
    }
    let deploy = state
        .decisions
        .changes
        .latest_deploy(&req.service, req.version.as_deref(), at);
    let version = req
        .version
        .clone()
        .or_else(|| deploy.as_ref().and_then(|d| d.version.clone()));
    let (since, since_source) = match (&req.since, &deploy) {
        (Some(raw), _) => (parse_instant("since", raw)?, "request"),
        (None, Some(d)) => (d.instant(), "deploy"),
        (None, None) => (
            at.checked_sub(jiff::SignedDuration::from_mins(DEFAULT_SINCE_MINUTES))
                .unwrap_or(at),
            "default (no deploy recorded: the last 60 minutes)",
        ),
    };
    let to = slo::minute_of(at) + 1;
    let arms = assess::ArmsRequest {
        version: version.as_deref(),
        baseline_version: req.baseline_version.as_deref(),
        since: slo::minute_of(since).min(to - 1),
        to,
    };
    let reader = state.store.read();
    let mut evidence = Vec::new();
    let mut notes = Vec::new();
    for entry in &entries {
        let policy = assess::policy_verdict(&catalog, entry, &reader, at);
        for a in assess::assess(entry, &reader, at) {
            let (e, note) = assess::evidence(&a, &policy, &reader, &arms);
            if let Some(n) = note {
                notes.push((a.label(), n));
            }
            evidence.push(e);
        }
    }
    drop(reader);
    let mut report =
        judge(&config, &evidence, &req.tags).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    for (slo, message) in notes {
        report.reasons.push(Reason {
            slo,
            kind: ReasonKind::Samples,
            verdict: Verdict::Inconclusive,
            message,
            mann_whitney: None,
            proportions: None,
        });
    }
    report.verdict = report
        .reasons
        .iter()
        .map(|r| r.verdict)
        .max()
        .unwrap_or(Verdict::Inconclusive);
    report.exit_code = report.exit_code();
    let burned: Vec<Value> = evidence
        .iter()
        .filter_map(|e| {
            e.budget_burned
                .map(|b| json!({ "slo": e.slo, "share_of_budget": b }))
        })
        .collect();
    let mut doc = serde_json::to_value(&report).unwrap_or(Value::Null);
    doc["service"] = json!(req.service);
    doc["version"] = json!(version);
    doc["baseline_version"] = json!(req.baseline_version);
    doc["since"] = json!(since.to_string());
    doc["since_source"] = json!(since_source);
    doc["at"] = json!(at.to_string());
    doc["change"] = json!(deploy);
    doc["budget_burned"] = Value::Array(burned);
    let mut actions: Vec<Action> = Vec::new();
    if report.verdict == Verdict::Fail {
        let failing: Vec<&str> = report
            .reasons
            .iter()
            .filter(|r| r.verdict == Verdict::Fail)
            .map(|r| r.message.as_str())
            .collect();
        let request = hooks::Request {
            cause: format!("gate:{}:{}", req.service, version.as_deref().unwrap_or("-")),
            trigger: "gate",
            body: json!({
                "event": "gate.failed",
                "action": "rollback",
                "service": req.service,
                "version": version,
                "baseline_version": req.baseline_version,
                "time": now.to_string(),
                "reason": failing.join("; "),
                "gate": doc.clone(),
            }),
            flag_off: None,
        };
        actions = hooks::act(
            &state.decisions.hooks,
            &state.decisions.actions,
            &request,
            now,
        );
    }
    doc["actions"] = json!(actions);
    Ok(doc)
}

async fn post_gate(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    authorize(&state, &headers, Scope::Ingest)?;
    let req: GateRequest = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("gate request: {e}")))?;
    if req.service.trim().is_empty() {
        return Err(ApiError::BadRequest(
            "gate request: field \"service\" is empty: expected the service being released".into(),
        ));
    }
    let now = state.clock.now();
    let doc = blocking(move || gate_document(&state, &req, now)).await?;
    Ok(Json(doc).into_response())
}

/// Looks, per stored objective, at the last hour: when it burns faster
/// than sustainable and one version or flag explains the burn
/// (`decide::attribution::dominant_cause`), calls the hooks (and the
/// flag-off URL for a flag), once per cause per cool-down. Blocking.
/// Returns `(findings, actions taken)`.
pub fn check_attribution(state: &AppState, now: Timestamp) -> (Vec<Value>, Vec<Action>) {
    let catalog = state.catalog();
    let mut requests = Vec::new();
    let mut findings = Vec::new();
    {
        let reader = state.store.read();
        let to = slo::minute_of(now) + 1;
        let from = to - 60;
        for entry in &catalog.slos {
            let deps = assess::dependency_dimensions(&catalog, entry);
            for a in assess::assess(entry, &reader, now) {
                let whole = assess::whole_tally(&a, &reader, from, to);
                let burning =
                    slo::evaluation::burn_rate_of(a.def.target, &whole).is_some_and(|b| b > 1.0);
                if !burning {
                    continue;
                }
                let Some(attr) = assess::attribution(&a, &reader, from, to, &deps) else {
                    continue;
                };
                let Some(cause) =
                    decide::attribution::dominant_cause(&attr, state.decisions.hooks.min_share)
                else {
                    continue;
                };
                let is_flag = FLAG_DIMENSIONS.contains(&cause.dimension.as_str());
                let is_version = VERSION_DIMENSIONS.contains(&cause.dimension.as_str());
                if !is_flag && !is_version {
                    continue;
                }
                let service = entry.spec.service.clone();
                let reason = format!(
                    "SLO {}: burn over the last hour {}",
                    a.label(),
                    cause.describe()
                );
                findings.push(json!({
                    "slo": a.label(), "service": service, "dimension": cause.dimension,
                    "value": cause.value, "share_of_burn": cause.share_of_burn,
                    "share_of_traffic": cause.share_of_traffic, "reason": reason,
                }));
                requests.push(hooks::Request {
                    cause: format!(
                        "attribution:{}:{}={}",
                        a.label(),
                        cause.dimension,
                        cause.value
                    ),
                    trigger: "attribution",
                    body: json!({
                        "event": "burn.attributed",
                        "action": if is_flag { "flag-off" } else { "rollback" },
                        "slo": a.label(),
                        "service": service,
                        "version": if is_version { Some(&cause.value) } else { None },
                        "flag": if is_flag { Some(&cause.value) } else { None },
                        "dimension": cause.dimension,
                        "share_of_burn": cause.share_of_burn,
                        "share_of_traffic": cause.share_of_traffic,
                        "time": now.to_string(),
                        "reason": reason,
                    }),
                    flag_off: is_flag
                        .then(|| (cause.value.clone(), service.clone(), reason.clone())),
                });
            }
        }
    }
    let actions = requests
        .iter()
        .flat_map(|r| hooks::act(&state.decisions.hooks, &state.decisions.actions, r, now))
        .collect();
    (findings, actions)
}

async fn list_actions(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    authorize(&state, &headers, Scope::Read)?;
    Ok(Json(json!({ "actions": state.decisions.actions.list() })).into_response())
}

async fn post_check(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(p): Query<AtParams>,
) -> Result<Response, ApiError> {
    authorize(&state, &headers, Scope::Admin)?;
    let at = parse_at(p.at.as_deref(), state.clock.now())?;
    let (findings, actions) = blocking(move || Ok(check_attribution(&state, at))).await?;
    Ok(
        Json(json!({ "at": at.to_string(), "findings": findings, "actions": actions }))
            .into_response(),
    )
}

/// The priorities report at `at` (`decide::priorities::PrioritiesReport`).
pub fn priorities_report(state: &AppState, at: Timestamp) -> decide::priorities::PrioritiesReport {
    let catalog = state.catalog();
    let reader = state.store.read();
    let inputs = assess::priority_inputs(&catalog, &reader, at);
    decide::priorities::rank(&inputs, at)
}

async fn get_priorities(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(p): Query<AtParams>,
) -> Result<Response, ApiError> {
    authorize(&state, &headers, Scope::Read)?;
    let at = parse_at(p.at.as_deref(), state.clock.now())?;
    let markdown = match p.format.as_deref().map(str::trim) {
        None | Some("") | Some("json") => false,
        Some("md") | Some("markdown") => true,
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "query parameter format={other:?}: expected json or md"
            )));
        }
    };
    let report = blocking(move || Ok(priorities_report(&state, at))).await?;
    if markdown {
        return Ok((
            [(header::CONTENT_TYPE, "text/markdown; charset=utf-8")],
            decide::priorities::render_markdown(&report),
        )
            .into_response());
    }
    Ok(Json(report).into_response())
}

#[cfg(test)]
mod tests;
