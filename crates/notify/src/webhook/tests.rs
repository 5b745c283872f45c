//! The webhook body schema and its HMAC signature.

use proptest::prelude::*;

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
        description: "2% of budget in the last hour".into(),
        labels: [("team".to_string(), "payments".to_string())].into(),
        annotations: [(
            "runbook_url".to_string(),
            "https://runbooks/checkout".to_string(),
        )]
        .into(),
        starts_at: "2026-01-02T03:04:05Z".parse().unwrap(),
        ends_at: None,
        generator_url: "http://127.0.0.1:8080/slos/checkout-availability".into(),
    }
}

#[test]
fn signature_matches_rfc_4231_case_2() {
    assert_eq!(
        signature("Jefe", b"what do ya want for nothing?"),
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
}

#[test]
fn body_follows_schema_version_1() {
    let now: Timestamp = "2026-01-02T03:10:00.750Z".parse().unwrap();
    let req = request("http://r/hook", Some("k"), &sample(Status::Firing), 42, now);
    let value: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
    let mut keys: Vec<&str> = value
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "annotations",
            "deliveryId",
            "description",
            "endsAt",
            "generatorURL",
            "key",
            "labels",
            "objective",
            "sentAt",
            "service",
            "severity",
            "slo",
            "startsAt",
            "status",
            "summary",
            "version"
        ]
    );
    assert_eq!(value["version"], 1);
    assert_eq!(value["status"], "firing");
    assert_eq!(value["endsAt"], serde_json::Value::Null);
    assert_eq!(value["startsAt"], "2026-01-02T03:04:05Z");
    assert_eq!(value["sentAt"], "2026-01-02T03:10:00Z");
    let header = |name: &str| {
        req.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(header(TIMESTAMP_HEADER).as_deref(), Some("1767323400"));
    assert_eq!(header(DELIVERY_HEADER).as_deref(), Some("42"));
    let sig = header(SIGNATURE_HEADER).unwrap();
    assert!(verify_signature("k", &req.body, &sig));
    let back: WebhookPayload = serde_json::from_slice(&req.body).unwrap();
    assert_eq!(back, WebhookPayload::new(&sample(Status::Firing), 42, now));
}

#[test]
fn resolved_body_carries_its_end() {
    let now: Timestamp = "2026-01-02T04:00:00Z".parse().unwrap();
    let mut n = sample(Status::Resolved);
    let body = WebhookPayload::new(&n, 1, now);
    assert_eq!(body.ends_at, Some(now));
    n.ends_at = Some("2026-01-02T03:58:00Z".parse().unwrap());
    assert_eq!(WebhookPayload::new(&n, 1, now).ends_at, n.ends_at);
}

#[test]
fn unsigned_without_secret() {
    let req = request(
        "http://r",
        None,
        &sample(Status::Firing),
        1,
        Timestamp::UNIX_EPOCH,
    );
    assert!(req.headers.iter().all(|(name, _)| name != SIGNATURE_HEADER));
}

#[test]
fn malformed_signature_headers_fail() {
    let body = b"{}";
    let good = signature("k", body);
    assert!(verify_signature("k", body, &good));
    assert!(!verify_signature(
        "k",
        body,
        good.trim_start_matches("sha256=")
    ));
    assert!(!verify_signature("k", body, "sha256=zz"));
    assert!(!verify_signature("other", body, &good));
}

proptest! {
    #[test]
    fn any_changed_byte_breaks_the_signature(
        secret in "[ -~]{1,40}",
        body in proptest::collection::vec(any::<u8>(), 1..200),
        index in any::<prop::sample::Index>(),
        flip in 1u8..=255,
    ) {
        let sig = signature(&secret, &body);
        prop_assert!(verify_signature(&secret, &body, &sig));
        let mut tampered = body.clone();
        let i = index.index(tampered.len());
        tampered[i] ^= flip;
        prop_assert!(!verify_signature(&secret, &tampered, &sig));
    }
}
