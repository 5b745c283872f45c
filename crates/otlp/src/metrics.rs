//! OTLP metrics in: `ExportMetricsServiceRequest` bodies, protobuf or JSON,
//! turned into Prometheus-named series points ([`ingest::MetricPoints`])
//! that the ingest pipeline feeds through the same selector matching and
//! counter state as remote write.
//!
//! What each data point becomes (names and labels per [`crate::naming`]):
//!
//! - Monotonic sum → `NAME_total`, cumulative (a counter; its
//!   `start_time_unix_nano` is passed on, a change of it is a reset) or
//!   delta (the point is the increase).
//! - Gauge, non-monotonic sum → `NAME`, a gauge point (validated, counted;
//!   no SLI kind reads sampled values yet).
//! - Histogram → `NAME_bucket{le=B}` for every explicit bound (the
//!   cumulative count of the buckets up to it), `le="+Inf"` (the count),
//!   `NAME_count` and `NAME_sum` (when the point has a sum), all with the
//!   histogram's temporality.
//! - Exponential histogram → the same series, with `le` at the bounds the
//!   SLIs' selectors ask for (`le="0.3"` in a selector): the count of the
//!   buckets whose upper bound is ≤ the bound (plus the zero bucket when its
//!   threshold is ≤ the bound). Exact when a bucket boundary falls on the
//!   bound, otherwise conservative (a bucket straddling it is left out).
//! - Summary: refused point by point (rejected with a reason).
//!
//! Points with the no-recorded-value flag are skipped; points without a
//! time, with an unspecified temporality or inconsistent buckets are
//! rejected and the first few reasons kept for the partial-success answer.
//!
//! This module must not read a clock; the protobuf path allocates nothing per
//! point once the decoder's buffers have grown.

mod json;
mod protobuf;
#[cfg(test)]
mod tests;

use ingest::{MetricPoint, MetricPoints, PointKind};

use crate::attributes::{Attrs, StoredPairs};
use crate::decoder::Format;
use crate::error::{OtlpError, Signal};
use crate::naming::{self, Shape};

/// `DataPointFlags.FLAG_NO_RECORDED_VALUE`.
const NO_RECORDED_VALUE: u32 = 1;

/// What a metrics request held.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MetricSummary {
    /// Data points in the request, of every metric type.
    pub data_points: u64,
    /// Series points produced (a histogram point gives several).
    pub series: u64,
    /// Data points refused (their reasons are in the `MetricPoints`).
    pub rejected: u64,
    /// Data points flagged as having no recorded value, skipped.
    pub no_value: u64,
}

/// An exponential-histogram bound an SLI asks for: its value and the `le`
/// text its selector wrote, so the produced series matches it exactly.
#[derive(Clone, Debug, PartialEq)]
pub struct LeBound {
    pub value: f64,
    pub text: String,
}

/// Decodes `ExportMetricsServiceRequest` bodies; keeps its buffers
/// between requests.
#[derive(Debug, Default)]
pub struct MetricDecoder {
    pairs: StoredPairs,
    scratch: String,
    names: Names,
    counts: Vec<u64>,
    bounds: Vec<f64>,
    positive: Vec<u64>,
    negative: Vec<u64>,
}

/// Text buffers of the mapping.
#[derive(Debug, Default)]
struct Names {
    metric: String,
    series: String,
    label: String,
    le: String,
    job: String,
    instance: String,
}

