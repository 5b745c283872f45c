use proptest::prelude::*;

use super::emit::{percent_to_fraction, slug, suffixed};
use super::sloth::rate_to_increase;
use super::{from_sloth, from_v1alpha};
use crate::{Mode, SliSpec, load_sources};

fn loads(text: &str) -> crate::SpecSet {
    let loaded = load_sources(&[("out.yaml".into(), text.into())], Mode::Strict);
    let errors: Vec<String> = loaded.errors().map(|d| d.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}\n{text}");
    loaded.set.expect("set")
}

fn messages(errors: &[crate::Diagnostic]) -> Vec<String> {
    errors.iter().map(|d| d.to_string()).collect()
}

const SLOTH: &str = r#"version: prometheus/v1
service: api
slos:
  - name: availability
    objective: 99.95
    sli:
      events:
        error_query: sum(rate(errors_total[{{.window}}]))
        total_query: sum(rate(requests_total[{{.window}}]))
    alerting:
      name: ApiAvailability
"#;

#[test]
fn a_minimal_sloth_spec_becomes_a_loadable_openslo_slo() {
    let text = from_sloth("s.yaml", SLOTH).expect("converts");
    assert!(text.starts_with("# Converted by `lodestar convert --from sloth` from s.yaml.\n"));
    let set = loads(&text);
    let slo = set.slo("api-availability").expect("SLO named service-name");
    assert_eq!(slo.objectives[0].target, 0.9995);
    assert_eq!(slo.time_window.duration.to_string(), "30d");
    assert_eq!(slo.alert_policies.len(), 4);
    let thresholds: Vec<f64> = slo
        .alert_policies
        .iter()
        .map(|p| p.conditions[0].threshold)
        .collect();
    assert_eq!(thresholds, [14.4, 6.0, 3.0, 1.0]);
    let Some(SliSpec::Ratio {
        bad: Some(bad),
        total,
        ..
    }) = slo.indicator.as_ref().map(|i| &i.spec)
    else {
        panic!("a bad/total ratio");
    };
    assert_eq!(
        bad.spec["query"],
        "sum(increase(errors_total[{{.window}}]))"
    );
    assert_eq!(total.source_type, "prometheus");
}

#[test]
fn sloth_problems_are_all_reported_with_positions() {
    let text = "version: prometheus/v1\nslos:\n  - name: x\n    objective: 99\n    sli: {events: {error_query: 'sum(rate(e[5m]))', total_query: 't'}}\n    extra: 1\n";
    let errors = from_sloth("s.yaml", text).expect_err("invalid");
    assert_eq!(
        messages(&errors),
        [
            "s.yaml:1:1: property service is required",
            "s.yaml:5:33: slos[0].sli.events.error_query: expected a query using {{.window}} for the window, as Sloth requires",
            "s.yaml:5:66: slos[0].sli.events.total_query: expected a query using {{.window}} for the window, as Sloth requires",
            "s.yaml:6:5: slos[0].extra: unknown property; expected one of name, description, objective, labels, sli, alerting",
        ]
    );
    let errors = from_sloth("s.yaml", "version: prometheus/v2\n").expect_err("version");
    assert_eq!(
        messages(&errors),
        ["s.yaml:1:10: version: expected \"prometheus/v1\", got string \"prometheus/v2\""]
    );
    let errors = from_sloth("s.yaml", "").expect_err("empty");
    assert_eq!(
        messages(&errors),
        ["s.yaml:1:1: nothing to convert; expected at least one sloth object"]
    );
}

#[test]
fn two_sloth_slos_with_the_same_id_are_refused() {
    let text = format!(
        "{SLOTH}  - name: Availability\n    objective: 99\n    sli: {{events: {{error_query: 'sum(rate(e[{{{{.window}}}}]))', total_query: 'sum(rate(t[{{{{.window}}}}]))'}}}}\n    alerting: {{}}\n"
    );
    let errors = from_sloth("s.yaml", &text).expect_err("duplicate");
    assert_eq!(
        messages(&errors),
        [
            "s.yaml:12:11: slos[1].name: converts to SLO \"api-availability\", the same name as slos[0].name; expected names that differ"
        ]
    );
}

#[test]
fn rate_over_the_window_becomes_increase_and_nothing_else_changes() {
    assert_eq!(
        rate_to_increase("sum(rate(x{a=\"rate(\"}[{{.window}}])) / sum(irate(y[{{.window}}])) + rate (z[5m])"),
        (
            "sum(increase(x{a=\"rate(\"}[{{.window}}])) / sum(irate(y[{{.window}}])) + rate (z[5m])".into(),
            1
        )
    );
    assert_eq!(
        rate_to_increase("sum by (rate) (rate(x[{{.window}}]))"),
        ("sum by (rate) (increase(x[{{.window}}]))".into(), 0)
    );
}

