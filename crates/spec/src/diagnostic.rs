//! Diagnostics: what is wrong (or suspicious) in a spec file, where, and
//! what was expected.
//!
//! Every problem the crate finds becomes a [`Diagnostic`] pointing at a file,
//! a 1-based line and column, and the property path inside the object
//! (`spec.objectives[0].op`). Nothing here decides *whether* something is a
//! problem; this module only records and prints. It must not drop or
//! reorder diagnostics except through the one sort in [`Sink::finish`].

use std::fmt;

/// How forgiving loading is.
///
/// `Strict` follows the OpenSLO go-sdk rules and treats unknown fields as
/// errors. `Lenient` turns a fixed list of common real-world deviations
/// (upper-case names, `op`/`value` on ratio objectives, unknown fields,
/// `target: 99.9`) into warnings; everything else stays an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Unknown fields and near-misses are errors.
    #[default]
    Strict,
    /// Common deviations are warnings and are repaired or ignored.
    Lenient,
}

/// Whether a diagnostic stops the spec set from loading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The files do not load while any error remains.
    Error,
    /// Worth fixing, but the files still load.
    Warning,
}

/// One problem found in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The file name as given to the loader.
    pub file: String,
    /// 1-based line of the offending key or value.
    pub line: u32,
    /// 1-based column (in characters) of the offending key or value.
    pub col: u32,
    /// Property path inside the object, e.g. `spec.objectives[0].op`;
    /// empty for problems that concern the file as a whole (syntax errors).
    pub path: String,
    /// Lowercase explanation saying what was expected.
    pub message: String,
}

impl Diagnostic {
    /// True for [`Severity::Error`].
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Where the diagnostic points, without its message.
    pub fn location(&self) -> Location {
        Location {
            file: self.file.clone(),
            line: self.line,
            col: self.col,
            path: self.path.clone(),
        }
    }
}

impl fmt::Display for Diagnostic {
    /// `FILE:LINE:COL: PATH: message`, with `warning: ` before the message
    /// of warnings; the `PATH: ` part is left out when the path is empty.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.file, self.line, self.col)?;
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        if self.severity == Severity::Warning {
            f.write_str("warning: ")?;
        }
        f.write_str(&self.message)
    }
}

/// A place in a spec file: file, 1-based line and column, property path.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Location {
    /// The file name as given to the loader.
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub col: u32,
    /// Property path inside the object; empty for an object's root.
    pub path: String,
}

impl fmt::Display for Location {
    /// `file:line:col: path`, or `file:line:col` when the path is empty.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.col)?;
        if !self.path.is_empty() {
            write!(f, ": {}", self.path)?;
        }
        Ok(())
    }
}

/// Collects diagnostics while loading; the mode decides the severity of
/// lenient-able problems.
#[derive(Debug)]
pub(crate) struct Sink {
    pub(crate) mode: Mode,
    diags: Vec<Diagnostic>,
}

impl Sink {
    pub(crate) fn new(mode: Mode) -> Sink {
        Sink {
            mode,
            diags: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, severity: Severity, at: &Location, message: impl Into<String>) {
        self.diags.push(Diagnostic {
            severity,
            file: at.file.clone(),
            line: at.line,
            col: at.col,
            path: at.path.clone(),
            message: message.into(),
        });
    }

    pub(crate) fn error(&mut self, at: &Location, message: impl Into<String>) {
        self.push(Severity::Error, at, message);
    }

    pub(crate) fn warning(&mut self, at: &Location, message: impl Into<String>) {
        self.push(Severity::Warning, at, message);
    }

    /// An error in strict mode, a warning in lenient mode.
    pub(crate) fn strict_error(&mut self, at: &Location, message: impl Into<String>) {
        let severity = match self.mode {
            Mode::Strict => Severity::Error,
            Mode::Lenient => Severity::Warning,
        };
        self.push(severity, at, message);
    }

    pub(crate) fn lenient(&self) -> bool {
        self.mode == Mode::Lenient
    }

    pub(crate) fn has_errors(&self) -> bool {
        self.diags.iter().any(Diagnostic::is_error)
    }

    /// All diagnostics ordered by file, then line, then column; diagnostics
    /// at the same place keep the order they were found in.
    pub(crate) fn finish(mut self) -> Vec<Diagnostic> {
        self.diags
            .sort_by(|a, b| (&a.file, a.line, a.col).cmp(&(&b.file, b.line, b.col)));
        self.diags
    }
}

/// `parent.key`, or `parent["key"]` when the key would be ambiguous in a
/// dotted path (it contains `.`, `/` or anything but letters, digits, `_`
/// and `-`).
pub(crate) fn key_path(parent: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    match (plain, parent.is_empty()) {
        (true, true) => key.to_string(),
        (true, false) => format!("{parent}.{key}"),
        (false, _) => format!("{parent}[{key:?}]"),
    }
}

/// `parent[i]`.
pub(crate) fn index_path(parent: &str, i: usize) -> String {
    format!("{parent}[{i}]")
}
