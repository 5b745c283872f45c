use std::sync::Arc;

use super::*;
use crate::{AppState, Clock, ServerOptions};
use alert::Severity;

const SPECS: &str = r#"
apiVersion: openslo/v1
kind: SLO
metadata: {name: pay, displayName: Payments}
spec:
  service: payments
  indicator:
    metadata: {name: pay-requests}
    spec:
      ratioMetric:
        counter: false
        good: {metricSource: {type: lodestar, spec: {filter: 'status == "ok"'}}}
        total: {metricSource: {type: lodestar, spec: {filter: 'name == "POST /pay"'}}}
  timeWindow: [{duration: 28d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{displayName: availability, target: 0.99}]
"#;

struct Fixed(Timestamp);
impl Clock for Fixed {
    fn now(&self) -> Timestamp {
        self.0
    }
}

fn ts(text: &str) -> Timestamp {
    text.parse().unwrap()
}

/// 100 `/pay` events a minute from 11:00 to 15:00, all failing from 13:00
/// to 13:30.
fn state(dir: &Path, specs: &str) -> Arc<AppState> {
    let (store, _) = store::Store::open(store::StoreConfig {
        dir: dir.join("store"),
        retention_minutes: 35 * 1440,
        ..store::StoreConfig::default()
    })
    .unwrap();
    let catalog = Catalog::from_sources(&[("specs.yaml".into(), specs.into())], false)
        .unwrap_or_else(|d| panic!("{}", d.join("\n")));
    let st = Arc::new(AppState::new(
        Arc::new(store),
        catalog,
        ServerOptions {
            retention_minutes: 35 * 1440,
            ..ServerOptions::default()
        },
        Arc::new(Fixed(ts("2026-11-27T15:00:00Z"))),
    ));
    let start = ts("2026-11-27T11:00:00Z").as_millisecond();
    let mut body = String::new();
    for minute in 0..240i64 {
        let outage = (120..150).contains(&minute);
        for k in 0..100 {
            let ms = start + minute * 60_000 + k * 600;
            let status = if outage { "error" } else { "ok" };
            body.push_str(&format!(
                r#"{{"timestamp":{ms},"name":"POST /pay","status":"{status}"}}"#
            ));
            body.push('\n');
        }
    }
    let r = st.ingest_ndjson(body.as_bytes()).unwrap();
    assert_eq!(r.accepted, 24_000, "{:?}", r.errors.first());
    st
}

fn fired(transitions: &[Transition], severity: Severity) -> Vec<Minute> {
    transitions
        .iter()
        .filter(|t| t.key.severity == severity && t.key.kind == alert::AlertKind::Burn)
        .filter(|t| matches!(t.to, Phase::Firing { .. }))
        .map(|t| t.at)
        .collect()
}

#[test]
fn the_live_loop_pages_for_an_outage_and_the_replay_agrees() {
    let dir = tempfile::tempdir().unwrap();
    let st = state(dir.path(), SPECS);
    let alerting = Alerting::open(&dir.path().join("alerts"), AlertingOptions::default()).unwrap();
    let catalog = st.catalog();
    let mut live = Vec::new();
    let from = ts("2026-11-27T12:00:00Z");
    for m in 0..180 {
        let now = from + jiff::SignedDuration::from_mins(m);
        live.extend(alerting.tick(&catalog, &st.store, now));
    }
    let pages = fired(&live, Severity::Page);
    assert_eq!(pages.len(), 1, "{live:#?}");
    // The 6 h / 30 m page (5.6x at 28 days) tips first: the 6 h window
    // holds the two hours of traffic since 11:00, and at 13:07 it has 800
    // bad events of 12,800 (6.25 %, 6.25x); the 1 h window is then at
    // 13.3x, just under its 13.44x.
    assert_eq!(minute_to_rfc3339(pages[0]), "2026-11-27T13:07:00Z");
    let resolved: Vec<&Transition> = live
        .iter()
        .filter(|t| t.key.severity == Severity::Page && matches!(t.to, Phase::Resolved { .. }))
        .collect();
    assert_eq!(resolved.len(), 1);
    assert!(resolved[0].notify);

    let replay = replay_document(
        &catalog,
        &st.store,
        from,
        from + jiff::SignedDuration::from_mins(180),
        1,
        Some("pay"),
    )
    .unwrap();
    let page = replay["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["severity"] == "page" && a["kind"] == "burn")
        .unwrap_or_else(|| panic!("{replay:#}"));
    assert_eq!(page["fired_at"], "2026-11-27T13:07:00Z");
    assert_eq!(
        page["resolved_at"],
        json!(minute_to_rfc3339(resolved[0].at))
    );

    // The state survives a restart: the page is not raised again.
    drop(alerting);
    let again = Alerting::open(&dir.path().join("alerts"), AlertingOptions::default()).unwrap();
    let later = again.tick(
        &catalog,
        &st.store,
        from + jiff::SignedDuration::from_mins(181),
    );
    assert!(fired(&later, Severity::Page).is_empty(), "{later:#?}");
}

#[test]
fn a_maintenance_window_silences_the_page_and_spares_the_budget() {
    let specs = format!(
        "{SPECS}---\n{}",
        r#"apiVersion: lodestar.dev/v1
kind: Correction
metadata: {name: db-migration}
spec:
  slos: [pay]
  timeZone: UTC
  start: "2026-11-27 12:55:00"
  duration: 45m
"#
    );
    let dir = tempfile::tempdir().unwrap();
    let st = state(dir.path(), &specs);
    let alerting = Alerting::in_memory(AlertingOptions::default());
    let catalog = st.catalog();
    let from = ts("2026-11-27T12:00:00Z");
    let mut live = Vec::new();
    for m in 0..180 {
        live.extend(alerting.tick(
            &catalog,
            &st.store,
            from + jiff::SignedDuration::from_mins(m),
        ));
    }
    assert!(fired(&live, Severity::Page).is_empty(), "{live:#?}");
    let doc = crate::view::slo_value(
        catalog.slo("pay").unwrap(),
        &st.store,
        ts("2026-11-27T15:00:00Z"),
        0,
    );
    let sli = &doc["objectives"][0]["sli"];
    // The 30 failing minutes are inside the window: nothing bad is left,
    // and the 45 corrected minutes are gone from the total.
    assert_eq!(sli["good"], json!(19_500.0), "{doc:#}");
    assert_eq!(sli["total"], json!(19_500.0));
}

#[test]
fn a_bad_alert_target_is_reported_not_fatal() {
    let specs = SPECS.replace(
        "  objectives: [{displayName: availability, target: 0.99}]",
        r#"  objectives: [{displayName: availability, target: 0.99}]
  alertPolicies:
    - kind: AlertPolicy
      metadata: {name: fast}
      spec:
        alertWhenBreaching: true
        conditions:
          - kind: AlertCondition
            metadata: {name: fast-burn}
            spec:
              severity: page
              condition: {kind: burnrate, op: gte, threshold: 10, lookbackWindow: 1h}
        notificationTargets:
          - kind: AlertNotificationTarget
            metadata: {name: pager}
            spec: {target: "carrier-pigeon:coop-7"}"#,
    );
    let dir = tempfile::tempdir().unwrap();
    let st = state(dir.path(), &specs);
    let alerting = Alerting::in_memory(AlertingOptions::default());
    let catalog = st.catalog();
    let now = ts("2026-11-27T13:20:00Z");
    let t = alerting.tick(&catalog, &st.store, now);
    assert!(!fired(&t, Severity::Page).is_empty(), "{t:#?}");
    let doc = alerting.current_document(now);
    let problems = doc["problems"].to_string();
    assert!(problems.contains("pager"), "{doc:#}");
    // The page fires (the target's failure does not stop evaluation); the
    // 4-hour history also exhausts the 28-day budget.
    let keys: Vec<&str> = doc["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        [
            "pay/availability/page/burn",
            "pay/availability/ticket/budget_exhausted"
        ]
    );
}
