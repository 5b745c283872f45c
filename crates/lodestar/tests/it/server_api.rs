//! The HTTP API of a real server process: exact figures for known events,
//! line-by-line rejection, limits, reload and authentication.

use std::io::Write;

use serde_json::Value;

use super::harness::{Server, event, minute_ms, specs_dir};

fn objective(doc: &Value) -> &Value {
    &doc["objectives"][0]
}

#[test]
fn known_events_give_exact_figures_and_at_is_reproducible() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &specs_dir(), &[]);
    let t0 = minute_ms(30) + 1_000;
    let mut body = String::new();
    for i in 0..100 {
        let status = if i < 88 { "ok" } else { "error" };
        body += &event(t0 + i, "POST /pay", "/pay", status, 20.0, "eu-west");
        body.push('\n');
    }
    for i in 0..50 {
        body += &event(t0 + i, "POST /pay", "/pay", "ok", 20.0, "us-east");
        body.push('\n');
    }
    // A sampled error standing for ten events, and an event no SLI selects.
    body += &format!(
        r#"{{"timestamp":{t0},"name":"POST /pay","status":"error","sample_rate":10,"attributes":{{"http.route":"/pay"}}}}"#
    );
    body.push('\n');
    body += &event(t0, "GET /", "/", "error", 5.0, "eu-west");
    body.push('\n');
    let (status, r) = s.post("/api/v1/events", body.as_bytes());
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["accepted"], 152);
    assert_eq!(r["rejected"], 0);

    let at = minute_ms(0) / 1000 + 30;
    let (status, doc) = s.get(&format!("/api/v1/slos/pay-availability?at={at}"));
    assert_eq!(status, 200, "{doc}");
    let o = objective(&doc);
    assert_eq!(o["sli"]["good"].as_f64(), Some(138.0), "{o}");
    assert_eq!(o["sli"]["total"].as_f64(), Some(160.0));
    assert_eq!(o["sli"]["raw_total"].as_u64(), Some(151));
    let value = o["sli"]["value"].as_f64().unwrap();
    assert!((value - 138.0 / 160.0).abs() < 1e-12);
    let budget_total = o["error_budget"]["total"].as_f64().unwrap();
    assert!((budget_total - 1.6).abs() < 1e-9, "{o}");
    assert_eq!(o["error_budget"]["consumed"].as_f64(), Some(22.0));
    let remaining = o["error_budget"]["remaining"].as_f64().unwrap();
    assert!((remaining - (1.0 - 22.0 / 1.6)).abs() < 1e-9);
    let burn_1h = o["burn_rates"]["1h"].as_f64().unwrap();
    assert!((burn_1h - (22.0 / 160.0) / 0.01).abs() < 1e-9);

    // The drill-down by region: eu-west burned 12 of 22, the unlabelled sampled event 10.
    let (status, seg) = s.get(&format!("/api/v1/slos/pay-availability/segments?at={at}"));
    assert_eq!(status, 200, "{seg}");
    let dim = &seg["objectives"][0]["dimensions"][0];
    assert_eq!(dim["dimension"], "region");
    let order: Vec<(&str, f64)> = dim["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["value"].as_str().unwrap(),
                v["error_budget"]["consumed"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(order, [("eu-west", 12.0), ("none", 10.0), ("us-east", 0.0)]);
    let share = dim["segments"][0]["share_of_consumed"].as_f64().unwrap();
    assert!((share - 12.0 / 22.0).abs() < 1e-12);
    assert!(
        o["burn_rates"]["5m"].is_null(),
        "no events in the last 5 minutes: {o}"
    );
    assert_eq!(doc["status"], "exhausted");
    assert_eq!(doc["name"], "pay-availability");
    assert_eq!(doc["service"], "shop");
    assert_eq!(doc["budgeting_method"], "Occurrences");

    // Before the events, the same SLO has no data.
    let before = (t0 / 1000) - 120;
    let (_, doc) = s.get(&format!("/api/v1/slos/pay-availability?at={before}"));
    assert_eq!(objective(&doc)["sli"]["total"].as_f64(), Some(0.0));
    assert_eq!(doc["status"], "no_data");
    // RFC 3339 works as well as epoch seconds, and gives the same answer.
    let rfc = jiff::Timestamp::from_second(at).unwrap().to_string();
    let (_, a) = s.get(&format!("/api/v1/slos/pay-availability?at={rfc}"));
    let (_, b) = s.get(&format!("/api/v1/slos/pay-availability?at={at}"));
    assert_eq!(a, b);

    // /metrics shows the same figures, and promtool accepts the exposition.
    let text = s.get_text("/metrics");
    let objective_name = o["name"].as_str().unwrap();
    let sli_line = format!(
        "lodestar_slo_sli_ratio{{slo=\"pay-availability\",objective=\"{objective_name}\",service=\"shop\"}} "
    );
    let line = text
        .lines()
        .find(|l| l.starts_with(&sli_line))
        .unwrap_or_else(|| panic!("{text}"));
    let exported: f64 = line[sli_line.len()..].parse().unwrap();
    assert!((exported - 138.0 / 160.0).abs() < 1e-12, "{line}");
    assert!(
        text.contains("lodestar_ingest_events_total{source=\"ndjson\",result=\"accepted\"} 152\n"),
        "{text}"
    );
    assert!(text.contains(&format!("lodestar_slo_status{{slo=\"pay-availability\",objective=\"{objective_name}\",service=\"shop\",status=\"exhausted\"}} 1\n")));
    let mut promtool = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("promtool (Debian package prometheus) is needed by this test");
    std::io::Write::write_all(&mut promtool.stdin.take().unwrap(), text.as_bytes()).unwrap();
    let out = promtool.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool check metrics: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    let (status, list) = s.get(&format!("/api/v1/slos?at={at}"));
    assert_eq!(status, 200);
    let names: Vec<&str> = list["slos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["pay-availability", "search-latency"]);

    let (status, err) = s.get("/api/v1/slos/nope");
    assert_eq!(status, 404);
    assert!(err["error"].as_str().unwrap().contains("nope"));
    let (status, err) = s.get("/api/v1/slos?at=yesterday");
    assert_eq!(status, 400);
    assert!(err["error"].as_str().unwrap().contains("at="), "{err}");
}

#[test]
fn bad_lines_are_answered_line_by_line_and_nothing_good_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &specs_dir(), &["--max-body-bytes", "4096"]);
    let t = minute_ms(5);
    let future = minute_ms(-10);
    let old = minute_ms(40 * 1440);
    let body = [
        event(t, "POST /pay", "/pay", "ok", 1.0, "eu-west"),
        "{not json".to_string(),
        r#"{"name":"POST /pay","status":"ok"}"#.to_string(),
        r#"{"timestamp":"yesterday","name":"x"}"#.to_string(),
        event(future, "POST /pay", "/pay", "ok", 1.0, "eu-west"),
        event(old, "POST /pay", "/pay", "ok", 1.0, "eu-west"),
        event(t, "POST /pay", "/pay", "ok", 1.0, "eu-west"),
    ]
    .join("\n");
    let (status, r) = s.post("/api/v1/events", body.as_bytes());
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["accepted"], 2);
    assert_eq!(r["rejected"], 5);
    let lines: Vec<u64> = r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [2, 3, 4, 5, 6]);
    for e in r["errors"].as_array().unwrap() {
        let m = e["message"].as_str().unwrap();
        assert!(
            m.starts_with(|c: char| c.is_ascii_lowercase()),
            "messages start lowercase: {m}"
        );
    }
    let (status, r) = s.post("/api/v1/events", b"{nope}\n");
    assert_eq!(status, 400, "{r}");
    assert_eq!(r["accepted"], 0);
    let big = vec![b' '; 5000];
    let (status, r) = s.post("/api/v1/events", &big);
    assert_eq!(status, 413, "{r}");
    assert!(r["error"].as_str().unwrap().contains("4096"));

    let (_, doc) = s.get("/api/v1/slos/pay-availability");
    assert_eq!(objective(&doc)["sli"]["total"].as_f64(), Some(2.0));
}

