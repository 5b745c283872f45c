//! Alert state: each alert moves inactive → pending → firing → resolved, one
//! step per observation, and says so with [`Transition`]s.
//!
//! Grouping and deduplication: alerts are keyed by SLO, objective, severity
//! and kind, so all burn conditions of one severity share ONE alert per
//! objective (its details list the conditions that hold), and a phase change
//! is reported once, never on every step it lasts.
//!
//! Rules, in the order they apply at a step:
//! - **Silence** (a maintenance window): while silenced, nothing may become
//!   pending or firing, a pending alert drops back to inactive, and a firing
//!   alert is resolved at the first silenced step (notified like any
//!   resolution, so receivers are not left holding an open page). After the
//!   silence alerts start from inactive, `for` included.
//! - **Pending** lasts while the alert's conditions hold, until one of them
//!   has held for its `for_minutes` (with `for` 0 the alert fires at once,
//!   skipping pending). A pending alert whose conditions stop goes back to
//!   inactive without notification.
//! - **Flap damping**: a firing alert whose conditions stop resolves only
//!   once they have been false for `keep_firing_minutes`; if they hold again
//!   sooner the same alert continues, nothing is notified.
//! - **Resolved** lasts one step, then the alert is inactive again (not
//!   reported as a transition).
//!
//! The tracker is serialisable so the server can persist it across restarts.
//! It reads no clock: the minute comes with the observation.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use slo::Minute;

use crate::observe::{ConditionObservation, Observation};
use crate::policy::{Policy, Severity};

/// What an alert is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// Burn-rate conditions of one severity.
    Burn,
    /// Events stopped (always a ticket).
    NoData,
    /// The window's error budget is spent (always a ticket).
    BudgetExhausted,
}

impl AlertKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::Burn => "burn",
            AlertKind::NoData => "no_data",
            AlertKind::BudgetExhausted => "budget_exhausted",
        }
    }
}

/// Identity of an alert: the unit of grouping and deduplication.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AlertKey {
    pub slo: String,
    pub objective: String,
    pub severity: Severity,
    pub kind: AlertKind,
}

/// Where an alert stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
pub enum Phase {
    #[default]
    Inactive,
    /// Conditions hold since `since`, not yet for long enough.
    Pending { since: Minute },
    /// Fired at `since`.
    Firing { since: Minute },
    /// Resolved at `at`; inactive from the next step.
    Resolved { at: Minute },
}

/// One phase change of one alert.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Transition {
    pub key: AlertKey,
    pub from: Phase,
    pub to: Phase,
    pub at: Minute,
    /// Whether receivers are told: firing always, resolved when the policy
    /// notifies resolutions, pending and its withdrawal never.
    pub notify: bool,
    /// The step was inside a silence (maintenance window).
    pub silenced: bool,
    /// One line for humans, naming burn rates, windows and thresholds.
    pub summary: String,
    /// For burn alerts, the conditions raising this severity at `at`.
    pub conditions: Vec<ConditionObservation>,
}

/// State of one alert between steps.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
struct AlertState {
    phase: Phase,
    /// Conditions raising the alert and the minute each started to, for
    /// `for_minutes` (one entry for no-data and budget alerts).
    holding: Vec<(String, Minute)>,
    /// First step the conditions stopped holding while firing (flap damping).
    clear_since: Option<Minute>,
}

/// The state of every alert of every objective stepped through it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Tracker {
    /// Only alerts that are not inactive (or are about to become so) are kept.
    #[serde(with = "alert_list")]
    alerts: BTreeMap<AlertKey, AlertState>,
}

/// Every alert a policy can raise for one objective, in a stable order.
const KEYS: [(Severity, AlertKind); 4] = [
    (Severity::Page, AlertKind::Burn),
    (Severity::Ticket, AlertKind::Burn),
    (Severity::Ticket, AlertKind::NoData),
    (Severity::Ticket, AlertKind::BudgetExhausted),
];

impl Tracker {
    pub fn new() -> Tracker {
        Tracker::default()
    }

