//! `lodestar status`: every SLO at a glance in a terminal, from the same
//! JSON document the API serves (so the figures are the API's).

use std::fmt::Write as _;
use std::io::IsTerminal;
use std::process::ExitCode;

use serde_json::Value;

use crate::cli::{Output, StatusArgs};
use crate::client::Client;

/// Points of budget history behind each sparkline.
pub const SPARK_POINTS: usize = 24;

pub fn status(a: StatusArgs) -> anyhow::Result<ExitCode> {
    let client = Client::new(&a.client);
    let mut path = format!("/api/v1/slos?history={SPARK_POINTS}");
    if let Some(at) = &a.at {
        path.push_str("&at=");
        path.push_str(&url_escape(at));
    }
    let mut doc = client.get_json(&path)?;
    // A server without the decision engine still gets a status table.
    if let Ok(policies) = client.get_json("/api/v1/policies") {
        let states: serde_json::Map<String, Value> = policies["slos"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| Some((v["slo"].as_str()?.to_owned(), policy_cell(v))))
            .collect();
        doc["policy_states"] = Value::Object(states);
    }
    match a.output {
        Output::Json => println!("{}", serde_json::to_string_pretty(&doc)?),
        Output::Table => print!("{}", render_table(&doc, std::io::stdout().is_terminal())),
    }
    Ok(ExitCode::SUCCESS)
}

