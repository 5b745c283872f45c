//! Evaluating 1,000 SLOs, each with 10 segments, over a 28-day rolling
//! window through the real store (hour rollups plus minute edges): the
//! figure behind "evaluation of 1,000 SLOs in ≤ 50 ms".

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use slo::{Bucket, Indicator, Method, Minute, ObjectiveDef, Window};
use store::{SeriesKey, Store, StoreConfig};

const SLOS: usize = 1000;
const SEGMENTS: usize = 10;
const DAYS: i64 = 28;

fn key(sli: usize, seg: Option<usize>) -> SeriesKey {
    SeriesKey {
        sli: format!("sli-{sli}"),
        dimension: if seg.is_some() {
            "region".into()
        } else {
            String::new()
        },
        value: seg.map(|s| format!("r{s}")).unwrap_or_default(),
    }
}

fn bucket(total: f64, bad: f64) -> Bucket {
    Bucket {
        good: total - bad,
        total,
        raw_good: (total - bad) as u64,
        raw_total: total as u64,
        values: None,
    }
}

/// 28 days of hourly data for every series, and the last 2 days per minute
/// for the whole-SLO series, as the store holds it after compaction.
fn fill(store: &Store, now: Minute) {
    let start = now - DAYS * 1440;
    for sli in 0..SLOS {
        let mut deltas = Vec::new();
        for h in 0..DAYS * 24 {
            let m = start + h * 60;
            if m >= now - 2 * 1440 {
                break;
            }
            for seg in 0..SEGMENTS {
                deltas.push((key(sli, Some(seg)), m, bucket(600.0, (h % 7) as f64)));
            }
            deltas.push((key(sli, None), m, bucket(6000.0, (h % 7) as f64 * 10.0)));
        }
        for m in (now - 2 * 1440)..=now {
            deltas.push((key(sli, None), m, bucket(100.0, (m % 3) as f64)));
            if m % 60 == 0 {
                for seg in 0..SEGMENTS {
                    deltas.push((key(sli, Some(seg)), m, bucket(600.0, 1.0)));
                }
            }
        }
        store.append(&deltas).expect("append");
    }
    store.compact(now).expect("compact");
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = Store::open(StoreConfig {
        dir: dir.path().to_path_buf(),
        ..StoreConfig::default()
    })
    .unwrap();
    let now_ts = jiff::Timestamp::from_second(1_790_000_000).unwrap();
    let now = now_ts.as_second() / 60;
    fill(&store, now);
    let def = ObjectiveDef {
        target: 0.999,
        indicator: Indicator::Ratio,
        method: Method::Occurrences,
        window: Window::Rolling {
            minutes: DAYS * 1440,
        },
    };
    let keys: Vec<Vec<SeriesKey>> = (0..SLOS)
        .map(|s| {
            std::iter::once(key(s, None))
                .chain((0..SEGMENTS).map(|g| key(s, Some(g))))
                .collect()
        })
        .collect();
    c.bench_function("evaluate 1000 SLOs x (1 + 10 segments), 28 d", |b| {
        b.iter(|| {
            let reader = store.read();
            let mut n = 0.0;
            for ks in &keys {
                for k in ks {
                    let view = reader.series(k).expect("series exists");
                    n += slo::evaluate(&def, &view, now_ts).budget.remaining;
                }
            }
            black_box(n)
        })
    });
    c.bench_function("evaluate 1000 SLOs (whole SLI only), 28 d", |b| {
        b.iter(|| {
            let reader = store.read();
            let mut n = 0.0;
            for ks in &keys {
                let view = reader.series(&ks[0]).expect("series exists");
                n += slo::evaluate(&def, &view, now_ts).budget.remaining;
            }
            black_box(n)
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench
}
criterion_main!(benches);
