//! The protobuf walk of `ExportTraceServiceRequest` and
//! `ExportLogsServiceRequest`, straight from the body to events.
//!
//! ```text
//! ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
//! ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }   // schema_url = 3
//! ScopeSpans    { InstrumentationScope scope = 1; repeated Span spans = 2; }      // schema_url = 3
//! Span { bytes trace_id = 1; bytes span_id = 2; string trace_state = 3; bytes parent_span_id = 4;
//!        string name = 5; SpanKind kind = 6; fixed64 start_time_unix_nano = 7;
//!        fixed64 end_time_unix_nano = 8; repeated KeyValue attributes = 9; Status status = 15; }
//!        // dropped counts 10, 12, 14; events 11; links 13; flags 16 (fixed32): skipped
//! Status { string message = 2; StatusCode code = 3; }                             // ERROR = 2
//! ExportLogsServiceRequest { repeated ResourceLogs resource_logs = 1; }
//! ResourceLogs { Resource resource = 1; repeated ScopeLogs scope_logs = 2; }
//! ScopeLogs    { InstrumentationScope scope = 1; repeated LogRecord log_records = 2; }
//! LogRecord { fixed64 time_unix_nano = 1; SeverityNumber severity_number = 2;
//!             string severity_text = 3; AnyValue body = 5; repeated KeyValue attributes = 6;
//!             bytes trace_id = 9; bytes span_id = 10; fixed64 observed_time_unix_nano = 11;
//!             string event_name = 12; }        // name 4 (removed), dropped 7, flags 8: skipped
//! Resource { repeated KeyValue attributes = 1; }
//! InstrumentationScope { string name = 1; string version = 2; repeated KeyValue attributes = 3; }
//! KeyValue { string key = 1; AnyValue value = 2; }
//! AnyValue { oneof { string string_value = 1; bool bool_value = 2; int64 int_value = 3;
//!            double double_value = 4; ArrayValue array_value = 5;
//!            KeyValueList kvlist_value = 6; bytes bytes_value = 7; } }
//! ArrayValue { repeated AnyValue values = 1; }  KeyValueList { repeated KeyValue values = 1; }
//! ```
//!
//! Fields may come in any order, so a `ResourceSpans` is walked twice (its
//! resource first, then its scopes) and a `ScopeSpans` likewise. A span is
//! walked once for its scalar fields, which decide whether it is selected,
//! and a second time for its attributes only if it is: spans the selection
//! skips are checked for framing but their attributes are not decoded. A
//! singular message field that repeats is merged (its attributes add up); a
//! scalar that repeats keeps its last value. Strings are checked for UTF-8
//! when they are used. Attributes in the shape every exporter writes (one
//! short key and one scalar value) are read by byte pattern in one step;
//! any other shape goes through the general walk, which also reports the
//! errors. This module must not allocate per span or attribute and must not
//! panic on any input.

#[cfg(test)]
mod tests;

use crate::attributes::{Attrs, Val};
use crate::error::{Segment, WireError, WireProblem};
use crate::mapping::{
    self, Emitter, Id, LogHead, LogSelection, Position, SpanHead, SpanKind, SpanSelection,
};
use crate::render;
use crate::wire::{Msg, Reader};

use Segment::{Element, Field};

/// Arrays and key-value lists nested deeper than this are refused, so that
/// a hostile body cannot exhaust the stack.
pub(crate) const MAX_DEPTH: usize = 32;

