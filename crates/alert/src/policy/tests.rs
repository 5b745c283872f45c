use super::*;
use spec::{AlertCondition, AlertPolicy, DurationShorthand, Metadata};

fn named(name: &str) -> Metadata {
    Metadata {
        name: name.to_owned(),
        ..Metadata::default()
    }
}

fn spec_condition(name: &str, severity: &str, threshold: f64, lookback: &str) -> AlertCondition {
    AlertCondition {
        metadata: named(name),
        description: None,
        severity: severity.to_owned(),
        op: spec::Op::Gte,
        threshold,
        lookback_window: DurationShorthand::parse(lookback).unwrap(),
        alert_after: None,
        location: Default::default(),
    }
}

fn spec_policy(name: &str, conditions: Vec<AlertCondition>) -> AlertPolicy {
    AlertPolicy {
        metadata: named(name),
        description: None,
        alert_when_no_data: false,
        alert_when_resolved: false,
        alert_when_breaching: true,
        conditions,
        notification_targets: Vec::new(),
        location: Default::default(),
    }
}

fn thresholds(p: &Policy) -> Vec<f64> {
    p.conditions
        .iter()
        .map(|c| (c.threshold * 100.0).round() / 100.0)
        .collect()
}

fn windows(p: &Policy) -> Vec<(i64, i64)> {
    p.conditions
        .iter()
        .map(|c| (c.long_minutes, c.short_minutes))
        .collect()
}

const WORKBOOK_WINDOWS: [(i64, i64); 4] = [(60, 5), (360, 30), (1440, 120), (4320, 360)];

#[test]
fn workbook_at_30_days_is_the_books_table() {
    let p = Policy::workbook(30 * 1440);
    assert_eq!(thresholds(&p), [14.4, 6.0, 3.0, 1.0]);
    assert_eq!(windows(&p), WORKBOOK_WINDOWS);
    let sev: Vec<Severity> = p.conditions.iter().map(|c| c.severity).collect();
    assert_eq!(
        sev,
        [
            Severity::Page,
            Severity::Page,
            Severity::Ticket,
            Severity::Ticket
        ]
    );
    assert!(
        p.conditions
            .iter()
            .all(|c| c.op == Op::Gte && c.for_minutes == 0)
    );
    p.validate().unwrap();
}

#[test]
fn workbook_at_28_days_keeps_windows_and_scales_thresholds() {
    let p = Policy::workbook(28 * 1440);
    assert_eq!(thresholds(&p), [13.44, 5.6, 2.8, 0.93]);
    assert_eq!(windows(&p), WORKBOOK_WINDOWS);
}

#[test]
fn calendar_months_keep_the_workbook_windows() {
    for days in [28, 29, 30, 31] {
        assert_eq!(
            windows(&Policy::workbook(days * 1440)),
            WORKBOOK_WINDOWS,
            "{days} days"
        );
    }
    assert_eq!(
        thresholds(&Policy::workbook(31 * 1440)),
        [14.88, 6.2, 3.1, 1.03]
    );
}

#[test]
fn short_and_long_windows_scale_the_windows_not_the_thresholds() {
    let week = Policy::workbook(7 * 1440);
    assert_eq!(windows(&week), [(14, 1), (84, 7), (336, 28), (1008, 84)]);
    assert_eq!(thresholds(&week), [14.4, 6.0, 3.0, 1.0]);
    let quarter = Policy::workbook(90 * 1440);
    assert_eq!(
        windows(&quarter),
        [(180, 15), (1080, 90), (4320, 360), (12960, 1080)]
    );
    assert_eq!(thresholds(&quarter), [14.4, 6.0, 3.0, 1.0]);
    // A one-day SLO: windows shrink to whole minutes, never below one.
    let day = Policy::workbook(1440);
    assert!(day.conditions.iter().all(|c| c.short_minutes >= 1));
    assert_eq!(windows(&day)[0], (2, 1));
    day.validate().unwrap();
}

#[test]
fn from_spec_without_policies_is_the_workbook_default() {
    assert_eq!(
        Policy::from_spec(&[], 28 * 1440).unwrap(),
        Policy::workbook(28 * 1440)
    );
}

