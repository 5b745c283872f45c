//! The catalog: a validated spec set compiled into what the server runs —
//! one ingest pipeline for every event-based SLI, and for every SLO
//! objective the pure `slo::ObjectiveDef` and the store series it reads.
//!
//! Building it is all-or-nothing: a reload either yields a whole new
//! catalog or diagnostics, never a half-applied set.
//!
//! A threshold SLI's exemplar threshold (which events are bad enough to keep
//! as exemplars) comes from the objectives of every SLO that uses it, the
//! strictest one winning, so one SLI has one definition of "bad" whatever
//! SLO is read.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use ingest::{Field, PlanKind, SliPlan};
use spec::{Aggregate, BudgetingMethod, DurationUnit, Mode, Op, Sli, SliSpec, SpecSet};

use crate::corrections::{CorrectionSet, Purpose};
use crate::promql::{PromEngines, PromSli, Resolution};

/// Where an objective's data comes from.
#[derive(Clone, Debug)]
pub enum Source {
    /// Lodestar's own events, stored under this SLI name.
    Events { sli: String },
    /// Counters in a Prometheus-compatible engine, queried on each read.
    Prometheus(PromSli),
    /// A source this server cannot evaluate; the message says why.
    Unsupported(String),
}

/// One objective, ready to evaluate.
#[derive(Clone, Debug)]
pub struct ObjectiveEntry {
    /// The objective's name (unique within its SLO).
    pub name: String,
    /// Display name from the spec, if any.
    pub display_name: Option<String>,
    /// The pure definition the SLO math evaluates; `Err` explains why it cannot be.
    pub def: Result<slo::ObjectiveDef, String>,
    /// Where the data is.
    pub source: Source,
    /// Weight in a composite SLO.
    pub weight: f64,
}

/// One SLO of the catalog.
#[derive(Clone, Debug)]
pub struct SloEntry {
    /// The validated spec, for names, ownership and documentation.
    pub spec: spec::Slo,
    /// Objectives in spec order.
    pub objectives: Vec<ObjectiveEntry>,
    /// True when objectives combine into one composite SLO.
    pub composite: bool,
    /// The catalog's corrections (shared by every entry).
    pub corrections: Arc<CorrectionSet>,
}

impl SloEntry {
    /// Minutes in `[from, to)` that corrections take out of this SLO's
    /// budget: sorted and disjoint, ready for `slo::Excluding`.
    pub fn excluded(&self, from: slo::Minute, to: slo::Minute) -> Vec<(slo::Minute, slo::Minute)> {
        self.corrections
            .ranges(&self.spec, from, to, Purpose::Budget)
    }
}

/// Specs compiled for serving.
#[derive(Debug)]
pub struct Catalog {
    /// The validated specs as loaded.
    pub specs: SpecSet,
    /// SLOs in spec order.
    pub slos: Vec<SloEntry>,
    /// SLO name to index in `slos`.
    by_name: HashMap<String, usize>,
    /// Matches events to SLIs; shared by every ingest request.
    pub pipeline: Arc<ingest::Pipeline>,
    /// Warnings from loading (`file:line:col: path: warning: ...`).
    pub warnings: Vec<String>,
    /// Spec corrections, and the API's once attached with `set_api`.
    pub corrections: Arc<CorrectionSet>,
}

impl Catalog {
    /// Loads and compiles spec files; `Err` carries every diagnostic, one a line.
    pub fn load(paths: &[PathBuf], lenient: bool) -> Result<Catalog, Vec<String>> {
        let mode = if lenient { Mode::Lenient } else { Mode::Strict };
        let loaded = spec::load_paths(paths, mode).map_err(|e| vec![e.to_string()])?;
        Self::from_loaded(loaded)
    }

    /// Compiles in-memory spec sources (the demo's embedded files, tests).
    pub fn from_sources(
        sources: &[(String, String)],
        lenient: bool,
    ) -> Result<Catalog, Vec<String>> {
        let mode = if lenient { Mode::Lenient } else { Mode::Strict };
        Self::from_loaded(spec::load_sources(sources, mode))
    }