impl MetricDecoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Decodes `body` into `out` (cleared first). `le_bounds` are the bounds
    /// at which exponential histograms are cut into `le` series, ascending.
    /// A malformed body is an error and leaves `out` to be discarded.
    pub fn decode(
        &mut self,
        body: &[u8],
        format: Format,
        le_bounds: &[LeBound],
        out: &mut MetricPoints,
    ) -> Result<MetricSummary, OtlpError> {
        out.clear();
        let request = match format {
            Format::Json => Some(json::parse(body)?),
            Format::Protobuf => None,
        };
        let mut attrs = Attrs::new(
            std::mem::take(&mut self.pairs),
            std::mem::take(&mut self.scratch),
        );
        let mut sink = Sink {
            out,
            names: &mut self.names,
            le_bounds,
            summary: MetricSummary::default(),
        };
        let result = match &request {
            Some(request) => {
                json::metrics(request, &mut attrs, &mut sink);
                Ok(())
            }
            None => {
                let mut lists = Lists {
                    counts: &mut self.counts,
                    bounds: &mut self.bounds,
                    positive: &mut self.positive,
                    negative: &mut self.negative,
                };
                protobuf::metrics(body, &mut attrs, &mut lists, &mut sink)
                    .map_err(|e| e.into_error(Signal::Metrics))
            }
        };
        let summary = sink.summary;
        (self.pairs, self.scratch) = attrs.into_parts();
        result.map(|()| summary)
    }
}

/// Reusable lists for one point's repeated fields (protobuf path).
pub(crate) struct Lists<'b> {
    pub(crate) counts: &'b mut Vec<u64>,
    pub(crate) bounds: &'b mut Vec<f64>,
    pub(crate) positive: &'b mut Vec<u64>,
    pub(crate) negative: &'b mut Vec<u64>,
}

/// The metric being walked.
#[derive(Clone, Copy, Debug)]
pub(crate) struct MetricHead<'a> {
    pub(crate) name: &'a str,
    pub(crate) unit: &'a str,
}

/// `AggregationTemporality`, by number.
pub(crate) const DELTA: i32 = 1;
pub(crate) const CUMULATIVE: i32 = 2;

/// A `NumberDataPoint`'s fields.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct NumberPoint {
    pub(crate) start_ns: u64,
    pub(crate) time_ns: u64,
    pub(crate) value: Option<f64>,
    pub(crate) flags: u32,
}

/// A `HistogramDataPoint`'s fields.
#[derive(Clone, Copy, Debug)]
pub(crate) struct HistogramPoint<'p> {
    pub(crate) start_ns: u64,
    pub(crate) time_ns: u64,
    pub(crate) count: u64,
    pub(crate) sum: Option<f64>,
    pub(crate) counts: &'p [u64],
    pub(crate) bounds: &'p [f64],
    pub(crate) flags: u32,
}

/// An `ExponentialHistogramDataPoint`'s fields.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ExpPoint<'p> {
    pub(crate) start_ns: u64,
    pub(crate) time_ns: u64,
    pub(crate) count: u64,
    pub(crate) sum: Option<f64>,
    pub(crate) scale: i32,
    pub(crate) zero_count: u64,
    pub(crate) zero_threshold: f64,
    pub(crate) positive: (i32, &'p [u64]),
    pub(crate) negative: (i32, &'p [u64]),
    pub(crate) flags: u32,
}

/// Where decoded points go: the mapping shared by both formats.
pub(crate) struct Sink<'o> {
    out: &'o mut MetricPoints,
    names: &'o mut Names,
    le_bounds: &'o [LeBound],
    pub(crate) summary: MetricSummary,
}

fn ms(ns: u64) -> i64 {
    (ns / 1_000_000) as i64
}

