//! Shared server state: the store, the current catalog (swapped whole on
//! reload), limits, tokens and the clock.
//!
//! Ingest and reload live here rather than in the HTTP handlers so the demo
//! backfill and the tests drive exactly the code the API runs. Every ingest
//! path stores through `append_batch`, which also hands the batch's
//! exemplars to [`Exemplars`] once the deltas are durable.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use ingest::{Batch, IngestReport, RemoteWriteError, RemoteWriteReport};
use jiff::Timestamp;
use store::{SeriesKey, Store};

use crate::auth::Tokens;
use crate::catalog::Catalog;
use crate::error::ApiError;
use crate::exemplars::{Exemplars, ReservoirLimits};

/// Where "now" comes from; tests and the demo may pin it.
pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

/// The wall clock.
#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// Request limits; each protects the server from one kind of overload.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Largest request body accepted, after decompression (413 beyond).
    pub max_body_bytes: usize,
    /// Longest NDJSON line accepted (that line is rejected, the rest kept).
    pub max_line_bytes: usize,
    /// Ingest requests processed at once; more wait briefly, then get 503.
    pub max_concurrent_ingest: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 32 << 20,
            max_line_bytes: 64 << 10,
            max_concurrent_ingest: 16,
        }
    }
}

/// How the server was started.
#[derive(Clone, Debug, Default)]
pub struct ServerOptions {
    /// Spec files or folders, re-read on reload.
    pub config_paths: Vec<PathBuf>,
    /// Accept common deviations from OpenSLO with warnings.
    pub lenient: bool,
    /// Bearer tokens; `None` means no authentication (loopback only).
    pub tokens: Option<Tokens>,
    /// Request limits.
    pub limits: Limits,
    /// Events older than this many minutes are rejected (the store drops them anyway).
    pub retention_minutes: i64,
    /// Which spans become events (default: SERVER and CONSUMER spans, and roots).
    pub otlp_spans: otlp::SpanSelection,
    /// Which log records become events (default: all).
    pub otlp_logs: otlp::LogSelection,
}

/// Counters behind Lodestar's own operational figures (`/metrics`).
#[derive(Debug, Default)]
pub struct Counters {
    pub events_accepted: AtomicU64,
    pub events_rejected: AtomicU64,
    pub ingest_requests: AtomicU64,
    /// Remote-write samples stored / refused, and requests.
    pub samples_accepted: AtomicU64,
    pub samples_rejected: AtomicU64,
    pub remote_write_requests: AtomicU64,
    /// OTLP spans and log records stored / refused, and export requests.
    pub otlp_accepted: AtomicU64,
    pub otlp_rejected: AtomicU64,
    pub otlp_requests: AtomicU64,
    pub reloads: AtomicU64,
    pub reload_failures: AtomicU64,
    /// Time spent evaluating SLOs for reads, by bucket.
    pub evaluation: DurationHistogram,
}

/// A fixed-bucket histogram of durations, lock-free.
#[derive(Debug, Default)]
pub struct DurationHistogram {
    /// Cumulative counts are computed at render time; these are per bucket.
    counts: [AtomicU64; DURATION_BUCKETS.len() + 1],
    /// Sum of observed durations in microseconds.
    sum_micros: AtomicU64,
}

/// Upper bounds (seconds) of the evaluation-duration buckets.
pub const DURATION_BUCKETS: [f64; 11] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

impl DurationHistogram {
    pub fn observe(&self, d: std::time::Duration) {
        let secs = d.as_secs_f64();
        let i = DURATION_BUCKETS
            .iter()
            .position(|b| secs <= *b)
            .unwrap_or(DURATION_BUCKETS.len());
        self.counts[i].fetch_add(1, Ordering::Relaxed);
        self.sum_micros
            .fetch_add(d.as_micros() as u64, Ordering::Relaxed);
    }

    /// (cumulative count per bucket including +Inf, sum in seconds).
    pub fn snapshot(&self) -> (Vec<u64>, f64) {
        let mut acc = 0;
        let cumulative = self
            .counts
            .iter()
            .map(|c| {
                acc += c.load(Ordering::Relaxed);
                acc
            })
            .collect();
        (
            cumulative,
            self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6,
        )
    }
}

