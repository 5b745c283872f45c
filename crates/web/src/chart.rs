//! SVG charts drawn by our own code: time-series line charts with
//! horizontal reference lines (targets, alert thresholds) and vertical
//! annotation markers (deploys, flag changes, alerts), sparklines, budget
//! meters and bar lists for small multiples.
//!
//! Every chart is an `<svg role="img">` with a `<title>` and `<desc>` (or an
//! `aria-label`) so screen readers get a text alternative; pages add a data
//! table where the numbers matter. Missing and non-finite values never
//! reach a coordinate: they break a line instead. Values outside the y
//! domain are clamped to the plot's edge. This module knows nothing of
//! SLOs or JSON documents; it draws the numbers it is given.

use std::fmt::Write;

use crate::escape::push_escaped;

/// Size of a line chart's viewBox and its margins, in SVG user units.
pub const WIDTH: f64 = 640.0;
pub const HEIGHT: f64 = 200.0;
const LEFT: f64 = 60.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 24.0;

/// One line of a chart: `(epoch seconds, value)` points, `None` for a gap.
#[derive(Clone, Debug)]
pub struct Line {
    /// Shown in the legend and the text alternative.
    pub label: String,
    /// CSS class giving the line its colour (`series-1`, `forecast`, …).
    pub class: &'static str,
    pub points: Vec<(i64, Option<f64>)>,
    pub dashed: bool,
}

/// A horizontal reference line (a target, an alert threshold).
#[derive(Clone, Debug)]
pub struct Level {
    pub y: f64,
    pub label: String,
    pub class: &'static str,
}

/// A vertical annotation at an instant (a deploy, a flag change, an alert).
#[derive(Clone, Debug)]
pub struct Marker {
    /// Epoch seconds.
    pub t: i64,
    pub label: String,
    pub class: &'static str,
}

/// Everything a line chart shows.
#[derive(Clone, Debug)]
pub struct LineChart {
    /// Unique within the page: the `<title>`/`<desc>` ids derive from it.
    pub id: String,
    pub title: String,
    /// The text alternative: what the chart shows, in words.
    pub description: String,
    /// Epoch seconds of the left and right edges.
    pub x: (i64, i64),
    /// Values at the bottom and top edges.
    pub y: (f64, f64),
    pub lines: Vec<Line>,
    pub levels: Vec<Level>,
    pub markers: Vec<Marker>,
    /// Writes a y-axis tick label.
    pub y_label: fn(f64) -> String,
}

/// The x coordinate of epoch second `t` in a chart spanning `x`.
pub fn x_of(x: (i64, i64), t: i64) -> f64 {
    let span = (x.1 - x.0).max(1) as f64;
    LEFT + (t - x.0) as f64 / span * (WIDTH - LEFT - RIGHT)
}

/// The y coordinate of `v` in a chart spanning `y`, clamped to the plot.
pub fn y_of(y: (f64, f64), v: f64) -> f64 {
    let span = y.1 - y.0;
    let frac = if span > 0.0 && span.is_finite() {
        ((v - y.0) / span).clamp(0.0, 1.0)
    } else {
        0.5
    };
    TOP + (1.0 - frac) * (HEIGHT - TOP - BOTTOM)
}

