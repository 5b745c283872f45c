//! `lodestar demo`: a built-in shop (journeys browse, search and checkout)
//! whose specs and traffic let a newcomer see the whole product working
//! with one command. The module supplies the embedded spec files, 28 days
//! of reproducible history with two planted incidents, and live traffic
//! after the anchor, all as NDJSON for the real ingest path.
//!
//! It must not start servers, read the clock or touch the disk: the binary
//! picks the anchor ("now"), writes the specs and feeds the events; this
//! module only computes them, deterministically from a seed.
//!
//! - `shop`: the shop's parameters (regions, endpoints, cohorts, incidents).
//! - `traffic`: turns them into sampled events and NDJSON.
//! - `random`: the seeded PRNG, so no `rand` dependency is needed.

mod random;
mod shop;
mod traffic;

#[cfg(test)]
mod tests;

pub use traffic::{Demo, Telemetry};

/// A change the demo's history records (deploys, flag and configuration
/// changes), as `POST /api/v1/changes` takes it.
#[derive(Clone, Debug, PartialEq)]
pub struct DemoChange {
    /// `deploy`, `flag` or `config`.
    pub kind: &'static str,
    pub service: &'static str,
    pub version: Option<&'static str>,
    pub flag: Option<&'static str>,
    pub author: &'static str,
    pub at_ms: i64,
    pub description: String,
}

/// The spec files the demo loads, one per team plus the journeys.
const SPEC_FILES: [(&str, &str); 7] = [
    ("storefront.yaml", include_str!("specs/storefront.yaml")),
    ("search.yaml", include_str!("specs/search.yaml")),
    ("cart.yaml", include_str!("specs/cart.yaml")),
    ("checkout.yaml", include_str!("specs/checkout.yaml")),
    (
        "payments-provider.yaml",
        include_str!("specs/payments-provider.yaml"),
    ),
    ("journeys.yaml", include_str!("specs/journeys.yaml")),
    ("policies.yaml", include_str!("specs/policies.yaml")),
];

/// A period of the demo's history in which something went wrong on purpose.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Incident {
    /// First instant affected, epoch milliseconds (UTC).
    pub start_ms: i64,
    /// First instant no longer affected: the incident covers `[start_ms, end_ms)`.
    pub end_ms: i64,
    /// One line, for lists and chart annotations.
    pub title: String,
    /// What happened, to whom and why, as a postmortem summary would say it.
    pub description: String,
}

impl Incident {
    fn contains(&self, at_ms: i64) -> bool {
        self.start_ms <= at_ms && at_ms < self.end_ms
    }
}
