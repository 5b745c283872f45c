//! Counting good and total over a minute range, in the units of the
//! objective's budgeting method: weighted events for Occurrences, slices for
//! Timeslices, summed slice ratios for RatioTimeslices.
//!
//! This is the one place that decides whether an event or a slice is good;
//! every figure (SLI, budget, burn rate, history, series) goes through it. It
//! must not allocate per minute: the timeslice walk reuses one accumulator.

use crate::bucket::{Bucket, Minute};
use crate::definition::{Aggregate, Indicator, Method, ObjectiveDef, Window};
use crate::source::BucketSource;

/// Good and total over a range, in the method's units, plus the raw event
/// counts that stand behind them.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Tally {
    /// Weighted good events, good slices, or summed slice ratios.
    pub good: f64,
    /// Weighted events, or slices with data.
    pub total: f64,
    /// Raw good events; for threshold SLIs estimated as
    /// `raw_total * good_weight / total_weight`, because sketches keep
    /// weights, not raw counts.
    pub raw_good: u64,
    /// Raw events in the range.
    pub raw_total: u64,
}

impl Tally {
    pub fn add(&mut self, other: &Tally) {
        self.good += other.good;
        self.total += other.total;
        self.raw_good += other.raw_good;
        self.raw_total += other.raw_total;
    }

    /// Bad events or slices (`total - good`, never negative).
    pub fn bad(&self) -> f64 {
        (self.total - self.good).max(0.0)
    }

    /// `good / total`, `None` without data.
    pub fn sli(&self) -> Option<f64> {
        (self.total > 0.0).then(|| (self.good / self.total).clamp(0.0, 1.0))
    }
}

impl Aggregate {
    /// The aggregate of a slice's bucket; `minutes` is the slice's length
    /// (for `Rate`). `None` when the slice has no values to aggregate.
    pub fn of(self, bucket: &Bucket, minutes: i64) -> Option<f64> {
        let sketch = bucket.values.as_deref().filter(|s| s.count() > 0.0);
        match self {
            Aggregate::Quantile(q) => sketch?.quantile(q),
            Aggregate::Mean => sketch?.mean(),
            Aggregate::Min => sketch?.min(),
            Aggregate::Max => sketch?.max(),
            Aggregate::Count => (bucket.total > 0.0).then_some(bucket.total),
            Aggregate::Rate => {
                (bucket.total > 0.0).then(|| bucket.total / (minutes.max(1) as f64 * 60.0))
            }
        }
    }
}

/// Weighted good events of a bucket under `indicator`, with the raw count.
/// Threshold SLIs read the sketch at bin resolution (≤ 1 % value error); a
/// value that could not be recorded (NaN) counts as bad.
pub fn good_events(indicator: &Indicator, bucket: &Bucket) -> (f64, u64) {
    match indicator {
        Indicator::Ratio => (bucket.good.min(bucket.total).max(0.0), bucket.raw_good),
        Indicator::Threshold { op, value, .. } => {
            let good = bucket
                .values
                .as_deref()
                .map_or(0.0, |s| op.weight_holding(s, *value))
                .min(bucket.total)
                .max(0.0);
            let raw = if bucket.total > 0.0 {
                (bucket.raw_total as f64 * good / bucket.total).round() as u64
            } else {
                0
            };
            (good, raw.min(bucket.raw_total))
        }
    }
}

/// Occurrence tally of one summed bucket.
pub fn occurrences(indicator: &Indicator, bucket: &Bucket) -> Tally {
    let (good, raw_good) = good_events(indicator, bucket);
    Tally {
        good,
        total: bucket.total.max(0.0),
        raw_good,
        raw_total: bucket.raw_total,
    }
}

/// Where timeslices are aligned for a window that starts at `window_from`:
/// the epoch for rolling windows (slices do not shift as the window rolls),
/// the period start for calendar windows.
pub fn slice_anchor(window: &Window, window_from: Minute) -> Minute {
    match window {
        Window::Rolling { .. } => 0,
        Window::Calendar { .. } => window_from,
    }
}

/// Tally of `def` over minutes `[from, to)`, slices aligned to `anchor`.
/// Slices are clipped to the range: the first and last slice may be partial.
pub fn tally(
    def: &ObjectiveDef,
    data: &dyn BucketSource,
    from: Minute,
    to: Minute,
    anchor: Minute,
) -> Tally {
    trailing_tallies(def, data, to, anchor, &[from])[0]
}

