//! Cross-object checks over every file loaded together: duplicate names,
//! references (`indicatorRef`, `alertPolicyRef`, `conditionRef`,
//! `targetRef`, `metricSourceRef`, journey SLO names), the rules that need
//! a resolved SLI (objective `op`/`value`, the `lodestar` query of metric
//! sources whose type comes from a DataSource), documentation fallback
//! from SLO to SLI, and the names in Corrections and BudgetPolicies.
//!
//! Input is the decoded drafts in file order; output is the final
//! [`SpecSet`]. A reference to an object that exists but failed to decode is
//! not reported again: its own errors already explain it.

use std::collections::{HashMap, HashSet};

use crate::decode::lodestar::{self, lodestar_query};
use crate::decode::{
    AlertPolicyDraft, Doc, Draft, IndicatorDraft, InlineOrRef, Kind, MetricSourceDraft, Object,
    ObjectiveDraft, RefDraft, Role, SliDraft, SliSpecDraft, SloDraft, to_json,
};
use crate::diagnostic::{Location, Sink, key_path};
use crate::model::{
    AlertPolicy, DataSource, MetricSource, Objective, Sli, SliDocumentation, SliSpec, Slo, SpecSet,
};

/// Resolves `objects` (in file order) into a spec set; `refs` are all
/// references written in them, each checked for existence once.
pub(crate) fn resolve(objects: &[Object], refs: &[(Kind, RefDraft)], sink: &mut Sink) -> SpecSet {
    let mut index: HashMap<(Kind, &str), usize> = HashMap::new();
    for (i, o) in objects.iter().enumerate() {
        match index.get(&(o.kind, o.name.as_str())) {
            Some(&first) => {
                let f = &objects[first].name_loc;
                sink.error(
                    &o.name_loc,
                    format!(
                        "duplicate {} {:?}; first defined at {}:{}:{}",
                        o.kind.as_str(),
                        o.name,
                        f.file,
                        f.line,
                        f.col
                    ),
                );
            }
            None => {
                index.insert((o.kind, o.name.as_str()), i);
            }
        }
    }
    let services = service_names(objects);
    for (kind, r) in refs {
        if *kind == Kind::Service {
            if !services.contains(r.name.as_str()) {
                sink.error(
                    &r.loc,
                    format!(
                        "service {:?} not found in the loaded files; expected the name of a Service or the service of an SLO",
                        r.name
                    ),
                );
            }
        } else if !index.contains_key(&(*kind, r.name.as_str())) {
            sink.error(
                &r.loc,
                format!(
                    "{} {:?} not found in the loaded files",
                    kind.as_str(),
                    r.name
                ),
            );
        }
    }
    let mut r = Resolver {
        objects,
        index,
        data_sources: HashMap::new(),
        slis: HashMap::new(),
        policies: HashMap::new(),
    };
    let mut set = SpecSet::default();
    for o in objects {
        if let Some(Draft::DataSource(d)) = &o.draft {
            r.data_sources.insert(o.name.clone(), d.clone());
            set.data_sources.push(d.clone());
        }
    }
    for o in objects {
        if let Some(Draft::Sli(d)) = &o.draft {
            let sli = r.sli(d, sink);
            if let Some(s) = &sli {
                set.slis.push(s.clone());
            }
            r.slis.entry(o.name.clone()).or_insert(sli);
        }
    }
    for o in objects {
        match &o.draft {
            Some(Draft::AlertCondition(c)) => set.alert_conditions.push(c.clone()),
            Some(Draft::AlertNotificationTarget(t)) => {
                set.alert_notification_targets.push(t.clone())
            }
            Some(Draft::Service(s)) => set.services.push(s.clone()),
            _ => {}
        }
    }
    for o in objects {
        if let Some(Draft::AlertPolicy(d)) = &o.draft {
            let policy = r.alert_policy(d);
            if let Some(p) = &policy {
                set.alert_policies.push(p.clone());
            }
            r.policies.entry(o.name.clone()).or_insert(policy);
        }
    }
    for o in objects {
        match &o.draft {
            Some(Draft::Slo(d)) => set.slos.extend(r.slo(d, sink)),
            Some(Draft::Journey(j))
                if j.slo_refs
                    .iter()
                    .all(|slo_ref| r.lookup(Kind::Slo, slo_ref).is_some()) =>
            {
                set.journeys.push(j.journey.clone());
            }
            _ => {}
        }
    }
    for o in objects {
        match &o.draft {
            Some(Draft::Correction(c))
                if c.slo_refs.iter().all(|s| r.lookup(Kind::Slo, s).is_some()) =>
            {
                set.corrections.push(c.correction.clone());
            }
            Some(Draft::BudgetPolicy(p))
                if p.object_refs.iter().all(|(k, o)| r.lookup(*k, o).is_some()) =>
            {
                set.budget_policies.push(p.policy.clone());
            }
            _ => {}
        }
    }
    set
}

