//! The facts the decision engine needs, read from the store and the
//! catalog: per objective its evaluation at `at`, the minute tallies of its
//! window (incidents), its per-segment tallies (attribution), canary and
//! baseline arms since a change; then `decide` turns them into policy
//! verdicts, gate evidence, attribution and priorities.
//!
//! Only objectives whose data is Lodestar's own store are assessed;
//! Prometheus-backed objectives have no per-segment series here. Nothing
//! here calls hooks or writes anything.

use decide::attribution::{Attribution, attribute};
use decide::gate::{Arm, ObjectiveEvidence};
use decide::incident::{IncidentConfig, find_incidents, largest_share};
use decide::policy::{PolicyFacts, PolicyVerdict, evaluate, no_policy, strictest};
use decide::priorities::{PriorityInput, TopContributor};
use jiff::Timestamp;
use slo::{Bucket, Minute, ObjectiveDef, Tally};
use store::{SeriesKey, StoreReader};

use crate::catalog::{Catalog, ObjectiveEntry, SloEntry, Source};

/// Segment dimensions that name a service version.
pub const VERSION_DIMENSIONS: [&str; 2] = ["service.version", "version"];
/// Segment dimensions that name a feature flag.
pub const FLAG_DIMENSIONS: [&str; 2] = ["feature_flag.key", "flag"];
/// Dependency dimension used when no policy names one.
pub const DEFAULT_DEPENDENCY_DIMENSION: &str = "peer.service";

/// One objective with store data, ready to read.
pub struct Assessed<'c> {
    pub slo: &'c SloEntry,
    pub objective: &'c ObjectiveEntry,
    pub def: &'c ObjectiveDef,
    pub sli: &'c str,
    pub eval: slo::Evaluation,
}

impl Assessed<'_> {
    /// `slo` for single-objective SLOs, `slo/objective` otherwise.
    pub fn label(&self) -> String {
        if self.slo.objectives.len() == 1 {
            self.slo.spec.metadata.name.clone()
        } else {
            format!("{}/{}", self.slo.spec.metadata.name, self.objective.name)
        }
    }
}

/// The objectives of `entry` that live in the store, evaluated at `at`.
pub fn assess<'c>(
    entry: &'c SloEntry,
    reader: &StoreReader<'_>,
    at: Timestamp,
) -> Vec<Assessed<'c>> {
    entry
        .objectives
        .iter()
        .filter_map(|o| match (&o.def, &o.source) {
            (Ok(def), Source::Events { sli }) => {
                let view = reader.series(&SeriesKey::whole(sli.clone()));
                let eval = match view {
                    Some(v) => slo::evaluate(def, &v, at),
                    None => slo::evaluate(def, &store::SeriesView::empty(), at),
                };
                Some(Assessed {
                    slo: entry,
                    objective: o,
                    def,
                    sli: sli.as_str(),
                    eval,
                })
            }
            _ => None,
        })
        .collect()
}

/// Tally of a summed bucket under the objective's indicator, event by event.
fn occurrences(def: &ObjectiveDef, b: &Bucket) -> Tally {
    slo::tally::occurrences(&def.indicator, b)
}

/// Per-segment tallies `(dimension, value, tally)` of `a` over `[from, to)`.
pub fn segment_tallies(
    a: &Assessed<'_>,
    reader: &StoreReader<'_>,
    from: Minute,
    to: Minute,
) -> Vec<(String, String, Tally)> {
    reader
        .segments(a.sli)
        .into_iter()
        .map(|(key, view)| {
            (
                key.dimension,
                key.value,
                occurrences(a.def, &view.sum(from, to)),
            )
        })
        .collect()
}

/// The whole SLI's tally over `[from, to)`.
pub fn whole_tally(a: &Assessed<'_>, reader: &StoreReader<'_>, from: Minute, to: Minute) -> Tally {
    reader
        .series(&SeriesKey::whole(a.sli))
        .map(|v| occurrences(a.def, &v.sum(from, to)))
        .unwrap_or_default()
}

/// Bad weight the window allows, counted in events (the unit attribution
/// and incidents use, whatever the budgeting method).
pub fn window_budget_events(a: &Assessed<'_>, reader: &StoreReader<'_>) -> f64 {
    let t = whole_tally(a, reader, a.eval.window_from, a.eval.window_to);
    (1.0 - a.def.target) * t.total
}

