//! One series in memory: a minute tier and an hour tier (`tier.rs`: sorted
//! cells plus prefix sums of their counts), and the resolution rule that
//! reads them.
//!
//! Invariants (checked by the model test):
//! - Every accepted delta is merged into its hour bucket (`floor_hour(m)`),
//!   so old data never needs the minutes.
//! - Minute data is complete for minutes `>= minutes_from` (an hour
//!   boundary that only moves forward); deltas below it go to the hour tier
//!   only. Hence an hour at or above `minutes_from` equals the sum of its
//!   minutes, and reads may use either.
//! - Minute sketches are kept packed (`codec::pack_sketch`): at 50 events a
//!   minute a dense sketch costs 1-2 KB, the packed one about 125 bytes.
//!   Hour sketches stay dense: long-range sums merge hundreds of them, and
//!   `Sketch::merge` on dense bins is several times faster than decoding.
//!
//! Resolution rule of `sum(from, to)`: minutes in `[max(from, minutes_from),
//! to)` are exact (whole hours inside come from the hour tier, the edges
//! from minutes); below `minutes_from` an hour counts whole when its start
//! lies in `[from, to)`. `for_each` yields exactly the buckets `sum` adds.
//! `sum` takes counts from the prefix sums (the hours below `minutes_from`,
//! then minutes `[max(from, minutes_from), to)` in one range, since those
//! hours equal their minutes) and walks cells only to merge sketches, in
//! series that have them.
//!
//! No IO and no clock here: cuts are computed by the caller.

use slo::{Bucket, Minute};

use crate::codec::{SketchSum, pack_sketch, unpack_sketch};
use crate::key::SeriesKey;
use crate::prefix::Counts;
use crate::tier::{Cell, Tier};

#[cfg(test)]
mod tests;

pub(crate) const MINUTES_PER_HOUR: Minute = 60;

/// Start of the hour holding minute `m`.
pub(crate) fn floor_hour(m: Minute) -> Minute {
    // Saturating: a cut computed from an absurd `now` must not panic.
    m.div_euclid(MINUTES_PER_HOUR)
        .saturating_mul(MINUTES_PER_HOUR)
}

/// Start of the first hour at or after minute `m`.
pub(crate) fn ceil_hour(m: Minute) -> Minute {
    let f = floor_hour(m);
    if f == m {
        m
    } else {
        f.saturating_add(MINUTES_PER_HOUR)
    }
}

/// A minute bucket with its sketch packed.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct MinuteCell {
    pub minute: Minute,
    pub good: f64,
    pub total: f64,
    pub raw_good: u64,
    pub raw_total: u64,
    /// `codec::pack_sketch` bytes; `None` for ratio SLIs.
    pub values: Option<Box<[u8]>>,
}

impl Cell for MinuteCell {
    const STEP: Minute = 1;
    fn key(&self) -> Minute {
        self.minute
    }

    fn counts(&self) -> Counts {
        Counts {
            good: self.good,
            total: self.total,
            raw_good: self.raw_good,
            raw_total: self.raw_total,
        }
    }

    fn has_sketch(&self) -> bool {
        self.values.is_some()
    }

    fn from_delta(minute: Minute, b: &Bucket) -> Self {
        MinuteCell {
            minute,
            good: b.good,
            total: b.total,
            raw_good: b.raw_good,
            raw_total: b.raw_total,
            values: b.values.as_deref().map(pack_sketch),
        }
    }

    fn merge(&mut self, b: &Bucket) {
        self.good += b.good;
        self.total += b.total;
        self.raw_good += b.raw_good;
        self.raw_total += b.raw_total;
        if let Some(delta) = &b.values {
            self.values = Some(match &self.values {
                None => pack_sketch(delta),
                Some(mine) => {
                    let mut s = unpack_sketch(mine);
                    s.merge(delta);
                    pack_sketch(&s)
                }
            });
        }
    }
}

impl MinuteCell {
    pub fn to_bucket(&self) -> Bucket {
        Bucket {
            good: self.good,
            total: self.total,
            raw_good: self.raw_good,
            raw_total: self.raw_total,
            values: self.values.as_deref().map(|p| Box::new(unpack_sketch(p))),
        }
    }
}

/// A running sum of tier counts and of the sketches of hour buckets and
/// minute cells. Hour sketches merge into one `Sketch`; packed minute
/// sketches are decoded straight into a `SketchSum` buffer, so summing N
/// minutes builds no `Sketch` per minute.
struct BucketSum {
    good: f64,
    total: f64,
    raw_good: u64,
    raw_total: u64,
    dense: Option<Box<slo::Sketch>>,
    packed: Option<SketchSum>,
}

impl BucketSum {
    fn new() -> Self {
        BucketSum {
            good: 0.0,
            total: 0.0,
            raw_good: 0,
            raw_total: 0,
            dense: None,
            packed: None,
        }
    }

    fn add_counts(&mut self, c: Counts) {
        self.good += c.good;
        self.total += c.total;
        self.raw_good += c.raw_good;
        self.raw_total += c.raw_total;
    }

    fn add_hour_sketches(&mut self, hours: &[(Minute, Bucket)]) {
        for (_, b) in hours {
            if let Some(s) = &b.values {
                match &mut self.dense {
                    Some(d) => d.merge(s),
                    None => self.dense = Some(s.clone()),
                }
            }
        }
    }

    fn add_minute_sketches(&mut self, minutes: &[MinuteCell]) {
        for c in minutes {
            if let Some(p) = &c.values {
                self.packed.get_or_insert_with(SketchSum::new).add_packed(p);
            }
        }
    }

