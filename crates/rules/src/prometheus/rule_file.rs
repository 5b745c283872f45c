//! The Prometheus rule file: groups of recording and alerting rules, and
//! their YAML text.
//!
//! The text is written by hand rather than through a YAML library so that
//! the output is stable and readable in review (PromQL in single quotes or
//! `|-` blocks, no escaped double quotes) and so that golden files change
//! only when a rule does. This module decides layout and quoting only, never
//! what a rule computes.

#[cfg(test)]
mod tests;

/// One `groups[]` entry: rules evaluated in order, so a rule may read what
/// the rules above it recorded in the same evaluation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Group {
    pub(crate) name: String,
    pub(crate) rules: Vec<Rule>,
}

/// A recording or an alerting rule.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Rule {
    Record {
        record: String,
        expr: String,
        labels: Vec<(String, String)>,
    },
    Alert {
        alert: String,
        expr: String,
        /// `for:`, a PromQL duration.
        for_duration: Option<String>,
        labels: Vec<(String, String)>,
        annotations: Vec<(String, String)>,
    },
}

/// The whole file, with a header comment.
pub(crate) fn render(header: &[&str], groups: &[Group]) -> String {
    let mut out = String::new();
    for line in header {
        out.push_str("# ");
        out.push_str(line);
        out.push('\n');
    }
    if groups.is_empty() {
        out.push_str("groups: []\n");
        return out;
    }
    out.push_str("groups:\n");
    for g in groups {
        out.push_str("  - name: ");
        out.push_str(&scalar(&g.name, 6));
        out.push_str("\n    rules:\n");
        for r in &g.rules {
            rule(&mut out, r);
        }
    }
    out
}

fn rule(out: &mut String, r: &Rule) {
    const IND: usize = 8;
    match r {
        Rule::Record {
            record,
            expr,
            labels,
        } => {
            field(out, "      - ", "record", record, IND);
            field(out, "        ", "expr", expr, IND);
            map(out, "labels", labels);
        }
        Rule::Alert {
            alert,
            expr,
            for_duration,
            labels,
            annotations,
        } => {
            field(out, "      - ", "alert", alert, IND);
            field(out, "        ", "expr", expr, IND);
            if let Some(f) = for_duration {
                field(out, "        ", "for", f, IND);
            }
            map(out, "labels", labels);
            map(out, "annotations", annotations);
        }
    }
}

fn field(out: &mut String, prefix: &str, key: &str, value: &str, indent: usize) {
    out.push_str(prefix);
    out.push_str(key);
    out.push_str(": ");
    out.push_str(&scalar(value, indent + 2));
    out.push('\n');
}

fn map(out: &mut String, key: &str, entries: &[(String, String)]) {
    if entries.is_empty() {
        return;
    }
    out.push_str("        ");
    out.push_str(key);
    out.push_str(":\n");
    for (k, v) in entries {
        out.push_str("          ");
        out.push_str(&scalar(k, 12));
        out.push_str(": ");
        out.push_str(&scalar(v, 12));
        out.push('\n');
    }
}

/// A string as YAML: plain when YAML reads it back unchanged as a string,
/// a `|-` block when it spans lines, single-quoted otherwise (PromQL is full
/// of double quotes). Strings a block or single quotes cannot carry
/// (control characters, trailing spaces on a line) are double-quoted.
pub(crate) fn scalar(s: &str, indent: usize) -> String {
    if plain_safe(s) {
        return s.to_string();
    }
    let printable = s.chars().all(|c| c == '\n' || !awkward(c));
    if s.contains('\n')
        && printable
        && !s.starts_with([' ', '\n'])
        && !s.ends_with('\n')
        && s.lines().all(|l| !l.ends_with([' ', '\t']))
    {
        let pad = " ".repeat(indent);
        let mut out = String::from("|-");
        for line in s.split('\n') {
            out.push('\n');
            if !line.is_empty() {
                out.push_str(&pad);
                out.push_str(line);
            }
        }
        return out;
    }
    if printable && !s.contains('\n') {
        return format!("'{}'", s.replace('\'', "''"));
    }
    double_quoted(s)
}

/// Characters YAML may read as something else than themselves outside a
/// double-quoted escape: controls, and the breaks and BOM YAML 1.1 knows.
fn awkward(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}')
}

/// A YAML double-quoted string, escaping every awkward character.
fn double_quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if awkward(c) => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// True when `s` can be written without quotes and still reads back as the
/// same string (not a number, boolean, null, or anything YAML treats
/// specially).
fn plain_safe(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if first.is_ascii_digit() {
        return is_duration(s);
    }
    if !(first.is_ascii_alphabetic() || first == '_') {
        return false;
    }
    if !s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | ':' | ','))
    {
        return false;
    }
    if s.ends_with(':') || s.contains(": ") {
        return false;
    }
    let lower = s.to_ascii_lowercase();
    !matches!(
        lower.as_str(),
        "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n" | "null" | "nan" | "inf"
    )
}

/// `5m`, `1h30m`, `2h24m`: digits and unit letters in turn. YAML reads
/// these as strings; anything else starting with a digit may be a number.
fn is_duration(s: &str) -> bool {
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return false;
        }
        rest = &rest[digits..];
        let unit = if rest.starts_with("ms") {
            2
        } else if rest.starts_with(['s', 'm', 'h', 'd', 'w', 'y']) {
            1
        } else {
            return false;
        };
        rest = &rest[unit..];
    }
    true
}