impl Sink<'_> {
    /// Sets `job` and `instance` from a resource's attributes (all of
    /// `attrs`), which become no other label.
    pub(crate) fn resource(&mut self, attrs: &Attrs<'_>) {
        let get = |key: &str| attrs.last_value(key, 0);
        let name = get("service.name");
        let namespace = get("service.namespace");
        match name {
            Some(n) => naming::job(
                namespace.as_ref().map_or("", |v| attrs.text(v)),
                attrs.text(&n),
                &mut self.names.job,
            ),
            None => self.names.job.clear(),
        }
        self.names.instance.clear();
        if let Some(i) = get("service.instance.id") {
            self.names.instance.push_str(attrs.text(&i));
        }
    }

    /// The shared labels of a point: its attributes (all of `attrs`), then
    /// job and instance.
    fn labels(&mut self, attrs: &Attrs<'_>) {
        self.out.clear_labels();
        for (key, value) in attrs.pairs_from(0) {
            naming::label_name(key, &mut self.names.label);
            self.out.label(&self.names.label, value);
        }
        if !self.names.job.is_empty() {
            self.out.label("job", &self.names.job);
        }
        if !self.names.instance.is_empty() {
            self.out.label("instance", &self.names.instance);
        }
    }

    fn reject(&mut self, head: MetricHead<'_>, why: impl FnOnce() -> String) {
        self.summary.rejected += 1;
        self.out
            .reject(|| format!("metric {:?}: data point {}", head.name, why()));
    }

    /// Checks what every point needs; the kind its values have, or `None`
    /// (counted) when it is skipped or rejected.
    fn admit(
        &mut self,
        head: MetricHead<'_>,
        temporality: Option<i32>,
        start_ns: u64,
        time_ns: u64,
        flags: u32,
    ) -> Option<PointKind> {
        self.summary.data_points += 1;
        if flags & NO_RECORDED_VALUE != 0 {
            self.summary.no_value += 1;
            return None;
        }
        if time_ns == 0 {
            self.reject(head, || "has no time_unix_nano".to_owned());
            return None;
        }
        match temporality {
            None => Some(PointKind::Gauge),
            Some(DELTA) => Some(PointKind::Delta),
            Some(CUMULATIVE) => Some(PointKind::Cumulative {
                start_ms: ms(start_ns),
            }),
            Some(t) => {
                self.reject(head, || {
                    format!("has aggregation_temporality {t}; expected 1 (delta) or 2 (cumulative)")
                });
                None
            }
        }
    }

    fn push(&mut self, le: Option<&str>, value: f64, ts_ms: i64, kind: PointKind) {
        self.summary.series += 1;
        self.out
            .point(&self.names.series, le, MetricPoint { value, ts_ms, kind });
    }

    fn series_name(&mut self, suffix: &str) {
        self.names.series.clear();
        self.names.series.push_str(&self.names.metric);
        self.names.series.push_str(suffix);
    }

    /// A gauge point (`temporality` `None`) or a sum point.
    pub(crate) fn number(
        &mut self,
        head: MetricHead<'_>,
        sum: Option<(i32, bool)>,
        attrs: &Attrs<'_>,
        p: NumberPoint,
    ) {
        let monotonic = sum.is_some_and(|(_, m)| m);
        let temporality = if monotonic { sum.map(|(t, _)| t) } else { None };
        let Some(kind) = self.admit(head, temporality, p.start_ns, p.time_ns, p.flags) else {
            return;
        };
        let Some(value) = p.value else {
            self.reject(head, || "has no value (as_double or as_int)".to_owned());
            return;
        };
        let shape = if monotonic {
            Shape::Counter
        } else {
            Shape::Gauge
        };
        naming::metric_name(head.name, head.unit, shape, &mut self.names.metric);
        self.series_name("");
        self.labels(attrs);
        self.push(None, value, ms(p.time_ns), kind);
    }

    pub(crate) fn histogram(
        &mut self,
        head: MetricHead<'_>,
        temporality: i32,
        attrs: &Attrs<'_>,
        p: HistogramPoint<'_>,
    ) {
        let Some(kind) = self.admit(head, Some(temporality), p.start_ns, p.time_ns, p.flags) else {
            return;
        };
        if !p.counts.is_empty() && p.counts.len() != p.bounds.len() + 1 {
            let (c, b) = (p.counts.len(), p.bounds.len());
            self.reject(head, || {
                format!("has {c} bucket_counts for {b} explicit_bounds; expected one more count than bounds")
            });
            return;
        }
        if p.bounds.windows(2).any(|w| w[0] >= w[1]) || p.bounds.iter().any(|b| b.is_nan()) {
            self.reject(head, || {
                "has explicit_bounds that do not increase".to_owned()
            });
            return;
        }
        naming::metric_name(
            head.name,
            head.unit,
            Shape::Histogram,
            &mut self.names.metric,
        );
        self.labels(attrs);
        let ts = ms(p.time_ns);
        self.series_name("_bucket");
        let mut cumulative = 0u64;
        if !p.counts.is_empty() {
            for (bound, n) in p.bounds.iter().zip(p.counts) {
                cumulative = cumulative.saturating_add(*n);
                naming::le_value(*bound, &mut self.names.le);
                let le = std::mem::take(&mut self.names.le);
                self.push(Some(&le), cumulative as f64, ts, kind);
                self.names.le = le;
            }
        }
        self.push(Some("+Inf"), p.count as f64, ts, kind);
        self.count_and_sum(p.count, p.sum, ts, kind);
    }

    fn count_and_sum(&mut self, count: u64, sum: Option<f64>, ts: i64, kind: PointKind) {
        self.series_name("_count");
        self.push(None, count as f64, ts, kind);
        if let Some(sum) = sum {
            self.series_name("_sum");
            self.push(None, sum, ts, kind);
        }
    }

    pub(crate) fn exponential(
        &mut self,
        head: MetricHead<'_>,
        temporality: i32,
        attrs: &Attrs<'_>,
        p: ExpPoint<'_>,
    ) {
        let Some(kind) = self.admit(head, Some(temporality), p.start_ns, p.time_ns, p.flags) else {
            return;
        };
        if !(-10..=20).contains(&p.scale) {
            let scale = p.scale;
            self.reject(head, || format!("has scale {scale}; expected -10 to 20"));
            return;
        }
        naming::metric_name(
            head.name,
            head.unit,
            Shape::Histogram,
            &mut self.names.metric,
        );
        self.labels(attrs);
        let ts = ms(p.time_ns);
        self.series_name("_bucket");
        let bounds = self.le_bounds;
        for bound in bounds {
            let n = exponential_count_le(&p, bound.value);
            self.summary.series += 1;
            self.out.point(
                &self.names.series,
                Some(&bound.text),
                MetricPoint {
                    value: n as f64,
                    ts_ms: ts,
                    kind,
                },
            );
        }
        self.push(Some("+Inf"), p.count as f64, ts, kind);
        self.count_and_sum(p.count, p.sum, ts, kind);
    }

    pub(crate) fn summary_point(&mut self, head: MetricHead<'_>) {
        self.summary.data_points += 1;
        self.reject(head, || {
            "is a summary, which no SLI can read; send a histogram instead".to_owned()
        });
    }
}

