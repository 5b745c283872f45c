//! Remote-write throughput: snappy, the protobuf walk, counter state and 20
//! counter SLIs, on bodies shaped like the end-to-end benchmark's (10 k
//! series per request, 10 labels each, 100 k active series, one sample per
//! series, a fifth of the series selected by some SLI).
//!
//! Run with `cargo bench -p lodestar-ingest --bench remote_write`; criterion
//! prints elements/s, which are samples/s. Every measured call gets a body
//! with newer timestamps (encoded outside the measurement), so counters
//! advance as under a live sender, and the state is warmed with all 100 k
//! series first, as a running server would be.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use ingest::remote_write::WriteRequestEncoder;
use ingest::{Batch, CounterState, Limits, Pipeline, PlanKind, SliPlan};

const NOW_MS: i64 = 1_738_324_800_000; // 2025-01-31T12:00:00Z
const SERIES: usize = 100_000;
const PER_REQUEST: usize = 10_000;
const JOBS: [&str; 5] = ["api", "web", "checkout", "search", "auth"];
const CODES: [&str; 10] = [
    "200", "200", "200", "201", "204", "301", "404", "429", "500", "503",
];
const METHODS: [&str; 4] = ["GET", "POST", "PUT", "DELETE"];
const REGIONS: [&str; 3] = ["eu-west-1", "us-east-1", "ap-south-1"];
const VERSIONS: [&str; 2] = ["v1.41.0", "v1.42.0"];

/// The labels of series `i`, sorted by name as Prometheus sends them.
fn labels(i: usize) -> [(&'static str, String); 10] {
    [
        ("__name__", "http_requests_total".to_owned()),
        ("code", CODES[i % 10].to_owned()),
        (
            "instance",
            format!("10.0.{}.{}:9100", i / 250 % 256, i % 250),
        ),
        ("job", JOBS[i / 10 % 5].to_owned()),
        ("method", METHODS[i / 50 % 4].to_owned()),
        ("namespace", "prod".to_owned()),
        ("pod", format!("{}-{:05x}", JOBS[i / 10 % 5], i)),
        ("region", REGIONS[i / 200 % 3].to_owned()),
        ("route", format!("/r{}", i / 600 % 20)),
        ("version", VERSIONS[i / 1200 % 2].to_owned()),
    ]
}

/// Request `chunk` (of ten) of round `round`: cumulative counters at
/// `NOW_MS - 23 h + 1 s * round` (a day of retention leaves room for any
/// number of criterion iterations).
fn body(chunk: usize, round: i64) -> Vec<u8> {
    let mut enc = WriteRequestEncoder::new();
    let ts = NOW_MS - 23 * 3_600_000 + 1_000 * round;
    for i in chunk * PER_REQUEST..(chunk + 1) * PER_REQUEST {
        let rate = if CODES[i % 10].starts_with('5') {
            1
        } else {
            10
        };
        enc.push_series(&labels(i), &[((rate * round) as f64, ts)]);
    }
    enc.to_snappy()
}

fn plans() -> Vec<SliPlan> {
    (0..20)
        .map(|r| SliPlan {
            name: format!("api-r{r}"),
            kind: PlanKind::Counters {
                total: format!(r#"http_requests_total{{job="api",route="/r{r}"}}"#),
                good: Some(format!(
                    r#"http_requests_total{{job="api",route="/r{r}",code!~"5.."}}"#
                )),
                bad: None,
            },
            segments: if r < 5 {
                vec!["region".to_owned()]
            } else {
                vec![]
            },
            max_segment_values: 50,
            exemplar_threshold: None,
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let pipeline = Pipeline::compile(&plans()).unwrap();
    let limits = Limits::with_oldest_allowed(
        jiff::Timestamp::from_millisecond(NOW_MS - 86_400_000).unwrap(),
    );
    let now = jiff::Timestamp::from_millisecond(NOW_MS).unwrap();
    let state = CounterState::new();
    for chunk in 0..SERIES / PER_REQUEST {
        let mut batch = Batch::new();
        let r = pipeline
            .ingest_remote_write(&body(chunk, 0), &limits, now, &state, &mut batch)
            .unwrap();
        assert_eq!(r.accepted as usize, PER_REQUEST, "{:?}", r.errors.first());
    }
    assert_eq!(state.len(), SERIES);
    let sample = body(0, 1);
    println!(
        "body: {} bytes snappy, {:.1} bytes per series",
        sample.len(),
        sample.len() as f64 / PER_REQUEST as f64
    );
    let mut group = c.benchmark_group("remote_write");
    group.throughput(Throughput::Elements(PER_REQUEST as u64));
    group.sample_size(30);
    let mut next = 10usize;
    group.bench_function("10k_series_20_slis", |b| {
        b.iter_batched(
            || {
                next += 1;
                body(next % 10, (next / 10) as i64)
            },
            |body| {
                let mut batch = Batch::new();
                let r = pipeline
                    .ingest_remote_write(black_box(&body), &limits, now, &state, &mut batch)
                    .unwrap();
                assert_eq!(r.duplicates, 0);
                black_box(batch.deltas())
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
