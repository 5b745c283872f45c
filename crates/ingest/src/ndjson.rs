//! NDJSON event decoding: one JSON object per line into a borrowed event.
//!
//! Decoding borrows from the body: strings without escapes are slices of it,
//! attribute pairs go into a vector the caller reuses, and attribute values
//! are taken as raw JSON text (so numbers and booleans keep their spelling
//! without formatting). Only escaped strings allocate.
//!
//! Each line is judged on its own and a bad line yields a [`LineRejection`]
//! saying why; it never affects other lines. Wrong types are reported by us,
//! not by serde, so that messages name the field and what was expected. This
//! module must not aggregate or filter: it only turns bytes into events.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use crate::error::LineRejection;
use crate::timestamp::{format_millis, millis_from_number, parse_timestamp};

/// Where decoded attribute pairs go.
///
/// Almost no attribute needs unescaping, so the common sink holds plain
/// borrowed pairs (what `Event` wants) and refuses owned strings; the line
/// is then decoded again into an owning sink. This keeps the hot path free
/// of `Cow` and of a second copy into a borrowed view.
pub(crate) trait AttributeSink<'b> {
    /// Stores a pair; `false` when this sink cannot hold an owned string.
    fn accept(&mut self, key: Cow<'b, str>, value: Cow<'b, str>) -> bool;
    fn clear(&mut self);
}

/// Borrowed pairs only: the fast path.
impl<'b> AttributeSink<'b> for Vec<(&'b str, &'b str)> {
    #[inline]
    fn accept(&mut self, key: Cow<'b, str>, value: Cow<'b, str>) -> bool {
        // Matching by reference keeps the (never taken) owned drop out of
        // the common path.
        if let (Cow::Borrowed(k), Cow::Borrowed(v)) = (&key, &value) {
            self.push((k, v));
            return true;
        }
        false
    }
    fn clear(&mut self) {
        Vec::clear(self);
    }
}

/// Any pairs: the path for lines with escaped attribute strings.
impl<'b> AttributeSink<'b> for Vec<(Cow<'b, str>, Cow<'b, str>)> {
    fn accept(&mut self, key: Cow<'b, str>, value: Cow<'b, str>) -> bool {
        self.push((key, value));
        true
    }
    fn clear(&mut self) {
        Vec::clear(self);
    }
}

/// Why `decode_line` produced no event.
#[derive(Debug, PartialEq)]
pub(crate) enum Failure {
    /// The line is bad; reported to the client.
    Rejected(LineRejection),
    /// The sink refused an unescaped string: decode again with an owning one.
    NeedsOwnedAttributes,
}

impl From<LineRejection> for Failure {
    fn from(r: LineRejection) -> Self {
        Failure::Rejected(r)
    }
}

/// The validated scalar fields of one event (attributes are in the caller's
/// vector).
#[derive(Debug, PartialEq)]
pub(crate) struct DecodedLine<'b> {
    pub(crate) timestamp_ms: i64,
    pub(crate) name: Cow<'b, str>,
    pub(crate) duration_ms: Option<f64>,
    pub(crate) status_error: bool,
    pub(crate) sample_rate: f64,
}

/// The accepted time range, in epoch milliseconds.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TimeBounds {
    pub(crate) oldest_ms: i64,
    pub(crate) now_ms: i64,
    pub(crate) max_future_secs: i64,
}

/// Splits a body into `(1-based line number, line)` pairs, without the line
/// terminator (`\n` or `\r\n`).
pub(crate) fn lines(body: &[u8]) -> impl Iterator<Item = (u64, &[u8])> {
    let mut rest = body;
    let mut number = 0u64;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        number += 1;
        let (line, tail) = match memchr::memchr(b'\n', rest) {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, &rest[rest.len()..]),
        };
        rest = tail;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        Some((number, line))
    })
}

/// True for lines that hold only JSON whitespace; they are skipped.
pub(crate) fn is_blank(line: &[u8]) -> bool {
    line.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r'))
}

