//! Prometheus series selectors (`http_requests_total{job="api",code!~"5.."}`):
//! parsing with positioned errors, and matching against a series' labels.
//!
//! The grammar is PromQL's instant vector selector without range, offset or
//! `@`: an optional metric name, then optional `{label op "value", ...}` with
//! `=`, `!=`, `=~` and `!~`. Strings take PromQL's three quotes (`"`, `'` and
//! raw backquotes) and Go escapes. Regexes are RE2 syntax, fully anchored as
//! in Prometheus, compiled with the `regex` crate (whose syntax is RE2's plus
//! a few additions). A missing label matches as the empty string, so
//! `code!="500"` selects series without a `code` label, as Prometheus does.
//!
//! Selectors are only evaluated the first time a series is seen (the result
//! is cached with its counter state), so matching favours clarity; the
//! [`SelectorSet`] still evaluates each distinct matcher once per series.
//! This module must not allocate while matching and reads no clock.

#[cfg(test)]
mod tests;

use std::fmt;

use regex::bytes::{Regex, RegexBuilder};

use crate::error::SelectorError;

/// The label that holds the metric name.
pub const METRIC_NAME_LABEL: &str = "__name__";

/// Compiled regexes larger than this are refused (a guard against
/// pathological patterns in specs).
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// How a matcher compares a label value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MatchOp {
    /// `=`
    Equal,
    /// `!=`
    NotEqual,
    /// `=~`, fully anchored.
    Regex,
    /// `!~`, fully anchored.
    NotRegex,
}

impl MatchOp {
    pub fn as_str(self) -> &'static str {
        match self {
            MatchOp::Equal => "=",
            MatchOp::NotEqual => "!=",
            MatchOp::Regex => "=~",
            MatchOp::NotRegex => "!~",
        }
    }
}

/// One `label op "value"` condition.
#[derive(Clone, Debug)]
pub struct Matcher {
    /// The label name (`__name__` for the metric name).
    pub label: String,
    pub op: MatchOp,
    /// The value as unescaped text (the pattern, for regex operators).
    pub value: String,
    /// The anchored regex, for `=~` and `!~`.
    regex: Option<Regex>,
}

impl PartialEq for Matcher {
    fn eq(&self, other: &Self) -> bool {
        self.label == other.label && self.op == other.op && self.value == other.value
    }
}

impl Matcher {
    fn new(label: String, op: MatchOp, value: String) -> Result<Matcher, String> {
        let compile = |pattern: &str| {
            RegexBuilder::new(pattern)
                .size_limit(REGEX_SIZE_LIMIT)
                .build()
                .map_err(|e| {
                    let detail = e.to_string();
                    // The regex crate's message spans several lines with a
                    // caret diagram; the last line says what is wrong.
                    let last = detail.lines().last().unwrap_or("").trim().to_owned();
                    format!("invalid regular expression {value:?}: {last}")
                })
        };
        let regex = match op {
            MatchOp::Equal | MatchOp::NotEqual => None,
            MatchOp::Regex | MatchOp::NotRegex => {
                // Alone first: `a)|(b` would otherwise escape the anchors.
                compile(&value)?;
                Some(compile(&format!("^(?:{value})$"))?)
            }
        };
        Ok(Matcher {
            label,
            op,
            value,
            regex,
        })
    }

    /// Whether a label value (`b""` for a missing label) satisfies this matcher.
    #[inline]
    pub fn matches_value(&self, value: &[u8]) -> bool {
        match (self.op, &self.regex) {
            (MatchOp::Equal, _) => value == self.value.as_bytes(),
            (MatchOp::NotEqual, _) => value != self.value.as_bytes(),
            (MatchOp::Regex, Some(re)) => re.is_match(value),
            (MatchOp::NotRegex, Some(re)) => !re.is_match(value),
            // Regex operators always carry their regex (see `new`).
            (MatchOp::Regex | MatchOp::NotRegex, None) => false,
        }
    }
}

/// A parsed series selector.
#[derive(Clone, Debug)]
pub struct Selector {
    /// The text as written.
    source: String,
    /// The metric name (as a `__name__` equality) first, then the braces'
    /// matchers in order.
    matchers: Vec<Matcher>,
}

impl Selector {
    /// Parses `src`.
    pub fn parse(src: &str) -> Result<Selector, SelectorError> {
        Parser { src, pos: 0 }.selector()
    }

    /// The selector as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The matchers, metric name first.
    pub fn matchers(&self) -> &[Matcher] {
        &self.matchers
    }

