//! Trailing windows of the generated rules: their names, their PromQL
//! durations, and which shorter window each one is chained from.
//!
//! Every count comes from one 5-minute increase of the raw counters; a
//! longer window sums non-overlapping shorter increases with a subquery
//! whose step equals the shorter window. The subquery range is one
//! millisecond shorter than the window because Prometheus 2.x subqueries
//! include both ends of their range: `[1h:5m]` evaluated on a 5-minute
//! boundary would pick 13 points and count one 5-minute block twice, while
//! `[59m59s999ms:5m]` picks exactly 12 on every version and at every
//! evaluation phase. Pure text; nothing here evaluates anything.

#[cfg(test)]
mod tests;

/// The one window read from the raw counters.
pub(crate) const BASE_MINUTES: i64 = 5;
/// Windows above [`FROM_BASE_UP_TO`] that are whole hours are summed from
/// hourly blocks.
pub(crate) const HOUR_MINUTES: i64 = 60;
/// Longest window still summed from 5-minute blocks (72 points).
const FROM_BASE_UP_TO: i64 = 360;

/// Where a window's counts come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    /// `increase()` over the raw counters.
    Raw,
    /// Sum of non-overlapping blocks of this many minutes.
    Chain(i64),
}

/// How the counts of a `minutes` window are computed; `None` when the
/// window is not a whole number of 5-minute blocks.
pub(crate) fn source(minutes: i64) -> Option<Source> {
    if minutes <= 0 || minutes % BASE_MINUTES != 0 {
        return None;
    }
    Some(if minutes == BASE_MINUTES {
        Source::Raw
    } else if minutes > FROM_BASE_UP_TO && minutes % HOUR_MINUTES == 0 {
        Source::Chain(HOUR_MINUTES)
    } else {
        Source::Chain(BASE_MINUTES)
    })
}

/// A whole number of minutes as a compound duration, largest units first:
/// `5m`, `1h30m`, `30d`. Used both in PromQL and in rule names and labels.
pub(crate) fn name(minutes: i64) -> String {
    compound(minutes * 60_000)
}

/// The subquery range that picks exactly `minutes / step` points: the
/// window less one millisecond.
pub(crate) fn subquery_range(minutes: i64) -> String {
    compound(minutes * 60_000 - 1)
}

/// Milliseconds as `1d2h3m4s5ms`, omitting zero parts; `0ms` for zero.
fn compound(ms: i64) -> String {
    const PARTS: [(i64, &str); 5] = [
        (86_400_000, "d"),
        (3_600_000, "h"),
        (60_000, "m"),
        (1_000, "s"),
        (1, "ms"),
    ];
    if ms == 0 {
        return "0ms".into();
    }
    let mut rest = ms;
    let mut out = String::new();
    for (size, unit) in PARTS {
        let n = rest / size;
        if n > 0 {
            out.push_str(&n.to_string());
            out.push_str(unit);
            rest -= n * size;
        }
    }
    out
}

/// The short window paired with an alert's long window when a spec gives
/// only the long one: a twelfth, as in the SRE Workbook (1h/5m, 6h/30m,
/// 1d/2h, 3d/6h), rounded up to whole 5-minute blocks.
pub(crate) fn short_for(long_minutes: i64) -> i64 {
    let twelfth = (long_minutes + 11) / 12;
    let blocks = (twelfth + BASE_MINUTES - 1) / BASE_MINUTES;
    blocks.max(1) * BASE_MINUTES
}
