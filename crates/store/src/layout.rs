//! The data directory on disk: file names, listing, directory fsync and the
//! exclusive lock.
//!
//! ```text
//! LOCK                                  flock(2)ed while a Store is open; holds the pid
//! wal-00000000000000000007.log          WAL segment 7
//! snapshot-00000000000000000006.snap    state after every record of segments <= 6
//! *.tmp                                 an unfinished snapshot; deleted at open
//! ```
//!
//! Segment and snapshot numbers share one sequence, so "snapshot N covers
//! segments <= N" is a plain comparison. Unknown files are left alone. This
//! module decides nothing about contents.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::error::StoreError;

const SEGMENT_PREFIX: &str = "wal-";
const SEGMENT_SUFFIX: &str = ".log";
const SNAPSHOT_PREFIX: &str = "snapshot-";
const SNAPSHOT_SUFFIX: &str = ".snap";
const TEMP_SUFFIX: &str = ".tmp";
const LOCK_NAME: &str = "LOCK";

pub(crate) fn segment_path(dir: &Path, n: u64) -> PathBuf {
    dir.join(format!("{SEGMENT_PREFIX}{n:020}{SEGMENT_SUFFIX}"))
}

pub(crate) fn snapshot_path(dir: &Path, n: u64) -> PathBuf {
    dir.join(format!("{SNAPSHOT_PREFIX}{n:020}{SNAPSHOT_SUFFIX}"))
}

pub(crate) fn temp_path(final_path: &Path) -> PathBuf {
    let mut s = final_path.as_os_str().to_owned();
    s.push(TEMP_SUFFIX);
    PathBuf::from(s)
}

/// Store files found in the directory.
#[derive(Debug, Default)]
pub(crate) struct Listing {
    pub segments: BTreeMap<u64, PathBuf>,
    pub snapshots: BTreeMap<u64, PathBuf>,
    pub temps: Vec<PathBuf>,
}

fn number_in(name: &str, prefix: &str, suffix: &str) -> Option<u64> {
    let digits = name.strip_prefix(prefix)?.strip_suffix(suffix)?;
    if digits.len() != 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

pub(crate) fn list(dir: &Path) -> Result<Listing, StoreError> {
    let mut out = Listing::default();
    let entries =
        fs::read_dir(dir).map_err(|e| StoreError::io("list the data directory", dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| StoreError::io("list the data directory", dir, e))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.ends_with(TEMP_SUFFIX)
            && (name.starts_with(SNAPSHOT_PREFIX) || name.starts_with(SEGMENT_PREFIX))
        {
            out.temps.push(entry.path());
        } else if let Some(n) = number_in(name, SEGMENT_PREFIX, SEGMENT_SUFFIX) {
            out.segments.insert(n, entry.path());
        } else if let Some(n) = number_in(name, SNAPSHOT_PREFIX, SNAPSHOT_SUFFIX) {
            out.snapshots.insert(n, entry.path());
        }
    }
    Ok(out)
}

/// Makes creations, renames and deletions in `dir` durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    let d =
        File::open(dir).map_err(|e| StoreError::io("open the data directory for fsync", dir, e))?;
    d.sync_all()
        .map_err(|e| StoreError::io("fsync the data directory", dir, e))
}

/// Holds the directory's `LOCK` file locked for the life of the store; the
/// kernel drops the lock when the process dies, so `kill -9` leaves no stale
/// lock behind.
#[derive(Debug)]
pub(crate) struct DirLock {
    _file: File,
}

impl DirLock {
    pub fn acquire(dir: &Path) -> Result<DirLock, StoreError> {
        let path = dir.join(LOCK_NAME);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| StoreError::io("open the lock file", &path, e))?;
        match try_lock_exclusive(&file) {
            Ok(true) => {}
            Ok(false) => {
                let mut holder = String::new();
                // Best effort: the pid only makes the message more useful.
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                let holder = if holder.is_empty() {
                    String::new()
                } else {
                    format!(" (pid {holder})")
                };
                return Err(StoreError::Locked {
                    dir: dir.to_path_buf(),
                    lock: path,
                    holder,
                });
            }
            Err(e) => return Err(StoreError::io("lock", &path, e)),
        }
        let pid = std::process::id().to_string();
        file.set_len(0)
            .and_then(|()| file.seek(SeekFrom::Start(0)))
            .and_then(|_| file.write_all(pid.as_bytes()))
            .map_err(|e| StoreError::io("write the pid into the lock file", &path, e))?;
        Ok(DirLock { _file: file })
    }
}

/// `Ok(false)` when another open file description holds the lock.
#[cfg(unix)]
fn try_lock_exclusive(file: &File) -> std::io::Result<bool> {
    use rustix::fs::{FlockOperation, flock};
    match flock(file, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(true),
        Err(e) if e == rustix::io::Errno::WOULDBLOCK => Ok(false),
        Err(e) => Err(e.into()),
    }
}

#[cfg(not(unix))]
#[allow(clippy::incompatible_msrv)] // non-Unix builds need Rust 1.89 for File::try_lock
fn try_lock_exclusive(file: &File) -> std::io::Result<bool> {
    match file.try_lock() {
        Ok(()) => Ok(true),
        Err(std::fs::TryLockError::WouldBlock) => Ok(false),
        Err(std::fs::TryLockError::Error(e)) => Err(e),
    }
}
