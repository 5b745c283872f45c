use std::sync::Arc;

use jiff::Timestamp;
use serde_json::json;

use super::*;
use crate::catalog::Catalog;
use crate::state::{Clock, ServerOptions};

const SPECS: &str = r#"
apiVersion: openslo/v1
kind: SLO
metadata:
  name: api-latency
spec:
  service: api
  indicator:
    metadata:
      name: api-duration
    spec:
      thresholdMetric:
        metricSource:
          type: lodestar
          spec:
            filter: 'name == "GET /api"'
            field: duration_ms
            aggregate: p95
            segments: [service.version]
  timeWindow:
    - duration: 28d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - op: lte
      value: 300
      target: 0.99
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: pay-availability
spec:
  service: pay
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
              filter: 'name == "POST /pay"'
              segments: [peer.service]
  timeWindow:
    - duration: 28d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - target: 0.99
---
apiVersion: lodestar.dev/v1
kind: BudgetPolicy
metadata:
  name: workbook
spec:
  appliesTo: {}
  states:
    - state: exhausted
      when:
        - budgetRemainingBelow: 0
      releases: frozen
      allow: [fix]
  exceptions:
    - dependency:
        attribute: peer.service
        values: [payments-provider]
"#;

const AT: &str = "2026-11-27T12:00:00Z";

struct Stopped;

impl Clock for Stopped {
    fn now(&self) -> Timestamp {
        AT.parse().unwrap()
    }
}

fn at() -> Timestamp {
    AT.parse().unwrap()
}

fn state(dir: &std::path::Path) -> Arc<AppState> {
    let (store, _) = store::Store::open(store::StoreConfig {
        dir: dir.to_path_buf(),
        retention_minutes: 35 * 1440,
        ..store::StoreConfig::default()
    })
    .unwrap();
    let catalog = Catalog::from_sources(&[("specs.yaml".into(), SPECS.into())], false).unwrap();
    let options = ServerOptions {
        retention_minutes: 35 * 1440,
        ..ServerOptions::default()
    };
    Arc::new(AppState::new(
        Arc::new(store),
        catalog,
        options,
        Arc::new(Stopped),
    ))
}

