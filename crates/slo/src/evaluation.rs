//! Evaluating an objective at an instant: SLI, error budget, burn rates, time
//! to exhaustion and status, plus the budget history and SLI series the
//! charts draw.
//!
//! Every figure the dashboard, API, `/metrics` and CLI show comes from here.
//! The main window and the seven burn-rate windows all end at the same
//! minute, so they are tallied together (`trailing_tallies`): Occurrences
//! with at most eight disjoint `BucketSource::sum` calls and no minute walk,
//! timeslices with one walk. Nothing here reads a clock: `at` is always given.

use jiff::Timestamp;

use crate::bucket::Minute;
use crate::burn_alert::{BurnAlertRule, PAGE_FAST, PAGE_SLOW};
use crate::definition::{Method, ObjectiveDef};
use crate::sliced::SliceTallies;
use crate::source::BucketSource;
use crate::tally::{Tally, slice_anchor, tally, trailing_tallies};
use crate::window::{minute_of, minute_start, period_bounds, period_minutes, window_bounds};

/// The burn-rate windows every evaluation reports, as `(label, minutes)`.
pub const STANDARD_BURN_WINDOWS: [(&str, i64); 7] = [
    ("5m", 5),
    ("30m", 30),
    ("1h", 60),
    ("2h", 120),
    ("6h", 360),
    ("1d", 1440),
    ("3d", 4320),
];

/// Remaining budget below which an objective is at risk.
pub const AT_RISK_REMAINING: f64 = 0.25;

/// The error budget of a window, in the method's units (events or slices).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ErrorBudget {
    /// Bad events (or slices) the window may hold: `(1 - target) * total`.
    pub total: f64,
    /// Bad events (or slices) the window holds.
    pub consumed: f64,
    /// `1 - consumed / total`: 1 untouched, 0 or below exhausted; 1 when
    /// `total` is 0.
    pub remaining: f64,
    /// `consumed / total`; 0 when `total` is 0.
    pub consumed_fraction: f64,
    /// `total - consumed`, negative once overspent.
    pub remaining_absolute: f64,
}

impl ErrorBudget {
    pub fn new(target: f64, tally: &Tally) -> Self {
        let total = (1.0 - target) * tally.total;
        let consumed = tally.bad();
        let mut consumed_fraction = if total > 0.0 { consumed / total } else { 0.0 };
        // `1 - target` is inexact in binary (1 - 0.99 > 0.01), so spending
        // exactly the allowance would read as a sliver left; snap it.
        if (consumed_fraction - 1.0).abs() < 1e-9 {
            consumed_fraction = 1.0;
        }
        let remaining = 1.0 - consumed_fraction;
        ErrorBudget {
            total,
            consumed,
            remaining,
            consumed_fraction,
            remaining_absolute: total * remaining,
        }
    }
}

/// A burn rate over one trailing window.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BurnRate {
    pub label: &'static str,
    pub minutes: i64,
    /// `None` when the window holds no events.
    pub value: Option<f64>,
}

/// Overall state of an objective.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    NoData,
    Exhausted,
    AtRisk,
    Healthy,
}

impl Status {
    /// The wire name: `no_data`, `exhausted`, `at_risk`, `healthy`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::NoData => "no_data",
            Status::Exhausted => "exhausted",
            Status::AtRisk => "at_risk",
            Status::Healthy => "healthy",
        }
    }
}

/// Everything known about one objective at one instant.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    /// First minute of the window.
    pub window_from: Minute,
    /// Minute after the last one of the window (exclusive).
    pub window_to: Minute,
    /// Length the budget is paced over: `W` for rolling windows, the full
    /// period for calendar windows (time to exhaustion and alert factors).
    pub window_minutes: i64,
    /// Good weighted events, good slices, or summed slice ratios.
    pub good: f64,
    /// Weighted events or slices with data.
    pub total: f64,
    pub raw_good: u64,
    pub raw_total: u64,
    /// `good / total`, `None` without data.
    pub sli: Option<f64>,
    pub budget: ErrorBudget,
    /// One entry per `STANDARD_BURN_WINDOWS`, in that order.
    pub burn_rates: Vec<BurnRate>,
    /// Seconds until the budget is gone at the 1 h burn rate.
    pub time_to_exhaustion_s: Option<f64>,
    pub status: Status,
}

impl Evaluation {
    /// The burn rate over `minutes`, when it is one of the reported windows.
    pub fn burn_rate(&self, minutes: i64) -> Option<f64> {
        self.burn_rates
            .iter()
            .find(|b| b.minutes == minutes)
            .and_then(|b| b.value)
    }
}

