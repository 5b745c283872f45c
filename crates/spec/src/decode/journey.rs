//! `lodestar.dev/v1` `kind: Journey`: a critical user journey as ordered
//! steps, each tied to SLOs, with a business weight.
//!
//! SLO names are recorded with their locations; `resolve` checks that they
//! exist.

use super::{Doc, Fields, JourneyDraft, Kind, RefDraft};
use crate::diagnostic::{Location, index_path};
use crate::model::{Journey, JourneyStep, Metadata};
use crate::tree::{Entry, Node};

pub(crate) struct JourneySpec {
    description: Option<String>,
    weight: f64,
    owner: Option<String>,
    steps: Vec<JourneyStep>,
    completion_slo: Option<String>,
    time_to_first_action_slo: Option<String>,
    slo_refs: Vec<RefDraft>,
}

impl JourneySpec {
    pub(crate) fn into_draft(self, metadata: Metadata, location: Location) -> JourneyDraft {
        JourneyDraft {
            journey: Journey {
                metadata,
                description: self.description,
                weight: self.weight,
                owner: self.owner,
                steps: self.steps,
                completion_slo: self.completion_slo,
                time_to_first_action_slo: self.time_to_first_action_slo,
                location,
            },
            slo_refs: self.slo_refs,
        }
    }
}

pub(crate) fn journey_spec(doc: &mut Doc<'_>, e: &Entry, path: &str) -> Option<JourneySpec> {
    let mut f = Fields::of_entry(doc, e, path)?;
    let mut slo_refs = Vec::new();
    let description = f
        .get("description")
        .and_then(|d| doc.description(&d.value, &f.child("description")));
    let weight = match f.get("weight") {
        None => Some(1.0),
        Some(w) => {
            let p = f.child("weight");
            doc.number(&w.value, &p).and_then(|(x, text)| {
                if x <= 0.0 {
                    doc.error(
                        w.value.pos,
                        &p,
                        format!("expected a business weight greater than 0, got {text}"),
                    );
                    return None;
                }
                Some(x)
            })
        }
    };
    let owner = f
        .get("owner")
        .and_then(|o| doc.non_empty_string(&o.value, &f.child("owner")));
    let steps = f.required(doc, "steps").and_then(|s| {
        let p = f.child("steps");
        let items = doc.list(&s.value, &p)?;
        if items.is_empty() {
            doc.error(s.value.pos, &p, "expected at least one step");
            return None;
        }
        let mut out: Vec<JourneyStep> = Vec::with_capacity(items.len());
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            let sp = index_path(&p, i);
            match step(doc, item, &sp, &mut slo_refs) {
                Some((step, name_pos)) => {
                    if let Some(j) = out.iter().position(|o| o.name == step.name) {
                        doc.error(
                            name_pos,
                            &format!("{sp}.name"),
                            format!("step name {:?} is already used by {}; expected names unique within the journey", step.name, index_path(&p, j)),
                        );
                        ok = false;
                    }
                    out.push(step);
                }
                None => ok = false,
            }
        }
        ok.then_some(out)
    });
    let mut slo_ref =
        |doc: &mut Doc<'_>, f: &mut Fields<'_>, key: &'static str| -> Option<Option<String>> {
            match f.get(key) {
                None => Some(None),
                Some(e) => {
                    let r = doc.reference(&e.value, &f.child(key), Kind::Slo)?;
                    let name = r.name.clone();
                    slo_refs.push(r);
                    Some(Some(name))
                }
            }
        };
    let completion = slo_ref(doc, &mut f, "completionSlo");
    let first_action = slo_ref(doc, &mut f, "timeToFirstActionSlo");
    f.finish(doc);
    Some(JourneySpec {
        description,
        weight: weight?,
        owner,
        steps: steps?,
        completion_slo: completion?,
        time_to_first_action_slo: first_action?,
        slo_refs,
    })
}

fn step(
    doc: &mut Doc<'_>,
    node: &Node,
    path: &str,
    refs: &mut Vec<RefDraft>,
) -> Option<(JourneyStep, crate::tree::Pos)> {
    let mut f = Fields::of(doc, node, path, node.pos)?;
    let name_e = f.required(doc, "name");
    let name = name_e.and_then(|n| doc.name(&n.value, &f.child("name")));
    let display_name = f
        .get("displayName")
        .and_then(|d| doc.string(&d.value, &f.child("displayName")));
    let description = f
        .get("description")
        .and_then(|d| doc.description(&d.value, &f.child("description")));
    let slos = f.required(doc, "slos").and_then(|s| {
        let p = f.child("slos");
        let items = doc.list(&s.value, &p)?;
        if items.is_empty() {
            doc.error(s.value.pos, &p, "expected at least one SLO name");
            return None;
        }
        let mut out = Vec::with_capacity(items.len());
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            match doc.reference(item, &index_path(&p, i), Kind::Slo) {
                Some(r) => {
                    out.push(r.name.clone());
                    refs.push(r);
                }
                None => ok = false,
            }
        }
        ok.then_some(out)
    });
    f.finish(doc);
    Some((
        JourneyStep {
            name: name?,
            display_name,
            description,
            slos: slos?,
        },
        name_e?.value.pos,
    ))
}
