//! The decision engine end to end, against a real server over loopback
//! and the real `lodestar gate` binary: a healthy release passes (exit 0),
//! a canary 30 % slower at p95 fails (exit 1), a canary with too little
//! traffic is inconclusive (exit 3), a budget burned by the payment
//! dependency is excepted by the policy, and a feature flag that causes
//! the burn is turned off through signed hooks received by a local HTTP
//! listener.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};

use super::harness::{Server, bin, minute_ms};

fn specs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/specs-decisions")
}

fn rfc3339(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).unwrap().to_string()
}

/// `n` `GET /api` events of `version` spread over the last 10 minutes,
/// durations `scale × (100 + i % 100)` ms, all ok.
fn api_events(version: &str, n: i64, scale: f64) -> String {
    let start = minute_ms(10);
    (0..n)
        .map(|i| {
            json!({"timestamp": start + i * (540_000 / n), "name": "GET /api", "status": "ok",
                   "duration_ms": scale * (100 + i % 100) as f64,
                   "attributes": {"service.version": version}})
            .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn ingest(s: &Server, lines: &str, expected: u64) {
    let (status, r) = s.post("/api/v1/events", lines.as_bytes());
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["accepted"], expected, "{r}");
}

/// Runs `lodestar gate` against `s`; returns the exit code and stdout.
fn gate(s: &Server, args: &[&str]) -> (i32, String) {
    let out = Command::new(bin())
        .args(["gate", "--server", &s.base])
        .args(args)
        .output()
        .expect("running lodestar gate");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

fn reason<'a>(doc: &'a Value, kind: &str) -> &'a Value {
    doc["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} reason in {doc:#}"))
}

#[test]
fn healthy_release_passes_from_its_recorded_deploy() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &specs(), &[]);
    ingest(
        &s,
        &[api_events("v1", 300, 1.0), api_events("v2", 300, 1.0)].join("\n"),
        600,
    );

    let (status, r) = s.post("/api/v1/changes", br#"{"kind":"deploy","service":"api"}"#);
    assert_eq!(status, 400);
    assert_eq!(
        r["error"],
        "change: field \"version\" is invalid: expected the version deployed (required for kind deploy)"
    );
    let deployed_at = rfc3339(minute_ms(15));
    let body = json!({"kind": "deploy", "service": "api", "version": "v2", "author": "ci",
                      "environment": "prod", "time": deployed_at, "link": "https://ci/1"});
    let (status, change) = s.post("/api/v1/changes", body.to_string().as_bytes());
    assert_eq!(status, 201, "{change}");
    assert_eq!(
        change,
        json!({"id": "c1", "kind": "deploy", "service": "api", "version": "v2", "flag": null,
               "environment": "prod", "author": "ci", "time": deployed_at,
               "link": "https://ci/1", "description": null})
    );
    let (_, list) = s.get("/api/v1/changes?service=api");
    assert_eq!(list, json!({"changes": [change]}));
    let (_, none) = s.get("/api/v1/changes?service=pay");
    assert_eq!(none, json!({"changes": []}));

    let (code, out) = gate(
        &s,
        &[
            "--service",
            "api",
            "--baseline-version",
            "v1",
            "--output",
            "json",
        ],
    );
    assert_eq!(code, 0, "{out}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["verdict"], "pass");
    assert_eq!(doc["version"], "v2");
    assert_eq!(doc["since"], deployed_at);
    assert_eq!(doc["since_source"], "deploy");
    assert_eq!(reason(&doc, "latency")["verdict"], "pass");
    assert_eq!(reason(&doc, "errors")["verdict"], "pass");
    assert_eq!(reason(&doc, "policy")["verdict"], "pass");
    assert_eq!(
        doc["budget_burned"],
        json!([{"slo": "api-latency", "share_of_budget": 0.0}])
    );
}

#[test]
fn canary_30_percent_slower_fails_with_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &specs(), &[]);
    ingest(
        &s,
        &[api_events("v1", 300, 1.0), api_events("v3", 300, 1.3)].join("\n"),
        600,
    );
    let since = rfc3339(minute_ms(20));
    let args = [
        "--service",
        "api",
        "--version",
        "v3",
        "--baseline-version",
        "v1",
        "--since",
        &since,
    ];
    let (code, out) = gate(&s, &args);
    assert_eq!(code, 1, "{out}");
    assert!(out.starts_with("FAIL api v3"), "{out}");
    assert!(out.contains("canary is slower"), "{out}");
    let (_, doc) = s.post(
        "/api/v1/gates",
        json!({"service": "api", "version": "v3", "baseline_version": "v1", "since": since})
            .to_string()
            .as_bytes(),
    );
    let latency = reason(&doc, "latency");
    assert_eq!(latency["verdict"], "fail");
    assert!(
        latency["mann_whitney"]["effect"].as_f64().unwrap() > 0.5,
        "{latency}"
    );
    assert_eq!(reason(&doc, "errors")["verdict"], "pass");
    assert_eq!(doc["exit_code"], 1);
}

