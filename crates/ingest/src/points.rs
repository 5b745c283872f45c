//! Metric points from decoders other than remote write (OTLP metrics), held
//! in the shape remote write is walked into, so that both go through one
//! counter path: the same series keys, selector matching, cached targets and
//! [`CounterState`](crate::CounterState) entries.
//!
//! A decoder states the labels a data point shares ([`MetricPoints::label`],
//! already named the Prometheus way), then pushes one point per derived
//! series ([`MetricPoints::point`]: the metric name, an optional `le`, the
//! value and its [`PointKind`]). Each series is written as the labels of a
//! remote-write `TimeSeries` in their canonical encoding, sorted by name, so
//! a series sent by OTLP and the same series remote-written by Prometheus
//! have the same key and share their counter state. The buffers are reused
//! between requests; nothing here allocates per point once they have grown.
//!
//! This module knows no OTLP message and must not read a clock.

#[cfg(test)]
mod tests;

use std::ops::Range;

use crate::remote_write::put_varint;
use crate::selector::METRIC_NAME_LABEL;

/// How a point's value becomes an increase.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PointKind {
    /// A cumulative counter (a cumulative monotonic sum, a cumulative
    /// histogram's bucket, count or sum). `start_ms` is when the counter
    /// last started from zero (0: unknown); a change of it is a reset.
    Cumulative { start_ms: i64 },
    /// The increase since the previous point of the series, as is.
    Delta,
    /// A sampled value (gauges, non-monotonic sums): an observation for the
    /// threshold SLIs whose selector matches the series (`PlanKind::Gauge`);
    /// counter SLIs ignore it.
    Gauge,
}

/// One point: value, timestamp (ms since the epoch) and kind.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MetricPoint {
    pub value: f64,
    pub ts_ms: i64,
    pub kind: PointKind,
}

/// A series of the buffer: its labels (a byte range of the buffer holding
/// `Label` fields) and its point.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct PointSeries {
    pub(crate) labels: Range<usize>,
    pub(crate) point: MetricPoint,
    /// Which data point (counted by `clear_labels` calls) it came from: a
    /// histogram point gives several series, and answers count data points.
    pub(crate) data_point: u64,
}

/// Points of one request, ready for `Pipeline::ingest_points`.
#[derive(Debug, Default)]
pub struct MetricPoints {
    /// Canonical `Label` fields of every series, series after series.
    pub(crate) buf: Vec<u8>,
    pub(crate) series: Vec<PointSeries>,
    /// Text of the shared labels: names and values, back to back.
    text: String,
    /// The shared labels, as ranges of `text`.
    shared: Vec<(Range<usize>, Range<usize>)>,
    /// The labels of the series being written (shared plus name and `le`),
    /// sorted; `usize::MAX` starts stand for the name and `le` themselves.
    order: Vec<(usize, usize)>,
    /// Data points begun (`clear_labels` calls).
    data_points: u64,
    /// Points refused by the decoder, with their first few reasons.
    pub(crate) rejected: u64,
    pub(crate) reasons: Vec<String>,
}

/// Reasons kept per request for the partial-success message.
const MAX_REASONS: usize = 5;

impl MetricPoints {
    pub fn new() -> Self {
        Self::default()
    }

    /// Forgets everything, keeping the allocations.
    pub fn clear(&mut self) {
        self.buf.clear();
        self.series.clear();
        self.clear_labels();
        self.rejected = 0;
        self.reasons.clear();
        self.data_points = 0;
    }

    /// Forgets the shared labels: call before each data point, since this
    /// also starts a new data point for the rejection count.
    pub fn clear_labels(&mut self) {
        self.data_points += 1;
        self.text.clear();
        self.shared.clear();
    }

    /// Adds a label shared by the next points. A later label with the same
    /// name replaces an earlier one.
    pub fn label(&mut self, name: &str, value: &str) {
        let n0 = self.text.len();
        self.text.push_str(name);
        let n1 = self.text.len();
        self.text.push_str(value);
        self.shared.push((n0..n1, n1..self.text.len()));
    }

    /// Adds a series named `name` (with `le` if given) over the shared
    /// labels, holding one point.
    pub fn point(&mut self, name: &str, le: Option<&str>, point: MetricPoint) {
        const NAME: usize = usize::MAX;
        const LE: usize = usize::MAX - 1;
        self.order.clear();
        self.order.extend((0..self.shared.len()).map(|i| (i, 0)));
        self.order.push((NAME, 0));
        if le.is_some() {
            self.order.push((LE, 0));
        }
        let (text, shared) = (&self.text, &self.shared);
        let name_of = |i: usize| -> &str {
            match i {
                NAME => METRIC_NAME_LABEL,
                LE => "le",
                i => &text[shared[i].0.clone()],
            }
        };
        // Stable, so that among equal names the last pushed stays last.
        self.order.sort_by(|a, b| name_of(a.0).cmp(name_of(b.0)));
        let start = self.buf.len();
        let n = self.order.len();
        for k in 0..n {
            let i = self.order[k].0;
            if k + 1 < n && name_of(self.order[k + 1].0) == name_of(i) {
                continue;
            }
            let value = match i {
                NAME => name,
                LE => le.unwrap_or(""),
                i => &text[shared[i].1.clone()],
            };
            write_label(&mut self.buf, name_of(i).as_bytes(), value.as_bytes());
        }
        self.series.push(PointSeries {
            labels: start..self.buf.len(),
            point,
            data_point: self.data_points,
        });
    }

    /// Counts a point the decoder refused; the first few reasons are kept
    /// (`why` is only called for those).
    pub fn reject(&mut self, why: impl FnOnce() -> String) {
        self.rejected += 1;
        if self.reasons.len() < MAX_REASONS {
            self.reasons.push(why());
        }
    }

    /// Number of series (one point each) pushed.
    pub fn len(&self) -> usize {
        self.series.len()
    }

    pub fn is_empty(&self) -> bool {
        self.series.is_empty()
    }

    /// Points the decoder refused.
    pub fn rejected(&self) -> u64 {
        self.rejected
    }

    /// The series pushed, as `(labels, point)` with labels in order: for
    /// tests and diagnostics, not the ingest path.
    pub fn describe(&self) -> Vec<(Vec<(String, String)>, MetricPoint)> {
        let mut labels = Vec::new();
        self.series
            .iter()
            .map(|s| {
                crate::remote_write::wire::labels_of(&self.buf, s.labels.clone(), &mut labels);
                let text =
                    |r: &Range<usize>| String::from_utf8_lossy(&self.buf[r.clone()]).into_owned();
                (
                    labels.iter().map(|(n, v)| (text(n), text(v))).collect(),
                    s.point,
                )
            })
            .collect()
    }
}

/// Appends a `Label` field (`0a len 0a n name 12 m value`), the canonical
/// encoding the remote-write walker hashes.
fn write_label(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    let field = |n: usize| 1 + varint_len(n) + n;
    out.push(0x0a);
    put_varint(out, (field(name.len()) + field(value.len())) as u64);
    out.push(0x0a);
    put_varint(out, name.len() as u64);
    out.extend_from_slice(name);
    out.push(0x12);
    put_varint(out, value.len() as u64);
    out.extend_from_slice(value);
}

fn varint_len(x: usize) -> usize {
    (usize::BITS - (x | 1).leading_zeros()).div_ceil(7) as usize
}
