//! The SLO page (`/slos/{name}`): the SLO's figures per objective, the SLI
//! over time against its target, the error-budget burn-down with a forecast
//! to exhaustion, burn rates against the scaled alert thresholds, the
//! segment drill-down (table and small multiples), exemplars, annotations
//! (deploys, flag changes, alerts) on every chart, the SLO's documentation,
//! owners and escalation path, and a time picker whose state is the URL.
//!
//! Figures come from the API documents passed in; the forecast line is
//! drawn from the API's remaining budget and time to exhaustion, not
//! computed afresh.

use std::fmt::Write;

use jiff::Timestamp;
use serde_json::Value;

use crate::chart::{self, Level, Line, LineChart, Marker};
use crate::escape::{escape, push_escaped, url_component};
use crate::format;
use crate::overview::active_alerts;
use crate::page::{self, display_name, field, status_badge, text, text_field};
use crate::query::{DetailQuery, TimeRange, at_suffix};

/// What the SLO page is rendered from; the optional documents come from
/// subsystems that may not be running (the page says so when absent).
#[derive(Clone, Copy, Debug)]
pub struct DetailInputs<'a> {
    /// `GET /api/v1/slos/{name}?at=…&history=N`.
    pub slo: &'a Value,
    /// `GET /api/v1/slos/{name}/series?at=…&range=…`.
    pub series: &'a Value,
    /// `GET /api/v1/slos/{name}/segments?at=…`.
    pub segments: &'a Value,
    /// `GET /api/v1/slos/{name}/exemplars?at=…&from=…&to=…`.
    pub exemplars: &'a Value,
    pub alerts: Option<&'a Value>,
    pub changes: Option<&'a Value>,
    pub policy: Option<&'a Value>,
    pub query: &'a DetailQuery,
}

/// Epoch seconds of an RFC 3339 text.
pub fn epoch(rfc3339: &str) -> Option<i64> {
    rfc3339.parse::<Timestamp>().ok().map(|t| t.as_second())
}

