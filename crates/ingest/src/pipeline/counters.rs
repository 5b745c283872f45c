//! Remote write (and OTLP points) into counter and gauge SLIs: snappy, the
//! protobuf walk, per-series counter increases or observed values, and
//! their bucket deltas.
//!
//! The hot path per series is one label hash (done by the walker), one
//! locked lookup in the [`CounterState`] and, for a series an SLI selects,
//! a few bucket additions; selectors run only when a series is new or the
//! pipeline changed, and their outcome is cached in the series' state as
//! "targets": for each SLI the series feeds, whether it adds its increases
//! to total and to good or its values to the distribution, and the ids of
//! its segment values. Label values become strings only there, never per
//! sample. A gauge SLI's series still use the counter state: its last
//! timestamp is what makes a resent sample a duplicate instead of a second
//! observation.
//!
//! The body is walked completely before any state changes, so a malformed
//! body is refused without side effects. Nothing here reads a clock.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt::Write;
use std::ops::Range;

use slo::Bucket;

use super::{
    CompiledKind, CompiledSli, Dimension, EMPTY, Limits, NONE_VALUE, OTHER_VALUE, Pipeline,
};
use crate::batch::{Batch, BoundCaches, NO_ID};
use crate::counter::{CounterSeries, CounterState, NO_SAMPLE};
use crate::points::{MetricPoint, MetricPoints, PointKind};
use crate::remote_write::wire::{self, SeriesRef, Walked};
use crate::remote_write::{RemoteWriteError, RemoteWriteReport, STALE_NAN_BITS};
use crate::selector::SelectorScratch;

/// Target flag: the series' increases add to the SLI's total.
const TOTAL: u32 = 1;
/// Target flag: the series' increases add to the SLI's good count.
const GOOD: u32 = 2;
/// Target flag: the series' sample values are observations of the SLI's
/// distribution (gauge SLIs).
const VALUE: u32 = 4;
/// Flags of the targets that need increases, hence counter state.
const COUNTS: u32 = TOTAL | GOOD;
/// Segment value id standing for the dimension's `other` fold.
const OTHER_ID: u32 = u32::MAX;

/// Dense ids of the label values admitted for one counter dimension.
#[derive(Debug, Default)]
pub(super) struct ValueIds {
    ids: HashMap<Box<str>, u32>,
    names: Vec<Box<str>>,
}

/// Scratch space of the slow path (a series seen for the first time).
#[derive(Debug, Default)]
struct SlowPath {
    labels: Vec<(Range<usize>, Range<usize>)>,
    selector: SelectorScratch,
    matched: Vec<bool>,
    targets: Vec<u32>,
}

/// Per-call bookkeeping.
struct Call<'a> {
    buf: &'a [u8],
    limits: &'a Limits,
    report: RemoteWriteReport,
    folded: Vec<bool>,
    slow: SlowPath,
    bounds: SampleBounds,
    now_ms: i64,
}

impl Call<'_> {
    /// Lists a problem about series `s` if the list has room; `what`
    /// is only rendered then.
    fn note(&mut self, s: &SeriesRef, what: impl FnOnce() -> String) {
        if self.report.errors.len() < self.limits.max_listed_errors {
            let series = describe_series(self.buf, s.body.clone(), &mut self.slow.labels);
            self.report
                .errors
                .push(format!("series {series}: {}", what()));
        }
    }
}

/// A sample as the counter path sees it, from remote write or OTLP.
trait CounterSample: Copy {
    fn value(&self) -> f64;
    fn ts_ms(&self) -> i64;
    fn kind(&self) -> PointKind;
    /// Prometheus' stale marker (remote write only).
    fn is_stale(&self) -> bool;
}

impl CounterSample for (f64, i64) {
    #[inline]
    fn value(&self) -> f64 {
        self.0
    }
    #[inline]
    fn ts_ms(&self) -> i64 {
        self.1
    }
    #[inline]
    fn kind(&self) -> PointKind {
        PointKind::Cumulative { start_ms: 0 }
    }
    #[inline]
    fn is_stale(&self) -> bool {
        self.0.to_bits() == STALE_NAN_BITS
    }
}