/// Decodes and validates one non-blank line. `attrs` must be empty; on
/// success it holds the event's attributes.
pub(crate) fn decode_line<'b, S: AttributeSink<'b>>(
    line: &'b [u8],
    attrs: &mut S,
    bounds: &TimeBounds,
) -> Result<DecodedLine<'b>, Failure> {
    let first = line
        .iter()
        .copied()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\r'));
    if first != Some(b'{') {
        return Err(not_an_object(line).into());
    }
    // One UTF-8 check for the whole line lets serde borrow strings without
    // checking each again (its `str` reader trusts its input).
    let text = std::str::from_utf8(line).map_err(|e| LineRejection::MalformedJson {
        column: e.valid_up_to() + 1,
        message: "invalid utf-8".to_owned(),
    })?;
    let mut fields = RawFields::default();
    let mut de = serde_json::Deserializer::from_str(text);
    let parsed = LineSeed {
        fields: &mut fields,
        attrs,
    }
    .deserialize(&mut de)
    .and_then(|()| de.end());
    if fields.needs_owned {
        return Err(Failure::NeedsOwnedAttributes);
    }
    parsed.map_err(malformed)?;
    Ok(validate(fields, bounds)?)
}

fn not_an_object(line: &[u8]) -> LineRejection {
    match serde_json::from_slice::<IgnoredAny>(line) {
        Err(e) => malformed(e),
        Ok(_) => {
            let found = match serde_json::from_slice::<Scalar<'_>>(line) {
                Ok(s) => s.describe(),
                Err(_) => "not an object".to_owned(),
            };
            LineRejection::WrongType {
                field: "line",
                found,
                expected: "a json object",
            }
        }
    }
}

fn malformed(e: serde_json::Error) -> LineRejection {
    let text = e.to_string();
    // serde appends " at line L column C"; we report the column ourselves.
    let message = match text.rfind(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    };
    LineRejection::MalformedJson {
        column: e.column(),
        message,
    }
}

/// Top-level fields as found, before validation.
#[derive(Default)]
struct RawFields<'b> {
    timestamp: Option<Scalar<'b>>,
    name: Option<Scalar<'b>>,
    duration_ms: Option<Scalar<'b>>,
    status: Option<Scalar<'b>>,
    sample_rate: Option<Scalar<'b>>,
    /// The first attribute problem found, if any.
    attributes: Option<LineRejection>,
    /// The attribute sink refused an owned string; decoding stopped.
    needs_owned: bool,
}

fn validate<'b>(f: RawFields<'b>, bounds: &TimeBounds) -> Result<DecodedLine<'b>, LineRejection> {
    let timestamp_ms = match f.timestamp {
        None | Some(Scalar::Null) => return Err(LineRejection::MissingTimestamp),
        Some(Scalar::Str(text)) => {
            parse_timestamp(&text).map_err(|e| LineRejection::BadTimestamp {
                text: format!("{:?}", e.text),
                reason: e.reason,
            })?
        }
        Some(Scalar::Num(n)) => {
            millis_from_number(n).ok_or_else(|| LineRejection::BadTimestamp {
                text: n.to_string(),
                reason: "epoch milliseconds out of range (years -9999 to 9999)".to_owned(),
            })?
        }
        Some(other) => {
            return Err(LineRejection::WrongType {
                field: "timestamp",
                found: other.describe(),
                expected: "an rfc 3339 string or epoch milliseconds",
            });
        }
    };
    let name = match f.name {
        None | Some(Scalar::Null) => Cow::Borrowed(""),
        Some(Scalar::Str(s)) => s,
        Some(other) => return Err(wrong("name", other, "a string")),
    };
    let status_error = match f.status {
        None | Some(Scalar::Null) => false,
        Some(Scalar::Str(s)) if s == "ok" => false,
        Some(Scalar::Str(s)) if s == "error" => true,
        Some(other) => return Err(wrong("status", other, "\"ok\" or \"error\"")),
    };
    let duration_ms = match f.duration_ms {
        None | Some(Scalar::Null) => None,
        Some(Scalar::Num(n)) if n >= 0.0 => Some(n),
        Some(other) => {
            return Err(wrong(
                "duration_ms",
                other,
                "a non-negative number of milliseconds",
            ));
        }
    };
    let sample_rate = match f.sample_rate {
        None | Some(Scalar::Null) => 1.0,
        Some(Scalar::Num(n)) if n > 0.0 => n,
        Some(Scalar::Num(n)) => {
            return Err(LineRejection::BadSampleRate {
                value: n.to_string(),
            });
        }
        Some(other) => return Err(wrong("sample_rate", other, "a number greater than 0")),
    };
    if let Some(problem) = f.attributes {
        return Err(problem);
    }
    if timestamp_ms < bounds.oldest_ms {
        return Err(LineRejection::TooOld {
            timestamp: format_millis(timestamp_ms),
            oldest: format_millis(bounds.oldest_ms),
        });
    }
    if timestamp_ms
        > bounds
            .now_ms
            .saturating_add(bounds.max_future_secs.saturating_mul(1000))
    {
        return Err(LineRejection::InFuture {
            timestamp: format_millis(timestamp_ms),
            now: format_millis(bounds.now_ms),
            max_secs: bounds.max_future_secs,
        });
    }
    Ok(DecodedLine {
        timestamp_ms,
        name,
        duration_ms,
        status_error,
        sample_rate,
    })
}

