//! Per-series counter state for remote write and OTLP metrics: the last
//! value, timestamp and (OTLP) start time of every series a sender pushes,
//! so increases can be computed from cumulative counters, plus which SLIs
//! the series feeds under the current pipeline. It also remembers its first
//! ingest call, so that an OTLP counter known to have started after it can
//! count its first value in full.
//!
//! The state belongs to the server and outlives pipelines: a reload keeps
//! every series' last value (no increase is lost or double counted), and the
//! cached SLI matches are recomputed lazily because each entry remembers the
//! pipeline it was matched against. Series are keyed by a seeded 64-bit hash
//! of their full label set, so a lookup needs no label copy.
//!
//! The state lives in memory only. After a restart the first sample of each
//! series sets its baseline again, so a restart loses at most one scrape
//! interval of increase per series (what lay between the last sample before
//! the restart and the first after it). Memory is bounded: at most
//! `max_series` entries (about 64 bytes each), and entries whose newest
//! sample is older than `idle` are dropped as the state is used.
//!
//! This module holds no clock: pruning uses the `now` of the ingest call.

use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// Number of independently locked shards: concurrent requests rarely wait.
const SHARDS: usize = 64;
/// Default bound on tracked series (about 128 MiB of state).
pub const DEFAULT_MAX_SERIES: usize = 2_000_000;
/// Default time after its newest sample that a series is forgotten.
pub const DEFAULT_IDLE: Duration = Duration::from_secs(3600);
/// `last_ms` of an entry that has no accepted sample yet.
pub(crate) const NO_SAMPLE: i64 = i64::MIN;

/// Counter baselines and cached SLI matches of remote-write series;
/// `Send + Sync`, shared by all ingest requests.
#[derive(Debug)]
pub struct CounterState {
    /// Seed of the series key hash, random per process.
    seed: u64,
    shards: Box<[Mutex<Shard>]>,
    /// Per-shard share of the series bound.
    max_per_shard: usize,
    idle_ms: i64,
    /// `now` (ms) of the first ingest call that used this state: counters
    /// that started from zero after it were in sight from their start.
    since_ms: AtomicI64,
}

/// One shard: series by key.
#[derive(Debug, Default)]
pub(crate) struct Shard {
    pub(crate) map: HashMap<u64, CounterSeries, BuildHasherDefault<KeyHasher>>,
    /// `now` of the last pruning pass, in ms.
    pruned_at_ms: Option<i64>,
}

/// What is remembered of one series.
#[derive(Debug)]
pub(crate) struct CounterSeries {
    /// The newest accepted value: the baseline of the next increase.
    pub(crate) last_value: f64,
    /// Its timestamp (ms), or `NO_SAMPLE`; older or equal samples are
    /// duplicates (retries, overlapping sends) and are ignored.
    pub(crate) last_ms: i64,
    /// The start time (ms) of the counter's newest sample, when the sender
    /// says (OTLP `start_time_unix_nano`); 0 when unknown. A change is a
    /// reset, whatever the values.
    pub(crate) start_ms: i64,
    /// Id of the pipeline `targets` was computed for (0: none yet).
    pub(crate) pipeline: u64,
    /// The SLIs this series feeds, encoded by the pipeline.
    pub(crate) targets: Box<[u32]>,
}

impl Default for CounterState {
    fn default() -> Self {
        CounterState::new()
    }
}

impl CounterState {
    /// A state with the default bounds (2 M series, forgotten after 1 h idle).
    pub fn new() -> Self {
        CounterState::with_limits(DEFAULT_MAX_SERIES, DEFAULT_IDLE)
    }

    /// A state tracking at most `max_series` series, each forgotten once its
    /// newest sample is `idle` older than the ingest call's `now`.
    pub fn with_limits(max_series: usize, idle: Duration) -> Self {
        let seed = std::collections::hash_map::RandomState::new().hash_one(0x5eed_u64);
        CounterState {
            seed,
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            max_per_shard: max_series.div_ceil(SHARDS).max(1),
            idle_ms: i64::try_from(idle.as_millis()).unwrap_or(i64::MAX),
            since_ms: AtomicI64::new(i64::MAX),
        }
    }

    /// Number of series tracked.
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| lock(s).map.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Most series this state tracks.
    pub fn max_series(&self) -> usize {
        self.max_per_shard * SHARDS
    }

    pub(crate) fn seed(&self) -> u64 {
        self.seed
    }

    /// The shard holding `key`, locked, pruned of idle series when due.
    pub(crate) fn shard(&self, key: u64, now_ms: i64) -> MutexGuard<'_, Shard> {
        // The low bits pick the hash-table slot; the high bits pick the shard.
        let mut shard = lock(&self.shards[(key >> 58) as usize % SHARDS]);
        shard.prune_if_due(now_ms, self.idle_ms);
        shard
    }

    /// Records an ingest call at `now_ms`: the earliest one marks since when
    /// counters are tracked.
    pub(crate) fn note_call(&self, now_ms: i64) {
        self.since_ms.fetch_min(now_ms, Ordering::Relaxed);
    }

    /// Since when (ms) this state has tracked counters; `i64::MAX` before
    /// the first ingest call.
    pub fn since_ms(&self) -> i64 {
        self.since_ms.load(Ordering::Relaxed)
    }

    pub(crate) fn max_per_shard(&self) -> usize {
        self.max_per_shard
    }
}

fn lock(m: &Mutex<Shard>) -> MutexGuard<'_, Shard> {
    // A panic while holding a shard leaves at worst one stale baseline.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Shard {
    /// Drops idle series, at most every quarter of the idle time.
    fn prune_if_due(&mut self, now_ms: i64, idle_ms: i64) {
        let due = match self.pruned_at_ms {
            None => true,
            Some(at) => now_ms.saturating_sub(at) >= idle_ms / 4,
        };
        if !due {
            return;
        }
        self.pruned_at_ms = Some(now_ms);
        let oldest = now_ms.saturating_sub(idle_ms);
        self.map.retain(|_, s| s.last_ms >= oldest);
    }
}

/// The keys are already hashes: pass them through, rotated.
#[derive(Debug, Default)]
pub(crate) struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used for u64 keys; fold anything else in.
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        // Shards take the top bits; rotating keeps them out of the bits the
        // table uses for its slot and tag.
        self.0 = n.rotate_left(32);
    }
}

#[cfg(test)]
mod tests;
