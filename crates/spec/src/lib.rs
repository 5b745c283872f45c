//! Lodestar's spec reader: OpenSLO v1 and `lodestar.dev/v1` files in,
//! validated and reference-resolved objects (or diagnostics) out.
//!
//! The pipeline is `tree` (YAML/JSON text to a tree with line and column on
//! every node), `decode` (one object at a time, the OpenSLO go-sdk rules
//! plus Lodestar's extensions), `resolve` (references and duplicates across
//! every file loaded together) and, for `lodestar fmt`, `format`. Loading
//! never stops at the first problem: [`Loaded::diagnostics`] lists every
//! error and warning of every file, ordered by file and position, each with
//! file, line, column and property path. Everything but [`load_paths`] is
//! pure: no clock, no environment, no IO.

pub mod convert;
mod decode;
mod diagnostic;
mod duration;
mod error;
mod format;
mod load;
mod model;
mod resolve;
mod tree;

#[cfg(test)]
mod tests;

pub use diagnostic::{Diagnostic, Location, Mode, Severity};
pub use duration::{DurationShorthand, DurationUnit};
pub use error::LoadError;
pub use model::{
    Aggregate, AlertCondition, AlertNotificationTarget, AlertPolicy, BudgetPolicy, BudgetingMethod,
    Calendar, Correction, DataSource, Journey, JourneyStep, LodestarQuery, Metadata, MetricSource,
    Objective, Op, Ownership, PolicyCondition, PolicyException, PolicyRule, PolicyScope,
    PolicyState, RawType, ReleaseMode, Service, Sli, SliDocumentation, SliSpec, Slo, SpecSet,
    TimeWindow,
};

use diagnostic::Sink;

/// The outcome of loading: the spec set when there were no errors, and
/// every diagnostic (warnings come with a set, errors without).
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    /// `None` iff any diagnostic is an error.
    pub set: Option<SpecSet>,
    /// All errors and warnings, ordered by file, line and column.
    pub diagnostics: Vec<Diagnostic>,
}

impl Loaded {
    /// The diagnostics that are errors.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.is_error())
    }

    /// The diagnostics that are warnings.
    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| !d.is_error())
    }
}

/// Loads `(file name, text)` pairs as one spec set: references resolve
/// across all of them. File names are only used in diagnostics and
/// locations. Pure.
pub fn load_sources(sources: &[(String, String)], mode: Mode) -> Loaded {
    let mut sink = Sink::new(mode);
    let mut objects = Vec::new();
    let mut refs = Vec::new();
    for (file, text) in sources {
        match tree::parse(text) {
            Err(errors) => {
                for e in errors {
                    let at = Location {
                        file: file.clone(),
                        line: e.pos.line,
                        col: e.pos.col,
                        path: String::new(),
                    };
                    sink.error(&at, e.message);
                }
            }
            Ok(documents) => {
                let mut doc = decode::Doc {
                    file,
                    sink: &mut sink,
                    refs: &mut refs,
                };
                for d in &documents {
                    decode::decode_document(&mut doc, d, &mut objects);
                }
            }
        }
    }
    let set = resolve::resolve(&objects, &refs, &mut sink);
    let failed = sink.has_errors();
    Loaded {
        set: (!failed).then_some(set),
        diagnostics: sink.finish(),
    }
}

/// Loads spec files and folders (recursively: `*.yaml`, `*.yml`, `*.json`,
/// sorted) as one spec set. Only reading can fail here; problems in the
/// files are diagnostics in the [`Loaded`].
pub fn load_paths(paths: &[std::path::PathBuf], mode: Mode) -> Result<Loaded, LoadError> {
    Ok(load_sources(&load::read_sources(paths)?, mode))
}

/// `lodestar fmt`: the canonical text of one spec file (YAML, or pretty
/// JSON when `file` ends in `.json`). Keys come in canonical order, strings
/// are quoted only when needed, documents are separated by `---`.
/// Comments are not preserved. Only syntax errors fail; the output is not
/// validated. Formatting twice gives the same text, and the output loads to
/// the same spec set as the input.
pub fn format_source(file: &str, text: &str) -> Result<String, Vec<Diagnostic>> {
    let json = file.to_ascii_lowercase().ends_with(".json");
    format::format(text, json).map_err(|errors| {
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
            .collect()
    })
}