    /// The phase of `key` now.
    pub fn phase(&self, key: &AlertKey) -> Phase {
        self.alerts.get(key).map_or(Phase::Inactive, |s| s.phase)
    }

    /// Alerts that are pending, firing or just resolved.
    pub fn alerts(&self) -> impl Iterator<Item = (&AlertKey, Phase)> {
        self.alerts
            .iter()
            .filter(|(_, s)| s.phase != Phase::Inactive)
            .map(|(k, s)| (k, s.phase))
    }

    /// Advances the alerts of objective `objective` of SLO `slo` to the
    /// minute `obs.at` and returns their phase changes. Steps of one
    /// objective must come in increasing minute order.
    pub fn step(
        &mut self,
        slo: &str,
        objective: &str,
        policy: &Policy,
        obs: &Observation,
        silenced: bool,
    ) -> Vec<Transition> {
        let at = obs.at;
        let mut out = Vec::new();
        for (severity, kind) in KEYS {
            let raising: Vec<&ConditionObservation> = match kind {
                AlertKind::Burn => obs
                    .conditions
                    .iter()
                    .filter(|c| c.raises == Some(severity))
                    .collect(),
                AlertKind::NoData | AlertKind::BudgetExhausted => Vec::new(),
            };
            let holds_now: Vec<(&str, i64)> = match kind {
                AlertKind::Burn => raising
                    .iter()
                    .map(|c| (c.name.as_str(), c.for_minutes))
                    .collect(),
                AlertKind::NoData => {
                    if obs.no_data {
                        vec![("no_data", 0)]
                    } else {
                        Vec::new()
                    }
                }
                AlertKind::BudgetExhausted => {
                    if obs.budget_exhausted {
                        vec![("budget_exhausted", 0)]
                    } else {
                        Vec::new()
                    }
                }
            };
            let key = AlertKey {
                slo: slo.to_owned(),
                objective: objective.to_owned(),
                severity,
                kind,
            };
            let state = self.alerts.entry(key).or_default();
            let active = !silenced && !holds_now.is_empty();
            // Conditions that keep holding keep their start; silence forgets them.
            let mut holding = Vec::with_capacity(holds_now.len());
            if !silenced {
                for (name, _) in &holds_now {
                    let since = state
                        .holding
                        .iter()
                        .find(|(n, _)| n == name)
                        .map_or(at, |(_, s)| *s);
                    holding.push(((*name).to_owned(), since));
                }
            }
            let ready = holds_now
                .iter()
                .zip(&holding)
                .any(|((_, for_minutes), (_, since))| at - since >= *for_minutes);
            state.holding = holding;

            let from = state.phase;
            let to = match from {
                Phase::Inactive | Phase::Resolved { .. } => {
                    if !active {
                        Phase::Inactive
                    } else if ready {
                        Phase::Firing { since: at }
                    } else {
                        Phase::Pending { since: at }
                    }
                }
                Phase::Pending { .. } if !active => Phase::Inactive,
                Phase::Pending { .. } if ready => Phase::Firing { since: at },
                Phase::Pending { .. } => from,
                Phase::Firing { .. } if silenced => Phase::Resolved { at },
                Phase::Firing { .. } if active => {
                    state.clear_since = None;
                    from
                }
                Phase::Firing { .. } => {
                    let clear = *state.clear_since.get_or_insert(at);
                    if at - clear >= policy.keep_firing_minutes {
                        Phase::Resolved { at }
                    } else {
                        from
                    }
                }
            };
            state.phase = to;
            if matches!(to, Phase::Resolved { .. } | Phase::Inactive) {
                state.clear_since = None;
            }
            let reported =
                from != to && !matches!((from, to), (Phase::Resolved { .. }, Phase::Inactive));
            if reported {
                let key = AlertKey {
                    slo: slo.to_owned(),
                    objective: objective.to_owned(),
                    severity,
                    kind,
                };
                out.push(Transition {
                    notify: match to {
                        Phase::Firing { .. } => true,
                        Phase::Resolved { .. } => policy.notify_resolved,
                        Phase::Inactive | Phase::Pending { .. } => false,
                    },
                    silenced,
                    summary: summary(policy, obs, severity, kind, &raising, silenced),
                    conditions: raising.iter().map(|c| (*c).clone()).collect(),
                    key,
                    from,
                    to,
                    at,
                });
            }
        }
        self.alerts
            .retain(|_, s| s.phase != Phase::Inactive || !s.holding.is_empty());
        out
    }
}

