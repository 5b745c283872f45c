//! Ingest throughput: NDJSON decode, 20 SLI filters and aggregation into
//! per-minute buckets, on generated but realistic events (~280 bytes a line,
//! eight attributes, a few minutes of timestamps).
//!
//! The latency SLIs keep exemplars of events above 300 ms (two thirds of
//! them, a failure storm) and the ratio SLIs of their bad events, so the
//! figures include the exemplar sampling a real catalog asks for.
//!
//! Run with `cargo bench -p lodestar-ingest --bench ingest`; criterion prints
//! elements/s, which are events/s. The generated body is checked once (every
//! line accepted) so a broken generator cannot report a fast rejection rate.

use std::fmt::Write;
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ingest::{Batch, Field, Limits, Pipeline, PlanKind, SliPlan};

const NOW_MS: i64 = 1_738_324_800_000; // 2025-01-31T12:00:00Z
const EVENTS: usize = 10_000;

const ROUTES: [(&str, &str); 8] = [
    ("GET", "/search"),
    ("POST", "/pay"),
    ("GET", "/cart"),
    ("POST", "/cart/items"),
    ("GET", "/product/{id}"),
    ("POST", "/login"),
    ("GET", "/home"),
    ("GET", "/orders"),
];
const REGIONS: [&str; 4] = ["eu-west-1", "eu-central-1", "us-east-1", "ap-south-1"];
const VERSIONS: [&str; 3] = ["v1.4.2", "v1.5.0", "v1.5.1-canary"];
const TIERS: [&str; 3] = ["free", "pro", "enterprise"];

/// xorshift64*: deterministic data without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[(self.next() % items.len() as u64) as usize]
    }
}

fn body() -> String {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut out = String::with_capacity(EVENTS * 300);
    for i in 0..EVENTS {
        // Five minutes of traffic, in order, like a batching exporter sends.
        let ms = NOW_MS - 300_000 + (i as i64 * 300_000 / EVENTS as i64);
        let ts = jiff::Timestamp::from_millisecond(ms).unwrap();
        let (method, route) = rng.pick(&ROUTES);
        let error = rng.next().is_multiple_of(50);
        let code = if error {
            rng.pick(&["500", "502", "503"])
        } else {
            rng.pick(&["200", "200", "201", "404"])
        };
        let duration = (rng.next() % 90_000) as f64 / 100.0;
        let sampled = rng.next().is_multiple_of(10);
        writeln!(
            out,
            r#"{{"timestamp":"{ts}","name":"{method} {route}","duration_ms":{duration},"status":"{status}","sample_rate":{rate},"attributes":{{"http.route":"{route}","http.method":"{method}","http.response.status_code":"{code}","region":"{region}","version":"{version}","customer.tier":"{tier}","service.name":"storefront","host.name":"web-{host:02}"}}}}"#,
            status = if error { "error" } else { "ok" },
            rate = if sampled { 10 } else { 1 },
            region = rng.pick(&REGIONS),
            version = rng.pick(&VERSIONS),
            tier = rng.pick(&TIERS),
            host = rng.next() % 24,
        )
        .unwrap();
    }
    out
}

