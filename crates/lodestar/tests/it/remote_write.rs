//! A real Prometheus scrapes counters this test controls and remote-writes
//! them into a real `lodestar serve`, whose SLI selects them with `metric:`
//! selectors: the SLO figures must equal the counters' increases exactly,
//! across a counter reset, with the first sample of each series as its
//! baseline. Needs `/usr/bin/prometheus` (Debian package `prometheus`); a
//! missing binary fails the test, since CI always installs it.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::harness::Server;
use super::harness::{free_port, required};

/// The counters the fake target exposes: (code, value).
type Counters = Arc<Mutex<Vec<(&'static str, u64)>>>;

/// A minimal `/metrics` endpoint on a loopback port, serving `counters` in
/// the Prometheus text format until dropped.
struct Target {
    addr: String,
    stop: Arc<AtomicBool>,
}

impl Target {
    fn start(counters: Counters) -> Target {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let stop = Arc::new(AtomicBool::new(false));
        let halt = stop.clone();
        std::thread::spawn(move || {
            while !halt.load(Ordering::Relaxed) {
                let Ok((mut conn, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(20));
                    continue;
                };
                let _ = conn.set_nonblocking(false);
                let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
                let mut request = Vec::new();
                let mut chunk = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match conn.read(&mut chunk) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => request.extend_from_slice(&chunk[..n]),
                    }
                }
                let mut body = String::from(
                    "# HELP shop_requests_total Requests served.\n# TYPE shop_requests_total counter\n",
                );
                for (code, value) in counters.lock().unwrap().iter() {
                    body +=
                        &format!("shop_requests_total{{route=\"/pay\",code=\"{code}\"}} {value}\n");
                }
                let _ = write!(
                    conn,
                    "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        Target { addr, stop }
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Prometheus with its own data folder, killed when dropped.
struct Prometheus {
    child: Child,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Prometheus {
    fn start(target: &str, write_url: &str) -> Prometheus {
        let bin = required("prometheus", "prometheus");
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\n\
                 scrape_configs:\n  - job_name: shop\n    static_configs:\n      - targets: ['{target}']\n\
                 remote_write:\n  - url: {write_url}\n    remote_timeout: 5s\n\
                 \x20   queue_config: {{batch_send_deadline: 500ms, max_samples_per_send: 500, min_backoff: 100ms, max_backoff: 1s}}\n\
                 \x20   metadata_config: {{send: false}}\n"
            ),
        )
        .unwrap();
        let log = dir.path().join("prometheus.log");
        let out = std::fs::File::create(&log).unwrap();
        let child = Command::new(bin)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("tsdb").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{}", free_port()))
            .stdout(Stdio::from(out.try_clone().unwrap()))
            .stderr(Stdio::from(out))
            .spawn()
            .expect("spawning prometheus");
        Prometheus {
            child,
            log,
            _dir: dir,
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const SPEC: &str = r#"apiVersion: openslo/v1
kind: SLO
metadata:
  name: pay-availability
  annotations:
    lodestar.dev/owner: payments
spec:
  service: shop
  indicator:
    metadata: {name: pay-requests}
    spec:
      ratioMetric:
        counter: true
        good:
          metricSource:
            type: lodestar
            spec: {metric: 'shop_requests_total{route="/pay",code!~"5.."}'}
        total:
          metricSource:
            type: lodestar
            spec:
              metric: 'shop_requests_total{job="shop",route="/pay"}'
              segments: [code]
  timeWindow: [{duration: 1d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{displayName: 99 % of payments succeed, target: 0.99}]
"#;

/// Remote-write samples Lodestar has accepted, from its own /metrics.
fn accepted_samples(s: &Server) -> f64 {
    let (_, v) = s.get("/metrics");
    let text = v.as_str().unwrap_or_default().to_owned();
    text.lines()
        .find(|l| {
            l.starts_with("lodestar_ingest_events_total{")
                && l.contains(r#"source="remote_write""#)
                && l.contains(r#"result="accepted""#)
        })
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0.0)
}

/// Polls (≤ 60 s) until `done` holds, failing with both logs otherwise.
fn wait_until(
    what: &str,
    prom: &Prometheus,
    server_log: &Path,
    mut done: impl FnMut() -> Option<String>,
) {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut last = String::new();
    while Instant::now() < deadline {
        match done() {
            None => return,
            Some(state) => last = state,
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    let server_log = std::fs::read_to_string(server_log).unwrap_or_default();
    panic!(
        "{what}: not reached within 60 s; last: {last}\n--- prometheus log ---\n{}\n--- lodestar log ---\n{server_log}",
        prom.log()
    );
}

/// (good, total) of the SLO, and per code value (good, total).
fn figures(s: &Server) -> (Value, Value) {
    let (_, doc) = s.get("/api/v1/slos/pay-availability");
    let sli = doc["objectives"][0]["sli"].clone();
    let (_, seg) = s.get("/api/v1/slos/pay-availability/segments");
    let mut by_code = serde_json::Map::new();
    for dim in seg["objectives"][0]["dimensions"]
        .as_array()
        .into_iter()
        .flatten()
    {
        for v in dim["segments"].as_array().into_iter().flatten() {
            by_code.insert(
                v["value"].as_str().unwrap_or("?").to_owned(),
                serde_json::json!([v["sli"]["good"], v["sli"]["total"]]),
            );
        }
    }
    (
        serde_json::json!([sli["good"], sli["total"]]),
        Value::Object(by_code),
    )
}

#[test]
fn prometheus_remote_writes_counters_into_exact_slo_figures() {
    let counters: Counters = Arc::new(Mutex::new(vec![("200", 100), ("500", 5)]));
    let target = Target::start(counters.clone());
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("specs");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(config.join("shop.yaml"), SPEC).unwrap();
    let server_dir = dir.path().join("server");
    let s = Server::start(&server_dir, &config, &[]);
    let log = server_dir.join("server.log");
    let prom = Prometheus::start(&target.addr, &format!("{}/api/v1/write", s.base));

    // Each scrape sends 7 samples (the two counters, `up` and the scrape
    // meta-series); after 5 scrapes' worth, both counters have their
    // baselines (100 and 5) in Lodestar.
    wait_until("baselines received", &prom, &log, || {
        let n = accepted_samples(&s);
        (n < 35.0).then(|| format!("{n} samples accepted"))
    });
    let (whole, _) = figures(&s);
    assert_eq!(
        whole,
        serde_json::json!([0.0, 0.0]),
        "baselines add nothing"
    );

    // 50 good and 2 failed payments.
    *counters.lock().unwrap() = vec![("200", 150), ("500", 7)];
    wait_until("first increase", &prom, &log, || {
        let (whole, _) = figures(&s);
        (whole != serde_json::json!([50.0, 52.0])).then(|| whole.to_string())
    });

    // The target restarts: both counters start again from zero and have
    // reached 7 and 1 by the next scrape, which are their increases.
    *counters.lock().unwrap() = vec![("200", 7), ("500", 1)];
    wait_until("increase across the reset", &prom, &log, || {
        let (whole, _) = figures(&s);
        (whole != serde_json::json!([57.0, 60.0])).then(|| whole.to_string())
    });
    // Further scrapes of unchanged counters (and any retried sends) add nothing.
    let seen = accepted_samples(&s);
    wait_until("more scrapes", &prom, &log, || {
        let n = accepted_samples(&s);
        (n < seen + 21.0).then(|| format!("{n} samples accepted"))
    });
    let (whole, by_code) = figures(&s);
    assert_eq!(whole, serde_json::json!([57.0, 60.0]));
    assert_eq!(
        by_code,
        serde_json::json!({"200": [57.0, 57.0], "500": [0.0, 3.0]}),
        "segments by the code label"
    );
    drop(prom);
    drop(target);
}

/// The endpoint's answers, as Prometheus sees them: 204 with counts in
/// headers, 400 with a reason for a body that is not remote write, 400 for
/// another content encoding.
#[test]
fn the_write_endpoint_answers_like_a_remote_write_receiver() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("specs");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(config.join("shop.yaml"), SPEC).unwrap();
    let s = Server::start(&dir.path().join("server"), &config, &[]);
    let url = format!("{}/api/v1/write", s.base);
    let now_ms = super::harness::minute_ms(0);
    let mut enc = ingest::remote_write::WriteRequestEncoder::new();
    enc.push_series(
        &[
            ("__name__", "shop_requests_total"),
            ("code", "200"),
            ("job", "shop"),
            ("route", "/pay"),
        ],
        &[(1.0, now_ms - 2000), (f64::NAN, now_ms - 1000)],
    );
    let post = |body: &[u8], encoding: &str| {
        let mut resp = s
            .agent
            .post(&url)
            .header("Content-Encoding", encoding)
            .header("Content-Type", "application/x-protobuf")
            .send(body)
            .unwrap();
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned()
        };
        let counts = (header("x-lodestar-accepted"), header("x-lodestar-rejected"));
        let text = resp.body_mut().read_to_string().unwrap_or_default();
        (resp.status().as_u16(), counts, text)
    };
    let (status, counts, text) = post(&enc.to_snappy(), "snappy");
    assert_eq!((status, text.as_str()), (204, ""));
    assert_eq!(counts, ("1".to_owned(), "1".to_owned()));
    let (status, _, text) = post(b"not snappy at all", "snappy");
    assert_eq!(status, 400);
    assert!(
        text.contains("request body is not snappy block format"),
        "{text}"
    );
    let (status, _, text) = post(&enc.to_snappy(), "gzip");
    assert_eq!(status, 400);
    assert!(
        text.contains(r#"unsupported content-encoding \"gzip\""#),
        "{text}"
    );
}
