//! Name rules: RFC 1123 object names, label keys and annotation keys, as
//! the OpenSLO go-sdk checks them.
//!
//! Lenient mode forgives upper case (a name that would be valid once
//! lowercased gets a warning); every other deviation stays an error. The
//! checks only judge strings; they never rewrite them, so references keep
//! matching the names they were written against.

use std::collections::BTreeMap;

use super::{Doc, Fields};
use crate::diagnostic::index_path;
use crate::tree::{Entry, Pos, Value};

#[cfg(test)]
mod tests;

/// `[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?`
pub(crate) fn is_rfc1123(s: &str) -> bool {
    let b = s.as_bytes();
    let ok = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    !b.is_empty()
        && b.len() <= 63
        && ok(b[0])
        && ok(b[b.len() - 1])
        && b.iter().all(|&c| ok(c) || c == b'-')
}

/// `[a-z0-9]([-._a-z0-9]{0,61}[a-z0-9])?`: label keys and annotation names.
fn is_qualified_name(s: &str) -> bool {
    let b = s.as_bytes();
    let ok = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    !b.is_empty()
        && b.len() <= 63
        && ok(b[0])
        && ok(b[b.len() - 1])
        && b.iter().all(|&c| ok(c) || matches!(c, b'-' | b'.' | b'_'))
}

/// A DNS subdomain: RFC 1123 labels joined by `.`, at most 253 characters.
fn is_dns_subdomain(s: &str) -> bool {
    !s.is_empty() && s.len() <= 253 && s.split('.').all(is_rfc1123)
}

/// `[prefix/]name` with a DNS subdomain prefix.
fn is_annotation_key(s: &str) -> bool {
    match s.rsplit_once('/') {
        Some((prefix, name)) => is_dns_subdomain(prefix) && is_qualified_name(name),
        None => is_qualified_name(s),
    }
}

const NAME_RULE: &str = "an RFC 1123 name: at most 63 lowercase letters, digits or '-', starting and ending with a letter or digit";

/// Checks an object name; reports and returns false when it is not valid.
pub(crate) fn check_name(doc: &mut Doc<'_>, pos: Pos, path: &str, name: &str) -> bool {
    check(doc, pos, path, name, is_rfc1123, NAME_RULE)
}

fn check(
    doc: &mut Doc<'_>,
    pos: Pos,
    path: &str,
    s: &str,
    valid: fn(&str) -> bool,
    rule: &str,
) -> bool {
    if valid(s) {
        return true;
    }
    if valid(&s.to_ascii_lowercase()) {
        if doc.lenient() {
            doc.warning(
                pos,
                path,
                format!("{s:?} is not lowercase; expected {rule} (accepted in lenient mode)"),
            );
            return true;
        }
        doc.error(
            pos,
            path,
            format!("expected {rule}, got {s:?} (upper case is accepted in lenient mode)"),
        );
        return false;
    }
    doc.error(pos, path, format!("expected {rule}, got {s:?}"));
    false
}

/// `labels`: keys per the go-sdk rule, values a string or a list of strings.
pub(crate) fn labels(doc: &mut Doc<'_>, e: &Entry, path: &str) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    let Some(f) = Fields::of_entry(doc, e, path) else {
        return out;
    };
    let Value::Map(entries) = &e.value.value else {
        return out;
    };
    for entry in entries {
        let p = f.child(&entry.key);
        check(
            doc,
            entry.key_pos,
            &p,
            &entry.key,
            is_qualified_name,
            "a label key: at most 63 lowercase letters, digits, '-', '_' or '.', starting and ending with a letter or digit",
        );
        let values = match &entry.value.value {
            Value::Seq(items) => items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| doc.string(item, &index_path(&p, i)))
                .collect(),
            _ => doc.string(&entry.value, &p).into_iter().collect(),
        };
        out.insert(entry.key.clone(), values);
    }
    out
}

/// Checks an annotation key; true when usable.
pub(crate) fn check_annotation_key(doc: &mut Doc<'_>, pos: Pos, path: &str, key: &str) -> bool {
    check(
        doc,
        pos,
        path,
        key,
        is_annotation_key,
        "an annotation key: an optional DNS subdomain prefix and '/', then at most 63 lowercase letters, digits, '-', '_' or '.'",
    )
}
