//! OTLP/JSON: the protobuf JSON mapping of the same two export requests,
//! decoded with serde_json into a tree that borrows the body's strings, then
//! mapped like the protobuf walk.
//!
//! What OTLP/JSON changes from the plain protobuf JSON mapping, and what
//! this decoder accepts: field names in lowerCamelCase (the proto names are
//! accepted too), trace and span ids as hex strings (not base64; uppercase
//! hex is lowercased), enums as integers (their proto names are accepted
//! too), 64-bit integers as decimal strings or numbers, doubles as numbers
//! or `"NaN"`, `"Infinity"`, `"-Infinity"`, `bytesValue` as base64 (kept as
//! the attribute's text, unchecked). `null` means the field is absent;
//! unknown fields are ignored, as the OTLP specification requires. A bad
//! value fails the whole body; the error names its JSON path, line and
//! column (found by parsing the failed body a second time with
//! `serde_path_to_error`, so that the path costs nothing on success).
//!
//! Unlike the protobuf walk, the tree holds a vector per list, so decoding
//! allocates per span; JSON is the convenience format, protobuf the fast one.

#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::attributes::{Attrs, Val};
use crate::error::{OtlpError, Signal};
use crate::mapping::{
    self, Emitter, Id, LogHead, LogSelection, Position, SpanHead, SpanKind, SpanSelection,
};
use crate::render;

/// A string, borrowed from the body unless it had escapes.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Str<'a>(pub(crate) Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Str<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Str<'a>, E> {
                Ok(Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Str<'a>, E> {
                Ok(Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Str<'a>, E> {
                Ok(Str(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V(PhantomData))
    }
}

/// A trace or span id: hex digits, an even number of them.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct HexId<'a>(pub(crate) Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for HexId<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let Str(s) = Str::deserialize(d)?;
        if s.len() % 2 == 0 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(HexId(s))
        } else {
            Err(de::Error::custom(format_args!(
                "id {s:?} is not hex; expected an even number of hex digits"
            )))
        }
    }
}

/// How a JSON number or string reads as an integer.
fn integer_from_f64(v: f64, min: f64, max: f64) -> Option<f64> {
    (v.fract() == 0.0 && v >= min && v <= max).then_some(v)
}

/// `fixed64` nanoseconds: a decimal string or a number.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Nanos(pub(crate) u64);

