//! Lodestar's telemetry intake: decodes events, selects them for SLIs with
//! compiled CEL filters, and aggregates them into per-minute bucket deltas.
//!
//! Data flows one way: a body (NDJSON today) is decoded line by line into a
//! borrowed [`Event`]; the [`Pipeline`] evaluates every SLI's filters on it
//! and adds it to a [`Batch`], keyed by SLI, segment and minute; the server
//! hands `Batch::deltas()` to the store.
//!
//! Architecture invariant: no sockets, files or clocks here. The current time
//! (`now`) and the retention horizon are parameters, so every result is
//! reproducible from its inputs.

mod batch;
mod error;
mod event;
mod filter;
mod ndjson;
mod pipeline;
mod plan;
mod timestamp;

pub use batch::{Batch, SeriesKey};
pub use error::{FilterError, FilterRole, LineRejection, PlanError, TimestampError};
pub use event::Event;
pub use filter::{Filter, check_filter};
pub use pipeline::{IngestReport, Limits, LineError, NONE_VALUE, OTHER_VALUE, Pipeline};
pub use plan::{Field, PlanKind, SliPlan};
pub use timestamp::parse_timestamp;
