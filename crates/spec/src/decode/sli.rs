//! SLI specs (`thresholdMetric` / `ratioMetric`), their metric sources, and
//! SLIs written inline in an SLO (`indicator`).
//!
//! A metric source's `spec` is kept as a tree: whether it is Lodestar's own
//! strictly checked query or a free-form vendor query depends on its type,
//! which may come from a DataSource in another file, so `resolve` checks it.

use super::annotations::Scope;
use super::{Doc, Fields, InlineOrRef, Kind, RefDraft, decode_metadata};
use crate::diagnostic::Location;
use crate::model::{Metadata, RawType, SliDocumentation};
use crate::tree::{Entry, Node};

/// Which slot of an SLI a metric source fills; the `lodestar` query rules
/// differ per slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Threshold,
    Total,
    Good,
    Bad,
    Raw,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct MetricSourceDraft {
    pub(crate) metric_source_ref: Option<RefDraft>,
    /// `type` and where its value is written.
    pub(crate) source_type: Option<(String, Location)>,
    /// The `spec` tree and its path.
    pub(crate) spec: Node,
    pub(crate) spec_path: String,
    pub(crate) role: Role,
    pub(crate) location: Location,
}

// Mirrors the public `SliSpec`; drafts live only for one load.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum SliSpecDraft {
    Ratio {
        counter: bool,
        good: Option<MetricSourceDraft>,
        bad: Option<MetricSourceDraft>,
        total: MetricSourceDraft,
    },
    RatioRaw {
        counter: bool,
        raw_type: RawType,
        raw: MetricSourceDraft,
    },
    Threshold {
        metric_source: MetricSourceDraft,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SliDraft {
    pub(crate) metadata: Metadata,
    pub(crate) description: Option<String>,
    pub(crate) spec: SliSpecDraft,
    pub(crate) documentation: SliDocumentation,
    pub(crate) location: Location,
}

pub(crate) type IndicatorDraft = InlineOrRef<Box<SliDraft>>;

/// `indicator:` — an SLI without apiVersion and kind.
pub(crate) fn inline_sli(doc: &mut Doc<'_>, e: &Entry, path: &str) -> Option<SliDraft> {
    let mut f = Fields::of_entry(doc, e, path)?;
    let meta = f
        .required(doc, "metadata")
        .and_then(|m| decode_metadata(doc, m, &f.child("metadata"), Scope::Sli));
    let spec = f
        .required(doc, "spec")
        .and_then(|s| sli_spec(doc, s, &f.child("spec")));
    f.finish(doc);
    let meta = meta?;
    let (description, spec) = spec?;
    Some(SliDraft {
        metadata: meta.metadata,
        description,
        spec,
        documentation: meta.documentation,
        location: doc.loc(e.value.pos, path),
    })
}

/// An SLI's `spec`: description and exactly one of the metric kinds.
pub(crate) fn sli_spec(
    doc: &mut Doc<'_>,
    e: &Entry,
    path: &str,
) -> Option<(Option<String>, SliSpecDraft)> {
    let mut f = Fields::of_entry(doc, e, path)?;
    let description = f
        .get("description")
        .and_then(|d| doc.description(&d.value, &f.child("description")));
    let threshold = f.get("thresholdMetric");
    let ratio = f.get("ratioMetric");
    let spec = match (threshold, ratio) {
        (Some(_), Some(r)) => {
            doc.error(
                r.key_pos,
                &f.child("ratioMetric"),
                "ratioMetric and thresholdMetric are mutually exclusive; give only one",
            );
            None
        }
        (None, None) => {
            doc.error(
                f.pos,
                path,
                "one of ratioMetric or thresholdMetric is required",
            );
            None
        }
        (Some(t), None) => metric_holder(doc, t, &f.child("thresholdMetric"), Role::Threshold)
            .map(|metric_source| SliSpecDraft::Threshold { metric_source }),
        (None, Some(r)) => ratio_metric(doc, r, &f.child("ratioMetric")),
    };
    f.finish(doc);
    Some((description, spec?))
}

fn ratio_metric(doc: &mut Doc<'_>, e: &Entry, path: &str) -> Option<SliSpecDraft> {
    let mut f = Fields::of_entry(doc, e, path)?;
    let counter = match f.get("counter") {
        Some(c) => doc.boolean(&c.value, &f.child("counter")),
        None => Some(false),
    };
    let good_e = f.get("good");
    let bad_e = f.get("bad");
    let total_e = f.get("total");
    let raw_type_e = f.get("rawType");
    let raw_e = f.get("raw");
    let good = good_e.and_then(|g| metric_holder(doc, g, &f.child("good"), Role::Good));
    let bad = bad_e.and_then(|b| metric_holder(doc, b, &f.child("bad"), Role::Bad));
    let total = total_e.and_then(|t| metric_holder(doc, t, &f.child("total"), Role::Total));
    let raw = raw_e.and_then(|r| metric_holder(doc, r, &f.child("raw"), Role::Raw));
    let spec = match (total_e, raw_e) {
        (Some(_), Some(r)) => {
            doc.error(
                r.key_pos,
                &f.child("raw"),
                "total and raw are mutually exclusive; give only one",
            );
            None
        }
        (None, None) => {
            doc.error(
                f.pos,
                path,
                "one of total (with good or bad) or raw (with rawType) is required",
            );
            None
        }
        (Some(_), None) => {
            if let Some(rt) = raw_type_e {
                doc.error(
                    rt.key_pos,
                    &f.child("rawType"),
                    "property is only valid with raw",
                );
            }
            match (good_e, bad_e) {
                (Some(_), Some(b)) => {
                    doc.error(
                        b.key_pos,
                        &f.child("bad"),
                        "good and bad are mutually exclusive; give only one",
                    );
                    None
                }
                (None, None) => {
                    doc.error(f.pos, path, "one of good or bad is required with total");
                    None
                }
                _ => Some(SliSpecDraft::Ratio {
                    counter: counter?,
                    good,
                    bad,
                    total: total?,
                }),
            }
        }
        (None, Some(_)) => {
            for (key, given) in [("good", good_e), ("bad", bad_e)] {
                if let Some(g) = given {
                    doc.error(g.key_pos, &f.child(key), "property cannot be used with raw");
                }
            }
            let raw_type = match raw_type_e {
                None => {
                    f.missing(
                        doc,
                        "rawType",
                        "property is required with raw; expected success or failure",
                    );
                    None
                }
                Some(rt) => {
                    let p = f.child("rawType");
                    match doc.string(&rt.value, &p).as_deref() {
                        Some("success") => Some(RawType::Success),
                        Some("failure") => Some(RawType::Failure),
                        Some(other) => {
                            doc.error(
                                rt.value.pos,
                                &p,
                                format!("expected one of success, failure, got {other:?}"),
                            );
                            None
                        }
                        None => None,
                    }
                }
            };
            if good_e.is_some() || bad_e.is_some() {
                None
            } else {
                Some(SliSpecDraft::RatioRaw {
                    counter: counter?,
                    raw_type: raw_type?,
                    raw: raw?,
                })
            }
        }
    };
    f.finish(doc);
    spec
}

/// `{metricSource: {...}}`.
fn metric_holder(
    doc: &mut Doc<'_>,
    e: &Entry,
    path: &str,
    role: Role,
) -> Option<MetricSourceDraft> {
    let mut f = Fields::of_entry(doc, e, path)?;
    let source = f
        .required(doc, "metricSource")
        .and_then(|m| metric_source(doc, m, &f.child("metricSource"), role));
    f.finish(doc);
    source
}

fn metric_source(
    doc: &mut Doc<'_>,
    e: &Entry,
    path: &str,
    role: Role,
) -> Option<MetricSourceDraft> {
    let mut f = Fields::of_entry(doc, e, path)?;
    let reference = f
        .get("metricSourceRef")
        .map(|r| doc.reference(&r.value, &f.child("metricSourceRef"), Kind::DataSource));
    let source_type = f.get("type").map(|t| {
        let p = f.child("type");
        doc.non_empty_string(&t.value, &p)
            .map(|s| (s, doc.loc(t.value.pos, &p)))
    });
    if reference.is_none() && source_type.is_none() {
        doc.error(f.pos, path, "one of metricSourceRef or type is required");
    }
    let spec_path = f.child("spec");
    let spec = f.required(doc, "spec").and_then(|s| match &s.value.value {
        crate::tree::Value::Map(entries) if !entries.is_empty() => Some(s.value.clone()),
        _ => {
            doc.error(
                s.value.pos,
                &spec_path,
                format!(
                    "expected an object with at least one property, got {}",
                    s.value.describe()
                ),
            );
            None
        }
    });
    f.finish(doc);
    if reference.is_none() && source_type.is_none() {
        return None;
    }
    Some(MetricSourceDraft {
        metric_source_ref: match reference {
            Some(r) => Some(r?),
            None => None,
        },
        source_type: match source_type {
            Some(t) => Some(t?),
            None => None,
        },
        spec: spec?,
        spec_path,
        role,
        location: doc.loc(e.value.pos, path),
    })
}

/// `indicator` / `indicatorRef` on an SLO spec or a composite objective.
/// Returns `Some(None)` when neither is given, `None` on error.
pub(crate) fn indicator(doc: &mut Doc<'_>, f: &mut Fields<'_>) -> Option<Option<IndicatorDraft>> {
    let inline = f.get("indicator");
    let reference = f.get("indicatorRef");
    let inline_draft = inline.map(|i| inline_sli(doc, i, &f.child("indicator")));
    let ref_draft = reference.map(|r| doc.reference(&r.value, &f.child("indicatorRef"), Kind::Sli));
    match (inline_draft, ref_draft) {
        (Some(_), Some(_)) => {
            let r = reference?;
            doc.error(
                r.key_pos,
                &f.child("indicatorRef"),
                "indicator and indicatorRef are mutually exclusive; give only one",
            );
            None
        }
        (Some(i), None) => Some(Some(InlineOrRef::Inline(Box::new(i?)))),
        (None, Some(r)) => Some(Some(InlineOrRef::Ref(r?))),
        (None, None) => Some(None),
    }
}
