//! Store benchmarks: durable append throughput (single writer and
//! concurrent writers sharing syncs), `sum` over 28 days, `for_each` over a
//! day of minutes, recovery of 28 days × 100 series (from the snapshot, and
//! WAL replay speed), and the footprint per series-day in memory and on
//! disk. Data is realistic: 50 events per series-minute, 1 % errors for
//! ratio SLIs, log-normal latencies (median 80 ms, σ 0.6) for latency SLIs.
//!
//! Run: `cargo bench -p lodestar-store --bench store`. The footprint table
//! is printed before the timings. Time here comes from `Instant`, the only
//! clock allowed below the server.

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, Throughput};
use slo::{Bucket, Minute};
use store::{SeriesKey, Store, StoreConfig};

const DAY: Minute = 1440;
const EVENTS_PER_MINUTE: usize = 50;
/// 2024-01-01T00:00Z in minutes; data runs from here.
const START: Minute = 28_401_120;

/// SplitMix64: deterministic, dependency-free randomness for data generation.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        ((self.next() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn log_normal(&mut self, median: f64, sigma: f64) -> f64 {
        let n = (-2.0 * self.unit().ln()).sqrt() * (std::f64::consts::TAU * self.unit()).cos();
        median * (sigma * n).exp()
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Ratio,
    Latency,
}

fn minute_bucket(kind: Kind, rng: &mut Rng) -> Bucket {
    let mut b = Bucket::default();
    for _ in 0..EVENTS_PER_MINUTE {
        match kind {
            Kind::Ratio => b.add_event(rng.unit() > 0.01, 1.0),
            Kind::Latency => b.add_value(rng.log_normal(80.0, 0.6), 1.0),
        }
    }
    b
}

fn key(kind: Kind, i: usize) -> SeriesKey {
    match kind {
        Kind::Ratio => SeriesKey::whole(format!("ratio-{i}")),
        Kind::Latency => SeriesKey::whole(format!("latency-{i}")),
    }
}

fn config(dir: &Path) -> StoreConfig {
    StoreConfig {
        dir: dir.to_path_buf(),
        ..StoreConfig::default()
    }
}

/// Fills `days` of data for the given series, one append per simulated
/// hour (all series), compacting every simulated 6 hours like the server.
/// Returns the minute after the data.
fn fill(store: &Store, series: &[(Kind, usize)], days: i64, seed: u64) -> Minute {
    let mut rng = Rng(seed);
    let end = START + days * DAY;
    let mut batch = Vec::with_capacity(series.len() * 60);
    for hour in (START..end).step_by(60) {
        batch.clear();
        for m in hour..hour + 60 {
            for (kind, i) in series {
                batch.push((key(*kind, *i), m, minute_bucket(*kind, &mut rng)));
            }
        }
        store.append(&batch).unwrap();
        if (hour - START) % 360 == 300 {
            store.compact(hour + 60).unwrap();
        }
    }
    store.compact(end).unwrap();
    end
}

fn dir_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum()
}

/// Memory and disk bytes of `n` series of `kind` over `days`, after close
/// and reopen (disk = the snapshot, since close leaves no WAL to replay).
fn footprint_of(kind: Kind, n: usize, days: i64, keep: bool) -> (u64, u64, u64) {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = Store::open(config(dir.path())).unwrap();
    if keep {
        (0..n).for_each(|i| store.keep_minutes(&key(kind, i).sli, true));
    }
    let series: Vec<_> = (0..n).map(|i| (kind, i)).collect();
    fill(&store, &series, days, 7);
    let wal_per_series_day = store.stats().wal_bytes / (n as u64 * days as u64);
    store.close().unwrap();
    let (store, _) = Store::open(config(dir.path())).unwrap();
    let stats = store.stats();
    (
        stats.approx_memory_bytes,
        stats.snapshot_bytes,
        wal_per_series_day,
    )
}

fn report_footprint() {
    let n = 10;
    println!(
        "\nfootprint per series-day, {EVENTS_PER_MINUTE} events/minute (memory = stats().approx_memory_bytes, disk = snapshot bytes):"
    );
    for (kind, name) in [(Kind::Ratio, "ratio"), (Kind::Latency, "latency (sketch)")] {
        let (mem2, disk2, wal) = footprint_of(kind, n, 2, false);
        let (mem28, disk28, _) = footprint_of(kind, n, 28, false);
        let (mem_k, disk_k, _) = footprint_of(kind, n, 28, true);
        let per = |b: u64, days: u64| b / (n as u64 * days);
        println!(
            "  {name:17} minute tier (last 2 d): {:>7} B mem, {:>7} B disk | hour tier (older): {:>6} B mem, {:>6} B disk | keep_minutes, 28 d: {:>7} B mem, {:>7} B disk | WAL {:>7} B",
            per(mem2, 2),
            per(disk2, 2),
            per(mem28.saturating_sub(mem2), 26),
            per(disk28.saturating_sub(disk2), 26),
            per(mem_k, 28),
            per(disk_k, 28),
            wal,
        );
    }
}

