//! The recording rules of one SLO: event counts per window, error ratios,
//! and the per-objective figures under the names Lodestar's own `/metrics`
//! uses, so one Grafana dashboard reads either.
//!
//! Order matters: a group evaluates its rules top to bottom and a rule reads
//! what the rules above it recorded in the same evaluation, so counts come
//! first (5-minute base, then windows chained from shorter ones), then
//! ratios, then the figures derived from them. The PromQL here mirrors the
//! semantics written down in the `slo` crate (budget, burn rate, time to
//! exhaustion, status); this module must not invent other definitions.

use slo::burn_alert::{PAGE_FAST, PAGE_SLOW};
use slo::evaluation::AT_RISK_REMAINING;

use super::names;
use super::number;
use super::plan::{BadFrom, Indicator, ObjectivePlan, SloPlan};
use super::rule_file::Rule;
use super::window::{self, BASE_MINUTES, HOUR_MINUTES, Source};

/// `name{slo="x"}`.
pub(crate) fn of_slo(name: &str, plan: &SloPlan) -> String {
    format!("{name}{{slo={}}}", quote(&plan.name))
}

/// `name{slo="x",objective="y"}` plus any extra matchers.
pub(crate) fn of_objective(
    name: &str,
    plan: &SloPlan,
    o: &ObjectivePlan,
    extra: &[(&str, &str)],
) -> String {
    let mut s = format!(
        "{name}{{slo={},objective={}",
        quote(&plan.name),
        quote(&o.name)
    );
    for (k, v) in extra {
        s.push(',');
        s.push_str(k);
        s.push('=');
        s.push_str(&quote(v));
    }
    s.push('}');
    s
}

/// A PromQL double-quoted string.
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn record(record: String, expr: String, labels: &[(String, String)]) -> Rule {
    Rule::Record {
        record,
        expr,
        labels: labels.to_vec(),
    }
}

/// Labels of a per-objective rule.
pub(crate) fn objective_labels(plan: &SloPlan, o: &ObjectivePlan) -> Vec<(String, String)> {
    let mut l = plan.labels.clone();
    l.insert(2, ("objective".into(), o.name.clone()));
    l
}

/// All recording rules of `plan`, in evaluation order.
pub(crate) fn rules(plan: &SloPlan) -> Vec<Rule> {
    let mut out = Vec::new();
    match &plan.indicator {
        Indicator::Events { total, bad } => {
            let base = window::name(BASE_MINUTES);
            let total_base = of_slo(&names::total(BASE_MINUTES), plan);
            out.push(record(
                names::total(BASE_MINUTES),
                total.count_over(&base),
                &plan.labels,
            ));
            let bad_expr = match bad {
                // A selector with no series yet counts zero, but only while
                // total has data, so a missing SLI stays missing.
                BadFrom::Bad(q) => format!(
                    "({} or vector(0)) and on() {total_base}",
                    q.count_over(&base)
                ),
                // Scrapes of good and total are not simultaneous; clamp so a
                // block never counts negative bad events.
                BadFrom::Good(q) => format!(
                    "clamp_min({total_base} - on() ({} or vector(0)), 0)",
                    q.count_over(&base)
                ),
            };
            out.push(record(names::bad(BASE_MINUTES), bad_expr, &plan.labels));
            for &w in &plan.windows {
                let Some(Source::Chain(step)) = window::source(w) else {
                    continue;
                };
                for series in [names::total, names::bad] {
                    out.push(record(
                        series(w),
                        format!(
                            "sum_over_time({}[{}:{}])",
                            of_slo(&series(step), plan),
                            window::subquery_range(w),
                            window::name(step)
                        ),
                        &plan.labels,
                    ));
                }
            }
            for &w in &plan.windows {
                out.push(record(
                    names::error_ratio(w),
                    format!(
                        "{} / ({} > 0)",
                        of_slo(&names::bad(w), plan),
                        of_slo(&names::total(w), plan)
                    ),
                    &plan.labels,
                ));
            }
        }
        Indicator::Raw { query, success } => {
            for &w in &plan.windows {
                let expr = if w == plan.window_minutes && w > HOUR_MINUTES {
                    // No counts to sum: the best a precomputed ratio allows
                    // is its time-weighted mean.
                    let step = if w % HOUR_MINUTES == 0 {
                        HOUR_MINUTES
                    } else {
                        BASE_MINUTES
                    };
                    format!(
                        "avg_over_time({}[{}:{}])",
                        of_slo(&names::error_ratio(step), plan),
                        window::subquery_range(w),
                        window::name(step)
                    )
                } else if *success {
                    format!("1 - {}", query.mean_over(&window::name(w)))
                } else {
                    query.mean_over(&window::name(w))
                };
                out.push(record(names::error_ratio(w), expr, &plan.labels));
            }
        }
    }
    for o in &plan.objectives {
        objective_rules(plan, o, &mut out);
    }
    out
}

