use http_body_util::BodyExt;
use jiff::Timestamp;
use tower::ServiceExt;

use axum::http::StatusCode;

use super::*;
use crate::catalog::Catalog;
use crate::state::{Clock, ServerOptions};

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
  displayName: Payments <succeed>
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
              segments: [region]
  timeWindow:
    - duration: 28d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - target: 0.99
---
apiVersion: lodestar.dev/v1
kind: Journey
metadata:
  name: buy
spec:
  steps:
    - name: pay
      slos: [pay-availability]
  completionSlo: pay-availability
"#;

const AT: &str = "2026-11-27T12:00:00Z";

/// A clock stopped at [`AT`], so event ages and default instants are fixed.
struct Stopped;

impl Clock for Stopped {
    fn now(&self) -> Timestamp {
        AT.parse().unwrap()
    }
}

/// A server with an hour of `/pay` events before [`AT`]: 10 a minute, two
/// of them errors in each of the minutes 11:30 to 11:39.
fn state(dir: &std::path::Path) -> Arc<AppState> {
    let (store, _) = store::Store::open(store::StoreConfig {
        dir: dir.to_path_buf(),
        retention_minutes: 35 * 1440,
        ..store::StoreConfig::default()
    })
    .unwrap();
    let catalog = Catalog::from_sources(&[("specs.yaml".into(), SPECS.into())], false).unwrap();
    let st = Arc::new(AppState::new(
        Arc::new(store),
        catalog,
        ServerOptions {
            retention_minutes: 35 * 1440,
            ..ServerOptions::default()
        },
        Arc::new(Stopped),
    ));
    let start: Timestamp = "2026-11-27T11:00:00Z".parse().unwrap();
    let mut body = String::new();
    for minute in 0..60i64 {
        for k in 0..10 {
            let ms = start.as_millisecond() + minute * 60_000 + k * 1000;
            let status = if (30..40).contains(&minute) && k < 2 {
                "error"
            } else {
                "ok"
            };
            let region = if k % 2 == 0 { "eu-west" } else { "us-east" };
            body.push_str(&format!(
                r#"{{"timestamp":{ms},"name":"POST /pay","status":"{status}","attributes":{{"http.route":"/pay","region":"{region}"}}}}"#
            ));
            body.push('\n');
        }
    }
    let report = st.ingest_ndjson(body.as_bytes()).unwrap();
    assert_eq!(report.accepted, 600, "{:?}", report.errors.first());
    st
}

async fn get(st: &Arc<AppState>, uri: &str) -> (StatusCode, String, String) {
    let resp = crate::api::router(st.clone())
        .oneshot(
            axum::http::Request::get(uri)
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let status = resp.status();
    let ct = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, ct, String::from_utf8(body.to_vec()).unwrap())
}

async fn get_json(st: &Arc<AppState>, uri: &str) -> Value {
    let (status, _, body) = get(st, uri).await;
    assert_eq!(status, StatusCode::OK, "{uri}: {body}");
    serde_json::from_str(&body).unwrap()
}

/// `data-value` of the first element with `data-field="name"`, read by the
/// same JSON parser as the API's answers (so both sides parse the same text
/// the same way).
fn field(html: &str, name: &str) -> f64 {
    let needle = format!("data-field=\"{name}\"");
    let at = html
        .find(&needle)
        .unwrap_or_else(|| panic!("no {name} field"));
    let rest = &html[at..];
    let v = rest.split_once("data-value=\"").unwrap().1;
    serde_json::from_str(v.split('"').next().unwrap()).unwrap()
}

