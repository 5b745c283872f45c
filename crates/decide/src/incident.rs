//! Incidents as the budget sees them: maximal runs of minutes whose short
//! burn rate exceeds a threshold, with nearby runs merged, and the share of
//! the window's error budget each consumed. The largest share feeds the
//! policy condition `incidentBurnAbove` and "postmortem required".
//!
//! A minute is hot when the trailing `short_window_minutes` (default 5)
//! burn `bad/total/(1 - target)` is above `burn_threshold` (default 14.4,
//! the SRE Workbook's fast-page rate). The short window smooths single
//! noisy minutes but trails the damage by up to its length, so an incident
//! also owns the minutes of the window that first made it hot, from the
//! first one that burns above the threshold on its own (background errors
//! before an outage stay background). Hot runs closer than
//! `merge_gap_minutes` (default 15) are one incident: an outage that
//! flickers is one outage. Missing minutes had no events.
//!
//! Pure: the series is given, nothing here reads a store or a clock, and
//! nothing here decides whether a postmortem is needed (the policy does).

use serde::Serialize;
use slo::{Minute, Tally};

use crate::DecideError;

/// How incidents are cut out of a minute series.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct IncidentConfig {
    /// Burn rate above which a minute is part of an incident.
    pub burn_threshold: f64,
    /// Length of the trailing window the burn rate is measured over.
    pub short_window_minutes: i64,
    /// Runs separated by fewer quiet minutes than this merge.
    pub merge_gap_minutes: i64,
}

impl Default for IncidentConfig {
    fn default() -> Self {
        Self {
            burn_threshold: 14.4,
            short_window_minutes: 5,
            merge_gap_minutes: 15,
        }
    }
}

/// One incident.
///
/// JSON: `{"start": i64, "end": i64, "bad": f64, "budget_share": f64,
/// "peak_burn_rate": f64}` (minutes since the epoch; `end` inclusive).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Incident {
    /// First minute the incident owns.
    pub start: Minute,
    /// Last hot minute (inclusive).
    pub end: Minute,
    /// Bad weight of the minutes the incident owns.
    pub bad: f64,
    /// `bad / window_budget`: the share of the window's budget it consumed.
    pub budget_share: f64,
    /// Highest short-window burn rate seen during the incident.
    pub peak_burn_rate: f64,
}

/// Finds the incidents of `series` (strictly ascending minutes; missing
/// minutes had no events) for an objective of `target` whose window allows
/// `window_budget` bad weight.
pub fn find_incidents(
    series: &[(Minute, Tally)],
    target: f64,
    window_budget: f64,
    config: &IncidentConfig,
) -> Result<Vec<Incident>, DecideError> {
    const PLACE: &str = "incident detection";
    if !(target > 0.0 && target < 1.0) {
        return Err(DecideError::Target {
            target,
            place: PLACE,
        });
    }
    if !(window_budget > 0.0 && window_budget.is_finite()) {
        return Err(DecideError::Budget {
            budget: window_budget,
            place: PLACE,
        });
    }
    if config.short_window_minutes < 1 {
        return Err(DecideError::Config {
            field: "short_window_minutes",
            value: config.short_window_minutes as f64,
            place: PLACE,
            expected: "at least 1 minute",
        });
    }
    for (index, pair) in series.windows(2).enumerate() {
        if pair[1].0 <= pair[0].0 {
            return Err(DecideError::Unsorted {
                place: PLACE,
                index: index + 1,
                minute: pair[1].0,
                previous: pair[0].0,
            });
        }
    }

    let allowed = 1.0 - target;
    let w = config.short_window_minutes;
    // Trailing sums over [m - w + 1, m], kept with a second index that
    // drops entries as they leave the window.
    let (mut bad_sum, mut total_sum) = (0.0, 0.0);
    let mut tail = 0;
    let mut incidents: Vec<Incident> = Vec::new();
    // Index of the first entry not yet owned by an incident, so a new
    // incident's look-back never re-counts the previous one's minutes.
    let mut owned_until = 0;
    for (i, (minute, tally)) in series.iter().enumerate() {
        bad_sum += tally.bad();
        total_sum += tally.total;
        while series[tail].0 <= minute - w {
            bad_sum -= series[tail].1.bad();
            total_sum -= series[tail].1.total;
            tail += 1;
        }
        if total_sum <= 0.0 {
            continue;
        }
        let burn = (bad_sum.max(0.0) / total_sum) / allowed;
        if burn <= config.burn_threshold {
            continue;
        }
        let extends = incidents
            .last()
            .is_some_and(|last| minute - last.end - 1 < config.merge_gap_minutes);
        let from = if extends {
            owned_until
        } else {
            // The look-back owns only minutes that burn hot by themselves,
            // so background errors before an outage stay background.
            let hot_minute =
                |t: &Tally| t.total > 0.0 && t.bad() / t.total / allowed > config.burn_threshold;
            (tail.max(owned_until)..=i)
                .find(|k| hot_minute(&series[*k].1))
                .unwrap_or(i)
        };
        let bad: f64 = series[from..=i].iter().map(|(_, t)| t.bad()).sum();
        owned_until = i + 1;
        if extends {
            let last = incidents.last_mut().expect("extends implies an incident");
            last.end = *minute;
            last.bad += bad;
            last.budget_share = last.bad / window_budget;
            last.peak_burn_rate = last.peak_burn_rate.max(burn);
        } else {
            incidents.push(Incident {
                start: series[from].0,
                end: *minute,
                bad,
                budget_share: bad / window_budget,
                peak_burn_rate: burn,
            });
        }
    }
    Ok(incidents)
}

/// The largest budget share any incident consumed, 0 without incidents.
pub fn largest_share(incidents: &[Incident]) -> f64 {
    incidents.iter().map(|i| i.budget_share).fold(0.0, f64::max)
}

#[cfg(test)]
mod tests;
