//! PagerDuty Events v2 bodies: trigger with payload, resolve by dedup key.

use super::*;

fn sample(status: Status, severity: &str) -> Notification {
    Notification {
        key: "checkout-availability/default/page/burn".into(),
        status,
        severity: severity.into(),
        slo: "checkout-availability".into(),
        objective: "default".into(),
        service: "checkout".into(),
        summary: "checkout is burning budget 14x".into(),
        description: "2% of budget in the last hour".into(),
        labels: Default::default(),
        annotations: [(
            "runbook_url".to_string(),
            "https://runbooks/checkout".to_string(),
        )]
        .into(),
        starts_at: "2026-01-02T03:04:05Z".parse().unwrap(),
        ends_at: None,
        generator_url: "http://lodestar/slos/checkout-availability".into(),
    }
}

#[test]
fn trigger_carries_payload_and_links() {
    let e = event("RK", &sample(Status::Firing, "page"));
    assert_eq!(e["routing_key"], "RK");
    assert_eq!(e["event_action"], "trigger");
    assert_eq!(e["dedup_key"], "checkout-availability/default/page/burn");
    let p = &e["payload"];
    assert_eq!(p["summary"], "checkout is burning budget 14x");
    assert_eq!(p["source"], "checkout");
    assert_eq!(p["severity"], "critical");
    assert_eq!(p["component"], "checkout-availability");
    assert_eq!(p["group"], "checkout");
    assert_eq!(p["class"], "SLOBurnRatePage");
    assert_eq!(p["timestamp"], "2026-01-02T03:04:05Z");
    assert_eq!(
        p["custom_details"]["description"],
        "2% of budget in the last hour"
    );
    assert_eq!(
        e["links"][0]["href"],
        "http://lodestar/slos/checkout-availability"
    );
    assert_eq!(e["links"][1]["href"], "https://runbooks/checkout");
}

#[test]
fn resolve_is_just_the_key() {
    let e = event("RK", &sample(Status::Resolved, "page"));
    assert_eq!(
        e,
        serde_json::json!({
            "routing_key": "RK",
            "event_action": "resolve",
            "dedup_key": "checkout-availability/default/page/burn",
        })
    );
}

#[test]
fn severities_map_to_pagerduty_words() {
    for (ours, theirs) in [
        ("page", "critical"),
        ("ticket", "warning"),
        ("Critical", "critical"),
        ("error", "error"),
        ("info", "info"),
        ("whatever", "warning"),
    ] {
        assert_eq!(severity(ours), theirs, "{ours}");
    }
    let ticket = event("RK", &sample(Status::Firing, "ticket"));
    assert_eq!(ticket["payload"]["severity"], "warning");
}
