//! Opening a data directory: newest valid snapshot, then the WAL segments
//! after it, then a fresh segment to write to.
//!
//! Fallback: a snapshot that fails its checks is skipped (and reported) in
//! favour of the previous one; the store keeps one snapshot generation and
//! the WAL after it for exactly this. Missing segments after the chosen
//! snapshot, or damage anywhere but the torn tail of the newest segment, are
//! errors: silently serving a hole in the data would be worse than refusing.
//! This module reads and repairs files; it never writes state.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::StoreError;
use crate::layout;
use crate::record::Record;
use crate::snapshot;
use crate::state::State;
use crate::wal;

/// What `Store::open` found and did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OpenReport {
    /// The snapshot recovery started from, if any.
    pub snapshot: Option<PathBuf>,
    /// Newer snapshots that failed their checks, with the reason.
    pub skipped_snapshots: Vec<(PathBuf, String)>,
    pub segments_replayed: usize,
    pub records_replayed: u64,
    /// The unacknowledged record a crash left half-written, now cut off.
    pub torn_tail: Option<TornTail>,
    /// Unfinished snapshot files deleted.
    pub temp_files_removed: usize,
    /// Live series after recovery.
    pub series: usize,
}

/// Where a torn last record was found and how much was dropped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TornTail {
    pub file: PathBuf,
    pub offset: u64,
    pub bytes_dropped: u64,
}

/// Store files and their sizes, as the store tracks them after opening.
#[derive(Debug, Default)]
pub(crate) struct Files {
    /// Closed WAL segments still on disk (not the one being written).
    pub segments: BTreeMap<u64, u64>,
    pub snapshots: BTreeMap<u64, u64>,
    /// The newest snapshot known to load; recovery falls back to it.
    pub good_snapshot: Option<u64>,
}

pub(crate) struct Recovered {
    pub state: State,
    pub files: Files,
    pub report: OpenReport,
    /// Number for the segment to create (above every existing file).
    pub next_number: u64,
}

fn file_len(path: &Path) -> Result<u64, StoreError> {
    std::fs::metadata(path)
        .map(|m| m.len())
        .map_err(|e| StoreError::io("stat", path, e))
}

pub(crate) fn recover(dir: &Path) -> Result<Recovered, StoreError> {
    let listing = layout::list(dir)?;
    let mut report = OpenReport::default();
    for tmp in &listing.temps {
        std::fs::remove_file(tmp)
            .map_err(|e| StoreError::io("delete unfinished snapshot", tmp, e))?;
        report.temp_files_removed += 1;
    }

    let mut base: Option<(u64, State)> = None;
    let mut first_error: Option<StoreError> = None;
    for (&n, path) in listing.snapshots.iter().rev() {
        match snapshot::read(path, n) {
            Ok(state) => {
                report.snapshot = Some(path.clone());
                base = Some((n, state));
                break;
            }
            Err(e @ StoreError::Corrupt { .. }) => {
                report.skipped_snapshots.push((path.clone(), e.to_string()));
                first_error.get_or_insert(e);
            }
            Err(e) => return Err(e),
        }
    }
    let (covered, mut state) = match base {
        Some((n, s)) => (n, s),
        None => (0, State::new()),
    };

    // Segments after the snapshot must run without a gap from covered + 1
    // (segment numbers start at 1).
    let needed: Vec<(u64, &PathBuf)> = listing
        .segments
        .range(covered + 1..)
        .map(|(n, p)| (*n, p))
        .collect();
    for (expect, (n, _)) in (covered + 1..).zip(&needed) {
        if *n != expect {
            return Err(first_error.unwrap_or_else(|| {
                StoreError::corrupt(
                    layout::segment_path(dir, expect),
                    0,
                    format!(
                        "WAL segment {expect} (segments after it exist; it is needed to recover)"
                    ),
                )
            }));
        }
    }
    if covered == 0 && needed.is_empty() {
        // Every snapshot is damaged and no WAL reaches back to the start:
        // an empty store would silently lose everything.
        if let Some(e) = first_error {
            return Err(e);
        }
    }

    let last = needed.last().map(|(n, _)| *n);
    for (n, path) in &needed {
        let newest = Some(*n) == last;
        let end = wal::read_segment(path, *n, newest, &mut |offset, record| {
            match record {
                Record::Batch(b) => state
                    .apply_batch(&b)
                    .map_err(|expected| StoreError::corrupt(path.as_path(), offset, expected))?,
                Record::Compact(c) => {
                    state.apply_compact(&c);
                }
            }
            Ok(())
        })?;
        report.segments_replayed += 1;
        report.records_replayed += end.records;
        if let Some((offset, bytes_dropped)) = end.torn {
            wal::cut_torn_tail(path, *n, offset)?;
            report.torn_tail = Some(TornTail {
                file: (*path).clone(),
                offset,
                bytes_dropped,
            });
        }
    }

    let mut files = Files {
        good_snapshot: report.snapshot.as_ref().map(|_| covered),
        ..Files::default()
    };
    for (&n, path) in &listing.segments {
        files.segments.insert(n, file_len(path)?);
    }
    for (&n, path) in &listing.snapshots {
        files.snapshots.insert(n, file_len(path)?);
    }
    let next_number = listing
        .segments
        .keys()
        .last()
        .copied()
        .max(listing.snapshots.keys().last().copied())
        .unwrap_or(0)
        + 1;
    report.series = state.live().count();
    Ok(Recovered {
        state,
        files,
        report,
        next_number,
    })
}
