//! Target parsing (the `kind:value` strings and config entries) and the
//! classification of receiver answers into sent, retry and give up.

use std::sync::Mutex;

use super::*;
use crate::notification::Status;
use crate::transport::HttpResponse;

fn check_parse(input: &str, expect: &str) {
    let got = match Target::parse(input) {
        Ok(t) => format!("{t:?}"),
        Err(e) => format!("error: {e}"),
    };
    assert_eq!(got, expect, "input {input:?}");
}

#[test]
fn parses_kind_value_strings() {
    check_parse(
        "alertmanager:http://127.0.0.1:9093/",
        r#"Alertmanager { url: "http://127.0.0.1:9093" }"#,
    );
    check_parse(
        "webhook:https://hooks.example.com/lodestar",
        r#"Webhook { url: "https://hooks.example.com/lodestar", secret: None }"#,
    );
    check_parse(
        "slack:https://hooks.slack.com/services/T/B/X",
        r#"Slack { url: "<redacted>" }"#,
    );
    check_parse(
        "pagerduty:R0UT1NGKEY",
        r#"PagerDuty { routing_key: "<redacted>", url: "https://events.pagerduty.com/v2/enqueue" }"#,
    );
    check_parse(
        "PagerDuty:abc",
        r#"PagerDuty { routing_key: "<redacted>", url: "https://events.pagerduty.com/v2/enqueue" }"#,
    );
}

#[test]
fn rejects_bad_strings_with_the_reason() {
    check_parse(
        "https://example.com",
        r#"error: notification target "https://example.com": unknown kind "https"; expected alertmanager, webhook, slack or pagerduty"#,
    );
    check_parse(
        "nothing",
        r#"error: notification target "nothing": expected KIND:VALUE with KIND one of alertmanager, webhook, slack, pagerduty"#,
    );
    check_parse(
        "slack:hooks.slack.com/x",
        r#"error: notification target "slack:hooks.slack.com/x": url "hooks.slack.com/x" must start with http:// or https://"#,
    );
    check_parse(
        "webhook:http:///path",
        r#"error: notification target "webhook:http:///path": url "http:///path" has no host"#,
    );
    check_parse(
        "pagerduty:",
        r#"error: notification target "pagerduty:": pagerduty needs a `routing_key`: the integration key, no spaces or slashes"#,
    );
}

