//! Deliveries to local receivers: the webhook's signature recomputed
//! independently, Slack's message shape, PagerDuty trigger then resolve,
//! retry with backoff after 500, no retry after 400, timeouts, and an
//! outbox that is reopened between enqueue and delivery.

use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use jiff::Timestamp;
use notify::{
    HttpTransport, Notification, Outbox, Outcome, Status, Target, TargetConfig, TargetName,
    TargetSet,
};
use sha2::Sha256;

use crate::it::receiver::{Behaviour, Receiver};

fn note(status: Status) -> Notification {
    Notification {
        key: "checkout-availability/default/page/burn".into(),
        status,
        severity: "page".into(),
        slo: "checkout-availability".into(),
        objective: "default".into(),
        service: "checkout".into(),
        summary: "checkout availability burning 14.4x".into(),
        description: "2% of the 28-day budget in the last hour".into(),
        labels: [("team".to_string(), "payments".to_string())].into(),
        annotations: [(
            "runbook_url".to_string(),
            "https://runbooks.example/checkout".to_string(),
        )]
        .into(),
        starts_at: at(0),
        ends_at: None,
        generator_url: "http://127.0.0.1:8080/slos/checkout-availability".into(),
    }
}

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_second(1_767_225_600 + seconds).unwrap()
}

fn one(name: &str, target: Target) -> TargetSet {
    TargetSet::new([(TargetName::new(name), target)]).unwrap()
}

fn names(name: &str) -> Vec<TargetName> {
    vec![TargetName::new(name)]
}

#[test]
fn webhook_bodies_are_signed_over_the_raw_bytes() {
    let receiver = Receiver::start(Behaviour::ok(204));
    let config = TargetConfig {
        kind: "webhook".into(),
        url: Some(receiver.url("/hooks/lodestar")),
        secret: Some("correct horse".into()),
        routing_key: None,
    };
    let set = one("hook", Target::from_config(&config).unwrap());
    let dir = tempfile::tempdir().unwrap();
    let mut outbox = Outbox::open(dir.path()).unwrap();
    outbox
        .enqueue(&note(Status::Firing), &names("hook"), at(60))
        .unwrap();
    let got = outbox.deliver_due(&set, at(61)).unwrap();
    assert_eq!(got[0].outcome, Outcome::Sent);

    let requests = receiver.requests();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        ("POST", "/hooks/lodestar")
    );
    assert_eq!(r.header("content-type"), Some("application/json"));
    let mut mac = Hmac::<Sha256>::new_from_slice(b"correct horse").unwrap();
    mac.update(&r.body);
    let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    assert_eq!(r.header("x-lodestar-signature"), Some(expected.as_str()));
    assert_eq!(
        r.header("x-lodestar-timestamp"),
        Some(at(61).as_second().to_string().as_str())
    );
    assert_eq!(r.header("x-lodestar-delivery"), Some("1"));
    let body = r.json();
    assert_eq!(body["version"], 1);
    assert_eq!(body["status"], "firing");
    assert_eq!(body["key"], "checkout-availability/default/page/burn");
    assert_eq!(body["labels"]["team"], "payments");
    assert_eq!(body["sentAt"], at(61).to_string());
    assert!(notify::webhook::verify_signature(
        "correct horse",
        &r.body,
        &expected
    ));
}

