//! Durability and recovery: what a crash, a torn write, a flipped bit or a
//! second process leaves behind, and what `open` makes of it. Includes a
//! real `kill -9` of a child process that is appending.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use slo::Minute;
use store::{SeriesKey, Store, StoreConfig, StoreError};

use crate::it::buckets::{latency, ratio};
use crate::it::wal_file;

const M0: Minute = 29_000_000;

fn config(dir: &Path) -> StoreConfig {
    StoreConfig {
        dir: dir.to_path_buf(),
        ..StoreConfig::default()
    }
}

fn key() -> SeriesKey {
    SeriesKey::whole("checkout")
}

/// Appends batch `i`: one ratio delta at minute `M0 + i` (i good of i + 1)
/// and one latency delta on a segment.
fn append_batch(store: &Store, i: u64) {
    let m = M0 + i as i64;
    store
        .append(&[
            (key(), m, ratio(i, i + 1)),
            (
                SeriesKey::segment("checkout", "region", "eu"),
                m,
                latency(&[1.5 * i as f64, 20.0, 300.0]),
            ),
        ])
        .unwrap();
}

/// Raw totals per minute of the whole series.
fn minutes_present(store: &Store) -> Vec<(Minute, u64)> {
    let reader = store.read();
    let mut out = Vec::new();
    reader
        .series(&key())
        .unwrap_or_default()
        .for_each(M0 - 10_000, M0 + 10_000, &mut |m, b| {
            out.push((m, b.raw_total))
        });
    out
}

fn expected(n: u64) -> Vec<(Minute, u64)> {
    (0..n).map(|i| (M0 + i as i64, i + 1)).collect()
}

#[test]
fn appended_data_survives_drop_without_close() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (store, _) = Store::open(config(dir.path())).unwrap();
        for i in 0..20 {
            append_batch(&store, i);
        }
    }
    let (store, report) = Store::open(config(dir.path())).unwrap();
    assert_eq!(report.records_replayed, 20);
    assert_eq!(report.torn_tail, None);
    assert_eq!(report.series, 2);
    assert_eq!(minutes_present(&store), expected(20));
    let seg = store
        .read()
        .series(&SeriesKey::segment("checkout", "region", "eu"))
        .unwrap()
        .sum(M0, M0 + 20);
    assert_eq!(seg.values.unwrap().count(), 60.0);
}

#[test]
fn torn_last_record_is_dropped_reported_and_cut() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (store, _) = Store::open(config(dir.path())).unwrap();
        for i in 0..3 {
            append_batch(&store, i);
        }
    }
    let seg = wal_file::segments(dir.path()).pop().unwrap();
    let (offset, len) = *wal_file::frames(&seg).last().unwrap();
    wal_file::cut(&seg, offset + len / 2);

    let (store, report) = Store::open(config(dir.path())).unwrap();
    let torn = report.torn_tail.expect("torn tail reported");
    assert_eq!(
        (torn.file.as_path(), torn.offset, torn.bytes_dropped),
        (seg.as_path(), offset, len / 2)
    );
    assert_eq!(report.records_replayed, 2);
    assert_eq!(minutes_present(&store), expected(2));
    append_batch(&store, 2);
    drop(store);

    // The cut was made durable: the next open finds a clean segment.
    let (store, report) = Store::open(config(dir.path())).unwrap();
    assert_eq!(report.torn_tail, None);
    assert_eq!(minutes_present(&store), expected(3));
}

#[test]
fn bit_flip_in_last_record_is_a_torn_tail() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (store, _) = Store::open(config(dir.path())).unwrap();
        for i in 0..3 {
            append_batch(&store, i);
        }
    }
    let seg = wal_file::segments(dir.path()).pop().unwrap();
    let (offset, len) = *wal_file::frames(&seg).last().unwrap();
    wal_file::flip_byte(&seg, offset + len - 1);
    let (store, report) = Store::open(config(dir.path())).unwrap();
    assert_eq!(report.torn_tail.map(|t| t.offset), Some(offset));
    assert_eq!(minutes_present(&store), expected(2));
}

