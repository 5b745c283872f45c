//! Conversions into OpenSLO v1: Sloth (`prometheus/v1` and Kubernetes
//! `PrometheusServiceLevel`) and OpenSLO v1alpha. Each input converts to
//! exactly its golden `.openslo.yaml`, loads strictly, and (for Sloth)
//! generates rules with Sloth's queries, objectives, windows and
//! thresholds, whose numbers promtool checks against Sloth's own formula.

use std::path::Path;

use super::support::{check_golden, data_dir, load_text, promtool};

fn convert(kind: &str, case: &str) -> (String, spec::SpecSet) {
    let dir = data_dir().join(kind);
    let input = dir.join(format!("{case}.yaml"));
    let text = std::fs::read_to_string(&input).expect("input readable");
    let file = format!("{case}.yaml");
    let converted = match kind {
        "sloth" => spec::convert::from_sloth(&file, &text),
        _ => spec::convert::from_v1alpha(&file, &text),
    }
    .unwrap_or_else(|d| {
        panic!(
            "{file} does not convert:\n{}",
            d.iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        )
    });
    check_golden(&dir.join(format!("{case}.openslo.yaml")), &converted);
    let set = load_text(&format!("{case}.openslo.yaml"), &converted);
    (converted, set)
}

fn generate(set: &spec::SpecSet) -> String {
    rules::prometheus::generate(set, &rules::prometheus::RuleOptions::default())
        .unwrap_or_else(|e| panic!("{e:?}"))
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).expect("write");
}

#[test]
fn sloth_converts_and_loads_strictly() {
    for case in ["myservice", "k8s"] {
        convert("sloth", case);
    }
}