fn wrong(field: &'static str, found: Scalar<'_>, expected: &'static str) -> LineRejection {
    LineRejection::WrongType {
        field,
        found: found.describe(),
        expected,
    }
}

/// Any JSON value, reduced to what validation needs to know about it.
#[derive(Debug, PartialEq)]
enum Scalar<'b> {
    Str(Cow<'b, str>),
    Num(f64),
    Bool(bool),
    Null,
    Array,
    Object,
}

impl Scalar<'_> {
    /// How the value appears in a message: `the string "abc"`, `-3`, `an array`.
    fn describe(&self) -> String {
        match self {
            Scalar::Str(s) => {
                let shown: String = s.chars().take(40).collect();
                let ellipsis = if shown.len() < s.len() { "…" } else { "" };
                format!("the string {shown:?}{ellipsis}")
            }
            Scalar::Num(n) => n.to_string(),
            Scalar::Bool(b) => b.to_string(),
            Scalar::Null => "null".to_owned(),
            Scalar::Array => "an array".to_owned(),
            Scalar::Object => "an object".to_owned(),
        }
    }
}

impl<'de> de::Deserialize<'de> for Scalar<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any json value")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Scalar::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Scalar::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Scalar::Str(Cow::Owned(v)))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Scalar::Num(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Scalar::Num(v as f64))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Scalar::Num(v as f64))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Scalar::Bool(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Scalar::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Scalar::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Scalar::Array)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Scalar::Object)
    }
}

/// The top-level keys we read; anything else is skipped.
enum TopKey {
    Timestamp,
    Name,
    DurationMs,
    Status,
    SampleRate,
    Attributes,
    Other,
}

impl<'de> de::Deserialize<'de> for TopKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_identifier(TopKeyVisitor)
    }
}

struct TopKeyVisitor;

impl Visitor<'_> for TopKeyVisitor {
    type Value = TopKey;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<TopKey, E> {
        Ok(match v {
            "timestamp" => TopKey::Timestamp,
            "name" => TopKey::Name,
            "duration_ms" => TopKey::DurationMs,
            "status" => TopKey::Status,
            "sample_rate" => TopKey::SampleRate,
            "attributes" => TopKey::Attributes,
            _ => TopKey::Other,
        })
    }
}

/// Decodes the event object into `fields` and `attrs`.
struct LineSeed<'s, 'b, S> {
    fields: &'s mut RawFields<'b>,
    attrs: &'s mut S,
}

