//! The `spec.query` of a Prometheus metric source, read the one way the
//! rules need it: as "how many events in the last `W`".
//!
//! A query is either a bare series selector of counters
//! (`http_requests_total{job="api",code!~"5.."}`), counted with
//! `sum(increase(SEL[W]))`, or a full PromQL expression containing the
//! `{{.window}}` placeholder (Sloth style), evaluated with the placeholder
//! replaced by `W`. Only the selector form is checked here, by a small
//! lexer; a template expression is passed to Prometheus as written, so
//! `promtool check rules` is what validates it. This module builds query
//! text only; it never talks to an engine.

#[cfg(test)]
mod tests;

/// A metric source's query in one of the two accepted forms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CountQuery {
    /// A series selector, trimmed.
    Selector(String),
    /// An expression with every `{{ .window }}` spelling normalised to
    /// [`WINDOW_PLACEHOLDER`].
    Template(String),
}

/// The placeholder as Sloth writes it; `{{ .window }}` is accepted too.
pub(crate) const WINDOW_PLACEHOLDER: &str = "{{.window}}";

impl CountQuery {
    /// Reads `query`, or says what is wrong with it.
    pub(crate) fn parse(query: &str) -> Result<CountQuery, String> {
        let query = query.trim();
        if query.is_empty() {
            return Err(
                "expected a series selector or an expression with {{.window}}, got an empty query"
                    .into(),
            );
        }
        if let Some(t) = normalise_template(query) {
            return Ok(CountQuery::Template(t));
        }
        match check_selector(query) {
            Ok(()) => Ok(CountQuery::Selector(query.to_string())),
            Err(_) if query.contains(['(', '[']) => Err(format!(
                "{query:?} is an expression without {WINDOW_PLACEHOLDER}; rules need the count over any window, so give a counter selector such as http_requests_total{{job=\"api\"}} or write {WINDOW_PLACEHOLDER} where the range goes, as in sum(increase(http_requests_total[{WINDOW_PLACEHOLDER}]))"
            )),
            Err(problem) => Err(format!(
                "{query:?} is not a series selector such as http_requests_total{{job=\"api\"}}: {problem}"
            )),
        }
    }

    /// Events in the trailing `window` (a PromQL duration), as one series
    /// without labels.
    pub(crate) fn count_over(&self, window: &str) -> String {
        match self {
            CountQuery::Selector(s) => format!("sum(increase({s}[{window}]))"),
            CountQuery::Template(t) => format!("sum({})", t.replace(WINDOW_PLACEHOLDER, window)),
        }
    }

    /// The raw value over the trailing `window`: the template evaluated with
    /// the window, or the selector's mean over it (for precomputed ratios).
    pub(crate) fn mean_over(&self, window: &str) -> String {
        match self {
            CountQuery::Selector(s) => format!("avg(avg_over_time({s}[{window}]))"),
            CountQuery::Template(t) => format!("avg({})", t.replace(WINDOW_PLACEHOLDER, window)),
        }
    }
}

/// `Some` with the placeholder normalised when `query` holds at least one
/// `{{ .window }}` (any inner spacing).
fn normalise_template(query: &str) -> Option<String> {
    let mut out = String::with_capacity(query.len());
    let mut rest = query;
    let mut found = false;
    while let Some(open) = rest.find("{{") {
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            break;
        };
        out.push_str(&rest[..open]);
        if after[..close].trim() == ".window" {
            out.push_str(WINDOW_PLACEHOLDER);
            found = true;
        } else {
            out.push_str(&rest[open..open + 2 + close + 2]);
        }
        rest = &after[close + 2..];
    }
    out.push_str(rest);
    found.then_some(out)
}

/// Words PromQL reads as operators or keywords, never as a bare metric name.
const KEYWORDS: &[&str] = &[
    "and",
    "or",
    "unless",
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "offset",
    "bool",
    "sum",
    "min",
    "max",
    "avg",
    "group",
    "stddev",
    "stdvar",
    "count",
    "count_values",
    "bottomk",
    "topk",
    "quantile",
    "atan2",
    "inf",
    "nan",
];

/// `metric_name{label op "value", ...}` with either part optional (but not
/// both), nothing before or after it.
pub(crate) fn check_selector(s: &str) -> Result<(), String> {
    let b = s.as_bytes();
    let mut i = 0;
    let name_start = i;
    if i < b.len() && (b[i].is_ascii_alphabetic() || b[i] == b'_' || b[i] == b':') {
        while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b':') {
            i += 1;
        }
    }
    let name = &s[name_start..i];
    if KEYWORDS.contains(&name.to_ascii_lowercase().as_str()) {
        return Err(format!("{name:?} is a PromQL keyword, not a metric name"));
    }
    let mut matchers = 0;
    if i < b.len() && b[i] == b'{' {
        i += 1;
        loop {
            skip_space(b, &mut i);
            if i < b.len() && b[i] == b'}' {
                i += 1;
                break;
            }
            let label_start = i;
            if i < b.len() && (b[i].is_ascii_alphabetic() || b[i] == b'_') {
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
            }
            if i == label_start {
                return Err(at(s, i, "expected a label name or }"));
            }
            skip_space(b, &mut i);
            let op_len = match (b.get(i), b.get(i + 1)) {
                (Some(b'!'), Some(b'=' | b'~')) | (Some(b'='), Some(b'~')) => 2,
                (Some(b'='), _) => 1,
                _ => return Err(at(s, i, "expected one of =, !=, =~, !~")),
            };
            i += op_len;
            skip_space(b, &mut i);
            string_literal(s, &mut i)?;
            matchers += 1;
            skip_space(b, &mut i);
            match b.get(i) {
                Some(b',') => i += 1,
                Some(b'}') => {
                    i += 1;
                    break;
                }
                _ => return Err(at(s, i, "expected , or }")),
            }
        }
    }
    if name.is_empty() && matchers == 0 {
        return Err(at(s, i, "expected a metric name or label matchers"));
    }
    skip_space(b, &mut i);
    if i < b.len() {
        return Err(at(s, i, "unexpected text after the selector"));
    }
    Ok(())
}

fn skip_space(b: &[u8], i: &mut usize) {
    while *i < b.len() && b[*i].is_ascii_whitespace() {
        *i += 1;
    }
}

/// A PromQL string: `"..."` or `'...'` with backslash escapes, or a raw
/// `` `...` ``.
fn string_literal(s: &str, i: &mut usize) -> Result<(), String> {
    let b = s.as_bytes();
    let Some(&quote) = b.get(*i) else {
        return Err(at(s, *i, "expected a quoted label value"));
    };
    if !matches!(quote, b'"' | b'\'' | b'`') {
        return Err(at(s, *i, "expected a quoted label value"));
    }
    let start = *i;
    *i += 1;
    while *i < b.len() {
        match b[*i] {
            b'\\' if quote != b'`' => *i += 2,
            c if c == quote => {
                *i += 1;
                return Ok(());
            }
            _ => *i += 1,
        }
    }
    Err(at(s, start, "unterminated label value"))
}

fn at(s: &str, i: usize, what: &str) -> String {
    let col = s.get(..i).map_or(i, |p| p.chars().count()) + 1;
    format!("{what} at character {col}")
}
