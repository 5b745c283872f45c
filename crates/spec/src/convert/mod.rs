//! `lodestar convert --from …`: other SLO formats in, OpenSLO v1 out.
//!
//! [`from_sloth`] reads Sloth's `prometheus/v1` specs and its Kubernetes
//! `PrometheusServiceLevel` (`sloth.slok.dev/v1`); [`from_v1alpha`] reads
//! OpenSLO `openslo/v1alpha`. Both return multi-document YAML in the
//! canonical layout of `lodestar fmt`, headed by comments that say where it
//! came from and what the conversion had to assume, and both check their
//! own output by loading it strictly: text that would not load is never
//! returned. Problems in the input are [`Diagnostic`]s with file, line,
//! column and property path. Pure: no IO, no clock.

mod emit;
mod reader;
mod sloth;
mod v1alpha;

#[cfg(test)]
mod tests;

use crate::diagnostic::Diagnostic;

/// Sloth `prometheus/v1` specs and Kubernetes `PrometheusServiceLevel`
/// objects (any number of documents) as OpenSLO v1: one SLO per Sloth SLO,
/// with Prometheus metric sources, Sloth's 30-day window, and its page and
/// ticket alerts as AlertPolicies.
pub fn from_sloth(file: &str, text: &str) -> Result<String, Vec<Diagnostic>> {
    emit::convert(file, text, "sloth", sloth::convert)
}

/// OpenSLO `openslo/v1alpha` Services and SLOs as OpenSLO v1.
pub fn from_v1alpha(file: &str, text: &str) -> Result<String, Vec<Diagnostic>> {
    emit::convert(file, text, "openslo-v1alpha", v1alpha::convert)
}