#[test]
fn config_entries_check_fields_per_kind() {
    let config = TargetConfig {
        kind: "webhook".into(),
        url: Some("https://example.com/hook".into()),
        secret: Some("s3cret".into()),
        routing_key: None,
    };
    assert_eq!(
        Target::from_config(&config).unwrap(),
        Target::Webhook {
            url: "https://example.com/hook".into(),
            secret: Some("s3cret".into())
        }
    );
    let wrong = TargetConfig {
        kind: "slack".into(),
        secret: Some("x".into()),
        ..config.clone()
    };
    let err = Target::from_config(&wrong).unwrap_err().to_string();
    assert!(
        err.contains("field `secret` does not apply to kind slack"),
        "{err}"
    );
    let custom_pd = TargetConfig {
        kind: "pagerduty".into(),
        url: Some("http://127.0.0.1:1/v2/enqueue".into()),
        secret: None,
        routing_key: Some("key".into()),
    };
    assert_eq!(
        Target::from_config(&custom_pd).unwrap(),
        Target::PagerDuty {
            routing_key: "key".into(),
            url: "http://127.0.0.1:1/v2/enqueue".into()
        }
    );
    let parsed: TargetConfig =
        serde_json::from_str(r#"{"kind":"alertmanager","url":"http://am:9093"}"#).unwrap();
    assert_eq!(Target::from_config(&parsed).unwrap().kind(), "alertmanager");
    assert!(serde_json::from_str::<TargetConfig>(r#"{"kind":"slack","uri":"x"}"#).is_err());
}

#[test]
fn duplicate_names_are_refused() {
    let t = Target::parse("webhook:http://a").unwrap();
    let err = TargetSet::new([(TargetName::new("a"), t.clone()), (TargetName::new("a"), t)])
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        r#"notification target name "a" is configured twice; names must be unique"#
    );
}

/// Answers every request with a fixed result and remembers the URLs.
struct Fixed(Result<HttpResponse, String>, Mutex<Vec<String>>);

impl Transport for Fixed {
    fn post(&self, request: &HttpRequest) -> Result<HttpResponse, String> {
        self.1.lock().unwrap().push(request.url.clone());
        self.0.clone()
    }
}

fn attempt_with(target: &str, answer: Result<HttpResponse, String>) -> Attempt {
    let set = TargetSet::with_transport(
        [(TargetName::new("t"), Target::parse(target).unwrap())],
        Box::new(Fixed(answer, Mutex::new(Vec::new()))),
    )
    .unwrap();
    set.attempt(&TargetName::new("t"), &sample(), 7, Timestamp::UNIX_EPOCH)
}

fn status(code: u16, body: &str) -> Result<HttpResponse, String> {
    Ok(HttpResponse {
        status: code,
        body: body.into(),
    })
}

fn sample() -> Notification {
    Notification {
        key: "k".into(),
        status: Status::Firing,
        severity: "page".into(),
        slo: "s".into(),
        objective: "o".into(),
        service: "svc".into(),
        summary: "sum".into(),
        description: "desc".into(),
        labels: Default::default(),
        annotations: Default::default(),
        starts_at: Timestamp::UNIX_EPOCH,
        ends_at: None,
        generator_url: "http://lodestar/slos/s".into(),
    }
}

#[test]
fn answers_are_classified() {
    let hook = "webhook:http://127.0.0.1:1/hook";
    assert_eq!(attempt_with(hook, status(200, "")), Attempt::Sent);
    assert_eq!(attempt_with(hook, status(202, "")), Attempt::Sent);
    for code in [500, 502, 503, 408, 429] {
        assert!(
            matches!(attempt_with(hook, status(code, "busy")), Attempt::Retry(_)),
            "{code}"
        );
    }
    for code in [301, 400, 401, 403, 404, 410] {
        assert!(
            matches!(attempt_with(hook, status(code, "no")), Attempt::GiveUp(_)),
            "{code}"
        );
    }
    assert_eq!(
        attempt_with(hook, Err("connection refused".into())),
        Attempt::Retry("webhook http://127.0.0.1:1/hook: connection refused".into())
    );
    assert_eq!(
        attempt_with(hook, status(400, "bad field\n")),
        Attempt::GiveUp("webhook http://127.0.0.1:1/hook answered HTTP 400: bad field".into())
    );
}

#[test]
fn slack_errors_hide_the_webhook_path() {
    let got = attempt_with(
        "slack:https://hooks.slack.com/services/T0/B0/SECRET",
        status(404, "no_service"),
    );
    assert_eq!(
        got,
        Attempt::GiveUp("slack https://hooks.slack.com/… answered HTTP 404: no_service".into())
    );
}

#[test]
fn an_unknown_target_name_is_retried() {
    let set =
        TargetSet::with_transport([], Box::new(Fixed(status(200, ""), Mutex::new(Vec::new()))))
            .unwrap();
    let got = set.attempt(
        &TargetName::new("gone"),
        &sample(),
        1,
        Timestamp::UNIX_EPOCH,
    );
    assert_eq!(
        got,
        Attempt::Retry(r#"target "gone" is not configured"#.into())
    );
}

#[test]
fn only_alertmanager_needs_refresh() {
    assert!(
        Target::parse("alertmanager:http://a")
            .unwrap()
            .needs_refresh()
    );
    assert!(!Target::parse("slack:http://a").unwrap().needs_refresh());
    assert!(!Target::parse("pagerduty:k").unwrap().needs_refresh());
}
