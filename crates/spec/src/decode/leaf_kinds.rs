//! Service and DataSource specs: kinds that refer to nothing and hold
//! little, checked for required and unknown properties only.
//!
//! A DataSource's `connectionDetails` is free-form and kept as JSON; nothing
//! here interprets it.

use super::{Doc, Fields, to_json};
use crate::tree::Entry;

pub(crate) fn service_spec(doc: &mut Doc<'_>, e: &Entry, path: &str) -> Option<Option<String>> {
    let mut f = Fields::of_entry(doc, e, path)?;
    let description = f
        .get("description")
        .and_then(|d| doc.description(&d.value, &f.child("description")));
    f.finish(doc);
    Some(description)
}

pub(crate) fn data_source_spec(
    doc: &mut Doc<'_>,
    e: &Entry,
    path: &str,
) -> Option<(Option<String>, String, serde_json::Value)> {
    let mut f = Fields::of_entry(doc, e, path)?;
    let description = f
        .get("description")
        .and_then(|d| doc.description(&d.value, &f.child("description")));
    let source_type = f
        .required(doc, "type")
        .and_then(|t| doc.non_empty_string(&t.value, &f.child("type")));
    let details = f
        .required(doc, "connectionDetails")
        .map(|c| to_json(&c.value));
    f.finish(doc);
    Some((description, source_type?, details?))
}
