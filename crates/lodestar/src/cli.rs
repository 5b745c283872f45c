//! Command-line arguments (clap) and dispatch to the subcommands.
//! Arguments are parsed once into these structs; each subcommand validates
//! what it needs before doing any work.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "lodestar",
    version,
    about = "SLOs that reflect what customers feel, in one binary"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server: ingestion, evaluation and the HTTP API.
    Serve(ServeArgs),
    /// Run the server over a built-in shop with 28 days of history and live traffic.
    Demo(DemoArgs),
    /// Validate spec files; exit 0 when valid, 1 when not, 2 on usage or IO errors.
    Check(CheckArgs),
    /// Rewrite spec files in canonical form.
    Fmt(FmtArgs),
    /// Every SLO at a glance, from a running server.
    Status(StatusArgs),
    /// The alerts pending or firing now, or (--from/--to) those a past range would have raised.
    Alerts(AlertsArgs),
    /// Backfill history from an NDJSON file into a running server.
    Replay(ReplayArgs),
    /// Release gate: pass, warn, fail or inconclusive for a new version (exit 0, 3, 1, 3).
    Gate(crate::gate::GateArgs),
    /// Budget consumed by segment (version, flag, region, dependency) for one SLO.
    Attribution(crate::report::AttributionArgs),
    /// Reports from a running server.
    #[command(subcommand)]
    Report(crate::report::ReportCommand),
    /// Generate rules for a metrics engine from specs.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Convert specs from other formats (Sloth, OpenSLO v1alpha) or to Grafana dashboards.
    Convert(ConvertArgs),
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Prometheus recording and multi-window multi-burn-rate alerting rules.
    Prometheus(PromRulesArgs),
}

