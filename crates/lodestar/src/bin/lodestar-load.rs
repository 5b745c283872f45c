//! `lodestar-load`: the end-to-end ingest load tool. It pre-encodes
//! realistic NDJSON bodies, posts them to a running server over several
//! connections, and reports events per second of wall time and — when given
//! the server's pid — events per CPU-second of the server process and its
//! resident memory, read from /proc. It measures; it asserts nothing.

#[path = "common/proc_usage.rs"]
mod proc_usage;
use proc_usage::proc_usage;
#[path = "common/web_shop.rs"]
mod web_shop;
use web_shop::{REGIONS, ROUTES, SplitMix, TIERS, VERSIONS};

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::bail;
use clap::Parser;

#[derive(Debug, Parser)]
#[command(about = "Send a realistic NDJSON event load to a Lodestar server and measure it")]
struct Args {
    /// The server's base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    server: String,
    /// The server's pid, to read its CPU time and memory from /proc.
    #[arg(long)]
    pid: Option<u32>,
    /// Events to send in total.
    #[arg(long, default_value_t = 5_000_000)]
    events: u64,
    /// Events per request.
    #[arg(long, default_value_t = 10_000)]
    batch: usize,
    /// Concurrent connections.
    #[arg(long, default_value_t = 4)]
    connections: usize,
    /// Event timestamps spread over this many seconds before now (a shipping
    /// agent sends the last few seconds; backfills send much wider spans).
    #[arg(long, default_value_t = 60)]
    spread_secs: i64,
    /// Bearer token.
    #[arg(long, env = "LODESTAR_TOKEN")]
    token: Option<String>,
}

/// One body of `n` events with timestamps in the `spread_ms` before `now_ms`.
fn body(rng: &mut SplitMix, n: usize, now_ms: i64, spread_ms: i64) -> Vec<u8> {
    let mut out = Vec::with_capacity(n * 280);
    for _ in 0..n {
        let route = ROUTES[rng.below(10) as usize];
        let ts = now_ms - spread_ms + rng.below(spread_ms.max(1) as u64) as i64;
        let status = if rng.below(1000) < 5 { "error" } else { "ok" };
        let duration = (-(1.0 - rng.unit()).ln() * 80.0 + 5.0 * rng.unit()).min(30_000.0);
        let line = format!(
            r#"{{"timestamp":{ts},"name":"HTTP {route}","duration_ms":{duration:.2},"status":"{status}","attributes":{{"http.route":"{route}","http.request.method":"GET","region":"{}","version":"{}","customer.tier":"{}","host.name":"web-{:02}","trace_id":"{:032x}"}}}}"#,
            REGIONS[rng.below(3) as usize],
            VERSIONS[rng.below(2) as usize],
            TIERS[rng.below(3) as usize],
            rng.below(40),
            rng.next() as u128 | ((rng.next() as u128) << 64),
        );
        out.extend_from_slice(line.as_bytes());
        out.push(b'\n');
    }
    out
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.batch == 0 || args.connections == 0 || !(1..=3000).contains(&args.spread_secs) {
        bail!("--batch and --connections must be positive, --spread-secs within 1..=3000");
    }
    let now_ms = SystemTime::now().duration_since(UNIX_EPOCH)?.as_millis() as i64;
    let mut rng = SplitMix(42);
    let bodies: Arc<Vec<Vec<u8>>> = Arc::new(
        (0..8)
            .map(|_| body(&mut rng, args.batch, now_ms, args.spread_secs * 1000))
            .collect(),
    );
    let bytes_per_event = bodies[0].len() as f64 / args.batch as f64;
    let requests = args.events.div_ceil(args.batch as u64);
    let next = Arc::new(AtomicU64::new(0));
    let accepted = Arc::new(AtomicU64::new(0));
    let before = args.pid.map(proc_usage).transpose()?;
    let started = Instant::now();
    let workers: Vec<_> = (0..args.connections)
        .map(|_| {
            let (bodies, next, accepted) = (bodies.clone(), next.clone(), accepted.clone());
            let url = format!("{}/api/v1/events", args.server.trim_end_matches('/'));
            let token = args.token.clone();
            std::thread::spawn(move || -> anyhow::Result<()> {
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .timeout_global(Some(Duration::from_secs(60)))
                    .build()
                    .into();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= requests {
                        return Ok(());
                    }
                    let mut req = agent
                        .post(&url)
                        .header("Content-Type", "application/x-ndjson");
                    if let Some(t) = &token {
                        req = req.header("Authorization", format!("Bearer {t}"));
                    }
                    let mut resp = req.send(&bodies[(i % 8) as usize][..])?;
                    let status = resp.status().as_u16();
                    let text = resp.body_mut().read_to_string()?;
                    if status != 200 {
                        bail!("server answered {status}: {text}");
                    }
                    let v: serde_json::Value = serde_json::from_str(&text)?;
                    accepted.fetch_add(v["accepted"].as_u64().unwrap_or(0), Ordering::Relaxed);
                }
            })
        })
        .collect();
    for w in workers {
        w.join()
            .map_err(|_| anyhow::anyhow!("a worker panicked"))??;
    }
    let wall = started.elapsed().as_secs_f64();
    let accepted = accepted.load(Ordering::Relaxed);
    println!("events accepted      {accepted}");
    println!("bytes per event      {bytes_per_event:.0}");
    println!("wall time            {wall:.2} s");
    println!("events/s (wall)      {:.0}", accepted as f64 / wall);
    if let (Some(pid), Some((cpu0, _))) = (args.pid, before) {
        let (cpu1, rss) = proc_usage(pid)?;
        let cpu = cpu1 - cpu0;
        println!("server CPU time      {cpu:.2} s");
        println!(
            "events/CPU-second    {:.0}",
            accepted as f64 / cpu.max(1e-9)
        );
        println!(
            "server RSS           {:.1} MiB",
            rss as f64 / (1 << 20) as f64
        );
    }
    Ok(())
}
