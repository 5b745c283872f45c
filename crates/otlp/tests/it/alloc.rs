//! The protobuf path allocates nothing per span or attribute: a decoder
//! that has seen a request once decodes it again without a single
//! allocation. Counted by a global allocator that tallies, per thread, the
//! allocations it passes on to the system allocator.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use otlp::{Format, LogDecoder, LogSelection, SpanSelection, TraceDecoder};

use crate::it::encode::*;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

struct Counting;

// The only unsafe code in the crate's tests: a pass-through to `System`,
// which is what measuring allocations requires.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `alloc` above, i.e. from `System`.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: as for `dealloc`, and the new size comes from the caller.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

fn allocations_during(f: impl FnOnce()) -> u64 {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
}

fn span(i: u64, kind: i32) -> Span {
    Span {
        trace_id: vec![i as u8; 16],
        span_id: vec![7; 8],
        trace_state: if i.is_multiple_of(3) {
            "ot=th:8".into()
        } else {
            String::new()
        },
        parent_span_id: vec![1; 8],
        name: format!("GET /items/{i}"),
        kind,
        start: 1_738_324_800_000_000_000 + i,
        end: 1_738_324_800_000_000_000 + i * 1_000,
        attributes: attrs(&[
            ("http.route", s("/items/{id}")),
            ("http.response.status_code", Value::Int(200 + i as i64)),
            ("ratio", Value::Double(i as f64 / 7.0)),
            ("cached", Value::Bool(i.is_multiple_of(2))),
            ("tags", Value::Array(vec![s("a"), Value::Int(i as i64)])),
            ("blob", Value::Bytes(vec![i as u8; 5])),
        ]),
        ..Span::default()
    }
}

#[test]
fn a_warm_protobuf_decoder_allocates_nothing() {
    let req = TraceRequest {
        resources: (0..3)
            .map(|r| ResourceSpans {
                resource: attrs(&[("service.name", s("svc")), ("replica", Value::Int(r))]),
                scopes: vec![ScopeSpans {
                    scope_attributes: attrs(&[("lib.version", Value::Double(1.5))]),
                    spans: (0..200).map(|i| span(i, 1 + (i % 5) as i32)).collect(),
                    ..ScopeSpans::default()
                }],
            })
            .collect(),
    };
    let body = req.to_protobuf();
    let mut decoder = TraceDecoder::new();
    let mut seen = 0u64;
    let mut decode = |decoder: &mut TraceDecoder| {
        decoder
            .decode(&body, Format::Protobuf, &SpanSelection::all(), &mut |ev| {
                seen += ev.attributes.len() as u64;
            })
            .unwrap()
    };
    let mut first = None;
    let cold = allocations_during(|| first = Some(decode(&mut decoder)));
    // The counter works: a fresh decoder grows its buffers.
    assert!(cold > 0);
    let first = first.unwrap();
    let mut again = None;
    let n = allocations_during(|| again = Some(decode(&mut decoder)));
    assert_eq!(again.as_ref(), Some(&first));
    assert_eq!(first.counted, 600);
    assert!(seen > 600 * 10);
    assert_eq!(n, 0, "allocations while decoding a request the second time");
}

#[test]
fn a_warm_log_decoder_allocates_nothing() {
    let record = |i: u64| LogRecord {
        time: 1_738_324_800_000_000_000 + i,
        severity_number: 9 + (i % 12) as i32,
        severity_text: "INFO".into(),
        body: Some(s("checkout_completed")),
        attributes: attrs(&[
            ("duration_ms", Value::Double(12.5)),
            ("cart.items", Value::Int(3)),
        ]),
        trace_id: vec![3; 16],
        ..LogRecord::default()
    };
    let req = LogsRequest {
        resources: vec![ResourceLogs {
            resource: attrs(&[("service.name", s("web"))]),
            scopes: vec![ScopeLogs {
                records: (0..300).map(record).collect(),
                ..ScopeLogs::default()
            }],
        }],
    };
    let body = req.to_protobuf();
    let mut decoder = LogDecoder::new();
    let decode = |decoder: &mut LogDecoder| {
        decoder
            .decode(
                &body,
                Format::Protobuf,
                &LogSelection::default(),
                &mut |_| {},
            )
            .unwrap()
    };
    decode(&mut decoder);
    let n = allocations_during(|| {
        decode(&mut decoder);
    });
    assert_eq!(n, 0, "allocations while decoding a request the second time");
}

