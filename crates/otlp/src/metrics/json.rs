//! OTLP/JSON metrics: the same request as the protobuf walk, parsed into a
//! tree that borrows the body's strings, then handed to the same mapping.
//! The JSON conventions (lowerCamelCase or proto names, 64-bit integers as
//! decimal strings or numbers, enums as numbers or names, `"NaN"` and
//! `"Infinity"` doubles) are those of the trace decoder (`crate::json`).
//! Unknown fields are ignored; a bad value fails the body with its path.

use serde::Deserialize;
use serde::de::IgnoredAny;

use crate::attributes::Attrs;
use crate::error::{OtlpError, Signal};
use crate::json::{Double, EnumNumber, Header, Int, KeyValue, Nanos, Str, push_attributes, text};

use super::{ExpPoint, HistogramPoint, MetricHead, NumberPoint, Sink};

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MetricsRequest<'a> {
    #[serde(borrow, default, alias = "resource_metrics")]
    resource_metrics: Option<Vec<ResourceMetrics<'a>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResourceMetrics<'a> {
    #[serde(borrow, default)]
    resource: Option<Header<'a>>,
    #[serde(borrow, default, alias = "scope_metrics")]
    scope_metrics: Option<Vec<ScopeMetrics<'a>>>,
}

#[derive(Debug, Default, Deserialize)]
struct ScopeMetrics<'a> {
    #[serde(borrow, default)]
    metrics: Option<Vec<Metric<'a>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Metric<'a> {
    #[serde(borrow, default)]
    name: Option<Str<'a>>,
    #[serde(borrow, default)]
    unit: Option<Str<'a>>,
    #[serde(borrow, default)]
    gauge: Option<Data<NumberDataPoint<'a>>>,
    #[serde(borrow, default)]
    sum: Option<Data<NumberDataPoint<'a>>>,
    #[serde(borrow, default)]
    histogram: Option<Data<HistogramDataPoint<'a>>>,
    #[serde(borrow, default, alias = "exponential_histogram")]
    exponential_histogram: Option<Data<ExpDataPoint<'a>>>,
    #[serde(default)]
    summary: Option<Data<IgnoredAny>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Data<P> {
    #[serde(default = "none", alias = "data_points")]
    data_points: Option<Vec<P>>,
    #[serde(default, alias = "aggregation_temporality")]
    aggregation_temporality: Option<EnumNumber>,
    #[serde(default, alias = "is_monotonic")]
    is_monotonic: Option<bool>,
}

fn none<T>() -> Option<T> {
    None
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct NumberDataPoint<'a> {
    #[serde(borrow, default)]
    attributes: Option<Vec<KeyValue<'a>>>,
    #[serde(default, alias = "start_time_unix_nano")]
    start_time_unix_nano: Option<Nanos>,
    #[serde(default, alias = "time_unix_nano")]
    time_unix_nano: Option<Nanos>,
    #[serde(default, alias = "as_double")]
    as_double: Option<Double>,
    #[serde(default, alias = "as_int")]
    as_int: Option<Int>,
    #[serde(default)]
    flags: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct HistogramDataPoint<'a> {
    #[serde(borrow, default)]
    attributes: Option<Vec<KeyValue<'a>>>,
    #[serde(default, alias = "start_time_unix_nano")]
    start_time_unix_nano: Option<Nanos>,
    #[serde(default, alias = "time_unix_nano")]
    time_unix_nano: Option<Nanos>,
    #[serde(default)]
    count: Option<Nanos>,
    #[serde(default)]
    sum: Option<Double>,
    #[serde(default, alias = "bucket_counts")]
    bucket_counts: Option<Vec<Nanos>>,
    #[serde(default, alias = "explicit_bounds")]
    explicit_bounds: Option<Vec<Double>>,
    #[serde(default)]
    flags: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExpDataPoint<'a> {
    #[serde(borrow, default)]
    attributes: Option<Vec<KeyValue<'a>>>,
    #[serde(default, alias = "start_time_unix_nano")]
    start_time_unix_nano: Option<Nanos>,
    #[serde(default, alias = "time_unix_nano")]
    time_unix_nano: Option<Nanos>,
    #[serde(default)]
    count: Option<Nanos>,
    #[serde(default)]
    sum: Option<Double>,
    #[serde(default)]
    scale: Option<i32>,
    #[serde(default, alias = "zero_count")]
    zero_count: Option<Nanos>,
    #[serde(default, alias = "zero_threshold")]
    zero_threshold: Option<Double>,
    #[serde(default)]
    positive: Option<Buckets>,
    #[serde(default)]
    negative: Option<Buckets>,
    #[serde(default)]
    flags: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Buckets {
    #[serde(default)]
    offset: Option<i32>,
    #[serde(default, alias = "bucket_counts")]
    bucket_counts: Option<Vec<Nanos>>,
}

pub(crate) fn parse(body: &[u8]) -> Result<MetricsRequest<'_>, OtlpError> {
    crate::json::parse(body, Signal::Metrics)
}

fn ns(n: Option<Nanos>) -> u64 {
    n.map_or(0, |n| n.0)
}

fn counts(list: &Option<Vec<Nanos>>) -> Vec<u64> {
    list.iter().flatten().map(|n| n.0).collect()
}

/// Maps a parsed request, handing every data point to `sink`.
pub(crate) fn metrics<'t>(
    request: &'t MetricsRequest<'_>,
    attrs: &mut Attrs<'t>,
    sink: &mut Sink<'_>,
) {
    let empty = attrs.mark();
    for rm in request.resource_metrics.iter().flatten() {
        attrs.reset(empty);
        if let Some(r) = &rm.resource {
            push_attributes(attrs, &r.attributes);
        }
        sink.resource(attrs);
        attrs.reset(empty);
        for sm in rm.scope_metrics.iter().flatten() {
            for m in sm.metrics.iter().flatten() {
                metric(m, attrs, sink);
                attrs.reset(empty);
            }
        }
    }
    attrs.reset(empty);
}

