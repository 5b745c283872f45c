//! The alerting rules of one SLO: multi-window burn-rate alerts (with the
//! low-traffic guard on pages), the no-data alert and the budget-exhausted
//! alert, each with the labels an Alertmanager route matches on and the
//! annotations a responder reads.
//!
//! Conditions compare error ratios with `factor × budget` written as one
//! decimal literal, so a burn of exactly the threshold (say 1.44 % errors
//! against a 0.1 % budget) fires instead of losing to binary rounding; the
//! alert's value is the long window's burn rate. This module only renders
//! conditions decided in `plan`.

use spec::Op;

use super::names;
use super::number;
use super::plan::{BurnAlert, Indicator, ObjectivePlan, SloPlan, round12};
use super::recording::{objective_labels, of_objective, of_slo};
use super::rule_file::Rule;
use super::window::{self, BASE_MINUTES};

/// Name of the alert raised when the SLI's series are absent.
pub(crate) const NO_DATA_ALERT: &str = "SLONoData";
/// Name of the alert raised when an objective's budget is spent.
pub(crate) const EXHAUSTED_ALERT: &str = "SLOErrorBudgetExhausted";
/// Suffix of the ticket raised instead of a page under low traffic.
pub(crate) const LOW_TRAFFIC_SUFFIX: &str = "LowTraffic";

/// Labels an AlertPolicy may not override: they identify the alert.
const IDENTITY: &[&str] = &["slo", "objective", "long_window", "short_window"];

/// All alerting rules of `plan`.
pub(crate) fn rules(plan: &SloPlan, min_events: u64) -> Vec<Rule> {
    let mut out = Vec::new();
    for o in &plan.objectives {
        for a in &plan.burn_alerts {
            burn_alerts(plan, o, a, min_events, &mut out);
        }
    }
    if plan.no_data_alert {
        let series = match plan.indicator {
            Indicator::Events { .. } => names::total(BASE_MINUTES),
            Indicator::Raw { .. } => names::error_ratio(BASE_MINUTES),
        };
        let mut labels = plan.labels.clone();
        labels.push(("severity".into(), "ticket".into()));
        let mut annotations = vec![
            (
                "summary".to_string(),
                format!("SLO {} has no data", template_text(&plan.display)),
            ),
            (
                "description".to_string(),
                format!(
                    "The SLI queries of SLO {} have returned no series for 15 minutes, so its error budget cannot be tracked. Check that the counters are still scraped and that their labels still match the SLO's queries.",
                    template_text(&plan.name)
                ),
            ),
        ];
        push_runbook(plan, &mut annotations);
        out.push(Rule::Alert {
            alert: NO_DATA_ALERT.into(),
            expr: format!("absent({})", of_slo(&series, plan)),
            for_duration: Some("10m".into()),
            labels,
            annotations,
        });
    }
    for o in &plan.objectives {
        let mut labels = objective_labels(plan, o);
        labels.push(("severity".into(), "ticket".into()));
        let mut annotations = vec![
            (
                "summary".to_string(),
                format!(
                    "SLO {} ({}) has spent its error budget",
                    template_text(&plan.display),
                    template_text(&o.name)
                ),
            ),
            (
                "description".to_string(),
                format!(
                    "Objective {} of SLO {} ({} over {}) has no error budget left: {{{{ $value | humanizePercentage }}}} remaining. Reliability work comes first until it recovers.",
                    template_text(&o.name),
                    template_text(&plan.name),
                    percent(o.target),
                    window::name(plan.window_minutes)
                ),
            ),
        ];
        push_runbook(plan, &mut annotations);
        out.push(Rule::Alert {
            alert: EXHAUSTED_ALERT.into(),
            expr: format!("{} <= 0", of_objective(names::REMAINING, plan, o, &[])),
            for_duration: Some("5m".into()),
            labels,
            annotations,
        });
    }
    out
}

