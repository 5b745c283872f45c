//! The HTTP client side of the CLI: talking to a running server, and
//! `lodestar replay`, which backfills history from an NDJSON file through
//! the same endpoint live traffic uses.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::Value;

use crate::cli::{ClientOpts, ReplayArgs};

/// A configured client for one server.
pub struct Client {
    agent: ureq::Agent,
    base: String,
    token: Option<String>,
}

impl Client {
    pub fn new(opts: &ClientOpts) -> Client {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(120)))
            .build()
            .into();
        Client {
            agent,
            base: opts.server.trim_end_matches('/').to_string(),
            token: opts.token.clone(),
        }
    }

    fn auth(&self) -> Option<String> {
        self.token.as_ref().map(|t| format!("Bearer {t}"))
    }

    /// GETs `path` and parses the JSON answer; non-2xx answers become errors
    /// carrying the server's message.
    pub fn get_json(&self, path: &str) -> anyhow::Result<Value> {
        let url = format!("{}{}", self.base, path);
        let mut req = self.agent.get(&url);
        if let Some(a) = self.auth() {
            req = req.header("Authorization", a);
        }
        let mut resp = req.call().with_context(|| format!("connecting to {url}"))?;
        let status = resp.status().as_u16();
        let text = resp
            .body_mut()
            .with_config()
            .limit(256 << 20)
            .read_to_string()
            .with_context(|| format!("reading the answer of {url}"))?;
        let body: Value =
            serde_json::from_str(&text).with_context(|| format!("{url} did not answer JSON"))?;
        if !(200..300).contains(&status) {
            bail!(
                "{url} answered {status}: {}",
                body["error"].as_str().unwrap_or(&text)
            );
        }
        Ok(body)
    }

    /// POSTs an NDJSON body; returns the status and the JSON answer.
    pub fn post_ndjson(&self, path: &str, body: &[u8]) -> anyhow::Result<(u16, Value)> {
        let url = format!("{}{}", self.base, path);
        let mut req = self
            .agent
            .post(&url)
            .header("Content-Type", "application/x-ndjson");
        if let Some(a) = self.auth() {
            req = req.header("Authorization", a);
        }
        let mut resp = req
            .send(body)
            .with_context(|| format!("sending to {url}"))?;
        let status = resp.status().as_u16();
        let text = resp
            .body_mut()
            .read_to_string()
            .with_context(|| format!("reading the answer of {url}"))?;
        let v =
            serde_json::from_str(&text).unwrap_or_else(|_| serde_json::json!({ "error": text }));
        Ok((status, v))
    }
}

/// Tally of one replay.
#[derive(Default)]
struct ReplayTally {
    accepted: u64,
    rejected: u64,
    /// message -> (count, first few line numbers)
    reasons: BTreeMap<String, (u64, Vec<u64>)>,
    /// Rejections the server counted but did not list (it lists 100 a request).
    unlisted: u64,
}

pub fn replay(a: ReplayArgs) -> anyhow::Result<ExitCode> {
    let client = Client::new(&a.client);
    let (reader, size): (Box<dyn Read>, Option<u64>) = if a.file.as_os_str() == "-" {
        (Box::new(std::io::stdin()), None)
    } else {
        let f = std::fs::File::open(&a.file)
            .with_context(|| format!("opening {}", a.file.display()))?;
        let size = f.metadata().ok().map(|m| m.len());
        (Box::new(f), size)
    };
    let bar = if a.quiet {
        indicatif::ProgressBar::hidden()
    } else {
        match size {
            Some(n) => indicatif::ProgressBar::new(n).with_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {wide_bar} {binary_bytes}/{binary_total_bytes} ({binary_bytes_per_sec}, eta {eta}) {msg}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            ),
            None => indicatif::ProgressBar::new_spinner(),
        }
    };
    let mut input = BufReader::with_capacity(1 << 20, reader);
    let mut chunk: Vec<u8> = Vec::with_capacity(a.chunk_bytes + (64 << 10));
    let mut tally = ReplayTally::default();
    let mut next_line: u64 = 1;
    let mut chunk_first_line: u64 = 1;
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = input
            .read_until(b'\n', &mut line)
            .with_context(|| format!("reading {}", a.file.display()))?;
        if n > 0 {
            chunk.extend_from_slice(&line);
            if !line.ends_with(b"\n") {
                chunk.push(b'\n');
            }
            next_line += 1;
        }
        if (n == 0 && !chunk.is_empty()) || chunk.len() >= a.chunk_bytes {
            send_chunk(&client, &chunk, chunk_first_line, &mut tally)?;
            bar.inc(chunk.len() as u64);
            bar.set_message(format!(
                "{} accepted, {} rejected",
                tally.accepted, tally.rejected
            ));
            chunk.clear();
            chunk_first_line = next_line;
        }
        if n == 0 {
            break;
        }
    }
    bar.finish_and_clear();
    println!(
        "replayed {}: {} events accepted, {} rejected",
        a.file.display(),
        tally.accepted,
        tally.rejected
    );
    if !tally.reasons.is_empty() {
        println!("rejections by reason:");
        let mut reasons: Vec<_> = tally.reasons.iter().collect();
        reasons.sort_by_key(|r| std::cmp::Reverse(r.1.0));
        for (msg, (count, lines)) in reasons.iter().take(20) {
            let lines: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
            println!(
                "  {count:>8} × {msg} (lines {}{})",
                lines.join(", "),
                if *count > lines.len() as u64 {
                    ", …"
                } else {
                    ""
                }
            );
        }
        if tally.unlisted > 0 {
            println!(
                "  {:>8} more rejected lines were not itemised by the server",
                tally.unlisted
            );
        }
    }
    Ok(if tally.rejected > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Reason of a rejection without its line-specific detail, for grouping.
fn reason_key(msg: &str) -> String {
    let cut = msg
        .find(" at column")
        .or_else(|| msg.find(": "))
        .unwrap_or(msg.len());
    msg[..cut].to_string()
}

fn send_chunk(
    client: &Client,
    chunk: &[u8],
    first_line: u64,
    tally: &mut ReplayTally,
) -> anyhow::Result<()> {
    let mut attempt = 0;
    let (status, v) = loop {
        let (status, v) = client.post_ndjson("/api/v1/events", chunk)?;
        if (status == 429 || status == 503) && attempt < 10 {
            attempt += 1;
            std::thread::sleep(Duration::from_millis(200 * attempt));
            continue;
        }
        break (status, v);
    };
    if status != 200 && status != 400 {
        bail!(
            "server answered {status}: {}",
            v["error"].as_str().unwrap_or("no message")
        );
    }
    if status == 400 && v.get("accepted").is_none() {
        bail!(
            "server refused the request: {}",
            v["error"].as_str().unwrap_or("no message")
        );
    }
    tally.accepted += v["accepted"].as_u64().unwrap_or(0);
    let rejected = v["rejected"].as_u64().unwrap_or(0);
    tally.rejected += rejected;
    let errors = v["errors"].as_array().cloned().unwrap_or_default();
    tally.unlisted += rejected.saturating_sub(errors.len() as u64);
    for e in errors {
        let line = first_line + e["line"].as_u64().unwrap_or(1) - 1;
        let msg = e["message"].as_str().unwrap_or("").to_string();
        let entry = tally.reasons.entry(reason_key(&msg)).or_default();
        entry.0 += 1;
        if entry.1.len() < 3 {
            entry.1.push(line);
        }
    }
    Ok(())
}
