//! How spans and log records become [`ingest::Event`]s: the rules, shared
//! by the protobuf and JSON decoders.
//!
//! **Spans.** A span is counted when [`SpanSelection`] selects it: its kind
//! is in `kinds` (default SERVER and CONSUMER, the spans that measure work
//! done for a caller), or it is a root (no parent span id, or an all-zero
//! one) and `include_roots` is set. The event's `name` is the span name,
//! `timestamp_ms` its start, `duration_ms` end minus start. `status` is
//! `error` when the span status code is ERROR, or when a SERVER span carries
//! an HTTP status 500-599 in `http.response.status_code` (current semantic
//! conventions) or `http.status_code` (older ones), as an int or a string;
//! otherwise `ok` (a client span's 5xx is the callee's failure, not this
//! service's). A span with no start time or an end before its start is
//! rejected, never guessed at.
//!
//! **Attributes.** Resource, then scope, then span (or log record)
//! attributes, so that the span wins a repeated key (`Event::attribute`
//! takes the last duplicate); then `trace_id` and `span_id` in lowercase hex
//! (when present), `span.kind` (`server`, `client`, ...), and last the
//! resource's `service.name`, so that a span attribute cannot pass itself off
//! as another service.
//!
//! **Weight.** A valid `th` in the `ot` member of the span's `tracestate` sets
//! the weight (the rule is in [`crate::sampling`]); otherwise a `sample_rate`
//! or `SampleRate` attribute (the last one present wins); otherwise 1. A
//! value that is present but invalid counts in
//! [`DecodeSummary::invalid_sampling`] and falls through to the next source.
//!
//! **Log records.** Every record is counted unless [`LogSelection`] skips it.
//! `name` is the record's `event_name`, else its `event.name` attribute, else
//! its body when the body is a string, else empty. `status` is `error` from
//! severity ERROR (17) up. `timestamp_ms` is `time_unix_nano`, or
//! `observed_time_unix_nano` when that is 0 (both 0 is a rejection).
//! `duration_ms` is a `duration_ms` attribute that reads as a non-negative
//! number, else none. After the record's attributes come `trace_id`,
//! `span_id`, `severity_text` and `body` (when present) and the resource's
//! `service.name`.
//!
//! This module must not depend on the wire format of either encoding.

#[cfg(test)]
mod tests;

use std::fmt;

use ingest::Event;

use crate::attributes::{Attrs, Val, recycle};
use crate::error::Signal;
use crate::render;
use crate::sampling::{self, Threshold};

/// A span's kind (`Span.SpanKind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SpanKind {
    Unspecified,
    Internal,
    Server,
    Client,
    Producer,
    Consumer,
}

impl SpanKind {
    /// The kind with this enum number; `None` for numbers OTLP does not
    /// define (such spans are selected only as roots).
    pub fn from_number(n: i64) -> Option<SpanKind> {
        Some(match n {
            0 => SpanKind::Unspecified,
            1 => SpanKind::Internal,
            2 => SpanKind::Server,
            3 => SpanKind::Client,
            4 => SpanKind::Producer,
            5 => SpanKind::Consumer,
            _ => return None,
        })
    }

    /// The value of the `span.kind` attribute.
    pub fn as_str(self) -> &'static str {
        match self {
            SpanKind::Unspecified => "unspecified",
            SpanKind::Internal => "internal",
            SpanKind::Server => "server",
            SpanKind::Client => "client",
            SpanKind::Producer => "producer",
            SpanKind::Consumer => "consumer",
        }
    }

    fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// A set of span kinds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SpanKinds(u8);

impl SpanKinds {
    pub const NONE: SpanKinds = SpanKinds(0);

    pub fn of(kinds: &[SpanKind]) -> SpanKinds {
        kinds.iter().fold(SpanKinds::NONE, |set, &k| set.with(k))
    }

    #[must_use]
    pub fn with(self, kind: SpanKind) -> SpanKinds {
        SpanKinds(self.0 | kind.bit())
    }

    pub fn contains(self, kind: SpanKind) -> bool {
        self.0 & kind.bit() != 0
    }
}

/// Which spans become events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpanSelection {
    /// Spans of these kinds are selected.
    pub kinds: SpanKinds,
    /// Root spans (no parent) are selected whatever their kind.
    pub include_roots: bool,
}

impl Default for SpanSelection {
    /// SERVER and CONSUMER spans, and roots.
    fn default() -> Self {
        SpanSelection {
            kinds: SpanKinds::of(&[SpanKind::Server, SpanKind::Consumer]),
            include_roots: true,
        }
    }
}

