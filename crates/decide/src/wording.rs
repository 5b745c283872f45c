//! How figures are worded in reasons and reports, so every verdict says
//! "12 %", "2 h" and "p=0.0001" the same way. Formatting only: nothing here
//! decides anything.

/// A fraction as a percentage: whole numbers from 10 % up, one decimal
/// below (`0.72` → `72 %`, `0.012` → `1.2 %`, `-0.12` → `-12 %`).
pub(crate) fn percent(fraction: f64) -> String {
    let p = fraction * 100.0;
    if !p.is_finite() {
        return format!("{p} %");
    }
    if p.abs() >= 9.95 || p == 0.0 {
        format!("{} %", p.round() as i64)
    } else {
        format!("{p:.1} %")
    }
}

/// A signed change in percent (`+30 %`, `-4.2 %`).
pub(crate) fn signed_percent(fraction: f64) -> String {
    let text = percent(fraction);
    if fraction > 0.0 {
        format!("+{text}")
    } else {
        text
    }
}

/// A p-value with enough digits to matter (`p=0.0001`, `p=3.2e-12`).
pub(crate) fn p_value(p: f64) -> String {
    if p >= 0.001 {
        format!("p={}", trim(format!("{p:.4}")))
    } else if p >= 0.0001 {
        format!("p={p:.4}")
    } else {
        format!("p={p:.1e}")
    }
}

/// A number with at most `digits` decimals and no trailing zeros.
pub(crate) fn number(x: f64, digits: usize) -> String {
    trim(format!("{x:.digits$}"))
}

fn trim(mut text: String) -> String {
    if text.contains('.') {
        while text.ends_with('0') {
            text.pop();
        }
        if text.ends_with('.') {
            text.pop();
        }
    }
    text
}

/// A duration in minutes, in the largest sensible units (`45 min`, `2 h`,
/// `2 h 30 min`, `3 d 4 h`).
pub(crate) fn minutes(m: i64) -> String {
    let m = m.max(0);
    let (d, h, min) = (m / 1440, m % 1440 / 60, m % 60);
    match (d, h, min) {
        (0, 0, min) => format!("{min} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, min) => format!("{h} h {min} min"),
        (d, 0, _) => format!("{d} d"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

/// A window length as an adjective (`28-day`, `6-hour`, `90-minute`).
pub(crate) fn window(m: i64) -> String {
    if m > 0 && m % 1440 == 0 {
        format!("{}-day", m / 1440)
    } else if m > 0 && m % 60 == 0 {
        format!("{}-hour", m / 60)
    } else {
        format!("{m}-minute")
    }
}

#[cfg(test)]
mod tests;
