//! Every error this crate reports: a body that is not a well-formed OTLP
//! export request, with where it went wrong.
//!
//! A protobuf error names the byte offset and the field path from the
//! request down to the offending field
//! (`resource_spans[2].scope_spans[0].spans[5].attributes[3]`); a JSON error
//! names the line, column and the path in the JSON document. Messages are
//! lowercase and reach users verbatim (HTTP 400 bodies). Nothing here maps to
//! HTTP or gRPC statuses: that is the server's job. Problems with one span or
//! log record that leave the rest of the request usable are not errors but
//! [`Rejection`](crate::Rejection)s.

use std::fmt;

/// Which OTLP export request a body was meant to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    Traces,
    Logs,
    Metrics,
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Signal::Traces => "traces",
            Signal::Logs => "logs",
            Signal::Metrics => "metrics",
        })
    }
}

/// A body that is not a well-formed export request; nothing after the
/// problem was decoded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OtlpError {
    #[error("otlp {signal} protobuf body: {path}: {problem} at byte {offset}")]
    Protobuf {
        signal: Signal,
        /// From the request down to the field where the problem is.
        path: FieldPath,
        /// Byte offset of the problem in the (decompressed) body.
        offset: usize,
        problem: WireProblem,
    },
    #[error("otlp {signal} json body: {path}: {message} at line {line}, column {column}")]
    Json {
        signal: Signal,
        /// The JSON path (`resourceSpans[0].scopeSpans[1].spans[3].kind`),
        /// or `request` when the problem is the document itself.
        path: String,
        /// 1-based line and column of the problem.
        line: usize,
        column: usize,
        message: String,
    },
}

/// What is wrong with a protobuf body at the place an [`OtlpError`] names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WireProblem {
    /// The body or message ends inside a varint.
    TruncatedVarint,
    /// A varint runs over 10 bytes or 64 bits.
    VarintTooLong,
    /// A length-delimited or fixed-size field runs past its message.
    Truncated {
        what: &'static str,
        needed: u64,
        left: usize,
    },
    /// A known field encoded with another wire type than its declared one.
    WrongWireType { found: u8, expected: u8 },
    /// Wire types 3 and 4 (groups), which OTLP never uses.
    Group(u8),
    /// Wire types 6 and 7 do not exist.
    InvalidWireType(u8),
    /// A tag whose field number is 0.
    FieldNumberZero,
    /// A `string` field whose bytes are not UTF-8.
    InvalidUtf8,
    /// Array and key-value-list values nested deeper than this.
    TooDeep(usize),
}

fn wire_name(wire: u8) -> &'static str {
    match wire {
        0 => "varint",
        1 => "64-bit",
        2 => "length-delimited",
        3 | 4 => "group",
        5 => "32-bit",
        _ => "invalid",
    }
}

impl fmt::Display for WireProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            WireProblem::TruncatedVarint => f.write_str("truncated varint"),
            WireProblem::VarintTooLong => f.write_str("varint longer than 64 bits"),
            WireProblem::Truncated { what, needed, left } => write!(
                f,
                "{what} of {needed} bytes runs past the end of its message ({left} bytes left)"
            ),
            WireProblem::WrongWireType { found, expected } => write!(
                f,
                "wire type {found} ({}) where {expected} ({}) was expected",
                wire_name(found),
                wire_name(expected)
            ),
            WireProblem::Group(w) => write!(f, "group (wire type {w}), which otlp does not use"),
            WireProblem::InvalidWireType(w) => write!(f, "invalid wire type {w}"),
            WireProblem::FieldNumberZero => {
                f.write_str("field number 0, which is not valid protobuf")
            }
            WireProblem::InvalidUtf8 => f.write_str("string field that is not valid utf-8"),
            WireProblem::TooDeep(limit) => {
                write!(f, "values nested more than {limit} levels deep")
            }
        }
    }
}

/// One step of a [`FieldPath`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Segment {
    /// A singular field, by its proto name (`resource`, `name`).
    Field(&'static str),
    /// The n-th (0-based) occurrence of a repeated field (`spans[5]`).
    Element(&'static str, u64),
    /// A field this decoder does not know, by number.
    Unknown(u64),
}

impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Segment::Field(name) => f.write_str(name),
            Segment::Element(name, i) => write!(f, "{name}[{i}]"),
            Segment::Unknown(number) => write!(f, "<field {number}>"),
        }
    }
}

/// Where in a protobuf request a problem is, from the request down.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldPath {
    segments: Vec<Segment>,
}

impl FieldPath {
    /// The steps, outermost first; empty for the request message itself.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.segments.is_empty() {
            return f.write_str("request");
        }
        for (i, s) in self.segments.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "{s}")?;
        }
        Ok(())
    }
}

/// A protobuf problem on its way up the walk: each message level it passes
/// adds its segment, so the path costs nothing unless there is an error.
/// Boxed, because every result of the walk carries the error type and a
/// pointer-sized one keeps the happy path free of large copies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct WireError(Box<WireErrorAt>);

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct WireErrorAt {
    pub(crate) offset: usize,
    pub(crate) problem: WireProblem,
    /// Innermost first.
    pub(crate) inner_first: Vec<Segment>,
}

impl std::ops::Deref for WireError {
    type Target = WireErrorAt;
    fn deref(&self) -> &WireErrorAt {
        &self.0
    }
}

impl WireError {
    #[cold]
    pub(crate) fn at(offset: usize, problem: WireProblem) -> Self {
        WireError(Box::new(WireErrorAt {
            offset,
            problem,
            inner_first: Vec::new(),
        }))
    }

    /// The same problem, one message level further out.
    #[must_use]
    #[cold]
    pub(crate) fn within(mut self, segment: Segment) -> Self {
        self.0.inner_first.push(segment);
        self
    }

    pub(crate) fn into_error(self, signal: Signal) -> OtlpError {
        let WireErrorAt {
            offset,
            problem,
            inner_first: mut segments,
        } = *self.0;
        segments.reverse();
        OtlpError::Protobuf {
            signal,
            path: FieldPath { segments },
            offset,
            problem,
        }
    }
}
