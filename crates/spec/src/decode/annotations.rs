//! `metadata.annotations`, and the `lodestar.dev/*` annotations that carry
//! ownership (on SLOs) and SLI documentation (on SLIs, or on SLOs as a
//! fallback for their SLI).
//!
//! Keeping these in annotations keeps the files valid OpenSLO for other
//! tools. An unknown `lodestar.dev/*` key or a malformed value is an error
//! in strict mode and a warning in lenient mode; the value is then left
//! out. This module does not decide the SLO-without-owner warning.

use std::collections::BTreeMap;

use super::{Doc, names};
use crate::diagnostic::key_path;
use crate::duration::DurationShorthand;
use crate::model::{Ownership, SliDocumentation};
use crate::tree::{Entry, Value};

pub(crate) const OWNER: &str = "lodestar.dev/owner";
const CHAMPION: &str = "lodestar.dev/champion";
const ESCALATION: &str = "lodestar.dev/escalation";
const REVIEW_CADENCE: &str = "lodestar.dev/review-cadence";
const LAST_REVIEWED: &str = "lodestar.dev/last-reviewed";
const WHY: &str = "lodestar.dev/why";
const HOW: &str = "lodestar.dev/how";
const ACCEPTABLE_VARIATION: &str = "lodestar.dev/acceptable-variation";
/// Where responders go when an alert of this SLO fires (alert annotations use it).
const RUNBOOK: &str = "lodestar.dev/runbook";
const PREFIX: &str = "lodestar.dev/";

const SLO_KEYS: &[&str] = &[
    OWNER,
    CHAMPION,
    ESCALATION,
    REVIEW_CADENCE,
    LAST_REVIEWED,
    RUNBOOK,
    WHY,
    HOW,
    ACCEPTABLE_VARIATION,
];
const SLI_KEYS: &[&str] = &[WHY, HOW, ACCEPTABLE_VARIATION];

/// Which `lodestar.dev/*` annotations an object may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    Slo,
    Sli,
    None,
}

/// What the `lodestar.dev/*` annotations of one object said.
#[derive(Debug, Clone, Default)]
pub(crate) struct LodestarAnnotations {
    pub(crate) ownership: Ownership,
    pub(crate) documentation: SliDocumentation,
    pub(crate) owner_given: bool,
}

/// Reads the annotations map: all entries as strings, plus the parsed
/// `lodestar.dev/*` ones allowed in `scope`.
pub(crate) fn annotations(
    doc: &mut Doc<'_>,
    e: &Entry,
    path: &str,
    scope: Scope,
) -> (BTreeMap<String, String>, LodestarAnnotations) {
    let mut all = BTreeMap::new();
    let mut out = LodestarAnnotations::default();
    let Value::Map(entries) = &e.value.value else {
        doc.error(
            e.value.pos,
            path,
            format!("expected an object, got {}", e.value.describe()),
        );
        return (all, out);
    };
    let allowed: &[&str] = match scope {
        Scope::Slo => SLO_KEYS,
        Scope::Sli => SLI_KEYS,
        Scope::None => &[],
    };
    for entry in entries {
        let p = key_path(path, &entry.key);
        names::check_annotation_key(doc, entry.key_pos, &p, &entry.key);
        let Some(value) = doc.string(&entry.value, &p) else {
            continue;
        };
        all.insert(entry.key.clone(), value.clone());
        if !entry.key.starts_with(PREFIX) {
            continue;
        }
        if entry.key == OWNER && scope == Scope::Slo {
            out.owner_given = true;
        }
        if !allowed.contains(&entry.key.as_str()) {
            let expected = if allowed.is_empty() {
                "no lodestar.dev annotations are defined for this kind".to_string()
            } else {
                format!("expected one of {}", allowed.join(", "))
            };
            doc.strict_error(
                entry.key_pos,
                &p,
                format!("unknown lodestar annotation; {expected}"),
            );
            continue;
        }
        let pos = entry.value.pos;
        let malformed = |doc: &mut Doc<'_>, message: String| doc.strict_error(pos, &p, message);
        let text = value.trim();
        if text.is_empty() {
            malformed(doc, "expected a non-empty value".into());
            continue;
        }
        match entry.key.as_str() {
            OWNER => out.ownership.owner = Some(text.to_string()),
            CHAMPION => out.ownership.champion = Some(text.to_string()),
            ESCALATION => {
                let steps: Vec<String> = text.split("->").map(|s| s.trim().to_string()).collect();
                if steps.iter().any(String::is_empty) {
                    malformed(
                        doc,
                        format!(
                            "expected an escalation path like \"team-on-call -> team-lead -> vp-engineering\", got {value:?}"
                        ),
                    );
                } else {
                    out.ownership.escalation = steps;
                }
            }
            REVIEW_CADENCE => match DurationShorthand::parse(text) {
                Ok(d) => out.ownership.review_cadence = Some(d),
                Err(message) => malformed(doc, message),
            },
            LAST_REVIEWED => match parse_date(text) {
                Some(d) => out.ownership.last_reviewed = Some(d),
                None => malformed(
                    doc,
                    format!("expected a date as \"YYYY-MM-DD\", got {value:?}"),
                ),
            },
            WHY => out.documentation.why = Some(text.to_string()),
            HOW => out.documentation.how = Some(text.to_string()),
            ACCEPTABLE_VARIATION => out.documentation.acceptable_variation = Some(text.to_string()),
            _ => {}
        }
    }
    (all, out)
}

/// Exactly `YYYY-MM-DD`, and a real date.
fn parse_date(s: &str) -> Option<jiff::civil::Date> {
    let b = s.as_bytes();
    let shape = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        });
    if !shape {
        return None;
    }
    jiff::civil::Date::strptime("%Y-%m-%d", s).ok()
}
