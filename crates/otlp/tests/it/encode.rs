//! A tiny, straightforward OTLP encoder for tests and the benchmark: owned
//! request models written out as protobuf (every message built bottom-up
//! into its own vector, fields in number order, proto3 defaults left out)
//! and as OTLP/JSON (through `serde_json::Value`). It shares no code with
//! the decoder, so the two check each other. Not used by the crate itself.

#![allow(dead_code)]

use serde_json::{Value as Json, json};

/// An `AnyValue`.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Empty,
    Str(String),
    Bool(bool),
    Int(i64),
    Double(f64),
    Bytes(Vec<u8>),
    Array(Vec<Value>),
    KvList(Vec<(String, Value)>),
}

pub type Attributes = Vec<(String, Value)>;

pub fn s(text: &str) -> Value {
    Value::Str(text.to_owned())
}

pub fn attrs(pairs: &[(&str, Value)]) -> Attributes {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Span {
    pub trace_id: Vec<u8>,
    pub span_id: Vec<u8>,
    pub trace_state: String,
    pub parent_span_id: Vec<u8>,
    pub name: String,
    pub kind: i32,
    pub start: u64,
    pub end: u64,
    pub attributes: Attributes,
    pub status_message: String,
    pub status_code: i32,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ScopeSpans {
    pub scope_name: String,
    pub scope_attributes: Attributes,
    pub spans: Vec<Span>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ResourceSpans {
    pub resource: Attributes,
    pub scopes: Vec<ScopeSpans>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct TraceRequest {
    pub resources: Vec<ResourceSpans>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct LogRecord {
    pub time: u64,
    pub observed_time: u64,
    pub severity_number: i32,
    pub severity_text: String,
    pub body: Option<Value>,
    pub attributes: Attributes,
    pub trace_id: Vec<u8>,
    pub span_id: Vec<u8>,
    pub event_name: String,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ScopeLogs {
    pub scope_attributes: Attributes,
    pub records: Vec<LogRecord>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ResourceLogs {
    pub resource: Attributes,
    pub scopes: Vec<ScopeLogs>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct LogsRequest {
    pub resources: Vec<ResourceLogs>,
}

// ---- protobuf ------------------------------------------------------------

pub fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

pub fn tag(out: &mut Vec<u8>, field: u64, wire: u64) {
    put_varint(out, field << 3 | wire);
}

/// A length-delimited field.
pub fn len_field(out: &mut Vec<u8>, field: u64, payload: &[u8]) {
    tag(out, field, 2);
    put_varint(out, payload.len() as u64);
    out.extend_from_slice(payload);
}

pub fn varint_field(out: &mut Vec<u8>, field: u64, v: u64) {
    tag(out, field, 0);
    put_varint(out, v);
}

pub fn fixed64_field(out: &mut Vec<u8>, field: u64, v: u64) {
    tag(out, field, 1);
    out.extend_from_slice(&v.to_le_bytes());
}

pub fn fixed32_field(out: &mut Vec<u8>, field: u64, v: u32) {
    tag(out, field, 5);
    out.extend_from_slice(&v.to_le_bytes());
}

fn opt_len(out: &mut Vec<u8>, field: u64, payload: &[u8]) {
    if !payload.is_empty() {
        len_field(out, field, payload);
    }
}

/// An enum or int32: negative values are sign-extended to ten bytes.
fn opt_int32(out: &mut Vec<u8>, field: u64, v: i32) {
    if v != 0 {
        varint_field(out, field, i64::from(v) as u64);
    }
}

fn opt_fixed64(out: &mut Vec<u8>, field: u64, v: u64) {
    if v != 0 {
        fixed64_field(out, field, v);
    }
}

pub fn any_value_proto(v: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    match v {
        Value::Empty => {}
        Value::Str(s) => len_field(&mut out, 1, s.as_bytes()),
        Value::Bool(b) => varint_field(&mut out, 2, u64::from(*b)),
        Value::Int(i) => varint_field(&mut out, 3, *i as u64),
        Value::Double(d) => fixed64_field(&mut out, 4, d.to_bits()),
        Value::Array(items) => {
            let mut inner = Vec::new();
            for item in items {
                len_field(&mut inner, 1, &any_value_proto(item));
            }
            len_field(&mut out, 5, &inner);
        }
        Value::KvList(pairs) => {
            let mut inner = Vec::new();
            for (k, v) in pairs {
                len_field(&mut inner, 1, &key_value_proto(k, v));
            }
            len_field(&mut out, 6, &inner);
        }
        Value::Bytes(b) => len_field(&mut out, 7, b),
    }
    out
}

pub fn key_value_proto(key: &str, value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    opt_len(&mut out, 1, key.as_bytes());
    len_field(&mut out, 2, &any_value_proto(value));
    out
}

fn attributes_proto(out: &mut Vec<u8>, field: u64, attributes: &Attributes) {
    for (k, v) in attributes {
        len_field(out, field, &key_value_proto(k, v));
    }
}

pub fn span_proto(span: &Span) -> Vec<u8> {
    let mut out = Vec::new();
    opt_len(&mut out, 1, &span.trace_id);
    opt_len(&mut out, 2, &span.span_id);
    opt_len(&mut out, 3, span.trace_state.as_bytes());
    opt_len(&mut out, 4, &span.parent_span_id);
    opt_len(&mut out, 5, span.name.as_bytes());
    opt_int32(&mut out, 6, span.kind);
    opt_fixed64(&mut out, 7, span.start);
    opt_fixed64(&mut out, 8, span.end);
    attributes_proto(&mut out, 9, &span.attributes);
    if span.status_code != 0 || !span.status_message.is_empty() {
        let mut status = Vec::new();
        opt_len(&mut status, 2, span.status_message.as_bytes());
        opt_int32(&mut status, 3, span.status_code);
        len_field(&mut out, 15, &status);
    }
    out
}

fn scope_proto(name: &str, attributes: &Attributes) -> Vec<u8> {
    let mut scope = Vec::new();
    opt_len(&mut scope, 1, name.as_bytes());
    attributes_proto(&mut scope, 3, attributes);
    scope
}

fn resource_proto(attributes: &Attributes) -> Vec<u8> {
    let mut resource = Vec::new();
    attributes_proto(&mut resource, 1, attributes);
    resource
}

impl TraceRequest {
    pub fn to_protobuf(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for rs in &self.resources {
            let mut rs_out = Vec::new();
            len_field(&mut rs_out, 1, &resource_proto(&rs.resource));
            for ss in &rs.scopes {
                let mut ss_out = Vec::new();
                len_field(
                    &mut ss_out,
                    1,
                    &scope_proto(&ss.scope_name, &ss.scope_attributes),
                );
                for span in &ss.spans {
                    len_field(&mut ss_out, 2, &span_proto(span));
                }
                len_field(&mut rs_out, 2, &ss_out);
            }
            len_field(&mut out, 1, &rs_out);
        }
        out
    }

    pub fn span_count(&self) -> usize {
        self.resources
            .iter()
            .flat_map(|r| &r.scopes)
            .map(|s| s.spans.len())
            .sum()
    }
}

pub fn log_record_proto(r: &LogRecord) -> Vec<u8> {
    let mut out = Vec::new();
    opt_fixed64(&mut out, 1, r.time);
    opt_int32(&mut out, 2, r.severity_number);
    opt_len(&mut out, 3, r.severity_text.as_bytes());
    if let Some(body) = &r.body {
        len_field(&mut out, 5, &any_value_proto(body));
    }
    attributes_proto(&mut out, 6, &r.attributes);
    opt_len(&mut out, 9, &r.trace_id);
    opt_len(&mut out, 10, &r.span_id);
    opt_fixed64(&mut out, 11, r.observed_time);
    opt_len(&mut out, 12, r.event_name.as_bytes());
    out
}

impl LogsRequest {
    pub fn to_protobuf(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for rl in &self.resources {
            let mut rl_out = Vec::new();
            len_field(&mut rl_out, 1, &resource_proto(&rl.resource));
            for sl in &rl.scopes {
                let mut sl_out = Vec::new();
                len_field(&mut sl_out, 1, &scope_proto("", &sl.scope_attributes));
                for r in &sl.records {
                    len_field(&mut sl_out, 2, &log_record_proto(r));
                }
                len_field(&mut rl_out, 2, &sl_out);
            }
            len_field(&mut out, 1, &rl_out);
        }
        out
    }
}

// ---- OTLP/JSON -----------------------------------------------------------

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Standard base64, written the long way (bit by bit).
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bits: Vec<bool> = bytes
        .iter()
        .flat_map(|b| (0..8).rev().map(move |i| b >> i & 1 == 1))
        .collect();
    let mut out = String::new();
    for chunk in bits.chunks(6) {
        let mut n = 0;
        for i in 0..6 {
            n = n << 1 | usize::from(chunk.get(i).copied().unwrap_or(false));
        }
        out.push(ALPHABET.as_bytes()[n] as char);
    }
    while !out.len().is_multiple_of(4) {
        out.push('=');
    }
    out
}

fn double_json(d: f64) -> Json {
    if d.is_nan() {
        json!("NaN")
    } else if d.is_infinite() {
        json!(if d > 0.0 { "Infinity" } else { "-Infinity" })
    } else {
        json!(d)
    }
}

pub fn any_value_json(v: &Value) -> Json {
    match v {
        Value::Empty => json!({}),
        Value::Str(s) => json!({ "stringValue": s }),
        Value::Bool(b) => json!({ "boolValue": b }),
        Value::Int(i) => json!({ "intValue": i.to_string() }),
        Value::Double(d) => json!({ "doubleValue": double_json(*d) }),
        Value::Bytes(b) => json!({ "bytesValue": base64(b) }),
        Value::Array(items) => {
            json!({ "arrayValue": { "values": items.iter().map(any_value_json).collect::<Vec<_>>() } })
        }
        Value::KvList(pairs) => json!({ "kvlistValue": { "values": attributes_json(pairs) } }),
    }
}

pub fn attributes_json(attributes: &Attributes) -> Vec<Json> {
    attributes
        .iter()
        .map(|(k, v)| json!({ "key": k, "value": any_value_json(v) }))
        .collect()
}

impl TraceRequest {
    pub fn to_json(&self) -> Vec<u8> {
        let resource_spans: Vec<Json> = self
            .resources
            .iter()
            .map(|rs| {
                let scopes: Vec<Json> = rs
                    .scopes
                    .iter()
                    .map(|ss| {
                        let spans: Vec<Json> = ss
                            .spans
                            .iter()
                            .map(|sp| {
                                json!({
                                    "traceId": hex(&sp.trace_id),
                                    "spanId": hex(&sp.span_id),
                                    "traceState": sp.trace_state,
                                    "parentSpanId": hex(&sp.parent_span_id),
                                    "name": sp.name,
                                    "kind": sp.kind,
                                    "startTimeUnixNano": sp.start.to_string(),
                                    "endTimeUnixNano": sp.end.to_string(),
                                    "attributes": attributes_json(&sp.attributes),
                                    "status": { "message": sp.status_message, "code": sp.status_code },
                                })
                            })
                            .collect();
                        json!({
                            "scope": { "name": ss.scope_name, "attributes": attributes_json(&ss.scope_attributes) },
                            "spans": spans,
                        })
                    })
                    .collect();
                json!({
                    "resource": { "attributes": attributes_json(&rs.resource) },
                    "scopeSpans": scopes,
                })
            })
            .collect();
        serde_json::to_vec(&json!({ "resourceSpans": resource_spans })).unwrap()
    }
}

impl LogsRequest {
    pub fn to_json(&self) -> Vec<u8> {
        let resource_logs: Vec<Json> = self
            .resources
            .iter()
            .map(|rl| {
                let scopes: Vec<Json> = rl
                    .scopes
                    .iter()
                    .map(|sl| {
                        let records: Vec<Json> = sl
                            .records
                            .iter()
                            .map(|r| {
                                let mut record = json!({
                                    "timeUnixNano": r.time.to_string(),
                                    "observedTimeUnixNano": r.observed_time.to_string(),
                                    "severityNumber": r.severity_number,
                                    "severityText": r.severity_text,
                                    "attributes": attributes_json(&r.attributes),
                                    "traceId": hex(&r.trace_id),
                                    "spanId": hex(&r.span_id),
                                    "eventName": r.event_name,
                                });
                                if let Some(body) = &r.body {
                                    record["body"] = any_value_json(body);
                                }
                                record
                            })
                            .collect();
                        json!({
                            "scope": { "attributes": attributes_json(&sl.scope_attributes) },
                            "logRecords": records,
                        })
                    })
                    .collect();
                json!({
                    "resource": { "attributes": attributes_json(&rl.resource) },
                    "scopeLogs": scopes,
                })
            })
            .collect();
        serde_json::to_vec(&json!({ "resourceLogs": resource_logs })).unwrap()
    }
}
