//! `lodestar-otlp-load`: the end-to-end OTLP trace ingest load tool. It
//! pre-encodes realistic `ExportTraceServiceRequest` protobuf bodies (SERVER
//! spans of a web shop with semantic-convention attributes), sends them over
//! OTLP/HTTP (`POST /v1/traces`) or OTLP/gRPC (`TraceService/Export`) on
//! several connections, and reports spans per second of wall time and, with
//! the server's pid, spans per CPU-second of the server process and its
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

use anyhow::{Context, bail};
use clap::{Parser, ValueEnum};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Transport {
    /// OTLP/HTTP, protobuf bodies, to `SERVER/v1/traces`.
    Http,
    /// OTLP/gRPC unary exports to `--grpc`.
    Grpc,
}

#[derive(Debug, Parser)]
#[command(about = "Send a realistic OTLP span load to a Lodestar server and measure it")]
struct Args {
    /// How to send.
    #[arg(long, value_enum, default_value_t = Transport::Http)]
    transport: Transport,
    /// The server's base URL (OTLP/HTTP).
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    server: String,
    /// The server's OTLP/gRPC address.
    #[arg(long, default_value = "127.0.0.1:4317")]
    grpc: String,
    /// The server's pid, to read its CPU time and memory from /proc.
    #[arg(long)]
    pid: Option<u32>,
    /// Spans to send in total.
    #[arg(long, default_value_t = 5_000_000)]
    spans: u64,
    /// Spans per export request (the Collector's batch processor sends 8192).
    #[arg(long, default_value_t = 8192)]
    batch: usize,
    /// Concurrent connections.
    #[arg(long, default_value_t = 4)]
    connections: usize,
    /// Span start times spread over this many seconds before now.
    #[arg(long, default_value_t = 60)]
    spread_secs: i64,
    /// Bearer token.
    #[arg(long, env = "LODESTAR_TOKEN")]
    token: Option<String>,
}

/// Protobuf wire encoding, just what the request needs.
mod wire {
    pub fn varint(out: &mut Vec<u8>, mut v: u64) {
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }
    pub fn tag(out: &mut Vec<u8>, field: u32, wire_type: u8) {
        varint(out, (u64::from(field) << 3) | u64::from(wire_type));
    }
    pub fn bytes(out: &mut Vec<u8>, field: u32, b: &[u8]) {
        tag(out, field, 2);
        varint(out, b.len() as u64);
        out.extend_from_slice(b);
    }
    pub fn fixed64(out: &mut Vec<u8>, field: u32, v: u64) {
        tag(out, field, 1);
        out.extend_from_slice(&v.to_le_bytes());
    }
    /// A length-delimited submessage written by `f`.
    pub fn message(out: &mut Vec<u8>, field: u32, f: impl FnOnce(&mut Vec<u8>)) {
        let mut inner = Vec::new();
        f(&mut inner);
        bytes(out, field, &inner);
    }
    /// `KeyValue { key = 1, value = 2: AnyValue { string_value = 1 } }`.
    pub fn string_attr(out: &mut Vec<u8>, field: u32, key: &str, value: &str) {
        message(out, field, |kv| {
            bytes(kv, 1, key.as_bytes());
            message(kv, 2, |v| bytes(v, 1, value.as_bytes()));
        });
    }
    /// `KeyValue` with `AnyValue { int_value = 3 }`.
    pub fn int_attr(out: &mut Vec<u8>, field: u32, key: &str, value: i64) {
        message(out, field, |kv| {
            bytes(kv, 1, key.as_bytes());
            message(kv, 2, |v| {
                tag(v, 3, 0);
                varint(v, value as u64);
            });
        });
    }
}

