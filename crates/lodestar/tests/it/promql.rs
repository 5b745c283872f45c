//! SLOs evaluated by querying real Prometheus and VictoriaMetrics processes
//! (the Debian packages `prometheus` and `victoria-metrics`; a missing binary
//! fails the test, it does not skip it).
//!
//! Each engine gets the same deterministic counters over the last four
//! hours, sampled every 15 s, with rates that change only on minute
//! boundaries and a counter reset in the middle. Queried at minute
//! boundaries, `increase` over any window is then exact on both engines
//! (Prometheus finds samples on both edges of the range and extrapolates by
//! zero; VictoriaMetrics takes the sample at the range start as its base;
//! both add the value before a reset), so the figures the real `lodestar`
//! binary serves are checked for equality with sums computed here from the
//! same per-minute rates. Engine failures are checked too: a closed port, a
//! server that never answers, and a query the engine refuses each make that
//! SLO `status: error` with the reason, while embedded SLOs keep working.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::harness::{Server, agent, bin, event, minute_ms};
use super::harness::{free_port, required};

/// Minutes of data, ending on the last whole hour.
const MINUTES: i64 = 240;
/// Data minute at whose end the SLOs are evaluated (`at` is its start).
const AT: i64 = 200;
/// Data minute in which the good counter restarts from zero.
const RESET: i64 = 100;
const TARGET: f64 = 0.8;

/// Good (code 200) events per minute; divisible by 4 so 15 s samples are
/// whole numbers.
fn good_rate(_minute: i64) -> f64 {
    40.0
}

/// Bad (code 500) events per minute: a burst at minutes 150..180.
fn bad_rate(minute: i64) -> f64 {
    match minute {
        ..150 => 4.0,
        150..180 => 32.0,
        _ => 8.0,
    }
}

/// Good and total events in data minutes `[from, to)`.
fn counts(from: i64, to: i64) -> (f64, f64) {
    (from.max(0)..to.min(MINUTES)).fold((0.0, 0.0), |(g, t), m| {
        (g + good_rate(m), t + good_rate(m) + bad_rate(m))
    })
}