/// `base^index` of an exponential histogram at `scale`: `2^(index / 2^scale)`.
fn exp_boundary(index: i64, scale: i32) -> f64 {
    // Scaling by a power of two is exact, so whole powers of two come out
    // exact and bounds such as `le="1"` or `le="0.5"` match bucket edges.
    (index as f64 * (-f64::from(scale)).exp2()).exp2()
}

/// How many values of `p` are certainly ≤ `bound`: the buckets whose upper
/// bound is ≤ `bound`.
pub(crate) fn exponential_count_le(p: &ExpPoint<'_>, bound: f64) -> u64 {
    let mut n = 0u64;
    // Negative bucket k holds [-base^(k+1), -base^k): its upper end is -base^k.
    let (offset, counts) = p.negative;
    for (i, c) in counts.iter().enumerate() {
        let k = i64::from(offset) + i as i64;
        if -exp_boundary(k, p.scale) <= bound {
            n = n.saturating_add(*c);
        }
    }
    if p.zero_threshold.max(0.0) <= bound {
        n = n.saturating_add(p.zero_count);
    }
    // Positive bucket k holds (base^k, base^(k+1)].
    let (offset, counts) = p.positive;
    for (i, c) in counts.iter().enumerate() {
        let k = i64::from(offset) + i as i64;
        if exp_boundary(k + 1, p.scale) <= bound {
            n = n.saturating_add(*c);
        } else {
            break;
        }
    }
    n
}