    /// Compiles an already loaded spec set (`lodestar check` loads first to tell IO errors apart).
    pub fn from_loaded(loaded: spec::Loaded) -> Result<Catalog, Vec<String>> {
        let spec::Loaded { set, diagnostics } = loaded;
        let mut warnings: Vec<String> = diagnostics.iter().map(|d| d.to_string()).collect();
        let Some(set) = set else {
            return Err(warnings);
        };
        let mut problems = Vec::new();
        let engines = PromEngines::build(&set.data_sources, &mut problems, &mut warnings);
        let mut plans: Vec<SliPlan> = Vec::new();
        // SLI name -> (plan index, where it was defined), so two different
        // SLIs cannot share a store series by accident.
        let mut plan_of: HashMap<String, (usize, spec::Location)> = HashMap::new();
        // SLI name -> the per-event objectives of the SLOs that use it.
        let mut bounds: HashMap<String, Vec<(slo::Op, f64)>> = HashMap::new();
        let (corrections, correction_problems) = CorrectionSet::from_spec(&set);
        problems.extend(correction_problems);
        let corrections = Arc::new(corrections);
        let mut slos = Vec::new();
        for s in &set.slos {
            let composite = s.indicator.is_none();
            let mut objectives = Vec::new();
            for o in &s.objectives {
                let Some(sli) = o.indicator.as_ref().or(s.indicator.as_ref()) else {
                    problems.push(format!(
                        "{}: objective {:?} has no indicator",
                        s.location, o.name
                    ));
                    continue;
                };
                let prometheus = prometheus_source(&engines, sli, &mut problems);
                let source = match (prometheus, plan_for(sli)) {
                    (Some(source), _) => source,
                    (None, Ok(plan)) => {
                        match plan_of.get(&plan.name) {
                            Some((i, first)) => {
                                if plans[*i] != plan {
                                    problems.push(format!(
                                        "{}: SLI {:?} is defined differently at {}; an SLI name identifies its stored data, so give different SLIs different names",
                                        sli.location, plan.name, first
                                    ));
                                }
                            }
                            None => {
                                plan_of
                                    .insert(plan.name.clone(), (plans.len(), sli.location.clone()));
                                plans.push(plan.clone());
                            }
                        }
                        Source::Events { sli: plan.name }
                    }
                    (None, Err(why)) => Source::Unsupported(why),
                };
                if let (Source::Events { sli: name }, Some(bound)) = (&source, event_bound(sli, o))
                {
                    bounds.entry(name.clone()).or_default().push(bound);
                }
                objectives.push(ObjectiveEntry {
                    name: o.name.clone(),
                    display_name: o.display_name.clone(),
                    def: objective_def(s, o, sli),
                    source,
                    weight: o.composite_weight,
                });
            }
            slos.push(SloEntry {
                spec: s.clone(),
                objectives,
                composite,
                corrections: corrections.clone(),
            });
        }
        for plan in &mut plans {
            plan.exemplar_threshold = bounds.get(&plan.name).and_then(|b| strictest_bound(b));
        }
        let pipeline = match ingest::Pipeline::compile(&plans) {
            Ok(p) => p,
            Err(errs) => {
                for e in errs {
                    let loc = plan_of
                        .get(e.sli())
                        .map(|(_, l)| l.to_string())
                        .unwrap_or_default();
                    problems.push(format!("{loc}: {e}"));
                }
                ingest::Pipeline::compile(&[]).map_err(|_| problems.clone())?
            }
        };
        if !problems.is_empty() {
            warnings.extend(problems);
            return Err(warnings);
        }
        let by_name = slos
            .iter()
            .enumerate()
            .map(|(i, e)| (e.spec.metadata.name.clone(), i))
            .collect();
        Ok(Catalog {
            specs: set,
            slos,
            by_name,
            pipeline: Arc::new(pipeline),
            warnings,
            corrections,
        })
    }

    /// The SLO called `name`.
    pub fn slo(&self, name: &str) -> Option<&SloEntry> {
        self.by_name.get(name).map(|&i| &self.slos[i])
    }

    /// Makes the pipeline count already-stored segment values against its caps.
    pub fn seed_segments(&self, series: &[store::SeriesKey]) {
        self.pipeline.seed_segments(
            series
                .iter()
                .filter(|k| !k.dimension.is_empty())
                .map(|k| (k.sli.clone(), k.dimension.clone(), k.value.clone())),
        );
    }

    /// SLIs that timeslice objectives read minute by minute over the whole window.
    pub fn full_resolution_slis(&self) -> Vec<&str> {
        let mut out = Vec::new();
        for e in &self.slos {
            for o in &e.objectives {
                if let (Ok(def), Source::Events { sli }) = (&o.def, &o.source)
                    && !matches!(def.method, slo::Method::Occurrences)
                    && !out.contains(&sli.as_str())
                {
                    out.push(sli.as_str());
                }
            }
        }
        out
    }
}