/// An `AnyValue`, its strings checked; arrays and lists still on the wire.
#[derive(Clone, Copy, Debug)]
enum AnyValue<'a> {
    Empty,
    Str(&'a str),
    Bool(bool),
    Int(i64),
    Double(f64),
    Array(Msg<'a>),
    KvList(Msg<'a>),
    Bytes(&'a [u8]),
}

/// The value of a `oneof`: the last member on the wire wins.
fn any_value(m: Msg<'_>) -> Result<AnyValue<'_>, WireError> {
    let mut v = AnyValue::Empty;
    let mut r = Reader::new(m);
    while !r.done() {
        let tag = r.tag()?;
        v = match tag.field {
            1 => {
                let s = Field("string_value");
                AnyValue::Str(r.bytes(tag, s)?.text(s)?)
            }
            2 => AnyValue::Bool(r.uint(tag, Field("bool_value"))? != 0),
            3 => AnyValue::Int(r.uint(tag, Field("int_value"))? as i64),
            4 => AnyValue::Double(f64::from_bits(r.fixed64(tag, Field("double_value"))?)),
            5 => AnyValue::Array(r.bytes(tag, Field("array_value"))?),
            6 => AnyValue::KvList(r.bytes(tag, Field("kvlist_value"))?),
            7 => AnyValue::Bytes(r.bytes(tag, Field("bytes_value"))?.bytes),
            _ => {
                r.skip(tag)?;
                continue;
            }
        };
    }
    Ok(v)
}

/// A `KeyValue`: its key and value (an absent value is empty).
fn key_value(m: Msg<'_>) -> Result<(&str, AnyValue<'_>), WireError> {
    let mut key = "";
    let mut value = AnyValue::Empty;
    let mut r = Reader::new(m);
    while !r.done() {
        let tag = r.tag()?;
        match tag.field {
            1 => key = r.bytes(tag, Field("key"))?.text(Field("key"))?,
            2 => {
                let v = r.bytes(tag, Field("value"))?;
                value = any_value(v).map_err(|e| e.within(Field("value")))?;
            }
            _ => r.skip(tag)?,
        }
    }
    Ok((key, value))
}

/// Pushes `key` with its value as text (see [`render`]).
fn push_value<'a>(
    attrs: &mut Attrs<'a>,
    key: &'a str,
    value: AnyValue<'a>,
) -> Result<(), WireError> {
    match value {
        AnyValue::Str(s) => attrs.push_text(key, s),
        AnyValue::Bool(b) => attrs.push_text(key, if b { "true" } else { "false" }),
        AnyValue::Empty => attrs.push_text(key, ""),
        AnyValue::Int(i) => {
            let start = attrs.scratch().len();
            render::write_i64(attrs.scratch(), i);
            attrs.push_rendered(key, start);
        }
        AnyValue::Double(d) => {
            let start = attrs.scratch().len();
            render::write_f64(attrs.scratch(), d);
            attrs.push_rendered(key, start);
        }
        AnyValue::Bytes(b) => {
            let start = attrs.scratch().len();
            render::write_base64(attrs.scratch(), b);
            attrs.push_rendered(key, start);
        }
        AnyValue::Array(_) | AnyValue::KvList(_) => {
            let start = attrs.scratch().len();
            write_json(attrs.scratch(), value, 0).map_err(|e| e.within(Field("value")))?;
            attrs.push_rendered(key, start);
        }
    }
    Ok(())
}

/// Writes `value` as compact JSON, walking nested arrays and lists.
fn write_json(out: &mut String, value: AnyValue<'_>, depth: usize) -> Result<(), WireError> {
    match value {
        AnyValue::Empty => out.push_str("null"),
        AnyValue::Str(s) => render::write_json_str(out, s),
        AnyValue::Bool(b) => out.push_str(if b { "true" } else { "false" }),
        AnyValue::Int(i) => render::write_i64(out, i),
        AnyValue::Double(d) => render::write_json_f64(out, d),
        AnyValue::Bytes(b) => {
            out.push('"');
            render::write_base64(out, b);
            out.push('"');
        }
        AnyValue::Array(m) => {
            let segment = Field("array_value");
            if depth >= MAX_DEPTH {
                return Err(WireError::at(m.at, WireProblem::TooDeep(MAX_DEPTH)).within(segment));
            }
            out.push('[');
            let mut r = Reader::new(m);
            let mut i = 0;
            while !r.done() {
                let tag = r.tag().map_err(|e| e.within(segment))?;
                if tag.field != 1 {
                    r.skip(tag).map_err(|e| e.within(segment))?;
                    continue;
                }
                let element = Element("values", i);
                let item = r.bytes(tag, element).map_err(|e| e.within(segment))?;
                if i > 0 {
                    out.push(',');
                }
                any_value(item)
                    .and_then(|v| write_json(out, v, depth + 1))
                    .map_err(|e| e.within(element).within(segment))?;
                i += 1;
            }
            out.push(']');
        }
        AnyValue::KvList(m) => {
            let segment = Field("kvlist_value");
            if depth >= MAX_DEPTH {
                return Err(WireError::at(m.at, WireProblem::TooDeep(MAX_DEPTH)).within(segment));
            }
            out.push('{');
            let mut r = Reader::new(m);
            let mut i = 0;
            while !r.done() {
                let tag = r.tag().map_err(|e| e.within(segment))?;
                if tag.field != 1 {
                    r.skip(tag).map_err(|e| e.within(segment))?;
                    continue;
                }
                let element = Element("values", i);
                let kv = r.bytes(tag, element).map_err(|e| e.within(segment))?;
                if i > 0 {
                    out.push(',');
                }
                key_value(kv)
                    .and_then(|(k, v)| {
                        render::write_json_str(out, k);
                        out.push(':');
                        write_json(out, v, depth + 1).map_err(|e| e.within(Field("value")))
                    })
                    .map_err(|e| e.within(element).within(segment))?;
                i += 1;
            }
            out.push('}');
        }
    }
    Ok(())
}

/// Pushes an attribute, a `KeyValue` message.
#[inline]
pub(crate) fn push_attribute<'a>(attrs: &mut Attrs<'a>, m: Msg<'a>) -> Result<(), WireError> {
    if push_plain_attribute(attrs, m.bytes) {
        return Ok(());
    }
    let (key, value) = key_value(m)?;
    push_value(attrs, key, value)
}

/// The shape nearly every exporter writes: `key`, then `value` holding one
/// string, bool, int or double, each length under 128 bytes. Read here in
/// one pass over byte patterns, without the general walk's intermediate
/// results (which cost more than the reading itself); `false` for any other
/// shape, which the general walk then reads and reports errors for.
#[inline]
fn push_plain_attribute<'a>(attrs: &mut Attrs<'a>, b: &'a [u8]) -> bool {
    let [0x0a, key_len, rest @ ..] = b else {
        return false;
    };
    if *key_len >= 0x80 {
        return false;
    }
    let Some((key, rest)) = rest.split_at_checked(usize::from(*key_len)) else {
        return false;
    };
    let [0x12, value_len, value @ ..] = rest else {
        return false;
    };
    if *value_len >= 0x80 || usize::from(*value_len) != value.len() {
        return false;
    }
    if let [0x0a, len, text @ ..] = value {
        if *len >= 0x80 || usize::from(*len) != text.len() {
            return false;
        }
        // Every framing byte here is ASCII, so the whole message is UTF-8
        // exactly when the key and the value are: one check instead of two.
        let Ok(whole) = std::str::from_utf8(b) else {
            return false;
        };
        let key_end = 2 + key.len();
        let (Some(key), Some(text)) = (whole.get(2..key_end), whole.get(key_end + 4..)) else {
            return false;
        };
        attrs.push_text(key, text);
        return true;
    }
    let Ok(key) = std::str::from_utf8(key) else {
        return false;
    };
    match value {
        [0x10, flag] if *flag < 0x80 => {
            attrs.push_text(key, if *flag != 0 { "true" } else { "false" });
        }
        [0x18, int @ ..] => {
            let Some(v) = whole_varint(int) else {
                return false;
            };
            let start = attrs.scratch().len();
            render::write_i64(attrs.scratch(), v as i64);
            attrs.push_rendered(key, start);
        }
        [0x21, double @ ..] => {
            let Ok(bits) = <[u8; 8]>::try_from(double) else {
                return false;
            };
            let start = attrs.scratch().len();
            render::write_f64(attrs.scratch(), f64::from_le_bytes(bits));
            attrs.push_rendered(key, start);
        }
        _ => return false,
    }
    true
}

/// A varint that is exactly `bytes`.
#[inline]
fn whole_varint(bytes: &[u8]) -> Option<u64> {
    if bytes.is_empty() || bytes.len() > 10 {
        return None;
    }
    let mut x = 0u64;
    for (i, &b) in bytes.iter().enumerate() {
        let last = i + 1 == bytes.len();
        if (b < 0x80) != last || (i == 9 && b > 1) {
            return None;
        }
        x |= u64::from(b & 0x7f) << (7 * i);
    }
    Some(x)
}

/// Pushes every `KeyValue` in field `field` of message `m`.
pub(crate) fn push_attributes<'a>(
    attrs: &mut Attrs<'a>,
    m: Msg<'a>,
    field: u64,
) -> Result<(), WireError> {
    let mut r = Reader::new(m);
    let mut n = 0;
    while !r.done() {
        let tag = r.tag()?;
        if tag.field == field {
            let segment = Element("attributes", n);
            let kv = r.bytes(tag, segment)?;
            push_attribute(attrs, kv).map_err(|e| e.within(segment))?;
            n += 1;
        } else {
            r.skip(tag)?;
        }
    }
    Ok(())
}