/// The one-line description of an alert at a step.
fn summary(
    policy: &Policy,
    obs: &Observation,
    severity: Severity,
    kind: AlertKind,
    raising: &[&ConditionObservation],
    silenced: bool,
) -> String {
    let mut s = String::new();
    if silenced {
        s.push_str("silenced by a maintenance window; ");
    }
    match kind {
        AlertKind::Burn if raising.is_empty() => {
            let _ = write!(s, "no {} condition holds", severity.as_str());
        }
        AlertKind::Burn => {
            for (i, c) in raising.iter().enumerate() {
                if i > 0 {
                    s.push_str("; ");
                }
                let _ = write!(
                    s,
                    "burning {}x the budget over {} and {}x over {} ({} threshold {}x)",
                    rate_text(c.long_burn),
                    minutes_text(c.long_minutes),
                    rate_text(c.short_burn),
                    minutes_text(c.short_minutes),
                    c.severity.as_str(),
                    threshold_text(c.threshold),
                );
                if c.severity == Severity::Page && c.raises == Some(Severity::Ticket) {
                    let _ = write!(
                        s,
                        ", a ticket rather than a page: {} events in {}, {} needed to page",
                        c.long_events,
                        minutes_text(c.long_minutes),
                        policy.min_page_events
                    );
                }
            }
        }
        AlertKind::NoData if obs.no_data => {
            let n = policy.no_data_minutes.unwrap_or_default();
            let _ = write!(
                s,
                "no events for {} after the window had some",
                minutes_text(n)
            );
        }
        AlertKind::NoData => s.push_str("events are arriving"),
        AlertKind::BudgetExhausted => match obs.budget_remaining {
            Some(r) if r <= 0.0 => {
                let _ = write!(
                    s,
                    "error budget exhausted: {:.1}% of the window's budget spent",
                    (1.0 - r) * 100.0
                );
            }
            Some(r) => {
                let _ = write!(s, "error budget {:.1}% left", r * 100.0);
            }
            None => s.push_str("no events in the window"),
        },
    }
    s
}

fn rate_text(rate: Option<f64>) -> String {
    rate.map_or_else(|| "no data".to_owned(), |r| format!("{r:.1}"))
}

/// `14.4`, `6`, `0.93`: two decimals at most, no trailing zeros.
pub fn threshold_text(t: f64) -> String {
    let s = format!("{t:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// `5m`, `1h`, `3d`, `90m`: the largest unit that divides the length.
pub fn minutes_text(minutes: i64) -> String {
    if minutes != 0 && minutes % 1440 == 0 {
        format!("{}d", minutes / 1440)
    } else if minutes != 0 && minutes % 60 == 0 {
        format!("{}h", minutes / 60)
    } else {
        format!("{minutes}m")
    }
}

/// The tracker's map as a JSON-friendly list of `{key, state}`: JSON object
/// keys must be strings and an alert key is a struct.
mod alert_list {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::{AlertKey, AlertState};

    #[derive(Serialize)]
    struct EntryRef<'a> {
        key: &'a AlertKey,
        state: &'a AlertState,
    }

    #[derive(Deserialize)]
    struct Entry {
        key: AlertKey,
        state: AlertState,
    }

    pub fn serialize<S: Serializer>(
        map: &BTreeMap<AlertKey, AlertState>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_seq(map.iter().map(|(key, state)| EntryRef { key, state }))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<AlertKey, AlertState>, D::Error> {
        let list = Vec::<Entry>::deserialize(d)?;
        Ok(list.into_iter().map(|e| (e.key, e.state)).collect())
    }
}

#[cfg(test)]
mod tests;
