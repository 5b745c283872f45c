//! Building the converted OpenSLO v1 text: objects are assembled as JSON
//! values, printed through the formatter behind `lodestar fmt` (so the
//! output has the canonical key order and quoting), headed by comments,
//! and loaded back strictly before they are returned.
//!
//! Also the small pieces both converters need: names, exact percentages,
//! and the OpenSLO key rules the output must satisfy. Nothing here reads a
//! foreign format.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::reader::Reader;
use crate::diagnostic::{Diagnostic, Mode, Severity};
use crate::tree::{self, Node, Pos};

/// What a converter produces besides diagnostics.
#[derive(Debug, Default)]
pub(crate) struct Output {
    /// OpenSLO v1 objects, in order.
    pub(crate) docs: Vec<Value>,
    /// Assumptions worth telling the reader, printed as header comments.
    pub(crate) notes: Vec<String>,
    /// Object names given so far, per kind, and where their source is.
    names: BTreeMap<(String, String), String>,
}

impl Output {
    /// Records that an object `kind`/`name` is produced from the input at
    /// `path`; a second object with the same name is an error.
    pub(crate) fn claim(
        &mut self,
        r: &mut Reader<'_>,
        pos: Pos,
        path: &str,
        kind: &str,
        name: &str,
    ) -> bool {
        let key = (kind.to_string(), name.to_string());
        if let Some(first) = self.names.get(&key) {
            r.error(
                pos,
                path,
                format!(
                    "converts to {kind} {name:?}, the same name as {first}; expected names that differ"
                ),
            );
            return false;
        }
        self.names.insert(key, path.to_string());
        true
    }
}

/// A converter: every document of the input file into `out`.
pub(crate) type Converter = fn(&mut Reader<'_>, &[Node], &mut Output);

pub(crate) fn convert(
    file: &str,
    text: &str,
    from: &str,
    converter: Converter,
) -> Result<String, Vec<Diagnostic>> {
    let docs = tree::parse(text).map_err(|errors| {
        errors
            .into_iter()
            .map(|e| Diagnostic {
                severity: Severity::Error,
                file: file.to_string(),
                line: e.pos.line,
                col: e.pos.col,
                path: String::new(),
                message: e.message,
            })
            .collect::<Vec<_>>()
    })?;
    let docs: Vec<Node> = docs.into_iter().filter(|d| !d.is_null()).collect();
    let mut r = Reader::new(file);
    let mut out = Output::default();
    converter(&mut r, &docs, &mut out);
    if out.docs.is_empty() && r.errors.is_empty() {
        r.error(
            Pos { line: 1, col: 1 },
            "",
            format!("nothing to convert; expected at least one {from} object"),
        );
    }
    if !r.errors.is_empty() {
        let mut errors = r.errors;
        errors.sort_by_key(|a| (a.line, a.col));
        return Err(errors);
    }
    let json_text = out
        .docs
        .iter()
        .map(Value::to_string)
        .collect::<Vec<_>>()
        .join("\n---\n");
    let converted = file_of(file);
    let yaml = crate::format::format(&json_text, false).map_err(|errors| {
        errors
            .into_iter()
            .map(|e| internal(&converted, e.pos.line, e.pos.col, &e.message))
            .collect::<Vec<_>>()
    })?;
    let loaded = crate::load_sources(&[(converted.clone(), yaml.clone())], Mode::Strict);
    let errors: Vec<Diagnostic> = loaded
        .diagnostics
        .into_iter()
        .filter(Diagnostic::is_error)
        .map(|d| {
            internal(
                &converted,
                d.line,
                d.col,
                &format!("{}: {}", d.path, d.message),
            )
        })
        .collect();
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut header = format!("# Converted by `lodestar convert --from {from}` from {file}.\n");
    for n in &out.notes {
        header.push_str("# note: ");
        header.push_str(n);
        header.push('\n');
    }
    Ok(header + &yaml)
}

/// The name under which the converted text is checked.
fn file_of(file: &str) -> String {
    format!("{file} (converted)")
}

/// A conversion that produced OpenSLO the loader refuses: a bug in the
/// converter, reported rather than returned as text.
fn internal(file: &str, line: u32, col: u32, message: &str) -> Diagnostic {
    Diagnostic {
        severity: Severity::Error,
        file: file.to_string(),
        line,
        col,
        path: String::new(),
        message: format!(
            "the converted text does not load ({message}); this is a bug in the converter, please report it with the input"
        ),
    }
}

/// `openslo/v1` object.
pub(crate) fn object(kind: &str, metadata: Value, spec: Value) -> Value {
    json!({"apiVersion": "openslo/v1", "kind": kind, "metadata": metadata, "spec": spec})
}

/// `My Service: requests` → `my-service-requests`, at most 63 characters,
/// or `None` when nothing usable is left.
pub(crate) fn slug(s: &str) -> Option<String> {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.truncate(63);
    while out.ends_with('-') {
        out.pop();
    }
    (!out.is_empty()).then_some(out)
}

/// `base-suffix` cut so the whole is at most 63 characters.
pub(crate) fn suffixed(base: &str, suffix: &str) -> String {
    let keep = 63usize.saturating_sub(suffix.len() + 1).min(base.len());
    let mut b = base[..keep].to_string();
    while b.ends_with('-') {
        b.pop();
    }
    format!("{b}-{suffix}")
}

/// A percentage as written (`99.9`) to the fraction (`0.999`) by moving
/// the decimal point in the text, so no binary rounding creeps in.
pub(crate) fn percent_to_fraction(text: &str, value: f64) -> f64 {
    let t = text.trim().strip_prefix('+').unwrap_or(text.trim());
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !digits(int) || !digits(frac) {
        return value / 100.0;
    }
    let all = format!("{int}{frac}");
    let point = int.len() as isize - 2;
    let shifted = if point <= 0 {
        format!("0.{}{all}", "0".repeat(point.unsigned_abs()))
    } else {
        let (a, b) = all.split_at(point as usize);
        format!("{a}.{b}0")
    };
    shifted.parse().unwrap_or(value / 100.0)
}

/// OpenSLO label keys and annotation names:
/// `[a-z0-9]([-._a-z0-9]{0,61}[a-z0-9])?`.
pub(crate) fn is_label_key(s: &str) -> bool {
    let b = s.as_bytes();
    let edge = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    !b.is_empty()
        && b.len() <= 63
        && edge(b[0])
        && edge(b[b.len() - 1])
        && b.iter()
            .all(|&c| edge(c) || matches!(c, b'-' | b'.' | b'_'))
}

/// Checks the keys of labels or annotations copied into OpenSLO metadata;
/// reports those OpenSLO refuses.
pub(crate) fn check_keys(
    r: &mut Reader<'_>,
    pos: Pos,
    path: &str,
    map: &BTreeMap<String, String>,
    what: &str,
) -> bool {
    let mut ok = true;
    for k in map.keys() {
        if !is_label_key(k) {
            r.error(
                pos,
                &crate::diagnostic::key_path(path, k),
                format!(
                    "{what} key {k:?} is not valid in OpenSLO; expected at most 63 lowercase letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
                ),
            );
            ok = false;
        }
    }
    ok
}

/// A string map as a JSON object.
pub(crate) fn json_map(map: &BTreeMap<String, String>) -> Value {
    Value::Object(
        map.iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}