/// Walks field `field` (a singular message: resource or scope) of `m`,
/// pushing its attributes (field `attributes_field` of it).
pub(crate) fn push_header<'a>(
    attrs: &mut Attrs<'a>,
    m: Msg<'a>,
    field: u64,
    name: &'static str,
    attributes_field: u64,
) -> Result<(), WireError> {
    let mut r = Reader::new(m);
    while !r.done() {
        let tag = r.tag()?;
        if tag.field == field {
            let header = r.bytes(tag, Field(name))?;
            push_attributes(attrs, header, attributes_field).map_err(|e| e.within(Field(name)))?;
        } else {
            r.skip(tag)?;
        }
    }
    Ok(())
}

/// Calls `each(index, payload)` for every occurrence of repeated message
/// field `field` of `m`, adding the element to the path of any error.
#[inline]
pub(crate) fn each_element<'a>(
    m: Msg<'a>,
    field: u64,
    name: &'static str,
    mut each: impl FnMut(u64, Msg<'a>) -> Result<(), WireError>,
) -> Result<(), WireError> {
    let mut r = Reader::new(m);
    let mut i = 0;
    while !r.done() {
        let tag = r.tag()?;
        if tag.field == field {
            let segment = Element(name, i);
            let element = r.bytes(tag, segment)?;
            each(i, element).map_err(|e| e.within(segment))?;
            i += 1;
        } else {
            r.skip(tag)?;
        }
    }
    Ok(())
}