/// `(labels, [(unix seconds, value)])` of every series, sampled every 15 s
/// from `base_min` for `MINUTES` minutes (both ends included).
fn series(base_min: i64) -> Vec<(&'static str, Vec<(i64, f64)>)> {
    let quarters = MINUTES * 4;
    let sampled = |rate: &dyn Fn(i64) -> f64, reset_at: Option<i64>| {
        let mut value = 0.0;
        let mut out = vec![(base_min * 60, 0.0)];
        for q in 0..quarters {
            // The process restarts right after the sample opening minute RESET.
            if Some(q) == reset_at {
                value = 0.0;
            }
            value += rate(q / 4) / 4.0;
            out.push((base_min * 60 + (q + 1) * 15, value));
        }
        out
    };
    vec![
        (
            r#"{job="api",code="200"}"#,
            sampled(&good_rate, Some(RESET * 4)),
        ),
        (r#"{job="api",code="500"}"#, sampled(&bad_rate, None)),
        // Another job's errors, which the selectors must leave out.
        (r#"{job="batch",code="500"}"#, sampled(&|_| 100.0, None)),
    ]
}

/// An engine process with its own data folder, killed when dropped.
struct Engine {
    child: Child,
    url: String,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Engine {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Engine {
    fn spawn(dir: tempfile::TempDir, port: u16, cmd: &mut Command) -> Engine {
        let log = dir.path().join("engine.log");
        let out = std::fs::File::create(&log).unwrap();
        let child = cmd
            .stdout(Stdio::from(out.try_clone().unwrap()))
            .stderr(Stdio::from(out))
            .spawn()
            .expect("spawning the engine");
        Engine {
            child,
            url: format!("http://127.0.0.1:{port}"),
            log,
            _dir: dir,
        }
    }

    fn fail(&mut self, why: &str) -> ! {
        let _ = self.child.kill();
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        panic!("{why}; engine log:\n{log}");
    }

    /// Polls `GET path` (≤ 60 s) until it answers 200 and `done` accepts the body.
    fn wait_for(&mut self, path: &str, done: impl Fn(&str) -> bool) {
        let a = agent();
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut last = String::new();
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                self.fail(&format!("engine exited with {status}"));
            }
            if let Ok(mut r) = a.get(format!("{}{path}", self.url)).call() {
                last = r.body_mut().read_to_string().unwrap_or_default();
                if r.status() == 200 && done(&last) {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        self.fail(&format!(
            "no satisfying answer to {path} within 60 s; last: {last}"
        ));
    }

    /// Waits until the engine serves every imported series at `time_s`.
    fn wait_for_data(&mut self, time_s: i64) {
        let path = format!("/api/v1/query?query=count(http_requests_total)&time={time_s}");
        self.wait_for(&path, |body| {
            serde_json::from_str::<Value>(body)
                .map(|v| v["data"]["result"][0]["value"][1] == "3")
                .unwrap_or(false)
        });
    }
}

/// Prometheus on TSDB blocks built by `promtool` from OpenMetrics text.
fn prometheus(base_min: i64) -> Engine {
    let promtool = required("promtool", "prometheus");
    let prometheus = required("prometheus", "prometheus");
    let dir = tempfile::tempdir().unwrap();
    let mut om =
        String::from("# HELP http_requests Requests served.\n# TYPE http_requests counter\n");
    for (labels, points) in series(base_min) {
        for (t, v) in points {
            om += &format!("http_requests_total{labels} {v} {t}\n");
        }
    }
    om += "# EOF\n";
    let input = dir.path().join("data.om");
    std::fs::write(&input, om).unwrap();
    let tsdb = dir.path().join("tsdb");
    let out = Command::new(promtool)
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(&input)
        .arg(&tsdb)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "promtool tsdb create-blocks-from openmetrics: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let config = dir.path().join("prometheus.yml");
    std::fs::write(&config, "global:\n  scrape_interval: 15s\n").unwrap();
    let port = free_port();
    let mut cmd = Command::new(prometheus);
    cmd.arg(format!("--config.file={}", config.display()))
        .arg(format!("--storage.tsdb.path={}", tsdb.display()))
        .arg("--storage.tsdb.retention.time=30d")
        .arg(format!("--web.listen-address=127.0.0.1:{port}"));
    let mut e = Engine::spawn(dir, port, &mut cmd);
    e.wait_for("/-/ready", |_| true);
    e.wait_for_data((base_min + AT) * 60);
    e
}

/// VictoriaMetrics, fed through its Prometheus text import.
fn victoria_metrics(base_min: i64) -> Engine {
    let vm = required("victoria-metrics", "victoria-metrics");
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut cmd = Command::new(vm);
    cmd.arg(format!(
        "-storageDataPath={}",
        dir.path().join("data").display()
    ))
    .arg(format!("-httpListenAddr=127.0.0.1:{port}"))
    .arg("-retentionPeriod=1y");
    let mut e = Engine::spawn(dir, port, &mut cmd);
    e.wait_for("/health", |_| true);
    let mut body = String::new();
    for (labels, points) in series(base_min) {
        for (t, v) in points {
            body += &format!("http_requests_total{labels} {v} {}\n", t * 1000);
        }
    }
    let a = agent();
    let resp = a
        .post(format!("{}/api/v1/import/prometheus", e.url))
        .send(body.as_bytes())
        .unwrap();
    assert_eq!(resp.status(), 204, "import into VictoriaMetrics");
    let resp = a
        .get(format!("{}/internal/force_flush", e.url))
        .call()
        .unwrap();
    assert_eq!(resp.status(), 200, "force_flush");
    e.wait_for_data((base_min + AT) * 60);
    e
}

const OWNER: &str = "  annotations:\n    lodestar.dev/owner: api-team\n";

fn ratio_slo(name: &str, method: &str, numerator: &str, total: &str) -> String {
    format!(
        r#"apiVersion: openslo/v1
kind: SLO
metadata:
  name: {name}
{OWNER}spec:
  service: api
  indicator:
    metadata:
      name: {name}-sli
    spec:
      ratioMetric:
        counter: true
        {numerator}
        total:
          metricSource: {total}
  timeWindow:
    - duration: 4h
      isRolling: true
  budgetingMethod: {method}
  objectives:
    - target: {TARGET}
{}---
"#,
        if method == "Timeslices" {
            "      timeSliceTarget: 0.85\n      timeSliceWindow: 5m\n"
        } else {
            ""
        }
    )
}

/// Specs for one engine: a counter-selector SLO, the same as a timeslice
/// SLO, the same as Sloth-style `{{.window}}` expressions counting bad
/// events, and one whose selector the engine refuses.
fn engine_specs(url: &str) -> String {
    let src = |q: &str| format!("{{metricSourceRef: engine, spec: {{query: '{q}'}}}}");
    let good = format!(
        "good:\n          metricSource: {}",
        src(r#"http_requests_total{job="api",code!~"5.."}"#)
    );
    let total = src(r#"http_requests_total{job="api"}"#);
    format!(
        "apiVersion: openslo/v1\nkind: DataSource\nmetadata:\n  name: engine\nspec:\n  type: prometheus\n  connectionDetails:\n    url: {url}\n    timeout: 20s\n---\n"
    ) + &ratio_slo("api-availability", "Occurrences", &good, &total)
        + &ratio_slo("api-slices", "Timeslices", &good, &total)
        + &ratio_slo(
            "api-windowed",
            "Occurrences",
            &format!(
                "bad:\n          metricSource: {}",
                src(r#"sum(increase(http_requests_total{job="api",code=~"5.."}[{{.window}}]))"#)
            ),
            &src(r#"sum(increase(http_requests_total{job="api"}[{{ .window }}]))"#),
        )
        + &ratio_slo(
            "api-broken",
            "Occurrences",
            &format!(
                "good:\n          metricSource: {}",
                src(r#"http_requests_total{job="api",code=~"(2.."}"#)
            ),
            &total,
        )
}

fn write_specs(dir: &Path, text: &str) -> PathBuf {
    let specs = dir.join("specs");
    std::fs::create_dir_all(&specs).unwrap();
    std::fs::write(specs.join("slos.yaml"), text).unwrap();
    specs
}

fn close(got: &Value, want: f64, what: &str) {
    let g = got
        .as_f64()
        .unwrap_or_else(|| panic!("{what}: expected {want}, got {got}"));
    assert!(
        (g - want).abs() <= 1e-9 * want.abs().max(1.0),
        "{what}: expected {want}, got {g}"
    );
}

/// The objective of SLO `name` at data minute `AT`, from the real server.
fn objective(s: &Server, name: &str, at_s: i64) -> Value {
    let (status, doc) = s.get(&format!("/api/v1/slos/{name}?at={at_s}"));
    assert_eq!(status, 200, "{doc}");
    doc["objectives"][0].clone()
}

fn check_engine(engine: &Engine, base_min: i64) {
    let dir = tempfile::tempdir().unwrap();
    let specs = write_specs(dir.path(), &engine_specs(&engine.url));
    let s = Server::start(dir.path(), &specs, &[]);
    let at_s = (base_min + AT) * 60;

    // Occurrences over the 4 h window ending with minute AT.
    let o = objective(&s, "api-availability", at_s);
    assert!(o["error"].is_null(), "{o}");
    let (good, total) = counts(AT - 239, AT + 1);
    assert_eq!((good, total), (8040.0, 9768.0), "the data as designed");
    close(&o["sli"]["good"], good, "good");
    close(&o["sli"]["total"], total, "total");
    close(&o["sli"]["value"], good / total, "sli");
    assert_eq!(o["sli"]["raw_total"], 9768, "{o}");
    let allowed = (1.0 - TARGET) * total;
    close(&o["error_budget"]["total"], allowed, "budget total");
    close(
        &o["error_budget"]["consumed"],
        total - good,
        "budget consumed",
    );
    close(
        &o["error_budget"]["remaining"],
        1.0 - (total - good) / allowed,
        "budget remaining",
    );
    for (label, minutes) in [
        ("5m", 5),
        ("30m", 30),
        ("1h", 60),
        ("2h", 120),
        ("6h", 360),
        ("1d", 1440),
        ("3d", 4320),
    ] {
        let (g, t) = counts(AT + 1 - minutes, AT + 1);
        close(
            &o["burn_rates"][label],
            (t - g) / t / (1.0 - TARGET),
            &format!("burn rate {label}"),
        );
    }
    assert_eq!(o["status"], "at_risk", "{o}");

    // The same SLI as Sloth-style expressions counting bad events.
    let w = objective(&s, "api-windowed", at_s);
    assert!(w["error"].is_null(), "{w}");
    for path in ["sli", "error_budget", "burn_rates"] {
        for (k, v) in o[path].as_object().unwrap() {
            if let Some(x) = v.as_f64() {
                close(&w[path][k], x, &format!("windowed {path}.{k}"));
            }
        }
    }

    // Timeslices of 5 minutes (epoch-aligned; the data starts on an hour):
    // slices of minutes 0..150 are 40/44 good, the burst 40/72 and the rest
    // 40/48 fall under 0.85, and the last slice holds minute 200 only.
    let t = objective(&s, "api-slices", at_s);
    assert!(t["error"].is_null(), "{t}");
    close(&t["sli"]["good"], 30.0, "good slices");
    close(&t["sli"]["total"], 41.0, "slices");

    // A selector the engine refuses: that SLO shows the engine's reason.
    let b = objective(&s, "api-broken", at_s);
    assert_eq!(b["status"], "error", "{b}");
    let err = b["error"].as_str().unwrap();
    assert!(
        err.starts_with(&format!("prometheus at {}: ", engine.url)) && err.contains("regexp"),
        "{err}"
    );

    // The list and the terminal show the same.
    let (status, list) = s.get(&format!("/api/v1/slos?at={at_s}"));
    assert_eq!(status, 200, "{list}");
    let statuses: Vec<(&str, &str)> = list["slos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["name"].as_str().unwrap(), d["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        statuses,
        [
            ("api-availability", "at_risk"),
            ("api-slices", "exhausted"),
            ("api-windowed", "at_risk"),
            ("api-broken", "error"),
        ]
    );
    let out = Command::new(bin())
        .args(["status", "--server", &s.base, "--at", &at_s.to_string()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("api-availability"), "{text}");
    assert!(
        text.contains(&format!("error: prometheus at {}", engine.url)),
        "{text}"
    );
}

fn base_minute() -> i64 {
    // Ends on the last whole hour, so every sample is in the past and
    // 5-minute slices line up with the data.
    let now_min = minute_ms(0) / 60_000;
    now_min.div_euclid(60) * 60 - MINUTES
}

#[test]
fn prometheus_figures_equal_sums_of_the_series() {
    let base = base_minute();
    let engine = prometheus(base);
    check_engine(&engine, base);
}

#[test]
fn victoria_metrics_figures_equal_sums_of_the_series() {
    let base = base_minute();
    let engine = victoria_metrics(base);
    check_engine(&engine, base);
}

/// A TCP server that accepts connections and never answers, until dropped.
struct Silent {
    port: u16,
    stop: Arc<AtomicBool>,
}

impl Silent {
    fn start() -> Silent {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            while !flag.load(Ordering::Relaxed) {
                if let Ok((conn, _)) = listener.accept() {
                    held.push(conn);
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        Silent { port, stop }
    }
}

impl Drop for Silent {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

#[test]
fn an_unreachable_or_silent_engine_is_an_error_per_slo_and_embedded_slos_keep_working() {
    let closed = free_port();
    let silent = Silent::start();
    let src = |ds: &str| format!("{{metricSourceRef: {ds}, spec: {{query: 'x_total'}}}}");
    let good = |ds: &str| format!("good:\n          metricSource: {}", src(ds));
    let text = format!(
        "apiVersion: openslo/v1\nkind: DataSource\nmetadata:\n  name: down\nspec:\n  type: prometheus\n  connectionDetails:\n    url: http://127.0.0.1:{closed}\n---\n\
         apiVersion: openslo/v1\nkind: DataSource\nmetadata:\n  name: silent\nspec:\n  type: prometheus\n  connectionDetails:\n    url: http://127.0.0.1:{}\n    timeout: 1s\n---\n",
        silent.port
    ) + &ratio_slo("down-slo", "Occurrences", &good("down"), &src("down"))
        + &ratio_slo("silent-slo", "Occurrences", &good("silent"), &src("silent"))
        + &format!(
            r#"apiVersion: openslo/v1
kind: SLO
metadata:
  name: local-pay
{OWNER}spec:
  service: api
  indicator:
    metadata:
      name: local-pay-requests
    spec:
      ratioMetric:
        counter: false
        good: {{metricSource: {{type: lodestar, spec: {{filter: 'status == "ok"'}}}}}}
        total: {{metricSource: {{type: lodestar, spec: {{filter: 'name == "POST /pay"'}}}}}}
  timeWindow:
    - duration: 1h
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - target: 0.99
"#
        );
    let dir = tempfile::tempdir().unwrap();
    let specs = write_specs(dir.path(), &text);
    let s = Server::start(dir.path(), &specs, &[]);
    let t = minute_ms(5);
    let mut body = String::new();
    for i in 0..10 {
        let status = if i == 0 { "error" } else { "ok" };
        body += &event(t + i, "POST /pay", "/pay", status, 12.0, "eu-west");
        body.push('\n');
    }
    let (status, r) = s.post("/api/v1/events", body.as_bytes());
    assert_eq!(status, 200, "{r}");

    let started = Instant::now();
    let (status, list) = s.get("/api/v1/slos");
    let took = started.elapsed();
    assert_eq!(status, 200, "{list}");
    // One timeout for the silent engine, not one per query.
    assert!(took < Duration::from_secs(10), "{took:?}");
    let by_name = |n: &str| -> Value {
        list["slos"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["name"] == n)
            .unwrap_or_else(|| panic!("{n} in {list}"))
            .clone()
    };
    let down = by_name("down-slo");
    assert_eq!(down["status"], "error", "{down}");
    let err = down["objectives"][0]["error"].as_str().unwrap();
    assert!(
        err.starts_with(&format!(
            "prometheus at http://127.0.0.1:{closed}: cannot connect"
        )),
        "{err}"
    );
    assert!(down["objectives"][0]["sli"].is_null(), "no figures: {down}");
    let silent_doc = by_name("silent-slo");
    let err = silent_doc["objectives"][0]["error"].as_str().unwrap();
    assert!(
        err.starts_with(&format!(
            "prometheus at http://127.0.0.1:{}: no answer within 1s",
            silent.port
        )),
        "{err}"
    );
    let local = by_name("local-pay");
    let o = &local["objectives"][0];
    assert_eq!(o["sli"]["good"].as_f64(), Some(9.0), "{local}");
    assert_eq!(o["sli"]["total"].as_f64(), Some(10.0), "{local}");
    assert_eq!(local["status"], "exhausted", "{local}");

    // The server is still healthy and `lodestar check` accepts the specs:
    // an engine being down is a runtime condition, not a spec error.
    let (status, _) = s.get("/healthz");
    assert_eq!(status, 200);
    let out = Command::new(bin())
        .arg("check")
        .arg(&specs)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