fn temporality<P>(d: &Data<P>) -> i32 {
    d.aggregation_temporality.map_or(0, |t| t.0)
}

fn metric<'t>(m: &'t Metric<'_>, attrs: &mut Attrs<'t>, sink: &mut Sink<'_>) {
    let head = MetricHead {
        name: text(&m.name),
        unit: text(&m.unit),
    };
    let empty = attrs.mark();
    // The oneof's last member wins on the wire; in JSON one is expected.
    if let Some(d) = &m.exponential_histogram {
        for p in d.data_points.iter().flatten() {
            attrs.reset(empty);
            push_attributes(attrs, &p.attributes);
            let (pos, neg) = (
                p.positive
                    .as_ref()
                    .map(|b| counts(&b.bucket_counts))
                    .unwrap_or_default(),
                p.negative
                    .as_ref()
                    .map(|b| counts(&b.bucket_counts))
                    .unwrap_or_default(),
            );
            let offset = |b: &Option<Buckets>| b.as_ref().and_then(|b| b.offset).unwrap_or(0);
            let point = ExpPoint {
                start_ns: ns(p.start_time_unix_nano),
                time_ns: ns(p.time_unix_nano),
                count: ns(p.count),
                sum: p.sum.map(|s| s.0),
                scale: p.scale.unwrap_or(0),
                zero_count: ns(p.zero_count),
                zero_threshold: p.zero_threshold.map_or(0.0, |z| z.0),
                positive: (offset(&p.positive), &pos),
                negative: (offset(&p.negative), &neg),
                flags: p.flags.unwrap_or(0),
            };
            sink.exponential(head, temporality(d), attrs, point);
        }
    } else if let Some(d) = &m.histogram {
        for p in d.data_points.iter().flatten() {
            attrs.reset(empty);
            push_attributes(attrs, &p.attributes);
            let bucket_counts = counts(&p.bucket_counts);
            let bounds: Vec<f64> = p.explicit_bounds.iter().flatten().map(|b| b.0).collect();
            let point = HistogramPoint {
                start_ns: ns(p.start_time_unix_nano),
                time_ns: ns(p.time_unix_nano),
                count: ns(p.count),
                sum: p.sum.map(|s| s.0),
                counts: &bucket_counts,
                bounds: &bounds,
                flags: p.flags.unwrap_or(0),
            };
            sink.histogram(head, temporality(d), attrs, point);
        }
    } else if let Some((d, is_sum)) = m
        .sum
        .as_ref()
        .map(|d| (d, true))
        .or(m.gauge.as_ref().map(|d| (d, false)))
    {
        let sum = is_sum.then(|| (temporality(d), d.is_monotonic.unwrap_or(false)));
        for p in d.data_points.iter().flatten() {
            attrs.reset(empty);
            push_attributes(attrs, &p.attributes);
            let point = NumberPoint {
                start_ns: ns(p.start_time_unix_nano),
                time_ns: ns(p.time_unix_nano),
                value: p.as_double.map(|v| v.0).or(p.as_int.map(|i| i.0 as f64)),
                flags: p.flags.unwrap_or(0),
            };
            sink.number(head, sum, attrs, point);
        }
    } else if let Some(d) = &m.summary {
        for _ in d.data_points.iter().flatten() {
            sink.summary_point(head);
        }
    }
    attrs.reset(empty);
}
