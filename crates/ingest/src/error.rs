//! Every error this crate reports, in one place.
//!
//! Filter, selector and plan errors are returned by compilation (configuration time);
//! line rejections are collected per line by the NDJSON decoder and never stop
//! a body. Messages are lowercase and name the input, the place and what was
//! expected, because they reach users verbatim (`lodestar check`, HTTP 400
//! bodies). Nothing here maps to HTTP statuses: that is the server's job.

use std::fmt;

/// A filter that does not compile, with where in the expression it fails.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct FilterError {
    /// Byte offset of the offending construct in the expression.
    pub offset: usize,
    /// 1-based line of `offset` (filters in YAML may span lines).
    pub line: usize,
    /// 1-based column of `offset`, counted in characters.
    pub column: usize,
    /// What is wrong and what was expected.
    pub message: String,
}

impl FilterError {
    /// An error at byte `offset` of `src` (clamped to the source).
    pub(crate) fn at(src: &str, offset: usize, message: impl Into<String>) -> Self {
        let mut offset = offset.min(src.len());
        while !src.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &src[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = src[line_start..offset].chars().count() + 1;
        FilterError {
            offset,
            line,
            column,
            message: message.into(),
        }
    }
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 1 {
            write!(f, "line {}, ", self.line)?;
        }
        write!(f, "column {}: {}", self.column, self.message)
    }
}

/// A selector that does not parse, with where it fails.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct SelectorError {
    /// Byte offset of the offending text in the selector.
    pub offset: usize,
    /// 1-based column of `offset`, counted in characters.
    pub column: usize,
    /// What is wrong and what was expected.
    pub message: String,
}

impl SelectorError {
    pub(crate) fn at(src: &str, offset: usize, message: impl Into<String>) -> Self {
        let mut offset = offset.min(src.len());
        while !src.is_char_boundary(offset) {
            offset -= 1;
        }
        SelectorError {
            offset,
            column: src[..offset].chars().count() + 1,
            message: message.into(),
        }
    }
}

impl fmt::Display for SelectorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column {}: {}", self.column, self.message)
    }
}

/// Which filter of an SLI plan an error is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FilterRole {
    Total,
    Good,
    Bad,
    Threshold,
}

impl fmt::Display for FilterRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FilterRole::Total => "total",
            FilterRole::Good => "good",
            FilterRole::Bad => "bad",
            FilterRole::Threshold => "threshold",
        })
    }
}

/// A plan that cannot be compiled into a pipeline.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("sli {sli:?}: {role} filter: {error}")]
    Filter {
        sli: String,
        role: FilterRole,
        error: FilterError,
    },
    #[error("sli {sli:?}: {role} selector: {error}")]
    Selector {
        sli: String,
        role: FilterRole,
        error: SelectorError,
    },
    #[error("sli {sli:?}: a ratio needs exactly one of a good or a bad filter, found {found}")]
    GoodOrBad { sli: String, found: &'static str },
    #[error("sli {sli:?} is planned more than once; expected unique sli names")]
    DuplicateSli { sli: String },
    #[error("sli {sli:?}: segment dimension {dimension:?} is listed more than once")]
    DuplicateSegment { sli: String, dimension: String },
    #[error("sli {sli:?}: segment dimension is empty; expected an attribute key")]
    EmptySegment { sli: String },
    #[error("sli {sli:?}: threshold field attribute key is empty; expected an attribute key")]
    EmptyField { sli: String },
    #[error("sli {sli:?}: exemplar threshold is {value}; expected a finite number")]
    ExemplarThreshold { sli: String, value: String },
}

impl PlanError {
    /// The SLI the error is about.
    pub fn sli(&self) -> &str {
        match self {
            PlanError::Filter { sli, .. }
            | PlanError::Selector { sli, .. }
            | PlanError::GoodOrBad { sli, .. }
            | PlanError::DuplicateSli { sli }
            | PlanError::DuplicateSegment { sli, .. }
            | PlanError::EmptySegment { sli }
            | PlanError::EmptyField { sli }
            | PlanError::ExemplarThreshold { sli, .. } => sli,
        }
    }
}

/// Why one NDJSON line was rejected. Rendered into `LineError::message`.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum LineRejection {
    #[error("line is {len} bytes long; expected at most {max} bytes")]
    TooLong { len: usize, max: usize },
    #[error("malformed json at column {column}: {message}")]
    MalformedJson { column: usize, message: String },
    #[error("missing \"timestamp\"; expected an rfc 3339 string or epoch milliseconds")]
    MissingTimestamp,
    #[error("unparseable timestamp {text}: {reason}")]
    BadTimestamp { text: String, reason: String },
    #[error("timestamp {timestamp} is older than the retention limit {oldest}")]
    TooOld { timestamp: String, oldest: String },
    #[error("timestamp {timestamp} is more than {max_secs} s after the server time {now}")]
    InFuture {
        timestamp: String,
        now: String,
        max_secs: i64,
    },
    #[error("\"sample_rate\" is {value}; expected a number greater than 0")]
    BadSampleRate { value: String },
    #[error("\"{field}\" is {found}; expected {expected}")]
    WrongType {
        field: &'static str,
        found: String,
        expected: &'static str,
    },
    #[error("attribute {key:?} is {found}; expected a string, number or boolean")]
    BadAttribute { key: String, found: &'static str },
}

/// A timestamp string that is neither RFC 3339 nor in range.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "unparseable timestamp {text:?}: {reason}; expected rfc 3339 such as 2025-01-31T12:00:00.250Z"
)]
pub struct TimestampError {
    /// The text as received (truncated to 64 characters).
    pub text: String,
    /// Why it was not accepted.
    pub reason: String,
}
