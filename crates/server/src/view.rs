//! The documents the API serves and the CLI prints. Every SLO figure shown
//! anywhere comes from `objective_document`/`slo_value`, so the API, the
//! terminal and (later) the dashboard cannot disagree.
//!
//! Objectives whose SLI lives in a Prometheus-compatible engine are
//! evaluated by querying it (`promql`), so these functions block: call them
//! from a blocking thread. An engine failure becomes that objective's
//! `"status": "error"` with the engine's message, never figures of zero.

use jiff::Timestamp;
use serde_json::{Value, json};
use store::{SeriesKey, Store};

use crate::catalog::{Catalog, ObjectiveEntry, SloEntry, Source};
use crate::error::ApiError;
use crate::promql::{PromSession, PromSource};

/// RFC 3339 text of a minute index.
pub fn minute_to_rfc3339(m: slo::Minute) -> String {
    Timestamp::from_second(m * 60)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

/// `{"slos": [...]}` for every SLO at `at`. Blocking (see
/// [`objective_document`]).
pub fn slos_document(catalog: &Catalog, store: &Store, at: Timestamp, history: usize) -> Value {
    let session = PromSession::default();
    let slos: Vec<Value> = catalog
        .slos
        .iter()
        .map(|e| slo_value_in(e, store, at, history, &session))
        .collect();
    json!({ "at": at.to_string(), "slos": slos })
}

/// One SLO, or 404 for an unknown name.
pub fn slo_document(
    catalog: &Catalog,
    store: &Store,
    name: &str,
    at: Timestamp,
    history: usize,
) -> Result<Value, ApiError> {
    let entry = catalog
        .slo(name)
        .ok_or_else(|| ApiError::NotFound(format!("no SLO named {name:?}")))?;
    Ok(slo_value(entry, store, at, history))
}

/// Severity order of statuses, worst last, for an SLO's overall status.
fn status_rank(s: &str) -> u8 {
    match s {
        "healthy" => 0,
        "no_data" => 1,
        "error" => 2,
        "at_risk" => 3,
        "exhausted" => 4,
        _ => 2,
    }
}

/// Calls `f` with one objective's data, from wherever it lives (the
/// store, or a Prometheus-compatible engine), with the minutes in
/// `[from, to)` that corrections exclude from the SLO's budget taken out.
/// `Err` says why there is no data: an unsupported source or an engine
/// failure (never a silent zero). Blocking for engine-backed objectives.
pub fn with_objective_data<R>(
    entry: &SloEntry,
    o: &ObjectiveEntry,
    store: &Store,
    session: &PromSession,
    (from, to): (slo::Minute, slo::Minute),
    f: impl FnOnce(&dyn slo::BucketSource) -> R,
) -> Result<R, String> {
    let excluded = entry.excluded(from, to);
    let run = |data: &dyn slo::BucketSource| {
        if excluded.is_empty() {
            f(data)
        } else {
            f(&slo::Excluding::new(data, &excluded))
        }
    };
    match &o.source {
        Source::Events { sli } => {
            let reader = store.read();
            let key = SeriesKey {
                sli: sli.clone(),
                dimension: String::new(),
                value: String::new(),
            };
            Ok(match reader.series(&key) {
                Some(view) => run(&view),
                None => run(&std::collections::BTreeMap::<slo::Minute, slo::Bucket>::new()),
            })
        }
        Source::Prometheus(sli) => {
            let data = PromSource::new(sli, session);
            let out = run(&data);
            match data.failure() {
                Some(f) => Err(f.to_string()),
                None => Ok(out),
            }
        }
        Source::Unsupported(why) => Err(why.clone()),
    }
}

/// The minute range whose corrections matter for figures at `at`: two
/// windows back (budget history starts one window back) plus the longest
/// alert window, to the minute after `at`.
pub fn correction_span(def: &slo::ObjectiveDef, at: Timestamp) -> (slo::Minute, slo::Minute) {
    let now = slo::minute_of(at);
    (
        now - 2 * slo::period_minutes(&def.window, at) - 4320,
        now + 1,
    )
}

/// The evaluation and budget history of one objective.
fn evaluate_objective(
    entry: &SloEntry,
    o: &ObjectiveEntry,
    def: &slo::ObjectiveDef,
    store: &Store,
    at: Timestamp,
    history: usize,
    session: &PromSession,
) -> Result<(slo::Evaluation, Vec<(slo::Minute, f64)>), String> {
    // Stored data is read in one shared pass; an engine is asked per
    // point, which keeps its range queries small.
    let stored = matches!(o.source, Source::Events { .. });
    with_objective_data(entry, o, store, session, correction_span(def, at), |data| {
        if stored {
            slo::evaluate_with_history(def, data, at, history)
        } else {
            (
                slo::evaluate(def, data, at),
                slo::budget_history(def, data, at, history),
            )
        }
    })
}

fn evaluation_value(e: &slo::Evaluation) -> Value {
    let burn: serde_json::Map<String, Value> = e
        .burn_rates
        .iter()
        .map(|b| (b.label.to_string(), json!(b.value)))
        .collect();
    json!({
        "status": e.status.as_str(),
        "sli": { "good": e.good, "total": e.total, "value": e.sli, "raw_good": e.raw_good, "raw_total": e.raw_total },
        "error_budget": { "total": e.budget.total, "consumed": e.budget.consumed, "remaining": e.budget.remaining },
        "burn_rates": burn,
        "time_to_exhaustion_s": e.time_to_exhaustion_s,
    })
}

/// One objective's figures at `at`.
///
/// Blocking: objectives of type `prometheus` query their engine, so call
/// this (and every `*_document` function here) from a blocking thread.
pub fn objective_document(
    entry: &SloEntry,
    o: &ObjectiveEntry,
    store: &Store,
    at: Timestamp,
    history: usize,
) -> (Value, Option<slo::Evaluation>) {
    objective_document_in(entry, o, store, at, history, &PromSession::default())
}

fn objective_document_in(
    entry: &SloEntry,
    o: &ObjectiveEntry,
    store: &Store,
    at: Timestamp,
    history: usize,
    session: &PromSession,
) -> (Value, Option<slo::Evaluation>) {
    let mut doc = json!({ "name": o.name, "display_name": o.display_name });
    let outcome = o.def.as_ref().map_err(|e| e.clone()).and_then(|def| {
        evaluate_objective(entry, o, def, store, at, history, session).map(|r| (def, r))
    });
    let mut points = Vec::new();
    let eval = match outcome {
        Ok((def, (eval, hist))) => {
            points = hist;
            let mut v = evaluation_value(&eval);
            v["target"] = json!(def.target);
            v["window_from"] = json!(minute_to_rfc3339(eval.window_from));
            v["window_to"] = json!(minute_to_rfc3339(eval.window_to));
            merge(&mut doc, v);
            Some(eval)
        }
        Err(why) => {
            doc["status"] = json!("error");
            doc["error"] = json!(why);
            if let Ok(def) = &o.def {
                doc["target"] = json!(def.target);
            }
            None
        }
    };
    if history > 0 {
        doc["budget_history"] = points
            .into_iter()
            .map(|(m, r)| json!({ "t": minute_to_rfc3339(m), "remaining": r }))
            .collect();
    }
    (doc, eval)
}

fn merge(into: &mut Value, from: Value) {
    if let (Value::Object(a), Value::Object(b)) = (into, from) {
        a.extend(b);
    }
}

fn budgeting_method(m: &spec::BudgetingMethod) -> &'static str {
    match m {
        spec::BudgetingMethod::Occurrences => "Occurrences",
        spec::BudgetingMethod::Timeslices => "Timeslices",
        spec::BudgetingMethod::RatioTimeslices => "RatioTimeslices",
    }
}

