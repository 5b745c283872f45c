//! What to alert on: burn-rate conditions, traffic floors, no-data and
//! budget-exhausted alerts, resolved notifications and flap damping.
//!
//! A [`Policy`] is plain data (serialisable, so the server can show and
//! store it). It comes from the Workbook default scaled to the SLO window
//! ([`Policy::workbook`]) or from the SLO's OpenSLO alert policies
//! ([`Policy::from_spec`]). This module decides nothing about data and keeps
//! no state: evaluation is in `observe`, alert state in `tracker`.
//!
//! # Scaling the Workbook to other windows
//!
//! A condition is "`budget_share` of the budget spent within the long
//! window", so its burn-rate threshold is `budget_share × W / long`
//! ([`slo::BurnAlertRule::factor`]). For windows of roughly a month
//! (`22.5 d ≤ W ≤ 45 d`, which covers every calendar month) the Workbook's
//! windows (1 h/5 m, 6 h/30 m, 1 d/2 h, 3 d/6 h) are kept and only the
//! thresholds move: 14.4/6/3/1 at 30 d, 13.44/5.6/2.8/0.93 at 28 d. Outside
//! that range fixed windows stop making sense (a 3-day window is 43 % of a
//! 7-day SLO and its threshold would fall below 1x, ticketing a service that
//! is on track), so the windows are scaled by `W / 30 d` instead (whole
//! minutes, at least 1) and the thresholds stay near 14.4/6/3/1: a 90-day
//! SLO pages on 3 h/15 m and 18 h/90 m, a 7-day one on 14 m/1 m and 84 m/7 m.

use serde::{Deserialize, Serialize};
use slo::{BurnAlertRule, Minute, Op, STANDARD_RULES};

use crate::error::PolicyError;

/// Minutes in the Workbook's reference window, 30 days.
pub const WORKBOOK_WINDOW_MINUTES: i64 = 30 * 1440;

/// Fewer raw events than this in a condition's long window cannot page: with
/// fewer than 100 events one bad request is at least 1 % of the traffic, ten
/// times the whole budget rate of a 99.9 % SLO, so a page would be raised by
/// single requests rather than by users being hurt. Such conditions open a
/// ticket instead.
pub const DEFAULT_MIN_PAGE_EVENTS: u64 = 100;

/// A firing alert resolves only once its conditions have been false this
/// long; re-firing sooner continues the same alert.
pub const DEFAULT_KEEP_FIRING_MINUTES: i64 = 10;

/// No-data alert after an hour without events, when the Workbook default
/// applies: long enough that a service of a few requests an hour does not
/// trip it by chance, short enough to notice a broken pipeline the same
/// morning.
pub const DEFAULT_NO_DATA_MINUTES: i64 = 60;

/// How urgent an alert is. Page wakes someone; Ticket waits for office hours.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Page,
    Ticket,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Page => "page",
            Severity::Ticket => "ticket",
        }
    }

    /// Severity named by OpenSLO's free-text `severity`: `page`, `critical`
    /// and `high` page (any case), everything else is a ticket.
    pub fn from_spec_text(text: &str) -> Severity {
        match text.trim().to_ascii_lowercase().as_str() {
            "page" | "critical" | "high" => Severity::Page,
            _ => Severity::Ticket,
        }
    }
}

/// One multi-window burn-rate condition: holds when the burn rate over both
/// the long and the short window compares to `threshold` by `op`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BurnCondition {
    /// Stable name, shown in alert details (`page_1h_5m`, `policy/condition`).
    pub name: String,
    /// Severity raised when the condition holds with enough traffic.
    pub severity: Severity,
    /// The window that measures how much budget went.
    pub long_minutes: i64,
    /// The window that confirms it is still going (and lets the alert reset).
    pub short_minutes: i64,
    /// Burn-rate factor compared with both windows.
    pub threshold: f64,
    #[serde(with = "op_text")]
    pub op: Op,
    /// How long the condition must hold before the alert fires (`for`,
    /// OpenSLO `alertAfter`).
    pub for_minutes: i64,
}

/// Everything that decides when an SLO objective alerts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    /// Where the policy came from (`workbook`, or the spec policies' names),
    /// for error messages.
    pub name: String,
    pub conditions: Vec<BurnCondition>,
    /// Raw events the long window needs before a condition may page; below it
    /// the condition raises a ticket.
    pub min_page_events: u64,
    /// Raw events the long window needs before a condition raises anything.
    pub min_alert_events: u64,
    /// Alert (ticket) when the last this-many minutes had no events although
    /// the SLO window had some before; `None` disables it.
    pub no_data_minutes: Option<i64>,
    /// Alert (ticket) when the SLO window's error budget is spent.
    pub budget_exhausted: bool,
    /// Whether resolving an alert is notified.
    pub notify_resolved: bool,
    /// Flap damping: a firing alert resolves once its conditions have been
    /// false for this many minutes; until then re-firing continues it.
    pub keep_firing_minutes: i64,
}