#[test]
fn canary_with_too_little_traffic_is_inconclusive_with_exit_3() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &specs(), &[]);
    ingest(
        &s,
        &[api_events("v1", 300, 1.0), api_events("v4", 20, 1.0)].join("\n"),
        320,
    );
    let since = rfc3339(minute_ms(20));
    let args = [
        "--service",
        "api",
        "--version",
        "v4",
        "--baseline-version",
        "v1",
        "--since",
        &since,
    ];
    let (code, out) = gate(&s, &args);
    assert_eq!(code, 3, "{out}");
    assert!(out.starts_with("INCONCLUSIVE api v4"), "{out}");
    assert!(
        out.contains("canary has 20 events and baseline 300 since the change; at least 200 per arm are needed"),
        "{out}"
    );
    let mut closed = args.to_vec();
    closed.push("--fail-closed");
    assert_eq!(gate(&s, &closed).0, 1);
    // An unknown service is an error (exit 2) that names the known ones.
    let (code, out) = gate(&s, &["--service", "nope"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("known services: api, pay, search"), "{out}");
}

#[test]
fn budget_burned_by_the_payment_dependency_is_excepted() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &specs(), &[]);
    // Eight hours ago: 1000 payments over 10 minutes, the first 50 failing
    // at the payment provider. The budget (1 % of 1000) is spent 5 times.
    let start = minute_ms(8 * 60);
    let lines: Vec<String> = (0..1000)
        .map(|i| {
            let (status, peer) = if i < 50 {
                ("error", "payments-provider")
            } else {
                ("ok", "ledger")
            };
            json!({"timestamp": start + i * 600, "name": "POST /pay", "status": status,
                   "attributes": {"peer.service": peer, "service.version": "v9"}})
            .to_string()
        })
        .collect();
    ingest(&s, &lines.join("\n"), 1000);

    let (status, p) = s.get("/api/v1/slos/pay-availability/policy");
    assert_eq!(status, 200, "{p}");
    assert_eq!(p["policy"], "workbook-policy");
    assert_eq!(p["state"], "healthy", "{p:#}");
    assert_eq!(p["releases"], "allowed");
    assert!(
        (p["budget_remaining"].as_f64().unwrap() + 4.0).abs() < 1e-9,
        "{p}"
    );
    assert_eq!(p["effective_budget_remaining"], 1.0);
    assert_eq!(p["postmortem_required"], true);
    assert_eq!(p["escalation_owner"], "cto-office");
    let reasons = p["reasons"].to_string();
    assert!(
        reasons.contains("100 % of the burn came from dependency payments-provider (exception)"),
        "{reasons}"
    );

    let (_, all) = s.get("/api/v1/policies");
    let states: Vec<(&str, &str)> = all["slos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["slo"].as_str().unwrap(), v["state"].as_str().unwrap()))
        .collect();
    assert_eq!(
        states,
        [
            ("api-latency", "healthy"),
            ("pay-availability", "healthy"),
            ("search-availability", "healthy")
        ]
    );

    let (_, a) = s.get("/api/v1/slos/pay-availability/attribution");
    let attr = &a["objectives"][0]["attribution"];
    assert_eq!(attr["dependency_share"], 1.0);
    assert_eq!(attr["dependency"][0]["value"], "payments-provider");
    assert_eq!(attr["dependency"][0]["bad"], 50.0);

    let status_out = Command::new(bin())
        .args(["status", "--server", &s.base])
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&status_out.stdout);
    let pay_line = table
        .lines()
        .find(|l| l.contains("pay-availability"))
        .unwrap();
    assert!(pay_line.contains("healthy"), "{table}");
    assert!(table.lines().next().unwrap().contains("POLICY"), "{table}");

    let out = Command::new(bin())
        .args(["attribution", "pay-availability", "--server", &s.base])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("dependency peer.service=payments-provider  100.0 % of the burn"),
        "{text}"
    );

    let out = Command::new(bin())
        .args([
            "report",
            "priorities",
            "--server",
            &s.base,
            "--output",
            "json",
        ])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["items"][0]["slo"], "pay-availability");
    assert_eq!(report["items"][0]["journey"], "checkout");
    assert_eq!(report["items"][0]["weight"], 3.0);
    assert_eq!(report["journeys"][0]["journey"], "checkout");
}

/// One request a hook receiver got.
struct Received {
    path: String,
    signature: String,
    body: Vec<u8>,
}