pub fn url_escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b':' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A unicode sparkline of budget remaining (0..=1 mapped to ▁..█; an
/// exhausted point is `▁`, a missing one a space).
pub fn sparkline(points: &[Value]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    points
        .iter()
        .map(|p| match p["remaining"].as_f64() {
            Some(r) => BARS[((r.clamp(0.0, 1.0) * 7.0).round()) as usize],
            None => ' ',
        })
        .collect()
}

fn percent(v: Option<f64>) -> String {
    match v {
        Some(x) if x.is_finite() => {
            let p = x * 100.0;
            if (90.0..100.0).contains(&p) {
                format!("{p:.3}%")
            } else {
                format!("{p:.2}%")
            }
        }
        _ => "–".into(),
    }
}

fn fastest_burn(burn: &Value) -> String {
    let Some(map) = burn.as_object() else {
        return "–".into();
    };
    let mut best: Option<(&str, f64)> = None;
    for (label, v) in map {
        if let Some(x) = v.as_f64()
            && best.is_none_or(|(_, b)| x > b)
        {
            best = Some((label, x));
        }
    }
    match best {
        Some((l, x)) => format!("{x:.1}x ({l})"),
        None => "–".into(),
    }
}

fn status_cell(s: &str, color: bool) -> String {
    let (sym, code) = match s {
        "healthy" => ("● healthy", "32"),
        "at_risk" => ("▲ at risk", "33"),
        "exhausted" => ("✖ exhausted", "31"),
        "no_data" => ("○ no data", "90"),
        _ => ("! error", "35"),
    };
    if color {
        format!("\x1b[{code}m{sym:<11}\x1b[0m")
    } else {
        format!("{sym:<11}")
    }
}

/// `exhausted, frozen` / `healthy`: a policy verdict in one cell, `–`
/// where no policy applies.
fn policy_cell(v: &Value) -> Value {
    if v["policy"].is_null() {
        return Value::String("–".into());
    }
    let state = v["state"].as_str().unwrap_or("?");
    let cell = match v["releases"].as_str() {
        Some("allowed") | None => state.to_owned(),
        Some(r) => format!("{state}, {r}"),
    };
    Value::String(cell)
}

/// The status table for an `/api/v1/slos` document; the POLICY column
/// reads `doc["policy_states"][slo]` (added by `status` from
/// `/api/v1/policies`).
pub fn render_table(doc: &Value, color: bool) -> String {
    let mut rows: Vec<[String; 8]> = Vec::new();
    let empty = Vec::new();
    for s in doc["slos"].as_array().unwrap_or(&empty) {
        for o in s["objectives"].as_array().unwrap_or(&empty) {
            let status = o["status"].as_str().unwrap_or("error").to_string();
            let sli = if let Some(err) = o["error"].as_str() {
                format!("error: {err}")
            } else {
                format!(
                    "{} / {}",
                    percent(o["sli"]["value"].as_f64()),
                    percent(o["target"].as_f64())
                )
            };
            let budget = match o["error_budget"]["remaining"].as_f64() {
                Some(r) => format!("{:.1}%", r * 100.0),
                None => "–".into(),
            };
            rows.push([
                status,
                s["name"].as_str().unwrap_or("").to_string(),
                o["display_name"]
                    .as_str()
                    .or(o["name"].as_str())
                    .unwrap_or("")
                    .to_string(),
                sli,
                budget,
                fastest_burn(&o["burn_rates"]),
                doc["policy_states"][s["name"].as_str().unwrap_or("")]
                    .as_str()
                    .unwrap_or("–")
                    .to_string(),
                sparkline(o["budget_history"].as_array().unwrap_or(&empty)),
            ]);
        }
    }
    let headers = [
        "STATUS",
        "SLO",
        "OBJECTIVE",
        "SLI / TARGET",
        "BUDGET LEFT",
        "FASTEST BURN",
        "POLICY",
        "BUDGET OVER WINDOW",
    ];
    let mut widths = headers.map(|h| h.chars().count());
    for r in &rows {
        for (i, c) in r.iter().enumerate() {
            let w = if i == 0 { 11 } else { c.chars().count() };
            widths[i] = widths[i].max(w.min(60));
        }
    }
    let mut out = String::new();
    for (i, h) in headers.iter().enumerate() {
        let _ = write!(out, "{h:<w$}  ", w = widths[i]);
    }
    out = out.trim_end().to_string();
    out.push('\n');
    for r in &rows {
        let mut line = String::new();
        for (i, c) in r.iter().enumerate() {
            if i == 0 {
                line.push_str(&status_cell(c, color));
                line.push_str(&" ".repeat(widths[0] - 11 + 2));
            } else {
                let cell: String = c.chars().take(60).collect();
                let pad = widths[i].saturating_sub(cell.chars().count());
                let _ = write!(line, "{cell}{}  ", " ".repeat(pad));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    if rows.is_empty() {
        out.push_str("no SLOs are defined\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn table_shows_each_objective_with_its_figures() {
        let doc = json!({"slos": [{"name": "checkout-availability", "objectives": [{
            "name": "o", "display_name": "99.9 % succeed", "status": "at_risk", "target": 0.999,
            "sli": {"value": 0.9985}, "error_budget": {"remaining": -0.5},
            "burn_rates": {"5m": 2.0, "1h": 16.25, "1d": null},
            "budget_history": [{"remaining": 1.0}, {"remaining": 0.5}, {"remaining": -0.5}]
        }]}]});
        let t = render_table(&doc, false);
        let line = t.lines().nth(1).unwrap();
        assert!(line.starts_with("▲ at risk"), "{line}");
        assert!(line.contains("checkout-availability"));
        assert!(line.contains("99.850% / 99.900%"), "{line}");
        assert!(line.contains("-50.0%"));
        assert!(
            line.contains("16.2x (1h)") || line.contains("16.3x (1h)"),
            "{line}"
        );
        assert!(line.ends_with("█▅▁"), "{line}");
    }

    #[test]
    fn policy_column_shows_state_and_releases() {
        let doc = json!({"slos": [{"name": "pay", "objectives": [{"name": "o", "status": "exhausted"}]},
                                  {"name": "search", "objectives": [{"name": "o", "status": "healthy"}]}],
                         "policy_states": {"pay": policy_cell(&json!({"policy": "p", "state": "exhausted", "releases": "frozen"})),
                                           "search": policy_cell(&json!({"policy": null, "state": "healthy"}))}});
        let t = render_table(&doc, false);
        assert!(t.lines().next().unwrap().contains("POLICY"));
        assert!(
            t.lines().nth(1).unwrap().contains("exhausted, frozen"),
            "{t}"
        );
        assert!(t.lines().nth(2).unwrap().contains("–"), "{t}");
    }

    #[test]
    fn empty_document_says_so() {
        assert!(render_table(&json!({"slos": []}), false).contains("no SLOs are defined"));
    }
}
