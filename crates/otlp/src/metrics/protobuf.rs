//! The protobuf walk of `ExportMetricsServiceRequest`.
//!
//! ```text
//! ExportMetricsServiceRequest { repeated ResourceMetrics resource_metrics = 1; }
//! ResourceMetrics { Resource resource = 1; repeated ScopeMetrics scope_metrics = 2; }
//! ScopeMetrics    { InstrumentationScope scope = 1; repeated Metric metrics = 2; }
//! Metric { string name = 1; string unit = 3; oneof data { Gauge gauge = 5; Sum sum = 7;
//!          Histogram histogram = 9; ExponentialHistogram exponential_histogram = 10;
//!          Summary summary = 11; } }                       // description 2, metadata 12
//! Gauge { repeated NumberDataPoint data_points = 1; }
//! Sum   { repeated NumberDataPoint data_points = 1; AggregationTemporality aggregation_temporality = 2;
//!         bool is_monotonic = 3; }
//! Histogram / ExponentialHistogram / Summary { repeated …DataPoint data_points = 1;
//!         AggregationTemporality aggregation_temporality = 2; }
//! NumberDataPoint { repeated KeyValue attributes = 7; fixed64 start_time_unix_nano = 2;
//!         fixed64 time_unix_nano = 3; double as_double = 4; sfixed64 as_int = 6; uint32 flags = 8; }
//! HistogramDataPoint { repeated KeyValue attributes = 9; fixed64 start_time_unix_nano = 2;
//!         fixed64 time_unix_nano = 3; fixed64 count = 4; optional double sum = 5;
//!         repeated fixed64 bucket_counts = 6; repeated double explicit_bounds = 7; uint32 flags = 10; }
//! ExponentialHistogramDataPoint { repeated KeyValue attributes = 1; fixed64 start_time_unix_nano = 2;
//!         fixed64 time_unix_nano = 3; fixed64 count = 4; optional double sum = 5; sint32 scale = 6;
//!         fixed64 zero_count = 7; Buckets positive = 8; Buckets negative = 9; uint32 flags = 10;
//!         double zero_threshold = 14; }
//! Buckets { sint32 offset = 1; repeated uint64 bucket_counts = 2; }
//! ```
//!
//! Fields may come in any order: a metric is walked once for its name, unit
//! and data, the data once for its temporality and again for its points.
//! Repeated scalars are read packed or not. Attributes go through the trace
//! walker's attribute code; resource attributes only give `job` and
//! `instance`, scope attributes are not read. This module must not allocate
//! per point (the lists are the decoder's, reused) and must not panic.

use crate::attributes::Attrs;
use crate::error::{Segment, WireError};
use crate::protobuf::{each_element, enum_number, push_attribute, push_header};
use crate::wire::{I64, LEN, Msg, Reader, VARINT};

use super::{ExpPoint, HistogramPoint, Lists, MetricHead, NumberPoint, Sink};

use Segment::{Element, Field};

/// Walks a request, handing every data point to `sink`.
pub(crate) fn metrics<'a>(
    body: &'a [u8],
    attrs: &mut Attrs<'a>,
    lists: &mut Lists<'_>,
    sink: &mut Sink<'_>,
) -> Result<(), WireError> {
    let empty = attrs.mark();
    each_element(Msg::whole(body), 1, "resource_metrics", |_, rm| {
        attrs.reset(empty);
        push_header(attrs, rm, 1, "resource", 1)?;
        sink.resource(attrs);
        attrs.reset(empty);
        each_element(rm, 2, "scope_metrics", |_, sm| {
            each_element(sm, 2, "metrics", |_, m| metric(m, attrs, lists, sink))
        })
    })?;
    attrs.reset(empty);
    Ok(())
}