/// Walks an `ExportTraceServiceRequest`, handing selected spans to `out`.
pub(crate) fn traces<'a>(
    body: &'a [u8],
    selection: &SpanSelection,
    attrs: &mut Attrs<'a>,
    out: &mut Emitter<'_>,
) -> Result<(), WireError> {
    let empty = attrs.mark();
    each_element(
        Msg::whole(body),
        1,
        "resource_spans",
        |ri, resource_spans| {
            attrs.reset(empty);
            push_header(attrs, resource_spans, 1, "resource", 1)?;
            let service = mapping::service_name(attrs);
            let resource_level = attrs.mark();
            each_element(resource_spans, 2, "scope_spans", |si, scope_spans| {
                attrs.reset(resource_level);
                push_header(attrs, scope_spans, 1, "scope", 3)?;
                let scope_level = attrs.mark();
                each_element(scope_spans, 2, "spans", |k, span_msg| {
                    attrs.reset(scope_level);
                    let at = Position {
                        resource: ri,
                        scope: si,
                        item: k,
                    };
                    span(span_msg, at, service.as_ref(), selection, attrs, out)
                })
            })
        },
    )?;
    attrs.reset(empty);
    Ok(())
}

/// The last `code` of a `Status`, if any.
fn status_code(m: Msg<'_>) -> Result<Option<u64>, WireError> {
    let mut code = None;
    let mut r = Reader::new(m);
    while !r.done() {
        let tag = r.tag()?;
        match tag.field {
            2 => drop(r.bytes(tag, Field("message"))?),
            3 => code = Some(r.uint(tag, Field("code"))?),
            _ => r.skip(tag)?,
        }
    }
    Ok(code)
}

