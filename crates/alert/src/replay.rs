//! Replaying history: when would alerts have fired and resolved between two
//! minutes, under a policy, with maintenance windows silenced.
//!
//! A replay is the live path run over past minutes: `observe` then
//! `Tracker::step` at each step, so what it reports is exactly what the
//! server would have notified. It is pure; its cost is one observation per
//! step (about a dozen `Counts::tally` calls), so over minute data it wants
//! counts with cheap window sums ([`PrefixSums`](crate::PrefixSums), or the
//! store's running totals).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use slo::Minute;

use crate::counts::Counts;
use crate::observe::{Observation, observe};
use crate::policy::Policy;
use crate::tracker::{AlertKey, AlertKind, Phase, Tracker, Transition};

/// What is replayed: one objective of one SLO, its data and its policy.
pub struct AlertSubject<'a> {
    pub slo: &'a str,
    pub objective: &'a str,
    pub policy: &'a Policy,
    /// The objective's target, e.g. 0.999.
    pub target: f64,
    pub counts: &'a dyn Counts,
    /// The SLO window `[from, to)` at a minute (see [`rolling_window`]).
    pub window_of: &'a dyn Fn(Minute) -> (Minute, Minute),
}

/// One alert from its start (pending, or firing directly) to its end.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AlertInterval {
    pub key: AlertKey,
    /// First step of the alert.
    pub pending_at: Minute,
    /// When it fired; `None` when it was withdrawn while pending.
    pub fired_at: Option<Minute>,
    /// When it resolved or was withdrawn; `None` when still open at the end.
    pub resolved_at: Option<Minute>,
    /// Highest long-window burn rate among the conditions raising it while
    /// it was open (burn alerts only).
    pub peak_burn: Option<f64>,
}

/// The outcome of a replay.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Replay {
    /// Every phase change, in order.
    pub transitions: Vec<Transition>,
    /// Every alert, ordered by start (then key).
    pub intervals: Vec<AlertInterval>,
}

/// The rolling window of `window_minutes` at a minute: the minutes ending
/// with it.
pub fn rolling_window(window_minutes: i64) -> impl Fn(Minute) -> (Minute, Minute) {
    move |at| (at + 1 - window_minutes.max(1), at + 1)
}

/// Replays `subject` at `from, from + step, …` while `< to`, with steps
/// inside any `[start, end)` of `silences` silenced, starting from no
/// alerts.
pub fn replay(
    subject: &AlertSubject<'_>,
    from: Minute,
    to: Minute,
    step_minutes: i64,
    silences: &[(Minute, Minute)],
) -> Replay {
    let step = step_minutes.max(1);
    let mut tracker = Tracker::new();
    let mut out = Replay::default();
    let mut open: BTreeMap<AlertKey, usize> = BTreeMap::new();
    let mut at = from;
    while at < to {
        let obs = observe(
            subject.policy,
            subject.target,
            subject.counts,
            (subject.window_of)(at),
            at,
        );
        let silenced = silences.iter().any(|(s, e)| *s <= at && at < *e);
        let transitions = tracker.step(
            subject.slo,
            subject.objective,
            subject.policy,
            &obs,
            silenced,
        );
        for t in &transitions {
            match (t.from, t.to) {
                (_, Phase::Pending { since }) => {
                    open.insert(t.key.clone(), out.intervals.len());
                    out.intervals.push(AlertInterval {
                        key: t.key.clone(),
                        pending_at: since,
                        fired_at: None,
                        resolved_at: None,
                        peak_burn: None,
                    });
                }
                (Phase::Pending { .. }, Phase::Firing { since }) => {
                    if let Some(&i) = open.get(&t.key) {
                        out.intervals[i].fired_at = Some(since);
                    }
                }
                (_, Phase::Firing { since }) => {
                    open.insert(t.key.clone(), out.intervals.len());
                    out.intervals.push(AlertInterval {
                        key: t.key.clone(),
                        pending_at: since,
                        fired_at: Some(since),
                        resolved_at: None,
                        peak_burn: None,
                    });
                }
                (_, Phase::Resolved { .. } | Phase::Inactive) => {
                    if let Some(i) = open.remove(&t.key) {
                        out.intervals[i].resolved_at = Some(t.at);
                    }
                }
            }
        }
        for (key, &i) in &open {
            if let Some(b) = peak_burn(key, &obs) {
                let peak = &mut out.intervals[i].peak_burn;
                *peak = Some(peak.map_or(b, |p: f64| p.max(b)));
            }
        }
        out.transitions.extend(transitions);
        at += step;
    }
    out
}

/// The highest long-window burn among the conditions raising `key` in `obs`.
fn peak_burn(key: &AlertKey, obs: &Observation) -> Option<f64> {
    if key.kind != AlertKind::Burn {
        return None;
    }
    obs.conditions
        .iter()
        .filter(|c| c.raises == Some(key.severity))
        .filter_map(|c| c.long_burn)
        .reduce(f64::max)
}

#[cfg(test)]
mod tests;
