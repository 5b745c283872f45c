//! Exemplars kept for drill-down: per SLI, a bounded sample of its bad
//! events (trace id, span id, time, the attributes that matter), fed from
//! every ingest path once its batch is durably stored, and served by
//! `GET /api/v1/slos/{name}/exemplars`.
//!
//! Policy, per SLI:
//! - the [`ReservoirLimits::recent`] newest exemplars by event time, so the
//!   current incident is always well covered;
//! - plus [`ReservoirLimits::sampled`] exemplars chosen uniformly among all
//!   older ones (bottom-k sampling on a hash of the exemplar: each one that
//!   falls out of the recent set keeps its place only while its hash is
//!   among the k lowest seen), so an incident of last week keeps a share of
//!   exemplars proportional to its share of bad events;
//! - nothing older than the retention (`prune`, run with compaction).
//!
//! Ingest already caps each SLI at `ingest::EXEMPLARS_PER_BATCH` exemplars
//! a request, so a failure storm costs a few insertions here per request.
//! Exemplars are a sample, not data: they are written to `exemplars.json` in
//! the data directory on snapshot, shutdown and every maintenance tick
//! (atomically: a temporary file, fsync, rename), not with each append, so
//! a `kill -9` loses the exemplars of the last minute while every
//! acknowledged event stays counted. A file that does not parse is ignored
//! with a warning. This module must not feed or read the store.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::catalog::{Catalog, Source};
use crate::error::{ApiError, ExemplarFileError};

/// The file, in the data directory, that exemplars persist to.
pub const FILE_NAME: &str = "exemplars.json";
/// Identifies the file's contents (and its version) to a reader.
const FORMAT: &str = "lodestar-exemplars";
const VERSION: u32 = 1;

/// How many exemplars an SLI keeps (see the module docs for the policy).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReservoirLimits {
    /// The newest exemplars by event time.
    pub recent: usize,
    /// A uniform sample of the older ones.
    pub sampled: usize,
}

impl Default for ReservoirLimits {
    /// 100 + 100: about 80 KB per SLI with typical attributes (at most
    /// ~9 KB an exemplar when every text is at its 256-byte bound).
    fn default() -> Self {
        ReservoirLimits {
            recent: 100,
            sampled: 100,
        }
    }
}

/// One kept exemplar; `ingest::Exemplar` without its SLI (the key it is
/// kept under), in the shape it is persisted in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredExemplar {
    /// Milliseconds since the Unix epoch.
    pub timestamp_ms: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span_id: Option<String>,
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<f64>,
    /// Threshold SLIs: the value that missed the objective.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    #[serde(default)]
    pub status_error: bool,
    #[serde(default = "one")]
    pub sample_rate: f64,
    #[serde(default)]
    pub attributes: Vec<(String, String)>,
}

fn one() -> f64 {
    1.0
}

impl From<ingest::Exemplar> for StoredExemplar {
    fn from(e: ingest::Exemplar) -> Self {
        StoredExemplar {
            timestamp_ms: e.timestamp_ms,
            trace_id: e.trace_id,
            span_id: e.span_id,
            name: e.name,
            duration_ms: e.duration_ms,
            value: e.value,
            status_error: e.status_error,
            sample_rate: e.sample_rate,
            attributes: e.attributes,
        }
    }
}

impl StoredExemplar {
    /// A stable pseudo-random rank (FNV-1a over the identifying fields,
    /// then a 64-bit finaliser): deterministic, so a reloaded reservoir
    /// makes the same choices as the one that wrote the file.
    fn rank(&self) -> u64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut eat = |bytes: &[u8]| {
            for b in bytes {
                h ^= u64::from(*b);
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
            h ^= 0xff;
            h = h.wrapping_mul(0x0100_0000_01b3);
        };
        eat(&self.timestamp_ms.to_le_bytes());
        eat(self.trace_id.as_deref().unwrap_or("").as_bytes());
        eat(self.span_id.as_deref().unwrap_or("").as_bytes());
        eat(self.name.as_bytes());
        let mut z = h;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// The exemplar as the API serves it.
    pub fn to_json(&self) -> Value {
        let time = Timestamp::from_millisecond(self.timestamp_ms)
            .map(|t| t.to_string())
            .unwrap_or_default();
        let attributes: serde_json::Map<String, Value> = self
            .attributes
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        json!({
            "time": time,
            "trace_id": self.trace_id,
            "span_id": self.span_id,
            "name": self.name,
            "duration_ms": self.duration_ms,
            "value": self.value,
            "status": if self.status_error { "error" } else { "ok" },
            "sample_rate": self.sample_rate,
            "attributes": attributes,
        })
    }
}

/// One SLI's exemplars.
#[derive(Debug, Default)]
struct Reservoir {
    /// The newest, sorted by time (oldest first).
    recent: Vec<StoredExemplar>,
    /// Older ones with their rank: the lowest-ranked of all that left
    /// `recent`, in no order.
    sampled: Vec<(u64, StoredExemplar)>,
}

impl Reservoir {
    fn insert(&mut self, e: StoredExemplar, limits: ReservoirLimits) {
        let at = self
            .recent
            .partition_point(|x| x.timestamp_ms <= e.timestamp_ms);
        if self.recent.len() < limits.recent {
            self.recent.insert(at, e);
            return;
        }
        if at == 0 {
            // Older than every recent one.
            self.offer_sampled(e, limits);
            return;
        }
        self.recent.insert(at, e);
        let oldest = self.recent.remove(0);
        self.offer_sampled(oldest, limits);
    }

