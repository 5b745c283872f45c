//! `lodestar rules prometheus`: a Prometheus rule file for every SLO whose
//! SLI reads Prometheus metric sources.
//!
//! Each such SLO gets one rule group, evaluated top to bottom: 5-minute
//! good/total increases from the raw counters, longer windows chained
//! from non-overlapping shorter increases (so every error ratio is
//! Σbad/Σtotal, exact under varying traffic), error ratios, the
//! per-objective figures under Lodestar's `/metrics` names, then the
//! alerts. The design, with the reasons for it, is in the crate README.
//! Generation is a pure function of the spec set and the options; it
//! validates nothing PromQL itself (that is `promtool check rules`' job)
//! beyond what it must understand of `spec.query`.

mod alerting;
mod plan;
mod query;
mod recording;
mod rule_file;
mod window;

#[cfg(test)]
mod tests;

use spec::{Location, SpecSet};

/// Series names the rules record. Intermediate series follow Prometheus'
/// `level:metric:operation` convention; the per-objective figures use the
/// exact names of Lodestar's own `/metrics`, so dashboards and alerts built
/// on one work on the other.
pub mod names {
    /// Total events over the window (`…:increase5m`, `…:increase1h`).
    pub fn total(minutes: i64) -> String {
        format!(
            "lodestar:slo_events_total:increase{}",
            super::window::name(minutes)
        )
    }
    /// Bad events over the window.
    pub fn bad(minutes: i64) -> String {
        format!(
            "lodestar:slo_events_bad:increase{}",
            super::window::name(minutes)
        )
    }
    /// Bad / total over the window (`…:ratio1h`).
    pub fn error_ratio(minutes: i64) -> String {
        format!("lodestar:slo_error:ratio{}", super::window::name(minutes))
    }
    /// The objective's target, a fraction.
    pub const OBJECTIVE: &str = "lodestar_slo_objective_ratio";
    /// `1 - target`.
    pub const ERROR_BUDGET: &str = "lodestar_slo_error_budget_ratio";
    /// Good / total over the SLO window.
    pub const SLI: &str = "lodestar_slo_sli_ratio";
    /// Fraction of the budget left: 1 untouched, ≤ 0 exhausted.
    pub const REMAINING: &str = "lodestar_slo_error_budget_remaining_ratio";
    /// Fraction of the budget spent (the burn rate over the whole window).
    pub const CONSUMED: &str = "lodestar_slo_error_budget_consumed_ratio";
    /// Burn rate, label `window`.
    pub const BURN_RATE: &str = "lodestar_slo_burn_rate";
    /// Events over the SLO window, label `kind` (`good`, `total`).
    pub const WINDOW_EVENTS: &str = "lodestar_slo_window_events";
    /// Seconds until the budget is gone at the 1 h burn rate.
    pub const TIME_TO_EXHAUSTION: &str = "lodestar_slo_time_to_exhaustion_seconds";
    /// 1 for the current status, 0 for the others, label `status`.
    pub const STATUS: &str = "lodestar_slo_status";
}

/// Choices that are not in the specs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleOptions {
    /// Events a page needs in its long window; with fewer, the page is
    /// raised as a `…LowTraffic` ticket instead. 0 turns the guard off.
    pub min_events: u64,
}

impl Default for RuleOptions {
    fn default() -> Self {
        RuleOptions { min_events: 100 }
    }
}

/// Why rules could not be generated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// An SLO with Prometheus sources that rules cannot express.
    #[error("{at}: slo {slo}: {message}")]
    Unsupported {
        /// The SLO's name.
        slo: String,
        /// Where the offending part is written.
        at: Location,
        /// What is wrong and what was expected.
        message: String,
    },
    /// The specs hold no SLO with a Prometheus metric source.
    #[error(
        "no slo in the given specs has a metric source of type prometheus; expected at least one (spec.indicator...metricSource.type or a DataSource of type prometheus)"
    )]
    NoPrometheusSlo,
}

/// The rule file (YAML) for every SLO of `set` whose SLI has a metric
/// source of type `prometheus`; SLOs on other sources are left out. Fails
/// with every problem of every SLO when any cannot be expressed.
pub fn generate(set: &SpecSet, opts: &RuleOptions) -> Result<String, Vec<RuleError>> {
    let mut groups = Vec::new();
    let mut errors = Vec::new();
    for slo in &set.slos {
        match plan::plan(slo) {
            None => {}
            Some(Err(mut e)) => errors.append(&mut e),
            Some(Ok(p)) => {
                let mut rules = recording::rules(&p);
                rules.extend(alerting::rules(&p, opts.min_events));
                groups.push(rule_file::Group {
                    name: format!("lodestar-slo-{}", p.name),
                    rules,
                });
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    if groups.is_empty() {
        return Err(vec![RuleError::NoPrometheusSlo]);
    }
    Ok(rule_file::render(
        &[
            "Prometheus rules generated by Lodestar (`lodestar rules prometheus`) from OpenSLO specs.",
            "Do not edit: change the specs and regenerate. Rule design: crates/rules/README.md.",
        ],
        &groups,
    ))
}

/// A burn-rate factor as the rules write it (binary noise removed).
pub(crate) fn round_factor(x: f64) -> f64 {
    plan::round12(x)
}

/// A fraction as a percentage without binary noise: `0.999` → `99.9`.
pub(crate) fn percent_text(fraction: f64) -> String {
    number(plan::round12(fraction * 100.0))
}

/// A number as PromQL reads it back exactly: shortest decimal form.
fn number(x: f64) -> String {
    format!("{x}")
}
