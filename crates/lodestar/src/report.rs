//! `lodestar report priorities` and `lodestar attribution SLO`: the
//! planning report and the burn breakdown of one SLO, fetched from a
//! running server and printed (Markdown, a table, or the JSON as served).
//! Figures are the server's; nothing is computed here.

use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use serde_json::Value;

use crate::cli::ClientOpts;
use crate::client::Client;

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Journeys and SLOs ranked by budget burn times business weight.
    Priorities(PrioritiesArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ReportOutput {
    Md,
    Json,
}

#[derive(Debug, Args)]
pub struct PrioritiesArgs {
    #[command(flatten)]
    pub client: ClientOpts,
    /// Output format.
    #[arg(long, value_enum, default_value = "md")]
    pub output: ReportOutput,
    /// Figures as of this instant (RFC 3339 or epoch seconds) instead of now.
    #[arg(long)]
    pub at: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum AttributionOutput {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct AttributionArgs {
    #[command(flatten)]
    pub client: ClientOpts,
    /// The SLO.
    pub slo: String,
    /// Start of the range (default: the SLO window's start).
    #[arg(long)]
    pub from: Option<String>,
    /// End of the range (default: now).
    #[arg(long)]
    pub to: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub output: AttributionOutput,
}

fn query(pairs: &[(&str, &Option<String>)]) -> String {
    let parts: Vec<String> = pairs
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={}", escape(v))))
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

fn escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b':' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub fn report(c: ReportCommand) -> anyhow::Result<ExitCode> {
    match c {
        ReportCommand::Priorities(a) => priorities(a),
    }
}

fn priorities(a: PrioritiesArgs) -> anyhow::Result<ExitCode> {
    let client = Client::new(&a.client);
    let doc = client.get_json(&format!(
        "/api/v1/reports/priorities{}",
        query(&[("at", &a.at)])
    ))?;
    match a.output {
        ReportOutput::Json => println!("{}", serde_json::to_string_pretty(&doc)?),
        ReportOutput::Md => print!("{}", render_priorities(&doc)),
    }
    Ok(ExitCode::SUCCESS)
}

/// The Markdown of the report, from its JSON (the same table the server's
/// `format=md` renders, without a second request).
fn render_priorities(doc: &Value) -> String {
    let mut out = format!(
        "# Reliability priorities\n\nFigures as of {}.\n\n| # | SLO | Journey | Budget left | State | Work | Why |\n|---|---|---|---|---|---|---|\n",
        doc["generated_at"].as_str().unwrap_or("")
    );
    for i in doc["items"].as_array().into_iter().flatten() {
        out.push_str(&format!(
            "| {} | {} | {} | {:.1} % | {} | {} | {} |\n",
            i["rank"],
            i["slo"].as_str().unwrap_or(""),
            i["journey"].as_str().unwrap_or("–"),
            i["budget_remaining"].as_f64().unwrap_or(0.0) * 100.0,
            i["policy_state"].as_str().unwrap_or(""),
            i["recommendation"].as_str().unwrap_or(""),
            i["reason"].as_str().unwrap_or("").replace('|', "\\|"),
        ));
    }
    out
}

pub fn attribution(a: AttributionArgs) -> anyhow::Result<ExitCode> {
    let client = Client::new(&a.client);
    let doc = client.get_json(&format!(
        "/api/v1/slos/{}/attribution{}",
        escape(&a.slo),
        query(&[("from", &a.from), ("to", &a.to)])
    ))?;
    match a.output {
        AttributionOutput::Json => println!("{}", serde_json::to_string_pretty(&doc)?),
        AttributionOutput::Text => print!("{}", render_attribution(&doc)),
    }
    Ok(ExitCode::SUCCESS)
}

fn render_attribution(doc: &Value) -> String {
    let pct = |v: &Value| format!("{:.1} %", v.as_f64().unwrap_or(0.0) * 100.0);
    let mut out = format!(
        "{} from {} to {}\n",
        doc["slo"].as_str().unwrap_or(""),
        doc["from"].as_str().unwrap_or(""),
        doc["to"].as_str().unwrap_or("")
    );
    for o in doc["objectives"].as_array().into_iter().flatten() {
        let a = &o["attribution"];
        if a.is_null() {
            out.push_str(&format!(
                "  {}: no events in the window\n",
                o["name"].as_str().unwrap_or("")
            ));
            continue;
        }
        out.push_str(&format!(
            "  {}: {} of the budget consumed; dependencies {} of the burn\n",
            o["name"].as_str().unwrap_or(""),
            pct(&a["share_of_budget"]),
            pct(&a["dependency_share"])
        ));
        for (title, list) in [("top", &a["top"]), ("dependency", &a["dependency"])] {
            for c in list.as_array().into_iter().flatten() {
                out.push_str(&format!(
                    "    {title:<10} {}={}  {} of the burn, {} of the traffic, {} of the budget\n",
                    c["dimension"].as_str().unwrap_or(""),
                    c["value"].as_str().unwrap_or(""),
                    pct(&c["share_of_burn"]),
                    pct(&c["share_of_traffic"]),
                    pct(&c["share_of_budget"])
                ));
            }
        }
        if let Some(d) = o["dominant_cause"]["description"].as_str() {
            out.push_str(&format!("    cause: {d}\n"));
        }
    }
    out
}