#[derive(Debug, Args)]
pub struct PromRulesArgs {
    /// Spec files or folders.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Write the rule file here instead of standard output.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Events a page needs in its long window (fewer: a low-traffic ticket instead).
    #[arg(long, default_value_t = 100)]
    pub min_events: u64,
    /// Accept common deviations from OpenSLO, with warnings.
    #[arg(long)]
    pub lenient: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ConvertFrom {
    /// Sloth `prometheus/v1` or Kubernetes `PrometheusServiceLevel`.
    Sloth,
    /// OpenSLO `openslo/v1alpha`.
    #[value(name = "openslo-v1alpha")]
    OpensloV1alpha,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ConvertTo {
    /// Grafana dashboard JSON over Lodestar's /metrics.
    Grafana,
}

#[derive(Debug, Args)]
pub struct ConvertArgs {
    /// Source format (writes OpenSLO v1).
    #[arg(long, conflicts_with = "to", required_unless_present = "to")]
    pub from: Option<ConvertFrom>,
    /// Target format (reads OpenSLO v1).
    #[arg(long)]
    pub to: Option<ConvertTo>,
    /// Input files (or folders, with --to).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Write here instead of standard output (with --to grafana: a folder,
    /// one JSON file per dashboard).
    #[arg(short, long)]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args, Clone)]
pub struct ServerOpts {
    /// Address to listen on; anything but loopback requires --auth-token-file.
    #[arg(long, default_value = "127.0.0.1:8080", env = "LODESTAR_LISTEN")]
    pub listen: SocketAddr,
    /// Address of the OTLP/gRPC listener (traces and logs); anything but
    /// loopback requires --auth-token-file.
    #[arg(
        long,
        default_value = "127.0.0.1:4317",
        env = "LODESTAR_OTLP_GRPC_LISTEN"
    )]
    pub otlp_grpc_listen: SocketAddr,
    /// Do not serve OTLP over gRPC (OTLP/HTTP on --listen stays).
    #[arg(long)]
    pub no_otlp_grpc: bool,
    /// Token file: one `TOKEN SCOPE[,SCOPE]` a line, scopes ingest, read, admin.
    #[arg(long, env = "LODESTAR_AUTH_TOKEN_FILE")]
    pub auth_token_file: Option<PathBuf>,
    /// Keep data this long (duration like 35d, 6w).
    #[arg(long, default_value = "35d", value_parser = parse_days)]
    pub retention: i64,
    /// Keep minute resolution this long; older data is kept per hour.
    #[arg(long, default_value = "2d", value_parser = parse_days)]
    pub minute_retention: i64,
    /// Largest request body in bytes (after gzip decompression).
    #[arg(long, default_value_t = 32 << 20)]
    pub max_body_bytes: usize,
    /// Longest NDJSON line in bytes.
    #[arg(long, default_value_t = 64 << 10)]
    pub max_line_bytes: usize,
    /// Log as JSON lines instead of text.
    #[arg(long)]
    pub log_json: bool,
    /// OTLP span kinds that become events (comma-separated: server, consumer,
    /// client, producer, internal, unspecified).
    #[arg(long, value_delimiter = ',', default_value = "server,consumer", value_parser = parse_span_kind)]
    pub otlp_span_kinds: Vec<otlp::SpanKind>,
    /// Do not count root spans whose kind is not selected.
    #[arg(long)]
    pub otlp_no_root_spans: bool,
    /// Only OTLP log records with an event name become events (journey milestones).
    #[arg(long)]
    pub otlp_named_logs_only: bool,
    /// Seconds between alert evaluations.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub alert_interval: u64,
    /// Where every alert goes besides its AlertPolicy's own targets
    /// (repeatable): alertmanager:URL, webhook:URL, slack:URL or
    /// pagerduty:ROUTING_KEY.
    #[arg(long = "notify", value_name = "KIND:VALUE")]
    pub notify: Vec<String>,
    /// File holding the secret that signs webhook notifications
    /// (X-Lodestar-Signature: sha256=HMAC of the body).
    #[arg(long)]
    pub notify_webhook_secret_file: Option<PathBuf>,
    /// The dashboard's URL as receivers should link to it (default
    /// http://LISTEN).
    #[arg(long)]
    pub public_url: Option<String>,
}

fn parse_span_kind(s: &str) -> Result<otlp::SpanKind, String> {
    use otlp::SpanKind::*;
    Ok(match s.trim().to_ascii_lowercase().as_str() {
        "server" => Server,
        "consumer" => Consumer,
        "client" => Client,
        "producer" => Producer,
        "internal" => Internal,
        "unspecified" => Unspecified,
        other => {
            return Err(format!(
                "unknown span kind {other:?}, expected server, consumer, client, producer, internal or unspecified"
            ));
        }
    })
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// A spec file or a folder of them (recursive).
    #[arg(long, required = true)]
    pub config: Vec<PathBuf>,
    /// Data directory.
    #[arg(long, default_value = "./lodestar-data", env = "LODESTAR_DATA")]
    pub data: PathBuf,
    /// Accept common deviations from OpenSLO, with warnings.
    #[arg(long)]
    pub lenient: bool,
    #[command(flatten)]
    pub server: ServerOpts,
    #[command(flatten)]
    pub hooks: crate::gate::HookArgs,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Data directory; default a fresh temporary one, removed at exit.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Seed of the generated traffic.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Days of history to backfill.
    #[arg(long, default_value_t = 28)]
    pub days: u32,
    /// Backfill, print the status, and exit instead of serving.
    #[arg(long)]
    pub no_serve: bool,
    #[command(flatten)]
    pub server: ServerOpts,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Spec files or folders.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Accept common deviations from OpenSLO, with warnings.
    #[arg(long)]
    pub lenient: bool,
}

#[derive(Debug, Args)]
pub struct FmtArgs {
    /// Spec files or folders.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Only report files that would change; exit 1 if any.
    #[arg(long)]
    pub check: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Output {
    Table,
    Json,
}

#[derive(Debug, Args, Clone)]
pub struct ClientOpts {
    /// The server's base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080", env = "LODESTAR_SERVER")]
    pub server: String,
    /// Bearer token.
    #[arg(long, env = "LODESTAR_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub client: ClientOpts,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub output: Output,
    /// Evaluate at this instant (RFC 3339 or epoch seconds) instead of now.
    #[arg(long)]
    pub at: Option<String>,
}

#[derive(Debug, Args)]
pub struct AlertsArgs {
    #[command(flatten)]
    pub client: ClientOpts,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub output: Output,
    /// Replay from this instant (RFC 3339 or epoch seconds).
    #[arg(long)]
    pub from: Option<String>,
    /// Replay up to this instant (default now).
    #[arg(long)]
    pub to: Option<String>,
    /// Replay only this SLO.
    #[arg(long)]
    pub slo: Option<String>,
    /// Replay step in minutes.
    #[arg(long, default_value_t = 1)]
    pub step: i64,
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    #[command(flatten)]
    pub client: ClientOpts,
    /// NDJSON file of events (`-` for standard input).
    pub file: PathBuf,
    /// Bytes per request.
    #[arg(long, default_value_t = 4 << 20)]
    pub chunk_bytes: usize,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

/// Parses a duration in days or weeks (`35d`, `6w`, `48h`) into minutes.
fn parse_days(s: &str) -> Result<i64, String> {
    let s = s.trim();
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: i64 = num
        .parse()
        .map_err(|_| format!("expected a duration like 35d, 6w or 48h, got {s:?}"))?;
    let per = match unit {
        "h" => 60,
        "d" => 1440,
        "w" => 7 * 1440,
        _ => {
            return Err(format!(
                "expected a duration like 35d, 6w or 48h, got {s:?}"
            ));
        }
    };
    if n <= 0 {
        return Err(format!("expected a positive duration, got {s:?}"));
    }
    Ok(n * per)
}

pub fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve(a) => crate::serve::serve(a),
        Command::Demo(a) => crate::serve::demo(a),
        Command::Check(a) => crate::check::check(a),
        Command::Fmt(a) => crate::check::fmt(a),
        Command::Status(a) => crate::status::status(a),
        Command::Alerts(a) => crate::alerts::alerts(a),
        Command::Replay(a) => crate::client::replay(a),
        Command::Gate(a) => crate::gate::gate(a),
        Command::Attribution(a) => crate::report::attribution(a),
        Command::Report(c) => crate::report::report(c),
        Command::Rules(RulesCommand::Prometheus(a)) => crate::convert::prometheus_rules(a),
        Command::Convert(a) => crate::convert::convert(a),
    }
}