impl Policy {
    /// The Workbook's four conditions (page 1 h/5 m and 6 h/30 m, ticket
    /// 1 d/2 h and 3 d/6 h) for an SLO window of `window_minutes`, scaled as
    /// the module docs describe, with the Lodestar defaults for traffic
    /// floors, no-data, budget exhaustion and flap damping.
    pub fn workbook(window_minutes: i64) -> Policy {
        let w = window_minutes.max(1);
        let conditions = STANDARD_RULES
            .iter()
            .map(|rule| workbook_condition(rule, w))
            .collect();
        Policy {
            name: "workbook".to_owned(),
            conditions,
            min_page_events: DEFAULT_MIN_PAGE_EVENTS,
            min_alert_events: 1,
            no_data_minutes: Some(DEFAULT_NO_DATA_MINUTES),
            budget_exhausted: true,
            notify_resolved: true,
            keep_firing_minutes: DEFAULT_KEEP_FIRING_MINUTES,
        }
    }

    /// The policy an SLO's OpenSLO alert policies ask for; the Workbook
    /// default when there are none.
    ///
    /// Each burn-rate `AlertCondition` becomes one condition: `op` and
    /// `threshold` as written, long window = `lookbackWindow`, short window
    /// = lookback / 12 (the Workbook's ratio, at least 1 minute), `for` =
    /// `alertAfter` (0 when absent), severity from its text
    /// ([`Severity::from_spec_text`]). `alertWhenBreaching: false` drops the
    /// policy's conditions, `alertWhenResolved` on any policy notifies
    /// resolutions, and `alertWhenNoData` on any policy raises a no-data
    /// alert after the shortest lookback window of those policies. Budget
    /// exhaustion, traffic floors and flap damping keep Lodestar's defaults:
    /// OpenSLO has no words for them.
    pub fn from_spec(
        policies: &[spec::AlertPolicy],
        window_minutes: i64,
    ) -> Result<Policy, PolicyError> {
        if policies.is_empty() {
            return Ok(Policy::workbook(window_minutes));
        }
        let mut conditions = Vec::new();
        let mut no_data: Option<i64> = None;
        for p in policies {
            let policy = p.metadata.name.as_str();
            let mut lookbacks = Vec::new();
            for c in &p.conditions {
                let condition = c.metadata.name.as_str();
                let long =
                    c.lookback_window
                        .minutes()
                        .ok_or_else(|| PolicyError::NotFixedLength {
                            policy: policy.to_owned(),
                            condition: condition.to_owned(),
                            property: "lookbackWindow",
                            value: c.lookback_window.to_string(),
                        })?;
                if long < 1 {
                    return Err(PolicyError::LookbackTooShort {
                        policy: policy.to_owned(),
                        condition: condition.to_owned(),
                        value: c.lookback_window.to_string(),
                    });
                }
                let for_minutes = match &c.alert_after {
                    None => 0,
                    Some(d) => d.minutes().ok_or_else(|| PolicyError::NotFixedLength {
                        policy: policy.to_owned(),
                        condition: condition.to_owned(),
                        property: "alertAfter",
                        value: d.to_string(),
                    })?,
                };
                if !(c.threshold.is_finite() && c.threshold >= 0.0) {
                    return Err(PolicyError::Threshold {
                        policy: policy.to_owned(),
                        condition: condition.to_owned(),
                        value: c.threshold,
                    });
                }
                lookbacks.push(long);
                if p.alert_when_breaching {
                    conditions.push(BurnCondition {
                        name: format!("{policy}/{condition}"),
                        severity: Severity::from_spec_text(&c.severity),
                        long_minutes: long,
                        short_minutes: (long / 12).max(1),
                        threshold: c.threshold,
                        op: op_of_spec(c.op),
                        for_minutes,
                    });
                }
            }
            if p.alert_when_no_data {
                let after = lookbacks
                    .iter()
                    .copied()
                    .min()
                    .unwrap_or(DEFAULT_NO_DATA_MINUTES);
                no_data = Some(no_data.map_or(after, |n| n.min(after)));
            }
        }
        let policy = Policy {
            name: policies
                .iter()
                .map(|p| p.metadata.name.as_str())
                .collect::<Vec<_>>()
                .join(","),
            conditions,
            min_page_events: DEFAULT_MIN_PAGE_EVENTS,
            min_alert_events: 1,
            no_data_minutes: no_data,
            budget_exhausted: true,
            notify_resolved: policies.iter().any(|p| p.alert_when_resolved),
            keep_firing_minutes: DEFAULT_KEEP_FIRING_MINUTES,
        };
        policy.validate()?;
        Ok(policy)
    }