/// Attribution of `a`'s burn over `[from, to)`; `None` when the window
/// holds no events (no budget to attribute to).
pub fn attribution(
    a: &Assessed<'_>,
    reader: &StoreReader<'_>,
    from: Minute,
    to: Minute,
    dependency_dimensions: &[String],
) -> Option<Attribution> {
    let budget = window_budget_events(a, reader);
    let whole = whole_tally(a, reader, from, to);
    let segments = segment_tallies(a, reader, from, to);
    let deps: Vec<&str> = dependency_dimensions.iter().map(String::as_str).collect();
    attribute(a.def.target, budget, &whole, &segments, &deps).ok()
}

/// Dependency dimensions of the policies governing `entry`, or
/// `peer.service` when none names one.
pub fn dependency_dimensions(catalog: &Catalog, entry: &SloEntry) -> Vec<String> {
    let mut dims: Vec<String> = catalog
        .specs
        .budget_policies_for(&entry.spec)
        .flat_map(|p| p.exceptions.iter())
        .filter_map(|e| match e {
            spec::PolicyException::Dependency { attribute, .. } => Some(attribute.clone()),
            _ => None,
        })
        .collect();
    if dims.is_empty() {
        dims.push(DEFAULT_DEPENDENCY_DIMENSION.to_owned());
    }
    dims.sort();
    dims.dedup();
    dims
}

/// Largest share of the window's budget one incident consumed.
fn largest_incident(a: &Assessed<'_>, reader: &StoreReader<'_>) -> f64 {
    let budget = window_budget_events(a, reader);
    if budget <= 0.0 {
        return 0.0;
    }
    let mut series = Vec::new();
    if let Some(view) = reader.series(&SeriesKey::whole(a.sli)) {
        view.for_each(a.eval.window_from, a.eval.window_to, &mut |m, b| {
            series.push((m, occurrences(a.def, b)));
        });
    }
    find_incidents(&series, a.def.target, budget, &IncidentConfig::default())
        .map(|i| largest_share(&i))
        .unwrap_or(0.0)
}

/// The budget-policy verdict of one SLO at `at`: every applicable policy
/// over every stored objective, the strictest deciding.
pub fn policy_verdict(
    catalog: &Catalog,
    entry: &SloEntry,
    reader: &StoreReader<'_>,
    at: Timestamp,
) -> PolicyVerdict {
    let name = entry.spec.metadata.name.as_str();
    let assessed = assess(entry, reader, at);
    let policies: Vec<&spec::BudgetPolicy> =
        catalog.specs.budget_policies_for(&entry.spec).collect();
    let remaining = assessed
        .iter()
        .map(|a| a.eval.budget.remaining)
        .fold(1.0_f64, f64::min);
    if policies.is_empty() {
        return no_policy(name, remaining);
    }
    if assessed.is_empty() {
        let mut v = no_policy(name, remaining);
        v.reasons = vec![format!(
            "SLO {name} has no data in Lodestar's store (a Prometheus or invalid source): its policy cannot be evaluated here"
        )];
        return v;
    }
    let deps = dependency_dimensions(catalog, entry);
    let mut verdicts = Vec::new();
    for a in &assessed {
        let attribution = attribution(a, reader, a.eval.window_from, a.eval.window_to, &deps);
        let incident = largest_incident(a, reader);
        let base = PolicyFacts {
            slo: name.to_owned(),
            budget_remaining: a.eval.budget.remaining,
            burn_rates: a
                .eval
                .burn_rates
                .iter()
                .map(|b| (b.minutes, b.value))
                .collect(),
            largest_incident_share: incident,
            ..PolicyFacts::default()
        };
        for p in &policies {
            let facts = match &attribution {
                Some(attr) => base.clone().with_dependencies(p, attr),
                None => base.clone(),
            };
            verdicts.push(evaluate(p, &facts));
        }
    }
    strictest(verdicts, name, remaining)
}

/// Canary, baseline and budget evidence for one objective since `since`.
pub struct ArmsRequest<'r> {
    pub version: Option<&'r str>,
    pub baseline_version: Option<&'r str>,
    pub since: Minute,
    pub to: Minute,
}

