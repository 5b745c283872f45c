use super::*;

const SPECS: &str = r#"
apiVersion: openslo/v1
kind: SLO
metadata: {name: pay}
spec:
  service: payments
  indicator:
    metadata: {name: pay-requests}
    spec:
      ratioMetric:
        counter: false
        good: {metricSource: {type: lodestar, spec: {filter: 'status == "ok"'}}}
        total: {metricSource: {type: lodestar, spec: {filter: 'name == "pay"'}}}
  timeWindow: [{duration: 28d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{target: 0.99}]
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: search}
spec:
  service: catalog
  indicator:
    metadata: {name: search-requests}
    spec:
      ratioMetric:
        counter: false
        good: {metricSource: {type: lodestar, spec: {filter: 'status == "ok"'}}}
        total: {metricSource: {type: lodestar, spec: {filter: 'name == "search"'}}}
  timeWindow: [{duration: 28d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{target: 0.99}]
---
apiVersion: lodestar.dev/v1
kind: Correction
metadata: {name: weekly-db}
spec:
  services: [payments]
  timeZone: Europe/Berlin
  start: "2026-11-01 02:00:00"
  duration: 2h
  repeat: 1w
  silenceAlerts: false
"#;

fn catalog() -> crate::Catalog {
    crate::Catalog::from_sources(&[("specs.yaml".into(), SPECS.into())], false)
        .unwrap_or_else(|d| panic!("{}", d.join("\n")))
}

fn minute(text: &str) -> Minute {
    slo::minute_of(text.parse::<Timestamp>().unwrap())
}

fn request(json: &str) -> CorrectionRequest {
    serde_json::from_str(json).unwrap()
}

#[test]
fn spec_corrections_exclude_budget_minutes_of_their_service_only() {
    let c = catalog();
    let pay = &c.slo("pay").unwrap().spec;
    let search = &c.slo("search").unwrap().spec;
    let from = minute("2026-11-01T00:00:00Z");
    let to = minute("2026-11-16T00:00:00Z");
    // 02:00 CET is 01:00 UTC; three Sundays in the range.
    let r = c.corrections.ranges(pay, from, to, Purpose::Budget);
    assert_eq!(
        r,
        vec![
            (
                minute("2026-11-01T01:00:00Z"),
                minute("2026-11-01T03:00:00Z")
            ),
            (
                minute("2026-11-08T01:00:00Z"),
                minute("2026-11-08T03:00:00Z")
            ),
            (
                minute("2026-11-15T01:00:00Z"),
                minute("2026-11-15T03:00:00Z")
            ),
        ]
    );
    assert!(
        c.corrections
            .ranges(search, from, to, Purpose::Budget)
            .is_empty()
    );
    // silenceAlerts: false
    assert!(
        c.corrections
            .ranges(pay, from, to, Purpose::Silence)
            .is_empty()
    );
    assert!(!c.corrections.silenced(pay, minute("2026-11-08T01:30:00Z")));
}

#[test]
fn api_requests_validate_every_field_by_name() {
    let c = catalog();
    let err = |json: &str| {
        request(json)
            .into_entry(&c, "test".into())
            .unwrap_err()
            .to_string()
    };
    let e = err(r#"{"name":"x","slos":["nope"],"start":"2026-11-01 02:00:00","duration":"1h"}"#);
    assert!(e.contains("slos[0]: no SLO named \"nope\""), "{e}");
    let e = err(
        r#"{"name":"x","timeZone":"Mars/Olympus","start":"2026-11-01 02:00:00","duration":"1h"}"#,
    );
    assert!(e.contains("timeZone:"), "{e}");
    let e = err(r#"{"name":"x","start":"yesterday","duration":"1h"}"#);
    assert!(e.contains("start: \"yesterday\" is not a time"), "{e}");
    let e = err(r#"{"name":"x","start":"2026-11-01 02:00:00","duration":"1M"}"#);
    assert!(e.contains("not a fixed length"), "{e}");
    let e = err(r#"{"name":"Bad_Name","start":"2026-11-01 02:00:00","duration":"1h"}"#);
    assert!(e.contains("name:"), "{e}");
    let e = err(
        r#"{"name":"x","start":"2026-11-01 02:00:00","duration":"1h","daysOfWeek":["Funday"]}"#,
    );
    assert!(e.contains("daysOfWeek[0]"), "{e}");
    assert!(
        serde_json::from_str::<CorrectionRequest>(
            r#"{"name":"x","start":"s","duration":"1h","colour":"red"}"#
        )
        .is_err()
    );
}

#[test]
fn api_corrections_survive_reopen_and_deletes_stick() {
    let dir = tempfile::tempdir().unwrap();
    let c = catalog();
    let log = CorrectionLog::open(dir.path()).unwrap();
    log.add(
        request(r#"{"name":"release-freeze-test","slos":["search"],"start":"2026-11-20T10:00:00Z","duration":"30m","silenceAlerts":true,"excludeFromBudget":false}"#),
        "api by alice".into(),
    )
    .unwrap();
    log.add(
        request(r#"{"name":"gone","start":"2026-11-20T10:00:00Z","duration":"30m"}"#),
        "api by alice".into(),
    )
    .unwrap();
    assert!(log.delete("gone", "api by bob".into()).unwrap());
    assert!(!log.delete("gone", "api by bob".into()).unwrap());
    drop(log);

    let log = CorrectionLog::open(dir.path()).unwrap();
    let (entries, warnings) = log.entries(&c);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(entries.len(), 1);
    c.corrections.set_api(Arc::new(entries));
    let search = &c.slo("search").unwrap().spec;
    let at = minute("2026-11-20T10:10:00Z");
    assert!(c.corrections.silenced(search, at));
    assert!(!c.corrections.silenced(search, at + 30));
    assert!(
        c.corrections
            .ranges(search, at - 60, at + 60, Purpose::Budget)
            .is_empty()
    );
    assert_eq!(c.corrections.all().len(), 2);
}

#[test]
fn a_corrupt_log_line_is_an_error_with_its_line_number() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(CORRECTIONS_FILE),
        "{\"op\":\"add\"}\nnot json\n",
    )
    .unwrap();
    let e = CorrectionLog::open(dir.path()).unwrap_err();
    assert!(e.contains("corrections.jsonl:1:"), "{e}");
}