    /// Checks every number, for policies written by hand or read back from
    /// storage (the constructors above only build valid ones).
    pub fn validate(&self) -> Result<(), PolicyError> {
        for c in &self.conditions {
            let at = |policy: &str| (policy.to_owned(), c.name.clone());
            if c.long_minutes < 1 {
                let (policy, condition) = at(&self.name);
                return Err(PolicyError::LookbackTooShort {
                    policy,
                    condition,
                    value: format!("{}m", c.long_minutes),
                });
            }
            if c.short_minutes < 1 || c.short_minutes > c.long_minutes {
                let (policy, condition) = at(&self.name);
                return Err(PolicyError::ShortWindow {
                    policy,
                    condition,
                    short: c.short_minutes,
                    long: c.long_minutes,
                });
            }
            if !(c.threshold.is_finite() && c.threshold >= 0.0) {
                let (policy, condition) = at(&self.name);
                return Err(PolicyError::Threshold {
                    policy,
                    condition,
                    value: c.threshold,
                });
            }
            if c.for_minutes < 0 {
                let (policy, condition) = at(&self.name);
                return Err(PolicyError::ForMinutes {
                    policy,
                    condition,
                    value: c.for_minutes,
                });
            }
        }
        if let Some(n) = self.no_data_minutes
            && n < 1
        {
            return Err(PolicyError::Minutes {
                policy: self.name.clone(),
                property: "no_data_minutes",
                value: n,
                expected: "at least 1 minute",
            });
        }
        if self.keep_firing_minutes < 0 {
            return Err(PolicyError::Minutes {
                policy: self.name.clone(),
                property: "keep_firing_minutes",
                value: self.keep_firing_minutes,
                expected: "0 or more",
            });
        }
        Ok(())
    }

    /// The longest window any rule of the policy reads, so callers know how
    /// much history before a replay range matters.
    pub fn lookback_minutes(&self) -> Minute {
        self.conditions
            .iter()
            .map(|c| c.long_minutes)
            .chain(self.no_data_minutes)
            .max()
            .unwrap_or(0)
    }
}

/// A Workbook rule for a window of `w` minutes (see the module docs).
fn workbook_condition(rule: &BurnAlertRule, w: i64) -> BurnCondition {
    let month_like =
        (WORKBOOK_WINDOW_MINUTES * 3 / 4..=WORKBOOK_WINDOW_MINUTES * 3 / 2).contains(&w);
    let scaled = if month_like {
        *rule
    } else {
        let scale =
            |m: i64| ((m as f64 * w as f64 / WORKBOOK_WINDOW_MINUTES as f64).round() as i64).max(1);
        BurnAlertRule {
            long_minutes: scale(rule.long_minutes),
            short_minutes: scale(rule.short_minutes),
            ..*rule
        }
    };
    BurnCondition {
        name: rule.name.to_owned(),
        severity: if rule.page {
            Severity::Page
        } else {
            Severity::Ticket
        },
        long_minutes: scaled.long_minutes,
        short_minutes: scaled.short_minutes,
        threshold: scaled.factor(w),
        op: Op::Gte,
        for_minutes: 0,
    }
}

fn op_of_spec(op: spec::Op) -> Op {
    match op {
        spec::Op::Lt => Op::Lt,
        spec::Op::Lte => Op::Lte,
        spec::Op::Gt => Op::Gt,
        spec::Op::Gte => Op::Gte,
    }
}

/// `slo::Op` as its spec spelling (`lt`, `lte`, `gt`, `gte`): the slo crate
/// stays free of serde.
mod op_text {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};
    use slo::Op;

    pub fn serialize<S: Serializer>(op: &Op, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(op.as_str())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Op, D::Error> {
        let text = String::deserialize(d)?;
        match text.as_str() {
            "lt" => Ok(Op::Lt),
            "lte" => Ok(Op::Lte),
            "gt" => Ok(Op::Gt),
            "gte" => Ok(Op::Gte),
            other => Err(D::Error::custom(format!(
                "op {other:?} is invalid: expected one of lt, lte, gt, gte"
            ))),
        }
    }
}

#[cfg(test)]
mod tests;
