//! Bucket deltas accumulated by ingestion, keyed by series and minute.
//!
//! Aggregation addresses series by small integer ids (assigned on first use
//! and cached per pipeline), so the hot path never builds or hashes a string
//! key: `deltas()` builds the `SeriesKey`s once per batch. Almost every event
//! in a body falls in the same minute as the previous one of its series, so
//! each series remembers its last bucket and only a minute change hashes.
//!
//! A batch also carries the exemplars of its bad events (a few per SLI, see
//! `exemplar`), which the caller takes after storing the deltas.
//!
//! A `Batch` is a reusable accumulator owned by one caller; `clear` keeps its
//! allocations and caches. It must not know about the store (the server
//! converts `SeriesKey`) and holds no clock.

use std::collections::HashMap;
use std::sync::Arc;

use slo::{Bucket, Minute};

use crate::event::same_text;
use crate::exemplar::{Exemplar, ExemplarSample};
use crate::filter::Slot;

/// Identity of a stored series: the whole SLI has `dimension == value == ""`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SeriesKey {
    pub sli: String,
    pub dimension: String,
    pub value: String,
}

/// Sentinel for "no id yet" in the id caches.
pub(crate) const NO_ID: u32 = u32::MAX;
/// Sentinel for "no bucket cached" in a series' last-minute cache.
const NO_MINUTE: Minute = Minute::MIN;
/// Above this many cached segment values (summed over keys), `clear` drops
/// the caches, so a long-lived batch stays bounded under high cardinality.
const MAX_CACHED_VALUES: usize = 1 << 16;

/// Accumulated deltas, reusable across requests.
#[derive(Debug, Default)]
pub struct Batch {
    pub(crate) store: SeriesStore,
    pub(crate) bound: BoundCaches,
    /// A sample of the bad events added since the last `clear`.
    pub(crate) exemplars: ExemplarSample,
}

/// Series and their buckets.
#[derive(Debug, Default)]
pub(crate) struct SeriesStore {
    /// Series by local id.
    series: Vec<Series>,
    /// Buckets, with `bucket_keys[i]` saying whose and when `buckets[i]` is.
    buckets: Vec<Bucket>,
    bucket_keys: Vec<(u32, Minute)>,
    /// Every bucket by (series, minute), consulted when a series changes minute.
    index: HashMap<(u32, Minute), u32>,
}

#[derive(Debug)]
struct Series {
    sli: Arc<str>,
    dimension: Arc<str>,
    value: Box<str>,
    /// The minute and bucket this series last wrote, to skip the hash.
    last_minute: Minute,
    last_bucket: u32,
}

/// Per-pipeline caches: ids of series and segment values, and the scratch
/// space evaluation reuses for every event.
#[derive(Debug, Default)]
pub(crate) struct BoundCaches {
    /// The pipeline these caches belong to (0: none).
    pub(crate) pipeline_id: u64,
    /// Stamps the per-event entries below; an entry from another
    /// generation is stale. Bumped per event instead of clearing them.
    pub(crate) generation: u32,
    /// Attribute lookup cache, one slot per interned key.
    pub(crate) slots: Vec<Slot>,
    /// Per distinct filter: (generation, matched).
    pub(crate) memo: Vec<(u32, bool)>,
    /// Per segment key: attribute value → local value id.
    pub(crate) seg_values: Vec<ValueIds>,
    /// Per segment key: (generation, the event's local value id).
    pub(crate) seg_current: Vec<(u32, u32)>,
    /// Per SLI: series id of the whole-SLI series, or `NO_ID`.
    pub(crate) whole_series: Vec<u32>,
    /// Per dimension: local value id → series id (`NO_ID` unresolved).
    pub(crate) dim_series: Vec<Vec<u32>>,
    /// Per dimension: the series id of its `other` fold, or `NO_ID`.
    pub(crate) other_series: Vec<u32>,
}

impl BoundCaches {
    /// Resets the caches for a pipeline of the given shape.
    pub(crate) fn bind(
        &mut self,
        pipeline_id: u64,
        n_keys: usize,
        n_filters: usize,
        n_seg_keys: usize,
        n_slis: usize,
        n_dims: usize,
    ) {
        self.pipeline_id = pipeline_id;
        self.generation = 0;
        self.slots.clear();
        self.slots.resize_with(n_keys, Slot::default);
        self.memo.clear();
        self.memo.resize(n_filters, (0, false));
        self.seg_values.clear();
        self.seg_values.resize_with(n_seg_keys, ValueIds::default);
        self.seg_current.clear();
        self.seg_current.resize(n_seg_keys, (0, NO_ID));
        self.whole_series.clear();
        self.whole_series.resize(n_slis, NO_ID);
        self.dim_series.clear();
        self.dim_series.resize_with(n_dims, Vec::new);
        self.other_series.clear();
        self.other_series.resize(n_dims, NO_ID);
    }

    /// A generation no per-event entry holds yet.
    pub(crate) fn next_generation(&mut self) -> u32 {
        if self.generation == u32::MAX {
            // Once per 4 billion events: make every entry stale explicitly.
            self.slots.iter().for_each(|s| s.set((0, 0)));
            self.memo.fill((0, false));
            self.seg_current.fill((0, NO_ID));
            self.generation = 0;
        }
        self.generation += 1;
        self.generation
    }