/// Everything a request handler needs.
pub struct AppState {
    /// The durable store; shared with background compaction.
    pub store: Arc<Store>,
    /// The specs in force, replaced whole by a successful reload.
    catalog: RwLock<Arc<Catalog>>,
    /// Start-up options.
    pub options: ServerOptions,
    /// Source of "now".
    pub clock: Arc<dyn Clock>,
    /// Bounds concurrent ingest work (overload answers 503 + Retry-After).
    pub ingest_permits: tokio::sync::Semaphore,
    /// Operational counters.
    pub counters: Counters,
    /// Remote-write counter baselines; survives reloads (see `ingest::CounterState`).
    pub remote_write: ingest::CounterState,
    /// A sample of every SLI's bad events, for drill-down; survives reloads.
    pub exemplars: Exemplars,
    /// Change events, hooks and the actions taken (release gates, flag-off).
    pub decisions: crate::decisions::Decisions,
    /// Alert states, notification outbox and delivery figures.
    pub alerting: crate::alerting::Alerting,
    /// Corrections made through the API (spec ones live in the catalog).
    pub corrections: crate::corrections::CorrectionLog,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// Builds the state from a loaded catalog.
    pub fn new(
        store: Arc<Store>,
        catalog: Catalog,
        options: ServerOptions,
        clock: Arc<dyn Clock>,
    ) -> AppState {
        catalog.seed_segments(&store.series());
        for sli in catalog.full_resolution_slis() {
            store.keep_minutes(sli, true);
        }
        let permits = options.limits.max_concurrent_ingest.max(1);
        AppState {
            store,
            catalog: RwLock::new(Arc::new(catalog)),
            options,
            clock,
            ingest_permits: tokio::sync::Semaphore::new(permits),
            counters: Counters::default(),
            remote_write: ingest::CounterState::new(),
            exemplars: Exemplars::new(ReservoirLimits::default()),
            decisions: crate::decisions::Decisions::in_memory(),
            alerting: crate::alerting::Alerting::in_memory(Default::default()),
            corrections: crate::corrections::CorrectionLog::in_memory(),
        }
    }

    /// Keeps alert states, the notification outbox and API corrections
    /// under `dir` (the data folder), restoring what a previous run left.
    pub fn with_alerting_in(
        mut self,
        dir: &std::path::Path,
        options: crate::alerting::AlertingOptions,
    ) -> Result<AppState, String> {
        self.alerting = crate::alerting::Alerting::open(&dir.join("alerts"), options)?;
        self.corrections = crate::corrections::CorrectionLog::open(dir)?;
        self.attach_corrections(&self.catalog());
        Ok(self)
    }

    /// Gives `catalog` the API's corrections; invalid ones (their SLO was
    /// removed from the spec) are logged and skipped.
    pub fn attach_corrections(&self, catalog: &Catalog) {
        let (entries, warnings) = self.corrections.entries(catalog);
        for w in warnings {
            tracing::warn!("{w}");
        }
        catalog.corrections.set_api(Arc::new(entries));
    }

    /// Persists exemplars in `dir` (the data directory), loading what a
    /// previous run left there; an unreadable file is logged and replaced.
    /// Without this, exemplars live in memory only.
    pub fn with_exemplars_in(mut self, dir: &std::path::Path) -> AppState {
        let (exemplars, problem) = Exemplars::open(dir, ReservoirLimits::default());
        if let Some(p) = problem {
            tracing::warn!("{p}");
        }
        self.exemplars = exemplars;
        self
    }

    /// Writes a store snapshot, then the exemplar file. An exemplar failure
    /// is logged rather than returned: exemplars are a sample, outside the
    /// durability guarantee.
    pub fn snapshot(&self) -> Result<(), store::StoreError> {
        let stored = self.store.snapshot();
        self.save_exemplars();
        stored
    }

    /// Periodic upkeep of the exemplars: drops those past the retention at
    /// `now`, and saves the file if anything changed.
    pub fn maintain_exemplars(&self, now: Timestamp) {
        let oldest = now
            .as_millisecond()
            .saturating_sub(self.options.retention_minutes.saturating_mul(60_000));
        self.exemplars.prune(oldest);
        self.save_exemplars();
    }

    fn save_exemplars(&self) {
        if let Err(e) = self.exemplars.save() {
            tracing::warn!("{e}");
        }
    }