fn burn_alerts(
    plan: &SloPlan,
    o: &ObjectivePlan,
    a: &BurnAlert,
    min_events: u64,
    out: &mut Vec<Rule>,
) {
    let long = window::name(a.long_minutes);
    let short = window::name(a.short_minutes);
    let threshold = number(round12(a.factor * o.budget));
    let op = match a.op {
        Op::Lt => "<",
        Op::Lte => "<=",
        Op::Gt => ">",
        Op::Gte => ">=",
    };
    let condition = format!(
        "(\n    {} {op} {threshold}\n  and\n    {} {op} {threshold}\n)\n/ {}",
        of_slo(&names::error_ratio(a.long_minutes), plan),
        of_slo(&names::error_ratio(a.short_minutes), plan),
        number(o.budget)
    );
    let guarded = a.page && min_events > 0 && matches!(plan.indicator, Indicator::Events { .. });
    let enough = format!(
        "{} >= {min_events}",
        of_slo(&names::total(a.long_minutes), plan)
    );
    let mut labels = objective_labels(plan, o);
    labels.push(("severity".into(), a.severity.clone()));
    labels.push(("long_window".into(), long.clone()));
    labels.push(("short_window".into(), short.clone()));
    if let Some(p) = &a.policy {
        labels.push(("alert_policy".into(), p.clone()));
    }
    for (k, v) in &a.labels {
        if IDENTITY.contains(&k.as_str()) {
            continue;
        }
        set(&mut labels, k, v);
    }
    let op_words = match a.op {
        Op::Lt => "below",
        Op::Lte => "at most",
        Op::Gt => "above",
        Op::Gte => "at least",
    };
    let share = a.factor * a.long_minutes as f64 / plan.window_minutes as f64;
    let mut annotations = vec![
        (
            "summary".to_string(),
            format!(
                "SLO {} ({}) is burning its error budget {op_words} {}x over {long}",
                template_text(&plan.display),
                template_text(&o.name),
                number(a.factor)
            ),
        ),
        (
            "description".to_string(),
            format!(
                "Over the last {long} and {short} the error ratio of SLO {} is {op_words} {}x its budget ({} allowed errors for a {} objective over {}); at that pace {} of the {} budget goes in {long}. Burn rate over {long}: {{{{ $value | printf \"%.2f\" }}}}x. Budget remaining: {{{{ with query `{}` }}}}{{{{ . | first | value | humanizePercentage }}}}{{{{ else }}}}unknown{{{{ end }}}}.",
                template_text(&plan.name),
                number(a.factor),
                percent(o.budget),
                percent(o.target),
                window::name(plan.window_minutes),
                percent(round12(share)),
                window::name(plan.window_minutes),
                of_objective(names::REMAINING, plan, o, &[])
            ),
        ),
    ];
    push_runbook(plan, &mut annotations);
    for (k, v) in &a.annotations {
        set(&mut annotations, k, v);
    }
    if guarded {
        out.push(Rule::Alert {
            alert: a.alert_name.clone(),
            expr: format!("{condition}\nand\n  {enough}"),
            for_duration: a.for_minutes.map(window::name),
            labels: labels.clone(),
            annotations: annotations.clone(),
        });
        // The same burn with too few events behind it: worth a look, not a
        // page at night.
        set(&mut labels, "severity", "ticket");
        let note = format!(
            " Fewer than {min_events} events in the last {long}, so this is a ticket instead of a page."
        );
        if let Some(d) = annotations.iter_mut().find(|(k, _)| k == "description") {
            d.1.push_str(&note);
        }
        out.push(Rule::Alert {
            alert: format!("{}{LOW_TRAFFIC_SUFFIX}", a.alert_name),
            expr: format!("{condition}\nunless\n  {enough}"),
            for_duration: a.for_minutes.map(window::name),
            labels,
            annotations,
        });
    } else {
        out.push(Rule::Alert {
            alert: a.alert_name.clone(),
            expr: condition,
            for_duration: a.for_minutes.map(window::name),
            labels,
            annotations,
        });
    }
}

fn set(pairs: &mut Vec<(String, String)>, key: &str, value: &str) {
    match pairs.iter_mut().find(|(k, _)| k == key) {
        Some(slot) => slot.1 = value.to_string(),
        None => pairs.push((key.to_string(), value.to_string())),
    }
}

fn push_runbook(plan: &SloPlan, annotations: &mut Vec<(String, String)>) {
    if let Some(r) = &plan.runbook {
        annotations.push(("runbook_url".into(), r.clone()));
    }
}

/// `0.999` → `99.9 %`.
fn percent(fraction: f64) -> String {
    format!("{} %", super::percent_text(fraction))
}

/// Spec text placed inside an annotation, which Prometheus expands as a Go
/// template: a literal `{{` must not start an action.
fn template_text(s: &str) -> String {
    s.replace("{{", "{{ \"{{\" }}")
}
