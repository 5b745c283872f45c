//! Lodestar's telemetry intake: decodes events, selects them for SLIs with
//! compiled CEL filters, and aggregates them into per-minute bucket deltas;
//! and the same for Prometheus remote-write counters selected by series
//! selectors.
//!
//! Data flows one way: a body (NDJSON) is decoded line by line into a
//! borrowed [`Event`]; the [`Pipeline`] evaluates every SLI's filters on it
//! and adds it to a [`Batch`], keyed by SLI, segment and minute; the server
//! hands `Batch::deltas()` to the store, then takes
//! `Batch::take_exemplars()`: a few bad events per SLI, kept whole for
//! drill-down. A remote-write body is walked in place ([`remote_write`]);
//! each series' samples become counter increases through the caller's
//! [`CounterState`] and land in the same `Batch`. OTLP metric points come
//! in as [`MetricPoints`], series in the remote-write shape, and take the
//! same path (`Pipeline::ingest_points`).
//!
//! Architecture invariant: no sockets, files or clocks here. The current time
//! (`now`) and the retention horizon are parameters, so every result is
//! reproducible from its inputs.

mod batch;
mod counter;
mod error;
mod event;
mod exemplar;
mod filter;
mod ndjson;
mod pipeline;
mod plan;
mod points;
pub mod remote_write;
mod selector;
mod timestamp;

pub use batch::{Batch, SeriesKey};
pub use counter::{CounterState, DEFAULT_IDLE, DEFAULT_MAX_SERIES};
pub use error::{FilterError, FilterRole, LineRejection, PlanError, SelectorError, TimestampError};
pub use event::Event;
pub use exemplar::{
    EXEMPLARS_PER_BATCH, Exemplar, MAX_EXEMPLAR_ATTRIBUTES, MAX_EXEMPLAR_TEXT_BYTES,
};
pub use filter::{Filter, check_filter};
pub use pipeline::{IngestReport, Limits, LineError, NONE_VALUE, OTHER_VALUE, Pipeline};
pub use plan::{Field, PlanKind, SliPlan};
pub use points::{MetricPoint, MetricPoints, PointKind};
pub use remote_write::{RemoteWriteError, RemoteWriteReport};
pub use selector::{MatchOp, Matcher, Selector, check_selector};
pub use timestamp::parse_timestamp;
