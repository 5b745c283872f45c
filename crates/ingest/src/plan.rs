//! What the server asks the pipeline to compute: one plan per SLI, built
//! from the spec's `lodestar` metric sources.
//!
//! Plans are plain data with filters and series selectors as source text;
//! `Pipeline::compile` validates them. This module must not depend on the spec crate: the server
//! translates OpenSLO into plans, so ingest stays usable without YAML.

/// One SLI to compute from events or from metric series (remote write, OTLP).
#[derive(Clone, Debug, PartialEq)]
pub struct SliPlan {
    /// The SLI's name; series keys carry it.
    pub name: String,
    /// Ratio or threshold, with the filters that select events.
    pub kind: PlanKind,
    /// Attribute keys (label names for counters) to segment by (e.g.
    /// `region`); each is a dimension.
    pub segments: Vec<String>,
    /// Distinct values kept per dimension before new ones fold into `other`.
    pub max_segment_values: usize,
    /// Threshold SLIs only: the per-event objective `(op, value)` a good
    /// event meets (`value_of_event op value`, e.g. `(Lte, 300.0)`); events
    /// that miss it are exemplar candidates. `None` keeps no exemplars for a
    /// threshold SLI. Ignored by the other kinds: ratio SLIs know their bad
    /// events from their filters, and counters and gauges carry no events.
    pub exemplar_threshold: Option<(slo::Op, f64)>,
}

/// How matching events become bucket data.
#[derive(Clone, Debug, PartialEq)]
pub enum PlanKind {
    /// Good (or bad) events among those matching `total`; exactly one of
    /// `good` / `bad` is set. All three are CEL filters.
    Ratio {
        total: String,
        good: Option<String>,
        bad: Option<String>,
    },
    /// Events matching `filter` contribute `field` to a distribution.
    Threshold { filter: String, field: Field },
    /// Increases of remote-write counters. All three are Prometheus series
    /// selectors and exactly one of `good` / `bad` is set. Every series
    /// matching `total` adds its increase to the total; with `good`, series
    /// matching `good` add theirs to the good count (they need not match
    /// `total`: a histogram's `_bucket{le="0.3"}` over its `_count`); with
    /// `bad`, a total series counts as good unless it also matches `bad`, so
    /// good is total minus bad. A `bad` series outside `total` is reported
    /// and ignored.
    Counters {
        total: String,
        good: Option<String>,
        bad: Option<String>,
    },
    /// Sampled values of metric series: `metric` is a Prometheus series
    /// selector, and every accepted sample of every series it matches is one
    /// observation (weight 1) of the value at its timestamp, added to a
    /// distribution as `Threshold` adds a field. Remote write does not say
    /// whether a series is a counter or a gauge, so this kind decides: the
    /// samples of a matched series are values, whatever the sender called
    /// them (OTLP gauges and sums alike).
    Gauge { metric: String },
}

/// The numeric field a threshold SLI reads from each event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Field {
    DurationMs,
    /// A numeric attribute value (attribute values are text; non-numeric
    /// values are skipped like a missing field).
    Attribute(String),
}