/// The gate evidence of `a`, and a note when it cannot be compared
/// (no version segment).
pub fn evidence(
    a: &Assessed<'_>,
    policy: &PolicyVerdict,
    reader: &StoreReader<'_>,
    req: &ArmsRequest<'_>,
) -> (ObjectiveEvidence, Option<String>) {
    let mut out = ObjectiveEvidence {
        slo: a.label(),
        policy: policy.clone(),
        canary: None,
        baseline: None,
        latency_unit: a.objective_unit(),
        budget_burned: None,
        elapsed_minutes: (req.to - req.since).max(0),
        window_minutes: a.eval.window_minutes,
    };
    let Some(version) = req.version else {
        return (
            out,
            Some("no version given and no deploy recorded: canary comparison skipped".to_owned()),
        );
    };
    let segments = reader.segments(a.sli);
    let Some(dimension) = VERSION_DIMENSIONS
        .iter()
        .find(|d| segments.iter().any(|(k, _)| k.dimension == **d))
    else {
        return (
            out,
            Some(format!(
                "SLI {} has no version segment: add `segments: [service.version]` to its source to compare versions",
                a.sli
            )),
        );
    };
    let mut canary = Bucket::default();
    let mut baseline = Bucket::default();
    for (key, view) in &segments {
        if key.dimension != *dimension {
            continue;
        }
        let b = view.sum(req.since, req.to);
        if key.value == version {
            canary.merge(&b);
        } else if req.baseline_version.is_none_or(|bv| key.value == bv) {
            baseline.merge(&b);
        }
    }
    let arm = |b: &Bucket| {
        (b.total > 0.0).then(|| {
            let t = occurrences(a.def, b);
            Arm {
                good: t.good,
                total: t.total,
                raw_total: b.raw_total,
                latency: b.values.as_deref().filter(|s| s.count() > 0.0).cloned(),
            }
        })
    };
    out.canary = arm(&canary);
    out.baseline = arm(&baseline);
    let budget = window_budget_events(a, reader);
    if let Some(c) = &out.canary
        && budget > 0.0
    {
        out.budget_burned = Some((c.total - c.good).max(0.0) / budget);
    }
    (out, None)
}

impl Assessed<'_> {
    fn objective_unit(&self) -> String {
        match &self.def.indicator {
            slo::Indicator::Threshold { .. } => "ms".to_owned(),
            slo::Indicator::Ratio => String::new(),
        }
    }
}

/// The priorities inputs of every stored SLO: one per journey that
/// mentions it (with the journey's weight), or one outside any journey.
pub fn priority_inputs(
    catalog: &Catalog,
    reader: &StoreReader<'_>,
    at: Timestamp,
) -> Vec<PriorityInput> {
    let mut out = Vec::new();
    for entry in &catalog.slos {
        let assessed = assess(entry, reader, at);
        let Some(worst) = assessed
            .iter()
            .min_by(|x, y| x.eval.budget.remaining.total_cmp(&y.eval.budget.remaining))
        else {
            continue;
        };
        let verdict = policy_verdict(catalog, entry, reader, at);
        let deps = dependency_dimensions(catalog, entry);
        let mut top: Vec<TopContributor> = attribution(
            worst,
            reader,
            worst.eval.window_from,
            worst.eval.window_to,
            &deps,
        )
        .map(|a| {
            let mut all: Vec<TopContributor> = a.top.iter().map(TopContributor::from).collect();
            all.extend(
                a.dependency
                    .iter()
                    .filter(|c| c.bad > 0.0)
                    .map(TopContributor::from),
            );
            all
        })
        .unwrap_or_default();
        top.sort_by(|x, y| y.share_of_burn.total_cmp(&x.share_of_burn));
        top.truncate(3);
        let window_burn = if worst.eval.total > 0.0 {
            let elapsed = (worst.eval.window_to - worst.eval.window_from).max(1) as f64;
            let consumed = 1.0 - worst.eval.budget.remaining;
            Some(consumed * worst.eval.window_minutes as f64 / elapsed)
        } else {
            None
        };
        let base = PriorityInput {
            journey: None,
            slo: entry.spec.metadata.name.clone(),
            service: Some(entry.spec.service.clone()),
            owner: entry.spec.ownership.owner.clone(),
            budget_remaining: worst.eval.budget.remaining,
            burn_rate_1h: worst.eval.burn_rate(60),
            burn_rate_window: window_burn,
            time_to_exhaustion_s: worst.eval.time_to_exhaustion_s,
            policy_state: verdict.state,
            top_contributors: top,
        };
        let journeys: Vec<&spec::Journey> = catalog
            .specs
            .journeys
            .iter()
            .filter(|j| j.mentions(&entry.spec.metadata.name))
            .collect();
        if journeys.is_empty() {
            out.push(base);
        } else {
            for j in journeys {
                out.push(PriorityInput {
                    journey: Some((j.metadata.name.clone(), j.weight)),
                    ..base.clone()
                });
            }
        }
    }
    out
}
