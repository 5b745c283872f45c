//! `lodestar gate`: asks a running server for a release verdict and exits
//! with the code CI pipelines branch on (0 pass, 1 fail, 3 warn or
//! inconclusive; `--fail-closed` turns 3 into 1). Also the `serve` flags of
//! the decision hooks and the opening of their files in the data
//! directory. The verdict is computed by the server; this file only asks,
//! prints and exits.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use serde_json::{Value, json};
use server::decisions::Decisions;
use server::decisions::hooks::HookConfig;

use crate::cli::ClientOpts;

/// `serve` flags of the decision hooks.
#[derive(Debug, Args, Clone)]
pub struct HookArgs {
    /// Signed webhook called when a release gate fails or burn is
    /// attributed to one version or feature flag (repeatable).
    #[arg(long = "hook-url")]
    pub hook_urls: Vec<String>,
    /// File holding the secret that signs hook bodies
    /// (`X-Lodestar-Signature: sha256=<hex HMAC-SHA256>`).
    #[arg(long)]
    pub hook_secret_file: Option<PathBuf>,
    /// URL that receives `{flag, service, reason}` (POST) when a feature
    /// flag causes the burn.
    #[arg(long)]
    pub flag_off_url: Option<String>,
    /// A cause is acted on at most once per this many minutes.
    #[arg(long, default_value_t = 30)]
    pub hook_cooldown_minutes: i64,
}

/// The decision engine's files in `data` with the hooks of `args`.
pub fn open_decisions(data: &Path, args: &HookArgs) -> anyhow::Result<Decisions> {
    let secret = match &args.hook_secret_file {
        Some(p) => {
            let s = std::fs::read_to_string(p)
                .with_context(|| format!("reading the hook secret {}", p.display()))?;
            let s = s.trim().to_owned();
            if s.is_empty() {
                bail!(
                    "hook secret file {} is empty: expected the signing secret",
                    p.display()
                );
            }
            Some(s)
        }
        None => None,
    };
    if args.hook_cooldown_minutes < 1 {
        bail!(
            "--hook-cooldown-minutes {}: expected at least 1 minute",
            args.hook_cooldown_minutes
        );
    }
    let hooks = HookConfig {
        webhook_urls: args.hook_urls.clone(),
        secret,
        flag_off_url: args.flag_off_url.clone(),
        cooldown_minutes: args.hook_cooldown_minutes,
        ..HookConfig::default()
    };
    Decisions::open(data, hooks).map_err(|e| anyhow::anyhow!("{e}"))
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum GateOutput {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct GateArgs {
    #[command(flatten)]
    pub client: ClientOpts,
    /// The service being released; its SLOs are judged.
    #[arg(long)]
    pub service: String,
    /// The new version (default: the latest deploy recorded for the service).
    #[arg(long)]
    pub version: Option<String>,
    /// The version to compare with (default: every other version).
    #[arg(long)]
    pub baseline_version: Option<String>,
    /// Compare from this instant (default: the deploy of the version).
    #[arg(long)]
    pub since: Option<String>,
    /// Kinds of this release a frozen policy may still allow (fix, security).
    #[arg(long = "tag")]
    pub tags: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub output: GateOutput,
    /// Exit 1 on warn and inconclusive too.
    #[arg(long)]
    pub fail_closed: bool,
}

pub fn gate(a: GateArgs) -> anyhow::Result<ExitCode> {
    let body = json!({
        "service": a.service,
        "version": a.version,
        "baseline_version": a.baseline_version,
        "since": a.since,
        "tags": a.tags,
        "fail_closed": a.fail_closed,
    });
    let doc = post_json(&a.client, "/api/v1/gates", &body)?;
    match a.output {
        GateOutput::Json => println!("{}", serde_json::to_string_pretty(&doc)?),
        GateOutput::Text => print!("{}", render(&doc)),
    }
    let code = doc["exit_code"]
        .as_u64()
        .context("the server's gate answer has no exit_code")?;
    Ok(ExitCode::from(code.min(255) as u8))
}

/// POSTs a JSON body and returns the JSON answer; non-2xx answers become
/// errors carrying the server's message.
pub fn post_json(client: &ClientOpts, path: &str, body: &Value) -> anyhow::Result<Value> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .into();
    let url = format!("{}{}", client.server.trim_end_matches('/'), path);
    let mut req = agent.post(&url).header("Content-Type", "application/json");
    if let Some(t) = &client.token {
        req = req.header("Authorization", format!("Bearer {t}"));
    }
    let mut resp = req
        .send(serde_json::to_vec(body)?.as_slice())
        .with_context(|| format!("connecting to {url}"))?;
    let status = resp.status().as_u16();
    let text = resp
        .body_mut()
        .read_to_string()
        .with_context(|| format!("reading the answer of {url}"))?;
    let v: Value =
        serde_json::from_str(&text).with_context(|| format!("{url} did not answer JSON"))?;
    if !(200..300).contains(&status) {
        bail!(
            "{url} answered {status}: {}",
            v["error"].as_str().unwrap_or(&text)
        );
    }
    Ok(v)
}

/// The verdict and every reason, one a line.
pub fn render(doc: &Value) -> String {
    let mut out = format!(
        "{} {} {}: {}\n",
        doc["verdict"].as_str().unwrap_or("?").to_uppercase(),
        doc["service"].as_str().unwrap_or(""),
        doc["version"].as_str().unwrap_or("(no version)"),
        match doc["since"].as_str() {
            Some(s) => format!("since {s} ({})", doc["since_source"].as_str().unwrap_or("")),
            None => String::new(),
        }
    );
    for r in doc["reasons"].as_array().into_iter().flatten() {
        out.push_str(&format!(
            "  {:<12} {:<8} {}: {}\n",
            r["verdict"].as_str().unwrap_or(""),
            r["kind"].as_str().unwrap_or(""),
            r["slo"].as_str().unwrap_or(""),
            r["message"].as_str().unwrap_or("")
        ));
    }
    for act in doc["actions"].as_array().into_iter().flatten() {
        out.push_str(&format!(
            "  action: {} {} -> {}\n",
            act["kind"].as_str().unwrap_or(""),
            act["url"].as_str().unwrap_or(""),
            act["status"].as_u64().map_or_else(
                || act["error"].as_str().unwrap_or("no answer").to_owned(),
                |s| s.to_string()
            )
        ));
    }
    out.push_str(&format!(
        "exit code {}\n",
        doc["exit_code"].as_u64().unwrap_or(2)
    ));
    out
}
