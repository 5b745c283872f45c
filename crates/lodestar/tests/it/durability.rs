//! Acknowledged events survive `kill -9` of the server in the middle of
//! ingest, and a clean restart keeps every figure.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use super::harness::{Server, event, minute_ms, specs_dir};

const BATCH: u64 = 500;

#[test]
fn acknowledged_events_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Server::start(dir.path(), &specs_dir(), &[]);
    let acked = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let base = s.base.clone();
    let poster = {
        let (acked, stop) = (acked.clone(), stop.clone());
        std::thread::spawn(move || {
            let agent = super::harness::agent();
            let t = minute_ms(3);
            let mut body = String::new();
            for i in 0..BATCH {
                body += &event(
                    t + i as i64,
                    "POST /pay",
                    "/pay",
                    if i % 50 == 0 { "error" } else { "ok" },
                    3.0,
                    "eu-west",
                );
                body.push('\n');
            }
            // Bounded: at most 10,000 requests, and it stops at the first failure.
            for _ in 0..10_000 {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                match agent
                    .post(format!("{base}/api/v1/events"))
                    .send(body.as_bytes())
                {
                    Ok(mut r) if r.status().as_u16() == 200 => {
                        let v: serde_json::Value =
                            serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
                        acked.fetch_add(v["accepted"].as_u64().unwrap(), Ordering::SeqCst);
                    }
                    _ => break,
                }
            }
        })
    };
    // Let it ingest for a while, then kill without warning.
    for _ in 0..200 {
        if acked.load(Ordering::SeqCst) >= 20 * BATCH {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    s.kill9();
    stop.store(true, Ordering::Relaxed);
    poster.join().unwrap();
    let acked = acked.load(Ordering::SeqCst);
    assert!(acked >= BATCH, "the poster never got an acknowledgement");

    let s = Server::start(dir.path(), &specs_dir(), &[]);
    let (_, doc) = s.get("/api/v1/slos/pay-availability");
    let stored = doc["objectives"][0]["sli"]["raw_total"].as_u64().unwrap();
    // Every acknowledged event is there; at most the one request in flight
    // at the kill may also have been made durable before its answer.
    assert!(
        stored >= acked,
        "lost acknowledged events: stored {stored}, acknowledged {acked}"
    );
    assert!(
        stored <= acked + BATCH,
        "stored {stored} > acknowledged {acked} + one batch"
    );
    assert_eq!(stored % BATCH, 0, "a request is stored whole or not at all");
}

#[test]
fn clean_restart_keeps_every_figure() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Server::start(dir.path(), &specs_dir(), &[]);
    let mut body = String::new();
    for m in 0..120 {
        for i in 0..5 {
            body += &event(
                minute_ms(m + 1) + i,
                "GET /search",
                "/search",
                "ok",
                (10 * (i + 1) + m) as f64,
                "us-east",
            );
            body.push('\n');
            body += &event(
                minute_ms(m + 1) + i,
                "POST /pay",
                "/pay",
                if (m + i) % 17 == 0 { "error" } else { "ok" },
                9.0,
                "us-east",
            );
            body.push('\n');
        }
    }
    assert_eq!(s.post("/api/v1/events", body.as_bytes()).0, 200);
    let at = minute_ms(0) / 1000;
    let before = s.get(&format!("/api/v1/slos?at={at}")).1;
    s.stop();
    let s = Server::start(dir.path(), &specs_dir(), &[]);
    let after = s.get(&format!("/api/v1/slos?at={at}")).1;
    assert_eq!(before, after);
    assert_eq!(
        after["slos"][1]["objectives"][0]["sli"]["total"].as_f64(),
        Some(120.0),
        "120 one-minute slices with data"
    );
}