/// The whole SLO document (the shape `GET /api/v1/slos/{name}` serves).
/// Blocking (see [`objective_document`]).
pub fn slo_value(entry: &SloEntry, store: &Store, at: Timestamp, history: usize) -> Value {
    slo_value_in(entry, store, at, history, &PromSession::default())
}

fn slo_value_in(
    entry: &SloEntry,
    store: &Store,
    at: Timestamp,
    history: usize,
    session: &PromSession,
) -> Value {
    let s = &entry.spec;
    let mut objectives = Vec::new();
    let mut evals = Vec::new();
    let mut worst = String::from("healthy");
    for o in &entry.objectives {
        let (doc, eval) = objective_document_in(entry, o, store, at, history, session);
        let st = doc["status"].as_str().unwrap_or("error");
        if status_rank(st) > status_rank(&worst) {
            worst = st.to_string();
        }
        if let Some(e) = eval {
            evals.push((o.weight, e));
        }
        objectives.push(doc);
    }
    let window_bounds = evals.first().map(|(_, e)| {
        (
            minute_to_rfc3339(e.window_from),
            minute_to_rfc3339(e.window_to),
        )
    });
    let tw = &s.time_window;
    let mut doc = json!({
        "name": s.metadata.name,
        "display_name": s.metadata.display_name,
        "description": s.description,
        "service": s.service,
        "budgeting_method": budgeting_method(&s.budgeting_method),
        "window": {
            "duration": tw.duration.to_string(),
            "rolling": tw.is_rolling,
            "time_zone": tw.calendar.as_ref().map(|c| c.time_zone.clone()),
            "from": window_bounds.as_ref().map(|b| b.0.clone()),
            "to": window_bounds.as_ref().map(|b| b.1.clone()),
        },
        "status": worst,
        "owner": {
            "team": s.ownership.owner,
            "champion": s.ownership.champion,
            "escalation": s.ownership.escalation,
            "review_cadence": s.ownership.review_cadence.as_ref().map(|d| d.to_string()),
            "last_reviewed": s.ownership.last_reviewed.map(|d| d.to_string()),
        },
        "objectives": objectives,
    });
    if let Some(sli) = &s.indicator {
        doc["indicator"] = json!({
            "name": sli.metadata.name,
            "why": sli.documentation.why,
            "how": sli.documentation.how,
            "acceptable_variation": sli.documentation.acceptable_variation,
        });
    }
    if entry.composite && !evals.is_empty() {
        let parts: Vec<(f64, &slo::Evaluation)> = evals.iter().map(|(w, e)| (*w, e)).collect();
        let target = entry
            .objectives
            .iter()
            .find_map(|o| o.def.as_ref().ok().map(|d| d.target))
            .unwrap_or(0.0);
        let c = slo::composite(&parts, target);
        doc["composite"] = evaluation_value(&c);
        doc["status"] = json!(c.status.as_str());
    }
    doc
}