fn plans(segments: &[&str]) -> Vec<SliPlan> {
    let segments: Vec<String> = segments.iter().map(|s| s.to_string()).collect();
    let plan = |name: String, kind: PlanKind| SliPlan {
        exemplar_threshold: matches!(kind, PlanKind::Threshold { .. })
            .then_some((slo::Op::Lte, 300.0)),
        name,
        kind,
        segments: segments.clone(),
        max_segment_values: 50,
    };
    let mut plans = Vec::new();
    for (_, route) in ROUTES {
        plans.push(plan(
            format!("availability {route}"),
            PlanKind::Ratio {
                total: format!(r#"attributes["http.route"] == "{route}""#),
                good: Some(r#"status == "ok""#.to_owned()),
                bad: None,
            },
        ));
    }
    for (_, route) in &ROUTES[..6] {
        plans.push(plan(
            format!("latency {route}"),
            PlanKind::Threshold {
                filter: format!(r#"attributes["http.route"] == "{route}""#),
                field: Field::DurationMs,
            },
        ));
    }
    plans.push(plan(
        "search fast".to_owned(),
        PlanKind::Ratio {
            total: r#"name == "GET /search""#.to_owned(),
            good: Some("duration_ms <= 300".to_owned()),
            bad: None,
        },
    ));
    plans.push(plan(
        "server errors".to_owned(),
        PlanKind::Ratio {
            total: "true".to_owned(),
            good: None,
            bad: Some(r#"int(attributes["http.response.status_code"]) >= 500"#.to_owned()),
        },
    ));
    plans.push(plan(
        "enterprise pay".to_owned(),
        PlanKind::Ratio {
            total: r#"attributes["customer.tier"] == "enterprise" && attributes["http.route"] == "/pay""#.to_owned(),
            good: Some(r#"status == "ok" && duration_ms < 800"#.to_owned()),
            bad: None,
        },
    ));
    plans.push(plan(
        "eu latency".to_owned(),
        PlanKind::Threshold {
            filter: r#"attributes.region.startsWith("eu-")"#.to_owned(),
            field: Field::DurationMs,
        },
    ));
    plans.push(plan(
        "canary".to_owned(),
        PlanKind::Ratio {
            total: r#"attributes.version in ["v1.5.1-canary"]"#.to_owned(),
            good: Some(r#"status == "ok""#.to_owned()),
            bad: None,
        },
    ));
    plans.push(plan(
        "writes".to_owned(),
        PlanKind::Ratio {
            total: r#"attributes["http.method"] == "POST""#.to_owned(),
            good: Some(r#"status == "ok" && duration_ms <= 500"#.to_owned()),
            bad: None,
        },
    ));
    assert_eq!(plans.len(), 20);
    plans
}

fn bench(c: &mut Criterion) {
    let body = body();
    let limits = Limits::with_oldest_allowed(
        jiff::Timestamp::from_millisecond(NOW_MS - 86_400_000).unwrap(),
    );
    let now = jiff::Timestamp::from_millisecond(NOW_MS).unwrap();
    let full = Pipeline::compile(&plans(&["region", "version"])).unwrap();
    let unsegmented = Pipeline::compile(&plans(&[])).unwrap();
    let empty = Pipeline::compile(&[]).unwrap();
    let report = full.ingest_ndjson(body.as_bytes(), &limits, now, &mut Batch::new());
    assert_eq!(
        (report.accepted, report.rejected),
        (EVENTS as u64, 0),
        "{:?}",
        report.errors.first()
    );

    let mut group = c.benchmark_group("ingest_ndjson");
    group.throughput(Throughput::Elements(EVENTS as u64));
    // The floor: serde_json validating each line and discarding it.
    group.bench_function("serde_json IgnoredAny per line (floor)", |b| {
        b.iter(|| {
            for line in body.lines() {
                black_box(serde_json::from_str::<serde::de::IgnoredAny>(black_box(line)).unwrap());
            }
        })
    });
    group.bench_function(
        format!("decode only, {} B/line", body.len() / EVENTS),
        |b| {
            let mut batch = Batch::new();
            b.iter(|| {
                batch.clear();
                black_box(empty.ingest_ndjson(black_box(body.as_bytes()), &limits, now, &mut batch))
            })
        },
    );
    group.bench_function("decode + 20 SLIs, no segments", |b| {
        let mut batch = Batch::new();
        b.iter(|| {
            batch.clear();
            black_box(unsegmented.ingest_ndjson(
                black_box(body.as_bytes()),
                &limits,
                now,
                &mut batch,
            ))
        })
    });
    group.bench_function("decode + 20 SLIs + 2 segments", |b| {
        let mut batch = Batch::new();
        b.iter(|| {
            batch.clear();
            black_box(full.ingest_ndjson(black_box(body.as_bytes()), &limits, now, &mut batch))
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