    /// Whether a series with these labels is selected. When a label name
    /// repeats, the first occurrence counts.
    pub fn matches<N: AsRef<[u8]>, V: AsRef<[u8]>>(&self, labels: &[(N, V)]) -> bool {
        self.matchers.iter().all(|m| {
            let value = labels
                .iter()
                .find(|(n, _)| n.as_ref() == m.label.as_bytes())
                .map_or(&b""[..], |(_, v)| v.as_ref());
            m.matches_value(value)
        })
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

/// Checks a selector without keeping it (for `lodestar check`-style callers).
pub fn check_selector(src: &str) -> Result<(), SelectorError> {
    Selector::parse(src).map(|_| ())
}

struct Parser<'s> {
    src: &'s str,
    pos: usize,
}

impl Parser<'_> {
    fn err(&self, at: usize, message: impl Into<String>) -> SelectorError {
        SelectorError::at(self.src, at, message)
    }

    fn peek(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    fn skip_space(&mut self) {
        let rest = &self.src[self.pos..];
        self.pos += rest.len() - rest.trim_start().len();
    }

    fn selector(mut self) -> Result<Selector, SelectorError> {
        let mut matchers: Vec<Matcher> = Vec::new();
        let mut name_at = None;
        self.skip_space();
        if self.peek().is_none() {
            return Err(self.err(0, "selector is empty; expected a metric name such as http_requests_total or {label=\"value\"}"));
        }
        if self.peek().is_some_and(is_metric_start) {
            let start = self.pos;
            let name = self.take_while(is_metric_char);
            name_at = Some(start);
            matchers.push(
                Matcher::new(
                    METRIC_NAME_LABEL.to_owned(),
                    MatchOp::Equal,
                    name.to_owned(),
                )
                .map_err(|m| self.err(start, m))?,
            );
            self.skip_space();
        }
        match self.peek() {
            Some('{') => {
                self.pos += 1;
                self.matcher_list(&mut matchers, &mut name_at)?;
                self.skip_space();
            }
            None => {}
            Some(c) if name_at.is_none() => {
                return Err(self.err(
                    self.pos,
                    format!("unexpected {c:?}; expected a metric name (letters, digits, _ and :, not starting with a digit) or {{"),
                ));
            }
            Some(_) => {}
        }
        if let Some(c) = self.peek() {
            let message = match c {
                '[' => "range selectors ([5m]) are not accepted: a metric source names counters and Lodestar computes their increases itself; remove the range".to_owned(),
                _ if self.src[self.pos..].starts_with("offset") || c == '@' => {
                    "offset and @ modifiers are not accepted in a series selector; remove them".to_owned()
                }
                '(' => "functions and aggregations are not accepted: a metric source is a series selector such as http_requests_total{code!~\"5..\"}".to_owned(),
                _ => format!("unexpected {c:?} after the selector; expected the end of the selector"),
            };
            return Err(self.err(self.pos, message));
        }
        if matchers.is_empty() {
            return Err(self.err(
                0,
                "selector has no matchers; expected a metric name or at least one label matcher",
            ));
        }
        if matchers.iter().all(|m| m.matches_value(b"")) {
            return Err(self.err(
                0,
                "selector matches the empty label set (every matcher accepts an empty value); expected a metric name or a matcher such as job=\"api\"",
            ));
        }
        Ok(Selector {
            source: self.src.to_owned(),
            matchers,
        })
    }

    fn take_while(&mut self, f: impl Fn(char) -> bool) -> &str {
        let start = self.pos;
        let rest = &self.src[start..];
        let len = rest.find(|c: char| !f(c)).unwrap_or(rest.len());
        self.pos += len;
        &self.src[start..start + len]
    }

    /// After `{`: matchers up to and including `}`.
    fn matcher_list(
        &mut self,
        matchers: &mut Vec<Matcher>,
        name_at: &mut Option<usize>,
    ) -> Result<(), SelectorError> {
        loop {
            self.skip_space();
            let start = self.pos;
            let label = match self.peek() {
                Some('}') => {
                    self.pos += 1;
                    return Ok(());
                }
                None => {
                    return Err(self.err(self.pos, "unterminated {; expected a label matcher or }"));
                }
                Some(c) if is_label_start(c) => self.take_while(is_label_char).to_owned(),
                Some('"' | '\'' | '`') => self.string()?,
                Some(c) => {
                    return Err(self.err(
                        start,
                        format!("unexpected {c:?}; expected a label name (letters, digits and _, not starting with a digit) or }}"),
                    ));
                }
            };
            self.skip_space();
            let op_at = self.pos;
            let rest = &self.src[self.pos..];
            let op = if rest.starts_with("=~") {
                Some(MatchOp::Regex)
            } else if rest.starts_with("!~") {
                Some(MatchOp::NotRegex)
            } else if rest.starts_with("!=") {
                Some(MatchOp::NotEqual)
            } else if rest.starts_with("==") {
                return Err(self.err(op_at, "== is not a matcher; expected =, !=, =~ or !~"));
            } else if rest.starts_with('=') {
                Some(MatchOp::Equal)
            } else {
                None
            };
            match op {
                Some(op) => {
                    self.pos += op.as_str().len();
                    self.skip_space();
                    let value_at = self.pos;
                    if !matches!(self.peek(), Some('"' | '\'' | '`')) {
                        return Err(self.err(
                            value_at,
                            format!(
                                "expected a quoted value after {}, such as \"api\"",
                                op.as_str()
                            ),
                        ));
                    }
                    let value = self.string()?;
                    if label == METRIC_NAME_LABEL {
                        if name_at.is_some() {
                            return Err(
                                self.err(start, "the metric name is given twice; give it once")
                            );
                        }
                        *name_at = Some(start);
                    }
                    matchers
                        .push(Matcher::new(label, op, value).map_err(|m| self.err(value_at, m))?);
                }
                // Prometheus 3 writes a quoted metric name alone: {"my.metric"}.
                None if matches!(self.src[start..].chars().next(), Some('"' | '\'' | '`'))
                    && matches!(self.peek(), Some(',' | '}')) =>
                {
                    if name_at.is_some() {
                        return Err(self.err(start, "the metric name is given twice; give it once"));
                    }
                    *name_at = Some(start);
                    matchers.insert(
                        0,
                        Matcher::new(METRIC_NAME_LABEL.to_owned(), MatchOp::Equal, label)
                            .map_err(|m| self.err(start, m))?,
                    );
                }
                None => {
                    let found = self
                        .peek()
                        .map_or("the end".to_owned(), |c| format!("{c:?}"));
                    return Err(self.err(
                        op_at,
                        format!("found {found} after label {label:?}; expected =, !=, =~ or !~"),
                    ));
                }
            }
            self.skip_space();
            match self.peek() {
                Some(',') => self.pos += 1,
                Some('}') => {}
                Some(c) => {
                    return Err(self.err(self.pos, format!("unexpected {c:?}; expected , or }}")));
                }
                None => return Err(self.err(self.pos, "unterminated {; expected , or }")),
            }
        }
    }

    /// A quoted string at `pos`, unescaped.
    fn string(&mut self) -> Result<String, SelectorError> {
        let start = self.pos;
        let quote = self.peek().unwrap_or('"');
        self.pos += 1;
        let mut out = String::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(self.err(
                    start,
                    format!("unterminated string; expected a closing {quote}"),
                ));
            };
            let at = self.pos;
            self.pos += c.len_utf8();
            if c == quote {
                return Ok(out);
            }
            if quote == '`' {
                out.push(c);
                continue;
            }
            match c {
                '\n' => {
                    return Err(self.err(
                        at,
                        "newline in a quoted string; expected the closing quote first",
                    ));
                }
                '\\' => out.push(self.escape(at)?),
                _ => out.push(c),
            }
        }
    }

    /// The character a Go escape after `\` (at `at`) stands for.
    fn escape(&mut self, at: usize) -> Result<char, SelectorError> {
        let Some(c) = self.peek() else {
            return Err(self.err(
                at,
                "unterminated escape sequence at the end of the selector",
            ));
        };
        self.pos += c.len_utf8();
        let simple = match c {
            'a' => Some('\u{7}'),
            'b' => Some('\u{8}'),
            'f' => Some('\u{c}'),
            'n' => Some('\n'),
            'r' => Some('\r'),
            't' => Some('\t'),
            'v' => Some('\u{b}'),
            '\\' | '"' | '\'' => Some(c),
            _ => None,
        };
        if let Some(s) = simple {
            return Ok(s);
        }
        let (digits, radix) = match c {
            'x' => (2, 16),
            'u' => (4, 16),
            'U' => (8, 16),
            '0'..='7' => {
                self.pos -= 1;
                (3, 8)
            }
            _ => {
                return Err(self.err(
                    at,
                    format!("unknown escape sequence \\{c}; expected one of \\a \\b \\f \\n \\r \\t \\v \\\\ \\\" \\' \\xHH \\uHHHH \\UHHHHHHHH \\ooo"),
                ));
            }
        };
        let text: String = self.src[self.pos..].chars().take(digits).collect();
        let code = (text.len() == digits && text.chars().all(|d| d.is_digit(radix)))
            .then(|| u32::from_str_radix(&text, radix).ok())
            .flatten();
        self.pos += text.len();
        // \x and octal escapes are bytes in Go; above 0x7F they would not
        // be UTF-8 text, which label values must be.
        let byte_escape = c == 'x' || radix == 8;
        match code.and_then(|n| {
            if byte_escape && n > 0x7f {
                None
            } else {
                char::from_u32(n)
            }
        }) {
            Some(ch) => Ok(ch),
            None => Err(self.err(
                at,
                format!(
                    "invalid escape sequence \\{c}{}: expected {digits} {} digits naming {}",
                    if radix == 8 {
                        &text[1.min(text.len())..]
                    } else {
                        &text
                    },
                    if radix == 8 { "octal" } else { "hex" },
                    if byte_escape {
                        "a character up to 0x7f"
                    } else {
                        "a valid code point"
                    }
                ),
            )),
        }
    }
}