/// The source of an SLI of type `prometheus`; `None` for other SLIs.
/// Problems that refuse the spec set go to `problems`, once each even when
/// several objectives share the SLI.
fn prometheus_source(
    engines: &PromEngines,
    sli: &Sli,
    problems: &mut Vec<String>,
) -> Option<Source> {
    Some(match engines.resolve(sli) {
        Resolution::NotPrometheus => return None,
        Resolution::Ready(p) => Source::Prometheus(p),
        Resolution::Unsupported(why) => Source::Unsupported(why),
        Resolution::Invalid(errs) => {
            let summary = errs.join("; ");
            for e in errs {
                if !problems.contains(&e) {
                    problems.push(e);
                }
            }
            Source::Unsupported(summary)
        }
    })
}

/// The ingest plan of an event-based SLI, or why it is not one.
fn plan_for(sli: &Sli) -> Result<SliPlan, String> {
    let lodestar = |m: &spec::MetricSource| -> Result<spec::LodestarQuery, String> {
        m.lodestar.clone().ok_or_else(|| {
            format!(
                "metricSource type {:?} is not evaluated by this server (only types lodestar and prometheus are)",
                m.source_type
            )
        })
    };
    let name = sli.metadata.name.clone();
    match &sli.spec {
        SliSpec::Ratio {
            good, bad, total, ..
        } => {
            let t = lodestar(total)?;
            let good = good.as_ref().map(lodestar).transpose()?;
            let bad = bad.as_ref().map(lodestar).transpose()?;
            // The spec crate guarantees good/bad use `metric` exactly when
            // total does: remote-write counters instead of events.
            let kind = match t.metric {
                Some(total) => PlanKind::Counters {
                    total,
                    good: good.and_then(|q| q.metric),
                    bad: bad.and_then(|q| q.metric),
                },
                None => PlanKind::Ratio {
                    total: t.filter,
                    good: good.map(|q| q.filter),
                    bad: bad.map(|q| q.filter),
                },
            };
            Ok(SliPlan {
                name,
                kind,
                segments: t.segments,
                max_segment_values: t.max_segments as usize,
                exemplar_threshold: None,
            })
        }
        SliSpec::RatioRaw { raw, .. } => Err(format!(
            "raw ratio metrics (precomputed ratios) need a metric engine; metricSource type {:?} cannot be computed from events",
            raw.source_type
        )),
        SliSpec::Threshold { metric_source } => {
            let q = lodestar(metric_source)?;
            // A series selector: sampled values (gauges) instead of events.
            if let Some(metric) = q.metric {
                return Ok(SliPlan {
                    name,
                    kind: PlanKind::Gauge { metric },
                    segments: q.segments,
                    max_segment_values: q.max_segments as usize,
                    exemplar_threshold: None,
                });
            }
            let field = if q.field == "duration_ms" {
                Field::DurationMs
            } else {
                Field::Attribute(q.field.clone())
            };
            Ok(SliPlan {
                name,
                kind: PlanKind::Threshold {
                    filter: q.filter,
                    field,
                },
                segments: q.segments,
                max_segment_values: q.max_segments as usize,
                // Set once every objective using the SLI is known.
                exemplar_threshold: None,
            })
        }
    }
}

/// The per-event objective `(op, value)` an objective of a threshold SLI
/// sets, when judging single events by it makes sense: not for `count` or
/// `rate` aggregates, which bound how many events there are.
fn event_bound(sli: &Sli, o: &spec::Objective) -> Option<(slo::Op, f64)> {
    let SliSpec::Threshold { metric_source } = &sli.spec else {
        return None;
    };
    let aggregate = &metric_source.lodestar.as_ref()?.aggregate;
    if matches!(aggregate, Aggregate::Count | Aggregate::Rate) {
        return None;
    }
    Some((map_op(o.op?), o.value?))
}