fn objective_rules(plan: &SloPlan, o: &ObjectivePlan, out: &mut Vec<Rule>) {
    let labels = objective_labels(plan, o);
    let budget = number(o.budget);
    let w = plan.window_minutes;
    let window_ratio = of_slo(&names::error_ratio(w), plan);
    out.push(record(
        names::OBJECTIVE.into(),
        format!("vector({})", number(o.target)),
        &labels,
    ));
    out.push(record(
        names::ERROR_BUDGET.into(),
        format!("vector({budget})"),
        &labels,
    ));
    for &bw in &plan.windows {
        let mut l = labels.clone();
        l.push(("window".into(), window::name(bw)));
        out.push(record(
            names::BURN_RATE.into(),
            format!("{} / {budget}", of_slo(&names::error_ratio(bw), plan)),
            &l,
        ));
    }
    out.push(record(
        names::SLI.into(),
        format!("1 - {window_ratio}"),
        &labels,
    ));
    if matches!(plan.indicator, Indicator::Events { .. }) {
        let total = of_slo(&names::total(w), plan);
        let bad = of_slo(&names::bad(w), plan);
        for (kind, expr) in [
            ("good", format!("{total} - {bad}")),
            ("total", total.clone()),
        ] {
            let mut l = labels.clone();
            l.push(("kind".into(), kind.into()));
            out.push(record(names::WINDOW_EVENTS.into(), expr, &l));
        }
    }
    out.push(record(
        names::CONSUMED.into(),
        format!("{window_ratio} / {budget}"),
        &labels,
    ));
    let consumed = of_objective(names::CONSUMED, plan, o, &[]);
    out.push(record(
        names::REMAINING.into(),
        format!("1 - {consumed}"),
        &labels,
    ));
    let remaining = format!("max({})", of_objective(names::REMAINING, plan, o, &[]));
    let burn_1h = format!(
        "max({})",
        of_objective(
            names::BURN_RATE,
            plan,
            o,
            &[("window", &window::name(HOUR_MINUTES))]
        )
    );
    out.push(record(
        names::TIME_TO_EXHAUSTION.into(),
        format!(
            "({remaining} > 0) * {} / ({burn_1h} > 0)\nor\n(vector(0) and on() ({remaining} <= 0))",
            w * 60
        ),
        &labels,
    ));
    status_rules(plan, o, &labels, &remaining, out);
}

/// `lodestar_slo_status{status=...}`: 1 for the current status, 0 for the
/// others, by the `slo` crate's rules: no data, else exhausted, else at
/// risk (remaining under a quarter, or a Workbook page condition), else
/// healthy.
fn status_rules(
    plan: &SloPlan,
    o: &ObjectivePlan,
    labels: &[(String, String)],
    remaining: &str,
    out: &mut Vec<Rule>,
) {
    let w = plan.window_minutes;
    let has_data = match plan.indicator {
        Indicator::Events { .. } => format!("sum({}) > 0", of_slo(&names::total(w), plan)),
        Indicator::Raw { .. } => format!("count({})", of_slo(&names::error_ratio(w), plan)),
    };
    let paging = [PAGE_FAST, PAGE_SLOW]
        .iter()
        .map(|r| {
            let threshold = number(super::plan::round12(
                super::plan::round12(r.factor(w)) * o.budget,
            ));
            format!(
                "(max({}) >= {threshold} and on() max({}) >= {threshold})",
                of_slo(&names::error_ratio(r.long_minutes), plan),
                of_slo(&names::error_ratio(r.short_minutes), plan)
            )
        })
        .collect::<Vec<_>>()
        .join(" or on() ");
    let exhausted = format!("({remaining} <= 0)");
    let at_risk = format!(
        "({remaining} < {} or on() {paging})",
        number(AT_RISK_REMAINING)
    );
    let statuses = [
        (
            "no_data",
            format!("(vector(1) unless on() ({has_data})) or vector(0)"),
        ),
        (
            "exhausted",
            format!("(vector(1) and on() ({has_data}) and on() {exhausted}) or vector(0)"),
        ),
        (
            "at_risk",
            format!(
                "(\n  vector(1) and on() ({has_data})\n  unless on() {exhausted}\n  and on() {at_risk}\n)\nor vector(0)"
            ),
        ),
        (
            "healthy",
            format!(
                "(\n  vector(1) and on() ({has_data})\n  unless on() {exhausted}\n  unless on() {at_risk}\n)\nor vector(0)"
            ),
        ),
    ];
    for (status, expr) in statuses {
        let mut l = labels.to_vec();
        l.push(("status".into(), status.into()));
        out.push(record(names::STATUS.into(), expr, &l));
    }
}
