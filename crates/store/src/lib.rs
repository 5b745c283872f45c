//! `lodestar-store`: the embedded, durable, time-bucketed SLI store.
//!
//! Each series (an SLI, or one segment of it) holds buckets of good and
//! total weight and a latency sketch, at minute resolution for recent data
//! and as hour rollups, always maintained, for the whole retention. Writes
//! go to a CRC-framed write-ahead log and are fsynced (group commit) before
//! `append` returns; snapshots bound recovery time; retention is applied by
//! `compact(now)`.
//!
//! Architecture invariants:
//! - No clock: time enters only as the `now` of `compact` and the minutes of
//!   the data. No async, no sockets; callers run blocking calls on a
//!   blocking thread.
//! - An acknowledged append is on disk; anything else found at recovery is
//!   either a torn last record (dropped, reported) or an error naming the
//!   file and offset, never silently skipped.
//! - Reads never touch disk and see a consistent state.
//!
//! Module map: `store` (the API and write ordering), `state` (in-memory
//! tables, snapshot encoding), `series` (tiers and the resolution rule),
//! `tier` + `prefix` (sorted cells with prefix sums of their counts),
//! `record` + `codec` (bytes), `wal`, `snapshot`, `recovery`, `layout`
//! (files), `reader` (views for `slo::BucketSource`).

mod codec;
mod error;
mod key;
mod layout;
mod prefix;
mod reader;
mod record;
mod recovery;
mod series;
mod snapshot;
mod state;
mod store;
mod tier;
mod wal;

pub use error::StoreError;
pub use key::SeriesKey;
pub use reader::{SeriesView, StoreReader};
pub use recovery::{OpenReport, TornTail};
pub use state::CompactReport;
pub use store::{Store, StoreConfig, StoreStats};