/// An enum field's number: int32 on the wire, sign-extended to 64 bits.
pub(crate) fn enum_number(raw: u64) -> i32 {
    raw as i64 as i32
}

fn span<'a>(
    m: Msg<'a>,
    at: Position,
    service: Option<&Val<'a>>,
    selection: &SpanSelection,
    attrs: &mut Attrs<'a>,
    out: &mut Emitter<'_>,
) -> Result<(), WireError> {
    let empty = Msg {
        bytes: &[],
        at: m.at,
    };
    let (mut trace_id, mut span_id, mut parent): (&[u8], &[u8], &[u8]) = (&[], &[], &[]);
    let (mut trace_state, mut name) = (empty, empty);
    let (mut kind, mut start, mut end) = (0, 0, 0);
    let mut status_error = false;
    // Offsets (relative to `m`) spanning every attribute field.
    let mut attributes: Option<(usize, usize)> = None;
    let mut n_attributes = 0;
    let mut r = Reader::new(m);
    while !r.done() {
        let tag = r.tag()?;
        match tag.field {
            1 => trace_id = r.bytes(tag, Field("trace_id"))?.bytes,
            2 => span_id = r.bytes(tag, Field("span_id"))?.bytes,
            3 => trace_state = r.bytes(tag, Field("trace_state"))?,
            4 => parent = r.bytes(tag, Field("parent_span_id"))?.bytes,
            5 => name = r.bytes(tag, Field("name"))?,
            6 => kind = enum_number(r.uint(tag, Field("kind"))?),
            7 => start = r.fixed64(tag, Field("start_time_unix_nano"))?,
            8 => end = r.fixed64(tag, Field("end_time_unix_nano"))?,
            9 => {
                r.bytes(tag, Element("attributes", n_attributes))?;
                n_attributes += 1;
                let (from, to) = (tag.at - m.at, r.offset() - m.at);
                attributes = Some(attributes.map_or((from, to), |(f, _)| (f, to)));
            }
            15 => {
                let status = r.bytes(tag, Field("status"))?;
                if let Some(code) = status_code(status).map_err(|e| e.within(Field("status")))? {
                    status_error = enum_number(code) == 2;
                }
            }
            _ => r.skip(tag)?,
        }
    }
    let kind = SpanKind::from_number(i64::from(kind));
    if !selection.selects(kind, Id::Bytes(parent).is_unset()) {
        out.skip();
        return Ok(());
    }
    let head = SpanHead {
        kind,
        name: name.text(Field("name"))?,
        trace_state: trace_state.text(Field("trace_state"))?,
        start_unix_nano: start,
        end_unix_nano: end,
        status_error,
    };
    if !out.admit_span(&head, at) {
        return Ok(());
    }
    if let Some((from, to)) = attributes {
        let fields = Msg {
            bytes: m.bytes.get(from..to).unwrap_or(&[]),
            at: m.at + from,
        };
        push_attributes(attrs, fields, 9)?;
    }
    mapping::push_id(attrs, "trace_id", Id::Bytes(trace_id));
    mapping::push_id(attrs, "span_id", Id::Bytes(span_id));
    if let Some(kind) = kind {
        attrs.push_text("span.kind", kind.as_str());
    }
    if let Some(service) = service {
        attrs.push("service.name", service.clone());
    }
    out.span(attrs, &head);
    Ok(())
}

