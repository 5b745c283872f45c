//! `Store`: the durable front of the state. It orders every change as
//! "log the record, apply it, wait until the record is durable", takes
//! snapshots, and tracks the files on disk.
//!
//! Locks, always taken in this order: `snapshot_lock` → `log` → `state`.
//! The `log` mutex serialises writers, so the state cannot change while it
//! is held; readers only take `state` (shared) and never wait for a sync.
//! Group commit (`wal::GroupCommit`) runs after `log` is released.
//!
//! The store never reads the clock: `compact` takes `now`.

use std::path::PathBuf;
use std::sync::{
    Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard, TryLockError,
};

use slo::{Bucket, Minute};

use crate::error::StoreError;
use crate::key::SeriesKey;
use crate::layout::{self, DirLock};
use crate::reader::StoreReader;
use crate::record;
use crate::recovery::{self, Files, OpenReport};
use crate::snapshot;
use crate::state::{CompactReport, State};
use crate::wal::{GroupCommit, Poison, WalAppendError, WalWriter};

/// Where the store lives and how long it keeps what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreConfig {
    /// Data directory; created if missing.
    pub dir: PathBuf,
    /// Everything older than this (in minutes, hour-aligned) is dropped by `compact`.
    pub retention_minutes: i64,
    /// Minute buckets older than this are dropped by `compact` (hours stay).
    pub minute_retention_minutes: i64,
    /// A snapshot is taken automatically once the WAL after the last
    /// snapshot exceeds this many bytes.
    pub snapshot_wal_bytes: u64,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            dir: PathBuf::from("lodestar-data"),
            retention_minutes: 35 * 24 * 60,
            minute_retention_minutes: 2 * 24 * 60,
            snapshot_wal_bytes: 64 << 20,
        }
    }
}

impl StoreConfig {
    fn validate(&self) -> Result<(), StoreError> {
        if self.retention_minutes <= 0 {
            return Err(StoreError::Config {
                field: "retention_minutes",
                value: self.retention_minutes.to_string(),
                expected: "a positive number of minutes",
            });
        }
        if self.minute_retention_minutes <= 0
            || self.minute_retention_minutes > self.retention_minutes
        {
            return Err(StoreError::Config {
                field: "minute_retention_minutes",
                value: self.minute_retention_minutes.to_string(),
                expected: "a positive number of minutes, at most retention_minutes",
            });
        }
        if self.snapshot_wal_bytes == 0 {
            return Err(StoreError::Config {
                field: "snapshot_wal_bytes",
                value: "0".into(),
                expected: "a positive number of bytes",
            });
        }
        Ok(())
    }
}

/// Sizes and counters, for `/metrics` and for sizing.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StoreStats {
    pub series: usize,
    pub minute_buckets: u64,
    pub hour_buckets: u64,
    /// Bytes in all WAL segments on disk.
    pub wal_bytes: u64,
    /// Bytes of the newest snapshot.
    pub snapshot_bytes: u64,
    /// Bytes of every store file on disk (WAL, current and previous snapshot).
    pub disk_bytes: u64,
    /// Estimated bytes held in memory by the series (see `Series::approx_memory_bytes`).
    pub approx_memory_bytes: u64,
    /// Records written and fdatasync calls made since open: group commit
    /// keeps syncs below records under concurrent appends.
    pub wal_records: u64,
    pub wal_syncs: u64,
    /// Why the last automatic snapshot failed, if it did (it is retried).
    pub last_snapshot_error: Option<String>,
}

/// The WAL writer and the files it produced, under one mutex.
#[derive(Debug)]
struct Log {
    writer: WalWriter,
    files: Files,
}

impl Log {
    /// WAL bytes written after the newest snapshot.
    fn bytes_since_snapshot(&self) -> u64 {
        let after = self.files.good_snapshot.map_or(0, |n| n + 1);
        self.files
            .segments
            .range(after..)
            .map(|(_, b)| b)
            .sum::<u64>()
            + self.writer.len
    }
}

/// The embedded SLI store. `Send + Sync`; share it as `Arc<Store>`.
#[derive(Debug)]
pub struct Store {
    config: StoreConfig,
    state: RwLock<State>,
    log: Mutex<Log>,
    commit: GroupCommit,
    poison: Poison,
    /// Serialises snapshots (explicit, automatic and the final one).
    snapshot_lock: Mutex<()>,
    last_snapshot_error: Mutex<Option<String>>,
    /// Held for the life of the store; dropping it releases the directory.
    _lock: DirLock,
}

// A panic while holding one of these leaves data that is still
// well-formed (sorted Vecs, complete files), so later users carry on.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
fn read<T>(m: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    m.read().unwrap_or_else(PoisonError::into_inner)
}
fn write<T>(m: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    m.write().unwrap_or_else(PoisonError::into_inner)
}

