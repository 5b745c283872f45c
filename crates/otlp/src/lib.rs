//! OpenTelemetry in: OTLP trace and log export requests, protobuf or JSON,
//! decoded without copying and mapped to the borrowed [`ingest::Event`] that
//! Lodestar's filters and aggregation read.
//!
//! A [`TraceDecoder`] walks an `ExportTraceServiceRequest` in place: strings
//! are borrowed from the body, non-string attribute values are rendered into
//! one reusable scratch buffer, and each selected span is handed to a
//! callback as an `Event` whose attributes are the resource's, then the
//! scope's, then the span's (so the span wins a repeated key), followed by
//! `trace_id`, `span_id`, `span.kind` and the resource's `service.name`. A
//! [`LogDecoder`] does the same for `ExportLogsServiceRequest`. The server
//! feeds the callback straight into `ingest::Pipeline::ingest_event`; no
//! collection of spans is ever built. A [`MetricDecoder`] turns an
//! `ExportMetricsServiceRequest` into Prometheus-named series points
//! ([`naming`] holds the mapping) for the ingest pipeline's counter path,
//! the one remote write uses. [`response`] writes the export answers,
//! partial success included.
//!
//! What maps to what (status, weight, name, timestamps) is written down in
//! [`mapping`]; the wire walk and its error paths in the `protobuf` module;
//! the OTLP/JSON mapping in the `json` module.
//!
//! Architecture invariant: no sockets, no clock, no compression (the server
//! inflates gzip bodies before they get here). The protobuf path allocates
//! nothing per span or per attribute once a decoder's buffers have grown to
//! the request's shape (a test counts allocations); the JSON path builds a
//! borrowed tree first and allocates per list. Errors carry the byte offset
//! (protobuf) or line and column (JSON) and the field path of the problem.

mod attributes;
mod decoder;
mod error;
mod json;
pub mod mapping;
mod metrics;
pub mod naming;
mod protobuf;
mod render;
pub mod response;
pub mod sampling;
mod wire;

pub use decoder::{Format, LogDecoder, TraceDecoder};
pub use error::{FieldPath, OtlpError, Segment, Signal, WireProblem};
pub use mapping::{
    DecodeSummary, LogSelection, RejectedItem, Rejection, SpanKind, SpanKinds, SpanSelection,
};
pub use metrics::{LeBound, MetricDecoder, MetricSummary};
