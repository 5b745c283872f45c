//! Answers byte for byte, and read back by the crate's own wire reader.

use super::*;
use crate::error::Segment;
use crate::wire::{Msg, Reader};

fn trace(rejected: u64, msg: &str, format: Format) -> Vec<u8> {
    let mut out = Vec::new();
    encode_trace_response(rejected, msg, format, &mut out);
    out
}

#[test]
fn full_success_is_empty() {
    assert_eq!(trace(0, "", Format::Protobuf), b"");
    assert_eq!(trace(0, "", Format::Json), b"{}");
    let mut out = Vec::new();
    encode_logs_response(0, "", Format::Json, &mut out);
    assert_eq!(out, b"{}");
}

#[test]
fn partial_success_in_protobuf() {
    assert_eq!(
        trace(3, "bad", Format::Protobuf),
        [0x0a, 0x07, 0x08, 0x03, 0x12, 0x03, b'b', b'a', b'd']
    );
    assert_eq!(
        trace(300, "", Format::Protobuf),
        [0x0a, 0x03, 0x08, 0xac, 0x02]
    );
    // A warning: nothing rejected, a message.
    assert_eq!(
        trace(0, "w", Format::Protobuf),
        [0x0a, 0x03, 0x12, 0x01, b'w']
    );
}

#[test]
fn a_long_message_reads_back() {
    let msg = "x".repeat(1000);
    let body = trace(u64::from(u32::MAX) + 1, &msg, Format::Protobuf);
    let mut r = Reader::new(Msg::whole(&body));
    let tag = r.tag().unwrap();
    let inner = r.bytes(tag, Segment::Field("partial_success")).unwrap();
    assert!(r.done());
    let mut r = Reader::new(inner);
    let tag = r.tag().unwrap();
    assert_eq!(
        r.uint(tag, Segment::Field("rejected_spans")).unwrap(),
        u64::from(u32::MAX) + 1
    );
    let tag = r.tag().unwrap();
    let m = r.bytes(tag, Segment::Field("error_message")).unwrap();
    assert_eq!(m.text(Segment::Field("error_message")).unwrap(), msg);
    assert!(r.done());
}

#[test]
fn partial_success_in_json() {
    assert_eq!(
        String::from_utf8(trace(2, "2 spans \"bad\"", Format::Json)).unwrap(),
        r#"{"partialSuccess":{"rejectedSpans":"2","errorMessage":"2 spans \"bad\""}}"#
    );
    let mut out = Vec::new();
    encode_logs_response(5, "", Format::Json, &mut out);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        r#"{"partialSuccess":{"rejectedLogRecords":"5"}}"#
    );
    assert_eq!(
        String::from_utf8(trace(0, "w", Format::Json)).unwrap(),
        r#"{"partialSuccess":{"errorMessage":"w"}}"#
    );
    assert_eq!(content_type(Format::Json), "application/json");
    assert_eq!(content_type(Format::Protobuf), "application/x-protobuf");
}

#[test]
fn metrics_answers_name_rejected_data_points() {
    let mut out = Vec::new();
    encode_metrics_response(2, "why", Format::Json, &mut out);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        r#"{"partialSuccess":{"rejectedDataPoints":"2","errorMessage":"why"}}"#
    );
    let mut out = Vec::new();
    encode_metrics_response(2, "", Format::Protobuf, &mut out);
    assert_eq!(out, [0x0a, 0x02, 0x08, 0x02]);
    let mut out = Vec::new();
    encode_metrics_response(0, "", Format::Protobuf, &mut out);
    assert!(out.is_empty());
}
