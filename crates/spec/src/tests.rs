//! Crate-level tests of the public API with the `check(input, expect)`
//! helper; the rule-by-rule coverage lives in the golden files under
//! `tests/data/`.

use super::*;

fn source(name: &str, text: &str) -> (String, String) {
    (name.to_string(), text.to_string())
}

/// Loads `input` as `slo.yaml` in `mode` and renders every diagnostic, then
/// `ok` or `not loaded`.
fn render(input: &str, mode: Mode) -> String {
    let loaded = load_sources(&[source("slo.yaml", input)], mode);
    let mut out: Vec<String> = loaded.diagnostics.iter().map(ToString::to_string).collect();
    out.push(if loaded.set.is_some() {
        "ok".into()
    } else {
        "not loaded".into()
    });
    out.join("\n")
}

fn check(input: &str, expect: &str) {
    assert_eq!(render(input, Mode::Strict), expect);
}

const RATIO_SLO: &str = "\
apiVersion: openslo/v1
kind: SLO
metadata:
  name: checkout
  annotations:
    lodestar.dev/owner: payments
spec:
  service: checkout
  indicatorRef: errors
  timeWindow:
    - {duration: 28d, isRolling: true}
  budgetingMethod: Occurrences
  objectives:
      - op: lt
        target: 0.99
---
apiVersion: openslo/v1
kind: SLI
metadata:
  name: errors
