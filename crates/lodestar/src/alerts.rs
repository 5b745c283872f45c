//! `lodestar alerts`: the alerts a running server holds now, or (with
//! `--from`/`--to`) the alerts its policies would have raised over a past
//! range, printed from the same JSON the API serves.

use std::fmt::Write as _;
use std::process::ExitCode;

use serde_json::Value;

use crate::cli::{AlertsArgs, Output};
use crate::client::Client;

pub fn alerts(a: AlertsArgs) -> anyhow::Result<ExitCode> {
    let client = Client::new(&a.client);
    let mut query = Vec::new();
    if let Some(from) = &a.from {
        query.push(format!("from={}", crate::status::url_escape(from)));
        if let Some(to) = &a.to {
            query.push(format!("to={}", crate::status::url_escape(to)));
        }
        if let Some(slo) = &a.slo {
            query.push(format!("slo={}", crate::status::url_escape(slo)));
        }
        query.push(format!("step={}", a.step));
    } else if a.to.is_some() {
        anyhow::bail!("--to needs --from: give the range to replay");
    }
    let path = if query.is_empty() {
        "/api/v1/alerts".to_string()
    } else {
        format!("/api/v1/alerts?{}", query.join("&"))
    };
    let doc = client.get_json(&path)?;
    match a.output {
        Output::Json => println!("{}", serde_json::to_string_pretty(&doc)?),
        Output::Table if a.from.is_some() => print!("{}", render_replay(&doc)),
        Output::Table => print!("{}", render_current(&doc)),
    }
    Ok(ExitCode::SUCCESS)
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or("-")
}

/// The open alerts, then delivery problems.
pub fn render_current(doc: &Value) -> String {
    let mut out = String::new();
    let alerts = doc["alerts"].as_array().cloned().unwrap_or_default();
    if alerts.is_empty() {
        out.push_str("no alerts pending or firing\n");
    } else {
        let _ = writeln!(
            out,
            "{:<8} {:<8} {:<17} {:<28} {:<21} SUMMARY",
            "STATE", "SEVERITY", "KIND", "SLO/OBJECTIVE", "SINCE"
        );
        for a in &alerts {
            let _ = writeln!(
                out,
                "{:<8} {:<8} {:<17} {:<28} {:<21} {}",
                text(&a["state"]),
                text(&a["severity"]),
                text(&a["kind"]),
                format!("{}/{}", text(&a["slo"]), text(&a["objective"])),
                text(&a["since"]),
                text(&a["summary"]),
            );
        }
    }
    for t in doc["notifications"]["targets"]
        .as_array()
        .into_iter()
        .flatten()
    {
        if let Some(e) = t["last_error"].as_str() {
            let _ = writeln!(
                out,
                "notification target {}: {} pending, last error: {e}",
                text(&t["target"]),
                t["pending"].as_u64().unwrap_or(0)
            );
        }
    }
    for p in doc["problems"].as_array().into_iter().flatten() {
        let _ = writeln!(out, "problem: {}", p);
    }
    out
}

/// One line an alert the replay found.
pub fn render_replay(doc: &Value) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "replayed {} to {} in {}-minute steps",
        text(&doc["from"]),
        text(&doc["to"]),
        doc["step_minutes"].as_i64().unwrap_or(1)
    );
    let alerts = doc["alerts"].as_array().cloned().unwrap_or_default();
    if alerts.is_empty() {
        out.push_str("no alert would have fired\n");
        return out;
    }
    let _ = writeln!(
        out,
        "{:<8} {:<17} {:<28} {:<21} {:<21} {:<21} PEAK BURN",
        "SEVERITY", "KIND", "SLO/OBJECTIVE", "PENDING", "FIRED", "RESOLVED"
    );
    for a in &alerts {
        let _ = writeln!(
            out,
            "{:<8} {:<17} {:<28} {:<21} {:<21} {:<21} {}",
            text(&a["severity"]),
            text(&a["kind"]),
            format!("{}/{}", text(&a["slo"]), text(&a["objective"])),
            text(&a["pending_at"]),
            a["fired_at"].as_str().unwrap_or("(withdrawn)"),
            a["resolved_at"].as_str().unwrap_or("(open)"),
            a["peak_burn"]
                .as_f64()
                .map_or("-".to_string(), |b| format!("{b:.1}x")),
        );
    }
    for p in doc["problems"].as_array().into_iter().flatten() {
        let _ = writeln!(out, "problem: {}", p);
    }
    out
}
