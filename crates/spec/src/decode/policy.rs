//! `lodestar.dev/v1` `kind: BudgetPolicy`: an executable error-budget
//! policy (the SRE Workbook's example policy, as data): which SLOs it
//! governs, rules from budget and burn thresholds to a state and what
//! releases may do, the postmortem threshold, and the burn that does not
//! count (dependencies, excluded traffic).
//!
//! Only the object itself is checked here; SLO, service and journey names
//! are recorded as references for `resolve`. The
//! policy is not evaluated here (that is the decision engine's job), and
//! exception filters are stored as CEL text, not compiled.

use super::{BudgetPolicyDraft, Doc, Fields, Kind, RefDraft};
use crate::diagnostic::{Location, index_path};
use crate::duration::DurationShorthand;
use crate::model::{
    BudgetPolicy, Metadata, PolicyCondition, PolicyException, PolicyRule, PolicyScope, PolicyState,
    ReleaseMode,
};
use crate::tree::{Entry, Node};

/// The attribute a dependency exception reads when none is given: the
/// OpenTelemetry name of the called service.
const DEFAULT_DEPENDENCY_ATTRIBUTE: &str = "peer.service";

/// One incident burning more than this share of the budget needs a
/// postmortem, as in the SRE Workbook's example policy.
const DEFAULT_POSTMORTEM_SHARE: f64 = 0.2;

pub(crate) struct BudgetPolicySpec {
    description: Option<String>,
    scope: Scope,
    escalation_owner: Option<String>,
    escalation_after: Option<DurationShorthand>,
    rules: Vec<PolicyRule>,
    postmortem_share: f64,
    exceptions: Vec<PolicyException>,
}

#[derive(Default)]
struct Scope {
    slos: Vec<RefDraft>,
    services: Vec<RefDraft>,
    journeys: Vec<RefDraft>,
}

impl BudgetPolicySpec {
    pub(crate) fn into_draft(self, metadata: Metadata, location: Location) -> BudgetPolicyDraft {
        let names = |refs: &[RefDraft]| refs.iter().map(|r| r.name.clone()).collect();
        let s = &self.scope;
        let object_refs = (s.slos.iter().map(|r| (Kind::Slo, r.clone())))
            .chain(s.journeys.iter().map(|r| (Kind::Journey, r.clone())))
            .collect();
        BudgetPolicyDraft {
            policy: BudgetPolicy {
                metadata,
                description: self.description,
                applies_to: PolicyScope {
                    slos: names(&s.slos),
                    services: names(&s.services),
                    journeys: names(&s.journeys),
                },
                escalation_owner: self.escalation_owner,
                escalation_after: self.escalation_after,
                rules: self.rules,
                postmortem_share: self.postmortem_share,
                exceptions: self.exceptions,
                location,
            },
            object_refs,
        }
    }
}

pub(crate) fn budget_policy_spec(
    doc: &mut Doc<'_>,
    e: &Entry,
    path: &str,
) -> Option<BudgetPolicySpec> {
    let mut f = Fields::of_entry(doc, e, path)?;
    let description = f
        .get("description")
        .and_then(|d| doc.description(&d.value, &f.child("description")));
    let scope = match f.get("appliesTo") {
        None => Some(Scope::default()),
        Some(a) => scope(doc, a, &f.child("appliesTo")),
    };
    let escalation = match f.get("escalation") {
        None => Some((None, None)),
        Some(x) => escalation(doc, x, &f.child("escalation")),
    };
    let rules = f.required(doc, "states").and_then(|s| {
        let p = f.child("states");
        let items = doc.list(&s.value, &p)?;
        if items.is_empty() {
            doc.error(
                s.value.pos,
                &p,
                "expected at least one rule, like {state: exhausted, when: [{budgetRemainingBelow: 0}], releases: frozen}",
            );
            return None;
        }
        let rules: Vec<Option<PolicyRule>> = items
            .iter()
            .enumerate()
            .map(|(i, item)| rule(doc, item, &index_path(&p, i)))
            .collect();
        rules.into_iter().collect()
    });
    let postmortem_share = match f.get("postmortem") {
        None => Some(DEFAULT_POSTMORTEM_SHARE),
        Some(pm) => {
            let mut g = Fields::of_entry(doc, pm, &f.child("postmortem"))?;
            let share = match g.get("incidentBudgetShare") {
                None => Some(DEFAULT_POSTMORTEM_SHARE),
                Some(s) => share(doc, &s.value, &g.child("incidentBudgetShare")),
            };
            g.finish(doc);
            share
        }
    };
    let exceptions = match f.get("exceptions") {
        None => Some(Vec::new()),
        Some(x) => {
            let p = f.child("exceptions");
            doc.list(&x.value, &p).and_then(|items| {
                let all: Vec<Option<PolicyException>> = items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| exception(doc, item, &index_path(&p, i)))
                    .collect();
                all.into_iter().collect()
            })
        }
    };
    f.finish(doc);
    let (escalation_owner, escalation_after) = escalation?;
    Some(BudgetPolicySpec {
        description,
        scope: scope?,
        escalation_owner,
        escalation_after,
        rules: rules?,
        postmortem_share: postmortem_share?,
        exceptions: exceptions?,
    })
}