/// One `ExportTraceServiceRequest` of `n` SERVER spans, 40 per resource
/// (one host), starting within the `spread_ms` before `now_ms`.
fn body(rng: &mut SplitMix, n: usize, now_ms: i64, spread_ms: i64) -> Vec<u8> {
    let mut out = Vec::with_capacity(n * 260);
    let mut left = n;
    let mut host = 0u64;
    while left > 0 {
        let here = left.min(40);
        left -= here;
        host += 1;
        let mut spans = Vec::with_capacity(here * 250);
        for _ in 0..here {
            let route = ROUTES[rng.below(10) as usize];
            let start_ns = (now_ms - spread_ms + rng.below(spread_ms.max(1) as u64) as i64) as u64
                * 1_000_000
                + rng.below(1_000_000);
            let duration_ms = (-(1.0 - rng.unit()).ln() * 80.0 + 5.0 * rng.unit()).min(30_000.0);
            let code: i64 = if rng.below(1000) < 5 { 503 } else { 200 };
            let (trace_hi, trace_lo, span) = (rng.next(), rng.next(), rng.next());
            wire::message(&mut spans, 2, |s| {
                let mut trace = [0u8; 16];
                trace[..8].copy_from_slice(&trace_hi.to_be_bytes());
                trace[8..].copy_from_slice(&trace_lo.to_be_bytes());
                wire::bytes(s, 1, &trace);
                wire::bytes(s, 2, &span.to_be_bytes());
                wire::bytes(s, 5, format!("GET {route}").as_bytes());
                wire::tag(s, 6, 0);
                wire::varint(s, 2); // SPAN_KIND_SERVER
                wire::fixed64(s, 7, start_ns);
                wire::fixed64(s, 8, start_ns + (duration_ms * 1e6) as u64);
                wire::string_attr(s, 9, "http.route", route);
                wire::string_attr(s, 9, "http.request.method", "GET");
                wire::int_attr(s, 9, "http.response.status_code", code);
                wire::string_attr(s, 9, "region", REGIONS[rng.below(3) as usize]);
                wire::string_attr(s, 9, "version", VERSIONS[rng.below(2) as usize]);
                wire::string_attr(s, 9, "customer.tier", TIERS[rng.below(3) as usize]);
                if code >= 500 {
                    wire::message(s, 15, |st| {
                        wire::tag(st, 3, 0);
                        wire::varint(st, 2); // STATUS_CODE_ERROR
                    });
                }
            });
        }
        // ResourceSpans { resource = 1, scope_spans = 2 }
        wire::message(&mut out, 1, |rs| {
            wire::message(rs, 1, |r| {
                wire::string_attr(r, 1, "service.name", "shop-web");
                wire::string_attr(r, 1, "host.name", &format!("web-{:02}", host % 40));
            });
            wire::message(rs, 2, |ss| {
                wire::message(ss, 1, |scope| wire::bytes(scope, 1, b"shop.http"));
                ss.extend_from_slice(&spans);
            });
        });
    }
    out
}

/// Sends one body and returns the rejected count the server reported.
type Sender = Box<dyn FnMut(&[u8]) -> anyhow::Result<u64> + Send>;

fn http_sender(url: String, token: Option<String>) -> Sender {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into();
    Box::new(move |body: &[u8]| {
        let mut req = agent
            .post(&url)
            .header("Content-Type", "application/x-protobuf");
        if let Some(t) = &token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        let mut resp = req.send(body)?;
        let status = resp.status().as_u16();
        let answer = resp.body_mut().read_to_vec()?;
        if status != 200 {
            bail!(
                "server answered {status}: {}",
                String::from_utf8_lossy(&answer)
            );
        }
        Ok(rejected_spans(&answer))
    })
}

fn grpc_sender(addr: String, token: Option<String>) -> anyhow::Result<Sender> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let channel = rt
        .block_on(
            tonic::transport::Endpoint::from_shared(format!("http://{addr}"))?
                .connect_timeout(Duration::from_secs(5))
                .connect(),
        )
        .with_context(|| format!("connecting to OTLP/gRPC at {addr}"))?;
    let path = tonic::transport::Uri::from_static(server::otlp_grpc::TRACE_EXPORT)
        .path_and_query()
        .cloned()
        .context("the trace export path")?;
    Ok(Box::new(move |body: &[u8]| {
        let mut client = tonic::client::Grpc::new(channel.clone());
        let mut request = tonic::Request::new(body.to_vec());
        if let Some(t) = &token {
            request
                .metadata_mut()
                .insert("authorization", format!("Bearer {t}").parse()?);
        }
        let answer = rt.block_on(async {
            client.ready().await?;
            client
                .unary(request, path.clone(), server::otlp_grpc::RawBytesCodec)
                .await
                .map_err(anyhow::Error::from)
        })?;
        Ok(rejected_spans(&answer.into_inner()))
    }))
}