impl SpanSelection {
    /// Every span.
    pub fn all() -> Self {
        use SpanKind::*;
        SpanSelection {
            kinds: SpanKinds::of(&[Unspecified, Internal, Server, Client, Producer, Consumer]),
            include_roots: true,
        }
    }

    pub fn selects(&self, kind: Option<SpanKind>, is_root: bool) -> bool {
        (is_root && self.include_roots) || kind.is_some_and(|k| self.kinds.contains(k))
    }
}

/// Which log records become events.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LogSelection {
    /// Records with a lower `severity_number` are skipped (0 keeps all).
    pub min_severity: i32,
    /// Only records with an `event_name` or an `event.name` attribute: the
    /// journey milestones, without the free-text logs around them.
    pub named_only: bool,
}

/// Why one span or log record was not counted while the rest of its
/// request was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rejection {
    /// A span whose `start_time_unix_nano` is 0.
    MissingStartTime,
    /// A span that ends before it starts.
    EndBeforeStart {
        start_unix_nano: u64,
        end_unix_nano: u64,
    },
    /// A log record whose `time_unix_nano` and `observed_time_unix_nano`
    /// are both 0.
    MissingTimestamp,
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejection::MissingStartTime => {
                f.write_str("start_time_unix_nano is 0; expected the span's start time")
            }
            Rejection::EndBeforeStart {
                start_unix_nano,
                end_unix_nano,
            } => write!(
                f,
                "end_time_unix_nano {end_unix_nano} is before start_time_unix_nano \
                 {start_unix_nano}; expected an end at or after the start"
            ),
            Rejection::MissingTimestamp => f.write_str(
                "time_unix_nano and observed_time_unix_nano are both 0; expected a timestamp",
            ),
        }
    }
}

/// One rejected span or log record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RejectedItem {
    /// `resource_spans[0].scope_spans[1].spans[7]` (protobuf field names,
    /// also for JSON bodies).
    pub path: String,
    pub reason: Rejection,
}

impl fmt::Display for RejectedItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.reason)
    }
}

/// The first this many rejections are listed; all are counted.
pub const MAX_LISTED_REJECTIONS: usize = 10;

/// What one decode call did.
#[derive(Clone, Debug, PartialEq)]
pub struct DecodeSummary {
    pub signal: Signal,
    /// Spans (or log records) in the request:
    /// `counted + skipped_by_selection + rejected`.
    pub received: u64,
    /// Handed to the callback as events.
    pub counted: u64,
    /// The counted events weighted by their sample rates.
    pub weighted: f64,
    /// Not selected by the [`SpanSelection`] or [`LogSelection`].
    pub skipped_by_selection: u64,
    /// Not counted because of a [`Rejection`].
    pub rejected: u64,
    /// The first [`MAX_LISTED_REJECTIONS`] rejections.
    pub rejected_reasons: Vec<RejectedItem>,
    /// Counted events whose `th` or sample-rate attribute was present but
    /// invalid (they fell back to the next source, at worst weight 1).
    pub invalid_sampling: u64,
}

impl DecodeSummary {
    pub fn new(signal: Signal) -> Self {
        DecodeSummary {
            signal,
            received: 0,
            counted: 0,
            weighted: 0.0,
            skipped_by_selection: 0,
            rejected: 0,
            rejected_reasons: Vec::new(),
            invalid_sampling: 0,
        }
    }

    /// The `error_message` of a partial-success answer, when anything was
    /// rejected: how many, and the first reasons with their paths.
    pub fn error_message(&self) -> Option<String> {
        if self.rejected == 0 {
            return None;
        }
        let noun = match self.signal {
            Signal::Traces => "spans",
            Signal::Logs => "log records",
            Signal::Metrics => "data points",
        };
        let mut msg = format!("{} of {} {noun} rejected: ", self.rejected, self.received);
        for (i, item) in self.rejected_reasons.iter().enumerate() {
            if i > 0 {
                msg.push_str("; ");
            }
            msg.push_str(&item.to_string());
        }
        if self.rejected > self.rejected_reasons.len() as u64 {
            msg.push_str("; ...");
        }
        Some(msg)
    }

    fn reject(&mut self, path: impl FnOnce() -> String, reason: Rejection) {
        self.rejected += 1;
        if self.rejected_reasons.len() < MAX_LISTED_REJECTIONS {
            self.rejected_reasons.push(RejectedItem {
                path: path(),
                reason,
            });
        }
    }
}

/// Where a span or log record is in its request (0-based indices).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Position {
    pub(crate) resource: u64,
    pub(crate) scope: u64,
    pub(crate) item: u64,
}

