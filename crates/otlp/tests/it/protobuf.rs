//! Hand-encoded protobuf requests: every span field, unknown fields at every
//! level, any field order, merged and repeated fields, negative varints,
//! empty ids, and a scalar sent packed.

use otlp::{Format, OtlpError, Segment, SpanSelection, WireProblem};

use crate::it::encode::*;
use crate::it::events::{self, Owned};

const START: u64 = 1_738_324_800_123_456_789;

/// A request with one resource and one scope around raw span messages.
fn request(resource: &[u8], scope: &[u8], spans: &[Vec<u8>]) -> Vec<u8> {
    let mut ss = Vec::new();
    len_field(&mut ss, 1, scope);
    for sp in spans {
        len_field(&mut ss, 2, sp);
    }
    let mut rs = Vec::new();
    len_field(&mut rs, 1, resource);
    len_field(&mut rs, 2, &ss);
    let mut out = Vec::new();
    len_field(&mut out, 1, &rs);
    out
}

fn kv(out: &mut Vec<u8>, field: u64, key: &str, value: &Value) {
    len_field(out, field, &key_value_proto(key, value));
}

fn decode_all(body: &[u8]) -> Vec<Owned> {
    events::traces(body, Format::Protobuf, &SpanSelection::all())
        .unwrap()
        .0
}

fn server_span() -> Vec<u8> {
    let mut sp = Vec::new();
    len_field(&mut sp, 1, &[0x5b; 16]);
    len_field(
        &mut sp,
        2,
        &[0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08],
    );
    len_field(&mut sp, 3, b"ot=th:8");
    len_field(&mut sp, 4, &[9; 8]);
    len_field(&mut sp, 5, b"POST /pay");
    varint_field(&mut sp, 6, 2);
    fixed64_field(&mut sp, 7, START);
    fixed64_field(&mut sp, 8, START + 182_500_000);
    kv(&mut sp, 9, "http.route", &s("/pay"));
    kv(&mut sp, 9, "http.response.status_code", &Value::Int(201));
    varint_field(&mut sp, 10, 3); // dropped_attributes_count
    let mut event = Vec::new();
    fixed64_field(&mut event, 1, START + 5);
    len_field(&mut event, 2, b"exception");
    len_field(&mut sp, 11, &event);
    varint_field(&mut sp, 12, 1); // dropped_events_count
    let mut link = Vec::new();
    len_field(&mut link, 1, &[7; 16]);
    len_field(&mut sp, 13, &link);
    varint_field(&mut sp, 14, 0); // dropped_links_count
    let mut status = Vec::new();
    len_field(&mut status, 2, b"created");
    varint_field(&mut status, 3, 1);
    len_field(&mut sp, 15, &status);
    fixed32_field(&mut sp, 16, 1); // flags
    sp
}

fn resource() -> Vec<u8> {
    let mut r = Vec::new();
    kv(&mut r, 1, "service.name", &s("checkout"));
    kv(&mut r, 1, "host.name", &s("web-1"));
    varint_field(&mut r, 2, 0);
    r
}

fn scope() -> Vec<u8> {
    let mut sc = Vec::new();
    len_field(&mut sc, 1, b"io.opentelemetry.http");
    len_field(&mut sc, 2, b"1.2.0");
    kv(&mut sc, 3, "scope.attr", &Value::Bool(true));
    sc
}

