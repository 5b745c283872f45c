use super::plan::{plan, prometheus_label, round12};
use super::{RuleError, RuleOptions, generate};

fn set(yaml: &str) -> spec::SpecSet {
    let loaded = spec::load_sources(&[("t.yaml".into(), yaml.into())], spec::Mode::Strict);
    let errors: Vec<String> = loaded.errors().map(|d| d.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    loaded.set.expect("set")
}

/// One SLO over prometheus counters; `extra` is appended to its spec.
fn slo(window: &str, labels: &str, extra: &str) -> String {
    format!(
        r#"apiVersion: openslo/v1
kind: SLO
metadata:
  name: s
  annotations: {{lodestar.dev/owner: t, runbook_url: "https://rb/s"}}
  labels: {labels}
spec:
  service: api
  indicator:
    metadata: {{name: s-sli}}
    spec:
      ratioMetric:
        counter: true
        good: {{metricSource: {{type: Prometheus, spec: {{query: 'ok_total'}}}}}}
        total: {{metricSource: {{type: prometheus, spec: {{query: 'all_total'}}}}}}
  timeWindow: [{{duration: {window}, isRolling: true}}]
  budgetingMethod: Occurrences
  objectives: [{{name: o, target: 0.999}}]
{extra}"#
    )
}

#[test]
fn default_alerts_scale_to_the_window() {
    let s = set(&slo("28d", "{}", ""));
    let p = plan(&s.slos[0]).expect("prometheus").expect("plan");
    let factors: Vec<f64> = p.burn_alerts.iter().map(|a| a.factor).collect();
    assert_eq!(factors, [13.44, 5.6, 2.8, 0.933333333333]);
    let fors: Vec<Option<i64>> = p.burn_alerts.iter().map(|a| a.for_minutes).collect();
    assert_eq!(fors, [Some(2), Some(12), Some(48), Some(144)]);
    assert!(p.no_data_alert);
    assert_eq!(p.runbook.as_deref(), Some("https://rb/s"));
    assert_eq!(
        p.windows.iter().copied().collect::<Vec<_>>(),
        [5, 30, 60, 120, 360, 1440, 4320, 40320]
    );
    assert_eq!(p.objectives[0].budget, 0.001);
}

#[test]
fn labels_become_prometheus_labels_without_clobbering_ours() {
    let s = set(&slo("30d", "{team.name: a, service: b, tier: [x, y]}", ""));
    let p = plan(&s.slos[0]).expect("prometheus").expect("plan");
    assert_eq!(
        p.labels,
        [
            ("slo".to_string(), "s".to_string()),
            ("service".into(), "api".into()),
            ("label_service".into(), "b".into()),
            ("team_name".into(), "a".into()),
            ("tier".into(), "x,y".into()),
        ]
    );
    assert_eq!(prometheus_label("9lives"), "_9lives");
}

#[test]
fn labels_that_collide_after_sanitising_are_an_error() {
    let s = set(&slo("30d", "{a.b: x, a-b: y}", ""));
    let errors = plan(&s.slos[0])
        .expect("prometheus")
        .expect_err("collision");
    assert_eq!(
        errors[0].to_string(),
        "t.yaml:1:1: slo s: labels \"a-b\" and \"a.b\" both become the Prometheus label \"a_b\"; expected label keys that differ in more than punctuation"
    );
}

#[test]
fn alert_policies_replace_the_defaults() {
    let policy = r#"  alertPolicies:
    - kind: AlertPolicy
      metadata: {name: p, displayName: Not an identifier}
      spec:
        alertWhenBreaching: true
        conditions:
          - kind: AlertCondition
            metadata: {name: c, labels: {team: x}}
            spec:
              severity: Critical
              condition: {kind: burnrate, op: gt, threshold: 10, lookbackWindow: 2h, alertAfter: 10m}
        notificationTargets:
          - targetRef: t
---
apiVersion: openslo/v1
kind: AlertNotificationTarget
metadata: {name: t}
spec: {target: pager}
"#;
    let s = set(&slo("30d", "{}", policy));
    let p = plan(&s.slos[0]).expect("prometheus").expect("plan");
    assert!(!p.no_data_alert);
    assert_eq!(p.burn_alerts.len(), 1);
    let a = &p.burn_alerts[0];
    assert_eq!(a.alert_name, "SLOBurnRateHigh");
    assert!(a.page, "critical pages");
    assert_eq!(
        (a.long_minutes, a.short_minutes, a.for_minutes),
        (120, 10, Some(10))
    );
    assert_eq!(a.labels, [("team".to_string(), "x".to_string())]);
    let text = generate(&s, &RuleOptions::default()).expect("rules");
    assert!(
        text.contains("lodestar:slo_error:ratio2h{slo=\"s\"} > 0.01\n"),
        "{text}"
    );
    assert!(text.contains("alert: SLOBurnRateHighLowTraffic"));
    assert!(!text.contains("alert: SLONoData"));
    assert!(text.contains("alert_policy: p\n"));
}

#[test]
fn min_events_zero_turns_the_low_traffic_guard_off() {
    let s = set(&slo("30d", "{}", ""));
    let guarded = generate(&s, &RuleOptions::default()).expect("rules");
    assert_eq!(guarded.matches("LowTraffic\n").count(), 2);
    assert!(guarded.contains("increase1h{slo=\"s\"} >= 100"));
    let open = generate(&s, &RuleOptions { min_events: 0 }).expect("rules");
    assert!(!open.contains("LowTraffic"));
    assert!(!open.contains(">= 0\n"));
}

#[test]
fn a_good_selector_subtracts_from_total_and_missing_series_count_zero() {
    let text = generate(&set(&slo("30d", "{}", "")), &RuleOptions::default()).expect("rules");
    assert!(text.contains(
        "clamp_min(lodestar:slo_events_total:increase5m{slo=\"s\"} - on() (sum(increase(ok_total[5m])) or vector(0)), 0)"
    ), "{text}");
}

#[test]
fn raw_success_ratios_are_inverted_and_averaged_over_the_window() {
    let yaml = r#"apiVersion: openslo/v1
kind: SLO
metadata: {name: r, annotations: {lodestar.dev/owner: t}}
spec:
  service: api
  indicator:
    metadata: {name: r-sli}
    spec:
      ratioMetric:
        counter: false
        rawType: success
        raw: {metricSource: {type: prometheus, spec: {query: 'job:success:ratio'}}}
  timeWindow: [{duration: 7d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{target: 0.9}]
"#;
    let text = generate(&set(yaml), &RuleOptions::default()).expect("rules");
    assert!(
        text.contains("expr: '1 - avg(avg_over_time(job:success:ratio[1h]))'"),
        "{text}"
    );
    assert!(
        text.contains("avg_over_time(lodestar:slo_error:ratio1h{slo=\"r\"}[6d23h59m59s999ms:1h])")
    );
    assert!(!text.contains("LowTraffic"), "no counts, no guard");
    assert!(text.contains("absent(lodestar:slo_error:ratio5m{slo=\"r\"})"));
}

#[test]
fn sets_without_prometheus_slos_are_an_error() {
    let yaml = r#"apiVersion: openslo/v1
kind: SLO
metadata: {name: l, annotations: {lodestar.dev/owner: t}}
spec:
  service: api
  indicator:
    metadata: {name: l-sli}
    spec:
      ratioMetric:
        counter: false
        good: {metricSource: {type: lodestar, spec: {filter: 'status == "ok"'}}}
        total: {metricSource: {type: lodestar, spec: {filter: 'true'}}}
  timeWindow: [{duration: 7d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{target: 0.9}]
"#;
    assert_eq!(
        generate(&set(yaml), &RuleOptions::default()),
        Err(vec![RuleError::NoPrometheusSlo])
    );
}

#[test]
fn rounding_removes_binary_noise_only() {
    assert_eq!(round12(1.0 - 0.999), 0.001);
    assert_eq!(round12(0.1 * 43_200.0 / 4_320.0), 1.0);
    assert_eq!(round12(1.0 / 3.0), 0.333333333333);
    assert_eq!(round12(0.0), 0.0);
    assert_eq!(super::number(14.4), "14.4");
    assert_eq!(super::number(1e-5), "0.00001");
}

#[test]
fn template_text_in_annotations_cannot_start_actions() {
    let s =
        set(&slo("30d", "{}", "")
            .replace("name: s\n", "name: s\n  displayName: \"weird {{ name\"\n"));
    let text = generate(&s, &RuleOptions::default()).expect("rules");
    assert!(text.contains("SLO weird {{ \"{{\" }} name (o)"), "{text}");
}