impl CounterSample for MetricPoint {
    fn value(&self) -> f64 {
        self.value
    }
    fn ts_ms(&self) -> i64 {
        self.ts_ms
    }
    fn kind(&self) -> PointKind {
        self.kind
    }
    fn is_stale(&self) -> bool {
        false
    }
}

impl Pipeline {
    /// Decodes a remote-write body (snappy block format around a protobuf
    /// `WriteRequest`), turns the samples of every series a counter SLI's
    /// selector matches into counter increases with `counters`, observes the
    /// samples of every series a gauge SLI's selector matches as values, and
    /// adds both to `out`. Bad samples are rejected one by one; a body that cannot be
    /// decompressed or decoded is refused whole, changing nothing.
    pub fn ingest_remote_write(
        &self,
        snappy_body: &[u8],
        limits: &Limits,
        now: jiff::Timestamp,
        counters: &CounterState,
        out: &mut Batch,
    ) -> Result<RemoteWriteReport, RemoteWriteError> {
        let snappy_error = |e: snap::Error| RemoteWriteError::Snappy {
            message: e.to_string(),
        };
        let len = snap::raw::decompress_len(snappy_body).map_err(snappy_error)?;
        if len > limits.max_decoded_bytes {
            return Err(RemoteWriteError::TooLarge {
                len,
                max: limits.max_decoded_bytes,
            });
        }
        let mut buf = vec![0u8; len];
        let n = snap::raw::Decoder::new()
            .decompress(snappy_body, &mut buf)
            .map_err(snappy_error)?;
        buf.truncate(n);
        let mut walked = Walked::default();
        wire::walk(&buf, counters.seed(), &mut walked).map_err(|e| RemoteWriteError::Protobuf {
            offset: e.offset,
            message: e.message,
        })?;
        let mut call = self.start_call(&buf, limits, now, counters, out);
        call.report.series = walked.series.len() as u64;
        call.report.samples = walked.samples.len() as u64;
        call.report.exemplars = walked.exemplars;
        call.report.histograms = walked.histograms;
        for s in &walked.series {
            let samples = &walked.samples[s.samples.clone()];
            self.apply_series(s, samples, counters, &mut call, out);
        }
        Ok(self.finish_call(call))
    }

    /// Adds metric points decoded elsewhere (OTLP) through the very path
    /// remote-write samples take: series keys, selector matching, cached
    /// targets and counter state. Cumulative points are counters (a value
    /// below the last, or a new start time, is a reset); delta points are
    /// increases as they are; gauge points feed no counter SLI. Gauge SLIs
    /// observe every accepted point of the series they select, whatever
    /// its kind.
    /// The first point of a cumulative series is its baseline, unless its
    /// start time is known and no earlier than the moment `counters` began
    /// tracking: then the counter started from zero while Lodestar was
    /// listening, and its whole value is the increase. Points the decoder
    /// refused are counted as rejected, their reasons listed first.
    pub fn ingest_points(
        &self,
        points: &MetricPoints,
        limits: &Limits,
        now: jiff::Timestamp,
        counters: &CounterState,
        out: &mut Batch,
    ) -> RemoteWriteReport {
        let mut call = self.start_call(&points.buf, limits, now, counters, out);
        call.report.rejected = points.rejected;
        call.report.samples = points.rejected + points.series.len() as u64;
        call.report.series = points.series.len() as u64;
        for reason in points.reasons.iter().take(limits.max_listed_errors) {
            call.report.errors.push(reason.clone());
        }
        call.report.rejected_points = points.rejected;
        let seeded = wire::LabelHasher::new(counters.seed());
        let mut last_rejected = None;
        for (i, p) in points.series.iter().enumerate() {
            let rejected_before = call.report.rejected;
            let mut hasher = seeded;
            hasher.write(&points.buf[p.labels.clone()]);
            let s = SeriesRef {
                key: hasher.finish(),
                body: p.labels.clone(),
                samples: i..i + 1,
            };
            self.apply_series(&s, std::slice::from_ref(&p.point), counters, &mut call, out);
            if call.report.rejected > rejected_before && last_rejected != Some(p.data_point) {
                last_rejected = Some(p.data_point);
                call.report.rejected_points += 1;
            }
        }
        self.finish_call(call)
    }