#[test]
fn every_span_field_reaches_the_event() {
    let body = request(&resource(), &scope(), &[server_span()]);
    let events = decode_all(&body);
    assert_eq!(
        events,
        [Owned {
            timestamp_ms: 1_738_324_800_123,
            name: "POST /pay".into(),
            duration_ms: Some(182.5),
            error: false,
            weight: 2.0,
            attributes: [
                ("service.name", "checkout"),
                ("host.name", "web-1"),
                ("scope.attr", "true"),
                ("http.route", "/pay"),
                ("http.response.status_code", "201"),
                ("trace_id", "5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b"),
                ("span_id", "0102030405060708"),
                ("span.kind", "server"),
                ("service.name", "checkout"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .to_vec(),
        }]
    );
}

/// Inserts one unknown field of every wire type at the start of a message.
fn with_unknowns(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    varint_field(&mut out, 1000, 12345);
    fixed64_field(&mut out, 1001, 7);
    len_field(&mut out, 1002, b"\x08\x01 anything");
    fixed32_field(&mut out, 1003, 9);
    out.extend_from_slice(message);
    varint_field(&mut out, 99, u64::MAX);
    out
}

#[test]
fn unknown_fields_are_skipped_at_every_level() {
    let plain = request(&resource(), &scope(), &[server_span()]);

    let mut sp = server_span();
    kv(&mut sp, 9, "extra", &Value::Int(1));
    let mut attr = Vec::new();
    len_field(&mut attr, 1, b"deep");
    let mut any = with_unknowns(&any_value_proto(&s("x")));
    any = with_unknowns(&any);
    len_field(&mut attr, 2, &any);
    len_field(&mut sp, 9, &with_unknowns(&attr));
    let mut ss = Vec::new();
    len_field(&mut ss, 1, &with_unknowns(&scope()));
    len_field(&mut ss, 2, &with_unknowns(&sp));
    len_field(&mut ss, 3, b"https://opentelemetry.io/schemas/1.26.0"); // schema_url
    let mut rs = Vec::new();
    len_field(&mut rs, 1, &with_unknowns(&resource()));
    len_field(&mut rs, 2, &with_unknowns(&ss));
    len_field(&mut rs, 3, b"https://opentelemetry.io/schemas/1.26.0");
    let mut body = Vec::new();
    len_field(&mut body, 1, &with_unknowns(&rs));
    let body = with_unknowns(&body);

    let mut expected = decode_all(&plain);
    let extra = [("extra", "1"), ("deep", "x")].map(|(k, v)| (k.to_owned(), v.to_owned()));
    expected[0].attributes.splice(5..5, extra);
    assert_eq!(decode_all(&body), expected);
}

#[test]
fn fields_come_in_any_order() {
    let canonical = request(&resource(), &scope(), &[server_span()]);
    // The span's fields reversed (attributes keep their relative order),
    // scope_spans before resource, spans before scope.
    let mut sp = Vec::new();
    fixed64_field(&mut sp, 8, START + 182_500_000);
    kv(&mut sp, 9, "http.route", &s("/pay"));
    fixed64_field(&mut sp, 7, START);
    varint_field(&mut sp, 6, 2);
    kv(&mut sp, 9, "http.response.status_code", &Value::Int(201));
    len_field(&mut sp, 5, b"POST /pay");
    len_field(&mut sp, 4, &[9; 8]);
    len_field(&mut sp, 3, b"ot=th:8");
    len_field(
        &mut sp,
        2,
        &[0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08],
    );
    len_field(&mut sp, 1, &[0x5b; 16]);
    let mut ss = Vec::new();
    len_field(&mut ss, 2, &sp);
    len_field(&mut ss, 1, &scope());
    let mut rs = Vec::new();
    len_field(&mut rs, 2, &ss);
    len_field(&mut rs, 1, &resource());
    let mut body = Vec::new();
    len_field(&mut body, 1, &rs);
    assert_eq!(decode_all(&body), decode_all(&canonical));
}

#[test]
fn repeated_singular_messages_merge_and_scalars_keep_the_last() {
    let mut sp = Vec::new();
    len_field(&mut sp, 5, b"first");
    len_field(&mut sp, 5, b"second");
    varint_field(&mut sp, 6, 3);
    varint_field(&mut sp, 6, 1);
    fixed64_field(&mut sp, 7, 5);
    fixed64_field(&mut sp, 7, START);
    fixed64_field(&mut sp, 8, START);
    let mut error = Vec::new();
    varint_field(&mut error, 3, 2);
    len_field(&mut sp, 15, &error);
    // A second status without a code keeps the first one's code.
    let mut message_only = Vec::new();
    len_field(&mut message_only, 2, b"boom");
    len_field(&mut sp, 15, &message_only);
    // Two resource fields: their attributes add up.
    let mut rs = Vec::new();
    let mut r1 = Vec::new();
    kv(&mut r1, 1, "a", &s("1"));
    let mut r2 = Vec::new();
    kv(&mut r2, 1, "b", &s("2"));
    len_field(&mut rs, 1, &r1);
    let mut ss = Vec::new();
    len_field(&mut ss, 2, &sp);
    len_field(&mut rs, 2, &ss);
    len_field(&mut rs, 1, &r2);
    let mut body = Vec::new();
    len_field(&mut body, 1, &rs);

    let events = decode_all(&body);
    assert_eq!(events.len(), 1);
    let ev = &events[0];
    assert_eq!(ev.name, "second");
    assert_eq!(ev.attr("span.kind"), Some("internal"));
    assert_eq!(ev.timestamp_ms, (START / 1_000_000) as i64);
    assert_eq!(ev.duration_ms, Some(0.0));
    assert!(ev.error);
    assert_eq!(ev.keys(), ["a", "b", "span.kind"]);
}

#[test]
fn negative_varints_are_ten_bytes_and_read_back() {
    let mut sp = Vec::new();
    len_field(&mut sp, 5, b"n");
    // kind -1: not a kind OTLP defines, so selected only as a root.
    varint_field(&mut sp, 6, u64::MAX);
    fixed64_field(&mut sp, 7, START);
    fixed64_field(&mut sp, 8, START + 1);
    kv(&mut sp, 9, "minus_one", &Value::Int(-1));
    kv(&mut sp, 9, "min", &Value::Int(i64::MIN));
    let body = request(&[], &[], &[sp.clone()]);
    assert!(
        body.windows(10)
            .any(|w| w == [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])
    );
    let events = decode_all(&body);
    assert_eq!(events[0].attr("minus_one"), Some("-1"));
    assert_eq!(events[0].attr("min"), Some("-9223372036854775808"));
    assert_eq!(events[0].attr("span.kind"), None);

    // As a child, an unknown kind is selected by nothing.
    len_field(&mut sp, 4, &[1; 8]);
    let body = request(&[], &[], &[sp]);
    let (events, summary) = events::traces(&body, Format::Protobuf, &SpanSelection::all()).unwrap();
    assert!(events.is_empty());
    assert_eq!(summary.skipped_by_selection, 1);
}

#[test]
fn empty_and_zero_ids() {
    let span = |parent: &[u8]| {
        let mut sp = Vec::new();
        len_field(&mut sp, 1, b"");
        len_field(&mut sp, 4, parent);
        varint_field(&mut sp, 6, 3); // client: selected only as a root
        fixed64_field(&mut sp, 7, START);
        fixed64_field(&mut sp, 8, START);
        sp
    };
    let body = request(
        &[],
        &[],
        &[span(&[]), span(&[0; 8]), span(&[0, 0, 0, 0, 0, 0, 0, 1])],
    );
    let (events, summary) =
        events::traces(&body, Format::Protobuf, &SpanSelection::default()).unwrap();
    assert_eq!(events.len(), 2, "empty and all-zero parents are roots");
    assert_eq!(summary.skipped_by_selection, 1);
    for ev in &events {
        assert_eq!(ev.attr("trace_id"), None);
        assert_eq!(ev.attr("span_id"), None);
        assert_eq!(ev.keys(), ["span.kind"]);
    }
}

#[test]
fn non_string_values_as_text() {
    let mut sp = Vec::new();
    fixed64_field(&mut sp, 7, START);
    fixed64_field(&mut sp, 8, START);
    for (k, v) in [
        ("bool", Value::Bool(false)),
        ("double", Value::Double(0.1)),
        ("bytes", Value::Bytes(vec![0, 1, 2, 253])),
        ("empty", Value::Empty),
        (
            "array",
            Value::Array(vec![s("a"), Value::Int(2), Value::Double(f64::INFINITY)]),
        ),
        (
            "kvlist",
            Value::KvList(vec![("x".into(), Value::Array(vec![]))]),
        ),
    ] {
        kv(&mut sp, 9, k, &v);
    }
    // A KeyValue without a value.
    let mut bare = Vec::new();
    len_field(&mut bare, 1, b"novalue");
    len_field(&mut sp, 9, &bare);
    let ev = &decode_all(&request(&[], &[], &[sp]))[0];
    let expected = [
        ("bool", "false"),
        ("double", "0.1"),
        ("bytes", "AAEC/Q=="),
        ("empty", ""),
        ("array", r#"["a",2,"Infinity"]"#),
        ("kvlist", r#"{"x":[]}"#),
        ("novalue", ""),
        ("span.kind", "unspecified"),
    ];
    assert_eq!(
        ev.attributes,
        expected.map(|(k, v)| (k.to_owned(), v.to_owned()))
    );
}

#[test]
fn an_empty_body_is_an_empty_request() {
    let (events, summary) = events::traces(&[], Format::Protobuf, &SpanSelection::all()).unwrap();
    assert!(events.is_empty());
    assert_eq!(summary.received, 0);
}

#[test]
fn a_scalar_sent_packed_is_refused_with_its_path() {
    // There are no repeated scalars in these messages, so a length-delimited
    // `kind` is not a packed repetition but a wrong wire type.
    let mut sp = Vec::new();
    len_field(&mut sp, 5, b"x");
    len_field(&mut sp, 6, &[2]);
    let body = request(&[], &[], &[vec![], sp]);
    let err = events::traces(&body, Format::Protobuf, &SpanSelection::all()).unwrap_err();
    let offset = body.len() - 3;
    assert_eq!(
        err.to_string(),
        format!(
            "otlp traces protobuf body: resource_spans[0].scope_spans[0].spans[1].kind: \
             wire type 2 (length-delimited) where 0 (varint) was expected at byte {offset}"
        )
    );
    let OtlpError::Protobuf { path, problem, .. } = err else {
        panic!()
    };
    assert_eq!(
        path.segments(),
        [
            Segment::Element("resource_spans", 0),
            Segment::Element("scope_spans", 0),
            Segment::Element("spans", 1),
            Segment::Field("kind"),
        ]
    );
    assert_eq!(
        problem,
        WireProblem::WrongWireType {
            found: 2,
            expected: 0
        }
    );
}