fn scope(doc: &mut Doc<'_>, e: &Entry, path: &str) -> Option<Scope> {
    let mut f = Fields::of_entry(doc, e, path)?;
    let mut list = |doc: &mut Doc<'_>, key: &'static str, kind: Kind| match f.get(key) {
        None => Some(Vec::new()),
        Some(l) => doc.name_list(&l.value, &f.child(key), kind),
    };
    let slos = list(doc, "slos", Kind::Slo);
    let services = list(doc, "services", Kind::Service);
    let journeys = list(doc, "journeys", Kind::Journey);
    f.finish(doc);
    Some(Scope {
        slos: slos?,
        services: services?,
        journeys: journeys?,
    })
}

type Escalation = (Option<String>, Option<DurationShorthand>);

fn escalation(doc: &mut Doc<'_>, e: &Entry, path: &str) -> Option<Escalation> {
    let mut f = Fields::of_entry(doc, e, path)?;
    let owner = f
        .required(doc, "owner")
        .and_then(|o| doc.non_empty_string(&o.value, &f.child("owner")));
    let after = match f.get("after") {
        None => Some(None),
        Some(a) => doc.fixed_duration(&a.value, &f.child("after")).map(Some),
    };
    f.finish(doc);
    Some((Some(owner?), after?))
}

fn rule(doc: &mut Doc<'_>, node: &Node, path: &str) -> Option<PolicyRule> {
    let mut f = Fields::of(doc, node, path, node.pos)?;
    let state = f.required(doc, "state").and_then(|s| {
        let p = f.child("state");
        let text = doc.string(&s.value, &p)?;
        let state = [
            PolicyState::Healthy,
            PolicyState::AtRisk,
            PolicyState::Exhausted,
        ]
        .into_iter()
        .find(|st| st.as_str() == text);
        if state.is_none() {
            doc.error(
                s.value.pos,
                &p,
                format!("expected one of healthy, at-risk, exhausted, got {text:?}"),
            );
        }
        state
    });
    let when = f.required(doc, "when").and_then(|w| {
        let p = f.child("when");
        let items = doc.list(&w.value, &p)?;
        if items.is_empty() {
            doc.error(
                w.value.pos,
                &p,
                "expected at least one condition, like {budgetRemainingBelow: 0.25}",
            );
            return None;
        }
        let all: Vec<Option<PolicyCondition>> = items
            .iter()
            .enumerate()
            .map(|(i, item)| condition(doc, item, &index_path(&p, i)))
            .collect();
        all.into_iter().collect::<Option<Vec<_>>>()
    });
    let releases_entry = f.get("releases");
    let releases = match releases_entry {
        None => Some(None),
        Some(r) => {
            let p = f.child("releases");
            doc.string(&r.value, &p).and_then(|text| {
                let mode = [
                    ReleaseMode::Allowed,
                    ReleaseMode::NeedsApproval,
                    ReleaseMode::Frozen,
                ]
                .into_iter()
                .find(|m| m.as_str() == text);
                if mode.is_none() {
                    doc.error(
                        r.value.pos,
                        &p,
                        format!("expected one of allowed, approval, frozen, got {text:?}"),
                    );
                }
                mode.map(Some)
            })
        }
    };
    let allow = match f.get("allow") {
        None => Some(Vec::new()),
        Some(a) => {
            let p = f.child("allow");
            let list = doc.list(&a.value, &p).and_then(|items| {
                let all: Vec<Option<String>> = items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| doc.non_empty_string(item, &index_path(&p, i)))
                    .collect();
                all.into_iter().collect::<Option<Vec<_>>>()
            });
            let effective = releases
                .flatten()
                .or_else(|| state.map(PolicyState::default_releases));
            if effective == Some(ReleaseMode::Allowed)
                && list.as_ref().is_some_and(|l| !l.is_empty())
            {
                doc.warning(
                    a.key_pos,
                    &p,
                    "allow has no effect when releases are allowed; expected releases: approval or frozen",
                );
            }
            list
        }
    };
    f.finish(doc);
    let state = state?;
    Some(PolicyRule {
        state,
        when: when?,
        releases: releases?.unwrap_or_else(|| state.default_releases()),
        allow: allow?,
    })
}

