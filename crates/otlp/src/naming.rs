//! OpenTelemetry metric names and attributes as Prometheus series: the one
//! place the mapping lives, so that an SLI selector written for Prometheus
//! (or for Prometheus' own OTLP receiver) selects the same series here.
//!
//! - Metric names: every run of characters other than ASCII letters and
//!   digits becomes one `_` (`http.server.request.duration` →
//!   `http_server_request_duration`); a leading digit gets a `_` prefix.
//! - Units: `{annotations}` are dropped; the unit's Prometheus word is
//!   appended unless the name already holds it (`s` → `_seconds`, `ms` →
//!   `_milliseconds`, `By` → `_bytes`, `By/s` → `_bytes_per_second`, `1` on a
//!   gauge or non-monotonic sum → `_ratio`; see [`UNITS`] and [`PER_UNITS`]; other units are
//!   appended sanitised).
//! - Monotonic sums end in `_total` (an existing `total` word is moved to
//!   the end); histograms give `_bucket` series with `le`, `_count` and
//!   `_sum`; gauges and non-monotonic sums keep the bare name.
//! - Labels: data point attributes, their keys sanitised (characters other
//!   than ASCII letters, digits and `_` become `_`; a leading digit gets a
//!   `key_` prefix). From the resource, only `service.name` (as
//!   `service.namespace/service.name` when there is a namespace) → `job` and
//!   `service.instance.id` → `instance`; they win over attributes of the
//!   same name. Two keys that sanitise to the same name keep the later one.
//! - `le` values are bounds written as Go's `FormatFloat(b, 'f', -1, 64)`
//!   (`0.3`, `1`, `+Inf`), what Prometheus writes.
//!
//! This module must not allocate beyond the output strings it is given.

#[cfg(test)]
mod tests;

use std::fmt::Write;

/// What a metric is, for its name's suffix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// A monotonic sum: a counter, named `..._total`.
    Counter,
    /// A gauge or a non-monotonic sum.
    Gauge,
    /// A histogram (explicit or exponential): the base of its
    /// `_bucket`/`_count`/`_sum` names.
    Histogram,
}

/// Prometheus words for OpenTelemetry (UCUM) units.
pub const UNITS: &[(&str, &str)] = &[
    ("d", "days"),
    ("h", "hours"),
    ("min", "minutes"),
    ("s", "seconds"),
    ("ms", "milliseconds"),
    ("us", "microseconds"),
    ("ns", "nanoseconds"),
    ("By", "bytes"),
    ("KiBy", "kibibytes"),
    ("MiBy", "mebibytes"),
    ("GiBy", "gibibytes"),
    ("TiBy", "tibibytes"),
    ("KBy", "kilobytes"),
    ("MBy", "megabytes"),
    ("GBy", "gigabytes"),
    ("TBy", "terabytes"),
    ("m", "meters"),
    ("V", "volts"),
    ("A", "amperes"),
    ("J", "joules"),
    ("W", "watts"),
    ("g", "grams"),
    ("Cel", "celsius"),
    ("Hz", "hertz"),
    ("%", "percent"),
];

/// Prometheus words for the unit after `/` (`By/s` → `bytes_per_second`).
pub const PER_UNITS: &[(&str, &str)] = &[
    ("s", "second"),
    ("m", "minute"),
    ("h", "hour"),
    ("d", "day"),
    ("w", "week"),
    ("mo", "month"),
    ("y", "year"),
];

fn words(s: &str) -> impl Iterator<Item = &str> {
    s.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
}

fn has_word(name: &str, word: &str) -> bool {
    words(name).any(|w| w == word)
}

/// Appends `word` (sanitised) as `_word` unless `out` already has it.
fn append_word(out: &mut String, word: &str) {
    for w in words(word) {
        if !has_word(out, w) {
            if !out.is_empty() {
                out.push('_');
            }
            out.push_str(w);
        }
    }
}

/// Writes the Prometheus name of metric `name` with `unit` into `out`
/// (cleared first): for a histogram, the base name of its series.
pub fn metric_name(name: &str, unit: &str, shape: Shape, out: &mut String) {
    out.clear();
    for w in words(name) {
        if shape == Shape::Counter && w == "total" {
            continue;
        }
        if !out.is_empty() {
            out.push('_');
        }
        out.push_str(w);
    }
    // Annotations (`{request}`) carry no unit.
    let mut unit = unit.trim();
    if let Some(open) = unit.find('{') {
        unit = unit[..open].trim();
    }
    let (main, per) = match unit.split_once('/') {
        Some((m, p)) => (m.trim(), p.trim()),
        None => (unit, ""),
    };
    if main == "1" {
        if shape == Shape::Gauge && per.is_empty() {
            append_word(out, "ratio");
        }
    } else if !main.is_empty() {
        let word = UNITS.iter().find(|(u, _)| *u == main).map_or(main, |u| u.1);
        append_word(out, word);
    }
    if !per.is_empty() {
        let word = PER_UNITS
            .iter()
            .find(|(u, _)| *u == per)
            .map_or(per, |u| u.1);
        if !has_word(out, word) {
            out.push_str(if out.is_empty() { "per" } else { "_per" });
            for w in words(word) {
                out.push('_');
                out.push_str(w);
            }
        }
    }
    if shape == Shape::Counter {
        if !out.is_empty() {
            out.push('_');
        }
        out.push_str("total");
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
}

/// Writes the label name for attribute `key` into `out` (cleared first).
pub fn label_name(key: &str, out: &mut String) {
    out.clear();
    if key.starts_with(|c: char| c.is_ascii_digit()) {
        out.push_str("key_");
    }
    out.extend(key.chars().map(|c| {
        if c.is_ascii_alphanumeric() || c == '_' {
            c
        } else {
            '_'
        }
    }));
}

/// Writes the `le` value of bucket bound `bound` into `out` (cleared first).
pub fn le_value(bound: f64, out: &mut String) {
    out.clear();
    if bound == f64::INFINITY {
        out.push_str("+Inf");
    } else if bound == f64::NEG_INFINITY {
        out.push_str("-Inf");
    } else {
        // Rust's shortest round-trip form without exponent is Go's 'f', -1.
        let _ = write!(out, "{bound}");
    }
}

/// Writes the `job` label value for a resource into `out` (cleared first):
/// `namespace/name`, or `name` alone.
pub fn job(service_namespace: &str, service_name: &str, out: &mut String) {
    out.clear();
    if !service_namespace.is_empty() {
        out.push_str(service_namespace);
        out.push('/');
    }
    out.push_str(service_name);
}