/// `(bad / total) / (1 - target)` of a tally; `None` without events.
pub fn burn_rate_of(target: f64, t: &Tally) -> Option<f64> {
    let allowed = 1.0 - target;
    (t.total > 0.0 && allowed > 0.0).then(|| t.bad() / t.total / allowed)
}

/// Seconds until exhaustion at burn rate `burn`: `remaining * window / burn`;
/// 0 once exhausted, `None` when nothing burns.
pub fn time_to_exhaustion(remaining: f64, burn: Option<f64>, window_minutes: i64) -> Option<f64> {
    if remaining <= 0.0 {
        return Some(0.0);
    }
    match burn {
        Some(b) if b > 0.0 => Some(remaining * window_minutes as f64 * 60.0 / b),
        _ => None,
    }
}

/// Status from the budget and burn rates: no data, exhausted, at risk
/// (remaining < 25 % or a page condition firing), healthy.
pub fn classify(
    has_data: bool,
    budget: &ErrorBudget,
    burn: impl Fn(i64) -> Option<f64>,
    window_minutes: i64,
) -> Status {
    if !has_data {
        return Status::NoData;
    }
    if budget.remaining <= 0.0 {
        return Status::Exhausted;
    }
    let paging =
        |r: &BurnAlertRule| r.fires(burn(r.long_minutes), burn(r.short_minutes), window_minutes);
    if budget.remaining < AT_RISK_REMAINING || paging(&PAGE_FAST) || paging(&PAGE_SLOW) {
        return Status::AtRisk;
    }
    Status::Healthy
}

/// Evaluates `def` over `data` at `at`.
pub fn evaluate(def: &ObjectiveDef, data: &dyn BucketSource, at: Timestamp) -> Evaluation {
    let (from, to) = window_bounds(&def.window, at);
    let window_minutes = period_minutes(&def.window, at);
    let anchor = slice_anchor(&def.window, from);

    let mut starts = [0; STANDARD_BURN_WINDOWS.len() + 1];
    starts[0] = from;
    for (s, (_, w)) in starts[1..].iter_mut().zip(STANDARD_BURN_WINDOWS) {
        *s = to - w;
    }
    let tallies = trailing_tallies(def, data, to, anchor, &starts);
    assemble(def, (from, to), window_minutes, &tallies)
}

/// `evaluate(def, data, at)` and `budget_history(def, data, at, points)`
/// together, the history points from one pass over the data where that
/// pays off (timeslice and threshold objectives, see
/// [`SliceTallies::pays_off`]): the figures
/// the API serves for an SLO with its sparkline.
pub fn evaluate_with_history(
    def: &ObjectiveDef,
    data: &dyn BucketSource,
    at: Timestamp,
    points: usize,
) -> (Evaluation, Vec<(Minute, f64)>) {
    if points == 0 || !SliceTallies::pays_off(def) {
        return (
            evaluate(def, data, at),
            budget_history(def, data, at, points),
        );
    }
    let (from, to) = window_bounds(&def.window, at);
    let windows = history_windows(def, at, points);
    let lo = windows.iter().map(|w| w.1).min().unwrap_or(from).min(from);
    let hi = windows.iter().map(|w| w.2).max().unwrap_or(to).max(to);
    let st = SliceTallies::new(def, data, lo, hi);
    // The evaluation must be bit-identical to `evaluate`'s, since other
    // reads report it too. Timeslices count whole slices, which running
    // totals add exactly, so it comes from the shared pass; summed ratios
    // and fractional weights could differ in the last place, so the other
    // methods walk directly. The history points, which no other read
    // reports, always come from the shared pass.
    let eval = if matches!(def.method, Method::Timeslices { .. }) {
        let mut tallies = [Tally::default(); STANDARD_BURN_WINDOWS.len() + 1];
        tallies[0] = st.tally(from, to);
        for (t, (_, w)) in tallies[1..].iter_mut().zip(STANDARD_BURN_WINDOWS) {
            *t = st.tally(to - w, to);
        }
        assemble(def, (from, to), period_minutes(&def.window, at), &tallies)
    } else {
        evaluate(def, data, at)
    };
    let history = windows
        .into_iter()
        .map(|(m, wf, wt)| (m, ErrorBudget::new(def.target, &st.tally(wf, wt)).remaining))
        .collect();
    (eval, history)
}