/// `ExportTraceServiceResponse.partial_success.rejected_spans` (field 1,
/// then field 1), 0 when absent.
fn rejected_spans(answer: &[u8]) -> u64 {
    fn varint(b: &[u8], i: &mut usize) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = *b.get(*i)?;
            *i += 1;
            v |= u64::from(byte & 0x7f) << shift;
            if byte < 0x80 {
                return Some(v);
            }
        }
        None
    }
    fn field(b: &[u8], want: u64) -> Option<&[u8]> {
        let mut i = 0;
        while i < b.len() {
            let key = varint(b, &mut i)?;
            match key & 7 {
                0 => {
                    varint(b, &mut i)?;
                }
                2 => {
                    let len = varint(b, &mut i)? as usize;
                    let part = b.get(i..i + len)?;
                    i += len;
                    if key >> 3 == want {
                        return Some(part);
                    }
                }
                _ => return None,
            }
        }
        None
    }
    let Some(partial) = field(answer, 1) else {
        return 0;
    };
    let mut i = 0;
    while i < partial.len() {
        let Some(key) = varint(partial, &mut i) else {
            return 0;
        };
        if key == (1 << 3) {
            return varint(partial, &mut i).unwrap_or(0);
        }
        if key & 7 != 2 || varint(partial, &mut i).map(|l| i += l as usize).is_none() {
            return 0;
        }
    }
    0
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
    let bytes_per_span = bodies[0].len() as f64 / args.batch as f64;
    let requests = args.spans.div_ceil(args.batch as u64);
    let next = Arc::new(AtomicU64::new(0));
    let rejected = Arc::new(AtomicU64::new(0));
    let mut senders = Vec::with_capacity(args.connections);
    for _ in 0..args.connections {
        senders.push(match args.transport {
            Transport::Http => http_sender(
                format!("{}/v1/traces", args.server.trim_end_matches('/')),
                args.token.clone(),
            ),
            Transport::Grpc => grpc_sender(args.grpc.clone(), args.token.clone())?,
        });
    }
    let before = args.pid.map(proc_usage).transpose()?;
    let started = Instant::now();
    let workers: Vec<_> = senders
        .into_iter()
        .map(|mut send| {
            let (bodies, next, rejected) = (bodies.clone(), next.clone(), rejected.clone());
            std::thread::spawn(move || -> anyhow::Result<()> {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= requests {
                        return Ok(());
                    }
                    let r = send(&bodies[(i % 8) as usize])?;
                    rejected.fetch_add(r, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for w in workers {
        w.join()
            .map_err(|_| anyhow::anyhow!("a worker panicked"))??;
    }
    let wall = started.elapsed().as_secs_f64();
    let sent = requests * args.batch as u64;
    let rejected = rejected.load(Ordering::Relaxed);
    let accepted = sent - rejected.min(sent);
    println!("transport            {:?}", args.transport);
    println!("spans sent           {sent}");
    println!("spans rejected       {rejected}");
    println!("bytes per span       {bytes_per_span:.0}");
    println!("wall time            {wall:.2} s");
    println!("spans/s (wall)       {:.0}", accepted as f64 / wall);
    if let (Some(pid), Some((cpu0, _))) = (args.pid, before) {
        let (cpu1, rss) = proc_usage(pid)?;
        let cpu = cpu1 - cpu0;
        println!("server CPU time      {cpu:.2} s");
        println!(
            "spans/CPU-second     {:.0}",
            accepted as f64 / cpu.max(1e-9)
        );
        println!(
            "server RSS           {:.1} MiB",
            rss as f64 / (1 << 20) as f64
        );
    }
    Ok(())
}