/// Journeys with their steps and each step's SLO status. Blocking (see
/// [`objective_document`]).
pub fn journeys_document(catalog: &Catalog, store: &Store, at: Timestamp) -> Value {
    let session = PromSession::default();
    // An SLO in several steps or journeys is evaluated once.
    let mut memo: std::collections::HashMap<String, Value> = std::collections::HashMap::new();
    journeys_with(catalog, at, &mut |e| {
        memo.entry(e.spec.metadata.name.clone())
            .or_insert_with(|| slo_value_in(e, store, at, 0, &session))
            .clone()
    })
}

fn journeys_with(
    catalog: &Catalog,
    at: Timestamp,
    slo_value: &mut dyn FnMut(&SloEntry) -> Value,
) -> Value {
    let journeys: Vec<Value> = catalog
        .specs
        .journeys
        .iter()
        .map(|j| {
            let steps: Vec<Value> = j
                .steps
                .iter()
                .map(|st| {
                    let slos: Vec<Value> = st
                        .slos
                        .iter()
                        .filter_map(|n| catalog.slo(n))
                        .map(|e| {
                            let v = slo_value(e);
                            json!({ "name": v["name"], "status": v["status"], "objectives": v["objectives"] })
                        })
                        .collect();
                    json!({ "name": st.name, "display_name": st.display_name, "slos": slos })
                })
                .collect();
            json!({
                "name": j.metadata.name,
                "display_name": j.metadata.display_name,
                "description": j.description,
                "weight": j.weight,
                "owner": j.owner,
                "steps": steps,
                "completion_slo": j.completion_slo,
                "time_to_first_action_slo": j.time_to_first_action_slo,
            })
        })
        .collect();
    json!({ "at": at.to_string(), "journeys": journeys })
}

