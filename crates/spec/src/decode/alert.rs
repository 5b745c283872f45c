//! Alerting kinds: AlertPolicy, AlertCondition and AlertNotificationTarget
//! specs, and the "inline object or reference" entries that AlertPolicies
//! and SLOs hold.
//!
//! References are only recorded here; `resolve` looks them up.

use super::{Doc, Draft, Fields, InlineOrRef, Kind, decode_kind};
use crate::diagnostic::{Location, index_path};
use crate::duration::DurationShorthand;
use crate::model::{AlertCondition, AlertNotificationTarget, Metadata, Op};
use crate::tree::{Entry, Node};

pub(crate) fn notification_target_spec(
    doc: &mut Doc<'_>,
    e: &Entry,
    path: &str,
) -> Option<(Option<String>, String)> {
    let mut f = Fields::of_entry(doc, e, path)?;
    let target = f
        .required(doc, "target")
        .and_then(|t| doc.non_empty_string(&t.value, &f.child("target")));
    let description = f
        .get("description")
        .and_then(|d| doc.description(&d.value, &f.child("description")));
    f.finish(doc);
    Some((description, target?))
}

pub(crate) struct AlertPolicySpec {
    description: Option<String>,
    alert_when_no_data: bool,
    alert_when_resolved: bool,
    alert_when_breaching: bool,
    conditions: Vec<InlineOrRef<AlertCondition>>,
    notification_targets: Vec<InlineOrRef<AlertNotificationTarget>>,
}

impl AlertPolicySpec {
    pub(crate) fn into_draft(
        self,
        metadata: Metadata,
        location: Location,
    ) -> super::AlertPolicyDraft {
        super::AlertPolicyDraft {
            metadata,
            description: self.description,
            alert_when_no_data: self.alert_when_no_data,
            alert_when_resolved: self.alert_when_resolved,
            alert_when_breaching: self.alert_when_breaching,
            conditions: self.conditions,
            notification_targets: self.notification_targets,
            location,
        }
    }
}

pub(crate) fn alert_policy_spec(
    doc: &mut Doc<'_>,
    e: &Entry,
    path: &str,
) -> Option<AlertPolicySpec> {
    let mut f = Fields::of_entry(doc, e, path)?;
    let description = f
        .get("description")
        .and_then(|d| doc.description(&d.value, &f.child("description")));
    let flag = |doc: &mut Doc<'_>, f: &mut Fields<'_>, key: &'static str| match f.get(key) {
        Some(b) => doc.boolean(&b.value, &f.child(key)),
        None => Some(false),
    };
    let no_data = flag(doc, &mut f, "alertWhenNoData");
    let resolved = flag(doc, &mut f, "alertWhenResolved");
    let breaching = flag(doc, &mut f, "alertWhenBreaching");
    let conditions = f.required(doc, "conditions").and_then(|c| {
        let p = f.child("conditions");
        let items = doc.list(&c.value, &p)?;
        if items.len() != 1 {
            doc.error(
                c.value.pos,
                &p,
                format!("expected exactly one condition, got {}", items.len()),
            );
        }
        let out =
            inline_or_ref_list(
                doc,
                items,
                &p,
                "conditionRef",
                Kind::AlertCondition,
                |d| match d {
                    Draft::AlertCondition(c) => Some(c),
                    _ => None,
                },
            )?;
        (items.len() == 1).then_some(out)
    });
    let targets = f.required(doc, "notificationTargets").and_then(|t| {
        let p = f.child("notificationTargets");
        let items = doc.list(&t.value, &p)?;
        if items.is_empty() {
            doc.error(t.value.pos, &p, "expected at least one notification target");
            return None;
        }
        inline_or_ref_list(
            doc,
            items,
            &p,
            "targetRef",
            Kind::AlertNotificationTarget,
            |d| match d {
                Draft::AlertNotificationTarget(t) => Some(t),
                _ => None,
            },
        )
    });
    f.finish(doc);
    Some(AlertPolicySpec {
        description,
        alert_when_no_data: no_data?,
        alert_when_resolved: resolved?,
        alert_when_breaching: breaching?,
        conditions: conditions?,
        notification_targets: targets?,
    })
}

pub(crate) struct ConditionSpec {
    description: Option<String>,
    severity: String,
    op: Op,
    threshold: f64,
    lookback_window: DurationShorthand,
    alert_after: Option<DurationShorthand>,
}

impl ConditionSpec {
    pub(crate) fn into_condition(self, metadata: Metadata, location: Location) -> AlertCondition {
        AlertCondition {
            metadata,
            description: self.description,
            severity: self.severity,
            op: self.op,
            threshold: self.threshold,
            lookback_window: self.lookback_window,
            alert_after: self.alert_after,
            location,
        }
    }
}