/// Every name a service reference may use: `kind: Service` objects (even
/// ones that failed to decode, whose own errors explain them) and the
/// `spec.service` of every decoded SLO, since OpenSLO does not require
/// Service objects.
fn service_names(objects: &[Object]) -> HashSet<&str> {
    let mut names = HashSet::new();
    for o in objects {
        match (&o.kind, &o.draft) {
            (Kind::Service, _) => {
                names.insert(o.name.as_str());
            }
            (_, Some(Draft::Slo(s))) => {
                names.insert(s.service.as_str());
            }
            _ => {}
        }
    }
    names
}

struct Resolver<'o> {
    objects: &'o [Object],
    index: HashMap<(Kind, &'o str), usize>,
    data_sources: HashMap<String, DataSource>,
    /// `None` when the SLI exists but did not resolve.
    slis: HashMap<String, Option<Sli>>,
    policies: HashMap<String, Option<AlertPolicy>>,
}

impl Resolver<'_> {
    /// The draft a reference names; `None` when it is missing or failed to
    /// decode (both already reported).
    fn lookup(&self, kind: Kind, r: &RefDraft) -> Option<&Draft> {
        let &i = self.index.get(&(kind, r.name.as_str()))?;
        self.objects[i].draft.as_ref()
    }

    fn metric_source(&self, d: &MetricSourceDraft, sink: &mut Sink) -> Option<MetricSource> {
        let data_source = match &d.metric_source_ref {
            Some(r) => match self.lookup(Kind::DataSource, r) {
                Some(_) => Some(self.data_sources.get(&r.name)?),
                None => return None,
            },
            None => None,
        };
        let source_type = match (&d.source_type, data_source) {
            (Some((t, at)), Some(ds)) if !t.eq_ignore_ascii_case(&ds.source_type) => {
                sink.error(
                    at,
                    format!(
                        "type {t:?} differs from type {:?} of DataSource {:?}; expected the same type or no type",
                        ds.source_type, ds.metadata.name
                    ),
                );
                return None;
            }
            (Some((t, _)), _) => t.clone(),
            (None, Some(ds)) => ds.source_type.clone(),
            (None, None) => return None,
        };
        let lodestar = if source_type.eq_ignore_ascii_case(lodestar::TYPE) {
            if d.role == Role::Raw {
                let at = d.source_type.as_ref().map_or(&d.location, |(_, at)| at);
                sink.error(
                    at,
                    "type lodestar cannot provide a precomputed ratio (raw); use total with good or bad",
                );
                return None;
            }
            // References were all collected during decoding; none are made here.
            let mut no_refs = Vec::new();
            let mut doc = Doc {
                file: &d.location.file,
                sink,
                refs: &mut no_refs,
            };
            Some(lodestar_query(&mut doc, &d.spec, &d.spec_path, d.role)?)
        } else {
            None
        };
        Some(MetricSource {
            metric_source_ref: d.metric_source_ref.as_ref().map(|r| r.name.clone()),
            source_type,
            spec: to_json(&d.spec),
            lodestar,
            location: d.location.clone(),
        })
    }

    fn sli(&self, d: &SliDraft, sink: &mut Sink) -> Option<Sli> {
        let spec = match &d.spec {
            SliSpecDraft::Threshold { metric_source } => SliSpec::Threshold {
                metric_source: self.metric_source(metric_source, sink)?,
            },
            SliSpecDraft::RatioRaw {
                counter,
                raw_type,
                raw,
            } => SliSpec::RatioRaw {
                counter: *counter,
                raw_type: *raw_type,
                raw: self.metric_source(raw, sink)?,
            },
            SliSpecDraft::Ratio {
                counter,
                good,
                bad,
                total,
            } => {
                let total = self.metric_source(total, sink);
                let good = good.as_ref().map(|g| self.metric_source(g, sink));
                let bad = bad.as_ref().map(|b| self.metric_source(b, sink));
                let total = total?;
                let good = good.map_or(Some(None), |g| g.map(Some))?;
                let bad = bad.map_or(Some(None), |b| b.map(Some))?;
                let numerators = good.iter().map(|g| ("good", g));
                for (role, numerator) in numerators.chain(bad.iter().map(|b| ("bad", b))) {
                    if numerator.lodestar.is_some() != total.lodestar.is_some() {
                        sink.error(
                            &numerator.location,
                            format!(
                                "type {:?} cannot be combined with a total of type {:?}; good, bad and total must all be of type lodestar or none",
                                numerator.source_type, total.source_type
                            ),
                        );
                        return None;
                    }
                    if let (Some(n), Some(t)) = (&numerator.lodestar, &total.lodestar)
                        && n.metric.is_some() != t.metric.is_some()
                    {
                        let uses = |q: &crate::model::LodestarQuery| {
                            if q.metric.is_some() {
                                "metric"
                            } else {
                                "filter"
                            }
                        };
                        sink.error(
                            &n.filter_location,
                            format!(
                                "{role} uses {} but total uses {}; in a ratio, good/bad and total must all use filter (events) or all use metric (counters)",
                                uses(n),
                                uses(t)
                            ),
                        );
                        return None;
                    }
                }
                SliSpec::Ratio {
                    counter: *counter,
                    good,
                    bad,
                    total,
                }
            }
        };
        Some(Sli {
            metadata: d.metadata.clone(),
            description: d.description.clone(),
            spec,
            documentation: d.documentation.clone(),
            location: d.location.clone(),
        })
    }

    /// An SLO's (or composite objective's) indicator, with the SLO's
    /// documentation filling what the SLI leaves out.
    fn indicator(
        &self,
        d: &IndicatorDraft,
        fallback: &SliDocumentation,
        sink: &mut Sink,
    ) -> Option<Sli> {
        let mut sli = match d {
            InlineOrRef::Inline(draft) => self.sli(draft, sink)?,
            InlineOrRef::Ref(r) => {
                self.lookup(Kind::Sli, r)?;
                self.slis.get(&r.name).cloned().flatten()?
            }
        };
        let doc = &mut sli.documentation;
        doc.why = doc.why.take().or_else(|| fallback.why.clone());
        doc.how = doc.how.take().or_else(|| fallback.how.clone());
        doc.acceptable_variation = doc
            .acceptable_variation
            .take()
            .or_else(|| fallback.acceptable_variation.clone());
        Some(sli)
    }

    fn alert_policy(&self, d: &AlertPolicyDraft) -> Option<AlertPolicy> {
        let mut ok = true;
        let mut conditions = Vec::new();
        for c in &d.conditions {
            match c {
                InlineOrRef::Inline(c) => conditions.push(c.clone()),
                InlineOrRef::Ref(r) => match self.lookup(Kind::AlertCondition, r) {
                    Some(Draft::AlertCondition(c)) => conditions.push(c.clone()),
                    _ => ok = false,
                },
            }
        }
        let mut targets = Vec::new();
        for t in &d.notification_targets {
            match t {
                InlineOrRef::Inline(t) => targets.push(t.clone()),
                InlineOrRef::Ref(r) => match self.lookup(Kind::AlertNotificationTarget, r) {
                    Some(Draft::AlertNotificationTarget(t)) => targets.push(t.clone()),
                    _ => ok = false,
                },
            }
        }
        ok.then(|| AlertPolicy {
            metadata: d.metadata.clone(),
            description: d.description.clone(),
            alert_when_no_data: d.alert_when_no_data,
            alert_when_resolved: d.alert_when_resolved,
            alert_when_breaching: d.alert_when_breaching,
            conditions,
            notification_targets: targets,
            location: d.location.clone(),
        })
    }

    fn slo(&self, d: &SloDraft, sink: &mut Sink) -> Option<Slo> {
        let indicator = d
            .indicator
            .as_ref()
            .map(|i| self.indicator(i, &d.documentation, sink));
        let mut ok = !matches!(indicator, Some(None));
        let indicator = indicator.flatten();
        let mut objectives = Vec::with_capacity(d.objectives.len());
        for o in &d.objectives {
            let own = o
                .indicator
                .as_ref()
                .map(|i| self.indicator(i, &d.documentation, sink));
            if matches!(own, Some(None)) {
                ok = false;
            }
            let own = own.flatten();
            let sli = own.as_ref().or(indicator.as_ref());
            match sli {
                Some(sli) => objectives.extend(objective(o, sli, own.clone(), sink)),
                None => ok = false,
            }
        }
        let mut alert_policies = Vec::with_capacity(d.alert_policies.len());
        for p in &d.alert_policies {
            match p {
                InlineOrRef::Inline(p) => match self.alert_policy(p) {
                    Some(p) => alert_policies.push(p),
                    None => ok = false,
                },
                InlineOrRef::Ref(r) => {
                    let found = self
                        .lookup(Kind::AlertPolicy, r)
                        .and_then(|_| self.policies.get(&r.name)?.clone());
                    match found {
                        Some(p) => alert_policies.push(p),
                        None => ok = false,
                    }
                }
            }
        }
        (ok && objectives.len() == d.objectives.len()).then(|| Slo {
            metadata: d.metadata.clone(),
            description: d.description.clone(),
            service: d.service.clone(),
            indicator,
            budgeting_method: d.budgeting_method,
            time_window: d.time_window.clone(),
            objectives,
            alert_policies,
            ownership: d.ownership.clone(),
            location: d.location.clone(),
        })
    }
}