    fn offer_sampled(&mut self, e: StoredExemplar, limits: ReservoirLimits) {
        let rank = e.rank();
        if self.sampled.len() < limits.sampled {
            self.sampled.push((rank, e));
            return;
        }
        if let Some(worst) = self.sampled.iter_mut().max_by_key(|(r, _)| *r)
            && rank < worst.0
        {
            *worst = (rank, e);
        }
    }

    fn len(&self) -> usize {
        self.recent.len() + self.sampled.len()
    }

    fn iter(&self) -> impl Iterator<Item = &StoredExemplar> {
        self.recent
            .iter()
            .chain(self.sampled.iter().map(|(_, e)| e))
    }
}

#[derive(Debug, Default)]
struct Inner {
    by_sli: HashMap<String, Reservoir>,
    /// Bumped by every change; compared with `saved` to skip idle saves.
    changes: u64,
    /// `changes` as of the last successful save (or load).
    saved: u64,
}

/// Every SLI's exemplars; `Send + Sync`, one per server.
#[derive(Debug)]
pub struct Exemplars {
    limits: ReservoirLimits,
    inner: Mutex<Inner>,
    /// Where `save` writes; `None` keeps exemplars in memory only.
    file: Option<PathBuf>,
    /// Serialises writers of the temporary file.
    save_lock: Mutex<()>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What the exemplar file holds.
#[derive(Serialize, Deserialize)]
struct FileContents {
    format: String,
    version: u32,
    slis: HashMap<String, Vec<StoredExemplar>>,
}

/// Which exemplars a read asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExemplarQuery {
    /// Inclusive start, epoch milliseconds.
    pub from_ms: i64,
    /// Exclusive end, epoch milliseconds.
    pub to_ms: i64,
    /// At most this many per objective, newest first.
    pub limit: usize,
}

impl Exemplars {
    /// Exemplars kept in memory only.
    pub fn new(limits: ReservoirLimits) -> Exemplars {
        Exemplars {
            limits,
            inner: Mutex::default(),
            file: None,
            save_lock: Mutex::new(()),
        }
    }

