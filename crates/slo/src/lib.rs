//! Pure SLO math. Nothing here touches sockets, files or clocks: time is
//! always a parameter, so every result is reproducible. The crate does not
//! know the spec format either; the server maps parsed specs onto
//! [`ObjectiveDef`].
//!
//! # Semantics (product decisions)
//!
//! **Windows** have minute resolution; bucket `m` covers `[m·60 s, (m+1)·60 s)`
//! and `m(T)` is the bucket holding instant `T`.
//! - A rolling window of `W` minutes at `T` covers minutes
//!   `[m(T)-W+1, m(T)]`, the API's `(T-W, T]` at minute resolution.
//! - A calendar window at `T` runs from the start of the current period to
//!   `m(T)` inclusive. Periods are `count` units (week, month, quarter, year)
//!   aligned to `start` in the window's time zone, computed by civil
//!   arithmetic (`start + k·count units`), so they stay aligned across DST: a
//!   day with a change has 23 or 25 hours, a month with one is an hour
//!   shorter or longer. A period start falling in a DST gap moves forward;
//!   in a fold it takes the earlier instant. A month period starting on the
//!   31st starts on the last day of shorter months.
//! - [`window_bounds`] gives `[from, to)` in minutes, [`period_minutes`] the
//!   window's full length (rolling: `W`; calendar: the whole current period).
//!
//! **Good and total** ([`tally`](tally::tally)):
//! - Occurrences, ratio: weighted sums of good and total over the window.
//! - Occurrences, threshold: an event is good when `value op threshold`,
//!   read from the value sketch at bin resolution: values within 1 % of the
//!   threshold may be counted on either side (≤ 1 % value error).
//! - Timeslices: the window is cut into slices of `slice_minutes`, aligned to
//!   the epoch for rolling windows and to the period start for calendar
//!   windows, and clipped to the window (the first and the current slice may
//!   be partial). A slice without events counts neither good nor bad. A ratio
//!   slice is good when its good/total ≥ `slice_target`; a threshold slice is
//!   good when `aggregate(slice) op value` (e.g. p95 ≤ 300 ms; `Rate` is over
//!   the slice's in-window length). Good and total count slices.
//! - RatioTimeslices: the SLI is the mean of per-slice ratios over slices with
//!   data: total = slices with data, good = Σ ratios.
//! - Buckets are attributed by their key: a downsampled hour bucket belongs
//!   wholly to the range (and slice) its first minute is in.
//!
//! **Error budget** ([`ErrorBudget`]): `total = (1 - target)·total_in_window`
//! (events or slices), `consumed = bad`, `remaining = 1 - consumed/total`
//! (1 untouched, ≤ 0 exhausted, 1 when total is 0).
//!
//! **Burn rate** over `w` minutes at `T`: `(bad/total over [m(T)-w+1, m(T)]) /
//! (1 - target)`, `None` without events; reported for 5m, 30m, 1h, 2h, 6h, 1d
//! and 3d. For timeslice methods the same slices (same alignment) are used.
//! Burn-rate windows are not clipped to a calendar period: the last hour is
//! the last hour, even across a period boundary.
//!
//! **Time to exhaustion**: with the 1 h burn rate `b > 0` and remaining
//! `r > 0`, `r·window/b` seconds (window = [`period_minutes`]); 0 when
//! exhausted; `None` when `b` is 0 or absent.
//!
//! **Status**: `no_data` (no events in the window), `exhausted` (remaining ≤
//! 0), `at_risk` (remaining < 0.25, or a page condition of the SRE Workbook
//! fires: 1 h and 5 m burn ≥ 14.4, or 6 h and 30 m ≥ 6, factors scaled as
//! `budget share × window / alert window`, see [`burn_alert`]), `healthy`.
//!
//! **Composite** ([`composite()`]): weighted means of SLI, consumed budget
//! fraction and burn rates over the parts with data.
//!
//! **Charts**: [`budget_history`] replays the window at evenly spaced
//! instants (remaining budget as it stood then); [`sli_series`] gives each
//! step the SLI of its own data.
//!
//! **Cost**: the window and the seven burn-rate windows end at the same
//! minute and are tallied together: Occurrences with at most eight
//! [`BucketSource::sum`] calls on disjoint ranges and no per-minute loop,
//! timeslices with one [`BucketSource::for_each`] walk plus one short walk
//! per range starting mid-slice, reusing one accumulator.

pub mod bucket;
pub mod burn_alert;
pub mod composite;
pub mod correction;
pub mod definition;
pub mod evaluation;
pub mod sketch;
pub mod sliced;
pub mod source;
pub mod tally;
pub mod window;

pub use bucket::{Bucket, Minute};
pub use burn_alert::{BurnAlertRule, STANDARD_RULES};
pub use composite::composite;
pub use correction::{CorrectionWindow, Excluding, Repeat, merge_ranges};
pub use definition::{
    Aggregate, CalendarUnit, DefError, Indicator, Method, ObjectiveDef, Op, Window,
};
pub use evaluation::{
    BurnRate, ErrorBudget, Evaluation, STANDARD_BURN_WINDOWS, Status, budget_history,
    burn_rate_over, evaluate, evaluate_with_history, sli_series,
};
pub use sketch::Sketch;
pub use sliced::SliceTallies;
pub use source::BucketSource;
pub use tally::Tally;
pub use window::{minute_of, minute_start, period_bounds, period_minutes, window_bounds};