#[tokio::test]
async fn series_steps_match_the_events_and_end_at_the_evaluation() {
    let dir = tempfile::tempdir().unwrap();
    let st = state(dir.path());
    let series = get_json(
        &st,
        &format!("/api/v1/slos/pay-availability/series?at={AT}&range=1h&points=6"),
    )
    .await;
    let slo = get_json(&st, &format!("/api/v1/slos/pay-availability?at={AT}")).await;
    assert_eq!(series["step_minutes"], 10);
    assert_eq!(series["from"], "2026-11-27T11:01:00Z");
    let o = &series["objectives"][0];
    let sli: Vec<Option<f64>> = o["sli"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["value"].as_f64())
        .collect();
    // Steps start 11:01, 11:11, …; the one from 11:31 holds nine minutes with two errors of ten.
    assert_eq!(sli.len(), 6);
    assert_eq!(sli[0], Some(1.0));
    assert_eq!(sli[3], Some(0.82));
    // The newest burn point is the evaluation's burn rate over the same window.
    let burn_1h = o["burn_rates"]["1h"].as_array().unwrap();
    assert_eq!(
        burn_1h.last().unwrap()["value"],
        slo["objectives"][0]["burn_rates"]["1h"]
    );
    let newest = burn_1h.last().unwrap()["value"].as_f64().unwrap();
    assert!((newest - 20.0 / 590.0 / 0.01).abs() < 1e-9, "{newest}");
    // (The hour ending with the minute of 12:00 starts at 11:01: 59 minutes of events.)
    // Thresholds scaled to the 28-day window: 14.4 × 28 / 30.
    let page = &o["thresholds"][0];
    assert_eq!(page["rule"], "page_1h_5m");
    assert!((page["factor"].as_f64().unwrap() - 13.44).abs() < 1e-9);
    assert_eq!(o["thresholds"].as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn series_parameters_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let st = state(dir.path());
    for (uri, want) in [
        (
            "/api/v1/slos/pay-availability/series?points=0",
            "points=\"0\"",
        ),
        (
            "/api/v1/slos/pay-availability/series?points=501",
            "points=\"501\"",
        ),
        (
            "/api/v1/slos/pay-availability/series?range=2y",
            "range=\"2y\"",
        ),
    ] {
        let (status, _, body) = get(&st, uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
        let doc: Value = serde_json::from_str(&body).unwrap();
        assert!(doc["error"].as_str().unwrap().contains(want), "{body}");
    }
    let (status, _, _) = get(&st, "/api/v1/slos/nope/series").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn pages_show_the_api_figures_at_the_same_instant() {
    let dir = tempfile::tempdir().unwrap();
    let st = state(dir.path());
    let slo = get_json(&st, &format!("/api/v1/slos/pay-availability?at={AT}")).await;
    let o = &slo["objectives"][0];

    let (status, ct, html) = get(&st, &format!("/slos/pay-availability?at={AT}&range=1h")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ct, "text/html; charset=utf-8");
    assert_eq!(field(&html, "sli"), o["sli"]["value"].as_f64().unwrap());
    assert_eq!(
        field(&html, "budget_remaining"),
        o["error_budget"]["remaining"].as_f64().unwrap()
    );
    assert!(html.contains("Payments &lt;succeed&gt;"));
    assert!(html.contains("data-dimension=\"region\""));

    let (status, _, html) = get(&st, &format!("/?at={AT}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(field(&html, "sli"), o["sli"]["value"].as_f64().unwrap());
    assert!(html.contains("href=\"/journeys/buy?at="));

    let (status, _, html) = get(&st, &format!("/journeys/buy?at={AT}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        field(&html, "completion_rate"),
        o["sli"]["value"].as_f64().unwrap()
    );
}

#[tokio::test]
async fn errors_are_html_pages_with_the_api_status() {
    let dir = tempfile::tempdir().unwrap();
    let st = state(dir.path());
    let (status, ct, html) = get(&st, "/slos/nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(ct, "text/html; charset=utf-8");
    assert!(html.contains("no SLO named &quot;nope&quot;"));
    let (status, _, html) = get(&st, "/journeys/nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("no journey named"));
    let (status, _, html) = get(&st, "/slos/pay-availability?range=forever").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("range=&quot;forever&quot;"));
    let (status, _, _) = get(&st, "/?at=yesterday").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn assets_are_served_with_their_types() {
    let dir = tempfile::tempdir().unwrap();
    let st = state(dir.path());
    let (status, ct, css) = get(&st, web::STYLESHEET_PATH).await;
    assert_eq!(
        (status, ct.as_str()),
        (StatusCode::OK, "text/css; charset=utf-8")
    );
    assert!(css.contains("prefers-color-scheme: dark"));
    let (status, ct, js) = get(&st, web::SCRIPT_PATH).await;
    assert_eq!(
        (status, ct.as_str()),
        (StatusCode::OK, "text/javascript; charset=utf-8")
    );
    assert!(js.contains("replaceState"));
}

#[tokio::test]
async fn the_slo_page_shows_changes_replayed_alerts_and_the_policy() {
    let dir = tempfile::tempdir().unwrap();
    let st = state(dir.path());
    let change = crate::decisions::changes::validate(
        br#"{"kind":"deploy","service":"shop","version":"v9.9.9","time":"2026-11-27T11:28:00Z"}"#,
        AT.parse().unwrap(),
    )
    .unwrap();
    st.decisions.changes.record(change).unwrap();
    let (status, _, html) = get(&st, &format!("/slos/pay-availability?at={AT}&range=6h")).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    // The deploy is an annotation on the charts.
    assert!(html.contains("deploy shop v9.9.9"), "{html}");
    // 20 % errors for ten minutes spend the 28-day budget of an hour of
    // traffic: the replay of the range finds the budget ticket firing.
    let alerts = crate::alerting::replay_document(
        &st.catalog(),
        &st.store,
        "2026-11-27T06:00:00Z".parse().unwrap(),
        AT.parse().unwrap(),
        1,
        Some("pay-availability"),
    )
    .unwrap();
    let fired: Vec<&str> = alerts["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["fired_at"].is_string())
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    assert!(fired.contains(&"budget_exhausted"), "{alerts:#}");
    assert!(html.contains("budget_exhausted"), "{html}");
    // No BudgetPolicy in the specs: the policy section says so.
    assert!(html.contains("no budget policy applies"), "{html}");
}