fn arr(v: Option<&Value>) -> &[Value] {
    v.and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

/// Annotation markers for the SLO whose service is `service`: changes to
/// that service (or to no particular service) and this SLO's alerts.
pub fn markers(
    changes: Option<&Value>,
    alerts: Option<&Value>,
    slo: &str,
    service: &str,
) -> Vec<Marker> {
    let mut out = Vec::new();
    for c in arr(changes.and_then(|c| c.get("changes"))) {
        let svc = text(c, "service");
        if !svc.is_empty() && svc != service {
            continue;
        }
        let Some(t) = epoch(text(c, "time")) else {
            continue;
        };
        let kind = text(c, "kind");
        let what = match kind {
            "deploy" => format!("deploy {} {}", svc, text(c, "version")),
            "flag" => format!("flag {}", text(c, "flag")),
            _ => format!("{kind} {}", text(c, "description")),
        };
        out.push(Marker {
            t,
            label: what.split_whitespace().collect::<Vec<_>>().join(" "),
            class: match kind {
                "deploy" => "deploy",
                "flag" => "flag",
                _ => "config",
            },
        });
    }
    for a in arr(alerts.and_then(|a| a.get("alerts"))) {
        if text(a, "slo") != slo {
            continue;
        }
        let Some(t) = epoch(text(a, "since")) else {
            continue;
        };
        out.push(Marker {
            t,
            label: format!(
                "{} {} {}",
                text(a, "severity"),
                text(a, "kind"),
                text(a, "state")
            ),
            class: "alert",
        });
    }
    out.sort_by_key(|m| m.t);
    out
}

/// Minutes of a window label (`5m`, `6h`, `3d`), for ordering windows by
/// length; unknown labels sort last.
pub fn label_minutes(label: &str) -> i64 {
    let (n, unit) = label.split_at(label.len().saturating_sub(1));
    let per = match unit {
        "m" => 1,
        "h" => 60,
        "d" => 1440,
        "w" => 10080,
        _ => return i64::MAX,
    };
    n.parse::<i64>().map_or(i64::MAX, |n| n.saturating_mul(per))
}

fn points(list: &[Value], key: &str) -> Vec<(i64, Option<f64>)> {
    list.iter()
        .filter_map(|p| Some((epoch(text(p, "t"))?, p.get(key).and_then(Value::as_f64))))
        .collect()
}

/// Renders the SLO page.
pub fn detail_page(i: &DetailInputs<'_>) -> String {
    let s = i.slo;
    let name = text(s, "name");
    let service = text(s, "service");
    let at_q = at_suffix(i.query.at.as_deref());
    let at = text(i.series, "at");
    let marks = markers(i.changes, i.alerts, name, service);
    let mut m = String::with_capacity(32 * 1024);
    m.push_str("<nav class=\"crumbs\" aria-label=\"Breadcrumb\"><a href=\"/");
    push_escaped(&mut m, &at_q);
    m.push_str("\">Overview</a> › <span aria-current=\"page\">");
    push_escaped(&mut m, display_name(s));
    m.push_str("</span></nav><h1>");
    push_escaped(&mut m, display_name(s));
    m.push(' ');
    status_badge(&mut m, text(s, "status"));
    m.push_str("</h1><p class=\"sub\">");
    text_field(&mut m, "name", name);
    m.push_str(" · service ");
    text_field(&mut m, "service", service);
    m.push_str(" · ");
    push_escaped(&mut m, text(s, "budgeting_method"));
    m.push_str(" over ");
    push_escaped(
        &mut m,
        s.pointer("/window/duration")
            .and_then(Value::as_str)
            .unwrap_or(""),
    );
    if s.pointer("/window/rolling").and_then(Value::as_bool) == Some(false) {
        m.push_str(" (calendar");
        if let Some(tz) = s.pointer("/window/time_zone").and_then(Value::as_str) {
            m.push_str(", ");
            push_escaped(&mut m, tz);
        }
        m.push(')');
    } else {
        m.push_str(" (rolling)");
    }
    m.push_str("</p>");
    page::paragraph(&mut m, "description", text(s, "description"));
    time_picker(&mut m, name, i.query);
    alerts_section(&mut m, i.alerts, name);
    policy_section(&mut m, i.policy);
    if let Some(c) = s.get("composite").filter(|c| c.is_object()) {
        m.push_str("<section class=\"objective\" data-objective=\"composite\"><h2>Composite of all objectives</h2>");
        figures(&mut m, c, None);
        m.push_str("</section>");
    }
    for (n, o) in arr(s.get("objectives")).iter().enumerate() {
        objective_section(&mut m, i, o, n, &marks, at);
    }
    segments_section(&mut m, i.segments);
    exemplars_section(&mut m, i.exemplars);
    changes_section(&mut m, i.changes, service);
    documentation_section(&mut m, s);
    page::shell(display_name(s), at, &at_q, &m)
}

fn time_picker(m: &mut String, name: &str, q: &DetailQuery) {
    let base = format!("/slos/{}", url_component(name));
    m.push_str("<form class=\"picker\" method=\"get\" action=\"");
    push_escaped(m, &base);
    m.push_str("\" aria-label=\"Time\"><label>At <input type=\"text\" name=\"at\" value=\"");
    push_escaped(m, q.at.as_deref().unwrap_or(""));
    m.push_str("\" placeholder=\"now, or 2026-11-27T12:00:00Z\" size=\"26\"></label> <label>Range <select name=\"range\">");
    let mut ranges = TimeRange::PRESETS.to_vec();
    if !ranges.contains(&q.range) {
        ranges.push(q.range);
    }
    for r in ranges {
        let _ = write!(
            m,
            "<option value=\"{r}\"{}>{r}</option>",
            if r == q.range { " selected" } else { "" }
        );
    }
    m.push_str("</select></label> <button type=\"submit\">Show</button> <span class=\"quick\">");
    for r in TimeRange::PRESETS {
        let mut href = format!("{base}?range={r}");
        if let Some(at) = &q.at {
            href.push_str("&at=");
            href.push_str(&url_component(at));
        }
        page::link(m, &href, &format!("last {r}"));
        m.push(' ');
    }
    page::link(m, &format!("{base}?range={}", q.range), "now");
    m.push_str("</span></form>");
}

fn alerts_section(m: &mut String, alerts: Option<&Value>, slo: &str) {
    m.push_str(
        "<section class=\"alerts\" aria-labelledby=\"alerts-h\"><h2 id=\"alerts-h\">Alerts</h2>",
    );
    let Some(doc) = alerts else {
        m.push_str("<p class=\"note\">Alert state is not available on this server.</p></section>");
        return;
    };
    let active = active_alerts(Some(doc), slo);
    if active.is_empty() {
        m.push_str("<p data-field=\"alerts\" data-value=\"0\">No alerts.</p></section>");
        return;
    }
    let _ = write!(
        m,
        "<ul data-field=\"alerts\" data-value=\"{}\">",
        active.len()
    );
    for a in active {
        let _ = write!(m, "<li class=\"alert {}\">", escape(text(a, "state")));
        let _ = write!(
            m,
            "<strong>{} {}</strong> ({}) since {}: {}",
            escape(text(a, "severity")),
            escape(text(a, "state")),
            escape(text(a, "kind")),
            escape(&format::instant(text(a, "since"))),
            escape(text(a, "summary"))
        );
        m.push_str("</li>");
    }
    m.push_str("</ul></section>");
}

fn policy_section(m: &mut String, policy: Option<&Value>) {
    let Some(p) = policy.and_then(|p| p.get("policy")) else {
        return;
    };
    m.push_str("<section class=\"policy\" aria-labelledby=\"policy-h\"><h2 id=\"policy-h\">Budget policy</h2><dl>");
    for (label, key) in [
        ("Policy", "name"),
        ("State", "state"),
        ("Releases", "releases"),
        ("Escalation owner", "escalation_owner"),
    ] {
        let _ = write!(m, "<dt>{label}</dt><dd>");
        text_field(m, &format!("policy_{key}"), text(p, key));
        m.push_str("</dd>");
    }
    let pm = p
        .get("postmortem_required")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let _ = write!(
        m,
        "<dt>Postmortem</dt><dd>{}</dd></dl>",
        if pm { "required" } else { "not required" }
    );
    let reasons = arr(p.get("reasons"));
    if !reasons.is_empty() {
        m.push_str("<ul>");
        for r in reasons {
            m.push_str("<li>");
            push_escaped(m, r.as_str().unwrap_or(""));
            m.push_str("</li>");
        }
        m.push_str("</ul>");
    }
    m.push_str("</section>");
}

/// The headline figures of an objective (or the composite).
fn figures(m: &mut String, o: &Value, tte_text: Option<&str>) {
    let num = |p: &str| o.pointer(p).and_then(Value::as_f64);
    m.push_str("<dl class=\"figures\">");
    m.push_str("<div><dt>SLI</dt><dd>");
    field(m, "sli", num("/sli/value"), &format::sli(num("/sli/value")));
    m.push_str("</dd></div><div><dt>Target</dt><dd>");
    field(m, "target", num("/target"), &format::sli(num("/target")));
    m.push_str("</dd></div><div><dt>Budget remaining</dt><dd>");
    let rem = num("/error_budget/remaining");
    m.push_str(&chart::meter(
        rem,
        &format!("{} of the error budget remaining", format::budget(rem)),
    ));
    field(m, "budget_remaining", rem, &format::budget(rem));
    m.push_str("</dd></div><div><dt>Budget consumed</dt><dd>");
    field(
        m,
        "budget_consumed",
        num("/error_budget/consumed"),
        &format::count(num("/error_budget/consumed")),
    );
    m.push_str(" of ");
    field(
        m,
        "budget_total",
        num("/error_budget/total"),
        &format::count(num("/error_budget/total")),
    );
    m.push_str("</dd></div><div><dt>Exhausted in</dt><dd>");
    let tte = num("/time_to_exhaustion_s");
    let tte_words = match tte {
        Some(_) => format::duration_s(tte),
        None => "not burning".to_string(),
    };
    field(m, "time_to_exhaustion_s", tte, &tte_words);
    if let Some(extra) = tte_text {
        m.push_str(" <span class=\"sub\">");
        push_escaped(m, extra);
        m.push_str("</span>");
    }
    m.push_str("</dd></div><div><dt>Events</dt><dd>");
    field(
        m,
        "good",
        num("/sli/good"),
        &format::count(num("/sli/good")),
    );
    m.push_str(" good of ");
    field(
        m,
        "total",
        num("/sli/total"),
        &format::count(num("/sli/total")),
    );
    m.push_str("</dd></div></dl>");
    if let Some(burns) = o.get("burn_rates").and_then(Value::as_object) {
        m.push_str("<table class=\"burns\"><caption>Burn rates (1× spends the budget exactly over the window)</caption><thead><tr>");
        let mut burns: Vec<(&String, &Value)> = burns.iter().collect();
        burns.sort_by_key(|(k, _)| label_minutes(k));
        for (k, _) in &burns {
            m.push_str("<th scope=\"col\">");
            push_escaped(m, k);
            m.push_str("</th>");
        }
        m.push_str("</tr></thead><tbody><tr>");
        for (k, v) in burns {
            m.push_str("<td class=\"num\" data-window=\"");
            push_escaped(m, k);
            m.push_str("\">");
            let v = v.as_f64();
            field(m, "burn_rate", v, &format::burn(v));
            m.push_str("</td>");
        }
        m.push_str("</tr></tbody></table>");
    }
}

fn objective_section(
    m: &mut String,
    i: &DetailInputs<'_>,
    o: &Value,
    n: usize,
    marks: &[Marker],
    at: &str,
) {
    let oname = text(o, "name");
    m.push_str("<section class=\"objective\" data-objective=\"");
    push_escaped(m, oname);
    m.push_str("\"><h2>");
    push_escaped(m, display_name(o));
    m.push(' ');
    status_badge(m, text(o, "status"));
    m.push_str("</h2>");
    if let Some(err) = o.get("error").and_then(Value::as_str) {
        m.push_str("<p class=\"error\" data-field=\"error\">");
        push_escaped(m, err);
        m.push_str("</p></section>");
        return;
    }
    let at_s = epoch(at).or_else(|| epoch(text(i.slo, "at")));
    let tte = o
        .get("time_to_exhaustion_s")
        .and_then(Value::as_f64)
        .filter(|x| x.is_finite());
    let exhaust_at = match (at_s, tte) {
        (Some(a), Some(t)) if t > 0.0 && t < 1e12 => Timestamp::from_second(a + t as i64)
            .ok()
            .map(|ts| format!("forecast: exhausted {}", format::instant(&ts.to_string()))),
        _ => None,
    };
    figures(m, o, exhaust_at.as_deref());
    let id = format!("o{n}");

    // SLI over the chosen range.
    let series = arr(i.series.get("objectives"))
        .iter()
        .find(|x| text(x, "name") == oname);
    let range = (epoch(text(i.series, "from")), epoch(text(i.series, "to")));
    let target = o.get("target").and_then(Value::as_f64);
    if let (Some(sr), (Some(x0), Some(x1))) = (series, range) {
        let sli_points = points(arr(sr.get("sli")), "value");
        let y = chart::domain(
            sli_points.iter().filter_map(|p| p.1),
            &[target.unwrap_or(1.0), 1.0],
        );
        let y = (y.0, y.1.min(1.0).max(y.0 + 1e-6));
        let worst = sli_points
            .iter()
            .filter_map(|p| p.1)
            .filter(|v| v.is_finite())
            .fold(None, |a: Option<f64>, v| Some(a.map_or(v, |a| a.min(v))));
        m.push_str("<h3>SLI against the target</h3>");
        m.push_str(&chart::line_chart(&LineChart {
            id: format!("{id}-sli"),
            title: format!("SLI of {} over the last {}", display_name(o), i.query.range),
            description: format!(
                "SLI per {} min step; target {}; lowest step {}; {} annotations.",
                i.series
                    .get("step_minutes")
                    .and_then(Value::as_i64)
                    .unwrap_or(0),
                format::sli(target),
                format::sli(worst),
                marks.iter().filter(|mk| mk.t >= x0 && mk.t <= x1).count()
            ),
            x: (x0, x1),
            y,
            lines: vec![Line {
                label: "SLI per step".into(),
                class: "series-1",
                points: sli_points.clone(),
                dashed: false,
            }],
            levels: target
                .map(|t| {
                    vec![Level {
                        y: t,
                        label: format!("target {}", format::sli(Some(t))),
                        class: "target",
                    }]
                })
                .unwrap_or_default(),
            markers: marks.to_vec(),
            y_label: |v| format::percent(Some(v), 2),
        }));

        // Burn rates against the alert thresholds.
        let burn_lines: Vec<Line> = sr
            .get("burn_rates")
            .and_then(Value::as_object)
            .map(|b| {
                let mut b: Vec<(&String, &Value)> = b.iter().collect();
                b.sort_by_key(|(k, _)| label_minutes(k));
                b.into_iter()
                    .enumerate()
                    .map(|(k, (label, pts))| Line {
                        label: format!("burn over {label}"),
                        class: ["series-1", "series-2", "series-3", "series-4"][k % 4],
                        points: points(arr(Some(pts)), "value"),
                        dashed: false,
                    })
                    .collect()
            })
            .unwrap_or_default();
        let levels: Vec<Level> = arr(sr.get("thresholds"))
            .iter()
            .filter_map(|t| {
                let f = t.get("factor").and_then(Value::as_f64)?;
                Some(Level {
                    y: f,
                    label: format!(
                        "{} {} {}",
                        text(t, "severity"),
                        text(t, "long"),
                        format::burn(Some(f))
                    ),
                    class: if text(t, "severity") == "page" {
                        "page"
                    } else {
                        "ticket"
                    },
                })
            })
            .collect();
        let y = chart::domain(
            burn_lines
                .iter()
                .flat_map(|l| l.points.iter().filter_map(|p| p.1)),
            &levels.iter().map(|l| l.y).chain([0.0]).collect::<Vec<_>>(),
        );
        m.push_str("<h3>Burn rates against the alert thresholds</h3>");
        let mut thresholds_text = String::new();
        for l in &levels {
            let _ = write!(thresholds_text, "{}; ", l.label);
        }
        m.push_str(&chart::line_chart(&LineChart {
            id: format!("{id}-burn"),
            title: format!(
                "Burn rates of {} over the last {}",
                display_name(o),
                i.query.range
            ),
            description: format!("Burn rate over each alert window; thresholds: {thresholds_text}"),
            x: (x0, x1),
            y: (y.0.max(0.0), y.1),
            lines: burn_lines.clone(),
            levels,
            markers: marks.to_vec(),
            y_label: |v| format!("{v:.1}×"),
        }));
        data_table(m, &sli_points, &burn_lines);
    }

    // Budget burn-down over the window, with the forecast to exhaustion.
    let hist = points(arr(o.get("budget_history")), "remaining");
    if let (Some(first), Some(last)) = (hist.first(), hist.last()) {
        let span = (last.0 - first.0).max(60);
        let x = (first.0, last.0 + span / 4);
        let rem = o.pointer("/error_budget/remaining").and_then(Value::as_f64);
        let mut lines = vec![Line {
            label: "budget remaining".into(),
            class: "series-1",
            points: hist.clone(),
            dashed: false,
        }];
        if let (Some(r), Some(t)) = (rem, tte.filter(|t| *t > 0.0)) {
            // Straight line from now to zero at the forecast instant, cut
            // at the chart's right edge.
            let end = last.0 as f64 + t;
            let (xe, ye) = if end <= x.1 as f64 {
                (end as i64, 0.0)
            } else {
                (x.1, r * (1.0 - (x.1 - last.0) as f64 / t))
            };
            lines.push(Line {
                label: "forecast at the 1 h burn rate".into(),
                class: "forecast",
                points: vec![(last.0, Some(r)), (xe, Some(ye))],
                dashed: true,
            });
        }
        let y = chart::domain(hist.iter().filter_map(|p| p.1), &[0.0, 1.0]);
        m.push_str("<h3>Error budget burn-down</h3>");
        m.push_str(&chart::line_chart(&LineChart {
            id: format!("{id}-budget"),
            title: format!(
                "Error budget remaining of {} over the window",
                display_name(o)
            ),
            description: format!(
                "Budget remaining from {} to {}; {}.",
                format::budget(hist.iter().find_map(|p| p.1)),
                format::budget(rem),
                exhaust_at
                    .as_deref()
                    .unwrap_or("no exhaustion forecast at the current burn rate")
            ),
            x,
            y,
            lines,
            levels: vec![Level {
                y: 0.0,
                label: "exhausted".into(),
                class: "target",
            }],
            markers: marks.to_vec(),
            y_label: |v| format::percent(Some(v), 0),
        }));
    }
    m.push_str("</section>");
}

fn data_table(m: &mut String, sli: &[(i64, Option<f64>)], burns: &[Line]) {
    m.push_str("<details class=\"data\"><summary>The numbers behind these charts</summary><table><thead><tr><th scope=\"col\">Step (UTC)</th><th scope=\"col\">SLI</th>");
    for l in burns {
        m.push_str("<th scope=\"col\">");
        push_escaped(m, &l.label);
        m.push_str("</th>");
    }
    m.push_str("</tr></thead><tbody>");
    for (k, (t, v)) in sli.iter().enumerate() {
        let when = Timestamp::from_second(*t)
            .map(|ts| ts.to_string())
            .unwrap_or_default();
        let _ = write!(
            m,
            "<tr><th scope=\"row\">{}</th><td>{}</td>",
            escape(&format::instant(&when)),
            escape(&format::sli(*v))
        );
        for l in burns {
            let b = l.points.get(k).and_then(|p| p.1);
            let _ = write!(m, "<td>{}</td>", escape(&format::burn(b)));
        }
        m.push_str("</tr>");
    }
    m.push_str("</tbody></table></details>");
}

fn segments_section(m: &mut String, segs: &Value) {
    m.push_str("<section class=\"segments\" aria-labelledby=\"seg-h\"><h2 id=\"seg-h\">Segments by budget consumed</h2>");
    let mut any = false;
    for o in arr(segs.get("objectives")) {
        for d in arr(o.get("dimensions")) {
            any = true;
            let dim = text(d, "dimension");
            let list = arr(d.get("segments"));
            m.push_str("<div class=\"dimension\" data-objective=\"");
            push_escaped(m, text(o, "name"));
            m.push_str("\" data-dimension=\"");
            push_escaped(m, dim);
            m.push_str("\"><h3>");
            push_escaped(m, dim);
            m.push_str("</h3>");
            let items: Vec<(String, Option<f64>)> = list
                .iter()
                .map(|s| {
                    (
                        text(s, "value").to_string(),
                        s.get("share_of_consumed").and_then(Value::as_f64),
                    )
                })
                .collect();
            m.push_str(&chart::bars(
                &items,
                0.0,
                &format!("Share of budget consumed by {dim}"),
            ));
            m.push_str("<table><caption>");
            push_escaped(m, dim);
            m.push_str(", most budget consumed first</caption><thead><tr><th scope=\"col\">Value</th><th scope=\"col\">Status</th><th scope=\"col\">SLI</th><th scope=\"col\">Budget remaining</th><th scope=\"col\">Consumed</th><th scope=\"col\">Share of consumed</th><th scope=\"col\">Burn 1h</th></tr></thead><tbody>");
            for s in list {
                let num = |p: &str| s.pointer(p).and_then(Value::as_f64);
                m.push_str("<tr data-segment=\"");
                push_escaped(m, text(s, "value"));
                m.push_str("\"><th scope=\"row\">");
                push_escaped(m, text(s, "value"));
                m.push_str("</th><td>");
                status_badge(m, text(s, "status"));
                m.push_str("</td><td class=\"num\">");
                field(
                    m,
                    "segment_sli",
                    num("/sli/value"),
                    &format::sli(num("/sli/value")),
                );
                m.push_str("</td><td class=\"num\">");
                field(
                    m,
                    "segment_budget_remaining",
                    num("/error_budget/remaining"),
                    &format::budget(num("/error_budget/remaining")),
                );
                m.push_str("</td><td class=\"num\">");
                field(
                    m,
                    "segment_budget_consumed",
                    num("/error_budget/consumed"),
                    &format::count(num("/error_budget/consumed")),
                );
                m.push_str("</td><td class=\"num\">");
                field(
                    m,
                    "segment_share",
                    num("/share_of_consumed"),
                    &format::budget(num("/share_of_consumed")),
                );
                m.push_str("</td><td class=\"num\">");
                field(
                    m,
                    "segment_burn_1h",
                    num("/burn_rates/1h"),
                    &format::burn(num("/burn_rates/1h")),
                );
                m.push_str("</td></tr>");
            }
            m.push_str("</tbody></table></div>");
        }
    }
    if !any {
        m.push_str("<p class=\"note\">No segments: this SLO's SLI has no configured dimensions, or no data.</p>");
    }
    m.push_str("</section>");
}

fn exemplars_section(m: &mut String, ex: &Value) {
    m.push_str("<section class=\"exemplars\" aria-labelledby=\"ex-h\"><h2 id=\"ex-h\">Exemplars: bad events</h2>");
    let mut any = false;
    for o in arr(ex.get("objectives")) {
        let list = arr(o.get("exemplars"));
        if list.is_empty() {
            continue;
        }
        any = true;
        m.push_str("<table data-objective=\"");
        push_escaped(m, text(o, "name"));
        m.push_str("\"><caption>Newest first, ");
        push_escaped(m, &format::instant(text(ex, "from")));
        m.push_str(" to ");
        push_escaped(m, &format::instant(text(ex, "to")));
        m.push_str("</caption><thead><tr><th scope=\"col\">Time (UTC)</th><th scope=\"col\">Trace</th><th scope=\"col\">Event</th><th scope=\"col\">Status</th><th scope=\"col\">Duration</th><th scope=\"col\">Attributes</th></tr></thead><tbody>");
        for e in list {
            m.push_str("<tr><td>");
            push_escaped(m, &format::instant(text(e, "time")));
            m.push_str("</td><td><code>");
            text_field(m, "trace_id", text(e, "trace_id"));
            m.push_str("</code></td><td>");
            push_escaped(m, text(e, "name"));
            m.push_str("</td><td>");
            push_escaped(m, text(e, "status"));
            m.push_str("</td><td class=\"num\">");
            if let Some(d) = e
                .get("duration_ms")
                .and_then(Value::as_f64)
                .filter(|d| d.is_finite())
            {
                let _ = write!(m, "{d:.1} ms");
            } else {
                m.push_str(format::MISSING);
            }
            m.push_str("</td><td class=\"attrs\">");
            if let Some(attrs) = e.get("attributes").and_then(Value::as_object) {
                for (k, v) in attrs {
                    m.push_str("<span class=\"attr\">");
                    push_escaped(m, k);
                    m.push('=');
                    push_escaped(m, v.as_str().unwrap_or(""));
                    m.push_str("</span> ");
                }
            }
            m.push_str("</td></tr>");
        }
        m.push_str("</tbody></table>");
    }
    if !any {
        m.push_str("<p class=\"note\">No bad events were sampled in this range.</p>");
    }
    m.push_str("</section>");
}

fn changes_section(m: &mut String, changes: Option<&Value>, service: &str) {
    m.push_str("<section class=\"changes\" aria-labelledby=\"ch-h\"><h2 id=\"ch-h\">Changes</h2>");
    let Some(doc) = changes else {
        m.push_str(
            "<p class=\"note\">Change events are not available on this server.</p></section>",
        );
        return;
    };
    let list: Vec<&Value> = arr(doc.get("changes"))
        .iter()
        .filter(|c| text(c, "service").is_empty() || text(c, "service") == service)
        .collect();
    if list.is_empty() {
        m.push_str("<p>No changes recorded for this service.</p></section>");
        return;
    }
    m.push_str("<ul>");
    for c in list {
        let _ = write!(m, "<li class=\"change {}\">", escape(text(c, "kind")));
        push_escaped(m, &format::instant(text(c, "time")));
        m.push_str(" <strong>");
        push_escaped(m, text(c, "kind"));
        m.push_str("</strong> ");
        for key in ["version", "flag", "environment"] {
            if !text(c, key).is_empty() {
                push_escaped(m, text(c, key));
                m.push(' ');
            }
        }
        push_escaped(m, text(c, "description"));
        if !text(c, "author").is_empty() {
            m.push_str(" by ");
            push_escaped(m, text(c, "author"));
        }
        let link = text(c, "link");
        if !link.is_empty() {
            m.push(' ');
            page::link(m, link, "details");
        }
        m.push_str("</li>");
    }
    m.push_str("</ul></section>");
}

fn documentation_section(m: &mut String, s: &Value) {
    m.push_str("<section class=\"docs\" aria-labelledby=\"doc-h\"><h2 id=\"doc-h\">About this SLO</h2><dl>");
    if let Some(ind) = s.get("indicator") {
        for (label, key) in [
            ("Why it matters", "why"),
            ("How it is collected", "how"),
            ("Acceptable variation", "acceptable_variation"),
        ] {
            let _ = write!(m, "<dt>{label}</dt><dd>");
            let t = text(ind, key);
            push_escaped(m, if t.is_empty() { "not documented" } else { t });
            m.push_str("</dd>");
        }
    }
    let owner = s.get("owner").cloned().unwrap_or(Value::Null);
    for (label, key) in [
        ("Owner team", "team"),
        ("Reliability champion", "champion"),
        ("Review cadence", "review_cadence"),
        ("Last reviewed", "last_reviewed"),
    ] {
        let _ = write!(m, "<dt>{label}</dt><dd>");
        let t = text(&owner, key);
        text_field(
            m,
            &format!("owner_{key}"),
            if t.is_empty() { "not set" } else { t },
        );
        m.push_str("</dd>");
    }
    m.push_str("<dt>Escalation path</dt><dd>");
    let esc = arr(owner.get("escalation"));
    if esc.is_empty() {
        m.push_str("not set");
    } else {
        m.push_str("<ol class=\"escalation\">");
        for e in esc {
            m.push_str("<li>");
            push_escaped(m, e.as_str().unwrap_or(""));
            m.push_str("</li>");
        }
        m.push_str("</ol>");
    }
    m.push_str("</dd></dl></section>");
}

#[cfg(test)]
mod tests;
