//! Alerting end to end: a real server whose alert loop pages for an
//! outage, delivers it to a real Prometheus Alertmanager and to a signed
//! webhook on loopback, shows it in `GET /api/v1/alerts` and `lodestar
//! alerts`, replays the same page from history, and takes maintenance
//! windows through the corrections API.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::harness::{Server, agent, bin, event, free_port, minute_ms, required, specs_dir};

/// A real Alertmanager on loopback, killed on drop.
struct Alertmanager {
    child: Child,
    base: String,
    _dir: tempfile::TempDir,
}

impl Drop for Alertmanager {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_alertmanager() -> Alertmanager {
    let exe = required("prometheus-alertmanager", "prometheus-alertmanager");
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("alertmanager.yml");
    std::fs::write(
        &config,
        "route:\n  receiver: nowhere\n  group_by: [slo, severity]\nreceivers:\n  - name: nowhere\n",
    )
    .unwrap();
    let port = free_port();
    let child = Command::new(exe)
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.path={}",
            dir.path().join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--cluster.listen-address=")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting prometheus-alertmanager");
    let am = Alertmanager {
        child,
        base: format!("http://127.0.0.1:{port}"),
        _dir: dir,
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = agent().get(format!("{}/-/ready", am.base)).call()
            && r.status().as_u16() == 200
        {
            return am;
        }
        assert!(
            Instant::now() < deadline,
            "alertmanager not ready within 30 s"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// One request a receiver got: header lines and body.
type Received = (Vec<String>, Vec<u8>);

/// A loopback HTTP receiver that answers 200 to every request and hands
/// each one (headers, body) to the test; it stops with the test process.
fn start_receiver() -> (String, mpsc::Receiver<Received>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(50) {
            let Ok(mut stream) = stream else { continue };
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut headers = Vec::new();
            let mut len = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                let l = line.trim_end().to_string();
                if let Some(v) = l.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
                headers.push(l);
            }
            let mut body = vec![0; len];
            let _ = reader.read_exact(&mut body);
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
            if tx.send((headers, body)).is_err() {
                return;
            }
        }
    });
    (url, rx)
}

/// An hour of `/pay` traffic (100 a minute) ending with the minute that
/// starts at `now_minute_ms`, all failing in the last 12 minutes.
fn outage_events(now_minute_ms: i64) -> Vec<u8> {
    let mut body = String::new();
    for m in (0..60).rev() {
        let start = now_minute_ms - m * 60_000;
        for k in 0..100 {
            let status = if m < 12 { "error" } else { "ok" };
            body.push_str(&event(
                start + k * 500,
                "POST /pay",
                "/pay",
                status,
                20.0,
                "eu-west",
            ));
            body.push('\n');
        }
    }
    body.into_bytes()
}