const CONDITIONS: &str = "budgetRemainingBelow, burnRateAbove or incidentBurnAbove";

fn condition(doc: &mut Doc<'_>, node: &Node, path: &str) -> Option<PolicyCondition> {
    let mut f = Fields::of(doc, node, path, node.pos)?;
    let remaining = f.get("budgetRemainingBelow");
    let burn = f.get("burnRateAbove");
    let incident = f.get("incidentBurnAbove");
    let written: Vec<&Entry> = [remaining, burn, incident].into_iter().flatten().collect();
    if written.len() > 1 {
        let second = written[1];
        doc.error(
            second.key_pos,
            &f.child(&second.key),
            format!(
                "expected one condition per list item, got {} and {}; conditions in one rule are alternatives, so write each as its own item",
                written[0].key, second.key
            ),
        );
    }
    let out = if let Some(r) = remaining {
        doc.number_where(
            &r.value,
            &f.child("budgetRemainingBelow"),
            |x| (-1.0..=1.0).contains(&x),
            "a fraction of the budget in [-1, 1] (0 is exhausted)",
        )
        .map(PolicyCondition::BudgetRemainingBelow)
    } else if let Some(b) = burn {
        burn_rate(doc, b, &f.child("burnRateAbove"))
    } else if let Some(i) = incident {
        share(doc, &i.value, &f.child("incidentBurnAbove")).map(PolicyCondition::IncidentBurnAbove)
    } else {
        doc.error(
            node.pos,
            path,
            format!("expected a condition with a value: {CONDITIONS}"),
        );
        None
    };
    f.finish(doc);
    if written.len() > 1 {
        return None;
    }
    out
}

fn burn_rate(doc: &mut Doc<'_>, e: &Entry, path: &str) -> Option<PolicyCondition> {
    let mut f = Fields::of_entry(doc, e, path)?;
    let window = f
        .required(doc, "window")
        .and_then(|w| doc.fixed_duration(&w.value, &f.child("window")));
    let rate = f.required(doc, "rate").and_then(|r| {
        doc.number_where(
            &r.value,
            &f.child("rate"),
            |x| x > 0.0,
            "a burn rate greater than 0 (1 spends the budget exactly over the window)",
        )
    });
    f.finish(doc);
    Some(PolicyCondition::BurnRateAbove {
        window: window?,
        rate: rate?,
    })
}

/// A share of the budget in (0, 1].
fn share(doc: &mut Doc<'_>, node: &Node, path: &str) -> Option<f64> {
    doc.number_where(
        node,
        path,
        |x| x > 0.0 && x <= 1.0,
        "a share of the budget in (0, 1], like 0.2",
    )
}

fn exception(doc: &mut Doc<'_>, node: &Node, path: &str) -> Option<PolicyException> {
    let mut f = Fields::of(doc, node, path, node.pos)?;
    let dependency = f.get("dependency");
    let traffic = f.get("excludedTraffic");
    let out = match (dependency, traffic) {
        (Some(_), Some(t)) => {
            doc.error(
                t.key_pos,
                &f.child("excludedTraffic"),
                "expected one exception per list item, got dependency and excludedTraffic; write each as its own item",
            );
            None
        }
        (Some(d), None) => {
            let p = f.child("dependency");
            let mut g = Fields::of_entry(doc, d, &p)?;
            let attribute = match g.get("attribute") {
                None => Some(DEFAULT_DEPENDENCY_ATTRIBUTE.to_string()),
                Some(a) => doc.non_empty_string(&a.value, &g.child("attribute")),
            };
            let values = match g.get("values") {
                None => Some(Vec::new()),
                Some(v) => {
                    let vp = g.child("values");
                    doc.list(&v.value, &vp).and_then(|items| {
                        let all: Vec<Option<String>> = items
                            .iter()
                            .enumerate()
                            .map(|(i, item)| doc.non_empty_string(item, &index_path(&vp, i)))
                            .collect();
                        all.into_iter().collect::<Option<Vec<_>>>()
                    })
                }
            };
            g.finish(doc);
            Some(PolicyException::Dependency {
                attribute: attribute?,
                values: values?,
            })
        }
        (None, Some(t)) => {
            let p = f.child("excludedTraffic");
            let mut g = Fields::of_entry(doc, t, &p)?;
            let filter = g
                .required(doc, "filter")
                .and_then(|x| doc.non_empty_string(&x.value, &g.child("filter")));
            g.finish(doc);
            filter.map(|filter| PolicyException::ExcludedTraffic { filter })
        }
        (None, None) => {
            doc.error(
                node.pos,
                path,
                "expected an exception with a value: dependency or excludedTraffic",
            );
            None
        }
    };
    f.finish(doc);
    out
}
