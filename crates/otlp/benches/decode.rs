//! OTLP trace throughput: a realistic `ExportTraceServiceRequest` (1,000
//! spans over 3 services, 8 resource attributes, ~10 attributes a span, a
//! mix of server, consumer, client and internal spans, some sampled) decoded
//! and mapped to events, alone and feeding a real `ingest::Pipeline` with
//! 20 SLIs, in protobuf and in JSON.
//!
//! Run with `cargo bench -p lodestar-otlp --bench decode`; criterion prints
//! elements/s, which are spans in the request per second (selected or not).
//! The request is checked once (how many spans the default selection
//! counts, and that the pipeline matches them) so that a broken generator
//! cannot report a fast no-op.

#[path = "../tests/it/encode.rs"]
mod encode;

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use encode::{Attributes, ResourceSpans, ScopeSpans, Span, TraceRequest, Value, attrs, s};
use ingest::{Batch, Field, Pipeline, PlanKind, SliPlan};
use otlp::{Format, SpanKinds, SpanSelection, TraceDecoder};

const T0: u64 = 1_738_324_500_000_000_000; // 2025-01-31T11:55:00Z
const SPANS: usize = 1_000;

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
const SERVICES: [&str; 3] = ["storefront", "checkout", "catalog"];
const REGIONS: [&str; 3] = ["eu-west-1", "us-east-1", "ap-south-1"];
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
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

fn resource(rng: &mut Rng, i: usize) -> Attributes {
    attrs(&[
        ("service.name", s(SERVICES[i])),
        ("service.namespace", s("shop")),
        ("service.version", s(rng.pick(&VERSIONS))),
        ("deployment.environment.name", s("production")),
        ("cloud.region", s(REGIONS[i])),
        (
            "host.name",
            s(&format!("{}-7d9f8b6c5-x{i}q2z", SERVICES[i])),
        ),
        ("telemetry.sdk.language", s("java")),
        ("telemetry.sdk.version", s("1.44.1")),
    ])
}

fn span(rng: &mut Rng, n: usize) -> Span {
    let (method, route) = rng.pick(&ROUTES);
    // 30 % server, 5 % consumer, 35 % client, 30 % internal; all children.
    let kind = match rng.next() % 100 {
        0..30 => 2,
        30..35 => 5,
        35..70 => 3,
        _ => 1,
    };
    let error = rng.next().is_multiple_of(50);
    let code = if error {
        rng.pick(&[500, 502, 503])
    } else {
        rng.pick(&[200, 200, 201, 404])
    };
    let start = T0 + (n as u64 * 300_000_000_000 / SPANS as u64);
    let duration = rng.next() % 900_000_000;
    let trace_state = match rng.next() % 10 {
        0 => "ot=th:8",
        1 => "ot=th:c;rv:0a1b2c3d4e5f60",
        _ => "",
    };
    let attributes = if kind == 3 {
        attrs(&[
            ("db.system", s("postgresql")),
            ("db.namespace", s("orders")),
            ("db.operation.name", s("SELECT")),
            (
                "db.query.text",
                s("SELECT id, total FROM orders WHERE customer_id = $1"),
            ),
            ("server.address", s("orders-db.internal")),
            ("server.port", Value::Int(5432)),
            ("network.peer.address", s("10.0.3.17")),
            ("thread.name", s("http-nio-8080-exec-7")),
            ("customer.tier", s(rng.pick(&TIERS))),
        ])
    } else {
        attrs(&[
            ("http.request.method", s(method)),
            ("http.route", s(route)),
            ("http.response.status_code", Value::Int(code)),
            ("url.path", s(&route.replace("{id}", "81723"))),
            ("url.scheme", s("https")),
            ("server.address", s("shop.example.com")),
            ("network.protocol.version", s("1.1")),
            ("client.address", s("203.0.113.42")),
            (
                "user_agent.original",
                s("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"),
            ),
            ("customer.tier", s(rng.pick(&TIERS))),
            (
                "feature.new_checkout",
                Value::Bool(rng.next().is_multiple_of(2)),
            ),
        ])
    };
    Span {
        trace_id: rng.bytes(16),
        span_id: rng.bytes(8),
        trace_state: trace_state.into(),
        parent_span_id: rng.bytes(8),
        name: format!("{method} {route}"),
        kind,
        start,
        end: start + duration,
        attributes,
        status_message: String::new(),
        status_code: if error { 2 } else { 0 },
    }
}

fn request() -> TraceRequest {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut n = 0;
    let resources = (0..3)
        .map(|i| {
            let count = if i < 2 { 333 } else { SPANS - 666 };
            let spans = (0..count)
                .map(|_| {
                    n += 1;
                    span(&mut rng, n)
                })
                .collect();
            ResourceSpans {
                resource: resource(&mut rng, i),
                scopes: vec![ScopeSpans {
                    scope_name: "io.opentelemetry.tomcat-10.0".into(),
                    scope_attributes: vec![],
                    spans,
                }],
            }
        })
        .collect();
    TraceRequest { resources }
}