    /// Exemplars persisted to `dir/exemplars.json`, loaded from it now. A
    /// missing file starts empty; a file that cannot be read or parsed
    /// also starts empty and is returned as the error beside the (usable)
    /// exemplars, to be logged: exemplars are a sample, not worth refusing
    /// to start over.
    pub fn open(dir: &Path, limits: ReservoirLimits) -> (Exemplars, Option<ExemplarFileError>) {
        let path = dir.join(FILE_NAME);
        let mut out = Exemplars {
            file: Some(path.clone()),
            ..Exemplars::new(limits)
        };
        let problem = match std::fs::read(&path) {
            Ok(bytes) => out.load(&path, &bytes).err(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(source) => Some(ExemplarFileError::Read { path, source }),
        };
        (out, problem)
    }

    fn load(&mut self, path: &Path, bytes: &[u8]) -> Result<(), ExemplarFileError> {
        let parse_error = |message: String| ExemplarFileError::Parse {
            path: path.to_path_buf(),
            message,
        };
        let contents: FileContents =
            serde_json::from_slice(bytes).map_err(|e| parse_error(e.to_string()))?;
        if contents.format != FORMAT || contents.version != VERSION {
            return Err(parse_error(format!(
                "format {:?} version {}; expected {FORMAT:?} version {VERSION}",
                contents.format, contents.version
            )));
        }
        let inner = self.inner.get_mut().unwrap_or_else(PoisonError::into_inner);
        for (sli, mut list) in contents.slis {
            list.sort_by_key(|e| e.timestamp_ms);
            let r = inner.by_sli.entry(sli).or_default();
            for e in list {
                r.insert(e, self.limits);
            }
        }
        Ok(())
    }

    /// Keeps a batch's exemplars (call once the batch is durably stored).
    pub fn add(&self, batch: Vec<ingest::Exemplar>) {
        if batch.is_empty() {
            return;
        }
        let mut inner = lock(&self.inner);
        inner.changes += 1;
        for e in batch {
            // Looked up by `&str` first: the SLI's name is allocated once.
            if !inner.by_sli.contains_key(&*e.sli) {
                inner.by_sli.insert(e.sli.to_string(), Reservoir::default());
            }
            if let Some(r) = inner.by_sli.get_mut(&*e.sli) {
                r.insert(e.into(), self.limits);
            }
        }
    }

    /// The exemplars of `sli` within the query's range, newest first.
    pub fn query(&self, sli: &str, q: ExemplarQuery) -> Vec<StoredExemplar> {
        let inner = lock(&self.inner);
        let Some(r) = inner.by_sli.get(sli) else {
            return Vec::new();
        };
        let mut out: Vec<StoredExemplar> = r
            .iter()
            .filter(|e| e.timestamp_ms >= q.from_ms && e.timestamp_ms < q.to_ms)
            .cloned()
            .collect();
        out.sort_by_key(|e| std::cmp::Reverse(e.timestamp_ms));
        out.truncate(q.limit);
        out
    }

    /// Exemplars held, over every SLI.
    pub fn len(&self) -> usize {
        lock(&self.inner).by_sli.values().map(Reservoir::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops exemplars older than `oldest_ms` (the retention); returns how
    /// many.
    pub fn prune(&self, oldest_ms: i64) -> usize {
        let mut inner = lock(&self.inner);
        let mut dropped = 0;
        for r in inner.by_sli.values_mut() {
            let before = r.len();
            r.recent.retain(|e| e.timestamp_ms >= oldest_ms);
            r.sampled.retain(|(_, e)| e.timestamp_ms >= oldest_ms);
            dropped += before - r.len();
        }
        inner.by_sli.retain(|_, r| r.len() > 0);
        if dropped > 0 {
            inner.changes += 1;
        }
        dropped
    }

    /// Writes the file if anything changed since the last save; `Ok(true)`
    /// when it wrote. Atomic: readers see the old file or the new one.
    pub fn save(&self) -> Result<bool, ExemplarFileError> {
        let Some(path) = &self.file else {
            return Ok(false);
        };
        let _writer = lock(&self.save_lock);
        let (bytes, changes) = {
            let inner = lock(&self.inner);
            if inner.changes == inner.saved {
                return Ok(false);
            }
            let contents = FileContents {
                format: FORMAT.to_owned(),
                version: VERSION,
                slis: inner
                    .by_sli
                    .iter()
                    .map(|(sli, r)| (sli.clone(), r.iter().cloned().collect()))
                    .collect(),
            };
            let bytes = serde_json::to_vec(&contents).map_err(|e| ExemplarFileError::Write {
                path: path.clone(),
                source: std::io::Error::other(e),
            })?;
            (bytes, inner.changes)
        };
        write_atomically(path, &bytes).map_err(|source| ExemplarFileError::Write {
            path: path.clone(),
            source,
        })?;
        let mut inner = lock(&self.inner);
        inner.saved = inner.saved.max(changes);
        Ok(true)
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// The largest `limit` a read may ask for.
pub const MAX_LIMIT: usize = 1000;
/// The `limit` of a read that gives none.
pub const DEFAULT_LIMIT: usize = 100;

/// `{"slo", "from", "to", "objectives": [{"name", "sli", "exemplars"}]}`
/// for SLO `name`, or 404. `from`/`to` default to the SLO's window at
/// `now` (the request's `at`); objectives whose data is not Lodestar's own
/// events list none.
pub fn exemplars_document(
    catalog: &Catalog,
    exemplars: &Exemplars,
    name: &str,
    from: Option<Timestamp>,
    to: Option<Timestamp>,
    limit: Option<usize>,
    now: Timestamp,
) -> Result<Value, ApiError> {
    let entry = catalog
        .slo(name)
        .ok_or_else(|| ApiError::NotFound(format!("no SLO named {name:?}")))?;
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(ApiError::BadRequest(format!(
            "query parameter limit={limit}: expected 1 to {MAX_LIMIT}"
        )));
    }
    let window = entry
        .objectives
        .iter()
        .find_map(|o| o.def.as_ref().ok())
        .map(|def| slo::window_bounds(&def.window, now));
    // Without a valid definition there is no window; 28 days is the usual one.
    let (window_from, window_to) = window.unwrap_or_else(|| {
        let m = slo::minute_of(now);
        (m - 28 * 1440 + 1, m + 1)
    });
    let from_ms = match from {
        Some(t) => t.as_millisecond(),
        None => window_from.saturating_mul(60_000),
    };
    let to_ms = match to {
        Some(t) => t.as_millisecond(),
        None => window_to.saturating_mul(60_000),
    };
    if from_ms >= to_ms {
        return Err(ApiError::BadRequest(format!(
            "query parameters from and to: from ({}) must be before to ({})",
            text_of(from_ms),
            text_of(to_ms)
        )));
    }
    let q = ExemplarQuery {
        from_ms,
        to_ms,
        limit,
    };
    let objectives: Vec<Value> = entry
        .objectives
        .iter()
        .map(|o| match &o.source {
            Source::Events { sli } => {
                let list: Vec<Value> = exemplars
                    .query(sli, q)
                    .iter()
                    .map(StoredExemplar::to_json)
                    .collect();
                json!({ "name": o.name, "sli": sli, "exemplars": list })
            }
            _ => json!({
                "name": o.name,
                "sli": Value::Null,
                "exemplars": [],
                "note": "exemplars are kept for SLIs computed from Lodestar's own events only",
            }),
        })
        .collect();
    Ok(json!({
        "slo": name,
        "from": text_of(from_ms),
        "to": text_of(to_ms),
        "objectives": objectives,
    }))
}

fn text_of(ms: i64) -> String {
    Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| ms.to_string())
}

#[cfg(test)]
mod tests;