spec:
  ratioMetric:
    bad: {metricSource: {type: lodestar, spec: {filter: status == \"error\"}}}
    total: {metricSource: {type: lodestar, spec: {filter: \"true\"}}}
";

#[test]
fn the_documented_example_message_comes_out_exactly() {
    check(
        RATIO_SLO,
        "slo.yaml:14:9: spec.objectives[0].op: property is forbidden for ratio indicators\nnot loaded",
    );
}

#[test]
fn lenient_mode_turns_the_same_problem_into_a_warning_and_loads() {
    assert_eq!(
        render(RATIO_SLO, Mode::Lenient),
        "slo.yaml:14:9: spec.objectives[0].op: warning: property is ignored for ratio indicators\nok"
    );
    let loaded = load_sources(&[source("slo.yaml", RATIO_SLO)], Mode::Lenient);
    let set = loaded.set.as_ref().unwrap();
    assert_eq!(set.slos[0].objectives[0].op, None);
    assert_eq!(loaded.warnings().count(), 1);
    assert_eq!(loaded.errors().count(), 0);
}

#[test]
fn a_valid_file_loads_without_diagnostics() {
    check(
        &RATIO_SLO.replace("      - op: lt\n", "      - name: availability\n"),
        "ok",
    );
}

#[test]
fn warnings_alone_do_not_stop_loading() {
    let no_owner = RATIO_SLO
        .replace("  annotations:\n    lodestar.dev/owner: payments\n", "")
        .replace("op: lt", "name: a");
    check(
        &no_owner,
        "slo.yaml:3:1: metadata.annotations[\"lodestar.dev/owner\"]: warning: SLO has no owner; set this annotation to the owning team\nok",
    );
}

#[test]
fn diagnostics_are_ordered_by_file_then_position_across_files() {
    let bad = "apiVersion: openslo/v1\nkind: Service\nmetadata:\n  name: X\nspec:\n  bogus: 1\n";
    let loaded = load_sources(
        &[
            source("b.yaml", bad),
            source("a.yaml", &bad.replace(": X", ": Y")),
        ],
        Mode::Strict,
    );
    let lines: Vec<String> = loaded
        .diagnostics
        .iter()
        .map(|d| format!("{}:{}:{}", d.file, d.line, d.col))
        .collect();
    assert_eq!(
        lines,
        ["a.yaml:4:9", "a.yaml:6:3", "b.yaml:4:9", "b.yaml:6:3"]
    );
    assert!(loaded.set.is_none());
}

#[test]
fn every_file_is_checked_even_after_a_syntax_error() {
    let loaded = load_sources(
        &[
            source("broken.yaml", "a: [1\n"),
            source(
                "ok.yaml",
                "apiVersion: openslo/v1\nkind: Service\nmetadata: {name: Bad}\n",
            ),
        ],
        Mode::Strict,
    );
    let files: Vec<&str> = loaded.diagnostics.iter().map(|d| d.file.as_str()).collect();
    assert_eq!(files, ["broken.yaml", "ok.yaml"]);
}

#[test]
fn diagnostic_and_location_display() {
    let d = Diagnostic {
        severity: Severity::Warning,
        file: "f.yaml".into(),
        line: 3,
        col: 5,
        path: "spec.x".into(),
        message: "hm".into(),
    };
    assert_eq!(d.to_string(), "f.yaml:3:5: spec.x: warning: hm");
    assert_eq!(d.location().to_string(), "f.yaml:3:5: spec.x");
    let e = Diagnostic {
        severity: Severity::Error,
        path: String::new(),
        ..d
    };
    assert_eq!(e.to_string(), "f.yaml:3:5: hm");
    assert_eq!(e.location().to_string(), "f.yaml:3:5");
}

#[test]
fn property_paths_quote_keys_with_dots_and_slashes() {
    use crate::diagnostic::{index_path, key_path};
    assert_eq!(key_path("", "spec"), "spec");
    assert_eq!(
        key_path("metadata.annotations", "lodestar.dev/owner"),
        "metadata.annotations[\"lodestar.dev/owner\"]"
    );
    assert_eq!(
        key_path("metadata.labels", "a b"),
        "metadata.labels[\"a b\"]"
    );
    assert_eq!(index_path("spec.objectives", 2), "spec.objectives[2]");
}

#[test]
fn op_holds() {
    assert!(Op::Lt.holds(1.0, 2.0) && !Op::Lt.holds(2.0, 2.0));
    assert!(Op::Lte.holds(2.0, 2.0) && !Op::Lte.holds(3.0, 2.0));
    assert!(Op::Gt.holds(3.0, 2.0) && !Op::Gt.holds(2.0, 2.0));
    assert!(Op::Gte.holds(2.0, 2.0) && !Op::Gte.holds(1.0, 2.0));
}

#[test]
fn aggregates_parse_quantiles_exactly() {
    use crate::decode::lodestar::parse_aggregate;
    assert_eq!(parse_aggregate("p95"), Ok(Aggregate::Quantile(0.95)));
    assert_eq!(parse_aggregate("p99.9"), Ok(Aggregate::Quantile(0.999)));
    assert_eq!(parse_aggregate("p99.99"), Ok(Aggregate::Quantile(0.9999)));
    assert_eq!(parse_aggregate("p5"), Ok(Aggregate::Quantile(0.05)));
    assert_eq!(parse_aggregate("rate"), Ok(Aggregate::Rate));
    for bad in ["p0", "p100", "p", "p.5", "p5.", "P95", "p-1", "p1e1", "avg"] {
        assert!(parse_aggregate(bad).is_err(), "{bad}");
    }
}

#[test]
fn format_source_reports_syntax_errors_as_diagnostics() {
    let errors = format_source("x.yaml", "a: [1\n").unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(
        (errors[0].file.as_str(), errors[0].line, errors[0].severity),
        ("x.yaml", 2, Severity::Error)
    );
    assert_eq!(
        format_source("x.JSON", "a: 1").unwrap(),
        "{\n  \"a\": 1\n}\n"
    );
    assert_eq!(format_source("x.yml", "{a: 1}").unwrap(), "a: 1\n");
}

#[test]
fn time_zones_are_stored_by_their_canonical_name() {
    let text = RATIO_SLO
        .replace("    - {duration: 28d, isRolling: true}", "    - {duration: 1M, calendar: {startTime: 2024-01-01 00:00:00, timeZone: europe/berlin}}")
        .replace("op: lt", "name: a");
    let set = load_sources(&[source("slo.yaml", &text)], Mode::Strict)
        .set
        .unwrap();
    let cal = set.slos[0].time_window.calendar.as_ref().unwrap();
    assert_eq!(cal.time_zone, "Europe/Berlin");
    assert_eq!(cal.start_time, jiff::civil::date(2024, 1, 1).at(0, 0, 0, 0));
}

#[test]
fn an_sli_referenced_by_two_slos_gets_each_slos_documentation_fallback() {
    let slo = |name: &str, why: &str| {
        {
            RATIO_SLO
                .split("---")
                .next()
                .unwrap()
                .replace("name: checkout", &format!("name: {name}"))
                .replace(
                    "    lodestar.dev/owner: payments\n",
                    &format!("    lodestar.dev/owner: payments\n    lodestar.dev/why: {why}\n"),
                )
        }
        .replace("op: lt", "name: a")
    };
    let sli = RATIO_SLO.split("---").nth(1).unwrap().to_string();
    let text = format!(
        "{}---\n{}---{}",
        slo("one", "first"),
        slo("two", "second"),
        sli
    );
    let set = load_sources(&[source("slo.yaml", &text)], Mode::Strict)
        .set
        .unwrap();
    let why: Vec<_> = set
        .slos
        .iter()
        .map(|s| s.indicator.as_ref().unwrap().documentation.why.clone())
        .collect();
    assert_eq!(why, [Some("first".to_string()), Some("second".to_string())]);
    assert_eq!(
        set.slis[0].documentation.why, None,
        "the standalone SLI keeps its own documentation"
    );
}

/// A threshold SLO over a gauge: `metric` in a `thresholdMetric`'s lodestar
/// source, with its objective; `{extra}` is spliced into the source's spec.
fn gauge_slo(extra: &str) -> String {
    format!(
        "\
apiVersion: openslo/v1
kind: SLO
metadata: {{name: queue, annotations: {{lodestar.dev/owner: payments}}}}
spec:
  service: checkout
  timeWindow:
    - {{duration: 7d, isRolling: true}}
  budgetingMethod: Timeslices
  indicator:
    metadata: {{name: queue-depth}}
    spec:
      thresholdMetric:
        metricSource:
          type: lodestar
          spec:
            metric: 'checkout_queue_depth{{job=\"checkout\"}}'
{extra}  objectives:
    - {{displayName: queue under 100, op: lt, value: 100, target: 0.99, timeSliceTarget: 0.9, timeSliceWindow: 1m}}
"
    )
}

#[test]
fn threshold_metrics_read_gauges_through_a_series_selector() {
    let text = gauge_slo("            aggregate: max\n            segments: [region]\n");
    check(&text, "ok");
    let set = load_sources(&[source("slo.yaml", &text)], Mode::Strict)
        .set
        .unwrap();
    let sli = set.slos[0].indicator.as_ref().unwrap();
    let SliSpec::Threshold { metric_source } = &sli.spec else {
        panic!("expected a threshold SLI, got {:?}", sli.spec);
    };
    let q = metric_source.lodestar.as_ref().unwrap();
    assert_eq!(
        q.metric.as_deref(),
        Some(r#"checkout_queue_depth{job="checkout"}"#)
    );
    assert_eq!(q.filter, "");
    assert_eq!(q.aggregate, Aggregate::Max);
    assert_eq!(q.segments, ["region"]);
    assert_eq!(
        q.filter_location.to_string(),
        "slo.yaml:16:21: spec.indicator.spec.thresholdMetric.metricSource.spec.metric"
    );
}

#[test]
fn threshold_metrics_refuse_field_and_filter_beside_metric() {
    check(
        &gauge_slo("            field: depth\n"),
        "slo.yaml:17:13: spec.indicator.spec.thresholdMetric.metricSource.spec.field: property is only valid with filter; a metric source measures the sample values of the series it selects\nnot loaded",
    );
    check(
        &gauge_slo("            filter: name == \"x\"\n"),
        "slo.yaml:16:13: spec.indicator.spec.thresholdMetric.metricSource.spec.metric: filter and metric are mutually exclusive; give filter (a CEL expression over events) or metric (a Prometheus series selector of metric series)\nnot loaded",
    );
    check(
        &gauge_slo("            segments: [http.route]\n"),
        "slo.yaml:17:24: spec.indicator.spec.thresholdMetric.metricSource.spec.segments[0]: expected a label name (letters, digits and _, not starting with a digit), got \"http.route\"\nnot loaded",
    );
}

mod robustness {
    //! Loading arbitrary or damaged input never panics, and a set is
    //! returned exactly when no error was reported.

    use proptest::prelude::*;

    use super::*;

    fn consistent(loaded: &Loaded) -> bool {
        loaded.set.is_some() == (loaded.errors().count() == 0)
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
            let loaded = load_sources(&[source("x.yaml", &text)], Mode::Strict);
            prop_assert!(consistent(&loaded));
            let _ = format_source("x.yaml", &text);
        }

        #[test]
        fn damaged_specs_never_panic(at in 0usize..RATIO_SLO.len(), cut in 0usize..40, insert in "[ :\\-\\[\\]{}#&*!|>'\"%@a-z0-9\\n]{0,3}", lenient: bool) {
            let mut text = RATIO_SLO.to_string();
            let at = (0..=at).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0);
            let end = (at + cut).min(text.len());
            let end = (end..=text.len()).find(|i| text.is_char_boundary(*i)).unwrap_or(text.len());
            text.replace_range(at..end, &insert);
            let mode = if lenient { Mode::Lenient } else { Mode::Strict };
            let loaded = load_sources(&[source("x.yaml", &text)], mode);
            prop_assert!(consistent(&loaded));
            if let Ok(formatted) = format_source("x.yaml", &text) {
                prop_assert_eq!(format_source("x.yaml", &formatted).ok(), Some(formatted.clone()));
                let again = load_sources(&[source("x.yaml", &formatted)], mode);
                prop_assert_eq!(again.set.is_some(), loaded.set.is_some(), "formatting changed whether {:?} loads", text);
            }
        }
    }
}

/// Two services with one SLO each, a journey over the search SLO, and the
/// given extension objects.
fn scoped_set(extensions: &str) -> SpecSet {
    let slo = |name: &str, service: &str| {
        RATIO_SLO
            .split("---")
            .next()
            .unwrap()
            .replace("name: checkout\n", &format!("name: {name}\n"))
            .replace("service: checkout", &format!("service: {service}"))
            .replace("      - op: lt\n", "      - ")
    };
    let sli = RATIO_SLO.split("---").nth(1).unwrap();
    let text = format!(
        "{}---\n{}---{sli}---\napiVersion: lodestar.dev/v1\nkind: Journey\nmetadata: {{name: find}}\nspec:\n  steps: [{{name: search, slos: [search-ok]}}]\n---\n{extensions}",
        slo("checkout-ok", "checkout"),
        slo("search-ok", "search"),
    );
    let loaded = load_sources(&[source("set.yaml", &text)], Mode::Strict);
    assert!(loaded.diagnostics.is_empty(), "{:#?}", loaded.diagnostics);
    loaded.set.unwrap()
}

/// Which SLOs each correction and each policy of `set` applies to.
fn scopes(set: &SpecSet) -> Vec<(String, Vec<String>)> {
    let covered = |f: &dyn Fn(&Slo) -> bool| -> Vec<String> {
        set.slos
            .iter()
            .filter(|s| f(s))
            .map(|s| s.metadata.name.clone())
            .collect()
    };
    let mut out = Vec::new();
    for c in &set.corrections {
        out.push((c.metadata.name.clone(), covered(&|s| c.applies_to(s))));
    }
    for p in &set.budget_policies {
        out.push((
            p.metadata.name.clone(),
            covered(&|s| p.applies_to(s, &set.journeys)),
        ));
    }
    out
}

#[test]
fn corrections_apply_to_named_slos_and_services_or_to_everything() {
    let c = |name: &str, scope: &str| {
        format!(
            "apiVersion: lodestar.dev/v1\nkind: Correction\nmetadata: {{name: {name}}}\nspec:\n  {scope}\n  timeZone: UTC\n  start: \"2026-01-01 00:00:00\"\n  duration: 1h\n---\n"
        )
    };
    let set = scoped_set(
        &[
            c("all", "description: both lists empty"),
            c("by-slo", "slos: [checkout-ok]"),
            c("by-service", "services: [search]"),
            c("either", "slos: [checkout-ok]\n  services: [search]"),
        ]
        .concat(),
    );
    let both = vec!["checkout-ok".to_string(), "search-ok".to_string()];
    assert_eq!(
        scopes(&set),
        [
            ("all".to_string(), both.clone()),
            ("by-slo".to_string(), vec!["checkout-ok".to_string()]),
            ("by-service".to_string(), vec!["search-ok".to_string()]),
            ("either".to_string(), both),
        ]
    );
    let search = set.slo("search-ok").unwrap();
    let names: Vec<&str> = set
        .corrections_for(search)
        .map(|c| c.metadata.name.as_str())
        .collect();
    assert_eq!(names, ["all", "by-service", "either"]);
}

#[test]
fn budget_policies_apply_through_slos_services_and_journeys() {
    let p = |name: &str, scope: &str| {
        format!(
            "apiVersion: lodestar.dev/v1\nkind: BudgetPolicy\nmetadata: {{name: {name}}}\nspec:\n  appliesTo: {scope}\n  states: [{{state: exhausted, when: [{{budgetRemainingBelow: 0}}]}}]\n---\n"
        )
    };
    let set = scoped_set(
        &[
            p("all", "{}"),
            p("by-slo", "{slos: [checkout-ok]}"),
            p("by-service", "{services: [checkout]}"),
            p("by-journey", "{journeys: [find]}"),
        ]
        .concat(),
    );
    let one = |s: &str| vec![s.to_string()];
    assert_eq!(
        scopes(&set),
        [
            (
                "all".to_string(),
                vec!["checkout-ok".to_string(), "search-ok".to_string()]
            ),
            ("by-slo".to_string(), one("checkout-ok")),
            ("by-service".to_string(), one("checkout-ok")),
            ("by-journey".to_string(), one("search-ok")),
        ]
    );
    let rule = &set.budget_policies[0].rules[0];
    assert_eq!(
        (rule.state, rule.releases),
        (PolicyState::Exhausted, ReleaseMode::Frozen),
        "releases default by state"
    );
    assert_eq!(set.budget_policies[0].postmortem_share, 0.2);
}