/// A y domain holding every finite value and every `must` value, padded by
/// 5 % of its span; a flat or empty domain is widened so it has height.
pub fn domain(values: impl IntoIterator<Item = f64>, must: &[f64]) -> (f64, f64) {
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for v in values.into_iter().chain(must.iter().copied()) {
        if v.is_finite() {
            lo = lo.min(v);
            hi = hi.max(v);
        }
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let span = hi - lo;
    if span <= f64::EPSILON * hi.abs().max(1.0) {
        let pad = (hi.abs() * 0.01).max(1e-6);
        return (lo - pad, hi + pad);
    }
    (lo - span * 0.05, hi + span * 0.05)
}

/// The SVG path of one line: gaps (missing or non-finite values) start a
/// new subpath. Empty when no point is drawable.
pub fn path(x: (i64, i64), y: (f64, f64), points: &[(i64, Option<f64>)]) -> String {
    let mut d = String::new();
    let mut pen_down = false;
    for (t, v) in points {
        match v.filter(|v| v.is_finite()) {
            Some(v) => {
                let cmd = if pen_down { 'L' } else { 'M' };
                let _ = write!(d, "{cmd}{:.1} {:.1}", x_of(x, *t), y_of(y, v));
                pen_down = true;
            }
            None => pen_down = false,
        }
    }
    d
}

/// `YYYY-MM-DD HH:MM` (UTC) of epoch seconds, for axis labels.
fn time_label(t: i64) -> String {
    jiff::Timestamp::from_second(t)
        .map(|ts| ts.strftime("%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// Renders a line chart as an inline `<svg>` inside a `<figure>`.
pub fn line_chart(c: &LineChart) -> String {
    let mut s = String::with_capacity(4096);
    s.push_str("<figure class=\"chart\"><svg class=\"line-chart\" role=\"img\" viewBox=\"0 0 ");
    let _ = write!(s, "{WIDTH} {HEIGHT}\" aria-labelledby=\"");
    push_escaped(&mut s, &c.id);
    s.push_str("-t ");
    push_escaped(&mut s, &c.id);
    s.push_str("-d\"><title id=\"");
    push_escaped(&mut s, &c.id);
    s.push_str("-t\">");
    push_escaped(&mut s, &c.title);
    s.push_str("</title><desc id=\"");
    push_escaped(&mut s, &c.id);
    s.push_str("-d\">");
    push_escaped(&mut s, &c.description);
    s.push_str("</desc>");
    // Plot frame and y ticks.
    let (x0, x1) = (LEFT, WIDTH - RIGHT);
    let _ = write!(
        s,
        "<rect class=\"plot\" x=\"{x0}\" y=\"{TOP}\" width=\"{:.1}\" height=\"{:.1}\"></rect>",
        x1 - x0,
        HEIGHT - TOP - BOTTOM
    );
    for i in 0..=3 {
        let v = c.y.0 + (c.y.1 - c.y.0) * f64::from(i) / 3.0;
        let yy = y_of(c.y, v);
        let _ = write!(
            s,
            "<line class=\"grid\" x1=\"{x0}\" x2=\"{x1}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\"></line><text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">",
            x0 - 4.0,
            yy + 4.0
        );
        push_escaped(&mut s, &(c.y_label)(v));
        s.push_str("</text>");
    }
    for (i, anchor) in [(0, "start"), (1, "middle"), (2, "end")] {
        let t = c.x.0 + (c.x.1 - c.x.0) * i / 2;
        let _ = write!(
            s,
            "<text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\">",
            x_of(c.x, t),
            HEIGHT - 6.0
        );
        push_escaped(&mut s, &time_label(t));
        s.push_str("</text>");
    }
    for l in &c.levels {
        if !l.y.is_finite() {
            continue;
        }
        let yy = y_of(c.y, l.y);
        let _ = write!(
            s,
            "<g class=\"level {}\"><line x1=\"{x0}\" x2=\"{x1}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\"></line><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">",
            l.class,
            x1 - 2.0,
            yy - 3.0
        );
        push_escaped(&mut s, &l.label);
        s.push_str("</text></g>");
    }
    for m in &c.markers {
        if m.t < c.x.0 || m.t > c.x.1 {
            continue;
        }
        let xx = x_of(c.x, m.t);
        let _ = write!(s, "<g class=\"marker {}\"><title>", m.class);
        push_escaped(&mut s, &m.label);
        let _ = write!(
            s,
            "</title><line x1=\"{xx:.1}\" x2=\"{xx:.1}\" y1=\"{TOP}\" y2=\"{:.1}\"></line><text x=\"{:.1}\" y=\"{:.1}\">",
            HEIGHT - BOTTOM,
            xx + 2.0,
            TOP - 4.0
        );
        let short: String = m.label.chars().take(24).collect();
        push_escaped(&mut s, &short);
        s.push_str("</text></g>");
    }
    for l in &c.lines {
        let d = path(c.x, c.y, &l.points);
        if d.is_empty() {
            continue;
        }
        let _ = write!(s, "<path class=\"series {}", l.class);
        if l.dashed {
            s.push_str(" dashed");
        }
        s.push_str("\" d=\"");
        s.push_str(&d);
        s.push_str("\"></path>");
    }
    s.push_str("</svg>");
    if !c.lines.is_empty() {
        s.push_str("<figcaption class=\"legend\">");
        for l in &c.lines {
            let _ = write!(s, "<span class=\"key {}", l.class);
            if l.dashed {
                s.push_str(" dashed");
            }
            s.push_str("\">");
            push_escaped(&mut s, &l.label);
            s.push_str("</span>");
        }
        s.push_str("</figcaption>");
    }
    s.push_str("</figure>");
    s
}

/// A small line of `values` (oldest first) in a 100×24 box, domain 0..1
/// widened to hold every value; `label` is its text alternative.
pub fn sparkline(values: &[Option<f64>], label: &str) -> String {
    const W: f64 = 100.0;
    const H: f64 = 24.0;
    let mut s = String::with_capacity(64 + values.len() * 12);
    s.push_str("<svg class=\"sparkline\" role=\"img\" viewBox=\"0 0 100 24\" aria-label=\"");
    push_escaped(&mut s, label);
    s.push_str("\">");
    let (lo, hi) = domain(values.iter().flatten().copied(), &[0.0, 1.0]);
    let n = values.len();
    let mut d = String::new();
    let mut pen_down = false;
    for (i, v) in values.iter().enumerate() {
        match v.filter(|v| v.is_finite()) {
            Some(v) => {
                let xx = if n > 1 {
                    i as f64 / (n - 1) as f64 * W
                } else {
                    W / 2.0
                };
                let yy = 1.0 + (1.0 - (v - lo) / (hi - lo)) * (H - 2.0);
                let _ = write!(d, "{}{xx:.1} {yy:.1}", if pen_down { 'L' } else { 'M' });
                pen_down = true;
            }
            None => pen_down = false,
        }
    }
    if values.iter().flatten().any(|v| *v < 0.0) {
        let zero = 1.0 + (1.0 - (0.0 - lo) / (hi - lo)) * (H - 2.0);
        let _ = write!(
            s,
            "<line class=\"zero\" x1=\"0\" x2=\"{W}\" y1=\"{zero:.1}\" y2=\"{zero:.1}\"></line>"
        );
    }
    if !d.is_empty() {
        let _ = write!(s, "<path d=\"{d}\"></path>");
    }
    s.push_str("</svg>");
    s
}

/// A horizontal bar filled to `fraction` (clamped to 0..1) of its width,
/// classed `good`, `warn` or `bad` by the fraction (for budget remaining).
pub fn meter(fraction: Option<f64>, label: &str) -> String {
    let f = fraction.filter(|f| f.is_finite());
    let level = match f {
        Some(f) if f >= 0.5 => "good",
        Some(f) if f >= 0.25 => "warn",
        Some(_) => "bad",
        None => "none",
    };
    let width = f.unwrap_or(0.0).clamp(0.0, 1.0) * 100.0;
    let mut s = String::with_capacity(256);
    s.push_str("<svg class=\"meter\" role=\"img\" viewBox=\"0 0 100 8\" preserveAspectRatio=\"none\" aria-label=\"");
    push_escaped(&mut s, label);
    let _ = write!(
        s,
        "\"><rect class=\"track\" x=\"0\" y=\"0\" width=\"100\" height=\"8\"></rect><rect class=\"fill {level}\" x=\"0\" y=\"0\" width=\"{width:.1}\" height=\"8\"></rect></svg>"
    );
    s
}

/// One small bar chart: a bar per `(label, value)`, scaled to the largest
/// value (at least `max`), for small multiples of segments.
pub fn bars(items: &[(String, Option<f64>)], max: f64, title: &str) -> String {
    const ROW: f64 = 16.0;
    const LABEL_W: f64 = 90.0;
    const W: f64 = 240.0;
    let top = items
        .iter()
        .filter_map(|(_, v)| v.filter(|v| v.is_finite()))
        .fold(max, f64::max);
    let h = ROW * items.len().max(1) as f64;
    let mut s = String::with_capacity(256 + items.len() * 160);
    let _ = write!(
        s,
        "<svg class=\"bars\" role=\"img\" viewBox=\"0 0 {W} {h}\" aria-label=\""
    );
    push_escaped(&mut s, title);
    s.push_str("\">");
    for (i, (label, v)) in items.iter().enumerate() {
        let y = ROW * i as f64;
        let frac = match v.filter(|v| v.is_finite()) {
            Some(v) if top > 0.0 => (v / top).clamp(0.0, 1.0),
            _ => 0.0,
        };
        let _ = write!(
            s,
            "<text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">",
            LABEL_W - 4.0,
            y + ROW - 4.0
        );
        let short: String = label.chars().take(14).collect();
        push_escaped(&mut s, &short);
        let _ = write!(
            s,
            "</text><rect class=\"bar\" x=\"{LABEL_W}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\"></rect>",
            y + 2.0,
            frac * (W - LABEL_W),
            ROW - 4.0
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests;