    fn finish(self) -> Bucket {
        let values = match (self.dense, self.packed) {
            (None, None) => None,
            (Some(d), None) => Some(d),
            (None, Some(p)) => Some(Box::new(p.finish())),
            (Some(mut d), Some(p)) => {
                d.merge(&p.finish());
                Some(d)
            }
        };
        Bucket {
            good: self.good,
            total: self.total,
            raw_good: self.raw_good,
            raw_total: self.raw_total,
            values,
        }
    }
}

/// Buckets dropped by one compaction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Dropped {
    pub minutes: u64,
    pub hours: u64,
}

#[derive(Clone, Debug)]
pub(crate) struct Series {
    pub key: SeriesKey,
    /// First minute (an hour start) from which the minute tier is complete.
    pub minutes_from: Minute,
    pub minutes: Tier<MinuteCell>,
    /// Hour buckets keyed by the hour's first minute.
    pub hours: Tier<(Minute, Bucket)>,
}

impl Series {
    pub fn new(key: SeriesKey) -> Self {
        Series {
            key,
            minutes_from: Minute::MIN,
            minutes: Tier::default(),
            hours: Tier::default(),
        }
    }

    /// A series from decoded tiers: keys strictly ascending, minutes at or
    /// above `minutes_from` (the snapshot decoder checks both).
    pub fn from_tiers(
        key: SeriesKey,
        minutes_from: Minute,
        minutes: Vec<MinuteCell>,
        hours: Vec<(Minute, Bucket)>,
    ) -> Self {
        Series {
            key,
            minutes_from,
            minutes: Tier::from_cells(minutes),
            hours: Tier::from_cells(hours),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.minutes.is_empty() && self.hours.is_empty()
    }

    /// Merges `delta` into the tiers.
    pub fn add(&mut self, minute: Minute, delta: &Bucket) {
        self.hours.add(floor_hour(minute), delta);
        if minute >= self.minutes_from {
            self.minutes.add(minute, delta);
        }
    }

    /// Sum of the buckets in `[from, to)` under the resolution rule.
    pub fn sum(&self, from: Minute, to: Minute) -> Bucket {
        let mut acc = BucketSum::new();
        if from >= to {
            return acc.finish();
        }
        let old = self.hours.range(from, to.min(self.minutes_from));
        acc.add_counts(self.hours.counts(old.clone()));
        acc.add_hour_sketches(self.hours.sketch_cells(old));
        let lo = from.max(self.minutes_from);
        if lo >= to {
            return acc.finish();
        }
        acc.add_counts(self.minutes.counts(self.minutes.range(lo, to)));
        if self.minutes.has_sketches() {
            // Whole hours inside merge one dense sketch instead of 60 packed.
            let (h0, h1) = (ceil_hour(lo), floor_hour(to));
            if h0 < h1 {
                let edges = [self.minutes.range(lo, h0), self.minutes.range(h1, to)];
                for r in edges {
                    acc.add_minute_sketches(self.minutes.sketch_cells(r));
                }
                acc.add_hour_sketches(self.hours.sketch_cells(self.hours.range(h0, h1)));
            } else {
                acc.add_minute_sketches(self.minutes.sketch_cells(self.minutes.range(lo, to)));
            }
        }
        acc.finish()
    }

    /// Calls `f` for every non-empty bucket `sum(from, to)` would add, in
    /// ascending key order: hours below `minutes_from`, then minutes.
    pub fn for_each(&self, from: Minute, to: Minute, f: &mut dyn FnMut(Minute, &Bucket)) {
        if from >= to {
            return;
        }
        let old = self.hours.range(from, to.min(self.minutes_from));
        for (h, b) in &self.hours.cells()[old] {
            if !b.is_empty() {
                f(*h, b);
            }
        }
        let recent = self.minutes.range(from.max(self.minutes_from), to);
        for c in &self.minutes.cells()[recent] {
            let b = c.to_bucket();
            if !b.is_empty() {
                f(c.minute, &b);
            }
        }
    }

    /// Raises `minutes_from` to `minute_cut` and drops what lies below the
    /// cuts: minutes below `minutes_from`, hours (and so everything) below
    /// `retention_cut`. Both cuts are hour starts.
    pub fn compact(&mut self, minute_cut: Minute, retention_cut: Minute) -> Dropped {
        self.minutes_from = self.minutes_from.max(minute_cut).max(retention_cut);
        let m = self.minutes.drop_below(self.minutes_from);
        let h = self.hours.drop_below(retention_cut);
        Dropped {
            minutes: m as u64,
            hours: h as u64,
        }
    }

    /// Heap and inline bytes this series holds (tier arrays with their
    /// prefix sums, dense sketch bins counted from their span; allocator
    /// overhead not included).
    pub fn approx_memory_bytes(&self) -> u64 {
        let mut n = size_of::<Series>()
            + self.key.sli.capacity()
            + self.key.dimension.capacity()
            + self.key.value.capacity()
            + self.minutes.array_bytes()
            + self.hours.array_bytes();
        for c in self.minutes.cells() {
            n += c.values.as_ref().map_or(0, |v| v.len());
        }
        for (_, b) in self.hours.cells() {
            if let Some(s) = &b.values {
                let mut bins = s.bins();
                let span = match (bins.next(), bins.last()) {
                    (Some((first, _)), Some((last, _))) => (last - first + 1) as usize,
                    (Some(_), None) => 1,
                    _ => 0,
                };
                n += size_of::<slo::Sketch>() + span * size_of::<f64>();
            }
        }
        n as u64
    }
}