fn metric<'a>(
    m: Msg<'a>,
    attrs: &mut Attrs<'a>,
    lists: &mut Lists<'_>,
    sink: &mut Sink<'_>,
) -> Result<(), WireError> {
    let (mut name, mut unit) = ("", "");
    let mut data: Option<(u64, Msg<'a>)> = None;
    let mut r = Reader::new(m);
    while !r.done() {
        let tag = r.tag()?;
        match tag.field {
            1 => name = r.bytes(tag, Field("name"))?.text(Field("name"))?,
            3 => unit = r.bytes(tag, Field("unit"))?.text(Field("unit"))?,
            f @ (5 | 7 | 9 | 10 | 11) => {
                let segment = Field(data_name(f));
                data = Some((f, r.bytes(tag, segment)?));
            }
            _ => r.skip(tag)?,
        }
    }
    let Some((kind, d)) = data else {
        return Ok(());
    };
    let head = MetricHead { name, unit };
    let segment = Field(data_name(kind));
    let (temporality, monotonic) = data_header(d).map_err(|e| e.within(segment))?;
    let empty = attrs.mark();
    each_element(d, 1, "data_points", |_, p| {
        attrs.reset(empty);
        match kind {
            5 | 7 => {
                let point = number_point(p, attrs)?;
                let sum = (kind == 7).then_some((temporality, monotonic));
                sink.number(head, sum, attrs, point);
            }
            9 => {
                let point = histogram_point(p, attrs, lists)?;
                sink.histogram(head, temporality, attrs, point);
            }
            10 => {
                let point = exp_point(p, attrs, lists)?;
                sink.exponential(head, temporality, attrs, point);
            }
            _ => sink.summary_point(head),
        }
        Ok(())
    })
    .map_err(|e| e.within(segment))?;
    attrs.reset(empty);
    Ok(())
}

fn data_name(field: u64) -> &'static str {
    match field {
        5 => "gauge",
        7 => "sum",
        9 => "histogram",
        10 => "exponential_histogram",
        _ => "summary",
    }
}

/// `aggregation_temporality` and `is_monotonic` of a data message.
fn data_header(m: Msg<'_>) -> Result<(i32, bool), WireError> {
    let (mut temporality, mut monotonic) = (0, false);
    let mut r = Reader::new(m);
    while !r.done() {
        let tag = r.tag()?;
        match tag.field {
            2 => {
                temporality = enum_number(r.uint(tag, Field("aggregation_temporality"))?);
            }
            3 => monotonic = r.uint(tag, Field("is_monotonic"))? != 0,
            _ => r.skip(tag)?,
        }
    }
    Ok((temporality, monotonic))
}

fn attribute<'a>(
    r: &mut Reader<'a>,
    tag: crate::wire::Tag,
    attrs: &mut Attrs<'a>,
    n: &mut u64,
) -> Result<(), WireError> {
    let segment = Element("attributes", *n);
    let kv = r.bytes(tag, segment)?;
    push_attribute(attrs, kv).map_err(|e| e.within(segment))?;
    *n += 1;
    Ok(())
}

fn number_point<'a>(m: Msg<'a>, attrs: &mut Attrs<'a>) -> Result<NumberPoint, WireError> {
    let mut p = NumberPoint::default();
    let mut n = 0;
    let mut r = Reader::new(m);
    while !r.done() {
        let tag = r.tag()?;
        match tag.field {
            2 => p.start_ns = r.fixed64(tag, Field("start_time_unix_nano"))?,
            3 => p.time_ns = r.fixed64(tag, Field("time_unix_nano"))?,
            4 => p.value = Some(f64::from_bits(r.fixed64(tag, Field("as_double"))?)),
            6 => p.value = Some(r.fixed64(tag, Field("as_int"))? as i64 as f64),
            7 => attribute(&mut r, tag, attrs, &mut n)?,
            8 => p.flags = r.uint(tag, Field("flags"))? as u32,
            _ => r.skip(tag)?,
        }
    }
    Ok(p)
}

/// Appends a repeated `fixed64`/`double` field, packed or not.
fn fixed64s(
    r: &mut Reader<'_>,
    tag: crate::wire::Tag,
    segment: Segment,
    mut push: impl FnMut(u64),
) -> Result<(), WireError> {
    if tag.wire == LEN {
        let m = r.bytes(tag, segment)?;
        let mut inner = Reader::new(m);
        while !inner.done() {
            push(inner.packed_fixed64(segment)?);
        }
        Ok(())
    } else {
        push(r.fixed64(tag, segment)?);
        Ok(())
    }
}

/// Appends a repeated `uint64` field, packed or not.
fn varints(
    r: &mut Reader<'_>,
    tag: crate::wire::Tag,
    segment: Segment,
    out: &mut Vec<u64>,
) -> Result<(), WireError> {
    if tag.wire == LEN {
        let m = r.bytes(tag, segment)?;
        let mut inner = Reader::new(m);
        while !inner.done() {
            out.push(inner.packed_varint(segment)?);
        }
    } else {
        out.push(r.uint(tag, segment)?);
    }
    Ok(())
}

fn zigzag32(v: u64) -> i32 {
    let v = v as u32;
    ((v >> 1) as i32) ^ -((v & 1) as i32)
}