/// The strictest of an SLI's per-event objectives: the lowest upper bound
/// (`lt` before `lte` at one value) or, when the first objective bounds from
/// below, the highest lower bound (`gt` before `gte`). Bounds on the other
/// side than the first are ignored: one threshold judges one direction.
fn strictest_bound(bounds: &[(slo::Op, f64)]) -> Option<(slo::Op, f64)> {
    let upper = |op: slo::Op| matches!(op, slo::Op::Lt | slo::Op::Lte);
    let direction = upper(bounds.first()?.0);
    bounds
        .iter()
        .copied()
        .filter(|(op, v)| upper(*op) == direction && v.is_finite())
        .reduce(|a, b| {
            let strict = |op: slo::Op| matches!(op, slo::Op::Lt | slo::Op::Gt);
            let b_stricter = if b.1 == a.1 {
                strict(b.0) && !strict(a.0)
            } else {
                (b.1 < a.1) == direction
            };
            if b_stricter { b } else { a }
        })
}

/// Maps a spec objective to the pure definition.
fn objective_def(
    s: &spec::Slo,
    o: &spec::Objective,
    sli: &Sli,
) -> Result<slo::ObjectiveDef, String> {
    let indicator = match &sli.spec {
        SliSpec::Threshold { metric_source } => {
            let aggregate = metric_source
                .lodestar
                .as_ref()
                .map(|q| q.aggregate.clone())
                .unwrap_or(Aggregate::Quantile(0.95));
            let (Some(op), Some(value)) = (o.op, o.value) else {
                return Err(format!(
                    "objective {:?} of a threshold SLI needs op and value",
                    o.name
                ));
            };
            slo::Indicator::Threshold {
                op: map_op(op),
                value,
                aggregate: map_aggregate(aggregate),
            }
        }
        _ => slo::Indicator::Ratio,
    };
    let slice_minutes = || -> Result<u32, String> {
        let w = o
            .time_slice_window
            .as_ref()
            .ok_or("timeSliceWindow is missing")?;
        let m = w.minutes().ok_or_else(|| {
            format!("timeSliceWindow {w} must be in minutes, hours, days or weeks")
        })?;
        u32::try_from(m).map_err(|_| format!("timeSliceWindow {w} is too long"))
    };
    let method = match s.budgeting_method {
        BudgetingMethod::Occurrences => slo::Method::Occurrences,
        BudgetingMethod::Timeslices => slo::Method::Timeslices {
            slice_minutes: slice_minutes()?,
            slice_target: o.time_slice_target.ok_or("timeSliceTarget is missing")?,
        },
        BudgetingMethod::RatioTimeslices => slo::Method::RatioTimeslices {
            slice_minutes: slice_minutes()?,
        },
    };
    let tw = &s.time_window;
    let window = match &tw.calendar {
        None => slo::Window::Rolling {
            minutes: tw.duration.minutes().ok_or_else(|| {
                format!(
                    "rolling window {} must be in minutes, hours, days or weeks",
                    tw.duration
                )
            })?,
        },
        Some(cal) => {
            let unit = match tw.duration.unit {
                DurationUnit::Week => slo::CalendarUnit::Week,
                DurationUnit::Month => slo::CalendarUnit::Month,
                DurationUnit::Quarter => slo::CalendarUnit::Quarter,
                DurationUnit::Year => slo::CalendarUnit::Year,
                _ => {
                    return Err(format!(
                        "calendar window {} must be in weeks, months, quarters or years",
                        tw.duration
                    ));
                }
            };
            let tz = jiff::tz::TimeZone::get(&cal.time_zone)
                .map_err(|e| format!("time zone {:?}: {e}", cal.time_zone))?;
            slo::Window::Calendar {
                unit,
                count: tw.duration.value,
                start: cal.start_time,
                tz,
            }
        }
    };
    Ok(slo::ObjectiveDef {
        target: o.target,
        indicator,
        method,
        window,
    })
}

fn map_op(op: Op) -> slo::Op {
    match op {
        Op::Lt => slo::Op::Lt,
        Op::Lte => slo::Op::Lte,
        Op::Gt => slo::Op::Gt,
        Op::Gte => slo::Op::Gte,
    }
}

fn map_aggregate(a: Aggregate) -> slo::Aggregate {
    match a {
        Aggregate::Quantile(q) => slo::Aggregate::Quantile(q),
        Aggregate::Mean => slo::Aggregate::Mean,
        Aggregate::Min => slo::Aggregate::Min,
        Aggregate::Max => slo::Aggregate::Max,
        Aggregate::Count => slo::Aggregate::Count,
        Aggregate::Rate => slo::Aggregate::Rate,
    }
}

#[cfg(test)]
mod tests;