fn plans(segments: &[&str]) -> Vec<SliPlan> {
    let segments: Vec<String> = segments.iter().map(|s| s.to_string()).collect();
    let plan = |name: String, kind: PlanKind| SliPlan {
        name,
        kind,
        segments: segments.clone(),
        max_segment_values: 50,
        exemplar_threshold: None,
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
    let ratio = |total: &str, good: &str| PlanKind::Ratio {
        total: total.to_owned(),
        good: Some(good.to_owned()),
        bad: None,
    };
    plans.push(plan(
        "search fast".into(),
        ratio(r#"name == "GET /search""#, "duration_ms <= 300"),
    ));
    plans.push(plan(
        "server errors".into(),
        PlanKind::Ratio {
            total: "true".to_owned(),
            good: None,
            bad: Some(r#"int(attributes["http.response.status_code"]) >= 500"#.to_owned()),
        },
    ));
    plans.push(plan(
        "pay ok".into(),
        ratio(
            r#"attributes["http.route"] == "/pay" && status == "ok""#,
            "duration_ms < 800",
        ),
    ));
    plans.push(plan(
        "eu latency".into(),
        PlanKind::Threshold {
            filter: r#"attributes["cloud.region"].startsWith("eu-")"#.to_owned(),
            field: Field::DurationMs,
        },
    ));
    plans.push(plan(
        "canary".into(),
        ratio(
            r#"attributes["service.version"] in ["v1.5.1-canary"]"#,
            r#"status == "ok""#,
        ),
    ));
    plans.push(plan(
        "enterprise writes".into(),
        ratio(
            r#"attributes["customer.tier"] == "enterprise" && attributes["http.request.method"] == "POST""#,
            r#"status == "ok" && duration_ms <= 500"#,
        ),
    ));
    assert_eq!(plans.len(), 20);
    plans
}

fn bench(c: &mut Criterion) {
    let req = request();
    let protobuf = req.to_protobuf();
    let json = req.to_json();
    let full = Pipeline::compile(&plans(&["cloud.region", "service.version"])).unwrap();
    let unsegmented = Pipeline::compile(&plans(&[])).unwrap();
    let default = SpanSelection::default();
    let all = SpanSelection::all();
    let none = SpanSelection {
        kinds: SpanKinds::NONE,
        include_roots: false,
    };

    let mut decoder = TraceDecoder::new();
    let mut batch = Batch::new();
    let summary = decoder
        .decode(&protobuf, Format::Protobuf, &default, &mut |ev| {
            full.ingest_event(ev, &mut batch)
        })
        .unwrap();
    assert_eq!(summary.received, SPANS as u64);
    assert!(
        summary.counted > 300 && summary.counted < 400,
        "{summary:?}"
    );
    assert!(!batch.is_empty());
    let mut json_batch = Batch::new();
    let json_summary = decoder
        .decode(&json, Format::Json, &default, &mut |ev| {
            full.ingest_event(ev, &mut json_batch)
        })
        .unwrap();
    assert_eq!(json_summary, summary);
    eprintln!(
        "request: {} spans, {} counted by the default selection, {} bytes protobuf, {} bytes json",
        summary.received,
        summary.counted,
        protobuf.len(),
        json.len()
    );

    let mut group = c.benchmark_group("otlp_traces");
    group.throughput(Throughput::Elements(SPANS as u64));
    group.sample_size(30);
    group.measurement_time(Duration::from_secs(4));
    group.bench_function("protobuf walk, nothing selected (floor)", |b| {
        b.iter(|| decoder.decode(black_box(&protobuf), Format::Protobuf, &none, &mut |_| {}))
    });
    group.bench_function("protobuf decode only, default selection", |b| {
        b.iter(|| {
            decoder.decode(
                black_box(&protobuf),
                Format::Protobuf,
                &default,
                &mut |ev| {
                    black_box(ev.attributes.len());
                },
            )
        })
    });
    group.bench_function("protobuf decode only, every span", |b| {
        b.iter(|| {
            decoder.decode(black_box(&protobuf), Format::Protobuf, &all, &mut |ev| {
                black_box(ev.attributes.len());
            })
        })
    });
    for (label, pipeline, selection) in [
        (
            "protobuf + 20 SLIs, default selection",
            &unsegmented,
            &default,
        ),
        (
            "protobuf + 20 SLIs + 2 segments, default selection",
            &full,
            &default,
        ),
        ("protobuf + 20 SLIs + 2 segments, every span", &full, &all),
    ] {
        group.bench_function(label, |b| {
            let mut batch = Batch::new();
            b.iter(|| {
                batch.clear();
                decoder.decode(
                    black_box(&protobuf),
                    Format::Protobuf,
                    selection,
                    &mut |ev| pipeline.ingest_event(ev, &mut batch),
                )
            })
        });
    }
    group.bench_function("json + 20 SLIs + 2 segments, default selection", |b| {
        let mut batch = Batch::new();
        b.iter(|| {
            batch.clear();
            decoder.decode(black_box(&json), Format::Json, &default, &mut |ev| {
                full.ingest_event(ev, &mut batch)
            })
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