    /// The catalog in force now.
    pub fn catalog(&self) -> Arc<Catalog> {
        self.catalog
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Re-reads the spec files; an invalid set is refused with its
    /// diagnostics and the running set stays.
    pub fn reload(&self) -> Result<Arc<Catalog>, Vec<String>> {
        let loaded = Catalog::load(&self.options.config_paths, self.options.lenient);
        let catalog = match loaded {
            Ok(c) => c,
            Err(diags) => {
                self.counters
                    .reload_failures
                    .fetch_add(1, Ordering::Relaxed);
                return Err(diags);
            }
        };
        catalog.seed_segments(&self.store.series());
        for sli in catalog.full_resolution_slis() {
            self.store.keep_minutes(sli, true);
        }
        self.attach_corrections(&catalog);
        let catalog = Arc::new(catalog);
        *self.catalog.write().unwrap_or_else(|e| e.into_inner()) = catalog.clone();
        self.counters.reloads.fetch_add(1, Ordering::Relaxed);
        Ok(catalog)
    }

    /// Decodes, matches, aggregates and durably stores an NDJSON body; when
    /// this returns Ok, the accepted events survive a crash. Blocking: call
    /// it from a blocking thread.
    pub fn ingest_ndjson(&self, body: &[u8]) -> Result<IngestReport, ApiError> {
        let now = self.clock.now();
        let catalog = self.catalog();
        let limits = ingest::Limits {
            max_line_bytes: self.options.limits.max_line_bytes,
            oldest_allowed: now
                .checked_sub(jiff::SignedDuration::from_mins(
                    self.options.retention_minutes,
                ))
                .unwrap_or(Timestamp::MIN),
            max_future_secs: 300,
            max_listed_errors: 100,
            max_decoded_bytes: self.options.limits.max_body_bytes,
        };
        let report = with_batch(|batch| {
            let report = catalog.pipeline.ingest_ndjson(body, &limits, now, batch);
            self.append_batch(batch, "events").map(|()| report)
        })?;
        self.counters
            .ingest_requests
            .fetch_add(1, Ordering::Relaxed);
        self.counters
            .events_accepted
            .fetch_add(report.accepted, Ordering::Relaxed);
        self.counters
            .events_rejected
            .fetch_add(report.rejected, Ordering::Relaxed);
        Ok(report)
    }

    /// Decodes a Prometheus remote-write body (snappy block format around a
    /// protobuf `WriteRequest`), turns the counters that SLI selectors match
    /// into increases, and stores them durably: when this returns Ok, they
    /// survive a crash. A body that does not decode is refused whole.
    /// Blocking: call it from a blocking thread.
    pub fn ingest_remote_write(&self, body: &[u8]) -> Result<RemoteWriteReport, ApiError> {
        let now = self.clock.now();
        let catalog = self.catalog();
        let limits = ingest::Limits {
            oldest_allowed: now
                .checked_sub(jiff::SignedDuration::from_mins(
                    self.options.retention_minutes,
                ))
                .unwrap_or(Timestamp::MIN),
            max_decoded_bytes: self.options.limits.max_body_bytes,
            ..ingest::Limits::with_oldest_allowed(Timestamp::MIN)
        };
        let report = with_batch(|batch| {
            let report = catalog
                .pipeline
                .ingest_remote_write(body, &limits, now, &self.remote_write, batch)
                .map_err(|e| match e {
                    RemoteWriteError::TooLarge { max, .. } => ApiError::TooLarge { limit: max },
                    other => ApiError::BadRequest(other.to_string()),
                })?;
            // A failed append loses these increases: the counter baselines have
            // already moved on (see the crate docs of `ingest::CounterState`).
            self.append_batch(batch, "remote-write samples")
                .map(|()| report)
        })?;
        self.counters
            .remote_write_requests
            .fetch_add(1, Ordering::Relaxed);
        self.counters
            .samples_accepted
            .fetch_add(report.accepted, Ordering::Relaxed);
        self.counters
            .samples_rejected
            .fetch_add(report.rejected, Ordering::Relaxed);
        Ok(report)
    }

    /// Durably appends a batch's deltas (no-op when empty), then keeps its
    /// exemplars: only after the append, so an exemplar never shows an
    /// event the store refused.
    pub(crate) fn append_batch(&self, batch: &mut Batch, what: &str) -> Result<(), ApiError> {
        if batch.is_empty() {
            return Ok(());
        }
        let deltas: Vec<(SeriesKey, slo::Minute, slo::Bucket)> = batch
            .deltas()
            .into_iter()
            .map(|(k, m, b)| {
                (
                    SeriesKey {
                        sli: k.sli,
                        dimension: k.dimension,
                        value: k.value,
                    },
                    m,
                    b,
                )
            })
            .collect();
        self.store
            .append(&deltas)
            .map_err(|e| ApiError::Internal(format!("storing {what}: {e}")))?;
        self.exemplars.add(batch.take_exemplars());
        Ok(())
    }
}

impl AppState {
    /// Runs one ingest on a blocking thread once an ingest slot is free:
    /// waits at most 2 s for the slot, then answers overload (503 +
    /// Retry-After on HTTP, UNAVAILABLE on gRPC). Every transport's ingest
    /// goes through here, so they share one concurrency bound.
    pub async fn run_ingest<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&AppState) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let _permit = tokio::time::timeout(
            std::time::Duration::from_secs(2),
            self.ingest_permits.acquire(),
        )
        .await
        .map_err(|_| ApiError::Overloaded("too many ingest requests in progress".into()))?
        .map_err(|_| ApiError::Overloaded("shutting down".into()))?;
        let st = self.clone();
        tokio::task::spawn_blocking(move || f(&st))
            .await
            .map_err(|e| ApiError::Internal(format!("ingest task failed: {e}")))?
    }
}

/// Runs `f` with this thread's reusable batch, cleared: a batch keeps its
/// capacity and its caches of SLI and segment ids between requests, which
/// saves a good share of the ingest cost of a large request.
pub(crate) fn with_batch<T>(f: impl FnOnce(&mut Batch) -> T) -> T {
    thread_local! {
        static BATCH: std::cell::RefCell<Batch> = std::cell::RefCell::new(Batch::new());
    }
    BATCH.with_borrow_mut(|batch| {
        batch.clear();
        f(batch)
    })
}
