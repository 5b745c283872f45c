//! `lodestar-rw-load`: the remote-write load tool. It pre-encodes a
//! Prometheus-shaped load (10 labels per series, a fixed set of active
//! series split into requests, one sample per series per request, rounds of
//! increasing counters with timestamps ending now, snappy protobuf), then
//! sends the same bytes to any remote-write receiver (Lodestar,
//! VictoriaMetrics, Prometheus) over several connections, and reports
//! samples per second of wall time and, given the receiver's pid, samples
//! per CPU-second of that process and its resident memory, read from /proc.
//! It measures; it asserts nothing.
//!
//! Each connection owns a fixed share of the requests of every round and
//! sends them in round order, as Prometheus's shards do, so no series ever
//! arrives out of order.

#[path = "common/proc_usage.rs"]
mod proc_usage;
use proc_usage::proc_usage;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::bail;
use clap::Parser;
use ingest::remote_write::WriteRequestEncoder;

#[derive(Debug, Parser)]
#[command(about = "Send a pre-encoded Prometheus remote-write load to a receiver and measure it")]
struct Args {
    /// The receiver's remote-write URL.
    #[arg(long, default_value = "http://127.0.0.1:8080/api/v1/write")]
    url: String,
    /// The receiver's pid, to read its CPU time and memory from /proc.
    #[arg(long)]
    pid: Option<u32>,
    /// Active series.
    #[arg(long, default_value_t = 100_000)]
    series: usize,
    /// Series (and samples) per request.
    #[arg(long, default_value_t = 10_000)]
    per_request: usize,
    /// Rounds: every series gets one new sample per round.
    #[arg(long, default_value_t = 30)]
    rounds: u32,
    /// Seconds between the timestamps of two rounds.
    #[arg(long, default_value_t = 15)]
    interval_secs: i64,
    /// Timestamp (epoch ms) of the first round; default: the last round is now.
    /// Pass the same value to compare receivers on identical bytes.
    #[arg(long)]
    start_ms: Option<i64>,
    /// Concurrent connections.
    #[arg(long, default_value_t = 5)]
    connections: usize,
    /// Name printed on the result line.
    #[arg(long, default_value = "receiver")]
    name: String,
    /// Bearer token.
    #[arg(long, env = "LODESTAR_TOKEN")]
    token: Option<String>,
}

const JOBS: [&str; 5] = ["api", "web", "checkout", "search", "auth"];
const CODES: [&str; 10] = [
    "200", "200", "200", "201", "204", "301", "404", "429", "500", "503",
];
const METHODS: [&str; 4] = ["GET", "POST", "PUT", "DELETE"];
const REGIONS: [&str; 3] = ["eu-west-1", "us-east-1", "ap-south-1"];
const VERSIONS: [&str; 2] = ["v1.41.0", "v1.42.0"];