/// `n` `GET /api` events of `version`, one a second from 30 minutes
/// before [`AT`], durations `base + (i % 100)` ms.
fn api_events(version: &str, n: usize, base: f64) -> String {
    let start = at().as_millisecond() - 30 * 60_000;
    (0..n)
        .map(|i| {
            json!({"timestamp": start + i as i64 * 1000, "name": "GET /api", "status": "ok",
                   "duration_ms": base + (i % 100) as f64,
                   "attributes": {"service.version": version}})
            .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn gate(st: &AppState, version: &str) -> serde_json::Value {
    let req = GateRequest {
        service: "api".into(),
        version: Some(version.into()),
        baseline_version: Some("v1".into()),
        since: Some("2026-11-27T11:00:00Z".into()),
        config: None,
        tags: vec![],
        at: None,
        fail_closed: false,
    };
    gate_document(st, &req, at()).unwrap()
}

#[test]
fn change_validation_names_the_field() {
    let now = at();
    let err = |body: &str| {
        changes::validate(body.as_bytes(), now)
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        err(r#"{"service":"api"}"#),
        "change: field \"kind\" is invalid: expected one of deploy, flag, config (required)"
    );
    assert!(err(r#"{"kind":"rollout","service":"api"}"#).contains("\"kind\""));
    assert!(err(r#"{"kind":"deploy","service":"api"}"#).contains("field \"version\""));
    assert!(err(r#"{"kind":"flag","service":"api"}"#).contains("field \"flag\""));
    assert!(err(r#"{"kind":"config"}"#).contains("field \"service\""));
    assert!(
        err(r#"{"kind":"config","service":"a","time":"yesterday"}"#).contains("field \"time\"")
    );
    assert!(err(r#"{"kind":"config","service":"a","who":"me"}"#).contains("field \"who\""));
    assert!(err(r#"{"kind":"config","service":1}"#).contains("expected a string"));
    assert!(err("[1]").contains("a JSON object"));
    let c = changes::validate(br#"{"kind":"deploy","service":"api","version":"v2"}"#, now).unwrap();
    assert_eq!(c.time, AT);
    assert_eq!(c.kind, ChangeKind::Deploy);
}

#[test]
fn change_log_survives_reopen_and_cuts_a_torn_tail() {
    let dir = tempfile::tempdir().unwrap();
    let log = ChangeLog::open(dir.path()).unwrap();
    let c = changes::validate(
        br#"{"kind":"deploy","service":"api","version":"v2","time":"2026-11-27T10:00:00Z"}"#,
        at(),
    )
    .unwrap();
    assert_eq!(log.record(c.clone()).unwrap().id, "c1");
    drop(log);
    let path = dir.path().join(changes::CHANGES_FILE);
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str(r#"{"id":"c2","kind":"dep"#);
    std::fs::write(&path, &text).unwrap();
    let log = ChangeLog::open(dir.path()).unwrap();
    let listed = log.list(&ChangeFilter::default());
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].version.as_deref(), Some("v2"));
    assert_eq!(log.record(c).unwrap().id, "c2");
    let reopened = ChangeLog::open(dir.path()).unwrap();
    assert_eq!(reopened.list(&ChangeFilter::default()).len(), 2);
    let deploy = reopened.latest_deploy("api", Some("v2"), at()).unwrap();
    assert_eq!(deploy.id, "c2");
    assert!(reopened.latest_deploy("api", Some("v3"), at()).is_none());
    let early: Timestamp = "2026-11-27T09:00:00Z".parse().unwrap();
    assert!(reopened.latest_deploy("api", None, early).is_none());
}

#[test]
fn signature_matches_rfc_4231_test_case_2() {
    assert_eq!(
        hooks::signature("Jefe", b"what do ya want for nothing?"),
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
    let body = br#"{"flag":"x"}"#;
    assert!(hooks::verify_signature(
        "s",
        body,
        &hooks::signature("s", body)
    ));
    assert!(!hooks::verify_signature(
        "t",
        body,
        &hooks::signature("s", body)
    ));
}

#[test]
fn a_cause_is_acted_on_once_per_cooldown() {
    let dir = tempfile::tempdir().unwrap();
    let log = ActionLog::open(dir.path()).unwrap();
    // A port nobody listens on: the call fails fast and is still recorded.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = HookConfig {
        webhook_urls: vec![format!("http://127.0.0.1:{port}/hook")],
        cooldown_minutes: 30,
        ..HookConfig::default()
    };
    let request = hooks::Request {
        cause: "gate:api:v2".into(),
        trigger: "gate",
        body: json!({"event": "gate.failed"}),
        flag_off: None,
    };
    let first = hooks::act(&config, &log, &request, at());
    assert_eq!(first.len(), 1);
    assert!(!first[0].ok);
    assert!(first[0].error.is_some());
    let soon = at()
        .checked_add(jiff::SignedDuration::from_mins(29))
        .unwrap();
    assert!(hooks::act(&config, &log, &request, soon).is_empty());
    // The cool-down is counted from the recorded actions, so it holds
    // across a restart.
    let reopened = ActionLog::open(dir.path()).unwrap();
    assert!(reopened.cooling("gate:api:v2", soon, 30));
    let later = at()
        .checked_add(jiff::SignedDuration::from_mins(31))
        .unwrap();
    assert_eq!(hooks::act(&config, &reopened, &request, later).len(), 1);
    assert_eq!(reopened.list().len(), 2);
}

#[test]
fn slower_canary_fails_and_equal_canary_passes() {
    let dir = tempfile::tempdir().unwrap();
    let st = state(dir.path());
    let body = [
        api_events("v1", 600, 100.0),
        api_events("v2", 600, 100.0),
        api_events("v3", 600, 130.0),
    ]
    .join("\n");
    assert_eq!(st.ingest_ndjson(body.as_bytes()).unwrap().accepted, 1800);
    let pass = gate(&st, "v2");
    assert_eq!(pass["verdict"], "pass", "{pass:#}");
    assert_eq!(pass["exit_code"], 0);
    let fail = gate(&st, "v3");
    assert_eq!(fail["verdict"], "fail", "{fail:#}");
    assert_eq!(fail["exit_code"], 1);
    let latency = fail["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "latency")
        .unwrap();
    assert_eq!(latency["verdict"], "fail");
    assert!(
        latency["message"]
            .as_str()
            .unwrap()
            .contains("canary is slower")
    );
}

#[test]
fn dependency_burn_is_excepted_by_the_policy() {
    let dir = tempfile::tempdir().unwrap();
    let st = state(dir.path());
    let start = at().as_millisecond() - 8 * 60 * 60_000;
    let lines: Vec<String> = (0..1000)
        .map(|i| {
            let (status, peer) = if i < 50 {
                ("error", "payments-provider")
            } else {
                ("ok", "ledger")
            };
            json!({"timestamp": start + i * 600, "name": "POST /pay", "status": status,
                   "attributes": {"peer.service": peer}})
            .to_string()
        })
        .collect();
    st.ingest_ndjson(lines.join("\n").as_bytes()).unwrap();
    let doc = policies_document(&st, at());
    let pay = doc["slos"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["slo"] == "pay-availability")
        .unwrap();
    assert_eq!(pay["state"], "healthy", "{pay:#}");
    assert_eq!(pay["releases"], "allowed");
    assert!((pay["budget_remaining"].as_f64().unwrap() + 4.0).abs() < 1e-9);
    assert_eq!(pay["effective_budget_remaining"], 1.0);
    assert_eq!(pay["postmortem_required"], true);
    let attr = attribution_document(&st, "pay-availability", at(), None, None).unwrap();
    let a = &attr["objectives"][0]["attribution"];
    assert_eq!(a["dependency_share"], 1.0);
    assert_eq!(a["dependency"][0]["value"], "payments-provider");
}

#[test]
fn unknown_service_is_refused_with_the_known_ones() {
    let dir = tempfile::tempdir().unwrap();
    let st = state(dir.path());
    let req = GateRequest {
        service: "nope".into(),
        version: None,
        baseline_version: None,
        since: None,
        config: None,
        tags: vec![],
        at: None,
        fail_closed: false,
    };
    let e = gate_document(&st, &req, at()).unwrap_err().to_string();
    assert!(e.contains("known services: api, pay"), "{e}");
}