pub(crate) fn alert_condition_spec(
    doc: &mut Doc<'_>,
    e: &Entry,
    path: &str,
) -> Option<ConditionSpec> {
    let mut f = Fields::of_entry(doc, e, path)?;
    let description = f
        .get("description")
        .and_then(|d| doc.description(&d.value, &f.child("description")));
    let severity = f
        .required(doc, "severity")
        .and_then(|s| doc.non_empty_string(&s.value, &f.child("severity")));
    let condition = f
        .required(doc, "condition")
        .and_then(|c| burn_rate(doc, c, &f.child("condition")));
    f.finish(doc);
    let (op, threshold, lookback_window, alert_after) = condition?;
    Some(ConditionSpec {
        description,
        severity: severity?,
        op,
        threshold,
        lookback_window,
        alert_after,
    })
}

type BurnRate = (Op, f64, DurationShorthand, Option<DurationShorthand>);

fn burn_rate(doc: &mut Doc<'_>, e: &Entry, path: &str) -> Option<BurnRate> {
    let mut f = Fields::of_entry(doc, e, path)?;
    let kind = f.required(doc, "kind").and_then(|k| {
        let p = f.child("kind");
        let s = doc.string(&k.value, &p)?;
        if s != "burnrate" {
            doc.error(k.value.pos, &p, format!("expected burnrate, got {s:?}"));
            return None;
        }
        Some(())
    });
    let op = f
        .required(doc, "op")
        .and_then(|o| doc.op(&o.value, &f.child("op")));
    let threshold = f.required(doc, "threshold").and_then(|t| {
        let p = f.child("threshold");
        let (x, text) = doc.number(&t.value, &p)?;
        if x <= 0.0 {
            doc.error(
                t.value.pos,
                &p,
                format!("expected a burn rate greater than 0, got {text}"),
            );
            return None;
        }
        Some(x)
    });
    let lookback = f
        .required(doc, "lookbackWindow")
        .and_then(|l| doc.fixed_duration(&l.value, &f.child("lookbackWindow")));
    let alert_after = match f.get("alertAfter") {
        Some(a) => doc
            .fixed_duration(&a.value, &f.child("alertAfter"))
            .map(Some),
        None => Some(None),
    };
    f.finish(doc);
    kind?;
    Some((op?, threshold?, lookback?, alert_after?))
}

/// An `alertPolicies` entry of an SLO.
pub(crate) fn slo_alert_policy(
    doc: &mut Doc<'_>,
    node: &Node,
    path: &str,
) -> Option<InlineOrRef<super::AlertPolicyDraft>> {
    match inline_or_ref(doc, node, path, "alertPolicyRef", Kind::AlertPolicy)? {
        InlineOrRef::Ref(r) => Some(InlineOrRef::Ref(r)),
        InlineOrRef::Inline(Draft::AlertPolicy(p)) => Some(InlineOrRef::Inline(p)),
        InlineOrRef::Inline(_) => None,
    }
}

fn inline_or_ref_list<T>(
    doc: &mut Doc<'_>,
    items: &[Node],
    path: &str,
    ref_key: &'static str,
    kind: Kind,
    unwrap: fn(Draft) -> Option<T>,
) -> Option<Vec<InlineOrRef<T>>> {
    let mut out = Vec::with_capacity(items.len());
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        let x =
            inline_or_ref(doc, item, &index_path(path, i), ref_key, kind).and_then(|x| match x {
                InlineOrRef::Ref(r) => Some(InlineOrRef::Ref(r)),
                InlineOrRef::Inline(d) => unwrap(d).map(InlineOrRef::Inline),
            });
        match x {
            Some(x) => out.push(x),
            None => ok = false,
        }
    }
    ok.then_some(out)
}

/// `{<ref_key>: name}` or an inline object `{kind, metadata, spec}`.
fn inline_or_ref(
    doc: &mut Doc<'_>,
    node: &Node,
    path: &str,
    ref_key: &'static str,
    kind: Kind,
) -> Option<InlineOrRef<Draft>> {
    let mut f = Fields::of(doc, node, path, node.pos)?;
    if let Some(r) = f.get(ref_key) {
        let reference = doc.reference(&r.value, &f.child(ref_key), kind);
        let mut clash = false;
        for key in ["kind", "metadata", "spec"] {
            if let Some(e) = f.get(key) {
                clash = true;
                doc.error(
                    e.key_pos,
                    &f.child(key),
                    format!("property cannot be used with {ref_key}; give either a reference or an inline {}", kind.as_str()),
                );
            }
        }
        f.finish(doc);
        return if clash {
            None
        } else {
            reference.map(InlineOrRef::Ref)
        };
    }
    let kind_ok = match f.get("kind") {
        None => {
            f.missing(
                doc,
                "kind",
                &format!(
                    "property is required for an inline {k}; expected {k} (or use {ref_key})",
                    k = kind.as_str()
                ),
            );
            false
        }
        Some(k) => {
            let p = f.child("kind");
            match doc.string(&k.value, &p) {
                Some(s) if s == kind.as_str() => true,
                Some(s) => {
                    doc.error(
                        k.value.pos,
                        &p,
                        format!("expected {}, got {s:?}", kind.as_str()),
                    );
                    false
                }
                None => false,
            }
        }
    };
    let object = decode_kind(doc, kind, f, node.pos)?;
    if !kind_ok {
        return None;
    }
    object.draft.map(InlineOrRef::Inline)
}