/// Tallies of the nested ranges `[starts[i], to)`, in the order of `starts`.
///
/// All ranges end at `to`, which is what the window and the burn-rate
/// windows of one evaluation share. Occurrences cut the ranges into disjoint
/// pieces between consecutive starts and sum each piece once. Timeslices walk
/// the longest range once, crediting each slice to every range that holds it
/// whole; a range starting mid-slice gets its clipped first slice from a
/// short walk of its own.
pub fn trailing_tallies<const N: usize>(
    def: &ObjectiveDef,
    data: &dyn BucketSource,
    to: Minute,
    anchor: Minute,
    starts: &[Minute; N],
) -> [Tally; N] {
    let mut out = [Tally::default(); N];
    let Some(&earliest) = starts.iter().min() else {
        return out;
    };
    if earliest >= to {
        return out;
    }
    let slice = match def.method {
        Method::Occurrences => {
            let mut order: [usize; N] = std::array::from_fn(|i| i);
            // Latest start first: each piece extends the previous suffix backwards.
            order.sort_unstable_by(|a, b| starts[*b].cmp(&starts[*a]));
            let mut acc = Tally::default();
            let mut edge = to;
            for i in order {
                let s = starts[i].min(to);
                if s < edge {
                    match def.indicator {
                        // Counts sum exactly, so one summed bucket will do.
                        Indicator::Ratio => {
                            acc.add(&occurrences(&def.indicator, &data.sum(s, edge)));
                        }
                        // Good weight is read bucket by bucket: each
                        // bucket's sketch knows its exact extremes, so a
                        // bucket whose values all hold counts whole, which a
                        // merged sketch cannot tell. It also makes tallies
                        // additive over minutes (see `sliced`).
                        Indicator::Threshold { .. } => data.for_each(s, edge, &mut |_, b| {
                            acc.add(&occurrences(&def.indicator, b));
                        }),
                    }
                    edge = s;
                }
                out[i] = acc;
            }
            return out;
        }
        Method::Timeslices { slice_minutes, .. } | Method::RatioTimeslices { slice_minutes } => {
            i64::from(slice_minutes.max(1))
        }
    };
    let mut walk = SliceWalk {
        def,
        from: earliest,
        to,
        anchor,
        slice,
        current: None,
        acc: Bucket::default(),
        starts,
        out: &mut out,
    };
    data.for_each(earliest, to, &mut |m, b| walk.push(m, b));
    walk.close();
    for (i, &s) in starts.iter().enumerate() {
        if s > earliest && s < to && (s - anchor).rem_euclid(slice) != 0 {
            let end = (anchor + ((s - anchor).div_euclid(slice) + 1) * slice).min(to);
            let first = trailing_tallies(def, data, end, anchor, &[s])[0];
            out[i].add(&first);
        }
    }
    out
}

/// State of a timeslice walk over `[from, to)`: the slice being filled and
/// the tallies of the ranges it credits.
struct SliceWalk<'a> {
    def: &'a ObjectiveDef,
    from: Minute,
    to: Minute,
    anchor: Minute,
    slice: i64,
    /// Index of the slice in `acc`, `None` before the first bucket.
    current: Option<i64>,
    /// Reused across slices so that the walk stops allocating once warm.
    acc: Bucket,
    /// Start of each credited range; the earliest equals `from`.
    starts: &'a [Minute],
    out: &'a mut [Tally],
}

impl SliceWalk<'_> {
    fn push(&mut self, m: Minute, b: &Bucket) {
        let idx = (m - self.anchor).div_euclid(self.slice);
        if self.current != Some(idx) {
            self.close();
            self.current = Some(idx);
        }
        self.acc.merge(b);
    }

    fn close(&mut self) {
        let Some(idx) = self.current.take() else {
            return;
        };
        if self.acc.total > 0.0 {
            let aligned = self.anchor + idx * self.slice;
            let start = aligned.max(self.from);
            let end = (aligned + self.slice).min(self.to);
            let mut one = Tally::default();
            judge_slice(self.def, &self.acc, end - start, &mut one);
            for (s, o) in self.starts.iter().zip(self.out.iter_mut()) {
                // Whole slices belong to every range starting at or before
                // them; the walk's clipped first slice only to ranges that
                // start exactly where the walk does.
                if aligned >= *s || *s == self.from {
                    o.add(&one);
                }
            }
        }
        self.acc.clear();
    }
}

/// Adds one slice with data to `out`, according to the method.
pub(crate) fn judge_slice(def: &ObjectiveDef, slice: &Bucket, minutes: i64, out: &mut Tally) {
    let (good_w, raw_good) = good_events(&def.indicator, slice);
    out.raw_total += slice.raw_total;
    out.raw_good += raw_good;
    match def.method {
        Method::Timeslices { slice_target, .. } => {
            let good = match def.indicator {
                Indicator::Ratio => good_w / slice.total >= slice_target,
                Indicator::Threshold {
                    op,
                    value,
                    aggregate,
                } => match aggregate.of(slice, minutes) {
                    Some(v) => op.holds(v, value),
                    // Events but no values to aggregate: nothing says the
                    // slice was good.
                    None => false,
                },
            };
            out.total += 1.0;
            if good {
                out.good += 1.0;
            }
        }
        Method::RatioTimeslices { .. } => {
            out.total += 1.0;
            out.good += (good_w / slice.total).clamp(0.0, 1.0);
        }
        Method::Occurrences => {
            out.total += slice.total;
            out.good += good_w;
        }
    }
}