/// Final objective; checks `op`/`value` against the indicator's kind.
fn objective(
    o: &ObjectiveDraft,
    sli: &Sli,
    own: Option<Sli>,
    sink: &mut Sink,
) -> Option<Objective> {
    let threshold = matches!(sli.spec, SliSpec::Threshold { .. });
    let mut op = o.op.as_ref().map(|(op, _)| *op);
    let mut value = o.value.as_ref().map(|(v, _)| *v);
    let mut ok = true;
    if threshold {
        for (key, present) in [("op", op.is_some()), ("value", value.is_some())] {
            if !present {
                let at = Location {
                    path: key_path(&o.location.path, key),
                    ..o.location.clone()
                };
                sink.error(&at, "property is required for threshold indicators");
                ok = false;
            }
        }
    } else {
        for at in [
            o.op.as_ref().map(|(_, at)| at),
            o.value.as_ref().map(|(_, at)| at),
        ]
        .into_iter()
        .flatten()
        {
            if sink.lenient() {
                sink.warning(at, "property is ignored for ratio indicators");
            } else {
                sink.error(at, "property is forbidden for ratio indicators");
                ok = false;
            }
        }
        op = None;
        value = None;
    }
    ok.then(|| Objective {
        name: o.name.clone(),
        display_name: o.display_name.clone(),
        op,
        value,
        target: o.target,
        time_slice_target: o.time_slice_target,
        time_slice_window: o.time_slice_window,
        indicator: own,
        composite_weight: o.composite_weight,
    })
}