/// The ten labels of series `i`, sorted by name as Prometheus sends them.
/// A fifth of the series have `job="api"`, spread over 20 routes
/// (`/r0`..`/r19`), which is what `bench/specs-rw` selects.
fn labels(i: usize) -> Vec<(&'static str, String)> {
    vec![
        ("__name__", "http_requests_total".to_owned()),
        ("code", CODES[i % 10].to_owned()),
        (
            "instance",
            format!("10.0.{}.{}:9100", i / 250 % 256, i % 250),
        ),
        ("job", JOBS[i / 10 % 5].to_owned()),
        ("method", METHODS[i / 50 % 4].to_owned()),
        ("namespace", "prod".to_owned()),
        ("pod", format!("{}-{:05x}", JOBS[i / 10 % 5], i)),
        ("region", REGIONS[i / 200 % 3].to_owned()),
        ("route", format!("/r{}", i / 600 % 20)),
        ("version", VERSIONS[i / 1200 % 2].to_owned()),
    ]
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.series == 0 || args.per_request == 0 || args.connections == 0 || args.rounds == 0 {
        bail!("--series, --per-request, --connections and --rounds must be positive");
    }
    let chunks = args.series.div_ceil(args.per_request);
    let interval_ms = args.interval_secs * 1000;
    let start_ms = match args.start_ms {
        Some(ms) => ms,
        None => {
            let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_millis() as i64;
            now - i64::from(args.rounds - 1) * interval_ms
        }
    };
    let encoding = Instant::now();
    let all_labels: Vec<Vec<(&str, String)>> = (0..args.series).map(labels).collect();
    // bodies[round * chunks + chunk]
    let mut bodies: Vec<Vec<u8>> = Vec::with_capacity(args.rounds as usize * chunks);
    let mut enc = WriteRequestEncoder::new();
    for round in 0..args.rounds {
        let ts = start_ms + i64::from(round) * interval_ms;
        for chunk in 0..chunks {
            enc.clear();
            let end = ((chunk + 1) * args.per_request).min(args.series);
            for (i, l) in all_labels
                .iter()
                .enumerate()
                .take(end)
                .skip(chunk * args.per_request)
            {
                // Errors grow slower than successes; every counter increases.
                let rate = if CODES[i % 10].starts_with('5') {
                    1
                } else {
                    1 + (i % 17) as u64
                };
                let value = (i % 1000) as u64 + rate * u64::from(round);
                enc.push_series(l, &[(value as f64, ts)]);
            }
            bodies.push(enc.to_snappy());
        }
    }
    drop(all_labels);
    let bodies = Arc::new(bodies);
    let total_bytes: usize = bodies.iter().map(Vec::len).sum();
    let samples_total = args.series as u64 * u64::from(args.rounds);
    println!(
        "pre-encoded          {} requests, {:.1} MiB snappy ({:.1} bytes/sample) in {:.1} s",
        bodies.len(),
        total_bytes as f64 / (1 << 20) as f64,
        total_bytes as f64 / samples_total as f64,
        encoding.elapsed().as_secs_f64()
    );

    let before = args.pid.map(proc_usage).transpose()?;
    let started = Instant::now();
    let workers: Vec<_> = (0..args.connections)
        .map(|worker| {
            let bodies = bodies.clone();
            let url = args.url.clone();
            let token = args.token.clone();
            let (rounds, connections, per_request, series) = (
                args.rounds as usize,
                args.connections,
                args.per_request,
                args.series,
            );
            std::thread::spawn(move || -> anyhow::Result<u64> {
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .timeout_global(Some(Duration::from_secs(120)))
                    .build()
                    .into();
                let mut sent = 0u64;
                for round in 0..rounds {
                    for chunk in (worker..chunks).step_by(connections) {
                        let mut req = agent
                            .post(&url)
                            .header("Content-Type", "application/x-protobuf")
                            .header("Content-Encoding", "snappy")
                            .header("X-Prometheus-Remote-Write-Version", "0.1.0");
                        if let Some(t) = &token {
                            req = req.header("Authorization", format!("Bearer {t}"));
                        }
                        let mut resp = req.send(&bodies[round * chunks + chunk][..])?;
                        let status = resp.status().as_u16();
                        let text = resp.body_mut().read_to_string().unwrap_or_default();
                        if !(200..300).contains(&status) {
                            bail!("{url} answered {status}: {text}");
                        }
                        sent +=
                            (((chunk + 1) * per_request).min(series) - chunk * per_request) as u64;
                    }
                }
                Ok(sent)
            })
        })
        .collect();
    let mut samples = 0;
    for w in workers {
        samples += w
            .join()
            .map_err(|_| anyhow::anyhow!("a worker panicked"))??;
    }
    let wall = started.elapsed().as_secs_f64();
    println!("samples sent         {samples}");
    println!("wall time            {wall:.2} s");
    println!("samples/s (wall)     {:.0}", samples as f64 / wall);
    let mut result = format!(
        "RESULT name={} samples={samples} wall_s={wall:.3} samples_per_s={:.0}",
        args.name,
        samples as f64 / wall
    );
    if let (Some(pid), Some((cpu0, rss0))) = (args.pid, before) {
        let (cpu1, rss) = proc_usage(pid)?;
        let cpu = cpu1 - cpu0;
        let per_cpu = samples as f64 / cpu.max(1e-9);
        let growth = rss.saturating_sub(rss0) as f64 / args.series as f64;
        println!("receiver CPU time    {cpu:.2} s");
        println!("samples/CPU-second   {per_cpu:.0}");
        println!(
            "receiver RSS         {:.1} MiB ({:.1} MiB before the load)",
            rss as f64 / (1 << 20) as f64,
            rss0 as f64 / (1 << 20) as f64
        );
        println!("RSS growth/series    {growth:.0} bytes");
        result += &format!(
            " cpu_s={cpu:.3} samples_per_cpu_s={per_cpu:.0} rss_bytes={rss} rss_before_bytes={rss0} rss_growth_per_series={growth:.0}"
        );
    }
    println!("{result}");
    Ok(())
}
