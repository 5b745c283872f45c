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
