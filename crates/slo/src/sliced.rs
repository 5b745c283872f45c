//! Many tallies over one span of data, each in constant time.
//!
//! Budget histories, burn-rate series and alert replays ask for the tally
//! of thousands of ranges over the same data. Done one by one, a timeslice
//! objective walks its whole 28-day window per range and a threshold
//! objective merges a sketch per bucket, which is what made those reads
//! take seconds. Tallies are additive over disjoint units (minutes for
//! Occurrences, since good weight is counted bucket by bucket; slices for
//! the timeslice methods, since each slice counts once), so [`SliceTallies`]
//! tallies every unit of the span once, keeps running totals, and answers a
//! range with a subtraction plus direct tallies of its partial slices at
//! the edges.
//!
//! Slices are fixed to one anchor, which is right for rolling windows
//! (aligned to the epoch); calendar timeslice objectives re-anchor each
//! period, so callers use [`SliceTallies::supports`] and fall back to
//! [`tally`] for them. Running totals are `f64`: exact for integer weights
//! and slice counts, within rounding for fractional weights and
//! RatioTimeslices' summed ratios. No IO, no clock.

#[cfg(test)]
mod tests;

use crate::bucket::{Bucket, Minute};
use crate::definition::{Method, ObjectiveDef, Window};
use crate::source::BucketSource;
use crate::tally::{Tally, judge_slice, occurrences, slice_anchor, tally};

/// Running tallies of one objective over the units of a span.
pub struct SliceTallies<'a> {
    def: &'a ObjectiveDef,
    data: &'a dyn BucketSource,
    anchor: Minute,
    /// Minutes a unit: 1 for Occurrences, the slice length otherwise.
    unit: i64,
    /// Whole units of the span: `first .. last` (unit `k` is the minutes
    /// `anchor + k * unit ..` of one unit).
    first: i64,
    last: i64,
    /// Units holding data, ascending (sparse: a day of data in a 56-day
    /// span costs a day's entries).
    units: Vec<i64>,
    /// `running[i]` sums the tallies of `units[..i]`.
    running: Vec<Tally>,
}

fn add(a: &Tally, b: &Tally) -> Tally {
    let mut t = *a;
    t.add(b);
    t
}

fn diff(a: &Tally, b: &Tally) -> Tally {
    Tally {
        good: (a.good - b.good).max(0.0),
        total: (a.total - b.total).max(0.0),
        raw_good: a.raw_good.saturating_sub(b.raw_good),
        raw_total: a.raw_total.saturating_sub(b.raw_total),
    }
}

impl<'a> SliceTallies<'a> {
    /// True when tallies of `def` can be answered with one fixed slice
    /// alignment: Occurrences (no slices) and rolling windows.
    pub fn supports(def: &ObjectiveDef) -> bool {
        matches!(def.method, Method::Occurrences) || matches!(def.window, Window::Rolling { .. })
    }

    /// True when sharing one pass pays for many tallies over the data: the
    /// alignment allows it and a direct tally is not already cheap. Ratio
    /// Occurrences read two running sums from the store per tally, which
    /// no cache beats.
    pub fn pays_off(def: &ObjectiveDef) -> bool {
        Self::supports(def)
            && !matches!(
                (def.method, def.indicator),
                (Method::Occurrences, crate::definition::Indicator::Ratio)
            )
    }

    /// Tallies every unit of `[from, to)` once. Walks the data once for
    /// Occurrences; for timeslices, tallies each slice that holds data.
    pub fn new(
        def: &'a ObjectiveDef,
        data: &'a dyn BucketSource,
        from: Minute,
        to: Minute,
    ) -> SliceTallies<'a> {
        let anchor = slice_anchor(&def.window, from);
        let unit = def
            .method
            .slice_minutes()
            .map_or(1, |s| i64::from(s.max(1)));
        let first =
            (from - anchor).div_euclid(unit) + i64::from((from - anchor).rem_euclid(unit) != 0);
        let last = (to - anchor).div_euclid(unit).max(first);
        let span_from = anchor + first * unit;
        let span_to = anchor + last * unit;
        let mut units: Vec<i64> = Vec::new();
        let mut per_unit: Vec<Tally> = Vec::new();
        if last > first {
            match def.method {
                Method::Occurrences => data.for_each(span_from, span_to, &mut |m, b| {
                    let k = (m - anchor).div_euclid(unit);
                    if units.last() != Some(&k) {
                        units.push(k);
                        per_unit.push(Tally::default());
                    }
                    if let Some(slot) = per_unit.last_mut() {
                        slot.add(&occurrences(&def.indicator, b));
                    }
                }),
                _ => {
                    // One walk: merge each slice's buckets, judge the slice
                    // when the walk leaves it (as `tally` does).
                    let mut acc = Bucket::default();
                    let mut current: Option<i64> = None;
                    let mut close = |k: Option<i64>, acc: &mut Bucket| {
                        if let Some(k) = k
                            && acc.total > 0.0
                        {
                            let mut one = Tally::default();
                            judge_slice(def, acc, unit, &mut one);
                            units.push(k);
                            per_unit.push(one);
                        }
                        acc.clear();
                    };
                    data.for_each(span_from, span_to, &mut |m, b| {
                        let k = (m - anchor).div_euclid(unit);
                        if current != Some(k) {
                            close(current, &mut acc);
                            current = Some(k);
                        }
                        acc.merge(b);
                    });
                    close(current, &mut acc);
                }
            }
        }
        let mut running = Vec::with_capacity(per_unit.len() + 1);
        let mut acc = Tally::default();
        running.push(acc);
        for t in &per_unit {
            acc.add(t);
            running.push(acc);
        }
        SliceTallies {
            def,
            data,
            anchor,
            unit,
            first,
            last,
            units,
            running,
        }
    }

    /// Sum of the whole units `k0 .. k1`, all inside the span.
    fn whole(&self, k0: i64, k1: i64) -> Tally {
        let i0 = self.units.partition_point(|&k| k < k0);
        let i1 = self.units.partition_point(|&k| k < k1);
        diff(&self.running[i1], &self.running[i0])
    }

    /// The tally of `[from, to)`, as [`tally`] with this span's alignment
    /// would give it; ranges reaching outside the span are tallied
    /// directly for the part outside.
    pub fn tally(&self, from: Minute, to: Minute) -> Tally {
        if from >= to {
            return Tally::default();
        }
        let u = self.unit;
        let k0 =
            (from - self.anchor).div_euclid(u) + i64::from((from - self.anchor).rem_euclid(u) != 0);
        let k1 = (to - self.anchor).div_euclid(u);
        let direct = |a: Minute, b: Minute| tally(self.def, self.data, a, b, self.anchor);
        if k0 >= k1 {
            return direct(from, to);
        }
        let whole_from = self.anchor + k0 * u;
        let whole_to = self.anchor + k1 * u;
        let mut t = Tally::default();
        if from < whole_from {
            t.add(&direct(from, whole_from));
        }
        // The whole units inside the span come from the running totals,
        // the rest (outside the span) directly.
        let (in0, in1) = (k0.max(self.first), k1.min(self.last));
        if in0 < in1 {
            if k0 < in0 {
                t.add(&direct(whole_from, self.anchor + in0 * u));
            }
            t = add(&t, &self.whole(in0, in1));
            if in1 < k1 {
                t.add(&direct(self.anchor + in1 * u, whole_to));
            }
        } else {
            t.add(&direct(whole_from, whole_to));
        }
        if whole_to < to {
            t.add(&direct(whole_to, to));
        }
        t
    }
}