impl Store {
    /// Opens (or creates) the data directory, locks it and recovers its state.
    pub fn open(config: StoreConfig) -> Result<(Store, OpenReport), StoreError> {
        config.validate()?;
        std::fs::create_dir_all(&config.dir)
            .map_err(|e| StoreError::io("create the data directory", &config.dir, e))?;
        let dir_lock = DirLock::acquire(&config.dir)?;
        let recovered = recovery::recover(&config.dir)?;
        let writer = WalWriter::create(&config.dir, recovered.next_number, 0)?;
        let store = Store {
            state: RwLock::new(recovered.state),
            log: Mutex::new(Log {
                writer,
                files: recovered.files,
            }),
            commit: GroupCommit::default(),
            poison: Poison::default(),
            snapshot_lock: Mutex::new(()),
            last_snapshot_error: Mutex::new(None),
            _lock: dir_lock,
            config,
        };
        Ok((store, recovered.report))
    }

    /// The one write path: under the log mutex, `plan` turns the request
    /// into a record (or `None`: nothing to do), the record is written, then
    /// `apply` changes the state; after the mutex is released the caller
    /// waits until the record is durable.
    fn commit<P, R>(
        &self,
        plan: impl FnOnce(&State) -> Result<Option<P>, StoreError>,
        encode: impl FnOnce(&P, &mut Vec<u8>),
        apply: impl FnOnce(&mut State, P) -> R,
    ) -> Result<Option<R>, StoreError> {
        let (seq, out) = {
            let mut log = lock(&self.log);
            self.poison.check()?;
            let Some(planned) = plan(&read(&self.state))? else {
                return Ok(None);
            };
            let seq = match log.writer.append(|buf| encode(&planned, buf)) {
                Ok(seq) => seq,
                Err(WalAppendError::TooLarge { bytes, limit }) => {
                    return Err(StoreError::BatchTooLarge { bytes, limit });
                }
                Err(WalAppendError::Io(e)) => {
                    let path = log.writer.path.clone();
                    self.poison
                        .set(format!("writing to {} failed: {e}", path.display()));
                    return Err(StoreError::io("append to WAL segment", path, e));
                }
            };
            (seq, apply(&mut write(&self.state), planned))
        };
        self.commit.wait_durable(
            seq,
            &|| {
                let log = lock(&self.log);
                (
                    log.writer.seq,
                    log.writer.file.clone(),
                    log.writer.path.clone(),
                )
            },
            &self.poison,
        )?;
        Ok(Some(out))
    }

    /// Merges `deltas` into the stored buckets; when this returns `Ok`, they
    /// survive a crash, and the batch is recovered whole or not at all.
    /// Empty buckets, and deltas below the retention cut of the last
    /// `compact` (that range is gone), are left out.
    pub fn append(&self, deltas: &[(SeriesKey, Minute, Bucket)]) -> Result<(), StoreError> {
        if deltas.is_empty() {
            return Ok(());
        }
        self.commit(
            |state| Ok(Some(state.plan_batch(deltas)?).filter(|p| !p.deltas.is_empty())),
            |plan, buf| record::put_batch(buf, plan),
            // The plan was made from this very state under the log mutex.
            |state, plan| {
                state
                    .apply_batch(&plan)
                    .expect("a batch planned under the log mutex applies")
            },
        )?;
        self.snapshot_if_due();
        Ok(())
    }

    /// Whole-SLI series of `sli` keep minute buckets for the full retention
    /// (timeslice objectives need them). Configuration, not data: it is not
    /// persisted, so set it after every open, before the first `compact`.
    pub fn keep_minutes(&self, sli: &str, keep: bool) {
        let mut state = write(&self.state);
        if keep {
            state.keep.insert(sli.to_owned());
        } else {
            state.keep.remove(sli);
        }
    }

