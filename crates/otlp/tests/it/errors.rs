//! Malformed protobuf bodies: each error names the field path and the byte
//! offset, and the message reads as one sentence.

use otlp::{Format, LogSelection, OtlpError, SpanSelection, WireProblem};

use crate::it::encode::*;
use crate::it::events;

fn span_with(attributes: &[Vec<u8>]) -> Vec<u8> {
    let mut sp = Vec::new();
    len_field(&mut sp, 5, b"s");
    varint_field(&mut sp, 6, 2);
    fixed64_field(&mut sp, 7, 1);
    fixed64_field(&mut sp, 8, 2);
    for a in attributes {
        len_field(&mut sp, 9, a);
    }
    sp
}

fn good_attribute(i: usize) -> Vec<u8> {
    key_value_proto(&format!("k{i}"), &Value::Int(i as i64))
}

fn scope_spans(spans: &[Vec<u8>]) -> Vec<u8> {
    let mut ss = Vec::new();
    for sp in spans {
        len_field(&mut ss, 2, sp);
    }
    ss
}

fn resource_spans(scopes: &[Vec<u8>]) -> Vec<u8> {
    let mut rs = Vec::new();
    for ss in scopes {
        len_field(&mut rs, 2, ss);
    }
    rs
}

fn message(body: &[u8]) -> String {
    events::traces(body, Format::Protobuf, &SpanSelection::default())
        .unwrap_err()
        .to_string()
}

#[test]
fn a_truncated_varint_deep_in_a_request() {
    // The fourth attribute of the sixth span of the third resource ends
    // inside a tag.
    let mut bad = good_attribute(3);
    bad.push(0x80);
    let attrs: Vec<Vec<u8>> = vec![good_attribute(0), good_attribute(1), good_attribute(2), bad];
    let mut spans: Vec<Vec<u8>> = (0..5).map(|_| span_with(&[good_attribute(0)])).collect();
    spans.push(span_with(&attrs));
    let ok = resource_spans(&[scope_spans(&[span_with(&[])])]);
    let mut body = Vec::new();
    len_field(&mut body, 1, &ok);
    len_field(&mut body, 1, &ok);
    len_field(&mut body, 1, &resource_spans(&[scope_spans(&spans)]));
    let offset = body.len() - 1;
    assert_eq!(
        message(&body),
        format!(
            "otlp traces protobuf body: resource_spans[2].scope_spans[0].spans[5].attributes[3]: \
             truncated varint at byte {offset}"
        )
    );
}

#[test]
fn a_body_cut_short() {
    let mut body = Vec::new();
    len_field(
        &mut body,
        1,
        &resource_spans(&[scope_spans(&[span_with(&[good_attribute(0)])])]),
    );
    let cut = &body[..body.len() - 4];
    let needed = body.len() - 2;
    let left = cut.len() - 2;
    let expected = format!(
        "otlp traces protobuf body: resource_spans[0]: a length-delimited field of {needed} bytes \
         runs past the end of its message ({left} bytes left) at byte 2"
    );
    assert_eq!(message(cut), expected);
    // Cut inside the length itself.
    assert_eq!(
        message(&[0x0a, 0x80]),
        "otlp traces protobuf body: resource_spans[0]: truncated varint at byte 1"
    );
}

#[test]
fn invalid_utf8_names_the_string_field() {
    let mut sp = span_with(&[]);
    len_field(&mut sp, 5, b"caf\xe9");
    let mut body = Vec::new();
    len_field(&mut body, 1, &resource_spans(&[scope_spans(&[sp.clone()])]));
    let offset = body.len() - 1;
    assert_eq!(
        message(&body),
        format!(
            "otlp traces protobuf body: resource_spans[0].scope_spans[0].spans[0].name: string \
             field that is not valid utf-8 at byte {offset}"
        )
    );
    // A span the selection skips is only checked for framing.
    let mut internal = sp;
    varint_field(&mut internal, 6, 1);
    len_field(&mut internal, 4, &[1; 8]);
    let mut body = Vec::new();
    len_field(&mut body, 1, &resource_spans(&[scope_spans(&[internal])]));
    let (events, summary) =
        events::traces(&body, Format::Protobuf, &SpanSelection::default()).unwrap();
    assert!(events.is_empty());
    assert_eq!(summary.skipped_by_selection, 1);
}

