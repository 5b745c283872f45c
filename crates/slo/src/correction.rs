//! Corrections: periods (maintenance windows, known outages of a
//! dependency) whose events do not count against an error budget.
//!
//! A [`CorrectionWindow`] is a one-off or recurring period anchored at a
//! wall-clock start in a time zone. Minute repeats step in elapsed time;
//! day and week repeats step by civil days (`start + k·n days`), so a
//! Sunday 02:00 window stays at 02:00 local time across DST. An
//! occurrence lasts `duration_minutes` of elapsed time from its start. A
//! start falling in a DST gap moves forward, one in a fold takes the
//! earlier instant (RFC 5545 "compatible", as calendar windows do).
//! Starts are truncated to the minute.
//!
//! [`Excluding`] wraps a [`BucketSource`] so that every evaluation reads
//! the data as if the excluded minutes had never been recorded. Buckets
//! cannot be subtracted (sketches), so it sums the kept sub-ranges
//! instead. A downsampled hour bucket is kept or excluded wholly, by its
//! key minute, as everywhere else. Nothing here reads a clock or knows the
//! spec format.

use jiff::Span;
use jiff::civil::{DateTime, Weekday};
use jiff::tz::TimeZone;
use thiserror::Error;

use crate::bucket::{Bucket, Minute};
use crate::source::BucketSource;
use crate::window::minute_of;

#[cfg(test)]
mod tests;

/// How a correction recurs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Repeat {
    /// Every `n` minutes of elapsed time (the spec's `m` and `h` units).
    Minutes(i64),
    /// Every `n` civil days, at the same wall-clock time.
    Days(i64),
    /// Every `n` civil weeks, at the same wall-clock time.
    Weeks(i64),
}

/// One correction's schedule.
#[derive(Clone, Debug, PartialEq)]
pub struct CorrectionWindow {
    /// Wall-clock start of the first occurrence, in `tz`.
    pub start: DateTime,
    /// The zone `start`, `until` and day repeats are read in.
    pub tz: TimeZone,
    /// Elapsed length of each occurrence, ≥ 1.
    pub duration_minutes: i64,
    /// `None` for a one-off correction.
    pub repeat: Option<Repeat>,
    /// Weekdays a day repeat is kept on (by the occurrence's local start
    /// date); empty keeps every day. Ignored for other repeats.
    pub days_of_week: Vec<Weekday>,
    /// No occurrence starts at or after this wall-clock time; one that
    /// started before runs its full length.
    pub until: Option<DateTime>,
}

/// Why a correction schedule cannot be used as written.
#[derive(Clone, Debug, Error, PartialEq)]
pub enum CorrectionError {
    #[error("correction duration of {0} minutes is invalid: expected at least 1 minute")]
    Duration(i64),
    #[error("correction repeat of {0:?} is invalid: expected a positive count")]
    Repeat(Repeat),
    #[error(
        "correction repeat of {repeat} minutes is invalid: expected more than the duration of {duration} minutes"
    )]
    Overlap { repeat: i64, duration: i64 },
    #[error(
        "correction start {0} cannot be placed in its time zone: expected a representable time"
    )]
    Start(DateTime),
}

/// How far (in minutes) a local day repeat can drift from the elapsed-time
/// estimate: zone offset changes are at most a day (Samoa skipped one in
/// 2011); three days leaves room for rounding.
const DRIFT_MARGIN: i64 = 3 * 1440;

impl CorrectionWindow {
    /// Checks that occurrences are well defined: positive duration and
    /// repeat, a repeat longer than the duration (for minute repeats; day
    /// repeats are checked against their nominal length), a start that
    /// exists in the time zone's range.
    pub fn validate(&self) -> Result<(), CorrectionError> {
        if self.duration_minutes < 1 {
            return Err(CorrectionError::Duration(self.duration_minutes));
        }
        if let Some(r) = self.repeat {
            let every = repeat_nominal_minutes(r).filter(|m| *m > 0);
            let Some(every) = every else {
                return Err(CorrectionError::Repeat(r));
            };
            if every <= self.duration_minutes {
                return Err(CorrectionError::Overlap {
                    repeat: every,
                    duration: self.duration_minutes,
                });
            }
        }
        self.tz
            .to_timestamp(self.start)
            .map(|_| ())
            .map_err(|_| CorrectionError::Start(self.start))
    }

    /// The occurrences overlapping `[from, to)`, clipped to it, ascending
    /// by start. They are disjoint when the schedule validates; use
    /// [`merge_ranges`] to combine several corrections. Starts near `from`
    /// are computed directly, so the cost is proportional to the
    /// occurrences in the range, not to the time since `start`. An invalid
    /// schedule (see [`CorrectionWindow::validate`]) yields nothing.
    pub fn occurrences(&self, from: Minute, to: Minute) -> Vec<(Minute, Minute)> {
        let mut out = Vec::new();
        if from >= to || self.validate().is_err() {
            return out;
        }
        let Ok(first) = self.tz.to_timestamp(self.start) else {
            return out;
        };
        let first = minute_of(first);
        let until = self.until.and_then(|u| {
            let t = self.tz.to_timestamp(u).ok()?;
            // Ceiling, so that `s < until` on minutes means the minute
            // starts strictly before the instant.
            Some(minute_of(t) + i64::from(minute_of(t) * 60 < t.as_second()))
        });
        let dur = self.duration_minutes;
        let behind = from.saturating_sub(dur).saturating_sub(first);
        // Jump to the first occurrence that can end after `from`: exactly
        // for elapsed-time repeats, a few days early for civil ones.
        let mut k = match self.repeat {
            None => 0,
            Some(Repeat::Minutes(n)) => (behind.div_euclid(n) + 1).max(0),
            Some(r) => {
                let step = repeat_nominal_minutes(r).unwrap_or(1440);
                behind.saturating_sub(DRIFT_MARGIN).div_euclid(step).max(0)
            }
        };
        while let Some(s) = self.start_of(k, first) {
            if s >= to || until.is_some_and(|u| s >= u) {
                break;
            }
            let end = s.saturating_add(dur);
            if end > from && self.kept_on_day(k) {
                out.push((s.max(from), end.min(to)));
            }
            if self.repeat.is_none() {
                break;
            }
            k += 1;
        }
        out
    }