impl Position {
    fn path(self, signal: Signal) -> String {
        let (r, s, i) = match signal {
            Signal::Traces => ("resource_spans", "scope_spans", "spans"),
            Signal::Logs => ("resource_logs", "scope_logs", "log_records"),
            Signal::Metrics => ("resource_metrics", "scope_metrics", "data_points"),
        };
        format!(
            "{r}[{}].{s}[{}].{i}[{}]",
            self.resource, self.scope, self.item
        )
    }
}

/// A trace or span id as the request carries it.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Id<'a> {
    /// Protobuf `bytes`.
    Bytes(&'a [u8]),
    /// OTLP/JSON hex, already checked to be hex digits.
    Hex(&'a str),
}

impl Id<'_> {
    /// Absent or all zeros: a span with such a parent is a root.
    pub(crate) fn is_unset(self) -> bool {
        match self {
            Id::Bytes(b) => b.iter().all(|&x| x == 0),
            Id::Hex(h) => h.bytes().all(|x| x == b'0'),
        }
    }

    fn is_empty(self) -> bool {
        match self {
            Id::Bytes(b) => b.is_empty(),
            Id::Hex(h) => h.is_empty(),
        }
    }
}

/// Pushes `key` with the id in lowercase hex, unless the id is empty.
pub(crate) fn push_id<'a>(attrs: &mut Attrs<'a>, key: &'a str, id: Id<'a>) {
    if id.is_empty() {
        return;
    }
    match id {
        Id::Bytes(b) => {
            let start = attrs.scratch().len();
            render::write_hex(attrs.scratch(), b);
            attrs.push_rendered(key, start);
        }
        Id::Hex(h) if !h.bytes().any(|b| b.is_ascii_uppercase()) => attrs.push_text(key, h),
        Id::Hex(h) => {
            let start = attrs.scratch().len();
            attrs
                .scratch()
                .extend(h.chars().map(|c| c.to_ascii_lowercase()));
            attrs.push_rendered(key, start);
        }
    }
}

/// The resource's `service.name`, to push after each item's attributes.
pub(crate) fn service_name<'a>(attrs: &Attrs<'a>) -> Option<Val<'a>> {
    attrs.last_value("service.name", 0)
}

/// Everything of a span but its attributes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SpanHead<'a> {
    pub(crate) kind: Option<SpanKind>,
    pub(crate) name: &'a str,
    pub(crate) trace_state: &'a str,
    pub(crate) start_unix_nano: u64,
    pub(crate) end_unix_nano: u64,
    /// The span status code is ERROR.
    pub(crate) status_error: bool,
}

/// Everything of a log record but its attributes.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct LogHead<'a> {
    pub(crate) time_unix_nano: u64,
    pub(crate) observed_time_unix_nano: u64,
    pub(crate) severity_number: i32,
    pub(crate) event_name: &'a str,
    /// Index of the `body` pair when the body is a string.
    pub(crate) string_body: Option<usize>,
}

/// Keys the mapping reads from an event's attributes, found in one
/// backward pass (so the last duplicate wins, as for filters).
#[derive(Default)]
struct Known<'v> {
    rate: Option<&'v str>,
    http_status: Option<&'v str>,
    http_status_old: Option<&'v str>,
    event_name: Option<&'v str>,
    duration_ms: Option<&'v str>,
}

fn known<'v>(view: &[(&'v str, &'v str)]) -> Known<'v> {
    let mut k = Known::default();
    for &(key, value) in view.iter().rev() {
        // Comparing lengths first keeps this to one branch for most keys.
        let slot = match key.len() {
            10 if key == "SampleRate" => &mut k.rate,
            11 if key == "sample_rate" => &mut k.rate,
            10 if key == "event.name" => &mut k.event_name,
            11 if key == "duration_ms" => &mut k.duration_ms,
            16 if key == "http.status_code" => &mut k.http_status_old,
            25 if key == "http.response.status_code" => &mut k.http_status,
            _ => continue,
        };
        if slot.is_none() {
            *slot = Some(value);
        }
    }
    k
}

fn is_5xx(status: Option<&str>) -> bool {
    status
        .and_then(|s| s.trim().parse::<i64>().ok())
        .is_some_and(|code| (500..=599).contains(&code))
}

/// Ends of the span-to-event path: the callback, the summary, and the
/// view vector kept between spans.
pub(crate) struct Emitter<'f> {
    f: &'f mut dyn FnMut(&Event<'_>),
    summary: DecodeSummary,
    view: Vec<(&'static str, &'static str)>,
}