#[test]
fn groups_and_bad_resource_attributes() {
    let mut rs = Vec::new();
    let mut resource = Vec::new();
    len_field(&mut resource, 1, &key_value_proto("ok", &s("1")));
    let mut bad_kv = Vec::new();
    len_field(&mut bad_kv, 1, b"k");
    tag(&mut bad_kv, 5, 3); // start group
    len_field(&mut resource, 1, &bad_kv);
    len_field(&mut rs, 1, &resource);
    let mut body = Vec::new();
    len_field(&mut body, 1, &rs);
    let err = events::traces(&body, Format::Protobuf, &SpanSelection::default()).unwrap_err();
    let OtlpError::Protobuf {
        offset, problem, ..
    } = &err
    else {
        panic!()
    };
    assert_eq!(*problem, WireProblem::Group(3));
    assert_eq!(*offset, body.len() - 1);
    assert_eq!(
        err.to_string(),
        format!(
            "otlp traces protobuf body: resource_spans[0].resource.attributes[1].<field 5>: group \
             (wire type 3), which otlp does not use at byte {offset}"
        )
    );
}

#[test]
fn log_errors_name_log_paths() {
    let mut record = Vec::new();
    fixed64_field(&mut record, 1, 1);
    len_field(&mut record, 5, &{
        let mut any = Vec::new();
        len_field(&mut any, 1, b"\xff");
        any
    });
    let mut sl = Vec::new();
    len_field(&mut sl, 2, &log_record_proto(&LogRecord::default()));
    len_field(&mut sl, 2, &record);
    let mut rl = Vec::new();
    len_field(&mut rl, 2, &sl);
    let mut body = Vec::new();
    len_field(&mut body, 1, &rl);
    let err = events::logs(&body, Format::Protobuf, &LogSelection::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "otlp logs protobuf body: resource_logs[0].scope_logs[0].log_records[1].body.string_value: \
             string field that is not valid utf-8 at byte {}",
            body.len() - 1
        )
    );
    // A fixed64 sent as a varint.
    let mut record = Vec::new();
    varint_field(&mut record, 11, 5);
    let mut sl = Vec::new();
    len_field(&mut sl, 2, &record);
    let mut rl = Vec::new();
    len_field(&mut rl, 2, &sl);
    let mut body = Vec::new();
    len_field(&mut body, 1, &rl);
    let err = events::logs(&body, Format::Protobuf, &LogSelection::default()).unwrap_err();
    assert!(
        err.to_string().ends_with(
            "log_records[0].observed_time_unix_nano: wire type 0 (varint) where 1 (64-bit) was \
             expected at byte 6"
        ),
        "{err}"
    );
}

#[test]
fn nesting_too_deep() {
    let mut v = s("leaf");
    for _ in 0..40 {
        v = Value::Array(vec![v]);
    }
    let mut body = Vec::new();
    len_field(
        &mut body,
        1,
        &resource_spans(&[scope_spans(&[span_with(&[key_value_proto("deep", &v)])])]),
    );
    let err = events::traces(&body, Format::Protobuf, &SpanSelection::default()).unwrap_err();
    let OtlpError::Protobuf { problem, path, .. } = &err else {
        panic!()
    };
    assert_eq!(*problem, WireProblem::TooDeep(32));
    assert!(
        path.to_string().starts_with(
            "resource_spans[0].scope_spans[0].spans[0].attributes[0].value.array_value.values[0]"
        ),
        "{err}"
    );
}