#[test]
fn from_spec_maps_each_condition() {
    let mut fast = spec_condition("fast", "Critical", 14.4, "1h");
    fast.alert_after = Some(DurationShorthand::parse("5m").unwrap());
    let slow = spec_condition("slow", "ticket", 3.0, "1d");
    let mut p1 = spec_policy("fast-burn", vec![fast]);
    p1.alert_when_resolved = true;
    let mut p2 = spec_policy("slow-burn", vec![slow]);
    p2.alert_when_no_data = true;
    let p = Policy::from_spec(&[p1, p2], 30 * 1440).unwrap();
    assert_eq!(
        p.conditions,
        vec![
            BurnCondition {
                name: "fast-burn/fast".to_owned(),
                severity: Severity::Page,
                long_minutes: 60,
                short_minutes: 5,
                threshold: 14.4,
                op: Op::Gte,
                for_minutes: 5,
            },
            BurnCondition {
                name: "slow-burn/slow".to_owned(),
                severity: Severity::Ticket,
                long_minutes: 1440,
                short_minutes: 120,
                threshold: 3.0,
                op: Op::Gte,
                for_minutes: 0,
            },
        ]
    );
    assert!(p.notify_resolved);
    assert_eq!(p.no_data_minutes, Some(1440));
    assert_eq!(p.name, "fast-burn,slow-burn");
}

#[test]
fn from_spec_defaults_resolved_and_no_data_off() {
    let p = Policy::from_spec(
        &[spec_policy(
            "p",
            vec![spec_condition("c", "page", 2.0, "10m")],
        )],
        30 * 1440,
    )
    .unwrap();
    assert!(!p.notify_resolved);
    assert_eq!(p.no_data_minutes, None);
    // 10m / 12 rounds down to 0 and is lifted to the 1-minute floor.
    assert_eq!(windows(&p), [(10, 1)]);
}

#[test]
fn not_breaching_drops_the_conditions_but_keeps_no_data() {
    let mut p = spec_policy("quiet", vec![spec_condition("c", "page", 14.4, "1h")]);
    p.alert_when_breaching = false;
    p.alert_when_no_data = true;
    let policy = Policy::from_spec(&[p], 30 * 1440).unwrap();
    assert!(policy.conditions.is_empty());
    assert_eq!(policy.no_data_minutes, Some(60));
}

#[test]
fn severity_text() {
    for (text, sev) in [
        ("page", Severity::Page),
        (" PAGE ", Severity::Page),
        ("critical", Severity::Page),
        ("High", Severity::Page),
        ("ticket", Severity::Ticket),
        ("warning", Severity::Ticket),
        ("", Severity::Ticket),
    ] {
        assert_eq!(Severity::from_spec_text(text), sev, "{text:?}");
    }
}

#[test]
fn errors_name_policy_condition_and_expectation() {
    let mut zero = spec_condition("c1", "page", 14.4, "1m");
    zero.lookback_window.value = 0;
    let err = Policy::from_spec(&[spec_policy("fast-burn", vec![zero])], 43200).unwrap_err();
    assert_eq!(
        err.to_string(),
        "alert policy \"fast-burn\": condition \"c1\": lookbackWindow 0m is invalid: expected at least 1 minute"
    );

    let month = spec_condition("c2", "page", 14.4, "1M");
    let err = Policy::from_spec(&[spec_policy("p", vec![month])], 43200).unwrap_err();
    assert_eq!(
        err.to_string(),
        "alert policy \"p\": condition \"c2\": lookbackWindow 1M is invalid: expected a fixed length in m, h, d or w"
    );

    let mut after = spec_condition("c3", "page", 14.4, "1h");
    after.alert_after = Some(DurationShorthand::parse("1Q").unwrap());
    let err = Policy::from_spec(&[spec_policy("p", vec![after])], 43200).unwrap_err();
    assert!(
        err.to_string().contains("alertAfter 1Q is invalid"),
        "{err}"
    );

    let nan = spec_condition("c4", "page", f64::NAN, "1h");
    let err = Policy::from_spec(&[spec_policy("p", vec![nan])], 43200).unwrap_err();
    assert_eq!(
        err.to_string(),
        "alert policy \"p\": condition \"c4\": threshold NaN is invalid: expected a finite burn rate of at least 0"
    );
}

