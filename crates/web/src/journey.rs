//! The journey page (`/journeys/{name}`): the journey's steps in order with
//! their SLOs, the completion rate and time to first meaningful action when
//! the journey names SLOs for them, and the weak link: the step whose SLOs
//! have the least error budget left.

use std::fmt::Write;

use serde_json::Value;

use crate::escape::{push_escaped, url_component};
use crate::format;
use crate::overview::{fastest_burn, headline, remaining};
use crate::page::{self, display_name, field, status_badge, text};
use crate::query::{DetailQuery, at_suffix};

/// What the journey page is rendered from.
#[derive(Clone, Copy, Debug)]
pub struct JourneyInputs<'a> {
    /// One journey of `GET /api/v1/journeys?at=…` (an element of `journeys`).
    pub journey: &'a Value,
    /// The `at` of the journeys document.
    pub at: &'a str,
    /// `GET /api/v1/slos/{completion_slo}?at=…`, when the journey names one.
    pub completion: Option<&'a Value>,
    /// `GET /api/v1/slos/{time_to_first_action_slo}?at=…`, when named.
    pub first_action: Option<&'a Value>,
    pub query: &'a DetailQuery,
}

fn arr(v: Option<&Value>) -> &[Value] {
    v.and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

/// The step with the least budget remaining over its SLOs' headline
/// objectives, with that remaining share; the first such step on a tie,
/// `None` when no step has figures.
pub fn weak_link(journey: &Value) -> Option<(&Value, f64)> {
    let mut best: Option<(&Value, f64)> = None;
    for step in arr(journey.get("steps")) {
        let worst = arr(step.get("slos"))
            .iter()
            .filter_map(|s| headline(s).and_then(remaining))
            .filter(|r| r.is_finite())
            .fold(None, |a: Option<f64>, r| Some(a.map_or(r, |a| a.min(r))));
        if let Some(w) = worst
            && best.is_none_or(|(_, b)| w < b)
        {
            best = Some((step, w));
        }
    }
    best
}

/// Renders the journey page.
pub fn journey_page(i: &JourneyInputs<'_>) -> String {
    let j = i.journey;
    let at_q = at_suffix(i.query.at.as_deref());
    let mut m = String::with_capacity(8192);
    m.push_str("<nav class=\"crumbs\" aria-label=\"Breadcrumb\"><a href=\"/");
    push_escaped(&mut m, &at_q);
    m.push_str("\">Overview</a> › <span aria-current=\"page\">");
    push_escaped(&mut m, display_name(j));
    m.push_str("</span></nav><h1>");
    push_escaped(&mut m, display_name(j));
    m.push_str("</h1>");
    page::paragraph(&mut m, "description", text(j, "description"));
    m.push_str("<dl class=\"figures\"><div><dt>Owner</dt><dd>");
    push_escaped(
        &mut m,
        if text(j, "owner").is_empty() {
            "not set"
        } else {
            text(j, "owner")
        },
    );
    m.push_str("</dd></div><div><dt>Business weight</dt><dd>");
    let weight = j.get("weight").and_then(Value::as_f64);
    field(
        &mut m,
        "weight",
        weight,
        &weight.map_or(format::MISSING.to_string(), |w| format!("{w}")),
    );
    m.push_str("</dd></div>");
    outcome(
        &mut m,
        "Completion rate",
        "completion_rate",
        i.completion,
        text(j, "completion_slo"),
        &at_q,
    );
    outcome(
        &mut m,
        "Time to first meaningful action",
        "time_to_first_action",
        i.first_action,
        text(j, "time_to_first_action_slo"),
        &at_q,
    );
    m.push_str("<div><dt>Weak link</dt><dd>");
    let weak = weak_link(j);
    match weak {
        Some((step, r)) => {
            m.push_str("<span data-field=\"weak_link\" data-step=\"");
            push_escaped(&mut m, text(step, "name"));
            m.push_str("\">");
            push_escaped(&mut m, display_name(step));
            m.push_str("</span> <span class=\"sub\">(");
            field(
                &mut m,
                "weak_link_budget_remaining",
                Some(r),
                &format::budget(Some(r)),
            );
            m.push_str(" of its budget left)</span>");
        }
        None => m.push_str("<span data-field=\"weak_link\" data-step=\"\">no figures yet</span>"),
    }
    m.push_str("</dd></div></dl><h2>Steps</h2><ol class=\"steps\">");
    for step in arr(j.get("steps")) {
        let sname = text(step, "name");
        let is_weak = weak.is_some_and(|(w, _)| std::ptr::eq(w, step));
        m.push_str("<li data-step=\"");
        push_escaped(&mut m, sname);
        m.push('"');
        if is_weak {
            m.push_str(" class=\"weak\"");
        }
        m.push_str("><h3>");
        push_escaped(&mut m, display_name(step));
        if is_weak {
            m.push_str(" <span class=\"badge weak-link\">weak link</span>");
        }
        m.push_str("</h3><table><thead><tr><th scope=\"col\">Status</th><th scope=\"col\">SLO</th><th scope=\"col\">SLI / target</th><th scope=\"col\">Budget remaining</th><th scope=\"col\">Fastest burn</th></tr></thead><tbody>");
        for s in arr(step.get("slos")) {
            let head = headline(s);
            let num = |p: &str| head.and_then(|h| h.pointer(p)).and_then(Value::as_f64);
            m.push_str("<tr data-slo=\"");
            push_escaped(&mut m, text(s, "name"));
            m.push_str("\"><td>");
            status_badge(&mut m, text(s, "status"));
            m.push_str("</td><th scope=\"row\">");
            page::link(
                &mut m,
                &format!("/slos/{}{}", url_component(text(s, "name")), at_q),
                text(s, "name"),
            );
            m.push_str("</th><td class=\"num\">");
            field(
                &mut m,
                "sli",
                num("/sli/value"),
                &format::sli(num("/sli/value")),
            );
            m.push_str(" / ");
            field(
                &mut m,
                "target",
                num("/target"),
                &format::sli(num("/target")),
            );
            m.push_str("</td><td class=\"num\">");
            let r = head.and_then(remaining);
            m.push_str(&crate::chart::meter(
                r,
                &format!("{} of the error budget remaining", format::budget(r)),
            ));
            field(&mut m, "budget_remaining", r, &format::budget(r));
            m.push_str("</td><td class=\"num\">");
            let b = head.and_then(fastest_burn);
            field(
                &mut m,
                "burn_fastest",
                b.map(|x| x.1),
                &format::burn(b.map(|x| x.1)),
            );
            if let Some((label, _)) = b {
                let _ = write!(
                    m,
                    " <span class=\"sub\">over {}</span>",
                    crate::escape::escape(label)
                );
            }
            m.push_str("</td></tr>");
        }
        m.push_str("</tbody></table></li>");
    }
    m.push_str("</ol>");
    page::shell(display_name(j), i.at, &at_q, &m)
}

/// A journey outcome measured by an SLO: its headline SLI and target.
fn outcome(m: &mut String, label: &str, key: &str, slo: Option<&Value>, name: &str, at_q: &str) {
    let _ = write!(m, "<div><dt>{label}</dt><dd>");
    match slo {
        Some(s) => {
            let head = headline(s);
            let num = |p: &str| head.and_then(|h| h.pointer(p)).and_then(Value::as_f64);
            field(m, key, num("/sli/value"), &format::sli(num("/sli/value")));
            m.push_str(" <span class=\"sub\">target ");
            field(
                m,
                &format!("{key}_target"),
                num("/target"),
                &format::sli(num("/target")),
            );
            m.push_str(", ");
            let what = head
                .map(display_name)
                .filter(|d| !d.is_empty())
                .unwrap_or(name);
            page::link(
                m,
                &format!("/slos/{}{}", url_component(text(s, "name")), at_q),
                what,
            );
            m.push_str("</span>");
        }
        None if name.is_empty() => m.push_str("not defined for this journey"),
        None => {
            m.push_str("no figures: SLO ");
            push_escaped(m, name);
            m.push_str(" is not loaded");
        }
    }
    m.push_str("</dd></div>");
}

#[cfg(test)]
mod tests;
