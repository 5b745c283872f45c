//! Compiled SLI plans and the per-event work: select, weigh, segment, add.
//!
//! A [`Pipeline`] is compiled once from the plans and shared (`Arc`) by every
//! request. Identical filter texts are compiled once and evaluated at most
//! once per event, so twenty SLIs over one route test the route once. Segment
//! values are capped per (SLI, dimension): the registry of admitted values is
//! the only shared mutable state, behind a mutex that the hot path touches
//! only the first time a batch meets a value (batches cache the decision).
//!
//! A bad event (a ratio SLI's, or a threshold SLI's value that misses the
//! plan's exemplar threshold) is also offered to the batch's exemplar
//! sample; that path is cold and out of line, so good events pay nothing for
//! it beyond one comparison on threshold SLIs that keep exemplars.
//!
//! Nothing here reads a clock: `now` and the retention horizon come in
//! [`Limits`] and arguments.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use slo::Bucket;

use crate::batch::{Batch, BoundCaches, NO_ID, SeriesStore};
use crate::error::{FilterRole, LineRejection, PlanError};
use crate::event::{Event, same_text};
use crate::exemplar::ExemplarSample;
use crate::filter::{Filter, KeyId, KeyTable, Scope, Tri};
use crate::ndjson::{self, DecodedLine, Failure, TimeBounds};
use crate::plan::{Field, PlanKind, SliPlan};
use crate::selector::SelectorSet;

mod counters;

/// Value of a segment whose attribute is missing from the event.
pub const NONE_VALUE: &str = "none";
/// Value that absorbs new segment values once a dimension is at its cap.
pub const OTHER_VALUE: &str = "other";

/// Validation limits for one ingest call.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Longer lines are rejected without being parsed.
    pub max_line_bytes: usize,
    /// Events before this instant are past retention and rejected.
    pub oldest_allowed: jiff::Timestamp,
    /// Events more than this many seconds after `now` are rejected.
    pub max_future_secs: i64,
    /// At most this many line errors are listed (all are counted).
    pub max_listed_errors: usize,
    /// Largest decompressed remote-write body.
    pub max_decoded_bytes: usize,
}

impl Limits {
    /// The defaults (1 MiB lines, 5 minutes of clock skew, 100 listed
    /// errors, 32 MiB decompressed remote-write bodies) with the given
    /// retention horizon.
    pub fn with_oldest_allowed(oldest_allowed: jiff::Timestamp) -> Self {
        Limits {
            max_line_bytes: 1 << 20,
            oldest_allowed,
            max_future_secs: 300,
            max_listed_errors: 100,
            max_decoded_bytes: 32 << 20,
        }
    }
}

/// One rejected line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineError {
    /// 1-based line number in the body (blank lines count).
    pub line: u64,
    pub message: String,
}

/// What one ingest call did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct IngestReport {
    /// Lines decoded into events (whether or not an SLI selected them).
    pub accepted: u64,
    /// Lines rejected; blank lines are neither accepted nor rejected.
    pub rejected: u64,
    /// The first `max_listed_errors` rejections.
    pub errors: Vec<LineError>,
    /// (sli, dimension) pairs that folded a value into `other` during this
    /// call.
    pub folded_segments: Vec<(String, String)>,
    /// Accepted events, unweighted.
    pub raw_events: u64,
    /// Accepted events weighted by their sample rate.
    pub weighted_events: f64,
}

/// Compiled plans, ready to ingest; `Send + Sync`, shared as `Arc`.
#[derive(Debug)]
pub struct Pipeline {
    /// Distinguishes pipelines so a batch knows when its caches are stale.
    id: u64,
    /// Size of the attribute key table shared by filters, segments, fields.
    n_keys: usize,
    /// Distinct filters; SLIs refer to them by index.
    filters: Vec<Filter>,
    /// Per filter: the equality group it belongs to, if any.
    group_of: Vec<Option<usize>>,
    /// Filters `attributes[k] == v_i` on one key `k`: typically one per
    /// route or operation. At most one matches an event, and one lookup
    /// decides them all.
    groups: Vec<EqualityGroup>,
    slis: Vec<CompiledSli>,
    /// Every (SLI, dimension) pair, flattened; SLIs own a contiguous range.
    dims: Vec<Dimension>,
    /// Distinct attribute keys used as segment dimensions.
    seg_keys: Vec<(KeyId, Box<str>)>,
    /// Distinct series selectors of counter and gauge SLIs.
    selectors: SelectorSet,
    /// Indices into `slis` of the counter and gauge SLIs, the only ones
    /// remote write and OTLP points feed.
    series_slis: Vec<usize>,
}