fn bench_append(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = Store::open(config(dir.path())).unwrap();
    let store = Arc::new(store);
    let mut rng = Rng(1);
    let ratio_batch: Vec<_> = (0..100)
        .map(|i| {
            (
                key(Kind::Ratio, i),
                START,
                minute_bucket(Kind::Ratio, &mut rng),
            )
        })
        .collect();
    let latency_batch: Vec<_> = (0..100)
        .map(|i| {
            (
                key(Kind::Latency, i),
                START,
                minute_bucket(Kind::Latency, &mut rng),
            )
        })
        .collect();

    let mut g = c.benchmark_group("append");
    g.throughput(Throughput::Elements(1));
    g.bench_function("durable_1_delta", |b| {
        b.iter(|| store.append(&ratio_batch[..1]).unwrap())
    });
    g.throughput(Throughput::Elements(100));
    g.bench_function("durable_100_ratio_deltas", |b| {
        b.iter(|| store.append(&ratio_batch).unwrap())
    });
    g.bench_function("durable_100_latency_deltas", |b| {
        b.iter(|| store.append(&latency_batch).unwrap())
    });
    // 8 writers of 100-delta batches at once: group commit shares syncs.
    let writers = 8;
    g.throughput(Throughput::Elements(100 * writers));
    g.bench_function("durable_100_ratio_deltas_8_writers", |b| {
        b.iter_custom(|iters| {
            let t = Instant::now();
            let handles: Vec<_> = (0..writers)
                .map(|_| {
                    let (store, batch) = (store.clone(), ratio_batch.clone());
                    std::thread::spawn(move || {
                        (0..iters).for_each(|_| store.append(&batch).unwrap())
                    })
                })
                .collect();
            handles.into_iter().for_each(|h| h.join().unwrap());
            t.elapsed()
        })
    });
    g.finish();
    let s = store.stats();
    println!(
        "append: {} WAL records, {} fdatasyncs (group commit)",
        s.wal_records, s.wal_syncs
    );
}

/// 28 days × 100 series (50 ratio, 50 latency), closed; returns its end minute.
fn build_28d_100(dir: &Path) -> Minute {
    let t = Instant::now();
    let (store, _) = Store::open(config(dir)).unwrap();
    let series: Vec<_> = (0..50)
        .flat_map(|i| [(Kind::Ratio, i), (Kind::Latency, i)])
        .collect();
    let end = fill(&store, &series, 28, 3);
    let s = store.stats();
    store.close().unwrap();
    let snapshot = Store::open(config(dir)).unwrap().0.stats().snapshot_bytes;
    println!(
        "28 d × 100 series built in {:.1} s: {} minute + {} hour buckets, {:.1} MiB memory, newest snapshot {:.1} MiB, {:.1} MiB on disk (two snapshot generations + WAL)",
        t.elapsed().as_secs_f64(),
        s.minute_buckets,
        s.hour_buckets,
        s.approx_memory_bytes as f64 / (1 << 20) as f64,
        snapshot as f64 / (1 << 20) as f64,
        dir_bytes(dir) as f64 / (1 << 20) as f64,
    );
    end
}

fn bench_reads_and_recovery(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let end = build_28d_100(dir.path());
    let (store, _) = Store::open(config(dir.path())).unwrap();
    {
        let reader = store.read();
        let ratio = reader.series(&key(Kind::Ratio, 0)).unwrap();
        let latency = reader.series(&key(Kind::Latency, 0)).unwrap();
        // Ranges that start and end mid-hour, so both tiers and edges are used.
        let (from, to) = (end - 28 * DAY + 17, end - 3);
        let mut g = c.benchmark_group("sum");
        g.bench_function("28d_ratio", |b| {
            b.iter(|| black_box(ratio.sum(black_box(from), black_box(to))))
        });
        g.bench_function("28d_latency", |b| {
            b.iter(|| black_box(latency.sum(black_box(from), black_box(to))))
        });
        g.bench_function("1h_latency", |b| {
            b.iter(|| black_box(latency.sum(black_box(end - 77), black_box(end - 17))))
        });
        g.finish();
        let mut g = c.benchmark_group("for_each");
        g.bench_function("1d_minutes_latency", |b| {
            b.iter(|| {
                let mut n = 0.0;
                latency.for_each(end - DAY, end, &mut |_, b| n += b.total);
                black_box(n)
            })
        });
        g.finish();
    }
    drop(store);

    let mut g = c.benchmark_group("recovery");
    g.sample_size(10);
    g.bench_function("open_28d_100_series_from_snapshot", |b| {
        b.iter(|| black_box(Store::open(config(dir.path())).unwrap()))
    });
    g.finish();

    // WAL replay: one day of all 100 series with no snapshot, then a crash.
    let wal_dir = tempfile::tempdir().unwrap();
    let wal_config = StoreConfig {
        snapshot_wal_bytes: u64::MAX,
        ..config(wal_dir.path())
    };
    {
        let (store, _) = Store::open(wal_config.clone()).unwrap();
        let series: Vec<_> = (0..50)
            .flat_map(|i| [(Kind::Ratio, i), (Kind::Latency, i)])
            .collect();
        fill(&store, &series, 1, 5);
    }
    let wal_bytes = dir_bytes(wal_dir.path());
    let mut g = c.benchmark_group("replay");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(wal_bytes));
    g.bench_function("wal_1d_100_series", |b| {
        b.iter_batched(
            || (),
            |()| black_box(Store::open(wal_config.clone()).unwrap()),
            BatchSize::PerIteration,
        )
    });
    g.finish();
    println!(
        "WAL replayed above: {:.1} MiB",
        wal_bytes as f64 / (1 << 20) as f64
    );
}

fn main() {
    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .configure_from_args();
    // The footprint table and the 28-day data set take minutes to build:
    // skip them when a name filter (`cargo bench -- sum`) cannot match.
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let wanted = |names: &[&str]| {
        filter
            .as_deref()
            .is_none_or(|f| names.iter().any(|n| n.contains(f)))
    };
    if wanted(&["footprint"]) {
        report_footprint();
    }
    bench_append(&mut c);
    if wanted(&["sum", "for_each", "recovery", "replay"]) {
        bench_reads_and_recovery(&mut c);
    }
    c.final_summary();
}