/// Answers `200 ok` to every request on `listener`, passing each on.
fn receive(listener: TcpListener, tx: mpsc::Sender<Received>) {
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { return };
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let path = line.split_whitespace().nth(1).unwrap_or("").to_owned();
        let (mut length, mut signature) = (0usize, String::new());
        loop {
            line.clear();
            reader.read_line(&mut line).unwrap();
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            let (name, value) = header.split_once(':').unwrap_or((header, ""));
            match name.to_ascii_lowercase().as_str() {
                "content-length" => length = value.trim().parse().unwrap(),
                "x-lodestar-signature" => signature = value.trim().to_owned(),
                _ => {}
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        stream
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
            .unwrap();
        let _ = tx.send(Received {
            path,
            signature,
            body,
        });
    }
}

#[test]
fn flag_causing_the_burn_is_turned_off_through_signed_hooks() {
    let dir = tempfile::tempdir().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || receive(listener, tx));
    let secret_file = dir.path().join("hook-secret");
    std::fs::write(&secret_file, "s3cret\n").unwrap();
    let hook = format!("http://127.0.0.1:{port}/hook");
    let flag_off = format!("http://127.0.0.1:{port}/flags/off");
    let s = Server::start(
        &dir.path().join("server"),
        &specs(),
        &[
            "--hook-url",
            &hook,
            "--hook-secret-file",
            secret_file.to_str().unwrap(),
            "--flag-off-url",
            &flag_off,
        ],
    );
    // 1000 searches in the last 10 minutes; the 100 under flag
    // new-ranking fail 60 times, the others twice.
    let start = minute_ms(10);
    let lines: Vec<String> = (0..1000)
        .map(|i| {
            let flagged = i % 10 == 0;
            let failed = if flagged { i % 100 < 60 } else { i % 500 == 1 };
            let mut attrs = json!({"service.version": "v7"});
            if flagged {
                attrs["feature_flag.key"] = json!("new-ranking");
            }
            json!({"timestamp": start + i * 500, "name": "GET /search",
                   "status": if failed { "error" } else { "ok" }, "attributes": attrs})
            .to_string()
        })
        .collect();
    ingest(&s, &lines.join("\n"), 1000);

    let (status, check) = s.post("/api/v1/actions/check", b"");
    assert_eq!(status, 200, "{check}");
    let finding = &check["findings"][0];
    assert_eq!(finding["slo"], "search-availability");
    assert_eq!(finding["dimension"], "feature_flag.key");
    assert_eq!(finding["value"], "new-ranking");
    assert_eq!(finding["share_of_burn"], 60.0 / 62.0);
    assert_eq!(finding["share_of_traffic"], 0.1);
    assert_eq!(check["findings"].as_array().unwrap().len(), 1);

    // The periodic check may have acted first; either way exactly these two
    // calls were made, once.
    let (_, actions) = s.get("/api/v1/actions");
    let actions = actions["actions"].as_array().unwrap().clone();
    let kinds: Vec<(&str, &str, bool, u64)> = actions
        .iter()
        .map(|a| {
            (
                a["kind"].as_str().unwrap(),
                a["url"].as_str().unwrap(),
                a["ok"].as_bool().unwrap(),
                a["status"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("webhook", hook.as_str(), true, 200),
            ("flag-off", flag_off.as_str(), true, 200)
        ]
    );
    let mut got: Vec<Received> = (0..2)
        .map(|_| rx.recv_timeout(Duration::from_secs(30)).unwrap())
        .collect();
    got.sort_by(|a, b| a.path.cmp(&b.path));
    for r in &got {
        assert!(
            server::decisions::hooks::verify_signature("s3cret", &r.body, &r.signature),
            "bad signature {:?} on {}",
            r.signature,
            r.path
        );
    }
    assert_eq!(got[0].path, "/flags/off");
    let off: Value = serde_json::from_slice(&got[0].body).unwrap();
    assert_eq!(off["flag"], "new-ranking");
    assert_eq!(off["service"], "search");
    assert!(
        off["reason"]
            .as_str()
            .unwrap()
            .contains("attributed to feature_flag.key new-ranking")
    );
    assert_eq!(got[1].path, "/hook");
    let hook_body: Value = serde_json::from_slice(&got[1].body).unwrap();
    assert_eq!(hook_body["event"], "burn.attributed");
    assert_eq!(hook_body["action"], "flag-off");
    assert_eq!(hook_body["flag"], "new-ranking");

    // Within the cool-down the same cause is not acted on again.
    let (_, again) = s.post("/api/v1/actions/check", b"");
    assert_eq!(again["findings"].as_array().unwrap().len(), 1);
    assert_eq!(again["actions"], json!([]));
    let (_, after) = s.get("/api/v1/actions");
    assert_eq!(after["actions"].as_array().unwrap().len(), 2);
    assert!(rx.recv_timeout(Duration::from_millis(200)).is_err());
}