#[derive(Debug)]
struct EqualityGroup {
    key: KeyId,
    name: Box<str>,
    /// (value, filter index)
    members: Vec<(Box<str>, usize)>,
}

/// Groups the filters that compare one attribute with a constant; keys
/// tested by a single filter stay ungrouped (nothing to share).
fn equality_groups(filters: &[Filter]) -> (Vec<Option<usize>>, Vec<EqualityGroup>) {
    let mut groups: Vec<EqualityGroup> = Vec::new();
    for (i, f) in filters.iter().enumerate() {
        if let Some((key, name, value)) = f.as_attribute_equality() {
            match groups.iter_mut().find(|g| g.key == key) {
                Some(g) => g.members.push((value.into(), i)),
                None => groups.push(EqualityGroup {
                    key,
                    name: name.into(),
                    members: vec![(value.into(), i)],
                }),
            }
        }
    }
    groups.retain(|g| g.members.len() > 1);
    let mut group_of = vec![None; filters.len()];
    for (gi, g) in groups.iter().enumerate() {
        for (_, f) in &g.members {
            group_of[*f] = Some(gi);
        }
    }
    (group_of, groups)
}

#[derive(Debug)]
struct CompiledSli {
    name: Arc<str>,
    kind: CompiledKind,
    dims: std::ops::Range<usize>,
    cap: usize,
    /// Threshold SLIs: a value is bad (an exemplar candidate) unless
    /// `value op bound` holds.
    exemplar_threshold: Option<(slo::Op, f64)>,
}

#[derive(Debug)]
enum CompiledKind {
    /// `good` is the good filter's index, or the bad filter's when `inverted`.
    Ratio {
        total: usize,
        good: usize,
        inverted: bool,
    },
    Threshold {
        filter: usize,
        field: FieldSource,
    },
    /// Indices into `Pipeline::selectors`; `good` is the bad selector's
    /// when `inverted`.
    Counters {
        total: usize,
        good: usize,
        inverted: bool,
    },
    /// Index into `Pipeline::selectors` of the series whose samples are
    /// observed values.
    Gauge {
        metric: usize,
    },
}

#[derive(Debug)]
enum FieldSource {
    DurationMs,
    Attribute { key: KeyId, name: Box<str> },
}

#[derive(Debug)]
struct Dimension {
    name: Arc<str>,
    /// Index into `Pipeline::seg_keys`.
    seg_key: usize,
    /// Values admitted so far (seeded from the store at startup).
    admitted: Mutex<HashSet<Box<str>>>,
    /// Counter and gauge SLIs only: ids of admitted label values, which
    /// per-series counter state caches instead of the strings.
    counter_values: Mutex<counters::ValueIds>,
}

/// What a selected event contributes to its SLI's buckets.
#[derive(Clone, Copy)]
enum Contribution {
    Event { good: bool },
    Value(f64),
}

impl Contribution {
    #[inline]
    fn apply(self, bucket: &mut Bucket, weight: f64) {
        match self {
            Contribution::Event { good } => bucket.add_event(good, weight),
            Contribution::Value(v) => bucket.add_value(v, weight),
        }
    }
}

static NEXT_PIPELINE_ID: AtomicU64 = AtomicU64::new(1);