    /// A consistent view for reading many series. It holds a shared lock:
    /// appends wait while it is alive, so keep it short, and never call a
    /// writing method of the store while holding one (that deadlocks).
    pub fn read(&self) -> StoreReader<'_> {
        StoreReader::new(read(&self.state))
    }

    /// Applies retention as of `now`: minutes below `floor_hour(now -
    /// minute_retention)` (below `floor_hour(now - retention)` for kept
    /// series) and everything below `floor_hour(now - retention)` are
    /// dropped; series left empty are removed. Durable on `Ok`.
    pub fn compact(&self, now: Minute) -> Result<CompactReport, StoreError> {
        let (retention, minute_retention) = (
            self.config.retention_minutes,
            self.config.minute_retention_minutes,
        );
        let report = self.commit(
            |state| Ok(Some(state.plan_compact(now, retention, minute_retention))),
            |plan, buf| record::put_compact(buf, plan),
            |state, plan| state.apply_compact(&plan),
        )?;
        Ok(report.unwrap_or_default())
    }

    /// Writes the whole state to a new snapshot and deletes what it makes
    /// unnecessary (keeping one older generation to fall back on).
    pub fn snapshot(&self) -> Result<(), StoreError> {
        let _guard = lock(&self.snapshot_lock);
        self.snapshot_locked(false)
    }

    /// The automatic snapshot after an append; its failure must not fail
    /// the append (the data is already durable, and a retry by the client
    /// would store it twice), so it is recorded in `stats()` and retried.
    fn snapshot_if_due(&self) {
        if lock(&self.log).bytes_since_snapshot() <= self.config.snapshot_wal_bytes {
            return;
        }
        let _guard = match self.snapshot_lock.try_lock() {
            Ok(g) => g,
            Err(TryLockError::Poisoned(p)) => p.into_inner(),
            // Another thread is snapshotting already.
            Err(TryLockError::WouldBlock) => return,
        };
        let outcome = self.snapshot_locked(true);
        *lock(&self.last_snapshot_error) = outcome.err().map(|e| e.to_string());
    }

    fn snapshot_locked(&self, only_if_due: bool) -> Result<(), StoreError> {
        let dir = &self.config.dir;
        let (number, body) = {
            let mut log = lock(&self.log);
            self.poison.check()?;
            if only_if_due && log.bytes_since_snapshot() <= self.config.snapshot_wal_bytes {
                return Ok(());
            }
            // The snapshot stands for every record of this segment, so they
            // must be durable before it replaces them.
            if let Err(e) = log.writer.file.sync_data() {
                let path = log.writer.path.clone();
                self.poison
                    .set(format!("fdatasync of {} failed: {e}", path.display()));
                return Err(StoreError::io("fdatasync WAL segment", path, e));
            }
            self.commit.mark_synced(log.writer.seq);
            let number = log.writer.number;
            let next = WalWriter::create(dir, number + 1, log.writer.seq)?;
            let closed = std::mem::replace(&mut log.writer, next);
            log.files.segments.insert(closed.number, closed.len);
            let state = read(&self.state);
            let mut body = Vec::with_capacity(
                log.files
                    .snapshots
                    .values()
                    .last()
                    .map_or(1 << 16, |b| *b as usize),
            );
            state.encode(&mut body);
            (number, body)
        };
        let bytes = snapshot::write(dir, number, &body)?;
        drop(body);

        let mut log = lock(&self.log);
        log.files.snapshots.insert(number, bytes);
        let previous = log.files.good_snapshot.replace(number);
        // Keep `number` and `previous` (the fallback) and the WAL after
        // `previous`; a deletion that fails is retried at the next snapshot.
        let stale_snapshots: Vec<u64> = log
            .files
            .snapshots
            .range(..number)
            .map(|(n, _)| *n)
            .filter(|n| Some(*n) != previous)
            .collect();
        for n in stale_snapshots {
            if std::fs::remove_file(layout::snapshot_path(dir, n)).is_ok() {
                log.files.snapshots.remove(&n);
            }
        }
        if let Some(previous) = previous {
            let stale_segments: Vec<u64> = log
                .files
                .segments
                .range(..=previous)
                .map(|(n, _)| *n)
                .collect();
            for n in stale_segments {
                if std::fs::remove_file(layout::segment_path(dir, n)).is_ok() {
                    log.files.segments.remove(&n);
                }
            }
        }
        Ok(())
    }

    /// Every live series, in key order.
    pub fn series(&self) -> Vec<SeriesKey> {
        read(&self.state).keys().cloned().collect()
    }

    /// Sizes and counters. Walks every series (O(data)): meant for periodic
    /// scrapes, not for every request.
    pub fn stats(&self) -> StoreStats {
        let (wal_bytes, snapshot_bytes, disk_bytes, wal_records) = {
            let log = lock(&self.log);
            let wal = log.files.segments.values().sum::<u64>() + log.writer.len;
            let newest = log
                .files
                .good_snapshot
                .and_then(|n| log.files.snapshots.get(&n))
                .copied()
                .unwrap_or(0);
            (
                wal,
                newest,
                wal + log.files.snapshots.values().sum::<u64>(),
                log.writer.seq,
            )
        };
        let mut stats = StoreStats {
            wal_bytes,
            snapshot_bytes,
            disk_bytes,
            wal_records,
            wal_syncs: self.commit.syncs(),
            last_snapshot_error: lock(&self.last_snapshot_error).clone(),
            ..StoreStats::default()
        };
        let state = read(&self.state);
        for s in state.live() {
            stats.series += 1;
            stats.minute_buckets += s.minutes.len() as u64;
            stats.hour_buckets += s.hours.len() as u64;
            // The key index holds a second copy of each key.
            let index_entry = std::mem::size_of::<(SeriesKey, u32)>()
                + s.key.sli.len()
                + s.key.dimension.len()
                + s.key.value.len();
            stats.approx_memory_bytes += s.approx_memory_bytes() + index_entry as u64;
        }
        stats
    }

    /// Writes a final snapshot (so the next open replays nothing) and
    /// releases the directory. Dropping the store without `close` is safe
    /// too: it is what a crash looks like, and recovery handles it.
    pub fn close(self) -> Result<(), StoreError> {
        self.snapshot()
    }
}
