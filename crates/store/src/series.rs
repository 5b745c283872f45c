//! One series in memory: a minute tier and an hour tier, both sorted `Vec`s
//! searched by binary search, and the resolution rule that reads them.
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
//!
//! No IO and no clock here: cuts are computed by the caller.

use slo::{Bucket, Minute};

use crate::codec::{SketchSum, pack_sketch, unpack_sketch};
use crate::key::SeriesKey;

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

impl MinuteCell {
    fn new(minute: Minute, b: &Bucket) -> Self {
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

/// A running sum of hour buckets and minute cells. Hour sketches merge
/// into one `Sketch`; packed minute sketches are decoded straight into a
/// `SketchSum` buffer, so summing N minutes builds no `Sketch` per minute.
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

    fn add_counts(&mut self, good: f64, total: f64, raw_good: u64, raw_total: u64) {
        self.good += good;
        self.total += total;
        self.raw_good += raw_good;
        self.raw_total += raw_total;
    }

    fn add_bucket(&mut self, b: &Bucket) {
        self.add_counts(b.good, b.total, b.raw_good, b.raw_total);
        if let Some(s) = &b.values {
            match &mut self.dense {
                Some(d) => d.merge(s),
                None => self.dense = Some(s.clone()),
            }
        }
    }

    fn add_cell(&mut self, c: &MinuteCell) {
        self.add_counts(c.good, c.total, c.raw_good, c.raw_total);
        if let Some(p) = &c.values {
            self.packed.get_or_insert_with(SketchSum::new).add_packed(p);
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
    pub minutes: Vec<MinuteCell>,
    /// Hour buckets keyed by the hour's first minute.
    pub hours: Vec<(Minute, Bucket)>,
}

/// Index of the first element whose key is `>= m`.
fn lower_bound<T>(v: &[T], m: Minute, key: impl Fn(&T) -> Minute) -> usize {
    v.partition_point(|x| key(x) < m)
}

impl Series {
    pub fn new(key: SeriesKey) -> Self {
        Series {
            key,
            minutes_from: Minute::MIN,
            minutes: Vec::new(),
            hours: Vec::new(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.minutes.is_empty() && self.hours.is_empty()
    }

    /// Merges `delta` into the tiers.
    pub fn add(&mut self, minute: Minute, delta: &Bucket) {
        let hour = floor_hour(minute);
        // Appends are nearly always at the end; check that before searching.
        match self.hours.last_mut() {
            Some((h, b)) if *h == hour => b.merge(delta),
            Some((h, _)) if *h > hour => {
                let i = lower_bound(&self.hours, hour, |x| x.0);
                match self.hours.get_mut(i) {
                    Some((h, b)) if *h == hour => b.merge(delta),
                    _ => self.hours.insert(i, (hour, delta.clone())),
                }
            }
            _ => self.hours.push((hour, delta.clone())),
        }
        if minute < self.minutes_from {
            return;
        }
        match self.minutes.last_mut() {
            Some(c) if c.minute == minute => c.merge(delta),
            Some(c) if c.minute > minute => {
                let i = lower_bound(&self.minutes, minute, |c| c.minute);
                match self.minutes.get_mut(i) {
                    Some(c) if c.minute == minute => c.merge(delta),
                    _ => self.minutes.insert(i, MinuteCell::new(minute, delta)),
                }
            }
            _ => self.minutes.push(MinuteCell::new(minute, delta)),
        }
    }

    fn hours_in(&self, from: Minute, to: Minute) -> &[(Minute, Bucket)] {
        let a = lower_bound(&self.hours, from, |x| x.0);
        let b = lower_bound(&self.hours, to, |x| x.0);
        &self.hours[a..b.max(a)]
    }

    fn minutes_in(&self, from: Minute, to: Minute) -> &[MinuteCell] {
        let a = lower_bound(&self.minutes, from, |c| c.minute);
        let b = lower_bound(&self.minutes, to, |c| c.minute);
        &self.minutes[a..b.max(a)]
    }

    /// Sum of the buckets in `[from, to)` under the resolution rule.
    pub fn sum(&self, from: Minute, to: Minute) -> Bucket {
        let mut acc = BucketSum::new();
        if from >= to {
            return acc.finish();
        }
        for (_, b) in self.hours_in(from, to.min(self.minutes_from)) {
            acc.add_bucket(b);
        }
        let lo = from.max(self.minutes_from);
        if lo >= to {
            return acc.finish();
        }
        let (h0, h1) = (ceil_hour(lo), floor_hour(to));
        if h0 < h1 {
            self.minutes_in(lo, h0).iter().for_each(|c| acc.add_cell(c));
            self.hours_in(h0, h1)
                .iter()
                .for_each(|(_, b)| acc.add_bucket(b));
            self.minutes_in(h1, to).iter().for_each(|c| acc.add_cell(c));
        } else {
            self.minutes_in(lo, to).iter().for_each(|c| acc.add_cell(c));
        }
        acc.finish()
    }

    /// Calls `f` for every non-empty bucket `sum(from, to)` would add, in
    /// ascending key order: hours below `minutes_from`, then minutes.
    pub fn for_each(&self, from: Minute, to: Minute, f: &mut dyn FnMut(Minute, &Bucket)) {
        if from >= to {
            return;
        }
        for (h, b) in self.hours_in(from, to.min(self.minutes_from)) {
            if !b.is_empty() {
                f(*h, b);
            }
        }
        for c in self.minutes_in(from.max(self.minutes_from), to) {
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
        let m = lower_bound(&self.minutes, self.minutes_from, |c| c.minute);
        let h = lower_bound(&self.hours, retention_cut, |x| x.0);
        self.minutes.drain(..m);
        self.hours.drain(..h);
        // Tiers lose their head and grow at the tail; give memory back only
        // when most of the capacity is idle, so steady state never reallocates.
        if self.minutes.capacity() > 4 * self.minutes.len().max(16) {
            self.minutes.shrink_to_fit();
        }
        if self.hours.capacity() > 4 * self.hours.len().max(16) {
            self.hours.shrink_to_fit();
        }
        Dropped {
            minutes: m as u64,
            hours: h as u64,
        }
    }

    /// Heap and inline bytes this series holds (dense sketch bins counted
    /// from their span; allocator overhead not included).
    pub fn approx_memory_bytes(&self) -> u64 {
        use std::mem::size_of;
        let mut n = size_of::<Series>()
            + self.key.sli.capacity()
            + self.key.dimension.capacity()
            + self.key.value.capacity()
            + self.minutes.capacity() * size_of::<MinuteCell>()
            + self.hours.capacity() * size_of::<(Minute, Bucket)>();
        for c in &self.minutes {
            n += c.values.as_ref().map_or(0, |v| v.len());
        }
        for (_, b) in &self.hours {
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
