//! The overview page (`/`): every SLO at a glance, grouped by the journeys
//! that use it, with status, SLI against target, budget remaining, the
//! fastest burn, a budget sparkline, alert badge and owner; filters, search
//! and sort as query parameters (the script applies the same filters
//! client-side as you type). Rows that do not match the filters are
//! rendered `hidden`, so the script can show them again without a reload.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt::Write;

use serde_json::Value;

use crate::chart;
use crate::escape::{escape, push_escaped, url_component};
use crate::format;
use crate::page::{self, display_name, field, status_badge, status_rank, text};
use crate::query::{OverviewQuery, Sort, at_suffix};

/// What the overview is rendered from.
#[derive(Clone, Copy, Debug)]
pub struct OverviewInputs<'a> {
    /// `GET /api/v1/slos?at=…&history=N` (the sparklines use the history).
    pub slos: &'a Value,
    /// `GET /api/v1/journeys?at=…`.
    pub journeys: &'a Value,
    /// The alerts document, when alerting is wired.
    pub alerts: Option<&'a Value>,
    pub query: &'a OverviewQuery,
}

/// The objective an SLO's row shows: the composite when the SLO has one,
/// else the objective with the least budget remaining (objectives without
/// figures last), so a row never hides the objective in worst shape.
pub fn headline(slo: &Value) -> Option<&Value> {
    if let Some(c) = slo.get("composite").filter(|c| c.is_object()) {
        return Some(c);
    }
    let objectives = slo.get("objectives")?.as_array()?;
    objectives.iter().min_by(|a, b| {
        let ra = remaining(a).unwrap_or(f64::INFINITY);
        let rb = remaining(b).unwrap_or(f64::INFINITY);
        ra.total_cmp(&rb)
    })
}

/// Remaining budget share of an objective document.
pub fn remaining(objective: &Value) -> Option<f64> {
    objective
        .pointer("/error_budget/remaining")
        .and_then(Value::as_f64)
}

/// The fastest of an objective's reported burn rates, with its window label.
pub fn fastest_burn(objective: &Value) -> Option<(&str, f64)> {
    objective
        .get("burn_rates")?
        .as_object()?
        .iter()
        .filter_map(|(k, v)| {
            v.as_f64()
                .filter(|x| x.is_finite())
                .map(|x| (k.as_str(), x))
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))
}

/// Active (not resolved) alerts of the SLO named `slo`.
pub fn active_alerts<'a>(alerts: Option<&'a Value>, slo: &str) -> Vec<&'a Value> {
    alerts
        .and_then(|a| a.get("alerts"))
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter(|a| text(a, "slo") == slo && text(a, "state") != "resolved")
                .collect()
        })
        .unwrap_or_default()
}

struct Row<'a> {
    /// Position in spec order, so the script can restore it.
    order: usize,
    slo: &'a Value,
    name: &'a str,
    status: &'a str,
    head: Option<&'a Value>,
    budget: Option<f64>,
    burn: Option<(&'a str, f64)>,
    visible: bool,
}

fn matches(q: &OverviewQuery, slo: &Value) -> bool {
    let eq = |want: &str, have: &str| want.is_empty() || want == have;
    let owner = slo
        .pointer("/owner/team")
        .and_then(Value::as_str)
        .unwrap_or("");
    eq(&q.service, text(slo, "service"))
        && eq(&q.owner, owner)
        && eq(&q.status, text(slo, "status"))
        && (q.q.trim().is_empty() || search_text(slo).contains(&q.q.trim().to_lowercase()))
}

/// What the search box searches: names, display name, service and owner, lowercased.
fn search_text(slo: &Value) -> String {
    let owner = slo
        .pointer("/owner/team")
        .and_then(Value::as_str)
        .unwrap_or("");
    format!(
        "{} {} {} {}",
        text(slo, "name"),
        text(slo, "display_name"),
        text(slo, "service"),
        owner
    )
    .to_lowercase()
}