#[test]
fn gzip_bodies_are_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &specs_dir(), &[]);
    let line = event(minute_ms(1), "POST /pay", "/pay", "ok", 1.0, "eu-west");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(line.as_bytes()).unwrap();
    let gz = enc.finish().unwrap();
    let mut resp = s
        .agent
        .post(format!("{}/api/v1/events", s.base))
        .header("Content-Encoding", "gzip")
        .send(&gz[..])
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let r: Value = serde_json::from_str(&resp.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(r["accepted"], 1);
}

#[test]
fn reload_swaps_valid_specs_and_refuses_invalid_ones() {
    let dir = tempfile::tempdir().unwrap();
    let specs = dir.path().join("specs");
    std::fs::create_dir_all(&specs).unwrap();
    let original = std::fs::read_to_string(specs_dir().join("shop.yaml")).unwrap();
    std::fs::write(specs.join("shop.yaml"), &original).unwrap();
    let s = Server::start(dir.path(), &specs, &[]);
    let count = |s: &Server| s.get("/api/v1/slos").1["slos"].as_array().unwrap().len();
    assert_eq!(count(&s), 2);

    // An invalid change is refused with diagnostics; the running set stays.
    std::fs::write(
        specs.join("shop.yaml"),
        original.replace("budgetingMethod: Occurrences", "budgetingMethod: Sometimes"),
    )
    .unwrap();
    let (status, r) = s.post("/api/v1/reload", b"");
    assert_eq!(status, 422, "{r}");
    let diags = r["diagnostics"].as_array().unwrap();
    assert!(
        diags
            .iter()
            .any(|d| d.as_str().unwrap().contains("shop.yaml:")
                && d.as_str().unwrap().contains("budgetingMethod")),
        "{r}"
    );
    assert_eq!(count(&s), 2);

    // A valid one takes effect.
    let extra = original
        .split("---")
        .nth(1)
        .unwrap()
        .replace("name: pay-availability", "name: pay-availability-2");
    std::fs::write(specs.join("shop.yaml"), &original).unwrap();
    std::fs::write(specs.join("more.yaml"), &extra).unwrap();
    let (status, r) = s.post("/api/v1/reload", b"");
    assert_eq!(status, 200, "{r}");
    assert_eq!(count(&s), 3);

    // SIGHUP reloads too.
    std::fs::remove_file(specs.join("more.yaml")).unwrap();
    let ok = std::process::Command::new("kill")
        .arg("-HUP")
        .arg(s.pid().to_string())
        .status()
        .unwrap();
    assert!(ok.success());
    let mut n = 0;
    for _ in 0..100 {
        n = count(&s);
        if n == 2 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(n, 2, "SIGHUP did not reload within 10 s");
}

#[test]
fn tokens_are_required_and_scoped() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = dir.path().join("tokens");
    std::fs::write(&tokens, "ingest-token-0123456789 ingest\nread-token-0123456789 read\nadmin-token-0123456789 admin\n").unwrap();
    let mut s = Server::start(
        dir.path(),
        &specs_dir(),
        &["--auth-token-file", tokens.to_str().unwrap()],
    );
    let (status, _) = s.get("/api/v1/slos");
    assert_eq!(status, 401);
    s.token = Some("ingest-token-0123456789".into());
    assert_eq!(s.get("/api/v1/slos").0, 403);
    let line = event(minute_ms(1), "POST /pay", "/pay", "ok", 1.0, "eu-west");
    assert_eq!(s.post("/api/v1/events", line.as_bytes()).0, 200);
    s.token = Some("read-token-0123456789".into());
    assert_eq!(s.get("/api/v1/slos").0, 200);
    assert_eq!(s.post("/api/v1/events", line.as_bytes()).0, 403);
    assert_eq!(s.post("/api/v1/reload", b"").0, 403);
    s.token = Some("admin-token-0123456789".into());
    assert_eq!(s.post("/api/v1/reload", b"").0, 200);
    s.token = Some("wrong-token-0123456789".into());
    assert_eq!(s.get("/api/v1/slos").0, 401);
}

#[test]
fn exposing_without_tokens_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(super::harness::bin())
        .args(["serve", "--listen", "0.0.0.0:0", "--config"])
        .arg(specs_dir())
        .arg("--data")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("not a loopback address") && err.contains("--auth-token-file"),
        "{err}"
    );
}
