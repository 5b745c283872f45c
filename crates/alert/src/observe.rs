//! What the data says at one minute, under a policy: every burn condition's
//! burn rates and traffic, which severity it would raise, and the no-data
//! and budget-exhausted facts.
//!
//! This is a pure function of the counts, the policy and the minute; it
//! keeps no state (the tracker turns a sequence of observations into alert
//! phases) and never reads a clock.

use serde::{Deserialize, Serialize};
use slo::evaluation::burn_rate_of;
use slo::{ErrorBudget, Minute, Op};

use crate::counts::Counts;
use crate::policy::{BurnCondition, Policy, Severity};

/// Relative slack when comparing a burn rate with its threshold: burn rates
/// are quotients of floating-point sums and the Workbook's thresholds
/// (14.4 = 2 % × 720 h / 1 h) are products, so a burn exactly at the
/// threshold can land a few ulps either side. Values this close count as
/// equal.
const THRESHOLD_SLACK: f64 = 1e-9;

/// One condition at one minute.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConditionObservation {
    /// The condition's name in the policy.
    pub name: String,
    /// The severity the policy gives it.
    pub severity: Severity,
    pub long_minutes: i64,
    pub short_minutes: i64,
    pub threshold: f64,
    /// Minutes the condition must hold before its alert fires.
    pub for_minutes: i64,
    /// Burn rate over the long window; `None` without events.
    pub long_burn: Option<f64>,
    /// Burn rate over the short window; `None` without events.
    pub short_burn: Option<f64>,
    /// Raw events in the long window.
    pub long_events: u64,
    /// Both windows compare to the threshold as the condition asks.
    pub holds: bool,
    /// What holding raises after the traffic floors: the configured
    /// severity, a ticket instead of a page under `min_page_events`, nothing
    /// under `min_alert_events` or when it does not hold.
    pub raises: Option<Severity>,
}

/// Everything the alert rules need from one minute.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    /// The minute observed; windows end with it (inclusive).
    pub at: Minute,
    pub conditions: Vec<ConditionObservation>,
    /// No events in the last `no_data_minutes` although the SLO window had
    /// some before them (false when the policy has no no-data alert).
    pub no_data: bool,
    /// Remaining error budget of the SLO window (1 untouched, ≤ 0 spent);
    /// `None` when the window has no events.
    pub budget_remaining: Option<f64>,
    /// The budget is spent and the policy alerts on it.
    pub budget_exhausted: bool,
}

/// Observes `policy` over `counts` at minute `at`, for an objective of
/// `target` whose SLO window at `at` is the minute range `window` (its end
/// is normally `at + 1`; the caller computes it because calendar windows
/// need a time zone).
pub fn observe(
    policy: &Policy,
    target: f64,
    counts: &dyn Counts,
    window: (Minute, Minute),
    at: Minute,
) -> Observation {
    let to = at + 1;
    let conditions = policy
        .conditions
        .iter()
        .map(|c| observe_condition(policy, c, target, counts, to))
        .collect();

    let in_window = counts.tally(window.0, window.1);
    let budget_remaining =
        (in_window.total > 0.0).then(|| ErrorBudget::new(target, &in_window).remaining);
    let budget_exhausted = policy.budget_exhausted && budget_remaining.is_some_and(|r| r <= 0.0);

    let no_data = policy.no_data_minutes.is_some_and(|n| {
        let quiet_from = to - n.max(1);
        counts.tally(quiet_from, to).raw_total == 0
            && window.0 < quiet_from
            && counts.tally(window.0, quiet_from).raw_total > 0
    });

    Observation {
        at,
        conditions,
        no_data,
        budget_remaining,
        budget_exhausted,
    }
}

fn observe_condition(
    policy: &Policy,
    c: &BurnCondition,
    target: f64,
    counts: &dyn Counts,
    to: Minute,
) -> ConditionObservation {
    let long = counts.tally(to - c.long_minutes.max(1), to);
    let short = counts.tally(to - c.short_minutes.max(1), to);
    let long_burn = burn_rate_of(target, &long);
    let short_burn = burn_rate_of(target, &short);
    let holds = match (long_burn, short_burn) {
        (Some(l), Some(s)) => compares(c.op, l, c.threshold) && compares(c.op, s, c.threshold),
        _ => false,
    };
    let raises = if !holds || long.raw_total < policy.min_alert_events {
        None
    } else if c.severity == Severity::Page && long.raw_total < policy.min_page_events {
        Some(Severity::Ticket)
    } else {
        Some(c.severity)
    };
    ConditionObservation {
        name: c.name.clone(),
        severity: c.severity,
        long_minutes: c.long_minutes,
        short_minutes: c.short_minutes,
        threshold: c.threshold,
        for_minutes: c.for_minutes,
        long_burn,
        short_burn,
        long_events: long.raw_total,
        holds,
        raises,
    }
}

/// `value op threshold`, with values within a relative 1e-9 of the
/// threshold counting as equal to it.
pub fn compares(op: Op, value: f64, threshold: f64) -> bool {
    let slack = THRESHOLD_SLACK * threshold.abs().max(f64::MIN_POSITIVE);
    match op {
        Op::Gte => value >= threshold - slack,
        Op::Gt => value > threshold + slack,
        Op::Lte => value <= threshold + slack,
        Op::Lt => value < threshold - slack,
    }
}

#[cfg(test)]
mod tests;