impl<'de> Deserialize<'de> for Nanos {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Nanos;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("unsigned nanoseconds as a decimal string or a number")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Nanos, E> {
                Ok(Nanos(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Nanos, E> {
                u64::try_from(v)
                    .map(Nanos)
                    .map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Nanos, E> {
                integer_from_f64(v, 0.0, u64::MAX as f64)
                    .map(|v| Nanos(v as u64))
                    .ok_or_else(|| E::invalid_value(de::Unexpected::Float(v), &self))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Nanos, E> {
                v.parse()
                    .map(Nanos)
                    .map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
            }
        }
        d.deserialize_any(V)
    }
}

/// An `int64` value: a decimal string or a number.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Int(pub(crate) i64);

impl<'de> Deserialize<'de> for Int {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Int;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a 64-bit integer as a decimal string or a number")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Int, E> {
                Ok(Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Int, E> {
                i64::try_from(v)
                    .map(Int)
                    .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Int, E> {
                integer_from_f64(v, i64::MIN as f64, i64::MAX as f64)
                    .map(|v| Int(v as i64))
                    .ok_or_else(|| E::invalid_value(de::Unexpected::Float(v), &self))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Int, E> {
                v.parse()
                    .map(Int)
                    .map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
            }
        }
        d.deserialize_any(V)
    }
}

/// A `double` value: a number, or `"NaN"`, `"Infinity"`, `"-Infinity"` or a
/// decimal string. The number's text is parsed here rather than by
/// serde_json, whose default float parsing can be one unit in the last
/// place off (its exact mode is a workspace-wide feature that would slow
/// NDJSON ingest).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Double(pub(crate) f64);

impl<'de> Deserialize<'de> for Double {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = <&'de RawValue>::deserialize(d)?.get();
        let text = match raw.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
            Some("NaN") => return Ok(Double(f64::NAN)),
            Some("Infinity") => return Ok(Double(f64::INFINITY)),
            Some("-Infinity") => return Ok(Double(f64::NEG_INFINITY)),
            Some(inner) => inner,
            None => raw,
        };
        // JSON numbers are a subset of what `f64::from_str` reads, which
        // also rounds correctly; letters (`inf`, `nan`) are not JSON.
        match text.parse::<f64>() {
            Ok(v)
                if !text
                    .bytes()
                    .any(|b| b.is_ascii_alphabetic() && b != b'e' && b != b'E') =>
            {
                Ok(Double(v))
            }
            _ => Err(de::Error::invalid_value(
                de::Unexpected::Str(raw),
                &"a number, \"NaN\", \"Infinity\" or \"-Infinity\"",
            )),
        }
    }
}

/// An enum field: its number, or its proto name.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct EnumNumber(pub(crate) i32);

/// Proto names of the enum values this decoder reads.
const ENUM_NAMES: &[(&str, i32)] = &[
    ("SPAN_KIND_UNSPECIFIED", 0),
    ("SPAN_KIND_INTERNAL", 1),
    ("SPAN_KIND_SERVER", 2),
    ("SPAN_KIND_CLIENT", 3),
    ("SPAN_KIND_PRODUCER", 4),
    ("SPAN_KIND_CONSUMER", 5),
    ("STATUS_CODE_UNSET", 0),
    ("STATUS_CODE_OK", 1),
    ("STATUS_CODE_ERROR", 2),
    ("AGGREGATION_TEMPORALITY_UNSPECIFIED", 0),
    ("AGGREGATION_TEMPORALITY_DELTA", 1),
    ("AGGREGATION_TEMPORALITY_CUMULATIVE", 2),
    ("SEVERITY_NUMBER_UNSPECIFIED", 0),
    ("SEVERITY_NUMBER_TRACE", 1),
    ("SEVERITY_NUMBER_TRACE2", 2),
    ("SEVERITY_NUMBER_TRACE3", 3),
    ("SEVERITY_NUMBER_TRACE4", 4),
    ("SEVERITY_NUMBER_DEBUG", 5),
    ("SEVERITY_NUMBER_DEBUG2", 6),
    ("SEVERITY_NUMBER_DEBUG3", 7),
    ("SEVERITY_NUMBER_DEBUG4", 8),
    ("SEVERITY_NUMBER_INFO", 9),
    ("SEVERITY_NUMBER_INFO2", 10),
    ("SEVERITY_NUMBER_INFO3", 11),
    ("SEVERITY_NUMBER_INFO4", 12),
    ("SEVERITY_NUMBER_WARN", 13),
    ("SEVERITY_NUMBER_WARN2", 14),
    ("SEVERITY_NUMBER_WARN3", 15),
    ("SEVERITY_NUMBER_WARN4", 16),
    ("SEVERITY_NUMBER_ERROR", 17),
    ("SEVERITY_NUMBER_ERROR2", 18),
    ("SEVERITY_NUMBER_ERROR3", 19),
    ("SEVERITY_NUMBER_ERROR4", 20),
    ("SEVERITY_NUMBER_FATAL", 21),
    ("SEVERITY_NUMBER_FATAL2", 22),
    ("SEVERITY_NUMBER_FATAL3", 23),
    ("SEVERITY_NUMBER_FATAL4", 24),
];

impl<'de> Deserialize<'de> for EnumNumber {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = EnumNumber;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an enum value as a 32-bit integer")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<EnumNumber, E> {
                i32::try_from(v)
                    .map(EnumNumber)
                    .map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<EnumNumber, E> {
                i32::try_from(v)
                    .map(EnumNumber)
                    .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<EnumNumber, E> {
                ENUM_NAMES
                    .iter()
                    .find(|(name, _)| *name == v)
                    .map(|&(_, n)| EnumNumber(n))
                    .ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))
            }
        }
        d.deserialize_any(V)
    }
}