fn histogram_point<'a, 'l>(
    m: Msg<'a>,
    attrs: &mut Attrs<'a>,
    lists: &'l mut Lists<'_>,
) -> Result<HistogramPoint<'l>, WireError> {
    lists.counts.clear();
    lists.bounds.clear();
    let mut p = NumberPoint::default();
    let (mut count, mut sum) = (0, None);
    let mut n = 0;
    let mut r = Reader::new(m);
    while !r.done() {
        let tag = r.tag()?;
        match tag.field {
            2 => p.start_ns = r.fixed64(tag, Field("start_time_unix_nano"))?,
            3 => p.time_ns = r.fixed64(tag, Field("time_unix_nano"))?,
            4 => count = r.fixed64(tag, Field("count"))?,
            5 => sum = Some(f64::from_bits(r.fixed64(tag, Field("sum"))?)),
            6 if tag.wire == LEN || tag.wire == I64 => {
                let counts = &mut *lists.counts;
                fixed64s(&mut r, tag, Field("bucket_counts"), |v| counts.push(v))?;
            }
            7 if tag.wire == LEN || tag.wire == I64 => {
                let bounds = &mut *lists.bounds;
                fixed64s(&mut r, tag, Field("explicit_bounds"), |v| {
                    bounds.push(f64::from_bits(v))
                })?;
            }
            9 => attribute(&mut r, tag, attrs, &mut n)?,
            10 => p.flags = r.uint(tag, Field("flags"))? as u32,
            6 => drop(r.fixed64(tag, Field("bucket_counts"))?),
            7 => drop(r.fixed64(tag, Field("explicit_bounds"))?),
            _ => r.skip(tag)?,
        }
    }
    Ok(HistogramPoint {
        start_ns: p.start_ns,
        time_ns: p.time_ns,
        count,
        sum,
        counts: lists.counts.as_slice(),
        bounds: lists.bounds.as_slice(),
        flags: p.flags,
    })
}

/// A `Buckets` message into `out`; its offset.
fn buckets(m: Msg<'_>, out: &mut Vec<u64>) -> Result<i32, WireError> {
    out.clear();
    let mut offset = 0;
    let mut r = Reader::new(m);
    while !r.done() {
        let tag = r.tag()?;
        match tag.field {
            1 => offset = zigzag32(r.uint(tag, Field("offset"))?),
            2 if tag.wire == LEN || tag.wire == VARINT => {
                varints(&mut r, tag, Field("bucket_counts"), out)?;
            }
            2 => drop(r.uint(tag, Field("bucket_counts"))?),
            _ => r.skip(tag)?,
        }
    }
    Ok(offset)
}

fn exp_point<'a, 'l>(
    m: Msg<'a>,
    attrs: &mut Attrs<'a>,
    lists: &'l mut Lists<'_>,
) -> Result<ExpPoint<'l>, WireError> {
    let (mut start_ns, mut time_ns, mut count, mut sum) = (0, 0, 0, None);
    let (mut scale, mut zero_count, mut zero_threshold, mut flags) = (0, 0, 0.0, 0);
    let (mut pos_offset, mut neg_offset) = (0, 0);
    lists.positive.clear();
    lists.negative.clear();
    let mut n = 0;
    let mut r = Reader::new(m);
    while !r.done() {
        let tag = r.tag()?;
        match tag.field {
            1 => attribute(&mut r, tag, attrs, &mut n)?,
            2 => start_ns = r.fixed64(tag, Field("start_time_unix_nano"))?,
            3 => time_ns = r.fixed64(tag, Field("time_unix_nano"))?,
            4 => count = r.fixed64(tag, Field("count"))?,
            5 => sum = Some(f64::from_bits(r.fixed64(tag, Field("sum"))?)),
            6 => scale = zigzag32(r.uint(tag, Field("scale"))?),
            7 => zero_count = r.fixed64(tag, Field("zero_count"))?,
            8 => {
                let b = r.bytes(tag, Field("positive"))?;
                pos_offset = buckets(b, lists.positive).map_err(|e| e.within(Field("positive")))?;
            }
            9 => {
                let b = r.bytes(tag, Field("negative"))?;
                neg_offset = buckets(b, lists.negative).map_err(|e| e.within(Field("negative")))?;
            }
            10 => flags = r.uint(tag, Field("flags"))? as u32,
            14 => zero_threshold = f64::from_bits(r.fixed64(tag, Field("zero_threshold"))?),
            _ => r.skip(tag)?,
        }
    }
    Ok(ExpPoint {
        start_ns,
        time_ns,
        count,
        sum,
        scale,
        zero_count,
        zero_threshold,
        positive: (pos_offset, lists.positive.as_slice()),
        negative: (neg_offset, lists.negative.as_slice()),
        flags,
    })
}