#[test]
fn slack_messages_have_text_blocks_and_say_resolved() {
    let receiver = Receiver::start(Behaviour::ok(200));
    let set = one(
        "chat",
        Target::parse(&format!("slack:{}", receiver.url("/services/T/B/X"))).unwrap(),
    );
    let dir = tempfile::tempdir().unwrap();
    let mut outbox = Outbox::open(dir.path()).unwrap();
    outbox
        .enqueue(&note(Status::Firing), &names("chat"), at(0))
        .unwrap();
    let mut resolved = note(Status::Resolved);
    resolved.ends_at = Some(at(900));
    outbox.enqueue(&resolved, &names("chat"), at(1)).unwrap();
    let got = outbox.deliver_due(&set, at(2)).unwrap();
    assert!(got.iter().all(|d| d.outcome == Outcome::Sent), "{got:?}");

    let bodies: Vec<serde_json::Value> = receiver.requests().iter().map(|r| r.json()).collect();
    assert_eq!(bodies.len(), 2);
    for (body, word) in bodies.iter().zip(["FIRING", "RESOLVED"]) {
        assert!(
            body["text"]
                .as_str()
                .unwrap()
                .starts_with(&format!("[{word}]")),
            "{body}"
        );
        let blocks = body["blocks"].as_array().unwrap();
        assert_eq!(blocks[0]["type"], "header");
        assert!(
            blocks[0]["text"]["text"]
                .as_str()
                .unwrap()
                .starts_with(word)
        );
        assert!(blocks.iter().any(|b| b["fields"].is_array()));
        assert!(blocks.iter().any(|b| {
            b["text"]["text"]
                .as_str()
                .is_some_and(|t| t.contains("<http://127.0.0.1:8080/slos/checkout-availability|"))
        }));
    }
    assert!(bodies[1].to_string().contains(&at(900).to_string()));
}

#[test]
fn pagerduty_triggers_then_resolves_with_one_dedup_key() {
    let receiver = Receiver::start(Behaviour::ok(202));
    let config = TargetConfig {
        kind: "pagerduty".into(),
        url: Some(receiver.url("/v2/enqueue")),
        secret: None,
        routing_key: Some("R0UT1NG".into()),
    };
    let set = one("pd", Target::from_config(&config).unwrap());
    let dir = tempfile::tempdir().unwrap();
    let mut outbox = Outbox::open(dir.path()).unwrap();
    outbox
        .enqueue(&note(Status::Firing), &names("pd"), at(0))
        .unwrap();
    outbox.deliver_due(&set, at(0)).unwrap();
    outbox
        .enqueue(&note(Status::Resolved), &names("pd"), at(600))
        .unwrap();
    outbox.deliver_due(&set, at(600)).unwrap();

    let bodies: Vec<serde_json::Value> = receiver.requests().iter().map(|r| r.json()).collect();
    assert_eq!(bodies.len(), 2);
    let (trigger, resolve) = (&bodies[0], &bodies[1]);
    assert_eq!(trigger["event_action"], "trigger");
    assert_eq!(resolve["event_action"], "resolve");
    assert_eq!(trigger["dedup_key"], resolve["dedup_key"]);
    assert_eq!(
        trigger["dedup_key"],
        "checkout-availability/default/page/burn"
    );
    assert_eq!(trigger["routing_key"], "R0UT1NG");
    assert_eq!(resolve["routing_key"], "R0UT1NG");
    let payload = &trigger["payload"];
    for field in [
        "summary",
        "source",
        "severity",
        "component",
        "group",
        "class",
        "custom_details",
    ] {
        assert!(
            !payload[field].is_null(),
            "payload.{field} missing in {payload}"
        );
    }
    assert_eq!(payload["severity"], "critical");
    assert_eq!(
        trigger["links"][0]["href"],
        "http://127.0.0.1:8080/slos/checkout-availability"
    );
    assert_eq!(outbox.stats()[0].sent, 2);
}

#[test]
fn a_500_is_retried_with_backoff() {
    let receiver = Receiver::start(Behaviour::failing_first(2, 500));
    let set = one(
        "hook",
        Target::parse(&format!("webhook:{}", receiver.url("/h"))).unwrap(),
    );
    let dir = tempfile::tempdir().unwrap();
    let mut outbox = Outbox::open(dir.path()).unwrap();
    outbox
        .enqueue(&note(Status::Firing), &names("hook"), at(0))
        .unwrap();

    let first = outbox.deliver_due(&set, at(0)).unwrap();
    assert!(
        matches!(&first[0].outcome, Outcome::Failed { next_attempt_at, error }
        if *next_attempt_at == at(10) && error.contains("HTTP 500")),
        "{first:?}"
    );
    assert!(outbox.deliver_due(&set, at(9)).unwrap().is_empty());
    let second = outbox.deliver_due(&set, at(10)).unwrap();
    assert!(
        matches!(&second[0].outcome, Outcome::Failed { next_attempt_at, .. } if *next_attempt_at == at(30))
    );
    assert!(outbox.deliver_due(&set, at(29)).unwrap().is_empty());
    assert_eq!(
        outbox.deliver_due(&set, at(30)).unwrap()[0].outcome,
        Outcome::Sent
    );

    let requests = receiver.requests();
    assert_eq!(requests.len(), 3);
    assert!(
        requests
            .iter()
            .all(|r| r.header("x-lodestar-delivery") == Some("1"))
    );
    let stats = &outbox.stats()[0];
    assert_eq!(
        (stats.sent, stats.failed_attempts, stats.pending),
        (1, 2, 0)
    );
    assert!(
        stats
            .last_error
            .as_deref()
            .unwrap()
            .contains("answered HTTP 500: receiver says no")
    );
}