/// An `AnyValue`; the last member present wins, as on the wire.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) enum AnyValue<'a> {
    #[default]
    Empty,
    Str(Cow<'a, str>),
    Bool(bool),
    Int(i64),
    Double(f64),
    Array(Vec<AnyValue<'a>>),
    KvList(Vec<KeyValue<'a>>),
    /// Base64, as sent.
    Bytes(Cow<'a, str>),
}

#[derive(Deserialize)]
struct ValuesOf<T> {
    #[serde(default)]
    values: Option<Vec<T>>,
}

impl<'de: 'a, 'a> Deserialize<'de> for AnyValue<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = AnyValue<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an AnyValue object")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<AnyValue<'a>, M::Error> {
                let mut value = AnyValue::Empty;
                while let Some(Str(key)) = map.next_key::<Str<'de>>()? {
                    let v = match &*key {
                        "stringValue" | "string_value" => map
                            .next_value::<Option<Str<'a>>>()?
                            .map(|s| AnyValue::Str(s.0)),
                        "boolValue" | "bool_value" => {
                            map.next_value::<Option<bool>>()?.map(AnyValue::Bool)
                        }
                        "intValue" | "int_value" => {
                            map.next_value::<Option<Int>>()?.map(|i| AnyValue::Int(i.0))
                        }
                        "doubleValue" | "double_value" => map
                            .next_value::<Option<Double>>()?
                            .map(|x| AnyValue::Double(x.0)),
                        "arrayValue" | "array_value" => map
                            .next_value::<Option<ValuesOf<AnyValue<'a>>>>()?
                            .map(|a| AnyValue::Array(a.values.unwrap_or_default())),
                        "kvlistValue" | "kvlist_value" => map
                            .next_value::<Option<ValuesOf<KeyValue<'a>>>>()?
                            .map(|l| AnyValue::KvList(l.values.unwrap_or_default())),
                        "bytesValue" | "bytes_value" => map
                            .next_value::<Option<Str<'a>>>()?
                            .map(|s| AnyValue::Bytes(s.0)),
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                            None
                        }
                    };
                    if let Some(v) = v {
                        value = v;
                    }
                }
                Ok(value)
            }
        }
        d.deserialize_map(V(PhantomData))
    }
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub(crate) struct KeyValue<'a> {
    #[serde(borrow, default)]
    pub(crate) key: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(crate) value: Option<AnyValue<'a>>,
}

