//! Window arithmetic: which minute buckets a window covers at an instant.
//!
//! Windows have minute resolution. A rolling window of `W` minutes at `T`
//! covers minutes `[m(T)-W+1, m(T)]`; a calendar window covers the current
//! period, from its first minute to `m(T)`. Calendar periods are computed by
//! civil arithmetic in the window's time zone (a month is a month whatever
//! its length in hours), so they stay aligned across DST changes. Nothing
//! here reads a clock or a time-zone file at run time: zones come from the
//! bundled database via the `TimeZone` the caller built.

use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp};

use crate::bucket::Minute;
use crate::definition::{CalendarUnit, Window};

/// The minute bucket holding `at` (floor, also before the epoch).
pub fn minute_of(at: Timestamp) -> Minute {
    let s = at.as_second();
    // jiff keeps seconds and nanoseconds with the same sign, so a negative
    // instant with a fraction belongs to the second before.
    let s = if at.subsec_nanosecond() < 0 { s - 1 } else { s };
    s.div_euclid(60)
}

/// The instant bucket `m` starts at, saturating at jiff's supported range.
pub fn minute_start(m: Minute) -> Timestamp {
    let secs = m.saturating_mul(60).clamp(
        Timestamp::MIN.as_second() + 60,
        Timestamp::MAX.as_second() - 60,
    );
    Timestamp::from_second(secs).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// Minutes `[from, to_exclusive)` the window covers when evaluated at `at`.
///
/// Rolling: the `W` buckets ending with the one holding `at`. Calendar: from
/// the first minute of the current period to the one holding `at`.
pub fn window_bounds(window: &Window, at: Timestamp) -> (Minute, Minute) {
    let m = minute_of(at);
    match window {
        Window::Rolling { minutes } => (m - (*minutes).max(1) + 1, m + 1),
        Window::Calendar { .. } => (period_bounds(window, at).0, m + 1),
    }
}

/// The whole period holding `at`, as minutes `[start, end)`: for a rolling
/// window, the same minutes as `window_bounds`; for a calendar window, the
/// full current period including the minutes still to come.
pub fn period_bounds(window: &Window, at: Timestamp) -> (Minute, Minute) {
    match window {
        Window::Rolling { .. } => window_bounds(window, at),
        Window::Calendar {
            unit,
            count,
            start,
            tz,
        } => {
            match calendar_period(*unit, (*count).max(1), *start, tz, at) {
                Some((from, to)) => (minute_of(from), minute_of(to)),
                // Only reachable near the ends of jiff's year range; a
                // one-minute window keeps evaluation total there.
                None => {
                    let m = minute_of(at);
                    (m, m + 1)
                }
            }
        }
    }
}

/// Length of the window in minutes: `W` for a rolling window, the full
/// length of the current period for a calendar window (a March in
/// Europe/Berlin is 31 * 1440 - 60 minutes). Budgets, time to exhaustion and
/// alert factors use it.
pub fn period_minutes(window: &Window, at: Timestamp) -> i64 {
    let (from, to) = period_bounds(window, at);
    (to - from).max(1)
}

/// Start of period `k` (period 0 starts at `start`), as an instant.
fn nth_start(
    unit: CalendarUnit,
    count: u32,
    start: DateTime,
    tz: &TimeZone,
    k: i64,
) -> Option<Timestamp> {
    let n = k.checked_mul(i64::from(count))?;
    let span = match unit {
        CalendarUnit::Week => Span::new().try_weeks(n).ok()?,
        CalendarUnit::Month => Span::new().try_months(n).ok()?,
        CalendarUnit::Quarter => Span::new().try_months(n.checked_mul(3)?).ok()?,
        CalendarUnit::Year => Span::new().try_years(n).ok()?,
    };
    // Always offset from `start` (never step period by period) so that a
    // period starting on the 31st comes back to the 31st after February.
    let civil = start.checked_add(span).ok()?;
    // A start inside a DST gap moves forward, a start inside a fold takes
    // the earlier instant (RFC 5545 "compatible").
    tz.to_timestamp(civil).ok()
}

/// The calendar period `[from, to)` holding `at`.
fn calendar_period(
    unit: CalendarUnit,
    count: u32,
    start: DateTime,
    tz: &TimeZone,
    at: Timestamp,
) -> Option<(Timestamp, Timestamp)> {
    let local = tz.to_datetime(at);
    let count_i = i64::from(count);
    // A first guess from civil fields, corrected below by at most a step or
    // two (day-of-month and time-of-day make the guess off by one at most).
    let mut k = match unit {
        CalendarUnit::Week => {
            let days = i64::from(start.date().until(local.date()).ok()?.get_days());
            days.div_euclid(7 * count_i)
        }
        CalendarUnit::Month | CalendarUnit::Quarter | CalendarUnit::Year => {
            let months = (i64::from(local.year()) - i64::from(start.year())) * 12
                + (i64::from(local.month()) - i64::from(start.month()));
            let per = match unit {
                CalendarUnit::Month => 1,
                CalendarUnit::Quarter => 3,
                _ => 12,
            };
            months.div_euclid(per * count_i)
        }
    };
    let mut from = nth_start(unit, count, start, tz, k)?;
    let mut guard = 0;
    while from > at && guard < 8 {
        k -= 1;
        from = nth_start(unit, count, start, tz, k)?;
        guard += 1;
    }
    let mut to = nth_start(unit, count, start, tz, k + 1)?;
    while to <= at && guard < 16 {
        k += 1;
        from = to;
        to = nth_start(unit, count, start, tz, k + 1)?;
        guard += 1;
    }
    (from <= at && at < to).then_some((from, to))
}

#[cfg(test)]
mod tests;
