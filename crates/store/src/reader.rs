//! Read access: a `StoreReader` holds the state's shared lock for one
//! consistent view, and hands out `SeriesView`s, which are what the SLO
//! evaluator reads through `slo::BucketSource`.
//!
//! A view never allocates per call except for the `Bucket` it returns, and
//! never waits on disk. An empty view (unknown series) answers with empty
//! buckets, so an SLO without data evaluates to no data instead of needing
//! a special case.

use std::sync::RwLockReadGuard;

use slo::{Bucket, BucketSource, Minute};

use crate::key::SeriesKey;
use crate::series::Series;
use crate::state::State;

/// A consistent read view of the store. Appends wait while it is alive.
pub struct StoreReader<'a> {
    state: RwLockReadGuard<'a, State>,
}

impl<'a> StoreReader<'a> {
    pub(crate) fn new(state: RwLockReadGuard<'a, State>) -> Self {
        StoreReader { state }
    }

    /// The series `key`, or `None` when nothing is stored for it.
    pub fn series(&self, key: &SeriesKey) -> Option<SeriesView<'_>> {
        self.state.get(key).map(|s| SeriesView { series: Some(s) })
    }

    /// Every segment series of `sli` (not the whole-SLI series), in key order.
    pub fn segments(&self, sli: &str) -> Vec<(SeriesKey, SeriesView<'_>)> {
        self.state
            .segments(sli)
            .map(|s| (s.key.clone(), SeriesView { series: Some(s) }))
            .collect()
    }
}

/// One series' buckets under the store's resolution rule (see `series.rs`):
/// exact minutes from `minutes_from()` on, whole hours (keyed by their start)
/// before it.
#[derive(Clone, Copy, Debug, Default)]
pub struct SeriesView<'a> {
    series: Option<&'a Series>,
}

impl SeriesView<'static> {
    /// A view without data: sums are empty, `for_each` calls nothing.
    pub fn empty() -> Self {
        SeriesView { series: None }
    }
}

impl SeriesView<'_> {
    pub fn key(&self) -> Option<&SeriesKey> {
        self.series.map(|s| &s.key)
    }

    /// First minute with minute resolution (an hour start); before it, data
    /// exists only as hour buckets. `None` when every stored minute is
    /// exact (nothing was downsampled yet) or the view is empty.
    pub fn minutes_from(&self) -> Option<Minute> {
        self.series
            .map(|s| s.minutes_from)
            .filter(|m| *m != Minute::MIN)
    }

    /// Sum of the buckets in `[from, to)`.
    pub fn sum(&self, from: Minute, to: Minute) -> Bucket {
        self.series
            .map_or_else(Bucket::default, |s| s.sum(from, to))
    }

    /// Calls `f` for each non-empty bucket in `[from, to)`, ascending.
    pub fn for_each(&self, from: Minute, to: Minute, f: &mut dyn FnMut(Minute, &Bucket)) {
        if let Some(s) = self.series {
            s.for_each(from, to, f);
        }
    }
}

impl BucketSource for SeriesView<'_> {
    fn sum(&self, from: Minute, to: Minute) -> Bucket {
        SeriesView::sum(self, from, to)
    }

    fn for_each(&self, from: Minute, to: Minute, f: &mut dyn FnMut(Minute, &Bucket)) {
        SeriesView::for_each(self, from, to, f)
    }
}
