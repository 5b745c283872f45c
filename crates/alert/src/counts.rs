//! Where alert evaluation gets its numbers: good and total over a minute
//! range, through the [`Counts`] trait.
//!
//! Evaluation does not care whether the counts come from the embedded store
//! ([`EmbeddedCounts`], through `slo`'s tally so timeslice objectives count
//! slices) or from a metrics engine (the server implements [`Counts`] over
//! PromQL itself). [`PrefixSums`] makes window sums over minute data cost
//! two lookups, which is what lets a replay step every minute of a 30-day
//! window cheaply. Nothing here reads files, sockets or a clock.

use slo::tally::{slice_anchor, tally};
use slo::{Bucket, BucketSource, Minute, ObjectiveDef, Tally, Window, minute_start, period_bounds};

/// Good and total of one SLO objective over minutes `[from, to)`, in the
/// units of its budgeting method, with the raw event counts behind them.
pub trait Counts {
    fn tally(&self, from: Minute, to: Minute) -> Tally;
}

/// Counts of an objective evaluated over bucket data (the embedded store, or
/// a `BTreeMap` in tests).
#[derive(Clone, Copy)]
pub struct EmbeddedCounts<'a> {
    pub def: &'a ObjectiveDef,
    pub data: &'a dyn BucketSource,
}

impl Counts for EmbeddedCounts<'_> {
    /// Slices are aligned as `slo::evaluate` aligns them for a window ending
    /// at `to`: to the epoch for rolling windows, to the start of the period
    /// holding minute `to - 1` for calendar windows.
    fn tally(&self, from: Minute, to: Minute) -> Tally {
        let anchor = match &self.def.window {
            Window::Rolling { .. } => slice_anchor(&self.def.window, from),
            Window::Calendar { .. } => {
                let period_start = period_bounds(&self.def.window, minute_start(to - 1)).0;
                slice_anchor(&self.def.window, period_start)
            }
        };
        tally(self.def, self.data, from, to, anchor)
    }
}

/// Running totals over a span of minutes of another source, so that
/// [`BucketSource::sum`] of a range inside the span is two lookups and a
/// subtraction instead of a walk.
///
/// Exact for integer weights below 2^53 (every count a test or the demo
/// writes); with fractional sample weights the subtraction may be off by a
/// few units in the last place of the span's total. Sources holding value
/// sketches (threshold SLIs) cannot be subtracted, so their sums, and every
/// range reaching outside the span, are answered by the wrapped source.
pub struct PrefixSums<'a> {
    inner: &'a dyn BucketSource,
    /// First minute of the span.
    from: Minute,
    /// `running[i]` sums the minutes `[from, from + i)`.
    running: Vec<Running>,
    /// Some bucket carries a sketch: sums must merge, not subtract.
    has_values: bool,
}

#[derive(Clone, Copy, Default)]
struct Running {
    good: f64,
    total: f64,
    raw_good: u64,
    raw_total: u64,
}

impl<'a> PrefixSums<'a> {
    /// Running totals of `inner` over minutes `[from, to)`, built with one
    /// walk.
    pub fn new(inner: &'a dyn BucketSource, from: Minute, to: Minute) -> PrefixSums<'a> {
        let len = usize::try_from((to - from).max(0)).unwrap_or(0);
        let mut per_minute = vec![Running::default(); len];
        let mut has_values = false;
        inner.for_each(from, to, &mut |m, b| {
            has_values |= b.values.is_some();
            let slot = &mut per_minute[(m - from) as usize];
            slot.good += b.good;
            slot.total += b.total;
            slot.raw_good += b.raw_good;
            slot.raw_total += b.raw_total;
        });
        let mut running = Vec::with_capacity(len + 1);
        let mut acc = Running::default();
        running.push(acc);
        for r in per_minute {
            acc.good += r.good;
            acc.total += r.total;
            acc.raw_good += r.raw_good;
            acc.raw_total += r.raw_total;
            running.push(acc);
        }
        PrefixSums {
            inner,
            from,
            running,
            has_values,
        }
    }

    fn to(&self) -> Minute {
        self.from + self.running.len() as i64 - 1
    }
}

impl BucketSource for PrefixSums<'_> {
    fn sum(&self, from: Minute, to: Minute) -> Bucket {
        if from >= to {
            return Bucket::default();
        }
        if self.has_values || from < self.from || to > self.to() {
            return self.inner.sum(from, to);
        }
        let a = self.running[(from - self.from) as usize];
        let b = self.running[(to - self.from) as usize];
        Bucket {
            good: b.good - a.good,
            total: b.total - a.total,
            raw_good: b.raw_good - a.raw_good,
            raw_total: b.raw_total - a.raw_total,
            values: None,
        }
    }

    fn for_each(&self, from: Minute, to: Minute, f: &mut dyn FnMut(Minute, &Bucket)) {
        self.inner.for_each(from, to, f)
    }
}

#[cfg(test)]
mod tests;