    /// The histogram bounds the counter SLIs' selectors name (`le="0.3"`),
    /// ascending, with their text as written: where `ingest_points` callers
    /// cut exponential histograms into `le` series. `+Inf` and values that
    /// are not numbers are left out.
    pub fn le_bounds(&self) -> Vec<(f64, String)> {
        let mut out: Vec<(f64, String)> = self
            .selectors
            .equal_values("le")
            .filter_map(|text| {
                let v: f64 = text.trim().parse().ok()?;
                v.is_finite().then(|| (v, text.to_owned()))
            })
            .collect();
        out.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
        out.dedup();
        out
    }

    fn start_call<'a>(
        &self,
        buf: &'a [u8],
        limits: &'a Limits,
        now: jiff::Timestamp,
        counters: &CounterState,
        out: &mut Batch,
    ) -> Call<'a> {
        self.bind(out);
        let now_ms = now.as_millisecond();
        counters.note_call(now_ms);
        Call {
            buf,
            limits,
            report: RemoteWriteReport::default(),
            folded: vec![false; self.dims.len()],
            slow: SlowPath::default(),
            bounds: SampleBounds {
                oldest_ms: limits.oldest_allowed.as_millisecond(),
                newest_ms: now_ms.saturating_add(limits.max_future_secs.saturating_mul(1000)),
                now,
                max_future_secs: limits.max_future_secs,
            },
            now_ms,
        }
    }

    fn finish_call(&self, call: Call<'_>) -> RemoteWriteReport {
        let mut report = call.report;
        report.folded_segments = self
            .slis
            .iter()
            .flat_map(|s| s.dims.clone().map(move |d| (s, d)))
            .filter(|(_, d)| call.folded[*d])
            .map(|(s, d)| (s.name.to_string(), self.dims[d].name.to_string()))
            .collect();
        report
    }

    /// One series' samples through its counter state.
    fn apply_series<S: CounterSample>(
        &self,
        s: &SeriesRef,
        samples: &[S],
        counters: &CounterState,
        call: &mut Call<'_>,
        out: &mut Batch,
    ) {
        if samples.is_empty() {
            return;
        }
        if self.series_slis.is_empty() {
            // Nothing to compute: the state stays empty for senders
            // no SLI listens to.
            self.untracked(s, samples, counters, call, out);
            return;
        }
        let mut shard = counters.shard(s.key, call.now_ms);
        let held = shard.map.len();
        let state = match shard.map.entry(s.key) {
            Entry::Occupied(o) => o.into_mut(),
            Entry::Vacant(v) if held < counters.max_per_shard() => v.insert(CounterSeries {
                last_value: 0.0,
                last_ms: NO_SAMPLE,
                start_ms: 0,
                pipeline: 0,
                targets: Box::default(),
            }),
            Entry::Vacant(_) => {
                drop(shard);
                self.untracked(s, samples, counters, call, out);
                return;
            }
        };
        if state.pipeline != self.id {
            state.targets = self.counter_targets(s, call);
            state.pipeline = self.id;
        }
        if !state.targets.is_empty() {
            call.report.matched_series += 1;
        }
        let flags = self.union_flags(&state.targets);
        let observes = flags & VALUE != 0;
        let since_ms = counters.since_ms();
        for sample in samples {
            let (value, ts) = (sample.value(), sample.ts_ms());
            if sample.is_stale() {
                call.report.stale_markers += 1;
                continue;
            }
            let kind = sample.kind();
            if let Some(problem) = call.bounds.check(value, ts, kind, observes) {
                call.report.rejected += 1;
                call.note(s, || problem.to_string());
                continue;
            }
            call.report.accepted += 1;
            let increase = match kind {
                PointKind::Gauge => {
                    call.report.gauges += 1;
                    if !observes {
                        continue;
                    }
                    // Counters ignore gauge points, so the timestamp is
                    // free to mark what was already observed.
                    if ts <= state.last_ms {
                        call.report.duplicates += 1;
                        continue;
                    }
                    state.last_ms = ts;
                    0.0
                }
                PointKind::Delta => value,
                PointKind::Cumulative { start_ms } => {
                    if ts <= state.last_ms {
                        call.report.duplicates += 1;
                        continue;
                    }
                    let restarted =
                        start_ms > 0 && state.start_ms > 0 && start_ms != state.start_ms;
                    let increase = if state.last_ms == NO_SAMPLE {
                        // Born while tracking: it counted from zero in our sight.
                        if start_ms > 0 && start_ms >= since_ms {
                            value
                        } else {
                            0.0
                        }
                    } else if restarted || value < state.last_value {
                        value
                    } else {
                        value - state.last_value
                    };
                    state.last_value = value;
                    state.last_ms = ts;
                    state.start_ms = start_ms;
                    increase
                }
            };
            if increase > 0.0 && flags & COUNTS != 0 {
                self.add_increase(&state.targets, increase, ts, out, &mut call.folded);
            }
            if observes {
                self.add_value(&state.targets, value, ts, out, &mut call.folded);
            }
        }
    }

    /// A series the counter state does not track (the pipeline has no
    /// counter or gauge SLI, or the series is new and its shard is full):
    /// its samples are validated as usual; deltas need no state and still
    /// count, and gauge SLIs still observe every value (without the state,
    /// a resent sample cannot be told from a new one), but the cumulative
    /// samples of a series a counter SLI needs are rejected, since no
    /// increase can be computed for them.
    fn untracked<S: CounterSample>(
        &self,
        s: &SeriesRef,
        samples: &[S],
        counters: &CounterState,
        call: &mut Call<'_>,
        out: &mut Batch,
    ) {
        let targets = self.counter_targets(s, call);
        if !targets.is_empty() {
            call.report.matched_series += 1;
        }
        let flags = self.union_flags(&targets);
        let needed = flags & COUNTS != 0;
        let observes = flags & VALUE != 0;
        for sample in samples {
            let (value, ts, kind) = (sample.value(), sample.ts_ms(), sample.kind());
            if sample.is_stale() {
                call.report.stale_markers += 1;
            } else if let Some(problem) = call.bounds.check(value, ts, kind, observes) {
                call.report.rejected += 1;
                call.note(s, || problem.to_string());
            } else if kind == PointKind::Gauge {
                call.report.accepted += 1;
                call.report.gauges += 1;
                if observes {
                    self.add_value(&targets, value, ts, out, &mut call.folded);
                }
            } else if kind == PointKind::Delta {
                call.report.accepted += 1;
                if value > 0.0 && needed {
                    self.add_increase(&targets, value, ts, out, &mut call.folded);
                }
                if observes {
                    self.add_value(&targets, value, ts, out, &mut call.folded);
                }
            } else if needed {
                call.report.rejected += 1;
                let max = counters.max_series();
                call.note(s, || {
                    format!("counter state is full ({max} series); the series is not tracked until idle series expire")
                });
            } else {
                call.report.accepted += 1;
                if observes {
                    self.add_value(&targets, value, ts, out, &mut call.folded);
                }
            }
        }
    }

    /// The slow path: which counter and gauge SLIs series `s` feeds,
    /// encoded as `[sli, flags, value id per dimension...]*`.
    fn counter_targets(&self, s: &SeriesRef, call: &mut Call<'_>) -> Box<[u32]> {
        if self.series_slis.is_empty() {
            return Box::default();
        }
        let buf = call.buf;
        wire::labels_of(buf, s.body.clone(), &mut call.slow.labels);
        let slow = &mut call.slow;
        self.selectors
            .evaluate(buf, &slow.labels, &mut slow.selector, &mut slow.matched);
        slow.targets.clear();
        let mut bad_outside = Vec::new();
        for &i in &self.series_slis {
            let sli = &self.slis[i];
            let flags = match sli.kind {
                CompiledKind::Counters {
                    total,
                    good,
                    inverted,
                } => match (inverted, slow.matched[total], slow.matched[good]) {
                    (false, t, g) => (u32::from(t) * TOTAL) | (u32::from(g) * GOOD),
                    (true, true, is_bad) => TOTAL | if is_bad { 0 } else { GOOD },
                    (true, false, true) => {
                        bad_outside.push(i);
                        0
                    }
                    (true, false, false) => 0,
                },
                CompiledKind::Gauge { metric } => u32::from(slow.matched[metric]) * VALUE,
                CompiledKind::Ratio { .. } | CompiledKind::Threshold { .. } => 0,
            };
            if flags == 0 {
                continue;
            }
            slow.targets.push(i as u32);
            slow.targets.push(flags);
            for d in sli.dims.clone() {
                let dim = &self.dims[d];
                let value = slow
                    .labels
                    .iter()
                    .find(|(n, _)| buf[n.clone()] == *dim.name.as_bytes())
                    .map(|(_, v)| String::from_utf8_lossy(&buf[v.clone()]))
                    .filter(|v| !v.is_empty());
                let value = value.as_deref().unwrap_or(NONE_VALUE);
                slow.targets.push(counter_value_id(sli, dim, value));
            }
        }
        let targets: Box<[u32]> = slow.targets.as_slice().into();
        for i in bad_outside {
            let sli = &self.slis[i].name;
            call.note(s, || {
                format!("matches the bad selector of sli {sli:?} but not its total selector; its increases are ignored there (bad must select among total's series)")
            });
        }
        targets
    }

    /// Every flag any of `targets` carries: whether the series feeds
    /// counter SLIs, gauge SLIs or both.
    fn union_flags(&self, targets: &[u32]) -> u32 {
        let mut flags = 0;
        let mut rest = targets;
        while let [sli_index, f, tail @ ..] = rest {
            flags |= *f;
            let n = self
                .slis
                .get(*sli_index as usize)
                .map_or(tail.len(), |s| s.dims.len().min(tail.len()));
            rest = &tail[n..];
        }
        flags
    }

    /// Adds one series' increase to every counter SLI it feeds.
    fn add_increase(
        &self,
        targets: &[u32],
        increase: f64,
        ts: i64,
        out: &mut Batch,
        folded: &mut [bool],
    ) {
        let raw = increase.round() as u64;
        let add = |b: &mut Bucket, flags: u32| {
            if flags & TOTAL != 0 {
                b.total += increase;
                b.raw_total = b.raw_total.saturating_add(raw);
            }
            if flags & GOOD != 0 {
                b.good += increase;
                b.raw_good = b.raw_good.saturating_add(raw);
            }
        };
        self.add_to_targets(targets, COUNTS, ts, out, folded, add);
    }

    /// Adds one sample value, as one observation, to every gauge SLI the
    /// series feeds.
    fn add_value(
        &self,
        targets: &[u32],
        value: f64,
        ts: i64,
        out: &mut Batch,
        folded: &mut [bool],
    ) {
        let add = |b: &mut Bucket, _: u32| b.add_value(value, 1.0);
        self.add_to_targets(targets, VALUE, ts, out, folded, add);
    }

    /// Applies `add` to the buckets (whole and per segment value) of every
    /// target whose flags share a bit with `mask`.
    fn add_to_targets(
        &self,
        targets: &[u32],
        mask: u32,
        ts: i64,
        out: &mut Batch,
        folded: &mut [bool],
        add: impl Fn(&mut Bucket, u32),
    ) {
        let minute = ts.div_euclid(60_000);
        let BoundCaches {
            whole_series,
            dim_series,
            other_series,
            ..
        } = &mut out.bound;
        let store = &mut out.store;
        let mut rest = targets;
        while let [sli_index, flags, tail @ ..] = rest {
            let (i, flags) = (*sli_index as usize, *flags);
            let Some(sli) = self.slis.get(i) else { return };
            let n = sli.dims.len().min(tail.len());
            let (ids, next) = tail.split_at(n);
            rest = next;
            if flags & mask == 0 {
                continue;
            }
            let mut whole = whole_series[i];
            if whole == NO_ID {
                whole = store.add_series(&sli.name, &EMPTY, "");
                whole_series[i] = whole;
            }
            add(store.bucket(whole, minute), flags);
            for (d, &id) in sli.dims.clone().zip(ids) {
                let dim = &self.dims[d];
                let series = if id == OTHER_ID {
                    folded[d] = true;
                    if other_series[d] == NO_ID {
                        other_series[d] = store.add_series(&sli.name, &dim.name, OTHER_VALUE);
                    }
                    other_series[d]
                } else {
                    let per_value = &mut dim_series[d];
                    match per_value.get(id as usize) {
                        Some(&series) if series != NO_ID => series,
                        _ => {
                            let values =
                                dim.counter_values.lock().unwrap_or_else(|p| p.into_inner());
                            let value = values.names.get(id as usize).map_or(NONE_VALUE, |v| &**v);
                            let series = store.add_series(&sli.name, &dim.name, value);
                            drop(values);
                            if per_value.len() <= id as usize {
                                per_value.resize(id as usize + 1, NO_ID);
                            }
                            per_value[id as usize] = series;
                            series
                        }
                    }
                };
                add(store.bucket(series, minute), flags);
            }
        }
    }
}