impl Pipeline {
    /// Compiles `plans`; every problem is reported, not just the first.
    pub fn compile(plans: &[SliPlan]) -> Result<Pipeline, Vec<PlanError>> {
        let mut errors = Vec::new();
        let mut keys = KeyTable::default();
        let mut filters: Vec<Filter> = Vec::new();
        let mut slis = Vec::with_capacity(plans.len());
        let mut dims = Vec::new();
        let mut seg_keys: Vec<(KeyId, Box<str>)> = Vec::new();
        let mut selectors = SelectorSet::default();
        let mut seen = HashSet::new();

        for plan in plans {
            let sli = plan.name.as_str();
            if !seen.insert(sli) {
                errors.push(PlanError::DuplicateSli {
                    sli: sli.to_owned(),
                });
                continue;
            }
            let mut filter = |src: &str, role: FilterRole| -> Option<usize> {
                if let Some(i) = filters.iter().position(|f| f.source() == src) {
                    return Some(i);
                }
                match Filter::compile_in(src, &mut keys) {
                    Ok(f) => {
                        filters.push(f);
                        Some(filters.len() - 1)
                    }
                    Err(error) => {
                        errors.push(PlanError::Filter {
                            sli: sli.to_owned(),
                            role,
                            error,
                        });
                        None
                    }
                }
            };
            let kind = match &plan.kind {
                PlanKind::Ratio { total, good, bad } => {
                    let total = filter(total, FilterRole::Total);
                    let chosen = match (good, bad) {
                        (Some(g), None) => filter(g, FilterRole::Good).map(|i| (i, false)),
                        (None, Some(b)) => filter(b, FilterRole::Bad).map(|i| (i, true)),
                        (g, _) => {
                            let found = if g.is_some() { "both" } else { "neither" };
                            errors.push(PlanError::GoodOrBad {
                                sli: sli.to_owned(),
                                found,
                            });
                            None
                        }
                    };
                    match (total, chosen) {
                        (Some(total), Some((good, inverted))) => Some(CompiledKind::Ratio {
                            total,
                            good,
                            inverted,
                        }),
                        _ => None,
                    }
                }
                PlanKind::Counters { total, good, bad } => {
                    let mut selector = |src: &str, role: FilterRole| match selectors.add(src) {
                        Ok(i) => Some(i),
                        Err(error) => {
                            errors.push(PlanError::Selector {
                                sli: sli.to_owned(),
                                role,
                                error,
                            });
                            None
                        }
                    };
                    let total = selector(total, FilterRole::Total);
                    let chosen = match (good, bad) {
                        (Some(g), None) => selector(g, FilterRole::Good).map(|i| (i, false)),
                        (None, Some(b)) => selector(b, FilterRole::Bad).map(|i| (i, true)),
                        (g, _) => {
                            let found = if g.is_some() { "both" } else { "neither" };
                            errors.push(PlanError::GoodOrBad {
                                sli: sli.to_owned(),
                                found,
                            });
                            None
                        }
                    };
                    match (total, chosen) {
                        (Some(total), Some((good, inverted))) => Some(CompiledKind::Counters {
                            total,
                            good,
                            inverted,
                        }),
                        _ => None,
                    }
                }
                PlanKind::Gauge { metric } => match selectors.add(metric) {
                    Ok(metric) => Some(CompiledKind::Gauge { metric }),
                    Err(error) => {
                        errors.push(PlanError::Selector {
                            sli: sli.to_owned(),
                            role: FilterRole::Threshold,
                            error,
                        });
                        None
                    }
                },
                PlanKind::Threshold { filter: src, field } => {
                    let f = filter(src, FilterRole::Threshold);
                    let field = match field {
                        Field::DurationMs => Some(FieldSource::DurationMs),
                        Field::Attribute(k) if k.is_empty() => {
                            errors.push(PlanError::EmptyField {
                                sli: sli.to_owned(),
                            });
                            None
                        }
                        Field::Attribute(k) => Some(FieldSource::Attribute {
                            key: keys.intern(k),
                            name: k.as_str().into(),
                        }),
                    };
                    match (f, field) {
                        (Some(filter), Some(field)) => {
                            Some(CompiledKind::Threshold { filter, field })
                        }
                        _ => None,
                    }
                }
            };
            if let Some((_, bound)) = plan.exemplar_threshold
                && !bound.is_finite()
            {
                errors.push(PlanError::ExemplarThreshold {
                    sli: sli.to_owned(),
                    value: bound.to_string(),
                });
            }
            let first_dim = dims.len();
            let mut seen_dims = HashSet::new();
            for dim in &plan.segments {
                if dim.is_empty() {
                    errors.push(PlanError::EmptySegment {
                        sli: sli.to_owned(),
                    });
                    continue;
                }
                if !seen_dims.insert(dim.as_str()) {
                    errors.push(PlanError::DuplicateSegment {
                        sli: sli.to_owned(),
                        dimension: dim.clone(),
                    });
                    continue;
                }
                let key = keys.intern(dim);
                let seg_key = match seg_keys.iter().position(|(k, _)| *k == key) {
                    Some(i) => i,
                    None => {
                        seg_keys.push((key, dim.as_str().into()));
                        seg_keys.len() - 1
                    }
                };
                dims.push(Dimension {
                    name: dim.as_str().into(),
                    seg_key,
                    admitted: Mutex::new(HashSet::new()),
                    counter_values: Mutex::default(),
                });
            }
            if let Some(kind) = kind {
                slis.push(CompiledSli {
                    name: sli.into(),
                    kind,
                    dims: first_dim..dims.len(),
                    cap: plan.max_segment_values,
                    exemplar_threshold: plan.exemplar_threshold,
                });
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let (group_of, groups) = equality_groups(&filters);
        let series_slis = slis
            .iter()
            .enumerate()
            .filter(|(_, s)| {
                matches!(
                    s.kind,
                    CompiledKind::Counters { .. } | CompiledKind::Gauge { .. }
                )
            })
            .map(|(i, _)| i)
            .collect();
        Ok(Pipeline {
            id: NEXT_PIPELINE_ID.fetch_add(1, Ordering::Relaxed),
            n_keys: keys.len(),
            filters,
            group_of,
            groups,
            slis,
            dims,
            seg_keys,
            selectors,
            series_slis,
        })
    }

    /// Admits segment values the store already holds, so the cap counts them
    /// across restarts. Call before ingesting: batches cache fold decisions.
    /// Unknown SLIs or dimensions and the `other` value are ignored; values
    /// beyond the cap are not admitted.
    pub fn seed_segments(&self, existing: impl IntoIterator<Item = (String, String, String)>) {
        let by_name: HashMap<&str, &CompiledSli> =
            self.slis.iter().map(|s| (&*s.name, s)).collect();
        for (sli, dimension, value) in existing {
            let Some(s) = by_name.get(sli.as_str()) else {
                continue;
            };
            if value == OTHER_VALUE {
                continue;
            }
            let Some(dim) = self.dims[s.dims.clone()]
                .iter()
                .find(|d| *d.name == *dimension)
            else {
                continue;
            };
            let mut admitted = dim.admitted.lock().unwrap_or_else(|p| p.into_inner());
            if admitted.len() < s.cap {
                admitted.insert(value.into_boxed_str());
            }
        }
    }

    /// Decodes an NDJSON body and adds its events to `out`. Bad lines are
    /// reported and skipped; good ones are never lost because of them.
    pub fn ingest_ndjson(
        &self,
        body: &[u8],
        limits: &Limits,
        now: jiff::Timestamp,
        out: &mut Batch,
    ) -> IngestReport {
        let mut report = IngestReport::default();
        let bounds = TimeBounds {
            oldest_ms: limits.oldest_allowed.as_millisecond(),
            now_ms: now.as_millisecond(),
            max_future_secs: limits.max_future_secs,
        };
        self.bind(out);
        let mut folded = vec![false; self.dims.len()];
        // Attributes borrowed from the body (the common case), and the
        // fallback for lines whose attribute strings need unescaping.
        let mut borrowed: Vec<(&str, &str)> = Vec::new();
        let mut owned: Vec<(Cow<'_, str>, Cow<'_, str>)> = Vec::new();
        let mut owned_view: Vec<(&str, &str)> = Vec::new();
        for (number, line) in ndjson::lines(body) {
            if ndjson::is_blank(line) {
                continue;
            }
            if line.len() > limits.max_line_bytes {
                let rejection = LineRejection::TooLong {
                    len: line.len(),
                    max: limits.max_line_bytes,
                };
                reject(&mut report, limits, number, rejection);
                continue;
            }
            borrowed.clear();
            match ndjson::decode_line(line, &mut borrowed, &bounds) {
                Ok(d) => self.accept(&d, &borrowed, out, &mut folded, &mut report),
                Err(Failure::Rejected(rejection)) => reject(&mut report, limits, number, rejection),
                Err(Failure::NeedsOwnedAttributes) => {
                    owned.clear();
                    match ndjson::decode_line(line, &mut owned, &bounds) {
                        Ok(d) => {
                            let mut view = reuse(std::mem::take(&mut owned_view));
                            view.extend(owned.iter().map(|(k, v)| (&**k, &**v)));
                            self.accept(&d, &view, out, &mut folded, &mut report);
                            owned_view = reuse(view);
                        }
                        Err(Failure::Rejected(rejection)) => {
                            reject(&mut report, limits, number, rejection)
                        }
                        // The owning sink takes every pair, so this cannot
                        // recur; counted as a rejection rather than trusted.
                        Err(Failure::NeedsOwnedAttributes) => {
                            let rejection = LineRejection::MalformedJson {
                                column: 1,
                                message: "undecodable attributes".to_owned(),
                            };
                            reject(&mut report, limits, number, rejection);
                        }
                    }
                }
            }
        }
        report.folded_segments = self
            .slis
            .iter()
            .flat_map(|s| s.dims.clone().map(move |d| (s, d)))
            .filter(|(_, d)| folded[*d])
            .map(|(s, d)| (s.name.to_string(), self.dims[d].name.to_string()))
            .collect();
        report
    }

    /// Adds one decoded NDJSON line.
    fn accept(
        &self,
        d: &DecodedLine<'_>,
        attributes: &[(&str, &str)],
        out: &mut Batch,
        folded: &mut [bool],
        report: &mut IngestReport,
    ) {
        let ev = Event {
            timestamp_ms: d.timestamp_ms,
            name: &d.name,
            duration_ms: d.duration_ms,
            status_error: d.status_error,
            sample_rate: d.sample_rate,
            attributes,
        };
        self.add(&ev, out, folded);
        report.accepted += 1;
        report.raw_events += 1;
        report.weighted_events += d.sample_rate;
    }

    /// Adds one already-validated event (for decoders other than NDJSON).
    /// Decoders validate the sample rate; as a guard, an event whose rate is
    /// not a finite number > 0 is ignored rather than poisoning the sums.
    pub fn ingest_event(&self, ev: &Event<'_>, out: &mut Batch) {
        if !(ev.sample_rate > 0.0 && ev.sample_rate.is_finite()) {
            return;
        }
        self.bind(out);
        let mut folded = [false; 0];
        self.add(ev, out, &mut folded);
    }

    /// Points the batch's caches at this pipeline.
    fn bind(&self, out: &mut Batch) {
        if out.bound.pipeline_id != self.id {
            if out.is_empty() {
                // Nothing refers to the old pipeline's series any more.
                out.store.clear_series();
            }
            out.bound.bind(
                self.id,
                self.n_keys,
                self.filters.len(),
                self.seg_keys.len(),
                self.slis.len(),
                self.dims.len(),
            );
            out.exemplars.bind(self.slis.len());
        }
    }

    /// The hot path: every SLI's filters on one event, and its buckets.
    /// `folded` is per dimension, or empty when the caller does not track it.
    fn add(&self, ev: &Event<'_>, out: &mut Batch, folded: &mut [bool]) {
        if self.slis.is_empty() {
            return;
        }
        let generation = out.bound.next_generation();
        let BoundCaches {
            slots,
            memo,
            seg_values,
            seg_current,
            whole_series,
            dim_series,
            other_series,
            ..
        } = &mut out.bound;
        let store = &mut out.store;
        let exemplars = &mut out.exemplars;
        let scope = Scope::new(ev, &slots[..], generation);
        let minute = ev.timestamp_ms.div_euclid(60_000);
        let weight = ev.sample_rate;

        for (i, sli) in self.slis.iter().enumerate() {
            let contribution = match &sli.kind {
                CompiledKind::Ratio {
                    total,
                    good,
                    inverted,
                } => {
                    if !self.test(*total, &scope, memo, generation) {
                        continue;
                    }
                    let good = self.test(*good, &scope, memo, generation) != *inverted;
                    if !good {
                        self.offer_exemplar(i, sli, ev, None, exemplars);
                    }
                    Contribution::Event { good }
                }
                CompiledKind::Threshold { filter, field } => {
                    if !self.test(*filter, &scope, memo, generation) {
                        continue;
                    }
                    let value = match field {
                        FieldSource::DurationMs => ev.duration_ms,
                        FieldSource::Attribute { key, name } => scope
                            .attribute(*key, name)
                            .and_then(|v| v.trim().parse::<f64>().ok()),
                    };
                    match value {
                        // Infinities would make the sketch allocate without bound.
                        Some(v) if v.is_finite() => {
                            if let Some((op, bound)) = sli.exemplar_threshold
                                && !op.holds(v, bound)
                            {
                                self.offer_exemplar(i, sli, ev, Some(v), exemplars);
                            }
                            Contribution::Value(v)
                        }
                        _ => continue,
                    }
                }
                // Fed by metric series (remote write, OTLP points) only.
                CompiledKind::Counters { .. } | CompiledKind::Gauge { .. } => continue,
            };

            let mut whole = whole_series[i];
            if whole == NO_ID {
                whole = store.add_series(&sli.name, &EMPTY, "");
                whole_series[i] = whole;
            }
            contribution.apply(store.bucket(whole, minute), weight);

            for d in sli.dims.clone() {
                let dim = &self.dims[d];
                let sk = dim.seg_key;
                let (key, key_name) = &self.seg_keys[sk];
                let (stamp, mut value_id) = seg_current[sk];
                if stamp != generation {
                    let value = scope.attribute(*key, key_name).unwrap_or(NONE_VALUE);
                    value_id = seg_values[sk].id(value);
                    seg_current[sk] = (generation, value_id);
                }
                let per_value = &mut dim_series[d];
                let mut series = per_value.get(value_id as usize).copied().unwrap_or(NO_ID);
                if series == NO_ID {
                    let value = scope.attribute(*key, key_name).unwrap_or(NONE_VALUE);
                    series = self.admit(sli, dim, value, store, &mut other_series[d]);
                    if per_value.len() <= value_id as usize {
                        per_value.resize(value_id as usize + 1, NO_ID);
                    }
                    per_value[value_id as usize] = series;
                }
                if series == other_series[d]
                    && let Some(flag) = folded.get_mut(d)
                {
                    *flag = true;
                }
                contribution.apply(store.bucket(series, minute), weight);
            }
        }
    }

    /// Offers a bad event of the `i`-th SLI to the batch's exemplars. Out of
    /// line and cold: bad events are the exception, and keeping this off the
    /// hot loop keeps its code small.
    #[cold]
    #[inline(never)]
    fn offer_exemplar(
        &self,
        i: usize,
        sli: &CompiledSli,
        ev: &Event<'_>,
        value: Option<f64>,
        sample: &mut ExemplarSample,
    ) {
        if let Some(e) = sample.slot(i, &sli.name) {
            let segment_keys = self.dims[sli.dims.clone()].iter().map(|d| &*d.name);
            e.fill(ev, value, segment_keys);
        }
    }

    /// The series for `value` of `dim`: its own when admitted (admitting it
    /// if the cap allows), otherwise the dimension's `other` series.
    fn admit(
        &self,
        sli: &CompiledSli,
        dim: &Dimension,
        value: &str,
        store: &mut SeriesStore,
        other: &mut u32,
    ) -> u32 {
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
        if own {
            return store.add_series(&sli.name, &dim.name, value);
        }
        if *other == NO_ID {
            *other = store.add_series(&sli.name, &dim.name, OTHER_VALUE);
        }
        *other
    }

    /// Memoised filter result for the current event.
    #[inline]
    fn test(
        &self,
        filter: usize,
        scope: &Scope<'_>,
        memo: &mut [(u32, bool)],
        generation: u32,
    ) -> bool {
        let (stamp, hit) = memo[filter];
        if stamp == generation {
            return hit;
        }
        if let Some(g) = self.group_of[filter] {
            let group = &self.groups[g];
            let value = scope.attribute(group.key, &group.name);
            for (constant, member) in &group.members {
                // A missing attribute is an error, which does not match.
                memo[*member] = (generation, value.is_some_and(|v| same_text(v, constant)));
            }
            return memo[filter].1;
        }
        let hit = self.filters[filter].eval(scope) == Tri::True;
        memo[filter] = (generation, hit);
        hit
    }

    /// Names of the compiled SLIs, in plan order.
    pub fn sli_names(&self) -> impl Iterator<Item = &str> {
        self.slis.iter().map(|s| &*s.name)
    }
}

fn reject(report: &mut IngestReport, limits: &Limits, line: u64, rejection: LineRejection) {
    report.rejected += 1;
    if report.errors.len() < limits.max_listed_errors {
        report.errors.push(LineError {
            line,
            message: rejection.to_string(),
        });
    }
}

static EMPTY: std::sync::LazyLock<Arc<str>> = std::sync::LazyLock::new(|| Arc::from(""));

/// Reuses a vector's allocation for borrows of a different lifetime: the
/// view of owned attributes is rebuilt per line but not reallocated.
/// The in-place `collect` keeps the buffer since the element layout is equal.
fn reuse<'x, 'y>(mut v: Vec<(&'x str, &'x str)>) -> Vec<(&'y str, &'y str)> {
    v.clear();
    v.into_iter().map(|_| ("", "")).collect()
}

#[cfg(test)]
mod tests;