    /// True when minute `m` is inside an occurrence.
    pub fn contains(&self, m: Minute) -> bool {
        !self.occurrences(m, m.saturating_add(1)).is_empty()
    }

    /// Start minute of occurrence `k` (0 is the first, starting at minute
    /// `first`), `None` past jiff's range.
    fn start_of(&self, k: i64, first: Minute) -> Option<Minute> {
        let step_days = match self.repeat {
            None => return Some(first),
            Some(Repeat::Minutes(n)) => return first.checked_add(k.checked_mul(n)?),
            Some(Repeat::Days(n)) => n,
            Some(Repeat::Weeks(n)) => n.checked_mul(7)?,
        };
        // Always offset from `start` (never step from the previous
        // occurrence), so a start moved by a DST gap does not drift.
        let span = Span::new().try_days(k.checked_mul(step_days)?).ok()?;
        let civil = self.start.checked_add(span).ok()?;
        Some(minute_of(self.tz.to_timestamp(civil).ok()?))
    }

    /// The weekday filter of day repeats, on occurrence `k`'s local date.
    fn kept_on_day(&self, k: i64) -> bool {
        match self.repeat {
            Some(Repeat::Days(n)) if !self.days_of_week.is_empty() => {
                let day = self.start.weekday().wrapping_add(k.wrapping_mul(n) % 7);
                self.days_of_week.contains(&day)
            }
            _ => true,
        }
    }
}

/// A repeat's length ignoring DST (a day is 1440 minutes).
fn repeat_nominal_minutes(r: Repeat) -> Option<i64> {
    match r {
        Repeat::Minutes(n) => Some(n),
        Repeat::Days(n) => n.checked_mul(1440),
        Repeat::Weeks(n) => n.checked_mul(10_080),
    }
}

/// `ranges` sorted, with empty ones dropped and overlapping or touching
/// ones joined: the form [`Excluding`] needs.
pub fn merge_ranges(ranges: impl IntoIterator<Item = (Minute, Minute)>) -> Vec<(Minute, Minute)> {
    let mut v: Vec<(Minute, Minute)> = ranges.into_iter().filter(|(a, b)| a < b).collect();
    v.sort_unstable();
    let mut out: Vec<(Minute, Minute)> = Vec::with_capacity(v.len());
    for (a, b) in v {
        match out.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

/// True when `ranges` is sorted, non-empty per range and disjoint (not
/// even touching), as [`merge_ranges`] returns.
pub fn is_merged(ranges: &[(Minute, Minute)]) -> bool {
    ranges.iter().all(|(a, b)| a < b) && ranges.windows(2).all(|w| w[0].1 < w[1].0)
}

/// A [`BucketSource`] that reads `inner` without the minutes in `ranges`.
pub struct Excluding<'a> {
    inner: &'a dyn BucketSource,
    ranges: &'a [(Minute, Minute)],
}

impl std::fmt::Debug for Excluding<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Excluding")
            .field("ranges", &self.ranges)
            .finish_non_exhaustive()
    }
}

impl<'a> Excluding<'a> {
    /// `ranges` must be merged (see [`merge_ranges`]); with overlapping or
    /// unsorted ranges some data would be counted twice.
    pub fn new(inner: &'a dyn BucketSource, ranges: &'a [(Minute, Minute)]) -> Self {
        debug_assert!(is_merged(ranges), "excluded ranges must be merged first");
        Excluding { inner, ranges }
    }

    /// Calls `f` with each maximal sub-range of `[from, to)` outside the
    /// excluded ranges, ascending.
    fn kept(&self, from: Minute, to: Minute, mut f: impl FnMut(Minute, Minute)) {
        if from >= to {
            return;
        }
        let first = self.ranges.partition_point(|&(_, end)| end <= from);
        let mut cursor = from;
        for &(a, b) in &self.ranges[first..] {
            if a >= to {
                break;
            }
            if a > cursor {
                f(cursor, a);
            }
            cursor = cursor.max(b);
            if cursor >= to {
                return;
            }
        }
        if cursor < to {
            f(cursor, to);
        }
    }
}

impl BucketSource for Excluding<'_> {
    fn sum(&self, from: Minute, to: Minute) -> Bucket {
        let mut acc = Bucket::default();
        let mut pieces = 0;
        let mut only = None;
        self.kept(from, to, |a, b| {
            pieces += 1;
            if pieces == 1 {
                only = Some((a, b));
            } else {
                if let Some((a0, b0)) = only.take() {
                    acc.merge(&self.inner.sum(a0, b0));
                }
                acc.merge(&self.inner.sum(a, b));
            }
        });
        // The common case (no exclusion in range) returns the inner sum
        // as is, without a copy through an accumulator.
        match only {
            Some((a, b)) => self.inner.sum(a, b),
            None => acc,
        }
    }

    fn for_each(&self, from: Minute, to: Minute, f: &mut dyn FnMut(Minute, &Bucket)) {
        self.kept(from, to, |a, b| self.inner.for_each(a, b, f));
    }
}