/// A metrics request in protobuf: counters, gauges and both histogram kinds,
/// each point with a few attributes.
fn metrics_request() -> Vec<u8> {
    fn varint(out: &mut Vec<u8>, mut v: u64) {
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }
    fn msg(field: u64, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        varint(&mut out, (field << 3) | 2);
        varint(&mut out, payload.len() as u64);
        out.extend_from_slice(payload);
        out
    }
    fn fixed(field: u64, v: u64) -> Vec<u8> {
        let mut out = Vec::new();
        varint(&mut out, (field << 3) | 1);
        out.extend_from_slice(&v.to_le_bytes());
        out
    }
    fn uint(field: u64, v: u64) -> Vec<u8> {
        let mut out = Vec::new();
        varint(&mut out, field << 3);
        varint(&mut out, v);
        out
    }
    fn kv(key: &str, value: &str) -> Vec<u8> {
        [msg(1, key.as_bytes()), msg(2, &msg(1, value.as_bytes()))].concat()
    }
    let t = 1_738_324_800_000_000_000u64;
    let attrs = |field: u64, i: u64| {
        [
            msg(field, &kv("http.route", &format!("/r{i}"))),
            msg(field, &kv("code", "200")),
        ]
        .concat()
    };
    let mut metrics = Vec::new();
    for i in 0..20 {
        let number = [attrs(7, i), fixed(2, t), fixed(3, t + i), fixed(6, i)].concat();
        let sum = [msg(1, &number), uint(2, 2), uint(3, 1)].concat();
        metrics.push([msg(1, b"shop.requests"), msg(7, &sum)].concat());
        metrics.push([msg(1, b"queue.depth"), msg(5, &msg(1, &number))].concat());
        let counts: Vec<u8> = [1u64, 2, 3, 4]
            .iter()
            .flat_map(|c| c.to_le_bytes())
            .collect();
        let bounds: Vec<u8> = [0.1f64, 0.3, 1.0]
            .iter()
            .flat_map(|b| b.to_bits().to_le_bytes())
            .collect();
        let h = [
            attrs(9, i),
            fixed(2, t),
            fixed(3, t + i),
            fixed(4, 10),
            fixed(5, 2.5f64.to_bits()),
            msg(6, &counts),
            msg(7, &bounds),
        ]
        .concat();
        metrics.push(
            [
                msg(1, b"rpc.duration"),
                msg(3, b"s"),
                msg(9, &[msg(1, &h), uint(2, 1)].concat()),
            ]
            .concat(),
        );
        let e = [
            attrs(1, i),
            fixed(2, t),
            fixed(3, t + i),
            fixed(4, 6),
            uint(6, 4),
            msg(8, &[uint(1, 3), msg(2, &[1, 2, 3])].concat()),
        ]
        .concat();
        metrics.push(
            [
                msg(1, b"rpc.latency"),
                msg(3, b"ms"),
                msg(10, &[msg(1, &e), uint(2, 2)].concat()),
            ]
            .concat(),
        );
    }
    let scope: Vec<u8> = metrics.iter().flat_map(|m| msg(2, m)).collect();
    let resource = [
        msg(1, &kv("service.name", "shop")),
        msg(1, &kv("service.instance.id", "i-1")),
    ]
    .concat();
    msg(1, &[msg(1, &resource), msg(2, &scope)].concat())
}

#[test]
fn a_warm_metric_decoder_allocates_nothing() {
    let body = metrics_request();
    let bounds = [otlp::LeBound {
        value: 0.3,
        text: "0.3".to_owned(),
    }];
    let mut decoder = otlp::MetricDecoder::new();
    let mut points = ingest::MetricPoints::new();
    let first = decoder
        .decode(&body, Format::Protobuf, &bounds, &mut points)
        .unwrap();
    assert_eq!(first.data_points, 80);
    // Sum, gauge, 3 buckets + +Inf + count + sum, 1 cut + +Inf + count.
    assert_eq!(first.series, 20 * (1 + 1 + 6 + 3));
    let n = allocations_during(|| {
        let again = decoder
            .decode(&body, Format::Protobuf, &bounds, &mut points)
            .unwrap();
        assert_eq!(again, first);
    });
    assert_eq!(n, 0, "allocations while decoding a metrics request again");
}