/// Walks an `ExportLogsServiceRequest`, handing selected records to `out`.
pub(crate) fn logs<'a>(
    body: &'a [u8],
    selection: &LogSelection,
    attrs: &mut Attrs<'a>,
    out: &mut Emitter<'_>,
) -> Result<(), WireError> {
    let empty = attrs.mark();
    each_element(Msg::whole(body), 1, "resource_logs", |ri, resource_logs| {
        attrs.reset(empty);
        push_header(attrs, resource_logs, 1, "resource", 1)?;
        let service = mapping::service_name(attrs);
        let resource_level = attrs.mark();
        each_element(resource_logs, 2, "scope_logs", |si, scope_logs| {
            attrs.reset(resource_level);
            push_header(attrs, scope_logs, 1, "scope", 3)?;
            let scope_level = attrs.mark();
            each_element(scope_logs, 2, "log_records", |k, record| {
                attrs.reset(scope_level);
                let at = Position {
                    resource: ri,
                    scope: si,
                    item: k,
                };
                log_record(record, at, service.as_ref(), selection, attrs, out)
            })
        })
    })?;
    attrs.reset(empty);
    Ok(())
}

fn log_record<'a>(
    m: Msg<'a>,
    at: Position,
    service: Option<&Val<'a>>,
    selection: &LogSelection,
    attrs: &mut Attrs<'a>,
    out: &mut Emitter<'_>,
) -> Result<(), WireError> {
    let mut head = LogHead::default();
    let (mut trace_id, mut span_id): (&[u8], &[u8]) = (&[], &[]);
    let mut severity_text = "";
    let mut body = None;
    let mut n_attributes = 0;
    let mut r = Reader::new(m);
    while !r.done() {
        let tag = r.tag()?;
        match tag.field {
            1 => head.time_unix_nano = r.fixed64(tag, Field("time_unix_nano"))?,
            2 => head.severity_number = enum_number(r.uint(tag, Field("severity_number"))?),
            3 => {
                let f = Field("severity_text");
                severity_text = r.bytes(tag, f)?.text(f)?;
            }
            5 => {
                let b = r.bytes(tag, Field("body"))?;
                body = Some(any_value(b).map_err(|e| e.within(Field("body")))?);
            }
            6 => {
                let segment = Element("attributes", n_attributes);
                let kv = r.bytes(tag, segment)?;
                push_attribute(attrs, kv).map_err(|e| e.within(segment))?;
                n_attributes += 1;
            }
            9 => trace_id = r.bytes(tag, Field("trace_id"))?.bytes,
            10 => span_id = r.bytes(tag, Field("span_id"))?.bytes,
            11 => {
                head.observed_time_unix_nano = r.fixed64(tag, Field("observed_time_unix_nano"))?;
            }
            12 => {
                let f = Field("event_name");
                head.event_name = r.bytes(tag, f)?.text(f)?;
            }
            _ => r.skip(tag)?,
        }
    }
    mapping::push_id(attrs, "trace_id", Id::Bytes(trace_id));
    mapping::push_id(attrs, "span_id", Id::Bytes(span_id));
    if !severity_text.is_empty() {
        attrs.push_text("severity_text", severity_text);
    }
    if let Some(body) = body {
        if let AnyValue::Str(_) = body {
            head.string_body = Some(attrs.len());
        }
        push_value(attrs, "body", body).map_err(|e| e.within(Field("body")))?;
    }
    if let Some(service) = service {
        attrs.push("service.name", service.clone());
    }
    out.log(attrs, &head, selection, at);
    Ok(())
}