#[test]
fn sloth_to_rules_keeps_sloth_queries_objectives_and_thresholds() {
    let (_, set) = convert("sloth", "myservice");
    let rules = generate(&set);
    let has = |needle: &str| {
        assert!(rules.contains(needle), "rules lack {needle}:\n{rules}");
    };
    // Sloth's error and total queries, over the 5-minute base window.
    has(
        r#"sum(sum(increase(http_request_duration_seconds_count{job="myservice",code=~"(5..|429)"}[5m])))"#,
    );
    has(r#"sum(sum(increase(http_request_duration_seconds_count{job="myservice"}[5m])))"#);
    // Objectives 99.9 and 99 as fractions, budgets exact.
    has("expr: 'vector(0.999)'");
    has("expr: 'vector(0.99)'");
    // Sloth's four burn-rate conditions for 30 days, as error ratios
    // against a 0.1 % budget: 14.4x, 6x, 3x, 1x.
    for (long, short, threshold) in [
        ("1h", "5m", "0.0144"),
        ("6h", "30m", "0.006"),
        ("1d", "2h", "0.003"),
        ("3d", "6h", "0.001"),
    ] {
        has(&format!(
            "lodestar:slo_error:ratio{long}{{slo=\"myservice-requests-availability\"}} >= {threshold}\n            and\n              lodestar:slo_error:ratio{short}{{slo=\"myservice-requests-availability\"}} >= {threshold}"
        ));
    }
    // Sloth's alert names and routing labels.
    has("alert: MyServiceHighErrorRate\n");
    has("routing_key: myteam");
    has("slack_channel: alerts-myteam");
    has("runbook: https://runbooks.example.com/myservice/availability");
    // The latency SLO disabled its page alert: only tickets (3x, 1x).
    has("alert: MyServiceHighLatency\n");
    assert!(!rules.contains("alert: MyServiceHighLatencyLowTraffic"));
    assert_eq!(rules.matches("alert: MyServiceHighLatency\n").count(), 2);
    // Raw ratio: Sloth's query as the error ratio of each window.
    has("sum(rate(http_request_duration_seconds_bucket{job=\"myservice\",le=\"0.25\"}[1d]))");

    let tmp = tempfile::tempdir().expect("temp dir");
    write(tmp.path(), "myservice.rules.yaml", &rules);
    let (ok, out) = promtool(&["check", "rules", "myservice.rules.yaml"], tmp.path());
    assert!(ok, "promtool check rules:\n{out}");
    let test = "sloth-numbers.test.yaml";
    std::fs::copy(data_dir().join("sloth").join(test), tmp.path().join(test)).expect("copy");
    let (ok, out) = promtool(&["test", "rules", test], tmp.path());
    assert!(ok, "promtool test rules {test}:\n{out}");
}

#[test]
fn sloth_kubernetes_form_with_alerts_disabled_generates_no_burn_alerts() {
    let (_, set) = convert("sloth", "k8s");
    let refund = set.slo("payments-refund-success").expect("refund SLO");
    assert_eq!(refund.alert_policies.len(), 1);
    assert!(!refund.alert_policies[0].alert_when_breaching);
    let charge = set.slo("payments-charge-success").expect("charge SLO");
    assert!((charge.objectives[0].target - 0.9995).abs() < 1e-15);
    let rules = generate(&set);
    let refund_group = rules
        .split("  - name: ")
        .find(|g| g.starts_with("lodestar-slo-payments-refund-success"))
        .expect("refund group");
    assert!(
        !refund_group.contains("alert: SLOBurnRateHigh"),
        "{refund_group}"
    );
    assert!(!refund_group.contains("alert: SLONoData"), "{refund_group}");
    assert!(refund_group.contains("alert: SLOErrorBudgetExhausted"));
    assert!(rules.contains("alert: PaymentsChargeErrors\n"));
}

#[test]
fn sloth_errors_name_file_line_and_property() {
    let text = "version: prometheus/v1\nservice: api\nslos:\n  - name: plugin-slo\n    objective: 100\n    sli:\n      plugin:\n        id: sloth-common/kubernetes/apiserver/availability\n    alerting:\n      name: X\n      pagealert: {}\n";
    let errors = spec::convert::from_sloth("bad.yaml", text).expect_err("invalid");
    let text: Vec<String> = errors.iter().map(|d| d.to_string()).collect();
    assert_eq!(
        text,
        [
            "bad.yaml:5:16: slos[0].objective: expected a percentage in (0, 100) that leaves an error budget, got 100",
            "bad.yaml:7:7: slos[0].sli.plugin: SLI plugins are not supported: their queries are built by Sloth's plugin code; expected sli.events (error_query, total_query) or sli.raw (error_ratio_query) with the queries the plugin generates",
            "bad.yaml:11:7: slos[0].alerting.pagealert: unknown property; expected one of name, labels, annotations, page_alert, ticket_alert",
        ]
    );
}

#[test]
fn v1alpha_converts_loads_strictly_and_prometheus_parts_generate_rules() {
    let (text, set) = convert("v1alpha", "webapp");
    assert!(text.contains("# note: SLO webapp-latency: timeSliceWindow 1m assumed"));
    let names: Vec<&str> = set.slos.iter().map(|s| s.metadata.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "webapp-availability",
            "webapp-pages-home-page",
            "webapp-pages-cart-page",
            "webapp-latency"
        ]
    );
    let availability = set
        .slo("webapp-availability")
        .expect("one SLO for a shared ratio");
    let targets: Vec<f64> = availability.objectives.iter().map(|o| o.target).collect();
    assert_eq!(targets, [0.99, 0.999]);
    assert_eq!(
        set.slo("webapp-pages-home-page")
            .expect("split")
            .time_window
            .duration
            .to_string(),
        "1w"
    );
    assert_eq!(set.services.len(), 1);
    // The datadog threshold SLO is not Prometheus; the others generate.
    let rules = generate(&set);
    assert!(rules.contains("lodestar-slo-webapp-availability"));
    assert!(rules.contains(r#"sum(increase(page_views_total{page="cart",status="ok"}[5m]))"#));
    assert!(!rules.contains("webapp-latency"));
}

#[test]
fn v1alpha_errors_name_file_line_and_property() {
    let text = "apiVersion: openslo/v1alpha\nkind: SLO\nmetadata:\n  name: Bad_Name\nspec:\n  service: s\n  budgetingMethod: Occurrences\n  timeWindows:\n    - unit: Month\n      count: 1\n      isRolling: true\n  objectives:\n    - target: 1.5\n      ratioMetrics:\n        good: {source: prometheus, queryType: promql, query: a}\n        total: {source: prometheus, queryType: promql}\n";
    let errors = spec::convert::from_v1alpha("bad.yaml", text).expect_err("invalid");
    let text: Vec<String> = errors.iter().map(|d| d.to_string()).collect();
    assert_eq!(
        text,
        [
            "bad.yaml:4:9: metadata.name: expected an RFC 1123 name (at most 63 lowercase letters, digits or '-', starting and ending with a letter or digit), got \"Bad_Name\"",
        ]
    );
}
