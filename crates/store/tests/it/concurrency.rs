//! Concurrent appenders and readers on one `Arc<Store>`: every append is
//! kept, readers see consistent sums, and group commit shares syncs.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use slo::Minute;
use store::{SeriesKey, Store, StoreConfig};

use crate::it::buckets::ratio;

const M0: Minute = 29_500_000;

#[test]
fn concurrent_appends_are_all_durable_and_readers_stay_consistent() {
    let dir = tempfile::tempdir().unwrap();
    let config = StoreConfig {
        dir: dir.path().to_path_buf(),
        snapshot_wal_bytes: 16 << 10,
        ..StoreConfig::default()
    };
    let (store, _) = Store::open(config.clone()).unwrap();
    let store = Arc::new(store);
    let (threads, per_thread) = (6u64, 150i64);
    let done = Arc::new(AtomicBool::new(false));

    // Every batch adds 1 good of 2 to the shared series, atomically, so any
    // consistent view has total == 2 * good.
    let reader = {
        let (store, done) = (store.clone(), done.clone());
        std::thread::spawn(move || {
            let mut views = 0;
            while !done.load(Ordering::Relaxed) {
                let b = store
                    .read()
                    .series(&SeriesKey::whole("shared"))
                    .unwrap_or_default()
                    .sum(M0, M0 + 10_000);
                assert_eq!(b.total, 2.0 * b.good);
                views += 1;
            }
            views
        })
    };
    let writers: Vec<_> = (0..threads)
        .map(|t| {
            let store = store.clone();
            std::thread::spawn(move || {
                for i in 0..per_thread {
                    let own = SeriesKey::segment("shared", "writer", t.to_string());
                    store
                        .append(&[
                            (own, M0 + i, ratio(1, 1)),
                            (SeriesKey::whole("shared"), M0 + i, ratio(1, 2)),
                        ])
                        .unwrap();
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    done.store(true, Ordering::Relaxed);
    assert!(reader.join().unwrap() > 0);

    let stats = store.stats();
    assert_eq!(stats.wal_records, threads * per_thread as u64);
    eprintln!(
        "{} records, {} fdatasyncs",
        stats.wal_records, stats.wal_syncs
    );
    drop(store);

    let (store, _) = Store::open(config).unwrap();
    let reader = store.read();
    let whole = reader
        .series(&SeriesKey::whole("shared"))
        .unwrap()
        .sum(M0, M0 + per_thread);
    assert_eq!(
        (whole.good, whole.total),
        (
            (threads * per_thread as u64) as f64,
            (2 * threads * per_thread as u64) as f64
        )
    );
    let segments = reader.segments("shared");
    assert_eq!(segments.len(), threads as usize);
    for (k, v) in segments {
        assert_eq!(
            v.sum(M0, M0 + per_thread).raw_total,
            per_thread as u64,
            "{k}"
        );
    }
}