fn sort_rows(rows: &mut [Row<'_>], sort: Sort) {
    match sort {
        Sort::Spec => {}
        Sort::Name => rows.sort_by(|a, b| a.name.cmp(b.name)),
        Sort::Status => rows.sort_by_key(|r| std::cmp::Reverse(status_rank(r.status))),
        Sort::Budget => rows.sort_by(|a, b| {
            a.budget
                .unwrap_or(f64::INFINITY)
                .total_cmp(&b.budget.unwrap_or(f64::INFINITY))
        }),
        Sort::Burn => rows.sort_by(|a, b| {
            let key = |r: &Row<'_>| r.burn.map_or(f64::NEG_INFINITY, |x| x.1);
            key(b).total_cmp(&key(a))
        }),
    }
}

/// Renders the overview page.
pub fn overview_page(i: &OverviewInputs<'_>) -> String {
    let q = i.query;
    let at = text(i.slos, "at");
    let at_q = at_suffix(q.at.as_deref());
    let empty = Vec::new();
    let slos = i
        .slos
        .get("slos")
        .and_then(Value::as_array)
        .unwrap_or(&empty);
    let mut main = String::with_capacity(4096 + slos.len() * 2048);
    main.push_str("<h1>Service level objectives</h1>");

    // Status summary.
    main.push_str("<ul class=\"summary\" aria-label=\"SLOs by status\">");
    for st in ["exhausted", "at_risk", "no_data", "error", "healthy"] {
        let n = slos.iter().filter(|s| text(s, "status") == st).count();
        let _ = write!(main, "<li class=\"status-{st}\">");
        field(
            &mut main,
            &format!("count_{st}"),
            Some(n as f64),
            &n.to_string(),
        );
        let _ = write!(main, " {}</li>", page::status_words(st));
    }
    main.push_str("</ul>");
    if i.alerts.is_none() {
        main.push_str("<p class=\"note\">Alert badges show the alerts firing now; they are left out for a pinned instant (an SLO's page shows the alerts of any range).</p>");
    }
    filter_form(&mut main, q, slos);

    // Journeys as groups, then every SLO no journey uses.
    let by_name: HashMap<&str, &Value> = slos.iter().map(|s| (text(s, "name"), s)).collect();
    let mut used = HashSet::new();
    let journeys = i
        .journeys
        .get("journeys")
        .and_then(Value::as_array)
        .unwrap_or(&empty);
    for j in journeys {
        let mut names: Vec<&str> = Vec::new();
        for step in j.get("steps").and_then(Value::as_array).unwrap_or(&empty) {
            for s in step.get("slos").and_then(Value::as_array).unwrap_or(&empty) {
                let n = text(s, "name");
                if !names.contains(&n) {
                    names.push(n);
                }
            }
        }
        for key in ["completion_slo", "time_to_first_action_slo"] {
            let n = text(j, key);
            if !n.is_empty() && !names.contains(&n) {
                names.push(n);
            }
        }
        let members: Vec<&Value> = names
            .iter()
            .filter_map(|n| by_name.get(n).copied())
            .collect();
        used.extend(names.iter().copied());
        let jname = text(j, "name");
        let mut heading = String::new();
        let _ = write!(
            heading,
            "<a href=\"/journeys/{}{}\">{}</a>",
            escape(&url_component(jname)),
            escape(&at_q),
            escape(display_name(j))
        );
        let owner = text(j, "owner");
        let sub = if owner.is_empty() {
            String::new()
        } else {
            format!("Journey owned by {owner}")
        };
        group(
            &mut main,
            &format!("journey-{jname}"),
            &heading,
            &sub,
            &members,
            i,
            &at_q,
        );
    }
    let rest: Vec<&Value> = slos
        .iter()
        .filter(|s| !used.contains(text(s, "name")))
        .collect();
    if !rest.is_empty() {
        group(&mut main, "other", "Not in a journey", "", &rest, i, &at_q);
    }
    let shown = slos.iter().filter(|s| matches(q, s)).count();
    let _ = write!(
        main,
        "<p class=\"note\" id=\"match-count\" aria-live=\"polite\">{shown} of {} SLOs match.</p>",
        slos.len()
    );
    page::shell("Overview", at, &at_q, &main)
}

fn options(out: &mut String, name: &str, label: &str, values: &BTreeSet<&str>, chosen: &str) {
    let _ = write!(
        out,
        "<label>{label} <select name=\"{name}\" data-filter=\"{name}\"><option value=\"\">all</option>"
    );
    for v in values {
        out.push_str("<option value=\"");
        push_escaped(out, v);
        out.push('"');
        if *v == chosen {
            out.push_str(" selected");
        }
        out.push('>');
        push_escaped(
            out,
            if name == "status" {
                page::status_words(v)
            } else {
                v
            },
        );
        out.push_str("</option>");
    }
    out.push_str("</select></label> ");
}

fn filter_form(out: &mut String, q: &OverviewQuery, slos: &[Value]) {
    out.push_str("<form class=\"filters\" method=\"get\" action=\"/\" role=\"search\" aria-label=\"Filter SLOs\">");
    if let Some(at) = &q.at {
        out.push_str("<input type=\"hidden\" name=\"at\" value=\"");
        push_escaped(out, at);
        out.push_str("\">");
    }
    out.push_str("<label>Search <input type=\"search\" name=\"q\" data-filter=\"q\" value=\"");
    push_escaped(out, &q.q);
    out.push_str("\" placeholder=\"name, service, owner\"></label> ");
    let services: BTreeSet<&str> = slos
        .iter()
        .map(|s| text(s, "service"))
        .filter(|s| !s.is_empty())
        .collect();
    let owners: BTreeSet<&str> = slos
        .iter()
        .filter_map(|s| s.pointer("/owner/team").and_then(Value::as_str))
        .collect();
    let statuses: BTreeSet<&str> = ["healthy", "at_risk", "exhausted", "no_data", "error"]
        .into_iter()
        .collect();
    options(out, "service", "Service", &services, &q.service);
    options(out, "owner", "Owner", &owners, &q.owner);
    options(out, "status", "Status", &statuses, &q.status);
    out.push_str("<label>Sort <select name=\"sort\" data-filter=\"sort\">");
    for s in Sort::ALL {
        let _ = write!(
            out,
            "<option value=\"{}\"{}>{}</option>",
            s.as_str(),
            if s == q.sort { " selected" } else { "" },
            s.label()
        );
    }
    out.push_str("</select></label> <button type=\"submit\">Apply</button> <a href=\"/");
    push_escaped(out, &at_suffix(q.at.as_deref()));
    out.push_str("\">Clear</a></form>");
}

fn group(
    out: &mut String,
    id: &str,
    heading_html: &str,
    sub: &str,
    members: &[&Value],
    i: &OverviewInputs<'_>,
    at_q: &str,
) {
    let mut rows: Vec<Row<'_>> = members
        .iter()
        .enumerate()
        .map(|(order, s)| {
            let head = headline(s);
            Row {
                order,
                slo: s,
                name: text(s, "name"),
                status: text(s, "status"),
                head,
                budget: head.and_then(remaining),
                burn: head.and_then(fastest_burn),
                visible: matches(i.query, s),
            }
        })
        .collect();
    sort_rows(&mut rows, i.query.sort);
    let any = rows.iter().any(|r| r.visible);
    out.push_str("<section class=\"group\" data-group=\"");
    push_escaped(out, id);
    out.push('"');
    if !any {
        out.push_str(" hidden");
    }
    out.push_str("><h2>");
    out.push_str(heading_html);
    out.push_str("</h2>");
    page::paragraph(out, "sub", sub);
    out.push_str("<table class=\"slos\"><thead><tr><th scope=\"col\">Status</th><th scope=\"col\">SLO</th><th scope=\"col\">Service</th><th scope=\"col\">Owner</th><th scope=\"col\">SLI / target</th><th scope=\"col\">Budget remaining</th><th scope=\"col\">Fastest burn</th><th scope=\"col\">Budget over the window</th><th scope=\"col\">Alerts</th></tr></thead><tbody>");
    for r in &rows {
        row(out, r, i, at_q);
    }
    out.push_str("</tbody></table></section>");
}

fn row(out: &mut String, r: &Row<'_>, i: &OverviewInputs<'_>, at_q: &str) {
    let s = r.slo;
    let owner = s
        .pointer("/owner/team")
        .and_then(Value::as_str)
        .unwrap_or("");
    out.push_str("<tr data-slo=\"");
    push_escaped(out, r.name);
    out.push_str("\" data-service=\"");
    push_escaped(out, text(s, "service"));
    out.push_str("\" data-owner=\"");
    push_escaped(out, owner);
    out.push_str("\" data-status=\"");
    push_escaped(out, r.status);
    out.push_str("\" data-search=\"");
    push_escaped(out, &search_text(s));
    let _ = write!(
        out,
        "\" data-order=\"{}\" data-rank=\"{}\" data-budget=\"{}\" data-burn=\"{}\"",
        r.order,
        status_rank(r.status),
        format::exact(r.budget),
        format::exact(r.burn.map(|b| b.1))
    );
    if !r.visible {
        out.push_str(" hidden");
    }
    out.push_str("><td>");
    status_badge(out, r.status);
    out.push_str("</td><th scope=\"row\">");
    page::link(
        out,
        &format!("/slos/{}{}", url_component(r.name), at_q),
        display_name(s),
    );
    if !text(s, "display_name").is_empty() {
        out.push_str("<span class=\"sub\">");
        push_escaped(out, r.name);
        out.push_str("</span>");
    }
    out.push_str("</th><td>");
    push_escaped(out, text(s, "service"));
    out.push_str("</td><td>");
    push_escaped(out, owner);
    out.push_str("</td><td class=\"num\">");
    let head = r.head;
    let sli = head
        .and_then(|h| h.pointer("/sli/value"))
        .and_then(Value::as_f64);
    let target = head
        .and_then(|h| h.get("target"))
        .or_else(|| s.pointer("/objectives/0/target"))
        .and_then(Value::as_f64);
    field(out, "sli", sli, &format::sli(sli));
    out.push_str(" / ");
    field(out, "target", target, &format::sli(target));
    out.push_str("</td><td class=\"num budget\">");
    out.push_str(&chart::meter(
        r.budget,
        &format!("{} of the error budget remaining", format::budget(r.budget)),
    ));
    field(out, "budget_remaining", r.budget, &format::budget(r.budget));
    out.push_str("</td><td class=\"num\">");
    match r.burn {
        Some((label, v)) => {
            field(out, "burn_fastest", Some(v), &format::burn(Some(v)));
            out.push_str(" <span class=\"sub\">over ");
            push_escaped(out, label);
            out.push_str("</span>");
        }
        None => field(out, "burn_fastest", None, format::MISSING),
    }
    out.push_str("</td><td>");
    let history: Vec<Option<f64>> = s
        .get("objectives")
        .and_then(Value::as_array)
        .and_then(|os| {
            // The composite has no history of its own: show the objective
            // the row's figures come from, else the first.
            os.iter()
                .find(|o| head.is_some_and(|h| std::ptr::eq(*o, h)))
                .or(os.first())
        })
        .and_then(|o| o.get("budget_history"))
        .and_then(Value::as_array)
        .map(|h| {
            h.iter()
                .map(|p| p.get("remaining").and_then(Value::as_f64))
                .collect()
        })
        .unwrap_or_default();
    if history.is_empty() {
        out.push_str(format::MISSING);
    } else {
        let first = history.iter().flatten().next().copied();
        let last = history.iter().flatten().last().copied();
        out.push_str(&chart::sparkline(
            &history,
            &format!(
                "Budget remaining went from {} to {} over the window",
                format::budget(first),
                format::budget(last)
            ),
        ));
    }
    out.push_str("</td><td>");
    let active = active_alerts(i.alerts, r.name);
    if i.alerts.is_none() {
        field(out, "alerts", None, format::MISSING);
    } else if active.is_empty() {
        field(out, "alerts", Some(0.0), "none");
    } else {
        let firing = active.iter().any(|a| text(a, "state") == "firing");
        let _ = write!(
            out,
            "<span class=\"alert-badge {}\">",
            if firing { "firing" } else { "pending" }
        );
        let n = active.len();
        field(
            out,
            "alerts",
            Some(n as f64),
            &format!("{n} {}", if firing { "firing" } else { "pending" }),
        );
        out.push_str("</span>");
    }
    out.push_str("</td></tr>");
}

#[cfg(test)]
mod tests;