/// The id of `value` in a counter dimension, admitting it if the cap
/// allows, or `OTHER_ID`.
fn counter_value_id(sli: &CompiledSli, dim: &Dimension, value: &str) -> u32 {
    let own = {
        let mut admitted = dim.admitted.lock().unwrap_or_else(|p| p.into_inner());
        if admitted.contains(value) {
            true
        } else if admitted.len() < sli.cap {
            admitted.insert(value.into());
            true
        } else {
            false
        }
    };
    if !own {
        return OTHER_ID;
    }
    let mut values = dim.counter_values.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(id) = values.ids.get(value) {
        return *id;
    }
    let id = values.names.len() as u32;
    values.names.push(value.into());
    values.ids.insert(value.into(), id);
    id
}

/// What a sample must satisfy.
struct SampleBounds {
    oldest_ms: i64,
    newest_ms: i64,
    now: jiff::Timestamp,
    max_future_secs: i64,
}

impl SampleBounds {
    /// Why the sample is rejected, or `None`. `observed`: a gauge SLI adds
    /// the value to a distribution.
    fn check(&self, value: f64, ts: i64, kind: PointKind, observed: bool) -> Option<Problem> {
        // Gauges may go below zero; counters and increases may not, and
        // neither may observed values: the distribution's sketch bins
        // every value at or below zero together.
        if !value.is_finite() || (value < 0.0 && (kind != PointKind::Gauge || observed)) {
            Some(if observed {
                Problem::Observed(value)
            } else {
                Problem::Value(value)
            })
        } else if ts < self.oldest_ms {
            Some(Problem::TooOld(ts, self.oldest_ms))
        } else if ts > self.newest_ms {
            Some(Problem::InFuture(ts, self.now, self.max_future_secs))
        } else {
            None
        }
    }
}