impl<'f> Emitter<'f> {
    pub(crate) fn new(
        signal: Signal,
        view: Vec<(&'static str, &'static str)>,
        f: &'f mut dyn FnMut(&Event<'_>),
    ) -> Self {
        Emitter {
            f,
            summary: DecodeSummary::new(signal),
            view,
        }
    }

    /// A span that selection skipped.
    pub(crate) fn skip(&mut self) {
        self.summary.received += 1;
        self.summary.skipped_by_selection += 1;
    }

    /// Checks a selected span's times before its attributes are decoded;
    /// a rejected span is counted as such.
    pub(crate) fn admit_span(&mut self, head: &SpanHead<'_>, at: Position) -> bool {
        let reason = if head.start_unix_nano == 0 {
            Rejection::MissingStartTime
        } else if head.end_unix_nano < head.start_unix_nano {
            Rejection::EndBeforeStart {
                start_unix_nano: head.start_unix_nano,
                end_unix_nano: head.end_unix_nano,
            }
        } else {
            return true;
        };
        self.summary.received += 1;
        self.summary.reject(|| at.path(Signal::Traces), reason);
        false
    }

    /// Hands one admitted span, its attributes complete, to the callback.
    pub(crate) fn span(&mut self, attrs: &Attrs<'_>, head: &SpanHead<'_>) {
        let mut view = recycle(std::mem::take(&mut self.view));
        attrs.fill_view(&mut view);
        let k = known(&view);
        let http_error = head.kind == Some(SpanKind::Server)
            && (is_5xx(k.http_status) || is_5xx(k.http_status_old));
        let mut invalid = false;
        let weight = match sampling::threshold(head.trace_state) {
            Threshold::Count(c) => c,
            Threshold::Invalid => {
                invalid = true;
                attribute_rate(k.rate, &mut invalid)
            }
            Threshold::Absent => attribute_rate(k.rate, &mut invalid),
        };
        let ev = Event {
            timestamp_ms: (head.start_unix_nano / 1_000_000) as i64,
            name: head.name,
            duration_ms: Some((head.end_unix_nano - head.start_unix_nano) as f64 / 1e6),
            status_error: head.status_error || http_error,
            sample_rate: weight,
            attributes: &view,
        };
        (self.f)(&ev);
        self.count(weight, invalid);
        self.view = recycle(view);
    }

    /// Hands one log record, its attributes complete, to the callback, unless
    /// it is rejected or not selected.
    pub(crate) fn log(
        &mut self,
        attrs: &Attrs<'_>,
        head: &LogHead<'_>,
        selection: &LogSelection,
        at: Position,
    ) {
        if head.severity_number < selection.min_severity {
            self.skip();
            return;
        }
        let time = if head.time_unix_nano != 0 {
            head.time_unix_nano
        } else {
            head.observed_time_unix_nano
        };
        if time == 0 {
            self.summary.received += 1;
            self.summary
                .reject(|| at.path(Signal::Logs), Rejection::MissingTimestamp);
            return;
        }
        let mut view = recycle(std::mem::take(&mut self.view));
        attrs.fill_view(&mut view);
        let k = known(&view);
        let name = if !head.event_name.is_empty() {
            head.event_name
        } else if let Some(n) = k.event_name {
            n
        } else if selection.named_only {
            self.view = recycle(view);
            self.skip();
            return;
        } else {
            head.string_body
                .and_then(|i| view.get(i))
                .map_or("", |(_, body)| body)
        };
        let mut invalid = false;
        let weight = attribute_rate(k.rate, &mut invalid);
        let duration_ms = k
            .duration_ms
            .and_then(|d| d.trim().parse::<f64>().ok())
            .filter(|d| d.is_finite() && *d >= 0.0);
        let ev = Event {
            timestamp_ms: (time / 1_000_000) as i64,
            name,
            duration_ms,
            status_error: head.severity_number >= 17,
            sample_rate: weight,
            attributes: &view,
        };
        (self.f)(&ev);
        self.count(weight, invalid);
        self.view = recycle(view);
    }

    fn count(&mut self, weight: f64, invalid_sampling: bool) {
        self.summary.received += 1;
        self.summary.counted += 1;
        self.summary.weighted += weight;
        self.summary.invalid_sampling += u64::from(invalid_sampling);
    }

    pub(crate) fn finish(self) -> (DecodeSummary, Vec<(&'static str, &'static str)>) {
        (self.summary, self.view)
    }
}

/// The weight from a sample-rate attribute; 1 when absent or invalid.
fn attribute_rate(rate: Option<&str>, invalid: &mut bool) -> f64 {
    match rate.map(sampling::sample_rate) {
        None => 1.0,
        Some(Some(r)) => r,
        Some(None) => {
            *invalid = true;
            1.0
        }
    }
}