#[test]
fn zero_filled_tail_is_a_torn_tail() {
    // What a file system may show after a crash between extending the file
    // and writing the data.
    let dir = tempfile::tempdir().unwrap();
    {
        let (store, _) = Store::open(config(dir.path())).unwrap();
        append_batch(&store, 0);
    }
    let seg = wal_file::segments(dir.path()).pop().unwrap();
    let len = std::fs::metadata(&seg).unwrap().len();
    wal_file::cut(&seg, len + 4096);
    let (store, report) = Store::open(config(dir.path())).unwrap();
    assert_eq!(
        report.torn_tail.map(|t| (t.offset, t.bytes_dropped)),
        Some((len, 4096))
    );
    assert_eq!(minutes_present(&store), expected(1));
}

#[test]
fn corruption_in_the_middle_is_an_error_naming_file_and_offset() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (store, _) = Store::open(config(dir.path())).unwrap();
        for i in 0..3 {
            append_batch(&store, i);
        }
    }
    let seg = wal_file::segments(dir.path()).pop().unwrap();
    let (offset, len) = wal_file::frames(&seg)[1];
    wal_file::flip_byte(&seg, offset + len / 2);
    match Store::open(config(dir.path())) {
        Err(StoreError::Corrupt {
            file, offset: at, ..
        }) => {
            assert_eq!((file, at), (seg.clone(), offset));
        }
        other => panic!(
            "expected a corruption error, got {:?}",
            other.map(|(_, r)| r)
        ),
    }
    // The message names file and offset for the operator.
    let msg = Store::open(config(dir.path())).err().unwrap().to_string();
    assert!(
        msg.contains(&seg.display().to_string()) && msg.contains(&format!("byte {offset}")),
        "{msg}"
    );
}

#[test]
fn torn_record_in_an_older_segment_is_an_error() {
    // Only the segment being written at the crash may end torn; an older
    // one ending torn means data after it depends on lost data.
    let dir = tempfile::tempdir().unwrap();
    for round in 0..2 {
        let (store, _) = Store::open(config(dir.path())).unwrap();
        append_batch(&store, round);
    }
    let segs = wal_file::segments(dir.path());
    let older = segs
        .iter()
        .find(|s| !wal_file::frames(s).is_empty())
        .unwrap()
        .clone();
    let (offset, len) = *wal_file::frames(&older).last().unwrap();
    wal_file::cut(&older, offset + len - 3);
    let err = Store::open(config(dir.path())).expect_err("open fails");
    assert!(
        matches!(&err, StoreError::Corrupt { file, offset: at, .. } if *file == older && *at == offset),
        "{err}"
    );
}

#[test]
fn recovery_uses_snapshot_then_later_wal() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (store, _) = Store::open(config(dir.path())).unwrap();
        for i in 0..5 {
            append_batch(&store, i);
        }
        store.snapshot().unwrap();
        for i in 5..8 {
            append_batch(&store, i);
        }
    }
    let (store, report) = Store::open(config(dir.path())).unwrap();
    assert!(report.snapshot.is_some());
    assert_eq!(report.records_replayed, 3);
    assert_eq!(minutes_present(&store), expected(8));
    store.close().unwrap();

    let (store, report) = Store::open(config(dir.path())).unwrap();
    assert_eq!(report.records_replayed, 0, "close leaves nothing to replay");
    assert_eq!(minutes_present(&store), expected(8));
    let stats = store.stats();
    assert_eq!(stats.series, 2);
    assert!(
        stats.snapshot_bytes > 0 && stats.disk_bytes >= stats.snapshot_bytes + stats.wal_bytes,
        "{stats:?}"
    );
}

#[test]
fn damaged_newest_snapshot_falls_back_to_the_previous_one() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (store, _) = Store::open(config(dir.path())).unwrap();
        append_batch(&store, 0);
        store.snapshot().unwrap();
        append_batch(&store, 1);
        store.snapshot().unwrap();
        append_batch(&store, 2);
    }
    let snaps = wal_file::snapshots(dir.path());
    assert_eq!(snaps.len(), 2, "one older generation is kept");
    let newest = snaps.last().unwrap();
    wal_file::flip_byte(newest, std::fs::metadata(newest).unwrap().len() - 1);

    let (store, report) = Store::open(config(dir.path())).unwrap();
    assert_eq!(report.skipped_snapshots.len(), 1);
    assert_eq!(&report.skipped_snapshots[0].0, newest);
    assert_eq!(report.snapshot.as_ref(), Some(&snaps[0]));
    assert_eq!(minutes_present(&store), expected(3));
}