#[test]
fn validate_rejects_hand_written_nonsense() {
    let mut p = Policy::workbook(43200);
    p.conditions[1].short_minutes = 400;
    assert_eq!(
        p.validate().unwrap_err().to_string(),
        "alert policy \"workbook\": condition \"page_6h_30m\": short window of 400 minutes is invalid: expected between 1 minute and the long window of 360 minutes"
    );
    let mut p = Policy::workbook(43200);
    p.conditions[0].for_minutes = -1;
    assert!(matches!(
        p.validate(),
        Err(PolicyError::ForMinutes { value: -1, .. })
    ));
    let mut p = Policy::workbook(43200);
    p.no_data_minutes = Some(0);
    assert_eq!(
        p.validate().unwrap_err().to_string(),
        "alert policy \"workbook\": no_data_minutes of 0 minutes is invalid: expected at least 1 minute"
    );
    let mut p = Policy::workbook(43200);
    p.keep_firing_minutes = -5;
    assert!(p.validate().is_err());
}

#[test]
fn policy_round_trips_through_json() {
    let p = Policy::workbook(28 * 1440);
    let text = serde_json::to_string(&p).unwrap();
    assert!(text.contains("\"op\":\"gte\""), "{text}");
    assert!(text.contains("\"severity\":\"page\""), "{text}");
    let mut back = serde_json::from_str::<Policy>(&text).unwrap();
    // serde_json parses floats to within an ulp, not always exactly.
    for (b, c) in back.conditions.iter_mut().zip(&p.conditions) {
        assert!((b.threshold - c.threshold).abs() < 1e-12);
        b.threshold = c.threshold;
    }
    assert_eq!(back, p);
    let bad = text.replace("\"gte\"", "\"ge\"");
    let err = serde_json::from_str::<Policy>(&bad)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("op \"ge\" is invalid: expected one of lt, lte, gt, gte"),
        "{err}"
    );
}

#[test]
fn lookback_is_the_longest_window_read() {
    assert_eq!(Policy::workbook(43200).lookback_minutes(), 4320);
}

#[test]
fn spec_yaml_alert_policy_becomes_a_condition() {
    let yaml = r#"
apiVersion: openslo/v1
kind: SLO
metadata:
  name: search
spec:
  service: search
  indicator:
    metadata:
      name: search-errors
    spec:
      ratioMetric:
        counter: true
        good:
          metricSource:
            type: lodestar
            spec:
              filter: status == "ok"
        total:
          metricSource:
            type: lodestar
            spec:
              filter: name == "search"
  timeWindow:
    - duration: 28d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - target: 0.999
  alertPolicies:
    - kind: AlertPolicy
      metadata:
        name: search-slow-burn
      spec:
        alertWhenBreaching: true
        alertWhenResolved: true
        conditions:
          - kind: AlertCondition
            metadata:
              name: slow-burn
            spec:
              severity: ticket
              condition:
                kind: burnrate
                op: gte
                threshold: 3
                lookbackWindow: 1d
                alertAfter: 2h
        notificationTargets:
          - kind: AlertNotificationTarget
            metadata:
              name: slack
            spec:
              target: slack
"#;
    let loaded = spec::load_sources(
        &[("search.yaml".to_owned(), yaml.to_owned())],
        spec::Mode::Strict,
    );
    let set = loaded
        .set
        .unwrap_or_else(|| panic!("{:#?}", loaded.diagnostics));
    let slo = set.slo("search").unwrap();
    let p = Policy::from_spec(&slo.alert_policies, 28 * 1440).unwrap();
    assert_eq!(
        p.conditions,
        vec![BurnCondition {
            name: "search-slow-burn/slow-burn".to_owned(),
            severity: Severity::Ticket,
            long_minutes: 1440,
            short_minutes: 120,
            threshold: 3.0,
            op: Op::Gte,
            for_minutes: 120,
        }]
    );
    assert!(p.notify_resolved);
}