/// A `Resource` or an `InstrumentationScope`: only their attributes matter.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Header<'a> {
    #[serde(borrow, default)]
    pub(crate) attributes: Option<Vec<KeyValue<'a>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TracesRequest<'a> {
    #[serde(borrow, default, alias = "resource_spans")]
    resource_spans: Option<Vec<ResourceSpans<'a>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResourceSpans<'a> {
    #[serde(borrow, default)]
    resource: Option<Header<'a>>,
    #[serde(borrow, default, alias = "scope_spans")]
    scope_spans: Option<Vec<ScopeSpans<'a>>>,
}

#[derive(Debug, Default, Deserialize)]
struct ScopeSpans<'a> {
    #[serde(borrow, default)]
    scope: Option<Header<'a>>,
    #[serde(borrow, default)]
    spans: Option<Vec<Span<'a>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Span<'a> {
    #[serde(borrow, default, alias = "trace_id")]
    trace_id: Option<HexId<'a>>,
    #[serde(borrow, default, alias = "span_id")]
    span_id: Option<HexId<'a>>,
    #[serde(borrow, default, alias = "trace_state")]
    trace_state: Option<Str<'a>>,
    #[serde(borrow, default, alias = "parent_span_id")]
    parent_span_id: Option<HexId<'a>>,
    #[serde(borrow, default)]
    name: Option<Str<'a>>,
    #[serde(default)]
    kind: Option<EnumNumber>,
    #[serde(default, alias = "start_time_unix_nano")]
    start_time_unix_nano: Option<Nanos>,
    #[serde(default, alias = "end_time_unix_nano")]
    end_time_unix_nano: Option<Nanos>,
    #[serde(borrow, default)]
    attributes: Option<Vec<KeyValue<'a>>>,
    #[serde(default)]
    status: Option<Status>,
}

#[derive(Debug, Default, Deserialize)]
struct Status {
    #[serde(default)]
    code: Option<EnumNumber>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LogsRequest<'a> {
    #[serde(borrow, default, alias = "resource_logs")]
    resource_logs: Option<Vec<ResourceLogs<'a>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResourceLogs<'a> {
    #[serde(borrow, default)]
    resource: Option<Header<'a>>,
    #[serde(borrow, default, alias = "scope_logs")]
    scope_logs: Option<Vec<ScopeLogs<'a>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ScopeLogs<'a> {
    #[serde(borrow, default)]
    scope: Option<Header<'a>>,
    #[serde(borrow, default, alias = "log_records")]
    log_records: Option<Vec<LogRecord<'a>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LogRecord<'a> {
    #[serde(default, alias = "time_unix_nano")]
    time_unix_nano: Option<Nanos>,
    #[serde(default, alias = "observed_time_unix_nano")]
    observed_time_unix_nano: Option<Nanos>,
    #[serde(default, alias = "severity_number")]
    severity_number: Option<EnumNumber>,
    #[serde(borrow, default, alias = "severity_text")]
    severity_text: Option<Str<'a>>,
    #[serde(borrow, default)]
    body: Option<AnyValue<'a>>,
    #[serde(borrow, default)]
    attributes: Option<Vec<KeyValue<'a>>>,
    #[serde(borrow, default, alias = "trace_id")]
    trace_id: Option<HexId<'a>>,
    #[serde(borrow, default, alias = "span_id")]
    span_id: Option<HexId<'a>>,
    #[serde(borrow, default, alias = "event_name")]
    event_name: Option<Str<'a>>,
}

/// Parses a body as `T`, naming the JSON path of any error.
pub(crate) fn parse<'a, T: Deserialize<'a>>(
    body: &'a [u8],
    signal: Signal,
) -> Result<T, OtlpError> {
    match serde_json::from_slice(body) {
        Ok(t) => Ok(t),
        Err(plain) => {
            let mut de = serde_json::Deserializer::from_slice(body);
            let path = match serde_path_to_error::deserialize::<_, T>(&mut de) {
                Err(e) if e.path().iter().len() > 0 => e.path().to_string(),
                _ => "request".to_owned(),
            };
            let (line, column) = (plain.line(), plain.column());
            let mut message = plain.to_string();
            let suffix = format!(" at line {line} column {column}");
            if let Some(stripped) = message.strip_suffix(&suffix) {
                message.truncate(stripped.len());
            }
            Err(OtlpError::Json {
                signal,
                path,
                line,
                column,
                message,
            })
        }
    }
}

pub(crate) fn text<'t>(s: &'t Option<Str<'_>>) -> &'t str {
    s.as_ref().map_or("", |s| &s.0)
}

fn id<'t>(h: &'t Option<HexId<'_>>) -> Id<'t> {
    Id::Hex(h.as_ref().map_or("", |h| &h.0))
}

fn nanos(n: Option<Nanos>) -> u64 {
    n.map_or(0, |n| n.0)
}

/// Pushes `key` with `value` as text (see [`render`]).
fn push_value<'t>(attrs: &mut Attrs<'t>, key: &'t str, value: &'t AnyValue<'_>) {
    match value {
        AnyValue::Str(s) | AnyValue::Bytes(s) => attrs.push_text(key, s),
        AnyValue::Bool(b) => attrs.push_text(key, if *b { "true" } else { "false" }),
        AnyValue::Empty => attrs.push_text(key, ""),
        AnyValue::Int(i) => {
            let start = attrs.scratch().len();
            render::write_i64(attrs.scratch(), *i);
            attrs.push_rendered(key, start);
        }
        AnyValue::Double(d) => {
            let start = attrs.scratch().len();
            render::write_f64(attrs.scratch(), *d);
            attrs.push_rendered(key, start);
        }
        AnyValue::Array(_) | AnyValue::KvList(_) => {
            let start = attrs.scratch().len();
            write_json(attrs.scratch(), value);
            attrs.push_rendered(key, start);
        }
    }
}

/// Writes `value` as compact JSON; serde_json's recursion limit bounds
/// the nesting.
fn write_json(out: &mut String, value: &AnyValue<'_>) {
    match value {
        AnyValue::Empty => out.push_str("null"),
        AnyValue::Str(s) => render::write_json_str(out, s),
        AnyValue::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        AnyValue::Int(i) => render::write_i64(out, *i),
        AnyValue::Double(d) => render::write_json_f64(out, *d),
        AnyValue::Bytes(b) => render::write_json_str(out, b),
        AnyValue::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(out, item);
            }
            out.push(']');
        }
        AnyValue::KvList(pairs) => {
            out.push('{');
            for (i, kv) in pairs.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                render::write_json_str(out, text(&kv.key));
                out.push(':');
                write_json(out, kv.value.as_ref().unwrap_or(&AnyValue::Empty));
            }
            out.push('}');
        }
    }
}

pub(crate) fn push_attributes<'t>(attrs: &mut Attrs<'t>, list: &'t Option<Vec<KeyValue<'_>>>) {
    for kv in list.iter().flatten() {
        match &kv.value {
            Some(v) => push_value(attrs, text(&kv.key), v),
            None => attrs.push_text(text(&kv.key), ""),
        }
    }
}

fn push_header<'t>(attrs: &mut Attrs<'t>, header: &'t Option<Header<'_>>) {
    if let Some(h) = header {
        push_attributes(attrs, &h.attributes);
    }
}

