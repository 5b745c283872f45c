//! Prometheus remote write 1.0 in: what a body is (snappy block format
//! around a protobuf `WriteRequest`), what one call reports, and how it
//! fails. The walk over the protobuf is in `wire`; turning samples into
//! bucket deltas is `Pipeline::ingest_remote_write`, which needs the
//! pipeline's compiled selectors and the caller's [`CounterState`].
//!
//! Counter semantics, per series that an SLI selector matches:
//! the increase of a sample is `v - last` when `v >= last`, else `v` (a
//! counter reset: the counter restarted from zero); the first sample of a
//! series only sets the baseline; a sample at or before the series' last
//! timestamp is a duplicate (a retry or an overlapping send) and adds
//! nothing; stale markers are skipped. Increases land in the minute of the
//! sample's timestamp.
//!
//! This module must not read a clock or touch sockets.
//!
//! [`CounterState`]: crate::CounterState

mod encode;
pub(crate) mod wire;

pub use encode::{WriteRequestEncoder, put_varint, snappy};

/// The bit pattern Prometheus writes as a stale marker (a NaN that marks a
/// series as gone).
pub const STALE_NAN_BITS: u64 = 0x7ff0_0000_0000_0002;

/// What one remote-write call (or one call of `Pipeline::ingest_points`,
/// the OTLP metrics path) did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RemoteWriteReport {
    /// Time series in the body.
    pub series: u64,
    /// Float samples in the body; `accepted + rejected + stale_markers`.
    pub samples: u64,
    /// Samples that passed validation, whether or not an SLI selects them.
    pub accepted: u64,
    /// Samples rejected: too old, too far in the future, not a valid
    /// counter value, or no room left in the counter state.
    pub rejected: u64,
    /// Series that at least one SLI selector matched.
    pub matched_series: u64,
    /// Accepted samples at or before their series' newest timestamp
    /// (retries, overlapping senders): they change nothing.
    pub duplicates: u64,
    /// `ingest_points` only: data points with at least one rejected series
    /// point, plus those the decoder refused (a histogram point gives
    /// several series points; OTLP answers count data points).
    pub rejected_points: u64,
    /// Accepted gauge points (OTLP gauges and non-monotonic sums); gauge
    /// SLIs observe them, counter SLIs do not.
    pub gauges: u64,
    /// Stale markers, skipped.
    pub stale_markers: u64,
    /// Exemplars in the body, skipped.
    pub exemplars: u64,
    /// Native histogram samples in the body, skipped (classic histogram
    /// buckets are counters and are ingested).
    pub histograms: u64,
    /// The first `max_listed_errors` problems, one sentence each.
    pub errors: Vec<String>,
    /// (sli, dimension) pairs that folded a value into `other` during this
    /// call.
    pub folded_segments: Vec<(String, String)>,
}

/// A body that cannot be ingested at all; nothing of it was applied.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RemoteWriteError {
    #[error(
        "request body is not snappy block format: {message}; expected a snappy-compressed remote-write WriteRequest"
    )]
    Snappy { message: String },
    #[error("request body decompresses to {len} bytes; expected at most {max} bytes")]
    TooLarge { len: usize, max: usize },
    #[error(
        "request body is not a remote-write WriteRequest: at byte {offset} of the decompressed protobuf: {message}"
    )]
    Protobuf { offset: usize, message: String },
}