#[test]
fn a_400_is_not_retried() {
    let receiver = Receiver::start(Behaviour::failing_first(usize::MAX, 400));
    let set = one(
        "hook",
        Target::parse(&format!("webhook:{}", receiver.url("/h"))).unwrap(),
    );
    let dir = tempfile::tempdir().unwrap();
    let mut outbox = Outbox::open(dir.path()).unwrap();
    outbox
        .enqueue(&note(Status::Firing), &names("hook"), at(0))
        .unwrap();
    let got = outbox.deliver_due(&set, at(0)).unwrap();
    assert!(matches!(&got[0].outcome, Outcome::GaveUp { error } if error.contains("HTTP 400")));
    assert!(outbox.deliver_due(&set, at(3600)).unwrap().is_empty());
    assert_eq!(receiver.requests().len(), 1);
    let stats = &outbox.stats()[0];
    assert_eq!((stats.given_up, stats.pending), (1, 0));
}

#[test]
fn a_receiver_that_never_answers_times_out_and_is_retried() {
    let receiver = Receiver::start(Behaviour {
        hang: true,
        ..Behaviour::ok(200)
    });
    let target = Target::parse(&format!("webhook:{}", receiver.url("/h"))).unwrap();
    let set = TargetSet::with_transport(
        [(TargetName::new("hook"), target)],
        Box::new(HttpTransport::with_timeout(Duration::from_millis(300))),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut outbox = Outbox::open(dir.path()).unwrap();
    outbox
        .enqueue(&note(Status::Firing), &names("hook"), at(0))
        .unwrap();
    let started = Instant::now();
    let got = outbox.deliver_due(&set, at(0)).unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
    assert!(matches!(&got[0].outcome, Outcome::Failed { .. }), "{got:?}");
}

#[test]
fn a_refused_connection_is_retried() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let set = one(
        "hook",
        Target::parse(&format!("webhook:http://127.0.0.1:{port}/h")).unwrap(),
    );
    let dir = tempfile::tempdir().unwrap();
    let mut outbox = Outbox::open(dir.path()).unwrap();
    outbox
        .enqueue(&note(Status::Firing), &names("hook"), at(0))
        .unwrap();
    let got = outbox.deliver_due(&set, at(0)).unwrap();
    assert!(
        matches!(&got[0].outcome, Outcome::Failed { error, .. } if error.starts_with(&format!("webhook http://127.0.0.1:{port}/h: "))),
        "{got:?}"
    );
}

#[test]
fn a_queued_notification_survives_reopening_the_outbox() {
    let receiver = Receiver::start(Behaviour::ok(200));
    let set = one(
        "hook",
        Target::parse(&format!("webhook:{}", receiver.url("/h"))).unwrap(),
    );
    let dir = tempfile::tempdir().unwrap();
    {
        let mut outbox = Outbox::open(dir.path()).unwrap();
        outbox
            .enqueue(&note(Status::Firing), &names("hook"), at(0))
            .unwrap();
    }
    assert!(receiver.requests().is_empty());
    let mut outbox = Outbox::open(dir.path()).unwrap();
    assert_eq!(outbox.pending().len(), 1);
    assert_eq!(
        outbox.deliver_due(&set, at(5)).unwrap()[0].outcome,
        Outcome::Sent
    );
    assert_eq!(
        receiver.requests()[0].json()["key"],
        "checkout-availability/default/page/burn"
    );
    drop(outbox);
    assert!(Outbox::open(dir.path()).unwrap().pending().is_empty());
}