impl<'b, S: AttributeSink<'b>> DeserializeSeed<'b> for LineSeed<'_, 'b, S> {
    type Value = ();

    fn deserialize<D: Deserializer<'b>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'b, S: AttributeSink<'b>> Visitor<'b> for LineSeed<'_, 'b, S> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an event object")
    }

    fn visit_map<A: MapAccess<'b>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<TopKey>()? {
            match key {
                TopKey::Timestamp => self.fields.timestamp = Some(map.next_value()?),
                TopKey::Name => self.fields.name = Some(map.next_value()?),
                TopKey::DurationMs => self.fields.duration_ms = Some(map.next_value()?),
                TopKey::Status => self.fields.status = Some(map.next_value()?),
                TopKey::SampleRate => self.fields.sample_rate = Some(map.next_value()?),
                TopKey::Attributes => {
                    // A repeated "attributes" key replaces the earlier one,
                    // as any other repeated key does.
                    self.attrs.clear();
                    let seed = AttributesSeed {
                        attrs: self.attrs,
                        refused: &mut self.fields.needs_owned,
                    };
                    self.fields.attributes = map.next_value_seed(seed)?;
                }
                TopKey::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// Decodes the `attributes` object; yields the first problem, if any.
struct AttributesSeed<'s, S> {
    attrs: &'s mut S,
    /// Set when the sink refuses a pair; decoding then fails fast.
    refused: &'s mut bool,
}

impl<'b, S: AttributeSink<'b>> DeserializeSeed<'b> for AttributesSeed<'_, S> {
    type Value = Option<LineRejection>;

    fn deserialize<D: Deserializer<'b>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'b, S: AttributeSink<'b>> Visitor<'b> for AttributesSeed<'_, S> {
    type Value = Option<LineRejection>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an attributes object")
    }

    fn visit_map<A: MapAccess<'b>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut problem = None;
        while let Some(BorrowedText(key)) = map.next_key()? {
            let raw: &'b RawValue = map.next_value()?;
            let text = raw.get();
            let value = match text.as_bytes()[0] {
                b'"' => {
                    let inner = &text[1..text.len() - 1];
                    // A plain loop: values are short and `memchr`'s dispatch
                    // costs more than the scan.
                    if !inner.bytes().any(|b| b == b'\\') {
                        Cow::Borrowed(inner)
                    } else {
                        Cow::Owned(serde_json::from_str::<String>(text).map_err(de::Error::custom)?)
                    }
                }
                // Null means "not set", as with the top-level fields.
                b'n' => continue,
                b'{' | b'[' => {
                    if problem.is_none() {
                        let found = if text.starts_with('{') {
                            "an object"
                        } else {
                            "an array"
                        };
                        problem = Some(LineRejection::BadAttribute {
                            key: key.into_owned(),
                            found,
                        });
                    }
                    continue;
                }
                // Numbers and booleans keep their JSON spelling.
                _ => Cow::Borrowed(text),
            };
            if !self.attrs.accept(key, value) {
                *self.refused = true;
                return Err(de::Error::custom("attribute needs unescaping"));
            }
        }
        Ok(problem)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_seq<A: SeqAccess<'b>>(self, seq: A) -> Result<Self::Value, A::Error> {
        ScalarVisitor
            .visit_seq(seq)
            .map(|s| Some(wrong("attributes", s, "an object of string values")))
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'b str) -> Result<Self::Value, E> {
        Ok(Some(wrong(
            "attributes",
            Scalar::Str(Cow::Borrowed(v)),
            "an object of string values",
        )))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(wrong(
            "attributes",
            Scalar::Str(Cow::Owned(v.to_owned())),
            "an object of string values",
        )))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(wrong(
            "attributes",
            Scalar::Num(v),
            "an object of string values",
        )))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        self.visit_f64(v as f64)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        self.visit_f64(v as f64)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(wrong(
            "attributes",
            Scalar::Bool(v),
            "an object of string values",
        )))
    }
}

/// A JSON string borrowed from the body when it has no escapes.
struct BorrowedText<'b>(Cow<'b, str>);

impl<'de> de::Deserialize<'de> for BorrowedText<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = BorrowedText<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(BorrowedText(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(BorrowedText(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(V)
    }
}

#[cfg(test)]
mod tests;