/// The answer to an ingest request.
pub fn ingest_document(r: &ingest::IngestReport) -> Value {
    let errors: Vec<Value> = r
        .errors
        .iter()
        .map(|e| json!({ "line": e.line, "message": e.message }))
        .collect();
    let folded: Vec<Value> = r
        .folded_segments
        .iter()
        .map(|(sli, dim)| json!({ "sli": sli, "dimension": dim }))
        .collect();
    let mut doc = json!({ "accepted": r.accepted, "rejected": r.rejected, "errors": errors });
    if !folded.is_empty() {
        doc["folded_segments"] = Value::Array(folded);
        doc["note"] = json!(
            "segment cardinality cap reached: new values of these dimensions are counted under \"other\""
        );
    }
    if r.rejected as usize > r.errors.len() {
        doc["errors_truncated"] = json!(true);
    }
    doc
}

/// Per-segment figures of one SLO (each configured dimension, values sorted
/// by budget consumed): the drill-down behind "which region, version or
/// flag is burning the budget".
pub fn segments_document(
    catalog: &Catalog,
    store: &Store,
    name: &str,
    at: Timestamp,
) -> Result<Value, ApiError> {
    let entry = catalog
        .slo(name)
        .ok_or_else(|| ApiError::NotFound(format!("no SLO named {name:?}")))?;
    let reader = store.read();
    let mut objectives = Vec::new();
    for o in &entry.objectives {
        let (Ok(def), Source::Events { sli }) = (&o.def, &o.source) else {
            objectives.push(json!({ "name": o.name, "dimensions": [] }));
            continue;
        };
        let whole = SeriesKey {
            sli: sli.clone(),
            dimension: String::new(),
            value: String::new(),
        };
        // Corrections exclude the same minutes from every segment as from
        // the whole SLI, so shares still add up.
        let (cf, ct) = correction_span(def, at);
        let excluded = entry.excluded(cf, ct);
        let eval = |data: &dyn slo::BucketSource| {
            if excluded.is_empty() {
                slo::evaluate(def, data, at)
            } else {
                slo::evaluate(def, &slo::Excluding::new(data, &excluded), at)
            }
        };
        let whole_consumed = reader
            .series(&whole)
            .map(|v| eval(&v).budget.consumed)
            .unwrap_or(0.0);
        let mut dims: std::collections::BTreeMap<String, Vec<(f64, Value)>> =
            std::collections::BTreeMap::new();
        for (key, series) in reader.segments(sli) {
            let e = eval(&series);
            let share = if whole_consumed > 0.0 {
                Some(e.budget.consumed / whole_consumed)
            } else {
                None
            };
            let mut v = evaluation_value(&e);
            v["value"] = json!(key.value);
            v["share_of_consumed"] = json!(share);
            dims.entry(key.dimension.clone())
                .or_default()
                .push((e.budget.consumed, v));
        }
        let dimensions: Vec<Value> = dims
            .into_iter()
            .map(|(dim, mut segs)| {
                segs.sort_by(|a, b| b.0.total_cmp(&a.0));
                json!({ "dimension": dim, "segments": segs.into_iter().map(|(_, v)| v).collect::<Vec<_>>() })
            })
            .collect();
        objectives.push(json!({ "name": o.name, "dimensions": dimensions }));
    }
    Ok(json!({ "name": name, "at": at.to_string(), "objectives": objectives }))
}

/// Most points a series document carries per line.
pub const MAX_SERIES_POINTS: usize = 500;

