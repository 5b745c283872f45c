//! How figures are written on pages: percentages, burn rates, durations,
//! instants, counts. One function per kind of figure, so the same number is
//! written the same way everywhere (and tests can predict the text). Every
//! function accepts missing and non-finite numbers and writes a dash for
//! them; none of them computes a figure.

use jiff::Timestamp;

/// What a page shows where a figure is missing or not a number.
pub const MISSING: &str = "—";

fn finite(v: Option<f64>) -> Option<f64> {
    v.filter(|x| x.is_finite())
}

/// `v` (a fraction) as a percentage with `decimals` decimals: `99.956 %`.
pub fn percent(v: Option<f64>, decimals: usize) -> String {
    match finite(v.map(|x| x * 100.0)) {
        Some(x) => format!("{x:.decimals$} %"),
        None => MISSING.to_string(),
    }
}

/// An SLI or a target: three decimals of a percent, enough for 99.95 %.
pub fn sli(v: Option<f64>) -> String {
    percent(v, 3)
}

/// Remaining or consumed budget share: one decimal of a percent.
pub fn budget(v: Option<f64>) -> String {
    percent(v, 1)
}

/// A burn rate: `2.40×`.
pub fn burn(v: Option<f64>) -> String {
    match finite(v) {
        Some(x) => format!("{x:.2}×"),
        None => MISSING.to_string(),
    }
}

/// A count of (weighted) events or slices: whole numbers with thin
/// grouping (`15 791 095`), fractions with one decimal.
pub fn count(v: Option<f64>) -> String {
    let Some(x) = finite(v) else {
        return MISSING.to_string();
    };
    let rounded = (x * 10.0).round() / 10.0;
    let whole = rounded.trunc();
    let frac = ((rounded - whole).abs() * 10.0).round() as u64;
    let digits = format!("{}", whole.abs() as u64);
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3 * 3 + 4);
    if rounded < 0.0 {
        grouped.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push('\u{202f}');
        }
        grouped.push(c);
    }
    if frac > 0 {
        grouped.push('.');
        grouped.push_str(&frac.to_string());
    }
    grouped
}

/// A duration in seconds, in its two largest units: `3 d 4 h`, `2 h 5 min`,
/// `12 min`, `< 1 min`.
pub fn duration_s(v: Option<f64>) -> String {
    let Some(s) = finite(v).filter(|s| *s >= 0.0) else {
        return MISSING.to_string();
    };
    let minutes = (s / 60.0).floor() as u64;
    if minutes == 0 {
        return "< 1 min".to_string();
    }
    let (d, h, m) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    match (d, h) {
        (0, 0) => format!("{m} min"),
        (0, _) if m == 0 => format!("{h} h"),
        (0, _) => format!("{h} h {m} min"),
        (_, 0) => format!("{d} d"),
        _ => format!("{d} d {h} h"),
    }
}

/// An RFC 3339 instant as `2026-11-27 12:00 UTC`; text that does not parse
/// is returned as it is (the caller escapes it).
pub fn instant(rfc3339: &str) -> String {
    match rfc3339.parse::<Timestamp>() {
        Ok(t) => t.strftime("%Y-%m-%d %H:%M UTC").to_string(),
        Err(_) => rfc3339.to_string(),
    }
}

/// The exact number for a `data-value` attribute, empty when missing: the
/// very text the JSON API writes for it (`serde_json`'s shortest form), so
/// a reader that parses page and API with the same parser gets the same
/// `f64` bit for bit.
pub fn exact(v: Option<f64>) -> String {
    v.and_then(serde_json::Number::from_f64)
        .map(|n| n.to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;
