//! Reading a foreign spec's YAML tree with positions: typed getters that
//! record a [`Diagnostic`] (file, line, column, property path, what was
//! expected) instead of failing, and a check that every property of an
//! object was understood.
//!
//! Converters keep going after a problem so one run reports all of them;
//! a getter returns `None` only when it cannot give a value. This module
//! knows nothing about Sloth or OpenSLO.

use std::collections::BTreeMap;

use crate::diagnostic::{Diagnostic, Severity, index_path, key_path};
use crate::tree::{Entry, Node, Plain, Pos, Style, Value, classify};

/// Collects the problems of one input file.
#[derive(Debug)]
pub(crate) struct Reader<'a> {
    file: &'a str,
    pub(crate) errors: Vec<Diagnostic>,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(file: &'a str) -> Reader<'a> {
        Reader {
            file,
            errors: Vec::new(),
        }
    }

    pub(crate) fn error(&mut self, pos: Pos, path: &str, message: impl Into<String>) {
        self.errors.push(Diagnostic {
            severity: Severity::Error,
            file: self.file.to_string(),
            line: pos.line,
            col: pos.col,
            path: path.to_string(),
            message: message.into(),
        });
    }

    /// `node` as an object, or an error.
    pub(crate) fn object<'n>(&mut self, node: &'n Node, path: &str) -> Option<Object<'n>> {
        match &node.value {
            Value::Map(entries) => Some(Object {
                entries,
                used: vec![false; entries.len()],
                path: path.to_string(),
                pos: node.pos,
            }),
            _ => {
                self.error(
                    node.pos,
                    path,
                    format!("expected an object, got {}", node.describe()),
                );
                None
            }
        }
    }

    /// A string (a plain scalar that is not null, or a quoted one).
    pub(crate) fn string(&mut self, node: &Node, path: &str) -> Option<String> {
        match &node.value {
            Value::Scalar { text, style } if *style != Style::Plain => Some(text.clone()),
            Value::Scalar { text, .. } if !matches!(classify(text), Plain::Null) => {
                Some(text.clone())
            }
            _ => {
                self.error(
                    node.pos,
                    path,
                    format!("expected a string, got {}", node.describe()),
                );
                None
            }
        }
    }

    /// A non-empty string.
    pub(crate) fn non_empty(&mut self, node: &Node, path: &str) -> Option<String> {
        let s = self.string(node, path)?;
        if s.trim().is_empty() {
            self.error(node.pos, path, "expected a non-empty string");
            return None;
        }
        Some(s)
    }

    /// A number and how it was written (so decimals can be shifted
    /// exactly).
    pub(crate) fn number(&mut self, node: &Node, path: &str) -> Option<(f64, String)> {
        if let Value::Scalar { text, style } = &node.value {
            let plain = *style == Style::Plain;
            let value = match classify(text) {
                Plain::Int(i) if plain => Some(i as f64),
                Plain::Float(f) if plain && f.is_finite() => Some(f),
                // Kubernetes manifests often quote numbers.
                _ if !plain => text.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
                _ => None,
            };
            if let Some(v) = value {
                return Some((v, text.trim().to_string()));
            }
        }
        self.error(
            node.pos,
            path,
            format!("expected a number, got {}", node.describe()),
        );
        None
    }

    pub(crate) fn boolean(&mut self, node: &Node, path: &str) -> Option<bool> {
        if let Value::Scalar {
            text,
            style: Style::Plain,
        } = &node.value
            && let Plain::Bool(b) = classify(text)
        {
            return Some(b);
        }
        self.error(
            node.pos,
            path,
            format!("expected true or false, got {}", node.describe()),
        );
        None
    }

    /// A map of strings to strings (labels, annotations).
    pub(crate) fn string_map(&mut self, node: &Node, path: &str) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        if node.is_null() {
            return out;
        }
        let Value::Map(entries) = &node.value else {
            self.error(
                node.pos,
                path,
                format!("expected an object of strings, got {}", node.describe()),
            );
            return out;
        };
        for e in entries {
            let p = key_path(path, &e.key);
            // Label values are often written unquoted (`tier: 1`); their
            // text is the value either way.
            let value = match &e.value.value {
                Value::Scalar { text, .. } if !e.value.is_null() => Some(text.clone()),
                _ => self.string(&e.value, &p),
            };
            if let Some(v) = value {
                out.insert(e.key.clone(), v);
            }
        }
        out
    }

    /// The items of a list, each with its path.
    pub(crate) fn list<'n>(&mut self, node: &'n Node, path: &str) -> Vec<(&'n Node, String)> {
        match &node.value {
            Value::Seq(items) => items
                .iter()
                .enumerate()
                .map(|(i, n)| (n, index_path(path, i)))
                .collect(),
            _ => {
                self.error(
                    node.pos,
                    path,
                    format!("expected a list, got {}", node.describe()),
                );
                Vec::new()
            }
        }
    }
}

/// An object being read: remembers which properties were looked at, so
/// that the rest can be reported as unknown.
#[derive(Debug)]
pub(crate) struct Object<'n> {
    entries: &'n [Entry],
    used: Vec<bool>,
    pub(crate) path: String,
    pub(crate) pos: Pos,
}

impl<'n> Object<'n> {
    /// The first of `keys` present (spellings of one property), marking
    /// every spelling present as understood.
    pub(crate) fn get(&mut self, keys: &[&str]) -> Option<&'n Entry> {
        let mut found = None;
        for (i, e) in self.entries.iter().enumerate() {
            if keys.contains(&e.key.as_str()) {
                self.used[i] = true;
                found = found.or(Some(e));
            }
        }
        found
    }

    /// Like [`Object::get`], reporting a missing property.
    pub(crate) fn required(&mut self, r: &mut Reader<'_>, keys: &[&str]) -> Option<&'n Entry> {
        let e = self.get(keys);
        if e.is_none() {
            r.error(
                self.pos,
                &self.path,
                format!("property {} is required", keys[0]),
            );
        }
        e
    }

    /// Marks a property as understood without reading it.
    pub(crate) fn ignore(&mut self, keys: &[&str]) {
        self.get(keys);
    }

    /// The path of a property.
    pub(crate) fn child(&self, key: &str) -> String {
        key_path(&self.path, key)
    }

    /// Reports every property not looked at, listing the known ones.
    pub(crate) fn finish(self, r: &mut Reader<'_>, known: &[&str]) {
        for (e, used) in self.entries.iter().zip(&self.used) {
            if !used {
                r.error(
                    e.key_pos,
                    &key_path(&self.path, &e.key),
                    format!("unknown property; expected one of {}", known.join(", ")),
                );
            }
        }
    }
}