/// The time series behind the dashboard's SLO charts, for `range_minutes`
/// ending at `at`, in `points` steps: per objective the SLI of each step
/// (not of the window ending there; that is `budget_history`), the burn
/// rate over each alert rule's long window at each step's end, and the
/// rules' thresholds scaled to the objective's window
/// (`slo::STANDARD_RULES`). Blocking (see [`objective_document`]); an
/// objective without figures carries `"error"` instead of series.
pub fn series_document(
    catalog: &Catalog,
    store: &Store,
    name: &str,
    at: Timestamp,
    range_minutes: i64,
    points: usize,
) -> Result<Value, ApiError> {
    let entry = catalog
        .slo(name)
        .ok_or_else(|| ApiError::NotFound(format!("no SLO named {name:?}")))?;
    let points = points.clamp(1, MAX_SERIES_POINTS);
    let range = range_minutes.max(1);
    let to = slo::minute_of(at) + 1;
    let from = to - range;
    let step = (range + points as i64 - 1) / points as i64;
    let session = PromSession::default();
    let objectives: Vec<Value> = entry
        .objectives
        .iter()
        .map(|o| {
            let mut doc = json!({ "name": o.name });
            let def = match &o.def {
                Ok(def) => def,
                Err(why) => {
                    doc["error"] = json!(why);
                    return doc;
                }
            };
            let outcome = with_objective_data(
                entry,
                o,
                store,
                &session,
                correction_span(def, at),
                |data| {
                    let stored = matches!(o.source, Source::Events { .. });
                    objective_series(def, data, stored, at, from, to, step)
                },
            );
            match outcome {
                Ok(v) => merge(&mut doc, v),
                Err(why) => doc["error"] = json!(why),
            }
            doc
        })
        .collect();
    Ok(json!({
        "name": name,
        "at": at.to_string(),
        "from": minute_to_rfc3339(from),
        "to": minute_to_rfc3339(to),
        "step_minutes": step,
        "objectives": objectives,
    }))
}

/// Label of a whole number of minutes in the API's burn-rate style (`5m`, `1h`, `3d`).
fn minutes_label(m: i64) -> String {
    if m % 1440 == 0 {
        format!("{}d", m / 1440)
    } else if m % 60 == 0 {
        format!("{}h", m / 60)
    } else {
        format!("{m}m")
    }
}

fn objective_series(
    def: &slo::ObjectiveDef,
    data: &dyn slo::BucketSource,
    stored: bool,
    at: Timestamp,
    from: slo::Minute,
    to: slo::Minute,
    step: i64,
) -> Value {
    let window_minutes = slo::period_minutes(&def.window, at);
    let sli: Vec<Value> = slo::sli_series(def, data, from, to, step)
        .into_iter()
        .map(|(m, v)| json!({ "t": minute_to_rfc3339(m), "value": v }))
        .collect();
    // Each burn point is the rate over the window ending with the step's
    // last minute, so the newest point equals the evaluation at `at`.
    let mut ends = Vec::new();
    let mut s = from;
    while s < to {
        let e = s.saturating_add(step).min(to);
        ends.push(e - 1);
        s = e;
    }
    let mut longs: Vec<i64> = slo::STANDARD_RULES.iter().map(|r| r.long_minutes).collect();
    longs.dedup();
    // One pass over the data serves every point of every line (each point
    // would otherwise walk its window).
    let longest = longs.iter().copied().max().unwrap_or(0);
    // Stored data only: an engine is asked per point, keeping its range
    // queries small.
    let shared = (stored && slo::SliceTallies::pays_off(def))
        .then(|| slo::SliceTallies::new(def, data, from - longest, to));
    let burn: serde_json::Map<String, Value> = longs
        .iter()
        .map(|&w| {
            let line: Vec<Value> = ends
                .iter()
                .map(|&m| {
                    let value = match &shared {
                        Some(st) => {
                            slo::evaluation::burn_rate_of(def.target, &st.tally(m + 1 - w, m + 1))
                        }
                        None => {
                            let t = if m == to - 1 {
                                at
                            } else {
                                slo::minute_start(m)
                            };
                            slo::burn_rate_over(def, data, t, w)
                        }
                    };
                    json!({ "t": minute_to_rfc3339(m), "value": value })
                })
                .collect();
            (minutes_label(w), Value::Array(line))
        })
        .collect();
    let thresholds: Vec<Value> = slo::STANDARD_RULES
        .iter()
        .map(|r| {
            json!({
                "rule": r.name,
                "severity": if r.page { "page" } else { "ticket" },
                "long": minutes_label(r.long_minutes),
                "short": minutes_label(r.short_minutes),
                "factor": r.factor(window_minutes),
            })
        })
        .collect();
    json!({
        "target": def.target,
        "window_minutes": window_minutes,
        "sli": sli,
        "burn_rates": burn,
        "thresholds": thresholds,
    })
}
