//! The entry points: a decoder per signal that keeps its buffers between
//! requests, so that a long-lived decoder (one per server worker) stops
//! allocating once it has seen the largest request shape.
//!
//! Events are handed to a callback as they are decoded, in request order.
//! When a body turns out to be malformed part-way, the events already handed
//! over belong to a request that failed: a caller that wants all or nothing
//! adds them to a fresh `ingest::Batch` and drops it on error, as the
//! server does. Decoders hold no state that outlives a call beyond buffer
//! capacity, and never read a clock.

use ingest::Event;

use crate::attributes::{Attrs, StoredPairs};
use crate::error::{OtlpError, Signal};
use crate::json;
use crate::mapping::{DecodeSummary, Emitter, LogSelection, SpanSelection};
use crate::protobuf;

/// How a body is encoded (from its `Content-Type`: the server decides).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `application/x-protobuf`.
    Protobuf,
    /// `application/json` (OTLP/JSON).
    Json,
}

/// Buffers reused from one request to the next.
#[derive(Debug, Default)]
struct Buffers {
    /// Attribute pairs of the event being built.
    pairs: StoredPairs,
    /// Rendered non-string attribute values.
    scratch: String,
    /// The `(&str, &str)` slice an event borrows.
    view: Vec<(&'static str, &'static str)>,
}

impl Buffers {
    fn run<'b>(
        &mut self,
        signal: Signal,
        f: &mut dyn FnMut(&Event<'_>),
        walk: impl FnOnce(&mut Attrs<'b>, &mut Emitter<'_>) -> Result<(), OtlpError>,
    ) -> Result<DecodeSummary, OtlpError> {
        let mut attrs = Attrs::new(
            std::mem::take(&mut self.pairs),
            std::mem::take(&mut self.scratch),
        );
        let mut out = Emitter::new(signal, std::mem::take(&mut self.view), f);
        let result = walk(&mut attrs, &mut out);
        (self.pairs, self.scratch) = attrs.into_parts();
        let (summary, view) = out.finish();
        self.view = view;
        result.map(|()| summary)
    }
}

/// Decodes `ExportTraceServiceRequest` bodies into span events.
#[derive(Debug, Default)]
pub struct TraceDecoder {
    buffers: Buffers,
}

impl TraceDecoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Calls `f` with an event for every span of `body` that `selection`
    /// selects and that is not rejected; the summary counts all of them.
    pub fn decode(
        &mut self,
        body: &[u8],
        format: Format,
        selection: &SpanSelection,
        f: &mut dyn FnMut(&Event<'_>),
    ) -> Result<DecodeSummary, OtlpError> {
        match format {
            Format::Protobuf => self.buffers.run(Signal::Traces, f, |attrs, out| {
                protobuf::traces(body, selection, attrs, out)
                    .map_err(|e| e.into_error(Signal::Traces))
            }),
            Format::Json => {
                let request: json::TracesRequest<'_> = json::parse(body, Signal::Traces)?;
                self.buffers.run(Signal::Traces, f, |attrs, out| {
                    json::traces(&request, selection, attrs, out);
                    Ok(())
                })
            }
        }
    }
}

/// Decodes `ExportLogsServiceRequest` bodies into log events.
#[derive(Debug, Default)]
pub struct LogDecoder {
    buffers: Buffers,
}

impl LogDecoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Calls `f` with an event for every log record of `body` that
    /// `selection` selects and that is not rejected.
    pub fn decode(
        &mut self,
        body: &[u8],
        format: Format,
        selection: &LogSelection,
        f: &mut dyn FnMut(&Event<'_>),
    ) -> Result<DecodeSummary, OtlpError> {
        match format {
            Format::Protobuf => self.buffers.run(Signal::Logs, f, |attrs, out| {
                protobuf::logs(body, selection, attrs, out).map_err(|e| e.into_error(Signal::Logs))
            }),
            Format::Json => {
                let request: json::LogsRequest<'_> = json::parse(body, Signal::Logs)?;
                self.buffers.run(Signal::Logs, f, |attrs, out| {
                    json::logs(&request, selection, attrs, out);
                    Ok(())
                })
            }
        }
    }
}