    fn cached_values(&self) -> usize {
        self.seg_values.iter().map(|v| v.count as usize).sum()
    }
}

/// Dense ids for the values of one segment key.
#[derive(Debug, Default)]
pub(crate) struct ValueIds {
    /// The first values seen, scanned linearly: segment dimensions are
    /// chosen for low cardinality, and comparing a few short strings is
    /// cheaper than hashing one.
    first: Vec<(Box<str>, u32)>,
    /// Values beyond the first `LINEAR_VALUES`.
    rest: HashMap<Box<str>, u32>,
    count: u32,
}

const LINEAR_VALUES: usize = 16;

impl ValueIds {
    /// The id of `value`, assigned on first sight.
    #[inline]
    pub(crate) fn id(&mut self, value: &str) -> u32 {
        if let Some((_, id)) = self.first.iter().find(|(v, _)| same_text(v, value)) {
            return *id;
        }
        if let Some(id) = self.rest.get(value) {
            return *id;
        }
        let id = self.count;
        self.count += 1;
        if self.first.len() < LINEAR_VALUES {
            self.first.push((value.into(), id));
        } else {
            self.rest.insert(value.into(), id);
        }
        id
    }
}

impl SeriesStore {
    /// Forgets every series; only valid while no bucket refers to one.
    pub(crate) fn clear_series(&mut self) {
        debug_assert!(self.buckets.is_empty());
        self.series.clear();
    }

    /// Adds a series and returns its id.
    pub(crate) fn add_series(&mut self, sli: &Arc<str>, dimension: &Arc<str>, value: &str) -> u32 {
        self.series.push(Series {
            sli: Arc::clone(sli),
            dimension: Arc::clone(dimension),
            value: value.into(),
            last_minute: NO_MINUTE,
            last_bucket: 0,
        });
        (self.series.len() - 1) as u32
    }

    /// The bucket of `series` for `minute`, created empty on first use.
    #[inline]
    pub(crate) fn bucket(&mut self, series: u32, minute: Minute) -> &mut Bucket {
        let s = &mut self.series[series as usize];
        if s.last_minute != minute {
            let next = self.buckets.len() as u32;
            let idx = *self.index.entry((series, minute)).or_insert(next);
            if idx == next {
                self.buckets.push(Bucket::default());
                self.bucket_keys.push((series, minute));
            }
            s.last_minute = minute;
            s.last_bucket = idx;
        }
        &mut self.buckets[s.last_bucket as usize]
    }
}

impl Batch {
    pub fn new() -> Self {
        Self::default()
    }

    /// True when nothing has been added since the last `clear`.
    pub fn is_empty(&self) -> bool {
        self.store.buckets.is_empty()
    }

    /// Number of (series, minute) buckets held.
    pub fn len(&self) -> usize {
        self.store.buckets.len()
    }

    /// Exemplars of the bad events added since the last `clear`: at most
    /// `EXEMPLARS_PER_BATCH` per SLI, in no particular order.
    pub fn exemplars(&self) -> &[Exemplar] {
        self.exemplars.kept()
    }

    /// Takes the exemplars (see [`Batch::exemplars`]); the deltas stay.
    pub fn take_exemplars(&mut self) -> Vec<Exemplar> {
        self.exemplars.take()
    }

    /// Forgets the deltas and exemplars, keeping allocations and (bounded)
    /// id caches.
    pub fn clear(&mut self) {
        self.exemplars.clear();
        let store = &mut self.store;
        store.buckets.clear();
        store.bucket_keys.clear();
        store.index.clear();
        if self.bound.cached_values() > MAX_CACHED_VALUES {
            store.series.clear();
            self.bound.pipeline_id = 0;
        } else {
            for s in &mut store.series {
                s.last_minute = NO_MINUTE;
            }
        }
    }

    /// The accumulated deltas, sorted by series key and minute; a series seen
    /// under two pipelines is merged into one delta per minute.
    pub fn deltas(&self) -> Vec<(SeriesKey, Minute, Bucket)> {
        let store = &self.store;
        let mut order: Vec<u32> = (0..store.buckets.len() as u32).collect();
        let key_of = |i: u32| {
            let (sid, minute) = store.bucket_keys[i as usize];
            let s = &store.series[sid as usize];
            (&*s.sli, &*s.dimension, &*s.value, minute)
        };
        order.sort_unstable_by(|a, b| key_of(*a).cmp(&key_of(*b)));
        let mut out: Vec<(SeriesKey, Minute, Bucket)> = Vec::with_capacity(order.len());
        for i in order {
            let (sli, dimension, value, minute) = key_of(i);
            let bucket = &store.buckets[i as usize];
            if let Some((k, m, b)) = out.last_mut()
                && *m == minute
                && k.sli == sli
                && k.dimension == dimension
                && k.value == value
            {
                b.merge(bucket);
                continue;
            }
            let key = SeriesKey {
                sli: sli.to_owned(),
                dimension: dimension.to_owned(),
                value: value.to_owned(),
            };
            out.push((key, minute, bucket.clone()));
        }
        out
    }
}