fn is_metric_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == ':'
}

fn is_metric_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == ':'
}

fn is_label_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_label_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Many selectors compiled together: identical matchers are stored (and
/// evaluated) once, and each label a matcher reads is looked up once per
/// series, so twenty SLIs over one metric cost a single pass over its labels.
#[derive(Debug, Default)]
pub(crate) struct SelectorSet {
    /// Distinct label names read by any matcher.
    labels: Vec<Box<[u8]>>,
    /// Distinct matchers, each with the index of its label in `labels`.
    matchers: Vec<(usize, Matcher)>,
    /// Per selector: its source and the indices of its matchers.
    selectors: Vec<(String, Vec<usize>)>,
}

/// Reusable scratch space for [`SelectorSet::evaluate`].
#[derive(Debug, Default)]
pub(crate) struct SelectorScratch {
    values: Vec<Option<std::ops::Range<usize>>>,
    matched: Vec<bool>,
}

impl SelectorSet {
    /// Adds (or finds) the selector written `src`; returns its index.
    pub(crate) fn add(&mut self, src: &str) -> Result<usize, SelectorError> {
        if let Some(i) = self.selectors.iter().position(|(s, _)| s == src) {
            return Ok(i);
        }
        let parsed = Selector::parse(src)?;
        let mut ids = Vec::with_capacity(parsed.matchers.len());
        for m in parsed.matchers {
            let label = match self.labels.iter().position(|l| **l == *m.label.as_bytes()) {
                Some(i) => i,
                None => {
                    self.labels.push(m.label.as_bytes().into());
                    self.labels.len() - 1
                }
            };
            let id = match self.matchers.iter().position(|(_, x)| *x == m) {
                Some(i) => i,
                None => {
                    self.matchers.push((label, m));
                    self.matchers.len() - 1
                }
            };
            ids.push(id);
        }
        self.selectors.push((src.to_owned(), ids));
        Ok(self.selectors.len() - 1)
    }

    /// Values of the distinct `label="value"` matchers on `label`.
    pub(crate) fn equal_values<'s>(&'s self, label: &'s str) -> impl Iterator<Item = &'s str> {
        self.matchers
            .iter()
            .filter(move |(_, m)| m.label == label && m.op == MatchOp::Equal)
            .map(|(_, m)| m.value.as_str())
    }

    /// Evaluates every selector on one series: afterwards `out[i]` says
    /// whether selector `i` matches. `labels` are (name, value) byte ranges
    /// into `buf`; the first occurrence of a name counts.
    pub(crate) fn evaluate(
        &self,
        buf: &[u8],
        labels: &[(std::ops::Range<usize>, std::ops::Range<usize>)],
        scratch: &mut SelectorScratch,
        out: &mut Vec<bool>,
    ) {
        scratch.values.clear();
        scratch.values.resize(self.labels.len(), None);
        for (name, value) in labels {
            let name = &buf[name.clone()];
            if let Some(i) = self.labels.iter().position(|l| **l == *name)
                && scratch.values[i].is_none()
            {
                scratch.values[i] = Some(value.clone());
            }
        }
        scratch.matched.clear();
        scratch
            .matched
            .extend(self.matchers.iter().map(|(label, m)| {
                let value = scratch.values[*label].clone().map_or(&b""[..], |r| &buf[r]);
                m.matches_value(value)
            }));
        out.clear();
        out.extend(
            self.selectors
                .iter()
                .map(|(_, ids)| ids.iter().all(|&i| scratch.matched[i])),
        );
    }
}