/// The evaluation of window `[from, to)` from its tallies: the window's
/// first, then one per `STANDARD_BURN_WINDOWS`.
fn assemble(
    def: &ObjectiveDef,
    (from, to): (Minute, Minute),
    window_minutes: i64,
    tallies: &[Tally],
) -> Evaluation {
    let window = tallies[0];
    let budget = ErrorBudget::new(def.target, &window);
    let burn_rates: Vec<BurnRate> = STANDARD_BURN_WINDOWS
        .iter()
        .zip(&tallies[1..])
        .map(|((label, minutes), t)| BurnRate {
            label,
            minutes: *minutes,
            value: burn_rate_of(def.target, t),
        })
        .collect();
    let burn = |m: i64| {
        burn_rates
            .iter()
            .find(|b| b.minutes == m)
            .and_then(|b| b.value)
    };
    let has_data = window.total > 0.0;
    let time_to_exhaustion_s = if has_data {
        time_to_exhaustion(budget.remaining, burn(60), window_minutes)
    } else {
        None
    };
    let status = classify(has_data, &budget, burn, window_minutes);
    Evaluation {
        window_from: from,
        window_to: to,
        window_minutes,
        good: window.good,
        total: window.total,
        raw_good: window.raw_good,
        raw_total: window.raw_total,
        sli: window.sli(),
        budget,
        burn_rates,
        time_to_exhaustion_s,
        status,
    }
}

/// Burn rate over the `minutes` minutes ending with the bucket holding `at`:
/// `(bad / total) / (1 - target)`; `None` without events.
pub fn burn_rate_over(
    def: &ObjectiveDef,
    data: &dyn BucketSource,
    at: Timestamp,
    minutes: i64,
) -> Option<f64> {
    let (from, _) = window_bounds(&def.window, at);
    let to = minute_of(at) + 1;
    let t = tally(
        def,
        data,
        to - minutes.max(1),
        to,
        slice_anchor(&def.window, from),
    );
    burn_rate_of(def.target, &t)
}

/// The history points of `budget_history`: each point's minute and the
/// window `[from, to)` as it stood then.
fn history_windows(
    def: &ObjectiveDef,
    at: Timestamp,
    points: usize,
) -> Vec<(Minute, Minute, Minute)> {
    let end = minute_of(at);
    let (from, to) = window_bounds(&def.window, at);
    // Rolling: the first point sits one window back; calendar: at the
    // period's first minute.
    let span = match def.window {
        crate::definition::Window::Rolling { .. } => to - from,
        crate::definition::Window::Calendar { .. } => end - from,
    };
    (0..points)
        .map(|i| {
            let back = if points == 1 {
                0
            } else {
                span * (points - 1 - i) as i64 / (points - 1) as i64
            };
            let m = end - back;
            let t = if back == 0 { at } else { minute_start(m) };
            let (wf, wt) = window_bounds(&def.window, t);
            (m, wf, wt)
        })
        .collect()
}

/// Remaining budget fraction (`ErrorBudget::remaining`) as the window looked
/// at `points` evenly spaced instants ending at `at`, for sparklines and
/// burn-down charts. The instants span the window: `W` minutes back for a
/// rolling window, back to the period start for a calendar window.
pub fn budget_history(
    def: &ObjectiveDef,
    data: &dyn BucketSource,
    at: Timestamp,
    points: usize,
) -> Vec<(Minute, f64)> {
    if points == 0 {
        return Vec::new();
    }
    history_windows(def, at, points)
        .into_iter()
        .map(|(m, wf, wt)| {
            let tl = tally(def, data, wf, wt, slice_anchor(&def.window, wf));
            (m, ErrorBudget::new(def.target, &tl).remaining)
        })
        .collect()
}

/// The SLI of each step `[s, s + step)` from `from` to `to` (the last step
/// may be shorter), `None` for steps without data. Each step stands alone:
/// this is the SLI of the step's own events or slices, not of the window
/// ending there (that is `budget_history`). Calendar timeslices align to the
/// period holding each step.
pub fn sli_series(
    def: &ObjectiveDef,
    data: &dyn BucketSource,
    from: Minute,
    to: Minute,
    step_minutes: i64,
) -> Vec<(Minute, Option<f64>)> {
    let step = step_minutes.max(1);
    let mut out = Vec::with_capacity(usize::try_from((to - from).max(0) / step + 1).unwrap_or(0));
    let mut s = from;
    while s < to {
        let e = s.saturating_add(step).min(to);
        let anchor = match def.method {
            Method::Occurrences => 0,
            _ => slice_anchor(&def.window, period_bounds(&def.window, minute_start(s)).0),
        };
        out.push((s, tally(def, data, s, e, anchor).sli()));
        s = e;
    }
    out
}

#[cfg(test)]
mod tests;