#[test]
fn percentages_shift_exactly() {
    for (text, fraction) in [
        ("99.9", 0.999),
        ("99", 0.99),
        ("99.95", 0.9995),
        ("5", 0.05),
        ("0.5", 0.005),
        ("+99.5", 0.995),
    ] {
        assert_eq!(
            percent_to_fraction(text, text.parse().unwrap_or(0.0)),
            fraction,
            "{text}"
        );
    }
    assert_eq!(percent_to_fraction("9.99e1", 99.9), 99.9 / 100.0);
}

#[test]
fn names_are_slugged_and_cut_to_63() {
    assert_eq!(
        slug("My Service: requests!").as_deref(),
        Some("my-service-requests")
    );
    assert_eq!(slug("--"), None);
    let long = "a".repeat(70);
    assert_eq!(suffixed(&long, "page-1h").len(), 63);
    assert!(suffixed(&long, "page-1h").ends_with("a-page-1h"));
}

const V1ALPHA: &str = r#"apiVersion: openslo/v1alpha
kind: SLO
metadata: {name: checkout, displayName: Checkout}
spec:
  service: shop
  budgetingMethod: Occurrences
  timeWindows: [{unit: Day, count: 7, isRolling: true}]
  objectives:
    - displayName: ok
      value: 1
      target: 0.99
      ratioMetrics:
        incremental: true
        good: {source: prometheus, queryType: promql, query: 'ok_total'}
        total: {source: prometheus, queryType: promql, query: 'all_total'}
"#;

#[test]
fn a_minimal_v1alpha_slo_becomes_v1() {
    let text = from_v1alpha("a.yaml", V1ALPHA).expect("converts");
    let set = loads(&text);
    let slo = set.slo("checkout").expect("same name");
    assert_eq!(slo.metadata.display_name.as_deref(), Some("Checkout"));
    assert_eq!(slo.time_window.duration.to_string(), "7d");
    assert!(
        slo.objectives[0].value.is_none(),
        "value dropped from ratio objectives"
    );
    let Some(SliSpec::Ratio {
        counter,
        good: Some(good),
        ..
    }) = slo.indicator.as_ref().map(|i| &i.spec)
    else {
        panic!("a good/total ratio");
    };
    assert!(*counter);
    assert_eq!(good.spec, serde_json::json!({"query": "ok_total"}));
}

#[test]
fn v1alpha_problems_are_reported_with_positions() {
    let text = V1ALPHA
        .replace("unit: Day", "unit: Fortnight")
        .replace("target: 0.99", "target: 99");
    let errors = from_v1alpha("a.yaml", &text).expect_err("invalid");
    assert_eq!(
        messages(&errors),
        [
            "a.yaml:7:24: spec.timeWindows[0].unit: expected one of Second, Day, Week, Month, Quarter, Year, got \"Fortnight\"",
            "a.yaml:11:15: spec.objectives[0].target: expected a number in [0, 1), got 99",
        ]
    );
    let errors = from_v1alpha(
        "a.yaml",
        "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: x}\nspec: {}\n",
    )
    .expect_err("v1");
    assert_eq!(
        messages(&errors),
        ["a.yaml:1:13: apiVersion: expected \"openslo/v1alpha\", got \"openslo/v1\""]
    );
}

proptest! {
    /// Any Sloth objective in (0, 100) with up to three decimals converts
    /// to the exact fraction and loads.
    #[test]
    fn sloth_objectives_convert_exactly(whole in 1u32..100, frac in 0u32..1000) {
        prop_assume!(whole < 99 || frac < 1000);
        let objective = format!("{whole}.{frac:03}");
        let text = SLOTH.replace("99.95", &objective);
        let out = from_sloth("s.yaml", &text).expect("converts");
        let set = loads(&out);
        let expected: f64 = format!("0.{:02}{frac:03}", whole).parse().expect("number");
        prop_assert_eq!(set.slos[0].objectives[0].target, expected);
    }

    /// Rewriting only ever turns `rate(` into `increase(`.
    #[test]
    fn rewriting_changes_only_rate_calls(q in "[a-z(){}\\[\\]\" .]{0,40}") {
        let (out, _) = rate_to_increase(&q);
        prop_assert_eq!(out.replace("increase", "rate"), q.replace("increase", "rate"));
    }
}