fn wait_for<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "{what} did not happen within 40 s"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn an_outage_pages_through_alertmanager_and_a_signed_webhook() {
    let am = start_alertmanager();
    let (hook_url, hooks) = start_receiver();
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("hook-secret");
    std::fs::write(&secret, "s3cret\n").unwrap();
    let s = Server::start(
        &dir.path().join("data"),
        &specs_dir(),
        &[
            "--alert-interval",
            "1",
            "--notify",
            &format!("alertmanager:{}", am.base),
            "--notify",
            &format!("webhook:{hook_url}"),
            "--notify-webhook-secret-file",
            secret.to_str().unwrap(),
        ],
    );
    let (status, _) = s.post("/api/v1/events", &outage_events(minute_ms(0)));
    assert_eq!(status, 200);

    // The page arrives in Alertmanager with its labels and link.
    let alert = wait_for("the page in alertmanager", || {
        let mut r = agent()
            .get(format!("{}/api/v2/alerts", am.base))
            .call()
            .ok()?;
        let v: Value = serde_json::from_str(&r.body_mut().read_to_string().ok()?).ok()?;
        v.as_array()?
            .iter()
            .find(|a| a["labels"]["alertname"] == "SLOBurnRatePage")
            .cloned()
    });
    assert_eq!(alert["labels"]["slo"], "pay-availability");
    assert_eq!(alert["labels"]["severity"], "page");
    assert_eq!(alert["labels"]["service"], "shop");
    assert_eq!(alert["labels"]["team"], "payments-team");
    assert!(
        alert["generatorURL"]
            .as_str()
            .unwrap()
            .ends_with("/slos/pay-availability"),
        "{alert}"
    );
    assert_eq!(alert["status"]["state"], "active");

    // The webhook got the same page, signed with the secret.
    let (headers, body) = wait_for("the webhook", || {
        hooks
            .recv_timeout(Duration::from_millis(200))
            .ok()
            .filter(|(_, b)| String::from_utf8_lossy(b).contains("\"page\""))
    });
    let signature = headers
        .iter()
        .find_map(|h| {
            h.strip_prefix("X-Lodestar-Signature: ")
                .or_else(|| h.strip_prefix("x-lodestar-signature: "))
        })
        .unwrap_or_else(|| panic!("no signature header in {headers:?}"));
    assert!(
        notify::webhook::verify_signature("s3cret", &body, signature),
        "{signature}"
    );
    let payload: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(payload["version"], 1, "{payload:#}");

    // The API and the CLI show it firing.
    let (_, doc) = s.get("/api/v1/alerts");
    let page = doc["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["severity"] == "page")
        .unwrap_or_else(|| panic!("{doc:#}"))
        .clone();
    assert_eq!(page["state"], "firing");
    assert_eq!(page["slo"], "pay-availability");
    let sent = &doc["notifications"]["targets"];
    assert!(
        sent.as_array()
            .unwrap()
            .iter()
            .any(|t| t["target"] == "alertmanager" && t["sent"].as_u64() >= Some(1)),
        "{doc:#}"
    );
    let out = Command::new(bin())
        .args(["alerts", "--server", &s.base])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        text.contains("firing") && text.contains("pay-availability/"),
        "{text}"
    );

    // Replaying the last hour finds the same page, fired at the same minute.
    let from = minute_ms(60) / 1000;
    let (_, replay) = s.get(&format!("/api/v1/alerts?from={from}&slo=pay-availability"));
    let replayed = replay["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["severity"] == "page" && a["kind"] == "burn")
        .unwrap_or_else(|| panic!("{replay:#}"))
        .clone();
    assert!(replayed["fired_at"].as_str().is_some(), "{replayed}");
    assert!(
        replayed["fired_at"].as_str().unwrap() <= page["since"].as_str().unwrap(),
        "replay {replayed} vs live {page}"
    );
    let out = Command::new(bin())
        .args([
            "alerts",
            "--server",
            &s.base,
            "--from",
            &from.to_string(),
            "--slo",
            "pay-availability",
        ])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("page"),
        "{out:?}"
    );

    // /metrics counts the deliveries.
    let metrics = s.get_text("/metrics");
    assert!(
        metrics.contains("lodestar_alerts{severity=\"page\",state=\"firing\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("lodestar_notifications_sent_total{target=\"webhook\"}"),
        "{metrics}"
    );
}

#[test]
fn corrections_from_the_api_take_outages_out_of_the_budget() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Server::start(&dir.path().join("data"), &specs_dir(), &[]);
    let now_minute = minute_ms(0);
    let (status, _) = s.post("/api/v1/events", &outage_events(now_minute));
    assert_eq!(status, 200);
    let objective = |s: &Server| {
        let (_, doc) = s.get("/api/v1/slos/pay-availability");
        doc["objectives"][0].clone()
    };
    let before = objective(&s);
    assert_eq!(before["sli"]["total"].as_f64(), Some(6000.0), "{before:#}");
    assert_eq!(before["sli"]["good"].as_f64(), Some(4800.0));

    // The 12 failing minutes, and 3 more to come.
    let start = jiff::Timestamp::from_millisecond(now_minute - 11 * 60_000).unwrap();
    let body = serde_json::json!({
        "name": "pay-db-failover",
        "description": "Planned failover of the payments database.",
        "slos": ["pay-availability"],
        "start": start.to_string(),
        "duration": "15m",
    });
    let (status, created) = s.post("/api/v1/corrections", body.to_string().as_bytes());
    assert_eq!(status, 201, "{created:#}");
    assert_eq!(created["exclude_from_budget"], true);
    let after = objective(&s);
    assert_eq!(after["sli"]["total"].as_f64(), Some(4800.0), "{after:#}");
    assert_eq!(after["sli"]["good"].as_f64(), Some(4800.0));

    // Bad requests name the field.
    let (status, err) = s.post(
        "/api/v1/corrections",
        br#"{"name":"x","slos":["nope"],"start":"2026-01-01 00:00:00","duration":"1h"}"#,
    );
    assert_eq!(status, 400);
    assert!(err.to_string().contains("slos[0]"), "{err}");

    // The correction survives a restart.
    s.stop();
    let s = Server::start(&dir.path().join("data"), &specs_dir(), &[]);
    let (_, list) = s.get("/api/v1/corrections");
    assert_eq!(
        list["corrections"][0]["name"], "pay-db-failover",
        "{list:#}"
    );
    assert_eq!(objective(&s)["sli"]["total"].as_f64(), Some(4800.0));
}