/// Maps a parsed `ExportTraceServiceRequest`, handing selected spans to `out`.
pub(crate) fn traces<'t>(
    request: &'t TracesRequest<'_>,
    selection: &SpanSelection,
    attrs: &mut Attrs<'t>,
    out: &mut Emitter<'_>,
) {
    let empty = attrs.mark();
    for (ri, rs) in request.resource_spans.iter().flatten().enumerate() {
        attrs.reset(empty);
        push_header(attrs, &rs.resource);
        let service = mapping::service_name(attrs);
        let resource_level = attrs.mark();
        for (si, ss) in rs.scope_spans.iter().flatten().enumerate() {
            attrs.reset(resource_level);
            push_header(attrs, &ss.scope);
            let scope_level = attrs.mark();
            for (k, span) in ss.spans.iter().flatten().enumerate() {
                attrs.reset(scope_level);
                let at = Position {
                    resource: ri as u64,
                    scope: si as u64,
                    item: k as u64,
                };
                map_span(span, at, service.as_ref(), selection, attrs, out);
            }
        }
    }
    attrs.reset(empty);
}

fn map_span<'t>(
    span: &'t Span<'_>,
    at: Position,
    service: Option<&Val<'t>>,
    selection: &SpanSelection,
    attrs: &mut Attrs<'t>,
    out: &mut Emitter<'_>,
) {
    let kind = SpanKind::from_number(i64::from(span.kind.unwrap_or_default().0));
    if !selection.selects(kind, id(&span.parent_span_id).is_unset()) {
        out.skip();
        return;
    }
    let status = span.status.as_ref().and_then(|s| s.code);
    let head = SpanHead {
        kind,
        name: text(&span.name),
        trace_state: text(&span.trace_state),
        start_unix_nano: nanos(span.start_time_unix_nano),
        end_unix_nano: nanos(span.end_time_unix_nano),
        status_error: status.is_some_and(|c| c.0 == 2),
    };
    if !out.admit_span(&head, at) {
        return;
    }
    push_attributes(attrs, &span.attributes);
    mapping::push_id(attrs, "trace_id", id(&span.trace_id));
    mapping::push_id(attrs, "span_id", id(&span.span_id));
    if let Some(kind) = kind {
        attrs.push_text("span.kind", kind.as_str());
    }
    if let Some(service) = service {
        attrs.push("service.name", service.clone());
    }
    out.span(attrs, &head);
}

/// Maps a parsed `ExportLogsServiceRequest`, handing selected records to `out`.
pub(crate) fn logs<'t>(
    request: &'t LogsRequest<'_>,
    selection: &LogSelection,
    attrs: &mut Attrs<'t>,
    out: &mut Emitter<'_>,
) {
    let empty = attrs.mark();
    for (ri, rl) in request.resource_logs.iter().flatten().enumerate() {
        attrs.reset(empty);
        push_header(attrs, &rl.resource);
        let service = mapping::service_name(attrs);
        let resource_level = attrs.mark();
        for (si, sl) in rl.scope_logs.iter().flatten().enumerate() {
            attrs.reset(resource_level);
            push_header(attrs, &sl.scope);
            let scope_level = attrs.mark();
            for (k, record) in sl.log_records.iter().flatten().enumerate() {
                attrs.reset(scope_level);
                let at = Position {
                    resource: ri as u64,
                    scope: si as u64,
                    item: k as u64,
                };
                map_log(record, at, service.as_ref(), selection, attrs, out);
            }
        }
    }
    attrs.reset(empty);
}

fn map_log<'t>(
    record: &'t LogRecord<'_>,
    at: Position,
    service: Option<&Val<'t>>,
    selection: &LogSelection,
    attrs: &mut Attrs<'t>,
    out: &mut Emitter<'_>,
) {
    let mut head = LogHead {
        time_unix_nano: nanos(record.time_unix_nano),
        observed_time_unix_nano: nanos(record.observed_time_unix_nano),
        severity_number: record.severity_number.map_or(0, |n| n.0),
        event_name: text(&record.event_name),
        string_body: None,
    };
    push_attributes(attrs, &record.attributes);
    mapping::push_id(attrs, "trace_id", id(&record.trace_id));
    mapping::push_id(attrs, "span_id", id(&record.span_id));
    let severity_text = text(&record.severity_text);
    if !severity_text.is_empty() {
        attrs.push_text("severity_text", severity_text);
    }
    if let Some(body) = &record.body {
        if let AnyValue::Str(_) = body {
            head.string_body = Some(attrs.len());
        }
        push_value(attrs, "body", body);
    }
    if let Some(service) = service {
        attrs.push("service.name", service.clone());
    }
    out.log(attrs, &head, selection, at);
}