#[test]
fn snapshots_delete_what_they_make_unnecessary() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = Store::open(config(dir.path())).unwrap();
    for i in 0..4 {
        append_batch(&store, i);
        store.snapshot().unwrap();
    }
    // Current and previous snapshot, the WAL after the previous one.
    assert_eq!(wal_file::snapshots(dir.path()).len(), 2);
    assert_eq!(wal_file::segments(dir.path()).len(), 2);
}

#[test]
fn automatic_snapshot_bounds_the_wal() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = Store::open(StoreConfig {
        snapshot_wal_bytes: 4096,
        ..config(dir.path())
    })
    .unwrap();
    for i in 0..400 {
        append_batch(&store, i);
    }
    let stats = store.stats();
    assert!(stats.wal_bytes < 3 * 4096 + 1024, "{stats:?}");
    assert_eq!(stats.last_snapshot_error, None);
    drop(store);
    let (store, report) = Store::open(config(dir.path())).unwrap();
    assert!(report.snapshot.is_some());
    assert_eq!(minutes_present(&store), expected(400));
}

#[test]
fn second_open_of_a_locked_directory_fails_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = Store::open(config(dir.path())).unwrap();
    let err = Store::open(config(dir.path())).expect_err("locked");
    assert!(matches!(err, StoreError::Locked { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("in use") && msg.contains(&format!("pid {}", std::process::id())),
        "{msg}"
    );
    drop(store);
    Store::open(config(dir.path())).expect("the lock goes with the store");
}

#[test]
fn invalid_config_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let err = Store::open(StoreConfig {
        minute_retention_minutes: 100_000,
        ..config(dir.path())
    })
    .err()
    .unwrap();
    assert!(
        err.to_string()
            .contains("minute_retention_minutes is 100000"),
        "{err}"
    );
}

const CHILD_DIR_VAR: &str = "LODESTAR_STORE_KILL_TEST_DIR";

/// Not a test on its own: the body of the child process that
/// `acknowledged_appends_survive_kill_9` starts and kills. Without the
/// variable it returns at once.
#[test]
fn kill_9_child_writer() {
    let Ok(dir) = std::env::var(CHILD_DIR_VAR) else {
        return;
    };
    let (store, _) = Store::open(config(Path::new(&dir))).unwrap();
    let store = std::sync::Arc::new(store);
    // Two writers, so group commit is in play when the kill lands.
    let threads: Vec<_> = (0..2u64)
        .map(|t| {
            let store = store.clone();
            std::thread::spawn(move || {
                for i in 0.. {
                    let k = SeriesKey::segment("kill", "writer", t.to_string());
                    store.append(&[(k, M0 + i, ratio(1, 1))]).unwrap();
                    println!("ack {t} {i}");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

#[cfg(unix)]
#[test]
fn acknowledged_appends_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "it::crash::kill_9_child_writer",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_DIR_VAR, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut acked = [0i64; 2];
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    while acked.iter().sum::<i64>() < 300 {
        let line = lines.next().expect("child writes acks").unwrap();
        let parts: Vec<&str> = line.split_whitespace().collect();
        if let ["ack", t, i] = parts[..] {
            acked[t.parse::<usize>().unwrap()] = i.parse::<i64>().unwrap() + 1;
        }
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let (store, _) = Store::open(config(dir.path())).unwrap();
    let reader = store.read();
    for (t, n) in acked.iter().enumerate() {
        let view = reader
            .series(&SeriesKey::segment("kill", "writer", t.to_string()))
            .unwrap();
        let mut minutes = Vec::new();
        view.for_each(M0, M0 + *n, &mut |m, _| minutes.push(m));
        assert_eq!(
            minutes,
            (M0..M0 + n).collect::<Vec<_>>(),
            "writer {t}: every acknowledged minute is there"
        );
    }
}
