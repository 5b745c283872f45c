//! Slack message shape: fallback text, header, fields, links, limits.

use super::*;

fn sample(status: Status) -> Notification {
    Notification {
        key: "checkout-availability/default/page/burn".into(),
        status,
        severity: "page".into(),
        slo: "checkout-availability".into(),
        objective: "default".into(),
        service: "checkout".into(),
        summary: "checkout is burning budget 14x".into(),
        description: "errors <5xx> & timeouts".into(),
        labels: Default::default(),
        annotations: [
            (
                "runbook_url".to_string(),
                "https://runbooks/checkout".to_string(),
            ),
            ("owner".to_string(), "payments".to_string()),
        ]
        .into(),
        starts_at: "2026-01-02T03:04:05Z".parse().unwrap(),
        ends_at: None,
        generator_url: "http://127.0.0.1:8080/slos/checkout-availability".into(),
    }
}

#[test]
fn firing_message_has_header_fields_and_links() {
    let m = message(&sample(Status::Firing), Timestamp::UNIX_EPOCH);
    assert_eq!(
        m["text"],
        "[FIRING] checkout-availability: checkout is burning budget 14x"
    );
    let blocks = m["blocks"].as_array().unwrap();
    let kinds: Vec<&str> = blocks.iter().map(|b| b["type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["header", "section", "section", "section", "context"]
    );
    assert_eq!(
        blocks[0]["text"]["text"],
        "FIRING: checkout is burning budget 14x"
    );
    assert_eq!(
        blocks[1]["text"]["text"],
        "errors &lt;5xx&gt; &amp; timeouts"
    );
    let fields: Vec<&str> = blocks[2]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "*SLO*\ncheckout-availability",
            "*Objective*\ndefault",
            "*Service*\ncheckout",
            "*Severity*\npage",
            "*Started*\n2026-01-02T03:04:05Z",
            "*Owner*\npayments"
        ]
    );
    assert_eq!(
        blocks[3]["text"]["text"],
        "<http://127.0.0.1:8080/slos/checkout-availability|Open in Lodestar>  ·  <https://runbooks/checkout|Runbook>"
    );
}

#[test]
fn resolved_message_says_resolved() {
    let now: Timestamp = "2026-01-02T05:00:00Z".parse().unwrap();
    let m = message(&sample(Status::Resolved), now);
    assert!(m["text"].as_str().unwrap().starts_with("[RESOLVED]"));
    assert!(
        m["blocks"][0]["text"]["text"]
            .as_str()
            .unwrap()
            .starts_with("RESOLVED:")
    );
    let fields = m["blocks"][2]["fields"].as_array().unwrap();
    assert!(
        fields
            .iter()
            .any(|f| f["text"] == "*Resolved*\n2026-01-02T05:00:00Z")
    );
}

#[test]
fn long_summaries_are_cut_to_slack_limits() {
    let mut n = sample(Status::Firing);
    n.summary = "x".repeat(500);
    let m = message(&n, Timestamp::UNIX_EPOCH);
    let header = m["blocks"][0]["text"]["text"].as_str().unwrap();
    assert_eq!(header.chars().count(), 150);
    assert!(header.ends_with('…'));
}

#[test]
fn link_urls_cannot_break_out_of_the_link() {
    assert_eq!(link("http://a/b|c>d", "L"), "<http://a/b%7Cc%3Ed|L>");
}