/// Why a sample is rejected; rendered only when listed.
enum Problem {
    Value(f64),
    /// A value a gauge SLI cannot observe.
    Observed(f64),
    TooOld(i64, i64),
    InFuture(i64, jiff::Timestamp, i64),
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let time = |ms: i64| {
            jiff::Timestamp::from_millisecond(ms)
                .map_or_else(|_| format!("{ms} ms"), |t| t.to_string())
        };
        match self {
            Problem::Value(v) => write!(
                f,
                "sample value {v} is not a counter value; expected a finite number >= 0"
            ),
            Problem::Observed(v) => write!(
                f,
                "sample value {v} cannot be observed by a gauge sli; expected a finite number >= 0"
            ),
            Problem::TooOld(ts, oldest) => write!(
                f,
                "sample timestamp {} is older than the retention limit {}",
                time(*ts),
                time(*oldest)
            ),
            Problem::InFuture(ts, now, max) => write!(
                f,
                "sample timestamp {} is more than {max} s after the server time {now}",
                time(*ts)
            ),
        }
    }
}

/// `name{label="value", ...}` of a walked series, for messages.
fn describe_series(
    buf: &[u8],
    body: Range<usize>,
    labels: &mut Vec<(Range<usize>, Range<usize>)>,
) -> String {
    wire::labels_of(buf, body, labels);
    let text = |r: &Range<usize>| String::from_utf8_lossy(&buf[r.clone()]).into_owned();
    let mut out = String::new();
    let mut inner = Vec::new();
    for (n, v) in labels.iter() {
        let (n, v) = (text(n), text(v));
        if n == crate::selector::METRIC_NAME_LABEL && out.is_empty() {
            out = v;
        } else {
            inner.push(format!("{n}={v:?}"));
        }
    }
    let _ = write!(out, "{{{}}}", inner.join(", "));
    out
}

#[cfg(test)]
mod tests;
